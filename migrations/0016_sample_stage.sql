-- A sample is identified by its site, parameter and time, the key of sample_unique (its columns
-- are NOT NULL). The surrogate id, which nothing refers to, cost one more index entry per stored
-- value.
ALTER TABLE sample DROP COLUMN id;

-- Two more costs per stored value that a million-value import paid: the foreign key's check of
-- the site (a trigger call per row) and the index on the time alone, which served only the
-- dashboard's latest sampling time (the sites carry that now, 0015). The one writer of samples,
-- the sheet import, takes a KEY SHARE lock on every site it names, so no site it stores values
-- for can go before it commits; and a site's samples still go with it, once per statement.
ALTER TABLE sample DROP CONSTRAINT sample_site_id_fkey;
DROP INDEX sample_time_idx;

CREATE FUNCTION delete_samples_of_deleted_sites() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM sample s USING deleted_sites d WHERE s.site_id = d.id;
    RETURN NULL;
END $$;

CREATE TRIGGER site_samples_follow_delete AFTER DELETE ON site
    REFERENCING OLD TABLE AS deleted_sites
    FOR EACH STATEMENT EXECUTE FUNCTION delete_samples_of_deleted_sites();

-- The shape of a sample import's staging table, as import_stage (0014) is for sites: each import
-- stages its values in a temporary copy,
--   CREATE TEMP TABLE sample_stage (LIKE public.sample_stage INCLUDING DEFAULTS),
-- which hides this one for its session, and then stores them in one statement in the key's
-- order, so that the key's index is written leaf after leaf instead of at random (1,000,000
-- values into 18 million: 13 s sorted, 30 s in the sheet's order). This table stays empty: the
-- import's statements are checked at compile time against it, and its CHECK (false), which the
-- copies do not take, refuses a value staged here by mistake.
CREATE TABLE sample_stage (
    -- the cell the value came from: its row in the sheet (the header is row 1) and column (0-based)
    row_number      integer NOT NULL,
    column_number   integer NOT NULL,
    site_id         bigint NOT NULL,
    sampled_at      timestamptz NOT NULL,
    parameter       text NOT NULL,
    value           double precision,
    below_detection boolean NOT NULL,
    lab             text,
    CONSTRAINT sample_stage_is_only_a_template CHECK (false)
);
