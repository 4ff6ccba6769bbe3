//! The examples published in the spec, built from the Rust types so that they cannot drift
//! from the schemas (a test also validates each one against its schema).
//!
//! Where the vendor's docs have an example, it is used as is, except that every email reads
//! `john.doe@example.com` style instead of the docs' `[email protected]`, which is an
//! artefact of how the docs page was saved.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::common::{
    Address, GovernmentId, GovernmentIdSummary, GovernmentIdType, KycType, UserStatus, UserType,
    VerificationStatus, VerificationType,
};
use crate::errors::{ErrorBody, ErrorCode, ErrorDetail, ErrorLocation, FieldErrorCode};
use crate::scalars::{
    ApiTag, BusinessTag, CountryCode, EmbeddedLinkTag, IndividualTag, Metadata, Timestamp,
};
use crate::users::{
    BeneficialOwner, BusinessUser, CreateBusinessUserRequest, CreateIndividualUserRequest,
    CreateUserRequest, IndividualUser, UpdateIndividualUserRequest, UpdateUserRequest, User,
    UserList,
};
use crate::verifications::{
    ApiVerificationRequest, CreateVerificationRequest, EmbeddedLinkVerificationRequest,
    IndividualKycData, RejectionReason, Verification, VerificationList,
};
use crate::webhooks::{
    RejectedStatusTag, UserCreatedData, UserCreatedEvent, UserCreatedTag, VerificationAcceptedData,
    VerificationAcceptedEvent, VerificationAcceptedTag, VerificationFailedData,
    VerificationFailedEvent, VerificationFailedTag, VerifiedStatusTag,
};

/// A named example, as OpenAPI's Example Object publishes it.
#[derive(Clone, Debug)]
pub struct Example {
    /// The key of the example in its media type's `examples` map.
    pub key: &'static str,
    /// A one-line summary.
    pub summary: &'static str,
    /// The example value.
    pub value: Value,
}

fn example(key: &'static str, summary: &'static str, value: impl Serialize) -> Example {
    let value = match serde_json::to_value(value) {
        Ok(value) => value,
        // The examples are values of this crate's own types, whose serialization cannot fail
        // (no maps with non-string keys, no failing `Serialize` impls).
        Err(error) => panic!("example {key} does not serialize: {error}"),
    };
    Example {
        key,
        summary,
        value,
    }
}

fn uuid(text: &str) -> Uuid {
    match Uuid::parse_str(text) {
        Ok(id) => id,
        Err(error) => panic!("example id {text} is not a uuid: {error}"),
    }
}

const INDIVIDUAL_ID: &str = "6487276d-e86c-46ad-bc7b-afe43310ae01";
const BUSINESS_ID: &str = "147ba2c0-0637-4949-b0e2-f89d228b69c8";
const VERIFICATION_ID: &str = "bb3d93c1-9371-4f1f-8c4e-205709e399b0";

fn new_york_address() -> Address {
    Address {
        line1: "350 Fifth Avenue".into(),
        line2: Some("Suite 2100".into()),
        city: "New York".into(),
        region: Some("NY".into()),
        postal_code: Some("10118".into()),
        country: CountryCode::from("US"),
    }
}

fn crm_metadata() -> Metadata {
    Metadata(BTreeMap::from([(
        "crm_id".to_owned(),
        "cus_8842".to_owned(),
    )]))
}

fn create_individual() -> CreateIndividualUserRequest {
    CreateIndividualUserRequest {
        r#type: IndividualTag,
        email: "john.doe@example.com".into(),
        phone_number: "+1234567890".into(),
        first_name: "John".into(),
        last_name: "Doe".into(),
        country: "US".into(),
        date_of_birth: None,
        address: None,
        government_id: None,
        metadata: None,
    }
}

fn create_business() -> CreateBusinessUserRequest {
    CreateBusinessUserRequest {
        r#type: BusinessTag,
        email: "finance@acme-logistics.example".into(),
        phone_number: "+12125550123".into(),
        business_name: "Acme Logistics LLC".into(),
        country: "US".into(),
        tax_id: Some("12-3456789".into()),
        address: Some(new_york_address()),
        beneficial_owners: Some(vec![BeneficialOwner {
            first_name: "Maria".into(),
            last_name: "Gonzalez".into(),
            date_of_birth: "1984-09-02".into(),
            ownership_percentage: 60,
            address: None,
        }]),
        metadata: Some(crm_metadata()),
    }
}

fn individual_user() -> IndividualUser {
    let request = create_individual();
    IndividualUser {
        id: uuid(INDIVIDUAL_ID),
        r#type: IndividualTag,
        status: UserStatus::Active,
        verification_status: VerificationStatus::Unverified,
        email: request.email,
        phone_number: request.phone_number,
        first_name: request.first_name,
        last_name: request.last_name,
        country: request.country,
        date_of_birth: None,
        address: None,
        government_id: None,
        kyc_type: None,
        tier: None,
        metadata: Metadata::default(),
        created_at: Timestamp::from("2026-01-14T20:27:54.863Z"),
        updated_at: Timestamp::from("2026-01-14T20:27:54.863Z"),
    }
}

fn verified_individual_user() -> IndividualUser {
    IndividualUser {
        verification_status: VerificationStatus::Verified,
        date_of_birth: Some("1990-04-21".into()),
        address: Some(new_york_address().into()),
        government_id: Some(GovernmentIdSummary {
            id_type: GovernmentIdType::Passport,
            number_last4: "5678".into(),
            issuing_country: "US".into(),
        }),
        kyc_type: Some(KycType::Simplified),
        tier: Some(1),
        updated_at: Timestamp::from("2026-01-15T09:12:03.120Z"),
        ..individual_user()
    }
}

fn business_user() -> BusinessUser {
    let request = create_business();
    BusinessUser {
        id: uuid(BUSINESS_ID),
        r#type: BusinessTag,
        status: UserStatus::Active,
        verification_status: VerificationStatus::Unverified,
        email: request.email,
        phone_number: request.phone_number,
        business_name: request.business_name,
        country: request.country,
        tax_id: request.tax_id,
        address: request.address.map(Into::into),
        beneficial_owners: request
            .beneficial_owners
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect(),
        kyc_type: None,
        tier: None,
        metadata: crm_metadata(),
        created_at: Timestamp::from("2026-01-14T21:02:11.004Z"),
        updated_at: Timestamp::from("2026-01-14T21:02:11.004Z"),
    }
}

fn embedded_link_verification() -> Verification {
    Verification {
        id: uuid(VERIFICATION_ID),
        user_id: uuid(INDIVIDUAL_ID),
        r#type: VerificationType::EmbeddedLink,
        status: VerificationStatus::Pending,
        kyc_type: KycType::Simplified,
        tier: None,
        provider_link: Some("https://verify.balampay.com/s/bb3d93c1".into()),
        redirect_uri: Some("https://yourapp.com/verification-complete".into()),
        reasons: Vec::new(),
        created_at: Timestamp::from("2026-01-14T20:30:00.000Z"),
        updated_at: Timestamp::from("2026-01-14T20:30:00.000Z"),
        completed_at: None,
    }
}

fn rejected_api_verification() -> Verification {
    Verification {
        r#type: VerificationType::Api,
        status: VerificationStatus::Rejected,
        provider_link: None,
        redirect_uri: None,
        reasons: vec![docs_rejection_reason()],
        updated_at: Timestamp::from("2026-01-14T03:44:00.884Z"),
        completed_at: Some(Timestamp::from("2026-01-14T03:44:00.884Z")),
        created_at: Timestamp::from("2026-01-14T03:43:58.100Z"),
        ..embedded_link_verification()
    }
}

fn docs_rejection_reason() -> RejectionReason {
    RejectionReason {
        reason: "Your information could not be verified".into(),
        developer_reason: "Inconsistent details between submissions.".into(),
        created_at: Timestamp::from("2026-01-14T03:44:00.884Z"),
    }
}

/// The request examples of `createUser`: the docs' individual, and a business.
pub fn create_user_requests() -> Vec<Example> {
    vec![
        example(
            "individual",
            "An individual, with only what creation needs (the docs' example)",
            CreateUserRequest::Individual(create_individual()),
        ),
        example(
            "business",
            "A business, with what verification will need",
            CreateUserRequest::Business(create_business()),
        ),
    ]
}

/// The response examples of `createUser`.
pub fn create_user_responses() -> Vec<Example> {
    vec![
        example(
            "individual",
            "A new individual user",
            User::Individual(individual_user()),
        ),
        example(
            "business",
            "A new business user",
            User::Business(business_user()),
        ),
    ]
}

/// The response examples of `getUser` and `updateUser`.
pub fn user_responses() -> Vec<Example> {
    vec![
        example(
            "verified_individual",
            "A verified individual user",
            User::Individual(verified_individual_user()),
        ),
        example(
            "business",
            "An unverified business user",
            User::Business(business_user()),
        ),
    ]
}

/// The request examples of `updateUser`.
pub fn update_user_requests() -> Vec<Example> {
    vec![example(
        "add_kyc_data",
        "Add what verification needs to an individual",
        UpdateUserRequest::Individual(UpdateIndividualUserRequest {
            date_of_birth: Some("1990-04-21".into()),
            address: Some(new_york_address()),
            government_id: Some(GovernmentId {
                id_type: GovernmentIdType::Passport,
                number: "X12345678".into(),
                issuing_country: "US".into(),
            }),
            ..UpdateIndividualUserRequest::default()
        }),
    )]
}

/// The response examples of `listUsers`.
pub fn user_list_responses() -> Vec<Example> {
    vec![example(
        "first_page",
        "A first page with more to follow",
        UserList {
            data: vec![
                User::Business(business_user()),
                User::Individual(verified_individual_user()),
            ],
            has_more: true,
            next_cursor: Some("eyJjcmVhdGVkX2F0IjoiMjAyNi0wMS0xNCJ9".into()),
        },
    )]
}

/// The request examples of `createVerification`: the docs' embedded link, and an API session.
pub fn create_verification_requests() -> Vec<Example> {
    vec![
        example(
            "embedded_link",
            "A hosted session (the docs' example)",
            CreateVerificationRequest::EmbeddedLink(EmbeddedLinkVerificationRequest {
                r#type: EmbeddedLinkTag,
                redirect_uri: "https://yourapp.com/verification-complete".into(),
                kyc_type: None,
            }),
        ),
        example(
            "api",
            "A direct session with the individual's KYC data",
            CreateVerificationRequest::Api(ApiVerificationRequest {
                r#type: ApiTag,
                kyc_type: Some(KycType::Full),
                individual: Some(IndividualKycData {
                    date_of_birth: Some("1990-04-21".into()),
                    address: Some(new_york_address()),
                    government_id: Some(GovernmentId {
                        id_type: GovernmentIdType::Passport,
                        number: "X12345678".into(),
                        issuing_country: "US".into(),
                    }),
                }),
                business: None,
            }),
        ),
    ]
}

/// The response examples of `createVerification` and `getVerification`.
pub fn verification_responses() -> Vec<Example> {
    vec![
        example(
            "embedded_link",
            "A hosted session waiting for the user",
            embedded_link_verification(),
        ),
        example(
            "rejected",
            "A rejected session, with the docs' reason",
            rejected_api_verification(),
        ),
    ]
}

/// The response examples of `listVerifications`.
pub fn verification_list_responses() -> Vec<Example> {
    vec![example(
        "last_page",
        "A last page",
        VerificationList {
            data: vec![embedded_link_verification(), rejected_api_verification()],
            has_more: false,
            next_cursor: None,
        },
    )]
}

/// The docs' three webhook payloads, with real-looking emails.
pub fn webhook_events() -> Vec<(&'static str, Example)> {
    vec![
        (
            "user.created",
            example(
                "docs",
                "The docs' example",
                UserCreatedEvent {
                    event: UserCreatedTag,
                    data: UserCreatedData {
                        event_id: uuid("95fbd1c9-46cf-405c-bf38-a28344ff4707"),
                        user_id: uuid("6487276d-e86c-46ad-bc7b-afe43310ae01"),
                        r#type: UserType::Individual,
                        email: "maria.lopez@example.com".into(),
                        phone: "+573013185684".into(),
                        status: UserStatus::Active,
                        verification_status: VerificationStatus::Unverified,
                        created_at: "2026-01-14 20:27:54.863".into(),
                        metadata: Metadata::default(),
                    },
                },
            ),
        ),
        (
            "user.verification.accepted",
            example(
                "docs",
                "The docs' example",
                VerificationAcceptedEvent {
                    event: VerificationAcceptedTag,
                    data: VerificationAcceptedData {
                        event_id: uuid("ebd2325e-f16d-4917-8a83-7dcb3a2ebf73"),
                        id: uuid("ebd2325e-f16d-4917-8a83-7dcb3a2ebf73"),
                        user_id: uuid("147ba2c0-0637-4949-b0e2-f89d228b69c8"),
                        verification_status: VerifiedStatusTag,
                        kyc_type: KycType::Simplified,
                        tier: 1,
                    },
                },
            ),
        ),
        (
            "user.verification.failed",
            example(
                "docs",
                "The docs' example",
                VerificationFailedEvent {
                    event: VerificationFailedTag,
                    data: VerificationFailedData {
                        event_id: uuid("ee8e3df9-6ad8-40d6-81de-ddea5399d011"),
                        id: uuid("bb3d93c1-9371-4f1f-8c4e-205709e399b0"),
                        user_id: uuid("8d05b02e-9d15-46d6-bb33-9c81d461a969"),
                        verification_status: RejectedStatusTag,
                        reasons: vec![docs_rejection_reason()],
                    },
                },
            ),
        ),
    ]
}

/// An example error body for one error code, with a field detail where the code has one.
pub fn error_body(code: ErrorCode, message: &str) -> Value {
    let details = match code {
        ErrorCode::ValidationFailed => vec![ErrorDetail {
            location: ErrorLocation::Body,
            field: "/phone_number".into(),
            code: FieldErrorCode::InvalidFormat,
            message: "must be an E.164 phone number such as +573013185684".into(),
        }],
        ErrorCode::IdempotencyKeyMissing => vec![ErrorDetail {
            location: ErrorLocation::Header,
            field: "idempotency-key".into(),
            code: FieldErrorCode::Required,
            message: "every POST needs an idempotency-key header".into(),
        }],
        ErrorCode::EmailTaken => vec![ErrorDetail {
            location: ErrorLocation::Body,
            field: "/email".into(),
            code: FieldErrorCode::Conflict,
            message: "another user already has this email".into(),
        }],
        _ => Vec::new(),
    };
    example(
        "error",
        "",
        ErrorBody {
            code,
            message: message.to_owned(),
            details,
            request_id: "req_7f3c2a9e41b84d0c".into(),
        },
    )
    .value
}
