//! OpenAPI 3.0 documents in 3.1 terms, so that 3.0 ↔ 3.0 and 3.0 ↔ 3.1 compare by meaning.
//!
//! OpenAPI 3.0 schemas are an extended subset of JSON Schema draft 4
//! (OpenAPI 3.0.3 §4.7.24); 3.1 uses JSON Schema 2020-12. The differences that change what a
//! schema allows are rewritten:
//! - `nullable: true` becomes `null` in `type` (and in `enum`, when there is one; OpenAPI
//!   3.0.3 leaves that case open, and most tools read it so); beside no `type` (a nullable
//!   `$ref`, `allOf` or union, as generators write them) the schema becomes
//!   `anyOf: [schema, {"type": "null"}]`;
//! - boolean `exclusiveMaximum`/`exclusiveMinimum` become the number they qualify;
//! - a schema's `example` becomes `examples: [example]` (Media Type and Parameter Objects
//!   keep theirs: 3.1 still has it there);
//! - the siblings of a `$ref`, which 3.0 ignores (§4.7.23), are dropped.
//!
//! Everything else is kept as it is. Only Schema Objects are rewritten: the walk goes through
//! components, parameters, request bodies, responses, headers and media types, and inside
//! schemas through every keyword that holds one.

use serde_json::{Value, json};

/// Whether a document is OpenAPI 3.0.x (its `openapi` field).
pub fn is_30(document: &Value) -> bool {
    document["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with("3.0."))
}

/// The 3.1 reading of a 3.0.x document (returned unchanged when it is not 3.0.x).
pub fn normalize(document: &Value) -> Value {
    let mut document = document.clone();
    if !is_30(&document) {
        return document;
    }
    document["openapi"] = json!("3.1.0");
    let components = &mut document["components"];
    if let Some(schemas) = components.get_mut("schemas").and_then(Value::as_object_mut) {
        schemas.values_mut().for_each(schema);
    }
    for kind in ["parameters", "headers"] {
        if let Some(items) = components.get_mut(kind).and_then(Value::as_object_mut) {
            items.values_mut().for_each(parameter);
        }
    }
    if let Some(bodies) = components
        .get_mut("requestBodies")
        .and_then(Value::as_object_mut)
    {
        bodies.values_mut().for_each(content_of);
    }
    if let Some(responses) = components
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    {
        responses.values_mut().for_each(response);
    }
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (key, value) in item.iter_mut() {
                if key == "parameters" {
                    each(value, parameter);
                } else if value.get("responses").is_some() || value.get("requestBody").is_some() {
                    operation(value);
                }
            }
        }
    }
    document
}

fn each(list: &mut Value, f: fn(&mut Value)) {
    if let Some(items) = list.as_array_mut() {
        items.iter_mut().for_each(f);
    }
}

fn operation(op: &mut Value) {
    if let Some(parameters) = op.get_mut("parameters") {
        each(parameters, parameter);
    }
    if let Some(body) = op.get_mut("requestBody") {
        content_of(body);
    }
    if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
        responses.values_mut().for_each(response);
    }
    if let Some(callbacks) = op.get_mut("callbacks").and_then(Value::as_object_mut) {
        for callback in callbacks.values_mut() {
            if let Some(callback) = callback.as_object_mut() {
                for item in callback.values_mut() {
                    if let Some(item) = item.as_object_mut() {
                        item.values_mut()
                            .filter(|v| v.get("responses").is_some())
                            .for_each(operation);
                    }
                }
            }
        }
    }
}

/// A Parameter or Header Object: its `schema`, or the schemas of its `content`.
fn parameter(parameter: &mut Value) {
    if let Some(value) = parameter.get_mut("schema") {
        schema(value);
    }
    content_of(parameter);
}

fn response(response: &mut Value) {
    if let Some(headers) = response.get_mut("headers").and_then(Value::as_object_mut) {
        headers.values_mut().for_each(parameter);
    }
    content_of(response);
}

/// The schemas of a `content` map (Request Body, Response, Parameter).
fn content_of(holder: &mut Value) {
    if let Some(content) = holder.get_mut("content").and_then(Value::as_object_mut) {
        for media in content.values_mut() {
            if let Some(value) = media.get_mut("schema") {
                schema(value);
            }
        }
    }
}

/// One Schema Object and every schema inside it.
fn schema(value: &mut Value) {
    let Some(map) = value.as_object_mut() else {
        return;
    };
    if map.contains_key("$ref") {
        map.retain(|key, _| key == "$ref");
        return;
    }
    if map.get("nullable") == Some(&Value::Bool(true)) {
        match map.get_mut("type") {
            Some(Value::String(one)) => {
                let one = one.clone();
                map.insert("type".to_owned(), json!([one, "null"]));
            }
            Some(Value::Array(many)) if !many.contains(&json!("null")) => many.push(json!("null")),
            _ => {}
        }
        if let Some(Value::Array(values)) = map.get_mut("enum")
            && !values.contains(&Value::Null)
        {
            values.push(Value::Null);
        }
    }
    let nullable = map.remove("nullable") == Some(Value::Bool(true));
    // `nullable` beside no `type` (the usual 3.0 way to make a `$ref`, an `allOf` or a union
    // nullable, and what tools generate): read as "this, or null".
    let untyped_nullable = nullable && !map.contains_key("type") && !map.contains_key("enum");
    for (exclusive, bound) in [
        ("exclusiveMaximum", "maximum"),
        ("exclusiveMinimum", "minimum"),
    ] {
        match map.get(exclusive) {
            Some(Value::Bool(true)) => match map.remove(bound) {
                Some(limit) => {
                    map.insert(exclusive.to_owned(), limit);
                }
                None => {
                    map.remove(exclusive);
                }
            },
            Some(Value::Bool(false)) => {
                map.remove(exclusive);
            }
            _ => {}
        }
    }
    if let Some(example) = map.remove("example") {
        map.entry("examples").or_insert_with(|| json!([example]));
    }
    for keyword in ["items", "additionalProperties", "not"] {
        if let Some(inner) = map.get_mut(keyword) {
            schema(inner);
        }
    }
    for keyword in ["allOf", "anyOf", "oneOf"] {
        if let Some(inner) = map.get_mut(keyword) {
            each(inner, schema);
        }
    }
    if let Some(properties) = map.get_mut("properties").and_then(Value::as_object_mut) {
        properties.values_mut().for_each(schema);
    }
    if untyped_nullable {
        let inner = std::mem::take(map);
        map.insert(
            "anyOf".to_owned(),
            json!([Value::Object(inner), {"type": "null"}]),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_bounds_example_and_ref_siblings_become_3_1() {
        let document = json!({
            "openapi": "3.0.3",
            "paths": {"/a": {"get": {
                "parameters": [{"name": "n", "in": "query", "schema": {"type": "integer", "minimum": 1, "exclusiveMinimum": true}}],
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {
                        "a": {"type": "string", "nullable": true, "example": "x"},
                        "b": {"type": "string", "enum": ["p"], "nullable": true},
                        "c": {"$ref": "#/components/schemas/C", "description": "ignored in 3.0"},
                        "d": {"type": "number", "maximum": 5, "exclusiveMaximum": false}
                    }
                }}}}}
            }}},
            "components": {"schemas": {"C": {"type": "string"}}}
        });
        let normalized = normalize(&document);
        assert_eq!(normalized["openapi"], "3.1.0");
        let param = &normalized["paths"]["/a"]["get"]["parameters"][0]["schema"];
        assert_eq!(param, &json!({"type": "integer", "exclusiveMinimum": 1}));
        let properties = &normalized["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"]
            ["schema"]["properties"];
        assert_eq!(
            properties["a"],
            json!({"type": ["string", "null"], "examples": ["x"]})
        );
        assert_eq!(
            properties["b"],
            json!({"type": ["string", "null"], "enum": ["p", null]})
        );
        assert_eq!(properties["c"], json!({"$ref": "#/components/schemas/C"}));
        assert_eq!(properties["d"], json!({"type": "number", "maximum": 5}));
    }

    #[test]
    fn a_nullable_reference_becomes_this_or_null() {
        let document = json!({
            "openapi": "3.0.3",
            "components": {"schemas": {
                "Money": {"type": "integer"},
                "Total": {"allOf": [{"$ref": "#/components/schemas/Money"}], "nullable": true, "description": "d"}
            }}
        });
        let normalized = normalize(&document);
        assert_eq!(
            normalized["components"]["schemas"]["Total"],
            json!({"anyOf": [
                {"allOf": [{"$ref": "#/components/schemas/Money"}], "description": "d"},
                {"type": "null"}
            ]})
        );
    }

    #[test]
    fn a_3_1_document_is_left_alone() {
        let document = json!({"openapi": "3.1.0", "components": {"schemas": {"A": {"nullable": true, "type": "string"}}}});
        assert_eq!(normalize(&document), document);
    }
}
