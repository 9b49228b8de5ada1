//! SQL of seeding: programmes and projects inserted once by code, with their site links and
//! their history events dated as the sample data says.

use crate::db::events::{self, Actor, NewEvent};
use crate::domain::ProjectStatus;
use chrono::{NaiveDate, NaiveTime};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::PgConnection;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeSeed {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub year: Option<i32>,
    pub category: String,
    pub target_count: Option<i32>,
    pub target_start_rate: Option<f64>,
    pub target_completion_rate: Option<f64>,
    pub deadline: Option<NaiveDate>,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistorySeed {
    pub at: NaiveDate,
    pub status: ProjectStatus,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSeed {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub category: String,
    pub programme: Option<String>,
    pub status: ProjectStatus,
    pub stage: Option<String>,
    pub status_reason: Option<String>,
    pub progress: i16,
    pub responsible_unit: Option<String>,
    pub town_code: Option<String>,
    pub funding_source: Option<String>,
    pub funding_amount: Option<f64>,
    pub planned_start: Option<NaiveDate>,
    pub planned_end: Option<NaiveDate>,
    pub actual_start: Option<NaiveDate>,
    pub actual_end: Option<NaiveDate>,
    pub description: Option<String>,
    #[serde(default)]
    pub placeholder: bool,
    #[serde(default = "empty_object")]
    pub attrs: Value,
    #[serde(default)]
    pub sites: Vec<String>,
    pub history: Vec<HistorySeed>,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

/// A sample project whose history does not walk the lifecycle to its status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    #[error("history is empty")]
    Empty,
    #[error("transition {from} → {to} on {at} is not allowed")]
    NotAllowed {
        from: ProjectStatus,
        to: ProjectStatus,
        at: NaiveDate,
    },
    #[error("history dates go backwards at {0}")]
    Backwards(NaiveDate),
    #[error("history ends at {last} but the project status is {status}")]
    EndsElsewhere {
        last: ProjectStatus,
        status: ProjectStatus,
    },
}

impl ProjectSeed {
    /// The history must start the project and walk the lifecycle to its current status.
    pub fn check_history(&self) -> Result<(), HistoryError> {
        let first = self.history.first().ok_or(HistoryError::Empty)?;
        let mut status = first.status;
        let mut at = first.at;
        for step in &self.history[1..] {
            if !status.can_move_to(step.status) {
                return Err(HistoryError::NotAllowed {
                    from: status,
                    to: step.status,
                    at: step.at,
                });
            }
            if step.at < at {
                return Err(HistoryError::Backwards(step.at));
            }
            status = step.status;
            at = step.at;
        }
        if status != self.status {
            return Err(HistoryError::EndsElsewhere {
                last: status,
                status: self.status,
            });
        }
        Ok(())
    }
}

/// Fails with the unknown codes listed, so a typo in projects.json names itself.
pub fn missing_codes(wanted: &[String], found: &[String]) -> anyhow::Result<()> {
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|c| !found.contains(c))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    anyhow::bail!("unknown site code(s): {}", missing.join(", "))
}

/// Whether a sample file of the seed has been loaded (its batch keeps the file's name).
pub async fn sample_file_loaded(conn: &mut PgConnection, file_name: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM sample_batch WHERE file_name = $1 AND actor_name = 'seed') AS "loaded!""#,
        file_name
    )
    .fetch_one(conn)
    .await
}

pub async fn cases_of_kind_exist(conn: &mut PgConnection, kind: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM casework WHERE kind = $1) AS "exist!""#,
        kind
    )
    .fetch_one(conn)
    .await
}

pub fn seed_actor() -> Actor {
    Actor {
        id: None,
        name: "seed".into(),
    }
}

/// Returns whether a new row was written.
pub async fn insert_programme(conn: &mut PgConnection, p: &ProgrammeSeed) -> sqlx::Result<bool> {
    let inserted = sqlx::query!(
        "INSERT INTO programme (code, name, name_en, year, category, target_count, target_start_rate,
                                target_completion_rate, deadline, description)
         VALUES ($1, $2, $3, $4, $5, $6, $7::float8::numeric, $8::float8::numeric, $9, $10)
         ON CONFLICT (code) DO NOTHING",
        p.code,
        p.name,
        p.name_en,
        p.year,
        p.category,
        p.target_count,
        p.target_start_rate,
        p.target_completion_rate,
        p.deadline,
        p.description
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

fn noon(date: NaiveDate) -> chrono::DateTime<chrono::Utc> {
    // Dates in the sample data are days; noon China time keeps them on the same calendar day.
    date.and_time(NaiveTime::from_hms_opt(4, 0, 0).unwrap_or_default())
        .and_utc()
}

/// Inserts a project that is not yet stored, links its sites and writes its history:
/// a `created` event holding the initial state, one `status` event per transition, and the
/// stage and progress reached as changes of the last transition.
pub async fn insert_project(conn: &mut PgConnection, p: &ProjectSeed) -> anyhow::Result<bool> {
    let Some(first) = p.history.first() else {
        anyhow::bail!("history is empty");
    };
    let single_step = p.history.len() == 1;
    let initial_stage = if single_step { p.stage.clone() } else { None };
    let initial_progress = if single_step { p.progress } else { 0 };
    let created_at = noon(first.at);
    let last_at = p.history.last().map_or(created_at, |h| noon(h.at));

    let id = sqlx::query_scalar!(
        "INSERT INTO project (code, name, name_en, category, programme_id, status, stage, status_reason, progress,
                              responsible_unit, town_code, funding_source, funding_amount, planned_start,
                              planned_end, actual_start, actual_end, description, placeholder, attrs,
                              created_at, updated_at)
         VALUES ($1, $2, $3, $4, (SELECT id FROM programme WHERE code = $5), $6, $7, $8, $9, $10, $11, $12,
                 $13::float8::numeric, $14, $15, $16, $17, $18, $19, $20, $21, $22)
         ON CONFLICT (code) DO NOTHING
         RETURNING id",
        p.code,
        p.name,
        p.name_en,
        p.category,
        p.programme.as_deref(),
        p.status.as_str(),
        p.stage,
        p.status_reason,
        p.progress,
        p.responsible_unit,
        p.town_code,
        p.funding_source,
        p.funding_amount,
        p.planned_start,
        p.planned_end,
        p.actual_start,
        p.actual_end,
        p.description,
        p.placeholder,
        p.attrs,
        created_at,
        last_at
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else { return Ok(false) };
    if let Some(programme) = &p.programme {
        let known = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM programme WHERE code = $1) AS "known!""#,
            programme
        )
        .fetch_one(&mut *conn)
        .await?;
        if !known {
            anyhow::bail!("unknown programme {programme}");
        }
    }

    let snapshot = json!({
        "code": p.code, "name": p.name, "name_en": p.name_en, "category": p.category,
        "programme": p.programme, "status": first.status,
        "status_reason": if single_step { p.status_reason.clone() } else { None },
        "stage": initial_stage, "progress": initial_progress,
        "responsible_unit": p.responsible_unit, "town_code": p.town_code,
        "funding_source": p.funding_source, "funding_amount": p.funding_amount,
        "planned_start": p.planned_start, "planned_end": p.planned_end,
        "description": p.description, "attrs": p.attrs,
    });
    let actor = seed_actor();
    let created = NewEvent {
        at: Some(created_at),
        to_status: Some(first.status.as_str()),
        changes: Some(json!({ "snapshot": snapshot })),
        note: first.note.as_deref(),
        ..NewEvent::new(id, "created")
    };
    events::insert(conn, &actor, created).await?;

    let linked: Vec<(i64, String, String)> = sqlx::query!(
        r#"INSERT INTO project_site (project_id, site_id, created_at)
         SELECT $1, s.id, $3 FROM site s WHERE s.code = ANY($2)
         RETURNING site_id, (SELECT code FROM site WHERE id = site_id) AS "code!",
                   (SELECT name FROM site WHERE id = site_id) AS "name!""#,
        id,
        p.sites.as_slice(),
        created_at
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.site_id, r.code, r.name))
    .collect();
    let found: Vec<String> = linked.iter().map(|(_, code, _)| code.clone()).collect();
    missing_codes(&p.sites, &found)?;
    for (site_id, code, name) in &linked {
        let link = NewEvent {
            at: Some(created_at),
            site_id: Some(*site_id),
            changes: Some(json!({ "site_code": code, "site_name": name })),
            ..NewEvent::new(id, "link")
        };
        events::insert(conn, &actor, link).await?;
    }

    let mut previous = first.status;
    for (i, step) in p.history.iter().enumerate().skip(1) {
        let changes = if i + 1 == p.history.len() {
            let mut last = json!({
                "stage": { "before": Value::Null, "after": p.stage },
                "progress": { "before": 0, "after": p.progress },
            });
            if p.status_reason.is_some() {
                last["status_reason"] = json!({ "before": Value::Null, "after": p.status_reason });
            }
            Some(last)
        } else {
            None
        };
        let transition = NewEvent {
            at: Some(noon(step.at)),
            from_status: Some(previous.as_str()),
            to_status: Some(step.status.as_str()),
            changes,
            note: step.note.as_deref(),
            ..NewEvent::new(id, "status")
        };
        events::insert(conn, &actor, transition).await?;
        previous = step.status;
    }
    Ok(true)
}
