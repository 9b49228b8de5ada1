//! Test helpers: GeoJSON fixtures, running an import in a transaction, an independent
//! Gauss-Krüger projection to check PostGIS against, and a digest of stored data.

#![allow(dead_code)]

use remediation_tracker::domain::{InputCrs, SiteKind};
use remediation_tracker::import::{
    ImportError, ImportOptions, ImportSummary, ImportTarget, OnExisting, import_reader,
};
use serde_json::{Value, json};
use sqlx::PgPool;

pub fn feature(props: Value, geometry: Value) -> Value {
    json!({ "type": "Feature", "properties": props, "geometry": geometry })
}

pub fn collection(features: Vec<Value>) -> String {
    json!({ "type": "FeatureCollection", "features": features }).to_string()
}

pub fn point(lon: f64, lat: f64) -> Value {
    json!({ "type": "Point", "coordinates": [lon, lat] })
}

/// A square polygon of `half` degrees around a centre.
pub fn square(lon: f64, lat: f64, half: f64) -> Value {
    json!({ "type": "Polygon", "coordinates": [[
        [lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
        [lon - half, lat + half], [lon - half, lat - half]
    ]] })
}

pub async fn import_text(
    pool: &PgPool,
    text: String,
    kind: SiteKind,
    crs: InputCrs,
    repair: bool,
) -> Result<ImportSummary, ImportError> {
    import_target(pool, text, ImportTarget::Site(kind), crs, repair).await
}

pub async fn import_target(
    pool: &PgPool,
    text: String,
    target: ImportTarget,
    crs: InputCrs,
    repair: bool,
) -> Result<ImportSummary, ImportError> {
    let mut tx = pool.begin().await?;
    let options = ImportOptions {
        target,
        crs,
        repair,
        on_existing: OnExisting::Reject,
    };
    let result = import_reader(&mut tx, std::io::Cursor::new(text.into_bytes()), options).await;
    match result {
        Ok(summary) => {
            tx.commit().await?;
            Ok(summary)
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e)
        }
    }
}

/// Two towns side by side (east and west of 119.85°E) inside a district, for town lookups.
pub async fn insert_towns(pool: &PgPool) {
    let text = collection(vec![
        feature(
            json!({"code": "320404", "name": "钟楼区", "level": "district"}),
            json!({"type": "Polygon", "coordinates": [[[119.70,31.70],[120.00,31.70],[120.00,31.90],[119.70,31.90],[119.70,31.70]]]}),
        ),
        feature(
            json!({"code": "320404116", "name": "邹区镇", "level": "town", "parent_code": "320404"}),
            json!({"type": "Polygon", "coordinates": [[[119.70,31.70],[119.85,31.70],[119.85,31.90],[119.70,31.90],[119.70,31.70]]]}),
        ),
        feature(
            json!({"code": "320404007", "name": "新闸街道", "level": "town", "parent_code": "320404"}),
            json!({"type": "Polygon", "coordinates": [[[119.85,31.70],[120.00,31.70],[120.00,31.90],[119.85,31.90],[119.85,31.70]]]}),
        ),
    ]);
    import_target(pool, text, ImportTarget::AdminArea, InputCrs::Wgs84, false)
        .await
        .expect("towns import");
}

/// Transverse Mercator forward projection (Snyder, USGS PP 1395, eqs. 8-9 to 8-10) on the
/// CGCS2000 ellipsoid, central meridian 120°E, scale 1, false easting 500 km: an independent
/// reference for EPSG:4549, accurate to millimetres within a 3° zone.
pub fn cgcs2000_gk120(lon: f64, lat: f64) -> (f64, f64) {
    let a = 6_378_137.0_f64;
    let f = 1.0 / 298.257_222_101;
    let e2 = f * (2.0 - f);
    let ep2 = e2 / (1.0 - e2);
    let phi = lat.to_radians();
    let (s, c) = phi.sin_cos();
    let n = a / (1.0 - e2 * s * s).sqrt();
    let t = phi.tan().powi(2);
    let cc = ep2 * c * c;
    let aa = (lon - 120.0).to_radians() * c;
    let e4 = e2 * e2;
    let e6 = e4 * e2;
    let m = a
        * ((1.0 - e2 / 4.0 - 3.0 * e4 / 64.0 - 5.0 * e6 / 256.0) * phi
            - (3.0 * e2 / 8.0 + 3.0 * e4 / 32.0 + 45.0 * e6 / 1024.0) * (2.0 * phi).sin()
            + (15.0 * e4 / 256.0 + 45.0 * e6 / 1024.0) * (4.0 * phi).sin()
            - (35.0 * e6 / 3072.0) * (6.0 * phi).sin());
    let x = n
        * (aa
            + (1.0 - t + cc) * aa.powi(3) / 6.0
            + (5.0 - 18.0 * t + t * t + 72.0 * cc - 58.0 * ep2) * aa.powi(5) / 120.0);
    let y = m + n
        * phi.tan()
        * (aa * aa / 2.0
            + (5.0 - t + 9.0 * cc + 4.0 * cc * cc) * aa.powi(4) / 24.0
            + (61.0 - 58.0 * t + t * t + 600.0 * cc - 330.0 * ep2) * aa.powi(6) / 720.0);
    (x + 500_000.0, y)
}

/// Geodesic metres between a stored site and a WGS84 point.
pub async fn distance_to(pool: &PgPool, code: &str, lon: f64, lat: f64) -> f64 {
    sqlx::query_scalar("SELECT ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography) FROM site WHERE code = $1")
        .bind(code)
        .bind(lon)
        .bind(lat)
        .fetch_one(pool)
        .await
        .expect("distance")
}

/// A digest of everything the sample data writes, to compare states exactly.
pub async fn digest(pool: &PgPool) -> String {
    sqlx::query_scalar(
        "SELECT md5(concat_ws('|',
            (SELECT string_agg(concat_ws(',', code, name, name_en, level, parent_code, approximate, source, ST_AsEWKB(geom)), ';' ORDER BY code) FROM admin_area),
            (SELECT string_agg(concat_ws(',', id, kind, code, name, name_en, town_code, placeholder, attrs, ST_AsEWKB(geom), radius_m, ST_AsEWKB(zone_geom), version, updated_at), ';' ORDER BY code) FROM site),
            (SELECT string_agg(concat_ws(',', id, code, name, target_count, target_start_rate), ';' ORDER BY code) FROM programme),
            (SELECT string_agg(to_jsonb(p)::text, ';' ORDER BY code) FROM project p),
            (SELECT string_agg(concat_ws(',', project_id, site_id), ';' ORDER BY project_id, site_id) FROM project_site),
            (SELECT string_agg(to_jsonb(e)::text, ';' ORDER BY id) FROM project_event e)))",
    )
    .fetch_one(pool)
    .await
    .expect("digest")
}

/// The sample data set shipped with the repository.
pub fn geodata_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata")
}

/// Returns once a session of this test's database waits on a lock (a request in flight that
/// the test holds back); fails after 20 s.
pub async fn until_a_statement_waits_on_a_lock(pool: &PgPool) {
    let started = std::time::Instant::now();
    let waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()";
    while sqlx::query_scalar::<_, i64>(waiting)
        .fetch_one(pool)
        .await
        .unwrap()
        == 0
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "no statement reached the lock"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
