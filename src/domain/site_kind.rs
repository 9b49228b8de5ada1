//! Site kinds, the geometry types each accepts, and their kind-specific attributes
//! (documented in `docs/site-kinds.md`; the database enforces kinds and geometry types too).

use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

/// Every kind of mapped thing. The names are shared by the CLI, API, tiles and OGC collections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    River,
    BlackOdorWater,
    ContaminatedPlot,
    KeyZone,
    MonitoringSection,
    Outfall,
    Enterprise,
    Facility,
}

/// Geometry types as PostGIS `GeometryType()` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeomType {
    Point,
    MultiPoint,
    LineString,
    MultiLineString,
    Polygon,
    MultiPolygon,
    GeometryCollection,
}

impl GeomType {
    pub fn of(geometry: &geo_types::Geometry<f64>) -> Self {
        use geo_types::Geometry as G;
        match geometry {
            G::Point(_) => Self::Point,
            G::MultiPoint(_) => Self::MultiPoint,
            G::Line(_) | G::LineString(_) => Self::LineString,
            G::MultiLineString(_) => Self::MultiLineString,
            G::Polygon(_) | G::Rect(_) | G::Triangle(_) => Self::Polygon,
            G::MultiPolygon(_) => Self::MultiPolygon,
            G::GeometryCollection(_) => Self::GeometryCollection,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Point => "Point",
            Self::MultiPoint => "MultiPoint",
            Self::LineString => "LineString",
            Self::MultiLineString => "MultiLineString",
            Self::Polygon => "Polygon",
            Self::MultiPolygon => "MultiPolygon",
            Self::GeometryCollection => "GeometryCollection",
        }
    }
}

/// The value type of one kind-specific attribute.
#[derive(Debug, Clone, Copy)]
pub enum AttrType {
    Text,
    Bool,
    PositiveNumber,
    Enum(&'static [&'static str]),
    IntEnum(&'static [i64]),
    TextList,
    EnumList(&'static [&'static str]),
}

#[derive(Debug, Clone, Copy)]
pub struct AttrSpec {
    pub name: &'static str,
    pub ty: AttrType,
    pub required: bool,
    /// shown to logged-in users only: personal contact details and the like
    pub staff_only: bool,
}

/// Who reads a site: staff (any logged-in user) see every attribute, the public only the
/// attributes that are not staff-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Public,
    Staff,
}

const fn req(name: &'static str, ty: AttrType) -> AttrSpec {
    AttrSpec {
        name,
        ty,
        required: true,
        staff_only: false,
    }
}
const fn opt(name: &'static str, ty: AttrType) -> AttrSpec {
    AttrSpec {
        name,
        ty,
        required: false,
        staff_only: false,
    }
}
const fn staff(name: &'static str, ty: AttrType) -> AttrSpec {
    AttrSpec {
        name,
        ty,
        required: false,
        staff_only: true,
    }
}

const WATER_TARGET: &[&str] = &["I", "II", "III", "IV", "V"];
const WATER_CLASS: &[&str] = &["I", "II", "III", "IV", "V", "worse_than_V"];

const RIVER_ATTRS: &[AttrSpec] = &[
    req("river_class", AttrType::Enum(&["main", "tributary"])),
    opt("length_km", AttrType::PositiveNumber),
    opt("water_target", AttrType::Enum(WATER_TARGET)),
    opt("water_class", AttrType::Enum(WATER_CLASS)),
    opt("river_chief", AttrType::Text),
    opt("one_river_one_policy", AttrType::Bool),
];
const BLACK_ODOR_ATTRS: &[AttrSpec] = &[
    req("category", AttrType::Enum(&["tributary", "backyard"])),
    opt("severity", AttrType::Enum(&["light", "severe"])),
    opt("village", AttrType::Text),
    opt("length_m", AttrType::PositiveNumber),
];
const PLOT_ATTRS: &[AttrSpec] = &[
    req(
        "plot_stage",
        AttrType::Enum(&[
            "suspected",
            "survey",
            "risk_assessment",
            "listed",
            "risk_control",
            "remediation",
            "effect_assessment",
            "delisted",
        ]),
    ),
    opt("land_use_class", AttrType::IntEnum(&[1, 2])),
    opt("pollutants", AttrType::TextList),
    opt(
        "control_mode",
        AttrType::Enum(&["institutional", "engineering"]),
    ),
    opt("priority_list", AttrType::Bool),
    opt("area_m2", AttrType::PositiveNumber),
];
const KEY_ZONE_ATTRS: &[AttrSpec] = &[
    opt(
        "zone_type",
        AttrType::Enum(&["air_station", "key_area", "other"]),
    ),
    opt("description", AttrType::Text),
    // what the zone's clearance counts (domain::zone): air by default
    opt(
        "campaign_category",
        AttrType::Enum(&super::project::CATEGORIES),
    ),
    opt("campaign_programme", AttrType::Text),
];
const SECTION_ATTRS: &[AttrSpec] = &[
    req(
        "level",
        AttrType::Enum(&["national", "provincial", "city", "district"]),
    ),
    opt("river_code", AttrType::Text),
    // lakes and reservoirs are graded with their own phosphorus limits and on nitrogen
    opt("water_body", AttrType::Enum(&["river", "lake"])),
    opt("water_target", AttrType::Enum(WATER_TARGET)),
    opt("water_class", AttrType::Enum(WATER_CLASS)),
];
const OUTFALL_ATTRS: &[AttrSpec] = &[
    req(
        "outfall_type",
        AttrType::Enum(&["industrial", "wwtp", "agricultural", "other"]),
    ),
    opt("receiving_water", AttrType::Text),
    opt(
        "stage",
        AttrType::Enum(&["investigate", "monitor", "trace", "treat"]),
    ),
];
const ENTERPRISE_ATTRS: &[AttrSpec] = &[
    req(
        "sectors",
        AttrType::EnumList(&[
            "lighting",
            "vocs",
            "pickling_phosphating",
            "phosphorus",
            "rain_sewage",
            "hazardous_waste",
            "hazardous_waste_producer",
            "soil_key_unit",
            "groundwater_key_unit",
            "textile",
            "wharf",
            "catering",
            "other",
        ]),
    ),
    opt("credit_code", AttrType::Text),
    opt("address", AttrType::Text),
    staff("contact_person", AttrType::Text),
    staff("contact_phone", AttrType::Text),
];
const FACILITY_ATTRS: &[AttrSpec] = &[
    req(
        "facility_type",
        AttrType::Enum(&[
            "pumping_station",
            "logistics_park",
            "emergency_depot",
            "observation_station",
            "school",
            "wastewater_plant",
            "other",
        ]),
    ),
    opt("capacity", AttrType::Text),
];

fn is_staff_only(kind: SiteKind, name: &str) -> bool {
    kind.attributes()
        .iter()
        .any(|spec| spec.staff_only && spec.name == name)
}

/// Whether an attribute of this name is staff-only in any kind: a site's history may outlive
/// the site, so its fields are redacted without knowing the kind.
pub fn staff_only_in_any_kind(name: &str) -> bool {
    SiteKind::ALL.iter().any(|&kind| is_staff_only(kind, name))
}

/// The kind names, for validating filters.
pub const KIND_NAMES: [&str; 8] = [
    "river",
    "black_odor_water",
    "contaminated_plot",
    "key_zone",
    "monitoring_section",
    "outfall",
    "enterprise",
    "facility",
];

impl SiteKind {
    pub const ALL: [SiteKind; 8] = [
        SiteKind::River,
        SiteKind::BlackOdorWater,
        SiteKind::ContaminatedPlot,
        SiteKind::KeyZone,
        SiteKind::MonitoringSection,
        SiteKind::Outfall,
        SiteKind::Enterprise,
        SiteKind::Facility,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SiteKind::River => "river",
            SiteKind::BlackOdorWater => "black_odor_water",
            SiteKind::ContaminatedPlot => "contaminated_plot",
            SiteKind::KeyZone => "key_zone",
            SiteKind::MonitoringSection => "monitoring_section",
            SiteKind::Outfall => "outfall",
            SiteKind::Enterprise => "enterprise",
            SiteKind::Facility => "facility",
        }
    }

    pub fn allowed_geometries(self) -> &'static [GeomType] {
        use GeomType::*;
        match self {
            SiteKind::River => &[LineString, MultiLineString],
            SiteKind::BlackOdorWater => &[LineString, MultiLineString, Polygon, MultiPolygon],
            SiteKind::ContaminatedPlot => &[Polygon, MultiPolygon],
            SiteKind::KeyZone => &[Point, Polygon, MultiPolygon],
            SiteKind::MonitoringSection | SiteKind::Outfall => &[Point],
            SiteKind::Enterprise | SiteKind::Facility => &[Point, Polygon, MultiPolygon],
        }
    }

    pub fn attributes(self) -> &'static [AttrSpec] {
        match self {
            SiteKind::River => RIVER_ATTRS,
            SiteKind::BlackOdorWater => BLACK_ODOR_ATTRS,
            SiteKind::ContaminatedPlot => PLOT_ATTRS,
            SiteKind::KeyZone => KEY_ZONE_ATTRS,
            SiteKind::MonitoringSection => SECTION_ATTRS,
            SiteKind::Outfall => OUTFALL_ATTRS,
            SiteKind::Enterprise => ENTERPRISE_ATTRS,
            SiteKind::Facility => FACILITY_ATTRS,
        }
    }

    /// The attributes `audience` may see (and filter on).
    pub fn visible_attributes(self, audience: Audience) -> impl Iterator<Item = &'static AttrSpec> {
        self.attributes()
            .iter()
            .filter(move |spec| audience == Audience::Staff || !spec.staff_only)
    }

    /// Removes from `attrs` what `audience` may not see.
    pub fn redact(self, attrs: &mut Map<String, Value>, audience: Audience) {
        if audience == Audience::Public {
            attrs.retain(|name, _| !is_staff_only(self, name));
        }
    }

    /// Checks the geometry type; the message lists what the kind accepts.
    pub fn check_geometry_type(self, found: GeomType) -> Result<(), WrongGeometryType> {
        if self.allowed_geometries().contains(&found) {
            return Ok(());
        }
        Err(WrongGeometryType { kind: self, found })
    }

    /// Validates kind-specific attributes; every problem is reported, not just the first.
    pub fn validate_attributes(
        self,
        attrs: &Map<String, Value>,
    ) -> Result<(), Vec<AttributeProblem>> {
        let specs = self.attributes();
        let mut problems = Vec::new();
        for spec in specs {
            match attrs.get(spec.name) {
                None | Some(Value::Null) if spec.required => {
                    problems.push(AttributeProblem::Missing(spec.name));
                }
                None | Some(Value::Null) => {}
                Some(value) => {
                    if let Err(why) = check_value(spec.ty, value) {
                        problems.push(AttributeProblem::Invalid {
                            name: spec.name,
                            why,
                        });
                    }
                }
            }
        }
        for name in attrs.keys() {
            if !specs.iter().any(|s| s.name == name) {
                problems.push(AttributeProblem::Unknown {
                    name: name.clone(),
                    kind: self,
                });
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

fn names(kind: SiteKind) -> String {
    let names: Vec<&str> = kind.attributes().iter().map(|s| s.name).collect();
    names.join(", ")
}

fn geometry_names(kind: SiteKind) -> String {
    let names: Vec<&str> = kind.allowed_geometries().iter().map(|g| g.name()).collect();
    names.join(", ")
}

/// A geometry type the kind does not accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("wrong geometry type for kind {kind}: {} (allowed: {})", found.name(), geometry_names(*kind))]
pub struct WrongGeometryType {
    pub kind: SiteKind,
    pub found: GeomType,
}

/// One problem with a site's kind-specific attributes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttributeProblem {
    #[error("missing required attribute {0}")]
    Missing(&'static str),
    #[error("attribute {name}: {why}")]
    Invalid {
        name: &'static str,
        why: ValueProblem,
    },
    #[error("unknown attribute {name} for kind {kind} (known: {})", names(*kind))]
    Unknown { name: String, kind: SiteKind },
}

/// Why a value does not fit its attribute's type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueProblem {
    #[error("must be at most {0} characters")]
    TooLong(usize),
    #[error("must be text")]
    NotText,
    #[error("must be true or false")]
    NotBool,
    #[error("must be a number greater than 0")]
    NotPositive,
    #[error("must be one of {}", .0.join(", "))]
    NotOneOf(&'static [&'static str]),
    #[error("must be one of {}", .0.iter().map(i64::to_string).collect::<Vec<_>>().join(", "))]
    NotOneOfNumbers(&'static [i64]),
    #[error("must be a list of text")]
    NotTextList,
    #[error("must be a non-empty list of {}", .0.join(", "))]
    NotListOf(&'static [&'static str]),
}

fn check_value(ty: AttrType, value: &Value) -> Result<(), ValueProblem> {
    use super::text::ATTRIBUTE_TEXT_MAX;
    match ty {
        AttrType::Text => match value {
            Value::String(s) if s.chars().nth(ATTRIBUTE_TEXT_MAX).is_some() => {
                Err(ValueProblem::TooLong(ATTRIBUTE_TEXT_MAX))
            }
            Value::String(_) => Ok(()),
            _ => Err(ValueProblem::NotText),
        },
        AttrType::Bool => match value {
            Value::Bool(_) => Ok(()),
            _ => Err(ValueProblem::NotBool),
        },
        AttrType::PositiveNumber => match value.as_f64() {
            Some(n) if n.is_finite() && n > 0.0 => Ok(()),
            _ => Err(ValueProblem::NotPositive),
        },
        AttrType::Enum(allowed) => match value.as_str() {
            Some(s) if allowed.contains(&s) => Ok(()),
            _ => Err(ValueProblem::NotOneOf(allowed)),
        },
        AttrType::IntEnum(allowed) => match value.as_i64() {
            Some(n) if allowed.contains(&n) => Ok(()),
            _ => Err(ValueProblem::NotOneOfNumbers(allowed)),
        },
        AttrType::TextList => match value {
            Value::Array(items) if items.iter().all(Value::is_string) => Ok(()),
            _ => Err(ValueProblem::NotTextList),
        },
        AttrType::EnumList(allowed) => match value {
            Value::Array(items)
                if !items.is_empty()
                    && items
                        .iter()
                        .all(|i| i.as_str().is_some_and(|s| allowed.contains(&s))) =>
            {
                Ok(())
            }
            _ => Err(ValueProblem::NotListOf(allowed)),
        },
    }
}

impl fmt::Display for SiteKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is no site kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown site kind {given:?} (known: {})", KIND_NAMES.join(", "))]
pub struct UnknownKind {
    pub given: String,
}

impl FromStr for SiteKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SiteKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind {
                given: s.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attrs(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn kind_names_round_trip() {
        for kind in SiteKind::ALL {
            assert_eq!(kind.as_str().parse::<SiteKind>(), Ok(kind));
        }
        assert_eq!(SiteKind::ALL.map(SiteKind::as_str), KIND_NAMES);
        assert!("lake".parse::<SiteKind>().is_err());
    }

    #[test]
    fn attributes_are_checked_per_kind() {
        let ok = attrs(json!({"category": "backyard", "severity": "light"}));
        assert_eq!(SiteKind::BlackOdorWater.validate_attributes(&ok), Ok(()));

        let bad = attrs(json!({"severity": "awful", "colour": "black"}));
        let problems: Vec<String> = SiteKind::BlackOdorWater
            .validate_attributes(&bad)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            problems,
            vec![
                "missing required attribute category".to_string(),
                "attribute severity: must be one of light, severe".to_string(),
                "unknown attribute colour for kind black_odor_water (known: category, severity, village, length_m)".to_string(),
            ]
        );
        let sectors = attrs(json!({"sectors": []}));
        assert!(SiteKind::Enterprise.validate_attributes(&sectors).is_err());
        let plot = attrs(json!({"plot_stage": "listed", "land_use_class": 3}));
        assert_eq!(
            SiteKind::ContaminatedPlot
                .validate_attributes(&plot)
                .unwrap_err()[0]
                .to_string(),
            "attribute land_use_class: must be one of 1, 2"
        );
    }

    #[test]
    fn geometry_type_per_kind() {
        assert!(
            SiteKind::River
                .check_geometry_type(GeomType::LineString)
                .is_ok()
        );
        assert_eq!(
            SiteKind::River
                .check_geometry_type(GeomType::Point)
                .unwrap_err()
                .to_string(),
            "wrong geometry type for kind river: Point (allowed: LineString, MultiLineString)"
        );
    }
}
