//! The binary as a user runs it: import errors on stderr with a non-zero exit, export to a file,
//! and `serve` answering and shutting down cleanly on SIGTERM, finishing a write in flight.

use sqlx::PgPool;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_remediation-tracker");

/// The URL of this test's own database (same server and credentials as DATABASE_URL).
pub fn url_of(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let database = pool
        .connect_options()
        .get_database()
        .expect("database name")
        .to_string();
    let (server, query) = match base.split_once('?') {
        Some((s, q)) => (s.to_string(), format!("?{q}")),
        None => (base.clone(), String::new()),
    };
    let server = server
        .rsplit_once('/')
        .map(|(s, _)| s.to_string())
        .unwrap_or(server);
    format!("{server}/{database}{query}")
}

#[sqlx::test]
async fn import_reports_rejections_and_exits_non_zero(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rivers.geojson");
    std::fs::write(
        &file,
        r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"code":"RV-1","name":"童子河","river_class":"main"},"geometry":{"type":"LineString","coordinates":[[119.90,31.80],[119.91,31.81]]}},
            {"type":"Feature","properties":{"code":"RV-2","name":"无等级"},"geometry":{"type":"LineString","coordinates":[[119.90,31.80],[119.91,31.81]]}}]}"#,
    )
    .unwrap();
    let output = Command::new(BIN)
        .args(["import", "--kind", "river"])
        .arg(&file)
        .env("DATABASE_URL", url_of(&pool))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("1 feature(s) rejected; nothing was imported"),
        "{stderr}"
    );
    assert!(
        stderr.contains("feature 1: missing required attribute river_class"),
        "{stderr}"
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM site")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 0);

    let output = Command::new(BIN)
        .args(["import", "--kind", "lake"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown site kind \"lake\""));
    let output = Command::new(BIN)
        .args(["import", "--kind", "river", "--crs", "EPSG:3857"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("unsupported crs \"EPSG:3857\""));
}

/// `cases import`: a ledger in GCJ-02 with a bad row is refused by its row; the good one imports.
#[sqlx::test]
async fn cases_import_names_bad_rows_and_imports_a_good_ledger(pool: PgPool) {
    crate::common::insert_towns(&pool).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("信访台账.csv");
    let (x, y) = remediation_tracker::domain::coords::wgs84_to_gcj02(119.87, 31.80);
    let good = format!(
        "编号,受理日期,来源,类别,内容,经度,纬度,办理状态\nXF-1,2025-02-03,来访,噪声,施工噪声,{x},{y},办理中\n"
    );
    let run = |path: &std::path::Path| {
        Command::new(BIN)
            .args(["cases", "import", "--kind", "petition", "--crs", "gcj02"])
            .arg(path)
            .env("DATABASE_URL", url_of(&pool))
            .output()
            .unwrap()
    };
    std::fs::write(
        &file,
        format!("{good}XF-2,2025-02-30,来访,噪声,日期不对,{x},{y},办理中\n"),
    )
    .unwrap();
    let output = run(&file);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("row 3, column 受理日期: \"2025-02-30\" is not a date (write 2025-01-05 or 2025年1月5日)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 problem(s); nothing was imported"),
        "{stderr}"
    );
    std::fs::write(&file, good).unwrap();
    let output = run(&file);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (town, lon): (String, f64) =
        sqlx::query_as("SELECT town_code, ST_X(geom) FROM casework WHERE code = 'XF-1'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(town, "320404007");
    assert!((lon - 119.87).abs() < 1e-6, "{lon}");
}

#[sqlx::test]
async fn export_writes_a_file(pool: PgPool) {
    sqlx::query("INSERT INTO site (kind, code, name, attrs, geom) VALUES ('outfall', 'OF-1', '新闸排口', '{\"outfall_type\": \"other\"}', ST_SetSRID(ST_MakePoint(119.885, 31.815), 4326))")
        .execute(&pool)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("outfalls.geojson");
    let status = Command::new(BIN)
        .args([
            "export", "--kind", "outfall", "--format", "geojson", "--out",
        ])
        .arg(&out)
        .env("DATABASE_URL", url_of(&pool))
        .status()
        .unwrap();
    assert!(status.success());
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(
        written["features"][0]["properties"],
        serde_json::json!({"code": "OF-1", "name": "新闸排口", "placeholder": false, "outfall_type": "other"})
    );
}

/// Starts `serve` on a free port against the test's database; returns once /readyz answers 200.
fn start_server(pool: &PgPool) -> (std::process::Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(BIN)
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--web-dir",
            concat!(env!("CARGO_MANIFEST_DIR"), "/web"),
        ])
        .env("DATABASE_URL", url_of(pool))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let body = loop {
        if let Ok(body) = http_get(port, "/readyz") {
            break body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the server did not come up"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(body.ends_with(r#"{"status":"ready"}"#), "{body}");
    (child, port)
}

fn terminate(child: &std::process::Child) {
    let signalled = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(signalled.success());
}

/// Waits for the process to exit by itself after SIGTERM.
fn exit_status(child: &mut std::process::Child) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the server did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[sqlx::test]
async fn serve_answers_and_stops_on_sigterm(pool: PgPool) {
    let (mut child, _) = start_server(&pool);
    terminate(&child);
    let status = exit_status(&mut child);
    assert!(status.success(), "exit status {status}");
}

/// A transition waits on a row lock held here when SIGTERM arrives. The server stops accepting,
/// finishes that request once the lock goes, answers it, and only then exits.
#[sqlx::test]
async fn sigterm_lets_a_write_in_flight_finish(pool: PgPool) {
    use crate::api::{fixtures, id_of, user_with_token};
    use remediation_tracker::domain::account::Role;
    use std::io::{Read, Write};
    fixtures(&pool).await;
    let token = user_with_token(&pool, "li", Role::Editor).await;
    let id = id_of(&pool, "project", "P-3").await;
    let (mut child, port) = start_server(&pool);

    let mut lock = pool.begin().await.unwrap();
    sqlx::query("SELECT id FROM project WHERE id = $1 FOR UPDATE")
        .bind(id)
        .execute(&mut *lock)
        .await
        .unwrap();
    let body = r#"{"to":"preparing","note":"可研批复","version":1}"#;
    let request = format!(
        "POST /api/projects/{id}/transitions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let client = std::thread::spawn(move || {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    });
    // the request is in flight once its statement waits for the lock
    crate::common::until_a_statement_waits_on_a_lock(&pool).await;
    terminate(&child);
    // no new connection is taken while the old request still waits
    let started = Instant::now();
    while http_get(port, "/healthz").is_ok() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still accepting after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "exited with a request in flight"
    );
    lock.commit().await.unwrap();

    let response = client.join().unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains(r#""status":"preparing""#), "{response}");
    let status = exit_status(&mut child);
    assert!(status.success(), "exit status {status}");
    let events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM project_event WHERE project_id = $1 AND kind = 'status' AND to_status = 'preparing'",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(events, 1);
}

/// A minimal HTTP/1.1 GET, so the test needs no HTTP client crate.
fn http_get(port: u16, path: &str) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}

#[sqlx::test]
async fn user_commands_add_list_and_disable(pool: PgPool) {
    use std::io::Write;
    let url = url_of(&pool);
    let mut child = Command::new(BIN)
        .args(["user", "add", "--username", "li.ming", "--role", "editor"])
        .env("DATABASE_URL", &url)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long password\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM app_user WHERE username = 'li.ming'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(remediation_tracker::domain::account::verify_password(
        "a long password",
        &hash
    ));

    let output = Command::new(BIN)
        .args(["user", "list"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&output.stdout);
    assert!(listed.starts_with("li.ming\teditor\tactive\t"), "{listed}");

    let mut child = Command::new(BIN)
        .args(["user", "add", "--username", "li.ming", "--role", "viewer"])
        .env("DATABASE_URL", &url)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"another password\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("a user named li.ming already exists")
    );

    let status = Command::new(BIN)
        .args(["user", "disable", "--username", "li.ming"])
        .env("DATABASE_URL", &url)
        .status()
        .unwrap();
    assert!(status.success());
    let output = Command::new(BIN)
        .args(["user", "list"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("li.ming\teditor\tdisabled\t"));
    let output = Command::new(BIN)
        .args(["user", "disable", "--username", "nobody"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("no user named nobody"));
    let audited: Vec<(String, String)> =
        sqlx::query_as("SELECT action, target FROM audit_event ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        audited,
        [
            ("user.created".to_string(), "user li.ming".to_string()),
            ("user.disabled".to_string(), "user li.ming".to_string())
        ],
        "the refused add and the unknown user wrote nothing"
    );
}

#[sqlx::test]
async fn samples_import_names_each_problem_then_imports_a_good_sheet(pool: PgPool) {
    crate::common::insert_towns(&pool).await;
    crate::common::import_text(
        &pool,
        crate::common::collection(vec![crate::common::feature(
            serde_json::json!({"code": "SEC-9", "name": "断面", "level": "city", "water_target": "III"}),
            crate::common::point(119.86, 31.80),
        )]),
        remediation_tracker::domain::SiteKind::MonitoringSection,
        remediation_tracker::domain::InputCrs::Wgs84,
        false,
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "site_code,sampled_at,氨氮\nSEC-9,2025-06-03,-1\nSEC-0,2025-06-03,1\n",
    )
    .unwrap();
    let output = Command::new(BIN)
        .args(["samples", "import"])
        .arg(&bad)
        .env("DATABASE_URL", url_of(&pool))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "row 2, column 氨氮: nh3n -1 mg/L is impossible: it must lie between 0 and 1000000"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("row 3: unknown site code SEC-0"),
        "{stderr}"
    );
    assert!(
        stderr.contains("2 problem(s); nothing was imported"),
        "{stderr}"
    );

    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        "site_code,sampled_at,氨氮,溶解氧\nSEC-9,2025-06-03 09:00,0.8,6.1\n",
    )
    .unwrap();
    let output = Command::new(BIN)
        .args(["samples", "import", "--lab", "区监测站"])
        .arg(&good)
        .env("DATABASE_URL", url_of(&pool))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("imported 2 value(s) in 1 row(s) for 1 site(s)"),
        "{stderr}"
    );
    let graded: (Option<String>, Option<bool>) =
        sqlx::query_as("SELECT latest_class, meets_target FROM site WHERE code = 'SEC-9'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(graded, (Some("III".into()), Some(true)));
}
