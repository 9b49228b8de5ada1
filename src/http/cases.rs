//! `/api/cases`: the casework ledgers. List with filters, read, create, edit, lifecycle
//! transitions, history, the repeat check before a petition is saved, the repeat hot spots and
//! the counts for the dashboard. Anonymous readers never see a petition; viewers see petitions
//! without the complainant; every write needs an editor and the version it was based on.

use super::AppState;
use super::access::{Caller, Editor, Viewer};
use super::extract::{
    ApiJson, ApiQuery, MAX_PAGE, expected_version, note_of, parse_crs, parse_list, parse_number,
    parse_page, parse_sort, parse_spatial, sheet_refused, to_wgs84, versioned_response,
    write_refusal,
};
use crate::db::cases::{
    self, Case, CaseFilter, Move, NewCase, RepeatCandidate, SORTS, TownCount, WriteRefusedOrDb,
};
use crate::db::events::{self, CaseEvent};
use crate::domain::casework::{
    CaseCategory, CaseFields, CaseKind, CaseReader, CaseStatus, PointGeometry, PointType,
};
use crate::domain::choice::Choice;
use crate::domain::text::{Bounded, NOTE_MAX, checked_code};
use crate::error::{AppError, Problem};
use crate::http::problems::{
    BadInput, Conflict, Forbidden, NotFound, NotLoggedIn, Stale, VersionRequired,
};
use crate::ledger::{LedgerImportError, LedgerImportOptions, LedgerImportSummary};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes(max_sheet_bytes: usize) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_ledger))
        .layer(DefaultBodyLimit::max(max_sheet_bytes))
        .routes(routes!(list_cases, create_case))
        .routes(routes!(case_repeats))
        .routes(routes!(case_hotspots))
        .routes(routes!(case_summary))
        .routes(routes!(get_case, edit_case))
        .routes(routes!(case_transition))
        .routes(routes!(case_history))
}

fn reader_of(caller: &Caller) -> CaseReader {
    CaseReader::of(caller.0.as_ref().map(|user| user.role))
}

fn names<T: Choice>() -> Vec<&'static str> {
    T::ALL.iter().map(|c| c.name()).collect()
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// comma-separated kinds: petition, hidden_danger, inspection_finding, prominent_problem
    kind: Option<String>,
    /// comma-separated statuses: received, assigned, handling, resolved, closed, reopened
    status: Option<String>,
    /// comma-separated categories: air, water, noise, solid_waste, soil, other
    category: Option<String>,
    /// comma-separated town codes
    town: Option<String>,
    /// true: only overdue cases; false: only those that are not
    overdue: Option<String>,
    /// text in the code, title, description or address
    q: Option<String>,
    /// received on or after this date
    received_from: Option<String>,
    /// received on or before this date
    received_to: Option<String>,
    /// x,y: cases within `radius` metres
    near: Option<String>,
    /// metres, default 200, at most 50000
    #[param(schema_with = crate::http::schemas::radius)]
    radius: Option<String>,
    /// minx,miny,maxx,maxy
    bbox: Option<String>,
    /// CRS of near and bbox: EPSG:4326 (default), EPSG:4490, EPSG:4549, EPSG:4528 or gcj02
    #[param(schema_with = crate::http::schemas::crs)]
    crs: Option<String>,
    /// cases at this site id
    site: Option<i64>,
    /// cases fixed by this project id
    project: Option<i64>,
    /// code, received_on, deadline, status, category or updated_at; prefix - for descending
    sort: Option<String>,
    /// 1 to 1000, default 50
    #[param(schema_with = crate::http::schemas::limit_page)]
    limit: Option<String>,
    #[param(schema_with = crate::http::schemas::offset)]
    offset: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CasePage {
    /// how many cases match the filters (that the caller may see)
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
    pub items: Vec<Case>,
}

fn parse_date(name: &str, value: Option<&str>) -> Result<Option<NaiveDate>, AppError> {
    value
        .map(|v| {
            v.trim().parse::<NaiveDate>().map_err(|_| {
                AppError::BadRequest(format!("{name} must be a date YYYY-MM-DD, got {v:?}"))
            })
        })
        .transpose()
}

/// List cases with filters, sorting and pagination; anonymous readers get no petitions.
#[utoipa::path(get, path = "/cases", tag = "cases", params(CaseQuery),
    responses((status = 200, description = "OK", body = CasePage), BadInput))]
async fn list_cases(
    caller: Caller,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<CaseQuery>,
) -> Result<Json<CasePage>, AppError> {
    let reader = reader_of(&caller);
    let overdue = match query.overdue.as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "overdue must be true or false, got {other:?}"
            )));
        }
    };
    let filter = CaseFilter {
        kinds: parse_list("kind", query.kind.as_deref(), Some(&names::<CaseKind>()))?,
        statuses: parse_list(
            "status",
            query.status.as_deref(),
            Some(&names::<CaseStatus>()),
        )?,
        categories: parse_list(
            "category",
            query.category.as_deref(),
            Some(&names::<CaseCategory>()),
        )?,
        towns: parse_list("town", query.town.as_deref(), None)?,
        overdue,
        text: query
            .q
            .map(|q| q.trim().to_string())
            .filter(|q| !q.is_empty()),
        received_from: parse_date("received_from", query.received_from.as_deref())?,
        received_to: parse_date("received_to", query.received_to.as_deref())?,
        spatial: parse_spatial(
            &state,
            query.near.as_deref(),
            query.radius.as_deref(),
            query.bbox.as_deref(),
            query.crs.as_deref(),
        )
        .await?,
        site_id: query.site,
        project_id: query.project,
        ..CaseFilter::new(reader)
    };
    let sort = parse_sort(query.sort.as_deref(), &SORTS, "-received_on")?;
    let (limit, offset) = parse_page(
        query.limit.as_deref(),
        query.offset.as_deref(),
        50,
        MAX_PAGE,
    )?;
    let mut conn = state.pool.acquire().await?;
    let (total, items) = cases::list(&mut conn, &filter, sort, limit, offset).await?;
    Ok(Json(CasePage {
        total,
        limit,
        offset,
        items: items
            .into_iter()
            .filter_map(|c| c.for_reader(reader))
            .collect(),
    }))
}

/// The case as `reader` sees it, with its version as ETag and its next statuses.
fn case_response(status: StatusCode, case: Case, reader: CaseReader) -> Response {
    let next: Vec<&str> = case
        .status()
        .map(|s| s.allowed_next().iter().map(|s| s.name()).collect())
        .unwrap_or_default();
    let version = case.version;
    let body = case
        .for_reader(reader)
        .and_then(|c| serde_json::to_value(c).ok())
        .unwrap_or(Value::Null);
    versioned_response(status, body, version, &next)
}

fn not_found(id: i64) -> AppError {
    AppError::NotFound(format!("there is no case {id}"))
}

fn refusal(id: i64, e: WriteRefusedOrDb) -> AppError {
    write_refusal("case", id, e, |current| {
        current
            .for_reader(CaseReader::Editor)
            .and_then(|c| serde_json::to_value(c).ok())
            .unwrap_or(Value::Null)
    })
}

/// The case `reader` may see, or 404 (a petition does not exist for anonymous readers).
async fn visible_case(state: &AppState, id: i64, reader: CaseReader) -> Result<Case, AppError> {
    let mut conn = state.pool.acquire().await?;
    cases::get(&mut conn, id)
        .await?
        .and_then(|c| c.for_reader(reader))
        .ok_or_else(|| not_found(id))
}

/// Read one case; its version is the ETag.
#[utoipa::path(get, path = "/cases/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, description = "OK", body = Case, headers(("ETag" = String, description = "the version, for If-Match"))),
              NotFound))]
async fn get_case(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let reader = reader_of(&caller);
    let case = visible_case(&state, id, reader).await?;
    Ok(case_response(StatusCode::OK, case, reader))
}

/// Converts a point given in `crs` to WGS84.
async fn point_in_wgs84(
    state: &AppState,
    point: Option<PointGeometry>,
    crs: Option<&str>,
) -> Result<Option<PointGeometry>, AppError> {
    let Some(point) = point else {
        return Ok(None);
    };
    let crs = parse_crs(crs)?;
    let [x, y] = point.coordinates;
    let (lon, lat) = to_wgs84(state, crs, x, y).await?;
    Ok(Some(PointGeometry {
        kind: PointType::Point,
        coordinates: [lon, lat],
    }))
}

/// Reads a case's fields from JSON, naming the field that is wrong.
fn fields_from(map: Map<String, Value>) -> Result<CaseFields, AppError> {
    serde_json::from_value(Value::Object(map)).map_err(|e| AppError::BadRequest(e.to_string()))
}

#[derive(Deserialize, ToSchema)]
pub struct CreateCase {
    /// petition, hidden_danger, inspection_finding or prominent_problem
    pub kind: String,
    /// the ledger's number; given the next free one of the kind and year when absent
    pub code: Option<String>,
    /// defaults to received
    pub status: Option<String>,
    /// CRS of `geometry`: EPSG:4326 (default), EPSG:4490, EPSG:4549, EPSG:4528 or gcj02
    pub crs: Option<String>,
    /// a note for the history
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub note: Option<Bounded<NOTE_MAX>>,
    /// received_on, source, category, title (required); description, geometry (a GeoJSON
    /// Point), site_id, address, town_code, responsible_unit, deadline, severity, inspection,
    /// resolution, complainant_name, complainant_phone, repeat_of, project_id
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
}

/// Create a case (editor).
#[utoipa::path(post, path = "/cases", tag = "cases", request_body = CreateCase,
    responses((status = 201, description = "created", body = Case, headers(("ETag" = String), ("Location" = String))),
              BadInput, NotLoggedIn, Forbidden, Conflict),
    security(("session" = []), ("bearer" = [])))]
async fn create_case(
    Editor(user): Editor,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateCase>,
) -> Result<Response, AppError> {
    let kind: CaseKind = body.kind.parse()?;
    let status: CaseStatus = body.status.as_deref().unwrap_or("received").parse()?;
    let code = body
        .code
        .as_deref()
        .map(checked_code)
        .transpose()
        .map_err(AppError::BadRequest)?;
    let mut fields = fields_from(body.fields)?
        .checked(kind)
        .map_err(AppError::BadRequest)?;
    fields.geometry = point_in_wgs84(&state, fields.geometry, body.crs.as_deref()).await?;
    if status.is_resolved() && fields.resolution.is_none() {
        return Err(AppError::BadRequest(format!(
            "a {status} case needs its resolution"
        )));
    }
    let new = NewCase {
        kind,
        code,
        status,
        fields,
        created_at: None,
    };
    let mut tx = state.pool.begin().await?;
    let case = cases::create(
        &mut tx,
        &user.actor(),
        &new,
        body.note.as_ref().map(Bounded::as_str),
    )
    .await
    .map_err(|e| refusal(0, e))?;
    tx.commit().await?;
    let location = format!("/api/cases/{}", case.id);
    let mut response = case_response(StatusCode::CREATED, case, CaseReader::Editor);
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Edit fields (editor). Needs If-Match (or `version` in the body); `crs` tells the CRS of a
/// new geometry; only fields that differ are changed and recorded.
#[utoipa::path(patch, path = "/cases/{id}", tag = "cases", params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "the ETag you read")),
    request_body(content = Object, description = "fields to change (null clears one), plus optional note, crs and version"),
    responses((status = 200, description = "OK", body = Case), BadInput, NotLoggedIn, Forbidden,
              NotFound, Conflict, Stale, VersionRequired),
    security(("session" = []), ("bearer" = [])))]
async fn edit_case(
    Editor(user): Editor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(mut body): ApiJson<Map<String, Value>>,
) -> Result<Response, AppError> {
    let version = expected_version(&headers, body.get("version").and_then(Value::as_i64))?;
    body.remove("version");
    let note = note_of(&body)?;
    body.remove("note");
    let crs = match body.remove("crs") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => return Err(AppError::BadRequest("crs must be text".into())),
    };
    for fixed in ["kind", "code", "status"] {
        if body.contains_key(fixed) {
            return Err(AppError::BadRequest(format!(
                "{fixed} cannot be edited{}",
                if fixed == "status" {
                    ": use POST /api/cases/{id}/transitions"
                } else {
                    ""
                }
            )));
        }
    }
    let new_point = match body.get("geometry") {
        Some(Value::Null) | None => None,
        Some(g) => Some(
            serde_json::from_value::<PointGeometry>(g.clone())
                .map_err(|e| AppError::BadRequest(format!("geometry: {e}")))?,
        ),
    };
    let new_geometry = point_in_wgs84(&state, new_point, crs.as_deref()).await?;
    // the merge reads the row locked at the caller's version, so nothing can change under it
    let mut tx = state.pool.begin().await?;
    let current = cases::lock_at_version(&mut tx, id, version)
        .await
        .map_err(|e| refusal(id, e))?;
    let kind = current
        .kind()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a stored case has an unknown kind")))?;
    let stored = current.fields().map_err(|e| {
        AppError::Internal(anyhow::anyhow!("a stored case does not read back: {e}"))
    })?;
    let mut merged = match serde_json::to_value(&stored) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    merged.extend(body);
    let mut after = fields_from(merged)?
        .checked(kind)
        .map_err(AppError::BadRequest)?;
    if new_geometry.is_some() {
        after.geometry = new_geometry;
    }
    let (case, _changed) = cases::edit(&mut tx, &user.actor(), current, &after, note.as_deref())
        .await
        .map_err(|e| refusal(id, e))?;
    tx.commit().await?;
    Ok(case_response(StatusCode::OK, case, CaseReader::Editor))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseTransition {
    /// the target status
    pub to: String,
    /// what happened, for the history
    #[schema(value_type = String, max_length = 2000)]
    pub note: Bounded<NOTE_MAX>,
    /// the resolution: required to resolve unless one is stored
    #[schema(value_type = Option<String>, max_length = 4000)]
    pub resolution: Option<Bounded<4000>>,
    /// the version you read, if you do not send If-Match
    pub version: Option<i64>,
}

/// Move a case along its lifecycle (editor). A refused transition (409) names those allowed.
#[utoipa::path(post, path = "/cases/{id}/transitions", tag = "cases", params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = CaseTransition,
    responses((status = 200, description = "OK", body = Case), BadInput, NotLoggedIn, Forbidden,
              NotFound, Conflict, Stale, VersionRequired),
    security(("session" = []), ("bearer" = [])))]
async fn case_transition(
    Editor(user): Editor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CaseTransition>,
) -> Result<Response, AppError> {
    let version = expected_version(&headers, body.version)?;
    let to: CaseStatus = body.to.parse()?;
    let note = body.note.as_str().trim();
    if note.is_empty() {
        return Err(AppError::BadRequest(
            "a transition needs a note of 1 to 2000 characters".into(),
        ));
    }
    let step = Move {
        to,
        note,
        resolution: body.resolution.as_ref().map(Bounded::as_str),
    };
    let mut tx = state.pool.begin().await?;
    let case = cases::transition(&mut tx, &user.actor(), id, version, step)
        .await
        .map_err(|e| refusal(id, e))?;
    tx.commit().await?;
    Ok(case_response(StatusCode::OK, case, CaseReader::Editor))
}

/// The case's history, oldest first; complainant details only for editors.
#[utoipa::path(get, path = "/cases/{id}/history", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, description = "OK", body = Vec<CaseEvent>), NotFound))]
async fn case_history(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Vec<CaseEvent>>, AppError> {
    let reader = reader_of(&caller);
    visible_case(&state, id, reader).await?;
    let mut conn = state.pool.acquire().await?;
    let mut events = events::case_history(&mut conn, id).await?;
    for event in &mut events {
        if let Some(changes) = &mut event.changes {
            cases::redact_changes(&mut changes.0, reader);
        }
    }
    Ok(Json(events))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RepeatQuery {
    /// x of the new petition's place (longitude in WGS84)
    lon: String,
    /// y of the new petition's place (latitude in WGS84)
    lat: String,
    /// air, water, noise, solid_waste, soil or other
    category: String,
    /// CRS of lon and lat: EPSG:4326 (default), EPSG:4490, EPSG:4549, EPSG:4528 or gcj02
    #[param(schema_with = crate::http::schemas::crs)]
    crs: Option<String>,
    /// when the new petition was received; today when absent
    received_on: Option<String>,
    /// a case to leave out (the one being edited)
    exclude: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct RepeatCheck {
    pub radius_m: f64,
    pub days: i64,
    /// earlier petitions of the category within the radius and days, nearest first
    pub candidates: Vec<RepeatCandidate>,
}

/// Earlier petitions likely about the same thing as a new one (staff): same category, within
/// REPEAT_RADIUS_M metres (geodesic) and REPEAT_DAYS days before. For the check before saving.
#[utoipa::path(get, path = "/cases/repeats", tag = "cases", params(RepeatQuery),
    responses((status = 200, description = "OK", body = RepeatCheck), BadInput, NotLoggedIn),
    security(("session" = []), ("bearer" = [])))]
async fn case_repeats(
    Viewer(_viewer): Viewer,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<RepeatQuery>,
) -> Result<Json<RepeatCheck>, AppError> {
    let category: CaseCategory = query.category.parse()?;
    let crs = parse_crs(query.crs.as_deref())?;
    let (x, y) = (
        parse_number("lon", &query.lon)?,
        parse_number("lat", &query.lat)?,
    );
    let place = to_wgs84(&state, crs, x, y).await?;
    let received_on = match parse_date("received_on", query.received_on.as_deref())? {
        Some(day) => day,
        None => crate::report::today(),
    };
    let window = state.config.repeat_window;
    let mut conn = state.pool.acquire().await?;
    let candidates = cases::repeat_candidates(
        &mut conn,
        window,
        place,
        category.name(),
        received_on,
        query.exclude,
    )
    .await?;
    Ok(Json(RepeatCheck {
        radius_m: window.radius_m,
        days: window.days,
        candidates,
    }))
}

/// Places where petitions repeat (staff), as GeoJSON points: each first petition that later
/// ones repeat, with `repeat_count`, for the hot-spot layer.
#[utoipa::path(get, path = "/cases/hotspots", tag = "cases",
    responses((status = 200, description = "a GeoJSON FeatureCollection", body = Object), NotLoggedIn),
    security(("session" = []), ("bearer" = [])))]
async fn case_hotspots(
    Viewer(_viewer): Viewer,
    State(state): State<AppState>,
) -> Result<Json<Value>, AppError> {
    let mut conn = state.pool.acquire().await?;
    Ok(Json(cases::hotspots(&mut conn).await?))
}

#[derive(Serialize, ToSchema)]
pub struct CaseSummary {
    /// counts per kind and status: {"petition": {"received": 3, …}, …}
    #[schema(value_type = Object)]
    pub by_kind_and_status: Value,
    /// petitions per town and category: counts only, for everyone
    pub petitions_by_town_and_category: Vec<cases::TownCategoryCount>,
    /// hidden dangers: found, major, rectified (resolved or closed) and open
    pub hidden_dangers: cases::DangerCounts,
    /// overdue cases per town
    pub overdue_by_town: Vec<TownCount>,
    /// open petitions linked as repeats, per town; staff only (empty for anonymous readers)
    pub open_repeats_by_town: Vec<TownCount>,
}

/// The dashboard's case counts. Anonymous readers get counts per town and category, never a case.
#[utoipa::path(get, path = "/cases/summary", tag = "cases",
    responses((status = 200, description = "OK", body = CaseSummary)))]
async fn case_summary(
    caller: Caller,
    State(state): State<AppState>,
) -> Result<Json<CaseSummary>, AppError> {
    let reader = reader_of(&caller);
    let mut conn = state.pool.acquire().await?;
    Ok(Json(CaseSummary {
        by_kind_and_status: cases::counts_by_kind_and_status(&mut conn).await?,
        petitions_by_town_and_category: cases::petitions_by_town_and_category(&mut conn).await?,
        hidden_dangers: cases::danger_counts(&mut conn).await?,
        overdue_by_town: cases::overdue_by_town(&mut conn).await?,
        open_repeats_by_town: if reader.sees_petitions() {
            cases::open_repeats_by_town(&mut conn).await?
        } else {
            Vec::new()
        },
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// petition, hidden_danger, inspection_finding or prominent_problem
    kind: String,
    /// CRS of the coordinates columns: EPSG:4326 (default), EPSG:4490, EPSG:4549, EPSG:4528 or gcj02
    #[param(schema_with = crate::http::schemas::crs)]
    crs: Option<String>,
    /// check the ledger and answer what would be imported, writing nothing
    dry_run: Option<bool>,
    /// the file's name, kept in the audit
    #[param(value_type = Option<String>, max_length = 200)]
    file_name: Option<Bounded<200>>,
}

/// Import a ledger of one kind of case (editor): CSV or xlsx, columns by code or by the usual
/// Chinese headers (编号, 受理日期, 来源, 类别, 地址/位置, 经度, 纬度, 责任单位, 办理期限,
/// 办理状态, 办结情况 …). All or nothing: a ledger with any bad row is refused with every
/// problem named (422), and nothing is written.
#[utoipa::path(post, path = "/cases/import", tag = "cases", params(LedgerQuery),
    request_body(content = Vec<u8>, description = "the ledger: CSV (UTF-8) or xlsx",
                 content_type = "application/octet-stream"),
    responses((status = 200, description = "imported; or, for a dry run, what would be imported and every rejected row", body = LedgerImportSummary),
              (status = 422, description = "refused: `rejected` and `rejected_total` name the rows at fault; nothing was written", body = LedgerImportSummary, content_type = "application/problem+json"),
              BadInput, NotLoggedIn, Forbidden,
              (status = 413, description = "the sheet is larger than MAX_SHEET_BYTES", body = Problem, content_type = "application/problem+json")),
    security(("session" = []), ("bearer" = [])))]
async fn import_ledger(
    Editor(user): Editor,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<LedgerQuery>,
    body: Bytes,
) -> Result<Response, AppError> {
    let options = LedgerImportOptions {
        kind: query.kind.parse()?,
        crs: parse_crs(query.crs.as_deref())?,
        dry_run: query.dry_run.unwrap_or(false),
        file_name: query.file_name.map(Bounded::into_inner),
    };
    let mut tx = state.pool.begin().await?;
    match crate::ledger::import(&mut tx, &user.actor(), &body, &options).await {
        Ok(summary) => {
            if options.dry_run {
                tx.rollback().await?;
            } else {
                tx.commit().await?;
            }
            Ok(Json(summary).into_response())
        }
        Err(LedgerImportError::Rejected(summary)) if options.dry_run => {
            Ok(Json(*summary).into_response())
        }
        Err(e @ LedgerImportError::Rejected(_)) => {
            let message = e.to_string();
            let LedgerImportError::Rejected(summary) = e else {
                return Err(AppError::Unprocessable(message));
            };
            Err(sheet_refused(message, *summary))
        }
        Err(LedgerImportError::Unreadable(e)) => Err(e.into()),
        Err(LedgerImportError::Database(e)) => Err(e.into()),
    }
}
