//! Converts an OpenAPI 3.1 document to OpenAPI 3.0.3.
//!
//! OpenAPI 3.1 schemas are JSON Schema 2020-12; 3.0 schemas are an older, smaller dialect.
//! Many tools (progenitor among them) read only 3.0 and silently ignore keywords they do not
//! know, so a careless conversion loses constraints without a word. This converter applies
//! one documented rule per difference ([`Rule`]) and records every place it touched in a
//! [`Note`]:
//!
//! - [`Outcome::Converted`]: rewritten into a 3.0 form that means the same thing
//!   (`type: [T, "null"]` → `type: T, nullable: true`, `const` → one-value `enum`, …).
//! - [`Outcome::Carried`]: 3.0 cannot say it, so it is kept under an `x-` extension of the
//!   same name (`propertyNames` → `x-propertyNames`, `webhooks` → `x-webhooks`). Nothing is
//!   forgotten, but 3.0 validators do not enforce it.
//! - [`Outcome::Lost`]: dropped, because it has no place in 3.0 at all.
//!
//! Nothing is dropped without a note. [`Conversion::report`] renders the notes for people.

use std::collections::BTreeMap;
use std::fmt;

use balampay_openapi::document::{Version, declared_version};
use balampay_openapi::pointer::join as child;
use serde_json::{Map, Value, json};

/// The version the converted document declares.
pub const TARGET_VERSION: &str = "3.0.3";

/// One conversion rule: a difference between OpenAPI 3.1 and 3.0.3 and how it is bridged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// `openapi: 3.1.x` becomes `3.0.3`.
    Version,
    /// 3.1's `info.summary` is carried as `x-summary`.
    InfoSummary,
    /// 3.1's `info.license.identifier` (SPDX) is carried as `x-identifier`.
    LicenseIdentifier,
    /// The top-level `webhooks` become `x-webhooks` (the extension Redocly and others read),
    /// with their schemas converted like any other.
    Webhooks,
    /// Root keys 3.0 does not have (`jsonSchemaDialect`) are carried as `x-` extensions.
    RootKeyword,
    /// `components.pathItems` (3.1 only) is carried as `x-pathItems`.
    PathItemsComponent,
    /// A `type` array: `[T, "null"]` becomes `type: T, nullable: true`; several non-null
    /// types become an `anyOf` of one type each.
    TypeArray,
    /// `oneOf`/`anyOf` with a `{type: null}` branch: the branch goes and the schema becomes
    /// `nullable`; a single remaining branch is wrapped in `allOf` (3.0 ignores `nullable`
    /// beside a bare `$ref`).
    NullBranch,
    /// `{type: "null"}` alone: 3.0 has no null type; it becomes `{enum: [null], nullable:
    /// true}`.
    NullType,
    /// `const: v` becomes `enum: [v]`.
    Const,
    /// A schema's `examples` array becomes `example` (the first); any further ones are
    /// carried as `x-examples`.
    SchemaExamples,
    /// A `$ref` with sibling keywords (which 3.0 ignores) becomes `allOf: [{$ref}]` beside
    /// the siblings.
    RefSiblings,
    /// Numeric `exclusiveMinimum`/`exclusiveMaximum` become `minimum`/`maximum` with the
    /// boolean flag.
    ExclusiveBounds,
    /// Boolean schemas: `true` becomes `{}`, `false` becomes `{not: {}}`.
    BooleanSchema,
    /// JSON Schema keywords 3.0 does not know (`propertyNames`, `prefixItems`, `$defs`,
    /// `if`/`then`/`else`, …) are carried as `x-<keyword>`.
    UnsupportedKeyword,
    /// A Reference Object outside schemas may have `summary`/`description` siblings in 3.1;
    /// 3.0 forbids them, so they are dropped.
    ReferenceSiblings,
    /// A branch of a discriminated `oneOf`/`anyOf` must be a bare `$ref` for 3.0 tools to
    /// select it by the discriminator; annotations beside the `$ref` (`description`, …) are
    /// dropped rather than turned into an inline `allOf` the discriminator cannot select.
    DiscriminatorBranch,
    /// A parameter's schema cannot be `nullable` for some 3.0 tools (progenitor generates
    /// code that does not compile); `null` is dropped from parameter schemas.
    ParameterNull,
}

impl Rule {
    /// Every rule, in documentation order.
    pub const ALL: &'static [Rule] = &[
        Rule::Version,
        Rule::InfoSummary,
        Rule::LicenseIdentifier,
        Rule::Webhooks,
        Rule::RootKeyword,
        Rule::PathItemsComponent,
        Rule::TypeArray,
        Rule::NullBranch,
        Rule::NullType,
        Rule::Const,
        Rule::SchemaExamples,
        Rule::RefSiblings,
        Rule::ExclusiveBounds,
        Rule::BooleanSchema,
        Rule::UnsupportedKeyword,
        Rule::ReferenceSiblings,
        Rule::DiscriminatorBranch,
        Rule::ParameterNull,
    ];

    /// A short, stable name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Rule::Version => "version",
            Rule::InfoSummary => "info-summary",
            Rule::LicenseIdentifier => "license-identifier",
            Rule::Webhooks => "webhooks",
            Rule::RootKeyword => "root-keyword",
            Rule::PathItemsComponent => "path-items-component",
            Rule::TypeArray => "type-array",
            Rule::NullBranch => "null-branch",
            Rule::NullType => "null-type",
            Rule::Const => "const",
            Rule::SchemaExamples => "schema-examples",
            Rule::RefSiblings => "ref-siblings",
            Rule::ExclusiveBounds => "exclusive-bounds",
            Rule::BooleanSchema => "boolean-schema",
            Rule::UnsupportedKeyword => "unsupported-keyword",
            Rule::ReferenceSiblings => "reference-siblings",
            Rule::DiscriminatorBranch => "discriminator-branch",
            Rule::ParameterNull => "parameter-null",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a rule did at one place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Rewritten into a 3.0 form with the same meaning.
    Converted,
    /// Kept under an `x-` extension: nothing forgotten, but 3.0 tools do not enforce it.
    Carried,
    /// Dropped: 3.0 has no place for it.
    Lost,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Converted => "converted",
            Outcome::Carried => "carried",
            Outcome::Lost => "lost",
        })
    }
}

/// One place a rule touched.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Note {
    /// The JSON pointer of the place in the input document.
    pub pointer: String,
    /// The rule applied.
    pub rule: Rule,
    /// What became of the input there.
    pub outcome: Outcome,
    /// What exactly happened, for people.
    pub detail: String,
}

/// Why a document could not be converted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input is not a JSON object.
    #[error("the document is not a JSON object")]
    NotAnObject,
    /// The input's `openapi` field is absent or not a 3.1 version.
    #[error("{}", not_3_1(.found.as_deref()))]
    NotOpenApi31 {
        /// What the field holds, if anything.
        found: Option<String>,
    },
    /// Something that 3.0 cannot express in any form, not even as an extension, without
    /// changing what the document means to 3.0 tools.
    #[error("{pointer} cannot be expressed in OpenAPI 3.0: {reason}")]
    Inexpressible {
        /// The JSON pointer of the construct.
        pointer: String,
        /// What it is and why 3.0 cannot say it.
        reason: String,
    },
}

fn not_3_1(found: Option<&str>) -> String {
    match found {
        None => "the document has no `openapi` version string at /openapi".to_owned(),
        Some(found) => {
            format!("/openapi is {found:?}, but only OpenAPI 3.1.x documents can be down-converted")
        }
    }
}

/// A converted document and the notes of what the conversion did.
#[derive(Clone, Debug)]
pub struct Conversion {
    /// The OpenAPI 3.0.3 document.
    pub document: Value,
    /// Every place a rule touched, sorted by pointer.
    pub notes: Vec<Note>,
}

impl Conversion {
    /// The notes of one outcome.
    pub fn notes_with(&self, outcome: Outcome) -> impl Iterator<Item = &Note> {
        self.notes
            .iter()
            .filter(move |note| note.outcome == outcome)
    }

    /// A report for people: how often each rule converted something, then every place
    /// carried as an extension and every place lost, one line each.
    pub fn report(&self) -> String {
        let mut counts: BTreeMap<Rule, usize> = BTreeMap::new();
        for note in self.notes_with(Outcome::Converted) {
            *counts.entry(note.rule).or_default() += 1;
        }
        let mut out = String::from("converted without loss:\n");
        if counts.is_empty() {
            out.push_str("  nothing\n");
        }
        for (rule, count) in counts {
            out.push_str(&format!("  {rule}: {count} place(s)\n"));
        }
        for (outcome, heading) in [
            (
                Outcome::Carried,
                "carried as x- extensions (kept, but not enforced by 3.0 tools):",
            ),
            (Outcome::Lost, "lost (3.0 has no place for it):"),
        ] {
            out.push_str(heading);
            out.push('\n');
            let mut any = false;
            for note in self.notes_with(outcome) {
                any = true;
                out.push_str(&format!(
                    "  {} [{}] {}\n",
                    note.pointer, note.rule, note.detail
                ));
            }
            if !any {
                out.push_str("  nothing\n");
            }
        }
        out
    }
}

/// JSON Schema keywords that OpenAPI 3.0's Schema Object does not have. Each is carried as
/// `x-<keyword>`.
const UNSUPPORTED_KEYWORDS: &[&str] = &[
    "$schema",
    "$id",
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "$vocabulary",
    "$comment",
    "$defs",
    "prefixItems",
    "contains",
    "minContains",
    "maxContains",
    "unevaluatedItems",
    "unevaluatedProperties",
    "propertyNames",
    "patternProperties",
    "dependentRequired",
    "dependentSchemas",
    "if",
    "then",
    "else",
    "contentMediaType",
    "contentEncoding",
    "contentSchema",
];

const HTTP_METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Converts an OpenAPI 3.1 document to OpenAPI 3.0.3.
pub fn convert(document: &Value) -> Result<Conversion, Error> {
    let Value::Object(root) = document else {
        return Err(Error::NotAnObject);
    };
    match declared_version(document) {
        Ok(Version::V3_1) => {}
        Ok(Version::V3_0) => {
            return Err(Error::NotOpenApi31 {
                found: root
                    .get("openapi")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            });
        }
        Err(found) => return Err(Error::NotOpenApi31 { found }),
    }
    let mut converter = Converter {
        notes: Vec::new(),
        error: None,
    };
    let document = converter.root(root);
    if let Some(error) = converter.error {
        return Err(error);
    }
    let mut notes = converter.notes;
    notes.sort();
    Ok(Conversion { document, notes })
}

struct Converter {
    notes: Vec<Note>,
    /// The first construct found that 3.0 cannot express at all.
    error: Option<Error>,
}

/// Adds a constraint to a schema without losing one it has: a keyword that is free is
/// set; one that is taken (an `anyOf` beside the new `anyOf`) moves into `allOf` with it.
fn add_to_all_of(schema: &mut Map<String, Value>, constraint: Value, keyword: &str) {
    let free = !keyword.is_empty() && !schema.contains_key(keyword);
    if free
        && let Value::Object(object) = &constraint
        && let Some(value) = object.get(keyword)
    {
        schema.insert(keyword.to_owned(), value.clone());
        return;
    }
    match schema.get_mut("allOf") {
        Some(Value::Array(parts)) => parts.push(constraint),
        _ => {
            schema.insert("allOf".to_owned(), Value::Array(vec![constraint]));
        }
    }
}

impl Converter {
    fn note(&mut self, pointer: &str, rule: Rule, outcome: Outcome, detail: impl Into<String>) {
        self.notes.push(Note {
            pointer: pointer.to_owned(),
            rule,
            outcome,
            detail: detail.into(),
        });
    }

    fn root(&mut self, root: &Map<String, Value>) -> Value {
        let mut out = Map::new();
        for (key, value) in root {
            let pointer = child("", key);
            match key.as_str() {
                "openapi" => {
                    out.insert(key.clone(), json!(TARGET_VERSION));
                    let from = value.as_str().unwrap_or_default();
                    self.note(
                        &pointer,
                        Rule::Version,
                        Outcome::Converted,
                        format!("{from} → {TARGET_VERSION}"),
                    );
                }
                "info" => {
                    out.insert(key.clone(), self.info(value, &pointer));
                }
                "paths" => {
                    out.insert(key.clone(), self.map_of(value, &pointer, Self::path_item));
                }
                "webhooks" => {
                    out.insert(
                        "x-webhooks".to_owned(),
                        self.map_of(value, &pointer, Self::path_item),
                    );
                    self.note(
                        &pointer,
                        Rule::Webhooks,
                        Outcome::Carried,
                        "moved to x-webhooks",
                    );
                }
                "components" => {
                    out.insert(key.clone(), self.components(value, &pointer));
                }
                "jsonSchemaDialect" => {
                    out.insert(format!("x-{key}"), value.clone());
                    self.note(
                        &pointer,
                        Rule::RootKeyword,
                        Outcome::Carried,
                        format!("moved to x-{key}"),
                    );
                }
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        Value::Object(out)
    }

    fn info(&mut self, info: &Value, pointer: &str) -> Value {
        let mut info = info.clone();
        if let Some(object) = info.as_object_mut() {
            if let Some(summary) = object.shift_remove("summary") {
                object.insert("x-summary".to_owned(), summary);
                self.note(
                    &child(pointer, "summary"),
                    Rule::InfoSummary,
                    Outcome::Carried,
                    "moved to x-summary",
                );
            }
            if let Some(Value::Object(license)) = object.get_mut("license")
                && let Some(identifier) = license.shift_remove("identifier")
            {
                license.insert("x-identifier".to_owned(), identifier);
                self.note(
                    &format!("{pointer}/license/identifier"),
                    Rule::LicenseIdentifier,
                    Outcome::Carried,
                    "moved to x-identifier",
                );
            }
        }
        info
    }

    /// Applies `f` to every value of a map-shaped object.
    fn map_of(
        &mut self,
        value: &Value,
        pointer: &str,
        f: fn(&mut Self, &Value, &str) -> Value,
    ) -> Value {
        match value {
            Value::Object(object) => Value::Object(
                object
                    .iter()
                    .map(|(key, item)| (key.clone(), f(self, item, &child(pointer, key))))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Applies `f` to every item of an array.
    fn list_of(
        &mut self,
        value: &Value,
        pointer: &str,
        f: fn(&mut Self, &Value, &str) -> Value,
    ) -> Value {
        match value {
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| f(self, item, &child(pointer, &index.to_string())))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn components(&mut self, components: &Value, pointer: &str) -> Value {
        let Value::Object(components) = components else {
            return components.clone();
        };
        let mut out = Map::new();
        for (key, value) in components {
            let here = child(pointer, key);
            let converted = match key.as_str() {
                "schemas" => self.map_of(value, &here, Self::schema),
                "parameters" => self.map_of(value, &here, Self::parameter),
                "headers" => self.map_of(value, &here, Self::header),
                "responses" => self.map_of(value, &here, Self::response),
                "requestBodies" => self.map_of(value, &here, Self::request_body),
                "callbacks" => self.map_of(value, &here, Self::callback),
                "securitySchemes" => self.map_of(value, &here, Self::security_scheme),
                "pathItems" => {
                    let items = self.map_of(value, &here, Self::path_item);
                    out.insert("x-pathItems".to_owned(), items);
                    self.note(
                        &here,
                        Rule::PathItemsComponent,
                        Outcome::Carried,
                        "moved to x-pathItems",
                    );
                    continue;
                }
                _ => value.clone(),
            };
            out.insert(key.clone(), converted);
        }
        Value::Object(out)
    }

    /// A Reference Object outside schemas: 3.0 allows nothing beside `$ref`.
    fn reference(&mut self, object: &Map<String, Value>, pointer: &str) -> Option<Value> {
        let reference = object.get("$ref")?;
        for key in object.keys().filter(|key| *key != "$ref") {
            self.note(
                &child(pointer, key),
                Rule::ReferenceSiblings,
                Outcome::Lost,
                format!("`{key}` beside a $ref is not allowed in 3.0"),
            );
        }
        Some(json!({"$ref": reference}))
    }

    fn path_item(&mut self, item: &Value, pointer: &str) -> Value {
        let Value::Object(item) = item else {
            return item.clone();
        };
        if let Some(reference) = self.reference(item, pointer) {
            return reference;
        }
        let mut out = Map::new();
        for (key, value) in item {
            let here = child(pointer, key);
            let converted = if key == "parameters" {
                self.list_of(value, &here, Self::parameter)
            } else if HTTP_METHODS.contains(&key.as_str()) {
                self.operation(value, &here)
            } else {
                value.clone()
            };
            out.insert(key.clone(), converted);
        }
        Value::Object(out)
    }

    fn operation(&mut self, operation: &Value, pointer: &str) -> Value {
        let Value::Object(operation) = operation else {
            return operation.clone();
        };
        let mut out = Map::new();
        for (key, value) in operation {
            let here = child(pointer, key);
            let converted = match key.as_str() {
                "parameters" => self.list_of(value, &here, Self::parameter),
                "requestBody" => self.request_body(value, &here),
                "responses" => self.map_of(value, &here, Self::response),
                "callbacks" => self.map_of(value, &here, Self::callback),
                _ => value.clone(),
            };
            out.insert(key.clone(), converted);
        }
        Value::Object(out)
    }

    fn callback(&mut self, callback: &Value, pointer: &str) -> Value {
        if let Value::Object(object) = callback
            && let Some(reference) = self.reference(object, pointer)
        {
            return reference;
        }
        self.map_of(callback, pointer, Self::path_item)
    }

    fn parameter(&mut self, parameter: &Value, pointer: &str) -> Value {
        let Value::Object(object) = parameter else {
            return parameter.clone();
        };
        if let Some(reference) = self.reference(object, pointer) {
            return reference;
        }
        let mut out = self.header_like(object, pointer);
        if let Some(schema) = out.get_mut("schema") {
            self.strip_parameter_null(schema, &child(pointer, "schema"));
        }
        Value::Object(out)
    }

    /// A parameter's value is absent or present, never `null`: `nullable` is removed.
    fn strip_parameter_null(&mut self, schema: &mut Value, pointer: &str) {
        if let Value::Object(object) = schema
            && object.shift_remove("nullable") == Some(Value::Bool(true))
        {
            self.note(
                pointer,
                Rule::ParameterNull,
                Outcome::Lost,
                "a parameter schema cannot be nullable; null is no longer accepted",
            );
        }
    }

    fn header(&mut self, header: &Value, pointer: &str) -> Value {
        let Value::Object(object) = header else {
            return header.clone();
        };
        if let Some(reference) = self.reference(object, pointer) {
            return reference;
        }
        Value::Object(self.header_like(object, pointer))
    }

    /// What parameters and headers share: a `schema` or a `content` map.
    fn header_like(&mut self, object: &Map<String, Value>, pointer: &str) -> Map<String, Value> {
        let mut out = Map::new();
        for (key, value) in object {
            let here = child(pointer, key);
            let converted = match key.as_str() {
                "schema" => self.schema(value, &here),
                "content" => self.map_of(value, &here, Self::media_type),
                _ => value.clone(),
            };
            out.insert(key.clone(), converted);
        }
        out
    }

    fn request_body(&mut self, body: &Value, pointer: &str) -> Value {
        let Value::Object(object) = body else {
            return body.clone();
        };
        if let Some(reference) = self.reference(object, pointer) {
            return reference;
        }
        let mut out = object.clone();
        if let Some(content) = object.get("content") {
            out.insert(
                "content".to_owned(),
                self.map_of(content, &child(pointer, "content"), Self::media_type),
            );
        }
        Value::Object(out)
    }

    fn response(&mut self, response: &Value, pointer: &str) -> Value {
        let Value::Object(object) = response else {
            return response.clone();
        };
        if let Some(reference) = self.reference(object, pointer) {
            return reference;
        }
        let mut out = Map::new();
        for (key, value) in object {
            let here = child(pointer, key);
            let converted = match key.as_str() {
                "headers" => self.map_of(value, &here, Self::header),
                "content" => self.map_of(value, &here, Self::media_type),
                _ => value.clone(),
            };
            out.insert(key.clone(), converted);
        }
        Value::Object(out)
    }

    fn media_type(&mut self, media_type: &Value, pointer: &str) -> Value {
        let Value::Object(object) = media_type else {
            return media_type.clone();
        };
        let mut out = object.clone();
        if let Some(schema) = object.get("schema") {
            out.insert(
                "schema".to_owned(),
                self.schema(schema, &child(pointer, "schema")),
            );
        }
        if let Some(Value::Object(encodings)) = object.get("encoding") {
            let mut converted = Map::new();
            for (name, encoding) in encodings {
                let here = child(&child(pointer, "encoding"), name);
                let mut encoding = encoding.clone();
                if let Some(headers) = encoding.get("headers").cloned() {
                    encoding["headers"] =
                        self.map_of(&headers, &child(&here, "headers"), Self::header);
                }
                converted.insert(name.clone(), encoding);
            }
            out.insert("encoding".to_owned(), Value::Object(converted));
        }
        Value::Object(out)
    }

    fn security_scheme(&mut self, scheme: &Value, pointer: &str) -> Value {
        if scheme.get("type").and_then(Value::as_str) == Some("mutualTLS") && self.error.is_none() {
            // Dropping the scheme would leave security requirements that name it dangling,
            // and any stand-in would tell 3.0 tools something false about authentication.
            self.error = Some(Error::Inexpressible {
                pointer: pointer.to_owned(),
                reason: "the mutualTLS security scheme type exists only in 3.1".to_owned(),
            });
        }
        scheme.clone()
    }

    /// Converts one schema, recursively.
    fn schema(&mut self, schema: &Value, pointer: &str) -> Value {
        let object = match schema {
            Value::Bool(true) => {
                self.note(
                    pointer,
                    Rule::BooleanSchema,
                    Outcome::Converted,
                    "true → {}",
                );
                return json!({});
            }
            Value::Bool(false) => {
                self.note(
                    pointer,
                    Rule::BooleanSchema,
                    Outcome::Converted,
                    "false → {not: {}}",
                );
                return json!({"not": {}});
            }
            Value::Object(object) => object,
            other => return other.clone(),
        };

        let object = &self.bare_discriminator_branches(object, pointer);
        let mut out = Map::new();
        for (key, value) in object {
            let here = child(pointer, key);
            match key.as_str() {
                // 3.0 allows a boolean here (and only here).
                "additionalProperties" if value.is_boolean() => {
                    out.insert(key.clone(), value.clone());
                }
                "properties" | "patternProperties" | "dependentSchemas" | "$defs" => {
                    out.insert(key.clone(), self.map_of(value, &here, Self::schema));
                }
                "items"
                | "additionalProperties"
                | "not"
                | "propertyNames"
                | "contains"
                | "if"
                | "then"
                | "else"
                | "unevaluatedItems"
                | "unevaluatedProperties"
                | "contentSchema" => {
                    out.insert(key.clone(), self.schema(value, &here));
                }
                "allOf" | "oneOf" | "anyOf" | "prefixItems" => {
                    out.insert(key.clone(), self.list_of(value, &here, Self::schema));
                }
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }

        self.type_array(&mut out, pointer);
        self.null_branches(&mut out, pointer);
        self.constant(&mut out, pointer);
        self.examples(&mut out, pointer);
        self.exclusive_bounds(&mut out, pointer);
        self.unsupported_keywords(&mut out, pointer);
        self.ref_siblings(out, pointer)
    }

    /// Reduces the `$ref` branches of a discriminated union to bare references.
    fn bare_discriminator_branches(
        &mut self,
        schema: &Map<String, Value>,
        pointer: &str,
    ) -> Map<String, Value> {
        let mut schema = schema.clone();
        if !schema.contains_key("discriminator") {
            return schema;
        }
        for keyword in ["oneOf", "anyOf"] {
            let Some(Value::Array(branches)) = schema.get_mut(keyword) else {
                continue;
            };
            for (index, branch) in branches.iter_mut().enumerate() {
                let Value::Object(object) = branch else {
                    continue;
                };
                let Some(reference) = object.get("$ref").cloned() else {
                    continue;
                };
                for key in object.keys().filter(|key| *key != "$ref") {
                    let at = child(&format!("{pointer}/{keyword}/{index}"), key);
                    self.notes.push(Note {
                        pointer: at,
                        rule: Rule::DiscriminatorBranch,
                        outcome: Outcome::Lost,
                        detail: format!("`{key}` beside a discriminated branch's $ref"),
                    });
                }
                *branch = json!({"$ref": reference});
            }
        }
        schema
    }

    fn type_array(&mut self, schema: &mut Map<String, Value>, pointer: &str) {
        let Some(Value::Array(types)) = schema.get("type").cloned() else {
            if schema.get("type") == Some(&json!("null")) {
                schema.shift_remove("type");
                schema.insert("enum".to_owned(), json!([null]));
                schema.insert("nullable".to_owned(), json!(true));
                self.note(
                    pointer,
                    Rule::NullType,
                    Outcome::Converted,
                    "type: null → enum: [null], nullable: true",
                );
            }
            return;
        };
        let nullable = types.iter().any(|t| t == "null");
        let others: Vec<Value> = types.into_iter().filter(|t| t != "null").collect();
        schema.shift_remove("type");
        match others.as_slice() {
            [] => {
                schema.insert("enum".to_owned(), json!([null]));
            }
            [only] => {
                schema.insert("type".to_owned(), only.clone());
            }
            several => {
                let branches: Vec<Value> = several.iter().map(|t| json!({"type": t})).collect();
                add_to_all_of(schema, json!({"anyOf": branches}), "anyOf");
            }
        }
        if nullable {
            schema.insert("nullable".to_owned(), json!(true));
        }
        self.note(
            pointer,
            Rule::TypeArray,
            Outcome::Converted,
            "type array → single type (nullable) or anyOf",
        );
    }

    fn null_branches(&mut self, schema: &mut Map<String, Value>, pointer: &str) {
        for keyword in ["oneOf", "anyOf"] {
            let Some(Value::Array(branches)) = schema.get(keyword) else {
                continue;
            };
            let is_null = |branch: &Value| {
                branch.get("type") == Some(&json!("null"))
                    || (branch.get("enum") == Some(&json!([null]))
                        && branch.get("nullable") == Some(&json!(true)))
            };
            if !branches.iter().any(is_null) {
                continue;
            }
            let rest: Vec<Value> = branches.iter().filter(|b| !is_null(b)).cloned().collect();
            schema.shift_remove(keyword);
            match rest.len() {
                0 => {
                    schema.insert("enum".to_owned(), json!([null]));
                }
                1 => {
                    let only = rest.into_iter().next().unwrap_or_default();
                    add_to_all_of(schema, only, "");
                }
                _ => {
                    schema.insert(keyword.to_owned(), Value::Array(rest));
                }
            }
            schema.insert("nullable".to_owned(), json!(true));
            self.note(
                pointer,
                Rule::NullBranch,
                Outcome::Converted,
                format!("{keyword} null branch → nullable: true"),
            );
        }
    }

    fn constant(&mut self, schema: &mut Map<String, Value>, pointer: &str) {
        if let Some(value) = schema.shift_remove("const") {
            // A `const` beside an `enum` narrows it to the one value either way.
            schema.insert("enum".to_owned(), Value::Array(vec![value]));
            self.note(
                pointer,
                Rule::Const,
                Outcome::Converted,
                "const → enum of one value",
            );
        }
    }

    fn examples(&mut self, schema: &mut Map<String, Value>, pointer: &str) {
        let mut examples = match schema.shift_remove("examples") {
            None => return,
            Some(Value::Array(examples)) => examples,
            Some(other) => {
                // Not an array, so not JSON Schema's `examples`: keep it, as an extension.
                schema.insert("x-examples".to_owned(), other);
                self.note(
                    pointer,
                    Rule::SchemaExamples,
                    Outcome::Carried,
                    "a non-array examples → x-examples",
                );
                return;
            }
        };
        if examples.is_empty() {
            self.note(
                pointer,
                Rule::SchemaExamples,
                Outcome::Converted,
                "empty examples removed",
            );
            return;
        }
        let first = examples.remove(0);
        if !schema.contains_key("example") {
            schema.insert("example".to_owned(), first);
        } else {
            examples.insert(0, first);
        }
        if examples.is_empty() {
            self.note(
                pointer,
                Rule::SchemaExamples,
                Outcome::Converted,
                "examples → example",
            );
        } else {
            let count = examples.len();
            schema.insert("x-examples".to_owned(), Value::Array(examples));
            self.note(
                pointer,
                Rule::SchemaExamples,
                Outcome::Carried,
                format!("first example → example; {count} more → x-examples"),
            );
        }
    }

    fn exclusive_bounds(&mut self, schema: &mut Map<String, Value>, pointer: &str) {
        for (exclusive, inclusive, stricter) in [
            ("exclusiveMinimum", "minimum", std::cmp::Ordering::Greater),
            ("exclusiveMaximum", "maximum", std::cmp::Ordering::Less),
        ] {
            let Some(Value::Number(bound)) = schema.get(exclusive).cloned() else {
                continue;
            };
            schema.shift_remove(exclusive);
            let exclusive_bound = bound.as_f64().unwrap_or_default();
            let keep_inclusive = schema
                .get(inclusive)
                .and_then(Value::as_f64)
                .is_some_and(|current| current.partial_cmp(&exclusive_bound) == Some(stricter));
            if !keep_inclusive {
                schema.insert(inclusive.to_owned(), Value::Number(bound));
                schema.insert(exclusive.to_owned(), json!(true));
            }
            self.note(
                pointer,
                Rule::ExclusiveBounds,
                Outcome::Converted,
                format!("numeric {exclusive} → {inclusive} + {exclusive}: true"),
            );
        }
    }

    fn unsupported_keywords(&mut self, schema: &mut Map<String, Value>, pointer: &str) {
        for keyword in UNSUPPORTED_KEYWORDS {
            if let Some(value) = schema.shift_remove(*keyword) {
                let extension = format!("x-{keyword}");
                schema.insert(extension.clone(), value);
                self.note(
                    &child(pointer, keyword),
                    Rule::UnsupportedKeyword,
                    Outcome::Carried,
                    format!("{keyword} → {extension}"),
                );
            }
        }
    }

    fn ref_siblings(&mut self, mut schema: Map<String, Value>, pointer: &str) -> Value {
        if schema.len() > 1
            && let Some(reference) = schema.shift_remove("$ref")
        {
            let mut all_of = vec![json!({"$ref": reference})];
            if let Some(Value::Array(existing)) = schema.shift_remove("allOf") {
                all_of.extend(existing);
            }
            let mut out = Map::new();
            out.insert("allOf".to_owned(), Value::Array(all_of));
            out.extend(schema);
            self.note(
                pointer,
                Rule::RefSiblings,
                Outcome::Converted,
                "$ref with siblings → allOf: [$ref] beside them",
            );
            return Value::Object(out);
        }
        Value::Object(schema)
    }
}

#[cfg(test)]
mod tests;
