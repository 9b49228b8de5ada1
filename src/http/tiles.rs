//! Vector tiles: `/tiles/{layer}/{z}/{x}/{y}.mvt` for each site kind and the combined layer
//! `sites`, with TileJSON 3 at `/tiles/{layer}.json`. Tiles carry a content ETag (304 on
//! If-None-Match), `Cache-Control: no-cache` so clients revalidate, and 204 when empty.
//! Rendered tiles, gzipped once, are kept in the never-stale tile cache (`crate::tile_cache`).
//! `?shift=gcj02` serves the same tiles moved onto GCJ-02, for maps on a GCJ-02 basemap.

use super::AppState;
use super::extract::ApiQuery;
use super::guard::BaseUrl;
use crate::db::tiles;
use crate::domain::SiteKind;
use crate::error::{AppError, Problem};
use crate::tile_cache::{RenderedTile, TileKey, TileLayer, TileShift};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

/// The tile paths of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(tile, tilejson))]
pub struct TilesDoc;

pub fn routes() -> Router<AppState> {
    // axum allows one parameter per path segment, so the suffixes are stripped in the handlers
    Router::new()
        .route("/tiles/{layer_file}", get(tilejson))
        .route("/tiles/{layer}/{z}/{x}/{y_file}", get(tile))
}

/// The combined layer of every site kind.
pub const ALL_SITES: &str = "sites";
pub const MAX_ZOOM: u32 = 22;

fn parse_layer(layer: &str) -> Result<TileLayer, AppError> {
    if layer == ALL_SITES {
        return Ok(TileLayer::AllSites);
    }
    layer
        .parse::<SiteKind>()
        .map(TileLayer::Kind)
        .map_err(|e| AppError::NotFound(format!("no tile layer {layer:?}: {e}, or {ALL_SITES}")))
}

fn layer_kinds(layer: TileLayer) -> Vec<&'static str> {
    match layer {
        TileLayer::Kind(kind) => vec![kind.as_str()],
        TileLayer::AllSites => SiteKind::ALL.iter().map(|k| k.as_str()).collect(),
    }
}

fn layer_name(layer: TileLayer) -> &'static str {
    match layer {
        TileLayer::Kind(kind) => kind.as_str(),
        TileLayer::AllSites => ALL_SITES,
    }
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
/// Tiles smaller than this are sent as they are: gzip would save next to nothing.
const GZIP_FROM_BYTES: usize = 256;

/// Renders a tile; gzips it when `with_gzip` (the client accepts gzip, or it will be cached).
async fn render(state: &AppState, key: TileKey, with_gzip: bool) -> Result<RenderedTile, AppError> {
    let kinds = match key.layer {
        TileLayer::Kind(kind) => vec![kind.as_str()],
        TileLayer::AllSites => Vec::new(),
    };
    // waiting here is bounded by the request timeout
    let _turn = state
        .tile_renders
        .acquire()
        .await
        .map_err(|_| AppError::Busy("tile rendering is shutting down".into()))?;
    let mvt = tiles::site_tile(
        &state.pool,
        layer_name(key.layer),
        &kinds,
        key.z,
        key.x,
        key.y,
        key.shift_metres(),
    )
    .await?;
    let etag = match &mvt {
        Some(bytes) => {
            let digest = Sha256::digest(bytes);
            let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
            format!("\"{hex}\"")
        }
        None => String::new(),
    };
    let gzip = match &mvt {
        Some(bytes) if with_gzip && bytes.len() >= GZIP_FROM_BYTES => Some(gzip(bytes)?),
        _ => None,
    };
    Ok(RenderedTile {
        mvt: mvt.map(Bytes::from),
        gzip,
        etag,
    })
}

fn gzip(bytes: &[u8]) -> Result<Bytes, AppError> {
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 2), Compression::fast());
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .map(Bytes::from)
        .map_err(|e| AppError::Internal(e.into()))
}

/// Whether Accept-Encoding admits gzip (a listed `gzip` or `*` without `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

#[derive(Debug, Deserialize)]
pub struct TileQuery {
    shift: Option<String>,
}

#[utoipa::path(get, path = "/tiles/{layer}/{z}/{x}/{y}.mvt", tag = "tiles", params(("layer" = String, Path, description = "a site kind, or sites for all kinds"), ("z" = u32, Path), ("x" = u32, Path), ("y" = u32, Path), ("shift" = Option<String>, Query, description = "gcj02: the geometries shifted to GCJ-02, for a GCJ-02 basemap"), ("If-None-Match" = Option<String>, Header)), responses((status = 200, description = "the tile; gzip when accepted", content_type = "application/vnd.mapbox-vector-tile"), (status = 204, description = "no feature in this tile"), (status = 304, description = "unchanged since the ETag sent"), (status = 400, description = "bad zoom or tile number", body = Problem, content_type = "application/problem+json"), (status = 404, description = "no such layer", body = Problem, content_type = "application/problem+json")))]
async fn tile(
    State(state): State<AppState>,
    Path((layer, z, x, y_file)): Path<(String, String, String, String)>,
    ApiQuery(query): ApiQuery<TileQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let layer = parse_layer(&layer)?;
    let y = y_file.strip_suffix(".mvt").ok_or_else(|| {
        AppError::NotFound(format!(
            "tiles are addressed as /tiles/{{layer}}/{{z}}/{{x}}/{{y}}.mvt, not {y_file:?}"
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
    let shift = match query.shift.as_deref() {
        None => TileShift::None,
        Some("gcj02") => TileShift::Gcj02,
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "shift must be gcj02, got {other:?}"
            )));
        }
    };
    let key = TileKey {
        layer,
        z,
        x,
        y,
        shift,
    };
    let with_gzip = accepts_gzip(&headers) || state.tiles.is_active();
    let tile = state
        .tiles
        .get_or_render(key, || render(&state, key, with_gzip))
        .await?;
    let Some(mvt) = &tile.mvt else {
        return Ok((StatusCode::NO_CONTENT, [(header::CACHE_CONTROL, NO_CACHE)]).into_response());
    };
    let etag = HeaderValue::from_str(&tile.etag).map_err(|e| AppError::Internal(e.into()))?;
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim().trim_start_matches("W/") == tile.etag)
        });
    if matches {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, NO_CACHE)],
        )
            .into_response());
    }
    let mut response = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/vnd.mapbox-vector-tile"),
            ),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, NO_CACHE),
            (header::VARY, HeaderValue::from_static("accept-encoding")),
        ],
        mvt.clone(),
    )
        .into_response();
    if let Some(gzip) = tile.gzip.as_ref().filter(|_| accepts_gzip(&headers)) {
        // already compressed: the compression layer passes responses with a Content-Encoding
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        *response.body_mut() = axum::body::Body::from(gzip.clone());
    }
    Ok(response)
}

/// TileJSON 3.0.0 for a layer; tile URLs are absolute, built from `PUBLIC_URL`.
#[utoipa::path(get, path = "/tiles/{layer}.json", tag = "tiles", params(("layer" = String, Path, description = "a site kind, or sites for all kinds")), responses((status = 200, description = "TileJSON 3.0.0", body = Object), (status = 404, description = "no such layer", body = Problem, content_type = "application/problem+json")))]
async fn tilejson(
    State(state): State<AppState>,
    Path(layer_file): Path<String>,
    BaseUrl(base): BaseUrl,
) -> Result<Response, AppError> {
    let layer = layer_file.strip_suffix(".json").ok_or_else(|| {
        AppError::NotFound(format!(
            "TileJSON is at /tiles/{{layer}}.json, not {layer_file:?}"
        ))
    })?;
    let kinds = layer_kinds(parse_layer(layer)?);
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
        "latest_class": "String: the GB 3838 class of the latest sampling day, I … V or worse_than_V",
        "latest_sampled_at": "Number: the time of the latest sampling, in Unix seconds",
        "meets_target": "Boolean: whether the latest class meets the section's target",
        "black_odor_grade": "String: none, light or severe, by the latest survey",
        "soil_risk": "String: below_screening, over_screening or over_intervention (GB 36600)",
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
