//! Casework (DOMAIN.md §5): the ledgers' kinds of case, their categories, channels and
//! severities, the case lifecycle with its allowed transitions, a case's editable fields with
//! the rules of each kind, who may read what, and when a petition is a likely repeat of an
//! earlier one. Overdue (not resolved by the deadline) is decided by the SQL that filters on it.

use super::choice::{Choice, choice};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

choice!(
    /// The ledger a case belongs to.
    CaseKind, "case kind", {
        /// 信访: letters, visits, the 12345 hotline, online complaints
        Petition => "petition",
        /// 隐患, found in safety and emergency inspections
        HiddenDanger => "hidden_danger",
        /// e.g. a problem found checking a firm's emergency plan
        InspectionFinding => "inspection_finding",
        /// 突出生态环境问题, handed down by higher authorities
        ProminentProblem => "prominent_problem",
    }
);

choice!(
    /// What a case is about.
    CaseCategory, "case category", {
        Air => "air",
        Water => "water",
        Noise => "noise",
        SolidWaste => "solid_waste",
        Soil => "soil",
        Other => "other",
    }
);

choice!(
    /// The channel a case came by.
    CaseSource, "case source", {
        /// 来信
        Letter => "letter",
        /// 来访
        Visit => "visit",
        /// 12345 热线
        Hotline => "hotline_12345",
        /// 网上信访
        Online => "online",
        /// found by the bureau's own inspection
        Inspection => "inspection",
        /// 上级交办
        HigherAuthority => "higher_authority",
    }
);

choice!(
    /// The severity of a hidden danger.
    Severity, "severity", {
        /// 重大风险隐患
        Major => "major",
        General => "general",
    }
);

choice!(
    /// Where a case is in its lifecycle.
    CaseStatus, "case status", {
        /// 受理 / 发现
        Received => "received",
        /// 交办: a responsible unit has it
        Assigned => "assigned",
        /// 办理中 / 整改中
        Handling => "handling",
        /// 办结 / 整改完成, with its resolution
        Resolved => "resolved",
        /// 销号: the resolution is checked
        Closed => "closed",
        /// the problem came back, or the resolution did not hold
        Reopened => "reopened",
    }
);

impl CaseStatus {
    /// The statuses a case may move to from this one.
    pub fn allowed_next(self) -> &'static [CaseStatus] {
        use CaseStatus::*;
        match self {
            Received => &[Assigned, Handling],
            Assigned => &[Handling],
            Handling => &[Resolved],
            Resolved => &[Closed, Reopened],
            Closed => &[Reopened],
            Reopened => &[Assigned, Handling],
        }
    }

    pub fn can_move_to(self, next: CaseStatus) -> bool {
        self.allowed_next().contains(&next)
    }

    /// Counted as resolved (已解决 / 已整改) in the report's figures.
    pub fn is_resolved(self) -> bool {
        matches!(self, CaseStatus::Resolved | CaseStatus::Closed)
    }

    /// The status as the report writes it.
    pub fn label(self, lang: super::choice::Lang) -> &'static str {
        use CaseStatus::*;
        let (zh, en) = match self {
            Received => ("已受理", "received"),
            Assigned => ("已交办", "assigned"),
            Handling => ("办理中", "in hand"),
            Resolved => ("已办结", "resolved"),
            Closed => ("已销号", "closed"),
            Reopened => ("重新办理", "reopened"),
        };
        lang.pick(zh, en)
    }

    /// Moving here needs a resolution text.
    pub fn needs_resolution(self) -> bool {
        self == CaseStatus::Resolved
    }
}

/// A point as GeoJSON, WGS84 longitude and latitude.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointGeometry {
    /// always "Point"
    #[serde(rename = "type")]
    pub kind: PointType,
    pub coordinates: [f64; 2],
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum PointType {
    Point,
}

/// Everything of a case that an edit may change: the case's own state, without its kind, code,
/// status and version. One struct for creating, editing, the history's snapshots and the report's
/// replay, so a field is added in one place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFields {
    /// when it was received (信访) or found (隐患, findings)
    pub received_on: NaiveDate,
    pub source: CaseSource,
    pub category: CaseCategory,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// the case's own point; without one it is placed on its site
    #[serde(default)]
    pub geometry: Option<PointGeometry>,
    #[serde(default)]
    pub site_id: Option<i64>,
    #[serde(default)]
    pub address: Option<String>,
    /// found from the place when not given
    #[serde(default)]
    pub town_code: Option<String>,
    #[serde(default)]
    pub responsible_unit: Option<String>,
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
    /// hidden dangers only, and required for them
    #[serde(default)]
    pub severity: Option<Severity>,
    /// the inspection a finding came from
    #[serde(default)]
    pub inspection: Option<String>,
    /// the reply or resolution; needed to resolve
    #[serde(default)]
    pub resolution: Option<String>,
    /// petitions only; editors alone see it
    #[serde(default)]
    pub complainant_name: Option<String>,
    #[serde(default)]
    pub complainant_phone: Option<String>,
    /// petitions only: the earlier petition this one repeats
    #[serde(default)]
    pub repeat_of: Option<i64>,
    /// the project that fixes it
    #[serde(default)]
    pub project_id: Option<i64>,
}

/// The longest text each text field takes, in characters.
const TEXT_LIMITS: [(&str, usize); 9] = [
    ("title", 200),
    ("description", 4000),
    ("address", 500),
    ("town_code", 12),
    ("responsible_unit", 200),
    ("inspection", 200),
    ("resolution", 4000),
    ("complainant_name", 100),
    ("complainant_phone", 40),
];

impl CaseFields {
    /// Trims the texts (an empty one is none) and checks the rules of the kind; the message
    /// names the field.
    pub fn checked(mut self, kind: CaseKind) -> Result<Self, String> {
        for text in [
            &mut self.description,
            &mut self.address,
            &mut self.town_code,
            &mut self.responsible_unit,
            &mut self.inspection,
            &mut self.resolution,
            &mut self.complainant_name,
            &mut self.complainant_phone,
        ] {
            *text = text
                .take()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty());
        }
        self.title = self.title.trim().to_string();
        if self.title.is_empty() {
            return Err("title must not be empty".into());
        }
        let texts = [
            Some(&self.title),
            self.description.as_ref(),
            self.address.as_ref(),
            self.town_code.as_ref(),
            self.responsible_unit.as_ref(),
            self.inspection.as_ref(),
            self.resolution.as_ref(),
            self.complainant_name.as_ref(),
            self.complainant_phone.as_ref(),
        ];
        for ((field, max), text) in TEXT_LIMITS.iter().zip(texts) {
            if text.is_some_and(|t| t.chars().count() > *max) {
                return Err(format!("{field} must have at most {max} characters"));
            }
        }
        if let Some(point) = &self.geometry {
            let [lon, lat] = point.coordinates;
            let on_earth = (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat);
            if !on_earth {
                return Err(format!(
                    "geometry: [{lon}, {lat}] is not a longitude and latitude"
                ));
            }
        }
        match (kind, self.severity) {
            (CaseKind::HiddenDanger, None) => {
                return Err("a hidden danger needs a severity: major or general".into());
            }
            (CaseKind::HiddenDanger, Some(_)) | (_, None) => {}
            (_, Some(_)) => return Err(format!("severity is for hidden dangers, not a {kind}")),
        }
        if kind != CaseKind::Petition {
            if self.complainant_name.is_some() || self.complainant_phone.is_some() {
                return Err(format!("a {kind} has no complainant"));
            }
            if self.repeat_of.is_some() {
                return Err(format!("repeat_of links petitions; this is a {kind}"));
            }
        }
        Ok(self)
    }
}

/// Who reads a case: anonymous readers never see a petition; viewers see petitions without the
/// complainant; editors see everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CaseReader {
    Public,
    Viewer,
    Editor,
}

impl CaseReader {
    pub fn of(role: Option<super::account::Role>) -> Self {
        use super::account::Role;
        match role {
            None => CaseReader::Public,
            Some(Role::Viewer) => CaseReader::Viewer,
            Some(_) => CaseReader::Editor,
        }
    }

    pub fn sees_petitions(self) -> bool {
        self >= CaseReader::Viewer
    }

    pub fn sees_complainants(self) -> bool {
        self == CaseReader::Editor
    }
}

/// The fields only editors see, wherever a case's fields appear (its JSON, history, exports).
pub const COMPLAINANT_FIELDS: [&str; 2] = ["complainant_name", "complainant_phone"];

/// The words a bureau's ledger (台账) writes for a choice, besides its code.
pub trait LedgerWords: Choice {
    const WORDS: &'static [(&'static str, Self)];

    /// The choice a ledger's cell names, by code or by one of its Chinese words.
    fn from_ledger(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Ok(choice) = Self::parse(text) {
            return Ok(choice);
        }
        let words: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        Self::WORDS
            .iter()
            .find(|(word, _)| *word == words)
            .map(|(_, choice)| *choice)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::WORDS.iter().map(|(word, _)| *word).collect();
                format!(
                    "{text:?} is not a known {} (known: {}, or the codes {})",
                    Self::WHAT,
                    known.join("、"),
                    Self::ALL
                        .iter()
                        .map(|c| c.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

impl LedgerWords for CaseSource {
    const WORDS: &'static [(&'static str, Self)] = &[
        ("来信", CaseSource::Letter),
        ("来访", CaseSource::Visit),
        ("12345", CaseSource::Hotline),
        ("12345热线", CaseSource::Hotline),
        ("热线", CaseSource::Hotline),
        ("网上信访", CaseSource::Online),
        ("网络", CaseSource::Online),
        ("网上", CaseSource::Online),
        ("检查", CaseSource::Inspection),
        ("检查发现", CaseSource::Inspection),
        ("排查", CaseSource::Inspection),
        ("上级交办", CaseSource::HigherAuthority),
        ("交办", CaseSource::HigherAuthority),
    ];
}

impl LedgerWords for CaseCategory {
    const WORDS: &'static [(&'static str, Self)] = &[
        ("大气", CaseCategory::Air),
        ("废气", CaseCategory::Air),
        ("空气", CaseCategory::Air),
        ("水", CaseCategory::Water),
        ("水环境", CaseCategory::Water),
        ("废水", CaseCategory::Water),
        ("噪声", CaseCategory::Noise),
        ("固废", CaseCategory::SolidWaste),
        ("固体废物", CaseCategory::SolidWaste),
        ("土壤", CaseCategory::Soil),
        ("其他", CaseCategory::Other),
    ];
}

impl LedgerWords for CaseStatus {
    const WORDS: &'static [(&'static str, Self)] = &[
        ("受理", CaseStatus::Received),
        ("已受理", CaseStatus::Received),
        ("待办", CaseStatus::Received),
        ("已交办", CaseStatus::Assigned),
        ("交办", CaseStatus::Assigned),
        ("办理中", CaseStatus::Handling),
        ("处理中", CaseStatus::Handling),
        ("整改中", CaseStatus::Handling),
        ("已办结", CaseStatus::Resolved),
        ("办结", CaseStatus::Resolved),
        ("已解决", CaseStatus::Resolved),
        ("已整改", CaseStatus::Resolved),
        ("整改完成", CaseStatus::Resolved),
        ("已销号", CaseStatus::Closed),
        ("销号", CaseStatus::Closed),
        ("重新办理", CaseStatus::Reopened),
        ("重办", CaseStatus::Reopened),
    ];
}

impl LedgerWords for Severity {
    const WORDS: &'static [(&'static str, Self)] = &[
        ("重大", Severity::Major),
        ("重大风险隐患", Severity::Major),
        ("重大隐患", Severity::Major),
        ("一般", Severity::General),
        ("一般隐患", Severity::General),
    ];
}

/// When an earlier petition is likely about the same thing as a new one (治理重复信访): the same
/// category, within `radius_m` metres (geodesic) and received at most `days` days before.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RepeatWindow {
    pub radius_m: f64,
    pub days: i64,
}

impl Default for RepeatWindow {
    fn default() -> Self {
        RepeatWindow {
            radius_m: 200.0,
            days: 180,
        }
    }
}

impl RepeatWindow {
    /// The rule itself; the database applies the same one to find the candidates.
    pub fn is_likely_repeat(
        &self,
        earlier: (CaseCategory, NaiveDate),
        new: (CaseCategory, NaiveDate),
        distance_m: f64,
    ) -> bool {
        let days_before = (new.1 - earlier.1).num_days();
        earlier.0 == new.0 && distance_m <= self.radius_m && (0..=self.days).contains(&days_before)
    }
}

#[cfg(test)]
mod tests {
    use super::CaseStatus::*;
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn lifecycle_table() {
        let edges: Vec<(&str, &str)> = CaseStatus::ALL
            .iter()
            .flat_map(|from| {
                from.allowed_next()
                    .iter()
                    .map(|to| (from.name(), to.name()))
            })
            .collect();
        assert_eq!(
            edges,
            [
                ("received", "assigned"),
                ("received", "handling"),
                ("assigned", "handling"),
                ("handling", "resolved"),
                ("resolved", "closed"),
                ("resolved", "reopened"),
                ("closed", "reopened"),
                ("reopened", "assigned"),
                ("reopened", "handling"),
            ]
        );
        assert!(!Received.can_move_to(Resolved), "a case is handled first");
        assert!(!Handling.can_move_to(Closed), "a case is resolved first");
        assert!(!Closed.can_move_to(Closed));
        assert!(Resolved.needs_resolution() && !Closed.needs_resolution());
        assert_eq!(
            CaseStatus::ALL.iter().filter(|s| s.is_resolved()).count(),
            2
        );
    }

    #[test]
    fn repeats_by_category_distance_and_days() {
        let window = RepeatWindow::default();
        let new = (CaseCategory::Noise, day("2025-06-30"));
        let at = |d: &str| (CaseCategory::Noise, day(d));
        assert!(window.is_likely_repeat(at("2025-06-01"), new, 200.0));
        assert!(!window.is_likely_repeat(at("2025-06-01"), new, 200.01));
        // 180 days before 2025-06-30 is 2025-01-01
        assert!(window.is_likely_repeat(at("2025-01-01"), new, 10.0));
        assert!(!window.is_likely_repeat(at("2024-12-31"), new, 10.0));
        assert!(window.is_likely_repeat(at("2025-06-30"), new, 0.0));
        assert!(
            !window.is_likely_repeat(at("2025-07-01"), new, 0.0),
            "not a later one"
        );
        assert!(!window.is_likely_repeat((CaseCategory::Air, day("2025-06-01")), new, 0.0));
    }

    #[test]
    fn ledgers_name_choices_by_code_or_in_chinese() {
        assert_eq!(
            CaseSource::from_ledger(" 12345热线 "),
            Ok(CaseSource::Hotline)
        );
        assert_eq!(CaseSource::from_ledger("visit"), Ok(CaseSource::Visit));
        assert_eq!(CaseStatus::from_ledger("已 办结"), Ok(CaseStatus::Resolved));
        assert_eq!(Severity::from_ledger("重大风险隐患"), Ok(Severity::Major));
        assert_eq!(
            CaseCategory::from_ledger("辐射").unwrap_err(),
            "\"辐射\" is not a known case category (known: 大气、废气、空气、水、水环境、废水、噪声、固废、固体废物、土壤、其他, or the codes air, water, noise, solid_waste, soil, other)"
        );
    }

    #[test]
    fn words_are_the_serialised_names() {
        assert_eq!(
            serde_json::to_value(CaseKind::HiddenDanger).unwrap(),
            "hidden_danger"
        );
        assert_eq!("hotline_12345".parse(), Ok(CaseSource::Hotline));
        assert_eq!(
            "fire".parse::<CaseCategory>().unwrap_err().to_string(),
            "unknown case category \"fire\" (known: air, water, noise, solid_waste, soil, other)"
        );
    }
}
