//! Faults armed through the control API: errors, delays and corrupted bodies for the next
//! matching requests.

use serde::Deserialize;

/// A fault armed through the control API: the next matching API requests answer it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// The API key that armed it: only that key's requests see it.
    #[serde(skip)]
    pub api_key: String,
    /// Only requests to this operation (any, when absent).
    pub operation: Option<String>,
    /// Answer this error status (with the matching error code) instead of the real answer.
    pub status: Option<u16>,
    /// Or answer normally, but replace the value at this JSON pointer of a success body.
    pub corrupt: Option<Corruption>,
    /// Milliseconds to wait before answering (alone, it makes the next requests slow).
    #[serde(default)]
    pub delay_ms: u64,
    /// How many requests it applies to (default 1).
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

/// A deliberate contract violation in a success body.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Corruption {
    /// The JSON pointer of the value to replace (or remove, when `value` is absent).
    pub pointer: String,
    /// The wrong value.
    pub value: Option<serde_json::Value>,
}
