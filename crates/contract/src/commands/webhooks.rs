//! `webhooks validate` and `webhooks listen`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use balampay_contract::report;
use balampay_contract::webhooks::{self, Delivery};
use balampay_contract::{Outcome, Report};

use super::{Global, drain, finish, relay_until};

/// The `webhooks` subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Validate payload files (directories are searched for `.json` files).
    Validate {
        /// Files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Receive deliveries, checking each one's signature and payload (and passing it on with
    /// --forward-to), until Ctrl-C or SIGTERM.
    Listen {
        /// Where to listen: the loopback by default; an address such as 0.0.0.0:8787 listens
        /// on every interface.
        #[arg(long, default_value = "127.0.0.1:8787")]
        addr: SocketAddr,
        /// The endpoint's signing secret; without it signatures are not checked.
        #[arg(long, env = "BALAMPAY_WEBHOOK_SECRET", hide_env_values = true)]
        secret: Option<String>,
        /// After checking each delivery, pass it on unchanged (headers and body) to this URL,
        /// your own webhook endpoint, and answer the sender with the endpoint's answer, so
        /// that retries follow the endpoint's failures. Unreachable: the sender gets 502.
        #[arg(long, value_name = "URL")]
        forward_to: Option<String>,
        /// Seconds to wait for the --forward-to endpoint before answering the sender 504.
        #[arg(
            long,
            value_name = "SECONDS",
            default_value_t = 30.0,
            requires = "forward_to"
        )]
        forward_timeout: f64,
    },
}

/// Runs a `webhooks` subcommand.
pub async fn execute(global: &Global, command: Command, out: &mut dyn Write) -> Result<Outcome> {
    match command {
        Command::Validate { paths } => validate(global, &paths, out),
        Command::Listen {
            addr,
            secret,
            forward_to,
            forward_timeout,
        } => {
            let forward = forward_to
                .map(|url| forward(&url, forward_timeout))
                .transpose()?;
            listen(global, addr, secret, forward, out).await
        }
    }
}

/// The `--forward-to` endpoint, checked.
fn forward(url: &str, timeout: f64) -> Result<webhooks::Forward> {
    let parsed =
        balampay_contract::proxy::http_url("--forward-to", url, "http://localhost:3000/webhooks")
            .map_err(|message| anyhow::anyhow!(message))?;
    if !(timeout.is_finite() && timeout > 0.0) {
        bail!("--forward-timeout {timeout} must be a positive number of seconds");
    }
    Ok(webhooks::Forward {
        url: parsed,
        timeout: std::time::Duration::from_secs_f64(timeout),
    })
}

fn validate(global: &Global, paths: &[PathBuf], out: &mut dyn Write) -> Result<Outcome> {
    let spec = global.load_spec()?;
    let files = webhooks::payload_files(paths)?;
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
            .map(|file| webhooks::validate_file(&spec, file))
            .collect(),
    };
    finish(global, &report, out)
}

/// One line about a delivery, as it arrives.
fn describe(delivery: &Delivery) -> String {
    let event = delivery.event.as_deref().unwrap_or("(no event)");
    let signature = match &delivery.signature {
        None => "signature not checked".to_owned(),
        Some(Ok(())) => "signature ok".to_owned(),
        Some(Err(error)) => format!("SIGNATURE INVALID: {error}"),
    };
    let forwarded = match &delivery.forwarded {
        None => String::new(),
        Some(Ok(status)) => format!("; forwarded, endpoint answered {status}"),
        Some(Err(error)) => format!("; NOT FORWARDED: {error}"),
    };
    match &delivery.problems {
        Ok(failures) if failures.is_empty() => {
            format!("{event}: {signature}, payload valid{forwarded}\n")
        }
        Ok(failures) => {
            let mut text = format!("{event}: {signature}, payload INVALID{forwarded}:\n");
            for failure in failures {
                text.push_str(&format!("    {}\n", report::describe(failure)));
            }
            text
        }
        Err(error) => {
            format!("{event}: {signature}, payload not checked: {error}{forwarded}\n")
        }
    }
}

async fn listen(
    global: &Global,
    addr: SocketAddr,
    secret: Option<String>,
    forward: Option<webhooks::Forward>,
    out: &mut dyn Write,
) -> Result<Outcome> {
    global.create_reports()?;
    let forward_url = forward.as_ref().map(|forward| forward.url.clone());
    let forwarding_to = forward.as_ref().map(|forward| forward.url.to_string());
    let forwarding = forwarding_to.is_some();
    let spec = Arc::new(global.load_spec()?);
    let secret = secret
        .map(|s| balampay_client::WebhookSecret::new(&s))
        .transpose()
        .map_err(|e| anyhow::anyhow!("--secret: {e}"))?;
    let checks_signatures = secret.is_some();
    // Deliveries arrive on the server's tasks; their lines come here to be written in order,
    // and their failures go to one case for the reports (kept up to the report's limit,
    // counted beyond it).
    let (lines, mut received) = tokio::sync::mpsc::unbounded_channel::<String>();
    let case = Arc::new(std::sync::Mutex::new(balampay_contract::Case::new(
        format!("deliveries to http://{addr}"),
    )));
    let collected = case.clone();
    let origin = spec.origin.clone();
    let listener = webhooks::listen(
        addr,
        spec,
        secret,
        Arc::new(move |delivery: &Delivery| {
            let _ = lines.send(describe(delivery));
            let mut case = collected.lock().unwrap_or_else(|p| p.into_inner());
            case.ran(&[balampay_contract::Check::Webhook]);
            case.failed(delivery.failures("delivery"));
            // A delivery the endpoint never saw is not a contract violation, but the job was
            // not done: an input error, kept up to the report's limit.
            if let Some(Err(error)) = &delivery.forwarded {
                case.error(format!(
                    "{}: not forwarded: {error}",
                    delivery.event.as_deref().unwrap_or("(no event)")
                ));
            }
        }),
        // Only the counts: a listener left running must not grow with what it receives.
        webhooks::Keep::Counts,
        forward,
    )
    .await
    .with_context(|| format!("cannot listen on {addr}"))?;
    if let Some(url) = &forward_url {
        balampay_contract::proxy::refuse_loop(url, listener.addr)
            .await
            .map_err(|message| anyhow::anyhow!("--forward-to: {message}"))?;
    }
    writeln!(
        out,
        "listening for webhooks on http://{} ({}{}); Ctrl-C to stop",
        listener.addr,
        if checks_signatures {
            "checking signatures"
        } else {
            "signatures not checked: give --secret"
        },
        forwarding_to
            .map(|url| format!("; forwarding to {url}"))
            .unwrap_or_default()
    )?;
    out.flush()?;
    relay_until(out, &mut received, std::future::pending()).await?;
    drain(out, &mut received)?;
    let total = listener
        .counts
        .total
        .load(std::sync::atomic::Ordering::Relaxed);
    let bad = listener
        .counts
        .bad
        .load(std::sync::atomic::Ordering::Relaxed);
    drop(listener);
    let case = std::mem::take(&mut *case.lock().unwrap_or_else(|p| p.into_inner()));
    let not_forwarded = case.error_count();
    if forwarding {
        writeln!(
            out,
            "{total} deliveries, {bad} with problems, {not_forwarded} not forwarded"
        )?;
    } else {
        writeln!(out, "{total} deliveries, {bad} with problems")?;
    }
    let report = Report {
        title: "webhooks listen".to_owned(),
        spec: origin,
        cases: vec![case],
    };
    // The same summary as every other command (PASS, FAIL or input errors, the spec, the
    // failures in full), and the report files.
    writeln!(out)?;
    finish(global, &report, out)
}
