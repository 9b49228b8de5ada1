//! SQL of the audit: recording the writes that keep no history of their own (users, tokens,
//! imports), and reading every write together, newest first, with filters.

use crate::db::events::Actor;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use sqlx::types::Json;

pub async fn record(
    conn: &mut PgConnection,
    actor: &Actor,
    action: &str,
    target: &str,
    details: Value,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO audit_event (actor_id, actor_name, action, target, details) VALUES ($1, $2, $3, $4, $5)",
        actor.id,
        actor.name,
        action,
        target,
        details
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One write, whichever table keeps it.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditEntry {
    /// the table that keeps it: project_event, case_event, site_event, login_attempt or audit_event
    pub source: String,
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// e.g. project.status, project.link, case.status, site.edited, login.failed, user.created, import
    pub action: String,
    /// e.g. "project TH2025-01", "site BO-B01", "user li", "kind enterprise"
    pub target: String,
    #[schema(value_type = Object)]
    pub details: Json<Value>,
    #[serde(skip)]
    pub total: i64,
}

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub actor: Option<String>,
    /// an action, or its first part ("project" matches project.status …)
    pub action: Option<String>,
    pub target: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

pub async fn list(
    conn: &mut PgConnection,
    filter: &AuditFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(i64, Vec<AuditEntry>)> {
    let rows = sqlx::query_as!(
        AuditEntry,
        r#"WITH audit AS (
             SELECT 'project_event' AS source, e.id, e.at, e.actor_name AS actor, 'project.' || e.kind AS action,
                    'project ' || p.code AS target,
                    jsonb_strip_nulls(jsonb_build_object('from', e.from_status, 'to', e.to_status,
                        'site_id', e.site_id, 'changes', e.changes, 'note', e.note)) AS details
             FROM project_event e JOIN project p ON p.id = e.project_id
             UNION ALL
             SELECT 'case_event', e.id, e.at, e.actor_name, 'case.' || e.kind, 'case ' || c.code,
                    jsonb_strip_nulls(jsonb_build_object('from', e.from_status, 'to', e.to_status,
                        'changes', e.changes, 'note', e.note))
             FROM case_event e JOIN casework c ON c.id = e.case_id
             UNION ALL
             SELECT 'site_event', e.id, e.at, e.actor_name, 'site.' || e.kind,
                    'site ' || coalesce(s.code, e.changes -> 'code' ->> 'before', e.changes -> 'code' ->> 'after', e.site_id::text),
                    jsonb_strip_nulls(jsonb_build_object('site_id', e.site_id, 'changes', e.changes - 'geometry',
                        'geometry_changed', e.changes ? 'geometry', 'note', e.note))
             FROM site_event e LEFT JOIN site s ON s.id = e.site_id
             UNION ALL
             SELECT 'login_attempt', l.id, l.at, l.username,
                    CASE WHEN l.succeeded THEN 'login.succeeded' ELSE 'login.failed' END,
                    'user ' || l.username, jsonb_strip_nulls(jsonb_build_object('client', l.client))
             FROM login_attempt l
             UNION ALL
             SELECT 'audit_event', a.id, a.at, a.actor_name, a.action, a.target, a.details FROM audit_event a
         )
         SELECT source AS "source!", id AS "id!", at AS "at!", actor AS "actor!", action AS "action!",
                target AS "target!", details AS "details!: Json<Value>", count(*) OVER () AS "total!"
         FROM audit
         WHERE ($1::text IS NULL OR actor = $1)
           AND ($2::text IS NULL OR action = $2 OR starts_with(action, $2 || '.'))
           AND ($3::text IS NULL OR target = $3)
           AND ($4::timestamptz IS NULL OR at >= $4)
           AND ($5::timestamptz IS NULL OR at < $5)
         ORDER BY at DESC, source, id DESC
         LIMIT $6 OFFSET $7"#,
        filter.actor,
        filter.action,
        filter.target,
        filter.since,
        filter.until,
        limit,
        offset
    )
    .fetch_all(&mut *conn)
    .await?;
    let total = match rows.first() {
        Some(first) => first.total,
        // past the end: count without the page
        None if offset > 0 => {
            let (counted, _) = Box::pin(list(conn, filter, 1, 0)).await?;
            counted
        }
        None => 0,
    };
    Ok((total, rows))
}
