//! Running a POST once per idempotency key: the first answer is stored with the request's
//! fingerprint and replayed for the same request; another request with the key is a `409`.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use balampay_schema::spec::IDEMPOTENT_REPLAYED_HEADER;
use balampay_schema::*;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::app::*;
use crate::error::ApiError;
use crate::state::{IdempotencyRecord, State};

/// Runs a POST once per idempotency key: a repeat with the same request replays the stored
/// answer, a repeat with another request is a conflict. Only successes are stored, so a
/// request that failed can be corrected and retried with its key.
pub(crate) fn idempotent(
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

pub(crate) fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(method.as_bytes());
    hash.update([0]);
    hash.update(path.as_bytes());
    hash.update([0]);
    hash.update(body);
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn to_value(value: &impl Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|error| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            error.to_string(),
        )
    })
}
