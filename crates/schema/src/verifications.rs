//! Verification sessions (KYC for individuals, KYB for businesses).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::common::{Address, GovernmentId, KycType, VerificationStatus, VerificationType};
use crate::scalars::{ApiTag, Date, EmbeddedLinkTag, TaxId, Timestamp};
use crate::union::deserialize_by_tag;
use crate::users::BeneficialOwner;

/// Starts a hosted session: the response's `provider_link` is a page where the user completes
/// the check, after which the user is sent to `redirect_uri`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmbeddedLinkVerificationRequest {
    /// Always `embedded-link`.
    #[schema(inline)]
    pub r#type: EmbeddedLinkTag,
    /// Where the user's browser goes when the check ends; the query string gains
    /// `verification_id` and `status`.
    #[schema(
        format = "uri",
        max_length = 2048,
        example = "https://yourapp.com/verification-complete"
    )]
    #[schemars(url, length(max = 2048))]
    pub redirect_uri: String,
    /// The depth of verification to perform (default `simplified`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kyc_type: Option<KycType>,
}

/// KYC data of an individual, sent with an `api` session. Each field given replaces the one
/// stored on the user before the check runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndividualKycData {
    /// Date of birth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<Date>,
    /// Home address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Government-issued identity document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub government_id: Option<GovernmentId>,
}

/// KYB data of a business, sent with an `api` session. Each field given replaces the one
/// stored on the user before the check runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BusinessKycData {
    /// Employer identification number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_id: Option<TaxId>,
    /// Registered business address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// People who own or control the business.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_items = 1, max_items = 10)]
    #[schemars(length(min = 1, max = 10))]
    pub beneficial_owners: Option<Vec<BeneficialOwner>>,
}

/// Runs the check on data sent in the request (merged over what the user already has).
/// Send `individual` for an individual user or `business` for a business user, not both.
/// Data that verification needs and that neither the request nor the user has makes the
/// session end `rejected`, with a reason naming what was missing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiVerificationRequest {
    /// Always `api`.
    #[schema(inline)]
    pub r#type: ApiTag,
    /// The depth of verification to perform (default `simplified`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kyc_type: Option<KycType>,
    /// KYC data, for an individual user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub individual: Option<IndividualKycData>,
    /// KYB data, for a business user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business: Option<BusinessKycData>,
}

/// The request body of `createVerification`: a hosted (`embedded-link`) or a direct (`api`)
/// session, told apart by `type`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema, JsonSchema)]
#[serde(untagged)]
#[schema(discriminator(property_name = "type", mapping(
    ("embedded-link" = "#/components/schemas/EmbeddedLinkVerificationRequest"),
    ("api" = "#/components/schemas/ApiVerificationRequest"),
)))]
// One request body is built per call, so the size difference between the branches costs
// nothing worth a `Box` in every caller's code.
#[allow(clippy::large_enum_variant)]
pub enum CreateVerificationRequest {
    /// A hosted session.
    EmbeddedLink(EmbeddedLinkVerificationRequest),
    /// A direct session.
    Api(ApiVerificationRequest),
}

deserialize_by_tag!(CreateVerificationRequest, "type", {
    "embedded-link" => EmbeddedLink(EmbeddedLinkVerificationRequest),
    "api" => Api(ApiVerificationRequest),
});

/// Why a verification was rejected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct RejectionReason {
    /// A reason fit to show the user.
    #[schema(
        min_length = 1,
        max_length = 500,
        example = "Your information could not be verified"
    )]
    #[schemars(length(min = 1, max = 500))]
    pub reason: String,
    /// A reason for you, the developer: what to fix before retrying.
    #[schema(
        min_length = 1,
        max_length = 1000,
        example = "Inconsistent details between submissions."
    )]
    #[schemars(length(min = 1, max = 1000))]
    pub developer_reason: String,
    /// When the reason was recorded.
    pub created_at: Timestamp,
}

/// A verification session of one user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct Verification {
    /// The session's id.
    pub id: Uuid,
    /// The user being verified.
    pub user_id: Uuid,
    /// How the session collects data.
    pub r#type: VerificationType,
    /// Where the session stands; never `unverified`.
    pub status: VerificationStatus,
    /// The depth of verification performed.
    pub kyc_type: KycType,
    /// The limits tier granted, once `verified`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 3, example = 1)]
    #[schemars(range(min = 1, max = 3))]
    pub tier: Option<u8>,
    /// The hosted page where the user completes the check (`embedded-link` sessions only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = "uri", example = "https://verify.balampay.com/s/4b8f0a0e")]
    #[schemars(url)]
    pub provider_link: Option<String>,
    /// Where the user returns after the hosted page (`embedded-link` sessions only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = "uri", example = "https://yourapp.com/verification-complete")]
    #[schemars(url)]
    pub redirect_uri: Option<String>,
    /// Why the session was rejected; empty unless `status` is `rejected`.
    pub reasons: Vec<RejectionReason>,
    /// When the session was created.
    pub created_at: Timestamp,
    /// When the session last changed.
    pub updated_at: Timestamp,
    /// When the session reached `verified` or `rejected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
}

/// One page of a user's verification sessions, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct VerificationList {
    /// The sessions of this page.
    pub data: Vec<Verification>,
    /// Whether more sessions follow this page.
    pub has_more: bool,
    /// The cursor of the next page, present exactly when `has_more` is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 200)]
    #[schemars(length(min = 1, max = 200))]
    pub next_cursor: Option<String>,
}

/// The query string of `listVerifications`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListVerificationsQuery {
    /// How many sessions to return, from 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20, nullable = false)]
    pub limit: Option<u8>,
    /// The `next_cursor` of the previous page; absent for the first page.
    #[param(min_length = 1, max_length = 200, nullable = false)]
    pub cursor: Option<String>,
    /// Only sessions with this status.
    #[param(nullable = false)]
    pub status: Option<VerificationStatus>,
}
