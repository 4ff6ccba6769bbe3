//! Reading request bodies as JSON the way the spec means them, before they reach the typed
//! layer: duplicate object keys refused, numbers judged by their value (JSON Schema 2020-12
//! §6.3's `integer` is any number with a zero fractional part, so `29.0` is an integer), and
//! whatever the Rust types still refuse reported at its JSON pointer in our own words.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use balampay_openapi::pointer;
use balampay_schema::{ErrorLocation, FieldErrorCode};
use serde::de::{DeserializeOwned, DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

use crate::error::ApiError;

/// Parses a request body, refusing malformed JSON and objects that repeat a key.
///
/// RFC 8259 §4 says names within an object should be unique and leaves the meaning of
/// repeated ones to the parser; most parsers keep the last, some the first, so a repeated
/// key is refused rather than guessed at.
///
/// # Errors
/// `400 bad_request`: for malformed JSON, the line and column; for a repeated key, its JSON
/// pointer as the detail's `field`.
pub fn parse(bytes: &[u8]) -> Result<Value, ApiError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|error| {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            balampay_schema::ErrorCode::BadRequest,
            "The request body is not valid JSON.",
        )
        .with_detail(
            ErrorLocation::Body,
            "",
            FieldErrorCode::InvalidFormat,
            format!("line {}, column {}: {error}", error.line(), error.column()),
        )
    })?;
    if let Some(at) = repeated_key(bytes) {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            balampay_schema::ErrorCode::BadRequest,
            format!("The request body repeats a key in one object, at {at:?}."),
        )
        .with_detail(
            ErrorLocation::Body,
            at,
            FieldErrorCode::InvalidFormat,
            "appears more than once in its object; each key may appear once",
        ));
    }
    Ok(value)
}

/// The JSON pointer of the first repeated key of `bytes` (JSON already known to parse), if
/// any. Keys are compared after unescaping, so `"a"` and `"\u0061"` are the same key.
fn repeated_key(bytes: &[u8]) -> Option<String> {
    let found = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let _ = Unique {
        pointer: String::new(),
        found: &found,
    }
    .deserialize(&mut deserializer);
    found.into_inner()
}

/// Walks one JSON value, remembering the pointer of the first key an object repeats.
struct Unique<'f> {
    pointer: String,
    found: &'f RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for Unique<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Unique<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        loop {
            let item = Unique {
                pointer: format!("{}/{index}", self.pointer),
                found: self.found,
            };
            if seq.next_element_seed(item)?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let at = pointer::join(&self.pointer, &key);
            if !seen.insert(key) {
                *self.found.borrow_mut() = Some(at);
                // Stop at the first: the answer names one key.
                return Err(A::Error::custom("repeated key"));
            }
            map.next_value_seed(Unique {
                pointer: at,
                found: self.found,
            })?;
        }
        Ok(())
    }
}

/// Rewrites every number with a zero fractional part (`29.0`, `1e2`) as the integer it is,
/// so that the typed layer, which tells integers from floats by their spelling, reads it
/// as the spec does. Numbers beyond ±2^53, where a float no longer names one integer, are
/// left alone.
pub fn integral_numbers(value: &mut Value) {
    match value {
        Value::Number(number) if number.is_f64() => {
            if let Some(float) = number.as_f64()
                && float.fract() == 0.0
                && float.abs() <= 9_007_199_254_740_992.0
            {
                // In range, so the conversions are exact.
                *number = if float < 0.0 {
                    Number::from(float as i64)
                } else {
                    Number::from(float as u64)
                };
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        Value::Object(fields) => fields.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

/// Reads a value (already valid under the spec) into its Rust type. What the type still
/// refuses is reported at the field's JSON pointer, in the API's words rather than Rust's.
///
/// # Errors
/// `422 validation_failed` with one detail.
pub fn typed<T: DeserializeOwned>(mut value: Value) -> Result<T, ApiError> {
    integral_numbers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|error| {
        let mut at = String::new();
        for segment in error.path().iter() {
            match segment {
                serde_path_to_error::Segment::Seq { index } => at.push_str(&format!("/{index}")),
                serde_path_to_error::Segment::Map { key } => at = pointer::join(&at, key),
                serde_path_to_error::Segment::Enum { .. }
                | serde_path_to_error::Segment::Unknown => {}
            }
        }
        let (field, code, message) = in_our_words(&at, &error.into_inner().to_string());
        ApiError::invalid_body_field(&field, code, message)
    })
}

/// A serde message (`invalid type: floating point `29.5`, expected u8`) as a field, a code
/// and a sentence of ours (`must be a whole number from 0 to 255`). The value the client
/// sent is never echoed.
fn in_our_words(at: &str, message: &str) -> (String, FieldErrorCode, String) {
    let quoted = |text: &str| text.split('`').nth(1).unwrap_or_default().to_owned();
    if let Some(rest) = message.strip_prefix("missing field ") {
        return (
            pointer::join(at, &quoted(rest)),
            FieldErrorCode::Required,
            "is required".to_owned(),
        );
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        return (
            pointer::join(at, &quoted(rest)),
            FieldErrorCode::UnknownField,
            "is not a field of this object".to_owned(),
        );
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let expected = rest.rsplit_once("expected ").map_or("", |(_, e)| e);
        return (
            at.to_owned(),
            FieldErrorCode::InvalidValue,
            format!("must be {}", expected.replace('`', "")),
        );
    }
    // The last ", expected " is serde's: the value before it may contain the words too.
    let expected = message
        .rsplit_once(", expected ")
        .map_or("", |(_, expected)| expected);
    let code = if message.starts_with("invalid type") {
        FieldErrorCode::InvalidType
    } else {
        FieldErrorCode::InvalidValue
    };
    (
        at.to_owned(),
        code,
        format!("must be {}", expected_in_words(expected)),
    )
}

/// What serde expected, in the API's terms.
fn expected_in_words(expected: &str) -> String {
    let range = |low: i128, high: i128| format!("a whole number from {low} to {high}");
    match expected {
        "u8" => range(0, u8::MAX.into()),
        "u16" => range(0, u16::MAX.into()),
        "u32" => range(0, u32::MAX.into()),
        "u64" => range(0, u64::MAX.into()),
        "i8" => range(i8::MIN.into(), i8::MAX.into()),
        "i16" => range(i16::MIN.into(), i16::MAX.into()),
        "i32" => range(i32::MIN.into(), i32::MAX.into()),
        "i64" => range(i64::MIN.into(), i64::MAX.into()),
        "f32" | "f64" => "a number".to_owned(),
        "a boolean" | "a string" => expected.to_owned(),
        "a sequence" => "an array".to_owned(),
        "a map" => "an object".to_owned(),
        other if other.starts_with("struct ") || other.starts_with("internally tagged") => {
            "an object".to_owned()
        }
        "" => "a value this field accepts".to_owned(),
        other => other.replace('`', ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn repeated_keys_are_found_at_their_pointer_after_unescaping() {
        assert_eq!(repeated_key(br#"{"a": 1, "b": 2}"#), None);
        assert_eq!(repeated_key(br#"{"a": 1, "a": 2}"#), Some("/a".to_owned()));
        assert_eq!(
            repeated_key(br#"{"x": [{"k": 1}, {"k": 1, "\u006b": 2}]}"#),
            Some("/x/1/k".to_owned())
        );
        assert_eq!(
            repeated_key(br#"{"a/b": {"~": 1, "~": 2}}"#),
            Some("/a~1b/~0".to_owned())
        );
        // The same key in two objects is not a repetition.
        assert_eq!(repeated_key(br#"[{"a": 1}, {"a": 1}]"#), None);
    }

    #[test]
    fn a_repeated_key_is_a_400_naming_it() {
        let error =
            parse(br#"{"email": "a@example.com", "email": "b@example.com"}"#).expect_err("refused");
        assert_eq!(error.status, axum::http::StatusCode::BAD_REQUEST);
        assert_eq!(error.details[0].field, "/email");
    }

    #[test]
    fn integral_floats_become_integers_and_others_stay() {
        let mut value = serde_json::json!({"a": 29.0, "b": [1e2, -3.0, 2.5], "c": 1e300, "d": 7});
        integral_numbers(&mut value);
        assert_eq!(
            serde_json::to_string(&value).expect("json"),
            r#"{"a":29,"b":[100,-3,2.5],"c":1e+300,"d":7}"#
        );
    }

    #[test]
    fn serde_messages_are_read_from_the_end_so_values_are_not_echoed() {
        let (field, code, message) =
            in_our_words("/x", "invalid type: string \"a, expected b\", expected u8");
        assert_eq!(field, "/x");
        assert_eq!(code, FieldErrorCode::InvalidType);
        assert_eq!(message, "must be a whole number from 0 to 255");
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Owner {
        ownership_percentage: u8,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Business {
        owners: Vec<Owner>,
    }

    #[test]
    fn the_typed_layer_reads_integral_floats_and_names_the_field_of_what_it_refuses() {
        let read: Business = typed(serde_json::json!({"owners": [{"ownership_percentage": 29.0}]}))
            .expect("29.0 is 29");
        assert_eq!(read.owners[0].ownership_percentage, 29);

        let error =
            typed::<Business>(serde_json::json!({"owners": [{"ownership_percentage": 29.5}]}))
                .expect_err("29.5 is not a u8");
        let detail = &error.details[0];
        assert_eq!(detail.field, "/owners/0/ownership_percentage");
        assert_eq!(detail.code, FieldErrorCode::InvalidType);
        assert_eq!(detail.message, "must be a whole number from 0 to 255");

        let error = typed::<Business>(serde_json::json!({"owners": [{}]})).expect_err("missing");
        assert_eq!(error.details[0].field, "/owners/0/ownership_percentage");
        assert_eq!(error.details[0].code, FieldErrorCode::Required);
    }
}
