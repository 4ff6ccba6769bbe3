//! Reports: a human summary (colour only on a terminal, `NO_COLOR` respected), JUnit XML
//! and JSON. Every report is deterministic for the same results.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use balampay_openapi::xml::{escape, escape_attribute};
use serde::Serialize;

use crate::check::{Check, Failure};

/// How many failures a case keeps in full; the rest are counted.
pub const MAX_FAILURES_PER_CASE: usize = 1000;

/// How many input errors a case keeps in full; the rest are counted, so that a file of
/// garbage gives a bounded report.
pub const MAX_ERRORS_PER_CASE: usize = 100;

/// What `verify` read of one recording.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Entries {
    /// Items read (lines or entries).
    pub read: usize,
    /// Items checked.
    pub checked: usize,
    /// Items not checked, by reason (`other host`, `CORS preflight`, …).
    pub skipped: BTreeMap<String, usize>,
    /// Checked exchanges whose response body the recording does not hold (the body was not
    /// checked).
    pub bodies_not_recorded: usize,
    /// Items that are not exchanges (each is an input error).
    pub unreadable: usize,
    /// Up to five of the other hosts entries went to, with their counts.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub other_hosts: BTreeMap<String, usize>,
    /// Checks run and not yet added to the case: counting by [`Check`] is cheaper than by
    /// name, for every exchange; [`Entries::add_checks_to`] moves them.
    #[serde(skip)]
    pub(crate) checks_run: BTreeMap<Check, usize>,
}

impl Entries {
    /// Moves the checks counted here to the case's counts.
    pub(crate) fn add_checks_to(&mut self, case: &mut Case) {
        for (check, times) in std::mem::take(&mut self.checks_run) {
            case.ran_times(check, times);
        }
    }
}

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
    /// How many failures there were, per check.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub failures_by_check: BTreeMap<String, usize>,
    /// How many failures there were, per operation id (`(none)` for unknown operations).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub failures_by_operation: BTreeMap<String, usize>,
    /// Why the case was skipped, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Input errors (malformed lines, unreadable files, scenario errors), with their place;
    /// at most [`MAX_ERRORS_PER_CASE`] when added with [`Case::error`].
    pub errors: Vec<String>,
    /// Input errors counted but not kept.
    #[serde(skip_serializing_if = "is_zero")]
    pub errors_omitted: usize,
    /// (`verify`) what was read, checked and skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries: Option<Entries>,
    /// How many failures to keep in full (default [`MAX_FAILURES_PER_CASE`]).
    #[serde(skip)]
    pub max_failures: Option<usize>,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
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
        for check in checks {
            self.ran_times(*check, 1);
        }
    }

    /// Counts a check run `times` times.
    pub fn ran_times(&mut self, check: Check, times: usize) {
        self.checks += times;
        // Looked up before inserting: no allocation once a check has been counted.
        match self.checks_by_name.get_mut(check.name()) {
            Some(count) => *count += times,
            None => {
                self.checks_by_name.insert(check.name().to_owned(), times);
            }
        }
    }

    /// Adds failures (keeping at most [`MAX_FAILURES_PER_CASE`], counting all).
    pub fn failed(&mut self, failures: impl IntoIterator<Item = Failure>) {
        for failure in failures {
            self.failure_count += 1;
            *self
                .failures_by_check
                .entry(failure.check.name().to_owned())
                .or_default() += 1;
            *self
                .failures_by_operation
                .entry(
                    failure
                        .operation_id
                        .clone()
                        .unwrap_or_else(|| "(none)".to_owned()),
                )
                .or_default() += 1;
            if self.failures.len() < self.max_failures.unwrap_or(MAX_FAILURES_PER_CASE) {
                self.failures.push(failure);
            }
        }
    }

    /// Adds an input error (keeping at most [`MAX_ERRORS_PER_CASE`], counting all).
    pub fn error(&mut self, error: String) {
        if self.errors.len() < MAX_ERRORS_PER_CASE {
            self.errors.push(error);
        } else {
            self.errors_omitted += 1;
        }
    }

    /// How many input errors there were in all.
    pub fn error_count(&self) -> usize {
        self.errors.len() + self.errors_omitted
    }

    /// The input errors kept, one a line, and how many more there were.
    fn errors_text(&self) -> String {
        match self.errors_omitted {
            0 => self.errors.join("\n"),
            more => format!("{}\n… and {more} more input errors", self.errors.join("\n")),
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
            "[{}] {} {} {}{} → {}",
            failure.check,
            failure.operation_id.as_deref().unwrap_or("(no operation)"),
            failure.method,
            failure.path,
            failure
                .place
                .as_ref()
                .map(|place| format!(" ({place})"))
                .unwrap_or_default(),
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

/// `1 check`, `2 checks`.
fn checks_text(count: usize) -> String {
    if count == 1 {
        "1 check".to_owned()
    } else {
        format!("{count} checks")
    }
}

/// `name 3, other 1`.
pub(crate) fn counts(counts: &BTreeMap<String, usize>) -> String {
    counts
        .iter()
        .map(|(name, count)| format!("{name} {count}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What `verify` read of a recording, in one line.
fn entries_line(entries: &Entries) -> String {
    let skipped: usize = entries.skipped.values().sum();
    let mut line = format!(
        "    entries: {} read, {} checked, {skipped} not checked",
        entries.read, entries.checked
    );
    if entries.unreadable > 0 {
        let _ = write!(line, ", {} unreadable", entries.unreadable);
    }
    if skipped > 0 {
        let _ = write!(line, " ({})", counts(&entries.skipped));
    }
    if entries.bodies_not_recorded > 0 {
        let _ = write!(
            line,
            "; {} response bod{} not recorded (not checked; --strict fails them)",
            entries.bodies_not_recorded,
            if entries.bodies_not_recorded == 1 {
                "y"
            } else {
                "ies"
            }
        );
    }
    line.push('\n');
    line
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
                "{} {} ({})",
                style.paint("32", "PASS"),
                case.name,
                checks_text(case.checks)
            )
        } else if case.failure_count == 0 {
            errors += 1;
            format!(
                "{} {} ({}, {} input error(s))",
                style.paint("31", "ERROR"),
                case.name,
                checks_text(case.checks),
                case.error_count()
            )
        } else {
            failed += 1;
            // A recording can both break the contract and hold input errors: both counts
            // are said, so that what was not checked is not hidden behind the failures.
            if case.error_count() > 0 {
                errors += 1;
            }
            format!(
                "{} {} ({}, {} failed{})",
                style.paint("31", "FAIL"),
                case.name,
                checks_text(case.checks),
                case.failure_count,
                match case.error_count() {
                    0 => String::new(),
                    count => format!(", {count} input error(s)"),
                }
            )
        };
        out.push_str(&mark);
        out.push('\n');
        if let Some(entries) = &case.entries {
            out.push_str(&entries_line(entries));
        }
        if case.entries.is_some() && case.failure_count > 0 {
            let _ = writeln!(
                out,
                "    failures by check: {}; by operation: {}",
                counts(&case.failures_by_check),
                counts(&case.failures_by_operation)
            );
        }
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
        if case.errors_omitted > 0 {
            let _ = writeln!(out, "    … and {} more input errors", case.errors_omitted);
        }
    }
    let _ = writeln!(
        out,
        "\n{passed} passed, {failed} failed, {errors} with input errors, {skipped} skipped ({})",
        checks_text(checks)
    );
    out
}

/// The JUnit XML report: one test case per case.
pub fn junit(report: &Report) -> String {
    let failures = report.cases.iter().filter(|c| c.failure_count > 0).count();
    let errors = report.cases.iter().filter(|c| c.error_count() > 0).count();
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
            let mut details: Vec<String> = case.failures.iter().map(describe).collect();
            if case.error_count() > 0 {
                details.push(format!(
                    "\n{} input error(s) as well (those items were not checked):\n{}",
                    case.error_count(),
                    case.errors_text()
                ));
            }
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
                case.error_count(),
                escape(&case.errors_text())
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
