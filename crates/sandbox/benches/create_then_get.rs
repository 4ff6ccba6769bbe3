//! Throughput and latency of the sandbox: each client creates a user and then reads it back,
//! over loopback, with 1, 16 and 64 concurrent clients, in memory and on a SQLite data file.
//! Prints requests per second and latency percentiles per configuration; asserts nothing.
//!
//! Run with `cargo bench -p balampay-sandbox` (optionally `-- <pairs per client>`).

use std::time::{Duration, Instant};

use balampay_sandbox::{Config, DEFAULT_API_KEY, DEFAULT_TOKEN, Sandbox};
use serde_json::json;

/// One configuration's measurements.
struct Figures {
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

async fn run(config: Config, clients: usize, pairs_per_client: usize) -> Figures {
    let sandbox = Sandbox::start(config).await.expect("the sandbox starts");
    let base = sandbox.base_url().to_owned();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .expect("client");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let http = http.clone();
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(pairs_per_client * 2);
            for pair in 0..pairs_per_client {
                let body = json!({
                    "type": "individual",
                    "email": format!("bench-{client}-{pair}@example.com"),
                    "phone_number": "+1234567890",
                    "first_name": "Bench",
                    "last_name": "Mark",
                    "country": "US"
                });
                let sent = Instant::now();
                let created = http
                    .post(format!("{base}/v1/users"))
                    .bearer_auth(DEFAULT_TOKEN)
                    .header("x-api-key", DEFAULT_API_KEY)
                    .header("idempotency-key", format!("bench-{client}-{pair}"))
                    .json(&body)
                    .send()
                    .await
                    .expect("create answers");
                assert_eq!(created.status().as_u16(), 201, "create failed");
                let user: serde_json::Value = created.json().await.expect("json");
                latencies.push(sent.elapsed());
                let id = user["id"].as_str().expect("id").to_owned();
                let sent = Instant::now();
                let got = http
                    .get(format!("{base}/v1/users/{id}"))
                    .bearer_auth(DEFAULT_TOKEN)
                    .header("x-api-key", DEFAULT_API_KEY)
                    .send()
                    .await
                    .expect("get answers");
                assert_eq!(got.status().as_u16(), 200, "get failed");
                let _ = got.bytes().await.expect("body");
                latencies.push(sent.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("client task"));
    }
    let elapsed = started.elapsed();
    sandbox.stop().await;
    latencies.sort();
    Figures {
        requests: latencies.len(),
        elapsed,
        latencies,
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // `cargo bench` passes `--bench`; a number sets the pairs per client.
    let pairs: Option<usize> = std::env::args().skip(1).find_map(|arg| arg.parse().ok());
    let dir = std::env::temp_dir().join(format!("balampay-sandbox-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    println!(
        "create-then-get over loopback (each pair: POST /v1/users, then GET /v1/users/{{id}})"
    );
    println!(
        "{:<8} {:>7} {:>9} {:>10} {:>9} {:>9} {:>9}",
        "storage", "clients", "requests", "req/s", "p50 ms", "p99 ms", "max ms"
    );
    for storage in ["memory", "sqlite"] {
        for clients in [1usize, 16, 64] {
            // SQLite commits (and syncs) every create before answering, so it gets fewer
            // pairs to keep the run short.
            let total_pairs = pairs.map(|p| p * clients).unwrap_or(match storage {
                "memory" => 4000,
                _ => 800,
            });
            let per_client = (total_pairs / clients).max(1);
            let config = match storage {
                "memory" => Config::default(),
                _ => Config {
                    data: Some(dir.join(format!("bench-{clients}.sqlite"))),
                    ..Config::default()
                },
            };
            let figures = run(config, clients, per_client).await;
            let rate = figures.requests as f64 / figures.elapsed.as_secs_f64();
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            println!(
                "{:<8} {:>7} {:>9} {:>10.0} {:>9.2} {:>9.2} {:>9.2}",
                storage,
                clients,
                figures.requests,
                rate,
                ms(percentile(&figures.latencies, 0.50)),
                ms(percentile(&figures.latencies, 0.99)),
                ms(percentile(&figures.latencies, 1.0)),
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
