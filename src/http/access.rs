//! Who may reach a route, decided before any handler runs. Every write needs a logged-in user,
//! and with `REQUIRE_LOGIN_FOR_READ` every read does too; only the health probes, logging in
//! and out, and the session probe stay open. The gate wraps the whole dynamic router, so a route
//! added later is closed without being named here. Roles beyond "logged in" are checked by the
//! extractors [`Viewer`], [`Editor`] and [`Admin`], which handlers take before any path, query or
//! body extractor: a caller without the role learns nothing about what the route would accept.

use super::AppState;
use super::auth::{Caller, LOGIN_NEEDED};
use crate::db::users::CurrentUser;
use crate::domain::account::Role;
use crate::error::AppError;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

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
