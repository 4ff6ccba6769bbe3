//! Local `$ref` resolution: a Reference Object (OpenAPI 3.1.0 §4.8.23) or a schema `$ref`
//! (JSON Schema 2020-12 §8.2.3.1) that points at another `$ref` is followed through any
//! number of hops, a chain that comes back on itself is an error naming every hop, and a
//! reference to nothing is an error naming where it is written.

use serde_json::Value;

use crate::pointer::{self, PointerError};

/// Why a `$ref` could not be followed. Every variant names where the reference is written
/// (a JSON pointer into the document).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    /// There is nothing at the pointer resolution started from.
    #[error("find anything at {pointer} (the pointer names no value of the document)")]
    Nothing {
        /// The pointer.
        pointer: String,
    },
    /// The reference points at nothing.
    #[error("resolve the $ref {reference:?} at {at}: the document has nothing there")]
    Dangling {
        /// Where the `$ref` is written.
        at: String,
        /// The reference.
        reference: String,
    },
    /// The reference is to another document; only references inside the document (starting
    /// with `#/`) are followed, so no file or URL is ever fetched.
    #[error(
        "resolve the $ref {reference:?} at {at}: only references inside the document (starting with `#/`) are supported"
    )]
    NotLocal {
        /// Where the `$ref` is written.
        at: String,
        /// The reference.
        reference: String,
    },
    /// The reference's fragment is not a JSON pointer (a plain-name `#anchor`, bad
    /// percent-encoding or a bad `~` escape).
    #[error("resolve the $ref {reference:?} at {at}: {reason}")]
    Malformed {
        /// Where the `$ref` is written.
        at: String,
        /// The reference.
        reference: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `$ref` is not a string.
    #[error("resolve the $ref at {at}: its value must be a string")]
    NotAString {
        /// Where the `$ref` is written.
        at: String,
    },
    /// Following the references comes back to where it started: `A → B → A`.
    #[error("resolve the $ref at {}: the references form a cycle ({})", .chain[0], .chain.join(" → "))]
    Cycle {
        /// The pointers of the chain, the first repeated at the end.
        chain: Vec<String>,
    },
}

/// A value reached through `$ref`s, with the pointer it was found at.
#[derive(Debug, Clone, PartialEq)]
pub struct Target<'a> {
    /// The value that is not itself a `$ref`.
    pub value: &'a Value,
    /// Where it is in the document (a JSON pointer).
    pub pointer: String,
    /// How many `$ref`s were followed to reach it.
    pub hops: usize,
}

/// Follows the `$ref` chain that starts at the value at `pointer`.
///
/// # Errors
/// [`RefError`] when there is nothing at `pointer`, or a reference of the chain is not a
/// local JSON-pointer reference, points at nothing, or comes back on the chain.
pub fn resolve_pointer<'a>(doc: &'a Value, pointer: &str) -> Result<Target<'a>, RefError> {
    let value = doc.pointer(pointer).ok_or_else(|| RefError::Nothing {
        pointer: pointer.to_owned(),
    })?;
    resolve(doc, value, pointer)
}

/// Follows the `$ref` chain of `value`, which is at `at` in the document. A value without
/// `$ref` resolves to itself with zero hops.
///
/// # Errors
/// As [`resolve_pointer`].
pub fn resolve<'a>(doc: &'a Value, value: &'a Value, at: &str) -> Result<Target<'a>, RefError> {
    let mut current = value;
    let mut here = at.to_owned();
    let mut chain: Vec<String> = Vec::new();
    loop {
        let Some(reference) = current.get("$ref") else {
            return Ok(Target {
                value: current,
                pointer: here,
                hops: chain.len(),
            });
        };
        let Some(reference) = reference.as_str() else {
            return Err(RefError::NotAString { at: here });
        };
        let target = local_pointer(reference, &here)?;
        if chain.contains(&here) {
            chain.push(here);
            // Show the cycle from its first repeated element on.
            let start = chain.iter().position(|p| *p == chain[chain.len() - 1]);
            let cycle = chain.split_off(start.unwrap_or(0));
            return Err(RefError::Cycle { chain: cycle });
        }
        chain.push(here.clone());
        current = doc.pointer(&target).ok_or_else(|| RefError::Dangling {
            at: here.clone(),
            reference: reference.to_owned(),
        })?;
        here = target;
    }
}

/// The value `value` leads to through its `$ref` chain, or `value` itself when the chain
/// cannot be followed. For comparing documents already checked with
/// [`check_references`], where a broken chain cannot occur, and for tools that must compare
/// what is written rather than refuse.
pub fn follow<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    resolve(doc, value, "").map_or(value, |target| target.value)
}

/// The JSON pointer a reference written at `at` names.
fn local_pointer(reference: &str, at: &str) -> Result<String, RefError> {
    let malformed = |reason: String| RefError::Malformed {
        at: at.to_owned(),
        reference: reference.to_owned(),
        reason,
    };
    match pointer::from_fragment(reference) {
        Ok(Some(target)) if target.is_empty() || target.starts_with('/') => {
            // Reject a bad `~` escape here, where the reference can be named.
            pointer::tokens(&target).map_err(|error: PointerError| malformed(error.to_string()))?;
            Ok(target)
        }
        Ok(Some(_)) => Err(malformed(
            "plain-name fragments (`#anchor`) are not followed; use a JSON pointer (`#/…`)"
                .to_owned(),
        )),
        Ok(None) => Err(RefError::NotLocal {
            at: at.to_owned(),
            reference: reference.to_owned(),
        }),
        Err(error) => Err(malformed(error.to_string())),
    }
}

/// Every `$ref` of the document that cannot be followed, in document order.
///
/// Literal values are not searched: `example`, `const`, `enum`, `default`, a schema's
/// `examples` array, an Example Object's `value`, and `x-` extensions hold data that may
/// well contain a `"$ref"` key without meaning one.
pub fn check_references(doc: &Value) -> Vec<RefError> {
    let mut errors = Vec::new();
    walk(doc, doc, String::new(), &mut errors);
    errors
}

fn walk(doc: &Value, value: &Value, at: String, errors: &mut Vec<RefError>) {
    match value {
        Value::Object(object) => {
            if object.contains_key("$ref")
                && let Err(error) = resolve(doc, value, &at)
                && !errors.contains(&error)
            {
                errors.push(error);
            }
            let example_object = object.contains_key("value")
                && object.keys().all(|k| {
                    matches!(
                        k.as_str(),
                        "summary" | "description" | "value" | "externalValue"
                    )
                });
            for (key, child) in object {
                let literal = matches!(key.as_str(), "example" | "const" | "enum" | "default")
                    || (key == "examples" && child.is_array())
                    || (key == "value" && example_object)
                    || key.starts_with("x-");
                if !literal {
                    walk(doc, child, pointer::join(&at, key), errors);
                }
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                walk(doc, item, pointer::join(&at, &index.to_string()), errors);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({
            "paths": {"/v1/users/{userId}": {"get": {"responses": {
                "200": {"$ref": "#/components/responses/A"}
            }}}},
            "components": {
                "responses": {
                    "A": {"$ref": "#/components/responses/B"},
                    "B": {"$ref": "#/components/responses/C"},
                    "C": {"description": "the user"},
                    "Loop1": {"$ref": "#/components/responses/Loop2"},
                    "Loop2": {"$ref": "#/components/responses/Loop1"},
                    "Self": {"$ref": "#/components/responses/Self"},
                    "Gone": {"$ref": "#/components/responses/Nowhere"},
                    "Remote": {"$ref": "other.yaml#/components/responses/C"},
                    "Anchor": {"$ref": "#user"},
                    "Tilde": {"$ref": "#/components/responses/a~2b"},
                    "Braces": {"$ref": "#/paths/~1v1~1users~1%7BuserId%7D/get"}
                },
                "schemas": {
                    "Tree": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}}}},
                    "Example": {"example": {"$ref": "not a reference"}, "examples": [{"$ref": 1}]}
                },
                "examples": {"E": {"value": {"$ref": "data, not a reference"}}}
            }
        })
    }

    #[test]
    fn chains_of_any_length_are_followed() {
        let doc = doc();
        let target =
            resolve_pointer(&doc, "/paths/~1v1~1users~1{userId}/get/responses/200").expect("ok");
        assert_eq!(target.value, &json!({"description": "the user"}));
        assert_eq!(target.pointer, "/components/responses/C");
        assert_eq!(target.hops, 3);
        let plain = resolve_pointer(&doc, "/components/responses/C").expect("ok");
        assert_eq!(plain.hops, 0);
        let braces = resolve_pointer(&doc, "/components/responses/Braces").expect("ok");
        assert_eq!(braces.pointer, "/paths/~1v1~1users~1{userId}/get");
    }

    #[test]
    fn cycles_are_errors_that_name_every_hop() {
        let doc = doc();
        let error = resolve_pointer(&doc, "/components/responses/Loop1").expect_err("cycle");
        assert_eq!(
            error,
            RefError::Cycle {
                chain: vec![
                    "/components/responses/Loop1".to_owned(),
                    "/components/responses/Loop2".to_owned(),
                    "/components/responses/Loop1".to_owned(),
                ]
            }
        );
        assert!(error.to_string().contains(
            "/components/responses/Loop1 → /components/responses/Loop2 → /components/responses/Loop1"
        ));
        assert!(matches!(
            resolve_pointer(&doc, "/components/responses/Self"),
            Err(RefError::Cycle { chain }) if chain.len() == 2
        ));
    }

    #[test]
    fn dangling_remote_and_malformed_references_are_located() {
        let doc = doc();
        assert_eq!(
            resolve_pointer(&doc, "/components/responses/Gone"),
            Err(RefError::Dangling {
                at: "/components/responses/Gone".to_owned(),
                reference: "#/components/responses/Nowhere".to_owned(),
            })
        );
        assert!(matches!(
            resolve_pointer(&doc, "/components/responses/Remote"),
            Err(RefError::NotLocal { .. })
        ));
        assert!(matches!(
            resolve_pointer(&doc, "/components/responses/Anchor"),
            Err(RefError::Malformed { .. })
        ));
        assert!(matches!(
            resolve_pointer(&doc, "/components/responses/Tilde"),
            Err(RefError::Malformed { .. })
        ));
        assert!(matches!(
            resolve_pointer(&doc, "/nothing/here"),
            Err(RefError::Nothing { .. })
        ));
    }

    #[test]
    fn the_whole_document_check_finds_each_bad_reference_once_and_skips_data() {
        let errors = check_references(&doc());
        let located: Vec<String> = errors.iter().map(ToString::to_string).collect();
        // Loop1 and Loop2 are the same cycle seen from two places; Self is a third.
        assert_eq!(errors.len(), 7, "{located:#?}");
        assert!(located.iter().all(|e| !e.contains("/components/schemas")));
        assert!(located.iter().all(|e| !e.contains("/components/examples")));
    }
}
