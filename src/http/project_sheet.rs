//! `POST /api/projects/update`: the towns' monthly progress sheet, as the CLI's
//! `projects update`, with a dry run that is the preview.

use super::AppState;
use super::access::Editor;
use super::extract::{ApiQuery, sheet_refused};
use crate::domain::text::Bounded;
use crate::error::{AppError, Problem};
use crate::http::problems::{BadInput, Forbidden, NotLoggedIn};
use crate::progress_sheet::{self, ProgressSheetError, ProgressSheetSummary};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes(max_sheet_bytes: usize) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(update_projects))
        .layer(DefaultBodyLimit::max(max_sheet_bytes))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgressSheetQuery {
    /// the file's name, written into each change's note ("imported from <file>, row N")
    #[param(value_type = String, max_length = 200)]
    file_name: Bounded<200>,
    /// check the sheet and answer every change it would make, writing nothing
    dry_run: Option<bool>,
}

/// Update projects from a progress sheet (editor): CSV or xlsx with a project-code column
/// (项目编号) and any of 状态, 进度, 阶段, 实际开工日期, 实际完工日期, 责任单位, 备注.
/// All or nothing: a sheet with any bad row (an unknown project, a transition the lifecycle
/// refuses) is refused (422) with every row named, and nothing is written.
#[utoipa::path(post, path = "/projects/update", tag = "projects", params(ProgressSheetQuery),
    request_body(content = Vec<u8>, description = "the sheet: CSV or xlsx", content_type = "application/octet-stream"),
    responses((status = 200, description = "updated; or, for a dry run, every change before → after and every rejected row", body = ProgressSheetSummary),
              (status = 422, description = "refused: `rejected` names the rows at fault; nothing was written", body = ProgressSheetSummary, content_type = "application/problem+json"),
              BadInput, NotLoggedIn, Forbidden,
              (status = 413, description = "the sheet is larger than MAX_SHEET_BYTES", body = Problem, content_type = "application/problem+json")),
    security(("session" = []), ("bearer" = [])))]
async fn update_projects(
    Editor(user): Editor,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ProgressSheetQuery>,
    body: Bytes,
) -> Result<Response, AppError> {
    let dry_run = query.dry_run.unwrap_or(false);
    let file_name = query.file_name.into_inner();
    let mut tx = state.pool.begin().await?;
    match progress_sheet::update(&mut tx, &user.actor(), &body, &file_name, dry_run).await {
        Ok(summary) => {
            if dry_run {
                tx.rollback().await?;
            } else {
                tx.commit().await?;
            }
            Ok(Json(summary).into_response())
        }
        Err(ProgressSheetError::Rejected(summary)) if dry_run => Ok(Json(*summary).into_response()),
        Err(e @ ProgressSheetError::Rejected(_)) => {
            let message = e.to_string();
            let ProgressSheetError::Rejected(summary) = e else {
                return Err(AppError::Unprocessable(message));
            };
            Err(sheet_refused(message, *summary))
        }
        Err(ProgressSheetError::Unreadable(message)) => Err(AppError::BadRequest(message)),
        Err(ProgressSheetError::Database(e)) => Err(e.into()),
    }
}
