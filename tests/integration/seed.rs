//! The sample data set: counts match geodata/README.md, the report's figures can be recomputed,
//! and seeding twice changes nothing.

use crate::common::{digest, geodata_dir};
use remediation_tracker::domain::SiteKind;
use remediation_tracker::seed::{SeedSummary, seed};
use sqlx::PgPool;
use std::collections::BTreeMap;

/// The "| `kind` | count |" rows of the counts table in geodata/README.md.
fn readme_counts() -> BTreeMap<String, i64> {
    let readme =
        std::fs::read_to_string(geodata_dir().join("README.md")).expect("geodata/README.md");
    let section = readme
        .split("## Counts")
        .nth(1)
        .expect("a '## Counts' section in geodata/README.md");
    let mut counts = BTreeMap::new();
    for line in section.lines().take_while(|l| !l.starts_with("## ")) {
        let cells: Vec<&str> = line
            .split('|')
            .map(|c| c.trim().trim_matches('`'))
            .collect();
        if cells.len() >= 3
            && let Ok(n) = cells[2].replace(',', "").parse::<i64>()
        {
            counts.insert(cells[1].to_string(), n);
        }
    }
    counts
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test]
async fn counts_per_kind_match_the_readme(pool: PgPool) {
    let summary = seed(&pool, &geodata_dir()).await.unwrap();
    let expected = readme_counts();
    let mut actual = BTreeMap::new();
    actual.insert(
        "admin_area".to_string(),
        count(&pool, "SELECT count(*) FROM admin_area").await,
    );
    for kind in SiteKind::ALL {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM site WHERE kind = $1")
            .bind(kind.as_str())
            .fetch_one(&pool)
            .await
            .unwrap();
        actual.insert(kind.as_str().to_string(), n);
    }
    actual.insert(
        "programme".to_string(),
        count(&pool, "SELECT count(*) FROM programme").await,
    );
    actual.insert(
        "project".to_string(),
        count(&pool, "SELECT count(*) FROM project").await,
    );
    actual.insert(
        "project_site".to_string(),
        count(&pool, "SELECT count(*) FROM project_site").await,
    );
    let stated: BTreeMap<String, i64> = actual
        .keys()
        .map(|k| (k.clone(), expected.get(k).copied().unwrap_or(-1)))
        .collect();
    assert_eq!(
        actual, stated,
        "geodata/README.md must state the exact count of every kind"
    );
    assert_eq!(summary.admin_areas as i64, actual["admin_area"]);
    assert_eq!(summary.projects as i64, actual["project"]);
}

#[sqlx::test]
async fn seeding_twice_changes_nothing(pool: PgPool) {
    seed(&pool, &geodata_dir()).await.unwrap();
    let first = digest(&pool).await;
    let again = seed(&pool, &geodata_dir()).await.unwrap();
    assert_eq!(
        again,
        SeedSummary::default(),
        "the second seed adds nothing"
    );
    assert_eq!(
        digest(&pool).await,
        first,
        "the second seed changes nothing"
    );
}

#[sqlx::test]
async fn the_report_figures_can_be_recomputed(pool: PgPool) {
    seed(&pool, &geodata_dir()).await.unwrap();
    // 8 streets/towns in one district
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM admin_area WHERE level = 'town' AND parent_code = '320404'"
        )
        .await,
        8
    );
    // 18 black-odor bodies: 6 支流支浜 + 12 房前屋后
    assert_eq!(count(&pool, "SELECT count(*) FROM site WHERE kind = 'black_odor_water' AND attrs->>'category' = 'tributary'").await, 6);
    assert_eq!(count(&pool, "SELECT count(*) FROM site WHERE kind = 'black_odor_water' AND attrs->>'category' = 'backyard'").await, 12);
    let by_stage: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT p.status, coalesce(p.stage, ''), count(*) FROM project p JOIN programme g ON g.id = p.programme_id
         WHERE g.code = 'BLACKODOR-2025' GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let by_stage: Vec<(&str, &str, i64)> = by_stage
        .iter()
        .map(|(s, g, n)| (s.as_str(), g.as_str(), *n))
        .collect();
    assert_eq!(
        by_stage,
        [
            ("completed", "filled", 1),
            ("in_progress", "debris_removed", 10),
            ("in_progress", "dredging", 1),
            ("preparing", "plan", 6)
        ]
    );
    let filled: String = sqlx::query_scalar(
        "SELECT s.name FROM site s JOIN project_site ps ON ps.site_id = s.id JOIN project p ON p.id = ps.project_id WHERE p.stage = 'filled'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(filled, "大周村中河");

    let programme = |code: &'static str| {
        let pool = pool.clone();
        async move {
            let rows: Vec<(String, i64)> = sqlx::query_as(
                "SELECT p.status, count(*) FROM project p JOIN programme g ON g.id = p.programme_id WHERE g.code = $1 GROUP BY 1 ORDER BY 1",
            )
            .bind(code)
            .fetch_all(&pool)
            .await
            .unwrap();
            rows
        }
    };
    assert_eq!(
        programme("LIGHTING-2025").await,
        [("accepted".to_string(), 83)]
    );
    assert_eq!(
        programme("PICKLING-2025").await,
        [("in_progress".to_string(), 11)]
    );
    assert_eq!(
        programme("RAINSEWAGE-2025").await,
        [("in_progress".to_string(), 48), ("planned".to_string(), 75)]
    );
    assert_eq!(programme("PACKAGED").await, [("suspended".to_string(), 5)]);
    assert_eq!(count(&pool, "SELECT count(*) FROM project p JOIN programme g ON g.id = p.programme_id WHERE g.code = 'TAIHU-2025'").await, 33);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM project p JOIN programme g ON g.id = p.programme_id WHERE g.code = 'TAIHU-2025' AND (p.attrs->>'provincial_list')::boolean").await,
        6
    );
    // every firm of the three enterprise programmes is on the map
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM site WHERE kind = 'enterprise' AND attrs->'sectors' ? 'lighting'"
        )
        .await,
        83
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM site WHERE kind = 'enterprise' AND attrs->'sectors' ? 'pickling_phosphating'").await, 11);
    assert_eq!(count(&pool, "SELECT count(*) FROM site WHERE kind = 'enterprise' AND attrs->'sectors' ? 'rain_sewage'").await, 123);
    assert_eq!(count(&pool, "SELECT count(*) FROM site WHERE kind = 'enterprise' AND attrs->'sectors' ? 'hazardous_waste'").await, 6);
    // the history replays to the current status of every project
    assert_eq!(
        count(&pool, "SELECT count(*) FROM project p WHERE p.status IS DISTINCT FROM (
                          SELECT e.to_status FROM project_event e WHERE e.project_id = p.id AND e.to_status IS NOT NULL ORDER BY e.at DESC, e.id DESC LIMIT 1)").await,
        0
    );
    // every site lies in its town
    assert_eq!(
        count(&pool, "SELECT count(*) FROM site s JOIN admin_area a ON a.code = s.town_code WHERE NOT ST_Intersects(a.geom, ST_PointOnSurface(s.geom))").await,
        0
    );
    assert_eq!(
        count(&pool, "SELECT count(*) FROM site WHERE town_code IS NULL").await,
        0
    );
}

#[sqlx::test]
async fn the_sample_measurements_tell_their_stories(pool: PgPool) {
    let summary = seed(&pool, &geodata_dir()).await.unwrap();
    let stored = count(&pool, "SELECT count(*) FROM sample").await;
    assert_eq!(summary.samples as i64, stored);
    // 128 sections × 18 months × 8 parameters, 崔家浜 36 × 4, 18 bodies × 78 surveys × 4, 10 plots × 6
    assert_eq!(stored, 128 * 18 * 8 + 36 * 4 + 18 * 78 * 4 + 10 * 6);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM site WHERE kind = 'monitoring_section' AND latest_class IS NOT NULL").await,
        128
    );
    // 崔家浜's 一河一策 works (OR-01, from 2025-05-20): 劣Ⅴ before, Ⅳ since
    let project: i64 = sqlx::query_scalar("SELECT id FROM project WHERE code = 'OR-01'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let effect = remediation_tracker::samples::effect::effect(
        &mut conn,
        project,
        chrono::NaiveDate::from_ymd_opt(2025, 5, 20),
        None,
    )
    .await
    .unwrap();
    assert_eq!(effect.sites.len(), 1);
    assert_eq!(effect.sites[0].code, "RV-CJB");
    assert_eq!(effect.sites[0].change.as_deref(), Some("劣Ⅴ → Ⅳ"));
    assert!(effect.sites[0].moved_by.iter().any(|p| p == "nh3n"));
    // 大周村中河: completed on 2025-06-10, light again on its last survey
    assert_eq!(
        count(&pool, "SELECT count(*) FROM alert a JOIN site s ON s.id = a.site_id WHERE s.code = 'BO-DZCZH' AND a.kind = 'rebound' AND a.state = 'open'").await,
        1
    );
    // one plot over the screening value (arsenic 72 mg/kg on industrial land, screening 60)
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM site WHERE soil_risk = 'over_screening'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM site WHERE code = 'CP-L01' AND soil_risk = 'over_screening'"
        )
        .await,
        1
    );
}
