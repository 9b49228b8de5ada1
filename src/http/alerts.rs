//! `/api/alerts` (logged in): the early warnings opened by imported samples, listed with
//! filters, and acknowledged with a note (editor). Every change is in the audit.

use super::AppState;
use super::access::{Editor, Viewer};
use super::extract::{ApiJson, ApiQuery, MAX_PAGE, parse_list, parse_page};
use crate::db::alerts::{self, Alert, AlertFilter};
use crate::db::audit;
use crate::domain::monitoring::alert::AlertKind;
use crate::domain::text::{Bounded, NOTE_MAX};
use crate::error::AppError;
use crate::http::problems::{BadInput, Conflict, Forbidden, NotFound, NotLoggedIn};
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub const ALERT_STATES: [&str; 3] = ["open", "acknowledged", "closed"];

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_alerts))
        .routes(routes!(get_alert))
        .routes(routes!(acknowledge_alert))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct AlertQuery {
    /// comma-separated: open, acknowledged, closed
    #[param(pattern = r"^(open|acknowledged|closed)(,(open|acknowledged|closed))*$")]
    state: Option<String>,
    /// comma-separated: over_target, worse_than_v, rebound, soil_over_screening, soil_over_intervention
    #[param(
        pattern = r"^(over_target|worse_than_v|rebound|soil_over_screening|soil_over_intervention)(,(over_target|worse_than_v|rebound|soil_over_screening|soil_over_intervention))*$"
    )]
    kind: Option<String>,
    /// comma-separated town codes
    town: Option<String>,
    site_id: Option<i64>,
    /// 1 to 1000, default 100
    #[param(schema_with = crate::http::schemas::limit_page)]
    limit: Option<String>,
    #[param(schema_with = crate::http::schemas::offset)]
    offset: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct AlertPage {
    total: i64,
    /// alerts not yet acknowledged or closed, whatever the filter (the bell's count)
    open: i64,
    items: Vec<Alert>,
}

/// Alerts, newest first.
#[utoipa::path(get, path = "/alerts", tag = "samples", params(AlertQuery),
    responses((status = 200, description = "OK", body = AlertPage), BadInput, NotLoggedIn),
    security(("session" = []), ("bearer" = [])))]
async fn list_alerts(
    Viewer(_user): Viewer,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<AlertQuery>,
) -> Result<Json<AlertPage>, AppError> {
    let filter = AlertFilter {
        states: parse_list("state", query.state.as_deref(), Some(&ALERT_STATES))?,
        kinds: parse_list("kind", query.kind.as_deref(), Some(&AlertKind::NAMES))?,
        towns: parse_list("town", query.town.as_deref(), None)?,
        site_id: query.site_id,
    };
    let (limit, offset) = parse_page(
        query.limit.as_deref(),
        query.offset.as_deref(),
        100,
        MAX_PAGE,
    )?;
    let mut conn = state.pool.acquire().await?;
    let items = alerts::list(&mut conn, &filter, limit, offset).await?;
    let total = match items.first() {
        Some(first) => first.total,
        None if offset > 0 => alerts::list(&mut conn, &filter, 1, 0)
            .await?
            .first()
            .map_or(0, |a| a.total),
        None => 0,
    };
    let open = alerts::open_count(&mut conn).await?;
    Ok(Json(AlertPage { total, open, items }))
}

/// One alert.
#[utoipa::path(get, path = "/alerts/{id}", tag = "samples", params(("id" = i64, Path)),
    responses((status = 200, description = "OK", body = Alert), NotLoggedIn, NotFound),
    security(("session" = []), ("bearer" = [])))]
async fn get_alert(
    Viewer(_user): Viewer,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Alert>, AppError> {
    let mut conn = state.pool.acquire().await?;
    alerts::get(&mut conn, id)
        .await?
        .map(Json)
        .ok_or_else(|| no_alert(id))
}

fn no_alert(id: i64) -> AppError {
    AppError::NotFound(format!("there is no alert {id}"))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Acknowledgement {
    /// what is being done about it
    #[schema(value_type = String, min_length = 1, max_length = 2000)]
    note: Bounded<NOTE_MAX>,
}

/// Acknowledge an open alert with a note (editor); it stays acknowledged until a later sample
/// is back within bounds, which closes it.
#[utoipa::path(post, path = "/alerts/{id}/acknowledge", tag = "samples", params(("id" = i64, Path)),
    request_body = Acknowledgement,
    responses((status = 200, description = "acknowledged", body = Alert), BadInput, NotLoggedIn, Forbidden, NotFound, Conflict),
    security(("session" = []), ("bearer" = [])))]
async fn acknowledge_alert(
    Editor(user): Editor,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Acknowledgement>,
) -> Result<Json<Alert>, AppError> {
    let note = body.note.into_inner();
    let note = note.trim();
    if note.is_empty() {
        return Err(AppError::BadRequest(
            "an acknowledgement needs a note".into(),
        ));
    }
    let actor = user.actor();
    let mut tx = state.pool.begin().await?;
    match alerts::acknowledge(&mut tx, id, &actor.name, note).await? {
        None => return Err(no_alert(id)),
        Some(false) => {
            return Err(AppError::Conflict(format!(
                "alert {id} is not open: only an open alert can be acknowledged"
            )));
        }
        Some(true) => {}
    }
    audit::record(
        &mut tx,
        &actor,
        "alert.acknowledged",
        &format!("alert {id}"),
        json!({ "note": note }),
    )
    .await?;
    let alert = alerts::get(&mut tx, id)
        .await?
        .ok_or_else(|| no_alert(id))?;
    tx.commit().await?;
    Ok(Json(alert))
}
