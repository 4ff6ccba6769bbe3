//! HAR 1.2 entries as the tools people record with write them: browsers' DevTools (Chrome,
//! Edge, Firefox, Safari), Playwright's `recordHar`, Charles, Fiddler, mitmproxy, Insomnia.
//!
//! What this reader accepts beyond the letter of HAR 1.2, and why:
//! - response bodies as `content.text` with `content.encoding: "base64"` (Chrome writes JSON
//!   this way for many responses), decoded before checking;
//! - bodies in side files (`content._file`, Playwright's `content: "attach"`), next to the
//!   HAR or in the same `.zip` archive;
//! - bodies that were not recorded (`text` absent, as some exporters write only a `comment`
//!   or a `size` of -1 or 0): the exchange is marked so and its body is not checked;
//! - header names in any case (HTTP/2 recordings write them in lower case) and HTTP/2
//!   pseudo-headers (`:authority`, `:path`, …), which are not headers of the exchange;
//! - percent-encoded paths and query strings, kept as they were sent and decoded where
//!   they are matched.

use std::borrow::Cow;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Deserialize;
use serde::de::{Error as _, Unexpected};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::check::Exchange;
use crate::record::EntryError;

#[derive(Deserialize)]
#[serde(expecting = "a HAR entry (an object with `request` and `response`)")]
struct Entry<'a> {
    #[serde(borrow)]
    request: Request<'a>,
    #[serde(borrow)]
    response: Response<'a>,
}

#[derive(Deserialize)]
struct Request<'a> {
    #[serde(borrow)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow)]
    url: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    headers: Vec<Header<'a>>,
    #[serde(rename = "postData", borrow)]
    post_data: Option<Content<'a>>,
}

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    value: Cow<'a, str>,
}

#[derive(Deserialize)]
struct Response<'a> {
    status: Option<Value>,
    #[serde(default, borrow)]
    headers: Vec<Header<'a>>,
    #[serde(default, borrow)]
    content: Option<Content<'a>>,
}

/// A request's `postData` or a response's `content`: the members that hold a body.
#[derive(Deserialize)]
struct Content<'a> {
    /// The JSON string as written, quotes and escapes included: see [`unescape`].
    #[serde(borrow, default, deserialize_with = "json_string")]
    text: Option<&'a RawValue>,
    #[serde(borrow)]
    encoding: Option<Cow<'a, str>>,
    #[serde(rename = "_file", borrow)]
    file: Option<Cow<'a, str>>,
}

/// A JSON string or `null`, kept raw; anything else is the type error serde_json reports
/// (located there, at the end of the value).
fn json_string<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<&'de RawValue>, D::Error> {
    let raw: Option<&RawValue> = Option::deserialize(deserializer)?;
    match raw {
        Some(raw) if !raw.get().starts_with('"') => {
            let value: Value = serde_json::from_str(raw.get()).map_err(D::Error::custom)?;
            let found = match &value {
                Value::Object(_) => Unexpected::Map,
                Value::Array(_) => Unexpected::Seq,
                Value::Bool(bool) => Unexpected::Bool(*bool),
                Value::Number(number) => match (number.as_u64(), number.as_i64()) {
                    (Some(unsigned), _) => Unexpected::Unsigned(unsigned),
                    (None, Some(signed)) => Unexpected::Signed(signed),
                    _ => Unexpected::Float(number.as_f64().unwrap_or(f64::NAN)),
                },
                Value::Null | Value::String(_) => Unexpected::Other("a value"),
            };
            Err(D::Error::invalid_type(found, &"a string"))
        }
        raw => Ok(raw),
    }
}

/// The text of a raw JSON string (`"…"`, as serde_json accepted it).
///
/// A JSON body in a HAR is a string of JSON, so every quote of the body is an escape
/// (`\"`): unescaping it here in one pass over the bytes costs a fraction of what
/// serde_json's string parser spends, which stops at each escape. The escapes of RFC 8259
/// §7 are decoded here except `\u` escapes of surrogates, which (with any other rarity)
/// are left to serde_json, so that the text and the errors are serde_json's own.
fn unescape(raw: &RawValue) -> Result<String, serde_json::Error> {
    let quoted = raw.get();
    let text = &quoted[1..quoted.len() - 1];
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let bytes = text.as_bytes();
    // Past the last escape decoded: a backslash before it was part of that escape (`\\`).
    let mut index = 0;
    for at in crate::split::positions(bytes, b'\\') {
        if at < index {
            continue;
        }
        index = at;
        // The backslash is ASCII: the slices end and start on character boundaries.
        out.push_str(&text[copied..index]);
        let decoded = match bytes.get(index + 1) {
            // The escaped character is itself: it starts the next run copied.
            Some(b'"' | b'\\' | b'/') => {
                index += 2;
                copied = at + 1;
                continue;
            }
            Some(b'n') => '\n',
            Some(b't') => '\t',
            Some(b'r') => '\r',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'u') => match text
                .get(index + 2..index + 6)
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .and_then(char::from_u32)
            {
                Some(decoded) => {
                    out.push(decoded);
                    index += 6;
                    copied = index;
                    continue;
                }
                None => return serde_json::from_str(quoted),
            },
            _ => return serde_json::from_str(quoted),
        };
        out.push(decoded);
        index += 2;
        copied = index;
    }
    out.push_str(&text[copied..]);
    Ok(out)
}

/// The texts of an entry typed as strings: parsed only when a text is one that [`unescape`]
/// leaves to serde_json and serde_json rejects it, so that the error is located in the
/// entry, not in the text. (When both texts are bad, the first one is named, which may be a
/// request body that is not checked.)
#[derive(Deserialize)]
struct Texts {
    #[serde(rename = "request")]
    _request: RequestTexts,
    #[serde(rename = "response")]
    _response: ResponseTexts,
}

#[derive(Deserialize)]
struct RequestTexts {
    #[serde(rename = "postData")]
    _post_data: Option<Text>,
}

#[derive(Deserialize)]
struct ResponseTexts {
    #[serde(rename = "content")]
    _content: Option<Text>,
}

#[derive(Deserialize)]
struct Text {
    #[serde(rename = "text")]
    _text: Option<String>,
}

/// Where side files (`_file`) are read from.
pub enum SideFiles {
    /// Beside the HAR file, in this directory.
    Directory(PathBuf),
    /// In the `.zip` archive the HAR came from.
    Zip(zip::ZipArchive<File>),
}

impl SideFiles {
    /// Reads one side file, at most `limit` bytes.
    fn read(&mut self, name: &str, limit: usize) -> Result<Vec<u8>, EntryError> {
        // A side file is named by the recorder; one that climbs out of its directory is
        // not read.
        if name.is_empty()
            || Path::new(name).is_absolute()
            || Path::new(name)
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return Err(EntryError::SideFile {
                name: name.to_owned(),
                reason: "not a plain relative name".to_owned(),
            });
        }
        let mut bytes = Vec::new();
        let result = match self {
            SideFiles::Directory(dir) => File::open(dir.join(name)).and_then(|file| {
                file.take((limit as u64).saturating_add(1))
                    .read_to_end(&mut bytes)
            }),
            SideFiles::Zip(archive) => match archive.by_name(name) {
                Ok(file) => file
                    .take((limit as u64).saturating_add(1))
                    .read_to_end(&mut bytes),
                Err(error) => Err(std::io::Error::new(std::io::ErrorKind::NotFound, error)),
            },
        };
        result.map_err(|error| EntryError::SideFile {
            name: name.to_owned(),
            reason: error.to_string(),
        })?;
        if bytes.len() > limit {
            return Err(EntryError::BodyTooLarge { limit });
        }
        Ok(bytes)
    }
}

/// The scheme, host and port of a request, and its path with the query string, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The URL's origin, `https://api.balampay.com` (default ports omitted).
    pub origin: String,
    /// The path and query, percent-encoded as sent (`/v1/users?limit=2`).
    pub path: String,
}

/// One HAR entry as an exchange, with the URL's origin, or the reason `skip` gives for not
/// checking it.
///
/// `skip` sees the exchange before its bodies are decoded: an entry the check has no
/// business with (an image from a CDN, an analytics beacon, a request that got no answer) is
/// set aside whatever its bodies hold, and only the bodies of entries that will be checked
/// are decoded and parsed. (The syntax of a text's escapes is checked with the entry; what
/// they decode to, such as a lone surrogate, only with the body.)
///
/// # Errors
/// [`EntryError`] when the entry is not JSON, lacks a field every entry has, has a URL that
/// does not parse, or (for an entry that is checked) a body that cannot be decoded or is
/// over `max_body` bytes.
pub fn exchange<S>(
    bytes: &[u8],
    side: Option<&mut SideFiles>,
    max_body: usize,
    skip: impl FnOnce(&Exchange, &Target) -> Option<S>,
) -> Result<Result<(Exchange, Target), S>, EntryError> {
    // One UTF-8 check of the whole entry, then a parser that trusts it: cheaper than the
    // slice parser's check of every string on its own.
    let text = std::str::from_utf8(bytes).map_err(|error| EntryError::NotUtf8 {
        offset: error.valid_up_to(),
    })?;
    let entry: Entry<'_> = serde_json::from_str(text).map_err(EntryError::NotAnEntry)?;
    let method = entry
        .request
        .method
        .ok_or(EntryError::Missing("request.method"))?;
    let url = entry
        .request
        .url
        .ok_or(EntryError::Missing("request.url"))?;
    let target = target(&url)?;
    // Some exporters write the status as a number with a fraction (`200.0`); Playwright
    // writes -1 where browsers write 0 for a request that got no answer.
    let status = match entry.response.status.as_ref() {
        None | Some(Value::Null) => return Err(EntryError::Missing("response.status")),
        Some(value) => match value.as_f64() {
            Some(status) if status < 0.0 => 0,
            Some(status) if status.fract() == 0.0 && status <= f64::from(u16::MAX) => status as u16,
            _ => return Err(EntryError::NotAStatus),
        },
    };
    let method = method.into_owned();
    // A response that has no content by definition (RFC 9110 §6.4.1: 1xx, 204, 304, and
    // any answer to HEAD) was recorded whole even without `text`.
    let bodyless =
        status < 200 || status == 204 || status == 304 || method.eq_ignore_ascii_case("HEAD");
    let mut exchange = Exchange {
        method,
        path: target.path.clone(),
        request_headers: headers(entry.request.headers),
        request_body: None,
        status,
        response_headers: headers(entry.response.headers),
        response_body: String::new(),
        body_recorded: true,
    };
    if let Some(reason) = skip(&exchange, &target) {
        return Ok(Err(reason));
    }
    let mut side = side;
    let located = |error: serde_json::Error| {
        EntryError::NotAnEntry(match serde_json::from_str::<Texts>(text) {
            Err(located) => located,
            Ok(_) => error,
        })
    };
    // A request the API rejected is not checked (its faults are the client's), so its body
    // is not read: a recording may well hold a malformed one.
    if let Some(post) = entry.request.post_data.filter(|_| status < 400) {
        let raw = body(
            post.text,
            post.encoding.as_deref(),
            post.file.as_deref(),
            side.as_deref_mut(),
            max_body,
            &located,
        )?;
        if let Some(raw) = raw.filter(|raw| !raw.as_bytes().iter().all(u8::is_ascii_whitespace)) {
            exchange.request_body = Some(
                serde_json::from_slice(raw.as_bytes()).map_err(EntryError::RequestBodyNotJson)?,
            );
        }
    }
    let recorded = match entry.response.content {
        Some(content) => body(
            content.text,
            content.encoding.as_deref(),
            content.file.as_deref(),
            side,
            max_body,
            &located,
        )?,
        None => None,
    };
    match recorded {
        Some(raw) => exchange.response_body = raw.into_string()?,
        None => exchange.body_recorded = bodyless,
    }
    Ok(Ok((exchange, target)))
}

/// The origin and the path (with its query) of a request URL, as RFC 3986 §3 splits it.
///
/// Recorders write absolute URLs as browsers normalised them, so the common form
/// (`http` or `https`, an ASCII host without user info, an optional port, and a path) is
/// split here directly, with the scheme's default port dropped as the URL standard's origin
/// does; anything else (other schemes, `data:` URLs, IPv6 literals, user info, non-ASCII or
/// percent-encoded hosts) goes through the `url` crate. Measured on a 100,000-entry HAR, the
/// full parser was 7 % of `verify`'s time.
fn target(url: &str) -> Result<Target, EntryError> {
    let simple = url
        .strip_prefix("https://")
        .map(|rest| ("https", 443, rest))
        .or_else(|| url.strip_prefix("http://").map(|rest| ("http", 80, rest)));
    if let Some((scheme, default_port, rest)) = simple {
        // Byte searches throughout: this runs for every entry, and `str` pattern searches
        // cost several times more on URLs this short.
        let bytes = rest.as_bytes();
        let end = bytes
            .iter()
            .position(|b| matches!(b, b'/' | b'?' | b'#'))
            .unwrap_or(rest.len());
        let (host, port) = match memchr::memchr(b':', &bytes[..end]) {
            Some(colon) => (&rest[..colon], Some(&rest[colon + 1..end])),
            None => (&rest[..end], None),
        };
        // A domain name of letters, digits and hyphens whose last label starts with a letter:
        // the URL standard would read a numeric last label as an IPv4 address (`127.1`,
        // `0x7f.1`), and punycode labels (`xn--`) are checked by the url crate.
        let labels_plain = !host.is_empty()
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !label
                        .get(..4)
                        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("xn--"))
            })
            && host.as_bytes()[memchr::memrchr(b'.', host.as_bytes()).map_or(0, |dot| dot + 1)]
                .is_ascii_alphabetic();
        let port = match port {
            None => Some(None),
            Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                digits.parse::<u16>().ok().map(Some)
            }
            Some(_) => None,
        };
        let path = &rest[end..];
        let path = &path[..memchr::memchr(b'#', path.as_bytes()).unwrap_or(path.len())];
        // No character the URL standard would percent-encode or read as a separator, and no
        // dot segment it would remove (`/.` or `%2e` before the query): one pass.
        let bytes = path.as_bytes();
        let query = memchr::memchr(b'?', bytes).unwrap_or(bytes.len());
        let path_plain = bytes.iter().enumerate().all(|(at, &b)| {
            b.is_ascii_graphic()
                && !matches!(
                    b,
                    b'\\' | b'"' | b'<' | b'>' | b'`' | b'{' | b'}' | b'\'' | b'^' | b'|'
                )
                && (at >= query
                    || match b {
                        b'/' => bytes.get(at + 1) != Some(&b'.'),
                        b'%' => {
                            !(bytes.get(at + 1) == Some(&b'2')
                                && bytes
                                    .get(at + 2)
                                    .is_some_and(|e| e.eq_ignore_ascii_case(&b'e')))
                        }
                        _ => true,
                    })
        });
        if let (true, Some(port), true) = (labels_plain, port, path_plain) {
            // Built in one allocation, and lowered in place.
            let mut origin = String::with_capacity(scheme.len() + 3 + host.len() + 6);
            origin.push_str(scheme);
            origin.push_str("://");
            origin.push_str(host);
            origin.make_ascii_lowercase();
            if let Some(port) = port.filter(|port| *port != default_port) {
                origin.push(':');
                origin.push_str(&port.to_string());
            }
            let path = if path.is_empty() || path.starts_with('?') {
                format!("/{path}")
            } else {
                path.to_owned()
            };
            return Ok(Target { origin, path });
        }
    }
    let url = reqwest::Url::parse(url).map_err(|error| EntryError::BadUrl(error.to_string()))?;
    Ok(Target {
        origin: url.origin().ascii_serialization(),
        path: match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        },
    })
}

/// A body as the entry holds it: text (already UTF-8), or bytes (decoded base64, a side
/// file).
enum Body {
    Text(String),
    Bytes(Vec<u8>),
}

impl Body {
    fn into_string(self) -> Result<String, EntryError> {
        match self {
            Body::Text(text) => Ok(text),
            Body::Bytes(bytes) => String::from_utf8(bytes).map_err(|_| EntryError::BodyNotUtf8),
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Body::Text(text) => text.as_bytes(),
            Body::Bytes(bytes) => bytes,
        }
    }
}

/// A body from `text` (decoded when `encoding` is `base64`) or a side file; `None` when the
/// entry holds none. `located` turns an error of the text into the entry's error.
fn body(
    text: Option<&RawValue>,
    encoding: Option<&str>,
    file: Option<&str>,
    side: Option<&mut SideFiles>,
    max_body: usize,
    located: &dyn Fn(serde_json::Error) -> EntryError,
) -> Result<Option<Body>, EntryError> {
    if let Some(text) = text {
        let text = unescape(text).map_err(located)?;
        let body = if encoding.is_some_and(|e| e.eq_ignore_ascii_case("base64")) {
            // Some tools wrap base64 in lines (MIME style); most write it in one piece.
            let compact: Cow<'_, str> = if text.bytes().any(|b| b.is_ascii_whitespace()) {
                Cow::Owned(text.chars().filter(|c| !c.is_ascii_whitespace()).collect())
            } else {
                Cow::Borrowed(&text)
            };
            // Base64 is 4/3 of the data: a text that long cannot decode to less than the limit.
            if compact.len() / 4 * 3 > max_body.saturating_add(3) {
                return Err(EntryError::BodyTooLarge { limit: max_body });
            }
            let is_json =
                |text: &[u8]| serde_json::from_slice::<serde::de::IgnoredAny>(text).is_ok();
            match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
                // Firefox marks some text bodies base64 that are not (bugzilla 1762313): a
                // text that is JSON and does not decode to JSON is taken as it is (`true`
                // and `1234` are valid base64 too). The text is tried first: base64 of a JSON
                // body starts with `ey` or `W`, which no JSON text does, so it fails at once.
                Ok(bytes) if is_json(text.as_bytes()) && !is_json(&bytes) => Body::Text(text),
                Ok(bytes) => Body::Bytes(bytes),
                Err(_) if is_json(text.as_bytes()) => Body::Text(text),
                Err(error) => return Err(EntryError::BadBase64(error.to_string())),
            }
        } else {
            Body::Text(text)
        };
        if body.as_bytes().len() > max_body {
            return Err(EntryError::BodyTooLarge { limit: max_body });
        }
        return Ok(Some(body));
    }
    match (file, side) {
        (Some(name), Some(side)) => side
            .read(name, max_body)
            .map(|bytes| Some(Body::Bytes(bytes))),
        (Some(name), None) => Err(EntryError::SideFile {
            name: name.to_owned(),
            reason: "side files are read only from a HAR file or a .zip archive".to_owned(),
        }),
        (None, _) => Ok(None),
    }
}

/// Header names in lower case; HTTP/2 and HTTP/3 pseudo-headers (`:authority`, …) dropped.
fn headers(headers: Vec<Header<'_>>) -> Vec<(String, String)> {
    headers
        .into_iter()
        .filter(|h| !h.name.starts_with(':'))
        .map(|h| {
            let mut name = h.name.into_owned();
            name.make_ascii_lowercase();
            (name, h.value.into_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_unescape_as_serde_json_unescapes_them() {
        let mut texts: Vec<String> = [
            r#""""#,
            r#""plain""#,
            r#""{\"a\": [1, \"b\\\"c\"], \"d\": \"\/\n\t\r\b\f\"}""#,
            r#""caf\u00e9 \u00E9 \u20ac \u0000""#,
            // Surrogate pairs and lone surrogates are serde_json's to decode, or to refuse.
            r#""\ud83d\ude00""#,
            r#""\ud83d""#,
            r#""\ude00 x""#,
            r#""\ud83d\u0041""#,
            "\"a\u{1}b\"",
            "\"tab\tinside\"",
            r#""ends with \\""#,
            r#""\\\\\\""#,
            r#""añ €🙂\"""#,
        ]
        .map(str::to_owned)
        .to_vec();
        // And every text serde_json writes for the bodies of the published spec's examples.
        let spec: Value = serde_json::from_str(crate::spec::PUBLISHED_SPEC).expect("the spec");
        let mut stack = vec![&spec];
        while let Some(value) = stack.pop() {
            if let Some(object) = value.as_object() {
                stack.extend(object.values());
            } else if let Some(array) = value.as_array() {
                stack.extend(array);
            }
            let text = serde_json::to_string(value).expect("serialises");
            texts.push(serde_json::to_string(&text).expect("serialises"));
        }
        // And random texts over the characters escapes are made of, which serde_json's raw
        // value accepts or refuses as it does any string.
        let alphabet = [
            "\\", "\"", "/", "u", "d", "D", "8", "0", "c", "a", "n", "é", "🙂",
        ];
        let mut state = 0x853C_49E6_748F_EA9Bu64;
        for _ in 0..20_000 {
            let mut text = String::from("\"");
            for _ in 0..(state % 24) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(alphabet[(state % alphabet.len() as u64) as usize]);
            }
            text.push('"');
            texts.push(text);
        }
        for quoted in &texts {
            let expected = serde_json::from_str::<String>(quoted);
            let Ok(raw) = serde_json::from_str::<&RawValue>(quoted) else {
                // serde_json refuses a control character in a string before it is raw.
                assert!(expected.is_err(), "{quoted}");
                continue;
            };
            match (unescape(raw), expected) {
                (Ok(found), Ok(expected)) => assert_eq!(found, expected, "{quoted}"),
                (Err(_), Err(_)) => {}
                (found, expected) => panic!("{quoted}: {found:?} / {expected:?}"),
            }
        }
    }

    #[test]
    fn bad_texts_are_located_in_the_entry() {
        let entry = |text: &str| {
            format!(
                r#"{{"request": {{"method": "GET", "url": "https://h/x"}},
"response": {{"status": 200, "content": {{"text": {text}}}}}}}"#
            )
        };
        let error = |text: &str| {
            exchange(entry(text).as_bytes(), None, 1 << 20, |_, _| None::<()>)
                .map(|_| ())
                .expect_err("refused")
                .to_string()
        };
        assert_eq!(
            error(r#""\ud800 lone""#),
            "not a HAR entry: unexpected end of hex escape (line 2 of the item, column 56)"
        );
        assert_eq!(
            error("5"),
            "not a HAR entry: invalid type: integer `5`, expected a string (line 2 of the item, column 50)"
        );
        assert!(
            exchange(entry("null").as_bytes(), None, 1 << 20, |_, _| None::<()>).is_ok(),
            "no text is no body"
        );
        // A body that is not checked is not decoded: an entry set aside, or a request body
        // the API refused, may hold a text that does not decode.
        let skipped = exchange(entry(r#""\ud800""#).as_bytes(), None, 1 << 20, |_, _| {
            Some(())
        });
        assert!(matches!(skipped, Ok(Err(()))), "{skipped:?}");
        let refused = r#"{"request": {"method": "POST", "url": "https://h/x",
"postData": {"text": "\ud800"}}, "response": {"status": 400}}"#;
        let refused = exchange(refused.as_bytes(), None, 1 << 20, |_, _| None::<()>);
        assert!(
            refused.is_ok_and(
                |parsed| parsed.is_ok_and(|(exchange, _)| exchange.request_body.is_none())
            ),
            "the refused request's body is not read"
        );
    }

    #[test]
    fn urls_split_as_the_url_standard_does() {
        for url in [
            "https://api.balampay.com/v1/users?limit=2&cursor=c%201",
            "https://API.BalamPay.com:443/v1/users/",
            "http://127.0.0.1:8080/v1/users#fragment",
            "http://localhost:80?x=1",
            "https://api.balampay.com",
            "https://api.balampay.com:8443/v1/%75sers",
            "https://user:pw@api.balampay.com/v1/users",
            "https://[::1]:8080/v1/users",
            "https://bücher.example/v1",
            "data:image/png;base64,iVBORw0KGgo=",
            "https://api.balampay.com/v1/users?q=a b",
            "https://api.balampay.com/a/../v1/./users",
            "https://api.balampay.com/a/%2e%2E/v1/users",
            "https://api.balampay.com/v1\\users",
            "https://api.balampay.com/v1/{userId}?q=\"x\"&r='y'",
            "https://api.balampay.com/v1/users?a=b^c|d",
            "HTTPS://api.balampay.com/v1/users",
            "https://api.balampay.com:0443/v1/users",
            "http://127.1:8080/v1/users",
            "http://0x7f.0.0.1:8080/v1/users",
            "http://2130706433:8080/v1/users",
            "http://localhost:08080/v1/users",
            "https://xn--bcher-kva.example/v1",
            "https://api.balampay.com:/v1/users",
        ] {
            let parsed = reqwest::Url::parse(url).expect("a URL");
            let expected = Target {
                origin: parsed.origin().ascii_serialization(),
                path: match parsed.query() {
                    Some(query) => format!("{}?{query}", parsed.path()),
                    None => parsed.path().to_owned(),
                },
            };
            assert_eq!(target(url).expect("splits"), expected, "{url}");
        }
        assert!(target("not a url").is_err());
        // Ports out of range and numeric last labels are errors, as the URL standard says.
        assert!(target("http://h:99999/").is_err());
        assert!(target("http://a.123/").is_err());
    }
}
