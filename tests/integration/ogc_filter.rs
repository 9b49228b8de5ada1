//! OGC API - Features Part 3: CQL2 text filters on the site collections select exactly the
//! expected features, bind every value, and refuse bad filters with a message.

use crate::api::{Api, fixtures};
use axum::http::StatusCode;
use sqlx::PgPool;

/// The codes of the features an items request returns, sorted.
async fn codes(api: &Api, collection: &str, filter: &str, extra: &str) -> Vec<String> {
    let encoded = serde_urlencoded::to_string([("filter", filter)]).unwrap();
    let reply = api
        .get(&format!(
            "/ogc/collections/{collection}/items?{encoded}{extra}"
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{filter}: {}", reply.body);
    let mut codes: Vec<String> = reply.body["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["code"].as_str().unwrap().to_string())
        .collect();
    codes.sort();
    assert_eq!(reply.body["numberMatched"], codes.len());
    codes
}

async fn refusal(api: &Api, collection: &str, query: &str) -> String {
    let reply = api
        .get(&format!("/ogc/collections/{collection}/items?{query}"))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
    reply.body["detail"].as_str().unwrap().to_string()
}

#[sqlx::test]
async fn cql2_filters_select_exactly_the_matching_sites(pool: PgPool) {
    fixtures(&pool).await;
    let api = Api::new(pool.clone());
    let none: Vec<String> = Vec::new();
    assert_eq!(
        codes(&api, "outfall", "status = 'completed'", "").await,
        ["OF-1"]
    );
    assert_eq!(
        codes(&api, "outfall", "status IN ('planned', 'in_progress')", "").await,
        none
    );
    assert_eq!(
        codes(&api, "outfall", "NOT status = 'completed'", "").await,
        none
    );
    assert_eq!(
        codes(
            &api,
            "outfall",
            "programme = 'TAIHU' AND remediation_state = 'done'",
            ""
        )
        .await,
        ["OF-1"]
    );
    assert_eq!(
        codes(
            &api,
            "outfall",
            "outfall_type = 'other' AND placeholder = FALSE",
            ""
        )
        .await,
        ["OF-1"]
    );
    // a black-odor body's category is its own attribute, not its project's
    assert_eq!(
        codes(
            &api,
            "black_odor_water",
            "category = 'backyard' AND name LIKE '大周%'",
            ""
        )
        .await,
        ["BO-1"]
    );
    assert_eq!(
        codes(&api, "black_odor_water", "category = 'water'", "").await,
        none
    );
    assert_eq!(
        codes(
            &api,
            "key_zone",
            "radius_m BETWEEN 2999 AND 3001 AND name_en IS NULL",
            ""
        )
        .await,
        ["KZ-1"]
    );
    assert_eq!(
        codes(
            &api,
            "enterprise",
            "updated_at > DATE('2000-01-01') OR code = 'x'",
            ""
        )
        .await,
        ["EN-1"]
    );
    assert_eq!(
        codes(&api, "contaminated_plot", "status IS NULL", "").await,
        none
    );
    assert_eq!(codes(&api, "river", "status IS NULL", "").await, ["RV-1"]);
    assert_eq!(
        codes(&api, "river", "'main' = river_class", "").await,
        ["RV-1"]
    );

    // spatial functions, in CRS84 and latitude-first EPSG:4326
    assert_eq!(
        codes(
            &api,
            "outfall",
            "S_INTERSECTS(geometry, BBOX(119.85, 31.79, 119.87, 31.81))",
            ""
        )
        .await,
        ["OF-1"]
    );
    assert_eq!(
        codes(
            &api,
            "outfall",
            "S_INTERSECTS(geometry, BBOX(119.90, 31.79, 119.91, 31.81))",
            ""
        )
        .await,
        none
    );
    assert_eq!(
        codes(
            &api,
            "outfall",
            "S_WITHIN(geometry, BBOX(31.79, 119.85, 31.81, 119.87))",
            "&filter-crs=http://www.opengis.net/def/crs/EPSG/0/4326"
        )
        .await,
        ["OF-1"]
    );
    assert_eq!(
        codes(&api, "river", "S_CROSSES(geometry, LINESTRING(119.85 31.70, 119.85 31.90)) AND S_DISJOINT(geometry, POINT(119.85 31.85))", "").await,
        ["RV-1"]
    );
    assert_eq!(
        codes(
            &api,
            "contaminated_plot",
            "s_intersects(geometry, POLYGON((119.9 31.7, 120.0 31.7, 120.0 31.8, 119.9 31.7)))",
            ""
        )
        .await,
        ["CP-1"]
    );

    // values are bound, never spliced into the SQL
    assert_eq!(
        codes(&api, "outfall", "name = 'x''; DROP TABLE site; --'", "").await,
        none
    );
    let sites: i64 = sqlx::query_scalar("SELECT count(*) FROM site")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(sites, 6);

    // the filter stays on the paging links
    let reply = api
        .get("/ogc/collections/outfall/items?filter=status%3D%27completed%27&limit=1")
        .await;
    let self_link = reply.body["links"][0]["href"].as_str().unwrap();
    assert!(
        self_link.ends_with("items?limit=1&offset=0&filter=status%3D%27completed%27"),
        "{self_link}"
    );

    // a queryable is also a query parameter, an equality AND-ed to the filter, and stays on the
    // paging links; other parameters are left alone
    let by_parameter = |query: &'static str| {
        let api = &api;
        async move {
            let reply = api
                .get(&format!("/ogc/collections/river/items?{query}"))
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.body);
            (
                reply.body["numberMatched"].clone(),
                reply.body["links"][0]["href"].clone(),
            )
        }
    };
    let (matched, self_link) = by_parameter("river_class=main&code=RV-1&limit=5").await;
    assert_eq!(matched, 1);
    assert!(
        self_link
            .as_str()
            .unwrap()
            .ends_with("items?limit=5&offset=0&code=RV-1&river_class=main"),
        "{self_link}"
    );
    assert_eq!(by_parameter("river_class=tributary").await.0, 0);
    assert_eq!(
        by_parameter("code=RV-1&filter=status%20IS%20NULL&f=json")
            .await
            .0,
        1
    );
    assert_eq!(by_parameter("code=O%27Brien").await.0, 0);
    assert_eq!(
        refusal(&api, "outfall", "placeholder=maybe").await,
        "placeholder must be true or false, got \"maybe\""
    );

    // the queryables list what filters can name
    let queryables = api
        .get("/ogc/collections/black_odor_water/queryables")
        .await
        .body;
    let names: Vec<&String> = queryables["properties"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    for name in [
        "code",
        "status",
        "programme",
        "category",
        "severity",
        "geometry",
        "updated_at",
    ] {
        assert!(names.contains(&&name.to_string()), "{name} in {names:?}");
    }
    assert_eq!(
        queryables["properties"]["category"]["enum"],
        serde_json::json!(["tributary", "backyard"])
    );
}

#[sqlx::test]
async fn bad_filters_get_a_400_that_says_why(pool: PgPool) {
    fixtures(&pool).await;
    let api = Api::new(pool);
    let cases = [
        (
            "outfall",
            "filter=name%20%3D%20",
            "filter: the filter ends where a value (a 'string', a number, TRUE, FALSE, DATE(…) or TIMESTAMP(…)) was expected",
        ),
        (
            "outfall",
            "filter=colour%3D%27red%27",
            "filter: \"colour\" is not a queryable of outfall (see the collection's queryables)",
        ),
        (
            "outfall",
            "filter=placeholder%3D%27yes%27",
            "filter: placeholder is TRUE or FALSE",
        ),
        (
            "outfall",
            "filter=name%20LIKE%203",
            "filter: at character 11: expected a 'pattern' string after LIKE, found the number 3",
        ),
        (
            "outfall",
            "filter=S_INTERSECTS(geometry,POLYGON((1%202,3)))",
            "filter: the geometry \"POLYGON((1 2,3))\" is not valid WKT: ",
        ),
        (
            "outfall",
            "filter=code%3D%27a%27&filter-lang=cql2-json",
            "filter-lang must be cql2-text, got \"cql2-json\"",
        ),
        (
            "outfall",
            "filter=code%3D%27a%27&filter-crs=EPSG:3857",
            "unsupported filter-crs \"EPSG:3857\"; supported: ",
        ),
        (
            "admin_area",
            "filter=code%3D%27a%27",
            "filter applies to the site collections; admin_area takes bbox, datetime, status, town and programme",
        ),
    ];
    for (collection, query, expected) in cases {
        let detail = refusal(&api, collection, query).await;
        assert!(detail.starts_with(expected), "{query}: {detail}");
    }
}
