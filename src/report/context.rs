//! The figures templates and tables see, built from a loaded snapshot without I/O: each
//! programme's counts, rates, stages, flags, linked sites and items; each key zone's clearance;
//! each section's inventory.

use super::load::{Snapshot, scalar_texts};
use super::model::{Figure, Item, LISTED_ITEMS, ProgrammePart, Target, status_label};
use super::state::{self, ProjectAsOf};
use super::{Lang, sql};
use crate::domain::ProjectStatus;
use crate::domain::site_kind::staff_only_in_any_kind;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashSet};

fn town_short(name: &str) -> String {
    ["街道", "镇", "乡"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .unwrap_or(name)
        .to_string()
}

pub(super) fn item(
    p: &ProjectAsOf,
    snapshot: &Snapshot,
    stage_labels: Option<&Map<String, Value>>,
    lang: Lang,
) -> Item {
    let site_names: Vec<&str> = p
        .site_ids
        .iter()
        .filter_map(|id| snapshot.sites.get(id))
        .filter_map(|s| s.get("name").and_then(Value::as_str))
        .collect();
    let site_name = site_names.join("、");
    let town = p
        .text("town_code")
        .and_then(|code| snapshot.towns.get(code))
        .map(|name| town_short(name))
        .unwrap_or_default();
    let stage = p.text("stage").map(str::to_string);
    let stage_label = stage.as_ref().map(|s| {
        stage_labels
            .and_then(|labels| labels.get(s))
            .and_then(|l| l.get(lang.pick("zh", "en")))
            .and_then(Value::as_str)
            .unwrap_or(s)
            .to_string()
    });
    Item {
        project_id: p.id,
        code: p.code.clone(),
        name: p.text("name").unwrap_or(&p.code).to_string(),
        place: format!("{town}{site_name}"),
        town_short: town,
        site_name,
        status: p.status.as_str().to_string(),
        status_label: status_label(p.status.as_str(), lang).to_string(),
        done: is_done(p.status),
        stage,
        stage_label,
        status_reason: p.text("status_reason").map(str::to_string),
        progress: p
            .fields
            .get("progress")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        planned_end: p.date("planned_end"),
        responsible_unit: p.text("responsible_unit").map(str::to_string),
        photos: Vec::new(),
    }
}

pub(super) fn is_done(status: ProjectStatus) -> bool {
    matches!(status, ProjectStatus::Completed | ProjectStatus::Accepted)
}

fn percent(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// The figures of one programme as its templates and tables see them.
pub(super) fn programme_context(
    t: &sql::ProgrammeTemplate,
    members: &[&ProjectAsOf],
    snapshot: &Snapshot,
    lang: Lang,
) -> (Value, Vec<Item>) {
    let live: Vec<&ProjectAsOf> = members
        .iter()
        .copied()
        .filter(|p| p.status != ProjectStatus::Cancelled)
        .collect();
    let total = live.len();
    let started = live.iter().filter(|p| p.status.is_started()).count();
    let done = live.iter().filter(|p| is_done(p.status)).count();
    let labels = Some(&t.stage_labels.0);
    let items: Vec<Item> = live
        .iter()
        .map(|p| item(p, snapshot, labels, lang))
        .collect();

    let mut status = Map::new();
    for s in ProjectStatus::ALL {
        let n = members.iter().filter(|p| p.status == s).count();
        status.insert(s.as_str().into(), json!(n));
    }
    // groups hold indexes into `items`
    let mut stages: BTreeMap<String, Vec<usize>> = t
        .stage_labels
        .0
        .keys()
        .map(|k| (k.clone(), Vec::new()))
        .collect();
    let mut flags: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    // per kind: the count of linked sites, and per attribute the count of each value
    type AttrCounts = BTreeMap<String, BTreeMap<String, i64>>;
    let mut sites: BTreeMap<String, (i64, AttrCounts)> = BTreeMap::new();
    let mut seen_sites: HashSet<i64> = HashSet::new();
    for (n, p) in live.iter().enumerate() {
        if let Some(stage) = p.text("stage") {
            stages.entry(stage.to_string()).or_default().push(n);
        }
        if let Some(Value::Object(attrs)) = p.fields.get("attrs") {
            for (key, value) in attrs {
                if value == &Value::Bool(true) {
                    flags.entry(key.clone()).or_default().push(n);
                }
            }
        }
        for id in &p.site_ids {
            let Some(site) = snapshot.sites.get(id) else {
                continue;
            };
            if !seen_sites.insert(*id) {
                continue;
            }
            let Some(kind) = site.get("kind").and_then(Value::as_str) else {
                continue;
            };
            let entry = sites.entry(kind.to_string()).or_default();
            entry.0 += 1;
            for (attr, value) in site {
                // reports are read by anyone: staff-only values are never counted
                if !state::is_kind_attribute(attr) || staff_only_in_any_kind(attr) {
                    continue;
                }
                for v in scalar_texts(Some(value)) {
                    *entry
                        .1
                        .entry(attr.clone())
                        .or_default()
                        .entry(v)
                        .or_default() += 1;
                }
            }
        }
    }
    let group = |indexes: &[usize]| {
        let listed: Vec<&Item> = indexes
            .iter()
            .take(LISTED_ITEMS)
            .map(|&n| &items[n])
            .collect();
        json!({
            "count": indexes.len(),
            "items": listed,
            "names": listed.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(),
        })
    };
    let stage_json: Map<String, Value> =
        stages.iter().map(|(k, v)| (k.clone(), group(v))).collect();
    let flag_json: Map<String, Value> = flags.iter().map(|(k, v)| (k.clone(), group(v))).collect();
    let mut site_json = Map::new();
    for (kind, (count, by_attr)) in sites {
        let mut entry = Map::new();
        entry.insert("count".into(), json!(count));
        for (attr, values) in by_attr {
            entry.insert(attr, json!(values));
        }
        site_json.insert(kind, Value::Object(entry));
    }
    let listed = |keep: fn(ProjectStatus) -> bool| -> Vec<&Item> {
        live.iter()
            .zip(&items)
            .filter(|(p, _)| keep(p.status))
            .map(|(_, i)| i)
            .take(LISTED_ITEMS)
            .collect()
    };
    let start_rate = percent(started, total);
    let completion_rate = percent(done, total);
    let target_start = t.target_start_rate.map(|r| (r * 1000.0).round() / 10.0);
    let target_completion = t
        .target_completion_rate
        .map(|r| (r * 1000.0).round() / 10.0);
    let met = |actual: Option<f64>, target: Option<f64>| match (actual, target) {
        (Some(a), Some(t)) => json!(a >= t),
        _ => Value::Null,
    };
    let context = json!({
        "programme": {
            "code": t.programme,
            "name": lang.pick(&t.programme_name, t.programme_name_en.as_deref().unwrap_or(&t.programme_name)),
            "year": t.year,
            "target_count": t.target_count,
            "target_start_rate": target_start,
            "target_completion_rate": target_completion,
            "deadline": t.deadline,
        },
        "total": total,
        "cancelled": members.len() - total,
        "started": started,
        "not_started": total - started,
        "done": done,
        "open": total - done,
        "suspended": status.get("suspended"),
        "start_rate": start_rate,
        "completion_rate": completion_rate,
        "start_target_met": met(start_rate, target_start),
        "completion_target_met": met(completion_rate, target_completion),
        "status": status,
        "stage": stage_json,
        "flags": flag_json,
        "sites": site_json,
        "items": listed(|_| true),
        "open_items": listed(|s| !is_done(s)),
        "started_items": listed(ProjectStatus::is_started),
        "not_started_items": listed(|s| !s.is_started()),
        "done_items": listed(is_done),
        "suspended_items": listed(|s| s == ProjectStatus::Suspended),
    });
    (context, items)
}

/// A value at a dotted path of a context ("stage.filled.count"); 0 when absent.
fn lookup(context: &Value, path: &str) -> Value {
    path.split('.')
        .try_fold(context, |v, key| v.get(key))
        .cloned()
        .unwrap_or(json!(0))
}

pub(super) fn programme_part(
    t: &sql::ProgrammeTemplate,
    context: &Value,
    items: Vec<Item>,
    text: String,
    lang: Lang,
) -> ProgrammePart {
    let figures = t
        .figures
        .0
        .iter()
        .map(|f| Figure {
            key: f.key.clone(),
            label: lang.pick(&f.zh, &f.en).to_string(),
            value: lookup(context, &f.key),
        })
        .collect();
    let mut targets = Vec::new();
    let rates = [
        ("start_rate", "target_start_rate", ("开工率", "start rate")),
        (
            "completion_rate",
            "target_completion_rate",
            ("完成率", "completion rate"),
        ),
    ];
    for (actual, target, (zh, en)) in rates {
        if let (Some(a), Some(goal)) = (
            context.get(actual).and_then(Value::as_f64),
            context["programme"].get(target).and_then(Value::as_f64),
        ) {
            targets.push(Target {
                label: lang.pick(zh, en).to_string(),
                actual: a,
                target: goal,
                met: a >= goal,
                deadline: t.deadline,
            });
        }
    }
    let by_status = ProjectStatus::ALL
        .iter()
        .map(|s| Figure {
            key: format!("status.{}", s.as_str()),
            label: status_label(s.as_str(), lang).to_string(),
            value: lookup(context, &format!("status.{}", s.as_str())),
        })
        .filter(|f| f.value != json!(0))
        .collect();
    ProgrammePart {
        code: t.programme.clone(),
        name: context["programme"]["name"]
            .as_str()
            .unwrap_or(&t.programme)
            .to_string(),
        text,
        figures,
        targets,
        by_status,
        open_count: items.iter().filter(|i| !i.done).count(),
        items,
    }
}

/// Each key zone's problem sites (with work of the zone's campaign, air by default) and open ones
/// (that work in progress or suspended) as of the date; a zone is cleared (归零) when none is open.
pub(super) fn zones_context(snapshot: &Snapshot) -> Value {
    let by_site = state::projects_by_site(&snapshot.projects);
    let mut zones = Vec::new();
    for (name, campaign, members) in &snapshot.zones {
        let mut problems = 0;
        let mut open = 0;
        for site in members {
            let statuses: Vec<ProjectStatus> = by_site
                .get(site)
                .into_iter()
                .flatten()
                .filter(|p| campaign.targets(p.text("category"), p.text("programme")))
                .map(|p| p.status)
                .collect();
            let state = state::remediation_state(&statuses);
            if state != "none" {
                problems += 1;
            }
            if matches!(state, "in_progress" | "suspended") {
                open += 1;
            }
        }
        zones.push(
            json!({ "name": name, "problem_sites": problems, "open": open, "cleared": open == 0 }),
        );
    }
    let cleared = zones.iter().filter(|z| z["cleared"] == json!(true)).count();
    json!({
        "total": zones.len(),
        "cleared": cleared,
        "open_sites": zones.iter().filter_map(|z| z["open"].as_i64()).sum::<i64>(),
        "open_names": zones.iter().filter(|z| z["cleared"] == json!(false)).map(|z| z["name"].clone()).collect::<Vec<_>>(),
        "list": zones,
    })
}

pub(super) fn section_context(
    section: &sql::SectionTemplate,
    parts: &[(String, Value)],
    unprogrammed: &[Item],
    zones: &Value,
    snapshot: &Snapshot,
) -> Value {
    let mut inventory: Map<String, Value> = Map::new();
    for w in &section.inventory.0 {
        let kind_total = snapshot
            .inventory
            .get(&(w.kind.clone(), String::new(), String::new()))
            .copied()
            .unwrap_or(0);
        let entry = inventory
            .entry(w.kind.clone())
            .or_insert_with(|| json!({ "count": kind_total }));
        if let Some(attr) = w.attr.as_deref().filter(|a| !a.is_empty()) {
            let values: Map<String, Value> = snapshot
                .inventory
                .iter()
                .filter(|((k, a, _), n)| k == &w.kind && a == attr && **n != 0)
                .map(|((_, _, v), n)| (v.clone(), json!(n)))
                .collect();
            entry[attr] = Value::Object(values);
        }
    }
    let programmes: Map<String, Value> = parts.iter().cloned().collect();
    json!({
        "inventory": inventory,
        "zones": zones,
        "programmes": programmes,
        "unprogrammed": { "count": unprogrammed.len(), "items": unprogrammed },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::zone::Campaign;
    use sqlx::types::Json;
    use std::collections::{BTreeSet, HashMap};

    fn project(id: i64, status: ProjectStatus, fields: Value, sites: &[i64]) -> ProjectAsOf {
        ProjectAsOf {
            id,
            code: format!("P-{id}"),
            status,
            fields: fields.as_object().cloned().unwrap_or_default(),
            site_ids: sites.iter().copied().collect::<BTreeSet<i64>>(),
        }
    }

    fn site(fields: Value) -> state::SiteFields {
        fields.as_object().cloned().unwrap_or_default()
    }

    /// Two towns, a black-odor body, an enterprise with staff-only contacts, and a key zone
    /// holding both; four water projects and one air project.
    fn snapshot() -> Snapshot {
        let water = |n| json!({"name": format!("整治{n}"), "category": "water", "programme": "BLACKODOR", "town_code": "320404007", "stage": "dredging"});
        Snapshot {
            projects: vec![
                project(1, ProjectStatus::InProgress, water(1), &[10]),
                project(2, ProjectStatus::Completed, water(2), &[10]),
                project(3, ProjectStatus::Planned, water(3), &[]),
                project(4, ProjectStatus::Cancelled, water(4), &[]),
                project(
                    5,
                    ProjectStatus::Accepted,
                    json!({"name": "VOCs", "category": "air", "programme": "AIR"}),
                    &[11],
                ),
            ],
            sites: HashMap::from([
                (
                    10,
                    site(
                        json!({"kind": "black_odor_water", "name": "大周村中河", "category": "backyard"}),
                    ),
                ),
                (
                    11,
                    site(
                        json!({"kind": "enterprise", "name": "国礼纺织", "sectors": ["textile"], "contact_person": "王经理"}),
                    ),
                ),
            ]),
            towns: HashMap::from([("320404007".to_string(), "新闸街道".to_string())]),
            period: Vec::new(),
            inventory: HashMap::from([
                (
                    ("black_odor_water".into(), String::new(), String::new()),
                    18,
                ),
                (
                    (
                        "black_odor_water".into(),
                        "category".into(),
                        "backyard".into(),
                    ),
                    12,
                ),
            ]),
            zones: vec![
                (
                    "air zone".into(),
                    Campaign::Category("air".into()),
                    vec![10, 11],
                ),
                (
                    "water zone".into(),
                    Campaign::Category("water".into()),
                    vec![10, 11],
                ),
            ],
        }
    }

    fn template() -> sql::ProgrammeTemplate {
        sql::ProgrammeTemplate {
            programme: "BLACKODOR".into(),
            programme_name: "黑臭水体".into(),
            programme_name_en: None,
            year: Some(2025),
            target_count: Some(18),
            target_start_rate: Some(0.7),
            target_completion_rate: None,
            deadline: None,
            section: "water".into(),
            position: 1,
            figures: Json(Vec::new()),
            stage_labels: Json(Map::new()),
            template_zh: String::new(),
            template_en: String::new(),
            default_template: false,
        }
    }

    #[test]
    fn a_programme_counts_its_live_projects_against_its_targets() {
        let snapshot = snapshot();
        let members: Vec<&ProjectAsOf> = snapshot.projects[..4].iter().collect();
        let (context, items) = programme_context(&template(), &members, &snapshot, Lang::Zh);
        assert_eq!(
            (
                &context["total"],
                &context["cancelled"],
                &context["started"],
                &context["done"]
            ),
            (&json!(3), &json!(1), &json!(2), &json!(1))
        );
        // 2 of 3 started: 66.7 % against a 70 % target
        assert_eq!(context["start_rate"], json!(66.7));
        assert_eq!(context["programme"]["target_start_rate"], json!(70.0));
        assert_eq!(context["start_target_met"], json!(false));
        assert_eq!(context["stage"]["dredging"]["count"], json!(3));
        assert_eq!(context["sites"]["black_odor_water"]["count"], json!(1));
        assert_eq!(
            context["sites"]["black_odor_water"]["category"],
            json!({"backyard": 1})
        );
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].place, "新闸大周村中河");
        assert_eq!(items[0].status_label, "实施中");
    }

    #[test]
    fn staff_only_attributes_are_never_counted() {
        let snapshot = snapshot();
        let members = [&snapshot.projects[4]];
        let (context, _) = programme_context(&template(), &members, &snapshot, Lang::Zh);
        assert_eq!(context["sites"]["enterprise"]["count"], json!(1));
        assert_eq!(
            context["sites"]["enterprise"]["sectors"],
            json!({"textile": 1})
        );
        assert_eq!(context["sites"]["enterprise"].get("contact_person"), None);
    }

    #[test]
    fn a_zone_is_cleared_when_its_campaign_has_no_open_work_inside() {
        let zones = zones_context(&snapshot());
        assert_eq!(zones["total"], json!(2));
        // the air zone holds only the accepted air project; the water zone holds open water work
        assert_eq!(zones["cleared"], json!(1));
        assert_eq!(zones["open_names"], json!(["water zone"]));
        assert_eq!(
            zones["list"][0],
            json!({"name": "air zone", "problem_sites": 1, "open": 0, "cleared": true})
        );
        assert_eq!(zones["list"][1]["open"], json!(1));
    }

    #[test]
    fn a_section_counts_its_inventory() {
        let snapshot = snapshot();
        let section = sql::SectionTemplate {
            code: "water".into(),
            position: 2,
            title_zh: "水".into(),
            title_en: "Water".into(),
            template_zh: String::new(),
            template_en: String::new(),
            inventory: Json(vec![sql::InventoryWanted {
                kind: "black_odor_water".into(),
                attr: Some("category".into()),
            }]),
            lists_unprogrammed: false,
        };
        let context = section_context(&section, &[], &[], &json!({}), &snapshot);
        assert_eq!(
            context["inventory"]["black_odor_water"],
            json!({"count": 18, "category": {"backyard": 12}})
        );
        assert_eq!(context["unprogrammed"]["count"], json!(0));
    }
}
