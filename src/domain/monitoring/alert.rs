//! Early warning: which alerts a site's latest grading calls for, each with its cause (the
//! parameters, their values and the limits they break).
//!
//! - `over_target`: a site with a `water_target` whose latest sample, or the mean of that
//!   sample's month, is worse than the target;
//! - `worse_than_v`: a latest sample beyond class Ⅴ;
//! - `rebound` (回潮反弹): a black-odor body whose projects are all done, graded black-odor again;
//! - `soil_over_screening` / `soil_over_intervention`: a plot's latest results over GB 36600's
//!   screening or intervention value.
//!
//! An alert closes when a later sample is back within bounds, that is when the latest grading
//! no longer calls for its kind.

use super::black_odor::BlackOdorGrade;
use super::soil::{self, LandUse, SoilRisk};
use super::water::{self, SingleFactor, WaterBody, WaterClass};
use super::{DayGrading, Parameter};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertKind {
    OverTarget,
    WorseThanV,
    Rebound,
    SoilOverScreening,
    SoilOverIntervention,
}

impl AlertKind {
    pub const ALL: [AlertKind; 5] = [
        AlertKind::OverTarget,
        AlertKind::WorseThanV,
        AlertKind::Rebound,
        AlertKind::SoilOverScreening,
        AlertKind::SoilOverIntervention,
    ];
    pub const NAMES: [&'static str; 5] = [
        "over_target",
        "worse_than_v",
        "rebound",
        "soil_over_screening",
        "soil_over_intervention",
    ];

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// An alert the grading calls for.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub kind: AlertKind,
    pub cause: Value,
}

/// What the warnings are judged on, besides the latest day's grading.
pub struct Context<'a> {
    pub body: WaterBody,
    pub target: Option<WaterClass>,
    pub land: LandUse,
    /// the latest day's readings as graded (effective values, one mean per parameter)
    pub day_means: &'a [(Parameter, f64)],
    /// the single-factor grading of the latest sample's month, when it has one
    pub month: Option<&'a SingleFactor>,
    /// every linked project is completed or accepted (remediation_state `done`)
    pub remediated: bool,
}

/// The parameters of a grading worse than `bound`, with the limit of `bound` they exceed.
fn breaking(graded: &SingleFactor, bound: WaterClass, body: WaterBody) -> Vec<Value> {
    graded
        .parameters
        .iter()
        .filter(|p| p.class > bound)
        .filter_map(|p| {
            let parameter: Parameter = p.parameter.parse().ok()?;
            Some(json!({
                "parameter": p.parameter,
                "value": p.value,
                "unit": parameter.unit(),
                "class": p.class,
                // pH has a range, 6–9, rather than a limit
                "limit": water::limit(parameter, body, bound),
            }))
        })
        .collect()
}

pub fn warnings(day: &DayGrading, context: &Context) -> Vec<Warning> {
    let mut found = Vec::new();
    if let Some(graded) = &day.water {
        if let Some(target) = context.target {
            let month_over = context.month.filter(|m| !m.class.meets(target));
            if !graded.class.meets(target) || month_over.is_some() {
                let (scope, over) = if graded.class.meets(target) {
                    ("month", month_over.unwrap_or(graded))
                } else {
                    ("sample", graded)
                };
                found.push(Warning {
                    kind: AlertKind::OverTarget,
                    cause: json!({
                        "scope": scope,
                        "class": over.class,
                        "target": target,
                        "parameters": breaking(over, target, context.body),
                    }),
                });
            }
        }
        if graded.class == WaterClass::WorseThanV {
            found.push(Warning {
                kind: AlertKind::WorseThanV,
                cause: json!({
                    "class": graded.class,
                    "parameters": breaking(graded, WaterClass::V, context.body),
                }),
            });
        }
    }
    if let Some((grade, indicators)) = &day.black_odor
        && context.remediated
        && *grade != BlackOdorGrade::None
    {
        let values: Vec<Value> = indicators
            .iter()
            .filter_map(|code| {
                let (parameter, value) =
                    context.day_means.iter().find(|(p, _)| p.code() == *code)?;
                Some(json!({ "parameter": code, "value": value, "unit": parameter.unit() }))
            })
            .collect();
        found.push(Warning {
            kind: AlertKind::Rebound,
            cause: json!({ "grade": grade, "parameters": values }),
        });
    }
    if let Some((risk, pollutants)) = &day.soil {
        let kind = match risk {
            SoilRisk::BelowScreening => None,
            SoilRisk::OverScreening => Some(AlertKind::SoilOverScreening),
            SoilRisk::OverIntervention => Some(AlertKind::SoilOverIntervention),
        };
        if let Some(kind) = kind {
            let values: Vec<Value> = pollutants
                .iter()
                .filter_map(|code| {
                    let (parameter, value) =
                        context.day_means.iter().find(|(p, _)| p.code() == *code)?;
                    let (screening, intervention) = soil::values(*parameter, context.land)?;
                    Some(json!({
                        "parameter": code, "value": value, "unit": parameter.unit(),
                        "screening": screening, "intervention": intervention,
                    }))
                })
                .collect();
            found.push(Warning {
                kind,
                cause: json!({
                    "risk": risk,
                    "land_use_class": match context.land { LandUse::Class1 => 1, LandUse::Class2 => 2 },
                    "parameters": values,
                }),
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SiteKind;
    use crate::domain::monitoring::{Measured, grade_day, means};
    use serde_json::Map;

    fn context<'a>(
        day_means: &'a [(Parameter, f64)],
        target: Option<WaterClass>,
        remediated: bool,
    ) -> Context<'a> {
        Context {
            body: WaterBody::River,
            target,
            land: LandUse::Class1,
            day_means,
            month: None,
            remediated,
        }
    }

    fn day(kind: SiteKind, readings: &[(Parameter, f64)]) -> (DayGrading, Vec<(Parameter, f64)>) {
        let readings: Vec<(Parameter, Measured)> = readings
            .iter()
            .map(|&(p, v)| (p, Measured::Value(v)))
            .collect();
        (grade_day(kind, &Map::new(), &readings), means(&readings))
    }

    #[test]
    fn a_section_over_its_target_and_beyond_class_v() {
        let (graded, m) = day(
            SiteKind::MonitoringSection,
            &[(Parameter::Nh3n, 2.5), (Parameter::Do, 6.0)],
        );
        let found = warnings(&graded, &context(&m, Some(WaterClass::III), false));
        let kinds: Vec<AlertKind> = found.iter().map(|w| w.kind).collect();
        assert_eq!(kinds, [AlertKind::OverTarget, AlertKind::WorseThanV]);
        assert_eq!(
            found[0].cause,
            json!({"scope": "sample", "class": "worse_than_V", "target": "III",
                   "parameters": [{"parameter": "nh3n", "value": 2.5, "unit": "mg/L", "class": "worse_than_V", "limit": 1.0}]})
        );
        assert_eq!(found[1].cause["parameters"][0]["limit"], 2.0);
        let (clean, m) = day(SiteKind::MonitoringSection, &[(Parameter::Nh3n, 0.9)]);
        assert_eq!(
            warnings(&clean, &context(&m, Some(WaterClass::III), false)),
            []
        );
    }

    #[test]
    fn a_month_over_target_keeps_the_alert_although_the_day_meets_it() {
        let (graded, m) = day(SiteKind::MonitoringSection, &[(Parameter::Nh3n, 0.9)]);
        let month = water::single_factor(&[(Parameter::Nh3n, 1.3)], WaterBody::River).unwrap();
        let mut ctx = context(&m, Some(WaterClass::III), false);
        ctx.month = Some(&month);
        let found = warnings(&graded, &ctx);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].cause["scope"], "month");
        assert_eq!(found[0].cause["class"], "IV");
    }

    #[test]
    fn a_rebound_needs_finished_projects() {
        let readings = [(Parameter::Do, 1.0), (Parameter::Transparency, 40.0)];
        let (graded, m) = day(SiteKind::BlackOdorWater, &readings);
        assert!(
            warnings(&graded, &context(&m, None, false))
                .iter()
                .all(|w| w.kind != AlertKind::Rebound)
        );
        let found = warnings(&graded, &context(&m, None, true));
        let rebound = found.iter().find(|w| w.kind == AlertKind::Rebound).unwrap();
        assert_eq!(
            rebound.cause,
            json!({"grade": "light", "parameters": [{"parameter": "do", "value": 1.0, "unit": "mg/L"}]})
        );
    }

    #[test]
    fn a_plot_over_screening_or_intervention() {
        let (graded, m) = day(
            SiteKind::ContaminatedPlot,
            &[(Parameter::As, 130.0), (Parameter::Pb, 500.0)],
        );
        let found = warnings(&graded, &context(&m, None, false));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, AlertKind::SoilOverIntervention);
        assert_eq!(
            found[0].cause["parameters"],
            json!([{"parameter": "as", "value": 130.0, "unit": "mg/kg", "screening": 20.0, "intervention": 120.0}])
        );
    }
}
