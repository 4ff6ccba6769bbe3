//! The published OpenAPI document keeps the API's conventions: the operation table of
//! ARCHITECTURE.md, both credentials on every operation, an idempotency key on every POST,
//! one error body for every error status, documented fields, valid examples, no `null`.

use serde_json::Value;

use crate::support::{openapi_validator, pointer_token, published_openapi};

/// ARCHITECTURE.md's table: operation id, method, path, success status.
const OPERATIONS: &[(&str, &str, &str, &str)] = &[
    ("createUser", "post", "/v1/users", "201"),
    ("getUser", "get", "/v1/users/{userId}", "200"),
    ("updateUser", "patch", "/v1/users/{userId}", "200"),
    ("listUsers", "get", "/v1/users", "200"),
    (
        "createVerification",
        "post",
        "/v1/users/{userId}/verifications",
        "201",
    ),
    (
        "getVerification",
        "get",
        "/v1/users/{userId}/verifications/{verificationId}",
        "200",
    ),
    (
        "listVerifications",
        "get",
        "/v1/users/{userId}/verifications",
        "200",
    ),
];

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Every operation of `paths` as `(method, path, operation)`.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            if METHODS.contains(&method.as_str()) {
                found.push((method.clone(), path.clone(), operation.clone()));
            }
        }
    }
    found
}

// Follows local `$ref`s inside the document (the freshness and spec tests prove they all
// resolve).
use balampay_openapi::reference::follow as resolve;

#[test]
fn document_is_openapi_3_1_with_complete_info() {
    let doc = published_openapi();
    assert_eq!(doc["openapi"], "3.1.0");
    for field in ["title", "version", "description"] {
        assert!(
            doc["info"][field].as_str().is_some_and(|s| !s.is_empty()),
            "info.{field}"
        );
    }
    assert!(doc["info"]["contact"]["name"].is_string());
    assert!(doc["info"]["license"]["identifier"].is_string());
    let servers: Vec<&str> = doc["servers"]
        .as_array()
        .expect("servers")
        .iter()
        .map(|s| s["url"].as_str().expect("url"))
        .collect();
    assert!(servers.contains(&"https://api.balampay.com"), "{servers:?}");
    assert!(
        servers
            .iter()
            .any(|url| url.starts_with("http://127.0.0.1")),
        "{servers:?}"
    );
}

#[test]
fn operations_are_exactly_the_architecture_table() {
    let doc = published_openapi();
    let mut found: Vec<(String, String, String)> = operations(&doc)
        .into_iter()
        .map(|(method, path, op)| {
            (
                op["operationId"].as_str().expect("operationId").to_owned(),
                method,
                path,
            )
        })
        .collect();
    found.sort();
    let mut expected: Vec<(String, String, String)> = OPERATIONS
        .iter()
        .map(|(id, method, path, _)| ((*id).to_owned(), (*method).to_owned(), (*path).to_owned()))
        .collect();
    expected.sort();
    assert_eq!(found, expected);
    for (id, method, path, success) in OPERATIONS {
        let op = &doc["paths"][*path][*method];
        assert!(
            op["responses"][*success].is_object(),
            "{id} lacks {success}"
        );
        let body = &op["responses"][*success]["content"]["application/json"]["schema"];
        assert!(
            body["$ref"].is_string(),
            "{id}'s {success} has no body schema"
        );
    }
}

#[test]
fn every_operation_requires_both_credentials() {
    let doc = published_openapi();
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearerAuth"]["scheme"], "bearer");
    assert_eq!(schemes["apiKey"]["in"], "header");
    assert_eq!(schemes["apiKey"]["name"], "x-api-key");
    for (method, path, op) in operations(&doc) {
        let security = op["security"]
            .as_array()
            .unwrap_or_else(|| panic!("{method} {path}: no security"));
        // One requirement naming both schemes means both are needed (AND), not either.
        assert_eq!(security.len(), 1, "{method} {path}: {security:?}");
        let requirement = security[0].as_object().expect("requirement");
        let mut names: Vec<&String> = requirement.keys().collect();
        names.sort();
        assert_eq!(names, ["apiKey", "bearerAuth"], "{method} {path}");
    }
}

#[test]
fn every_post_requires_a_non_nullable_idempotency_key() {
    let doc = published_openapi();
    for (method, path, op) in operations(&doc) {
        let keys: Vec<&Value> = op["parameters"]
            .as_array()
            .map(|params| {
                params
                    .iter()
                    .filter(|p| p["name"] == "idempotency-key")
                    .collect()
            })
            .unwrap_or_default();
        if method != "post" {
            assert!(
                keys.is_empty(),
                "{method} {path} should not take an idempotency key"
            );
            continue;
        }
        assert_eq!(keys.len(), 1, "{method} {path}");
        let key = keys[0];
        assert_eq!(key["in"], "header");
        assert_eq!(key["required"], true, "{method} {path}");
        assert_eq!(key["schema"]["type"], "string", "{method} {path}: {key}");
    }
}

#[test]
fn every_error_status_uses_the_one_error_body() {
    let doc = published_openapi();
    for (method, path, op) in operations(&doc) {
        let responses = op["responses"].as_object().expect("responses");
        for required in ["400", "401", "429", "500"] {
            assert!(
                responses.contains_key(required),
                "{method} {path} lacks {required}"
            );
        }
        if path.contains('{') {
            assert!(responses.contains_key("404"), "{method} {path} lacks 404");
        }
        if op.get("requestBody").is_some() {
            for required in ["413", "415", "422"] {
                assert!(
                    responses.contains_key(required),
                    "{method} {path} lacks {required}"
                );
            }
        }
        for (status, response) in responses {
            let response = resolve(&doc, response);
            assert!(
                response["headers"]["x-request-id"].is_object(),
                "{method} {path} {status} lacks x-request-id"
            );
            if status.starts_with('2') {
                continue;
            }
            assert_eq!(
                response["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorBody",
                "{method} {path} {status}"
            );
        }
        if let Some(too_many) = responses.get("429") {
            assert!(resolve(&doc, too_many)["headers"]["retry-after"].is_object());
        }
    }
}

/// Every example the document publishes validates against the schema beside it.
#[test]
fn every_example_validates() {
    let doc = published_openapi();
    let mut media_types = Vec::new();
    collect_media_types(&doc, "", &mut media_types);
    let mut count = 0;
    for pointer in media_types {
        let media_type = doc.pointer(&pointer).expect("media type");
        let Some(examples) = media_type["examples"].as_object() else {
            continue;
        };
        let validator = openapi_validator(&doc, &format!("{pointer}/schema"));
        for (name, example) in examples {
            count += 1;
            let value = &example["value"];
            let errors: Vec<String> = validator
                .iter_errors(value)
                .map(|e| format!("{} {e}", e.instance_path()))
                .collect();
            assert!(
                errors.is_empty(),
                "example {name} at {pointer}: {errors:#?}"
            );
        }
    }
    assert!(count >= 20, "only {count} examples");
}

fn collect_media_types(value: &Value, pointer: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            if object.contains_key("schema") && pointer.contains("/content/") {
                out.push(pointer.to_owned());
                return;
            }
            for (key, child) in object {
                collect_media_types(child, &format!("{pointer}/{}", pointer_token(key)), out);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                collect_media_types(child, &format!("{pointer}/{index}"), out);
            }
        }
        _ => {}
    }
}

/// The API never sends or accepts `null`: no schema allows it.
#[test]
fn no_schema_allows_null() {
    let doc = published_openapi();
    let text = serde_json::to_string(&doc).expect("serializes");
    assert!(
        !text.contains(r#""null""#),
        "a schema mentions the null type"
    );
    assert!(!text.contains(r#""nullable""#));
}

/// Every component schema and every property is documented: the text is what partners read.
#[test]
fn every_schema_and_property_is_documented() {
    let doc = published_openapi();
    let mut undocumented = Vec::new();
    for (name, schema) in doc["components"]["schemas"].as_object().expect("schemas") {
        if schema["description"].as_str().is_none_or(str::is_empty) {
            undocumented.push(name.clone());
        }
        if let Some(properties) = schema["properties"].as_object() {
            for (property, definition) in properties {
                if definition["description"].as_str().is_none_or(str::is_empty) {
                    undocumented.push(format!("{name}.{property}"));
                }
            }
        }
    }
    assert!(undocumented.is_empty(), "undocumented: {undocumented:?}");
}

#[test]
fn webhooks_are_the_three_documented_events() {
    let doc = published_openapi();
    let names: Vec<&String> = doc["webhooks"]
        .as_object()
        .expect("webhooks")
        .keys()
        .collect();
    assert_eq!(
        names,
        [
            "user.created",
            "user.verification.accepted",
            "user.verification.failed"
        ]
    );
    for name in names {
        let op = &doc["webhooks"][name]["post"];
        let schema = &op["requestBody"]["content"]["application/json"]["schema"]["$ref"];
        assert!(schema.is_string(), "{name}");
        let headers: Vec<&str> = op["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .map(|p| p["name"].as_str().expect("name"))
            .collect();
        assert_eq!(
            headers,
            ["webhook-id", "webhook-timestamp", "webhook-signature"],
            "{name}"
        );
    }
}
