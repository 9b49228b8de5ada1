-- Distance searches (GET /api/locate, near= on the lists) now find their candidates through a
-- lon/lat box that holds the search circle, on the 2D index site_geom_idx, and compute each
-- candidate's geodesic distance once (src/db/spatial.rs). That costs about two thirds of a scan
-- of the geography expression index followed by a distance filter and a second distance for the
-- answer (bench/RESULTS.md). Nothing reads the geography index any more; it only slowed writes.
DROP INDEX site_geog_idx;
