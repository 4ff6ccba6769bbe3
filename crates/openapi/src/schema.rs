//! Compiled validators for the schemas of an OpenAPI 3.1 document (JSON Schema 2020-12,
//! formats asserted, every `$ref` resolved inside the document), cached by the schema's JSON
//! pointer, and discriminated unions validated against the branch their tag names so that an
//! error points at the branch's own field instead of "no branch matched".

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::pointer;
use crate::reference::{self, RefError};
use crate::requirement::{Requirement, TagProblem};

/// Why a schema could not be compiled. Messages read after "failed to".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// A `$ref` on the way to the schema, or of its discriminator mapping, cannot be followed.
    #[error(transparent)]
    Reference(#[from] RefError),
    /// jsonschema refused the schema.
    #[error("compile the schema at {pointer}: {message}")]
    Invalid {
        /// Where the schema is.
        pointer: String,
        /// jsonschema's description.
        message: String,
    },
    /// A discriminator's mapping value is not a string.
    #[error(
        "compile the schema at {pointer}: the discriminator mapping of {tag:?} is not a string"
    )]
    BadMapping {
        /// Where the union is.
        pointer: String,
        /// The tag value.
        tag: String,
    },
}

/// Compiles a standalone JSON Schema (a webhook event's schema file, for instance) the way
/// every validator of this workspace is compiled: draft 2020-12, formats asserted, no
/// remote reference ever fetched.
///
/// # Errors
/// [`CompileError::Invalid`] when jsonschema refuses the schema (`pointer` is `""`).
pub fn standalone(schema: &Value) -> Result<jsonschema::Validator, CompileError> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(schema)
        .map_err(|error| CompileError::Invalid {
            pointer: String::new(),
            message: error.to_string(),
        })
}

/// The URI the document is registered under, so that `$ref`s inside it resolve.
const DOCUMENT: &str = "urn:balampay:openapi";

/// Compiles and caches the validators of one document's schemas.
pub struct Compiler {
    /// The document, registered once: each validator is a `$ref` into it, so nothing of the
    /// document is copied per schema.
    registry: jsonschema::Registry<'static>,
    doc: Arc<Value>,
    cache: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

impl Compiler {
    /// A compiler for the schemas of `doc`.
    ///
    /// # Errors
    /// [`CompileError::Invalid`] (at `""`) when the document cannot be registered.
    pub fn new(doc: Arc<Value>) -> Result<Self, CompileError> {
        let invalid = |error: jsonschema::ReferencingError| CompileError::Invalid {
            pointer: String::new(),
            message: error.to_string(),
        };
        let registry = jsonschema::Registry::new()
            .draft(jsonschema::Draft::Draft202012)
            .add(DOCUMENT, doc.clone())
            .map_err(invalid)?
            .prepare()
            .map_err(invalid)?;
        Ok(Self {
            registry,
            doc,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The document.
    pub fn doc(&self) -> &Value {
        &self.doc
    }

    /// The validator of the schema at `pointer` (compiled once, then shared).
    ///
    /// # Errors
    /// [`CompileError`] when there is nothing at the pointer or jsonschema refuses it.
    pub fn validator(&self, pointer: &str) -> Result<Arc<jsonschema::Validator>, CompileError> {
        if let Some(found) = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(pointer)
        {
            return Ok(found.clone());
        }
        if self.doc.pointer(pointer).is_none() {
            return Err(RefError::Nothing {
                pointer: pointer.to_owned(),
            }
            .into());
        }
        let root =
            serde_json::json!({"$ref": format!("{DOCUMENT}{}", pointer::to_fragment(pointer))});
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .with_registry(&self.registry)
            .build(&root)
            .map_err(|error| CompileError::Invalid {
                pointer: pointer.to_owned(),
                message: error.to_string(),
            })?;
        let validator = Arc::new(validator);
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(pointer.to_owned(), validator.clone());
        Ok(validator)
    }

    /// A check of the schema at `pointer`: a discriminated union (after following any
    /// `$ref`s) gets one validator per branch.
    ///
    /// # Errors
    /// As [`Compiler::validator`], and [`CompileError::BadMapping`].
    pub fn check(&self, pointer: &str) -> Result<SchemaCheck, CompileError> {
        let whole = self.validator(pointer)?;
        let target = reference::resolve_pointer(&self.doc, pointer)?;
        // A discriminator routes by tag only when it names its branches (a mapping, or
        // `oneOf`/`anyOf` references); one on a base schema of the `allOf` pattern names
        // none, and the schema is validated whole.
        let union = match target
            .value
            .pointer("/discriminator/propertyName")
            .and_then(Value::as_str)
        {
            Some(property) => {
                let branches = self.branches(target.value, &target.pointer)?;
                (!branches.is_empty()).then(|| Union {
                    property: property.to_owned(),
                    branches,
                })
            }
            None => None,
        };
        Ok(SchemaCheck {
            location: pointer.to_owned(),
            whole,
            union,
        })
    }

    /// The branches of a union: the mapping's, and each other `oneOf`/`anyOf` `$ref` under
    /// its component's name (OpenAPI 3.1.0 §4.8.25.2, implicit mapping).
    fn branches(&self, union: &Value, at: &str) -> Result<Vec<Branch>, CompileError> {
        let mut branches = Vec::new();
        if let Some(mapping) = union
            .pointer("/discriminator/mapping")
            .and_then(Value::as_object)
        {
            for (tag, reference) in mapping {
                let reference = reference.as_str().ok_or_else(|| CompileError::BadMapping {
                    pointer: at.to_owned(),
                    tag: tag.clone(),
                })?;
                let location = branch_pointer(reference, at)?;
                branches.push(Branch {
                    tag: tag.clone(),
                    validator: self.validator(&location)?,
                    location,
                });
            }
        }
        for keyword in ["oneOf", "anyOf"] {
            for option in union
                .get(keyword)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(reference) = option.get("$ref").and_then(Value::as_str) {
                    let location = branch_pointer(reference, at)?;
                    // A branch the mapping names already is not named again by its component
                    // (OpenAPI 3.1.0 §4.8.25.2: the implicit names apply to the rest).
                    if branches.iter().any(|b| b.location == location) {
                        continue;
                    }
                    let tag = location.rsplit('/').next().unwrap_or_default();
                    let tag = pointer::unescape(tag)
                        .map(|t| t.into_owned())
                        .unwrap_or_else(|_| tag.to_owned());
                    branches.push(Branch {
                        tag,
                        validator: self.validator(&location)?,
                        location,
                    });
                }
            }
        }
        Ok(branches)
    }
}

fn branch_pointer(reference: &str, at: &str) -> Result<String, CompileError> {
    match pointer::from_fragment(reference) {
        Ok(Some(location)) => Ok(location),
        Ok(None) => Err(RefError::NotLocal {
            at: at.to_owned(),
            reference: reference.to_owned(),
        }
        .into()),
        Err(error) => Err(RefError::Malformed {
            at: at.to_owned(),
            reference: reference.to_owned(),
            reason: error.to_string(),
        }
        .into()),
    }
}

/// A compiled schema, union-aware.
pub struct SchemaCheck {
    /// Where the schema is in the document (a JSON pointer).
    pub location: String,
    whole: Arc<jsonschema::Validator>,
    union: Option<Union>,
}

struct Union {
    property: String,
    branches: Vec<Branch>,
}

struct Branch {
    tag: String,
    location: String,
    validator: Arc<jsonschema::Validator>,
}

/// One schema error.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaError {
    /// Where in the instance (a JSON pointer; `""` is the whole instance).
    pub pointer: String,
    /// Where in the document the failed keyword is (a JSON pointer ending in the keyword).
    pub schema_location: String,
    /// What the keyword requires.
    pub requirement: Requirement,
    /// The value found at `pointer` (`null` when there is none). Mask it before showing it.
    pub actual: Value,
}

impl SchemaError {
    /// The keyword that failed.
    pub fn keyword(&self) -> &str {
        self.requirement.keyword()
    }
}

/// What to validate an instance with: a union's branch, or the whole schema.
enum Route<'c> {
    Validator(&'c jsonschema::Validator, &'c str),
    Tag(TagProblem),
}

impl SchemaCheck {
    fn route(&self, instance: &Value) -> Route<'_> {
        let Some(union) = &self.union else {
            return Route::Validator(&self.whole, &self.location);
        };
        let Some(object) = instance.as_object() else {
            return Route::Tag(TagProblem::NotAnObject);
        };
        match object.get(&union.property) {
            None => Route::Tag(TagProblem::Missing),
            Some(Value::String(tag)) => match union.branches.iter().find(|b| b.tag == *tag) {
                Some(branch) => Route::Validator(&branch.validator, &branch.location),
                None => Route::Tag(TagProblem::Unknown),
            },
            Some(_) => Route::Tag(TagProblem::NotAString),
        }
    }

    /// Whether the instance is valid: the fast yes/no of the validator, with no error built.
    pub fn is_valid(&self, instance: &Value) -> bool {
        match self.route(instance) {
            Route::Validator(validator, _) => validator.is_valid(instance),
            Route::Tag(_) => false,
        }
    }

    /// Every error of an instance, in jsonschema's order.
    pub fn errors(&self, instance: &Value) -> Vec<SchemaError> {
        let (validator, location) = match self.route(instance) {
            Route::Validator(validator, location) => (validator, location),
            Route::Tag(problem) => return vec![self.tag_error(instance, problem)],
        };
        validator
            .iter_errors(instance)
            .map(|error| {
                let pointer = error.instance_path().to_string();
                // jsonschema reports the keyword's path through the wrapper's `$ref`; past a
                // reference it is already a pointer into the document.
                let keyword_path = error
                    .schema_path()
                    .as_str()
                    .trim_start_matches("/$ref")
                    .to_owned();
                let schema_location = if ["/components/", "/paths/", "/webhooks/"]
                    .iter()
                    .any(|root| keyword_path.starts_with(root))
                {
                    keyword_path
                } else {
                    format!("{location}{keyword_path}")
                };
                SchemaError {
                    actual: instance.pointer(&pointer).cloned().unwrap_or(Value::Null),
                    requirement: Requirement::of(&error),
                    pointer,
                    schema_location,
                }
            })
            .collect()
    }

    fn tag_error(&self, instance: &Value, problem: TagProblem) -> SchemaError {
        let (property, tags) = match &self.union {
            Some(union) => (
                union.property.clone(),
                union.branches.iter().map(|b| b.tag.clone()).collect(),
            ),
            None => (String::new(), Vec::new()),
        };
        let pointer = match problem {
            TagProblem::NotAnObject => String::new(),
            _ => pointer::join("", &property),
        };
        SchemaError {
            actual: instance.pointer(&pointer).cloned().unwrap_or(Value::Null),
            schema_location: format!("{}/discriminator", self.location),
            requirement: Requirement::Discriminator {
                property,
                tags,
                problem,
            },
            pointer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Arc<Value> {
        Arc::new(json!({
            "openapi": "3.1.0",
            "paths": {"/v1/things/{id}": {"get": {"responses": {
                "200": {"$ref": "#/components/responses/Hop1"}
            }}}},
            "components": {
                "responses": {
                    "Hop1": {"$ref": "#/components/responses/Hop2"},
                    "Hop2": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}
                },
                "schemas": {
                    "Pet": {
                        "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
                        "discriminator": {"propertyName": "kind", "mapping": {"cat": "#/components/schemas/Cat", "dog": "#/components/schemas/Dog"}}
                    },
                    "Implicit": {
                        "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
                        "discriminator": {"propertyName": "kind"}
                    },
                    "Cat": {"type": "object", "required": ["kind", "lives"], "properties": {"kind": {"const": "cat"}, "lives": {"type": "integer", "maximum": 9}}},
                    "Dog": {"type": "object", "required": ["kind"], "properties": {"kind": {"const": "dog"}, "email": {"type": "string", "format": "email"}}}
                }
            }
        }))
    }

    #[test]
    fn a_union_reports_the_branch_its_tag_names() {
        let compiler = Compiler::new(doc()).expect("registers");
        let check = compiler.check("/components/schemas/Pet").expect("compiles");
        assert!(check.is_valid(&json!({"kind": "cat", "lives": 9})));
        let errors = check.errors(&json!({"kind": "cat", "lives": 10}));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].pointer, "/lives");
        assert_eq!(
            errors[0].schema_location,
            "/components/schemas/Cat/properties/lives/maximum"
        );
        assert_eq!(errors[0].keyword(), "maximum");
        assert_eq!(errors[0].actual, json!(10));
        // Formats are asserted.
        assert!(!check.is_valid(&json!({"kind": "dog", "email": "not an email"})));
    }

    #[test]
    fn tag_problems_are_named_with_the_known_tags() {
        let compiler = Compiler::new(doc()).expect("registers");
        for pointer in ["/components/schemas/Pet", "/components/schemas/Implicit"] {
            let check = compiler.check(pointer).expect("compiles");
            for (instance, problem, at) in [
                (json!({"kind": "cow"}), TagProblem::Unknown, "/kind"),
                (json!({"lives": 1}), TagProblem::Missing, "/kind"),
                (json!({"kind": 3}), TagProblem::NotAString, "/kind"),
                (json!([1]), TagProblem::NotAnObject, ""),
            ] {
                assert!(!check.is_valid(&instance));
                let errors = check.errors(&instance);
                assert_eq!(errors.len(), 1, "{instance}");
                assert_eq!(errors[0].pointer, at);
                assert_eq!(
                    errors[0].requirement,
                    Requirement::Discriminator {
                        property: "kind".to_owned(),
                        tags: vec![
                            if pointer.ends_with("Pet") {
                                "cat"
                            } else {
                                "Cat"
                            }
                            .to_owned(),
                            if pointer.ends_with("Pet") {
                                "dog"
                            } else {
                                "Dog"
                            }
                            .to_owned()
                        ],
                        problem
                    }
                );
            }
        }
    }

    #[test]
    fn a_schema_behind_two_reference_hops_is_checked() {
        let compiler = Compiler::new(doc()).expect("registers");
        let target = reference::resolve_pointer(
            compiler.doc(),
            "/paths/~1v1~1things~1{id}/get/responses/200",
        )
        .expect("resolves");
        let location = format!("{}/content/application~1json/schema", target.pointer);
        let check = compiler.check(&location).expect("compiles");
        let errors = check.errors(&json!({"kind": "cat", "lives": "nine"}));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].pointer, "/lives");
    }

    #[test]
    fn a_discriminator_that_names_no_branch_validates_the_whole_schema() {
        let doc = Arc::new(json!({"components": {"schemas": {
            "Pet": {"type": "object", "required": ["petType"], "properties": {"petType": {"type": "string"}}, "discriminator": {"propertyName": "petType"}}
        }}}));
        let check = Compiler::new(doc)
            .expect("registers")
            .check("/components/schemas/Pet")
            .expect("compiles");
        assert!(check.is_valid(&json!({"petType": "Cat"})));
        assert_eq!(check.errors(&json!({}))[0].keyword(), "required");
    }

    #[test]
    fn validators_are_cached_by_pointer() {
        let compiler = Compiler::new(doc()).expect("registers");
        let first = compiler
            .validator("/components/schemas/Cat")
            .expect("compiles");
        let again = compiler
            .validator("/components/schemas/Cat")
            .expect("compiles");
        assert!(Arc::ptr_eq(&first, &again));
        assert!(matches!(
            compiler.validator("/components/schemas/Nothing"),
            Err(CompileError::Reference(RefError::Nothing { .. }))
        ));
    }
}
