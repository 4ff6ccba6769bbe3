//! Loading an OpenAPI 3.1 document and compiling, once, everything the checks need: a
//! matcher per operation, a validator per response and request body, the required headers,
//! and a validator per webhook event.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use balampay_openapi::reference::{self, RefError};
use balampay_openapi::{CompileError, Compiler, Document, LoadError, Version, pointer};
use serde_json::Value;

pub use balampay_openapi::{SchemaCheck, SchemaError};

/// The published spec, compiled into the binary.
pub const PUBLISHED_SPEC: &str = include_str!("../../../spec/openapi.json");

/// Why a spec could not be used. Messages read after "failed to".
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The document could not be read, is not OpenAPI 3.1.x, or has `$ref`s that cannot be
    /// followed.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A `$ref` on the way to an operation's part cannot be followed.
    #[error("{origin}: {cause}")]
    Reference {
        /// Where the spec came from.
        origin: String,
        /// The located problem.
        cause: RefError,
    },
    /// A schema does not compile.
    #[error("{origin}: {cause}")]
    Compile {
        /// Where the spec came from.
        origin: String,
        /// The located problem.
        cause: CompileError,
    },
}

/// One documented response of an operation.
pub struct ResponseSpec {
    /// The media types of its content (empty when it has no body).
    pub content_types: Vec<String>,
    /// The body schema of the JSON content, if any.
    pub schema: Option<SchemaCheck>,
    /// The component schema (`#/components/schemas/<name>`) the JSON content's schema is,
    /// after any `$ref` hops: the name generated clients give its type.
    pub component: Option<String>,
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
    ///
    /// Matching is exact, as OpenAPI 3.1.0 §4.8.8 defines it: the same number of segments
    /// (so `/v1/users/` is not `/v1/users`), each literal segment equal once
    /// percent-decoded (RFC 3986 §2.1), and each templated segment non-empty.
    pub fn matches(&self, path: &str) -> bool {
        // `/` separates the segments, so there is one more segment than there are slashes.
        memchr::memchr_iter(b'/', path.as_bytes()).count() + 1 == self.segments.len()
            && path
                .split('/')
                .zip(&self.segments)
                .all(|(part, segment)| match segment {
                    // Only a segment with a `%` can decode to something else.
                    Some(literal) => {
                        literal == part
                            || (part.contains('%')
                                && percent_encoding::percent_decode_str(part).decode_utf8_lossy()
                                    == *literal)
                    }
                    None => !part.is_empty(),
                })
    }

    /// The documented response for a status: exact, then `4XX`-style ranges, then `default`.
    pub fn response(&self, status: u16) -> Option<&ResponseSpec> {
        // OpenAPI's keys are three characters (`"201"`, `"4XX"`) or `"default"`; those of a
        // three-digit status are spelled on the stack because this runs for every exchange
        // checked. Any other status is looked up as written (`"42"`, `"1000"`, `"10XX"`).
        let found = if (100..1000).contains(&status) {
            let digits = [
                b'0' + (status / 100) as u8,
                b'0' + (status / 10 % 10) as u8,
                b'0' + (status % 10) as u8,
            ];
            let key = |bytes: &[u8; 3]| {
                std::str::from_utf8(bytes)
                    .ok()
                    .and_then(|key| self.responses.get(key))
            };
            key(&digits).or_else(|| key(&[digits[0], b'X', b'X']))
        } else {
            self.responses
                .get(&status.to_string())
                .or_else(|| self.responses.get(&format!("{}XX", status / 100)))
        };
        found.or_else(|| self.responses.get("default"))
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
    ///
    /// # Errors
    /// [`SpecError`] only if the built-in spec is broken (a bug of this build).
    pub fn published() -> Result<Self, SpecError> {
        Self::parse(PUBLISHED_SPEC.as_bytes(), "the published spec (built in)")
    }

    /// Reads a spec file (JSON or YAML).
    ///
    /// # Errors
    /// [`SpecError`]: the file cannot be read or parsed, is not OpenAPI 3.1.x, has a `$ref`
    /// that cannot be followed (dangling, cyclic, to another document), or a schema that
    /// does not compile; each error names the file and the JSON pointer.
    pub fn from_file(path: &Path) -> Result<Self, SpecError> {
        Self::from_document(Document::read(path)?)
    }

    /// Parses and compiles a spec document (JSON, or YAML when it is not JSON).
    ///
    /// # Errors
    /// As [`Spec::from_file`].
    pub fn parse(text: &[u8], origin: &str) -> Result<Self, SpecError> {
        Self::from_document(Document::parse(text, origin)?)
    }

    fn from_document(document: Document) -> Result<Self, SpecError> {
        let document = document.require(&[Version::V3_1])?.require_resolvable()?;
        let origin = document.origin;
        let doc = Arc::new(document.value);
        let compiler = Compiler::new(doc.clone()).map_err(|cause| SpecError::Compile {
            origin: origin.clone(),
            cause,
        })?;
        let located = |error: Located| match error {
            Located::Reference(cause) => SpecError::Reference {
                origin: origin.clone(),
                cause,
            },
            Located::Compile(cause) => SpecError::Compile {
                origin: origin.clone(),
                cause,
            },
        };
        let operations = compile_operations(&compiler).map_err(located)?;
        let mut webhooks = BTreeMap::new();
        if let Some(hooks) = doc["webhooks"].as_object() {
            for (name, item) in hooks {
                let at = pointer::join("/webhooks", name);
                let item = reference::resolve(&doc, item, &at)
                    .map_err(Located::from)
                    .map_err(located)?;
                let Some(operation) = item.value.get("post") else {
                    continue;
                };
                let post = pointer::join(&item.pointer, "post");
                if let Some(schema) = body_schema(&compiler, operation, &post).map_err(located)? {
                    webhooks.insert(name.clone(), schema);
                }
            }
        }
        Ok(Spec {
            doc,
            origin,
            operations,
            webhooks,
        })
    }

    /// The operation a request is for.
    pub fn operation(&self, method: &str, path: &str) -> Option<&Operation> {
        // Literal segments win over parameters (`/v1/users/me` over `/v1/users/{userId}`).
        self.operations
            .iter()
            .filter(|op| op.method.eq_ignore_ascii_case(method) && op.matches(path))
            .max_by_key(|op| op.segments.iter().filter(|s| s.is_some()).count())
    }

    /// The operation with this id.
    pub fn operation_by_id(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|op| op.id == id)
    }
}

/// A problem found while compiling, before the origin is added.
enum Located {
    Reference(RefError),
    Compile(CompileError),
}

impl From<RefError> for Located {
    fn from(error: RefError) -> Self {
        Located::Reference(error)
    }
}

impl From<CompileError> for Located {
    fn from(error: CompileError) -> Self {
        Located::Compile(error)
    }
}

/// The JSON body schema of a Request Body Object (`requestBody` of the operation at
/// `operation_at`), followed through any number of `$ref` hops.
fn body_schema(
    compiler: &Compiler,
    operation: &Value,
    operation_at: &str,
) -> Result<Option<SchemaCheck>, Located> {
    let Some(body) = operation.get("requestBody") else {
        return Ok(None);
    };
    let body = reference::resolve(
        compiler.doc(),
        body,
        &pointer::join(operation_at, "requestBody"),
    )?;
    json_schema(compiler, body.value, &body.pointer)
}

/// The `application/json` schema of an object with `content` (a resolved Request Body or
/// Response Object at `at`).
fn json_schema(
    compiler: &Compiler,
    object: &Value,
    at: &str,
) -> Result<Option<SchemaCheck>, Located> {
    if object
        .pointer("/content/application~1json/schema")
        .is_none()
    {
        return Ok(None);
    }
    let location = format!("{at}/content/application~1json/schema");
    Ok(Some(compiler.check(&location)?))
}

/// The name of the component schema that the schema at `location` is, after any `$ref`
/// hops (`/components/schemas/User` → `User`); `None` for an inline schema.
fn component_of(doc: &Value, location: &str) -> Result<Option<String>, Located> {
    let target = reference::resolve_pointer(doc, location)?;
    let tokens = pointer::tokens(&target.pointer).unwrap_or_default();
    Ok(match tokens.as_slice() {
        [components, schemas, name] if components == "components" && schemas == "schemas" => {
            Some(name.clone())
        }
        _ => None,
    })
}

fn compile_operations(compiler: &Compiler) -> Result<Vec<Operation>, Located> {
    let doc = compiler.doc();
    let mut operations = Vec::new();
    let security_headers = security_headers(doc);
    let Some(paths) = doc["paths"].as_object() else {
        return Ok(operations);
    };
    for (template, item) in paths {
        let item = reference::resolve(doc, item, &pointer::join("/paths", template))?;
        let item_at = item.pointer.clone();
        let item = item.value;
        for method in METHODS {
            let Some(operation) = item.get(*method) else {
                continue;
            };
            let operation_at = pointer::join(&item_at, method);
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
                .enumerate()
                .map(|(i, p)| (p, format!("{item_at}/parameters/{i}")))
                .chain(
                    operation["parameters"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .enumerate()
                        .map(|(i, p)| (p, format!("{operation_at}/parameters/{i}"))),
                );
            for (parameter, at) in parameters {
                let parameter = reference::resolve(doc, parameter, &at)?.value;
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
            let request_body_required = match operation.get("requestBody") {
                Some(body) => {
                    reference::resolve(doc, body, &pointer::join(&operation_at, "requestBody"))?
                        .value["required"]
                        == true
                }
                None => false,
            };
            let request_body = body_schema(compiler, operation, &operation_at)?;
            let mut responses = BTreeMap::new();
            for (status, response) in operation["responses"].as_object().into_iter().flatten() {
                let at = pointer::join(&format!("{operation_at}/responses"), status);
                let response = reference::resolve(doc, response, &at)?;
                let content_types: Vec<String> = response.value["content"]
                    .as_object()
                    .map(|c| c.keys().cloned().collect())
                    .unwrap_or_default();
                let schema = json_schema(compiler, response.value, &response.pointer)?;
                let component = match &schema {
                    Some(schema) => component_of(doc, &schema.location)?,
                    None => None,
                };
                let mut required_headers = Vec::new();
                for (name, header) in response.value["headers"].as_object().into_iter().flatten() {
                    let at = pointer::join(&format!("{}/headers", response.pointer), name);
                    if reference::resolve(doc, header, &at)?.value["required"] == true {
                        required_headers.push(name.to_ascii_lowercase());
                    }
                }
                responses.insert(
                    status.clone(),
                    ResponseSpec {
                        content_types,
                        schema,
                        component,
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
                request_body_required,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_are_found_by_status_as_their_keys_are_written() {
        let keys = ["99", "100", "1XX", "404", "4XX", "1000", "10XX", "default"];
        let operation = Operation {
            id: "op".to_owned(),
            method: "get".to_owned(),
            template: "/x".to_owned(),
            segments: vec![Some(String::new()), Some("x".to_owned())],
            responses: keys
                .iter()
                .map(|key| {
                    let response = ResponseSpec {
                        // The key, to tell which response was found.
                        content_types: vec![(*key).to_owned()],
                        schema: None,
                        component: None,
                        required_headers: Vec::new(),
                    };
                    ((*key).to_owned(), response)
                })
                .collect(),
            request_body: None,
            request_body_required: false,
            required_request_headers: Vec::new(),
            required_query: Vec::new(),
        };
        // The rule spelled plainly: exact, then the range, then `default`.
        let expected = |status: u16| {
            [status.to_string(), format!("{}XX", status / 100)]
                .into_iter()
                .find(|key| keys.contains(&key.as_str()))
                .unwrap_or_else(|| "default".to_owned())
        };
        for status in 0..=u16::MAX {
            let found = operation
                .response(status)
                .map(|response| response.content_types[0].clone());
            assert_eq!(found, Some(expected(status)), "{status}");
        }
        assert_eq!(
            operation.response(404).map(|r| r.content_types[0].as_str()),
            Some("404")
        );
        assert_eq!(
            operation
                .response(1001)
                .map(|r| r.content_types[0].as_str()),
            Some("10XX")
        );
    }
}
