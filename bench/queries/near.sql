-- pgbench: the two statements GET /api/sites?near=x,y&radius=3000 runs (count, then the first page)
\set x random(1165000, 1217000)
\set y random(309000, 349000)
SELECT count(*) FROM site s WHERE true AND ST_DWithin(s.geom::geography, ST_SetSRID(ST_MakePoint(:x / 10000.0, :y / 10000.0), 4326)::geography, 3000);
SELECT s.id, s.kind, s.code, s.name, s.name_en, s.town_code, a.name AS town_name, s.placeholder, s.attrs, s.radius_m, s.remediation_state, (SELECT count(*) FROM project_site ps WHERE ps.site_id = s.id) AS project_count, ST_Distance(s.geom::geography, ST_SetSRID(ST_MakePoint(:x / 10000.0, :y / 10000.0), 4326)::geography) AS distance_m, ST_AsGeoJSON(s.geom, 7)::jsonb AS geometry, s.version, s.created_at, s.updated_at FROM site s LEFT JOIN admin_area a ON a.code = s.town_code WHERE true AND ST_DWithin(s.geom::geography, ST_SetSRID(ST_MakePoint(:x / 10000.0, :y / 10000.0), 4326)::geography, 3000) ORDER BY distance_m ASC NULLS LAST, s.id LIMIT 50 OFFSET 0;
