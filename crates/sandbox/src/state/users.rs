//! Users: creation, changes, the email index that keeps emails unique per API key, and the
//! rules that lock a verified user's identity.

use balampay_schema::users::{BusinessUser, IndividualUser};
use balampay_schema::webhooks::{UserCreatedData, UserCreatedEvent, UserCreatedTag};
use balampay_schema::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ApiError;

use super::*;

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

impl State {
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
                    address: r.address.map(Into::into),
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
                address: r.address.map(Into::into),
                beneficial_owners: records(r.beneficial_owners.unwrap_or_default()),
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
                    user.address = change.address.map(Into::into);
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
                    user.address = change.address.map(Into::into);
                }
                set(
                    &mut user.beneficial_owners,
                    change.beneficial_owners.map(records),
                );
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
}

/// Beneficial owners as sent, as the API returns them.
pub(super) fn records(owners: Vec<BeneficialOwner>) -> Vec<BeneficialOwnerRecord> {
    owners.into_iter().map(Into::into).collect()
}

pub(super) fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}

pub(super) fn summary(id: &GovernmentId) -> GovernmentIdSummary {
    let chars: Vec<char> = id.number.chars().collect();
    let last4: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    GovernmentIdSummary {
        id_type: id.id_type,
        number_last4: last4,
        issuing_country: id.issuing_country.clone(),
    }
}

pub(super) fn ensure_active(user: &User) -> Result<(), ApiError> {
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
pub(super) fn email_key(api_key: &str, email: &EmailAddress) -> (String, String) {
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

/// `409 user_type_mismatch`: the body is valid under the spec, whose request schemas allow
/// either type, but this user is of the other type. The user's type is state the client
/// cannot see in the schema, so the answer is the documented status of a state conflict.
pub(super) fn type_mismatch(field: &str, message: String) -> ApiError {
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
