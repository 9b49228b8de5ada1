//! Input coordinate reference systems (WGS84, CGCS2000 geographic and Gauss-Krüger, GCJ-02),
//! plausibility checks that catch swapped axes, and the GCJ-02 ⇄ WGS84 conversion.
//!
//! Projected CRSs are transformed by PostGIS (`ST_Transform`); GCJ-02 is not a published CRS,
//! so it is converted here.

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
    pub fn check_coordinate(self, x: f64, y: f64) -> Result<(), String> {
        if !x.is_finite() || !y.is_finite() {
            return Err("coordinates must be finite numbers".into());
        }
        if self.is_geographic() {
            let in_range = (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y);
            // lat/lon order is the most common mistake with Chinese data: (31.8, 119.9)
            let looks_swapped = CHINA_LAT.contains(&x) && CHINA_LON.contains(&y);
            if looks_swapped
                || (!in_range && (-90.0..=90.0).contains(&x) && (-180.0..=180.0).contains(&y))
            {
                return Err(format!(
                    "coordinates ({x}, {y}) look like swapped lat/lon: give longitude first, then latitude"
                ));
            }
            if !in_range {
                return Err(format!(
                    "coordinates ({x}, {y}) are out of range: longitude must be within ±180 and latitude within ±90"
                ));
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
            return Err(format!(
                "coordinates ({x}, {y}) look like swapped axes: give the easting (x) first, then the northing (y)"
            ));
        }
        if self == InputCrs::Cgcs2000Gk120 && (40_000_000.0..=41_000_000.0).contains(&x) {
            return Err(format!(
                "easting {x} has the zone prefix 40: use crs EPSG:4528 for prefixed coordinates"
            ));
        }
        Err(format!(
            "coordinates ({x}, {y}) are out of range for {}: {prefix_hint}",
            self.name()
        ))
    }
}

const CHINA_LAT: std::ops::RangeInclusive<f64> = 3.8..=53.6;
const CHINA_LON: std::ops::RangeInclusive<f64> = 73.4..=135.1;

impl fmt::Display for InputCrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for InputCrs {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normal = s.trim().to_ascii_uppercase().replace(['-', '_'], "");
        let crs = match normal.as_str() {
            "EPSG:4326" | "4326" | "WGS84" | "CRS84" => InputCrs::Wgs84,
            "EPSG:4490" | "4490" | "CGCS2000" => InputCrs::Cgcs2000,
            "EPSG:4549" | "4549" => InputCrs::Cgcs2000Gk120,
            "EPSG:4528" | "4528" => InputCrs::Cgcs2000Gk40,
            "GCJ02" => InputCrs::Gcj02,
            _ => {
                let names: Vec<&str> = InputCrs::ALL.iter().map(|c| c.name()).collect();
                return Err(format!(
                    "unsupported crs {s:?} (supported: {})",
                    names.join(", ")
                ));
            }
        };
        Ok(crs)
    }
}

/// A lon/lat box in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LonLatBox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl LonLatBox {
    /// Whether two boxes share a point, with a hair of slack for rounding between PostGIS's
    /// projection and ours.
    pub fn meets(&self, other: &LonLatBox) -> bool {
        const SLACK: f64 = 1e-9;
        other.min_lon <= self.max_lon + SLACK
            && other.max_lon >= self.min_lon - SLACK
            && other.min_lat <= self.max_lat + SLACK
            && other.max_lat >= self.min_lat - SLACK
    }
}

// GCJ-02 uses the Krasovsky 1940 ellipsoid.
const KRASOVSKY_A: f64 = 6_378_245.0;
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943;

/// GCJ-02 leaves points outside mainland China's rough bounding box unshifted.
fn gcj_applies(lon: f64, lat: f64) -> bool {
    (72.004..=137.8347).contains(&lon) && (0.8293..=55.8271).contains(&lat)
}

fn shift_lat(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn shift_lon(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// WGS84 → GCJ-02 (the published forward formula).
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    use std::f64::consts::PI;
    if !gcj_applies(lon, lat) {
        return (lon, lat);
    }
    let d_lat = shift_lat(lon - 105.0, lat - 35.0);
    let d_lon = shift_lon(lon - 105.0, lat - 35.0);
    let rad_lat = lat / 180.0 * PI;
    let magic = 1.0 - KRASOVSKY_EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let d_lat =
        (d_lat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let d_lon = (d_lon * 180.0) / (KRASOVSKY_A / sqrt_magic * rad_lat.cos() * PI);
    (lon + d_lon, lat + d_lat)
}

/// GCJ-02 → WGS84 by fixed-point iteration on the forward formula; converges to about 1e-9°
/// (a tenth of a millimetre) in a handful of steps, far inside the 0.5 m the product promises.
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    let (mut wlon, mut wlat) = (lon, lat);
    for _ in 0..30 {
        let (glon, glat) = wgs84_to_gcj02(wlon, wlat);
        let (dlon, dlat) = (glon - lon, glat - lat);
        wlon -= dlon;
        wlat -= dlat;
        if dlon.abs() < 1e-10 && dlat.abs() < 1e-10 {
            break;
        }
    }
    (wlon, wlat)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Metres between two nearby lon/lat points (equirectangular; fine at this scale).
    fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
        let k = 111_320.0;
        let dx = (a.0 - b.0) * k * (a.1.to_radians()).cos();
        let dy = (a.1 - b.1) * k;
        (dx * dx + dy * dy).sqrt()
    }

    #[test]
    fn gcj_shift_near_changzhou_is_about_500_m() {
        let wgs = (119.9460, 31.7720);
        let gcj = wgs84_to_gcj02(wgs.0, wgs.1);
        let east = (gcj.0 - wgs.0) * 111_320.0 * wgs.1.to_radians().cos();
        let north = (gcj.1 - wgs.1) * 111_320.0;
        assert!((400.0..500.0).contains(&east), "east shift {east}");
        assert!((-280.0..-180.0).contains(&north), "north shift {north}");
    }

    #[test]
    fn gcj_inverse_round_trips_within_a_millimetre() {
        for &(lon, lat) in &[
            (119.731, 31.743),
            (119.956, 31.851),
            (116.397, 39.908),
            (121.47, 31.23),
        ] {
            let gcj = wgs84_to_gcj02(lon, lat);
            let back = gcj02_to_wgs84(gcj.0, gcj.1);
            assert!(
                metres(back, (lon, lat)) < 0.001,
                "{lon},{lat} came back as {back:?}"
            );
        }
    }

    #[test]
    fn gcj_outside_china_is_identity() {
        assert_eq!(wgs84_to_gcj02(2.35, 48.85), (2.35, 48.85));
    }

    #[test]
    fn parses_crs_names() {
        assert_eq!("EPSG:4549".parse(), Ok(InputCrs::Cgcs2000Gk120));
        assert_eq!("gcj02".parse(), Ok(InputCrs::Gcj02));
        assert_eq!("GCJ-02".parse(), Ok(InputCrs::Gcj02));
        assert_eq!("epsg:4490".parse(), Ok(InputCrs::Cgcs2000));
        let err = "EPSG:3857".parse::<InputCrs>().unwrap_err();
        assert!(err.contains("unsupported crs \"EPSG:3857\""), "{err}");
    }

    #[test]
    fn catches_swapped_and_out_of_range_coordinates() {
        assert!(InputCrs::Wgs84.check_coordinate(119.9, 31.8).is_ok());
        assert!(
            InputCrs::Wgs84
                .check_coordinate(31.8, 119.9)
                .unwrap_err()
                .contains("swapped")
        );
        assert!(
            InputCrs::Wgs84
                .check_coordinate(200.0, 31.8)
                .unwrap_err()
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
                .contains("swapped")
        );
        assert!(
            InputCrs::Cgcs2000Gk120
                .check_coordinate(40_494_000.0, 3_519_000.0)
                .unwrap_err()
                .contains("EPSG:4528")
        );
        assert!(
            InputCrs::Cgcs2000Gk40
                .check_coordinate(40_494_000.0, 3_519_000.0)
                .is_ok()
        );
    }
}
