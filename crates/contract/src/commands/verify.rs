//! `verify`: recorded exchanges checked offline.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Result;
use balampay_contract::{Outcome, Report};

use super::{Global, finish};

/// Arguments of `verify`.
#[derive(clap::Args)]
pub struct Args {
    /// The recordings.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Verifies every file into one report; progress goes to standard error on a terminal.
pub fn execute(global: &Global, args: Args, out: &mut dyn Write) -> Result<Outcome> {
    let spec = global.load_spec()?;
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
            &mut progress,
        ));
        if progress_on {
            eprintln!();
        }
    }
    finish(global, &report, out)
}
