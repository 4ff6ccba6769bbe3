//! Reading an OpenAPI document: JSON or YAML (OpenAPI 3.1.0 §4.3), UTF-8 with or without a
//! byte-order mark, with its `openapi` version (§4.8.1) checked. Every error names the origin
//! (a file name, `git:REV:PATH`, "the published spec") and, where the text has one, the line
//! and column.

use std::fmt;
use std::path::Path;

use serde_json::Value;

use crate::reference::{self, RefError};

/// The OpenAPI versions this workspace reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// OpenAPI 3.0.x (schemas are an extended subset of JSON Schema draft 4).
    V3_0,
    /// OpenAPI 3.1.x (schemas are JSON Schema 2020-12).
    V3_1,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Version::V3_0 => "3.0.x",
            Version::V3_1 => "3.1.x",
        })
    }
}

/// Why a document could not be read. Messages read after "failed to".
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("read {origin}: {cause}")]
    Read {
        /// The file.
        origin: String,
        /// The operating system's error.
        cause: std::io::Error,
    },
    /// The bytes are not UTF-8 (OpenAPI 3.1.0 §4.3 asks for UTF-8).
    #[error("read {origin}: not UTF-8 at line {line}, column {column} (byte {offset})")]
    NotUtf8 {
        /// Where the text came from.
        origin: String,
        /// The 1-based line of the first bad byte.
        line: usize,
        /// The 1-based column (in characters) of the first bad byte.
        column: usize,
        /// The 0-based byte offset of the first bad byte.
        offset: usize,
    },
    /// The text starts like JSON but is not valid JSON.
    #[error("read {origin}: not valid JSON at line {line}, column {column}: {message}")]
    Json {
        /// Where the text came from.
        origin: String,
        /// The 1-based line.
        line: usize,
        /// The 1-based column.
        column: usize,
        /// serde_json's description.
        message: String,
    },
    /// The text is not valid YAML.
    #[error("read {origin}: not valid YAML{}: {message}", location(*.line, *.column))]
    Yaml {
        /// Where the text came from.
        origin: String,
        /// The 1-based line, when the parser knows it.
        line: Option<usize>,
        /// The 1-based column, when the parser knows it.
        column: Option<usize>,
        /// The parser's description.
        message: String,
    },
    /// The document is not an object.
    #[error("read {origin}: an OpenAPI document is an object, and this one is not")]
    NotAnObject {
        /// Where the text came from.
        origin: String,
    },
    /// The document has no `openapi` field, or one that is not a string. A Swagger 2.0
    /// document (`"swagger": "2.0"`) is named as such.
    #[error("read {origin}: {}", no_version_reason(.found))]
    NoVersion {
        /// Where the text came from.
        origin: String,
        /// What stands in place of a version: `swagger 2.0`, or the JSON of a non-string
        /// `openapi` field; empty when there is nothing.
        found: String,
    },
    /// The document's `openapi` version is not one the caller supports.
    #[error(
        "read {origin}: /openapi is {found:?}; only OpenAPI {} documents are supported",
        .supported.iter().map(ToString::to_string).collect::<Vec<_>>().join(" and ")
    )]
    UnsupportedVersion {
        /// Where the text came from.
        origin: String,
        /// The version the document declares.
        found: String,
        /// The versions the caller supports.
        supported: Vec<Version>,
    },
    /// Some `$ref`s of the document cannot be followed.
    #[error(
        "read {origin}: {} $ref problem(s): {}",
        .errors.len(),
        .errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    References {
        /// Where the text came from.
        origin: String,
        /// Each problem, located.
        errors: Vec<RefError>,
    },
}

fn location(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!(" at line {line}, column {column}"),
        (Some(line), None) => format!(" at line {line}"),
        _ => String::new(),
    }
}

/// A parsed OpenAPI document.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The document.
    pub value: Value,
    /// Where it came from, for messages.
    pub origin: String,
    /// Its `openapi` version, when it is one this workspace reads (`None` for another, such
    /// as `2.0`: [`Document::require`] names it).
    pub version: Option<Version>,
}

impl Document {
    /// Reads a file (JSON or YAML).
    ///
    /// # Errors
    /// [`LoadError`]: the file cannot be read, is not UTF-8, JSON or YAML, or has no
    /// `openapi` version (which versions are accepted is the caller's [`Document::require`]).
    pub fn read(path: &Path) -> Result<Self, LoadError> {
        let origin = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|cause| LoadError::Read {
            origin: origin.clone(),
            cause,
        })?;
        Self::parse(&bytes, &origin)
    }

    /// Parses a document: JSON when its first non-blank character is `{`, YAML otherwise. A
    /// UTF-8 byte-order mark is skipped.
    ///
    /// # Errors
    /// As [`Document::read`], less the file.
    pub fn parse(bytes: &[u8], origin: &str) -> Result<Self, LoadError> {
        let text = utf8(bytes, origin)?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let value: Value = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|error| LoadError::Json {
                origin: origin.to_owned(),
                line: error.line(),
                column: error.column(),
                message: strip_location(&error.to_string()),
            })?
        } else {
            serde_norway::from_str(text).map_err(|error| {
                let place = error.location();
                LoadError::Yaml {
                    origin: origin.to_owned(),
                    line: place.as_ref().map(|p| p.line()),
                    column: place.as_ref().map(|p| p.column()),
                    message: strip_location(&error.to_string()),
                }
            })?
        };
        if !value.is_object() {
            return Err(LoadError::NotAnObject {
                origin: origin.to_owned(),
            });
        }
        let version = match declared_version(&value) {
            Ok(version) => Some(version),
            Err(None) => {
                let found = match (value.get("swagger"), value.get("openapi")) {
                    (Some(swagger), _) => {
                        format!(
                            "swagger {}",
                            swagger.as_str().unwrap_or(&swagger.to_string())
                        )
                    }
                    (None, Some(other)) => other.to_string(),
                    (None, None) => String::new(),
                };
                return Err(LoadError::NoVersion {
                    origin: origin.to_owned(),
                    found,
                });
            }
            Err(Some(_)) => None,
        };
        Ok(Self {
            value,
            origin: origin.to_owned(),
            version,
        })
    }

    /// The document, when its version is one of `supported`.
    ///
    /// # Errors
    /// [`LoadError::UnsupportedVersion`], naming the supported versions (`3.1.x`).
    pub fn require(self, supported: &[Version]) -> Result<Self, LoadError> {
        if self
            .version
            .is_some_and(|version| supported.contains(&version))
        {
            Ok(self)
        } else {
            Err(LoadError::UnsupportedVersion {
                found: self.value["openapi"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                origin: self.origin,
                supported: supported.to_vec(),
            })
        }
    }

    /// The document, when every `$ref` in it can be followed (see
    /// [`reference::check_references`]).
    ///
    /// # Errors
    /// [`LoadError::References`] with every problem, each located by its JSON pointer.
    pub fn require_resolvable(self) -> Result<Self, LoadError> {
        let errors = reference::check_references(&self.value);
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(LoadError::References {
                origin: self.origin,
                errors,
            })
        }
    }
}

/// The message of [`LoadError::NoVersion`].
fn no_version_reason(found: &str) -> String {
    if let Some(version) = found.strip_prefix("swagger ") {
        format!(
            "this is a Swagger {version} document (`swagger` at /swagger); only OpenAPI 3.0.x and 3.1.x documents are read (convert it first, e.g. with swagger2openapi)"
        )
    } else if found.is_empty() {
        "no `openapi` version at /openapi".to_owned()
    } else {
        format!("/openapi is {found}, not a version string such as \"3.1.0\"")
    }
}

/// The version a document declares at `/openapi` (OpenAPI 3.1.0 §4.8.1): 3.0.x or 3.1.x, or
/// else what the field holds (`None` when it is absent or not a string).
///
/// # Errors
/// The field's text when it names another version, `None` when there is none.
pub fn declared_version(document: &Value) -> Result<Version, Option<String>> {
    match document.get("openapi").and_then(Value::as_str) {
        Some(found) if found.starts_with("3.1.") => Ok(Version::V3_1),
        Some(found) if found.starts_with("3.0.") => Ok(Version::V3_0),
        Some(found) => Err(Some(found.to_owned())),
        None => Err(None),
    }
}

/// The text of a byte string, or where its first byte that is not UTF-8 is.
///
/// # Errors
/// [`LoadError::NotUtf8`] with the line and column of that byte.
pub fn utf8<'b>(bytes: &'b [u8], origin: &str) -> Result<&'b str, LoadError> {
    std::str::from_utf8(bytes).map_err(|error| {
        let offset = error.valid_up_to();
        let (line, column) = line_and_column(&bytes[..offset]);
        LoadError::NotUtf8 {
            origin: origin.to_owned(),
            line,
            column,
            offset,
        }
    })
}

/// The 1-based line and column (in characters) just after `prefix`, which is valid UTF-8.
fn line_and_column(prefix: &[u8]) -> (usize, usize) {
    let line_start = prefix
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let line = prefix.iter().filter(|b| **b == b'\n').count() + 1;
    let column = String::from_utf8_lossy(&prefix[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// serde_json and serde_norway end their messages with "at line L column C"; the error says
/// the location in its own fields.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_yaml_and_a_byte_order_mark_are_read() {
        let json =
            Document::parse(b"\xEF\xBB\xBF{\"openapi\": \"3.1.0\"}", "a.json").expect("json");
        assert_eq!(json.version, Some(Version::V3_1));
        let yaml = Document::parse(b"openapi: 3.0.3\ninfo: {}\n", "a.yaml").expect("yaml");
        assert_eq!(yaml.version, Some(Version::V3_0));
    }

    #[test]
    fn errors_are_located() {
        let error = Document::parse(b"{\n  \"openapi\": \"3.1.0\",\n  oops\n}", "spec.json")
            .expect_err("bad json");
        assert!(
            matches!(
                error,
                LoadError::Json {
                    line: 3,
                    column: 3,
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(
            error
                .to_string()
                .starts_with("read spec.json: not valid JSON at line 3, column 3: "),
            "{error}"
        );
        let error = Document::parse(b"openapi: 3.1.0\npaths: [\n", "spec.yaml").expect_err("yaml");
        assert!(
            matches!(error, LoadError::Yaml { line: Some(_), .. }),
            "{error:?}"
        );
        let error =
            Document::parse(b"{\"openapi\":\n\"3.1.0\xFF\"}", "bin.json").expect_err("utf8");
        assert_eq!(
            error.to_string(),
            "read bin.json: not UTF-8 at line 2, column 7 (byte 18)"
        );
        let error = Document::parse(b"[1]", "list.json").expect_err("not an object");
        assert!(matches!(error, LoadError::NotAnObject { .. }));
        let error = Document::parse(b"{\"swagger\": \"2.0\"}", "old.json").expect_err("no version");
        assert!(matches!(error, LoadError::NoVersion { .. }));
        assert_eq!(
            error.to_string(),
            "read old.json: this is a Swagger 2.0 document (`swagger` at /swagger); only OpenAPI 3.0.x and 3.1.x documents are read (convert it first, e.g. with swagger2openapi)"
        );
        let error = Document::parse(b"{\"openapi\": 3.1}", "number.json").expect_err("a number");
        assert_eq!(
            error.to_string(),
            "read number.json: /openapi is 3.1, not a version string such as \"3.1.0\""
        );
        let error = Document::parse(b"{}", "empty.json").expect_err("nothing");
        assert_eq!(
            error.to_string(),
            "read empty.json: no `openapi` version at /openapi"
        );
    }

    #[test]
    fn versions_are_named_as_ranges() {
        let doc = Document::parse(b"{\"openapi\": \"3.0.3\"}", "old.json").expect("3.0");
        let error = doc.require(&[Version::V3_1]).expect_err("3.0 refused");
        assert_eq!(
            error.to_string(),
            "read old.json: /openapi is \"3.0.3\"; only OpenAPI 3.1.x documents are supported"
        );
        let doc = Document::parse(b"{\"openapi\": \"2.0\"}", "x.json").expect("parses");
        let error = doc.require(&[Version::V3_1]).expect_err("2.0 refused");
        assert!(
            error
                .to_string()
                .ends_with("/openapi is \"2.0\"; only OpenAPI 3.1.x documents are supported"),
            "{error}"
        );
    }

    #[test]
    fn dangling_references_fail_the_document() {
        let doc = Document::parse(
            br##"{"openapi": "3.1.0", "components": {"schemas": {"A": {"$ref": "#/components/schemas/B"}}}}"##,
            "d.json",
        )
        .expect("parses");
        let error = doc.require_resolvable().expect_err("dangling");
        assert!(
            error.to_string().contains("at /components/schemas/A"),
            "{error}"
        );
    }
}
