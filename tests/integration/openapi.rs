//! The OpenAPI document states what the server enforces: every name its enums and patterns
//! allow is accepted, a name outside them is refused, and its ranges are the server's limits.

use crate::api::{Api, fixtures};
use serde_json::Value;
use sqlx::PgPool;

fn parameter<'a>(doc: &'a Value, path: &str, name: &str) -> &'a Value {
    doc["paths"][path]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .map(|p| &p["schema"])
        .unwrap_or_else(|| panic!("no parameter {name} on {path}"))
}

/// The names a `^(a|b)(,(a|b))*$` or `^-?(a|b)$` pattern allows.
fn pattern_names(schema: &Value) -> Vec<String> {
    let pattern = schema["pattern"].as_str().unwrap();
    let open = pattern.find('(').unwrap() + 1;
    let close = pattern[open..].find(')').unwrap() + open;
    pattern[open..close]
        .split('|')
        .map(str::to_string)
        .collect()
}

#[sqlx::test]
async fn enums_patterns_and_ranges_are_the_servers_own(pool: PgPool) {
    fixtures(&pool).await;
    let api = Api::new(pool);
    let doc = api.get("/api/openapi.json").await.body;
    for (path, name) in [
        ("/api/projects", "status"),
        ("/api/projects", "category"),
        ("/api/projects", "sort"),
        ("/api/sites", "kind"),
        ("/api/sites", "state"),
        ("/api/sites", "sort"),
    ] {
        let names = pattern_names(parameter(&doc, path, name));
        assert!(names.len() >= 3, "{path} {name}: {names:?}");
        for value in &names {
            let reply = api.get(&format!("{path}?{name}={value}")).await;
            assert_eq!(reply.status, 200, "{path}?{name}={value}: {}", reply.body);
        }
        let reply = api.get(&format!("{path}?{name}=no_such_name")).await;
        assert_eq!(reply.status, 400, "{path}?{name}=no_such_name");
    }
    let crs = parameter(&doc, "/api/locate", "crs")["enum"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(crs.len(), 5);
    for (path, query) in [
        ("/api/projects", ""),
        ("/api/sites", ""),
        ("/ogc/collections/{id}/items", ""),
    ] {
        let limit = parameter(&doc, path, "limit");
        let max = limit["maximum"].as_i64().unwrap();
        let concrete = path.replace("{id}", "river");
        assert_eq!(
            api.get(&format!("{concrete}?limit={max}{query}"))
                .await
                .status,
            200,
            "{path}"
        );
        assert_eq!(
            api.get(&format!("{concrete}?limit={}{query}", max + 1))
                .await
                .status,
            400,
            "{path}"
        );
        assert_eq!(limit["minimum"], 1);
    }
}
