//! OGC API - Features Part 4: editors create, replace, patch and delete site features; each
//! edit shows in the JSON API and in the site's history, and ETags guard against stale writes.

use crate::api::{Api, fixtures, id_of, user_with_token};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use remediation_tracker::domain::account::Role;
use serde_json::{Value, json};
use sqlx::PgPool;
use tower::ServiceExt;

/// Sends a request with the given headers and JSON body; returns status, headers and body.
async fn send(
    api: &Api,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
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

async fn history(api: &Api, id: i64) -> Vec<Value> {
    let reply = api.get(&format!("/api/sites/{id}/history")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body.as_array().unwrap().clone()
}

#[sqlx::test]
async fn editors_edit_site_features_with_history_and_etags(pool: PgPool) {
    fixtures(&pool).await;
    let api = Api::new(pool.clone());
    let editor = format!(
        "Bearer {}",
        user_with_token(&pool, "ed", Role::Editor).await
    );
    let viewer = format!(
        "Bearer {}",
        user_with_token(&pool, "vi", Role::Viewer).await
    );
    let geojson = ("content-type", "application/geo+json");
    let items = "/ogc/collections/outfall/items";

    let (status, headers, _) = send(&api, Method::OPTIONS, items, &[], None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(headers["allow"], "GET, HEAD, POST, OPTIONS");
    let (_, headers, _) = send(&api, Method::OPTIONS, &format!("{items}/1"), &[], None).await;
    assert_eq!(headers["allow"], "GET, HEAD, PUT, PATCH, DELETE, OPTIONS");
    let (_, headers, _) = send(
        &api,
        Method::OPTIONS,
        "/ogc/collections/admin_area/items",
        &[],
        None,
    )
    .await;
    assert_eq!(headers["allow"], "GET, HEAD, OPTIONS");

    let new_outfall = json!({
        "type": "Feature",
        "properties": { "code": "OF-9", "name": "新排口", "outfall_type": "other" },
        "geometry": { "type": "Point", "coordinates": [119.861, 31.801] }
    });
    let (status, _, _) = send(
        &api,
        Method::POST,
        items,
        &[geojson],
        Some(new_outfall.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = send(
        &api,
        Method::POST,
        items,
        &[geojson, ("authorization", &viewer)],
        Some(new_outfall.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, headers, body) = send(
        &api,
        Method::POST,
        items,
        &[geojson, ("authorization", &editor)],
        Some(new_outfall),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = id_of(&pool, "site", "OF-9").await;
    assert!(
        headers["location"]
            .to_str()
            .unwrap()
            .ends_with(&format!("{items}/{id}"))
    );
    assert_eq!(headers["etag"], "\"1\"");
    assert_eq!(body["properties"]["name"], "新排口");
    let site = api.get(&format!("/api/sites/{id}")).await.body;
    assert_eq!(
        (site["kind"].as_str(), site["town_code"].as_str()),
        (Some("outfall"), Some("320404007"))
    );
    let events = history(&api, id).await;
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0]["kind"].as_str(), events[0]["actor"].as_str()),
        (Some("created"), Some("ed"))
    );
    assert_eq!(
        events[0]["changes"]["name"],
        json!({ "before": null, "after": "新排口" })
    );

    // a merge patch with the ETag of the read
    let item = format!("{items}/{id}");
    let (_, headers, _) = send(&api, Method::GET, &item, &[], None).await;
    assert_eq!(headers["etag"], "\"1\"");
    let patch = [
        ("content-type", "application/merge-patch+json"),
        ("authorization", &editor),
        ("if-match", "\"1\""),
    ];
    let (status, headers, body) = send(
        &api,
        Method::PATCH,
        &item,
        &patch,
        Some(json!({ "properties": { "name": "新闸新排口" } })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["etag"], "\"2\"");
    assert_eq!(
        api.get(&format!("/api/sites/{id}")).await.body["name"],
        "新闸新排口"
    );
    let events = history(&api, id).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["kind"], "edited");
    assert_eq!(
        events[1]["changes"],
        json!({ "name": { "before": "新排口", "after": "新闸新排口" } })
    );

    // a stale replace changes nothing and returns the current state
    let replacement = json!({
        "type": "Feature",
        "properties": { "code": "OF-9", "name": "旧名", "outfall_type": "wwtp" },
        "geometry": { "type": "Point", "coordinates": [119.862, 31.802] }
    });
    let stale = [geojson, ("authorization", &editor), ("if-match", "\"1\"")];
    let (status, _, body) = send(&api, Method::PUT, &item, &stale, Some(replacement)).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(body["current"]["name"], "新闸新排口");
    assert_eq!(history(&api, id).await.len(), 2);

    // a replace without If-Match (as QGIS sends it), latitude first in EPSG:4326
    let replacement = json!({
        "type": "Feature",
        "properties": { "code": "OF-9", "name": "旧名", "outfall_type": "wwtp" },
        "geometry": { "type": "Point", "coordinates": [31.802, 119.862] }
    });
    let put = [
        geojson,
        ("authorization", &editor),
        (
            "content-crs",
            "<http://www.opengis.net/def/crs/EPSG/0/4326>",
        ),
    ];
    let (status, headers, body) =
        send(&api, Method::PUT, &item, &put, Some(replacement.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["etag"], "\"3\"");
    let site = api.get(&format!("/api/sites/{id}")).await.body;
    assert_eq!(site["geometry"]["coordinates"], json!([119.862, 31.802]));
    assert_eq!(site["attrs"]["outfall_type"], "wwtp");
    let events = history(&api, id).await;
    let mut changed: Vec<&String> = events[2]["changes"].as_object().unwrap().keys().collect();
    changed.sort();
    assert_eq!(changed, ["geometry", "name", "outfall_type"]);
    // the same replace again changes nothing and records nothing
    let (status, headers, _) = send(&api, Method::PUT, &item, &put, Some(replacement)).await;
    assert_eq!(
        (status, headers["etag"].to_str().unwrap()),
        (StatusCode::OK, "\"3\"")
    );
    assert_eq!(history(&api, id).await.len(), 3);

    // bad bodies and read-only collections
    let (status, _, body) = send(
        &api,
        Method::POST,
        items,
        &[geojson, ("authorization", &editor)],
        Some(json!({"type": "FeatureCollection", "features": []})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["detail"],
        "the body must be a GeoJSON Feature, not a \"FeatureCollection\""
    );
    let (status, _, _) = send(
        &api,
        Method::POST,
        "/ogc/collections/admin_area/items",
        &[geojson, ("authorization", &editor)],
        Some(json!({"type": "Feature"})),
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let (status, _, _) = send(
        &api,
        Method::DELETE,
        &format!("/ogc/collections/river/items/{id}"),
        &[("authorization", &editor)],
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "an outfall is not in the river collection"
    );

    // a linked site cannot be deleted; an unlinked one can, and its history stays
    let linked = id_of(&pool, "site", "OF-1").await;
    let (status, _, body) = send(
        &api,
        Method::DELETE,
        &format!("{items}/{linked}"),
        &[("authorization", &editor)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        body["detail"],
        format!(
            "site {linked} (OF-1) is linked to project(s) P-2; unlink it from them first; nothing was deleted"
        )
    );
    let (status, _, _) = send(
        &api,
        Method::DELETE,
        &item,
        &[("authorization", &editor), ("if-match", "\"3\"")],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        send(&api, Method::GET, &item, &[], None).await.0,
        StatusCode::NOT_FOUND
    );
    let events = history(&api, id).await;
    assert_eq!(events.len(), 4);
    assert_eq!(events[3]["kind"], "deleted");
    assert_eq!(
        events[3]["changes"]["code"],
        json!({ "before": "OF-9", "after": null })
    );
    assert_eq!(
        api.get("/api/sites/999999/history").await.status,
        StatusCode::NOT_FOUND
    );
}
