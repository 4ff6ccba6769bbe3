//! Rate limits per API key, so that partners can exercise their retry logic: a bucket of
//! `burst` requests that refills at `requests_per_second` (GCRA, by the `governor` crate).
//! Every answer to an authenticated API request carries `x-ratelimit-limit`,
//! `x-ratelimit-remaining` and `x-ratelimit-reset` (documented in the spec); a request over
//! the limit gets `429 rate_limited` with `Retry-After`.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use serde::{Deserialize, Serialize};

type Limiter = RateLimiter<NotKeyed, InMemoryState, DefaultClock, StateInformationMiddleware>;

/// A rate limit: a bucket of `burst` requests refilled at `requests_per_second`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// How fast the bucket refills, in requests per second (at least 1).
    pub requests_per_second: NonZeroU32,
    /// How many requests may be sent at once (at least 1).
    pub burst: NonZeroU32,
}

impl Default for RateLimit {
    /// 1000 requests a second, in bursts of up to 1000: more than a test suite sends, so
    /// that only a load test or a limit set on purpose meets it.
    fn default() -> Self {
        let thousand = NonZeroU32::new(1000).unwrap_or(NonZeroU32::MIN);
        Self {
            requests_per_second: thousand,
            burst: thousand,
        }
    }
}

impl RateLimit {
    fn quota(self) -> Quota {
        Quota::per_second(self.requests_per_second).allow_burst(self.burst)
    }
}

/// Where a key stands after a request, for the response headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    /// The bucket's size.
    pub limit: u32,
    /// How fast the bucket refills, in requests per second.
    pub per_second: u32,
    /// Requests left now.
    pub remaining: u32,
    /// Seconds until the bucket is full again, rounded up.
    pub reset_seconds: u64,
}

impl Standing {
    /// Writes the `x-ratelimit-*` headers.
    pub fn write(&self, headers: &mut HeaderMap) {
        for (name, value) in [
            ("x-ratelimit-limit", u64::from(self.limit)),
            ("x-ratelimit-remaining", u64::from(self.remaining)),
            ("x-ratelimit-reset", self.reset_seconds),
        ] {
            headers.insert(name, HeaderValue::from(value));
        }
    }
}

/// The verdict on one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No limit applies (rate limiting is off).
    Unlimited,
    /// Within the limit.
    Allowed(Standing),
    /// Over the limit: retry after this many seconds (at least 1).
    Refused(Standing, u32),
}

/// The limits of every API key: a default, and the ones the control API set.
pub(crate) struct RateLimits {
    default: Option<RateLimit>,
    keys: Mutex<HashMap<String, (RateLimit, Arc<Limiter>)>>,
    clock: DefaultClock,
}

impl RateLimits {
    /// Limits with this default (`None`: off unless the control API sets one for a key).
    pub(crate) fn new(default: Option<RateLimit>) -> Self {
        Self {
            default,
            keys: Mutex::new(HashMap::new()),
            clock: DefaultClock::default(),
        }
    }

    fn keys(&self) -> std::sync::MutexGuard<'_, HashMap<String, (RateLimit, Arc<Limiter>)>> {
        self.keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sets a key's limit (`None`: back to the default); its bucket starts full.
    pub(crate) fn set(&self, key: &str, limit: Option<RateLimit>) {
        let mut keys = self.keys();
        keys.remove(key);
        if let Some(limit) = limit {
            keys.insert(key.to_owned(), (limit, Arc::new(limiter(limit))));
        }
    }

    /// The limit that applies to a key now.
    pub(crate) fn limit_of(&self, key: &str) -> Option<RateLimit> {
        self.keys()
            .get(key)
            .map(|(limit, _)| *limit)
            .or(self.default)
    }

    /// Counts one request of `key` against its limit.
    pub(crate) fn check(&self, key: &str) -> Verdict {
        let (limit, limiter) = {
            let mut keys = self.keys();
            match keys.get(key) {
                Some((limit, limiter)) => (*limit, limiter.clone()),
                None => {
                    let Some(limit) = self.default else {
                        return Verdict::Unlimited;
                    };
                    let limiter = Arc::new(limiter(limit));
                    keys.insert(key.to_owned(), (limit, limiter.clone()));
                    (limit, limiter)
                }
            }
        };
        let refill = Duration::from_secs(1) / limit.requests_per_second.get();
        match limiter.check() {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let missing = limit.burst.get().saturating_sub(remaining);
                Verdict::Allowed(Standing {
                    limit: limit.burst.get(),
                    per_second: limit.requests_per_second.get(),
                    remaining,
                    reset_seconds: (refill * missing).as_secs_f64().ceil() as u64,
                })
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                let retry = (wait.as_secs_f64().ceil() as u32).max(1);
                Verdict::Refused(
                    Standing {
                        limit: limit.burst.get(),
                        per_second: limit.requests_per_second.get(),
                        remaining: 0,
                        reset_seconds: (refill * limit.burst.get()).as_secs_f64().ceil() as u64,
                    },
                    retry,
                )
            }
        }
    }
}

fn limiter(limit: RateLimit) -> Limiter {
    RateLimiter::direct(limit.quota()).with_middleware::<StateInformationMiddleware>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(rps: u32, burst: u32) -> RateLimit {
        RateLimit {
            requests_per_second: NonZeroU32::new(rps).expect("rps"),
            burst: NonZeroU32::new(burst).expect("burst"),
        }
    }

    #[test]
    fn a_burst_is_allowed_then_refused_with_a_retry_time() {
        let limits = RateLimits::new(Some(limit(1, 3)));
        let remaining: Vec<u32> = (0..3)
            .map(|_| match limits.check("k") {
                Verdict::Allowed(standing) => standing.remaining,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(remaining, [2, 1, 0]);
        match limits.check("k") {
            Verdict::Refused(standing, retry) => {
                assert_eq!(standing.remaining, 0);
                assert_eq!(standing.limit, 3);
                assert_eq!(retry, 1);
            }
            other => panic!("{other:?}"),
        }
        // Another key has its own bucket.
        assert!(matches!(limits.check("other"), Verdict::Allowed(_)));
    }

    #[test]
    fn a_key_can_get_its_own_limit_and_lose_it() {
        let limits = RateLimits::new(None);
        assert_eq!(limits.check("k"), Verdict::Unlimited);
        limits.set("k", Some(limit(1, 1)));
        assert!(matches!(limits.check("k"), Verdict::Allowed(_)));
        assert!(matches!(limits.check("k"), Verdict::Refused(_, 1)));
        limits.set("k", None);
        assert_eq!(limits.check("k"), Verdict::Unlimited);
    }
}
