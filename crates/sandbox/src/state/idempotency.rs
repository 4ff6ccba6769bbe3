//! Idempotency records: the first answer to each key, replayed for the same request.

use serde::{Deserialize, Serialize};

/// A stored idempotent result.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// `api_key` and key, joined (the record's id).
    pub id: String,
    /// Hash of method, path and body: a reuse with another request is a conflict.
    pub fingerprint: String,
    /// The status first answered.
    pub status: u16,
    /// The body first answered, byte for byte.
    pub body: String,
    /// When it was stored.
    pub seq: u64,
}
