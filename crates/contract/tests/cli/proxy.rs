//! `proxy` and `webhooks listen --forward-to` over loopback: the contract suite through the
//! proxy, a sandbox made to send a wrong field, and upstreams that misbehave in each way a
//! real one can (closing the connection, never answering, huge, chunked and non-JSON
//! bodies).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use balampay_contract::Spec;
use balampay_contract::proxy::{self, Event, Options, Summary};
use balampay_contract::run::{Options as RunOptions, Target, run};
use balampay_contract::verify::verify_file;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::root;

/// A proxy in front of `upstream` on a loopback port, and the events it reported.
async fn proxy_to(
    upstream: &str,
    tune: impl FnOnce(&mut Options),
) -> (proxy::Proxy, Arc<Mutex<Vec<String>>>) {
    let spec = Arc::new(Spec::published().expect("spec"));
    let mut options = Options::new(proxy::upstream_url(upstream).expect("upstream URL"));
    options.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    tune(&mut options);
    let events: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = events.clone();
    let proxy = proxy::start(
        spec,
        options,
        Box::new(move |event: &Event| seen.lock().expect("lock").push(event.to_string())),
    )
    .await
    .expect("the proxy starts");
    (proxy, events)
}

/// A server on a loopback port that runs `serve` on every connection, without HTTP.
async fn raw_upstream<F, Fut>(serve: F) -> String
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let serve = Arc::new(serve);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream));
        }
    });
    format!("http://{addr}")
}

/// An axum app as an upstream on a loopback port.
async fn app_upstream(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// Reads a request's head (up to the blank line).
async fn read_head(stream: &mut tokio::net::TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

const USER_PATH: &str = "/v1/users/7f3c2a9e-41b8-4d0c-9a1b-2c3d4e5f6a7b";

#[tokio::test]
async fn the_contract_suite_passes_through_the_proxy_and_its_recording_verifies() {
    let sandbox = balampay_sandbox::Sandbox::start(balampay_sandbox::Config::fast())
        .await
        .expect("sandbox");
    let recording =
        std::env::temp_dir().join(format!("contract-proxy-{}.jsonl", std::process::id()));
    let (proxy, events) = proxy_to(sandbox.base_url(), |options| {
        options.record =
            Some(balampay_contract::record::Recorder::create(&recording).expect("recording"));
    })
    .await;
    let spec = Arc::new(Spec::published().expect("spec"));
    let target = Target {
        base_url: format!("http://{}", proxy.addr),
        token: balampay_sandbox::DEFAULT_TOKEN.to_owned(),
        api_key: balampay_sandbox::DEFAULT_API_KEY.to_owned(),
    };
    let report = run(spec.clone(), target, RunOptions::default())
        .await
        .expect("runs");
    for case in &report.cases {
        assert!(
            case.passed() || case.skipped.is_some(),
            "{} through the proxy: {:#?} {:?}",
            case.name,
            case.failures,
            case.errors
        );
    }
    let Summary {
        case,
        upstream_errors,
    } = proxy.finish().await;
    assert!(
        case.passed(),
        "{:#?} {:?} {:?}",
        case.failures,
        case.errors,
        events
    );
    assert_eq!(upstream_errors, 0);
    let entries = case.entries.as_ref().expect("counted");
    assert!(entries.checked >= 50, "{entries:?}");
    // Everything the suite sent is accounted for: checked, or a call of the sandbox's own
    // control API.
    assert_eq!(
        entries.read,
        entries.checked
            + entries
                .skipped
                .get("sandbox control API")
                .copied()
                .unwrap_or(0),
        "{entries:?}"
    );
    assert!(events.lock().expect("lock").is_empty());
    let recorded = std::fs::read_to_string(&recording).expect("recorded");
    assert_eq!(recorded.lines().count(), entries.read);
    assert!(
        !recorded.contains(balampay_sandbox::DEFAULT_TOKEN)
            && !recorded.contains(balampay_sandbox::DEFAULT_API_KEY),
        "credentials are forwarded, never recorded"
    );
    let verified = verify_file(&spec, &recording, &Default::default(), &mut |_| {});
    assert!(
        verified.passed(),
        "{:#?} {:?}",
        verified.failures,
        verified.errors
    );
    assert_eq!(verified.entries.expect("counted").checked, entries.checked);
    std::fs::remove_file(&recording).expect("clean up");
    sandbox.stop().await;
}

#[tokio::test]
async fn a_corrupted_field_is_reported_at_its_pointer_as_it_happens() {
    let sandbox = balampay_sandbox::Sandbox::start(balampay_sandbox::Config::fast())
        .await
        .expect("sandbox");
    let (proxy, events) = proxy_to(sandbox.base_url(), |options| options.fail_fast = true).await;
    let base = format!("http://{}", proxy.addr);
    let http = reqwest::Client::new();
    let authed = |request: reqwest::RequestBuilder| {
        request
            .bearer_auth(balampay_sandbox::DEFAULT_TOKEN)
            .header("x-api-key", balampay_sandbox::DEFAULT_API_KEY)
    };
    let armed = authed(http.post(format!("{base}/sandbox/faults")))
        .json(&serde_json::json!({"operation": "getUser", "corrupt": {"pointer": "/phone_number", "value": "555-0100"}, "times": 1}))
        .send()
        .await
        .expect("armed");
    assert_eq!(armed.status().as_u16(), 204);
    let created: serde_json::Value = authed(http.post(format!("{base}/v1/users")))
        .header("idempotency-key", "proxy-corrupt-1")
        .json(&serde_json::json!({"type": "individual", "email": "proxy@example.com", "first_name": "Ana", "last_name": "Pérez", "phone_number": "+573013185684", "country": "CO"}))
        .send()
        .await
        .expect("created")
        .json()
        .await
        .expect("JSON");
    let id = created["id"].as_str().expect("an id");
    let got: serde_json::Value = authed(http.get(format!("{base}/v1/users/{id}")))
        .send()
        .await
        .expect("got")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        got["phone_number"], "555-0100",
        "the answer is passed on as the upstream sent it"
    );
    let summary = proxy.finish().await;
    let case = &summary.case;
    assert_eq!(case.failure_count, 1, "{:#?}", case.failures);
    let failure = &case.failures[0];
    assert_eq!(failure.check.name(), "response_schema");
    assert_eq!(failure.operation_id.as_deref(), Some("getUser"));
    assert_eq!(failure.pointer.as_deref(), Some("/phone_number"));
    assert_eq!(failure.place.as_deref(), Some("exchange 3"));
    let events = events.lock().expect("lock").clone();
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(
        events[0].starts_with("exchange 3: [response_schema] getUser GET /v1/users/")
            && events[0].contains("→ 200 at /phone_number: expected"),
        "one line: check, operation, status, pointer: {}",
        events[0]
    );
    assert!(!events[0].contains('\n'));
    assert_eq!(
        balampay_contract::Outcome::of(&balampay_contract::Report {
            cases: vec![summary.case],
            ..Default::default()
        }),
        balampay_contract::Outcome::Violated
    );
    sandbox.stop().await;
}

/// The error body of a 502 or 504 answered by the proxy: the API's `ErrorBody`.
async fn assert_gateway_answer(answer: reqwest::Response, status: u16) {
    assert_eq!(answer.status().as_u16(), status);
    let request_id = answer
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .expect("x-request-id");
    let body: serde_json::Value = answer.json().await.expect("a JSON error body");
    let spec = Spec::published().expect("spec");
    let schema = balampay_openapi::schema::Compiler::new(spec.doc.clone())
        .expect("compiler")
        .validator("/components/schemas/ErrorBody")
        .expect("the ErrorBody schema");
    assert!(schema.is_valid(&body), "{body}");
    assert_eq!(body["request_id"], request_id.as_str());
}

#[tokio::test]
async fn upstream_failures_are_answered_502_or_504_and_counted_never_a_hang() {
    // Closes the connection as soon as the request has arrived.
    let closing = raw_upstream(|mut stream| async move {
        let _ = read_head(&mut stream).await;
    })
    .await;
    // Reads the request and never answers.
    let silent = raw_upstream(|mut stream| async move {
        let _ = read_head(&mut stream).await;
        tokio::time::sleep(Duration::from_secs(60)).await;
    })
    .await;
    // Nothing listens there.
    let unreachable = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", listener.local_addr().expect("addr"))
    };
    let http = reqwest::Client::new();
    for (upstream, status, words) in [
        (closing.as_str(), 502, "the upstream gave no answer"),
        (silent.as_str(), 504, "did not answer within 0.3 s"),
        (unreachable.as_str(), 502, "cannot connect to the upstream"),
    ] {
        let (proxy, events) = proxy_to(upstream, |options| {
            options.upstream_timeout = Duration::from_millis(300);
        })
        .await;
        let started = std::time::Instant::now();
        let answer = http
            .get(format!("http://{}{USER_PATH}", proxy.addr))
            .send()
            .await
            .expect("the proxy answers");
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_gateway_answer(answer, status).await;
        let summary = proxy.finish().await;
        assert_eq!(summary.upstream_errors, 1, "{upstream}");
        assert_eq!(summary.case.error_count(), 1);
        assert!(
            summary.case.errors[0].contains(words),
            "{:?}",
            summary.case.errors
        );
        assert_eq!(summary.case.failure_count, 0, "the API is not blamed");
        let events = events.lock().expect("lock").clone();
        assert_eq!(events.len(), 1);
        assert!(
            events[0].starts_with(&format!("exchange 1: GET {USER_PATH}: "))
                && events[0].ends_with(&format!("(answered {status})")),
            "{events:?}"
        );
    }
}

#[tokio::test]
async fn large_chunked_and_non_json_bodies_pass_through_unchanged() {
    // What the upstream got: the request, its body's length and its Content-Length.
    type Received = Vec<(String, usize, Option<String>)>;
    let received: Arc<Mutex<Received>> = Arc::default();
    let log = received.clone();
    let app = axum::Router::new()
        // Echoes a body of any size back.
        .route(
            "/v1/users",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: Bytes| {
                let log = log.clone();
                async move {
                    log.lock().expect("lock").push((
                        "POST /v1/users".to_owned(),
                        body.len(),
                        headers
                            .get("content-length")
                            .map(|v| v.to_str().unwrap_or_default().to_owned()),
                    ));
                    ([("content-type", "application/json")], body)
                }
            })
            .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        // A chunked error body that breaks the ErrorBody schema, cut in three.
        .route(
            "/v1/users/{id}",
            axum::routing::get(|| async {
                let parts: Vec<Result<Bytes, std::io::Error>> = vec![
                    Ok(Bytes::from_static(b"{\"code\": ")),
                    Ok(Bytes::from_static(b"\"not_found\", \"message\": ")),
                    Ok(Bytes::from_static(b"\"\"}")),
                ];
                (
                    axum::http::StatusCode::NOT_FOUND,
                    [
                        ("content-type", "application/json"),
                        ("x-request-id", "req_1"),
                    ],
                    axum::body::Body::from_stream(futures_stream(parts)),
                )
            }),
        )
        // An HTML page where JSON is promised.
        .route(
            "/v1/users/me",
            axum::routing::get(|| async {
                (
                    [("content-type", "text/html")],
                    "<html><body>maintenance</body></html>",
                )
            }),
        );
    let upstream = app_upstream(app).await;
    let (proxy, _events) = proxy_to(&upstream, |_| {}).await;
    let http = reqwest::Client::new();
    let base = format!("http://{}", proxy.addr);

    // 10 MB each way: forwarded whole, with its length, and not checked (too large).
    let big: Vec<u8> = (0..10 * 1024 * 1024)
        .map(|i| b"{}[] ,:\"a1"[i % 10])
        .collect();
    let echoed = http
        .post(format!("{base}/v1/users"))
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .expect("answered");
    assert_eq!(echoed.status().as_u16(), 200);
    assert_eq!(
        echoed
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok()),
        Some("10485760")
    );
    let echoed = echoed.bytes().await.expect("body");
    assert!(
        echoed.as_ref() == big.as_slice(),
        "the 10 MB body came back unchanged"
    );
    assert_eq!(
        received.lock().expect("lock").clone(),
        [(
            "POST /v1/users".to_owned(),
            big.len(),
            Some("10485760".to_owned())
        )],
        "the upstream got the whole body with the client's Content-Length"
    );

    let chunked = http
        .get(format!("{base}{USER_PATH}"))
        .send()
        .await
        .expect("answered");
    assert_eq!(chunked.status().as_u16(), 404);
    assert!(
        chunked.headers().get("content-length").is_none(),
        "still chunked"
    );
    assert_eq!(
        chunked.text().await.expect("body"),
        "{\"code\": \"not_found\", \"message\": \"\"}"
    );

    let html = http
        .get(format!("{base}/v1/users/me"))
        .send()
        .await
        .expect("answered");
    assert_eq!(
        html.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/html")
    );
    assert_eq!(
        html.text().await.expect("body"),
        "<html><body>maintenance</body></html>"
    );

    let summary = proxy.finish().await;
    let case = &summary.case;
    let entries = case.entries.as_ref().expect("counted");
    assert_eq!(entries.read, 3);
    assert_eq!(entries.skipped.get("too large"), Some(&1), "{entries:?}");
    assert_eq!(entries.checked, 2);
    let by_check = &case.failures_by_check;
    assert!(
        by_check.contains_key("error_body"),
        "the chunked body was checked whole: {by_check:?}"
    );
    assert!(
        case.failures.iter().any(|f| f.check.name() == "error_body"
            && f.operation_id.as_deref() == Some("getUser")),
        "{:#?}",
        case.failures
    );
    assert!(
        case.failures
            .iter()
            .any(|f| f.check.name() == "content_type" && f.path == "/v1/users/me"),
        "the HTML answer is named: {:#?}",
        case.failures
    );
    assert_eq!(summary.upstream_errors, 0);
}

/// A stream of the given items.
fn futures_stream<T: Send + 'static>(items: Vec<T>) -> impl futures_core::Stream<Item = T> + Send {
    struct Items<T>(std::vec::IntoIter<T>);
    impl<T> futures_core::Stream for Items<T> {
        type Item = T;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<T>> {
            std::task::Poll::Ready(self.0.next())
        }
    }
    impl<T> Unpin for Items<T> {}
    Items(items.into_iter())
}

#[tokio::test]
async fn an_upstream_that_breaks_off_its_answer_is_counted_not_checked() {
    // A body of announced length that stops 94 bytes short: read whole before anything is
    // passed on, so the client gets a clean 502.
    let short = raw_upstream(|mut stream| async move {
        let _ = read_head(&mut stream).await;
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"id\":")
            .await;
    })
    .await;
    // A chunked body that stops without its last chunk: streamed, so the client sees the
    // same cut.
    let chunked = raw_upstream(|mut stream| async move {
        let _ = read_head(&mut stream).await;
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n6\r\n{\"id\":\r\n")
            .await;
    })
    .await;
    for (upstream, streamed) in [(short, false), (chunked, true)] {
        let (proxy, events) = proxy_to(&upstream, |_| {}).await;
        let answer = reqwest::get(format!("http://{}{USER_PATH}", proxy.addr))
            .await
            .expect("the head arrives");
        if streamed {
            assert_eq!(answer.status().as_u16(), 200);
            assert!(answer.bytes().await.is_err(), "the client sees the cut too");
        } else {
            assert_gateway_answer(answer, 502).await;
        }
        let summary = proxy.finish().await;
        assert_eq!(summary.upstream_errors, 1);
        assert_eq!(summary.case.failure_count, 0);
        let events = events.lock().expect("lock").clone();
        assert!(
            events[0].contains("the upstream broke off its answer"),
            "{events:?}"
        );
    }
}

#[tokio::test]
async fn the_listener_forwards_deliveries_and_relays_the_endpoints_answer() {
    use balampay_client::WebhookSecret;
    let secret = WebhookSecret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret");
    // The partner's endpoint: fails the first delivery, takes the second.
    let seen: Arc<Mutex<Vec<(String, Bytes)>>> = Arc::default();
    let log = seen.clone();
    let endpoint = app_upstream(axum::Router::new().route(
        "/partner/hooks",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: Bytes| {
            let log = log.clone();
            async move {
                let signature = headers
                    .get("webhook-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let mut log = log.lock().expect("lock");
                log.push((signature, body));
                if log.len() == 1 {
                    (axum::http::StatusCode::SERVICE_UNAVAILABLE, "try later")
                } else {
                    (axum::http::StatusCode::OK, "thanks")
                }
            }
        }),
    ))
    .await;
    let spec = Arc::new(Spec::published().expect("spec"));
    let forward = |url: &str| balampay_contract::webhooks::Forward {
        url: reqwest::Url::parse(url).expect("URL"),
        timeout: Duration::from_secs(5),
    };
    let listener = balampay_contract::webhooks::listen(
        "127.0.0.1:0".parse().expect("addr"),
        spec.clone(),
        Some(secret.clone()),
        Arc::new(|_| {}),
        balampay_contract::webhooks::Keep::All,
        Some(forward(&format!("{endpoint}/partner/hooks"))),
    )
    .await
    .expect("listens");
    let valid = std::fs::read_to_string(
        root().join("tests/fixtures/webhooks/valid/user.created--docs.json"),
    )
    .expect("fixture");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let signature = secret.sign("msg_1", now, valid.as_bytes());
    let http = reqwest::Client::new();
    let deliver = |url: String| {
        http.post(url)
            .header("webhook-id", "msg_1")
            .header("webhook-timestamp", now.to_string())
            .header("webhook-signature", &signature)
            .header("content-type", "application/json")
            .body(valid.clone())
            .send()
    };
    let first = deliver(format!("http://{}/", listener.addr))
        .await
        .expect("sent");
    assert_eq!(
        first.status().as_u16(),
        503,
        "the endpoint's failure reaches the sender"
    );
    assert_eq!(first.text().await.expect("body"), "try later");
    let second = deliver(format!("http://{}/", listener.addr))
        .await
        .expect("sent");
    assert_eq!(second.status().as_u16(), 200);
    assert_eq!(second.text().await.expect("body"), "thanks");
    let at_endpoint = seen.lock().expect("lock").clone();
    assert_eq!(at_endpoint.len(), 2);
    for (forwarded_signature, body) in &at_endpoint {
        assert_eq!(
            forwarded_signature, &signature,
            "the signature goes unchanged"
        );
        assert_eq!(body.as_ref(), valid.as_bytes(), "the body goes unchanged");
    }
    let deliveries = listener.deliveries.lock().expect("lock").clone();
    assert_eq!(
        deliveries
            .iter()
            .map(|d| d.forwarded.clone())
            .collect::<Vec<_>>(),
        [Some(Ok(503)), Some(Ok(200))]
    );
    assert!(
        deliveries.iter().all(|d| d.ok()),
        "checked as well as forwarded"
    );
    drop(listener);

    // An endpoint that is not there: the sender is answered 502 with the error body, so
    // it retries later.
    let gone = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}/hooks", listener.local_addr().expect("addr"))
    };
    let listener = balampay_contract::webhooks::listen(
        "127.0.0.1:0".parse().expect("addr"),
        spec,
        Some(secret.clone()),
        Arc::new(|_| {}),
        balampay_contract::webhooks::Keep::All,
        Some(forward(&gone)),
    )
    .await
    .expect("listens");
    let answer = deliver(format!("http://{}/", listener.addr))
        .await
        .expect("sent");
    assert_gateway_answer(answer, 502).await;
    let deliveries = listener.deliveries.lock().expect("lock").clone();
    assert!(
        matches!(&deliveries[0].forwarded, Some(Err(error)) if error.contains("cannot reach the endpoint")),
        "{:?}",
        deliveries[0].forwarded
    );
}

#[tokio::test]
async fn dot_segments_loops_and_empty_sessions_are_refused_clearly() {
    // An upstream that records the paths it gets.
    let paths: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = paths.clone();
    let upstream = app_upstream(axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let log = log.clone();
        async move {
            log.lock().expect("lock").push(uri.to_string());
            "ok"
        }
    }))
    .await;
    let (proxy, events) = proxy_to(&format!("{upstream}/api"), |_| {}).await;
    // Sent raw: an HTTP client would remove the dot segments itself.
    for path in ["/v1/../../admin", "/%2e%2E/admin", "/v1/./users"] {
        let mut stream = tokio::net::TcpStream::connect(proxy.addr)
            .await
            .expect("connects");
        stream
            .write_all(
                format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes(),
            )
            .await
            .expect("sent");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.expect("answered");
        assert!(answer.starts_with("HTTP/1.1 400"), "{path}: {answer}");
        assert!(answer.contains("dot segment"), "{answer}");
    }
    assert!(
        paths.lock().expect("lock").is_empty(),
        "nothing was forwarded"
    );
    let summary = proxy.finish().await;
    assert_eq!(summary.upstream_errors, 3);
    assert_eq!(events.lock().expect("lock").len(), 3);

    // A proxy that would forward to itself does not start.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let spec = Arc::new(Spec::published().expect("spec"));
    let mut options =
        Options::new(proxy::upstream_url(&format!("http://127.0.0.1:{port}")).expect("URL"));
    options.listen = SocketAddr::from(([127, 0, 0, 1], port));
    let refused = proxy::start(spec, options, Box::new(|_| {})).await;
    assert!(
        matches!(&refused, Err(proxy::ProxyError::Loop(message)) if message.contains("own address")),
        "{:?}",
        refused.err()
    );

    // A session with no traffic judged nothing: an input error, not a pass.
    let (proxy, _) = proxy_to(&upstream, |_| {}).await;
    let summary = proxy.finish().await;
    assert!(!summary.case.passed());
    assert!(
        summary.case.errors[0].contains("nothing was checked"),
        "{:?}",
        summary.case.errors
    );
}
