//! The CRSs a bureau's files come in, which an import recognises: WGS84, CGCS2000 geographic, and
//! the Gauss-Krüger systems of CGCS2000, Xi'an 1980 and Beijing 1954, each in 3° and 6° zones,
//! with and without the zone number before the easting. A CRS is recognised by its EPSG code, or
//! from a `.prj`'s datum and Transverse Mercator parameters when the file names no code.
//!
//! The codes are the EPSG registry's (checked against PostGIS's `spatial_ref_sys`): for CGCS2000
//! 4491–4501 (6° zones 13–23), 4502–4512 (6°, CM 75°E–135°E), 4513–4533 (3° zones 25–45) and
//! 4534–4554 (3°, CM 75°E–135°E); for Xi'an 1980 2327–2337, 2338–2348, 2349–2369 and 2370–2390;
//! for Beijing 1954 21413–21423, 21453–21463, 2401–2421 and 2422–2442.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datum {
    Cgcs2000,
    Xian1980,
    Beijing1954,
}

impl Datum {
    fn label(self) -> &'static str {
        match self {
            Datum::Cgcs2000 => "CGCS2000",
            Datum::Xian1980 => "Xian 1980",
            Datum::Beijing1954 => "Beijing 1954",
        }
    }

    /// The first code of each family: 6° zoned, 6° by CM, 3° zoned, 3° by CM.
    fn families(self) -> [u32; 4] {
        match self {
            Datum::Cgcs2000 => [4491, 4502, 4513, 4534],
            Datum::Xian1980 => [2327, 2338, 2349, 2370],
            Datum::Beijing1954 => [21413, 21453, 2401, 2422],
        }
    }

    /// The datum a `.prj` names, by the words ESRI and EPSG use for it.
    pub fn from_name(name: &str) -> Option<Datum> {
        let name = name.to_ascii_lowercase();
        if name.contains("2000") && (name.contains("china") || name.contains("cgcs")) {
            Some(Datum::Cgcs2000)
        } else if name.contains("xian") || name.contains("xi'an") || name.contains("xi_an") {
            Some(Datum::Xian1980)
        } else if name.contains("beijing") {
            Some(Datum::Beijing1954)
        } else {
            None
        }
    }
}

/// A recognised CRS of a file, by its EPSG code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileCrs {
    Wgs84,
    Cgcs2000Geographic,
    GaussKruger {
        epsg: u32,
        datum: Datum,
        /// 3 or 6
        zone_width: u32,
        central_meridian: u32,
        /// the zone number written before the easting, if the easting carries it
        zone: Option<u32>,
    },
}

impl FileCrs {
    pub fn epsg(self) -> u32 {
        match self {
            FileCrs::Wgs84 => 4326,
            FileCrs::Cgcs2000Geographic => 4490,
            FileCrs::GaussKruger { epsg, .. } => epsg,
        }
    }

    /// The CRS of an EPSG code, when it is one the import recognises.
    pub fn from_epsg(code: u32) -> Option<FileCrs> {
        match code {
            4326 => return Some(FileCrs::Wgs84),
            4490 => return Some(FileCrs::Cgcs2000Geographic),
            _ => {}
        }
        for datum in [Datum::Cgcs2000, Datum::Xian1980, Datum::Beijing1954] {
            let [six_zoned, six_cm, three_zoned, three_cm] = datum.families();
            let family = |first: u32, count: u32| {
                (first..first + count).contains(&code).then(|| code - first)
            };
            let found = if let Some(i) = family(six_zoned, 11) {
                Some((6, 75 + 6 * i, Some(13 + i)))
            } else if let Some(i) = family(six_cm, 11) {
                Some((6, 75 + 6 * i, None))
            } else if let Some(i) = family(three_zoned, 21) {
                Some((3, 75 + 3 * i, Some(25 + i)))
            } else {
                family(three_cm, 21).map(|i| (3, 75 + 3 * i, None))
            };
            if let Some((zone_width, central_meridian, zone)) = found {
                return Some(FileCrs::GaussKruger {
                    epsg: code,
                    datum,
                    zone_width,
                    central_meridian,
                    zone,
                });
            }
        }
        None
    }

    /// A Gauss-Krüger CRS from a projection's parameters: the datum, the central meridian and
    /// the false easting (500 000 m, or the zone number × 1 000 000 + 500 000 m). Scale 1 and
    /// false northing 0 are checked by the caller. A central meridian that is both a 3° and a 6°
    /// one (75°E, 81°E, …) without a zone prefix is the same projection either way; the 3° code
    /// is taken.
    pub fn from_projection(
        datum: Datum,
        central_meridian: f64,
        false_easting: f64,
    ) -> Option<FileCrs> {
        let cm = central_meridian.round();
        if (central_meridian - cm).abs() > 1e-9 || !(75.0..=135.0).contains(&cm) {
            return None;
        }
        let cm = cm as u32;
        // the 6° CM family is reached by its code only: its parameters equal the 3° ones
        let [six_zoned, _, three_zoned, three_cm] = datum.families();
        let code = if (false_easting - 500_000.0).abs() < 1e-6 {
            if cm.is_multiple_of(3) {
                three_cm + (cm - 75) / 3
            } else {
                return None;
            }
        } else {
            let prefix = (false_easting - 500_000.0) / 1_000_000.0;
            if (prefix - prefix.round()).abs() > 1e-9 {
                return None;
            }
            let zone = prefix.round() as u32;
            if zone * 3 == cm && (25..=45).contains(&zone) {
                three_zoned + (zone - 25)
            } else if zone * 6 == cm + 3 && (13..=23).contains(&zone) {
                six_zoned + (zone - 13)
            } else {
                return None;
            }
        };
        FileCrs::from_epsg(code)
    }

    /// Lists what an import recognises, for messages.
    pub const RECOGNISED: &'static str = "EPSG:4326, EPSG:4490, and the Gauss-Krüger CRSs of CGCS2000 \
        (EPSG:4491-4554), Xi'an 1980 (EPSG:2327-2390) and Beijing 1954 (EPSG:21413-21423, \
        21453-21463, 2401-2442)";
}

impl fmt::Display for FileCrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FileCrs::Wgs84 => write!(f, "EPSG:4326 WGS 84"),
            FileCrs::Cgcs2000Geographic => write!(f, "EPSG:4490 CGCS2000"),
            FileCrs::GaussKruger {
                epsg,
                datum,
                zone_width,
                central_meridian,
                zone,
            } => {
                let width = if zone_width == 3 { "3-degree " } else { "" };
                match zone {
                    Some(zone) => write!(
                        f,
                        "EPSG:{epsg} {} / {width}Gauss-Kruger zone {zone}",
                        datum.label()
                    ),
                    None => write!(
                        f,
                        "EPSG:{epsg} {} / {width}Gauss-Kruger CM {central_meridian}E",
                        datum.label()
                    ),
                }
            }
        }
    }
}

/// `--crs` for a file: `EPSG:4549`, `epsg:4549` or `4549`.
pub fn parse_file_crs(text: &str) -> Result<FileCrs, String> {
    let digits = text.trim().to_ascii_uppercase();
    let digits = digits.strip_prefix("EPSG:").unwrap_or(&digits);
    digits
        .parse::<u32>()
        .ok()
        .and_then(FileCrs::from_epsg)
        .ok_or_else(|| {
            format!(
                "{text:?} is not a CRS the import recognises ({})",
                FileCrs::RECOGNISED
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_registry_names() {
        let name = |code| FileCrs::from_epsg(code).map(|c| c.to_string());
        for (code, expected) in [
            (4491, "EPSG:4491 CGCS2000 / Gauss-Kruger zone 13"),
            (4501, "EPSG:4501 CGCS2000 / Gauss-Kruger zone 23"),
            (4502, "EPSG:4502 CGCS2000 / Gauss-Kruger CM 75E"),
            (4512, "EPSG:4512 CGCS2000 / Gauss-Kruger CM 135E"),
            (4513, "EPSG:4513 CGCS2000 / 3-degree Gauss-Kruger zone 25"),
            (4528, "EPSG:4528 CGCS2000 / 3-degree Gauss-Kruger zone 40"),
            (4533, "EPSG:4533 CGCS2000 / 3-degree Gauss-Kruger zone 45"),
            (4534, "EPSG:4534 CGCS2000 / 3-degree Gauss-Kruger CM 75E"),
            (4549, "EPSG:4549 CGCS2000 / 3-degree Gauss-Kruger CM 120E"),
            (4554, "EPSG:4554 CGCS2000 / 3-degree Gauss-Kruger CM 135E"),
            (2327, "EPSG:2327 Xian 1980 / Gauss-Kruger zone 13"),
            (2348, "EPSG:2348 Xian 1980 / Gauss-Kruger CM 135E"),
            (2349, "EPSG:2349 Xian 1980 / 3-degree Gauss-Kruger zone 25"),
            (2390, "EPSG:2390 Xian 1980 / 3-degree Gauss-Kruger CM 135E"),
            (
                2401,
                "EPSG:2401 Beijing 1954 / 3-degree Gauss-Kruger zone 25",
            ),
            (
                2442,
                "EPSG:2442 Beijing 1954 / 3-degree Gauss-Kruger CM 135E",
            ),
            (21413, "EPSG:21413 Beijing 1954 / Gauss-Kruger zone 13"),
            (21463, "EPSG:21463 Beijing 1954 / Gauss-Kruger CM 135E"),
        ] {
            assert_eq!(name(code).as_deref(), Some(expected), "{code}");
        }
        for outside in [4490 - 1, 4555, 2326, 2443, 21424, 21452, 21464, 32650, 3857] {
            assert_eq!(FileCrs::from_epsg(outside), None, "{outside}");
        }
    }

    #[test]
    fn a_projection_is_recognised_by_its_parameters() {
        let code = |datum, cm, fe| FileCrs::from_projection(datum, cm, fe).map(FileCrs::epsg);
        assert_eq!(code(Datum::Cgcs2000, 120.0, 500_000.0), Some(4549));
        assert_eq!(code(Datum::Cgcs2000, 120.0, 40_500_000.0), Some(4528));
        assert_eq!(code(Datum::Cgcs2000, 117.0, 20_500_000.0), Some(4498));
        assert_eq!(code(Datum::Xian1980, 120.0, 500_000.0), Some(2385));
        assert_eq!(code(Datum::Beijing1954, 120.0, 40_500_000.0), Some(2416));
        assert_eq!(code(Datum::Cgcs2000, 119.5, 500_000.0), None);
        assert_eq!(code(Datum::Cgcs2000, 120.0, 41_500_000.0), None);
        assert_eq!(code(Datum::Cgcs2000, 120.0, 400_000.0), None);
    }

    #[test]
    fn datums_are_read_from_prj_names() {
        assert_eq!(Datum::from_name("D_China_2000"), Some(Datum::Cgcs2000));
        assert_eq!(Datum::from_name("China 2000"), Some(Datum::Cgcs2000));
        assert_eq!(Datum::from_name("D_Xian_1980"), Some(Datum::Xian1980));
        assert_eq!(Datum::from_name("D_Beijing_1954"), Some(Datum::Beijing1954));
        assert_eq!(Datum::from_name("WGS_1984"), None);
    }

    #[test]
    fn crs_arguments_name_what_is_recognised() {
        assert_eq!(
            parse_file_crs("epsg:4549"),
            Ok(FileCrs::from_epsg(4549).unwrap())
        );
        assert_eq!(parse_file_crs("2385").map(FileCrs::epsg), Ok(2385));
        assert!(
            parse_file_crs("EPSG:3857")
                .unwrap_err()
                .contains("not a CRS the import recognises")
        );
    }
}
