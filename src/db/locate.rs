//! SQL of the location queries: what is at or near a point, and a key zone's clear-out state.

use crate::db::spatial::circle_box;
use crate::domain::zone::Campaign;
use serde::Serialize;
use serde_json::Value;
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
    /// open cases within the radius, latest received first; staff only (empty for the public)
    pub cases: Vec<crate::db::cases::Case>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Town {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NearbySite {
    pub id: i64,
    pub kind: String,
    pub code: String,
    pub name: String,
    /// geodesic metres; 0 when the site contains the point
    pub distance_m: f64,
    pub remediation_state: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CoveringZone {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub radius_m: f64,
    /// geodesic metres from the zone's centre geometry
    pub distance_m: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NearbyProject {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub status: String,
    pub progress: i16,
    pub responsible_unit: Option<String>,
    /// distance of its nearest listed site
    pub distance_m: f64,
    /// its listed sites, nearest first
    pub site_ids: Vec<i64>,
}

// `locate` reads in one statement: each statement costs a round trip and PostgreSQL's own work
// per statement, about a tenth of the whole answer when it took four. `part` says what a row
// is: the town, a covering key zone, or a nearby site with one of its projects or none; the
// columns a part has no use for are null.
const TOWN: i32 = 0;
const ZONE: i32 = 1;
const SITE: i32 = 2;

struct LocateRow {
    part: i32,
    id: Option<i64>,
    kind: Option<String>,
    code: String,
    name: String,
    remediation_state: Option<String>,
    distance_m: Option<f64>,
    radius_m: Option<f64>,
    project_id: Option<i64>,
    project_code: Option<String>,
    project_name: Option<String>,
    project_status: Option<String>,
    project_progress: Option<i16>,
    project_responsible_unit: Option<String>,
}

pub async fn locate(
    conn: &mut PgConnection,
    lon: f64,
    lat: f64,
    radius_m: f64,
) -> sqlx::Result<Located> {
    let search = circle_box(lon, lat, radius_m);
    let rows = sqlx::query_as!(
        LocateRow,
        r#"
    WITH nearby AS (
        -- as in the site lists (db/sites.rs): the box finds the candidates through the 2D index,
        -- each candidate's distance is computed once (OFFSET 0 keeps it so)
        SELECT * FROM (
            SELECT s.id, s.kind, s.code, s.name, s.remediation_state,
                   s.project_status IS NOT NULL AS linked,
                   ST_Distance(s.geom::geography, ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography) AS distance_m
            FROM site s
            WHERE s.kind <> 'key_zone' AND s.geom && ST_MakeEnvelope($3, $4, $5, $6, 4326)
            OFFSET 0) candidate
        WHERE distance_m <= $7
        ORDER BY distance_m, code LIMIT $8)
    SELECT part AS "part!", id, kind, code AS "code!", name AS "name!", remediation_state, distance_m, radius_m,
           project_id, project_code, project_name, project_status, project_progress, project_responsible_unit
    FROM (
        (SELECT 0 AS part, NULL::int8 AS id, NULL::text AS kind, a.code, a.name,
                NULL::text AS remediation_state, NULL::float8 AS distance_m, NULL::float8 AS radius_m,
                NULL::int8 AS project_id, NULL::text AS project_code, NULL::text AS project_name,
                NULL::text AS project_status, NULL::int2 AS project_progress,
                NULL::text AS project_responsible_unit
         FROM admin_area a
         WHERE a.level = 'town' AND ST_Intersects(a.geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))
         ORDER BY a.code LIMIT 1)
        UNION ALL
        SELECT 1, s.id, s.kind, s.code, s.name, s.remediation_state,
               ST_Distance(s.geom::geography, ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography),
               s.radius_m, NULL, NULL, NULL, NULL, NULL, NULL
        FROM site s
        WHERE s.zone_geom IS NOT NULL AND ST_Intersects(s.zone_geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))
        UNION ALL
        -- most sites have no project: for them the lookup asks the index for NULL, which it
        -- answers at once
        SELECT 2, n.id, n.kind, n.code, n.name, n.remediation_state, n.distance_m, NULL,
               p.id, p.code, p.name, p.status, p.progress, p.responsible_unit
        FROM nearby n LEFT JOIN LATERAL (
            SELECT p.id, p.code, p.name, p.status, p.progress, p.responsible_unit
            FROM project_site ps JOIN project p ON p.id = ps.project_id
            WHERE ps.site_id = CASE WHEN n.linked THEN n.id END) p ON true
    ) parts
    ORDER BY part, distance_m, code, project_id"#,
        lon,
        lat,
        search.min_lon,
        search.min_lat,
        search.max_lon,
        search.max_lat,
        radius_m,
        MAX_LOCATED_SITES
    )
    .fetch_all(conn)
    .await?;
    let mut town = None;
    let mut key_zones = Vec::new();
    let mut nearby = Vec::new();
    for row in rows {
        match (row.part, row.id, row.distance_m, row.radius_m) {
            (TOWN, ..) => {
                town = Some(Town {
                    code: row.code,
                    name: row.name,
                })
            }
            (ZONE, Some(id), Some(distance_m), Some(radius_m)) => key_zones.push(CoveringZone {
                id,
                code: row.code,
                name: row.name,
                radius_m,
                distance_m,
            }),
            (SITE, ..) => nearby.push(row),
            _ => {}
        }
    }
    let (sites, projects) = sites_and_projects(nearby);
    Ok(Located {
        lon,
        lat,
        radius_m,
        town,
        sites,
        key_zones,
        projects,
        cases: Vec::new(),
    })
}

/// Splits the site rows, nearest first, into the sites and their projects: each project once,
/// with its listed sites in the sites' order, ordered by its nearest site, then code.
fn sites_and_projects(rows: Vec<LocateRow>) -> (Vec<NearbySite>, Vec<NearbyProject>) {
    let mut sites: Vec<NearbySite> = Vec::new();
    let mut projects: Vec<NearbyProject> = Vec::new();
    let mut project_at: HashMap<i64, usize> = HashMap::new();
    for row in rows {
        let (Some(site_id), Some(kind), Some(remediation_state), Some(distance_m)) =
            (row.id, row.kind, row.remediation_state, row.distance_m)
        else {
            continue;
        };
        if sites.last().map(|s| s.id) != Some(site_id) {
            sites.push(NearbySite {
                id: site_id,
                kind,
                code: row.code,
                name: row.name,
                distance_m,
                remediation_state,
            });
        }
        let (Some(id), Some(code), Some(name), Some(status), Some(progress)) = (
            row.project_id,
            row.project_code,
            row.project_name,
            row.project_status,
            row.project_progress,
        ) else {
            continue;
        };
        match project_at.get(&id) {
            Some(&at) => projects[at].site_ids.push(site_id),
            None => {
                project_at.insert(id, projects.len());
                projects.push(NearbyProject {
                    id,
                    code,
                    name,
                    status,
                    progress,
                    responsible_unit: row.project_responsible_unit,
                    distance_m,
                    site_ids: vec![site_id],
                });
            }
        }
    }
    // first seen at its nearest site already; a stable sort keeps that and breaks ties by code
    projects.sort_by(|a, b| {
        a.distance_m
            .total_cmp(&b.distance_m)
            .then_with(|| a.code.cmp(&b.code))
    });
    (sites, projects)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Clearance {
    pub zone_id: i64,
    pub code: String,
    pub name: String,
    pub radius_m: f64,
    /// what the zone's clearance counts: `{"category": "air"}` by default, or a programme
    #[schema(value_type = Object)]
    pub campaign: Value,
    /// sites inside the zone with work of its campaign, by kind and the state of that work
    pub groups: Vec<ClearanceGroup>,
    /// those whose campaign work is still open (in progress or suspended)
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
    let zone = sqlx::query!(
        r#"SELECT code, name, radius_m AS "radius_m!", attrs FROM site WHERE id = $1 AND kind = 'key_zone'"#,
        zone_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(zone) = zone else {
        return Ok(None);
    };
    let (code, name, radius_m) = (zone.code, zone.name, zone.radius_m);
    let campaign = match Campaign::of(zone.attrs.as_object().unwrap_or(&serde_json::Map::new())) {
        Campaign::Category(c) => serde_json::json!({ "category": c }),
        Campaign::Programme(p) => serde_json::json!({ "programme": p }),
    };
    // key_zone_problem (migration 0013) holds the sites with work of the zone's campaign
    let groups = sqlx::query_as!(
        ClearanceGroup,
        r#"SELECT kind AS "kind!", campaign_state AS "remediation_state!", count(*) AS "count!"
         FROM key_zone_problem WHERE zone_id = $1 AND campaign_state <> 'none'
         GROUP BY 1, 2 ORDER BY 1, 2"#,
        zone_id
    )
    .fetch_all(&mut *conn)
    .await?;
    let open_sites = sqlx::query_as!(
        OpenSite,
        r#"SELECT site_id AS "id!", kind AS "kind!", code AS "code!", name AS "name!",
                campaign_state AS "remediation_state!"
         FROM key_zone_problem
         WHERE zone_id = $1 AND campaign_state IN ('in_progress', 'suspended')
         ORDER BY kind, code"#,
        zone_id
    )
    .fetch_all(&mut *conn)
    .await?;
    let open_count = open_sites.len() as i64;
    Ok(Some(Clearance {
        zone_id,
        code,
        name,
        radius_m,
        campaign,
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
    let rows = sqlx::query!(
        r#"WITH centre AS (SELECT ST_Centroid(ST_Transform(ST_GeomFromWKB($1, $2), 4326))::geography AS c)
         SELECT s.id, ST_Distance(s.geom::geography, centre.c) AS "distance!"
         FROM site s, centre WHERE s.id = ANY($3)"#,
        wkb,
        srid,
        site_ids
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.distance)).collect())
}

/// For each listed project, geodesic metres from the centre of a drawn area to the nearest of
/// its sites inside the area, by project id.
pub async fn project_distances_from_area_centre(
    conn: &mut PgConnection,
    wkb: &[u8],
    srid: i32,
    project_ids: &[i64],
) -> sqlx::Result<HashMap<i64, f64>> {
    let rows = sqlx::query!(
        r#"WITH area AS (SELECT ST_Transform(ST_GeomFromWKB($1, $2), 4326) AS a),
              centre AS (SELECT ST_Centroid(a)::geography AS c FROM area)
         SELECT ps.project_id, min(ST_Distance(s.geom::geography, centre.c)) AS "distance!"
         FROM project_site ps JOIN site s ON s.id = ps.site_id, area, centre
         WHERE ps.project_id = ANY($3) AND ST_Intersects(s.geom, area.a)
         GROUP BY ps.project_id"#,
        wkb,
        srid,
        project_ids
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.project_id, r.distance))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(site: (i64, &str, f64), project: Option<(i64, &str)>) -> LocateRow {
        LocateRow {
            part: SITE,
            id: Some(site.0),
            kind: Some("enterprise".into()),
            code: site.1.into(),
            name: site.1.into(),
            remediation_state: Some("none".into()),
            distance_m: Some(site.2),
            radius_m: None,
            project_id: project.map(|p| p.0),
            project_code: project.map(|p| p.1.into()),
            project_name: project.map(|p| p.1.into()),
            project_status: project.map(|_| "in_progress".into()),
            project_progress: project.map(|_| 40),
            project_responsible_unit: None,
        }
    }

    #[test]
    fn each_site_and_each_project_comes_once_in_distance_order() {
        let rows = vec![
            row((7, "S-7", 0.0), Some((2, "P-B"))),
            row((7, "S-7", 0.0), Some((3, "P-A"))),
            row((5, "S-5", 120.0), None),
            row((9, "S-9", 300.0), Some((2, "P-B"))),
            row((4, "S-4", 450.0), Some((1, "P-C"))),
        ];
        let (sites, projects) = sites_and_projects(rows);
        let site_ids: Vec<i64> = sites.iter().map(|s| s.id).collect();
        assert_eq!(site_ids, [7, 5, 9, 4]);
        let listed: Vec<(&str, f64, Vec<i64>)> = projects
            .iter()
            .map(|p| (p.code.as_str(), p.distance_m, p.site_ids.clone()))
            .collect();
        assert_eq!(
            listed,
            [
                ("P-A", 0.0, vec![7]),
                ("P-B", 0.0, vec![7, 9]),
                ("P-C", 450.0, vec![4])
            ]
        );
    }
}
