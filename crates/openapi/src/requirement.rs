//! What a failed JSON Schema keyword requires, in words that never repeat the submitted
//! value. jsonschema's own messages start with the instance, which may be personal data (a
//! government ID number is write-only); reports and error bodies use these words instead.
//! Keywords without words of their own fall back to jsonschema's masked message, which
//! replaces the instance with the word "value".

use serde_json::Value;

/// One failed requirement, taken from a jsonschema error (or from a discriminator check).
#[derive(Debug, Clone, PartialEq)]
pub enum Requirement {
    /// `required`: the property is absent.
    Required {
        /// The property's name.
        property: String,
    },
    /// `additionalProperties: false` (or `unevaluatedProperties: false`): these properties are
    /// not documented.
    NoAdditionalProperties {
        /// The undocumented properties' names.
        unexpected: Vec<String>,
    },
    /// `type`.
    Type {
        /// The allowed JSON types (`string`, `integer`, …).
        expected: Vec<String>,
    },
    /// `enum`.
    Enum {
        /// The allowed values, as a JSON array.
        options: Value,
    },
    /// `const`.
    Const {
        /// The only allowed value.
        expected: Value,
    },
    /// `format` (asserted, as this workspace compiles every validator).
    Format {
        /// The format's name.
        format: String,
    },
    /// `pattern`.
    Pattern {
        /// The regular expression.
        pattern: String,
    },
    /// `minLength`, in characters (Unicode code points).
    MinLength(u64),
    /// `maxLength`, in characters.
    MaxLength(u64),
    /// `minItems`.
    MinItems(u64),
    /// `maxItems`.
    MaxItems(u64),
    /// `minProperties`.
    MinProperties(u64),
    /// `maxProperties`.
    MaxProperties(u64),
    /// `minimum`.
    Minimum(Value),
    /// `maximum`.
    Maximum(Value),
    /// A discriminated union's tag (OpenAPI 3.1.0 §4.8.25): absent, not a string, or not a
    /// value of the mapping.
    Discriminator {
        /// The tag property.
        property: String,
        /// The tag values the mapping knows.
        tags: Vec<String>,
        /// What is wrong with the tag.
        problem: TagProblem,
    },
    /// Any other keyword, with jsonschema's masked message.
    Other {
        /// The keyword.
        keyword: String,
        /// jsonschema's message with the instance replaced by "value".
        message: String,
    },
}

/// Keywords whose masked jsonschema message is the placeholder and the schema's own words.
const MASKED_IS_SAFE: &[&str] = &[
    "multipleOf",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minProperties",
    "uniqueItems",
    "contains",
    "not",
    "dependentRequired",
    "false",
];

/// What is wrong with a discriminated union's tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagProblem {
    /// The instance is not an object, so it has no tag.
    NotAnObject,
    /// The object has no tag property.
    Missing,
    /// The tag is not a string.
    NotAString,
    /// The tag is a string that the mapping does not know.
    Unknown,
}

impl Requirement {
    /// The requirement of a jsonschema error.
    pub fn of(error: &jsonschema::ValidationError<'_>) -> Self {
        use jsonschema::error::{TypeKind, ValidationErrorKind as Kind};
        match error.kind() {
            Kind::Required { property } => Requirement::Required {
                property: property
                    .as_str()
                    .map_or_else(|| property.to_string(), str::to_owned),
            },
            Kind::AdditionalProperties { unexpected }
            | Kind::UnevaluatedProperties { unexpected } => Requirement::NoAdditionalProperties {
                unexpected: unexpected.clone(),
            },
            Kind::Type {
                kind: TypeKind::Single(expected),
            } => Requirement::Type {
                expected: vec![expected.to_string()],
            },
            Kind::Type {
                kind: TypeKind::Multiple(expected),
            } => Requirement::Type {
                expected: expected.iter().map(|t| t.to_string()).collect(),
            },
            Kind::Enum { options } => Requirement::Enum {
                options: Value::clone(options),
            },
            Kind::Constant { expected_value } => Requirement::Const {
                expected: Value::clone(expected_value),
            },
            Kind::Format { format } => Requirement::Format {
                format: format.clone(),
            },
            Kind::Pattern { pattern } => Requirement::Pattern {
                pattern: pattern.clone(),
            },
            Kind::MinLength { limit } => Requirement::MinLength(*limit),
            Kind::MaxLength { limit } => Requirement::MaxLength(*limit),
            Kind::MinItems { limit } => Requirement::MinItems(*limit),
            Kind::MaxItems { limit } => Requirement::MaxItems(*limit),
            Kind::MinProperties { limit } => Requirement::MinProperties(*limit),
            Kind::MaxProperties { limit } => Requirement::MaxProperties(*limit),
            Kind::Minimum { limit } => Requirement::Minimum(limit.clone()),
            Kind::Maximum { limit } => Requirement::Maximum(limit.clone()),
            other => Requirement::Other {
                keyword: other.keyword().to_owned(),
                // jsonschema masks the instance in its own words, but not inside the errors
                // some keywords nest (`propertyNames` prints its inner error unmasked): only
                // keywords whose masked message holds no part of the instance say more.
                message: if MASKED_IS_SAFE.contains(&other.keyword()) {
                    error.masked().to_string()
                } else {
                    String::new()
                },
            },
        }
    }

    /// The keyword that failed (`discriminator` for a union's tag).
    pub fn keyword(&self) -> &str {
        match self {
            Requirement::Required { .. } => "required",
            Requirement::NoAdditionalProperties { .. } => "additionalProperties",
            Requirement::Type { .. } => "type",
            Requirement::Enum { .. } => "enum",
            Requirement::Const { .. } => "const",
            Requirement::Format { .. } => "format",
            Requirement::Pattern { .. } => "pattern",
            Requirement::MinLength(_) => "minLength",
            Requirement::MaxLength(_) => "maxLength",
            Requirement::MinItems(_) => "minItems",
            Requirement::MaxItems(_) => "maxItems",
            Requirement::MinProperties(_) => "minProperties",
            Requirement::MaxProperties(_) => "maxProperties",
            Requirement::Minimum(_) => "minimum",
            Requirement::Maximum(_) => "maximum",
            Requirement::Discriminator { .. } => "discriminator",
            Requirement::Other { keyword, .. } => keyword,
        }
    }

    /// What is expected, as a noun phrase for reports ("expected at least 1 items").
    pub fn expected(&self) -> String {
        match self {
            Requirement::Required { property } => format!("required property {property:?}"),
            Requirement::NoAdditionalProperties { unexpected } => format!(
                "no properties besides the documented ones (found {})",
                unexpected.join(", ")
            ),
            Requirement::Type { expected } => format!(
                "type {}",
                expected
                    .iter()
                    .map(|name| capitalised(name))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            Requirement::Enum { options } => format!("one of {options}"),
            Requirement::Const { expected } => format!("the value {expected}"),
            Requirement::Format { format } => format!("format {format}"),
            Requirement::Pattern { pattern } => format!("a match for {pattern}"),
            Requirement::MinLength(limit) => format!("at least {limit} characters"),
            Requirement::MaxLength(limit) => format!("at most {limit} characters"),
            Requirement::MinItems(limit) => format!("at least {limit} items"),
            Requirement::MaxItems(limit) => format!("at most {limit} items"),
            Requirement::MinProperties(limit) => format!("at least {limit} properties"),
            Requirement::MaxProperties(limit) => format!("at most {limit} properties"),
            Requirement::Minimum(limit) => format!("at least {limit}"),
            Requirement::Maximum(limit) => format!("at most {limit}"),
            Requirement::Discriminator { property, tags, .. } => {
                format!("{property:?} to be one of {}", tags.join(", "))
            }
            Requirement::Other { keyword, message } if message.is_empty() => {
                format!("to satisfy `{keyword}`")
            }
            Requirement::Other { keyword, message } => {
                format!("to satisfy `{keyword}` ({message})")
            }
        }
    }

    /// What the value must be, as a predicate for error bodies ("must be at least 3
    /// characters long").
    pub fn must(&self) -> String {
        match self {
            Requirement::Required { .. } => "is required".to_owned(),
            Requirement::NoAdditionalProperties { .. } => {
                "is not a field of this object".to_owned()
            }
            Requirement::Type { expected } => format!("must be of type {}", expected.join(" or ")),
            Requirement::Enum { options } => format!("must be one of {options}"),
            Requirement::Const { expected } => format!("must be {expected}"),
            Requirement::Format { format } => format!("must be a valid {format}"),
            Requirement::Pattern { pattern } => format!("must match {pattern}"),
            Requirement::MinLength(limit) => format!("must be at least {limit} characters long"),
            Requirement::MaxLength(limit) => format!("must be at most {limit} characters long"),
            Requirement::MinItems(limit) => format!("must have at least {limit} items"),
            Requirement::MaxItems(limit) => format!("must have at most {limit} items"),
            Requirement::MinProperties(limit) => format!("must have at least {limit} keys"),
            Requirement::MaxProperties(limit) => format!("must have at most {limit} keys"),
            Requirement::Minimum(limit) => format!("must be at least {limit}"),
            Requirement::Maximum(limit) => format!("must be at most {limit}"),
            Requirement::Discriminator { tags, problem, .. } => match problem {
                TagProblem::NotAnObject => "the body must be a JSON object".to_owned(),
                TagProblem::Missing => format!("is required: one of {}", tags.join(", ")),
                TagProblem::NotAString => "must be a string".to_owned(),
                TagProblem::Unknown => format!("must be one of {}", tags.join(", ")),
            },
            Requirement::Other { keyword, .. } => format!("must satisfy `{keyword}`"),
        }
    }
}

/// `string` → `String`: the type names reports have always printed.
fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn first(schema: Value, instance: Value) -> Requirement {
        let validator = crate::schema::standalone(&schema).expect("compiles");
        let error = validator.iter_errors(&instance).next().expect("invalid");
        Requirement::of(&error)
    }

    #[test]
    fn no_wording_repeats_the_value() {
        let secret = "123-45-6789-secret";
        let cases = [
            (json!({"type": "integer"}), json!(secret)),
            (json!({"enum": ["a", "b"]}), json!(secret)),
            (json!({"const": "a"}), json!(secret)),
            (json!({"format": "email"}), json!(secret)),
            (json!({"pattern": "^[0-9]+$"}), json!(secret)),
            (json!({"maxLength": 3}), json!(secret)),
            (json!({"not": {"type": "string"}}), json!(secret)),
            (json!({"uniqueItems": true}), json!([secret, secret])),
            (json!({"contains": {"type": "integer"}}), json!([secret])),
            (
                json!({"propertyNames": {"pattern": "^[a-z_]+$"}}),
                json!({secret: 1}),
            ),
            (
                json!({"propertyNames": {"maxLength": 3}}),
                json!({secret: 1}),
            ),
            (
                json!({"oneOf": [{"type": "integer"}, {"type": "boolean"}]}),
                json!(secret),
            ),
            (
                json!({"anyOf": [{"type": "integer"}, {"type": "boolean"}]}),
                json!(secret),
            ),
            (
                json!({"dependentRequired": {"a": ["b"]}}),
                json!({"a": secret}),
            ),
        ];
        for (schema, instance) in cases {
            let requirement = first(schema.clone(), instance);
            for text in [requirement.expected(), requirement.must()] {
                assert!(!text.contains(secret), "{schema}: {text}");
            }
        }
    }

    #[test]
    fn both_wordings_of_the_common_keywords() {
        let minimum = first(json!({"minLength": 3}), json!("ab"));
        assert_eq!(minimum.keyword(), "minLength");
        assert_eq!(minimum.expected(), "at least 3 characters");
        assert_eq!(minimum.must(), "must be at least 3 characters long");
        let kind = first(json!({"type": "string"}), json!(42));
        assert_eq!(kind.expected(), "type String");
        assert_eq!(kind.must(), "must be of type string");
        let required = first(json!({"required": ["code"]}), json!({}));
        assert_eq!(required.expected(), "required property \"code\"");
        let other = first(json!({"multipleOf": 5}), json!(7));
        assert_eq!(other.keyword(), "multipleOf");
        assert!(other.expected().starts_with("to satisfy `multipleOf` ("));
        assert_eq!(other.must(), "must satisfy `multipleOf`");
    }
}
