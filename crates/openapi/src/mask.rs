//! Masking of values in reports: a failure must say what was found without copying
//! personal data (names, emails, phone numbers, ids of documents) into CI logs.

use serde_json::Value;

/// Fields whose values are never personal data, so reports show them whole: identifiers,
/// enums and timestamps of the API.
const SAFE_FIELDS: &[&str] = &[
    "id",
    "user_id",
    "event_id",
    "type",
    "status",
    "verification_status",
    "kyc_type",
    "tier",
    "event",
    "code",
    "location",
    "field",
    "has_more",
    "created_at",
    "updated_at",
    "completed_at",
    "request_id",
    "country",
    "issuing_country",
];

/// Renders a found value for a report: numbers, booleans and null whole; strings whole only
/// in fields known to hold no personal data, otherwise as their length and first character;
/// objects and arrays as their size.
pub fn mask(pointer: &str, value: &Value) -> String {
    let field = pointer.rsplit('/').next().unwrap_or("");
    match value {
        Value::String(text) if SAFE_FIELDS.contains(&field) => format!("{text:?}"),
        Value::String(text) => match text.chars().next() {
            Some(first) => format!(
                "a string of {} characters starting with {first:?} (masked)",
                text.chars().count()
            ),
            None => "an empty string".to_owned(),
        },
        Value::Object(object) => format!(
            "an object with {} propert{}",
            object.len(),
            if object.len() == 1 { "y" } else { "ies" }
        ),
        Value::Array(items) => format!(
            "an array of {} item{}",
            items.len(),
            if items.len() == 1 { "" } else { "s" }
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn personal_strings_are_masked_and_safe_ones_are_not() {
        assert_eq!(
            mask("/email", &json!("john.doe@example.com")),
            "a string of 20 characters starting with 'j' (masked)"
        );
        assert_eq!(
            mask("/data/verification_status", &json!("approved")),
            "\"approved\""
        );
        assert_eq!(mask("/tier", &json!(0)), "0");
        assert_eq!(
            mask("/address", &json!({"line1": "x"})),
            "an object with 1 property"
        );
        assert_eq!(mask("/first_name", &json!("")), "an empty string");
    }
}
