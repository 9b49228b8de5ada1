//! Import of sites and areas, all or nothing: features are read and checked on a blocking thread
//! (GeoJSON by its own streaming reader, every other vector format through GDAL) while the async
//! side stages them in batches into a temporary table; PostGIS then checks validity, codes and
//! towns for the whole file, and only a file without a single rejection is written.

mod parse;
pub mod sheet_file;
pub mod vector_file;

pub use crate::domain::geometry::{geometry_to_wkb, search_area_wkb};
pub use crate::domain::import::{
    ImportOptions, ImportTarget, OnExisting, Rejection, StagedRow, to_row,
};
pub use parse::{Parsed, read_features};
pub use vector_file::{FieldMapping, FileFacts, TextEncoding, VectorFileOptions, parse_mapping};

use crate::db::import_stage;
use crate::domain::InputCrs;
use serde_json::Value;
use sqlx::PgConnection;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub read: usize,
    pub inserted: u64,
    pub skipped: u64,
}

/// At most this many rejections are listed; the total is always given.
pub const MAX_LISTED_REJECTIONS: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}", rejected_message(.total, .listed, .unit))]
    Rejected {
        total: usize,
        listed: Vec<Rejection>,
        /// what `index` counts: "feature" (from 0) or a sheet's "row" (the header is row 1)
        unit: &'static str,
    },
    #[error("{0}")]
    Unreadable(String),
    #[error("database error during import: {0}")]
    Database(#[from] sqlx::Error),
}

fn rejected_message(total: &usize, listed: &[Rejection], unit: &str) -> String {
    let mut text = format!("{total} {unit}(s) rejected; nothing was imported:");
    for r in listed {
        match &r.code {
            Some(code) => text.push_str(&format!(
                "\n  {unit} {} (code {code}): {}",
                r.index, r.reason
            )),
            None => text.push_str(&format!("\n  {unit} {}: {}", r.index, r.reason)),
        }
    }
    if *total > listed.len() {
        text.push_str(&format!("\n  … and {} more", total - listed.len()));
    }
    text
}

/// Collects rejections, keeping the first [`MAX_LISTED_REJECTIONS`] by feature index.
#[derive(Default)]
pub(crate) struct Rejections {
    total: usize,
    listed: Vec<Rejection>,
}

impl Rejections {
    pub(crate) fn add(&mut self, r: Rejection) {
        self.total += 1;
        self.listed.push(r);
        if self.listed.len() > 2 * MAX_LISTED_REJECTIONS {
            self.trim();
        }
    }

    fn trim(&mut self) {
        self.listed.sort_by_key(|r| r.index);
        self.listed.truncate(MAX_LISTED_REJECTIONS);
    }

    fn into_error(mut self, unit: &'static str) -> Option<ImportError> {
        if self.total == 0 {
            return None;
        }
        self.trim();
        Some(ImportError::Rejected {
            total: self.total,
            listed: self.listed,
            unit,
        })
    }
}

const BATCH_ROWS: usize = 2000;

/// Imports a GeoJSON file inside the caller's transaction. On any rejection nothing is written
/// (the staging table is dropped and no row reaches the target table); the caller decides
/// whether to commit.
pub async fn import_file(
    conn: &mut PgConnection,
    path: &Path,
    options: ImportOptions,
) -> Result<ImportSummary, ImportError> {
    let file = std::fs::File::open(path)
        .map_err(|e| ImportError::Unreadable(format!("cannot open {}: {e}", path.display())))?;
    import_reader(
        conn,
        std::io::BufReader::with_capacity(1 << 16, file),
        options,
    )
    .await
}

/// Like [`import_file`], from any reader (a request body, a test string).
pub async fn import_reader<R: std::io::Read + Send + 'static>(
    conn: &mut PgConnection,
    reader: R,
    options: ImportOptions,
) -> Result<ImportSummary, ImportError> {
    let crs = options.crs;
    let target = options.target;
    let (summary, ()) = import_with(conn, options, "feature", move |sink| {
        let crs_member =
            parse::read_features(reader, target, crs, sink).map_err(|e| e.to_string())?;
        match crs_member.as_ref().and_then(declared_crs) {
            Some(declared) if declared != crs => Err(format!(
                "the file declares crs {declared} but the import was asked for {crs}: pass --crs {declared}"
            )),
            _ => Ok(()),
        }
    })
    .await?;
    Ok(summary)
}

/// Imports a Shapefile, GeoPackage, KML/KMZ, DXF or FlatGeobuf (see [`vector_file`]), or a CSV
/// or xlsx sheet of points (see [`sheet_file`]), inside the caller's transaction, all or nothing
/// like [`import_file`]. The features arrive in WGS84
/// whatever the file's CRS, so `options.crs` is not read.
pub async fn import_vector_file(
    conn: &mut PgConnection,
    path: &Path,
    options: ImportOptions,
    file: VectorFileOptions,
) -> Result<(ImportSummary, FileFacts), ImportError> {
    let path = path.to_path_buf();
    let target = options.target;
    let options = ImportOptions {
        crs: InputCrs::Wgs84,
        ..options
    };
    if sheet_file::is_sheet(&path) {
        return import_with(conn, options, "row", move |sink| {
            sheet_file::read_sheet_file(&path, &file, target, &mut Vec::new(), 0, sink)
        })
        .await;
    }
    import_with(conn, options, "feature", move |sink| {
        vector_file::read_vector_file(&path, &file, target, sink)
    })
    .await
}

/// What a file read through GDAL or as a sheet holds (see [`vector_file::inspect`]), and its
/// first `keep` features for a preview.
pub fn inspect(
    path: &Path,
    options: &VectorFileOptions,
    target: ImportTarget,
    keep: usize,
) -> Result<(FileFacts, Vec<Value>), String> {
    if sheet_file::is_sheet(path) {
        let mut kept = Vec::new();
        let facts =
            sheet_file::read_sheet_file(path, options, target, &mut kept, keep, &mut |_| false)?;
        return Ok((facts, kept));
    }
    vector_file::inspect(path, options, target, keep)
}

/// Whether a file is read by the GeoJSON reader (by its extension), rather than through GDAL.
pub fn is_geojson(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("geojson" | "json")
    )
}

/// Imports any file the import takes: GeoJSON in `options.crs` by its own reader, every other
/// vector format through GDAL in the CRS it names (or `file.crs`). Resolves to the summary and,
/// for a GDAL file, what was found in it.
pub async fn import_any(
    conn: &mut PgConnection,
    path: &Path,
    options: ImportOptions,
    file: VectorFileOptions,
) -> Result<(ImportSummary, Option<FileFacts>), ImportError> {
    if is_geojson(path) {
        Ok((import_file(conn, path, options).await?, None))
    } else {
        let (summary, facts) = import_vector_file(conn, path, options, file).await?;
        Ok((summary, Some(facts)))
    }
}

/// Runs `read` on a blocking thread, staging what it hands on, then checks and commits the whole
/// file; resolves to the summary and what `read` returned.
async fn import_with<T: Send + 'static>(
    conn: &mut PgConnection,
    options: ImportOptions,
    unit: &'static str,
    read: impl FnOnce(&mut dyn FnMut(parse::Parsed) -> bool) -> Result<T, String> + Send + 'static,
) -> Result<(ImportSummary, T), ImportError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<parse::Parsed>(BATCH_ROWS * 2);
    let crs = options.crs;
    let reader_task =
        tokio::task::spawn_blocking(move || read(&mut |item| tx.blocking_send(item).is_ok()));

    import_stage::create(&mut *conn).await?;
    let mut rejections = Rejections::default();
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    let mut read = 0usize;
    while let Some(item) = rx.recv().await {
        read += 1;
        match item {
            parse::Parsed::Row(row) => {
                batch.push(*row);
                if batch.len() == BATCH_ROWS {
                    import_stage::insert_batch(&mut *conn, &batch, crs).await?;
                    batch.clear();
                }
            }
            parse::Parsed::Rejected(r) => rejections.add(r),
        }
    }
    import_stage::insert_batch(&mut *conn, &batch, crs).await?;
    drop(batch);

    let read_out = reader_task
        .await
        .map_err(|e| ImportError::Unreadable(format!("the reader stopped unexpectedly: {e}")))?
        .map_err(ImportError::Unreadable)?;

    for r in import_stage::check(&mut *conn, options).await? {
        rejections.add(r);
    }
    if let Some(error) = rejections.into_error(unit) {
        import_stage::drop(&mut *conn).await?;
        return Err(error);
    }
    let (inserted, skipped) = import_stage::commit_into_target(&mut *conn, options).await?;
    import_stage::drop(&mut *conn).await?;
    Ok((
        ImportSummary {
            read,
            inserted,
            skipped,
        },
        read_out,
    ))
}

/// Reads the legacy GeoJSON `crs` member (`{"type":"name","properties":{"name":"EPSG:4549"}}`
/// or an OGC URN) as written by QGIS and GDAL.
fn declared_crs(member: &Value) -> Option<InputCrs> {
    let name = member.get("properties")?.get("name")?.as_str()?;
    let code = name.rsplit([':', '/']).find(|part| !part.is_empty())?;
    match code {
        "CRS84" => Some(InputCrs::Wgs84),
        digits => format!("EPSG:{digits}").parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_declared_crs_names() {
        let urn = json!({"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4549"}});
        assert_eq!(declared_crs(&urn), Some(InputCrs::Cgcs2000Gk120));
        let crs84 = json!({"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}});
        assert_eq!(declared_crs(&crs84), Some(InputCrs::Wgs84));
        assert_eq!(declared_crs(&json!({"type":"name"})), None);
    }
}
