//! What every handler shares: the state behind its one lock, the validators compiled from
//! the spec, the credentials, the limits, and the HTTP client of the webhook loop.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::state::State;
use crate::validate::Validators;

/// Everything the handlers share.
pub struct App {
    pub(crate) state: Mutex<State>,
    pub(crate) validators: Validators,
    pub(crate) limits: crate::serve::Limits,
    pub(crate) rate_limits: crate::ratelimit::RateLimits,
    pub(crate) token: String,
    pub(crate) api_keys: Vec<String>,
    pub(crate) retry: crate::state::RetryPolicy,
    pub(crate) http: reqwest::Client,
}

impl App {
    /// The state, even if a panicking thread poisoned the lock: with a data file, a step that
    /// panics is rolled back and memory reloaded before the panic goes on (see
    /// `State::atomically`), so the state is what the file holds; in memory, a panic halfway
    /// through a step (a bug) may leave that step half done.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub(crate) type Shared = Arc<App>;

/// The API key a request authenticated with.
#[derive(Clone, Debug)]
pub(crate) struct ApiKey(pub String);
