//! Users: the requests that create and update them, the resource, and its list page.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::common::{
    Address, AddressRecord, GovernmentId, GovernmentIdSummary, KycType, UserStatus, UserType,
    VerificationStatus,
};
use crate::scalars::{
    BusinessTag, CountryCode, Date, EmailAddress, IndividualTag, Metadata, PhoneNumber, TaxId,
    Timestamp,
};
use crate::union::deserialize_by_tag;

/// How many beneficial owners a business lists at most.
pub const MAX_BENEFICIAL_OWNERS: usize = 10;

/// A person who owns or controls a business, as sent: a closed object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BeneficialOwner {
    /// Given name.
    #[schema(min_length = 1, max_length = 100, example = "Maria")]
    #[schemars(length(min = 1, max = 100))]
    pub first_name: String,
    /// Family name.
    #[schema(min_length = 1, max_length = 100, example = "Gonzalez")]
    #[schemars(length(min = 1, max = 100))]
    pub last_name: String,
    /// Date of birth.
    pub date_of_birth: Date,
    /// The share of the business this person owns, in whole percent (0 for a person who
    /// controls the business without owning it).
    #[schema(minimum = 0, maximum = 100, example = 60)]
    #[schemars(range(min = 0, max = 100))]
    pub ownership_percentage: u8,
    /// Home address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

/// A person who owns or controls a business, as the API returns them: the fields of
/// [`BeneficialOwner`] in an open object (a response may gain optional fields).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct BeneficialOwnerRecord {
    /// Given name.
    #[schema(min_length = 1, max_length = 100, example = "Maria")]
    #[schemars(length(min = 1, max = 100))]
    pub first_name: String,
    /// Family name.
    #[schema(min_length = 1, max_length = 100, example = "Gonzalez")]
    #[schemars(length(min = 1, max = 100))]
    pub last_name: String,
    /// Date of birth.
    pub date_of_birth: Date,
    /// The share of the business this person owns, in whole percent (0 for a person who
    /// controls the business without owning it).
    #[schema(minimum = 0, maximum = 100, example = 60)]
    #[schemars(range(min = 0, max = 100))]
    pub ownership_percentage: u8,
    /// Home address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<AddressRecord>,
}

impl From<BeneficialOwner> for BeneficialOwnerRecord {
    fn from(owner: BeneficialOwner) -> Self {
        Self {
            first_name: owner.first_name,
            last_name: owner.last_name,
            date_of_birth: owner.date_of_birth,
            ownership_percentage: owner.ownership_percentage,
            address: owner.address.map(AddressRecord::from),
        }
    }
}

/// The request body that creates an individual user.
///
/// Only the contact fields are needed to create the user; date of birth, address and
/// government ID are needed before a verification can succeed, and may be given now, later
/// with `updateUser`, or in an `api` verification session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIndividualUserRequest {
    /// Always `individual`.
    #[schema(inline)]
    pub r#type: IndividualTag,
    /// Contact email.
    pub email: EmailAddress,
    /// Contact phone number.
    pub phone_number: PhoneNumber,
    /// Given name.
    #[schema(min_length = 1, max_length = 100, example = "John")]
    #[schemars(length(min = 1, max = 100))]
    pub first_name: String,
    /// Family name.
    #[schema(min_length = 1, max_length = 100, example = "Doe")]
    #[schemars(length(min = 1, max = 100))]
    pub last_name: String,
    /// Country of residence.
    pub country: CountryCode,
    /// Date of birth (needed for verification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<Date>,
    /// Home address (needed for verification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Government-issued identity document (needed for verification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub government_id: Option<GovernmentId>,
    /// Your own key-value pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// The request body that creates a business user.
///
/// Tax ID, address and beneficial owners are needed before a verification can succeed, and
/// may be given now, later with `updateUser`, or in an `api` verification session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBusinessUserRequest {
    /// Always `business`.
    #[schema(inline)]
    pub r#type: BusinessTag,
    /// Contact email.
    pub email: EmailAddress,
    /// Contact phone number.
    pub phone_number: PhoneNumber,
    /// Registered business name.
    #[schema(min_length = 1, max_length = 200, example = "Acme Logistics LLC")]
    #[schemars(length(min = 1, max = 200))]
    pub business_name: String,
    /// Country of incorporation.
    pub country: CountryCode,
    /// Employer identification number (needed for verification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_id: Option<TaxId>,
    /// Registered business address (needed for verification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// People who own or control the business (needed for verification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_items = 1, max_items = 10)]
    #[schemars(length(min = 1, max = 10))]
    pub beneficial_owners: Option<Vec<BeneficialOwner>>,
    /// Your own key-value pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// The request body of `createUser`: an individual or a business, told apart by `type`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema, JsonSchema)]
#[serde(untagged)]
#[schema(discriminator(property_name = "type", mapping(
    ("individual" = "#/components/schemas/CreateIndividualUserRequest"),
    ("business" = "#/components/schemas/CreateBusinessUserRequest"),
)))]
pub enum CreateUserRequest {
    /// Creates an individual user.
    Individual(CreateIndividualUserRequest),
    /// Creates a business user.
    Business(CreateBusinessUserRequest),
}

deserialize_by_tag!(CreateUserRequest, "type", {
    "individual" => Individual(CreateIndividualUserRequest),
    "business" => Business(CreateBusinessUserRequest),
});

/// The request body that changes an individual user: every field given replaces the stored
/// one; absent fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIndividualUserRequest {
    /// Always `individual`; it must match the stored user's type.
    #[schema(inline)]
    pub r#type: IndividualTag,
    /// Contact email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailAddress>,
    /// Contact phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<PhoneNumber>,
    /// Given name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 100, example = "John")]
    #[schemars(length(min = 1, max = 100))]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 100, example = "Doe")]
    #[schemars(length(min = 1, max = 100))]
    pub last_name: Option<String>,
    /// Country of residence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<CountryCode>,
    /// Date of birth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<Date>,
    /// Home address (replaces the stored address whole).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Government-issued identity document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub government_id: Option<GovernmentId>,
    /// Your own key-value pairs (replaces the stored map whole; `{}` clears it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// The request body that changes a business user: every field given replaces the stored
/// one; absent fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBusinessUserRequest {
    /// Always `business`; it must match the stored user's type.
    #[schema(inline)]
    pub r#type: BusinessTag,
    /// Contact email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailAddress>,
    /// Contact phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<PhoneNumber>,
    /// Registered business name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 200, example = "Acme Logistics LLC")]
    #[schemars(length(min = 1, max = 200))]
    pub business_name: Option<String>,
    /// Country of incorporation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<CountryCode>,
    /// Employer identification number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_id: Option<TaxId>,
    /// Registered business address (replaces the stored address whole).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// People who own or control the business (replaces the stored list whole).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_items = 1, max_items = 10)]
    #[schemars(length(min = 1, max = 10))]
    pub beneficial_owners: Option<Vec<BeneficialOwner>>,
    /// Your own key-value pairs (replaces the stored map whole; `{}` clears it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// The request body of `updateUser`. Its `type` must be the stored user's type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema, JsonSchema)]
#[serde(untagged)]
#[schema(discriminator(property_name = "type", mapping(
    ("individual" = "#/components/schemas/UpdateIndividualUserRequest"),
    ("business" = "#/components/schemas/UpdateBusinessUserRequest"),
)))]
pub enum UpdateUserRequest {
    /// Changes an individual user.
    Individual(UpdateIndividualUserRequest),
    /// Changes a business user.
    Business(UpdateBusinessUserRequest),
}

deserialize_by_tag!(UpdateUserRequest, "type", {
    "individual" => Individual(UpdateIndividualUserRequest),
    "business" => Business(UpdateBusinessUserRequest),
});

/// An individual user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct IndividualUser {
    /// The user's id.
    pub id: Uuid,
    /// Always `individual`.
    #[schema(inline)]
    pub r#type: IndividualTag,
    /// Account status.
    pub status: UserStatus,
    /// Identity verification status.
    pub verification_status: VerificationStatus,
    /// Contact email.
    pub email: EmailAddress,
    /// Contact phone number.
    pub phone_number: PhoneNumber,
    /// Given name.
    #[schema(min_length = 1, max_length = 100, example = "John")]
    #[schemars(length(min = 1, max = 100))]
    pub first_name: String,
    /// Family name.
    #[schema(min_length = 1, max_length = 100, example = "Doe")]
    #[schemars(length(min = 1, max = 100))]
    pub last_name: String,
    /// Country of residence.
    pub country: CountryCode,
    /// Date of birth, once given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<Date>,
    /// Home address, once given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<AddressRecord>,
    /// The government ID on file, without its full number, once given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub government_id: Option<GovernmentIdSummary>,
    /// The depth of the successful verification, once verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kyc_type: Option<KycType>,
    /// The limits tier granted by verification, once verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 3, example = 1)]
    #[schemars(range(min = 1, max = 3))]
    pub tier: Option<u8>,
    /// Your own key-value pairs (`{}` when none were set).
    pub metadata: Metadata,
    /// When the user was created.
    pub created_at: Timestamp,
    /// When the user last changed.
    pub updated_at: Timestamp,
}

/// A business user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct BusinessUser {
    /// The user's id.
    pub id: Uuid,
    /// Always `business`.
    #[schema(inline)]
    pub r#type: BusinessTag,
    /// Account status.
    pub status: UserStatus,
    /// Identity verification status.
    pub verification_status: VerificationStatus,
    /// Contact email.
    pub email: EmailAddress,
    /// Contact phone number.
    pub phone_number: PhoneNumber,
    /// Registered business name.
    #[schema(min_length = 1, max_length = 200, example = "Acme Logistics LLC")]
    #[schemars(length(min = 1, max = 200))]
    pub business_name: String,
    /// Country of incorporation.
    pub country: CountryCode,
    /// Employer identification number, once given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_id: Option<TaxId>,
    /// Registered business address, once given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<AddressRecord>,
    /// People who own or control the business (empty until given).
    #[schema(max_items = 10)]
    #[schemars(length(max = 10))]
    pub beneficial_owners: Vec<BeneficialOwnerRecord>,
    /// The depth of the successful verification, once verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kyc_type: Option<KycType>,
    /// The limits tier granted by verification, once verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 3, example = 1)]
    #[schemars(range(min = 1, max = 3))]
    pub tier: Option<u8>,
    /// Your own key-value pairs (`{}` when none were set).
    pub metadata: Metadata,
    /// When the user was created.
    pub created_at: Timestamp,
    /// When the user last changed.
    pub updated_at: Timestamp,
}

/// A user: an individual or a business, told apart by `type`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema, JsonSchema)]
#[serde(untagged)]
#[schema(discriminator(property_name = "type", mapping(
    ("individual" = "#/components/schemas/IndividualUser"),
    ("business" = "#/components/schemas/BusinessUser"),
)))]
pub enum User {
    /// An individual user.
    Individual(IndividualUser),
    /// A business user.
    Business(BusinessUser),
}

deserialize_by_tag!(User, "type", {
    "individual" => Individual(IndividualUser),
    "business" => Business(BusinessUser),
});

impl User {
    /// The user's id, whatever its kind.
    pub fn id(&self) -> Uuid {
        match self {
            User::Individual(user) => user.id,
            User::Business(user) => user.id,
        }
    }

    /// The user's kind.
    pub fn user_type(&self) -> UserType {
        match self {
            User::Individual(_) => UserType::Individual,
            User::Business(_) => UserType::Business,
        }
    }

    /// The contact email, whatever the kind.
    pub fn email(&self) -> &EmailAddress {
        match self {
            User::Individual(user) => &user.email,
            User::Business(user) => &user.email,
        }
    }

    /// The contact phone number, whatever the kind.
    pub fn phone_number(&self) -> &PhoneNumber {
        match self {
            User::Individual(user) => &user.phone_number,
            User::Business(user) => &user.phone_number,
        }
    }

    /// The partner's metadata, whatever the kind.
    pub fn metadata(&self) -> &Metadata {
        match self {
            User::Individual(user) => &user.metadata,
            User::Business(user) => &user.metadata,
        }
    }

    /// The account status, whatever the kind.
    pub fn status(&self) -> UserStatus {
        match self {
            User::Individual(user) => user.status,
            User::Business(user) => user.status,
        }
    }

    /// The verification status, whatever the kind.
    pub fn verification_status(&self) -> VerificationStatus {
        match self {
            User::Individual(user) => user.verification_status,
            User::Business(user) => user.verification_status,
        }
    }

    /// Sets the account status as of `at`.
    pub fn set_status(&mut self, status: UserStatus, at: Timestamp) {
        match self {
            User::Individual(user) => (user.status, user.updated_at) = (status, at),
            User::Business(user) => (user.status, user.updated_at) = (status, at),
        }
    }

    /// Sets the verification status as of `at` and, once verified, the depth and tier
    /// granted.
    pub fn set_verification(
        &mut self,
        status: VerificationStatus,
        granted: Option<(KycType, u8)>,
        at: Timestamp,
    ) {
        let (verification_status, kyc_type, tier, updated_at) = match self {
            User::Individual(user) => (
                &mut user.verification_status,
                &mut user.kyc_type,
                &mut user.tier,
                &mut user.updated_at,
            ),
            User::Business(user) => (
                &mut user.verification_status,
                &mut user.kyc_type,
                &mut user.tier,
                &mut user.updated_at,
            ),
        };
        *verification_status = status;
        if let Some((granted_type, granted_tier)) = granted {
            *kyc_type = Some(granted_type);
            *tier = Some(granted_tier);
        }
        *updated_at = at;
    }
}

/// One page of users, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, JsonSchema)]
pub struct UserList {
    /// The users of this page.
    pub data: Vec<User>,
    /// Whether more users follow this page.
    pub has_more: bool,
    /// The cursor of the next page, present exactly when `has_more` is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 200)]
    #[schemars(length(min = 1, max = 200))]
    pub next_cursor: Option<String>,
}

/// The query string of `listUsers`: page size, cursor and filters (all filters must match).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListUsersQuery {
    /// How many users to return, from 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20, nullable = false)]
    pub limit: Option<u8>,
    /// The `next_cursor` of the previous page; absent for the first page.
    #[param(min_length = 1, max_length = 200, nullable = false)]
    pub cursor: Option<String>,
    /// Only users of this kind.
    #[param(nullable = false)]
    pub r#type: Option<UserType>,
    /// Only users with this account status.
    #[param(nullable = false)]
    pub status: Option<UserStatus>,
    /// Only users with this verification status.
    #[param(nullable = false)]
    pub verification_status: Option<VerificationStatus>,
    /// Only the user with this email (compared without regard to case).
    #[param(value_type = Option<String>, format = "email", max_length = 254, nullable = false)]
    pub email: Option<EmailAddress>,
}
