-- A key zone's clearance (归零) counts the open problems of its campaign, not every open site
-- inside it: the 3 km zones are an air-quality measure, so by default only the air projects of
-- the sites inside count; a zone may name another category (attrs.campaign_category) or one
-- programme (attrs.campaign_programme). The same rule is domain::zone::Campaign in Rust (the
-- report replays it as of a date).
CREATE FUNCTION key_zone_targets(zone_attrs jsonb, category text, programme_code text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN zone_attrs ? 'campaign_programme'
            THEN programme_code IS NOT DISTINCT FROM zone_attrs ->> 'campaign_programme'
        ELSE category = coalesce(zone_attrs ->> 'campaign_category', 'air')
    END
$$;

-- Per key zone, every site inside it with work of the zone's campaign, and that work's state
-- (remediation_state of the campaign's projects only): open while 'in_progress' or 'suspended'.
CREATE VIEW key_zone_problem AS
SELECT z.id AS zone_id, s.id AS site_id, s.kind, s.code, s.name,
       remediation_state(array_agg(p.status)) AS campaign_state
FROM site z
JOIN site s ON s.kind <> 'key_zone' AND ST_Intersects(s.geom, z.zone_geom)
JOIN project_site ps ON ps.site_id = s.id
JOIN project p ON p.id = ps.project_id
LEFT JOIN programme g ON g.id = p.programme_id
WHERE z.kind = 'key_zone' AND key_zone_targets(z.attrs, p.category, g.code)
GROUP BY z.id, s.id, s.kind, s.code, s.name;
