//! `POST /api/imports`: the import of a file of sites or areas by the web app, in any format the
//! CLI's `import` takes, with a dry run that answers what the file holds and what would be
//! refused, writing nothing.

use super::AppState;
use super::access::Editor;
use super::extract::{ApiQuery, parse_crs, sheet_refused};
use crate::db::audit;
use crate::domain::file_crs::parse_file_crs;
use crate::domain::text::Bounded;
use crate::error::{AppError, Problem};
use crate::http::problems::{BadInput, Forbidden, NotLoggedIn};
use crate::import::{
    self, FileFacts, ImportError, ImportOptions, ImportTarget, OnExisting, Rejection,
    VectorFileOptions,
};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::io::Write;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes(max_upload_bytes: usize) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_file))
        .layer(DefaultBodyLimit::max(max_upload_bytes))
}

/// The extensions a file may have, each read by the reader it names.
const EXTENSIONS: [&str; 11] = [
    "geojson", "json", "zip", "shp", "gpkg", "kml", "kmz", "dxf", "fgb", "csv", "xlsx",
];

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// the site kind (river, black_odor_water, …) or admin_area
    kind: String,
    /// the file's name: its extension says how it is read (.geojson, .json, .zip with a
    /// Shapefile, .gpkg, .kml, .kmz, .dxf, .fgb, or a sheet of points: .csv, .xlsx)
    #[param(value_type = String, max_length = 200)]
    file_name: Bounded<200>,
    /// GeoJSON: the CRS of its coordinates (EPSG:4326 by default). A sheet: the CRS of its
    /// coordinate columns (EPSG:4326 by default). Other formats: the CRS of a file that names
    /// none (a DXF). Always an EPSG code the import recognises
    #[param(value_type = Option<String>, max_length = 40)]
    crs: Option<Bounded<40>>,
    /// the layer of a file with several
    #[param(value_type = Option<String>, max_length = 200)]
    layer: Option<Bounded<200>>,
    /// the text encoding of a Shapefile without .cpg or of a CSV, instead of the detected one
    #[param(value_type = Option<String>, max_length = 40)]
    encoding: Option<Bounded<40>>,
    /// a JSON object mapping the file's fields to the kind's properties, null leaving a field
    /// out: {"地块名称": "name", "备注": null}
    #[param(value_type = Option<String>, max_length = 4096)]
    mapping: Option<Bounded<4096>>,
    /// repair invalid geometries with ST_MakeValid instead of refusing them
    repair: Option<bool>,
    /// read and check the file and answer what would be imported, writing nothing
    dry_run: Option<bool>,
}

/// What an import read, wrote or would write, and every feature it refused.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub file_name: String,
    /// what GDAL found (driver, layer, CRS, encoding); none for GeoJSON
    #[schema(value_type = Option<Object>)]
    pub found: Option<FileFacts>,
    /// features read
    pub read: usize,
    /// rows written (0 on a dry run)
    pub inserted: u64,
    pub dry_run: bool,
    pub rejected_total: usize,
    /// the first 1,000 refusals by feature index (from 0), or by row for a sheet (its header
    /// being row 1)
    #[schema(value_type = Vec<Object>)]
    pub rejected: Vec<Rejection>,
    /// a dry run of a file read through GDAL: its first 1,000 features in WGS84 (index, code,
    /// name and geometry), for a map preview
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub preview: Option<serde_json::Value>,
}

/// Features a dry run hands back for the map preview.
const PREVIEW_FEATURES: usize = 1000;

/// Import a file of sites (or admin areas) as an editor. The body is the file itself. All or
/// nothing: a file with any bad feature is refused (422) with every feature named, and nothing
/// is written.
#[utoipa::path(post, path = "/imports", tag = "sites", params(ImportQuery),
    request_body(content = Vec<u8>, description = "the file", content_type = "application/octet-stream"),
    responses((status = 200, description = "imported; or, for a dry run, what would be imported and every refused feature", body = ImportReport),
              (status = 422, description = "refused: `rejected` and `rejected_total` name the features at fault; nothing was written", body = ImportReport, content_type = "application/problem+json"),
              BadInput, NotLoggedIn, Forbidden,
              (status = 413, description = "the file is larger than MAX_UPLOAD_MB", body = Problem, content_type = "application/problem+json")),
    security(("session" = []), ("bearer" = [])))]
async fn import_file(
    Editor(user): Editor,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Result<Response, AppError> {
    let target: ImportTarget = query
        .kind
        .parse()
        .map_err(|e: crate::domain::import::UnknownTarget| AppError::BadRequest(e.to_string()))?;
    let file_name = query.file_name.into_inner();
    let extension = std::path::Path::new(&file_name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .filter(|e| EXTENSIONS.contains(&e.as_str()) && e != "shp")
        .ok_or_else(|| {
            AppError::BadRequest(format!(
                "file_name {file_name:?} must end in .geojson, .json, .zip (a Shapefile with its siblings), .gpkg, .kml, .kmz, .dxf, .fgb, .csv or .xlsx"
            ))
        })?;
    let crs_text = query.crs.map(Bounded::into_inner);
    let geojson = matches!(extension.as_str(), "geojson" | "json");
    let options = ImportOptions {
        target,
        crs: if geojson {
            parse_crs(crs_text.as_deref())?
        } else {
            crate::domain::InputCrs::Wgs84
        },
        repair: query.repair.unwrap_or(false),
        on_existing: OnExisting::Reject,
    };
    let file_options = VectorFileOptions {
        layer: query.layer.map(Bounded::into_inner),
        crs: match (&crs_text, geojson) {
            (Some(text), false) => Some(parse_file_crs(text).map_err(AppError::BadRequest)?),
            _ => None,
        },
        encoding: query.encoding.map(Bounded::into_inner),
        mapping: match query.mapping {
            None => Default::default(),
            Some(text) => {
                import::parse_mapping(&text.into_inner()).map_err(AppError::BadRequest)?
            }
        },
    };
    let dry_run = query.dry_run.unwrap_or(false);

    // GDAL reads a path; the file lives as long as this request
    std::fs::create_dir_all(&state.config.upload_staging_dir)
        .map_err(|e| AppError::Internal(e.into()))?;
    let mut staged = tempfile::Builder::new()
        .suffix(&format!(".{extension}"))
        .tempfile_in(&state.config.upload_staging_dir)
        .map_err(|e| AppError::Internal(e.into()))?;
    staged
        .write_all(&body)
        .map_err(|e| AppError::Internal(e.into()))?;
    staged.flush().map_err(|e| AppError::Internal(e.into()))?;

    // what the file holds, answered with a refusal too
    let (found, preview) = if geojson {
        (None, None)
    } else {
        let (path, file_options) = (staged.path().to_path_buf(), file_options.clone());
        let keep = if dry_run { PREVIEW_FEATURES } else { 0 };
        let (facts, kept) = tokio::task::spawn_blocking(move || {
            import::inspect(&path, &file_options, target, keep)
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("reading the file: {e}")))?
        .map_err(AppError::BadRequest)?;
        let preview =
            dry_run.then(|| serde_json::json!({"type": "FeatureCollection", "features": kept}));
        (Some(facts), preview)
    };

    let mut tx = state.pool.begin().await?;
    let report = |read, inserted, rejected_total, rejected| ImportReport {
        file_name: file_name.clone(),
        found: found.clone(),
        read,
        inserted,
        dry_run,
        rejected_total,
        rejected,
        preview: preview.clone(),
    };
    match import::import_any(&mut tx, staged.path(), options, file_options).await {
        Ok((summary, _)) => {
            if dry_run {
                tx.rollback().await?;
                return Ok(Json(report(summary.read, 0, 0, Vec::new())).into_response());
            }
            let details = serde_json::json!({
                "file": file_name, "crs": found.as_ref().map_or(options.crs.to_string(), |f| f.crs.clone()),
                "inserted": summary.inserted, "repair": options.repair,
            });
            audit::record(
                &mut tx,
                &user.actor(),
                "import",
                &format!("kind {target}"),
                details,
            )
            .await?;
            tx.commit().await?;
            Ok(Json(report(summary.read, summary.inserted, 0, Vec::new())).into_response())
        }
        Err(e @ ImportError::Rejected { .. }) => {
            tx.rollback().await?;
            let message = e.to_string();
            let ImportError::Rejected {
                total,
                listed,
                unit,
            } = e
            else {
                return Err(AppError::Unprocessable(message));
            };
            let read = found
                .as_ref()
                .map_or(0, |f| usize::try_from(f.features).unwrap_or(usize::MAX));
            let refused = report(read, 0, total, listed);
            if dry_run {
                Ok(Json(refused).into_response())
            } else {
                Err(sheet_refused(
                    format!("{total} {unit}(s) refused; nothing was imported"),
                    refused,
                ))
            }
        }
        Err(ImportError::Unreadable(message)) => {
            tx.rollback().await?;
            Err(AppError::BadRequest(message))
        }
        Err(ImportError::Database(e)) => Err(e.into()),
    }
}
