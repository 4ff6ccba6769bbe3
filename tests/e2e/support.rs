//! Helpers shared by the end-to-end tests: reading the published artefacts and compiling
//! validators for any schema inside them.

use std::fs;
use std::path::Path;

use serde_json::{Value, json};

pub use balampay_tests::{fixtures_dir, workspace_root};

/// Reads and parses a JSON file, naming the file on failure.
pub fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{} is not JSON: {error}", path.display()))
}

/// The published OpenAPI document, as checked in.
pub fn published_openapi() -> Value {
    read_json(&workspace_root().join("spec/openapi.json"))
}

/// The published standalone schema of one webhook event, as checked in.
pub fn published_webhook_schema(event: &str) -> Value {
    read_json(&workspace_root().join(format!("spec/webhooks/{event}.schema.json")))
}

/// A compiled validator with format checking on, as the contract suite will use.
pub fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|error| panic!("schema does not compile: {error}\n{schema:#}"))
}

/// Escapes one JSON pointer token.
pub fn pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// A validator for the schema at `pointer` inside the OpenAPI document, with the document's
/// `components` (and `webhooks`) beside it so that every `$ref` resolves as it does for a
/// partner's tools.
pub fn openapi_validator(doc: &Value, pointer: &str) -> jsonschema::Validator {
    assert!(
        doc.pointer(pointer).is_some(),
        "the OpenAPI document has nothing at {pointer}"
    );
    // A `$ref` is a URI: characters such as `{` in a path template must be percent-encoded.
    let fragment: String = pointer
        .chars()
        .map(|c| match c {
            '{' => "%7B".to_owned(),
            '}' => "%7D".to_owned(),
            c => c.to_string(),
        })
        .collect();
    validator(&json!({
        "$ref": format!("#{fragment}"),
        "components": doc["components"],
        "webhooks": doc["webhooks"],
        "paths": doc["paths"],
    }))
}

/// A validator for one component schema of the OpenAPI document.
pub fn component_validator(doc: &Value, name: &str) -> jsonschema::Validator {
    openapi_validator(doc, &format!("/components/schemas/{name}"))
}

/// Every error of an instance, as `(instance pointer, keyword, message)`.
pub fn errors(
    validator: &jsonschema::Validator,
    instance: &Value,
) -> Vec<(String, String, String)> {
    validator
        .iter_errors(instance)
        .map(|error| {
            (
                error.instance_path().to_string(),
                error.kind().keyword().to_owned(),
                error.to_string(),
            )
        })
        .collect()
}
