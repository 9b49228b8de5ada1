//! The append-only histories of projects, cases and sites: one writer for each, used by every
//! change, so each event has the same shape whichever route or command made it. Projects and
//! cases share the writer: their events differ only in the table that keeps them.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use sqlx::types::Json;

/// Who made a change: a user, or a named system actor such as the seed.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<i64>,
    pub name: String,
}

/// Whose history an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Project(i64),
    Case(i64),
}

/// One history event about to be written.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub subject: Subject,
    /// None: now (the transaction's time)
    pub at: Option<DateTime<Utc>>,
    pub kind: &'a str,
    pub from_status: Option<&'a str>,
    pub to_status: Option<&'a str>,
    /// projects only: the site linked or unlinked
    pub site_id: Option<i64>,
    pub changes: Option<Value>,
    pub note: Option<&'a str>,
}

impl<'a> NewEvent<'a> {
    pub fn new(project_id: i64, kind: &'a str) -> Self {
        Self::of(Subject::Project(project_id), kind)
    }

    pub fn of(subject: Subject, kind: &'a str) -> Self {
        NewEvent {
            subject,
            at: None,
            kind,
            from_status: None,
            to_status: None,
            site_id: None,
            changes: None,
            note: None,
        }
    }
}

pub async fn insert(
    conn: &mut PgConnection,
    actor: &Actor,
    event: NewEvent<'_>,
) -> sqlx::Result<i64> {
    match event.subject {
        Subject::Project(project_id) => {
            sqlx::query_scalar!(
                "INSERT INTO project_event (project_id, at, actor_id, actor_name, kind, from_status, to_status, site_id, changes, note)
                 VALUES ($1, coalesce($2, now()), $3, $4, $5, $6, $7, $8, $9, $10)
                 RETURNING id",
                project_id,
                event.at,
                actor.id,
                actor.name,
                event.kind,
                event.from_status,
                event.to_status,
                event.site_id,
                event.changes,
                event.note
            )
            .fetch_one(conn)
            .await
        }
        Subject::Case(case_id) => {
            sqlx::query_scalar!(
                "INSERT INTO case_event (case_id, at, actor_id, actor_name, kind, from_status, to_status, changes, note)
                 VALUES ($1, coalesce($2, now()), $3, $4, $5, $6, $7, $8, $9)
                 RETURNING id",
                case_id,
                event.at,
                actor.id,
                actor.name,
                event.kind,
                event.from_status,
                event.to_status,
                event.changes,
                event.note
            )
            .fetch_one(conn)
            .await
        }
    }
}

/// One event as the history API returns it.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Event {
    pub id: i64,
    pub project_id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// created, status, progress, edit, link or unlink
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub site_id: Option<i64>,
    /// for edits: {"field": {"before": …, "after": …}}
    #[schema(value_type = Option<Object>)]
    pub changes: Option<Json<Value>>,
    pub note: Option<String>,
}

pub async fn history(conn: &mut PgConnection, project_id: i64) -> sqlx::Result<Vec<Event>> {
    sqlx::query_as!(
        Event,
        r#"SELECT id, project_id, at, actor_name AS actor, kind, from_status, to_status, site_id,
                  changes AS "changes: Json<Value>", note
           FROM project_event WHERE project_id = $1 ORDER BY at, id"#,
        project_id
    )
    .fetch_all(conn)
    .await
}

/// One event of a case's history.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CaseEvent {
    pub id: i64,
    pub case_id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// created, status or edit
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    /// for edits: {"field": {"before": …, "after": …}}; for created: {"snapshot": …}
    #[schema(value_type = Option<Object>)]
    pub changes: Option<Json<Value>>,
    pub note: Option<String>,
}

pub async fn case_history(conn: &mut PgConnection, case_id: i64) -> sqlx::Result<Vec<CaseEvent>> {
    sqlx::query_as!(
        CaseEvent,
        r#"SELECT id, case_id, at, actor_name AS actor, kind, from_status, to_status,
                  changes AS "changes: Json<Value>", note
           FROM case_event WHERE case_id = $1 ORDER BY at, id"#,
        case_id
    )
    .fetch_all(conn)
    .await
}

/// One event of a site's history.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SiteEvent {
    pub id: i64,
    pub site_id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// created, edited or deleted
    pub kind: String,
    /// {"field": {"before": …, "after": …}}; the geometry as GeoJSON in WGS84
    #[schema(value_type = Object)]
    pub changes: Json<Value>,
    pub note: Option<String>,
}

pub async fn insert_site_event(
    conn: &mut PgConnection,
    actor: &Actor,
    site_id: i64,
    kind: &str,
    changes: Value,
    note: Option<&str>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO site_event (site_id, actor_id, actor_name, kind, changes, note)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        site_id,
        actor.id,
        actor.name,
        kind,
        changes,
        note
    )
    .fetch_one(conn)
    .await
}

pub async fn site_history(conn: &mut PgConnection, site_id: i64) -> sqlx::Result<Vec<SiteEvent>> {
    sqlx::query_as!(
        SiteEvent,
        r#"SELECT id, site_id, at, actor_name AS actor, kind, changes AS "changes: Json<Value>", note
           FROM site_event WHERE site_id = $1 ORDER BY at, id"#,
        site_id
    )
    .fetch_all(conn)
    .await
}
