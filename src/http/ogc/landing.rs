//! The landing page and the conformance classes.

use super::link;
use crate::http::guard::BaseUrl;
use serde_json::{Value, json};

#[utoipa::path(get, path = "/ogc", tag = "ogc", responses((status = 200, description = "the landing page: links to the API definition, conformance and collections", body = Object)))]
pub async fn landing(BaseUrl(base): BaseUrl) -> axum::Json<Value> {
    axum::Json(json!({
        "title": "remediation-tracker",
        "description": "Sites of an environmental bureau's remediation work: rivers, black-odor water bodies, contaminated plots, key zones, monitoring sections, outfalls, enterprises and facilities.",
        "links": [
            link(format!("{base}/ogc"), "self", "application/json", "this document"),
            link(format!("{base}/ogc/api"), "service-desc", "application/vnd.oai.openapi+json;version=3.0", "the definition of this API (OpenAPI 3.0)"),
            link(format!("{base}/api/openapi.json"), "service-desc", "application/vnd.oai.openapi+json;version=3.1", "the definition of the whole service (OpenAPI 3.1)"),
            link(format!("{base}/ogc/conformance"), "conformance", "application/json", "conformance classes"),
            link(format!("{base}/ogc/collections"), "data", "application/json", "the collections"),
        ],
    }))
}

#[utoipa::path(get, path = "/ogc/conformance", tag = "ogc", responses((status = 200, description = "the conformance classes this service passes", body = Object)))]
pub async fn conformance() -> axum::Json<Value> {
    axum::Json(json!({
        "conformsTo": [
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
            "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
            "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
            "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
            "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
            "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
            "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
            "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
            "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
            "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
            "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
            "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
            "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
            "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
            "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
        ]
    }))
}
