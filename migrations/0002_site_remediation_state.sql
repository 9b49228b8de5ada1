-- Each site stores its remediation state, derived from its linked projects by the function
-- remediation_state(), and kept current by triggers on project and project_site. Map layers,
-- tiles and location queries read it per row; computing it there for every site cost a subquery
-- per row.

ALTER TABLE site ADD COLUMN remediation_state text NOT NULL DEFAULT 'none'
    CONSTRAINT site_remediation_state_known
        CHECK (remediation_state IN ('none', 'in_progress', 'done', 'suspended'));

CREATE FUNCTION site_refresh_remediation_state(site_ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE site s SET remediation_state = r.state
    FROM (
        SELECT x.id, remediation_state((SELECT array_agg(p.status) FROM project_site ps
                                        JOIN project p ON p.id = ps.project_id
                                        WHERE ps.site_id = x.id)) AS state
        FROM site x WHERE x.id = ANY (site_ids)
    ) r
    WHERE s.id = r.id AND s.remediation_state IS DISTINCT FROM r.state
$$;

CREATE FUNCTION project_site_links_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM site_refresh_remediation_state(ARRAY(SELECT DISTINCT site_id FROM new_links));
    ELSE
        PERFORM site_refresh_remediation_state(ARRAY(SELECT DISTINCT site_id FROM old_links));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER project_site_linked AFTER INSERT ON project_site
    REFERENCING NEW TABLE AS new_links
    FOR EACH STATEMENT EXECUTE FUNCTION project_site_links_changed();
CREATE TRIGGER project_site_unlinked AFTER DELETE ON project_site
    REFERENCING OLD TABLE AS old_links
    FOR EACH STATEMENT EXECUTE FUNCTION project_site_links_changed();

CREATE FUNCTION project_status_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM site_refresh_remediation_state(ARRAY(SELECT site_id FROM project_site WHERE project_id = NEW.id));
    RETURN NULL;
END
$$;
CREATE TRIGGER project_status_changed AFTER UPDATE OF status ON project
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION project_status_changed();

UPDATE site s SET remediation_state = remediation_state(
    (SELECT array_agg(p.status) FROM project_site ps JOIN project p ON p.id = ps.project_id WHERE ps.site_id = s.id))
WHERE EXISTS (SELECT 1 FROM project_site ps WHERE ps.site_id = s.id);

CREATE INDEX site_remediation_state_idx ON site (remediation_state);
