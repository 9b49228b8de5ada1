-- What pg_restore runs with an empty search_path names PostGIS's functions and operators with
-- their schema, so that a backup restores (found by the backup round-trip test):
-- - the functions CHECK constraints call: the rows arrive with the constraints in place, and an
--   unqualified ST_IsEmpty is then not found. The bodies are otherwise unchanged and stay plain
--   SQL expressions, which the planner inlines into the checks;
-- - a trigger's WHEN clause: geometry's = is not found there, so the moved-site test compares
--   the geometries' EWKB, which is what equality of geometries means here.
-- A new function used by a constraint or an index, or a new WHEN clause, must do the same.
CREATE OR REPLACE FUNCTION tracker_geom_ok(g geometry) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT NOT public.ST_IsEmpty(g)
       AND public.ST_IsValid(g)
       AND public.ST_XMin(g) >= -180 AND public.ST_XMax(g) <= 180
       AND public.ST_YMin(g) >= -90 AND public.ST_YMax(g) <= 90
$$;

CREATE OR REPLACE FUNCTION site_kind_geometry_ok(kind text, g geometry) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT CASE kind
        WHEN 'river'              THEN public.GeometryType(g) IN ('LINESTRING', 'MULTILINESTRING')
        WHEN 'black_odor_water'   THEN public.GeometryType(g) IN ('LINESTRING', 'MULTILINESTRING', 'POLYGON', 'MULTIPOLYGON')
        WHEN 'contaminated_plot'  THEN public.GeometryType(g) IN ('POLYGON', 'MULTIPOLYGON')
        WHEN 'key_zone'           THEN public.GeometryType(g) IN ('POINT', 'POLYGON', 'MULTIPOLYGON')
        WHEN 'monitoring_section' THEN public.GeometryType(g) = 'POINT'
        WHEN 'outfall'            THEN public.GeometryType(g) = 'POINT'
        WHEN 'enterprise'         THEN public.GeometryType(g) IN ('POINT', 'POLYGON', 'MULTIPOLYGON')
        WHEN 'facility'           THEN public.GeometryType(g) IN ('POINT', 'POLYGON', 'MULTIPOLYGON')
        ELSE true -- an unknown kind is refused by site_kind_known, with its own message
    END
$$;

DROP TRIGGER site_moves_its_cases ON site;
CREATE TRIGGER site_moves_its_cases AFTER UPDATE OF geom ON site
    FOR EACH ROW WHEN (public.ST_AsEWKB(OLD.geom) IS DISTINCT FROM public.ST_AsEWKB(NEW.geom))
    EXECUTE FUNCTION site_moves_its_cases();
