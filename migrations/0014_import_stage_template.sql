-- The shape of an import's staging table. Each import stages its rows in a temporary copy,
-- CREATE TEMP TABLE import_stage (LIKE public.import_stage INCLUDING DEFAULTS INCLUDING INDEXES),
-- which hides this table for its session because temporary tables come first in the search
-- path. This one stays empty: it exists so that the import's statements are checked at compile
-- time against the very columns they run on, and its CHECK (false), which the copies do not
-- take, refuses a row staged here by mistake.
CREATE TABLE import_stage (
    idx integer PRIMARY KEY,
    code text NOT NULL,
    name text NOT NULL,
    name_en text,
    ref_code text,
    flag boolean NOT NULL,
    radius_m double precision,
    level text,
    source text,
    attrs jsonb NOT NULL,
    geom geometry NOT NULL,
    skip boolean NOT NULL DEFAULT false,
    CONSTRAINT import_stage_is_only_a_template CHECK (false)
);
