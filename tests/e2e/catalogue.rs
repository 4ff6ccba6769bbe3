//! The operation catalogue (`balampay_schema::OPERATIONS`) is the one list of operations.
//! This test fails, naming the operation, when an operation of the catalogue (and so of the
//! spec) is not routed by the sandbox, not exercised by any scenario of the contract suite's
//! `run`, or not covered by the client tests.

use std::collections::BTreeSet;
use std::sync::Arc;

use balampay_contract::Spec;
use balampay_contract::record::{Recorder, read};
use balampay_contract::run::{Options, Target, read_with_client_type, run};
use balampay_sandbox::{DEFAULT_API_KEY as API_KEY, DEFAULT_TOKEN as TOKEN, Sandbox};
use balampay_schema::{Method, OPERATIONS, Operation};
use serde_json::json;

use crate::client::{api, arm, call, ids, sandbox};
use crate::support::published_openapi;

/// Whether a raw request to the operation's method and path reaches the operation: a fault
/// aimed at the operation's id fires. That proves the route exists and that the sandbox
/// attributes it to that operation (faults and logs name operations by it).
async fn routed(
    server: &Sandbox,
    operation: &Operation,
    user: uuid::Uuid,
    verification: uuid::Uuid,
) -> Result<(), String> {
    arm(server, operation.id.as_str(), json!({"status": 500})).await;
    let path = operation
        .path
        .replace("{userId}", &user.to_string())
        .replace("{verificationId}", &verification.to_string());
    let method = reqwest::Method::from_bytes(operation.method.as_str().as_bytes())
        .map_err(|error| error.to_string())?;
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", server.base_url()))
        .bearer_auth(TOKEN)
        .header("x-api-key", API_KEY);
    if operation.request.is_some() || operation.method == Method::Post {
        request = request
            .header("idempotency-key", uuid::Uuid::new_v4().to_string())
            .header("content-type", "application/json")
            .body("{}");
    }
    let response = request.send().await.map_err(|error| error.to_string())?;
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    if status == 500 && body.contains("Injected by a sandbox fault.") {
        Ok(())
    } else {
        Err(format!(
            "not routed by the sandbox: {} {path} answered {status} {body} instead of the fault aimed at it",
            operation.method.as_str()
        ))
    }
}

#[tokio::test]
async fn every_operation_is_routed_exercised_and_covered() {
    let mut problems: Vec<String> = Vec::new();

    // The spec is assembled from the catalogue: the same operations, no more, no fewer.
    let doc = published_openapi();
    let mut in_spec = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            if let Some(id) = operation.get("operationId").and_then(|id| id.as_str()) {
                in_spec.insert(id.to_owned());
                if !OPERATIONS.iter().any(|op| {
                    op.id.as_str() == id && op.path == path && op.method.openapi_key() == method
                }) {
                    problems.push(format!(
                        "{id}: in the spec ({method} {path}) but not in the catalogue"
                    ));
                }
            }
        }
    }
    for operation in OPERATIONS {
        if !in_spec.contains(operation.id.as_str()) {
            problems.push(format!(
                "{}: in the catalogue but not in the spec",
                operation.id
            ));
        }
    }

    // Routed by the sandbox, and named by it as the catalogue names it.
    let server = sandbox().await;
    let (user, verification) = ids(&server).await;
    for operation in OPERATIONS {
        if let Err(problem) = routed(&server, operation, user, verification).await {
            problems.push(format!("{}: {problem}", operation.id));
        }
    }
    server.stop().await;

    // Covered by the client tests: their call of the operation reaches it (a fault aimed at
    // it comes back as the client's typed error).
    let server = sandbox().await;
    let (user, verification) = ids(&server).await;
    let client = api(&server);
    for operation in OPERATIONS {
        arm(&server, operation.id.as_str(), json!({"status": 500})).await;
        match call(&client, operation.id.as_str(), user, verification).await {
            None => problems.push(format!("{}: not covered by the client tests", operation.id)),
            Some(Err(error)) if error.status() == Some(500) => {}
            Some(other) => problems.push(format!(
                "{}: the client tests' call does not reach it ({other:?})",
                operation.id
            )),
        }
        // The contract suite can read its success body with the generated client's types.
        if read_with_client_type(operation.response, "{}").is_none() {
            problems.push(format!(
                "{}: the contract suite's client-type check has no type for {}",
                operation.id, operation.response
            ));
        }
    }
    server.stop().await;

    // Exercised by at least one scenario of `run`: what the suite sends, recorded and
    // matched against the spec.
    let server = Sandbox::start(balampay_sandbox::Config::fast())
        .await
        .expect("the sandbox starts");
    let recording =
        std::env::temp_dir().join(format!("catalogue-run-{}.jsonl", std::process::id()));
    let spec = Arc::new(Spec::published().expect("spec"));
    let report = run(
        spec.clone(),
        Target {
            base_url: server.base_url().to_owned(),
            token: TOKEN.to_owned(),
            api_key: API_KEY.to_owned(),
        },
        Options {
            record: Some(Recorder::create(&recording).expect("recording")),
            ..Options::default()
        },
    )
    .await
    .expect("the suite runs");
    server.stop().await;
    if balampay_contract::Outcome::of(&report) != balampay_contract::Outcome::Passed {
        let style = balampay_contract::report::Style { colour: false };
        problems.push(format!(
            "`run` does not pass against the sandbox:\n{}",
            balampay_contract::report::human(&report, style)
        ));
    }
    let mut exercised = BTreeSet::new();
    read(&recording, &mut |_, exchange| {
        let exchange = exchange.expect("the suite records exchanges");
        if let Some(operation) = spec.operation(&exchange.method, exchange.path_only()) {
            exercised.insert(operation.id.clone());
        }
    })
    .expect("the recording reads");
    let _ = std::fs::remove_file(&recording);
    for operation in OPERATIONS {
        if !exercised.contains(operation.id.as_str()) {
            problems.push(format!(
                "{}: not exercised by any scenario of `balampay-contract run`",
                operation.id
            ));
        }
    }

    assert!(
        problems.is_empty(),
        "the operation catalogue is not honoured:\n{}",
        problems.join("\n")
    );
}
