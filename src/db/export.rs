//! SQL of the export: every row of one kind (or the admin areas), streamed in code order.

use crate::domain::import::ImportTarget;
use futures_util::stream::BoxStream;
use serde_json::Value;
use sqlx::PgPool;
use sqlx::types::Json;

#[derive(Debug, sqlx::FromRow)]
pub struct ExportRow {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    /// town code of a site, parent code of an admin area
    pub ref_code: Option<String>,
    /// placeholder of a site, approximate of an admin area
    pub flag: bool,
    pub radius_m: Option<f64>,
    pub level: Option<String>,
    pub source: Option<String>,
    pub attrs: Json<Value>,
    pub geojson: String,
    pub wkt: String,
}

/// Coordinates are written with up to 15 decimals so that an export imports back unchanged.
pub fn rows(pool: &PgPool, target: ImportTarget) -> BoxStream<'_, sqlx::Result<ExportRow>> {
    match target {
        ImportTarget::Site(kind) => sqlx::query_as!(
            ExportRow,
            r#"SELECT code, name, name_en, town_code AS ref_code, placeholder AS flag, radius_m,
                    NULL::text AS level, NULL::text AS source, attrs AS "attrs: Json<Value>",
                    ST_AsGeoJSON(geom, 15) AS "geojson!", ST_AsText(geom, 15) AS "wkt!"
             FROM site WHERE kind = $1 ORDER BY code"#,
            kind.as_str()
        )
        .fetch(pool),
        ImportTarget::AdminArea => sqlx::query_as!(
            ExportRow,
            r#"SELECT code, name, name_en, parent_code AS ref_code, approximate AS flag, NULL::float8 AS radius_m,
                    level AS "level?", source AS "source?", '{}'::jsonb AS "attrs!: Json<Value>",
                    ST_AsGeoJSON(geom, 15) AS "geojson!", ST_AsText(geom, 15) AS "wkt!"
             FROM admin_area
             ORDER BY array_position(ARRAY['province', 'city', 'district', 'town'], level), code"#
        )
        .fetch(pool),
    }
}
