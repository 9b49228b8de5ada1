//! `/api/sites`: list with filters (the project filters plus kind and remediation state), read,
//! create and edit attributes and geometry (editor), with the site's version as ETag.

use super::AppState;
use super::auth::Caller;
use super::extract::{
    ApiJson, ApiQuery, etag, expected_version, parse_crs, parse_list, parse_page, parse_since,
    parse_sort, parse_spatial,
};
use crate::db::sites::{self, SORTS, Site, SiteFilter};
use crate::domain::SiteKind;
use crate::domain::account::Role;
use crate::domain::project::CATEGORIES;
use crate::domain::site_kind::KIND_NAMES;
use crate::domain::status::{REMEDIATION_STATES, STATUS_NAMES};
use crate::error::{AppError, Problem};
use crate::import::{ImportTarget, to_row};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sites, create_site))
        .routes(routes!(get_site, edit_site))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SiteQuery {
    /// comma-separated site kinds
    kind: Option<String>,
    /// comma-separated remediation states: none, in_progress, done, suspended
    state: Option<String>,
    /// comma-separated statuses of a linked project
    status: Option<String>,
    /// comma-separated categories of a linked project
    category: Option<String>,
    /// comma-separated programme codes of a linked project
    programme: Option<String>,
    /// comma-separated town codes
    town: Option<String>,
    /// text in the name or code
    q: Option<String>,
    updated_since: Option<String>,
    /// x,y: sites within `radius` metres, nearest first
    near: Option<String>,
    /// metres, default 200, at most 50000
    radius: Option<String>,
    /// minx,miny,maxx,maxy
    bbox: Option<String>,
    /// CRS of near and bbox: EPSG:4326 (default), EPSG:4490, EPSG:4549, EPSG:4528 or gcj02
    crs: Option<String>,
    /// code, name, kind, updated_at or distance (with near; the default then); - for descending
    sort: Option<String>,
    /// 1 to 1000, default 50
    limit: Option<String>,
    offset: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SitePage {
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
    pub items: Vec<Site>,
}

/// List sites with filters, sorting and pagination.
#[utoipa::path(get, path = "/sites", tag = "sites", params(SiteQuery),
    responses((status = 200, description = "OK", body = SitePage), (status = 400, description = "bad input, named in the problem", body = Problem, content_type = "application/problem+json")))]
async fn list_sites(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<SiteQuery>,
) -> Result<Json<SitePage>, AppError> {
    let spatial = parse_spatial(
        &state,
        query.near.as_deref(),
        query.radius.as_deref(),
        query.bbox.as_deref(),
        query.crs.as_deref(),
    )
    .await?;
    let default_sort = if query.near.is_some() {
        "distance"
    } else {
        "code"
    };
    let filter = SiteFilter {
        kinds: parse_list("kind", query.kind.as_deref(), Some(&KIND_NAMES))?,
        towns: parse_list("town", query.town.as_deref(), None)?,
        text: query
            .q
            .map(|q| q.trim().to_string())
            .filter(|q| !q.is_empty()),
        updated_since: parse_since(query.updated_since.as_deref())?,
        spatial,
        states: parse_list("state", query.state.as_deref(), Some(&REMEDIATION_STATES))?,
        project_statuses: parse_list("status", query.status.as_deref(), Some(&STATUS_NAMES))?,
        programmes: parse_list("programme", query.programme.as_deref(), None)?,
        categories: parse_list("category", query.category.as_deref(), Some(&CATEGORIES))?,
        ..SiteFilter::default()
    };
    let sort = parse_sort(query.sort.as_deref(), &SORTS, default_sort)?;
    let (limit, offset) = parse_page(query.limit.as_deref(), query.offset.as_deref(), 50, 1000)?;
    let mut conn = state.pool.acquire().await?;
    let (total, items) = sites::list(&mut conn, &filter, sort, limit, offset).await?;
    Ok(Json(SitePage {
        total,
        limit,
        offset,
        items,
    }))
}

fn with_etag(status: StatusCode, site: &Site) -> Response {
    let mut response = (status, Json(site)).into_response();
    if let Ok(value) = HeaderValue::from_str(&etag(site.version)) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

fn not_found(id: i64) -> AppError {
    AppError::NotFound(format!("there is no site {id}"))
}

/// Read one site; its version is the ETag.
#[utoipa::path(get, path = "/sites/{id}", tag = "sites", params(("id" = i64, Path)),
    responses((status = 200, description = "OK", body = Site), (status = 404, description = "not found", body = Problem, content_type = "application/problem+json")))]
async fn get_site(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let site = sites::get(&mut conn, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(with_etag(StatusCode::OK, &site))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CrsQuery {
    /// CRS of the geometry: EPSG:4326 (default), EPSG:4490, EPSG:4549, EPSG:4528 or gcj02
    crs: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct NewSite {
    /// the site kind
    pub kind: String,
    /// code, name and the kind's attributes (docs/site-kinds.md)
    #[schema(value_type = Object)]
    pub properties: Map<String, Value>,
    /// GeoJSON geometry
    #[schema(value_type = Object)]
    pub geometry: Value,
}

/// Create a site (editor): a GeoJSON-like body with kind, properties and geometry.
#[utoipa::path(post, path = "/sites", tag = "sites", params(CrsQuery), request_body = NewSite,
    responses((status = 201, description = "created", body = Site), (status = 400, description = "bad input, named in the problem", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "not logged in", body = Problem, content_type = "application/problem+json"), (status = 403, description = "the caller's role does not allow this", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "conflicts with the current state", body = Problem, content_type = "application/problem+json"), (status = 422, description = "refused by a data rule", body = Problem, content_type = "application/problem+json")),
    security(("session" = []), ("bearer" = [])))]
async fn create_site(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<CrsQuery>,
    ApiJson(body): ApiJson<NewSite>,
) -> Result<Response, AppError> {
    caller.require(Role::Editor)?;
    let crs = parse_crs(query.crs.as_deref())?;
    let kind: SiteKind = body.kind.parse().map_err(AppError::BadRequest)?;
    let feature =
        json!({ "type": "Feature", "properties": body.properties, "geometry": body.geometry });
    let row = to_row(0, feature, ImportTarget::Site(kind), crs).map_err(AppError::BadRequest)?;
    let mut tx = state.pool.begin().await?;
    check_geometry(&mut tx, &row.wkb, crs.postgis_srid().unwrap_or(4326)).await?;
    let id = sites::create(
        &mut tx,
        kind.as_str(),
        &row,
        crs.postgis_srid().unwrap_or(4326),
    )
    .await?;
    let site = sites::get(&mut tx, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    tx.commit().await?;
    let mut response = with_etag(StatusCode::CREATED, &site);
    if let Ok(location) = HeaderValue::from_str(&format!("/api/sites/{id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Refuses an invalid geometry with PostGIS's reason, before the constraint does it wordlessly.
pub async fn check_geometry(
    conn: &mut sqlx::PgConnection,
    wkb: &[u8],
    srid: i32,
) -> Result<(), AppError> {
    let reason: Option<String> = sqlx::query_scalar(
        "SELECT CASE WHEN NOT ST_IsValid(g) THEN 'invalid geometry: ' || ST_IsValidReason(g)
                     WHEN NOT tracker_geom_ok(g) THEN 'the geometry falls outside the longitude/latitude range' END
         FROM (SELECT ST_Transform(ST_GeomFromWKB($1, $2), 4326) AS g) t",
    )
    .bind(wkb)
    .bind(srid)
    .fetch_one(conn)
    .await?;
    match reason {
        Some(reason) => Err(AppError::BadRequest(reason)),
        None => Ok(()),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct SiteEdit {
    /// properties to change; null removes an attribute. The code cannot change.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub properties: Map<String, Value>,
    /// a new GeoJSON geometry, in `crs`
    #[schema(value_type = Option<Object>)]
    pub geometry: Option<Value>,
    pub version: Option<i64>,
}

/// Edit a site's attributes and geometry (editor). Needs If-Match (or `version`).
#[utoipa::path(patch, path = "/sites/{id}", tag = "sites", params(("id" = i64, Path), CrsQuery, ("If-Match" = Option<String>, Header)),
    request_body = SiteEdit,
    responses((status = 200, description = "OK", body = Site), (status = 400, description = "bad input, named in the problem", body = Problem, content_type = "application/problem+json"),
              (status = 401, description = "not logged in", body = Problem, content_type = "application/problem+json"), (status = 403, description = "the caller's role does not allow this", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "not found", body = Problem, content_type = "application/problem+json"), (status = 412, description = "stale version: nothing changed; `current` holds the current state", body = Problem, content_type = "application/problem+json"),
              (status = 428, description = "no version given (If-Match or version)", body = Problem, content_type = "application/problem+json")),
    security(("session" = []), ("bearer" = [])))]
async fn edit_site(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<CrsQuery>,
    ApiJson(body): ApiJson<SiteEdit>,
) -> Result<Response, AppError> {
    caller.require(Role::Editor)?;
    let version = expected_version(&headers, body.version)?;
    let crs = parse_crs(query.crs.as_deref())?;
    let mut tx = state.pool.begin().await?;
    let Some((current_version, _)) = sites::lock(&mut tx, id).await? else {
        return Err(not_found(id));
    };
    let current = sites::get(&mut tx, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    if current_version != version {
        return Err(AppError::Stale {
            message: format!(
                "site {id} was changed by someone else since you read it (it is now at version {current_version}); nothing was changed"
            ),
            current: serde_json::to_value(&current).unwrap_or(Value::Null),
        });
    }
    let kind: SiteKind = current.kind.parse().map_err(AppError::BadRequest)?;
    if let Some(code) = body.properties.get("code")
        && code.as_str() != Some(current.code.as_str())
    {
        return Err(AppError::BadRequest("a site's code cannot change".into()));
    }
    // the stored properties, overlaid with the edit
    let mut props = current.attrs.0.as_object().cloned().unwrap_or_default();
    props.insert("code".into(), json!(current.code));
    props.insert("name".into(), json!(current.name));
    props.insert("name_en".into(), json!(current.name_en));
    props.insert("placeholder".into(), json!(current.placeholder));
    if kind == SiteKind::KeyZone {
        props.insert("radius_m".into(), json!(current.radius_m));
    }
    for (key, value) in body.properties {
        if value.is_null() && !["name_en", "town_code"].contains(&key.as_str()) {
            props.remove(&key);
        } else {
            props.insert(key, value);
        }
    }
    let (geometry, geometry_crs) = match body.geometry {
        Some(g) => (g, crs),
        None => (current.geometry.0.clone(), crate::domain::InputCrs::Wgs84),
    };
    let feature = json!({ "type": "Feature", "properties": props, "geometry": geometry });
    let row =
        to_row(0, feature, ImportTarget::Site(kind), geometry_crs).map_err(AppError::BadRequest)?;
    let srid = geometry_crs.postgis_srid().unwrap_or(4326);
    check_geometry(&mut tx, &row.wkb, srid).await?;
    let new_geometry = (geometry_crs != crate::domain::InputCrs::Wgs84
        || current.geometry.0 != geometry)
        .then_some((row.wkb.as_slice(), srid));
    sites::replace(&mut tx, id, &row, new_geometry).await?;
    let site = sites::get(&mut tx, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    tx.commit().await?;
    Ok(with_etag(StatusCode::OK, &site))
}
