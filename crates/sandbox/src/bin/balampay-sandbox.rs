//! `balampay-sandbox`: run the sandbox from the command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use balampay_sandbox::{Config, DEFAULT_API_KEY, DEFAULT_TOKEN, RateLimit, Sandbox, Timing};
use clap::Parser;

/// A stateful, local reference server of the BalamPay Users & Verification API.
// No `Debug`: the arguments hold credentials.
#[derive(Parser)]
#[command(name = "balampay-sandbox", version)]
struct Args {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Keep users, sessions, idempotency records and deliveries in this SQLite file.
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// The bearer token to accept.
    #[arg(long, env = "BALAMPAY_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The API key to accept.
    #[arg(long = "api-key", env = "BALAMPAY_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Milliseconds from an `api` session's creation to its decision.
    #[arg(long, default_value_t = 2000)]
    decision_delay_ms: u64,
    /// Milliseconds a session stays `under_review`.
    #[arg(long, default_value_t = 5000)]
    review_delay_ms: u64,
    /// Each API key's rate limit, in requests per second; 0 turns rate limiting off (the
    /// control API can still set a limit for a key).
    #[arg(long, value_name = "PER_SECOND", default_value_t = 1000)]
    rate_limit: u32,
    /// How many requests a key may send at once (the rate limit's bucket); defaults to
    /// --rate-limit.
    #[arg(long, value_name = "REQUESTS")]
    rate_burst: Option<u32>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let rate_limit = match std::num::NonZeroU32::new(args.rate_limit) {
        None => None,
        Some(per_second) => match args.rate_burst.map(std::num::NonZeroU32::new) {
            Some(None) => {
                eprintln!("balampay-sandbox: --rate-burst must be at least 1");
                return ExitCode::from(2);
            }
            burst => Some(RateLimit {
                requests_per_second: per_second,
                burst: burst.flatten().unwrap_or(per_second),
            }),
        },
    };
    let config = Config {
        rate_limit,
        addr: args.addr,
        token: args
            .token
            .clone()
            .unwrap_or_else(|| DEFAULT_TOKEN.to_owned()),
        api_keys: vec![
            args.api_key
                .clone()
                .unwrap_or_else(|| DEFAULT_API_KEY.to_owned()),
        ],
        data: args.data.clone(),
        timing: Timing {
            decision_delay: Duration::from_millis(args.decision_delay_ms),
            review_delay: Duration::from_millis(args.review_delay_ms),
        },
        ..Config::default()
    };
    let sandbox = match Sandbox::start(config).await {
        Ok(sandbox) => sandbox,
        Err(error) => {
            eprintln!("balampay-sandbox: failed to {error}");
            return ExitCode::from(2);
        }
    };
    println!("balampay-sandbox listening on {}", sandbox.base_url());
    // Only the sandbox's own defaults are printed; credentials you chose never are.
    match &args.token {
        None => {
            println!("  bearer token: {DEFAULT_TOKEN} (default; set --token or BALAMPAY_TOKEN)")
        }
        Some(_) => println!("  bearer token: the one given by --token or BALAMPAY_TOKEN"),
    }
    match &args.api_key {
        None => println!(
            "  API key:      {DEFAULT_API_KEY} (default; set --api-key or BALAMPAY_API_KEY)"
        ),
        Some(_) => println!("  API key:      the one given by --api-key or BALAMPAY_API_KEY"),
    }
    match &args.data {
        Some(path) => println!("  data:         {}", path.display()),
        None => println!("  data:         in memory (use --data FILE to keep it)"),
    }
    match rate_limit {
        Some(limit) => println!(
            "  rate limit:   {} requests/s per API key, bursts of {} (set --rate-limit, --rate-burst)",
            limit.requests_per_second, limit.burst
        ),
        None => println!("  rate limit:   off (--rate-limit 0)"),
    }
    if let Err(error) = tokio::signal::ctrl_c().await {
        eprintln!("balampay-sandbox: cannot wait for Ctrl-C: {error}");
    }
    sandbox.stop().await;
    ExitCode::SUCCESS
}
