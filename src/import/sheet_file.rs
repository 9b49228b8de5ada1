//! Sites from a sheet, CSV or xlsx: each row placed by its coordinate columns (lon/lat or x/y, in
//! the sheet's CRS: WGS84 unless `--crs` names another), by a WKT geometry (what the export
//! writes), or by a site-code column that puts it on a stored site's point. The other columns
//! become properties through the same names as a vector file's fields. A CSV is decoded by
//! `--encoding`, else by what its bytes look like (a town's CSV saved by Excel is often GBK).
//! Rows are numbered as the spreadsheet shows them.

use super::parse::Parsed;
use super::vector_file::{
    FileFacts, TextEncoding, VectorFileOptions, lon_lat_order, normalise_fields,
};
use crate::domain::InputCrs;
use crate::domain::file_crs::FileCrs;
use crate::domain::import::{ImportTarget, Rejection, to_row};
use crate::ledger::first_chars;
use crate::sheet::{Cell, SheetFormat, SheetRows, as_utf8};
use gdal::spatial_ref::CoordTransform;
use gdal::vector::Geometry;
use serde_json::{Map, Value, json};
use std::path::Path;

/// The most rows a sheet import reads.
pub const MAX_SHEET_ROWS: usize = 200_000;

/// The headers of the columns that place a row; any other column is a property.
const EASTING: [&str; 7] = ["lon", "lng", "longitude", "x", "经度", "东坐标", "横坐标"];
const NORTHING: [&str; 6] = ["lat", "latitude", "y", "纬度", "北坐标", "纵坐标"];
const SITE_CODE: [&str; 5] = ["site_code", "站点编码", "所在站点", "点位编码", "所属站点"];
/// A geometry as WKT (the export's column): any geometry type, so that a sheet of lines or
/// polygons imports back too.
const WKT: [&str; 3] = ["geometry_wkt", "wkt", "几何"];

/// Whether a file is a sheet (by its extension).
pub fn is_sheet(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "csv" | "xlsx"))
}

fn column(header: &[String], names: &[&str]) -> Option<usize> {
    header
        .iter()
        .position(|h| names.iter().any(|n| n.eq_ignore_ascii_case(h.trim())))
}

fn cell_json(cell: &Cell) -> Value {
    match cell {
        Cell::Empty => Value::Null,
        Cell::Text(text) => Value::String(text.clone()),
        // a code typed into a number cell (320404) stays an integer, so it reads as text
        Cell::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => json!(*n as i64),
        Cell::Number(n) => json!(n),
        Cell::Time(t) if t.time() == chrono::NaiveTime::MIN => Value::String(t.date().to_string()),
        Cell::Time(t) => Value::String(t.format("%Y-%m-%dT%H:%M:%S").to_string()),
    }
}

fn coordinate(cell: Option<&Cell>, name: &str) -> Result<Option<f64>, String> {
    match cell {
        None | Some(Cell::Empty) => Ok(None),
        Some(Cell::Number(n)) if n.is_finite() => Ok(Some(*n)),
        Some(other) => {
            let text = other.text();
            match text.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(Some(n)),
                _ => Err(format!("{name} {text:?} is not a number")),
            }
        }
    }
}

/// Reads the sheet and hands each row to `sink` as a staged row (a point in WGS84, or a row to
/// be placed on a stored site) or a rejection; keeps the first `keep` placed points for a
/// preview. Stops early when `sink` returns false.
pub fn read_sheet_file(
    path: &Path,
    options: &VectorFileOptions,
    target: ImportTarget,
    kept: &mut Vec<Value>,
    keep: usize,
    sink: &mut dyn FnMut(Parsed) -> bool,
) -> Result<FileFacts, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot open the file: {e}"))?;
    let (text, encoding) = as_utf8(&bytes, options.encoding.as_deref())?;
    let encoding = encoding.and_then(|(name, from)| TextEncoding::new(name, from));
    let driver = match SheetFormat::sniff(&text) {
        SheetFormat::Csv => "CSV",
        SheetFormat::Xlsx => "XLSX",
    };
    let mut sheet = SheetRows::open(&text).map_err(|e| e.to_string())?;
    let header = sheet.header.clone();
    let easting = column(&header, &EASTING);
    let northing = column(&header, &NORTHING);
    let site_code = column(&header, &SITE_CODE);
    let wkt = column(&header, &WKT);
    if easting.is_some() != northing.is_some() {
        return Err(
            "the sheet has one coordinate column but not the other: give lon and lat (经度, 纬度) or x and y"
                .into(),
        );
    }
    if easting.is_none() && site_code.is_none() && wkt.is_none() {
        return Err(format!(
            "the sheet has no column to place its rows: coordinates (lon/lat, x/y, 经度/纬度), a geometry as WKT (geometry_wkt) or a site code (site_code, 站点编码); its columns: {}",
            header.join(", ")
        ));
    }
    let (crs, crs_from) = match options.crs {
        Some(crs) => (crs, "--crs"),
        None => (FileCrs::Wgs84, "default"),
    };
    let transform = if crs.epsg() == 4326 {
        None
    } else {
        Some(
            CoordTransform::new(&lon_lat_order(crs.epsg())?, &lon_lat_order(4326)?)
                .map_err(|e| format!("no transformation from {crs} to WGS84: {e}"))?,
        )
    };
    let layout = Layout {
        header: &header,
        easting: easting.zip(northing),
        site_code,
        wkt,
    };
    let mut rows_read = 0u64;
    'sheet: loop {
        let rows = sheet.next_rows(1000).map_err(|e| e.to_string())?;
        if rows.is_empty() {
            break;
        }
        for (row, cells) in rows {
            rows_read += 1;
            if rows_read > MAX_SHEET_ROWS as u64 {
                return Err(format!(
                    "the sheet has more than {MAX_SHEET_ROWS} rows: split it"
                ));
            }
            let (parsed, geometry) = read_row(
                row,
                &cells,
                &layout,
                transform.as_ref(),
                driver,
                target,
                options,
            );
            if let (Some(geometry), true) = (geometry, kept.len() < keep)
                && let Parsed::Row(staged) = &parsed
            {
                kept.push(json!({"type": "Feature", "geometry": geometry,
                    "properties": {"index": row, "code": staged.code, "name": staged.name}}));
            }
            if !sink(parsed) && kept.len() >= keep {
                break 'sheet;
            }
        }
    }
    Ok(FileFacts {
        driver: driver.into(),
        layer: String::new(),
        layers: Vec::new(),
        crs: crs.to_string(),
        crs_epsg: crs.epsg(),
        crs_from,
        encoding,
        fields: header,
        features: rows_read,
    })
}

/// Which columns place a row.
struct Layout<'a> {
    header: &'a [String],
    /// (easting or longitude, northing or latitude)
    easting: Option<(usize, usize)>,
    site_code: Option<usize>,
    wkt: Option<usize>,
}

/// A WKT geometry in the sheet's CRS as GeoJSON in WGS84.
fn wkt_geometry(text: &str, transform: Option<&CoordTransform>) -> Result<Value, String> {
    let mut geometry = Geometry::from_wkt(text)
        .map_err(|_| format!("{:?} is not a WKT geometry", first_chars(text, 40)))?;
    if let Some(t) = transform {
        geometry
            .transform_inplace(t)
            .map_err(|e| format!("the geometry cannot be reprojected: {e}"))?;
    }
    let json = geometry.json().map_err(|e| e.to_string())?;
    serde_json::from_str(&json).map_err(|e| e.to_string())
}

/// One row as a staged row or a rejection, and its geometry in WGS84 unless it is placed on a
/// stored site. Coordinates come first, then the WKT, then the site code.
fn read_row(
    row: usize,
    cells: &[Cell],
    layout: &Layout,
    transform: Option<&CoordTransform>,
    driver: &str,
    target: ImportTarget,
    options: &VectorFileOptions,
) -> (Parsed, Option<Value>) {
    let rejected = |code: Option<String>, reason: String| {
        (
            Parsed::Rejected(Rejection {
                index: row,
                code,
                reason,
            }),
            None,
        )
    };
    let placing = |i: usize| {
        layout.easting.is_some_and(|(x, y)| i == x || i == y)
            || layout.site_code == Some(i)
            || layout.wkt == Some(i)
    };
    let mut fields = Map::new();
    for (i, (name, cell)) in layout.header.iter().zip(cells).enumerate() {
        let value = cell_json(cell);
        if !placing(i) && !name.is_empty() && !value.is_null() {
            fields.insert(name.clone(), value);
        }
    }
    let properties = normalise_fields(fields, driver, target, &options.mapping);
    let code = properties
        .get("code")
        .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_string));
    let header = |i: usize| layout.header[i].as_str();
    let raw = match layout.easting {
        None => Ok(None),
        Some((x, y)) => match (
            coordinate(cells.get(x), header(x)),
            coordinate(cells.get(y), header(y)),
        ) {
            (Ok(Some(x)), Ok(Some(y))) => Ok(Some((x, y))),
            (Ok(None), Ok(None)) => Ok(None),
            (Err(e), _) | (_, Err(e)) => Err(e),
            _ => Err(format!(
                "give both coordinates ({} and {}) or neither",
                header(x),
                header(y)
            )),
        },
    };
    let place_code = layout
        .site_code
        .and_then(|i| cells.get(i))
        .map(|c| c.text().trim().to_string())
        .filter(|c| !c.is_empty());
    let wkt = layout
        .wkt
        .and_then(|i| cells.get(i))
        .map(|c| c.text().trim().to_string())
        .filter(|c| !c.is_empty());
    let geometry = match (raw, &wkt, &place_code) {
        (Err(reason), _, _) => return rejected(code, reason),
        (Ok(Some((x, y))), _, _) => {
            let (mut xs, mut ys, mut zs) = ([x], [y], [0.0]);
            if let Some(t) = transform
                && let Err(e) = t.transform_coords(&mut xs, &mut ys, &mut zs)
            {
                return rejected(
                    code,
                    format!("the coordinates ({x}, {y}) cannot be reprojected: {e}"),
                );
            }
            Some(json!({"type": "Point", "coordinates": [xs[0], ys[0]]}))
        }
        (Ok(None), Some(wkt), _) => match wkt_geometry(wkt, transform) {
            Ok(geometry) => Some(geometry),
            Err(reason) => return rejected(code, reason),
        },
        (Ok(None), None, Some(_)) => None,
        (Ok(None), None, None) => {
            return rejected(
                code,
                "the row has no place: fill in its coordinates, its geometry or the code of a stored site".into(),
            );
        }
    };
    // a row placed on a site is checked as a point for now; the site's own point replaces it
    let checked = geometry
        .clone()
        .unwrap_or_else(|| json!({"type": "Point", "coordinates": [0.0, 0.0]}));
    let feature = json!({"type": "Feature", "properties": properties, "geometry": checked});
    match to_row(row, feature, target, InputCrs::Wgs84) {
        Ok(mut staged) => {
            if geometry.is_none() {
                staged.wkb = Vec::new();
                staged.place_code = place_code;
            }
            (Parsed::Row(Box::new(staged)), geometry)
        }
        Err(problems) => rejected(code, problems.0.join("; ")),
    }
}
