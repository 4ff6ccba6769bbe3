//! The soundness property: whenever a value the old schema accepts in a request is refused
//! by the new one, the diff says breaking; whenever a value the new schema allows in a
//! response is one the old did not, the diff says breaking (or possibly-breaking, for the
//! additions the API promises clients must tolerate: a new enum value, a new branch of a
//! discriminated union, an object opened to new fields).
//!
//! Schema pairs are random (seeded): a random schema, and a copy with one to three random
//! edits, each on a random node. Values are sampled from the schema that must accept them
//! (the old for requests, the new for responses), with only the properties the schema lists,
//! as a client or the API writes them, and checked against both with the `jsonschema` crate.
//! Each rule's fixture pair from the rule table is checked the same way.
//!
//! `cargo test` runs a bounded number of pairs; `cargo test -p balampay-specdiff -- --ignored`
//! runs many more (set `SOUNDNESS_PAIRS` for another count).

use serde_json::{Map, Value, json};

use crate::{Change, Rule, Severity, diff};

/// A small deterministic generator (xorshift64*): the test must give the same pairs on every
/// machine, with no dependency for it.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const NAMES: &[&str] = &["a", "b", "c", "d"];
const WORDS: &[&str] = &["x", "y", "zz", "abc", "hello"];

/// A random schema of depth at most `depth`.
fn schema(rng: &mut Rng, depth: usize) -> Value {
    let kinds = if depth == 0 { 3 } else { 6 };
    match rng.below(kinds) {
        0 => {
            let mut s = json!({"type": "string"});
            if rng.chance(30) {
                s["maxLength"] = json!(rng.below(6) + 1);
            }
            if rng.chance(20) {
                s["minLength"] = json!(rng.below(3));
            }
            if rng.chance(20) {
                s["enum"] = json!(WORDS[..rng.below(3) + 2]);
            }
            s
        }
        1 => {
            let mut s = json!({"type": "integer"});
            if rng.chance(30) {
                s["maximum"] = json!(rng.below(20));
            }
            if rng.chance(30) {
                s["minimum"] = json!(rng.below(5));
            }
            if rng.chance(20) {
                s["multipleOf"] = json!(rng.below(3) + 1);
            }
            s
        }
        2 => json!({"type": *rng.pick(&["boolean", "number", "null"])}),
        3 => {
            let mut s = json!({"type": "array", "items": schema(rng, depth - 1)});
            if rng.chance(30) {
                s["maxItems"] = json!(rng.below(4) + 1);
            }
            if rng.chance(20) {
                s["uniqueItems"] = json!(true);
            }
            s
        }
        4 => {
            let mut properties = Map::new();
            let mut required = Vec::new();
            for name in NAMES.iter().take(rng.below(3) + 1) {
                properties.insert((*name).to_owned(), schema(rng, depth - 1));
                if rng.chance(50) {
                    required.push(json!(name));
                }
            }
            let mut s = json!({"type": "object", "properties": properties, "required": required});
            if rng.chance(30) {
                s["additionalProperties"] = json!(false);
            }
            s
        }
        _ => {
            let keyword = *rng.pick(&["anyOf", "oneOf", "allOf"]);
            let branches: Vec<Value> = (0..rng.below(2) + 2)
                .map(|_| schema(rng, depth - 1))
                .collect();
            json!({keyword: branches})
        }
    }
}

/// Pointers to every schema inside `value` (itself included).
fn nodes(value: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    for keyword in ["items", "not", "contains", "propertyNames"] {
        if let Some(inner) = value.get(keyword).filter(|v| v.is_object()) {
            nodes(inner, format!("{at}/{keyword}"), out);
        }
    }
    if let Some(properties) = value.get("properties").and_then(Value::as_object) {
        for (name, inner) in properties {
            nodes(inner, format!("{at}/properties/{name}"), out);
        }
    }
    for keyword in ["anyOf", "oneOf", "allOf", "prefixItems"] {
        if let Some(parts) = value.get(keyword).and_then(Value::as_array) {
            for (index, inner) in parts.iter().enumerate() {
                nodes(inner, format!("{at}/{keyword}/{index}"), out);
            }
        }
    }
}

/// One random edit of one random node: a keyword added, removed or changed.
fn edit(rng: &mut Rng, root: &mut Value) {
    let mut all = Vec::new();
    nodes(root, String::new(), &mut all);
    let at = rng.pick(&all).clone();
    let Some(node) = root.pointer_mut(&at).and_then(Value::as_object_mut) else {
        return;
    };
    let number = |rng: &mut Rng| json!(rng.below(10));
    match rng.below(22) {
        0 => {
            node.insert("maxLength".into(), number(rng));
        }
        1 => {
            node.insert("minLength".into(), number(rng));
        }
        2 => {
            node.insert("maximum".into(), number(rng));
        }
        3 => {
            node.insert("exclusiveMinimum".into(), number(rng));
        }
        4 => {
            node.insert("multipleOf".into(), json!(rng.below(4) + 1));
        }
        5 => {
            node.insert("enum".into(), json!(WORDS[..rng.below(4) + 1]));
        }
        6 => {
            node.insert("const".into(), json!(*rng.pick(WORDS)));
        }
        7 => {
            node.insert("pattern".into(), json!("^[a-y]*$"));
        }
        8 => {
            node.insert("uniqueItems".into(), json!(rng.chance(50)));
        }
        9 => {
            node.insert("maxItems".into(), json!(rng.below(3)));
        }
        10 => {
            node.insert("additionalProperties".into(), json!(rng.chance(50)));
        }
        11 => {
            let name = *rng.pick(NAMES);
            node.insert("required".into(), json!([name]));
        }
        12 => {
            let name = *rng.pick(NAMES);
            let mut fresh = Rng(rng.next() | 1);
            let property = schema(&mut fresh, 1);
            node.entry("properties")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .map(|p| p.insert(name.to_owned(), property));
        }
        13 => {
            node.insert("not".into(), json!({"const": *rng.pick(WORDS)}));
        }
        14 => {
            node.insert("contains".into(), json!({"type": "string"}));
        }
        15 => {
            node.insert("dependentRequired".into(), json!({"a": ["b"]}));
        }
        16 => {
            node.insert("propertyNames".into(), json!({"maxLength": 1}));
        }
        17 => {
            node.insert("prefixItems".into(), json!([{"type": "integer"}]));
        }
        18 => {
            let kinds = ["string", "integer", "number", "boolean", "array", "object"];
            let mut types = vec![json!(*rng.pick(&kinds))];
            if rng.chance(40) {
                types.push(json!(*rng.pick(&["null", "string", "integer"])));
            }
            node.insert("type".into(), Value::Array(types));
        }
        19 => {
            let mut fresh = Rng(rng.next() | 1);
            let extra = schema(&mut fresh, 1);
            let keyword = *rng.pick(&["anyOf", "oneOf", "allOf"]);
            match node.get_mut(keyword).and_then(Value::as_array_mut) {
                Some(parts) => parts.push(extra),
                None => {
                    node.insert(keyword.into(), json!([extra]));
                }
            }
        }
        20 => {
            node.insert(
                "if".into(),
                json!({"properties": {"a": {"const": "x"}}, "required": ["a"]}),
            );
            node.insert("then".into(), json!({"required": ["b"]}));
        }
        _ => {
            // Remove a keyword the node has.
            let present: Vec<String> = node.keys().cloned().collect();
            if !present.is_empty() {
                let key = rng.pick(&present).clone();
                node.remove(&key);
            }
        }
    }
}

/// A value near what `schema` describes: right most of the time, with the properties it
/// lists only, and sometimes wrong so that the sampled set crosses its edges.
fn sample(rng: &mut Rng, schema: &Value, depth: usize) -> Value {
    if depth > 5 {
        return json!(null);
    }
    if let Some(values) = schema
        .get("enum")
        .and_then(Value::as_array)
        .filter(|v| !v.is_empty())
        && rng.chance(80)
    {
        return rng.pick(values).clone();
    }
    if let Some(value) = schema.get("const")
        && rng.chance(80)
    {
        return value.clone();
    }
    for keyword in ["anyOf", "oneOf", "allOf"] {
        if let Some(parts) = schema
            .get(keyword)
            .and_then(Value::as_array)
            .filter(|p| !p.is_empty())
            && rng.chance(70)
        {
            let part = rng.pick(parts).clone();
            return sample(rng, &part, depth + 1);
        }
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) if !ts.is_empty() => {
            rng.pick(ts).as_str().unwrap_or("null").to_owned()
        }
        _ => (*rng.pick(&["string", "integer", "object", "array", "null"])).to_owned(),
    };
    match kind.as_str() {
        "string" => {
            let length = rng.below(7);
            let letters = "xyzab";
            let text: String = (0..length)
                .map(|i| letters.as_bytes()[(i + rng.below(5)) % 5] as char)
                .collect();
            json!(text)
        }
        "integer" => json!(rng.below(25) as i64 - 3),
        "number" => json!(rng.below(40) as f64 / 4.0 - 1.0),
        "boolean" => json!(rng.chance(50)),
        "array" => {
            let items = schema.get("items").cloned().unwrap_or(json!({}));
            let prefix = schema
                .get("prefixItems")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let count = rng.below(4);
            let mut values: Vec<Value> = (0..count)
                .map(|i| sample(rng, prefix.get(i).unwrap_or(&items), depth + 1))
                .collect();
            if count > 1 && rng.chance(20) {
                values[1] = values[0].clone();
            }
            Value::Array(values)
        }
        "object" => {
            let mut object = Map::new();
            let required: Vec<&str> = schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (name, inner) in properties {
                    if required.contains(&name.as_str()) || rng.chance(60) {
                        object.insert(name.clone(), sample(rng, inner, depth + 1));
                    }
                }
            }
            Value::Object(object)
        }
        _ => json!(null),
    }
}

/// A document whose one operation takes `schema` as its request body and answers it.
fn document(schema: &Value) -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"post": {
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/S"}}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/S"}}}}}
        }}},
        "components": {"schemas": {"S": schema}}
    })
}

/// Rules whose response additions the API promises clients must tolerate.
const PROMISED: &[Rule] = &[
    Rule::EnumValueAdded,
    Rule::UnionBranchAdded,
    Rule::AdditionalPropertiesAllowed,
];

/// What one pair showed: instances tried, and a counterexample if the diff was unsound.
struct Verdict {
    instances: usize,
    counterexample: Option<String>,
}

/// The document as one direction sees it: properties marked `hide` (`readOnly` for requests,
/// `writeOnly` for responses) taken out of `properties` and `required`, as the diff reads
/// them.
fn view(root: &Value, hide: &str) -> Value {
    fn walk(node: &mut Value, root: &Value, hide: &str) {
        match node {
            Value::Object(map) => {
                let hidden: Vec<String> = map
                    .get("properties")
                    .and_then(Value::as_object)
                    .map(|properties| {
                        properties
                            .iter()
                            .filter(|(_, p)| crate::differ::follow(root, p, "").0[hide] == true)
                            .map(|(name, _)| name.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                if let Some(properties) = map.get_mut("properties").and_then(Value::as_object_mut) {
                    properties.retain(|name, _| !hidden.contains(name));
                }
                if let Some(required) = map.get_mut("required").and_then(Value::as_array_mut) {
                    required.retain(|name| !hidden.iter().any(|h| name == h));
                }
                map.values_mut().for_each(|v| walk(v, root, hide));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, root, hide)),
            _ => {}
        }
    }
    let mut copy = root.clone();
    walk(&mut copy, root, hide);
    copy
}

/// One pair to judge: both documents, the schema (a `$ref` into each), the diff's changes,
/// and the location prefixes of its request and response uses.
struct Case<'a> {
    old_root: &'a Value,
    new_root: &'a Value,
    schema: &'a Value,
    changes: &'a [Change],
    request: Option<&'a str>,
    response: Option<&'a str>,
}

fn judge(case: &Case<'_>, rng: &mut Rng, samples: usize) -> Verdict {
    let Case {
        old_root,
        new_root,
        schema,
        changes,
        request,
        response,
    } = *case;
    let compile = |root: &Value, schema: &Value| {
        // The schema is validated inside its document so that `$ref`s resolve.
        let mut wrapped = root.clone();
        wrapped["$ref"] = json!(schema["$ref"].as_str().unwrap_or("#/components/schemas/S"));
        jsonschema::draft202012::new(&wrapped)
    };
    let compiled = |hide: &str| {
        Some((
            compile(&view(old_root, hide), schema).ok()?,
            compile(&view(new_root, hide), schema).ok()?,
        ))
    };
    let (Some((old_request, new_request)), Some((old_response, new_response))) =
        (compiled("readOnly"), compiled("writeOnly"))
    else {
        return Verdict {
            instances: 0,
            counterexample: None,
        };
    };
    let worst = |prefix: &str| {
        changes
            .iter()
            .filter(|c| c.location.starts_with(prefix))
            .map(|c| c.severity)
            .max()
    };
    let promised_only = |prefix: &str| {
        changes
            .iter()
            .filter(|c| c.location.starts_with(prefix) && c.severity != Severity::Compatible)
            .all(|c| PROMISED.contains(&c.rule))
    };
    let show = |instance: &Value, what: &str| {
        format!(
            "{what}\n  old schema: {}\n  new schema: {}\n  instance:   {instance}\n  changes:\n{}",
            old_root["components"]["schemas"],
            new_root["components"]["schemas"],
            crate::text(changes)
        )
    };
    let resolve = |root: &Value, schema: &Value| -> Value {
        crate::differ::follow(root, schema, "").0.clone()
    };
    let (old_resolved, new_resolved) = (resolve(old_root, schema), resolve(new_root, schema));
    let mut instances = 0;
    for _ in 0..samples {
        let sent = sample(rng, &old_resolved, 0);
        if let Some(request) = request
            && old_request.is_valid(&sent)
        {
            instances += 1;
            if !new_request.is_valid(&sent) && worst(request) != Some(Severity::Breaking) {
                return Verdict {
                    instances,
                    counterexample: Some(show(
                        &sent,
                        "a request the old schema accepts is refused, and the diff does not say breaking",
                    )),
                };
            }
        }
        let received = sample(rng, &new_resolved, 0);
        if let Some(response) = response
            && new_response.is_valid(&received)
        {
            instances += 1;
            let acceptable = match worst(response) {
                Some(Severity::Breaking) => true,
                Some(Severity::PossiblyBreaking) => promised_only(response),
                _ => false,
            };
            if !old_response.is_valid(&received) && !acceptable {
                return Verdict {
                    instances,
                    counterexample: Some(show(
                        &received,
                        "a response the old schema did not allow may be sent, and the diff does not say breaking",
                    )),
                };
            }
        }
    }
    Verdict {
        instances,
        counterexample: None,
    }
}

/// Runs `pairs` random pairs from `seed`; returns (pairs, instances) or the counterexample.
fn random_pairs(seed: u64, pairs: usize, samples: usize) -> Result<(usize, usize), String> {
    // Seeds are spread (golden-ratio multiple) so that neighbours give unrelated pairs.
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut instances = 0;
    for pair in 0..pairs {
        let old = schema(&mut rng, 2);
        let mut new = old.clone();
        for _ in 0..rng.below(3) + 1 {
            edit(&mut rng, &mut new);
        }
        let (old_doc, new_doc) = (document(&old), document(&new));
        let changes = diff(&old_doc, &new_doc);
        let reference = json!({"$ref": "#/components/schemas/S"});
        let case = Case {
            old_root: &old_doc,
            new_root: &new_doc,
            schema: &reference,
            changes: &changes,
            request: Some("POST /x request body"),
            response: Some("POST /x response 200"),
        };
        let verdict = judge(&case, &mut rng, samples);
        instances += verdict.instances;
        if let Some(counterexample) = verdict.counterexample {
            return Err(format!("pair {pair} of seed {seed}: {counterexample}"));
        }
    }
    Ok((pairs, instances))
}

#[test]
fn random_schema_changes_are_classified_soundly() {
    let mut totals = (0, 0);
    for seed in 1..=4 {
        match random_pairs(seed, 300, 40) {
            Ok((pairs, instances)) => {
                totals.0 += pairs;
                totals.1 += instances;
            }
            Err(counterexample) => panic!("{counterexample}"),
        }
    }
    eprintln!(
        "soundness: {} pairs, {} instances, no counterexample",
        totals.0, totals.1
    );
}

#[test]
#[ignore = "long: many more random pairs (SOUNDNESS_PAIRS, default 20000), for a run before a release"]
fn many_random_schema_changes_are_classified_soundly() {
    let pairs: usize = std::env::var("SOUNDNESS_PAIRS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let mut totals = (0, 0);
    let mut failures = Vec::new();
    for seed in 100..120 {
        match random_pairs(seed, pairs / 20, 60) {
            Ok((p, i)) => {
                totals.0 += p;
                totals.1 += i;
            }
            Err(counterexample) => failures.push(counterexample),
        }
    }
    eprintln!(
        "soundness: {} pairs, {} instances, {} counterexamples",
        totals.0,
        totals.1,
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_rule_fixture_pair_is_classified_soundly() {
    let mut rng = Rng(7);
    let mut instances = 0;
    for row in crate::tests::table() {
        let (old, new) = crate::tests::sides(&row);
        let changes = crate::diff_with(&old, &new, &crate::tests::table_policy());
        for (schema, request, response) in [
            (
                json!({"$ref": "#/components/schemas/ThingRequest"}),
                Some("POST /things request body"),
                None,
            ),
            (
                json!({"$ref": "#/components/schemas/Thing"}),
                None,
                Some("POST /things response 201"),
            ),
        ] {
            let case = Case {
                old_root: &old,
                new_root: &new,
                schema: &schema,
                changes: &changes,
                request,
                response,
            };
            let verdict = judge(&case, &mut rng, 200);
            instances += verdict.instances;
            if let Some(counterexample) = verdict.counterexample {
                panic!("row {:?}: {counterexample}", row.name);
            }
        }
    }
    eprintln!("soundness of the rule table: {instances} instances, no counterexample");
    assert!(instances > 1000, "only {instances} instances were tried");
}
