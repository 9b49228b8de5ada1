//! What an import is made of, as pure data: the target of a file (sites of one kind, or
//! administrative areas), one validated feature ready to be staged, the reason a feature was
//! refused, and the validation of one GeoJSON feature into a row. Shared by the import
//! pipeline, the database layer that stages and exports rows, and the site write path.

use super::geometry::{GeometryError, geometry_to_wkb};
use super::site_kind::UnknownKind;
use super::{GeomType, InputCrs, SiteKind, text};
use geojson::{Feature, Geometry};
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

/// What a file is imported into: sites of one kind, or administrative areas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportTarget {
    Site(SiteKind),
    AdminArea,
}

impl ImportTarget {
    pub fn name(self) -> &'static str {
        match self {
            ImportTarget::Site(kind) => kind.as_str(),
            ImportTarget::AdminArea => "admin_area",
        }
    }
}

impl fmt::Display for ImportTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ImportTarget {
    type Err = UnknownTarget;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "admin_area" {
            return Ok(ImportTarget::AdminArea);
        }
        s.parse::<SiteKind>()
            .map(ImportTarget::Site)
            .map_err(UnknownTarget)
    }
}

/// A name that is neither a site kind nor admin_area.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}, or admin_area")]
pub struct UnknownTarget(pub UnknownKind);

/// Every reason one feature was refused, in the order found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.join("; "))]
pub struct FeatureRejected(pub Vec<String>);

/// A core property of a feature that is not what it should be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PropertyProblem {
    #[error("property {0} must be text")]
    NotText(String),
    #[error("property {0} must be true or false")]
    NotBool(String),
    #[error(transparent)]
    TooLong(#[from] text::TooLong),
}

/// What to do with a feature whose code is already in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnExisting {
    /// Reject the file (the `import` command).
    Reject,
    /// Leave the stored row as it is and skip the feature (seeding, which must be idempotent).
    Skip,
}

#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    pub target: ImportTarget,
    pub crs: InputCrs,
    /// Repair invalid geometries with `ST_MakeValid` instead of rejecting them.
    pub repair: bool,
    pub on_existing: OnExisting,
}

/// One feature, validated and ready to be staged. Field meaning depends on the target:
/// `ref_code` is the town code of a site or the parent code of an admin area; `flag` is a
/// site's `placeholder` or an admin area's `approximate`.
#[derive(Debug, Default, Clone)]
pub struct StagedRow {
    pub index: usize,
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub ref_code: Option<String>,
    pub flag: bool,
    pub radius_m: Option<f64>,
    pub level: Option<String>,
    pub source: Option<String>,
    pub attrs: Value,
    /// empty for a row that is placed by `place_code`
    pub wkb: Vec<u8>,
    /// a sheet row placed on a stored site: the site's code, whose point it takes
    pub place_code: Option<String>,
}

/// Why one feature (numbered from 0 in file order) was refused.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Rejection {
    pub index: usize,
    pub code: Option<String>,
    pub reason: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "feature {} (code {code}): {}", self.index, self.reason),
            None => write!(f, "feature {}: {}", self.index, self.reason),
        }
    }
}

/// Validates one feature against the target and converts it into a row ready for staging.
pub fn to_row(
    index: usize,
    value: Value,
    target: ImportTarget,
    crs: InputCrs,
) -> Result<StagedRow, FeatureRejected> {
    let rejected = |why: String| FeatureRejected(vec![why]);
    let feature = Feature::from_json_value(value)
        .map_err(|e| rejected(format!("not a valid GeoJSON feature: {e}")))?;
    let mut props = feature.properties.unwrap_or_default();
    let code = take_text(&mut props, "code")
        .map_err(|e| rejected(e.to_string()))?
        .ok_or_else(|| rejected("missing required property code".into()))?;
    let mut problems: Vec<String> = Vec::new();
    let name = match take_text(&mut props, "name") {
        Ok(Some(n)) => n,
        Ok(None) => {
            problems.push("missing required property name".to_string());
            String::new()
        }
        Err(e) => {
            problems.push(e.to_string());
            String::new()
        }
    };
    let name_en = take_text(&mut props, "name_en").unwrap_or_else(|e| {
        problems.push(e.to_string());
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
                problems.push(e.to_string());
                None
            });
            row.flag = take_bool(&mut props, "placeholder").unwrap_or_else(|e| {
                problems.push(e.to_string());
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
                problems.extend(attr_problems.iter().map(ToString::to_string));
            }
            row.attrs = Value::Object(props);
        }
        ImportTarget::AdminArea => {
            row.level = take_text(&mut props, "level").unwrap_or_else(|e| {
                problems.push(e.to_string());
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
                problems.push(e.to_string());
                None
            });
            row.flag = take_bool(&mut props, "approximate").unwrap_or_else(|e| {
                problems.push(e.to_string());
                false
            });
            row.source = take_text(&mut props, "source").unwrap_or_else(|e| {
                problems.push(e.to_string());
                None
            });
        }
    }

    match feature.geometry {
        None => problems.push("the feature has no geometry".into()),
        Some(geometry) => match to_wkb(geometry, target, crs) {
            Ok(wkb) => row.wkb = wkb,
            Err(e) => problems.push(e.to_string()),
        },
    }
    if problems.is_empty() {
        Ok(row)
    } else {
        Err(FeatureRejected(problems))
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

fn take_text(props: &mut Map<String, Value>, key: &str) -> Result<Option<String>, PropertyProblem> {
    match props.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => {
            let trimmed = s.trim();
            text::check_length(&format!("property {key}"), trimmed, text_limit(key))?;
            Ok(Some(trimmed.to_string()))
        }
        // spreadsheets often turn numeric codes into numbers
        Some(Value::Number(n)) if n.is_u64() => Ok(Some(n.to_string())),
        Some(_) => Err(PropertyProblem::NotText(key.to_string())),
    }
}

fn take_bool(props: &mut Map<String, Value>, key: &str) -> Result<bool, PropertyProblem> {
    match props.remove(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(b),
        Some(_) => Err(PropertyProblem::NotBool(key.to_string())),
    }
}

/// The geometry of an imported feature, checked against the target's geometry types.
fn to_wkb(
    geometry: Geometry,
    target: ImportTarget,
    crs: InputCrs,
) -> Result<Vec<u8>, GeometryError> {
    geometry_to_wkb(geometry, crs, &|found| match target {
        ImportTarget::Site(kind) => kind
            .check_geometry_type(found)
            .map_err(|e| GeometryError::WrongType(e.to_string())),
        ImportTarget::AdminArea if matches!(found, GeomType::Polygon | GeomType::MultiPolygon) => {
            Ok(())
        }
        ImportTarget::AdminArea => Err(GeometryError::WrongType(format!(
            "wrong geometry type for admin_area: {} (allowed: Polygon, MultiPolygon)",
            found.name()
        ))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        assert_eq!("admin_area".parse(), Ok(ImportTarget::AdminArea));
        assert_eq!("river".parse(), Ok(ImportTarget::Site(SiteKind::River)));
        assert!("lake".parse::<ImportTarget>().is_err());
    }
}
