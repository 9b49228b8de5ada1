//! Streaming GeoJSON reading: walks a FeatureCollection one feature at a time with serde, so a
//! file of any size is read in constant memory, and turns each feature into a validated row.

use crate::domain::InputCrs;
use crate::domain::import::{ImportTarget, Rejection, StagedRow, to_row};
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
) -> Result<Option<Value>, NotGeoJson> {
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

/// A file that does not read as GeoJSON, with the place where reading stopped.
#[derive(Debug, thiserror::Error)]
#[error(
    "the file is not valid GeoJSON near feature {index} (line {line}, column {column}): {reason}"
)]
pub struct NotGeoJson {
    pub index: usize,
    pub line: usize,
    pub column: usize,
    pub reason: String,
}

fn describe_json_error(e: &serde_json::Error, index: usize) -> NotGeoJson {
    NotGeoJson {
        index,
        line: e.line(),
        column: e.column(),
        reason: e.to_string(),
    }
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
                reason: reason.to_string(),
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
        assert_eq!(err.index, 1);
        assert!(
            err.to_string()
                .starts_with("the file is not valid GeoJSON near feature 1"),
            "{err}"
        );
    }
}
