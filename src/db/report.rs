//! SQL of the report: current rows and the full histories the point-in-time replay reads, the
//! site inventory counts, and the editable report templates.

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::TryStreamExt;
use serde_json::{Map, Value};
use sqlx::PgConnection;
use sqlx::types::Json;
use std::collections::{BTreeSet, HashMap};

/// One project event, as the replay needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProjectEventRow {
    pub project_id: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub site_id: Option<i64>,
    pub changes: Option<Json<Value>>,
    pub note: Option<String>,
}

/// A project as it is stored now: the fallback for fields its history never recorded.
#[derive(Debug, Clone)]
pub struct CurrentProject {
    pub code: String,
    pub created_at: DateTime<Utc>,
    /// the editable fields, `status` and `status_reason`, in history's JSON form
    pub fields: Map<String, Value>,
    pub site_ids: BTreeSet<i64>,
}

/// A site's recorded fields (kind, code, name, town_code, the kind attributes flattened …) as
/// its history records them.
pub type SiteFields = Map<String, Value>;

/// Every project as stored now, with its current links.
pub async fn current_projects(
    conn: &mut PgConnection,
) -> sqlx::Result<HashMap<i64, CurrentProject>> {
    let rows = sqlx::query!(
        r#"SELECT p.id AS "id!", p.code AS "code!", p.created_at AS "created_at!",
                jsonb_build_object('name', p.name, 'name_en', p.name_en, 'category', p.category,
                    'programme', g.code, 'stage', p.stage, 'progress', p.progress,
                    'responsible_unit', p.responsible_unit, 'town_code', p.town_code,
                    'planned_start', p.planned_start, 'planned_end', p.planned_end,
                    'actual_start', p.actual_start, 'actual_end', p.actual_end, 'attrs', p.attrs,
                    'status', p.status, 'status_reason', p.status_reason)
                    AS "fields!: Json<Map<String, Value>>"
         FROM project p LEFT JOIN programme g ON g.id = p.programme_id"#
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut projects: HashMap<i64, CurrentProject> = rows
        .into_iter()
        .map(|row| {
            let project = CurrentProject {
                code: row.code,
                created_at: row.created_at,
                fields: row.fields.0,
                site_ids: BTreeSet::new(),
            };
            (row.id, project)
        })
        .collect();
    let mut links = sqlx::query!("SELECT project_id, site_id FROM project_site").fetch(&mut *conn);
    while let Some(link) = links.try_next().await? {
        if let Some(p) = projects.get_mut(&link.project_id) {
            p.site_ids.insert(link.site_id);
        }
    }
    Ok(projects)
}

/// Calls `each` with the events of every project whose id is in `ids`, in time order, one
/// project at a time.
pub async fn for_each_project_history(
    conn: &mut PgConnection,
    ids: std::ops::RangeInclusive<i64>,
    mut each: impl FnMut(i64, &mut [ProjectEventRow]),
) -> sqlx::Result<()> {
    let mut rows = sqlx::query_as!(
        ProjectEventRow,
        r#"SELECT project_id, at, kind, from_status, to_status, site_id,
                changes AS "changes: Json<Value>", note
         FROM project_event WHERE project_id BETWEEN $1 AND $2 ORDER BY project_id, at, id"#,
        ids.start(),
        ids.end()
    )
    .fetch(conn);
    let mut batch: Vec<ProjectEventRow> = Vec::new();
    while let Some(row) = rows.try_next().await? {
        if batch
            .first()
            .is_some_and(|first| first.project_id != row.project_id)
        {
            each(batch[0].project_id, &mut batch);
            batch.clear();
        }
        batch.push(row);
    }
    if let Some(first) = batch.first() {
        each(first.project_id, &mut batch);
    }
    Ok(())
}

/// Every site linked now or named by a link event: a superset of the sites linked at any date.
pub async fn linked_sites(conn: &mut PgConnection) -> sqlx::Result<HashMap<i64, SiteFields>> {
    let ids = sqlx::query_scalar!(
        r#"SELECT site_id AS "site_id!" FROM project_site
           UNION SELECT site_id FROM project_event WHERE site_id IS NOT NULL"#
    )
    .fetch_all(&mut *conn)
    .await?;
    current_sites(conn, &ids).await
}

/// The fields of the given sites the report reads, in history's form: kind, name and the kind
/// attributes.
pub async fn current_sites(
    conn: &mut PgConnection,
    ids: &[i64],
) -> sqlx::Result<HashMap<i64, SiteFields>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = sqlx::query!(
        r#"SELECT s.id, s.attrs || jsonb_build_object('kind', s.kind, 'name', s.name) AS "fields!: Json<SiteFields>"
           FROM unnest($1::bigint[]) AS wanted(id) JOIN site s ON s.id = wanted.id"#,
        ids
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|row| (row.id, row.fields.0)).collect())
}

/// Site events after the cut-off, newest first per site.
pub async fn site_events_after(
    conn: &mut PgConnection,
    cut_off: DateTime<Utc>,
) -> sqlx::Result<Vec<(i64, String, Json<Value>)>> {
    let rows = sqlx::query!(
        r#"SELECT site_id, kind, changes AS "changes!: Json<Value>" FROM site_event
           WHERE at > $1 ORDER BY site_id, at DESC, id DESC"#,
        cut_off
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.site_id, row.kind, row.changes))
        .collect())
}

/// One count of the inventory: sites of a kind (attr and value None) or of a kind whose attribute
/// holds a value (each element of an array attribute counts).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InventoryCount {
    pub kind: String,
    pub attr: Option<String>,
    pub value: Option<String>,
    pub count: i64,
}

pub async fn inventory(
    conn: &mut PgConnection,
    kinds: &[String],
    attrs: &[String],
) -> sqlx::Result<Vec<InventoryCount>> {
    sqlx::query_as!(
        InventoryCount,
        r#"WITH wanted AS (SELECT DISTINCT kind, attr FROM unnest($1::text[], $2::text[]) AS w(kind, attr))
         SELECT s.kind AS "kind!", NULL::text AS attr, NULL::text AS value, count(*) AS "count!"
         FROM site s WHERE s.kind IN (SELECT kind FROM wanted) GROUP BY s.kind
         UNION ALL
         SELECT w.kind, w.attr, v.value, count(*)
         FROM wanted w JOIN site s ON s.kind = w.kind
         CROSS JOIN LATERAL jsonb_array_elements_text(
             CASE WHEN jsonb_typeof(s.attrs -> w.attr) = 'array' THEN s.attrs -> w.attr
                  ELSE jsonb_build_array(s.attrs -> w.attr) END) AS v(value)
         WHERE w.attr <> '' AND v.value IS NOT NULL
         GROUP BY w.kind, w.attr, v.value"#,
        kinds,
        attrs
    )
    .fetch_all(conn)
    .await
}

/// A key zone and the non-zone sites that intersect its polygon (by their current geometry).
/// Every key zone with its attributes (its campaign) and the sites inside it.
pub async fn zone_members(conn: &mut PgConnection) -> sqlx::Result<Vec<ZoneMembers>> {
    sqlx::query_as!(
        ZoneMembers,
        r#"SELECT z.id, z.name, z.attrs AS "attrs: Json<Value>",
                coalesce(array_agg(s.id ORDER BY s.id) FILTER (WHERE s.id IS NOT NULL), '{}') AS "members!"
         FROM site z
         LEFT JOIN site s ON s.kind <> 'key_zone' AND ST_Intersects(s.geom, z.zone_geom)
         WHERE z.kind = 'key_zone'
         GROUP BY z.id, z.name, z.attrs ORDER BY z.name, z.id"#
    )
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ZoneMembers {
    pub id: i64,
    pub name: String,
    pub attrs: Json<Value>,
    pub members: Vec<i64>,
}

pub async fn town_names(conn: &mut PgConnection) -> sqlx::Result<HashMap<String, String>> {
    let rows = sqlx::query!("SELECT code, name FROM admin_area")
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| (r.code, r.name)).collect())
}

/// A report section as stored.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SectionTemplate {
    pub code: String,
    pub position: i32,
    pub title_zh: String,
    pub title_en: String,
    /// minijinja template of the section's opening sentences
    pub template_zh: String,
    pub template_en: String,
    /// site breakdowns the intro uses: [{"kind": "contaminated_plot", "attr": "priority_list"}]
    #[schema(value_type = Vec<Object>)]
    pub inventory: Json<Vec<InventoryWanted>>,
    /// whether projects without a programme are listed here
    pub lists_unprogrammed: bool,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryWanted {
    pub kind: String,
    /// absent: only the count of the kind
    #[serde(default)]
    pub attr: Option<String>,
}

/// One figure of a programme's table: a path into the programme's figures and its labels.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FigureSpec {
    /// e.g. "total", "started", "stage.filled.count", "sites.black_odor_water.category.tributary"
    pub key: String,
    pub zh: String,
    pub en: String,
}

/// A programme's part of the report, with the programme itself.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ProgrammeTemplate {
    pub programme: String,
    pub programme_name: String,
    pub programme_name_en: Option<String>,
    pub year: Option<i32>,
    pub target_count: Option<i32>,
    pub target_start_rate: Option<f64>,
    pub target_completion_rate: Option<f64>,
    pub deadline: Option<NaiveDate>,
    pub section: String,
    pub position: i32,
    #[schema(value_type = Vec<FigureSpec>)]
    pub figures: Json<Vec<FigureSpec>>,
    /// labels of the programme's stages: {"filled": {"zh": "已填埋", "en": "filled in"}}
    #[schema(value_type = Object)]
    pub stage_labels: Json<Map<String, Value>>,
    pub template_zh: String,
    pub template_en: String,
    /// the programme has no template of its own and gets the default one
    pub default_template: bool,
}

pub async fn sections(conn: &mut PgConnection) -> sqlx::Result<Vec<SectionTemplate>> {
    sqlx::query_as!(
        SectionTemplate,
        r#"SELECT code, position, title_zh, title_en, template_zh, template_en,
                inventory AS "inventory: Json<Vec<InventoryWanted>>", lists_unprogrammed
         FROM report_section ORDER BY position, code"#
    )
    .fetch_all(conn)
    .await
}

/// The part of a programme that has no template of its own: the usual counts and one sentence.
const DEFAULT_FIGURES: &str = r#"[{"key": "total", "zh": "项目（个）", "en": "Projects"},
    {"key": "started", "zh": "已开工（个）", "en": "Started"},
    {"key": "done", "zh": "已完成（个）", "en": "Done"},
    {"key": "start_rate", "zh": "开工率（%）", "en": "Start rate (%)"},
    {"key": "completion_rate", "zh": "完成率（%）", "en": "Completion rate (%)"}]"#;
const DEFAULT_TEMPLATE_ZH: &str = "{{ programme.name }}共{{ total }}项,已开工{{ started }}项,已完成{{ done }}项\
    {% if start_rate is not none %},开工率{{ start_rate }}%{% endif %}。";
const DEFAULT_TEMPLATE_EN: &str = "{{ programme.name }}: {{ total }} projects, {{ started }} started, \
    {{ done }} done{% if start_rate is not none %} (start rate {{ start_rate }}%){% endif %}.";

/// Every programme's part, in report order. A programme without a template of its own gets the
/// default one, in the section named like its category (else the first section), after the
/// templated ones; with no section at all there is nowhere to report it.
pub async fn programme_templates(conn: &mut PgConnection) -> sqlx::Result<Vec<ProgrammeTemplate>> {
    sqlx::query_as!(
        ProgrammeTemplate,
        r#"SELECT programme AS "programme!", programme_name AS "programme_name!", programme_name_en AS "programme_name_en?",
                year AS "year?", target_count AS "target_count?", target_start_rate AS "target_start_rate?",
                target_completion_rate AS "target_completion_rate?", deadline AS "deadline?",
                section AS "section!", position AS "position!", figures AS "figures!: Json<Vec<FigureSpec>>",
                stage_labels AS "stage_labels!: Json<Map<String, Value>>", template_zh AS "template_zh!",
                template_en AS "template_en!", default_template AS "default_template!"
         FROM (
             SELECT g.code AS programme, g.name AS programme_name, g.name_en AS programme_name_en,
                    g.year, g.target_count, g.target_start_rate::float8 AS target_start_rate,
                    g.target_completion_rate::float8 AS target_completion_rate, g.deadline,
                    coalesce(r.section, (SELECT code FROM report_section WHERE code = g.category),
                             (SELECT code FROM report_section ORDER BY position, code LIMIT 1)) AS section,
                    coalesce(r.position, 1000) AS position,
                    coalesce(r.figures, $1::jsonb) AS figures,
                    coalesce(r.stage_labels, '{}') AS stage_labels,
                    coalesce(r.template_zh, $2) AS template_zh,
                    coalesce(r.template_en, $3) AS template_en,
                    r.programme_id IS NULL AS default_template
             FROM programme g LEFT JOIN programme_report r ON r.programme_id = g.id
         ) parts
         WHERE section IS NOT NULL
         ORDER BY section, position, programme"#,
        DEFAULT_FIGURES as _,
        DEFAULT_TEMPLATE_ZH,
        DEFAULT_TEMPLATE_EN
    )
    .fetch_all(conn)
    .await
}

pub async fn section_exists(conn: &mut PgConnection, code: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM report_section WHERE code = $1) AS "exists!""#,
        code
    )
    .fetch_one(conn)
    .await
}

/// Stores a section; returns false when there is no such section.
pub async fn update_section(conn: &mut PgConnection, s: &SectionTemplate) -> sqlx::Result<bool> {
    let updated = sqlx::query!(
        "UPDATE report_section SET position = $2, title_zh = $3, title_en = $4, template_zh = $5,
                template_en = $6, inventory = $7, lists_unprogrammed = $8, updated_at = now()
         WHERE code = $1",
        s.code,
        s.position,
        s.title_zh,
        s.title_en,
        s.template_zh,
        s.template_en,
        s.inventory as _,
        s.lists_unprogrammed
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// The editable part of a programme's report template.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeReportEdit {
    pub section: String,
    pub position: i32,
    pub figures: Vec<FigureSpec>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub stage_labels: Map<String, Value>,
    pub template_zh: String,
    pub template_en: String,
}

/// Creates or replaces a programme's report template; returns false when there is no such
/// programme. An unknown section is a foreign-key violation the caller reports.
pub async fn upsert_programme_template(
    conn: &mut PgConnection,
    programme: &str,
    t: &ProgrammeReportEdit,
) -> sqlx::Result<bool> {
    let written = sqlx::query!(
        "INSERT INTO programme_report (programme_id, section, position, figures, stage_labels, template_zh, template_en)
         SELECT id, $2, $3, $4, $5, $6, $7 FROM programme WHERE code = $1
         ON CONFLICT (programme_id) DO UPDATE SET section = EXCLUDED.section, position = EXCLUDED.position,
             figures = EXCLUDED.figures, stage_labels = EXCLUDED.stage_labels,
             template_zh = EXCLUDED.template_zh, template_en = EXCLUDED.template_en, updated_at = now()",
        programme,
        t.section,
        t.position,
        Json(&t.figures) as _,
        Json(&t.stage_labels) as _,
        t.template_zh,
        t.template_en
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(written == 1)
}

/// Seeding: a section that is not stored yet (an edited one is left as it is).
pub async fn insert_section_if_missing(
    conn: &mut PgConnection,
    s: &SectionTemplate,
) -> sqlx::Result<bool> {
    let inserted = sqlx::query!(
        "INSERT INTO report_section (code, position, title_zh, title_en, template_zh, template_en, inventory, lists_unprogrammed)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (code) DO NOTHING",
        s.code,
        s.position,
        s.title_zh,
        s.title_en,
        s.template_zh,
        s.template_en,
        s.inventory as _,
        s.lists_unprogrammed
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Seeding: a programme template that is not stored yet; false when there is no such programme.
pub async fn insert_programme_template_if_missing(
    conn: &mut PgConnection,
    programme: &str,
    t: &ProgrammeReportEdit,
) -> sqlx::Result<bool> {
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM programme_report r JOIN programme g ON g.id = r.programme_id WHERE g.code = $1) AS "exists!""#,
        programme
    )
    .fetch_one(&mut *conn)
    .await?;
    if exists {
        return Ok(true);
    }
    upsert_programme_template(conn, programme, t).await
}
