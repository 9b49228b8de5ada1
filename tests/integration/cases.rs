//! The casework ledgers through the router: the lifecycle with its history and locking, overdue
//! at the deadline, the repeat check at its distance, category and day boundaries, the ledger
//! import, who sees which case, and the report's casework sentences as of any date.

use crate::api::{Api, fixtures, id_of, user_with_token, web_dir};
use crate::common::{cgcs2000_gk120, geodata_dir};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::{Duration, NaiveDate};
use remediation_tracker::domain::account::Role;
use remediation_tracker::domain::casework::RepeatWindow;
use remediation_tracker::http::{AppState, HttpConfig};
use remediation_tracker::report::{self, Lang};
use remediation_tracker::seed::seed;
use serde_json::{Value, json};
use sqlx::PgPool;

fn today() -> NaiveDate {
    report::today()
}

async fn create(api: &Api, token: &str, body: Value) -> Value {
    let reply = api
        .call(Method::POST, "/api/cases", Some(token), None, Some(body))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body
}

fn petition(code: &str, category: &str, received_on: NaiveDate, lon: f64, lat: f64) -> Value {
    json!({
        "kind": "petition", "code": code, "received_on": received_on, "source": "hotline_12345",
        "category": category, "title": format!("{code} 夜间施工噪声"),
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "complainant_name": "张先生", "complainant_phone": "13800001234",
    })
}

async fn transition(
    api: &Api,
    token: &str,
    id: i64,
    version: i64,
    body: Value,
) -> (StatusCode, Value) {
    let reply = api
        .call(
            Method::POST,
            &format!("/api/cases/{id}/transitions"),
            Some(token),
            Some(&format!("\"{version}\"")),
            Some(body),
        )
        .await;
    (reply.status, reply.body)
}

#[sqlx::test]
async fn a_case_moves_only_along_its_lifecycle_and_keeps_its_history(pool: PgPool) {
    fixtures(&pool).await;
    let editor = user_with_token(&pool, "li", Role::Editor).await;
    let api = Api::new(pool.clone());
    let case = create(
        &api,
        &editor,
        petition("XF-1", "noise", today(), 119.87, 31.80),
    )
    .await;
    let id = case["id"].as_i64().unwrap();
    assert_eq!(case["status"], "received");
    assert_eq!(
        case["town_code"], "320404007",
        "the town comes from the place"
    );
    assert_eq!(case["town_name"], "新闸街道");
    assert_eq!(case["allowed_transitions"], json!(["assigned", "handling"]));
    assert_eq!(
        case["geometry"],
        json!({"type": "Point", "coordinates": [119.87, 31.8]})
    );

    let (status, body) = transition(
        &api,
        &editor,
        id,
        1,
        json!({"to": "resolved", "note": "办结"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        body["detail"],
        "a case cannot go from received to resolved; allowed from received: assigned, handling"
    );
    let (status, body) = transition(
        &api,
        &editor,
        id,
        1,
        json!({"to": "handling", "note": "现场核查"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 2);
    let (status, body) = transition(
        &api,
        &editor,
        id,
        2,
        json!({"to": "resolved", "note": "办结"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        body["detail"],
        "resolving a case needs its resolution: what was done and the result"
    );
    let (status, _) = transition(
        &api,
        &editor,
        id,
        1,
        json!({"to": "resolved", "note": "办结", "resolution": "已停工"}),
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "a stale version");
    let (status, body) = transition(
        &api,
        &editor,
        id,
        2,
        json!({"to": "resolved", "note": "办结", "resolution": "施工单位已调整作业时间"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "resolved");
    assert_eq!(body["resolution"], "施工单位已调整作业时间");
    assert_eq!(body["allowed_transitions"], json!(["closed", "reopened"]));

    // an edit records what changed; the same values again record nothing
    let edit = |version: &str, body: Value| {
        let api = &api;
        let editor = &editor;
        let version = version.to_string();
        async move {
            api.call(
                Method::PATCH,
                &format!("/api/cases/{id}"),
                Some(editor),
                Some(&version),
                Some(body),
            )
            .await
        }
    };
    let edited = edit(
        "\"3\"",
        json!({"title": "夜间施工噪声扰民", "note": "更正标题"}),
    )
    .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    assert_eq!(edited.body["version"], 4);
    let again = edit("\"4\"", json!({"title": "夜间施工噪声扰民"})).await;
    assert_eq!(again.body["version"], 4);
    let removed = edit("\"4\"", json!({"resolution": null})).await;
    assert_eq!(removed.status, StatusCode::CONFLICT);
    assert_eq!(
        removed.body["detail"],
        "case XF-1 is resolved: its resolution cannot be removed"
    );
    let refused = edit("\"4\"", json!({"status": "closed"})).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.body["detail"],
        "status cannot be edited: use POST /api/cases/{id}/transitions"
    );

    let history = api
        .call(
            Method::GET,
            &format!("/api/cases/{id}/history"),
            Some(&editor),
            None,
            None,
        )
        .await;
    let kinds: Vec<(&str, &str)> = history
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap(),
                e["to_status"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("created", "received"),
            ("status", "handling"),
            ("status", "resolved"),
            ("edit", "")
        ]
    );
    let last = &history.body[3];
    assert_eq!(
        last["changes"],
        json!({"title": {"before": "XF-1 夜间施工噪声", "after": "夜间施工噪声扰民"}})
    );
    assert_eq!(last["note"], "更正标题");
    assert_eq!(
        history.body[2]["changes"],
        json!({"resolution": {"before": null, "after": "施工单位已调整作业时间"}})
    );

    // the audit lists the case's writes with every other write
    let admin = user_with_token(&pool, "zhao", Role::Admin).await;
    let audit = api
        .call(
            Method::GET,
            "/api/audit?target=case%20XF-1",
            Some(&admin),
            None,
            None,
        )
        .await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["case.edit", "case.status", "case.status", "case.created"]
    );

    // a hidden danger needs its severity; a petition has none
    let body = json!({"kind": "hidden_danger", "received_on": today(), "source": "inspection",
        "category": "solid_waste", "title": "危废库防渗破损"});
    let refused = api
        .call(
            Method::POST,
            "/api/cases",
            Some(&editor),
            None,
            Some(body.clone()),
        )
        .await;
    assert_eq!(
        refused.body["detail"],
        "a hidden danger needs a severity: major or general"
    );
    let mut with_site = body;
    with_site["severity"] = json!("major");
    with_site["site_id"] = json!(id_of(&pool, "site", "EN-1").await);
    let danger = create(&api, &editor, with_site).await;
    assert_eq!(danger["code"], format!("YH{}-0001", today().format("%Y")));
    assert_eq!(danger["placed_by_site"], true);
    assert_eq!(danger["site_code"], "EN-1");
    assert_eq!(danger["geometry"]["coordinates"], json!([119.87, 31.805]));
}

#[sqlx::test]
async fn a_case_is_overdue_from_the_day_after_its_deadline(pool: PgPool) {
    fixtures(&pool).await;
    let editor = user_with_token(&pool, "li", Role::Editor).await;
    let api = Api::new(pool.clone());
    for (code, deadline) in [
        ("XF-ON-TIME", today()),
        ("XF-LATE", today() - Duration::days(1)),
    ] {
        let mut body = petition(code, "noise", today() - Duration::days(20), 119.87, 31.80);
        body["deadline"] = json!(deadline);
        create(&api, &editor, body).await;
    }
    let mut resolved = petition(
        "XF-DONE",
        "noise",
        today() - Duration::days(20),
        119.87,
        31.80,
    );
    resolved["deadline"] = json!(today() - Duration::days(5));
    resolved["status"] = json!("resolved");
    resolved["resolution"] = json!("已答复");
    create(&api, &editor, resolved).await;

    let list = api
        .call(
            Method::GET,
            "/api/cases?overdue=true",
            Some(&editor),
            None,
            None,
        )
        .await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["items"][0]["code"], "XF-LATE");
    assert_eq!(list.body["items"][0]["overdue"], true);
    let on_time = api
        .call(
            Method::GET,
            "/api/cases?overdue=false&sort=code",
            Some(&editor),
            None,
            None,
        )
        .await;
    let codes: Vec<&str> = on_time.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["XF-DONE", "XF-ON-TIME"]);
    let summary = api.get("/api/cases/summary").await;
    assert_eq!(
        summary.body["overdue_by_town"],
        json!([{"town_code": "320404007", "town_name": "新闸街道", "count": 1}])
    );
}

/// The point `metres` east of (lon, lat), geodesically.
async fn east_of(pool: &PgPool, lon: f64, lat: f64, metres: f64) -> (f64, f64) {
    sqlx::query_as(
        "SELECT ST_X(p::geometry), ST_Y(p::geometry)
         FROM ST_Project(ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography, $3, radians(90)) p",
    )
    .bind(lon)
    .bind(lat)
    .bind(metres)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn earlier_petitions_are_likely_repeats_within_the_radius_the_days_and_the_category(
    pool: PgPool,
) {
    fixtures(&pool).await;
    let editor = user_with_token(&pool, "li", Role::Editor).await;
    let viewer = user_with_token(&pool, "wang", Role::Viewer).await;
    let api = Api::new(pool.clone());
    let (lon, lat) = (119.87, 31.80);
    let new_day = NaiveDate::from_ymd_opt(2025, 6, 30).unwrap();
    let (in_x, in_y) = east_of(&pool, lon, lat, 199.9).await;
    let (out_x, out_y) = east_of(&pool, lon, lat, 200.1).await;
    let (near_x, near_y) = east_of(&pool, lon, lat, 10.0).await;
    let earlier = [
        ("XF-IN", "noise", new_day - Duration::days(180), in_x, in_y),
        (
            "XF-FAR",
            "noise",
            new_day - Duration::days(10),
            out_x,
            out_y,
        ),
        (
            "XF-AIR",
            "air",
            new_day - Duration::days(10),
            near_x,
            near_y,
        ),
        (
            "XF-OLD",
            "noise",
            new_day - Duration::days(181),
            near_x,
            near_y,
        ),
        (
            "XF-LATER",
            "noise",
            new_day + Duration::days(1),
            near_x,
            near_y,
        ),
        ("XF-SAME-DAY", "noise", new_day, near_x, near_y),
    ];
    for (code, category, day, x, y) in earlier {
        create(&api, &editor, petition(code, category, day, x, y)).await;
    }
    let uri =
        format!("/api/cases/repeats?lon={lon}&lat={lat}&category=noise&received_on=2025-06-30");
    let check = api.call(Method::GET, &uri, Some(&viewer), None, None).await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    assert_eq!(
        (check.body["radius_m"].as_f64(), check.body["days"].as_i64()),
        (Some(200.0), Some(180))
    );
    let found: Vec<(&str, i64)> = check.body["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap(),
                c["distance_m"].as_f64().unwrap().round() as i64,
            )
        })
        .collect();
    assert_eq!(found, [("XF-SAME-DAY", 10), ("XF-IN", 200)]);

    // the same place given in GCJ-02 finds the same petitions
    let (gx, gy) = remediation_tracker::domain::coords::wgs84_to_gcj02(lon, lat);
    let gcj = format!(
        "/api/cases/repeats?lon={gx}&lat={gy}&crs=gcj02&category=noise&received_on=2025-06-30"
    );
    let again = api.call(Method::GET, &gcj, Some(&viewer), None, None).await;
    assert_eq!(again.body["candidates"].as_array().unwrap().len(), 2);

    // a wider radius, as REPEAT_RADIUS_M sets it, reaches the one at 200.1 m
    let config = HttpConfig {
        repeat_window: RepeatWindow {
            radius_m: 250.0,
            days: 180,
        },
        ..HttpConfig::new(web_dir())
    };
    let wider = Api::with_state(AppState::new(pool.clone(), config));
    let check = wider
        .call(Method::GET, &uri, Some(&viewer), None, None)
        .await;
    assert_eq!(check.body["candidates"].as_array().unwrap().len(), 3);

    // anonymous callers learn nothing of petitions
    assert_eq!(api.get(&uri).await.status, StatusCode::UNAUTHORIZED);

    // linked as a repeat, the place becomes a hot spot and the town counts an open repeat
    let first = id_of(&pool, "casework", "XF-IN").await;
    let mut repeat = petition("XF-NEW", "noise", new_day, lon, lat);
    repeat["repeat_of"] = json!(first);
    let created = create(&api, &editor, repeat).await;
    assert_eq!(created["repeat_of_code"], "XF-IN");
    let spots = api
        .call(
            Method::GET,
            "/api/cases/hotspots",
            Some(&viewer),
            None,
            None,
        )
        .await;
    assert_eq!(spots.body["features"].as_array().unwrap().len(), 1);
    assert_eq!(spots.body["features"][0]["properties"]["code"], "XF-IN");
    assert_eq!(spots.body["features"][0]["properties"]["repeat_count"], 1);
    let summary = api
        .call(Method::GET, "/api/cases/summary", Some(&viewer), None, None)
        .await;
    assert_eq!(
        summary.body["open_repeats_by_town"],
        json!([{"town_code": "320404007", "town_name": "新闸街道", "count": 1}])
    );
    let mut not_petition = petition("XF-BAD", "noise", new_day, lon, lat);
    not_petition["repeat_of"] = json!(id_of(&pool, "site", "EN-1").await + 10_000);
    let refused = api
        .call(
            Method::POST,
            "/api/cases",
            Some(&editor),
            None,
            Some(not_petition),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
}

async fn import(api: &Api, token: &str, query: &str, csv: &str) -> (StatusCode, Value) {
    let request = Request::post(format!("/api/cases/import?{query}"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/octet-stream")
        .body(Body::from(csv.to_string()))
        .unwrap();
    let (status, _, body) = api.send(request).await;
    (status, body)
}

async fn case_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM casework")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn a_ledger_is_imported_all_or_nothing_with_its_chinese_headers(pool: PgPool) {
    fixtures(&pool).await;
    let editor = user_with_token(&pool, "li", Role::Editor).await;
    let api = Api::new(pool.clone());
    let (x, y) = cgcs2000_gk120(119.87, 31.80);
    let header = "编号,受理日期,来源,类别,内容,地址/位置,经度,纬度,站点编码,责任单位,办理期限,办理状态,办结情况,办结日期,重复件";
    let good = [
        format!(
            "XF-101,2025年3月2日,12345热线,噪声,夜间施工噪声,新闸某工地,{x:.3},{y:.3},,新闸街道,2025-03-17,已办结,已调整作业时间,2025/3/10,"
        ),
        "XF-102,2025-03-20,来访,大气,企业废气异味,,,,EN-1,新闸街道,2025-05-19,办理中,,,"
            .to_string(),
        format!(
            "XF-103,2025-04-01,来信,噪声,夜间施工噪声,新闸某工地,{x:.3},{y:.3},,新闸街道,,受理,,,XF-101"
        ),
    ];
    let bad = [
        "XF-104,2025-04-02,来信,噪声,无地点,,,,,,,受理,,,".to_string(),
        "XF-105,2025-04-02,传真,辐射,不明来源,,,,EN-1,,,已办结,,,".to_string(),
    ];
    let refused_csv = [header.to_string()]
        .iter()
        .chain(&good)
        .chain(&bad)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    let (status, body) = import(&api, &editor, "kind=petition&crs=EPSG:4549", &refused_csv).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let rejected: Vec<(i64, Option<&str>, &str)> = body["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["row"].as_i64().unwrap(),
                r["column"].as_str(),
                r["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rejected,
        [
            (
                5,
                None,
                "a case needs a place: coordinates (经度, 纬度) or a site code (站点编码)"
            ),
            (
                6,
                Some("来源"),
                "\"传真\" is not a known case source (known: 来信、来访、12345、12345热线、热线、网上信访、网络、网上、检查、检查发现、排查、上级交办、交办, or the codes letter, visit, hotline_12345, online, inspection, higher_authority)"
            ),
            (
                6,
                Some("类别"),
                "\"辐射\" is not a known case category (known: 大气、废气、空气、水、水环境、废水、噪声、固废、固体废物、土壤、其他, or the codes air, water, noise, solid_waste, soil, other)"
            ),
        ]
    );
    assert_eq!(
        case_count(&pool).await,
        0,
        "nothing of a refused ledger is stored"
    );

    let csv = [header.to_string()]
        .iter()
        .chain(&good)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    let (status, preview) = import(
        &api,
        &editor,
        "kind=petition&crs=EPSG:4549&dry_run=true",
        &csv,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["preview"][1]["place"], "site EN-1");
    assert_eq!(case_count(&pool).await, 0, "a preview stores nothing");
    let (status, done) = import(&api, &editor, "kind=petition&crs=EPSG:4549", &csv).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["inserted"], 3);

    let list = api
        .call(
            Method::GET,
            "/api/cases?sort=code",
            Some(&editor),
            None,
            None,
        )
        .await;
    let first = &list.body["items"][0];
    let [lon, lat] = [
        first["geometry"]["coordinates"][0].as_f64().unwrap(),
        first["geometry"]["coordinates"][1].as_f64().unwrap(),
    ];
    assert!(
        (lon - 119.87).abs() < 1e-7 && (lat - 31.80).abs() < 1e-7,
        "{lon} {lat}"
    );
    assert_eq!(
        (first["status"].as_str(), first["received_on"].as_str()),
        (Some("resolved"), Some("2025-03-02"))
    );
    assert_eq!(first["repeat_count"], 1);
    let second = &list.body["items"][1];
    assert_eq!(
        (
            second["placed_by_site"].as_bool(),
            second["site_code"].as_str()
        ),
        (Some(true), Some("EN-1"))
    );
    assert_eq!(second["geometry"]["coordinates"], json!([119.87, 31.805]));
    assert_eq!(list.body["items"][2]["repeat_of_code"], "XF-101");

    // the history is the ledger's: received on its day, resolved on the day it was
    let id = first["id"].as_i64().unwrap();
    let history = api
        .call(
            Method::GET,
            &format!("/api/cases/{id}/history"),
            Some(&editor),
            None,
            None,
        )
        .await;
    let at: Vec<&str> = history
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["at"].as_str().unwrap())
        .collect();
    assert_eq!(at, ["2025-03-02T01:00:00Z", "2025-03-10T02:00:00Z"]);

    // the same codes again are refused by their row
    let (status, body) = import(&api, &editor, "kind=petition&crs=EPSG:4549", &csv).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["rejected"][0]["reason"],
        "a case with code XF-101 is already stored"
    );
    assert_eq!(case_count(&pool).await, 3);
}

/// Every output of cases, both ways: anonymous readers never see a petition (nor its
/// complainant or place), viewers see petitions without the complainant, editors see all. Run
/// by the staff-only test of `security.rs` over the API's fixtures, with its editor and viewer.
pub async fn case_outputs_reach_only_those_who_may_see_them(
    pool: &PgPool,
    api: &Api,
    editor: &str,
    viewer: &str,
) {
    let (editor, viewer) = (editor.to_string(), viewer.to_string());
    let case = create(
        api,
        &editor,
        petition("XF-SECRET", "noise", today(), 119.8712, 31.8034),
    )
    .await;
    let id = case["id"].as_i64().unwrap();
    let mut repeat = petition("XF-SECRET-2", "noise", today(), 119.8712, 31.8034);
    repeat["repeat_of"] = json!(id);
    create(api, &editor, repeat).await;
    let danger = json!({"kind": "hidden_danger", "code": "YH-1", "received_on": today(),
        "source": "inspection", "category": "solid_waste", "title": "危废标识不规范",
        "severity": "general", "site_id": id_of(pool, "site", "EN-1").await});
    create(api, &editor, danger).await;

    let reads = [
        "/api/cases".to_string(),
        format!("/api/cases/{id}"),
        format!("/api/cases/{id}/history"),
        "/api/cases/summary".to_string(),
        "/api/cases/hotspots".to_string(),
        "/api/cases/repeats?lon=119.8712&lat=31.8034&category=noise".to_string(),
        "/api/locate?lon=119.8713&lat=31.8034&radius=300".to_string(),
        "/ogc/collections".to_string(),
        "/ogc/collections/cases".to_string(),
        "/ogc/collections/cases/items".to_string(),
        format!("/ogc/collections/cases/items/{id}"),
    ];
    // the reads that list cases, rather than counts or a description
    let lists_cases = |uri: &str| {
        !uri.contains("summary")
            && !uri.ends_with("/ogc/collections")
            && !uri.ends_with("/ogc/collections/cases")
    };
    for uri in &reads {
        let reply = api.get(uri).await;
        let text = reply.body.to_string();
        assert!(
            !text.contains("XF-SECRET")
                && !text.contains("13800001234")
                && !text.contains("张先生")
                && !text.contains("119.8712"),
            "{uri} shows a petition to an anonymous reader: {text}"
        );
        let refused = uri.contains(&format!("/{id}"))
            || uri.contains("hotspots")
            || uri.contains("repeats")
            || uri.contains("/ogc/collections/cases");
        assert_eq!(
            reply.status.is_success(),
            !refused,
            "{uri}: {}",
            reply.status
        );
    }
    let public = api.get("/api/cases").await;
    assert_eq!(public.body["total"], 1, "the hidden danger only");
    assert_eq!(public.body["items"][0]["code"], "YH-1");
    let counts = api.get("/api/cases/summary").await;
    assert_eq!(
        counts.body["by_kind_and_status"]["petition"]["received"], 2,
        "counts are public"
    );
    assert_eq!(counts.body["open_repeats_by_town"], json!([]));

    for uri in &reads {
        let reply = api.call(Method::GET, uri, Some(&viewer), None, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}");
        let text = reply.body.to_string();
        assert!(
            !text.contains("13800001234") && !text.contains("张先生"),
            "{uri} shows the complainant to a viewer: {text}"
        );
        assert_eq!(
            text.contains("XF-SECRET"),
            lists_cases(uri),
            "{uri} for a viewer: {text}"
        );
    }
    let collections = api.get("/ogc/collections").await.body.to_string();
    assert!(
        !collections.contains("\"cases\""),
        "the public does not learn of the collection"
    );
    let located = api
        .call(
            Method::GET,
            "/api/locate?lon=119.8713&lat=31.8034&radius=300",
            Some(&viewer),
            None,
            None,
        )
        .await;
    let mut open: Vec<&str> = located.body["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    open.sort_unstable();
    assert_eq!(
        open,
        ["XF-SECRET", "XF-SECRET-2", "YH-1"],
        "locate lists the open cases for staff"
    );
    for uri in [
        format!("/api/cases/{id}"),
        format!("/api/cases/{id}/history"),
        "/api/cases?kind=petition".into(),
        format!("/ogc/collections/cases/items/{id}"),
    ] {
        let reply = api.call(Method::GET, &uri, Some(&editor), None, None).await;
        let text = reply.body.to_string();
        assert!(
            text.contains("13800001234") && text.contains("张先生"),
            "{uri} hides the complainant from an editor"
        );
    }
}

fn section_text(r: &report::Report, code: &str) -> String {
    r.sections
        .iter()
        .find(|s| s.code == code)
        .unwrap()
        .text
        .clone()
}

const JUNE_CASEWORK: [&str; 2] = [
    "今年以来,共受理信访165件,已解决138件,其他27件正在处理中。",
    "今年以来,抽查5家企业应急预案,发现问题6个,均已整改完成;隐患排查发现问题17个,其中重大风险隐患1个,14个问题已整改完成,剩余3个问题整改工作正在推进中。",
];

#[sqlx::test]
async fn the_report_states_the_casework_of_any_date_from_the_cases(pool: PgPool) {
    seed(&pool, &geodata_dir()).await.unwrap();
    let june = NaiveDate::from_ymd_opt(2025, 6, 30).unwrap();
    let before = report::build(&pool, june, None, Lang::Zh).await.unwrap();
    let safety = section_text(&before, "safety");
    for sentence in JUNE_CASEWORK {
        assert!(safety.contains(sentence), "{sentence} not in {safety}");
    }
    assert_eq!(
        section_text(&before, "casework"),
        "突出生态环境问题3项：国礼纺织问题（办理中：与企业对接政策，建议上级调整为整治提升类企业（示意））、金建码头问题（办理中：研究港口规划局部调整等方式，为申领经营许可创造条件（示意））、新闸排口问题（办理中：核查截污工程质量，重新开展管网排查溯源（示意））。"
    );
    let en = report::build(&pool, june, None, Lang::En).await.unwrap();
    assert!(section_text(&en, "safety").contains(
        "This year 165 petitions were received: 138 resolved and 27 in progress. Checks of 企业应急预案 at 5 firms found 6 problems, all rectified. The hazard checks found 17 problems, 1 of them major: 14 rectified and 3 still being rectified."
    ));

    // later edits: the major danger rectified, 国礼纺织 resolved, a new petition today
    let editor = user_with_token(&pool, "li", Role::Editor).await;
    let api = Api::new(pool.clone());
    for (code, to) in [("YH2025-001", "resolved"), ("TC2024-001", "resolved")] {
        let id = id_of(&pool, "casework", code).await;
        let version = api
            .call(
                Method::GET,
                &format!("/api/cases/{id}"),
                Some(&editor),
                None,
                None,
            )
            .await
            .body["version"]
            .as_i64()
            .unwrap();
        let (status, body) = transition(
            &api,
            &editor,
            id,
            version,
            json!({"to": to, "note": "已整改销项", "resolution": "整改到位"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let id = id_of(&pool, "casework", "YH2025-002").await;
    let read = api
        .call(
            Method::GET,
            &format!("/api/cases/{id}"),
            Some(&editor),
            None,
            None,
        )
        .await;
    let etag = read.headers["etag"].to_str().unwrap().to_string();
    let edit = api
        .call(
            Method::PATCH,
            &format!("/api/cases/{id}"),
            Some(&editor),
            Some(&etag),
            Some(json!({"severity": "major"})),
        )
        .await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.body);
    let mut new = petition("XF-TODAY", "air", today(), 119.87, 31.80);
    new["status"] = json!("resolved");
    new["resolution"] = json!("已答复");
    create(&api, &editor, new).await;

    let after = report::build(&pool, june, None, Lang::Zh).await.unwrap();
    assert_eq!(
        section_text(&after, "safety"),
        safety,
        "the June report is as it was"
    );
    assert_eq!(
        section_text(&after, "casework"),
        section_text(&before, "casework")
    );
    let now = report::build(&pool, today(), None, Lang::Zh).await.unwrap();
    let safety_now = section_text(&now, "safety");
    assert!(
        safety_now.contains("今年以来,共受理信访1件,已解决1件。"),
        "{safety_now}"
    );
    assert!(
        section_text(&now, "casework")
            .starts_with("突出生态环境问题3项：国礼纺织问题（已办结：已整改销项）")
    );
}
