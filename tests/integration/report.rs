//! The half-year report: the sample data reproduces the seed report's figures and sentences as of
//! 2025-06-30, later writes leave that report unchanged, every format holds the same figures,
//! and the API refuses bad input with a message.

use crate::api::{Api, id_of, user_with_token};
use crate::common::geodata_dir;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::NaiveDate;
use remediation_tracker::domain::account::Role;
use remediation_tracker::report::{self, Format, Lang, Report, render};
use remediation_tracker::seed::seed;
use serde_json::{Value, json};
use sqlx::PgPool;

fn june() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 30).unwrap()
}

async fn build(pool: &PgPool, as_of: NaiveDate, since: Option<NaiveDate>, lang: Lang) -> Report {
    report::build(pool, as_of, since, lang).await.unwrap()
}

fn part<'a>(report: &'a Report, programme: &str) -> &'a report::ProgrammePart {
    report
        .sections
        .iter()
        .flat_map(|s| &s.programmes)
        .find(|p| p.code == programme)
        .unwrap_or_else(|| panic!("no part for {programme}"))
}

fn figure(report: &Report, programme: &str, key: &str) -> Value {
    part(report, programme)
        .figures
        .iter()
        .find(|f| f.key == key)
        .unwrap_or_else(|| panic!("{programme} has no figure {key}"))
        .value
        .clone()
}

/// Sentences of the bureau's 2025 mid-year report (`../shared/seed/`), word for word: the
/// generated ones must equal them.
const SEED_SENTENCES: [(&str, &str); 5] = [
    (
        "LIGHTING-2025",
        "邹区灯具集群83家整治企业全部整治“清零”,已完成绩效评估。",
    ),
    (
        "PICKLING-2025",
        "我区共涉及酸洗磷化行业整治“回头看”企业11家,已完成所有企业现场核查工作,并同步将核查中发现的问题及整改要求下发到企业。",
    ),
    (
        "RAINSEWAGE-2025",
        "列入年度太湖攻坚任务的123家问题工业企业雨污分流改造中,已有48家企业开展雨污管网排查及整改方案编制工作。",
    ),
    (
        "BLACKODOR-2025",
        "市太湖综合治理攻坚专班共交办我区18条黑臭水体整治清单,其中6条为支流支浜,另12条为“房前屋后”小微黑臭水体。“房前屋后”小微黑臭水体整治任务中,新闸大周村中河已填埋、戴庄村南大沟正在实施清淤及岸坡整治,其余10条已对河面漂浮物进行打捞。",
    ),
    (
        "ONERIVER-2025",
        "推进重点支流支浜整治工作,9条河道均完成“一河一策”整治方案编制工作并提交市太湖攻坚专班审查。其中新闸崔家浜,邹区安基浜、钱家浜、立新大沟、黄沟河整治工程已开工。",
    ),
];

async fn get_raw(api: &Api, uri: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    api.send_raw(Request::get(uri).body(Body::empty()).unwrap())
        .await
}

#[sqlx::test]
async fn the_june_report_reproduces_the_seed(pool: PgPool) {
    seed(&pool, &geodata_dir()).await.unwrap();
    let r = build(&pool, june(), None, Lang::Zh).await;
    let titles: Vec<&str> = r.sections.iter().map(|s| s.code.as_str()).collect();
    assert_eq!(titles, ["air", "water", "soil", "safety", "casework"]);

    assert_eq!(figure(&r, "BLACKODOR-2025", "total"), json!(18));
    assert_eq!(
        figure(
            &r,
            "BLACKODOR-2025",
            "sites.black_odor_water.category.tributary"
        ),
        json!(6)
    );
    assert_eq!(
        figure(
            &r,
            "BLACKODOR-2025",
            "sites.black_odor_water.category.backyard"
        ),
        json!(12)
    );
    assert_eq!(figure(&r, "BLACKODOR-2025", "stage.filled.count"), json!(1));
    assert_eq!(
        figure(&r, "BLACKODOR-2025", "stage.dredging.count"),
        json!(1)
    );
    assert_eq!(
        figure(&r, "BLACKODOR-2025", "stage.debris_removed.count"),
        json!(10)
    );
    assert_eq!(figure(&r, "PICKLING-2025", "total"), json!(11));
    assert_eq!(
        figure(&r, "PICKLING-2025", "stage.checked_problems_issued.count"),
        json!(11)
    );
    assert_eq!(figure(&r, "RAINSEWAGE-2025", "total"), json!(123));
    assert_eq!(figure(&r, "RAINSEWAGE-2025", "started"), json!(48));
    assert_eq!(figure(&r, "TAIHU-2025", "total"), json!(33));
    assert_eq!(
        figure(&r, "TAIHU-2025", "flags.provincial_list.count"),
        json!(6)
    );
    assert_eq!(figure(&r, "TAIHU-2025", "started"), json!(24));
    assert_eq!(figure(&r, "TAIHU-2025", "start_rate"), json!(72.7));
    let taihu = part(&r, "TAIHU-2025");
    assert_eq!(taihu.targets.len(), 1);
    assert_eq!(
        (
            taihu.targets[0].actual,
            taihu.targets[0].target,
            taihu.targets[0].met
        ),
        (72.7, 70.0, true)
    );
    assert_eq!(figure(&r, "LIGHTING-2025", "done"), json!(83));
    assert_eq!(figure(&r, "ONERIVER-2025", "started"), json!(5));
    assert_eq!(part(&r, "PACKAGED").open_count, 5);
    assert_eq!(
        part(&r, "BLACKODOR-2025").open_count,
        17,
        "all but the filled one"
    );

    // the generated sentences are the seed's own, word for word
    for (programme, sentence) in SEED_SENTENCES {
        assert_eq!(part(&r, programme).text, sentence, "{programme}");
    }
    let taihu_first = taihu.text.split('。').next().unwrap();
    assert_eq!(
        taihu_first,
        "2025年度太湖治理攻坚33个重点项目中,邹区镇城镇污水收集处理综合改造提升一期项目、毛龙河清水工程等6个项目纳入省2025年度太湖治理重点项目清单"
    );
    assert!(
        taihu
            .text
            .ends_with("已开工24个,开工率72.7%,目标70.0%以上,已达标。"),
        "{}",
        taihu.text
    );
    let soil = &r.sections[2].text;
    assert!(
        soil.contains("对5个优先监管清单中超标且污染物为易迁移、易挥发的地块开展周边环境监测"),
        "{soil}"
    );
    assert!(
        r.sections[3]
            .text
            .starts_with("全区6家危险废物生产经营单位")
    );
    assert_eq!(r.sections[4].items.len(), 3, "国礼纺织, 金建码头, 新闸排口");

    let en = build(&pool, june(), None, Lang::En).await;
    assert_eq!(
        part(&en, "RAINSEWAGE-2025").text,
        "Of the 123 problem firms listed for rain-sewage separation this year, 48 have started the pipe survey and their remediation plans."
    );
    assert!(
        part(&en, "TAIHU-2025")
            .text
            .contains("a start rate of 72.7% against a target of 70.0%, met")
    );
}

#[sqlx::test]
async fn later_writes_leave_the_june_report_unchanged(pool: PgPool) {
    seed(&pool, &geodata_dir()).await.unwrap();
    let before = render::render(&build(&pool, june(), None, Lang::Zh).await, Format::Md).unwrap();
    let editor = user_with_token(&pool, "editor", Role::Editor).await;
    let api = Api::new(pool.clone());
    let version = |code: &'static str| {
        let pool = pool.clone();
        async move {
            let v: i32 = sqlx::query_scalar("SELECT version FROM project WHERE code = $1")
                .bind(code)
                .fetch_one(&pool)
                .await
                .unwrap();
            format!("\"{v}\"")
        }
    };
    let post = |uri: String, tag: String, body: Value| {
        let (api, editor) = (&api, editor.clone());
        async move {
            let reply = api
                .call(Method::POST, &uri, Some(&editor), Some(&tag), Some(body))
                .await;
            assert!(
                reply.status.is_success(),
                "{uri}: {} {}",
                reply.status,
                reply.body
            );
        }
    };
    // a Taihu project starts, the dredged water body is completed, another gets a new stage
    let th25 = id_of(&pool, "project", "TH2025-25").await;
    post(
        format!("/api/projects/{th25}/transitions"),
        version("TH2025-25").await,
        json!({"to": "in_progress", "note": "开工"}),
    )
    .await;
    let dzc = id_of(&pool, "project", "BO-DZCNDG-ZZ").await;
    post(
        format!("/api/projects/{dzc}/transitions"),
        version("BO-DZCNDG-ZZ").await,
        json!({"to": "completed", "note": "清淤完成"}),
    )
    .await;
    let b02 = id_of(&pool, "project", "BO-B02-ZZ").await;
    let reply = api
        .call(
            Method::PATCH,
            &format!("/api/projects/{b02}"),
            Some(&editor),
            Some(&version("BO-B02-ZZ").await),
            Some(json!({"stage": "dredging"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    // a link removed, and a project created after June
    let b01 = id_of(&pool, "project", "BO-B01-ZZ").await;
    let b01_site = id_of(&pool, "site", "BO-B01").await;
    let reply = api
        .call(
            Method::DELETE,
            &format!("/api/projects/{b01}/sites/{b01_site}"),
            Some(&editor),
            Some(&version("BO-B01-ZZ").await),
            None,
        )
        .await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let t01_site = id_of(&pool, "site", "BO-T01").await;
    let reply = api
        .call(Method::POST, "/api/projects", Some(&editor), None,
              Some(json!({"code": "BO-NEW", "name": "新增黑臭水体整治", "category": "water", "programme": "BLACKODOR-2025", "sites": [t01_site], "note": "新交办"})))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);

    let after = render::render(&build(&pool, june(), None, Lang::Zh).await, Format::Md).unwrap();
    assert_eq!(
        String::from_utf8(after).unwrap(),
        String::from_utf8(before).unwrap()
    );

    let now = build(&pool, report::today(), Some(june()), Lang::Zh).await;
    assert_eq!(figure(&now, "TAIHU-2025", "started"), json!(25));
    assert_eq!(figure(&now, "TAIHU-2025", "start_rate"), json!(75.8));
    assert_eq!(
        figure(&now, "BLACKODOR-2025", "total"),
        json!(19),
        "the new project counts today"
    );
    assert_eq!(figure(&now, "BLACKODOR-2025", "done"), json!(2));
    assert_eq!(
        figure(&now, "BLACKODOR-2025", "stage.dredging.count"),
        json!(2),
        "BO-B02 now, and BO-DZCNDG keeps its stage when completed"
    );
    assert_eq!(
        figure(
            &now,
            "BLACKODOR-2025",
            "sites.black_odor_water.category.backyard"
        ),
        json!(11),
        "BO-B01's link is gone"
    );
    let changes = now.changes.as_ref().unwrap();
    assert_eq!(
        changes
            .new_projects
            .iter()
            .map(|c| c.code.as_str())
            .collect::<Vec<_>>(),
        ["BO-NEW"]
    );
    assert_eq!(changes.transitions.len(), 2);
    assert_eq!(
        changes
            .completed
            .iter()
            .map(|c| c.code.as_str())
            .collect::<Vec<_>>(),
        ["BO-DZCNDG-ZZ"]
    );
    // every open item planned to end on 2025-12-31 has slipped by today
    assert!(changes.slipped.iter().any(|i| i.code == "RS-001"));
    assert!(
        !changes.slipped.iter().any(|i| i.code == "LT-001"),
        "accepted items never slip"
    );
}

#[sqlx::test]
async fn every_format_holds_the_same_figures(pool: PgPool) {
    seed(&pool, &geodata_dir()).await.unwrap();
    let api = Api::new(pool.clone());

    let (status, headers, bytes) = get_raw(
        &api,
        "/api/reports?as_of=2025-06-30&format=xlsx&since=2025-05-31",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"report-2025-06-30.xlsx\""
    );
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let names = book.sheet_names();
    assert_eq!(
        names,
        [
            "报告",
            "LIGHTING-2025",
            "PICKLING-2025",
            "RAINSEWAGE-2025",
            "BLACKODOR-2025",
            "ONERIVER-2025",
            "TAIHU-2025",
            "PACKAGED",
            "突出生态环境问题整改",
            "信访",
            "隐患排查",
            "检查发现问题",
            "突出问题",
            "期间变化"
        ]
    );
    let taihu = book.worksheet_range("TAIHU-2025").unwrap();
    let value_of = |label: &str| {
        taihu
            .rows()
            .find(|row| row.first() == Some(&Data::String(label.into())))
            .and_then(|row| row.get(1).cloned())
            .unwrap_or_else(|| panic!("no row {label}"))
    };
    assert_eq!(value_of("重点项目（个）"), Data::Float(33.0));
    assert_eq!(value_of("纳入省重点项目清单（个）"), Data::Float(6.0));
    assert_eq!(value_of("已开工（个）"), Data::Float(24.0));
    assert_eq!(value_of("开工率"), Data::Float(72.7));
    let items = taihu
        .rows()
        .filter(|row| matches!(row.first(), Some(Data::String(c)) if c.starts_with("TH2025-")))
        .count();
    assert_eq!(items, 33, "every item listed");
    let black_odor = book.worksheet_range("BLACKODOR-2025").unwrap();
    let filled = black_odor
        .rows()
        .find(|row| row.first() == Some(&Data::String("已填埋（条）".into())))
        .and_then(|row| row.get(1).cloned());
    assert_eq!(filled, Some(Data::Float(1.0)));
    let changes = book.worksheet_range("期间变化").unwrap();
    assert!(
        changes
            .rows()
            .any(|row| row.get(1) == Some(&Data::String("BO-DZCZH-ZZ".into())))
    );

    let (status, headers, bytes) = get_raw(&api, "/api/reports?as_of=2025-06-30&format=csv").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        text.contains("water,TAIHU-2025,figure,total,重点项目（个）,33,,"),
        "{text}"
    );
    assert!(text.contains("water,TAIHU-2025,target,,开工率,72.7,70,yes"));
    assert!(text.contains("water,RAINSEWAGE-2025,figure,started,已开展排查及方案编制（家）,48,,"));

    let (_, headers, bytes) =
        get_raw(&api, "/api/reports?as_of=2025-06-30&format=html&lang=en").await;
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    let html = String::from_utf8(bytes).unwrap();
    assert!(html.contains("<td data-key=\"total\">33</td>"));
    assert!(html.contains("✔ met"));

    let (_, _, bytes) = get_raw(&api, "/api/reports?as_of=2025-06-30&format=md").await;
    let md = String::from_utf8(bytes).unwrap();
    assert!(
        md.contains("| 开工率 | 72.7%（目标 70.0%）✅ 达标，截止 2025-06-30 |"),
        "{md}"
    );

    let json = api
        .get("/api/reports?as_of=2025-06-30&format=json")
        .await
        .body;
    assert_eq!(json["as_of"], "2025-06-30");
    assert_eq!(
        json["sections"][1]["programmes"][1]["figures"][1]["value"],
        48
    );
}

#[sqlx::test]
async fn edge_cases_and_bad_input(pool: PgPool) {
    seed(&pool, &geodata_dir()).await.unwrap();
    let api = Api::new(pool.clone());
    let admin = user_with_token(&pool, "admin", Role::Admin).await;
    let editor = user_with_token(&pool, "editor", Role::Editor).await;

    // an empty programme reports zeros and no rate
    sqlx::query("INSERT INTO programme (code, name, category, target_count, target_start_rate) VALUES ('EMPTY-2025', '空清单', 'soil', 4, 0.5)")
        .execute(&pool)
        .await
        .unwrap();
    let template = json!({
        "section": "soil", "position": 10,
        "figures": [{"key": "total", "zh": "项目（个）", "en": "Projects"}, {"key": "stage.none.count", "zh": "无此阶段", "en": "No such stage"}],
        "template_zh": "空清单{{ total }}个,开工{{ started }}个{% if start_rate is none %},无开工率{% endif %}。",
        "template_en": "{{ total }} projects."
    });
    let uri = "/api/report-templates/programmes/EMPTY-2025";
    let reply = api
        .call(
            Method::PUT,
            uri,
            Some(&editor),
            None,
            Some(template.clone()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let reply = api
        .call(Method::PUT, uri, Some(&admin), None, Some(template.clone()))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let r = build(&pool, june(), None, Lang::Zh).await;
    let empty = part(&r, "EMPTY-2025");
    assert_eq!(empty.text, "空清单0个,开工0个,无开工率。");
    assert_eq!(
        empty
            .figures
            .iter()
            .map(|f| f.value.clone())
            .collect::<Vec<_>>(),
        [json!(0), json!(0)]
    );
    assert!(empty.targets.is_empty() && empty.open_count == 0 && empty.by_status.is_empty());

    // a programme without a template of its own gets the default one, in its category's section
    sqlx::query("INSERT INTO programme (code, name, category) VALUES ('NOTPL-2025', '无模板清单', 'safety')")
        .execute(&pool)
        .await
        .unwrap();
    let r = build(&pool, june(), None, Lang::Zh).await;
    assert_eq!(
        r.sections[3]
            .programmes
            .iter()
            .map(|p| p.code.as_str())
            .collect::<Vec<_>>(),
        ["NOTPL-2025"]
    );
    assert_eq!(
        part(&r, "NOTPL-2025").text,
        "无模板清单共0项,已开工0项,已完成0项。"
    );
    let listed = api.get("/api/report-templates").await.body;
    let notpl = listed["programmes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["programme"] == "NOTPL-2025")
        .unwrap();
    assert_eq!(
        (notpl["section"].clone(), notpl["default_template"].clone()),
        (json!("safety"), json!(true))
    );

    // templates that do not compile, or fail when rendered, are named
    let mut broken = template.clone();
    broken["template_zh"] = json!("第一行\n{% if total %}没有结束");
    let reply = api
        .call(Method::PUT, uri, Some(&admin), None, Some(broken))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("template_zh does not compile: line 2"),
        "{}",
        reply.body
    );
    let mut unknown_section = template.clone();
    unknown_section["section"] = json!("space");
    let reply = api
        .call(Method::PUT, uri, Some(&admin), None, Some(unknown_section))
        .await;
    assert_eq!(reply.body["detail"], "there is no report section \"space\"");
    let reply = api
        .call(
            Method::PUT,
            "/api/report-templates/programmes/NOPE",
            Some(&admin),
            None,
            Some(template.clone()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let mut failing = template.clone();
    failing["template_zh"] = json!("{{ no_such_function() }}");
    let reply = api
        .call(Method::PUT, uri, Some(&admin), None, Some(failing))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = api.get("/api/reports?as_of=2025-06-30").await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("the report template of programme EMPTY-2025"),
        "{}",
        reply.body
    );
    api.call(Method::PUT, uri, Some(&admin), None, Some(template))
        .await;

    for (query, message) in [
        (
            "as_of=2025-13-01",
            "as_of must be a date as YYYY-MM-DD, not \"2025-13-01\"",
        ),
        ("as_of=2999-01-01", "as_of 2999-01-01 is in the future"),
        (
            "as_of=2025-06-30&since=2025-06-30",
            "since 2025-06-30 must be before as_of 2025-06-30",
        ),
        (
            "format=pdf",
            "unknown format \"pdf\" (known: md, html, csv, xlsx, json)",
        ),
        ("lang=fr", "unknown lang \"fr\" (known: zh, en)"),
        ("as_of=2025-06-30&colour=red", "bad query string"),
    ] {
        let reply = api.get(&format!("/api/reports?{query}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        let detail = reply.body["detail"].as_str().unwrap();
        assert!(detail.starts_with(message), "{query}: {detail}");
    }

    // a section's intro is editable data too
    let sections = api.get("/api/report-templates").await.body;
    let mut soil = sections["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "soil")
        .unwrap()
        .clone();
    soil["template_zh"] = json!("在册地块{{ inventory.contaminated_plot.count }}块。");
    let reply = api
        .call(
            Method::PUT,
            "/api/report-templates/sections/soil",
            Some(&admin),
            None,
            Some(soil),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let r = build(&pool, june(), None, Lang::Zh).await;
    assert_eq!(r.sections[2].text, "在册地块10块。");
}
