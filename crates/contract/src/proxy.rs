//! `proxy`: a reverse proxy that forwards a partner's traffic to the API unchanged and runs
//! `verify`'s checks on every exchange as it happens.
//!
//! Requests are forwarded with their method, path, query, headers and body; responses come
//! back with their status, headers and body. Only the hop-by-hop headers of RFC 9110 §7.6.1
//! (`Connection` and the headers it names, `Keep-Alive`, `Proxy-*`, `TE`, `Trailer`,
//! `Transfer-Encoding`, `Upgrade`) and `Host` are not copied: they describe one connection,
//! not the message. Bodies are streamed through, and a copy of each is kept for the checks up
//! to `max_body_bytes`, so a large body costs no more memory than that.
//!
//! The checks run on a thread of their own after the response has been handed back, so they
//! add nothing to the client's latency. Each violation is reported as an [`Event`] when it is
//! found; [`Proxy::finish`] gives the summary as a [`Case`].

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode, header};
use futures_core::Stream;
use serde_json::Value;

use crate::check::{Check, Exchange, Failure, Scope, check_matched, failure};
use crate::record::{Place, Recorder};
use crate::report::{Case, Entries};
use crate::spec::Spec;
use crate::verify::{Outcome, Skip, skip_reason, tally};

/// How long the proxy waits, by default, for the upstream to send the next part of an
/// answer before it answers the client 504.
pub const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_secs(30);

/// How long [`Proxy::finish`] lets requests in flight complete before it stops anyway.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the checking thread sleeps between rounds of draining its queue.
const ROUND: Duration = Duration::from_millis(5);

/// How many finished exchanges may wait for the checking thread before a response's end
/// waits for room (never dropped).
const QUEUE: usize = 4096;

/// How the proxy runs.
pub struct Options {
    /// The API to forward to: an absolute `http` or `https` URL, possibly with a path prefix
    /// (`https://api.balampay.com`, `http://127.0.0.1:8080/base`).
    pub upstream: reqwest::Url,
    /// Where to listen.
    pub listen: SocketAddr,
    /// The largest body (request or response, in bytes, as sent on the wire) kept for the
    /// checks; a larger one is forwarded whole but not checked, and counted as too large.
    pub max_body_bytes: usize,
    /// How long to wait for the upstream to connect or to send the next part of an answer;
    /// past it the client is answered 504.
    pub upstream_timeout: Duration,
    /// Stop after this many exchanges have been checked (or have failed upstream).
    pub max_requests: Option<usize>,
    /// Stop after the first exchange with a violation.
    pub fail_fast: bool,
    /// How many failures the summary keeps in full (all are counted and reported as events).
    pub max_failures: usize,
    /// Write every exchange to this JSONL cassette, secrets redacted (see
    /// [`crate::record::redact`]), for `verify` to read again.
    pub record: Option<Recorder>,
}

impl Options {
    /// Options with the defaults of the command line: listen on `127.0.0.1:8081`, keep
    /// bodies up to [`crate::record::DEFAULT_MAX_BODY_BYTES`], wait
    /// [`DEFAULT_UPSTREAM_TIMEOUT`] for the upstream, no limit on requests, no recording.
    pub fn new(upstream: reqwest::Url) -> Self {
        Self {
            upstream,
            listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
            max_body_bytes: crate::record::DEFAULT_MAX_BODY_BYTES,
            upstream_timeout: DEFAULT_UPSTREAM_TIMEOUT,
            max_requests: None,
            fail_fast: false,
            max_failures: crate::report::MAX_FAILURES_PER_CASE,
            record: None,
        }
    }
}

/// Reads the URL of a command-line flag (`flag`, such as `--forward-to`) that traffic is
/// sent to: absolute, `http` or `https`, and without credentials, which would be printed
/// wherever the URL is. `example` is shown in the message when the URL is not absolute.
///
/// # Errors
/// The message to show, naming the flag, the URL and what is wrong with it.
pub fn http_url(flag: &str, text: &str, example: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(text)
        .map_err(|error| format!("{flag} {text:?} is not a URL: {error}"))?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err(format!(
            "{flag} {text:?} must be an absolute http or https URL (such as {example})"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{flag} must not hold credentials (they would be printed with the URL); \
             the client's own headers are forwarded"
        ));
    }
    Ok(url)
}

/// Reads an upstream URL: [`http_url`], and no query or fragment either (the proxy adds
/// the client's path and query to it).
///
/// # Errors
/// The message to show, naming the URL and what is wrong with it.
pub fn upstream_url(text: &str) -> Result<reqwest::Url, String> {
    let url = http_url("--upstream", text, "https://api.balampay.com")?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "--upstream {text:?} must not have a query or fragment: the client's path and query are added to it"
        ));
    }
    Ok(url)
}

/// An exchange the upstream failed, or that the proxy could not forward.
#[derive(Clone, Debug)]
pub struct UpstreamFailure {
    /// The exchange's number.
    pub number: usize,
    /// The request's method.
    pub method: String,
    /// The request's path and query.
    pub path: String,
    /// The status the client was answered (400, 502 or 504), or `None` when the answer had
    /// already begun and was cut off.
    pub answered: Option<u16>,
    /// What went wrong.
    pub error: String,
}

/// What the proxy reports as it goes, on its checking thread, in the order exchanges end.
#[derive(Clone, Debug)]
pub enum Event {
    /// A violation of the contract, with its place (`exchange 12`).
    Failure(Failure),
    /// The upstream could not be reached, did not answer in time, or broke off its answer; or
    /// the request could not be forwarded as sent.
    Upstream(UpstreamFailure),
}

impl std::fmt::Display for Event {
    /// One line, for a terminal: `exchange 3: [response_schema] getUser GET /v1/users/… →
    /// 200 at /phone_number: expected …; found …`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Failure(failure) => {
                write!(
                    f,
                    "{}: [{}] {} {} {} → {}",
                    failure.place.as_deref().unwrap_or("exchange"),
                    failure.check,
                    failure.operation_id.as_deref().unwrap_or("(no operation)"),
                    failure.method,
                    failure.path,
                    failure.status
                )?;
                if let Some(pointer) = &failure.pointer {
                    let pointer = if pointer.is_empty() {
                        "(the whole body)"
                    } else {
                        pointer
                    };
                    write!(f, " at {pointer}")?;
                }
                // Expected and found are one line each in reports; here they share this one.
                let flat = |text: &str| text.replace(['\n', '\r'], " ");
                write!(
                    f,
                    ": expected {}; found {}",
                    flat(&failure.expected),
                    flat(&failure.actual)
                )
            }
            Event::Upstream(UpstreamFailure {
                number,
                method,
                path,
                answered,
                error,
            }) => match answered {
                Some(status) => write!(
                    f,
                    "exchange {number}: {method} {path}: {error} (answered {status})"
                ),
                None => write!(f, "exchange {number}: {method} {path}: {error}"),
            },
        }
    }
}

/// What the proxy found, once stopped.
#[derive(Debug)]
pub struct Summary {
    /// One case for all the exchanges: checks, failures (each with its `exchange N`
    /// place), upstream errors as input errors, and the counts of what was checked and
    /// skipped.
    pub case: Case,
    /// Exchanges the upstream failed (unreachable, timed out, broke off), or that the proxy
    /// would not forward as sent (a dot segment in the path).
    pub upstream_errors: usize,
}

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The listening address could not be bound.
    #[error("cannot listen on {addr}: {cause}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The operating system's error.
        cause: std::io::Error,
    },
    /// The HTTP client for the upstream could not be built (its TLS configuration).
    #[error("cannot build the HTTP client for the upstream: {0}")]
    Client(String),
    /// The upstream is the proxy's own address: every request would come back to it.
    #[error("{0}")]
    Loop(String),
    /// The checking thread could not be started.
    #[error("cannot start the checking thread: {0}")]
    Thread(std::io::Error),
}

/// A running proxy.
pub struct Proxy {
    /// The address it listens on (with the port the system chose for port 0).
    pub addr: SocketAddr,
    stop_server: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<()>,
    jobs: tokio::sync::mpsc::Sender<Job>,
    checker: Option<std::thread::JoinHandle<Summary>>,
    limit: Arc<tokio::sync::Notify>,
}

impl Proxy {
    /// Resolves when `max_requests` exchanges have ended, or with `fail_fast` when one had a
    /// violation; never otherwise.
    pub async fn limit_reached(&self) {
        self.limit.notified().await;
    }

    /// Stops accepting connections, lets requests in flight finish (for up to five seconds),
    /// checks what is left and answers the summary.
    pub async fn finish(mut self) -> Summary {
        if let Some(stop) = self.stop_server.take() {
            let _ = stop.send(());
        }
        let server = &mut self.server;
        if tokio::time::timeout(DRAIN_TIMEOUT, &mut *server)
            .await
            .is_err()
        {
            server.abort();
        }
        // The server's connections may outlive it when they were cut off; the stop job
        // ends the checking thread after everything queued before it.
        let _ = self.jobs.send(Job::Stop).await;
        let checker = self.checker.take();
        match tokio::task::spawn_blocking(move || checker.map(std::thread::JoinHandle::join)).await
        {
            Ok(Some(Ok(summary))) => summary,
            _ => {
                let mut case = Case::new("proxy");
                case.error("the checking thread failed; the summary is lost".to_owned());
                Summary {
                    case,
                    upstream_errors: 0,
                }
            }
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Refuses a target that is the listener's own address (`bound`), where every request would
/// come back to the listener, multiplying until sockets or memory run out.
///
/// # Errors
/// The message to show, naming both addresses.
pub async fn refuse_loop(target: &reqwest::Url, bound: SocketAddr) -> Result<(), String> {
    let (Some(host), Some(port)) = (target.host_str(), target.port_or_known_default()) else {
        return Ok(());
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    // An address that does not resolve is the request's problem, answered 502 then.
    let Ok(resolved) = tokio::net::lookup_host((host, port)).await else {
        return Ok(());
    };
    for address in resolved {
        // A listener on every interface takes the loopback's connections too, and a
        // connection to the unspecified address goes to this host.
        let same = address == bound
            || (address.port() == bound.port()
                && (bound.ip().is_unspecified() || address.ip().is_unspecified()));
        if same {
            return Err(format!(
                "{target} is this listener's own address ({bound}): every request would come back to it"
            ));
        }
    }
    Ok(())
}

/// Starts a proxy. `on_event` is called on the checking thread for every violation and
/// every upstream failure, as they are found.
///
/// # Errors
/// [`ProxyError`] when the address cannot be bound or the client not built.
pub async fn start(
    spec: Arc<Spec>,
    options: Options,
    on_event: Box<dyn FnMut(&Event) + Send>,
) -> Result<Proxy, ProxyError> {
    // Redirects are the client's to follow, compression the client's to undo: the proxy
    // forwards answers as they are. The read timeout bounds each wait for the upstream
    // without cutting off a long body that keeps arriving.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(options.upstream_timeout)
        .read_timeout(options.upstream_timeout)
        .no_proxy()
        .build()
        .map_err(|error| ProxyError::Client(error.to_string()))?;
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|cause| ProxyError::Listen {
            addr: options.listen,
            cause,
        })?;
    let addr = listener.local_addr().map_err(|cause| ProxyError::Listen {
        addr: options.listen,
        cause,
    })?;
    refuse_loop(&options.upstream, addr)
        .await
        .map_err(ProxyError::Loop)?;
    let (jobs, queue) = tokio::sync::mpsc::channel(QUEUE);
    let limit = Arc::new(tokio::sync::Notify::new());
    let upstream = options.upstream.as_str().trim_end_matches('/').to_owned();
    let timeout_seconds = options.upstream_timeout.as_secs_f64();
    let mut case = Case::new(format!("exchanges through http://{addr} to {upstream}"));
    case.max_failures = Some(options.max_failures);
    let checker = Checker {
        spec,
        case,
        entries: Entries::default(),
        upstream_errors: 0,
        ended: 0,
        record: options.record,
        max_requests: options.max_requests,
        fail_fast: options.fail_fast,
        limit: limit.clone(),
        on_event,
    };
    let checker = std::thread::Builder::new()
        .name("proxy-checks".to_owned())
        .spawn(move || checker.run(queue))
        .map_err(ProxyError::Thread)?;
    let shared = Arc::new(Shared {
        client,
        upstream,
        timeout_seconds,
        max_body_bytes: options.max_body_bytes,
        arrived: AtomicUsize::new(0),
        jobs: jobs.clone(),
    });
    let app = axum::Router::new().fallback(forward).with_state(shared);
    let (stop_server, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(Proxy {
        addr,
        stop_server: Some(stop_server),
        server,
        jobs,
        checker: Some(checker),
        limit,
    })
}

/// What every request handler shares.
struct Shared {
    client: reqwest::Client,
    /// The upstream URL without its trailing slash; the client's path is appended.
    upstream: String,
    timeout_seconds: f64,
    max_body_bytes: usize,
    /// Requests so far: numbers exchanges in the order they arrived.
    arrived: AtomicUsize,
    jobs: tokio::sync::mpsc::Sender<Job>,
}

/// Work for the checking thread.
enum Job {
    /// An exchange that ended; checked and recorded.
    Ended(Box<Ended>),
    /// An exchange the upstream failed.
    Upstream(UpstreamFailure),
    /// An exchange the client abandoned before the answer was complete.
    Abandoned,
    /// No more work: answer the summary.
    Stop,
}

/// An exchange whose response was passed on whole.
struct Ended {
    number: usize,
    method: String,
    path: String,
    request_headers: Vec<(String, String)>,
    request_body: Capture,
    status: u16,
    response_headers: Vec<(String, String)>,
    response_body: Capture,
}

/// Queues a job without blocking the server's threads: when the queue is full, a task
/// waits for room, so that nothing is dropped.
fn submit(jobs: &tokio::sync::mpsc::Sender<Job>, job: Job) {
    match jobs.try_send(job) {
        Ok(()) => {}
        Err(tokio::sync::mpsc::error::TrySendError::Full(job)) => {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                let jobs = jobs.clone();
                runtime.spawn(async move {
                    let _ = jobs.send(job).await;
                });
            }
        }
        // The proxy is stopping and its checks are over.
        Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => {}
    }
}

/// A copy of a body, up to a limit.
#[derive(Debug)]
struct Capture {
    bytes: Vec<u8>,
    limit: usize,
    /// The body was larger than the limit: `bytes` is empty, and the body is not checked.
    overflowed: bool,
    /// The body was read to its end.
    complete: bool,
}

impl Capture {
    fn new(limit: usize) -> Self {
        Self {
            bytes: Vec::new(),
            limit,
            overflowed: false,
            complete: false,
        }
    }

    fn push(&mut self, chunk: &[u8]) {
        if self.overflowed {
            return;
        }
        if self.bytes.len() + chunk.len() > self.limit {
            self.overflowed = true;
            self.bytes = Vec::new();
        } else {
            self.bytes.extend_from_slice(chunk);
        }
    }
}

/// The request body on its way to the upstream, copied as it passes.
struct RequestTee {
    inner: axum::body::BodyDataStream,
    capture: Arc<Mutex<Capture>>,
    /// Bytes passed on so far.
    passed: u64,
    /// The body's `Content-Length`, if the client sent one: the upstream connection stops
    /// reading after that many bytes, without asking for the end.
    expected: Option<u64>,
}

impl Stream for RequestTee {
    type Item = Result<Bytes, axum::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = Pin::new(&mut self.inner).poll_next(cx);
        match &polled {
            Poll::Ready(Some(Ok(chunk))) => {
                self.passed += chunk.len() as u64;
                let mut capture = lock(&self.capture);
                capture.push(chunk);
                if self.expected == Some(self.passed) {
                    capture.complete = true;
                }
            }
            Poll::Ready(None) => lock(&self.capture).complete = true,
            _ => {}
        }
        polled
    }
}

/// Locks a capture, whatever a panicking holder left: a copy for the checks is never
/// worth failing a request over.
fn lock(capture: &Mutex<Capture>) -> std::sync::MutexGuard<'_, Capture> {
    capture
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

type UpstreamStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// The upstream's response body on its way to the client, copied as it passes; when it
/// ends, the exchange goes to the checking thread.
struct ResponseTee {
    inner: UpstreamStream,
    exchange: Option<Box<Ended>>,
    request_body: Arc<Mutex<Capture>>,
    jobs: tokio::sync::mpsc::Sender<Job>,
    /// Bytes passed on so far.
    passed: u64,
    /// How many bytes the body has, when the answer says (`Content-Length`, or none for a
    /// `HEAD` request and for 1xx, 204 and 304 answers, RFC 9110 §6.4.1). The server stops
    /// reading the body once it has that many bytes, without asking for its end.
    expected: Option<u64>,
}

impl ResponseTee {
    /// The body is whole: the exchange goes to the checks.
    fn ended(&mut self) {
        if let Some(exchange) = self.exchange.take() {
            submit_ended(&self.jobs, exchange, &self.request_body);
        }
    }
}

/// Sends a whole exchange to the checks, with the copy of its request body.
fn submit_ended(
    jobs: &tokio::sync::mpsc::Sender<Job>,
    mut exchange: Box<Ended>,
    request_body: &Mutex<Capture>,
) {
    exchange.response_body.complete = true;
    exchange.request_body = std::mem::replace(&mut *lock(request_body), Capture::new(0));
    submit(jobs, Job::Ended(exchange));
}

impl Stream for ResponseTee {
    type Item = reqwest::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.inner.as_mut().poll_next(cx);
        match &polled {
            Poll::Ready(Some(Ok(chunk))) => {
                self.passed += chunk.len() as u64;
                if let Some(exchange) = self.exchange.as_mut() {
                    exchange.response_body.push(chunk);
                }
                if self.expected == Some(self.passed) {
                    self.ended();
                }
            }
            Poll::Ready(Some(Err(error))) => {
                if let Some(exchange) = self.exchange.take() {
                    let failure = UpstreamFailure {
                        number: exchange.number,
                        method: exchange.method,
                        path: exchange.path,
                        answered: None,
                        error: format!(
                            "the upstream broke off its answer ({}): the client got part of the body",
                            describe_error(error)
                        ),
                    };
                    submit(&self.jobs, Job::Upstream(failure));
                }
            }
            Poll::Ready(None) => self.ended(),
            Poll::Pending => {}
        }
        polled
    }
}

impl Drop for ResponseTee {
    fn drop(&mut self) {
        if self.exchange.is_none() {
            return;
        }
        if self.expected == Some(self.passed) {
            // A body of known length, or none, that the server did not need to ask about.
            self.ended();
        } else {
            // Dropped before its end: the client went away, and there is no whole answer
            // to check. It is counted, not checked.
            self.exchange = None;
            submit(&self.jobs, Job::Abandoned);
        }
    }
}

/// Whether a header describes one connection rather than the message (RFC 9110 §7.6.1),
/// or is `Host`, which the client sets for the upstream.
fn hop_by_hop(name: &HeaderName, connection: &[String]) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "host"
    ) || connection.iter().any(|named| named == name.as_str())
}

/// The headers to pass on: all but the hop-by-hop ones.
pub(crate) fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let connection: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .filter(|name| !name.is_empty())
        .collect();
    let mut kept = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        if !hop_by_hop(name, &connection) {
            kept.append(name.clone(), value.clone());
        }
    }
    kept
}

/// Headers as an [`Exchange`] holds them: names lower case, values as text.
fn listed(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// An upstream error and its causes, in one line, without the URL (the line names the
/// exchange's path already).
pub(crate) fn describe_error(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut causes: Vec<String> = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        // Wrapping errors often repeat their cause's words; each is said once.
        if !causes.iter().any(|said| said.contains(&text)) {
            causes.push(text);
        }
        source = cause.source();
    }
    if causes.is_empty() {
        // reqwest's own message would name the URL; the kind is what is left to say.
        causes.push(
            if error.is_body() {
                "the body could not be read"
            } else if error.is_request() {
                "the request could not be sent"
            } else {
                "the exchange failed"
            }
            .to_owned(),
        );
    }
    causes.join(": ")
}

/// The answer to the client when the upstream failed: the API's `ErrorBody` (code
/// `internal_error`, the only code the API has for a failure that is not the client's),
/// with `request_id` in the body and the `x-request-id` header.
pub(crate) fn gateway_answer(
    status: StatusCode,
    request_id: &str,
    message: &str,
) -> Response<Body> {
    // The API's messages are 1 to 1,000 characters.
    let message: String = message.chars().take(1000).collect();
    let body = serde_json::json!({
        "code": "internal_error",
        "message": message,
        "details": [],
        "request_id": request_id,
    });
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// Reports an exchange the proxy answered itself, and gives that answer: `status` with the
/// API's error body.
fn refuse(shared: &Shared, status: StatusCode, failure: UpstreamFailure) -> Response<Body> {
    let message = format!(
        "balampay-contract proxy: {} ({})",
        failure.error, shared.upstream
    );
    let request_id = format!("proxy-{}", failure.number);
    submit(&shared.jobs, Job::Upstream(failure));
    gateway_answer(status, &request_id, &message)
}

/// Forwards one request and streams its answer back.
async fn forward(State(shared): State<Arc<Shared>>, request: Request<Body>) -> Response<Body> {
    let number = shared.arrived.fetch_add(1, Ordering::Relaxed) + 1;
    let (parts, body) = request.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    if let Some(segment) = dot_segment(parts.uri.path()) {
        // The URL parser would remove it (RFC 3986 §5.2.4), so the upstream would get
        // another path than the one checked, possibly outside the upstream's path prefix.
        let error = format!(
            "the path has a dot segment ({segment:?}), which would not reach the upstream as sent; not forwarded"
        );
        let failure = UpstreamFailure {
            number,
            method: parts.method.as_str().to_owned(),
            path,
            answered: Some(400),
            error,
        };
        return refuse(&shared, StatusCode::BAD_REQUEST, failure);
    }
    let url = format!("{}{path}", shared.upstream);
    let request_capture = Arc::new(Mutex::new(Capture::new(shared.max_body_bytes)));
    let mut upstream = shared
        .client
        .request(parts.method.clone(), &url)
        .headers(end_to_end(&parts.headers));
    let expected = content_length(&parts.headers);
    // A request without a body is sent without one: a streamed empty body would go out as
    // `Transfer-Encoding: chunked`, which is not what the client sent.
    if body.is_end_stream() {
        lock(&request_capture).complete = true;
    } else if let Some(length) = expected.filter(|&length| length <= shared.max_body_bytes as u64) {
        // A body of known, checkable length is read first and sent in one piece (as nginx
        // buffers by default): one write instead of a stream's several.
        match axum::body::to_bytes(body, usize::try_from(length).unwrap_or(usize::MAX)).await {
            Ok(bytes) => {
                let mut capture = lock(&request_capture);
                capture.push(&bytes);
                capture.complete = true;
                drop(capture);
                upstream = upstream.body(bytes);
            }
            Err(_) => {
                // The client went away or sent less than it announced: nothing was
                // forwarded, and nothing is checked.
                submit(&shared.jobs, Job::Abandoned);
                return gateway_answer(
                    StatusCode::BAD_REQUEST,
                    &format!("proxy-{number}"),
                    "balampay-contract proxy: the request body could not be read whole",
                );
            }
        }
    } else {
        upstream = upstream.body(reqwest::Body::wrap_stream(RequestTee {
            inner: body.into_data_stream(),
            capture: request_capture.clone(),
            passed: 0,
            expected,
        }));
    }
    let method = parts.method.as_str().to_owned();
    let answer = match upstream.send().await {
        Ok(answer) => answer,
        Err(error) => {
            let (status, error) = if error.is_timeout() {
                (
                    StatusCode::GATEWAY_TIMEOUT,
                    format!(
                        "the upstream did not answer within {} s",
                        shared.timeout_seconds
                    ),
                )
            } else if error.is_connect() {
                (
                    StatusCode::BAD_GATEWAY,
                    format!("cannot connect to the upstream: {}", describe_error(&error)),
                )
            } else {
                (
                    StatusCode::BAD_GATEWAY,
                    format!("the upstream gave no answer: {}", describe_error(&error)),
                )
            };
            let failure = UpstreamFailure {
                number,
                method,
                path,
                answered: Some(status.as_u16()),
                error,
            };
            return refuse(&shared, status, failure);
        }
    };
    let status = answer.status();
    let headers = end_to_end(answer.headers());
    let mut exchange = Box::new(Ended {
        number,
        method,
        path,
        request_headers: listed(&parts.headers),
        request_body: Capture::new(0),
        status: status.as_u16(),
        response_headers: listed(&headers),
        response_body: Capture::new(shared.max_body_bytes),
    });
    let bodyless = parts.method == axum::http::Method::HEAD
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    let expected = if bodyless {
        Some(0)
    } else {
        content_length(&headers)
    };
    let mut response = match expected.filter(|&length| length <= shared.max_body_bytes as u64) {
        // A body of known, checkable length (or none) is read whole, then passed on in one
        // piece with its head: one write to the client, and a broken-off answer becomes a
        // clean 502 instead of a truncated body.
        Some(_) => {
            let mut answer = answer;
            loop {
                match answer.chunk().await {
                    Ok(Some(chunk)) => exchange.response_body.push(&chunk),
                    Ok(None) => break,
                    Err(error) => {
                        let failure = UpstreamFailure {
                            number,
                            method: exchange.method,
                            path: exchange.path,
                            answered: Some(StatusCode::BAD_GATEWAY.as_u16()),
                            error: format!(
                                "the upstream broke off its answer: {}",
                                describe_error(&error)
                            ),
                        };
                        return refuse(&shared, StatusCode::BAD_GATEWAY, failure);
                    }
                }
            }
            let body = if bodyless {
                Body::empty()
            } else {
                Body::from(exchange.response_body.bytes.clone())
            };
            submit_ended(&shared.jobs, exchange, &request_capture);
            Response::new(body)
        }
        // A large body, or one of unknown length (chunked), is streamed through and copied
        // as it passes.
        None => Response::new(Body::from_stream(ResponseTee {
            inner: Box::pin(answer.bytes_stream()),
            exchange: Some(exchange),
            request_body: request_capture,
            jobs: shared.jobs.clone(),
            passed: 0,
            expected,
        })),
    };
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// The first `.` or `..` segment of a path, literal or percent-encoded (`%2e`), if any. It
/// allocates nothing: it runs on every request.
fn dot_segment(path: &str) -> Option<&str> {
    /// How many dots the segment is made of, or `None` when it holds anything else.
    fn dots(segment: &str) -> Option<usize> {
        let mut rest = segment;
        let mut count = 0;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('.') {
                rest = after;
            } else if rest
                .get(..3)
                .is_some_and(|code| code.eq_ignore_ascii_case("%2e"))
            {
                rest = &rest[3..];
            } else {
                return None;
            }
            count += 1;
        }
        Some(count)
    }
    path.split('/')
        .find(|segment| matches!(dots(segment), Some(1 | 2)))
}

/// A `Content-Length` header's value, when there is one valid one.
fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
}

/// The checking thread's state.
struct Checker {
    spec: Arc<Spec>,
    case: Case,
    entries: Entries,
    upstream_errors: usize,
    /// Exchanges that ended, for `max_requests`.
    ended: usize,
    record: Option<Recorder>,
    max_requests: Option<usize>,
    fail_fast: bool,
    limit: Arc<tokio::sync::Notify>,
    on_event: Box<dyn FnMut(&Event) + Send>,
}

impl Checker {
    fn run(mut self, mut queue: tokio::sync::mpsc::Receiver<Job>) -> Summary {
        // The queue is drained in rounds, a few milliseconds apart, rather than waited on:
        // a thread parked on the queue would be woken by every response's end, a system
        // call on the path of the response still being written. Events are late by at
        // most one round.
        'rounds: loop {
            let mut worked = false;
            loop {
                let job = match queue.try_recv() {
                    Ok(job) => job,
                    Err(tokio::sync::mpsc::error::TryRecvError::Empty) => break,
                    Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => break 'rounds,
                };
                worked = true;
                if !self.job(job) {
                    break 'rounds;
                }
            }
            if worked {
                // Written out after every round: a recording is whole up to a few
                // milliseconds ago, even if the process is then killed.
                self.flush();
            }
            std::thread::sleep(ROUND);
        }
        self.flush();
        if let Some(record) = self.record.take()
            && let Err(error) = record.finish()
        {
            self.case
                .error(format!("cannot write the recording: {error}"));
        }
        if self.entries.read == 0 {
            self.case
                .error("no exchanges came through the proxy: nothing was checked".to_owned());
        } else if self.entries.checked == 0 && self.case.error_count() == 0 {
            self.case.error(format!(
                "nothing was checked: every exchange was skipped ({})",
                crate::report::counts(&self.entries.skipped)
            ));
        }
        self.entries.add_checks_to(&mut self.case);
        self.case.entries = Some(self.entries);
        Summary {
            case: self.case,
            upstream_errors: self.upstream_errors,
        }
    }

    /// Does one job; `false` for the stop job.
    fn job(&mut self, job: Job) -> bool {
        match job {
            Job::Stop => return false,
            Job::Ended(ended) => self.ended(*ended),
            Job::Upstream(failure) => {
                let event = Event::Upstream(failure);
                (self.on_event)(&event);
                self.entries.read += 1;
                self.upstream_errors += 1;
                self.case.error(event.to_string());
                self.count_end(false);
            }
            Job::Abandoned => {
                self.entries.read += 1;
                *self
                    .entries
                    .skipped
                    .entry(Skip::Incomplete.name().to_owned())
                    .or_default() += 1;
                self.count_end(false);
            }
        }
        true
    }

    fn flush(&mut self) {
        if let Some(record) = self.record.as_mut()
            && let Err(error) = record.flush()
        {
            self.case.error(format!(
                "cannot write the recording: {error}; recording stopped"
            ));
            self.record = None;
        }
    }

    /// Counts an exchange's end, and says when the proxy should stop.
    fn count_end(&mut self, failed: bool) {
        self.ended += 1;
        if self.max_requests.is_some_and(|max| self.ended == max) || (self.fail_fast && failed) {
            self.limit.notify_one();
        }
    }

    fn ended(&mut self, ended: Ended) {
        let place = Place::Exchange(ended.number);
        let too_large = ended.request_body.overflowed || ended.response_body.overflowed;
        let incomplete = !ended.request_body.complete;
        let (exchange, not_json) = exchange_of(ended);
        if let Some(record) = self.record.as_mut()
            && let Err(error) = record.write(&exchange)
        {
            self.case.error(format!(
                "cannot write the recording: {error}; recording stopped"
            ));
            self.record = None;
        }
        let operation = self.spec.operation(&exchange.method, exchange.path_only());
        let outcome = if too_large {
            Outcome::Skipped(Skip::TooLarge)
        } else if incomplete {
            Outcome::Skipped(Skip::Incomplete)
        } else if let Some(skip) = skip_reason(operation, &exchange) {
            Outcome::Skipped(skip)
        } else {
            let scope = Scope {
                request: true,
                credentials_may_be_removed: false,
            };
            let mut verdict = check_matched(operation, &exchange, scope);
            // A body that is not JSON is not "no body": say what it is.
            if let (Some(error), Some(operation)) = (&not_json, operation)
                && exchange.status < 400
                && operation.request_body.is_some()
            {
                verdict.failures.retain(|f| f.check != Check::RequestSchema);
                verdict.failures.push(failure(
                    Check::RequestSchema,
                    &exchange,
                    Some(operation),
                    format!("a JSON request body{}", crate::check::ACCEPTED_ANYWAY),
                    format!("a body that is not JSON: {error}"),
                ));
            }
            Outcome::Checked(verdict)
        };
        let mut failed = false;
        if let Outcome::Checked(verdict) = &outcome {
            for failure in &verdict.failures {
                failed = true;
                let mut failure = failure.clone();
                failure.place = Some(place.to_string());
                (self.on_event)(&Event::Failure(failure));
            }
        }
        tally(&mut self.case, &mut self.entries, &place, outcome);
        self.count_end(failed);
    }
}

/// The exchange to check and record, and why the request body is not JSON when it is not.
fn exchange_of(ended: Ended) -> (Exchange, Option<String>) {
    let mut not_json = None;
    let request_body = if ended.request_body.bytes.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match serde_json::from_slice::<Value>(&ended.request_body.bytes) {
            Ok(body) => Some(body),
            Err(error) => {
                not_json = Some(error.to_string());
                None
            }
        }
    };
    let mut exchange = Exchange {
        method: ended.method,
        path: ended.path,
        request_headers: ended.request_headers,
        request_body,
        status: ended.status,
        response_headers: ended.response_headers,
        ..Exchange::default()
    };
    match decoded(&exchange, ended.response_body) {
        Some(text) => exchange.response_body = text,
        None => exchange.body_recorded = false,
    }
    (exchange, not_json)
}

/// The response body as text, undoing a `gzip` or `deflate` content coding (RFC 9110
/// §8.4.1); `None` when it cannot be read (another coding, or too large once decoded).
fn decoded(exchange: &Exchange, body: Capture) -> Option<String> {
    use std::io::Read as _;
    if body.overflowed {
        return None;
    }
    let coding = exchange
        .response_header("content-encoding")
        .map(|c| c.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let limit = body.limit as u64 + 1;
    let bytes = match coding.as_str() {
        "" | "identity" => body.bytes,
        "gzip" | "x-gzip" => {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(body.bytes.as_slice())
                .take(limit)
                .read_to_end(&mut out)
                .ok()?;
            out
        }
        "deflate" => {
            let mut out = Vec::new();
            flate2::read::ZlibDecoder::new(body.bytes.as_slice())
                .take(limit)
                .read_to_end(&mut out)
                .ok()?;
            out
        }
        _ => return None,
    };
    if bytes.len() as u64 >= limit {
        return None;
    }
    Some(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
    })
}
