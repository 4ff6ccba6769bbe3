//! Helpers shared by the end-to-end tests: reading the published artefacts and compiling
//! validators for any schema inside them.

use std::fs;
use std::path::Path;

use std::sync::Arc;

use balampay_openapi::Compiler;
use serde_json::Value;

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

/// A compiled validator with format checking on, as the contract suite uses.
pub fn validator(schema: &Value) -> Arc<jsonschema::Validator> {
    Arc::new(
        balampay_openapi::schema::standalone(schema)
            .unwrap_or_else(|error| panic!("schema does not compile: {error}\n{schema:#}")),
    )
}

/// Escapes one JSON pointer token.
pub use balampay_openapi::pointer::escape as pointer_token;

/// A validator for the schema at `pointer` inside the OpenAPI document, compiled as the
/// contract suite and the sandbox compile theirs (every `$ref` resolved inside the document).
pub fn openapi_validator(doc: &Value, pointer: &str) -> Arc<jsonschema::Validator> {
    Compiler::new(Arc::new(doc.clone()))
        .and_then(|compiler| compiler.validator(pointer))
        .unwrap_or_else(|error| panic!("{error}"))
}

/// A validator for one component schema of the OpenAPI document.
pub fn component_validator(doc: &Value, name: &str) -> Arc<jsonschema::Validator> {
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
