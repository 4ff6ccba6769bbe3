//! The outbox: webhook endpoints, the deliveries queued for them, every attempt, and the
//! retry policy.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ApiError;

use super::*;

/// A webhook endpoint registered through the control API.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Endpoint {
    /// Its id.
    pub id: String,
    /// The API key whose events it receives.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub api_key: String,
    /// Where deliveries go.
    pub url: String,
    /// The `whsec_` secret deliveries are signed with.
    pub secret: String,
    /// Registration order.
    pub seq: u64,
}

/// One attempt to deliver.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Attempt {
    /// When, in milliseconds since the epoch.
    pub at_ms: u64,
    /// The HTTP status answered, if any.
    pub status: Option<u16>,
    /// The transport error, if no status came back.
    pub error: Option<String>,
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its next attempt.
    Pending,
    /// Acknowledged with a 2xx.
    Delivered,
    /// Every attempt failed.
    Failed,
}

/// One event to one endpoint, with its attempts.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Delivery {
    /// The delivery id, sent as `webhook-id` (the same on every retry).
    pub id: String,
    /// The endpoint.
    pub endpoint_id: String,
    /// The API key whose event it is.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub api_key: String,
    /// The event name.
    pub event: String,
    /// The exact body sent.
    pub payload: String,
    /// Where it stands.
    pub state: DeliveryState,
    /// When the next attempt is due (milliseconds since the epoch).
    pub next_attempt_ms: u64,
    /// Every attempt so far.
    pub attempts: Vec<Attempt>,
    /// Creation order.
    pub seq: u64,
}

/// Webhook retry policy.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// How many attempts in all.
    pub max_attempts: u32,
    /// The wait after the first failure; each later wait doubles.
    pub base_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `n + 1` after `n` failed attempts.
    pub fn delay_after(&self, failed: u32) -> Duration {
        let factor = 2u32.saturating_pow(failed.saturating_sub(1));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

impl State {
    /// Queues an event for every endpoint of the key.
    pub(super) fn enqueue(
        &mut self,
        api_key: &str,
        event: &str,
        payload: &impl Serialize,
    ) -> Result<(), ApiError> {
        let payload = serde_json::to_string(payload)
            .map_err(|error| ApiError::internal(format!("webhook payload: {error}")))?;
        let endpoints: Vec<String> = self
            .endpoints
            .iter()
            .filter(|e| e.api_key == api_key)
            .map(|e| e.id.clone())
            .collect();
        for endpoint_id in endpoints {
            let seq = self.next_seq();
            self.deliveries.push(Delivery {
                id: format!("msg_{}", Uuid::new_v4().simple()),
                endpoint_id,
                api_key: api_key.to_owned(),
                event: event.to_owned(),
                payload: payload.clone(),
                state: DeliveryState::Pending,
                next_attempt_ms: now_ms(),
                attempts: Vec::new(),
                seq,
            });
            let index = self.deliveries.len() - 1;
            self.delivery_order
                .entry(api_key.to_owned())
                .or_default()
                .insert(seq, index);
            self.delivery_index
                .insert(self.deliveries[index].id.clone(), index);
            self.pending_deliveries.insert(index);
            self.save_delivery(index)?;
        }
        Ok(())
    }
}
