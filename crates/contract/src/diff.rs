//! `diff`: every change between two versions of the spec, classified for partners. The
//! engine is `balampay-specdiff` (a crate of its own so that `cargo xtask`, which must build
//! even when the generated client does not, can use it too); this module reads the two sides.

use std::path::Path;
use std::process::Command;

use balampay_openapi::{Document, LoadError, Version};
pub use balampay_specdiff::{
    Change, Policy, Rule, Severity, diff, diff_with, json, junit, markdown, summary, text, worst,
};
use serde_json::Value;

/// Why one side of a diff could not be read. Messages read after "failed to".
#[derive(Debug, thiserror::Error)]
pub enum SideError {
    /// `git:` without `REV:PATH`.
    #[error("read {side}: expected git:REV:PATH")]
    GitSyntax {
        /// The side as given.
        side: String,
    },
    /// git could not be run.
    #[error("read {side}: cannot run git: {cause}")]
    GitNotRun {
        /// The side as given.
        side: String,
        /// The operating system's error.
        cause: std::io::Error,
    },
    /// `git show` failed.
    #[error("read {side}: git show failed: {stderr}")]
    GitShow {
        /// The side as given.
        side: String,
        /// What git said.
        stderr: String,
    },
    /// The document cannot be read, is not OpenAPI 3.0.x or 3.1.x, or has `$ref`s that
    /// cannot be followed.
    #[error(transparent)]
    Load(#[from] LoadError),
}

/// Reads one side of a diff: a file (JSON or YAML), or `git:REV:PATH` for a file as it is
/// at a revision of the current repository. An OpenAPI 3.0.x document is read in 3.1 terms
/// ([`balampay_specdiff::normalize`]: `nullable`, boolean exclusive bounds, `example`), so
/// 3.0 and 3.1 documents compare with each other by meaning.
///
/// # Errors
/// [`SideError`], naming the side and, for a document that does not parse, the line and
/// column.
pub fn load_side(side: &str) -> Result<Value, SideError> {
    let document = match side.strip_prefix("git:") {
        Some(rest) => {
            let (revision, path) = rest.split_once(':').ok_or_else(|| SideError::GitSyntax {
                side: side.to_owned(),
            })?;
            let output = Command::new("git")
                .args(["show", &format!("{revision}:{path}")])
                .output()
                .map_err(|cause| SideError::GitNotRun {
                    side: side.to_owned(),
                    cause,
                })?;
            if !output.status.success() {
                return Err(SideError::GitShow {
                    side: side.to_owned(),
                    stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
                });
            }
            Document::parse(&output.stdout, side)?
        }
        None => Document::read(Path::new(side))?,
    };
    let value = document
        .require(&[Version::V3_0, Version::V3_1])?
        .require_resolvable()?
        .value;
    Ok(balampay_specdiff::normalize::normalize(&value))
}
