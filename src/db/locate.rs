//! SQL of the location queries: what is at or near a point, and a key zone's clear-out state.

use serde::Serialize;
use sqlx::PgConnection;
use std::collections::HashMap;

/// At most this many sites are listed around a point, nearest first.
pub const MAX_LOCATED_SITES: i64 = 500;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Located {
    /// the query point in WGS84
    pub lon: f64,
    pub lat: f64,
    pub radius_m: f64,
    /// the street/town the point lies in
    pub town: Option<Town>,
    /// sites containing the point or within the radius, nearest first
    pub sites: Vec<NearbySite>,
    /// key zones whose zone polygon covers the point
    pub key_zones: Vec<CoveringZone>,
    /// projects linked to the listed sites
    pub projects: Vec<NearbyProject>,
}

#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Town {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct NearbySite {
    pub id: i64,
    pub kind: String,
    pub code: String,
    pub name: String,
    /// geodesic metres; 0 when the site contains the point
    pub distance_m: f64,
    pub remediation_state: String,
}

#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CoveringZone {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub radius_m: f64,
    /// geodesic metres from the zone's centre geometry
    pub distance_m: f64,
}

#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct NearbyProject {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub status: String,
    pub progress: i16,
    pub responsible_unit: Option<String>,
    /// distance of its nearest listed site
    pub distance_m: f64,
    /// its listed sites
    pub site_ids: Vec<i64>,
}

pub async fn locate(
    conn: &mut PgConnection,
    lon: f64,
    lat: f64,
    radius_m: f64,
) -> sqlx::Result<Located> {
    let town: Option<Town> = sqlx::query_as(
        "SELECT code, name FROM admin_area WHERE level = 'town'
         AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)) ORDER BY code LIMIT 1",
    )
    .bind(lon)
    .bind(lat)
    .fetch_optional(&mut *conn)
    .await?;
    let sites: Vec<NearbySite> = sqlx::query_as(
        "WITH pt AS (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography AS g)
         SELECT s.id, s.kind, s.code, s.name, ST_Distance(s.geom::geography, pt.g) AS distance_m,
                s.remediation_state
         FROM site s, pt
         WHERE s.kind <> 'key_zone' AND ST_DWithin(s.geom::geography, pt.g, $3)
         ORDER BY distance_m, s.code LIMIT $4",
    )
    .bind(lon)
    .bind(lat)
    .bind(radius_m)
    .bind(MAX_LOCATED_SITES)
    .fetch_all(&mut *conn)
    .await?;
    let key_zones: Vec<CoveringZone> = sqlx::query_as(
        "WITH pt AS (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326) AS g)
         SELECT s.id, s.code, s.name, s.radius_m, ST_Distance(s.geom::geography, pt.g::geography) AS distance_m
         FROM site s, pt
         WHERE s.zone_geom IS NOT NULL AND ST_Intersects(s.zone_geom, pt.g)
         ORDER BY distance_m, s.code",
    )
    .bind(lon)
    .bind(lat)
    .fetch_all(&mut *conn)
    .await?;
    let site_ids: Vec<i64> = sites.iter().map(|s| s.id).collect();
    let distances: Vec<f64> = sites.iter().map(|s| s.distance_m).collect();
    let projects: Vec<NearbyProject> = sqlx::query_as(
        "WITH found AS (SELECT * FROM UNNEST($1::int8[], $2::float8[]) AS f(site_id, distance_m))
         SELECT p.id, p.code, p.name, p.status, p.progress, p.responsible_unit,
                min(f.distance_m) AS distance_m, array_agg(f.site_id ORDER BY f.distance_m, f.site_id) AS site_ids
         FROM found f JOIN project_site ps ON ps.site_id = f.site_id JOIN project p ON p.id = ps.project_id
         GROUP BY p.id ORDER BY distance_m, p.code",
    )
    .bind(&site_ids)
    .bind(&distances)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Located {
        lon,
        lat,
        radius_m,
        town,
        sites,
        key_zones,
        projects,
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Clearance {
    pub zone_id: i64,
    pub code: String,
    pub name: String,
    pub radius_m: f64,
    /// problem sites inside the zone, by kind and remediation state
    pub groups: Vec<ClearanceGroup>,
    /// problem sites whose work is still open (in progress or suspended)
    pub open_count: i64,
    /// 归零: no open problem site is left
    pub cleared: bool,
    pub open_sites: Vec<OpenSite>,
}

#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ClearanceGroup {
    pub kind: String,
    pub remediation_state: String,
    pub count: i64,
}

#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct OpenSite {
    pub id: i64,
    pub kind: String,
    pub code: String,
    pub name: String,
    pub remediation_state: String,
}

pub async fn clearance(conn: &mut PgConnection, zone_id: i64) -> sqlx::Result<Option<Clearance>> {
    let zone: Option<(String, String, f64)> =
        sqlx::query_as("SELECT code, name, radius_m FROM site WHERE id = $1 AND kind = 'key_zone'")
            .bind(zone_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((code, name, radius_m)) = zone else {
        return Ok(None);
    };
    let inside = "WITH z AS (SELECT zone_geom FROM site WHERE id = $1),
         inside AS (
             SELECT s.id, s.kind, s.code, s.name, s.remediation_state
             FROM site s, z
             WHERE s.id <> $1 AND s.kind <> 'key_zone' AND ST_Intersects(s.geom, z.zone_geom)
               AND EXISTS (SELECT 1 FROM project_site ps WHERE ps.site_id = s.id)
         )";
    let groups: Vec<ClearanceGroup> = sqlx::query_as(&format!(
        "{inside} SELECT kind, remediation_state, count(*) AS count FROM inside
         WHERE remediation_state <> 'none' GROUP BY 1, 2 ORDER BY 1, 2"
    ))
    .bind(zone_id)
    .fetch_all(&mut *conn)
    .await?;
    let open_sites: Vec<OpenSite> = sqlx::query_as(&format!(
        "{inside} SELECT id, kind, code, name, remediation_state FROM inside
         WHERE remediation_state IN ('in_progress', 'suspended') ORDER BY kind, code"
    ))
    .bind(zone_id)
    .fetch_all(&mut *conn)
    .await?;
    let open_count = open_sites.len() as i64;
    Ok(Some(Clearance {
        zone_id,
        code,
        name,
        radius_m,
        groups,
        open_count,
        cleared: open_count == 0,
        open_sites,
    }))
}

/// Geodesic metres from the centre (centroid) of a drawn area (WKB in `srid`) to each listed
/// site, by site id.
pub async fn site_distances_from_area_centre(
    conn: &mut PgConnection,
    wkb: &[u8],
    srid: i32,
    site_ids: &[i64],
) -> sqlx::Result<HashMap<i64, f64>> {
    let rows: Vec<(i64, f64)> = sqlx::query_as(
        "WITH centre AS (SELECT ST_Centroid(ST_Transform(ST_GeomFromWKB($1, $2), 4326))::geography AS c)
         SELECT s.id, ST_Distance(s.geom::geography, centre.c)
         FROM site s, centre WHERE s.id = ANY($3)",
    )
    .bind(wkb)
    .bind(srid)
    .bind(site_ids)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// For each listed project, geodesic metres from the centre of a drawn area to the nearest of
/// its sites inside the area, by project id.
pub async fn project_distances_from_area_centre(
    conn: &mut PgConnection,
    wkb: &[u8],
    srid: i32,
    project_ids: &[i64],
) -> sqlx::Result<HashMap<i64, f64>> {
    let rows: Vec<(i64, f64)> = sqlx::query_as(
        "WITH area AS (SELECT ST_Transform(ST_GeomFromWKB($1, $2), 4326) AS a),
              centre AS (SELECT ST_Centroid(a)::geography AS c FROM area)
         SELECT ps.project_id, min(ST_Distance(s.geom::geography, centre.c))
         FROM project_site ps JOIN site s ON s.id = ps.site_id, area, centre
         WHERE ps.project_id = ANY($3) AND ST_Intersects(s.geom, area.a)
         GROUP BY ps.project_id",
    )
    .bind(wkb)
    .bind(srid)
    .bind(project_ids)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}
