//! Accounts over HTTP: logging in (throttled, with argon2 work bounded) and out, personal API
//! tokens, and user management by admins. Who is asking is decided in `access`.

use super::AppState;
use super::access::{Admin, Caller, SESSION_COOKIE, Viewer};
use super::extract::ApiJson;
use super::guard::ClientAddr;
use crate::db::audit;
use crate::db::users::{self, CurrentUser, TokenListing};
use crate::domain::account::{self, Role};
use crate::domain::text::{Bounded, PASSWORD_MAX, TOKEN_NAME_MAX, USERNAME_MAX, loggable};
use crate::error::{AppError, Problem};
use crate::http::problems::{BadInput, Conflict, Forbidden, NotFound, NotLoggedIn};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(session))
        .routes(routes!(create_token, list_tokens))
        .routes(routes!(revoke_token))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(value_type = String, max_length = 64)]
    pub username: Bounded<USERNAME_MAX>,
    #[schema(value_type = String, max_length = 1024)]
    pub password: Bounded<PASSWORD_MAX>,
}

/// Log in with a username and password; sets an HttpOnly, SameSite=Strict session cookie (a
/// new session: the one the browser had before, if any, ends).
///
/// Failed logins are counted per (username, client address) and per client address, atomically
/// before the password is checked: an attacker's failures lock the name only from the
/// attacker's address, and never the real user logging in from another one.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, description = "OK", body = CurrentUser), BadInput,
              NotLoggedIn,
              (status = 429, description = "too many failed logins for this account from this address, or from this address; Retry-After says when to retry", body = Problem, content_type = "application/problem+json"),
              (status = 503, description = "too many password checks at once; retry shortly", body = Problem, content_type = "application/problem+json")))]
async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    jar: CookieJar,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<(CookieJar, Json<CurrentUser>), AppError> {
    let username = body.username.into_inner();
    let address = client.as_deref().unwrap_or("unknown");
    let keys = users::throttle_keys(&username, address);
    let window = state.config.login_lock;
    let limits = [
        i64::from(state.config.login_max_failures),
        i64::from(state.config.login_max_failures) * 4,
    ];
    let (candidate, counted) = {
        let mut conn = state.pool.acquire().await?;
        let counted = users::count_login_attempt(&mut conn, &keys, window).await?;
        (users::login_candidate(&mut conn, &username).await?, counted)
    };
    let now = chrono::Utc::now();
    if let Some(lifts) = counted
        .iter()
        .zip(limits)
        .filter(|((attempts, _), limit)| attempts > limit)
        .map(|((_, window_start), _)| *window_start + window)
        .max()
    {
        tracing::warn!(username = %loggable(&username), client = %address, "login refused: too many failures");
        let mut conn = state.pool.acquire().await?;
        users::record_login_attempt(&mut conn, &username, client.as_deref(), false).await?;
        return Err(AppError::TooManyRequests {
            message: format!(
                "too many failed logins for this account from this address, or from this address; try again after {} (UTC)",
                lifts.format("%H:%M")
            ),
            retry_after_secs: (lifts - now).num_seconds().max(1) as u64,
        });
    }
    // An unknown user is checked against a throwaway hash so both failures take as long.
    let (user, hash) = match candidate {
        Some((user, hash)) => (Some(user), hash),
        None => (None, UNKNOWN_USER_HASH.to_string()),
    };
    let password_ok = verify_blocking(&state, body.password.into_inner(), hash).await?;
    let mut conn = state.pool.acquire().await?;
    let user = match user {
        Some(user) if password_ok => user,
        _ => {
            tracing::warn!(username = %loggable(&username), client = %address, "failed login");
            users::record_login_attempt(&mut conn, &username, client.as_deref(), false).await?;
            return Err(AppError::Unauthorized("wrong username or password".into()));
        }
    };
    users::forgive_login_attempt(&mut conn, &keys, window).await?;
    users::record_login_attempt(&mut conn, &username, client.as_deref(), true).await?;
    if let Some(previous) = jar.get(SESSION_COOKIE) {
        users::delete_session(&mut conn, &account::secret_digest(previous.value())).await?;
    }
    let (secret, digest) = account::new_secret();
    let expires = chrono::Utc::now() + state.config.session_ttl;
    users::create_session(&mut conn, user.id, &digest, expires).await?;
    let cookie = Cookie::build((SESSION_COOKIE, secret))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.config.secure_cookies)
        .path("/")
        .max_age(time_duration(state.config.session_ttl));
    Ok((jar.add(cookie), Json(user)))
}

const UNKNOWN_USER_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3LJ1rU0lVq4b6WgHyZ4B8ZnbYF4v8Wy0b1bQJmYkq7Y";

/// How long a login waits for a turn at the password checks before it is told to retry.
const PASSWORD_CHECK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs argon2 work (deliberately slow) on the blocking threads, at most
/// `password_check_concurrency` at once: a flood of logins waits for a turn, then gets 503,
/// instead of taking every thread and connection from everyone else.
pub(super) async fn password_work<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let busy = || AppError::Busy("too many logins at once; try again in a few seconds".into());
    let _turn = tokio::time::timeout(PASSWORD_CHECK_WAIT, state.password_checks.acquire())
        .await
        .map_err(|_| busy())?
        .map_err(|_| busy())?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(e.into()))
}

async fn verify_blocking(
    state: &AppState,
    password: String,
    hash: String,
) -> Result<bool, AppError> {
    password_work(state, move || account::verify_password(&password, &hash)).await
}

fn time_duration(d: chrono::Duration) -> cookie::time::Duration {
    cookie::time::Duration::seconds(d.num_seconds())
}

/// End the session of this cookie.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 204, description = "done, no content")))]
async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
) -> Result<(StatusCode, CookieJar), AppError> {
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        let mut conn = state.pool.acquire().await?;
        users::delete_session(&mut conn, &account::secret_digest(cookie.value())).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        jar.remove(Cookie::build(SESSION_COOKIE).path("/")),
    ))
}

/// The logged-in user.
#[utoipa::path(get, path = "/auth/me", tag = "auth",
    responses((status = 200, description = "OK", body = CurrentUser), NotLoggedIn),
    security(("session" = []), ("bearer" = [])))]
async fn me(Viewer(user): Viewer) -> Json<CurrentUser> {
    Json(user)
}

#[derive(Serialize, ToSchema)]
pub struct Session {
    /// null when nobody is logged in
    pub user: Option<CurrentUser>,
}

/// Who is logged in, if anyone: always 200, so a page can ask without an error answer.
#[utoipa::path(get, path = "/auth/session", tag = "auth",
    responses((status = 200, description = "OK", body = Session)))]
async fn session(caller: Caller) -> Json<Session> {
    Json(Session { user: caller.0 })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// what the token is for, e.g. "QGIS on the GIS workstation"
    #[schema(value_type = String, max_length = 200)]
    pub name: Bounded<TOKEN_NAME_MAX>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    pub id: i64,
    pub name: String,
    /// the secret: shown once, only its digest is stored
    pub token: String,
}

/// Create a personal API token for scripts and QGIS (`Authorization: Bearer <token>`).
#[utoipa::path(post, path = "/auth/tokens", tag = "auth", request_body = NewToken,
    responses((status = 201, description = "created", body = CreatedToken), NotLoggedIn),
    security(("session" = []), ("bearer" = [])))]
async fn create_token(
    Viewer(user): Viewer,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>), AppError> {
    let name = body.name.as_str().trim();
    if name.is_empty() {
        return Err(AppError::BadRequest(
            "the token needs a name of 1 to 200 characters".into(),
        ));
    }
    let (secret, digest) = account::new_secret();
    let mut tx = state.pool.begin().await?;
    let id = users::create_token(&mut tx, user.id, name, &digest).await?;
    let details = serde_json::json!({ "token_id": id, "name": name });
    audit::record(
        &mut tx,
        &user.actor(),
        "token.created",
        &format!("user {}", user.username),
        details,
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            id,
            name: name.to_string(),
            token: secret,
        }),
    ))
}

/// Your tokens (an admin sees everyone's).
#[utoipa::path(get, path = "/auth/tokens", tag = "auth",
    responses((status = 200, description = "OK", body = Vec<TokenListing>), NotLoggedIn),
    security(("session" = []), ("bearer" = [])))]
async fn list_tokens(
    Viewer(user): Viewer,
    State(state): State<AppState>,
) -> Result<Json<Vec<TokenListing>>, AppError> {
    let mut conn = state.pool.acquire().await?;
    Ok(Json(users::list_tokens(&mut conn, &user).await?))
}

/// Revoke a token: its owner or an admin.
#[utoipa::path(delete, path = "/auth/tokens/{id}", tag = "auth", params(("id" = i64, Path, description = "token id")),
    responses((status = 204, description = "done, no content"), NotLoggedIn,
              Forbidden, NotFound),
    security(("session" = []), ("bearer" = [])))]
async fn revoke_token(
    Viewer(user): Viewer,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    let mut tx = state.pool.begin().await?;
    match users::token_owner(&mut tx, id).await? {
        None => Err(AppError::NotFound(format!("no token {id}"))),
        Some(owner) if owner != user.id && user.role != Role::Admin => Err(AppError::Forbidden(
            "only the token's owner or an admin may revoke it".into(),
        )),
        Some(_) => {
            users::revoke_token(&mut tx, id).await?;
            let details = serde_json::json!({ "token_id": id });
            audit::record(
                &mut tx,
                &user.actor(),
                "token.revoked",
                &format!("token {id}"),
                details,
            )
            .await?;
            tx.commit().await?;
            Ok(StatusCode::NO_CONTENT)
        }
    }
}

pub fn user_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, add_user))
        .routes(routes!(disable_user))
}

/// All users (admin).
#[utoipa::path(get, path = "/users", tag = "auth",
    responses((status = 200, description = "OK", body = Vec<users::UserListing>), NotLoggedIn,
              Forbidden),
    security(("session" = []), ("bearer" = [])))]
async fn list_users(
    Admin(_admin): Admin,
    State(state): State<AppState>,
) -> Result<Json<Vec<users::UserListing>>, AppError> {
    let mut conn = state.pool.acquire().await?;
    Ok(Json(users::list_users(&mut conn).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[schema(value_type = String, max_length = 64)]
    pub username: Bounded<USERNAME_MAX>,
    #[schema(value_type = String, max_length = 1024)]
    pub password: Bounded<PASSWORD_MAX>,
    pub role: Role,
}

/// Add a user (admin).
#[utoipa::path(post, path = "/users", tag = "auth", request_body = NewUser,
    responses((status = 201, description = "created", body = users::UserListing), BadInput,
              NotLoggedIn, Forbidden,
              Conflict),
    security(("session" = []), ("bearer" = [])))]
async fn add_user(
    Admin(admin): Admin,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<users::UserListing>), AppError> {
    let password = body.password.into_inner();
    let hash = password_work(&state, move || account::hash_password(&password)).await??;
    let username = body.username.as_str().trim();
    let mut tx = state.pool.begin().await?;
    users::create_user(&mut tx, username, body.role, &hash).await?;
    let details = serde_json::json!({ "role": body.role });
    audit::record(
        &mut tx,
        &admin.actor(),
        "user.created",
        &format!("user {username}"),
        details,
    )
    .await?;
    tx.commit().await?;
    let mut conn = state.pool.acquire().await?;
    let listing = users::list_users(&mut conn)
        .await?
        .into_iter()
        .find(|u| u.username == username);
    listing
        .map(|u| (StatusCode::CREATED, Json(u)))
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("new user not found")))
}

/// Disable a user (admin): their sessions end and their tokens stop working.
#[utoipa::path(post, path = "/users/{username}/disable", tag = "auth", params(("username" = String, Path)),
    responses((status = 204, description = "done, no content"), NotLoggedIn,
              Forbidden, NotFound),
    security(("session" = []), ("bearer" = [])))]
async fn disable_user(
    Admin(admin): Admin,
    State(state): State<AppState>,
    Path(username): Path<Bounded<USERNAME_MAX>>,
) -> Result<StatusCode, AppError> {
    let username = username.into_inner();
    let mut tx = state.pool.begin().await?;
    if users::disable_user(&mut tx, &username).await? {
        let target = format!("user {username}");
        audit::record(
            &mut tx,
            &admin.actor(),
            "user.disabled",
            &target,
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound(format!(
            "there is no user named {username}"
        )))
    }
}
