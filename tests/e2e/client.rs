//! The generated client against the sandbox over loopback: every operation, every
//! documented error status (injected through the sandbox's faults), credentials, idempotency
//! keys, timeouts, and the wire shape of the generated request types.

use std::time::Duration;

use balampay_client::{
    ApiError, BalamPay, CreateUserRequest, CreateVerificationRequest, ListUsers, ListVerifications,
    UpdateUserRequest, User, types,
};
use balampay_sandbox::{
    Config, DEFAULT_API_KEY as API_KEY, DEFAULT_TOKEN as TOKEN, Sandbox, Timing,
};
use serde_json::{Value, json};

use crate::support::{component_validator, errors, published_openapi};

pub(crate) async fn sandbox() -> Sandbox {
    let timing = Timing {
        decision_delay: Duration::from_millis(30),
        review_delay: Duration::from_millis(30),
    };
    Sandbox::start(Config {
        timing,
        ..Config::default()
    })
    .await
    .expect("the sandbox starts")
}

pub(crate) fn api(server: &Sandbox) -> BalamPay {
    BalamPay::new(server.base_url(), TOKEN, API_KEY).expect("client builds")
}

/// Arms a sandbox fault: the next request to `operation` answers as `fault` says.
pub(crate) async fn arm(server: &Sandbox, operation: &str, mut fault: Value) {
    fault["operation"] = json!(operation);
    let response = reqwest::Client::new()
        .post(format!("{}/sandbox/faults", server.base_url()))
        .bearer_auth(TOKEN)
        .header("x-api-key", API_KEY)
        .json(&fault)
        .send()
        .await
        .expect("the control API answers");
    assert_eq!(response.status().as_u16(), 204, "fault {fault} refused");
}

fn business_session() -> CreateVerificationRequest {
    serde_json::from_value::<types::ApiVerificationRequest>(
        json!({"type": "api", "kyc_type": "full", "business": {"tax_id": "12-3456789"}}),
    )
    .expect("reads")
    .into()
}

fn individual() -> CreateUserRequest {
    let request: types::CreateIndividualUserRequest = serde_json::from_value(json!({
        "type": "individual",
        "email": "john.doe@example.com",
        "phone_number": "+1234567890",
        "first_name": "John",
        "last_name": "Doe",
        "country": "US"
    }))
    .expect("the docs' example reads as the generated type");
    request.into()
}

fn business() -> CreateUserRequest {
    let request = types::CreateBusinessUserRequest::builder()
        .type_(types::CreateBusinessUserRequestType::Business)
        .email(
            "finance@acme-logistics.example"
                .parse::<types::EmailAddress>()
                .expect("email"),
        )
        .phone_number("+12125550123".parse::<types::PhoneNumber>().expect("phone"))
        .business_name(
            "Acme Logistics LLC"
                .parse::<types::CreateBusinessUserRequestBusinessName>()
                .expect("name"),
        )
        .country("US".parse::<types::CountryCode>().expect("country"))
        .tax_id(Some("12-3456789".parse::<types::TaxId>().expect("ein")));
    types::CreateBusinessUserRequest::try_from(request)
        .expect("complete")
        .into()
}

fn embedded_link() -> CreateVerificationRequest {
    serde_json::from_value::<types::EmbeddedLinkVerificationRequest>(json!({
        "type": "embedded-link",
        "redirect_uri": "https://yourapp.com/verification-complete"
    }))
    .expect("the docs' example reads as the generated type")
    .into()
}

fn api_session() -> CreateVerificationRequest {
    serde_json::from_value::<types::ApiVerificationRequest>(json!({
        "type": "api",
        "kyc_type": "full",
        "individual": {"date_of_birth": "1990-04-21"}
    }))
    .expect("reads")
    .into()
}

#[tokio::test]
async fn every_operation_round_trips() {
    let server = sandbox().await;
    let api = api(&server);

    let john = api
        .create_user(individual())
        .await
        .expect("createUser individual");
    let User::Individual(john_fields) = &john else {
        panic!("expected an individual: {john:?}")
    };
    assert_eq!(*john_fields.first_name, "John");
    let acme = api
        .create_user(business())
        .await
        .expect("createUser business");
    assert!(matches!(acme, User::Business(_)), "{acme:?}");

    assert_eq!(api.get_user(john.id()).await.expect("getUser"), john);

    let change: types::UpdateIndividualUserRequest = serde_json::from_value(
        json!({"type": "individual", "first_name": "Johnny", "metadata": {"crm_id": "cus_1"}}),
    )
    .expect("reads");
    let changed = api
        .update_user(john.id(), UpdateUserRequest::from(change))
        .await
        .expect("updateUser");
    let User::Individual(changed) = changed else {
        panic!("still an individual")
    };
    assert_eq!(*changed.first_name, "Johnny");

    // Pagination: one user per page, following the cursor until the end.
    let mut query = ListUsers {
        limit: Some(1),
        ..ListUsers::default()
    };
    let mut ids = Vec::new();
    loop {
        let page = api.list_users(&query).await.expect("listUsers");
        ids.extend(page.data.iter().map(User::id));
        if !page.has_more {
            assert!(page.next_cursor.is_none());
            break;
        }
        query.cursor = page.next_cursor.map(|c| c.to_string());
    }
    assert_eq!(ids, [acme.id(), john.id()]);
    let businesses = api
        .list_users(&ListUsers {
            user_type: Some(balampay_client::UserType::Business),
            ..ListUsers::default()
        })
        .await
        .expect("listUsers filtered");
    assert_eq!(
        businesses.data.iter().map(User::id).collect::<Vec<_>>(),
        [acme.id()]
    );

    let hosted = api
        .create_verification(john.id(), embedded_link())
        .await
        .expect("createVerification embedded-link");
    assert_eq!(
        hosted.type_,
        balampay_client::VerificationType::EmbeddedLink
    );
    assert!(hosted.provider_link.is_some());
    let in_progress = api
        .create_verification(john.id(), api_session())
        .await
        .expect_err("one session at a time");
    assert_eq!(
        in_progress.code(),
        Some(balampay_client::ErrorCode::VerificationInProgress)
    );
    let direct = api
        .create_verification(acme.id(), business_session())
        .await
        .expect("createVerification api");
    assert_eq!(direct.kyc_type, balampay_client::KycType::Full);
    assert_eq!(
        api.get_verification(john.id(), hosted.id)
            .await
            .expect("getVerification"),
        hosted
    );
    let sessions = api
        .list_verifications(john.id(), &ListVerifications::default())
        .await
        .expect("listVerifications");
    assert_eq!(
        sessions.data.iter().map(|s| s.id).collect::<Vec<_>>(),
        [hosted.id]
    );
}

/// The code the sandbox puts in the body of an injected status.
fn code_for(status: u16) -> balampay_client::ErrorCode {
    use balampay_client::ErrorCode::*;
    match status {
        400 => BadRequest,
        401 => Unauthorized,
        404 => NotFound,
        409 => IdempotencyKeyInUse,
        413 => PayloadTooLarge,
        415 => UnsupportedMediaType,
        422 => ValidationFailed,
        429 => RateLimited,
        500 => InternalError,
        other => panic!("no error code for {other}"),
    }
}

/// Calls one operation with valid arguments through the client; `None` when the client
/// tests do not cover the operation (the catalogue test names it).
pub(crate) async fn call(
    api: &BalamPay,
    operation: &str,
    user: uuid::Uuid,
    verification: uuid::Uuid,
) -> Option<Result<(), ApiError>> {
    Some(match operation {
        "createUser" => api.create_user(individual()).await.map(drop),
        "getUser" => api.get_user(user).await.map(drop),
        "updateUser" => {
            let change: types::UpdateIndividualUserRequest =
                serde_json::from_value(json!({"type": "individual", "last_name": "Roe"}))
                    .expect("reads");
            api.update_user(user, UpdateUserRequest::from(change))
                .await
                .map(drop)
        }
        "listUsers" => api.list_users(&ListUsers::default()).await.map(drop),
        "createVerification" => api
            .create_verification(user, embedded_link())
            .await
            .map(drop),
        "getVerification" => api.get_verification(user, verification).await.map(drop),
        "listVerifications" => api
            .list_verifications(user, &ListVerifications::default())
            .await
            .map(drop),
        _ => return None,
    })
}

/// A user and one of its verification sessions, for the paths that need ids.
pub(crate) async fn ids(server: &Sandbox) -> (uuid::Uuid, uuid::Uuid) {
    let api = api(server);
    let user = api.create_user(individual()).await.expect("create").id();
    let verification = api
        .create_verification(user, embedded_link())
        .await
        .expect("verify")
        .id;
    (user, verification)
}

#[tokio::test]
async fn every_documented_error_status_comes_back_typed() {
    let server = sandbox().await;
    let api = api(&server);
    let (user, verification) = ids(&server).await;

    let doc = published_openapi();
    let mut checked = 0;
    for item in doc["paths"].as_object().expect("paths").values() {
        for operation in item.as_object().expect("item").values() {
            let id = operation["operationId"].as_str().expect("operationId");
            for status in operation["responses"]
                .as_object()
                .expect("responses")
                .keys()
            {
                let status: u16 = status.parse().expect("numeric status");
                if status < 400 {
                    continue;
                }
                arm(&server, id, json!({"status": status})).await;
                let error = call(&api, id, user, verification)
                    .await
                    .unwrap_or_else(|| panic!("the client tests do not cover {id}"))
                    .expect_err("armed to fail");
                assert_eq!(error.status(), Some(status), "{id} {status}: {error}");
                assert_eq!(
                    error.code(),
                    Some(code_for(status)),
                    "{id} {status}: {error}"
                );
                assert!(
                    error.request_id().is_some_and(|id| id.starts_with("req_")),
                    "{error}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 40, "only {checked} operation/status pairs");
}

#[tokio::test]
async fn undocumented_answers_are_reported_as_contract_violations() {
    let server = sandbox().await;
    let api = api(&server);
    arm(&server, "listUsers", json!({"status": 418})).await;
    let error = api
        .list_users(&ListUsers::default())
        .await
        .expect_err("418");
    assert!(
        matches!(
            error,
            ApiError::Unexpected {
                status: Some(418),
                ..
            }
        ),
        "{error:?}"
    );
    // 404 is not documented for listUsers.
    arm(&server, "listUsers", json!({"status": 404})).await;
    let error = api
        .list_users(&ListUsers::default())
        .await
        .expect_err("404");
    assert!(
        matches!(
            error,
            ApiError::Unexpected {
                status: Some(404),
                ..
            }
        ),
        "{error:?}"
    );
}

/// Keys go with every POST: a key given twice replays, generated keys differ (so the same
/// request sent twice executes twice), and credentials come with every call.
#[tokio::test]
async fn credentials_and_idempotency_keys_are_on_every_request() {
    let server = sandbox().await;
    let api = api(&server);
    let first = api
        .create_user_with_key("my-key-1", business())
        .await
        .expect("create with key");
    let replayed = api
        .create_user_with_key("my-key-1", business())
        .await
        .expect("replayed");
    assert_eq!(first, replayed, "the same key replays the first answer");
    let user = api
        .create_user(individual())
        .await
        .expect("create with a generated key");
    let again = api
        .create_user(individual())
        .await
        .expect_err("a second execution");
    assert_eq!(
        again.code(),
        Some(balampay_client::ErrorCode::EmailTaken),
        "a fresh key executes again: {again}"
    );
    api.create_verification(user.id(), embedded_link())
        .await
        .expect("verify with a generated key");
    assert_eq!(api.get_user(user.id()).await.expect("get").id(), user.id());

    let wrong = BalamPay::new(server.base_url(), "wrong-token", API_KEY).expect("builds");
    let error = wrong.get_user(user.id()).await.expect_err("401");
    assert_eq!(error.code(), Some(balampay_client::ErrorCode::Unauthorized));
    let without_key = reqwest::Client::new()
        .post(format!("{}/v1/users", server.base_url()))
        .bearer_auth(TOKEN)
        .header("x-api-key", API_KEY)
        .json(&serde_json::to_value(individual()).expect("json"))
        .send()
        .await
        .expect("answers");
    assert_eq!(
        without_key.status().as_u16(),
        400,
        "a POST without the client's key is refused"
    );
}

#[tokio::test]
async fn secrets_never_show_in_debug_output_or_errors() {
    let server = sandbox().await;
    let api = api(&server);
    let debug = format!("{api:?}");
    assert!(
        !debug.contains(TOKEN) && !debug.contains(API_KEY),
        "{debug}"
    );
    let builder = BalamPay::builder(server.base_url(), TOKEN, API_KEY);
    let debug = format!("{builder:?}");
    assert!(
        !debug.contains(TOKEN) && !debug.contains(API_KEY),
        "{debug}"
    );

    let bad = BalamPay::new(server.base_url(), "line\nbreak-secret", API_KEY)
        .expect_err("invalid header");
    assert_eq!(
        bad.to_string(),
        "the bearer token is empty or has characters an HTTP header cannot carry"
    );
    let bad = BalamPay::new("ftp://example.com", TOKEN, API_KEY).expect_err("bad url");
    assert!(
        bad.to_string().contains("not an absolute http(s) URL"),
        "{bad}"
    );

    let unreachable = BalamPay::new("http://127.0.0.1:9", TOKEN, API_KEY).expect("builds");
    let error = unreachable
        .get_user(uuid::Uuid::nil())
        .await
        .expect_err("refused");
    let shown = format!("{error} {error:?}");
    assert!(
        !shown.contains(TOKEN) && !shown.contains(API_KEY),
        "{shown}"
    );
}

#[tokio::test]
async fn slow_answers_time_out() {
    let server = sandbox().await;
    let api = BalamPay::builder(server.base_url(), TOKEN, API_KEY)
        .timeout(Duration::from_millis(200))
        .build()
        .expect("builds");
    arm(&server, "listUsers", json!({"delay_ms": 2_000})).await;
    let error = api
        .list_users(&ListUsers::default())
        .await
        .expect_err("times out");
    assert!(matches!(error, ApiError::Timeout), "{error:?}");
}

/// Values of the generated request types serialize exactly as the 3.1 spec requires: the
/// union tag present, optional fields absent rather than `null`.
#[test]
fn generated_requests_serialize_as_the_3_1_spec_requires() {
    let doc = published_openapi();
    let cases: Vec<(&str, Value)> = vec![
        (
            "CreateUserRequest",
            serde_json::to_value(individual()).expect("serializes"),
        ),
        (
            "CreateUserRequest",
            serde_json::to_value(business()).expect("serializes"),
        ),
        (
            "CreateVerificationRequest",
            serde_json::to_value(embedded_link()).expect("serializes"),
        ),
        (
            "CreateVerificationRequest",
            serde_json::to_value(api_session()).expect("serializes"),
        ),
    ];
    for (component, value) in cases {
        let found = errors(&component_validator(&doc, component), &value);
        assert!(found.is_empty(), "{component}: {found:#?}\n{value:#}");
        assert!(value["type"].is_string(), "the tag is written: {value}");
        let text = value.to_string();
        assert!(
            !text.contains("null"),
            "optional fields are absent, not null: {text}"
        );
    }
    // The docs' example, byte for byte in meaning.
    assert_eq!(
        serde_json::to_value(individual()).expect("serializes"),
        json!({"type": "individual", "email": "john.doe@example.com", "phone_number": "+1234567890", "first_name": "John", "last_name": "Doe", "country": "US"})
    );
}

/// The generated types read every published example of a response, and the unions name a
/// bad tag and its known values.
#[test]
fn generated_types_read_the_published_examples() {
    for example in balampay_schema::examples::user_responses() {
        let user: User = serde_json::from_value(example.value.clone()).expect("reads");
        assert_eq!(
            serde_json::to_value(&user).expect("serializes"),
            example.value
        );
    }
    for example in balampay_schema::examples::verification_list_responses() {
        let list: types::VerificationList =
            serde_json::from_value(example.value.clone()).expect("reads");
        // Timestamps become chrono values, which write `.000Z` as `Z`: compare as values.
        let again: types::VerificationList =
            serde_json::from_value(serde_json::to_value(&list).expect("serializes"))
                .expect("reads back");
        assert_eq!(again, list);
        assert_eq!(
            list.data.len(),
            example.value["data"].as_array().map_or(0, Vec::len)
        );
    }
    let error = serde_json::from_value::<User>(json!({"type": "robot"})).expect_err("unknown tag");
    assert_eq!(
        error.to_string(),
        "unknown variant `robot`, expected `individual` or `business`"
    );
}

/// An enum value added after this client was generated is kept in `Unknown`, and written
/// back as it came; known values read as their variants.
#[test]
fn unknown_enum_values_are_kept() {
    let status: balampay_client::UserStatus =
        serde_json::from_value(json!("archived")).expect("open");
    assert_eq!(
        status,
        balampay_client::UserStatus::Unknown("archived".to_owned())
    );
    assert!(!status.is_known());
    assert_eq!(
        serde_json::to_value(&status).expect("serialize"),
        json!("archived")
    );
    let known: balampay_client::UserStatus =
        serde_json::from_value(json!("active")).expect("known");
    assert_eq!(known, balampay_client::UserStatus::Active);
    assert_eq!(known.to_string(), "active");
    // In a whole response body: a user whose status and verification status are new.
    let mut user = serde_json::to_value(
        balampay_schema::examples::user_responses()
            .into_iter()
            .next()
            .expect("an example")
            .value,
    )
    .expect("json");
    user["status"] = json!("archived");
    user["verification_status"] = json!("expired");
    user["address"]["floor"] = json!("3");
    let parsed: User =
        serde_json::from_value(user).expect("a body with new values and fields parses");
    let User::Individual(parsed) = parsed else {
        panic!("an individual");
    };
    assert_eq!(
        parsed.status,
        balampay_client::UserStatus::Unknown("archived".to_owned())
    );
}

#[test]
fn webhook_fixtures_parse_into_one_enum() {
    use balampay_client::webhooks::{ParseError, WebhookEvent, parse_event};
    let dir = crate::support::fixtures_dir().join("webhooks/valid");
    let mut parsed = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures") {
        let path = entry.expect("entry").path();
        let body = std::fs::read(&path).expect("read");
        let event = parse_event(&body).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path.file_name().and_then(|n| n.to_str()).expect("name");
        assert!(
            name.starts_with(event.tag()),
            "{name} parsed as {}",
            event.tag()
        );
        parsed += 1;
    }
    assert!(parsed >= 3);

    // An event type added after this client was generated is kept, not refused: the API
    // promises new event types may appear in any minor version.
    let body = b"{\"event\": \"user.deleted\", \"data\": {\"id\": \"u1\"}}";
    let event = parse_event(body).expect("an unknown event parses");
    assert_eq!(event.tag(), "user.deleted");
    let WebhookEvent::Unknown(ref unknown) = event else {
        panic!("{event:?} is not Unknown");
    };
    assert_eq!(unknown.value["data"]["id"], "u1");
    assert_eq!(
        serde_json::to_value(&event).expect("serialize"),
        serde_json::from_slice::<Value>(body).expect("json"),
        "an unknown event serializes back as it came"
    );
    let event: WebhookEvent = serde_json::from_slice(body).expect("deserialize");
    assert!(matches!(event, WebhookEvent::Unknown(_)));

    let error = parse_event(b"{\"event\": \n oops}").expect_err("not json");
    assert!(
        matches!(error, ParseError::NotJson { line: 2, .. }),
        "{error}"
    );

    let body = std::fs::read(dir.join("user.verification.accepted--docs.json")).expect("read");
    let mut value: Value = serde_json::from_slice(&body).expect("json");
    value["data"]["tier"] = json!("1");
    let error = parse_event(value.to_string().as_bytes()).expect_err("tier as string");
    assert!(
        error
            .to_string()
            .starts_with("invalid user.verification.accepted payload at `data.tier`"),
        "{error}"
    );
    let event = parse_event(&body).expect("parses");
    assert!(
        matches!(event, WebhookEvent::VerificationAccepted(ref e) if e.data.tier.get() == 1),
        "{event:?}"
    );
}

/// HTTPS is supported: a request to an https URL fails to connect, not for want of TLS.
#[tokio::test]
async fn https_base_urls_are_supported() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let api = BalamPay::new(format!("https://127.0.0.1:{port}"), TOKEN, API_KEY)
        .expect("an https client builds");
    let error = api
        .get_user(uuid::Uuid::nil())
        .await
        .expect_err("nothing listens there");
    let ApiError::Transport(error) = &error else {
        panic!("expected a transport error, got {error:?}")
    };
    assert!(error.is_connect(), "{error:?}");
}
