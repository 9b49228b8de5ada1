//! Streaming GeoJSON reading: walks a FeatureCollection one feature at a time with serde, so a
//! file of any size is read in constant memory, and turns each feature into a validated row.

use super::{ImportTarget, Rejection, StagedRow};
use crate::domain::{GeomType, InputCrs, coords, text};
use geojson::{Feature, Geometry, Value as GeoValue};
use geozero::{CoordDimensions, ToWkb};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// What the reader hands on for each feature, in file order.
pub enum Parsed {
    Row(Box<StagedRow>),
    Rejected(Rejection),
}

/// Reads a FeatureCollection (or a single Feature) and calls `sink` for each feature, in order.
/// Returns the `crs` member if the file declares one, so the caller can compare it with `--crs`.
pub fn read_features<R: std::io::Read>(
    reader: R,
    target: ImportTarget,
    crs: InputCrs,
    sink: &mut dyn FnMut(Parsed) -> bool,
) -> Result<Option<Value>, String> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut state = Walk {
        target,
        crs,
        sink,
        index: 0,
        crs_member: None,
        stopped: false,
    };
    de::Deserializer::deserialize_map(&mut de, TopLevel { walk: &mut state })
        .map_err(|e| describe_json_error(&e, state.index))?;
    if !state.stopped {
        de.end().map_err(|e| describe_json_error(&e, state.index))?;
    }
    Ok(state.crs_member)
}

fn describe_json_error(e: &serde_json::Error, index: usize) -> String {
    format!(
        "the file is not valid GeoJSON near feature {index} (line {}, column {}): {e}",
        e.line(),
        e.column()
    )
}

struct Walk<'a> {
    target: ImportTarget,
    crs: InputCrs,
    sink: &'a mut dyn FnMut(Parsed) -> bool,
    index: usize,
    crs_member: Option<Value>,
    stopped: bool,
}

impl Walk<'_> {
    fn feature(&mut self, value: Value) {
        let index = self.index;
        self.index += 1;
        let parsed = match to_row(index, value, self.target, self.crs) {
            Ok(row) => Parsed::Row(Box::new(row)),
            Err(reason) => Parsed::Rejected(Rejection {
                index,
                code: None,
                reason,
            }),
        };
        if !(self.sink)(parsed) {
            self.stopped = true;
        }
    }
}

struct TopLevel<'a, 'b> {
    walk: &'a mut Walk<'b>,
}

impl<'de> Visitor<'de> for TopLevel<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON FeatureCollection object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut kind: Option<String> = None;
        let mut single: Map<String, Value> = Map::new();
        let mut saw_features = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => kind = Some(map.next_value()?),
                "features" => {
                    saw_features = true;
                    map.next_value_seed(FeatureList {
                        walk: &mut *self.walk,
                    })?;
                    if self.walk.stopped {
                        return Ok(());
                    }
                }
                "crs" => self.walk.crs_member = Some(map.next_value()?),
                "geometry" | "properties" | "id" => {
                    single.insert(key, map.next_value()?);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        match kind.as_deref() {
            Some("FeatureCollection") if saw_features => Ok(()),
            Some("FeatureCollection") => Err(de::Error::custom(
                "the FeatureCollection has no \"features\" member",
            )),
            Some("Feature") => {
                single.insert("type".into(), Value::String("Feature".into()));
                self.walk.feature(Value::Object(single));
                Ok(())
            }
            Some(other) => Err(de::Error::custom(format!(
                "expected a FeatureCollection or a Feature, found type {other:?}"
            ))),
            None => Err(de::Error::custom(
                "the top-level object has no \"type\" member",
            )),
        }
    }
}

struct FeatureList<'a, 'b> {
    walk: &'a mut Walk<'b>,
}

impl<'de> DeserializeSeed<'de> for FeatureList<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FeatureList<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of features")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // Each element is read as a plain JSON value first, so one malformed feature is reported
        // by its index instead of aborting the whole file.
        while let Some(value) = seq.next_element::<Value>()? {
            self.walk.feature(value);
            if self.walk.stopped {
                return Ok(());
            }
        }
        Ok(())
    }
}

/// Validates one feature against the target and converts it into a row ready for staging.
pub fn to_row(
    index: usize,
    value: Value,
    target: ImportTarget,
    crs: InputCrs,
) -> Result<StagedRow, String> {
    let feature =
        Feature::from_json_value(value).map_err(|e| format!("not a valid GeoJSON feature: {e}"))?;
    let mut props = feature.properties.unwrap_or_default();
    let code = take_text(&mut props, "code")?.ok_or("missing required property code")?;
    let mut problems = Vec::new();
    let name = match take_text(&mut props, "name") {
        Ok(Some(n)) => n,
        Ok(None) => {
            problems.push("missing required property name".to_string());
            String::new()
        }
        Err(e) => {
            problems.push(e);
            String::new()
        }
    };
    let name_en = take_text(&mut props, "name_en").unwrap_or_else(|e| {
        problems.push(e);
        None
    });
    let mut row = StagedRow {
        index,
        code,
        name,
        name_en,
        ..StagedRow::default()
    };

    match target {
        ImportTarget::Site(kind) => {
            row.ref_code = take_text(&mut props, "town_code").unwrap_or_else(|e| {
                problems.push(e);
                None
            });
            row.flag = take_bool(&mut props, "placeholder").unwrap_or_else(|e| {
                problems.push(e);
                false
            });
            match props.remove("radius_m") {
                None | Some(Value::Null) => {}
                Some(_) if kind != crate::domain::SiteKind::KeyZone => {
                    problems.push(format!("radius_m applies only to key_zone, not {kind}"));
                }
                Some(v) => match v.as_f64() {
                    Some(r) if (1.0..=50_000.0).contains(&r) => row.radius_m = Some(r),
                    _ => {
                        problems.push("radius_m must be a number of metres from 1 to 50000".into())
                    }
                },
            }
            if let Err(attr_problems) = kind.validate_attributes(&props) {
                problems.extend(attr_problems);
            }
            row.attrs = Value::Object(props);
        }
        ImportTarget::AdminArea => {
            row.level = take_text(&mut props, "level").unwrap_or_else(|e| {
                problems.push(e);
                None
            });
            match row.level.as_deref() {
                Some("province" | "city" | "district" | "town") => {}
                Some(other) => problems.push(format!(
                    "level {other:?} is not one of province, city, district, town"
                )),
                None => problems.push("missing required property level".into()),
            }
            row.ref_code = take_text(&mut props, "parent_code").unwrap_or_else(|e| {
                problems.push(e);
                None
            });
            row.flag = take_bool(&mut props, "approximate").unwrap_or_else(|e| {
                problems.push(e);
                false
            });
            row.source = take_text(&mut props, "source").unwrap_or_else(|e| {
                problems.push(e);
                None
            });
        }
    }

    match feature.geometry {
        None => problems.push("the feature has no geometry".into()),
        Some(geometry) => match to_wkb(geometry, target, crs) {
            Ok(wkb) => row.wkb = wkb,
            Err(e) => problems.push(e),
        },
    }
    if problems.is_empty() {
        Ok(row)
    } else {
        Err(problems.join("; "))
    }
}

/// The longest text a core property may have: codes as the database's codes, names and
/// sources as a project's name.
fn text_limit(key: &str) -> usize {
    match key {
        "code" | "town_code" | "parent_code" | "level" => text::CODE_MAX,
        _ => 300,
    }
}

fn take_text(props: &mut Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match props.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => {
            let trimmed = s.trim();
            text::check_length(&format!("property {key}"), trimmed, text_limit(key))
                .map_err(|e| e.to_string())?;
            Ok(Some(trimmed.to_string()))
        }
        // spreadsheets often turn numeric codes into numbers
        Some(Value::Number(n)) if n.is_u64() => Ok(Some(n.to_string())),
        Some(_) => Err(format!("property {key} must be text")),
    }
}

fn take_bool(props: &mut Map<String, Value>, key: &str) -> Result<bool, String> {
    match props.remove(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(b),
        Some(_) => Err(format!("property {key} must be true or false")),
    }
}

/// The geometry of an imported feature, checked against the target's geometry types.
fn to_wkb(geometry: Geometry, target: ImportTarget, crs: InputCrs) -> Result<Vec<u8>, String> {
    geometry_to_wkb(geometry, crs, &|found| match target {
        ImportTarget::Site(kind) => kind.check_geometry_type(found),
        ImportTarget::AdminArea if matches!(found, GeomType::Polygon | GeomType::MultiPolygon) => {
            Ok(())
        }
        ImportTarget::AdminArea => Err(format!(
            "wrong geometry type for admin_area: {} (allowed: Polygon, MultiPolygon)",
            found.name()
        )),
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SiteKind;

    fn read(text: &str, kind: SiteKind) -> (Vec<StagedRow>, Vec<Rejection>) {
        let mut rows = Vec::new();
        let mut rejected = Vec::new();
        let result = read_features(
            text.as_bytes(),
            ImportTarget::Site(kind),
            InputCrs::Wgs84,
            &mut |p| {
                match p {
                    Parsed::Row(r) => rows.push(*r),
                    Parsed::Rejected(r) => rejected.push(r),
                }
                true
            },
        );
        assert!(result.is_ok(), "{result:?}");
        (rows, rejected)
    }

    #[test]
    fn streams_features_in_any_member_order() {
        let text = r#"{"features": [
            {"type":"Feature","properties":{"code":"A","name":"a","outfall_type":"other"},"geometry":{"type":"Point","coordinates":[119.9,31.8]}},
            {"type":"Feature","properties":{"code":"B","name":"b"},"geometry":{"type":"Point","coordinates":[31.8,119.9]}},
            {"type":"Feature","properties":{"code":"C","name":"c","outfall_type":"other"},"geometry":{"type":"LineString","coordinates":[[119.9,31.8],[119.91,31.8]]}}
        ], "bbox": [1,2,3,4], "type": "FeatureCollection"}"#;
        let (rows, rejected) = read(text, SiteKind::Outfall);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].code, "A");
        assert_eq!(rejected.len(), 2);
        assert_eq!(rejected[0].index, 1);
        assert!(
            rejected[0]
                .reason
                .contains("missing required attribute outfall_type"),
            "{}",
            rejected[0].reason
        );
        assert!(
            rejected[0].reason.contains("swapped lat/lon"),
            "{}",
            rejected[0].reason
        );
        assert_eq!(rejected[1].index, 2);
        assert!(
            rejected[1].reason.contains("wrong geometry type"),
            "{}",
            rejected[1].reason
        );
    }

    #[test]
    fn unclosed_ring_is_named() {
        let text = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"P","name":"p","plot_stage":"listed"},
            "geometry":{"type":"Polygon","coordinates":[[[119.9,31.8],[119.91,31.8],[119.91,31.81],[119.9,31.81]]]}}]}"#;
        let (_, rejected) = read(text, SiteKind::ContaminatedPlot);
        assert_eq!(
            rejected[0].reason,
            "a polygon ring is not closed (first and last positions differ)"
        );
    }

    #[test]
    fn broken_json_reports_where() {
        let text = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":null}, {"#;
        let err = read_features(
            text.as_bytes(),
            ImportTarget::AdminArea,
            InputCrs::Wgs84,
            &mut |_| true,
        )
        .unwrap_err();
        assert!(
            err.starts_with("the file is not valid GeoJSON near feature 1"),
            "{err}"
        );
    }
}
