-- pgbench: the statement GET /tiles/sites/8/x/y.mvt runs (src/db/tiles.rs), random tiles over Jiangsu at z8
\set x random(210, 214)
\set y random(101, 105)
WITH tile AS (SELECT ST_TileEnvelope(8, :x, :y) AS env, ST_Transform(ST_TileEnvelope(8, :x, :y, margin => 64::float8 / 4096), 4326) AS area), features AS (SELECT s.id, s.code, s.name, s.kind, s.remediation_state, s.project_status AS status, ST_AsMVTGeom(ST_Transform(coalesce(s.zone_geom, s.geom), 3857), tile.env, 4096, 64, true) AS geom FROM site s, tile WHERE (cardinality('{}'::text[]) = 0 OR s.kind = ANY('{}'::text[])) AND coalesce(s.zone_geom, s.geom) && tile.area) SELECT ST_AsMVT(features, 'sites', 4096, 'geom', 'id') FROM features;
