//! `/api/samples` and a site's measurements: the lab's sheets imported (editor; a dry run
//! previews), the parameter vocabulary, a site's series of one parameter and its assessment of
//! a month or a year.

use super::AppState;
use super::access::Editor;
use super::extract::{ApiQuery, parse_time};
use super::site_writes::not_found;
use crate::db::samples;
use crate::domain::monitoring::water::{self, WaterBody, WaterClass};
use crate::domain::monitoring::{PARAMETERS, Parameter, Period};
use crate::domain::text::Bounded;
use crate::error::{AppError, Problem};
use crate::http::problems::{BadInput, Forbidden, NotFound, NotLoggedIn};
use crate::samples::assessment::{self, Assessment};
use crate::samples::effect::{self, ProjectEffect};
use crate::samples::{SampleImportError, SampleImportOptions, SampleImportSummary};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The start of a series without `from`: before any measurement, within PostgreSQL's range.
const EARLIEST: DateTime<Utc> = DateTime::from_timestamp_nanos(-2_208_988_800_000_000_000);

/// Points a series answers at most (five years of daily values fit).
pub const MAX_SERIES_POINTS: usize = 5000;

pub fn routes(max_sheet_bytes: usize) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_samples))
        .layer(DefaultBodyLimit::max(max_sheet_bytes))
        .routes(routes!(list_parameters))
        .routes(routes!(site_series))
        .routes(routes!(site_assessment))
        .routes(routes!(site_monthly_assessments))
        .routes(routes!(all_assessments))
        .routes(routes!(site_grades))
        .routes(routes!(project_effect))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// check the sheet and answer what would be imported, writing nothing
    dry_run: Option<bool>,
    /// the file's name, kept with the batch
    #[param(value_type = Option<String>, max_length = 200)]
    file_name: Option<Bounded<200>>,
    /// the lab, for a sheet without a lab column
    #[param(value_type = Option<String>, max_length = 200)]
    lab: Option<Bounded<200>>,
}

/// Import a lab's sheet of samples (editor): CSV or xlsx, one row per site and time
/// (`site_code`, `sampled_at`), one column per parameter by code or Chinese name, optionally
/// with its unit in brackets. All or nothing: a sheet with any bad row or cell is refused with
/// every problem named (422), and nothing is written.
#[utoipa::path(post, path = "/samples/import", tag = "samples", params(ImportQuery),
    request_body(content = Vec<u8>, description = "the sheet: CSV (UTF-8) or xlsx",
                 content_type = "application/octet-stream"),
    responses((status = 200, description = "imported; or, for a dry run, what would be imported and every rejected row and cell", body = SampleImportSummary),
              (status = 422, description = "refused: a problem whose members `rejected` and `rejected_total` name the rows and cells at fault, with the summary's other counts; nothing was written", body = SampleImportSummary, content_type = "application/problem+json"),
              BadInput, NotLoggedIn, Forbidden,
              (status = 413, description = "the sheet is larger than MAX_SHEET_BYTES", body = Problem, content_type = "application/problem+json")),
    security(("session" = []), ("bearer" = [])))]
async fn import_samples(
    Editor(user): Editor,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Result<Response, AppError> {
    let options = SampleImportOptions {
        file_name: query.file_name.map(Bounded::into_inner),
        lab: query.lab.map(Bounded::into_inner),
        dry_run: query.dry_run.unwrap_or(false),
    };
    let mut tx = state.pool.begin().await?;
    match crate::samples::import(&mut tx, &user.actor(), &body, &options).await {
        Ok(summary) => {
            if options.dry_run {
                tx.rollback().await?;
            } else {
                // the grading columns' trigger announces the sites whose tiles change
                tx.commit().await?;
            }
            Ok(Json(summary).into_response())
        }
        // a preview is answered, problems and all: the check itself succeeded
        Err(SampleImportError::Rejected(summary)) if options.dry_run => {
            Ok(Json(*summary).into_response())
        }
        Err(e @ SampleImportError::Rejected(_)) => {
            let message = e.to_string();
            let SampleImportError::Rejected(summary) = e else {
                return Err(AppError::Unprocessable(message));
            };
            Err(crate::http::extract::sheet_refused(message, *summary))
        }
        Err(SampleImportError::Unreadable(e)) => Err(e.into()),
        Err(SampleImportError::Database(e)) => Err(e.into()),
    }
}

/// One parameter of the vocabulary.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParameterEntry {
    pub code: &'static str,
    pub unit: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    /// water or soil
    pub medium: &'static str,
    pub min: f64,
    pub max: f64,
    /// GB 3838-2002 limits of classes Ⅰ to Ⅴ in rivers (none when not graded); DO's are minima
    pub river_limits: Option<Vec<f64>>,
    pub lake_limits: Option<Vec<f64>>,
    /// the limits are minima (dissolved oxygen): higher is better
    pub higher_is_better: bool,
}

/// The measured parameters, their units and the range a value may take.
#[utoipa::path(get, path = "/parameters", tag = "samples",
    responses((status = 200, description = "OK", body = Vec<ParameterEntry>)))]
async fn list_parameters() -> Json<Vec<ParameterEntry>> {
    Json(
        PARAMETERS
            .iter()
            .map(|p| ParameterEntry {
                code: p.code,
                unit: p.unit,
                name_zh: p.name_zh,
                name_en: p.name_en,
                medium: match p.medium {
                    crate::domain::monitoring::parameter::Medium::Water => "water",
                    crate::domain::monitoring::parameter::Medium::Soil => "soil",
                },
                min: p.min,
                max: p.max,
                river_limits: class_limits(p.parameter, WaterBody::River),
                lake_limits: class_limits(p.parameter, WaterBody::Lake),
                higher_is_better: p.parameter == Parameter::Do,
            })
            .collect(),
    )
}

fn class_limits(parameter: Parameter, body: WaterBody) -> Option<Vec<f64>> {
    WaterClass::ALL[..5]
        .iter()
        .map(|&class| water::limit(parameter, body, class))
        .collect()
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// the parameter's code (see /api/parameters)
    #[param(schema_with = crate::http::schemas::parameters)]
    parameter: String,
    /// from this time (RFC 3339 or a date); the beginning when absent
    from: Option<String>,
    /// before this time; now when absent
    to: Option<String>,
}

/// A site's series of one parameter, as columns: the n-th time, value and detection flag
/// belong together.
#[derive(Debug, Serialize, ToSchema)]
pub struct Series {
    pub site_id: i64,
    pub parameter: &'static str,
    pub unit: &'static str,
    /// the sampling times, oldest first, at most 5000
    #[serde(serialize_with = "rfc3339_each")]
    pub times: Vec<DateTime<Utc>>,
    /// the stored number at each time: the value, or the detection limit when below it (null:
    /// not detected, no limit given)
    pub values: Vec<Option<f64>>,
    /// whether the value at each time is below the detection limit
    pub below_detection: Vec<bool>,
    /// whether more points lie in the range than were answered
    pub truncated: bool,
}

/// Times as RFC 3339 text, each formatted whole: serde's path for a `DateTime` writes it a
/// character at a time, which was a third of a five-year series' cost.
fn rfc3339_each<S: serde::Serializer>(times: &[DateTime<Utc>], out: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = out.serialize_seq(Some(times.len()))?;
    for time in times {
        seq.serialize_element(&time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))?;
    }
    seq.end()
}

/// A site's values of one parameter over time, oldest first.
#[utoipa::path(get, path = "/sites/{id}/samples", tag = "samples", params(("id" = i64, Path), SeriesQuery),
    responses((status = 200, description = "OK", body = Series), BadInput, NotFound))]
async fn site_series(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ApiQuery(query): ApiQuery<SeriesQuery>,
) -> Result<Json<Series>, AppError> {
    let parameter: Parameter = query.parameter.parse()?;
    let from = parse_time("from", query.from.as_deref())?.unwrap_or(EARLIEST);
    let to = parse_time("to", query.to.as_deref())?
        .unwrap_or(EARLIEST + chrono::Duration::days(300 * 366));
    let mut conn = state.pool.acquire().await?;
    let mut points = samples::series(
        &mut conn,
        id,
        parameter.code(),
        from,
        to,
        MAX_SERIES_POINTS + 1,
    )
    .await?;
    // a site without points may not exist: only then is it looked up
    if points.is_empty() && !samples::site_exists(&mut conn, id).await? {
        return Err(not_found(id));
    }
    let truncated = points.len() > MAX_SERIES_POINTS;
    points.truncate(MAX_SERIES_POINTS);
    Ok(Json(Series {
        site_id: id,
        parameter: parameter.code(),
        unit: parameter.unit(),
        times: points.iter().map(|p| p.sampled_at).collect(),
        values: points.iter().map(|p| p.value).collect(),
        below_detection: points.iter().map(|p| p.below_detection).collect(),
        truncated,
    }))
}

/// [start, end) of a period.
type Bounds = (DateTime<Utc>, DateTime<Utc>);

/// A period parameter and its bounds, both refused with a message naming the problem.
fn period_and_bounds(text: &str) -> Result<(Period, Bounds), AppError> {
    let period = Period::parse(text)?;
    let bounds = period
        .bounds()
        .ok_or_else(|| AppError::BadRequest(format!("period {period} is out of range")))?;
    Ok((period, bounds))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssessmentQuery {
    /// a month (2025-06) or a year (2025), China time
    #[param(pattern = r"^\d{4}(-\d{2})?$")]
    period: String,
}

/// A site's assessment of a month or a year: each parameter's mean graded by GB 3838-2002 (or,
/// for a plot, GB 36600), the class by the single-factor rule, the target and whether it is met.
#[utoipa::path(get, path = "/sites/{id}/assessment", tag = "samples", params(("id" = i64, Path), AssessmentQuery),
    responses((status = 200, description = "OK", body = Assessment), BadInput, NotFound))]
async fn site_assessment(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ApiQuery(query): ApiQuery<AssessmentQuery>,
) -> Result<Json<Assessment>, AppError> {
    let (period, bounds) = period_and_bounds(&query.period)?;
    let mut conn = state.pool.acquire().await?;
    let sites = samples::sites_by_id(&mut conn, &[id]).await?;
    let mut assessed = assessment::assess(&mut conn, &sites, &period.to_string(), bounds).await?;
    assessed.pop().map(Json).ok_or_else(|| not_found(id))
}

/// The effect of a project on each linked site with samples: the means and class of the 90 days
/// before its actual start against the 90 days after its actual end (or, while it runs, the 90
/// days up to the latest sample), and the parameters that moved the class.
#[utoipa::path(get, path = "/projects/{id}/effect", tag = "samples", params(("id" = i64, Path)),
    responses((status = 200, description = "OK", body = ProjectEffect), NotFound))]
async fn project_effect(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<ProjectEffect>, AppError> {
    let mut conn = state.pool.acquire().await?;
    let project = crate::db::projects::get(&mut conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no project {id}")))?;
    let answer = effect::effect(&mut conn, id, project.actual_start, project.actual_end).await?;
    Ok(Json(answer))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// the year whose months are assessed
    #[param(minimum = 1900, maximum = 2200)]
    year: i32,
}

/// A site's assessment of each month of a year (months without samples have no class).
#[utoipa::path(get, path = "/sites/{id}/assessment/monthly", tag = "samples", params(("id" = i64, Path), YearQuery),
    responses((status = 200, description = "OK", body = Vec<Assessment>), BadInput, NotFound))]
async fn site_monthly_assessments(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Json<Vec<Assessment>>, AppError> {
    if !(1900..=2200).contains(&query.year) {
        return Err(AppError::BadRequest(
            "year must be between 1900 and 2200".into(),
        ));
    }
    let mut conn = state.pool.acquire().await?;
    let sites = samples::sites_by_id(&mut conn, &[id]).await?;
    if sites.is_empty() {
        return Err(not_found(id));
    }
    let mut months = Vec::with_capacity(12);
    for month in 1..=12 {
        let period = Period::Month {
            year: query.year,
            month,
        };
        let Some(bounds) = period.bounds() else {
            continue;
        };
        months.extend(assessment::assess(&mut conn, &sites, &period.to_string(), bounds).await?);
    }
    Ok(Json(months))
}

/// A black-odor body's grade per survey (day, China time), oldest first: the last five years.
#[utoipa::path(get, path = "/sites/{id}/grades", tag = "samples", params(("id" = i64, Path)),
    responses((status = 200, description = "OK", body = Vec<crate::samples::grades::SurveyGrade>), NotFound))]
async fn site_grades(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Vec<crate::samples::grades::SurveyGrade>>, AppError> {
    let mut conn = state.pool.acquire().await?;
    let Some(site) = samples::sites_by_id(&mut conn, &[id]).await?.pop() else {
        return Err(not_found(id));
    };
    Ok(Json(
        crate::samples::grades::history(&mut conn, &site).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AllAssessmentsQuery {
    /// a month (2025-06) or a year (2025), China time
    #[param(pattern = r"^\d{4}(-\d{2})?$")]
    period: String,
    /// the kind of site assessed; monitoring sections when absent
    #[param(schema_with = crate::http::schemas::kinds)]
    kind: Option<String>,
}

/// One site's class in a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct SiteClass {
    pub site_id: i64,
    pub code: String,
    #[schema(value_type = Option<String>)]
    pub class: Option<WaterClass>,
    pub meets_target: Option<bool>,
    pub limiting: Vec<&'static str>,
}

/// Every site of a kind assessed over a period, with the totals a dashboard shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodAssessments {
    pub period: String,
    /// sites with a graded parameter in the period
    pub assessed: usize,
    /// of the assessed sites with a target, how many meet it
    pub with_target: usize,
    pub meeting_target: usize,
    pub worse_than_v: usize,
    /// the assessed sites, by code
    pub sites: Vec<SiteClass>,
}

/// Every site of a kind (monitoring sections by default) graded over a month or a year.
#[utoipa::path(get, path = "/assessments", tag = "samples", params(AllAssessmentsQuery),
    responses((status = 200, description = "OK", body = PeriodAssessments), BadInput))]
async fn all_assessments(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<AllAssessmentsQuery>,
) -> Result<Json<PeriodAssessments>, AppError> {
    let (period, bounds) = period_and_bounds(&query.period)?;
    let kind: crate::domain::SiteKind = query
        .kind
        .as_deref()
        .unwrap_or("monitoring_section")
        .parse()?;
    let mut conn = state.pool.acquire().await?;
    let sites = samples::sites_of_kind(&mut conn, kind.as_str()).await?;
    let assessed = assessment::assess(&mut conn, &sites, &period.to_string(), bounds).await?;
    let sites: Vec<SiteClass> = assessed
        .into_iter()
        .filter(|a| a.class.is_some())
        .map(|a| SiteClass {
            site_id: a.site_id,
            code: a.code,
            class: a.class,
            meets_target: a.meets_target,
            limiting: a.limiting,
        })
        .collect();
    Ok(Json(PeriodAssessments {
        period: period.to_string(),
        assessed: sites.len(),
        with_target: sites.iter().filter(|s| s.meets_target.is_some()).count(),
        meeting_target: sites
            .iter()
            .filter(|s| s.meets_target == Some(true))
            .count(),
        worse_than_v: sites
            .iter()
            .filter(|s| s.class == Some(WaterClass::WorseThanV))
            .count(),
        sites,
    }))
}
