#![doc = include_str!("../README.md")]

// The generated module keeps progenitor's output as is (formatted by prettyplease, so
// rustfmt must not touch it, or the freshness check would fail); these are the workspace
// lints it does not meet, and nothing more.
#[rustfmt::skip]
#[allow(
    missing_docs,
    unused_qualifications,
    clippy::unwrap_used,
    clippy::needless_lifetimes,
    clippy::redundant_field_names,
    clippy::clone_on_copy,
    clippy::too_many_arguments,
    clippy::doc_lazy_continuation
)]
mod generated;

mod api;
mod open;
// The generated module is formatted by prettyplease like `generated.rs`.
#[rustfmt::skip]
pub mod open_enums;
pub mod unions;
pub mod webhooks;

pub use api::{
    ApiError, BalamPay, BalamPayBuilder, BuildError, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT,
    ListUsers, ListVerifications, new_idempotency_key,
};
pub use generated::*;
pub use open_enums::*;
pub use unions::{CreateUserRequest, CreateVerificationRequest, UpdateUserRequest, User};
pub use webhooks::{WebhookEvent, WebhookSecret, parse_event};
