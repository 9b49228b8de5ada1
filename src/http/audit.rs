//! `/api/audit` (admins): every write — projects, sites, links, imports, users, tokens, logins —
//! with actor, time and target, filterable. Read-only: the app has no route that edits the audit.

use super::AppState;
use super::access::Admin;
use super::extract::{ApiQuery, MAX_PAGE, parse_page, parse_time};
use crate::db::audit::{self, AuditEntry, AuditFilter};
use crate::error::AppError;
use crate::http::problems::{BadInput, Forbidden, NotLoggedIn};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    /// who made the writes (a username, "seed", "cli")
    actor: Option<String>,
    /// an action (project.status) or its first part (project, site, login, user, token, import)
    action: Option<String>,
    /// e.g. "project TH2025-01", "site BO-B01", "user li"
    target: Option<String>,
    /// from this time on (a date or an RFC 3339 time)
    since: Option<String>,
    /// before this time
    until: Option<String>,
    /// 1 to 1000, default 100
    #[param(schema_with = crate::http::schemas::limit_page)]
    limit: Option<String>,
    #[param(schema_with = crate::http::schemas::offset)]
    offset: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct AuditPage {
    total: i64,
    items: Vec<AuditEntry>,
}

/// Every write, newest first (admin).
#[utoipa::path(get, path = "/audit", tag = "auth", params(AuditQuery),
    responses((status = 200, description = "OK", body = AuditPage),
              BadInput,
              NotLoggedIn,
              Forbidden),
    security(("session" = []), ("bearer" = [])))]
async fn list_audit(
    Admin(_admin): Admin,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, AppError> {
    if let Some(action) = &query.action
        && !action
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
    {
        return Err(AppError::BadRequest(format!(
            "action must be like project.status or project, got {action:?}"
        )));
    }
    let filter = AuditFilter {
        actor: query.actor,
        action: query.action,
        target: query.target,
        since: parse_time("since", query.since.as_deref())?,
        until: parse_time("until", query.until.as_deref())?,
    };
    let (limit, offset) = parse_page(
        query.limit.as_deref(),
        query.offset.as_deref(),
        100,
        MAX_PAGE,
    )?;
    let mut conn = state.pool.acquire().await?;
    let (total, items) = audit::list(&mut conn, &filter, limit, offset).await?;
    Ok(Json(AuditPage { total, items }))
}
