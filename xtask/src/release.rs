//! `cargo xtask release VERSION` blesses the current spec as a release (`main` then builds
//! the partner site of the new version, as `cargo xtask docs`), and the
//! compatibility check that `cargo xtask check` runs: the current spec may break the latest
//! release only with a new major `info.version`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use balampay_specdiff::{Change, Severity};
use serde_json::Value;

use crate::codegen::{self, Mode, Outcome, Set};

/// Where releases live.
pub const RELEASES_DIR: &str = "spec/releases";

/// The changelog.
pub const CHANGELOG: &str = "spec/CHANGELOG.md";

const CHANGELOG_HEADER: &str = "# Changelog of the BalamPay API contract\n\nEach entry is written by `cargo xtask release VERSION` from the difference with the previous\nrelease; do not edit entries by hand.\n";

/// A semantic version `MAJOR.MINOR.PATCH`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u64, pub u64, pub u64);

impl Version {
    /// Reads `MAJOR.MINOR.PATCH`.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('.').map(|p| p.parse::<u64>().ok());
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(Some(a)), Some(Some(b)), Some(Some(c)), None) => Some(Version(a, b, c)),
            _ => None,
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// Every release, oldest first.
pub fn releases(root: &Path) -> Result<Vec<(Version, PathBuf)>> {
    let dir = root.join(RELEASES_DIR);
    let mut found = Vec::new();
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(error) => return Err(error).with_context(|| format!("cannot list {}", dir.display())),
    };
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        match Version::parse(&name) {
            Some(version) => found.push((version, entry.path())),
            None => bail!(
                "{}/{name} is not a release directory (MAJOR.MINOR.PATCH)",
                RELEASES_DIR
            ),
        }
    }
    found.sort();
    Ok(found)
}

/// A released OpenAPI document (read, version-checked and `$ref`-checked as every tool of
/// the workspace reads one).
fn read_json(path: &Path) -> Result<Value> {
    Ok(balampay_openapi::Document::read(path)?
        .require(&[balampay_openapi::Version::V3_1])?
        .require_resolvable()?
        .value)
}

/// The spec's `info.version`.
fn info_version(doc: &Value) -> Result<Version> {
    let text = doc["info"]["version"]
        .as_str()
        .context("the spec has no info.version")?;
    Version::parse(text).with_context(|| format!("info.version {text:?} is not MAJOR.MINOR.PATCH"))
}

/// Why the current spec cannot be published after `latest`, if it cannot: breaking changes
/// without a new major version, or a version that goes backwards.
pub fn compatibility_problem(
    latest: Version,
    latest_doc: &Value,
    current: &Value,
) -> Result<Option<String>> {
    let version = info_version(current)?;
    if version < latest {
        return Ok(Some(format!(
            "info.version {version} is older than the latest release {latest}"
        )));
    }
    let breaking: Vec<Change> = balampay_specdiff::diff(latest_doc, current)
        .into_iter()
        .filter(|c| c.severity == Severity::Breaking)
        .collect();
    if breaking.is_empty() || version.0 > latest.0 {
        return Ok(None);
    }
    let mut message = format!(
        "the spec breaks release {latest} but info.version is {version}: breaking changes need a new major version (set API_VERSION in crates/schema/src/spec.rs to {}.0.0), or undo them:",
        latest.0 + 1
    );
    for change in breaking {
        message.push_str(&format!(
            "\n  {} {}: {}",
            change.rule, change.location, change.reason
        ));
    }
    Ok(Some(message))
}

/// The compatibility check of `cargo xtask check`.
pub fn check(root: &Path, out: &mut dyn Write) -> Result<Outcome> {
    let Some((latest, dir)) = releases(root)?.pop() else {
        writeln!(out, "no release yet: nothing to be compatible with")?;
        return Ok(Outcome::UpToDate);
    };
    let current: Value = serde_json::from_str(&codegen::spec_artefacts()?[0].contents)?;
    match compatibility_problem(latest, &read_json(&dir.join("openapi.json"))?, &current)? {
        None => {
            writeln!(out, "the spec keeps the contract of release {latest}")?;
            Ok(Outcome::UpToDate)
        }
        Some(problem) => {
            writeln!(out, "{problem}")?;
            Ok(Outcome::Stale)
        }
    }
}

/// `cargo xtask release VERSION`.
pub fn release(root: &Path, version: &str, out: &mut dyn Write) -> Result<Outcome> {
    let version =
        Version::parse(version).with_context(|| format!("{version:?} is not MAJOR.MINOR.PATCH"))?;
    let mut report = Vec::new();
    if codegen::run(root, Set::Client, Mode::Check, &mut report)? != Outcome::UpToDate {
        bail!(
            "generated files are stale: run `cargo xtask client`, commit, then release\n{}",
            String::from_utf8_lossy(&report)
        );
    }
    let artefacts = codegen::artefacts(Set::Client, &mut Vec::new())?;
    let current: Value = serde_json::from_str(&artefacts[0].contents)?;
    let spec_version = info_version(&current)?;
    if spec_version != version {
        bail!(
            "info.version is {spec_version}, not {version}: set API_VERSION in crates/schema/src/spec.rs to {version} and run `cargo xtask client` first"
        );
    }
    let previous = releases(root)?.pop();
    let entry = match &previous {
        Some((latest, dir)) => {
            if version <= *latest {
                bail!("{version} is not newer than the latest release {latest}");
            }
            let latest_doc = read_json(&dir.join("openapi.json"))?;
            if let Some(problem) = compatibility_problem(*latest, &latest_doc, &current)? {
                bail!("{problem}");
            }
            let changes = balampay_specdiff::diff(&latest_doc, &current);
            format!(
                "## {version}\n\nChanges since {latest}: {}.\n\n{}",
                balampay_specdiff::summary(&changes),
                balampay_specdiff::markdown(&changes)
            )
        }
        None => {
            let operations = current["paths"].as_object().map_or(0, |paths| {
                paths
                    .values()
                    .map(|item| {
                        item.as_object().map_or(0, |o| {
                            o.keys().filter(|k| k.as_str() != "parameters").count()
                        })
                    })
                    .sum()
            });
            let webhooks = current["webhooks"].as_object().map_or(0, |w| w.len());
            let schemas = current["components"]["schemas"]
                .as_object()
                .map_or(0, |s| s.len());
            format!(
                "## {version}\n\nFirst release: {operations} operations, {webhooks} webhook events, {schemas} component schemas.\n\n"
            )
        }
    };
    let dir = root.join(RELEASES_DIR).join(version.to_string());
    for artefact in artefacts.iter().filter(|a| a.path.starts_with("spec/")) {
        let relative = artefact.path.trim_start_matches("spec/");
        let path = dir.join(relative);
        fs::create_dir_all(path.parent().context("release path")?)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        fs::write(&path, &artefact.contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
        writeln!(out, "wrote {}/{}/{relative}", RELEASES_DIR, version)?;
    }
    let changelog_path = root.join(CHANGELOG);
    let existing = fs::read_to_string(&changelog_path).unwrap_or_default();
    let previous_entries = existing
        .strip_prefix(CHANGELOG_HEADER)
        .unwrap_or(&existing)
        .trim_start_matches('\n');
    let changelog = format!("{CHANGELOG_HEADER}\n{}{previous_entries}", entry);
    let changelog = format!("{}\n", changelog.trim_end());
    fs::write(&changelog_path, changelog).with_context(|| format!("cannot write {CHANGELOG}"))?;
    writeln!(out, "wrote {CHANGELOG}")?;
    Ok(Outcome::Written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current() -> Value {
        serde_json::from_str(&codegen::spec_artefacts().expect("artefacts")[0].contents)
            .expect("json")
    }

    /// The checked-in spec keeps the contract of its latest release.
    #[test]
    fn the_spec_keeps_the_latest_release() {
        let root = crate::workspace_root().expect("root");
        let mut out = Vec::new();
        assert_eq!(
            check(&root, &mut out).expect("check runs"),
            Outcome::UpToDate,
            "{}",
            String::from_utf8_lossy(&out)
        );
    }

    #[test]
    fn removing_a_response_field_without_a_major_bump_is_refused_by_name() {
        let released = current();
        let mut changed = released.clone();
        changed["components"]["schemas"]["IndividualUser"]["properties"]
            .as_object_mut()
            .expect("properties")
            .remove("last_name");
        let problem = compatibility_problem(Version(1, 0, 0), &released, &changed)
            .expect("compares")
            .expect("refused");
        assert!(problem.contains("property-removed"), "{problem}");
        assert!(
            problem.contains("at <IndividualUser>/last_name"),
            "{problem}"
        );
        assert!(
            problem.contains("set API_VERSION in crates/schema/src/spec.rs to 2.0.0"),
            "{problem}"
        );
        changed["info"]["version"] = "2.0.0".into();
        assert_eq!(
            compatibility_problem(Version(1, 0, 0), &released, &changed).expect("compares"),
            None
        );
    }

    #[test]
    fn adding_an_optional_request_field_passes() {
        let released = current();
        let mut changed = released.clone();
        changed["components"]["schemas"]["CreateIndividualUserRequest"]["properties"]["nickname"] =
            serde_json::json!({"type": "string", "description": "A nickname."});
        assert_eq!(
            compatibility_problem(Version(1, 0, 0), &released, &changed).expect("compares"),
            None
        );
    }

    /// A release after an earlier one writes its files and puts the differences on top of
    /// the changelog; a second release of the same version is refused.
    #[test]
    fn a_release_records_the_changes_since_the_previous_one() {
        let dir = std::env::temp_dir().join(format!("xtask-release-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temp dir");
        codegen::run(&dir, Set::Client, Mode::Write, &mut Vec::new()).expect("artefacts written");
        // An earlier release: the current spec minus an optional response property.
        let mut earlier = current();
        earlier["info"]["version"] = "0.9.0".into();
        earlier["components"]["schemas"]["BusinessUser"]["properties"]
            .as_object_mut()
            .expect("properties")
            .remove("tax_id");
        let earlier_dir = dir.join(RELEASES_DIR).join("0.9.0");
        fs::create_dir_all(&earlier_dir).expect("release dir");
        fs::write(
            earlier_dir.join("openapi.json"),
            serde_json::to_string(&earlier).expect("json"),
        )
        .expect("write");
        fs::write(
            dir.join(CHANGELOG),
            format!("{CHANGELOG_HEADER}\n## 0.9.0\n\nFirst release.\n"),
        )
        .expect("write");

        // The version being released is the spec's own.
        let version = balampay_schema::API_VERSION;
        let mut out = Vec::new();
        assert_eq!(
            release(&dir, version, &mut out).expect("releases"),
            Outcome::Written
        );
        assert!(
            dir.join(RELEASES_DIR)
                .join(version)
                .join("openapi-3.0.json")
                .is_file()
        );
        let changelog = fs::read_to_string(dir.join(CHANGELOG)).expect("changelog");
        let first = changelog.find(&format!("## {version}")).expect("new entry");
        let second = changelog.find("## 0.9.0").expect("old entry kept");
        assert!(first < second, "{changelog}");
        assert!(
            changelog.contains("Changes since 0.9.0: 0 breaking, 0 possibly breaking, "),
            "{changelog}"
        );
        assert!(
            changelog.contains("`optional-property-added`"),
            "{changelog}"
        );
        let again = release(&dir, version, &mut Vec::new()).expect_err("refused");
        assert!(
            again
                .to_string()
                .contains(&format!("is not newer than the latest release {version}")),
            "{again}"
        );
        fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn versions_parse_and_order() {
        assert_eq!(Version::parse("1.10.2"), Some(Version(1, 10, 2)));
        assert!(Version(1, 10, 0) > Version(1, 9, 9));
        assert_eq!(Version::parse("1.0"), None);
        assert_eq!(Version::parse("v1.0.0"), None);
    }
}
