//! Verification sessions: their creation, the life cycle (`pending`, `under_review`, an
//! outcome) on a schedule, and the documented test inputs that decide the outcome.

use std::time::Duration;

use balampay_schema::webhooks::{
    RejectedStatusTag, VerificationAcceptedData, VerificationAcceptedEvent,
    VerificationAcceptedTag, VerificationFailedData, VerificationFailedEvent,
    VerificationFailedTag, VerifiedStatusTag,
};
use balampay_schema::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ApiError;

use super::users::{ensure_active, records, set, summary, type_mismatch};
use super::*;

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

impl State {
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
                    user.address = data.address.map(Into::into);
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
                    user.address = data.address.map(Into::into);
                }
                set(
                    &mut user.beneficial_owners,
                    data.beneficial_owners.map(records),
                );
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
        let step_retry = &self.step_retry;
        self.scheduled.retain(
            |id| match verifications.get(id).and_then(|v| v.next.as_ref()) {
                Some((at, step)) => {
                    let backing_off = step_retry.get(id).is_some_and(|(_, retry)| *retry > now);
                    if *at <= now && !backing_off {
                        due.push((*id, step.clone()));
                    }
                    true
                }
                None => false,
            },
        );
        for (id, step) in due {
            // A step the data file refuses is rolled back with the rest of memory (see
            // `atomically`), so it stays due; it is tried again with backoff, not on every
            // tick (each failure reloads the whole file under the lock), and logged once.
            match self.atomically(|state| state.apply(id, step)) {
                Ok(_) => {
                    self.step_retry.remove(&id);
                }
                Err(error) => {
                    let failures = self.step_retry.get(&id).map_or(0, |(f, _)| *f) + 1;
                    if failures == 1 {
                        eprintln!(
                            "balampay-sandbox: cannot take the next step of verification session {id} ({}); it is retried with backoff",
                            error.message
                        );
                    }
                    let delay_ms = (100u64 << failures.min(10)).min(60_000);
                    self.step_retry
                        .insert(id, (failures, now.saturating_add(delay_ms)));
                }
            }
        }
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

fn wrong_kyc_data(field: &str, kind: &str) -> ApiError {
    type_mismatch(
        field,
        format!("is data for the other type of user; this user is {kind}"),
    )
}
