//! SQL of sites: reads with filters and each site's derived remediation state; creation and
//! edits of attributes and geometry, guarded by the site's version.

use crate::db::listing::{push_any, push_order_and_page, push_text};
use crate::db::spatial::{SpatialFilter, push_circle_box, push_site_filter};
use crate::domain::import::StagedRow;
use crate::domain::{Audience, SiteKind};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{PgConnection, Postgres, QueryBuilder};

/// A site as the API returns it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Site {
    pub id: i64,
    pub kind: String,
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub town_code: Option<String>,
    pub town_name: Option<String>,
    pub placeholder: bool,
    /// kind-specific attributes (docs/site-kinds.md)
    #[schema(value_type = Object)]
    pub attrs: Json<Value>,
    /// key zones: buffer radius in metres
    pub radius_m: Option<f64>,
    /// none, in_progress, done or suspended, derived from the linked projects
    pub remediation_state: String,
    /// the GB 3838 class of the latest sampling day (I … V, worse_than_V)
    pub latest_class: Option<String>,
    pub latest_sampled_at: Option<DateTime<Utc>>,
    /// whether the latest class meets the `water_target` attribute
    pub meets_target: Option<bool>,
    /// black-odor bodies: none, light or severe, by the latest survey
    pub black_odor_grade: Option<String>,
    /// contaminated plots: below_screening, over_screening or over_intervention (GB 36600)
    pub soil_risk: Option<String>,
    pub project_count: i64,
    /// how many rows the list query matched, before LIMIT (a window count)
    #[serde(skip)]
    pub full_count: i64,
    /// geodesic metres from the query point, for location queries
    pub distance_m: Option<f64>,
    /// GeoJSON geometry in WGS84 (a key zone's centre), as PostGIS wrote it: a page of sites
    /// passes it through without parsing it into a tree and writing it out again
    #[schema(value_type = Object)]
    pub geometry: Json<Box<serde_json::value::RawValue>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Site {
    /// The geometry as a JSON value, for the writes that compare or record it.
    pub fn geometry_value(&self) -> Value {
        serde_json::from_str(self.geometry.0.get()).unwrap_or(Value::Null)
    }

    /// The site as `audience` may see it: staff-only attributes go for the public.
    pub fn for_audience(mut self, audience: Audience) -> Self {
        if let (Ok(kind), Value::Object(attrs)) = (self.kind.parse::<SiteKind>(), &mut self.attrs.0)
        {
            kind.redact(attrs, audience);
        }
        self
    }
}

pub use crate::domain::crs::OutputCrs;

/// Pushes the select list of a site row `s`. With `distance`, the FROM clause provides
/// `s.distance_m`.
///
/// The town's name, the project count and the GeoJSON are expressions of their own rather than
/// joins, so that PostgreSQL computes them for the rows of the page only, after the sort and
/// LIMIT, not for every row matched. project_status is null exactly when a site has no linked
/// project (the link triggers keep it), as most sites have not: their count needs no lookup.
fn push_columns(
    q: &mut QueryBuilder<'_, Postgres>,
    distance: bool,
    output: OutputCrs,
    count_rows: bool,
) {
    q.push(
        "SELECT s.id, s.kind, s.code, s.name, s.name_en, s.town_code,
                (SELECT a.name FROM admin_area a WHERE a.code = s.town_code) AS town_name, s.placeholder, s.attrs,
                s.radius_m, s.remediation_state, s.latest_class, s.latest_sampled_at, s.meets_target,
                s.black_odor_grade, s.soil_risk,
                CASE WHEN s.project_status IS NULL THEN 0
                     ELSE (SELECT count(*) FROM project_site ps WHERE ps.site_id = s.id) END AS project_count, ",
    );
    q.push(if count_rows {
        "count(*) OVER () AS full_count, "
    } else {
        "0::int8 AS full_count, "
    });
    q.push(if distance {
        "s.distance_m, "
    } else {
        "NULL::float8 AS distance_m, "
    });
    // ST_Transform to the geometry's own SRID returns it as it is
    q.push("ST_AsGeoJSON(");
    if output.flip_axes {
        q.push("ST_FlipCoordinates(");
    }
    q.push("ST_Transform(s.geom, ")
        .push_bind(output.srid)
        .push(")");
    if output.flip_axes {
        q.push(")");
    }
    q.push(", ")
        .push_bind(output.decimals)
        .push(")::json AS geometry, s.version, s.created_at, s.updated_at");
}

pub async fn get(conn: &mut PgConnection, id: i64) -> sqlx::Result<Option<Site>> {
    get_in(conn, id, OutputCrs::default()).await
}

/// One site with its geometry in the given CRS.
pub async fn get_in(
    conn: &mut PgConnection,
    id: i64,
    output: OutputCrs,
) -> sqlx::Result<Option<Site>> {
    let mut q = QueryBuilder::new("");
    push_columns(&mut q, false, output, false);
    q.push(" FROM site s WHERE s.id = ").push_bind(id);
    q.build_query_as().fetch_optional(conn).await
}

#[derive(Debug, Default, Clone)]
pub struct SiteFilter {
    /// the CRS of the returned geometries (WGS84 by default)
    pub output: OutputCrs,
    pub kinds: Vec<String>,
    pub towns: Vec<String>,
    pub text: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
    pub updated_until: Option<DateTime<Utc>>,
    pub spatial: Option<SpatialFilter>,
    pub states: Vec<String>,
    /// sites with a linked project in one of these statuses / programmes / categories
    pub project_statuses: Vec<String>,
    pub programmes: Vec<String>,
    pub categories: Vec<String>,
    /// sites linked to this project
    pub project_id: Option<i64>,
    /// an OGC API CQL2 filter
    pub cql2: Option<super::cql2_sql::SiteCql2>,
}

pub const SORTS: [(&str, &str); 6] = [
    ("code", "s.code"),
    ("id", "s.id"),
    ("name", "s.name"),
    ("kind", "s.kind"),
    ("updated_at", "s.updated_at"),
    ("distance", "distance_m"),
];

/// Pushes the WHERE clause of `f`. With `near_as_box`, a `near` filter is only its box: the
/// caller measures the distance of the rows and keeps those within the radius.
pub(crate) fn push_filter(q: &mut QueryBuilder<'_, Postgres>, f: &SiteFilter, near_as_box: bool) {
    q.push(" WHERE true");
    push_any(q, "s.kind", &f.kinds);
    push_any(q, "s.town_code", &f.towns);
    if let Some(text) = &f.text {
        push_text(q, &["s.name", "s.code", "s.name_en"], text);
    }
    if let Some(since) = f.updated_since {
        q.push(" AND s.updated_at >= ").push_bind(since);
    }
    if let Some(until) = f.updated_until {
        q.push(" AND s.updated_at <= ").push_bind(until);
    }
    if let Some(spatial) = &f.spatial {
        q.push(" AND ");
        match spatial {
            SpatialFilter::Near { lon, lat, radius_m } if near_as_box => {
                push_circle_box(q, "s", *lon, *lat, *radius_m)
            }
            _ => push_site_filter(q, spatial, "s"),
        }
    }
    push_any(q, "s.remediation_state", &f.states);
    if !f.project_statuses.is_empty() || !f.programmes.is_empty() || !f.categories.is_empty() {
        q.push(
            " AND EXISTS (SELECT 1 FROM project_site ps JOIN project p ON p.id = ps.project_id
               LEFT JOIN programme g ON g.id = p.programme_id WHERE ps.site_id = s.id",
        );
        push_any(q, "p.status", &f.project_statuses);
        push_any(q, "g.code", &f.programmes);
        push_any(q, "p.category", &f.categories);
        q.push(")");
    }
    if let Some(project_id) = f.project_id {
        q.push(" AND EXISTS (SELECT 1 FROM project_site ps WHERE ps.site_id = s.id AND ps.project_id = ")
            .push_bind(project_id)
            .push(")");
    }
    if let Some(cql2) = &f.cql2 {
        q.push(" AND ");
        cql2.push(q);
    }
}

/// How many sites a listing matched: counted, or the planner's estimate on large sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matched {
    Exact(i64),
    Estimated(i64),
}

impl Matched {
    pub fn count(self) -> i64 {
        match self {
            Matched::Exact(n) | Matched::Estimated(n) => n,
        }
    }
}

/// A page of sites and the exact number matched.
pub async fn list(
    conn: &mut PgConnection,
    f: &SiteFilter,
    sort: (&str, bool),
    limit: i64,
    offset: i64,
) -> sqlx::Result<(i64, Vec<Site>)> {
    let (matched, items) = list_counted(conn, f, sort, limit, offset, None).await?;
    Ok((matched.count(), items))
}

/// The planner's estimate of how many sites match, from EXPLAIN: no row is read.
async fn estimated_matches(conn: &mut PgConnection, f: &SiteFilter) -> sqlx::Result<i64> {
    let mut q = QueryBuilder::new("EXPLAIN (FORMAT JSON) SELECT 1 FROM site s");
    push_filter(&mut q, f, false);
    let plan: Json<Value> = q.build_query_scalar().fetch_one(conn).await?;
    Ok(plan.0[0]["Plan"]["Plan Rows"].as_f64().unwrap_or(0.0) as i64)
}

/// A page of sites and how many matched. With `estimate_above`, a match the planner expects to
/// be larger than that is not counted (counting would read every matching row): its estimate
/// is returned instead.
pub async fn list_counted(
    conn: &mut PgConnection,
    f: &SiteFilter,
    sort: (&str, bool),
    limit: i64,
    offset: i64,
    estimate_above: Option<i64>,
) -> sqlx::Result<(Matched, Vec<Site>)> {
    let estimate = match estimate_above {
        Some(threshold) => Some(estimated_matches(conn, f).await?).filter(|e| *e > threshold),
        None => None,
    };
    let near = match &f.spatial {
        Some(SpatialFilter::Near { lon, lat, radius_m }) => Some((*lon, *lat, *radius_m)),
        _ => None,
    };
    let mut q = QueryBuilder::new("");
    push_columns(&mut q, near.is_some(), f.output, estimate.is_none());
    match near {
        Some((lon, lat, radius_m)) => {
            // Each candidate's distance is computed once, in the subquery, and both filtered on
            // and returned outside it; OFFSET 0 keeps PostgreSQL from folding the subquery into
            // the outer query, which would compute the distance twice.
            q.push(" FROM (SELECT s.*, ST_Distance(s.geom::geography, ST_SetSRID(ST_MakePoint(")
                .push_bind(lon)
                .push(", ")
                .push_bind(lat)
                .push("), 4326)::geography) AS distance_m FROM site s");
            push_filter(&mut q, f, true);
            q.push(" OFFSET 0) s WHERE s.distance_m <= ")
                .push_bind(radius_m);
        }
        None => {
            q.push(" FROM site s");
            push_filter(&mut q, f, false);
        }
    }
    // distance exists only with a point to measure from
    let sort = if sort.0 == "distance" && near.is_none() {
        ("code", sort.1)
    } else {
        sort
    };
    push_order_and_page(&mut q, &SORTS, sort, "s.id", limit, offset);
    let items: Vec<Site> = q.build_query_as().fetch_all(&mut *conn).await?;
    if let Some(estimate) = estimate {
        return Ok((Matched::Estimated(estimate), items));
    }
    // the window count gives the total in the same pass; only a page past the end needs a count
    let total = match items.first() {
        Some(first) => first.full_count,
        None if offset == 0 => 0,
        None => {
            let mut count = QueryBuilder::new("SELECT count(*) FROM site s");
            push_filter(&mut count, f, false);
            count.build_query_scalar().fetch_one(conn).await?
        }
    };
    Ok((Matched::Exact(total), items))
}

/// Inserts a validated site; a missing town is derived from the location. Returns its id.
pub async fn create(
    conn: &mut PgConnection,
    kind: &str,
    row: &StagedRow,
    srid: i32,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "WITH g AS (SELECT ST_Transform(ST_GeomFromWKB($8, $9), 4326) AS geom)
         INSERT INTO site (kind, code, name, name_en, town_code, placeholder, attrs, geom, radius_m)
         SELECT $1, $2, $3, $4,
                coalesce($5, (SELECT a.code FROM admin_area a WHERE a.level = 'town'
                              AND ST_Intersects(a.geom, ST_PointOnSurface(g.geom)) ORDER BY a.code LIMIT 1)),
                $6, $7, g.geom, CASE WHEN $1 = 'key_zone' THEN coalesce($10::float8, 3000) END
         FROM g RETURNING id",
        kind,
        row.code,
        row.name,
        row.name_en.as_deref(),
        row.ref_code.as_deref(),
        row.flag,
        Json(&row.attrs) as _,
        row.wkb,
        srid,
        row.radius_m
    )
    .fetch_one(conn)
    .await
}

/// Locks a site and returns its version and kind.
pub async fn lock(conn: &mut PgConnection, id: i64) -> sqlx::Result<Option<(i32, String)>> {
    let locked = sqlx::query!(
        "SELECT version, kind FROM site WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(locked.map(|site| (site.version, site.kind)))
}

/// Replaces a site's properties and, when given, its geometry (a moved site without an explicit
/// town gets the town it now lies in). Returns whether anything changed (then the version goes up).
pub async fn replace(
    conn: &mut PgConnection,
    id: i64,
    row: &StagedRow,
    geometry: Option<(&[u8], i32)>,
) -> sqlx::Result<bool> {
    let changed = sqlx::query!(
        "WITH g AS (SELECT CASE WHEN $7::bytea IS NULL THEN NULL ELSE ST_Transform(ST_GeomFromWKB($7, $8), 4326) END AS geom)
         UPDATE site s SET name = $2, name_en = $3, placeholder = $5, attrs = $6,
                town_code = coalesce($4, (SELECT a.code FROM admin_area a WHERE g.geom IS NOT NULL AND a.level = 'town'
                                          AND ST_Intersects(a.geom, ST_PointOnSurface(g.geom)) ORDER BY a.code LIMIT 1),
                                     s.town_code),
                geom = coalesce(g.geom, s.geom),
                radius_m = CASE WHEN s.kind = 'key_zone' THEN coalesce($9, s.radius_m) END,
                version = s.version + 1, updated_at = now()
         FROM g
         WHERE s.id = $1
           AND ((s.name, s.name_en, s.town_code, s.placeholder, s.attrs, s.radius_m)
                    IS DISTINCT FROM ($2, $3, coalesce($4, s.town_code), $5, $6,
                                      CASE WHEN s.kind = 'key_zone' THEN coalesce($9, s.radius_m) END)
                OR (g.geom IS NOT NULL AND NOT ST_OrderingEquals(g.geom, s.geom)))",
        id,
        row.name,
        row.name_en.as_deref(),
        row.ref_code.as_deref(),
        row.flag,
        Json(&row.attrs) as _,
        geometry.map(|(wkb, _)| wkb),
        geometry.map_or(4326, |(_, srid)| srid),
        row.radius_m
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

/// Codes of the projects a site is linked to.
pub async fn linked_projects(conn: &mut PgConnection, id: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "SELECT p.code FROM project_site ps JOIN project p ON p.id = ps.project_id
         WHERE ps.site_id = $1 ORDER BY p.code",
        id
    )
    .fetch_all(conn)
    .await
}

pub async fn delete(conn: &mut PgConnection, id: i64) -> sqlx::Result<bool> {
    let deleted = sqlx::query!("DELETE FROM site WHERE id = $1", id)
        .execute(conn)
        .await?
        .rows_affected();
    Ok(deleted == 1)
}

/// What PostGIS finds wrong with a geometry (WKB in `srid`) once in WGS84: invalid, or outside
/// the longitude/latitude range; `None` when nothing is.
pub async fn geometry_problem(
    conn: &mut PgConnection,
    wkb: &[u8],
    srid: i32,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "SELECT CASE WHEN NOT ST_IsValid(g) THEN 'invalid geometry: ' || ST_IsValidReason(g)
                     WHEN NOT tracker_geom_ok(g) THEN 'the geometry falls outside the longitude/latitude range' END
         FROM (SELECT ST_Transform(ST_GeomFromWKB($1, $2), 4326) AS g) t",
        wkb,
        srid
    )
    .fetch_one(conn)
    .await
}
