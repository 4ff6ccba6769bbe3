//! `balampay-contract`: the contract suite's command line.
//!
//! Each subcommand lives in its own module under `commands/`, writes its output to a
//! `&mut dyn Write` and answers one [`Outcome`]; `main` turns that outcome into the exit
//! code in one place: 0 when every check passed, 1 when the contract was violated, 2 for
//! usage or input errors (a spec or recording that cannot be read, malformed lines, a target
//! that cannot be reached).

mod commands;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write;
use std::process::ExitCode;

use balampay_contract::Outcome;
use clap::{Parser, Subcommand};

/// Validates live or recorded BalamPay traffic and webhook payloads against the spec.
// No `Debug` on the arguments: they hold credentials.
#[derive(Parser)]
#[command(name = "balampay-contract", version)]
struct Cli {
    #[command(flatten)]
    global: commands::Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the scenario suite against a live API (the embedded sandbox when no base URL is
    /// given).
    Run(commands::run::Args),
    /// Check recorded exchanges offline: JSONL cassettes, or HAR files (`.har`).
    Verify(commands::verify::Args),
    /// Forward a partner's traffic to the API unchanged, checking every exchange as it
    /// happens (request and response, as `verify` does); the summary at Ctrl-C, SIGTERM or
    /// `--max-requests`.
    Proxy(commands::proxy::Args),
    /// Webhook payloads.
    Webhooks {
        #[command(subcommand)]
        command: commands::webhooks::Command,
    },
    /// List the scenarios of `run`.
    Scenarios,
    /// Every change between two versions of the spec, classified as breaking, possibly
    /// breaking or compatible.
    Diff(commands::diff::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let outcome = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => match runtime.block_on(execute(cli, &mut out)) {
            Ok(outcome) => outcome,
            Err(error) => {
                let _ = out.flush();
                eprintln!("error: {error:#}");
                Outcome::InputError
            }
        },
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            Outcome::InputError
        }
    };
    let _ = out.flush();
    ExitCode::from(outcome.exit_code())
}

async fn execute(cli: Cli, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let global = cli.global;
    match cli.command {
        Command::Run(args) => commands::run::execute(&global, args, out).await,
        Command::Verify(args) => commands::verify::execute(&global, args, out),
        Command::Proxy(args) => commands::proxy::execute(&global, args, out).await,
        Command::Webhooks { command } => commands::webhooks::execute(&global, command, out).await,
        Command::Scenarios => {
            for name in balampay_contract::run::scenario_names() {
                writeln!(out, "{name}")?;
            }
            Ok(Outcome::Passed)
        }
        Command::Diff(args) => commands::diff::execute(&global, args, out),
    }
}
