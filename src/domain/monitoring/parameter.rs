//! The closed vocabulary of measured parameters: code, unit, usual Chinese name, the medium it is
//! measured in, and the range a measurement can physically take.

use std::fmt;
use std::str::FromStr;

/// What a parameter is measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Medium {
    Water,
    Soil,
}

/// A measured parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Parameter {
    Do,
    CodMn,
    Cod,
    Bod5,
    Nh3n,
    Tp,
    Tn,
    Transparency,
    Orp,
    Ph,
    WaterTemp,
    WaterDepth,
    As,
    Cd,
    Pb,
    Cr6,
    Hg,
    Benzene,
}

/// One parameter's entry in the vocabulary.
#[derive(Debug, Clone, Copy)]
pub struct ParameterSpec {
    pub parameter: Parameter,
    pub code: &'static str,
    pub unit: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub medium: Medium,
    /// the smallest and largest value physically possible
    pub min: f64,
    pub max: f64,
}

const fn spec(
    parameter: Parameter,
    code: &'static str,
    unit: &'static str,
    name_zh: &'static str,
    name_en: &'static str,
    medium: Medium,
    (min, max): (f64, f64),
) -> ParameterSpec {
    ParameterSpec {
        parameter,
        code,
        unit,
        name_zh,
        name_en,
        medium,
        min,
        max,
    }
}

/// A concentration cannot be negative, and no water holds more than a kilogram of solute per
/// litre nor a soil more than a kilogram per kilogram.
const CONCENTRATION: (f64, f64) = (0.0, 1.0e6);
/// Saturation in cold water is about 14.6 mg/L; supersaturated water in algal blooms reaches
/// about 20, so 25 is already impossible.
const DISSOLVED_OXYGEN: (f64, f64) = (0.0, 25.0);

use Medium::{Soil, Water};
use Parameter as P;

/// Every parameter, in the order sheets and answers list them.
pub const PARAMETERS: [ParameterSpec; 18] = [
    spec(
        P::Do,
        "do",
        "mg/L",
        "溶解氧",
        "dissolved oxygen",
        Water,
        DISSOLVED_OXYGEN,
    ),
    spec(
        P::CodMn,
        "codmn",
        "mg/L",
        "高锰酸盐指数",
        "permanganate index",
        Water,
        CONCENTRATION,
    ),
    spec(
        P::Cod,
        "cod",
        "mg/L",
        "化学需氧量",
        "chemical oxygen demand",
        Water,
        CONCENTRATION,
    ),
    spec(
        P::Bod5,
        "bod5",
        "mg/L",
        "五日生化需氧量",
        "five-day biochemical oxygen demand",
        Water,
        CONCENTRATION,
    ),
    spec(
        P::Nh3n,
        "nh3n",
        "mg/L",
        "氨氮",
        "ammonia nitrogen",
        Water,
        CONCENTRATION,
    ),
    spec(
        P::Tp,
        "tp",
        "mg/L",
        "总磷",
        "total phosphorus",
        Water,
        CONCENTRATION,
    ),
    spec(
        P::Tn,
        "tn",
        "mg/L",
        "总氮",
        "total nitrogen",
        Water,
        CONCENTRATION,
    ),
    // a Secchi disc reading; no river here is clear to 100 m
    spec(
        P::Transparency,
        "transparency",
        "cm",
        "透明度",
        "transparency",
        Water,
        (0.0, 10_000.0),
    ),
    // natural waters lie within about ±1 V; 2 V either way is beyond any electrode reading
    spec(
        P::Orp,
        "orp",
        "mV",
        "氧化还原电位",
        "oxidation-reduction potential",
        Water,
        (-2000.0, 2000.0),
    ),
    spec(P::Ph, "ph", "", "pH", "pH", Water, (0.0, 14.0)),
    // liquid water at the surface: from supercooled to boiling
    spec(
        P::WaterTemp,
        "water_temp",
        "°C",
        "水温",
        "water temperature",
        Water,
        (-5.0, 100.0),
    ),
    // the depth at the sampling point, which the black-odor transparency rule needs
    spec(
        P::WaterDepth,
        "water_depth",
        "cm",
        "水深",
        "water depth",
        Water,
        (0.0, 100_000.0),
    ),
    spec(P::As, "as", "mg/kg", "砷", "arsenic", Soil, CONCENTRATION),
    spec(P::Cd, "cd", "mg/kg", "镉", "cadmium", Soil, CONCENTRATION),
    spec(P::Pb, "pb", "mg/kg", "铅", "lead", Soil, CONCENTRATION),
    spec(
        P::Cr6,
        "cr6",
        "mg/kg",
        "六价铬",
        "hexavalent chromium",
        Soil,
        CONCENTRATION,
    ),
    spec(P::Hg, "hg", "mg/kg", "汞", "mercury", Soil, CONCENTRATION),
    spec(
        P::Benzene,
        "benzene",
        "mg/kg",
        "苯",
        "benzene",
        Soil,
        CONCENTRATION,
    ),
];

/// The parameter codes, for documents and SQL checks.
pub const PARAMETER_CODES: [&str; 18] = {
    let mut codes = [""; 18];
    let mut i = 0;
    while i < PARAMETERS.len() {
        codes[i] = PARAMETERS[i].code;
        i += 1;
    }
    codes
};

impl Parameter {
    pub fn spec(self) -> &'static ParameterSpec {
        // PARAMETERS lists the variants in declaration order
        &PARAMETERS[self as usize]
    }

    pub fn code(self) -> &'static str {
        self.spec().code
    }

    pub fn unit(self) -> &'static str {
        self.spec().unit
    }

    /// A sheet's column header: the code or the Chinese name, either optionally followed by the
    /// unit in brackets (`氨氮(mg/L)`, `nh3n（mg/L）`, `透明度 [cm]`). Case and spaces do not
    /// matter.
    pub fn from_header(header: &str) -> Option<Parameter> {
        let name = header
            .split(['(', '（', '['])
            .next()
            .unwrap_or(header)
            .trim();
        PARAMETERS
            .iter()
            .find(|p| p.code.eq_ignore_ascii_case(name) || p.name_zh.eq_ignore_ascii_case(name))
            .map(|p| p.parameter)
    }

    /// Refuses a value no measurement can give.
    pub fn check_value(self, value: f64) -> Result<(), ImpossibleValue> {
        let spec = self.spec();
        if !value.is_finite() || value < spec.min || value > spec.max {
            return Err(ImpossibleValue {
                parameter: spec.code,
                value,
                min: spec.min,
                max: spec.max,
                unit: spec.unit,
            });
        }
        Ok(())
    }
}

impl fmt::Display for Parameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown parameter {0:?}; known: {codes}", codes = PARAMETER_CODES.join(", "))]
pub struct UnknownParameter(pub String);

impl FromStr for Parameter {
    type Err = UnknownParameter;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PARAMETERS
            .iter()
            .find(|p| p.code == s)
            .map(|p| p.parameter)
            .ok_or_else(|| UnknownParameter(s.to_string()))
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{parameter} {value}{} is impossible: it must lie between {min} and {max}",
    if unit.is_empty() { String::new() } else { format!(" {unit}") })]
pub struct ImpossibleValue {
    pub parameter: &'static str,
    pub value: f64,
    pub min: f64,
    pub max: f64,
    pub unit: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lists_the_variants_in_order() {
        for (i, spec) in PARAMETERS.iter().enumerate() {
            assert_eq!(spec.parameter as usize, i, "{}", spec.code);
            assert_eq!(spec.code.parse::<Parameter>(), Ok(spec.parameter));
        }
    }

    #[test]
    fn headers_by_code_or_chinese_name_with_units() {
        assert_eq!(Parameter::from_header("溶解氧"), Some(Parameter::Do));
        assert_eq!(Parameter::from_header("氨氮(mg/L)"), Some(Parameter::Nh3n));
        assert_eq!(
            Parameter::from_header("高锰酸盐指数（mg/L）"),
            Some(Parameter::CodMn)
        );
        assert_eq!(Parameter::from_header(" TP [mg/L]"), Some(Parameter::Tp));
        assert_eq!(Parameter::from_header("pH"), Some(Parameter::Ph));
        assert_eq!(
            Parameter::from_header("水温(°C)"),
            Some(Parameter::WaterTemp)
        );
        assert_eq!(Parameter::from_header("浊度"), None);
    }

    #[test]
    fn impossible_values_are_refused() {
        assert!(Parameter::Nh3n.check_value(0.0).is_ok());
        assert!(Parameter::Nh3n.check_value(-0.01).is_err());
        assert!(Parameter::Ph.check_value(14.0).is_ok());
        assert!(Parameter::Ph.check_value(14.1).is_err());
        assert!(Parameter::Do.check_value(25.0).is_ok());
        assert_eq!(
            Parameter::Do.check_value(25.5).map_err(|e| e.to_string()),
            Err("do 25.5 mg/L is impossible: it must lie between 0 and 25".into())
        );
        assert!(Parameter::Orp.check_value(-350.0).is_ok());
        assert!(Parameter::Cd.check_value(f64::NAN).is_err());
    }
}
