//! Coordinates in China: the GCJ-02 ⇄ WGS84 conversion (GCJ-02 is not a published CRS, so it is
//! converted here; the others are transformed by PostGIS) and lon/lat boxes.

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

    /// The vectors both implementations are held to (web/tests/gcj02.test.mjs reads them too);
    /// 10 decimals are kept there, about 0.01 mm.
    #[test]
    fn the_shared_vectors_hold_both_ways() {
        let text = include_str!("../../web/tests/gcj02-vectors.json");
        let file: serde_json::Value = serde_json::from_str(text).unwrap();
        let vectors = file["vectors"].as_array().unwrap();
        assert!(vectors.len() >= 12);
        let pair = |v: &serde_json::Value| (v[0].as_f64().unwrap(), v[1].as_f64().unwrap());
        for v in vectors {
            let (wgs, gcj) = (pair(&v["wgs84"]), pair(&v["gcj02"]));
            let forward = wgs84_to_gcj02(wgs.0, wgs.1);
            assert!(
                (forward.0 - gcj.0).abs() < 1e-9 && (forward.1 - gcj.1).abs() < 1e-9,
                "{}: {forward:?}",
                v["name"]
            );
            let back = gcj02_to_wgs84(gcj.0, gcj.1);
            assert!(metres(back, wgs) < 0.001, "{}: {back:?}", v["name"]);
        }
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
}
