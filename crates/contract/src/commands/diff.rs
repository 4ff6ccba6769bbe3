//! `diff`: every change between two versions of the spec.

use std::io::Write;

use anyhow::Result;
use balampay_contract::Outcome;
use balampay_contract::diff::{self, Severity};

use super::{Global, write_file};

/// Arguments of `diff`.
#[derive(clap::Args)]
pub struct Args {
    /// The old version: a file, or `git:REV:PATH`.
    old: String,
    /// The new version: a file, or `git:REV:PATH`.
    new: String,
    /// The report's format on standard output.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit 1 when a change is at least this bad.
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// The date sunsets are judged on (`YYYY-MM-DD`): something deprecated whose `x-sunset`
    /// is on or before it may be removed as planned. Default: today (UTC).
    #[arg(long, value_parser = parse_date)]
    today: Option<String>,
    /// The class of removing something deprecated after its `x-sunset` date.
    #[arg(long, value_enum, default_value_t = Class::PossiblyBreaking)]
    planned_removal: Class,
}

/// A `YYYY-MM-DD` date, checked to be one.
fn parse_date(text: &str) -> Result<String, String> {
    // chrono also takes `2026-2-3`; the sunsets it is compared with are written in full.
    if text.len() != 10 {
        return Err("expected a date as YYYY-MM-DD, with two-digit month and day".to_owned());
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|date| date.format("%Y-%m-%d").to_string())
        .map_err(|error| format!("expected a date as YYYY-MM-DD ({error})"))
}

/// Classes of change, for `--planned-removal`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Class {
    Compatible,
    PossiblyBreaking,
    Breaking,
}

/// Formats of `diff`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Junit,
    Markdown,
}

/// Thresholds of `diff --fail-on`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum FailOn {
    Breaking,
    PossiblyBreaking,
}

/// Compares the two sides; `Violated` when a change reaches `--fail-on`.
pub fn execute(global: &Global, args: Args, out: &mut dyn Write) -> Result<Outcome> {
    let old = diff::load_side(&args.old)?;
    let new = diff::load_side(&args.new)?;
    let policy = diff::Policy {
        today: Some(
            args.today
                .unwrap_or_else(|| chrono::Utc::now().format("%Y-%m-%d").to_string()),
        ),
        planned_removal: match args.planned_removal {
            Class::Compatible => Severity::Compatible,
            Class::PossiblyBreaking => Severity::PossiblyBreaking,
            Class::Breaking => Severity::Breaking,
        },
    };
    let changes = diff::diff_with(&old, &new, &policy);
    let threshold = args.fail_on.map(|fail_on| match fail_on {
        FailOn::Breaking => Severity::Breaking,
        FailOn::PossiblyBreaking => Severity::PossiblyBreaking,
    });
    let junit_threshold = threshold.unwrap_or(Severity::Breaking);
    let output = match args.format {
        Format::Text => diff::text(&changes),
        Format::Json => diff::json(&changes),
        Format::Junit => diff::junit(&changes, junit_threshold),
        Format::Markdown => diff::markdown(&changes),
    };
    out.write_all(output.as_bytes())?;
    if let Some(path) = &global.junit {
        write_file(path, &diff::junit(&changes, junit_threshold))?;
    }
    if let Some(path) = &global.json {
        write_file(path, &diff::json(&changes))?;
    }
    let failed = threshold
        .is_some_and(|threshold| diff::worst(&changes).is_some_and(|worst| worst >= threshold));
    Ok(if failed {
        Outcome::Violated
    } else {
        Outcome::Passed
    })
}
