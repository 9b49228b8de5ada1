//! SQL of the OGC collections that are not site kinds: administrative areas, projects (whose
//! geometry is the collection of their sites' geometries) and cases. Features are assembled as
//! GeoJSON by PostGIS, in the requested output CRS.

use crate::db::listing::push_any;
use crate::db::sites::OutputCrs;
use crate::db::spatial::{SpatialFilter, push_site_filter};
use crate::domain::casework::CaseReader;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, Postgres, QueryBuilder};

/// Filters of the project and admin-area collections.
#[derive(Debug, Default, Clone)]
pub struct OtherFilter {
    pub spatial: Option<SpatialFilter>,
    pub updated_since: Option<DateTime<Utc>>,
    pub updated_until: Option<DateTime<Utc>>,
    pub statuses: Vec<String>,
    pub towns: Vec<String>,
    pub programmes: Vec<String>,
    /// cases: the ledgers
    pub kinds: Vec<String>,
    /// one feature, by id
    pub id: Option<String>,
}

fn push_geometry(q: &mut QueryBuilder<'_, Postgres>, expression: &'static str, output: OutputCrs) {
    q.push("ST_AsGeoJSON(");
    if output.flip_axes {
        q.push("ST_FlipCoordinates(");
    }
    q.push(format!("ST_Transform({expression}, "))
        .push_bind(output.srid)
        .push(")");
    if output.flip_axes {
        q.push(")");
    }
    q.push(", ").push_bind(output.decimals).push(")::jsonb");
}

/// A page of administrative areas as GeoJSON features (id = the area code), and the total.
pub async fn admin_areas(
    conn: &mut PgConnection,
    f: &OtherFilter,
    output: OutputCrs,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(i64, Vec<Value>)> {
    let mut q = QueryBuilder::new(
        "SELECT count(*) OVER () AS total, jsonb_build_object('type', 'Feature', 'id', a.code,
            'properties', jsonb_build_object('code', a.code, 'name', a.name, 'name_en', a.name_en, 'level', a.level,
                                             'parent_code', a.parent_code, 'approximate', a.approximate),
            'geometry', ",
    );
    push_geometry(&mut q, "a.geom", output);
    q.push(") FROM admin_area a WHERE true");
    if let Some(id) = &f.id {
        q.push(" AND a.code = ").push_bind(id.clone());
    }
    push_any(&mut q, "a.code", &f.towns);
    if let Some(spatial) = &f.spatial {
        q.push(" AND ");
        push_site_filter(&mut q, spatial, "a");
    }
    q.push(" ORDER BY a.code LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    page(conn, q).await
}

/// A page of projects as GeoJSON features (geometry: their sites' geometries collected), and
/// the total. Projects without sites have no geometry.
pub async fn projects(
    conn: &mut PgConnection,
    f: &OtherFilter,
    output: OutputCrs,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(i64, Vec<Value>)> {
    let mut q = QueryBuilder::new(
        "SELECT count(*) OVER () AS total, jsonb_build_object('type', 'Feature', 'id', p.id,
            'properties', jsonb_build_object('code', p.code, 'name', p.name, 'name_en', p.name_en, 'category', p.category,
                                             'programme', g.code, 'status', p.status, 'stage', p.stage, 'progress', p.progress,
                                             'responsible_unit', p.responsible_unit, 'town_code', p.town_code,
                                             'placeholder', p.placeholder, 'updated_at', p.updated_at),
            'geometry', (SELECT ",
    );
    push_geometry(&mut q, "ST_Collect(s.geom)", output);
    q.push(
        " FROM project_site ps JOIN site s ON s.id = ps.site_id WHERE ps.project_id = p.id))
         FROM project p LEFT JOIN programme g ON g.id = p.programme_id WHERE true",
    );
    if let Some(id) = &f.id {
        q.push(" AND p.id::text = ").push_bind(id.clone());
    }
    push_any(&mut q, "p.status", &f.statuses);
    push_any(&mut q, "p.town_code", &f.towns);
    push_any(&mut q, "g.code", &f.programmes);
    if let Some(since) = f.updated_since {
        q.push(" AND p.updated_at >= ").push_bind(since);
    }
    if let Some(until) = f.updated_until {
        q.push(" AND p.updated_at <= ").push_bind(until);
    }
    if let Some(spatial) = &f.spatial {
        q.push(" AND EXISTS (SELECT 1 FROM project_site ps JOIN site s ON s.id = ps.site_id WHERE ps.project_id = p.id AND ");
        push_site_filter(&mut q, spatial, "s");
        q.push(")");
    }
    q.push(" ORDER BY p.id LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    page(conn, q).await
}

/// A page of cases as GeoJSON features, as `reader` may see them (no petitions for the public,
/// complainants for editors only), and the total.
pub async fn cases(
    conn: &mut PgConnection,
    f: &OtherFilter,
    reader: CaseReader,
    output: OutputCrs,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(i64, Vec<Value>)> {
    let mut q = QueryBuilder::new(
        "SELECT count(*) OVER () AS total, jsonb_build_object('type', 'Feature', 'id', c.id,
            'properties', jsonb_build_object('code', c.code, 'kind', c.kind, 'category', c.category,
                'title', c.title, 'status', c.status, 'received_on', c.received_on, 'deadline', c.deadline,
                'severity', c.severity, 'town_code', c.town_code, 'responsible_unit', c.responsible_unit,
                'site_code', (SELECT s.code FROM site s WHERE s.id = c.site_id), 'repeat_of', c.repeat_of,
                'project_id', c.project_id, 'updated_at', c.updated_at",
    );
    if reader.sees_complainants() {
        q.push(
            ", 'complainant_name', c.complainant_name, 'complainant_phone', c.complainant_phone",
        );
    }
    q.push("), 'geometry', ");
    push_geometry(&mut q, "c.geom", output);
    q.push(") FROM casework c WHERE true");
    if !reader.sees_petitions() {
        q.push(" AND c.kind <> 'petition'");
    }
    if let Some(id) = &f.id {
        q.push(" AND c.id::text = ").push_bind(id.clone());
    }
    push_any(&mut q, "c.kind", &f.kinds);
    push_any(&mut q, "c.status", &f.statuses);
    push_any(&mut q, "c.town_code", &f.towns);
    if let Some(since) = f.updated_since {
        q.push(" AND c.updated_at >= ").push_bind(since);
    }
    if let Some(until) = f.updated_until {
        q.push(" AND c.updated_at <= ").push_bind(until);
    }
    if let Some(spatial) = &f.spatial {
        q.push(" AND ");
        push_site_filter(&mut q, spatial, "c");
    }
    q.push(" ORDER BY c.id LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    page(conn, q).await
}

/// The bbox of every placed case.
pub async fn case_extent(pool: &sqlx::PgPool) -> sqlx::Result<Option<[f64; 4]>> {
    let corners = sqlx::query_scalar!(
        r#"SELECT ARRAY[ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)] AS "corners!" FROM (SELECT ST_Extent(geom) AS e FROM casework) t WHERE e IS NOT NULL"#
    )
    .fetch_optional(pool)
    .await?;
    Ok(corners.and_then(|c| c.try_into().ok()))
}

async fn page(
    conn: &mut PgConnection,
    mut q: QueryBuilder<'_, Postgres>,
) -> sqlx::Result<(i64, Vec<Value>)> {
    let rows: Vec<(i64, sqlx::types::Json<Value>)> = q.build_query_as().fetch_all(conn).await?;
    let total = rows.first().map_or(0, |(total, _)| *total);
    Ok((
        total,
        rows.into_iter().map(|(_, feature)| feature.0).collect(),
    ))
}

/// The bbox of every administrative area, [min_lon, min_lat, max_lon, max_lat]; `None` when
/// there is none.
pub async fn admin_extent(pool: &sqlx::PgPool) -> sqlx::Result<Option<[f64; 4]>> {
    let corners = sqlx::query_scalar!(
        r#"SELECT ARRAY[ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)] AS "corners!" FROM (SELECT ST_Extent(geom) AS e FROM admin_area) t WHERE e IS NOT NULL"#
    )
    .fetch_optional(pool)
    .await?;
    Ok(corners.and_then(|c| c.try_into().ok()))
}
