//! Reports: a human summary (colour only on a terminal, `NO_COLOR` respected), JUnit XML
//! and JSON. Every report is deterministic for the same results.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use balampay_openapi::xml::{escape, escape_attribute};
use serde::Serialize;

use crate::check::{Check, Failure};

/// How many failures a case keeps in full; the rest are counted.
pub const MAX_FAILURES_PER_CASE: usize = 1000;

/// One case of a report: a scenario of `run`, or a file of `verify`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Case {
    /// The case's name.
    pub name: String,
    /// How many checks ran.
    pub checks: usize,
    /// How many checks ran, per check.
    pub checks_by_name: BTreeMap<String, usize>,
    /// The failures kept (at most [`MAX_FAILURES_PER_CASE`]).
    pub failures: Vec<Failure>,
    /// How many failures there were in all.
    pub failure_count: usize,
    /// Why the case was skipped, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Input errors (malformed lines, unreadable files, scenario errors), with their place.
    pub errors: Vec<String>,
}

impl Case {
    /// A new, empty case.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// Counts the checks run.
    pub fn ran(&mut self, checks: &[Check]) {
        self.checks += checks.len();
        for check in checks {
            *self
                .checks_by_name
                .entry(check.name().to_owned())
                .or_default() += 1;
        }
    }

    /// Adds failures (keeping at most [`MAX_FAILURES_PER_CASE`]).
    pub fn failed(&mut self, failures: impl IntoIterator<Item = Failure>) {
        for failure in failures {
            self.failure_count += 1;
            if self.failures.len() < MAX_FAILURES_PER_CASE {
                self.failures.push(failure);
            }
        }
    }

    /// Whether the case passed (it ran, found no violation and no input error).
    pub fn passed(&self) -> bool {
        self.skipped.is_none() && self.failure_count == 0 && self.errors.is_empty()
    }
}

/// A whole report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// What was checked (`run against …`, `verify`, `webhooks validate`).
    pub title: String,
    /// The spec used.
    pub spec: String,
    /// Every case, in order.
    pub cases: Vec<Case>,
}

/// Colours for the human report.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// Whether to use ANSI colours.
    pub colour: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// Describes one failure in one block of lines.
pub fn describe(failure: &Failure) -> String {
    let mut text = if failure.check == Check::Webhook {
        // A webhook payload has an event and a source, but no request of ours or status.
        format!(
            "[{}] {} in {}",
            failure.check,
            failure.operation_id.as_deref().unwrap_or("(no event)"),
            failure.path
        )
    } else {
        format!(
            "[{}] {} {} {} → {}",
            failure.check,
            failure.operation_id.as_deref().unwrap_or("(no operation)"),
            failure.method,
            failure.path,
            failure.status
        )
    };
    if let Some(pointer) = &failure.pointer {
        let _ = write!(
            text,
            "\n      at {}",
            if pointer.is_empty() {
                "(the whole body)"
            } else {
                pointer
            }
        );
    }
    if let (Some(location), Some(keyword)) = (&failure.schema_location, &failure.keyword) {
        let _ = write!(text, "\n      schema {location} ({keyword})");
    }
    let _ = write!(
        text,
        "\n      expected {}\n      found    {}",
        failure.expected, failure.actual
    );
    text
}

/// The human report.
pub fn human(report: &Report, style: Style) -> String {
    let mut out = format!("{}\nspec: {}\n\n", report.title, report.spec);
    let (mut passed, mut failed, mut errors, mut skipped, mut checks) = (0, 0, 0, 0, 0);
    for case in &report.cases {
        checks += case.checks;
        let mark = if let Some(reason) = &case.skipped {
            skipped += 1;
            format!("{} {} ({reason})", style.paint("33", "SKIP"), case.name)
        } else if case.passed() {
            passed += 1;
            format!(
                "{} {} ({} checks)",
                style.paint("32", "PASS"),
                case.name,
                case.checks
            )
        } else if case.failure_count == 0 {
            errors += 1;
            format!(
                "{} {} ({} checks, {} input error(s))",
                style.paint("31", "ERROR"),
                case.name,
                case.checks,
                case.errors.len()
            )
        } else {
            failed += 1;
            format!(
                "{} {} ({} checks, {} failed)",
                style.paint("31", "FAIL"),
                case.name,
                case.checks,
                case.failure_count
            )
        };
        out.push_str(&mark);
        out.push('\n');
        for failure in &case.failures {
            out.push_str("    ");
            out.push_str(&describe(failure));
            out.push('\n');
        }
        if case.failure_count > case.failures.len() {
            let _ = writeln!(
                out,
                "    … and {} more failures",
                case.failure_count - case.failures.len()
            );
        }
        for error in &case.errors {
            let _ = writeln!(out, "    {} {error}", style.paint("31", "error:"));
        }
    }
    let _ = writeln!(
        out,
        "\n{passed} passed, {failed} failed, {errors} with input errors, {skipped} skipped ({checks} checks)"
    );
    out
}

/// The JUnit XML report: one test case per case.
pub fn junit(report: &Report) -> String {
    let failures = report.cases.iter().filter(|c| c.failure_count > 0).count();
    let errors = report
        .cases
        .iter()
        .filter(|c| c.failure_count == 0 && !c.errors.is_empty())
        .count();
    let skipped = report.cases.iter().filter(|c| c.skipped.is_some()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"balampay-contract\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">",
        report.cases.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">",
        escape_attribute(&report.title),
        report.cases.len()
    );
    let _ = writeln!(
        out,
        "    <properties><property name=\"spec\" value=\"{}\"/></properties>",
        escape_attribute(&report.spec)
    );
    for case in &report.cases {
        let _ = write!(
            out,
            "    <testcase classname=\"balampay-contract\" name=\"{}\"",
            escape_attribute(&case.name)
        );
        if let Some(reason) = &case.skipped {
            let _ = writeln!(
                out,
                ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                escape_attribute(reason)
            );
        } else if case.failure_count > 0 {
            let details: Vec<String> = case.failures.iter().map(describe).collect();
            let _ = writeln!(
                out,
                ">\n      <failure message=\"{} contract violation(s)\" type=\"contract\">{}</failure>\n    </testcase>",
                case.failure_count,
                escape(&details.join("\n"))
            );
        } else if !case.errors.is_empty() {
            let _ = writeln!(
                out,
                ">\n      <error message=\"{} input error(s)\" type=\"input\">{}</error>\n    </testcase>",
                case.errors.len(),
                escape(&case.errors.join("\n"))
            );
        } else {
            out.push_str("/>\n");
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// The JSON report.
pub fn json(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report)
        .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"));
    text.push('\n');
    text
}
