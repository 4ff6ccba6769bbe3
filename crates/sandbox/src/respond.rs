//! Writing answers: JSON bodies, empty `204`s, and the error code of a status for the
//! control API's errors.

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use balampay_schema::*;
use serde::Serialize;
use serde_json::Value;

use crate::error::ApiError;

/// The error code the sandbox uses for an injected status.
pub(crate) fn code_for_status(status: StatusCode) -> ErrorCode {
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

/// A JSON answer.
pub(crate) fn json_response(status: StatusCode, value: &impl Serialize) -> Response {
    (status, axum::Json(value)).into_response()
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
