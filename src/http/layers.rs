//! `/api/layers/{layer}`: a whole layer as GeoJSON for the map page (small layers only; large
//! ones will come from vector tiles).

use super::AppState;
use super::extract::{ApiQuery, MAX_FEATURES, parse_page};
use crate::db::layers;
use crate::domain::SiteKind;
use crate::domain::site_kind::UnknownKind;
use crate::error::AppError;
use crate::http::problems::{BadInput, NotFound};
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
    params(("layer" = String, Path, description = "a site kind or admin_area"), LayerQuery),
    responses((status = 200, description = "FeatureCollection", content_type = "application/geo+json", body = Object),
              BadInput,
              NotFound))]
async fn layer(
    State(state): State<AppState>,
    Path(layer): Path<String>,
    ApiQuery(query): ApiQuery<LayerQuery>,
) -> Result<impl IntoResponse, AppError> {
    let (limit, offset) = parse_page(
        query.limit.as_deref(),
        query.offset.as_deref(),
        MAX_FEATURES,
        MAX_FEATURES,
    )?;
    let body = if layer == "admin_area" {
        layers::admin_layer(&state.pool, limit, offset).await?
    } else {
        let kind: SiteKind = layer
            .parse()
            .map_err(|e: UnknownKind| AppError::NotFound(format!("no layer {layer:?}: {e}")))?;
        layers::site_layer(&state.pool, kind, limit, offset).await?
    };
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], body))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LayerQuery {
    /// 1 to 10000, default 10000
    #[param(schema_with = crate::http::schemas::limit_features)]
    limit: Option<String>,
    /// features to skip (in id order), default 0
    #[param(schema_with = crate::http::schemas::offset)]
    offset: Option<String>,
}
