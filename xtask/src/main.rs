//! `cargo xtask`: the project's own tooling.
//!
//! - `cargo xtask spec` regenerates the published artefacts under `spec/` from
//!   `crates/schema`; `cargo xtask spec --check` writes nothing and fails when any of them is
//!   stale, naming the command to run.
//! - `cargo xtask client` regenerates the spec, then down-converts it to
//!   `spec/openapi-3.0.json` (printing what 3.0 cannot say) and generates
//!   `crates/client/src/generated.rs` with progenitor.
//! - `cargo xtask check` runs every freshness check.
//! - `cargo xtask docs` builds the partner site into `target/docs/` from `spec/`.
//!
//! Checking and generating are one code path: [`codegen::run`] computes every artefact's
//! expected contents and either writes them or compares them, so a check can never disagree
//! with what generation would write. The same function runs as a `#[test]`, which keeps
//! `cargo test` honest.

mod client;
mod codegen;
mod docs;
mod release;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::codegen::{Mode, Outcome, Set};

const USAGE: &str = "\
usage: cargo xtask <command> [--check]

commands:
  spec [--check]   regenerate spec/ (openapi.json, openapi.yaml, webhooks/*.schema.json)
                   from crates/schema; with --check, write nothing and fail if any is stale
  client [--check] regenerate the spec, then spec/openapi-3.0.json (3.1 -> 3.0.3, with a
                   report of what 3.0 cannot say) and crates/client/src/generated.rs
  check            every freshness check (as `client --check`), and that the spec keeps the
                   contract of the latest release unless info.version has a new major
  docs             build the partner site into target/docs/ from spec/ (API reference by
                   Redocly, guides, webhook catalogue, changelog, downloads); works offline
  release VERSION  bless the current spec into spec/releases/VERSION/, add the changes
                   since the previous release to spec/CHANGELOG.md, and build its docs
  help             print this message";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(Outcome::UpToDate | Outcome::Written) => ExitCode::SUCCESS,
        Ok(Outcome::Stale) => ExitCode::from(1),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<Outcome> {
    let (command, flags) = match args.split_first() {
        Some((command, flags)) => (command.as_str(), flags),
        None => bail!("no command given\n\n{USAGE}"),
    };
    if command == "release" {
        let [version] = flags else {
            bail!("`release` takes one VERSION (MAJOR.MINOR.PATCH)\n\n{USAGE}");
        };
        let root = workspace_root()?;
        let mut out = std::io::stdout().lock();
        let outcome = release::release(&root, version, &mut out)?;
        // The partner site of the new version: its reference, downloads and changelog entry.
        docs::build(&root, &mut out).with_context(|| {
            format!("release {version} is written, but its docs could not be built (fix, then run `cargo xtask docs`)")
        })?;
        return Ok(outcome);
    }
    let check = match flags {
        [] => false,
        [flag] if flag == "--check" => true,
        other => bail!("unexpected arguments {other:?} for `{command}`\n\n{USAGE}"),
    };
    let root = workspace_root()?;
    let mut out = std::io::stdout().lock();
    let mode = if check { Mode::Check } else { Mode::Write };
    match command {
        "spec" => codegen::run(&root, Set::Spec, mode, &mut out),
        "client" => codegen::run(&root, Set::Client, mode, &mut out),
        "check" if !check => {
            let fresh = codegen::run(&root, Set::Client, Mode::Check, &mut out)?;
            let compatible = release::check(&root, &mut out)?;
            Ok(
                if fresh == Outcome::UpToDate && compatible == Outcome::UpToDate {
                    Outcome::UpToDate
                } else {
                    Outcome::Stale
                },
            )
        }
        "docs" if !check => {
            docs::build(&root, &mut out)?;
            Ok(Outcome::Written)
        }
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(Outcome::UpToDate)
        }
        other => bail!("unknown command `{other}`\n\n{USAGE}"),
    }
}

/// The workspace root: the parent of this crate's manifest directory.
fn workspace_root() -> Result<PathBuf> {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .parent()
        .context("xtask's manifest directory has no parent")?
        .to_path_buf();
    if !root.join("Cargo.toml").is_file() {
        bail!("no Cargo.toml at the workspace root {}", root.display());
    }
    Ok(root)
}
