//! `/api/projects`: list with filters, read, create, edit, status transitions, progress, site
//! links and history. Every write needs an editor and the version it was based on.

use super::AppState;
use super::access::Editor;
use super::extract::{
    ApiJson, ApiQuery, MAX_PAGE, expected_version, note_of, parse_list, parse_page, parse_sort,
    parse_spatial, parse_time, versioned_response, write_refusal,
};
use crate::db::events::{self, Event};
use crate::db::projects::{self, NewProject, Project, ProjectFilter, SORTS, WriteRefusedOrDb};
use crate::domain::ProjectStatus;
use crate::domain::project::{self as fields, CATEGORIES, FieldValue};
use crate::domain::status::STATUS_NAMES;
use crate::domain::text::{Bounded, NOTE_MAX, checked_code};
use crate::error::AppError;
use crate::http::problems::{
    BadInput, Conflict, Forbidden, NotFound, NotLoggedIn, Stale, VersionRequired,
};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_projects, create_project))
        .routes(routes!(get_project, edit_project))
        .routes(routes!(transition))
        .routes(routes!(set_progress))
        .routes(routes!(link_site))
        .routes(routes!(unlink_site))
        .routes(routes!(history))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectQuery {
    /// comma-separated statuses
    #[param(schema_with = crate::http::schemas::statuses)]
    status: Option<String>,
    /// comma-separated categories: air, water, soil, ecology, safety
    #[param(schema_with = crate::http::schemas::categories)]
    category: Option<String>,
    /// comma-separated programme codes
    programme: Option<String>,
    /// comma-separated town codes
    town: Option<String>,
    /// text in the name or code
    q: Option<String>,
    /// a date or RFC 3339 time
    updated_since: Option<String>,
    /// x,y: projects with a site within `radius` metres
    near: Option<String>,
    /// metres, default 200, at most 50000
    #[param(schema_with = crate::http::schemas::radius)]
    radius: Option<String>,
    /// minx,miny,maxx,maxy: projects with a site in the box
    bbox: Option<String>,
    /// CRS of near and bbox: EPSG:4326 (default), EPSG:4490, EPSG:4549, EPSG:4528 or gcj02
    #[param(schema_with = crate::http::schemas::crs)]
    crs: Option<String>,
    /// projects linked to this site id
    site: Option<i64>,
    /// code, name, status, progress, updated_at or planned_end; prefix - for descending
    #[param(schema_with = crate::http::schemas::project_sorts)]
    sort: Option<String>,
    /// 1 to 1000, default 50
    #[param(schema_with = crate::http::schemas::limit_page)]
    limit: Option<String>,
    #[param(schema_with = crate::http::schemas::offset)]
    offset: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ProjectPage {
    /// how many projects match the filters
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
    pub items: Vec<Project>,
}

/// List projects with filters, sorting and pagination.
#[utoipa::path(get, path = "/projects", tag = "projects", params(ProjectQuery),
    responses((status = 200, description = "OK", body = ProjectPage), BadInput))]
async fn list_projects(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ProjectQuery>,
) -> Result<Json<ProjectPage>, AppError> {
    let filter = ProjectFilter {
        statuses: parse_list("status", query.status.as_deref(), Some(&STATUS_NAMES))?,
        categories: parse_list("category", query.category.as_deref(), Some(&CATEGORIES))?,
        programmes: parse_list("programme", query.programme.as_deref(), None)?,
        towns: parse_list("town", query.town.as_deref(), None)?,
        text: query
            .q
            .map(|q| q.trim().to_string())
            .filter(|q| !q.is_empty()),
        updated_since: parse_time("updated_since", query.updated_since.as_deref())?,
        spatial: parse_spatial(
            &state,
            query.near.as_deref(),
            query.radius.as_deref(),
            query.bbox.as_deref(),
            query.crs.as_deref(),
        )
        .await?,
        site_id: query.site,
    };
    let sort = parse_sort(query.sort.as_deref(), &SORTS, "code")?;
    let (limit, offset) = parse_page(
        query.limit.as_deref(),
        query.offset.as_deref(),
        50,
        MAX_PAGE,
    )?;
    let mut conn = state.pool.acquire().await?;
    let (total, items) = projects::list(&mut conn, &filter, sort, limit, offset).await?;
    Ok(Json(ProjectPage {
        total,
        limit,
        offset,
        items,
    }))
}

/// A project with its version as ETag and its next statuses.
fn with_etag(status: StatusCode, project: &Project) -> Response {
    let next: Vec<&str> = project
        .status
        .parse::<ProjectStatus>()
        .map(|current| current.allowed_next().iter().map(|s| s.as_str()).collect())
        .unwrap_or_default();
    versioned_response(
        status,
        serde_json::to_value(project).unwrap_or(Value::Null),
        project.version,
        &next,
    )
}

/// Read one project; its version is the ETag.
#[utoipa::path(get, path = "/projects/{id}", tag = "projects", params(("id" = i64, Path)),
    responses((status = 200, description = "OK", body = Project, headers(("ETag" = String, description = "the version, for If-Match"))),
              NotFound))]
async fn get_project(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let project = projects::get(&mut conn, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(with_etag(StatusCode::OK, &project))
}

fn not_found(id: i64) -> AppError {
    AppError::NotFound(format!("there is no project {id}"))
}

fn refusal(id: i64, e: WriteRefusedOrDb) -> AppError {
    write_refusal("project", id, e, |current| {
        serde_json::to_value(&current).unwrap_or(Value::Null)
    })
}

#[derive(Deserialize, ToSchema)]
pub struct CreateProject {
    pub code: String,
    pub name: String,
    /// air, water, soil, ecology or safety
    pub category: String,
    /// defaults to planned
    pub status: Option<String>,
    /// required when the status is suspended
    pub status_reason: Option<String>,
    /// site ids to link
    #[serde(default)]
    pub sites: Vec<i64>,
    /// a note for the history
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub note: Option<Bounded<NOTE_MAX>>,
    /// any other editable field: name_en, programme (code), stage, progress, responsible_unit,
    /// town_code, funding_source, funding_amount, planned_start, planned_end, actual_start,
    /// actual_end, description, attrs
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
}

/// Create a project (editor).
#[utoipa::path(post, path = "/projects", tag = "projects", request_body = CreateProject,
    responses((status = 201, description = "created", body = Project, headers(("ETag" = String), ("Location" = String))),
              BadInput,
              NotLoggedIn,
              Forbidden,
              Conflict),
    security(("session" = []), ("bearer" = [])))]
async fn create_project(
    Editor(user): Editor,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateProject>,
) -> Result<Response, AppError> {
    let code = checked_code(&body.code).map_err(AppError::BadRequest)?;
    let status: ProjectStatus = body.status.as_deref().unwrap_or("planned").parse()?;
    let status_reason = body
        .status_reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if status == ProjectStatus::Suspended && status_reason.is_none() {
        return Err(AppError::BadRequest(
            "a suspended project needs a status_reason".into(),
        ));
    }
    let mut all = body.fields;
    all.insert("name".into(), Value::String(body.name));
    all.insert("category".into(), Value::String(body.category));
    let values = fields::parse_edit(&all, &[])?;
    let new = NewProject {
        code,
        status,
        status_reason,
        fields: values,
        site_ids: body.sites,
    };
    let mut tx = state.pool.begin().await?;
    let project = projects::create(
        &mut tx,
        &user.actor(),
        &new,
        body.note.as_ref().map(Bounded::as_str),
    )
    .await
    .map_err(|e| refusal(0, e))?;
    tx.commit().await?;
    let mut response = with_etag(StatusCode::CREATED, &project);
    if let Ok(location) = HeaderValue::from_str(&format!("/api/projects/{}", project.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Edit fields (editor). Needs If-Match (or `version` in the body); only fields that differ are
/// changed and recorded; a body that changes nothing records nothing.
#[utoipa::path(patch, path = "/projects/{id}", tag = "projects", params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "the ETag you read")),
    request_body(content = Object, description = "fields to change, plus optional note and version"),
    responses((status = 200, description = "OK", body = Project), BadInput,
              NotLoggedIn, Forbidden,
              NotFound,
              Stale,
              VersionRequired),
    security(("session" = []), ("bearer" = [])))]
async fn edit_project(
    Editor(user): Editor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> Result<Response, AppError> {
    let version = expected_version(&headers, body.get("version").and_then(Value::as_i64))?;
    let note = note_of(&body)?;
    let values: Vec<FieldValue> = fields::parse_edit(&body, &["version", "note"])?;
    let mut tx = state.pool.begin().await?;
    let (project, _changed) = projects::edit(
        &mut tx,
        &user.actor(),
        id,
        version,
        &values,
        note.as_deref(),
        "edit",
    )
    .await
    .map_err(|e| refusal(id, e))?;
    tx.commit().await?;
    Ok(with_etag(StatusCode::OK, &project))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// the target status
    pub to: String,
    /// what happened, for the history
    #[schema(value_type = String, max_length = 2000)]
    pub note: Bounded<NOTE_MAX>,
    /// why: required when suspending
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub reason: Option<Bounded<NOTE_MAX>>,
    /// the version you read, if you do not send If-Match
    pub version: Option<i64>,
}

/// Move a project to another status of its lifecycle (editor). A refused transition (409) names
/// the transitions allowed from the current status.
#[utoipa::path(post, path = "/projects/{id}/transitions", tag = "projects", params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = TransitionRequest,
    responses((status = 200, description = "OK", body = Project), BadInput,
              NotLoggedIn, Forbidden,
              NotFound, Conflict,
              Stale, VersionRequired),
    security(("session" = []), ("bearer" = [])))]
async fn transition(
    Editor(user): Editor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<TransitionRequest>,
) -> Result<Response, AppError> {
    let version = expected_version(&headers, body.version)?;
    let to: ProjectStatus = body.to.parse()?;
    let note = body.note.as_str().trim();
    if note.is_empty() || note.chars().count() > 2000 {
        return Err(AppError::BadRequest(
            "a transition needs a note of 1 to 2000 characters".into(),
        ));
    }
    let mut tx = state.pool.begin().await?;
    let project = projects::transition(
        &mut tx,
        &user.actor(),
        id,
        version,
        to,
        note,
        body.reason.as_ref().map(Bounded::as_str),
    )
    .await
    .map_err(|e| refusal(id, e))?;
    tx.commit().await?;
    Ok(with_etag(StatusCode::OK, &project))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressRequest {
    /// 0 to 100
    pub progress: i64,
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub note: Option<Bounded<NOTE_MAX>>,
    pub version: Option<i64>,
}

/// Record progress (editor).
#[utoipa::path(post, path = "/projects/{id}/progress", tag = "projects", params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = ProgressRequest,
    responses((status = 200, description = "OK", body = Project), BadInput,
              NotLoggedIn, Forbidden,
              NotFound, Stale,
              VersionRequired),
    security(("session" = []), ("bearer" = [])))]
async fn set_progress(
    Editor(user): Editor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ProgressRequest>,
) -> Result<Response, AppError> {
    let version = expected_version(&headers, body.version)?;
    let json = fields::parse_field(fields::FieldType::Progress, &Value::from(body.progress))
        .map_err(|e| AppError::BadRequest(format!("progress: {e}")))?;
    let value = FieldValue {
        field: "progress",
        ty: fields::FieldType::Progress,
        json,
    };
    let mut tx = state.pool.begin().await?;
    let (project, _) = projects::edit(
        &mut tx,
        &user.actor(),
        id,
        version,
        &[value],
        body.note.as_ref().map(Bounded::as_str),
        "progress",
    )
    .await
    .map_err(|e| refusal(id, e))?;
    tx.commit().await?;
    Ok(with_etag(StatusCode::OK, &project))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    pub site_id: i64,
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub note: Option<Bounded<NOTE_MAX>>,
    pub version: Option<i64>,
}

/// Link a site to the project (editor).
#[utoipa::path(post, path = "/projects/{id}/sites", tag = "projects", params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = LinkRequest,
    responses((status = 200, description = "OK", body = Project), NotLoggedIn,
              Forbidden, NotFound,
              Conflict, Stale,
              VersionRequired),
    security(("session" = []), ("bearer" = [])))]
async fn link_site(
    Editor(user): Editor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LinkRequest>,
) -> Result<Response, AppError> {
    let version = expected_version(&headers, body.version)?;
    let mut tx = state.pool.begin().await?;
    let (project, _) = projects::link(
        &mut tx,
        &user.actor(),
        id,
        version,
        body.site_id,
        body.note.as_ref().map(Bounded::as_str),
    )
    .await
    .map_err(|e| refusal(id, e))?;
    tx.commit().await?;
    Ok(with_etag(StatusCode::OK, &project))
}

/// Unlink a site from the project (editor).
#[utoipa::path(delete, path = "/projects/{id}/sites/{site_id}", tag = "projects",
    params(("id" = i64, Path), ("site_id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "OK", body = Project), NotLoggedIn,
              Forbidden, NotFound,
              Stale, VersionRequired),
    security(("session" = []), ("bearer" = [])))]
async fn unlink_site(
    Editor(user): Editor,
    State(state): State<AppState>,
    Path((id, site_id)): Path<(i64, i64)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let version = expected_version(&headers, None)?;
    let mut tx = state.pool.begin().await?;
    let (project, _) = projects::unlink(&mut tx, &user.actor(), id, version, site_id, None)
        .await
        .map_err(|e| refusal(id, e))?;
    tx.commit().await?;
    Ok(with_etag(StatusCode::OK, &project))
}

/// The project's history, oldest first.
#[utoipa::path(get, path = "/projects/{id}/history", tag = "projects", params(("id" = i64, Path)),
    responses((status = 200, description = "OK", body = Vec<Event>), NotFound))]
async fn history(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Event>>, AppError> {
    let mut conn = state.pool.acquire().await?;
    if projects::get(&mut conn, id).await?.is_none() {
        return Err(not_found(id));
    }
    Ok(Json(events::history(&mut conn, id).await?))
}
