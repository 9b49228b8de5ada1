//! OGC API - Features: the shapes a generic client relies on, and paging that visits every
//! feature exactly once.

use crate::api::Api;
use crate::common::geodata_dir;
use axum::http::StatusCode;
use remediation_tracker::seed::seed;
use sqlx::PgPool;
use std::collections::BTreeSet;

#[sqlx::test]
async fn landing_conformance_and_collections(pool: PgPool) {
    seed(&pool, &geodata_dir()).await.unwrap();
    let api = Api::new(pool);
    let landing = api.get("/ogc").await.body;
    let rels: Vec<&str> = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    assert_eq!(rels, ["self", "service-desc", "conformance", "data"]);
    let conformance = api.get("/ogc/conformance").await.body;
    assert_eq!(conformance["conformsTo"].as_array().unwrap().len(), 2);
    let collections = api.get("/ogc/collections").await.body;
    let ids: Vec<&str> = collections["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "river",
            "black_odor_water",
            "contaminated_plot",
            "key_zone",
            "monitoring_section",
            "outfall",
            "enterprise",
            "facility"
        ]
    );
    let river = api.get("/ogc/collections/river").await.body;
    let bbox = river["extent"]["spatial"]["bbox"][0].as_array().unwrap();
    assert_eq!(bbox.len(), 4);
    assert!(bbox[0].as_f64().unwrap() > 119.7 && bbox[2].as_f64().unwrap() < 120.0);
    assert_eq!(
        api.get("/ogc/collections/lake").await.status,
        StatusCode::NOT_FOUND
    );
}

#[sqlx::test]
async fn paging_with_next_visits_every_feature_once(pool: PgPool) {
    seed(&pool, &geodata_dir()).await.unwrap();
    let expected: i64 =
        sqlx::query_scalar("SELECT count(*) FROM site WHERE kind = 'monitoring_section'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let api = Api::new(pool);
    let mut uri = "/ogc/collections/monitoring_section/items?limit=25".to_string();
    let mut seen = BTreeSet::new();
    let mut pages = 0;
    loop {
        let reply = api.get(&uri).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.headers["content-type"], "application/geo+json");
        let body = reply.body;
        assert_eq!(body["numberMatched"], expected);
        let features = body["features"].as_array().unwrap();
        assert_eq!(
            body["numberReturned"].as_u64().unwrap() as usize,
            features.len()
        );
        for f in features {
            assert!(
                seen.insert(f["id"].as_i64().unwrap()),
                "feature {} seen twice",
                f["id"]
            );
            assert_eq!(f["properties"]["kind"], "monitoring_section");
        }
        pages += 1;
        let next = body["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next");
        match next {
            Some(link) => {
                uri = link["href"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("http://127.0.0.1:8080")
                    .to_string()
            }
            None => break,
        }
    }
    assert_eq!(seen.len() as i64, expected);
    assert_eq!(pages, 6, "128 sections in pages of 25");

    let one = *seen.iter().next().unwrap();
    let item = api
        .get(&format!("/ogc/collections/monitoring_section/items/{one}"))
        .await;
    assert_eq!(item.status, StatusCode::OK);
    assert_eq!(item.body["id"], one);
    assert_eq!(
        api.get(&format!("/ogc/collections/river/items/{one}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let in_box = api
        .get("/ogc/collections/outfall/items?bbox=119.885,31.81,119.895,31.82")
        .await
        .body;
    let codes: Vec<&str> = in_box["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["OF-XZPK", "OF-P02"]);
    for bad in [
        "limit=0",
        "limit=10001",
        "bbox=1,2,3",
        "bbox=120,31,119,32",
        "offset=-1",
    ] {
        let reply = api
            .get(&format!("/ogc/collections/river/items?{bad}"))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}
