//! `run`: the scenario suite against a live API. Every exchange goes through every check;
//! every scenario also states the statuses it expects (an API that ignores credentials
//! fails), and every body must be readable by the generated client's types.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::check::{Check, Exchange, Failure, Scope, check_exchange};
use crate::record::Recorder;
use crate::report::{Case, Report};
use crate::spec::Spec;
use crate::webhooks::{Listener, listen};

/// Where the suite runs and with which credentials. Its `Debug` output hides them.
#[derive(Clone)]
pub struct Target {
    /// The API's base URL.
    pub base_url: String,
    /// The bearer token.
    pub token: String,
    /// The API key.
    pub api_key: String,
}

/// Called with each scenario's position, the count and its name, before it runs.
pub type Progress = Box<dyn FnMut(usize, usize, &str) + Send>;

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("base_url", &self.base_url)
            .field("token", &"<redacted>")
            .field("api_key", &"<redacted>")
            .finish()
    }
}

/// Which scenarios run.
#[derive(Default)]
pub struct Options {
    /// Run only these scenarios (all when empty).
    pub only: Vec<String>,
    /// Skip these scenarios.
    pub skip: Vec<String>,
    /// Create nothing: credentials checks, not-found, and GETs of the ids given.
    pub read_only: bool,
    /// User ids to read in the read-only profile.
    pub user_ids: Vec<Uuid>,
    /// Where to record every exchange.
    pub record: Option<Recorder>,
    /// Called with each scenario's position and name before it runs.
    pub progress: Option<Progress>,
}

/// A scenario: its name, whether it creates data, whether it needs the sandbox's control
/// API, and what it does.
struct Scenario {
    name: &'static str,
    writes: bool,
    needs_control: bool,
}

/// Every scenario, in the order they run.
const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "auth_missing",
        writes: false,
        needs_control: false,
    },
    Scenario {
        name: "auth_wrong",
        writes: false,
        needs_control: false,
    },
    Scenario {
        name: "not_found",
        writes: false,
        needs_control: false,
    },
    Scenario {
        name: "malformed_requests",
        writes: false,
        needs_control: false,
    },
    Scenario {
        name: "read_given_ids",
        writes: false,
        needs_control: false,
    },
    Scenario {
        name: "create_individual",
        writes: true,
        needs_control: false,
    },
    Scenario {
        name: "create_business",
        writes: true,
        needs_control: false,
    },
    Scenario {
        name: "update_user",
        writes: true,
        needs_control: false,
    },
    Scenario {
        name: "list_users_pagination",
        writes: true,
        needs_control: false,
    },
    Scenario {
        name: "validation_errors",
        writes: true,
        needs_control: false,
    },
    Scenario {
        name: "missing_idempotency_key",
        writes: true,
        needs_control: false,
    },
    Scenario {
        name: "idempotent_replay",
        writes: true,
        needs_control: false,
    },
    Scenario {
        name: "idempotency_conflict",
        writes: true,
        needs_control: false,
    },
    Scenario {
        name: "embedded_link_verified",
        writes: true,
        needs_control: true,
    },
    Scenario {
        name: "api_verified",
        writes: true,
        needs_control: true,
    },
    Scenario {
        name: "api_rejected",
        writes: true,
        needs_control: true,
    },
    Scenario {
        name: "api_under_review",
        writes: true,
        needs_control: true,
    },
    Scenario {
        name: "api_missing_data",
        writes: true,
        needs_control: true,
    },
    Scenario {
        name: "list_and_get_verifications",
        writes: true,
        needs_control: true,
    },
    Scenario {
        name: "webhooks",
        writes: true,
        needs_control: true,
    },
];

/// The names of every scenario.
pub fn scenario_names() -> Vec<&'static str> {
    SCENARIOS.iter().map(|s| s.name).collect()
}

/// Which credentials a request carries.
#[derive(Clone, Copy, PartialEq)]
enum Auth {
    Both,
    Neither,
    WrongToken,
    OnlyApiKey,
}

/// A webhook the suite expects, by event and the id it concerns.
struct Expected {
    event: &'static str,
    key: &'static str,
    id: String,
}

struct Runner {
    spec: Arc<Spec>,
    target: Target,
    http: reqwest::Client,
    browser: reqwest::Client,
    record: Option<Recorder>,
    case: Case,
    listener: Option<Listener>,
    expected: Vec<Expected>,
}

/// A unique, real-looking email for a created user.
fn email(tag: &str) -> String {
    format!("contract-{tag}-{}@example.com", Uuid::new_v4().simple())
}

fn individual(tag: &str, last_name: &str) -> Value {
    json!({"type": "individual", "email": email(tag), "phone_number": "+573013185684", "first_name": "Ana", "last_name": last_name, "country": "CO"})
}

fn kyc_data() -> Value {
    json!({
        "date_of_birth": "1990-04-21",
        "address": {"line1": "Calle 93 #11-26", "city": "Bogotá", "postal_code": "110221", "country": "CO"},
        "government_id": {"type": "national_id", "number": "1020304050", "issuing_country": "CO"}
    })
}

impl Runner {
    /// Sends one request, honours `429 Retry-After` (bounded), checks the answer, records
    /// it, and checks the expected statuses. Returns the exchange.
    async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Value>,
        auth: Auth,
        idempotency_key: Option<&str>,
        expect: &[u16],
    ) -> Option<Exchange> {
        let mut tries = 0;
        loop {
            let url = format!("{}{path}", self.target.base_url);
            let mut request = self.http.request(method.clone(), &url);
            let mut request_headers = Vec::new();
            let mut header = |name: &str, value: String| {
                request_headers.push((name.to_owned(), value.clone()));
                (name.to_owned(), value)
            };
            let mut headers = Vec::new();
            match auth {
                Auth::Both => {
                    headers.push(header(
                        "authorization",
                        format!("Bearer {}", self.target.token),
                    ));
                    headers.push(header("x-api-key", self.target.api_key.clone()));
                }
                Auth::WrongToken => {
                    headers.push(header("authorization", "Bearer not-the-token".to_owned()));
                    headers.push(header("x-api-key", self.target.api_key.clone()));
                }
                Auth::OnlyApiKey => headers.push(header("x-api-key", self.target.api_key.clone())),
                Auth::Neither => {}
            }
            if let Some(key) = idempotency_key {
                headers.push(header("idempotency-key", key.to_owned()));
            }
            if body.is_some() {
                headers.push(header("content-type", "application/json".to_owned()));
            }
            for (name, value) in headers {
                request = request.header(name, value);
            }
            if let Some(body) = &body {
                request = request.body(body.to_string());
            }
            let response = match request.send().await {
                Ok(response) => response,
                Err(error) => {
                    self.case
                        .errors
                        .push(format!("{method} {path}: {}", error.without_url()));
                    return None;
                }
            };
            let status = response.status().as_u16();
            let response_headers: Vec<(String, String)> = response
                .headers()
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        value.to_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            let text = response.text().await.unwrap_or_default();
            let exchange = Exchange {
                method: method.to_string(),
                path: path.to_owned(),
                request_headers,
                request_body: body.clone(),
                status,
                response_headers,
                response_body: text,
                body_recorded: true,
            };
            self.inspect(&exchange);
            if status == 429 && !expect.contains(&429) {
                // Rate limits are honoured, never counted as contract violations: after three
                // waits the scenario gives up with an input error instead.
                if tries < 3 {
                    tries += 1;
                    tokio::time::sleep(Duration::from_secs(retry_after.unwrap_or(1).min(10))).await;
                    continue;
                }
                self.case.errors.push(format!(
                    "{method} {path}: still rate limited (429) after three waits"
                ));
                return None;
            }
            self.case.ran(&[Check::ExpectedStatus]);
            if !expect.contains(&status) {
                let verdict_operation = self
                    .spec
                    .operation(method.as_str(), path.split('?').next().unwrap_or(path))
                    .map(|op| op.id.clone());
                self.case.failed([Failure {
                    check: Check::ExpectedStatus,
                    operation_id: verdict_operation,
                    method: method.to_string(),
                    path: path.split('?').next().unwrap_or(path).to_owned(),
                    status,
                    pointer: None,
                    schema_location: None,
                    keyword: None,
                    place: None,
                    expected: format!(
                        "status {}",
                        expect
                            .iter()
                            .map(u16::to_string)
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ),
                    actual: status.to_string(),
                }]);
            }
            return Some(exchange);
        }
    }

    /// The spec's checks, the client types' check and the recording of one exchange.
    fn inspect(&mut self, exchange: &Exchange) {
        let verdict = check_exchange(
            &self.spec,
            exchange,
            Scope {
                request: false,
                credentials_may_be_removed: false,
            },
        );
        self.case.ran(&verdict.checks);
        let operation = verdict.operation_id.clone();
        self.case.failed(verdict.failures);
        if let Some(operation) = operation
            && let Some(problem) = client_types(&self.spec, &operation, exchange)
        {
            self.case.ran(&[Check::ClientTypes]);
            self.case.failed([Failure {
                check: Check::ClientTypes,
                operation_id: Some(operation),
                method: exchange.method.clone(),
                path: exchange.path_only().to_owned(),
                status: exchange.status,
                pointer: None,
                schema_location: None,
                keyword: None,
                place: None,
                expected: "a body the generated client's types read".to_owned(),
                actual: problem,
            }]);
        } else {
            self.case.ran(&[Check::ClientTypes]);
        }
        if let Some(recorder) = &mut self.record
            && let Err(error) = recorder.write(exchange)
        {
            self.case.errors.push(format!("cannot record: {error}"));
        }
    }

    /// Sends and returns the JSON body of an expected answer.
    async fn call(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Value>,
        expect: &[u16],
    ) -> Option<Value> {
        let key = (method == Method::POST).then(|| Uuid::new_v4().to_string());
        let exchange = self
            .send(method, path, body, Auth::Both, key.as_deref(), expect)
            .await?;
        expect
            .contains(&exchange.status)
            .then(|| serde_json::from_str(&exchange.response_body).ok())
            .flatten()
    }

    /// Creates a user; remembers it as the suite's user and expects its `user.created`.
    async fn create_user(&mut self, body: Value) -> Option<String> {
        let created = self
            .call(Method::POST, "/v1/users", Some(body), &[201])
            .await?;
        let id = created["id"].as_str()?.to_owned();
        self.expected.push(Expected {
            event: "user.created",
            key: "user_id",
            id: id.clone(),
        });
        Some(id)
    }

    /// Polls a user until its verification status is one of `statuses` (10 s at most).
    async fn wait_for(&mut self, user: &str, statuses: &[&str]) -> Option<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let path = format!("/v1/users/{user}");
        loop {
            let body = self.call(Method::GET, &path, None, &[200]).await?;
            if statuses.iter().any(|s| body["verification_status"] == *s) {
                return Some(body);
            }
            if Instant::now() > deadline {
                self.case.errors.push(format!(
                    "user {user} did not reach {} within 10 s (it is {})",
                    statuses.join(" or "),
                    body["verification_status"]
                ));
                return None;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// A verification scenario through the `api` mode.
    async fn api_session(&mut self, last_name: &str, data: bool, ends: &str, through_review: bool) {
        let Some(user) = self.create_user(individual("kyc", last_name)).await else {
            return;
        };
        let mut body = json!({"type": "api", "kyc_type": "full"});
        if data {
            body["individual"] = kyc_data();
        }
        let Some(session) = self
            .call(
                Method::POST,
                &format!("/v1/users/{user}/verifications"),
                Some(body),
                &[201],
            )
            .await
        else {
            return;
        };
        if through_review {
            self.wait_for(&user, &["under_review"]).await;
        }
        if self.wait_for(&user, &[ends]).await.is_some() {
            let event = if ends == "verified" {
                "user.verification.accepted"
            } else {
                "user.verification.failed"
            };
            self.expected.push(Expected {
                event,
                key: "id",
                id: session["id"].as_str().unwrap_or_default().to_owned(),
            });
        }
    }

    async fn scenario(&mut self, name: &str, user_ids: &[Uuid]) {
        match name {
            "auth_missing" => {
                self.send(Method::GET, "/v1/users", None, Auth::Neither, None, &[401])
                    .await;
                self.send(
                    Method::GET,
                    "/v1/users",
                    None,
                    Auth::OnlyApiKey,
                    None,
                    &[401],
                )
                .await;
            }
            "auth_wrong" => {
                self.send(
                    Method::GET,
                    "/v1/users",
                    None,
                    Auth::WrongToken,
                    None,
                    &[401],
                )
                .await;
                self.send(
                    Method::GET,
                    &format!("/v1/users/{}", Uuid::new_v4()),
                    None,
                    Auth::WrongToken,
                    None,
                    &[401],
                )
                .await;
            }
            "not_found" => {
                let user = Uuid::new_v4();
                self.call(Method::GET, &format!("/v1/users/{user}"), None, &[404])
                    .await;
                self.call(
                    Method::GET,
                    &format!("/v1/users/{user}/verifications/{}", Uuid::new_v4()),
                    None,
                    &[404],
                )
                .await;
                self.call(
                    Method::GET,
                    &format!("/v1/users/{user}/verifications"),
                    None,
                    &[404],
                )
                .await;
            }
            "malformed_requests" => {
                self.call(Method::GET, "/v1/users/not-a-uuid", None, &[400])
                    .await;
                self.call(Method::GET, "/v1/users?limit=0", None, &[400])
                    .await;
                self.call(Method::GET, "/v1/users?limit=101", None, &[400])
                    .await;
            }
            "read_given_ids" => {
                for id in user_ids {
                    self.call(Method::GET, &format!("/v1/users/{id}"), None, &[200])
                        .await;
                    self.call(
                        Method::GET,
                        &format!("/v1/users/{id}/verifications"),
                        None,
                        &[200],
                    )
                    .await;
                }
                self.call(Method::GET, "/v1/users?limit=5", None, &[200])
                    .await;
            }
            "create_individual" => {
                if let Some(id) = self.create_user(individual("individual", "Lopez")).await {
                    self.call(Method::GET, &format!("/v1/users/{id}"), None, &[200])
                        .await;
                }
            }
            "create_business" => {
                let body = json!({
                    "type": "business", "email": email("business"), "phone_number": "+12125550123",
                    "business_name": "Acme Logistics LLC", "country": "US", "tax_id": "12-3456789",
                    "beneficial_owners": [{"first_name": "Maria", "last_name": "Gonzalez", "date_of_birth": "1984-09-02", "ownership_percentage": 60}]
                });
                if let Some(id) = self.create_user(body).await {
                    self.call(Method::GET, &format!("/v1/users/{id}"), None, &[200])
                        .await;
                }
            }
            "update_user" => {
                let Some(id) = self.create_user(individual("update", "Lopez")).await else {
                    return;
                };
                let path = format!("/v1/users/{id}");
                if let Some(user) = self.call(Method::PATCH, &path, Some(json!({"type": "individual", "first_name": "Lucia", "metadata": {"crm_id": "cus_1"}})), &[200]).await
                    && user["first_name"] != "Lucia"
                {
                    self.case.errors.push("updateUser answered 200 without changing first_name".to_owned());
                }
                self.call(
                    Method::PATCH,
                    &path,
                    // The user's type never changes: a state conflict (spec 1.1.0).
                    Some(json!({"type": "business", "business_name": "Wrong Kind"})),
                    &[409],
                )
                .await;
            }
            "list_users_pagination" => {
                for _ in 0..3 {
                    self.create_user(individual("page", "Lopez")).await;
                }
                let mut path = "/v1/users?limit=2".to_owned();
                let mut pages = 0;
                while let Some(page) = self.call(Method::GET, &path, None, &[200]).await {
                    pages += 1;
                    match page["next_cursor"].as_str() {
                        Some(cursor) if page["has_more"] == true && pages < 50 => {
                            path = format!("/v1/users?limit=2&cursor={cursor}")
                        }
                        _ => break,
                    }
                }
                if pages < 2 {
                    self.case.errors.push(format!(
                        "expected at least two pages of two users, got {pages}"
                    ));
                }
                self.call(
                    Method::GET,
                    "/v1/users?type=individual&verification_status=unverified",
                    None,
                    &[200],
                )
                .await;
            }
            "validation_errors" => {
                self.call(Method::POST, "/v1/users", Some(json!({"type": "individual", "email": "not-an-email", "phone_number": "123", "country": "Colombia"})), &[422]).await;
                self.call(
                    Method::POST,
                    "/v1/users",
                    Some(json!({"type": "robot"})),
                    &[422],
                )
                .await;
                let key = Uuid::new_v4().to_string();
                // A POST without a body (and so without a content type).
                self.send(
                    Method::POST,
                    "/v1/users",
                    None,
                    Auth::Both,
                    Some(&key),
                    &[400, 415],
                )
                .await;
            }
            "missing_idempotency_key" => {
                self.send(
                    Method::POST,
                    "/v1/users",
                    Some(individual("nokey", "Lopez")),
                    Auth::Both,
                    None,
                    &[400],
                )
                .await;
            }
            "idempotent_replay" => {
                let key = Uuid::new_v4().to_string();
                let body = individual("replay", "Lopez");
                let first = self
                    .send(
                        Method::POST,
                        "/v1/users",
                        Some(body.clone()),
                        Auth::Both,
                        Some(&key),
                        &[201],
                    )
                    .await;
                let second = self
                    .send(
                        Method::POST,
                        "/v1/users",
                        Some(body),
                        Auth::Both,
                        Some(&key),
                        &[201],
                    )
                    .await;
                if let (Some(first), Some(second)) = (first, second) {
                    if first.response_body != second.response_body {
                        self.case.errors.push(
                            "the replay answered a different body than the first request"
                                .to_owned(),
                        );
                    }
                    if let Ok(user) = serde_json::from_str::<Value>(&first.response_body)
                        && let Some(id) = user["id"].as_str()
                    {
                        self.expected.push(Expected {
                            event: "user.created",
                            key: "user_id",
                            id: id.to_owned(),
                        });
                    }
                }
            }
            "idempotency_conflict" => {
                let key = Uuid::new_v4().to_string();
                if let Some(first) = self
                    .send(
                        Method::POST,
                        "/v1/users",
                        Some(individual("conflict", "Lopez")),
                        Auth::Both,
                        Some(&key),
                        &[201],
                    )
                    .await
                    && let Ok(user) = serde_json::from_str::<Value>(&first.response_body)
                    && let Some(id) = user["id"].as_str()
                {
                    self.expected.push(Expected {
                        event: "user.created",
                        key: "user_id",
                        id: id.to_owned(),
                    });
                }
                self.send(
                    Method::POST,
                    "/v1/users",
                    Some(individual("conflict", "Other")),
                    Auth::Both,
                    Some(&key),
                    &[409],
                )
                .await;
            }
            "embedded_link_verified" => {
                let Some(user) = self.create_user(individual("hosted", "Lopez")).await else {
                    return;
                };
                let body = json!({"type": "embedded-link", "redirect_uri": "https://yourapp.com/verification-complete"});
                let Some(session) = self
                    .call(
                        Method::POST,
                        &format!("/v1/users/{user}/verifications"),
                        Some(body),
                        &[201],
                    )
                    .await
                else {
                    return;
                };
                let Some(link) = session["provider_link"].as_str() else {
                    self.case
                        .errors
                        .push("an embedded-link session came without provider_link".to_owned());
                    return;
                };
                match self
                    .browser
                    .post(link)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("choice=approve")
                    .send()
                    .await
                {
                    Ok(response) if response.status().as_u16() == 303 => {}
                    Ok(response) => self.case.errors.push(format!(
                        "the hosted page answered {} instead of 303",
                        response.status()
                    )),
                    Err(error) => self
                        .case
                        .errors
                        .push(format!("the hosted page: {}", error.without_url())),
                }
                if self.wait_for(&user, &["verified"]).await.is_some() {
                    self.expected.push(Expected {
                        event: "user.verification.accepted",
                        key: "id",
                        id: session["id"].as_str().unwrap_or_default().to_owned(),
                    });
                }
                self.call(
                    Method::POST,
                    &format!("/v1/users/{user}/verifications"),
                    Some(json!({"type": "api"})),
                    &[409],
                )
                .await;
            }
            "api_verified" => self.api_session("Lopez", true, "verified", false).await,
            "api_rejected" => self.api_session("Reject", true, "rejected", false).await,
            "api_under_review" => self.api_session("Review", true, "verified", true).await,
            "api_missing_data" => self.api_session("Lopez", false, "rejected", false).await,
            "list_and_get_verifications" => {
                let Some(user) = self.create_user(individual("sessions", "Lopez")).await else {
                    return;
                };
                let path = format!("/v1/users/{user}/verifications");
                let Some(session) = self
                    .call(
                        Method::POST,
                        &path,
                        Some(json!({"type": "api", "individual": kyc_data()})),
                        &[201],
                    )
                    .await
                else {
                    return;
                };
                self.call(Method::POST, &path, Some(json!({"type": "api"})), &[409])
                    .await;
                self.call(
                    Method::GET,
                    &format!("{path}/{}", session["id"].as_str().unwrap_or_default()),
                    None,
                    &[200],
                )
                .await;
                self.call(
                    Method::GET,
                    &format!("{path}?limit=1&status=pending"),
                    None,
                    &[200],
                )
                .await;
                if self.wait_for(&user, &["verified"]).await.is_some() {
                    self.expected.push(Expected {
                        event: "user.verification.accepted",
                        key: "id",
                        id: session["id"].as_str().unwrap_or_default().to_owned(),
                    });
                }
            }
            "webhooks" => self.check_webhooks().await,
            other => self.case.errors.push(format!("unknown scenario {other}")),
        }
    }

    /// Starts the loopback receiver and registers it on the sandbox; its signatures are
    /// checked with the secret the sandbox answers.
    async fn register_webhooks(&mut self) -> Result<(), String> {
        let listener = listen(
            std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            self.spec.clone(),
            None,
            Arc::new(|_| {}),
            crate::webhooks::Keep::All,
            None,
        )
        .await
        .map_err(|error| format!("cannot listen for webhooks on loopback: {error}"))?;
        let url = format!("http://{}/webhooks", listener.addr);
        let response = self
            .http
            .post(format!(
                "{}/sandbox/webhook-endpoints",
                self.target.base_url
            ))
            .bearer_auth(&self.target.token)
            .header("x-api-key", &self.target.api_key)
            .json(&json!({"url": url}))
            .send()
            .await
            .map_err(|error| {
                format!(
                    "cannot register the webhook endpoint: {}",
                    error.without_url()
                )
            })?;
        let body: Value = response
            .json()
            .await
            .map_err(|error| format!("the control API's answer: {error}"))?;
        let secret = body["secret"]
            .as_str()
            .ok_or("the control API gave no secret")?;
        let secret =
            balampay_client::WebhookSecret::new(secret).map_err(|error| error.to_string())?;
        *listener.secret.lock().unwrap_or_else(|p| p.into_inner()) = Some(secret);
        self.listener = Some(listener);
        Ok(())
    }

    /// Waits for every expected webhook and checks each delivery: signature and schema.
    async fn check_webhooks(&mut self) {
        let Some(listener) = &self.listener else {
            self.case.skipped = Some("no webhook endpoint could be registered".to_owned());
            return;
        };
        if self.expected.is_empty() {
            self.case.skipped = Some("no scenario that triggers webhooks ran before it".to_owned());
            return;
        }
        let deliveries = listener.deliveries.clone();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let missing: Vec<String> = {
                let seen = deliveries.lock().unwrap_or_else(|p| p.into_inner());
                self.expected
                    .iter()
                    .filter(|expected| {
                        !seen.iter().any(|d| {
                            d.event.as_deref() == Some(expected.event)
                                && d.ids.get(expected.key) == Some(&expected.id)
                        })
                    })
                    .map(|expected| format!("{} for {}", expected.event, expected.id))
                    .collect()
            };
            if missing.is_empty() {
                break;
            }
            if Instant::now() > deadline {
                for missing in missing {
                    self.case
                        .errors
                        .push(format!("no delivery of {missing} within 15 s"));
                }
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let seen = deliveries.lock().unwrap_or_else(|p| p.into_inner()).clone();
        for delivery in seen {
            self.case.ran(&[Check::Webhook, Check::Webhook]);
            self.case.failed(delivery.failures("webhook delivery"));
        }
    }
}

/// Reads a body with the generated client's type for the component schema the spec
/// documents for the operation and status; `Some` with the reason when it cannot, including
/// when the client has no type of that name.
fn client_types(spec: &Spec, operation: &str, exchange: &Exchange) -> Option<String> {
    if exchange.response_body.is_empty() {
        return None;
    }
    let component = spec
        .operation_by_id(operation)
        .and_then(|op| op.response(exchange.status))
        .and_then(|response| response.component.clone())?;
    match read_with_client_type(&component, &exchange.response_body) {
        Some(result) => result.err().map(|error| error.to_string()),
        None => Some(format!(
            "the generated client has no type for the component schema {component}"
        )),
    }
}

/// Deserializes a body with the generated client's type of a component schema: `None` when
/// the client has no such type. The response components of every catalogue operation are
/// here (the end-to-end catalogue test checks it).
pub fn read_with_client_type(component: &str, body: &str) -> Option<Result<(), serde_json::Error>> {
    use balampay_client::types;
    Some(match component {
        "User" => serde_json::from_str::<balampay_client::User>(body).map(drop),
        "UserList" => serde_json::from_str::<types::UserList>(body).map(drop),
        "Verification" => serde_json::from_str::<types::Verification>(body).map(drop),
        "VerificationList" => serde_json::from_str::<types::VerificationList>(body).map(drop),
        "ErrorBody" => serde_json::from_str::<types::ErrorBody>(body).map(drop),
        _ => return None,
    })
}

/// Why the suite could not run. Messages read after "failed to".
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// `--only` or `--skip` names no scenario.
    #[error("select scenarios: unknown scenario {name:?}; known: {known}")]
    UnknownScenario {
        /// The name given.
        name: String,
        /// The known names, comma-separated.
        known: String,
    },
    /// reqwest could not build a client.
    #[error("build the HTTP client: {0}")]
    HttpClient(reqwest::Error),
    /// The recording could not be flushed to disk.
    #[error("finish the recording: {0}")]
    Recording(std::io::Error),
}

/// Runs the suite against a target.
///
/// # Errors
/// [`RunError`]: an unknown scenario name, an HTTP client that cannot be built, or a
/// recording that cannot be finished.
pub async fn run(
    spec: Arc<Spec>,
    target: Target,
    mut options: Options,
) -> Result<Report, RunError> {
    for name in options.only.iter().chain(&options.skip) {
        if !SCENARIOS.iter().any(|s| s.name == name) {
            return Err(RunError::UnknownScenario {
                name: name.clone(),
                known: scenario_names().join(", "),
            });
        }
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(RunError::HttpClient)?;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(RunError::HttpClient)?;
    // The sandbox's control API answers on this route; any other target does not.
    let control = http
        .get(format!("{}/sandbox/webhook-endpoints", target.base_url))
        .bearer_auth(&target.token)
        .header("x-api-key", &target.api_key)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success());
    let mut runner = Runner {
        spec: spec.clone(),
        target: target.clone(),
        http,
        browser,
        record: options.record.take(),
        case: Case::default(),
        listener: None,
        expected: Vec::new(),
    };
    let mut setup_error = None;
    if control && !options.read_only {
        setup_error = runner.register_webhooks().await.err();
    }
    let selected: Vec<&Scenario> = SCENARIOS
        .iter()
        .filter(|s| options.only.is_empty() || options.only.iter().any(|o| o == s.name))
        .filter(|s| !options.skip.iter().any(|o| o == s.name))
        .collect();
    let mut report = Report {
        title: format!("run against {}", target.base_url),
        spec: spec.origin.clone(),
        cases: Vec::new(),
    };
    for (index, scenario) in selected.iter().enumerate() {
        if let Some(progress) = &mut options.progress {
            progress(index + 1, selected.len(), scenario.name);
        }
        runner.case = Case::new(scenario.name);
        if options.read_only && scenario.writes {
            runner.case.skipped = Some("the read-only profile creates nothing".to_owned());
        } else if !options.read_only && scenario.name == "read_given_ids" {
            runner.case.skipped = Some("only in the read-only profile".to_owned());
        } else if scenario.needs_control && !control {
            runner.case.skipped = Some("needs the sandbox's control API (test inputs, hosted page, webhook endpoints), which this target does not have".to_owned());
        } else if scenario.name == "webhooks" && setup_error.is_some() {
            runner
                .case
                .errors
                .push(setup_error.clone().unwrap_or_default());
        } else {
            runner.scenario(scenario.name, &options.user_ids).await;
        }
        report.cases.push(std::mem::take(&mut runner.case));
    }
    if let Some(recorder) = runner.record.take() {
        recorder.finish().map_err(RunError::Recording)?;
    }
    Ok(report)
}
