//! Geometries as clients send them: GeoJSON checked for shape, coordinates (in any accepted
//! CRS) and type, GCJ-02 converted to WGS84, and encoded as WKB for PostGIS; and search areas.

use super::crs::CoordinateError;
use super::{GeomType, InputCrs, coords};
use geojson::{Geometry, Value as GeoValue};
use geozero::{CoordDimensions, ToWkb};
use serde_json::Value;

/// Why a geometry is refused before it reaches PostGIS.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeometryError {
    #[error("the body is not valid JSON: {0}")]
    NotJson(String),
    #[error("the body is not a GeoJSON geometry: {0}")]
    NotGeoJson(String),
    #[error("the polygon has {vertices} vertices; at most {max} are accepted")]
    TooManyVertices { vertices: usize, max: usize },
    #[error("the search area must be a Polygon or MultiPolygon, not a {}", .0.name())]
    NotAnArea(GeomType),
    #[error(transparent)]
    Coordinate(#[from] CoordinateError),
    #[error("unsupported geometry: {0}")]
    Unsupported(String),
    #[error("cannot encode the geometry: {0}")]
    Encoding(String),
    /// a shape PostGIS would refuse to parse (short positions, open rings, empty parts)
    #[error("{0}")]
    Shape(&'static str),
    /// a type the target does not accept; the message lists what it does
    #[error("{0}")]
    WrongType(String),
}

/// Largest number of vertices a search polygon may have.
pub const MAX_SEARCH_VERTICES: usize = 10_000;

/// The search body's area as WKB: a GeoJSON Polygon or MultiPolygon, or a Feature holding one,
/// with coordinates in `crs`; every refusal says why.
pub fn search_area_wkb(body: &[u8], crs: InputCrs) -> Result<Vec<u8>, GeometryError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| GeometryError::NotJson(e.to_string()))?;
    let geometry_value = if value.get("type").and_then(|t| t.as_str()) == Some("Feature") {
        value.get("geometry").cloned().unwrap_or_default()
    } else {
        value
    };
    let geometry = Geometry::from_json_value(geometry_value)
        .map_err(|e| GeometryError::NotGeoJson(e.to_string()))?;
    let vertices = match &geometry.value {
        geojson::Value::Polygon(rings) => rings.iter().map(Vec::len).sum(),
        geojson::Value::MultiPolygon(polygons) => polygons.iter().flatten().map(Vec::len).sum(),
        _ => 0,
    };
    if vertices > MAX_SEARCH_VERTICES {
        return Err(GeometryError::TooManyVertices {
            vertices,
            max: MAX_SEARCH_VERTICES,
        });
    }
    geometry_to_wkb(geometry, crs, &|found| match found {
        GeomType::Polygon | GeomType::MultiPolygon => Ok(()),
        other => Err(GeometryError::NotAnArea(other)),
    })
}

/// Checks a geometry's shape, coordinates (for `crs`) and type, converts GCJ-02 to WGS84, and
/// encodes WKB, still in the input CRS for the CRSs that PostGIS transforms.
pub fn geometry_to_wkb(
    mut geometry: Geometry,
    crs: InputCrs,
    check_type: &dyn Fn(GeomType) -> Result<(), GeometryError>,
) -> Result<Vec<u8>, GeometryError> {
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
        return Err(GeometryError::Coordinate(e));
    }
    let geo = geo_types::Geometry::<f64>::try_from(geometry.value)
        .map_err(|e| GeometryError::Unsupported(e.to_string()))?;
    check_type(GeomType::of(&geo))?;
    geo.to_wkb(CoordDimensions::xy())
        .map_err(|e| GeometryError::Encoding(e.to_string()))
}

/// Rejects what PostGIS would refuse to even parse: short positions, lines of one point,
/// unclosed or degenerate rings, empty geometries.
fn check_structure(value: &GeoValue) -> Result<(), GeometryError> {
    fn position(p: &[f64]) -> Result<(), GeometryError> {
        if p.len() < 2 {
            Err(GeometryError::Shape(
                "a position needs at least two numbers",
            ))
        } else {
            Ok(())
        }
    }
    fn line(l: &[Vec<f64>]) -> Result<(), GeometryError> {
        l.iter().try_for_each(|p| position(p))?;
        if l.len() < 2 {
            Err(GeometryError::Shape(
                "a LineString needs at least two positions",
            ))
        } else {
            Ok(())
        }
    }
    fn polygon(rings: &[Vec<Vec<f64>>]) -> Result<(), GeometryError> {
        if rings.is_empty() {
            return Err(GeometryError::Shape(
                "empty geometry: a Polygon without rings",
            ));
        }
        for ring in rings {
            ring.iter().try_for_each(|p| position(p))?;
            if ring.len() < 4 {
                return Err(GeometryError::Shape(
                    "a polygon ring needs at least four positions",
                ));
            }
            if ring.first() != ring.last() {
                return Err(GeometryError::Shape(
                    "a polygon ring is not closed (first and last positions differ)",
                ));
            }
        }
        Ok(())
    }
    match value {
        GeoValue::Point(p) => position(p),
        GeoValue::MultiPoint(ps) if ps.is_empty() => Err(GeometryError::Shape(
            "empty geometry: a MultiPoint without points",
        )),
        GeoValue::MultiPoint(ps) => ps.iter().try_for_each(|p| position(p)),
        GeoValue::LineString(l) => line(l),
        GeoValue::MultiLineString(ls) if ls.is_empty() => Err(GeometryError::Shape(
            "empty geometry: a MultiLineString without lines",
        )),
        GeoValue::MultiLineString(ls) => ls.iter().try_for_each(|l| line(l)),
        GeoValue::Polygon(rings) => polygon(rings),
        GeoValue::MultiPolygon(ps) if ps.is_empty() => Err(GeometryError::Shape(
            "empty geometry: a MultiPolygon without polygons",
        )),
        GeoValue::MultiPolygon(ps) => ps.iter().try_for_each(|p| polygon(p)),
        GeoValue::GeometryCollection(_) => Err(GeometryError::Shape(
            "GeometryCollection is not accepted for sites",
        )),
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
