//! `verify`: recorded exchanges checked offline, request and response.
//!
//! A recording is read as a stream (see [`crate::record::stream`]); each item is parsed once
//! from its own bytes, sorted into what belongs to the API and what does not (other hosts,
//! CORS preflights, `HEAD`, redirects, `304`s, answers that never came), and checked. With
//! `jobs` above 1 the items are parsed and checked on that many threads while this one reads;
//! the results are taken in file order, so reports do not depend on the number of jobs.

use std::collections::BTreeMap;
use std::ops::Range;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

use crate::check::{Check, Exchange, Scope, Verdict, check_matched, failure};
use crate::har::{SideFiles, Target};
use crate::record::{self, Format, Place, RawItem, SideSource};
use crate::report::{Case, Entries};
use crate::spec::{Operation, Spec};

/// How to verify.
#[derive(Clone, Debug)]
pub struct Options {
    /// Threads that parse and check items (at least 1).
    pub jobs: usize,
    /// The base URLs of the API: HAR entries sent elsewhere are skipped and counted. Empty:
    /// the spec's `servers`.
    pub base_urls: Vec<String>,
    /// Report a body the recording does not hold as a failure instead of "not checked".
    pub strict: bool,
    /// The largest body checked, in bytes (decoded); an entry with a larger one is skipped
    /// and counted as too large.
    pub max_body_bytes: usize,
    /// How many failures a report keeps in full (all are counted).
    pub max_failures: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            jobs: 1,
            base_urls: Vec::new(),
            strict: false,
            max_body_bytes: record::DEFAULT_MAX_BODY_BYTES,
            max_failures: crate::report::MAX_FAILURES_PER_CASE,
        }
    }
}

/// Why an item was not checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Skip {
    /// Sent to a host that is not the API (analytics, CDNs in browser recordings).
    OtherHost,
    /// A CORS preflight (`OPTIONS` with `Access-Control-Request-Method`, Fetch standard
    /// §3.2.2) the spec does not document.
    Preflight,
    /// A `HEAD` request the spec does not document.
    Head,
    /// A redirect (3xx other than 304) the spec does not document.
    Redirect,
    /// `304 Not Modified` (RFC 9110 §15.4.5), a cache revalidation the spec does not document.
    NotModified,
    /// No answer was recorded: status 0 (browsers, for blocked or aborted requests) or -1
    /// (Playwright, for failed ones).
    NoResponse,
    /// The item, or a body in it, is larger than `--max-body-bytes`.
    TooLarge,
    /// A call to the sandbox's own control endpoints under `/sandbox/`, which are not part
    /// of the API's spec (test helpers: webhook endpoints, outcomes, faults).
    SandboxControl,
    /// (`proxy`) the exchange did not complete: the client went away, or the upstream
    /// closed the connection in the middle of the response body.
    Incomplete,
}

impl Skip {
    /// The reason as reports print it.
    pub fn name(self) -> &'static str {
        match self {
            Skip::OtherHost => "other host",
            Skip::Preflight => "CORS preflight",
            Skip::Head => "HEAD",
            Skip::Redirect => "redirect",
            Skip::NotModified => "304 not modified",
            Skip::NoResponse => "no response",
            Skip::TooLarge => "too large",
            Skip::SandboxControl => "sandbox control API",
            Skip::Incomplete => "incomplete",
        }
    }
}

/// What became of one item.
pub(crate) enum Outcome {
    Checked(Verdict),
    Skipped(Skip),
    /// Sent to another host: the origin, for the summary.
    OtherHost(String),
    Error(String),
}

/// The origin and path prefix (without its trailing slash) of an absolute base URL such as
/// `https://api.balampay.com/v1`.
///
/// # Errors
/// The message to show when the URL is not absolute.
pub fn base_url(url: &str) -> Result<(String, String), String> {
    match reqwest::Url::parse(url) {
        Ok(parsed) if parsed.has_host() => Ok((
            parsed.origin().ascii_serialization(),
            parsed.path().trim_end_matches('/').to_owned(),
        )),
        _ => Err(format!(
            "--base-url {url:?} is not an absolute URL (such as https://api.balampay.com)"
        )),
    }
}

/// The API's base URLs: an origin (`None` for a server given as a path only, which any
/// host may serve) and a path prefix without its trailing slash.
struct Bases(Vec<(Option<String>, String)>);

impl Bases {
    fn new(spec: &Spec, given: &[String]) -> Result<Self, String> {
        let from_spec = given.is_empty();
        let urls: Vec<String> = if from_spec {
            spec.doc["servers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|server| server["url"].as_str().map(str::to_owned))
                .collect()
        } else {
            given.to_vec()
        };
        let mut bases = Vec::new();
        for url in urls {
            match base_url(&url) {
                Ok((origin, prefix)) => bases.push((Some(origin), prefix)),
                // A server URL relative to the document (`/api`) is a path prefix on any host
                // (OpenAPI 3.1.0 §4.8.5).
                Err(_) if from_spec && url.starts_with('/') => {
                    bases.push((None, url.trim_end_matches('/').to_owned()));
                }
                Err(_) if from_spec => {}
                Err(error) => return Err(error),
            }
        }
        // The longest prefix first, so that `https://x/v2` wins over `https://x`.
        bases.sort_by_key(|(_, prefix)| std::cmp::Reverse(prefix.len()));
        Ok(Self(bases))
    }

    /// The bases, for messages.
    fn describe(&self) -> String {
        if self.0.is_empty() {
            return "any host".to_owned();
        }
        self.0
            .iter()
            .map(|(origin, prefix)| format!("{}{prefix}", origin.as_deref().unwrap_or("any host")))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The path relative to the API's base, or `None` when the request went elsewhere.
    fn relative(&self, target: &Target) -> Option<String> {
        if self.0.is_empty() {
            return Some(target.path.clone());
        }
        self.0.iter().find_map(|(origin, prefix)| {
            if origin
                .as_ref()
                .is_some_and(|origin| *origin != target.origin)
            {
                return None;
            }
            let rest = target.path.strip_prefix(prefix.as_str())?;
            if rest.is_empty() || rest.starts_with('?') {
                Some(format!("/{rest}"))
            } else if rest.starts_with('/') {
                Some(rest.to_owned())
            } else {
                None
            }
        })
    }
}

/// Why the exchange is not the API's business to answer as documented, if it is not.
pub(crate) fn skip_reason(operation: Option<&Operation>, exchange: &Exchange) -> Option<Skip> {
    if exchange.status == 0 {
        return Some(Skip::NoResponse);
    }
    let documented = operation.is_some_and(|op| op.response(exchange.status).is_some());
    if operation.is_none() {
        if exchange.method.eq_ignore_ascii_case("OPTIONS")
            && exchange
                .request_header("access-control-request-method")
                .is_some()
        {
            return Some(Skip::Preflight);
        }
        if exchange.method.eq_ignore_ascii_case("HEAD") {
            return Some(Skip::Head);
        }
        if exchange.path_only().starts_with("/sandbox/") {
            return Some(Skip::SandboxControl);
        }
    }
    if !documented && exchange.status == 304 {
        return Some(Skip::NotModified);
    }
    if !documented && (300..400).contains(&exchange.status) {
        return Some(Skip::Redirect);
    }
    None
}

/// What is done to each item, on any thread.
struct Worker<'a> {
    spec: &'a Spec,
    bases: &'a Bases,
    options: &'a Options,
    format: Format,
    side: Option<SideFiles>,
}

impl Worker<'_> {
    fn outcome(&mut self, item: RawItem<'_>) -> Outcome {
        let bytes = match item {
            RawItem::Bytes(bytes) => bytes,
            RawItem::TooLarge { .. } => return Outcome::Skipped(Skip::TooLarge),
        };
        let (spec, bases) = (self.spec, self.bases);
        // What the skip decision found, kept for the checks: the path relative to the API's
        // base, and the operation it matches.
        let mut relative: Option<String> = None;
        let mut operation: Option<&Operation> = None;
        let mut elsewhere: Option<String> = None;
        let parsed = record::parse(
            self.format,
            bytes,
            self.side.as_mut(),
            self.options.max_body_bytes,
            |exchange, target| {
                let path = match target {
                    Some(target) => match bases.relative(target) {
                        Some(path) => relative.insert(path).as_str(),
                        None => {
                            elsewhere = Some(target.origin.clone());
                            return Some(Skip::OtherHost);
                        }
                    },
                    None => exchange.path.as_str(),
                };
                let path_only = path.split('?').next().unwrap_or(path);
                operation = spec.operation(&exchange.method, path_only);
                skip_reason(operation, exchange)
            },
        );
        let mut exchange = match parsed {
            Ok(Ok((exchange, _))) => exchange,
            Ok(Err(Skip::OtherHost)) => {
                return Outcome::OtherHost(elsewhere.unwrap_or_default());
            }
            Ok(Err(skip)) => return Outcome::Skipped(skip),
            Err(record::EntryError::BodyTooLarge { .. }) => {
                return Outcome::Skipped(Skip::TooLarge);
            }
            Err(error) => return Outcome::Error(error.to_string()),
        };
        if let Some(path) = relative {
            exchange.path = path;
        }
        let scope = Scope {
            request: true,
            credentials_may_be_removed: self.format != Format::Jsonl,
        };
        let mut verdict = check_matched(operation, &exchange, scope);
        if verdict.body_not_recorded && self.options.strict {
            let check = if exchange.status < 400 {
                Check::ResponseSchema
            } else {
                Check::ErrorBody
            };
            verdict.checks.push(check);
            verdict.failures.push(failure(
                check,
                &exchange,
                operation,
                "a recorded body (--strict)",
                "the recording does not hold the body",
            ));
        }
        Outcome::Checked(verdict)
    }
}

/// Adds one item's outcome to the case.
pub(crate) fn tally(case: &mut Case, entries: &mut Entries, place: &Place, outcome: Outcome) {
    entries.read += 1;
    match outcome {
        Outcome::Checked(verdict) => {
            entries.checked += 1;
            if verdict.body_not_recorded {
                entries.bodies_not_recorded += 1;
            }
            for check in &verdict.checks {
                *entries.checks_run.entry(*check).or_default() += 1;
            }
            case.failed(verdict.failures.into_iter().map(|mut failure| {
                failure.place = Some(place.to_string());
                failure
            }));
        }
        Outcome::Skipped(skip) => {
            *entries.skipped.entry(skip.name().to_owned()).or_default() += 1;
        }
        Outcome::OtherHost(origin) => {
            *entries
                .skipped
                .entry(Skip::OtherHost.name().to_owned())
                .or_default() += 1;
            // A few of them, for the message that says what was seen.
            if entries.other_hosts.len() < 5 || entries.other_hosts.contains_key(&origin) {
                *entries.other_hosts.entry(origin).or_default() += 1;
            }
        }
        Outcome::Error(error) => {
            entries.unreadable += 1;
            case.error(format!("{place}: {error} (skipped)"));
        }
    }
}

/// Checks every exchange of one recording; the case holds the failures (each naming its
/// line or entry), the malformed items, and the counts of what was read, checked and
/// skipped by reason.
pub fn verify_file(
    spec: &Spec,
    path: &Path,
    options: &Options,
    progress: &mut dyn FnMut(usize),
) -> Case {
    let mut case = Case::new(path.display().to_string());
    case.max_failures = Some(options.max_failures);
    let mut entries = Entries::default();
    let bases = match Bases::new(spec, &options.base_urls) {
        Ok(bases) => bases,
        Err(error) => {
            case.error(error);
            return case;
        }
    };
    let side = SideSource::of(path);
    let format = Format::of(path);
    let max_item = record::max_item(options.max_body_bytes);
    let result = if options.jobs <= 1 {
        match side.open() {
            Ok(side) => {
                let mut worker = Worker {
                    spec,
                    bases: &bases,
                    options,
                    format,
                    side,
                };
                record::stream(path, max_item, &mut |place, item| {
                    let outcome = worker.outcome(item);
                    tally(&mut case, &mut entries, &place, outcome);
                    if entries.read.is_multiple_of(10_000) {
                        progress(entries.read);
                    }
                })
            }
            Err(error) => Err(error),
        }
    } else {
        parallel(
            spec,
            path,
            options,
            &bases,
            &side,
            format,
            max_item,
            &mut case,
            &mut entries,
            progress,
        )
    };
    if let Err(error) = result {
        case.error(error.to_string());
    } else if entries.read == 0 {
        case.error("no exchanges in this recording: nothing was checked".to_owned());
    } else if entries.checked == 0 && case.error_count() == 0 {
        let mut hints = Vec::new();
        if !entries.other_hosts.is_empty() {
            hints.push(format!(
                "the entries went to {}: if the API is among them, give its base URL with --base-url (the API's now: {})",
                entries.other_hosts.keys().cloned().collect::<Vec<_>>().join(", "),
                bases.describe()
            ));
        }
        if entries.skipped.contains_key(Skip::TooLarge.name()) {
            hints.push(format!(
                "bodies over --max-body-bytes ({}) are not checked",
                options.max_body_bytes
            ));
        }
        case.error(format!(
            "nothing was checked: every entry was skipped ({}){}",
            crate::report::counts(&entries.skipped),
            hints
                .iter()
                .map(|hint| format!("; {hint}"))
                .collect::<String>()
        ));
    }
    entries.add_checks_to(&mut case);
    case.entries = Some(entries);
    case
}

/// A run of consecutive items, sent to a worker together: one synchronisation per batch
/// instead of one per item keeps the threads busy instead of waking each other. The items'
/// bytes are copied into one buffer (one allocation a batch, unless the item that crosses
/// the size mark is a large one).
struct Batch {
    /// The batch's number, in file order.
    index: usize,
    bytes: Vec<u8>,
    items: Vec<(Place, Stored)>,
}

/// An item of a batch.
enum Stored {
    /// Its bytes, in the batch's buffer.
    Bytes(Range<usize>),
    /// It was too large to keep, and was this large.
    TooLarge { size: u64 },
}

impl Batch {
    fn new(index: usize) -> Self {
        Self {
            index,
            bytes: Vec::with_capacity(BATCH_BYTES + BATCH_BYTES / 4),
            items: Vec::with_capacity(BATCH_ITEMS),
        }
    }

    fn push(&mut self, place: Place, item: RawItem<'_>) {
        let stored = match item {
            RawItem::Bytes(bytes) => {
                let start = self.bytes.len();
                self.bytes.extend_from_slice(bytes);
                Stored::Bytes(start..self.bytes.len())
            }
            RawItem::TooLarge { size } => Stored::TooLarge { size },
        };
        self.items.push((place, stored));
    }

    fn is_full(&self) -> bool {
        self.items.len() >= BATCH_ITEMS || self.bytes.len() >= BATCH_BYTES
    }
}

type Done = (usize, Vec<(Place, Outcome)>);

/// Items per batch, and bytes per batch (whichever comes first).
const BATCH_ITEMS: usize = 256;
const BATCH_BYTES: usize = 512 * 1024;

/// Batches queued per worker, in each direction, and at most in all.
const QUEUED: usize = 4;
const MAX_QUEUED: usize = 16;

/// Checks a batch, turning a panic on one item (a bug) into that item's error, so that the
/// batch still arrives and the tally neither waits for it nor loses what follows.
fn check_batch(worker: &mut Worker<'_>, batch: Batch) -> Vec<(Place, Outcome)> {
    let Batch { bytes, items, .. } = batch;
    items
        .into_iter()
        .map(|(place, stored)| {
            let item = match stored {
                Stored::Bytes(range) => RawItem::Bytes(&bytes[range]),
                Stored::TooLarge { size } => RawItem::TooLarge { size },
            };
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| worker.outcome(item)))
                .unwrap_or_else(|_| {
                    Outcome::Error(
                        "internal error while checking this item (a bug: please report it)"
                            .to_owned(),
                    )
                });
            (place, outcome)
        })
        .collect()
}

/// Batches checked, waiting to be tallied in file order.
struct InOrder<'c> {
    case: &'c mut Case,
    entries: &'c mut Entries,
    waiting: BTreeMap<usize, Vec<(Place, Outcome)>>,
    next: usize,
}

impl InOrder<'_> {
    fn add(&mut self, index: usize, outcomes: Vec<(Place, Outcome)>) {
        self.waiting.insert(index, outcomes);
        while let Some(outcomes) = self.waiting.remove(&self.next) {
            for (place, outcome) in outcomes {
                tally(self.case, self.entries, &place, outcome);
            }
            self.next += 1;
        }
    }
}

/// Reads on this thread and checks on `options.jobs` threads in all: `jobs - 1` workers,
/// and this thread itself whenever the workers' queue is full, so that on a machine with
/// as many cores as jobs no core waits while the reader is ahead. Results are tallied here,
/// in file order.
#[allow(clippy::too_many_arguments)]
fn parallel(
    spec: &Spec,
    path: &Path,
    options: &Options,
    bases: &Bases,
    side: &SideSource,
    format: Format,
    max_item: usize,
    case: &mut Case,
    entries: &mut Entries,
    progress: &mut dyn FnMut(usize),
) -> Result<(), record::RecordingError> {
    let helpers = options.jobs.saturating_sub(1).max(1);
    // Bounded queues keep memory flat. Batches are held by the queue (at most `queued`), by
    // the workers and this thread (one each), and by the one being filled; a batch holds
    // 512 KiB of items at most, plus the one item that crosses that mark (at most
    // `max_item`). The outcomes of at most `queued` batches wait for their turn to be
    // tallied. More than one batch queued a worker keeps it busy while this thread checks
    // a batch itself.
    let queued = (QUEUED * helpers).min(MAX_QUEUED);
    let (work, queue): (SyncSender<Batch>, Receiver<Batch>) = sync_channel(queued);
    let queue = Arc::new(Mutex::new(queue));
    let (done, results): (SyncSender<Done>, Receiver<Done>) = sync_channel(queued);
    let mut handles = Vec::new();
    for _ in 0..helpers {
        handles.push(side.open()?);
    }
    let mut own = Worker {
        spec,
        bases,
        options,
        format,
        side: side.open()?,
    };
    std::thread::scope(|scope| {
        for side in handles {
            let queue = queue.clone();
            let done = done.clone();
            scope.spawn(move || {
                let mut worker = Worker {
                    spec,
                    bases,
                    options,
                    format,
                    side,
                };
                loop {
                    let job = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    let Ok(batch) = job else {
                        return;
                    };
                    let index = batch.index;
                    if done.send((index, check_batch(&mut worker, batch))).is_err() {
                        return;
                    }
                }
            });
        }
        // Only the workers hold the queue and the results' sender now: when they are gone,
        // sending fails instead of blocking, and the results end.
        drop(queue);
        drop(done);
        let mut order = InOrder {
            case: &mut *case,
            entries: &mut *entries,
            waiting: BTreeMap::new(),
            next: 0,
        };
        let mut batch = Batch::new(0);
        let mut read = 0usize;
        let mut dispatch = |order: &mut InOrder<'_>, batch: Batch| {
            match work.try_send(batch) {
                Ok(()) => {}
                // The workers are busy (or gone): check the batch here.
                Err(TrySendError::Full(batch) | TrySendError::Disconnected(batch)) => {
                    let index = batch.index;
                    let outcomes = check_batch(&mut own, batch);
                    order.add(index, outcomes);
                }
            }
            while let Ok((index, outcomes)) = results.try_recv() {
                order.add(index, outcomes);
            }
        };
        let result = record::stream(path, max_item, &mut |place, item| {
            batch.push(place, item);
            read += 1;
            if batch.is_full() {
                let next = Batch::new(batch.index + 1);
                dispatch(&mut order, std::mem::replace(&mut batch, next));
            }
            if read.is_multiple_of(10_000) {
                progress(read);
            }
        });
        if !batch.items.is_empty() {
            dispatch(&mut order, batch);
        }
        drop(work);
        for (index, outcomes) in results.iter() {
            order.add(index, outcomes);
        }
        if !order.waiting.is_empty() {
            let missing = order.next;
            order.case.error(format!(
                "internal error: batch {missing} of items never came back from its thread; the report is incomplete"
            ));
            for (_, outcomes) in std::mem::take(&mut order.waiting) {
                for (place, outcome) in outcomes {
                    tally(order.case, order.entries, &place, outcome);
                }
            }
        }
        result
    })
}
