//! Who may reach which route, checked on every route the router knows: the OpenAPI document
//! lists every route of /api, /ogc and /tiles (a test in api.rs holds it to that), so a route
//! added later is walked here without being named.

use crate::api::{Api, fixtures, user_with_token, web_dir};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use remediation_tracker::domain::account::Role;
use remediation_tracker::http::{AppState, HttpConfig};
use serde_json::Value;
use sqlx::PgPool;

/// Routes anyone may call, whatever the settings.
const OPEN: [(&str, &str); 4] = [
    ("get", "/api/auth/session"),
    ("post", "/api/auth/login"),
    ("post", "/api/auth/logout"),
    ("get", "/healthz"),
];

/// POST routes that only read.
const READ_POSTS: [&str; 2] = ["/api/sites/search", "/api/projects/search"];

/// Writes a viewer may make (their own tokens; logging in and out).
const VIEWER_WRITES: [(&str, &str); 4] = [
    ("post", "/api/auth/tokens"),
    ("delete", "/api/auth/tokens/{id}"),
    ("post", "/api/auth/login"),
    ("post", "/api/auth/logout"),
];

/// Writes that need an admin.
fn admin_only(path: &str) -> bool {
    path.starts_with("/api/users")
        || path.starts_with("/api/report-templates")
        // deleting and purging evidence; uploads are the parents' routes
        || path.starts_with("/api/attachments/{id}")
}

/// Every (method, concrete path) of the OpenAPI document, path parameters filled with values
/// that exist in the fixtures where that matters (a kind, a layer, a tile).
async fn every_route(api: &Api, token: &str) -> Vec<(String, String, String)> {
    let doc = api
        .call(Method::GET, "/api/openapi.json", Some(token), None, None)
        .await;
    assert_eq!(doc.status, StatusCode::OK);
    let mut routes = Vec::new();
    for (template, operations) in doc.body["paths"].as_object().unwrap() {
        let concrete = template
            .replace("{id}/items", "river/items")
            .replace("collections/{id}", "collections/river")
            .replace("{layer}", "sites")
            .replace("{z}", "0")
            .replace("{x}", "0")
            .replace("{y}", "0")
            .replace("{kind}", "river")
            .replace("{code}", "air")
            .replace("{username}", "li")
            .replace("{feature_id}", "1")
            .replace("{site_id}", "1")
            .replace("{id}", "1");
        for method in operations.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete", "options", "head"]
                .contains(&method.as_str())
            {
                routes.push((method.clone(), template.clone(), concrete.clone()));
            }
        }
    }
    assert!(routes.len() > 40, "{} routes", routes.len());
    routes
}

/// The request a client that knows nothing would send: an empty JSON object as the body.
fn incomplete(method: &str, path: &str, token: Option<&str>) -> Request<Body> {
    let mut request = Request::builder()
        .method(Method::from_bytes(method.to_uppercase().as_bytes()).unwrap())
        .uri(path)
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request.body(Body::from("{}")).unwrap()
}

fn is_write(method: &str, path: &str) -> bool {
    let read = ["get", "head", "options"].contains(&method);
    let read_post = method == "post" && READ_POSTS.contains(&path);
    !(read || read_post)
}

/// Nothing in the answer names a field or what the body should hold.
fn learns_nothing(body: &Value) -> bool {
    let text = body.to_string();
    !["missing field", "unknown field", "does not fit", "must be"]
        .iter()
        .any(|hint| text.contains(hint))
}

#[sqlx::test]
async fn with_login_required_every_route_but_the_open_ones_refuses_anonymous_callers(pool: PgPool) {
    fixtures(&pool).await;
    let viewer = user_with_token(&pool, "viewer", Role::Viewer).await;
    let mut config = HttpConfig::new(web_dir());
    config.require_login_for_read = true;
    let api = Api::with_state(AppState::new(pool.clone(), config));
    let mut checked = 0;
    for (method, template, path) in every_route(&api, &viewer).await {
        let (status, _, body) = api.send(incomplete(&method, &path, None)).await;
        if OPEN.contains(&(method.as_str(), template.as_str())) {
            assert_ne!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} is open: {body}"
            );
        } else {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {body}");
            assert!(learns_nothing(&body), "{method} {path}: {body}");
            checked += 1;
        }
    }
    assert!(checked > 40, "{checked} routes checked");
    // the readiness probe and the static app shell stay open
    for path in [
        "/readyz",
        "/",
        "/dashboard",
        "/projects/1",
        "/map.js",
        "/vendor/maplibre-gl/maplibre-gl.mjs",
    ] {
        assert_eq!(api.get(path).await.status, StatusCode::OK, "{path}");
    }
}

#[sqlx::test]
async fn every_write_checks_who_is_asking_before_it_reads_the_body(pool: PgPool) {
    fixtures(&pool).await;
    let viewer = user_with_token(&pool, "viewer", Role::Viewer).await;
    let editor = user_with_token(&pool, "editor", Role::Editor).await;
    let api = Api::new(pool.clone());
    let mut writes = 0;
    for (method, template, path) in every_route(&api, &viewer).await {
        if !is_write(&method, &template) {
            continue;
        }
        writes += 1;
        if !OPEN.contains(&(method.as_str(), template.as_str())) {
            let (status, _, body) = api.send(incomplete(&method, &path, None)).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "anonymous {method} {path}: {body}"
            );
            assert!(learns_nothing(&body), "anonymous {method} {path}: {body}");
        }
        if !VIEWER_WRITES.contains(&(method.as_str(), template.as_str())) {
            let (status, _, body) = api.send(incomplete(&method, &path, Some(&viewer))).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "viewer {method} {path}: {body}"
            );
            assert!(learns_nothing(&body), "viewer {method} {path}: {body}");
        }
        if admin_only(&template) {
            let (status, _, body) = api.send(incomplete(&method, &path, Some(&editor))).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "editor {method} {path}: {body}"
            );
            assert!(learns_nothing(&body), "editor {method} {path}: {body}");
        }
    }
    assert!(writes >= 20, "{writes} writes");
}

#[sqlx::test]
async fn responses_to_callers_with_credentials_are_private(pool: PgPool) {
    fixtures(&pool).await;
    let viewer = user_with_token(&pool, "viewer", Role::Viewer).await;
    let api = Api::new(pool.clone());
    let en1 = crate::api::id_of(&pool, "site", "EN-1").await;
    let reply = api
        .call(
            Method::GET,
            &format!("/api/sites/{en1}"),
            Some(&viewer),
            None,
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["cache-control"], "private");
    assert!(
        reply
            .headers
            .get_all("vary")
            .iter()
            .any(|v| v == "Cookie, Authorization"),
        "{:?}",
        reply.headers
    );
    // an anonymous read of the same site may be cached
    let reply = api.get(&format!("/api/sites/{en1}")).await;
    assert!(reply.headers.get("cache-control").is_none());
}
