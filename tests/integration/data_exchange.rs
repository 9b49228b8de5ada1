//! The rest of the data exchange: sheets of points in (coordinates in a Gauss-Krüger CRS, or a
//! site code placing the row), every export format read back by GDAL's own `ogrinfo` and by the
//! import, and the towns' monthly progress sheet updating projects through the lifecycle.

use crate::common::*;
use axum::http::StatusCode;
use remediation_tracker::domain::SiteKind;
use remediation_tracker::domain::account::Role;
use remediation_tracker::domain::choice::ExportFormat;
use remediation_tracker::domain::file_crs::parse_file_crs;
use remediation_tracker::export::{ExportLayer, export};
use remediation_tracker::import::{
    ImportError, ImportOptions, ImportTarget, OnExisting, VectorFileOptions, import_any,
};
use remediation_tracker::progress_sheet::{self, ProgressSheetError};
use rust_xlsxwriter::Workbook;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::path::{Path, PathBuf};
use std::process::Command;

async fn import_file(
    pool: &PgPool,
    path: &Path,
    kind: SiteKind,
    crs: Option<&str>,
) -> Result<u64, ImportError> {
    let mut tx = pool.begin().await.unwrap();
    let options = ImportOptions {
        target: ImportTarget::Site(kind),
        crs: remediation_tracker::domain::InputCrs::Wgs84,
        repair: false,
        on_existing: OnExisting::Reject,
    };
    let file = VectorFileOptions {
        crs: crs.map(|c| parse_file_crs(c).unwrap()),
        ..VectorFileOptions::default()
    };
    let (summary, _) = import_any(&mut tx, path, options, file).await?;
    tx.commit().await.unwrap();
    Ok(summary.inserted)
}

fn rejected(result: Result<u64, ImportError>) -> Vec<(usize, String)> {
    match result {
        Err(ImportError::Rejected { listed, unit, .. }) => {
            assert_eq!(unit, "row");
            listed.into_iter().map(|r| (r.index, r.reason)).collect()
        }
        other => panic!("expected rejected rows, got {other:?}"),
    }
}

/// Three outfalls, the second a name with brackets, in EPSG:4549 as a survey sheet has them.
const OUTFALLS: [(&str, &str, f64, f64); 3] = [
    ("OF-1", "新闸排口", 119.946_123, 31.772_456),
    ("OF-2", "邹区排口（北）", 119.812_345, 31.801_234),
    ("OF-3", "五星排口", 119.901_111, 31.765_432),
];

/// The outfalls as a survey sheet, with a remark column the kind does not have when `remark`.
fn outfall_sheet(dir: &Path, remark: bool) -> PathBuf {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let headers = ["编号", "名称", "outfall_type", "X", "Y", "受纳水体备注"];
    for (i, header) in headers[..if remark { 6 } else { 5 }].iter().enumerate() {
        sheet.write_string(0, i as u16, *header).unwrap();
    }
    for (row, (code, name, lon, lat)) in OUTFALLS.iter().enumerate() {
        let (x, y) = cgcs2000_gk120(*lon, *lat);
        let r = row as u32 + 1;
        sheet.write_string(r, 0, *code).unwrap();
        sheet.write_string(r, 1, *name).unwrap();
        sheet.write_string(r, 2, "industrial").unwrap();
        sheet.write_number(r, 3, x).unwrap();
        sheet.write_number(r, 4, y).unwrap();
        if remark {
            sheet.write_string(r, 5, "已复核").unwrap();
        }
    }
    let path = dir.join("排口台账.xlsx");
    workbook.save(&path).unwrap();
    path
}

#[sqlx::test]
async fn an_xlsx_of_gauss_kruger_points_imports_with_its_names(pool: PgPool) {
    insert_towns(&pool).await;
    let dir = tempfile::tempdir().unwrap();
    let sheet = outfall_sheet(dir.path(), true);
    // the unknown column is named, with its row, and nothing is written
    let refusals = rejected(import_file(&pool, &sheet, SiteKind::Outfall, Some("EPSG:4549")).await);
    assert_eq!(refusals.len(), 3);
    assert_eq!(refusals[0].0, 2, "the first data row is row 2");
    assert!(refusals[0].1.contains("受纳水体备注"), "{refusals:?}");

    let sheet = outfall_sheet(dir.path(), false);
    assert_eq!(
        import_file(&pool, &sheet, SiteKind::Outfall, Some("EPSG:4549"))
            .await
            .unwrap(),
        3
    );
    for (code, name, lon, lat) in OUTFALLS {
        let stored: String = sqlx::query_scalar("SELECT name FROM site WHERE code = $1")
            .bind(code)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(stored, name);
        let metres = distance_to(&pool, code, lon, lat).await;
        assert!(metres < 0.5, "{code} landed {metres} m away");
    }
}

#[sqlx::test]
async fn a_gbk_csv_places_rows_on_stored_sites_by_their_code(pool: PgPool) {
    insert_towns(&pool).await;
    let enterprise = collection(vec![feature(
        json!({"code": "EN-1", "name": "国礼纺织", "sectors": ["textile"]}),
        point(119.93, 31.78),
    )]);
    import_text(
        &pool,
        enterprise,
        SiteKind::Enterprise,
        remediation_tracker::domain::InputCrs::Wgs84,
        false,
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outfalls.csv");
    let text = "编号,名称,outfall_type,站点编码\nOF-9,国礼纺织排口,industrial,EN-1\nOF-10,无主排口,other,EN-404\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    std::fs::write(&path, &gbk).unwrap();
    let refusals = rejected(import_file(&pool, &path, SiteKind::Outfall, None).await);
    assert_eq!(
        refusals,
        [(3, "no stored site has the code EN-404".to_string())]
    );

    std::fs::write(
        &path,
        encoding_rs::GBK
            .encode("编号,名称,outfall_type,站点编码\nOF-9,国礼纺织排口,industrial,EN-1\n")
            .0,
    )
    .unwrap();
    assert_eq!(
        import_file(&pool, &path, SiteKind::Outfall, None)
            .await
            .unwrap(),
        1
    );
    let (name, metres): (String, f64) = sqlx::query_as(
        "SELECT o.name, ST_Distance(o.geom::geography, e.geom::geography)
         FROM site o, site e WHERE o.code = 'OF-9' AND e.code = 'EN-1'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((name.as_str(), metres), ("国礼纺织排口", 0.0));
}

fn ogrinfo(path: &Path, args: &[&str]) -> String {
    let output = Command::new("ogrinfo")
        .args(["-ro", "-al"])
        .args(args)
        .arg(path)
        .output()
        .expect("ogrinfo (Debian's gdal-bin) runs");
    assert!(
        output.status.success(),
        "ogrinfo {}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Plots of every kind of value: a Chinese name, a list, a number, a boolean.
async fn plots_and_a_project(pool: &PgPool) {
    insert_towns(pool).await;
    let plots = collection(vec![
        feature(
            json!({"code": "CP-1", "name": "原常州钢铁厂地块", "plot_stage": "remediation", "pollutants": ["苯并[a]芘", "铅"], "area_m2": 12500.5, "priority_list": true}),
            square(119.95, 31.78, 0.002),
        ),
        feature(
            json!({"code": "CP-2", "name": "邹区化工地块", "plot_stage": "survey"}),
            square(119.80, 31.80, 0.001),
        ),
    ]);
    import_text(
        pool,
        plots,
        SiteKind::ContaminatedPlot,
        remediation_tracker::domain::InputCrs::Wgs84,
        false,
    )
    .await
    .unwrap();
    let outfall = collection(vec![feature(
        json!({"code": "OF-1", "name": "新闸排口", "outfall_type": "industrial"}),
        point(119.94, 31.77),
    )]);
    import_text(
        pool,
        outfall,
        SiteKind::Outfall,
        remediation_tracker::domain::InputCrs::Wgs84,
        false,
    )
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO project (code, name, category, status, progress, town_code)
         VALUES ('P-1', '钢铁厂地块修复', 'soil', 'in_progress', 40, '320404007')",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO project_site (project_id, site_id)
         SELECT p.id, s.id FROM project p, site s WHERE p.code = 'P-1' AND s.code IN ('CP-1', 'OF-1')",
    )
    .execute(pool)
    .await
    .unwrap();
}

async fn export_to(pool: &PgPool, layer: ExportLayer, format: ExportFormat, path: &Path) -> u64 {
    let mut file = std::fs::File::create(path).unwrap();
    export(pool, layer, format, &mut file).await.unwrap()
}

/// The round trip: the plots emptied, then the export at `path` imported gives the same rows, as
/// `content` digests them.
async fn plots_come_back(
    pool: &PgPool,
    path: &Path,
    format: ExportFormat,
    content: &str,
    before: &str,
) {
    sqlx::raw_sql("DELETE FROM project_site; DELETE FROM site WHERE kind = 'contaminated_plot'")
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(
        import_file(pool, path, SiteKind::ContaminatedPlot, None)
            .await
            .unwrap_or_else(|e| panic!("{format}: {e}")),
        2
    );
    let after: String = sqlx::query_scalar(content).fetch_one(pool).await.unwrap();
    assert_eq!(before, after, "{format} changed the data");
}

#[sqlx::test]
async fn every_gdal_format_reads_back_in_ogrinfo_and_through_the_import(pool: PgPool) {
    plots_and_a_project(&pool).await;
    let plots = ExportLayer::Site(SiteKind::ContaminatedPlot);
    let dir = tempfile::tempdir().unwrap();
    // a Shapefile stores outer rings clockwise, so the rings are compared oriented alike
    let content = "SELECT string_agg(concat_ws('|', code, name, town_code, attrs, ST_AsEWKB(ST_ForcePolygonCCW(geom))), ';' ORDER BY code) FROM site WHERE kind = 'contaminated_plot'";
    let before: String = sqlx::query_scalar(content).fetch_one(&pool).await.unwrap();
    for (format, file) in [
        (ExportFormat::Gpkg, "plots.gpkg"),
        (ExportFormat::Shp, "plots.zip"),
        (ExportFormat::Kml, "plots.kml"),
        (ExportFormat::Fgb, "plots.fgb"),
        (ExportFormat::Geojson, "plots.geojson"),
    ] {
        let path = dir.path().join(file);
        assert_eq!(export_to(&pool, plots, format, &path).await, 2, "{format}");
        let read_path = if format == ExportFormat::Shp {
            PathBuf::from(format!("/vsizip/{}", path.display()))
        } else {
            path.clone()
        };
        let summary = ogrinfo(&read_path, &["-so"]);
        assert!(summary.contains("Feature Count: 2"), "{format}: {summary}");
        assert!(
            summary.contains("ID[\"EPSG\",4326]") || summary.contains("WGS 84"),
            "{format}: {summary}"
        );
        let all = ogrinfo(&read_path, &[]);
        assert!(all.contains("原常州钢铁厂地块"), "{format}: {all}");

        plots_come_back(&pool, &path, format, content, &before).await;
    }
}

#[sqlx::test]
async fn a_csv_and_an_xlsx_export_read_back_through_the_sheet_import(pool: PgPool) {
    plots_and_a_project(&pool).await;
    let plots = ExportLayer::Site(SiteKind::ContaminatedPlot);
    let dir = tempfile::tempdir().unwrap();
    let content = "SELECT string_agg(concat_ws('|', code, name, town_code, placeholder, attrs, ST_AsEWKB(geom)), ';' ORDER BY code) FROM site WHERE kind = 'contaminated_plot'";
    let before: String = sqlx::query_scalar(content).fetch_one(&pool).await.unwrap();
    for (format, file) in [
        (ExportFormat::Csv, "plots.csv"),
        (ExportFormat::Xlsx, "plots.xlsx"),
    ] {
        let path = dir.path().join(file);
        assert_eq!(export_to(&pool, plots, format, &path).await, 2, "{format}");
        plots_come_back(&pool, &path, format, content, &before).await;
    }
}

#[sqlx::test]
async fn a_shapefile_export_zips_prj_cpg_and_the_long_names(pool: PgPool) {
    plots_and_a_project(&pool).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("projects.zip");
    assert_eq!(
        export_to(&pool, ExportLayer::Project, ExportFormat::Shp, &path).await,
        1
    );
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    let mut names: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .map(|n| n.into_owned())
        .collect();
    names.sort();
    // the project's sites are a polygon and a point: a Shapefile for each dimension
    assert_eq!(
        names,
        [
            "fields.csv",
            "project_point.cpg",
            "project_point.dbf",
            "project_point.prj",
            "project_point.shp",
            "project_point.shx",
            "project_polygon.cpg",
            "project_polygon.dbf",
            "project_polygon.prj",
            "project_polygon.shp",
            "project_polygon.shx",
        ]
    );
    let mut cpg = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("project_point.cpg").unwrap(), &mut cpg)
        .unwrap();
    assert_eq!(cpg.trim(), "UTF-8");
    let mut fields = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("fields.csv").unwrap(), &mut fields)
        .unwrap();
    assert!(fields.contains("responsibl,responsible_unit"), "{fields}");
    assert!(fields.contains("planned_st,planned_start"), "{fields}");
    let polygons = ogrinfo(
        &PathBuf::from(format!("/vsizip/{}/project_polygon.shp", path.display())),
        &[],
    );
    assert!(polygons.contains("钢铁厂地块修复"), "{polygons}");
    assert!(
        polygons.contains("site_codes (String) = CP-1,OF-1"),
        "{polygons}"
    );
}

#[sqlx::test]
async fn the_api_exports_a_selection_and_the_ogc_collections_offer_downloads(pool: PgPool) {
    plots_and_a_project(&pool).await;
    let api = crate::api::Api::new(pool.clone());
    let (status, headers, bytes) = api
        .send_raw(
            axum::http::Request::get(
                "/api/export?kind=contaminated_plot&format=gpkg&bbox=119.9,31.7,120.0,31.9",
            )
            .body(axum::body::Body::empty())
            .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/geopackage+sqlite3");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("selection.gpkg");
    std::fs::write(&path, bytes).unwrap();
    let listed = ogrinfo(&path, &[]);
    assert!(listed.contains("Feature Count: 1"), "{listed}");
    assert!(
        listed.contains("CP-1") && !listed.contains("CP-2"),
        "{listed}"
    );

    let reply = api.get("/api/export?kind=lake").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let reply = api.get("/api/export?kind=outfall&format=dwg").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);

    let reply = api.get("/ogc/collections/contaminated_plot").await;
    let enclosures: Vec<&str> = reply.body["links"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["rel"] == "enclosure")
        .map(|l| l["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        enclosures,
        ["application/geopackage+sqlite3", "application/flatgeobuf"]
    );
    let (status, headers, bytes) = api
        .send_raw(
            axum::http::Request::get("/ogc/collections/projects/items")
                .header("accept", "application/flatgeobuf")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/flatgeobuf");
    let path = dir.path().join("projects.fgb");
    std::fs::write(&path, bytes).unwrap();
    let listed = ogrinfo(&path, &[]);
    assert!(
        listed.contains("Feature Count: 1") && listed.contains("P-1"),
        "{listed}"
    );
}

#[sqlx::test]
async fn staff_only_attributes_leave_with_staff_only(pool: PgPool) {
    insert_towns(&pool).await;
    let firm = collection(vec![feature(
        json!({"code": "EN-1", "name": "国礼纺织", "sectors": ["textile", "rain_sewage"], "contact_phone": "13800000000"}),
        point(119.93, 31.78),
    )]);
    import_text(
        &pool,
        firm,
        SiteKind::Enterprise,
        remediation_tracker::domain::InputCrs::Wgs84,
        false,
    )
    .await
    .unwrap();
    let api = crate::api::Api::new(pool.clone());
    let uri = "/api/export?kind=enterprise&format=csv";
    let text = String::from_utf8(get_bytes(&api, uri, None).await).unwrap();
    assert!(
        !text.contains("13800000000") && !text.contains("contact_phone"),
        "{text}"
    );
    let token = crate::api::user_with_token(&pool, "zhao", Role::Viewer).await;
    let text = String::from_utf8(get_bytes(&api, uri, Some(&token)).await).unwrap();
    assert!(text.contains("13800000000"), "{text}");
    assert!(text.contains(r#"[""textile"",""rain_sewage""]"#), "{text}");
}

async fn get_bytes(api: &crate::api::Api, uri: &str, token: Option<&str>) -> Vec<u8> {
    let mut request = axum::http::Request::get(uri);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let (status, _, bytes) = api
        .send_raw(request.body(axum::body::Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK, "{uri}");
    bytes
}

/// Projects in the states a town's sheet moves them from.
async fn town_projects(pool: &PgPool) {
    insert_towns(pool).await;
    sqlx::query(
        "INSERT INTO project (code, name, category, status, progress, stage) VALUES
           ('ZL-1', '新闸雨污分流', 'water', 'planned', 0, NULL),
           ('ZL-2', '邹区管网修复', 'water', 'in_progress', 30, 'construction'),
           ('ZL-3', '五星河道清淤', 'water', 'cancelled', 0, NULL)",
    )
    .execute(pool)
    .await
    .unwrap();
}

fn progress_xlsx(rows: &[[&str; 5]]) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (i, header) in ["项目编号", "状态", "进度", "阶段", "备注"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, i as u16, *header).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string(r as u32 + 1, c as u16, *cell).unwrap();
            }
        }
    }
    workbook.save_to_buffer().unwrap()
}

async fn events(pool: &PgPool) -> Vec<(String, String, Option<String>, Option<Value>)> {
    sqlx::query_as(
        "SELECT p.code, e.kind, e.note, e.changes FROM project_event e JOIN project p ON p.id = e.project_id
         ORDER BY e.id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn a_progress_sheet_previews_then_updates_through_the_lifecycle(pool: PgPool) {
    town_projects(&pool).await;
    let actor = remediation_tracker::db::events::Actor {
        id: None,
        name: "test".into(),
    };
    let sheet = progress_xlsx(&[
        ["ZL-1", "在建", "20", "施工", "6月进场"],
        ["ZL-2", "in_progress", "30", "construction", ""],
    ]);
    let mut tx = pool.begin().await.unwrap();
    let preview = progress_sheet::update(&mut tx, &actor, &sheet, "6月进度.xlsx", true)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!((preview.changed, preview.unchanged), (1, 1));
    let today: String = sqlx::query_scalar("SELECT current_date::text")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(preview.changes[0].row, 2);
    assert_eq!(
        Value::Object(preview.changes[0].changes.clone()),
        json!({
            "status": {"before": "planned", "after": "in_progress"},
            "actual_start": {"before": null, "after": today},
            "stage": {"before": null, "after": "施工"},
            "progress": {"before": 0, "after": 20},
        })
    );
    assert!(events(&pool).await.is_empty(), "a dry run writes nothing");

    let mut tx = pool.begin().await.unwrap();
    let applied = progress_sheet::update(&mut tx, &actor, &sheet, "6月进度.xlsx", false)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(applied.changed, 1);
    let recorded = events(&pool).await;
    let note = "imported from 6月进度.xlsx, row 2: 6月进场".to_string();
    assert_eq!(
        recorded.len(),
        2,
        "a status event and an edit event: {recorded:?}"
    );
    assert_eq!(
        (recorded[0].0.as_str(), recorded[0].1.as_str()),
        ("ZL-1", "status")
    );
    assert_eq!(recorded[0].2.as_ref(), Some(&note));
    assert_eq!(
        recorded[0].3,
        Some(json!({"actual_start": {"before": null, "after": today}})),
        "the status event holds what the transition filled in"
    );
    assert_eq!(
        (recorded[1].0.as_str(), recorded[1].1.as_str()),
        ("ZL-1", "edit")
    );
    assert_eq!(recorded[1].2.as_ref(), Some(&note));
    assert_eq!(
        recorded[1].3,
        Some(
            json!({"stage": {"before": null, "after": "施工"}, "progress": {"before": 0, "after": 20}})
        )
    );
    let (status, progress): (String, i16) =
        sqlx::query_as("SELECT status, progress FROM project WHERE code = 'ZL-1'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), progress), ("in_progress", 20));
}

#[sqlx::test]
async fn a_refused_transition_names_its_row_and_nothing_is_written(pool: PgPool) {
    town_projects(&pool).await;
    let actor = remediation_tracker::db::events::Actor {
        id: None,
        name: "test".into(),
    };
    let sheet = progress_xlsx(&[
        ["ZL-1", "完工", "", "", ""],
        ["ZL-2", "", "120", "", ""],
        ["ZL-3", "在建", "", "", ""],
        ["ZL-9", "在建", "", "", ""],
        ["ZL-2", "暂缓", "", "", ""],
    ]);
    let mut tx = pool.begin().await.unwrap();
    let refused = match progress_sheet::update(&mut tx, &actor, &sheet, "t.xlsx", false).await {
        Err(ProgressSheetError::Rejected(summary)) => summary,
        other => panic!("expected a refusal, got {other:?}"),
    };
    tx.rollback().await.unwrap();
    let reasons: Vec<(usize, Option<&str>, &str)> = refused
        .rejected
        .iter()
        .map(|r| (r.row, r.column.as_deref(), r.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            (3, Some("进度"), "120 is not a whole progress from 0 to 100"),
            (
                2,
                None,
                "a project cannot go from planned to completed; allowed from planned: preparing, in_progress, suspended, cancelled"
            ),
            (
                4,
                None,
                "a project cannot go from cancelled to in_progress; allowed from cancelled: none: it is final"
            ),
            (5, Some("项目编号"), "there is no project ZL-9"),
            (
                6,
                None,
                "a suspension needs its reason in the note column (备注)"
            ),
        ]
    );
    assert!(events(&pool).await.is_empty());
}

#[sqlx::test]
async fn the_web_app_updates_projects_from_a_sheet_as_an_editor(pool: PgPool) {
    town_projects(&pool).await;
    let api = crate::api::Api::new(pool.clone());
    let editor = crate::api::user_with_token(&pool, "li", Role::Editor).await;
    let viewer = crate::api::user_with_token(&pool, "wang", Role::Viewer).await;
    let sheet = progress_xlsx(&[["ZL-1", "前期准备", "5", "", ""]]);
    let post = |token: Option<String>, query: &'static str, body: Vec<u8>| {
        let api = &api;
        async move {
            api.post_bytes(
                &format!("/api/projects/update?{query}"),
                token.as_deref(),
                body,
            )
            .await
        }
    };
    // who asks comes first, before the body is looked at
    assert_eq!(
        post(None, "file_name=a.xlsx", b"junk".to_vec()).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post(Some(viewer), "file_name=a.xlsx", sheet.clone())
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = post(
        Some(editor.clone()),
        "file_name=a.xlsx&dry_run=true",
        sheet.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["changes"][0]["changes"]["status"],
        json!({"before": "planned", "after": "preparing"})
    );
    assert_eq!(body["dry_run"], true);
    let (status, body) = post(Some(editor.clone()), "file_name=a.xlsx", sheet).await;
    assert_eq!(
        (status, body["changed"].clone()),
        (StatusCode::OK, json!(1))
    );
    let (status, body) = post(
        Some(editor),
        "file_name=b.csv",
        "项目编号,状态\nZL-1,计划外\n".as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["rejected"][0]["row"], 2);
}
