//! Alerts from a regrading: each site's latest day graded, the month of that day where a target
//! asks for it, the warnings that calls for (domain::monitoring::alert), and the alerts opened
//! and closed to match, each in the audit.

use crate::db::events::Actor;
use crate::db::samples::{self, SampleValue, SampledSite, StoredGrading};
use crate::db::{alerts, audit};
use crate::domain::SiteKind;
use crate::domain::monitoring::alert::{AlertKind, Context, Warning, warnings};
use crate::domain::monitoring::soil::LandUse;
use crate::domain::monitoring::water::{self, SingleFactor};
use crate::domain::monitoring::{
    DayGrading, Measured, Parameter, Period, china_time, grade_day, means, water_body, water_target,
};
use chrono::{DateTime, Datelike, Utc};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;
use std::collections::{BTreeMap, HashMap};

/// A site with its latest day graded.
pub struct GradedSite {
    pub site: SampledSite,
    pub day: DayGrading,
    pub day_means: Vec<(Parameter, f64)>,
    pub latest: Option<DateTime<Utc>>,
}

impl GradedSite {
    pub fn new(site: SampledSite, day: &[SampleValue]) -> GradedSite {
        let readings: Vec<(Parameter, Measured)> =
            day.iter().filter_map(SampleValue::reading).collect();
        let graded = match site.kind.parse::<SiteKind>() {
            Ok(kind) => grade_day(kind, attrs(&site), &readings),
            Err(_) => DayGrading::default(),
        };
        GradedSite {
            day: graded,
            day_means: means(&readings),
            latest: day.iter().map(|s| s.sampled_at).max(),
            site,
        }
    }

    /// The grading the site stores.
    pub fn stored(&self) -> StoredGrading {
        StoredGrading {
            site_id: self.site.id,
            latest_class: self
                .day
                .water
                .as_ref()
                .map(|w| w.class.as_str().to_string()),
            latest_sampled_at: self.latest,
            meets_target: self.day.meets_target,
            black_odor_grade: self
                .day
                .black_odor
                .as_ref()
                .map(|(g, _)| g.as_str().to_string()),
            soil_risk: self.day.soil.as_ref().map(|(r, _)| r.as_str().to_string()),
        }
    }
}

fn attrs(site: &SampledSite) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    site.attrs
        .0
        .as_object()
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

/// The month (China time) of an instant.
fn month_of(at: DateTime<Utc>) -> Period {
    let local = at.with_timezone(&china_time());
    Period::Month {
        year: local.year(),
        month: local.month(),
    }
}

/// The single-factor grading of the latest day's month, for the sites with a target.
async fn month_gradings(
    conn: &mut PgConnection,
    graded: &[GradedSite],
) -> sqlx::Result<HashMap<i64, SingleFactor>> {
    let mut by_month: BTreeMap<(i32, u32), Vec<i64>> = BTreeMap::new();
    for g in graded {
        if let (Some(latest), Some(_)) = (g.latest, water_target(attrs(&g.site)))
            && let Period::Month { year, month } = month_of(latest)
        {
            by_month.entry((year, month)).or_default().push(g.site.id);
        }
    }
    let mut gradings = HashMap::new();
    for ((year, month), ids) in by_month {
        let Some((from, to)) = (Period::Month { year, month }).bounds() else {
            continue;
        };
        let mut values: HashMap<i64, Vec<(Parameter, f64)>> = HashMap::new();
        for mean in samples::period_means(conn, &ids, from, to).await? {
            if let Ok(parameter) = mean.parameter.parse() {
                values
                    .entry(mean.site_id)
                    .or_default()
                    .push((parameter, mean.mean));
            }
        }
        for g in graded.iter().filter(|g| ids.contains(&g.site.id)) {
            if let Some(graded) = values
                .get(&g.site.id)
                .and_then(|v| water::single_factor(v, water_body(attrs(&g.site))))
            {
                gradings.insert(g.site.id, graded);
            }
        }
    }
    Ok(gradings)
}

/// Opens the alerts the sites' gradings call for and closes those they no longer do; returns
/// (opened, closed).
pub async fn evaluate(
    conn: &mut PgConnection,
    actor: &Actor,
    graded: &[GradedSite],
    batch_id: Option<i64>,
) -> sqlx::Result<(usize, usize)> {
    let ids: Vec<i64> = graded.iter().map(|g| g.site.id).collect();
    let months = month_gradings(conn, graded).await?;
    let mut unclosed: HashMap<(i64, String), i64> = alerts::unclosed(conn, &ids)
        .await?
        .into_iter()
        .map(|a| ((a.site_id, a.kind), a.id))
        .collect();
    let (mut opened, mut closed) = (0, 0);
    for g in graded {
        let Some(latest) = g.latest else {
            continue;
        };
        let attrs = attrs(&g.site);
        let context = Context {
            body: water_body(attrs),
            target: water_target(attrs),
            land: LandUse::of_attribute(attrs.get("land_use_class").and_then(Value::as_i64)),
            day_means: &g.day_means,
            month: months.get(&g.site.id),
            remediated: g.site.remediation_state == "done",
        };
        let called_for: Vec<Warning> = warnings(&g.day, &context);
        for warning in &called_for {
            let key = (g.site.id, warning.kind.as_str().to_string());
            if unclosed.remove(&key).is_some() {
                continue;
            }
            let id = alerts::open(
                conn,
                g.site.id,
                warning.kind.as_str(),
                &warning.cause,
                latest,
                batch_id,
            )
            .await?;
            audit::record(
                conn,
                actor,
                "alert.opened",
                &format!("alert {id}"),
                json!({ "site": g.site.code, "kind": warning.kind.as_str(), "cause": warning.cause }),
            )
            .await?;
            opened += 1;
        }
        for kind in AlertKind::ALL {
            if called_for.iter().any(|w| w.kind == kind) {
                continue;
            }
            if let Some(id) = unclosed.remove(&(g.site.id, kind.as_str().to_string())) {
                alerts::close(conn, id, latest).await?;
                audit::record(
                    conn,
                    actor,
                    "alert.closed",
                    &format!("alert {id}"),
                    json!({ "site": g.site.code, "kind": kind.as_str(), "closed_by_sample": latest }),
                )
                .await?;
                closed += 1;
            }
        }
    }
    Ok((opened, closed))
}
