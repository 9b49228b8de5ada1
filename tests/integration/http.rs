//! The HTTP service driven without a socket, and the binary driven as a user would.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use remediation_tracker::http::{AppState, HttpConfig, app};
use serde_json::Value;
use sqlx::PgPool;
use std::path::PathBuf;
use tower::ServiceExt;

fn web_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("web")
}

async fn get(pool: PgPool, uri: &str) -> (StatusCode, String, String) {
    let response = app(AppState::new(pool, HttpConfig::new(web_dir())))
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

#[sqlx::test]
async fn health_and_readiness(pool: PgPool) {
    let (status, _, body) = get(pool.clone(), "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, r#"{"status":"ok"}"#);
    let (status, _, body) = get(pool, "/readyz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, r#"{"status":"ready"}"#);
}

#[tokio::test]
async fn readiness_fails_while_the_database_is_unreachable() {
    // nothing listens on port 9: the pool cannot connect
    let pool = remediation_tracker::db::connect_lazy(
        "postgres://tracker@127.0.0.1:9/none",
        1,
        std::time::Duration::from_millis(500),
        None,
    )
    .unwrap();
    let (status, content_type, body) = get(pool.clone(), "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(content_type, "application/problem+json");
    let problem: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["status"], 503);
    assert_eq!(
        problem["detail"],
        "the database is unavailable; try again shortly"
    );
    let (status, _, _) = get(pool, "/healthz").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "liveness does not depend on the database"
    );
}

#[sqlx::test]
async fn layers_come_from_the_database(pool: PgPool) {
    sqlx::raw_sql(
        "INSERT INTO site (kind, code, name, geom) VALUES ('outfall', 'OF-1', '新闸排口', ST_SetSRID(ST_MakePoint(119.885, 31.815), 4326));
         INSERT INTO project (code, name, category, status) VALUES ('P-1', '整治', 'water', 'in_progress');
         INSERT INTO project_site SELECT p.id, s.id FROM project p, site s",
    )
    .execute(&pool)
    .await
    .unwrap();
    let (status, content_type, body) = get(pool.clone(), "/api/layers/outfall").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/geo+json");
    let layer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(layer["type"], "FeatureCollection");
    assert_eq!(layer["features"].as_array().unwrap().len(), 1);
    let feature = &layer["features"][0];
    assert_eq!(feature["properties"]["code"], "OF-1");
    assert_eq!(feature["properties"]["remediation_state"], "in_progress");
    assert_eq!(
        feature["geometry"]["coordinates"],
        serde_json::json!([119.885, 31.815])
    );

    let (status, content_type, body) = get(pool, "/api/layers/lake").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(content_type, "application/problem+json");
    assert!(body.contains("unknown site kind"), "{body}");
}

#[sqlx::test]
async fn the_map_page_and_its_modules_are_served(pool: PgPool) {
    let (status, content_type, body) = get(pool.clone(), "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(body.contains(r#"<script type="module" src="/map.js">"#));
    let (status, content_type, _) = get(pool.clone(), "/map.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.contains("javascript"), "{content_type}");
    let (status, content_type, _) = get(pool, "/vendor/maplibre-gl/maplibre-gl.mjs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.contains("javascript"), "{content_type}");
}
