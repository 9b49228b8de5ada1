//! Vector tiles: decoded with geozero's MVT reader, they hold exactly the expected features and
//! attributes; ETags revalidate, a write changes the tile, empty tiles are 204.

use crate::api::{Api, fixtures, id_of};
use axum::body::Body;
use axum::http::{Method, StatusCode};
use geozero::mvt::{Message, Tile, tile};
use http_body_util::BodyExt;
use sqlx::PgPool;
use std::collections::BTreeMap;
use tower::ServiceExt;

/// The XYZ tile that contains a lon/lat at zoom z (Web Mercator).
pub fn tile_of(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let lat = lat.to_radians();
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor()
        as u32;
    (x, y)
}

pub async fn fetch(
    api: &Api,
    uri: &str,
    if_none_match: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut request = axum::http::Request::builder().method(Method::GET).uri(uri);
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    let response = api
        .router()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
}

/// A decoded feature: its id and its tags as text.
pub type Feature = (u64, BTreeMap<String, String>);

/// The name of the tile's one layer and its features, by id.
pub fn decode(bytes: &[u8]) -> (String, Vec<Feature>) {
    let tile = Tile::decode(bytes).unwrap();
    assert_eq!(tile.layers.len(), 1);
    let layer = &tile.layers[0];
    let value = |v: &tile::Value| {
        v.string_value
            .clone()
            .or(v.int_value.map(|i| i.to_string()))
            .or(v.uint_value.map(|i| i.to_string()))
            .or(v.sint_value.map(|i| i.to_string()))
            .or(v.double_value.map(|d| d.to_string()))
            .or(v.bool_value.map(|b| b.to_string()))
            .unwrap_or_default()
    };
    let mut features: Vec<Feature> = layer
        .features
        .iter()
        .map(|f| {
            let tags = f
                .tags
                .chunks(2)
                .map(|kv| {
                    (
                        layer.keys[kv[0] as usize].clone(),
                        value(&layer.values[kv[1] as usize]),
                    )
                })
                .collect();
            (f.id.unwrap_or_default(), tags)
        })
        .collect();
    features.sort_by_key(|(id, _)| *id);
    (layer.name.clone(), features)
}

#[sqlx::test]
async fn a_tile_holds_exactly_the_expected_features(pool: PgPool) {
    fixtures(&pool).await;
    let outfall = id_of(&pool, "site", "OF-1").await as u64;
    let api = Api::new(pool.clone());
    let (x, y) = tile_of(119.86, 31.80, 14);
    let (status, headers, bytes) =
        fetch(&api, &format!("/tiles/outfall/14/{x}/{y}.mvt"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-type"],
        "application/vnd.mapbox-vector-tile"
    );
    assert_eq!(headers["cache-control"], "no-cache");
    let (name, features) = decode(&bytes);
    assert_eq!(name, "outfall");
    let expected: BTreeMap<String, String> = [
        ("code", "OF-1"),
        ("name", "新闸排口"),
        ("kind", "outfall"),
        ("status", "completed"),
        ("remediation_state", "done"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(features, vec![(outfall, expected)]);

    // the combined layer holds every kind that touches the tile, key zones as their zone
    let (_, _, bytes) = fetch(&api, &format!("/tiles/sites/14/{x}/{y}.mvt"), None).await;
    let (name, features) = decode(&bytes);
    assert_eq!(name, "sites");
    let mut codes: Vec<String> = features
        .iter()
        .map(|(_, tags)| tags["code"].clone())
        .collect();
    codes.sort();
    assert_eq!(codes, ["KZ-1", "OF-1", "RV-1"]);
}

#[sqlx::test]
async fn etags_revalidate_and_a_write_changes_the_tile(pool: PgPool) {
    fixtures(&pool).await;
    let api = Api::new(pool.clone());
    let (x, y) = tile_of(119.86, 31.80, 14);
    let uri = format!("/tiles/outfall/14/{x}/{y}.mvt");
    let (_, headers, _) = fetch(&api, &uri, None).await;
    let etag = headers["etag"].to_str().unwrap().to_string();
    let (status, _, body) = fetch(&api, &uri, Some(&etag)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());

    sqlx::query("UPDATE project SET status = 'accepted' WHERE code = 'P-2'")
        .execute(&pool)
        .await
        .unwrap();
    let (status, headers, bytes) = fetch(&api, &uri, Some(&etag)).await;
    assert_eq!(status, StatusCode::OK, "the old ETag no longer matches");
    assert_ne!(headers["etag"].to_str().unwrap(), etag);
    let (_, features) = decode(&bytes);
    assert_eq!(features[0].1["status"], "accepted");
}

#[sqlx::test]
async fn empty_tiles_bad_addresses_and_tilejson(pool: PgPool) {
    fixtures(&pool).await;
    let api = Api::new(pool);
    let (status, _, body) = fetch(&api, "/tiles/outfall/14/0/0.mvt", None).await;
    assert_eq!((status, body.len()), (StatusCode::NO_CONTENT, 0));
    assert_eq!(
        fetch(&api, "/tiles/outfall/23/0/0.mvt", None).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        fetch(&api, "/tiles/outfall/2/4/0.mvt", None).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        fetch(&api, "/tiles/lake/2/1/1.mvt", None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        fetch(&api, "/tiles/outfall/2/1/1.png", None).await.0,
        StatusCode::NOT_FOUND
    );

    let reply = api.get("/tiles/river.json").await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = reply.body;
    assert_eq!(doc["tilejson"], "3.0.0");
    assert!(
        doc["tiles"][0]
            .as_str()
            .unwrap()
            .ends_with("/tiles/river/{z}/{x}/{y}.mvt")
    );
    assert_eq!(doc["bounds"], serde_json::json!([119.8, 31.8, 119.9, 31.8]));
    assert_eq!(doc["vector_layers"][0]["id"], "river");
    let mut fields: Vec<&String> = doc["vector_layers"][0]["fields"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "black_odor_grade",
            "code",
            "id",
            "kind",
            "latest_class",
            "latest_sampled_at",
            "meets_target",
            "name",
            "remediation_state",
            "soil_risk",
            "status"
        ]
    );
}

/// On a GCJ-02 basemap the map asks for shifted tiles: the outfall then lies in the tile that
/// holds its GCJ-02 position, not the one of its WGS84 position.
#[sqlx::test]
async fn shifted_tiles_put_sites_at_their_gcj02_position(pool: PgPool) {
    use remediation_tracker::domain::coords::wgs84_to_gcj02;
    fixtures(&pool).await;
    let api = Api::new(pool.clone());
    let (lon, lat) = wgs84_to_gcj02(119.86, 31.80);
    let wgs_tile = tile_of(119.86, 31.80, 17);
    let gcj_tile = tile_of(lon, lat, 17);
    assert_ne!(wgs_tile, gcj_tile);
    let codes = |bytes: &[u8]| -> Vec<String> {
        decode(bytes)
            .1
            .into_iter()
            .map(|(_, tags)| tags["code"].clone())
            .collect()
    };
    let (x, y) = gcj_tile;
    let (status, _, bytes) = fetch(
        &api,
        &format!("/tiles/outfall/17/{x}/{y}.mvt?shift=gcj02"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(codes(&bytes), ["OF-1"]);
    let (status, _, _) = fetch(&api, &format!("/tiles/outfall/17/{x}/{y}.mvt"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (x, y) = wgs_tile;
    let (status, _, bytes) = fetch(&api, &format!("/tiles/outfall/17/{x}/{y}.mvt"), None).await;
    assert_eq!(
        (status, codes(&bytes)),
        (StatusCode::OK, vec!["OF-1".to_string()])
    );
    let (status, _, _) = fetch(
        &api,
        &format!("/tiles/outfall/17/{x}/{y}.mvt?shift=gcj02"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = fetch(
        &api,
        &format!("/tiles/outfall/17/{x}/{y}.mvt?shift=bd09"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
