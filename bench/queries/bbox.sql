-- pgbench: the statement GET /api/sites?bbox=… runs: the first page by code, with the total as a window count
\set x random(1165000, 1217000)
\set y random(309000, 349000)
SELECT s.id, s.kind, s.code, s.name, s.name_en, s.town_code, a.name AS town_name, s.placeholder, s.attrs, s.radius_m, s.remediation_state, (SELECT count(*) FROM project_site ps WHERE ps.site_id = s.id) AS project_count, count(*) OVER () AS full_count, NULL::float8 AS distance_m, ST_AsGeoJSON(ST_Transform(s.geom, 4326), 7)::jsonb AS geometry, s.version, s.created_at, s.updated_at FROM site s LEFT JOIN admin_area a ON a.code = s.town_code WHERE true AND ST_Intersects(s.geom, ST_MakeEnvelope(:x / 10000.0, :y / 10000.0, :x / 10000.0 + 0.05, :y / 10000.0 + 0.05, 4326)) ORDER BY s.code ASC NULLS LAST, s.id LIMIT 50 OFFSET 0;
