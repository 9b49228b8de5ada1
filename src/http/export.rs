//! `GET /api/export`: a layer, or the map's selection of it, as a file in any export format,
//! staff-only attributes for staff only.

use super::AppState;
use super::access::Caller;
use super::extract::{ApiQuery, parse_list, parse_spatial};
use crate::db::export::Selection;
use crate::domain::attachment::content_disposition;
use crate::domain::choice::ExportFormat;
use crate::domain::project::CATEGORIES;
use crate::domain::status::STATUS_NAMES;
use crate::error::{AppError, Problem};
use crate::export::{ExportLayer, ExportRequest, export_selection};
use crate::http::problems::BadInput;
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::io::{Seek, SeekFrom};
use std::time::Duration;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_layer))
}

/// How long a request waits for a turn at exporting.
const EXPORT_QUEUE_WAIT: Duration = Duration::from_secs(20);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// a site kind, admin_area, or project (with its sites' geometry)
    kind: String,
    /// geojson (the default), csv, xlsx, gpkg, shp (a zip), kml or fgb
    format: Option<String>,
    /// project statuses, comma-separated: projects in them, or sites with a project in them
    status: Option<String>,
    /// town codes, comma-separated
    town: Option<String>,
    /// project categories, comma-separated, as `status`
    category: Option<String>,
    /// programme codes, comma-separated, as `status`
    programme: Option<String>,
    /// minx,miny,maxx,maxy in `crs`
    bbox: Option<String>,
    /// the CRS of bbox (EPSG:4326 by default)
    crs: Option<String>,
}

/// Export a layer or a selection of it as a file, in WGS84.
#[utoipa::path(get, path = "/export", tag = "sites", params(ExportQuery),
    responses((status = 200, description = "the file, as an attachment",
               content(("application/geo+json"), ("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                       ("application/geopackage+sqlite3"), ("application/zip"), ("application/vnd.google-earth.kml+xml"), ("application/flatgeobuf"))),
              BadInput,
              (status = 503, description = "two exports are being written; try again", body = Problem, content_type = "application/problem+json")))]
async fn export_layer(
    caller: Caller,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, AppError> {
    let layer: ExportLayer =
        query
            .kind
            .parse()
            .map_err(|e: crate::domain::import::UnknownTarget| {
                AppError::BadRequest(format!("{e} (or project)"))
            })?;
    let format: ExportFormat = match query.format.as_deref() {
        None => ExportFormat::Geojson,
        Some(text) => text
            .parse()
            .map_err(|e: crate::domain::choice::UnknownChoice| {
                AppError::BadRequest(e.to_string())
            })?,
    };
    let selection = Selection {
        towns: parse_list("town", query.town.as_deref(), None)?,
        statuses: parse_list("status", query.status.as_deref(), Some(&STATUS_NAMES))?,
        categories: parse_list("category", query.category.as_deref(), Some(&CATEGORIES))?,
        programmes: parse_list("programme", query.programme.as_deref(), None)?,
        bbox: parse_spatial(
            &state,
            None,
            None,
            query.bbox.as_deref(),
            query.crs.as_deref(),
        )
        .await?,
    };
    let request = ExportRequest {
        layer,
        selection,
        audience: caller.audience(),
        format,
    };
    file_response(&state, &request).await
}

/// The request's export as a download, written whole first so that a failure is an error
/// response rather than a cut file.
pub(super) async fn file_response(
    state: &AppState,
    request: &ExportRequest,
) -> Result<Response, AppError> {
    let (layer, format) = (request.layer, request.format);
    let busy =
        || AppError::Busy("two exports are being written; try again in a few seconds".into());
    let _turn = tokio::time::timeout(EXPORT_QUEUE_WAIT, state.export_turns.acquire())
        .await
        .map_err(|_| busy())?
        .map_err(|_| busy())?;
    std::fs::create_dir_all(&state.config.upload_staging_dir)
        .map_err(|e| AppError::Internal(e.into()))?;
    let mut file = tempfile::tempfile_in(&state.config.upload_staging_dir)
        .map_err(|e| AppError::Internal(e.into()))?;
    export_selection(&state.pool, request, &mut file)
        .await
        .map_err(AppError::Internal)?;
    let length = file
        .seek(SeekFrom::End(0))
        .and_then(|length| file.seek(SeekFrom::Start(0)).map(|_| length))
        .map_err(|e| AppError::Internal(e.into()))?;
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(
        tokio::fs::File::from_std(file),
    ));
    let file_name = format!("{layer}.{}", format.extension());
    Ok((
        [
            (header::CONTENT_TYPE, format.media_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                content_disposition(&file_name, false),
            ),
            (header::CONTENT_LENGTH, length.to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response())
}
