//! `/api/stats`: the figures leadership asks for, computed from the current data.

use super::AppState;
use crate::db::stats::{self, Stats};
use crate::error::AppError;
use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_stats))
}

/// Project counts by status, category and town; site counts by kind; each programme's start and
/// completion rates against its targets.
#[utoipa::path(get, path = "/stats", tag = "stats", responses((status = 200, description = "OK", body = Stats)))]
async fn get_stats(State(state): State<AppState>) -> Result<Json<Stats>, AppError> {
    let mut conn = state.pool.acquire().await?;
    Ok(Json(stats::stats(&mut conn).await?))
}
