//! The sandbox over loopback: every operation and status, every response validated against
//! the published spec, idempotency under concurrency, the verification life cycle, the hosted
//! page, signed webhooks with retries, and restarts on a data file.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use balampay_client::WebhookSecret;
use balampay_sandbox::{Config, DEFAULT_API_KEY, DEFAULT_TOKEN, RetryPolicy, Sandbox, Timing};
use serde_json::{Value, json};

use crate::support::{
    component_validator, errors, openapi_validator, pointer_token, published_openapi,
    published_webhook_schema, validator,
};

fn fast() -> Config {
    Config {
        timing: Timing {
            decision_delay: Duration::from_millis(30),
            // Long enough that polling every 10 ms reliably sees `under_review`.
            review_delay: Duration::from_millis(300),
        },
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(30),
            max_delay: Duration::from_millis(200),
        },
        ..Config::default()
    }
}

/// A raw HTTP helper that checks every answer against the published spec.
struct Api {
    base: String,
    http: reqwest::Client,
    doc: Value,
    key: String,
}

/// One answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Api {
    fn new(sandbox: &Sandbox) -> Api {
        Api {
            base: sandbox.base_url().to_owned(),
            http: reqwest::Client::new(),
            doc: published_openapi(),
            key: DEFAULT_API_KEY.to_owned(),
        }
    }

    fn with_key(&self, key: &str) -> Api {
        Api {
            base: self.base.clone(),
            http: self.http.clone(),
            doc: self.doc.clone(),
            key: key.to_owned(),
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(DEFAULT_TOKEN)
            .header("x-api-key", &self.key)
    }

    /// Sends, then validates the answer against the spec: the status is documented for the
    /// operation, and the body matches that status's schema.
    async fn send(&self, request: reqwest::RequestBuilder, template: &str, method: &str) -> Answer {
        let response = request.send().await.expect("the sandbox answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {template} {status}: not JSON ({e}): {text}"));
        assert!(
            headers.contains_key("x-request-id"),
            "{method} {template} {status}: no x-request-id"
        );
        let operation = format!("/paths/{}/{method}", pointer_token(template));
        let response_pointer =
            balampay_openapi::resolve_pointer(&self.doc, &format!("{operation}/responses/{status}"))
                .unwrap_or_else(|error| {
                    panic!(
                        "{method} {template} answered {status}, which the spec does not document ({error}): {body}"
                    )
                })
                .pointer;
        let validator = openapi_validator(
            &self.doc,
            &format!("{response_pointer}/content/application~1json/schema"),
        );
        let found = errors(&validator, &body);
        assert!(
            found.is_empty(),
            "{method} {template} {status} breaks the spec: {found:#?}\n{body:#}"
        );
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn create_user(&self, body: Value, key: &str) -> Answer {
        let request = self
            .request(reqwest::Method::POST, "/v1/users")
            .header("idempotency-key", key)
            .json(&body);
        self.send(request, "/v1/users", "post").await
    }

    async fn get(&self, path: &str, template: &str) -> Answer {
        self.send(self.request(reqwest::Method::GET, path), template, "get")
            .await
    }

    async fn create_verification(&self, user: &str, body: Value) -> Answer {
        let request = self
            .request(
                reqwest::Method::POST,
                &format!("/v1/users/{user}/verifications"),
            )
            .header("idempotency-key", uuid::Uuid::new_v4().to_string())
            .json(&body);
        self.send(request, "/v1/users/{userId}/verifications", "post")
            .await
    }

    async fn control(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .request(method, path)
            .json(&body)
            .send()
            .await
            .expect("control answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Waits until the user's verification status is `status`.
    async fn wait_for_status(&self, user: &str, status: &str) -> Value {
        for _ in 0..200 {
            let answer = self
                .get(&format!("/v1/users/{user}"), "/v1/users/{userId}")
                .await;
            if answer.body["verification_status"] == status {
                return answer.body;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("user {user} never became {status}");
    }
}

/// An empty directory of this test process for a data file, named for the test.
fn data_dir(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sandbox-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

fn individual(email: &str, last_name: &str) -> Value {
    json!({"type": "individual", "email": email, "phone_number": "+1234567890", "first_name": "John", "last_name": last_name, "country": "US"})
}

fn kyc_data() -> Value {
    json!({
        "date_of_birth": "1990-04-21",
        "address": {"line1": "350 Fifth Avenue", "city": "New York", "region": "NY", "postal_code": "10118", "country": "US"},
        "government_id": {"type": "passport", "number": "X12345678", "issuing_country": "US"}
    })
}

#[tokio::test]
async fn every_operation_answers_as_documented() {
    let sandbox = Sandbox::start(fast()).await.expect("starts");
    let api = Api::new(&sandbox);

    let created = api
        .create_user(individual("john.doe@example.com", "Doe"), "user-123")
        .await;
    assert_eq!(created.status, 201);
    let id = created.body["id"].as_str().expect("id").to_owned();
    let business = api
        .create_user(
            json!({"type": "business", "email": "finance@acme-logistics.example", "phone_number": "+12125550123", "business_name": "Acme Logistics LLC", "country": "US"}),
            "user-124",
        )
        .await;
    assert_eq!(business.status, 201);

    assert_eq!(
        api.get(&format!("/v1/users/{id}"), "/v1/users/{userId}")
            .await
            .body,
        created.body
    );
    let patch = api
        .request(reqwest::Method::PATCH, &format!("/v1/users/{id}"))
        .json(&json!({"type": "individual", "first_name": "Johnny", "government_id": {"type": "passport", "number": "X12345678", "issuing_country": "US"}}));
    let patched = api.send(patch, "/v1/users/{userId}", "patch").await;
    assert_eq!(patched.status, 200);
    assert_eq!(patched.body["first_name"], "Johnny");
    assert_eq!(
        patched.body["government_id"],
        json!({"type": "passport", "number_last4": "5678", "issuing_country": "US"})
    );

    let page = api.get("/v1/users?limit=1", "/v1/users").await;
    assert_eq!(page.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(page.body["has_more"], true);
    let cursor = page.body["next_cursor"].as_str().expect("cursor");
    let next = api
        .get(&format!("/v1/users?limit=1&cursor={cursor}"), "/v1/users")
        .await;
    assert_eq!(next.body["data"][0]["id"], created.body["id"]);
    assert_eq!(next.body["has_more"], false);
    let filtered = api.get("/v1/users?type=business", "/v1/users").await;
    assert_eq!(filtered.body["data"][0]["type"], "business");
    let by_email = api
        .get("/v1/users?email=JOHN.DOE@example.com", "/v1/users")
        .await;
    assert_eq!(by_email.body["data"][0]["id"], created.body["id"]);

    let session = api
        .create_verification(&id, json!({"type": "embedded-link", "redirect_uri": "https://yourapp.com/verification-complete"}))
        .await;
    assert_eq!(session.status, 201);
    let session_id = session.body["id"].as_str().expect("id");
    assert!(
        session.body["provider_link"]
            .as_str()
            .is_some_and(|l| l.starts_with(&api.base))
    );
    let got = api
        .get(
            &format!("/v1/users/{id}/verifications/{session_id}"),
            "/v1/users/{userId}/verifications/{verificationId}",
        )
        .await;
    assert_eq!(got.body, session.body);
    let list = api
        .get(
            &format!("/v1/users/{id}/verifications?status=pending"),
            "/v1/users/{userId}/verifications",
        )
        .await;
    assert_eq!(list.body["data"][0]["id"], session.body["id"]);
    sandbox.stop().await;
}

#[tokio::test]
async fn every_error_status_is_the_documented_error_body() {
    let sandbox = Sandbox::start(fast()).await.expect("starts");
    let api = Api::new(&sandbox);
    let user = api
        .create_user(individual("ana@example.com", "Doe"), "k1")
        .await
        .body["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let users = "/v1/users";

    // 400: malformed JSON, a bad path id, a bad query, a missing idempotency key.
    let bad_json = api
        .request(reqwest::Method::POST, users)
        .header("idempotency-key", "k2")
        .header("content-type", "application/json")
        .body("{\"type\": ");
    let answer = api.send(bad_json, users, "post").await;
    assert_eq!(
        (answer.status, answer.body["code"].as_str()),
        (400, Some("bad_request"))
    );
    assert!(
        answer.body["details"][0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("line 1, column")),
        "{}",
        answer.body
    );
    let answer = api.get("/v1/users/not-a-uuid", "/v1/users/{userId}").await;
    assert_eq!(
        (answer.status, answer.body["details"][0]["field"].as_str()),
        (400, Some("userId"))
    );
    let answer = api.get("/v1/users/%FF", "/v1/users/{userId}").await;
    assert_eq!(
        (answer.status, answer.body["code"].as_str()),
        (400, Some("bad_request"))
    );
    let answer = api.get("/v1/users?limit=%FF", users).await;
    assert_eq!(
        (answer.status, answer.body["details"][0]["field"].as_str()),
        (400, Some("limit"))
    );
    let answer = api.get("/v1/users?limit=0", users).await;
    assert_eq!(
        (answer.status, answer.body["details"][0]["field"].as_str()),
        (400, Some("limit"))
    );
    let answer = api.get("/v1/users?colour=red", users).await;
    assert_eq!(
        (answer.status, answer.body["details"][0]["code"].as_str()),
        (400, Some("unknown_field"))
    );
    // Any string is a position of the list (see `any_cursor_is_a_position_and_never_an_error`).
    let answer = api.get("/v1/users?cursor=zz", users).await;
    assert_eq!(answer.status, 200);
    let no_key = api
        .request(reqwest::Method::POST, users)
        .json(&individual("b@example.com", "Doe"));
    let answer = api.send(no_key, users, "post").await;
    assert_eq!(
        (answer.status, answer.body["code"].as_str()),
        (400, Some("idempotency_key_missing"))
    );

    // 401: missing and wrong credentials.
    let anonymous = api.http.get(format!("{}{users}", api.base));
    let answer = api.send(anonymous, users, "get").await;
    assert_eq!(
        (answer.status, answer.body["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let answer = api.with_key("someone-else").get(users, users).await;
    assert_eq!(answer.status, 401);

    // 404: unknown user, unknown session.
    let answer = api
        .get(
            &format!("/v1/users/{}", uuid::Uuid::new_v4()),
            "/v1/users/{userId}",
        )
        .await;
    assert_eq!(
        (answer.status, answer.body["code"].as_str()),
        (404, Some("not_found"))
    );
    let answer = api
        .get(
            &format!("/v1/users/{user}/verifications/{}", uuid::Uuid::new_v4()),
            "/v1/users/{userId}/verifications/{verificationId}",
        )
        .await;
    assert_eq!(answer.status, 404);

    // 409: email taken.
    let answer = api
        .create_user(individual("ANA@example.com", "Roe"), "k3")
        .await;
    assert_eq!(
        (answer.status, answer.body["code"].as_str()),
        (409, Some("email_taken"))
    );

    // 413, 415.
    let huge = format!(
        "{{\"type\": \"individual\", \"pad\": \"{}\"}}",
        "x".repeat(1024 * 1024)
    );
    let big = api
        .request(reqwest::Method::POST, users)
        .header("idempotency-key", "k4")
        .header("content-type", "application/json")
        .body(huge);
    assert_eq!(api.send(big, users, "post").await.status, 413);
    let text = api
        .request(reqwest::Method::POST, users)
        .header("idempotency-key", "k5")
        .header("content-type", "text/plain")
        .body("hi");
    let answer = api.send(text, users, "post").await;
    assert_eq!(
        (answer.status, answer.body["code"].as_str()),
        (415, Some("unsupported_media_type"))
    );

    // 422: every offending field named by its pointer.
    let answer = api
        .create_user(json!({"type": "individual", "email": "nope", "phone_number": "12", "first_name": "", "country": "usa", "nickname": "J"}), "k6")
        .await;
    assert_eq!(answer.status, 422);
    let fields: Vec<(&str, &str)> = answer.body["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| {
            (
                d["field"].as_str().expect("field"),
                d["code"].as_str().expect("code"),
            )
        })
        .collect();
    for expected in [
        ("/last_name", "required"),
        ("/email", "invalid_format"),
        ("/phone_number", "invalid_format"),
        ("/first_name", "too_short"),
        ("/country", "invalid_format"),
        ("/nickname", "unknown_field"),
    ] {
        assert!(
            fields.contains(&expected),
            "{expected:?} missing from {fields:?}"
        );
    }
    assert!(
        !answer.body.to_string().contains("nope"),
        "error messages never echo the values sent: {}",
        answer.body
    );
    let secret_number = api
        .create_user(
            json!({"type": "individual", "email": "id@example.com", "phone_number": "+1234567890", "first_name": "A", "last_name": "B", "country": "US",
                   "government_id": {"type": "passport", "number": "SECRET#42", "issuing_country": "US"}}),
            "k6b",
        )
        .await;
    assert_eq!(secret_number.status, 422);
    assert_eq!(
        secret_number.body["details"][0]["field"],
        "/government_id/number"
    );
    assert!(
        !secret_number.body.to_string().contains("SECRET#42"),
        "{}",
        secret_number.body
    );
    let answer = api.create_user(json!({"type": "robot"}), "k7").await;
    assert_eq!(
        (answer.status, answer.body["details"][0]["field"].as_str()),
        (422, Some("/type"))
    );

    // 429 and 500 through faults, with Retry-After on 429.
    for status in [429u16, 500] {
        let (armed, _) = api
            .control(
                reqwest::Method::POST,
                "/sandbox/faults",
                json!({"status": status, "operation": "listUsers"}),
            )
            .await;
        assert_eq!(armed, 204);
        let answer = api.get(users, users).await;
        assert_eq!(answer.status, status);
        if status == 429 {
            assert_eq!(
                answer
                    .headers
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok()),
                Some("1")
            );
        }
    }

    // Unknown routes and methods answer the error body too (outside the spec's operations).
    let error_body = component_validator(&api.doc, "ErrorBody");
    for (method, path, status, code) in [
        (reqwest::Method::GET, "/v2/nothing", 404, "not_found"),
        (reqwest::Method::DELETE, users, 405, "method_not_allowed"),
    ] {
        let response = api.request(method, path).send().await.expect("answers");
        assert_eq!(response.status().as_u16(), status);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["code"], code);
        let found = errors(&error_body, &body);
        assert!(found.is_empty(), "{path}: {found:#?}");
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn data_is_scoped_to_the_api_key() {
    let sandbox = Sandbox::start(Config {
        api_keys: vec!["key-a".into(), "key-b".into()],
        ..fast()
    })
    .await
    .expect("starts");
    let a = Api::new(&sandbox).with_key("key-a");
    let b = a.with_key("key-b");
    let user = a
        .create_user(individual("shared@example.com", "Doe"), "same-key")
        .await;
    let id = user.body["id"].as_str().expect("id");
    assert_eq!(
        b.get(&format!("/v1/users/{id}"), "/v1/users/{userId}")
            .await
            .status,
        404
    );
    assert_eq!(
        b.get("/v1/users", "/v1/users").await.body["data"],
        json!([])
    );
    // Faults too: one armed by key A never fires for key B, and a bad fault is refused.
    let (status, _) = a
        .control(
            reqwest::Method::POST,
            "/sandbox/faults",
            json!({"status": 500, "operation": "listUsers"}),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(b.get("/v1/users", "/v1/users").await.status, 200);
    assert_eq!(a.get("/v1/users", "/v1/users").await.status, 500);
    for bad in [
        json!({"status": 500, "operation": "listUser"}),
        json!({"status": 500, "times": 0}),
        json!({"corrupt": {"pointer": "email"}}),
        json!({}),
    ] {
        let (status, body) = a
            .control(reqwest::Method::POST, "/sandbox/faults", bad.clone())
            .await;
        assert_eq!(status, 422, "{bad} was accepted: {body}");
    }
    // Emails and idempotency keys are per API key too.
    assert_eq!(
        b.create_user(individual("shared@example.com", "Doe"), "same-key")
            .await
            .status,
        201
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn idempotency_replays_conflicts_and_executes_once_under_concurrency() {
    let sandbox = Sandbox::start(fast()).await.expect("starts");
    let api = Arc::new(Api::new(&sandbox));
    let first = api
        .create_user(individual("once@example.com", "Doe"), "idem-1")
        .await;
    let again = api
        .create_user(individual("once@example.com", "Doe"), "idem-1")
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body);
    assert_eq!(
        again
            .headers
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert!(first.headers.get("idempotent-replayed").is_none());
    let conflict = api
        .create_user(individual("other@example.com", "Doe"), "idem-1")
        .await;
    assert_eq!(
        (conflict.status, conflict.body["code"].as_str()),
        (409, Some("idempotency_key_reused"))
    );

    let mut tasks = Vec::new();
    for _ in 0..16 {
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            api.create_user(individual("race@example.com", "Doe"), "idem-race")
                .await
        }));
    }
    let mut bodies = Vec::new();
    for task in tasks {
        let answer = task.await.expect("task");
        assert_eq!(answer.status, 201);
        bodies.push(answer.body);
    }
    assert!(
        bodies.windows(2).all(|pair| pair[0] == pair[1]),
        "every answer is the one execution's"
    );
    let listed = api
        .get("/v1/users?email=race@example.com", "/v1/users")
        .await;
    assert_eq!(
        listed.body["data"].as_array().map(Vec::len),
        Some(1),
        "executed once"
    );
    sandbox.stop().await;
}

/// A loopback receiver of webhooks that fails the first `fail_first` deliveries.
#[derive(Clone, Default)]
struct Receiver {
    received: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    fail_first: Arc<Mutex<u32>>,
}

impl Receiver {
    async fn start(fail_first: u32) -> (Receiver, String) {
        Self::start_at("127.0.0.1:0", fail_first).await
    }

    async fn start_at(address: &str, fail_first: u32) -> (Receiver, String) {
        let receiver = Receiver {
            fail_first: Arc::new(Mutex::new(fail_first)),
            ..Receiver::default()
        };
        let state = receiver.clone();
        let app = axum::Router::new().route(
            "/hooks",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let state = state.clone();
                async move {
                    let mut fail = state.fail_first.lock().expect("lock");
                    if *fail > 0 {
                        *fail -= 1;
                        return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                    }
                    state.received.lock().expect("lock").push((headers, body));
                    axum::http::StatusCode::NO_CONTENT
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind(address).await.expect("bind");
        let url = format!("http://{}/hooks", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        (receiver, url)
    }

    /// Waits for a delivery of `event`; returns its body.
    async fn wait_for(&self, event: &str) -> (HeaderMap, Value) {
        for _ in 0..300 {
            let found = self
                .received
                .lock()
                .expect("lock")
                .iter()
                .find(|(_, body)| {
                    serde_json::from_str::<Value>(body).is_ok_and(|v| v["event"] == event)
                })
                .cloned();
            if let Some((headers, body)) = found {
                return (headers, serde_json::from_str(&body).expect("json"));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no {event} delivery arrived");
    }
}

/// Checks a delivery's signature with the client crate's verifier (an implementation
/// independent of the sandbox's signer) and its payload against the published schema.
fn check_delivery(secret: &str, headers: &HeaderMap, body: &Value, raw: &str) {
    let secret = WebhookSecret::new(secret).expect("whsec_ secret");
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    secret
        .verify(header, raw.as_bytes())
        .expect("signature verifies");
    let event = body["event"].as_str().expect("event");
    let found = errors(&validator(&published_webhook_schema(event)), body);
    assert!(
        found.is_empty(),
        "{event} breaks its schema: {found:#?}\n{body:#}"
    );
}

#[tokio::test]
async fn the_life_cycle_reaches_each_outcome_with_signed_webhooks() {
    let sandbox = Sandbox::start(fast()).await.expect("starts");
    let api = Api::new(&sandbox);
    let (receiver, url) = Receiver::start(2).await;
    let (status, endpoint) = api
        .control(
            reqwest::Method::POST,
            "/sandbox/webhook-endpoints",
            json!({"url": url}),
        )
        .await;
    assert_eq!(status, 201);
    let secret = endpoint["secret"].as_str().expect("secret").to_owned();

    // user.created, delivered on the third attempt (the receiver fails twice).
    let created = api
        .create_user(individual("life@example.com", "Doe"), "life-1")
        .await;
    let user = created.body["id"].as_str().expect("id").to_owned();
    let (headers, body) = receiver.wait_for("user.created").await;
    let raw = receiver.received.lock().expect("lock")[0].1.clone();
    check_delivery(&secret, &headers, &body, &raw);
    assert_eq!(body["data"]["user_id"], created.body["id"]);
    assert_eq!(body["data"]["phone"], "+1234567890");
    let (_, log) = api
        .control(reqwest::Method::GET, "/sandbox/deliveries", json!({}))
        .await;
    let attempts = log["data"][0]["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 3, "{log:#}");
    assert_eq!(attempts[0]["status"], 503);
    assert_eq!(log["data"][0]["state"], "delivered");

    // Missing KYC data: rejected with a reason naming it.
    let session = api.create_verification(&user, json!({"type": "api"})).await;
    assert_eq!(session.body["status"], "pending");
    api.wait_for_status(&user, "rejected").await;
    let (_, failed) = receiver.wait_for("user.verification.failed").await;
    let reason = failed["data"]["reasons"][0]["developer_reason"]
        .as_str()
        .expect("reason");
    assert!(
        reason.contains("date_of_birth") && reason.contains("government_id"),
        "{reason}"
    );

    // With the data: verified, tier by kyc_type, and the user carries it.
    let retry = api
        .create_verification(
            &user,
            json!({"type": "api", "kyc_type": "full", "individual": kyc_data()}),
        )
        .await;
    assert_eq!(retry.status, 201);
    let verified = api.wait_for_status(&user, "verified").await;
    assert_eq!(
        (verified["kyc_type"].as_str(), verified["tier"].as_u64()),
        (Some("full"), Some(2))
    );
    let (headers, accepted) = receiver.wait_for("user.verification.accepted").await;
    let raw = receiver
        .received
        .lock()
        .expect("lock")
        .iter()
        .find(|(_, b)| b.contains("user.verification.accepted"))
        .map(|(_, b)| b.clone())
        .expect("raw");
    check_delivery(&secret, &headers, &accepted, &raw);
    assert_eq!(accepted["data"]["id"], retry.body["id"]);
    let again = api.create_verification(&user, json!({"type": "api"})).await;
    assert_eq!(
        (again.status, again.body["code"].as_str()),
        (409, Some("already_verified"))
    );

    // Test inputs: `Review` goes through under_review to verified; `ReviewReject` to rejected.
    for (last_name, ends) in [
        ("Review", "verified"),
        ("ReviewReject", "rejected"),
        ("Reject", "rejected"),
    ] {
        let answer = api
            .create_user(
                individual(&format!("{last_name}@example.com"), last_name),
                last_name,
            )
            .await;
        let id = answer.body["id"].as_str().expect("id").to_owned();
        let session = api
            .create_verification(&id, json!({"type": "api", "individual": kyc_data()}))
            .await;
        assert_eq!(session.status, 201);
        let in_progress = api.create_verification(&id, json!({"type": "api"})).await;
        assert_eq!(in_progress.body["code"], "verification_in_progress");
        if last_name.starts_with("Review") {
            api.wait_for_status(&id, "under_review").await;
        }
        api.wait_for_status(&id, ends).await;
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn the_hosted_page_completes_an_embedded_link_session() {
    let sandbox = Sandbox::start(fast()).await.expect("starts");
    let api = Api::new(&sandbox);
    let user = api
        .create_user(individual("page@example.com", "Doe"), "page-1")
        .await
        .body["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let session = api
        .create_verification(&user, json!({"type": "embedded-link", "redirect_uri": "https://yourapp.com/done?from=sandbox"}))
        .await;
    let link = session.body["provider_link"]
        .as_str()
        .expect("link")
        .to_owned();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = browser.get(&link).send().await.expect("page");
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.expect("html");
    assert!(
        html.contains("John Doe") && html.contains("value=\"approve\""),
        "{html}"
    );
    let done = browser
        .post(&link)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("choice=approve")
        .send()
        .await
        .expect("submit");
    assert_eq!(done.status().as_u16(), 303);
    let location = done
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location");
    assert_eq!(
        location,
        format!(
            "https://yourapp.com/done?from=sandbox&verification_id={}&status=verified",
            session.body["id"].as_str().expect("id")
        )
    );
    api.wait_for_status(&user, "verified").await;
    let again = browser
        .post(&link)
        .body("choice=reject")
        .send()
        .await
        .expect("resubmit");
    assert_eq!(again.status().as_u16(), 409);
    // An `api` session has no hosted page.
    let other = api
        .create_user(individual("api-page@example.com", "Doe"), "page-2")
        .await
        .body["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let direct = api
        .create_verification(&other, json!({"type": "api"}))
        .await;
    let page = browser
        .get(format!(
            "{}/sandbox/hosted/{}",
            api.base,
            direct.body["id"].as_str().expect("id")
        ))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status().as_u16(), 404);
    sandbox.stop().await;
}

#[tokio::test]
async fn a_restart_on_a_data_file_loses_nothing_acknowledged() {
    let dir = data_dir("restart");
    let config = Config {
        data: Some(dir.join("sandbox.sqlite")),
        retry: RetryPolicy {
            max_attempts: 1000,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(50),
        },
        ..fast()
    };

    // The receiver is down during the first run: the delivery stays pending across the
    // restart, and reaches the receiver once it is up.
    let down = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let receiver_address = down.local_addr().expect("addr").to_string();
    drop(down);

    let sandbox = Sandbox::start(config.clone()).await.expect("starts");
    let api = Api::new(&sandbox);
    let (_, endpoint) = api
        .control(
            reqwest::Method::POST,
            "/sandbox/webhook-endpoints",
            json!({"url": format!("http://{receiver_address}/hooks")}),
        )
        .await;
    let created = api
        .create_user(individual("durable@example.com", "Doe"), "durable-1")
        .await;
    let id = created.body["id"].as_str().expect("id").to_owned();
    for _ in 0..200 {
        let (_, log) = api
            .control(reqwest::Method::GET, "/sandbox/deliveries", json!({}))
            .await;
        if log["data"][0]["attempts"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
        {
            assert_eq!(log["data"][0]["state"], "pending");
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(sandbox); // Like a kill: no graceful stop.

    let sandbox = Sandbox::start(config.clone()).await.expect("restarts");
    let api = Api::new(&sandbox);
    assert_eq!(
        api.get(&format!("/v1/users/{id}"), "/v1/users/{userId}")
            .await
            .body,
        created.body
    );
    let replay = api
        .create_user(individual("durable@example.com", "Doe"), "durable-1")
        .await;
    assert_eq!(replay.body, created.body);
    assert_eq!(
        replay
            .headers
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let (_, endpoints) = api
        .control(
            reqwest::Method::GET,
            "/sandbox/webhook-endpoints",
            json!({}),
        )
        .await;
    assert_eq!(endpoints["data"][0]["secret"], endpoint["secret"]);

    let (receiver, _) = Receiver::start_at(&receiver_address, 0).await;
    let (_, delivered) = receiver.wait_for("user.created").await;
    assert_eq!(delivered["data"]["user_id"], created.body["id"]);
    let (_, log) = api
        .control(reqwest::Method::GET, "/sandbox/deliveries", json!({}))
        .await;
    assert!(
        log["data"][0]["attempts"]
            .as_array()
            .is_some_and(|a| a.len() >= 2),
        "attempts were kept: {log:#}"
    );
    sandbox.stop().await;
    std::fs::remove_dir_all(&dir).expect("clean up");
}

/// A write to the data file that fails mid-request leaves neither the file nor memory
/// changed: the answer is 500, and a retry with the same idempotency key is a clean first
/// execution (not `409 email_taken` from a half-done first attempt).
#[tokio::test]
async fn a_failed_save_leaves_nothing_behind() {
    let dir = data_dir("failed-save");
    let data = dir.join("sandbox.sqlite");
    let sandbox = Sandbox::start(Config {
        data: Some(data.clone()),
        ..fast()
    })
    .await
    .expect("starts");
    let api = Api::new(&sandbox);

    // Another connection makes the idempotency record's write fail, after the user's.
    let saboteur = rusqlite::Connection::open(&data).expect("open the data file");
    saboteur
        .execute_batch("CREATE TRIGGER refuse BEFORE INSERT ON records WHEN NEW.kind = 'idempotency' BEGIN SELECT RAISE(ABORT, 'injected failure'); END;")
        .expect("trigger");
    let failed = api
        .create_user(individual("atomic@example.com", "Doe"), "atomic-1")
        .await;
    assert_eq!(
        (failed.status, failed.body["code"].as_str()),
        (500, Some("internal_error"))
    );
    assert_eq!(
        api.get("/v1/users", "/v1/users").await.body["data"],
        json!([]),
        "memory went back"
    );

    saboteur
        .execute_batch("DROP TRIGGER refuse;")
        .expect("drop trigger");
    let retried = api
        .create_user(individual("atomic@example.com", "Doe"), "atomic-1")
        .await;
    assert_eq!(retried.status, 201, "{}", retried.body);
    assert!(retried.headers.get("idempotent-replayed").is_none());
    assert_eq!(
        api.get("/v1/users", "/v1/users").await.body["data"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    sandbox.stop().await;
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[tokio::test]
async fn a_corrupting_fault_breaks_exactly_one_field() {
    let sandbox = Sandbox::start(fast()).await.expect("starts");
    let api = Api::new(&sandbox);
    let id = api
        .create_user(individual("fault@example.com", "Doe"), "f1")
        .await
        .body["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (status, _) = api
        .control(
            reqwest::Method::POST,
            "/sandbox/faults",
            json!({"operation": "getUser", "corrupt": {"pointer": "/email", "value": 42}}),
        )
        .await;
    assert_eq!(status, 204);
    let response = api
        .request(reqwest::Method::GET, &format!("/v1/users/{id}"))
        .send()
        .await
        .expect("answers");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["email"], 42);
    // The branch's own schema, so that the error names the field (a `oneOf` reports only
    // that no branch matched).
    let found = errors(&component_validator(&api.doc, "IndividualUser"), &body);
    assert!(
        found.iter().any(|(pointer, _, _)| pointer == "/email"),
        "{found:#?}"
    );
    // Only once.
    assert_eq!(
        api.get(&format!("/v1/users/{id}"), "/v1/users/{userId}")
            .await
            .body["email"],
        "fault@example.com"
    );
    sandbox.stop().await;
}

/// The generated client drives the sandbox through the docs' quick example.
#[tokio::test]
async fn the_generated_client_drives_the_sandbox() {
    use balampay_client::{BalamPay, CreateUserRequest, types};
    let sandbox = Sandbox::start(fast()).await.expect("starts");
    let api = BalamPay::new(sandbox.base_url(), DEFAULT_TOKEN, DEFAULT_API_KEY).expect("client");
    let request: types::CreateIndividualUserRequest =
        serde_json::from_value(individual("client@example.com", "Doe")).expect("reads");
    let user = api
        .create_user(CreateUserRequest::from(request))
        .await
        .expect("createUser");
    let session: types::EmbeddedLinkVerificationRequest =
        serde_json::from_value(json!({"type": "embedded-link", "redirect_uri": "https://yourapp.com/verification-complete"})).expect("reads");
    let verification = api
        .create_verification(user.id(), session)
        .await
        .expect("createVerification");
    assert!(verification.provider_link.is_some());
    let error = api.get_user(uuid::Uuid::new_v4()).await.expect_err("404");
    assert_eq!(error.code(), Some(balampay_client::ErrorCode::NotFound));
    sandbox.stop().await;
}

// What partners' QA tools found (issue 12): each kind of input, as those tools send it.

/// Five users of one key, oldest first.
async fn five_users(api: &Api) -> Vec<String> {
    let mut ids = Vec::new();
    for n in 0..5 {
        let created = api
            .create_user(
                individual(&format!("page{n}@example.com"), "Doe"),
                &format!("page-{n}"),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        ids.push(created.body["id"].as_str().expect("id").to_owned());
    }
    ids
}

#[tokio::test]
async fn any_cursor_is_a_position_and_never_an_error() {
    let sandbox = Sandbox::start(fast()).await.expect("starts");
    let api = Api::new(&sandbox);
    let mut ids = five_users(&api).await;
    ids.reverse(); // Newest first, as lists are.

    // Following next_cursor visits every user once, in order.
    let mut seen = Vec::new();
    let mut path = "/v1/users?limit=2".to_owned();
    loop {
        let page = api.get(&path, "/v1/users").await;
        assert_eq!(page.status, 200, "{}", page.body);
        for user in page.body["data"].as_array().expect("data") {
            seen.push(user["id"].as_str().expect("id").to_owned());
        }
        match page.body["next_cursor"].as_str() {
            Some(cursor) => {
                assert_eq!(page.body["has_more"], true);
                path = format!("/v1/users?limit=2&cursor={cursor}");
            }
            None => {
                assert_eq!(page.body["has_more"], false);
                break;
            }
        }
    }
    assert_eq!(seen, ids);

    // Cursors no page returned, as Schemathesis sends them: each is a position.
    let first_page = api.get("/v1/users?limit=2", "/v1/users").await;
    let after_two = first_page.body["next_cursor"].as_str().expect("cursor");
    for (cursor, expected) in [
        ("0".to_owned(), 0),          // before everything: an empty last page
        ("zzz".to_owned(), 5),        // after everything: the first page
        ("c3".to_owned(), 5),         // the old cursor format sorts after every position
        ("%20".to_owned(), 0),        // a space sorts before digits
        (after_two.to_owned(), 3),    // a next_cursor: what follows the first page
        (format!("{after_two}0"), 4), // just after it: its own item too
    ] {
        let page = api
            .get(&format!("/v1/users?cursor={cursor}"), "/v1/users")
            .await;
        assert_eq!(page.status, 200, "cursor {cursor}: {}", page.body);
        assert_eq!(
            page.body["data"].as_array().map(Vec::len),
            Some(expected),
            "cursor {cursor}"
        );
        assert_eq!(page.body["has_more"], false, "cursor {cursor}");
    }
    let user = &ids[0];
    let verifications = api
        .get(
            &format!("/v1/users/{user}/verifications?cursor=0"),
            "/v1/users/{userId}/verifications",
        )
        .await;
    assert_eq!(verifications.status, 200, "{}", verifications.body);
    sandbox.stop().await;
}

#[tokio::test]
async fn integral_floats_are_integers_where_the_schema_says_integer() {
    let sandbox = Sandbox::start(fast()).await.expect("starts");
    let api = Api::new(&sandbox);
    // Python's json.dumps(29.0) is `29.0`; JSON Schema 2020-12 counts it as an integer.
    let owner = |percentage: f64| json!({"first_name": "Ana", "last_name": "Ruiz", "date_of_birth": "1980-01-01", "ownership_percentage": percentage});
    let created = api
        .create_user(
            json!({"type": "business", "email": "floats@example.com", "phone_number": "+12125550123", "business_name": "Floats LLC", "country": "US", "beneficial_owners": [owner(29.0), owner(1e1)]}),
            "floats-1",
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        created.body["beneficial_owners"][0]["ownership_percentage"],
        json!(29)
    );
    let id = created.body["id"].as_str().expect("id");
    let session = api
        .create_verification(
            id,
            json!({"type": "api", "kyc_type": "full", "business": {"tax_id": "12-3456789", "beneficial_owners": [owner(99.0)]}}),
        )
        .await;
    assert_eq!(session.status, 201, "{}", session.body);

    // A fraction is still refused, by the spec's own validation, at its pointer.
    let refused = api
        .create_user(
            json!({"type": "business", "email": "floats2@example.com", "phone_number": "+12125550123", "business_name": "Floats LLC", "country": "US", "beneficial_owners": [owner(29.5)]}),
            "floats-2",
        )
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        refused.body["details"][0]["field"],
        "/beneficial_owners/0/ownership_percentage"
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn error_details_stop_at_the_specs_max_items_and_the_message_gives_the_total() {
    let doc = published_openapi();
    let max_items = doc["components"]["schemas"]["ErrorBody"]["properties"]["details"]["maxItems"]
        .as_u64()
        .expect("maxItems");
    assert_eq!(max_items, balampay_sandbox::error::MAX_DETAILS as u64);
    let sandbox = Sandbox::start(fast()).await.expect("starts");
    let api = Api::new(&sandbox);
    let mut body = individual("many@example.com", "Doe");
    for n in 0..5000 {
        body[format!("unknown_{n}")] = json!(n);
    }
    let refused = api.create_user(body, "many-1").await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.body["details"].as_array().map(Vec::len), Some(100));
    assert_eq!(
        refused.body["message"],
        "The request body has 5000 invalid fields; the first 100 are listed."
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn the_authorization_scheme_is_case_insensitive() {
    let sandbox = Sandbox::start(fast()).await.expect("starts");
    let http = reqwest::Client::new();
    for (value, status) in [
        (format!("bearer {DEFAULT_TOKEN}"), 200),
        (format!("BEARER  {DEFAULT_TOKEN}"), 200),
        (format!("Bearer {DEFAULT_TOKEN}"), 200),
        (format!("Basic {DEFAULT_TOKEN}"), 401),
        ("Bearer".to_owned(), 401),
        (format!("Bearer{DEFAULT_TOKEN}"), 401),
    ] {
        let answer = http
            .get(format!("{}/v1/users", sandbox.base_url()))
            .header("authorization", &value)
            .header("x-api-key", DEFAULT_API_KEY)
            .send()
            .await
            .expect("answers");
        assert_eq!(answer.status().as_u16(), status, "{value:?}");
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn query_parameters_are_judged_by_their_schemas() {
    let sandbox = Sandbox::start(fast()).await.expect("starts");
    let api = Api::new(&sandbox);
    let long = format!("{}@example.com", "a".repeat(250));
    for (query, field, code) in [
        ("email=not-an-email", "email", "invalid_format"),
        (&*format!("email={long}"), "email", "too_long"),
        ("limit=0", "limit", "out_of_range"),
        ("limit=ten", "limit", "invalid_type"),
        ("status=gone", "status", "invalid_value"),
    ] {
        let answer = api.get(&format!("/v1/users?{query}"), "/v1/users").await;
        assert_eq!(answer.status, 400, "{query}: {}", answer.body);
        assert_eq!(answer.body["details"][0]["location"], "query", "{query}");
        assert_eq!(answer.body["details"][0]["field"], field, "{query}");
        assert_eq!(answer.body["details"][0]["code"], code, "{query}");
    }
    let fine = api
        .get("/v1/users?email=Ana%40Example.com&limit=100", "/v1/users")
        .await;
    assert_eq!(fine.status, 200, "{}", fine.body);
    sandbox.stop().await;
}

#[tokio::test]
async fn a_repeated_json_key_is_refused_by_name() {
    let sandbox = Sandbox::start(fast()).await.expect("starts");
    let api = Api::new(&sandbox);
    let body = r#"{"type": "individual", "email": "a@example.com", "phone_number": "+1234567890", "first_name": "John", "last_name": "Doe", "country": "US", "email": "b@example.com"}"#;
    let request = api
        .request(reqwest::Method::POST, "/v1/users")
        .header("idempotency-key", "dup-1")
        .header("content-type", "application/json")
        .body(body);
    let answer = api.send(request, "/v1/users", "post").await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(answer.body["details"][0]["field"], "/email");
    assert_eq!(answer.body["details"][0]["location"], "body");
    // The control API reads its bodies the same way.
    let control = api
        .request(reqwest::Method::POST, "/sandbox/faults")
        .header("content-type", "application/json")
        .body(r#"{"status": 429, "status": 500}"#)
        .send()
        .await
        .expect("answers");
    assert_eq!(control.status().as_u16(), 400);
    let body: Value = control.json().await.expect("error body");
    assert_eq!(body["details"][0]["field"], "/status");
    sandbox.stop().await;
}

#[tokio::test]
async fn method_not_allowed_names_the_allowed_methods() {
    let sandbox = Sandbox::start(fast()).await.expect("starts");
    let api = Api::new(&sandbox);
    for (method, path, allowed) in [
        (reqwest::Method::DELETE, "/v1/users", "GET,HEAD,POST"),
        (
            reqwest::Method::PUT,
            "/v1/users/6487276d-e86c-46ad-bc7b-afe43310ae01",
            "GET,HEAD,PATCH",
        ),
        (reqwest::Method::PUT, "/sandbox/faults", "DELETE,POST"),
    ] {
        let answer = api
            .request(method.clone(), path)
            .send()
            .await
            .expect("answers");
        assert_eq!(answer.status().as_u16(), 405, "{method} {path}");
        let mut methods: Vec<&str> = answer
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .collect();
        methods.sort_unstable();
        assert_eq!(methods.join(","), allowed, "{method} {path}");
        let body: Value = answer.json().await.expect("error body");
        assert_eq!(body["code"], "method_not_allowed");
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn emails_stay_unique_per_key_through_updates() {
    let sandbox = Sandbox::start(fast()).await.expect("starts");
    let api = Api::new(&sandbox);
    let first = api
        .create_user(individual("first@example.com", "Doe"), "email-1")
        .await;
    let id = first.body["id"].as_str().expect("id").to_owned();
    let taken = api
        .create_user(individual("FIRST@example.com", "Doe"), "email-2")
        .await;
    assert_eq!(
        (taken.status, taken.body["code"].as_str()),
        (409, Some("email_taken"))
    );
    // The email moves: the old one is free, the new one taken.
    let moved = api
        .send(
            api.request(reqwest::Method::PATCH, &format!("/v1/users/{id}"))
                .json(&json!({"type": "individual", "email": "moved@example.com"})),
            "/v1/users/{userId}",
            "patch",
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let reused = api
        .create_user(individual("first@example.com", "Doe"), "email-3")
        .await;
    assert_eq!(reused.status, 201, "{}", reused.body);
    let clash = api
        .create_user(individual("Moved@Example.com", "Doe"), "email-4")
        .await;
    assert_eq!(clash.status, 409);
    let found = api
        .get("/v1/users?email=MOVED%40example.com", "/v1/users")
        .await;
    assert_eq!(found.body["data"][0]["id"], id.as_str());
    sandbox.stop().await;
}

#[tokio::test]
async fn a_data_file_serves_one_sandbox_at_a_time() {
    let dir = data_dir("lock");
    let data = dir.join("sandbox.sqlite");
    let config = || Config {
        data: Some(data.clone()),
        ..fast()
    };
    let first = Sandbox::start(config()).await.expect("starts");
    let second = Sandbox::start(config()).await.err().expect("refused");
    let message = second.to_string();
    assert!(
        message.contains("is in use by another sandbox"),
        "{message}"
    );
    assert!(
        message.contains(&format!("process {}", std::process::id())),
        "{message}"
    );
    // The same file by another name: still the same lock.
    let link = dir.join("link.sqlite");
    std::os::unix::fs::symlink(&data, &link).expect("symlink");
    let through_link = Sandbox::start(Config {
        data: Some(link),
        ..fast()
    })
    .await
    .err()
    .expect("refused through a symbolic link too");
    assert!(
        through_link
            .to_string()
            .contains("is in use by another sandbox"),
        "{through_link}"
    );
    first.stop().await;
    let again = Sandbox::start(config())
        .await
        .expect("free once the first stopped");
    drop(again);
    let after_drop = Sandbox::start(config()).await.expect("free once dropped");
    after_drop.stop().await;
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[tokio::test]
async fn an_acknowledged_delivery_that_cannot_be_recorded_is_not_sent_again() {
    let dir = data_dir("unrecorded");
    let data = dir.join("sandbox.sqlite");
    let sandbox = Sandbox::start(Config {
        data: Some(data.clone()),
        ..fast()
    })
    .await
    .expect("starts");
    let api = Api::new(&sandbox);
    let (receiver, url) = Receiver::start(0).await;
    let (status, _) = api
        .control(
            reqwest::Method::POST,
            "/sandbox/webhook-endpoints",
            json!({"url": url}),
        )
        .await;
    assert_eq!(status, 201);
    // The data file refuses to record attempts (as a full disk would), not the delivery's
    // creation with the user.
    let saboteur = rusqlite::Connection::open(&data).expect("open the data file");
    saboteur
        .execute_batch("CREATE TRIGGER refuse BEFORE INSERT ON records WHEN NEW.kind = 'delivery' AND NEW.body LIKE '%at_ms%' BEGIN SELECT RAISE(ABORT, 'disk full'); END;")
        .expect("trigger");
    let created = api
        .create_user(individual("unrecorded@example.com", "Doe"), "unrecorded-1")
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    receiver.wait_for("user.created").await;
    // Before the fix, the delivery was sent again every 20 ms tick.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(receiver.received.lock().expect("lock").len(), 1);

    // Once the file takes writes again, the attempt is recorded: delivered, once.
    saboteur
        .execute_batch("DROP TRIGGER refuse;")
        .expect("drop trigger");
    let mut log = Value::Null;
    for _ in 0..100 {
        log = api
            .control(reqwest::Method::GET, "/sandbox/deliveries", json!({}))
            .await
            .1;
        if log["data"][0]["state"] == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(log["data"][0]["state"], "delivered", "{log:#}");
    assert_eq!(log["data"][0]["attempts"].as_array().map(Vec::len), Some(1));
    assert_eq!(receiver.received.lock().expect("lock").len(), 1);
    sandbox.stop().await;
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[tokio::test]
async fn the_delivery_log_comes_in_pages() {
    let sandbox = Sandbox::start(fast()).await.expect("starts");
    let api = Api::new(&sandbox);
    let (receiver, url) = Receiver::start(0).await;
    api.control(
        reqwest::Method::POST,
        "/sandbox/webhook-endpoints",
        json!({"url": url}),
    )
    .await;
    five_users(&api).await;
    for _ in 0..100 {
        if receiver.received.lock().expect("lock").len() == 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (status, first) = api
        .control(
            reqwest::Method::GET,
            "/sandbox/deliveries?limit=3",
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(first["data"].as_array().map(Vec::len), Some(3));
    assert_eq!(first["has_more"], true);
    let cursor = first["next_cursor"].as_str().expect("next_cursor");
    let (_, second) = api
        .control(
            reqwest::Method::GET,
            &format!("/sandbox/deliveries?limit=3&cursor={cursor}"),
            json!({}),
        )
        .await;
    assert_eq!(second["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(second["has_more"], false);
    assert!(second.get("next_cursor").is_none());
    let (status, _) = api
        .control(
            reqwest::Method::GET,
            "/sandbox/deliveries?limit=0",
            json!({}),
        )
        .await;
    assert_eq!(status, 400);
    sandbox.stop().await;
}

/// Sends raw bytes (then, after `pause`, `rest`) and reads the answer until the server
/// closes the connection (bounded by 10 s): its status and JSON body, if any.
async fn raw_exchange(
    sandbox: &Sandbox,
    head: &[u8],
    pause: Duration,
    rest: &[u8],
) -> (Option<u16>, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(sandbox.addr())
        .await
        .expect("connects");
    stream.write_all(head).await.expect("writes");
    tokio::time::sleep(pause).await;
    // The server may already have answered and closed: a failed write is part of the story.
    let _ = stream.write_all(rest).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection within 10 s");
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok());
    let body = text
        .split_once("\r\n\r\n")
        .and_then(|(_, body)| serde_json::from_str(body).ok())
        .unwrap_or(Value::Null);
    (status, body)
}

fn authorized_head(method: &str, target: &str, extra: &str) -> String {
    format!(
        "{method} {target} HTTP/1.1\r\nhost: sandbox\r\nauthorization: Bearer {DEFAULT_TOKEN}\r\nx-api-key: {DEFAULT_API_KEY}\r\nconnection: close\r\n{extra}"
    )
}

#[tokio::test]
async fn protocol_limits_are_answered_with_the_error_body() {
    let sandbox = Sandbox::start(fast()).await.expect("starts");
    let documented = |body: &Value| {
        let validator = component_validator(&published_openapi(), "ErrorBody");
        errors(&validator, body)
    };

    // More header fields than the API accepts.
    let many: String = (0..101).map(|n| format!("x-extra-{n}: {n}\r\n")).collect();
    let (status, body) = raw_exchange(
        &sandbox,
        format!("{}{many}\r\n", authorized_head("GET", "/v1/users", "")).as_bytes(),
        Duration::ZERO,
        b"",
    )
    .await;
    assert_eq!(status, Some(400), "{body}");
    assert_eq!(body["details"][0]["location"], "header");
    assert!(documented(&body).is_empty(), "{body}");

    // One header field of a megabyte.
    let big = format!("x-big: {}\r\n\r\n", "a".repeat(1024 * 1024));
    let (status, body) = raw_exchange(
        &sandbox,
        format!("{}{big}", authorized_head("GET", "/v1/users", "")).as_bytes(),
        Duration::ZERO,
        b"",
    )
    .await;
    assert_eq!(status, Some(400), "{body}");
    assert_eq!(
        (
            body["details"][0]["location"].as_str(),
            body["details"][0]["field"].as_str()
        ),
        (Some("header"), Some("x-big"))
    );

    // A request target of 10 KiB.
    let target = format!("/v1/users?email={}", "a".repeat(10 * 1024));
    let (status, body) = raw_exchange(
        &sandbox,
        format!("{}\r\n", authorized_head("GET", &target, "")).as_bytes(),
        Duration::ZERO,
        b"",
    )
    .await;
    assert_eq!(status, Some(400), "{body}");
    assert_eq!(body["details"][0]["location"], "query");
    assert_eq!(body["details"][0]["code"], "too_long");

    // Heads the HTTP parser cannot read at all: 400 with the error body too.
    let huge_target = format!("/v1/users?email={}", "a".repeat(70 * 1024));
    let unreadable: [(&str, Vec<u8>); 4] = [
        (
            "a NUL in a header",
            format!("{}x-nul: a\0b\r\n\r\n", authorized_head("GET", "/v1/users", "")).into_bytes(),
        ),
        ("a raw 0xFF in the path", {
            let mut head = b"GET /v1/users/\xff HTTP/1.1\r\nhost: sandbox\r\n".to_vec();
            head.extend_from_slice(b"connection: close\r\n\r\n");
            head
        }),
        (
            "conflicting Content-Length fields",
            authorized_head(
                "POST",
                "/v1/users",
                "content-type: application/json\r\nidempotency-key: cl-1\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}",
            )
            .into_bytes(),
        ),
        (
            "a target over 64 KiB",
            format!("{}\r\n", authorized_head("GET", &huge_target, "")).into_bytes(),
        ),
    ];
    for (what, head) in unreadable {
        let (status, body) = raw_exchange(&sandbox, &head, Duration::ZERO, b"").await;
        assert_eq!(status, Some(400), "{what}: {body}");
        assert_eq!(body["code"], "bad_request", "{what}");
        assert!(documented(&body).is_empty(), "{what}: {body}");
    }

    // A malformed chunked body is malformed, not too large.
    let (status, body) = raw_exchange(
        &sandbox,
        authorized_head(
            "POST",
            "/v1/users",
            "content-type: application/json\r\nidempotency-key: chunked-1\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        )
        .as_bytes(),
        Duration::ZERO,
        b"",
    )
    .await;
    assert_eq!(status, Some(400), "{body}");
    assert_eq!(body["code"], "bad_request");
    sandbox.stop().await;
}

#[tokio::test]
async fn slow_clients_are_timed_out() {
    let sandbox = Sandbox::start(Config {
        limits: balampay_sandbox::Limits {
            header_read_timeout: Duration::from_millis(300),
            body_read_timeout: Duration::from_millis(300),
            ..balampay_sandbox::Limits::default()
        },
        ..fast()
    })
    .await
    .expect("starts");

    // A head that never ends: the connection is closed, with no answer to give.
    let started = std::time::Instant::now();
    let (status, _) = raw_exchange(
        &sandbox,
        b"GET /v1/users HTTP/1.1\r\nhost: sandbox\r\n",
        Duration::ZERO,
        b"",
    )
    .await;
    assert_eq!(status, None);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // A body that stops halfway: 400 with the error body once the body timeout passes.
    let (status, body) = raw_exchange(
        &sandbox,
        authorized_head(
            "POST",
            "/v1/users",
            "content-type: application/json\r\nidempotency-key: slow-1\r\ncontent-length: 100\r\n\r\n{\"type\":",
        )
        .as_bytes(),
        Duration::from_millis(800),
        b"",
    )
    .await;
    assert_eq!(status, Some(400), "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("did not arrive")),
        "{body}"
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn rate_limits_are_per_key_with_documented_headers_and_retry_after() {
    let sandbox = Sandbox::start(Config {
        api_keys: vec![DEFAULT_API_KEY.to_owned(), "other-key".to_owned()],
        ..fast()
    })
    .await
    .expect("starts");
    let api = Api::new(&sandbox);
    let header = |answer: &Answer, name: &str| {
        answer
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
    };
    // The default limit: headers on every answer, far from the limit.
    let first = api.get("/v1/users", "/v1/users").await;
    assert_eq!(header(&first, "x-ratelimit-limit"), Some(1000));
    assert_eq!(header(&first, "x-ratelimit-remaining"), Some(999));

    // A test sets a small limit on purpose and meets 429.
    let (status, set) = api
        .control(
            reqwest::Method::POST,
            "/sandbox/rate-limit",
            json!({"requests_per_second": 1, "burst": 2}),
        )
        .await;
    assert_eq!((status, set["burst"].as_u64()), (200, Some(2)));
    let one = api.get("/v1/users", "/v1/users").await;
    let two = api.get("/v1/users", "/v1/users").await;
    assert_eq!((one.status, two.status), (200, 200));
    assert_eq!(header(&two, "x-ratelimit-remaining"), Some(0));
    let refused = api.get("/v1/users", "/v1/users").await;
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (429, Some("rate_limited"))
    );
    assert_eq!(header(&refused, "retry-after"), Some(1));
    assert_eq!(header(&refused, "x-ratelimit-remaining"), Some(0));
    assert_eq!(header(&refused, "x-ratelimit-limit"), Some(2));

    // Another key is not affected, and after Retry-After the key may go on.
    let other = api
        .with_key("other-key")
        .get("/v1/users", "/v1/users")
        .await;
    assert_eq!(other.status, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(api.get("/v1/users", "/v1/users").await.status, 200);

    // Back to the default.
    let (status, _) = api
        .control(reqwest::Method::DELETE, "/sandbox/rate-limit", json!({}))
        .await;
    assert_eq!(status, 204);
    let again = api.get("/v1/users", "/v1/users").await;
    assert_eq!(header(&again, "x-ratelimit-limit"), Some(1000));

    // The headers are the ones the spec documents on every operation's answers.
    let doc = published_openapi();
    for (name, _) in balampay_schema::spec::RATE_LIMIT_HEADERS {
        assert!(
            doc["paths"]["/v1/users"]["get"]["responses"]["200"]["headers"]
                .get(name)
                .is_some(),
            "{name} is not documented"
        );
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn no_connection_outlives_a_dropped_sandbox() {
    let dir = data_dir("dropped");
    let sandbox = Sandbox::start(Config {
        data: Some(dir.join("sandbox.sqlite")),
        ..fast()
    })
    .await
    .expect("starts");
    let api = Api::new(&sandbox);
    // A keep-alive connection is open in the client's pool.
    assert_eq!(api.get("/v1/users", "/v1/users").await.status, 200);
    drop(sandbox);
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Nothing answers it any more: no write is acknowledged that the closed file did not keep.
    let late = api
        .request(reqwest::Method::POST, "/v1/users")
        .header("idempotency-key", "late-1")
        .json(&individual("late@example.com", "Doe"))
        .send()
        .await;
    assert!(late.is_err(), "a dropped sandbox answered: {late:?}");
    std::fs::remove_dir_all(&dir).expect("clean up");
}
