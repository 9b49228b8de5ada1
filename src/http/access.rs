//! Who is asking and who may reach a route, decided before any handler runs: the session cookie
//! or a Bearer token becomes the [`Caller`]. Every write needs a logged-in user,
//! and with `REQUIRE_LOGIN_FOR_READ` every read does too; only the health probes, logging in
//! and out, and the session probe stay open. The gate wraps the whole dynamic router, so a route
//! added later is closed without being named here. Roles beyond "logged in" are checked by the
//! extractors [`Viewer`], [`Editor`] and [`Admin`], which handlers take before any path, query or
//! body extractor: a caller without the role learns nothing about what the route would accept.

use super::AppState;
use crate::db::users::{self, CurrentUser};
use crate::domain::account;
use crate::domain::account::Role;
use crate::error::AppError;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;

pub const SESSION_COOKIE: &str = "rt_session";

/// The answer to a caller who must log in first.
pub const LOGIN_NEEDED: &str = "log in (or send a Bearer token) to do this";

/// The caller, if they authenticated. A Bearer token that does not match is an error, not an
/// anonymous request, so a script with a revoked token hears about it.
pub struct Caller(pub Option<CurrentUser>);

impl Caller {
    /// Any logged-in user is staff; everyone else reads as the public.
    pub fn audience(&self) -> crate::domain::Audience {
        match self.0 {
            Some(_) => crate::domain::Audience::Staff,
            None => crate::domain::Audience::Public,
        }
    }

    /// The user, if their role is at least `role`: 401 without a login, 403 below the role.
    pub fn require(self, role: Role) -> Result<CurrentUser, AppError> {
        match self.0 {
            None => Err(AppError::Unauthorized(LOGIN_NEEDED.into())),
            Some(user) if user.role >= role => Ok(user),
            Some(user) => Err(AppError::Forbidden(format!(
                "this needs the {role} role; {} has the {} role",
                user.username, user.role
            ))),
        }
    }
}

impl Caller {
    /// Looks up who sent the request: a Bearer token that does not match is an error, an
    /// expired or unknown session cookie is anonymous.
    pub(super) async fn resolve(
        parts: &Parts,
        state: &AppState,
    ) -> Result<Option<CurrentUser>, AppError> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or_else(|| {
                    AppError::Unauthorized(
                        "the Authorization header must be 'Bearer <token>'".into(),
                    )
                })?;
            let mut conn = state.pool.acquire().await?;
            return match users::token_user(&mut conn, &account::secret_digest(token)).await? {
                Some(user) => Ok(Some(user)),
                None => Err(AppError::Unauthorized(
                    "the API token is unknown or revoked".into(),
                )),
            };
        }
        let jar = CookieJar::from_headers(&parts.headers);
        if let Some(cookie) = jar.get(SESSION_COOKIE) {
            let mut conn = state.pool.acquire().await?;
            // an expired or unknown session is simply anonymous: the login page is the answer
            return Ok(
                users::session_user(&mut conn, &account::secret_digest(cookie.value())).await?,
            );
        }
        Ok(None)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        current_user(parts, state).await.map(Caller)
    }
}

/// Routes anyone may call whatever the settings: liveness and readiness, logging in and out,
/// and asking who is logged in.
const OPEN: [(&Method, &str); 6] = [
    (&Method::GET, "/healthz"),
    (&Method::GET, "/readyz"),
    (&Method::GET, "/api/auth/session"),
    (&Method::HEAD, "/api/auth/session"),
    (&Method::POST, "/api/auth/login"),
    (&Method::POST, "/api/auth/logout"),
];

/// POST routes that only read: a search area is too large for a query string.
const READ_POSTS: [&str; 2] = ["/api/sites/search", "/api/projects/search"];

/// Whether a request changes anything.
fn is_write(method: &Method, path: &str) -> bool {
    let read_post = method == Method::POST && READ_POSTS.contains(&path);
    !(method.is_safe() || read_post)
}

fn is_open(method: &Method, path: &str) -> bool {
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    OPEN.iter().any(|(m, p)| *m == method && *p == path)
}

/// The caller as the gate resolved it, so that handlers do not look it up a second time.
#[derive(Clone)]
pub(super) struct Resolved(pub Option<CurrentUser>);

/// Refuses anonymous writes (and, with `require_login_for_read`, anonymous reads) with 401
/// before routing goes further; responses to a caller with credentials are marked private.
pub async fn gate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let write = is_write(request.method(), request.uri().path());
    let credentials = request.headers().contains_key(header::AUTHORIZATION)
        || request.headers().contains_key(header::COOKIE);
    let needs_login = !is_open(request.method(), request.uri().path())
        && (write || state.config.require_login_for_read);
    let mut response = if needs_login {
        let (mut parts, body) = request.into_parts();
        match Caller::from_request_parts(&mut parts, &state).await {
            Ok(Caller(Some(user))) => {
                parts.extensions.insert(Resolved(Some(user)));
                next.run(Request::from_parts(parts, body)).await
            }
            Ok(Caller(None)) => AppError::Unauthorized(LOGIN_NEEDED.into()).into_response(),
            Err(e) => e.into_response(),
        }
    } else {
        next.run(request).await
    };
    if credentials {
        mark_private(&mut response);
    }
    response
}

/// A response computed for one caller (staff-only attributes, their tokens) must never be
/// stored by a shared cache.
fn mark_private(response: &mut Response) {
    let headers = response.headers_mut();
    let current = headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if current.contains("private") || current.contains("no-store") {
        return;
    }
    let value = if current.is_empty() {
        "private".to_string()
    } else {
        format!("private, {current}")
    };
    if let Ok(value) = HeaderValue::from_str(&value) {
        headers.insert(header::CACHE_CONTROL, value);
    }
    headers.append(
        header::VARY,
        HeaderValue::from_static("Cookie, Authorization"),
    );
}

/// The user of a request, resolved by the gate when it ran, else looked up now.
pub(super) async fn current_user(
    parts: &mut Parts,
    state: &AppState,
) -> Result<Option<CurrentUser>, AppError> {
    if let Some(Resolved(user)) = parts.extensions.get::<Resolved>() {
        return Ok(user.clone());
    }
    Caller::resolve(parts, state).await
}

macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $role:expr) => {
        $(#[$doc])*
        pub struct $name(pub CurrentUser);

        impl FromRequestParts<AppState> for $name {
            type Rejection = AppError;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &AppState,
            ) -> Result<Self, Self::Rejection> {
                Caller(current_user(parts, state).await?).require($role).map($name)
            }
        }
    };
}

role_extractor!(
    /// A logged-in user of any role: 401 otherwise.
    Viewer,
    Role::Viewer
);
role_extractor!(
    /// An editor or admin: 401 without a login, 403 for a viewer.
    Editor,
    Role::Editor
);
role_extractor!(
    /// An admin: 401 without a login, 403 below.
    Admin,
    Role::Admin
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_probes_and_logging_in_are_open() {
        assert!(is_open(&Method::GET, "/healthz"));
        assert!(is_open(&Method::HEAD, "/readyz"));
        assert!(is_open(&Method::POST, "/api/auth/login"));
        assert!(!is_open(&Method::GET, "/api/auth/login"));
        assert!(!is_open(&Method::GET, "/api/openapi.json"));
        assert!(!is_open(&Method::GET, "/ogc"));
        assert!(!is_open(&Method::POST, "/api/auth/tokens"));
        assert!(!is_write(&Method::POST, "/api/sites/search"));
        assert!(is_write(&Method::POST, "/api/sites"));
        assert!(is_write(&Method::DELETE, "/api/sites/search"));
    }
}
