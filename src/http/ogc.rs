//! OGC API - Features at `/ogc` (Part 1 Core with GeoJSON, Part 2 CRS): landing page,
//! conformance, one collection per site kind, and their items with bbox (and bbox-crs),
//! limit/offset paging with `next`/`prev` links and `numberMatched`, and output in CRS84,
//! EPSG:4326, EPSG:4490, EPSG:4549 or EPSG:4528, and (Part 3) CQL2 text filters on the site
//! collections. Items come from the queries of `/api/sites`. Editing (Part 4) is in `ogc_edit`.

use super::auth::Caller;
use super::extract::{ApiQuery, etag, parse_list, parse_page, parse_spatial};
use super::guard::BaseUrl;
use super::{AppState, ogc_edit};
use crate::db::cql2_sql::{FilterCrs, LINKED_COLUMNS, SITE_COLUMNS, SiteCql2};
use crate::db::ogc::{self, OtherFilter};
use crate::db::sites::{self, Matched, OutputCrs, Site, SiteFilter};
use crate::db::spatial::SpatialFilter;
use crate::domain::cql2;
use crate::domain::site_kind::{AttrType, KIND_NAMES};
use crate::domain::status::STATUS_NAMES;
use crate::domain::{Audience, InputCrs, SiteKind};
use crate::error::{AppError, Problem};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::{IntoParams, OpenApi};

/// The OGC API paths of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(
    landing,
    conformance,
    collections,
    collection,
    queryables,
    items,
    item,
    ogc_edit::create_item,
    ogc_edit::replace_item,
    ogc_edit::patch_item,
    ogc_edit::delete_item,
    ogc_edit::items_options,
    ogc_edit::item_options,
))]
pub struct OgcDoc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ogc", get(landing))
        .route("/ogc/conformance", get(conformance))
        .route("/ogc/collections", get(collections))
        .route("/ogc/collections/{id}", get(collection))
        .route("/ogc/collections/{id}/queryables", get(queryables))
        .route(
            "/ogc/collections/{id}/items",
            get(items)
                .post(ogc_edit::create_item)
                .options(ogc_edit::items_options),
        )
        .route(
            "/ogc/collections/{id}/items/{feature_id}",
            get(item)
                .put(ogc_edit::replace_item)
                .patch(ogc_edit::patch_item)
                .delete(ogc_edit::delete_item)
                .options(ogc_edit::item_options),
        )
}

/// Escaped in a query value of a link: all but the unreserved characters and the separators
/// OGC parameters use (`,` in bbox and properties, `:` and `/` in CRS URIs).
const LINK_QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b',')
    .remove(b':')
    .remove(b'/');

/// Above this many matches (by the planner's estimate) `numberMatched` is that estimate, marked
/// with `"numberMatchedEstimated": true`, instead of a count that would read every match. Items
/// within a bbox of at most a square degree are always counted exactly.
pub const ESTIMATE_MATCHES_ABOVE: i64 = 100_000;

/// Default and largest page of items.
pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 10_000;

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/// The CRSs features can be read in (OGC API - Features Part 2). Except for CRS84, coordinates
/// follow the EPSG axis order: latitude first for 4326 and 4490, northing first for the
/// Gauss-Krüger 4549 and 4528.
pub(super) struct OfferedCrs {
    pub uri: &'static str,
    pub output: OutputCrs,
    pub input: InputCrs,
}

const OFFERED: [OfferedCrs; 5] = [
    OfferedCrs {
        uri: CRS84,
        output: OutputCrs {
            srid: 4326,
            flip_axes: false,
            decimals: 7,
        },
        input: InputCrs::Wgs84,
    },
    OfferedCrs {
        uri: "http://www.opengis.net/def/crs/EPSG/0/4326",
        output: OutputCrs {
            srid: 4326,
            flip_axes: true,
            decimals: 7,
        },
        input: InputCrs::Wgs84,
    },
    OfferedCrs {
        uri: "http://www.opengis.net/def/crs/EPSG/0/4490",
        output: OutputCrs {
            srid: 4490,
            flip_axes: true,
            decimals: 7,
        },
        input: InputCrs::Cgcs2000,
    },
    OfferedCrs {
        uri: "http://www.opengis.net/def/crs/EPSG/0/4549",
        output: OutputCrs {
            srid: 4549,
            flip_axes: true,
            decimals: 3,
        },
        input: InputCrs::Cgcs2000Gk120,
    },
    OfferedCrs {
        uri: "http://www.opengis.net/def/crs/EPSG/0/4528",
        output: OutputCrs {
            srid: 4528,
            flip_axes: true,
            decimals: 3,
        },
        input: InputCrs::Cgcs2000Gk40,
    },
];

/// CRS84, the CRS of GeoJSON and of storage.
pub(super) fn default_crs() -> &'static OfferedCrs {
    &OFFERED[0]
}

/// Finds an offered CRS by URI, or by a short name such as `EPSG:4549` or `[EPSG:4549]`.
pub(super) fn offered_crs(
    name: Option<&str>,
    parameter: &str,
) -> Result<&'static OfferedCrs, AppError> {
    let Some(name) = name else {
        return Ok(&OFFERED[0]);
    };
    let short = name.trim().trim_start_matches('[').trim_end_matches(']');
    OFFERED
        .iter()
        .find(|c| {
            c.uri == short
                || c.uri.rsplit('/').next() == Some(short)
                || short
                    .strip_prefix("EPSG:")
                    .is_some_and(|code| c.uri.ends_with(&format!("/EPSG/0/{code}")))
        })
        .ok_or_else(|| {
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

pub(super) fn geojson(body: Value, crs: &OfferedCrs) -> Response {
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

#[utoipa::path(get, path = "/ogc", tag = "ogc", responses((status = 200, description = "the landing page: links to the API definition, conformance and collections", body = Object)))]
async fn landing(BaseUrl(base): BaseUrl) -> axum::Json<Value> {
    axum::Json(json!({
        "title": "remediation-tracker",
        "description": "Sites of an environmental bureau's remediation work: rivers, black-odor water bodies, contaminated plots, key zones, monitoring sections, outfalls, enterprises and facilities.",
        "links": [
            link(format!("{base}/ogc"), "self", "application/json", "this document"),
            link(format!("{base}/api/openapi.json"), "service-desc", "application/vnd.oai.openapi+json;version=3.1", "the API definition"),
            link(format!("{base}/ogc/conformance"), "conformance", "application/json", "conformance classes"),
            link(format!("{base}/ogc/collections"), "data", "application/json", "the collections"),
        ],
    }))
}

#[utoipa::path(get, path = "/ogc/conformance", tag = "ogc", responses((status = 200, description = "the conformance classes this service passes", body = Object)))]
async fn conformance() -> axum::Json<Value> {
    axum::Json(json!({
        "conformsTo": [
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
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

/// A collection: the sites of one kind, the administrative areas, or the projects.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Collection {
    Sites(SiteKind),
    AdminAreas,
    Projects,
}

impl Collection {
    fn all() -> impl Iterator<Item = Collection> {
        SiteKind::ALL
            .into_iter()
            .map(Collection::Sites)
            .chain([Collection::AdminAreas, Collection::Projects])
    }

    pub(super) fn id(self) -> &'static str {
        match self {
            Collection::Sites(kind) => kind.as_str(),
            Collection::AdminAreas => "admin_area",
            Collection::Projects => "projects",
        }
    }
}

pub(super) fn collection_of(id: &str) -> Result<Collection, AppError> {
    Collection::all().find(|c| c.id() == id).ok_or_else(|| {
        let ids: Vec<&str> = Collection::all().map(Collection::id).collect();
        AppError::NotFound(format!(
            "no collection {id:?} (collections: {})",
            ids.join(", ")
        ))
    })
}

async fn describe(state: &AppState, base: &str, collection: Collection) -> Result<Value, AppError> {
    let bbox = match collection {
        Collection::Sites(kind) => crate::db::tiles::extent(&state.pool, &[kind.as_str()]).await?,
        Collection::Projects => crate::db::tiles::extent(&state.pool, &KIND_NAMES).await?,
        Collection::AdminAreas => ogc::admin_extent(&state.pool).await?,
    };
    let id = collection.id();
    let mut collection = json!({
        "id": id,
        "title": id,
        "itemType": "feature",
        "crs": OFFERED.iter().map(|c| c.uri).collect::<Vec<_>>(),
        "storageCrs": CRS84,
        "links": [
            link(format!("{base}/ogc/collections/{id}"), "self", "application/json", "this collection"),
            link(format!("{base}/ogc/collections/{id}/items"), "items", "application/geo+json", "the features"),
            link(format!("{base}/ogc/collections/{id}/queryables"), "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json", "the attribute filters"),
        ],
    });
    if let Some(b) = bbox {
        collection["extent"] = json!({ "spatial": { "bbox": [b], "crs": CRS84 } });
    }
    Ok(collection)
}

#[utoipa::path(get, path = "/ogc/collections", tag = "ogc", responses((status = 200, description = "one collection per site kind, plus admin_area and projects", body = Object)))]
async fn collections(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
) -> Result<axum::Json<Value>, AppError> {
    let mut all = Vec::new();
    for collection in Collection::all() {
        all.push(describe(&state, &base, collection).await?);
    }
    Ok(axum::Json(json!({
        "links": [link(format!("{base}/ogc/collections"), "self", "application/json", "the collections")],
        "collections": all,
    })))
}

#[utoipa::path(get, path = "/ogc/collections/{id}", tag = "ogc", params(("id" = String, Path, description = "collection id")), responses((status = 200, description = "extent, CRSs and links of the collection", body = Object), (status = 404, description = "no such collection or feature", body = Problem, content_type = "application/problem+json")))]
async fn collection(
    State(state): State<AppState>,
    Path(id): Path<String>,
    BaseUrl(base): BaseUrl,
) -> Result<axum::Json<Value>, AppError> {
    let collection = collection_of(&id)?;
    Ok(axum::Json(describe(&state, &base, collection).await?))
}

/// What a collection's items can be filtered on: for sites, everything CQL2 filters accept
/// (columns, linked-project properties, the kind's attributes, the geometry); for the other
/// collections, the attribute parameters of `items`.
fn queryable_properties(collection: Collection, audience: Audience) -> Value {
    let linked = |name: &str| match name {
        "status" => {
            json!({ "type": "string", "enum": STATUS_NAMES, "description": "status of a linked project" })
        }
        "programme" => {
            json!({ "type": "string", "description": "programme code of a linked project" })
        }
        _ => json!({ "type": "string", "description": "category of a linked project" }),
    };
    match collection {
        Collection::AdminAreas => {
            json!({ "town": { "type": "string", "description": "the area's code" } })
        }
        Collection::Projects => json!({
            "status": { "type": "string", "enum": STATUS_NAMES, "description": "the project's status" },
            "town": { "type": "string", "description": "code of the street/town (admin_area)" },
            "programme": { "type": "string", "description": "programme code" },
        }),
        Collection::Sites(kind) => {
            let mut properties = Map::new();
            for (name, _, ty) in SITE_COLUMNS {
                properties.insert(name.into(), ty.schema());
            }
            if kind == SiteKind::KeyZone {
                properties.insert("radius_m".into(), json!({ "type": "number" }));
            }
            for (name, _) in LINKED_COLUMNS {
                properties.insert(name.into(), linked(name));
            }
            for spec in kind.visible_attributes(audience) {
                properties.insert(spec.name.into(), attribute_schema(spec.ty));
            }
            properties.insert(
                "geometry".into(),
                json!({ "format": "geometry-any", "x-ogc-role": "primary-geometry" }),
            );
            Value::Object(properties)
        }
    }
}

fn attribute_schema(ty: AttrType) -> Value {
    match ty {
        AttrType::Text | AttrType::TextList => json!({ "type": "string" }),
        AttrType::Bool => json!({ "type": "boolean" }),
        AttrType::PositiveNumber => json!({ "type": "number" }),
        AttrType::Enum(values) | AttrType::EnumList(values) => {
            json!({ "type": "string", "enum": values })
        }
        AttrType::IntEnum(values) => json!({ "type": "integer", "enum": values }),
    }
}

/// The attribute filters items accept, as a JSON Schema.
#[utoipa::path(get, path = "/ogc/collections/{id}/queryables", tag = "ogc", params(("id" = String, Path, description = "collection id")), responses((status = 200, description = "what filters can name, as JSON Schema", body = Object, content_type = "application/schema+json"), (status = 404, description = "no such collection or feature", body = Problem, content_type = "application/problem+json")))]
async fn queryables(
    caller: Caller,
    Path(id): Path<String>,
    BaseUrl(base): BaseUrl,
) -> Result<Response, AppError> {
    let collection = collection_of(&id)?;
    let body = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("{base}/ogc/collections/{id}/queryables"),
        "type": "object",
        "title": id,
        "properties": queryable_properties(collection, caller.audience()),
        "additionalProperties": false,
    });
    Ok((
        [(header::CONTENT_TYPE, "application/schema+json")],
        axum::Json(body),
    )
        .into_response())
}

/// A site as a GeoJSON feature: core fields and its kind's attributes as properties.
pub(super) fn feature(site: Site) -> Value {
    let mut properties = Map::new();
    properties.insert("code".into(), json!(site.code));
    properties.insert("name".into(), json!(site.name));
    properties.insert("name_en".into(), json!(site.name_en));
    properties.insert("kind".into(), json!(site.kind));
    properties.insert("town_code".into(), json!(site.town_code));
    properties.insert("placeholder".into(), json!(site.placeholder));
    properties.insert("remediation_state".into(), json!(site.remediation_state));
    properties.insert("updated_at".into(), json!(site.updated_at));
    if let Some(radius) = site.radius_m {
        properties.insert("radius_m".into(), json!(radius));
    }
    if let Value::Object(attrs) = site.attrs.0 {
        for (key, value) in attrs {
            properties.entry(key).or_insert(value);
        }
    }
    json!({ "type": "Feature", "id": site.id, "geometry": site.geometry.0, "properties": properties })
}

/// Keeps only the wanted properties of a feature (all when none are named).
fn only(mut feature: Value, wanted: &[String]) -> Value {
    if !wanted.is_empty()
        && let Some(Value::Object(properties)) = feature.get_mut("properties")
    {
        properties.retain(|key, _| wanted.iter().any(|w| w == key));
    }
    feature
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemsQuery {
    bbox: Option<String>,
    #[serde(rename = "bbox-crs")]
    bbox_crs: Option<String>,
    crs: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
    /// an instant or an interval (`a/b`, `../b`, `a/..`) on the last update
    datetime: Option<String>,
    /// comma-separated property names to return
    properties: Option<String>,
    /// queryables: status of a linked project, town code, programme code (comma-separated)
    status: Option<String>,
    town: Option<String>,
    programme: Option<String>,
    /// a CQL2 text filter (OGC API - Features Part 3), site collections only
    filter: Option<String>,
    #[serde(rename = "filter-lang")]
    filter_lang: Option<String>,
    /// the CRS of the filter's geometry literals (default CRS84)
    #[serde(rename = "filter-crs")]
    filter_crs: Option<String>,
}

/// The `filter` of an items request, checked against the collection's queryables.
fn parse_filter(
    query: &ItemsQuery,
    collection: Collection,
    audience: Audience,
) -> Result<Option<SiteCql2>, AppError> {
    let Some(text) = &query.filter else {
        return Ok(None);
    };
    let Collection::Sites(kind) = collection else {
        return Err(AppError::BadRequest(format!(
            "filter applies to the site collections; {} takes bbox, datetime, status, town and programme",
            collection.id()
        )));
    };
    if let Some(lang) = query.filter_lang.as_deref().filter(|l| *l != "cql2-text") {
        return Err(AppError::BadRequest(format!(
            "filter-lang must be cql2-text, got {lang:?}"
        )));
    }
    let crs = offered_crs(query.filter_crs.as_deref(), "filter-crs")?;
    let crs = FilterCrs {
        srid: crs.output.srid,
        flip_axes: crs.output.flip_axes,
    };
    cql2::parse(text)
        .and_then(|expr| SiteCql2::new(kind, audience, expr, crs))
        .map(Some)
        .map_err(|e| AppError::BadRequest(format!("filter: {e}")))
}

/// An inclusive time range; `None` is an open end.
type TimeRange = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// `datetime` as an inclusive range on the last update.
fn parse_datetime(value: &str) -> Result<TimeRange, AppError> {
    let instant = |text: &str| -> Result<Option<DateTime<Utc>>, AppError> {
        if text.is_empty() || text == ".." {
            return Ok(None);
        }
        DateTime::parse_from_rfc3339(text)
            .map(|t| Some(t.with_timezone(&Utc)))
            .or_else(|_| NaiveDate::parse_from_str(text, "%Y-%m-%d").map(|d| Some(d.and_time(NaiveTime::MIN).and_utc())))
            .map_err(|_| AppError::BadRequest(format!("datetime must be an RFC 3339 time, a date, or an interval a/b with '..' for open ends; got {value:?}")))
    };
    match value.split_once('/') {
        Some((start, end)) => Ok((instant(start)?, instant(end)?)),
        None => {
            let at = instant(value)?;
            Ok((at, at))
        }
    }
}

/// A bbox in `bbox-crs` (its axis order) as the x-first text `parse_spatial` reads.
fn bbox_in_x_first(bbox: &str, crs: &OfferedCrs) -> Result<String, AppError> {
    let parts: Vec<&str> = bbox.split(',').map(str::trim).collect();
    match (parts.as_slice(), crs.output.flip_axes) {
        ([a, b, c, d], true) => Ok(format!("{b},{a},{d},{c}")),
        ([_, _, _, _], false) => Ok(bbox.to_string()),
        _ => Err(AppError::BadRequest(format!(
            "bbox must be four numbers, got {bbox:?}"
        ))),
    }
}

#[utoipa::path(get, path = "/ogc/collections/{id}/items", tag = "ogc", params(("id" = String, Path, description = "collection id"), ItemsQuery), responses((status = 200, description = "a page of features with numberMatched, numberReturned and next/prev links; Content-Crs names the CRS", body = Object, content_type = "application/geo+json"), (status = 400, description = "bad input, named in the problem", body = Problem, content_type = "application/problem+json"), (status = 404, description = "no such collection or feature", body = Problem, content_type = "application/problem+json")))]
async fn items(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    BaseUrl(base): BaseUrl,
    ApiQuery(query): ApiQuery<ItemsQuery>,
) -> Result<Response, AppError> {
    let collection = collection_of(&id)?;
    let (limit, offset) = parse_page(
        query.limit.as_deref(),
        query.offset.as_deref(),
        DEFAULT_LIMIT,
        MAX_LIMIT,
    )?;
    let crs = offered_crs(query.crs.as_deref(), "crs")?;
    let bbox_crs = offered_crs(query.bbox_crs.as_deref(), "bbox-crs")?;
    let bbox = query
        .bbox
        .as_deref()
        .map(|b| bbox_in_x_first(b, bbox_crs))
        .transpose()?;
    let spatial = parse_spatial(
        &state,
        None,
        None,
        bbox.as_deref(),
        Some(bbox_crs.input.name()),
    )
    .await?;
    let (updated_since, updated_until) = match &query.datetime {
        Some(value) => parse_datetime(value)?,
        None => (None, None),
    };
    let statuses = parse_list("status", query.status.as_deref(), Some(&STATUS_NAMES))?;
    let towns = parse_list("town", query.town.as_deref(), None)?;
    let programmes = parse_list("programme", query.programme.as_deref(), None)?;
    let wanted = parse_list("properties", query.properties.as_deref(), None)?;
    let audience = caller.audience();
    let cql2 = parse_filter(&query, collection, audience)?;
    // a bbox of up to a square degree bounds the cost of an exact count; without one, or with
    // a wider one, a province's worth of sites may match
    let estimate_above = match &spatial {
        Some(SpatialFilter::BBox {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        }) if (max_lon - min_lon) * (max_lat - min_lat) <= 1.0 => None,
        _ => Some(ESTIMATE_MATCHES_ABOVE),
    };
    let mut conn = state.pool.acquire().await?;
    // id order keeps pages stable while paging
    let (matched, page): (Matched, Vec<Value>) = match collection {
        Collection::Sites(kind) => {
            let filter = SiteFilter {
                kinds: vec![kind.as_str().to_string()],
                spatial,
                output: crs.output,
                updated_since,
                updated_until,
                project_statuses: statuses,
                towns,
                programmes,
                cql2,
                ..SiteFilter::default()
            };
            let (matched, sites) = sites::list_counted(
                &mut conn,
                &filter,
                ("id", false),
                limit,
                offset,
                estimate_above,
            )
            .await?;
            let features = sites
                .into_iter()
                .map(|site| feature(site.for_audience(audience)))
                .collect();
            (matched, features)
        }
        other => {
            let filter = OtherFilter {
                spatial,
                updated_since,
                updated_until,
                statuses,
                towns,
                programmes,
                id: None,
            };
            let (mut total, features) = match other {
                Collection::AdminAreas => {
                    ogc::admin_areas(&mut conn, &filter, crs.output, limit, offset).await?
                }
                _ => ogc::projects(&mut conn, &filter, crs.output, limit, offset).await?,
            };
            if features.is_empty() && offset > 0 {
                // past the end: the window count saw no row, so count with a one-row page
                total = match other {
                    Collection::AdminAreas => {
                        ogc::admin_areas(&mut conn, &filter, crs.output, 1, 0)
                            .await?
                            .0
                    }
                    _ => ogc::projects(&mut conn, &filter, crs.output, 1, 0).await?.0,
                };
            }
            (Matched::Exact(total), features)
        }
    };
    let page: Vec<Value> = page.into_iter().map(|f| only(f, &wanted)).collect();
    let returned = page.len() as i64;

    let page_link = |offset: i64, rel: &str| {
        let kept = [
            ("bbox", &query.bbox),
            ("bbox-crs", &query.bbox_crs),
            ("crs", &query.crs),
            ("datetime", &query.datetime),
            ("properties", &query.properties),
            ("status", &query.status),
            ("town", &query.town),
            ("programme", &query.programme),
            ("filter", &query.filter),
            ("filter-lang", &query.filter_lang),
            ("filter-crs", &query.filter_crs),
        ];
        let mut encoded = format!("limit={limit}&offset={offset}");
        for (name, value) in kept {
            if let Some(value) = value {
                let value = utf8_percent_encode(value, LINK_QUERY_VALUE);
                encoded.push_str(&format!("&{name}={value}"));
            }
        }
        let href = format!("{base}/ogc/collections/{id}/items?{encoded}");
        link(href, rel, "application/geo+json", rel)
    };
    let mut links = vec![page_link(offset, "self")];
    let more = match matched {
        Matched::Exact(total) => offset + returned < total,
        // an estimate can be off either way: a full page may have a successor
        Matched::Estimated(_) => returned == limit,
    };
    if more {
        links.push(page_link(offset + limit, "next"));
    }
    if offset > 0 {
        links.push(page_link((offset - limit).max(0), "prev"));
    }
    let mut body = json!({
        "type": "FeatureCollection",
        "features": page,
        "numberMatched": matched.count(),
        "numberReturned": returned,
        "timeStamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "links": links,
    });
    if let Matched::Estimated(_) = matched {
        body["numberMatchedEstimated"] = json!(true);
    }
    Ok(geojson(body, crs))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemQuery {
    /// the CRS of the returned geometry (default CRS84)
    crs: Option<String>,
}

#[utoipa::path(get, path = "/ogc/collections/{id}/items/{feature_id}", tag = "ogc", params(("id" = String, Path, description = "collection id"), ("feature_id" = String, Path), ItemQuery), responses((status = 200, description = "the feature; for sites, its version as ETag", body = Object, content_type = "application/geo+json"), (status = 400, description = "bad input, named in the problem", body = Problem, content_type = "application/problem+json"), (status = 404, description = "no such collection or feature", body = Problem, content_type = "application/problem+json")))]
async fn item(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, feature_id)): Path<(String, String)>,
    BaseUrl(base): BaseUrl,
    ApiQuery(query): ApiQuery<ItemQuery>,
) -> Result<Response, AppError> {
    let collection = collection_of(&id)?;
    let crs = offered_crs(query.crs.as_deref(), "crs")?;
    let missing = || AppError::NotFound(format!("collection {id} has no feature {feature_id:?}"));
    let mut conn = state.pool.acquire().await?;
    let mut version = None;
    let found = match collection {
        Collection::Sites(kind) => {
            let site_id: i64 = feature_id.parse().map_err(|_| missing())?;
            sites::get_in(&mut conn, site_id, crs.output)
                .await?
                .filter(|s| s.kind == kind.as_str())
                .map(|site| {
                    version = Some(site.version);
                    feature(site.for_audience(caller.audience()))
                })
        }
        other => {
            let filter = OtherFilter {
                id: Some(feature_id.clone()),
                ..OtherFilter::default()
            };
            let (_, mut features) = match other {
                Collection::AdminAreas => {
                    ogc::admin_areas(&mut conn, &filter, crs.output, 1, 0).await?
                }
                _ => ogc::projects(&mut conn, &filter, crs.output, 1, 0).await?,
            };
            features.pop()
        }
    };
    let mut body = found.ok_or_else(missing)?;
    body["links"] = json!([
        link(
            format!("{base}/ogc/collections/{id}/items/{feature_id}"),
            "self",
            "application/geo+json",
            "this feature"
        ),
        link(
            format!("{base}/ogc/collections/{id}"),
            "collection",
            "application/json",
            "the collection"
        ),
    ]);
    let mut response = geojson(body, crs);
    if let Some(tag) = version.and_then(|v| HeaderValue::from_str(&etag(v)).ok()) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    Ok(response)
}
