//! `proxy`: forward a partner's traffic to the API and check every exchange as it happens.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use balampay_contract::proxy::{self, Event, Options};
use balampay_contract::record::Recorder;
use balampay_contract::{Outcome, Report};

use super::{Global, drain, finish, relay_until};

/// Arguments of `proxy`.
#[derive(clap::Args)]
pub struct Args {
    /// The API to forward to: an absolute http or https URL, with a path prefix if the API
    /// has one (https://api.balampay.com, http://127.0.0.1:8080).
    #[arg(long, value_name = "URL")]
    upstream: String,
    /// Where to listen for the partner's requests.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    /// Write every exchange to this JSONL cassette as it happens (secrets redacted), for
    /// `verify` to read again.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Stop after this many exchanges have ended, with the summary and reports (requests
    /// already in flight then still finish and are checked: at least N in all).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_requests: Option<u64>,
    /// Stop after the first exchange with a violation.
    #[arg(long)]
    fail_fast: bool,
    /// The largest body (request or response, in bytes) checked; larger ones are forwarded
    /// whole, not checked, and counted.
    #[arg(long, value_name = "BYTES", default_value_t = balampay_contract::record::DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// Seconds to wait for the upstream to connect or send the next part of an answer
    /// before answering the client 504.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    upstream_timeout: f64,
}

/// Runs the proxy until Ctrl-C, SIGTERM, `--max-requests` or `--fail-fast`, then reports.
pub async fn execute(global: &Global, args: Args, out: &mut dyn Write) -> Result<Outcome> {
    let spec = Arc::new(global.load_spec()?);
    let upstream = proxy::upstream_url(&args.upstream).map_err(|message| anyhow!(message))?;
    if !(args.upstream_timeout.is_finite() && args.upstream_timeout > 0.0) {
        return Err(anyhow!(
            "--upstream-timeout {} must be a positive number of seconds",
            args.upstream_timeout
        ));
    }
    global.create_reports()?;
    let record = args
        .record
        .as_deref()
        .map(|path| {
            Recorder::create(path).with_context(|| format!("cannot create {}", path.display()))
        })
        .transpose()?;
    let options = Options {
        listen: args.listen,
        record,
        max_requests: args
            .max_requests
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        fail_fast: args.fail_fast,
        max_body_bytes: args.max_body_bytes,
        upstream_timeout: Duration::from_secs_f64(args.upstream_timeout),
        ..Options::new(upstream.clone())
    };
    // Events are found on the checking thread; their lines come here to be written in
    // order with everything else this command prints.
    let (lines, mut received) = tokio::sync::mpsc::unbounded_channel::<String>();
    let origin = spec.origin.clone();
    let proxy = proxy::start(
        spec,
        options,
        Box::new(move |event: &Event| {
            let _ = lines.send(format!("{event}\n"));
        }),
    )
    .await?;
    writeln!(
        out,
        "proxying http://{} to {} and checking against {origin}; Ctrl-C to stop",
        proxy.addr,
        upstream.as_str().trim_end_matches('/')
    )?;
    out.flush()?;
    relay_until(out, &mut received, proxy.limit_reached()).await?;
    let summary = proxy.finish().await;
    drain(out, &mut received)?;
    let report = Report {
        title: format!("proxy to {}", upstream.as_str().trim_end_matches('/')),
        spec: origin,
        cases: vec![summary.case],
    };
    finish(global, &report, out)
}
