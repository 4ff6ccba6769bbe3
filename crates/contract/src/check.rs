//! The named checks run on every exchange, in the manner of Schemathesis' built-in checks.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::mask::mask;
use crate::spec::{Operation, SchemaError, Spec};

/// One HTTP exchange: what was asked and what was answered.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Exchange {
    /// The method, any case.
    pub method: String,
    /// The path, with the query string if any (`/v1/users?limit=2`).
    pub path: String,
    /// Request headers, names lower case (secrets already redacted in recordings).
    #[serde(default)]
    pub request_headers: Vec<(String, String)>,
    /// The request body, if JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_body: Option<Value>,
    /// The status answered.
    pub status: u16,
    /// Response headers, names lower case.
    #[serde(default)]
    pub response_headers: Vec<(String, String)>,
    /// The response body as text (empty when there was none).
    #[serde(default)]
    pub response_body: String,
    /// Whether the recording holds the response body. Some recorders leave bodies out
    /// (a HAR entry without `content.text`); such a body is not checked, and counted.
    #[serde(default = "recorded", skip_serializing_if = "is_recorded")]
    pub body_recorded: bool,
}

fn recorded() -> bool {
    true
}

fn is_recorded(recorded: &bool) -> bool {
    *recorded
}

impl Default for Exchange {
    fn default() -> Self {
        Self {
            method: String::new(),
            path: String::new(),
            request_headers: Vec::new(),
            request_body: None,
            status: 0,
            response_headers: Vec::new(),
            response_body: String::new(),
            body_recorded: true,
        }
    }
}

impl Exchange {
    /// A response header's value.
    pub fn response_header(&self, name: &str) -> Option<&str> {
        self.response_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A request header's value.
    pub fn request_header(&self, name: &str) -> Option<&str> {
        self.request_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path without its query string.
    pub fn path_only(&self) -> &str {
        self.path.split('?').next().unwrap_or(&self.path)
    }
}

/// The named checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// The request matches a documented operation (method and path template).
    KnownOperation,
    /// The status code is documented for the operation.
    StatusCodeDocumented,
    /// The response's content type is one the spec documents for that status.
    ContentType,
    /// A success body validates against its schema.
    ResponseSchema,
    /// An error body validates against the spec's error schema.
    ErrorBody,
    /// Every header the spec marks required on the response is there.
    RequiredHeaders,
    /// (Recordings) the request carries every required header and query parameter.
    RequestParameters,
    /// (Recordings) the request body validates against its schema.
    RequestSchema,
    /// (Live runs) the generated client's types read the response body.
    ClientTypes,
    /// (Live runs) the status is the one the scenario expects.
    ExpectedStatus,
    /// (Live runs) a webhook delivery is signed and validates against its event's schema.
    Webhook,
}

impl Check {
    /// The check's name, as reports print it.
    pub fn name(self) -> &'static str {
        match self {
            Check::KnownOperation => "known_operation",
            Check::StatusCodeDocumented => "status_code_documented",
            Check::ContentType => "content_type",
            Check::ResponseSchema => "response_schema",
            Check::ErrorBody => "error_body",
            Check::RequiredHeaders => "required_headers",
            Check::RequestParameters => "request_parameters",
            Check::RequestSchema => "request_schema",
            Check::ClientTypes => "client_types",
            Check::ExpectedStatus => "expected_status",
            Check::Webhook => "webhook",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One violation of the contract, with everything needed to find it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Failure {
    /// The check that failed.
    pub check: Check,
    /// The operation id, when the request matched one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    /// The method.
    pub method: String,
    /// The path (without query string).
    pub path: String,
    /// Where in a recording the exchange is (`line 3`, `entry 2, line 40`), for `verify`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// The status answered.
    pub status: u16,
    /// The JSON pointer in the body (request or response), if the failure is about a value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// The schema location and keyword, if a schema failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_location: Option<String>,
    /// The failing keyword, if a schema failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keyword: Option<String>,
    /// What the contract expects.
    pub expected: String,
    /// What was found (personal data masked).
    pub actual: String,
}

/// What checking one exchange found.
#[derive(Clone, Debug, Default)]
pub struct Verdict {
    /// The operation matched, if any.
    pub operation_id: Option<String>,
    /// The checks run.
    pub checks: Vec<Check>,
    /// Every failure.
    pub failures: Vec<Failure>,
    /// The response body would have been checked, but the recording does not hold it.
    pub body_not_recorded: bool,
}

/// Which side of the exchange to check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope {
    /// Check the request too (recordings).
    pub request: bool,
    /// The recording may have had its credentials deleted by the recorder (HAR files:
    /// Chrome's default "sanitized" export removes `Authorization` and `Cookie`), so their
    /// absence is no evidence. Our own cassettes redact values but keep the headers.
    pub credentials_may_be_removed: bool,
}

/// A failure of `check` on an exchange, without a schema location.
pub(crate) fn failure(
    check: Check,
    exchange: &Exchange,
    operation: Option<&Operation>,
    expected: impl Into<String>,
    actual: impl Into<String>,
) -> Failure {
    Failure {
        check,
        operation_id: operation.map(|op| op.id.clone()),
        method: exchange.method.to_uppercase(),
        path: exchange.path_only().to_owned(),
        status: exchange.status,
        pointer: None,
        schema_location: None,
        keyword: None,
        place: None,
        expected: expected.into(),
        actual: actual.into(),
    }
}

fn schema_failure(
    check: Check,
    exchange: &Exchange,
    operation: &Operation,
    error: SchemaError,
) -> Failure {
    Failure::schema(
        check,
        Some(operation.id.clone()),
        exchange.method.to_uppercase(),
        exchange.path_only().to_owned(),
        exchange.status,
        error,
    )
}

impl Failure {
    /// A schema error as a failure: the instance pointer, the schema location and keyword,
    /// the requirement in words and the found value masked.
    pub fn schema(
        check: Check,
        operation_id: Option<String>,
        method: String,
        path: String,
        status: u16,
        error: SchemaError,
    ) -> Failure {
        Failure {
            check,
            operation_id,
            method,
            path,
            status,
            actual: mask(&error.pointer, &error.actual),
            keyword: Some(error.keyword().to_owned()),
            place: None,
            expected: error.requirement.expected(),
            pointer: Some(error.pointer),
            schema_location: Some(error.schema_location),
        }
    }
}

/// Runs every check that applies to one exchange.
pub fn check_exchange(spec: &Spec, exchange: &Exchange, scope: Scope) -> Verdict {
    check_matched(
        spec.operation(&exchange.method, exchange.path_only()),
        exchange,
        scope,
    )
}

/// Runs every check that applies to one exchange whose operation was already looked up
/// (`None`: the request matches no operation of the spec).
pub fn check_matched(operation: Option<&Operation>, exchange: &Exchange, scope: Scope) -> Verdict {
    let mut verdict = Verdict::default();
    verdict.checks.push(Check::KnownOperation);
    let Some(operation) = operation else {
        verdict.failures.push(failure(
            Check::KnownOperation,
            exchange,
            None,
            "a documented operation",
            format!(
                "{} {} matches no operation of the spec",
                exchange.method.to_uppercase(),
                exchange.path_only()
            ),
        ));
        return verdict;
    };
    verdict.operation_id = Some(operation.id.clone());

    if scope.request {
        check_request(exchange, operation, scope, &mut verdict);
    }

    verdict.checks.push(Check::StatusCodeDocumented);
    let Some(response) = operation.response(exchange.status) else {
        let documented: Vec<&str> = operation.responses.keys().map(String::as_str).collect();
        verdict.failures.push(failure(
            Check::StatusCodeDocumented,
            exchange,
            Some(operation),
            format!("one of {}", documented.join(", ")),
            exchange.status.to_string(),
        ));
        return verdict;
    };

    verdict.checks.push(Check::RequiredHeaders);
    for header in &response.required_headers {
        if exchange.response_header(header).is_none() {
            verdict.failures.push(failure(
                Check::RequiredHeaders,
                exchange,
                Some(operation),
                format!("header {header}"),
                "absent",
            ));
        }
    }

    verdict.checks.push(Check::ContentType);
    let content_type = exchange.response_header("content-type").map(|v| {
        v.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    let body_expected = !response.content_types.is_empty();
    match (&content_type, body_expected) {
        (Some(found), true)
            if !response
                .content_types
                .iter()
                .any(|c| c.eq_ignore_ascii_case(found)) =>
        {
            verdict.failures.push(failure(
                Check::ContentType,
                exchange,
                Some(operation),
                response.content_types.join(" or "),
                found.clone(),
            ));
            return verdict;
        }
        (None, true) => {
            verdict.failures.push(failure(
                Check::ContentType,
                exchange,
                Some(operation),
                response.content_types.join(" or "),
                "no content-type",
            ));
            return verdict;
        }
        _ => {}
    }

    let Some(schema) = &response.schema else {
        return verdict;
    };
    let check = if exchange.status < 400 {
        Check::ResponseSchema
    } else {
        Check::ErrorBody
    };
    if !exchange.body_recorded {
        verdict.body_not_recorded = true;
        return verdict;
    }
    verdict.checks.push(check);
    let body: Value = match serde_json::from_str(&exchange.response_body) {
        Ok(body) => body,
        Err(error) => {
            verdict.failures.push(failure(
                check,
                exchange,
                Some(operation),
                "a JSON body",
                format!("not JSON: {error}"),
            ));
            return verdict;
        }
    };
    // The yes/no answer is several times cheaper than collecting errors; most bodies pass.
    if !schema.is_valid(&body) {
        for error in schema.errors(&body) {
            verdict
                .failures
                .push(schema_failure(check, exchange, operation, error));
        }
    }
    verdict
}

/// What a request check's expectation adds: the fault is the API's, for accepting the
/// request.
pub(crate) const ACCEPTED_ANYWAY: &str =
    " (the API accepted a request without it, which the spec says must be rejected)";

/// Request headers that recorders delete, so that a recording without them is no evidence.
const REMOVED_BY_RECORDERS: &[&str] = &["authorization", "cookie"];

/// Request conformance, for recordings. A request that breaks the spec is the client's
/// fault, and the API is right to reject it; it is a violation of the contract only when
/// the API accepted it (answered below 400), because the spec promises such requests fail.
fn check_request(exchange: &Exchange, operation: &Operation, scope: Scope, verdict: &mut Verdict) {
    let accepted = exchange.status < 400;
    verdict.checks.push(Check::RequestParameters);
    if operation.request_body.is_some() {
        verdict.checks.push(Check::RequestSchema);
    }
    if !accepted {
        // What is wrong with a request the API rejected is the client's affair: nothing to
        // look for.
        return;
    }
    let mut found = Vec::new();
    for header in &operation.required_request_headers {
        // Recorders delete credentials (Chrome's default "sanitized" HAR export removes
        // `Authorization` and `Cookie`): their absence from a recording says nothing of what
        // was sent. `run` checks that the API refuses requests without them.
        if scope.credentials_may_be_removed && REMOVED_BY_RECORDERS.contains(&header.as_str()) {
            continue;
        }
        if exchange.request_header(header).is_none() {
            found.push(failure(
                Check::RequestParameters,
                exchange,
                Some(operation),
                format!("request header {header}"),
                "absent",
            ));
        }
    }
    let query = exchange.path.split_once('?').map(|(_, q)| q).unwrap_or("");
    for name in &operation.required_query {
        // Names are compared decoded (`application/x-www-form-urlencoded`: `+` is a space).
        let present = query.split('&').any(|pair| {
            let key = pair.split('=').next().unwrap_or("").replace('+', " ");
            percent_encoding::percent_decode_str(&key).decode_utf8_lossy() == name.as_str()
        });
        if !present {
            found.push(failure(
                Check::RequestParameters,
                exchange,
                Some(operation),
                format!("query parameter {name}"),
                "absent",
            ));
        }
    }
    if let Some(schema) = &operation.request_body {
        match &exchange.request_body {
            Some(body) if !schema.is_valid(body) => {
                for error in schema.errors(body) {
                    found.push(schema_failure(
                        Check::RequestSchema,
                        exchange,
                        operation,
                        error,
                    ));
                }
            }
            Some(_) => {}
            None if operation.request_body_required => {
                found.push(failure(
                    Check::RequestSchema,
                    exchange,
                    Some(operation),
                    "a JSON request body",
                    "none",
                ));
            }
            None => {}
        }
    }
    {
        verdict
            .failures
            .extend(found.into_iter().map(|mut failure| {
                failure.expected = format!("{}{ACCEPTED_ANYWAY}", failure.expected);
                failure
            }));
    }
}
