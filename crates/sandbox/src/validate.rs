//! Request bodies are validated against the published spec before they are deserialized,
//! so that every offending field is reported, by its JSON pointer, in the spec's terms.

use balampay_schema::{ErrorDetail, ErrorLocation, FieldErrorCode};
use jsonschema::error::ValidationErrorKind;
use serde_json::{Value, json};

/// The validators of one discriminated union: one per branch, chosen by the tag, so that an
/// error names the field of the intended branch instead of "no branch matched".
pub struct UnionValidator {
    tag: String,
    branches: Vec<(String, jsonschema::Validator)>,
}

/// Every request body validator of the API.
pub struct Validators {
    /// `createUser`'s body.
    pub create_user: UnionValidator,
    /// `updateUser`'s body.
    pub update_user: UnionValidator,
    /// `createVerification`'s body.
    pub create_verification: UnionValidator,
}

impl Validators {
    /// Compiles the validators from the spec the sandbox serves.
    pub fn from_spec(doc: &Value) -> Result<Self, String> {
        Ok(Self {
            create_user: UnionValidator::new(doc, "CreateUserRequest")?,
            update_user: UnionValidator::new(doc, "UpdateUserRequest")?,
            create_verification: UnionValidator::new(doc, "CreateVerificationRequest")?,
        })
    }
}

impl UnionValidator {
    fn new(doc: &Value, component: &str) -> Result<Self, String> {
        let schema = &doc["components"]["schemas"][component];
        let discriminator = &schema["discriminator"];
        let tag = discriminator["propertyName"]
            .as_str()
            .ok_or_else(|| format!("{component} has no discriminator"))?
            .to_owned();
        let mapping = discriminator["mapping"]
            .as_object()
            .ok_or_else(|| format!("{component}'s discriminator has no mapping"))?;
        let mut branches = Vec::new();
        for (value, reference) in mapping {
            let validator = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .should_validate_formats(true)
                .build(&json!({"$ref": reference, "components": doc["components"]}))
                .map_err(|error| format!("{component} branch {value}: {error}"))?;
            branches.push((value.clone(), validator));
        }
        Ok(Self { tag, branches })
    }

    /// The allowed tag values.
    pub fn tags(&self) -> Vec<&str> {
        self.branches.iter().map(|(tag, _)| tag.as_str()).collect()
    }

    /// Validates a body; the error lists every problem found.
    pub fn validate(&self, body: &Value) -> Result<(), Vec<ErrorDetail>> {
        let pointer = format!("/{}", self.tag);
        let tag = match body {
            Value::Object(object) => match object.get(&self.tag) {
                Some(Value::String(tag)) => tag,
                Some(_) => {
                    return Err(vec![detail(
                        &pointer,
                        FieldErrorCode::InvalidType,
                        "must be a string",
                    )]);
                }
                None => {
                    return Err(vec![detail(
                        &pointer,
                        FieldErrorCode::Required,
                        &format!("is required: one of {}", self.tags().join(", ")),
                    )]);
                }
            },
            _ => {
                return Err(vec![detail(
                    "",
                    FieldErrorCode::InvalidType,
                    "the body must be a JSON object",
                )]);
            }
        };
        let Some((_, validator)) = self.branches.iter().find(|(value, _)| value == tag) else {
            return Err(vec![detail(
                &pointer,
                FieldErrorCode::InvalidValue,
                &format!("{tag:?} is not one of {}", self.tags().join(", ")),
            )]);
        };
        let mut details = Vec::new();
        for error in validator.iter_errors(body) {
            let at = error.instance_path().to_string();
            match error.kind() {
                ValidationErrorKind::Required { property } => {
                    let name = property.as_str().unwrap_or_default();
                    details.push(detail(
                        &format!("{at}/{}", escape(name)),
                        FieldErrorCode::Required,
                        "is required",
                    ));
                }
                ValidationErrorKind::AdditionalProperties { unexpected } => {
                    for name in unexpected {
                        details.push(detail(
                            &format!("{at}/{}", escape(name)),
                            FieldErrorCode::UnknownField,
                            "is not a field of this object",
                        ));
                    }
                }
                kind => details.push(detail(&at, code_of(kind), &requirement(kind))),
            }
        }
        if details.is_empty() {
            Ok(())
        } else {
            Err(details)
        }
    }
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn detail(field: &str, code: FieldErrorCode, message: &str) -> ErrorDetail {
    ErrorDetail {
        location: ErrorLocation::Body,
        field: field.to_owned(),
        code,
        message: message.to_owned(),
    }
}

/// What a failed keyword requires, without the submitted value: jsonschema's own messages
/// start with the value, and error bodies must not echo personal data (a government ID
/// number is write-only) into clients' logs and recordings.
fn requirement(kind: &ValidationErrorKind) -> String {
    use jsonschema::error::TypeKind;
    match kind {
        ValidationErrorKind::Type {
            kind: TypeKind::Single(expected),
        } => format!("must be of type {expected}"),
        ValidationErrorKind::Type {
            kind: TypeKind::Multiple(expected),
        } => {
            format!(
                "must be of type {}",
                expected
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )
        }
        ValidationErrorKind::Enum { options } => format!("must be one of {options}"),
        ValidationErrorKind::Constant { expected_value } => format!("must be {expected_value}"),
        ValidationErrorKind::Format { format } => format!("must be a valid {format}"),
        ValidationErrorKind::Pattern { pattern } => format!("must match {pattern}"),
        ValidationErrorKind::MinLength { limit } => {
            format!("must be at least {limit} characters long")
        }
        ValidationErrorKind::MaxLength { limit } => {
            format!("must be at most {limit} characters long")
        }
        ValidationErrorKind::MinItems { limit } => format!("must have at least {limit} items"),
        ValidationErrorKind::MaxItems { limit } => format!("must have at most {limit} items"),
        ValidationErrorKind::MaxProperties { limit } => format!("must have at most {limit} keys"),
        ValidationErrorKind::Minimum { limit } => format!("must be at least {limit}"),
        ValidationErrorKind::Maximum { limit } => format!("must be at most {limit}"),
        other => format!("must satisfy `{}`", other.keyword()),
    }
}

/// The field error code of a JSON Schema keyword.
fn code_of(kind: &ValidationErrorKind) -> FieldErrorCode {
    match kind.keyword() {
        "type" => FieldErrorCode::InvalidType,
        "format" | "pattern" => FieldErrorCode::InvalidFormat,
        "minLength" | "minItems" | "minProperties" => FieldErrorCode::TooShort,
        "maxLength" | "maxItems" | "maxProperties" => FieldErrorCode::TooLong,
        "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" | "multipleOf" => {
            FieldErrorCode::OutOfRange
        }
        _ => FieldErrorCode::InvalidValue,
    }
}
