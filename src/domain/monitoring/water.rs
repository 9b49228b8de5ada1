//! Surface-water classes by GB 3838-2002 (Table 1) and the single-factor method of
//! 《地表水环境质量评价办法(试行)》 (环办〔2011〕22号): a value takes the best class whose limit it
//! meets, a section the worst class among its evaluated parameters.

use super::parameter::Parameter;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// A GB 3838 class; the order is from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum WaterClass {
    I,
    II,
    III,
    IV,
    V,
    #[serde(rename = "worse_than_V")]
    WorseThanV,
}

impl WaterClass {
    pub const ALL: [WaterClass; 6] = [
        WaterClass::I,
        WaterClass::II,
        WaterClass::III,
        WaterClass::IV,
        WaterClass::V,
        WaterClass::WorseThanV,
    ];
    pub const NAMES: [&'static str; 6] = ["I", "II", "III", "IV", "V", "worse_than_V"];

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The Chinese numeral form used in reports: Ⅲ, 劣Ⅴ.
    pub fn label_zh(self) -> &'static str {
        ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"][self as usize]
    }

    /// "达标": at least as good as the target.
    pub fn meets(self, target: WaterClass) -> bool {
        self <= target
    }
}

impl fmt::Display for WaterClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown water class {0:?}; one of I, II, III, IV, V, worse_than_V")]
pub struct UnknownWaterClass(pub String);

impl FromStr for WaterClass {
    type Err = UnknownWaterClass;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::NAMES
            .iter()
            .position(|name| *name == s)
            .map(|i| Self::ALL[i])
            .ok_or_else(|| UnknownWaterClass(s.to_string()))
    }
}

/// Lakes and reservoirs have their own phosphorus limits and are graded on nitrogen too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WaterBody {
    #[default]
    River,
    Lake,
}

impl WaterBody {
    /// The `water_body` attribute of a site: `lake` for lakes and reservoirs, else a river.
    pub fn of_attribute(value: Option<&str>) -> WaterBody {
        match value {
            Some("lake") => WaterBody::Lake,
            _ => WaterBody::River,
        }
    }
}

/// The limits of classes Ⅰ to Ⅴ, and whether they are minima (dissolved oxygen) or maxima.
struct Limits {
    upper: [f64; 5],
    minimum: bool,
}

const fn max(upper: [f64; 5]) -> Limits {
    Limits {
        upper,
        minimum: false,
    }
}

fn limits(parameter: Parameter, body: WaterBody) -> Option<Limits> {
    Some(match (parameter, body) {
        (Parameter::Do, _) => Limits {
            upper: [7.5, 6.0, 5.0, 3.0, 2.0],
            minimum: true,
        },
        (Parameter::CodMn, _) => max([2.0, 4.0, 6.0, 10.0, 15.0]),
        (Parameter::Cod, _) => max([15.0, 15.0, 20.0, 30.0, 40.0]),
        (Parameter::Bod5, _) => max([3.0, 3.0, 4.0, 6.0, 10.0]),
        (Parameter::Nh3n, _) => max([0.15, 0.5, 1.0, 1.5, 2.0]),
        (Parameter::Tp, WaterBody::River) => max([0.02, 0.1, 0.2, 0.3, 0.4]),
        (Parameter::Tp, WaterBody::Lake) => max([0.01, 0.025, 0.05, 0.1, 0.2]),
        (Parameter::Tn, WaterBody::Lake) => max([0.2, 0.5, 1.0, 1.5, 2.0]),
        _ => return None,
    })
}

/// The class limit a parameter must meet for a class, when the parameter has one.
pub fn limit(parameter: Parameter, body: WaterBody, class: WaterClass) -> Option<f64> {
    let limits = limits(parameter, body)?;
    limits.upper.get(class as usize).copied()
}

/// The class of one value, or `None` when the parameter is not evaluated for this body (TN in
/// rivers, transparency, ORP, temperature, depth, soil parameters).
pub fn classify(parameter: Parameter, body: WaterBody, value: f64) -> Option<WaterClass> {
    if parameter == Parameter::Ph {
        // every class has the same range, 6–9; outside it no class is met
        return Some(if (6.0..=9.0).contains(&value) {
            WaterClass::I
        } else {
            WaterClass::WorseThanV
        });
    }
    let limits = limits(parameter, body)?;
    let met = limits.upper.iter().position(|&limit| {
        if limits.minimum {
            value >= limit
        } else {
            value <= limit
        }
    });
    Some(met.map_or(WaterClass::WorseThanV, |i| WaterClass::ALL[i]))
}

/// One parameter's class in an assessment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParameterClass {
    pub parameter: &'static str,
    pub value: f64,
    pub class: WaterClass,
}

/// The single-factor result: the worst class and the parameters that have it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SingleFactor {
    pub class: WaterClass,
    pub limiting: Vec<&'static str>,
    pub parameters: Vec<ParameterClass>,
}

/// Grades a set of values (one per parameter: a sample, or a period's means). `None` when no
/// value is of an evaluated parameter.
pub fn single_factor(values: &[(Parameter, f64)], body: WaterBody) -> Option<SingleFactor> {
    let parameters: Vec<ParameterClass> = values
        .iter()
        .filter_map(|&(parameter, value)| {
            classify(parameter, body, value).map(|class| ParameterClass {
                parameter: parameter.code(),
                value,
                class,
            })
        })
        .collect();
    let class = parameters.iter().map(|p| p.class).max()?;
    // a parameter limits the class only when it is worse than Ⅰ: at Ⅰ nothing is limiting
    let limiting = parameters
        .iter()
        .filter(|p| p.class == class && class != WaterClass::I)
        .map(|p| p.parameter)
        .collect();
    Some(SingleFactor {
        class,
        limiting,
        parameters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Parameter as P;
    use WaterBody::{Lake, River};
    use WaterClass::*;

    /// Every limit of Table 1, on it and on each side of it.
    #[test]
    fn every_class_limit_on_and_beside_it() {
        let graded = [P::Do, P::CodMn, P::Cod, P::Bod5, P::Nh3n, P::Tp, P::Tn];
        for body in [River, Lake] {
            for parameter in graded {
                let Some(l) = limits(parameter, body) else {
                    assert_eq!((parameter, body), (P::Tn, River));
                    continue;
                };
                for (i, &limit) in l.upper.iter().enumerate() {
                    // shared limits (COD and BOD₅ for Ⅰ and Ⅱ) give the better class
                    let on = l.upper.iter().position(|&x| x == limit).unwrap_or(i);
                    let step = limit * 1e-3;
                    let (better, worse) = if l.minimum {
                        (limit + step, limit - step)
                    } else {
                        (limit - step, limit + step)
                    };
                    assert_eq!(
                        classify(parameter, body, limit),
                        Some(WaterClass::ALL[on]),
                        "{parameter} at {limit}"
                    );
                    assert!(
                        classify(parameter, body, better) <= Some(WaterClass::ALL[on]),
                        "{parameter} better than {limit}"
                    );
                    let next = (i + 1..5)
                        .find(|&j| l.upper[j] != limit)
                        .map_or(WorseThanV, |j| WaterClass::ALL[j]);
                    assert_eq!(
                        classify(parameter, body, worse),
                        Some(next),
                        "{parameter} worse than {limit}"
                    );
                }
            }
        }
    }

    #[test]
    fn table_values() {
        assert_eq!(classify(P::Do, River, 7.5), Some(I));
        assert_eq!(classify(P::Do, River, 7.49), Some(II));
        assert_eq!(classify(P::Do, River, 1.99), Some(WorseThanV));
        assert_eq!(classify(P::Cod, River, 15.0), Some(I));
        assert_eq!(classify(P::Cod, River, 15.01), Some(III));
        assert_eq!(classify(P::Nh3n, River, 2.0), Some(V));
        assert_eq!(classify(P::Nh3n, River, 2.01), Some(WorseThanV));
        assert_eq!(classify(P::Tp, River, 0.2), Some(III));
        assert_eq!(classify(P::Tp, Lake, 0.2), Some(V));
        assert_eq!(classify(P::Tn, River, 5.0), None);
        assert_eq!(classify(P::Tn, Lake, 1.0), Some(III));
        assert_eq!(classify(P::Ph, River, 6.0), Some(I));
        assert_eq!(classify(P::Ph, River, 9.01), Some(WorseThanV));
        assert_eq!(classify(P::Transparency, River, 5.0), None);
    }

    #[test]
    fn the_worst_evaluated_parameter_sets_the_class() {
        let sample = [(P::Do, 6.2), (P::Nh3n, 1.2), (P::Tp, 0.35), (P::Tn, 4.0)];
        let river = single_factor(&sample, River).unwrap();
        assert_eq!(river.class, V);
        assert_eq!(river.limiting, ["tp"]);
        assert_eq!(river.parameters.len(), 3, "TN is not evaluated for rivers");
        let lake = single_factor(&sample, Lake).unwrap();
        assert_eq!(lake.class, WorseThanV);
        assert_eq!(lake.limiting, ["tp", "tn"]);
        let tied = single_factor(&[(P::CodMn, 8.0), (P::Nh3n, 1.4)], River).unwrap();
        assert_eq!((tied.class, tied.limiting), (IV, vec!["codmn", "nh3n"]));
        let clean = single_factor(&[(P::Do, 8.0)], River).unwrap();
        assert_eq!((clean.class, clean.limiting.len()), (I, 0));
        assert_eq!(single_factor(&[(P::Tn, 3.0), (P::Orp, 20.0)], River), None);
    }

    #[test]
    fn targets_and_names() {
        assert!(III.meets(III));
        assert!(II.meets(III));
        assert!(!IV.meets(III));
        assert_eq!("worse_than_V".parse::<WaterClass>(), Ok(WorseThanV));
        assert_eq!(WorseThanV.label_zh(), "劣Ⅴ");
        assert_eq!(serde_json::to_value(WorseThanV).unwrap(), "worse_than_V");
    }
}
