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
use serde_json::Value;

use crate::check::Exchange;
use crate::record::EntryError;

#[derive(Deserialize)]
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
    post_data: Option<PostData<'a>>,
}

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    value: Cow<'a, str>,
}

#[derive(Deserialize)]
struct PostData<'a> {
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(borrow)]
    encoding: Option<Cow<'a, str>>,
    #[serde(rename = "_file", borrow)]
    file: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Response<'a> {
    status: Option<Value>,
    #[serde(default, borrow)]
    headers: Vec<Header<'a>>,
    #[serde(default, borrow)]
    content: Option<Content<'a>>,
}

#[derive(Deserialize)]
struct Content<'a> {
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(borrow)]
    encoding: Option<Cow<'a, str>>,
    #[serde(rename = "_file", borrow)]
    file: Option<Cow<'a, str>>,
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
            SideFiles::Directory(dir) => File::open(dir.join(name))
                .and_then(|file| file.take(limit as u64 + 1).read_to_end(&mut bytes)),
            SideFiles::Zip(archive) => match archive.by_name(name) {
                Ok(file) => file.take(limit as u64 + 1).read_to_end(&mut bytes),
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

/// One HAR entry as an exchange, with the URL's origin.
///
/// # Errors
/// [`EntryError`] when the entry is not JSON, lacks a field every entry has, has a URL that
/// does not parse, a body that cannot be decoded, or a body over `max_body` bytes.
pub fn exchange(
    bytes: &[u8],
    side: Option<&mut SideFiles>,
    max_body: usize,
) -> Result<(Exchange, Target), EntryError> {
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
    let status = match entry.response.status.as_ref().and_then(Value::as_f64) {
        Some(status) if status < 0.0 => 0,
        Some(status) if status.fract() == 0.0 && status <= f64::from(u16::MAX) => status as u16,
        _ => return Err(EntryError::Missing("response.status")),
    };
    let mut side = side;
    // A request the API rejected is not checked (its faults are the client's), so its body
    // is not read: a recording may well hold a malformed one.
    let request_body = match entry.request.post_data {
        Some(post) if status < 400 => {
            let raw = body(
                post.text,
                post.encoding.as_deref(),
                post.file.as_deref(),
                side.as_deref_mut(),
                max_body,
            )?;
            match raw {
                Some(raw) if !raw.as_bytes().iter().all(u8::is_ascii_whitespace) => Some(
                    serde_json::from_slice(raw.as_bytes())
                        .map_err(EntryError::RequestBodyNotJson)?,
                ),
                _ => None,
            }
        }
        _ => None,
    };
    let (response_body, body_recorded) = match entry.response.content {
        Some(content) => match body(
            content.text,
            content.encoding.as_deref(),
            content.file.as_deref(),
            side,
            max_body,
        )? {
            Some(raw) => (raw.into_string()?, true),
            None => (String::new(), false),
        },
        None => (String::new(), false),
    };
    let method_text = method.into_owned();
    // A response that has no content by definition (RFC 9110 §6.4.1: 1xx, 204, 304, and
    // any answer to HEAD) was recorded whole even without `text`.
    let bodyless =
        status < 200 || status == 204 || status == 304 || method_text.eq_ignore_ascii_case("HEAD");
    Ok((
        Exchange {
            method: method_text,
            path: target.path.clone(),
            request_headers: headers(entry.request.headers),
            request_body,
            status,
            response_headers: headers(entry.response.headers),
            response_body,
            body_recorded: body_recorded || bodyless,
        },
        target,
    ))
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
        .map(|rest| ("https", "443", rest))
        .or_else(|| url.strip_prefix("http://").map(|rest| ("http", "80", rest)));
    if let Some((scheme, default_port, rest)) = simple {
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..end];
        let plain = !authority.is_empty()
            && authority
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b':');
        let host_port = authority.split_once(':');
        let port_ok = host_port.is_none_or(|(host, port)| {
            !host.is_empty() && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
        });
        let path = &rest[end..];
        let path = path.split('#').next().unwrap_or("");
        // No character the URL standard would percent-encode or read as a separator, and no
        // dot segment it would remove.
        let before_query = path.split('?').next().unwrap_or("");
        let path_plain = path
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"\\\"<>`{}'^|".contains(&b))
            && !before_query.contains("/.")
            && !before_query.to_ascii_lowercase().contains("%2e");
        if plain && port_ok && path_plain {
            let authority = match host_port {
                Some((host, port)) if port == default_port => host.to_ascii_lowercase(),
                _ => authority.to_ascii_lowercase(),
            };
            let path = if path.is_empty() || path.starts_with('?') {
                format!("/{path}")
            } else {
                path.to_owned()
            };
            return Ok(Target {
                origin: format!("{scheme}://{authority}"),
                path,
            });
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
/// entry holds none.
fn body(
    text: Option<Cow<'_, str>>,
    encoding: Option<&str>,
    file: Option<&str>,
    side: Option<&mut SideFiles>,
    max_body: usize,
) -> Result<Option<Body>, EntryError> {
    if let Some(text) = text {
        let body = if encoding.is_some_and(|e| e.eq_ignore_ascii_case("base64")) {
            // Base64 is 4/3 of the data: a text that long cannot decode to less than the limit.
            if text.len() / 4 * 3 > max_body + 3 {
                return Err(EntryError::BodyTooLarge { limit: max_body });
            }
            let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
                Ok(bytes) => Body::Bytes(bytes),
                // Firefox marks some text bodies base64 that are not (bugzilla 1762313): a
                // text that does not decode but is JSON is taken as it is.
                Err(_) if serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok() => {
                    Body::Text(text.into_owned())
                }
                Err(error) => return Err(EntryError::BadBase64(error.to_string())),
            }
        } else {
            Body::Text(text.into_owned())
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
    }
}
