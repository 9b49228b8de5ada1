//! SQL of the measurements: the sites a sheet names, stored duplicates, the batch and its samples,
//! the readings the latest grading is computed from, the stored grading, period means and series.

use crate::db::events::Actor;
use crate::domain::monitoring::{Measured, Parameter};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use sqlx::types::Json;
use std::sync::Arc;

/// A site a sheet names, with what its grading needs.
#[derive(Debug, Clone)]
pub struct SampledSite {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub attrs: Json<Value>,
    /// done when every linked project is completed or accepted
    pub remediation_state: String,
}

/// The sites of these codes, locked against deletion until the transaction ends: samples have no
/// foreign key (migration 0016), so the import keeps its sites this way.
pub async fn sites_by_code(
    conn: &mut PgConnection,
    codes: &[String],
) -> sqlx::Result<Vec<SampledSite>> {
    sqlx::query_as!(
        SampledSite,
        r#"SELECT id, code, name, kind, attrs AS "attrs: Json<Value>", remediation_state
           FROM site WHERE code = ANY($1) FOR KEY SHARE"#,
        codes
    )
    .fetch_all(conn)
    .await
}

pub async fn sites_by_id(conn: &mut PgConnection, ids: &[i64]) -> sqlx::Result<Vec<SampledSite>> {
    sqlx::query_as!(
        SampledSite,
        r#"SELECT id, code, name, kind, attrs AS "attrs: Json<Value>", remediation_state
           FROM site WHERE id = ANY($1) ORDER BY id"#,
        ids
    )
    .fetch_all(conn)
    .await
}

/// One value about to be stored, or one stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleValue {
    pub site_id: i64,
    pub sampled_at: DateTime<Utc>,
    pub parameter: String,
    pub value: Option<f64>,
    pub below_detection: bool,
}

impl SampleValue {
    /// The value as the grading reads it; none for a stored parameter the code does not know.
    pub fn reading(&self) -> Option<(Parameter, Measured)> {
        let parameter = self.parameter.parse().ok()?;
        let measured = if self.below_detection {
            Measured::BelowDetection(self.value)
        } else {
            Measured::Value(self.value?)
        };
        Some((parameter, measured))
    }
}

/// Values about to be staged, as the columns UNNEST takes, with the cell each came from.
#[derive(Debug, Default)]
pub struct NewSamples {
    pub rows: Vec<i32>,
    pub columns: Vec<i32>,
    pub site_ids: Vec<i64>,
    pub times: Vec<DateTime<Utc>>,
    pub parameters: Vec<&'static str>,
    pub values: Vec<Option<f64>>,
    pub below_detection: Vec<bool>,
    pub labs: Vec<Option<Arc<str>>>,
}

impl NewSamples {
    pub fn push(
        &mut self,
        (row, column): (usize, usize),
        site_id: i64,
        sampled_at: DateTime<Utc>,
        parameter: Parameter,
        measured: Measured,
        lab: Option<Arc<str>>,
    ) {
        self.rows.push(i32::try_from(row).unwrap_or(i32::MAX));
        self.columns.push(i32::try_from(column).unwrap_or(i32::MAX));
        self.site_ids.push(site_id);
        self.times.push(sampled_at);
        self.parameters.push(parameter.code());
        self.values.push(measured.stored());
        self.below_detection
            .push(matches!(measured, Measured::BelowDetection(_)));
        self.labs.push(lab);
    }

    pub fn len(&self) -> usize {
        self.site_ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.site_ids.is_empty()
    }
}

/// A fresh staging table for this transaction: a temporary copy of the empty
/// `public.sample_stage` (migration 0016), which hides it here.
pub async fn create_stage(conn: &mut PgConnection) -> sqlx::Result<()> {
    // an earlier import in the same transaction (the seed's) leaves its copy
    sqlx::query!("DROP TABLE IF EXISTS pg_temp.sample_stage")
        .execute(&mut *conn)
        .await?;
    sqlx::query!(
        "CREATE TEMP TABLE sample_stage (LIKE public.sample_stage INCLUDING DEFAULTS) ON COMMIT DROP"
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn stage(conn: &mut PgConnection, samples: &NewSamples) -> sqlx::Result<()> {
    let labs: Vec<Option<&str>> = samples.labs.iter().map(Option::as_deref).collect();
    sqlx::query!(
        "INSERT INTO sample_stage (row_number, column_number, site_id, sampled_at, parameter, value, below_detection, lab)
         SELECT * FROM UNNEST($1::int4[], $2::int4[], $3::int8[], $4::timestamptz[], $5::text[], $6::float8[], $7::bool[], $8::text[])",
        &samples.rows,
        &samples.columns,
        &samples.site_ids,
        &samples.times,
        &samples.parameters as &[&str],
        &samples.values as _,
        &samples.below_detection,
        &labs as &[Option<&str>]
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores the staged values as one batch, in the key's order. `None` when one of them is stored
/// already at its site, parameter and time: then nothing is stored, and the caller names those.
pub async fn store_staged(conn: &mut PgConnection, batch_id: i64) -> sqlx::Result<Option<u64>> {
    // a plain insert under a savepoint, not ON CONFLICT DO NOTHING: the speculative insertion
    // of every value cost a million-value import seconds, and a clash refuses the sheet anyway
    sqlx::query!("SAVEPOINT store_staged_samples")
        .execute(&mut *conn)
        .await?;
    let stored = sqlx::query!(
        "INSERT INTO sample (site_id, sampled_at, parameter, value, below_detection, lab, batch_id)
         SELECT site_id, sampled_at, parameter, value, below_detection, lab, $1 FROM sample_stage
         ORDER BY site_id, parameter, sampled_at",
        batch_id
    )
    .execute(&mut *conn)
    .await;
    match stored {
        Ok(done) => {
            sqlx::query!("RELEASE SAVEPOINT store_staged_samples")
                .execute(conn)
                .await?;
            Ok(Some(done.rows_affected()))
        }
        Err(e)
            if e.as_database_error()
                .is_some_and(|d| d.constraint() == Some("sample_unique")) =>
        {
            sqlx::query!("ROLLBACK TO SAVEPOINT store_staged_samples")
                .execute(conn)
                .await?;
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// A staged value that clashes with a stored sample.
#[derive(Debug, Clone)]
pub struct StagedDuplicate {
    pub row_number: i32,
    pub column_number: i32,
    pub site_code: String,
    pub stored: SampleValue,
}

/// The staged values already stored at their site, parameter and time, in sheet order: the
/// first `limit`, and how many there are.
pub async fn staged_duplicates(
    conn: &mut PgConnection,
    limit: i64,
) -> sqlx::Result<(Vec<StagedDuplicate>, i64)> {
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM sample_stage JOIN sample USING (site_id, parameter, sampled_at)"#
    )
    .fetch_one(&mut *conn)
    .await?;
    if total == 0 {
        return Ok((Vec::new(), 0));
    }
    let rows = sqlx::query!(
        r#"SELECT st.row_number, st.column_number, site.code, s.site_id, s.sampled_at, s.parameter,
                  s.value, s.below_detection
           FROM sample_stage st
           JOIN sample s USING (site_id, parameter, sampled_at)
           JOIN site ON site.id = st.site_id
           ORDER BY st.row_number, st.column_number
           LIMIT $1"#,
        limit
    )
    .fetch_all(conn)
    .await?;
    let duplicates = rows
        .into_iter()
        .map(|r| StagedDuplicate {
            row_number: r.row_number,
            column_number: r.column_number,
            site_code: r.code,
            stored: SampleValue {
                site_id: r.site_id,
                sampled_at: r.sampled_at,
                parameter: r.parameter,
                value: r.value,
                below_detection: r.below_detection,
            },
        })
        .collect();
    Ok((duplicates, total))
}

/// Records the batch; returns its id.
pub async fn insert_batch(
    conn: &mut PgConnection,
    actor: &Actor,
    file_name: Option<&str>,
    lab: Option<&str>,
) -> sqlx::Result<i64> {
    // the counts are set by finish_batch once the sheet is stored
    sqlx::query_scalar!(
        "INSERT INTO sample_batch (actor_id, actor_name, file_name, lab, row_count, sample_count)
         VALUES ($1, $2, $3, $4, 0, 0) RETURNING id",
        actor.id,
        actor.name,
        file_name,
        lab
    )
    .fetch_one(conn)
    .await
}

/// Sets a batch's counts once all of it is stored.
pub async fn finish_batch(
    conn: &mut PgConnection,
    batch_id: i64,
    row_count: i32,
    sample_count: i32,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE sample_batch SET row_count = $2, sample_count = $3 WHERE id = $1",
        batch_id,
        row_count,
        sample_count
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The readings of each site's latest sampling day (China time), up to `until`: what its latest
/// grading is computed from.
pub async fn latest_day(
    conn: &mut PgConnection,
    site_ids: &[i64],
    until: DateTime<Utc>,
) -> sqlx::Result<Vec<SampleValue>> {
    sqlx::query_as!(
        SampleValue,
        // every lookup names the parameter, so that each is a short range of the
        // (site_id, parameter, sampled_at) index rather than a scan of the site's whole history
        r#"SELECT s.site_id, s.sampled_at, s.parameter, s.value, s.below_detection
           FROM UNNEST($1::int8[]) AS w(site_id)
           CROSS JOIN LATERAL (
               SELECT date_trunc('day', max(last.at) AT TIME ZONE 'Asia/Shanghai') AS day
               FROM parameter p CROSS JOIN LATERAL (
                   SELECT max(x.sampled_at) AS at FROM sample x
                   WHERE x.site_id = w.site_id AND x.parameter = p.code AND x.sampled_at <= $2) last
           ) latest
           CROSS JOIN parameter p
           -- OFFSET 0 keeps the lookup per parameter (PostgreSQL would otherwise pull it up
           -- and scan the site's whole history for the day)
           CROSS JOIN LATERAL (
               SELECT x.site_id, x.sampled_at, x.parameter, x.value, x.below_detection FROM sample x
               WHERE x.site_id = w.site_id AND x.parameter = p.code
                 AND x.sampled_at >= latest.day AT TIME ZONE 'Asia/Shanghai'
                 AND x.sampled_at < (latest.day + interval '1 day') AT TIME ZONE 'Asia/Shanghai'
                 AND x.sampled_at <= $2
               OFFSET 0) s
           ORDER BY s.site_id, s.sampled_at, s.parameter"#,
        site_ids,
        until
    )
    .fetch_all(conn)
    .await
}

/// A site's grading as stored on the site.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredGrading {
    pub site_id: i64,
    pub latest_class: Option<String>,
    pub latest_sampled_at: Option<DateTime<Utc>>,
    pub meets_target: Option<bool>,
    pub black_odor_grade: Option<String>,
    pub soil_risk: Option<String>,
}

pub async fn gradings(
    conn: &mut PgConnection,
    site_ids: &[i64],
) -> sqlx::Result<Vec<StoredGrading>> {
    sqlx::query_as!(
        StoredGrading,
        "SELECT id AS site_id, latest_class, latest_sampled_at, meets_target, black_odor_grade, soil_risk
         FROM site WHERE id = ANY($1) ORDER BY id",
        site_ids
    )
    .fetch_all(conn)
    .await
}

/// Stores the gradings; a site whose grading is unchanged is not touched (so its tiles stay).
pub async fn set_gradings(conn: &mut PgConnection, gradings: &[StoredGrading]) -> sqlx::Result<()> {
    let ids: Vec<i64> = gradings.iter().map(|g| g.site_id).collect();
    let classes: Vec<Option<String>> = gradings.iter().map(|g| g.latest_class.clone()).collect();
    let times: Vec<Option<DateTime<Utc>>> = gradings.iter().map(|g| g.latest_sampled_at).collect();
    let meets: Vec<Option<bool>> = gradings.iter().map(|g| g.meets_target).collect();
    let grades: Vec<Option<String>> = gradings
        .iter()
        .map(|g| g.black_odor_grade.clone())
        .collect();
    let risks: Vec<Option<String>> = gradings.iter().map(|g| g.soil_risk.clone()).collect();
    sqlx::query!(
        "UPDATE site s SET latest_class = g.latest_class, latest_sampled_at = g.latest_sampled_at,
                meets_target = g.meets_target, black_odor_grade = g.black_odor_grade, soil_risk = g.soil_risk
         FROM UNNEST($1::int8[], $2::text[], $3::timestamptz[], $4::bool[], $5::text[], $6::text[])
              AS g(id, latest_class, latest_sampled_at, meets_target, black_odor_grade, soil_risk)
         WHERE s.id = g.id
           AND (s.latest_class, s.latest_sampled_at, s.meets_target, s.black_odor_grade, s.soil_risk)
               IS DISTINCT FROM (g.latest_class, g.latest_sampled_at, g.meets_target, g.black_odor_grade, g.soil_risk)",
        &ids,
        &classes as _,
        &times as _,
        &meets as _,
        &grades as _,
        &risks as _
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The mean of each parameter over a site's samples in [from, to), with the rule for values
/// below the detection limit (`sample_effective_value`).
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterMean {
    pub site_id: i64,
    pub parameter: String,
    pub mean: f64,
    pub count: i64,
}

pub async fn period_means(
    conn: &mut PgConnection,
    site_ids: &[i64],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Vec<ParameterMean>> {
    sqlx::query_as!(
        ParameterMean,
        // one index range per site and parameter, answered from the index alone
        r#"SELECT w.site_id AS "site_id!", p.code AS parameter, m.mean AS "mean!", m.count AS "count!"
           FROM UNNEST($1::int8[]) AS w(site_id)
           CROSS JOIN parameter p
           CROSS JOIN LATERAL (
               SELECT avg(sample_effective_value(x.value, x.below_detection)) AS mean, count(*) AS count
               FROM sample x
               WHERE x.site_id = w.site_id AND x.parameter = p.code AND x.sampled_at >= $2 AND x.sampled_at < $3
           ) m
           WHERE m.count > 0
           ORDER BY w.site_id, p.code"#,
        site_ids,
        from,
        to
    )
    .fetch_all(conn)
    .await
}

/// One point of a series.
#[derive(Debug, Clone)]
pub struct SeriesPoint {
    pub sampled_at: DateTime<Utc>,
    /// the stored number: the value, or the detection limit when below it
    pub value: Option<f64>,
    pub below_detection: bool,
}

pub async fn site_exists(conn: &mut PgConnection, id: i64) -> sqlx::Result<bool> {
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM site WHERE id = $1) AS "exists!""#,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(exists)
}

/// A site's values of one parameter in [from, to), oldest first, at most `limit`: read from the
/// monthly arrays of `sample_month` (migration 0018), trimmed to the range here.
pub async fn series(
    conn: &mut PgConnection,
    site_id: i64,
    parameter: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: usize,
) -> sqlx::Result<Vec<SeriesPoint>> {
    let months = sqlx::query!(
        r#"SELECT sampled_at, value AS "value: Vec<Option<f64>>", below_detection FROM sample_month
         WHERE site_id = $1 AND parameter = $2
           AND month >= sample_month_of($3) AND month <= sample_month_of($4)
         ORDER BY month"#,
        site_id,
        parameter,
        from,
        to
    )
    .fetch_all(conn)
    .await?;
    let points = months
        .into_iter()
        .flat_map(|month| {
            month
                .sampled_at
                .into_iter()
                .zip(month.value)
                .zip(month.below_detection)
        })
        .filter(|((sampled_at, _), _)| (from..to).contains(sampled_at))
        .take(limit)
        .map(|((sampled_at, value), below_detection)| SeriesPoint {
            sampled_at,
            value,
            below_detection,
        })
        .collect();
    Ok(points)
}

/// The vocabulary as the database holds it, for the test that compares it with the code's.
pub async fn vocabulary(conn: &mut PgConnection) -> sqlx::Result<Vec<(String, String, String)>> {
    let rows = sqlx::query!("SELECT code, unit, medium FROM parameter ORDER BY code")
        .fetch_all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.code, r.unit, r.medium))
        .collect())
}

/// The sites linked to a project that have samples, with their latest sampling time.
pub async fn linked_sampled_sites(
    conn: &mut PgConnection,
    project_id: i64,
) -> sqlx::Result<Vec<(SampledSite, DateTime<Utc>)>> {
    let rows = sqlx::query!(
        r#"SELECT s.id, s.code, s.name, s.kind, s.attrs AS "attrs: Json<Value>", s.remediation_state,
                  latest.at AS "latest!"
           FROM project_site ps JOIN site s ON s.id = ps.site_id
           CROSS JOIN LATERAL (SELECT max(x.sampled_at) AS at FROM sample x WHERE x.site_id = s.id) latest
           WHERE ps.project_id = $1 AND latest.at IS NOT NULL
           ORDER BY s.code"#,
        project_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let site = SampledSite {
                id: r.id,
                code: r.code,
                name: r.name,
                kind: r.kind,
                attrs: r.attrs,
                remediation_state: r.remediation_state,
            };
            (site, r.latest)
        })
        .collect())
}

/// Every value of a site in [from, to), oldest first.
pub async fn site_samples(
    conn: &mut PgConnection,
    site_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Vec<SampleValue>> {
    sqlx::query_as!(
        SampleValue,
        "SELECT site_id, sampled_at, parameter, value, below_detection FROM sample
         WHERE site_id = $1 AND sampled_at >= $2 AND sampled_at < $3
         ORDER BY sampled_at, parameter",
        site_id,
        from,
        to
    )
    .fetch_all(conn)
    .await
}

/// The sites the report's water figures read: every monitoring section and every tributary
/// river, with the river code a section lies on.
pub async fn water_sites(conn: &mut PgConnection) -> sqlx::Result<Vec<SampledSite>> {
    sqlx::query_as!(
        SampledSite,
        r#"SELECT id, code, name, kind, attrs AS "attrs: Json<Value>", remediation_state
           FROM site
           WHERE kind = 'monitoring_section' OR (kind = 'river' AND attrs ->> 'river_class' = 'tributary')
              OR kind = 'black_odor_water'
           ORDER BY code"#
    )
    .fetch_all(conn)
    .await
}

/// Every site of a kind, as the assessments read them.
pub async fn sites_of_kind(conn: &mut PgConnection, kind: &str) -> sqlx::Result<Vec<SampledSite>> {
    sqlx::query_as!(
        SampledSite,
        r#"SELECT id, code, name, kind, attrs AS "attrs: Json<Value>", remediation_state
           FROM site WHERE kind = $1 ORDER BY code"#,
        kind
    )
    .fetch_all(conn)
    .await
}
