//! Coordinate reference systems: the CRSs users may hand us coordinates in (WGS84, CGCS2000
//! geographic and Gauss-Krüger, GCJ-02) with plausibility checks that catch swapped axes, the
//! CRSs geometries are written in, and the table of CRSs OGC API - Features offers (Part 2).
//!
//! Projected CRSs are transformed by PostGIS (`ST_Transform`); GCJ-02 is converted in
//! `coords`.

use std::fmt;
use std::str::FromStr;

/// A CRS in which users may hand us coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputCrs {
    /// WGS84 longitude/latitude (the storage CRS).
    Wgs84,
    /// CGCS2000 geographic; equal to WGS84 well under a metre here. Input is taken lon/lat.
    Cgcs2000,
    /// CGCS2000 3° Gauss-Krüger, central meridian 120°E, no zone prefix (x = easting).
    Cgcs2000Gk120,
    /// CGCS2000 3° Gauss-Krüger zone 40 (central meridian 120°E), easting prefixed with 40.
    Cgcs2000Gk40,
    /// GCJ-02, the obfuscated lon/lat of AMap, Tencent and WeChat.
    Gcj02,
}

impl InputCrs {
    pub const ALL: [InputCrs; 5] = [
        InputCrs::Wgs84,
        InputCrs::Cgcs2000,
        InputCrs::Cgcs2000Gk120,
        InputCrs::Cgcs2000Gk40,
        InputCrs::Gcj02,
    ];

    pub fn name(self) -> &'static str {
        match self {
            InputCrs::Wgs84 => "EPSG:4326",
            InputCrs::Cgcs2000 => "EPSG:4490",
            InputCrs::Cgcs2000Gk120 => "EPSG:4549",
            InputCrs::Cgcs2000Gk40 => "EPSG:4528",
            InputCrs::Gcj02 => "gcj02",
        }
    }

    /// The SRID PostGIS transforms from; `None` when the conversion happens in Rust (GCJ-02).
    pub fn postgis_srid(self) -> Option<i32> {
        match self {
            InputCrs::Wgs84 => Some(4326),
            InputCrs::Cgcs2000 => Some(4490),
            InputCrs::Cgcs2000Gk120 => Some(4549),
            InputCrs::Cgcs2000Gk40 => Some(4528),
            InputCrs::Gcj02 => None,
        }
    }

    pub fn is_geographic(self) -> bool {
        matches!(self, InputCrs::Wgs84 | InputCrs::Cgcs2000 | InputCrs::Gcj02)
    }

    /// Checks one input coordinate (x first, as in GeoJSON) for range and swapped axes.
    pub fn check_coordinate(self, x: f64, y: f64) -> Result<(), CoordinateError> {
        if !x.is_finite() || !y.is_finite() {
            return Err(CoordinateError::NotFinite);
        }
        if self.is_geographic() {
            let in_range = (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y);
            // lat/lon order is the most common mistake with Chinese data: (31.8, 119.9)
            let looks_swapped = CHINA_LAT.contains(&x) && CHINA_LON.contains(&y);
            if looks_swapped
                || (!in_range && (-90.0..=90.0).contains(&x) && (-180.0..=180.0).contains(&y))
            {
                return Err(CoordinateError::SwappedLatLon { x, y });
            }
            if !in_range {
                return Err(CoordinateError::OutOfLonLatRange { x, y });
            }
            return Ok(());
        }
        let (easting_range, prefix_hint) = match self {
            InputCrs::Cgcs2000Gk40 => (
                40_000_000.0..=41_000_000.0,
                "EPSG:4528 eastings carry the zone prefix 40 (e.g. 40500000)",
            ),
            _ => (
                0.0..=1_000_000.0,
                "EPSG:4549 eastings have no zone prefix (e.g. 500000)",
            ),
        };
        let northing_range = 0.0..=10_000_000.0;
        if easting_range.contains(&x) && northing_range.contains(&y) {
            return Ok(());
        }
        if easting_range.contains(&y) && northing_range.contains(&x) {
            return Err(CoordinateError::SwappedAxes { x, y });
        }
        if self == InputCrs::Cgcs2000Gk120 && (40_000_000.0..=41_000_000.0).contains(&x) {
            return Err(CoordinateError::ZonePrefix { x });
        }
        Err(CoordinateError::OutOfProjectedRange {
            x,
            y,
            crs: self,
            hint: prefix_hint,
        })
    }
}

/// A coordinate that cannot be in the CRS it was given in; the message says what is likely wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoordinateError {
    #[error("coordinates must be finite numbers")]
    NotFinite,
    #[error(
        "coordinates ({x}, {y}) look like swapped lat/lon: give longitude first, then latitude"
    )]
    SwappedLatLon { x: f64, y: f64 },
    #[error(
        "coordinates ({x}, {y}) are out of range: longitude must be within ±180 and latitude within ±90"
    )]
    OutOfLonLatRange { x: f64, y: f64 },
    #[error(
        "coordinates ({x}, {y}) look like swapped axes: give the easting (x) first, then the northing (y)"
    )]
    SwappedAxes { x: f64, y: f64 },
    #[error("easting {x} has the zone prefix 40: use crs EPSG:4528 for prefixed coordinates")]
    ZonePrefix { x: f64 },
    #[error("coordinates ({x}, {y}) are out of range for {crs}: {hint}")]
    OutOfProjectedRange {
        x: f64,
        y: f64,
        crs: InputCrs,
        hint: &'static str,
    },
}

/// A CRS name this server does not take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported crs {0:?} (supported: EPSG:4326, EPSG:4490, EPSG:4549, EPSG:4528, gcj02)")]
pub struct UnknownCrs(pub String);

const CHINA_LAT: std::ops::RangeInclusive<f64> = 3.8..=53.6;
const CHINA_LON: std::ops::RangeInclusive<f64> = 73.4..=135.1;

impl fmt::Display for InputCrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for InputCrs {
    type Err = UnknownCrs;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normal = s.trim().to_ascii_uppercase().replace(['-', '_'], "");
        let crs = match normal.as_str() {
            "EPSG:4326" | "4326" | "WGS84" | "CRS84" => InputCrs::Wgs84,
            "EPSG:4490" | "4490" | "CGCS2000" => InputCrs::Cgcs2000,
            "EPSG:4549" | "4549" => InputCrs::Cgcs2000Gk120,
            "EPSG:4528" | "4528" => InputCrs::Cgcs2000Gk40,
            "GCJ02" => InputCrs::Gcj02,
            _ => return Err(UnknownCrs(s.to_string())),
        };
        Ok(crs)
    }
}

/// The CRS geometries are written in: an SRID, whether the axes are swapped into the CRS's
/// authority order (latitude or northing first), and the decimals kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutputCrs {
    pub srid: i32,
    pub flip_axes: bool,
    pub decimals: i32,
}

impl Default for OutputCrs {
    /// GeoJSON's own: WGS84 longitude/latitude.
    fn default() -> Self {
        OutputCrs {
            srid: 4326,
            flip_axes: false,
            decimals: 7,
        }
    }
}

/// CRS84, the CRS of GeoJSON and of storage.
pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/// A CRS features can be read and written in (OGC API - Features Part 2). Except for CRS84,
/// coordinates follow the EPSG axis order: latitude first for 4326 and 4490, northing first for
/// the Gauss-Krüger 4549 and 4528.
#[derive(Debug)]
pub struct OfferedCrs {
    pub uri: &'static str,
    pub output: OutputCrs,
    pub input: InputCrs,
}

pub const OFFERED: [OfferedCrs; 5] = [
    OfferedCrs {
        uri: CRS84,
        output: OutputCrs {
            srid: 4326,
            flip_axes: false,
            decimals: 7,
        },
        input: InputCrs::Wgs84,
    },
    OfferedCrs {
        uri: "http://www.opengis.net/def/crs/EPSG/0/4326",
        output: OutputCrs {
            srid: 4326,
            flip_axes: true,
            decimals: 7,
        },
        input: InputCrs::Wgs84,
    },
    OfferedCrs {
        uri: "http://www.opengis.net/def/crs/EPSG/0/4490",
        output: OutputCrs {
            srid: 4490,
            flip_axes: true,
            decimals: 7,
        },
        input: InputCrs::Cgcs2000,
    },
    OfferedCrs {
        uri: "http://www.opengis.net/def/crs/EPSG/0/4549",
        output: OutputCrs {
            srid: 4549,
            flip_axes: true,
            decimals: 3,
        },
        input: InputCrs::Cgcs2000Gk120,
    },
    OfferedCrs {
        uri: "http://www.opengis.net/def/crs/EPSG/0/4528",
        output: OutputCrs {
            srid: 4528,
            flip_axes: true,
            decimals: 3,
        },
        input: InputCrs::Cgcs2000Gk40,
    },
];

/// An offered CRS by URI, or by a short name such as `EPSG:4549` or `[EPSG:4549]`.
pub fn offered(name: &str) -> Option<&'static OfferedCrs> {
    let short = name.trim().trim_start_matches('[').trim_end_matches(']');
    OFFERED.iter().find(|c| {
        c.uri == short
            || c.uri.rsplit('/').next() == Some(short)
            || short
                .strip_prefix("EPSG:")
                .is_some_and(|code| c.uri.ends_with(&format!("/EPSG/0/{code}")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_crs_names() {
        assert_eq!("EPSG:4549".parse(), Ok(InputCrs::Cgcs2000Gk120));
        assert_eq!("gcj02".parse(), Ok(InputCrs::Gcj02));
        assert_eq!("GCJ-02".parse(), Ok(InputCrs::Gcj02));
        assert_eq!("epsg:4490".parse(), Ok(InputCrs::Cgcs2000));
        let err = "EPSG:3857".parse::<InputCrs>().unwrap_err().to_string();
        assert!(err.contains("unsupported crs \"EPSG:3857\""), "{err}");
    }

    #[test]
    fn catches_swapped_and_out_of_range_coordinates() {
        assert!(InputCrs::Wgs84.check_coordinate(119.9, 31.8).is_ok());
        assert!(
            InputCrs::Wgs84
                .check_coordinate(31.8, 119.9)
                .unwrap_err()
                .to_string()
                .contains("swapped")
        );
        assert!(
            InputCrs::Wgs84
                .check_coordinate(200.0, 31.8)
                .unwrap_err()
                .to_string()
                .contains("out of range")
        );
        assert!(
            InputCrs::Cgcs2000Gk120
                .check_coordinate(494_000.0, 3_519_000.0)
                .is_ok()
        );
        assert!(
            InputCrs::Cgcs2000Gk120
                .check_coordinate(3_519_000.0, 494_000.0)
                .unwrap_err()
                .to_string()
                .contains("swapped")
        );
        assert!(
            InputCrs::Cgcs2000Gk120
                .check_coordinate(40_494_000.0, 3_519_000.0)
                .unwrap_err()
                .to_string()
                .contains("EPSG:4528")
        );
        assert!(
            InputCrs::Cgcs2000Gk40
                .check_coordinate(40_494_000.0, 3_519_000.0)
                .is_ok()
        );
    }

    #[test]
    fn the_unknown_crs_message_lists_every_crs() {
        let names: Vec<&str> = InputCrs::ALL.iter().map(|c| c.name()).collect();
        assert!(
            UnknownCrs("x".into())
                .to_string()
                .ends_with(&format!("(supported: {})", names.join(", ")))
        );
    }
}
