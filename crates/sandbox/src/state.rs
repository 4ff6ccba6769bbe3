//! The sandbox's state and every rule of the API that changes it. All of it sits behind one
//! mutex: each request runs its whole check-execute-store step while holding it, which is
//! what makes an idempotency key execute once under concurrency.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use axum::http::StatusCode;
use balampay_schema::users::{BusinessUser, IndividualUser};
use balampay_schema::webhooks::{
    RejectedStatusTag, UserCreatedData, UserCreatedEvent, UserCreatedTag, VerificationAcceptedData,
    VerificationAcceptedEvent, VerificationAcceptedTag, VerificationFailedData,
    VerificationFailedEvent, VerificationFailedTag, VerifiedStatusTag,
};
use balampay_schema::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::{Db, DbError};
use crate::error::ApiError;

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

/// How long the verification life cycle takes.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// From an `api` session's creation to its decision.
    pub decision_delay: Duration,
    /// From `under_review` to the final decision.
    pub review_delay: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            decision_delay: Duration::from_secs(2),
            review_delay: Duration::from_secs(5),
        }
    }
}

/// A user and what the API keeps about it beyond the resource.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredUser {
    /// The API key that owns it.
    pub api_key: String,
    /// Creation order, for listing.
    pub seq: u64,
    /// The resource.
    pub user: User,
    /// The full government ID (write-only: responses carry a summary).
    pub government_id: Option<GovernmentId>,
    /// Creation time in milliseconds (for the legacy webhook timestamp).
    pub created_ms: u64,
}

/// What a pending session will do next, and when.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum Step {
    /// Go to `under_review`, then to `then`.
    Review {
        /// The final outcome after review.
        then: Outcome,
    },
    /// End with this outcome.
    Finish(Outcome),
}

/// How a session ends.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum Outcome {
    /// `verified`.
    Verified,
    /// `rejected`, with the reason for the user and for the developer.
    Rejected {
        /// For the user.
        reason: String,
        /// For the developer.
        developer_reason: String,
    },
}

/// A verification session and its plan.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredVerification {
    /// The API key that owns it.
    pub api_key: String,
    /// Creation order, for listing.
    pub seq: u64,
    /// The resource.
    pub verification: Verification,
    /// The next step and when it is due (milliseconds since the epoch); none while a hosted
    /// session waits for the person.
    pub next: Option<(u64, Step)>,
}

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

    /// Replaces the persisted collections with the data file's.
    fn load(&mut self, db: &Db) -> Result<(), DbError> {
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
        for user in db.all::<StoredUser>("user")? {
            self.seq = self.seq.max(user.seq);
            self.emails
                .insert(email_key(&user.api_key, user.user.email()), user.user.id());
            self.user_order
                .entry(user.api_key.clone())
                .or_default()
                .insert(user.seq, user.user.id());
            self.users.insert(user.user.id(), Box::new(user));
        }
        for verification in db.all::<StoredVerification>("verification")? {
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
        for record in db.all::<IdempotencyRecord>("idempotency")? {
            self.seq = self.seq.max(record.seq);
            self.idempotency.insert(record.id.clone(), Box::new(record));
        }
        self.endpoints = db.all("endpoint")?;
        self.deliveries = db.all("delivery")?;
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
        let result = step(self);
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

    /// The user of this key with this id.
    pub(crate) fn user(&self, api_key: &str, id: Uuid) -> Result<&StoredUser, ApiError> {
        self.users
            .get(&id)
            .map(|u| &**u)
            .filter(|u| u.api_key == api_key)
            .ok_or_else(|| ApiError::not_found("user"))
    }

    /// The user of this key with this email (compared in ASCII lower case), by the index.
    pub(crate) fn user_by_email(&self, api_key: &str, email: &str) -> Option<&StoredUser> {
        let id = self
            .emails
            .get(&(api_key.to_owned(), email.to_ascii_lowercase()))?;
        self.users.get(id).map(|u| &**u)
    }

    fn email_taken(&self, api_key: &str, email: &EmailAddress, except: Option<Uuid>) -> bool {
        self.emails
            .get(&email_key(api_key, email))
            .is_some_and(|owner| Some(*owner) != except)
    }

    /// `createUser`.
    pub fn create_user(
        &mut self,
        api_key: &str,
        request: CreateUserRequest,
    ) -> Result<User, ApiError> {
        let email = match &request {
            CreateUserRequest::Individual(r) => &r.email,
            CreateUserRequest::Business(r) => &r.email,
        };
        if self.email_taken(api_key, email, None) {
            return Err(email_taken());
        }
        let id = Uuid::new_v4();
        let ms = now_ms();
        let now = timestamp(ms);
        let mut government_id = None;
        let user = match request {
            CreateUserRequest::Individual(r) => {
                government_id = r.government_id.clone();
                User::Individual(IndividualUser {
                    id,
                    r#type: Default::default(),
                    status: UserStatus::Active,
                    verification_status: VerificationStatus::Unverified,
                    email: r.email,
                    phone_number: r.phone_number,
                    first_name: r.first_name,
                    last_name: r.last_name,
                    country: r.country,
                    date_of_birth: r.date_of_birth,
                    address: r.address,
                    government_id: r.government_id.as_ref().map(summary),
                    kyc_type: None,
                    tier: None,
                    metadata: r.metadata.unwrap_or_default(),
                    created_at: now.clone(),
                    updated_at: now,
                })
            }
            CreateUserRequest::Business(r) => User::Business(BusinessUser {
                id,
                r#type: Default::default(),
                status: UserStatus::Active,
                verification_status: VerificationStatus::Unverified,
                email: r.email,
                phone_number: r.phone_number,
                business_name: r.business_name,
                country: r.country,
                tax_id: r.tax_id,
                address: r.address,
                beneficial_owners: r.beneficial_owners.unwrap_or_default(),
                kyc_type: None,
                tier: None,
                metadata: r.metadata.unwrap_or_default(),
                created_at: now.clone(),
                updated_at: now,
            }),
        };
        let seq = self.next_seq();
        self.emails.insert(email_key(api_key, user.email()), id);
        self.user_order
            .entry(api_key.to_owned())
            .or_default()
            .insert(seq, id);
        self.users.insert(
            id,
            Box::new(StoredUser {
                api_key: api_key.to_owned(),
                seq,
                user: user.clone(),
                government_id,
                created_ms: ms,
            }),
        );
        self.save_user(id)?;
        let event = UserCreatedEvent {
            event: UserCreatedTag,
            data: UserCreatedData {
                event_id: Uuid::new_v4(),
                user_id: id,
                r#type: user.user_type(),
                email: user.email().clone(),
                phone: user.phone_number().clone(),
                status: UserStatus::Active,
                verification_status: VerificationStatus::Unverified,
                created_at: legacy_timestamp(ms),
                metadata: user.metadata().clone(),
            },
        };
        self.enqueue(api_key, "user.created", &event)?;
        Ok(user)
    }

    /// `updateUser`.
    pub fn update_user(
        &mut self,
        api_key: &str,
        id: Uuid,
        request: UpdateUserRequest,
    ) -> Result<User, ApiError> {
        let stored = self.user(api_key, id)?;
        ensure_active(&stored.user)?;
        let verified = stored.user.verification_status() == VerificationStatus::Verified;
        let new_email = match &request {
            UpdateUserRequest::Individual(r) => r.email.clone(),
            UpdateUserRequest::Business(r) => r.email.clone(),
        };
        if let Some(email) = &new_email
            && self.email_taken(api_key, email, Some(id))
        {
            return Err(email_taken());
        }
        let stored = self
            .users
            .get_mut(&id)
            .ok_or_else(|| ApiError::not_found("user"))?;
        let old_email = email_key(api_key, stored.user.email());
        let now = timestamp(now_ms());
        match (&mut stored.user, request) {
            (User::Individual(user), UpdateUserRequest::Individual(change)) => {
                if verified {
                    let locked = [
                        ("/first_name", change.first_name.is_some()),
                        ("/last_name", change.last_name.is_some()),
                        ("/date_of_birth", change.date_of_birth.is_some()),
                        ("/government_id", change.government_id.is_some()),
                    ];
                    refuse_locked(&locked)?;
                }
                set(&mut user.email, change.email);
                set(&mut user.phone_number, change.phone_number);
                set(&mut user.first_name, change.first_name);
                set(&mut user.last_name, change.last_name);
                set(&mut user.country, change.country);
                if change.date_of_birth.is_some() {
                    user.date_of_birth = change.date_of_birth;
                }
                if change.address.is_some() {
                    user.address = change.address;
                }
                if let Some(government_id) = change.government_id {
                    user.government_id = Some(summary(&government_id));
                    stored.government_id = Some(government_id);
                }
                set(&mut user.metadata, change.metadata);
                user.updated_at = now;
            }
            (User::Business(user), UpdateUserRequest::Business(change)) => {
                if verified {
                    let locked = [
                        ("/business_name", change.business_name.is_some()),
                        ("/tax_id", change.tax_id.is_some()),
                    ];
                    refuse_locked(&locked)?;
                }
                set(&mut user.email, change.email);
                set(&mut user.phone_number, change.phone_number);
                set(&mut user.business_name, change.business_name);
                set(&mut user.country, change.country);
                if change.tax_id.is_some() {
                    user.tax_id = change.tax_id;
                }
                if change.address.is_some() {
                    user.address = change.address;
                }
                set(&mut user.beneficial_owners, change.beneficial_owners);
                set(&mut user.metadata, change.metadata);
                user.updated_at = now;
            }
            (user, _) => {
                let expected = match user {
                    User::Individual(_) => "individual",
                    User::Business(_) => "business",
                };
                return Err(type_mismatch(
                    "/type",
                    format!("must be {expected}, the user's type; a user's type never changes"),
                ));
            }
        }
        let user = stored.user.clone();
        let new_email = email_key(api_key, user.email());
        if new_email != old_email {
            self.emails.remove(&old_email);
            self.emails.insert(new_email, id);
        }
        self.save_user(id)?;
        Ok(user)
    }

    /// `createVerification`.
    pub fn create_verification(
        &mut self,
        api_key: &str,
        user_id: Uuid,
        request: CreateVerificationRequest,
    ) -> Result<Verification, ApiError> {
        let stored = self.user(api_key, user_id)?;
        ensure_active(&stored.user)?;
        match stored.user.verification_status() {
            VerificationStatus::Pending | VerificationStatus::UnderReview => {
                return Err(ApiError::conflict(
                    ErrorCode::VerificationInProgress,
                    "The user has a verification session in progress.",
                ));
            }
            VerificationStatus::Verified => {
                return Err(ApiError::conflict(
                    ErrorCode::AlreadyVerified,
                    "The user is already verified.",
                ));
            }
            VerificationStatus::Unverified | VerificationStatus::Rejected => {}
        }
        let id = Uuid::new_v4();
        let ms = now_ms();
        let now = timestamp(ms);
        let (kind, kyc_type, provider_link, redirect_uri, next) = match request {
            CreateVerificationRequest::EmbeddedLink(r) => (
                VerificationType::EmbeddedLink,
                r.kyc_type.unwrap_or(KycType::Simplified),
                Some(format!("{}/sandbox/hosted/{id}", self.base_url)),
                Some(r.redirect_uri),
                None,
            ),
            CreateVerificationRequest::Api(r) => {
                self.merge_kyc_data(user_id, r.individual, r.business)?;
                let step = decide(&self.users[&user_id]);
                let due = ms.saturating_add(
                    u64::try_from(self.timing.decision_delay.as_millis()).unwrap_or(u64::MAX),
                );
                (
                    VerificationType::Api,
                    r.kyc_type.unwrap_or(KycType::Simplified),
                    None,
                    None,
                    Some((due, step)),
                )
            }
        };
        let verification = Verification {
            id,
            user_id,
            r#type: kind,
            status: VerificationStatus::Pending,
            kyc_type,
            tier: None,
            provider_link,
            redirect_uri,
            reasons: Vec::new(),
            created_at: now.clone(),
            updated_at: now.clone(),
            completed_at: None,
        };
        let seq = self.next_seq();
        self.verification_order
            .entry(user_id)
            .or_default()
            .insert(seq, id);
        self.scheduled.insert(id);
        self.verifications.insert(
            id,
            Box::new(StoredVerification {
                api_key: api_key.to_owned(),
                seq,
                verification: verification.clone(),
                next,
            }),
        );
        self.set_user_verification(user_id, VerificationStatus::Pending, None)?;
        self.save_verification(id)?;
        Ok(verification)
    }

    /// Writes an `api` session's KYC data over the user's.
    fn merge_kyc_data(
        &mut self,
        user_id: Uuid,
        individual: Option<IndividualKycData>,
        business: Option<BusinessKycData>,
    ) -> Result<(), ApiError> {
        let stored = self
            .users
            .get_mut(&user_id)
            .ok_or_else(|| ApiError::not_found("user"))?;
        match (&mut stored.user, individual, business) {
            (User::Individual(_), _, Some(_)) => Err(wrong_kyc_data("/business", "individual")),
            (User::Business(_), Some(_), _) => Err(wrong_kyc_data("/individual", "business")),
            (User::Individual(user), Some(data), None) => {
                if data.date_of_birth.is_some() {
                    user.date_of_birth = data.date_of_birth;
                }
                if data.address.is_some() {
                    user.address = data.address;
                }
                if let Some(government_id) = data.government_id {
                    user.government_id = Some(summary(&government_id));
                    stored.government_id = Some(government_id);
                }
                Ok(())
            }
            (User::Business(user), None, Some(data)) => {
                if data.tax_id.is_some() {
                    user.tax_id = data.tax_id;
                }
                if data.address.is_some() {
                    user.address = data.address;
                }
                set(&mut user.beneficial_owners, data.beneficial_owners);
                Ok(())
            }
            (_, None, None) => Ok(()),
        }
    }

    /// Sets the user's verification status (and, once verified, its depth and tier).
    fn set_user_verification(
        &mut self,
        user_id: Uuid,
        status: VerificationStatus,
        granted: Option<(KycType, u8)>,
    ) -> Result<(), ApiError> {
        let Some(stored) = self.users.get_mut(&user_id) else {
            return Ok(());
        };
        stored
            .user
            .set_verification(status, granted, timestamp(now_ms()));
        self.save_user(user_id)
    }

    /// Applies a step to a session now: `under_review` (scheduling the final outcome) or
    /// the final outcome (with its webhook).
    pub fn apply(&mut self, id: Uuid, step: Step) -> Result<Verification, ApiError> {
        let ms = now_ms();
        let review_delay = u64::try_from(self.timing.review_delay.as_millis()).unwrap_or(u64::MAX);
        let stored = self
            .verifications
            .get_mut(&id)
            .ok_or_else(|| ApiError::not_found("verification session"))?;
        let verification = &mut stored.verification;
        verification.updated_at = timestamp(ms);
        let user_id = verification.user_id;
        let api_key = stored.api_key.clone();
        match step {
            Step::Review { then } => {
                verification.status = VerificationStatus::UnderReview;
                stored.next = Some((ms.saturating_add(review_delay), Step::Finish(then)));
                let verification = verification.clone();
                self.scheduled.insert(id);
                self.set_user_verification(user_id, VerificationStatus::UnderReview, None)?;
                self.save_verification(id)?;
                Ok(verification)
            }
            Step::Finish(Outcome::Verified) => {
                let tier = match verification.kyc_type {
                    KycType::Simplified => 1,
                    KycType::Full => 2,
                };
                verification.status = VerificationStatus::Verified;
                verification.tier = Some(tier);
                verification.completed_at = Some(timestamp(ms));
                stored.next = None;
                let verification = verification.clone();
                self.set_user_verification(
                    user_id,
                    VerificationStatus::Verified,
                    Some((verification.kyc_type, tier)),
                )?;
                self.save_verification(id)?;
                let event = VerificationAcceptedEvent {
                    event: VerificationAcceptedTag,
                    data: VerificationAcceptedData {
                        event_id: Uuid::new_v4(),
                        id,
                        user_id,
                        verification_status: VerifiedStatusTag,
                        kyc_type: verification.kyc_type,
                        tier,
                    },
                };
                self.enqueue(&api_key, "user.verification.accepted", &event)?;
                Ok(verification)
            }
            Step::Finish(Outcome::Rejected {
                reason,
                developer_reason,
            }) => {
                verification.status = VerificationStatus::Rejected;
                verification.reasons.push(RejectionReason {
                    reason,
                    developer_reason,
                    created_at: timestamp(ms),
                });
                verification.completed_at = Some(timestamp(ms));
                stored.next = None;
                let verification = verification.clone();
                self.set_user_verification(user_id, VerificationStatus::Rejected, None)?;
                self.save_verification(id)?;
                let event = VerificationFailedEvent {
                    event: VerificationFailedTag,
                    data: VerificationFailedData {
                        event_id: Uuid::new_v4(),
                        id,
                        user_id,
                        verification_status: RejectedStatusTag,
                        reasons: verification.reasons.clone(),
                    },
                };
                self.enqueue(&api_key, "user.verification.failed", &event)?;
                Ok(verification)
            }
        }
    }

    /// Runs every session step that is due.
    pub fn advance(&mut self, now: u64) {
        let mut due: Vec<(Uuid, Step)> = Vec::new();
        let verifications = &self.verifications;
        self.scheduled.retain(
            |id| match verifications.get(id).and_then(|v| v.next.as_ref()) {
                Some((at, step)) => {
                    if *at <= now {
                        due.push((*id, step.clone()));
                    }
                    true
                }
                None => false,
            },
        );
        for (id, step) in due {
            // A failure to save the data file leaves memory ahead of it (the session's next
            // save writes its whole record again); it is not retried here, because the step
            // has already been applied in memory.
            let _ = self.atomically(|state| state.apply(id, step));
        }
    }

    /// Queues an event for every endpoint of the key.
    fn enqueue(
        &mut self,
        api_key: &str,
        event: &str,
        payload: &impl Serialize,
    ) -> Result<(), ApiError> {
        let payload = serde_json::to_string(payload).map_err(|error| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::InternalError,
                format!("webhook payload: {error}"),
            )
        })?;
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

/// What a session of this user will do, by the documented test inputs and the data present.
pub fn decide(stored: &StoredUser) -> Step {
    let missing = missing_data(stored);
    if !missing.is_empty() {
        return Step::Finish(Outcome::Rejected {
            reason: "We need more information to verify your identity.".to_owned(),
            developer_reason: format!(
                "Missing data that verification needs: {}.",
                missing.join(", ")
            ),
        });
    }
    let name = match &stored.user {
        User::Individual(user) => user.last_name.to_lowercase(),
        User::Business(user) => user.business_name.to_lowercase(),
    };
    let rejected = |marker: &str| Outcome::Rejected {
        reason: "Your information could not be verified".to_owned(),
        developer_reason: format!("Sandbox test input: the name contains `{marker}`."),
    };
    if name.contains("reviewreject") {
        Step::Review {
            then: rejected("reviewreject"),
        }
    } else if name.contains("review") {
        Step::Review {
            then: Outcome::Verified,
        }
    } else if name.contains("reject") {
        Step::Finish(rejected("reject"))
    } else {
        Step::Finish(Outcome::Verified)
    }
}

/// The data the docs list as required for verification that the user does not have.
pub fn missing_data(stored: &StoredUser) -> Vec<&'static str> {
    let mut missing = Vec::new();
    match &stored.user {
        User::Individual(user) => {
            if user.date_of_birth.is_none() {
                missing.push("date_of_birth");
            }
            if user.address.is_none() {
                missing.push("address");
            }
            if stored.government_id.is_none() {
                missing.push("government_id");
            }
        }
        User::Business(user) => {
            if user.tax_id.is_none() {
                missing.push("tax_id");
            }
            if user.address.is_none() {
                missing.push("address");
            }
            if user.beneficial_owners.is_empty() {
                missing.push("beneficial_owners");
            }
        }
    }
    missing
}

/// A failure of the data file, as the API answers it.
fn save_error(error: DbError) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::InternalError,
        format!("the sandbox could not save: {error}"),
    )
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}

fn summary(id: &GovernmentId) -> GovernmentIdSummary {
    let chars: Vec<char> = id.number.chars().collect();
    let last4: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    GovernmentIdSummary {
        id_type: id.id_type,
        number_last4: last4,
        issuing_country: id.issuing_country.clone(),
    }
}

fn ensure_active(user: &User) -> Result<(), ApiError> {
    if user.status() == UserStatus::Active {
        Ok(())
    } else {
        Err(ApiError::conflict(
            ErrorCode::UserNotActive,
            "The user is suspended or closed.",
        ))
    }
}

/// The key of [`State::emails`]: the API key and the email in ASCII lower case.
fn email_key(api_key: &str, email: &EmailAddress) -> (String, String) {
    (api_key.to_owned(), email.as_str().to_ascii_lowercase())
}

fn email_taken() -> ApiError {
    ApiError::conflict(
        ErrorCode::EmailTaken,
        "Another user already has this email.",
    )
    .with_detail(
        ErrorLocation::Body,
        "/email",
        FieldErrorCode::Conflict,
        "another user of this API key has this email",
    )
}

fn refuse_locked(fields: &[(&str, bool)]) -> Result<(), ApiError> {
    let details: Vec<ErrorDetail> = fields
        .iter()
        .filter(|(_, given)| *given)
        .map(|(field, _)| ErrorDetail {
            location: ErrorLocation::Body,
            field: (*field).to_owned(),
            code: FieldErrorCode::InvalidValue,
            message: "cannot change once the user is verified".to_owned(),
        })
        .collect();
    if details.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(details))
    }
}

fn wrong_kyc_data(field: &str, kind: &str) -> ApiError {
    type_mismatch(
        field,
        format!("is data for the other type of user; this user is {kind}"),
    )
}

/// `409 user_type_mismatch`: the body is valid under the spec, whose request schemas allow
/// either type, but this user is of the other type. The user's type is state the client
/// cannot see in the schema, so the answer is the documented status of a state conflict.
fn type_mismatch(field: &str, message: String) -> ApiError {
    ApiError::conflict(
        ErrorCode::UserTypeMismatch,
        "The request is for the other type of user.",
    )
    .with_detail(
        ErrorLocation::Body,
        field,
        FieldErrorCode::Conflict,
        message,
    )
}
