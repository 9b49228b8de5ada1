//! The water-quality figures of the report, as of its date: the sections assessed this year and
//! those meeting their target, the 劣Ⅴ sections, the tributaries lifted out of 劣Ⅴ since last year
//! (消劣), and the black-odor bodies that rebounded after their works. Every figure is graded
//! from the samples dated up to the report's date, whenever they were imported: a late result
//! dated before the date counts, one dated after it does not.

use super::load::Snapshot;
use super::state::remediation_state;
use crate::db::samples::{self, ParameterMean, SampledSite};
use crate::domain::SiteKind;
use crate::domain::monitoring::water::{self, WaterClass};
use crate::domain::monitoring::{
    BlackOdorGrade, Measured, Parameter, grade_day, in_china_time, water_body, water_target,
};
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::PgConnection;
use std::collections::HashMap;

#[derive(Debug, Clone, Default, Serialize)]
pub struct WaterQuality {
    /// sections with a graded sample this year up to the date
    pub sections_assessed: usize,
    /// of those with a target, the ones whose year-to-date class meets it
    pub sections_with_target: usize,
    pub sections_meeting_target: usize,
    /// percent of the sections with a target, one decimal; none without any
    pub meeting_share: Option<f64>,
    pub sections_worse_than_v: usize,
    /// tributaries 劣Ⅴ last year (over their own samples and their sections') and not this year
    pub lifted_out_of_worse_than_v: Vec<String>,
    /// black-odor bodies whose projects are all done and whose latest survey is black-odor
    pub rebounds: Vec<String>,
}

fn midnight(date: NaiveDate) -> Option<DateTime<Utc>> {
    in_china_time(date.and_time(NaiveTime::MIN))
}

/// Each site's year-to-date or year means, weighted together over a group of sites.
fn pooled(means: &[ParameterMean], ids: &[i64]) -> Vec<(Parameter, f64)> {
    let mut sums: HashMap<String, (f64, i64)> = HashMap::new();
    for m in means.iter().filter(|m| ids.contains(&m.site_id)) {
        let entry = sums.entry(m.parameter.clone()).or_default();
        entry.0 += m.mean * m.count as f64;
        entry.1 += m.count;
    }
    sums.into_iter()
        .filter_map(|(p, (sum, n))| Some((p.parse().ok()?, sum / n as f64)))
        .collect()
}

fn attrs(site: &SampledSite) -> Map<String, Value> {
    site.attrs.0.as_object().cloned().unwrap_or_default()
}

pub(super) async fn water_quality(
    conn: &mut PgConnection,
    as_of: NaiveDate,
    cut_off: DateTime<Utc>,
    snapshot: &Snapshot,
) -> sqlx::Result<WaterQuality> {
    let mut figures = WaterQuality::default();
    let (Some(year_start), Some(last_year_start)) = (
        NaiveDate::from_ymd_opt(as_of.year(), 1, 1).and_then(midnight),
        NaiveDate::from_ymd_opt(as_of.year() - 1, 1, 1).and_then(midnight),
    ) else {
        return Ok(figures);
    };
    let sites = samples::water_sites(conn).await?;
    let ids: Vec<i64> = sites.iter().map(|s| s.id).collect();
    let this_year = samples::period_means(conn, &ids, year_start, cut_off).await?;
    let last_year = samples::period_means(conn, &ids, last_year_start, year_start).await?;

    for site in sites.iter().filter(|s| s.kind == "monitoring_section") {
        let a = attrs(site);
        let Some(graded) = water::single_factor(&pooled(&this_year, &[site.id]), water_body(&a))
        else {
            continue;
        };
        figures.sections_assessed += 1;
        if graded.class == WaterClass::WorseThanV {
            figures.sections_worse_than_v += 1;
        }
        if let Some(target) = water_target(&a) {
            figures.sections_with_target += 1;
            if graded.class.meets(target) {
                figures.sections_meeting_target += 1;
            }
        }
    }
    if figures.sections_with_target > 0 {
        let share = figures.sections_meeting_target as f64 / figures.sections_with_target as f64;
        figures.meeting_share = Some((share * 1000.0).round() / 10.0);
    }

    for river in sites.iter().filter(|s| s.kind == "river") {
        let group: Vec<i64> = std::iter::once(river.id)
            .chain(sites.iter().filter_map(|s| {
                let on_river = s.kind == "monitoring_section"
                    && s.attrs.0.get("river_code").and_then(Value::as_str) == Some(&river.code);
                on_river.then_some(s.id)
            }))
            .collect();
        let body = water_body(&attrs(river));
        let class_of = |means: &[ParameterMean]| {
            water::single_factor(&pooled(means, &group), body).map(|g| g.class)
        };
        if class_of(&last_year) == Some(WaterClass::WorseThanV)
            && class_of(&this_year).is_some_and(|c| c != WaterClass::WorseThanV)
        {
            figures.lifted_out_of_worse_than_v.push(river.name.clone());
        }
    }

    let bodies: Vec<&SampledSite> = sites
        .iter()
        .filter(|s| s.kind == "black_odor_water")
        .collect();
    let body_ids: Vec<i64> = bodies.iter().map(|s| s.id).collect();
    let mut latest: HashMap<i64, Vec<(Parameter, Measured)>> = HashMap::new();
    for v in samples::latest_day(conn, &body_ids, cut_off).await? {
        if let Some(reading) = v.reading() {
            latest.entry(v.site_id).or_default().push(reading);
        }
    }
    for body in bodies {
        let statuses: Vec<_> = snapshot
            .projects
            .iter()
            .filter(|p| p.site_ids.contains(&body.id))
            .map(|p| p.status)
            .collect();
        if remediation_state(&statuses) != "done" {
            continue;
        }
        let Some(readings) = latest.get(&body.id) else {
            continue;
        };
        let graded = grade_day(SiteKind::BlackOdorWater, &attrs(body), readings);
        if graded
            .black_odor
            .is_some_and(|(grade, _)| grade != BlackOdorGrade::None)
        {
            figures.rebounds.push(body.name.clone());
        }
    }
    Ok(figures)
}
