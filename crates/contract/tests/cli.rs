//! The contract suite end to end: every check fires on a fixture made to break it, nothing
//! valid fails, the CLI's output matches golden files, and `run` passes against the sandbox
//! and fails, with the field's pointer, against a sandbox made to send a wrong field.
//!
//! Golden files live in `tests/golden/`; `BLESS=1 cargo test -p balampay-contract` rewrites
//! them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use balampay_contract::Spec;
use balampay_contract::run::{Options, Target, run};
use balampay_contract::verify::verify_file;
use serde::Deserialize;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn cassettes() -> PathBuf {
    root().join("tests/fixtures/cassettes")
}

#[derive(Deserialize)]
struct Expectation {
    check: String,
    pointer: Option<String>,
    why: String,
}

#[test]
fn every_check_fires_on_the_fixture_made_to_break_it() {
    let spec = Spec::published().expect("spec");
    let manifest: BTreeMap<String, Expectation> = serde_json::from_str(
        &std::fs::read_to_string(cassettes().join("manifest.json")).expect("manifest"),
    )
    .expect("manifest shape");
    let mut checks_covered = std::collections::BTreeSet::new();
    for (file, expectation) in &manifest {
        let case = verify_file(
            &spec,
            &cassettes().join(file),
            &Default::default(),
            &mut |_| {},
        );
        assert!(case.errors.is_empty(), "{file}: {:?}", case.errors);
        assert!(
            case.failure_count > 0,
            "{file} ({}) passed",
            expectation.why
        );
        for failure in &case.failures {
            assert_eq!(
                failure.check.name(),
                expectation.check,
                "{file}: an unexpected check failed: {failure:#?}"
            );
        }
        if let Some(pointer) = &expectation.pointer {
            assert!(
                case.failures
                    .iter()
                    .any(|f| f.pointer.as_deref() == Some(pointer.as_str())),
                "{file}: no failure at {pointer}: {:#?}",
                case.failures
            );
        }
        checks_covered.insert(expectation.check.clone());
    }
    for check in [
        "known_operation",
        "status_code_documented",
        "content_type",
        "response_schema",
        "error_body",
        "required_headers",
        "request_parameters",
        "request_schema",
    ] {
        assert!(checks_covered.contains(check), "no fixture breaks {check}");
    }
}

#[test]
fn clean_recordings_pass() {
    let spec = Spec::published().expect("spec");
    for file in ["clean.jsonl", "clean.har"] {
        let case = verify_file(
            &spec,
            &cassettes().join(file),
            &Default::default(),
            &mut |_| {},
        );
        assert!(
            case.passed(),
            "{file}: {:#?} {:?}",
            case.failures,
            case.errors
        );
        assert!(case.checks > 10, "{file}: only {} checks ran", case.checks);
    }
    let case = verify_file(
        &spec,
        &cassettes().join("violation.har"),
        &Default::default(),
        &mut |_| {},
    );
    assert_eq!(case.failures.len(), 1, "{:#?}", case.failures);
    assert!(
        case.failures[0]
            .place
            .as_deref()
            .is_some_and(|place| place.starts_with("entry 2, line ")),
        "{:#?}",
        case.failures[0]
    );
}

#[test]
fn malformed_lines_are_reported_and_skipped() {
    let spec = Spec::published().expect("spec");
    let case = verify_file(
        &spec,
        &cassettes().join("malformed.jsonl"),
        &Default::default(),
        &mut |_| {},
    );
    assert_eq!(case.failure_count, 0);
    assert_eq!(case.errors.len(), 2, "{:?}", case.errors);
    assert!(
        case.errors[0].starts_with("line 2: not an exchange"),
        "{:?}",
        case.errors
    );
    assert!(
        case.errors[1].starts_with("line 3: not an exchange"),
        "{:?}",
        case.errors
    );
    assert!(case.checks > 0, "the good lines around them were checked");
}

/// Runs the CLI; answers (exit code, stdout with the fixture root masked).
fn cli(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_balampay-contract"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    let mask = |text: &[u8]| {
        String::from_utf8_lossy(text).replace(&root().display().to_string(), "<root>")
    };
    (
        output.status.code().unwrap_or(-1),
        mask(&output.stdout),
        mask(&output.stderr),
    )
}

fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("dir")).expect("golden dir");
        std::fs::write(&path, actual).expect("bless");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("no golden file {}; run with BLESS=1", path.display()));
    assert_eq!(
        actual, expected,
        "{name} differs from its golden file (BLESS=1 rewrites it)"
    );
}

#[test]
fn cli_output_matches_the_golden_files() {
    let cases: &[(&str, &[&str], i32)] = &[
        (
            "verify-clean.txt",
            &[
                "verify",
                "tests/fixtures/cassettes/clean.jsonl",
                "tests/fixtures/cassettes/clean.har",
            ],
            0,
        ),
        (
            "verify-violation.txt",
            &[
                "verify",
                "tests/fixtures/cassettes/response-field-wrong-type.jsonl",
                "tests/fixtures/cassettes/error-body-not-the-spec.jsonl",
            ],
            1,
        ),
        (
            "verify-malformed.txt",
            &["verify", "tests/fixtures/cassettes/malformed.jsonl"],
            2,
        ),
        (
            "webhooks-valid.txt",
            &["webhooks", "validate", "tests/fixtures/webhooks/valid"],
            0,
        ),
        (
            "diff-breaking.txt",
            &[
                "diff",
                "spec/releases/1.0.0/openapi.json",
                "tests/fixtures/specs/breaking.json",
                "--fail-on",
                "breaking",
            ],
            1,
        ),
        (
            "diff-breaking.md",
            &[
                "diff",
                "spec/releases/1.0.0/openapi.json",
                "tests/fixtures/specs/breaking.json",
                "--format",
                "markdown",
            ],
            0,
        ),
        (
            // A 3.0 document is read in 3.1 terms: our own down-converted document differs
            // from the 3.1 one only where 3.0 cannot say the same (propertyNames, webhooks).
            "diff-3.0-vs-3.1.txt",
            &[
                "diff",
                "spec/openapi-3.0.json",
                "spec/openapi.json",
                "--today",
                "2026-06-01",
            ],
            0,
        ),
        (
            "diff-same.txt",
            &[
                "diff",
                "git:HEAD:spec/openapi.json",
                "spec/openapi.yaml",
                "--fail-on",
                "possibly-breaking",
            ],
            0,
        ),
        (
            "webhooks-invalid.txt",
            &[
                "webhooks",
                "validate",
                "tests/fixtures/webhooks/invalid/user.created--rfc3339-created_at.json",
                "tests/fixtures/webhooks/invalid/user.verification.failed--no-reasons.json",
            ],
            1,
        ),
    ];
    for (name, args, code) in cases {
        let (status, stdout, stderr) = cli(args);
        assert_eq!(status, *code, "{name}: {stdout}{stderr}");
        golden(name, &stdout);
    }
}

#[test]
fn usage_and_input_errors_exit_2_with_a_clear_message() {
    let (status, _, stderr) = cli(&["verify", "tests/fixtures/cassettes/does-not-exist.jsonl"]);
    assert_eq!(status, 2);
    let (_, stdout, _) = cli(&["verify", "tests/fixtures/cassettes/does-not-exist.jsonl"]);
    assert!(
        stdout.contains("cannot open tests/fixtures/cassettes/does-not-exist.jsonl"),
        "{stdout}{stderr}"
    );
    let (status, _, stderr) = cli(&[
        "--spec",
        "Cargo.toml",
        "verify",
        "tests/fixtures/cassettes/clean.jsonl",
    ]);
    assert_eq!(status, 2);
    assert!(stderr.contains("Cargo.toml: not valid YAML"), "{stderr}");
    let (status, _, stderr) = cli(&["run", "--only", "no_such_scenario"]);
    assert_eq!(status, 2);
    assert!(
        stderr.contains("unknown scenario \"no_such_scenario\""),
        "{stderr}"
    );
    let (status, _, _) = cli(&["verify"]);
    assert_eq!(status, 2, "clap's usage error");
    // The YAML spec works as well as the JSON one.
    let (status, stdout, _) = cli(&[
        "--spec",
        "spec/openapi.yaml",
        "verify",
        "tests/fixtures/cassettes/clean.jsonl",
    ]);
    assert_eq!(status, 0, "{stdout}");
    assert!(stdout.contains("spec: spec/openapi.yaml"), "{stdout}");
}

fn target(sandbox: &balampay_sandbox::Sandbox) -> Target {
    Target {
        base_url: sandbox.base_url().to_owned(),
        token: balampay_sandbox::DEFAULT_TOKEN.to_owned(),
        api_key: balampay_sandbox::DEFAULT_API_KEY.to_owned(),
    }
}

#[tokio::test]
async fn run_passes_against_the_sandbox_and_records_without_secrets() {
    let sandbox = balampay_sandbox::Sandbox::start(balampay_sandbox::Config::fast())
        .await
        .expect("sandbox");
    let spec = std::sync::Arc::new(Spec::published().expect("spec"));
    let recording = std::env::temp_dir().join(format!("contract-run-{}.jsonl", std::process::id()));
    let options = Options {
        record: Some(balampay_contract::record::Recorder::create(&recording).expect("recording")),
        ..Options::default()
    };
    let report = run(spec.clone(), target(&sandbox), options)
        .await
        .expect("runs");
    for case in &report.cases {
        assert!(
            case.passed() || case.skipped.is_some(),
            "{}: {:#?} {:?}",
            case.name,
            case.failures,
            case.errors
        );
    }
    assert_eq!(
        report.cases.iter().filter(|c| c.skipped.is_some()).count(),
        1,
        "only read_given_ids is skipped"
    );
    assert!(
        report
            .cases
            .iter()
            .any(|c| c.name == "webhooks" && c.checks > 10)
    );
    let recorded = std::fs::read_to_string(&recording).expect("recorded");
    assert!(
        !recorded.contains(balampay_sandbox::DEFAULT_TOKEN)
            && !recorded.contains(balampay_sandbox::DEFAULT_API_KEY)
    );
    assert!(recorded.contains("<redacted>"));
    let case = verify_file(&spec, &recording, &Default::default(), &mut |_| {});
    assert!(
        case.passed(),
        "the run's own recording verifies: {:#?}",
        case.failures
    );
    std::fs::remove_file(&recording).expect("clean up");
    sandbox.stop().await;
}

#[tokio::test]
async fn run_fails_with_the_pointer_of_an_injected_wrong_field() {
    let sandbox = balampay_sandbox::Sandbox::start(balampay_sandbox::Config::fast())
        .await
        .expect("sandbox");
    let http = reqwest::Client::new();
    let armed = http
        .post(format!("{}/sandbox/faults", sandbox.base_url()))
        .bearer_auth(balampay_sandbox::DEFAULT_TOKEN)
        .header("x-api-key", balampay_sandbox::DEFAULT_API_KEY)
        .json(&serde_json::json!({"operation": "getUser", "corrupt": {"pointer": "/phone_number", "value": "555-0100"}, "times": 1000}))
        .send()
        .await
        .expect("armed");
    assert_eq!(armed.status().as_u16(), 204);
    let spec = std::sync::Arc::new(Spec::published().expect("spec"));
    let options = Options {
        only: vec!["create_individual".into()],
        ..Options::default()
    };
    let report = run(spec, target(&sandbox), options).await.expect("runs");
    let case = &report.cases[0];
    // The schema check names the field; the generated client's types refuse the body too.
    let checks: Vec<&str> = case.failures.iter().map(|f| f.check.name()).collect();
    assert_eq!(
        checks,
        ["response_schema", "client_types"],
        "{:#?}",
        case.failures
    );
    let failure = &case.failures[0];
    assert_eq!(failure.operation_id.as_deref(), Some("getUser"));
    assert_eq!(failure.pointer.as_deref(), Some("/phone_number"));
    assert_eq!(failure.keyword.as_deref(), Some("pattern"));
    assert!(
        failure.actual.contains("(masked)"),
        "personal data is masked: {}",
        failure.actual
    );
    assert_eq!(
        balampay_contract::Outcome::of(&report),
        balampay_contract::Outcome::Violated
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn the_read_only_profile_creates_nothing() {
    let sandbox = balampay_sandbox::Sandbox::start(balampay_sandbox::Config::fast())
        .await
        .expect("sandbox");
    let spec = std::sync::Arc::new(Spec::published().expect("spec"));
    let options = Options {
        read_only: true,
        ..Options::default()
    };
    let report = run(spec, target(&sandbox), options).await.expect("runs");
    assert!(
        report
            .cases
            .iter()
            .all(|c| c.passed() || c.skipped.is_some()),
        "{:#?}",
        report.cases
    );
    let users: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/v1/users", sandbox.base_url()))
        .bearer_auth(balampay_sandbox::DEFAULT_TOKEN)
        .header("x-api-key", balampay_sandbox::DEFAULT_API_KEY)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(users["data"], serde_json::json!([]));
    sandbox.stop().await;
}

#[tokio::test]
async fn rate_limits_are_honoured_not_counted() {
    let sandbox = balampay_sandbox::Sandbox::start(balampay_sandbox::Config::fast())
        .await
        .expect("sandbox");
    let armed = reqwest::Client::new()
        .post(format!("{}/sandbox/faults", sandbox.base_url()))
        .bearer_auth(balampay_sandbox::DEFAULT_TOKEN)
        .header("x-api-key", balampay_sandbox::DEFAULT_API_KEY)
        .json(&serde_json::json!({"operation": "listUsers", "status": 429}))
        .send()
        .await
        .expect("armed");
    assert_eq!(armed.status().as_u16(), 204);
    let spec = std::sync::Arc::new(Spec::published().expect("spec"));
    let options = Options {
        only: vec!["list_users_pagination".into()],
        ..Options::default()
    };
    let report = run(spec, target(&sandbox), options).await.expect("runs");
    assert!(
        report.cases[0].passed(),
        "{:#?} {:?}",
        report.cases[0].failures,
        report.cases[0].errors
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn the_listener_checks_signatures_and_payloads() {
    use balampay_client::WebhookSecret;
    let spec = std::sync::Arc::new(Spec::published().expect("spec"));
    let secret = WebhookSecret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret");
    let listener = balampay_contract::webhooks::listen(
        "127.0.0.1:0".parse().expect("addr"),
        spec,
        Some(secret.clone()),
        std::sync::Arc::new(|_| {}),
        balampay_contract::webhooks::Keep::All,
        None,
    )
    .await
    .expect("listens");
    let valid = std::fs::read_to_string(
        root().join("tests/fixtures/webhooks/valid/user.created--docs.json"),
    )
    .expect("fixture");
    let invalid = std::fs::read_to_string(
        root().join("tests/fixtures/webhooks/invalid/user.created--bad-event_id.json"),
    )
    .expect("fixture");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let http = reqwest::Client::new();
    let url = format!("http://{}/hooks", listener.addr);
    let deliver = |body: String, signature: String| {
        http.post(&url)
            .header("webhook-id", "msg_1")
            .header("webhook-timestamp", now.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
    };
    let good = deliver(valid.clone(), secret.sign("msg_1", now, valid.as_bytes()))
        .await
        .expect("sent");
    assert_eq!(good.status().as_u16(), 204);
    let forged = deliver(valid.clone(), "v1,AAAA".to_owned())
        .await
        .expect("sent");
    assert_eq!(forged.status().as_u16(), 400);
    let wrong = deliver(
        invalid.clone(),
        secret.sign("msg_1", now, invalid.as_bytes()),
    )
    .await
    .expect("sent");
    assert_eq!(wrong.status().as_u16(), 400);
    let seen = listener.deliveries.lock().expect("lock").clone();
    assert_eq!(seen.len(), 3);
    assert!(
        matches!(seen[0].signature, Some(Ok(())))
            && seen[0].problems.as_ref().is_ok_and(Vec::is_empty)
    );
    assert!(matches!(seen[1].signature, Some(Err(_))));
    let problems = seen[2].problems.as_ref().expect("checked");
    assert_eq!(problems[0].pointer.as_deref(), Some("/data/event_id"));
}

#[test]
fn empty_and_partly_broken_recordings_are_input_errors() {
    let spec = Spec::published().expect("spec");
    let dir = std::env::temp_dir().join(format!("contract-inputs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let empty = dir.join("empty.jsonl");
    std::fs::write(&empty, "\n").expect("write");
    let case = verify_file(&spec, &empty, &Default::default(), &mut |_| {});
    assert_eq!(
        case.errors,
        ["no exchanges in this recording: nothing was checked"]
    );
    assert_eq!(case.checks, 0);

    // A line that is not UTF-8 is reported and skipped; the next line is still checked.
    let clean = std::fs::read_to_string(cassettes().join("clean.jsonl")).expect("clean");
    let mut bytes = b"\xff\xfe not text\n".to_vec();
    bytes.extend_from_slice(clean.lines().next().expect("a line").as_bytes());
    bytes.push(b'\n');
    let mixed = dir.join("mixed.jsonl");
    std::fs::write(&mixed, bytes).expect("write");
    let case = verify_file(&spec, &mixed, &Default::default(), &mut |_| {});
    assert_eq!(case.errors.len(), 1, "{:?}", case.errors);
    assert!(
        case.errors[0].starts_with("line 1: not an exchange"),
        "{:?}",
        case.errors
    );
    assert!(case.checks > 0);

    // A HAR entry without an answer (status 0: blocked or aborted in the browser) is
    // neither a violation nor an input error: it is not checked, and counted.
    let mut har: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cassettes().join("clean.har")).expect("har"))
            .expect("json");
    har["log"]["entries"][0]["response"]["status"] = 0.into();
    let aborted = dir.join("aborted.har");
    std::fs::write(&aborted, har.to_string()).expect("write");
    let case = verify_file(&spec, &aborted, &Default::default(), &mut |_| {});
    assert_eq!(case.failure_count, 0, "{:#?}", case.failures);
    assert!(case.errors.is_empty(), "{:?}", case.errors);
    let entries = case.entries.expect("counted");
    assert_eq!(entries.skipped.get("no response"), Some(&1));
    assert_eq!((entries.read, entries.checked), (3, 2));
    std::fs::remove_dir_all(&dir).expect("clean up");
}

/// The published spec with `getUser`'s 200 response moved behind `$ref`s: `hops` is the
/// chain of response components, the last of which holds the response (or, with `last`,
/// whatever the last link should be).
fn spec_with_response_chain(
    name: &str,
    chain: &[&str],
    last: Option<serde_json::Value>,
) -> PathBuf {
    let mut doc: serde_json::Value =
        serde_json::from_str(balampay_contract::spec::PUBLISHED_SPEC).expect("published spec");
    let response = doc
        .pointer("/paths/~1v1~1users~1{userId}/get/responses/200")
        .expect("getUser 200")
        .clone();
    let responses = doc
        .pointer_mut("/components/responses")
        .and_then(serde_json::Value::as_object_mut)
        .expect("components.responses");
    for pair in chain.windows(2) {
        responses.insert(
            pair[0].to_owned(),
            serde_json::json!({"$ref": format!("#/components/responses/{}", pair[1])}),
        );
    }
    let tail = chain.last().expect("a chain");
    responses.insert((*tail).to_owned(), last.unwrap_or(response));
    *doc.pointer_mut("/paths/~1v1~1users~1{userId}/get/responses/200")
        .expect("getUser 200") =
        serde_json::json!({"$ref": format!("#/components/responses/{}", chain[0])});
    let dir = std::env::temp_dir().join(format!("contract-refs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&doc).expect("serializes"),
    )
    .expect("write");
    path
}

#[test]
fn responses_behind_any_number_of_ref_hops_are_checked() {
    let cassette = "tests/fixtures/cassettes/response-unknown-enum.jsonl";
    // The published spec: the unknown enum value fails.
    let (status, stdout, _) = cli(&["verify", cassette]);
    assert_eq!(status, 1, "{stdout}");
    for hops in [1usize, 2, 5] {
        let chain: Vec<String> = (0..hops).map(|i| format!("Hop{i}")).collect();
        let chain: Vec<&str> = chain.iter().map(String::as_str).collect();
        let spec = spec_with_response_chain(&format!("hops-{hops}.json"), &chain, None);
        let spec = spec.display().to_string();
        let (status, stdout, stderr) = cli(&["--spec", &spec, "verify", cassette]);
        assert_eq!(status, 1, "{hops} hops: {stdout}{stderr}");
        assert!(
            stdout.contains("at /verification_status"),
            "{hops} hops: {stdout}"
        );
        assert!(stdout.contains("[response_schema] getUser"), "{stdout}");
    }
}

#[test]
fn cyclic_and_dangling_refs_are_located_input_errors() {
    let cassette = "tests/fixtures/cassettes/clean.jsonl";
    let cycle = spec_with_response_chain(
        "cycle.json",
        &["Loop1", "Loop2"],
        Some(serde_json::json!({"$ref": "#/components/responses/Loop1"})),
    );
    let (status, stdout, stderr) =
        cli(&["--spec", &cycle.display().to_string(), "verify", cassette]);
    assert_eq!(status, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains(
            "the references form a cycle (/components/responses/Loop1 → /components/responses/Loop2 → /components/responses/Loop1)"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("cycle.json"), "{stderr}");
    assert!(
        stdout.is_empty(),
        "no report for a spec that cannot be used: {stdout}"
    );

    let dangling = spec_with_response_chain(
        "dangling.json",
        &["Gone"],
        Some(serde_json::json!({"$ref": "#/components/responses/Nowhere"})),
    );
    let (status, stdout, stderr) = cli(&[
        "--spec",
        &dangling.display().to_string(),
        "verify",
        cassette,
    ]);
    assert_eq!(status, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains(
            "resolve the $ref \"#/components/responses/Nowhere\" at /components/responses/Gone: the document has nothing there"
        ),
        "{stderr}"
    );
    // `diff` refuses such a side in the same words.
    let (status, _, stderr) = cli(&["diff", "spec/openapi.json", &dangling.display().to_string()]);
    assert_eq!(status, 2);
    assert!(stderr.contains("at /components/responses/Gone"), "{stderr}");
}

#[test]
fn junit_reports_are_well_formed_xml_whatever_the_messages_hold() {
    use balampay_contract::{Case, Check, Failure, Report};
    let nasty = "esc \u{1b}[31m nul \0 bell \u{7} <tag attr=\"x\"> & \u{FFFE} \r\n tab\t end";
    let failure = Failure {
        check: Check::ResponseSchema,
        operation_id: Some("getUser".to_owned()),
        method: "GET".to_owned(),
        path: format!("/v1/users/{nasty}"),
        status: 200,
        pointer: Some(format!("/{nasty}")),
        schema_location: None,
        keyword: None,
        place: None,
        expected: nasty.to_owned(),
        actual: nasty.to_owned(),
    };
    let mut failed = Case::new(nasty);
    failed.ran(&[Check::ResponseSchema]);
    failed.failed([failure]);
    let mut broken = Case::new("broken");
    broken.errors.push(nasty.to_owned());
    let mut skipped = Case::new("skipped");
    skipped.skipped = Some(nasty.to_owned());
    let report = Report {
        title: nasty.to_owned(),
        spec: nasty.to_owned(),
        cases: vec![failed, broken, skipped],
    };
    let xml = balampay_contract::report::junit(&report);
    let parsed = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let suite = parsed
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .expect("a testsuite");
    // Nothing is lost: the escape character is still visible, and line breaks in an
    // attribute survive attribute-value normalisation.
    assert!(
        suite
            .attribute("name")
            .expect("name")
            .contains("\\u{1b}[31m")
    );
    assert!(
        suite
            .attribute("name")
            .expect("name")
            .contains("\r\n tab\t end")
    );

    let old: serde_json::Value =
        serde_json::from_str(balampay_contract::spec::PUBLISHED_SPEC).expect("spec");
    let mut new = old.clone();
    new["paths"]
        .as_object_mut()
        .expect("paths")
        .remove("/v1/users");
    new["paths"][format!("/v1/{nasty}")] = old["paths"]["/v1/users"].clone();
    let changes = balampay_contract::diff::diff(&old, &new);
    assert!(!changes.is_empty());
    let xml =
        balampay_contract::diff::junit(&changes, balampay_contract::diff::Severity::Compatible);
    roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
}

#[derive(Deserialize)]
struct RecordingCase {
    file: String,
    #[serde(default)]
    args: Vec<String>,
    why: String,
    exit: i32,
    read: usize,
    checked: usize,
    skipped: BTreeMap<String, usize>,
    bodies_not_recorded: usize,
    failures: Vec<(String, Option<String>)>,
}

/// Recordings shaped as real tools write them (`tests/fixtures/recordings/`, made by its
/// `make_fixtures.py` from the exporters' documented output): each gives the exit code, the
/// counts and the failures its manifest says, on one thread and on three.
#[test]
fn recordings_as_real_tools_write_them() {
    let dir = root().join("tests/fixtures/recordings");
    let manifest: BTreeMap<String, RecordingCase> = serde_json::from_str(
        &std::fs::read_to_string(dir.join("manifest.json")).expect("manifest"),
    )
    .expect("manifest shape");
    let out = std::env::temp_dir().join(format!("contract-recordings-{}", std::process::id()));
    std::fs::create_dir_all(&out).expect("temp dir");
    for (name, case) in &manifest {
        let mut reports = Vec::new();
        for jobs in ["1", "3"] {
            let report = out.join(format!("{name}-{jobs}.json"));
            let file = dir.join(&case.file).display().to_string();
            let mut args = vec![
                "verify",
                "--jobs",
                jobs,
                "--json",
                report.to_str().expect("utf-8 path"),
            ];
            args.extend(case.args.iter().map(String::as_str));
            args.push(&file);
            let (status, stdout, stderr) = cli(&args);
            assert_eq!(
                status, case.exit,
                "{name} ({}):\n{stdout}{stderr}",
                case.why
            );
            let report: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&report).expect("report"))
                    .expect("JSON report");
            let found = &report["cases"][0];
            let entries = &found["entries"];
            assert_eq!(entries["read"], case.read, "{name}: {stdout}");
            assert_eq!(entries["checked"], case.checked, "{name}: {stdout}");
            assert_eq!(
                serde_json::from_value::<BTreeMap<String, usize>>(entries["skipped"].clone())
                    .expect("counts"),
                case.skipped,
                "{name}: {stdout}"
            );
            assert_eq!(
                entries["bodies_not_recorded"], case.bodies_not_recorded,
                "{name}: {stdout}"
            );
            let failures: Vec<(String, Option<String>)> = found["failures"]
                .as_array()
                .expect("failures")
                .iter()
                .map(|f| {
                    (
                        f["check"].as_str().expect("check").to_owned(),
                        f["pointer"].as_str().map(str::to_owned),
                    )
                })
                .collect();
            // A value that breaks a pattern and a length fails two keywords at one pointer:
            // the manifest names each failing pointer once per keyword.
            assert_eq!(failures.len(), case.failures.len(), "{name}:\n{stdout}");
            for failure in &failures {
                assert!(
                    case.failures.contains(failure),
                    "{name}: unexpected {failure:?}:\n{stdout}"
                );
            }
            for expected in &case.failures {
                assert!(
                    failures.contains(expected),
                    "{name}: no {expected:?}:\n{stdout}"
                );
            }
            reports.push(found.clone());
        }
        assert_eq!(reports[0], reports[1], "{name}: --jobs changed the report");
    }
    std::fs::remove_dir_all(&out).expect("clean up");
}

#[test]
fn bad_input_is_located_and_bounded() {
    let dir = std::env::temp_dir().join(format!("contract-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");

    // Random bytes, with and without line breaks: exit 2, a report of bounded size.
    let mut noise = Vec::with_capacity(4 << 20);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    while noise.len() < 4 << 20 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        noise.extend_from_slice(&state.to_le_bytes());
    }
    for (name, bytes) in [
        ("noise.jsonl", noise.clone()),
        ("noise.har", noise.clone()),
        ("xs.jsonl", b"x\n".repeat(200_000)),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).expect("write");
        let (status, stdout, stderr) = cli(&["verify", path.to_str().expect("path")]);
        assert_eq!(status, 2, "{name}: {stderr}");
        assert!(
            stdout.len() < 64 * 1024,
            "{name}: a {} byte report",
            stdout.len()
        );
        if name == "xs.jsonl" {
            assert!(
                stdout.contains("… and 199900 more input errors"),
                "{stdout}"
            );
            assert!(stdout.contains("line 100: not an exchange"), "{stdout}");
        }
        if name == "noise.har" {
            assert!(
                stdout.contains("not a HAR document: expected a JSON object"),
                "{stdout}"
            );
        }
    }

    // A HAR whose third entry is broken: that entry is named, the others are checked.
    let har = std::fs::read_to_string(cassettes().join("clean.har")).expect("har");
    let mut doc: serde_json::Value = serde_json::from_str(&har).expect("json");
    doc["log"]["entries"][2]["response"]["status"] = "two hundred".into();
    let broken = dir.join("broken-entry.har");
    std::fs::write(&broken, serde_json::to_string_pretty(&doc).expect("json")).expect("write");
    let (status, stdout, _) = cli(&["verify", broken.to_str().expect("path")]);
    assert_eq!(status, 2, "{stdout}");
    assert!(
        stdout.contains("entry 3, line ")
            && stdout.contains(": response.status is not an HTTP status (a whole number)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("3 read, 2 checked, 0 not checked, 1 unreadable"),
        "{stdout}"
    );

    // A HAR cut off in the middle: located by line.
    let cut = dir.join("cut.har");
    std::fs::write(&cut, &har[..har.len() / 2]).expect("write");
    let (status, stdout, _) = cli(&["verify", cut.to_str().expect("path")]);
    assert_eq!(status, 2, "{stdout}");
    assert!(
        stdout.contains("the file ends inside a value at line"),
        "{stdout}"
    );

    // A body over --max-body-bytes is not decoded: the entry is counted as too large.
    let (status, stdout, _) = cli(&[
        "verify",
        "--max-body-bytes",
        "100",
        "tests/fixtures/recordings/fiddler-bom.har",
    ]);
    assert_eq!(status, 2, "nothing was checked: {stdout}");
    assert!(stdout.contains("too large 1"), "{stdout}");

    // Bytes that are not UTF-8 in a webhook payload are located.
    let payload = dir.join("latin1.json");
    std::fs::write(
        &payload,
        b"{\"event\": \"user.created\",\n \"data\": {\"email\": \"jos\xe9@example.com\"}}",
    )
    .expect("write");
    let (status, stdout, _) = cli(&["webhooks", "validate", payload.to_str().expect("path")]);
    assert_eq!(status, 2, "{stdout}");
    assert!(
        stdout.contains("not UTF-8 at line 2, column 24"),
        "{stdout}"
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[tokio::test]
async fn a_counting_listener_keeps_no_deliveries() {
    let spec = std::sync::Arc::new(Spec::published().expect("spec"));
    let listener = balampay_contract::webhooks::listen(
        "127.0.0.1:0".parse().expect("addr"),
        spec,
        None,
        std::sync::Arc::new(|_| {}),
        balampay_contract::webhooks::Keep::Counts,
        None,
    )
    .await
    .expect("listens");
    let valid = std::fs::read_to_string(
        root().join("tests/fixtures/webhooks/valid/user.created--docs.json"),
    )
    .expect("fixture");
    let http = reqwest::Client::new();
    let url = format!("http://{}/hooks", listener.addr);
    for body in [valid.clone(), valid, "not json".to_owned()] {
        http.post(&url).body(body).send().await.expect("sent");
    }
    use std::sync::atomic::Ordering;
    assert_eq!(listener.counts.total.load(Ordering::Relaxed), 3);
    assert_eq!(listener.counts.bad.load(Ordering::Relaxed), 1);
    assert!(listener.deliveries.lock().expect("lock").is_empty());
}

#[test]
fn newcomer_mistakes_get_clear_answers() {
    let dir = std::env::temp_dir().join(format!("contract-newcomer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // A HAR saved as .json is still read as a HAR.
    let json = dir.join("session.json");
    std::fs::copy(
        root().join("tests/fixtures/recordings/chrome-base64.har"),
        &json,
    )
    .expect("copy");
    let (status, stdout, _) = cli(&["verify", json.to_str().expect("path")]);
    assert_eq!(status, 1, "{stdout}");
    assert!(stdout.contains("at /verification_status"), "{stdout}");
    // A directory is named as one.
    let (status, stdout, _) = cli(&["verify", dir.to_str().expect("path")]);
    assert_eq!(status, 2);
    assert!(
        stdout.contains("it is a directory, not a recording"),
        "{stdout}"
    );
    // A base URL that is not one is a usage error, said once.
    let (status, _, stderr) = cli(&[
        "verify",
        "--base-url",
        "api.balampay.com",
        "tests/fixtures/recordings/fiddler-bom.har",
    ]);
    assert_eq!(status, 2);
    assert_eq!(
        stderr.matches("is not an absolute URL").count(),
        1,
        "{stderr}"
    );
    // Entries that all went elsewhere: the message names where.
    let (status, stdout, _) = cli(&[
        "verify",
        "--base-url",
        "http://127.0.0.1:8080",
        "tests/fixtures/recordings/fiddler-bom.har",
    ]);
    assert_eq!(status, 2);
    assert!(
        stdout.contains("the entries went to https://api.balampay.com"),
        "{stdout}"
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn the_listener_writes_its_reports_when_terminated() {
    use std::io::Write as _;
    let dir = std::env::temp_dir().join(format!("contract-listen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let junit = dir.join("listen.xml");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_balampay-contract"))
        .args([
            "--junit",
            junit.to_str().expect("path"),
            "webhooks",
            "listen",
            "--addr",
            &addr,
        ])
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut stream = loop {
        match std::net::TcpStream::connect(&addr) {
            Ok(stream) => break stream,
            Err(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50))
            }
            Err(error) => panic!("the listener never listened: {error}"),
        }
    };
    let body = r#"{"event": "user.created", "data": {}}"#;
    write!(
        stream,
        "POST /hooks HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("sent");
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).expect("answered");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let output = child.wait_with_output().expect("ends");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("1 deliveries, 1 with problems"), "{stdout}");
    assert!(
        stdout.contains(&format!("FAIL deliveries to http://{addr}")),
        "the usual summary follows the counts: {stdout}"
    );
    let xml = std::fs::read_to_string(&junit).expect("the JUnit report is written");
    let parsed = roxmltree::Document::parse(&xml).expect("well-formed");
    assert!(
        parsed.descendants().any(|n| n.has_tag_name("failure")),
        "{xml}"
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[path = "cli/proxy.rs"]
mod proxy;

#[tokio::test]
async fn the_proxy_command_stops_after_max_requests_with_its_reports() {
    use std::io::BufRead as _;
    let sandbox = balampay_sandbox::Sandbox::start(balampay_sandbox::Config::fast())
        .await
        .expect("sandbox");
    let dir = std::env::temp_dir().join(format!("contract-proxy-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let json = dir.join("proxy.json");
    let recording = dir.join("proxy.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_balampay-contract"))
        .args([
            "--json",
            json.to_str().expect("path"),
            "proxy",
            "--upstream",
            sandbox.base_url(),
            "--listen",
            "127.0.0.1:0",
            "--max-requests",
            "2",
            "--record",
            recording.to_str().expect("path"),
        ])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("the first line");
    let addr = first
        .strip_prefix("proxying http://")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("the address is announced: {first}"))
        .to_owned();
    let http = reqwest::Client::new();
    for path in ["/v1/users?limit=2", "/v1/users/me"] {
        let answer = http
            .get(format!("http://{addr}{path}"))
            .bearer_auth(balampay_sandbox::DEFAULT_TOKEN)
            .header("x-api-key", balampay_sandbox::DEFAULT_API_KEY)
            .send()
            .await
            .expect("answered");
        assert!(answer.status().as_u16() < 500);
    }
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("joined")
        .expect("ends by itself");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).expect("output");
    assert_eq!(status.code(), Some(0), "{rest}");
    assert!(rest.contains("entries: 2 read, 2 checked"), "{rest}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("the JSON report"))
            .expect("JSON");
    assert_eq!(report["cases"][0]["entries"]["checked"], 2);
    let recorded = std::fs::read_to_string(&recording).expect("recording");
    assert_eq!(recorded.lines().count(), 2);
    assert!(!recorded.contains(balampay_sandbox::DEFAULT_TOKEN));

    let (code, help, _) = cli(&["proxy", "--help"]);
    assert_eq!(code, 0);
    for flag in [
        "--upstream",
        "--listen",
        "--record",
        "--junit",
        "--json",
        "--max-requests",
        "--fail-fast",
        "--max-body-bytes",
        "--upstream-timeout",
        "--spec",
    ] {
        assert!(
            help.contains(flag),
            "proxy --help documents {flag}:\n{help}"
        );
    }
    let (code, help, _) = cli(&["webhooks", "listen", "--help"]);
    assert_eq!(code, 0);
    for flag in [
        "--addr",
        "--secret",
        "--forward-to",
        "--forward-timeout",
        "--junit",
        "--json",
    ] {
        assert!(
            help.contains(flag),
            "webhooks listen --help documents {flag}:\n{help}"
        );
    }
    let (code, _, stderr) = cli(&["proxy", "--upstream", "ftp://example.com"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("must be an absolute http or https URL"),
        "{stderr}"
    );
    let (code, _, stderr) = cli(&["proxy", "--upstream", "https://user:pw@example.com"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("must not hold credentials") && !stderr.contains("pw"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
    sandbox.stop().await;
}

/// `diff --today` takes a date and nothing else; a sunset judged on it turns a removal into a
/// planned one.
#[test]
fn diff_today_is_a_date_and_judges_sunsets() {
    let (status, _, stderr) = cli(&[
        "diff",
        "spec/openapi.json",
        "spec/openapi.json",
        "--today",
        "2026-13-01",
    ]);
    assert_eq!(status, 2, "{stderr}");
    assert!(stderr.contains("expected a date as YYYY-MM-DD"), "{stderr}");

    let dir = std::env::temp_dir().join(format!("contract-sunset-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let mut old: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("spec/openapi.json")).expect("spec"),
    )
    .expect("json");
    let new = {
        let mut new = old.clone();
        new["paths"]["/v1/users"]
            .as_object_mut()
            .expect("path")
            .remove("get");
        new
    };
    old["paths"]["/v1/users"]["get"]["deprecated"] = serde_json::json!(true);
    old["paths"]["/v1/users"]["get"]["x-sunset"] = serde_json::json!("2026-06-30");
    let (old_path, new_path) = (dir.join("old.json"), dir.join("new.json"));
    std::fs::write(&old_path, old.to_string()).expect("write");
    std::fs::write(&new_path, new.to_string()).expect("write");
    let (old_arg, new_arg) = (
        old_path.display().to_string(),
        new_path.display().to_string(),
    );
    let (status, stdout, _) = cli(&[
        "diff",
        &old_arg,
        &new_arg,
        "--today",
        "2026-07-01",
        "--fail-on",
        "breaking",
    ]);
    assert_eq!(status, 0, "{stdout}");
    assert!(stdout.contains("planned-removal"), "{stdout}");
    let (status, stdout, _) = cli(&[
        "diff",
        &old_arg,
        &new_arg,
        "--today",
        "2026-06-29",
        "--fail-on",
        "breaking",
    ]);
    assert_eq!(status, 1, "before the sunset the removal breaks: {stdout}");
    assert!(stdout.contains("operation-removed"), "{stdout}");
    let (status, _, _) = cli(&[
        "diff",
        &old_arg,
        &new_arg,
        "--today",
        "2026-07-01",
        "--planned-removal",
        "breaking",
        "--fail-on",
        "breaking",
    ]);
    assert_eq!(status, 1, "--planned-removal breaking makes it fail");
    let _ = std::fs::remove_dir_all(&dir);
}
