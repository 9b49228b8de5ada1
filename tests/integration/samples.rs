//! Measurements: the lab's sheets imported all or nothing with every problem named, Chinese
//! headers and units, xlsx dates, grading stored on the sites, and assessments with exact means.

use crate::api::{Api, user_with_token};
use crate::common::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use remediation_tracker::db::samples;
use remediation_tracker::domain::account::Role;
use remediation_tracker::domain::monitoring::{Measured, PARAMETERS, parameter::Medium};
use remediation_tracker::domain::{InputCrs, SiteKind};
use serde_json::{Value, json};
use sqlx::PgPool;

async fn monitored_sites(pool: &PgPool) {
    insert_towns(pool).await;
    let sites = [
        (
            SiteKind::MonitoringSection,
            collection(vec![
                feature(
                    json!({"code": "SEC-1", "name": "童子河桥", "level": "city", "water_target": "III"}),
                    point(119.86, 31.80),
                ),
                feature(
                    json!({"code": "SEC-2", "name": "湖心", "level": "district", "water_body": "lake", "water_target": "IV"}),
                    point(119.87, 31.80),
                ),
            ]),
        ),
        (
            SiteKind::BlackOdorWater,
            collection(vec![feature(
                json!({"code": "BO-1", "name": "大周村中河", "category": "tributary"}),
                json!({"type": "LineString", "coordinates": [[119.880, 31.810], [119.882, 31.810]]}),
            )]),
        ),
        (
            SiteKind::ContaminatedPlot,
            collection(vec![feature(
                json!({"code": "CP-1", "name": "地块", "plot_stage": "listed", "land_use_class": 1}),
                square(119.95, 31.75, 0.001),
            )]),
        ),
    ];
    for (kind, text) in sites {
        import_text(pool, text, kind, InputCrs::Wgs84, false)
            .await
            .unwrap();
    }
}

const JUNE: &str = "断面编码,采样时间,溶解氧(mg/L),氨氮(mg/L),总磷(mg/L),总氮(mg/L),透明度(cm)
SEC-1,2025-06-03 09:30,6.5,1.20,0.15,3.1,
SEC-1,2025-06-17 09:30,5.8,1.60,<0.02,2.9,
SEC-2,2025-06-05,7.6,0.40,0.08,1.2,
BO-1,2025-06-10 10:00,1.5,9.0,,,30
";

async fn post_sheet(api: &Api, token: &str, query: &str, sheet: Vec<u8>) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("/api/samples/import{query}"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "text/csv")
        .body(Body::from(sheet))
        .unwrap();
    let (status, _, body) = api.send(request).await;
    (status, body)
}

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn grading(pool: &PgPool, code: &str) -> Value {
    sqlx::query_scalar(
        "SELECT json_build_object('latest_class', latest_class, 'latest_sampled_at', latest_sampled_at,
                'meets_target', meets_target, 'black_odor_grade', black_odor_grade, 'soil_risk', soil_risk)
         FROM site WHERE code = $1",
    )
    .bind(code)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn the_vocabulary_and_the_detection_rule_are_the_same_in_sql(pool: PgPool) {
    let mut conn = pool.acquire().await.unwrap();
    let mut expected: Vec<(String, String, String)> = PARAMETERS
        .iter()
        .map(|p| {
            let medium = match p.medium {
                Medium::Water => "water",
                Medium::Soil => "soil",
            };
            (p.code.into(), p.unit.into(), medium.into())
        })
        .collect();
    expected.sort();
    assert_eq!(samples::vocabulary(&mut conn).await.unwrap(), expected);
    for measured in [
        Measured::Value(1.5),
        Measured::BelowDetection(Some(0.02)),
        Measured::BelowDetection(None),
    ] {
        let below = matches!(measured, Measured::BelowDetection(_));
        let in_sql: f64 = sqlx::query_scalar("SELECT sample_effective_value($1, $2)")
            .bind(measured.stored())
            .bind(below)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(in_sql, measured.effective(), "{measured:?}");
    }
    // the table checks its parameter against the same list, without a foreign key
    let check: String = sqlx::query_scalar(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'sample_parameter_known'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    let listed = check.matches("::text").count();
    assert_eq!(listed, PARAMETERS.len(), "{check}");
    for p in PARAMETERS {
        assert!(
            check.contains(&format!("'{}'::text", p.code)),
            "{} in {check}",
            p.code
        );
    }
}

#[sqlx::test]
async fn a_sheet_with_chinese_headers_is_imported_graded_and_assessed(pool: PgPool) {
    monitored_sites(&pool).await;
    let api = Api::new(pool.clone());
    let editor = user_with_token(&pool, "lab-editor", Role::Editor).await;

    let (status, preview) = post_sheet(&api, &editor, "?dry_run=true", JUNE.into()).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(
        (
            preview["rows"].clone(),
            preview["values"].clone(),
            preview["sites"].clone()
        ),
        (json!(4), json!(15), json!(3))
    );
    assert_eq!(
        preview["parameters"],
        json!(["do", "nh3n", "tp", "tn", "transparency"])
    );
    assert_eq!(preview["batch_id"], Value::Null);
    assert_eq!(count(&pool, "sample").await, 0, "a dry run writes nothing");

    let (status, summary) = post_sheet(
        &api,
        &editor,
        "?file_name=june.csv&lab=市监测站",
        JUNE.into(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(summary["inserted"], 15);
    assert_eq!(summary["regraded"], 3);
    assert_eq!(count(&pool, "sample").await, 15);
    let batch: (String, Option<String>, i32, i32, Option<String>) = sqlx::query_as(
        "SELECT b.actor_name, b.file_name, b.row_count, b.sample_count, min(s.lab)
         FROM sample_batch b JOIN sample s ON s.batch_id = b.id GROUP BY b.id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        batch,
        (
            "lab-editor".into(),
            Some("june.csv".into()),
            4,
            15,
            Some("市监测站".into())
        )
    );
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE action = 'samples.import'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audited, 1);

    // the latest day of SEC-1 (06-17): NH3-N 1.6 is Ⅴ, against a Ⅲ target
    assert_eq!(
        grading(&pool, "SEC-1").await,
        json!({"latest_class": "V", "latest_sampled_at": "2025-06-17T01:30:00+00:00",
               "meets_target": false, "black_odor_grade": null, "soil_risk": null})
    );
    // the map colours by the grading the tile features carry
    let (x, y) = crate::tiles::tile_of(119.86, 31.80, 14);
    let (status, _, tile) = crate::tiles::fetch(
        &api,
        &format!("/tiles/monitoring_section/14/{x}/{y}.mvt"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, features) = crate::tiles::decode(&tile);
    let sec1 = &features
        .iter()
        .find(|(_, tags)| tags["code"] == "SEC-1")
        .unwrap()
        .1;
    assert_eq!(
        (
            sec1["latest_class"].as_str(),
            sec1["meets_target"].as_str(),
            sec1["latest_sampled_at"].as_str()
        ),
        ("V", "false", "1750123800")
    );
    // a lake: TP 0.08 and TN 1.2 are Ⅳ, which meets its Ⅳ target
    assert_eq!(grading(&pool, "SEC-2").await["latest_class"], "IV");
    assert_eq!(grading(&pool, "SEC-2").await["meets_target"], true);
    // DO 1.5 and NH3-N 9.0 are at the light black-odor level; transparency 30 cm is clear
    assert_eq!(
        grading(&pool, "BO-1").await,
        json!({"latest_class": "worse_than_V", "latest_sampled_at": "2025-06-10T02:00:00+00:00",
               "meets_target": null, "black_odor_grade": "light", "soil_risk": null})
    );

    // June's means: DO (6.5+5.8)/2 = 6.15 (Ⅱ), NH3-N 1.4 (Ⅳ), TP (0.15+0.01)/2 = 0.08 (Ⅱ),
    // TN not evaluated in a river
    let sec1 = id_of(&pool, "SEC-1").await;
    let june = api
        .get(&format!("/api/sites/{sec1}/assessment?period=2025-06"))
        .await;
    assert_eq!(june.status, StatusCode::OK, "{}", june.body);
    let means: Vec<(String, f64, i64, Value)> = june.body["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["parameter"].as_str().unwrap().to_string(),
                (p["mean"].as_f64().unwrap() * 1e6).round() / 1e6,
                p["count"].as_i64().unwrap(),
                p["class"].clone(),
            )
        })
        .collect();
    assert_eq!(
        means,
        [
            ("do".into(), 6.15, 2, json!("II")),
            ("nh3n".into(), 1.4, 2, json!("IV")),
            ("tn".into(), 3.0, 2, Value::Null),
            ("tp".into(), 0.08, 2, json!("II")),
        ]
    );
    assert_eq!(june.body["class"], "IV");
    assert_eq!(june.body["limiting"], json!(["nh3n"]));
    assert_eq!(june.body["target"], "III");
    assert_eq!(june.body["meets_target"], false);
    assert_eq!(june.body["from"], "2025-05-31T16:00:00Z");
    let year = api
        .get(&format!("/api/sites/{sec1}/assessment?period=2025"))
        .await;
    assert_eq!(year.body["class"], "IV");
    let may = api
        .get(&format!("/api/sites/{sec1}/assessment?period=2025-05"))
        .await;
    assert_eq!(
        (may.body["class"].clone(), may.body["parameters"].clone()),
        (Value::Null, json!([]))
    );
    let bad = api
        .get(&format!("/api/sites/{sec1}/assessment?period=2025-6"))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad.body["detail"],
        "period \"2025-6\" is neither a month (2025-06) nor a year (2025)"
    );
    let all = api.get("/api/assessments?period=2025-06").await.body;
    assert_eq!(
        (
            all["assessed"].clone(),
            all["with_target"].clone(),
            all["meeting_target"].clone(),
            all["worse_than_v"].clone()
        ),
        (json!(2), json!(2), json!(1), json!(0))
    );
    assert_eq!(all["sites"][0]["code"], "SEC-1");
    assert_eq!(all["sites"][0]["class"], "IV");
    let bodies = api
        .get("/api/assessments?period=2025-06&kind=black_odor_water")
        .await
        .body;
    assert_eq!(
        (bodies["assessed"].clone(), bodies["worse_than_v"].clone()),
        (json!(1), json!(1))
    );
    let series = api
        .get(&format!("/api/sites/{sec1}/samples?parameter=tp"))
        .await;
    assert_eq!(
        (
            series.body["times"].clone(),
            series.body["values"].clone(),
            series.body["below_detection"].clone()
        ),
        (
            json!(["2025-06-03T01:30:00Z", "2025-06-17T01:30:00Z"]),
            json!([0.15, 0.02]),
            json!([false, true])
        )
    );
    assert_eq!(series.body["unit"], "mg/L");

    // the same sheet again: every value is a stored duplicate, so nothing is added
    let (status, again) = post_sheet(&api, &editor, "", JUNE.into()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again["rejected_total"], 15);
    assert!(
        again["rejected"].as_array().unwrap().contains(&json!({
            "row": 2, "column": "溶解氧(mg/L)",
            "reason": "a duplicate of a stored sample: do of SEC-1 at 2025-06-03 09:30:00 +08:00 is stored already (value 6.5)"
        })),
        "{again}"
    );
    assert_eq!(count(&pool, "sample").await, 15);
    assert_eq!(count(&pool, "sample_batch").await, 1);
}

#[sqlx::test]
async fn a_bad_sheet_is_refused_whole_with_every_problem_named(pool: PgPool) {
    monitored_sites(&pool).await;
    let api = Api::new(pool.clone());
    let editor = user_with_token(&pool, "lab-editor", Role::Editor).await;
    let sheet = "site_code,sampled_at,氨氮,浊度,ph
SEC-1,2025-06-03 09:30,1.2,,7
NOPE,2025-06-03,1.0,,7
SEC-1,June,1.0,,7
SEC-1,2025-06-04,abc,,15
SEC-1,2025-06-03 09:30,1.3,,7
SEC-1,2099-01-01,1.3,,7
";
    let (status, body) = post_sheet(&api, &editor, "", sheet.into()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["rejected"],
        json!([
            {"row": 1, "column": "浊度", "reason": "unknown column \"浊度\": not site_code, sampled_at, lab or a parameter"},
            {"row": 3, "reason": "unknown site code NOPE"},
            {"row": 4, "column": "sampled_at", "reason": "sampled_at \"June\" is not a time (2025-06-03 09:30, China time, or RFC 3339)"},
            {"row": 5, "column": "ph", "reason": "ph 15 is impossible: it must lie between 0 and 14"},
            {"row": 5, "column": "氨氮", "reason": "\"abc\" is not a number, a detection limit like <0.01, or ND"},
            {"row": 6, "reason": "row 2 has the same site SEC-1 and time"},
            {"row": 7, "column": "sampled_at", "reason": "sampled_at 2099-01-01 is in the future"}
        ])
    );
    assert_eq!(body["rejected_total"], 7);
    assert_eq!(count(&pool, "sample").await, 0);
    assert_eq!(count(&pool, "sample_batch").await, 0);
    assert_eq!(grading(&pool, "SEC-1").await["latest_class"], Value::Null);

    let no_header = post_sheet(&api, &editor, "", "氨氮\n1.0\n".into()).await;
    assert_eq!(
        no_header.1["rejected"],
        json!([{"row": 1, "reason": "the header needs a site_code and a sampled_at column"}])
    );
    let wrong_unit = post_sheet(
        &api,
        &editor,
        "",
        "site_code,sampled_at,氨氮(mg/kg)\nSEC-1,2025-06-03,1\n".into(),
    )
    .await;
    assert_eq!(
        wrong_unit.1["rejected"][0]["reason"],
        "unit \"mg/kg\" of column \"氨氮(mg/kg)\": nh3n is stored in mg/L"
    );
    let not_a_workbook = post_sheet(&api, &editor, "", b"PK\x03\x04broken".to_vec()).await;
    assert_eq!(not_a_workbook.0, StatusCode::BAD_REQUEST);

    let viewer = user_with_token(&pool, "lab-viewer", Role::Viewer).await;
    let (status, _) = post_sheet(&api, &viewer, "", JUNE.into()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// A sheet is read and stored in steps of rows: a problem in a later step still leaves nothing
/// of the earlier steps stored.
#[sqlx::test]
async fn a_long_sheet_with_late_problems_leaves_nothing_stored(pool: PgPool) {
    monitored_sites(&pool).await;
    let api = Api::new(pool.clone());
    let editor = user_with_token(&pool, "lab-editor", Role::Editor).await;
    let (status, body) = post_sheet(&api, &editor, "", JUNE.into()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stored = count(&pool, "sample").await;

    let hourly = |rows: i64, line: &dyn Fn(i64, String) -> String| {
        let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        (0..rows)
            .map(|i| {
                line(
                    i + 2,
                    (start + chrono::Duration::hours(i))
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                )
            })
            .collect::<String>()
    };
    let sheet = String::from("site_code,sampled_at,do,ph\n")
        + &hourly(4500, &|row, time| match row {
            3001 => "SEC-1,2025-06-03 09:30,6.5,7.1\n".into(),
            4501 => format!("SEC-2,{time},6.0,15\n"),
            _ => format!("SEC-2,{time},6.0,7.2\n"),
        });
    let (status, body) = post_sheet(&api, &editor, "", sheet.into()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["rejected"],
        json!([
            {"row": 3001, "column": "do", "reason": "a duplicate of a stored sample: do of SEC-1 at 2025-06-03 09:30:00 +08:00 is stored already (value 6.5)"},
            {"row": 4501, "column": "ph", "reason": "ph 15 is impossible: it must lie between 0 and 14"}
        ])
    );
    assert_eq!(
        (body["rows"].clone(), body["values"].clone()),
        (json!(4500), json!(8999))
    );
    assert_eq!(count(&pool, "sample").await, stored);
    assert_eq!(count(&pool, "sample_batch").await, 1);

    let all_bad = String::from("site_code,sampled_at,ph\n")
        + &hourly(2500, &|_, time| format!("SEC-2,{time},15\n"));
    let (status, body) = post_sheet(&api, &editor, "?dry_run=true", all_bad.into()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["rejected_total"], 2500);
    let listed = body["rejected"].as_array().unwrap();
    assert_eq!(listed.len(), 1000, "the first 1,000 are listed");
    assert_eq!(
        (listed[0]["row"].clone(), listed[999]["row"].clone()),
        (json!(2), json!(1001))
    );
}

#[sqlx::test]
async fn an_xlsx_sheet_with_date_cells_and_soil_results(pool: PgPool) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    monitored_sites(&pool).await;
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    for (col, header) in [
        "site_code",
        "采样日期",
        "砷(mg/kg)",
        "铅(mg/kg)",
        "镉(μg/kg)",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    sheet.write_string(1, 0, "CP-1").unwrap();
    let sampled = ExcelDateTime::parse_from_str("2025-05-20 10:00:00").unwrap();
    sheet
        .write_datetime_with_format(1, 1, &sampled, &date)
        .unwrap();
    sheet.write_number(1, 2, 25.0).unwrap();
    sheet.write_number(1, 3, 300.0).unwrap();
    sheet.write_string(1, 4, "<100").unwrap();
    let bytes = workbook.save_to_buffer().unwrap();

    let api = Api::new(pool.clone());
    let editor = user_with_token(&pool, "lab-editor", Role::Editor).await;
    let (status, summary) = post_sheet(&api, &editor, "", bytes).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(summary["inserted"], 3);
    // arsenic 25 mg/kg is over the class-1 screening value 20; lead and cadmium are below theirs
    assert_eq!(
        grading(&pool, "CP-1").await,
        json!({"latest_class": null, "latest_sampled_at": "2025-05-20T02:00:00+00:00",
               "meets_target": null, "black_odor_grade": null, "soil_risk": "over_screening"})
    );
    let cadmium: (Option<f64>, bool) =
        sqlx::query_as("SELECT value, below_detection FROM sample WHERE parameter = 'cd'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(cadmium, (Some(0.1), true), "µg/kg are stored as mg/kg");
    let cp1 = id_of(&pool, "CP-1").await;
    let assessed = api
        .get(&format!("/api/sites/{cp1}/assessment?period=2025"))
        .await;
    assert_eq!(assessed.body["soil_risk"], "over_screening");
    assert_eq!(assessed.body["soil_pollutants"], json!(["as"]));
}

async fn id_of(pool: &PgPool, code: &str) -> i64 {
    crate::api::id_of(pool, "site", code).await
}

fn kinds_of(page: &Value) -> Vec<(String, String, String)> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["site_code"].as_str().unwrap().to_string(),
                a["kind"].as_str().unwrap().to_string(),
                a["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[sqlx::test]
async fn alerts_open_with_the_import_are_acknowledged_and_close_with_a_good_sample(pool: PgPool) {
    monitored_sites(&pool).await;
    // BO-1 was remediated: its one project is completed
    sqlx::raw_sql(
        "INSERT INTO project (code, name, category, status) VALUES ('P-BO', '黑臭整治', 'water', 'completed');
         INSERT INTO project_site SELECT p.id, s.id FROM project p, site s WHERE p.code = 'P-BO' AND s.code = 'BO-1';",
    )
    .execute(&pool)
    .await
    .unwrap();
    let api = Api::new(pool.clone());
    let editor = user_with_token(&pool, "lab-editor", Role::Editor).await;
    let viewer = user_with_token(&pool, "reader", Role::Viewer).await;
    let sheet = "site_code,sampled_at,氨氮,溶解氧,砷
SEC-1,2025-06-03 09:30,2.5,6.0,
BO-1,2025-06-03 10:00,3.0,1.0,
CP-1,2025-06-03 11:00,,,25
";
    let (status, summary) = post_sheet(&api, &editor, "", sheet.into()).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(
        (
            summary["alerts_opened"].clone(),
            summary["alerts_closed"].clone()
        ),
        (json!(5), json!(0))
    );

    let page = api
        .call(
            Method::GET,
            "/api/alerts?state=open",
            Some(&viewer),
            None,
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let mut found = kinds_of(&page.body);
    found.sort();
    let open = |code: &str, kind: &str| (code.to_string(), kind.to_string(), "open".to_string());
    assert_eq!(
        found,
        [
            // DO 1.0 is beyond Ⅴ, and at the light black-odor level after the works: a rebound
            open("BO-1", "rebound"),
            open("BO-1", "worse_than_v"),
            open("CP-1", "soil_over_screening"),
            open("SEC-1", "over_target"),
            open("SEC-1", "worse_than_v"),
        ]
    );
    assert_eq!(page.body["open"], 5);
    let over = page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "over_target")
        .unwrap()
        .clone();
    assert_eq!(
        over["cause"],
        json!({"scope": "sample", "class": "worse_than_V", "target": "III",
               "parameters": [{"parameter": "nh3n", "value": 2.5, "unit": "mg/L", "class": "worse_than_V", "limit": 1.0}]})
    );
    assert_eq!(over["sampled_at"], "2025-06-03T01:30:00Z");
    let soil = api
        .call(
            Method::GET,
            "/api/alerts?kind=soil_over_screening",
            Some(&viewer),
            None,
            None,
        )
        .await;
    assert_eq!(
        soil.body["items"][0]["cause"]["parameters"],
        json!([{"parameter": "as", "value": 25.0, "unit": "mg/kg", "screening": 20.0, "intervention": 120.0}])
    );
    assert_eq!(
        api.get("/api/alerts").await.status,
        StatusCode::UNAUTHORIZED
    );

    let id = over["id"].as_i64().unwrap();
    let uri = format!("/api/alerts/{id}/acknowledge");
    let note = json!({"note": "已通知河长,排查上游排口"});
    let by_viewer = api
        .call(Method::POST, &uri, Some(&viewer), None, Some(note.clone()))
        .await;
    assert_eq!(by_viewer.status, StatusCode::FORBIDDEN);
    let acked = api
        .call(Method::POST, &uri, Some(&editor), None, Some(note.clone()))
        .await;
    assert_eq!(acked.status, StatusCode::OK, "{}", acked.body);
    assert_eq!(
        (
            acked.body["state"].clone(),
            acked.body["acknowledged_by"].clone(),
            acked.body["acknowledge_note"].clone()
        ),
        (
            json!("acknowledged"),
            json!("lab-editor"),
            json!("已通知河长,排查上游排口")
        )
    );
    let again = api
        .call(Method::POST, &uri, Some(&editor), None, Some(note))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let empty = api
        .call(
            Method::POST,
            &uri,
            Some(&editor),
            None,
            Some(json!({"note": "  "})),
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);

    // a July sample within the target closes both of SEC-1's alerts; the others stay
    let july = "site_code,sampled_at,氨氮,溶解氧\nSEC-1,2025-07-02 09:30,0.8,6.2\n";
    let (status, summary) = post_sheet(&api, &editor, "", july.into()).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(
        (
            summary["alerts_opened"].clone(),
            summary["alerts_closed"].clone()
        ),
        (json!(0), json!(2))
    );
    let closed = api
        .call(
            Method::GET,
            "/api/alerts?state=closed",
            Some(&viewer),
            None,
            None,
        )
        .await;
    let mut found = kinds_of(&closed.body);
    found.sort();
    assert_eq!(
        found,
        [
            ("SEC-1".into(), "over_target".into(), "closed".into()),
            ("SEC-1".into(), "worse_than_v".into(), "closed".into())
        ]
    );
    assert_eq!(
        closed.body["items"][0]["closed_by_sample"],
        "2025-07-02T01:30:00Z"
    );
    assert_eq!(closed.body["open"], 3);
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_event WHERE action LIKE 'alert.%' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(audited.iter().filter(|a| *a == "alert.opened").count(), 5);
    assert_eq!(
        &audited[5..],
        ["alert.acknowledged", "alert.closed", "alert.closed"]
    );
    let outbox: i64 = sqlx::query_scalar("SELECT count(*) FROM alert_outbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        outbox, 8,
        "5 opened, 1 acknowledged and 2 closed events wait for delivery"
    );
}

#[sqlx::test]
async fn the_effect_of_a_project_equals_the_hand_computation(pool: PgPool) {
    monitored_sites(&pool).await;
    sqlx::raw_sql(
        "INSERT INTO project (code, name, category, status, actual_start, actual_end)
         VALUES ('P-E', '一河一策', 'water', 'completed', '2025-03-01', '2025-04-30');
         INSERT INTO project_site SELECT p.id, s.id FROM project p, site s WHERE p.code = 'P-E' AND s.code IN ('SEC-1', 'SEC-2');",
    )
    .execute(&pool)
    .await
    .unwrap();
    let api = Api::new(pool.clone());
    let editor = user_with_token(&pool, "lab-editor", Role::Editor).await;
    // before (2024-12-01 to 2025-03-01): NH3-N 2.5 on average (劣Ⅴ), DO 6.0 (Ⅱ);
    // after (2025-04-30 to 2025-07-29): NH3-N 1.4 (Ⅳ), DO 6.5 (Ⅱ); the March sample is in neither
    let sheet = "site_code,sampled_at,氨氮,溶解氧
SEC-1,2025-01-10,2.4,5.5
SEC-1,2025-02-10,2.6,6.5
SEC-1,2025-03-15,5.0,2.0
SEC-1,2025-05-10,1.2,6.0
SEC-1,2025-06-10,1.6,7.0
";
    let (status, body) = post_sheet(&api, &editor, "", sheet.into()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let project: i64 = sqlx::query_scalar("SELECT id FROM project WHERE code = 'P-E'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let effect = api.get(&format!("/api/projects/{project}/effect")).await;
    assert_eq!(effect.status, StatusCode::OK, "{}", effect.body);
    let sites = effect.body["sites"].as_array().unwrap();
    assert_eq!(sites.len(), 1, "SEC-2 has no samples");
    let sec1 = &sites[0];
    assert_eq!(sec1["code"], "SEC-1");
    assert_eq!(sec1["change"], "劣Ⅴ → Ⅳ");
    assert_eq!(sec1["direction"], "better");
    assert_eq!(sec1["moved_by"], json!(["nh3n"]));
    let mean = |window: &str, p: &str| {
        sec1[window]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["parameter"] == p)
            .map(|x| (x["mean"].as_f64().unwrap() * 1e6).round() / 1e6)
    };
    assert_eq!(
        (mean("before", "nh3n"), mean("before", "do")),
        (Some(2.5), Some(6.0))
    );
    assert_eq!(
        (mean("after", "nh3n"), mean("after", "do")),
        (Some(1.4), Some(6.5))
    );
    assert_eq!(sec1["before"]["from"], "2024-11-30T16:00:00Z");
    assert_eq!(sec1["after"]["to"], "2025-07-28T16:00:00Z");
    assert_eq!(
        api.get("/api/projects/999999/effect").await.status,
        StatusCode::NOT_FOUND
    );
}

/// A webhook receiver on a real socket that fails the first `failures` requests with 500.
async fn receiver(failures: usize) -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    use axum::routing::post;
    use std::sync::{Arc, Mutex};
    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let store = received.clone();
    let app = axum::Router::new().route(
        "/robot",
        post(move |axum::Json(body): axum::Json<Value>| {
            let store = store.clone();
            let calls = calls.clone();
            async move {
                if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < failures {
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                store.lock().unwrap().push(body);
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/robot", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

#[sqlx::test]
async fn alert_events_reach_the_webhook_after_retries(pool: PgPool) {
    use remediation_tracker::alert_delivery::{WebhookConfig, deliver_due};
    monitored_sites(&pool).await;
    let api = Api::new(pool.clone());
    let editor = user_with_token(&pool, "lab-editor", Role::Editor).await;
    let sheet = "site_code,sampled_at,氨氮\nSEC-1,2025-06-03 09:30,1.3\n";
    assert_eq!(
        post_sheet(&api, &editor, "", sheet.into()).await.0,
        StatusCode::OK
    );

    let (url, received) = receiver(2).await;
    let mut config = WebhookConfig::new(url);
    config.backoff = std::time::Duration::from_millis(20);
    let client = reqwest::Client::new();
    // attempts 1 and 2 fail; the third, after the backoff, is delivered
    for _ in 0..50 {
        deliver_due(&pool, &client, &config).await.unwrap();
        if !received.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["msgtype"], "text");
    assert_eq!(got[0]["event"], "opened");
    assert_eq!(got[0]["alert"]["kind"], "over_target");
    assert_eq!(
        got[0]["text"]["content"],
        "【预警】SEC-1 童子河桥:未达水质目标。目标Ⅲ类;nh3n 1.3 mg/L,限值1。采样时间 2025-06-03 09:30"
    );
    let attempts: Vec<(i32, Option<i32>, bool)> =
        sqlx::query_as("SELECT attempt, status, delivered FROM alert_delivery ORDER BY attempt")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        attempts,
        [
            (1, Some(500), false),
            (2, Some(500), false),
            (3, Some(200), true)
        ]
    );
    let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM alert_outbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(waiting, 0);

    // a receiver that never answers well: the event is given up after max_attempts
    let (url, _) = receiver(usize::MAX).await;
    let mut config = WebhookConfig::new(url);
    config.backoff = std::time::Duration::from_millis(1);
    config.max_attempts = 2;
    let again = "site_code,sampled_at,氨氮\nSEC-1,2025-07-03 09:30,0.5\n";
    assert_eq!(
        post_sheet(&api, &editor, "", again.into()).await.0,
        StatusCode::OK
    );
    for _ in 0..20 {
        deliver_due(&pool, &client, &config).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let closed_attempts: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM alert_delivery WHERE event = 'closed' AND NOT delivered",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(closed_attempts, 2);
    let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM alert_outbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(waiting, 0);
}

#[sqlx::test]
async fn the_report_states_the_water_figures_as_of_its_date(pool: PgPool) {
    use remediation_tracker::report::{Lang, build};
    monitored_sites(&pool).await;
    import_text(
        &pool,
        collection(vec![feature(
            json!({"code": "RV-B1", "name": "小支浜", "river_class": "tributary"}),
            json!({"type": "LineString", "coordinates": [[119.86, 31.79], [119.87, 31.79]]}),
        )]),
        SiteKind::River,
        InputCrs::Wgs84,
        false,
    )
    .await
    .unwrap();
    // SEC-1 lies on the branch
    sqlx::query(
        "UPDATE site SET attrs = attrs || '{\"river_code\": \"RV-B1\"}' WHERE code = 'SEC-1'",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::raw_sql(
        "INSERT INTO project (code, name, category, status, created_at) VALUES ('P-BO', '黑臭整治', 'water', 'completed', '2024-01-01');
         INSERT INTO project_site SELECT p.id, s.id FROM project p, site s WHERE p.code = 'P-BO' AND s.code = 'BO-1';",
    )
    .execute(&pool)
    .await
    .unwrap();
    // the sample data's water section and its template
    let templates: Value = serde_json::from_str(
        &std::fs::read_to_string(geodata_dir().join("report_templates.json")).unwrap(),
    )
    .unwrap();
    let water_section = templates["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "water")
        .unwrap()
        .clone();
    let water_section: remediation_tracker::db::report::SectionTemplate =
        serde_json::from_value(water_section).unwrap();
    let mut conn = pool.acquire().await.unwrap();
    remediation_tracker::db::report::insert_section_if_missing(&mut conn, &water_section)
        .await
        .unwrap();
    drop(conn);
    let api = Api::new(pool.clone());
    let editor = user_with_token(&pool, "lab-editor", Role::Editor).await;
    // the branch was 劣Ⅴ in 2024 (its own sample and SEC-1's); in 2025 SEC-1 is Ⅳ (target Ⅲ:
    // not met) and SEC-2 Ⅱ (target Ⅳ: met); BO-1 is black-odor again after its works
    let sheet = "site_code,sampled_at,氨氮,溶解氧,透明度
RV-B1,2024-05-10,2.8,3.0,
SEC-1,2024-05-10,2.4,3.0,
SEC-1,2025-03-10,1.4,5.5,
SEC-2,2025-03-10,0.4,6.5,
BO-1,2025-03-12,9.0,1.5,20
";
    assert_eq!(
        post_sheet(&api, &editor, "", sheet.into()).await.0,
        StatusCode::OK
    );
    let report = build(
        &pool,
        chrono::NaiveDate::from_ymd_opt(2025, 6, 30).unwrap(),
        None,
        Lang::Zh,
    )
    .await
    .unwrap();
    let water = report.sections.iter().find(|s| s.code == "water").unwrap();
    assert!(
        water.text.contains("今年以来2个断面有监测数据,1个达到水质目标(达标率50.0%),劣Ⅴ类断面0个;上年劣Ⅴ类的1条支浜已消除劣Ⅴ(小支浜);大周村中河整治后回潮反弹,需深入溯源。"),
        "{}",
        water.text
    );

    // a result dated after the report's date does not count, even when imported before it is
    // built; one dated before it counts whenever it was imported
    let late =
        "site_code,sampled_at,氨氮,溶解氧\nSEC-1,2025-07-05,3.0,1.0\nSEC-2,2025-06-20,3.0,1.0\n";
    assert_eq!(
        post_sheet(&api, &editor, "", late.into()).await.0,
        StatusCode::OK
    );
    let report = build(
        &pool,
        chrono::NaiveDate::from_ymd_opt(2025, 6, 30).unwrap(),
        None,
        Lang::En,
    )
    .await
    .unwrap();
    let water = report.sections.iter().find(|s| s.code == "water").unwrap();
    // SEC-2's June result counts: NH₃-N (0.4+3.0)/2 = 1.7 is Ⅴ, below its Ⅳ target; SEC-1's July
    // result is left out (with it, NH₃-N (1.4+3.0)/2 = 2.2 would make SEC-1 劣Ⅴ)
    assert!(
        water.text.contains("This year 2 sections have been sampled; 0 meet their target (0.0%), and 0 are worse than class V; 1 tributaries worse than class V last year no longer are (小支浜); 大周村中河 rebounded after remediation and need source tracing."),
        "{}",
        water.text
    );
}

#[sqlx::test]
async fn a_dry_run_names_the_problems_with_a_200(pool: PgPool) {
    monitored_sites(&pool).await;
    let api = Api::new(pool.clone());
    let editor = user_with_token(&pool, "lab-editor", Role::Editor).await;
    let sheet = "site_code,sampled_at,氨氮\nSEC-1,2025-06-03,abc\n";
    let (status, body) = post_sheet(&api, &editor, "?dry_run=true", sheet.into()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["rejected_total"], 1);
    assert_eq!(body["rejected"][0]["column"], "氨氮");
    assert_eq!(count(&pool, "sample").await, 0);
}

/// What `sample_month` holds against what it would hold if it were built afresh from `sample`.
async fn months_differ_from_a_fresh_build(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "WITH fresh AS (
             SELECT site_id, parameter, sample_month_of(sampled_at) AS month,
                    array_agg(sampled_at ORDER BY sampled_at) AS sampled_at,
                    array_agg(value ORDER BY sampled_at) AS value,
                    array_agg(below_detection ORDER BY sampled_at) AS below_detection
             FROM sample GROUP BY 1, 2, 3)
         SELECT count(*) FROM (
             (SELECT * FROM fresh EXCEPT SELECT * FROM sample_month)
             UNION ALL (SELECT * FROM sample_month EXCEPT SELECT * FROM fresh)) d",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn series_of(api: &Api, site: i64, range: &str) -> (Value, Value) {
    let reply = api
        .get(&format!("/api/sites/{site}/samples?parameter=nh3n{range}"))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    (reply.body["times"].clone(), reply.body["values"].clone())
}

#[sqlx::test]
async fn the_monthly_series_follows_every_write_of_the_samples(pool: PgPool) {
    monitored_sites(&pool).await;
    let api = Api::new(pool.clone());
    let editor = user_with_token(&pool, "lab", Role::Editor).await;
    let sec1 = id_of(&pool, "SEC-1").await;
    // 07:30 on 1 July in China is still June in UTC, the months' calendar
    let sheet = "断面编码,采样时间,氨氮(mg/L)
SEC-1,2025-06-03 09:30,1.20
SEC-1,2025-07-01 07:30,1.40
SEC-1,2025-07-01 08:30,1.50
SEC-1,2025-08-15 09:30,<0.025
SEC-2,2025-07-02 09:30,0.40
";
    let (status, body) = post_sheet(&api, &editor, "", sheet.into()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(count(&pool, "sample_month").await, 4);
    assert_eq!(months_differ_from_a_fresh_build(&pool).await, 0);
    assert_eq!(
        series_of(&api, sec1, "").await,
        (
            json!([
                "2025-06-03T01:30:00Z",
                "2025-06-30T23:30:00Z",
                "2025-07-01T00:30:00Z",
                "2025-08-15T01:30:00Z"
            ]),
            json!([1.2, 1.4, 1.5, 0.025])
        )
    );
    // from is inclusive, to exclusive, whatever months they fall in
    assert_eq!(
        series_of(
            &api,
            sec1,
            "&from=2025-06-30T23:30:00Z&to=2025-08-15T01:30:00Z"
        )
        .await,
        (
            json!(["2025-06-30T23:30:00Z", "2025-07-01T00:30:00Z"]),
            json!([1.4, 1.5])
        )
    );

    // writers other than the import keep it too: an update, a delete, the site's deletion
    sqlx::query("UPDATE sample SET value = 1.45 WHERE site_id = $1 AND value = 1.5")
        .bind(sec1)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM sample WHERE site_id = $1 AND sampled_at < '2025-06-30'")
        .bind(sec1)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(months_differ_from_a_fresh_build(&pool).await, 0);
    assert_eq!(series_of(&api, sec1, "").await.1, json!([1.4, 1.45, 0.025]));
    // SEC-1's June (the 23:30 UTC value stays), July and August, SEC-2's July
    assert_eq!(count(&pool, "sample_month").await, 4);
    sqlx::query("DELETE FROM site WHERE code = 'SEC-2'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(count(&pool, "sample_month").await, 3);
    assert_eq!(months_differ_from_a_fresh_build(&pool).await, 0);

    // two writers of the same month at once: the later one waits and rebuilds with both
    let mut first = pool.begin().await.unwrap();
    sqlx::query("INSERT INTO sample (site_id, sampled_at, parameter, value) VALUES ($1, '2025-08-20 01:00Z', 'nh3n', 2.0)")
        .bind(sec1)
        .execute(&mut *first)
        .await
        .unwrap();
    let second = tokio::spawn({
        let pool = pool.clone();
        async move {
            sqlx::query("INSERT INTO sample (site_id, sampled_at, parameter, value) VALUES ($1, '2025-08-21 01:00Z', 'nh3n', 3.0)")
                .bind(sec1)
                .execute(&pool)
                .await
                .unwrap();
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(
        !second.is_finished(),
        "the second writer waits for the first"
    );
    first.commit().await.unwrap();
    second.await.unwrap();
    assert_eq!(months_differ_from_a_fresh_build(&pool).await, 0);
    assert_eq!(
        series_of(&api, sec1, "&from=2025-08-01T00:00:00Z").await.1,
        json!([0.025, 2.0, 3.0])
    );

    sqlx::query("TRUNCATE sample").execute(&pool).await.unwrap();
    assert_eq!(count(&pool, "sample_month").await, 0);
}
