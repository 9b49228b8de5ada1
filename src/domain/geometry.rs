//! Geometries as clients send them: GeoJSON checked for shape, coordinates (in any accepted
//! CRS) and type, GCJ-02 converted to WGS84, and encoded as WKB for PostGIS; and search areas.

use super::{GeomType, InputCrs, coords};
use geojson::{Geometry, Value as GeoValue};
use geozero::{CoordDimensions, ToWkb};
use serde_json::Value;

/// Largest number of vertices a search polygon may have.
pub const MAX_SEARCH_VERTICES: usize = 10_000;

/// The search body's area as WKB: a GeoJSON Polygon or MultiPolygon, or a Feature holding one,
/// with coordinates in `crs`; every refusal says why.
pub fn search_area_wkb(body: &[u8], crs: InputCrs) -> Result<Vec<u8>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not valid JSON: {e}"))?;
    let geometry_value = if value.get("type").and_then(|t| t.as_str()) == Some("Feature") {
        value.get("geometry").cloned().unwrap_or_default()
    } else {
        value
    };
    let geometry = Geometry::from_json_value(geometry_value)
        .map_err(|e| format!("the body is not a GeoJSON geometry: {e}"))?;
    let vertices = match &geometry.value {
        geojson::Value::Polygon(rings) => rings.iter().map(Vec::len).sum(),
        geojson::Value::MultiPolygon(polygons) => polygons.iter().flatten().map(Vec::len).sum(),
        _ => 0,
    };
    if vertices > MAX_SEARCH_VERTICES {
        return Err(format!(
            "the polygon has {vertices} vertices; at most {MAX_SEARCH_VERTICES} are accepted"
        ));
    }
    geometry_to_wkb(geometry, crs, &|found| match found {
        GeomType::Polygon | GeomType::MultiPolygon => Ok(()),
        other => Err(format!(
            "the search area must be a Polygon or MultiPolygon, not a {}",
            other.name()
        )),
    })
}

/// Checks a geometry's shape, coordinates (for `crs`) and type, converts GCJ-02 to WGS84, and
/// encodes WKB, still in the input CRS for the CRSs that PostGIS transforms.
pub fn geometry_to_wkb(
    mut geometry: Geometry,
    crs: InputCrs,
    check_type: &dyn Fn(GeomType) -> Result<(), String>,
) -> Result<Vec<u8>, String> {
    check_structure(&geometry.value)?;
    let mut coord_problem = None;
    for_each_position(&mut geometry.value, &mut |pos| {
        if coord_problem.is_some() {
            return;
        }
        if let Err(e) = crs.check_coordinate(pos[0], pos[1]) {
            coord_problem = Some(e);
            return;
        }
        if crs == InputCrs::Gcj02 {
            let (lon, lat) = coords::gcj02_to_wgs84(pos[0], pos[1]);
            pos[0] = lon;
            pos[1] = lat;
        }
        pos.truncate(2);
    });
    if let Some(e) = coord_problem {
        return Err(e);
    }
    let geo: geo_types::Geometry<f64> = geometry
        .value
        .try_into()
        .map_err(|e| format!("unsupported geometry: {e}"))?;
    check_type(GeomType::of(&geo))?;
    geo.to_wkb(CoordDimensions::xy())
        .map_err(|e| format!("cannot encode the geometry: {e}"))
}

/// Rejects what PostGIS would refuse to even parse: short positions, lines of one point,
/// unclosed or degenerate rings, empty geometries.
fn check_structure(value: &GeoValue) -> Result<(), String> {
    fn position(p: &[f64]) -> Result<(), String> {
        if p.len() < 2 {
            Err("a position needs at least two numbers".into())
        } else {
            Ok(())
        }
    }
    fn line(l: &[Vec<f64>]) -> Result<(), String> {
        l.iter().try_for_each(|p| position(p))?;
        if l.len() < 2 {
            Err("a LineString needs at least two positions".into())
        } else {
            Ok(())
        }
    }
    fn polygon(rings: &[Vec<Vec<f64>>]) -> Result<(), String> {
        if rings.is_empty() {
            return Err("empty geometry: a Polygon without rings".into());
        }
        for ring in rings {
            ring.iter().try_for_each(|p| position(p))?;
            if ring.len() < 4 {
                return Err("a polygon ring needs at least four positions".into());
            }
            if ring.first() != ring.last() {
                return Err(
                    "a polygon ring is not closed (first and last positions differ)".into(),
                );
            }
        }
        Ok(())
    }
    match value {
        GeoValue::Point(p) => position(p),
        GeoValue::MultiPoint(ps) if ps.is_empty() => {
            Err("empty geometry: a MultiPoint without points".into())
        }
        GeoValue::MultiPoint(ps) => ps.iter().try_for_each(|p| position(p)),
        GeoValue::LineString(l) => line(l),
        GeoValue::MultiLineString(ls) if ls.is_empty() => {
            Err("empty geometry: a MultiLineString without lines".into())
        }
        GeoValue::MultiLineString(ls) => ls.iter().try_for_each(|l| line(l)),
        GeoValue::Polygon(rings) => polygon(rings),
        GeoValue::MultiPolygon(ps) if ps.is_empty() => {
            Err("empty geometry: a MultiPolygon without polygons".into())
        }
        GeoValue::MultiPolygon(ps) => ps.iter().try_for_each(|p| polygon(p)),
        GeoValue::GeometryCollection(_) => {
            Err("GeometryCollection is not accepted for sites".into())
        }
    }
}

fn for_each_position(value: &mut GeoValue, f: &mut dyn FnMut(&mut Vec<f64>)) {
    match value {
        GeoValue::Point(p) => f(p),
        GeoValue::MultiPoint(ps) | GeoValue::LineString(ps) => ps.iter_mut().for_each(f),
        GeoValue::MultiLineString(ls) | GeoValue::Polygon(ls) => {
            ls.iter_mut().flatten().for_each(f)
        }
        GeoValue::MultiPolygon(ps) => ps.iter_mut().flatten().flatten().for_each(f),
        GeoValue::GeometryCollection(gs) => gs
            .iter_mut()
            .for_each(|g| for_each_position(&mut g.value, f)),
    }
}
