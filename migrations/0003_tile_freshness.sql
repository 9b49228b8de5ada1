-- What a vector tile draws of a site is stored on the site row, and every committed change to it
-- is announced, so the server's tile cache can evict exactly the tiles that drew the old or the
-- new state and never serve a stale one.
--
-- 1. site.project_status: the status of the site's most recently updated linked project, kept
--    current with remediation_state by the same triggers (tiles read it per row instead of a
--    subquery per feature).
-- 2. Channel tile_dirty: after any statement that inserts, deletes or changes the drawn columns
--    of sites, one notification (delivered at commit, in commit order) carries a JSON array of
--    [kind, xmin, ymin, xmax, ymax] boxes in lon/lat: one per changed row (old and new extents),
--    or one per kind for statements that change more than 40 rows, so that a payload stays well
--    under PostgreSQL's 8000-byte limit.

ALTER TABLE site ADD COLUMN project_status text;

UPDATE site s SET project_status = (
    SELECT p.status FROM project_site ps JOIN project p ON p.id = ps.project_id
    WHERE ps.site_id = s.id ORDER BY p.updated_at DESC, p.id DESC LIMIT 1)
WHERE EXISTS (SELECT 1 FROM project_site ps WHERE ps.site_id = s.id);

CREATE OR REPLACE FUNCTION site_refresh_remediation_state(site_ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE site s SET remediation_state = r.state, project_status = r.status
    FROM (
        SELECT x.id,
               remediation_state((SELECT array_agg(p.status) FROM project_site ps
                                  JOIN project p ON p.id = ps.project_id
                                  WHERE ps.site_id = x.id)) AS state,
               (SELECT p.status FROM project_site ps JOIN project p ON p.id = ps.project_id
                WHERE ps.site_id = x.id ORDER BY p.updated_at DESC, p.id DESC LIMIT 1) AS status
        FROM site x WHERE x.id = ANY (site_ids)
    ) r
    WHERE s.id = r.id
      AND (s.remediation_state, s.project_status) IS DISTINCT FROM (r.state, r.status)
$$;

-- An edit of any field moves the project to the front of "most recently updated", which can
-- change the status its sites show; a status change can change their remediation state.
DROP TRIGGER project_status_changed ON project;
CREATE TRIGGER project_status_changed AFTER UPDATE OF status, updated_at ON project
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.updated_at IS DISTINCT FROM NEW.updated_at)
    EXECUTE FUNCTION project_status_changed();

CREATE FUNCTION announce_tile_change(changed_kinds text[], changed_boxes box2d[]) RETURNS void
LANGUAGE sql AS $$
    SELECT pg_notify('tile_dirty', boxes::text)
    FROM (
        SELECT json_agg(json_build_array(kind, ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b))) AS boxes
        FROM (
            SELECT kind, b FROM unnest(changed_kinds, changed_boxes) AS c(kind, b)
            WHERE cardinality(changed_kinds) <= 40 AND b IS NOT NULL
            UNION ALL
            SELECT kind, ST_Extent(b::geometry)::box2d FROM unnest(changed_kinds, changed_boxes) AS c(kind, b)
            WHERE cardinality(changed_kinds) > 40 AND b IS NOT NULL
            GROUP BY kind
        ) per_box
    ) payload
    WHERE boxes IS NOT NULL
$$;

CREATE FUNCTION site_drawing_changed() RETURNS trigger
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
        WHERE (o.kind, o.code, o.name, o.remediation_state, o.project_status, o.geom, o.zone_geom)
              IS DISTINCT FROM
              (n.kind, n.code, n.name, n.remediation_state, n.project_status, n.geom, n.zone_geom);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER site_inserted_for_tiles AFTER INSERT ON site
    REFERENCING NEW TABLE AS new_sites
    FOR EACH STATEMENT EXECUTE FUNCTION site_drawing_changed();
CREATE TRIGGER site_updated_for_tiles AFTER UPDATE ON site
    REFERENCING OLD TABLE AS old_sites NEW TABLE AS new_sites
    FOR EACH STATEMENT EXECUTE FUNCTION site_drawing_changed();
CREATE TRIGGER site_deleted_for_tiles AFTER DELETE ON site
    REFERENCING OLD TABLE AS old_sites
    FOR EACH STATEMENT EXECUTE FUNCTION site_drawing_changed();
