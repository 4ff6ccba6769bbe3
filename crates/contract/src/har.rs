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
    let entry: Entry<'_> = serde_json::from_slice(bytes).map_err(EntryError::NotAnEntry)?;
    let method = entry
        .request
        .method
        .ok_or(EntryError::Missing("request.method"))?;
    let url = entry
        .request
        .url
        .ok_or(EntryError::Missing("request.url"))?;
    let url = reqwest::Url::parse(&url).map_err(|error| EntryError::BadUrl(error.to_string()))?;
    let target = Target {
        origin: url.origin().ascii_serialization(),
        path: match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        },
    };
    // Some exporters write the status as a number with a fraction (`200.0`); Playwright
    // writes -1 where browsers write 0 for a request that got no answer.
    let status = match entry.response.status.as_ref().and_then(Value::as_f64) {
        Some(status) if status < 0.0 => 0,
        Some(status) if status.fract() == 0.0 && status <= f64::from(u16::MAX) => status as u16,
        _ => return Err(EntryError::Missing("response.status")),
    };
    let mut side = side;
    let request_body = match entry.request.post_data {
        Some(post) => {
            let raw = body(
                post.text.as_deref(),
                post.encoding.as_deref(),
                post.file.as_deref(),
                side.as_deref_mut(),
                max_body,
            )?;
            match raw {
                Some(raw) if !raw.iter().all(u8::is_ascii_whitespace) => {
                    Some(serde_json::from_slice(&raw).map_err(EntryError::RequestBodyNotJson)?)
                }
                _ => None,
            }
        }
        None => None,
    };
    let (response_body, body_recorded) = match entry.response.content {
        Some(content) => match body(
            content.text.as_deref(),
            content.encoding.as_deref(),
            content.file.as_deref(),
            side,
            max_body,
        )? {
            Some(raw) => (
                String::from_utf8(raw).map_err(|_| EntryError::BodyNotUtf8)?,
                true,
            ),
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

/// A body from `text` (decoded when `encoding` is `base64`) or a side file; `None` when the
/// entry holds none.
fn body(
    text: Option<&str>,
    encoding: Option<&str>,
    file: Option<&str>,
    side: Option<&mut SideFiles>,
    max_body: usize,
) -> Result<Option<Vec<u8>>, EntryError> {
    if let Some(text) = text {
        let bytes = if encoding.is_some_and(|e| e.eq_ignore_ascii_case("base64")) {
            // Base64 is 4/3 of the data: a text that long cannot decode to less than the limit.
            if text.len() / 4 * 3 > max_body + 3 {
                return Err(EntryError::BodyTooLarge { limit: max_body });
            }
            let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact.as_bytes())
                .map_err(|error| EntryError::BadBase64(error.to_string()))?
        } else {
            text.as_bytes().to_vec()
        };
        if bytes.len() > max_body {
            return Err(EntryError::BodyTooLarge { limit: max_body });
        }
        return Ok(Some(bytes));
    }
    match (file, side) {
        (Some(name), Some(side)) => side.read(name, max_body).map(Some),
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
        .map(|h| (h.name.to_ascii_lowercase(), h.value.into_owned()))
        .collect()
}
