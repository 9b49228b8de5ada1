//! Spatial predicates shared by the site and project queries, written so PostGIS can use the
//! GiST index on `geom`: boxes and polygons directly, geodesic distances through a lon/lat box
//! that holds the whole search circle, then the exact distance on the candidates.

use crate::domain::coords::LonLatBox;
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
            push_circle_box(q, alias, *lon, *lat, *radius_m);
            q.push(format!(
                " AND ST_DWithin({alias}.geom::geography, ST_SetSRID(ST_MakePoint("
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

/// Pushes `{alias}.geom && <box>`, the index condition of a search within `radius_m` of a
/// point: every geometry with a part that near has a bounding box meeting [`circle_box`].
pub fn push_circle_box(
    q: &mut QueryBuilder<'_, Postgres>,
    alias: &'static str,
    lon: f64,
    lat: f64,
    radius_m: f64,
) {
    let b = circle_box(lon, lat, radius_m);
    q.push(format!("{alias}.geom && ST_MakeEnvelope("))
        .push_bind(b.min_lon)
        .push(", ")
        .push_bind(b.min_lat)
        .push(", ")
        .push_bind(b.max_lon)
        .push(", ")
        .push_bind(b.max_lat)
        .push(", 4326)");
}

/// The shortest degree of latitude on the GRS80/WGS84 ellipsoid (at the equator): a(1 - e²)·π/180.
const SHORTEST_DEGREE_OF_LATITUDE_M: f64 = 110_574.0;
/// The ellipsoid's smallest radius of curvature, a(1 - e²): no geodesic turns through a larger
/// angle per metre.
const SMALLEST_RADIUS_OF_CURVATURE_M: f64 = 6_335_439.0;
/// Head room over the bounds above, for rounding and the sphere standing in for the ellipsoid.
const BOX_MARGIN: f64 = 1.01;

/// A box holding every point within `radius_m` geodesic metres of (`lon`, `lat`).
///
/// PostGIS's geography index answers a distance search too, but a box search on the plain 2D
/// index followed by one exact distance per candidate costs about two thirds as much
/// (bench/RESULTS.md). The box is a little larger than the circle, never smaller: its
/// latitude half-height is the radius over the shortest degree of latitude, and its longitude
/// half-width the longitude a great circle of that radius reaches at the box's most polar
/// latitude. Near a pole or the antimeridian it spans every longitude.
pub fn circle_box(lon: f64, lat: f64, radius_m: f64) -> LonLatBox {
    let half_height = radius_m / SHORTEST_DEGREE_OF_LATITUDE_M * BOX_MARGIN;
    let min_lat = (lat - half_height).max(-90.0);
    let max_lat = (lat + half_height).min(90.0);
    let most_polar = min_lat.abs().max(max_lat.abs()).to_radians();
    let angle = radius_m / SMALLEST_RADIUS_OF_CURVATURE_M * BOX_MARGIN;
    let sin_half_width = angle.sin() / most_polar.cos();
    let every_longitude = LonLatBox {
        min_lon: -180.0,
        min_lat,
        max_lon: 180.0,
        max_lat,
    };
    if !sin_half_width.is_finite() || sin_half_width >= 1.0 {
        return every_longitude;
    }
    let half_width = sin_half_width.asin().to_degrees();
    if lon - half_width < -180.0 || lon + half_width > 180.0 {
        return every_longitude;
    }
    LonLatBox {
        min_lon: lon - half_width,
        min_lat,
        max_lon: lon + half_width,
        max_lat,
    }
}

/// The area of a geometry's lon/lat bounding box (WKB in `srid`), in square degrees.
pub async fn extent_square_degrees(
    conn: &mut sqlx::PgConnection,
    wkb: &[u8],
    srid: i32,
) -> sqlx::Result<f64> {
    sqlx::query_scalar!(
        r#"SELECT ST_Area(Box2D(ST_Transform(ST_GeomFromWKB($1, $2), 4326))::geometry) AS "area!""#,
        wkb,
        srid
    )
    .fetch_one(conn)
    .await
}

/// A point in a projected CRS (`srid`) as WGS84 lon/lat, transformed by PostGIS.
pub async fn to_wgs84<'e>(
    db: impl sqlx::PgExecutor<'e>,
    x: f64,
    y: f64,
    srid: i32,
) -> sqlx::Result<(f64, f64)> {
    let point = sqlx::query!(
        r#"SELECT ST_X(p) AS "x!", ST_Y(p) AS "y!" FROM ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), $3), 4326) p"#,
        x,
        y,
        srid
    )
    .fetch_one(db)
    .await?;
    Ok((point.x, point.y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_in_jiangsu_is_a_little_wider_than_tall() {
        let b = circle_box(119.95, 31.78, 3000.0);
        assert!((b.max_lat - b.min_lat - 2.0 * 3000.0 / 110_574.0 * 1.01).abs() < 1e-12);
        // a degree of longitude at 31.8°N is about 94.7 km
        let width_m = (b.max_lon - b.min_lon) * 94_700.0;
        assert!(width_m > 6000.0 && width_m < 6200.0, "{width_m}");
        assert!(((b.min_lon + b.max_lon) / 2.0 - 119.95).abs() < 1e-12);
    }

    #[test]
    fn near_a_pole_or_the_antimeridian_the_box_spans_every_longitude() {
        let polar = circle_box(10.0, 89.99, 5000.0);
        assert_eq!(
            (polar.min_lon, polar.max_lon, polar.max_lat),
            (-180.0, 180.0, 90.0)
        );
        let dateline = circle_box(179.99, 0.0, 5000.0);
        assert_eq!((dateline.min_lon, dateline.max_lon), (-180.0, 180.0));
        let west = circle_box(-179.99, 0.0, 5000.0);
        assert_eq!((west.min_lon, west.max_lon), (-180.0, 180.0));
    }
}
