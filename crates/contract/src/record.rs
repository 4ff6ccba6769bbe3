//! Recordings: our JSONL cassettes (one [`Exchange`] per line) and HAR files, read as
//! streams so that memory does not grow with the file, and written with secrets redacted.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::check::Exchange;

/// Headers whose values are secrets: never written to a recording.
pub const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "x-api-key",
    "webhook-signature",
    "cookie",
    "set-cookie",
    "proxy-authorization",
];

/// The value recordings hold instead of a secret.
pub const REDACTED: &str = "<redacted>";

/// Replaces the values of secret headers (keeping the scheme of `Authorization`, which is
/// not secret and which request checks look at).
pub fn redact(headers: &mut [(String, String)]) {
    for (name, value) in headers.iter_mut() {
        if SECRET_HEADERS
            .iter()
            .any(|secret| name.eq_ignore_ascii_case(secret))
        {
            *value = match value.split_once(' ') {
                Some((scheme, _)) if name.eq_ignore_ascii_case("authorization") => {
                    format!("{scheme} {REDACTED}")
                }
                _ => REDACTED.to_owned(),
            };
        }
    }
}

/// Writes exchanges to a JSONL cassette.
pub struct Recorder {
    out: BufWriter<File>,
}

impl Recorder {
    /// Creates (or truncates) a cassette.
    pub fn create(path: &Path) -> std::io::Result<Self> {
        Ok(Self {
            out: BufWriter::new(File::create(path)?),
        })
    }

    /// Writes one exchange, with its secrets redacted.
    pub fn write(&mut self, exchange: &Exchange) -> std::io::Result<()> {
        let mut exchange = exchange.clone();
        redact(&mut exchange.request_headers);
        redact(&mut exchange.response_headers);
        serde_json::to_writer(&mut self.out, &exchange)?;
        self.out.write_all(b"\n")
    }

    /// Flushes the cassette to disk.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Where in a recording an exchange came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// A 1-based line of a JSONL cassette.
    Line(usize),
    /// A 1-based entry of a HAR file.
    Entry(usize),
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Line(n) => write!(f, "line {n}"),
            Place::Entry(n) => write!(f, "entry {n}"),
        }
    }
}

/// Why a recording could not be read at all. Reading stops at such an error.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    /// The file could not be opened.
    #[error("cannot open {path}: {source}")]
    Open {
        /// The file.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A line of a JSONL cassette could not be read.
    #[error("cannot read line {line}: {source}")]
    ReadLine {
        /// The 1-based line.
        line: usize,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file is not a HAR document (`{"log": {"entries": [...]}}`).
    #[error("not a HAR document: {0}")]
    NotHar(serde_json::Error),
}

/// Why one item of a recording (a line or a HAR entry) is not an exchange. Reading goes on
/// with the next item.
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    /// A JSONL line is not an exchange object.
    #[error("not an exchange: {0}")]
    NotAnExchange(serde_json::Error),
    /// A field every HAR entry has is absent.
    #[error("{0} is missing")]
    Missing(&'static str),
    /// `request.url` does not parse as a URL.
    #[error("request.url is not a URL: {0}")]
    BadUrl(String),
    /// The request got no answer (browsers record aborted or blocked requests as status 0).
    #[error("response.status is 0 (the request got no answer)")]
    NoAnswer,
    /// The request body is not JSON.
    #[error("request.postData.text is not JSON: {0}")]
    RequestBodyNotJson(serde_json::Error),
    /// The response body is base64-encoded.
    #[error("response.content is base64-encoded, which this reader does not decode")]
    Base64,
}

/// Reads a recording, calling `each` with every exchange (or the reason it could not be
/// read) in order. A malformed item is handed over as an error and reading goes on; an
/// error of the file itself (unreadable, not a HAR document) ends the reading.
pub fn read(
    path: &Path,
    each: &mut dyn FnMut(Place, Result<Exchange, EntryError>),
) -> Result<(), RecordingError> {
    let file = File::open(path).map_err(|source| RecordingError::Open {
        path: path.display().to_string(),
        source,
    })?;
    let reader = BufReader::with_capacity(1 << 16, file);
    let is_har = path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("har"));
    if is_har {
        read_har(reader, each)
    } else {
        read_jsonl(reader, each)
    }
}

fn read_jsonl(
    mut reader: impl BufRead,
    each: &mut dyn FnMut(Place, Result<Exchange, EntryError>),
) -> Result<(), RecordingError> {
    // Lines are read as bytes so that one that is not UTF-8 is reported and skipped like
    // any other malformed line, instead of ending the reading.
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        line.clear();
        let read =
            reader
                .read_until(b'\n', &mut line)
                .map_err(|source| RecordingError::ReadLine {
                    line: number + 1,
                    source,
                })?;
        if read == 0 {
            return Ok(());
        }
        number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed = serde_json::from_slice::<Exchange>(&line).map_err(EntryError::NotAnExchange);
        each(Place::Line(number), parsed);
    }
}

fn read_har(
    reader: impl std::io::Read,
    each: &mut dyn FnMut(Place, Result<Exchange, EntryError>),
) -> Result<(), RecordingError> {
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    HarDocument { each, count: 0 }
        .deserialize(&mut deserializer)
        .map_err(RecordingError::NotHar)
}

/// Streams `{"log": {"entries": [...]}}`, one entry at a time.
struct HarDocument<'a> {
    each: &'a mut dyn FnMut(Place, Result<Exchange, EntryError>),
    count: usize,
}

impl<'de> DeserializeSeed<'de> for HarDocument<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HarDocument<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a HAR object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "log" => map.next_value_seed(HarDocument {
                    each: &mut *self.each,
                    count: self.count,
                })?,
                "entries" => map.next_value_seed(HarEntries {
                    each: &mut *self.each,
                    count: &mut self.count,
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct HarEntries<'a, 'b> {
    each: &'a mut dyn FnMut(Place, Result<Exchange, EntryError>),
    count: &'b mut usize,
}

impl<'de> DeserializeSeed<'de> for HarEntries<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for HarEntries<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of HAR entries")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(entry) = seq.next_element::<Value>()? {
            *self.count += 1;
            (self.each)(Place::Entry(*self.count), har_exchange(&entry));
        }
        Ok(())
    }
}

fn har_headers(headers: &Value) -> Vec<(String, String)> {
    headers
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| {
            Some((
                h["name"].as_str()?.to_ascii_lowercase(),
                h["value"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// One HAR entry as an exchange.
fn har_exchange(entry: &Value) -> Result<Exchange, EntryError> {
    let request = &entry["request"];
    let response = &entry["response"];
    let method = request["method"]
        .as_str()
        .ok_or(EntryError::Missing("request.method"))?;
    let url = request["url"]
        .as_str()
        .ok_or(EntryError::Missing("request.url"))?;
    let url = reqwest::Url::parse(url).map_err(|error| EntryError::BadUrl(error.to_string()))?;
    let path = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let status = response["status"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .ok_or(EntryError::Missing("response.status"))?;
    if status == 0 {
        // Browsers record aborted or blocked requests with status 0: there was no answer.
        return Err(EntryError::NoAnswer);
    }
    let request_body = match request.pointer("/postData/text").and_then(Value::as_str) {
        Some(text) if !text.is_empty() => {
            Some(serde_json::from_str(text).map_err(EntryError::RequestBodyNotJson)?)
        }
        _ => None,
    };
    let content = &response["content"];
    let text = content["text"].as_str().unwrap_or_default();
    let response_body = if content["encoding"] == "base64" {
        return Err(EntryError::Base64);
    } else {
        text.to_owned()
    };
    Ok(Exchange {
        method: method.to_owned(),
        path,
        request_headers: har_headers(&request["headers"]),
        request_body,
        status,
        response_headers: har_headers(&response["headers"]),
        response_body,
    })
}
