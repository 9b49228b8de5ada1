//! `/api/layers/{layer}`: a whole layer as GeoJSON for the map page (small layers only; large
//! ones will come from vector tiles).

use super::AppState;
use crate::db::layers;
use crate::domain::SiteKind;
use crate::error::AppError;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::{Router, routing::get};

pub fn routes() -> Router<AppState> {
    Router::new().route("/layers/{layer}", get(layer))
}

async fn layer(
    State(state): State<AppState>,
    Path(layer): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    let body = if layer == "admin_area" {
        layers::admin_layer(&state.pool).await?
    } else {
        let kind: SiteKind = layer
            .parse()
            .map_err(|e: String| AppError::NotFound(format!("no layer {layer:?}: {e}")))?;
        layers::site_layer(&state.pool, kind).await?
    };
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], body))
}
