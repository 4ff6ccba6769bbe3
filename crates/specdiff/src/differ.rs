//! The walk over two documents: paths and operations, parameters, bodies, responses,
//! headers, security, webhooks and servers. Schemas are compared in [`crate::schema`].

use std::collections::{BTreeMap, BTreeSet, HashSet};

use balampay_openapi::pointer;
use serde_json::Value;

use crate::{Change, Policy, Rule, Severity};

/// Which way data flows through a schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Direction {
    /// Clients send it: narrowing breaks.
    Request,
    /// Clients receive it (responses, webhook payloads): widening breaks.
    Response,
}

impl Direction {
    /// The other direction: inside `not`, narrowing the subschema widens the schema.
    pub(crate) fn flip(self) -> Self {
        match self {
            Direction::Request => Direction::Response,
            Direction::Response => Direction::Request,
        }
    }
}

/// Where a comparison stands: the readable location and a JSON pointer into each document.
#[derive(Clone, Debug)]
pub(crate) struct At {
    /// The operation or webhook and the part (`POST /v1/users request body application/json`).
    pub base: String,
    /// The place inside the schema (`/address/line1`), empty at its root.
    pub path: String,
    /// JSON pointer into the old document.
    pub old: String,
    /// JSON pointer into the new document.
    pub new: String,
    /// Whether values here are text on the wire (parameters and headers), where `string`
    /// holds every number and boolean.
    pub text: bool,
    /// Whether this is inside an odd number of `not`s, where the direction turns round and
    /// the API's promises about new values do not apply.
    pub negated: bool,
    /// Whether this is inside a `oneOf` branch that may overlap another: there, a narrower
    /// branch can let through a value that matched two branches before, so every change
    /// counts both ways.
    pub overlap: bool,
}

impl At {
    pub(crate) fn new(base: String, old: String, new: String) -> Self {
        Self {
            base,
            path: String::new(),
            old,
            new,
            text: false,
            negated: false,
            overlap: false,
        }
    }

    /// The readable location: the base, and the place inside the schema if any.
    pub(crate) fn location(&self) -> String {
        if self.path.is_empty() {
            self.base.clone()
        } else {
            format!("{} at {}", self.base, self.path)
        }
    }

    /// One level down in both documents by the same keyword or name, the place unchanged.
    pub(crate) fn key(&self, token: &str) -> Self {
        Self {
            old: join(&self.old, token),
            new: join(&self.new, token),
            ..self.clone()
        }
    }

    /// One level down in both documents (`tokens` appended to each pointer) and in the place
    /// (`place` appended to the path).
    pub(crate) fn inside(&self, place: &str, tokens: &[&str]) -> Self {
        let mut at = self.clone();
        for token in tokens {
            at.old = join(&at.old, token);
            at.new = join(&at.new, token);
        }
        at.path.push_str(place);
        at
    }

    /// The same place with other pointers (after following `$ref`s or matching parts).
    pub(crate) fn with_pointers(&self, old: String, new: String) -> Self {
        Self {
            old,
            new,
            ..self.clone()
        }
    }
}

/// `pointer` with one more reference token (escaped as RFC 6901 §3 says).
pub(crate) fn join(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", pointer::escape(token))
}

/// The value `value` leads to through its `$ref` chain and the pointer of where it is.
/// Documents are checked to resolve before a diff; a reference that cannot be followed is
/// compared as it is written.
pub(crate) fn follow<'v>(doc: &'v Value, value: &'v Value, at: &str) -> (&'v Value, String) {
    let (mut value, mut at) = (value, at.to_owned());
    // A chain longer than this is a cycle of references to references.
    for _ in 0..64 {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let Ok(Some(target)) = pointer::from_fragment(reference) else {
            break;
        };
        let Some(found) = doc.pointer(&target) else {
            break;
        };
        value = found;
        at = target;
    }
    (value, at)
}

/// The most places one change is reported at. A change in a schema that many paths reach
/// (a recursive tree, a component used everywhere) would otherwise be listed once per path,
/// and there can be exponentially many.
pub(crate) const MAX_PLACES: usize = 16;

pub(crate) const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

pub(crate) fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// A path template with its parameter names taken out (`/v1/users/{}`), and the names in
/// order: two templates that differ only in names match the same URLs.
fn normalized(template: &str) -> (String, Vec<String>) {
    let mut shape = String::new();
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        shape.push_str(&rest[..open]);
        shape.push_str("{}");
        names.push(rest[open + 1..open + close].to_owned());
        rest = &rest[open + close + 1..];
    }
    shape.push_str(rest);
    (shape, names)
}

/// The paths of a document by their normalised template; a template that two paths share
/// (which OpenAPI forbids) is keyed by its own text.
fn paths_by_shape(doc: &Value) -> BTreeMap<String, String> {
    let raw = keys(&doc["paths"]);
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for path in &raw {
        *count.entry(normalized(path).0).or_default() += 1;
    }
    raw.into_iter()
        .map(|path| {
            let shape = normalized(&path).0;
            if count[&shape] == 1 {
                (shape, path)
            } else {
                (path.clone(), path)
            }
        })
        .collect()
}

/// The responses of a version that answer for `status` when it has no entry of its own: the
/// range (`2XX`) or `default` that covers a code, or the codes a range (or `default`) is now
/// written as.
fn covering(responses: &Value, status: &str) -> Vec<String> {
    let listed = keys(responses);
    let range = |code: &str| code.len() == 3 && code[1..].eq_ignore_ascii_case("XX");
    if status.len() == 3 && status.bytes().all(|b| b.is_ascii_digit()) {
        if let Some(found) = listed
            .iter()
            .find(|k| range(k) && k.as_bytes()[0] == status.as_bytes()[0])
        {
            return vec![found.clone()];
        }
        return listed.into_iter().filter(|k| k == "default").collect();
    }
    if range(status) {
        return listed
            .into_iter()
            .filter(|k| k.len() == 3 && k.as_bytes()[0] == status.as_bytes()[0] && !range(k))
            .collect();
    }
    Vec::new()
}

/// The media types of two `content` maps, matched without regard to case and parameters
/// (`application/json; charset=utf-8` is `application/json`, RFC 9110 §8.3.1): normalised
/// name → (old key, new key).
pub(crate) fn media_types(
    old: &Value,
    new: &Value,
) -> BTreeMap<String, (Option<String>, Option<String>)> {
    let normal = |key: &str| {
        key.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    };
    let mut found: BTreeMap<String, (Option<String>, Option<String>)> = BTreeMap::new();
    for key in keys(old) {
        let name = normal(&key);
        found.entry(name).or_default().0 = Some(key);
    }
    for key in keys(new) {
        let name = normal(&key);
        found.entry(name).or_default().1 = Some(key);
    }
    found
}

/// The `YYYY-MM-DD` at the start of a date or date-time, when it is a day of the calendar.
fn date_of(text: &str) -> Option<&str> {
    let date = text.get(..10)?;
    let bytes = date.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    if !(digits(0..4) && bytes[4] == b'-' && digits(5..7) && bytes[7] == b'-' && digits(8..10)) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| date[range].parse::<u32>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&day).then_some(date)
}

/// A schema pair in its context: the pointers, the direction and the flags that change how
/// its changes are classified.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Visit {
    pub(crate) old: String,
    pub(crate) new: String,
    pub(crate) direction: Direction,
    pub(crate) text: bool,
    pub(crate) negated: bool,
    pub(crate) overlap: bool,
}

/// What a media type gone or new means where it is: the rule, class and reason of each.
struct MediaRules {
    gone: (Rule, Severity, &'static str),
    added: (Rule, Severity, &'static str),
}

pub(crate) struct Differ<'a> {
    pub(crate) old: &'a Value,
    pub(crate) new: &'a Value,
    pub(crate) policy: &'a Policy,
    pub(crate) changes: Vec<Change>,
    /// The place inside the schema of each change (parallel to `changes`), for memoizing.
    pub(crate) places: Vec<String>,
    /// Changes found under a schema pair in a context, relative to its place: a schema reached
    /// again (a shared component) is replayed, not compared again, so that documents whose
    /// components reference each other many ways take time linear in their pairs.
    pub(crate) memo: std::collections::HashMap<Visit, Vec<(Change, String)>>,
    /// How many places each change (rule, class, pointers, reason) was reported at: a change
    /// in a schema reached by many paths is reported at the first [`MAX_PLACES`].
    pub(crate) reported: std::collections::HashMap<(Rule, Severity, String, String, String), usize>,
    /// `(old pointer, new pointer, direction)` being compared, so recursive schemas end.
    pub(crate) visiting: HashSet<Visit>,
}

impl<'a> Differ<'a> {
    pub(crate) fn new(old: &'a Value, new: &'a Value, policy: &'a Policy) -> Self {
        Self {
            old,
            new,
            policy,
            changes: Vec::new(),
            places: Vec::new(),
            memo: std::collections::HashMap::new(),
            reported: std::collections::HashMap::new(),
            visiting: HashSet::new(),
        }
    }

    pub(crate) fn run(mut self) -> Vec<Change> {
        self.paths();
        self.webhooks();
        self.servers();
        self.security_schemes();
        self.changes
    }

    pub(crate) fn push(
        &mut self,
        at: &At,
        severity: Severity,
        rule: Rule,
        reason: impl Into<String>,
    ) {
        let mut reason = reason.into();
        // In a `oneOf` branch that overlaps another, any change to what the branch accepts
        // can change which values match exactly one branch: it counts both ways.
        let severity = if at.overlap
            && severity < Severity::Breaking
            && !matches!(
                rule,
                Rule::Deprecated
                    | Rule::DefaultChanged
                    | Rule::RefTargetChanged
                    | Rule::PlannedRemoval
            ) {
            reason.push_str(
                " (in a oneOf branch that overlaps another, this can change which values match exactly one branch)",
            );
            Severity::Breaking
        } else {
            severity
        };
        let change = Change {
            severity,
            rule,
            location: at.location(),
            old: at.old.clone(),
            new: at.new.clone(),
            // Inside `not`, what the subschema allows is what the schema refuses.
            reason: if at.negated {
                format!("inside not, which refuses what it allows: {reason}")
            } else {
                reason
            },
        };
        self.record(change, at.path.clone());
    }

    /// Keeps a change found at `place` (the path inside its schema), unless it was already
    /// reported at [`MAX_PLACES`] places.
    pub(crate) fn record(&mut self, change: Change, place: String) {
        let count = self
            .reported
            .entry((
                change.rule,
                change.severity,
                change.old.clone(),
                change.new.clone(),
                change.reason.clone(),
            ))
            .or_default();
        *count += 1;
        if *count > MAX_PLACES {
            return;
        }
        self.places.push(place);
        self.changes.push(change);
    }

    /// A severity by direction: `(in a request, in a response)`.
    pub(crate) fn by_direction(
        &mut self,
        direction: Direction,
        at: &At,
        (request, response): (Severity, Severity),
        rule: Rule,
        reason: impl Into<String>,
    ) {
        // Inside an overlapping `oneOf` branch, `push` makes the change breaking either way.
        let severity = match direction {
            Direction::Request => request,
            Direction::Response => response,
        };
        self.push(at, severity, rule, reason);
    }

    /// The sunset date of something deprecated whose `x-sunset` has passed under the policy:
    /// removal is planned from that date on.
    pub(crate) fn sunset_passed(&self, node: &Value) -> Option<String> {
        if node["deprecated"] != true {
            return None;
        }
        let sunset = date_of(node["x-sunset"].as_str()?)?;
        let today = date_of(self.policy.today.as_deref()?)?;
        (sunset <= today).then(|| sunset.to_owned())
    }

    /// Why an `x-sunset` is not taken, when it is there and is not a date.
    fn unreadable_sunset(node: &Value) -> Option<String> {
        let sunset = node.get("x-sunset")?;
        match sunset.as_str().and_then(date_of) {
            Some(_) => None,
            None => Some(format!(
                "x-sunset {sunset} is not read: it must start with a date, YYYY-MM-DD"
            )),
        }
    }

    /// Reports something gone: as a planned removal if it was deprecated and its sunset has
    /// passed, else under `rule` and `severity`.
    pub(crate) fn removed(
        &mut self,
        at: &At,
        old_node: &Value,
        severity: Severity,
        rule: Rule,
        reason: &str,
    ) {
        match self.sunset_passed(old_node) {
            Some(date) => self.push(
                at,
                self.policy.planned_removal,
                Rule::PlannedRemoval,
                format!("deprecated with x-sunset {date}, which has passed: {reason}"),
            ),
            None => match Self::unreadable_sunset(old_node) {
                Some(why) if old_node["deprecated"] == true => {
                    self.push(at, severity, rule, format!("{reason} ({why})"))
                }
                _ => self.push(at, severity, rule, reason),
            },
        }
    }

    /// Reports a newly deprecated operation, parameter or property.
    pub(crate) fn deprecation(&mut self, at: &At, old: &Value, new: &Value) {
        if old["deprecated"] != true && new["deprecated"] == true {
            let sunset = match (
                new["x-sunset"].as_str().and_then(date_of),
                Self::unreadable_sunset(new),
            ) {
                (Some(date), _) => format!(", to be removed from {date} on"),
                (None, Some(why)) => format!(" ({why})"),
                (None, None) => String::new(),
            };
            self.push(
                at,
                Severity::Compatible,
                Rule::Deprecated,
                format!("deprecated{sunset}: it still works"),
            );
        }
    }

    fn paths(&mut self) {
        let (old, new) = (self.old, self.new);
        let old_paths = paths_by_shape(old);
        let new_paths = paths_by_shape(new);
        let shapes: BTreeSet<&String> = old_paths.keys().chain(new_paths.keys()).collect();
        for shape in shapes {
            let old_path = old_paths.get(shape);
            let new_path = new_paths.get(shape);
            let shown = new_path.or(old_path).cloned().unwrap_or_default();
            let old_ptr = join("/paths", old_path.unwrap_or(&shown));
            let new_ptr = join("/paths", new_path.unwrap_or(&shown));
            let (old_item, old_item_ptr) =
                follow(old, &old["paths"][old_path.unwrap_or(&shown)], &old_ptr);
            let (new_item, new_item_ptr) =
                follow(new, &new["paths"][new_path.unwrap_or(&shown)], &new_ptr);
            // Path parameters are matched by position: old name → new name.
            let mut renamed = BTreeMap::new();
            if let (Some(old_path), Some(new_path)) = (old_path, new_path) {
                let (_, old_names) = normalized(old_path);
                let (_, new_names) = normalized(new_path);
                for (old_name, new_name) in old_names.iter().zip(&new_names) {
                    if old_name != new_name {
                        self.push(
                            &At::new(format!("path {new_path}"), old_ptr.clone(), new_ptr.clone()),
                            Severity::PossiblyBreaking,
                            Rule::PathParameterRenamed,
                            format!(
                                "{{{old_name}}} became {{{new_name}}}: every URL stays the same; generated clients rename the argument"
                            ),
                        );
                    }
                    renamed.insert(old_name.clone(), new_name.clone());
                }
            }
            for method in METHODS {
                let at = At::new(
                    format!("{} {shown}", method.to_uppercase()),
                    join(&old_item_ptr, method),
                    join(&new_item_ptr, method),
                );
                match (old_item.get(*method), new_item.get(*method)) {
                    (Some(old_op), None) => self.removed(
                        &at,
                        old_op,
                        Severity::Breaking,
                        Rule::OperationRemoved,
                        "clients calling it get 404 or 405",
                    ),
                    (None, Some(_)) => self.push(
                        &at,
                        Severity::Compatible,
                        Rule::OperationAdded,
                        "a new operation breaks no existing caller",
                    ),
                    (Some(old_op), Some(new_op)) => self.operation(
                        &at,
                        &renamed,
                        (old_item, &old_item_ptr),
                        old_op,
                        (new_item, &new_item_ptr),
                        new_op,
                    ),
                    (None, None) => {}
                }
            }
        }
    }

    fn operation(
        &mut self,
        at: &At,
        renamed: &BTreeMap<String, String>,
        old_item: (&Value, &str),
        old_op: &Value,
        new_item: (&Value, &str),
        new_op: &Value,
    ) {
        if old_op["operationId"] != new_op["operationId"] && old_op["operationId"].is_string() {
            self.push(
                &at.key("operationId"),
                Severity::PossiblyBreaking,
                Rule::OperationIdChanged,
                format!(
                    "operationId {} became {}: the wire is the same, but generated clients rename the method",
                    old_op["operationId"], new_op["operationId"]
                ),
            );
        }
        self.deprecation(at, old_op, new_op);
        self.parameters(at, renamed, old_item, old_op, new_item, new_op);
        self.request_body(
            &at.key("requestBody"),
            &old_op["requestBody"],
            &new_op["requestBody"],
        );
        self.responses(
            &at.key("responses"),
            &old_op["responses"],
            &new_op["responses"],
        );
        let old_security = old_op
            .get("security")
            .unwrap_or(&self.old["security"])
            .clone();
        let new_security = new_op
            .get("security")
            .unwrap_or(&self.new["security"])
            .clone();
        self.security(&at.key("security"), &old_security, &new_security);
    }

    fn parameters(
        &mut self,
        at: &At,
        renamed: &BTreeMap<String, String>,
        old_item: (&Value, &str),
        old_op: &Value,
        new_item: (&Value, &str),
        new_op: &Value,
    ) {
        type Params<'v> = BTreeMap<(String, String), (&'v Value, String)>;
        fn gather<'v>(
            doc: &'v Value,
            item: (&'v Value, &str),
            op: &'v Value,
            op_ptr: &str,
            renamed: Option<&BTreeMap<String, String>>,
        ) -> Params<'v> {
            let mut found = Params::new();
            let lists = [
                (&item.0["parameters"], join(item.1, "parameters")),
                (&op["parameters"], join(op_ptr, "parameters")),
            ];
            // Operation parameters override path-item ones of the same name and place.
            for (list, list_ptr) in lists {
                for (index, parameter) in list.as_array().into_iter().flatten().enumerate() {
                    let (parameter, ptr) =
                        follow(doc, parameter, &join(&list_ptr, &index.to_string()));
                    let (Some(place), Some(name)) =
                        (parameter["in"].as_str(), parameter["name"].as_str())
                    else {
                        continue;
                    };
                    let name = match (place, renamed) {
                        // Header names are case-insensitive in HTTP.
                        ("header", _) => name.to_ascii_lowercase(),
                        ("path", Some(renamed)) => renamed
                            .get(name)
                            .cloned()
                            .unwrap_or_else(|| name.to_owned()),
                        _ => name.to_owned(),
                    };
                    found.insert((place.to_owned(), name), (parameter, ptr));
                }
            }
            found
        }
        let old_params = gather(self.old, old_item, old_op, &at.old, Some(renamed));
        let new_params = gather(self.new, new_item, new_op, &at.new, None);
        for ((place, name), (old, old_ptr)) in &old_params {
            let base = format!("{} {place} parameter {name}", at.base);
            match new_params.get(&(place.clone(), name.clone())) {
                None => {
                    let here = At::new(base, old_ptr.clone(), join(&at.new, "parameters"));
                    self.removed(
                        &here,
                        old,
                        Severity::PossiblyBreaking,
                        Rule::ParameterRemoved,
                        "clients still send it; the API may now reject or ignore it",
                    );
                }
                Some((new, new_ptr)) => {
                    let here = At::new(base, old_ptr.clone(), new_ptr.clone());
                    match (old["required"] == true, new["required"] == true) {
                        (false, true) => self.push(
                            &here,
                            Severity::Breaking,
                            Rule::ParameterMadeRequired,
                            "callers that omit it now fail",
                        ),
                        (true, false) => self.push(
                            &here,
                            Severity::Compatible,
                            Rule::ParameterMadeOptional,
                            "callers may keep sending it",
                        ),
                        _ => {}
                    }
                    self.deprecation(&here, old, new);
                    self.parameter_schema(&here, place, old, new);
                }
            }
        }
        for ((place, name), (new, new_ptr)) in &new_params {
            if !old_params.contains_key(&(place.clone(), name.clone())) {
                let here = At::new(
                    format!("{} {place} parameter {name}", at.base),
                    join(&at.old, "parameters"),
                    new_ptr.clone(),
                );
                if new["required"] == true {
                    self.push(
                        &here,
                        Severity::Breaking,
                        Rule::RequiredParameterAdded,
                        "existing callers do not send it",
                    );
                } else {
                    self.push(
                        &here,
                        Severity::Compatible,
                        Rule::OptionalParameterAdded,
                        "existing callers need not send it",
                    );
                }
            }
        }
    }

    /// A parameter's serialization (OpenAPI 3.1 §4.8.12.4: `style` defaults to `form` in the
    /// query and cookies and `simple` in the path and headers; `explode` to true for `form`)
    /// and its schema, whose values are text.
    fn parameter_schema(&mut self, at: &At, place: &str, old: &Value, new: &Value) {
        let serialization = |parameter: &Value| {
            let style = parameter["style"]
                .as_str()
                .unwrap_or(if matches!(place, "query" | "cookie") {
                    "form"
                } else {
                    "simple"
                })
                .to_owned();
            let explode = parameter["explode"].as_bool().unwrap_or(style == "form");
            (style, explode)
        };
        // A parameter has a `schema`, or a `content` map of one media type whose schema
        // describes the serialized value (OpenAPI 3.1 §4.8.12.2).
        let schema_of = |parameter: &'_ Value, at: &str| -> (Value, String, bool) {
            match parameter.get("schema") {
                Some(schema) => (schema.clone(), join(at, "schema"), true),
                None => parameter["content"]
                    .as_object()
                    .and_then(|content| content.iter().next())
                    .map(|(media, body)| {
                        (
                            body["schema"].clone(),
                            join(&join(&join(at, "content"), media), "schema"),
                            false,
                        )
                    })
                    .unwrap_or((Value::Null, join(at, "schema"), true)),
            }
        };
        let (old_raw, old_at, old_text) = schema_of(old, &at.old);
        let (new_raw, new_at, new_text) = schema_of(new, &at.new);
        let (old_schema, old_ptr) = follow(self.old, &old_raw, &old_at);
        let (new_schema, new_ptr) = follow(self.new, &new_raw, &new_at);
        let structured = |schema: &Value| {
            crate::schema::types(schema)
                .is_some_and(|types| types.contains("array") || types.contains("object"))
        };
        let (old_form, new_form) = (serialization(old), serialization(new));
        if old_form != new_form
            && (place == "path" || structured(old_schema) || structured(new_schema))
        {
            self.push(
                at,
                Severity::Breaking,
                Rule::ParameterSerializationChanged,
                format!(
                    "style {} explode {} became style {} explode {}: clients write the value the old way",
                    old_form.0, old_form.1, new_form.0, new_form.1
                ),
            );
        }
        let mut here = at.with_pointers(old_ptr, new_ptr);
        // Values are text, unless a media type (JSON, say) says how they are written.
        here.text = old_text && new_text;
        let is_array = |schema: &Value| {
            crate::schema::types(schema)
                .is_some_and(|types| types.len() == 1 && types.contains("array"))
        };
        if !is_array(old_schema)
            && !old_schema.as_object().is_none_or(|o| o.is_empty())
            && is_array(new_schema)
        {
            // `?status=x` is a list of one in every style: the old value still parses.
            self.push(
                &here,
                Severity::Compatible,
                Rule::ParameterMadeMultiValued,
                "it takes a list now; a single value, as clients send it, still parses",
            );
            // What clients send is a list of exactly one old value: compared as that, the
            // list's own constraints (`minItems`, `contains`, …) count too.
            let mut as_list = serde_json::json!({"type": "array", "items": old_schema});
            // Its length is one; said only where the new schema bounds the length, so that
            // an unbounded list reports no bound relaxed.
            for bound in ["minItems", "maxItems"] {
                if new_schema.get(bound).is_some() {
                    as_list[bound] = serde_json::json!(1);
                }
            }
            self.schema(Direction::Request, &here, &as_list, new_schema);
            return;
        }
        self.schema(Direction::Request, &here, old_schema, new_schema);
    }

    /// The media types of a `content` map in both versions (`here` points at what holds the
    /// map): each one gone or new, as `rules` say, or its schemas compared. `label` gives the
    /// location of a media type.
    fn contents(
        &mut self,
        direction: Direction,
        here: &At,
        (old_content, new_content): (&Value, &Value),
        label: &dyn Fn(&str) -> String,
        rules: &MediaRules,
    ) {
        for (media, (old_key, new_key)) in media_types(old_content, new_content) {
            let media_at = At {
                base: label(&media),
                old: join(
                    &join(&here.old, "content"),
                    old_key.as_deref().unwrap_or(&media),
                ),
                new: join(
                    &join(&here.new, "content"),
                    new_key.as_deref().unwrap_or(&media),
                ),
                ..here.clone()
            };
            match (old_key, new_key) {
                (Some(_), None) => {
                    let (rule, severity, reason) = rules.gone;
                    self.push(&media_at, severity, rule, reason);
                }
                (None, Some(_)) => {
                    let (rule, severity, reason) = rules.added;
                    self.push(&media_at, severity, rule, reason);
                }
                (Some(old_key), Some(new_key)) => self.media_schema(
                    direction,
                    &media_at,
                    &old_content[&old_key],
                    &new_content[&new_key],
                ),
                (None, None) => {}
            }
        }
    }

    /// A media type's schema in both versions, or the schema appearing or vanishing.
    fn media_schema(&mut self, direction: Direction, at: &At, old: &Value, new: &Value) {
        let here = at.key("schema");
        match (old.get("schema"), new.get("schema")) {
            (None, Some(_)) => self.by_direction(
                direction,
                &here,
                (Severity::Breaking, Severity::Compatible),
                Rule::MediaTypeSchemaAdded,
                match direction {
                    Direction::Request => {
                        "a body of any shape was accepted; now only what the schema allows is"
                    }
                    Direction::Response => "the body now has a documented shape",
                },
            ),
            (Some(_), None) => self.by_direction(
                direction,
                &here,
                (Severity::Compatible, Severity::Breaking),
                Rule::MediaTypeSchemaRemoved,
                match direction {
                    Direction::Request => "any body is accepted now",
                    Direction::Response => {
                        "the body may now have any shape; clients parse the old one"
                    }
                },
            ),
            (Some(old_schema), Some(new_schema)) => {
                self.schema(direction, &here, old_schema, new_schema)
            }
            (None, None) => {}
        }
    }

    fn request_body(&mut self, at: &At, old: &Value, new: &Value) {
        let base = at.base.clone();
        let (old, old_ptr) = follow(self.old, old, &at.old);
        let (new, new_ptr) = follow(self.new, new, &at.new);
        let here = At::new(format!("{base} request body"), old_ptr, new_ptr);
        match (old.is_object(), new.is_object()) {
            (true, false) => self.push(
                &here,
                Severity::PossiblyBreaking,
                Rule::RequestBodyRemoved,
                "clients still send one; the API may now reject it",
            ),
            (false, true) => {
                let required = new["required"] == true;
                self.push(
                    &here,
                    if required {
                        Severity::Breaking
                    } else {
                        Severity::Compatible
                    },
                    Rule::RequestBodyAdded,
                    if required {
                        "existing callers send no body"
                    } else {
                        "the body is optional"
                    },
                );
            }
            (true, true) => {
                if old["required"] != true && new["required"] == true {
                    self.push(
                        &here,
                        Severity::Breaking,
                        Rule::RequestBodyMadeRequired,
                        "callers that send no body now fail",
                    );
                }
                let (old_content, new_content) = (&old["content"], &new["content"]);
                let label = |media: &str| format!("{} {media}", here.base);
                self.contents(
                    Direction::Request,
                    &here,
                    (old_content, new_content),
                    &label,
                    &MediaRules {
                        gone: (
                            Rule::RequestMediaTypeRemoved,
                            Severity::Breaking,
                            "callers sending it now fail",
                        ),
                        added: (
                            Rule::RequestMediaTypeAdded,
                            Severity::Compatible,
                            "another way to send the body",
                        ),
                    },
                );
            }
            (false, false) => {}
        }
    }

    fn responses(&mut self, at: &At, old: &Value, new: &Value) {
        for status in keys(old).union(&keys(new)) {
            let base = format!("{} response {status}", at.base);
            let success = status.starts_with('2') || status.starts_with('3');
            let here = At::new(base.clone(), join(&at.old, status), join(&at.new, status));
            match (old.get(status), new.get(status)) {
                (Some(old_response), None) => {
                    // A code still covered by a range (`2XX`) or `default` of the new version,
                    // or a range whose codes the new version lists one by one, is compared
                    // with what covers it (OpenAPI 3.1 §4.8.16.2).
                    let covers = covering(new, status);
                    if covers.is_empty() {
                        if success {
                            self.push(
                                &here,
                                Severity::Breaking,
                                Rule::SuccessStatusRemoved,
                                "clients expecting it get something else",
                            );
                        } else {
                            self.push(
                                &here,
                                Severity::Compatible,
                                Rule::ErrorStatusRemoved,
                                "clients no longer receive this error",
                            );
                        }
                    }
                    for cover in covers {
                        let here = At::new(
                            format!("{base} (now {cover})"),
                            join(&at.old, status),
                            join(&at.new, &cover),
                        );
                        self.response(&here, old_response, &new[&cover]);
                    }
                }
                (None, Some(new_response)) => {
                    let covers = covering(old, status);
                    if covers.is_empty() {
                        self.push(
                            &here,
                            Severity::PossiblyBreaking,
                            Rule::StatusAdded,
                            "clients generated from the old spec do not expect it",
                        );
                    }
                    for cover in covers {
                        let here = At::new(
                            format!("{base} (was {cover})"),
                            join(&at.old, &cover),
                            join(&at.new, status),
                        );
                        self.response(&here, &old[&cover], new_response);
                    }
                }
                (Some(old_response), Some(new_response)) => {
                    self.response(&here, old_response, new_response)
                }
                (None, None) => {}
            }
        }
    }

    /// One response in both versions: headers and media types.
    fn response(&mut self, here: &At, old_response: &Value, new_response: &Value) {
        let (old_response, old_ptr) = follow(self.old, old_response, &here.old);
        let (new_response, new_ptr) = follow(self.new, new_response, &here.new);
        let here = At::new(here.base.clone(), old_ptr, new_ptr);
        self.response_headers(&here, &old_response["headers"], &new_response["headers"]);
        let (old_content, new_content) = (&old_response["content"], &new_response["content"]);
        let label = |media: &str| format!("{} {media}", here.base);
        self.contents(
            Direction::Response,
            &here,
            (old_content, new_content),
            &label,
            &MediaRules {
                gone: (
                    Rule::ResponseMediaTypeRemoved,
                    Severity::Breaking,
                    "clients parsing it get another media type",
                ),
                added: (
                    Rule::ResponseMediaTypeAdded,
                    Severity::PossiblyBreaking,
                    "clients may receive a media type they do not parse",
                ),
            },
        );
    }

    fn response_headers(&mut self, at: &At, old: &Value, new: &Value) {
        // Header names are case-insensitive in HTTP.
        let by_name = |headers: &Value| -> BTreeMap<String, String> {
            keys(headers)
                .into_iter()
                .map(|name| (name.to_ascii_lowercase(), name))
                .collect()
        };
        let (old_names, new_names) = (by_name(old), by_name(new));
        let all: BTreeSet<&String> = old_names.keys().chain(new_names.keys()).collect();
        for name in all {
            let base = format!("{} header {name}", at.base);
            let old_ptr = join(
                &join(&at.old, "headers"),
                old_names.get(name).unwrap_or(name),
            );
            let new_ptr = join(
                &join(&at.new, "headers"),
                new_names.get(name).unwrap_or(name),
            );
            let old_header = old_names
                .get(name)
                .map(|key| follow(self.old, &old[key], &old_ptr));
            let new_header = new_names
                .get(name)
                .map(|key| follow(self.new, &new[key], &new_ptr));
            match (old_header, new_header) {
                (Some((old, old_ptr)), None) => {
                    let required = old["required"] == true;
                    self.push(
                        &At::new(base, old_ptr, new_ptr),
                        if required {
                            Severity::Breaking
                        } else {
                            Severity::PossiblyBreaking
                        },
                        Rule::ResponseHeaderRemoved,
                        if required {
                            "clients reading it no longer get it, though it was always there"
                        } else {
                            "clients reading it no longer get it"
                        },
                    );
                }
                (None, Some((_, new_ptr))) => self.push(
                    &At::new(base, old_ptr, new_ptr),
                    Severity::Compatible,
                    Rule::ResponseHeaderAdded,
                    "clients may ignore it",
                ),
                (Some((old, old_ptr)), Some((new, new_ptr))) => {
                    let here = At::new(base, old_ptr, new_ptr);
                    if old["required"] == true && new["required"] != true {
                        self.push(
                            &here,
                            Severity::Breaking,
                            Rule::ResponseHeaderMadeOptional,
                            "clients relying on it may not get it",
                        );
                    }
                    let mut schema_at = here.key("schema");
                    schema_at.text = true;
                    self.schema(
                        Direction::Response,
                        &schema_at,
                        &old["schema"],
                        &new["schema"],
                    );
                }
                (None, None) => {}
            }
        }
    }

    fn security(&mut self, at: &At, old: &Value, new: &Value) {
        // Each requirement: scheme → scopes. No requirement at all, like `{}`, lets anonymous
        // callers in (OpenAPI 3.1 §4.8.30).
        type Requirement = BTreeMap<String, BTreeSet<String>>;
        let requirements = |value: &Value| -> Vec<Requirement> {
            let found: Vec<Requirement> = value
                .as_array()
                .map(|reqs| {
                    reqs.iter()
                        .map(|req| {
                            req.as_object()
                                .into_iter()
                                .flatten()
                                .map(|(scheme, scopes)| {
                                    let scopes = scopes
                                        .as_array()
                                        .into_iter()
                                        .flatten()
                                        .filter_map(|s| s.as_str().map(str::to_owned))
                                        .collect();
                                    (scheme.clone(), scopes)
                                })
                                .collect()
                        })
                        .collect()
                })
                .unwrap_or_default();
            if found.is_empty() {
                vec![Requirement::new()]
            } else {
                found
            }
        };
        let (old, new) = (requirements(old), requirements(new));
        if old == new {
            return;
        }
        // A caller meeting some old requirement must still meet some new one: every scheme
        // it names, with every scope.
        let satisfied = |have: &Requirement| {
            new.iter().any(|need| {
                need.iter().all(|(scheme, scopes)| {
                    have.get(scheme).is_some_and(|held| scopes.is_subset(held))
                })
            })
        };
        let describe = |reqs: &[Requirement]| {
            reqs.iter()
                .map(|req| {
                    if req.is_empty() {
                        return "anonymous".to_owned();
                    }
                    req.iter()
                        .map(|(scheme, scopes)| {
                            if scopes.is_empty() {
                                scheme.clone()
                            } else {
                                let listed: Vec<&str> = scopes.iter().map(String::as_str).collect();
                                format!("{scheme} [{}]", listed.join(", "))
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" + ")
                })
                .collect::<Vec<_>>()
                .join(" or ")
        };
        let here = At {
            base: format!("{} security", at.base),
            ..at.clone()
        };
        let reason = format!("{} became {}", describe(&old), describe(&new));
        if old.iter().all(satisfied) {
            self.push(&here, Severity::Compatible, Rule::SecurityRelaxed, reason);
        } else {
            self.push(&here, Severity::Breaking, Rule::SecurityTightened, reason);
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
            let ptr = join("/components/securitySchemes", &name);
            let (old_scheme, old_ptr) = follow(self.old, &old[&name], &ptr);
            let here = At::new(format!("security scheme {name}"), old_ptr, ptr.clone());
            match new.get(&name).map(|scheme| follow(self.new, scheme, &ptr)) {
                None => self.push(
                    &here,
                    Severity::Breaking,
                    Rule::SecuritySchemeChanged,
                    "the scheme is gone",
                ),
                Some((new_scheme, new_ptr)) => {
                    let fields = ["type", "in", "name", "scheme", "bearerFormat"];
                    let changed: Vec<&str> = fields
                        .into_iter()
                        .filter(|f| old_scheme.get(*f) != new_scheme.get(*f))
                        .collect();
                    if !changed.is_empty() {
                        self.push(
                            &here.with_pointers(here.old.clone(), new_ptr),
                            Severity::Breaking,
                            Rule::SecuritySchemeChanged,
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
            let ptr = join("/webhooks", event);
            let here = At::new(format!("webhook {event}"), ptr.clone(), ptr.clone());
            match (old["webhooks"].get(event), new["webhooks"].get(event)) {
                (Some(old_item), None) => {
                    let old_item = follow(old, old_item, &ptr).0;
                    let node = if old_item["post"].is_object() { &old_item["post"] } else { old_item };
                    self.removed(
                        &here,
                        node,
                        Severity::Breaking,
                        Rule::WebhookRemoved,
                        "receivers waiting for it no longer get it",
                    );
                }
                (None, Some(_)) => self.push(
                    &here,
                    Severity::PossiblyBreaking,
                    Rule::WebhookAdded,
                    "the API promises new event types may appear; receivers that reject unknown events fail on it",
                ),
                (Some(old_item), Some(new_item)) => {
                    let (old_item, old_ptr) = follow(old, old_item, &ptr);
                    let (new_item, new_ptr) = follow(new, new_item, &ptr);
                    // Every operation of the webhook's path item, with every media type.
                    for method in METHODS {
                        let (Some(old_op), Some(new_op)) = (old_item.get(*method), new_item.get(*method)) else {
                            continue;
                        };
                        let shown = if *method == "post" {
                            format!("{} payload", here.base)
                        } else {
                            format!("{} {} payload", here.base, method.to_uppercase())
                        };
                        let op_at = At::new(shown, join(&old_ptr, method), join(&new_ptr, method));
                        self.deprecation(&here, old_op, new_op);
                        let (old_body, old_body_ptr) = follow(old, &old_op["requestBody"], &join(&op_at.old, "requestBody"));
                        let (new_body, new_body_ptr) = follow(new, &new_op["requestBody"], &join(&op_at.new, "requestBody"));
                        let (old_content, new_content) = (&old_body["content"], &new_body["content"]);
                        // The one JSON payload keeps its short location; others name theirs.
                        let label = |media: &str| {
                            if media == "application/json" {
                                op_at.base.clone()
                            } else {
                                format!("{} {media}", op_at.base)
                            }
                        };
                        let body_at = At::new(op_at.base.clone(), old_body_ptr, new_body_ptr);
                        self.contents(
                            Direction::Response,
                            &body_at,
                            (old_content, new_content),
                            &label,
                            &MediaRules {
                                gone: (Rule::ResponseMediaTypeRemoved, Severity::Breaking, "receivers parsing it get another media type"),
                                added: (Rule::ResponseMediaTypeAdded, Severity::PossiblyBreaking, "receivers may get a media type they do not parse"),
                            },
                        );
                    }
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
        let here = |url: &str| {
            At::new(
                format!("server {url}"),
                "/servers".to_owned(),
                "/servers".to_owned(),
            )
        };
        for url in old.difference(&new) {
            self.push(
                &here(url),
                Severity::PossiblyBreaking,
                Rule::ServerRemoved,
                "clients configured with it must move",
            );
        }
        for url in new.difference(&old) {
            self.push(
                &here(url),
                Severity::Compatible,
                Rule::ServerAdded,
                "another place to reach the API",
            );
        }
    }
}
