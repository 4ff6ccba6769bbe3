//! Constrained scalar types shared by many resources: phone numbers, country codes, emails,
//! tax ids, dates, timestamps, metadata and the single-value tags of tagged unions.
//!
//! Each type's schema is written once, as JSON, and handed to both derives' traits (utoipa's
//! `ToSchema` and schemars' `JsonSchema`), so the OpenAPI document and the standalone webhook
//! schemas cannot disagree about a constraint. The Rust values are thin wrappers that do not
//! validate on construction: the published schema is the contract, and servers validate
//! request bodies against it before deserializing them.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Turns a schema written as JSON into utoipa's schema type.
///
/// The JSON is a literal of this crate, so a failure is a programming error that the crate's
/// own tests catch on the first run; it is not an input error.
pub(crate) fn utoipa_schema(
    value: Value,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    match serde_json::from_value(value.clone()) {
        Ok(schema) => utoipa::openapi::RefOr::T(schema),
        Err(error) => panic!("schema literal {value} is not a utoipa schema: {error}"),
    }
}

/// Turns a schema written as JSON into schemars' schema type.
pub(crate) fn schemars_schema(value: Value) -> schemars::Schema {
    match schemars::Schema::try_from(value.clone()) {
        Ok(schema) => schema,
        Err(error) => panic!("schema literal {value} is not a JSON Schema: {error}"),
    }
}

/// Declares a string newtype whose schema (for both derives) is the given JSON literal.
macro_rules! string_type {
    ($(#[$meta:meta])* $name:ident, $schema:expr) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The schema of this type, as published.
            pub fn schema_json() -> Value {
                $schema
            }

            /// The wrapped string.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa_schema(Self::schema_json())
            }
        }

        impl utoipa::ToSchema for $name {}

        impl schemars::JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars_schema(Self::schema_json())
            }
        }
    };
}

/// E.164: a plus sign, a country calling code that does not start with zero, and at most 15
/// digits in all.
pub const E164_PATTERN: &str = r"^\+[1-9][0-9]{1,14}$";

/// ISO 3166-1 alpha-2: two upper-case ASCII letters.
pub const COUNTRY_PATTERN: &str = "^[A-Z]{2}$";

/// A US employer identification number written `12-3456789`.
pub const EIN_PATTERN: &str = "^[0-9]{2}-[0-9]{7}$";

/// The timestamp shape that the `user.created` webhook really sends:
/// `YYYY-MM-DD HH:MM:SS.mmm`, with a space instead of `T` and no zone (UTC is implied).
///
/// It is a pattern rather than `format: date-time` because RFC 3339 validators reject it,
/// and rather than a bare string because partners parse it and deserve to know its shape.
/// The pattern checks the ranges of every field but not the length of each month.
pub const LEGACY_TIMESTAMP_PATTERN: &str = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?$";

string_type!(
    /// A phone number in E.164 form, such as `+573013185684`.
    PhoneNumber,
    json!({
        "type": "string",
        "description": "A phone number in E.164 form: `+`, the country calling code and the subscriber number, 15 digits at most, no spaces or punctuation.",
        "pattern": E164_PATTERN,
        "minLength": 3,
        "maxLength": 16,
        "examples": ["+573013185684"]
    })
);

string_type!(
    /// An ISO 3166-1 alpha-2 country code, such as `US`.
    CountryCode,
    json!({
        "type": "string",
        "description": "An ISO 3166-1 alpha-2 country code, upper case.",
        "pattern": COUNTRY_PATTERN,
        "minLength": 2,
        "maxLength": 2,
        "examples": ["US"]
    })
);

string_type!(
    /// An email address (RFC 5321 limits: 254 characters at most).
    EmailAddress,
    json!({
        "type": "string",
        "description": "An email address.",
        "format": "email",
        "minLength": 3,
        "maxLength": 254,
        "examples": ["john.doe@example.com"]
    })
);

string_type!(
    /// A US employer identification number (EIN), written `12-3456789`.
    TaxId,
    json!({
        "type": "string",
        "description": "The business's US employer identification number (EIN), written `12-3456789`.",
        "pattern": EIN_PATTERN,
        "minLength": 10,
        "maxLength": 10,
        "examples": ["12-3456789"]
    })
);

string_type!(
    /// A calendar date, `YYYY-MM-DD` (RFC 3339 `full-date`).
    Date,
    json!({
        "type": "string",
        "description": "A calendar date, `YYYY-MM-DD` (RFC 3339 `full-date`).",
        "format": "date",
        "examples": ["1990-04-21"]
    })
);

string_type!(
    /// An instant, RFC 3339 `date-time` with a `T` separator and an explicit zone, such as
    /// `2026-01-14T03:44:00.884Z`.
    Timestamp,
    json!({
        "type": "string",
        "description": "An instant in RFC 3339 `date-time` form with an explicit zone; the API always answers in UTC (`Z`).",
        "format": "date-time",
        "examples": ["2026-01-14T03:44:00.884Z"]
    })
);

string_type!(
    /// The timestamp shape of the `user.created` webhook: `2026-01-14 20:27:54.863`, UTC
    /// without a zone designator (see [`LEGACY_TIMESTAMP_PATTERN`]).
    LegacyTimestamp,
    json!({
        "type": "string",
        "description": "A UTC instant written `YYYY-MM-DD HH:MM:SS.mmm` (a space instead of `T`, no zone designator), as the `user.created` webhook sends it. It is not RFC 3339: parse it as UTC.",
        "pattern": LEGACY_TIMESTAMP_PATTERN,
        "minLength": 19,
        "maxLength": 26,
        "examples": ["2026-01-14 20:27:54.863"]
    })
);

/// How many keys [`Metadata`] holds at most.
pub const METADATA_MAX_KEYS: usize = 50;
/// How long a [`Metadata`] key is at most, in characters.
pub const METADATA_MAX_KEY_LENGTH: usize = 40;
/// How long a [`Metadata`] value is at most, in characters.
pub const METADATA_MAX_VALUE_LENGTH: usize = 500;

/// Free-form string pairs that the partner attaches to a resource and gets back unchanged.
///
/// A sorted map, so that a resource always serializes its metadata in the same order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Metadata(pub BTreeMap<String, String>);

impl Metadata {
    /// The schema of this type, as published.
    pub fn schema_json() -> Value {
        json!({
            "type": "object",
            "description": format!(
                "Free-form key-value pairs for your own use, returned unchanged: at most {METADATA_MAX_KEYS} keys of at most {METADATA_MAX_KEY_LENGTH} characters, each value a string of at most {METADATA_MAX_VALUE_LENGTH} characters. Never put personal or secret data here."
            ),
            "maxProperties": METADATA_MAX_KEYS,
            "propertyNames": {"type": "string", "minLength": 1, "maxLength": METADATA_MAX_KEY_LENGTH},
            "additionalProperties": {"type": "string", "maxLength": METADATA_MAX_VALUE_LENGTH},
            "examples": [{"crm_id": "cus_8842"}]
        })
    }

    /// Whether no key is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl utoipa::PartialSchema for Metadata {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa_schema(Self::schema_json())
    }
}

impl utoipa::ToSchema for Metadata {}

impl schemars::JsonSchema for Metadata {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Metadata")
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars_schema(Self::schema_json())
    }
}

/// Declares a unit type that serializes as one fixed string: the tag of one branch of a
/// tagged union (`"type": "individual"`, `"event": "user.created"`, …).
///
/// Each branch of a union carries its own tag as a required property, so every branch is a
/// complete, closed object on its own: the published schema needs no `allOf` merging, code
/// generators see an ordinary discriminated `oneOf`, and a request that names the wrong
/// branch fails on the tag itself.
macro_rules! tag_type {
    ($(#[$meta:meta])* $name:ident = $value:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        pub struct $name;

        impl $name {
            /// The tag's only value.
            pub const VALUE: &'static str = $value;
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str($value)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
                if value == $value {
                    Ok($name)
                } else {
                    Err(serde::de::Error::invalid_value(
                        serde::de::Unexpected::Str(&value),
                        &concat!("\"", $value, "\""),
                    ))
                }
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::scalars::utoipa_schema(serde_json::json!({"type": "string", "enum": [$value]}))
            }
        }

        impl utoipa::ToSchema for $name {}

        impl schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                $crate::scalars::schemars_schema(serde_json::json!({"type": "string", "enum": [$value]}))
            }
        }
    };
}

pub(crate) use tag_type;

tag_type!(
    /// The tag `"individual"` of the individual branch of the user unions.
    IndividualTag = "individual"
);
tag_type!(
    /// The tag `"business"` of the business branch of the user unions.
    BusinessTag = "business"
);
tag_type!(
    /// The tag `"embedded-link"` of hosted verification sessions.
    EmbeddedLinkTag = "embedded-link"
);
tag_type!(
    /// The tag `"api"` of verification sessions whose data comes in the request.
    ApiTag = "api"
);

#[cfg(test)]
mod tests {
    use super::*;

    /// Each scalar's JSON literal survives the trip through utoipa's types unchanged, so the
    /// OpenAPI document publishes exactly the literal (as the standalone schemas do).
    #[test]
    fn utoipa_keeps_every_keyword_of_the_literals() {
        for literal in [
            PhoneNumber::schema_json(),
            CountryCode::schema_json(),
            EmailAddress::schema_json(),
            TaxId::schema_json(),
            Date::schema_json(),
            Timestamp::schema_json(),
            LegacyTimestamp::schema_json(),
            Metadata::schema_json(),
        ] {
            let schema: utoipa::openapi::schema::Schema = serde_json::from_value(literal.clone())
                .unwrap_or_else(|e| panic!("{literal}: {e}"));
            let back = serde_json::to_value(&schema).expect("serializes");
            assert_eq!(back, literal);
        }
    }
}
