//! Web Mercator tile maths, written once: where tile z/x/y lies in lon/lat (widened by the render
//! buffer, moved by a display shift), and how far GCJ-02 moves a tile's centre. Shared by the tile
//! routes and the tile cache, so that what a tile draws and what evicts it cannot drift apart.

use super::coords::{LonLatBox, wgs84_to_gcj02};
use std::f64::consts::{FRAC_PI_4, PI};

/// The WGS84 semi-major axis, the radius of spherical Web Mercator (EPSG:3857).
const RADIUS: f64 = 6_378_137.0;

/// Web Mercator metres of a lon/lat.
pub fn mercator(lon: f64, lat: f64) -> (f64, f64) {
    (
        RADIUS * lon.to_radians(),
        RADIUS * (FRAC_PI_4 + lat.to_radians() / 2.0).tan().ln(),
    )
}

/// Lon/lat of Web Mercator metres.
pub fn lon_lat(x: f64, y: f64) -> (f64, f64) {
    (
        (x / RADIUS).to_degrees(),
        (2.0 * (y / RADIUS).exp().atan() - PI / 2.0).to_degrees(),
    )
}

/// Web Mercator metres of tile z/x/y's corners: (west, south, east, north).
pub fn tile_bounds(z: u32, x: u32, y: u32) -> (f64, f64, f64, f64) {
    let size = 2.0 * PI * RADIUS / f64::from(1u32 << z.min(31));
    let west = -PI * RADIUS + f64::from(x) * size;
    let north = PI * RADIUS - f64::from(y) * size;
    (west, north - size, west + size, north)
}

/// The lon/lat area whose features tile z/x/y draws: the tile widened by `buffer_fraction` of
/// its width on every side, and, for a tile whose geometries are moved by `shift` metres for
/// display, moved back by it (a feature at P is drawn at P + shift).
pub fn drawn_area(z: u32, x: u32, y: u32, buffer_fraction: f64, shift: (f64, f64)) -> LonLatBox {
    let (west, south, east, north) = tile_bounds(z, x, y);
    let margin = (east - west) * buffer_fraction;
    let (min_lon, min_lat) = lon_lat(west - margin - shift.0, south - margin - shift.1);
    let (max_lon, max_lat) = lon_lat(east + margin - shift.0, north + margin - shift.1);
    LonLatBox {
        min_lon,
        min_lat,
        max_lon,
        max_lat,
    }
}

/// Web Mercator metres that GCJ-02 moves the centre of tile z/x/y. Across one tile the shift
/// changes by less than a pixel at every zoom (it varies by metres over kilometres), so one
/// translation per tile lines the data up with a GCJ-02 basemap.
pub fn gcj02_shift(z: u32, x: u32, y: u32) -> (f64, f64) {
    let (west, south, east, north) = tile_bounds(z, x, y);
    let (cx, cy) = ((west + east) / 2.0, (south + north) / 2.0);
    let (lon, lat) = lon_lat(cx, cy);
    let (shifted_lon, shifted_lat) = wgs84_to_gcj02(lon, lat);
    let (sx, sy) = mercator(shifted_lon, shifted_lat);
    (sx - cx, sy - cy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_areas_match_web_mercator() {
        let world = drawn_area(0, 0, 0, 0.0, (0.0, 0.0));
        assert!((world.min_lon + 180.0).abs() < 1e-9 && (world.max_lon - 180.0).abs() < 1e-9);
        assert!(
            (world.max_lat - 85.051_128_779_806_6).abs() < 1e-9,
            "{world:?}"
        );
        // z14 tile of Zhonglou: x = floor((lon + 180) / 360 * 2^14)
        let tile = drawn_area(14, 13_649, 6_664, 0.0, (0.0, 0.0));
        assert!(tile.min_lon <= 119.92 && 119.92 <= tile.max_lon, "{tile:?}");
        assert!(tile.min_lat <= 31.79 && 31.79 <= tile.max_lat, "{tile:?}");
        let (x, y) = mercator(119.92, 31.79);
        let (lon, lat) = lon_lat(x, y);
        assert!((lon - 119.92).abs() < 1e-12 && (lat - 31.79).abs() < 1e-12);
    }

    #[test]
    fn a_shifted_tile_draws_the_area_the_shift_came_from() {
        let (dx, dy) = gcj02_shift(14, 13_649, 6_664);
        // about 445 m east and 232 m south near Changzhou (DOMAIN.md §4), in Mercator metres
        // stretched by 1/cos(31.8°)
        assert!(
            (450.0..600.0).contains(&dx) && (-320.0..-200.0).contains(&dy),
            "{dx} {dy}"
        );
        let plain = drawn_area(14, 13_649, 6_664, 0.0, (0.0, 0.0));
        let shifted = drawn_area(14, 13_649, 6_664, 0.0, (dx, dy));
        assert!(shifted.min_lon < plain.min_lon && shifted.min_lat > plain.min_lat);
    }
}
