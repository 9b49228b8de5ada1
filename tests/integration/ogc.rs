//! OGC API - Features: the shapes a generic client relies on, and paging that visits every
//! feature exactly once.

use crate::api::Api;
use crate::common::{cgcs2000_gk120, geodata_dir};
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
    assert_eq!(
        rels,
        [
            "self",
            "service-desc",
            "service-desc",
            "conformance",
            "data"
        ]
    );
    // the OGC API's own definition, in OpenAPI 3.0 (the oas30 class)
    let definition = api.get("/ogc/api").await;
    assert_eq!(
        definition.headers["content-type"],
        "application/vnd.oai.openapi+json;version=3.0"
    );
    assert_eq!(definition.body["openapi"], "3.0.3");
    let paths: Vec<&String> = definition.body["paths"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert!(paths.iter().all(|p| p.starts_with("/ogc")), "{paths:?}");
    assert!(paths.len() >= 7, "{paths:?}");
    assert!(!definition.body.to_string().contains("\"null\""));
    let conformance = api.get("/ogc/conformance").await.body;
    assert_eq!(
        conformance["conformsTo"],
        serde_json::json!([
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
            "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
            "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
            "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
            "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
            "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
            "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
            "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
            "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
            "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
            "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
            "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
            "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
            "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
            "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
        ])
    );
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
            "facility",
            "admin_area",
            "projects"
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

#[sqlx::test]
async fn features_in_other_crss_follow_the_authority_axis_order(pool: PgPool) {
    let (lon, lat) = (119.946_123, 31.772_456);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO site (kind, code, name, attrs, geom) VALUES ('monitoring_section', 'MS-1', '断面', '{\"level\": \"city\"}', ST_SetSRID(ST_MakePoint($1, $2), 4326)) RETURNING id",
    )
    .bind(lon)
    .bind(lat)
    .fetch_one(&pool)
    .await
    .unwrap();
    let api = Api::new(pool);
    let coordinates = |body: &serde_json::Value| -> (f64, f64) {
        let c = &body["geometry"]["coordinates"];
        (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
    };
    let item = format!("/ogc/collections/monitoring_section/items/{id}");

    let reply = api.get(&item).await;
    assert_eq!(
        reply.headers["content-crs"],
        "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    );
    assert_eq!(coordinates(&reply.body), (lon, lat));

    let reply = api
        .get(&format!(
            "{item}?crs=http://www.opengis.net/def/crs/EPSG/0/4490"
        ))
        .await;
    assert_eq!(
        reply.headers["content-crs"],
        "<http://www.opengis.net/def/crs/EPSG/0/4490>"
    );
    let (first, second) = coordinates(&reply.body);
    assert!(
        (first - lat).abs() < 1e-6 && (second - lon).abs() < 1e-6,
        "EPSG:4490 is latitude first: {first}, {second}"
    );

    let (easting, northing) = cgcs2000_gk120(lon, lat);
    let reply = api
        .get(&format!(
            "{item}?crs=http://www.opengis.net/def/crs/EPSG/0/4549"
        ))
        .await;
    let (north, east) = coordinates(&reply.body);
    assert!(
        (north - northing).abs() < 0.01 && (east - easting).abs() < 0.01,
        "EPSG:4549 is northing first: {north}, {east} vs {northing}, {easting}"
    );
    let reply = api.get(&format!("{item}?crs=EPSG:4528")).await;
    let (north, east) = coordinates(&reply.body);
    assert!((north - northing).abs() < 0.01 && (east - 40_000_000.0 - easting).abs() < 0.01);

    // a latitude-first bbox in EPSG:4326 finds it; the same numbers as CRS84 do not
    let lat_first = format!(
        "bbox={},{},{},{}&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326",
        lat - 0.01,
        lon - 0.01,
        lat + 0.01,
        lon + 0.01
    );
    let body = api
        .get(&format!(
            "/ogc/collections/monitoring_section/items?{lat_first}"
        ))
        .await
        .body;
    assert_eq!(body["numberMatched"], 1);
    let reply = api
        .get(&format!(
            "/ogc/collections/monitoring_section/items?bbox={},{},{},{}",
            lat - 0.01,
            lon - 0.01,
            lat + 0.01,
            lon + 0.01
        ))
        .await;
    assert_eq!(
        reply.status,
        StatusCode::BAD_REQUEST,
        "lat/lon given as CRS84 looks swapped"
    );

    let reply = api.get(&format!("{item}?crs=EPSG:3857")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("unsupported crs \"EPSG:3857\"")
    );
}

#[sqlx::test]
async fn queryables_datetime_and_properties(pool: PgPool) {
    seed(&pool, &geodata_dir()).await.unwrap();
    let api = Api::new(pool);
    let queryables = api
        .get("/ogc/collections/black_odor_water/queryables")
        .await;
    assert_eq!(
        queryables.headers["content-type"],
        "application/schema+json"
    );
    // JSON objects keep their order (serde_json's preserve_order): compare the sorted names
    let mut names: Vec<&String> = queryables.body["properties"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "black_odor_grade",
            "category",
            "code",
            "geometry",
            "id",
            "latest_class",
            "latest_sampled_at",
            "length_m",
            "meets_target",
            "name",
            "name_en",
            "placeholder",
            "programme",
            "remediation_state",
            "severity",
            "soil_risk",
            "status",
            "town",
            "town_code",
            "updated_at",
            "village"
        ]
    );
    let projects = api.get("/ogc/collections/projects/queryables").await.body;
    let mut names: Vec<&String> = projects["properties"].as_object().unwrap().keys().collect();
    names.sort();
    assert_eq!(names, ["programme", "status", "town"]);

    let body = api
        .get("/ogc/collections/black_odor_water/items?status=completed")
        .await
        .body;
    let codes: Vec<&str> = body["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["BO-DZCZH"]);
    let body = api.get("/ogc/collections/black_odor_water/items?programme=BLACKODOR-2025&town=320404007&properties=code,remediation_state").await.body;
    let first = body["features"][0]["properties"].as_object().unwrap();
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        ["code", "remediation_state"]
    );
    let next = body["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "self")
        .unwrap()["href"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        next.contains("&properties=code,remediation_state") && next.contains("&town=320404007"),
        "{next}"
    );

    assert_eq!(
        api.get("/ogc/collections/river/items?datetime=../2000-01-01")
            .await
            .body["numberMatched"],
        0
    );
    assert_eq!(
        api.get("/ogc/collections/river/items?datetime=2000-01-01T00:00:00Z/..")
            .await
            .body["numberMatched"],
        82
    );
    assert_eq!(
        api.get("/ogc/collections/river/items?datetime=yesterday")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        api.get("/ogc/collections/river/items?status=done")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

#[sqlx::test]
async fn admin_areas_and_projects_are_collections_too(pool: PgPool) {
    seed(&pool, &geodata_dir()).await.unwrap();
    let api = Api::new(pool.clone());
    let areas = api.get("/ogc/collections/admin_area/items").await.body;
    assert_eq!(areas["numberMatched"], 9);
    assert_eq!(areas["features"][0]["id"], "320404");
    let town = api.get("/ogc/collections/admin_area/items/320404007").await;
    assert_eq!(town.body["properties"]["name"], "新闸街道");
    assert_eq!(town.body["geometry"]["type"], "MultiPolygon");

    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM project")
        .fetch_one(&pool)
        .await
        .unwrap();
    let mut uri = "/ogc/collections/projects/items?limit=100".to_string();
    let mut seen = BTreeSet::new();
    loop {
        let body = api.get(&uri).await.body;
        assert_eq!(body["numberMatched"], total);
        for f in body["features"].as_array().unwrap() {
            assert!(seen.insert(f["id"].as_i64().unwrap()));
        }
        match body["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
        {
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
    assert_eq!(seen.len() as i64, total);
    let body = api
        .get("/ogc/collections/projects/items?programme=BLACKODOR-2025&status=completed")
        .await
        .body;
    assert_eq!(body["numberMatched"], 1);
    let filled = &body["features"][0];
    assert_eq!(filled["properties"]["code"], "BO-DZCZH-ZZ");
    assert_eq!(
        filled["geometry"]["type"], "MultiLineString",
        "the collected geometry of its one site, a line"
    );
    let past_end = api
        .get("/ogc/collections/projects/items?offset=1000")
        .await
        .body;
    assert_eq!(
        (
            past_end["numberMatched"].as_i64(),
            past_end["numberReturned"].as_i64()
        ),
        (Some(total), Some(0))
    );
}

#[sqlx::test]
async fn large_matches_are_estimated_not_counted(pool: PgPool) {
    use remediation_tracker::db::sites::{self, Matched, SiteFilter};
    crate::api::fixtures(&pool).await;
    let mut conn = pool.acquire().await.unwrap();
    let filter = SiteFilter::default();
    let (matched, items) = sites::list_counted(&mut conn, &filter, ("id", false), 2, 0, Some(1000))
        .await
        .unwrap();
    assert_eq!((matched, items.len()), (Matched::Exact(6), 2));
    // above the threshold the planner's figure stands in, and no row is counted
    let (matched, items) = sites::list_counted(&mut conn, &filter, ("id", false), 2, 0, Some(0))
        .await
        .unwrap();
    assert!(
        matches!(matched, Matched::Estimated(n) if n > 0),
        "{matched:?}"
    );
    assert_eq!(items.len(), 2);
}
