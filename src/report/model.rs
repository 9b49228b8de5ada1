//! What a report is: its sections, each programme's part with figures, targets and items, and
//! the changes of a period; the dates a report can be made for; the words of the statuses.

use super::Lang;
use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use serde::Serialize;
use serde_json::Value;

/// How many items a template's lists (`started_items`, `stage.X.items` …) hold: sentences name a
/// few; the counts beside them are exact, and the report's tables list every item.
pub(super) const LISTED_ITEMS: usize = 50;

/// The end of a calendar day in China (UTC+8), where the bureau's dates are counted.
pub fn end_of_day(date: NaiveDate) -> DateTime<Utc> {
    let next = date.checked_add_days(Days::new(1)).unwrap_or(date);
    next.and_time(NaiveTime::MIN).and_utc() - chrono::Duration::hours(8)
}

/// Today's date in China.
pub fn today() -> NaiveDate {
    (Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// A date a report cannot be made for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("as_of {0} is before 1990-01-01")]
    TooEarly(NaiveDate),
    #[error("as_of {as_of} is in the future (today is {today})")]
    Future { as_of: NaiveDate, today: NaiveDate },
    #[error("since {since} must be before as_of {as_of}")]
    SinceNotBefore { since: NaiveDate, as_of: NaiveDate },
}

/// Refuses dates a report cannot be made for, with a message that names the problem.
pub fn check_dates(as_of: NaiveDate, since: Option<NaiveDate>) -> Result<(), DateError> {
    let earliest = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or(NaiveDate::MIN);
    if as_of < earliest {
        return Err(DateError::TooEarly(as_of));
    }
    let today = today();
    if as_of > today {
        return Err(DateError::Future { as_of, today });
    }
    if let Some(since) = since
        && since >= as_of
    {
        return Err(DateError::SinceNotBefore { since, as_of });
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub as_of: NaiveDate,
    pub since: Option<NaiveDate>,
    pub lang: Lang,
    pub title: String,
    pub sections: Vec<Section>,
    pub changes: Option<Changes>,
    /// the casework figures, and the rows of each kind's sheet
    pub casework: super::casework::CaseworkFigures,
    /// with photos asked for: how many the items show, and how many were left out
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photos: Option<super::photos::PhotoSummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub code: String,
    pub title: String,
    pub text: String,
    pub programmes: Vec<ProgrammePart>,
    /// projects without a programme, in the section that lists them
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProgrammePart {
    pub code: String,
    pub name: String,
    pub text: String,
    pub figures: Vec<Figure>,
    pub targets: Vec<Target>,
    pub by_status: Vec<Figure>,
    /// items not yet completed or accepted
    pub open_count: usize,
    /// every item, cancelled ones left out
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub key: String,
    pub label: String,
    pub value: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub label: String,
    /// percent
    pub actual: f64,
    /// percent
    pub target: f64,
    pub met: bool,
    pub deadline: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Item {
    #[serde(skip)]
    pub project_id: i64,
    pub code: String,
    pub name: String,
    /// town (short name) and the linked sites' names, e.g. 新闸大周村中河
    pub place: String,
    pub town_short: String,
    pub site_name: String,
    pub status: String,
    pub status_label: String,
    /// completed or accepted
    pub done: bool,
    pub stage: Option<String>,
    pub stage_label: Option<String>,
    pub status_reason: Option<String>,
    pub progress: i64,
    pub planned_end: Option<NaiveDate>,
    pub responsible_unit: Option<String>,
    /// a completed item's public before/after photos, when the report was asked for them
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<super::photos::EvidencePhoto>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Changes {
    pub since: NaiveDate,
    pub new_projects: Vec<ChangeRow>,
    pub transitions: Vec<ChangeRow>,
    pub completed: Vec<ChangeRow>,
    /// open items whose planned end fell in the period
    pub slipped: Vec<Item>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangeRow {
    pub date: NaiveDate,
    pub code: String,
    pub name: String,
    pub programme: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub note: Option<String>,
}

pub fn status_label(status: &str, lang: Lang) -> &'static str {
    let (zh, en) = match status {
        "planned" => ("计划", "planned"),
        "preparing" => ("前期准备", "preparing"),
        "in_progress" => ("实施中", "in progress"),
        "completed" => ("已完工", "completed"),
        "accepted" => ("已验收", "accepted"),
        "suspended" => ("暂缓", "suspended"),
        "cancelled" => ("已取消", "cancelled"),
        _ => ("未知", "unknown"),
    };
    lang.pick(zh, en)
}
