//! The one error type of the HTTP layer, rendered as `application/problem+json` (RFC 9457).
//! Internal causes are logged, never sent: a 5xx body carries only a generic message.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    /// A write based on an old version; carries the current state so the client can merge.
    #[error("{message}")]
    Stale { message: String, current: Value },
    #[error("{0}")]
    Unprocessable(String),
    /// Input refused as a whole (a lab sheet), with the report naming each problem as extension
    /// members of the problem.
    #[error("{message}")]
    Refused {
        message: String,
        report: serde_json::Map<String, Value>,
    },
    #[error("{0}")]
    PreconditionRequired(String),
    #[error("the database is unavailable; try again shortly")]
    Unavailable,
    /// A bounded resource is taken (e.g. report builds); the message says which.
    #[error("{0}")]
    Busy(String),
    /// Any other status with its reason (errors of the framework, made problems).
    #[error("{1}")]
    Status(StatusCode, String),
    /// Too many attempts (e.g. failed logins); retry after the given seconds.
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_secs: u64,
    },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// The problem+json body; documented in the OpenAPI document as `Problem`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// always "about:blank": the status and title say what kind of problem it is
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// what went wrong, in words a person understands
    pub detail: String,
    /// on 412: the current state of the resource
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<Value>,
    /// what a refusal reports besides (a sheet's rejected rows and cells)
    #[serde(flatten)]
    #[schema(ignore)]
    pub extensions: serde_json::Map<String, Value>,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Stale { .. } => StatusCode::PRECONDITION_FAILED,
            AppError::Unprocessable(_) | AppError::Refused { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            AppError::Unavailable | AppError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Status(status, _) => *status,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Messages for the named constraints a client can trip over.
fn constraint_message(name: &str) -> Option<&'static str> {
    Some(match name {
        "site_code_unique" => "a site with this code already exists",
        "project_code_unique" => "a project with this code already exists",
        "programme_code_unique" => "a programme with this code already exists",
        "app_user_username_unique" => "a user with this name already exists",
        "app_user_username_format" => "a username has 2 to 64 letters, digits, '.', '_' or '-'",
        "site_geom_valid" => {
            "the geometry is invalid, empty, or outside the longitude/latitude range"
        }
        "site_geom_type_for_kind" => "this geometry type is not allowed for the site's kind",
        "site_radius_range" => "radius_m must be between 1 and 50000 metres",
        "project_suspension_reason" => "a suspended project needs a reason",
        "project_progress_range" => "progress must be between 0 and 100",
        "project_planned_dates_order" => "planned_end must not be before planned_start",
        "project_actual_dates_order" => "actual_end must not be before actual_start",
        "project_funding_nonnegative" => "funding_amount must not be negative",
        "project_town_code_fkey" | "site_town_code_fkey" => "unknown town_code",
        "project_programme_id_fkey" => "unknown programme",
        _ => return None,
    })
}

/// Messages for PostgreSQL's data exceptions (SQLSTATE class 22): input the database could not
/// take, named without echoing the database's own text.
fn data_exception_message(code: &str) -> Option<&'static str> {
    if !code.starts_with("22") {
        return None;
    }
    Some(match code {
        "22021" | "22P05" => {
            "text must not contain NUL (\\u0000) or characters the database cannot store"
        }
        "22003" => "a number is out of range",
        "22007" | "22008" => "a date or time is out of range or malformed",
        "22P02" => "a value has the wrong form for its field",
        "22001" => "a text value is too long",
        _ => "a value is not valid here",
    })
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if let Some(db) = e.as_database_error()
            && let Some(message) = db.constraint().and_then(constraint_message)
        {
            return if db.is_unique_violation() {
                AppError::Conflict(message.to_string())
            } else {
                AppError::Unprocessable(message.to_string())
            };
        }
        let code = e
            .as_database_error()
            .and_then(|db| db.code())
            .map(|c| c.into_owned());
        if let Some(message) = code.as_deref().and_then(data_exception_message) {
            return AppError::BadRequest(message.into());
        }
        // the server is shutting down or restarting, or the connection broke: retry shortly
        if code
            .as_deref()
            .is_some_and(|c| c.starts_with("57P") || c.starts_with("08"))
        {
            return AppError::Unavailable;
        }
        if code.as_deref() == Some("54000") {
            // program_limit_exceeded: e.g. a value too large for an index entry
            return AppError::BadRequest("a value is too long to be stored".into());
        }
        if code.as_deref() == Some("57014") {
            // statement_timeout cancelled it
            return AppError::Busy(
                "the database took too long to answer this request; narrow it (a smaller area, fewer items) and try again".into(),
            );
        }
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                AppError::Unavailable
            }
            sqlx::Error::RowNotFound => AppError::NotFound("not found".into()),
            other => AppError::Internal(other.into()),
        }
    }
}

/// Refusals of the domain: each is input the client can correct, so each is a 400 that keeps the
/// domain's own words.
macro_rules! bad_request_from {
    ($($error:ty),+ $(,)?) => {
        $(impl From<$error> for AppError {
            fn from(e: $error) -> Self {
                AppError::BadRequest(e.to_string())
            }
        })+
    };
}

bad_request_from!(
    crate::domain::crs::UnknownCrs,
    crate::domain::crs::CoordinateError,
    crate::domain::geometry::GeometryError,
    crate::domain::import::FeatureRejected,
    crate::domain::site_kind::UnknownKind,
    crate::domain::choice::UnknownChoice,
    crate::domain::text::TooLong,
    crate::domain::account::PasswordError,
    crate::domain::status::UnknownStatus,
    crate::domain::project::FieldProblems,
    crate::report::DateError,
    crate::domain::monitoring::BadPeriod,
    crate::domain::monitoring::parameter::UnknownParameter,
    crate::sheet::SheetError,
);

/// A CQL2 filter that does not parse, or does not fit the collection: the problem says "filter:"
/// before the parser's words, which name the place of the fault.
impl From<crate::domain::cql2::Cql2Error> for AppError {
    fn from(e: crate::domain::cql2::Cql2Error) -> Self {
        AppError::BadRequest(format!("filter: {e}"))
    }
}

impl From<crate::db::cql2_sql::FilterError> for AppError {
    fn from(e: crate::db::cql2_sql::FilterError) -> Self {
        AppError::BadRequest(format!("filter: {e}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let AppError::Internal(cause) = &self {
            // the cause chain, without the backtrace anyhow captures under RUST_BACKTRACE
            tracing::error!(error = %format!("{cause:#}"), "request failed");
        }
        let detail = self.to_string();
        let retry_after = match &self {
            AppError::TooManyRequests {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        };
        let (current, extensions) = match self {
            AppError::Stale { current, .. } => (Some(current), serde_json::Map::new()),
            AppError::Refused { report, .. } => (None, report),
            _ => (None, serde_json::Map::new()),
        };
        let body = Problem {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail,
            current,
            extensions,
        };
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match status {
            StatusCode::SERVICE_UNAVAILABLE => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            StatusCode::UNAUTHORIZED => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            StatusCode::TOO_MANY_REQUESTS => {
                if let Ok(value) = HeaderValue::from_str(&retry_after.unwrap_or(60).to_string()) {
                    headers.insert(header::RETRY_AFTER, value);
                }
            }
            _ => {}
        }
        response
    }
}
