-- Linking or relinking many sites in one statement (an import, a bulk SQL fix) must stay linear
-- in the rows changed, and a one-row write must not pay for plans sized for bulk ones.
--
-- 1. Transition tables carry no statistics, so the planner takes them for small and may pair
--    the old and new rows of a bulk UPDATE with a nested loop: quadratic, minutes for 300,000
--    rows. Without nested loops the pairing is a hash or merge join.
-- 2. The refresh of remediation state, for many sites, joins them to their links and projects
--    once: two correlated subqueries per site may each run as a scan of the whole link table
--    while the statistics still describe an emptier one. For a few sites, it keeps index lookups
--    per site, which a join planned on the same stale statistics may replace by full scans.
-- 3. JIT off for both: the disabled nested loop inflates cost estimates past jit_above_cost, and
--    compiling costs about 200 ms per call, far more than the trigger's own work.
ALTER FUNCTION site_drawing_changed() SET enable_nestloop = off;
ALTER FUNCTION site_drawing_changed() SET jit = off;

CREATE OR REPLACE FUNCTION site_refresh_remediation_state(site_ids bigint[]) RETURNS void
LANGUAGE plpgsql SET jit = off AS $$
BEGIN
    IF cardinality(site_ids) <= 1000 THEN
        -- a few sites: index lookups per site, whatever the statistics say
        UPDATE site s SET remediation_state = r.state, project_status = r.status
        FROM (
            SELECT changed.id, remediation_state(linked.statuses) AS state, linked.statuses_by_recency[1] AS status
            FROM (SELECT DISTINCT unnest(site_ids) AS id) changed
            CROSS JOIN LATERAL (
                SELECT array_agg(p.status) AS statuses,
                       array_agg(p.status ORDER BY p.updated_at DESC, p.id DESC) AS statuses_by_recency
                FROM project_site ps JOIN project p ON p.id = ps.project_id
                WHERE ps.site_id = changed.id
            ) linked
        ) r
        WHERE s.id = r.id
          AND (s.remediation_state, s.project_status) IS DISTINCT FROM (r.state, r.status);
    ELSE
        UPDATE site s SET remediation_state = r.state, project_status = r.status
        FROM (
            SELECT changed.id,
                   remediation_state(array_agg(p.status) FILTER (WHERE p.id IS NOT NULL)) AS state,
                   (array_agg(p.status ORDER BY p.updated_at DESC, p.id DESC)
                        FILTER (WHERE p.id IS NOT NULL))[1] AS status
            FROM (SELECT DISTINCT unnest(site_ids) AS id) changed
            LEFT JOIN project_site ps ON ps.site_id = changed.id
            LEFT JOIN project p ON p.id = ps.project_id
            GROUP BY changed.id
        ) r
        WHERE s.id = r.id
          AND (s.remediation_state, s.project_status) IS DISTINCT FROM (r.state, r.status);
    END IF;
END
$$;
