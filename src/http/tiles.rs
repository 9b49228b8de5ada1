//! Vector tiles: `/tiles/{layer}/{z}/{x}/{y}.mvt` for each site kind and the combined layer
//! `sites`, with TileJSON 3 at `/tiles/{layer}.json`. Tiles carry a content ETag (304 on
//! If-None-Match), `Cache-Control: no-cache` so clients revalidate, and 204 when empty.

use super::AppState;
use crate::db::tiles;
use crate::domain::SiteKind;
use crate::error::AppError;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use sha2::{Digest, Sha256};

pub fn routes() -> Router<AppState> {
    // axum allows one parameter per path segment, so the suffixes are stripped in the handlers
    Router::new()
        .route("/tiles/{layer_file}", get(tilejson))
        .route("/tiles/{layer}/{z}/{x}/{y_file}", get(tile))
}

/// The combined layer of every site kind.
pub const ALL_SITES: &str = "sites";
pub const MAX_ZOOM: u32 = 22;

fn layer_kinds(layer: &str) -> Result<Vec<&'static str>, AppError> {
    if layer == ALL_SITES {
        return Ok(SiteKind::ALL.iter().map(|k| k.as_str()).collect());
    }
    layer
        .parse::<SiteKind>()
        .map(|k| vec![k.as_str()])
        .map_err(|e| AppError::NotFound(format!("no tile layer {layer:?}: {e}, or {ALL_SITES}")))
}

fn tile_coordinate(name: &str, value: &str, z: u32) -> Result<u32, AppError> {
    let limit = 1u64 << z;
    match value.parse::<u64>() {
        Ok(v) if v < limit => Ok(v as u32),
        _ => Err(AppError::BadRequest(format!(
            "tile {name} must be a whole number from 0 to {} at zoom {z}, got {value:?}",
            limit - 1
        ))),
    }
}

const NO_CACHE: HeaderValue = HeaderValue::from_static("no-cache");

async fn tile(
    State(state): State<AppState>,
    Path((layer, z, x, y_file)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let kinds = layer_kinds(&layer)?;
    let y = y_file.strip_suffix(".mvt").ok_or_else(|| {
        AppError::NotFound(format!(
            "tiles are addressed as /tiles/{layer}/{{z}}/{{x}}/{{y}}.mvt, not {y_file:?}"
        ))
    })?;
    let z = match z.parse::<u32>() {
        Ok(z) if z <= MAX_ZOOM => z,
        _ => {
            return Err(AppError::BadRequest(format!(
                "zoom must be a whole number from 0 to {MAX_ZOOM}, got {z:?}"
            )));
        }
    };
    let x = tile_coordinate("x", &x, z)?;
    let y = tile_coordinate("y", y, z)?;
    let Some(bytes) = tiles::site_tile(&state.pool, &layer, &kinds, z, x, y).await? else {
        return Ok((StatusCode::NO_CONTENT, [(header::CACHE_CONTROL, NO_CACHE)]).into_response());
    };
    let digest = Sha256::digest(&bytes);
    let etag = format!(
        "\"{}\"",
        digest
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim().trim_start_matches("W/") == etag)
        });
    let etag_header = HeaderValue::from_str(&etag).map_err(|e| AppError::Internal(e.into()))?;
    if matches {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag_header),
                (header::CACHE_CONTROL, NO_CACHE),
            ],
        )
            .into_response());
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/vnd.mapbox-vector-tile"),
            ),
            (header::ETAG, etag_header),
            (header::CACHE_CONTROL, NO_CACHE),
        ],
        bytes,
    )
        .into_response())
}

/// TileJSON 3.0.0 for a layer; tile URLs are absolute, built from the request's Host.
async fn tilejson(
    State(state): State<AppState>,
    Path(layer_file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let layer = layer_file.strip_suffix(".json").ok_or_else(|| {
        AppError::NotFound(format!(
            "TileJSON is at /tiles/{{layer}}.json, not {layer_file:?}"
        ))
    })?;
    let kinds = layer_kinds(layer)?;
    let base = super::extract::base_url(&headers);
    let bounds = tiles::extent(&state.pool, &kinds)
        .await?
        .unwrap_or([-180.0, -85.0511, 180.0, 85.0511]);
    let fields = json!({
        "id": "Number: the site id",
        "code": "String: official code",
        "name": "String",
        "kind": "String: the site kind",
        "status": "String: status of the site's most recently updated project, if any",
        "remediation_state": "String: none, in_progress, done or suspended",
    });
    let body = json!({
        "tilejson": "3.0.0",
        "name": layer,
        "description": format!("sites of kind {}", kinds.join(", ")),
        "scheme": "xyz",
        "tiles": [format!("{base}/tiles/{layer}/{{z}}/{{x}}/{{y}}.mvt")],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": bounds,
        "center": [(bounds[0] + bounds[2]) / 2.0, (bounds[1] + bounds[3]) / 2.0, 11],
        "vector_layers": [{ "id": layer, "fields": fields, "minzoom": 0, "maxzoom": MAX_ZOOM }],
    });
    Ok(axum::Json(body).into_response())
}
