//! SQL of the statistics: project counts by category, status, programme and town, and each
//! programme's start and completion rates against its targets.

use serde::Serialize;
use sqlx::PgConnection;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub total_projects: i64,
    pub by_status: Vec<Count>,
    pub by_category: Vec<Count>,
    pub by_town: Vec<Count>,
    pub sites_by_kind: Vec<Count>,
    /// black-odor water bodies by the stage of their most recently updated
    /// project; `no_project` when none is linked, `unstaged` when it names no stage
    pub black_odor_by_stage: Vec<Count>,
    pub key_zones: ZoneStats,
    pub programmes: Vec<ProgrammeStats>,
    /// the time of the latest sample of any site, for the water-quality charts
    pub latest_sampled_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The 3 km key zones and how many are cleared (归零): no site inside has open work (in progress
/// or suspended) of the zone's campaign, as `/api/zones/{id}/clearance` decides for one zone.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ZoneStats {
    pub total: i64,
    pub cleared: i64,
}

#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Count {
    /// the status, category, town code or kind counted
    pub key: String,
    /// a readable name where there is one (towns)
    pub name: Option<String>,
    pub count: i64,
}

#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ProgrammeStats {
    pub code: String,
    pub name: String,
    pub category: String,
    pub year: Option<i32>,
    /// projects in the programme
    pub total: i64,
    /// the count the programme expects, when it sets one
    pub target_count: Option<i32>,
    /// in progress, completed or accepted (开工)
    pub started: i64,
    /// completed or accepted
    pub completed: i64,
    pub suspended: i64,
    /// started / total
    pub start_rate: Option<f64>,
    /// completed / total
    pub completion_rate: Option<f64>,
    pub target_start_rate: Option<f64>,
    pub target_completion_rate: Option<f64>,
    /// whether start_rate reaches its target (null when there is no target)
    pub start_target_met: Option<bool>,
    pub completion_target_met: Option<bool>,
}

pub async fn stats(conn: &mut PgConnection) -> sqlx::Result<Stats> {
    let total_projects: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM project"#)
        .fetch_one(&mut *conn)
        .await?;
    let by_status = sqlx::query_as!(
        Count,
        r#"SELECT s.status AS "key!", NULL::text AS name, count(p.id) AS "count!"
         FROM UNNEST(ARRAY['planned','preparing','in_progress','completed','accepted','suspended','cancelled']) WITH ORDINALITY AS s(status, n)
         LEFT JOIN project p ON p.status = s.status GROUP BY s.status, s.n ORDER BY s.n"#
    )
    .fetch_all(&mut *conn)
    .await?;
    let by_category = sqlx::query_as!(
        Count,
        r#"SELECT c.category AS "key!", NULL::text AS name, count(p.id) AS "count!"
         FROM UNNEST(ARRAY['air','water','soil','ecology','safety']) WITH ORDINALITY AS c(category, n)
         LEFT JOIN project p ON p.category = c.category GROUP BY c.category, c.n ORDER BY c.n"#
    )
    .fetch_all(&mut *conn)
    .await?;
    let by_town = sqlx::query_as!(
        Count,
        r#"SELECT a.code AS key, a.name AS "name?", count(p.id) AS "count!" FROM admin_area a
         LEFT JOIN project p ON p.town_code = a.code WHERE a.level = 'town' GROUP BY a.code, a.name ORDER BY a.code"#
    )
    .fetch_all(&mut *conn)
    .await?;
    let sites_by_kind = sqlx::query_as!(
        Count,
        r#"SELECT kind AS key, NULL::text AS name, count(*) AS "count!" FROM site GROUP BY kind ORDER BY kind"#
    )
    .fetch_all(&mut *conn)
    .await?;
    let black_odor_by_stage = sqlx::query_as!(
        Count,
        r#"SELECT coalesce(latest.stage, CASE WHEN latest.id IS NULL THEN 'no_project' ELSE 'unstaged' END) AS "key!",
                NULL::text AS name, count(*) AS "count!"
         FROM site s
         LEFT JOIN LATERAL (
             SELECT p.id, p.stage FROM project_site ps JOIN project p ON p.id = ps.project_id
             WHERE ps.site_id = s.id ORDER BY p.updated_at DESC, p.id DESC LIMIT 1
         ) latest ON true
         WHERE s.kind = 'black_odor_water' GROUP BY 1 ORDER BY count(*) DESC, 1"#
    )
    .fetch_all(&mut *conn)
    .await?;
    let key_zones = sqlx::query_as!(
        ZoneStats,
        r#"SELECT count(*) AS "total!",
                count(*) FILTER (WHERE NOT EXISTS (
                    SELECT 1 FROM key_zone_problem k
                    WHERE k.zone_id = z.id AND k.campaign_state IN ('in_progress', 'suspended')
                )) AS "cleared!"
         FROM site z WHERE z.kind = 'key_zone'"#
    )
    .fetch_one(&mut *conn)
    .await?;
    let programmes = sqlx::query_as!(
        ProgrammeStats,
        r#"WITH counts AS (
             SELECT g.id, count(p.id) AS total,
                    count(p.id) FILTER (WHERE p.status IN ('in_progress', 'completed', 'accepted')) AS started,
                    count(p.id) FILTER (WHERE p.status IN ('completed', 'accepted')) AS completed,
                    count(p.id) FILTER (WHERE p.status = 'suspended') AS suspended
             FROM programme g LEFT JOIN project p ON p.programme_id = g.id GROUP BY g.id
         )
         SELECT g.code, g.name, g.category, g.year, c.total AS "total!", g.target_count,
                c.started AS "started!", c.completed AS "completed!", c.suspended AS "suspended!",
                c.started::float8 / nullif(c.total, 0) AS start_rate,
                c.completed::float8 / nullif(c.total, 0) AS completion_rate,
                g.target_start_rate::float8 AS target_start_rate,
                g.target_completion_rate::float8 AS target_completion_rate,
                CASE WHEN g.target_start_rate IS NULL OR c.total = 0 THEN NULL
                     ELSE c.started::numeric / c.total >= g.target_start_rate END AS start_target_met,
                CASE WHEN g.target_completion_rate IS NULL OR c.total = 0 THEN NULL
                     ELSE c.completed::numeric / c.total >= g.target_completion_rate END AS completion_target_met
         FROM programme g JOIN counts c ON c.id = g.id ORDER BY g.code"#
    )
    .fetch_all(&mut *conn)
    .await?;
    // the sites carry their latest sampling time: no scan of the samples
    let latest_sampled_at = sqlx::query_scalar!("SELECT max(latest_sampled_at) FROM site")
        .fetch_one(&mut *conn)
        .await?;
    Ok(Stats {
        latest_sampled_at,
        total_projects,
        by_status,
        by_category,
        by_town,
        sites_by_kind,
        black_odor_by_stage,
        key_zones,
        programmes,
    })
}
