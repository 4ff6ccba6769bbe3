//! Direction-aware, semantic comparison of two OpenAPI 3.1 documents (3.0 ones are read in
//! 3.1 terms by [`normalize`]).
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
//! Schemas are compared by meaning, keyword by keyword of JSON Schema 2020-12 (module
//! `schema`), through `$ref`s on both sides; the rest of the document by its parts (module
//! `differ`). Each [`Change`] carries its rule, its [`Severity`], where it is (a readable
//! location and a JSON pointer in each document) and a one-line reason. [`Rule::ALL`] lists
//! every rule; the doc comment of [`Rule`] states the policy. A property test (module
//! `soundness`) checks the classification against values sampled from random schema pairs.

use std::fmt;

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
    /// Where it is in the old document: a JSON pointer (RFC 6901), through `$ref`s to the
    /// schema that holds it; for something added, the place it is missing from.
    pub old: String,
    /// Where it is in the new document, the same way; for something removed, the place it
    /// is missing from.
    pub new: String,
    /// Why it has that severity, in one line, in the direction's terms.
    pub reason: String,
}

/// A diff rule: what kind of change was found. Each has a stable kebab-case [`name`](Rule::name)
/// (printed in every report), a [`description`](Rule::description) and a
/// [`policy`](Rule::policy) (its class in a request and in a response); [`Rule::ALL`] lists
/// them all.
///
/// The policy, one for every keyword:
/// - **breaking**: a request the old version accepted may be refused (the new schema is
///   narrower: a constraint added or tightened), or a response or webhook payload may hold
///   what the old version did not allow (the new schema is wider: a constraint removed or
///   loosened). A change that is neither narrower nor wider counts both ways.
/// - **possibly-breaking**: every message stays valid, but some clients may be hurt: what the
///   API promises clients must tolerate (a new enum value or a new branch of a discriminated
///   union in a response, a new webhook event, a response object opened to new fields, a new
///   status), names in generated code
///   (`operationId`, component names, path parameter names), and behaviour the schema does
///   not capture (a `default` changed, a parameter or optional response property gone).
/// - **compatible**: anything else.
///
/// Direction: request bodies and parameters are what clients send, responses and webhook
/// payloads what they receive; `readOnly` properties exist only in responses and `writeOnly`
/// ones only in requests. Parameter and header values are text: `string` holds every
/// `integer`, `number` and `boolean`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// An operation (method and path) is gone.
    OperationRemoved,
    /// A new operation.
    OperationAdded,
    /// An operation's id changed (generated clients rename the method).
    OperationIdChanged,
    /// A path parameter has another name; every URL stays the same (generated clients rename the argument).
    PathParameterRenamed,
    /// Something deprecated with an `x-sunset` date that has passed is gone (severity set by policy).
    PlannedRemoval,
    /// An operation, parameter or property is newly deprecated.
    Deprecated,
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
    /// A form-style parameter takes a list where it took one value (a single value still parses).
    ParameterMadeMultiValued,
    /// A parameter's `style` or `explode` changed how its value is written.
    ParameterSerializationChanged,
    /// A `default` was added, removed or changed (what an omitted value means).
    DefaultChanged,
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
    /// A media type that had no schema has one.
    MediaTypeSchemaAdded,
    /// A media type's schema is gone (any body).
    MediaTypeSchemaRemoved,
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
    /// A new webhook event is sent (the API promises new event types may appear).
    WebhookAdded,
    /// A server URL is gone.
    ServerRemoved,
    /// A new server URL.
    ServerAdded,
    /// A schema refers to a component of another name (generated clients rename the type).
    RefTargetChanged,
    /// The type changed (some values lost, others gained).
    TypeChanged,
    /// Fewer types are allowed.
    TypeNarrowed,
    /// More types are allowed.
    TypeWidened,
    /// Null became allowed.
    MadeNullable,
    /// Null is no longer allowed.
    MadeNonNullable,
    /// A new enum value (in responses, the API promises new values may appear).
    EnumValueAdded,
    /// An enum value is gone.
    EnumValueRemoved,
    /// A value set where any value was allowed.
    EnumAdded,
    /// Any value allowed where there was a value set.
    EnumRemoved,
    /// A `const` value was replaced.
    ConstChanged,
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
    /// A length, size, count, value or `multipleOf` bound became stricter.
    BoundTightened,
    /// A length, size, count, value or `multipleOf` bound became looser.
    BoundRelaxed,
    /// A constraint keyword now applies (`uniqueItems`, `contains`, `prefixItems`, `not`, `if`, `dependentRequired`, `patternProperties`, …).
    ConstraintAdded,
    /// A constraint keyword no longer applies.
    ConstraintRemoved,
    /// A constraint changed in a way that is neither stricter nor looser (`if` replaced, `multipleOf` 2 → 3, …).
    ConstraintChanged,
    /// An object property is gone (or is now `readOnly` in a request, `writeOnly` in a response).
    PropertyRemoved,
    /// A new required property.
    RequiredPropertyAdded,
    /// A new optional property.
    OptionalPropertyAdded,
    /// An optional property became required.
    PropertyMadeRequired,
    /// A required property became optional.
    PropertyMadeOptional,
    /// Unknown properties became errors (`additionalProperties` or `unevaluatedProperties` false).
    AdditionalPropertiesForbidden,
    /// Unknown properties became allowed.
    AdditionalPropertiesAllowed,
    /// A new `allOf` part (more constraints).
    AllOfPartAdded,
    /// An `allOf` part is gone (fewer constraints).
    AllOfPartRemoved,
    /// A `oneOf`/`anyOf` branch is gone.
    UnionBranchRemoved,
    /// A new `oneOf`/`anyOf` branch (in a response union with a discriminator, promised: possibly-breaking).
    UnionBranchAdded,
    /// A `oneOf` whose branches can overlap now applies: a value matching two branches is refused.
    OneOfOverlap,
}

impl Rule {
    /// Every rule, in the order they are documented.
    pub const ALL: &'static [Rule] = &[
        Rule::OperationRemoved,
        Rule::OperationAdded,
        Rule::OperationIdChanged,
        Rule::PathParameterRenamed,
        Rule::PlannedRemoval,
        Rule::Deprecated,
        Rule::ParameterRemoved,
        Rule::RequiredParameterAdded,
        Rule::OptionalParameterAdded,
        Rule::ParameterMadeRequired,
        Rule::ParameterMadeOptional,
        Rule::ParameterMadeMultiValued,
        Rule::ParameterSerializationChanged,
        Rule::DefaultChanged,
        Rule::RequestBodyAdded,
        Rule::RequestBodyRemoved,
        Rule::RequestBodyMadeRequired,
        Rule::RequestMediaTypeRemoved,
        Rule::RequestMediaTypeAdded,
        Rule::MediaTypeSchemaAdded,
        Rule::MediaTypeSchemaRemoved,
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
        Rule::ConstChanged,
        Rule::FormatAdded,
        Rule::FormatRemoved,
        Rule::FormatChanged,
        Rule::PatternAdded,
        Rule::PatternRemoved,
        Rule::PatternChanged,
        Rule::BoundTightened,
        Rule::BoundRelaxed,
        Rule::ConstraintAdded,
        Rule::ConstraintRemoved,
        Rule::ConstraintChanged,
        Rule::PropertyRemoved,
        Rule::RequiredPropertyAdded,
        Rule::OptionalPropertyAdded,
        Rule::PropertyMadeRequired,
        Rule::PropertyMadeOptional,
        Rule::AdditionalPropertiesForbidden,
        Rule::AdditionalPropertiesAllowed,
        Rule::AllOfPartAdded,
        Rule::AllOfPartRemoved,
        Rule::UnionBranchRemoved,
        Rule::UnionBranchAdded,
        Rule::OneOfOverlap,
    ];

    /// The stable kebab-case name printed in reports (text, Markdown, JSON, JUnit).
    pub fn name(self) -> &'static str {
        match self {
            Rule::OperationRemoved => "operation-removed",
            Rule::OperationAdded => "operation-added",
            Rule::OperationIdChanged => "operation-id-changed",
            Rule::PathParameterRenamed => "path-parameter-renamed",
            Rule::PlannedRemoval => "planned-removal",
            Rule::Deprecated => "deprecated",
            Rule::ParameterRemoved => "parameter-removed",
            Rule::RequiredParameterAdded => "required-parameter-added",
            Rule::OptionalParameterAdded => "optional-parameter-added",
            Rule::ParameterMadeRequired => "parameter-made-required",
            Rule::ParameterMadeOptional => "parameter-made-optional",
            Rule::ParameterMadeMultiValued => "parameter-made-multi-valued",
            Rule::ParameterSerializationChanged => "parameter-serialization-changed",
            Rule::DefaultChanged => "default-changed",
            Rule::RequestBodyAdded => "request-body-added",
            Rule::RequestBodyRemoved => "request-body-removed",
            Rule::RequestBodyMadeRequired => "request-body-made-required",
            Rule::RequestMediaTypeRemoved => "request-media-type-removed",
            Rule::RequestMediaTypeAdded => "request-media-type-added",
            Rule::MediaTypeSchemaAdded => "media-type-schema-added",
            Rule::MediaTypeSchemaRemoved => "media-type-schema-removed",
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
            Rule::ConstChanged => "const-changed",
            Rule::FormatAdded => "format-added",
            Rule::FormatRemoved => "format-removed",
            Rule::FormatChanged => "format-changed",
            Rule::PatternAdded => "pattern-added",
            Rule::PatternRemoved => "pattern-removed",
            Rule::PatternChanged => "pattern-changed",
            Rule::BoundTightened => "bound-tightened",
            Rule::BoundRelaxed => "bound-relaxed",
            Rule::ConstraintAdded => "constraint-added",
            Rule::ConstraintRemoved => "constraint-removed",
            Rule::ConstraintChanged => "constraint-changed",
            Rule::PropertyRemoved => "property-removed",
            Rule::RequiredPropertyAdded => "required-property-added",
            Rule::OptionalPropertyAdded => "optional-property-added",
            Rule::PropertyMadeRequired => "property-made-required",
            Rule::PropertyMadeOptional => "property-made-optional",
            Rule::AdditionalPropertiesForbidden => "additional-properties-forbidden",
            Rule::AdditionalPropertiesAllowed => "additional-properties-allowed",
            Rule::AllOfPartAdded => "all-of-part-added",
            Rule::AllOfPartRemoved => "all-of-part-removed",
            Rule::UnionBranchRemoved => "union-branch-removed",
            Rule::UnionBranchAdded => "union-branch-added",
            Rule::OneOfOverlap => "one-of-overlap",
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
            Rule::PathParameterRenamed => {
                "a path parameter has another name; every URL stays the same (generated clients rename the argument)"
            }
            Rule::PlannedRemoval => {
                "something deprecated with an `x-sunset` date that has passed is gone (severity set by policy)"
            }
            Rule::Deprecated => "an operation, parameter or property is newly deprecated",
            Rule::ParameterRemoved => "a parameter is gone",
            Rule::RequiredParameterAdded => "a new required parameter",
            Rule::OptionalParameterAdded => "a new optional parameter",
            Rule::ParameterMadeRequired => "an optional parameter became required",
            Rule::ParameterMadeOptional => "a required parameter became optional",
            Rule::ParameterMadeMultiValued => {
                "a form-style parameter takes a list where it took one value (a single value still parses)"
            }
            Rule::ParameterSerializationChanged => {
                "a parameter's `style` or `explode` changed how its value is written"
            }
            Rule::DefaultChanged => {
                "a `default` was added, removed or changed (what an omitted value means)"
            }
            Rule::RequestBodyAdded => "a request body where there was none",
            Rule::RequestBodyRemoved => "the request body is gone",
            Rule::RequestBodyMadeRequired => "an optional request body became required",
            Rule::RequestMediaTypeRemoved => "a request media type is no longer accepted",
            Rule::RequestMediaTypeAdded => "a new request media type is accepted",
            Rule::MediaTypeSchemaAdded => "a media type that had no schema has one",
            Rule::MediaTypeSchemaRemoved => "a media type's schema is gone (any body)",
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
            Rule::WebhookAdded => {
                "a new webhook event is sent (the API promises new event types may appear)"
            }
            Rule::ServerRemoved => "a server URL is gone",
            Rule::ServerAdded => "a new server URL",
            Rule::RefTargetChanged => {
                "a schema refers to a component of another name (generated clients rename the type)"
            }
            Rule::TypeChanged => "the type changed (some values lost, others gained)",
            Rule::TypeNarrowed => "fewer types are allowed",
            Rule::TypeWidened => "more types are allowed",
            Rule::MadeNullable => "null became allowed",
            Rule::MadeNonNullable => "null is no longer allowed",
            Rule::EnumValueAdded => {
                "a new enum value (in responses, the API promises new values may appear)"
            }
            Rule::EnumValueRemoved => "an enum value is gone",
            Rule::EnumAdded => "a value set where any value was allowed",
            Rule::EnumRemoved => "any value allowed where there was a value set",
            Rule::ConstChanged => "a `const` value was replaced",
            Rule::FormatAdded => "a format where there was none",
            Rule::FormatRemoved => "no format where there was one",
            Rule::FormatChanged => "another format",
            Rule::PatternAdded => "a pattern where there was none",
            Rule::PatternRemoved => "no pattern where there was one",
            Rule::PatternChanged => "another pattern",
            Rule::BoundTightened => {
                "a length, size, count, value or `multipleOf` bound became stricter"
            }
            Rule::BoundRelaxed => {
                "a length, size, count, value or `multipleOf` bound became looser"
            }
            Rule::ConstraintAdded => {
                "a constraint keyword now applies (`uniqueItems`, `contains`, `prefixItems`, `not`, `if`, `dependentRequired`, `patternProperties`, …)"
            }
            Rule::ConstraintRemoved => "a constraint keyword no longer applies",
            Rule::ConstraintChanged => {
                "a constraint changed in a way that is neither stricter nor looser (`if` replaced, `multipleOf` 2 → 3, …)"
            }
            Rule::PropertyRemoved => {
                "an object property is gone (or is now `readOnly` in a request, `writeOnly` in a response)"
            }
            Rule::RequiredPropertyAdded => "a new required property",
            Rule::OptionalPropertyAdded => "a new optional property",
            Rule::PropertyMadeRequired => "an optional property became required",
            Rule::PropertyMadeOptional => "a required property became optional",
            Rule::AdditionalPropertiesForbidden => {
                "unknown properties became errors (`additionalProperties` or `unevaluatedProperties` false)"
            }
            Rule::AdditionalPropertiesAllowed => "unknown properties became allowed",
            Rule::AllOfPartAdded => "a new `allOf` part (more constraints)",
            Rule::AllOfPartRemoved => "an `allOf` part is gone (fewer constraints)",
            Rule::UnionBranchRemoved => "a `oneOf`/`anyOf` branch is gone",
            Rule::UnionBranchAdded => {
                "a new `oneOf`/`anyOf` branch (in a response union with a discriminator, promised: possibly-breaking)"
            }
            Rule::OneOfOverlap => {
                "a `oneOf` whose branches can overlap now applies: a value matching two branches is refused"
            }
        }
    }

    /// The rule's class `(in a request, in a response or webhook payload)`, as the policy
    /// table prints it; an empty text where the rule does not occur in that direction.
    pub fn policy(self) -> (&'static str, &'static str) {
        match self {
            Rule::OperationRemoved => ("breaking", ""),
            Rule::OperationAdded => ("compatible", ""),
            Rule::OperationIdChanged => ("possibly-breaking", ""),
            Rule::PathParameterRenamed => ("possibly-breaking", ""),
            Rule::PlannedRemoval => ("policy", "policy"),
            Rule::Deprecated => ("compatible", "compatible"),
            Rule::ParameterRemoved => ("possibly-breaking", ""),
            Rule::RequiredParameterAdded => ("breaking", ""),
            Rule::OptionalParameterAdded => ("compatible", ""),
            Rule::ParameterMadeRequired => ("breaking", ""),
            Rule::ParameterMadeOptional => ("compatible", ""),
            Rule::ParameterMadeMultiValued => ("compatible", ""),
            Rule::ParameterSerializationChanged => ("breaking", ""),
            Rule::DefaultChanged => ("possibly-breaking", "possibly-breaking"),
            Rule::RequestBodyAdded => ("breaking if required, else compatible", ""),
            Rule::RequestBodyRemoved => ("possibly-breaking", ""),
            Rule::RequestBodyMadeRequired => ("breaking", ""),
            Rule::RequestMediaTypeRemoved => ("breaking", ""),
            Rule::RequestMediaTypeAdded => ("compatible", ""),
            Rule::MediaTypeSchemaAdded => ("breaking", "compatible"),
            Rule::MediaTypeSchemaRemoved => ("compatible", "breaking"),
            Rule::SuccessStatusRemoved => ("", "breaking"),
            Rule::ErrorStatusRemoved => ("", "compatible"),
            Rule::StatusAdded => ("", "possibly-breaking"),
            Rule::ResponseMediaTypeRemoved => ("", "breaking"),
            Rule::ResponseMediaTypeAdded => ("", "possibly-breaking"),
            Rule::ResponseHeaderRemoved => ("", "breaking if required, else possibly-breaking"),
            Rule::ResponseHeaderAdded => ("", "compatible"),
            Rule::ResponseHeaderMadeOptional => ("", "breaking"),
            Rule::SecurityTightened => ("breaking", ""),
            Rule::SecurityRelaxed => ("compatible", ""),
            Rule::SecuritySchemeChanged => ("breaking", ""),
            Rule::WebhookRemoved => ("", "breaking"),
            Rule::WebhookAdded => ("", "possibly-breaking"),
            Rule::ServerRemoved => ("possibly-breaking", ""),
            Rule::ServerAdded => ("compatible", ""),
            Rule::RefTargetChanged => ("possibly-breaking", "possibly-breaking"),
            Rule::TypeChanged => ("breaking", "breaking"),
            Rule::TypeNarrowed => ("breaking", "compatible"),
            Rule::TypeWidened => ("compatible", "breaking"),
            Rule::MadeNullable => ("compatible", "breaking"),
            Rule::MadeNonNullable => ("breaking", "compatible"),
            Rule::EnumValueAdded => ("compatible", "possibly-breaking"),
            Rule::EnumValueRemoved => ("breaking", "compatible"),
            Rule::EnumAdded => ("breaking", "compatible"),
            Rule::EnumRemoved => ("compatible", "breaking"),
            Rule::ConstChanged => ("breaking", "breaking"),
            Rule::FormatAdded => ("breaking", "compatible"),
            Rule::FormatRemoved => ("compatible", "breaking"),
            Rule::FormatChanged => ("breaking", "breaking"),
            Rule::PatternAdded => ("breaking", "compatible"),
            Rule::PatternRemoved => ("compatible", "breaking"),
            Rule::PatternChanged => ("breaking", "breaking"),
            Rule::BoundTightened => ("breaking", "compatible"),
            Rule::BoundRelaxed => ("compatible", "breaking"),
            Rule::ConstraintAdded => ("breaking", "compatible"),
            Rule::ConstraintRemoved => ("compatible", "breaking"),
            Rule::ConstraintChanged => ("breaking", "breaking"),
            Rule::PropertyRemoved => (
                "breaking if the schema is closed, else possibly-breaking",
                "breaking if it was required, else possibly-breaking",
            ),
            Rule::RequiredPropertyAdded => ("breaking", "compatible"),
            Rule::OptionalPropertyAdded => (
                "compatible",
                "compatible if the schema is open, breaking if closed",
            ),
            Rule::PropertyMadeRequired => ("breaking", "compatible"),
            Rule::PropertyMadeOptional => ("compatible", "breaking"),
            Rule::AdditionalPropertiesForbidden => ("breaking", "compatible"),
            Rule::AdditionalPropertiesAllowed => (
                "compatible",
                "possibly-breaking (promised: response objects are open)",
            ),
            Rule::AllOfPartAdded => ("breaking", "compatible"),
            Rule::AllOfPartRemoved => ("compatible", "breaking"),
            Rule::UnionBranchRemoved => ("breaking", "compatible"),
            Rule::UnionBranchAdded => ("compatible", "breaking"),
            Rule::OneOfOverlap => ("breaking", "compatible"),
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

mod differ;
pub mod normalize;
mod schema;

/// What the comparison needs to know beyond the two documents.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Today's date (`YYYY-MM-DD`, UTC): something deprecated whose `x-sunset` date is on or
    /// before it may be removed as planned. `None`: no sunset has passed.
    pub today: Option<String>,
    /// The class of a planned removal ([`Rule::PlannedRemoval`]).
    pub planned_removal: Severity,
}

impl Default for Policy {
    /// No date (so no sunset has passed); planned removals possibly-breaking.
    fn default() -> Self {
        Self {
            today: None,
            planned_removal: Severity::PossiblyBreaking,
        }
    }
}

/// Every change from `old` to `new` (OpenAPI 3.1 documents; see [`normalize`] for 3.0),
/// worst first, then by location, under the default [`Policy`].
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    diff_with(old, new, &Policy::default())
}

/// Every change from `old` to `new`, worst first, then by location, under `policy`.
pub fn diff_with(old: &Value, new: &Value, policy: &Policy) -> Vec<Change> {
    let mut changes = differ::Differ::new(old, new, policy).run();
    changes.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.location.cmp(&b.location))
            // By name, not by declaration order: the order of reports does not depend on
            // where a rule sits in the enum.
            .then_with(|| a.rule.name().cmp(b.rule.name()))
            .then_with(|| a.reason.cmp(&b.reason))
            .then_with(|| a.old.cmp(&b.old))
            .then_with(|| a.new.cmp(&b.new))
    });
    changes.dedup();
    changes
}

/// The worst severity among changes.
pub fn worst(changes: &[Change]) -> Option<Severity> {
    changes.iter().map(|c| c.severity).max()
}

/// Where a change is in the two documents, each JSON pointer after a `#`: `old and new #/a/b`
/// when both are the same place, else `old #/a/b, new #/c/d`.
pub fn places(change: &Change) -> String {
    if change.old == change.new {
        format!("old and new #{}", change.old)
    } else {
        format!("old #{}, new #{}", change.old, change.new)
    }
}

/// A plain-text report of changes: per change, a line with the class, the rule, the location
/// and the reason, and an indented line with its place in both documents.
pub fn text(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "no changes\n".to_owned();
    }
    let mut out = String::new();
    for change in changes {
        out.push_str(&format!(
            "{:<17} {:<32} {}: {}\n{:<17} {}\n",
            change.severity.name(),
            change.rule,
            change.location,
            change.reason,
            "",
            places(change)
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

/// A Markdown report: one section per severity (for changelogs and pull requests). One change
/// to a shared schema shows wherever the schema is used; such changes (same rule, reason and
/// pointers) are one item that lists its places.
pub fn markdown(changes: &[Change]) -> String {
    let mut out = String::new();
    for (severity, heading) in [
        (Severity::Breaking, "Breaking changes"),
        (Severity::PossiblyBreaking, "Possibly breaking changes"),
        (Severity::Compatible, "Compatible changes"),
    ] {
        // Grouped in the order the changes come (worst first, then by location).
        let mut groups: Vec<(&Change, Vec<&str>)> = Vec::new();
        for change in changes.iter().filter(|c| c.severity == severity) {
            match groups.iter_mut().find(|(first, _)| {
                first.rule == change.rule
                    && first.reason == change.reason
                    && first.old == change.old
                    && first.new == change.new
            }) {
                Some((_, places)) => places.push(&change.location),
                None => groups.push((change, vec![&change.location])),
            }
        }
        if groups.is_empty() {
            continue;
        }
        out.push_str(&format!("### {heading}\n\n"));
        for (change, places) in groups {
            let pointers = if change.old == change.new {
                format!("old and new `#{}`", change.old)
            } else {
                format!("old `#{}`, new `#{}`", change.old, change.new)
            };
            let escape = |text: &str| text.replace('|', "\\|");
            if let [place] = places.as_slice() {
                out.push_str(&format!(
                    "- `{}` {}: {} ({pointers})\n",
                    change.rule,
                    escape(place),
                    change.reason
                ));
            } else {
                out.push_str(&format!(
                    "- `{}` {} ({pointers}), in {} places:\n",
                    change.rule,
                    change.reason,
                    places.len()
                ));
                for place in places {
                    out.push_str(&format!("  - {}\n", escape(place)));
                }
            }
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
                escape_attribute(&format!("{} ({})", change.reason, places(change))),
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
mod soundness;
#[cfg(test)]
mod tests;
