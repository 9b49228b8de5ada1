//! The assessment of a period: each parameter's mean over the period graded by the standards,
//! and the site's class by the single-factor rule (water) or its soil risk (plots).

use crate::db::samples::{self, SampledSite};
use crate::domain::SiteKind;
use crate::domain::monitoring::soil::{self, LandUse};
use crate::domain::monitoring::water::{self, WaterClass};
use crate::domain::monitoring::{Parameter, SoilRisk, water_body, water_target};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::PgConnection;
use std::collections::HashMap;

/// One parameter over the period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ParameterAssessment {
    pub parameter: String,
    pub unit: &'static str,
    pub mean: f64,
    /// samples averaged
    pub count: i64,
    /// the GB 3838 class of the mean; none for parameters not evaluated (TN in rivers,
    /// transparency, ORP …) and for soil
    #[schema(value_type = Option<String>)]
    pub class: Option<WaterClass>,
    /// a plot's pollutant against GB 36600
    #[schema(value_type = Option<String>)]
    pub soil_risk: Option<SoilRisk>,
}

/// A site's assessment of one period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Assessment {
    pub site_id: i64,
    pub code: String,
    /// the period (2025-06, 2025), or the window of a project's effect (before, after)
    pub period: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub parameters: Vec<ParameterAssessment>,
    /// the single-factor class; none without a graded parameter
    #[schema(value_type = Option<String>)]
    pub class: Option<WaterClass>,
    /// the parameters that set the class (none at class Ⅰ)
    pub limiting: Vec<&'static str>,
    #[schema(value_type = Option<String>)]
    pub target: Option<WaterClass>,
    pub meets_target: Option<bool>,
    /// plots: the worst pollutant's risk, and the pollutants that set it
    #[schema(value_type = Option<String>)]
    pub soil_risk: Option<SoilRisk>,
    pub soil_pollutants: Vec<&'static str>,
}

/// Assesses the sites over the period, from one query for all of them.
pub async fn assess(
    conn: &mut PgConnection,
    sites: &[SampledSite],
    period: &str,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> sqlx::Result<Vec<Assessment>> {
    let ids: Vec<i64> = sites.iter().map(|s| s.id).collect();
    let mut by_site: HashMap<i64, Vec<(Parameter, f64, i64)>> = HashMap::new();
    for m in samples::period_means(conn, &ids, from, to).await? {
        if let Ok(parameter) = m.parameter.parse() {
            by_site
                .entry(m.site_id)
                .or_default()
                .push((parameter, m.mean, m.count));
        }
    }
    Ok(sites
        .iter()
        .map(|site| {
            let of_site = by_site.get(&site.id).map_or(&[][..], Vec::as_slice);
            assess_one(site, period, (from, to), of_site)
        })
        .collect())
}

fn assess_one(
    site: &SampledSite,
    period: &str,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    means: &[(Parameter, f64, i64)],
) -> Assessment {
    let empty = Map::new();
    let attrs = site.attrs.0.as_object().unwrap_or(&empty);
    let is_plot = site.kind.parse::<SiteKind>() == Ok(SiteKind::ContaminatedPlot);
    let body = water_body(attrs);
    let land = LandUse::of_attribute(attrs.get("land_use_class").and_then(Value::as_i64));
    let values: Vec<(Parameter, f64)> = means.iter().map(|&(p, mean, _)| (p, mean)).collect();
    let parameters = means
        .iter()
        .map(|&(parameter, mean, count)| ParameterAssessment {
            parameter: parameter.code().to_string(),
            unit: parameter.unit(),
            mean,
            count,
            class: (!is_plot)
                .then(|| water::classify(parameter, body, mean))
                .flatten(),
            soil_risk: is_plot.then(|| soil::risk(parameter, land, mean)).flatten(),
        })
        .collect();
    let graded = (!is_plot)
        .then(|| water::single_factor(&values, body))
        .flatten();
    let target = water_target(attrs);
    let (soil_risk, soil_pollutants) =
        match is_plot.then(|| soil::plot_risk(&values, land)).flatten() {
            Some((risk, pollutants)) => (Some(risk), pollutants),
            None => (None, Vec::new()),
        };
    Assessment {
        site_id: site.id,
        code: site.code.clone(),
        period: period.to_string(),
        from,
        to,
        parameters,
        class: graded.as_ref().map(|g| g.class),
        meets_target: graded.as_ref().zip(target).map(|(g, t)| g.class.meets(t)),
        limiting: graded.map(|g| g.limiting).unwrap_or_default(),
        target,
        soil_risk,
        soil_pollutants,
    }
}
