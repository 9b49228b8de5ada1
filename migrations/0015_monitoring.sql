-- Measurements: the parameter vocabulary, the lab's import batches, the samples, and each
-- site's latest grading. The grading itself (GB 3838-2002 classes, black-odor grades, GB 36600
-- soil risk) is computed by the application (domain::monitoring) from the samples and stored
-- here only as its result, in the transaction of the import that changed it, like
-- remediation_state: so that the map, OGC items, CQL2 and tiles read and filter it per row.

-- The closed vocabulary, the same as domain::monitoring::PARAMETERS (a test compares them).
CREATE TABLE parameter (
    code    text PRIMARY KEY,
    unit    text NOT NULL,
    name_zh text NOT NULL,
    name_en text NOT NULL,
    medium  text NOT NULL CHECK (medium IN ('water', 'soil'))
);
INSERT INTO parameter (code, unit, name_zh, name_en, medium) VALUES
    ('do', 'mg/L', '溶解氧', 'dissolved oxygen', 'water'),
    ('codmn', 'mg/L', '高锰酸盐指数', 'permanganate index', 'water'),
    ('cod', 'mg/L', '化学需氧量', 'chemical oxygen demand', 'water'),
    ('bod5', 'mg/L', '五日生化需氧量', 'five-day biochemical oxygen demand', 'water'),
    ('nh3n', 'mg/L', '氨氮', 'ammonia nitrogen', 'water'),
    ('tp', 'mg/L', '总磷', 'total phosphorus', 'water'),
    ('tn', 'mg/L', '总氮', 'total nitrogen', 'water'),
    ('transparency', 'cm', '透明度', 'transparency', 'water'),
    ('orp', 'mV', '氧化还原电位', 'oxidation-reduction potential', 'water'),
    ('ph', '', 'pH', 'pH', 'water'),
    ('water_temp', '°C', '水温', 'water temperature', 'water'),
    ('water_depth', 'cm', '水深', 'water depth', 'water'),
    ('as', 'mg/kg', '砷', 'arsenic', 'soil'),
    ('cd', 'mg/kg', '镉', 'cadmium', 'soil'),
    ('pb', 'mg/kg', '铅', 'lead', 'soil'),
    ('cr6', 'mg/kg', '六价铬', 'hexavalent chromium', 'soil'),
    ('hg', 'mg/kg', '汞', 'mercury', 'soil'),
    ('benzene', 'mg/kg', '苯', 'benzene', 'soil');

-- One imported sheet. A sample keeps the batch that brought it, so an import can be traced.
CREATE TABLE sample_batch (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    imported_at timestamptz NOT NULL DEFAULT now(),
    actor_id    bigint REFERENCES app_user (id) ON DELETE SET NULL,
    actor_name  text NOT NULL,
    file_name   text,
    lab         text,
    row_count   integer NOT NULL,
    sample_count integer NOT NULL
);

-- One measured value. The unit is the parameter's (the import converts or refuses others).
-- Below the detection limit, value holds the limit, or nothing for a bare "ND".
-- The parameter and the batch are checked without foreign keys: an import writes a million
-- values, and a foreign-key check is a trigger call per row. The parameter is checked against
-- the vocabulary's list (a test compares the two); the batch is written first, in the import's
-- own transaction.
CREATE TABLE sample (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id         bigint NOT NULL REFERENCES site (id) ON DELETE CASCADE,
    sampled_at      timestamptz NOT NULL,
    parameter       text NOT NULL CONSTRAINT sample_parameter_known CHECK (parameter IN (
                        'do', 'codmn', 'cod', 'bod5', 'nh3n', 'tp', 'tn', 'transparency', 'orp', 'ph', 'water_temp', 'water_depth', 'as', 'cd', 'pb', 'cr6', 'hg', 'benzene')),
    value           double precision,
    below_detection boolean NOT NULL DEFAULT false,
    lab             text,
    -- the sample_batch that brought it
    batch_id        bigint,
    CONSTRAINT sample_value_present CHECK (value IS NOT NULL OR below_detection),
    CONSTRAINT sample_value_finite CHECK (value IS NULL OR value BETWEEN -1e7 AND 1e7),
    -- one value per site, parameter and time; also the index of a site's series, which it
    -- answers alone (the value is included): samples arrive day by day for every site, so a
    -- site's rows lie scattered over the table
    CONSTRAINT sample_unique UNIQUE (site_id, parameter, sampled_at) INCLUDE (value, below_detection)
);
-- the assessments of a period over every site
CREATE INDEX sample_time_idx ON sample (sampled_at);

-- The value means and grades use (domain::monitoring::Measured::effective, tested against this):
-- below the detection limit, half the limit; a bare "ND", 0.
CREATE FUNCTION sample_effective_value(value double precision, below_detection boolean)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN below_detection THEN coalesce(value, 0) / 2 ELSE value END;

ALTER TABLE site
    ADD COLUMN latest_class text CONSTRAINT site_latest_class_known
        CHECK (latest_class IN ('I', 'II', 'III', 'IV', 'V', 'worse_than_V')),
    ADD COLUMN latest_sampled_at timestamptz,
    ADD COLUMN meets_target boolean,
    ADD COLUMN black_odor_grade text CONSTRAINT site_black_odor_grade_known
        CHECK (black_odor_grade IN ('none', 'light', 'severe')),
    ADD COLUMN soil_risk text CONSTRAINT site_soil_risk_known
        CHECK (soil_risk IN ('below_screening', 'over_screening', 'over_intervention'));

-- Tiles draw the grading, so a change of it must refresh them, like a change of status.
CREATE OR REPLACE FUNCTION site_drawing_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM announce_tile_change(array_agg(kind), array_agg(coalesce(zone_geom, geom)::box2d))
        FROM new_sites;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM announce_tile_change(array_agg(kind), array_agg(coalesce(zone_geom, geom)::box2d))
        FROM old_sites;
    ELSE
        PERFORM announce_tile_change(array_agg(drawn.kind), array_agg(drawn.b))
        FROM old_sites o
        JOIN new_sites n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES (o.kind, coalesce(o.zone_geom, o.geom)::box2d),
                                   (n.kind, coalesce(n.zone_geom, n.geom)::box2d)) AS drawn(kind, b)
        WHERE (o.kind, o.code, o.name, o.remediation_state, o.project_status, o.geom, o.zone_geom,
               o.latest_class, o.meets_target, o.black_odor_grade, o.soil_risk)
              IS DISTINCT FROM
              (n.kind, n.code, n.name, n.remediation_state, n.project_status, n.geom, n.zone_geom,
               n.latest_class, n.meets_target, n.black_odor_grade, n.soil_risk);
    END IF;
    RETURN NULL;
END
$$;

-- Early warning: an alert opens in the transaction of the import whose samples cause it, at most
-- one not yet closed per site and kind, and closes when a later sample is back within bounds.
CREATE TABLE alert (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id          bigint NOT NULL REFERENCES site (id) ON DELETE CASCADE,
    kind             text NOT NULL CONSTRAINT alert_kind_known CHECK (kind IN (
                         'over_target', 'worse_than_v', 'rebound', 'soil_over_screening',
                         'soil_over_intervention')),
    state            text NOT NULL DEFAULT 'open'
                         CONSTRAINT alert_state_known CHECK (state IN ('open', 'acknowledged', 'closed')),
    -- what caused it: the parameters with their values and limits, the class and the target
    cause            jsonb NOT NULL,
    -- the sampling time of the reading that caused it
    sampled_at       timestamptz NOT NULL,
    batch_id         bigint REFERENCES sample_batch (id),
    opened_at        timestamptz NOT NULL DEFAULT now(),
    acknowledged_at  timestamptz,
    acknowledged_by  text,
    acknowledge_note text,
    closed_at        timestamptz,
    -- the sampling time of the reading back within bounds
    closed_by_sample timestamptz,
    CONSTRAINT alert_acknowledged_has_note CHECK (state <> 'acknowledged' OR acknowledge_note IS NOT NULL),
    CONSTRAINT alert_closed_has_time CHECK ((state = 'closed') = (closed_at IS NOT NULL))
);
CREATE UNIQUE INDEX alert_one_open_per_site_and_kind ON alert (site_id, kind) WHERE state <> 'closed';
CREATE INDEX alert_state_idx ON alert (state, opened_at DESC);

-- Each attempt to deliver an alert to the webhook (ALERT_WEBHOOK_URL), after the commit.
CREATE TABLE alert_delivery (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id   bigint NOT NULL REFERENCES alert (id) ON DELETE CASCADE,
    -- the alert's event: opened, acknowledged or closed
    event      text NOT NULL CHECK (event IN ('opened', 'acknowledged', 'closed')),
    attempt    integer NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    -- the HTTP status, or none when no answer came
    status     integer,
    error      text,
    delivered  boolean NOT NULL
);
CREATE INDEX alert_delivery_alert_idx ON alert_delivery (alert_id, event);

-- Events waiting for delivery, written with the alert's change in one transaction (an outbox):
-- the delivery task takes them after the commit, so nothing is sent for a rolled-back import.
CREATE TABLE alert_outbox (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id  bigint NOT NULL REFERENCES alert (id) ON DELETE CASCADE,
    event     text NOT NULL CHECK (event IN ('opened', 'acknowledged', 'closed')),
    queued_at timestamptz NOT NULL DEFAULT now(),
    -- when the next attempt is due (moved later by each failure, with backoff)
    due_at    timestamptz NOT NULL DEFAULT now(),
    attempts  integer NOT NULL DEFAULT 0
);
CREATE INDEX alert_outbox_due_idx ON alert_outbox (due_at);
