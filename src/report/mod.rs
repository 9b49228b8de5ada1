//! The half-year report: the state of every project, link and site as of a date, rebuilt from
//! history; each programme's figures against its targets; the sentences of its editable
//! templates; and, with a start date, what changed in the period.

pub mod render;
pub mod state;

use crate::db::report as sql;
use crate::domain::ProjectStatus;
pub use crate::domain::choice::{Format, Lang};
use crate::domain::site_kind::staff_only_in_any_kind;
use crate::domain::zone::Campaign;
use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};
use sqlx::PgPool;
use state::{PeriodEvent, ProjectAsOf, SiteFields};
use std::collections::{BTreeMap, HashMap, HashSet};

/// How many items a template's lists (`started_items`, `stage.X.items` …) hold: sentences name a
/// few; the counts beside them are exact, and the report's tables list every item.
const LISTED_ITEMS: usize = 50;

/// The end of a calendar day in China (UTC+8), where the bureau's dates are counted.
pub fn end_of_day(date: NaiveDate) -> DateTime<Utc> {
    let next = date.checked_add_days(Days::new(1)).unwrap_or(date);
    next.and_time(NaiveTime::MIN).and_utc() - chrono::Duration::hours(8)
}

/// Today's date in China.
pub fn today() -> NaiveDate {
    (Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// Refuses dates a report cannot be made for, with a message that names the problem.
pub fn check_dates(as_of: NaiveDate, since: Option<NaiveDate>) -> Result<(), String> {
    let earliest = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or(NaiveDate::MIN);
    if as_of < earliest {
        return Err(format!("as_of {as_of} is before 1990-01-01"));
    }
    if as_of > today() {
        return Err(format!(
            "as_of {as_of} is in the future (today is {})",
            today()
        ));
    }
    if let Some(since) = since
        && since >= as_of
    {
        return Err(format!("since {since} must be before as_of {as_of}"));
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

/// Everything the figures need, as of the cut-off.
struct Snapshot {
    projects: Vec<ProjectAsOf>,
    sites: HashMap<i64, SiteFields>,
    towns: HashMap<String, String>,
    period: Vec<PeriodEvent>,
    /// inventory counts as of the cut-off: (kind, attr, value) → count; (kind, "", "") is the kind
    inventory: HashMap<(String, String, String), i64>,
    /// each key zone's name, campaign and the sites inside it
    zones: Vec<(String, Campaign, Vec<i64>)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A stored template that cannot be rendered; the message names it and the line.
    #[error("{0}")]
    Template(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Builds the report for `as_of` (end of that day in China), with changes since `since` when given.
pub async fn build(
    pool: &PgPool,
    as_of: NaiveDate,
    since: Option<NaiveDate>,
    lang: Lang,
) -> Result<Report, ReportError> {
    let (sections, templates) = {
        let mut conn = pool.acquire().await?;
        (
            sql::sections(&mut conn).await?,
            sql::programme_templates(&mut conn).await?,
        )
    };
    let wanted: Vec<sql::InventoryWanted> = sections
        .iter()
        .flat_map(|s| s.inventory.0.clone())
        .collect();
    let snapshot = load_snapshot(pool, end_of_day(as_of), since.map(end_of_day), &wanted).await?;

    let env = render::template_env();
    let mut out_sections = Vec::new();
    let mut by_programme: HashMap<&str, Vec<&ProjectAsOf>> = HashMap::new();
    for p in &snapshot.projects {
        if let Some(code) = p.text("programme") {
            by_programme.entry(code).or_default().push(p);
        }
    }
    let zones = zones_context(&snapshot);
    let project_names: HashMap<i64, &ProjectAsOf> =
        snapshot.projects.iter().map(|p| (p.id, p)).collect();
    for section in &sections {
        let mut parts = Vec::new();
        let mut part_contexts = Vec::new();
        for t in templates.iter().filter(|t| t.section == section.code) {
            let members = by_programme
                .get(t.programme.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let (context, items) = programme_context(t, members, &snapshot, lang);
            let text = render::sentences(&env, lang.pick(&t.template_zh, &t.template_en), &context)
                .map_err(|e| {
                    ReportError::Template(format!(
                        "the report template of programme {}: {e}",
                        t.programme
                    ))
                })?;
            parts.push(programme_part(t, &context, items, text, lang));
            part_contexts.push((t.programme.clone(), context));
        }
        let items: Vec<Item> = if section.lists_unprogrammed {
            snapshot
                .projects
                .iter()
                .filter(|p| p.text("programme").is_none())
                .map(|p| item(p, &snapshot, None, lang))
                .collect()
        } else {
            Vec::new()
        };
        let context = section_context(section, &part_contexts, &items, &zones, &snapshot);
        let text = render::sentences(
            &env,
            lang.pick(&section.template_zh, &section.template_en),
            &context,
        )
        .map_err(|e| {
            ReportError::Template(format!(
                "the report template of section {}: {e}",
                section.code
            ))
        })?;
        out_sections.push(Section {
            code: section.code.clone(),
            title: lang.pick(&section.title_zh, &section.title_en).to_string(),
            text,
            programmes: parts,
            items,
        });
    }

    let changes = since.map(|since| changes(since, as_of, &snapshot, &project_names, lang));
    Ok(Report {
        as_of,
        since,
        lang,
        title: match lang {
            Lang::Zh => format!(
                "生态环境治理工作报告（截至{}）",
                as_of.format("%Y年%-m月%-d日")
            ),
            Lang::En => format!("Environmental remediation report as of {as_of}"),
        },
        sections: out_sections,
        changes,
    })
}

/// What the report reads besides the project histories; independent of the replay, so it is
/// read on a second connection while the replay runs.
struct SideData {
    zones: Vec<sql::ZoneMembers>,
    later_site_events: Vec<(i64, String, sqlx::types::Json<Value>)>,
    inventory: Vec<sql::InventoryCount>,
    towns: HashMap<String, String>,
    /// every site linked now or named by a link event: a superset of the sites linked at any date
    linked_sites: HashMap<i64, SiteFields>,
}

async fn read_side_data(
    pool: PgPool,
    cut_off: DateTime<Utc>,
    kinds: Vec<String>,
    attrs: Vec<String>,
) -> sqlx::Result<SideData> {
    let mut conn = pool.acquire().await?;
    Ok(SideData {
        zones: sql::zone_members(&mut conn).await?,
        later_site_events: sql::site_events_after(&mut conn, cut_off).await?,
        inventory: sql::inventory(&mut conn, &kinds, &attrs).await?,
        towns: sql::town_names(&mut conn).await?,
        linked_sites: sql::linked_sites(&mut conn).await?,
    })
}

async fn load_snapshot(
    pool: &PgPool,
    cut_off: DateTime<Utc>,
    period_start: Option<DateTime<Utc>>,
    wanted: &[sql::InventoryWanted],
) -> sqlx::Result<Snapshot> {
    let started = std::time::Instant::now();
    let kinds: Vec<String> = wanted.iter().map(|w| w.kind.clone()).collect();
    let attrs: Vec<String> = wanted
        .iter()
        .map(|w| w.attr.clone().unwrap_or_default())
        .collect();
    let side = tokio::spawn(read_side_data(pool.clone(), cut_off, kinds, attrs));

    let mut conn = pool.acquire().await?;
    let current = sql::current_projects(&mut conn).await?;
    let mut projects = Vec::with_capacity(current.len());
    let mut period = Vec::new();
    let mut replayed: HashSet<i64> = HashSet::with_capacity(current.len());
    sql::for_each_project_history(&mut conn, |id, events| {
        replayed.insert(id);
        if let Some(now) = current.get(&id)
            && let Some(p) =
                state::replay_project(id, now, events, cut_off, period_start, &mut period)
        {
            projects.push(p);
        }
    })
    .await?;
    for (id, now) in &current {
        if !replayed.contains(id)
            && let Some(p) =
                state::replay_project(*id, now, &[], cut_off, period_start, &mut period)
        {
            projects.push(p);
        }
    }
    drop(current);
    projects.sort_by(|a, b| a.code.cmp(&b.code));
    tracing::debug!(
        projects = projects.len(),
        ms = started.elapsed().as_millis(),
        "report: projects replayed"
    );

    let side = side
        .await
        .map_err(|e| sqlx::Error::Protocol(format!("report reader: {e}")))??;
    let SideData {
        zones: zones_now,
        later_site_events,
        inventory: inventory_now,
        towns,
        linked_sites: mut current_sites,
    } = side;
    let mut wanted_sites: HashSet<i64> = projects
        .iter()
        .flat_map(|p| p.site_ids.iter().copied())
        .collect();
    wanted_sites.extend(
        zones_now
            .iter()
            .flat_map(|zone| zone.members.iter().copied()),
    );
    wanted_sites.extend(later_site_events.iter().map(|(id, _, _)| *id));
    let ids: Vec<i64> = wanted_sites.iter().copied().collect();
    let missing: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !current_sites.contains_key(id))
        .collect();
    current_sites.extend(sql::current_sites(&mut conn, &missing).await?);

    // undo later site events; remember each touched site's current and as-of inventory keys
    let mut later: BTreeMap<i64, (Vec<&Value>, bool)> = BTreeMap::new();
    for (id, kind, changes) in &later_site_events {
        let entry = later.entry(*id).or_default();
        entry.0.push(&changes.0);
        // newest first: the last one seen is the oldest
        entry.1 = kind == "created";
    }
    let mut inventory: HashMap<(String, String, String), i64> = HashMap::new();
    for c in inventory_now {
        let key = (
            c.kind,
            c.attr.unwrap_or_default(),
            c.value.unwrap_or_default(),
        );
        *inventory.entry(key).or_default() += c.count;
    }
    let mut sites: HashMap<i64, SiteFields> = HashMap::with_capacity(current_sites.len());
    for id in ids {
        let now = current_sites.remove(&id);
        match later.get(&id) {
            None => {
                if let Some(now) = now {
                    sites.insert(id, now);
                }
            }
            Some((events, created_later)) => {
                for key in inventory_keys(now.as_ref(), wanted) {
                    *inventory.entry(key).or_default() -= 1;
                }
                let then = state::site_as_of(now, events, *created_later);
                for key in inventory_keys(then.as_ref(), wanted) {
                    *inventory.entry(key).or_default() += 1;
                }
                if let Some(then) = then {
                    sites.insert(id, then);
                }
            }
        }
    }
    tracing::debug!(
        sites = sites.len(),
        ms = started.elapsed().as_millis(),
        "report: sites and inventory as of the date"
    );
    let zones = zones_now
        .into_iter()
        .filter(|zone| sites.contains_key(&zone.id) || !later.contains_key(&zone.id))
        .map(|zone| {
            let campaign = Campaign::of(zone.attrs.0.as_object().unwrap_or(&Map::new()));
            (zone.name, campaign, zone.members)
        })
        .collect();
    Ok(Snapshot {
        projects,
        sites,
        towns,
        period,
        inventory,
        zones,
    })
}

/// The inventory counts a site contributes to.
fn inventory_keys(
    site: Option<&SiteFields>,
    wanted: &[sql::InventoryWanted],
) -> Vec<(String, String, String)> {
    let Some(site) = site else { return Vec::new() };
    let Some(kind) = site.get("kind").and_then(Value::as_str) else {
        return Vec::new();
    };
    let mut keys = Vec::new();
    let mut kind_counted = false;
    for w in wanted.iter().filter(|w| w.kind == kind) {
        if !kind_counted {
            keys.push((kind.to_string(), String::new(), String::new()));
            kind_counted = true;
        }
        if let Some(attr) = w.attr.as_deref().filter(|a| !a.is_empty()) {
            for value in scalar_texts(site.get(attr)) {
                keys.push((kind.to_string(), attr.to_string(), value));
            }
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// An attribute's value as the texts it is counted under (each element of an array).
fn scalar_texts(value: Option<&Value>) -> Vec<String> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().flat_map(|v| scalar_texts(Some(v))).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(other) => vec![other.to_string()],
    }
}

fn town_short(name: &str) -> String {
    ["街道", "镇", "乡"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .unwrap_or(name)
        .to_string()
}

fn item(
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
    }
}

fn is_done(status: ProjectStatus) -> bool {
    matches!(status, ProjectStatus::Completed | ProjectStatus::Accepted)
}

fn percent(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// The figures of one programme as its templates and tables see them.
fn programme_context(
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

fn programme_part(
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
fn zones_context(snapshot: &Snapshot) -> Value {
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

fn section_context(
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

fn changes(
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
