//! `balampay-contract`: the contract suite's command line.
//!
//! Exit codes: 0 when every check passed, 1 when the contract was violated, 2 for usage or
//! input errors (a spec or recording that cannot be read, malformed lines, a target that
//! cannot be reached).

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use balampay_contract::report::{self, Style};
use balampay_contract::run::{self, Options, Target};
use balampay_contract::{Report, Spec};
use clap::{Parser, Subcommand};

/// Validates live or recorded BalamPay traffic and webhook payloads against the spec.
// No `Debug` on the arguments: they hold credentials.
#[derive(Parser)]
#[command(name = "balampay-contract", version)]
struct Cli {
    /// An OpenAPI 3.1 spec (JSON or YAML) to check against, instead of the published one
    /// built into this binary.
    #[arg(long, global = true, value_name = "FILE")]
    spec: Option<PathBuf>,
    /// Also write a JUnit XML report here.
    #[arg(long, global = true, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Also write a JSON report here.
    #[arg(long, global = true, value_name = "FILE")]
    json: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the scenario suite against a live API (the embedded sandbox when no base URL is
    /// given).
    Run {
        /// The API's base URL; without it, a sandbox is started on a loopback port.
        #[arg(long)]
        base_url: Option<String>,
        /// The bearer token.
        #[arg(long, env = "BALAMPAY_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// The API key.
        #[arg(long = "api-key", env = "BALAMPAY_API_KEY", hide_env_values = true)]
        api_key: Option<String>,
        /// Run only these scenarios (comma-separated; see `scenarios`).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Skip these scenarios (comma-separated).
        #[arg(long, value_delimiter = ',')]
        skip: Vec<String>,
        /// Create nothing: credentials checks, not-found, and GETs of `--user-id`s.
        #[arg(long)]
        read_only: bool,
        /// A user id to read in the read-only profile (repeatable).
        #[arg(long = "user-id")]
        user_ids: Vec<uuid::Uuid>,
        /// Record every exchange to this JSONL cassette (secrets redacted).
        #[arg(long, value_name = "FILE")]
        record: Option<PathBuf>,
    },
    /// Check recorded exchanges offline: JSONL cassettes, or HAR files (`.har`).
    Verify {
        /// The recordings.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Webhook payloads.
    Webhooks {
        #[command(subcommand)]
        command: WebhooksCommand,
    },
    /// List the scenarios of `run`.
    Scenarios,
    /// Every change between two versions of the spec, classified as breaking, possibly
    /// breaking or compatible.
    Diff {
        /// The old version: a file, or `git:REV:PATH`.
        old: String,
        /// The new version: a file, or `git:REV:PATH`.
        new: String,
        /// The report's format on standard output.
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
        /// Exit 1 when a change is at least this bad.
        #[arg(long, value_enum)]
        fail_on: Option<FailOn>,
    },
}

/// Formats of `diff`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum DiffFormat {
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

#[derive(Subcommand)]
enum WebhooksCommand {
    /// Validate payload files (directories are searched for `.json` files).
    Validate {
        /// Files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Receive deliveries on a loopback address, checking each one's signature and payload,
    /// until interrupted.
    Listen {
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:8787")]
        addr: SocketAddr,
        /// The endpoint's signing secret; without it signatures are not checked.
        #[arg(long, env = "BALAMPAY_WEBHOOK_SECRET", hide_env_values = true)]
        secret: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(execute(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn style() -> Style {
    Style {
        colour: std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

fn load_spec(path: Option<&Path>) -> Result<Spec> {
    Ok(match path {
        Some(path) => Spec::from_file(path)?,
        None => Spec::published()?,
    })
}

/// Prints the human report and writes the requested files; answers the exit code.
fn finish(cli_junit: Option<&Path>, cli_json: Option<&Path>, report: &Report) -> Result<u8> {
    print!("{}", report::human(report, style()));
    if let Some(path) = cli_junit {
        std::fs::write(path, report::junit(report))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = cli_json {
        std::fs::write(path, report::json(report))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(report::exit_code(report))
}

async fn execute(cli: Cli) -> Result<u8> {
    let junit = cli.junit.as_deref();
    let json = cli.json.as_deref();
    match cli.command {
        Command::Diff {
            old,
            new,
            format,
            fail_on,
        } => {
            use balampay_contract::diff;
            let old = diff::load_side(&old).map_err(anyhow::Error::msg)?;
            let new = diff::load_side(&new).map_err(anyhow::Error::msg)?;
            let changes = diff::diff(&old, &new);
            let threshold = match fail_on {
                Some(FailOn::Breaking) => Some(diff::Severity::Breaking),
                Some(FailOn::PossiblyBreaking) => Some(diff::Severity::PossiblyBreaking),
                None => None,
            };
            let output = match format {
                DiffFormat::Text => diff::text(&changes),
                DiffFormat::Json => diff::json(&changes),
                DiffFormat::Junit => {
                    diff::junit(&changes, threshold.unwrap_or(diff::Severity::Breaking))
                }
                DiffFormat::Markdown => diff::markdown(&changes),
            };
            print!("{output}");
            if let Some(path) = junit {
                std::fs::write(
                    path,
                    diff::junit(&changes, threshold.unwrap_or(diff::Severity::Breaking)),
                )
                .with_context(|| format!("cannot write {}", path.display()))?;
            }
            if let Some(path) = json {
                std::fs::write(path, diff::json(&changes))
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            let failed = threshold.is_some_and(|threshold| {
                diff::worst(&changes).is_some_and(|worst| worst >= threshold)
            });
            Ok(u8::from(failed))
        }
        Command::Scenarios => {
            for name in run::scenario_names() {
                println!("{name}");
            }
            Ok(0)
        }
        Command::Verify { files } => {
            let spec = load_spec(cli.spec.as_deref())?;
            let progress_on = std::io::stderr().is_terminal();
            let mut report = Report {
                title: "verify recordings".to_owned(),
                spec: spec.origin.clone(),
                cases: Vec::new(),
            };
            for file in &files {
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
            finish(junit, json, &report)
        }
        Command::Webhooks {
            command: WebhooksCommand::Validate { paths },
        } => {
            let spec = load_spec(cli.spec.as_deref())?;
            let files =
                balampay_contract::webhooks::payload_files(&paths).map_err(anyhow::Error::msg)?;
            if files.is_empty() {
                bail!(
                    "no payload files under {}",
                    paths
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            let report = Report {
                title: "webhooks validate".to_owned(),
                spec: spec.origin.clone(),
                cases: files
                    .iter()
                    .map(|file| balampay_contract::webhooks::validate_file(&spec, file))
                    .collect(),
            };
            finish(junit, json, &report)
        }
        Command::Webhooks {
            command: WebhooksCommand::Listen { addr, secret },
        } => {
            let spec = Arc::new(load_spec(cli.spec.as_deref())?);
            let secret = secret
                .map(|s| balampay_client::WebhookSecret::new(&s))
                .transpose()
                .map_err(|e| anyhow::anyhow!("--secret: {e}"))?;
            let checks_signatures = secret.is_some();
            let listener = balampay_contract::webhooks::listen(
                addr,
                spec,
                secret,
                Arc::new(|delivery: &balampay_contract::webhooks::Delivery| {
                    let event = delivery.event.as_deref().unwrap_or("(no event)");
                    let signature = match &delivery.signature {
                        None => "signature not checked".to_owned(),
                        Some(Ok(())) => "signature ok".to_owned(),
                        Some(Err(error)) => format!("SIGNATURE INVALID: {error}"),
                    };
                    match &delivery.problems {
                        Ok(failures) if failures.is_empty() => {
                            println!("{event}: {signature}, payload valid")
                        }
                        Ok(failures) => {
                            println!("{event}: {signature}, payload INVALID:");
                            for failure in failures {
                                println!("    {}", report::describe(failure));
                            }
                        }
                        Err(error) => {
                            println!("{event}: {signature}, payload not checked: {error}")
                        }
                    }
                }),
            )
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
            println!(
                "listening for webhooks on http://{} ({}); Ctrl-C to stop",
                listener.addr,
                if checks_signatures {
                    "checking signatures"
                } else {
                    "signatures not checked: give --secret"
                }
            );
            tokio::signal::ctrl_c()
                .await
                .context("cannot wait for Ctrl-C")?;
            let deliveries = listener
                .deliveries
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            let bad = deliveries
                .iter()
                .filter(|d| {
                    d.signature.as_ref().is_some_and(Result::is_err)
                        || !d.problems.as_ref().is_ok_and(Vec::is_empty)
                })
                .count();
            println!("{} deliveries, {bad} with problems", deliveries.len());
            Ok(if bad > 0 { 1 } else { 0 })
        }
        Command::Run {
            base_url,
            token,
            api_key,
            only,
            skip,
            read_only,
            user_ids,
            record,
        } => {
            let spec = Arc::new(load_spec(cli.spec.as_deref())?);
            let record = record
                .as_deref()
                .map(|path| {
                    balampay_contract::record::Recorder::create(path)
                        .with_context(|| format!("cannot create {}", path.display()))
                })
                .transpose()?;
            let progress_on = std::io::stderr().is_terminal();
            let options = Options {
                only,
                skip,
                read_only,
                user_ids,
                record,
                progress: progress_on.then(|| -> run::Progress {
                    Box::new(|index, total, name| eprint!("\r\x1b[2K[{index}/{total}] {name}"))
                }),
            };
            let (target, sandbox) = match base_url {
                Some(base_url) => {
                    let (Some(token), Some(api_key)) = (token, api_key) else {
                        bail!(
                            "a live target needs credentials: --token and --api-key, or BALAMPAY_TOKEN and BALAMPAY_API_KEY"
                        );
                    };
                    (
                        Target {
                            base_url: base_url.trim_end_matches('/').to_owned(),
                            token,
                            api_key,
                        },
                        None,
                    )
                }
                None => embedded(token, api_key).await?,
            };
            let report = run::run(spec, target, options)
                .await
                .map_err(anyhow::Error::msg)?;
            if progress_on {
                eprintln!("\r\x1b[2K");
            }
            if let Some(sandbox) = sandbox {
                sandbox.stop().await;
            }
            finish(junit, json, &report)
        }
    }
}

/// Starts the embedded sandbox on a loopback port, with fast verification timing.
#[cfg(feature = "embedded-sandbox")]
async fn embedded(
    token: Option<String>,
    api_key: Option<String>,
) -> Result<(Target, Option<balampay_sandbox::Sandbox>)> {
    use std::time::Duration;
    let token = token.unwrap_or_else(|| balampay_sandbox::DEFAULT_TOKEN.to_owned());
    let api_key = api_key.unwrap_or_else(|| balampay_sandbox::DEFAULT_API_KEY.to_owned());
    let config = balampay_sandbox::Config {
        token: token.clone(),
        api_keys: vec![api_key.clone()],
        timing: balampay_sandbox::Timing {
            decision_delay: Duration::from_millis(50),
            // Long enough that polling every 25 ms reliably sees `under_review`.
            review_delay: Duration::from_millis(300),
        },
        retry: balampay_sandbox::RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        },
        ..balampay_sandbox::Config::default()
    };
    let sandbox = balampay_sandbox::Sandbox::start(config)
        .await
        .context("cannot start the embedded sandbox")?;
    let target = Target {
        base_url: sandbox.base_url().to_owned(),
        token,
        api_key,
    };
    Ok((target, Some(sandbox)))
}

#[cfg(not(feature = "embedded-sandbox"))]
async fn embedded(_: Option<String>, _: Option<String>) -> Result<(Target, Option<NoSandbox>)> {
    bail!("this build has no embedded sandbox (feature `embedded-sandbox`): give --base-url")
}

#[cfg(not(feature = "embedded-sandbox"))]
struct NoSandbox;

#[cfg(not(feature = "embedded-sandbox"))]
impl NoSandbox {
    async fn stop(self) {}
}
