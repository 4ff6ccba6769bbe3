//! `verify`: recorded exchanges checked offline.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Result;
use balampay_contract::{Outcome, Report};

use super::{Global, finish};

/// Arguments of `verify`.
#[derive(clap::Args)]
pub struct Args {
    /// The recordings: JSONL cassettes, HAR files (`.har`, UTF-8 with or without a
    /// byte-order mark, bodies inline, base64 or in side files beside it) or HAR archives
    /// (`.zip` holding one `.har` and its side files, as Playwright writes them).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The API's base URL (repeatable): HAR entries sent to other hosts are skipped and
    /// counted, and a path prefix of the base URL is removed before matching. Default: the
    /// spec's `servers`.
    #[arg(long = "base-url", value_name = "URL")]
    base_urls: Vec<String>,
    /// Threads that parse and check entries (default: the machine's cores). Results come in
    /// file order whatever the number.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=256))]
    jobs: Option<u64>,
    /// Fail exchanges whose response body the recording does not hold, instead of counting
    /// them as not checked.
    #[arg(long)]
    strict: bool,
    /// The largest body checked, in bytes (decoded); entries with larger bodies are skipped
    /// and counted as too large. So is an entry larger than twice this plus 1 MiB as the
    /// recording writes it (escapes included), which bounds memory before any body is
    /// decoded.
    #[arg(
        long,
        value_name = "BYTES",
        default_value_t = balampay_contract::record::DEFAULT_MAX_BODY_BYTES as u64,
        value_parser = clap::value_parser!(u64).range(1..=1 << 32)
    )]
    max_body_bytes: u64,
    /// How many failures a report keeps in full per recording (all are counted).
    #[arg(long, value_name = "N", default_value_t = balampay_contract::report::MAX_FAILURES_PER_CASE)]
    max_failures: usize,
}

/// Verifies every file into one report; progress goes to standard error on a terminal.
pub fn execute(global: &Global, args: Args, out: &mut dyn Write) -> Result<Outcome> {
    // A wrong base URL is a usage error, said once rather than once per recording.
    for url in &args.base_urls {
        balampay_contract::verify::base_url(url).map_err(anyhow::Error::msg)?;
    }
    let spec = global.load_spec()?;
    let jobs = match args.jobs {
        Some(jobs) => usize::try_from(jobs)?,
        None => std::thread::available_parallelism().map_or(1, usize::from),
    };
    let options = balampay_contract::verify::Options {
        jobs,
        base_urls: args.base_urls,
        strict: args.strict,
        max_body_bytes: usize::try_from(args.max_body_bytes)?,
        max_failures: args.max_failures,
    };
    let progress_on = std::io::stderr().is_terminal();
    let mut report = Report {
        title: "verify recordings".to_owned(),
        spec: spec.origin.clone(),
        cases: Vec::new(),
    };
    for file in &args.files {
        let mut progress = |seen: usize| {
            if progress_on {
                eprint!("\r{}: {seen} exchanges", file.display());
            }
        };
        report.cases.push(balampay_contract::verify::verify_file(
            &spec,
            file,
            &options,
            &mut progress,
        ));
        if progress_on {
            eprintln!();
        }
    }
    finish(global, &report, out)
}
