//! Import: all or nothing, rejections named by feature, CRS conversion, export round trip.

use crate::common::*;
use remediation_tracker::config::ExportFormat;
use remediation_tracker::domain::coords::wgs84_to_gcj02;
use remediation_tracker::domain::{InputCrs, SiteKind};
use remediation_tracker::export::export;
use remediation_tracker::import::{ImportError, ImportTarget, Rejection};
use serde_json::json;
use sqlx::PgPool;

fn rejections(
    result: Result<remediation_tracker::import::ImportSummary, ImportError>,
) -> Vec<Rejection> {
    match result {
        Err(ImportError::Rejected { listed, total, .. }) => {
            assert_eq!(total, listed.len());
            listed
        }
        other => panic!("expected rejections, got {other:?}"),
    }
}

async fn site_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM site")
        .fetch_one(pool)
        .await
        .unwrap()
}

fn plot(code: &str) -> serde_json::Value {
    json!({"code": code, "name": format!("地块 {code}"), "plot_stage": "listed"})
}

const BOWTIE: [[f64; 2]; 5] = [
    [119.90, 31.80],
    [119.91, 31.81],
    [119.91, 31.80],
    [119.90, 31.81],
    [119.90, 31.80],
];

#[sqlx::test]
async fn import_is_atomic_and_names_every_rejected_feature(pool: PgPool) {
    let text = collection(vec![
        feature(plot("CP-OK"), square(119.9, 31.8, 0.001)),
        feature(
            plot("CP-BOWTIE"),
            json!({"type": "Polygon", "coordinates": [BOWTIE]}),
        ),
        feature(
            json!({"code": "CP-NOSTAGE", "name": "no stage"}),
            square(119.92, 31.8, 0.001),
        ),
        feature(plot("CP-POINT"), point(119.93, 31.8)),
        feature(plot("CP-SWAPPED"), square(31.8, 119.9, 0.001)),
        feature(plot("CP-OK"), square(119.94, 31.8, 0.001)),
    ]);
    let listed = rejections(
        import_text(
            &pool,
            text,
            SiteKind::ContaminatedPlot,
            InputCrs::Wgs84,
            false,
        )
        .await,
    );
    let summary: Vec<(usize, &str)> = listed
        .iter()
        .map(|r| (r.index, r.reason.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                1,
                "invalid geometry: Self-intersection[119.905 31.805] (use --repair to fix it with ST_MakeValid)"
            ),
            (2, "missing required attribute plot_stage"),
            (
                3,
                "wrong geometry type for kind contaminated_plot: Point (allowed: Polygon, MultiPolygon)"
            ),
            (
                4,
                "coordinates (31.799, 119.899) look like swapped lat/lon: give longitude first, then latitude"
            ),
            (5, "duplicate code CP-OK, also at 0"),
        ]
    );
    assert_eq!(site_count(&pool).await, 0, "a rejected file writes nothing");
}

#[sqlx::test]
async fn repair_makes_invalid_polygons_valid(pool: PgPool) {
    let text = collection(vec![feature(
        plot("CP-BOWTIE"),
        json!({"type": "Polygon", "coordinates": [BOWTIE]}),
    )]);
    let summary = import_text(
        &pool,
        text,
        SiteKind::ContaminatedPlot,
        InputCrs::Wgs84,
        true,
    )
    .await
    .unwrap();
    assert_eq!(summary.inserted, 1);
    let (valid, kind): (bool, String) = sqlx::query_as(
        "SELECT ST_IsValid(geom), GeometryType(geom) FROM site WHERE code = 'CP-BOWTIE'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(valid);
    assert_eq!(kind, "MULTIPOLYGON");
}

#[sqlx::test]
async fn existing_codes_unknown_towns_and_bad_attributes_are_rejected(pool: PgPool) {
    insert_towns(&pool).await;
    let first = collection(vec![feature(
        json!({"code": "OF-1", "name": "排口", "outfall_type": "other"}),
        point(119.80, 31.80),
    )]);
    import_text(&pool, first, SiteKind::Outfall, InputCrs::Wgs84, false)
        .await
        .unwrap();
    let town: Option<String> = sqlx::query_scalar("SELECT town_code FROM site WHERE code = 'OF-1'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        town.as_deref(),
        Some("320404116"),
        "the town is derived from the location"
    );

    let second = collection(vec![
        feature(
            json!({"code": "OF-1", "name": "again", "outfall_type": "other"}),
            point(119.90, 31.80),
        ),
        feature(
            json!({"code": "OF-2", "name": "x", "outfall_type": "other", "town_code": "999999999"}),
            point(119.90, 31.80),
        ),
        feature(
            json!({"code": "OF-3", "name": "y", "outfall_type": "sewer", "colour": "red"}),
            point(119.90, 31.80),
        ),
        feature(
            json!({"code": "OF-4", "name": "z", "outfall_type": "other", "radius_m": 100}),
            point(119.90, 31.80),
        ),
        feature(
            json!({"code": "OF-5", "outfall_type": "other"}),
            point(119.90, 31.80),
        ),
    ]);
    let listed =
        rejections(import_text(&pool, second, SiteKind::Outfall, InputCrs::Wgs84, false).await);
    let summary: Vec<(usize, &str)> = listed
        .iter()
        .map(|r| (r.index, r.reason.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (0, "code OF-1 already exists (a stored outfall)"),
            (
                1,
                "unknown town_code 999999999: no such administrative area"
            ),
            (
                2,
                "attribute outfall_type: must be one of industrial, wwtp, agricultural, other; unknown attribute colour for kind outfall (known: outfall_type, receiving_water, stage)"
            ),
            (3, "radius_m applies only to key_zone, not outfall"),
            (4, "missing required property name"),
        ]
    );
    assert_eq!(site_count(&pool).await, 1);
}

#[sqlx::test]
async fn gauss_kruger_input_lands_within_half_a_metre(pool: PgPool) {
    // 常州 city centre
    let (lon, lat) = (119.946_123, 31.772_456);
    let (x, y) = cgcs2000_gk120(lon, lat);
    let text = collection(vec![feature(
        json!({"code": "MS-GK", "name": "断面", "level": "city"}),
        point(x, y),
    )]);
    import_text(
        &pool,
        text,
        SiteKind::MonitoringSection,
        InputCrs::Cgcs2000Gk120,
        false,
    )
    .await
    .unwrap();
    let metres = distance_to(&pool, "MS-GK", lon, lat).await;
    assert!(metres < 0.5, "EPSG:4549 point landed {metres} m away");

    let text = collection(vec![feature(
        json!({"code": "MS-GK40", "name": "断面", "level": "city"}),
        point(x + 40_000_000.0, y),
    )]);
    import_text(
        &pool,
        text,
        SiteKind::MonitoringSection,
        InputCrs::Cgcs2000Gk40,
        false,
    )
    .await
    .unwrap();
    let metres = distance_to(&pool, "MS-GK40", lon, lat).await;
    assert!(metres < 0.5, "EPSG:4528 point landed {metres} m away");

    // northing first is the classic survey mistake
    let text = collection(vec![feature(
        json!({"code": "MS-SW", "name": "断面", "level": "city"}),
        point(y, x),
    )]);
    let listed = rejections(
        import_text(
            &pool,
            text,
            SiteKind::MonitoringSection,
            InputCrs::Cgcs2000Gk120,
            false,
        )
        .await,
    );
    assert!(
        listed[0].reason.contains("look like swapped axes"),
        "{}",
        listed[0].reason
    );
}

#[sqlx::test]
async fn gcj02_input_lands_within_half_a_metre(pool: PgPool) {
    let (lon, lat) = (119.885_500, 31.815_250);
    let (glon, glat) = wgs84_to_gcj02(lon, lat);
    let shift = {
        let dx = (glon - lon) * 111_320.0 * lat.to_radians().cos();
        let dy = (glat - lat) * 110_574.0;
        (dx * dx + dy * dy).sqrt()
    };
    assert!(shift > 400.0, "GCJ-02 shifts about 500 m here, got {shift}");
    let text = collection(vec![feature(
        json!({"code": "OF-GCJ", "name": "新闸排口", "outfall_type": "other"}),
        point(glon, glat),
    )]);
    import_text(&pool, text, SiteKind::Outfall, InputCrs::Gcj02, false)
        .await
        .unwrap();
    let metres = distance_to(&pool, "OF-GCJ", lon, lat).await;
    assert!(metres < 0.5, "GCJ-02 point landed {metres} m away");
}

#[sqlx::test]
async fn declared_crs_must_match_the_requested_one(pool: PgPool) {
    let text = json!({
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4549"}},
        "features": [feature(json!({"code": "OF-1", "name": "a", "outfall_type": "other"}), point(494_000.0, 3_519_000.0))]
    })
    .to_string();
    let err = import_text(&pool, text, SiteKind::Outfall, InputCrs::Wgs84, false)
        .await
        .unwrap_err();
    let message = err.to_string();
    // the coordinates are also out of range for WGS84; either way nothing is written
    assert!(
        message.contains("EPSG:4549") || message.contains("out of range"),
        "{message}"
    );
    assert_eq!(site_count(&pool).await, 0);
}

#[sqlx::test]
async fn export_then_import_into_an_empty_database_gives_the_same_data(pool: PgPool) {
    remediation_tracker::seed::seed(&pool, &geodata_dir())
        .await
        .unwrap();
    let content = "SELECT md5(concat_ws('|',
        (SELECT string_agg(concat_ws(',', code, name, name_en, level, parent_code, approximate, source, ST_AsEWKB(geom)), ';' ORDER BY code) FROM admin_area),
        (SELECT string_agg(concat_ws(',', kind, code, name, name_en, town_code, placeholder, attrs, ST_AsEWKB(geom), radius_m, ST_AsEWKB(zone_geom)), ';' ORDER BY code) FROM site)))";
    let before: String = sqlx::query_scalar(content).fetch_one(&pool).await.unwrap();
    let sites_before = site_count(&pool).await;
    assert!(sites_before > 0);

    let targets: Vec<ImportTarget> = std::iter::once(ImportTarget::AdminArea)
        .chain(SiteKind::ALL.map(ImportTarget::Site))
        .collect();
    let mut files = Vec::new();
    for target in &targets {
        let mut out = Vec::new();
        export(&pool, *target, ExportFormat::Geojson, &mut out)
            .await
            .unwrap();
        files.push(String::from_utf8(out).unwrap());
    }
    sqlx::query("TRUNCATE project_site, project_event, project, programme_report, programme, site, admin_area CASCADE")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(site_count(&pool).await, 0);
    for (target, text) in targets.iter().zip(files) {
        import_target(&pool, text, *target, InputCrs::Wgs84, false)
            .await
            .unwrap();
    }
    let after: String = sqlx::query_scalar(content).fetch_one(&pool).await.unwrap();
    assert_eq!(site_count(&pool).await, sites_before);
    assert_eq!(before, after, "the round trip changed the data");
}

#[sqlx::test]
async fn csv_export_has_one_row_per_feature(pool: PgPool) {
    insert_towns(&pool).await;
    let text = collection(vec![
        feature(
            json!({"code": "KZ-1", "name": "重点区域, 一", "zone_type": "air_station"}),
            point(119.9, 31.8),
        ),
        feature(
            json!({"code": "KZ-2", "name": "二", "radius_m": 1500}),
            point(119.8, 31.8),
        ),
    ]);
    import_text(&pool, text, SiteKind::KeyZone, InputCrs::Wgs84, false)
        .await
        .unwrap();
    let mut out = Vec::new();
    let rows = export(
        &pool,
        ImportTarget::Site(SiteKind::KeyZone),
        ExportFormat::Csv,
        &mut out,
    )
    .await
    .unwrap();
    assert_eq!(rows, 2);
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "code,name,name_en,town_code,placeholder,radius_m,zone_type,description,campaign_category,campaign_programme,geometry_wkt"
    );
    assert_eq!(
        lines[1],
        r#"KZ-1,"重点区域, 一",,320404007,false,3000,air_station,,,,POINT(119.9 31.8)"#
    );
    assert_eq!(
        lines[2],
        r#"KZ-2,二,,320404116,false,1500,,,,,POINT(119.8 31.8)"#
    );
}
