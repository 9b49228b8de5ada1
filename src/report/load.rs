//! Loading what a report needs as of its cut-off: every project replayed from its history (in
//! shares of the ids, each on a connection of its own) while the zones, later site events,
//! inventory counts, town names and linked sites are read on another; then sites and inventory
//! counts put back as they stood.

use super::sql;
use super::state::{self, CurrentProject, PeriodEvent, ProjectAsOf, SiteFields};
use crate::domain::zone::Campaign;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sqlx::PgPool;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Everything the figures need, as of the cut-off.
pub(super) struct Snapshot {
    pub(super) projects: Vec<ProjectAsOf>,
    pub(super) sites: HashMap<i64, SiteFields>,
    pub(super) towns: HashMap<String, String>,
    pub(super) period: Vec<PeriodEvent>,
    /// inventory counts as of the cut-off: (kind, attr, value) → count; (kind, "", "") is the kind
    pub(super) inventory: HashMap<(String, String, String), i64>,
    /// each key zone's name, campaign and the sites inside it
    pub(super) zones: Vec<(String, Campaign, Vec<i64>)>,
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

/// The projects' histories are replayed in this many shares of their ids, each on a connection
/// and a task of its own: decoding a million events' JSON then runs on every core.
pub const REPLAY_SHARES: usize = 2;

type ReplayShare = tokio::task::JoinHandle<sqlx::Result<(Vec<ProjectAsOf>, Vec<PeriodEvent>)>>;

/// Splits the projects into shares of consecutive ids of about equal size and starts their
/// replays.
fn replay_shares(
    pool: &PgPool,
    mut current: HashMap<i64, CurrentProject>,
    cut_off: DateTime<Utc>,
    period_start: Option<DateTime<Utc>>,
) -> Vec<ReplayShare> {
    let mut ids: Vec<i64> = current.keys().copied().collect();
    ids.sort_unstable();
    let share_len = ids.len().div_ceil(REPLAY_SHARES).max(1);
    ids.chunks(share_len)
        .map(|chunk| {
            let share: HashMap<i64, CurrentProject> = chunk
                .iter()
                .filter_map(|id| current.remove_entry(id))
                .collect();
            let range = chunk[0]..=chunk[chunk.len() - 1];
            tokio::spawn(replay_share(
                pool.clone(),
                share,
                range,
                cut_off,
                period_start,
            ))
        })
        .collect()
}

/// Replays the projects of one share: each as it stood at the cut-off (None when it did not
/// exist yet), and the events of the period.
async fn replay_share(
    pool: PgPool,
    mut current: HashMap<i64, CurrentProject>,
    ids: std::ops::RangeInclusive<i64>,
    cut_off: DateTime<Utc>,
    period_start: Option<DateTime<Utc>>,
) -> sqlx::Result<(Vec<ProjectAsOf>, Vec<PeriodEvent>)> {
    let mut conn = pool.acquire().await?;
    let mut projects = Vec::with_capacity(current.len());
    let mut period = Vec::new();
    sql::for_each_project_history(&mut conn, ids, |id, events| {
        if let Some(now) = current.remove(&id)
            && let Some(p) =
                state::replay_project(id, now, events, cut_off, period_start, &mut period)
        {
            projects.push(p);
        }
    })
    .await?;
    // what is left has no history
    for (id, now) in current {
        if let Some(p) = state::replay_project(id, now, &mut [], cut_off, period_start, &mut period)
        {
            projects.push(p);
        }
    }
    Ok((projects, period))
}

pub(super) async fn load_snapshot(
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

    let current = sql::current_projects(&mut *pool.acquire().await?).await?;
    let shares = replay_shares(pool, current, cut_off, period_start);
    let mut projects = Vec::new();
    let mut period = Vec::new();
    for share in shares {
        let (share_projects, share_period) = share
            .await
            .map_err(|e| sqlx::Error::Protocol(format!("report replay: {e}")))??;
        projects.extend(share_projects);
        period.extend(share_period);
    }
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
    current_sites.extend(sql::current_sites(&mut *pool.acquire().await?, &missing).await?);

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
pub(super) fn scalar_texts(value: Option<&Value>) -> Vec<String> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().flat_map(|v| scalar_texts(Some(v))).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(other) => vec![other.to_string()],
    }
}
