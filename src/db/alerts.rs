//! SQL of the early warning: alerts opened, acknowledged and closed, each change queued in the
//! outbox in the same transaction, the list with filters, and the outbox the webhook delivery
//! works through.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use sqlx::types::Json;

/// An alert as the API returns it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Alert {
    pub id: i64,
    pub site_id: i64,
    pub site_code: String,
    pub site_name: String,
    pub site_kind: String,
    pub town_code: Option<String>,
    /// over_target, worse_than_v, rebound, soil_over_screening or soil_over_intervention
    pub kind: String,
    /// open, acknowledged or closed
    pub state: String,
    /// the parameters, their values and the limits they break
    #[schema(value_type = Object)]
    pub cause: Json<Value>,
    /// when the reading that caused it was sampled
    pub sampled_at: DateTime<Utc>,
    pub batch_id: Option<i64>,
    pub opened_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub acknowledge_note: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    /// when the reading back within bounds was sampled
    pub closed_by_sample: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub total: i64,
}

/// An alert not yet closed.
#[derive(Debug, Clone)]
pub struct Unclosed {
    pub id: i64,
    pub site_id: i64,
    pub kind: String,
}

pub async fn unclosed(conn: &mut PgConnection, site_ids: &[i64]) -> sqlx::Result<Vec<Unclosed>> {
    sqlx::query_as!(
        Unclosed,
        "SELECT id, site_id, kind FROM alert WHERE site_id = ANY($1) AND state <> 'closed' ORDER BY id",
        site_ids
    )
    .fetch_all(conn)
    .await
}

async fn queue(conn: &mut PgConnection, alert_id: i64, event: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO alert_outbox (alert_id, event) VALUES ($1, $2)",
        alert_id,
        event
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn open(
    conn: &mut PgConnection,
    site_id: i64,
    kind: &str,
    cause: &Value,
    sampled_at: DateTime<Utc>,
    batch_id: Option<i64>,
) -> sqlx::Result<i64> {
    let id = sqlx::query_scalar!(
        "INSERT INTO alert (site_id, kind, cause, sampled_at, batch_id) VALUES ($1, $2, $3, $4, $5)
         RETURNING id",
        site_id,
        kind,
        cause,
        sampled_at,
        batch_id
    )
    .fetch_one(&mut *conn)
    .await?;
    queue(conn, id, "opened").await?;
    Ok(id)
}

pub async fn close(
    conn: &mut PgConnection,
    id: i64,
    closed_by_sample: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE alert SET state = 'closed', closed_at = now(), closed_by_sample = $2 WHERE id = $1",
        id,
        closed_by_sample
    )
    .execute(&mut *conn)
    .await?;
    queue(conn, id, "closed").await
}

/// Acknowledges an open alert; `None` when there is no such alert, `Some(false)` when it is not
/// open.
pub async fn acknowledge(
    conn: &mut PgConnection,
    id: i64,
    by: &str,
    note: &str,
) -> sqlx::Result<Option<bool>> {
    let Some(state) = sqlx::query_scalar!("SELECT state FROM alert WHERE id = $1 FOR UPDATE", id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    if state != "open" {
        return Ok(Some(false));
    }
    sqlx::query!(
        "UPDATE alert SET state = 'acknowledged', acknowledged_at = now(), acknowledged_by = $2,
                acknowledge_note = $3
         WHERE id = $1",
        id,
        by,
        note
    )
    .execute(&mut *conn)
    .await?;
    queue(conn, id, "acknowledged").await?;
    Ok(Some(true))
}

#[derive(Debug, Default, Clone)]
pub struct AlertFilter {
    pub states: Vec<String>,
    pub kinds: Vec<String>,
    pub towns: Vec<String>,
    pub site_id: Option<i64>,
}

pub async fn list(
    conn: &mut PgConnection,
    filter: &AlertFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Alert>> {
    sqlx::query_as!(
        Alert,
        r#"SELECT a.id, a.site_id, s.code AS site_code, s.name AS site_name, s.kind AS site_kind,
                  s.town_code, a.kind, a.state, a.cause AS "cause: Json<Value>", a.sampled_at,
                  a.batch_id, a.opened_at, a.acknowledged_at, a.acknowledged_by, a.acknowledge_note,
                  a.closed_at, a.closed_by_sample, count(*) OVER () AS "total!"
           FROM alert a JOIN site s ON s.id = a.site_id
           WHERE (cardinality($1::text[]) = 0 OR a.state = ANY($1))
             AND (cardinality($2::text[]) = 0 OR a.kind = ANY($2))
             AND (cardinality($3::text[]) = 0 OR s.town_code = ANY($3))
             AND ($4::int8 IS NULL OR a.site_id = $4)
           ORDER BY a.opened_at DESC, a.id DESC
           LIMIT $5 OFFSET $6"#,
        &filter.states,
        &filter.kinds,
        &filter.towns,
        filter.site_id,
        limit,
        offset
    )
    .fetch_all(conn)
    .await
}

pub async fn get(conn: &mut PgConnection, id: i64) -> sqlx::Result<Option<Alert>> {
    sqlx::query_as!(
        Alert,
        r#"SELECT a.id, a.site_id, s.code AS site_code, s.name AS site_name, s.kind AS site_kind,
                  s.town_code, a.kind, a.state, a.cause AS "cause: Json<Value>", a.sampled_at,
                  a.batch_id, a.opened_at, a.acknowledged_at, a.acknowledged_by, a.acknowledge_note,
                  a.closed_at, a.closed_by_sample, 1::int8 AS "total!"
           FROM alert a JOIN site s ON s.id = a.site_id WHERE a.id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// Alerts not closed, for the bell.
pub async fn open_count(conn: &mut PgConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM alert WHERE state = 'open'"#)
        .fetch_one(conn)
        .await
}

/// One event waiting for delivery, with the alert as it is now.
#[derive(Debug, Clone)]
pub struct Queued {
    pub outbox_id: i64,
    pub alert_id: i64,
    pub event: String,
    pub attempts: i32,
}

/// The events due now, oldest first, locked for this transaction (a second deliverer skips them).
pub async fn due(conn: &mut PgConnection, limit: i64) -> sqlx::Result<Vec<Queued>> {
    sqlx::query_as!(
        Queued,
        "SELECT id AS outbox_id, alert_id, event, attempts FROM alert_outbox
         WHERE due_at <= now() ORDER BY due_at, id LIMIT $1 FOR UPDATE SKIP LOCKED",
        limit
    )
    .fetch_all(conn)
    .await
}

/// Records an attempt; a delivered event leaves the outbox, a failed one is due again at `retry_at`
/// (or leaves it, undelivered, when there is none).
pub async fn record_attempt(
    conn: &mut PgConnection,
    queued: &Queued,
    status: Option<i32>,
    error: Option<&str>,
    retry_at: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    let delivered = error.is_none();
    sqlx::query!(
        "INSERT INTO alert_delivery (alert_id, event, attempt, status, error, delivered)
         VALUES ($1, $2, $3, $4, $5, $6)",
        queued.alert_id,
        queued.event,
        queued.attempts + 1,
        status,
        error,
        delivered
    )
    .execute(&mut *conn)
    .await?;
    match retry_at.filter(|_| !delivered) {
        Some(at) => {
            sqlx::query!(
                "UPDATE alert_outbox SET attempts = attempts + 1, due_at = $2 WHERE id = $1",
                queued.outbox_id,
                at
            )
            .execute(conn)
            .await?;
        }
        None => {
            sqlx::query!("DELETE FROM alert_outbox WHERE id = $1", queued.outbox_id)
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}
