//! Webhook payloads: validating files and directories of them, and listening for live
//! deliveries on a loopback address.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use balampay_client::WebhookSecret;
use serde_json::Value;

use crate::check::{Check, Failure};
use crate::report::Case;
use crate::spec::Spec;

/// Checks one payload against its event's schema; the failures name the event and pointer.
///
/// # Errors
/// [`PayloadError`] when the payload is not an envelope or names an event the spec does not
/// document.
pub fn check_payload(
    spec: &Spec,
    payload: &Value,
    origin: &str,
) -> Result<Vec<Failure>, PayloadError> {
    let event = payload
        .get("event")
        .and_then(Value::as_str)
        .ok_or(PayloadError::NotAnEnvelope)?;
    let schema = spec
        .webhooks
        .get(event)
        .ok_or_else(|| PayloadError::UnknownEvent {
            event: event.to_owned(),
            known: spec.webhooks.keys().cloned().collect::<Vec<_>>().join(", "),
        })?;
    Ok(schema
        .errors(payload)
        .into_iter()
        .map(|error| {
            Failure::schema(
                Check::Webhook,
                Some(event.to_owned()),
                "POST".to_owned(),
                origin.to_owned(),
                0,
                error,
            )
        })
        .collect())
}

/// Why a payload could not be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// The body is not JSON.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// The JSON has no string `event` property.
    #[error("not a webhook envelope: no string `event` property")]
    NotAnEnvelope,
    /// The event is not one of the spec's webhooks.
    #[error("unknown event {event:?}; the spec documents {known}")]
    UnknownEvent {
        /// The event named.
        event: String,
        /// The events the spec documents, comma-separated.
        known: String,
    },
}

/// A directory of payloads could not be listed.
#[derive(Debug, thiserror::Error)]
#[error("cannot list {path}: {cause}")]
pub struct ListError {
    /// The directory.
    pub path: String,
    /// The operating system's error.
    pub cause: std::io::Error,
}

/// Every `.json` file of the paths given (directories are walked, sorted).
///
/// # Errors
/// [`ListError`] when a directory cannot be listed.
pub fn payload_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ListError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|cause| ListError {
                    path: path.display().to_string(),
                    cause,
                })?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .collect();
            entries.sort();
            let nested = payload_files(
                &entries
                    .into_iter()
                    .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "json"))
                    .collect::<Vec<_>>(),
            )?;
            files.extend(nested);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// Validates one payload file into a case.
pub fn validate_file(spec: &Spec, path: &Path) -> Case {
    let mut case = Case::new(path.display().to_string());
    let payload = std::fs::read(path)
        .map_err(|error| format!("cannot read: {error}"))
        .and_then(|bytes| {
            // A payload that is not UTF-8 is named by line and column, like any other
            // malformed input.
            let text = balampay_openapi::document::utf8(&bytes, &path.display().to_string())
                .map_err(|error| error.to_string())?;
            serde_json::from_str::<Value>(text).map_err(|error| {
                format!(
                    "not JSON (line {}, column {}): {error}",
                    error.line(),
                    error.column()
                )
            })
        });
    match payload.and_then(|payload| {
        check_payload(spec, &payload, &path.display().to_string()).map_err(|e| e.to_string())
    }) {
        Ok(failures) => {
            case.ran(&[Check::Webhook]);
            case.failed(failures);
        }
        Err(error) => case.errors.push(error),
    }
    case
}

/// What a listener saw of one delivery.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The event name, if the body had one.
    pub event: Option<String>,
    /// Whether the signature verified (`None` without a secret).
    pub signature: Option<Result<(), balampay_client::webhooks::SignatureError>>,
    /// Schema failures (or the reason the body could not be checked).
    pub problems: Result<Vec<Failure>, PayloadError>,
    /// The identifiers of the payload's `data` (`id`, `user_id`, `event_id`), by name: what
    /// a test needs to match a delivery to what caused it. The body itself is not kept, so
    /// that a long-running listener's memory does not grow with what it receives.
    pub ids: BTreeMap<String, String>,
    /// With [`Forward`]: the status the partner's endpoint answered, or why it could not be
    /// reached (the sender was then answered 502 or 504).
    pub forwarded: Option<Result<u16, String>>,
}

impl Delivery {
    /// Every failure of the delivery: a bad signature, then the payload's schema failures
    /// (or why the payload could not be checked). `path` names where it came from.
    pub fn failures(&self, path: &str) -> Vec<Failure> {
        let failure = |expected: &str, actual: String| Failure {
            check: Check::Webhook,
            operation_id: self.event.clone(),
            method: "POST".to_owned(),
            path: path.to_owned(),
            status: 0,
            pointer: None,
            schema_location: None,
            keyword: None,
            place: None,
            expected: expected.to_owned(),
            actual,
        };
        let mut found = Vec::new();
        if let Some(Err(error)) = &self.signature {
            found.push(failure(
                "a valid Standard Webhooks signature",
                error.to_string(),
            ));
        }
        match &self.problems {
            Ok(failures) => found.extend(failures.iter().cloned()),
            Err(error) => found.push(failure("a documented webhook payload", error.to_string())),
        }
        found
    }

    /// Whether the signature (when checked) and the payload are right.
    pub fn ok(&self) -> bool {
        self.signature.as_ref().is_none_or(Result::is_ok)
            && self.problems.as_ref().is_ok_and(Vec::is_empty)
    }
}

/// Which deliveries a listener keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// Every delivery, for a test run that inspects them afterwards.
    All,
    /// None: only the counts (a long-running `webhooks listen`).
    Counts,
}

/// Where a listener passes each delivery on after checking it: the partner's own endpoint.
/// The delivery goes with its method, headers (all but the hop-by-hop ones of RFC 9110
/// §7.6.1 and `Host`) and body unchanged, so the endpoint can verify the signature itself;
/// the endpoint's status, headers and body are the sender's answer, so that the sender's
/// retries follow the endpoint's failures.
#[derive(Clone, Debug)]
pub struct Forward {
    /// The endpoint: an absolute `http` or `https` URL, used as it is (the path the
    /// delivery came to is not added).
    pub url: reqwest::Url,
    /// How long to wait for the endpoint to connect or answer; past it the sender is answered
    /// 504.
    pub timeout: std::time::Duration,
}

/// The largest answer of the partner's endpoint relayed to the sender, in bytes; a larger
/// one is cut off and the sender answered 502 (webhook answers are a status and a short
/// text).
const MAX_FORWARDED_ANSWER: usize = 1024 * 1024;

/// How many deliveries a listener has seen.
#[derive(Debug, Default)]
pub struct Counts {
    /// Deliveries received.
    pub total: AtomicUsize,
    /// Deliveries with a bad signature or payload.
    pub bad: AtomicUsize,
}

/// A webhook receiver on a loopback address: every delivery is signature-checked (with a
/// secret) and validated; all are kept for inspection, and answered 204 when they pass,
/// 400 otherwise.
pub struct Listener {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// Every delivery so far (with [`Keep::All`]).
    pub deliveries: Arc<Mutex<Vec<Delivery>>>,
    /// How many deliveries there were, and how many were bad.
    pub counts: Arc<Counts>,
    /// The secret signatures are checked with (none: not checked). It can be set after
    /// start, for endpoints whose secret is only known once they are registered.
    pub secret: Arc<Mutex<Option<WebhookSecret>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a listener. `on_delivery` is called for each delivery as it arrives (after it was
/// forwarded, with `forward`); `keep` says whether deliveries are kept for inspection or only
/// counted.
///
/// # Errors
/// The address cannot be bound, or the HTTP client for `forward` cannot be built.
pub async fn listen(
    addr: SocketAddr,
    spec: Arc<Spec>,
    secret: Option<WebhookSecret>,
    on_delivery: Arc<dyn Fn(&Delivery) + Send + Sync>,
    keep: Keep,
    forward: Option<Forward>,
) -> std::io::Result<Listener> {
    let forwarder = match &forward {
        Some(forward) => Some(
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(forward.timeout)
                .timeout(forward.timeout)
                .no_proxy()
                .build()
                .map_err(std::io::Error::other)?,
        ),
        None => None,
    };
    let forward = forward.map(Arc::new);
    let received = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let deliveries: Arc<Mutex<Vec<Delivery>>> = Arc::default();
    let secret = Arc::new(Mutex::new(secret));
    let shared_secret = secret.clone();
    let store = deliveries.clone();
    let counts: Arc<Counts> = Arc::default();
    let counter = counts.clone();
    let handler = move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
        let spec = spec.clone();
        let secret = shared_secret
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let store = store.clone();
        let counter = counter.clone();
        let on_delivery = on_delivery.clone();
        let forward = forward.clone().zip(forwarder.clone());
        let number = received.fetch_add(1, Ordering::Relaxed) + 1;
        async move {
            let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
            let signature = secret.as_ref().map(|secret| secret.verify(header, &body));
            let parsed = serde_json::from_slice::<Value>(&body)
                .map_err(|error| PayloadError::NotJson(error.to_string()));
            let event = parsed
                .as_ref()
                .ok()
                .and_then(|v| v["event"].as_str().map(str::to_owned));
            let ids = parsed
                .as_ref()
                .map(|payload| {
                    ["id", "user_id", "event_id"]
                        .iter()
                        .filter_map(|key| {
                            let id = payload["data"][*key].as_str()?;
                            Some(((*key).to_owned(), id.to_owned()))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let problems = parsed.and_then(|payload| check_payload(&spec, &payload, "delivery"));
            let (forwarded, answer) = match forward {
                Some((forward, client)) => {
                    let (status, answer) = pass_on(&forward, &client, &headers, body, number).await;
                    (Some(status), Some(answer))
                }
                None => (None, None),
            };
            let delivery = Delivery {
                event,
                signature,
                problems,
                ids,
                forwarded,
            };
            on_delivery(&delivery);
            let ok = delivery.ok();
            counter.total.fetch_add(1, Ordering::Relaxed);
            if !ok {
                counter.bad.fetch_add(1, Ordering::Relaxed);
            }
            if keep == Keep::All {
                store
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(delivery);
            }
            use axum::response::IntoResponse as _;
            match answer {
                Some(answer) => answer,
                None if ok => axum::http::StatusCode::NO_CONTENT.into_response(),
                None => axum::http::StatusCode::BAD_REQUEST.into_response(),
            }
        }
    };
    let app = axum::Router::new().fallback(axum::routing::post(handler));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(Listener {
        addr,
        deliveries,
        counts,
        secret,
        task,
    })
}

/// Passes a delivery on to the partner's endpoint: what happened (the endpoint's status, or
/// why it could not be reached) and the answer for the sender.
async fn pass_on(
    forward: &Forward,
    client: &reqwest::Client,
    headers: &axum::http::HeaderMap,
    body: axum::body::Bytes,
    number: usize,
) -> (Result<u16, String>, axum::response::Response) {
    use axum::http::StatusCode;
    let request_id = format!("listen-{number}");
    let fail = |status: StatusCode, what: String| {
        let answer = crate::proxy::gateway_answer(
            status,
            &request_id,
            &format!(
                "balampay-contract webhooks listen: {what} ({})",
                forward.url
            ),
        );
        (Err(what), answer)
    };
    let sent = client
        .post(forward.url.clone())
        .headers(crate::proxy::end_to_end(headers))
        .body(body)
        .send()
        .await;
    let mut answer = match sent {
        Ok(answer) => answer,
        Err(error) if error.is_timeout() => {
            return fail(
                StatusCode::GATEWAY_TIMEOUT,
                format!(
                    "the endpoint did not answer within {} s",
                    forward.timeout.as_secs_f64()
                ),
            );
        }
        Err(error) => {
            return fail(
                StatusCode::BAD_GATEWAY,
                format!(
                    "cannot reach the endpoint: {}",
                    crate::proxy::describe_error(&error)
                ),
            );
        }
    };
    let status = answer.status();
    let relayed_headers = crate::proxy::end_to_end(answer.headers());
    // The answer is read whole but bounded: it is a status and a short text.
    let mut relayed_body = Vec::new();
    loop {
        match answer.chunk().await {
            Ok(Some(chunk)) if relayed_body.len() + chunk.len() <= MAX_FORWARDED_ANSWER => {
                relayed_body.extend_from_slice(&chunk);
            }
            Ok(Some(_)) => {
                return fail(
                    StatusCode::BAD_GATEWAY,
                    format!("the endpoint's answer is larger than {MAX_FORWARDED_ANSWER} bytes"),
                );
            }
            Ok(None) => break,
            Err(error) => {
                let status = if error.is_timeout() {
                    StatusCode::GATEWAY_TIMEOUT
                } else {
                    StatusCode::BAD_GATEWAY
                };
                return fail(
                    status,
                    format!(
                        "the endpoint broke off its answer: {}",
                        crate::proxy::describe_error(&error)
                    ),
                );
            }
        }
    }
    let mut relayed = axum::response::Response::new(axum::body::Body::from(relayed_body));
    *relayed.status_mut() = status;
    *relayed.headers_mut() = relayed_headers;
    (Ok(status.as_u16()), relayed)
}
