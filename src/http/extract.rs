//! Request extractors whose rejections are problem+json with a readable message, and the
//! parsing shared by routes: versions from If-Match, coordinates in any accepted CRS.

use super::AppState;
use crate::domain::InputCrs;
use crate::domain::coords::gcj02_to_wgs84;
use crate::domain::text;
use crate::error::AppError;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// `Json<T>` whose errors name the problem in problem+json.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    /// The common mistakes get their own words; any other rejection (a body over the limit, an
    /// unreadable body) keeps axum's status and is made a problem by `guard::errors_as_problems`.
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let words = match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => return Ok(ApiJson(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                "send the body as JSON with Content-Type: application/json".to_string()
            }
            Err(JsonRejection::JsonSyntaxError(e)) => {
                format!("the body is not valid JSON: {}", e.body_text())
            }
            Err(JsonRejection::JsonDataError(e)) => {
                format!("the body does not fit: {}", e.body_text())
            }
            Err(other) => return Err(other.into_response()),
        };
        Err(AppError::BadRequest(words).into_response())
    }
}

/// `Query<T>` whose errors name the problem in problem+json.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        check_query_lengths(parts.uri.query().unwrap_or(""))?;
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(AppError::BadRequest(
                format!("bad query string: {}", e.body_text()),
            )),
            Err(other) => Err(AppError::BadRequest(other.body_text())),
        }
    }
}

/// Every query parameter has a bound: [`text::QUERY_VALUE_MAX`] characters, a CQL2 `filter`
/// [`text::FILTER_MAX`], a free-text `q` [`text::SEARCH_MAX`].
fn check_query_lengths(query: &str) -> Result<(), AppError> {
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let max = match name.as_ref() {
            "filter" => text::FILTER_MAX,
            "q" => text::SEARCH_MAX,
            _ => text::QUERY_VALUE_MAX,
        };
        text::check_length(&text::loggable(&name), &value, max)
            .map_err(|e| AppError::BadRequest(e.to_string()))?;
    }
    Ok(())
}

/// The version a write is based on: `If-Match: "7"` (the ETag of a read), else `version` in the
/// body; a write without either is refused with 428.
pub fn expected_version(headers: &HeaderMap, body_version: Option<i64>) -> Result<i32, AppError> {
    if let Some(value) = headers.get(axum::http::header::IF_MATCH) {
        let text = value.to_str().unwrap_or("").trim();
        let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
        return text.parse::<i32>().map_err(|_| {
            AppError::BadRequest(format!(
                "If-Match must be the ETag of a read, like \"3\"; got {text:?}"
            ))
        });
    }
    match body_version {
        Some(v) => {
            i32::try_from(v).map_err(|_| AppError::BadRequest("version is out of range".into()))
        }
        None => Err(AppError::PreconditionRequired(
            "send the version you read, as If-Match: \"<version>\" or \"version\" in the body"
                .into(),
        )),
    }
}

pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// A versioned aggregate's JSON with its version as ETag and the statuses its lifecycle allows
/// next as `allowed_transitions`, so that a client offers only those.
pub fn versioned_response(
    status: axum::http::StatusCode,
    mut body: serde_json::Value,
    version: i32,
    allowed_next: &[&str],
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if let serde_json::Value::Object(fields) = &mut body {
        fields.insert("allowed_transitions".into(), allowed_next.into());
    }
    let mut response = (status, axum::Json(body)).into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&etag(version)) {
        response
            .headers_mut()
            .insert(axum::http::header::ETAG, value);
    }
    response
}

/// The answer to a guarded write of the `noun` `id` that did not happen; a stale one carries the
/// current state, as `reader_view` lets the caller see it.
pub fn write_refusal<T: crate::db::versioned::Versioned>(
    noun: &str,
    id: i64,
    e: crate::db::versioned::WriteRefusedOrDb<T>,
    reader_view: impl FnOnce(T) -> serde_json::Value,
) -> AppError {
    use crate::db::versioned::{WriteRefused, WriteRefusedOrDb};
    match e {
        WriteRefusedOrDb::Db(e) => e.into(),
        WriteRefusedOrDb::Refused(WriteRefused::NotFound) => {
            AppError::NotFound(format!("there is no {noun} {id}"))
        }
        WriteRefusedOrDb::Refused(WriteRefused::Rule(message)) => AppError::Conflict(message),
        WriteRefusedOrDb::Refused(WriteRefused::Stale(current)) => AppError::Stale {
            message: format!(
                "{noun} {id} was changed by someone else since you read it (it is now at version {}); nothing was changed: review the current state and retry",
                current.version()
            ),
            current: reader_view(*current),
        },
    }
}

/// Parses a `crs` parameter (default WGS84).
pub fn parse_crs(crs: Option<&str>) -> Result<InputCrs, AppError> {
    crs.map_or(Ok(InputCrs::Wgs84), |c| c.parse().map_err(AppError::from))
}

/// Parses one number of a query parameter, naming the parameter when it is not one.
pub fn parse_number(name: &str, value: &str) -> Result<f64, AppError> {
    match value.trim().parse::<f64>() {
        Ok(n) if n.is_finite() => Ok(n),
        _ => Err(AppError::BadRequest(format!(
            "{name} must be a number, got {value:?}"
        ))),
    }
}

/// Converts a coordinate in `crs` to WGS84 lon/lat after checking it is plausible there.
/// Gauss-Krüger input is projected by PostGIS; GCJ-02 is converted here.
pub async fn to_wgs84(
    state: &AppState,
    crs: InputCrs,
    x: f64,
    y: f64,
) -> Result<(f64, f64), AppError> {
    crs.check_coordinate(x, y)?;
    match crs {
        InputCrs::Gcj02 => Ok(gcj02_to_wgs84(x, y)),
        InputCrs::Wgs84 | InputCrs::Cgcs2000 => Ok((x, y)),
        InputCrs::Cgcs2000Gk120 | InputCrs::Cgcs2000Gk40 => {
            let srid = crs.postgis_srid().unwrap_or(4326);
            let point = crate::db::spatial::to_wgs84(&state.pool, x, y, srid).await?;
            Ok(point)
        }
    }
}

/// Largest radius a location query may ask for, in metres.
pub const MAX_RADIUS_M: f64 = 50_000.0;
/// Radius when a location query gives none, in metres.
pub const DEFAULT_RADIUS_M: f64 = 200.0;

pub fn parse_radius(radius: Option<&str>) -> Result<f64, AppError> {
    let Some(text) = radius else {
        return Ok(DEFAULT_RADIUS_M);
    };
    let r = parse_number("radius", text)?;
    if !(0.0..=MAX_RADIUS_M).contains(&r) {
        return Err(AppError::BadRequest(format!(
            "radius must be from 0 to {MAX_RADIUS_M} metres, got {text}"
        )));
    }
    Ok(r)
}

/// `near=x,y&radius=m` or `bbox=minx,miny,maxx,maxy`, in `crs`, as a WGS84 filter.
/// The largest bbox the JSON lists accept: their totals count every match, so a bbox of the
/// whole world would count every row. OGC items take any bbox and estimate large counts instead.
pub const MAX_BBOX_SQUARE_DEGREES: f64 = 100.0;

pub async fn parse_spatial(
    state: &AppState,
    near: Option<&str>,
    radius: Option<&str>,
    bbox: Option<&str>,
    crs: Option<&str>,
) -> Result<Option<crate::db::spatial::SpatialFilter>, AppError> {
    use crate::db::spatial::SpatialFilter;
    let crs = parse_crs(crs)?;
    match (near, bbox) {
        (Some(_), Some(_)) => Err(AppError::BadRequest(
            "give either near or bbox, not both".into(),
        )),
        (Some(near), None) => {
            let parts: Vec<&str> = near.split(',').collect();
            let [x, y] = parts.as_slice() else {
                return Err(AppError::BadRequest(format!(
                    "near must be two numbers x,y (lon,lat in WGS84), got {near:?}"
                )));
            };
            let (lon, lat) = to_wgs84(
                state,
                crs,
                parse_number("near x", x)?,
                parse_number("near y", y)?,
            )
            .await?;
            Ok(Some(SpatialFilter::Near {
                lon,
                lat,
                radius_m: parse_radius(radius)?,
            }))
        }
        (None, Some(bbox)) => {
            if radius.is_some() {
                return Err(AppError::BadRequest(
                    "radius goes with near, not with bbox".into(),
                ));
            }
            let parts: Vec<&str> = bbox.split(',').collect();
            let [a, b, c, d] = parts.as_slice() else {
                return Err(AppError::BadRequest(format!(
                    "bbox must be four numbers minx,miny,maxx,maxy, got {bbox:?}"
                )));
            };
            let (min_x, min_y) = (parse_number("bbox minx", a)?, parse_number("bbox miny", b)?);
            let (max_x, max_y) = (parse_number("bbox maxx", c)?, parse_number("bbox maxy", d)?);
            if min_x > max_x || min_y > max_y {
                return Err(AppError::BadRequest(format!(
                    "bbox must be minx,miny,maxx,maxy with min ≤ max, got {bbox:?} (a box across the antimeridian is not supported)"
                )));
            }
            let (min_lon, min_lat) = to_wgs84(state, crs, min_x, min_y).await?;
            let (max_lon, max_lat) = to_wgs84(state, crs, max_x, max_y).await?;
            let area = (max_lon - min_lon) * (max_lat - min_lat);
            if area > MAX_BBOX_SQUARE_DEGREES {
                return Err(AppError::BadRequest(format!(
                    "bbox covers {area:.0} square degrees; at most {MAX_BBOX_SQUARE_DEGREES:.0} (about four provinces) are accepted: page through a smaller area"
                )));
            }
            Ok(Some(SpatialFilter::BBox {
                min_lon,
                min_lat,
                max_lon,
                max_lat,
            }))
        }
        (None, None) if radius.is_some() => {
            Err(AppError::BadRequest("radius needs near=x,y".into()))
        }
        (None, None) => Ok(None),
    }
}

/// Splits a comma-separated filter value, checking each item against the allowed values.
pub fn parse_list(
    name: &str,
    value: Option<&str>,
    allowed: Option<&[&str]>,
) -> Result<Vec<String>, AppError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let items: Vec<String> = value
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(allowed) = allowed
        && let Some(bad) = items.iter().find(|i| !allowed.contains(&i.as_str()))
    {
        return Err(AppError::BadRequest(format!(
            "unknown {name} {bad:?} (known: {})",
            allowed.join(", ")
        )));
    }
    Ok(items)
}

/// The largest page of the JSON lists.
pub const MAX_PAGE: i64 = 1000;
/// The largest page of whole layers and OGC items.
pub const MAX_FEATURES: i64 = 10_000;

/// The largest `offset` of a page.
pub const MAX_OFFSET: i64 = 10_000_000;

/// `limit` (default and maximum given) and `offset` (default 0).
pub fn parse_page(
    limit: Option<&str>,
    offset: Option<&str>,
    default: i64,
    max: i64,
) -> Result<(i64, i64), AppError> {
    let limit = match limit {
        None => default,
        Some(l) => match l.trim().parse::<i64>() {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => {
                return Err(AppError::BadRequest(format!(
                    "limit must be a whole number from 1 to {max}, got {l:?}"
                )));
            }
        },
    };
    let offset = match offset {
        None => 0,
        Some(o) => match o.trim().parse::<i64>() {
            Ok(n) if (0..=MAX_OFFSET).contains(&n) => n,
            _ => {
                return Err(AppError::BadRequest(format!(
                    "offset must be a whole number from 0, got {o:?}"
                )));
            }
        },
    };
    Ok((limit, offset))
}

/// `sort=field` or `sort=-field` (descending), from a whitelist.
pub fn parse_sort<'a>(
    sort: Option<&'a str>,
    allowed: &[(&str, &str)],
    default: &'a str,
) -> Result<(&'a str, bool), AppError> {
    let text = sort.unwrap_or(default);
    let (field, descending) = match text.strip_prefix('-') {
        Some(f) => (f, true),
        None => (text, false),
    };
    if !allowed.iter().any(|(name, _)| *name == field) {
        let names: Vec<&str> = allowed.iter().map(|(n, _)| *n).collect();
        return Err(AppError::BadRequest(format!(
            "cannot sort by {field:?} (use one of {}, with - for descending)",
            names.join(", ")
        )));
    }
    Ok((field, descending))
}

/// A time parameter: a date (midnight UTC) or an RFC 3339 time; the error names the parameter.
pub fn parse_time(
    name: &str,
    value: Option<&str>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, AppError> {
    value
        .map(|text| {
            crate::domain::time::parse_instant(text).ok_or_else(|| {
                AppError::BadRequest(format!(
                    "{name} must be a date (2025-06-30) or an RFC 3339 time, got {text:?}"
                ))
            })
        })
        .transpose()
}

/// The optional `note` of an edit body: text of at most 2,000 characters, blank meaning none.
pub fn note_of(
    body: &serde_json::Map<String, serde_json::Value>,
) -> Result<Option<String>, AppError> {
    use serde_json::Value;
    match body.get("note") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= crate::domain::text::NOTE_MAX => {
            Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty()))
        }
        Some(_) => Err(AppError::BadRequest(
            "note must be text of at most 2000 characters".into(),
        )),
    }
}

/// A sheet refused as a whole (422): the problem carries the import's summary, every rejected
/// row and cell among its members.
pub fn sheet_refused(message: String, summary: impl serde::Serialize) -> AppError {
    let report = match serde_json::to_value(summary) {
        Ok(serde_json::Value::Object(report)) => report,
        _ => serde_json::Map::new(),
    };
    AppError::Refused { message, report }
}
