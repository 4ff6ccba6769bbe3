#![doc = include_str!("../README.md")]

pub mod catalogue;
pub mod common;
pub mod errors;
pub mod examples;
pub mod scalars;
pub mod spec;
mod union;
pub mod users;
pub mod verifications;
pub mod webhooks;

pub use catalogue::{Method, OPERATIONS, Operation, OperationId};
pub use common::{
    Address, AddressRecord, GovernmentId, GovernmentIdSummary, GovernmentIdType, KycType,
    UserStatus, UserType, VerificationStatus, VerificationType,
};
pub use errors::{ErrorBody, ErrorCode, ErrorDetail, ErrorLocation, FieldErrorCode};
pub use scalars::{
    CountryCode, Date, EmailAddress, LegacyTimestamp, Metadata, PhoneNumber, TaxId, Timestamp,
};
pub use spec::{API_VERSION, openapi_document, webhook_schemas};
pub use users::{
    BeneficialOwner, BeneficialOwnerRecord, BusinessUser, CreateBusinessUserRequest,
    CreateIndividualUserRequest, CreateUserRequest, IndividualUser, ListUsersQuery,
    UpdateBusinessUserRequest, UpdateIndividualUserRequest, UpdateUserRequest, User, UserList,
};
pub use verifications::{
    ApiVerificationRequest, BusinessKycData, CreateVerificationRequest,
    EmbeddedLinkVerificationRequest, IndividualKycData, ListVerificationsQuery, RejectionReason,
    Verification, VerificationList,
};
pub use webhooks::{
    UserCreatedData, UserCreatedEvent, VerificationAcceptedData, VerificationAcceptedEvent,
    VerificationFailedData, VerificationFailedEvent, WEBHOOKS, WebhookEvent,
};
