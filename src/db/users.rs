//! SQL of accounts: users, login sessions and personal API tokens.

use crate::domain::account::Role;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// The user a request acts for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    #[schema(value_type = Role)]
    pub role: Role,
}

impl CurrentUser {
    /// The user as the author of a history event.
    pub fn actor(&self) -> super::events::Actor {
        super::events::Actor {
            id: Some(self.id),
            name: self.username.clone(),
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    role: String,
}

impl UserRow {
    fn into_user(self) -> Option<CurrentUser> {
        Some(CurrentUser {
            id: self.id,
            username: self.username,
            role: self.role.parse().ok()?,
        })
    }
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct UserListing {
    pub id: i64,
    pub username: String,
    pub display_name: Option<String>,
    pub role: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

pub async fn create_user(
    conn: &mut PgConnection,
    username: &str,
    role: Role,
    password_hash: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO app_user (username, role, password_hash) VALUES ($1, $2, $3) RETURNING id",
        username,
        role.as_str(),
        password_hash
    )
    .fetch_one(conn)
    .await
}

pub async fn list_users(conn: &mut PgConnection) -> sqlx::Result<Vec<UserListing>> {
    sqlx::query_as!(
        UserListing,
        "SELECT id, username, display_name, role, disabled, created_at FROM app_user ORDER BY username"
    )
    .fetch_all(conn)
    .await
}

/// Disables a user and ends their sessions; their tokens stop working too. Returns false when
/// there is no such user.
pub async fn disable_user(conn: &mut PgConnection, username: &str) -> sqlx::Result<bool> {
    let id = sqlx::query_scalar!(
        "UPDATE app_user SET disabled = true WHERE username = $1 RETURNING id",
        username
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else { return Ok(false) };
    sqlx::query!("DELETE FROM user_session WHERE user_id = $1", id)
        .execute(conn)
        .await?;
    Ok(true)
}

/// Records a login attempt, successful or not.
pub async fn record_login_attempt(
    conn: &mut PgConnection,
    username: &str,
    client: Option<&str>,
    succeeded: bool,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO login_attempt (username, client, succeeded) VALUES ($1, $2, $3)",
        username,
        client,
        succeeded
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The throttle counters a login attempt counts against: the (address, username) pair and the
/// address alone. An address has no spaces, so the two cannot collide.
pub fn throttle_keys(username: &str, address: &str) -> [String; 2] {
    [
        format!("user {address} {username}"),
        format!("addr {address}"),
    ]
}

/// Counts one attempt against each key, in one statement that locks each counter row, so that
/// parallel attempts are counted one after another; a counter whose window has passed starts
/// again. Returns each key's attempts in its window (this one included) and when the window
/// began, in the order of `keys`.
pub async fn count_login_attempt(
    conn: &mut PgConnection,
    keys: &[String; 2],
    window: chrono::Duration,
) -> sqlx::Result<Vec<(i64, DateTime<Utc>)>> {
    let rows = sqlx::query!(
        "INSERT INTO login_throttle AS t (key, attempts, window_start)
         SELECT k, 1, now() FROM unnest($1::text[]) k
         ON CONFLICT (key) DO UPDATE SET
             attempts = CASE WHEN t.window_start <= now() - $2::float8 * interval '1 second' THEN 1 ELSE t.attempts + 1 END,
             window_start = CASE WHEN t.window_start <= now() - $2::float8 * interval '1 second' THEN now() ELSE t.window_start END
         RETURNING key, attempts, window_start",
        keys.as_slice(),
        window.as_seconds_f64()
    )
    .fetch_all(conn)
    .await?;
    Ok(keys
        .iter()
        .map(|key| {
            rows.iter()
                .find(|r| &r.key == key)
                .map_or((0, Utc::now()), |r| (r.attempts, r.window_start))
        })
        .collect())
}

/// Takes back a successful attempt: the (address, username) counter starts afresh, the address
/// counter forgets this one attempt (others from the address still count).
pub async fn forgive_login_attempt(
    conn: &mut PgConnection,
    keys: &[String; 2],
    window: chrono::Duration,
) -> sqlx::Result<()> {
    // counters whose window has passed count nothing: swept here, as sessions are at login
    sqlx::query!(
        "DELETE FROM login_throttle WHERE window_start <= now() - $1::float8 * interval '1 second'",
        window.as_seconds_f64()
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE login_throttle SET attempts = CASE WHEN key = $1 THEN 0 ELSE greatest(attempts - 1, 0) END
         WHERE key = ANY (ARRAY[$1, $2])",
        keys[0],
        keys[1]
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The stored password hash of an enabled user, for login.
pub async fn login_candidate(
    conn: &mut PgConnection,
    username: &str,
) -> sqlx::Result<Option<(CurrentUser, String)>> {
    let row = sqlx::query!(
        "SELECT id, username, role, password_hash FROM app_user WHERE username = $1 AND NOT disabled",
        username
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|r| {
        let user = UserRow {
            id: r.id,
            username: r.username,
            role: r.role,
        }
        .into_user()?;
        Some((user, r.password_hash))
    }))
}

pub async fn create_session(
    conn: &mut PgConnection,
    user_id: i64,
    digest: &[u8],
    expires_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    // expired sessions of anyone are swept here rather than by a background job
    sqlx::query!("DELETE FROM user_session WHERE expires_at < now()")
        .execute(&mut *conn)
        .await?;
    sqlx::query!(
        "INSERT INTO user_session (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
        digest,
        user_id,
        expires_at
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn session_user(
    conn: &mut PgConnection,
    digest: &[u8],
) -> sqlx::Result<Option<CurrentUser>> {
    let row = sqlx::query_as!(
        UserRow,
        "SELECT u.id, u.username, u.role FROM user_session s JOIN app_user u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND s.expires_at > now() AND NOT u.disabled",
        digest
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(UserRow::into_user))
}

pub async fn delete_session(conn: &mut PgConnection, digest: &[u8]) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM user_session WHERE token_hash = $1", digest)
        .execute(conn)
        .await?;
    Ok(())
}

/// The user of a token. Its last use is recorded to the minute: a write per request would make
/// every read a write, and concurrent requests with one token wait for each other on its row.
pub async fn token_user(
    conn: &mut PgConnection,
    digest: &[u8],
) -> sqlx::Result<Option<CurrentUser>> {
    let Some(row) = sqlx::query!(
        r#"SELECT t.id AS token_id, u.id, u.username, u.role,
                  (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute') AS "stale!"
           FROM api_token t JOIN app_user u ON u.id = t.user_id
           WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND NOT u.disabled"#,
        digest
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    if row.stale {
        sqlx::query!(
            "UPDATE api_token SET last_used_at = now() WHERE id = $1",
            row.token_id
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(UserRow {
        id: row.id,
        username: row.username,
        role: row.role,
    }
    .into_user())
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TokenListing {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// to the minute
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub async fn create_token(
    conn: &mut PgConnection,
    user_id: i64,
    name: &str,
    digest: &[u8],
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO api_token (user_id, name, token_hash) VALUES ($1, $2, $3) RETURNING id",
        user_id,
        name,
        digest
    )
    .fetch_one(conn)
    .await
}

/// The tokens a user may see: their own, or everyone's for an admin.
pub async fn list_tokens(
    conn: &mut PgConnection,
    user: &CurrentUser,
) -> sqlx::Result<Vec<TokenListing>> {
    sqlx::query_as!(
        TokenListing,
        "SELECT t.id, u.username, t.name, t.created_at, t.last_used_at, t.revoked_at
         FROM api_token t JOIN app_user u ON u.id = t.user_id
         WHERE t.user_id = $1 OR $2 ORDER BY t.id",
        user.id,
        user.role == Role::Admin
    )
    .fetch_all(conn)
    .await
}

/// Revokes a token of the user's own (or anyone's, for an admin). Returns the owner's id when
/// the token exists, so the caller can tell "not found" from "not yours".
pub async fn token_owner(conn: &mut PgConnection, token_id: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!("SELECT user_id FROM api_token WHERE id = $1", token_id)
        .fetch_optional(conn)
        .await
}

pub async fn revoke_token(conn: &mut PgConnection, token_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE api_token SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1",
        token_id
    )
    .execute(conn)
    .await?;
    Ok(())
}
