//! One test per rule, each on the smallest document that shows it.

use serde_json::{Value, json};

use super::*;

fn document_with_schema(schema: Value) -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": {"S": schema}}
    })
}

/// Converts a document holding one component schema; returns the converted schema and the
/// notes.
fn convert_schema(schema: Value) -> (Value, Vec<Note>) {
    let conversion = convert(&document_with_schema(schema)).expect("converts");
    (
        conversion.document["components"]["schemas"]["S"].clone(),
        conversion.notes,
    )
}

fn rules(notes: &[Note]) -> Vec<(Rule, Outcome)> {
    notes
        .iter()
        .filter(|n| n.rule != Rule::Version)
        .map(|n| (n.rule, n.outcome))
        .collect()
}

#[test]
fn version_becomes_3_0_3() {
    let conversion = convert(&document_with_schema(json!({}))).expect("converts");
    assert_eq!(conversion.document["openapi"], "3.0.3");
    assert_eq!(conversion.notes[0].rule, Rule::Version);
    assert_eq!(conversion.notes[0].detail, "3.1.0 → 3.0.3");
}

#[test]
fn only_3_1_documents_are_accepted() {
    assert_eq!(
        convert(&json!([])).expect_err("must fail"),
        Error::NotAnObject
    );
    assert_eq!(
        convert(&json!({"openapi": "3.0.3"})).expect_err("must fail"),
        Error::NotOpenApi31 {
            found: Some("3.0.3".into())
        }
    );
    let missing = convert(&json!({"info": {}})).expect_err("must fail");
    assert_eq!(
        missing.to_string(),
        "the document has no `openapi` version string at /openapi"
    );
}

#[test]
fn info_summary_and_license_identifier_are_carried() {
    let mut doc = document_with_schema(json!({}));
    doc["info"]["summary"] = json!("short");
    doc["info"]["license"] = json!({"name": "MIT", "identifier": "MIT"});
    let conversion = convert(&doc).expect("converts");
    let info = &conversion.document["info"];
    assert_eq!(info["x-summary"], "short");
    assert!(info.get("summary").is_none());
    assert_eq!(
        info["license"],
        json!({"name": "MIT", "x-identifier": "MIT"})
    );
    assert_eq!(
        rules(&conversion.notes),
        [
            (Rule::LicenseIdentifier, Outcome::Carried),
            (Rule::InfoSummary, Outcome::Carried)
        ]
    );
}

#[test]
fn webhooks_move_to_x_webhooks_with_converted_schemas() {
    let mut doc = document_with_schema(json!({}));
    doc["webhooks"] = json!({"thing.happened": {"post": {
        "requestBody": {"content": {"application/json": {"schema": {"const": "x"}}}},
        "responses": {"200": {"description": "ok"}}
    }}});
    let conversion = convert(&doc).expect("converts");
    assert!(conversion.document.get("webhooks").is_none());
    let schema = &conversion.document["x-webhooks"]["thing.happened"]["post"]["requestBody"]["content"]
        ["application/json"]["schema"];
    assert_eq!(schema, &json!({"enum": ["x"]}));
    assert!(rules(&conversion.notes).contains(&(Rule::Webhooks, Outcome::Carried)));
}

#[test]
fn json_schema_dialect_and_path_items_are_carried() {
    let mut doc = document_with_schema(json!({}));
    doc["jsonSchemaDialect"] = json!("https://json-schema.org/draft/2020-12/schema");
    doc["components"]["pathItems"] =
        json!({"P": {"get": {"responses": {"200": {"description": "ok"}}}}});
    let conversion = convert(&doc).expect("converts");
    assert!(conversion.document["x-jsonSchemaDialect"].is_string());
    assert!(conversion.document["components"]["x-pathItems"]["P"]["get"].is_object());
    assert!(conversion.document["components"].get("pathItems").is_none());
    assert_eq!(
        rules(&conversion.notes),
        [
            (Rule::PathItemsComponent, Outcome::Carried),
            (Rule::RootKeyword, Outcome::Carried)
        ]
    );
}

#[test]
fn type_arrays_become_nullable_or_any_of() {
    let (schema, notes) = convert_schema(json!({"type": ["string", "null"], "maxLength": 3}));
    assert_eq!(
        schema,
        json!({"maxLength": 3, "type": "string", "nullable": true})
    );
    assert_eq!(rules(&notes), [(Rule::TypeArray, Outcome::Converted)]);

    let (schema, _) = convert_schema(json!({"type": ["string", "integer"]}));
    assert_eq!(
        schema,
        json!({"anyOf": [{"type": "string"}, {"type": "integer"}]})
    );

    let (schema, _) = convert_schema(json!({"type": ["integer"]}));
    assert_eq!(schema, json!({"type": "integer"}));
}

#[test]
fn a_bare_null_type_becomes_a_nullable_enum_of_null() {
    let (schema, notes) = convert_schema(json!({"type": "null"}));
    assert_eq!(schema, json!({"enum": [null], "nullable": true}));
    assert_eq!(rules(&notes), [(Rule::NullType, Outcome::Converted)]);
}

#[test]
fn null_branches_become_nullable_all_of() {
    let (schema, notes) = convert_schema(json!({
        "oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/T"}],
        "description": "d"
    }));
    assert_eq!(
        schema,
        json!({"description": "d", "allOf": [{"$ref": "#/components/schemas/T"}], "nullable": true})
    );
    // The null branch is converted first (null type rule), then removed.
    assert!(rules(&notes).contains(&(Rule::NullBranch, Outcome::Converted)));

    let (schema, _) = convert_schema(
        json!({"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}),
    );
    assert_eq!(
        schema,
        json!({"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": true})
    );
}

#[test]
fn const_becomes_a_one_value_enum() {
    let (schema, notes) = convert_schema(json!({"type": "string", "const": "individual"}));
    assert_eq!(schema, json!({"type": "string", "enum": ["individual"]}));
    assert_eq!(rules(&notes), [(Rule::Const, Outcome::Converted)]);
}

#[test]
fn schema_examples_become_example_and_x_examples() {
    let (schema, notes) = convert_schema(json!({"type": "string", "examples": ["a"]}));
    assert_eq!(schema, json!({"type": "string", "example": "a"}));
    assert_eq!(rules(&notes), [(Rule::SchemaExamples, Outcome::Converted)]);

    let (schema, notes) = convert_schema(json!({"type": "string", "examples": ["a", "b", "c"]}));
    assert_eq!(
        schema,
        json!({"type": "string", "example": "a", "x-examples": ["b", "c"]})
    );
    assert_eq!(rules(&notes), [(Rule::SchemaExamples, Outcome::Carried)]);
}

#[test]
fn media_type_examples_are_untouched() {
    let mut doc = document_with_schema(json!({}));
    doc["paths"] = json!({"/a": {"get": {"responses": {"200": {
        "description": "ok",
        "content": {"application/json": {"schema": {"type": "string"}, "examples": {"one": {"value": "x"}}}}
    }}}}});
    let conversion = convert(&doc).expect("converts");
    let media = &conversion.document["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"];
    assert_eq!(media["examples"], json!({"one": {"value": "x"}}));
}

#[test]
fn ref_siblings_become_all_of() {
    let (schema, notes) =
        convert_schema(json!({"$ref": "#/components/schemas/T", "description": "why"}));
    assert_eq!(
        schema,
        json!({"allOf": [{"$ref": "#/components/schemas/T"}], "description": "why"})
    );
    assert_eq!(rules(&notes), [(Rule::RefSiblings, Outcome::Converted)]);

    let (schema, notes) = convert_schema(json!({"$ref": "#/components/schemas/T"}));
    assert_eq!(schema, json!({"$ref": "#/components/schemas/T"}));
    assert!(rules(&notes).is_empty());
}

#[test]
fn numeric_exclusive_bounds_become_boolean_flags() {
    let (schema, notes) =
        convert_schema(json!({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 100}));
    assert_eq!(
        schema,
        json!({"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 100, "exclusiveMaximum": true})
    );
    assert_eq!(
        rules(&notes),
        [
            (Rule::ExclusiveBounds, Outcome::Converted),
            (Rule::ExclusiveBounds, Outcome::Converted)
        ]
    );

    // An inclusive bound that is already stricter wins, and the exclusive one goes.
    let (schema, _) =
        convert_schema(json!({"type": "number", "minimum": 5, "exclusiveMinimum": 0}));
    assert_eq!(schema, json!({"type": "number", "minimum": 5}));
}

#[test]
fn boolean_schemas_become_objects() {
    let (schema, notes) = convert_schema(
        json!({"type": "object", "additionalProperties": false, "properties": {"any": true, "none": false}}),
    );
    assert_eq!(
        schema,
        json!({"type": "object", "additionalProperties": false, "properties": {"any": {}, "none": {"not": {}}}})
    );
    assert_eq!(
        rules(&notes),
        [
            (Rule::BooleanSchema, Outcome::Converted),
            (Rule::BooleanSchema, Outcome::Converted)
        ]
    );
}

#[test]
fn unsupported_keywords_are_carried_as_extensions() {
    let (schema, notes) = convert_schema(json!({
        "type": "object",
        "propertyNames": {"maxLength": 40},
        "unevaluatedProperties": false,
        "$comment": "c"
    }));
    assert_eq!(
        schema,
        json!({"type": "object", "x-$comment": "c", "x-unevaluatedProperties": {"not": {}}, "x-propertyNames": {"maxLength": 40}})
    );
    let carried: Vec<&str> = notes
        .iter()
        .filter(|n| n.rule == Rule::UnsupportedKeyword)
        .map(|n| n.pointer.as_str())
        .collect();
    assert_eq!(
        carried,
        [
            "/components/schemas/S/$comment",
            "/components/schemas/S/propertyNames",
            "/components/schemas/S/unevaluatedProperties"
        ]
    );
}

#[test]
fn nested_schemas_are_converted_everywhere() {
    let (schema, _) = convert_schema(json!({
        "type": "object",
        "properties": {"a": {"type": "array", "items": {"const": 1}}},
        "additionalProperties": {"type": ["string", "null"]},
        "allOf": [{"not": {"const": 2}}]
    }));
    assert_eq!(schema["properties"]["a"]["items"], json!({"enum": [1]}));
    assert_eq!(
        schema["additionalProperties"],
        json!({"type": "string", "nullable": true})
    );
    assert_eq!(schema["allOf"][0]["not"], json!({"enum": [2]}));
}

#[test]
fn reference_objects_lose_their_siblings() {
    let mut doc = document_with_schema(json!({}));
    doc["paths"] = json!({"/a": {"get": {"responses": {
        "404": {"$ref": "#/components/responses/NotFound", "description": "overridden"}
    }}}});
    let conversion = convert(&doc).expect("converts");
    assert_eq!(
        conversion.document["paths"]["/a"]["get"]["responses"]["404"],
        json!({"$ref": "#/components/responses/NotFound"})
    );
    let lost: Vec<&Note> = conversion.notes_with(Outcome::Lost).collect();
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0].pointer, "/paths/~1a/get/responses/404/description");
    assert_eq!(lost[0].rule, Rule::ReferenceSiblings);
}

#[test]
fn parameters_are_never_nullable() {
    let mut doc = document_with_schema(json!({}));
    doc["paths"] = json!({"/a": {"get": {
        "parameters": [{"name": "q", "in": "query", "schema": {"type": ["string", "null"]}}],
        "responses": {"200": {"description": "ok"}}
    }}});
    let conversion = convert(&doc).expect("converts");
    assert_eq!(
        conversion.document["paths"]["/a"]["get"]["parameters"][0]["schema"],
        json!({"type": "string"})
    );
    let lost: Vec<&Note> = conversion.notes_with(Outcome::Lost).collect();
    assert_eq!(lost[0].rule, Rule::ParameterNull);
    assert_eq!(lost[0].pointer, "/paths/~1a/get/parameters/0/schema");
}

#[test]
fn mutual_tls_is_an_error_not_a_silent_drop() {
    let mut doc = document_with_schema(json!({}));
    doc["components"]["securitySchemes"] = json!({"mtls": {"type": "mutualTLS"}});
    let error = convert(&doc).expect_err("must fail");
    assert_eq!(
        error.to_string(),
        "/components/securitySchemes/mtls cannot be expressed in OpenAPI 3.0: the mutualTLS security scheme type exists only in 3.1"
    );
}

#[test]
fn the_report_lists_carried_and_lost_places() {
    let mut doc = document_with_schema(json!({"const": 1, "propertyNames": {"maxLength": 2}}));
    doc["paths"] = json!({"/a": {"get": {"responses": {"404": {"$ref": "#/x", "summary": "s"}}}}});
    let report = convert(&doc).expect("converts").report();
    assert_eq!(
        report,
        "converted without loss:\n  version: 1 place(s)\n  const: 1 place(s)\n\
         carried as x- extensions (kept, but not enforced by 3.0 tools):\n  /components/schemas/S/propertyNames [unsupported-keyword] propertyNames → x-propertyNames\n\
         lost (3.0 has no place for it):\n  /paths/~1a/get/responses/404/summary [reference-siblings] `summary` beside a $ref is not allowed in 3.0\n"
    );
}

#[test]
fn every_rule_has_a_distinct_name() {
    let mut names: Vec<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), Rule::ALL.len());
}

#[test]
fn discriminated_branches_stay_bare_references() {
    let (schema, notes) = convert_schema(json!({
        "oneOf": [
            {"$ref": "#/components/schemas/A", "description": "an a"},
            {"$ref": "#/components/schemas/B"}
        ],
        "discriminator": {"propertyName": "type"}
    }));
    assert_eq!(
        schema["oneOf"],
        json!([{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}])
    );
    assert_eq!(rules(&notes), [(Rule::DiscriminatorBranch, Outcome::Lost)]);
    assert_eq!(
        notes
            .iter()
            .find(|n| n.rule == Rule::DiscriminatorBranch)
            .map(|n| n.pointer.as_str()),
        Some("/components/schemas/S/oneOf/0/description")
    );

    // Without a discriminator, annotations are kept through allOf.
    let (schema, _) = convert_schema(
        json!({"oneOf": [{"$ref": "#/components/schemas/A", "description": "an a"}]}),
    );
    assert_eq!(
        schema["oneOf"][0],
        json!({"allOf": [{"$ref": "#/components/schemas/A"}], "description": "an a"})
    );
}

#[test]
fn existing_combinators_are_kept_when_rules_add_their_own() {
    let (schema, _) = convert_schema(
        json!({"type": ["string", "integer"], "anyOf": [{"minLength": 1}, {"minimum": 1}]}),
    );
    assert_eq!(schema["anyOf"], json!([{"minLength": 1}, {"minimum": 1}]));
    assert_eq!(
        schema["allOf"],
        json!([{"anyOf": [{"type": "string"}, {"type": "integer"}]}])
    );

    let (schema, _) = convert_schema(
        json!({"allOf": [{"minLength": 1}], "oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/T"}]}),
    );
    assert_eq!(
        schema["allOf"],
        json!([{"minLength": 1}, {"$ref": "#/components/schemas/T"}])
    );
    assert_eq!(schema["nullable"], true);

    let (schema, notes) = convert_schema(json!({"type": "string", "examples": {"a": "x"}}));
    assert_eq!(schema["x-examples"], json!({"a": "x"}));
    assert_eq!(rules(&notes), [(Rule::SchemaExamples, Outcome::Carried)]);
}
