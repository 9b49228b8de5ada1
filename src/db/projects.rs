//! SQL of the project aggregate: reads with filters, and every write with its history event in
//! the caller's transaction, guarded by the project's version (optimistic locking).

use crate::db::events::{self, Actor, NewEvent};
use crate::db::listing::{push_any, push_order_and_page, push_text};
use crate::db::spatial::{SpatialFilter, push_site_filter};
use crate::db::versioned::{self, Versioned, at_version, refused, transition_refused};
use crate::domain::ProjectStatus;
use crate::domain::project::{EDITABLE, FieldValue};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};
use sqlx::types::Json;
use sqlx::{PgConnection, Postgres, QueryBuilder};

/// A project as the API returns it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Project {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    /// air, water, soil, ecology or safety
    pub category: String,
    /// programme code
    pub programme: Option<String>,
    pub programme_name: Option<String>,
    pub status: String,
    pub stage: Option<String>,
    /// why the project is suspended
    pub status_reason: Option<String>,
    pub progress: i16,
    pub responsible_unit: Option<String>,
    pub town_code: Option<String>,
    pub town_name: Option<String>,
    pub funding_source: Option<String>,
    /// 万元
    pub funding_amount: Option<f64>,
    pub planned_start: Option<NaiveDate>,
    pub planned_end: Option<NaiveDate>,
    pub actual_start: Option<NaiveDate>,
    pub actual_end: Option<NaiveDate>,
    pub description: Option<String>,
    pub placeholder: bool,
    #[schema(value_type = Object)]
    pub attrs: Json<Value>,
    /// the version to send back in If-Match
    pub version: i32,
    pub site_count: i64,
    /// how many rows the list query matched, before LIMIT (a window count)
    #[serde(skip)]
    pub full_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Project {
    /// The editable fields (`domain::project::EDITABLE`, the one list of them) in the canonical
    /// JSON form history records: the project's own serialisation, so no second list is kept.
    pub fn fields(&self) -> Map<String, Value> {
        let mut all = match serde_json::to_value(self) {
            Ok(Value::Object(all)) => all,
            _ => Map::new(),
        };
        all.retain(|name, _| EDITABLE.iter().any(|(field, _)| field == name));
        all
    }

    pub fn status(&self) -> Option<ProjectStatus> {
        self.status.parse().ok()
    }
}

// The town's name and the site count are select-list expressions rather than joins, so that
// PostgreSQL computes them for the rows of a page only, after the sort and LIMIT.
const SELECT_PROJECT: &str = "SELECT p.id, p.code, p.name, p.name_en, p.category, g.code AS programme, g.name AS programme_name,
        p.status, p.stage, p.status_reason, p.progress, p.responsible_unit, p.town_code,
        (SELECT a.name FROM admin_area a WHERE a.code = p.town_code) AS town_name,
        p.funding_source, p.funding_amount::float8 AS funding_amount, p.planned_start, p.planned_end,
        p.actual_start, p.actual_end, p.description, p.placeholder, p.attrs, p.version,
        (SELECT count(*) FROM project_site ps WHERE ps.project_id = p.id) AS site_count,
        count(*) OVER () AS full_count,
        p.created_at, p.updated_at
    FROM project p
    LEFT JOIN programme g ON g.id = p.programme_id";

/// One project, read with the list's own select so that the two cannot differ; the list is built
/// by QueryBuilder, so this statement is checked by the tests rather than the compiler.
pub async fn get(conn: &mut PgConnection, id: i64) -> sqlx::Result<Option<Project>> {
    sqlx::query_as(&format!("{SELECT_PROJECT} WHERE p.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// The projects with these codes, locked until the transaction ends (a sheet's update).
pub async fn by_codes_for_update(
    conn: &mut PgConnection,
    codes: &[String],
) -> sqlx::Result<Vec<Project>> {
    sqlx::query!(
        "SELECT id FROM project WHERE code = ANY($1) ORDER BY id FOR UPDATE",
        codes
    )
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query_as(&format!("{SELECT_PROJECT} WHERE p.code = ANY($1)"))
        .bind(codes)
        .fetch_all(conn)
        .await
}

/// Reads the project and locks its row until the transaction ends.
async fn get_for_update(conn: &mut PgConnection, id: i64) -> sqlx::Result<Option<Project>> {
    let locked = sqlx::query_scalar!("SELECT id FROM project WHERE id = $1 FOR UPDATE", id)
        .fetch_optional(&mut *conn)
        .await?;
    match locked {
        Some(_) => get(conn, id).await,
        None => Ok(None),
    }
}

/// Filters of the project list; all combine with AND.
#[derive(Debug, Default, Clone)]
pub struct ProjectFilter {
    pub statuses: Vec<String>,
    pub categories: Vec<String>,
    pub programmes: Vec<String>,
    pub towns: Vec<String>,
    /// text in the name, English name or code
    pub text: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
    /// projects with a linked site matching this
    pub spatial: Option<SpatialFilter>,
    /// projects linked to this site
    pub site_id: Option<i64>,
}

/// Sortable columns, each with its SQL; the whitelist keeps identifiers out of user input.
pub const SORTS: [(&str, &str); 6] = [
    ("code", "p.code"),
    ("name", "p.name"),
    ("status", "p.status"),
    ("progress", "p.progress"),
    ("updated_at", "p.updated_at"),
    ("planned_end", "p.planned_end"),
];

fn push_filter(q: &mut QueryBuilder<'_, Postgres>, f: &ProjectFilter) {
    q.push(" WHERE true");
    push_any(q, "p.status", &f.statuses);
    push_any(q, "p.category", &f.categories);
    push_any(q, "g.code", &f.programmes);
    push_any(q, "p.town_code", &f.towns);
    if let Some(text) = &f.text {
        push_text(q, &["p.name", "p.code", "p.name_en"], text);
    }
    if let Some(since) = f.updated_since {
        q.push(" AND p.updated_at >= ").push_bind(since);
    }
    if let Some(site_id) = f.site_id {
        q.push(" AND EXISTS (SELECT 1 FROM project_site ps WHERE ps.project_id = p.id AND ps.site_id = ")
            .push_bind(site_id)
            .push(")");
    }
    if let Some(spatial) = &f.spatial {
        q.push(" AND EXISTS (SELECT 1 FROM project_site ps JOIN site s ON s.id = ps.site_id WHERE ps.project_id = p.id AND ");
        push_site_filter(q, spatial, "s");
        q.push(")");
    }
}

/// One page of projects and the total that match.
pub async fn list(
    conn: &mut PgConnection,
    f: &ProjectFilter,
    sort: (&str, bool),
    limit: i64,
    offset: i64,
) -> sqlx::Result<(i64, Vec<Project>)> {
    let mut q = QueryBuilder::new(SELECT_PROJECT);
    push_filter(&mut q, f);
    push_order_and_page(&mut q, &SORTS, sort, "p.id", limit, offset);
    let items: Vec<Project> = q.build_query_as().fetch_all(&mut *conn).await?;
    // the window count gives the total in the same pass; only a page past the end needs a count
    let total = match items.first() {
        Some(first) => first.full_count,
        None if offset == 0 => 0,
        None => {
            let mut count = QueryBuilder::new(
                "SELECT count(*) FROM project p LEFT JOIN programme g ON g.id = p.programme_id",
            );
            push_filter(&mut count, f);
            count.build_query_scalar().fetch_one(conn).await?
        }
    };
    Ok((total, items))
}

pub type WriteRefused = versioned::WriteRefused<Project>;
pub type WriteRefusedOrDb = versioned::WriteRefusedOrDb<Project>;
type WriteResult<T> = versioned::WriteResult<T, Project>;

impl Versioned for Project {
    fn version(&self) -> i32 {
        self.version
    }
}

async fn lock_at_version(conn: &mut PgConnection, id: i64, version: i32) -> WriteResult<Project> {
    at_version(get_for_update(conn, id).await?, version)
}

async fn bump(conn: &mut PgConnection, id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE project SET version = version + 1, updated_at = now() WHERE id = $1",
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A new project, as validated by the HTTP layer.
#[derive(Debug, Clone)]
pub struct NewProject {
    pub code: String,
    pub status: ProjectStatus,
    pub status_reason: Option<String>,
    /// name, category and the other editable fields
    pub fields: Vec<FieldValue>,
    pub site_ids: Vec<i64>,
}

/// Creates a project with its `created` event (holding the full initial state) and its links.
pub async fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    new: &NewProject,
    note: Option<&str>,
) -> WriteResult<Project> {
    let mut q = QueryBuilder::<Postgres>::new("INSERT INTO project (code, status, status_reason");
    for f in &new.fields {
        q.push(", ").push(column_of(f.field));
    }
    q.push(") VALUES (")
        .push_bind(&new.code)
        .push(", ")
        .push_bind(new.status.as_str())
        .push(", ")
        .push_bind(&new.status_reason);
    for f in &new.fields {
        q.push(", ");
        push_value(&mut q, f);
    }
    q.push(") RETURNING id");
    let id: i64 = q.build_query_scalar().fetch_one(&mut *conn).await?;
    for site_id in &new.site_ids {
        link_row(conn, id, *site_id).await?;
    }
    let project = get(conn, id).await?.ok_or(sqlx::Error::RowNotFound)?;
    let mut snapshot = project.fields();
    snapshot.insert("code".into(), json!(project.code));
    snapshot.insert("status".into(), json!(project.status));
    snapshot.insert("status_reason".into(), json!(project.status_reason));
    snapshot.insert("site_ids".into(), json!(new.site_ids));
    let event = NewEvent {
        to_status: Some(new.status.as_str()),
        changes: Some(json!({ "snapshot": snapshot })),
        note,
        ..NewEvent::new(id, "created")
    };
    events::insert(conn, actor, event).await?;
    Ok(project)
}

/// SQL column of an editable field; `programme` is stored as its id.
fn column_of(field: &str) -> &'static str {
    crate::domain::project::EDITABLE
        .iter()
        .find(|(f, _)| *f == field)
        .map_or(
            "name",
            |(f, _)| if *f == "programme" { "programme_id" } else { f },
        )
}

fn push_value(q: &mut QueryBuilder<'_, Postgres>, f: &FieldValue) {
    if f.field == "programme" {
        // an unknown code becomes a NULL that would silently drop the programme: refuse instead
        q.push("(SELECT CASE WHEN ")
            .push_bind(f.sql_text())
            .push("::text IS NULL THEN NULL ELSE coalesce((SELECT id FROM programme WHERE code = ");
        q.push_bind(f.sql_text()).push("), -1) END)");
    } else {
        q.push_bind(f.sql_text())
            .push(format!("::{}", f.ty.sql_type()));
    }
}

/// Applies the fields that differ from the stored ones; returns the project and whether anything
/// changed. A write that changes nothing records nothing and keeps the version.
pub async fn edit(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    version: i32,
    fields: &[FieldValue],
    note: Option<&str>,
    kind: &str,
) -> WriteResult<(Project, bool)> {
    let current = lock_at_version(conn, id, version).await?;
    let before = current.fields();
    let value = |name: &str| before.get(name).cloned().unwrap_or(Value::Null);
    let changed: Vec<&FieldValue> = fields.iter().filter(|f| value(f.field) != f.json).collect();
    if changed.is_empty() {
        return Ok((current, false));
    }
    let mut q = QueryBuilder::<Postgres>::new(
        "UPDATE project SET version = version + 1, updated_at = now()",
    );
    for f in &changed {
        q.push(", ").push(column_of(f.field)).push(" = ");
        push_value(&mut q, f);
    }
    q.push(" WHERE id = ").push_bind(id);
    q.build().execute(&mut *conn).await?;
    let mut changes = Map::new();
    for f in &changed {
        changes.insert(
            f.field.into(),
            json!({ "before": value(f.field), "after": f.json }),
        );
    }
    let event = NewEvent {
        changes: Some(Value::Object(changes)),
        note,
        ..NewEvent::new(id, kind)
    };
    events::insert(conn, actor, event).await?;
    let updated = get(conn, id).await?.ok_or(sqlx::Error::RowNotFound)?;
    Ok((updated, true))
}

/// Moves the project along its lifecycle. Entering in_progress or completed fills the actual
/// start or end date when it is still empty; leaving suspended clears the reason.
pub async fn transition(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    version: i32,
    to: ProjectStatus,
    note: &str,
    reason: Option<&str>,
) -> WriteResult<Project> {
    let current = lock_at_version(conn, id, version).await?;
    let from = current
        .status()
        .ok_or_else(|| WriteRefusedOrDb::Db(sqlx::Error::RowNotFound))?;
    if !from.can_move_to(to) {
        let allowed: Vec<&str> = from.allowed_next().iter().map(|s| s.as_str()).collect();
        return refused(WriteRefused::Rule(transition_refused(
            "project",
            from.as_str(),
            to.as_str(),
            &allowed,
        )));
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if to == ProjectStatus::Suspended && reason.is_none() {
        return refused(WriteRefused::Rule("a suspension needs a reason".into()));
    }
    let status_reason = if to == ProjectStatus::Suspended {
        reason
    } else {
        None
    };
    sqlx::query!(
        "UPDATE project SET status = $2, status_reason = $3, version = version + 1, updated_at = now(),
                actual_start = CASE WHEN $2 = 'in_progress' THEN coalesce(actual_start, current_date) ELSE actual_start END,
                actual_end = CASE WHEN $2 = 'completed' THEN coalesce(actual_end, current_date) ELSE actual_end END
         WHERE id = $1",
        id,
        to.as_str(),
        status_reason
    )
    .execute(&mut *conn)
    .await?;
    let updated = get(conn, id).await?.ok_or(sqlx::Error::RowNotFound)?;
    let mut changes = Map::new();
    let (before, after) = (current.fields(), updated.fields());
    for field in ["actual_start", "actual_end"] {
        if before.get(field) != after.get(field) {
            changes.insert(
                field.into(),
                json!({ "before": before.get(field), "after": after.get(field) }),
            );
        }
    }
    if current.status_reason != updated.status_reason {
        changes.insert(
            "status_reason".into(),
            json!({ "before": current.status_reason, "after": updated.status_reason }),
        );
    }
    let event = NewEvent {
        from_status: Some(from.as_str()),
        to_status: Some(to.as_str()),
        changes: (!changes.is_empty()).then_some(Value::Object(changes)),
        note: Some(note),
        ..NewEvent::new(id, "status")
    };
    events::insert(conn, actor, event).await?;
    Ok(updated)
}

/// A change computed and shown before it is written (a progress sheet's row), on a project the
/// caller has locked: the lifecycle was checked when it was computed.
pub struct PlannedChange<'a> {
    pub id: i64,
    /// the version the change was computed on
    pub version: i32,
    /// from, to
    pub transition: Option<(ProjectStatus, ProjectStatus)>,
    /// the reason of a suspension
    pub status_reason: Option<&'a str>,
    /// what the transition changes besides the status: field → {before, after}
    pub transition_changes: Map<String, Value>,
    /// every field set, the dates a transition fills among them
    pub fields: Vec<FieldValue>,
    /// the edited fields: field → {before, after}
    pub field_changes: Map<String, Value>,
    pub note: &'a str,
}

/// Writes a planned change in one UPDATE, with the events a transition and an edit of the same
/// change record: a status event (its filled dates and reason as changes) and an edit event.
/// A project changed since the plan was made is refused as stale.
pub async fn write_planned(
    conn: &mut PgConnection,
    actor: &Actor,
    change: PlannedChange<'_>,
) -> WriteResult<()> {
    let mut q = QueryBuilder::<Postgres>::new(
        "UPDATE project SET version = version + 1, updated_at = now()",
    );
    if let Some((_, to)) = change.transition {
        let reason = change
            .status_reason
            .filter(|_| to == ProjectStatus::Suspended);
        q.push(", status = ")
            .push_bind(to.as_str())
            .push(", status_reason = ")
            .push_bind(reason);
    }
    for f in &change.fields {
        q.push(", ").push(column_of(f.field)).push(" = ");
        push_value(&mut q, f);
    }
    q.push(" WHERE id = ")
        .push_bind(change.id)
        .push(" AND version = ")
        .push_bind(change.version);
    if q.build().execute(&mut *conn).await?.rows_affected() == 0 {
        return match get(conn, change.id).await? {
            Some(current) => refused(WriteRefused::Stale(Box::new(current))),
            None => refused(WriteRefused::NotFound),
        };
    }
    if let Some((from, to)) = change.transition {
        let changes = &change.transition_changes;
        let event = NewEvent {
            from_status: Some(from.as_str()),
            to_status: Some(to.as_str()),
            changes: (!changes.is_empty()).then(|| Value::Object(changes.clone())),
            note: Some(change.note),
            ..NewEvent::new(change.id, "status")
        };
        events::insert(conn, actor, event).await?;
    }
    if !change.field_changes.is_empty() {
        let event = NewEvent {
            changes: Some(Value::Object(change.field_changes)),
            note: Some(change.note),
            ..NewEvent::new(change.id, "edit")
        };
        events::insert(conn, actor, event).await?;
    }
    Ok(())
}

/// The linked site's code and name, or None when the link was already there.
async fn link_row(
    conn: &mut PgConnection,
    project_id: i64,
    site_id: i64,
) -> WriteResult<Option<(String, String)>> {
    let Some(site) = sqlx::query!("SELECT code, name FROM site WHERE id = $1", site_id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return refused(WriteRefused::Rule(format!("there is no site {site_id}")));
    };
    let inserted = sqlx::query!(
        "INSERT INTO project_site (project_id, site_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        project_id,
        site_id
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok((inserted == 1).then_some((site.code, site.name)))
}

/// Links a site; linking one already linked changes nothing and records nothing.
pub async fn link(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    version: i32,
    site_id: i64,
    note: Option<&str>,
) -> WriteResult<(Project, bool)> {
    let current = lock_at_version(conn, id, version).await?;
    let Some((code, name)) = link_row(conn, id, site_id).await? else {
        return Ok((current, false));
    };
    bump(conn, id).await?;
    let event = NewEvent {
        site_id: Some(site_id),
        changes: Some(json!({ "site_code": code, "site_name": name })),
        note,
        ..NewEvent::new(id, "link")
    };
    events::insert(conn, actor, event).await?;
    Ok((get(conn, id).await?.ok_or(sqlx::Error::RowNotFound)?, true))
}

pub async fn unlink(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    version: i32,
    site_id: i64,
    note: Option<&str>,
) -> WriteResult<(Project, bool)> {
    let current = lock_at_version(conn, id, version).await?;
    let Some(removed) = sqlx::query!(
        "DELETE FROM project_site ps USING site s WHERE ps.project_id = $1 AND ps.site_id = $2 AND s.id = ps.site_id RETURNING s.code, s.name",
        id,
        site_id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok((current, false));
    };
    let (code, name) = (removed.code, removed.name);
    bump(conn, id).await?;
    let event = NewEvent {
        site_id: Some(site_id),
        changes: Some(json!({ "site_code": code, "site_name": name })),
        note,
        ..NewEvent::new(id, "unlink")
    };
    events::insert(conn, actor, event).await?;
    Ok((get(conn, id).await?.ok_or(sqlx::Error::RowNotFound)?, true))
}
