//! Guards of issue 6 in place so far: security headers on every response, cross-site writes
//! refused for cookie sessions, failed logins locking the account, request and statement
//! timeouts answered with 503 problems.

use crate::api::{Api, web_dir};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use remediation_tracker::db::users;
use remediation_tracker::domain::account::{self, Role};
use remediation_tracker::error::AppError;
use remediation_tracker::http::{AppState, HttpConfig};
use serde_json::{Value, json};
use sqlx::PgPool;
use tower::ServiceExt;

async fn send(api: &Api, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
    let response = api.router().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn login_request(username: &str, password: &str) -> Request<Body> {
    Request::post("/api/auth/login")
        .header("host", "gis.example")
        .header("origin", "http://gis.example")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"username": username, "password": password}).to_string(),
        ))
        .unwrap()
}

async fn editor(pool: &PgPool) {
    let hash = account::hash_password("a long password").unwrap();
    let mut conn = pool.acquire().await.unwrap();
    users::create_user(&mut conn, "li", Role::Editor, &hash)
        .await
        .unwrap();
}

#[sqlx::test]
async fn every_response_carries_the_security_headers(pool: PgPool) {
    let api = Api::new(pool);
    for uri in ["/", "/api/stats", "/api/nope", "/ogc", "/tiles/sites.json"] {
        let (_, headers, _) = send(&api, Request::get(uri).body(Body::empty()).unwrap()).await;
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self';"),
            "{uri}: {csp}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{uri}");
        assert_eq!(
            headers["referrer-policy"], "strict-origin-when-cross-origin",
            "{uri}"
        );
        assert_eq!(headers["x-frame-options"], "DENY", "{uri}");
    }
}

#[sqlx::test]
async fn cookie_writes_from_other_sites_are_refused(pool: PgPool) {
    editor(&pool).await;
    let api = Api::new(pool.clone());
    let (status, headers, _) = send(&api, login_request("li", "a long password")).await;
    assert_eq!(status, StatusCode::OK);
    let session = headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let create = |origin: Option<&'static str>, fetch_site: Option<&'static str>, code: &str| {
        let mut request = Request::post("/api/projects")
            .header("host", "gis.example")
            .header("cookie", session.clone())
            .header("content-type", "application/json");
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(site) = fetch_site {
            request = request.header("sec-fetch-site", site);
        }
        request
            .body(Body::from(
                json!({"code": code, "name": "项目", "category": "water"}).to_string(),
            ))
            .unwrap()
    };
    let (status, _, body) = send(&api, create(Some("https://evil.example"), None, "X-1")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body["detail"],
        "cross-site write refused: its Origin \"https://evil.example\" is not this site (gis.example)"
    );
    let (status, _, _) = send(&api, create(None, Some("cross-site"), "X-2")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = send(
        &api,
        create(Some("http://gis.example"), Some("same-origin"), "X-3"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _, _) = send(&api, create(None, None, "X-4")).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "no Origin: not sent by a browser form"
    );
    let refused_login = Request::post("/api/auth/login")
        .header("host", "gis.example")
        .header("origin", "https://evil.example")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"username": "li", "password": "a long password"}).to_string(),
        ))
        .unwrap();
    assert_eq!(send(&api, refused_login).await.0, StatusCode::FORBIDDEN);
    let stored: Vec<String> = sqlx::query_scalar("SELECT code FROM project ORDER BY code")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(stored, ["X-3", "X-4"], "refused writes changed nothing");
}

#[sqlx::test]
async fn repeated_failed_logins_lock_the_account(pool: PgPool) {
    editor(&pool).await;
    let api = Api::new(pool.clone());
    for _ in 0..5 {
        let (status, _, body) = send(&api, login_request("li", "wrong password")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["detail"], "wrong username or password");
    }
    // locked now, even with the right password
    let (status, headers, body) = send(&api, login_request("li", "a long password")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let retry: i64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((840..=900).contains(&retry), "retry after {retry} s");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("too many failed logins for this account or address")
    );
    // another account is not locked by these failures
    let (status, _, _) = send(&api, login_request("wang", "whatever")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let attempts: Vec<(String, bool)> =
        sqlx::query_as("SELECT username, succeeded FROM login_attempt ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        attempts.len(),
        6,
        "every failure is recorded; the refused attempt checked no password"
    );
    assert!(attempts.iter().all(|(_, ok)| !ok));

    // the lock lifts when the failures are older than the lock time
    sqlx::query("UPDATE login_attempt SET at = at - interval '16 minutes'")
        .execute(&pool)
        .await
        .unwrap();
    let (status, _, _) = send(&api, login_request("li", "a long password")).await;
    assert_eq!(status, StatusCode::OK);
}

#[sqlx::test]
async fn slow_requests_and_statements_get_a_503(pool: PgPool) {
    let config = HttpConfig {
        request_timeout: std::time::Duration::ZERO,
        ..HttpConfig::new(web_dir())
    };
    let api = Api::with_state(AppState::new(pool.clone(), config));
    let reply = api.get("/api/stats").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.headers["retry-after"], "5");
    assert_eq!(
        reply.body["detail"],
        "the request took longer than 0 s and was stopped; try a smaller query"
    );

    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("SET statement_timeout = '10ms'")
        .execute(&mut *conn)
        .await
        .unwrap();
    let cancelled = sqlx::query("SELECT pg_sleep(1)")
        .execute(&mut *conn)
        .await
        .unwrap_err();
    let error = AppError::from(cancelled);
    assert_eq!(error.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        error
            .to_string()
            .starts_with("the database took too long to answer this request")
    );
}

#[sqlx::test]
async fn bearer_writes_pass_whatever_their_origin(pool: PgPool) {
    let token = crate::api::user_with_token(&pool, "script", Role::Editor).await;
    let api = Api::new(pool);
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/projects")
        .header("host", "gis.example")
        .header("origin", "https://qgis.example")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"code": "B-1", "name": "项目", "category": "water"}).to_string(),
        ))
        .unwrap();
    assert_eq!(send(&api, request).await.0, StatusCode::CREATED);
}
