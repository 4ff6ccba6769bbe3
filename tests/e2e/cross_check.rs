//! utoipa and schemars describe the same types independently; nothing but this test keeps
//! them in step. For every type both derive, valid samples and hundreds of mechanical
//! mutations of them must get the same verdict from the OpenAPI component schema and the
//! schemars schema, and valid samples must survive a serde round trip.

use balampay_schema::spec::{normalize, schema_generator};
use balampay_schema::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::support::{component_validator, errors, published_openapi, validator};

/// One mutation of a sample: what was done, and the result.
struct Mutation {
    what: String,
    value: Value,
}

/// Values worth probing with, taken from both schemas: every numeric bound (each tried at,
/// just below and just above), and every string either schema names (enum values, examples).
/// A drift in a bound, an enum or a pattern then shows as a verdict that differs.
#[derive(Default)]
struct Probes {
    bounds: std::collections::BTreeSet<i64>,
    strings: std::collections::BTreeSet<String>,
}

impl Probes {
    fn collect(&mut self, schema: &Value) {
        match schema {
            Value::Object(object) => {
                for (key, child) in object {
                    match (key.as_str(), child) {
                        (
                            "minLength" | "maxLength" | "minimum" | "maximum" | "minItems"
                            | "maxItems" | "minProperties" | "maxProperties",
                            Value::Number(n),
                        ) => {
                            if let Some(n) = n.as_i64() {
                                self.bounds.extend([n - 1, n, n + 1]);
                            }
                        }
                        ("enum" | "examples" | "const", _) => self.collect_strings(child),
                        _ => self.collect(child),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| self.collect(item)),
            _ => {}
        }
    }

    fn collect_strings(&mut self, value: &Value) {
        match value {
            Value::String(text) => {
                self.strings.insert(text.clone());
            }
            Value::Array(items) => items.iter().for_each(|item| self.collect_strings(item)),
            _ => {}
        }
    }
}

/// Mutations of a JSON value: at every node, remove it, make it `null`, give it the wrong
/// JSON type, add an unknown property to every object; then the probes: strings and arrays
/// at every bound's length, numbers at every bound, every known string.
fn mutations(value: &Value, probes: &Probes) -> Vec<Mutation> {
    let mut out = Vec::new();
    mutate_at(value, "", probes, &mut |what, replacement| {
        out.push(Mutation {
            what,
            value: replacement,
        })
    });
    out
}

fn mutate_at(root: &Value, pointer: &str, probes: &Probes, emit: &mut dyn FnMut(String, Value)) {
    let node = root.pointer(pointer).expect("pointer exists").clone();
    let mut replace = |what: &str, replacement: Option<Value>| {
        let mut copy = root.clone();
        match replacement {
            Some(replacement) => *copy.pointer_mut(pointer).expect("pointer exists") = replacement,
            None => {
                let (parent, key) = pointer.rsplit_once('/').expect("not the root");
                match copy.pointer_mut(parent).expect("parent exists") {
                    Value::Object(object) => {
                        let key = balampay_openapi::pointer::unescape(key).expect("a valid token");
                        object.shift_remove(key.as_ref());
                    }
                    Value::Array(items) => {
                        items.remove(key.parse::<usize>().expect("index"));
                    }
                    _ => unreachable!("a parent is a container"),
                }
            }
        }
        emit(format!("{what} at `{pointer}`"), copy);
    };
    if !pointer.is_empty() {
        replace("remove", None);
    }
    replace("null", Some(Value::Null));
    match &node {
        Value::Object(object) => {
            replace("array instead of object", Some(json!([])));
            let mut extended = object.clone();
            extended.insert("zz_unknown_field".into(), json!("surprise"));
            replace("unknown property", Some(Value::Object(extended)));
            for key in object.keys() {
                let child = balampay_openapi::pointer::join(pointer, key);
                mutate_at(root, &child, probes, emit);
            }
        }
        Value::Array(items) => {
            replace("empty array", Some(json!([])));
            replace("object instead of array", Some(json!({})));
            if let Some(first) = items.first() {
                for &length in probes.bounds.iter().filter(|&&n| (0..=200).contains(&n)) {
                    let resized = vec![first.clone(); length as usize];
                    replace(&format!("{length} items"), Some(Value::Array(resized)));
                }
            }
            for index in 0..items.len() {
                mutate_at(root, &format!("{pointer}/{index}"), probes, emit);
            }
        }
        Value::String(text) => {
            replace("number instead of string", Some(json!(42)));
            replace("empty string", Some(json!("")));
            replace("other string", Some(json!("not-a-known-value")));
            replace("upper-cased", Some(json!(text.to_uppercase())));
            for &length in probes.bounds.iter().filter(|&&n| (0..=3000).contains(&n)) {
                replace(
                    &format!("string of {length} letters"),
                    Some(json!("a".repeat(length as usize))),
                );
            }
            for known in &probes.strings {
                replace(&format!("string {known:?}"), Some(json!(known)));
            }
        }
        Value::Number(_) => {
            replace("string instead of number", Some(json!("1")));
            replace("fraction", Some(json!(1.5)));
            for &bound in &probes.bounds {
                replace(&format!("number {bound}"), Some(json!(bound)));
            }
        }
        Value::Bool(flag) => {
            replace("string instead of boolean", Some(json!("true")));
            replace("flipped", Some(json!(!flag)));
        }
        Value::Null => {}
    }
}

/// Checks one type: the two schemas agree on every sample and mutation, and every sample is
/// valid and survives serde.
fn cross_check<T: schemars::JsonSchema + Serialize + DeserializeOwned>(
    component: &str,
    samples: &[Value],
) -> (usize, usize) {
    assert!(!samples.is_empty(), "{component} needs at least one sample");
    let doc = published_openapi();
    let from_utoipa = component_validator(&doc, component);
    let mut standalone = schema_generator().into_root_schema_for::<T>().to_value();
    normalize(&mut standalone);
    let from_schemars = validator(&standalone);
    let mut probes = Probes::default();
    probes.collect(&standalone);
    probes.collect(&doc["components"]);

    let mut checked = 0;
    let mut rejected = 0;
    let mut disagreements = Vec::new();
    for sample in samples {
        for (name, v) in [("utoipa", &from_utoipa), ("schemars", &from_schemars)] {
            let found = errors(v, sample);
            assert!(
                found.is_empty(),
                "{component}: a valid sample fails under {name}: {found:#?}\n{sample:#}"
            );
        }
        let typed: T = serde_json::from_value(sample.clone()).unwrap_or_else(|error| {
            panic!("{component}: serde rejects a valid sample: {error}\n{sample:#}")
        });
        assert_eq!(
            &serde_json::to_value(&typed).expect("serializes"),
            sample,
            "{component}: serde round trip"
        );

        for mutation in mutations(sample, &probes) {
            checked += 1;
            let by_utoipa = from_utoipa.is_valid(&mutation.value);
            let by_schemars = from_schemars.is_valid(&mutation.value);
            if !by_utoipa {
                rejected += 1;
            }
            if by_utoipa != by_schemars {
                disagreements.push(format!(
                    "{}: utoipa says {}, schemars says {}",
                    mutation.what,
                    verdict(by_utoipa),
                    verdict(by_schemars)
                ));
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "{component}: the two schemas disagree on {} of {checked} mutations:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    (checked, rejected)
}

fn verdict(valid: bool) -> &'static str {
    if valid { "valid" } else { "invalid" }
}

fn values<T: Serialize>(items: impl IntoIterator<Item = T>) -> Vec<Value> {
    items
        .into_iter()
        .map(|item| serde_json::to_value(item).expect("serializes"))
        .collect()
}

fn example_values(examples: Vec<examples::Example>) -> Vec<Value> {
    examples.into_iter().map(|example| example.value).collect()
}

/// Samples of one union's branch: the union samples whose tag is `tag`.
fn branch(samples: &[Value], property: &str, tag: &str) -> Vec<Value> {
    samples
        .iter()
        .filter(|sample| sample[property] == tag)
        .cloned()
        .collect()
}

fn user_samples() -> Vec<Value> {
    let mut samples = example_values(examples::user_responses());
    samples.extend(example_values(examples::create_user_responses()));
    samples
}

fn webhook_samples(event: &str) -> Vec<Value> {
    examples::webhook_events()
        .into_iter()
        .filter(|(name, _)| *name == event)
        .map(|(_, example)| example.value)
        .collect()
}

#[test]
fn users_agree() {
    let create = example_values(examples::create_user_requests());
    let mut total = cross_check::<CreateUserRequest>("CreateUserRequest", &create);
    for (component, tag) in [
        ("CreateIndividualUserRequest", "individual"),
        ("CreateBusinessUserRequest", "business"),
    ] {
        let samples = branch(&create, "type", tag);
        let counts = if tag == "individual" {
            cross_check::<CreateIndividualUserRequest>(component, &samples)
        } else {
            cross_check::<CreateBusinessUserRequest>(component, &samples)
        };
        total = (total.0 + counts.0, total.1 + counts.1);
    }

    let mut update = example_values(examples::update_user_requests());
    update.extend(values([UpdateUserRequest::Business(
        UpdateBusinessUserRequest {
            business_name: Some("Acme Freight LLC".into()),
            metadata: Some(Metadata::default()),
            ..UpdateBusinessUserRequest::default()
        },
    )]));
    cross_check::<UpdateUserRequest>("UpdateUserRequest", &update);
    cross_check::<UpdateIndividualUserRequest>(
        "UpdateIndividualUserRequest",
        &branch(&update, "type", "individual"),
    );
    cross_check::<UpdateBusinessUserRequest>(
        "UpdateBusinessUserRequest",
        &branch(&update, "type", "business"),
    );

    let users = user_samples();
    cross_check::<User>("User", &users);
    cross_check::<IndividualUser>("IndividualUser", &branch(&users, "type", "individual"));
    cross_check::<BusinessUser>("BusinessUser", &branch(&users, "type", "business"));
    cross_check::<UserList>("UserList", &example_values(examples::user_list_responses()));
    // The check must be able to fail: most mutations of a closed request are invalid.
    assert!(
        total.1 * 2 > total.0,
        "only {} of {} mutations were rejected",
        total.1,
        total.0
    );
}

#[test]
fn verifications_agree() {
    let create = example_values(examples::create_verification_requests());
    cross_check::<CreateVerificationRequest>("CreateVerificationRequest", &create);
    cross_check::<EmbeddedLinkVerificationRequest>(
        "EmbeddedLinkVerificationRequest",
        &branch(&create, "type", "embedded-link"),
    );
    cross_check::<ApiVerificationRequest>(
        "ApiVerificationRequest",
        &branch(&create, "type", "api"),
    );
    let business_api = values([CreateVerificationRequest::Api(ApiVerificationRequest {
        r#type: Default::default(),
        kyc_type: None,
        individual: None,
        business: Some(BusinessKycData {
            tax_id: Some("98-7654321".into()),
            address: None,
            beneficial_owners: Some(vec![BeneficialOwner {
                first_name: "Ana".into(),
                last_name: "Ruiz".into(),
                date_of_birth: "1979-02-28".into(),
                ownership_percentage: 100,
                address: None,
            }]),
        }),
    })]);
    cross_check::<CreateVerificationRequest>("CreateVerificationRequest", &business_api);
    cross_check::<Verification>(
        "Verification",
        &example_values(examples::verification_responses()),
    );
    cross_check::<VerificationList>(
        "VerificationList",
        &example_values(examples::verification_list_responses()),
    );
}

#[test]
fn error_body_agrees() {
    let samples: Vec<Value> = [
        ErrorCode::ValidationFailed,
        ErrorCode::NotFound,
        ErrorCode::IdempotencyKeyMissing,
    ]
    .into_iter()
    .map(|code| examples::error_body(code, "Something is wrong."))
    .collect();
    cross_check::<ErrorBody>("ErrorBody", &samples);
}

#[test]
fn webhook_events_agree() {
    cross_check::<UserCreatedEvent>("UserCreatedEvent", &webhook_samples("user.created"));
    cross_check::<VerificationAcceptedEvent>(
        "VerificationAcceptedEvent",
        &webhook_samples("user.verification.accepted"),
    );
    cross_check::<VerificationFailedEvent>(
        "VerificationFailedEvent",
        &webhook_samples("user.verification.failed"),
    );
}

/// The standalone webhook schemas are exactly what schemars derives now (the freshness test
/// covers the files; this covers the function the files come from).
#[test]
fn published_webhook_schemas_match_the_types() {
    for (event, schema) in webhook_schemas() {
        let mut published = crate::support::published_webhook_schema(event);
        published
            .as_object_mut()
            .expect("object")
            .shift_remove("$comment");
        assert_eq!(published, schema, "{event}");
    }
}
