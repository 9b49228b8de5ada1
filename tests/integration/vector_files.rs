//! Import of the files a bureau receives, read through GDAL: fixtures made in the test run by
//! GDAL's own `ogr2ogr` from a GeoJSON of ours (a Shapefile in EPSG:4549 with a GBK DBF, with and
//! without its `.cpg`, zipped; a GeoPackage of two layers; a KML; a DXF), each imported with its
//! Chinese names intact and its points within 0.5 m, and the bad cases named.

use crate::common::*;
use remediation_tracker::domain::SiteKind;
use remediation_tracker::domain::file_crs::{FileCrs, parse_file_crs};
use remediation_tracker::import::{
    FileFacts, ImportError, ImportOptions, ImportSummary, ImportTarget, OnExisting, TextEncoding,
    VectorFileOptions, import_vector_file,
};
use serde_json::json;
use sqlx::PgPool;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Two monitoring sections, one with brackets of the full-width kind, as a bureau names them.
const SECTIONS: [(&str, &str, &str, f64, f64); 2] = [
    ("MS-A", "新闸断面", "city", 119.946_123, 31.772_456),
    (
        "MS-B",
        "邹区断面（河口）",
        "district",
        119.812_345,
        31.801_234,
    ),
];

fn sections_geojson(dir: &Path) -> PathBuf {
    let features: Vec<_> = SECTIONS
        .iter()
        .map(|(code, name, level, lon, lat)| {
            feature(
                json!({"code": code, "name": name, "level": level}),
                point(*lon, *lat),
            )
        })
        .collect();
    let path = dir.join("sections.geojson");
    std::fs::write(&path, collection(features)).unwrap();
    path
}

/// `source` written by ogr2ogr as `driver` in `srs`.
fn translate(source: &Path, out: &Path, driver: &str, srs: &str) {
    ogr2ogr(&[
        "-f",
        driver,
        "-t_srs",
        srs,
        out.to_str().unwrap(),
        source.to_str().unwrap(),
    ]);
}

fn ogr2ogr(args: &[&str]) {
    let output = Command::new("ogr2ogr")
        .args(args)
        .output()
        .expect("ogr2ogr (Debian's gdal-bin) runs");
    assert!(
        output.status.success(),
        "ogr2ogr {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn import(
    pool: &PgPool,
    path: &Path,
    kind: SiteKind,
    file: VectorFileOptions,
) -> Result<(ImportSummary, FileFacts), ImportError> {
    let mut tx = pool.begin().await.unwrap();
    let options = ImportOptions {
        target: ImportTarget::Site(kind),
        crs: remediation_tracker::domain::InputCrs::Wgs84,
        repair: false,
        on_existing: OnExisting::Reject,
    };
    let result = import_vector_file(&mut tx, path, options, file).await;
    if result.is_ok() {
        tx.commit().await.unwrap();
    }
    result
}

fn unreadable(result: Result<(ImportSummary, FileFacts), ImportError>) -> String {
    match result {
        Err(ImportError::Unreadable(message)) => message,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Every section stored with its name, and within 0.5 m of where it was drawn.
async fn assert_sections_stored(pool: &PgPool) {
    for (code, name, level, lon, lat) in SECTIONS {
        let (stored_name, stored_level): (String, Option<String>) =
            sqlx::query_as("SELECT name, attrs->>'level' FROM site WHERE code = $1")
                .bind(code)
                .fetch_one(pool)
                .await
                .unwrap();
        assert_eq!(
            (stored_name.as_str(), stored_level.as_deref()),
            (name, Some(level))
        );
        let metres = distance_to(pool, code, lon, lat).await;
        assert!(metres < 0.5, "{code} landed {metres} m away");
    }
}

async fn sites(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM site")
        .fetch_one(pool)
        .await
        .unwrap()
}

fn gbk_shapefile(dir: &Path, source: &Path, name: &str) -> PathBuf {
    let shp = dir.join(format!("{name}.shp"));
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        "-t_srs",
        "EPSG:4549",
        "-lco",
        "ENCODING=GBK",
        shp.to_str().unwrap(),
        source.to_str().unwrap(),
    ]);
    shp
}

fn zip_shapefile(shp: &Path) -> PathBuf {
    use std::io::Write;
    let zipped = shp.with_extension("zip");
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&zipped).unwrap());
    for ext in ["shp", "shx", "dbf", "prj", "cpg"] {
        let part = shp.with_extension(ext);
        if let Ok(bytes) = std::fs::read(&part) {
            let name = part.file_name().unwrap().to_str().unwrap().to_string();
            writer
                .start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            writer.write_all(&bytes).unwrap();
        }
    }
    writer.finish().unwrap();
    zipped
}

#[sqlx::test]
async fn a_gauss_kruger_shapefile_with_a_gbk_dbf_imports_zipped_with_its_names(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let source = sections_geojson(dir.path());
    let shp = gbk_shapefile(dir.path(), &source, "断面");
    assert_eq!(
        std::fs::read_to_string(shp.with_extension("cpg")).unwrap(),
        "GBK"
    );
    let (summary, facts) = import(
        &pool,
        &zip_shapefile(&shp),
        SiteKind::MonitoringSection,
        VectorFileOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(summary.inserted, 2);
    assert_eq!(
        (
            facts.driver.as_str(),
            facts.crs.as_str(),
            facts.crs_from,
            facts.encoding.clone()
        ),
        (
            "ESRI Shapefile",
            "EPSG:4549 CGCS2000 / 3-degree Gauss-Kruger CM 120E",
            "file",
            Some(TextEncoding {
                name: "GBK".into(),
                from: "cpg"
            })
        )
    );
    assert_sections_stored(&pool).await;
}

#[sqlx::test]
async fn a_dbf_without_cpg_has_its_encoding_detected_or_given(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let source = sections_geojson(dir.path());
    let shp = gbk_shapefile(dir.path(), &source, "sections");
    std::fs::remove_file(shp.with_extension("cpg")).unwrap();
    let (_, facts) = import(
        &pool,
        &shp,
        SiteKind::MonitoringSection,
        VectorFileOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        facts.encoding,
        Some(TextEncoding {
            name: "GB18030".into(),
            from: "detected"
        })
    );
    assert_sections_stored(&pool).await;

    // a wrong encoding given by hand is visible in what arrives, not silently right
    sqlx::query("DELETE FROM site")
        .execute(&pool)
        .await
        .unwrap();
    let given = VectorFileOptions {
        encoding: Some("ISO-8859-1".into()),
        ..VectorFileOptions::default()
    };
    let (_, facts) = import(&pool, &shp, SiteKind::MonitoringSection, given)
        .await
        .unwrap();
    assert_eq!(
        facts.encoding,
        Some(TextEncoding {
            name: "ISO-8859-1".into(),
            from: "--encoding"
        })
    );
    let name: String = sqlx::query_scalar("SELECT name FROM site WHERE code = 'MS-A'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_ne!(name, "新闸断面");
}

#[sqlx::test]
async fn a_geopackage_of_two_layers_asks_which_one(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let source = sections_geojson(dir.path());
    let gpkg = dir.path().join("survey.gpkg");
    let gpkg_text = gpkg.to_str().unwrap();
    ogr2ogr(&[
        "-f",
        "GPKG",
        "-t_srs",
        "EPSG:4528",
        "-nln",
        "sections",
        gpkg_text,
        source.to_str().unwrap(),
    ]);
    ogr2ogr(&[
        "-update",
        "-nln",
        "copy",
        gpkg_text,
        source.to_str().unwrap(),
    ]);
    let message = unreadable(
        import(
            &pool,
            &gpkg,
            SiteKind::MonitoringSection,
            VectorFileOptions::default(),
        )
        .await,
    );
    assert_eq!(
        message,
        "the file has 2 layers (sections, copy): choose one with --layer"
    );
    let message = unreadable(
        import(
            &pool,
            &gpkg,
            SiteKind::MonitoringSection,
            VectorFileOptions {
                layer: Some("河流".into()),
                ..Default::default()
            },
        )
        .await,
    );
    assert_eq!(
        message,
        "the file has no layer \"河流\" (its layers: sections, copy)"
    );
    let (summary, facts) = import(
        &pool,
        &gpkg,
        SiteKind::MonitoringSection,
        VectorFileOptions {
            layer: Some("sections".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (summary.inserted, facts.crs_epsg, facts.layer.as_str()),
        (2, 4528, "sections")
    );
    assert_sections_stored(&pool).await;
}

#[sqlx::test]
async fn a_kml_imports_its_placemarks_by_name(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let source = sections_geojson(dir.path());
    let kml = dir.path().join("points.kml");
    ogr2ogr(&["-f", "KML", kml.to_str().unwrap(), source.to_str().unwrap()]);
    let (summary, facts) = import(
        &pool,
        &kml,
        SiteKind::MonitoringSection,
        VectorFileOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!((summary.inserted, facts.crs_epsg), (2, 4326));
    assert_sections_stored(&pool).await;
}

#[sqlx::test]
async fn a_dxf_needs_its_crs_given(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let source = sections_geojson(dir.path());
    let dxf = dir.path().join("drawing.dxf");
    translate(&source, &dxf, "DXF", "EPSG:4549");
    let message = unreadable(
        import(
            &pool,
            &dxf,
            SiteKind::MonitoringSection,
            VectorFileOptions::default(),
        )
        .await,
    );
    assert!(
        message.starts_with("the file names no CRS (a DXF never does): pass --crs"),
        "{message}"
    );
    // a drawing carries no codes or names: each entity is refused, naming what is missing
    let given = VectorFileOptions {
        crs: Some(parse_file_crs("EPSG:4549").unwrap()),
        ..Default::default()
    };
    match import(&pool, &dxf, SiteKind::MonitoringSection, given).await {
        Err(ImportError::Rejected { total, listed, .. }) => {
            assert_eq!(total, 2);
            assert_eq!(listed[0].index, 0);
            assert!(
                listed[0].reason.contains("missing required property code"),
                "{}",
                listed[0].reason
            );
        }
        other => panic!("expected rejections, got {other:?}"),
    }
    assert_eq!(sites(&pool).await, 0);
}

#[sqlx::test]
async fn an_unrecognised_prj_and_a_bad_ring_are_refused_by_name(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let source = sections_geojson(dir.path());
    let mercator = dir.path().join("web.shp");
    translate(&source, &mercator, "ESRI Shapefile", "EPSG:3857");
    let message = unreadable(
        import(
            &pool,
            &mercator,
            SiteKind::MonitoringSection,
            VectorFileOptions::default(),
        )
        .await,
    );
    assert!(
        message.starts_with(
            "the file's CRS (WGS 84 / Pseudo-Mercator) is not one the import recognises"
        ),
        "{message}"
    );

    // the declared CRS and --crs must agree
    let shp = gbk_shapefile(dir.path(), &source, "gk");
    let other = VectorFileOptions {
        crs: Some(FileCrs::from_epsg(4528).unwrap()),
        ..Default::default()
    };
    let message = unreadable(import(&pool, &shp, SiteKind::MonitoringSection, other).await);
    assert_eq!(
        message,
        "the file declares EPSG:4549 CGCS2000 / 3-degree Gauss-Kruger CM 120E but the import was asked for EPSG:4528 CGCS2000 / 3-degree Gauss-Kruger zone 40: pass --crs EPSG:4549 or leave it out"
    );

    // a self-intersecting plot in a GeoPackage: named by its index and its code, nothing written
    let plots = dir.path().join("plots.geojson");
    std::fs::write(
        &plots,
        collection(vec![
            feature(json!({"code": "CP-1", "name": "地块一", "plot_stage": "listed"}), square(119.9, 31.8, 0.001)),
            feature(
                json!({"code": "CP-2", "name": "地块二", "plot_stage": "listed"}),
                json!({"type": "Polygon", "coordinates": [[[119.90, 31.80], [119.91, 31.81], [119.91, 31.80], [119.90, 31.81], [119.90, 31.80]]]}),
            ),
        ]),
    )
    .unwrap();
    let gpkg = dir.path().join("plots.gpkg");
    ogr2ogr(&[
        "-f",
        "GPKG",
        gpkg.to_str().unwrap(),
        plots.to_str().unwrap(),
    ]);
    match import(
        &pool,
        &gpkg,
        SiteKind::ContaminatedPlot,
        VectorFileOptions::default(),
    )
    .await
    {
        Err(ImportError::Rejected { listed, .. }) => {
            assert_eq!(listed.len(), 1);
            assert_eq!(
                (listed[0].index, listed[0].code.as_deref()),
                (1, Some("CP-2"))
            );
            assert!(
                listed[0]
                    .reason
                    .starts_with("invalid geometry: Self-intersection"),
                "{}",
                listed[0].reason
            );
        }
        other => panic!("expected rejections, got {other:?}"),
    }
    assert_eq!(sites(&pool).await, 0, "a rejected file writes nothing");
}

#[sqlx::test]
async fn a_flatgeobuf_and_a_kmz_import_and_an_unknown_value_is_named(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let source = sections_geojson(dir.path());
    let fgb = dir.path().join("sections.fgb");
    translate(&source, &fgb, "FlatGeobuf", "EPSG:4549");
    let (summary, facts) = import(
        &pool,
        &fgb,
        SiteKind::MonitoringSection,
        VectorFileOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        (summary.inserted, facts.driver.as_str(), facts.crs_epsg),
        (2, "FlatGeobuf", 4549)
    );
    assert_sections_stored(&pool).await;

    sqlx::query("DELETE FROM site")
        .execute(&pool)
        .await
        .unwrap();
    let kmz = dir.path().join("points.kmz");
    ogr2ogr(&[
        "-f",
        "LIBKML",
        kmz.to_str().unwrap(),
        source.to_str().unwrap(),
    ]);
    let (summary, _) = import(
        &pool,
        &kmz,
        SiteKind::MonitoringSection,
        VectorFileOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(summary.inserted, 2);
    assert_sections_stored(&pool).await;

    // a level no monitoring section has, in a Shapefile: refused naming the field and what it may be
    let odd = dir.path().join("odd.geojson");
    std::fs::write(
        &odd,
        collection(vec![feature(
            json!({"code": "MS-X", "name": "村级断面", "level": "村级"}),
            point(119.9, 31.8),
        )]),
    )
    .unwrap();
    let shp = gbk_shapefile(dir.path(), &odd, "odd");
    match import(
        &pool,
        &shp,
        SiteKind::MonitoringSection,
        VectorFileOptions::default(),
    )
    .await
    {
        Err(ImportError::Rejected { listed, .. }) => {
            assert_eq!(
                (listed[0].index, listed[0].code.as_deref()),
                (0, Some("MS-X"))
            );
            assert_eq!(
                listed[0].reason,
                "attribute level: must be one of national, provincial, city, district"
            );
        }
        other => panic!("expected rejections, got {other:?}"),
    }
}

async fn post_file(
    api: &crate::api::Api,
    token: Option<&str>,
    query: &str,
    bytes: Vec<u8>,
) -> (axum::http::StatusCode, serde_json::Value) {
    api.post_bytes(&format!("/api/imports?{query}"), token, bytes)
        .await
}

#[sqlx::test]
async fn the_web_app_previews_then_imports_a_zipped_shapefile(pool: PgPool) {
    use axum::http::StatusCode;
    use remediation_tracker::domain::account::Role;
    let api = crate::api::Api::new(pool.clone());
    let editor = crate::api::user_with_token(&pool, "li", Role::Editor).await;
    let viewer = crate::api::user_with_token(&pool, "wang", Role::Viewer).await;
    let dir = tempfile::tempdir().unwrap();
    let source = sections_geojson(dir.path());
    let zipped = std::fs::read(zip_shapefile(&gbk_shapefile(dir.path(), &source, "断面"))).unwrap();
    let query = "kind=monitoring_section&file_name=%E6%96%AD%E9%9D%A2.zip";

    // who asks comes first: nobody learns anything of the file without the right role
    assert_eq!(
        post_file(&api, None, query, zipped.clone()).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post_file(&api, Some(&viewer), query, zipped.clone())
            .await
            .0,
        StatusCode::FORBIDDEN
    );

    let (status, preview) = post_file(
        &api,
        Some(&editor),
        &format!("{query}&dry_run=true"),
        zipped.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(
        (
            &preview["read"],
            &preview["inserted"],
            &preview["rejected_total"],
            &preview["found"]["crs"],
            &preview["found"]["encoding"]
        ),
        (
            &json!(2),
            &json!(0),
            &json!(0),
            &json!("EPSG:4549 CGCS2000 / 3-degree Gauss-Kruger CM 120E"),
            &json!({"name": "GBK", "from": "cpg"})
        )
    );
    assert_eq!(sites(&pool).await, 0, "a preview writes nothing");

    let (status, done) = post_file(&api, Some(&editor), query, zipped.clone()).await;
    assert_eq!(
        (status, &done["inserted"]),
        (StatusCode::OK, &json!(2)),
        "{done}"
    );
    assert_sections_stored(&pool).await;
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE action = 'import'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audited, 1);

    // again: every feature refused by code, with what the file holds, and nothing written
    let (status, refused) = post_file(&api, Some(&editor), query, zipped.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["rejected_total"], 2);
    assert_eq!(refused["rejected"][0]["code"], "MS-A");
    assert_eq!(refused["found"]["layer"], "断面");
    assert_eq!(sites(&pool).await, 2);

    let (status, bad) = post_file(
        &api,
        Some(&editor),
        "kind=monitoring_section&file_name=x.docx",
        zipped,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        bad["detail"]
            .as_str()
            .unwrap()
            .starts_with("file_name \"x.docx\" must end in .geojson"),
        "{bad}"
    );
    let (status, bad) = post_file(
        &api,
        Some(&editor),
        "kind=monitoring_section&file_name=x.gpkg",
        b"not a geopackage".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        bad["detail"]
            .as_str()
            .unwrap()
            .contains("is not a vector file GDAL can read"),
        "{bad}"
    );
    assert!(
        !bad["detail"].as_str().unwrap().contains("/tmp"),
        "the staging path is not told: {bad}"
    );
}

#[sqlx::test]
async fn a_mapping_names_the_fields_a_bureau_calls_otherwise(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.geojson");
    let features: Vec<_> = SECTIONS
        .iter()
        .map(|(code, name, level, lon, lat)| {
            feature(
                json!({"断面编号": code, "断面名": name, "级别": level, "备注": "抽测"}),
                point(*lon, *lat),
            )
        })
        .collect();
    std::fs::write(&ledger, collection(features)).unwrap();
    let gpkg = dir.path().join("ledger.gpkg");
    translate(&ledger, &gpkg, "GPKG", "EPSG:4549");

    // without a mapping every feature is refused, naming what is missing
    match import(
        &pool,
        &gpkg,
        SiteKind::MonitoringSection,
        VectorFileOptions::default(),
    )
    .await
    {
        Err(ImportError::Rejected { total, listed, .. }) => {
            assert_eq!(total, 2);
            assert!(
                listed[0].reason.contains("missing required property code"),
                "{}",
                listed[0].reason
            );
        }
        other => panic!("expected rejections, got {other:?}"),
    }
    let mapping = remediation_tracker::import::parse_mapping(
        r#"{"断面编号": "code", "断面名": "name", "级别": "level", "备注": null}"#,
    )
    .unwrap();
    let (summary, facts) = import(
        &pool,
        &gpkg,
        SiteKind::MonitoringSection,
        VectorFileOptions {
            mapping,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(summary.inserted, 2);
    assert_eq!(facts.fields, ["断面编号", "断面名", "级别", "备注"]);
    assert_sections_stored(&pool).await;

    for (text, message) in [
        (
            "[1]",
            "the mapping must be a JSON object of file field → property (or null to leave the field out)",
        ),
        (
            r#"{"a": 3}"#,
            "the mapping of field \"a\" must be a property name or null, not 3",
        ),
    ] {
        assert_eq!(
            remediation_tracker::import::parse_mapping(text).unwrap_err(),
            message
        );
    }
    assert!(
        remediation_tracker::import::parse_mapping("{")
            .unwrap_err()
            .starts_with("the mapping is not JSON")
    );
}

#[sqlx::test]
async fn a_dbf_gives_back_cut_names_and_booleans(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("plots.geojson");
    std::fs::write(
        &source,
        collection(vec![feature(
            json!({"code": "CP-DBF", "name": "示意地块", "placeholder": true, "plot_stage": "listed",
                   "land_use_class": 2, "control_mode": "engineering"}),
            square(119.9, 31.8, 0.001),
        )]),
    )
    .unwrap();
    // the DBF keeps placeholde, land_use_c and control_mo, and the boolean as 1
    let shp = gbk_shapefile(dir.path(), &source, "plots");
    let (summary, facts) = import(
        &pool,
        &shp,
        SiteKind::ContaminatedPlot,
        VectorFileOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(summary.inserted, 1);
    assert_eq!(
        facts.fields,
        [
            "code",
            "name",
            "placeholde",
            "plot_stage",
            "land_use_c",
            "control_mo"
        ]
    );
    let (placeholder, attrs): (bool, serde_json::Value) =
        sqlx::query_as("SELECT placeholder, attrs FROM site WHERE code = 'CP-DBF'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(placeholder);
    assert_eq!(
        attrs,
        json!({"plot_stage": "listed", "land_use_class": 2, "control_mode": "engineering"})
    );
}
