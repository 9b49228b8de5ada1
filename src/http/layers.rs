//! `/api/layers/{layer}`: a whole layer as GeoJSON for the map page (small layers only; large
//! ones will come from vector tiles).

use super::AppState;
use crate::db::layers;
use crate::domain::SiteKind;
use crate::error::{AppError, Problem};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(layer))
}

/// A whole layer as a GeoJSON FeatureCollection: a site kind (key zones as their zone polygon),
/// each feature with its derived `remediation_state`, or `admin_area`.
#[utoipa::path(get, path = "/layers/{layer}", tag = "layers",
    params(("layer" = String, Path, description = "a site kind or admin_area")),
    responses((status = 200, description = "FeatureCollection", content_type = "application/geo+json", body = Object),
              (status = 404, description = "not found", body = Problem, content_type = "application/problem+json")))]
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
