//! Direction-aware comparison of two OpenAPI 3.1 documents.
//!
//! Every change between an old and a new version of a spec is classified from the point of
//! view of the partners who built against the old one:
//!
//! - in a **request** (what clients send), the new version must accept everything the old
//!   one accepted: narrowing breaks, widening is compatible;
//! - in a **response** or a **webhook payload** (what clients receive), the new version must
//!   send only what old clients understand: widening breaks (or possibly breaks), narrowing
//!   is compatible.
//!
//! Schemas are followed through `$ref`s on both sides. Each [`Change`] carries its rule, its
//! [`Severity`], where it is and a one-line reason. [`Rule::ALL`] lists every rule.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;

// Documents loaded for a diff have been checked to resolve (`Document::require_resolvable`);
// in one that has not, a reference that cannot be followed is compared as it is written.
use balampay_openapi::reference::follow as resolve;
use balampay_openapi::xml::escape_attribute;
use serde::Serialize;
use serde_json::Value;

/// How much a change can hurt partners built against the old version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Cannot break a client built against the old version.
    Compatible,
    /// May break some clients (a new enum value in a response, a new status, …).
    PossiblyBreaking,
    /// Breaks clients built against the old version.
    Breaking,
}

impl Severity {
    /// The name used in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Compatible => "compatible",
            Severity::PossiblyBreaking => "possibly-breaking",
            Severity::Breaking => "breaking",
        }
    }

    /// Reads a name written by [`Severity::name`].
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "compatible" => Some(Severity::Compatible),
            "possibly-breaking" => Some(Severity::PossiblyBreaking),
            "breaking" => Some(Severity::Breaking),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One change between the two versions.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    /// How much it can hurt.
    pub severity: Severity,
    /// The rule that found it (its [name](Rule::name) is stable, kebab-case).
    pub rule: Rule,
    /// Where it is: the operation or webhook, the part, and the path inside the schema.
    pub location: String,
    /// Why it has that severity, in one line.
    pub reason: String,
}

/// A diff rule: what kind of change was found. Each has a stable kebab-case [`name`](Rule::name)
/// (printed in every report) and a [`description`](Rule::description); [`Rule::ALL`] lists
/// them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// An operation (method and path) is gone.
    OperationRemoved,
    /// A new operation.
    OperationAdded,
    /// An operation's id changed (generated clients rename the method).
    OperationIdChanged,
    /// A parameter is gone.
    ParameterRemoved,
    /// A new required parameter.
    RequiredParameterAdded,
    /// A new optional parameter.
    OptionalParameterAdded,
    /// An optional parameter became required.
    ParameterMadeRequired,
    /// A required parameter became optional.
    ParameterMadeOptional,
    /// A request body where there was none.
    RequestBodyAdded,
    /// The request body is gone.
    RequestBodyRemoved,
    /// An optional request body became required.
    RequestBodyMadeRequired,
    /// A request media type is no longer accepted.
    RequestMediaTypeRemoved,
    /// A new request media type is accepted.
    RequestMediaTypeAdded,
    /// A 2xx/3xx status is no longer answered.
    SuccessStatusRemoved,
    /// An error status is no longer answered.
    ErrorStatusRemoved,
    /// A new status may be answered.
    StatusAdded,
    /// A response media type is gone.
    ResponseMediaTypeRemoved,
    /// A new response media type.
    ResponseMediaTypeAdded,
    /// A response header is gone.
    ResponseHeaderRemoved,
    /// A new response header.
    ResponseHeaderAdded,
    /// A required response header became optional.
    ResponseHeaderMadeOptional,
    /// Callers need credentials they did not need.
    SecurityTightened,
    /// Callers need fewer credentials.
    SecurityRelaxed,
    /// A security scheme's definition changed or it is gone (another header, type, …).
    SecuritySchemeChanged,
    /// A webhook event is no longer sent.
    WebhookRemoved,
    /// A new webhook event is sent.
    WebhookAdded,
    /// A server URL is gone.
    ServerRemoved,
    /// A new server URL.
    ServerAdded,
    /// A schema now refers to another component.
    RefTargetChanged,
    /// The type changed.
    TypeChanged,
    /// Fewer types are allowed.
    TypeNarrowed,
    /// More types are allowed.
    TypeWidened,
    /// Null became allowed.
    MadeNullable,
    /// Null is no longer allowed.
    MadeNonNullable,
    /// A new enum value.
    EnumValueAdded,
    /// An enum value is gone.
    EnumValueRemoved,
    /// A value set where any value was allowed.
    EnumAdded,
    /// Any value allowed where there was a value set.
    EnumRemoved,
    /// A format where there was none.
    FormatAdded,
    /// No format where there was one.
    FormatRemoved,
    /// Another format.
    FormatChanged,
    /// A pattern where there was none.
    PatternAdded,
    /// No pattern where there was one.
    PatternRemoved,
    /// Another pattern.
    PatternChanged,
    /// A length, size or value bound became stricter.
    BoundTightened,
    /// A length, size or value bound became looser.
    BoundRelaxed,
    /// An object property is gone.
    PropertyRemoved,
    /// A new required property.
    RequiredPropertyAdded,
    /// A new optional property.
    OptionalPropertyAdded,
    /// An optional property became required.
    PropertyMadeRequired,
    /// A required property became optional.
    PropertyMadeOptional,
    /// Unknown properties became errors.
    AdditionalPropertiesForbidden,
    /// Unknown properties became allowed.
    AdditionalPropertiesAllowed,
    /// A oneOf/anyOf branch is gone.
    UnionBranchRemoved,
    /// A new oneOf/anyOf branch.
    UnionBranchAdded,
}

impl Rule {
    /// Every rule, in the order they are documented.
    pub const ALL: &'static [Rule] = &[
        Rule::OperationRemoved,
        Rule::OperationAdded,
        Rule::OperationIdChanged,
        Rule::ParameterRemoved,
        Rule::RequiredParameterAdded,
        Rule::OptionalParameterAdded,
        Rule::ParameterMadeRequired,
        Rule::ParameterMadeOptional,
        Rule::RequestBodyAdded,
        Rule::RequestBodyRemoved,
        Rule::RequestBodyMadeRequired,
        Rule::RequestMediaTypeRemoved,
        Rule::RequestMediaTypeAdded,
        Rule::SuccessStatusRemoved,
        Rule::ErrorStatusRemoved,
        Rule::StatusAdded,
        Rule::ResponseMediaTypeRemoved,
        Rule::ResponseMediaTypeAdded,
        Rule::ResponseHeaderRemoved,
        Rule::ResponseHeaderAdded,
        Rule::ResponseHeaderMadeOptional,
        Rule::SecurityTightened,
        Rule::SecurityRelaxed,
        Rule::SecuritySchemeChanged,
        Rule::WebhookRemoved,
        Rule::WebhookAdded,
        Rule::ServerRemoved,
        Rule::ServerAdded,
        Rule::RefTargetChanged,
        Rule::TypeChanged,
        Rule::TypeNarrowed,
        Rule::TypeWidened,
        Rule::MadeNullable,
        Rule::MadeNonNullable,
        Rule::EnumValueAdded,
        Rule::EnumValueRemoved,
        Rule::EnumAdded,
        Rule::EnumRemoved,
        Rule::FormatAdded,
        Rule::FormatRemoved,
        Rule::FormatChanged,
        Rule::PatternAdded,
        Rule::PatternRemoved,
        Rule::PatternChanged,
        Rule::BoundTightened,
        Rule::BoundRelaxed,
        Rule::PropertyRemoved,
        Rule::RequiredPropertyAdded,
        Rule::OptionalPropertyAdded,
        Rule::PropertyMadeRequired,
        Rule::PropertyMadeOptional,
        Rule::AdditionalPropertiesForbidden,
        Rule::AdditionalPropertiesAllowed,
        Rule::UnionBranchRemoved,
        Rule::UnionBranchAdded,
    ];

    /// The stable kebab-case name printed in reports (text, Markdown, JSON, JUnit).
    pub fn name(self) -> &'static str {
        match self {
            Rule::OperationRemoved => "operation-removed",
            Rule::OperationAdded => "operation-added",
            Rule::OperationIdChanged => "operation-id-changed",
            Rule::ParameterRemoved => "parameter-removed",
            Rule::RequiredParameterAdded => "required-parameter-added",
            Rule::OptionalParameterAdded => "optional-parameter-added",
            Rule::ParameterMadeRequired => "parameter-made-required",
            Rule::ParameterMadeOptional => "parameter-made-optional",
            Rule::RequestBodyAdded => "request-body-added",
            Rule::RequestBodyRemoved => "request-body-removed",
            Rule::RequestBodyMadeRequired => "request-body-made-required",
            Rule::RequestMediaTypeRemoved => "request-media-type-removed",
            Rule::RequestMediaTypeAdded => "request-media-type-added",
            Rule::SuccessStatusRemoved => "success-status-removed",
            Rule::ErrorStatusRemoved => "error-status-removed",
            Rule::StatusAdded => "status-added",
            Rule::ResponseMediaTypeRemoved => "response-media-type-removed",
            Rule::ResponseMediaTypeAdded => "response-media-type-added",
            Rule::ResponseHeaderRemoved => "response-header-removed",
            Rule::ResponseHeaderAdded => "response-header-added",
            Rule::ResponseHeaderMadeOptional => "response-header-made-optional",
            Rule::SecurityTightened => "security-tightened",
            Rule::SecurityRelaxed => "security-relaxed",
            Rule::SecuritySchemeChanged => "security-scheme-changed",
            Rule::WebhookRemoved => "webhook-removed",
            Rule::WebhookAdded => "webhook-added",
            Rule::ServerRemoved => "server-removed",
            Rule::ServerAdded => "server-added",
            Rule::RefTargetChanged => "ref-target-changed",
            Rule::TypeChanged => "type-changed",
            Rule::TypeNarrowed => "type-narrowed",
            Rule::TypeWidened => "type-widened",
            Rule::MadeNullable => "made-nullable",
            Rule::MadeNonNullable => "made-non-nullable",
            Rule::EnumValueAdded => "enum-value-added",
            Rule::EnumValueRemoved => "enum-value-removed",
            Rule::EnumAdded => "enum-added",
            Rule::EnumRemoved => "enum-removed",
            Rule::FormatAdded => "format-added",
            Rule::FormatRemoved => "format-removed",
            Rule::FormatChanged => "format-changed",
            Rule::PatternAdded => "pattern-added",
            Rule::PatternRemoved => "pattern-removed",
            Rule::PatternChanged => "pattern-changed",
            Rule::BoundTightened => "bound-tightened",
            Rule::BoundRelaxed => "bound-relaxed",
            Rule::PropertyRemoved => "property-removed",
            Rule::RequiredPropertyAdded => "required-property-added",
            Rule::OptionalPropertyAdded => "optional-property-added",
            Rule::PropertyMadeRequired => "property-made-required",
            Rule::PropertyMadeOptional => "property-made-optional",
            Rule::AdditionalPropertiesForbidden => "additional-properties-forbidden",
            Rule::AdditionalPropertiesAllowed => "additional-properties-allowed",
            Rule::UnionBranchRemoved => "union-branch-removed",
            Rule::UnionBranchAdded => "union-branch-added",
        }
    }

    /// What the rule detects, in a few words.
    pub fn description(self) -> &'static str {
        match self {
            Rule::OperationRemoved => "an operation (method and path) is gone",
            Rule::OperationAdded => "a new operation",
            Rule::OperationIdChanged => {
                "an operation's id changed (generated clients rename the method)"
            }
            Rule::ParameterRemoved => "a parameter is gone",
            Rule::RequiredParameterAdded => "a new required parameter",
            Rule::OptionalParameterAdded => "a new optional parameter",
            Rule::ParameterMadeRequired => "an optional parameter became required",
            Rule::ParameterMadeOptional => "a required parameter became optional",
            Rule::RequestBodyAdded => "a request body where there was none",
            Rule::RequestBodyRemoved => "the request body is gone",
            Rule::RequestBodyMadeRequired => "an optional request body became required",
            Rule::RequestMediaTypeRemoved => "a request media type is no longer accepted",
            Rule::RequestMediaTypeAdded => "a new request media type is accepted",
            Rule::SuccessStatusRemoved => "a 2xx/3xx status is no longer answered",
            Rule::ErrorStatusRemoved => "an error status is no longer answered",
            Rule::StatusAdded => "a new status may be answered",
            Rule::ResponseMediaTypeRemoved => "a response media type is gone",
            Rule::ResponseMediaTypeAdded => "a new response media type",
            Rule::ResponseHeaderRemoved => "a response header is gone",
            Rule::ResponseHeaderAdded => "a new response header",
            Rule::ResponseHeaderMadeOptional => "a required response header became optional",
            Rule::SecurityTightened => "callers need credentials they did not need",
            Rule::SecurityRelaxed => "callers need fewer credentials",
            Rule::SecuritySchemeChanged => {
                "a security scheme's definition changed or it is gone (another header, type, …)"
            }
            Rule::WebhookRemoved => "a webhook event is no longer sent",
            Rule::WebhookAdded => "a new webhook event is sent",
            Rule::ServerRemoved => "a server URL is gone",
            Rule::ServerAdded => "a new server URL",
            Rule::RefTargetChanged => "a schema now refers to another component",
            Rule::TypeChanged => "the type changed",
            Rule::TypeNarrowed => "fewer types are allowed",
            Rule::TypeWidened => "more types are allowed",
            Rule::MadeNullable => "null became allowed",
            Rule::MadeNonNullable => "null is no longer allowed",
            Rule::EnumValueAdded => "a new enum value",
            Rule::EnumValueRemoved => "an enum value is gone",
            Rule::EnumAdded => "a value set where any value was allowed",
            Rule::EnumRemoved => "any value allowed where there was a value set",
            Rule::FormatAdded => "a format where there was none",
            Rule::FormatRemoved => "no format where there was one",
            Rule::FormatChanged => "another format",
            Rule::PatternAdded => "a pattern where there was none",
            Rule::PatternRemoved => "no pattern where there was one",
            Rule::PatternChanged => "another pattern",
            Rule::BoundTightened => "a length, size or value bound became stricter",
            Rule::BoundRelaxed => "a length, size or value bound became looser",
            Rule::PropertyRemoved => "an object property is gone",
            Rule::RequiredPropertyAdded => "a new required property",
            Rule::OptionalPropertyAdded => "a new optional property",
            Rule::PropertyMadeRequired => "an optional property became required",
            Rule::PropertyMadeOptional => "a required property became optional",
            Rule::AdditionalPropertiesForbidden => "unknown properties became errors",
            Rule::AdditionalPropertiesAllowed => "unknown properties became allowed",
            Rule::UnionBranchRemoved => "a oneOf/anyOf branch is gone",
            Rule::UnionBranchAdded => "a new oneOf/anyOf branch",
        }
    }

    /// Reads a name written by [`Rule::name`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|rule| rule.name() == text)
    }
}

impl fmt::Display for Rule {
    /// Writes the [name](Rule::name), honouring width and alignment (`{:<32}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl Serialize for Rule {
    /// Serializes as the [name](Rule::name), a string.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Which way data flows through a schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Direction {
    /// Clients send it: narrowing breaks.
    Request,
    /// Clients receive it (responses, webhook payloads): widening breaks.
    Response,
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// The `type` keyword as a set (with `null` when the schema allows it).
fn types(schema: &Value) -> Option<BTreeSet<String>> {
    match schema.get("type") {
        Some(Value::String(t)) => Some(BTreeSet::from([t.clone()])),
        Some(Value::Array(ts)) => Some(
            ts.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect(),
        ),
        _ => None,
    }
}

/// The closed value set of a schema (`enum`, or `const` as a set of one).
fn value_set(schema: &Value) -> Option<Vec<Value>> {
    match (schema.get("enum"), schema.get("const")) {
        (Some(Value::Array(values)), _) => Some(values.clone()),
        (_, Some(value)) => Some(vec![value.clone()]),
        _ => None,
    }
}

fn at(base: &str, path: &str) -> String {
    if path.is_empty() {
        base.to_owned()
    } else {
        format!("{base} at {path}")
    }
}

struct Differ<'a> {
    old: &'a Value,
    new: &'a Value,
    changes: Vec<Change>,
    /// `(old $ref, new $ref, direction)` being compared, so recursive schemas end.
    visiting: HashSet<(String, String, Direction)>,
}

/// Every change from `old` to `new`, worst first, then by location.
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut differ = Differ {
        old,
        new,
        changes: Vec::new(),
        visiting: HashSet::new(),
    };
    differ.paths();
    differ.webhooks();
    differ.servers();
    differ.security_schemes();
    let mut changes = differ.changes;
    changes.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.location.cmp(&b.location))
            // By name, not by declaration order: the order of reports does not depend on
            // where a rule sits in the enum.
            .then_with(|| a.rule.name().cmp(b.rule.name()))
    });
    changes.dedup();
    changes
}

/// The worst severity among changes.
pub fn worst(changes: &[Change]) -> Option<Severity> {
    changes.iter().map(|c| c.severity).max()
}

impl Differ<'_> {
    fn push(
        &mut self,
        severity: Severity,
        rule: Rule,
        location: String,
        reason: impl Into<String>,
    ) {
        self.changes.push(Change {
            severity,
            rule,
            location,
            reason: reason.into(),
        });
    }

    /// A severity by direction: `(in a request, in a response)`.
    fn by_direction(
        &mut self,
        direction: Direction,
        (request, response): (Severity, Severity),
        rule: Rule,
        location: String,
        reason: impl Into<String>,
    ) {
        let severity = match direction {
            Direction::Request => request,
            Direction::Response => response,
        };
        self.push(severity, rule, location, reason);
    }

    fn paths(&mut self) {
        let (old, new) = (self.old, self.new);
        let all: BTreeSet<String> = keys(&old["paths"])
            .union(&keys(&new["paths"]))
            .cloned()
            .collect();
        for path in all {
            let old_item = resolve(old, &old["paths"][&path]);
            let new_item = resolve(new, &new["paths"][&path]);
            for method in METHODS {
                let location = format!("{} {path}", method.to_uppercase());
                match (old_item.get(*method), new_item.get(*method)) {
                    (Some(_), None) => self.push(
                        Severity::Breaking,
                        Rule::OperationRemoved,
                        location,
                        "clients calling it get 404 or 405",
                    ),
                    (None, Some(_)) => self.push(
                        Severity::Compatible,
                        Rule::OperationAdded,
                        location,
                        "a new operation breaks no existing caller",
                    ),
                    (Some(old_op), Some(new_op)) => {
                        self.operation(&location, old_item, old_op, new_item, new_op)
                    }
                    (None, None) => {}
                }
            }
        }
    }

    fn operation(
        &mut self,
        location: &str,
        old_item: &Value,
        old_op: &Value,
        new_item: &Value,
        new_op: &Value,
    ) {
        if old_op["operationId"] != new_op["operationId"] && old_op["operationId"].is_string() {
            self.push(
                Severity::Breaking,
                Rule::OperationIdChanged,
                location.to_owned(),
                format!(
                    "operationId {} became {}: generated clients rename the method",
                    old_op["operationId"], new_op["operationId"]
                ),
            );
        }
        self.parameters(location, old_item, old_op, new_item, new_op);
        self.request_body(location, &old_op["requestBody"], &new_op["requestBody"]);
        self.responses(location, &old_op["responses"], &new_op["responses"]);
        let old_security = old_op
            .get("security")
            .unwrap_or(&self.old["security"])
            .clone();
        let new_security = new_op
            .get("security")
            .unwrap_or(&self.new["security"])
            .clone();
        self.security(location, &old_security, &new_security);
    }

    fn parameters(
        &mut self,
        location: &str,
        old_item: &Value,
        old_op: &Value,
        new_item: &Value,
        new_op: &Value,
    ) {
        let collect =
            |doc: &Value, item: &Value, op: &Value| -> BTreeMap<(String, String), Value> {
                item["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .chain(op["parameters"].as_array().into_iter().flatten())
                    .map(|p| resolve(doc, p).clone())
                    .filter_map(|p| {
                        Some((
                            (p["in"].as_str()?.to_owned(), {
                                // Header names are case-insensitive in HTTP.
                                let name = p["name"].as_str()?;
                                if p["in"] == "header" {
                                    name.to_ascii_lowercase()
                                } else {
                                    name.to_owned()
                                }
                            }),
                            p,
                        ))
                    })
                    .collect()
            };
        let old_params = collect(self.old, old_item, old_op);
        let new_params = collect(self.new, new_item, new_op);
        for ((place, name), old) in &old_params {
            let here = format!("{location} {place} parameter {name}");
            match new_params.get(&(place.clone(), name.clone())) {
                None => self.push(
                    Severity::PossiblyBreaking,
                    Rule::ParameterRemoved,
                    here,
                    "clients still send it; the API may now reject or ignore it",
                ),
                Some(new) => {
                    match (old["required"] == true, new["required"] == true) {
                        (false, true) => self.push(
                            Severity::Breaking,
                            Rule::ParameterMadeRequired,
                            here.clone(),
                            "callers that omit it now fail",
                        ),
                        (true, false) => self.push(
                            Severity::Compatible,
                            Rule::ParameterMadeOptional,
                            here.clone(),
                            "callers may keep sending it",
                        ),
                        _ => {}
                    }
                    self.schema(
                        Direction::Request,
                        &here,
                        "",
                        &old["schema"],
                        &new["schema"],
                    );
                }
            }
        }
        for ((place, name), new) in &new_params {
            if !old_params.contains_key(&(place.clone(), name.clone())) {
                let here = format!("{location} {place} parameter {name}");
                if new["required"] == true {
                    self.push(
                        Severity::Breaking,
                        Rule::RequiredParameterAdded,
                        here,
                        "existing callers do not send it",
                    );
                } else {
                    self.push(
                        Severity::Compatible,
                        Rule::OptionalParameterAdded,
                        here,
                        "existing callers need not send it",
                    );
                }
            }
        }
    }

    fn request_body(&mut self, location: &str, old: &Value, new: &Value) {
        let here = format!("{location} request body");
        let old = resolve(self.old, old);
        let new = resolve(self.new, new);
        match (old.is_object(), new.is_object()) {
            (true, false) => self.push(
                Severity::PossiblyBreaking,
                Rule::RequestBodyRemoved,
                here,
                "clients still send one; the API may now reject it",
            ),
            (false, true) => {
                let severity = if new["required"] == true {
                    Severity::Breaking
                } else {
                    Severity::Compatible
                };
                self.push(
                    severity,
                    Rule::RequestBodyAdded,
                    here,
                    if severity == Severity::Breaking {
                        "existing callers send no body"
                    } else {
                        "the body is optional"
                    },
                );
            }
            (true, true) => {
                if old["required"] != true && new["required"] == true {
                    self.push(
                        Severity::Breaking,
                        Rule::RequestBodyMadeRequired,
                        here.clone(),
                        "callers that send no body now fail",
                    );
                }
                let (old_content, new_content) = (old["content"].clone(), new["content"].clone());
                for media in keys(&old_content) {
                    match new_content.get(&media) {
                        None => self.push(
                            Severity::Breaking,
                            Rule::RequestMediaTypeRemoved,
                            format!("{here} {media}"),
                            "callers sending it now fail",
                        ),
                        Some(new_media) => self.schema(
                            Direction::Request,
                            &format!("{here} {media}"),
                            "",
                            &old_content[&media]["schema"],
                            &new_media["schema"],
                        ),
                    }
                }
                for media in keys(&new_content).difference(&keys(&old_content)) {
                    self.push(
                        Severity::Compatible,
                        Rule::RequestMediaTypeAdded,
                        format!("{here} {media}"),
                        "another way to send the body",
                    );
                }
            }
            (false, false) => {}
        }
    }

    fn responses(&mut self, location: &str, old: &Value, new: &Value) {
        for status in keys(old).union(&keys(new)) {
            let here = format!("{location} response {status}");
            let success = status.starts_with('2') || status.starts_with('3');
            match (old.get(status), new.get(status)) {
                (Some(_), None) if success => self.push(
                    Severity::Breaking,
                    Rule::SuccessStatusRemoved,
                    here,
                    "clients expecting it get something else",
                ),
                (Some(_), None) => self.push(
                    Severity::Compatible,
                    Rule::ErrorStatusRemoved,
                    here,
                    "clients no longer receive this error",
                ),
                (None, Some(_)) => self.push(
                    Severity::PossiblyBreaking,
                    Rule::StatusAdded,
                    here,
                    "clients generated from the old spec do not expect it",
                ),
                (Some(old_response), Some(new_response)) => {
                    let old_response = resolve(self.old, old_response).clone();
                    let new_response = resolve(self.new, new_response).clone();
                    self.response_headers(
                        &here,
                        &old_response["headers"],
                        &new_response["headers"],
                    );
                    let (old_content, new_content) =
                        (&old_response["content"], &new_response["content"]);
                    for media in keys(old_content) {
                        match new_content.get(&media) {
                            None => self.push(
                                Severity::Breaking,
                                Rule::ResponseMediaTypeRemoved,
                                format!("{here} {media}"),
                                "clients parsing it get another media type",
                            ),
                            Some(new_media) => self.schema(
                                Direction::Response,
                                &format!("{here} {media}"),
                                "",
                                &old_content[&media]["schema"],
                                &new_media["schema"],
                            ),
                        }
                    }
                    for media in keys(new_content).difference(&keys(old_content)) {
                        self.push(
                            Severity::PossiblyBreaking,
                            Rule::ResponseMediaTypeAdded,
                            format!("{here} {media}"),
                            "clients may receive a media type they do not parse",
                        );
                    }
                }
                (None, None) => {}
            }
        }
    }

    fn response_headers(&mut self, location: &str, old: &Value, new: &Value) {
        for name in keys(old).union(&keys(new)) {
            let here = format!("{location} header {name}");
            let old_header = old.get(name).map(|h| resolve(self.old, h).clone());
            let new_header = new.get(name).map(|h| resolve(self.new, h).clone());
            match (old_header, new_header) {
                (Some(old), None) => {
                    let severity = if old["required"] == true {
                        Severity::Breaking
                    } else {
                        Severity::PossiblyBreaking
                    };
                    self.push(
                        severity,
                        Rule::ResponseHeaderRemoved,
                        here,
                        "clients reading it no longer get it",
                    );
                }
                (None, Some(_)) => self.push(
                    Severity::Compatible,
                    Rule::ResponseHeaderAdded,
                    here,
                    "clients may ignore it",
                ),
                (Some(old), Some(new)) => {
                    if old["required"] == true && new["required"] != true {
                        self.push(
                            Severity::Breaking,
                            Rule::ResponseHeaderMadeOptional,
                            here.clone(),
                            "clients relying on it may not get it",
                        );
                    }
                    self.schema(
                        Direction::Response,
                        &here,
                        "",
                        &old["schema"],
                        &new["schema"],
                    );
                }
                (None, None) => {}
            }
        }
    }

    fn security(&mut self, location: &str, old: &Value, new: &Value) {
        let requirements = |value: &Value| -> Vec<BTreeSet<String>> {
            value
                .as_array()
                .map(|reqs| reqs.iter().map(keys).collect())
                .unwrap_or_default()
        };
        let (old, new) = (requirements(old), requirements(new));
        if old == new {
            return;
        }
        // A caller meeting some old requirement must still meet some new one.
        let satisfied =
            |have: &BTreeSet<String>| new.is_empty() || new.iter().any(|need| need.is_subset(have));
        let describe = |reqs: &[BTreeSet<String>]| {
            if reqs.is_empty() {
                "none".to_owned()
            } else {
                reqs.iter()
                    .map(|r| r.iter().cloned().collect::<Vec<_>>().join(" + "))
                    .collect::<Vec<_>>()
                    .join(" or ")
            }
        };
        let here = format!("{location} security");
        let reason = format!("{} became {}", describe(&old), describe(&new));
        if old.is_empty() || !old.iter().all(satisfied) {
            self.push(Severity::Breaking, Rule::SecurityTightened, here, reason);
        } else {
            self.push(Severity::Compatible, Rule::SecurityRelaxed, here, reason);
        }
    }

    /// A scheme that existing callers use must keep its definition (type, header name,
    /// scheme); a new scheme changes nothing until an operation requires it.
    fn security_schemes(&mut self) {
        let (old, new) = (
            &self.old["components"]["securitySchemes"],
            &self.new["components"]["securitySchemes"],
        );
        for name in keys(old) {
            let here = format!("security scheme {name}");
            let old_scheme = resolve(self.old, &old[&name]).clone();
            match new
                .get(&name)
                .map(|scheme| resolve(self.new, scheme).clone())
            {
                None => self.push(
                    Severity::Breaking,
                    Rule::SecuritySchemeChanged,
                    here,
                    "the scheme is gone",
                ),
                Some(new_scheme) => {
                    let fields = ["type", "in", "name", "scheme", "bearerFormat"];
                    let changed: Vec<&str> = fields
                        .into_iter()
                        .filter(|f| old_scheme.get(*f) != new_scheme.get(*f))
                        .collect();
                    if !changed.is_empty() {
                        self.push(
                            Severity::Breaking,
                            Rule::SecuritySchemeChanged,
                            here,
                            format!(
                                "{} changed: callers send the old credentials",
                                changed.join(", ")
                            ),
                        );
                    }
                }
            }
        }
    }

    fn webhooks(&mut self) {
        let (old, new) = (self.old, self.new);
        for event in keys(&old["webhooks"]).union(&keys(&new["webhooks"])) {
            let here = format!("webhook {event}");
            match (old["webhooks"].get(event), new["webhooks"].get(event)) {
                (Some(_), None) => self.push(
                    Severity::Breaking,
                    Rule::WebhookRemoved,
                    here,
                    "receivers waiting for it no longer get it",
                ),
                (None, Some(_)) => self.push(
                    Severity::PossiblyBreaking,
                    Rule::WebhookAdded,
                    here,
                    "receivers that reject unknown events fail on it",
                ),
                (Some(old_item), Some(new_item)) => {
                    let old_schema = &resolve(old, old_item)["post"]["requestBody"];
                    let new_schema = &resolve(new, new_item)["post"]["requestBody"];
                    let old_body = resolve(old, old_schema);
                    let new_body = resolve(new, new_schema);
                    self.schema(
                        Direction::Response,
                        &format!("{here} payload"),
                        "",
                        &old_body["content"]["application/json"]["schema"],
                        &new_body["content"]["application/json"]["schema"],
                    );
                }
                (None, None) => {}
            }
        }
    }

    fn servers(&mut self) {
        let urls = |doc: &Value| -> BTreeSet<String> {
            doc["servers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["url"].as_str().map(str::to_owned))
                .collect()
        };
        let (old, new) = (urls(self.old), urls(self.new));
        for url in old.difference(&new) {
            self.push(
                Severity::PossiblyBreaking,
                Rule::ServerRemoved,
                format!("server {url}"),
                "clients configured with it must move",
            );
        }
        for url in new.difference(&old) {
            self.push(
                Severity::Compatible,
                Rule::ServerAdded,
                format!("server {url}"),
                "another place to reach the API",
            );
        }
    }

    /// Compares two schemas in a direction; `path` is the place inside the body.
    fn schema(&mut self, direction: Direction, base: &str, path: &str, old: &Value, new: &Value) {
        if old.is_null() || new.is_null() {
            return;
        }
        let old_ref = old.get("$ref").and_then(Value::as_str).map(str::to_owned);
        let new_ref = new.get("$ref").and_then(Value::as_str).map(str::to_owned);
        if let (Some(old_ref), Some(new_ref)) = (&old_ref, &new_ref) {
            if old_ref != new_ref {
                self.push(
                    Severity::PossiblyBreaking,
                    Rule::RefTargetChanged,
                    at(base, path),
                    format!("{old_ref} became {new_ref}"),
                );
            }
            if !self
                .visiting
                .insert((old_ref.clone(), new_ref.clone(), direction))
            {
                return;
            }
        }
        let old_schema = resolve(self.old, old).clone();
        let new_schema = resolve(self.new, new).clone();
        self.compare(direction, base, path, &old_schema, &new_schema);
        if let (Some(old_ref), Some(new_ref)) = (old_ref, new_ref) {
            self.visiting.remove(&(old_ref, new_ref, direction));
        }
    }

    fn compare(&mut self, direction: Direction, base: &str, path: &str, old: &Value, new: &Value) {
        use Severity::{Breaking, Compatible, PossiblyBreaking};
        let here = at(base, path);

        if let (Some(old_types), Some(new_types)) = (types(old), types(new)) {
            let (old_null, new_null) = (old_types.contains("null"), new_types.contains("null"));
            if !old_null && new_null {
                self.by_direction(
                    direction,
                    (Compatible, Breaking),
                    Rule::MadeNullable,
                    here.clone(),
                    "null is now allowed",
                );
            }
            if old_null && !new_null {
                self.by_direction(
                    direction,
                    (Breaking, Compatible),
                    Rule::MadeNonNullable,
                    here.clone(),
                    "null is no longer allowed",
                );
            }
            // `integer` is a subset of `number`.
            let widen = |set: &BTreeSet<String>| -> BTreeSet<String> {
                let mut set: BTreeSet<String> =
                    set.iter().filter(|t| *t != "null").cloned().collect();
                if set.contains("number") {
                    set.insert("integer".to_owned());
                }
                set
            };
            let (old_set, new_set) = (widen(&old_types), widen(&new_types));
            let lost: Vec<&String> = old_set.difference(&new_set).collect();
            let gained: Vec<&String> = new_set.difference(&old_set).collect();
            let describe = |set: &BTreeSet<String>| {
                set.iter()
                    .filter(|t| *t != "null")
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" or ")
            };
            let reason = format!(
                "type {} became {}",
                describe(&old_types),
                describe(&new_types)
            );
            match (lost.is_empty(), gained.is_empty()) {
                (false, true) => self.by_direction(
                    direction,
                    (Breaking, Compatible),
                    Rule::TypeNarrowed,
                    here.clone(),
                    reason,
                ),
                (true, false) => self.by_direction(
                    direction,
                    (Compatible, Breaking),
                    Rule::TypeWidened,
                    here.clone(),
                    reason,
                ),
                (false, false) => self.push(Breaking, Rule::TypeChanged, here.clone(), reason),
                (true, true) => {}
            }
        }

        match (types(old), types(new)) {
            (None, Some(new_types))
                if ["oneOf", "anyOf", "allOf", "enum", "const"]
                    .iter()
                    .all(|k| old.get(*k).is_none()) =>
            {
                let listed = new_types.iter().cloned().collect::<Vec<_>>().join(" or ");
                self.by_direction(
                    direction,
                    (Breaking, Compatible),
                    Rule::TypeNarrowed,
                    here.clone(),
                    format!("any type became {listed}"),
                );
            }
            (Some(old_types), None)
                if !old.is_null()
                    && new.get("$ref").is_none()
                    && new.get("oneOf").is_none()
                    && new.get("anyOf").is_none()
                    && new.get("allOf").is_none() =>
            {
                let listed = old_types.iter().cloned().collect::<Vec<_>>().join(" or ");
                self.by_direction(
                    direction,
                    (Compatible, Breaking),
                    Rule::TypeWidened,
                    here.clone(),
                    format!("{listed} became any type"),
                );
            }
            _ => {}
        }

        match (value_set(old), value_set(new)) {
            (Some(old_values), Some(new_values)) => {
                for value in old_values.iter().filter(|v| !new_values.contains(v)) {
                    self.by_direction(
                        direction,
                        (Breaking, Compatible),
                        Rule::EnumValueRemoved,
                        here.clone(),
                        format!("{value} is no longer allowed"),
                    );
                }
                for value in new_values.iter().filter(|v| !old_values.contains(v)) {
                    self.by_direction(
                        direction,
                        (Compatible, PossiblyBreaking),
                        Rule::EnumValueAdded,
                        here.clone(),
                        format!("{value} is new"),
                    );
                }
            }
            (None, Some(_)) => self.by_direction(
                direction,
                (Breaking, Compatible),
                Rule::EnumAdded,
                here.clone(),
                "only listed values are allowed now",
            ),
            (Some(_), None) => self.by_direction(
                direction,
                (Compatible, PossiblyBreaking),
                Rule::EnumRemoved,
                here.clone(),
                "any value is allowed now",
            ),
            (None, None) => {}
        }

        for (keyword, added, removed, changed) in [
            (
                "format",
                Rule::FormatAdded,
                Rule::FormatRemoved,
                Rule::FormatChanged,
            ),
            (
                "pattern",
                Rule::PatternAdded,
                Rule::PatternRemoved,
                Rule::PatternChanged,
            ),
        ] {
            match (old.get(keyword), new.get(keyword)) {
                (None, Some(value)) => self.by_direction(
                    direction,
                    (Breaking, Compatible),
                    added,
                    here.clone(),
                    format!("{keyword} {value} now applies"),
                ),
                (Some(value), None) => self.by_direction(
                    direction,
                    (Compatible, PossiblyBreaking),
                    removed,
                    here.clone(),
                    format!("{keyword} {value} no longer applies"),
                ),
                (Some(a), Some(b)) if a != b => self.by_direction(
                    direction,
                    (PossiblyBreaking, PossiblyBreaking),
                    changed,
                    here.clone(),
                    format!("{keyword} {a} became {b}"),
                ),
                _ => {}
            }
        }

        // Upper bounds tighten by going down; lower bounds by going up.
        for (keyword, upper) in [
            ("maxLength", true),
            ("maxItems", true),
            ("maxProperties", true),
            ("maximum", true),
            ("exclusiveMaximum", true),
            ("minLength", false),
            ("minItems", false),
            ("minProperties", false),
            ("minimum", false),
            ("exclusiveMinimum", false),
        ] {
            let old_bound = old.get(keyword).and_then(Value::as_f64);
            let new_bound = new.get(keyword).and_then(Value::as_f64);
            let tightened = match (old_bound, new_bound) {
                (None, Some(_)) => Some(true),
                (Some(_), None) => Some(false),
                (Some(a), Some(b)) if a != b => Some(if upper { b < a } else { b > a }),
                _ => None,
            };
            let reason = format!(
                "{keyword} {} became {}",
                old.get(keyword).map_or("none".to_owned(), Value::to_string),
                new.get(keyword).map_or("none".to_owned(), Value::to_string)
            );
            match tightened {
                Some(true) => self.by_direction(
                    direction,
                    (Breaking, Compatible),
                    Rule::BoundTightened,
                    here.clone(),
                    reason,
                ),
                Some(false) => self.by_direction(
                    direction,
                    (Compatible, PossiblyBreaking),
                    Rule::BoundRelaxed,
                    here.clone(),
                    reason,
                ),
                None => {}
            }
        }

        self.properties(direction, base, path, old, new);

        match (&old["additionalProperties"], &new["additionalProperties"]) {
            (Value::Bool(false), other) if other != &Value::Bool(false) => self.by_direction(
                direction,
                (Compatible, PossiblyBreaking),
                Rule::AdditionalPropertiesAllowed,
                here.clone(),
                "unknown properties are no longer refused",
            ),
            (other, Value::Bool(false))
                if other != &Value::Bool(false) && old.get("properties").is_some() =>
            {
                self.by_direction(
                    direction,
                    (Breaking, Compatible),
                    Rule::AdditionalPropertiesForbidden,
                    here.clone(),
                    "unknown properties are refused now",
                )
            }
            (old_extra @ Value::Object(_), new_extra @ Value::Object(_)) => {
                let (old_extra, new_extra) = (old_extra.clone(), new_extra.clone());
                self.schema(
                    direction,
                    base,
                    &format!("{path}/*"),
                    &old_extra,
                    &new_extra,
                );
            }
            _ => {}
        }

        if let (Some(old_items), Some(new_items)) = (old.get("items"), new.get("items")) {
            let (old_items, new_items) = (old_items.clone(), new_items.clone());
            self.schema(
                direction,
                base,
                &format!("{path}/[]"),
                &old_items,
                &new_items,
            );
        }

        for keyword in ["oneOf", "anyOf"] {
            let (Some(old_branches), Some(new_branches)) =
                (old[keyword].as_array(), new[keyword].as_array())
            else {
                continue;
            };
            let name = |branch: &Value, index: usize| {
                branch
                    .get("$ref")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("#{index}"))
            };
            let old_named: BTreeMap<String, Value> = old_branches
                .iter()
                .enumerate()
                .map(|(i, b)| (name(b, i), b.clone()))
                .collect();
            let new_named: BTreeMap<String, Value> = new_branches
                .iter()
                .enumerate()
                .map(|(i, b)| (name(b, i), b.clone()))
                .collect();
            for (branch, old_branch) in &old_named {
                match new_named.get(branch) {
                    None => self.by_direction(
                        direction,
                        (Breaking, Compatible),
                        Rule::UnionBranchRemoved,
                        here.clone(),
                        format!("{keyword} branch {branch} is gone"),
                    ),
                    Some(new_branch) => self.schema(direction, base, path, old_branch, new_branch),
                }
            }
            for branch in new_named.keys().filter(|b| !old_named.contains_key(*b)) {
                self.by_direction(
                    direction,
                    (Compatible, PossiblyBreaking),
                    Rule::UnionBranchAdded,
                    here.clone(),
                    format!("{keyword} branch {branch} is new"),
                );
            }
        }
        if let (Some(old_parts), Some(new_parts)) =
            (old["allOf"].as_array(), new["allOf"].as_array())
        {
            for (old_part, new_part) in old_parts.iter().zip(new_parts) {
                self.schema(direction, base, path, old_part, new_part);
            }
        }
    }

    fn properties(
        &mut self,
        direction: Direction,
        base: &str,
        path: &str,
        old: &Value,
        new: &Value,
    ) {
        use Severity::{Breaking, Compatible, PossiblyBreaking};
        let required = |schema: &Value| -> BTreeSet<String> {
            schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect()
        };
        let (old_required, new_required) = (required(old), required(new));
        let (old_properties, new_properties) = (keys(&old["properties"]), keys(&new["properties"]));
        let closed = new["additionalProperties"] == false;
        for name in &old_properties {
            let here = at(base, &format!("{path}/{name}"));
            if !new_properties.contains(name) {
                let (request, reason) = if closed {
                    (Breaking, "clients sending it are now refused")
                } else {
                    (
                        PossiblyBreaking,
                        "clients still send it; it is ignored or refused",
                    )
                };
                let reason = match direction {
                    Direction::Request => reason,
                    Direction::Response => "clients reading it no longer get it",
                };
                self.by_direction(
                    direction,
                    (request, Breaking),
                    Rule::PropertyRemoved,
                    here,
                    reason,
                );
                continue;
            }
            match (old_required.contains(name), new_required.contains(name)) {
                (false, true) => self.by_direction(
                    direction,
                    (Breaking, Compatible),
                    Rule::PropertyMadeRequired,
                    here.clone(),
                    "it must now always be there",
                ),
                (true, false) => self.by_direction(
                    direction,
                    (Compatible, Breaking),
                    Rule::PropertyMadeOptional,
                    here.clone(),
                    "it may now be absent",
                ),
                _ => {}
            }
            let (old_property, new_property) = (
                old["properties"][name].clone(),
                new["properties"][name].clone(),
            );
            self.schema(
                direction,
                base,
                &format!("{path}/{name}"),
                &old_property,
                &new_property,
            );
        }
        for name in new_properties.difference(&old_properties) {
            let here = at(base, &format!("{path}/{name}"));
            if new_required.contains(name) {
                self.by_direction(
                    direction,
                    (Breaking, Compatible),
                    Rule::RequiredPropertyAdded,
                    here,
                    "existing clients do not send it",
                );
            } else {
                self.by_direction(
                    direction,
                    (Compatible, Compatible),
                    Rule::OptionalPropertyAdded,
                    here,
                    "a new field clients may ignore",
                );
            }
        }
    }
}

/// A plain-text report of changes, one per line.
pub fn text(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "no changes\n".to_owned();
    }
    let mut out = String::new();
    for change in changes {
        out.push_str(&format!(
            "{:<17} {:<32} {}: {}\n",
            change.severity.name(),
            change.rule,
            change.location,
            change.reason
        ));
    }
    out.push_str(&summary(changes));
    out.push('\n');
    out
}

/// `N breaking, N possibly breaking, N compatible`.
pub fn summary(changes: &[Change]) -> String {
    let count = |s: Severity| changes.iter().filter(|c| c.severity == s).count();
    format!(
        "{} breaking, {} possibly breaking, {} compatible",
        count(Severity::Breaking),
        count(Severity::PossiblyBreaking),
        count(Severity::Compatible)
    )
}

/// A Markdown report: one section per severity (for changelogs and pull requests).
pub fn markdown(changes: &[Change]) -> String {
    let mut out = String::new();
    for (severity, heading) in [
        (Severity::Breaking, "Breaking changes"),
        (Severity::PossiblyBreaking, "Possibly breaking changes"),
        (Severity::Compatible, "Compatible changes"),
    ] {
        let items: Vec<&Change> = changes.iter().filter(|c| c.severity == severity).collect();
        if items.is_empty() {
            continue;
        }
        out.push_str(&format!("### {heading}\n\n"));
        for change in items {
            out.push_str(&format!(
                "- `{}` {}: {}\n",
                change.rule,
                change.location.replace('|', "\\|"),
                change.reason
            ));
        }
        out.push('\n');
    }
    if out.is_empty() {
        out.push_str("No changes to the contract.\n\n");
    }
    out
}

/// A JSON report.
pub fn json(changes: &[Change]) -> String {
    let value = serde_json::json!({"summary": summary(changes), "changes": changes});
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// A JUnit XML report: one test case per change, failed when at least `fail_on`.
pub fn junit(changes: &[Change], fail_on: Severity) -> String {
    let failures = changes.iter().filter(|c| c.severity >= fail_on).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"balampay-contract diff\" tests=\"{}\" failures=\"{failures}\">\n",
        changes.len()
    ));
    out.push_str(&format!(
        "  <testsuite name=\"spec diff\" tests=\"{}\" failures=\"{failures}\">\n",
        changes.len()
    ));
    for change in changes {
        out.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}: {}\"",
            change.severity,
            change.rule,
            escape_attribute(&change.location)
        ));
        if change.severity >= fail_on {
            out.push_str(&format!(
                ">\n      <failure message=\"{}\" type=\"{}\"/>\n    </testcase>\n",
                escape_attribute(&change.reason),
                change.severity
            ));
        } else {
            out.push_str("/>\n");
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests;
