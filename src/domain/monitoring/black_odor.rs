//! Black-odor grading by the four indicators of 《城市黑臭水体整治工作指南》 (住建部 2015):
//! transparency, dissolved oxygen, ORP and ammonia nitrogen, and its decision rule.
//!
//! A survey is the readings of one body on one day (China time); an indicator may have several
//! readings (several points or rounds). The guide's rule: the body is severe when one indicator
//! is at the severe level in at least 60 % of its readings, or two or more indicators are in at
//! least 30 %. The same rule one level down decides between light and none, which is how a
//! single reading per indicator (the usual weekly survey) gets the grade its worst indicator has.
//! Where the water is shallower than 25 cm, the transparency limits are 40 % of the depth.

use super::parameter::Parameter;
use serde::Serialize;

/// The grade of a survey; the order is from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlackOdorGrade {
    None,
    Light,
    Severe,
}

impl BlackOdorGrade {
    pub fn as_str(self) -> &'static str {
        match self {
            BlackOdorGrade::None => "none",
            BlackOdorGrade::Light => "light",
            BlackOdorGrade::Severe => "severe",
        }
    }
}

/// The four indicators.
pub const INDICATORS: [Parameter; 4] = [
    Parameter::Transparency,
    Parameter::Do,
    Parameter::Orp,
    Parameter::Nh3n,
];

/// The level one reading is at. `depth_cm` is the water depth where it was read, if known.
pub fn level(parameter: Parameter, value: f64, depth_cm: Option<f64>) -> Option<BlackOdorGrade> {
    use BlackOdorGrade::{Light, None as Clear, Severe};
    Some(match parameter {
        Parameter::Transparency => {
            let (light_below, severe_below) = match depth_cm {
                Some(depth) if depth < 25.0 => {
                    let light = 0.4 * depth;
                    (light, light.min(10.0))
                }
                _ => (25.0, 10.0),
            };
            if value < severe_below {
                Severe
            } else if value <= light_below {
                Light
            } else {
                Clear
            }
        }
        Parameter::Do => grade_falling(value, 0.2, 2.0),
        Parameter::Orp => grade_falling(value, -200.0, 50.0),
        Parameter::Nh3n => {
            if value > 15.0 {
                Severe
            } else if value >= 8.0 {
                Light
            } else {
                Clear
            }
        }
        _ => return None,
    })
}

/// An indicator that is worse the lower it is: severe below `severe`, light up to `light`.
fn grade_falling(value: f64, severe: f64, light: f64) -> BlackOdorGrade {
    if value < severe {
        BlackOdorGrade::Severe
    } else if value <= light {
        BlackOdorGrade::Light
    } else {
        BlackOdorGrade::None
    }
}

/// One reading of a survey.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    pub parameter: Parameter,
    pub value: f64,
    pub depth_cm: Option<f64>,
}

/// The grade of a survey and the indicators that decided it; `None` without any indicator.
pub fn grade(readings: &[Reading]) -> Option<(BlackOdorGrade, Vec<&'static str>)> {
    let mut shares = Vec::new();
    for indicator in INDICATORS {
        let levels: Vec<BlackOdorGrade> = readings
            .iter()
            .filter(|r| r.parameter == indicator)
            .filter_map(|r| level(r.parameter, r.value, r.depth_cm))
            .collect();
        if levels.is_empty() {
            continue;
        }
        let share = |at_least: BlackOdorGrade| {
            levels.iter().filter(|&&l| l >= at_least).count() as f64 / levels.len() as f64
        };
        shares.push((
            indicator.code(),
            share(BlackOdorGrade::Severe),
            share(BlackOdorGrade::Light),
        ));
    }
    if shares.is_empty() {
        return None;
    }
    let decide = |pick: fn(&(&'static str, f64, f64)) -> f64| -> Option<Vec<&'static str>> {
        let over_60: Vec<_> = shares
            .iter()
            .filter(|s| pick(s) >= 0.6)
            .map(|s| s.0)
            .collect();
        if !over_60.is_empty() {
            return Some(over_60);
        }
        let over_30: Vec<_> = shares
            .iter()
            .filter(|s| pick(s) >= 0.3)
            .map(|s| s.0)
            .collect();
        (over_30.len() >= 2).then_some(over_30)
    };
    if let Some(deciding) = decide(|s| s.1) {
        return Some((BlackOdorGrade::Severe, deciding));
    }
    if let Some(deciding) = decide(|s| s.2) {
        return Some((BlackOdorGrade::Light, deciding));
    }
    Some((BlackOdorGrade::None, Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use BlackOdorGrade::{Light, None as Clear, Severe};
    use Parameter as P;

    fn r(parameter: Parameter, value: f64) -> Reading {
        Reading {
            parameter,
            value,
            depth_cm: None,
        }
    }

    #[test]
    fn each_indicator_at_and_beside_its_limits() {
        let cases = [
            (
                P::Transparency,
                [(9.99, Severe), (10.0, Light), (25.0, Light), (25.01, Clear)],
            ),
            (
                P::Do,
                [(0.19, Severe), (0.2, Light), (2.0, Light), (2.01, Clear)],
            ),
            (
                P::Orp,
                [
                    (-200.01, Severe),
                    (-200.0, Light),
                    (50.0, Light),
                    (50.01, Clear),
                ],
            ),
            (
                P::Nh3n,
                [(15.01, Severe), (15.0, Light), (8.0, Light), (7.99, Clear)],
            ),
        ];
        for (parameter, values) in cases {
            for (value, expected) in values {
                assert_eq!(
                    level(parameter, value, None),
                    Some(expected),
                    "{parameter} {value}"
                );
            }
        }
        assert_eq!(level(P::Tp, 1.0, None), None);
    }

    #[test]
    fn shallow_water_uses_forty_percent_of_the_depth() {
        // 20 cm deep: light up to 8 cm, severe below 8 cm
        assert_eq!(level(P::Transparency, 8.5, Some(20.0)), Some(Clear));
        assert_eq!(level(P::Transparency, 8.0, Some(20.0)), Some(Light));
        assert_eq!(level(P::Transparency, 7.9, Some(20.0)), Some(Severe));
        // 30 cm deep: the usual limits
        assert_eq!(level(P::Transparency, 20.0, Some(30.0)), Some(Light));
    }

    #[test]
    fn the_decision_rule() {
        // one indicator severe in 60 % of its readings
        let sixty = [
            r(P::Do, 0.1),
            r(P::Do, 0.1),
            r(P::Do, 0.1),
            r(P::Do, 3.0),
            r(P::Do, 3.0),
        ];
        assert_eq!(grade(&sixty), Some((Severe, vec!["do"])));
        // one indicator severe in 40 %: not enough alone
        let forty = [
            r(P::Do, 0.1),
            r(P::Do, 0.1),
            r(P::Do, 1.0),
            r(P::Do, 1.0),
            r(P::Do, 3.0),
        ];
        assert_eq!(grade(&forty), Some((Light, vec!["do"])));
        // two indicators severe in a third of their readings each
        let two = [
            r(P::Do, 0.1),
            r(P::Do, 3.0),
            r(P::Do, 3.0),
            r(P::Nh3n, 16.0),
            r(P::Nh3n, 1.0),
            r(P::Nh3n, 1.0),
        ];
        assert_eq!(grade(&two), Some((Severe, vec!["do", "nh3n"])));
        // a single reading per indicator: the worst indicator decides
        let weekly = [
            r(P::Transparency, 30.0),
            r(P::Do, 1.5),
            r(P::Orp, 80.0),
            r(P::Nh3n, 2.0),
        ];
        assert_eq!(grade(&weekly), Some((Light, vec!["do"])));
        let clear = [
            r(P::Transparency, 40.0),
            r(P::Do, 5.0),
            r(P::Orp, 120.0),
            r(P::Nh3n, 1.0),
        ];
        assert_eq!(grade(&clear), Some((Clear, vec![])));
        assert_eq!(grade(&[r(P::Tp, 0.3)]), None);
    }
}
