//! `verify` throughput and peak memory on generated cassettes of 100,000 and 200,000
//! exchanges (a mix of every operation, successes and errors). Prints figures; asserts
//! nothing. Run with `cargo bench -p balampay-contract` (optionally `-- <exchanges>`).

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use balampay_contract::Spec;
use balampay_contract::check::Exchange;
use balampay_contract::verify::verify_file;
use serde_json::json;

/// The peak resident set size of this process so far, in KiB (Linux; 0 elsewhere).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

fn user(n: usize) -> serde_json::Value {
    json!({
        "id": format!("6487276d-e86c-46ad-bc7b-{:012x}", n),
        "type": "individual", "status": "active", "verification_status": "unverified",
        "email": format!("user{n}@example.com"), "phone_number": "+573013185684",
        "first_name": "Ana", "last_name": "Lopez", "country": "CO", "metadata": {},
        "created_at": "2026-01-14T20:27:54.863Z", "updated_at": "2026-01-14T20:27:54.863Z"
    })
}

fn exchange(n: usize) -> Exchange {
    let headers = vec![
        ("authorization".to_owned(), "Bearer <redacted>".to_owned()),
        ("x-api-key".to_owned(), "<redacted>".to_owned()),
    ];
    let response_headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("x-request-id".to_owned(), format!("req_{n}")),
    ];
    let id = format!("6487276d-e86c-46ad-bc7b-{:012x}", n);
    match n % 4 {
        0 => {
            let mut request_headers = headers;
            request_headers.push(("idempotency-key".to_owned(), format!("k{n}")));
            Exchange {
                method: "POST".into(),
                path: "/v1/users".into(),
                request_headers,
                request_body: Some(json!({"type": "individual", "email": format!("user{n}@example.com"), "phone_number": "+573013185684", "first_name": "Ana", "last_name": "Lopez", "country": "CO"})),
                status: 201,
                response_headers,
                response_body: user(n).to_string(),
                body_recorded: true,
            }
        }
        1 => Exchange { method: "GET".into(), path: format!("/v1/users/{id}"), request_headers: headers, request_body: None, status: 200, response_headers, response_body: user(n).to_string(), body_recorded: true },
        2 => Exchange {
            method: "GET".into(),
            path: "/v1/users?limit=2".into(),
            request_headers: headers,
            request_body: None,
            status: 200,
            response_headers,
            response_body: json!({"data": [user(n), user(n + 1)], "has_more": true, "next_cursor": "c10"}).to_string(),
            body_recorded: true,
        },
        _ => Exchange {
            method: "GET".into(),
            path: format!("/v1/users/{id}"),
            request_headers: headers,
            request_body: None,
            status: 404,
            response_headers,
            response_body: json!({"code": "not_found", "message": "No user has this id.", "details": [], "request_id": format!("req_{n}")}).to_string(),
            body_recorded: true,
        },
    }
}

fn generate(path: &Path, count: usize) -> u64 {
    let file = std::fs::File::create(path).expect("create cassette");
    let mut out = BufWriter::new(file);
    for n in 0..count {
        serde_json::to_writer(&mut out, &exchange(n)).expect("write");
        out.write_all(b"\n").expect("write");
    }
    out.flush().expect("flush");
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn main() {
    let base: usize = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(100_000);
    let spec = Spec::published().expect("the published spec compiles");
    let dir = std::env::temp_dir().join(format!("balampay-contract-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    println!(
        "verify of generated JSONL cassettes (one thread; a quarter each of createUser 201, getUser 200, listUsers 200, getUser 404)"
    );
    println!(
        "{:>10} {:>9} {:>12} {:>10} {:>14} {:>10}",
        "exchanges", "MiB", "exchanges/s", "seconds", "peak RSS MiB", "failures"
    );
    for count in [base, base * 2] {
        let path = dir.join(format!("cassette-{count}.jsonl"));
        let bytes = generate(&path, count);
        let started = Instant::now();
        let case = verify_file(&spec, &path, &Default::default(), &mut |_| {});
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{:>10} {:>9.1} {:>12.0} {:>10.2} {:>14.1} {:>10}",
            count,
            bytes as f64 / (1024.0 * 1024.0),
            count as f64 / seconds,
            seconds,
            peak_rss_kib() as f64 / 1024.0,
            case.failure_count + case.errors.len()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
