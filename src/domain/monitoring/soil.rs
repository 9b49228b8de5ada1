//! Soil risk by GB 36600-2018: each pollutant against its screening and intervention values for
//! the plot's land-use class (1: residential, schools, hospitals …; 2: industrial, logistics …).

use super::parameter::Parameter;
use serde::Serialize;

/// The risk a plot's results show; the order is from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SoilRisk {
    BelowScreening,
    OverScreening,
    OverIntervention,
}

impl SoilRisk {
    pub fn as_str(self) -> &'static str {
        match self {
            SoilRisk::BelowScreening => "below_screening",
            SoilRisk::OverScreening => "over_screening",
            SoilRisk::OverIntervention => "over_intervention",
        }
    }
}

/// The land-use class; a plot without one is judged as class 1, the stricter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LandUse {
    #[default]
    Class1,
    Class2,
}

impl LandUse {
    /// The `land_use_class` attribute (1 or 2).
    pub fn of_attribute(value: Option<i64>) -> LandUse {
        match value {
            Some(2) => LandUse::Class2,
            _ => LandUse::Class1,
        }
    }
}

/// Screening and intervention values in mg/kg, for class 1 and class 2.
pub fn values(pollutant: Parameter, land: LandUse) -> Option<(f64, f64)> {
    let (screening, intervention) = match pollutant {
        Parameter::As => ([20.0, 60.0], [120.0, 140.0]),
        Parameter::Cd => ([20.0, 65.0], [47.0, 172.0]),
        Parameter::Pb => ([400.0, 800.0], [800.0, 2500.0]),
        Parameter::Cr6 => ([3.0, 5.7], [30.0, 78.0]),
        Parameter::Hg => ([8.0, 38.0], [33.0, 82.0]),
        Parameter::Benzene => ([1.0, 4.0], [10.0, 40.0]),
        _ => return None,
    };
    let i = match land {
        LandUse::Class1 => 0,
        LandUse::Class2 => 1,
    };
    Some((screening[i], intervention[i]))
}

/// The risk of one result: a value above a value is over it; at the value it is not.
pub fn risk(pollutant: Parameter, land: LandUse, value: f64) -> Option<SoilRisk> {
    let (screening, intervention) = values(pollutant, land)?;
    Some(if value > intervention {
        SoilRisk::OverIntervention
    } else if value > screening {
        SoilRisk::OverScreening
    } else {
        SoilRisk::BelowScreening
    })
}

/// A plot's risk from its results and the pollutants that set it (none when below screening);
/// `None` when no result is of a listed pollutant.
pub fn plot_risk(
    results: &[(Parameter, f64)],
    land: LandUse,
) -> Option<(SoilRisk, Vec<&'static str>)> {
    let graded: Vec<(&'static str, SoilRisk)> = results
        .iter()
        .filter_map(|&(p, v)| risk(p, land, v).map(|r| (p.code(), r)))
        .collect();
    let worst = graded.iter().map(|g| g.1).max()?;
    let setting = if worst == SoilRisk::BelowScreening {
        Vec::new()
    } else {
        graded
            .iter()
            .filter(|g| g.1 == worst)
            .map(|g| g.0)
            .collect()
    };
    Some((worst, setting))
}

#[cfg(test)]
mod tests {
    use super::*;
    use LandUse::{Class1, Class2};
    use Parameter as P;
    use SoilRisk::*;

    #[test]
    fn every_value_at_and_beside_it_per_land_class() {
        for pollutant in [P::As, P::Cd, P::Pb, P::Cr6, P::Hg, P::Benzene] {
            for land in [Class1, Class2] {
                let (screening, intervention) = values(pollutant, land).unwrap();
                let step = screening * 1e-3;
                assert_eq!(risk(pollutant, land, screening), Some(BelowScreening));
                assert_eq!(risk(pollutant, land, screening + step), Some(OverScreening));
                assert_eq!(risk(pollutant, land, intervention), Some(OverScreening));
                assert_eq!(
                    risk(pollutant, land, intervention + step),
                    Some(OverIntervention)
                );
            }
        }
    }

    #[test]
    fn the_land_class_matters() {
        // 50 mg/kg arsenic: over screening for homes, below it for industry
        assert_eq!(risk(P::As, Class1, 50.0), Some(OverScreening));
        assert_eq!(risk(P::As, Class2, 50.0), Some(BelowScreening));
        assert_eq!(values(P::Cr6, Class2), Some((5.7, 78.0)));
        assert_eq!(risk(P::Do, Class1, 1.0), None);
    }

    #[test]
    fn the_worst_pollutant_sets_the_plot() {
        let results = [(P::As, 25.0), (P::Pb, 300.0), (P::Cd, 30.0)];
        assert_eq!(
            plot_risk(&results, Class1),
            Some((OverScreening, vec!["as", "cd"]))
        );
        assert_eq!(plot_risk(&results, Class2), Some((BelowScreening, vec![])));
        assert_eq!(
            plot_risk(&[(P::Hg, 90.0)], Class2),
            Some((OverIntervention, vec!["hg"]))
        );
        assert_eq!(plot_risk(&[(P::Tp, 1.0)], Class1), None);
    }
}
