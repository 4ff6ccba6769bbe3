//! The sandbox-only control API under `/sandbox/` (not part of the published spec): webhook
//! endpoints, the delivery log, forced verification outcomes, account statuses and faults.
//! It takes the same credentials as the API and sees only the API key's own data.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Extension, Path, RawQuery, State as AxumState};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use balampay_schema::{UserStatus, VerificationStatus};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::app::{ApiKey, App};
use crate::error::ApiError;
use crate::extract::{limit, parse_id, parse_query, path_segments};
use crate::pages::{cursor, newest_first, page};
use crate::respond::{control_error, control_json, json_response, no_content};
use crate::state::{Endpoint, Fault, Outcome, Step};

type Shared = Arc<App>;

/// The control routes.
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route(
            "/sandbox/webhook-endpoints",
            post(add_endpoint).get(list_endpoints),
        )
        .route("/sandbox/deliveries", get(list_deliveries))
        .route(
            "/sandbox/verifications/{verification_id}/outcome",
            post(force_outcome),
        )
        .route("/sandbox/users/{user_id}/status", post(set_user_status))
        .route("/sandbox/faults", post(arm_fault).delete(clear_faults))
        .route(
            "/sandbox/rate-limit",
            get(get_rate_limit)
                .post(set_rate_limit)
                .delete(reset_rate_limit),
        )
}

/// Reads a control request's JSON body as the API's bodies are read (size limit, read
/// timeout, a malformed transfer a `400`, a repeated key a `400`), with the error body.
async fn parse<T: DeserializeOwned>(app: &App, body: Body) -> Result<T, ApiError> {
    let bytes = crate::extract::read_bytes(body, app.limits.body_read_timeout).await?;
    let value = crate::json::parse(&bytes)?;
    serde_json::from_value(value).map_err(|error| {
        control_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("invalid body: {error}"),
        )
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewEndpoint {
    url: String,
}

/// A fresh `whsec_` secret: 32 random bytes, base64.
fn new_secret() -> String {
    use base64::Engine as _;
    let mut bytes = Vec::with_capacity(32);
    bytes.extend_from_slice(Uuid::new_v4().as_bytes());
    bytes.extend_from_slice(Uuid::new_v4().as_bytes());
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

async fn add_endpoint(
    AxumState(app): AxumState<Shared>,
    Extension(ApiKey(api_key)): Extension<ApiKey>,
    body: Body,
) -> Result<Response, ApiError> {
    let request: NewEndpoint = parse(&app, body).await?;
    let valid = reqwest::Url::parse(&request.url)
        .is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.has_host());
    if !valid {
        return Err(control_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("url {:?} is not an absolute http(s) URL", request.url),
        ));
    }
    let mut state = app.lock();
    let seq = state.next_seq();
    let endpoint = Endpoint {
        id: format!("ep_{}", Uuid::new_v4().simple()),
        api_key: api_key.clone(),
        url: request.url,
        secret: new_secret(),
        seq,
    };
    state.atomically(|state| {
        state.persist("endpoint", &endpoint.id, seq, &endpoint)?;
        state.endpoints.push(endpoint.clone());
        Ok(())
    })?;
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"id": endpoint.id, "url": endpoint.url, "secret": endpoint.secret}),
    ))
}

async fn list_endpoints(
    AxumState(app): AxumState<Shared>,
    Extension(ApiKey(api_key)): Extension<ApiKey>,
) -> Response {
    let state = app.lock();
    let data: Vec<Value> = state
        .endpoints
        .iter()
        .filter(|e| e.api_key == api_key)
        .map(|e| json!({"id": e.id, "url": e.url, "secret": e.secret}))
        .collect();
    control_json(json!({"data": data}))
}

/// The most deliveries one page of the log holds, and the default.
const DELIVERIES_MAX_LIMIT: usize = 1000;
const DELIVERIES_DEFAULT_LIMIT: usize = 100;

/// `GET /sandbox/deliveries[?limit=N&cursor=C]`: the delivery log, newest first, in pages
/// like the API's lists (`data`, `has_more`, `next_cursor`; `limit` 1 to 1000, default
/// 100), so that its size does not grow with the data.
async fn list_deliveries(
    AxumState(app): AxumState<Shared>,
    Extension(ApiKey(api_key)): Extension<ApiKey>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_query(raw, &["limit", "cursor"])?;
    let limit = limit(&query, DELIVERIES_DEFAULT_LIMIT, DELIVERIES_MAX_LIMIT)?;
    let state = app.lock();
    let (data, has_more, next_cursor) = page(
        newest_first(state.delivery_order.get(&api_key), cursor(&query)).filter_map(
            |(seq, index)| {
                let d = state.deliveries.get(*index)?;
                Some((
                    seq,
                    json!({
                        "id": d.id,
                        "endpoint_id": d.endpoint_id,
                        "event": d.event,
                        "state": d.state,
                        "attempts": d.attempts,
                        "payload": serde_json::from_str::<Value>(&d.payload).unwrap_or(Value::Null),
                    }),
                ))
            },
        ),
        limit,
    );
    let mut body = json!({"data": data, "has_more": has_more});
    // Absent rather than null when there is no next page, as in the API's lists.
    if let Some(next) = next_cursor {
        body["next_cursor"] = Value::String(next);
    }
    Ok(control_json(body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForcedOutcome {
    status: VerificationStatus,
    reason: Option<String>,
}

async fn force_outcome(
    AxumState(app): AxumState<Shared>,
    Extension(ApiKey(api_key)): Extension<ApiKey>,
    verification_id: Result<Path<String>, PathRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    let id = parse_id("verificationId", &path_segments(verification_id)?)?;
    let request: ForcedOutcome = parse(&app, body).await?;
    let mut state = app.lock();
    let stored = state
        .verifications
        .get(&id)
        .filter(|v| v.api_key == api_key)
        .ok_or_else(|| ApiError::not_found("verification session"))?;
    if !matches!(
        stored.verification.status,
        VerificationStatus::Pending | VerificationStatus::UnderReview
    ) {
        return Err(control_error(
            StatusCode::CONFLICT,
            "the session has already ended",
        ));
    }
    let reason = request
        .reason
        .unwrap_or_else(|| "Your information could not be verified".to_owned());
    let step = match request.status {
        VerificationStatus::Verified => Step::Finish(Outcome::Verified),
        VerificationStatus::Rejected => Step::Finish(Outcome::Rejected {
            reason,
            developer_reason: "Forced through the sandbox control API.".to_owned(),
        }),
        VerificationStatus::UnderReview => Step::Review {
            then: Outcome::Verified,
        },
        other => {
            return Err(control_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("status must be verified, rejected or under_review, not {other:?}"),
            ));
        }
    };
    let verification = state.atomically(|state| state.apply(id, step))?;
    Ok(json_response(StatusCode::OK, &verification))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewStatus {
    status: UserStatus,
}

async fn set_user_status(
    AxumState(app): AxumState<Shared>,
    Extension(ApiKey(api_key)): Extension<ApiKey>,
    user_id: Result<Path<String>, PathRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    let id = parse_id("userId", &path_segments(user_id)?)?;
    let request: NewStatus = parse(&app, body).await?;
    let mut state = app.lock();
    state.user(&api_key, id)?;
    let user = state.atomically(|state| {
        let Some(stored) = state.users.get_mut(&id) else {
            return Err(ApiError::not_found("user"));
        };
        stored.user.set_status(
            request.status,
            crate::state::timestamp(crate::state::now_ms()),
        );
        let user = stored.user.clone();
        state.save_user(id)?;
        Ok(user)
    })?;
    Ok(json_response(StatusCode::OK, &user))
}

async fn arm_fault(
    AxumState(app): AxumState<Shared>,
    Extension(ApiKey(api_key)): Extension<ApiKey>,
    body: Body,
) -> Result<Response, ApiError> {
    let mut fault: Fault = parse(&app, body).await?;
    fault.api_key = api_key;
    // Fault targets are the catalogue's operation ids, so a fault can aim at every
    // operation the sandbox routes, and at nothing else.
    let known: Vec<&str> = balampay_schema::OPERATIONS
        .iter()
        .map(|op| op.id.as_str())
        .collect();
    if let Some(operation) = &fault.operation
        && balampay_schema::OperationId::parse(operation).is_none()
    {
        return Err(control_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("operation {operation:?} is not one of {}", known.join(", ")),
        ));
    }
    if fault.times == 0 {
        return Err(control_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "times must be at least 1",
        ));
    }
    if let Some(corrupt) = &fault.corrupt
        && !(corrupt.pointer.is_empty() || corrupt.pointer.starts_with('/'))
    {
        return Err(control_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "corrupt.pointer {:?} is not a JSON pointer (it starts with /)",
                corrupt.pointer
            ),
        ));
    }
    if fault.status.is_some() && fault.corrupt.is_some() {
        return Err(control_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "give at most one of `status` and `corrupt`",
        ));
    }
    if fault.status.is_none() && fault.corrupt.is_none() && fault.delay_ms == 0 {
        return Err(control_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "give `status`, `corrupt` or `delay_ms`",
        ));
    }
    if fault.delay_ms > 60_000 {
        return Err(control_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "delay_ms is at most 60000",
        ));
    }
    if let Some(status) = fault.status
        && !(400..=599).contains(&status)
    {
        return Err(control_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "status must be an error status (400 to 599)",
        ));
    }
    app.lock().faults.push(fault);
    Ok(no_content())
}

async fn clear_faults(
    AxumState(app): AxumState<Shared>,
    Extension(ApiKey(api_key)): Extension<ApiKey>,
) -> Response {
    app.lock().faults.retain(|fault| fault.api_key != api_key);
    no_content()
}

/// The rate limit of a key as the control API shows it.
fn rate_limit_json(limit: Option<crate::ratelimit::RateLimit>) -> Value {
    match limit {
        Some(limit) => {
            json!({"requests_per_second": limit.requests_per_second, "burst": limit.burst})
        }
        None => json!({"requests_per_second": null, "burst": null}),
    }
}

/// `GET /sandbox/rate-limit`: the key's rate limit (nulls when there is none).
async fn get_rate_limit(
    AxumState(app): AxumState<Shared>,
    Extension(ApiKey(api_key)): Extension<ApiKey>,
) -> Response {
    control_json(rate_limit_json(app.rate_limits.limit_of(&api_key)))
}

/// `POST /sandbox/rate-limit` `{"requests_per_second": N, "burst": M}`: sets the key's rate
/// limit, with a full bucket, so that a test can meet `429` on purpose.
async fn set_rate_limit(
    AxumState(app): AxumState<Shared>,
    Extension(ApiKey(api_key)): Extension<ApiKey>,
    body: Body,
) -> Result<Response, ApiError> {
    let limit: crate::ratelimit::RateLimit = parse(&app, body).await?;
    app.rate_limits.set(&api_key, Some(limit));
    Ok(control_json(rate_limit_json(Some(limit))))
}

/// `DELETE /sandbox/rate-limit`: the key is back to the sandbox's default limit.
async fn reset_rate_limit(
    AxumState(app): AxumState<Shared>,
    Extension(ApiKey(api_key)): Extension<ApiKey>,
) -> Response {
    app.rate_limits.set(&api_key, None);
    no_content()
}
