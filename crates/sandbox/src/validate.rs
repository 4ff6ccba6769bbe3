//! Request bodies are validated against the published spec before they are deserialized,
//! so that every offending field is reported, by its JSON pointer, in the spec's terms. The
//! validators come from `balampay-openapi`; this module turns their errors into the API's
//! field errors.

use std::collections::BTreeMap;
use std::sync::Arc;

use balampay_openapi::{
    CompileError, Compiler, Requirement, SchemaCheck, SchemaError, TagProblem, pointer,
};
use balampay_schema::{ErrorDetail, ErrorLocation, FieldErrorCode, OPERATIONS, OperationId};
use serde_json::Value;

/// The request body validator of every operation of the catalogue that takes a body, and
/// the schema of each of its query parameters.
pub struct Validators {
    bodies: BTreeMap<OperationId, SchemaCheck>,
    queries: BTreeMap<OperationId, Vec<QueryParameter>>,
}

/// One query parameter of an operation, as the spec describes it.
struct QueryParameter {
    name: String,
    /// Whether the schema's `type` is `integer`: the text is then read as a number before
    /// it is judged, as OpenAPI's form style reads it.
    integer: bool,
    check: SchemaCheck,
}

impl Validators {
    /// Compiles the validators from the spec the sandbox serves: for each catalogue row with
    /// a request body, the component schema the row names.
    ///
    /// # Errors
    /// [`CompileError`] when a schema does not compile (a bug of the schema crate).
    pub fn from_spec(doc: Value) -> Result<Self, CompileError> {
        let doc = Arc::new(doc);
        let compiler = Compiler::new(doc.clone())?;
        let mut bodies = BTreeMap::new();
        let mut queries = BTreeMap::new();
        for operation in OPERATIONS {
            if let Some(component) = operation.request {
                let location = pointer::join("/components/schemas", component);
                bodies.insert(operation.id, compiler.check(&location)?);
            }
            let method = operation.method.as_str().to_ascii_lowercase();
            let at = pointer::join(&pointer::join("/paths", operation.path), &method);
            let mut parameters = Vec::new();
            let listed = doc
                .pointer(&format!("{at}/parameters"))
                .and_then(Value::as_array);
            for (index, parameter) in listed.into_iter().flatten().enumerate() {
                if parameter["in"] != "query" {
                    continue;
                }
                let schema = format!("{at}/parameters/{index}/schema");
                parameters.push(QueryParameter {
                    name: parameter["name"].as_str().unwrap_or_default().to_owned(),
                    integer: parameter["schema"]["type"] == "integer",
                    check: compiler.check(&schema)?,
                });
            }
            queries.insert(operation.id, parameters);
        }
        Ok(Self { bodies, queries })
    }

    /// Judges each query parameter given against its schema in the spec, in the spec's
    /// order; the error lists every parameter that breaks its schema (`location: query`,
    /// `field`: the parameter's name). Parameters the operation does not have are refused
    /// before, when the query is read.
    pub fn validate_query(
        &self,
        operation: OperationId,
        query: &std::collections::HashMap<String, String>,
    ) -> Result<(), Vec<ErrorDetail>> {
        let mut details = Vec::new();
        for parameter in self.queries.get(&operation).into_iter().flatten() {
            let Some(text) = query.get(&parameter.name) else {
                continue;
            };
            let value = match text.parse::<i64>() {
                Ok(number) if parameter.integer => Value::from(number),
                _ => Value::String(text.clone()),
            };
            if let Some(error) = parameter.check.errors(&value).into_iter().next() {
                details.push(ErrorDetail {
                    location: ErrorLocation::Query,
                    field: parameter.name.clone(),
                    code: code_of(error.requirement.keyword()),
                    message: error.requirement.must(),
                });
            }
        }
        if details.is_empty() {
            Ok(())
        } else {
            Err(details)
        }
    }

    /// Validates the body of an operation; the error lists every problem found.
    pub fn validate(&self, operation: OperationId, body: &Value) -> Result<(), Vec<ErrorDetail>> {
        let Some(check) = self.bodies.get(&operation) else {
            // The catalogue says this operation takes no body; a handler that reads one is a
            // bug the catalogue test catches, and nothing is accepted unchecked meanwhile.
            return Err(vec![detail(
                "",
                FieldErrorCode::InvalidValue,
                "this operation takes no request body",
            )]);
        };
        if check.is_valid(body) {
            return Ok(());
        }
        let details: Vec<ErrorDetail> = check.errors(body).iter().flat_map(details_of).collect();
        if details.is_empty() {
            Ok(())
        } else {
            Err(details)
        }
    }
}

/// The field errors of one schema error. A missing property is reported at the property's
/// own pointer, and each unknown property at its own, so that a client can point at the
/// field in its form.
fn details_of(error: &SchemaError) -> Vec<ErrorDetail> {
    let at = error.pointer.as_str();
    match &error.requirement {
        Requirement::Required { property } => vec![detail(
            &pointer::join(at, property),
            FieldErrorCode::Required,
            &error.requirement.must(),
        )],
        Requirement::NoAdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|name| {
                detail(
                    &pointer::join(at, name),
                    FieldErrorCode::UnknownField,
                    &error.requirement.must(),
                )
            })
            .collect(),
        Requirement::Discriminator { problem, .. } => {
            let code = match problem {
                TagProblem::NotAnObject | TagProblem::NotAString => FieldErrorCode::InvalidType,
                TagProblem::Missing => FieldErrorCode::Required,
                TagProblem::Unknown => FieldErrorCode::InvalidValue,
            };
            vec![detail(at, code, &error.requirement.must())]
        }
        requirement => vec![detail(
            at,
            code_of(requirement.keyword()),
            &requirement.must(),
        )],
    }
}

fn detail(field: &str, code: FieldErrorCode, message: &str) -> ErrorDetail {
    ErrorDetail {
        location: ErrorLocation::Body,
        field: field.to_owned(),
        code,
        message: message.to_owned(),
    }
}

/// The field error code of a JSON Schema keyword.
fn code_of(keyword: &str) -> FieldErrorCode {
    match keyword {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn validators() -> Validators {
        Validators::from_spec(balampay_schema::openapi_document()).expect("compiles")
    }

    #[test]
    fn every_catalogue_body_has_a_validator() {
        let validators = validators();
        for operation in OPERATIONS {
            assert_eq!(
                validators.bodies.contains_key(&operation.id),
                operation.request.is_some(),
                "{}",
                operation.id
            );
        }
    }

    #[test]
    fn query_parameters_are_judged_by_their_schemas() {
        let validators = validators();
        let query = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<std::collections::HashMap<_, _>>()
        };
        assert_eq!(
            validators.validate_query(
                OperationId::ListUsers,
                &query(&[
                    ("limit", "100"),
                    ("email", "ana@example.com"),
                    ("type", "business")
                ])
            ),
            Ok(())
        );
        let details = validators
            .validate_query(
                OperationId::ListUsers,
                &query(&[
                    ("email", "not an email"),
                    ("limit", "1.5"),
                    ("status", "gone"),
                ]),
            )
            .expect_err("three bad parameters");
        let fields: Vec<(&str, FieldErrorCode)> =
            details.iter().map(|d| (d.field.as_str(), d.code)).collect();
        assert_eq!(
            fields,
            [
                ("limit", FieldErrorCode::InvalidType),
                ("status", FieldErrorCode::InvalidValue),
                ("email", FieldErrorCode::InvalidFormat),
            ]
        );
        let long = format!("{}@example.com", "a".repeat(250));
        let details = validators
            .validate_query(OperationId::ListUsers, &query(&[("email", &long)]))
            .expect_err("too long");
        assert_eq!(details[0].code, FieldErrorCode::TooLong);
    }

    #[test]
    fn errors_name_the_field_in_the_intended_branch() {
        let validators = validators();
        let details = validators
            .validate(
                OperationId::CreateUser,
                &json!({"type": "individual", "email": "ana@example.com", "surprise": 1}),
            )
            .expect_err("invalid");
        let fields: Vec<(&str, FieldErrorCode)> =
            details.iter().map(|d| (d.field.as_str(), d.code)).collect();
        assert!(
            fields.contains(&("/surprise", FieldErrorCode::UnknownField)),
            "{fields:?}"
        );
        assert!(
            fields.contains(&("/first_name", FieldErrorCode::Required)),
            "{fields:?}"
        );
        let tag = validators
            .validate(OperationId::CreateUser, &json!({"type": "robot"}))
            .expect_err("unknown tag");
        assert_eq!(tag[0].field, "/type");
        assert_eq!(tag[0].code, FieldErrorCode::InvalidValue);
        let not_object = validators
            .validate(OperationId::CreateUser, &json!([]))
            .expect_err("not an object");
        assert_eq!(not_object[0].field, "");
        assert_eq!(not_object[0].message, "the body must be a JSON object");
    }
}
