//! The signature snippets of the partner site's webhook page (`docs/site/snippets/`), run as
//! partners would run them: each verifier (shell with openssl, Node.js, Python) against
//! deliveries signed by the sandbox's own signer, and the curl sender against the client's
//! verifier. `cargo xtask docs` shows these exact files, so what partners copy is what runs
//! here.
//!
//! The programs need `bash`, `openssl`, `node`, `python3` and `curl`, which every machine
//! this project supports has; a missing one fails the test with its name, rather than
//! skipping it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use balampay_client::WebhookSecret;
use balampay_sandbox::webhooks::sign;

/// A `whsec_` secret (the base64 of 32 bytes, as the sandbox makes them).
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw9aGfDeRkGM0=";

/// Another endpoint's secret.
const OTHER_SECRET: &str = "whsec_c2VjcmV0LW9mLWFub3RoZXItZW5kcG9pbnQtMTIzNA==";

fn snippets() -> PathBuf {
    balampay_tests::workspace_root().join("docs/site/snippets")
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// The docs' `user.created` payload, with a name that is not ASCII and the bytes of a
/// compact serialisation plus a newline: a verifier that re-encodes the body, or reads it as
/// text in another encoding, fails on it.
fn body() -> String {
    "{\"event\":\"user.created\",\"data\":{\"event_id\":\"95fbd1c9-46cf-405c-bf38-a28344ff4707\",\"user_id\":\"6487276d-e86c-46ad-bc7b-afe43310ae01\",\"type\":\"individual\",\"email\":\"jos\u{e9}.n\u{fa}\u{f1}ez@example.com\",\"phone\":\"+573013185684\",\"status\":\"active\",\"verification_status\":\"unverified\",\"created_at\":\"2026-01-14 20:27:54.863\",\"metadata\":{\"note\":\"caf\u{e9} \u{1f600}\"}}}\n".to_owned()
}

/// One verifier program of the docs.
struct Verifier {
    name: &'static str,
    program: &'static str,
    file: &'static str,
}

const VERIFIERS: [Verifier; 3] = [
    Verifier {
        name: "shell (openssl)",
        program: "bash",
        file: "verify-webhook.sh",
    },
    Verifier {
        name: "Node.js",
        program: "node",
        file: "verify-webhook.mjs",
    },
    Verifier {
        name: "Python",
        program: "python3",
        file: "verify_webhook.py",
    },
];

fn run(
    verifier: &Verifier,
    secret: &str,
    id: &str,
    timestamp: &str,
    signature: &str,
    body: &[u8],
) -> Output {
    let dir = std::env::temp_dir().join(format!("balampay-snippets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let body_file = dir.join(format!("{}-body.json", verifier.file));
    std::fs::write(&body_file, body).expect("body file");
    Command::new(verifier.program)
        .arg(snippets().join(verifier.file))
        .args([id, timestamp, signature])
        .arg(&body_file)
        .env("WEBHOOK_SECRET", secret)
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "cannot run {} for the {} snippet: {error} (it is needed to test the docs' snippets)",
                verifier.program, verifier.name
            )
        })
}

/// One delivery shown to every verifier, and whether it must be accepted.
struct Case {
    what: &'static str,
    secret: &'static str,
    id: &'static str,
    timestamp: String,
    header: String,
    body: Vec<u8>,
    accepted: bool,
}

#[test]
fn each_verifier_snippet_accepts_deliveries_signed_by_the_sandbox_and_rejects_forgeries() {
    let body = body();
    let id = "msg_2mH8kQ3vXb7Yd1";
    let timestamp = now();
    let signature = sign(SECRET, id, timestamp, &body).expect("the sandbox signs");
    let other = sign(OTHER_SECRET, id, timestamp, &body).expect("the sandbox signs");
    let stale = now() - 600;
    let stale_signature = sign(SECRET, id, stale, &body).expect("the sandbox signs");
    let mut tampered = body.clone().into_bytes();
    // One character of the email changed.
    let at = tampered.iter().position(|b| *b == b'@').expect("an email");
    tampered[at - 1] = b'x';

    let ts = timestamp.to_string();
    let case = |what, secret, id, timestamp: &str, header: &str, body: &[u8], accepted| Case {
        what,
        secret,
        id,
        timestamp: timestamp.to_owned(),
        header: header.to_owned(),
        body: body.to_vec(),
        accepted,
    };
    let cases = [
        case(
            "a delivery as signed",
            SECRET,
            id,
            &ts,
            &signature,
            body.as_bytes(),
            true,
        ),
        case(
            "a rotation: the matching signature second of two",
            SECRET,
            id,
            &ts,
            &format!("{other} {signature}"),
            body.as_bytes(),
            true,
        ),
        case(
            "a body changed by one byte",
            SECRET,
            id,
            &ts,
            &signature,
            &tampered,
            false,
        ),
        case(
            "another endpoint's secret",
            OTHER_SECRET,
            id,
            &ts,
            &signature,
            body.as_bytes(),
            false,
        ),
        case(
            "another webhook-id",
            SECRET,
            "msg_other",
            &ts,
            &signature,
            body.as_bytes(),
            false,
        ),
        case(
            "another webhook-timestamp",
            SECRET,
            id,
            &(timestamp + 1).to_string(),
            &signature,
            body.as_bytes(),
            false,
        ),
        case(
            "a replay signed ten minutes ago",
            SECRET,
            id,
            &stale.to_string(),
            &stale_signature,
            body.as_bytes(),
            false,
        ),
        case(
            "a signature of another version",
            SECRET,
            id,
            &ts,
            &signature.replacen("v1,", "v2,", 1),
            body.as_bytes(),
            false,
        ),
        case("no signature", SECRET, id, &ts, "", body.as_bytes(), false),
    ];
    let mut wrong = Vec::new();
    for verifier in &VERIFIERS {
        for Case {
            what,
            secret,
            id,
            timestamp,
            header,
            body,
            accepted,
        } in &cases
        {
            let output = run(verifier, secret, id, timestamp, header, body);
            let said_valid = output.status.success()
                && String::from_utf8_lossy(&output.stdout).trim() == "valid";
            if said_valid != *accepted {
                wrong.push(format!(
                    "{} ({}): {what}: expected {}, got exit {:?}, stdout {:?}, stderr {:?}",
                    verifier.name,
                    verifier.file,
                    if *accepted { "valid" } else { "rejected" },
                    output.status.code(),
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "snippets disagree with the signer:\n{}",
        wrong.join("\n")
    );
}

/// What the receiver of [`the_curl_sender_snippet_signs_what_the_client_verifies`] got.
struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Accepts one HTTP/1.1 request on `listener`, answers 204, and returns it.
fn receive_one(listener: &TcpListener) -> Received {
    let (stream, _) = listener.accept().expect("a connection from curl");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    let mut reader = BufReader::new(stream);
    let mut headers = Vec::new();
    let mut line = String::new();
    reader.read_line(&mut line).expect("request line");
    loop {
        line.clear();
        reader.read_line(&mut line).expect("a header line");
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())
        .expect("curl sends a content-length");
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("the body");
    let mut stream = reader.into_inner();
    stream
        .write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
        .expect("answer");
    Received { headers, body }
}

#[test]
fn the_curl_sender_snippet_signs_what_the_client_verifies() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let url = format!("http://{}/hooks", listener.local_addr().expect("address"));
    let payload = std::env::temp_dir().join(format!("balampay-send-{}.json", std::process::id()));
    std::fs::write(&payload, body()).expect("payload file");
    let receiver = std::thread::spawn(move || receive_one(&listener));
    let output = Command::new("bash")
        .arg(snippets().join("send-test-webhook.sh"))
        .arg(&url)
        .arg(&payload)
        .env("WEBHOOK_SECRET", SECRET)
        .output()
        .expect("cannot run bash for send-test-webhook.sh");
    assert!(
        output.status.success(),
        "send-test-webhook.sh failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let received = receiver.join().expect("the receiver");
    assert_eq!(received.body, body().into_bytes(), "curl changed the body");
    let header = |name: &str| {
        received
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let secret = WebhookSecret::new(SECRET).expect("secret");
    secret
        .verify(header, &received.body)
        .expect("the client verifies what the snippet signed");
    let other = WebhookSecret::new(OTHER_SECRET).expect("secret");
    assert!(
        other.verify(header, &received.body).is_err(),
        "another secret must not verify"
    );
}
