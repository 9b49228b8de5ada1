//! OGC API - Features Part 4 on the site collections, for editors: POST a feature to
//! `/items`, PUT (replace), PATCH (JSON merge patch) and DELETE on `/items/{featureId}`, and
//! OPTIONS answering which of these a resource allows (QGIS enables editing from it).
//!
//! Writes go through the same path as `/api/sites`, so each records the same history. An
//! `If-Match` with the ETag of a read is checked (412 and nothing changed when stale); without
//! one the write applies to the current version, because QGIS does not send it; the history
//! still holds every value it replaced. Geometries are read in the CRS of `Content-Crs`
//! (default CRS84), in that CRS's axis order.

use super::collections::{Collection, collection_of};
use super::items::feature;
use super::{default_crs, geojson, offered_crs};
use crate::db::sites::Site;
use crate::db::users::CurrentUser;
use crate::domain::crs::OfferedCrs;
use crate::domain::{Audience, SiteKind};
use crate::error::{AppError, Problem};
use crate::http::AppState;
use crate::http::access::{Caller, Editor};
use crate::http::extract::{ApiJson, etag, expected_version};
use crate::http::guard::BaseUrl;
use crate::http::problems::{BadInput, Forbidden, NotFound, NotLoggedIn, ReadOnly, Stale};
use crate::http::site_writes::{self, PropertyMode, SiteChange};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

const ITEMS_ALLOW: &str = "GET, HEAD, POST, OPTIONS";
const ITEM_ALLOW: &str = "GET, HEAD, PUT, PATCH, DELETE, OPTIONS";
const READ_ONLY_ALLOW: &str = "GET, HEAD, OPTIONS";

fn editable_kind(collection: Collection) -> Result<SiteKind, AppError> {
    match collection {
        Collection::Sites(kind) => Ok(kind),
        other => Err(AppError::MethodNotAllowed(format!(
            "the {} collection is read-only; only site collections can be edited",
            other.id()
        ))),
    }
}

fn allow(value: &'static str) -> Response {
    (
        StatusCode::NO_CONTENT,
        [(header::ALLOW, HeaderValue::from_static(value))],
    )
        .into_response()
}

#[utoipa::path(options, path = "/ogc/collections/{id}/items", tag = "ogc", params(("id" = String, Path)), responses((status = 204, description = "Allow lists the methods: POST on site collections")))]
pub async fn items_options(caller: Caller, Path(id): Path<String>) -> Result<Response, AppError> {
    Ok(match collection_of(&id, caller.audience())? {
        Collection::Sites(_) => allow(ITEMS_ALLOW),
        _ => allow(READ_ONLY_ALLOW),
    })
}

#[utoipa::path(options, path = "/ogc/collections/{id}/items/{feature_id}", tag = "ogc", params(("id" = String, Path), ("feature_id" = String, Path)), responses((status = 204, description = "Allow lists the methods: PUT, PATCH and DELETE on site features")))]
pub async fn item_options(
    caller: Caller,
    Path(path): Path<(String, String)>,
) -> Result<Response, AppError> {
    Ok(match collection_of(&path.0, caller.audience())? {
        Collection::Sites(_) => allow(ITEM_ALLOW),
        _ => allow(READ_ONLY_ALLOW),
    })
}

/// The version in `If-Match`, if one was sent.
fn if_match(headers: &HeaderMap) -> Result<Option<i32>, AppError> {
    if headers.contains_key(header::IF_MATCH) {
        expected_version(headers, None).map(Some)
    } else {
        Ok(None)
    }
}

fn content_crs(headers: &HeaderMap) -> Result<&'static OfferedCrs, AppError> {
    let value = headers
        .get("content-crs")
        .map(|v| {
            v.to_str()
                .map_err(|_| AppError::BadRequest("Content-Crs is not readable text".into()))
        })
        .transpose()?;
    offered_crs(
        value.map(|v| v.trim_start_matches('<').trim_end_matches('>')),
        "Content-Crs",
    )
}

/// Swaps every coordinate pair of a GeoJSON geometry (latitude-first input to x-first).
fn swap_axes(value: &mut Value) {
    match value {
        Value::Array(items) if items.len() >= 2 && items.iter().all(Value::is_number) => {
            items.swap(0, 1);
        }
        Value::Array(items) => items.iter_mut().for_each(swap_axes),
        Value::Object(object) => {
            if let Some(coordinates) = object.get_mut("coordinates") {
                swap_axes(coordinates);
            }
            if let Some(Value::Array(parts)) = object.get_mut("geometries") {
                parts.iter_mut().for_each(swap_axes);
            }
        }
        _ => {}
    }
}

/// A feature body's properties and geometry (x-first), in the CRS it was sent in.
fn read_feature(
    body: Value,
    crs: &OfferedCrs,
    geometry_required: bool,
) -> Result<(Map<String, Value>, Option<Value>), AppError> {
    let Value::Object(mut body) = body else {
        return Err(AppError::BadRequest(
            "the body must be a GeoJSON Feature object".into(),
        ));
    };
    if let Some(kind) = body.get("type")
        && kind != "Feature"
    {
        return Err(AppError::BadRequest(format!(
            "the body must be a GeoJSON Feature, not a {kind}"
        )));
    }
    let properties = match body.remove("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p,
        Some(_) => {
            return Err(AppError::BadRequest("properties must be an object".into()));
        }
    };
    let mut geometry = body.remove("geometry").filter(|g| !g.is_null());
    if geometry.is_none() && geometry_required {
        return Err(AppError::BadRequest("the feature needs a geometry".into()));
    }
    if crs.output.flip_axes
        && let Some(g) = geometry.as_mut()
    {
        swap_axes(g);
    }
    Ok((properties, geometry))
}

fn written(status: StatusCode, site: Site, base: &str, collection: &str) -> Response {
    let location = format!("{base}/ogc/collections/{collection}/items/{}", site.id);
    let version = site.version;
    let mut response = geojson(feature(site), default_crs());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag(version)) {
        headers.insert(header::ETAG, value);
    }
    if let Ok(value) = HeaderValue::from_str(&location) {
        headers.insert(header::LOCATION, value);
    }
    response
}

fn site_id(collection: &str, feature_id: &str) -> Result<i64, AppError> {
    feature_id.parse().map_err(|_| {
        AppError::NotFound(format!(
            "collection {collection} has no feature {feature_id:?}"
        ))
    })
}

#[utoipa::path(post, path = "/ogc/collections/{id}/items", tag = "ogc", params(("id" = String, Path, description = "a site collection"), ("Content-Crs" = Option<String>, Header, description = "CRS of the body geometry, e.g. <http://www.opengis.net/def/crs/EPSG/0/4549> (default CRS84)")), request_body(content = Object, content_type = "application/geo+json", description = "a GeoJSON Feature"), responses((status = 201, description = "created; Location and ETag name it", body = Object, content_type = "application/geo+json"), BadInput, NotLoggedIn, Forbidden, NotFound, ReadOnly), security(("session" = []), ("bearer" = [])))]
pub async fn create_item(
    Editor(user): Editor,
    State(state): State<AppState>,
    Path(id): Path<String>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, AppError> {
    let kind = editable_kind(collection_of(&id, Audience::Staff)?)?;
    let crs = content_crs(&headers)?;
    let (properties, geometry) = read_feature(body, crs, true)?;
    let geometry = geometry.unwrap_or(Value::Null);
    let mut tx = state.pool.begin().await?;
    let site = site_writes::create(
        &mut tx,
        &user.actor(),
        kind,
        properties,
        geometry,
        crs.input,
    )
    .await?;
    tx.commit().await?;
    Ok(written(StatusCode::CREATED, site, &base, &id))
}

async fn change_item(
    state: AppState,
    user: CurrentUser,
    (id, feature_id): (String, String),
    (base, headers): (String, HeaderMap),
    body: Value,
    mode: PropertyMode,
) -> Result<Response, AppError> {
    let kind = editable_kind(collection_of(&id, Audience::Staff)?)?;
    let site_id = site_id(&id, &feature_id)?;
    let expected = if_match(&headers)?;
    let crs = content_crs(&headers)?;
    let (properties, geometry) = read_feature(body, crs, mode == PropertyMode::Replace)?;
    let change = SiteChange {
        properties,
        geometry,
        crs: crs.input,
        mode,
        note: None,
    };
    let mut tx = state.pool.begin().await?;
    let site = site_writes::edit(
        &mut tx,
        &user.actor(),
        site_id,
        Some(kind),
        expected,
        change,
    )
    .await?;
    tx.commit().await?;
    Ok(written(StatusCode::OK, site, &base, &id))
}

#[utoipa::path(put, path = "/ogc/collections/{id}/items/{feature_id}", tag = "ogc", params(("id" = String, Path, description = "a site collection"), ("feature_id" = i64, Path), ("Content-Crs" = Option<String>, Header, description = "CRS of the body geometry, e.g. <http://www.opengis.net/def/crs/EPSG/0/4549> (default CRS84)"), ("If-Match" = Option<String>, Header, description = "the ETag of the read the edit is based on")), request_body(content = Object, content_type = "application/geo+json", description = "the whole new Feature"), responses((status = 200, description = "replaced", body = Object, content_type = "application/geo+json"), BadInput, NotLoggedIn, Forbidden, NotFound, ReadOnly, Stale), security(("session" = []), ("bearer" = [])))]
pub async fn replace_item(
    Editor(user): Editor,
    State(state): State<AppState>,
    Path(path): Path<(String, String)>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, AppError> {
    change_item(
        state,
        user,
        path,
        (base, headers),
        body,
        PropertyMode::Replace,
    )
    .await
}

#[utoipa::path(patch, path = "/ogc/collections/{id}/items/{feature_id}", tag = "ogc", params(("id" = String, Path, description = "a site collection"), ("feature_id" = i64, Path), ("Content-Crs" = Option<String>, Header, description = "CRS of the body geometry, e.g. <http://www.opengis.net/def/crs/EPSG/0/4549> (default CRS84)"), ("If-Match" = Option<String>, Header, description = "the ETag of the read the edit is based on")), request_body(content = Object, content_type = "application/merge-patch+json", description = "a JSON merge patch of the Feature"), responses((status = 200, description = "updated", body = Object, content_type = "application/geo+json"), BadInput, NotLoggedIn, Forbidden, NotFound, ReadOnly, Stale), security(("session" = []), ("bearer" = [])))]
pub async fn patch_item(
    Editor(user): Editor,
    State(state): State<AppState>,
    Path(path): Path<(String, String)>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, AppError> {
    change_item(
        state,
        user,
        path,
        (base, headers),
        body,
        PropertyMode::Merge,
    )
    .await
}

#[utoipa::path(delete, path = "/ogc/collections/{id}/items/{feature_id}", tag = "ogc", params(("id" = String, Path, description = "a site collection"), ("feature_id" = i64, Path), ("If-Match" = Option<String>, Header, description = "the ETag of the read the edit is based on")), responses((status = 204, description = "deleted; its history stays"), NotLoggedIn, Forbidden, NotFound, ReadOnly, Stale, (status = 409, description = "projects are linked to the site", body = Problem, content_type = "application/problem+json")), security(("session" = []), ("bearer" = [])))]
pub async fn delete_item(
    Editor(user): Editor,
    State(state): State<AppState>,
    Path((id, feature_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let kind = editable_kind(collection_of(&id, Audience::Staff)?)?;
    let site_id = site_id(&id, &feature_id)?;
    let expected = if_match(&headers)?;
    let mut tx = state.pool.begin().await?;
    site_writes::delete(&mut tx, &user.actor(), site_id, Some(kind), expected).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn swaps_latitude_first_coordinates_of_every_geometry_type() {
        let mut polygon = json!({"type": "Polygon", "coordinates": [[[31.0, 119.0], [31.0, 120.0], [32.0, 120.0], [31.0, 119.0]]]});
        swap_axes(&mut polygon);
        assert_eq!(
            polygon["coordinates"][0][1],
            json!([120.0, 31.0]),
            "{polygon}"
        );
        let mut collection = json!({"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [31.5, 119.5]}]});
        swap_axes(&mut collection);
        assert_eq!(
            collection["geometries"][0]["coordinates"],
            json!([119.5, 31.5])
        );
    }
}
