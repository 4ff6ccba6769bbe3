//! The one error body of every non-2xx response.
//!
//! One schema for every error status keeps generated clients simple (progenitor supports one
//! error type per operation) and lets partners handle errors in one place: `code` is for
//! programs, `message` for people, `details` for forms, `request_id` for support.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What went wrong, in a form programs can branch on. Each code belongs to one HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the request is malformed: JSON that does not parse, a bad path id, query
    /// parameter or header.
    BadRequest,
    /// 400: a POST came without an `idempotency-key` header.
    IdempotencyKeyMissing,
    /// 401: the bearer token or the API key is missing or not valid.
    Unauthorized,
    /// 404: no such route, or no such user or verification for this API key.
    NotFound,
    /// 405: the route exists but not with this method.
    MethodNotAllowed,
    /// 409: the idempotency key was used before with a different request.
    IdempotencyKeyReused,
    /// 409: the idempotency key's first request is still being processed.
    IdempotencyKeyInUse,
    /// 409: another user of this API key already has this email.
    EmailTaken,
    /// 409: the user has a verification session that is still `pending` or `under_review`.
    VerificationInProgress,
    /// 409: the user is already verified.
    AlreadyVerified,
    /// 409: the user is suspended or closed.
    UserNotActive,
    /// 409: the request is for the other type of user (a `type` or KYC data that is not the
    /// user's); a user's type never changes.
    UserTypeMismatch,
    /// 413: the request body is larger than 1 MiB.
    PayloadTooLarge,
    /// 415: the request body is not `application/json`.
    UnsupportedMediaType,
    /// 422: the JSON body parses but breaks the schema or a business rule; see `details`.
    ValidationFailed,
    /// 429: too many requests; retry after the `Retry-After` header's seconds.
    RateLimited,
    /// 500: an error on BalamPay's side; safe to retry with the same idempotency key.
    InternalError,
}

/// Which part of the request an [`ErrorDetail`] points into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorLocation {
    /// The JSON body; `field` is a JSON pointer.
    Body,
    /// The query string; `field` is the parameter's name.
    Query,
    /// The path; `field` is the parameter's name.
    Path,
    /// A header; `field` is the header's name, lower case.
    Header,
}

/// What is wrong with one field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldErrorCode {
    /// A required field is absent.
    Required,
    /// A field that the schema does not know.
    UnknownField,
    /// The JSON type is wrong (a number where a string belongs, `null`, …).
    InvalidType,
    /// A string does not have the required format or pattern.
    InvalidFormat,
    /// The value is not one of the allowed values.
    InvalidValue,
    /// A string, array or object is shorter or smaller than allowed.
    TooShort,
    /// A string, array or object is longer or larger than allowed.
    TooLong,
    /// A number is outside its allowed range.
    OutOfRange,
    /// The value conflicts with the stored resource (for example another user's email).
    Conflict,
}

/// What is wrong with one field of the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct ErrorDetail {
    /// Which part of the request holds the field.
    pub location: ErrorLocation,
    /// The field: a JSON pointer into the body (`/address/postal_code`, `""` for the whole
    /// body), or the name of a query parameter, path parameter or header.
    #[schema(max_length = 500, example = "/phone_number")]
    #[schemars(length(max = 500))]
    pub field: String,
    /// What is wrong, for programs.
    pub code: FieldErrorCode,
    /// What is wrong, for people.
    #[schema(
        min_length = 1,
        max_length = 1000,
        example = "must be an E.164 phone number such as +573013185684"
    )]
    #[schemars(length(min = 1, max = 1000))]
    pub message: String,
}

/// The body of every non-2xx response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct ErrorBody {
    /// What went wrong, for programs.
    pub code: ErrorCode,
    /// What went wrong, for people (English; may change between releases).
    #[schema(
        min_length = 1,
        max_length = 1000,
        example = "The request body has 1 invalid field."
    )]
    #[schemars(length(min = 1, max = 1000))]
    pub message: String,
    /// Field-level problems; empty when the error is not about particular fields.
    #[schema(max_items = 100)]
    #[schemars(length(max = 100))]
    pub details: Vec<ErrorDetail>,
    /// The id of the request, as in the `x-request-id` response header; quote it to support.
    #[schema(min_length = 1, max_length = 100, example = "req_7f3c2a9e41b84d0c")]
    #[schemars(length(min = 1, max = 100))]
    pub request_id: String,
}
