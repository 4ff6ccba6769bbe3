//! The sandbox's state and every rule of the API that changes it, one module per feature:
//! the store (this module: the records, their indexes, the data file and its
//! transactions), [`clock`], [`users`], [`verifications`] (the life cycle and its test
//! inputs), [`outbox`] (webhook endpoints and deliveries), [`idempotency`] records and
//! [`faults`]. None of it knows HTTP beyond the API's error model ([`ApiError`]: a status,
//! a code and field details, as the spec defines them).
//!
//! All of it sits behind one mutex: each request runs its whole check-execute-store step
//! while holding it, which is what makes an idempotency key execute once under concurrency.

mod clock;
mod faults;
mod idempotency;
mod outbox;
mod users;
mod verifications;

use users::email_key;

pub use clock::{legacy_timestamp, now_ms, timestamp};
pub use faults::{Corruption, Fault};
pub use idempotency::IdempotencyRecord;
pub use outbox::{Attempt, Delivery, DeliveryState, Endpoint, RetryPolicy};
pub use users::StoredUser;
pub use verifications::{Outcome, Step, StoredVerification, Timing, decide, missing_data};

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use uuid::Uuid;

use crate::db::{Db, DbError};
use crate::error::ApiError;

/// Everything the sandbox knows.
pub struct State {
    /// Users by id. The large maps are B-trees, not hash maps: a hash map that grows moves
    /// every entry at once (a pause of tens of milliseconds at a few hundred thousand
    /// users, under the one lock), a B-tree splits one node. Values are boxed, so that
    /// nodes hold pointers, not whole records.
    pub(crate) users: BTreeMap<Uuid, Box<StoredUser>>,
    /// The owner of each email, per API key (emails in ASCII lower case, as they are
    /// compared): uniqueness is one lookup, whatever the number of users.
    emails: BTreeMap<(String, String), Uuid>,
    /// Each API key's users by sequence number (creation order): `listUsers` reads a page
    /// from its cursor without touching the rest.
    pub(crate) user_order: HashMap<String, BTreeMap<u64, Uuid>>,
    /// Each user's verification sessions by sequence number, for `listVerifications`.
    pub(crate) verification_order: BTreeMap<Uuid, BTreeMap<u64, Uuid>>,
    /// Each API key's deliveries by sequence number (index into `deliveries`), for the
    /// paginated delivery log.
    pub(crate) delivery_order: HashMap<String, BTreeMap<u64, usize>>,
    /// Each delivery's index in `deliveries`, by its id, for recording attempts.
    pub(crate) delivery_index: BTreeMap<String, usize>,
    /// Indexes of deliveries that may still be pending: the delivery loop looks only at
    /// these, and drops those that are no longer pending as it meets them.
    pub(crate) pending_deliveries: std::collections::BTreeSet<usize>,
    /// Verification sessions that may have a scheduled step: [`State::advance`] looks only
    /// at these, and drops those without one as it meets them.
    scheduled: std::collections::HashSet<Uuid>,
    /// Sessions whose scheduled step failed (the data file refused it): how many times, and
    /// when to try again. In memory only, and kept across reloads on purpose.
    step_retry: HashMap<Uuid, (u32, u64)>,
    /// Verification sessions by id (boxed, as users are).
    pub(crate) verifications: BTreeMap<Uuid, Box<StoredVerification>>,
    /// Idempotency records by id (boxed, as users are).
    pub(crate) idempotency: BTreeMap<String, Box<IdempotencyRecord>>,
    pub(crate) endpoints: Vec<Endpoint>,
    pub(crate) deliveries: Vec<Delivery>,
    pub(crate) faults: Vec<Fault>,
    seq: u64,
    db: Option<Db>,
    /// Writes made by the current [`State::atomically`] step (a `Cell`, so that saving
    /// needs only a shared borrow of the record being saved).
    writes: std::cell::Cell<usize>,
    pub(crate) timing: Timing,
    /// The base URL hosted pages are served under.
    pub(crate) base_url: String,
}

impl State {
    /// Empty state, or the state of a data file.
    pub fn open(db: Option<Db>, timing: Timing, base_url: String) -> Result<Self, DbError> {
        let mut state = State {
            users: BTreeMap::new(),
            emails: BTreeMap::new(),
            user_order: HashMap::new(),
            verification_order: BTreeMap::new(),
            delivery_order: HashMap::new(),
            delivery_index: BTreeMap::new(),
            pending_deliveries: std::collections::BTreeSet::new(),
            scheduled: std::collections::HashSet::new(),
            step_retry: HashMap::new(),
            verifications: BTreeMap::new(),
            idempotency: BTreeMap::new(),
            endpoints: Vec::new(),
            deliveries: Vec::new(),
            faults: Vec::new(),
            seq: 0,
            db: None,
            timing,
            base_url,
            writes: std::cell::Cell::new(0),
        };
        if let Some(db) = &db {
            state.load(db)?;
        }
        state.db = db;
        Ok(state)
    }

    /// Replaces the persisted collections with the data file's. Every record is read before
    /// anything in memory changes, so a read that fails leaves the state as it was rather
    /// than half loaded (with sequence numbers that the file has already used).
    fn load(&mut self, db: &Db) -> Result<(), DbError> {
        let users = db.all::<StoredUser>("user")?;
        let verifications = db.all::<StoredVerification>("verification")?;
        let idempotency = db.all::<IdempotencyRecord>("idempotency")?;
        let endpoints: Vec<Endpoint> = db.all("endpoint")?;
        let deliveries: Vec<Delivery> = db.all("delivery")?;
        self.users.clear();
        self.emails.clear();
        self.user_order.clear();
        self.verification_order.clear();
        self.delivery_order.clear();
        self.delivery_index.clear();
        self.pending_deliveries.clear();
        self.scheduled.clear();
        self.verifications.clear();
        self.idempotency.clear();
        self.seq = 0;
        for user in users {
            self.seq = self.seq.max(user.seq);
            self.emails
                .insert(email_key(&user.api_key, user.user.email()), user.user.id());
            self.user_order
                .entry(user.api_key.clone())
                .or_default()
                .insert(user.seq, user.user.id());
            self.users.insert(user.user.id(), Box::new(user));
        }
        for verification in verifications {
            self.seq = self.seq.max(verification.seq);
            self.verification_order
                .entry(verification.verification.user_id)
                .or_default()
                .insert(verification.seq, verification.verification.id);
            if verification.next.is_some() {
                self.scheduled.insert(verification.verification.id);
            }
            self.verifications
                .insert(verification.verification.id, Box::new(verification));
        }
        for record in idempotency {
            self.seq = self.seq.max(record.seq);
            self.idempotency.insert(record.id.clone(), Box::new(record));
        }
        self.endpoints = endpoints;
        self.deliveries = deliveries;
        for (index, delivery) in self.deliveries.iter().enumerate() {
            self.delivery_order
                .entry(delivery.api_key.clone())
                .or_default()
                .insert(delivery.seq, index);
            self.delivery_index.insert(delivery.id.clone(), index);
            if delivery.state == DeliveryState::Pending {
                self.pending_deliveries.insert(index);
            }
        }
        for item in self
            .endpoints
            .iter()
            .map(|e| e.seq)
            .chain(self.deliveries.iter().map(|d| d.seq))
        {
            self.seq = self.seq.max(item);
        }
        Ok(())
    }

    /// Runs one step of changes atomically. With a data file, the step's writes form one
    /// transaction; when the step fails after writing (the file refused a write, say), the
    /// transaction is rolled back and the state reloaded from the file, so memory never runs
    /// ahead of what was committed, and a retry with the same idempotency key is clean.
    pub(crate) fn atomically<T>(
        &mut self,
        step: impl FnOnce(&mut State) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let Some(db) = &self.db else {
            return step(self);
        };
        db.begin().map_err(save_error)?;
        self.writes.set(0);
        let result = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| step(self))) {
            Ok(result) => result,
            Err(panic) => {
                // A step that panics may have changed half of memory and written half a
                // transaction: both go back to what the file holds, so that the next step
                // does not meet an open transaction or a half change.
                if let Some(db) = self.db.take() {
                    let _ = db.rollback();
                    let _ = self.load(&db);
                    self.db = Some(db);
                }
                std::panic::resume_unwind(panic);
            }
        };
        let Some(db) = self.db.take() else {
            return result;
        };
        let outcome = match result {
            Ok(value) => match db.commit() {
                Ok(()) => Ok(value),
                Err(error) => Err(save_error(error)),
            },
            Err(error) => Err(error),
        };
        if outcome.is_err() {
            let _ = db.rollback();
            if self.writes.get() > 0 {
                // The file holds the last committed state; memory goes back to it. Should
                // the reload itself fail, the error below is all that can be said.
                if let Err(error) = self.load(&db) {
                    self.db = Some(db);
                    return Err(save_error(error));
                }
            }
        }
        self.db = Some(db);
        outcome
    }

    /// Closes the data file (releasing its lock); later changes stay in memory only. Used
    /// when the sandbox stops.
    pub(crate) fn close_data(&mut self) {
        self.db = None;
    }

    /// The next sequence number.
    pub(crate) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Writes a record to the data file, if there is one. A failure becomes a 500: the
    /// change is not acknowledged.
    pub(crate) fn persist(
        &self,
        kind: &str,
        id: &str,
        seq: u64,
        record: &impl Serialize,
    ) -> Result<(), ApiError> {
        match &self.db {
            Some(db) => {
                self.writes.set(self.writes.get() + 1);
                db.put(kind, id, seq, record).map_err(save_error)
            }
            None => Ok(()),
        }
    }

    pub(crate) fn save_user(&self, id: Uuid) -> Result<(), ApiError> {
        let user = &self.users[&id];
        self.persist("user", &id.to_string(), user.seq, user)
    }

    pub(crate) fn save_verification(&self, id: Uuid) -> Result<(), ApiError> {
        let verification = &self.verifications[&id];
        self.persist(
            "verification",
            &id.to_string(),
            verification.seq,
            verification,
        )
    }

    pub(crate) fn save_delivery(&self, index: usize) -> Result<(), ApiError> {
        let delivery = &self.deliveries[index];
        self.persist("delivery", &delivery.id, delivery.seq, delivery)
    }
}

/// A failure of the data file, as the API answers it.
fn save_error(error: DbError) -> ApiError {
    ApiError::internal(format!("the sandbox could not save: {error}"))
}
