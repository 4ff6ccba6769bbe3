//! `diff`: every change between two versions of the spec, classified for partners. The
//! engine is `balampay-specdiff` (a crate of its own so that `cargo xtask`, which must build
//! even when the generated client does not, can use it too); this module reads the two sides.

use std::path::Path;
use std::process::Command;

pub use balampay_specdiff::{
    Change, Rule, Severity, diff, json, junit, markdown, summary, text, worst,
};
use serde_json::Value;

/// Reads one side of a diff: a file (JSON or YAML), or `git:REV:PATH` for a file as it is
/// at a revision of the current repository.
pub fn load_side(side: &str) -> Result<Value, String> {
    let (text, origin) = match side.strip_prefix("git:") {
        Some(rest) => {
            let (revision, path) = rest
                .split_once(':')
                .ok_or_else(|| format!("{side}: expected git:REV:PATH"))?;
            let output = Command::new("git")
                .args(["show", &format!("{revision}:{path}")])
                .output()
                .map_err(|error| format!("{side}: cannot run git: {error}"))?;
            if !output.status.success() {
                return Err(format!(
                    "{side}: git show failed: {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                ));
            }
            (
                String::from_utf8_lossy(&output.stdout).into_owned(),
                side.to_owned(),
            )
        }
        None => (
            std::fs::read_to_string(Path::new(side))
                .map_err(|error| format!("cannot read {side}: {error}"))?,
            side.to_owned(),
        ),
    };
    let doc: Value = if text.trim_start().starts_with('{') {
        serde_json::from_str(&text).map_err(|error| {
            format!(
                "{origin}: not valid JSON (line {}, column {}): {error}",
                error.line(),
                error.column()
            )
        })?
    } else {
        serde_norway::from_str(&text)
            .map_err(|error| format!("{origin}: not valid YAML: {error}"))?
    };
    match doc.get("openapi").and_then(Value::as_str) {
        Some(version) if version.starts_with("3.1.") => Ok(doc),
        Some(version) => Err(format!(
            "{origin}: /openapi is {version:?}; only OpenAPI 3.1 documents are compared"
        )),
        None => Err(format!("{origin}: no `openapi` version at /openapi")),
    }
}
