//! Reading requests into the API's terms: path ids, query strings, the `Authorization`
//! header, the `idempotency-key` header and JSON bodies (media type, size, time, syntax,
//! the spec's schema, the Rust type), each failure as the API's error.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::{HeaderMap, StatusCode, header};
use balampay_schema::spec::IDEMPOTENCY_KEY_HEADER;
use balampay_schema::*;
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

use crate::app::*;
use crate::error::ApiError;

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The token of an `Authorization: Bearer <token>` value. The scheme is case-insensitive
/// and separated from the token by one or more spaces (RFC 9110 §11.1, §11.4).
pub(crate) fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim_start_matches(' ');
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
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
pub(crate) fn query_pairs(raw: &str) -> Result<Vec<(String, String)>, ApiError> {
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

pub(crate) fn percent_decode(text: &str) -> Option<String> {
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

/// A page size from the query's `limit`: a whole number from 1 to `max`, `default` when
/// absent.
pub(crate) fn limit(
    query: &HashMap<String, String>,
    default: usize,
    max: usize,
) -> Result<usize, ApiError> {
    match query.get("limit") {
        None => Ok(default),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            // Not a number at all is a type error; a number outside the range is a range error.
            result => Err(ApiError::bad_field(
                ErrorLocation::Query,
                "limit",
                if result.is_ok() || text.bytes().all(|b| b.is_ascii_digit()) {
                    FieldErrorCode::OutOfRange
                } else {
                    FieldErrorCode::InvalidType
                },
                format!("must be a whole number from 1 to {max}"),
            )),
        },
    }
}

/// An enum value from the query.
pub(crate) fn enum_param<T: DeserializeOwned>(
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

/// Reads a JSON body: media type, size and syntax, then the schema of the spec, then the
/// Rust type.
pub(crate) async fn read_body<T: DeserializeOwned>(
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
pub(crate) async fn read_bytes(
    mut body: Body,
    timeout: std::time::Duration,
) -> Result<Bytes, ApiError> {
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
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_case_insensitive_and_needs_a_token() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("BEARER   abc"), Some("abc"));
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearerabc"), None);
    }

    #[test]
    fn query_strings_are_percent_decoded_and_checked() {
        let query = parse_query(
            Some("email=a%40b.com&limit=2".to_owned()),
            &["email", "limit"],
        )
        .expect("reads");
        assert_eq!(query.get("email").map(String::as_str), Some("a@b.com"));
        let unknown = parse_query(Some("colour=red".to_owned()), &["email"]).expect_err("unknown");
        assert_eq!(unknown.details[0].field, "colour");
        let twice = parse_query(Some("limit=1&limit=2".to_owned()), &["limit"]).expect_err("twice");
        assert_eq!(twice.details[0].field, "limit");
        let bad = parse_query(Some("email=%ZZ".to_owned()), &["email"]).expect_err("bad encoding");
        assert_eq!(bad.details[0].field, "email");
    }
}
