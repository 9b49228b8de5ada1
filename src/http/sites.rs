//! `/api/sites`: list with filters (the project filters plus kind and remediation state), read,
//! create and edit attributes and geometry (editor), with the site's version as ETag.

use super::AppState;
use super::access::Caller;
use super::access::Editor;
use super::extract::{
    ApiJson, ApiQuery, MAX_PAGE, etag, expected_version, parse_crs, parse_list, parse_page,
    parse_sort, parse_spatial, parse_time,
};
use super::site_writes::{self, PropertyMode, SiteChange, not_found};
use crate::db::events::{self, SiteEvent};
use crate::db::sites::{self, SORTS, Site, SiteFilter};
use crate::domain::project::CATEGORIES;
use crate::domain::site_kind::KIND_NAMES;
use crate::domain::site_kind::staff_only_in_any_kind;
use crate::domain::status::{REMEDIATION_STATES, STATUS_NAMES};
use crate::domain::text::{Bounded, NOTE_MAX};
use crate::domain::{Audience, SiteKind};
use crate::error::{AppError, Problem};
use crate::http::problems::{
    BadInput, Conflict, Forbidden, NotFound, NotLoggedIn, Stale, VersionRequired,
};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sites, create_site))
        .routes(routes!(get_site, edit_site))
        .routes(routes!(site_history))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SiteQuery {
    /// comma-separated site kinds
    #[param(schema_with = crate::http::schemas::kinds)]
    kind: Option<String>,
    /// comma-separated remediation states: none, in_progress, done, suspended
    #[param(schema_with = crate::http::schemas::remediation_states)]
    state: Option<String>,
    /// comma-separated statuses of a linked project
    #[param(schema_with = crate::http::schemas::statuses)]
    status: Option<String>,
    /// comma-separated categories of a linked project
    #[param(schema_with = crate::http::schemas::categories)]
    category: Option<String>,
    /// comma-separated programme codes of a linked project
    programme: Option<String>,
    /// comma-separated town codes
    town: Option<String>,
    /// sites linked to this project id
    project: Option<i64>,
    /// text in the name or code
    q: Option<String>,

    updated_since: Option<String>,
    /// x,y: sites within `radius` metres, nearest first
    near: Option<String>,
    /// metres, default 200, at most 50000
    #[param(schema_with = crate::http::schemas::radius)]
    radius: Option<String>,
    /// minx,miny,maxx,maxy
    bbox: Option<String>,
    /// CRS of near and bbox: EPSG:4326 (default), EPSG:4490, EPSG:4549, EPSG:4528 or gcj02
    #[param(schema_with = crate::http::schemas::crs)]
    crs: Option<String>,
    /// code, name, kind, updated_at or distance (with near; the default then); - for descending
    #[param(schema_with = crate::http::schemas::site_sorts)]
    sort: Option<String>,
    /// 1 to 1000, default 50
    #[param(schema_with = crate::http::schemas::limit_page)]
    limit: Option<String>,
    #[param(schema_with = crate::http::schemas::offset)]
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
    responses((status = 200, description = "OK", body = SitePage), BadInput))]
async fn list_sites(
    State(state): State<AppState>,
    caller: Caller,
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
        updated_since: parse_time("updated_since", query.updated_since.as_deref())?,
        spatial,
        states: parse_list("state", query.state.as_deref(), Some(&REMEDIATION_STATES))?,
        project_statuses: parse_list("status", query.status.as_deref(), Some(&STATUS_NAMES))?,
        programmes: parse_list("programme", query.programme.as_deref(), None)?,
        categories: parse_list("category", query.category.as_deref(), Some(&CATEGORIES))?,
        project_id: query.project,
        ..SiteFilter::default()
    };
    let sort = parse_sort(query.sort.as_deref(), &SORTS, default_sort)?;
    let (limit, offset) = parse_page(
        query.limit.as_deref(),
        query.offset.as_deref(),
        50,
        MAX_PAGE,
    )?;
    let mut conn = state.pool.acquire().await?;
    let (total, items) = sites::list(&mut conn, &filter, sort, limit, offset).await?;
    let audience = caller.audience();
    Ok(Json(SitePage {
        total,
        limit,
        offset,
        items: items
            .into_iter()
            .map(|s| s.for_audience(audience))
            .collect(),
    }))
}

fn with_etag(status: StatusCode, site: &Site) -> Response {
    let mut response = (status, Json(site)).into_response();
    if let Ok(value) = HeaderValue::from_str(&etag(site.version)) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// Read one site; its version is the ETag.
#[utoipa::path(get, path = "/sites/{id}", tag = "sites", params(("id" = i64, Path)),
    responses((status = 200, description = "OK", body = Site), NotFound))]
async fn get_site(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let site = sites::get(&mut conn, id)
        .await?
        .ok_or_else(|| not_found(id))?
        .for_audience(caller.audience());
    Ok(with_etag(StatusCode::OK, &site))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CrsQuery {
    /// CRS of the geometry: EPSG:4326 (default), EPSG:4490, EPSG:4549, EPSG:4528 or gcj02
    #[param(schema_with = crate::http::schemas::crs)]
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
    responses((status = 201, description = "created", body = Site), BadInput,
              NotLoggedIn, Forbidden,
              Conflict, (status = 422, description = "refused by a data rule", body = Problem, content_type = "application/problem+json")),
    security(("session" = []), ("bearer" = [])))]
async fn create_site(
    Editor(user): Editor,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<CrsQuery>,
    ApiJson(body): ApiJson<NewSite>,
) -> Result<Response, AppError> {
    let crs = parse_crs(query.crs.as_deref())?;
    let kind: SiteKind = body.kind.parse()?;
    let mut tx = state.pool.begin().await?;
    let site = site_writes::create(
        &mut tx,
        &user.actor(),
        kind,
        body.properties,
        body.geometry,
        crs,
    )
    .await?;
    tx.commit().await?;
    let mut response = with_etag(StatusCode::CREATED, &site);
    if let Ok(location) = HeaderValue::from_str(&format!("/api/sites/{}", site.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
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
    /// a note for the history
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub note: Option<Bounded<NOTE_MAX>>,
}

/// Edit a site's attributes and geometry (editor). Needs If-Match (or `version`).
#[utoipa::path(patch, path = "/sites/{id}", tag = "sites", params(("id" = i64, Path), CrsQuery, ("If-Match" = Option<String>, Header)),
    request_body = SiteEdit,
    responses((status = 200, description = "OK", body = Site), BadInput,
              NotLoggedIn, Forbidden,
              NotFound, Stale,
              VersionRequired),
    security(("session" = []), ("bearer" = [])))]
async fn edit_site(
    Editor(user): Editor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<CrsQuery>,
    ApiJson(body): ApiJson<SiteEdit>,
) -> Result<Response, AppError> {
    let version = expected_version(&headers, body.version)?;
    let change = SiteChange {
        properties: body.properties,
        geometry: body.geometry,
        crs: parse_crs(query.crs.as_deref())?,
        mode: PropertyMode::Merge,
        note: body.note.map(Bounded::into_inner),
    };
    let mut tx = state.pool.begin().await?;
    let site = site_writes::edit(&mut tx, &user.actor(), id, None, Some(version), change).await?;
    tx.commit().await?;
    Ok(with_etag(StatusCode::OK, &site))
}

/// The site's history, oldest first; it stays after the site is deleted.
#[utoipa::path(get, path = "/sites/{id}/history", tag = "sites", params(("id" = i64, Path)),
    responses((status = 200, description = "OK", body = Vec<SiteEvent>), (status = 404, description = "no site with this id ever existed", body = Problem, content_type = "application/problem+json")))]
async fn site_history(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Vec<SiteEvent>>, AppError> {
    let mut conn = state.pool.acquire().await?;
    let mut history = events::site_history(&mut conn, id).await?;
    if history.is_empty() && sites::get(&mut conn, id).await?.is_none() {
        return Err(not_found(id));
    }
    if caller.audience() == Audience::Public {
        for event in &mut history {
            if let Value::Object(changes) = &mut event.changes.0 {
                changes.retain(|field, _| !staff_only_in_any_kind(field));
            }
        }
    }
    Ok(Json(history))
}
