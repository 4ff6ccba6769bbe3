//! The HTTP surface: routes, authentication, request ids, faults, idempotency, and the
//! parsing of paths, queries and bodies into the API's errors.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{Extension, MatchedPath, Path, RawQuery, Request, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use balampay_schema::Method as CatalogueMethod;
use balampay_schema::spec::{
    IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, REQUEST_ID_HEADER,
};
use balampay_schema::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::{IdempotencyRecord, State, StoredUser};
use crate::validate::Validators;

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Everything the handlers share.
pub struct App {
    pub(crate) state: Mutex<State>,
    pub(crate) validators: Validators,
    pub(crate) limits: crate::serve::Limits,
    pub(crate) rate_limits: crate::ratelimit::RateLimits,
    pub(crate) token: String,
    pub(crate) api_keys: Vec<String>,
    pub(crate) retry: crate::state::RetryPolicy,
    pub(crate) http: reqwest::Client,
}

impl App {
    /// The state, even if a panicking thread poisoned the lock (the state is only changed by
    /// whole steps, so it is consistent).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

type Shared = Arc<App>;

/// The API key a request authenticated with.
#[derive(Clone, Debug)]
pub(crate) struct ApiKey(pub String);

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being answered (for error bodies).
pub fn current_request_id() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "req_unknown".to_owned())
}

/// The handler of each operation. The match is exhaustive: an operation added to the
/// catalogue does not compile until the sandbox implements it. The method and the path come
/// from the catalogue row.
fn handler(operation: &Operation) -> MethodRouter<Shared> {
    let filter = match operation.method {
        CatalogueMethod::Get => MethodFilter::GET,
        CatalogueMethod::Post => MethodFilter::POST,
        CatalogueMethod::Patch => MethodFilter::PATCH,
        CatalogueMethod::Put => MethodFilter::PUT,
        CatalogueMethod::Delete => MethodFilter::DELETE,
    };
    match operation.id {
        OperationId::CreateUser => on(filter, create_user),
        OperationId::ListUsers => on(filter, list_users),
        OperationId::GetUser => on(filter, get_user),
        OperationId::UpdateUser => on(filter, update_user),
        OperationId::CreateVerification => on(filter, create_verification),
        OperationId::ListVerifications => on(filter, list_verifications),
        OperationId::GetVerification => on(filter, get_verification),
    }
}

/// The whole router: every operation of the catalogue at its OpenAPI path template (axum
/// writes path parameters as OpenAPI does, `{userId}`).
pub fn router(app: Shared) -> Router {
    let mut operations = Router::new();
    for operation in OPERATIONS {
        operations = operations.route(operation.path, handler(operation));
    }
    let operations = operations
        .route_layer(middleware::from_fn_with_state(app.clone(), faults))
        .route_layer(middleware::from_fn_with_state(app.clone(), rate_limit));
    let control = crate::control::routes();
    let authenticated = operations
        .merge(control)
        .route_layer(middleware::from_fn_with_state(app.clone(), authenticate));
    authenticated
        .merge(crate::hosted::routes())
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            app.limits,
            crate::serve::protocol_limits,
        ))
        .layer(middleware::from_fn(request_id))
        .with_state(app)
}

async fn request_id(request: Request, next: Next) -> Response {
    let id = format!("req_{}", Uuid::new_v4().simple());
    let mut response = REQUEST_ID.scope(id.clone(), next.run(request)).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

async fn unknown_route() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "No such route.")
}

async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        format!("This route does not accept {method}."),
    )
}

/// Counts the request against its API key's rate limit: over it, `429 rate_limited` with
/// `Retry-After`; either way the answer carries the `x-ratelimit-*` headers.
async fn rate_limit(
    AxumState(app): AxumState<Shared>,
    Extension(ApiKey(api_key)): Extension<ApiKey>,
    request: Request,
    next: Next,
) -> Response {
    use crate::ratelimit::Verdict;
    match app.rate_limits.check(&api_key) {
        Verdict::Unlimited => next.run(request).await,
        Verdict::Allowed(standing) => {
            let mut response = next.run(request).await;
            standing.write(response.headers_mut());
            response
        }
        Verdict::Refused(standing, retry_after) => {
            let mut error = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                format!(
                    "This API key is over its rate limit ({} requests at once); retry after {retry_after} s.",
                    standing.limit
                ),
            );
            error.retry_after = Some(retry_after);
            let mut response = error.into_response();
            standing.write(response.headers_mut());
            response
        }
    }
}

async fn authenticate(
    AxumState(app): AxumState<Shared>,
    mut request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token);
    let key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    let (Some(bearer), Some(key)) = (bearer, key) else {
        let missing = if bearer.is_none() {
            "authorization"
        } else {
            "x-api-key"
        };
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "A valid bearer token and x-api-key are required.",
        )
        .with_detail(
            ErrorLocation::Header,
            missing,
            FieldErrorCode::Required,
            "is required",
        )
        .into_response();
    };
    if bearer != app.token || !app.api_keys.iter().any(|k| k == key) {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "The bearer token or the API key is not valid.",
        )
        .into_response();
    }
    let key = ApiKey(key.to_owned());
    request.extensions_mut().insert(key);
    next.run(request).await
}

/// The token of an `Authorization: Bearer <token>` value. The scheme is case-insensitive
/// and separated from the token by one or more spaces (RFC 9110 §11.1, §11.4).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim_start_matches(' ');
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The operation id of a matched route: the catalogue row with this method and path
/// template.
pub fn operation_id(method: &Method, template: &str) -> Option<&'static str> {
    catalogue::find(method.as_str(), template).map(|op| op.id.as_str())
}

/// The error code the sandbox uses for an injected status.
fn code_for_status(status: StatusCode) -> ErrorCode {
    match status.as_u16() {
        400 => ErrorCode::BadRequest,
        401 => ErrorCode::Unauthorized,
        404 => ErrorCode::NotFound,
        405 => ErrorCode::MethodNotAllowed,
        409 => ErrorCode::IdempotencyKeyInUse,
        413 => ErrorCode::PayloadTooLarge,
        415 => ErrorCode::UnsupportedMediaType,
        422 => ErrorCode::ValidationFailed,
        429 => ErrorCode::RateLimited,
        _ => ErrorCode::InternalError,
    }
}

/// Answers armed faults: an injected error status, or a success body with one value made
/// wrong (for testing contract checkers).
async fn faults(
    AxumState(app): AxumState<Shared>,
    matched: MatchedPath,
    Extension(ApiKey(api_key)): Extension<ApiKey>,
    request: Request,
    next: Next,
) -> Response {
    let operation = operation_id(request.method(), matched.as_str());
    let fault = {
        let mut state = app.lock();
        let found = state.faults.iter().position(|f| {
            f.api_key == api_key && (f.operation.is_none() || f.operation.as_deref() == operation)
        });
        found.map(|index| {
            let fault = state.faults[index].clone();
            if fault.times <= 1 {
                state.faults.remove(index);
            } else {
                state.faults[index].times -= 1;
            }
            fault
        })
    };
    let Some(fault) = fault else {
        return next.run(request).await;
    };
    if fault.delay_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(fault.delay_ms)).await;
    }
    if let Some(status) = fault.status {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut error = ApiError::new(
            status,
            code_for_status(status),
            "Injected by a sandbox fault.",
        );
        if status == StatusCode::TOO_MANY_REQUESTS {
            error.retry_after = Some(1);
        }
        return error.into_response();
    }
    let response = next.run(request).await;
    let Some(corruption) = fault.corrupt else {
        return response;
    };
    if !response.status().is_success() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            "fault: unreadable body",
        )
        .into_response();
    };
    let mut value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    corrupt(&mut value, &corruption.pointer, corruption.value);
    let mut response = Response::from_parts(parts, Body::from(value.to_string()));
    response.headers_mut().remove(header::CONTENT_LENGTH);
    response
}

/// Replaces (or, without a value, removes) the value at a JSON pointer.
fn corrupt(value: &mut Value, pointer: &str, replacement: Option<Value>) {
    match replacement {
        Some(replacement) => {
            if let Some(target) = value.pointer_mut(pointer) {
                *target = replacement;
            }
        }
        None => {
            if let Some((parent, key)) = pointer.rsplit_once('/')
                && let Ok(key) = balampay_openapi::pointer::unescape(key)
                && let Some(Value::Object(object)) = value.pointer_mut(parent)
            {
                object.remove(key.as_ref());
            }
        }
    }
}

/// A JSON answer.
pub(crate) fn json_response(status: StatusCode, value: &impl Serialize) -> Response {
    (status, axum::Json(value)).into_response()
}

/// The path's segments, or a 400 in the error body (axum's own rejection is plain text).
pub(crate) fn path_segments<T>(path: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    path.map(|Path(segments)| segments).map_err(|rejection| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!("The path is not valid: {}.", rejection.body_text()),
        )
    })
}

/// Reads a path id.
pub(crate) fn parse_id(name: &str, text: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(text).map_err(|_| {
        ApiError::bad_field(
            ErrorLocation::Path,
            name,
            FieldErrorCode::InvalidFormat,
            format!("{text:?} is not a UUID"),
        )
    })
}

/// Reads a query string, refusing parameters the operation does not know.
pub(crate) fn parse_query(
    raw: Option<String>,
    allowed: &[&str],
) -> Result<HashMap<String, String>, ApiError> {
    let pairs: Vec<(String, String)> = query_pairs(raw.as_deref().unwrap_or_default())?;
    let mut query = HashMap::new();
    for (name, value) in pairs {
        if !allowed.contains(&name.as_str()) {
            return Err(ApiError::bad_field(
                ErrorLocation::Query,
                &name,
                FieldErrorCode::UnknownField,
                format!(
                    "is not a parameter of this operation (known: {})",
                    allowed.join(", ")
                ),
            ));
        }
        if query.insert(name.clone(), value).is_some() {
            return Err(ApiError::bad_field(
                ErrorLocation::Query,
                &name,
                FieldErrorCode::InvalidValue,
                "is given more than once",
            ));
        }
    }
    Ok(query)
}

/// Splits and percent-decodes a query string; a bad encoding names its parameter.
fn query_pairs(raw: &str) -> Result<Vec<(String, String)>, ApiError> {
    let mut pairs = Vec::new();
    for part in raw.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = part.split_once('=').unwrap_or((part, ""));
        let invalid = |field: &str| {
            ApiError::bad_field(
                ErrorLocation::Query,
                field,
                FieldErrorCode::InvalidFormat,
                "is not valid percent-encoded UTF-8",
            )
        };
        let name = percent_decode(&name.replace('+', " ")).ok_or_else(|| invalid(name))?;
        let value = percent_decode(&value.replace('+', " ")).ok_or_else(|| invalid(&name))?;
        pairs.push((name, value));
    }
    Ok(pairs)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = text.get(index + 1..index + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A page size from the query (1 to 100, default 20).
fn limit(query: &HashMap<String, String>) -> Result<usize, ApiError> {
    match query.get("limit") {
        None => Ok(20),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => Ok(n),
            _ => Err(ApiError::bad_field(
                ErrorLocation::Query,
                "limit",
                FieldErrorCode::OutOfRange,
                "must be a whole number from 1 to 100",
            )),
        },
    }
}

/// A cursor from the query: the position after which the page starts.
///
/// Items are listed newest first by their position key ([`position`]); a cursor is the key
/// of the last item of the previous page, and the next page holds the items whose keys sort
/// before it. Any string is a position in that order (keys are compared as strings), so
/// every cursor the spec allows, a `next_cursor` or not, gives a page, possibly empty, and
/// never an error: the spec says only `type: string`.
pub(crate) fn cursor(query: &HashMap<String, String>) -> Option<&str> {
    query.get("cursor").map(String::as_str)
}

/// The position key of an item created with sequence number `seq`: its decimal digits,
/// zero-padded to the 20 digits of `u64::MAX`, so that string order is creation order.
fn position(seq: u64) -> String {
    format!("{seq:020}")
}

/// An enum value from the query.
fn enum_param<T: DeserializeOwned>(
    query: &HashMap<String, String>,
    name: &str,
) -> Result<Option<T>, ApiError> {
    match query.get(name) {
        None => Ok(None),
        Some(text) => serde_json::from_value(Value::String(text.clone()))
            .map(Some)
            .map_err(|error| {
                ApiError::bad_field(
                    ErrorLocation::Query,
                    name,
                    FieldErrorCode::InvalidValue,
                    error.to_string(),
                )
            }),
    }
}

/// The newest sequence number a page after the cursor `after` may hold: `None` when no
/// cursor was given, `Some(None)` when nothing sorts before the cursor.
///
/// Positions ([`position`]) sort as the numbers they spell, so the sequence numbers before a
/// cursor are all those up to one bound, found by bisection in 64 steps whatever the data.
pub(crate) fn newest_after(after: Option<&str>) -> Option<Option<u64>> {
    let after = after?;
    if position(0).as_str() >= after {
        return Some(None);
    }
    // Invariant: position(low) < after, and position(high + 1) >= after or high is u64::MAX.
    let (mut low, mut high) = (0u64, u64::MAX);
    while low < high {
        let middle = low + (high - low).div_ceil(2);
        if position(middle).as_str() < after {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    Some(Some(low))
}

/// The entries of an ordered index, newest first, after the cursor `after`.
pub(crate) fn newest_first<'i, V>(
    index: Option<&'i BTreeMap<u64, V>>,
    after: Option<&str>,
) -> Box<dyn Iterator<Item = (u64, &'i V)> + 'i> {
    let Some(index) = index else {
        return Box::new(std::iter::empty());
    };
    match newest_after(after) {
        None => Box::new(index.iter().rev().map(|(seq, v)| (*seq, v))),
        Some(None) => Box::new(std::iter::empty()),
        Some(Some(bound)) => Box::new(index.range(..=bound).rev().map(|(seq, v)| (*seq, v))),
    }
}

/// One page of `limit` items from an iterator newest first (already past the cursor and
/// filtered); the next cursor is the last item's position when more items follow. Reads at
/// most `limit + 1` items.
pub(crate) fn page<T>(
    items: impl Iterator<Item = (u64, T)>,
    limit: usize,
) -> (Vec<T>, bool, Option<String>) {
    let mut page = Vec::with_capacity(limit.min(100));
    let mut has_more = false;
    let mut last = None;
    for (seq, item) in items {
        if page.len() == limit {
            has_more = true;
            break;
        }
        last = Some(seq);
        page.push(item);
    }
    let next = if has_more { last.map(position) } else { None };
    (page, has_more, next)
}

/// Reads a JSON body: media type, size and syntax, then the schema of the spec, then the
/// Rust type.
async fn read_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
    app: &App,
    operation: OperationId,
) -> Result<(Bytes, T), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            format!(
                "The request body must be application/json, not {:?}.",
                content_type
            ),
        ));
    }
    let bytes = read_bytes(body, app.limits.body_read_timeout).await?;
    let value = crate::json::parse(&bytes)?;
    app.validators
        .validate(operation, &value)
        .map_err(ApiError::validation)?;
    let typed = crate::json::typed(value)?;
    Ok((bytes, typed))
}

/// Reads a request body of at most [`MAX_BODY_BYTES`] within `timeout`.
///
/// # Errors
/// `413 payload_too_large` for a larger body; `400 bad_request` for a body that is cut off
/// or malformed in transit (a broken chunked encoding, say) or that does not arrive in time.
async fn read_bytes(mut body: Body, timeout: std::time::Duration) -> Result<Bytes, ApiError> {
    use http_body_util::BodyExt as _;
    let read = async {
        let mut bytes: Vec<u8> = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::BadRequest,
                    "The request body could not be read: it is cut off or its transfer encoding is malformed.",
                )
            })?;
            if let Ok(data) = frame.into_data() {
                if bytes.len() + data.len() > MAX_BODY_BYTES {
                    return Err(ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        ErrorCode::PayloadTooLarge,
                        "The request body is larger than 1 MiB.",
                    ));
                }
                bytes.extend_from_slice(&data);
            }
        }
        Ok(Bytes::from(bytes))
    };
    match tokio::time::timeout(timeout, read).await {
        Ok(result) => result,
        Err(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!(
                "The request body did not arrive within {} s.",
                timeout.as_secs_f64()
            ),
        )),
    }
}

/// Checks the `idempotency-key` header of a POST.
fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY_HEADER) else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::IdempotencyKeyMissing,
            "The idempotency-key header is required on POST requests.",
        )
        .with_detail(
            ErrorLocation::Header,
            "idempotency-key",
            FieldErrorCode::Required,
            "is required on every POST",
        ));
    };
    let key = value.to_str().unwrap_or_default();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(ApiError::bad_field(
            ErrorLocation::Header,
            "idempotency-key",
            FieldErrorCode::InvalidFormat,
            "must be 1 to 255 printable ASCII characters without spaces",
        ));
    }
    Ok(key.to_owned())
}

/// Runs a POST once per idempotency key: a repeat with the same request replays the stored
/// answer, a repeat with another request is a conflict. Only successes are stored, so a
/// request that failed can be corrected and retried with its key.
fn idempotent(
    app: &App,
    api_key: &str,
    key: &str,
    fingerprint: String,
    run: impl FnOnce(&mut State) -> Result<(StatusCode, Value), ApiError>,
) -> Result<Response, ApiError> {
    let mut state = app.lock();
    let id = format!("{api_key}\u{1f}{key}");
    if let Some(record) = state.idempotency.get(&id) {
        if record.fingerprint != fingerprint {
            return Err(ApiError::conflict(
                ErrorCode::IdempotencyKeyReused,
                "This idempotency key was used with a different request.",
            )
            .with_detail(
                ErrorLocation::Header,
                "idempotency-key",
                FieldErrorCode::Conflict,
                "was used with a different request",
            ));
        }
        let mut response = Response::new(Body::from(record.body.clone()));
        *response.status_mut() = StatusCode::from_u16(record.status).unwrap_or(StatusCode::OK);
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
            .headers_mut()
            .insert(IDEMPOTENT_REPLAYED_HEADER, HeaderValue::from_static("true"));
        return Ok(response);
    }
    // The operation and its idempotency record are saved together or not at all.
    let (status, body) = state.atomically(|state| {
        let (status, value) = run(state)?;
        let body = value.to_string();
        let seq = state.next_seq();
        let record = IdempotencyRecord {
            id: id.clone(),
            fingerprint,
            status: status.as_u16(),
            body: body.clone(),
            seq,
        };
        state.persist("idempotency", &id, seq, &record)?;
        state.idempotency.insert(id, Box::new(record));
        Ok((status, body))
    })?;
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(method.as_bytes());
    hash.update([0]);
    hash.update(path.as_bytes());
    hash.update([0]);
    hash.update(body);
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn to_value(value: &impl Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|error| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            error.to_string(),
        )
    })
}

async fn create_user(
    AxumState(app): AxumState<Shared>,
    Extension(ApiKey(api_key)): Extension<ApiKey>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let (bytes, request): (Bytes, CreateUserRequest) =
        read_body(&headers, body, &app, OperationId::CreateUser).await?;
    idempotent(
        &app,
        &api_key,
        &key,
        fingerprint("POST", "/v1/users", &bytes),
        |state| {
            let user = state.create_user(&api_key, request)?;
            Ok((StatusCode::CREATED, to_value(&user)?))
        },
    )
}

async fn get_user(
    AxumState(app): AxumState<Shared>,
    Extension(ApiKey(api_key)): Extension<ApiKey>,
    user_id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let user_id = parse_id("userId", &path_segments(user_id)?)?;
    let state = app.lock();
    Ok(json_response(
        StatusCode::OK,
        &state.user(&api_key, user_id)?.user,
    ))
}

async fn update_user(
    AxumState(app): AxumState<Shared>,
    Extension(ApiKey(api_key)): Extension<ApiKey>,
    user_id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let user_id = parse_id("userId", &path_segments(user_id)?)?;
    let (_, request): (Bytes, UpdateUserRequest) =
        read_body(&headers, body, &app, OperationId::UpdateUser).await?;
    let user = app
        .lock()
        .atomically(|state| state.update_user(&api_key, user_id, request))?;
    Ok(json_response(StatusCode::OK, &user))
}

async fn list_users(
    AxumState(app): AxumState<Shared>,
    Extension(ApiKey(api_key)): Extension<ApiKey>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_query(
        raw,
        &[
            "limit",
            "cursor",
            "type",
            "status",
            "verification_status",
            "email",
        ],
    )?;
    app.validators
        .validate_query(OperationId::ListUsers, &query)
        .map_err(ApiError::bad_query)?;
    let limit = limit(&query)?;
    let after = cursor(&query);
    let user_type: Option<UserType> = enum_param(&query, "type")?;
    let status: Option<UserStatus> = enum_param(&query, "status")?;
    let verification: Option<VerificationStatus> = enum_param(&query, "verification_status")?;
    let email = query.get("email");
    let state = app.lock();
    let keep = |stored: &StoredUser| {
        stored.api_key == api_key
            && user_type.is_none_or(|t| stored.user.user_type() == t)
            && status.is_none_or(|s| stored.user.status() == s)
            && verification.is_none_or(|s| stored.user.verification_status() == s)
    };
    let (data, has_more, next_cursor) = match email {
        // At most one user has an email: one lookup instead of a walk.
        Some(email) => {
            let owner = state
                .user_by_email(&api_key, email)
                .filter(|stored| keep(stored))
                .filter(|stored| {
                    newest_after(after).is_none_or(|bound| bound.is_some_and(|b| stored.seq <= b))
                });
            page(
                owner
                    .map(|stored| (stored.seq, stored.user.clone()))
                    .into_iter(),
                limit,
            )
        }
        None => page(
            newest_first(state.user_order.get(&api_key), after)
                .filter_map(|(seq, id)| state.users.get(id).map(|stored| (seq, stored)))
                .filter(|(_, stored)| keep(stored))
                .map(|(seq, stored)| (seq, stored.user.clone())),
            limit,
        ),
    };
    Ok(json_response(
        StatusCode::OK,
        &UserList {
            data,
            has_more,
            next_cursor,
        },
    ))
}

async fn create_verification(
    AxumState(app): AxumState<Shared>,
    Extension(ApiKey(api_key)): Extension<ApiKey>,
    user_id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let user_id = parse_id("userId", &path_segments(user_id)?)?;
    let key = idempotency_key(&headers)?;
    let (bytes, request): (Bytes, CreateVerificationRequest) =
        read_body(&headers, body, &app, OperationId::CreateVerification).await?;
    let path = format!("/v1/users/{user_id}/verifications");
    idempotent(
        &app,
        &api_key,
        &key,
        fingerprint("POST", &path, &bytes),
        |state| {
            let verification = state.create_verification(&api_key, user_id, request)?;
            Ok((StatusCode::CREATED, to_value(&verification)?))
        },
    )
}

async fn get_verification(
    AxumState(app): AxumState<Shared>,
    Extension(ApiKey(api_key)): Extension<ApiKey>,
    ids: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let (user_id, verification_id) = path_segments(ids)?;
    let user_id = parse_id("userId", &user_id)?;
    let verification_id = parse_id("verificationId", &verification_id)?;
    let state = app.lock();
    state.user(&api_key, user_id)?;
    match state.verifications.get(&verification_id) {
        Some(stored) if stored.verification.user_id == user_id => {
            Ok(json_response(StatusCode::OK, &stored.verification))
        }
        _ => Err(ApiError::not_found("verification session of this user")),
    }
}

async fn list_verifications(
    AxumState(app): AxumState<Shared>,
    Extension(ApiKey(api_key)): Extension<ApiKey>,
    user_id: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let user_id = parse_id("userId", &path_segments(user_id)?)?;
    let query = parse_query(raw, &["limit", "cursor", "status"])?;
    app.validators
        .validate_query(OperationId::ListVerifications, &query)
        .map_err(ApiError::bad_query)?;
    let limit = limit(&query)?;
    let after = cursor(&query);
    let status: Option<VerificationStatus> = enum_param(&query, "status")?;
    let state = app.lock();
    state.user(&api_key, user_id)?;
    let (data, has_more, next_cursor) = page(
        newest_first(state.verification_order.get(&user_id), after)
            .filter_map(|(seq, id)| state.verifications.get(id).map(|stored| (seq, stored)))
            .filter(|(_, stored)| status.is_none_or(|s| stored.verification.status == s))
            .map(|(seq, stored)| (seq, stored.verification.clone())),
        limit,
    );
    Ok(json_response(
        StatusCode::OK,
        &VerificationList {
            data,
            has_more,
            next_cursor,
        },
    ))
}

/// An error of a control route, in the API's error body like every other error.
pub(crate) fn control_error(status: StatusCode, message: impl Into<String>) -> ApiError {
    ApiError::new(status, code_for_status(status), message)
}

/// An empty `204` answer.
pub(crate) fn no_content() -> Response {
    (StatusCode::NO_CONTENT, Body::empty()).into_response()
}

/// Serializes a control answer.
pub(crate) fn control_json(value: Value) -> Response {
    json_response(StatusCode::OK, &value)
}
