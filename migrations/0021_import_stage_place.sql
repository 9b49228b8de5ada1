-- A sheet row may be placed on a stored site by its code instead of coordinates: it is staged
-- without a geometry and takes the site's point during the whole-file checks.
ALTER TABLE import_stage ADD COLUMN place_code text;
ALTER TABLE import_stage ALTER COLUMN geom DROP NOT NULL;
