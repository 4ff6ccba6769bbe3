//! The subcommands. Each module owns its arguments and an `execute` that writes to a
//! `&mut dyn Write` and answers an [`Outcome`].

pub mod diff;
pub mod proxy;
pub mod run;
pub mod verify;
pub mod webhooks;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use balampay_contract::report::{self, Style};
use balampay_contract::{Outcome, Report, Spec};

/// Options every subcommand takes.
#[derive(clap::Args)]
pub struct Global {
    /// An OpenAPI 3.1 spec (JSON or YAML) to check against, instead of the published one
    /// built into this binary.
    #[arg(long, global = true, value_name = "FILE")]
    pub spec: Option<PathBuf>,
    /// Also write a JUnit XML report here.
    #[arg(long, global = true, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write a JSON report here.
    #[arg(long, global = true, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

impl Global {
    /// The spec to check against: `--spec`, or the published one.
    pub fn load_spec(&self) -> Result<Spec> {
        Ok(match &self.spec {
            Some(path) => Spec::from_file(path)?,
            None => Spec::published()?,
        })
    }
}

impl Global {
    /// Creates the report files now, empty, so that a path that cannot be written is found
    /// before a long session (`proxy`, `webhooks listen`) rather than after it.
    pub fn create_reports(&self) -> Result<()> {
        for path in [&self.junit, &self.json].into_iter().flatten() {
            write_file(path, "")?;
        }
        Ok(())
    }
}

/// Writes each line that arrives to `out` as it comes, until Ctrl-C, SIGTERM or `until`.
pub async fn relay_until(
    out: &mut dyn Write,
    lines: &mut tokio::sync::mpsc::UnboundedReceiver<String>,
    until: impl Future<Output = ()>,
) -> Result<()> {
    let stop = stop_signal();
    tokio::pin!(stop);
    tokio::pin!(until);
    loop {
        tokio::select! {
            stopped = &mut stop => return stopped,
            () = &mut until => return Ok(()),
            Some(line) = lines.recv() => {
                out.write_all(line.as_bytes())?;
                out.flush()?;
            }
        }
    }
}

/// Writes the lines already waiting.
pub fn drain(
    out: &mut dyn Write,
    lines: &mut tokio::sync::mpsc::UnboundedReceiver<String>,
) -> Result<()> {
    while let Ok(line) = lines.try_recv() {
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// Colour only on a terminal, and never under `NO_COLOR`.
pub fn style() -> Style {
    Style {
        colour: std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

/// Writes a report file, naming it when that fails.
pub fn write_file(path: &Path, contents: &str) -> Result<()> {
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}

/// Prints the human report, writes the requested report files and answers the outcome.
pub fn finish(global: &Global, report: &Report, out: &mut dyn Write) -> Result<Outcome> {
    out.write_all(report::human(report, style()).as_bytes())?;
    if let Some(path) = &global.junit {
        write_file(path, &report::junit(report))?;
    }
    if let Some(path) = &global.json {
        write_file(path, &report::json(report))?;
    }
    Ok(Outcome::of(report))
}

/// Ctrl-C, or SIGTERM where there is one (`timeout`, `docker stop`, CI runners): either ends
/// listening with the summary and the reports.
async fn stop_signal() -> Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("cannot wait for SIGTERM")?;
        tokio::select! {
            stopped = tokio::signal::ctrl_c() => stopped.context("cannot wait for Ctrl-C"),
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c()
            .await
            .context("cannot wait for Ctrl-C")
    }
}
