//! Export of one kind as GeoJSON (the same shape `import` reads, so an export imports back
//! unchanged) or CSV (one row per feature, geometry as WKT, attributes as JSON).

use crate::csv_out::SpreadsheetCsv;
use crate::db::export::{ExportRow, rows};
use crate::domain::choice::ExportFormat;
use crate::domain::import::ImportTarget;
use futures_util::TryStreamExt;
use serde_json::{Map, Value};
use sqlx::PgPool;
use std::io::Write;

pub async fn export(
    pool: &PgPool,
    target: ImportTarget,
    format: ExportFormat,
    out: &mut dyn Write,
) -> anyhow::Result<u64> {
    let mut stream = rows(pool, target);
    let mut count = 0u64;
    match format {
        ExportFormat::Geojson => {
            let mut writer = geojson::FeatureWriter::from_writer(&mut *out);
            while let Some(row) = stream.try_next().await? {
                writer.write_feature(&to_feature(target, row)?)?;
                count += 1;
            }
            writer.finish()?;
        }
        ExportFormat::Csv => {
            let mut writer = SpreadsheetCsv::new(&mut *out);
            let ref_name = match target {
                ImportTarget::Site(_) => "town_code",
                ImportTarget::AdminArea => "parent_code",
            };
            let flag_name = match target {
                ImportTarget::Site(_) => "placeholder",
                ImportTarget::AdminArea => "approximate",
            };
            writer.row([
                "code",
                "name",
                "name_en",
                ref_name,
                flag_name,
                "radius_m",
                "level",
                "source",
                "attrs",
                "geometry_wkt",
            ])?;
            while let Some(row) = stream.try_next().await? {
                writer.row([
                    row.code.as_str(),
                    &row.name,
                    row.name_en.as_deref().unwrap_or(""),
                    row.ref_code.as_deref().unwrap_or(""),
                    if row.flag { "true" } else { "false" },
                    &row.radius_m.map(|r| r.to_string()).unwrap_or_default(),
                    row.level.as_deref().unwrap_or(""),
                    row.source.as_deref().unwrap_or(""),
                    &row.attrs.0.to_string(),
                    &row.wkt,
                ])?;
                count += 1;
            }
            writer.flush()?;
        }
    }
    out.flush()?;
    Ok(count)
}

fn to_feature(target: ImportTarget, row: ExportRow) -> anyhow::Result<geojson::Feature> {
    let geometry: geojson::Geometry = row.geojson.parse::<geojson::GeoJson>()?.try_into()?;
    let mut props = Map::new();
    props.insert("code".into(), row.code.into());
    props.insert("name".into(), row.name.into());
    if let Some(name_en) = row.name_en {
        props.insert("name_en".into(), name_en.into());
    }
    match target {
        ImportTarget::Site(_) => {
            if let Some(town) = row.ref_code {
                props.insert("town_code".into(), town.into());
            }
            props.insert("placeholder".into(), row.flag.into());
            if let Some(radius) = row.radius_m {
                props.insert("radius_m".into(), radius.into());
            }
            if let Value::Object(attrs) = row.attrs.0 {
                props.extend(attrs);
            }
        }
        ImportTarget::AdminArea => {
            props.insert("level".into(), row.level.into());
            props.insert("parent_code".into(), row.ref_code.into());
            props.insert("approximate".into(), row.flag.into());
            if let Some(source) = row.source {
                props.insert("source".into(), source.into());
            }
        }
    }
    Ok(geojson::Feature {
        bbox: None,
        geometry: Some(geometry),
        id: None,
        properties: Some(props),
        foreign_members: None,
    })
}
