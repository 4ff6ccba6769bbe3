//! The OpenAPI 3.1 document and the standalone webhook schemas.
//!
//! utoipa builds the operations and component schemas from the annotated types; the steps in
//! [`openapi_document`] then add what is the same for every operation (security, error
//! responses, response headers), the examples and the webhooks, in one place each, so that no
//! operation can forget one.

use serde_json::{Map, Value, json};
use utoipa::OpenApi;

use crate::catalogue::{OPERATIONS, OperationId};
use crate::errors::{ErrorBody, ErrorCode};
use crate::examples::{self, Example};
use crate::users::{CreateUserRequest, UpdateUserRequest, User, UserList};
use crate::verifications::{CreateVerificationRequest, Verification, VerificationList};
use crate::webhooks::{
    UserCreatedEvent, VerificationAcceptedEvent, VerificationFailedEvent, WEBHOOKS,
};

/// The version of the API contract, published as `info.version`. It follows semantic
/// versioning from the partners' point of view: a change that can break a client needs a new
/// major version.
pub const API_VERSION: &str = "1.3.0";

/// The production base URL, as in the vendor's docs.
pub const PRODUCTION_URL: &str = "https://api.balampay.com";

/// The base URL of a sandbox started locally with its defaults.
pub const LOCAL_SANDBOX_URL: &str = "http://127.0.0.1:8080";

/// The names of the two security schemes, both required on every operation.
pub const BEARER_SCHEME: &str = "bearerAuth";
/// See [`BEARER_SCHEME`].
pub const API_KEY_SCHEME: &str = "apiKey";

/// The header every POST must carry.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";
/// The header every response carries, echoing the error body's `request_id`.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// The rate limit headers of every answer to an authenticated request, and their components.
pub const RATE_LIMIT_HEADERS: [(&str, &str); 3] = [
    ("x-ratelimit-limit", "RateLimitLimit"),
    ("x-ratelimit-remaining", "RateLimitRemaining"),
    ("x-ratelimit-reset", "RateLimitReset"),
];
/// The header that marks a replayed idempotent response.
pub const IDEMPOTENT_REPLAYED_HEADER: &str = "idempotent-replayed";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "BalamPay Users & Verification API",
        version = API_VERSION,
        description = include_str!("api-description.md"),
        contact(name = "BalamPay API platform team", url = "https://balampay.com"),
        license(name = "MIT OR Apache-2.0"),
    ),
    servers(
        (url = "https://api.balampay.com", description = "Production"),
        (url = "http://127.0.0.1:8080", description = "A local sandbox started with `cargo run -p balampay-sandbox`"),
    ),
    tags(
        (name = "Users", description = "Individuals and businesses who receive payments."),
        (name = "Verifications", description = "Identity verification sessions: KYC for individuals, KYB for businesses."),
        (name = "Webhooks", description = "Events BalamPay sends to your endpoints."),
    ),
    // The catalogue's request and response bodies, and what the paths do not name: the error
    // body and the webhook payloads. utoipa collects every schema these refer to.
    components(schemas(
        CreateUserRequest,
        UpdateUserRequest,
        User,
        UserList,
        CreateVerificationRequest,
        Verification,
        VerificationList,
        ErrorBody,
        UserCreatedEvent,
        VerificationAcceptedEvent,
        VerificationFailedEvent,
    )),
)]
struct ApiDoc;

/// One reusable error response: its status, component name, description and the error codes
/// it can carry (one example each).
struct ErrorResponse {
    status: u16,
    component: &'static str,
    description: &'static str,
    codes: &'static [(ErrorCode, &'static str)],
}

const ERROR_RESPONSES: &[ErrorResponse] = &[
    ErrorResponse {
        status: 400,
        component: "BadRequest",
        description: "The request is malformed: its JSON does not parse, or a path id, query parameter or header is not valid (a POST without `idempotency-key` included).",
        codes: &[
            (
                ErrorCode::BadRequest,
                "The path parameter userId is not a valid UUID.",
            ),
            (
                ErrorCode::IdempotencyKeyMissing,
                "The idempotency-key header is required on POST requests.",
            ),
        ],
    },
    ErrorResponse {
        status: 401,
        component: "Unauthorized",
        description: "The bearer token or the API key is missing or not valid.",
        codes: &[(
            ErrorCode::Unauthorized,
            "A valid bearer token and x-api-key are required.",
        )],
    },
    ErrorResponse {
        status: 404,
        component: "NotFound",
        description: "No such user or verification session for this API key.",
        codes: &[(ErrorCode::NotFound, "No user has this id.")],
    },
    ErrorResponse {
        status: 409,
        component: "Conflict",
        description: "The request conflicts with an earlier one or with the resource's state: an idempotency key reused with another body or still in flight, an email another user has, a verification already in progress or done, a suspended or closed user, or a request for the other type of user.",
        codes: &[
            (
                ErrorCode::IdempotencyKeyReused,
                "This idempotency key was used with a different request.",
            ),
            (
                ErrorCode::IdempotencyKeyInUse,
                "A request with this idempotency key is still being processed.",
            ),
            (
                ErrorCode::EmailTaken,
                "Another user already has this email.",
            ),
            (
                ErrorCode::VerificationInProgress,
                "The user has a verification session in progress.",
            ),
            (ErrorCode::AlreadyVerified, "The user is already verified."),
            (ErrorCode::UserNotActive, "The user is suspended or closed."),
            (
                ErrorCode::UserTypeMismatch,
                "This user is a business; a user's type never changes.",
            ),
        ],
    },
    ErrorResponse {
        status: 413,
        component: "PayloadTooLarge",
        description: "The request body is larger than 1 MiB.",
        codes: &[(
            ErrorCode::PayloadTooLarge,
            "The request body is larger than 1 MiB.",
        )],
    },
    ErrorResponse {
        status: 415,
        component: "UnsupportedMediaType",
        description: "The request body is not `application/json`.",
        codes: &[(
            ErrorCode::UnsupportedMediaType,
            "The request body must be application/json.",
        )],
    },
    ErrorResponse {
        status: 422,
        component: "ValidationFailed",
        description: "The JSON body parses but breaks the schema or a business rule; `details` names each offending field by its JSON pointer.",
        codes: &[(
            ErrorCode::ValidationFailed,
            "The request body has 1 invalid field.",
        )],
    },
    ErrorResponse {
        status: 429,
        component: "TooManyRequests",
        description: "Too many requests: wait for the `Retry-After` header's seconds, then retry.",
        codes: &[(
            ErrorCode::RateLimited,
            "Too many requests; retry in 2 seconds.",
        )],
    },
    ErrorResponse {
        status: 500,
        component: "InternalError",
        description: "An error on BalamPay's side. Retrying with the same idempotency key is safe.",
        codes: &[(
            ErrorCode::InternalError,
            "Something went wrong on our side; quote the request id to support.",
        )],
    },
];

/// The OpenAPI 3.1 document of the whole API, with stable key order.
pub fn openapi_document() -> Value {
    let mut api = ApiDoc::openapi();
    for operation in OPERATIONS {
        let described = operation
            .described()
            .unwrap_or_else(|mistake| panic!("{mistake}"));
        api.paths
            .add_path_operation(described.path, described.methods, described.operation);
    }
    let mut doc = match serde_json::to_value(api) {
        Ok(doc) => doc,
        // utoipa's document is plain data (string keys, no failing `Serialize` impls).
        Err(error) => panic!("the utoipa document does not serialize: {error}"),
    };
    doc["info"]["license"] =
        json!({"name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0"});
    add_shared_components(&mut doc);
    decorate_operations(&mut doc);
    add_examples(&mut doc);
    add_webhooks(&mut doc);
    unwrap_described_inline_schemas(&mut doc);
    bare_union_branches(&mut doc["components"]["schemas"]);
    normalize(&mut doc);
    sort_object(&mut doc["components"]["schemas"]);
    doc
}

/// The names of the webhook events and, for each, its standalone JSON Schema (draft 2020-12).
pub fn webhook_schemas() -> Vec<(&'static str, Value)> {
    WEBHOOKS
        .iter()
        .map(|webhook| {
            let schema = match crate::webhooks::webhook_json_schema(webhook.name) {
                Some(schema) => schema,
                None => panic!("WEBHOOKS lists {} but it has no schema", webhook.name),
            };
            let mut schema = schema.to_value();
            normalize(&mut schema);
            (webhook.name, schema)
        })
        .collect()
}

/// The schemars generator all standalone schemas come from: draft 2020-12, definitions under
/// `$defs`, describing what deserialization accepts.
pub fn schema_generator() -> schemars::SchemaGenerator {
    schemars::generate::SchemaSettings::draft2020_12().into_generator()
}

/// Security schemes, response headers and the error responses, as components.
fn add_shared_components(doc: &mut Value) {
    let components = &mut doc["components"];
    components["securitySchemes"] = json!({
        BEARER_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "description": "The access token from BalamPay's authentication, as `Authorization: Bearer <token>`."
        },
        API_KEY_SCHEME: {
            "type": "apiKey",
            "in": "header",
            "name": "x-api-key",
            "description": "Your API key. Data is scoped to it: one key never sees another key's users."
        }
    });
    components["headers"] = json!({
        "RequestId": {
            "description": "The id of this request, as in an error body's `request_id`; quote it to support.",
            "required": true,
            "schema": {"type": "string", "minLength": 1, "maxLength": 100}
        },
        "RetryAfter": {
            "description": "How many seconds to wait before retrying.",
            "required": true,
            "schema": {"type": "integer", "minimum": 1, "maximum": 3600}
        },
        "RateLimitLimit": {
            "description": "How many requests this API key may send at once: the size of its rate limit's bucket, which refills at a steady rate.",
            "required": false,
            "schema": {"type": "integer", "minimum": 1}
        },
        "RateLimitRemaining": {
            "description": "How many more requests this API key may send right now; `0` with a `429`.",
            "required": false,
            "schema": {"type": "integer", "minimum": 0}
        },
        "RateLimitReset": {
            "description": "Seconds until the bucket is full again (rounded up).",
            "required": false,
            "schema": {"type": "integer", "minimum": 0}
        },
        "IdempotentReplayed": {
            "description": "`true` when this response is the replay of an earlier request with the same idempotency key; absent otherwise.",
            "required": false,
            "schema": {"type": "string", "enum": ["true"]}
        }
    });
    let mut responses = Map::new();
    for error in ERROR_RESPONSES {
        let mut examples = Map::new();
        for (code, message) in error.codes {
            let key = match serde_json::to_value(code) {
                Ok(Value::String(key)) => key,
                _ => panic!("error code {code:?} does not serialize as a string"),
            };
            examples.insert(
                key,
                json!({"summary": message, "value": examples::error_body(*code, message)}),
            );
        }
        let mut headers = json!({REQUEST_ID_HEADER: {"$ref": "#/components/headers/RequestId"}});
        // A 401 comes before the request is known to belong to a key, so it has no limit.
        if error.status != 401 {
            add_rate_limit_headers(&mut headers);
        }
        if error.status == 429 {
            headers["retry-after"] = json!({"$ref": "#/components/headers/RetryAfter"});
        }
        responses.insert(
            error.component.to_owned(),
            json!({
                "description": error.description,
                "headers": headers,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/ErrorBody"},
                        "examples": examples
                    }
                }
            }),
        );
    }
    components["responses"] = Value::Object(responses);
}

/// The rate limit headers ([`RATE_LIMIT_HEADERS`]), on every response of an operation but
/// `401`: every answer to an authenticated request carries them.
fn add_rate_limit_headers(headers: &mut Value) {
    for (name, component) in RATE_LIMIT_HEADERS {
        headers[name] = json!({"$ref": format!("#/components/headers/{component}")});
    }
}

/// Every operation: both security schemes, its error responses, and the request id header on
/// its success responses (and the replay header on POSTs).
fn decorate_operations(doc: &mut Value) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        panic!("the document has no paths");
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, operation) in item.iter_mut() {
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let Some(row) = OperationId::parse(&id).map(OperationId::operation) else {
                panic!("operation {id} is not in the catalogue");
            };
            let statuses = row.errors;
            operation["security"] = json!([{BEARER_SCHEME: [], API_KEY_SCHEME: []}]);
            let Some(responses) = operation["responses"].as_object_mut() else {
                panic!("operation {id} has no responses");
            };
            for response in responses.values_mut() {
                let mut headers =
                    json!({REQUEST_ID_HEADER: {"$ref": "#/components/headers/RequestId"}});
                add_rate_limit_headers(&mut headers);
                if method == "post" {
                    headers[IDEMPOTENT_REPLAYED_HEADER] =
                        json!({"$ref": "#/components/headers/IdempotentReplayed"});
                }
                response["headers"] = headers;
            }
            for status in statuses {
                let Some(error) = ERROR_RESPONSES.iter().find(|e| e.status == *status) else {
                    panic!("status {status} of {id} has no error response");
                };
                responses.insert(
                    status.to_string(),
                    json!({"$ref": format!("#/components/responses/{}", error.component)}),
                );
            }
        }
    }
}

/// Puts named examples on a media type object.
fn set_examples(media_type: &mut Value, examples: Vec<Example>) {
    let mut map = Map::new();
    for example in examples {
        map.insert(
            example.key.to_owned(),
            json!({"summary": example.summary, "value": example.value}),
        );
    }
    media_type["examples"] = Value::Object(map);
}

/// The request and response examples of every operation.
fn add_examples(doc: &mut Value) {
    let json = "application/json";
    let paths = &mut doc["paths"];
    set_examples(
        &mut paths["/v1/users"]["post"]["requestBody"]["content"][json],
        examples::create_user_requests(),
    );
    set_examples(
        &mut paths["/v1/users"]["post"]["responses"]["201"]["content"][json],
        examples::create_user_responses(),
    );
    set_examples(
        &mut paths["/v1/users"]["get"]["responses"]["200"]["content"][json],
        examples::user_list_responses(),
    );
    set_examples(
        &mut paths["/v1/users/{userId}"]["get"]["responses"]["200"]["content"][json],
        examples::user_responses(),
    );
    set_examples(
        &mut paths["/v1/users/{userId}"]["patch"]["requestBody"]["content"][json],
        examples::update_user_requests(),
    );
    set_examples(
        &mut paths["/v1/users/{userId}"]["patch"]["responses"]["200"]["content"][json],
        examples::user_responses(),
    );
    let verifications = "/v1/users/{userId}/verifications";
    set_examples(
        &mut paths[verifications]["post"]["requestBody"]["content"][json],
        examples::create_verification_requests(),
    );
    set_examples(
        &mut paths[verifications]["post"]["responses"]["201"]["content"][json],
        examples::verification_responses(),
    );
    set_examples(
        &mut paths[verifications]["get"]["responses"]["200"]["content"][json],
        examples::verification_list_responses(),
    );
    set_examples(
        &mut paths["/v1/users/{userId}/verifications/{verificationId}"]["get"]["responses"]["200"]
            ["content"][json],
        examples::verification_responses(),
    );
}

/// The top-level `webhooks` section: one `POST` to the partner's endpoint per event.
fn add_webhooks(doc: &mut Value) {
    let payloads = examples::webhook_events();
    let mut webhooks = Map::new();
    for webhook in WEBHOOKS {
        let mut media_type =
            json!({"schema": {"$ref": format!("#/components/schemas/{}", webhook.component)}});
        set_examples(
            &mut media_type,
            payloads
                .iter()
                .filter(|(name, _)| *name == webhook.name)
                .map(|(_, example)| example.clone())
                .collect(),
        );
        webhooks.insert(
            webhook.name.to_owned(),
            json!({
                "post": {
                    "operationId": webhook.operation_id,
                    "tags": ["Webhooks"],
                    "summary": webhook.summary,
                    "description": webhook.description,
                    "security": [],
                    "parameters": [
                        {
                            "name": "webhook-id",
                            "in": "header",
                            "required": true,
                            "description": "The delivery's id; retries of one delivery repeat it.",
                            "schema": {"type": "string", "minLength": 1, "maxLength": 100}
                        },
                        {
                            "name": "webhook-timestamp",
                            "in": "header",
                            "required": true,
                            "description": "When the delivery was signed, in seconds since the Unix epoch. Reject deliveries more than five minutes away from your clock.",
                            "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"}
                        },
                        {
                            "name": "webhook-signature",
                            "in": "header",
                            "required": true,
                            "description": "Space-separated signatures `v1,<base64>`, each an HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>` keyed with the base64-decoded part of your endpoint's `whsec_` secret. Accept the delivery when one of them matches.",
                            "schema": {"type": "string", "minLength": 4, "maxLength": 2000, "pattern": "^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$"}
                        }
                    ],
                    "requestBody": {
                        "required": true,
                        "description": "The event.",
                        "content": {"application/json": media_type}
                    },
                    "responses": {
                        "200": {"description": "Any 2xx status acknowledges the delivery; anything else, or no answer within 15 seconds, is retried with exponential backoff."}
                    }
                }
            }),
        );
    }
    doc["webhooks"] = Value::Object(webhooks);
}

/// The rules both derives' output goes through, so that the two descriptions of one type
/// have the same shape: no `null` ([`forbid_null`]) and closed string sets as `enum`
/// ([`enums_as_enum`]).
pub fn normalize(value: &mut Value) {
    forbid_null(value);
    enums_as_enum(value);
}

/// Rewrites a `oneOf` of single string constants (schemars' rendering of an enum whose
/// variants have doc comments) as one `enum`, with the variants' docs appended to the
/// description as a list. Validators then report an unknown value as an `enum` error naming
/// the allowed values, rather than as "not valid under any of the schemas".
pub fn enums_as_enum(value: &mut Value) {
    match value {
        Value::Object(object) => {
            object.values_mut().for_each(enums_as_enum);
            let Some(Value::Array(branches)) = object.get("oneOf") else {
                return;
            };
            let mut values = Vec::new();
            let mut docs = Vec::new();
            for branch in branches {
                let Some(branch) = branch.as_object() else {
                    return;
                };
                let constant = match (branch.get("const"), branch.get("enum")) {
                    (Some(Value::String(c)), None) => c.clone(),
                    (None, Some(Value::Array(one))) if one.len() == 1 => match &one[0] {
                        Value::String(c) => c.clone(),
                        _ => return,
                    },
                    _ => return,
                };
                let known = ["type", "const", "enum", "description"];
                if branch.keys().any(|key| !known.contains(&key.as_str()))
                    || branch.get("type").is_some_and(|t| t != "string")
                {
                    return;
                }
                if let Some(Value::String(doc)) = branch.get("description") {
                    docs.push(format!("- `{constant}`: {}", doc.replace('\n', " ")));
                }
                values.push(Value::String(constant));
            }
            object.remove("oneOf");
            object.insert("type".to_owned(), json!("string"));
            object.insert("enum".to_owned(), Value::Array(values));
            if !docs.is_empty() {
                let intro = object
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let text = format!("{intro}\n\n{}", docs.join("\n"));
                object.insert(
                    "description".to_owned(),
                    Value::String(text.trim().to_owned()),
                );
            }
        }
        Value::Array(items) => items.iter_mut().for_each(enums_as_enum),
        _ => {}
    }
}

/// Removes `null` from every schema: the API never sends or accepts `null`, and absent
/// optional fields are simply absent. Both derives describe Rust's `Option` as nullable, so
/// this one rule, applied to both the OpenAPI document and the standalone schemas, keeps them
/// in step with what the API does.
pub fn forbid_null(value: &mut Value) {
    match value {
        Value::Object(object) => {
            for child in object.values_mut() {
                forbid_null(child);
            }
            if let Some(Value::Array(types)) = object.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    object.insert("type".to_owned(), only);
                }
            }
            for keyword in ["oneOf", "anyOf"] {
                let Some(Value::Array(branches)) = object.get_mut(keyword) else {
                    continue;
                };
                let before = branches.len();
                branches.retain(|branch| branch != &json!({"type": "null"}));
                if branches.len() == 1 && before > 1 {
                    let Some(Value::Object(only)) = branches.pop() else {
                        continue;
                    };
                    object.remove(keyword);
                    for (key, child) in only {
                        // The field's own keywords (its description, say) win over the
                        // branch's, which are the type's.
                        object.entry(key).or_insert(child);
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(forbid_null),
        _ => {}
    }
}

/// Mends how utoipa renders a documented field whose schema is inlined (the union tags):
/// it wraps the inlined schema as `allOf: [<schema>, {type: object, description}]`, which
/// no string can satisfy. The field becomes the inlined schema plus the description.
fn unwrap_described_inline_schemas(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if let Some(Value::Array(branches)) = object.get("allOf")
                && let [Value::Object(inlined), Value::Object(wrapper)] = branches.as_slice()
                && wrapper.get("type") == Some(&json!("object"))
                && wrapper
                    .keys()
                    .all(|key| key == "type" || key == "description")
            {
                let description = wrapper.get("description").cloned();
                let inlined = inlined.clone();
                object.remove("allOf");
                object.extend(inlined);
                if let Some(description) = description {
                    object.insert("description".to_owned(), description);
                }
            }
            object
                .values_mut()
                .for_each(unwrap_described_inline_schemas);
        }
        Value::Array(items) => items.iter_mut().for_each(unwrap_described_inline_schemas),
        _ => {}
    }
}

/// Reduces each branch of a discriminated union to a bare `$ref`. utoipa copies the Rust
/// variants' doc comments beside the references; the branch components carry their own
/// descriptions, and tools that select branches by the discriminator (and 3.0, where a
/// `$ref`'s siblings are ignored) want plain references.
fn bare_union_branches(schemas: &mut Value) {
    let Some(schemas) = schemas.as_object_mut() else {
        return;
    };
    for schema in schemas.values_mut() {
        if schema.get("discriminator").is_none() {
            continue;
        }
        if let Some(Value::Array(branches)) = schema.get_mut("oneOf") {
            for branch in branches {
                if let Some(reference) = branch.get("$ref").cloned() {
                    *branch = json!({"$ref": reference});
                }
            }
        }
    }
}

/// Sorts an object's keys, so that long maps (component schemas) read in a stable,
/// alphabetical order.
fn sort_object(value: &mut Value) {
    if let Value::Object(object) = value {
        let mut entries: Vec<(String, Value)> = std::mem::take(object).into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        object.extend(entries);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    /// The `$ref`s inside a value, and whether any object there is closed.
    fn walk(value: &Value, refs: &mut Vec<String>, closed: &mut Vec<String>, at: &str) {
        match value {
            Value::Object(map) => {
                if map.get("additionalProperties") == Some(&Value::Bool(false))
                    || map.get("unevaluatedProperties") == Some(&Value::Bool(false))
                {
                    closed.push(at.to_owned());
                }
                for (key, inner) in map {
                    if key == "$ref" {
                        refs.extend(inner.as_str().map(str::to_owned));
                    } else {
                        walk(inner, refs, closed, &format!("{at}/{key}"));
                    }
                }
            }
            Value::Array(items) => {
                for (index, inner) in items.iter().enumerate() {
                    walk(inner, refs, closed, &format!("{at}/{index}"));
                }
            }
            _ => {}
        }
    }

    /// The API promises that response objects and webhook payloads may gain optional fields:
    /// no schema they reach may be closed, or clients generated from it would refuse them.
    #[test]
    fn every_schema_a_response_or_webhook_reaches_is_open() {
        let doc = super::openapi_document();
        let mut todo = Vec::new();
        let mut closed = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("item") {
                walk(
                    &operation["responses"],
                    &mut todo,
                    &mut closed,
                    &format!("{path} {method} responses"),
                );
            }
        }
        for (event, item) in doc["webhooks"].as_object().expect("webhooks") {
            walk(
                &item["post"]["requestBody"],
                &mut todo,
                &mut closed,
                &format!("webhook {event}"),
            );
        }
        let mut seen = BTreeSet::new();
        while let Some(reference) = todo.pop() {
            if !seen.insert(reference.clone()) {
                continue;
            }
            let pointer = reference.trim_start_matches('#');
            let target = doc.pointer(pointer).expect("a reference that resolves");
            walk(target, &mut todo, &mut closed, &reference);
        }
        assert!(
            seen.iter().any(|r| r.ends_with("/AddressRecord")),
            "responses reach AddressRecord"
        );
        assert!(closed.is_empty(), "closed schemas in responses: {closed:?}");
    }
}
