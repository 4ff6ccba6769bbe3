//! The hand-written front door: credentials, timeouts, idempotency keys and typed errors
//! around the generated builder client.

use std::fmt;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};

use crate::types;
use crate::unions::{CreateUserRequest, CreateVerificationRequest, UpdateUserRequest, User};
use crate::{Client, ResponseValue};

/// How long a whole request may take, by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long connecting may take, by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A credential: its `Debug` and `Display` never show the value.
#[derive(Clone)]
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Why a client could not be built. No variant carries a credential.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The base URL is not an absolute `http` or `https` URL.
    #[error("base URL {0:?} is not an absolute http(s) URL")]
    InvalidBaseUrl(String),
    /// A credential is empty or has characters a header cannot carry (which one is named,
    /// never its value).
    #[error("the {0} is empty or has characters an HTTP header cannot carry")]
    InvalidCredential(&'static str),
    /// The HTTP client could not be built (for example, no TLS backend).
    #[error("cannot build the HTTP client: {0}")]
    Http(reqwest::Error),
}

/// Builds a [`BalamPay`] client.
#[derive(Debug, Clone)]
pub struct BalamPayBuilder {
    base_url: String,
    token: Secret,
    api_key: Secret,
    timeout: Duration,
    connect_timeout: Duration,
}

impl BalamPayBuilder {
    /// How long a whole request may take (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long connecting may take (default [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Builds the client: both credentials become default headers, marked sensitive so that
    /// no `Debug` output or log of the HTTP stack shows them.
    pub fn build(self) -> Result<BalamPay, BuildError> {
        let base_url = self.base_url.trim_end_matches('/').to_owned();
        let valid_url = reqwest::Url::parse(&base_url)
            .ok()
            .is_some_and(|url| matches!(url.scheme(), "http" | "https") && url.has_host());
        if !valid_url {
            return Err(BuildError::InvalidBaseUrl(base_url));
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            sensitive(
                &format!("Bearer {}", self.token.0),
                "bearer token",
                &self.token.0,
            )?,
        );
        headers.insert(
            "x-api-key",
            sensitive(&self.api_key.0, "API key", &self.api_key.0)?,
        );
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .build()
            .map_err(BuildError::Http)?;
        Ok(BalamPay {
            client: Client::new_with_client(&base_url, http),
        })
    }
}

fn sensitive(value: &str, which: &'static str, raw: &str) -> Result<HeaderValue, BuildError> {
    if raw.trim().is_empty() {
        return Err(BuildError::InvalidCredential(which));
    }
    let mut header =
        HeaderValue::from_str(value).map_err(|_| BuildError::InvalidCredential(which))?;
    header.set_sensitive(true);
    Ok(header)
}

/// The BalamPay API client: every operation, with credentials on every request, an
/// idempotency key on every POST and typed errors. [`BalamPay::raw`] gives the generated
/// builder client for anything these methods do not cover.
#[derive(Debug, Clone)]
pub struct BalamPay {
    client: Client,
}

/// A fresh idempotency key: a random UUID.
pub fn new_idempotency_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl BalamPay {
    /// Starts building a client for `base_url` (such as `https://api.balampay.com`) with a
    /// bearer token and an API key.
    pub fn builder(
        base_url: impl Into<String>,
        token: impl Into<String>,
        api_key: impl Into<String>,
    ) -> BalamPayBuilder {
        BalamPayBuilder {
            base_url: base_url.into(),
            token: Secret(token.into()),
            api_key: Secret(api_key.into()),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// A client with the default timeouts.
    pub fn new(
        base_url: impl Into<String>,
        token: impl Into<String>,
        api_key: impl Into<String>,
    ) -> Result<Self, BuildError> {
        Self::builder(base_url, token, api_key).build()
    }

    /// The generated builder client, with the same credentials and timeouts.
    pub fn raw(&self) -> &Client {
        &self.client
    }

    /// `createUser` with a fresh idempotency key.
    pub async fn create_user(&self, body: impl Into<CreateUserRequest>) -> Result<User, ApiError> {
        self.create_user_with_key(&new_idempotency_key(), body)
            .await
    }

    /// `createUser` with your idempotency key: retrying with the same key and body replays the
    /// first answer instead of creating a second user.
    pub async fn create_user_with_key(
        &self,
        key: &str,
        body: impl Into<CreateUserRequest>,
    ) -> Result<User, ApiError> {
        inner(
            self.client
                .create_user()
                .idempotency_key(key)
                .body(body.into())
                .send()
                .await,
        )
    }

    /// `getUser`.
    pub async fn get_user(&self, user_id: uuid::Uuid) -> Result<User, ApiError> {
        inner(self.client.get_user().user_id(user_id).send().await)
    }

    /// `updateUser`: the fields given replace the stored ones.
    pub async fn update_user(
        &self,
        user_id: uuid::Uuid,
        body: impl Into<UpdateUserRequest>,
    ) -> Result<User, ApiError> {
        inner(
            self.client
                .update_user()
                .user_id(user_id)
                .body(body.into())
                .send()
                .await,
        )
    }

    /// `listUsers`: one page. Pass the page's `next_cursor` back in `query.cursor` for the next.
    pub async fn list_users(&self, query: &ListUsers) -> Result<types::UserList, ApiError> {
        let mut request = self.client.list_users();
        if let Some(limit) = query.limit {
            request = request.limit(nonzero_limit(limit)?);
        }
        if let Some(cursor) = &query.cursor {
            request = request.cursor(cursor.as_str());
        }
        if let Some(user_type) = query.user_type.clone() {
            request = request.type_(user_type);
        }
        if let Some(status) = query.status.clone() {
            request = request.status(status);
        }
        if let Some(status) = query.verification_status.clone() {
            request = request.verification_status(status);
        }
        if let Some(email) = &query.email {
            request = request.email(email.as_str());
        }
        inner(request.send().await)
    }

    /// `createVerification` with a fresh idempotency key.
    pub async fn create_verification(
        &self,
        user_id: uuid::Uuid,
        body: impl Into<CreateVerificationRequest>,
    ) -> Result<types::Verification, ApiError> {
        self.create_verification_with_key(user_id, &new_idempotency_key(), body)
            .await
    }

    /// `createVerification` with your idempotency key.
    pub async fn create_verification_with_key(
        &self,
        user_id: uuid::Uuid,
        key: &str,
        body: impl Into<CreateVerificationRequest>,
    ) -> Result<types::Verification, ApiError> {
        inner(
            self.client
                .create_verification()
                .user_id(user_id)
                .idempotency_key(key)
                .body(body.into())
                .send()
                .await,
        )
    }

    /// `getVerification`.
    pub async fn get_verification(
        &self,
        user_id: uuid::Uuid,
        verification_id: uuid::Uuid,
    ) -> Result<types::Verification, ApiError> {
        inner(
            self.client
                .get_verification()
                .user_id(user_id)
                .verification_id(verification_id)
                .send()
                .await,
        )
    }

    /// `listVerifications`: one page of a user's sessions.
    pub async fn list_verifications(
        &self,
        user_id: uuid::Uuid,
        query: &ListVerifications,
    ) -> Result<types::VerificationList, ApiError> {
        let mut request = self.client.list_verifications().user_id(user_id);
        if let Some(limit) = query.limit {
            request = request.limit(nonzero_limit(limit)?);
        }
        if let Some(cursor) = &query.cursor {
            request = request.cursor(cursor.as_str());
        }
        if let Some(status) = query.status.clone() {
            request = request.status(status);
        }
        inner(request.send().await)
    }
}

/// The query of `listUsers`; every field is optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListUsers {
    /// Page size, 1 to 100 (the API's default is 20).
    pub limit: Option<u32>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Only users of this kind.
    pub user_type: Option<crate::open_enums::UserType>,
    /// Only users with this account status.
    pub status: Option<crate::open_enums::UserStatus>,
    /// Only users with this verification status.
    pub verification_status: Option<crate::open_enums::VerificationStatus>,
    /// Only the user with this email.
    pub email: Option<String>,
}

/// The query of `listVerifications`; every field is optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListVerifications {
    /// Page size, 1 to 100 (the API's default is 20).
    pub limit: Option<u32>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Only sessions with this status.
    pub status: Option<crate::open_enums::VerificationStatus>,
}

/// What went wrong with a call.
#[derive(Debug)]
pub enum ApiError {
    /// The API answered with a documented error status and the error body.
    Api {
        /// The HTTP status.
        status: u16,
        /// The error body: code, message, field details and request id.
        body: types::ErrorBody,
    },
    /// The request could not be built from the arguments (for example, an idempotency key
    /// longer than 255 characters).
    InvalidRequest(String),
    /// The request timed out.
    Timeout,
    /// The request could not be sent or its answer read (connection refused, TLS, …).
    Transport(reqwest::Error),
    /// The API answered with a status the spec does not document for the operation, or with
    /// a body that does not match it: a contract violation on the server's side.
    Unexpected {
        /// The HTTP status, where there was one.
        status: Option<u16>,
        /// What was wrong.
        message: String,
    },
}

impl ApiError {
    /// The HTTP status, where the API answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Api { status, .. } => Some(*status),
            ApiError::Unexpected { status, .. } => *status,
            _ => None,
        }
    }

    /// The machine-readable error code, for documented errors.
    pub fn code(&self) -> Option<crate::open_enums::ErrorCode> {
        match self {
            ApiError::Api { body, .. } => Some(body.code.clone()),
            _ => None,
        }
    }

    /// The field-level details, for documented errors (empty otherwise).
    pub fn details(&self) -> &[types::ErrorDetail] {
        match self {
            ApiError::Api { body, .. } => &body.details,
            _ => &[],
        }
    }

    /// The request id to quote to support, for documented errors.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            ApiError::Api { body, .. } => Some(body.request_id.as_str()),
            _ => None,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Api { status, body } => {
                write!(f, "{status} {}: {}", body.code, *body.message)?;
                for detail in &body.details {
                    write!(
                        f,
                        "; {} {}: {}",
                        detail.location, *detail.field, *detail.message
                    )?;
                }
                write!(f, " (request {})", *body.request_id)
            }
            ApiError::InvalidRequest(message) => write!(f, "invalid request: {message}"),
            ApiError::Timeout => f.write_str("the request timed out"),
            ApiError::Transport(error) => write!(f, "transport error: {error}"),
            ApiError::Unexpected {
                status: Some(status),
                message,
            } => write!(f, "unexpected {status} answer: {message}"),
            ApiError::Unexpected {
                status: None,
                message,
            } => write!(f, "unexpected answer: {message}"),
        }
    }
}

impl std::error::Error for ApiError {}

impl From<crate::Error<types::ErrorBody>> for ApiError {
    fn from(error: crate::Error<types::ErrorBody>) -> Self {
        use crate::Error;
        match error {
            Error::ErrorResponse(response) => ApiError::Api {
                status: response.status().as_u16(),
                body: response.into_inner(),
            },
            Error::InvalidRequest(message) | Error::Custom(message) => {
                ApiError::InvalidRequest(message)
            }
            Error::CommunicationError(error)
            | Error::ResponseBodyError(error)
            | Error::InvalidUpgrade(error) => {
                if error.is_timeout() {
                    ApiError::Timeout
                } else {
                    ApiError::Transport(error)
                }
            }
            Error::InvalidResponsePayload(_, error) => ApiError::Unexpected {
                status: None,
                message: format!("the body does not match the spec: {error}"),
            },
            Error::UnexpectedResponse(response) => ApiError::Unexpected {
                status: Some(response.status().as_u16()),
                message: "status not documented for this operation".to_owned(),
            },
        }
    }
}

fn nonzero_limit(limit: u32) -> Result<std::num::NonZeroU32, ApiError> {
    std::num::NonZeroU32::new(limit)
        .ok_or_else(|| ApiError::InvalidRequest("limit must be at least 1".to_owned()))
}

fn inner<T>(
    result: Result<ResponseValue<T>, crate::Error<types::ErrorBody>>,
) -> Result<T, ApiError> {
    result
        .map(ResponseValue::into_inner)
        .map_err(ApiError::from)
}
