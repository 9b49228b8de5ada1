//! The OGC API's own API definition at `/ogc/api`, as OpenAPI 3.0 (the OGC `oas30` conformance
//! class): the `/ogc` paths of the generated 3.1 document, rendered down to 3.0. The two versions
//! differ, for what utoipa writes, in how a value that may be null is said (3.1: `"type":
//! ["string", "null"]` or a `oneOf` with `{"type": "null"}`; 3.0: `"nullable": true`) and in the
//! license's `identifier`, which 3.0 does not have.

use serde_json::{Map, Value, json};

/// The 3.0 rendering of a 3.1 document (as utoipa writes them).
pub fn render(mut document: Value) -> Value {
    downgrade(&mut document);
    if let Some(top) = document.as_object_mut() {
        top.insert("openapi".into(), json!("3.0.3"));
        top.remove("jsonSchemaDialect");
        top.remove("webhooks");
        if let Some(Value::Object(license)) = top.get_mut("info").and_then(|i| i.get_mut("license"))
        {
            license.remove("identifier");
        }
    }
    document
}

fn is_null_type(v: &Value) -> bool {
    v.get("type").is_some_and(|t| t == "null") && v.as_object().is_some_and(|o| o.len() == 1)
}

fn downgrade(value: &mut Value) {
    match value {
        Value::Object(object) => {
            nullable_types(object);
            nullable_alternatives(object);
            object.values_mut().for_each(downgrade);
        }
        Value::Array(items) => items.iter_mut().for_each(downgrade),
        _ => {}
    }
}

/// `"type": ["string", "null"]` → `"type": "string", "nullable": true`.
fn nullable_types(object: &mut Map<String, Value>) {
    let Some(Value::Array(types)) = object.get("type") else {
        return;
    };
    let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
    let nullable = kept.len() < types.len();
    match kept.as_slice() {
        [one] => {
            object.insert("type".into(), one.clone());
        }
        [] => {
            object.remove("type");
        }
        _ => {
            // several types: 3.0 says that with anyOf
            object.remove("type");
            let alternatives = kept.into_iter().map(|t| json!({ "type": t })).collect();
            object.insert("anyOf".into(), Value::Array(alternatives));
        }
    }
    if nullable {
        object.insert("nullable".into(), json!(true));
    }
}

/// `"oneOf": [{"type": "null"}, X]` → X with `"nullable": true` (a reference is wrapped in
/// `allOf`, since 3.0 ignores siblings of `$ref`).
fn nullable_alternatives(object: &mut Map<String, Value>) {
    for key in ["oneOf", "anyOf"] {
        let Some(Value::Array(alternatives)) = object.get_mut(key) else {
            continue;
        };
        let before = alternatives.len();
        alternatives.retain(|a| !is_null_type(a));
        if alternatives.len() == before {
            continue;
        }
        object.insert("nullable".into(), json!(true));
        if let Some(Value::Array(alternatives)) = object.get(key)
            && let [only] = alternatives.as_slice()
        {
            let only = only.clone();
            object.remove(key);
            if only.get("$ref").is_some() {
                object.insert("allOf".into(), json!([only]));
            } else if let Value::Object(fields) = only {
                for (name, value) in fields {
                    object.entry(name).or_insert(value);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_become_nullable() {
        let doc = render(json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1", "license": {"name": "MIT", "identifier": "MIT"}},
            "paths": {},
            "components": {"schemas": {"S": {"type": "object", "properties": {
                "a": {"type": ["string", "null"]},
                "b": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/T"}]},
                "c": {"type": ["integer", "string"]},
                "d": {"type": "string"}
            }}}}
        }));
        assert_eq!(doc["openapi"], "3.0.3");
        assert_eq!(doc["info"]["license"], json!({"name": "MIT"}));
        let p = &doc["components"]["schemas"]["S"]["properties"];
        assert_eq!(p["a"], json!({"type": "string", "nullable": true}));
        assert_eq!(
            p["b"],
            json!({"allOf": [{"$ref": "#/components/schemas/T"}], "nullable": true})
        );
        assert_eq!(
            p["c"],
            json!({"anyOf": [{"type": "integer"}, {"type": "string"}]})
        );
        assert_eq!(p["d"], json!({"type": "string"}));
    }
}
