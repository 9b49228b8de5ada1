//! The tile cache is never stale: writes through the API, and writes made straight in the
//! database by anyone, evict exactly the cached tiles that drew the old or the new state.

use crate::api::{Api, fixtures, id_of, user_with_token, web_dir};
use crate::tiles::{decode, fetch, tile_of};
use axum::http::{Method, StatusCode};
use remediation_tracker::domain::SiteKind;
use remediation_tracker::domain::account::Role;
use remediation_tracker::http::{AppState, HttpConfig};
use remediation_tracker::tile_cache::{TileKey, TileLayer, TileShift};
use serde_json::json;
use sqlx::PgPool;
use std::time::Duration;

async fn cached_api(pool: &PgPool) -> (Api, AppState) {
    let state = AppState::new(pool.clone(), HttpConfig::new(web_dir()));
    state.start_tile_cache();
    for _ in 0..200 {
        if state.tiles.is_active() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(state.tiles.is_active(), "the listener connected");
    (Api::with_state(state.clone()), state)
}

fn key(layer: TileLayer, (x, y): (u32, u32), z: u32) -> TileKey {
    TileKey {
        layer,
        z,
        x,
        y,
        shift: TileShift::None,
    }
}

#[sqlx::test]
async fn writes_evict_exactly_the_tiles_they_change(pool: PgPool) {
    fixtures(&pool).await;
    let (api, state) = cached_api(&pool).await;
    let editor = user_with_token(&pool, "ed", Role::Editor).await;
    let outfall_layer = TileLayer::Kind(SiteKind::Outfall);
    let outfall_tile = tile_of(119.86, 31.80, 14);
    let plot_tile = tile_of(119.95, 31.75, 14);
    let outfall_uri = format!(
        "/tiles/outfall/14/{}/{}.mvt",
        outfall_tile.0, outfall_tile.1
    );
    let plot_uri = format!(
        "/tiles/contaminated_plot/14/{}/{}.mvt",
        plot_tile.0, plot_tile.1
    );
    let world_uri = "/tiles/sites/0/0/0.mvt";
    for uri in [outfall_uri.as_str(), plot_uri.as_str(), world_uri] {
        assert_eq!(fetch(&api, uri, None).await.0, StatusCode::OK);
    }
    assert_eq!(state.tiles.usage().0, 3);
    let (_, headers, _) = fetch(&api, &outfall_uri, None).await;
    let first_etag = headers["etag"].to_str().unwrap().to_string();

    // a change made in the database by someone else: the project of OF-1 is accepted
    sqlx::query("UPDATE project SET status = 'accepted' WHERE code = 'P-2'")
        .execute(&pool)
        .await
        .unwrap();
    state.tiles.sync(&pool).await;
    let cached = |layer, tile, z| state.tiles.get(&key(layer, tile, z)).is_some();
    assert!(!cached(outfall_layer, outfall_tile, 14));
    assert!(!cached(TileLayer::AllSites, (0, 0), 0));
    assert!(
        cached(TileLayer::Kind(SiteKind::ContaminatedPlot), plot_tile, 14),
        "a tile elsewhere stays cached"
    );
    let (status, headers, bytes) = fetch(&api, &outfall_uri, Some(&first_etag)).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(headers["etag"].to_str().unwrap(), first_etag);
    assert_eq!(decode(&bytes).1[0].1["status"], "accepted");

    // moved through the API: the old tile loses the outfall and the new one has it at once
    let outfall = id_of(&pool, "site", "OF-1").await;
    let reply = api
        .call(
            Method::PATCH,
            &format!("/api/sites/{outfall}"),
            Some(&editor),
            Some("\"1\""),
            Some(json!({ "geometry": { "type": "Point", "coordinates": [119.95, 31.75] } })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let (status, _, _) = fetch(&api, &outfall_uri, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let moved_uri = format!("/tiles/outfall/14/{}/{}.mvt", plot_tile.0, plot_tile.1);
    let (status, _, bytes) = fetch(&api, &moved_uri, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(decode(&bytes).1[0].0, outfall as u64);
    assert!(
        cached(TileLayer::Kind(SiteKind::ContaminatedPlot), plot_tile, 14),
        "another layer's tile at the new place stays cached"
    );

    // served from the cache: the same bytes, gzipped for clients that accept it
    let request = axum::http::Request::get(&moved_uri)
        .header("accept-encoding", "gzip, br;q=0")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(api.router(), request)
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
}

#[sqlx::test]
async fn a_lost_listener_connection_empties_the_cache_and_reconnects(pool: PgPool) {
    fixtures(&pool).await;
    let (api, state) = cached_api(&pool).await;
    assert_eq!(
        fetch(&api, "/tiles/sites/0/0/0.mvt", None).await.0,
        StatusCode::OK
    );
    assert_eq!(state.tiles.usage().0, 1);
    let terminated: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND query LIKE 'LISTEN%') t",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(terminated, 1);
    // while disconnected nothing is served from the cache; then it is back, empty
    for _ in 0..500 {
        if state.tiles.usage().0 == 0 && state.tiles.is_active() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(state.tiles.usage().0, 0);
    assert!(state.tiles.is_active());
    assert_eq!(
        fetch(&api, "/tiles/sites/0/0/0.mvt", None).await.0,
        StatusCode::OK
    );
    assert_eq!(state.tiles.usage().0, 1);
}
