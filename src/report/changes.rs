//! What changed in a report's period: new projects, transitions, completions, and open items
//! whose planned end passed.

use super::Lang;
use super::context::{is_done, item};
use super::load::Snapshot;
use super::model::{ChangeRow, Changes, status_label};
use super::state::{PeriodEvent, ProjectAsOf};
use crate::domain::ProjectStatus;
use chrono::NaiveDate;
use std::collections::HashMap;

pub(super) fn changes(
    since: NaiveDate,
    as_of: NaiveDate,
    snapshot: &Snapshot,
    projects: &HashMap<i64, &ProjectAsOf>,
    lang: Lang,
) -> Changes {
    let row = |e: &PeriodEvent| -> Option<ChangeRow> {
        let p = projects.get(&e.project_id)?;
        Some(ChangeRow {
            date: (e.at + chrono::Duration::hours(8)).date_naive(),
            code: p.code.clone(),
            name: p.text("name").unwrap_or(&p.code).to_string(),
            programme: p.text("programme").map(str::to_string),
            from: e
                .from_status
                .as_deref()
                .map(|s| status_label(s, lang).to_string()),
            to: e
                .to_status
                .as_deref()
                .map(|s| status_label(s, lang).to_string()),
            note: e.note.clone(),
        })
    };
    let mut period: Vec<&PeriodEvent> = snapshot.period.iter().collect();
    period.sort_by_key(|e| (e.at, e.project_id));
    let of_kind = |kind: &str| -> Vec<ChangeRow> {
        period
            .iter()
            .filter(|e| e.kind == kind)
            .filter_map(|e| row(e))
            .collect()
    };
    let completed = period
        .iter()
        .filter(|e| {
            e.kind == "status" && matches!(e.to_status.as_deref(), Some("completed" | "accepted"))
        })
        .filter_map(|e| row(e))
        .collect();
    let slipped = snapshot
        .projects
        .iter()
        .filter(|p| !is_done(p.status) && p.status != ProjectStatus::Cancelled)
        .filter(|p| {
            p.date("planned_end")
                .is_some_and(|end| end > since && end < as_of)
        })
        .map(|p| item(p, snapshot, None, lang))
        .collect();
    Changes {
        since,
        new_projects: of_kind("created"),
        transitions: of_kind("status"),
        completed,
        slipped,
    }
}
