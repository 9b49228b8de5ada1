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
    login_from("10.0.0.1", username, password)
}

/// A login as if from a client at `address` (the socket's peer).
fn login_from(address: &str, username: &str, password: &str) -> Request<Body> {
    let peer: std::net::SocketAddr = format!("{address}:40000").parse().unwrap();
    Request::post("/api/auth/login")
        .extension(axum::extract::ConnectInfo(peer))
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
async fn failed_logins_lock_a_name_only_from_the_address_they_came_from(pool: PgPool) {
    editor(&pool).await;
    let api = Api::new(pool.clone());
    for _ in 0..5 {
        let (status, _, body) = api
            .send(login_from("10.0.0.66", "li", "wrong password"))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["detail"], "wrong username or password");
    }
    // locked now from the attacker's address, even with the right password
    let (status, headers, body) = api
        .send(login_from("10.0.0.66", "li", "a long password"))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let retry: i64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((840..=900).contains(&retry), "retry after {retry} s");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("too many failed logins for this account from this address"),
        "{body}"
    );
    // the real user, from their own address, is not locked out
    let (status, _, body) = api
        .send(login_from("10.0.0.7", "li", "a long password"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // another account from the attacker's address is not locked by these failures either
    let (status, _, _) = api.send(login_from("10.0.0.66", "wang", "whatever")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let attempts: Vec<(String, bool)> =
        sqlx::query_as("SELECT username, succeeded FROM login_attempt ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        attempts.iter().map(|(_, ok)| *ok).collect::<Vec<_>>(),
        [false, false, false, false, false, false, true, false],
        "every attempt is recorded, the refused one too"
    );

    // an address is locked after four times the failures, whatever names it tries
    for n in 0..13 {
        let (status, _, _) = api
            .send(login_from("10.0.0.66", &format!("u{n}"), "x"))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let (status, _, _) = api.send(login_from("10.0.0.66", "zhang", "x")).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the 21st failure from one address"
    );

    // a window that has passed counts nothing
    sqlx::query("UPDATE login_throttle SET window_start = now() - interval '16 minutes'")
        .execute(&pool)
        .await
        .unwrap();
    let (status, _, _) = api
        .send(login_from("10.0.0.66", "li", "a long password"))
        .await;
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
async fn parallel_failed_logins_are_counted_one_after_another(pool: PgPool) {
    editor(&pool).await;
    let api = Api::new(pool.clone());
    let attempts = (0..12).map(|_| api.send(login_from("10.0.0.9", "li", "wrong password")));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|(status, _, _)| status)
        .collect();
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, refused), (5, 7), "{statuses:?}");
}

#[sqlx::test]
async fn oversized_login_input_is_refused_before_anything_is_counted(pool: PgPool) {
    editor(&pool).await;
    let api = Api::new(pool.clone());
    let (status, _, body) = api.send(login_request(&"a".repeat(8192), "x")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("username: must be at most 64 characters (got 8192)"),
        "{detail}"
    );
    let (status, _, body) = api.send(login_request("li", &"p".repeat(5000))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("must be at most 1024 characters")
    );
    let counted: i64 = sqlx::query_scalar("SELECT count(*) FROM login_throttle")
        .fetch_one(&pool)
        .await
        .unwrap();
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM login_attempt")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((counted, recorded), (0, 0));
}

#[sqlx::test]
async fn logging_in_ends_the_session_the_browser_had(pool: PgPool) {
    editor(&pool).await;
    let api = Api::new(pool.clone());
    let cookie_of = |headers: &axum::http::HeaderMap| {
        headers["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string()
    };
    let (status, headers, _) = api.send(login_request("li", "a long password")).await;
    assert_eq!(status, StatusCode::OK);
    let first = cookie_of(&headers);
    let mut again = login_request("li", "a long password");
    again.headers_mut().insert("cookie", first.parse().unwrap());
    let (status, headers, _) = api.send(again).await;
    assert_eq!(status, StatusCode::OK);
    let second = cookie_of(&headers);
    assert_ne!(first, second);
    let me = |cookie: String| {
        Request::get("/api/auth/me")
            .header("cookie", cookie)
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(
        api.send(me(first)).await.0,
        StatusCode::UNAUTHORIZED,
        "the old session ended"
    );
    assert_eq!(api.send(me(second)).await.0, StatusCode::OK);
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

/// Every read that shows a site's attributes, as (uri, body text); `token` reads as that user.
async fn site_reads(api: &Api, id: i64, token: Option<&str>) -> Vec<(String, String)> {
    use axum::http::Method;
    let uris = [
        format!("/api/sites/{id}"),
        "/api/sites?kind=enterprise".to_string(),
        format!("/api/sites/{id}/history"),
        "/ogc/collections/enterprise/items".to_string(),
        format!("/ogc/collections/enterprise/items/{id}"),
        "/ogc/collections/enterprise/queryables".to_string(),
        "/api/layers/enterprise".to_string(),
    ];
    let mut texts = Vec::new();
    for uri in uris {
        let reply = api.call(Method::GET, &uri, token, None, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}");
        texts.push((uri, reply.body.to_string()));
    }
    let area = json!({"type": "Polygon", "coordinates": [[[119.868, 31.804], [119.872, 31.804], [119.872, 31.806], [119.868, 31.806], [119.868, 31.804]]]});
    let search = api
        .call(Method::POST, "/api/sites/search", token, None, Some(area))
        .await;
    assert_eq!(search.body["total"], 1, "{}", search.body);
    texts.push(("/api/sites/search".into(), search.body.to_string()));
    texts
}

/// An enterprise's contact person and phone are staff-only: every interface leaves them out
/// for anonymous readers (and refuses to filter on them) and shows them to any logged-in user.
/// Petitions and their complainants are held to the same, by reader (cases.rs).
#[sqlx::test]
async fn staff_only_attributes_never_reach_anonymous_readers(pool: PgPool) {
    use crate::api::{fixtures, id_of, user_with_token};
    use crate::tiles::{decode, fetch, tile_of};
    use axum::http::Method;
    fixtures(&pool).await;
    let editor = user_with_token(&pool, "li", Role::Editor).await;
    let viewer = user_with_token(&pool, "wang", Role::Viewer).await;
    let admin = user_with_token(&pool, "zhao", Role::Admin).await;
    let id = id_of(&pool, "site", "EN-1").await;
    let api = Api::new(pool.clone());
    let contacts =
        json!({"properties": {"contact_person": "张三", "contact_phone": "13900000000"}});
    let edit = api
        .call(
            Method::PATCH,
            &format!("/api/sites/{id}"),
            Some(&editor),
            Some("\"1\""),
            Some(contacts),
        )
        .await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.body);
    assert_eq!(edit.body["attrs"]["contact_phone"], "13900000000");

    for (uri, text) in site_reads(&api, id, None).await {
        assert!(
            !text.contains("13900000000") && !text.contains("contact_"),
            "{uri} shows a staff-only attribute: {text}"
        );
        // the reads still answer with the site (history records only what changed)
        let names_site = !uri.contains("queryables") && !uri.contains("history");
        assert_eq!(text.contains("国礼纺织"), names_site, "{uri}: {text}");
    }
    // staff see the values wherever attributes are shown (layers and queryables show none)
    for (uri, text) in site_reads(&api, id, Some(&viewer)).await {
        let shows_attributes = !uri.contains("layers") && !uri.contains("queryables");
        assert_eq!(
            text.contains("13900000000"),
            shows_attributes,
            "{uri}: {text}"
        );
    }
    let queryables = api
        .call(
            Method::GET,
            "/ogc/collections/enterprise/queryables",
            Some(&viewer),
            None,
            None,
        )
        .await;
    assert!(queryables.body["properties"]["contact_phone"].is_object());

    // filtering on the attribute would reveal it one guess at a time
    let filter = "/ogc/collections/enterprise/items?filter=contact_phone%20LIKE%20%27139%25%27";
    let refused = api.get(filter).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.body["detail"],
        "filter: \"contact_phone\" is not a queryable of enterprise (see the collection's queryables)"
    );
    let found = api
        .call(Method::GET, filter, Some(&viewer), None, None)
        .await;
    assert_eq!(found.body["numberReturned"], 1, "{}", found.body);

    // tiles carry only the public core of every site
    let (x, y) = tile_of(119.87, 31.805, 14);
    for layer in ["enterprise", "sites"] {
        let (status, _, bytes) = fetch(&api, &format!("/tiles/{layer}/14/{x}/{y}.mvt"), None).await;
        assert_eq!(status, StatusCode::OK);
        let (_, features) = decode(&bytes);
        assert!(!features.is_empty());
        for (_, tags) in features {
            assert!(
                tags.keys()
                    .all(|k| ["code", "name", "kind", "status", "remediation_state"]
                        .contains(&k.as_str())),
                "{layer}: {tags:?}"
            );
        }
    }

    // reports are public, so a section cannot count sites by a staff-only value
    let section = json!({
        "code": "air", "position": 1, "title_zh": "大气", "title_en": "Air",
        "template_zh": "", "template_en": "", "lists_unprogrammed": false,
        "inventory": [{"kind": "enterprise", "attr": "contact_person"}],
    });
    let put = api
        .call(
            Method::PUT,
            "/api/report-templates/sections/air",
            Some(&admin),
            None,
            Some(section),
        )
        .await;
    assert_eq!(put.status, StatusCode::BAD_REQUEST, "{}", put.body);
    assert_eq!(
        put.body["detail"],
        "inventory: \"contact_person\" is not a public attribute of enterprise"
    );

    // and every output of the casework ledgers
    crate::cases::case_outputs_reach_only_those_who_may_see_them(&pool, &api, &editor, &viewer)
        .await;
}

/// A transition whose history event cannot be stored (a trigger injected here refuses it) fails
/// as a whole: the project keeps its status and version, no event is left, the answer says only
/// that something went wrong, and the next write goes through.
#[sqlx::test]
async fn a_write_that_fails_midway_leaves_nothing_half_written(pool: PgPool) {
    use crate::api::{fixtures, id_of, user_with_token};
    use axum::http::Method;
    fixtures(&pool).await;
    let editor = user_with_token(&pool, "li", Role::Editor).await;
    let id = id_of(&pool, "project", "P-3").await;
    sqlx::raw_sql(
        "CREATE FUNCTION refuse_event() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.note = 'fail here' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$;
         CREATE TRIGGER refuse_event BEFORE INSERT ON project_event FOR EACH ROW EXECUTE FUNCTION refuse_event();",
    )
    .execute(&pool)
    .await
    .unwrap();
    let api = Api::new(pool.clone());
    let uri = format!("/api/projects/{id}/transitions");
    let failed = api
        .call(
            Method::POST,
            &uri,
            Some(&editor),
            Some("\"1\""),
            Some(json!({"to": "preparing", "note": "fail here"})),
        )
        .await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        !failed.body.to_string().contains("injected"),
        "{}",
        failed.body
    );
    let state: (String, i32, i64) = sqlx::query_as(
        "SELECT status, version, (SELECT count(*) FROM project_event WHERE project_id = p.id) FROM project p WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(state, ("planned".to_string(), 1, 0));

    let done = api
        .call(
            Method::POST,
            &uri,
            Some(&editor),
            Some("\"1\""),
            Some(json!({"to": "preparing", "note": "可研批复"})),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(
        (done.body["status"].clone(), done.body["version"].clone()),
        (json!("preparing"), json!(2))
    );
}

/// Requests and report builds have statement bounds of their own. With the requests' bound at
/// 200 ms and `project` locked here, statistics are cut off with a 503, while a report (on the
/// report pool, unbounded in this test) waits out the lock for longer than that and answers.
#[sqlx::test]
async fn report_builds_have_a_statement_bound_of_their_own(pool: PgPool) {
    use crate::api::fixtures;
    fixtures(&pool).await;
    let bounded = pool
        .connect_options()
        .as_ref()
        .clone()
        .options([("statement_timeout", "200ms")]);
    let requests = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect_with(bounded)
        .await
        .unwrap();
    let state = AppState::new(requests, HttpConfig::new(web_dir())).with_report_pool(pool.clone());
    let api = Api::with_state(state);

    let mut lock = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE project IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let stats = api.get("/api/stats").await;
    assert_eq!(
        stats.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        stats.body
    );

    let report = tokio::spawn({
        let router = api.router();
        async move {
            use tower::ServiceExt;
            let request = Request::get("/api/reports?as_of=2025-06-30&format=json")
                .body(Body::empty())
                .unwrap();
            router.oneshot(request).await.unwrap().status()
        }
    });
    crate::common::until_a_statement_waits_on_a_lock(&pool).await;
    // well past the requests' bound
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    lock.commit().await.unwrap();
    assert_eq!(report.await.unwrap(), StatusCode::OK);
}
