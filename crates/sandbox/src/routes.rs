//! The HTTP surface: the routes of the catalogue's operations, authentication, rate limits,
//! faults, and the operations' handlers.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{Extension, MatchedPath, Path, RawQuery, Request, State as AxumState};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use balampay_schema::Method as CatalogueMethod;
use balampay_schema::*;
use serde_json::Value;

use crate::app::*;
use crate::context::*;
use crate::error::ApiError;
use crate::extract::*;
use crate::idempotent::*;
use crate::pages::*;
use crate::respond::*;
use crate::state::StoredUser;

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
                    "This API key is over its rate limit of {} per second (in bursts of up to {}); retry after {retry_after} s.",
                    standing.per_second, standing.limit
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

/// The operation id of a matched route: the catalogue row with this method and path
/// template.
pub fn operation_id(method: &Method, template: &str) -> Option<&'static str> {
    catalogue::find(method.as_str(), template).map(|op| op.id.as_str())
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
    let limit = limit(&query, 20, 100)?;
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
    let limit = limit(&query, 20, 100)?;
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
