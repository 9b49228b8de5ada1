//! SQL of the case aggregate (the casework ledgers): reads with filters, the repeat check, and
//! every write with its history event in the caller's transaction, guarded by the case's version
//! through the same optimistic locking and history writer as projects.

use crate::db::events::{self, Actor, NewEvent, Subject};
use crate::db::listing::{push_any, push_order_and_page, push_text};
use crate::db::spatial::{SpatialFilter, push_site_filter};
use crate::db::versioned::{self, Versioned, at_version, refused, transition_refused};
use crate::domain::casework::{
    COMPLAINANT_FIELDS, CaseFields, CaseKind, CaseReader, CaseStatus, PointGeometry, PointType,
    RepeatWindow,
};
use crate::domain::choice::Choice;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};
use sqlx::types::Json;
use sqlx::{PgConnection, Postgres, QueryBuilder};

/// A case as the API returns it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Case {
    pub id: i64,
    /// petition, hidden_danger, inspection_finding or prominent_problem
    pub kind: String,
    pub code: String,
    pub received_on: NaiveDate,
    /// letter, visit, hotline_12345, online, inspection or higher_authority
    pub source: String,
    /// air, water, noise, solid_waste, soil or other
    pub category: String,
    pub title: String,
    pub description: Option<String>,
    /// where the case is, GeoJSON in WGS84: its own point, else a point on its site
    #[schema(value_type = Option<Object>)]
    pub geometry: Option<Json<Value>>,
    /// the place is the site's, as the case has no point of its own
    pub placed_by_site: bool,
    pub site_id: Option<i64>,
    pub site_code: Option<String>,
    pub site_name: Option<String>,
    pub address: Option<String>,
    pub town_code: Option<String>,
    pub town_name: Option<String>,
    pub responsible_unit: Option<String>,
    pub deadline: Option<NaiveDate>,
    /// not resolved and past the deadline (today in China)
    pub overdue: bool,
    /// hidden dangers: major or general
    pub severity: Option<String>,
    pub inspection: Option<String>,
    pub resolution: Option<String>,
    /// editors only
    pub complainant_name: Option<String>,
    /// editors only
    pub complainant_phone: Option<String>,
    /// received, assigned, handling, resolved, closed or reopened
    pub status: String,
    pub repeat_of: Option<i64>,
    pub repeat_of_code: Option<String>,
    /// how many later petitions are linked as repeats of this one
    pub repeat_count: i64,
    pub project_id: Option<i64>,
    pub project_code: Option<String>,
    pub project_name: Option<String>,
    /// the version to send back in If-Match
    pub version: i32,
    #[serde(skip)]
    pub full_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Versioned for Case {
    fn version(&self) -> i32 {
        self.version
    }
}

impl Case {
    pub fn kind(&self) -> Option<CaseKind> {
        self.kind.parse().ok()
    }

    pub fn status(&self) -> Option<CaseStatus> {
        self.status.parse().ok()
    }

    /// The case as `reader` may see it; None when they may not see it at all.
    pub fn for_reader(mut self, reader: CaseReader) -> Option<Case> {
        if self.kind() == Some(CaseKind::Petition) && !reader.sees_petitions() {
            return None;
        }
        if !reader.sees_complainants() {
            self.complainant_name = None;
            self.complainant_phone = None;
        }
        Some(self)
    }

    /// The editable fields as stored, for edits and the history.
    pub fn fields(&self) -> Result<CaseFields, serde_json::Error> {
        let point = self
            .geometry
            .as_ref()
            .filter(|_| !self.placed_by_site)
            .and_then(|g| g.0.get("coordinates"))
            .and_then(|c| serde_json::from_value::<[f64; 2]>(c.clone()).ok())
            .map(|coordinates| PointGeometry {
                kind: PointType::Point,
                coordinates,
            });
        Ok(CaseFields {
            received_on: self.received_on,
            source: self.source.parse().map_err(serde::de::Error::custom)?,
            category: self.category.parse().map_err(serde::de::Error::custom)?,
            title: self.title.clone(),
            description: self.description.clone(),
            geometry: point,
            site_id: self.site_id,
            address: self.address.clone(),
            town_code: self.town_code.clone(),
            responsible_unit: self.responsible_unit.clone(),
            deadline: self.deadline,
            severity: match &self.severity {
                Some(s) => Some(s.parse().map_err(serde::de::Error::custom)?),
                None => None,
            },
            inspection: self.inspection.clone(),
            resolution: self.resolution.clone(),
            complainant_name: self.complainant_name.clone(),
            complainant_phone: self.complainant_phone.clone(),
            repeat_of: self.repeat_of,
            project_id: self.project_id,
        })
    }
}

/// Today where the bureau is: deadlines are days in China.
pub const BUREAU_TODAY: &str = "(now() AT TIME ZONE 'Asia/Shanghai')::date";

/// Overdue: not resolved and past the deadline; on the deadline's own day a case is on time.
fn overdue_sql(alias: &str) -> String {
    format!(
        "({alias}.status NOT IN ('resolved', 'closed') AND coalesce({alias}.deadline < {BUREAU_TODAY}, false))"
    )
}

fn select_case() -> String {
    format!(
        "SELECT c.id, c.kind, c.code, c.received_on, c.source, c.category, c.title, c.description,
        ST_AsGeoJSON(c.geom, 7)::jsonb AS geometry, (c.point IS NULL AND c.geom IS NOT NULL) AS placed_by_site,
        c.site_id, s.code AS site_code, s.name AS site_name, c.address, c.town_code,
        (SELECT a.name FROM admin_area a WHERE a.code = c.town_code) AS town_name,
        c.responsible_unit, c.deadline, {overdue} AS overdue, c.severity, c.inspection, c.resolution,
        c.complainant_name, c.complainant_phone, c.status, c.repeat_of,
        (SELECT r.code FROM casework r WHERE r.id = c.repeat_of) AS repeat_of_code,
        (SELECT count(*) FROM casework r WHERE r.repeat_of = c.id) AS repeat_count,
        c.project_id, p.code AS project_code, p.name AS project_name,
        c.version, count(*) OVER () AS full_count, c.created_at, c.updated_at
    FROM casework c
    LEFT JOIN site s ON s.id = c.site_id
    LEFT JOIN project p ON p.id = c.project_id",
        overdue = overdue_sql("c")
    )
}

/// One case, read with the list's own select so that the two cannot differ.
pub async fn get(conn: &mut PgConnection, id: i64) -> sqlx::Result<Option<Case>> {
    sqlx::query_as(&format!("{} WHERE c.id = $1", select_case()))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Filters of the case list; all combine with AND.
#[derive(Debug, Clone)]
pub struct CaseFilter {
    pub reader: CaseReader,
    pub kinds: Vec<String>,
    pub statuses: Vec<String>,
    pub categories: Vec<String>,
    pub towns: Vec<String>,
    pub overdue: Option<bool>,
    /// text in the code, title, description or address
    pub text: Option<String>,
    pub received_from: Option<NaiveDate>,
    pub received_to: Option<NaiveDate>,
    pub spatial: Option<SpatialFilter>,
    pub site_id: Option<i64>,
    pub project_id: Option<i64>,
}

impl CaseFilter {
    pub fn new(reader: CaseReader) -> Self {
        CaseFilter {
            reader,
            kinds: Vec::new(),
            statuses: Vec::new(),
            categories: Vec::new(),
            towns: Vec::new(),
            overdue: None,
            text: None,
            received_from: None,
            received_to: None,
            spatial: None,
            site_id: None,
            project_id: None,
        }
    }
}

/// Sortable columns, each with its SQL.
pub const SORTS: [(&str, &str); 6] = [
    ("code", "c.code"),
    ("received_on", "c.received_on"),
    ("deadline", "c.deadline"),
    ("status", "c.status"),
    ("category", "c.category"),
    ("updated_at", "c.updated_at"),
];

fn push_filter(q: &mut QueryBuilder<'_, Postgres>, f: &CaseFilter) {
    q.push(" WHERE true");
    if !f.reader.sees_petitions() {
        q.push(" AND c.kind <> 'petition'");
    }
    push_any(q, "c.kind", &f.kinds);
    push_any(q, "c.status", &f.statuses);
    push_any(q, "c.category", &f.categories);
    push_any(q, "c.town_code", &f.towns);
    match f.overdue {
        Some(true) => {
            q.push(" AND ").push(overdue_sql("c"));
        }
        Some(false) => {
            q.push(" AND NOT ").push(overdue_sql("c"));
        }
        None => {}
    }
    if let Some(text) = &f.text {
        push_text(
            q,
            &["c.code", "c.title", "c.description", "c.address"],
            text,
        );
    }
    if let Some(from) = f.received_from {
        q.push(" AND c.received_on >= ").push_bind(from);
    }
    if let Some(to) = f.received_to {
        q.push(" AND c.received_on <= ").push_bind(to);
    }
    if let Some(site_id) = f.site_id {
        q.push(" AND c.site_id = ").push_bind(site_id);
    }
    if let Some(project_id) = f.project_id {
        q.push(" AND c.project_id = ").push_bind(project_id);
    }
    if let Some(spatial) = &f.spatial {
        q.push(" AND ");
        push_site_filter(q, spatial, "c");
    }
}

/// One page of cases and the total that match.
pub async fn list(
    conn: &mut PgConnection,
    f: &CaseFilter,
    sort: (&str, bool),
    limit: i64,
    offset: i64,
) -> sqlx::Result<(i64, Vec<Case>)> {
    let mut q = QueryBuilder::new(select_case());
    push_filter(&mut q, f);
    push_order_and_page(&mut q, &SORTS, sort, "c.id", limit, offset);
    let items: Vec<Case> = q.build_query_as().fetch_all(&mut *conn).await?;
    let total = match items.first() {
        Some(first) => first.full_count,
        None if offset == 0 => 0,
        None => {
            let mut count = QueryBuilder::new("SELECT count(*) FROM casework c");
            push_filter(&mut count, f);
            count.build_query_scalar().fetch_one(conn).await?
        }
    };
    Ok((total, items))
}

/// An earlier petition that may be about the same thing as a new one.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RepeatCandidate {
    pub id: i64,
    pub code: String,
    pub received_on: NaiveDate,
    pub title: String,
    pub status: String,
    pub address: Option<String>,
    /// geodesic, metres
    pub distance_m: f64,
    /// how many petitions are already linked as its repeats
    pub repeat_count: i64,
    /// its place, GeoJSON in WGS84
    #[schema(value_type = Object)]
    pub geometry: Json<Value>,
}

/// Earlier petitions of `category` within the window around a point received on `received_on`,
/// nearest first (at most 50); `exclude` leaves out the case being edited.
pub async fn repeat_candidates(
    conn: &mut PgConnection,
    window: RepeatWindow,
    (lon, lat): (f64, f64),
    category: &str,
    received_on: NaiveDate,
    exclude: Option<i64>,
) -> sqlx::Result<Vec<RepeatCandidate>> {
    sqlx::query_as!(
        RepeatCandidate,
        r#"SELECT c.id, c.code, c.received_on, c.title, c.status, c.address,
                  ST_Distance(c.geom::geography, here.g) AS "distance_m!",
                  (SELECT count(*) FROM casework r WHERE r.repeat_of = c.id) AS "repeat_count!",
                  ST_AsGeoJSON(c.geom, 7)::jsonb AS "geometry!: Json<Value>"
           FROM casework c,
                LATERAL (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography AS g) here
           WHERE c.kind = 'petition' AND c.category = $3
             AND ST_DWithin(c.geom::geography, here.g, $4)
             AND c.received_on BETWEEN $5::date - $6::int AND $5::date
             AND c.id IS DISTINCT FROM $7
           ORDER BY 7, c.received_on DESC, c.id
           LIMIT 50"#,
        lon,
        lat,
        category,
        window.radius_m,
        received_on,
        window.days as i32,
        exclude
    )
    .fetch_all(conn)
    .await
}

pub type WriteRefused = versioned::WriteRefused<Case>;
pub type WriteRefusedOrDb = versioned::WriteRefusedOrDb<Case>;
type WriteResult<T> = versioned::WriteResult<T, Case>;

/// The case locked until the transaction ends, if it is still at the caller's version.
pub async fn lock_at_version(conn: &mut PgConnection, id: i64, version: i32) -> WriteResult<Case> {
    let locked = sqlx::query_scalar!("SELECT id FROM casework WHERE id = $1 FOR UPDATE", id)
        .fetch_optional(&mut *conn)
        .await?;
    let current = match locked {
        Some(_) => get(conn, id).await?,
        None => None,
    };
    at_version(current, version)
}

/// Checks what the fields point at, so that a bad id is named rather than a constraint.
async fn check_links(conn: &mut PgConnection, id: i64, f: &CaseFields) -> WriteResult<()> {
    if let Some(site_id) = f.site_id {
        let found = sqlx::query_scalar!("SELECT id FROM site WHERE id = $1", site_id)
            .fetch_optional(&mut *conn)
            .await?;
        if found.is_none() {
            return refused(WriteRefused::Rule(format!("there is no site {site_id}")));
        }
    }
    if let Some(project_id) = f.project_id {
        let found = sqlx::query_scalar!("SELECT id FROM project WHERE id = $1", project_id)
            .fetch_optional(&mut *conn)
            .await?;
        if found.is_none() {
            return refused(WriteRefused::Rule(format!(
                "there is no project {project_id}"
            )));
        }
    }
    if let Some(town) = &f.town_code {
        let found = sqlx::query_scalar!(
            "SELECT code FROM admin_area WHERE code = $1 AND level = 'town'",
            town
        )
        .fetch_optional(&mut *conn)
        .await?;
        if found.is_none() {
            return refused(WriteRefused::Rule(format!("there is no town {town}")));
        }
    }
    if let Some(earlier) = f.repeat_of {
        if earlier == id {
            return refused(WriteRefused::Rule("a petition cannot repeat itself".into()));
        }
        let kind = sqlx::query_scalar!("SELECT kind FROM casework WHERE id = $1", earlier)
            .fetch_optional(&mut *conn)
            .await?;
        if kind.as_deref() != Some("petition") {
            return refused(WriteRefused::Rule(format!(
                "repeat_of: there is no petition {earlier}"
            )));
        }
    }
    Ok(())
}

/// The fields in the form the history records them; complainant fields included (readers below
/// editor get them removed by [`redact_changes`]).
fn recorded(fields: &CaseFields) -> Map<String, Value> {
    match serde_json::to_value(fields) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// A new case, as validated by the HTTP layer or the importer.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub kind: CaseKind,
    /// None: the next free code of the kind and year, e.g. XF2025-0166
    pub code: Option<String>,
    pub status: CaseStatus,
    pub fields: CaseFields,
    /// when the history starts; None: now (imports date it by the ledger)
    pub created_at: Option<DateTime<Utc>>,
}

fn code_prefix(kind: CaseKind) -> &'static str {
    match kind {
        CaseKind::Petition => "XF",
        CaseKind::HiddenDanger => "YH",
        CaseKind::InspectionFinding => "JC",
        CaseKind::ProminentProblem => "TC",
    }
}

/// Creates a case with its `created` event holding the full initial state.
pub async fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    new: &NewCase,
    note: Option<&str>,
) -> WriteResult<Case> {
    check_links(conn, 0, &new.fields).await?;
    let f = &new.fields;
    let point = f.geometry.map(|g| g.coordinates);
    let code = match &new.code {
        Some(code) => code.clone(),
        None => {
            let prefix = format!("{}{}-", code_prefix(new.kind), f.received_on.format("%Y"));
            let taken = sqlx::query_scalar!(
                r#"SELECT coalesce(max(substr(code, length($1) + 1)::int), 0) AS "n!" FROM casework
                   WHERE starts_with(code, $1) AND substr(code, length($1) + 1) ~ '^[0-9]{1,9}$'"#,
                prefix
            )
            .fetch_one(&mut *conn)
            .await?;
            format!("{prefix}{:04}", taken + 1)
        }
    };
    let taken = sqlx::query_scalar!("SELECT id FROM casework WHERE code = $1", code)
        .fetch_optional(&mut *conn)
        .await?;
    if taken.is_some() {
        return refused(WriteRefused::Rule(format!(
            "a case with code {code} already exists"
        )));
    }
    let id = sqlx::query_scalar!(
        r#"INSERT INTO casework (kind, code, status, received_on, source, category, title, description,
               point, site_id, address, town_code, responsible_unit, deadline, severity, inspection,
               resolution, complainant_name, complainant_phone, repeat_of, project_id,
               created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
               CASE WHEN $9::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($9, $10), 4326) END,
               $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
               coalesce($23, now()), coalesce($23, now()))
           RETURNING id"#,
        new.kind.name(),
        code,
        new.status.name(),
        f.received_on,
        f.source.name(),
        f.category.name(),
        f.title,
        f.description,
        point.map(|p| p[0]),
        point.map(|p| p[1]),
        f.site_id,
        f.address,
        f.town_code,
        f.responsible_unit,
        f.deadline,
        f.severity.map(|s| s.name()),
        f.inspection,
        f.resolution,
        f.complainant_name,
        f.complainant_phone,
        f.repeat_of,
        f.project_id,
        new.created_at
    )
    .fetch_one(&mut *conn)
    .await?;
    // the town from the place, when none was given
    sqlx::query!(
        "UPDATE casework c SET town_code = (SELECT a.code FROM admin_area a
             WHERE a.level = 'town' AND ST_Intersects(a.geom, c.geom) ORDER BY a.code LIMIT 1)
         WHERE c.id = $1 AND c.town_code IS NULL AND c.geom IS NOT NULL",
        id
    )
    .execute(&mut *conn)
    .await?;
    let case = get(conn, id).await?.ok_or(sqlx::Error::RowNotFound)?;
    let stored = case
        .fields()
        .map_err(|e| WriteRefusedOrDb::Db(sqlx::Error::Decode(Box::new(e))))?;
    let mut snapshot = recorded(&stored);
    snapshot.insert("kind".into(), json!(case.kind));
    snapshot.insert("code".into(), json!(case.code));
    snapshot.insert("status".into(), json!(case.status));
    let event = NewEvent {
        at: new.created_at,
        to_status: Some(new.status.name()),
        changes: Some(json!({ "snapshot": snapshot })),
        note,
        ..NewEvent::of(Subject::Case(id), "created")
    };
    events::insert(conn, actor, event).await?;
    Ok(case)
}

/// Stores `after` where it differs from the fields of `current`, the case as
/// [`lock_at_version`] locked it; returns the case and whether anything changed. A write that changes nothing records nothing and keeps the version.
pub async fn edit(
    conn: &mut PgConnection,
    actor: &Actor,
    current: Case,
    after: &CaseFields,
    note: Option<&str>,
) -> WriteResult<(Case, bool)> {
    let id = current.id;
    let before = current
        .fields()
        .map_err(|e| WriteRefusedOrDb::Db(sqlx::Error::Decode(Box::new(e))))?;
    if &before == after {
        return Ok((current, false));
    }
    check_links(conn, id, after).await?;
    if current.status().is_some_and(CaseStatus::is_resolved) && after.resolution.is_none() {
        return refused(WriteRefused::Rule(format!(
            "case {} is {}: its resolution cannot be removed",
            current.code, current.status
        )));
    }
    let point = after.geometry.map(|g| g.coordinates);
    sqlx::query!(
        r#"UPDATE casework SET version = version + 1, updated_at = now(),
               received_on = $2, source = $3, category = $4, title = $5, description = $6,
               point = CASE WHEN $7::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($7, $8), 4326) END,
               site_id = $9, address = $10, town_code = $11, responsible_unit = $12, deadline = $13,
               severity = $14, inspection = $15, resolution = $16, complainant_name = $17,
               complainant_phone = $18, repeat_of = $19, project_id = $20
           WHERE id = $1"#,
        id,
        after.received_on,
        after.source.name(),
        after.category.name(),
        after.title,
        after.description,
        point.map(|p| p[0]),
        point.map(|p| p[1]),
        after.site_id,
        after.address,
        after.town_code,
        after.responsible_unit,
        after.deadline,
        after.severity.map(|s| s.name()),
        after.inspection,
        after.resolution,
        after.complainant_name,
        after.complainant_phone,
        after.repeat_of,
        after.project_id
    )
    .execute(&mut *conn)
    .await?;
    let (old, new) = (recorded(&before), recorded(after));
    let mut changes = Map::new();
    for (field, value) in &new {
        let was = old.get(field).cloned().unwrap_or(Value::Null);
        if &was != value {
            changes.insert(
                field.clone(),
                json!({ "before": was, "after": value.clone() }),
            );
        }
    }
    let event = NewEvent {
        changes: Some(Value::Object(changes)),
        note,
        ..NewEvent::of(Subject::Case(id), "edit")
    };
    events::insert(conn, actor, event).await?;
    let updated = get(conn, id).await?.ok_or(sqlx::Error::RowNotFound)?;
    Ok((updated, true))
}

/// A move along the lifecycle.
#[derive(Debug, Clone, Copy)]
pub struct Move<'a> {
    pub to: CaseStatus,
    pub note: &'a str,
    /// stored with the move; resolving needs one, given now or already stored
    pub resolution: Option<&'a str>,
}

/// Moves the case along its lifecycle; only the allowed transitions pass.
pub async fn transition(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    version: i32,
    step: Move<'_>,
) -> WriteResult<Case> {
    let current = lock_at_version(conn, id, version).await?;
    let Move {
        to,
        note,
        resolution,
    } = step;
    let from = current
        .status()
        .ok_or_else(|| WriteRefusedOrDb::Db(sqlx::Error::RowNotFound))?;
    if !from.can_move_to(to) {
        let allowed: Vec<&str> = from.allowed_next().iter().map(|s| s.name()).collect();
        return refused(WriteRefused::Rule(transition_refused(
            "case",
            from.name(),
            to.name(),
            &allowed,
        )));
    }
    let resolution = resolution.map(str::trim).filter(|r| !r.is_empty());
    if to.needs_resolution() && resolution.is_none() && current.resolution.is_none() {
        return refused(WriteRefused::Rule(
            "resolving a case needs its resolution: what was done and the result".into(),
        ));
    }
    sqlx::query!(
        "UPDATE casework SET status = $2, resolution = coalesce($3, resolution),
                version = version + 1, updated_at = now()
         WHERE id = $1",
        id,
        to.name(),
        resolution
    )
    .execute(&mut *conn)
    .await?;
    let changes = resolution
        .filter(|r| current.resolution.as_deref() != Some(*r))
        .map(|r| json!({ "resolution": { "before": current.resolution, "after": r } }));
    let event = NewEvent {
        from_status: Some(from.name()),
        to_status: Some(to.name()),
        changes,
        note: Some(note),
        ..NewEvent::of(Subject::Case(id), "status")
    };
    events::insert(conn, actor, event).await?;
    Ok(get(conn, id).await?.ok_or(sqlx::Error::RowNotFound)?)
}

/// Sets the status a ledger records for an imported case, dated by the ledger: the ledger
/// already decided it, so the lifecycle's steps are not replayed. The database still refuses a
/// resolved case without a resolution.
pub async fn record_ledger_status(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    to: CaseStatus,
    at: DateTime<Utc>,
    note: &str,
) -> sqlx::Result<()> {
    let from = sqlx::query_scalar!("SELECT status FROM casework WHERE id = $1 FOR UPDATE", id)
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query!(
        "UPDATE casework SET status = $2, updated_at = greatest(updated_at, $3) WHERE id = $1",
        id,
        to.name(),
        at
    )
    .execute(&mut *conn)
    .await?;
    let event = NewEvent {
        at: Some(at),
        from_status: Some(&from),
        to_status: Some(to.name()),
        note: Some(note),
        ..NewEvent::of(Subject::Case(id), "status")
    };
    events::insert(conn, actor, event).await?;
    Ok(())
}

/// Removes what `reader` may not see from a history event's changes.
pub fn redact_changes(changes: &mut Value, reader: CaseReader) {
    if reader.sees_complainants() {
        return;
    }
    if let Value::Object(map) = changes {
        for field in COMPLAINANT_FIELDS {
            map.remove(field);
        }
        if let Some(Value::Object(snapshot)) = map.get_mut("snapshot") {
            for field in COMPLAINANT_FIELDS {
                snapshot.remove(field);
            }
        }
    }
}

/// Open repeats (petitions linked as a repeat and not resolved) per town, and the places where
/// petitions repeat: each first petition with how many repeat it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TownCount {
    pub town_code: Option<String>,
    pub town_name: Option<String>,
    pub count: i64,
}

pub async fn open_repeats_by_town(conn: &mut PgConnection) -> sqlx::Result<Vec<TownCount>> {
    sqlx::query_as!(
        TownCount,
        r#"SELECT c.town_code, a.name AS "town_name?", count(*) AS "count!"
           FROM casework c LEFT JOIN admin_area a ON a.code = c.town_code
           WHERE c.kind = 'petition' AND c.repeat_of IS NOT NULL AND c.status NOT IN ('resolved', 'closed')
           GROUP BY c.town_code, a.name ORDER BY 3 DESC, 1"#
    )
    .fetch_all(conn)
    .await
}

pub async fn overdue_by_town(conn: &mut PgConnection) -> sqlx::Result<Vec<TownCount>> {
    sqlx::query_as(&format!(
        "SELECT c.town_code, a.name AS town_name, count(*) AS count
         FROM casework c LEFT JOIN admin_area a ON a.code = c.town_code
         WHERE {}
         GROUP BY c.town_code, a.name ORDER BY 3 DESC, 1",
        overdue_sql("c")
    ))
    .fetch_all(conn)
    .await
}

/// {"petition": {"received": 3, …}, …}, every kind present.
pub async fn counts_by_kind_and_status(conn: &mut PgConnection) -> sqlx::Result<Value> {
    let rows = sqlx::query!(
        r#"SELECT kind, status, count(*) AS "count!" FROM casework GROUP BY kind, status ORDER BY 1, 2"#
    )
    .fetch_all(conn)
    .await?;
    let mut out = Map::new();
    for kind in CaseKind::ALL {
        out.insert(kind.name().into(), Value::Object(Map::new()));
    }
    for row in rows {
        if let Some(Value::Object(by_status)) = out.get_mut(&row.kind) {
            by_status.insert(row.status, row.count.into());
        }
    }
    Ok(Value::Object(out))
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TownCategoryCount {
    pub town_code: Option<String>,
    pub town_name: Option<String>,
    pub category: String,
    pub count: i64,
    /// resolved or closed
    pub resolved: i64,
}

pub async fn petitions_by_town_and_category(
    conn: &mut PgConnection,
) -> sqlx::Result<Vec<TownCategoryCount>> {
    sqlx::query_as!(
        TownCategoryCount,
        r#"SELECT c.town_code, a.name AS "town_name?", c.category, count(*) AS "count!",
                  count(*) FILTER (WHERE c.status IN ('resolved', 'closed')) AS "resolved!"
           FROM casework c LEFT JOIN admin_area a ON a.code = c.town_code
           WHERE c.kind = 'petition'
           GROUP BY c.town_code, a.name, c.category ORDER BY 1, 3"#
    )
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DangerCounts {
    pub found: i64,
    pub major: i64,
    /// resolved or closed
    pub rectified: i64,
    pub open: i64,
    pub major_open: i64,
}

pub async fn danger_counts(conn: &mut PgConnection) -> sqlx::Result<DangerCounts> {
    let row = sqlx::query!(
        r#"SELECT count(*) AS "found!",
                  count(*) FILTER (WHERE severity = 'major') AS "major!",
                  count(*) FILTER (WHERE status IN ('resolved', 'closed')) AS "rectified!",
                  count(*) FILTER (WHERE severity = 'major' AND status NOT IN ('resolved', 'closed')) AS "major_open!"
           FROM casework WHERE kind = 'hidden_danger'"#
    )
    .fetch_one(conn)
    .await?;
    Ok(DangerCounts {
        found: row.found,
        major: row.major,
        rectified: row.rectified,
        open: row.found - row.rectified,
        major_open: row.major_open,
    })
}

/// Each petition that later ones repeat, at its place, with how many repeat it and how many of
/// those are open: a GeoJSON FeatureCollection.
pub async fn hotspots(conn: &mut PgConnection) -> sqlx::Result<Value> {
    sqlx::query_scalar!(
        r#"SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
                    json_build_object('type', 'Feature', 'id', f.id,
                        'geometry', ST_AsGeoJSON(f.geom, 7)::json,
                        'properties', json_build_object('code', f.code, 'title', f.title,
                            'category', f.category, 'town_code', f.town_code,
                            'repeat_count', r.repeats, 'open_repeats', r.open))
                    ORDER BY r.repeats DESC, f.id), '[]'::json))::jsonb AS "collection!: Json<Value>"
           FROM casework f
           JOIN (SELECT repeat_of, count(*) AS repeats,
                        count(*) FILTER (WHERE status NOT IN ('resolved', 'closed')) AS open
                 FROM casework WHERE repeat_of IS NOT NULL GROUP BY repeat_of) r ON r.repeat_of = f.id
           WHERE f.geom IS NOT NULL"#
    )
    .fetch_one(conn)
    .await
    .map(|collection| collection.0)
}
