//! Measurements and their grading by the national standards: the parameter vocabulary, water
//! classes (GB 3838-2002), black-odor grades (住建部 2015 guide) and soil risk (GB 36600-2018),
//! and the reading of one cell and one time of a lab's sheet.

pub mod alert;
pub mod black_odor;
pub mod parameter;
pub mod soil;
pub mod water;

pub use black_odor::BlackOdorGrade;
pub use parameter::{PARAMETERS, Parameter};
pub use soil::SoilRisk;
pub use water::{WaterBody, WaterClass};

use crate::domain::SiteKind;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// China Standard Time, the zone of a time written without one.
pub fn china_time() -> FixedOffset {
    // 8 hours east of UTC is always a valid offset
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// One measured value as a sheet gives it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measured {
    Value(f64),
    /// below the detection limit: `<0.01` gives the limit, `ND` none
    BelowDetection(Option<f64>),
}

impl Measured {
    /// The value means and grades use: the value itself; half the detection limit below it; 0
    /// for a non-detect without a stated limit.
    pub fn effective(self) -> f64 {
        match self {
            Measured::Value(v) => v,
            Measured::BelowDetection(limit) => limit.map_or(0.0, |l| l / 2.0),
        }
    }

    /// The number stored: the value, or the detection limit.
    pub fn stored(self) -> Option<f64> {
        match self {
            Measured::Value(v) => Some(v),
            Measured::BelowDetection(limit) => limit,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CellProblem {
    #[error("{0:?} is not a number, a detection limit like <0.01, or ND")]
    Unparseable(String),
    #[error(transparent)]
    Impossible(#[from] parameter::ImpossibleValue),
}

/// Reads a cell of a parameter's column, whose unit is `scale` times the parameter's; `None` for
/// an empty cell (not measured).
pub fn parse_cell(
    parameter: Parameter,
    text: &str,
    scale: f64,
) -> Result<Option<Measured>, CellProblem> {
    let text = text.trim();
    if text.is_empty() || text == "-" || text == "—" {
        return Ok(None);
    }
    let upper = text.to_ascii_uppercase();
    if upper == "ND" || text == "未检出" {
        return Ok(Some(Measured::BelowDetection(None)));
    }
    let number = |s: &str| {
        s.trim()
            .parse::<f64>()
            .ok()
            .map(|v| v * scale)
            .filter(|v| v.is_finite())
            .ok_or_else(|| CellProblem::Unparseable(text.to_string()))
    };
    let measured = if let Some(limit) = text.strip_prefix(['<', '＜']) {
        Measured::BelowDetection(Some(number(limit)?))
    } else if let Some(limit) = upper.strip_suffix('L').filter(|s| !s.is_empty()) {
        // the lab's "0.01L" notation: below the detection limit 0.01
        Measured::BelowDetection(Some(number(limit)?))
    } else {
        Measured::Value(number(text)?)
    };
    if let Some(v) = measured.stored() {
        parameter.check_value(v)?;
    }
    Ok(Some(measured))
}

/// A sampling time: RFC 3339, or a date and time without a zone (China time), or a date
/// (midnight China time). Dates may use `-` or `/`; the time may be separated by a space or T.
pub fn parse_sampled_at(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let text = text.replace('/', "-");
    let local = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(&text, format).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .ok()
            .map(|d| d.and_time(NaiveTime::MIN))
    })?;
    in_china_time(local)
}

/// A wall-clock time in China as an instant.
pub fn in_china_time(local: NaiveDateTime) -> Option<DateTime<Utc>> {
    china_time()
        .from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// An assessment period: a month or a year, in China time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Month { year: i32, month: u32 },
    Year(i32),
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("period {0:?} is neither a month (2025-06) nor a year (2025)")]
pub struct BadPeriod(pub String);

impl Period {
    pub fn parse(text: &str) -> Result<Period, BadPeriod> {
        let bad = || BadPeriod(text.to_string());
        let text = text.trim();
        let year = |y: &str| {
            y.parse::<i32>()
                .ok()
                .filter(|y| (1900..=2200).contains(y) && text.len() >= 4)
        };
        match text.split_once('-') {
            None => year(text).map(Period::Year).ok_or_else(bad),
            Some((y, m)) => {
                let month = m.parse::<u32>().ok().filter(|m| (1..=12).contains(m));
                match (year(y), month) {
                    (Some(year), Some(month)) if m.len() == 2 => Ok(Period::Month { year, month }),
                    _ => Err(bad()),
                }
            }
        }
    }

    /// [start, end) as instants.
    pub fn bounds(self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let (start, end) = match self {
            Period::Month { year, month } => {
                let start = NaiveDate::from_ymd_opt(year, month, 1)?;
                let end = if month == 12 {
                    NaiveDate::from_ymd_opt(year + 1, 1, 1)?
                } else {
                    NaiveDate::from_ymd_opt(year, month + 1, 1)?
                };
                (start, end)
            }
            Period::Year(year) => (
                NaiveDate::from_ymd_opt(year, 1, 1)?,
                NaiveDate::from_ymd_opt(year + 1, 1, 1)?,
            ),
        };
        Some((
            in_china_time(start.and_time(NaiveTime::MIN))?,
            in_china_time(end.and_time(NaiveTime::MIN))?,
        ))
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Period::Month { year, month } => write!(f, "{year}-{month:02}"),
            Period::Year(year) => write!(f, "{year}"),
        }
    }
}

/// What a site's water is graded as: its `water_body` attribute, and its `water_target`.
pub fn water_body(attrs: &Map<String, Value>) -> WaterBody {
    WaterBody::of_attribute(attrs.get("water_body").and_then(Value::as_str))
}

pub fn water_target(attrs: &Map<String, Value>) -> Option<WaterClass> {
    attrs.get("water_target")?.as_str()?.parse().ok()
}

/// The mean of each parameter's effective values.
pub fn means(readings: &[(Parameter, Measured)]) -> Vec<(Parameter, f64)> {
    let mut sums: BTreeMap<Parameter, (f64, usize)> = BTreeMap::new();
    for &(parameter, measured) in readings {
        let entry = sums.entry(parameter).or_default();
        entry.0 += measured.effective();
        entry.1 += 1;
    }
    sums.into_iter()
        .map(|(p, (sum, n))| (p, sum / n as f64))
        .collect()
}

/// A site's grading from one sampling day's readings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayGrading {
    pub water: Option<water::SingleFactor>,
    pub meets_target: Option<bool>,
    pub black_odor: Option<(BlackOdorGrade, Vec<&'static str>)>,
    pub soil: Option<(SoilRisk, Vec<&'static str>)>,
}

/// Grades one day of a site: the water class of the day's means (not for plots, whose samples
/// are soil), the black-odor grade of a black-odor body's survey, the soil risk of a plot.
pub fn grade_day(
    kind: SiteKind,
    attrs: &Map<String, Value>,
    readings: &[(Parameter, Measured)],
) -> DayGrading {
    let means = means(readings);
    let mut grading = DayGrading::default();
    match kind {
        SiteKind::ContaminatedPlot => {
            let land =
                soil::LandUse::of_attribute(attrs.get("land_use_class").and_then(Value::as_i64));
            grading.soil = soil::plot_risk(&means, land);
        }
        _ => {
            grading.water = water::single_factor(&means, water_body(attrs));
            grading.meets_target = grading
                .water
                .as_ref()
                .zip(water_target(attrs))
                .map(|(graded, target)| graded.class.meets(target));
        }
    }
    if kind == SiteKind::BlackOdorWater {
        let depth = means
            .iter()
            .find(|(p, _)| *p == Parameter::WaterDepth)
            .map(|&(_, d)| d);
        let survey: Vec<black_odor::Reading> = readings
            .iter()
            .map(|&(parameter, measured)| black_odor::Reading {
                parameter,
                value: measured.effective(),
                depth_cm: depth,
            })
            .collect();
        grading.black_odor = black_odor::grade(&survey);
    }
    grading
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn periods() {
        assert_eq!(
            Period::parse("2025-06"),
            Ok(Period::Month {
                year: 2025,
                month: 6
            })
        );
        assert_eq!(Period::parse("2025"), Ok(Period::Year(2025)));
        for bad in ["2025-13", "2025-6", "25", "June", "2025-06-01", ""] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
        let (from, to) = Period::Month {
            year: 2025,
            month: 12,
        }
        .bounds()
        .unwrap();
        assert_eq!(from.to_rfc3339(), "2025-11-30T16:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2025-12-31T16:00:00+00:00");
        assert_eq!(Period::Year(2025).to_string(), "2025");
    }

    #[test]
    fn a_day_is_graded_by_the_kind_of_site() {
        let attrs = |v: Value| v.as_object().cloned().unwrap_or_default();
        let section = attrs(json!({"level": "city", "water_target": "III"}));
        let day = [
            (Parameter::Nh3n, Measured::Value(1.2)),
            (Parameter::Nh3n, Measured::Value(1.6)),
            (Parameter::Do, Measured::Value(6.5)),
            (Parameter::Tp, Measured::BelowDetection(Some(0.02))),
        ];
        let graded = grade_day(SiteKind::MonitoringSection, &section, &day);
        let water = graded.water.unwrap();
        // NH3-N's mean 1.4 is Ⅳ; TP counts as 0.01 (Ⅰ)
        assert_eq!(
            (water.class, water.limiting),
            (WaterClass::IV, vec!["nh3n"])
        );
        assert_eq!(graded.meets_target, Some(false));
        assert_eq!(graded.black_odor, None);

        let body = attrs(json!({"category": "tributary"}));
        let survey = [
            (Parameter::Transparency, Measured::Value(12.0)),
            (Parameter::WaterDepth, Measured::Value(20.0)),
            (Parameter::Do, Measured::Value(2.5)),
        ];
        let graded = grade_day(SiteKind::BlackOdorWater, &body, &survey);
        // 20 cm deep: transparency 12 cm is beyond 40 % of the depth (8 cm), so not black-odor
        assert_eq!(graded.black_odor, Some((BlackOdorGrade::None, vec![])));
        assert_eq!(graded.meets_target, None, "no target");

        let plot = attrs(json!({"plot_stage": "listed", "land_use_class": 1}));
        let soil = [(Parameter::As, Measured::Value(25.0))];
        let graded = grade_day(SiteKind::ContaminatedPlot, &plot, &soil);
        assert_eq!(graded.soil, Some((SoilRisk::OverScreening, vec!["as"])));
        assert_eq!(graded.water, None);
    }

    #[test]
    fn cells() {
        let p = Parameter::Nh3n;
        assert_eq!(parse_cell(p, "", 1.0), Ok(None));
        assert_eq!(
            parse_cell(p, " 1.25 ", 1.0),
            Ok(Some(Measured::Value(1.25)))
        );
        assert_eq!(
            parse_cell(p, "<0.025", 1.0),
            Ok(Some(Measured::BelowDetection(Some(0.025))))
        );
        assert_eq!(
            parse_cell(p, "0.025L", 1.0),
            Ok(Some(Measured::BelowDetection(Some(0.025))))
        );
        assert_eq!(
            parse_cell(p, "nd", 1.0),
            Ok(Some(Measured::BelowDetection(None)))
        );
        assert_eq!(
            parse_cell(p, "未检出", 1.0),
            Ok(Some(Measured::BelowDetection(None)))
        );
        assert!(matches!(
            parse_cell(p, "1,2", 1.0),
            Err(CellProblem::Unparseable(_))
        ));
        assert!(matches!(
            parse_cell(p, "<abc", 1.0),
            Err(CellProblem::Unparseable(_))
        ));
        assert!(matches!(
            parse_cell(p, "-0.5", 1.0),
            Err(CellProblem::Impossible(_))
        ));
        assert!(matches!(
            parse_cell(Parameter::Ph, "15", 1.0),
            Err(CellProblem::Impossible(_))
        ));
        assert!(matches!(
            parse_cell(p, "inf", 1.0),
            Err(CellProblem::Unparseable(_))
        ));
        assert_eq!(
            parse_cell(p, "<25", 0.001),
            Ok(Some(Measured::BelowDetection(Some(0.025))))
        );
        assert_eq!(Measured::BelowDetection(Some(0.02)).effective(), 0.01);
        assert_eq!(Measured::BelowDetection(None).effective(), 0.0);
    }

    #[test]
    fn sampling_times_default_to_china_time() {
        let utc = |s: &str| parse_sampled_at(s).map(|t| t.to_rfc3339());
        assert_eq!(
            utc("2025-06-03 09:30"),
            Some("2025-06-03T01:30:00+00:00".into())
        );
        assert_eq!(
            utc("2025/6/3 09:30:15"),
            Some("2025-06-03T01:30:15+00:00".into())
        );
        assert_eq!(utc("2025-06-03"), Some("2025-06-02T16:00:00+00:00".into()));
        assert_eq!(
            utc("2025-06-03T09:30:00Z"),
            Some("2025-06-03T09:30:00+00:00".into())
        );
        assert_eq!(utc("June 3"), None);
    }
}
