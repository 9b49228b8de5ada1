//! Request guards around every route: security headers, the cross-site check on writes, the
//! request timeout, and the client address for login throttling.

use super::AppState;
use crate::error::AppError;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

/// The headers every response carries: the content security policy, built once from the
/// configured basemaps (`settings::content_security_policy`), and HSTS when served over https.
#[derive(Clone)]
pub struct SecurityHeaders {
    pub policy: HeaderValue,
    pub hsts: bool,
}

/// Adds the security headers to every response that does not set its own.
pub async fn security_headers(
    State(set): State<SecurityHeaders>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, set.policy);
    }
    if set.hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    let defaults = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

/// Whether a write comes from another site: its `Origin` names another host than the one it was
/// sent to, or the browser says so in `Sec-Fetch-Site`.
fn cross_site(headers: &HeaderMap) -> Option<String> {
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
    {
        return Some("the browser marked it cross-site".into());
    }
    let origin = headers.get(header::ORIGIN)?.to_str().unwrap_or("");
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let origin_host = origin
        .split_once("://")
        .map_or(origin, |(_, rest)| rest)
        .trim_end_matches('/');
    (origin == "null" || !origin_host.eq_ignore_ascii_case(host))
        .then(|| format!("its Origin {origin:?} is not this site ({host})"))
}

/// Refuses cross-site writes (CSRF): a browser sends the session cookie with a form posted from
/// any site, so a write must come from this site's own pages. Writes with a Bearer token carry
/// no ambient authority and pass; safe methods pass.
pub async fn same_site_writes(request: Request, next: Next) -> Response {
    let unsafe_method = !request.method().is_safe();
    let bearer = request.headers().contains_key(header::AUTHORIZATION);
    if unsafe_method
        && !bearer
        && let Some(why) = cross_site(request.headers())
    {
        tracing::warn!(path = %request.uri().path(), %why, "cross-site write refused");
        return AppError::Forbidden(format!("cross-site write refused: {why}")).into_response();
    }
    next.run(request).await
}

/// Stops a request that runs longer than the configured timeout with a 503.
pub async fn request_timeout(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let limit = if request.uri().path() == "/api/reports" {
        state.config.report_timeout
    } else {
        state.config.request_timeout
    };
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => AppError::Busy(format!(
            "the request took longer than {} s and was stopped; try a smaller query",
            limit.as_secs_f64()
        ))
        .into_response(),
    }
}

/// The routes that take a sheet (MAX_SHEET_MB) rather than a request body (MAX_BODY_MB).
pub const SHEET_ROUTES: [&str; 2] = ["/api/samples/import", "/api/cases/import"];

/// Turns every error response that is not yet a problem (extractor rejections of axum, 405s,
/// body limits, static-file errors) into problem+json, keeping the status and headers such as
/// `Allow`, and the plain-text reason as the detail.
pub async fn errors_as_problems(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // sheets have a limit of their own
    let limit = if SHEET_ROUTES.contains(&request.uri().path()) {
        state.config.max_sheet_bytes
    } else {
        state.config.max_body_bytes
    };
    let response = next.run(request).await;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if status.as_u16() < 400 || is_problem {
        return response;
    }
    let (parts, body) = response.into_parts();
    // these bodies are axum's short plain-text reasons; a larger one is not one of them
    let text = match axum::body::to_bytes(body, 4096).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
        Err(_) => String::new(),
    };
    let detail = if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        format!(
            "the body is larger than the {} MB this server accepts",
            limit >> 20
        )
    } else if text.is_empty() || status.is_server_error() {
        // a 5xx never carries text that might name internals
        status.canonical_reason().unwrap_or("error").to_lowercase()
    } else {
        text
    };
    let mut problem = AppError::Status(status, detail).into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            problem.headers_mut().entry(name).or_insert(value.clone());
        }
    }
    problem
}

/// CORS for read-only GIS clients in other origins (web maps reading /ogc and /tiles): GET and
/// HEAD only, so a cross-origin page can never write. None when no origin is configured.
pub fn read_only_cors(origins: &[String]) -> Option<tower_http::cors::CorsLayer> {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([axum::http::Method::GET, axum::http::Method::HEAD])
            .allow_headers([header::AUTHORIZATION, header::ACCEPT, header::IF_NONE_MATCH])
            .expose_headers([
                header::ETAG,
                header::LINK,
                header::HeaderName::from_static("content-crs"),
            ])
            .max_age(std::time::Duration::from_secs(3600)),
    )
}

/// The socket's peer, when there is a socket (tests drive the router without one).
fn peer(parts: &Parts) -> Option<std::net::IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

fn trusted(state: &AppState, addr: std::net::IpAddr) -> bool {
    state
        .config
        .trusted_proxies
        .iter()
        .any(|net| net.contains(&addr))
}

/// The address a request came from: the socket's peer, or, when the peer is a trusted proxy,
/// the nearest address in `X-Forwarded-For` that is not itself a trusted proxy (the entries
/// before it were written by the client and prove nothing).
fn client_address(parts: &Parts, state: &AppState) -> Option<std::net::IpAddr> {
    let peer = peer(parts)?;
    if !trusted(state, peer) {
        return Some(peer);
    }
    let forwarded: Vec<std::net::IpAddr> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|a| !trusted(state, *a))
            .unwrap_or(peer),
    )
}

/// The client's address for login throttling: see [`client_address`].
pub struct ClientAddr(pub Option<String>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            client_address(parts, state).map(|a| a.to_string()),
        ))
    }
}

/// The base of the absolute links a response writes: `PUBLIC_URL`, or what a trusted proxy says
/// in `X-Forwarded-Proto` and `X-Forwarded-Host` (checked to be http(s) and a host name). The
/// `Host` header of a client is never used: links must not point where an attacker says.
pub struct BaseUrl(pub String);

impl FromRequestParts<AppState> for BaseUrl {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let public = state.config.public_url.clone();
        if !peer(parts).is_some_and(|p| trusted(state, p)) {
            return Ok(BaseUrl(public));
        }
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.split(',').next().unwrap_or("").trim().to_string())
        };
        let (public_scheme, public_host) = public.split_once("://").unwrap_or(("http", &public));
        let scheme = header("x-forwarded-proto")
            .filter(|p| p == "http" || p == "https")
            .unwrap_or_else(|| public_scheme.to_string());
        let host = header("x-forwarded-host")
            .filter(|h| is_host(h))
            .unwrap_or_else(|| public_host.to_string());
        Ok(BaseUrl(format!("{scheme}://{host}")))
    }
}

/// A host name or address with an optional port, and nothing else (no path, user or scheme).
fn is_host(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 255
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn origins_of_other_sites_are_cross_site() {
        let same = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
        ]);
        assert_eq!(cross_site(&same), None);
        assert_eq!(
            cross_site(&headers(&[("host", "gis.example")])),
            None,
            "no Origin: not a browser form"
        );
        let other = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "https://evil.example"),
        ]);
        assert!(cross_site(&other).is_some_and(|w| w.contains("evil.example")));
        let port = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:9999"),
        ]);
        assert!(cross_site(&port).is_some());
        assert!(cross_site(&headers(&[("host", "a"), ("origin", "null")])).is_some());
        assert!(cross_site(&headers(&[("host", "a"), ("sec-fetch-site", "cross-site")])).is_some());
    }

    #[test]
    fn forwarded_hosts_are_plain_host_names() {
        assert!(is_host("gis.example.gov.cn"));
        assert!(is_host("127.0.0.1:8080"));
        assert!(is_host("[::1]:8080"));
        assert!(!is_host("evil.example/ogc"));
        assert!(!is_host("javascript:alert(1)//"));
        assert!(!is_host("user@host"));
        assert!(!is_host(""));
    }
}
