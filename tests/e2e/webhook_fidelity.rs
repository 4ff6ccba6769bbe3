//! The docs' webhook payloads, and mutations of them, against both published descriptions of
//! the webhooks: the standalone schemas in `spec/webhooks/` and the `webhooks` section of
//! `spec/openapi.json`.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;

use crate::support::{
    errors, fixtures_dir, openapi_validator, pointer_token, published_openapi,
    published_webhook_schema, read_json, validator,
};

/// Why an invalid fixture must fail: the schema it is checked against and the error that
/// must be among those reported.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expectation {
    schema: String,
    pointer: String,
    keyword: String,
    why: String,
}

fn fixture_files(kind: &str) -> Vec<PathBuf> {
    let dir = fixtures_dir().join("webhooks").join(kind);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| {
            path.extension().is_some_and(|ext| ext == "json")
                && path.file_name().is_some_and(|name| name != "manifest.json")
        })
        .collect();
    files.sort();
    files
}

/// The event a fixture is for: its file name up to `--`.
fn event_of(path: &std::path::Path) -> String {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .expect("utf-8 file name");
    name.split_once("--")
        .map(|(event, _)| event.to_owned())
        .unwrap_or_else(|| panic!("fixture {name} is not named <event>--<what>.json"))
}

/// Both published validators of one event: standalone, and from the OpenAPI document.
fn both_validators(
    doc: &Value,
    event: &str,
) -> [(&'static str, std::sync::Arc<jsonschema::Validator>); 2] {
    let pointer = format!(
        "/webhooks/{}/post/requestBody/content/application~1json/schema",
        pointer_token(event)
    );
    [
        ("spec/webhooks", validator(&published_webhook_schema(event))),
        ("openapi.json webhooks", openapi_validator(doc, &pointer)),
    ]
}

#[test]
fn docs_payloads_and_variants_are_valid_under_both_descriptions() {
    let doc = published_openapi();
    let files = fixture_files("valid");
    assert!(
        files.len() >= 3,
        "the docs' three payloads must be fixtures"
    );
    for path in files {
        let instance = read_json(&path);
        let event = event_of(&path);
        assert_eq!(
            instance["event"],
            Value::String(event.clone()),
            "{}",
            path.display()
        );
        for (source, validator) in both_validators(&doc, &event) {
            let found = errors(&validator, &instance);
            assert!(
                found.is_empty(),
                "{} fails under {source}: {found:#?}",
                path.display()
            );
        }
    }
}

#[test]
fn every_mutation_is_rejected_for_its_reason_under_both_descriptions() {
    let doc = published_openapi();
    let manifest_path = fixtures_dir().join("webhooks/invalid/manifest.json");
    let manifest: BTreeMap<String, Expectation> =
        serde_json::from_value(read_json(&manifest_path)).expect("manifest shape");
    let files = fixture_files("invalid");
    let names: Vec<String> = files
        .iter()
        .map(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .expect("utf-8")
                .to_owned()
        })
        .collect();
    assert_eq!(
        names,
        manifest.keys().cloned().collect::<Vec<_>>(),
        "every invalid fixture needs a manifest entry, and every entry a file"
    );
    for (path, name) in files.iter().zip(&names) {
        let expectation = &manifest[name];
        assert_eq!(
            expectation.schema,
            event_of(path),
            "{name}: schema differs from file name"
        );
        let instance = read_json(path);
        for (source, validator) in both_validators(&doc, &expectation.schema) {
            let found = errors(&validator, &instance);
            assert!(
                found
                    .iter()
                    .any(|(pointer, keyword, _)| *pointer == expectation.pointer
                        && *keyword == expectation.keyword),
                "{name} ({}) must fail under {source} with `{}` at `{}`; errors: {found:#?}",
                expectation.why,
                expectation.keyword,
                expectation.pointer
            );
        }
    }
}

/// The `user.created` timestamp is described precisely: neither a bare string (which would
/// accept anything) nor `format: date-time` (which rejects what the API really sends).
#[test]
fn user_created_timestamp_is_described_by_a_pattern() {
    let schema = published_webhook_schema("user.created");
    let created_at = schema
        .pointer("/$defs/UserCreatedData/properties/created_at")
        .expect("created_at property");
    let resolved = balampay_openapi::resolve(
        &schema,
        created_at,
        "/$defs/UserCreatedData/properties/created_at",
    )
    .expect("created_at's $ref resolves")
    .value;
    assert!(resolved.get("pattern").is_some(), "{resolved:#}");
    assert_ne!(resolved.get("format"), Some(&Value::from("date-time")));

    let pattern_only = validator(resolved);
    for accepted in [
        "2026-01-14 20:27:54.863",
        "2026-01-14 20:27:54",
        "1999-12-31 23:59:59.123456",
    ] {
        assert!(pattern_only.is_valid(&Value::from(accepted)), "{accepted}");
    }
    for rejected in [
        "2026-01-14T20:27:54.863Z",
        "2026-01-14 20:27:54.863Z",
        "2026-01-14 24:00:00",
        "2026-01-32 10:00:00",
        "2026-1-14 20:27:54",
        "",
    ] {
        assert!(!pattern_only.is_valid(&Value::from(rejected)), "{rejected}");
    }
}

/// The Rust types read every valid fixture, and serialize it back to the same JSON (new
/// fields aside, which receivers ignore).
#[test]
fn rust_types_read_the_valid_fixtures() {
    for path in fixture_files("valid") {
        let instance = read_json(&path);
        let event: balampay_schema::WebhookEvent = serde_json::from_value(instance.clone())
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        let mut expected = instance;
        if let Some(data) = expected["data"].as_object_mut() {
            data.remove("review_note");
        }
        assert_eq!(
            serde_json::to_value(&event).expect("serializes"),
            expected,
            "{}",
            path.display()
        );
    }
}
