//! Spatial predicates shared by the site and project queries, written so PostGIS can use the
//! indexes: geography distance through the `geom::geography` expression index, boxes and
//! polygons through the GiST index on `geom`.

use sqlx::{Postgres, QueryBuilder};

/// A location filter in WGS84 (input in other CRSs is converted before it gets here).
#[derive(Debug, Clone, PartialEq)]
pub enum SpatialFilter {
    /// within `radius_m` geodesic metres of a point
    Near { lon: f64, lat: f64, radius_m: f64 },
    /// intersecting a lon/lat box
    BBox {
        min_lon: f64,
        min_lat: f64,
        max_lon: f64,
        max_lat: f64,
    },
    /// intersecting a Polygon or MultiPolygon, as WKB in the given SRID
    Intersects { wkb: Vec<u8>, srid: i32 },
}

/// Pushes a boolean SQL expression on the geometry of the site table aliased `alias`.
pub fn push_site_filter(
    q: &mut QueryBuilder<'_, Postgres>,
    filter: &SpatialFilter,
    alias: &'static str,
) {
    match filter {
        SpatialFilter::Near { lon, lat, radius_m } => {
            q.push(format!(
                "ST_DWithin({alias}.geom::geography, ST_SetSRID(ST_MakePoint("
            ))
            .push_bind(*lon)
            .push(", ")
            .push_bind(*lat)
            .push("), 4326)::geography, ")
            .push_bind(*radius_m)
            .push(")");
        }
        SpatialFilter::BBox {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        } => {
            q.push(format!("ST_Intersects({alias}.geom, ST_MakeEnvelope("))
                .push_bind(*min_lon)
                .push(", ")
                .push_bind(*min_lat)
                .push(", ")
                .push_bind(*max_lon)
                .push(", ")
                .push_bind(*max_lat)
                .push(", 4326))");
        }
        SpatialFilter::Intersects { wkb, srid } => {
            q.push(format!(
                "ST_Intersects({alias}.geom, ST_Transform(ST_GeomFromWKB("
            ))
            .push_bind(wkb.clone())
            .push(", ")
            .push_bind(*srid)
            .push("), 4326))");
        }
    }
}
