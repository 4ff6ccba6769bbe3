//! Receiving webhooks: verify a delivery's signature, then parse its body into one typed
//! enum.
//!
//! Deliveries are signed the Standard Webhooks way: the `webhook-signature` header holds
//! space-separated `v1,<base64>` signatures, each an HMAC-SHA256 of
//! `<webhook-id>.<webhook-timestamp>.<body>` keyed with the base64 part of the endpoint's
//! `whsec_` secret.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::types;
use crate::unions::tagged_union;

tagged_union! {
    /// Any webhook delivery, told apart by `event`.
    WebhookEvent by "event" {
        /// `user.created`: a user was created.
        "user.created" => UserCreated(types::UserCreatedEvent),
        /// `user.verification.accepted`: a verification was approved.
        "user.verification.accepted" => VerificationAccepted(types::VerificationAcceptedEvent),
        /// `user.verification.failed`: a verification was rejected.
        "user.verification.failed" => VerificationFailed(types::VerificationFailedEvent),
    }
    unknown =>
        /// An event type this version of the client does not know: the API promises that new
        /// event types may appear in any minor version. Acknowledge it (or ignore it); its
        /// `tag` is the `event` and its `value` the whole body.
        Unknown
}

/// Why a webhook body could not be read as an event.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The body is not JSON; `line` and `column` say where it breaks.
    #[error("webhook body is not JSON (line {line}, column {column}): {message}")]
    NotJson {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the JSON parser said.
        message: String,
    },
    /// The body is JSON but not an envelope `{"event": "...", "data": {...}}`.
    #[error("webhook body is not an event envelope: {0}")]
    NotAnEnvelope(String),
    /// The payload does not match its event's schema: `path` says where.
    #[error("invalid {event} payload at `{path}`: {message}")]
    InvalidPayload {
        /// The event named by the envelope.
        event: String,
        /// Where in the body the problem is, as a dotted path (`data.reasons[0].created_at`).
        path: String,
        /// What is wrong there.
        message: String,
    },
}

/// Parses a raw webhook body into a typed event.
pub fn parse_event(body: &[u8]) -> Result<WebhookEvent, ParseError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|error| ParseError::NotJson {
            line: error.line(),
            column: error.column(),
            message: error.to_string(),
        })?;
    let event = match value.get("event") {
        _ if !value.is_object() => {
            return Err(ParseError::NotAnEnvelope(
                "the body is not a JSON object".into(),
            ));
        }
        None => {
            return Err(ParseError::NotAnEnvelope(
                "it has no `event` property".into(),
            ));
        }
        Some(serde_json::Value::String(event)) => event.clone(),
        Some(_) => return Err(ParseError::NotAnEnvelope("`event` is not a string".into())),
    };
    if !WebhookEvent::TAGS.contains(&event.as_str()) {
        // New event types may appear in any minor version: kept, not refused.
        return Ok(WebhookEvent::Unknown(crate::unions::Unknown {
            tag: event,
            value,
        }));
    }
    // Deserializing the branch through serde_path_to_error gives the exact place of a
    // problem, which serde's own errors do not.
    let invalid =
        |error: serde_path_to_error::Error<serde_json::Error>| ParseError::InvalidPayload {
            event: event.clone(),
            path: error.path().to_string(),
            message: error.inner().to_string(),
        };
    match event.as_str() {
        "user.created" => serde_path_to_error::deserialize(&value)
            .map(WebhookEvent::UserCreated)
            .map_err(invalid),
        "user.verification.accepted" => serde_path_to_error::deserialize(&value)
            .map(WebhookEvent::VerificationAccepted)
            .map_err(invalid),
        _ => serde_path_to_error::deserialize(&value)
            .map(WebhookEvent::VerificationFailed)
            .map_err(invalid),
    }
}

/// An endpoint's signing secret (`whsec_<base64>`). Its `Debug` output never shows the key.
#[derive(Clone)]
pub struct WebhookSecret {
    key: Vec<u8>,
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

/// Why a delivery's signature was not accepted. No variant carries the secret or a
/// signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The secret is not `whsec_` followed by base64.
    #[error("the webhook secret is not `whsec_` followed by base64")]
    InvalidSecret,
    /// A required header is absent or not ASCII (`webhook-id`, `webhook-timestamp`,
    /// `webhook-signature`).
    #[error("the {0} header is missing or not ASCII")]
    MissingHeader(&'static str),
    /// `webhook-timestamp` is not a whole number of seconds.
    #[error("webhook-timestamp is not a whole number of seconds")]
    InvalidTimestamp,
    /// The timestamp is further from now than the tolerance (a replay, or a skewed clock).
    #[error("webhook-timestamp is {age_seconds} s away from now, outside the tolerance")]
    TimestampOutOfTolerance {
        /// How far from now, in seconds (positive: in the past).
        age_seconds: i64,
    },
    /// No `v1` signature in the header matches the body.
    #[error("no v1 signature in webhook-signature matches the body")]
    NoMatchingSignature,
}

/// How far a delivery's timestamp may be from the receiver's clock.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

impl WebhookSecret {
    /// Reads a `whsec_<base64>` secret.
    pub fn new(secret: &str) -> Result<Self, SignatureError> {
        let encoded = secret
            .strip_prefix("whsec_")
            .ok_or(SignatureError::InvalidSecret)?;
        let key = BASE64
            .decode(encoded)
            .map_err(|_| SignatureError::InvalidSecret)?;
        if key.is_empty() {
            return Err(SignatureError::InvalidSecret);
        }
        Ok(Self { key })
    }

    /// The `v1,<base64>` signature of a delivery (what a sender puts in `webhook-signature`).
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        format!(
            "v1,{}",
            BASE64.encode(self.mac(id, timestamp, body).finalize().into_bytes())
        )
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!());
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// Verifies a delivery's headers against its raw body, with the receiver's clock and
    /// [`DEFAULT_TOLERANCE`]. `header` looks a header up by its lower-case name.
    pub fn verify<'h>(
        &self,
        header: impl Fn(&str) -> Option<&'h str>,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        self.verify_at(header, body, now, DEFAULT_TOLERANCE)
    }

    /// [`Self::verify`] with an explicit clock and tolerance (for tests and replays).
    pub fn verify_at<'h>(
        &self,
        header: impl Fn(&str) -> Option<&'h str>,
        body: &[u8],
        now_unix_seconds: i64,
        tolerance: Duration,
    ) -> Result<(), SignatureError> {
        let id = header("webhook-id").ok_or(SignatureError::MissingHeader("webhook-id"))?;
        let timestamp = header("webhook-timestamp")
            .ok_or(SignatureError::MissingHeader("webhook-timestamp"))?;
        let signatures = header("webhook-signature")
            .ok_or(SignatureError::MissingHeader("webhook-signature"))?;
        let timestamp: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| SignatureError::InvalidTimestamp)?;
        let age = now_unix_seconds.saturating_sub(timestamp);
        if age.unsigned_abs() > tolerance.as_secs() {
            return Err(SignatureError::TimestampOutOfTolerance { age_seconds: age });
        }
        for candidate in signatures.split(' ') {
            let Some(encoded) = candidate.strip_prefix("v1,") else {
                continue;
            };
            let Ok(signature) = BASE64.decode(encoded) else {
                continue;
            };
            // `verify_slice` compares in constant time.
            if self
                .mac(id, timestamp, body)
                .verify_slice(&signature)
                .is_ok()
            {
                return Ok(());
            }
        }
        Err(SignatureError::NoMatchingSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector published with the Standard Webhooks specification: an independent
    /// implementation's answer for these inputs.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn headers<'a>(signature: &'a str, timestamp: &'a str) -> impl Fn(&str) -> Option<&'a str> {
        move |name| match name {
            "webhook-id" => Some(ID),
            "webhook-timestamp" => Some(timestamp),
            "webhook-signature" => Some(signature),
            _ => None,
        }
    }

    #[test]
    fn signs_like_the_reference_vector() {
        let secret = WebhookSecret::new(SECRET).expect("valid secret");
        assert_eq!(secret.sign(ID, TIMESTAMP, BODY), SIGNATURE);
    }

    #[test]
    fn verifies_and_rejects() {
        let secret = WebhookSecret::new(SECRET).expect("valid secret");
        let ts = TIMESTAMP.to_string();
        let ok = secret.verify_at(
            headers(SIGNATURE, &ts),
            BODY,
            TIMESTAMP + 10,
            DEFAULT_TOLERANCE,
        );
        assert_eq!(ok, Ok(()));
        // One of several signatures matching is enough (key rotation).
        let several = format!("v1,AAAA {SIGNATURE}");
        assert_eq!(
            secret.verify_at(headers(&several, &ts), BODY, TIMESTAMP, DEFAULT_TOLERANCE),
            Ok(())
        );
        assert_eq!(
            secret.verify_at(
                headers(SIGNATURE, &ts),
                br#"{"test": 2432232315}"#,
                TIMESTAMP,
                DEFAULT_TOLERANCE
            ),
            Err(SignatureError::NoMatchingSignature)
        );
        assert_eq!(
            secret.verify_at(
                headers(SIGNATURE, &ts),
                BODY,
                TIMESTAMP + 301,
                DEFAULT_TOLERANCE
            ),
            Err(SignatureError::TimestampOutOfTolerance { age_seconds: 301 })
        );
        assert_eq!(
            secret.verify_at(
                headers(SIGNATURE, "soon"),
                BODY,
                TIMESTAMP,
                DEFAULT_TOLERANCE
            ),
            Err(SignatureError::InvalidTimestamp)
        );
        assert_eq!(
            secret.verify_at(|_| None, BODY, TIMESTAMP, DEFAULT_TOLERANCE),
            Err(SignatureError::MissingHeader("webhook-id"))
        );
    }

    #[test]
    fn extreme_timestamps_are_refused_not_panicked_on() {
        let secret = WebhookSecret::new(SECRET).expect("valid secret");
        for extreme in ["-9223372036854775808", "9223372036854775807"] {
            let result = secret.verify_at(
                headers(SIGNATURE, extreme),
                BODY,
                TIMESTAMP,
                DEFAULT_TOLERANCE,
            );
            assert!(
                matches!(result, Err(SignatureError::TimestampOutOfTolerance { .. })),
                "{extreme}: {result:?}"
            );
        }
    }

    #[test]
    fn secrets_are_checked_and_never_shown() {
        assert_eq!(
            WebhookSecret::new("MfKQ9r8G").expect_err("no prefix"),
            SignatureError::InvalidSecret
        );
        assert_eq!(
            WebhookSecret::new("whsec_!!").expect_err("not base64"),
            SignatureError::InvalidSecret
        );
        let secret = WebhookSecret::new(SECRET).expect("valid secret");
        assert_eq!(format!("{secret:?}"), "WebhookSecret(<redacted>)");
    }
}
