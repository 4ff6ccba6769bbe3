//! A small in-memory server of the whole API, built on `balampay-schema`'s types, for
//! driving the generated client over loopback before the sandbox exists. It is not the
//! sandbox: it checks credentials and idempotency-key presence, stores users and sessions,
//! and can be told to answer the next API request with any error status, so that tests can
//! reach every documented status of every operation.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use balampay_schema::users::{BusinessUser, IndividualUser};
use balampay_schema::*;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

/// The credentials the server accepts.
pub const TOKEN: &str = "test-token-7c1f";
/// See [`TOKEN`].
pub const API_KEY: &str = "test-api-key-93ab";

/// What the next API request is answered with, instead of its real answer.
#[derive(Clone, Debug, Deserialize)]
pub struct Armed {
    /// The status to answer.
    pub status: u16,
    /// The error code to put in the body; absent for a bare, undocumented answer.
    pub code: Option<ErrorCode>,
    /// Milliseconds to wait before answering.
    #[serde(default)]
    pub delay_ms: u64,
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
}

#[derive(Default)]
struct Store {
    users: BTreeMap<Uuid, User>,
    order: Vec<Uuid>,
    verifications: BTreeMap<Uuid, Verification>,
    armed: Option<Armed>,
    seen: Vec<Seen>,
}

type Shared = Arc<Mutex<Store>>;

/// A running test server.
pub struct TestServer {
    pub base_url: String,
    store: Shared,
}

impl TestServer {
    /// Starts a server on an ephemeral loopback port.
    pub async fn start() -> TestServer {
        let store: Shared = Arc::default();
        let api = Router::new()
            .route("/v1/users", post(create_user).get(list_users))
            .route("/v1/users/{user_id}", get(get_user).patch(update_user))
            .route(
                "/v1/users/{user_id}/verifications",
                post(create_verification).get(list_verifications),
            )
            .route(
                "/v1/users/{user_id}/verifications/{verification_id}",
                get(get_verification),
            )
            .layer(middleware::from_fn_with_state(store.clone(), gatekeeper))
            .with_state(store.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind loopback");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move {
            axum::serve(listener, api).await.expect("serve");
        });
        TestServer {
            base_url: format!("http://{address}"),
            store,
        }
    }

    /// Answers the next API request with `armed`.
    pub fn arm(&self, armed: Armed) {
        self.store.lock().expect("lock").armed = Some(armed);
    }

    /// Every request seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.store.lock().expect("lock").seen.clone()
    }
}

fn now() -> Timestamp {
    Timestamp::from("2026-11-25T12:00:00.000Z")
}

fn error(
    status: StatusCode,
    code: ErrorCode,
    message: &str,
    details: Vec<ErrorDetail>,
) -> Response {
    let body = ErrorBody {
        code,
        message: message.to_owned(),
        details,
        request_id: "req_test".to_owned(),
    };
    (status, axum::Json(body)).into_response()
}

/// Records the request, answers an armed error, and checks credentials and the idempotency
/// key; every response gains `x-request-id`.
async fn gatekeeper(State(store): State<Shared>, request: Request, next: Next) -> Response {
    let armed = {
        let mut store = store.lock().expect("lock");
        store.seen.push(Seen {
            method: request.method().to_string(),
            path: request.uri().path().to_owned(),
            headers: request.headers().clone(),
        });
        store.armed.take()
    };
    let mut response = if let Some(armed) = armed {
        tokio::time::sleep(Duration::from_millis(armed.delay_ms)).await;
        let status = StatusCode::from_u16(armed.status).expect("status");
        match armed.code {
            Some(code) => {
                let mut response = error(status, code, "armed by the test", Vec::new());
                if armed.status == 429 {
                    response
                        .headers_mut()
                        .insert("retry-after", HeaderValue::from_static("1"));
                }
                response
            }
            None => (status, "not json").into_response(),
        }
    } else {
        let headers = request.headers();
        let bearer = headers.get("authorization").and_then(|v| v.to_str().ok());
        let key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
        if bearer != Some(&format!("Bearer {TOKEN}")) || key != Some(API_KEY) {
            error(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                "bad credentials",
                Vec::new(),
            )
        } else if request.method() == "POST" && !headers.contains_key("idempotency-key") {
            error(
                StatusCode::BAD_REQUEST,
                ErrorCode::IdempotencyKeyMissing,
                "missing idempotency-key",
                Vec::new(),
            )
        } else {
            next.run(request).await
        }
    };
    response
        .headers_mut()
        .insert("x-request-id", HeaderValue::from_static("req_test"));
    response
}

/// Reads a JSON body into a schema type; the error is the 422 answer with serde's message.
fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| e.to_string())
}

fn invalid(message: String) -> Response {
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
        "invalid body",
        vec![ErrorDetail {
            location: ErrorLocation::Body,
            field: String::new(),
            code: FieldErrorCode::InvalidValue,
            message,
        }],
    )
}

fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "no such resource",
        Vec::new(),
    )
}

async fn create_user(State(store): State<Shared>, body: axum::body::Bytes) -> Response {
    let request: CreateUserRequest = match parse(&body) {
        Ok(request) => request,
        Err(message) => return invalid(message),
    };
    let id = Uuid::new_v4();
    let user = match request {
        CreateUserRequest::Individual(r) => User::Individual(IndividualUser {
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
            address: r.address,
            government_id: None,
            kyc_type: None,
            tier: None,
            metadata: r.metadata.unwrap_or_default(),
            created_at: now(),
            updated_at: now(),
        }),
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
            address: r.address,
            beneficial_owners: r.beneficial_owners.unwrap_or_default(),
            kyc_type: None,
            tier: None,
            metadata: r.metadata.unwrap_or_default(),
            created_at: now(),
            updated_at: now(),
        }),
    };
    let mut store = store.lock().expect("lock");
    store.users.insert(id, user.clone());
    store.order.push(id);
    (StatusCode::CREATED, axum::Json(user)).into_response()
}

async fn get_user(State(store): State<Shared>, Path(user_id): Path<Uuid>) -> Response {
    match store.lock().expect("lock").users.get(&user_id) {
        Some(user) => axum::Json(user.clone()).into_response(),
        None => not_found(),
    }
}

async fn update_user(
    State(store): State<Shared>,
    Path(user_id): Path<Uuid>,
    body: axum::body::Bytes,
) -> Response {
    let request: UpdateUserRequest = match parse(&body) {
        Ok(request) => request,
        Err(message) => return invalid(message),
    };
    let mut store = store.lock().expect("lock");
    let Some(user) = store.users.get_mut(&user_id) else {
        return not_found();
    };
    match (user, request) {
        (User::Individual(user), UpdateUserRequest::Individual(change)) => {
            if let Some(first_name) = change.first_name {
                user.first_name = first_name;
            }
            if let Some(metadata) = change.metadata {
                user.metadata = metadata;
            }
        }
        (User::Business(user), UpdateUserRequest::Business(change)) => {
            if let Some(name) = change.business_name {
                user.business_name = name;
            }
        }
        _ => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::ValidationFailed,
                "type mismatch",
                Vec::new(),
            );
        }
    }
    axum::Json(store.users[&user_id].clone()).into_response()
}

#[derive(Deserialize)]
struct Page {
    limit: Option<usize>,
    cursor: Option<String>,
    r#type: Option<UserType>,
}

async fn list_users(State(store): State<Shared>, Query(page): Query<Page>) -> Response {
    let store = store.lock().expect("lock");
    let start = page
        .cursor
        .and_then(|c| c.parse::<usize>().ok())
        .unwrap_or(0);
    let limit = page.limit.unwrap_or(20);
    let matching: Vec<User> = store
        .order
        .iter()
        .rev()
        .map(|id| store.users[id].clone())
        .filter(|user| page.r#type.is_none_or(|t| user.user_type() == t))
        .collect();
    let data: Vec<User> = matching.iter().skip(start).take(limit).cloned().collect();
    let has_more = start + data.len() < matching.len();
    axum::Json(UserList {
        data,
        has_more,
        next_cursor: has_more.then(|| (start + limit).to_string()),
    })
    .into_response()
}

async fn create_verification(
    State(store): State<Shared>,
    Path(user_id): Path<Uuid>,
    body: axum::body::Bytes,
) -> Response {
    let request: CreateVerificationRequest = match parse(&body) {
        Ok(request) => request,
        Err(message) => return invalid(message),
    };
    let mut store = store.lock().expect("lock");
    if !store.users.contains_key(&user_id) {
        return not_found();
    }
    let id = Uuid::new_v4();
    let (r#type, provider_link, redirect_uri, kyc_type) = match request {
        CreateVerificationRequest::EmbeddedLink(r) => (
            VerificationType::EmbeddedLink,
            Some(format!("https://verify.example.com/s/{id}")),
            Some(r.redirect_uri),
            r.kyc_type,
        ),
        CreateVerificationRequest::Api(r) => (VerificationType::Api, None, None, r.kyc_type),
    };
    let verification = Verification {
        id,
        user_id,
        r#type,
        status: VerificationStatus::Pending,
        kyc_type: kyc_type.unwrap_or(KycType::Simplified),
        tier: None,
        provider_link,
        redirect_uri,
        reasons: Vec::new(),
        created_at: now(),
        updated_at: now(),
        completed_at: None,
    };
    store.verifications.insert(id, verification.clone());
    (StatusCode::CREATED, axum::Json(verification)).into_response()
}

async fn get_verification(
    State(store): State<Shared>,
    Path((user_id, verification_id)): Path<(Uuid, Uuid)>,
) -> Response {
    match store
        .lock()
        .expect("lock")
        .verifications
        .get(&verification_id)
    {
        Some(v) if v.user_id == user_id => axum::Json(v.clone()).into_response(),
        _ => not_found(),
    }
}

async fn list_verifications(State(store): State<Shared>, Path(user_id): Path<Uuid>) -> Response {
    let store = store.lock().expect("lock");
    if !store.users.contains_key(&user_id) {
        return not_found();
    }
    let data: Vec<Verification> = store
        .verifications
        .values()
        .filter(|v| v.user_id == user_id)
        .cloned()
        .collect();
    axum::Json(json!({"data": data, "has_more": false})).into_response()
}
