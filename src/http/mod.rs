//! HTTP surface: one router per resource, merged here; `app(state)` builds the whole service
//! without a socket so tests can drive it directly.

mod health;
mod layers;

use axum::Router;
use sqlx::PgPool;
use std::path::PathBuf;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::TraceLayer;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
}

pub fn app(state: AppState, web_dir: PathBuf) -> Router {
    let index = ServeFile::new(web_dir.join("index.html"));
    let maplibre = ServeDir::new(web_dir.join("node_modules/maplibre-gl/dist"));
    Router::new()
        .merge(health::routes())
        .nest("/api", layers::routes())
        .with_state(state)
        .route_service("/", index)
        .nest_service("/vendor/maplibre-gl", maplibre)
        .fallback_service(ServeDir::new(web_dir.join("src")))
        .layer(TraceLayer::new_for_http())
}
