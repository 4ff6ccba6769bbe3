//! Webhook delivery: signed the Standard Webhooks way, retried with bounded exponential
//! backoff, at least once, every attempt kept in the delivery log. The same loop also moves
//! verification sessions along their schedule.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::http::App;
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

/// Runs the loop until the task is aborted.
pub(crate) async fn run(app: Arc<App>) {
    let mut in_flight: HashSet<String> = HashSet::new();
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    loop {
        while let Ok(id) = done_rx.try_recv() {
            in_flight.remove(&id);
        }
        let due: Vec<(String, String, String, String)> = {
            let mut state = app.lock();
            let now = now_ms();
            state.advance(now);
            state
                .deliveries
                .iter()
                .filter(|d| {
                    d.state == DeliveryState::Pending
                        && d.next_attempt_ms <= now
                        && !in_flight.contains(&d.id)
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
                record(&app, &id, attempt);
                let _ = done.send(id);
            });
        }
        tokio::time::sleep(TICK).await;
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

fn record(app: &App, id: &str, attempt: Attempt) {
    let mut state = app.lock();
    let policy = app.retry;
    // A failure to save reloads the last committed log; the delivery is then attempted again
    // (at least once, as promised), and the attempt that failed to be saved is not listed.
    let _ = state.atomically(|state| record_attempt(state, policy, id, attempt));
}

fn record_attempt(
    state: &mut crate::state::State,
    policy: crate::state::RetryPolicy,
    id: &str,
    attempt: Attempt,
) -> Result<(), crate::error::ApiError> {
    let Some(index) = state.deliveries.iter().position(|d| d.id == id) else {
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
