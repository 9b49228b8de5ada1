//! The formats GDAL writes: GeoPackage, Shapefile, KML and FlatGeobuf. A Shapefile holds one
//! geometry dimension and 10-character field names, so a layer of several dimensions becomes a
//! file per dimension, the names are cut without collisions, and the zip carries the list of the
//! long names beside the `.prj` and the `.cpg` of its UTF-8 DBF.

use super::columns::{Column, ColumnType, ExportLayer};
use crate::db::export::ExportRecord;
use crate::domain::choice::ExportFormat;
use anyhow::Context;
use gdal::spatial_ref::{AxisMappingStrategy, SpatialRef};
use gdal::vector::{
    Feature, FieldDefn, Geometry, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType,
};
use gdal::{Dataset, DriverManager};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use tokio::sync::mpsc::Receiver;

/// The written file in its temporary folder, gone when this is dropped.
pub struct Written {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Written {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

const DIMENSION_SUFFIX: [&str; 3] = ["point", "line", "polygon"];

fn layer_type(dimension: u8) -> OGRwkbGeometryType::Type {
    match dimension {
        0 => OGRwkbGeometryType::wkbPoint,
        1 => OGRwkbGeometryType::wkbLineString,
        _ => OGRwkbGeometryType::wkbPolygon,
    }
}

fn dimension_of(geometry: &Geometry) -> Option<u8> {
    use OGRwkbGeometryType::*;
    match gdal::vector::geometry_type_flatten(geometry.geometry_type()) {
        t if t == wkbPoint || t == wkbMultiPoint => Some(0),
        t if t == wkbLineString || t == wkbMultiLineString => Some(1),
        t if t == wkbPolygon || t == wkbMultiPolygon => Some(2),
        _ => None,
    }
}

/// A geometry's parts by dimension, each collected into one geometry: a collection (a project's
/// sites) into its multi-points, multi-lines and multi-polygons, anything else as it is.
fn parts_by_dimension(geometry: Geometry) -> anyhow::Result<Vec<(u8, Geometry)>> {
    let flat = gdal::vector::geometry_type_flatten(geometry.geometry_type());
    // the point file of a split layer holds several points per feature (a project's outfalls)
    if flat == OGRwkbGeometryType::wkbPoint {
        let mut multi = Geometry::empty(OGRwkbGeometryType::wkbMultiPoint)?;
        multi.add_geometry(geometry)?;
        return Ok(vec![(0, multi)]);
    }
    if let Some(dimension) = dimension_of(&geometry) {
        return Ok(vec![(dimension, geometry)]);
    }
    let multi = [
        OGRwkbGeometryType::wkbMultiPoint,
        OGRwkbGeometryType::wkbMultiLineString,
        OGRwkbGeometryType::wkbMultiPolygon,
    ];
    let mut collected: [Option<Geometry>; 3] = [None, None, None];
    for i in 0..geometry.geometry_count() {
        let part: Geometry = (*geometry.get_geometry(i)).clone();
        let Some(dimension) = dimension_of(&part) else {
            continue;
        };
        let multi_type = multi[usize::from(dimension)];
        let target = match &mut collected[usize::from(dimension)] {
            Some(target) => target,
            empty => empty.insert(Geometry::empty(multi_type)?),
        };
        if gdal::vector::geometry_type_flatten(part.geometry_type()) == multi_type {
            for j in 0..part.geometry_count() {
                target.add_geometry((*part.get_geometry(j)).clone())?;
            }
        } else {
            target.add_geometry(part)?;
        }
    }
    Ok(collected
        .into_iter()
        .enumerate()
        .filter_map(|(d, g)| g.map(|g| (d as u8, g)))
        .collect())
}

/// The DBF's names: each cut to 10 characters, a clash ending in `_1`, `_2` … instead.
fn shapefile_names(columns: &[Column]) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(columns.len());
    for column in columns {
        let cut: String = column.name.chars().take(10).collect();
        let mut name = cut.clone();
        let mut n = 1;
        while names.iter().any(|taken| taken.eq_ignore_ascii_case(&name)) {
            let suffix = format!("_{n}");
            let kept: String = cut.chars().take(10 - suffix.len()).collect();
            name = format!("{kept}{suffix}");
            n += 1;
        }
        names.push(name);
    }
    names
}

/// Writes the records that arrive on `records` as one file of `format`.
pub fn write(
    format: ExportFormat,
    layer: ExportLayer,
    columns: &[Column],
    mut records: Receiver<ExportRecord>,
) -> anyhow::Result<Written> {
    let dir = tempfile::tempdir().context("creating the export's folder")?;
    let name = layer.name();
    let (driver, path, options): (&str, PathBuf, &[&str]) = match format {
        ExportFormat::Gpkg => ("GPKG", dir.path().join(format!("{name}.gpkg")), &[]),
        ExportFormat::Kml => ("LIBKML", dir.path().join(format!("{name}.kml")), &[]),
        ExportFormat::Fgb => ("FlatGeobuf", dir.path().join(format!("{name}.fgb")), &[]),
        ExportFormat::Shp => ("ESRI Shapefile", dir.path().join(name), &["ENCODING=UTF-8"]),
        other => anyhow::bail!("{other} is not written through GDAL"),
    };
    let shapefile = format == ExportFormat::Shp;
    // KML holds every value as text, and reads an unset number back as 0: written as text, an
    // unset value stays absent and the import gives the others their type again
    let as_text = format == ExportFormat::Kml;
    let field_names: Vec<String> = if shapefile {
        shapefile_names(columns)
    } else {
        columns.iter().map(|c| c.name.to_string()).collect()
    };
    let mut srs = SpatialRef::from_epsg(4326)?;
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let mut dataset = DriverManager::get_driver_by_name(driver)
        .with_context(|| format!("GDAL has no {driver} driver"))?
        .create_vector_only(&path)
        .with_context(|| format!("creating the {driver} file"))?;
    // a Shapefile per dimension when the layer has several, one layer otherwise
    let dimensions = layer.dimensions();
    let split = shapefile && dimensions.len() > 1;
    let layer_names: Vec<(Option<u8>, String)> = if split {
        dimensions
            .iter()
            .map(|d| {
                (
                    Some(*d),
                    format!("{name}_{}", DIMENSION_SUFFIX[usize::from(*d)]),
                )
            })
            .collect()
    } else {
        vec![(None, name.to_string())]
    };
    for (dimension, layer_name) in &layer_names {
        let ty = match (shapefile, dimension, dimensions.as_slice()) {
            (true, Some(0), _) => OGRwkbGeometryType::wkbMultiPoint,
            (true, Some(d), _) | (true, None, [d]) => layer_type(*d),
            _ => OGRwkbGeometryType::wkbUnknown,
        };
        let created = dataset.create_layer(LayerOptions {
            name: layer_name,
            srs: Some(&srs),
            ty,
            options: Some(options),
        })?;
        for (column, field_name) in columns.iter().zip(&field_names) {
            let field_type = match column.ty {
                _ if as_text => OGRFieldType::OFTString,
                ColumnType::Integer | ColumnType::Bool => OGRFieldType::OFTInteger64,
                ColumnType::Real => OGRFieldType::OFTReal,
                ColumnType::Text | ColumnType::List => OGRFieldType::OFTString,
            };
            FieldDefn::new(field_name, field_type)?.add_to_layer(&created)?;
        }
    }
    // a GeoPackage writes a transaction at a time: one for the whole file, not one per feature
    let counts = if format == ExportFormat::Gpkg {
        let transaction = dataset.start_transaction()?;
        let counts = write_features(
            &transaction,
            &mut records,
            columns,
            &layer_names,
            split,
            as_text,
        )?;
        transaction.commit()?;
        counts
    } else {
        write_features(
            &dataset,
            &mut records,
            columns,
            &layer_names,
            split,
            as_text,
        )?
    };
    dataset.flush_cache()?;
    drop(dataset);
    if !shapefile {
        return Ok(Written { _dir: dir, path });
    }
    let zip_path = dir.path().join(format!("{name}.zip"));
    zip_shapefiles(
        &path,
        &zip_path,
        &layer_names,
        &counts,
        columns,
        &field_names,
    )?;
    Ok(Written {
        _dir: dir,
        path: zip_path,
    })
}

/// Writes every record into its layer (a Shapefile split by dimension: each part into the
/// layer of its dimension); resolves to the features each layer got.
fn write_features(
    dataset: &Dataset,
    records: &mut Receiver<ExportRecord>,
    columns: &[Column],
    layer_names: &[(Option<u8>, String)],
    split: bool,
    as_text: bool,
) -> anyhow::Result<Vec<u64>> {
    let mut counts = vec![0u64; layer_names.len()];
    while let Some(record) = records.blocking_recv() {
        let geometry = record
            .wkb
            .as_deref()
            .map(Geometry::from_wkb)
            .transpose()
            .context("reading a stored geometry")?;
        let placed: Vec<(usize, Option<Geometry>)> = match geometry {
            None => vec![(0, None)],
            Some(geometry) if split => parts_by_dimension(geometry)?
                .into_iter()
                .filter_map(|(d, g)| {
                    layer_names
                        .iter()
                        .position(|(dim, _)| *dim == Some(d))
                        .map(|i| (i, Some(g)))
                })
                .collect(),
            Some(geometry) => vec![(0, Some(geometry))],
        };
        for (index, geometry) in placed {
            let target = dataset.layer(index)?;
            let mut feature = Feature::new(target.defn())?;
            for (i, column) in columns.iter().enumerate() {
                let value = record.props.0.get(column.name);
                if as_text {
                    if let Some(text) = column.text(value) {
                        feature.set_field_string(i, &text)?;
                    }
                } else {
                    set_field(&mut feature, i, column, value)?;
                }
            }
            if let Some(geometry) = geometry {
                feature.set_geometry(geometry)?;
            }
            feature.create(&target)?;
            counts[index] += 1;
        }
    }
    Ok(counts)
}

fn set_field(
    feature: &mut Feature,
    index: usize,
    column: &Column,
    value: Option<&Value>,
) -> anyhow::Result<()> {
    match (column.ty, value) {
        (_, None | Some(Value::Null)) => {}
        (ColumnType::Bool, Some(Value::Bool(b))) => {
            feature.set_field_integer64(index, i64::from(*b))?
        }
        (ColumnType::Integer, Some(Value::Number(n))) if n.is_i64() => {
            feature.set_field_integer64(index, n.as_i64().unwrap_or_default())?
        }
        (ColumnType::Real | ColumnType::Integer, Some(Value::Number(n))) => {
            feature.set_field_double(index, n.as_f64().unwrap_or_default())?
        }
        (_, value) => feature.set_field_string(index, &column.text(value).unwrap_or_default())?,
    }
    Ok(())
}

/// Zips the Shapefiles that hold features (every one when none does) with a list of the long
/// field names.
fn zip_shapefiles(
    folder: &Path,
    zip_path: &Path,
    layers: &[(Option<u8>, String)],
    counts: &[u64],
    columns: &[Column],
    field_names: &[String],
) -> anyhow::Result<()> {
    let any = counts.iter().any(|c| *c > 0);
    let mut zip = zip::ZipWriter::new(std::fs::File::create(zip_path)?);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for ((_, layer), count) in layers.iter().zip(counts) {
        if any && *count == 0 {
            continue;
        }
        for ext in ["shp", "shx", "dbf", "prj", "cpg"] {
            let file = folder.join(format!("{layer}.{ext}"));
            if file.exists() {
                zip.start_file(format!("{layer}.{ext}"), options)?;
                std::io::copy(&mut std::fs::File::open(&file)?, &mut zip)?;
            }
        }
    }
    zip.start_file("fields.csv", options)?;
    writeln!(zip, "field,name")?;
    for (column, short) in columns.iter().zip(field_names) {
        writeln!(zip, "{short},{}", column.name)?;
    }
    zip.finish()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapefile_names_are_cut_without_clashes() {
        let column = |name| Column {
            name,
            ty: ColumnType::Text,
        };
        let names = shapefile_names(&[
            column("code"),
            column("responsible_unit"),
            column("responsible_person"),
            column("responsibl"),
        ]);
        assert_eq!(names, ["code", "responsibl", "responsi_1", "responsi_2"]);
    }
}
