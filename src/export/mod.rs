//! Export of a layer (the sites of one kind, the admin areas, or the projects with their sites'
//! geometry), whole or a selection of it, in every format the bureau exchanges. Every format
//! carries the same columns (the layer's core properties and the kind's attributes, staff-only
//! ones for staff only) in WGS84, so that an export imports back unchanged. GeoJSON and CSV are
//! written here, xlsx by rust_xlsxwriter, GeoPackage, Shapefile, KML and FlatGeobuf by GDAL
//! (see [`gdal_file`]).

mod columns;
mod gdal_file;

pub use columns::{Column, ColumnType, ExportLayer, columns};

use crate::csv_out::SpreadsheetCsv;
use crate::db::export::{ExportRecord, Selection, query};
use crate::domain::Audience;
use crate::domain::choice::ExportFormat;
use futures_util::TryStreamExt;
use geozero::ToJson;
use geozero::wkb::Wkb;
use serde_json::{Map, Value};
use sqlx::PgPool;
use std::io::Write;

/// What to export: a layer, a selection of it, for whom, in which format.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub layer: ExportLayer,
    pub selection: Selection,
    pub audience: Audience,
    pub format: ExportFormat,
}

/// A whole layer, as staff see it (the CLI's export).
pub async fn export(
    pool: &PgPool,
    layer: impl Into<ExportLayer>,
    format: ExportFormat,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<u64> {
    let request = ExportRequest {
        layer: layer.into(),
        selection: Selection::default(),
        audience: Audience::Staff,
        format,
    };
    export_selection(pool, &request, out).await
}

/// Writes the request's features to `out`; resolves to how many were written.
pub async fn export_selection(
    pool: &PgPool,
    request: &ExportRequest,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<u64> {
    let columns = columns(request.layer, request.audience);
    let mut query = query(request.layer, &request.selection);
    let mut rows = query.build_query_as::<ExportRecord>().fetch(pool);
    let redact = |mut record: ExportRecord| {
        if let (ExportLayer::Site(kind), Value::Object(props)) =
            (request.layer, &mut record.props.0)
        {
            kind.redact(props, request.audience);
        }
        record
    };
    let mut count = 0u64;
    match request.format {
        ExportFormat::Geojson => {
            let mut writer = geojson::FeatureWriter::from_writer(&mut *out);
            while let Some(record) = rows.try_next().await? {
                writer.write_feature(&to_feature(&columns, redact(record))?)?;
                count += 1;
            }
            writer.finish()?;
        }
        ExportFormat::Csv => {
            let mut writer = SpreadsheetCsv::new(&mut *out);
            writer.row(columns.iter().map(|c| c.name).chain(["geometry_wkt"]))?;
            while let Some(record) = rows.try_next().await? {
                let record = redact(record);
                let cells: Vec<String> = columns
                    .iter()
                    .map(|c| c.text(record.props.0.get(c.name)).unwrap_or_default())
                    .chain([record.wkt()?])
                    .collect();
                writer.row(cells.iter().map(String::as_str))?;
                count += 1;
            }
            writer.flush()?;
        }
        ExportFormat::Xlsx => {
            let mut sheet = columns::XlsxSheet::new(request.layer, &columns)?;
            while let Some(record) = rows.try_next().await? {
                sheet.row(&redact(record))?;
                count += 1;
            }
            out.write_all(&sheet.finish()?)?;
        }
        ExportFormat::Gpkg | ExportFormat::Shp | ExportFormat::Kml | ExportFormat::Fgb => {
            let (sender, receiver) = tokio::sync::mpsc::channel::<ExportRecord>(1024);
            let (layer, format, gdal_columns) = (request.layer, request.format, columns.clone());
            let writer = tokio::task::spawn_blocking(move || {
                gdal_file::write(format, layer, &gdal_columns, receiver)
            });
            while let Some(record) = rows.try_next().await? {
                if sender.send(redact(record)).await.is_err() {
                    break;
                }
                count += 1;
            }
            drop(sender);
            let written = writer.await??;
            let mut file = std::fs::File::open(written.path())?;
            std::io::copy(&mut file, out)?;
        }
    }
    out.flush()?;
    Ok(count)
}

fn to_feature(columns: &[Column], record: ExportRecord) -> anyhow::Result<geojson::Feature> {
    let geometry = match &record.wkb {
        None => None,
        Some(wkb) => Some(geojson::Geometry::from_json_value(serde_json::from_str(
            &Wkb(wkb.as_slice()).to_json()?,
        )?)?),
    };
    let Value::Object(mut props) = record.props.0 else {
        anyhow::bail!("an export row's properties are not an object");
    };
    let mut properties = Map::new();
    for column in columns {
        match props.remove(column.name) {
            None | Some(Value::Null) => {}
            Some(value) => {
                properties.insert(column.name.into(), value);
            }
        }
    }
    Ok(geojson::Feature {
        bbox: None,
        geometry,
        id: None,
        properties: Some(properties),
        foreign_members: None,
    })
}
