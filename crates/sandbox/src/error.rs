//! Errors as the API answers them: every non-2xx response carries the spec's `ErrorBody`.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use balampay_schema::{ErrorBody, ErrorCode, ErrorDetail, ErrorLocation, FieldErrorCode};

/// The most `details` an error body carries: `maxItems` of `ErrorBody.details` in the spec.
pub const MAX_DETAILS: usize = 100;

/// An error answer: status, code, message and field details. The request id is added when
/// the response is written.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The machine-readable code.
    pub code: ErrorCode,
    /// The message for people.
    pub message: String,
    /// Field-level details.
    pub details: Vec<ErrorDetail>,
    /// Seconds for `Retry-After` (429 only).
    pub retry_after: Option<u32>,
}

impl ApiError {
    /// An error without field details.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
            retry_after: None,
        }
    }

    /// Adds one field detail.
    pub fn with_detail(
        mut self,
        location: ErrorLocation,
        field: impl Into<String>,
        code: FieldErrorCode,
        message: impl Into<String>,
    ) -> Self {
        self.details.push(ErrorDetail {
            location,
            field: field.into(),
            code,
            message: message.into(),
        });
        self
    }

    /// 400 about one field of the path, query or headers.
    pub fn bad_field(
        location: ErrorLocation,
        field: &str,
        code: FieldErrorCode,
        message: impl Into<String>,
    ) -> Self {
        let message = message.into();
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!("{field}: {message}"),
        )
        .with_detail(location, field, code, message)
    }

    /// 400 about query parameters that break their schemas in the spec, one detail each.
    pub fn bad_query(details: Vec<ErrorDetail>) -> Self {
        let message = match details.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} query parameters break their schemas.", many.len()),
        };
        Self {
            status: StatusCode::BAD_REQUEST,
            code: ErrorCode::BadRequest,
            message,
            details,
            retry_after: None,
        }
    }

    /// 404 for an unknown resource.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("No {what} has this id."),
        )
    }

    /// 500 `internal_error`: something on the sandbox's side failed (its data file, say).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            message,
        )
    }

    /// 409 with a code.
    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 422 about one field of the body.
    pub fn invalid_body_field(
        field: &str,
        code: FieldErrorCode,
        message: impl Into<String>,
    ) -> Self {
        Self::validation(vec![ErrorDetail {
            location: ErrorLocation::Body,
            field: field.to_owned(),
            code,
            message: message.into(),
        }])
    }

    /// 422 with details: at most [`MAX_DETAILS`] of them (the spec's `maxItems` of
    /// `ErrorBody.details`), the message giving the total when there are more.
    pub fn validation(mut details: Vec<ErrorDetail>) -> Self {
        let count = details.len();
        let message = if count > MAX_DETAILS {
            details.truncate(MAX_DETAILS);
            format!(
                "The request body has {count} invalid fields; the first {MAX_DETAILS} are listed."
            )
        } else {
            format!(
                "The request body has {count} invalid field{}.",
                if count == 1 { "" } else { "s" }
            )
        };
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: ErrorCode::ValidationFailed,
            message,
            details,
            retry_after: None,
        }
    }

    /// The body of this error with a request id.
    pub fn body(&self, request_id: &str) -> ErrorBody {
        ErrorBody {
            code: self.code,
            message: self.message.clone(),
            details: self.details.clone(),
            request_id: request_id.to_owned(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let request_id = crate::context::current_request_id();
        let mut response = (self.status, axum::Json(self.body(&request_id))).into_response();
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert("retry-after", value);
        }
        response
    }
}
