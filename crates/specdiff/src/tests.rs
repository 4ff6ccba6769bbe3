//! The rule table: pairs of specs, one per rule and direction, each with its expected class.

use serde_json::{Value, json};

use super::*;

fn base() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1.0.0"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {
            "/things": {
                "post": {
                    "operationId": "createThing",
                    "security": [{"bearer": [], "key": []}],
                    "parameters": [
                        {"name": "idempotency-key", "in": "header", "required": true, "schema": {"type": "string"}},
                        {"name": "dry_run", "in": "query", "required": false, "schema": {"type": "boolean"}}
                    ],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ThingRequest"}}}},
                    "responses": {
                        "201": {
                            "description": "created",
                            "headers": {"x-request-id": {"required": true, "schema": {"type": "string"}}},
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}
                        },
                        "404": {"description": "no", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
                    }
                },
                "get": {
                    "operationId": "listThings",
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}}}}}
                }
            }
        },
        "webhooks": {
            "thing.happened": {"post": {
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ThingEvent"}}}},
                "responses": {"200": {"description": "ok"}}
            }}
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}, "key": {"type": "apiKey", "in": "header", "name": "x-api-key"}},
            "schemas": {
            "ThingRequest": {
                "type": "object", "additionalProperties": false, "required": ["name"],
                "properties": {
                    "name": {"type": "string", "maxLength": 10, "pattern": "^[a-z]+$"},
                    "size": {"type": "integer", "minimum": 1},
                    "kind": {"type": "string", "enum": ["a", "b"]},
                    "email": {"type": "string", "format": "email"}
                }
            },
            "Thing": {
                "type": "object", "required": ["id", "name", "status"],
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "status": {"type": "string", "enum": ["on", "off"]},
                    "note": {"type": "string"},
                    "owner": {"$ref": "#/components/schemas/Owner"}
                }
            },
            "Owner": {"type": "object", "properties": {"id": {"type": "string"}}},
            "Person": {"type": "object", "properties": {"id": {"type": "string"}}},
            "Error": {"type": "object", "required": ["code"], "properties": {"code": {"type": "string"}}},
            "ThingEvent": {"type": "object", "required": ["event", "data"], "properties": {"event": {"type": "string"}, "data": {"$ref": "#/components/schemas/Thing"}}}
        }}
    })
}

/// Sets (or, with `None`, removes) the value at a pointer.
fn set(doc: &mut Value, pointer: &str, value: Option<Value>) {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer");
    let key = key.replace("~1", "/").replace("~0", "~");
    let target = doc
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent}"));
    match (target, value) {
        (Value::Object(object), Some(value)) => {
            object.insert(key, value);
        }
        (Value::Object(object), None) => {
            object.remove(&key);
        }
        (Value::Array(items), Some(value)) => {
            let index: usize = key.parse().expect("index");
            if index == items.len() {
                items.push(value)
            } else {
                items[index] = value
            }
        }
        (Value::Array(items), None) => {
            items.remove(key.parse::<usize>().expect("index"));
        }
        _ => panic!("{parent} is not a container"),
    }
}

type Edit = (&'static str, Option<Value>);

/// One row: a name, edits to the old spec, edits to the new spec, the rule and class
/// expected (which is also the worst class of the whole diff).
struct Row {
    name: &'static str,
    old: Vec<Edit>,
    new: Vec<Edit>,
    rule: &'static str,
    severity: Severity,
}

fn row(
    name: &'static str,
    old: Vec<Edit>,
    new: Vec<Edit>,
    rule: &'static str,
    severity: Severity,
) -> Row {
    Row {
        name,
        old,
        new,
        rule,
        severity,
    }
}

const REQUEST: &str = "/components/schemas/ThingRequest";
const RESPONSE: &str = "/components/schemas/Thing";

fn p(prefix: &str, rest: &str) -> &'static str {
    Box::leak(format!("{prefix}{rest}").into_boxed_str())
}

fn table() -> Vec<Row> {
    use Severity::*;
    vec![
        row(
            "response enum value added",
            vec![],
            vec![(
                p(RESPONSE, "/properties/status/enum/2"),
                Some(json!("paused")),
            )],
            "enum-value-added",
            PossiblyBreaking,
        ),
        row(
            "request enum value added",
            vec![],
            vec![(p(REQUEST, "/properties/kind/enum/2"), Some(json!("c")))],
            "enum-value-added",
            Compatible,
        ),
        row(
            "request enum value removed",
            vec![],
            vec![(p(REQUEST, "/properties/kind/enum/1"), None)],
            "enum-value-removed",
            Breaking,
        ),
        row(
            "response enum value removed",
            vec![],
            vec![(p(RESPONSE, "/properties/status/enum/1"), None)],
            "enum-value-removed",
            Compatible,
        ),
        row(
            "required request field added",
            vec![],
            vec![
                (
                    p(REQUEST, "/properties/color"),
                    Some(json!({"type": "string"})),
                ),
                (p(REQUEST, "/required/1"), Some(json!("color"))),
            ],
            "required-property-added",
            Breaking,
        ),
        row(
            "optional request field added",
            vec![],
            vec![(
                p(REQUEST, "/properties/color"),
                Some(json!({"type": "string"})),
            )],
            "optional-property-added",
            Compatible,
        ),
        row(
            "response field removed",
            vec![],
            vec![(p(RESPONSE, "/properties/note"), None)],
            "property-removed",
            Breaking,
        ),
        row(
            "response field added",
            vec![],
            vec![(
                p(RESPONSE, "/properties/color"),
                Some(json!({"type": "string"})),
            )],
            "optional-property-added",
            Compatible,
        ),
        row(
            "request field removed (closed object)",
            vec![],
            vec![(p(REQUEST, "/properties/email"), None)],
            "property-removed",
            Breaking,
        ),
        row(
            "request type narrowed",
            vec![(
                p(REQUEST, "/properties/size/type"),
                Some(json!(["integer", "string"])),
            )],
            vec![],
            "type-narrowed",
            Breaking,
        ),
        row(
            "request type widened",
            vec![],
            vec![(p(REQUEST, "/properties/size/type"), Some(json!("number")))],
            "type-widened",
            Compatible,
        ),
        row(
            "response type widened",
            vec![],
            vec![(
                p(RESPONSE, "/properties/note/type"),
                Some(json!(["string", "integer"])),
            )],
            "type-widened",
            Breaking,
        ),
        row(
            "response type narrowed",
            vec![(
                p(RESPONSE, "/properties/note/type"),
                Some(json!(["string", "integer"])),
            )],
            vec![],
            "type-narrowed",
            Compatible,
        ),
        row(
            "type changed",
            vec![],
            vec![(p(REQUEST, "/properties/size/type"), Some(json!("string")))],
            "type-changed",
            Breaking,
        ),
        row(
            "response field made nullable",
            vec![],
            vec![(
                p(RESPONSE, "/properties/note/type"),
                Some(json!(["string", "null"])),
            )],
            "made-nullable",
            Breaking,
        ),
        row(
            "request field made nullable",
            vec![],
            vec![(
                p(REQUEST, "/properties/email/type"),
                Some(json!(["string", "null"])),
            )],
            "made-nullable",
            Compatible,
        ),
        row(
            "request field made non-nullable",
            vec![(
                p(REQUEST, "/properties/email/type"),
                Some(json!(["string", "null"])),
            )],
            vec![],
            "made-non-nullable",
            Breaking,
        ),
        row(
            "$ref target changed",
            vec![],
            vec![(
                p(RESPONSE, "/properties/owner/$ref"),
                Some(json!("#/components/schemas/Person")),
            )],
            "ref-target-changed",
            PossiblyBreaking,
        ),
        row(
            "webhook payload field removed",
            vec![],
            vec![("/components/schemas/ThingEvent/properties/event", None)],
            "property-removed",
            Breaking,
        ),
        row(
            "operation removed",
            vec![],
            vec![("/paths/~1things/get", None)],
            "operation-removed",
            Breaking,
        ),
        row(
            "operation added",
            vec![],
            vec![(
                "/paths/~1things~1{id}",
                Some(
                    json!({"get": {"operationId": "getThing", "responses": {"200": {"description": "ok"}}}}),
                ),
            )],
            "operation-added",
            Compatible,
        ),
        row(
            "operation id changed",
            vec![],
            vec![("/paths/~1things/post/operationId", Some(json!("makeThing")))],
            "operation-id-changed",
            Breaking,
        ),
        row(
            "parameter made required",
            vec![],
            vec![(
                "/paths/~1things/post/parameters/1/required",
                Some(json!(true)),
            )],
            "parameter-made-required",
            Breaking,
        ),
        row(
            "parameter made optional",
            vec![],
            vec![(
                "/paths/~1things/post/parameters/0/required",
                Some(json!(false)),
            )],
            "parameter-made-optional",
            Compatible,
        ),
        row(
            "required parameter added",
            vec![],
            vec![(
                "/paths/~1things/post/parameters/2",
                Some(
                    json!({"name": "tenant", "in": "header", "required": true, "schema": {"type": "string"}}),
                ),
            )],
            "required-parameter-added",
            Breaking,
        ),
        row(
            "optional parameter added",
            vec![],
            vec![(
                "/paths/~1things/post/parameters/2",
                Some(json!({"name": "trace", "in": "query", "schema": {"type": "string"}})),
            )],
            "optional-parameter-added",
            Compatible,
        ),
        row(
            "parameter removed",
            vec![],
            vec![("/paths/~1things/post/parameters/1", None)],
            "parameter-removed",
            PossiblyBreaking,
        ),
        row(
            "security requirement tightened",
            vec![],
            vec![(
                "/paths/~1things/post/security",
                Some(json!([{"bearer": [], "key": [], "mtls": []}])),
            )],
            "security-tightened",
            Breaking,
        ),
        row(
            "security requirement relaxed",
            vec![],
            vec![(
                "/paths/~1things/post/security",
                Some(json!([{"bearer": []}])),
            )],
            "security-relaxed",
            Compatible,
        ),
        row(
            "security added where there was none",
            vec![],
            vec![(
                "/paths/~1things/get/security",
                Some(json!([{"bearer": []}])),
            )],
            "security-tightened",
            Breaking,
        ),
        row(
            "request pattern added (tightened)",
            vec![],
            vec![(
                p(REQUEST, "/properties/email/pattern"),
                Some(json!("^[a-z.]+@example\\.com$")),
            )],
            "pattern-added",
            Breaking,
        ),
        row(
            "request pattern changed",
            vec![],
            vec![(
                p(REQUEST, "/properties/name/pattern"),
                Some(json!("^[a-z]{2,}$")),
            )],
            "pattern-changed",
            PossiblyBreaking,
        ),
        row(
            "request pattern removed",
            vec![],
            vec![(p(REQUEST, "/properties/name/pattern"), None)],
            "pattern-removed",
            Compatible,
        ),
        row(
            "request format added",
            vec![],
            vec![(p(REQUEST, "/properties/name/format"), Some(json!("uuid")))],
            "format-added",
            Breaking,
        ),
        row(
            "request maxLength decreased",
            vec![],
            vec![(p(REQUEST, "/properties/name/maxLength"), Some(json!(5)))],
            "bound-tightened",
            Breaking,
        ),
        row(
            "request maxLength increased",
            vec![],
            vec![(p(REQUEST, "/properties/name/maxLength"), Some(json!(50)))],
            "bound-relaxed",
            Compatible,
        ),
        row(
            "request minimum raised",
            vec![],
            vec![(p(REQUEST, "/properties/size/minimum"), Some(json!(5)))],
            "bound-tightened",
            Breaking,
        ),
        row(
            "response maxLength added",
            vec![],
            vec![(p(RESPONSE, "/properties/name/maxLength"), Some(json!(20)))],
            "bound-tightened",
            Compatible,
        ),
        row(
            "response maxLength removed",
            vec![(p(RESPONSE, "/properties/name/maxLength"), Some(json!(20)))],
            vec![],
            "bound-relaxed",
            PossiblyBreaking,
        ),
        row(
            "response field made optional",
            vec![],
            vec![(p(RESPONSE, "/required/2"), None)],
            "property-made-optional",
            Breaking,
        ),
        row(
            "request field made required",
            vec![],
            vec![(p(REQUEST, "/required/1"), Some(json!("size")))],
            "property-made-required",
            Breaking,
        ),
        row(
            "request object opened",
            vec![],
            vec![(p(REQUEST, "/additionalProperties"), Some(json!(true)))],
            "additional-properties-allowed",
            Compatible,
        ),
        row(
            "request object closed",
            vec![(p(REQUEST, "/additionalProperties"), None)],
            vec![],
            "additional-properties-forbidden",
            Breaking,
        ),
        row(
            "success status removed",
            vec![],
            vec![("/paths/~1things/post/responses/201", None)],
            "success-status-removed",
            Breaking,
        ),
        row(
            "status added",
            vec![],
            vec![(
                "/paths/~1things/post/responses/409",
                Some(json!({"description": "conflict"})),
            )],
            "status-added",
            PossiblyBreaking,
        ),
        row(
            "error status removed",
            vec![],
            vec![("/paths/~1things/post/responses/404", None)],
            "error-status-removed",
            Compatible,
        ),
        row(
            "required response header removed",
            vec![],
            vec![(
                "/paths/~1things/post/responses/201/headers/x-request-id",
                None,
            )],
            "response-header-removed",
            Breaking,
        ),
        row(
            "request media type removed",
            vec![],
            vec![
                (
                    "/paths/~1things/post/requestBody/content/application~1json",
                    None,
                ),
                (
                    "/paths/~1things/post/requestBody/content/application~1xml",
                    Some(json!({})),
                ),
            ],
            "request-media-type-removed",
            Breaking,
        ),
        row(
            "request body made required",
            vec![(
                "/paths/~1things/post/requestBody/required",
                Some(json!(false)),
            )],
            vec![],
            "request-body-made-required",
            Breaking,
        ),
        row(
            "webhook removed",
            vec![],
            vec![("/webhooks/thing.happened", None)],
            "webhook-removed",
            Breaking,
        ),
        row(
            "webhook added",
            vec![],
            vec![(
                "/webhooks/thing.vanished",
                Some(json!({"post": {"responses": {"200": {"description": "ok"}}}})),
            )],
            "webhook-added",
            PossiblyBreaking,
        ),
        row(
            "response union branch added",
            vec![(
                p(RESPONSE, "/properties/owner"),
                Some(json!({"oneOf": [{"$ref": "#/components/schemas/Owner"}]})),
            )],
            vec![(
                p(RESPONSE, "/properties/owner"),
                Some(
                    json!({"oneOf": [{"$ref": "#/components/schemas/Owner"}, {"$ref": "#/components/schemas/Person"}]}),
                ),
            )],
            "union-branch-added",
            PossiblyBreaking,
        ),
        row(
            "server removed",
            vec![],
            vec![("/servers/0", None)],
            "server-removed",
            PossiblyBreaking,
        ),
        row(
            "request type added where any was allowed",
            vec![(p(REQUEST, "/properties/size/type"), None)],
            vec![],
            "type-narrowed",
            Breaking,
        ),
        row(
            "response type removed",
            vec![],
            vec![(p(RESPONSE, "/properties/note/type"), None)],
            "type-widened",
            Breaking,
        ),
        row(
            "api key header renamed",
            vec![],
            vec![("/components/securitySchemes/key/name", Some(json!("x-key")))],
            "security-scheme-changed",
            Breaking,
        ),
    ]
}

#[test]
fn every_row_finds_its_rule_and_class() {
    let rows = table();
    assert!(
        rows.len() >= 30,
        "the table needs at least 30 rules, it has {}",
        rows.len()
    );
    let mut failures = Vec::new();
    for row in &rows {
        let mut old = base();
        for (pointer, value) in &row.old {
            set(&mut old, pointer, value.clone());
        }
        let mut new = base();
        for (pointer, value) in &row.new {
            set(&mut new, pointer, value.clone());
        }
        let changes = diff(&old, &new);
        let found = changes
            .iter()
            .any(|c| c.rule == row.rule && c.severity == row.severity);
        let worst = worst(&changes);
        if !found || worst != Some(row.severity) {
            failures.push(format!(
                "{}: expected {} ({}), got:\n{}",
                row.name,
                row.rule,
                row.severity,
                text(&changes)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_in_the_table_is_documented() {
    for row in table() {
        assert!(
            RULES.iter().any(|(rule, _)| *rule == row.rule),
            "{} is not in RULES",
            row.rule
        );
    }
}

#[test]
fn header_parameters_compare_without_regard_to_case() {
    let mut new = base();
    set(
        &mut new,
        "/paths/~1things/post/parameters/0/name",
        Some(json!("Idempotency-Key")),
    );
    assert_eq!(diff(&base(), &new), Vec::new());
}

#[test]
fn identical_specs_have_no_changes() {
    assert_eq!(diff(&base(), &base()), Vec::new());
    assert_eq!(text(&[]), "no changes\n");
}

#[test]
fn locations_name_the_operation_part_and_field() {
    let mut new = base();
    set(&mut new, p(RESPONSE, "/properties/note"), None);
    let locations: Vec<String> = diff(&base(), &new)
        .into_iter()
        .map(|c| c.location)
        .collect();
    assert_eq!(
        locations,
        [
            "GET /things response 200 application/json at /[]/note",
            "POST /things response 201 application/json at /note",
            "webhook thing.happened payload at /data/note",
        ]
    );
}

#[test]
fn recursive_schemas_terminate() {
    let mut old = base();
    set(
        &mut old,
        "/components/schemas/Owner/properties/boss",
        Some(json!({"$ref": "#/components/schemas/Owner"})),
    );
    let mut new = old.clone();
    set(
        &mut new,
        "/components/schemas/Owner/properties/name",
        Some(json!({"type": "string"})),
    );
    let changes = diff(&old, &new);
    assert!(!changes.is_empty(), "the added property is found");
    assert!(
        changes.iter().all(|c| c.rule == "optional-property-added"),
        "{}",
        text(&changes)
    );
}

#[test]
fn reports_render_every_format() {
    let mut new = base();
    set(&mut new, p(RESPONSE, "/properties/note"), None);
    set(
        &mut new,
        p(REQUEST, "/properties/kind/enum/2"),
        Some(json!("c")),
    );
    let changes = diff(&base(), &new);
    assert!(markdown(&changes).starts_with("### Breaking changes\n\n- `property-removed`"));
    assert!(
        json(&changes).contains("\"summary\": \"3 breaking, 0 possibly breaking, 1 compatible\"")
    );
    let xml = junit(&changes, Severity::Breaking);
    assert!(xml.contains("tests=\"4\" failures=\"3\""), "{xml}");
}
