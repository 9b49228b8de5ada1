//! The report's casework figures as of its cut-off, replayed from the cases' histories (so that
//! a later edit never changes an earlier report): petitions received since 1 January, resolved
//! and in progress; hidden dangers found, major, rectified and in progress; each inspection's
//! firms and findings; each prominent problem with its latest progress note. Also the rows of
//! the xlsx sheet of each kind, petitions as counts only (the report is public).

use crate::domain::casework::{CaseKind, CaseStatus};
use crate::domain::choice::Lang;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use futures_util::TryStreamExt;
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::PgConnection;
use sqlx::types::Json;
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Debug, Clone, Default, Serialize)]
pub struct PetitionFigures {
    pub received: usize,
    pub resolved: usize,
    pub in_progress: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DangerFigures {
    pub found: usize,
    pub major: usize,
    pub rectified: usize,
    pub in_progress: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct InspectionFigures {
    pub name: String,
    /// distinct sites the findings are at
    pub firms: usize,
    pub findings: usize,
    pub rectified: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseRow {
    pub code: String,
    pub kind: String,
    pub received_on: Option<NaiveDate>,
    pub category: String,
    pub title: String,
    pub status: String,
    pub status_label: String,
    pub deadline: Option<NaiveDate>,
    pub responsible_unit: Option<String>,
    pub latest_note: Option<String>,
}

/// Petitions of the year per town and category, for the public sheet.
#[derive(Debug, Clone, Serialize)]
pub struct PetitionCount {
    pub town: String,
    pub category: String,
    pub received: usize,
    pub resolved: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CaseworkFigures {
    pub petitions: PetitionFigures,
    pub hidden_dangers: DangerFigures,
    pub inspections: Vec<InspectionFigures>,
    pub prominent: Vec<CaseRow>,
    /// the xlsx sheets' rows
    #[serde(skip)]
    pub dangers: Vec<CaseRow>,
    #[serde(skip)]
    pub findings: Vec<CaseRow>,
    #[serde(skip)]
    pub petitions_by_town: Vec<PetitionCount>,
}

/// A case as it stood at the cut-off.
#[derive(Default)]
struct CaseAsOf {
    kind: String,
    fields: Map<String, Value>,
    status: String,
    latest_note: Option<String>,
}

impl CaseAsOf {
    fn text(&self, field: &str) -> Option<&str> {
        self.fields.get(field).and_then(Value::as_str)
    }

    fn day(&self, field: &str) -> Option<NaiveDate> {
        self.text(field).and_then(|d| d.parse().ok())
    }

    fn is_resolved(&self) -> bool {
        self.status
            .parse::<CaseStatus>()
            .is_ok_and(CaseStatus::is_resolved)
    }

    fn row(&self, lang: Lang) -> CaseRow {
        let status_label = self
            .status
            .parse::<CaseStatus>()
            .map(|s| s.label(lang))
            .unwrap_or("");
        CaseRow {
            code: self.text("code").unwrap_or_default().into(),
            kind: self.kind.clone(),
            received_on: self.day("received_on"),
            category: self.text("category").unwrap_or_default().into(),
            title: self.text("title").unwrap_or_default().into(),
            status: self.status.clone(),
            status_label: status_label.into(),
            deadline: self.day("deadline"),
            responsible_unit: self.text("responsible_unit").map(str::to_string),
            latest_note: self.latest_note.clone(),
        }
    }
}

/// Every case known at the cut-off, its fields and status replayed from its events. Only the
/// fields the figures read are sent: a petition is counted, never listed, so of its fields only
/// those the counts need.
async fn replay(
    conn: &mut PgConnection,
    cut_off: DateTime<Utc>,
) -> sqlx::Result<BTreeMap<i64, CaseAsOf>> {
    let mut events = sqlx::query!(
        r#"SELECT e.case_id, e.kind, e.to_status, e.note,
                  CASE WHEN e.changes IS NULL THEN NULL
                       WHEN c.kind = 'petition' AND e.kind = 'created' THEN jsonb_build_object('snapshot',
                           jsonb_strip_nulls(jsonb_build_object('kind', c.kind, 'received_on', e.changes #> '{snapshot,received_on}',
                               'category', e.changes #> '{snapshot,category}', 'town_code', e.changes #> '{snapshot,town_code}')))
                       WHEN e.kind = 'created' THEN jsonb_build_object('snapshot', (e.changes -> 'snapshot')
                           - '{description,address,resolution,complainant_name,complainant_phone,geometry,repeat_of,project_id}'::text[])
                       ELSE e.changes END AS "changes: Json<Value>"
           FROM case_event e JOIN casework c ON c.id = e.case_id
           WHERE e.at <= $1 ORDER BY e.case_id, e.at, e.id"#,
        cut_off
    )
    .fetch(&mut *conn);
    let mut cases: BTreeMap<i64, CaseAsOf> = BTreeMap::new();
    while let Some(e) = events.try_next().await? {
        let case = cases.entry(e.case_id).or_default();
        let changes = e.changes.map(|c| c.0);
        match e.kind.as_str() {
            "created" => {
                if let Some(Value::Object(mut changes)) = changes
                    && let Some(Value::Object(snapshot)) = changes.remove("snapshot")
                {
                    case.kind = snapshot
                        .get("kind")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .into();
                    case.fields = snapshot;
                }
                case.status = e.to_status.unwrap_or_default();
            }
            kind => {
                if let Some(Value::Object(changes)) = changes {
                    for (field, change) in changes {
                        if let Value::Object(mut change) = change
                            && let Some(after) = change.remove("after")
                        {
                            case.fields.insert(field, after);
                        }
                    }
                }
                if kind == "status"
                    && let Some(to) = e.to_status
                {
                    case.status = to;
                }
                if let Some(note) = e.note {
                    case.latest_note = Some(note);
                }
            }
        }
    }
    Ok(cases)
}

pub async fn casework(
    conn: &mut PgConnection,
    as_of: NaiveDate,
    cut_off: DateTime<Utc>,
    lang: Lang,
) -> sqlx::Result<CaseworkFigures> {
    let town_names: HashMap<String, String> =
        sqlx::query!("SELECT code, name FROM admin_area WHERE level = 'town'")
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|r| (r.code, r.name))
            .collect();
    let cases = replay(conn, cut_off).await?;
    let year_start = NaiveDate::from_ymd_opt(as_of.year(), 1, 1).unwrap_or(as_of);
    let this_year = |c: &CaseAsOf| c.day("received_on").is_some_and(|d| d >= year_start);
    let mut out = CaseworkFigures::default();
    let mut inspections: BTreeMap<String, (BTreeSet<i64>, usize, usize)> = BTreeMap::new();
    let mut petition_counts: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    for case in cases.values() {
        let kind = case.kind.parse::<CaseKind>().ok();
        let resolved = case.is_resolved();
        match kind {
            Some(CaseKind::Petition) if this_year(case) => {
                out.petitions.received += 1;
                out.petitions.resolved += usize::from(resolved);
                let town = case
                    .text("town_code")
                    .and_then(|t| town_names.get(t).cloned())
                    .unwrap_or_default();
                let category = case.text("category").unwrap_or_default().to_string();
                let count = petition_counts.entry((town, category)).or_default();
                count.0 += 1;
                count.1 += usize::from(resolved);
            }
            Some(CaseKind::HiddenDanger) if this_year(case) => {
                let d = &mut out.hidden_dangers;
                d.found += 1;
                d.major += usize::from(case.text("severity") == Some("major"));
                d.rectified += usize::from(resolved);
                out.dangers.push(case.row(lang));
            }
            Some(CaseKind::InspectionFinding) if this_year(case) => {
                let name = case.text("inspection").unwrap_or_default().to_string();
                let entry = inspections.entry(name).or_default();
                if let Some(site) = case.fields.get("site_id").and_then(Value::as_i64) {
                    entry.0.insert(site);
                }
                entry.1 += 1;
                entry.2 += usize::from(resolved);
                out.findings.push(case.row(lang));
            }
            Some(CaseKind::ProminentProblem) => out.prominent.push(case.row(lang)),
            _ => {}
        }
    }
    out.petitions.in_progress = out.petitions.received - out.petitions.resolved;
    out.hidden_dangers.in_progress = out.hidden_dangers.found - out.hidden_dangers.rectified;
    out.inspections = inspections
        .into_iter()
        .map(|(name, (firms, findings, rectified))| InspectionFigures {
            name,
            firms: firms.len(),
            findings,
            rectified,
        })
        .collect();
    out.petitions_by_town = petition_counts
        .into_iter()
        .map(|((town, category), (received, resolved))| PetitionCount {
            town,
            category,
            received,
            resolved,
        })
        .collect();
    for rows in [&mut out.dangers, &mut out.findings, &mut out.prominent] {
        rows.sort_by(|a, b| a.code.cmp(&b.code));
    }
    Ok(out)
}

/// The words of a category in the report's language.
pub fn category_label(category: &str, lang: Lang) -> &str {
    let zh = match category {
        "air" => "大气",
        "water" => "水",
        "noise" => "噪声",
        "solid_waste" => "固废",
        "soil" => "土壤",
        "other" => "其他",
        other => other,
    };
    lang.pick(zh, category)
}

/// A kind's sheet title in the report's language.
pub fn kind_title(kind: CaseKind, lang: Lang) -> &'static str {
    let (zh, en) = match kind {
        CaseKind::Petition => ("信访", "Petitions"),
        CaseKind::HiddenDanger => ("隐患排查", "Hidden dangers"),
        CaseKind::InspectionFinding => ("检查发现问题", "Inspection findings"),
        CaseKind::ProminentProblem => ("突出问题", "Prominent problems"),
    };
    lang.pick(zh, en)
}
