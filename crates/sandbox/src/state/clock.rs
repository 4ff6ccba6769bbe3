//! The clock of the sandbox: milliseconds since the epoch, and the API's two timestamp formats.

use balampay_schema::*;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// An RFC 3339 UTC timestamp with milliseconds, as the API writes them.
pub fn timestamp(ms: u64) -> Timestamp {
    Timestamp(civil(ms).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

/// The `user.created` webhook's timestamp shape: `2026-01-14 20:27:54.863`.
pub fn legacy_timestamp(ms: u64) -> LegacyTimestamp {
    LegacyTimestamp(civil(ms).format("%Y-%m-%d %H:%M:%S%.3f").to_string())
}

fn civil(ms: u64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms as i64).unwrap_or_default()
}
