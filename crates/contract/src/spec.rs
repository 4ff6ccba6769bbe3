//! Loading an OpenAPI 3.1 document and compiling, once, everything the checks need: a
//! matcher per operation, a validator per response and request body, the required headers,
//! and a validator per webhook event.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};

/// The published spec, compiled into the binary.
pub const PUBLISHED_SPEC: &str = include_str!("../../../spec/openapi.json");

/// Why a spec could not be used.
#[derive(Debug)]
pub struct SpecError(pub String);

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SpecError {}

/// A compiled schema. A discriminated union is validated against the branch its tag
/// names, so that an error points at the branch's field instead of "no branch matched".
pub struct SchemaCheck {
    /// Where the schema is in the spec (a JSON pointer).
    pub location: String,
    whole: jsonschema::Validator,
    union: Option<Union>,
}

/// A discriminated union: the tag property, and per tag value the branch's location and
/// validator.
struct Union {
    property: String,
    branches: Vec<(String, String, jsonschema::Validator)>,
}

/// One schema error.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaError {
    /// The JSON pointer in the instance.
    pub pointer: String,
    /// The schema location (spec pointer of the schema plus the keyword path).
    pub schema_location: String,
    /// The keyword that failed.
    pub keyword: String,
    /// What the schema expected, in words.
    pub expected: String,
    /// The value found there (before masking).
    pub actual: Value,
}

impl SchemaCheck {
    fn compile(doc: &Value, location: &str) -> Result<Self, SpecError> {
        let whole = validator(doc, location)?;
        let schema = doc
            .pointer(location)
            .ok_or_else(|| SpecError(format!("nothing at {location}")))?;
        let resolved = match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => doc
                .pointer(reference.trim_start_matches('#'))
                .unwrap_or(schema),
            None => schema,
        };
        let union = match (
            resolved
                .pointer("/discriminator/propertyName")
                .and_then(Value::as_str),
            resolved
                .pointer("/discriminator/mapping")
                .and_then(Value::as_object),
        ) {
            (Some(property), Some(mapping)) => {
                let mut branches = Vec::new();
                for (tag, reference) in mapping {
                    let reference = reference.as_str().ok_or_else(|| {
                        SpecError(format!("{location}: mapping of {tag} is not a string"))
                    })?;
                    let branch_location = reference.trim_start_matches('#').to_owned();
                    branches.push((
                        tag.clone(),
                        branch_location.clone(),
                        validator(doc, &branch_location)?,
                    ));
                }
                Some(Union {
                    property: property.to_owned(),
                    branches,
                })
            }
            _ => None,
        };
        Ok(Self {
            location: location.to_owned(),
            whole,
            union,
        })
    }

    /// Every error of an instance.
    pub fn errors(&self, instance: &Value) -> Vec<SchemaError> {
        let (validator, location) = match &self.union {
            Some(Union { property, branches }) => {
                match instance.get(property).and_then(Value::as_str) {
                    Some(tag) => match branches.iter().find(|(t, _, _)| t == tag) {
                        Some((_, location, validator)) => (validator, location.as_str()),
                        None => {
                            let known: Vec<&str> =
                                branches.iter().map(|(t, _, _)| t.as_str()).collect();
                            return vec![SchemaError {
                                pointer: format!("/{property}"),
                                schema_location: format!("{}/discriminator", self.location),
                                keyword: "discriminator".to_owned(),
                                expected: format!("one of {}", known.join(", ")),
                                actual: instance[property.as_str()].clone(),
                            }];
                        }
                    },
                    None => (&self.whole, self.location.as_str()),
                }
            }
            None => (&self.whole, self.location.as_str()),
        };
        validator
            .iter_errors(instance)
            .map(|error| {
                let pointer = error.instance_path().to_string();
                // jsonschema reports the keyword's path through the `$ref` of the wrapper
                // document; past a reference it is already a pointer into the spec.
                let keyword_path = error
                    .schema_path()
                    .as_str()
                    .trim_start_matches("/$ref")
                    .to_owned();
                let schema_location = if ["/components/", "/paths/", "/webhooks/"]
                    .iter()
                    .any(|root| keyword_path.starts_with(root))
                {
                    keyword_path
                } else {
                    format!("{location}{keyword_path}")
                };
                SchemaError {
                    actual: instance.pointer(&pointer).cloned().unwrap_or(Value::Null),
                    pointer,
                    schema_location,
                    keyword: error.kind().keyword().to_owned(),
                    expected: expected_of(&error),
                }
            })
            .collect()
    }

    /// Whether the instance is valid.
    pub fn is_valid(&self, instance: &Value) -> bool {
        self.errors(instance).is_empty()
    }
}

/// What a failed keyword expected, without echoing the instance (which may be personal
/// data): jsonschema's messages start with the instance, so they are not used.
fn expected_of(error: &jsonschema::ValidationError<'_>) -> String {
    use jsonschema::error::ValidationErrorKind as Kind;
    match error.kind() {
        Kind::Required { property } => format!("required property {property}"),
        Kind::AdditionalProperties { unexpected } => format!(
            "no properties besides the documented ones (found {})",
            unexpected.join(", ")
        ),
        Kind::Type { kind } => format!("type {kind:?}")
            .replace("Single(", "")
            .replace("Multiple(", "")
            .replace(')', ""),
        Kind::Enum { options } => format!("one of {options}"),
        Kind::Constant { expected_value } => format!("the value {expected_value}"),
        Kind::Format { format } => format!("format {format}"),
        Kind::Pattern { pattern } => format!("a match for {pattern}"),
        Kind::MinLength { limit } => format!("at least {limit} characters"),
        Kind::MaxLength { limit } => format!("at most {limit} characters"),
        Kind::MinItems { limit } => format!("at least {limit} items"),
        Kind::MaxItems { limit } => format!("at most {limit} items"),
        Kind::MaxProperties { limit } => format!("at most {limit} properties"),
        Kind::Minimum { limit } => format!("at least {limit}"),
        Kind::Maximum { limit } => format!("at most {limit}"),
        other => format!("to satisfy `{}`", other.keyword()),
    }
}

/// A validator for the schema at `location` in the document, with the document's components
/// (and webhooks) beside it so that every `$ref` resolves.
fn validator(doc: &Value, location: &str) -> Result<jsonschema::Validator, SpecError> {
    let fragment: String = location
        .chars()
        .map(|c| match c {
            '{' => "%7B".to_owned(),
            '}' => "%7D".to_owned(),
            c => c.to_string(),
        })
        .collect();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&json!({
            "$ref": format!("#{fragment}"),
            "components": doc["components"],
            "paths": doc["paths"],
            "webhooks": doc["webhooks"],
        }))
        .map_err(|error| {
            SpecError(format!(
                "the schema at {location} does not compile: {error}"
            ))
        })
}

/// One documented response of an operation.
pub struct ResponseSpec {
    /// The media types of its content (empty when it has no body).
    pub content_types: Vec<String>,
    /// The body schema of the JSON content, if any.
    pub schema: Option<SchemaCheck>,
    /// Headers the response must carry (lower case).
    pub required_headers: Vec<String>,
}

/// One operation.
pub struct Operation {
    /// The operation id.
    pub id: String,
    /// The method, lower case.
    pub method: String,
    /// The path template, such as `/v1/users/{userId}`.
    pub template: String,
    segments: Vec<Option<String>>,
    /// Responses by status (`"200"`, `"4XX"`, `"default"`).
    pub responses: BTreeMap<String, ResponseSpec>,
    /// The request body schema, if the operation takes a JSON body.
    pub request_body: Option<SchemaCheck>,
    /// Whether the request body is required.
    pub request_body_required: bool,
    /// Required request headers (lower case), parameters and security schemes together.
    pub required_request_headers: Vec<String>,
    /// Required query parameters.
    pub required_query: Vec<String>,
}

impl Operation {
    /// Whether a concrete path matches the template.
    pub fn matches(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        parts.len() == self.segments.len()
            && parts
                .iter()
                .zip(&self.segments)
                .all(|(part, segment)| match segment {
                    Some(literal) => literal == part,
                    None => !part.is_empty(),
                })
    }

    /// The documented response for a status: exact, then `4XX`-style ranges, then `default`.
    pub fn response(&self, status: u16) -> Option<&ResponseSpec> {
        self.responses
            .get(&status.to_string())
            .or_else(|| self.responses.get(&format!("{}XX", status / 100)))
            .or_else(|| self.responses.get("default"))
    }
}

/// A compiled spec.
pub struct Spec {
    /// The document.
    pub doc: Arc<Value>,
    /// Where it came from, for reports.
    pub origin: String,
    /// Every operation.
    pub operations: Vec<Operation>,
    /// The payload schema of each webhook event, by event name.
    pub webhooks: BTreeMap<String, SchemaCheck>,
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

impl Spec {
    /// The spec compiled into this binary.
    pub fn published() -> Result<Self, SpecError> {
        Self::parse(PUBLISHED_SPEC, "the published spec (built in)")
    }

    /// Reads a spec file (JSON or YAML).
    pub fn from_file(path: &Path) -> Result<Self, SpecError> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| SpecError(format!("cannot read {}: {error}", path.display())))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses and compiles a spec document (JSON, or YAML when it is not JSON).
    pub fn parse(text: &str, origin: &str) -> Result<Self, SpecError> {
        let doc: Value = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|error| {
                SpecError(format!(
                    "{origin}: not valid JSON (line {}, column {}): {error}",
                    error.line(),
                    error.column()
                ))
            })?
        } else {
            serde_norway::from_str(text)
                .map_err(|error| SpecError(format!("{origin}: not valid YAML: {error}")))?
        };
        match doc.get("openapi").and_then(Value::as_str) {
            Some(version) if version.starts_with("3.1.") => {}
            Some(version) => {
                return Err(SpecError(format!(
                    "{origin}: /openapi is {version:?}; only OpenAPI 3.1 documents are supported"
                )));
            }
            None => {
                return Err(SpecError(format!(
                    "{origin}: no `openapi` version at /openapi"
                )));
            }
        }
        let operations =
            compile_operations(&doc).map_err(|SpecError(e)| SpecError(format!("{origin}: {e}")))?;
        let mut webhooks = BTreeMap::new();
        if let Some(hooks) = doc["webhooks"].as_object() {
            for (name, item) in hooks {
                if item
                    .pointer("/post/requestBody/content/application~1json/schema")
                    .is_some()
                {
                    let location = format!(
                        "/webhooks/{}/post/requestBody/content/application~1json/schema",
                        escape(name)
                    );
                    webhooks.insert(name.clone(), SchemaCheck::compile(&doc, &location)?);
                }
            }
        }
        Ok(Spec {
            doc: Arc::new(doc),
            origin: origin.to_owned(),
            operations,
            webhooks,
        })
    }

    /// The operation a request is for.
    pub fn operation(&self, method: &str, path: &str) -> Option<&Operation> {
        let method = method.to_ascii_lowercase();
        // Literal segments win over parameters (`/v1/users/me` over `/v1/users/{userId}`).
        self.operations
            .iter()
            .filter(|op| op.method == method && op.matches(path))
            .max_by_key(|op| op.segments.iter().filter(|s| s.is_some()).count())
    }

    /// The operation with this id.
    pub fn operation_by_id(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|op| op.id == id)
    }
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => doc
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or(value),
        None => value,
    }
}

fn compile_operations(doc: &Value) -> Result<Vec<Operation>, SpecError> {
    let mut operations = Vec::new();
    let security_headers = security_headers(doc);
    let Some(paths) = doc["paths"].as_object() else {
        return Ok(operations);
    };
    for (template, item) in paths {
        for method in METHODS {
            let Some(operation) = item.get(*method) else {
                continue;
            };
            let pointer = format!("/paths/{}/{method}", escape(template));
            let id = operation["operationId"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{} {template}", method.to_uppercase()));
            let mut required_request_headers = Vec::new();
            let mut required_query = Vec::new();
            let parameters = item["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(operation["parameters"].as_array().into_iter().flatten());
            for parameter in parameters {
                let parameter = resolve(doc, parameter);
                if parameter["required"] != true {
                    continue;
                }
                let name = parameter["name"].as_str().unwrap_or_default();
                match parameter["in"].as_str() {
                    Some("header") => required_request_headers.push(name.to_ascii_lowercase()),
                    Some("query") => required_query.push(name.to_owned()),
                    _ => {}
                }
            }
            let security = operation.get("security").or_else(|| doc.get("security"));
            if let Some(requirements) = security.and_then(Value::as_array)
                && let Some(first) = requirements.first().and_then(Value::as_object)
                && requirements.len() == 1
            {
                for scheme in first.keys() {
                    if let Some(header) = security_headers.get(scheme) {
                        required_request_headers.push(header.clone());
                    }
                }
            }
            let body = operation.get("requestBody").map(|b| resolve(doc, b));
            let request_body =
                match body.and_then(|b| b.pointer("/content/application~1json/schema")) {
                    Some(_) => {
                        let location =
                            match operation["requestBody"].get("$ref").and_then(Value::as_str) {
                                Some(reference) => format!(
                                    "{}/content/application~1json/schema",
                                    reference.trim_start_matches('#')
                                ),
                                None => format!(
                                    "{pointer}/requestBody/content/application~1json/schema"
                                ),
                            };
                        Some(SchemaCheck::compile(doc, &location)?)
                    }
                    None => None,
                };
            let mut responses = BTreeMap::new();
            for (status, response) in operation["responses"].as_object().into_iter().flatten() {
                let base = match response.get("$ref").and_then(Value::as_str) {
                    Some(reference) => reference.trim_start_matches('#').to_owned(),
                    None => format!("{pointer}/responses/{status}"),
                };
                let response = resolve(doc, response);
                let content_types: Vec<String> = response["content"]
                    .as_object()
                    .map(|c| c.keys().cloned().collect())
                    .unwrap_or_default();
                let schema = if response
                    .pointer("/content/application~1json/schema")
                    .is_some()
                {
                    Some(SchemaCheck::compile(
                        doc,
                        &format!("{base}/content/application~1json/schema"),
                    )?)
                } else {
                    None
                };
                let required_headers = response["headers"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(_, header)| resolve(doc, header)["required"] == true)
                    .map(|(name, _)| name.to_ascii_lowercase())
                    .collect();
                responses.insert(
                    status.clone(),
                    ResponseSpec {
                        content_types,
                        schema,
                        required_headers,
                    },
                );
            }
            let segments = template
                .split('/')
                .map(|segment| {
                    if segment.starts_with('{') && segment.ends_with('}') {
                        None
                    } else {
                        Some(segment.to_owned())
                    }
                })
                .collect();
            operations.push(Operation {
                id,
                method: (*method).to_owned(),
                template: template.clone(),
                segments,
                responses,
                request_body,
                request_body_required: body.is_some_and(|b| b["required"] == true),
                required_request_headers,
                required_query,
            });
        }
    }
    Ok(operations)
}

/// The request header each header-borne security scheme needs.
fn security_headers(doc: &Value) -> BTreeMap<String, String> {
    let mut headers = BTreeMap::new();
    for (name, scheme) in doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        match (scheme["type"].as_str(), scheme["in"].as_str()) {
            (Some("http"), _) => {
                headers.insert(name.clone(), "authorization".to_owned());
            }
            (Some("apiKey"), Some("header")) => {
                headers.insert(
                    name.clone(),
                    scheme["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_ascii_lowercase(),
                );
            }
            _ => {}
        }
    }
    headers
}
