#![doc = include_str!("../README.md")]

mod app;
mod context;
mod control;
mod db;
pub mod error;
mod extract;
mod hosted;
mod idempotent;
mod json;
mod pages;
mod ratelimit;
mod respond;
mod routes;
mod serve;
pub mod state;
mod validate;
pub mod webhooks;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub use context::current_request_id;
pub use extract::MAX_BODY_BYTES;
pub use ratelimit::RateLimit;
pub use routes::operation_id;
pub use serve::Limits;
pub use state::{RetryPolicy, Timing};

/// The bearer token the sandbox accepts when none is configured.
pub const DEFAULT_TOKEN: &str = "sandbox-token";
/// The API key the sandbox accepts when none is configured.
pub const DEFAULT_API_KEY: &str = "sandbox-api-key";

/// How to run a sandbox. Its `Debug` output hides the credentials.
#[derive(Clone)]
pub struct Config {
    /// Where to listen (`127.0.0.1:0` picks a free port).
    pub addr: SocketAddr,
    /// The bearer token every request must carry.
    pub token: String,
    /// The API keys accepted; each sees only its own data.
    pub api_keys: Vec<String>,
    /// The SQLite data file; in memory when absent.
    pub data: Option<PathBuf>,
    /// How long the verification life cycle takes.
    pub timing: Timing,
    /// How webhook deliveries are retried.
    pub retry: RetryPolicy,
    /// How long clients may take to send a request, and how large its head may be.
    pub limits: Limits,
    /// The rate limit of every API key (`None`: off, unless the control API sets one).
    pub rate_limit: Option<RateLimit>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("token", &"<redacted>")
            .field("api_keys", &format!("<{} redacted>", self.api_keys.len()))
            .field("data", &self.data)
            .field("timing", &self.timing)
            .field("retry", &self.retry)
            .field("limits", &self.limits)
            .field("rate_limit", &self.rate_limit)
            .finish()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            token: DEFAULT_TOKEN.to_owned(),
            api_keys: vec![DEFAULT_API_KEY.to_owned()],
            data: None,
            timing: Timing::default(),
            retry: RetryPolicy::default(),
            limits: Limits::default(),
            rate_limit: Some(RateLimit::default()),
        }
    }
}

impl Config {
    /// The defaults with a life cycle and webhook retries fast enough for a test suite: a
    /// decision 50 ms after a session starts, 300 ms in `under_review` (long enough that a
    /// client polling every 25 ms sees it), and up to 5 delivery attempts 100 ms to 1 s apart.
    /// `balampay-contract run` uses it for its embedded sandbox.
    pub fn fast() -> Self {
        Self {
            timing: Timing {
                decision_delay: std::time::Duration::from_millis(50),
                review_delay: std::time::Duration::from_millis(300),
            },
            retry: RetryPolicy {
                max_attempts: 5,
                base_delay: std::time::Duration::from_millis(100),
                max_delay: std::time::Duration::from_secs(1),
            },
            ..Self::default()
        }
    }
}

/// Why a sandbox could not start. Messages read after "failed to".
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address could not be bound.
    #[error("listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    /// The data file could not be opened or read.
    #[error("use the data file: {0}")]
    Data(String),
    /// The spec's schemas did not compile (a bug of the schema crate).
    #[error("compile the spec's request schemas: {0}")]
    Spec(balampay_openapi::CompileError),
    /// The configuration is not usable.
    #[error("start with this configuration: {0}")]
    Config(String),
}

/// A running sandbox.
pub struct Sandbox {
    base_url: String,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
    worker: tokio::task::JoinHandle<()>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    /// Kept to close the data file when the sandbox stops, though delivery attempts still
    /// in flight hold the app a little longer.
    app: Arc<app::App>,
}

impl Sandbox {
    /// Starts a sandbox on the current tokio runtime.
    pub async fn start(config: Config) -> Result<Sandbox, StartError> {
        if config.token.is_empty()
            || config.api_keys.iter().any(String::is_empty)
            || config.api_keys.is_empty()
        {
            return Err(StartError::Config(
                "the token and every API key must be non-empty".to_owned(),
            ));
        }
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|e| StartError::Bind(config.addr, e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| StartError::Bind(config.addr, e))?;
        let base_url = format!("http://{addr}");
        let db = match &config.data {
            Some(path) => Some(db::Db::open(path).map_err(|e| StartError::Data(e.to_string()))?),
            None => None,
        };
        let state = state::State::open(db, config.timing, base_url.clone())
            .map_err(|e| StartError::Data(e.to_string()))?;
        let validators = validate::Validators::from_spec(balampay_schema::openapi_document())
            .map_err(StartError::Spec)?;
        let app = Arc::new(app::App {
            state: Mutex::new(state),
            validators,
            limits: config.limits,
            rate_limits: ratelimit::RateLimits::new(config.rate_limit),
            token: config.token,
            api_keys: config.api_keys,
            retry: config.retry,
            http: reqwest::Client::new(),
        });
        let router = routes::router(app.clone());
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve::serve(listener, router, config.limits, stopped));
        let worker = tokio::spawn(webhooks::run(app.clone()));
        Ok(Sandbox {
            base_url,
            addr,
            server,
            worker,
            shutdown: Some(shutdown),
            app,
        })
    }

    /// The base URL, such as `http://127.0.0.1:8080`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops serving and waits for the server and the delivery loop to finish, so that the
    /// data file is closed and its lock released when this returns: a sandbox started next
    /// on the same file finds it free.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.worker.abort();
        let _ = (&mut self.worker).await;
        let _ = (&mut self.server).await;
        self.app.lock().close_data();
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.worker.abort();
        self.server.abort();
        self.app.lock().close_data();
    }
}
