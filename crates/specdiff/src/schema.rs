//! Semantic comparison of two JSON Schema 2020-12 schemas, by direction.
//!
//! Every keyword that constrains instances is compared for whether the new schema allows
//! fewer values (narrowing: breaks requests), more (widening: breaks responses), or neither
//! (counts both ways). Subschemas are compared where they apply: `properties`, `items`,
//! `prefixItems`, `contains`, `additionalProperties`, `patternProperties`, `propertyNames`,
//! `dependentSchemas`, `unevaluated*`, `then`/`else` in the same direction, `not` in the
//! other. `allOf` parts and `oneOf`/`anyOf` branches are matched by discriminator value, by
//! content (with `$ref`s followed, so a component and an identical inline schema match), by
//! reference, and only then by position.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde_json::{Map, Value};

use std::borrow::Cow;

use crate::Change;
use crate::differ::{At, Differ, Direction, Visit, follow, join, keys};
use crate::{Rule, Severity};

use Severity::{Breaking, Compatible, PossiblyBreaking};

/// `(in a request, in a response)` for a change that allows fewer values.
const NARROWING: (Severity, Severity) = (Breaking, Compatible);
/// `(in a request, in a response)` for a change that allows more values.
const WIDENING: (Severity, Severity) = (Compatible, Breaking);
/// `(in a request, in a response)` for a change that allows other values.
const EITHER: (Severity, Severity) = (Breaking, Breaking);

/// The schema that allows everything, for a keyword that is absent.
fn anything() -> &'static Value {
    static EMPTY: OnceLock<Value> = OnceLock::new();
    EMPTY.get_or_init(|| Value::Object(Map::new()))
}

/// The `type` keyword as a set (with `null` when the schema allows it).
pub(crate) fn types(schema: &Value) -> Option<BTreeSet<String>> {
    match schema.get("type") {
        Some(Value::String(t)) => Some(BTreeSet::from([t.clone()])),
        Some(Value::Array(ts)) => Some(
            ts.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect(),
        ),
        _ => None,
    }
}

/// The types a schema allows: its `type`, else the types of its `enum` or `const` values,
/// else those its `anyOf`/`oneOf` branches allow together or its `allOf` parts allow in
/// common; `None` when any type may pass.
fn effective_types(doc: &Value, schema: &Value, depth: usize) -> Option<BTreeSet<String>> {
    if depth > 8 {
        return None;
    }
    if let Some(found) = types(schema) {
        return Some(found);
    }
    if let Some(values) = value_set(schema) {
        return Some(
            values
                .iter()
                .map(|value| {
                    match value {
                        Value::Null => "null",
                        Value::Bool(_) => "boolean",
                        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
                        Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => {
                            "integer"
                        }
                        Value::Number(_) => "number",
                        Value::String(_) => "string",
                        Value::Array(_) => "array",
                        Value::Object(_) => "object",
                    }
                    .to_owned()
                })
                .collect(),
        );
    }
    let of = |part: &Value| effective_types(doc, unwrap(doc, part, "").0, depth + 1);
    let mut found: Option<BTreeSet<String>> = None;
    if let Some((_, branches)) = union(schema) {
        let mut all = BTreeSet::new();
        for branch in branches {
            all.extend(of(branch)?);
        }
        found = Some(all);
    }
    for part in schema["allOf"].as_array().into_iter().flatten() {
        if let Some(part_types) = of(part) {
            found = Some(match found {
                None => part_types,
                Some(so_far) => {
                    let numeric = |set: &BTreeSet<String>| {
                        let mut set = set.clone();
                        if set.contains("number") {
                            set.insert("integer".to_owned());
                        }
                        set
                    };
                    numeric(&so_far)
                        .intersection(&numeric(&part_types))
                        .cloned()
                        .collect()
                }
            });
        }
    }
    found
}

/// The closed value set of a schema (`enum`, `const` as a set of one, or what both allow).
fn value_set(schema: &Value) -> Option<Vec<Value>> {
    match (schema.get("enum"), schema.get("const")) {
        (Some(Value::Array(values)), Some(value)) => {
            Some(values.iter().filter(|v| *v == value).cloned().collect())
        }
        (Some(Value::Array(values)), None) => Some(values.clone()),
        (_, Some(value)) => Some(vec![value.clone()]),
        _ => None,
    }
}

/// Keywords that do not constrain instances (JSON Schema 2020-12 meta-data, content and
/// format annotations aside, and OpenAPI's own).
const ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "examples",
    "example",
    "$comment",
    "deprecated",
    "default",
    "readOnly",
    "writeOnly",
    "externalDocs",
    "xml",
    "discriminator",
    "$id",
    "$schema",
    "$anchor",
    "$defs",
    "contentMediaType",
    "contentEncoding",
];

/// Keywords whose value is one subschema.
const ONE_SUBSCHEMA: &[&str] = &[
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contentSchema",
];

/// A schema with its `$ref`s followed (to a depth: recursive schemas stop there), annotations
/// dropped and sets sorted, so that two schemas that constrain alike compare equal.
fn canonical(doc: &Value, value: &Value, depth: usize) -> Value {
    // References are followed five levels down: enough to match parts and branches, and
    // bounded on schemas whose components reference each other many ways.
    let value = if depth < 5 {
        unwrap(doc, value, "").0
    } else {
        value
    };
    let merged = if depth < 5 {
        merge_all_of(doc, value)
    } else {
        Cow::Borrowed(value)
    };
    let Value::Object(map) = merged.as_ref() else {
        return match value {
            Value::Bool(true) => Value::Object(Map::new()),
            other => other.clone(),
        };
    };
    let sorted = |values: &Value| -> Value {
        let mut items: Vec<Value> = values.as_array().cloned().unwrap_or_default();
        items.sort_by_key(Value::to_string);
        items.dedup();
        Value::Array(items)
    };
    let mut out = Map::new();
    for (keyword, value) in map {
        if ANNOTATIONS.contains(&keyword.as_str()) || keyword.starts_with("x-") {
            continue;
        }
        let value = match keyword.as_str() {
            "enum" | "required" => sorted(value),
            "type" => match value {
                Value::String(one) => Value::Array(vec![Value::String(one.clone())]),
                many => sorted(many),
            },
            "properties" | "patternProperties" | "dependentSchemas" => Value::Object(
                value
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), canonical(doc, v, depth + 1)))
                    .collect(),
            ),
            "allOf" | "anyOf" | "oneOf" => {
                let parts: Vec<Value> = value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| canonical(doc, v, depth + 1))
                    .collect();
                sorted(&Value::Array(parts))
            }
            "prefixItems" => Value::Array(
                value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| canonical(doc, v, depth + 1))
                    .collect(),
            ),
            k if ONE_SUBSCHEMA.contains(&k) => canonical(doc, value, depth + 1),
            _ => value.clone(),
        };
        out.insert(keyword.clone(), value);
    }
    Value::Object(out)
}

/// Whether a schema is only a wrapper: one `allOf` part and nothing else that constrains
/// (OpenAPI 3.0 writes `{"allOf": [{"$ref": …}], "description": …}` for a reference with
/// siblings).
fn wrapper(schema: &Value) -> Option<&Value> {
    let map = schema.as_object()?;
    let parts = map.get("allOf")?.as_array()?;
    let only_annotations = map
        .keys()
        .all(|k| k == "allOf" || ANNOTATIONS.contains(&k.as_str()) || k.starts_with("x-"));
    (parts.len() == 1 && only_annotations).then(|| &parts[0])
}

/// The schema a value stands for, through `$ref`s and one-part `allOf` wrappers, with its
/// pointer.
fn unwrap<'v>(doc: &'v Value, value: &'v Value, at: &str) -> (&'v Value, String) {
    let (mut value, mut at) = follow(doc, value, at);
    for _ in 0..64 {
        let Some(inner) = wrapper(value) else { break };
        (value, at) = follow(doc, inner, &join(&join(&at, "allOf"), "0"));
    }
    (value, at)
}

/// A schema with its `allOf` parts merged in, when that keeps its meaning: parts that are
/// objects, whose keywords do not collide (or are equal), with `required` joined and a
/// property named twice kept as the `allOf` of both. `additionalProperties` and
/// `patternProperties` (which see only their own schema's properties) and the `unevaluated*`
/// keywords of parts keep the schema as it is. Comparing merged schemas lets a property move
/// between the top level and a part without being reported as removed and added.
fn merge_all_of<'v>(doc: &'v Value, schema: &'v Value) -> Cow<'v, Value> {
    merge_all_of_within(doc, schema, 0)
}

/// [`merge_all_of`], through at most four levels of parts that have parts.
fn merge_all_of_within<'v>(doc: &'v Value, schema: &'v Value, depth: usize) -> Cow<'v, Value> {
    if depth > 4 {
        return Cow::Borrowed(schema);
    }
    let Some(parts) = schema.get("allOf").and_then(Value::as_array) else {
        return Cow::Borrowed(schema);
    };
    let Some(parent) = schema.as_object() else {
        return Cow::Borrowed(schema);
    };
    const SCOPED: &[&str] = &[
        "additionalProperties",
        "patternProperties",
        "unevaluatedProperties",
        "unevaluatedItems",
        "$ref",
    ];
    if parent
        .keys()
        .any(|k| ["additionalProperties", "patternProperties", "$ref"].contains(&k.as_str()))
    {
        return Cow::Borrowed(schema);
    }
    let mut merged: Map<String, Value> = parent
        .iter()
        .filter(|(k, _)| *k != "allOf")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for part in parts {
        let part = merge_all_of_within(doc, unwrap(doc, part, "").0, depth + 1);
        let Value::Object(part) = part.as_ref() else {
            return Cow::Borrowed(schema);
        };
        for (keyword, value) in part {
            if SCOPED.contains(&keyword.as_str()) {
                return Cow::Borrowed(schema);
            }
            let annotation = ANNOTATIONS.contains(&keyword.as_str()) || keyword.starts_with("x-");
            match (keyword.as_str(), merged.get_mut(keyword)) {
                (_, None) => {
                    merged.insert(keyword.clone(), value.clone());
                }
                (_, Some(_)) if annotation => {}
                ("required", Some(Value::Array(names))) => {
                    for name in value.as_array().into_iter().flatten() {
                        if !names.contains(name) {
                            names.push(name.clone());
                        }
                    }
                }
                ("properties", Some(Value::Object(properties))) => {
                    for (name, property) in value.as_object().into_iter().flatten() {
                        match properties.get_mut(name) {
                            None => {
                                properties.insert(name.clone(), property.clone());
                            }
                            Some(existing) if existing == property => {}
                            Some(existing) => {
                                *existing =
                                    serde_json::json!({"allOf": [existing.clone(), property]});
                            }
                        }
                    }
                }
                (_, Some(existing)) if existing == value => {}
                _ => return Cow::Borrowed(schema),
            }
        }
    }
    Cow::Owned(Value::Object(merged))
}

/// Whether a schema is only a union: `oneOf` or `anyOf`, with nothing else that constrains.
fn pure_union(schema: &Value) -> bool {
    schema.as_object().is_some_and(|map| {
        union(schema).is_some()
            && map.keys().all(|k| {
                ["oneOf", "anyOf"].contains(&k.as_str())
                    || ANNOTATIONS.contains(&k.as_str())
                    || k.starts_with("x-")
            })
    })
}

/// An annotation as the outermost place that says it: a `$ref`'s or a wrapper's own
/// `default` or `deprecated` wins over the target's (JSON Schema 2020-12 §8.2.3.1 lets a
/// `$ref` have siblings).
fn annotation<'v>(doc: &'v Value, value: &'v Value, keyword: &str) -> Option<&'v Value> {
    let mut value = value;
    for _ in 0..64 {
        if let Some(found) = value.get(keyword) {
            return Some(found);
        }
        value = match (value.get("$ref"), wrapper(value)) {
            (Some(_), _) => follow(doc, value, "").0,
            (None, Some(inner)) => inner,
            (None, None) => return None,
        };
    }
    None
}

/// The tightest upper (`upper`) or lower bound of a number: `(value, exclusive)`.
fn numeric_bound(schema: &Value, upper: bool) -> Option<(f64, bool)> {
    let (inclusive, exclusive) = if upper {
        ("maximum", "exclusiveMaximum")
    } else {
        ("minimum", "exclusiveMinimum")
    };
    let candidates = [
        schema
            .get(inclusive)
            .and_then(Value::as_f64)
            .map(|v| (v, false)),
        schema
            .get(exclusive)
            .and_then(Value::as_f64)
            .map(|v| (v, true)),
    ];
    candidates.into_iter().flatten().reduce(|a, b| {
        let tighter = if upper { b.0 < a.0 } else { b.0 > a.0 };
        if tighter || (b.0 == a.0 && b.1) { b } else { a }
    })
}

fn describe_bound(bound: Option<(f64, bool)>, upper: bool) -> String {
    match bound {
        None => "none".to_owned(),
        Some((value, exclusive)) => {
            let keyword = match (upper, exclusive) {
                (true, false) => "maximum",
                (true, true) => "exclusiveMaximum",
                (false, false) => "minimum",
                (false, true) => "exclusiveMinimum",
            };
            format!("{keyword} {value}")
        }
    }
}

/// Whether `quotient` is a whole number (for `multipleOf`).
fn whole(quotient: f64) -> bool {
    quotient.is_finite() && (quotient - quotient.round()).abs() < 1e-9
}

/// A closed value set a schema gives one property, when the property is required: two
/// branches that require different values there cannot both match.
fn required_values(doc: &Value, schema: &Value, property: &str) -> Option<Vec<Value>> {
    let required = schema["required"]
        .as_array()
        .is_some_and(|r| r.iter().any(|n| n == property));
    if !required {
        return None;
    }
    value_set(follow(doc, &schema["properties"][property], "").0)
}

/// Whether one value might be valid under both schemas. `false` only when it surely cannot:
/// disjoint types, disjoint value sets, or a required property with disjoint value sets.
fn may_overlap(old_doc: &Value, a: &Value, new_doc: &Value, b: &Value) -> bool {
    let a = merge_all_of(old_doc, unwrap(old_doc, a, "").0);
    let b = merge_all_of(new_doc, unwrap(new_doc, b, "").0);
    let (a, b) = (a.as_ref(), b.as_ref());
    let widen = |set: BTreeSet<String>| -> BTreeSet<String> {
        let mut set = set;
        if set.contains("number") {
            set.insert("integer".to_owned());
        }
        if set.contains("integer") {
            set.insert("number".to_owned());
        }
        set
    };
    if let (Some(ta), Some(tb)) = (
        effective_types(old_doc, a, 0),
        effective_types(new_doc, b, 0),
    ) && widen(ta).is_disjoint(&widen(tb))
    {
        return false;
    }
    if let (Some(va), Some(vb)) = (value_set(a), value_set(b))
        && !va.iter().any(|v| vb.contains(v))
    {
        return false;
    }
    for property in keys(&a["properties"]).intersection(&keys(&b["properties"])) {
        if let (Some(va), Some(vb)) = (
            required_values(old_doc, a, property),
            required_values(new_doc, b, property),
        ) && !va.iter().any(|v| vb.contains(v))
        {
            return false;
        }
    }
    true
}

/// The union keyword of a schema and its branches (`oneOf` first).
fn union(schema: &Value) -> Option<(&'static str, &Vec<Value>)> {
    ["oneOf", "anyOf"]
        .into_iter()
        .find_map(|k| schema.get(k).and_then(Value::as_array).map(|b| (k, b)))
}

/// One union keyword of a schema, with its branches.
fn branches_of<'v>(
    schema: &'v Value,
    keyword: &'static str,
) -> Option<(&'static str, &'v Vec<Value>)> {
    schema
        .get(keyword)
        .and_then(Value::as_array)
        .map(|branches| (keyword, branches))
}

/// A branch's name in reports: its `$ref`, or its position.
fn branch_name(branch: &Value, index: usize) -> String {
    match (branch.get("$ref").and_then(Value::as_str), types(branch)) {
        (Some(reference), _) => reference.to_owned(),
        (None, Some(types)) => {
            let listed: Vec<&str> = types.iter().map(String::as_str).collect();
            format!("#{index} ({})", listed.join(" or "))
        }
        (None, None) => format!("#{index}"),
    }
}

/// A branch as the location shows it: `<Name>` for a component, `<#1>` for an inline one.
fn branch_place(branch: &Value, index: usize) -> String {
    match branch.get("$ref").and_then(Value::as_str) {
        Some(reference) => format!("<{}>", reference.rsplit('/').next().unwrap_or(reference)),
        None => format!("<#{index}>"),
    }
}

/// Whether a schema refuses properties it does not list.
fn closed(schema: &Value) -> bool {
    schema["additionalProperties"] == false || schema["unevaluatedProperties"] == false
}

impl Differ<'_> {
    /// Whether two schemas constrain alike (annotations aside).
    fn equivalent(&self, old: &Value, new: &Value) -> bool {
        canonical(self.old, old, 0) == canonical(self.new, new, 0)
    }

    /// Compares two schemas in a direction, through their `$ref`s.
    pub(crate) fn schema(&mut self, direction: Direction, at: &At, old: &Value, new: &Value) {
        if old.is_null() || new.is_null() {
            return;
        }
        // The component a schema stands for, also through a one-part `allOf` wrapper (the 3.0
        // way to give a `$ref` a description).
        let name = |schema: &Value| {
            let mut schema = schema;
            while let Some(inner) = wrapper(schema) {
                schema = inner;
            }
            schema
                .get("$ref")
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        if let (Some(old_ref), Some(new_ref)) = (name(old), name(new))
            && old_ref != new_ref
        {
            self.push(
                at,
                PossiblyBreaking,
                Rule::RefTargetChanged,
                format!("{old_ref} became {new_ref}: generated clients rename the type"),
            );
        }
        self.annotations(direction, at, old, new);
        let (old_schema, old_ptr) = unwrap(self.old, old, &at.old);
        let (new_schema, new_ptr) = unwrap(self.new, new, &at.new);
        let key = Visit {
            old: old_ptr.clone(),
            new: new_ptr.clone(),
            direction,
            text: at.text,
            negated: at.negated,
            overlap: at.overlap,
        };
        if let Some(done) = self.memo.get(&key) {
            // The same pair in the same context was compared before: its changes, at this
            // place.
            for (change, place) in done.clone() {
                let path = format!("{}{place}", at.path);
                let location = At {
                    path: path.clone(),
                    ..at.clone()
                }
                .location();
                self.record(Change { location, ..change }, path);
            }
            return;
        }
        if !self.visiting.insert(key.clone()) {
            return;
        }
        let start = self.changes.len();
        let (old_merged, new_merged) = (
            merge_all_of(self.old, old_schema),
            merge_all_of(self.new, new_schema),
        );
        let here = at.with_pointers(old_ptr, new_ptr);
        self.compare(direction, &here, &old_merged, &new_merged);
        self.visiting.remove(&key);
        let found: Vec<(Change, String)> = self.changes[start..]
            .iter()
            .zip(&self.places[start..])
            .map(|(change, place)| {
                let relative = place.strip_prefix(at.path.as_str()).unwrap_or(place);
                (change.clone(), relative.to_owned())
            })
            .collect();
        self.memo.insert(key, found);
    }

    fn compare(&mut self, d: Direction, at: &At, old: &Value, new: &Value) {
        match (old, new) {
            (Value::Bool(false), Value::Bool(false)) => return,
            (Value::Bool(false), _) => {
                return self.by_direction(
                    d,
                    at,
                    WIDENING,
                    Rule::ConstraintRemoved,
                    "the schema was false (no value allowed); now values are",
                );
            }
            (_, Value::Bool(false)) => {
                return self.by_direction(
                    d,
                    at,
                    NARROWING,
                    Rule::ConstraintAdded,
                    "the schema is false now: no value is allowed",
                );
            }
            _ => {}
        }
        let old = if old.is_object() { old } else { anything() };
        let new = if new.is_object() { new } else { anything() };
        // A schema wrapped in a union (or unwrapped from one) is compared with the branch it
        // became, not keyword by keyword with the bare union.
        if (pure_union(old) && union(new).is_none()) || (pure_union(new) && union(old).is_none()) {
            return self.unions(d, at, old, new);
        }
        self.types(d, at, old, new);
        self.values(d, at, old, new);
        self.strings(d, at, old, new);
        self.bounds(d, at, old, new);
        self.properties(d, at, old, new);
        self.object_keywords(d, at, old, new);
        self.array_keywords(d, at, old, new);
        self.logic(d, at, old, new);
        self.all_of(d, at, old, new);
        self.unions(d, at, old, new);
    }

    fn types(&mut self, d: Direction, at: &At, old: &Value, new: &Value) {
        let text = at.text;
        let (old_effective, new_effective) = (
            effective_types(self.old, old, 0),
            effective_types(self.new, new, 0),
        );
        if let (Some(old_types), Some(new_types)) = (old_effective.clone(), new_effective.clone()) {
            let (old_null, new_null) = (old_types.contains("null"), new_types.contains("null"));
            if !old_null && new_null {
                self.by_direction(d, at, WIDENING, Rule::MadeNullable, "null is now allowed");
            }
            if old_null && !new_null {
                self.by_direction(
                    d,
                    at,
                    NARROWING,
                    Rule::MadeNonNullable,
                    "null is no longer allowed",
                );
            }
            // `integer` is a subset of `number`; on the wire of a parameter or header, a
            // `string` holds every number and boolean, since values are text.
            let widen = |set: &BTreeSet<String>| -> BTreeSet<String> {
                let mut set: BTreeSet<String> =
                    set.iter().filter(|t| *t != "null").cloned().collect();
                if set.contains("number") {
                    set.insert("integer".to_owned());
                }
                if text && set.contains("string") {
                    for t in ["integer", "number", "boolean"] {
                        set.insert(t.to_owned());
                    }
                }
                set
            };
            let (old_set, new_set) = (widen(&old_types), widen(&new_types));
            let lost = old_set.difference(&new_set).next().is_some();
            let gained = new_set.difference(&old_set).next().is_some();
            let describe = |set: &BTreeSet<String>| {
                set.iter()
                    .filter(|t| *t != "null")
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" or ")
            };
            let reason = format!(
                "type {} became {}",
                describe(&old_types),
                describe(&new_types)
            );
            match (lost, gained) {
                (true, false) => self.by_direction(d, at, NARROWING, Rule::TypeNarrowed, reason),
                (false, true) => self.by_direction(d, at, WIDENING, Rule::TypeWidened, reason),
                (true, true) => self.by_direction(d, at, EITHER, Rule::TypeChanged, reason),
                (false, false) => {}
            }
            return;
        }
        // With a `not`, the types it excludes are not worked out: the claim errs towards
        // breaking.
        match (old_effective, new_effective) {
            (None, Some(new_types)) => {
                let listed = new_types.iter().cloned().collect::<Vec<_>>().join(" or ");
                self.by_direction(
                    d,
                    at,
                    NARROWING,
                    Rule::TypeNarrowed,
                    format!("any type became {listed}"),
                );
            }
            (Some(old_types), None) => {
                let listed = old_types.iter().cloned().collect::<Vec<_>>().join(" or ");
                self.by_direction(
                    d,
                    at,
                    WIDENING,
                    Rule::TypeWidened,
                    format!("{listed} became any type"),
                );
            }
            _ => {}
        }
    }

    fn values(&mut self, d: Direction, at: &At, old: &Value, new: &Value) {
        if let (Some(a), Some(b), None, None) = (
            old.get("const"),
            new.get("const"),
            old.get("enum"),
            new.get("enum"),
        ) {
            if a != b {
                self.by_direction(
                    d,
                    at,
                    EITHER,
                    Rule::ConstChanged,
                    format!("const {a} became {b}"),
                );
            }
            return;
        }
        // Where `type` says whether null is allowed, `made-nullable` reports a null added to
        // an enum (as 3.0's `nullable` writes it); the enum rules speak of the other values.
        // Only where each side's enum and type agree about null, so the type rules see it.
        let agrees = |schema: &Value| {
            let in_enum = value_set(schema).is_some_and(|values| values.contains(&Value::Null));
            types(schema).is_some_and(|types| types.contains("null") == in_enum)
        };
        let typed = agrees(old) && agrees(new);
        let values = |schema: &Value| {
            value_set(schema).map(|values| {
                values
                    .into_iter()
                    .filter(|v| !(typed && v.is_null()))
                    .collect::<Vec<_>>()
            })
        };
        match (values(old), values(new)) {
            (Some(old_values), Some(new_values)) => {
                for value in old_values.iter().filter(|v| !new_values.contains(v)) {
                    self.by_direction(
                        d,
                        at,
                        NARROWING,
                        Rule::EnumValueRemoved,
                        format!("{value} is no longer allowed"),
                    );
                }
                // The promise of new values is about what the API sends, not about `not`.
                let added = if at.negated {
                    WIDENING
                } else {
                    (Compatible, PossiblyBreaking)
                };
                for value in new_values.iter().filter(|v| !old_values.contains(v)) {
                    self.by_direction(
                        d,
                        at,
                        added,
                        Rule::EnumValueAdded,
                        match d {
                            Direction::Request => format!("{value} is also accepted"),
                            Direction::Response if at.negated => format!("{value} is also allowed"),
                            Direction::Response => format!(
                                "{value} may be received; the API promises new values may appear, and clients must tolerate them"
                            ),
                        },
                    );
                }
            }
            (None, Some(values)) => self.by_direction(
                d,
                at,
                NARROWING,
                Rule::EnumAdded,
                format!("only {} allowed now", Value::Array(values)),
            ),
            (Some(_), None) => self.by_direction(
                d,
                at,
                WIDENING,
                Rule::EnumRemoved,
                "any value is allowed now",
            ),
            (None, None) => {}
        }
    }

    fn strings(&mut self, d: Direction, at: &At, old: &Value, new: &Value) {
        for (keyword, added, removed, changed) in [
            (
                "format",
                Rule::FormatAdded,
                Rule::FormatRemoved,
                Rule::FormatChanged,
            ),
            (
                "pattern",
                Rule::PatternAdded,
                Rule::PatternRemoved,
                Rule::PatternChanged,
            ),
        ] {
            match (old.get(keyword), new.get(keyword)) {
                (None, Some(value)) => self.by_direction(
                    d,
                    at,
                    NARROWING,
                    added,
                    format!("{keyword} {value} now applies"),
                ),
                (Some(value), None) => self.by_direction(
                    d,
                    at,
                    WIDENING,
                    removed,
                    format!("{keyword} {value} no longer applies"),
                ),
                (Some(a), Some(b)) if a != b => self.by_direction(
                    d,
                    at,
                    EITHER,
                    changed,
                    format!("{keyword} {a} became {b}: some values are lost, others gained"),
                ),
                _ => {}
            }
        }
    }

    fn bounds(&mut self, d: Direction, at: &At, old: &Value, new: &Value) {
        // Upper bounds tighten by going down; lower bounds by going up.
        for (keyword, upper) in [
            ("maxLength", true),
            ("maxItems", true),
            ("maxProperties", true),
            ("maxContains", true),
            ("minLength", false),
            ("minItems", false),
            ("minProperties", false),
            ("minContains", false),
        ] {
            // `minContains` is 1 where `contains` is and it is not (JSON Schema 2020-12
            // §10.3.1.3); the `*Contains` bounds mean nothing without `contains`.
            let bound = |schema: &Value| match keyword {
                "minContains" | "maxContains" if schema.get("contains").is_none() => None,
                "minContains" => Some(schema.get(keyword).and_then(Value::as_f64).unwrap_or(1.0)),
                _ => schema.get(keyword).and_then(Value::as_f64),
            };
            let old_bound = bound(old);
            let new_bound = bound(new);
            let tightened = match (old_bound, new_bound) {
                (None, Some(_)) => Some(true),
                (Some(_), None) => Some(false),
                (Some(a), Some(b)) if a != b => Some(if upper { b < a } else { b > a }),
                _ => None,
            };
            let reason = format!(
                "{keyword} {} became {}",
                old.get(keyword).map_or("none".to_owned(), Value::to_string),
                new.get(keyword).map_or("none".to_owned(), Value::to_string)
            );
            self.bound(d, at, tightened, reason);
        }
        // `maximum` and `exclusiveMaximum` together are one bound (the tighter one).
        for upper in [true, false] {
            let (a, b) = (numeric_bound(old, upper), numeric_bound(new, upper));
            let tightened = match (a, b) {
                (None, Some(_)) => Some(true),
                (Some(_), None) => Some(false),
                (Some(a), Some(b)) if a != b => Some(if a.0 == b.0 {
                    b.1
                } else if upper {
                    b.0 < a.0
                } else {
                    b.0 > a.0
                }),
                _ => None,
            };
            let reason = format!(
                "{} became {}",
                describe_bound(a, upper),
                describe_bound(b, upper)
            );
            self.bound(d, at, tightened, reason);
        }
        let (a, b) = (
            old.get("multipleOf").and_then(Value::as_f64),
            new.get("multipleOf").and_then(Value::as_f64),
        );
        let reason = format!(
            "multipleOf {} became {}",
            a.map_or("none".to_owned(), |v| v.to_string()),
            b.map_or("none".to_owned(), |v| v.to_string())
        );
        match (a, b) {
            (None, Some(_)) => self.bound(d, at, Some(true), reason),
            (Some(_), None) => self.bound(d, at, Some(false), reason),
            (Some(a), Some(b)) if a != b => {
                // Every multiple of b is a multiple of a when b/a is whole.
                if whole(b / a) {
                    self.bound(d, at, Some(true), reason)
                } else if whole(a / b) {
                    self.bound(d, at, Some(false), reason)
                } else {
                    self.by_direction(d, at, EITHER, Rule::ConstraintChanged, reason)
                }
            }
            _ => {}
        }
    }

    fn bound(&mut self, d: Direction, at: &At, tightened: Option<bool>, reason: String) {
        match tightened {
            Some(true) => self.by_direction(d, at, NARROWING, Rule::BoundTightened, reason),
            Some(false) => self.by_direction(d, at, WIDENING, Rule::BoundRelaxed, reason),
            None => {}
        }
    }

    /// `default` and `deprecated`, read through `$ref`s and wrappers.
    fn annotations(&mut self, d: Direction, at: &At, old: &Value, new: &Value) {
        let (old_default, new_default) = (
            annotation(self.old, old, "default"),
            annotation(self.new, new, "default"),
        );
        if old_default != new_default {
            let show = |v: Option<&Value>| v.map_or("none".to_owned(), Value::to_string);
            let (a, b) = (show(old_default), show(new_default));
            self.push(
                at,
                PossiblyBreaking,
                Rule::DefaultChanged,
                match d {
                    Direction::Request => format!(
                        "default {a} became {b}: clients that leave it out get another behaviour"
                    ),
                    Direction::Response => {
                        format!("default {a} became {b}: what an absent value means changed")
                    }
                },
            );
        }
        let deprecated = |doc: &Value, schema: &Value| {
            serde_json::json!({
                "deprecated": annotation(doc, schema, "deprecated") == Some(&Value::Bool(true)),
                "x-sunset": annotation(doc, schema, "x-sunset").cloned().unwrap_or(Value::Null),
            })
        };
        let (a, b) = (deprecated(self.old, old), deprecated(self.new, new));
        self.deprecation(at, &a, &b);
    }

    /// Whether a property exists in this direction: `readOnly` ones only in responses,
    /// `writeOnly` ones only in requests (OpenAPI 3.1 §4.8.24.1, JSON Schema validation
    /// §9.4).
    fn visible(doc: &Value, property: &Value, d: Direction) -> bool {
        // A `$ref`'s sibling says it as well as the target does.
        let flag = |keyword: &str| annotation(doc, property, keyword) == Some(&Value::Bool(true));
        match d {
            Direction::Request => !flag("readOnly"),
            Direction::Response => !flag("writeOnly"),
        }
    }

    fn properties(&mut self, d: Direction, at: &At, old: &Value, new: &Value) {
        let view = |doc: &Value, schema: &Value| -> (BTreeSet<String>, BTreeSet<String>) {
            let listed = &schema["properties"];
            let hidden: BTreeSet<String> = keys(listed)
                .into_iter()
                .filter(|name| !Self::visible(doc, &listed[name], d))
                .collect();
            let properties = keys(listed).difference(&hidden).cloned().collect();
            let required = schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .filter(|name| !hidden.contains(name))
                .collect();
            (properties, required)
        };
        let (old_properties, old_required) = view(self.old, old);
        let (new_properties, new_required) = view(self.new, new);
        for name in &old_properties {
            let here = at.inside(&format!("/{name}"), &["properties", name]);
            if !new_properties.contains(name) {
                let hidden = new["properties"].get(name).is_some();
                let (severity, reason) = match d {
                    Direction::Request if closed(new) => {
                        (Breaking, "clients sending it are now refused")
                    }
                    Direction::Request => (
                        PossiblyBreaking,
                        "clients still send it; the API ignores or refuses it",
                    ),
                    Direction::Response if old_required.contains(name) => (
                        Breaking,
                        "clients reading it no longer get it, though it was always there",
                    ),
                    Direction::Response => (
                        PossiblyBreaking,
                        "it was optional, so clients handle its absence, but they no longer get it",
                    ),
                };
                let reason = if hidden {
                    format!(
                        "{} now, so: {reason}",
                        match d {
                            Direction::Request => "read-only",
                            Direction::Response => "write-only",
                        }
                    )
                } else {
                    reason.to_owned()
                };
                // Deprecation and sunset, read through the `$ref` and its siblings.
                let raw = &old["properties"][name];
                let mut marks = Map::new();
                for keyword in ["deprecated", "x-sunset"] {
                    if let Some(value) = annotation(self.old, raw, keyword) {
                        marks.insert(keyword.to_owned(), value.clone());
                    }
                }
                self.removed(
                    &here,
                    &Value::Object(marks),
                    severity,
                    Rule::PropertyRemoved,
                    &reason,
                );
                // Where `additionalProperties` is a schema, the name is still constrained:
                // by it now, not by the property's schema.
                if let Some(extra) = new.get("additionalProperties").filter(|v| v.is_object()) {
                    self.schema(d, &here, &old["properties"][name], extra);
                }
                continue;
            }
            match (old_required.contains(name), new_required.contains(name)) {
                (false, true) => self.by_direction(
                    d,
                    &here,
                    NARROWING,
                    Rule::PropertyMadeRequired,
                    "it must now always be there",
                ),
                (true, false) => self.by_direction(
                    d,
                    &here,
                    WIDENING,
                    Rule::PropertyMadeOptional,
                    "it may now be absent",
                ),
                _ => {}
            }
            self.schema(d, &here, &old["properties"][name], &new["properties"][name]);
        }
        for name in new_properties.difference(&old_properties) {
            let here = at.inside(&format!("/{name}"), &["properties", name]);
            if new_required.contains(name) {
                self.by_direction(
                    d,
                    &here,
                    NARROWING,
                    Rule::RequiredPropertyAdded,
                    match d {
                        Direction::Request => "existing clients do not send it",
                        Direction::Response => "clients always get it",
                    },
                );
            } else if d == Direction::Response && closed(old) {
                self.push(
                    &here,
                    Breaking,
                    Rule::OptionalPropertyAdded,
                    "the schema was closed (additionalProperties false): clients built on it refuse the new field",
                );
            } else {
                self.push(
                    &here,
                    Compatible,
                    Rule::OptionalPropertyAdded,
                    match d {
                        Direction::Request => "existing clients need not send it",
                        Direction::Response => "a new field; the schema is open, so clients ignore what they do not know",
                    },
                );
                // An open request schema accepted the name already, under
                // `additionalProperties`: the new property's schema may refuse what was sent.
                let extra = old.get("additionalProperties").filter(|v| v.is_object());
                if (d == Direction::Request && !closed(old)) || extra.is_some() {
                    self.schema(
                        d,
                        &here,
                        extra.unwrap_or(anything()),
                        &new["properties"][name],
                    );
                }
            }
        }
        // `required` names the schema does not list as properties.
        let unlisted = |required: &BTreeSet<String>, schema: &Value| -> BTreeSet<String> {
            required
                .iter()
                .filter(|n| schema["properties"].get(n.as_str()).is_none())
                .cloned()
                .collect()
        };
        let (old_bare, new_bare) = (unlisted(&old_required, old), unlisted(&new_required, new));
        for name in new_bare.difference(&old_bare) {
            if !old_properties.contains(name) && !new_properties.contains(name) {
                self.by_direction(
                    d,
                    &at.key("required"),
                    NARROWING,
                    Rule::PropertyMadeRequired,
                    format!("{name} must now always be there"),
                );
            }
        }
        for name in old_bare.difference(&new_bare) {
            if !old_properties.contains(name) && !new_properties.contains(name) {
                self.by_direction(
                    d,
                    &at.key("required"),
                    WIDENING,
                    Rule::PropertyMadeOptional,
                    format!("{name} may now be absent"),
                );
            }
        }
    }

    /// A subschema keyword whose absence means "anything": compared with `{}` in its place.
    fn subschema(
        &mut self,
        d: Direction,
        at: &At,
        keyword: &str,
        place: &str,
        old: &Value,
        new: &Value,
    ) {
        let (a, b) = (old.get(keyword), new.get(keyword));
        if a.is_none() && b.is_none() {
            return;
        }
        self.schema(
            d,
            &at.inside(place, &[keyword]),
            a.unwrap_or(anything()),
            b.unwrap_or(anything()),
        );
    }

    /// A keyword present on one side only: a constraint added or removed.
    fn presence(
        &mut self,
        d: Direction,
        at: &At,
        keyword: &str,
        old: Option<&Value>,
        new: Option<&Value>,
    ) {
        match (old, new) {
            (None, Some(value)) => self.by_direction(
                d,
                &at.key(keyword),
                NARROWING,
                Rule::ConstraintAdded,
                format!("{keyword} {} now applies", brief(value)),
            ),
            (Some(value), None) => self.by_direction(
                d,
                &at.key(keyword),
                WIDENING,
                Rule::ConstraintRemoved,
                format!("{keyword} {} no longer applies", brief(value)),
            ),
            _ => {}
        }
    }

    fn object_keywords(&mut self, d: Direction, at: &At, old: &Value, new: &Value) {
        for keyword in ["additionalProperties", "unevaluatedProperties"] {
            match (old.get(keyword), new.get(keyword)) {
                // Opening a response object is what the API's promise of new optional
                // fields asks for: possibly-breaking, not breaking (clients built on the
                // closed schema are the ones it may hurt).
                (Some(Value::Bool(false)), other) if other != Some(&Value::Bool(false)) => self
                    .by_direction(
                        d,
                        &at.key(keyword),
                        if at.negated { WIDENING } else { (Compatible, PossiblyBreaking) },
                        Rule::AdditionalPropertiesAllowed,
                        match d {
                            Direction::Request => format!(
                                "{keyword} false no longer applies: unknown properties are no longer refused"
                            ),
                            Direction::Response => format!(
                                "{keyword} false no longer applies: the object is open, as the API promises response objects are; clients built to refuse unknown fields must stop"
                            ),
                        },
                    ),
                (other, Some(Value::Bool(false))) if other != Some(&Value::Bool(false)) => self
                    .by_direction(
                        d,
                        &at.key(keyword),
                        NARROWING,
                        Rule::AdditionalPropertiesForbidden,
                        match d {
                            Direction::Request => {
                                format!("{keyword} false: unknown properties are refused now")
                            }
                            Direction::Response => format!(
                                "{keyword} false: clients will no longer receive properties the schema does not list"
                            ),
                        },
                    ),
                (Some(Value::Bool(false)), Some(Value::Bool(false))) => {}
                _ => self.subschema(d, at, keyword, "/*", old, new),
            }
        }
        let patterns = |schema: &Value| keys(&schema["patternProperties"]);
        for pattern in patterns(old).union(&patterns(new)) {
            let (a, b) = (
                old["patternProperties"].get(pattern),
                new["patternProperties"].get(pattern),
            );
            let here = at.inside(&format!("/<{pattern}>"), &["patternProperties", pattern]);
            match (a, b) {
                (Some(a), Some(b)) => self.schema(d, &here, a, b),
                // Names matching the pattern were refused by a closed schema and are allowed
                // now (constrained by the pattern's schema), or the other way round.
                (None, Some(_)) if closed(old) => self.by_direction(
                    d,
                    &here,
                    EITHER,
                    Rule::ConstraintChanged,
                    format!("patternProperties {pattern:?}: names matching it were refused, now they are allowed as its schema says"),
                ),
                (Some(_), None) if closed(new) => self.by_direction(
                    d,
                    &here,
                    EITHER,
                    Rule::ConstraintChanged,
                    format!("patternProperties {pattern:?} is gone: names matching it are refused now"),
                ),
                (None, Some(_)) => self.by_direction(
                    d,
                    &here,
                    NARROWING,
                    Rule::ConstraintAdded,
                    format!("patternProperties {pattern:?} now constrains the properties whose names match it"),
                ),
                (Some(_), None) => self.by_direction(
                    d,
                    &here,
                    WIDENING,
                    Rule::ConstraintRemoved,
                    format!("patternProperties {pattern:?} no longer constrains the properties whose names match it"),
                ),
                (None, None) => {}
            }
        }
        // Property names are strings: `{"type": "string"}` there constrains nothing.
        let (a, b) = (old.get("propertyNames"), new.get("propertyNames"));
        if a.is_some() || b.is_some() {
            let names = serde_json::json!({"type": "string"});
            self.schema(
                d,
                &at.inside("/<name>", &["propertyNames"]),
                a.unwrap_or(&names),
                b.unwrap_or(&names),
            );
        }
        let pairs = |schema: &Value| -> BTreeSet<(String, String)> {
            schema["dependentRequired"]
                .as_object()
                .into_iter()
                .flatten()
                .flat_map(|(k, v)| {
                    v.as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|n| n.as_str())
                        .map(move |n| (k.clone(), n.to_owned()))
                })
                .collect()
        };
        let (old_pairs, new_pairs) = (pairs(old), pairs(new));
        for (when, then) in new_pairs.difference(&old_pairs) {
            self.by_direction(
                d,
                &at.key("dependentRequired"),
                NARROWING,
                Rule::ConstraintAdded,
                format!("dependentRequired: with {when}, {then} is required now"),
            );
        }
        for (when, then) in old_pairs.difference(&new_pairs) {
            self.by_direction(
                d,
                &at.key("dependentRequired"),
                WIDENING,
                Rule::ConstraintRemoved,
                format!("dependentRequired: with {when}, {then} is no longer required"),
            );
        }
        let dependents = |schema: &Value| keys(&schema["dependentSchemas"]);
        for name in dependents(old).union(&dependents(new)) {
            let (a, b) = (
                old["dependentSchemas"].get(name),
                new["dependentSchemas"].get(name),
            );
            match (a, b) {
                (Some(a), Some(b)) => self.schema(
                    d,
                    &at.inside(&format!("<with {name}>"), &["dependentSchemas", name]),
                    a,
                    b,
                ),
                _ => self.presence(d, at, "dependentSchemas", a, b),
            }
        }
    }

    fn array_keywords(&mut self, d: Direction, at: &At, old: &Value, new: &Value) {
        self.subschema(d, at, "items", "/[]", old, new);
        self.subschema(d, at, "unevaluatedItems", "/[]", old, new);
        // Position i is checked by `prefixItems[i]` when there is one, else by `items`
        // (JSON Schema 2020-12 §10.3.1.2): adding a prefix can loosen a position too.
        let empty = Vec::new();
        let old_prefix = old["prefixItems"].as_array().unwrap_or(&empty);
        let new_prefix = new["prefixItems"].as_array().unwrap_or(&empty);
        let effective =
            |prefix: &'_ Vec<Value>, schema: &Value, base: &str, index: usize| -> (Value, String) {
                match prefix.get(index) {
                    Some(item) => (
                        item.clone(),
                        join(&join(base, "prefixItems"), &index.to_string()),
                    ),
                    None => (
                        schema
                            .get("items")
                            .cloned()
                            .unwrap_or_else(|| anything().clone()),
                        join(base, "items"),
                    ),
                }
            };
        for index in 0..old_prefix.len().max(new_prefix.len()) {
            let (a, old_ptr) = effective(old_prefix, old, &at.old, index);
            let (b, new_ptr) = effective(new_prefix, new, &at.new, index);
            let here = At {
                path: format!("{}/[{index}]", at.path),
                ..at.with_pointers(old_ptr, new_ptr)
            };
            self.schema(d, &here, &a, &b);
        }
        match (old.get("contains"), new.get("contains")) {
            (Some(a), Some(b)) => {
                // With `maxContains` (or `minContains: 0`), more matching items can fail the
                // array: a change to `contains` counts both ways.
                let counted = |schema: &Value| {
                    schema.get("maxContains").is_some() || schema["minContains"] == 0
                };
                let mut here = at.inside("/<contains>", &["contains"]);
                here.overlap |= counted(old) || counted(new);
                self.schema(d, &here, a, b)
            }
            (a, b) => self.presence(d, at, "contains", a, b),
        }
        match (old["uniqueItems"] == true, new["uniqueItems"] == true) {
            (false, true) => self.by_direction(
                d,
                &at.key("uniqueItems"),
                NARROWING,
                Rule::ConstraintAdded,
                "uniqueItems now applies: an array with a repeated item is refused",
            ),
            (true, false) => self.by_direction(
                d,
                &at.key("uniqueItems"),
                WIDENING,
                Rule::ConstraintRemoved,
                "uniqueItems no longer applies: repeated items are allowed",
            ),
            _ => {}
        }
    }

    fn logic(&mut self, d: Direction, at: &At, old: &Value, new: &Value) {
        match (old.get("not"), new.get("not")) {
            // A narrower `not` allows more: the direction turns round inside it.
            (Some(a), Some(b)) => {
                let mut inside = at.inside("<not>", &["not"]);
                inside.negated = !inside.negated;
                self.schema(d.flip(), &inside, a, b)
            }
            (a, b) => self.presence(d, at, "not", a, b),
        }
        let conditional = |schema: &Value| {
            schema.get("if").is_some()
                && (schema.get("then").is_some() || schema.get("else").is_some())
        };
        match (conditional(old), conditional(new)) {
            (true, true) if self.equivalent(&old["if"], &new["if"]) => {
                self.subschema(d, at, "then", "<then>", old, new);
                self.subschema(d, at, "else", "<else>", old, new);
            }
            (true, true) => self.by_direction(
                d,
                &at.key("if"),
                EITHER,
                Rule::ConstraintChanged,
                "the if condition changed: values meet other then/else constraints",
            ),
            (false, true) => self.presence(d, at, "if", None, new.get("if")),
            (true, false) => self.presence(d, at, "if", old.get("if"), None),
            (false, false) => {}
        }
    }

    /// Pairs parts or branches: by `key` (a discriminator value), by content, by `$ref`, and
    /// what is left in order when `pair_rest`. Returns the pairs and the unmatched indexes.
    fn match_parts(
        &self,
        old: &[Value],
        new: &[Value],
        key: &dyn Fn(&Value, &Value, usize) -> Option<Value>,
        pair_rest: bool,
    ) -> (Vec<(usize, usize)>, Vec<usize>, Vec<usize>) {
        let mut old_left: Vec<usize> = (0..old.len()).collect();
        let mut new_left: Vec<usize> = (0..new.len()).collect();
        let mut pairs = Vec::new();
        // Each part's tag and canonical form once: comparing is then cheap for every pair.
        let old_keys: Vec<Option<Value>> = old
            .iter()
            .enumerate()
            .map(|(i, v)| key(self.old, v, i))
            .collect();
        let new_keys: Vec<Option<Value>> = new
            .iter()
            .enumerate()
            .map(|(j, v)| key(self.new, v, j))
            .collect();
        let old_forms: Vec<Value> = old.iter().map(|v| canonical(self.old, v, 0)).collect();
        let new_forms: Vec<Value> = new.iter().map(|v| canonical(self.new, v, 0)).collect();
        let passes: [&dyn Fn(usize, usize) -> bool; 3] = [
            &|i, j| old_keys[i].is_some() && old_keys[i] == new_keys[j],
            &|i, j| old_forms[i] == new_forms[j],
            &|i, j| old[i].get("$ref").is_some() && old[i].get("$ref") == new[j].get("$ref"),
        ];
        for pass in passes {
            let mut i = 0;
            while i < old_left.len() {
                if let Some(position) = new_left.iter().position(|&j| pass(old_left[i], j)) {
                    pairs.push((old_left.remove(i), new_left.remove(position)));
                } else {
                    i += 1;
                }
            }
        }
        if pair_rest {
            while !old_left.is_empty() && !new_left.is_empty() {
                pairs.push((old_left.remove(0), new_left.remove(0)));
            }
        }
        (pairs, old_left, new_left)
    }

    fn all_of(&mut self, d: Direction, at: &At, old: &Value, new: &Value) {
        let empty = Vec::new();
        let old_parts = old["allOf"].as_array().unwrap_or(&empty);
        let new_parts = new["allOf"].as_array().unwrap_or(&empty);
        if old_parts.is_empty() && new_parts.is_empty() {
            return;
        }
        let (pairs, removed, added) = self.match_parts(old_parts, new_parts, &|_, _, _| None, true);
        let pointer = |base: &str, index: usize| join(&join(base, "allOf"), &index.to_string());
        for (i, j) in pairs {
            let here = at.with_pointers(pointer(&at.old, i), pointer(&at.new, j));
            self.schema(d, &here, &old_parts[i], &new_parts[j]);
        }
        for i in removed {
            let here = at.with_pointers(pointer(&at.old, i), join(&at.new, "allOf"));
            self.by_direction(
                d,
                &here,
                WIDENING,
                Rule::AllOfPartRemoved,
                format!(
                    "allOf part {} no longer applies",
                    branch_name(&old_parts[i], i)
                ),
            );
        }
        for j in added {
            let here = at.with_pointers(join(&at.old, "allOf"), pointer(&at.new, j));
            self.by_direction(
                d,
                &here,
                NARROWING,
                Rule::AllOfPartAdded,
                format!(
                    "allOf part {} now applies too",
                    branch_name(&new_parts[j], j)
                ),
            );
        }
    }

    fn unions(&mut self, d: Direction, at: &At, old: &Value, new: &Value) {
        // `anyOf` became `oneOf` (or back): one union whose keyword changed.
        if let (Some(old_union), Some(new_union)) = (union(old), union(new))
            && old_union.0 != new_union.0
            && branches_of(old, new_union.0).is_none()
            && branches_of(new, old_union.0).is_none()
        {
            self.branches(
                d,
                at,
                (old, old_union.0, old_union.1),
                (new, new_union.0, new_union.1),
            );
            return;
        }
        // Otherwise `oneOf` and `anyOf` each apply on their own.
        for keyword in ["oneOf", "anyOf"] {
            self.union_keyword(
                d,
                at,
                old,
                new,
                branches_of(old, keyword),
                branches_of(new, keyword),
            );
        }
    }

    fn union_keyword(
        &mut self,
        d: Direction,
        at: &At,
        old: &Value,
        new: &Value,
        old_union: Option<(&'static str, &Vec<Value>)>,
        new_union: Option<(&'static str, &Vec<Value>)>,
    ) {
        match (old_union, new_union) {
            (None, None) => {}
            (Some((old_kw, old_branches)), Some((new_kw, new_branches))) => {
                self.branches(
                    d,
                    at,
                    (old, old_kw, old_branches),
                    (new, new_kw, new_branches),
                );
            }
            (None, Some((keyword, branches))) => {
                // Wrapped: the old schema (its union keyword aside) became one of the branches.
                let bare = without_unions(old);
                // Beside other keywords, the union narrows them unless a branch allows all
                // the old schema did; alone, it is compared with the branch it replaced.
                let alone = pure_union(new);
                match self.became(&bare, self.old, branches, self.new, alone) {
                    Some(kept) => {
                        let kept_at = at.with_pointers(
                            at.old.clone(),
                            join(&join(&at.new, keyword), &kept.to_string()),
                        );
                        if pure_union(new) {
                            self.schema(d, &kept_at, &bare, &branches[kept]);
                        }
                        for (index, branch) in
                            branches.iter().enumerate().filter(|(i, _)| *i != kept)
                        {
                            let here = at.with_pointers(
                                at.old.clone(),
                                join(&join(&at.new, keyword), &index.to_string()),
                            );
                            self.branch_added(d, &here, new, keyword, branch, index);
                            if keyword == "oneOf"
                                && may_overlap(self.new, &branches[kept], self.new, branch)
                            {
                                self.one_of_overlap(d, &here, &branch_name(branch, index));
                            }
                        }
                    }
                    None if alone => self.by_direction(
                        d,
                        &at.key(keyword),
                        EITHER,
                        Rule::ConstraintChanged,
                        format!(
                            "the schema became a {keyword} of {} branches",
                            branches.len()
                        ),
                    ),
                    None => self.by_direction(
                        d,
                        &at.key(keyword),
                        NARROWING,
                        Rule::ConstraintAdded,
                        format!("a {keyword} of {} branches now applies too", branches.len()),
                    ),
                }
            }
            (Some((keyword, branches)), None) => {
                // Unwrapped: one of the branches became the new schema.
                let bare = without_unions(new);
                let alone = pure_union(old);
                match self.became(&bare, self.new, branches, self.old, alone) {
                    Some(kept) => {
                        let kept_at = at.with_pointers(
                            join(&join(&at.old, keyword), &kept.to_string()),
                            at.new.clone(),
                        );
                        if pure_union(old) {
                            self.schema(d, &kept_at, &branches[kept], &bare);
                        }
                        for (index, branch) in
                            branches.iter().enumerate().filter(|(i, _)| *i != kept)
                        {
                            let mut here = at.with_pointers(
                                join(&join(&at.old, keyword), &index.to_string()),
                                at.new.clone(),
                            );
                            here.overlap |= keyword == "oneOf"
                                && may_overlap(self.old, &branches[kept], self.old, branch);
                            self.by_direction(
                                d,
                                &here,
                                NARROWING,
                                Rule::UnionBranchRemoved,
                                format!("{keyword} branch {} is gone", branch_name(branch, index)),
                            );
                        }
                    }
                    None if alone => self.by_direction(
                        d,
                        &at.key(keyword),
                        EITHER,
                        Rule::ConstraintChanged,
                        format!(
                            "the {keyword} of {} branches became one schema",
                            branches.len()
                        ),
                    ),
                    None => self.by_direction(
                        d,
                        &at.key(keyword),
                        WIDENING,
                        Rule::ConstraintRemoved,
                        format!(
                            "the {keyword} of {} branches no longer applies",
                            branches.len()
                        ),
                    ),
                }
            }
        }
    }

    /// Which of `branches` (in `branches_doc`) the schema `bare` (in `bare_doc`) corresponds
    /// to: one it is equivalent to, else (`by_type`) the only one of the same types.
    fn became(
        &self,
        bare: &Value,
        bare_doc: &Value,
        branches: &[Value],
        branches_doc: &Value,
        by_type: bool,
    ) -> Option<usize> {
        let canonical_bare = canonical(bare_doc, bare, 0);
        if let Some(same) = branches
            .iter()
            .position(|b| canonical(branches_doc, b, 0) == canonical_bare)
        {
            return Some(same);
        }
        if !by_type {
            return None;
        }
        let bare_types = effective_types(bare_doc, bare, 0)?;
        let mut alike = branches.iter().enumerate().filter(|(_, b)| {
            effective_types(branches_doc, unwrap(branches_doc, b, "").0, 0).as_ref()
                == Some(&bare_types)
        });
        match (alike.next(), alike.next()) {
            (Some((index, _)), None) => Some(index),
            _ => None,
        }
    }

    fn one_of_overlap(&mut self, d: Direction, at: &At, branch: &str) {
        self.by_direction(
            d,
            at,
            NARROWING,
            Rule::OneOfOverlap,
            match d {
                Direction::Request => format!(
                    "oneOf branch {branch} can match values another branch matches: a client sending such a value is refused now"
                ),
                Direction::Response => format!(
                    "oneOf branch {branch} can match values another branch matches: such a value is no longer valid, so clients will not receive it"
                ),
            },
        );
    }

    fn branch_added(
        &mut self,
        d: Direction,
        at: &At,
        union_schema: &Value,
        keyword: &str,
        branch: &Value,
        index: usize,
    ) {
        let discriminated = union_schema.get("discriminator").is_some();
        let name = branch_name(branch, index);
        match d {
            Direction::Request => self.push(
                at,
                Compatible,
                Rule::UnionBranchAdded,
                format!("{keyword} branch {name} is also accepted"),
            ),
            Direction::Response if discriminated && !at.negated => self.push(
                at,
                PossiblyBreaking,
                Rule::UnionBranchAdded,
                format!("{keyword} branch {name} is a new kind; the API promises new kinds may appear, and clients must tolerate them"),
            ),
            Direction::Response => self.push(
                at,
                Breaking,
                Rule::UnionBranchAdded,
                format!("{keyword} branch {name} may be received; clients do not know it"),
            ),
        }
    }

    fn branches(
        &mut self,
        d: Direction,
        at: &At,
        (old, old_kw, old_branches): (&Value, &str, &Vec<Value>),
        (new, new_kw, new_branches): (&Value, &str, &Vec<Value>),
    ) {
        // Discriminator values name branches across versions (OpenAPI 3.1 §4.8.25).
        let property = new["discriminator"]["propertyName"]
            .as_str()
            .or_else(|| old["discriminator"]["propertyName"].as_str())
            .map(str::to_owned);
        let mappings = |schema: &Value| -> BTreeMap<String, String> {
            schema["discriminator"]["mapping"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(value, target)| Some((target.as_str()?.to_owned(), value.clone())))
                .collect()
        };
        let (old_map, new_map) = (mappings(old), mappings(new));
        let key = |doc: &Value, branch: &Value, _: usize| -> Option<Value> {
            let property = property.as_deref()?;
            let map = if std::ptr::eq(doc, self.old) {
                &old_map
            } else {
                &new_map
            };
            if let Some(value) = branch
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| map.get(r))
            {
                return Some(Value::String(value.clone()));
            }
            // A tag written in an `allOf` part counts: parts are merged first.
            let schema = merge_all_of(doc, unwrap(doc, branch, "").0);
            match value_set(unwrap(doc, &schema["properties"][property], "").0) {
                Some(values) if values.len() == 1 => values.into_iter().next(),
                _ => branch
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.rsplit('/').next())
                    .map(|name| Value::String(name.to_owned())),
            }
        };
        let (pairs, removed, added) = self.match_parts(old_branches, new_branches, &key, false);
        // A new branch whose tag an old branch has is not a new kind: it changes one.
        let old_tags: Vec<Value> = old_branches
            .iter()
            .enumerate()
            .filter_map(|(i, b)| key(self.old, b, i))
            .collect();
        let reused: Vec<bool> = (0..new_branches.len())
            .map(|j| key(self.new, &new_branches[j], j).is_some_and(|tag| old_tags.contains(&tag)))
            .collect();
        // What is left pairs up in order when the types agree (an inline branch edited).
        let mut removed = removed;
        let mut added = added;
        let mut pairs = pairs;
        let mut i = 0;
        while i < removed.len() {
            let a = follow(self.old, &old_branches[removed[i]], "").0;
            if let Some(position) = added.iter().position(|&j| {
                let b = follow(self.new, &new_branches[j], "").0;
                types(a) == types(b)
            }) {
                pairs.push((removed.remove(i), added.remove(position)));
            } else {
                i += 1;
            }
        }
        let pointer = |base: &str, keyword: &str, index: usize| {
            join(&join(base, keyword), &index.to_string())
        };
        for &(i, j) in &pairs {
            // The location names the branch, so that two branches' changes read apart.
            let mut here = At {
                path: format!("{}{}", at.path, branch_place(&new_branches[j], j)),
                ..at.with_pointers(pointer(&at.old, old_kw, i), pointer(&at.new, new_kw, j))
            };
            // In a `oneOf`, a value matching two branches is refused: narrowing a branch that
            // overlaps another can let such a value through (JSON Schema 2020-12 §10.2.1.3).
            // Widening a branch can make it overlap another just as narrowing can end an
            // overlap: either side's overlap makes the branch's changes count both ways.
            let overlaps_old = (0..old_branches.len()).any(|k| {
                k != i && may_overlap(self.old, &old_branches[k], self.old, &old_branches[i])
            });
            let overlaps_new = (0..new_branches.len()).any(|k| {
                k != j && may_overlap(self.new, &new_branches[k], self.new, &new_branches[j])
            });
            if (old_kw == "oneOf" && overlaps_old) || (new_kw == "oneOf" && overlaps_new) {
                here.overlap = true;
            }
            self.schema(d, &here, &old_branches[i], &new_branches[j]);
        }
        for i in removed {
            let mut here = at.with_pointers(pointer(&at.old, old_kw, i), join(&at.new, new_kw));
            // A `oneOf` refused a value matching this branch and another: without the branch,
            // such a value may pass.
            here.overlap |= old_kw == "oneOf"
                && (0..old_branches.len()).any(|k| {
                    k != i && may_overlap(self.old, &old_branches[k], self.old, &old_branches[i])
                });
            self.by_direction(
                d,
                &here,
                NARROWING,
                Rule::UnionBranchRemoved,
                format!(
                    "{old_kw} branch {} is gone",
                    branch_name(&old_branches[i], i)
                ),
            );
        }
        let overlapping = |differ: &Self, j: usize, others: &[usize]| {
            others.iter().any(|&k| {
                k != j && may_overlap(differ.new, &new_branches[k], differ.new, &new_branches[j])
            })
        };
        for &j in &added {
            let here = at.with_pointers(join(&at.old, old_kw), pointer(&at.new, new_kw, j));
            if reused[j] && d == Direction::Response {
                self.push(
                    &here,
                    Breaking,
                    Rule::UnionBranchAdded,
                    format!(
                        "{new_kw} branch {} has the tag of a kind clients know, with another shape: clients may receive it",
                        branch_name(&new_branches[j], j)
                    ),
                );
            } else {
                self.branch_added(d, &here, new, new_kw, &new_branches[j], j);
            }
            if new_kw == "oneOf"
                && overlapping(self, j, &pairs.iter().map(|p| p.1).collect::<Vec<_>>())
            {
                self.one_of_overlap(d, &here, &branch_name(&new_branches[j], j));
            }
        }
        if old_kw != new_kw {
            let all: Vec<usize> = (0..new_branches.len()).collect();
            let any_overlap = all.iter().any(|&j| overlapping(self, j, &all));
            if any_overlap && new_kw == "oneOf" {
                self.by_direction(
                    d,
                    &at.key(new_kw),
                    NARROWING,
                    Rule::OneOfOverlap,
                    "anyOf became oneOf over branches that can overlap: a value matching two is refused now",
                );
            } else if any_overlap {
                self.by_direction(
                    d,
                    &at.key(new_kw),
                    WIDENING,
                    Rule::ConstraintRemoved,
                    "oneOf became anyOf: a value matching several branches is allowed now",
                );
            }
        }
    }
}

/// A schema without its `oneOf`/`anyOf` (for asking whether the old schema became one of
/// the new branches).
fn without_unions(schema: &Value) -> Value {
    let mut schema = schema.clone();
    if let Some(map) = schema.as_object_mut() {
        map.remove("oneOf");
        map.remove("anyOf");
        map.remove("discriminator");
    }
    schema
}

/// A keyword's value for a reason, shortened.
fn brief(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}
