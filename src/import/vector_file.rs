//! Reading the vector files a bureau receives through GDAL: Shapefile (a `.zip`, or the `.shp`
//! beside its siblings), GeoPackage, KML/KMZ, DXF, FlatGeobuf and GeoJSON. The layer's CRS is
//! recognised (see `domain::file_crs`) and its features are reprojected to WGS84 by GDAL; a
//! Shapefile's text is decoded by its `.cpg`, else by `--encoding`, else by what its bytes look
//! like. Each feature then goes through the GeoJSON import's own checks (`to_row`).

use super::parse::Parsed;
use crate::domain::InputCrs;
use crate::domain::file_crs::{Datum, FileCrs};
use crate::domain::import::{ImportTarget, Rejection, to_row};
use crate::domain::site_kind::{AttrSpec, AttrType};
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::vector::{FieldValue, LayerAccess};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The drivers an import may use: files only, never one that fetches from a network.
const DRIVERS: [&str; 7] = [
    "ESRI Shapefile",
    "GPKG",
    "KML",
    "LIBKML",
    "DXF",
    "FlatGeobuf",
    "GeoJSON",
];

#[derive(Debug, Clone, Default)]
pub struct VectorFileOptions {
    /// The layer of a file with several (a GeoPackage, a KML with folders).
    pub layer: Option<String>,
    /// The CRS of a file that names none (a DXF, a Shapefile without `.prj`).
    pub crs: Option<FileCrs>,
    /// The text encoding of a Shapefile without `.cpg`, instead of guessing it.
    pub encoding: Option<String>,
    /// File field → property, or `None` to leave the field out; applied before the usual names.
    pub mapping: FieldMapping,
}

/// How a file's fields become the kind's properties: each named field is renamed, or left out.
pub type FieldMapping = BTreeMap<String, Option<String>>;

/// The most fields a mapping may name, and the longest name in it.
const MAPPING_FIELDS: usize = 200;
const MAPPING_NAME_CHARS: usize = 64;

/// A mapping as its JSON text, saved by the web app or written by hand:
/// `{"地块名称": "name", "备注": null}`.
pub fn parse_mapping(text: &str) -> Result<FieldMapping, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("the mapping is not JSON: {e}"))?;
    let Value::Object(entries) = value else {
        return Err("the mapping must be a JSON object of file field → property (or null to leave the field out)".into());
    };
    if entries.len() > MAPPING_FIELDS {
        return Err(format!(
            "the mapping names {} fields; at most {MAPPING_FIELDS}",
            entries.len()
        ));
    }
    let mut mapping = FieldMapping::new();
    for (field, target) in entries {
        let target = match target {
            Value::Null => None,
            Value::String(name) if !name.trim().is_empty() => Some(name.trim().to_string()),
            other => {
                return Err(format!(
                    "the mapping of field {field:?} must be a property name or null, not {other}"
                ));
            }
        };
        if field.chars().count() > MAPPING_NAME_CHARS
            || target
                .as_ref()
                .is_some_and(|t| t.chars().count() > MAPPING_NAME_CHARS)
        {
            return Err(format!(
                "the mapping of field {field:?} is longer than {MAPPING_NAME_CHARS} characters"
            ));
        }
        mapping.insert(field, target);
    }
    Ok(mapping)
}

/// What was found in the file, for the preview and the audit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileFacts {
    pub driver: String,
    pub layer: String,
    pub layers: Vec<String>,
    pub crs: String,
    pub crs_epsg: u32,
    /// "file" or "--crs"
    pub crs_from: &'static str,
    /// a Shapefile's text encoding and where it came from
    pub encoding: Option<TextEncoding>,
    /// the layer's field names, as the file has them, for a mapping
    pub fields: Vec<String>,
    pub features: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextEncoding {
    pub name: String,
    /// "cpg", "--encoding" or "detected"
    pub from: &'static str,
}

impl TextEncoding {
    pub(super) fn new(name: impl Into<String>, from: &'static str) -> Option<TextEncoding> {
        Some(TextEncoding {
            name: name.into(),
            from,
        })
    }
}

impl FileFacts {
    /// One line for the CLI and the audit: driver, layer, count, CRS and encoding.
    pub fn describe(&self) -> String {
        let encoding = self
            .encoding
            .as_ref()
            .map(|e| format!(", encoding {} ({})", e.name, e.from))
            .unwrap_or_default();
        format!(
            "{} layer {:?} ({} feature(s)), CRS {} (from the {}){encoding}",
            self.driver, self.layer, self.features, self.crs, self.crs_from
        )
    }
}

/// Where GDAL reads the file from, and the DBF bytes and `.cpg` text of a Shapefile.
struct Located {
    gdal_path: PathBuf,
    dbf: Option<Vec<u8>>,
    cpg: Option<String>,
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

fn read_sibling(path: &Path, ext: &str) -> Option<Vec<u8>> {
    [ext.to_string(), ext.to_ascii_uppercase()]
        .iter()
        .find_map(|e| std::fs::read(path.with_extension(e)).ok())
}

/// A ZIP's Shapefile: GDAL reads it in place through `/vsizip/`. (A KMZ is LIBKML's own.)
fn locate_zipped_shapefile(path: &Path) -> Result<Located, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open the file: {e}"))?;
    let mut archive =
        zip::ZipArchive::new(file).map_err(|e| format!("the file is not a readable ZIP: {e}"))?;
    let names: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .map(|n| n.into_owned())
        .collect();
    let ends = |name: &str, ext: &str| name.to_ascii_lowercase().ends_with(&format!(".{ext}"));
    let shapes: Vec<&String> = names.iter().filter(|n| ends(n, "shp")).collect();
    let shp = match shapes.as_slice() {
        [one] => (*one).clone(),
        [] => return Err("the ZIP holds no .shp file".into()),
        many => {
            return Err(format!(
                "the ZIP holds {} Shapefiles ({}): send one per import",
                many.len(),
                many.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    };
    let stem = &shp[..shp.len() - ".shp".len()];
    let mut sibling = |ext: &str| -> Option<Vec<u8>> {
        let name = names.iter().find(|n| {
            n.len() == stem.len() + ext.len() + 1 && n.starts_with(stem) && ends(n, ext)
        })?;
        let mut bytes = Vec::new();
        archive.by_name(name).ok()?.read_to_end(&mut bytes).ok()?;
        Some(bytes)
    };
    let dbf = sibling("dbf");
    let cpg = sibling("cpg").map(|b| String::from_utf8_lossy(&b).trim().to_string());
    let absolute = std::fs::canonicalize(path).map_err(|e| format!("cannot open the file: {e}"))?;
    Ok(Located {
        gdal_path: PathBuf::from(format!("/vsizip/{}/{shp}", absolute.display())),
        dbf,
        cpg,
    })
}

fn locate(path: &Path) -> Result<Located, String> {
    match extension(path).as_str() {
        "zip" => locate_zipped_shapefile(path),
        "shp" => Ok(Located {
            gdal_path: path.to_path_buf(),
            dbf: read_sibling(path, "dbf"),
            cpg: read_sibling(path, "cpg").map(|b| String::from_utf8_lossy(&b).trim().to_string()),
        }),
        _ => Ok(Located {
            gdal_path: path.to_path_buf(),
            dbf: None,
            cpg: None,
        }),
    }
}

/// The encoding of a DBF's records (for Chinese text GBK, which GDAL reads as GB18030).
fn detect_encoding(dbf: &[u8]) -> String {
    let header = dbf
        .get(8..10)
        .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
        .unwrap_or(0);
    detect_text_encoding(dbf.get(header..).unwrap_or_default())
}

/// The encoding of text bytes (a DBF's records, a CSV): UTF-8 when they read as UTF-8, else what
/// chardetng finds, GBK being named by its superset GB18030.
pub fn detect_text_encoding(text: &[u8]) -> String {
    if std::str::from_utf8(text).is_ok() {
        return "UTF-8".into();
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(text, true);
    let guess = detector.guess(Some(b"cn"), chardetng::Utf8Detection::Allow);
    if guess == encoding_rs::GBK || guess == encoding_rs::GB18030 {
        "GB18030".into()
    } else {
        guess.name().into()
    }
}

/// The recognised CRS of a layer's spatial reference: by its EPSG code, else by its datum and
/// Transverse Mercator parameters.
fn recognise(srs: &SpatialRef) -> Option<FileCrs> {
    let code = |srs: &SpatialRef| {
        srs.auth_name()
            .filter(|n| n.eq_ignore_ascii_case("EPSG"))
            .and_then(|_| srs.auth_code().ok())
            .and_then(|c| u32::try_from(c).ok())
            .and_then(FileCrs::from_epsg)
    };
    if let Some(found) = code(srs) {
        return Some(found);
    }
    let mut identified = srs.clone();
    if identified.auto_identify_epsg().is_ok()
        && let Some(found) = code(&identified)
    {
        return Some(found);
    }
    let datum = srs
        .get_attr_value("DATUM", 0)
        .ok()
        .flatten()
        .unwrap_or_default();
    if srs.is_geographic() {
        let lower = datum.to_ascii_lowercase();
        return if Datum::from_name(&datum) == Some(Datum::Cgcs2000) {
            Some(FileCrs::Cgcs2000Geographic)
        } else if lower.contains("wgs") && lower.contains("84") {
            Some(FileCrs::Wgs84)
        } else {
            None
        };
    }
    let projection = srs
        .get_attr_value("PROJECTION", 0)
        .ok()
        .flatten()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let param = |name| srs.get_proj_param(name).ok().flatten();
    let transverse_mercator =
        projection.contains("transverse_mercator") || projection.contains("gauss_kruger");
    let scale_one = param("scale_factor").is_none_or(|k| (k - 1.0).abs() < 1e-9);
    let no_false_northing = param("false_northing").is_none_or(|n| n.abs() < 1e-6);
    if !(transverse_mercator && scale_one && no_false_northing) {
        return None;
    }
    FileCrs::from_projection(
        Datum::from_name(&datum)?,
        param("central_meridian")?,
        param("false_easting")?,
    )
}

pub(super) fn lon_lat_order(code: u32) -> Result<SpatialRef, String> {
    let mut srs =
        SpatialRef::from_epsg(code).map_err(|e| format!("GDAL does not know EPSG:{code}: {e}"))?;
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    Ok(srs)
}

/// Fields the KML and DXF drivers add of their own, which are not the bureau's data.
const FORMAT_FIELDS: [&str; 17] = [
    "timestamp",
    "begin",
    "end",
    "altitudeMode",
    "tessellate",
    "extrude",
    "visibility",
    "drawOrder",
    "icon",
    "snippet",
    "Layer",
    "SubClasses",
    "Linetype",
    "EntityHandle",
    "ExtendedEntity",
    "RawCodeValues",
    "PaperSpace",
];

/// The usual names of the core properties in the bureau's files, Chinese ones included.
const ALIASES: [(&str, &str); 10] = [
    ("Name", "name"),
    ("编号", "code"),
    ("编码", "code"),
    ("代码", "code"),
    ("名称", "name"),
    ("名字", "name"),
    ("英文名", "name_en"),
    ("英文名称", "name_en"),
    ("镇街代码", "town_code"),
    ("所属镇街代码", "town_code"),
];

/// A file's fields as the import's properties: first the mapping's renames and omissions, then
/// the formats' own fields dropped (an empty KML description too), the usual names mapped to the
/// core properties, a Shapefile's field names, cut to 10 characters by the DBF, given back the
/// property they start, and values stored without their type given it again (`coerce`).
pub(super) fn normalise_fields(
    fields: Map<String, Value>,
    driver: &str,
    target: ImportTarget,
    mapping: &FieldMapping,
) -> Map<String, Value> {
    let mut fields: Map<String, Value> = fields
        .into_iter()
        .filter_map(|(name, value)| match mapping.get(&name) {
            None => Some((name, value)),
            Some(None) => None,
            Some(Some(property)) => Some((property.clone(), value)),
        })
        .collect();
    if matches!(driver, "KML" | "LIBKML" | "DXF") {
        for name in FORMAT_FIELDS {
            fields.remove(name);
        }
    }
    // an empty text is no value: a KML's unset field, a sheet's blank cell
    fields.retain(|_, value| !value.as_str().is_some_and(|text| text.trim().is_empty()));
    for (alias, property) in ALIASES {
        if !fields.contains_key(property)
            && let Some(value) = fields.remove(alias)
        {
            fields.insert(property.to_string(), value);
        }
    }
    let (core, attributes): (&[&str], &[AttrSpec]) = match target {
        ImportTarget::Site(kind) => (&SITE_PROPERTIES, kind.attributes()),
        ImportTarget::AdminArea => (&AREA_PROPERTIES, &[]),
    };
    let known = || {
        core.iter()
            .copied()
            .chain(attributes.iter().map(|s| s.name))
    };
    if driver == "ESRI Shapefile" {
        let cut: Vec<String> = fields
            .keys()
            .filter(|k| k.chars().count() == 10 && !known().any(|name| name == k.as_str()))
            .cloned()
            .collect();
        for short in cut {
            let mut longer = known().filter(|name| name.starts_with(short.as_str()));
            if let (Some(name), None) = (longer.next(), longer.next())
                && !fields.contains_key(name)
                && let Some(value) = fields.remove(&short)
            {
                fields.insert(name.to_string(), value);
            }
        }
    }
    let typed = [
        ("placeholder", AttrType::Bool),
        ("approximate", AttrType::Bool),
        ("radius_m", AttrType::PositiveNumber),
    ]
    .into_iter()
    .chain(attributes.iter().map(|s| (s.name, s.ty)));
    for (name, ty) in typed {
        if let Some(value) = fields.get_mut(name) {
            coerce(value, ty);
        }
    }
    fields
}

/// A value as the formats without its type hold it, made that type: a boolean stored as 0 or 1
/// (DBF, GeoPackage) or as text (KML, a sheet), a number as text, a whole number as a real, a
/// list as its JSON text (as the export writes it) or as items separated by commas (a sheet), a
/// code typed into a number cell. Anything else is left for the checks to name.
fn coerce(value: &mut Value, ty: AttrType) {
    let coerced = match (ty, &*value) {
        (AttrType::Bool, Value::Number(n)) => match n.as_f64() {
            Some(1.0) => Some(Value::Bool(true)),
            Some(0.0) => Some(Value::Bool(false)),
            _ => None,
        },
        (AttrType::Bool, Value::String(text)) => match text.trim().to_lowercase().as_str() {
            "1" | "true" | "是" => Some(Value::Bool(true)),
            "0" | "false" | "否" => Some(Value::Bool(false)),
            _ => None,
        },
        (AttrType::PositiveNumber, Value::String(text)) => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(|n| json!(n)),
        (AttrType::IntEnum(_), Value::String(text)) => {
            text.trim().parse::<i64>().ok().map(|n| json!(n))
        }
        (AttrType::IntEnum(_), Value::Number(n)) if n.is_f64() => n
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
            .map(|f| json!(f as i64)),
        (AttrType::Text | AttrType::Enum(_), Value::Number(n)) => {
            Some(Value::String(n.to_string()))
        }
        (AttrType::TextList | AttrType::EnumList(_), Value::String(text)) => {
            Some(match serde_json::from_str::<Vec<String>>(text) {
                Ok(items) => json!(items),
                Err(_) => Value::Array(
                    text.split([',', '，', '、', ';'])
                        .map(str::trim)
                        .filter(|item| !item.is_empty())
                        .map(|item| Value::String(item.to_string()))
                        .collect(),
                ),
            })
        }
        _ => None,
    };
    if let Some(coerced) = coerced {
        *value = coerced;
    }
}

/// The core properties of a site and of an admin area, besides the kind's attributes.
const SITE_PROPERTIES: [&str; 6] = [
    "code",
    "name",
    "name_en",
    "town_code",
    "placeholder",
    "radius_m",
];
const AREA_PROPERTIES: [&str; 7] = [
    "code",
    "name",
    "name_en",
    "level",
    "parent_code",
    "approximate",
    "source",
];

fn field_json(value: FieldValue) -> Value {
    match value {
        FieldValue::IntegerValue(v) => json!(v),
        FieldValue::Integer64Value(v) => json!(v),
        FieldValue::RealValue(v) => json!(v),
        FieldValue::StringValue(v) => Value::String(v),
        FieldValue::IntegerListValue(v) => json!(v),
        FieldValue::Integer64ListValue(v) => json!(v),
        FieldValue::RealListValue(v) => json!(v),
        FieldValue::StringListValue(v) => json!(v),
        FieldValue::DateValue(v) => Value::String(v.to_string()),
        FieldValue::DateTimeValue(v) => Value::String(v.to_rfc3339()),
    }
}

/// What the file holds (driver, layer, CRS, encoding, count), and its first `keep` features in
/// WGS84 as GeoJSON (code, name and geometry) for a map preview: the preview's facts, also for a
/// file whose features are then refused.
pub fn inspect(
    path: &Path,
    options: &VectorFileOptions,
    target: ImportTarget,
    keep: usize,
) -> Result<(FileFacts, Vec<Value>), String> {
    let mut kept = Vec::new();
    let facts = read_layer(path, options, target, &mut kept, keep, &mut |_| false)?;
    Ok((facts, kept))
}

/// Reads the file's chosen layer and hands each feature to `sink` as a staged row (in WGS84) or a
/// rejection, in file order. Stops early when `sink` returns false.
pub fn read_vector_file(
    path: &Path,
    options: &VectorFileOptions,
    target: ImportTarget,
    sink: &mut dyn FnMut(Parsed) -> bool,
) -> Result<FileFacts, String> {
    read_layer(path, options, target, &mut Vec::new(), 0, sink)
}

fn read_layer(
    path: &Path,
    options: &VectorFileOptions,
    target: ImportTarget,
    kept: &mut Vec<Value>,
    keep: usize,
    sink: &mut dyn FnMut(Parsed) -> bool,
) -> Result<FileFacts, String> {
    let located = locate(path)?;
    let encoding = match (&located.dbf, &located.cpg, &options.encoding) {
        (None, _, _) => None,
        (Some(_), Some(cpg), _) => TextEncoding::new(cpg.clone(), "cpg"),
        (Some(_), None, Some(given)) => TextEncoding::new(given.clone(), "--encoding"),
        (Some(dbf), None, None) => TextEncoding::new(detect_encoding(dbf), "detected"),
    };
    // GDAL reads a .cpg itself
    let open_option = encoding
        .as_ref()
        .filter(|e| e.from != "cpg")
        .map(|e| format!("ENCODING={}", e.name));
    let open_options: Vec<&str> = open_option.iter().map(String::as_str).collect();
    let dataset = Dataset::open_ex(
        &located.gdal_path,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
            allowed_drivers: Some(&DRIVERS),
            open_options: (!open_options.is_empty()).then_some(open_options.as_slice()),
            sibling_files: None,
        },
    )
    .map_err(|_| {
        format!(
            "the file is not a vector file GDAL can read as {}",
            DRIVERS.join(", ")
        )
    })?;
    let driver = dataset.driver().short_name();
    let layers: Vec<String> = dataset.layers().map(|l| l.name()).collect();
    let mut layer = match (&options.layer, layers.as_slice()) {
        (Some(name), _) => dataset.layer_by_name(name).map_err(|_| {
            format!(
                "the file has no layer {name:?} (its layers: {})",
                layers.join(", ")
            )
        })?,
        (None, [_]) => dataset
            .layer(0)
            .map_err(|e| format!("reading the layer: {e}"))?,
        (None, []) => return Err("the file holds no layer".into()),
        (None, many) => {
            return Err(format!(
                "the file has {} layers ({}): choose one with --layer",
                many.len(),
                many.join(", ")
            ));
        }
    };
    let declared = layer.spatial_ref();
    let crs = match (&declared, options.crs) {
        (None, Some(given)) => (given, "--crs"),
        (None, None) => {
            return Err(format!(
                "the file names no CRS (a DXF never does): pass --crs with its EPSG code, one of {}",
                FileCrs::RECOGNISED
            ));
        }
        (Some(srs), given) => {
            let found = recognise(srs).ok_or_else(|| {
                format!(
                    "the file's CRS ({}) is not one the import recognises ({}); if you know its EPSG code, reproject the file or pass --crs for a file without .prj",
                    srs.name().unwrap_or_else(|| "unnamed".into()),
                    FileCrs::RECOGNISED
                )
            })?;
            if let Some(given) = given
                && given != found
            {
                return Err(format!(
                    "the file declares {found} but the import was asked for {given}: pass --crs EPSG:{} or leave it out",
                    found.epsg()
                ));
            }
            (found, "file")
        }
    };
    let transform = if crs.0.epsg() == 4326 {
        None
    } else {
        let source = lon_lat_order(crs.0.epsg())?;
        let target = lon_lat_order(4326)?;
        Some(
            CoordTransform::new(&source, &target)
                .map_err(|e| format!("no transformation from {} to WGS84: {e}", crs.0))?,
        )
    };
    let features = layer.feature_count();
    let layer_name = layer.name();
    let field_names: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
    for (index, feature) in layer.features().enumerate() {
        let mut fields = Map::new();
        for (field, (name, value)) in feature.fields().enumerate() {
            // an unset number (a FlatGeobuf's absent property) reads as 0; as text it is empty
            let unset = || {
                feature
                    .field_as_string(field)
                    .ok()
                    .flatten()
                    .is_none_or(|text| text.is_empty())
            };
            match value {
                Some(
                    FieldValue::IntegerValue(_)
                    | FieldValue::Integer64Value(_)
                    | FieldValue::RealValue(_),
                ) if unset() => {}
                Some(value) => {
                    fields.insert(name, field_json(value));
                }
                None => {}
            }
        }
        let properties = normalise_fields(fields, &driver, target, &options.mapping);
        let geometry = match feature.geometry() {
            None => Ok(Value::Null),
            Some(geometry) => {
                let mut geometry = geometry.clone();
                geometry.flatten_to_2d();
                let moved = match &transform {
                    Some(t) => geometry
                        .transform_inplace(t)
                        .map_err(|e| format!("cannot reproject the geometry: {e}")),
                    None => Ok(()),
                };
                moved.and_then(|()| {
                    geometry
                        .json()
                        .map_err(|e| e.to_string())
                        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
                })
            }
        };
        let parsed = match geometry {
            Err(reason) => Parsed::Rejected(Rejection {
                index,
                code: None,
                reason,
            }),
            Ok(geometry) => {
                let code = properties
                    .get("code")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                if kept.len() < keep {
                    let name = properties.get("name").cloned().unwrap_or(Value::Null);
                    kept.push(json!({"type": "Feature", "geometry": geometry.clone(),
                        "properties": {"index": index, "code": code, "name": name}}));
                }
                let feature =
                    json!({"type": "Feature", "properties": properties, "geometry": geometry});
                match to_row(index, feature, target, InputCrs::Wgs84) {
                    Ok(row) => Parsed::Row(Box::new(row)),
                    Err(rejected) => Parsed::Rejected(Rejection {
                        index,
                        code,
                        reason: rejected.0.join("; "),
                    }),
                }
            }
        };
        if !sink(parsed) && kept.len() >= keep {
            break;
        }
    }
    Ok(FileFacts {
        driver,
        layer: layer_name,
        layers,
        crs: crs.0.to_string(),
        crs_epsg: crs.0.epsg(),
        crs_from: crs.1,
        encoding,
        fields: field_names,
        features,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An ESRI `.prj` under a name no registry knows, as drawing offices write them.
    fn esri(datum: &str, false_easting: f64) -> SpatialRef {
        SpatialRef::from_esri(&format!(
            r#"PROJCS["Survey_GK",GEOGCS["GCS_{datum}",DATUM["D_{datum}",SPHEROID["Ellipsoid",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",{false_easting}],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#
        ))
        .unwrap()
    }

    #[test]
    fn an_unnamed_gauss_kruger_prj_is_recognised_by_its_datum_and_parameters() {
        let code = |srs: SpatialRef| recognise(&srs).map(FileCrs::epsg);
        assert_eq!(code(esri("Xian_1980", 40_500_000.0)), Some(2364));
        assert_eq!(code(esri("Xian_1980", 500_000.0)), Some(2385));
        assert_eq!(code(esri("Beijing_1954", 500_000.0)), Some(2437));
        assert_eq!(code(esri("Somewhere_1990", 500_000.0)), None);
        assert_eq!(code(SpatialRef::from_epsg(4528).unwrap()), Some(4528));
        assert_eq!(code(SpatialRef::from_epsg(3857).unwrap()), None);
    }

    #[test]
    fn dbf_text_is_told_utf8_or_gbk() {
        let dbf = |text: &[u8]| {
            [
                vec![3, 0, 0, 0, 0, 0, 0, 0, 32, 0],
                vec![0; 22],
                text.to_vec(),
            ]
            .concat()
        };
        assert_eq!(detect_encoding(&dbf("新闸断面".as_bytes())), "UTF-8");
        let (gbk, _, _) = encoding_rs::GBK.encode("新闸街道大周村中河黑臭水体整治");
        assert_eq!(detect_encoding(&dbf(&gbk)), "GB18030");
    }
}
