//! SQL for whole-layer GeoJSON used by the map page: sites of one kind with their derived
//! remediation state, and the administrative areas. Assembled by PostGIS in one round trip.

use crate::domain::SiteKind;
use sqlx::PgPool;

/// A FeatureCollection of one site kind. Key zones are drawn as their zone polygon.
pub async fn site_layer(
    pool: &PgPool,
    kind: SiteKind,
    limit: i64,
    offset: i64,
) -> sqlx::Result<String> {
    sqlx::query_scalar!(
        r#"SELECT json_build_object(
                    'type', 'FeatureCollection',
                    'features', coalesce(json_agg(ST_AsGeoJSON(f.*, 'geom', 6)::json ORDER BY f.id), '[]'::json)
                )::text AS "layer!"
         FROM (
             SELECT s.id, s.code, s.name, s.name_en, s.kind, s.town_code, s.placeholder, s.radius_m,
                    coalesce(s.zone_geom, s.geom) AS geom,
                    s.remediation_state, s.latest_class, s.meets_target, s.black_odor_grade, s.soil_risk
             FROM site s WHERE s.kind = $1 ORDER BY s.id LIMIT $2 OFFSET $3
         ) f"#,
        kind.as_str(),
        limit,
        offset
    )
    .fetch_one(pool)
    .await
}

pub async fn admin_layer(pool: &PgPool, limit: i64, offset: i64) -> sqlx::Result<String> {
    sqlx::query_scalar!(
        r#"SELECT json_build_object(
                    'type', 'FeatureCollection',
                    'features', coalesce(json_agg(ST_AsGeoJSON(f.*, 'geom', 6)::json ORDER BY f.code), '[]'::json)
                )::text AS "layer!"
         FROM (SELECT code, name, name_en, level, parent_code, approximate, geom FROM admin_area
               ORDER BY code LIMIT $1 OFFSET $2) f"#,
        limit,
        offset
    )
    .fetch_one(pool)
    .await
}
