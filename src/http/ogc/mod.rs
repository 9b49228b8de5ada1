//! OGC API - Features at `/ogc`: Part 1 Core with GeoJSON, Part 2 CRS (CRS84, EPSG:4326,
//! EPSG:4490, EPSG:4549, EPSG:4528; the table is `domain::crs`), Part 3 CQL2 text filters on the
//! site collections, and Part 4 editing. One file per concern: the landing page and conformance,
//! the collections and their queryables, the items, and editing; this module wires them and holds
//! what they share.

mod collections;
mod edit;
mod items;
mod landing;
mod oas30;

use super::AppState;
use crate::domain::crs::{self, OFFERED, OfferedCrs};
use crate::error::AppError;
use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use utoipa::OpenApi;

/// The OGC API paths of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(
        api,
        landing::landing,
        landing::conformance,
        collections::collections,
        collections::collection,
        collections::queryables,
        items::items,
        items::item,
        edit::create_item,
        edit::replace_item,
        edit::patch_item,
        edit::delete_item,
        edit::items_options,
        edit::item_options,
    ),
    components(schemas(crate::error::Problem))
)]
pub struct OgcDoc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ogc", get(landing::landing))
        .route("/ogc/conformance", get(landing::conformance))
        .route("/ogc/api", get(api))
        .route("/ogc/collections", get(collections::collections))
        .route("/ogc/collections/{id}", get(collections::collection))
        .route(
            "/ogc/collections/{id}/queryables",
            get(collections::queryables),
        )
        .route(
            "/ogc/collections/{id}/items",
            get(items::items)
                .post(edit::create_item)
                .options(edit::items_options),
        )
        .route(
            "/ogc/collections/{id}/items/{feature_id}",
            get(items::item)
                .put(edit::replace_item)
                .patch(edit::patch_item)
                .delete(edit::delete_item)
                .options(edit::item_options),
        )
}

/// The OGC API definition: the `/ogc` paths as OpenAPI 3.0, rendered once.
#[utoipa::path(get, path = "/ogc/api", tag = "ogc", responses((status = 200, description = "the OGC API's paths as an OpenAPI 3.0 document", body = Object, content_type = "application/vnd.oai.openapi+json;version=3.0")))]
async fn api() -> Response {
    static DOCUMENT: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let document = DOCUMENT.get_or_init(|| {
        let mut doc = OgcDoc::openapi();
        doc.info.title = "remediation-tracker OGC API - Features".into();
        doc.info.description = Some(
            "OGC API - Features (Parts 1 to 4) over every layer of remediation-tracker".into(),
        );
        oas30::render(serde_json::to_value(doc).unwrap_or(Value::Null))
    });
    (
        [(
            header::CONTENT_TYPE,
            "application/vnd.oai.openapi+json;version=3.0",
        )],
        axum::Json(document.clone()),
    )
        .into_response()
}

/// CRS84, the CRS of GeoJSON and of storage.
fn default_crs() -> &'static OfferedCrs {
    &OFFERED[0]
}

/// An offered CRS named by a parameter (CRS84 when absent); the error names the parameter and
/// lists the CRSs offered.
fn offered_crs(name: Option<&str>, parameter: &str) -> Result<&'static OfferedCrs, AppError> {
    let Some(name) = name else {
        return Ok(default_crs());
    };
    crs::offered(name).ok_or_else(|| {
        let uris: Vec<&str> = OFFERED.iter().map(|c| c.uri).collect();
        AppError::BadRequest(format!(
            "unsupported {parameter} {name:?}; supported: {}",
            uris.join(", ")
        ))
    })
}

fn link(href: String, rel: &str, kind: &str, title: &str) -> Value {
    json!({ "href": href, "rel": rel, "type": kind, "title": title })
}

pub(super) fn geojson(body: impl serde::Serialize, crs: &OfferedCrs) -> Response {
    let content_crs = format!("<{}>", crs.uri);
    (
        [
            (header::CONTENT_TYPE, "application/geo+json".to_string()),
            (header::HeaderName::from_static("content-crs"), content_crs),
        ],
        axum::Json(body),
    )
        .into_response()
}
