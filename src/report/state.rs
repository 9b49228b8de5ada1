//! Point-in-time state: every project and its site links as they stood at a cut-off, rebuilt from
//! the history events, and sites as they stood, rebuilt by undoing their later events.
//!
//! A field's value at the cut-off is, in order of preference: the `after` of its last change at
//! or before the cut-off (a `created` snapshot counts as a change of every field it holds); the
//! `before` of its first change after the cut-off; its current value. The last two cover rows
//! whose history does not record every field (loaded by SQL, or seeded before snapshots were
//! complete): a field that was never recorded as changed still has its current value.

pub use crate::db::report::{CurrentProject, ProjectEventRow, SiteFields};
use crate::domain::ProjectStatus;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A project as it stood at the cut-off.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectAsOf {
    pub id: i64,
    pub code: String,
    pub status: ProjectStatus,
    pub fields: Map<String, Value>,
    pub site_ids: BTreeSet<i64>,
}

impl ProjectAsOf {
    pub fn text(&self, field: &str) -> Option<&str> {
        self.fields.get(field).and_then(Value::as_str)
    }

    pub fn date(&self, field: &str) -> Option<NaiveDate> {
        self.text(field).and_then(|d| d.parse().ok())
    }
}

/// Something that happened between the start of a change report and its cut-off.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodEvent {
    pub project_id: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub note: Option<String>,
}

/// Replays one project's events (in time order) into its state at `cut_off`; None when the project
/// did not exist yet. Events after `period_start` and up to the cut-off are pushed to `period`.
/// The current row and the events' changes are taken, not copied: their values become the
/// state's.
pub fn replay_project(
    id: i64,
    current: CurrentProject,
    events: &mut [ProjectEventRow],
    cut_off: DateTime<Utc>,
    period_start: Option<DateTime<Utc>>,
    period: &mut Vec<PeriodEvent>,
) -> Option<ProjectAsOf> {
    let mut known: Map<String, Value> = Map::new();
    let mut later_before: Map<String, Value> = Map::new();
    // per linked site: Some(linked) decided at or before the cut-off, else what the first later
    // event implies
    let mut link_known: BTreeMap<i64, bool> = BTreeMap::new();
    let mut link_later: BTreeMap<i64, bool> = BTreeMap::new();
    let mut created = false;
    let mut recorded_creation = false;

    for event in events.iter_mut() {
        let changes = event.changes.take().map(|c| c.0);
        if event.kind == "created" {
            recorded_creation = true;
        }
        if event.at <= cut_off {
            if period_start.is_some_and(|start| event.at > start) {
                period.push(PeriodEvent {
                    project_id: id,
                    at: event.at,
                    kind: event.kind.clone(),
                    from_status: event.from_status.clone(),
                    to_status: event.to_status.clone(),
                    note: event.note.clone(),
                });
            }
            match event.kind.as_str() {
                "created" => {
                    created = true;
                    if let Some(Value::Object(mut changes)) = changes
                        && let Some(Value::Object(snapshot)) = changes.remove("snapshot")
                    {
                        for (field, value) in snapshot {
                            if field == "site_ids" {
                                for site in value.as_array().into_iter().flatten() {
                                    if let Some(site) = site.as_i64() {
                                        link_known.insert(site, true);
                                    }
                                }
                            } else {
                                known.insert(field, value);
                            }
                        }
                    }
                }
                "link" | "unlink" => {
                    if let Some(site) = event.site_id {
                        link_known.insert(site, event.kind == "link");
                    }
                }
                _ => {
                    for (field, mut change) in field_changes(changes) {
                        known.insert(field, change.remove("after").unwrap_or(Value::Null));
                    }
                }
            }
            if let Some(to) = &event.to_status {
                known.insert("status".into(), Value::String(to.clone()));
            }
        } else {
            match event.kind.as_str() {
                "created" => {}
                "link" | "unlink" => {
                    if let Some(site) = event.site_id {
                        link_later.entry(site).or_insert(event.kind == "unlink");
                    }
                }
                _ => {
                    for (field, mut change) in field_changes(changes) {
                        if !later_before.contains_key(&field) {
                            later_before
                                .insert(field, change.remove("before").unwrap_or(Value::Null));
                        }
                    }
                }
            }
            if let Some(from) = &event.from_status {
                later_before
                    .entry("status".to_string())
                    .or_insert_with(|| Value::String(from.clone()));
            }
        }
    }
    let existed = created || (!recorded_creation && current.created_at <= cut_off);
    if !existed {
        return None;
    }

    let mut fields = current.fields;
    fields.extend(later_before);
    fields.extend(known);
    let status = fields
        .get("status")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())?;

    let mut site_ids: BTreeSet<i64> = current
        .site_ids
        .iter()
        .copied()
        .filter(|s| !link_known.contains_key(s) && !link_later.contains_key(s))
        .collect();
    for (site, linked) in link_later {
        link_known.entry(site).or_insert(linked);
    }
    site_ids.extend(
        link_known
            .into_iter()
            .filter(|(_, linked)| *linked)
            .map(|(site, _)| site),
    );
    Some(ProjectAsOf {
        id,
        code: current.code,
        status,
        fields,
        site_ids,
    })
}

/// The {field: {before, after}} entries of an event, snapshots excluded.
fn field_changes(changes: Option<Value>) -> impl Iterator<Item = (String, Map<String, Value>)> {
    let changes = match changes {
        Some(Value::Object(changes)) => changes,
        _ => Map::new(),
    };
    changes
        .into_iter()
        .filter_map(|(field, change)| match change {
            Value::Object(change) if field != "snapshot" => Some((field, change)),
            _ => None,
        })
}

/// Whether a recorded site field is one of the kind's attributes (not a core column or the
/// geometry, which history records alongside them).
pub fn is_kind_attribute(field: &str) -> bool {
    !matches!(
        field,
        "kind"
            | "code"
            | "name"
            | "name_en"
            | "town_code"
            | "placeholder"
            | "radius_m"
            | "geometry"
    )
}

/// Undoes a site's events after the cut-off (given newest first) on its current fields; None
/// when the site did not exist at the cut-off. `current` is None for a site deleted since.
pub fn site_as_of(
    current: Option<SiteFields>,
    later_newest_first: &[&Value],
    created_later: bool,
) -> Option<SiteFields> {
    if created_later {
        return None;
    }
    let mut fields = current.unwrap_or_default();
    for changes in later_newest_first {
        let changed = changes.as_object().into_iter().flatten();
        for (field, change) in changed.filter(|(field, _)| *field != "geometry") {
            match change.get("before") {
                Some(Value::Null) | None => {
                    fields.remove(field);
                }
                Some(before) => {
                    fields.insert(field.clone(), before.clone());
                }
            }
        }
    }
    (!fields.is_empty()).then_some(fields)
}

/// A site's remediation state from the statuses of its live linked projects, as the database
/// function `remediation_state` derives it.
pub fn remediation_state(statuses: &[ProjectStatus]) -> &'static str {
    use ProjectStatus::*;
    let live: Vec<ProjectStatus> = statuses
        .iter()
        .copied()
        .filter(|s| *s != Cancelled)
        .collect();
    if live.is_empty() {
        "none"
    } else if live
        .iter()
        .any(|s| matches!(s, Planned | Preparing | InProgress))
    {
        "in_progress"
    } else if live.contains(&Suspended) {
        "suspended"
    } else {
        "done"
    }
}

/// The projects linked to each site.
pub fn projects_by_site(projects: &[ProjectAsOf]) -> HashMap<i64, Vec<&ProjectAsOf>> {
    let mut by_site: HashMap<i64, Vec<&ProjectAsOf>> = HashMap::new();
    for p in projects {
        for site in &p.site_ids {
            by_site.entry(*site).or_default().push(p);
        }
    }
    by_site
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 6, day, 4, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn event(day: u32, kind: &str, changes: Option<Value>) -> ProjectEventRow {
        ProjectEventRow {
            project_id: 1,
            at: at(day),
            kind: kind.into(),
            from_status: None,
            to_status: None,
            site_id: None,
            changes: changes.map(sqlx::types::Json),
            note: None,
        }
    }

    fn status(day: u32, from: &str, to: &str) -> ProjectEventRow {
        ProjectEventRow {
            from_status: Some(from.into()),
            to_status: Some(to.into()),
            ..event(day, "status", None)
        }
    }

    fn link(day: u32, kind: &str, site: i64) -> ProjectEventRow {
        ProjectEventRow {
            site_id: Some(site),
            ..event(day, kind, None)
        }
    }

    fn current(fields: Value, sites: &[i64]) -> CurrentProject {
        CurrentProject {
            code: "P".into(),
            created_at: at(1),
            fields: fields.as_object().cloned().unwrap_or_default(),
            site_ids: sites.iter().copied().collect(),
        }
    }

    #[test]
    fn fields_take_the_last_change_before_the_cut_off_and_undo_later_ones() {
        let now = current(
            json!({"status": "completed", "progress": 100, "name": "河道整治", "stage": "done"}),
            &[7, 8],
        );
        let mut events = vec![
            ProjectEventRow {
                to_status: Some("planned".into()),
                ..event(
                    2,
                    "created",
                    Some(json!({"snapshot": {"status": "planned", "progress": 0, "name": "河道"}})),
                )
            },
            link(2, "link", 7),
            status(5, "planned", "in_progress"),
            event(
                6,
                "progress",
                Some(json!({"progress": {"before": 0, "after": 40}})),
            ),
            event(
                20,
                "edit",
                Some(
                    json!({"name": {"before": "河道", "after": "河道整治"}, "stage": {"before": "works", "after": "done"}}),
                ),
            ),
            status(21, "in_progress", "completed"),
            link(22, "link", 8),
        ];
        let mut period = Vec::new();
        let state = replay_project(
            1,
            now.clone(),
            &mut events.clone(),
            at(10),
            Some(at(5)),
            &mut period,
        );
        let state = state.unwrap_or_else(|| unreachable!());
        assert_eq!(state.status, ProjectStatus::InProgress);
        assert_eq!(state.fields["progress"], json!(40));
        assert_eq!(state.fields["name"], json!("河道"));
        assert_eq!(
            state.fields["stage"],
            json!("works"),
            "undone from the later edit's before"
        );
        assert_eq!(state.site_ids.iter().copied().collect::<Vec<_>>(), vec![7]);
        assert_eq!(
            period.len(),
            1,
            "only the progress event is after the period start"
        );
        assert_eq!(period[0].kind, "progress");

        let today = replay_project(1, now, &mut events, at(30), None, &mut period);
        let today = today.unwrap_or_else(|| unreachable!());
        assert_eq!(today.status, ProjectStatus::Completed);
        assert_eq!(today.site_ids.len(), 2);
    }

    #[test]
    fn a_project_created_after_the_cut_off_did_not_exist() {
        let now = current(json!({"status": "planned"}), &[]);
        let mut events = vec![event(
            20,
            "created",
            Some(json!({"snapshot": {"status": "planned"}})),
        )];
        assert_eq!(
            replay_project(1, now, &mut events, at(10), None, &mut Vec::new()),
            None
        );
    }

    #[test]
    fn an_unlinked_site_was_linked_before_its_unlink() {
        let now = current(json!({"status": "planned"}), &[]);
        let mut events = vec![
            event(
                2,
                "created",
                Some(json!({"snapshot": {"status": "planned", "site_ids": [3]}})),
            ),
            link(15, "unlink", 3),
        ];
        let before = replay_project(
            1,
            now.clone(),
            &mut events.clone(),
            at(10),
            None,
            &mut Vec::new(),
        );
        assert_eq!(before.map(|p| p.site_ids.len()), Some(1));
        let after = replay_project(1, now, &mut events, at(16), None, &mut Vec::new());
        assert_eq!(after.map(|p| p.site_ids.len()), Some(0));
    }

    #[test]
    fn sites_undo_later_edits_and_come_back_from_deletion() {
        let edit = json!({"category": {"before": "tributary", "after": "backyard"}});
        let current = json!({"kind": "black_odor_water", "category": "backyard"});
        let fields = site_as_of(current.as_object().cloned(), &[&edit], false);
        assert_eq!(
            fields.and_then(|f| f.get("category").cloned()),
            Some(json!("tributary"))
        );
        let deleted = json!({"kind": {"before": "river", "after": null}, "name": {"before": "崔家浜", "after": null}});
        let fields = site_as_of(None, &[&deleted], false);
        assert_eq!(
            fields.and_then(|f| f.get("name").cloned()),
            Some(json!("崔家浜"))
        );
        assert_eq!(site_as_of(None, &[], true), None);
    }

    #[test]
    fn remediation_state_matches_the_database_rule() {
        use ProjectStatus::*;
        assert_eq!(remediation_state(&[]), "none");
        assert_eq!(remediation_state(&[Cancelled]), "none");
        assert_eq!(remediation_state(&[Completed, Planned]), "in_progress");
        assert_eq!(remediation_state(&[Completed, Suspended]), "suspended");
        assert_eq!(remediation_state(&[Completed, Accepted, Cancelled]), "done");
    }
}
