//! Closed enumerations and small objects that users and verifications share.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::scalars::CountryCode;

/// The two kinds of user. It is also the discriminator (`type`) of every user union.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserType {
    /// A person who receives payments directly: a freelancer, contractor or individual
    /// service provider.
    Individual,
    /// A company or organization: a small business, corporation or partnership.
    Business,
}

/// The account status of a user, independent of its identity verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// The user can be used (every new user starts here).
    Active,
    /// BalamPay suspended the user; it can be read but not changed or verified.
    Suspended,
    /// The user was closed for good; it can be read but not changed or verified.
    Closed,
}

/// Where a user, or one verification session, stands in identity verification (KYC for
/// individuals, KYB for businesses).
///
/// A user starts `unverified`; a verification session moves it to `pending`, possibly to
/// `under_review`, and ends in `verified` or `rejected`. A rejected user may start a new
/// session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    /// User created but not verified. Next: create a verification session.
    Unverified,
    /// Verification in progress. Next: wait for completion.
    Pending,
    /// Manual review required. Next: wait for approval.
    UnderReview,
    /// Approved: the user can create virtual accounts.
    Verified,
    /// Rejected: review the reasons; the user may retry.
    Rejected,
}

/// The depth of a successful verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KycType {
    /// Simplified due diligence, with lower limits.
    Simplified,
    /// Full due diligence.
    Full,
}

/// How a verification session collects the user's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, JsonSchema)]
pub enum VerificationType {
    /// The user completes the check on a hosted page (`provider_link`) and returns to your
    /// `redirect_uri`.
    #[serde(rename = "embedded-link")]
    EmbeddedLink,
    /// You send the KYC/KYB data in the request.
    #[serde(rename = "api")]
    Api,
}

/// The kind of a government-issued identity document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GovernmentIdType {
    /// A passport.
    Passport,
    /// A national identity card.
    NationalId,
    /// A driver's license.
    DriversLicense,
    /// A US social security number.
    Ssn,
    /// A tax identification number issued to a person.
    TaxId,
}

/// A postal address, as sent: a closed object (an unknown field is `422 unknown_field`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// Street address, first line.
    #[schema(min_length = 1, max_length = 200, example = "350 Fifth Avenue")]
    #[schemars(length(min = 1, max = 200))]
    pub line1: String,
    /// Street address, second line (apartment, suite, floor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 200, example = "Suite 2100")]
    #[schemars(length(min = 1, max = 200))]
    pub line2: Option<String>,
    /// City or locality.
    #[schema(min_length = 1, max_length = 100, example = "New York")]
    #[schemars(length(min = 1, max = 100))]
    pub city: String,
    /// State, province or region, where the country has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 100, example = "NY")]
    #[schemars(length(min = 1, max = 100))]
    pub region: Option<String>,
    /// Postal or ZIP code, where the country has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 20, example = "10118")]
    #[schemars(length(min = 1, max = 20))]
    pub postal_code: Option<String>,
    /// The country of the address.
    pub country: CountryCode,
}

/// A postal address as the API returns it: the same fields as [`Address`], in an open
/// object (a response may gain optional fields; clients ignore the ones they do not know).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct AddressRecord {
    /// Street address, first line.
    #[schema(min_length = 1, max_length = 200, example = "350 Fifth Avenue")]
    #[schemars(length(min = 1, max = 200))]
    pub line1: String,
    /// Street address, second line (apartment, suite, floor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 200, example = "Suite 2100")]
    #[schemars(length(min = 1, max = 200))]
    pub line2: Option<String>,
    /// City or locality.
    #[schema(min_length = 1, max_length = 100, example = "New York")]
    #[schemars(length(min = 1, max = 100))]
    pub city: String,
    /// State, province or region, where the country has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 100, example = "NY")]
    #[schemars(length(min = 1, max = 100))]
    pub region: Option<String>,
    /// Postal or ZIP code, where the country has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 20, example = "10118")]
    #[schemars(length(min = 1, max = 20))]
    pub postal_code: Option<String>,
    /// The country of the address.
    pub country: CountryCode,
}

impl From<Address> for AddressRecord {
    fn from(address: Address) -> Self {
        Self {
            line1: address.line1,
            line2: address.line2,
            city: address.city,
            region: address.region,
            postal_code: address.postal_code,
            country: address.country,
        }
    }
}

/// A government-issued identity document, as sent by the partner. The full number is
/// write-only: responses carry a [`GovernmentIdSummary`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GovernmentId {
    /// The kind of document.
    #[serde(rename = "type")]
    pub id_type: GovernmentIdType,
    /// The document number as printed on it.
    #[schema(
        min_length = 4,
        max_length = 64,
        pattern = "^[A-Za-z0-9 -]+$",
        example = "X12345678"
    )]
    #[schemars(length(min = 4, max = 64), regex(pattern = "^[A-Za-z0-9 -]+$"))]
    pub number: String,
    /// The country that issued the document.
    pub issuing_country: CountryCode,
}

/// What a response says about a government ID: its kind, issuer and last four characters,
/// never the full number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct GovernmentIdSummary {
    /// The kind of document.
    #[serde(rename = "type")]
    pub id_type: GovernmentIdType,
    /// The last four characters of the document number.
    #[schema(min_length = 1, max_length = 4, example = "5678")]
    #[schemars(length(min = 1, max = 4))]
    pub number_last4: String,
    /// The country that issued the document.
    pub issuing_country: CountryCode,
}
