//! SQL of vector tiles: one layer of sites (one kind, or all kinds) clipped, simplified and
//! encoded as a Mapbox Vector Tile by PostGIS (`ST_AsMVT`), plus each layer's extent.

use sqlx::PgPool;

/// Tile extent in tile coordinates, and the buffer kept around it so lines join across tiles.
pub const EXTENT: i32 = 4096;
pub const BUFFER: i32 = 64;

/// Encodes one tile; `None` when no feature touches it. Features carry id, code, name, kind,
/// the status of the site's most recently updated project, the derived remediation state, and
/// the latest grading (its time as Unix seconds, which a style's expressions can compare).
/// Key zones are drawn as their zone polygon. `kinds` empty means every kind.
///
/// ST_AsMVTGeom clips to the tile plus its buffer and simplifies to half a tile pixel at this
/// zoom (dropping what is smaller), so no separate simplification runs before it.
///
/// `shift` moves every geometry by that many Web Mercator metres before it is cut, for a map
/// shown on a GCJ-02 basemap; the features come from the area the shift moves into the tile.
#[allow(clippy::too_many_arguments)]
pub async fn site_tile(
    pool: &PgPool,
    layer: &str,
    kinds: &[&str],
    z: u32,
    x: u32,
    y: u32,
    shift: (f64, f64),
) -> sqlx::Result<Option<Vec<u8>>> {
    let kinds: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
    sqlx::query_scalar!(
        "WITH tile AS (
             SELECT ST_TileEnvelope($1, $2, $3) AS env,
                    ST_Transform(ST_Translate(ST_TileEnvelope($1, $2, $3, margin => $7::int4::float8 / $6::int4), -$8::float8, -$9::float8), 4326) AS area
         ),
         features AS (
             SELECT s.id, s.code, s.name, s.kind, s.remediation_state, s.project_status AS status,
                    s.latest_class, extract(epoch FROM s.latest_sampled_at)::int8 AS latest_sampled_at,
                    s.meets_target, s.black_odor_grade, s.soil_risk,
                    ST_AsMVTGeom(ST_Translate(ST_Transform(coalesce(s.zone_geom, s.geom), 3857), $8::float8, $9::float8), tile.env, $6::int4, $7::int4, true) AS geom
             FROM site s, tile
             WHERE (cardinality($4::text[]) = 0 OR s.kind = ANY($4))
               AND coalesce(s.zone_geom, s.geom) && tile.area
         )
         -- ST_AsMVT skips the features ST_AsMVTGeom dropped (NULL), and gives no bytes when
         -- none is left; filtering them here would run ST_AsMVTGeom twice
         SELECT ST_AsMVT(features, $5::text, $6::int4, 'geom', 'id') FROM features",
        z as i32,
        x as i32,
        y as i32,
        kinds.as_slice(),
        layer,
        EXTENT,
        BUFFER,
        shift.0,
        shift.1
    )
    .fetch_one(pool)
    .await
    .map(|tile: Option<Vec<u8>>| tile.filter(|bytes| !bytes.is_empty()))
}

/// The lon/lat extent of the sites of these kinds (zone polygons included), if there are any.
pub async fn extent(pool: &PgPool, kinds: &[&str]) -> sqlx::Result<Option<[f64; 4]>> {
    let kinds: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
    let corners = sqlx::query_scalar!(
        r#"SELECT ARRAY[ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)] AS "corners!"
         FROM (SELECT ST_Extent(coalesce(zone_geom, geom)) AS e FROM site WHERE kind = ANY($1)) t
         WHERE e IS NOT NULL"#,
        kinds.as_slice()
    )
    .fetch_optional(pool)
    .await?;
    Ok(corners.and_then(|c| c.try_into().ok()))
}
