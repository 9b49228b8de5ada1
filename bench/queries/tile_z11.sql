-- pgbench: the statement GET /tiles/sites/11/x/y.mvt runs (src/db/tiles.rs), random tiles over Jiangsu at z11
\set x random(1685, 1717)
\set y random(810, 840)
WITH tile AS (SELECT ST_TileEnvelope(11, :x, :y) AS env, ST_Transform(ST_TileEnvelope(11, :x, :y, margin => 64::float8 / 4096), 4326) AS area), features AS (SELECT s.id, s.code, s.name, s.kind, s.remediation_state, s.project_status AS status, ST_AsMVTGeom(ST_Transform(coalesce(s.zone_geom, s.geom), 3857), tile.env, 4096, 64, true) AS geom FROM site s, tile WHERE (cardinality('{}'::text[]) = 0 OR s.kind = ANY('{}'::text[])) AND coalesce(s.zone_geom, s.geom) && tile.area) SELECT ST_AsMVT(features, 'sites', 4096, 'geom', 'id') FROM features;
