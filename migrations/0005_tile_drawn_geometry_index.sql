-- Tiles draw a site as coalesce(zone_geom, geom): a key zone as its zone polygon, every other
-- site as its geometry. One index on exactly that expression lets a tile query find its
-- features with a single index scan instead of OR-ing the geom and zone_geom indexes.
CREATE INDEX site_drawn_geom_idx ON site USING gist ((coalesce(zone_geom, geom)));
