//! Webhook events, exactly as the vendor's docs show them (quirks included).
//!
//! Every delivery is a JSON object `{"event": "<name>", "data": {...}}`. The payloads are
//! described as the API really sends them, not as a tidier API would: `user.created` says
//! `phone` rather than `phone_number`, and its `created_at` is `2026-01-14 20:27:54.863`
//! (a space, no zone), while the rejection reasons of `user.verification.failed` carry
//! RFC 3339 timestamps.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::common::{KycType, UserStatus, UserType, VerificationStatus};
use crate::scalars::{EmailAddress, LegacyTimestamp, Metadata, PhoneNumber, tag_type};
use crate::union::deserialize_by_tag;
use crate::verifications::RejectionReason;

tag_type!(
    /// The event name `"user.created"`.
    UserCreatedTag = "user.created"
);
tag_type!(
    /// The event name `"user.verification.accepted"`.
    VerificationAcceptedTag = "user.verification.accepted"
);
tag_type!(
    /// The event name `"user.verification.failed"`.
    VerificationFailedTag = "user.verification.failed"
);
tag_type!(
    /// The status `"verified"`, the only one a `user.verification.accepted` event carries.
    VerifiedStatusTag = "verified"
);
tag_type!(
    /// The status `"rejected"`, the only one a `user.verification.failed` event carries.
    RejectedStatusTag = "rejected"
);

/// The payload of `user.created`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct UserCreatedData {
    /// The id of this event; deliveries of the same event repeat it, so use it to drop
    /// duplicates.
    pub event_id: Uuid,
    /// The new user's id.
    pub user_id: Uuid,
    /// The new user's kind.
    pub r#type: UserType,
    /// The new user's email.
    pub email: EmailAddress,
    /// The new user's phone number (named `phone` here, unlike `phone_number` in the REST API).
    pub phone: PhoneNumber,
    /// The new user's account status.
    pub status: UserStatus,
    /// The new user's verification status (`unverified` for a new user).
    pub verification_status: VerificationStatus,
    /// When the user was created: UTC, written `YYYY-MM-DD HH:MM:SS.mmm` (not RFC 3339).
    pub created_at: LegacyTimestamp,
    /// The new user's metadata.
    pub metadata: Metadata,
}

/// The payload of `user.verification.accepted`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct VerificationAcceptedData {
    /// The id of this event; deliveries of the same event repeat it.
    pub event_id: Uuid,
    /// The verification session's id.
    pub id: Uuid,
    /// The verified user's id.
    pub user_id: Uuid,
    /// Always `verified`.
    #[schema(inline)]
    pub verification_status: VerifiedStatusTag,
    /// The depth of the verification: `simplified` or `full`.
    pub kyc_type: KycType,
    /// The limits tier granted.
    #[schema(minimum = 1, maximum = 3, example = 1)]
    #[schemars(range(min = 1, max = 3))]
    pub tier: u8,
}

/// The payload of `user.verification.failed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct VerificationFailedData {
    /// The id of this event; deliveries of the same event repeat it.
    pub event_id: Uuid,
    /// The verification session's id.
    pub id: Uuid,
    /// The rejected user's id.
    pub user_id: Uuid,
    /// Always `rejected`.
    #[schema(inline)]
    pub verification_status: RejectedStatusTag,
    /// Why the verification failed: user-facing and developer-facing explanations.
    #[schema(min_items = 1)]
    #[schemars(length(min = 1))]
    pub reasons: Vec<RejectionReason>,
}

/// The `user.created` webhook: a user was created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct UserCreatedEvent {
    /// Always `user.created`.
    #[schema(inline)]
    pub event: UserCreatedTag,
    /// The event's payload.
    pub data: UserCreatedData,
}

/// The `user.verification.accepted` webhook: a verification was approved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct VerificationAcceptedEvent {
    /// Always `user.verification.accepted`.
    #[schema(inline)]
    pub event: VerificationAcceptedTag,
    /// The event's payload.
    pub data: VerificationAcceptedData,
}

/// The `user.verification.failed` webhook: a verification was rejected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct VerificationFailedEvent {
    /// Always `user.verification.failed`.
    #[schema(inline)]
    pub event: VerificationFailedTag,
    /// The event's payload.
    pub data: VerificationFailedData,
}

/// Any webhook delivery, told apart by `event`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema, JsonSchema)]
#[serde(untagged)]
#[schema(discriminator(property_name = "event", mapping(
    ("user.created" = "#/components/schemas/UserCreatedEvent"),
    ("user.verification.accepted" = "#/components/schemas/VerificationAcceptedEvent"),
    ("user.verification.failed" = "#/components/schemas/VerificationFailedEvent"),
)))]
pub enum WebhookEvent {
    /// `user.created`.
    UserCreated(UserCreatedEvent),
    /// `user.verification.accepted`.
    VerificationAccepted(VerificationAcceptedEvent),
    /// `user.verification.failed`.
    VerificationFailed(VerificationFailedEvent),
}

deserialize_by_tag!(WebhookEvent, "event", {
    "user.created" => UserCreated(UserCreatedEvent),
    "user.verification.accepted" => VerificationAccepted(VerificationAcceptedEvent),
    "user.verification.failed" => VerificationFailed(VerificationFailedEvent),
});

/// One webhook event as published: its name, the schema component of its envelope, and a
/// description for the spec.
#[derive(Clone, Copy, Debug)]
pub struct WebhookSpec {
    /// The event name, as in the envelope's `event`.
    pub name: &'static str,
    /// The name of the envelope's schema component.
    pub component: &'static str,
    /// The id of the webhook's operation in the OpenAPI document.
    pub operation_id: &'static str,
    /// A one-line summary.
    pub summary: &'static str,
    /// When BalamPay sends it.
    pub description: &'static str,
}

/// Every webhook event the API sends, in the order the docs list them.
pub const WEBHOOKS: &[WebhookSpec] = &[
    WebhookSpec {
        name: "user.created",
        component: "UserCreatedEvent",
        operation_id: "userCreatedWebhook",
        summary: "A user was created",
        description: "Sent when a new user is created. Note the payload's quirks: the phone number is named `phone`, and `created_at` is written `2026-01-14 20:27:54.863` (UTC, a space, no zone).",
    },
    WebhookSpec {
        name: "user.verification.accepted",
        component: "VerificationAcceptedEvent",
        operation_id: "userVerificationAcceptedWebhook",
        summary: "A verification was approved",
        description: "Sent when a user's verification is approved. `kyc_type` is `simplified` or `full`, depending on the verification level.",
    },
    WebhookSpec {
        name: "user.verification.failed",
        component: "VerificationFailedEvent",
        operation_id: "userVerificationFailedWebhook",
        summary: "A verification was rejected",
        description: "Sent when a user's verification is rejected. `reasons` explains why, for the user (`reason`) and for you (`developer_reason`).",
    },
];

/// The standalone JSON Schema (draft 2020-12) of one webhook event's envelope, with a
/// `$id`-free root so that it can be published under any URL.
pub fn webhook_json_schema(name: &str) -> Option<schemars::Schema> {
    let generator = crate::spec::schema_generator();
    let schema = match name {
        "user.created" => generator.into_root_schema_for::<UserCreatedEvent>(),
        "user.verification.accepted" => {
            generator.into_root_schema_for::<VerificationAcceptedEvent>()
        }
        "user.verification.failed" => generator.into_root_schema_for::<VerificationFailedEvent>(),
        _ => return None,
    };
    Some(schema)
}
