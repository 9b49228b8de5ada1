//! Guards of issue 6 in place so far: security headers on every response, cross-site writes
//! refused for cookie sessions, failed logins locking the account, request and statement
//! timeouts answered with 503 problems.

use crate::api::{Api, web_dir};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use remediation_tracker::db::users;
use remediation_tracker::domain::account::{self, Role};
use remediation_tracker::error::AppError;
use remediation_tracker::http::{AppState, HttpConfig};
use serde_json::{Value, json};
use sqlx::PgPool;

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
        let (_, headers, _) = api
            .send(Request::get(uri).body(Body::empty()).unwrap())
            .await;
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
    let (status, headers, _) = api.send(login_request("li", "a long password")).await;
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
    let (status, _, body) = api
        .send(create(Some("https://evil.example"), None, "X-1"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body["detail"],
        "cross-site write refused: its Origin \"https://evil.example\" is not this site (gis.example)"
    );
    let (status, _, _) = api.send(create(None, Some("cross-site"), "X-2")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = api
        .send(create(
            Some("http://gis.example"),
            Some("same-origin"),
            "X-3",
        ))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _, _) = api.send(create(None, None, "X-4")).await;
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
    assert_eq!(api.send(refused_login).await.0, StatusCode::FORBIDDEN);
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
        let (status, _, body) = api.send(login_request("li", "wrong password")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["detail"], "wrong username or password");
    }
    // locked now, even with the right password
    let (status, headers, body) = api.send(login_request("li", "a long password")).await;
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
    let (status, _, _) = api.send(login_request("wang", "whatever")).await;
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

    // failures older than the lock time do not count (the table is append-only: insert old ones)
    sqlx::query(
        "INSERT INTO login_attempt (at, username, succeeded)
         SELECT now() - interval '16 minutes', 'li', false FROM generate_series(1, 10)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let hash = account::hash_password("another long one").unwrap();
    let mut conn = pool.acquire().await.unwrap();
    users::create_user(&mut conn, "zhao", Role::Viewer, &hash)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO login_attempt (at, username, succeeded)
         SELECT now() - interval '16 minutes', 'zhao', false FROM generate_series(1, 10)",
    )
    .execute(&mut *conn)
    .await
    .unwrap();
    let (status, _, _) = api.send(login_request("zhao", "another long one")).await;
    assert_eq!(status, StatusCode::OK);
    let edit = sqlx::query("UPDATE login_attempt SET succeeded = true")
        .execute(&pool)
        .await;
    assert!(
        edit.unwrap_err()
            .to_string()
            .contains("the audit is append-only (login_attempt)")
    );
}

#[sqlx::test]
async fn slow_statements_and_ended_connections_get_a_503(pool: PgPool) {
    // the request timeout itself: tile_renders_wait_for_a_turn
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

    // a connection the database ends (restart, shutdown) is "unavailable", not an internal error
    let mut doomed = pool.acquire().await.unwrap();
    let ended = sqlx::query("SELECT pg_terminate_backend(pg_backend_pid())")
        .execute(&mut *doomed)
        .await
        .unwrap_err();
    assert_eq!(
        AppError::from(ended).status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    doomed.close_on_drop();
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
    assert_eq!(api.send(request).await.0, StatusCode::CREATED);
}

#[sqlx::test]
async fn the_audit_lists_every_write_for_admins_only(pool: PgPool) {
    crate::api::fixtures(&pool).await;
    let admin = crate::api::user_with_token(&pool, "admin", Role::Admin).await;
    let viewer = crate::api::user_with_token(&pool, "viewer", Role::Viewer).await;
    let api = Api::new(pool.clone());
    let call = |method: Method, uri: &'static str, token: &str, body: Option<Value>| {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(body.map_or(Body::empty(), |b| Body::from(b.to_string())))
            .unwrap();
        api.send(request)
    };
    let (status, _, _) = call(
        Method::POST,
        "/api/users",
        &admin,
        Some(json!({"username": "chen", "password": "long enough", "role": "editor"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, _) = call(Method::POST, "/api/users/chen/disable", &admin, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, _, token) = call(
        Method::POST,
        "/api/auth/tokens",
        &viewer,
        Some(json!({"name": "qgis"})),
    )
    .await;
    let (status, _, _) = call(
        Method::POST,
        "/api/projects",
        &admin,
        Some(json!({"code": "AU-1", "name": "审计", "category": "water"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    api.send(login_request("nobody", "wrong password")).await;

    let (status, _, _) = call(Method::GET, "/api/audit", &viewer, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, page) = call(Method::GET, "/api/audit?limit=5", &admin, None).await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "login.failed",
            "project.created",
            "token.created",
            "user.disabled",
            "user.created"
        ]
    );
    let first = &page["items"][2];
    assert_eq!(
        (first["actor"].as_str(), first["target"].as_str()),
        (Some("viewer"), Some("user viewer"))
    );
    assert_eq!(first["details"]["token_id"], token["id"]);
    let (_, _, users_only) = call(
        Method::GET,
        "/api/audit?action=user&actor=admin",
        &admin,
        None,
    )
    .await;
    assert_eq!(users_only["total"], 2);
    let (_, _, by_target) = call(
        Method::GET,
        "/api/audit?target=project%20AU-1",
        &admin,
        None,
    )
    .await;
    assert_eq!(by_target["items"][0]["action"], "project.created");
    let (status, _, bad) = call(Method::GET, "/api/audit?action=x%25", &admin, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad["detail"],
        "action must be like project.status or project, got \"x%\""
    );
    let (status, _, _) = call(Method::GET, "/api/audit?since=yesterday", &admin, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    for table in ["audit_event", "login_attempt", "project_event"] {
        let deleted = sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&pool)
            .await;
        assert!(deleted.is_err(), "{table} refuses deletes");
    }
}

#[sqlx::test]
async fn cors_is_closed_unless_read_origins_are_configured(pool: PgPool) {
    let preflight = |method: &'static str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/ogc/collections/river/items")
            .header("origin", "https://webgis.example")
            .header("access-control-request-method", method)
            .body(Body::empty())
            .unwrap()
    };
    let read = || {
        Request::get("/tiles/sites.json")
            .header("origin", "https://webgis.example")
            .body(Body::empty())
            .unwrap()
    };
    let closed = Api::new(pool.clone());
    let (_, headers, _) = closed.send(read()).await;
    assert!(!headers.contains_key("access-control-allow-origin"));
    let (_, headers, _) = closed.send(preflight("GET")).await;
    assert!(!headers.contains_key("access-control-allow-origin"));

    let config = HttpConfig {
        cors_read_origins: vec!["https://webgis.example".into()],
        ..HttpConfig::new(web_dir())
    };
    let open = Api::with_state(AppState::new(pool, config));
    let (status, headers, _) = open.send(read()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://webgis.example"
    );
    let (_, headers, _) = open.send(preflight("GET")).await;
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://webgis.example"
    );
    assert_eq!(headers["access-control-allow-methods"], "GET,HEAD");
    let (_, headers, _) = open.send(preflight("POST")).await;
    let allowed = headers
        .get("access-control-allow-methods")
        .map(|v| v.to_str().unwrap().to_string());
    assert!(
        !allowed.unwrap_or_default().contains("POST"),
        "writes are never allowed cross-origin"
    );
    let other = Request::get("/tiles/sites.json")
        .header("origin", "https://evil.example")
        .body(Body::empty())
        .unwrap();
    let (_, headers, _) = open.send(other).await;
    assert!(!headers.contains_key("access-control-allow-origin"));
}

#[sqlx::test]
async fn tile_renders_wait_for_a_turn(pool: PgPool) {
    let config = HttpConfig {
        tile_render_concurrency: 0,
        request_timeout: std::time::Duration::from_millis(200),
        ..HttpConfig::new(web_dir())
    };
    let api = Api::with_state(AppState::new(pool, config));
    // no turn is ever free: the render waits until the request timeout stops it
    let reply = api.get("/tiles/sites/10/853/418.mvt").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.headers["retry-after"], "5");
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("the request took longer than 0.2 s")
    );
}
