//! `/api/reports`: the half-year report for any date in every format, and its editable templates
//! (`/api/report-templates`, admins edit).

use super::AppState;
use super::access::Admin;
use super::extract::{ApiJson, ApiQuery};
use crate::db::audit;
use crate::db::report::{self as sql, ProgrammeReportEdit, ProgrammeTemplate, SectionTemplate};
use crate::domain::choice::{Choice, Format, Lang};
use crate::domain::text::{Bounded, CODE_MAX};
use crate::domain::{Audience, SiteKind};
use crate::error::{AppError, Problem};
use crate::http::problems::{BadInput, Forbidden, NotFound, NotLoggedIn};
use crate::report;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How long a report request waits for the one before it: longer than a large report takes.
const REPORT_QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_report))
        .routes(routes!(list_templates))
        .routes(routes!(put_section))
        .routes(routes!(put_programme_template))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ReportQuery {
    /// the report date, YYYY-MM-DD (end of that day, China time); today when absent
    #[param(schema_with = crate::http::schemas::date)]
    as_of: Option<String>,
    /// md, html, csv, xlsx or json; md when absent
    #[param(schema_with = crate::http::schemas::report_format)]
    format: Option<String>,
    /// zh or en; zh when absent
    #[param(schema_with = crate::http::schemas::report_lang)]
    lang: Option<String>,
    /// add what changed after this date, YYYY-MM-DD
    #[param(schema_with = crate::http::schemas::date)]
    since: Option<String>,
    /// show the public before/after photos of each programme's completed items as thumbnails
    /// (html and json only)
    with_photos: Option<bool>,
}

fn parse_date(name: &str, value: Option<&str>) -> Result<Option<NaiveDate>, AppError> {
    value
        .map(|v| {
            NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map_err(|_| {
                AppError::BadRequest(format!("{name} must be a date as YYYY-MM-DD, not {v:?}"))
            })
        })
        .transpose()
}

fn parse_choice<T: Choice>(value: Option<&str>, default: T) -> Result<T, AppError> {
    value.map_or(Ok(default), |v| {
        T::parse(v).map_err(|e| AppError::BadRequest(e.to_string()))
    })
}

/// The report as of a date, rebuilt from history: counts by status per programme, rates against
/// targets with met/not met, items not yet done, and the sentences of the report; with `since`,
/// the new projects, transitions, completions and slipped items of the period.
#[utoipa::path(get, path = "/reports", tag = "reports", params(ReportQuery),
    responses((status = 200, description = "the report in the asked format (a download)",
               content(("text/markdown"), ("text/html"), ("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("application/json"))),
              BadInput,
              (status = 422, description = "a stored template cannot be rendered; the problem names it", body = Problem, content_type = "application/problem+json"),
              (status = 503, description = "another report is being built; retry after the Retry-After seconds", body = Problem, content_type = "application/problem+json")))]
async fn get_report(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> Result<Response, AppError> {
    let as_of = parse_date("as_of", query.as_of.as_deref())?.unwrap_or_else(report::today);
    let since = parse_date("since", query.since.as_deref())?;
    let format = parse_choice(query.format.as_deref(), Format::Md)?;
    let lang = parse_choice(query.lang.as_deref(), Lang::Zh)?;
    report::check_dates(as_of, since)?;
    let with_photos = query.with_photos.unwrap_or(false);
    if with_photos {
        report::photos::check_format(format, "with_photos").map_err(AppError::BadRequest)?;
    }
    let busy =
        || AppError::Busy("another report is being built; try again in a few seconds".into());
    let _turn = tokio::time::timeout(REPORT_QUEUE_WAIT, state.report_builds.acquire())
        .await
        .map_err(|_| busy())?
        .map_err(|_| busy())?;
    let mut built = report::build(&state.report_pool, as_of, since, lang)
        .await
        .map_err(|e| match e {
            report::ReportError::Template(message) => AppError::Unprocessable(message),
            report::ReportError::Db(e) => e.into(),
        })?;
    if with_photos {
        report::photos::add_photos(&state.report_pool, &state.attachments, &mut built).await?;
    }
    let bytes = report::render::render(&built, format).map_err(AppError::Internal)?;
    let file = format!("report-{as_of}.{}", format.extension());
    let disposition = if format == Format::Json {
        "inline".to_string()
    } else {
        format!("attachment; filename=\"{file}\"")
    };
    Ok((
        [
            (header::CONTENT_TYPE, format.media_type().to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Templates {
    sections: Vec<SectionTemplate>,
    programmes: Vec<ProgrammeTemplate>,
}

/// The report's sections and each programme's part: figures, stage labels and sentence templates
/// (minijinja syntax).
#[utoipa::path(get, path = "/report-templates", tag = "reports",
    responses((status = 200, description = "OK", body = Templates)))]
async fn list_templates(State(state): State<AppState>) -> Result<Json<Templates>, AppError> {
    let mut conn = state.pool.acquire().await?;
    Ok(Json(Templates {
        sections: sql::sections(&mut conn).await?,
        programmes: sql::programme_templates(&mut conn).await?,
    }))
}

fn check_templates(zh: &str, en: &str) -> Result<(), AppError> {
    for (lang, source) in [("template_zh", zh), ("template_en", en)] {
        if source.len() > 20_000 {
            return Err(AppError::BadRequest(format!(
                "{lang} is longer than 20,000 bytes"
            )));
        }
        report::templates::check_template(source)
            .map_err(|e| AppError::BadRequest(format!("{lang} does not compile: {e}")))?;
    }
    Ok(())
}

/// Every counted kind exists and every counted attribute is one of its public ones: reports are
/// read by anyone, so they must not count by a staff-only value.
fn check_inventory(wanted: &[sql::InventoryWanted]) -> Result<(), AppError> {
    for item in wanted {
        let kind: SiteKind = item.kind.parse().map_err(|_| {
            AppError::BadRequest(format!("inventory: there is no site kind {:?}", item.kind))
        })?;
        if let Some(attr) = &item.attr
            && !kind
                .visible_attributes(Audience::Public)
                .any(|spec| spec.name == attr)
        {
            return Err(AppError::BadRequest(format!(
                "inventory: {attr:?} is not a public attribute of {kind}"
            )));
        }
    }
    Ok(())
}

/// Replaces a section's title, intro templates and inventory (admin).
#[utoipa::path(put, path = "/report-templates/sections/{code}", tag = "reports", params(("code" = String, Path)),
    request_body = SectionTemplate,
    responses((status = 200, description = "stored", body = SectionTemplate),
              BadInput,
              NotLoggedIn,
              Forbidden,
              NotFound),
    security(("session" = []), ("bearer" = [])))]
async fn put_section(
    Admin(admin): Admin,
    State(state): State<AppState>,
    Path(code): Path<Bounded<CODE_MAX>>,
    ApiJson(section): ApiJson<SectionTemplate>,
) -> Result<Json<SectionTemplate>, AppError> {
    let code = code.into_inner();
    if section.code != code {
        return Err(AppError::BadRequest(format!(
            "the body's code {:?} differs from the path's {code:?}",
            section.code
        )));
    }
    check_templates(&section.template_zh, &section.template_en)?;
    if section.title_zh.trim().is_empty() {
        return Err(AppError::BadRequest("title_zh is empty".into()));
    }
    check_inventory(&section.inventory.0)?;
    let mut tx = state.pool.begin().await?;
    if !sql::update_section(&mut tx, &section).await? {
        return Err(AppError::NotFound(format!(
            "there is no report section {code:?}"
        )));
    }
    audit::record(
        &mut tx,
        &admin.actor(),
        "report_template.section",
        &format!("report section {code}"),
        serde_json::to_value(&section).unwrap_or_default(),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(section))
}

/// Creates or replaces a programme's part of the report (admin).
#[utoipa::path(put, path = "/report-templates/programmes/{code}", tag = "reports", params(("code" = String, Path)),
    request_body = ProgrammeReportEdit,
    responses((status = 200, description = "stored", body = ProgrammeReportEdit),
              BadInput,
              NotLoggedIn,
              Forbidden,
              NotFound),
    security(("session" = []), ("bearer" = [])))]
async fn put_programme_template(
    Admin(admin): Admin,
    State(state): State<AppState>,
    Path(code): Path<Bounded<CODE_MAX>>,
    ApiJson(template): ApiJson<ProgrammeReportEdit>,
) -> Result<Json<ProgrammeReportEdit>, AppError> {
    let code = code.into_inner();
    check_templates(&template.template_zh, &template.template_en)?;
    if let Some(bad) = template.figures.iter().find(|f| {
        f.key.is_empty()
            || !f
                .key
                .split('.')
                .all(|part| !part.is_empty() && part.len() <= 64)
    }) {
        return Err(AppError::BadRequest(format!(
            "figure key {:?} is not a dotted path",
            bad.key
        )));
    }
    let mut tx = state.pool.begin().await?;
    if !sql::section_exists(&mut tx, &template.section).await? {
        return Err(AppError::BadRequest(format!(
            "there is no report section {:?}",
            template.section
        )));
    }
    if !sql::upsert_programme_template(&mut tx, &code, &template).await? {
        return Err(AppError::NotFound(format!(
            "there is no programme {code:?}"
        )));
    }
    audit::record(
        &mut tx,
        &admin.actor(),
        "report_template.programme",
        &format!("programme {code}"),
        serde_json::to_value(&template).unwrap_or_default(),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(template))
}
