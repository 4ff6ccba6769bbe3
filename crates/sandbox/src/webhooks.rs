//! Webhook delivery: signed the Standard Webhooks way, retried with bounded exponential
//! backoff, at least once, every attempt kept in the delivery log. The same loop also moves
//! verification sessions along their schedule.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::app::App;
use crate::state::{Attempt, DeliveryState, now_ms};

/// How often the loop looks for due work.
const TICK: Duration = Duration::from_millis(20);

/// How long one delivery attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// The `v1,<base64>` signature of a delivery: HMAC-SHA256 of `id.timestamp.body` keyed with
/// the base64-decoded part of the `whsec_` secret. `None` for a malformed secret.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = BASE64.decode(secret.strip_prefix("whsec_")?).ok()?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!("v1,{}", BASE64.encode(mac.finalize().into_bytes())))
}

/// An attempt whose outcome the data file refused to record: kept here, and recorded again
/// with backoff, instead of the delivery being sent again.
struct Unrecorded {
    attempt: Attempt,
    /// When to try recording it again (milliseconds since the epoch).
    retry_at_ms: u64,
    /// How many times recording it has failed.
    failures: u32,
}

/// Runs the loop until the task is aborted.
///
/// When the data file refuses to record an attempt (a full disk, say), memory goes back to
/// what the file holds, where the delivery is still pending and due. Sending it again at
/// once would repeat a delivery the receiver may have acknowledged, every tick, for as long
/// as the file stays unwritable. So the attempt is kept in `unrecorded`, the delivery is not
/// sent while it is there, recording is retried with the delivery backoff, and the failure
/// is logged once (and the recovery once). Should the process stop first, the delivery is
/// sent again after the restart: at least once, as promised, but not in a loop.
pub(crate) async fn run(app: Arc<App>) {
    let mut in_flight: HashSet<String> = HashSet::new();
    let mut unrecorded: HashMap<String, Unrecorded> = HashMap::new();
    let (done_tx, mut done_rx) =
        tokio::sync::mpsc::unbounded_channel::<(String, Option<(Attempt, String)>)>();
    loop {
        while let Ok((id, failed)) = done_rx.try_recv() {
            in_flight.remove(&id);
            if let Some((attempt, error)) = failed {
                eprintln!(
                    "balampay-sandbox: cannot record an attempt of delivery {id} in the data file ({error}); it is not sent again, and recording is retried with backoff"
                );
                unrecorded.insert(
                    id,
                    Unrecorded {
                        attempt,
                        retry_at_ms: now_ms().saturating_add(backoff_ms(app.retry, 1)),
                        failures: 1,
                    },
                );
            }
        }
        retry_recording(&app, &mut unrecorded);
        let due: Vec<(String, String, String, String)> = {
            let mut state = app.lock();
            let now = now_ms();
            state.advance(now);
            // Only the deliveries that may be pending, not the whole log.
            let deliveries = std::mem::take(&mut state.deliveries);
            state.pending_deliveries.retain(|index| {
                deliveries
                    .get(*index)
                    .is_some_and(|d| d.state == DeliveryState::Pending)
            });
            state.deliveries = deliveries;
            state
                .pending_deliveries
                .iter()
                .filter_map(|index| state.deliveries.get(*index))
                .filter(|d| {
                    d.next_attempt_ms <= now
                        && !in_flight.contains(&d.id)
                        && !unrecorded.contains_key(&d.id)
                })
                .filter_map(|d| {
                    let endpoint = state.endpoints.iter().find(|e| e.id == d.endpoint_id)?;
                    Some((
                        d.id.clone(),
                        endpoint.url.clone(),
                        endpoint.secret.clone(),
                        d.payload.clone(),
                    ))
                })
                .collect()
        };
        for (id, url, secret, payload) in due {
            in_flight.insert(id.clone());
            let app = app.clone();
            let done = done_tx.clone();
            tokio::spawn(async move {
                let attempt = attempt(&app, &id, &url, &secret, &payload).await;
                let failed = record(&app, &id, attempt.clone())
                    .err()
                    .map(|error| (attempt, error));
                let _ = done.send((id, failed));
            });
        }
        tokio::time::sleep(TICK).await;
    }
}

/// The delivery backoff after `failures` failures, in milliseconds.
fn backoff_ms(policy: crate::state::RetryPolicy, failures: u32) -> u64 {
    u64::try_from(policy.delay_after(failures).as_millis()).unwrap_or(u64::MAX)
}

/// Records again the attempts whose recording failed and whose time has come.
fn retry_recording(app: &App, unrecorded: &mut HashMap<String, Unrecorded>) {
    let now = now_ms();
    let due: Vec<String> = unrecorded
        .iter()
        .filter(|(_, u)| u.retry_at_ms <= now)
        .map(|(id, _)| id.clone())
        .collect();
    for id in due {
        let Some(pending) = unrecorded.get_mut(&id) else {
            continue;
        };
        match record(app, &id, pending.attempt.clone()) {
            Ok(()) => {
                eprintln!(
                    "balampay-sandbox: recorded the attempt of delivery {id} after {} failure(s)",
                    pending.failures
                );
                unrecorded.remove(&id);
            }
            Err(_) => {
                pending.failures += 1;
                pending.retry_at_ms = now.saturating_add(backoff_ms(app.retry, pending.failures));
            }
        }
    }
}

async fn attempt(app: &App, id: &str, url: &str, secret: &str, payload: &str) -> Attempt {
    let timestamp = (now_ms() / 1000) as i64;
    let at_ms = now_ms();
    let Some(signature) = sign(secret, id, timestamp, payload) else {
        return Attempt {
            at_ms,
            status: None,
            error: Some("the endpoint's secret is malformed".to_owned()),
        };
    };
    let result = app
        .http
        .post(url)
        .timeout(ATTEMPT_TIMEOUT)
        .header("content-type", "application/json")
        .header("user-agent", "balampay-sandbox")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(payload.to_owned())
        .send()
        .await;
    match result {
        Ok(response) => Attempt {
            at_ms,
            status: Some(response.status().as_u16()),
            error: None,
        },
        Err(error) => Attempt {
            at_ms,
            status: None,
            error: Some(error.without_url().to_string()),
        },
    }
}

/// Records an attempt; on failure the state is back to what the data file holds, and the
/// error says why.
fn record(app: &App, id: &str, attempt: Attempt) -> Result<(), String> {
    let mut state = app.lock();
    let policy = app.retry;
    state
        .atomically(|state| record_attempt(state, policy, id, attempt))
        .map_err(|error| error.message)
}

fn record_attempt(
    state: &mut crate::state::State,
    policy: crate::state::RetryPolicy,
    id: &str,
    attempt: Attempt,
) -> Result<(), crate::error::ApiError> {
    let Some(&index) = state.delivery_index.get(id) else {
        return Ok(());
    };
    let delivery = &mut state.deliveries[index];
    let acknowledged = attempt.status.is_some_and(|s| (200..300).contains(&s));
    delivery.attempts.push(attempt);
    let failed = delivery.attempts.len() as u32;
    if acknowledged {
        delivery.state = DeliveryState::Delivered;
    } else if failed >= policy.max_attempts {
        delivery.state = DeliveryState::Failed;
    } else {
        delivery.next_attempt_ms = now_ms().saturating_add(
            u64::try_from(policy.delay_after(failed).as_millis()).unwrap_or(u64::MAX),
        );
    }
    state.save_delivery(index)
}
