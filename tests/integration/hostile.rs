//! Hostile input: SQL injection in every filter and path parameter, non-finite and huge numbers,
//! invalid UTF-8, deep JSON, an oversized polygon, unknown CRSs, a bbox across the antimeridian.
//! Every case gets a 4xx problem with a message (or, for free text, an empty answer), never a
//! 5xx, and nothing stored changes.

use crate::api::{Api, fixtures, user_with_token};
use crate::common::digest;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use remediation_tracker::domain::account::Role;
use serde_json::{Value, json};
use sqlx::PgPool;

const INJECTIONS: [&str; 5] = [
    "' OR '1'='1",
    "1; DROP TABLE site; --",
    "\") OR 1=1 --",
    "%27%20OR%201%3D1",
    "x' UNION SELECT password_hash FROM app_user --",
];

fn get(uri: &str, token: &str) -> Request<Body> {
    Request::get(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

fn post(uri: &str, token: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(body.into())
        .unwrap()
}

/// A refusal a person can act on: 4xx, problem+json, a detail.
fn assert_refused(uri: &str, (status, headers, body): &(StatusCode, HeaderMap, Value)) {
    assert!(status.is_client_error(), "{uri}: {status} {body}");
    assert_eq!(headers["content-type"], "application/problem+json", "{uri}");
    assert!(
        !body["detail"].as_str().unwrap_or("").is_empty(),
        "{uri}: {body}"
    );
}

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[sqlx::test]
async fn injections_in_every_filter_and_path_are_refused_or_inert(pool: PgPool) {
    fixtures(&pool).await;
    let admin = user_with_token(&pool, "admin", Role::Admin).await;
    let api = Api::new(pool.clone());
    let before = digest(&pool).await;

    // closed vocabularies and typed values: refused with a message
    let refused = [
        "/api/projects?status={}",
        "/api/projects?category={}",
        "/api/projects?sort={}",
        "/api/projects?updated_since={}",
        "/api/projects?limit={}",
        "/api/projects?offset={}",
        "/api/projects?near={}",
        "/api/projects?bbox={}",
        "/api/projects?crs={}",
        "/api/projects/{}",
        "/api/projects/{}/history",
        "/api/sites?kind={}",
        "/api/sites?state={}",
        "/api/sites/{}",
        "/api/locate?lon={}&lat=31.8",
        "/api/locate?lon=119.9&lat=31.8&radius={}",
        "/api/zones/{}/clearance",
        "/api/layers/{}",
        "/api/reports?as_of={}",
        "/api/reports?format={}",
        "/api/audit?action={}",
        "/api/audit?since={}",
        "/ogc/collections/{}",
        "/ogc/collections/{}/items",
        "/ogc/collections/river/items?limit={}",
        "/ogc/collections/river/items?bbox={}",
        "/ogc/collections/river/items?crs={}",
        "/ogc/collections/river/items?bbox-crs={}&bbox=1,2,3,4",
        "/ogc/collections/river/items?datetime={}",
        "/ogc/collections/river/items?filter={}",
        "/ogc/collections/river/items/{}",
        "/tiles/{}/1/1/1.mvt",
        "/tiles/sites/{}/1/1.mvt",
        "/tiles/{}.json",
    ];
    for pattern in refused {
        for injection in INJECTIONS {
            let uri = pattern.replace("{}", &encode(injection));
            let reply = api.send(get(&uri, &admin)).await;
            assert_refused(&uri, &reply);
        }
    }

    // free text: searched for as text, found nowhere
    for pattern in [
        "/api/projects?q={}",
        "/api/sites?q={}",
        "/api/projects?programme={}",
        "/api/projects?town={}",
        "/api/audit?actor={}",
        "/api/audit?target={}",
    ] {
        for injection in INJECTIONS {
            let uri = pattern.replace("{}", &encode(injection));
            let (status, _, body) = api.send(get(&uri, &admin)).await;
            assert!(
                status == StatusCode::OK || status.is_client_error(),
                "{uri}: {status} {body}"
            );
            if status == StatusCode::OK {
                assert_eq!(body["total"], 0, "{uri}: {body}");
            }
        }
    }
    // a token made of an injection is just a wrong token
    let (status, _, _) = api.send(get("/api/auth/me", INJECTIONS[0])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(digest(&pool).await, before, "nothing stored changed");
}

#[sqlx::test]
async fn numbers_crs_and_bodies_out_of_bounds_are_refused(pool: PgPool) {
    fixtures(&pool).await;
    let editor = user_with_token(&pool, "editor", Role::Editor).await;
    let api = Api::new(pool.clone());
    let before = digest(&pool).await;

    for uri in [
        "/api/locate?lon=NaN&lat=31.8",
        "/api/locate?lon=inf&lat=31.8",
        "/api/locate?lon=-Infinity&lat=31.8",
        "/api/locate?lon=1e309&lat=31.8",
        "/api/locate?lon=119.9&lat=1e400",
        "/api/locate?lon=119.9&lat=31.8&radius=NaN",
        "/api/locate?lon=119.9&lat=31.8&radius=1e308",
        "/api/locate?lon=119.9&lat=31.8&radius=-5",
        "/api/locate?lon=119.9&lat=31.8&crs=EPSG:9999",
        "/api/locate?lon=119.9&lat=31.8&crs=EPSG:3857",
        "/api/sites?near=NaN,31.8&radius=100",
        "/api/sites?bbox=170,-10,-170,10",
        "/api/sites?bbox=0,0,1,NaN",
        "/api/sites?bbox=-1e400,0,1,1",
        "/api/sites?bbox=-180,-90,180,90",
        "/api/projects?bbox=100,20,120,40",
        "/api/projects?limit=99999999999999999999",
        "/api/projects?offset=-1",
        "/ogc/collections/river/items?bbox=170,-10,-170,10",
        "/ogc/collections/river/items?limit=0",
        "/ogc/collections/river/items?limit=10001",
        "/ogc/collections/river/items?offset=1e99",
        "/ogc/collections/river/items?crs=http://www.opengis.net/def/crs/EPSG/0/9999",
        "/tiles/sites/31/0/0.mvt",
        "/tiles/sites/3/8/0.mvt",
        "/api/reports?as_of=99999-01-01",
    ] {
        let reply = api.send(get(uri, &editor)).await;
        assert_refused(uri, &reply);
    }

    // bodies: invalid UTF-8, deep nesting, huge and non-finite numbers, a 10 MB polygon
    let mut deep = String::new();
    for _ in 0..5000 {
        deep.push('[');
    }
    let ring: Vec<Vec<f64>> = (0..400_000)
        .map(|i| {
            let a = i as f64 / 400_000.0 * std::f64::consts::TAU;
            vec![119.9 + 0.01 * a.cos(), 31.8 + 0.01 * a.sin()]
        })
        .collect();
    let big = json!({"type": "Polygon", "coordinates": [ring]}).to_string();
    assert!(big.len() > 10 << 20, "{} bytes", big.len());
    let bodies: Vec<(&str, Body)> = vec![
        (
            "invalid UTF-8",
            Body::from(vec![b'{', b'"', 0xff, 0xfe, b'"', b':', b'1', b'}']),
        ),
        ("deeply nested", Body::from(deep)),
        (
            "huge number",
            Body::from(r#"{"type":"Polygon","coordinates":[[[1e400,0],[1,0],[1,1],[1e400,0]]]}"#),
        ),
        (
            "NaN",
            Body::from(r#"{"type":"Polygon","coordinates":[[[NaN,0],[1,0],[1,1],[NaN,0]]]}"#),
        ),
        (
            "out of range",
            Body::from(r#"{"type":"Polygon","coordinates":[[[999,0],[1,0],[1,1],[999,0]]]}"#),
        ),
        (
            "not closed",
            Body::from(
                r#"{"type":"Polygon","coordinates":[[[119.9,31.8],[119.91,31.8],[119.91,31.81]]]}"#,
            ),
        ),
        (
            "a point",
            Body::from(r#"{"type":"Point","coordinates":[119.9,31.8]}"#),
        ),
        ("10 MB polygon", Body::from(big)),
    ];
    for (what, body) in bodies {
        let reply = api.send(post("/api/sites/search", &editor, body)).await;
        assert_refused(what, &reply);
        if what == "10 MB polygon" {
            assert_eq!(reply.0, StatusCode::PAYLOAD_TOO_LARGE);
            assert_eq!(
                reply.2["detail"],
                "the body is larger than the 2 MB this server accepts"
            );
        }
    }
    let create = api
        .send(post(
            "/api/projects",
            &editor,
            r#"{"code": "P-\u0000", "name": "x", "category": "water"}"#,
        ))
        .await;
    assert_refused("a NUL in a code", &create);
    let method = Request::builder()
        .method(Method::DELETE)
        .uri("/api/projects")
        .header("authorization", format!("Bearer {editor}"))
        .body(Body::empty())
        .unwrap();
    let (status, _, _) = api.send(method).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(digest(&pool).await, before, "nothing stored changed");
}
