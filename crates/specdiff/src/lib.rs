//! Direction-aware comparison of two OpenAPI 3.1 documents.
//!
//! Every change between an old and a new version of a spec is classified from the point of
//! view of the partners who built against the old one:
//!
//! - in a **request** (what clients send), the new version must accept everything the old
//!   one accepted: narrowing breaks, widening is compatible;
//! - in a **response** or a **webhook payload** (what clients receive), the new version must
//!   send only what old clients understand: widening breaks (or possibly breaks), narrowing
//!   is compatible.
//!
//! Schemas are followed through `$ref`s on both sides. Each [`Change`] carries its rule, its
//! [`Severity`], where it is and a one-line reason. [`RULES`] lists every rule.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;

use serde::Serialize;
use serde_json::Value;

/// How much a change can hurt partners built against the old version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Cannot break a client built against the old version.
    Compatible,
    /// May break some clients (a new enum value in a response, a new status, …).
    PossiblyBreaking,
    /// Breaks clients built against the old version.
    Breaking,
}

impl Severity {
    /// The name used in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Compatible => "compatible",
            Severity::PossiblyBreaking => "possibly-breaking",
            Severity::Breaking => "breaking",
        }
    }

    /// Reads a name written by [`Severity::name`].
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "compatible" => Some(Severity::Compatible),
            "possibly-breaking" => Some(Severity::PossiblyBreaking),
            "breaking" => Some(Severity::Breaking),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One change between the two versions.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    /// How much it can hurt.
    pub severity: Severity,
    /// The rule that found it (stable, kebab-case; see [`RULES`]).
    pub rule: &'static str,
    /// Where it is: the operation or webhook, the part, and the path inside the schema.
    pub location: String,
    /// Why it has that severity, in one line.
    pub reason: String,
}

/// Every rule, with what it detects.
pub const RULES: &[(&str, &str)] = &[
    (
        "operation-removed",
        "an operation (method and path) is gone",
    ),
    ("operation-added", "a new operation"),
    (
        "operation-id-changed",
        "an operation's id changed (generated clients rename the method)",
    ),
    ("parameter-removed", "a parameter is gone"),
    ("required-parameter-added", "a new required parameter"),
    ("optional-parameter-added", "a new optional parameter"),
    (
        "parameter-made-required",
        "an optional parameter became required",
    ),
    (
        "parameter-made-optional",
        "a required parameter became optional",
    ),
    ("request-body-added", "a request body where there was none"),
    ("request-body-removed", "the request body is gone"),
    (
        "request-body-made-required",
        "an optional request body became required",
    ),
    (
        "request-media-type-removed",
        "a request media type is no longer accepted",
    ),
    (
        "request-media-type-added",
        "a new request media type is accepted",
    ),
    (
        "success-status-removed",
        "a 2xx/3xx status is no longer answered",
    ),
    (
        "error-status-removed",
        "an error status is no longer answered",
    ),
    ("status-added", "a new status may be answered"),
    (
        "response-media-type-removed",
        "a response media type is gone",
    ),
    ("response-media-type-added", "a new response media type"),
    ("response-header-removed", "a response header is gone"),
    ("response-header-added", "a new response header"),
    (
        "response-header-made-optional",
        "a required response header became optional",
    ),
    (
        "security-tightened",
        "callers need credentials they did not need",
    ),
    ("security-relaxed", "callers need fewer credentials"),
    (
        "security-scheme-changed",
        "a security scheme's definition changed or it is gone (another header, type, …)",
    ),
    ("webhook-removed", "a webhook event is no longer sent"),
    ("webhook-added", "a new webhook event is sent"),
    ("server-removed", "a server URL is gone"),
    ("server-added", "a new server URL"),
    (
        "ref-target-changed",
        "a schema now refers to another component",
    ),
    ("type-changed", "the type changed"),
    ("type-narrowed", "fewer types are allowed"),
    ("type-widened", "more types are allowed"),
    ("made-nullable", "null became allowed"),
    ("made-non-nullable", "null is no longer allowed"),
    ("enum-value-added", "a new enum value"),
    ("enum-value-removed", "an enum value is gone"),
    ("enum-added", "a value set where any value was allowed"),
    (
        "enum-removed",
        "any value allowed where there was a value set",
    ),
    ("format-added", "a format where there was none"),
    ("format-removed", "no format where there was one"),
    ("format-changed", "another format"),
    ("pattern-added", "a pattern where there was none"),
    ("pattern-removed", "no pattern where there was one"),
    ("pattern-changed", "another pattern"),
    (
        "bound-tightened",
        "a length, size or value bound became stricter",
    ),
    (
        "bound-relaxed",
        "a length, size or value bound became looser",
    ),
    ("property-removed", "an object property is gone"),
    ("required-property-added", "a new required property"),
    ("optional-property-added", "a new optional property"),
    (
        "property-made-required",
        "an optional property became required",
    ),
    (
        "property-made-optional",
        "a required property became optional",
    ),
    (
        "additional-properties-forbidden",
        "unknown properties became errors",
    ),
    (
        "additional-properties-allowed",
        "unknown properties became allowed",
    ),
    ("union-branch-removed", "a oneOf/anyOf branch is gone"),
    ("union-branch-added", "a new oneOf/anyOf branch"),
];

/// Which way data flows through a schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Direction {
    /// Clients send it: narrowing breaks.
    Request,
    /// Clients receive it (responses, webhook payloads): widening breaks.
    Response,
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Follows local `$ref`s.
fn resolve<'v>(doc: &'v Value, value: &'v Value) -> &'v Value {
    let mut current = value;
    for _ in 0..32 {
        match current.get("$ref").and_then(Value::as_str) {
            Some(reference) if reference.starts_with('#') => match doc.pointer(&reference[1..]) {
                Some(target) => current = target,
                None => return current,
            },
            _ => return current,
        }
    }
    current
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// The `type` keyword as a set (with `null` when the schema allows it).
fn types(schema: &Value) -> Option<BTreeSet<String>> {
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

/// The closed value set of a schema (`enum`, or `const` as a set of one).
fn value_set(schema: &Value) -> Option<Vec<Value>> {
    match (schema.get("enum"), schema.get("const")) {
        (Some(Value::Array(values)), _) => Some(values.clone()),
        (_, Some(value)) => Some(vec![value.clone()]),
        _ => None,
    }
}

fn at(base: &str, path: &str) -> String {
    if path.is_empty() {
        base.to_owned()
    } else {
        format!("{base} at {path}")
    }
}

struct Differ<'a> {
    old: &'a Value,
    new: &'a Value,
    changes: Vec<Change>,
    /// `(old $ref, new $ref, direction)` being compared, so recursive schemas end.
    visiting: HashSet<(String, String, Direction)>,
}

/// Every change from `old` to `new`, worst first, then by location.
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut differ = Differ {
        old,
        new,
        changes: Vec::new(),
        visiting: HashSet::new(),
    };
    differ.paths();
    differ.webhooks();
    differ.servers();
    differ.security_schemes();
    let mut changes = differ.changes;
    changes.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.location.cmp(&b.location))
            .then_with(|| a.rule.cmp(b.rule))
    });
    changes.dedup();
    changes
}

/// The worst severity among changes.
pub fn worst(changes: &[Change]) -> Option<Severity> {
    changes.iter().map(|c| c.severity).max()
}

impl Differ<'_> {
    fn push(
        &mut self,
        severity: Severity,
        rule: &'static str,
        location: String,
        reason: impl Into<String>,
    ) {
        self.changes.push(Change {
            severity,
            rule,
            location,
            reason: reason.into(),
        });
    }

    /// A severity by direction: `(in a request, in a response)`.
    fn by_direction(
        &mut self,
        direction: Direction,
        (request, response): (Severity, Severity),
        rule: &'static str,
        location: String,
        reason: impl Into<String>,
    ) {
        let severity = match direction {
            Direction::Request => request,
            Direction::Response => response,
        };
        self.push(severity, rule, location, reason);
    }

    fn paths(&mut self) {
        let (old, new) = (self.old, self.new);
        let all: BTreeSet<String> = keys(&old["paths"])
            .union(&keys(&new["paths"]))
            .cloned()
            .collect();
        for path in all {
            let old_item = resolve(old, &old["paths"][&path]);
            let new_item = resolve(new, &new["paths"][&path]);
            for method in METHODS {
                let location = format!("{} {path}", method.to_uppercase());
                match (old_item.get(*method), new_item.get(*method)) {
                    (Some(_), None) => self.push(
                        Severity::Breaking,
                        "operation-removed",
                        location,
                        "clients calling it get 404 or 405",
                    ),
                    (None, Some(_)) => self.push(
                        Severity::Compatible,
                        "operation-added",
                        location,
                        "a new operation breaks no existing caller",
                    ),
                    (Some(old_op), Some(new_op)) => {
                        self.operation(&location, old_item, old_op, new_item, new_op)
                    }
                    (None, None) => {}
                }
            }
        }
    }

    fn operation(
        &mut self,
        location: &str,
        old_item: &Value,
        old_op: &Value,
        new_item: &Value,
        new_op: &Value,
    ) {
        if old_op["operationId"] != new_op["operationId"] && old_op["operationId"].is_string() {
            self.push(
                Severity::Breaking,
                "operation-id-changed",
                location.to_owned(),
                format!(
                    "operationId {} became {}: generated clients rename the method",
                    old_op["operationId"], new_op["operationId"]
                ),
            );
        }
        self.parameters(location, old_item, old_op, new_item, new_op);
        self.request_body(location, &old_op["requestBody"], &new_op["requestBody"]);
        self.responses(location, &old_op["responses"], &new_op["responses"]);
        let old_security = old_op
            .get("security")
            .unwrap_or(&self.old["security"])
            .clone();
        let new_security = new_op
            .get("security")
            .unwrap_or(&self.new["security"])
            .clone();
        self.security(location, &old_security, &new_security);
    }

    fn parameters(
        &mut self,
        location: &str,
        old_item: &Value,
        old_op: &Value,
        new_item: &Value,
        new_op: &Value,
    ) {
        let collect =
            |doc: &Value, item: &Value, op: &Value| -> BTreeMap<(String, String), Value> {
                item["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .chain(op["parameters"].as_array().into_iter().flatten())
                    .map(|p| resolve(doc, p).clone())
                    .filter_map(|p| {
                        Some((
                            (p["in"].as_str()?.to_owned(), {
                                // Header names are case-insensitive in HTTP.
                                let name = p["name"].as_str()?;
                                if p["in"] == "header" {
                                    name.to_ascii_lowercase()
                                } else {
                                    name.to_owned()
                                }
                            }),
                            p,
                        ))
                    })
                    .collect()
            };
        let old_params = collect(self.old, old_item, old_op);
        let new_params = collect(self.new, new_item, new_op);
        for ((place, name), old) in &old_params {
            let here = format!("{location} {place} parameter {name}");
            match new_params.get(&(place.clone(), name.clone())) {
                None => self.push(
                    Severity::PossiblyBreaking,
                    "parameter-removed",
                    here,
                    "clients still send it; the API may now reject or ignore it",
                ),
                Some(new) => {
                    match (old["required"] == true, new["required"] == true) {
                        (false, true) => self.push(
                            Severity::Breaking,
                            "parameter-made-required",
                            here.clone(),
                            "callers that omit it now fail",
                        ),
                        (true, false) => self.push(
                            Severity::Compatible,
                            "parameter-made-optional",
                            here.clone(),
                            "callers may keep sending it",
                        ),
                        _ => {}
                    }
                    self.schema(
                        Direction::Request,
                        &here,
                        "",
                        &old["schema"],
                        &new["schema"],
                    );
                }
            }
        }
        for ((place, name), new) in &new_params {
            if !old_params.contains_key(&(place.clone(), name.clone())) {
                let here = format!("{location} {place} parameter {name}");
                if new["required"] == true {
                    self.push(
                        Severity::Breaking,
                        "required-parameter-added",
                        here,
                        "existing callers do not send it",
                    );
                } else {
                    self.push(
                        Severity::Compatible,
                        "optional-parameter-added",
                        here,
                        "existing callers need not send it",
                    );
                }
            }
        }
    }

    fn request_body(&mut self, location: &str, old: &Value, new: &Value) {
        let here = format!("{location} request body");
        let old = resolve(self.old, old);
        let new = resolve(self.new, new);
        match (old.is_object(), new.is_object()) {
            (true, false) => self.push(
                Severity::PossiblyBreaking,
                "request-body-removed",
                here,
                "clients still send one; the API may now reject it",
            ),
            (false, true) => {
                let severity = if new["required"] == true {
                    Severity::Breaking
                } else {
                    Severity::Compatible
                };
                self.push(
                    severity,
                    "request-body-added",
                    here,
                    if severity == Severity::Breaking {
                        "existing callers send no body"
                    } else {
                        "the body is optional"
                    },
                );
            }
            (true, true) => {
                if old["required"] != true && new["required"] == true {
                    self.push(
                        Severity::Breaking,
                        "request-body-made-required",
                        here.clone(),
                        "callers that send no body now fail",
                    );
                }
                let (old_content, new_content) = (old["content"].clone(), new["content"].clone());
                for media in keys(&old_content) {
                    match new_content.get(&media) {
                        None => self.push(
                            Severity::Breaking,
                            "request-media-type-removed",
                            format!("{here} {media}"),
                            "callers sending it now fail",
                        ),
                        Some(new_media) => self.schema(
                            Direction::Request,
                            &format!("{here} {media}"),
                            "",
                            &old_content[&media]["schema"],
                            &new_media["schema"],
                        ),
                    }
                }
                for media in keys(&new_content).difference(&keys(&old_content)) {
                    self.push(
                        Severity::Compatible,
                        "request-media-type-added",
                        format!("{here} {media}"),
                        "another way to send the body",
                    );
                }
            }
            (false, false) => {}
        }
    }

    fn responses(&mut self, location: &str, old: &Value, new: &Value) {
        for status in keys(old).union(&keys(new)) {
            let here = format!("{location} response {status}");
            let success = status.starts_with('2') || status.starts_with('3');
            match (old.get(status), new.get(status)) {
                (Some(_), None) if success => self.push(
                    Severity::Breaking,
                    "success-status-removed",
                    here,
                    "clients expecting it get something else",
                ),
                (Some(_), None) => self.push(
                    Severity::Compatible,
                    "error-status-removed",
                    here,
                    "clients no longer receive this error",
                ),
                (None, Some(_)) => self.push(
                    Severity::PossiblyBreaking,
                    "status-added",
                    here,
                    "clients generated from the old spec do not expect it",
                ),
                (Some(old_response), Some(new_response)) => {
                    let old_response = resolve(self.old, old_response).clone();
                    let new_response = resolve(self.new, new_response).clone();
                    self.response_headers(
                        &here,
                        &old_response["headers"],
                        &new_response["headers"],
                    );
                    let (old_content, new_content) =
                        (&old_response["content"], &new_response["content"]);
                    for media in keys(old_content) {
                        match new_content.get(&media) {
                            None => self.push(
                                Severity::Breaking,
                                "response-media-type-removed",
                                format!("{here} {media}"),
                                "clients parsing it get another media type",
                            ),
                            Some(new_media) => self.schema(
                                Direction::Response,
                                &format!("{here} {media}"),
                                "",
                                &old_content[&media]["schema"],
                                &new_media["schema"],
                            ),
                        }
                    }
                    for media in keys(new_content).difference(&keys(old_content)) {
                        self.push(
                            Severity::PossiblyBreaking,
                            "response-media-type-added",
                            format!("{here} {media}"),
                            "clients may receive a media type they do not parse",
                        );
                    }
                }
                (None, None) => {}
            }
        }
    }

    fn response_headers(&mut self, location: &str, old: &Value, new: &Value) {
        for name in keys(old).union(&keys(new)) {
            let here = format!("{location} header {name}");
            let old_header = old.get(name).map(|h| resolve(self.old, h).clone());
            let new_header = new.get(name).map(|h| resolve(self.new, h).clone());
            match (old_header, new_header) {
                (Some(old), None) => {
                    let severity = if old["required"] == true {
                        Severity::Breaking
                    } else {
                        Severity::PossiblyBreaking
                    };
                    self.push(
                        severity,
                        "response-header-removed",
                        here,
                        "clients reading it no longer get it",
                    );
                }
                (None, Some(_)) => self.push(
                    Severity::Compatible,
                    "response-header-added",
                    here,
                    "clients may ignore it",
                ),
                (Some(old), Some(new)) => {
                    if old["required"] == true && new["required"] != true {
                        self.push(
                            Severity::Breaking,
                            "response-header-made-optional",
                            here.clone(),
                            "clients relying on it may not get it",
                        );
                    }
                    self.schema(
                        Direction::Response,
                        &here,
                        "",
                        &old["schema"],
                        &new["schema"],
                    );
                }
                (None, None) => {}
            }
        }
    }

    fn security(&mut self, location: &str, old: &Value, new: &Value) {
        let requirements = |value: &Value| -> Vec<BTreeSet<String>> {
            value
                .as_array()
                .map(|reqs| reqs.iter().map(keys).collect())
                .unwrap_or_default()
        };
        let (old, new) = (requirements(old), requirements(new));
        if old == new {
            return;
        }
        // A caller meeting some old requirement must still meet some new one.
        let satisfied =
            |have: &BTreeSet<String>| new.is_empty() || new.iter().any(|need| need.is_subset(have));
        let describe = |reqs: &[BTreeSet<String>]| {
            if reqs.is_empty() {
                "none".to_owned()
            } else {
                reqs.iter()
                    .map(|r| r.iter().cloned().collect::<Vec<_>>().join(" + "))
                    .collect::<Vec<_>>()
                    .join(" or ")
            }
        };
        let here = format!("{location} security");
        let reason = format!("{} became {}", describe(&old), describe(&new));
        if old.is_empty() || !old.iter().all(satisfied) {
            self.push(Severity::Breaking, "security-tightened", here, reason);
        } else {
            self.push(Severity::Compatible, "security-relaxed", here, reason);
        }
    }

    /// A scheme that existing callers use must keep its definition (type, header name,
    /// scheme); a new scheme changes nothing until an operation requires it.
    fn security_schemes(&mut self) {
        let (old, new) = (
            &self.old["components"]["securitySchemes"],
            &self.new["components"]["securitySchemes"],
        );
        for name in keys(old) {
            let here = format!("security scheme {name}");
            let old_scheme = resolve(self.old, &old[&name]).clone();
            match new
                .get(&name)
                .map(|scheme| resolve(self.new, scheme).clone())
            {
                None => self.push(
                    Severity::Breaking,
                    "security-scheme-changed",
                    here,
                    "the scheme is gone",
                ),
                Some(new_scheme) => {
                    let fields = ["type", "in", "name", "scheme", "bearerFormat"];
                    let changed: Vec<&str> = fields
                        .into_iter()
                        .filter(|f| old_scheme.get(*f) != new_scheme.get(*f))
                        .collect();
                    if !changed.is_empty() {
                        self.push(
                            Severity::Breaking,
                            "security-scheme-changed",
                            here,
                            format!(
                                "{} changed: callers send the old credentials",
                                changed.join(", ")
                            ),
                        );
                    }
                }
            }
        }
    }

    fn webhooks(&mut self) {
        let (old, new) = (self.old, self.new);
        for event in keys(&old["webhooks"]).union(&keys(&new["webhooks"])) {
            let here = format!("webhook {event}");
            match (old["webhooks"].get(event), new["webhooks"].get(event)) {
                (Some(_), None) => self.push(
                    Severity::Breaking,
                    "webhook-removed",
                    here,
                    "receivers waiting for it no longer get it",
                ),
                (None, Some(_)) => self.push(
                    Severity::PossiblyBreaking,
                    "webhook-added",
                    here,
                    "receivers that reject unknown events fail on it",
                ),
                (Some(old_item), Some(new_item)) => {
                    let old_schema = &resolve(old, old_item)["post"]["requestBody"];
                    let new_schema = &resolve(new, new_item)["post"]["requestBody"];
                    let old_body = resolve(old, old_schema);
                    let new_body = resolve(new, new_schema);
                    self.schema(
                        Direction::Response,
                        &format!("{here} payload"),
                        "",
                        &old_body["content"]["application/json"]["schema"],
                        &new_body["content"]["application/json"]["schema"],
                    );
                }
                (None, None) => {}
            }
        }
    }

    fn servers(&mut self) {
        let urls = |doc: &Value| -> BTreeSet<String> {
            doc["servers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["url"].as_str().map(str::to_owned))
                .collect()
        };
        let (old, new) = (urls(self.old), urls(self.new));
        for url in old.difference(&new) {
            self.push(
                Severity::PossiblyBreaking,
                "server-removed",
                format!("server {url}"),
                "clients configured with it must move",
            );
        }
        for url in new.difference(&old) {
            self.push(
                Severity::Compatible,
                "server-added",
                format!("server {url}"),
                "another place to reach the API",
            );
        }
    }

    /// Compares two schemas in a direction; `path` is the place inside the body.
    fn schema(&mut self, direction: Direction, base: &str, path: &str, old: &Value, new: &Value) {
        if old.is_null() || new.is_null() {
            return;
        }
        let old_ref = old.get("$ref").and_then(Value::as_str).map(str::to_owned);
        let new_ref = new.get("$ref").and_then(Value::as_str).map(str::to_owned);
        if let (Some(old_ref), Some(new_ref)) = (&old_ref, &new_ref) {
            if old_ref != new_ref {
                self.push(
                    Severity::PossiblyBreaking,
                    "ref-target-changed",
                    at(base, path),
                    format!("{old_ref} became {new_ref}"),
                );
            }
            if !self
                .visiting
                .insert((old_ref.clone(), new_ref.clone(), direction))
            {
                return;
            }
        }
        let old_schema = resolve(self.old, old).clone();
        let new_schema = resolve(self.new, new).clone();
        self.compare(direction, base, path, &old_schema, &new_schema);
        if let (Some(old_ref), Some(new_ref)) = (old_ref, new_ref) {
            self.visiting.remove(&(old_ref, new_ref, direction));
        }
    }

    fn compare(&mut self, direction: Direction, base: &str, path: &str, old: &Value, new: &Value) {
        use Severity::{Breaking, Compatible, PossiblyBreaking};
        let here = at(base, path);

        if let (Some(old_types), Some(new_types)) = (types(old), types(new)) {
            let (old_null, new_null) = (old_types.contains("null"), new_types.contains("null"));
            if !old_null && new_null {
                self.by_direction(
                    direction,
                    (Compatible, Breaking),
                    "made-nullable",
                    here.clone(),
                    "null is now allowed",
                );
            }
            if old_null && !new_null {
                self.by_direction(
                    direction,
                    (Breaking, Compatible),
                    "made-non-nullable",
                    here.clone(),
                    "null is no longer allowed",
                );
            }
            // `integer` is a subset of `number`.
            let widen = |set: &BTreeSet<String>| -> BTreeSet<String> {
                let mut set: BTreeSet<String> =
                    set.iter().filter(|t| *t != "null").cloned().collect();
                if set.contains("number") {
                    set.insert("integer".to_owned());
                }
                set
            };
            let (old_set, new_set) = (widen(&old_types), widen(&new_types));
            let lost: Vec<&String> = old_set.difference(&new_set).collect();
            let gained: Vec<&String> = new_set.difference(&old_set).collect();
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
            match (lost.is_empty(), gained.is_empty()) {
                (false, true) => self.by_direction(
                    direction,
                    (Breaking, Compatible),
                    "type-narrowed",
                    here.clone(),
                    reason,
                ),
                (true, false) => self.by_direction(
                    direction,
                    (Compatible, Breaking),
                    "type-widened",
                    here.clone(),
                    reason,
                ),
                (false, false) => self.push(Breaking, "type-changed", here.clone(), reason),
                (true, true) => {}
            }
        }

        match (types(old), types(new)) {
            (None, Some(new_types))
                if ["oneOf", "anyOf", "allOf", "enum", "const"]
                    .iter()
                    .all(|k| old.get(*k).is_none()) =>
            {
                let listed = new_types.iter().cloned().collect::<Vec<_>>().join(" or ");
                self.by_direction(
                    direction,
                    (Breaking, Compatible),
                    "type-narrowed",
                    here.clone(),
                    format!("any type became {listed}"),
                );
            }
            (Some(old_types), None)
                if !old.is_null()
                    && new.get("$ref").is_none()
                    && new.get("oneOf").is_none()
                    && new.get("anyOf").is_none()
                    && new.get("allOf").is_none() =>
            {
                let listed = old_types.iter().cloned().collect::<Vec<_>>().join(" or ");
                self.by_direction(
                    direction,
                    (Compatible, Breaking),
                    "type-widened",
                    here.clone(),
                    format!("{listed} became any type"),
                );
            }
            _ => {}
        }

        match (value_set(old), value_set(new)) {
            (Some(old_values), Some(new_values)) => {
                for value in old_values.iter().filter(|v| !new_values.contains(v)) {
                    self.by_direction(
                        direction,
                        (Breaking, Compatible),
                        "enum-value-removed",
                        here.clone(),
                        format!("{value} is no longer allowed"),
                    );
                }
                for value in new_values.iter().filter(|v| !old_values.contains(v)) {
                    self.by_direction(
                        direction,
                        (Compatible, PossiblyBreaking),
                        "enum-value-added",
                        here.clone(),
                        format!("{value} is new"),
                    );
                }
            }
            (None, Some(_)) => self.by_direction(
                direction,
                (Breaking, Compatible),
                "enum-added",
                here.clone(),
                "only listed values are allowed now",
            ),
            (Some(_), None) => self.by_direction(
                direction,
                (Compatible, PossiblyBreaking),
                "enum-removed",
                here.clone(),
                "any value is allowed now",
            ),
            (None, None) => {}
        }

        for (keyword, added, removed, changed) in [
            ("format", "format-added", "format-removed", "format-changed"),
            (
                "pattern",
                "pattern-added",
                "pattern-removed",
                "pattern-changed",
            ),
        ] {
            match (old.get(keyword), new.get(keyword)) {
                (None, Some(value)) => self.by_direction(
                    direction,
                    (Breaking, Compatible),
                    added,
                    here.clone(),
                    format!("{keyword} {value} now applies"),
                ),
                (Some(value), None) => self.by_direction(
                    direction,
                    (Compatible, PossiblyBreaking),
                    removed,
                    here.clone(),
                    format!("{keyword} {value} no longer applies"),
                ),
                (Some(a), Some(b)) if a != b => self.by_direction(
                    direction,
                    (PossiblyBreaking, PossiblyBreaking),
                    changed,
                    here.clone(),
                    format!("{keyword} {a} became {b}"),
                ),
                _ => {}
            }
        }

        // Upper bounds tighten by going down; lower bounds by going up.
        for (keyword, upper) in [
            ("maxLength", true),
            ("maxItems", true),
            ("maxProperties", true),
            ("maximum", true),
            ("exclusiveMaximum", true),
            ("minLength", false),
            ("minItems", false),
            ("minProperties", false),
            ("minimum", false),
            ("exclusiveMinimum", false),
        ] {
            let old_bound = old.get(keyword).and_then(Value::as_f64);
            let new_bound = new.get(keyword).and_then(Value::as_f64);
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
            match tightened {
                Some(true) => self.by_direction(
                    direction,
                    (Breaking, Compatible),
                    "bound-tightened",
                    here.clone(),
                    reason,
                ),
                Some(false) => self.by_direction(
                    direction,
                    (Compatible, PossiblyBreaking),
                    "bound-relaxed",
                    here.clone(),
                    reason,
                ),
                None => {}
            }
        }

        self.properties(direction, base, path, old, new);

        match (&old["additionalProperties"], &new["additionalProperties"]) {
            (Value::Bool(false), other) if other != &Value::Bool(false) => self.by_direction(
                direction,
                (Compatible, PossiblyBreaking),
                "additional-properties-allowed",
                here.clone(),
                "unknown properties are no longer refused",
            ),
            (other, Value::Bool(false))
                if other != &Value::Bool(false) && old.get("properties").is_some() =>
            {
                self.by_direction(
                    direction,
                    (Breaking, Compatible),
                    "additional-properties-forbidden",
                    here.clone(),
                    "unknown properties are refused now",
                )
            }
            (old_extra @ Value::Object(_), new_extra @ Value::Object(_)) => {
                let (old_extra, new_extra) = (old_extra.clone(), new_extra.clone());
                self.schema(
                    direction,
                    base,
                    &format!("{path}/*"),
                    &old_extra,
                    &new_extra,
                );
            }
            _ => {}
        }

        if let (Some(old_items), Some(new_items)) = (old.get("items"), new.get("items")) {
            let (old_items, new_items) = (old_items.clone(), new_items.clone());
            self.schema(
                direction,
                base,
                &format!("{path}/[]"),
                &old_items,
                &new_items,
            );
        }

        for keyword in ["oneOf", "anyOf"] {
            let (Some(old_branches), Some(new_branches)) =
                (old[keyword].as_array(), new[keyword].as_array())
            else {
                continue;
            };
            let name = |branch: &Value, index: usize| {
                branch
                    .get("$ref")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("#{index}"))
            };
            let old_named: BTreeMap<String, Value> = old_branches
                .iter()
                .enumerate()
                .map(|(i, b)| (name(b, i), b.clone()))
                .collect();
            let new_named: BTreeMap<String, Value> = new_branches
                .iter()
                .enumerate()
                .map(|(i, b)| (name(b, i), b.clone()))
                .collect();
            for (branch, old_branch) in &old_named {
                match new_named.get(branch) {
                    None => self.by_direction(
                        direction,
                        (Breaking, Compatible),
                        "union-branch-removed",
                        here.clone(),
                        format!("{keyword} branch {branch} is gone"),
                    ),
                    Some(new_branch) => self.schema(direction, base, path, old_branch, new_branch),
                }
            }
            for branch in new_named.keys().filter(|b| !old_named.contains_key(*b)) {
                self.by_direction(
                    direction,
                    (Compatible, PossiblyBreaking),
                    "union-branch-added",
                    here.clone(),
                    format!("{keyword} branch {branch} is new"),
                );
            }
        }
        if let (Some(old_parts), Some(new_parts)) =
            (old["allOf"].as_array(), new["allOf"].as_array())
        {
            for (old_part, new_part) in old_parts.iter().zip(new_parts) {
                self.schema(direction, base, path, old_part, new_part);
            }
        }
    }

    fn properties(
        &mut self,
        direction: Direction,
        base: &str,
        path: &str,
        old: &Value,
        new: &Value,
    ) {
        use Severity::{Breaking, Compatible, PossiblyBreaking};
        let required = |schema: &Value| -> BTreeSet<String> {
            schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect()
        };
        let (old_required, new_required) = (required(old), required(new));
        let (old_properties, new_properties) = (keys(&old["properties"]), keys(&new["properties"]));
        let closed = new["additionalProperties"] == false;
        for name in &old_properties {
            let here = at(base, &format!("{path}/{name}"));
            if !new_properties.contains(name) {
                let (request, reason) = if closed {
                    (Breaking, "clients sending it are now refused")
                } else {
                    (
                        PossiblyBreaking,
                        "clients still send it; it is ignored or refused",
                    )
                };
                let reason = match direction {
                    Direction::Request => reason,
                    Direction::Response => "clients reading it no longer get it",
                };
                self.by_direction(
                    direction,
                    (request, Breaking),
                    "property-removed",
                    here,
                    reason,
                );
                continue;
            }
            match (old_required.contains(name), new_required.contains(name)) {
                (false, true) => self.by_direction(
                    direction,
                    (Breaking, Compatible),
                    "property-made-required",
                    here.clone(),
                    "it must now always be there",
                ),
                (true, false) => self.by_direction(
                    direction,
                    (Compatible, Breaking),
                    "property-made-optional",
                    here.clone(),
                    "it may now be absent",
                ),
                _ => {}
            }
            let (old_property, new_property) = (
                old["properties"][name].clone(),
                new["properties"][name].clone(),
            );
            self.schema(
                direction,
                base,
                &format!("{path}/{name}"),
                &old_property,
                &new_property,
            );
        }
        for name in new_properties.difference(&old_properties) {
            let here = at(base, &format!("{path}/{name}"));
            if new_required.contains(name) {
                self.by_direction(
                    direction,
                    (Breaking, Compatible),
                    "required-property-added",
                    here,
                    "existing clients do not send it",
                );
            } else {
                self.by_direction(
                    direction,
                    (Compatible, Compatible),
                    "optional-property-added",
                    here,
                    "a new field clients may ignore",
                );
            }
        }
    }
}

/// A plain-text report of changes, one per line.
pub fn text(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "no changes\n".to_owned();
    }
    let mut out = String::new();
    for change in changes {
        out.push_str(&format!(
            "{:<17} {:<32} {}: {}\n",
            change.severity.name(),
            change.rule,
            change.location,
            change.reason
        ));
    }
    out.push_str(&summary(changes));
    out.push('\n');
    out
}

/// `N breaking, N possibly breaking, N compatible`.
pub fn summary(changes: &[Change]) -> String {
    let count = |s: Severity| changes.iter().filter(|c| c.severity == s).count();
    format!(
        "{} breaking, {} possibly breaking, {} compatible",
        count(Severity::Breaking),
        count(Severity::PossiblyBreaking),
        count(Severity::Compatible)
    )
}

/// A Markdown report: one section per severity (for changelogs and pull requests).
pub fn markdown(changes: &[Change]) -> String {
    let mut out = String::new();
    for (severity, heading) in [
        (Severity::Breaking, "Breaking changes"),
        (Severity::PossiblyBreaking, "Possibly breaking changes"),
        (Severity::Compatible, "Compatible changes"),
    ] {
        let items: Vec<&Change> = changes.iter().filter(|c| c.severity == severity).collect();
        if items.is_empty() {
            continue;
        }
        out.push_str(&format!("### {heading}\n\n"));
        for change in items {
            out.push_str(&format!(
                "- `{}` {}: {}\n",
                change.rule,
                change.location.replace('|', "\\|"),
                change.reason
            ));
        }
        out.push('\n');
    }
    if out.is_empty() {
        out.push_str("No changes to the contract.\n\n");
    }
    out
}

/// A JSON report.
pub fn json(changes: &[Change]) -> String {
    let value = serde_json::json!({"summary": summary(changes), "changes": changes});
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A JUnit XML report: one test case per change, failed when at least `fail_on`.
pub fn junit(changes: &[Change], fail_on: Severity) -> String {
    let failures = changes.iter().filter(|c| c.severity >= fail_on).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"balampay-contract diff\" tests=\"{}\" failures=\"{failures}\">\n",
        changes.len()
    ));
    out.push_str(&format!(
        "  <testsuite name=\"spec diff\" tests=\"{}\" failures=\"{failures}\">\n",
        changes.len()
    ));
    for change in changes {
        out.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}: {}\"",
            change.severity,
            change.rule,
            xml(&change.location)
        ));
        if change.severity >= fail_on {
            out.push_str(&format!(
                ">\n      <failure message=\"{}\" type=\"{}\"/>\n    </testcase>\n",
                xml(&change.reason),
                change.severity
            ));
        } else {
            out.push_str("/>\n");
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests;
