//! The rule table: pairs of specs, one per rule and direction, each with its expected class.

use std::collections::BTreeSet;

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
    let key = balampay_openapi::pointer::unescape(key)
        .expect("a valid token")
        .into_owned();
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
pub(crate) struct Row {
    pub(crate) name: &'static str,
    old: Vec<Edit>,
    new: Vec<Edit>,
    rule: Rule,
    severity: Severity,
}

fn row(name: &'static str, old: Vec<Edit>, new: Vec<Edit>, rule: Rule, severity: Severity) -> Row {
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

pub(crate) fn table() -> Vec<Row> {
    use Severity::*;
    vec![
        row(
            "response enum value added",
            vec![],
            vec![(
                p(RESPONSE, "/properties/status/enum/2"),
                Some(json!("paused")),
            )],
            Rule::EnumValueAdded,
            PossiblyBreaking,
        ),
        row(
            "request enum value added",
            vec![],
            vec![(p(REQUEST, "/properties/kind/enum/2"), Some(json!("c")))],
            Rule::EnumValueAdded,
            Compatible,
        ),
        row(
            "request enum value removed",
            vec![],
            vec![(p(REQUEST, "/properties/kind/enum/1"), None)],
            Rule::EnumValueRemoved,
            Breaking,
        ),
        row(
            "response enum value removed",
            vec![],
            vec![(p(RESPONSE, "/properties/status/enum/1"), None)],
            Rule::EnumValueRemoved,
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
            Rule::RequiredPropertyAdded,
            Breaking,
        ),
        row(
            "optional request field added",
            vec![],
            vec![(
                p(REQUEST, "/properties/color"),
                Some(json!({"type": "string"})),
            )],
            Rule::OptionalPropertyAdded,
            Compatible,
        ),
        row(
            "response field removed",
            vec![],
            vec![(p(RESPONSE, "/properties/note"), None)],
            Rule::PropertyRemoved,
            PossiblyBreaking,
        ),
        row(
            "response field added",
            vec![],
            vec![(
                p(RESPONSE, "/properties/color"),
                Some(json!({"type": "string"})),
            )],
            Rule::OptionalPropertyAdded,
            Compatible,
        ),
        row(
            "request field removed (closed object)",
            vec![],
            vec![(p(REQUEST, "/properties/email"), None)],
            Rule::PropertyRemoved,
            Breaking,
        ),
        row(
            "request type narrowed",
            vec![(
                p(REQUEST, "/properties/size/type"),
                Some(json!(["integer", "string"])),
            )],
            vec![],
            Rule::TypeNarrowed,
            Breaking,
        ),
        row(
            "request type widened",
            vec![],
            vec![(p(REQUEST, "/properties/size/type"), Some(json!("number")))],
            Rule::TypeWidened,
            Compatible,
        ),
        row(
            "response type widened",
            vec![],
            vec![(
                p(RESPONSE, "/properties/note/type"),
                Some(json!(["string", "integer"])),
            )],
            Rule::TypeWidened,
            Breaking,
        ),
        row(
            "response type narrowed",
            vec![(
                p(RESPONSE, "/properties/note/type"),
                Some(json!(["string", "integer"])),
            )],
            vec![],
            Rule::TypeNarrowed,
            Compatible,
        ),
        row(
            "type changed",
            vec![],
            vec![(p(REQUEST, "/properties/size/type"), Some(json!("string")))],
            Rule::TypeChanged,
            Breaking,
        ),
        row(
            "response field made nullable",
            vec![],
            vec![(
                p(RESPONSE, "/properties/note/type"),
                Some(json!(["string", "null"])),
            )],
            Rule::MadeNullable,
            Breaking,
        ),
        row(
            "request field made nullable",
            vec![],
            vec![(
                p(REQUEST, "/properties/email/type"),
                Some(json!(["string", "null"])),
            )],
            Rule::MadeNullable,
            Compatible,
        ),
        row(
            "request field made non-nullable",
            vec![(
                p(REQUEST, "/properties/email/type"),
                Some(json!(["string", "null"])),
            )],
            vec![],
            Rule::MadeNonNullable,
            Breaking,
        ),
        row(
            "$ref target changed",
            vec![],
            vec![(
                p(RESPONSE, "/properties/owner/$ref"),
                Some(json!("#/components/schemas/Person")),
            )],
            Rule::RefTargetChanged,
            PossiblyBreaking,
        ),
        row(
            "webhook payload field removed",
            vec![],
            vec![("/components/schemas/ThingEvent/properties/event", None)],
            Rule::PropertyRemoved,
            Breaking,
        ),
        row(
            "operation removed",
            vec![],
            vec![("/paths/~1things/get", None)],
            Rule::OperationRemoved,
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
            Rule::OperationAdded,
            Compatible,
        ),
        row(
            "operation id changed",
            vec![],
            vec![("/paths/~1things/post/operationId", Some(json!("makeThing")))],
            Rule::OperationIdChanged,
            PossiblyBreaking,
        ),
        row(
            "parameter made required",
            vec![],
            vec![(
                "/paths/~1things/post/parameters/1/required",
                Some(json!(true)),
            )],
            Rule::ParameterMadeRequired,
            Breaking,
        ),
        row(
            "parameter made optional",
            vec![],
            vec![(
                "/paths/~1things/post/parameters/0/required",
                Some(json!(false)),
            )],
            Rule::ParameterMadeOptional,
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
            Rule::RequiredParameterAdded,
            Breaking,
        ),
        row(
            "optional parameter added",
            vec![],
            vec![(
                "/paths/~1things/post/parameters/2",
                Some(json!({"name": "trace", "in": "query", "schema": {"type": "string"}})),
            )],
            Rule::OptionalParameterAdded,
            Compatible,
        ),
        row(
            "parameter removed",
            vec![],
            vec![("/paths/~1things/post/parameters/1", None)],
            Rule::ParameterRemoved,
            PossiblyBreaking,
        ),
        row(
            "security requirement tightened",
            vec![],
            vec![(
                "/paths/~1things/post/security",
                Some(json!([{"bearer": [], "key": [], "mtls": []}])),
            )],
            Rule::SecurityTightened,
            Breaking,
        ),
        row(
            "security requirement relaxed",
            vec![],
            vec![(
                "/paths/~1things/post/security",
                Some(json!([{"bearer": []}])),
            )],
            Rule::SecurityRelaxed,
            Compatible,
        ),
        row(
            "security added where there was none",
            vec![],
            vec![(
                "/paths/~1things/get/security",
                Some(json!([{"bearer": []}])),
            )],
            Rule::SecurityTightened,
            Breaking,
        ),
        row(
            "request pattern added (tightened)",
            vec![],
            vec![(
                p(REQUEST, "/properties/email/pattern"),
                Some(json!("^[a-z.]+@example\\.com$")),
            )],
            Rule::PatternAdded,
            Breaking,
        ),
        row(
            "request pattern changed",
            vec![],
            vec![(
                p(REQUEST, "/properties/name/pattern"),
                Some(json!("^[a-z]{2,}$")),
            )],
            Rule::PatternChanged,
            Breaking,
        ),
        row(
            "request pattern removed",
            vec![],
            vec![(p(REQUEST, "/properties/name/pattern"), None)],
            Rule::PatternRemoved,
            Compatible,
        ),
        row(
            "request format added",
            vec![],
            vec![(p(REQUEST, "/properties/name/format"), Some(json!("uuid")))],
            Rule::FormatAdded,
            Breaking,
        ),
        row(
            "request maxLength decreased",
            vec![],
            vec![(p(REQUEST, "/properties/name/maxLength"), Some(json!(5)))],
            Rule::BoundTightened,
            Breaking,
        ),
        row(
            "request maxLength increased",
            vec![],
            vec![(p(REQUEST, "/properties/name/maxLength"), Some(json!(50)))],
            Rule::BoundRelaxed,
            Compatible,
        ),
        row(
            "request minimum raised",
            vec![],
            vec![(p(REQUEST, "/properties/size/minimum"), Some(json!(5)))],
            Rule::BoundTightened,
            Breaking,
        ),
        row(
            "response maxLength added",
            vec![],
            vec![(p(RESPONSE, "/properties/name/maxLength"), Some(json!(20)))],
            Rule::BoundTightened,
            Compatible,
        ),
        row(
            "response maxLength removed",
            vec![(p(RESPONSE, "/properties/name/maxLength"), Some(json!(20)))],
            vec![],
            Rule::BoundRelaxed,
            Breaking,
        ),
        row(
            "response field made optional",
            vec![],
            vec![(p(RESPONSE, "/required/2"), None)],
            Rule::PropertyMadeOptional,
            Breaking,
        ),
        row(
            "request field made required",
            vec![],
            vec![(p(REQUEST, "/required/1"), Some(json!("size")))],
            Rule::PropertyMadeRequired,
            Breaking,
        ),
        row(
            "response object opened (the promise of new optional fields)",
            vec![(
                "/components/schemas/Owner/additionalProperties",
                Some(json!(false)),
            )],
            vec![],
            Rule::AdditionalPropertiesAllowed,
            PossiblyBreaking,
        ),
        row(
            "request object opened",
            vec![],
            vec![(p(REQUEST, "/additionalProperties"), Some(json!(true)))],
            Rule::AdditionalPropertiesAllowed,
            Compatible,
        ),
        row(
            "request object closed",
            vec![(p(REQUEST, "/additionalProperties"), None)],
            vec![],
            Rule::AdditionalPropertiesForbidden,
            Breaking,
        ),
        row(
            "success status removed",
            vec![],
            vec![("/paths/~1things/post/responses/201", None)],
            Rule::SuccessStatusRemoved,
            Breaking,
        ),
        row(
            "status added",
            vec![],
            vec![(
                "/paths/~1things/post/responses/409",
                Some(json!({"description": "conflict"})),
            )],
            Rule::StatusAdded,
            PossiblyBreaking,
        ),
        row(
            "error status removed",
            vec![],
            vec![("/paths/~1things/post/responses/404", None)],
            Rule::ErrorStatusRemoved,
            Compatible,
        ),
        row(
            "required response header removed",
            vec![],
            vec![(
                "/paths/~1things/post/responses/201/headers/x-request-id",
                None,
            )],
            Rule::ResponseHeaderRemoved,
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
            Rule::RequestMediaTypeRemoved,
            Breaking,
        ),
        row(
            "request body made required",
            vec![(
                "/paths/~1things/post/requestBody/required",
                Some(json!(false)),
            )],
            vec![],
            Rule::RequestBodyMadeRequired,
            Breaking,
        ),
        row(
            "webhook removed",
            vec![],
            vec![("/webhooks/thing.happened", None)],
            Rule::WebhookRemoved,
            Breaking,
        ),
        row(
            "webhook added",
            vec![],
            vec![(
                "/webhooks/thing.vanished",
                Some(json!({"post": {"responses": {"200": {"description": "ok"}}}})),
            )],
            Rule::WebhookAdded,
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
            Rule::UnionBranchAdded,
            Breaking,
        ),
        row(
            "server removed",
            vec![],
            vec![("/servers/0", None)],
            Rule::ServerRemoved,
            PossiblyBreaking,
        ),
        row(
            "request type added where any was allowed",
            vec![(p(REQUEST, "/properties/size/type"), None)],
            vec![],
            Rule::TypeNarrowed,
            Breaking,
        ),
        row(
            "response type removed",
            vec![],
            vec![(p(RESPONSE, "/properties/note/type"), None)],
            Rule::TypeWidened,
            Breaking,
        ),
        row(
            "api key header renamed",
            vec![],
            vec![("/components/securitySchemes/key/name", Some(json!("x-key")))],
            Rule::SecuritySchemeChanged,
            Breaking,
        ),
        // Issue 11: direction with readOnly and writeOnly in a schema shared by a request
        // (ThingRequest.owner) and responses (Thing.owner).
        row(
            "required readOnly property added to a shared schema",
            vec![(
                p(REQUEST, "/properties/owner"),
                Some(json!({"$ref": "#/components/schemas/Owner"})),
            )],
            vec![
                (
                    p(REQUEST, "/properties/owner"),
                    Some(json!({"$ref": "#/components/schemas/Owner"})),
                ),
                (
                    "/components/schemas/Owner/properties/created",
                    Some(json!({"type": "string", "readOnly": true})),
                ),
                (
                    "/components/schemas/Owner/required",
                    Some(json!(["created"])),
                ),
            ],
            Rule::RequiredPropertyAdded,
            Compatible,
        ),
        row(
            "writeOnly property removed from a shared schema",
            vec![
                (
                    p(REQUEST, "/properties/owner"),
                    Some(json!({"$ref": "#/components/schemas/Owner"})),
                ),
                (
                    "/components/schemas/Owner/properties/password",
                    Some(json!({"type": "string", "writeOnly": true})),
                ),
            ],
            vec![(
                p(REQUEST, "/properties/owner"),
                Some(json!({"$ref": "#/components/schemas/Owner"})),
            )],
            Rule::PropertyRemoved,
            PossiblyBreaking,
        ),
        // JSON Schema 2020-12 keywords on a request.
        row(
            "request dependentRequired added",
            vec![],
            vec![(
                p(REQUEST, "/dependentRequired"),
                Some(json!({"size": ["kind"]})),
            )],
            Rule::ConstraintAdded,
            Breaking,
        ),
        row(
            "request contains added",
            vec![(
                p(REQUEST, "/properties/tags"),
                Some(json!({"type": "array", "items": {"type": "string"}})),
            )],
            vec![(
                p(REQUEST, "/properties/tags"),
                Some(
                    json!({"type": "array", "items": {"type": "string"}, "contains": {"const": "x"}}),
                ),
            )],
            Rule::ConstraintAdded,
            Breaking,
        ),
        row(
            "request prefixItems added",
            vec![(
                p(REQUEST, "/properties/tags"),
                Some(json!({"type": "array", "items": {"type": "string"}})),
            )],
            vec![(
                p(REQUEST, "/properties/tags"),
                Some(
                    json!({"type": "array", "items": {"type": "string"}, "prefixItems": [{"maxLength": 3}]}),
                ),
            )],
            Rule::BoundTightened,
            Breaking,
        ),
        row(
            "request uniqueItems added",
            vec![(
                p(REQUEST, "/properties/tags"),
                Some(json!({"type": "array", "items": {"type": "string"}})),
            )],
            vec![(
                p(REQUEST, "/properties/tags"),
                Some(json!({"type": "array", "items": {"type": "string"}, "uniqueItems": true})),
            )],
            Rule::ConstraintAdded,
            Breaking,
        ),
        row(
            "request unevaluatedProperties false added",
            vec![(
                p(REQUEST, "/properties/owner"),
                Some(json!({"$ref": "#/components/schemas/Owner"})),
            )],
            vec![
                (
                    p(REQUEST, "/properties/owner"),
                    Some(json!({"$ref": "#/components/schemas/Owner"})),
                ),
                (
                    "/components/schemas/Owner/unevaluatedProperties",
                    Some(json!(false)),
                ),
            ],
            Rule::AdditionalPropertiesForbidden,
            Breaking,
        ),
        row(
            "request patternProperties added",
            vec![(
                p(REQUEST, "/properties/labels"),
                Some(json!({"type": "object"})),
            )],
            vec![(
                p(REQUEST, "/properties/labels"),
                Some(json!({"type": "object", "patternProperties": {"^x-": {"type": "string"}}})),
            )],
            Rule::ConstraintAdded,
            Breaking,
        ),
        row(
            "request propertyNames added",
            vec![(
                p(REQUEST, "/properties/labels"),
                Some(json!({"type": "object"})),
            )],
            vec![(
                p(REQUEST, "/properties/labels"),
                Some(json!({"type": "object", "propertyNames": {"maxLength": 5}})),
            )],
            Rule::BoundTightened,
            Breaking,
        ),
        row(
            "request if/then added",
            vec![],
            vec![
                (
                    p(REQUEST, "/if"),
                    Some(json!({"properties": {"kind": {"const": "a"}}})),
                ),
                (p(REQUEST, "/then"), Some(json!({"required": ["size"]}))),
            ],
            Rule::ConstraintAdded,
            Breaking,
        ),
        row(
            "request not added",
            vec![],
            vec![(
                p(REQUEST, "/properties/name/not"),
                Some(json!({"const": "admin"})),
            )],
            Rule::ConstraintAdded,
            Breaking,
        ),
        row(
            "request not narrowed (a wider schema)",
            vec![(
                p(REQUEST, "/properties/name/not"),
                Some(json!({"const": "admin"})),
            )],
            vec![(
                p(REQUEST, "/properties/name/not"),
                Some(json!({"enum": ["admin", "root"]})),
            )],
            Rule::EnumValueAdded,
            Breaking,
        ),
        row(
            "request multipleOf added",
            vec![],
            vec![(p(REQUEST, "/properties/size/multipleOf"), Some(json!(5)))],
            Rule::BoundTightened,
            Breaking,
        ),
        row(
            "request multipleOf 2 became 3",
            vec![(p(REQUEST, "/properties/size/multipleOf"), Some(json!(2)))],
            vec![(p(REQUEST, "/properties/size/multipleOf"), Some(json!(3)))],
            Rule::ConstraintChanged,
            Breaking,
        ),
        row(
            "response uniqueItems removed",
            vec![(
                p(RESPONSE, "/properties/tags"),
                Some(json!({"type": "array", "items": {"type": "string"}, "uniqueItems": true})),
            )],
            vec![(
                p(RESPONSE, "/properties/tags"),
                Some(json!({"type": "array", "items": {"type": "string"}})),
            )],
            Rule::ConstraintRemoved,
            Breaking,
        ),
        // Composition by meaning.
        // Parts that merge are compared merged (the constraint itself is reported); parts
        // that collide (two values of one keyword) are matched part by part.
        row(
            "request allOf part added (merged: the bound)",
            vec![(
                p(REQUEST, "/properties/size/allOf"),
                Some(json!([{"minimum": 1}])),
            )],
            vec![(
                p(REQUEST, "/properties/size/allOf"),
                Some(json!([{"minimum": 1}, {"maximum": 100}])),
            )],
            Rule::BoundTightened,
            Breaking,
        ),
        row(
            "request allOf part added (parts that do not merge)",
            vec![(
                p(REQUEST, "/properties/size/allOf"),
                Some(json!([{"minimum": 1}, {"minimum": 2}])),
            )],
            vec![(
                p(REQUEST, "/properties/size/allOf"),
                Some(json!([{"minimum": 1}, {"minimum": 2}, {"maximum": 100}])),
            )],
            Rule::AllOfPartAdded,
            Breaking,
        ),
        row(
            "response allOf part removed",
            vec![(
                p(RESPONSE, "/properties/note/allOf"),
                Some(json!([{"maxLength": 5}, {"maxLength": 6}])),
            )],
            vec![(
                p(RESPONSE, "/properties/note/allOf"),
                Some(json!([{"maxLength": 6}])),
            )],
            Rule::AllOfPartRemoved,
            Breaking,
        ),
        row(
            "request body wrapped in a oneOf of overlapping branches",
            vec![],
            vec![(
                "/paths/~1things/post/requestBody/content/application~1json/schema",
                Some(json!({"oneOf": [
                    {"$ref": "#/components/schemas/ThingRequest"},
                    {"type": "object", "properties": {"name": {"type": "string"}}}
                ]})),
            )],
            Rule::OneOfOverlap,
            Breaking,
        ),
        row(
            "discriminated response union branch added",
            vec![(
                p(RESPONSE, "/properties/owner"),
                Some(json!({
                    "oneOf": [{"$ref": "#/components/schemas/Owner"}],
                    "discriminator": {"propertyName": "kind", "mapping": {"owner": "#/components/schemas/Owner"}}
                })),
            )],
            vec![(
                p(RESPONSE, "/properties/owner"),
                Some(json!({
                    "oneOf": [{"$ref": "#/components/schemas/Owner"}, {"$ref": "#/components/schemas/Person"}],
                    "discriminator": {"propertyName": "kind", "mapping": {"owner": "#/components/schemas/Owner", "person": "#/components/schemas/Person"}}
                })),
            )],
            Rule::UnionBranchAdded,
            PossiblyBreaking,
        ),
        // Defaults and the wire.
        row(
            "optional parameter default changed",
            vec![(
                "/paths/~1things/get/parameters",
                Some(
                    json!([{"name": "limit", "in": "query", "schema": {"type": "integer", "default": 20}}]),
                ),
            )],
            vec![(
                "/paths/~1things/get/parameters",
                Some(
                    json!([{"name": "limit", "in": "query", "schema": {"type": "integer", "default": 100}}]),
                ),
            )],
            Rule::DefaultChanged,
            PossiblyBreaking,
        ),
        row(
            "path parameter renamed",
            vec![(
                "/paths/~1things~1{thingId}",
                Some(
                    json!({"get": {"parameters": [{"name": "thingId", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "ok"}}}}),
                ),
            )],
            vec![(
                "/paths/~1things~1{thing_id}",
                Some(
                    json!({"get": {"parameters": [{"name": "thing_id", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "ok"}}}}),
                ),
            )],
            Rule::PathParameterRenamed,
            PossiblyBreaking,
        ),
        row(
            "form query parameter became an array",
            vec![(
                "/paths/~1things/get/parameters",
                Some(json!([{"name": "status", "in": "query", "schema": {"type": "string"}}])),
            )],
            vec![(
                "/paths/~1things/get/parameters",
                Some(
                    json!([{"name": "status", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}}]),
                ),
            )],
            Rule::ParameterMadeMultiValued,
            Compatible,
        ),
        row(
            "array query parameter no longer exploded",
            vec![(
                "/paths/~1things/get/parameters",
                Some(
                    json!([{"name": "status", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}}]),
                ),
            )],
            vec![(
                "/paths/~1things/get/parameters",
                Some(
                    json!([{"name": "status", "in": "query", "explode": false, "schema": {"type": "array", "items": {"type": "string"}}}]),
                ),
            )],
            Rule::ParameterSerializationChanged,
            Breaking,
        ),
        row(
            "response header string became integer",
            vec![],
            vec![(
                "/paths/~1things/post/responses/201/headers/x-request-id/schema",
                Some(json!({"type": "integer"})),
            )],
            Rule::TypeNarrowed,
            Compatible,
        ),
        row(
            "request header integer became string",
            vec![(
                "/paths/~1things/post/parameters/0/schema",
                Some(json!({"type": "integer"})),
            )],
            vec![(
                "/paths/~1things/post/parameters/0/schema",
                Some(json!({"type": "string"})),
            )],
            Rule::TypeWidened,
            Compatible,
        ),
        // A schema appearing on or vanishing from a media type.
        row(
            "request media type gets a schema",
            vec![(
                "/paths/~1things/post/requestBody/content/application~1json/schema",
                None,
            )],
            vec![],
            Rule::MediaTypeSchemaAdded,
            Breaking,
        ),
        row(
            "response media type loses its schema",
            vec![],
            vec![(
                "/paths/~1things/post/responses/404/content/application~1json/schema",
                None,
            )],
            Rule::MediaTypeSchemaRemoved,
            Breaking,
        ),
        // One policy: response widening breaks, whatever the keyword.
        row(
            "response const replaced",
            vec![(p(RESPONSE, "/properties/note/const"), Some(json!("a")))],
            vec![(p(RESPONSE, "/properties/note/const"), Some(json!("b")))],
            Rule::ConstChanged,
            Breaking,
        ),
        row(
            "optional property added to a closed response schema",
            vec![(
                "/components/schemas/Owner/additionalProperties",
                Some(json!(false)),
            )],
            vec![
                (
                    "/components/schemas/Owner/additionalProperties",
                    Some(json!(false)),
                ),
                (
                    "/components/schemas/Owner/properties/name",
                    Some(json!({"type": "string"})),
                ),
            ],
            Rule::OptionalPropertyAdded,
            Breaking,
        ),
        // Deprecation and sunsets (the table's policy date is 2026-06-01).
        row(
            "operation deprecated",
            vec![],
            vec![("/paths/~1things/get/deprecated", Some(json!(true)))],
            Rule::Deprecated,
            Compatible,
        ),
        row(
            "operation removed after its sunset",
            vec![
                ("/paths/~1things/get/deprecated", Some(json!(true))),
                ("/paths/~1things/get/x-sunset", Some(json!("2026-01-31"))),
            ],
            vec![("/paths/~1things/get", None)],
            Rule::PlannedRemoval,
            PossiblyBreaking,
        ),
        row(
            "operation removed before its sunset",
            vec![
                ("/paths/~1things/get/deprecated", Some(json!(true))),
                ("/paths/~1things/get/x-sunset", Some(json!("2027-01-31"))),
            ],
            vec![("/paths/~1things/get", None)],
            Rule::OperationRemoved,
            Breaking,
        ),
        // Found by the review of the comparison, each with its pair.
        row(
            "response property widened while it moves into an allOf part",
            vec![],
            vec![
                (p(RESPONSE, "/properties/note"), None),
                (
                    p(RESPONSE, "/allOf"),
                    Some(json!([{"properties": {"note": {"type": ["string", "integer"]}}}])),
                ),
            ],
            Rule::TypeWidened,
            Breaking,
        ),
        row(
            "OAuth scope added to a requirement",
            vec![(
                "/paths/~1things/post/security",
                Some(json!([{"bearer": ["read"]}])),
            )],
            vec![(
                "/paths/~1things/post/security",
                Some(json!([{"bearer": ["read", "write"]}])),
            )],
            Rule::SecurityTightened,
            Breaking,
        ),
        row(
            "credentials offered where anonymous callers stay welcome",
            vec![],
            vec![(
                "/paths/~1things/get/security",
                Some(json!([{}, {"key": []}])),
            )],
            Rule::SecurityRelaxed,
            Compatible,
        ),
        row(
            "response union branch reusing a known tag",
            vec![(
                p(RESPONSE, "/properties/owner"),
                Some(json!({
                    "oneOf": [
                        {"type": "object", "required": ["kind"], "properties": {"kind": {"const": "card"}, "n": {"type": "string"}}},
                        {"type": "object", "required": ["kind"], "properties": {"kind": {"const": "bank"}}}
                    ],
                    "discriminator": {"propertyName": "kind"}
                })),
            )],
            vec![(
                p(RESPONSE, "/properties/owner"),
                Some(json!({
                    "oneOf": [
                        {"type": "object", "required": ["kind"], "properties": {"kind": {"const": "card"}, "n": {"type": "string"}}},
                        {"type": "object", "required": ["kind"], "properties": {"kind": {"const": "bank"}}},
                        {"type": "object", "required": ["kind"], "properties": {"kind": {"const": "card"}, "n": {"type": "integer"}}}
                    ],
                    "discriminator": {"propertyName": "kind"}
                })),
            )],
            Rule::UnionBranchAdded,
            Breaking,
        ),
        row(
            "request minContains 0 removed (the default is 1)",
            vec![(
                p(REQUEST, "/properties/tags"),
                Some(json!({"type": "array", "contains": {"type": "string"}, "minContains": 0})),
            )],
            vec![(
                p(REQUEST, "/properties/tags"),
                Some(json!({"type": "array", "contains": {"type": "string"}})),
            )],
            Rule::BoundTightened,
            Breaking,
        ),
        row(
            "response property removed where additionalProperties is a schema",
            vec![
                (
                    p(RESPONSE, "/properties/count"),
                    Some(json!({"type": "integer"})),
                ),
                (
                    p(RESPONSE, "/additionalProperties"),
                    Some(json!({"type": "string"})),
                ),
            ],
            vec![(
                p(RESPONSE, "/additionalProperties"),
                Some(json!({"type": "string"})),
            )],
            Rule::TypeChanged,
            Breaking,
        ),
        row(
            "readOnly beside a $ref dropped from a required request property",
            vec![
                (
                    p(REQUEST, "/properties/owner"),
                    Some(json!({"$ref": "#/components/schemas/Owner", "readOnly": true})),
                ),
                (p(REQUEST, "/required/1"), Some(json!("owner"))),
            ],
            vec![
                (
                    p(REQUEST, "/properties/owner"),
                    Some(json!({"$ref": "#/components/schemas/Owner"})),
                ),
                (p(REQUEST, "/required/1"), Some(json!("owner"))),
            ],
            Rule::RequiredPropertyAdded,
            Breaking,
        ),
        row(
            "query parameter given by content changes its schema",
            vec![(
                "/paths/~1things/get/parameters",
                Some(
                    json!([{"name": "f", "in": "query", "content": {"application/json": {"schema": {"type": "object", "properties": {"a": {"type": "string"}}}}}}]),
                ),
            )],
            vec![(
                "/paths/~1things/get/parameters",
                Some(
                    json!([{"name": "f", "in": "query", "content": {"application/json": {"schema": {"type": "object", "properties": {"a": {"type": "integer"}}}}}}]),
                ),
            )],
            Rule::TypeChanged,
            Breaking,
        ),
    ]
}

/// The policy the table runs under: sunsets on or before 2026-06-01 have passed.
pub(crate) fn table_policy() -> Policy {
    Policy {
        today: Some("2026-06-01".to_owned()),
        planned_removal: Severity::PossiblyBreaking,
    }
}

/// The old and the new document of a row.
pub(crate) fn sides(row: &Row) -> (Value, Value) {
    let mut old = base();
    for (pointer, value) in &row.old {
        set(&mut old, pointer, value.clone());
    }
    let mut new = base();
    for (pointer, value) in &row.new {
        set(&mut new, pointer, value.clone());
    }
    (old, new)
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
        let (old, new) = sides(row);
        let changes = diff_with(&old, &new, &table_policy());
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

/// Rules that no row of [`table`] exercises yet. Each should get a row; a rule leaves this
/// list when it does (the test below fails while a covered rule is still listed).
const NOT_IN_THE_TABLE_YET: &[Rule] = &[
    Rule::RequestBodyAdded,
    Rule::RequestBodyRemoved,
    Rule::RequestMediaTypeAdded,
    Rule::ResponseMediaTypeRemoved,
    Rule::ResponseMediaTypeAdded,
    Rule::ResponseHeaderAdded,
    Rule::ResponseHeaderMadeOptional,
    Rule::ServerAdded,
    Rule::EnumAdded,
    Rule::EnumRemoved,
    Rule::FormatRemoved,
    Rule::FormatChanged,
    Rule::UnionBranchRemoved,
];

#[test]
fn every_rule_in_the_table_is_documented() {
    let rows = table();
    for row in &rows {
        assert!(
            Rule::ALL.contains(&row.rule),
            "{} is not in Rule::ALL",
            row.rule
        );
        assert!(
            !row.rule.description().is_empty(),
            "{} has no description",
            row.rule
        );
    }
    let covered: BTreeSet<Rule> = rows.iter().map(|row| row.rule).collect();
    let missing: Vec<&str> = Rule::ALL
        .iter()
        .filter(|rule| !covered.contains(rule) && !NOT_IN_THE_TABLE_YET.contains(rule))
        .map(|rule| rule.name())
        .collect();
    assert!(
        missing.is_empty(),
        "no row of the table exercises {missing:?}: add a row (or, for now, list them in NOT_IN_THE_TABLE_YET)"
    );
    let stale: Vec<&str> = NOT_IN_THE_TABLE_YET
        .iter()
        .filter(|rule| covered.contains(rule))
        .map(|rule| rule.name())
        .collect();
    assert!(
        stale.is_empty(),
        "{stale:?} now have rows: remove them from NOT_IN_THE_TABLE_YET"
    );
}

/// Fails to compile when a variant is added to [`Rule`] without a line here; the line's
/// index must be the variant's place in [`Rule::ALL`] (checked by `rule_all_lists_every_rule`).
fn index_in_all(rule: Rule) -> usize {
    match rule {
        Rule::OperationRemoved => 0,
        Rule::OperationAdded => 1,
        Rule::OperationIdChanged => 2,
        Rule::PathParameterRenamed => 3,
        Rule::PlannedRemoval => 4,
        Rule::Deprecated => 5,
        Rule::ParameterRemoved => 6,
        Rule::RequiredParameterAdded => 7,
        Rule::OptionalParameterAdded => 8,
        Rule::ParameterMadeRequired => 9,
        Rule::ParameterMadeOptional => 10,
        Rule::ParameterMadeMultiValued => 11,
        Rule::ParameterSerializationChanged => 12,
        Rule::DefaultChanged => 13,
        Rule::RequestBodyAdded => 14,
        Rule::RequestBodyRemoved => 15,
        Rule::RequestBodyMadeRequired => 16,
        Rule::RequestMediaTypeRemoved => 17,
        Rule::RequestMediaTypeAdded => 18,
        Rule::MediaTypeSchemaAdded => 19,
        Rule::MediaTypeSchemaRemoved => 20,
        Rule::SuccessStatusRemoved => 21,
        Rule::ErrorStatusRemoved => 22,
        Rule::StatusAdded => 23,
        Rule::ResponseMediaTypeRemoved => 24,
        Rule::ResponseMediaTypeAdded => 25,
        Rule::ResponseHeaderRemoved => 26,
        Rule::ResponseHeaderAdded => 27,
        Rule::ResponseHeaderMadeOptional => 28,
        Rule::SecurityTightened => 29,
        Rule::SecurityRelaxed => 30,
        Rule::SecuritySchemeChanged => 31,
        Rule::WebhookRemoved => 32,
        Rule::WebhookAdded => 33,
        Rule::ServerRemoved => 34,
        Rule::ServerAdded => 35,
        Rule::RefTargetChanged => 36,
        Rule::TypeChanged => 37,
        Rule::TypeNarrowed => 38,
        Rule::TypeWidened => 39,
        Rule::MadeNullable => 40,
        Rule::MadeNonNullable => 41,
        Rule::EnumValueAdded => 42,
        Rule::EnumValueRemoved => 43,
        Rule::EnumAdded => 44,
        Rule::EnumRemoved => 45,
        Rule::ConstChanged => 46,
        Rule::FormatAdded => 47,
        Rule::FormatRemoved => 48,
        Rule::FormatChanged => 49,
        Rule::PatternAdded => 50,
        Rule::PatternRemoved => 51,
        Rule::PatternChanged => 52,
        Rule::BoundTightened => 53,
        Rule::BoundRelaxed => 54,
        Rule::ConstraintAdded => 55,
        Rule::ConstraintRemoved => 56,
        Rule::ConstraintChanged => 57,
        Rule::PropertyRemoved => 58,
        Rule::RequiredPropertyAdded => 59,
        Rule::OptionalPropertyAdded => 60,
        Rule::PropertyMadeRequired => 61,
        Rule::PropertyMadeOptional => 62,
        Rule::AdditionalPropertiesForbidden => 63,
        Rule::AdditionalPropertiesAllowed => 64,
        Rule::AllOfPartAdded => 65,
        Rule::AllOfPartRemoved => 66,
        Rule::UnionBranchRemoved => 67,
        Rule::UnionBranchAdded => 68,
        Rule::OneOfOverlap => 69,
    }
}

#[test]
fn rule_all_lists_every_rule() {
    // Every variant has a distinct index below ALL.len() (the match above is exhaustive), and
    // each sits at its index in ALL: so ALL holds each variant exactly once, in order.
    let indices: BTreeSet<usize> = Rule::ALL.iter().map(|rule| index_in_all(*rule)).collect();
    assert_eq!(indices.len(), Rule::ALL.len(), "ALL lists a rule twice");
    for (position, rule) in Rule::ALL.iter().enumerate() {
        assert_eq!(
            index_in_all(*rule),
            position,
            "{rule} is out of place in ALL"
        );
    }
    assert_eq!(index_in_all(Rule::OneOfOverlap) + 1, Rule::ALL.len());
}

#[test]
fn rule_names_are_unique_kebab_case_and_parse_back() {
    let mut seen = BTreeSet::new();
    for rule in Rule::ALL {
        let name = rule.name();
        assert!(seen.insert(name), "{name} is used twice");
        assert!(
            !name.is_empty()
                && !name.starts_with('-')
                && !name.ends_with('-')
                && !name.contains("--")
                && name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{name:?} is not kebab-case"
        );
        assert!(!rule.description().is_empty(), "{name} has no description");
        assert_eq!(Rule::parse(name), Some(*rule));
        assert_eq!(rule.to_string(), name);
        assert_eq!(
            serde_json::to_string(rule).expect("serialize"),
            format!("\"{name}\"")
        );
    }
    assert_eq!(Rule::parse("no-such-rule"), None);
    assert_eq!(Rule::parse("Operation-Removed"), None);
}

#[test]
fn rule_display_honours_width() {
    assert_eq!(
        format!("[{:<20}]", Rule::TypeChanged),
        "[type-changed        ]"
    );
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
        changes
            .iter()
            .all(|c| c.rule == Rule::OptionalPropertyAdded),
        "{}",
        text(&changes)
    );
}

#[test]
fn reports_render_every_format() {
    let mut new = base();
    set(&mut new, p(RESPONSE, "/properties/status"), None);
    set(&mut new, p(RESPONSE, "/required/2"), None);
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

/// Rewrites that change no message: each must report nothing at all.
#[test]
fn equivalent_rewrites_report_nothing() {
    let owner_inline = json!({"type": "object", "properties": {"id": {"type": "string"}}});
    let cases: Vec<(&str, Vec<Edit>, Vec<Edit>)> = vec![
        (
            "an inline anyOf branch replaced by a $ref to an identical component",
            vec![(
                p(RESPONSE, "/properties/owner"),
                Some(json!({"anyOf": [owner_inline.clone(), {"type": "string"}]})),
            )],
            vec![(
                p(RESPONSE, "/properties/owner"),
                Some(
                    json!({"anyOf": [{"$ref": "#/components/schemas/Owner"}, {"type": "string"}]}),
                ),
            )],
        ),
        (
            "anyOf branches reordered",
            vec![(
                p(RESPONSE, "/properties/owner"),
                Some(
                    json!({"anyOf": [{"$ref": "#/components/schemas/Owner"}, {"type": "string"}]}),
                ),
            )],
            vec![(
                p(RESPONSE, "/properties/owner"),
                Some(
                    json!({"anyOf": [{"type": "string"}, {"$ref": "#/components/schemas/Owner"}]}),
                ),
            )],
        ),
        (
            "a schema split into allOf parts (properties moved into a part)",
            vec![],
            vec![(
                RESPONSE,
                Some(json!({"allOf": [
                    {"type": "object", "required": ["id", "name"], "properties": {"id": {"type": "string"}, "name": {"type": "string"}}},
                    {"required": ["status"], "properties": {
                        "status": {"type": "string", "enum": ["on", "off"]},
                        "note": {"type": "string"},
                        "owner": {"$ref": "#/components/schemas/Owner"}
                    }}
                ]})),
            )],
        ),
        (
            "a status written as its range",
            vec![],
            vec![
                ("/paths/~1things/get/responses/200", None),
                ("/paths/~1things/get/responses/2XX", Some(base()["paths"]["/things"]["get"]["responses"]["200"].clone())),
            ],
        ),
        (
            "a media type written with another case and a charset",
            vec![],
            vec![
                ("/paths/~1things/post/responses/404/content/application~1json", None),
                (
                    "/paths/~1things/post/responses/404/content/Application~1JSON; charset=utf-8",
                    Some(base()["paths"]["/things"]["post"]["responses"]["404"]["content"]["application/json"].clone()),
                ),
            ],
        ),
        (
            "allOf parts reordered",
            vec![(
                p(REQUEST, "/properties/size/allOf"),
                Some(json!([{"minimum": 1}, {"maximum": 9}])),
            )],
            vec![(
                p(REQUEST, "/properties/size/allOf"),
                Some(json!([{"maximum": 9}, {"minimum": 1}])),
            )],
        ),
        (
            "a $ref with a description written as a one-part allOf (the 3.0 way)",
            vec![],
            vec![(
                p(RESPONSE, "/properties/owner"),
                Some(
                    json!({"allOf": [{"$ref": "#/components/schemas/Owner"}], "description": "who owns it"}),
                ),
            )],
        ),
        (
            "enum values reordered, descriptions and examples changed",
            vec![],
            vec![
                (p(REQUEST, "/properties/kind/enum"), Some(json!(["b", "a"]))),
                (
                    p(REQUEST, "/properties/kind/description"),
                    Some(json!("the kind")),
                ),
                (
                    p(RESPONSE, "/properties/note/examples"),
                    Some(json!(["a note"])),
                ),
            ],
        ),
    ];
    for (name, old_edits, new_edits) in cases {
        let row = row(
            name,
            old_edits,
            new_edits,
            Rule::TypeChanged,
            Severity::Breaking,
        );
        let (old, new) = sides(&row);
        let changes = diff(&old, &new);
        assert!(changes.is_empty(), "{name}:\n{}", text(&changes));
    }
}

/// A change names its place in both documents, through `$ref`s.
#[test]
fn changes_name_both_pointers() {
    let mut new = base();
    set(
        &mut new,
        p(RESPONSE, "/properties/status/enum/2"),
        Some(json!("paused")),
    );
    let changes = diff(&base(), &new);
    let change = changes
        .iter()
        .find(|c| c.location == "POST /things response 201 application/json at /status")
        .expect("the change in the 201 response");
    assert_eq!(change.old, "/components/schemas/Thing/properties/status");
    assert_eq!(change.new, "/components/schemas/Thing/properties/status");
    let mut renamed = base();
    set(
        &mut renamed,
        "/components/schemas/Thing2",
        Some(base()["components"]["schemas"]["Thing"].clone()),
    );
    set(
        &mut renamed,
        "/paths/~1things/post/responses/201/content/application~1json/schema",
        Some(json!({"$ref": "#/components/schemas/Thing2"})),
    );
    set(
        &mut renamed,
        "/components/schemas/Thing2/properties/note",
        None,
    );
    let changes = diff(&base(), &renamed);
    let removed = changes
        .iter()
        .find(|c| c.rule == Rule::PropertyRemoved)
        .expect("note removed");
    assert_eq!(removed.old, "/components/schemas/Thing/properties/note");
    assert_eq!(removed.new, "/components/schemas/Thing2/properties/note");
    assert!(text(&changes).contains("old #/components/schemas/Thing/properties/note, new #/components/schemas/Thing2/properties/note"));
    assert!(
        changes
            .iter()
            .any(|c| c.rule == Rule::RefTargetChanged && c.severity == Severity::PossiblyBreaking)
    );
}

/// A 3.0 document and its 3.1 twin compare equal once normalised.
#[test]
fn a_3_0_document_compares_with_its_3_1_twin() {
    let mut old = base();
    old["openapi"] = json!("3.0.3");
    set(
        &mut old,
        p(RESPONSE, "/properties/note"),
        Some(json!({"type": "string", "nullable": true, "example": "n"})),
    );
    set(
        &mut old,
        p(REQUEST, "/properties/size"),
        Some(json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true})),
    );
    let mut new = base();
    set(
        &mut new,
        p(RESPONSE, "/properties/note"),
        Some(json!({"type": ["string", "null"], "examples": ["n"]})),
    );
    set(
        &mut new,
        p(REQUEST, "/properties/size"),
        Some(json!({"type": "integer", "exclusiveMinimum": 0})),
    );
    let changes = diff(&normalize::normalize(&old), &new);
    assert!(changes.is_empty(), "{}", text(&changes));
    // Without normalising, `nullable` would be invisible and the bound read wrongly.
    set(
        &mut new,
        p(RESPONSE, "/properties/note/type"),
        Some(json!("string")),
    );
    let changes = diff(&normalize::normalize(&old), &new);
    assert_eq!(
        worst(&changes),
        Some(Severity::Compatible),
        "{}",
        text(&changes)
    );
    assert!(changes.iter().any(|c| c.rule == Rule::MadeNonNullable));
}

/// A reason speaks in its direction's terms: what clients send for a request, what they
/// receive for a response or a webhook payload.
#[test]
fn reasons_speak_in_their_direction() {
    let mut wrong = Vec::new();
    for row in table() {
        let (old, new) = sides(&row);
        for change in diff_with(&old, &new, &table_policy()) {
            let received =
                change.location.contains(" response ") || change.location.starts_with("webhook ");
            let sent = change.location.contains(" request body")
                || change.location.contains(" parameter ");
            let reason = change.reason.to_lowercase();
            if received
                && ["send", "callers", "accepted", "refused now"]
                    .iter()
                    .any(|w| reason.contains(w))
            {
                wrong.push(format!(
                    "{}: {} — {}",
                    row.name, change.location, change.reason
                ));
            }
            if sent
                && ["receive", "get it", "clients reading"]
                    .iter()
                    .any(|w| reason.contains(w))
            {
                wrong.push(format!(
                    "{}: {} — {}",
                    row.name, change.location, change.reason
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// One change to a shared schema is one Markdown item listing every place it shows.
#[test]
fn markdown_groups_a_shared_change() {
    let mut new = base();
    set(
        &mut new,
        p(RESPONSE, "/properties/note/maxLength"),
        Some(json!(5)),
    );
    let changes = diff(&base(), &new);
    assert_eq!(changes.len(), 3, "{}", text(&changes));
    let report = markdown(&changes);
    assert_eq!(
        report,
        "### Compatible changes\n\n\
         - `bound-tightened` maxLength none became 5 (old and new `#/components/schemas/Thing/properties/note`), in 3 places:\n  \
         - GET /things response 200 application/json at /[]/note\n  \
         - POST /things response 201 application/json at /note\n  \
         - webhook thing.happened payload at /data/note\n\n"
    );
}

/// What a newcomer's trial found: a nullable `$ref` in 3.0, a component renamed behind an
/// `allOf` wrapper, a sunset that is not a date, and branches told apart in locations.
#[test]
fn newcomer_findings() {
    // 3.0: `nullable` beside `allOf: [$ref]` is "Owner or null".
    let mut old = base();
    old["openapi"] = json!("3.0.3");
    set(
        &mut old,
        p(RESPONSE, "/properties/owner"),
        Some(json!({"allOf": [{"$ref": "#/components/schemas/Owner"}], "description": "o"})),
    );
    let mut new = old.clone();
    set(
        &mut new,
        p(RESPONSE, "/properties/owner/nullable"),
        Some(json!(true)),
    );
    let changes = diff(&normalize::normalize(&old), &normalize::normalize(&new));
    assert_eq!(
        worst(&changes),
        Some(Severity::Breaking),
        "{}",
        text(&changes)
    );
    assert!(
        text(&changes).contains("(null) may be received"),
        "{}",
        text(&changes)
    );
    // … and it equals the 3.1 way of saying it.
    let mut twin = base();
    set(
        &mut twin,
        p(RESPONSE, "/properties/owner"),
        Some(json!({"oneOf": [{"$ref": "#/components/schemas/Owner"}, {"type": "null"}]})),
    );
    let changes = diff(&normalize::normalize(&new), &twin);
    assert!(changes.is_empty(), "{}", text(&changes));

    // A component renamed where it is used through a one-part `allOf`.
    let mut old = base();
    set(
        &mut old,
        p(RESPONSE, "/properties/owner"),
        Some(json!({"allOf": [{"$ref": "#/components/schemas/Owner"}], "description": "o"})),
    );
    let mut new = old.clone();
    set(
        &mut new,
        "/components/schemas/Holder",
        Some(base()["components"]["schemas"]["Owner"].clone()),
    );
    set(
        &mut new,
        p(RESPONSE, "/properties/owner/allOf/0"),
        Some(json!({"$ref": "#/components/schemas/Holder"})),
    );
    let changes = diff(&old, &new);
    assert!(
        changes
            .iter()
            .any(|c| c.rule == Rule::RefTargetChanged && c.severity == Severity::PossiblyBreaking),
        "{}",
        text(&changes)
    );

    // A sunset that is not a date is said to be unread, and the removal stays breaking.
    let mut old = base();
    set(
        &mut old,
        "/paths/~1things/get/deprecated",
        Some(json!(true)),
    );
    set(
        &mut old,
        "/paths/~1things/get/x-sunset",
        Some(json!("Tue, 30 Jun 2026 23:59:59 GMT")),
    );
    let mut new = old.clone();
    set(&mut new, "/paths/~1things/get", None);
    let changes = diff_with(&old, &new, &table_policy());
    let removed = changes
        .iter()
        .find(|c| c.rule == Rule::OperationRemoved)
        .expect("removed");
    assert_eq!(removed.severity, Severity::Breaking);
    assert!(
        removed
            .reason
            .contains("is not read: it must start with a date, YYYY-MM-DD"),
        "{}",
        removed.reason
    );
    // February 30th is no day.
    set(
        &mut old,
        "/paths/~1things/get/x-sunset",
        Some(json!("2026-02-30")),
    );
    let changes = diff_with(&old, &new, &table_policy());
    assert!(
        changes.iter().any(|c| c.rule == Rule::OperationRemoved),
        "{}",
        text(&changes)
    );

    // Changes in two branches of a union read apart.
    let mut old = base();
    set(
        &mut old,
        p(RESPONSE, "/properties/owner"),
        Some(
            json!({"oneOf": [{"$ref": "#/components/schemas/Owner"}, {"$ref": "#/components/schemas/Person"}]}),
        ),
    );
    let mut new = old.clone();
    set(
        &mut new,
        "/components/schemas/Owner/properties/id/maxLength",
        Some(json!(5)),
    );
    set(
        &mut new,
        "/components/schemas/Person/properties/id/maxLength",
        Some(json!(5)),
    );
    let locations: Vec<String> = diff(&old, &new)
        .into_iter()
        .filter(|c| c.location.starts_with("POST"))
        .map(|c| c.location)
        .collect();
    assert_eq!(
        locations,
        [
            "POST /things response 201 application/json at /owner<Owner>/id",
            "POST /things response 201 application/json at /owner<Person>/id",
        ]
    );
}
