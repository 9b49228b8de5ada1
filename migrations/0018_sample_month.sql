-- A site's values of one parameter, one calendar month (UTC) to a row, as arrays in time order.
-- The series endpoint reads five years of daily values as 60 rows instead of walking 1,826 index
-- entries: on two cores the walk alone capped the series at about 970 statements a second.
-- Statement triggers on sample keep it, so every writer (the import, a site's deletion, SQL by
-- hand) keeps it current; it is derived data and can be rebuilt from sample at any time.
CREATE TABLE sample_month (
    site_id         bigint NOT NULL,
    parameter       text NOT NULL,
    -- the first day of the month
    month           date NOT NULL,
    sampled_at      timestamptz[] NOT NULL,
    value           double precision[] NOT NULL,
    below_detection boolean[] NOT NULL,
    PRIMARY KEY (site_id, parameter, month)
);

CREATE FUNCTION sample_month_of(at timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN date_trunc('month', at AT TIME ZONE 'UTC')::date;

-- Rebuilds the months named by the three arrays from sample.
CREATE FUNCTION rebuild_sample_months(sites bigint[], parameters text[], months date[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- Two writers of the same month must not each rebuild it from a snapshot that misses the
    -- other's rows: they take turns, and since every statement below takes its snapshot after
    -- the lock, the later one sees what the earlier one committed. Readers are not blocked.
    LOCK TABLE sample_month IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM sample_month m
    USING unnest(sites, parameters, months) AS k(site_id, parameter, month)
    WHERE m.site_id = k.site_id AND m.parameter = k.parameter AND m.month = k.month;
    INSERT INTO sample_month (site_id, parameter, month, sampled_at, value, below_detection)
    SELECT s.site_id, s.parameter, k.month,
           array_agg(s.sampled_at ORDER BY s.sampled_at),
           array_agg(s.value ORDER BY s.sampled_at),
           array_agg(s.below_detection ORDER BY s.sampled_at)
    FROM unnest(sites, parameters, months) AS k(site_id, parameter, month)
    JOIN sample s ON s.site_id = k.site_id AND s.parameter = k.parameter
        AND s.sampled_at >= k.month::timestamp AT TIME ZONE 'UTC'
        AND s.sampled_at < (k.month + interval '1 month') AT TIME ZONE 'UTC'
    GROUP BY s.site_id, s.parameter, k.month;
END $$;

CREATE FUNCTION sample_months_follow_samples() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    sites bigint[];
    parameters text[];
    months date[];
BEGIN
    -- changed_rows is the old rows of a delete or an update and the new rows of an insert;
    -- changed_rows_after only exists for an update, and its branch is only planned then
    IF TG_OP = 'UPDATE' THEN
        SELECT array_agg(k.site_id), array_agg(k.parameter), array_agg(k.month)
        INTO sites, parameters, months
        FROM (SELECT site_id, parameter, sample_month_of(sampled_at) AS month FROM changed_rows
              UNION SELECT site_id, parameter, sample_month_of(sampled_at) FROM changed_rows_after) k;
    ELSE
        SELECT array_agg(k.site_id), array_agg(k.parameter), array_agg(k.month)
        INTO sites, parameters, months
        FROM (SELECT DISTINCT site_id, parameter, sample_month_of(sampled_at) AS month
              FROM changed_rows) k;
    END IF;
    IF sites IS NOT NULL THEN
        PERFORM rebuild_sample_months(sites, parameters, months);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER sample_months_follow_insert AFTER INSERT ON sample
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sample_months_follow_samples();
CREATE TRIGGER sample_months_follow_delete AFTER DELETE ON sample
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sample_months_follow_samples();
CREATE TRIGGER sample_months_follow_update AFTER UPDATE ON sample
    REFERENCING OLD TABLE AS changed_rows NEW TABLE AS changed_rows_after
    FOR EACH STATEMENT EXECUTE FUNCTION sample_months_follow_samples();

CREATE FUNCTION sample_months_follow_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE sample_month;
    RETURN NULL;
END $$;

CREATE TRIGGER sample_months_follow_truncate AFTER TRUNCATE ON sample
    FOR EACH STATEMENT EXECUTE FUNCTION sample_months_follow_truncate();

INSERT INTO sample_month (site_id, parameter, month, sampled_at, value, below_detection)
SELECT site_id, parameter, sample_month_of(sampled_at),
       array_agg(sampled_at ORDER BY sampled_at),
       array_agg(value ORDER BY sampled_at),
       array_agg(below_detection ORDER BY sampled_at)
FROM sample
GROUP BY site_id, parameter, sample_month_of(sampled_at);
