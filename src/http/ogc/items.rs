//! Items: pages of features with bbox, datetime, attribute and CQL2 filters, paging links and
//! counts, in any offered CRS; and single features with their version as ETag.

use super::collections::{Collection, collection_of, queryable_properties};
use super::{geojson, link, offered_crs};
use crate::db::cql2_sql::{FilterCrs, SiteCql2};
use crate::db::export::Selection;
use crate::db::ogc::{self, OtherFilter};
use crate::db::sites::{self, Matched, Site, SiteFilter};
use crate::db::spatial::SpatialFilter;
use crate::domain::casework::{CaseKind, CaseReader, CaseStatus};
use crate::domain::choice::{Choice, ExportFormat};
use crate::domain::crs::OfferedCrs;
use crate::domain::status::STATUS_NAMES;
use crate::domain::time::parse_instant;
use crate::domain::{Audience, cql2};
use crate::error::AppError;
use crate::export::{ExportLayer, ExportRequest};
use crate::http::AppState;
use crate::http::access::Caller;
use crate::http::extract::{ApiQuery, etag, parse_list, parse_page, parse_spatial};
use crate::http::guard::BaseUrl;
use crate::http::problems::{BadInput, NotFound};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use utoipa::IntoParams;

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
pub const MAX_LIMIT: i64 = crate::http::extract::MAX_FEATURES;

/// A site as a GeoJSON feature: core fields and its kind's attributes as properties (the wanted
/// ones, when some are named). It is serialised straight into the answer: the geometry's text as
/// PostGIS wrote it, the properties from the site's own fields, no JSON tree in between (building
/// one, and parsing the geometry into it, took most of an items page's instructions;
/// bench/instructions.sh).
pub struct SiteFeature<'a> {
    site: Site,
    wanted: &'a [String],
}

pub fn feature(site: Site) -> SiteFeature<'static> {
    SiteFeature { site, wanted: &[] }
}

impl serde::Serialize for SiteFeature<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("type", "Feature")?;
        map.serialize_entry("id", &self.site.id)?;
        map.serialize_entry("geometry", &self.site.geometry.0)?;
        map.serialize_entry("properties", &SiteProperties(self))?;
        map.end()
    }
}

struct SiteProperties<'a, 'b>(&'a SiteFeature<'b>);

impl serde::Serialize for SiteProperties<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let SiteFeature { site, wanted } = self.0;
        let keep = |key: &str| wanted.is_empty() || wanted.iter().any(|w| w == key);
        let mut map = serializer.serialize_map(None)?;
        // the core properties written, which an attribute of the same name does not repeat
        let mut written: Vec<&str> = Vec::with_capacity(16);
        macro_rules! entry {
            ($key:literal, $value:expr) => {
                written.push($key);
                if keep($key) {
                    map.serialize_entry($key, $value)?;
                }
            };
        }
        entry!("code", &site.code);
        entry!("name", &site.name);
        entry!("name_en", &site.name_en);
        entry!("kind", &site.kind);
        entry!("town_code", &site.town_code);
        entry!("placeholder", &site.placeholder);
        entry!("remediation_state", &site.remediation_state);
        if let Some(class) = &site.latest_class {
            entry!("latest_class", class);
        }
        if let Some(at) = &site.latest_sampled_at {
            entry!("latest_sampled_at", at);
        }
        if let Some(meets) = &site.meets_target {
            entry!("meets_target", meets);
        }
        if let Some(grade) = &site.black_odor_grade {
            entry!("black_odor_grade", grade);
        }
        if let Some(risk) = &site.soil_risk {
            entry!("soil_risk", risk);
        }
        entry!("updated_at", &site.updated_at);
        if let Some(radius) = &site.radius_m {
            entry!("radius_m", radius);
        }
        if let Value::Object(attrs) = &site.attrs.0 {
            for (key, value) in attrs {
                if !written.contains(&key.as_str()) && keep(key) {
                    map.serialize_entry(key, value)?;
                }
            }
        }
        map.end()
    }
}

/// A feature of a page: a site's, serialised as it is written, or another collection's.
// a page's features are all of one variant and move in from the query's rows: boxing the site
// would add an allocation per feature for nothing
#[allow(clippy::large_enum_variant)]
#[derive(serde::Serialize)]
#[serde(untagged)]
enum PageFeature<'a> {
    Site(SiteFeature<'a>),
    Other(Value),
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
    #[param(schema_with = crate::http::schemas::ogc_crs)]
    bbox_crs: Option<String>,
    #[param(schema_with = crate::http::schemas::ogc_crs)]
    crs: Option<String>,
    #[param(schema_with = crate::http::schemas::limit_features)]
    limit: Option<String>,
    #[param(schema_with = crate::http::schemas::offset)]
    offset: Option<String>,
    /// an instant or an interval (`a/b`, `../b`, `a/..`) on the last update
    datetime: Option<String>,
    /// comma-separated property names to return
    properties: Option<String>,
    /// json (the default: a page of GeoJSON), or gpkg or fgb: the whole selection (bbox, status,
    /// town) as one GeoPackage or FlatGeobuf file, also chosen by Accept
    f: Option<String>,
    /// queryables: status of a linked project, town code, programme code (comma-separated)
    #[param(schema_with = crate::http::schemas::statuses)]
    status: Option<String>,

    town: Option<String>,

    programme: Option<String>,
    /// a CQL2 text filter (OGC API - Features Part 3), site collections only
    filter: Option<String>,
    #[serde(rename = "filter-lang")]
    #[param(schema_with = crate::http::schemas::filter_lang)]
    filter_lang: Option<String>,
    /// the CRS of the filter's geometry literals (default CRS84)
    #[serde(rename = "filter-crs")]
    #[param(schema_with = crate::http::schemas::ogc_crs)]
    filter_crs: Option<String>,
    /// any other queryable of a site collection as `name=value`, an equality (Part 3,
    /// queryables-query-parameters), e.g. `latest_class=worse_than_V`
    #[serde(flatten)]
    #[param(ignore)]
    queryables: BTreeMap<String, String>,
}

/// The `filter` AND the queryables given as query parameters, each an equality; names that are
/// no queryable of the collection are left alone, as other parameters are.
fn filter_expr(
    query: &ItemsQuery,
    collection: Collection,
    audience: Audience,
) -> Result<Option<cql2::Expr>, AppError> {
    use cql2::{Comparison, Expr, Literal, Operand};
    let mut expr = query.filter.as_deref().map(cql2::parse).transpose()?;
    let properties = queryable_properties(collection, audience);
    for (name, value) in &query.queryables {
        let Some(schema) = properties.get(name).filter(|_| name != "geometry") else {
            continue;
        };
        let literal = match schema["type"].as_str() {
            Some("boolean") => match value.as_str() {
                "true" => Literal::Bool(true),
                "false" => Literal::Bool(false),
                _ => {
                    return Err(AppError::BadRequest(format!(
                        "{name} must be true or false, got {value:?}"
                    )));
                }
            },
            Some("number" | "integer") => match value.parse::<f64>() {
                Ok(n) if n.is_finite() => Literal::Number(n),
                _ => {
                    return Err(AppError::BadRequest(format!(
                        "{name} must be a number, got {value:?}"
                    )));
                }
            },
            _ => Literal::Text(value.clone()),
        };
        let equality = Expr::Compare(
            Operand::Property(name.clone()),
            Comparison::Eq,
            Operand::Literal(literal),
        );
        expr = Some(match expr {
            Some(before) => Expr::And(Box::new(before), Box::new(equality)),
            None => equality,
        });
    }
    Ok(expr)
}

/// The `filter` of an items request, checked against the collection's queryables.
fn parse_filter(
    query: &ItemsQuery,
    collection: Collection,
    audience: Audience,
) -> Result<Option<SiteCql2>, AppError> {
    let Collection::Sites(kind) = collection else {
        return match query.filter {
            Some(_) => Err(AppError::BadRequest(format!(
                "filter applies to the site collections; {} takes bbox, datetime, status, town and programme",
                collection.id()
            ))),
            None => Ok(None),
        };
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
    match filter_expr(query, collection, audience)? {
        Some(expr) => Ok(Some(SiteCql2::new(kind, audience, expr, crs)?)),
        None => Ok(None),
    }
}

/// An inclusive time range; `None` is an open end.
type TimeRange = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// `datetime` as an inclusive range on the last update.
fn parse_datetime(value: &str) -> Result<TimeRange, AppError> {
    let instant = |text: &str| -> Result<Option<DateTime<Utc>>, AppError> {
        if text.is_empty() || text == ".." {
            return Ok(None);
        }
        parse_instant(text).map(Some).ok_or_else(|| AppError::BadRequest(format!("datetime must be an RFC 3339 time, a date, or an interval a/b with '..' for open ends; got {value:?}")))
    };
    match value.split_once('/') {
        Some((start, end)) => Ok((instant(start)?, instant(end)?)),
        None => {
            let at = instant(value)?;
            Ok((at, at))
        }
    }
}

/// The whole-collection download asked for by `f` or, without it, by Accept; none for a page
/// of GeoJSON.
fn download_format(
    f: Option<&str>,
    headers: &axum::http::HeaderMap,
) -> Result<Option<ExportFormat>, AppError> {
    match f {
        Some("gpkg") => Ok(Some(ExportFormat::Gpkg)),
        Some("fgb") => Ok(Some(ExportFormat::Fgb)),
        Some("json" | "geojson") => Ok(None),
        Some(other) => Err(AppError::BadRequest(format!(
            "f must be json, gpkg or fgb, got {other:?}"
        ))),
        None => {
            let accept = headers
                .get(axum::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            Ok([ExportFormat::Gpkg, ExportFormat::Fgb]
                .into_iter()
                .find(|format| accept.contains(format.media_type())))
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

#[utoipa::path(get, path = "/ogc/collections/{id}/items", tag = "ogc", params(("id" = String, Path, description = "collection id"), ItemsQuery), responses((status = 200, description = "a page of features with numberMatched, numberReturned and next/prev links; Content-Crs names the CRS; with f=gpkg or f=fgb (or that Accept), the whole selection as one file", content((Object = "application/geo+json"), ("application/geopackage+sqlite3"), ("application/flatgeobuf"))), BadInput, NotFound))]
pub async fn items(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    BaseUrl(base): BaseUrl,
    headers: axum::http::HeaderMap,
    ApiQuery(query): ApiQuery<ItemsQuery>,
) -> Result<Response, AppError> {
    let collection = collection_of(&id, caller.audience())?;
    let download = download_format(query.f.as_deref(), &headers)?;
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
    if let Some(format) = download {
        let layer = match collection {
            Collection::Sites(kind) => ExportLayer::Site(kind),
            Collection::AdminAreas => ExportLayer::AdminArea,
            Collection::Projects => ExportLayer::Project,
            Collection::Cases => {
                return Err(AppError::BadRequest(
                    "the cases collection is offered as GeoJSON only".into(),
                ));
            }
        };
        let request = ExportRequest {
            layer,
            selection: Selection {
                towns: parse_list("town", query.town.as_deref(), None)?,
                statuses: parse_list("status", query.status.as_deref(), Some(&STATUS_NAMES))?,
                programmes: parse_list("programme", query.programme.as_deref(), None)?,
                categories: Vec::new(),
                bbox: spatial,
            },
            audience: caller.audience(),
            format,
        };
        return crate::http::export::file_response(&state, &request).await;
    }
    let case_statuses: Vec<&str> = CaseStatus::ALL.iter().map(|s| s.name()).collect();
    let status_names: &[&str] = if collection == Collection::Cases {
        &case_statuses
    } else {
        &STATUS_NAMES
    };
    let statuses = parse_list("status", query.status.as_deref(), Some(status_names))?;
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
    let (matched, page): (Matched, Vec<PageFeature>) = match collection {
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
                .map(|site| {
                    PageFeature::Site(SiteFeature {
                        site: site.for_audience(audience),
                        wanted: &wanted,
                    })
                })
                .collect();
            (matched, features)
        }
        other => {
            let case_kinds: Vec<&str> = CaseKind::ALL.iter().map(|k| k.name()).collect();
            let kinds = match other {
                Collection::Cases => parse_list(
                    "kind",
                    query.queryables.get("kind").map(String::as_str),
                    Some(&case_kinds),
                )?,
                _ => Vec::new(),
            };
            let filter = OtherFilter {
                spatial,
                updated_since,
                updated_until,
                statuses,
                towns,
                programmes,
                kinds,
                id: None,
            };
            let reader = CaseReader::of(caller.0.as_ref().map(|u| u.role));
            let (mut total, features) =
                other_page(&mut conn, other, &filter, reader, crs, limit, offset).await?;
            if features.is_empty() && offset > 0 {
                // past the end: the window count saw no row, so count with a one-row page
                total = other_page(&mut conn, other, &filter, reader, crs, 1, 0)
                    .await?
                    .0;
            }
            let features = features
                .into_iter()
                .map(|f| PageFeature::Other(only(f, &wanted)))
                .collect();
            (Matched::Exact(total), features)
        }
    };
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
        let queryables = query
            .queryables
            .iter()
            .map(|(name, value)| (name.as_str(), Some(value)));
        let mut encoded = format!("limit={limit}&offset={offset}");
        for (name, value) in kept
            .map(|(name, value)| (name, value.as_ref()))
            .into_iter()
            .chain(queryables)
        {
            if let Some(value) = value {
                let name = utf8_percent_encode(name, LINK_QUERY_VALUE);
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
    #[derive(serde::Serialize)]
    struct Page<'a> {
        features: Vec<PageFeature<'a>>,
        #[serde(flatten)]
        head: Value,
    }
    let mut head = json!({
        "type": "FeatureCollection",
        "numberMatched": matched.count(),
        "numberReturned": returned,
        "timeStamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "links": links,
    });
    if let Matched::Estimated(_) = matched {
        head["numberMatchedEstimated"] = json!(true);
    }
    Ok(geojson(
        Page {
            features: page,
            head,
        },
        crs,
    ))
}

/// A page of a collection that is not a site kind, and its total.
async fn other_page(
    conn: &mut sqlx::PgConnection,
    collection: Collection,
    filter: &OtherFilter,
    reader: CaseReader,
    crs: &OfferedCrs,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(i64, Vec<Value>)> {
    match collection {
        Collection::AdminAreas => ogc::admin_areas(conn, filter, crs.output, limit, offset).await,
        Collection::Cases => ogc::cases(conn, filter, reader, crs.output, limit, offset).await,
        _ => ogc::projects(conn, filter, crs.output, limit, offset).await,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemQuery {
    /// the CRS of the returned geometry (default CRS84)
    #[param(schema_with = crate::http::schemas::ogc_crs)]
    crs: Option<String>,
}

#[utoipa::path(get, path = "/ogc/collections/{id}/items/{feature_id}", tag = "ogc", params(("id" = String, Path, description = "collection id"), ("feature_id" = String, Path), ItemQuery), responses((status = 200, description = "the feature; for sites, its version as ETag", body = Object, content_type = "application/geo+json"), BadInput, NotFound))]
pub async fn item(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, feature_id)): Path<(String, String)>,
    BaseUrl(base): BaseUrl,
    ApiQuery(query): ApiQuery<ItemQuery>,
) -> Result<Response, AppError> {
    let collection = collection_of(&id, caller.audience())?;
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
                    serde_json::to_value(feature(site.for_audience(caller.audience())))
                })
                .transpose()
                .map_err(|e| AppError::Internal(e.into()))?
        }
        other => {
            let filter = OtherFilter {
                id: Some(feature_id.clone()),
                ..OtherFilter::default()
            };
            let reader = CaseReader::of(caller.0.as_ref().map(|u| u.role));
            let (_, mut features) =
                other_page(&mut conn, other, &filter, reader, crs, 1, 0).await?;
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
