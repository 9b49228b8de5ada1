//! The second hardening pass (issue 14): links from configuration, spreadsheet-safe CSV, query
//! cost bounds, report templates that cannot exhaust memory, least privilege in the database,
//! and the 3 km zones cleared as the report says.

use crate::api::{Api, fixtures, id_of, user_with_token, web_dir};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use remediation_tracker::domain::account::Role;
use remediation_tracker::http::{AppState, HttpConfig};
use serde_json::{Value, json};
use sqlx::PgPool;

fn forged(uri: &str, peer: &str) -> Request<Body> {
    let peer: std::net::SocketAddr = format!("{peer}:50000").parse().unwrap();
    Request::get(uri)
        .extension(axum::extract::ConnectInfo(peer))
        .header("host", "evil.example")
        .header("x-forwarded-proto", "javascript")
        .header("x-forwarded-host", "evil.example")
        .body(Body::empty())
        .unwrap()
}

fn hrefs(body: &Value) -> Vec<String> {
    body["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["href"].as_str().unwrap().to_string())
        .collect()
}

#[sqlx::test]
async fn links_come_from_the_public_url_not_from_the_request(pool: PgPool) {
    let mut config = HttpConfig::new(web_dir());
    config.public_url = "https://gis.example.gov.cn".into();
    config.trusted_proxies = vec!["10.9.0.0/16".parse().unwrap()];
    let api = Api::with_state(AppState::new(pool, config));
    let (status, headers, body) = api.send(forged("/ogc", "192.0.2.1")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        hrefs(&body)
            .iter()
            .all(|h| h.starts_with("https://gis.example.gov.cn/")),
        "{body}"
    );
    assert_eq!(
        headers["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    // a trusted proxy may name the host, but only an http(s) scheme and a plain host name
    let mut request = forged("/ogc", "10.9.1.2");
    request
        .headers_mut()
        .insert("x-forwarded-host", "maps.example.gov.cn".parse().unwrap());
    let (_, _, body) = api.send(request).await;
    assert!(
        hrefs(&body)
            .iter()
            .all(|h| h.starts_with("https://maps.example.gov.cn/")),
        "{body}"
    );
    let mut request = forged("/tiles/sites.json", "10.9.1.2");
    request
        .headers_mut()
        .insert("x-forwarded-proto", "http".parse().unwrap());
    let (_, _, body) = api.send(request).await;
    assert_eq!(
        body["tiles"][0],
        "http://evil.example/tiles/sites/{z}/{x}/{y}.mvt"
    );
}

#[sqlx::test]
async fn csv_downloads_open_formulas_as_text(pool: PgPool) {
    remediation_tracker::seed::seed(&pool, &crate::common::geodata_dir())
        .await
        .unwrap();
    let editor = user_with_token(&pool, "editor", Role::Editor).await;
    let api = Api::new(pool.clone());
    let (id, version): (i64, i32) = sqlx::query_as(
        "SELECT id, version FROM project WHERE status = 'in_progress' AND programme_id IS NOT NULL ORDER BY code LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let reply = api
        .call(
            Method::PATCH,
            &format!("/api/projects/{id}"),
            Some(&editor),
            Some(&format!("\"{version}\"")),
            Some(json!({"name": "=HYPERLINK(\"http://x\",\"y\")"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let (status, _, bytes) = api
        .send_raw(
            Request::get("/api/reports?format=csv")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""),
        "{text}"
    );
    assert!(!text.contains(",=HYPERLINK"), "{text}");

    sqlx::query("UPDATE site SET name = '@SUM(A1)' WHERE code = (SELECT min(code) FROM site WHERE kind = 'river')")
        .execute(&pool)
        .await
        .unwrap();
    let mut out = Vec::new();
    remediation_tracker::export::export(
        &pool,
        "river"
            .parse::<remediation_tracker::export::ExportLayer>()
            .unwrap(),
        remediation_tracker::config::ExportFormat::Csv,
        &mut out,
    )
    .await
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains(",'@SUM(A1),"), "{text}");
}

#[sqlx::test]
async fn search_areas_and_layers_are_bounded(pool: PgPool) {
    fixtures(&pool).await;
    let api = Api::new(pool.clone());
    let world = json!({"type": "Polygon", "coordinates": [[[-179, -89], [179, -89], [179, 89], [-179, 89], [-179, -89]]]});
    for path in ["/api/sites/search", "/api/projects/search"] {
        let reply = api
            .call(Method::POST, path, None, None, Some(world.clone()))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(
            reply.body["detail"]
                .as_str()
                .unwrap()
                .starts_with("the area's bounding box covers 63724 square degrees; at most 100"),
            "{}",
            reply.body
        );
    }
    let zhonglou = json!({"type": "Polygon", "coordinates": [[[119.7, 31.7], [120.0, 31.7], [120.0, 31.9], [119.7, 31.9], [119.7, 31.7]]]});
    let reply = api
        .call(
            Method::POST,
            "/api/sites/search",
            None,
            None,
            Some(zhonglou),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["total"], 6);

    let one = api.get("/api/layers/enterprise?limit=1").await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body["features"].as_array().unwrap().len(), 1);
    let past = api.get("/api/layers/enterprise?offset=1").await;
    assert_eq!(past.body["features"], json!([]));
    let too_many = api.get("/api/layers/enterprise?limit=10001").await;
    assert_eq!(too_many.status, StatusCode::BAD_REQUEST);
    assert!(
        too_many.body["detail"]
            .as_str()
            .unwrap()
            .contains("from 1 to 10000")
    );
}

#[sqlx::test]
async fn stored_templates_cannot_build_text_without_bound(pool: PgPool) {
    remediation_tracker::seed::seed(&pool, &crate::common::geodata_dir())
        .await
        .unwrap();
    let admin = user_with_token(&pool, "admin", Role::Admin).await;
    let api = Api::new(pool.clone());
    let templates = api
        .call(
            Method::GET,
            "/api/report-templates",
            Some(&admin),
            None,
            None,
        )
        .await;
    let mut section = templates.body["sections"][0].clone();
    let code = section["code"].as_str().unwrap().to_string();
    for (source, refusal) in [
        (
            "{% for i in [1,2,3] %}{{ 'x' * 100000000 }}{% endfor %}",
            "the operators *, ** and ~ are not allowed",
        ),
        ("{% set s = 'xx' %}{{ s }}", "{% set %} is not allowed"),
        ("{{ 'a'|replace('', 'bbbb') }}", "unknown filter replace"),
        ("{{ a ~ b }}", "the operators *, ** and ~ are not allowed"),
    ] {
        section["template_zh"] = json!(source);
        let reply = api
            .call(
                Method::PUT,
                &format!("/api/report-templates/sections/{code}"),
                Some(&admin),
                None,
                Some(section.clone()),
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{source}");
        assert!(
            reply.body["detail"].as_str().unwrap().contains(refusal),
            "{source}: {}",
            reply.body
        );
    }
    // an accepted edit is audited with its content
    section["template_zh"] = json!("{{ zones.cleared }}/{{ zones.total }}");
    let reply = api
        .call(
            Method::PUT,
            &format!("/api/report-templates/sections/{code}"),
            Some(&admin),
            None,
            Some(section.clone()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let (action, target, template): (String, String, String) = sqlx::query_as(
        "SELECT action, target, details->>'template_zh' FROM audit_event ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (action.as_str(), target, template.as_str()),
        (
            "report_template.section",
            format!("report section {code}"),
            "{{ zones.cleared }}/{{ zones.total }}"
        )
    );
    // a template stored before the rules (by SQL) is refused when the report renders it
    sqlx::query("UPDATE report_section SET template_zh = '{% set s = 1 %}' WHERE code = $1")
        .bind(&code)
        .execute(&pool)
        .await
        .unwrap();
    let reply = api.get("/api/reports?as_of=2025-06-30&format=json").await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[sqlx::test]
async fn the_three_key_zones_are_cleared_as_the_report_says(pool: PgPool) {
    remediation_tracker::seed::seed(&pool, &crate::common::geodata_dir())
        .await
        .unwrap();
    let api = Api::new(pool.clone());
    assert_eq!(
        api.get("/api/stats").await.body["key_zones"],
        json!({"total": 3, "cleared": 3})
    );
    for code in ["KZ-01", "KZ-02", "KZ-03"] {
        let zone = id_of(&pool, "site", code).await;
        let body = api.get(&format!("/api/zones/{zone}/clearance")).await.body;
        assert_eq!(body["cleared"], true, "{code}: {body}");
    }
    let report = api.get("/api/reports?as_of=2025-06-30&format=json").await;
    let text = report.body.to_string();
    assert!(
        text.contains("重点区域周边3公里范围内存量问题完成“归零”"),
        "{text}"
    );
}

/// A role like the one `serve` runs as: it may log in and nothing more until granted.
async fn app_role(pool: &PgPool) -> (String, String) {
    let database: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(pool)
        .await
        .unwrap();
    let role = format!("app_{}", &database[database.len().saturating_sub(20)..])
        .replace('-', "_")
        .to_lowercase();
    sqlx::raw_sql(&format!(
        "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD 'app-pass'"
    ))
    .execute(pool)
    .await
    .unwrap();
    let base = std::env::var("DATABASE_URL").unwrap();
    let (_, rest) = base.split_once('@').unwrap();
    let host = rest.split('/').next().unwrap();
    (
        role.clone(),
        format!("postgres://{role}:app-pass@{host}/{database}"),
    )
}

#[sqlx::test]
async fn the_server_runs_as_a_role_that_can_change_rows_and_nothing_else(pool: PgPool) {
    fixtures(&pool).await;
    let (role, url) = app_role(&pool).await;
    remediation_tracker::db::grant_app_role(&pool, &role)
        .await
        .unwrap();
    let app_pool =
        remediation_tracker::db::connect_lazy(&url, 2, std::time::Duration::from_secs(5), None)
            .unwrap();
    let editor = user_with_token(&pool, "editor", Role::Editor).await;
    let api = Api::with_state(AppState::new(app_pool.clone(), HttpConfig::new(web_dir())));
    let reply = api
        .call(
            Method::POST,
            "/api/projects",
            Some(&editor),
            None,
            Some(json!({"code": "P-9", "name": "新项目", "category": "water"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let superuser: bool =
        sqlx::query_scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            .fetch_one(&app_pool)
            .await
            .unwrap();
    assert!(!superuser);
    for ddl in [
        "CREATE TABLE intruder (id int)",
        "DROP TABLE project_event",
        "ALTER TABLE site ADD COLUMN x int",
        "DELETE FROM _sqlx_migrations",
        "CREATE DATABASE another",
    ] {
        let refused = sqlx::raw_sql(ddl).execute(&app_pool).await.unwrap_err();
        let code = refused
            .as_database_error()
            .and_then(|e| e.code())
            .map(|c| c.into_owned());
        assert_eq!(code.as_deref(), Some("42501"), "{ddl}: {refused}");
    }
    app_pool.close().await;
    sqlx::raw_sql(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .execute(&pool)
        .await
        .unwrap();
}

#[sqlx::test]
async fn staff_only_values_are_never_counted_in_reports(pool: PgPool) {
    fixtures(&pool).await;
    sqlx::raw_sql(
        "UPDATE site SET attrs = attrs || '{\"contact_person\": \"王经理\", \"contact_phone\": \"13800000000\"}' WHERE code = 'EN-1';
         INSERT INTO project (code, name, category, status, programme_id, created_at)
         SELECT 'P-8', '纺织整治', 'water', 'in_progress', id, '2025-01-01' FROM programme WHERE code = 'TAIHU';
         INSERT INTO project_site SELECT p.id, s.id FROM project p, site s WHERE p.code = 'P-8' AND s.code = 'EN-1';
         INSERT INTO report_section (code, position, title_zh, title_en, template_zh, template_en) VALUES ('tt', 9, 't', 't', '', '');
         INSERT INTO programme_report (programme_id, section, position, template_zh, template_en)
         SELECT id, 'tt', 1, '{{ sites.enterprise.contact_person }}|{{ sites.enterprise.count }}', '' FROM programme WHERE code = 'TAIHU'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let report = Api::new(pool.clone())
        .get("/api/reports?as_of=2025-06-30&format=json")
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    let text = report.body.to_string();
    assert!(
        !text.contains("王经理") && !text.contains("13800000000"),
        "{text}"
    );
    assert!(text.contains("\"text\":\"|1\""), "{text}");
}

#[sqlx::test]
async fn slow_idle_and_surplus_clients_are_bounded(pool: PgPool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    use tokio::time::{Duration, timeout};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = remediation_tracker::http::ConnectionLimits {
        header_read_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(2),
        max_connections: 2,
    };
    let app = remediation_tracker::http::app(AppState::new(pool, HttpConfig::new(web_dir())));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(remediation_tracker::http::serve(
        listener,
        app,
        limits,
        async move {
            stopped.await.ok();
        },
    ));
    // the server closes a connection by ending it: a read gives 0 bytes or a reset
    async fn closed(stream: &mut TcpStream) -> bool {
        let mut buf = [0u8; 256];
        matches!(
            timeout(Duration::from_secs(10), stream.read(&mut buf)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }
    // half a header is not waited for
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    assert!(
        closed(&mut slow).await,
        "a half-sent header closes the connection"
    );
    // nor is a connection that never sends anything
    let mut idle = TcpStream::connect(addr).await.unwrap();
    assert!(closed(&mut idle).await, "an idle connection is closed");
    // a whole request is answered
    let ask = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let mut whole = TcpStream::connect(addr).await.unwrap();
    whole.write_all(ask).await.unwrap();
    let mut answer = String::new();
    timeout(Duration::from_secs(10), whole.read_to_string(&mut answer))
        .await
        .unwrap()
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    // with two connections open, a third waits in the backlog until one goes
    let held = [
        TcpStream::connect(addr).await.unwrap(),
        TcpStream::connect(addr).await.unwrap(),
    ];
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut third = TcpStream::connect(addr).await.unwrap();
    third.write_all(ask).await.unwrap();
    let mut first = [0u8; 12];
    assert!(
        timeout(Duration::from_millis(500), third.read_exact(&mut first))
            .await
            .is_err(),
        "no answer while the cap is reached"
    );
    drop(held);
    timeout(Duration::from_secs(10), third.read_exact(&mut first))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[sqlx::test]
async fn oversized_text_is_refused_naming_its_limit(pool: PgPool) {
    fixtures(&pool).await;
    let viewer = user_with_token(&pool, "viewer", Role::Viewer).await;
    let editor = user_with_token(&pool, "editor", Role::Editor).await;
    let admin = user_with_token(&pool, "admin", Role::Admin).await;
    let api = Api::new(pool.clone());
    let p1 = id_of(&pool, "project", "P-1").await;
    let long = |n: usize| "x".repeat(n);
    let cases = [
        (
            Method::GET,
            format!("/api/projects?q={}", long(300)),
            &viewer,
            None,
            None,
            "q must be at most 200 characters (got 300)",
        ),
        (
            Method::GET,
            format!("/api/sites?town={}", long(5000)),
            &viewer,
            None,
            None,
            "town must be at most 4096 characters (got 5000)",
        ),
        (
            Method::POST,
            "/api/auth/tokens".to_string(),
            &viewer,
            None,
            Some(json!({"name": long(201)})),
            "must be at most 200 characters (got 201)",
        ),
        (
            Method::POST,
            format!("/api/projects/{p1}/transitions"),
            &editor,
            Some("\"1\""),
            Some(json!({"to": "completed", "note": long(2001)})),
            "must be at most 2000 characters (got 2001)",
        ),
        (
            Method::POST,
            format!("/api/projects/{p1}/progress"),
            &editor,
            Some("\"1\""),
            Some(json!({"progress": 50, "note": long(2001)})),
            "must be at most 2000 characters (got 2001)",
        ),
        (
            Method::POST,
            format!("/api/users/{}/disable", long(65)),
            &admin,
            None,
            None,
            "must be at most 64 characters (got 65)",
        ),
    ];
    for (method, uri, token, if_match, body, expected) in cases {
        let reply = api
            .call(method.clone(), &uri, Some(token), if_match, body)
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{method} {}: {}",
            &uri[..40.min(uri.len())],
            reply.body
        );
        let detail = reply.body["detail"].as_str().unwrap();
        assert!(detail.contains(expected), "{method}: {detail}");
    }
    // nothing was written by any of them
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM project_event")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(events, 0);
}
