//! The JSON API driven through the router: accounts and roles, projects with locking and
//! history, location queries with exact answers, and bad input.

use crate::common::*;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use remediation_tracker::db::spatial::circle_box;
use remediation_tracker::db::users;
use remediation_tracker::domain::account::{self, Role};
use remediation_tracker::domain::coords::wgs84_to_gcj02;
use remediation_tracker::domain::{InputCrs, ProjectStatus, SiteKind};
use remediation_tracker::http::{AppState, HttpConfig, app};
use serde_json::{Value, json};
use sqlx::PgPool;
use tower::ServiceExt;

pub struct Api {
    router: Router,
    pub pool: PgPool,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Api {
    pub fn new(pool: PgPool) -> Self {
        Api::with_state(AppState::new(pool, HttpConfig::new(web_dir())))
    }

    pub fn with_state(state: AppState) -> Self {
        Api {
            pool: state.pool.clone(),
            router: app(state),
        }
    }

    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        if_match: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(v) = if_match {
            request = request.header("if-match", v);
        }
        let request = match body {
            Some(b) => request
                .header("content-type", "application/json")
                .body(Body::from(b.to_string()))
                .unwrap(),
            None => request.body(Body::empty()).unwrap(),
        };
        let (status, headers, body) = self.send(request).await;
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Sends a prepared request; the body as bytes.
    pub async fn send_raw(&self, request: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, bytes.to_vec())
    }

    /// Sends a prepared request; the body as JSON (Null when it is not JSON).
    pub async fn send(&self, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
        let (status, headers, bytes) = self.send_raw(request).await;
        (
            status,
            headers,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// POSTs a file as the body (an upload of the web app), with a token when given.
    pub async fn post_bytes(
        &self,
        uri: &str,
        token: Option<&str>,
        bytes: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header("content-type", "application/octet-stream");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let (status, _, body) = self.send(request.body(Body::from(bytes)).unwrap()).await;
        (status, body)
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.call(Method::GET, uri, None, None, None).await
    }
}

pub fn web_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("web")
}

/// A user with a personal token; returns the token.
pub async fn user_with_token(pool: &PgPool, name: &str, role: Role) -> String {
    let mut conn = pool.acquire().await.unwrap();
    // a throwaway hash: these users log in with their token only
    let id = users::create_user(
        &mut conn,
        name,
        role,
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
    )
    .await
    .unwrap();
    let (secret, digest) = account::new_secret();
    users::create_token(&mut conn, id, "tests", &digest)
        .await
        .unwrap();
    secret
}

/// Sites and projects with known geometry around 新闸/邹区 (towns split at 119.85°E).
pub async fn fixtures(pool: &PgPool) {
    insert_towns(pool).await;
    let sites = [
        (
            SiteKind::River,
            collection(vec![feature(
                json!({"code": "RV-1", "name": "童子河", "river_class": "main"}),
                json!({"type": "LineString", "coordinates": [[119.80, 31.80], [119.90, 31.80]]}),
            )]),
        ),
        (
            SiteKind::BlackOdorWater,
            collection(vec![feature(
                json!({"code": "BO-1", "name": "大周村中河", "category": "backyard"}),
                json!({"type": "LineString", "coordinates": [[119.880, 31.810], [119.882, 31.810]]}),
            )]),
        ),
        (
            SiteKind::Outfall,
            collection(vec![feature(
                json!({"code": "OF-1", "name": "新闸排口", "outfall_type": "other"}),
                point(119.86, 31.80),
            )]),
        ),
        (
            SiteKind::Enterprise,
            collection(vec![feature(
                json!({"code": "EN-1", "name": "国礼纺织", "sectors": ["textile"]}),
                point(119.87, 31.805),
            )]),
        ),
        (
            SiteKind::ContaminatedPlot,
            collection(vec![feature(
                json!({"code": "CP-1", "name": "地块", "plot_stage": "risk_control"}),
                square(119.95, 31.75, 0.001),
            )]),
        ),
        (
            SiteKind::KeyZone,
            collection(vec![feature(
                json!({"code": "KZ-1", "name": "重点区域", "zone_type": "air_station"}),
                point(119.87, 31.80),
            )]),
        ),
    ];
    for (kind, text) in sites {
        import_text(pool, text, kind, InputCrs::Wgs84, false)
            .await
            .unwrap();
    }
    sqlx::raw_sql(
        "INSERT INTO programme (code, name, category, target_count, target_start_rate) VALUES ('TAIHU', '太湖', 'water', 3, 0.7);
         INSERT INTO project (code, name, category, status, programme_id, town_code, responsible_unit)
         SELECT 'P-1', '黑臭水体整治', 'water', 'in_progress', id, '320404007', '新闸街道' FROM programme;
         INSERT INTO project (code, name, category, status, programme_id, town_code)
         SELECT 'P-2', '排口整治', 'water', 'completed', id, '320404007' FROM programme;
         INSERT INTO project (code, name, category, status, town_code) VALUES ('P-3', '地块管控', 'soil', 'planned', '320404007');
         INSERT INTO project_site SELECT p.id, s.id FROM project p, site s
         WHERE (p.code, s.code) IN (('P-1', 'BO-1'), ('P-2', 'OF-1'), ('P-3', 'CP-1'));",
    )
    .execute(pool)
    .await
    .unwrap();
}

pub async fn id_of(pool: &PgPool, table: &str, code: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE code = $1"))
        .bind(code)
        .fetch_one(pool)
        .await
        .unwrap()
}

fn codes(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap().to_string())
        .collect()
}

#[sqlx::test]
async fn locate_lists_town_sites_zones_and_projects(pool: PgPool) {
    fixtures(&pool).await;
    let api = Api::new(pool);
    let reply = api
        .get("/api/locate?lon=119.86&lat=31.80&radius=1500")
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let body = reply.body;
    assert_eq!(body["town"]["code"], "320404007");
    assert_eq!(codes(&body["sites"]), ["OF-1", "RV-1", "EN-1"]);
    assert_eq!(body["sites"][0]["distance_m"], 0.0);
    // a geodesic between two points on a parallel bends towards the pole: 1 m off here
    let river = body["sites"][1]["distance_m"].as_f64().unwrap();
    assert!((1.0..1.1).contains(&river), "RV-1 at {river} m");
    let en = body["sites"][2]["distance_m"].as_f64().unwrap();
    assert!((1050.0..1150.0).contains(&en), "EN-1 at {en} m");
    assert_eq!(body["sites"][0]["remediation_state"], "done");
    assert_eq!(codes(&body["key_zones"]), ["KZ-1"]);
    assert_eq!(codes(&body["projects"]), ["P-2"]);
    assert_eq!(body["projects"][0]["status"], "completed");

    // the default radius is 200 m; a wider one reaches the black-odor body and its project
    let body = api.get("/api/locate?lon=119.86&lat=31.80").await.body;
    assert_eq!(codes(&body["sites"]), ["OF-1", "RV-1"]);
    let body = api
        .get("/api/locate?lon=119.86&lat=31.80&radius=3000")
        .await
        .body;
    assert_eq!(codes(&body["sites"]), ["OF-1", "RV-1", "EN-1", "BO-1"]);
    assert_eq!(codes(&body["projects"]), ["P-2", "P-1"]);
    assert_eq!(body["projects"][1]["responsible_unit"], "新闸街道");
}

/// Distance searches start from `circle_box`: a point at the search radius in any direction,
/// as PostGIS's own geodesic puts it (`ST_Project` on the spheroid), must lie inside the box,
/// at the equator, in Jiangsu, near the poles and for every radius the API takes.
#[sqlx::test]
async fn the_search_box_holds_every_point_at_the_radius(pool: PgPool) {
    let mut checked = 0;
    for lat in [
        -89.9, -70.0, -45.0, 0.0, 20.0, 31.78, 34.9, 60.0, 80.0, 89.0,
    ] {
        for radius_m in [1.0, 200.0, 3000.0, 50_000.0] {
            let lon = 119.95;
            let b = circle_box(lon, lat, radius_m);
            let ring: Vec<(f64, f64)> = sqlx::query_as(
                "SELECT ST_X(p::geometry), ST_Y(p::geometry) FROM generate_series(0, 355, 5) az,
                 ST_Project(ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography, $3, radians(az)) p",
            )
            .bind(lon)
            .bind(lat)
            .bind(radius_m)
            .fetch_all(&pool)
            .await
            .unwrap();
            for (x, y) in ring {
                assert!(
                    (b.min_lon..=b.max_lon).contains(&x) && (b.min_lat..=b.max_lat).contains(&y),
                    "{radius_m} m from ({lon}, {lat}) reaches ({x}, {y}), outside {b:?}"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 10 * 4 * 72);
    // and in Jiangsu it is barely larger than the circle: 1 % taller, 1-2 % wider
    let b = circle_box(119.95, 31.78, 3000.0);
    let (east, north): (f64, f64) = sqlx::query_as(
        "SELECT ST_X(ST_Project(c, 3000, radians(90))::geometry), ST_Y(ST_Project(c, 3000, 0)::geometry)
         FROM (SELECT ST_SetSRID(ST_MakePoint(119.95, 31.78), 4326)::geography AS c) q",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let wider = (b.max_lon - 119.95) / (east - 119.95);
    let taller = (b.max_lat - 31.78) / (north - 31.78);
    assert!((1.0..1.02).contains(&wider), "{wider}");
    assert!((1.0..1.015).contains(&taller), "{taller}");
}

#[sqlx::test]
async fn other_crs_inputs_resolve_to_the_same_sites(pool: PgPool) {
    fixtures(&pool).await;
    let api = Api::new(pool);
    let wgs = api
        .get("/api/locate?lon=119.87&lat=31.803&radius=1100")
        .await
        .body;
    let (glon, glat) = wgs84_to_gcj02(119.87, 31.803);
    let gcj = api
        .get(&format!(
            "/api/locate?lon={glon}&lat={glat}&radius=1100&crs=gcj02"
        ))
        .await
        .body;
    let (x, y) = cgcs2000_gk120(119.87, 31.803);
    let gk = api
        .get(&format!(
            "/api/locate?lon={x}&lat={y}&radius=1100&crs=EPSG:4549"
        ))
        .await
        .body;
    let gk40 = api
        .get(&format!(
            "/api/locate?lon={}&lat={y}&radius=1100&crs=EPSG:4528",
            x + 40_000_000.0
        ))
        .await
        .body;
    assert_eq!(codes(&wgs["sites"]), ["EN-1", "RV-1", "OF-1"]);
    for other in [&gcj, &gk, &gk40] {
        assert_eq!(codes(&other["sites"]), codes(&wgs["sites"]));
        assert!(
            (other["lon"].as_f64().unwrap() - 119.87).abs() < 1e-5,
            "{}",
            other["lon"]
        );
        assert!(
            (other["lat"].as_f64().unwrap() - 31.803).abs() < 1e-5,
            "{}",
            other["lat"]
        );
    }
}

#[sqlx::test]
async fn near_bbox_town_and_polygon_filters(pool: PgPool) {
    fixtures(&pool).await;
    let api = Api::new(pool);
    let body = api
        .get("/api/sites?near=119.86,31.80&radius=1500")
        .await
        .body;
    assert_eq!(body["total"], 4);
    assert_eq!(codes(&body["items"]), ["OF-1", "RV-1", "KZ-1", "EN-1"]);
    let body = api
        .get("/api/sites?bbox=119.85,31.79,119.89,31.82&kind=outfall,black_odor_water")
        .await
        .body;
    assert_eq!(codes(&body["items"]), ["BO-1", "OF-1"]);
    let body = api.get("/api/sites?town=320404116").await.body;
    assert_eq!(
        codes(&body["items"]),
        ["RV-1"],
        "the river starts in 邹区镇"
    );
    let body = api.get("/api/sites?state=in_progress").await.body;
    assert_eq!(
        codes(&body["items"]),
        ["BO-1", "CP-1"],
        "planned work counts as in progress"
    );
    let body = api.get("/api/sites?state=done,none").await.body;
    assert_eq!(codes(&body["items"]), ["EN-1", "KZ-1", "OF-1", "RV-1"]);
    let body = api
        .get("/api/projects?near=119.86,31.80&radius=3000&sort=-code")
        .await
        .body;
    assert_eq!(codes(&body["items"]), ["P-2", "P-1"]);
    let body = api
        .get("/api/projects?bbox=119.94,31.74,119.96,31.76")
        .await
        .body;
    assert_eq!(codes(&body["items"]), ["P-3"]);
    let body = api
        .get("/api/projects?programme=TAIHU&status=in_progress,completed&limit=1")
        .await
        .body;
    assert_eq!(
        (body["total"].as_i64(), codes(&body["items"])),
        (Some(2), vec!["P-1".to_string()])
    );
    let body = api
        .get("/api/sites?kind=outfall,enterprise&offset=5")
        .await
        .body;
    assert_eq!(
        (
            body["total"].as_i64(),
            body["items"].as_array().map(Vec::len)
        ),
        (Some(2), Some(0)),
        "a page past the end still has the total"
    );
    let body = api
        .get("/api/sites?kind=outfall,enterprise&limit=1&offset=1")
        .await
        .body;
    assert_eq!(
        (body["total"].as_i64(), codes(&body["items"])),
        (Some(2), vec!["OF-1".to_string()])
    );
    let body = api.get("/api/projects?q=排口").await.body;
    assert_eq!(codes(&body["items"]), ["P-2"]);

    let area = json!({"type": "Polygon", "coordinates": [[[119.855, 31.795], [119.885, 31.795], [119.885, 31.815], [119.855, 31.815], [119.855, 31.795]]]});
    let reply = api
        .call(
            Method::POST,
            "/api/sites/search",
            None,
            None,
            Some(area.clone()),
        )
        .await;
    assert_eq!(
        codes(&reply.body["items"]),
        ["BO-1", "EN-1", "KZ-1", "OF-1", "RV-1"]
    );
    // geodesic metres from the area's centre (119.87, 31.805) to each site's own geometry
    let metres = |items: &Value| -> Vec<i64> {
        items
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["distance_m"].as_f64().expect("a distance").round() as i64)
            .collect()
    };
    assert_eq!(metres(&reply.body["items"]), [1097, 0, 554, 1097, 554]);
    let reply = api
        .call(Method::POST, "/api/projects/search", None, None, Some(area))
        .await;
    assert_eq!(codes(&reply.body["items"]), ["P-1", "P-2"]);
    assert_eq!(metres(&reply.body["items"]), [1097, 1097]);
}

#[sqlx::test]
async fn bad_location_input_gets_a_400_that_names_it(pool: PgPool) {
    fixtures(&pool).await;
    let api = Api::new(pool);
    let cases = [
        ("/api/locate?lon=abc&lat=31.8", "lon must be a number"),
        ("/api/locate?lon=119.8", "give the point as lon and lat"),
        (
            "/api/locate?lon=31.8&lat=119.9",
            "look like swapped lat/lon",
        ),
        ("/api/locate?lon=190&lat=31.8", "out of range"),
        (
            "/api/locate?lon=119.8&lat=31.8&radius=60000",
            "radius must be from 0 to 50000 metres",
        ),
        (
            "/api/locate?lon=119.8&lat=31.8&crs=EPSG:3857",
            "unsupported crs",
        ),
        (
            "/api/locate?lon=3519000&lat=494000&crs=EPSG:4549",
            "swapped axes",
        ),
        ("/api/sites?kind=lake", "unknown kind \"lake\""),
        ("/api/projects?status=done", "unknown status \"done\""),
        ("/api/projects?sort=colour", "cannot sort by \"colour\""),
        (
            "/api/projects?limit=0",
            "limit must be a whole number from 1 to 1000",
        ),
        ("/api/sites?bbox=119.9,31.8,119.8,31.9", "min ≤ max"),
        ("/api/sites?near=119.8", "near must be two numbers"),
        (
            "/api/projects?updated_since=yesterday",
            "updated_since must be a date",
        ),
    ];
    for (uri, message) in cases {
        let reply = api.get(uri).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{uri}: {}",
            reply.body
        );
        assert_eq!(
            reply.headers["content-type"], "application/problem+json",
            "{uri}"
        );
        let detail = reply.body["detail"].as_str().unwrap();
        assert!(detail.contains(message), "{uri}: {detail}");
    }
    let bowtie = json!({"type": "Polygon", "coordinates": [[[119.90, 31.80], [119.91, 31.81], [119.91, 31.80], [119.90, 31.81], [119.90, 31.80]]]});
    let polygon_cases = [
        (bowtie, "Self-intersection"),
        (
            json!({"type": "Point", "coordinates": [119.9, 31.8]}),
            "must be a Polygon or MultiPolygon",
        ),
        (
            json!({"type": "Polygon", "coordinates": [[[119.9, 31.8], [119.91, 31.8], [119.91, 31.81]]]}),
            "at least four positions",
        ),
        (json!({"type": "Polygon"}), "not a GeoJSON geometry"),
    ];
    for (body, message) in polygon_cases {
        let reply = api
            .call(Method::POST, "/api/sites/search", None, None, Some(body))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
        assert!(
            reply.body["detail"].as_str().unwrap().contains(message),
            "{}",
            reply.body["detail"]
        );
    }
}

#[sqlx::test]
async fn zone_clearance_counts_the_open_work_of_the_zones_campaign(pool: PgPool) {
    fixtures(&pool).await;
    let editor = user_with_token(&pool, "editor", Role::Editor).await;
    let zone = id_of(&pool, "site", "KZ-1").await;
    let api = Api::new(pool.clone());
    let clearance = || async { api.get(&format!("/api/zones/{zone}/clearance")).await.body };
    // KZ-1 is an air zone: the open water work on BO-1 inside it does not count
    let body = clearance().await;
    assert_eq!(body["campaign"], json!({"category": "air"}));
    assert_eq!(
        (body["open_count"].as_i64(), body["cleared"].as_bool()),
        (Some(0), Some(true))
    );
    assert_eq!(body["groups"], json!([]));
    assert_eq!(
        api.get("/api/stats").await.body["key_zones"],
        json!({"total": 1, "cleared": 1})
    );

    // a new open air project on an enterprise inside the zone makes it un-cleared
    let en1 = id_of(&pool, "site", "EN-1").await;
    let reply = api
        .call(
            Method::POST,
            "/api/projects",
            Some(&editor),
            None,
            Some(json!({"code": "AIR-1", "name": "VOCs整治", "category": "air", "status": "in_progress", "sites": [en1]})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let body = clearance().await;
    assert_eq!(body["open_count"], 1);
    assert_eq!(body["cleared"], false);
    assert_eq!(codes(&body["open_sites"]), ["EN-1"]);
    assert_eq!(
        body["groups"],
        json!([{"kind": "enterprise", "remediation_state": "in_progress", "count": 1}])
    );
    assert_eq!(
        api.get("/api/stats").await.body["key_zones"],
        json!({"total": 1, "cleared": 0})
    );

    // a zone of the water campaign counts the water work instead
    sqlx::query(
        "UPDATE site SET attrs = attrs || '{\"campaign_category\": \"water\"}' WHERE id = $1",
    )
    .bind(zone)
    .execute(&pool)
    .await
    .unwrap();
    let body = clearance().await;
    assert_eq!(body["campaign"], json!({"category": "water"}));
    assert_eq!(codes(&body["open_sites"]), ["BO-1"]);
    assert_eq!(
        body["groups"],
        json!([{"kind": "black_odor_water", "remediation_state": "in_progress", "count": 1}, {"kind": "outfall", "remediation_state": "done", "count": 1}])
    );
    let p1 = id_of(&pool, "project", "P-1").await;
    let reply = api
        .call(
            Method::POST,
            &format!("/api/projects/{p1}/transitions"),
            Some(&editor),
            Some("\"1\""),
            Some(json!({"to": "completed", "note": "清淤完成"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let body = clearance().await;
    assert_eq!(
        (body["open_count"].as_i64(), body["cleared"].as_bool()),
        (Some(0), Some(true))
    );
    let not_zone = id_of(&pool, "site", "OF-1").await;
    assert_eq!(
        api.get(&format!("/api/zones/{not_zone}/clearance"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[sqlx::test]
async fn every_transition_of_the_lifecycle(pool: PgPool) {
    let editor = user_with_token(&pool, "editor", Role::Editor).await;
    let api = Api::new(pool.clone());
    for from in ProjectStatus::ALL {
        for to in ProjectStatus::ALL {
            let code = format!("T-{from}-{to}");
            let reason = (from == ProjectStatus::Suspended).then_some("待资金");
            let id: i64 = sqlx::query_scalar("INSERT INTO project (code, name, category, status, status_reason) VALUES ($1, $1, 'water', $2, $3) RETURNING id")
                .bind(&code)
                .bind(from.as_str())
                .bind(reason)
                .fetch_one(&pool)
                .await
                .unwrap();
            let body = json!({"to": to.as_str(), "note": "test", "reason": "资金未落实"});
            let reply = api
                .call(
                    Method::POST,
                    &format!("/api/projects/{id}/transitions"),
                    Some(&editor),
                    Some("\"1\""),
                    Some(body),
                )
                .await;
            if from.can_move_to(to) {
                assert_eq!(
                    reply.status,
                    StatusCode::OK,
                    "{from} → {to}: {}",
                    reply.body
                );
                assert_eq!(reply.body["status"], to.as_str());
                assert_eq!(reply.headers["etag"], "\"2\"");
            } else {
                assert_eq!(reply.status, StatusCode::CONFLICT, "{from} → {to}");
                let allowed: Vec<&str> = from.allowed_next().iter().map(|s| s.as_str()).collect();
                let expected = if allowed.is_empty() {
                    "none: it is final".to_string()
                } else {
                    allowed.join(", ")
                };
                assert_eq!(
                    reply.body["detail"],
                    format!(
                        "a project cannot go from {from} to {to}; allowed from {from}: {expected}"
                    )
                );
            }
        }
    }
    let moved: i64 = sqlx::query_scalar("SELECT count(*) FROM project_event WHERE kind = 'status'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(moved, 17, "one event per allowed transition");
    // a suspension needs a reason
    let id: i64 = sqlx::query_scalar("INSERT INTO project (code, name, category, status) VALUES ('S', 'S', 'water', 'planned') RETURNING id").fetch_one(&pool).await.unwrap();
    let reply = api
        .call(
            Method::POST,
            &format!("/api/projects/{id}/transitions"),
            Some(&editor),
            Some("\"1\""),
            Some(json!({"to": "suspended", "note": "暂缓"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.body["detail"], "a suspension needs a reason");
}

#[sqlx::test]
async fn every_write_route_for_every_role(pool: PgPool) {
    fixtures(&pool).await;
    sqlx::query("INSERT INTO report_section (code, position, title_zh, title_en) VALUES ('water', 20, '水', 'Water')")
        .execute(&pool)
        .await
        .unwrap();
    let tokens = [
        (None, "anonymous"),
        (
            Some(user_with_token(&pool, "viewer", Role::Viewer).await),
            "viewer",
        ),
        (
            Some(user_with_token(&pool, "editor", Role::Editor).await),
            "editor",
        ),
        (
            Some(user_with_token(&pool, "admin", Role::Admin).await),
            "admin",
        ),
    ];
    let api = Api::new(pool.clone());
    let en = id_of(&pool, "site", "EN-1").await;
    for (n, (token, role)) in tokens.iter().enumerate() {
        // a project of its own per role, so each role meets the same states
        let p: i64 = sqlx::query_scalar("INSERT INTO project (code, name, category, status) VALUES ($1, 'matrix', 'water', 'planned') RETURNING id")
            .bind(format!("RM-{n}"))
            .fetch_one(&pool)
            .await
            .unwrap();
        let routes: Vec<(Method, String, Option<&str>, Value, Role)> = vec![
            (
                Method::POST,
                "/api/projects".into(),
                None,
                json!({"code": format!("NEW-{n}"), "name": "新项目", "category": "water"}),
                Role::Editor,
            ),
            (
                Method::PATCH,
                format!("/api/projects/{p}"),
                Some("project"),
                json!({"description": format!("edit {n}")}),
                Role::Editor,
            ),
            (
                Method::POST,
                format!("/api/projects/{p}/progress"),
                Some("project"),
                json!({"progress": 10 + n}),
                Role::Editor,
            ),
            (
                Method::POST,
                format!("/api/projects/{p}/sites"),
                Some("project"),
                json!({"site_id": en}),
                Role::Editor,
            ),
            (
                Method::DELETE,
                format!("/api/projects/{p}/sites/{en}"),
                Some("project"),
                Value::Null,
                Role::Editor,
            ),
            (
                Method::POST,
                format!("/api/projects/{p}/transitions"),
                Some("project"),
                json!({"to": "cancelled", "note": "n"}),
                Role::Editor,
            ),
            (
                Method::POST,
                "/api/sites".into(),
                None,
                json!({"kind": "outfall", "properties": {"code": format!("OF-N{n}"), "name": "排口", "outfall_type": "other"}, "geometry": {"type": "Point", "coordinates": [119.9, 31.8]}}),
                Role::Editor,
            ),
            (
                Method::PATCH,
                format!("/api/sites/{en}"),
                Some("site"),
                json!({"properties": {"address": format!("地址 {n}")}}),
                Role::Editor,
            ),
            (
                Method::POST,
                "/api/users".into(),
                None,
                json!({"username": format!("new{n}"), "password": "long enough", "role": "viewer"}),
                Role::Admin,
            ),
            (
                Method::POST,
                format!("/api/users/new{n}/disable"),
                None,
                Value::Null,
                Role::Admin,
            ),
            (
                Method::POST,
                "/api/auth/tokens".into(),
                None,
                json!({"name": "qgis"}),
                Role::Viewer,
            ),
            (
                Method::PUT,
                "/api/report-templates/sections/water".into(),
                None,
                json!({"code": "water", "position": 20, "title_zh": "水", "title_en": "Water", "template_zh": "{{ n }}", "template_en": "", "inventory": [], "lists_unprogrammed": false}),
                Role::Admin,
            ),
            (
                Method::PUT,
                "/api/report-templates/programmes/TAIHU".into(),
                None,
                json!({"section": "water", "position": 1, "figures": [], "template_zh": "", "template_en": ""}),
                Role::Admin,
            ),
        ];
        for (method, uri, versioned, body, needed) in routes {
            let tag = match versioned {
                Some(table) => {
                    let id = if table == "site" { en } else { p };
                    let v: i32 =
                        sqlx::query_scalar(&format!("SELECT version FROM {table} WHERE id = $1"))
                            .bind(id)
                            .fetch_one(&pool)
                            .await
                            .unwrap();
                    Some(format!("\"{v}\""))
                }
                None => None,
            };
            let body = (!body.is_null()).then_some(body);
            let reply = api
                .call(method.clone(), &uri, token.as_deref(), tag.as_deref(), body)
                .await;
            let expected: &[StatusCode] = match (token, *role) {
                (None, _) => &[StatusCode::UNAUTHORIZED],
                (_, r) if r.parse::<Role>().unwrap() < needed => &[StatusCode::FORBIDDEN],
                _ => &[StatusCode::OK, StatusCode::CREATED, StatusCode::NO_CONTENT],
            };
            assert!(
                expected.contains(&reply.status),
                "{role} {method} {uri}: {} {}",
                reply.status,
                reply.body
            );
        }
    }
}

#[sqlx::test]
async fn concurrent_edits_with_one_version_give_one_success(pool: PgPool) {
    fixtures(&pool).await;
    let editor = user_with_token(&pool, "editor", Role::Editor).await;
    let other = user_with_token(&pool, "colleague", Role::Editor).await;
    let p1 = id_of(&pool, "project", "P-1").await;
    let api = Api::new(pool.clone());
    let uri = format!("/api/projects/{p1}");
    let (a, b) = tokio::join!(
        api.call(
            Method::PATCH,
            &uri,
            Some(&editor),
            Some("\"1\""),
            Some(json!({"progress": 40, "note": "mine"}))
        ),
        api.call(
            Method::PATCH,
            &uri,
            Some(&other),
            Some("\"1\""),
            Some(json!({"progress": 55, "note": "theirs"}))
        ),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::PRECONDITION_FAILED]);
    let (winner, loser) = if a.status == StatusCode::OK {
        (a, b)
    } else {
        (b, a)
    };
    assert_eq!(loser.body["current"]["version"], 2);
    assert_eq!(loser.body["current"]["progress"], winner.body["progress"]);
    let events: i64 =
        sqlx::query_scalar("SELECT count(*) FROM project_event WHERE project_id = $1")
            .bind(p1)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(events, 1);
    // without any version the write is refused before anything happens
    let reply = api
        .call(
            Method::PATCH,
            &uri,
            Some(&editor),
            None,
            Some(json!({"progress": 60})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::PRECONDITION_REQUIRED);
    // the version may come in the body instead
    let reply = api
        .call(
            Method::PATCH,
            &uri,
            Some(&editor),
            None,
            Some(json!({"progress": 60, "version": 2})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.headers["etag"], "\"3\"");
}

#[sqlx::test]
async fn history_matches_the_writes_one_to_one(pool: PgPool) {
    fixtures(&pool).await;
    let editor = user_with_token(&pool, "editor", Role::Editor).await;
    let api = Api::new(pool.clone());
    let en = id_of(&pool, "site", "EN-1").await;
    let reply = api.call(Method::POST, "/api/projects", Some(&editor), None,
        Some(json!({"code": "GL-1", "name": "国礼纺织整改", "category": "water", "programme": "TAIHU", "town_code": "320404007", "sites": [en], "note": "列入整改"}))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["programme"], "TAIHU");
    let id = reply.body["id"].as_i64().unwrap();
    let uri = format!("/api/projects/{id}");
    let steps: Vec<(Method, String, Value)> = vec![
        (
            Method::PATCH,
            uri.clone(),
            json!({"responsible_unit": "新闸街道", "planned_end": "2025-12-31", "note": "明确责任单位"}),
        ),
        (
            Method::PATCH,
            uri.clone(),
            json!({"responsible_unit": "新闸街道"}),
        ),
        (
            Method::POST,
            format!("{uri}/transitions"),
            json!({"to": "preparing", "note": "方案编制"}),
        ),
        (
            Method::POST,
            format!("{uri}/progress"),
            json!({"progress": 20, "note": "方案完成"}),
        ),
        (
            Method::POST,
            format!("{uri}/progress"),
            json!({"progress": 20}),
        ),
        (Method::DELETE, format!("{uri}/sites/{en}"), Value::Null),
        (
            Method::POST,
            format!("{uri}/sites"),
            json!({"site_id": en, "note": "重新关联"}),
        ),
        (
            Method::POST,
            format!("{uri}/transitions"),
            json!({"to": "suspended", "note": "暂缓", "reason": "待资金"}),
        ),
    ];
    for (method, path, body) in steps {
        let version = api.get(&uri).await.headers["etag"]
            .to_str()
            .unwrap()
            .to_string();
        let reply = api
            .call(
                method,
                &path,
                Some(&editor),
                Some(&version),
                (!body.is_null()).then_some(body),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
    }
    let history = api.get(&format!("{uri}/history")).await.body;
    let kinds: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "created", "edit", "status", "progress", "unlink", "link", "status"
        ],
        "no-op writes record nothing"
    );
    let edit = &history[1];
    assert_eq!(edit["actor"], "editor");
    assert_eq!(edit["note"], "明确责任单位");
    assert_eq!(
        edit["changes"],
        json!({"responsible_unit": {"before": null, "after": "新闸街道"}, "planned_end": {"before": null, "after": "2025-12-31"}})
    );
    assert_eq!(history[6]["from_status"], "preparing");
    assert_eq!(history[6]["to_status"], "suspended");
    let project = api.get(&uri).await;
    assert_eq!(project.body["status_reason"], "待资金");
    assert_eq!(project.body["version"], 7, "one version per recorded write");
}

#[sqlx::test]
async fn login_sessions_and_tokens(pool: PgPool) {
    let hash = account::hash_password("a long password").unwrap();
    let mut conn = pool.acquire().await.unwrap();
    users::create_user(&mut conn, "zhang", Role::Editor, &hash)
        .await
        .unwrap();
    drop(conn);
    let api = Api::new(pool.clone());
    let bad = api
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            None,
            Some(json!({"username": "zhang", "password": "wrong"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad.body["detail"], "wrong username or password");
    let nobody = api
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            None,
            Some(json!({"username": "nobody", "password": "whatever1"})),
        )
        .await;
    assert_eq!(nobody.body["detail"], "wrong username or password");

    let ok = api
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            None,
            Some(json!({"username": "zhang", "password": "a long password"})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body["role"], "editor");
    let cookie = ok.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("rt_session="), "{cookie}");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    let session = cookie.split(';').next().unwrap().to_string();
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM user_session")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 1, "sessions live in PostgreSQL");

    let with_cookie = |method: Method, uri: &str, body: Option<Value>| {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("cookie", session.clone());
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        request
            .body(body.map_or(Body::empty(), |b| Body::from(b.to_string())))
            .unwrap()
    };
    let me = api
        .router
        .clone()
        .oneshot(with_cookie(Method::GET, "/api/auth/me", None))
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let created = api
        .router
        .clone()
        .oneshot(with_cookie(
            Method::POST,
            "/api/auth/tokens",
            Some(json!({"name": "QGIS"})),
        ))
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value =
        serde_json::from_slice(&created.into_body().collect().await.unwrap().to_bytes()).unwrap();
    let token = created["token"].as_str().unwrap().to_string();
    assert_eq!(
        api.call(Method::GET, "/api/auth/me", Some(&token), None, None)
            .await
            .body["username"],
        "zhang"
    );

    let logout = api
        .router
        .clone()
        .oneshot(with_cookie(Method::POST, "/api/auth/logout", None))
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let me = api
        .router
        .clone()
        .oneshot(with_cookie(Method::GET, "/api/auth/me", None))
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "the session ended");

    let id = created["id"].as_i64().unwrap();
    let reply = api
        .call(
            Method::DELETE,
            &format!("/api/auth/tokens/{id}"),
            Some(&token),
            None,
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let reply = api
        .call(Method::GET, "/api/auth/me", Some(&token), None, None)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.body["detail"], "the API token is unknown or revoked");
}

#[sqlx::test]
async fn reads_can_require_a_login(pool: PgPool) {
    let viewer = user_with_token(&pool, "viewer", Role::Viewer).await;
    let config = HttpConfig {
        require_login_for_read: true,
        ..HttpConfig::new(web_dir())
    };
    let api = Api::with_state(AppState::new(pool, config));
    assert_eq!(
        api.get("/api/projects").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api.get("/api/layers/river").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api.call(Method::GET, "/api/projects", Some(&viewer), None, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        api.get("/api/openapi.json").await.status,
        StatusCode::UNAUTHORIZED
    );
    // without the setting, reads are anonymous
    let open = Api::new(api.pool.clone());
    assert_eq!(open.get("/api/projects").await.status, StatusCode::OK);
}

#[sqlx::test]
async fn stats_count_by_status_and_rate_against_targets(pool: PgPool) {
    fixtures(&pool).await;
    let body = Api::new(pool.clone()).get("/api/stats").await.body;
    assert_eq!(body["total_projects"], 3);
    let status: Vec<(String, i64)> = body["by_status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["key"].as_str().unwrap().to_string(),
                c["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        status[..4],
        [
            ("planned".into(), 1),
            ("preparing".into(), 0),
            ("in_progress".into(), 1),
            ("completed".into(), 1)
        ]
    );
    let taihu = &body["programmes"][0];
    assert_eq!(taihu["code"], "TAIHU");
    assert_eq!(
        (
            taihu["total"].as_i64(),
            taihu["started"].as_i64(),
            taihu["completed"].as_i64()
        ),
        (Some(2), Some(2), Some(1))
    );
    assert_eq!(taihu["start_rate"], 1.0);
    assert_eq!(taihu["completion_rate"], 0.5);
    assert_eq!(taihu["target_start_rate"], 0.7);
    assert_eq!(taihu["start_target_met"], true);

    // BO-1's project names no stage; KZ-1's 3 km reach BO-1, but its open work is water work,
    // and KZ-1 is an air zone
    assert_eq!(
        body["black_odor_by_stage"],
        json!([{"key": "unstaged", "name": null, "count": 1}])
    );
    assert_eq!(body["key_zones"], json!({"total": 1, "cleared": 1}));
    sqlx::query("UPDATE project SET status = 'completed', stage = 'filled' WHERE code = 'P-1'")
        .execute(&pool)
        .await
        .unwrap();
    let body = Api::new(pool).get("/api/stats").await.body;
    assert_eq!(
        body["black_odor_by_stage"],
        json!([{"key": "filled", "name": null, "count": 1}])
    );
    assert_eq!(body["key_zones"], json!({"total": 1, "cleared": 1}));
}

#[sqlx::test]
async fn the_openapi_document_covers_every_route(pool: PgPool) {
    let doc = Api::new(pool).get("/api/openapi.json").await.body;
    assert!(doc["openapi"].as_str().unwrap().starts_with('3'));
    let paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for path in [
        "/api/auth/login",
        "/api/auth/logout",
        "/api/auth/me",
        "/api/auth/tokens",
        "/api/auth/tokens/{id}",
        "/api/users",
        "/api/users/{username}/disable",
        "/api/layers/{layer}",
        "/api/projects",
        "/api/projects/{id}",
        "/api/projects/{id}/transitions",
        "/api/projects/{id}/progress",
        "/api/projects/{id}/sites",
        "/api/projects/{id}/sites/{site_id}",
        "/api/projects/{id}/history",
        "/api/projects/search",
        "/api/sites",
        "/api/sites/{id}",
        "/api/sites/{id}/history",
        "/api/sites/search",
        "/api/locate",
        "/api/zones/{id}/clearance",
        "/api/stats",
        "/api/audit",
        "/api/settings",
        "/api/auth/session",
        "/api/reports",
        "/api/report-templates",
        "/api/report-templates/sections/{code}",
        "/api/report-templates/programmes/{code}",
        "/api/cases",
        "/api/cases/import",
        "/api/cases/repeats",
        "/api/cases/hotspots",
        "/api/cases/summary",
        "/api/cases/{id}",
        "/api/cases/{id}/transitions",
        "/api/cases/{id}/history",
        "/api/projects/{id}/attachments",
        "/api/sites/{id}/attachments",
        "/api/cases/{id}/attachments",
        "/api/attachments/{id}",
        "/api/attachments/{id}/purge",
        "/api/attachments/{id}/thumbnail",
        "/api/attachments/photos",
        "/api/imports",
        "/api/export",
        "/api/projects/update",
        "/ogc",
        "/ogc/api",
        "/ogc/conformance",
        "/ogc/collections",
        "/ogc/collections/{id}",
        "/ogc/collections/{id}/queryables",
        "/ogc/collections/{id}/items",
        "/ogc/collections/{id}/items/{feature_id}",
        "/tiles/{layer}/{z}/{x}/{y}.mvt",
        "/tiles/{layer}.json",
    ] {
        assert!(paths.contains(&path), "{path} missing from {paths:?}");
    }
    assert_eq!(paths.len(), 69);
    // clients name operations by their id (code generators, the spec validator): each is unique
    let mut ids: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count, "operation ids repeat");
    let item = &doc["paths"]["/ogc/collections/{id}/items/{feature_id}"];
    for method in ["get", "put", "patch", "delete", "options"] {
        assert!(item[method].is_object(), "{method} of an OGC item");
    }
    let items: Vec<&str> = doc["paths"]["/ogc/collections/{id}/items"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for name in [
        "bbox",
        "bbox-crs",
        "limit",
        "offset",
        "datetime",
        "crs",
        "filter",
        "filter-lang",
        "filter-crs",
    ] {
        assert!(items.contains(&name), "{name} in {items:?}");
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    let locate = &doc["paths"]["/api/locate"]["get"]["parameters"];
    let names: Vec<&str> = locate
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["lon", "lat", "radius", "crs"]);
}
