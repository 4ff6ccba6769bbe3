//! `run`: the scenario suite against a live API or the embedded sandbox.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use balampay_contract::Outcome;
use balampay_contract::run::{self, Options, Target};

use super::{Global, finish};

/// Arguments of `run`.
#[derive(clap::Args)]
pub struct Args {
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
}

/// Runs the scenarios and reports.
pub async fn execute(global: &Global, args: Args, out: &mut dyn Write) -> Result<Outcome> {
    let spec = Arc::new(global.load_spec()?);
    let record = args
        .record
        .as_deref()
        .map(|path| {
            balampay_contract::record::Recorder::create(path)
                .with_context(|| format!("cannot create {}", path.display()))
        })
        .transpose()?;
    let progress_on = std::io::stderr().is_terminal();
    let options = Options {
        only: args.only,
        skip: args.skip,
        read_only: args.read_only,
        user_ids: args.user_ids,
        record,
        progress: progress_on.then(|| -> run::Progress {
            Box::new(|index, total, name| eprint!("\r\x1b[2K[{index}/{total}] {name}"))
        }),
    };
    let (target, sandbox) = match args.base_url {
        Some(base_url) => {
            let (Some(token), Some(api_key)) = (args.token, args.api_key) else {
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
        None => embedded(args.token, args.api_key).await?,
    };
    let report = run::run(spec, target, options).await?;
    if progress_on {
        eprintln!("\r\x1b[2K");
    }
    if let Some(sandbox) = sandbox {
        sandbox.stop().await;
    }
    finish(global, &report, out)
}

/// Starts the embedded sandbox on a loopback port, with fast verification timing.
#[cfg(feature = "embedded-sandbox")]
async fn embedded(
    token: Option<String>,
    api_key: Option<String>,
) -> Result<(Target, Option<balampay_sandbox::Sandbox>)> {
    let token = token.unwrap_or_else(|| balampay_sandbox::DEFAULT_TOKEN.to_owned());
    let api_key = api_key.unwrap_or_else(|| balampay_sandbox::DEFAULT_API_KEY.to_owned());
    let config = balampay_sandbox::Config {
        token: token.clone(),
        api_keys: vec![api_key.clone()],
        ..balampay_sandbox::Config::fast()
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

/// Stands in for the sandbox in builds without it.
#[cfg(not(feature = "embedded-sandbox"))]
struct NoSandbox;

#[cfg(not(feature = "embedded-sandbox"))]
impl NoSandbox {
    async fn stop(self) {}
}
