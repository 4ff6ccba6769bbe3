//! Recordings: our JSONL cassettes (one [`Exchange`] per line) and HAR files, read as
//! streams so that memory does not grow with the file, and written with secrets redacted.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::check::Exchange;
use crate::har::{self, SideFiles, Target};
use crate::split::{RawEntry, SplitError, Splitter};

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

    /// Writes what is buffered to the file, so that the cassette is whole up to here even
    /// if the process is then killed.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
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
    /// A 1-based entry of a HAR file, and the 1-based line it starts on.
    Entry(usize, u64),
    /// (`proxy`) the 1-based number of an exchange, in the order requests arrived.
    Exchange(usize),
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Line(n) => write!(f, "line {n}"),
            Place::Entry(n, line) => write!(f, "entry {n}, line {line}"),
            Place::Exchange(n) => write!(f, "exchange {n}"),
        }
    }
}

/// Why a recording could not be read at all. Reading stops at such an error.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    /// The file could not be opened.
    #[error("cannot open {path}: {cause}")]
    Open {
        /// The file.
        path: String,
        /// The operating system's error.
        cause: std::io::Error,
    },
    /// A line of a JSONL cassette could not be read.
    #[error("cannot read line {line}: {cause}")]
    ReadLine {
        /// The 1-based line.
        line: usize,
        /// The operating system's error.
        cause: std::io::Error,
    },
    /// The file is not a HAR document (`{"log": {"entries": [...]}}`).
    #[error(transparent)]
    NotHar(#[from] SplitError),
    /// A `.zip` recording is not an archive, or does not hold exactly one `.har` file.
    #[error("cannot read the archive {path}: {reason}")]
    Zip {
        /// The archive.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// Why one item of a recording (a line or a HAR entry) is not an exchange. Reading goes on
/// with the next item.
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    /// A JSONL line is not an exchange object.
    #[error("not an exchange: {}", located(.0))]
    NotAnExchange(serde_json::Error),
    /// A HAR entry is not JSON, or its members have the wrong types.
    #[error("not a HAR entry: {}", located(.0))]
    NotAnEntry(serde_json::Error),
    /// The entry's bytes are not UTF-8 (HAR 1.2 files are UTF-8).
    #[error("not UTF-8 at byte {offset} of the entry")]
    NotUtf8 {
        /// The 0-based offset of the first bad byte in the entry.
        offset: usize,
    },
    /// A field every HAR entry has is absent.
    #[error("{0} is missing")]
    Missing(&'static str),
    /// `response.status` is not a whole number from 0 to 65535 (or a negative one, which
    /// Playwright writes for a request that got no answer).
    #[error("response.status is not an HTTP status (a whole number)")]
    NotAStatus,
    /// `request.url` does not parse as a URL.
    #[error("request.url is not a URL: {0}")]
    BadUrl(String),
    /// The request body is not JSON.
    #[error("request.postData.text is not JSON: {0}")]
    RequestBodyNotJson(serde_json::Error),
    /// A body marked `base64` does not decode.
    #[error("a body marked base64 does not decode: {0}")]
    BadBase64(String),
    /// The response body is not UTF-8 text.
    #[error("the response body is not UTF-8 text")]
    BodyNotUtf8,
    /// A body is larger than the limit of bodies checked.
    #[error("a body is larger than {limit} bytes (--max-body-bytes)")]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// A side file (`_file`) cannot be read.
    #[error("cannot read the side file {name:?}: {reason}")]
    SideFile {
        /// The name the entry gives.
        name: String,
        /// Why.
        reason: String,
    },
}

/// serde_json's message, with its location said relative to the item (its line and column
/// count from the item's first line, which the place before the message names).
fn located(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let message = match message.rfind(" at line ") {
        Some(index) => &message[..index],
        None => &message,
    };
    if error.line() <= 1 {
        format!("{message} (column {} of the item)", error.column())
    } else {
        format!(
            "{message} (line {} of the item, column {})",
            error.line(),
            error.column()
        )
    }
}

/// The kinds of recording, by file name: `.har`, `.zip` (a HAR with its side files, as
/// Playwright and Firefox write them), anything else a JSONL cassette.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One [`Exchange`] per line.
    Jsonl,
    /// A HAR 1.2 document.
    Har,
    /// A `.zip` archive holding one `.har` document and its side files.
    HarZip,
}

impl Format {
    /// The format of a file: by its extension (`.har`, `.zip`), and otherwise by its first
    /// bytes, so that a HAR saved as `.json` or without an extension is read as one (a HAR
    /// starts with `{"log"`, a cassette line with `{"method"`).
    pub fn of(path: &Path) -> Self {
        match path
            .extension()
            .map(|ext| ext.to_string_lossy().to_ascii_lowercase())
            .as_deref()
        {
            Some("har") => Format::Har,
            Some("zip") => Format::HarZip,
            _ if starts_like_har(path) => Format::Har,
            _ => Format::Jsonl,
        }
    }
}

/// Whether the file's first JSON member is `"log"` (after a byte-order mark and white space).
fn starts_like_har(path: &Path) -> bool {
    let mut head = [0u8; 512];
    let Ok(read) = File::open(path).and_then(|mut file| file.read(&mut head)) else {
        return false;
    };
    let head = &head[..read];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text: Vec<u8> = head
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    text.starts_with(b"{\"log\"")
}

/// One item of a recording as read, before it is parsed; its bytes are borrowed from the
/// reader's buffer for the call that hands it over.
#[derive(Debug, Clone, Copy)]
pub enum RawItem<'a> {
    /// Its bytes (a line, or an entry).
    Bytes(&'a [u8]),
    /// It is larger than the limit; its bytes were not kept.
    TooLarge {
        /// Its size in bytes.
        size: u64,
    },
}

/// Where side files of a recording come from; each worker opens its own handle.
#[derive(Clone, Debug)]
pub enum SideSource {
    /// JSONL cassettes have none.
    None,
    /// Beside a HAR file.
    Directory(PathBuf),
    /// Inside a `.zip` archive.
    Zip(PathBuf),
}

impl SideSource {
    /// The side files of a recording.
    pub fn of(path: &Path) -> Self {
        match Format::of(path) {
            Format::Jsonl => SideSource::None,
            Format::Har => SideSource::Directory(
                path.parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| PathBuf::from(".")),
            ),
            Format::HarZip => SideSource::Zip(path.to_path_buf()),
        }
    }

    /// A handle to read side files with.
    ///
    /// # Errors
    /// [`RecordingError::Zip`] when the archive cannot be opened again.
    pub fn open(&self) -> Result<Option<SideFiles>, RecordingError> {
        Ok(match self {
            SideSource::None => None,
            SideSource::Directory(dir) => Some(SideFiles::Directory(dir.clone())),
            SideSource::Zip(path) => Some(SideFiles::Zip(open_zip(path)?)),
        })
    }
}

fn open_zip(path: &Path) -> Result<zip::ZipArchive<File>, RecordingError> {
    let file = File::open(path).map_err(|cause| RecordingError::Open {
        path: path.display().to_string(),
        cause,
    })?;
    zip::ZipArchive::new(file).map_err(|error| RecordingError::Zip {
        path: path.display().to_string(),
        reason: error.to_string(),
    })
}

/// Streams the items of a recording in order, each at most `max_item` bytes (a larger one
/// is reported by its size, not kept), calling `each` with its place. Memory does not grow
/// with the file.
///
/// # Errors
/// [`RecordingError`] when the file cannot be read or is not the format its name says;
/// the items before the error have been handed over.
pub fn stream(
    path: &Path,
    max_item: usize,
    each: &mut dyn FnMut(Place, RawItem<'_>),
) -> Result<(), RecordingError> {
    if path.is_dir() {
        return Err(RecordingError::Open {
            path: path.display().to_string(),
            cause: std::io::Error::other("it is a directory, not a recording"),
        });
    }
    match Format::of(path) {
        Format::Jsonl => {
            let file = File::open(path).map_err(|cause| RecordingError::Open {
                path: path.display().to_string(),
                cause,
            })?;
            stream_jsonl(BufReader::with_capacity(1 << 18, file), max_item, each)
        }
        Format::Har => {
            let file = File::open(path).map_err(|cause| RecordingError::Open {
                path: path.display().to_string(),
                cause,
            })?;
            stream_har(file, max_item, each)
        }
        Format::HarZip => {
            let mut archive = open_zip(path)?;
            let hars: Vec<usize> = (0..archive.len())
                .filter(|index| {
                    archive
                        .name_for_index(*index)
                        .is_some_and(|name| name.to_ascii_lowercase().ends_with(".har"))
                })
                .collect();
            let [index] = hars[..] else {
                return Err(RecordingError::Zip {
                    path: path.display().to_string(),
                    reason: format!(
                        "it holds {} .har files; a HAR archive holds exactly one",
                        hars.len()
                    ),
                });
            };
            let member = archive
                .by_index(index)
                .map_err(|error| RecordingError::Zip {
                    path: path.display().to_string(),
                    reason: error.to_string(),
                })?;
            stream_har(member, max_item, each)
        }
    }
}

fn stream_har(
    reader: impl Read,
    max_item: usize,
    each: &mut dyn FnMut(Place, RawItem<'_>),
) -> Result<(), RecordingError> {
    let mut splitter = Splitter::new(reader, max_item);
    let mut count = 0;
    while let Some(entry) = splitter.next_entry()? {
        count += 1;
        match entry {
            RawEntry::Bytes { bytes, line } => {
                each(Place::Entry(count, line), RawItem::Bytes(bytes))
            }
            RawEntry::TooLarge { size, line } => {
                each(Place::Entry(count, line), RawItem::TooLarge { size })
            }
        }
    }
    Ok(())
}

/// Lines are read as bytes, at most `max_item` of them kept, so that a line that is not
/// UTF-8, or a file of random bytes without line breaks, is reported and skipped like any
/// other malformed line instead of ending the reading or filling memory.
fn stream_jsonl(
    mut reader: impl BufRead,
    max_item: usize,
    each: &mut dyn FnMut(Place, RawItem<'_>),
) -> Result<(), RecordingError> {
    let mut line = Vec::new();
    let mut size: u64 = 0;
    let mut number = 0;
    loop {
        let chunk = reader
            .fill_buf()
            .map_err(|cause| RecordingError::ReadLine {
                line: number + 1,
                cause,
            })?;
        if chunk.is_empty() {
            if size > 0 {
                number += 1;
                emit_line(number, &mut line, size, max_item, each);
            }
            return Ok(());
        }
        let (taken, complete) = match chunk.iter().position(|b| *b == b'\n') {
            Some(end) => (end + 1, true),
            None => (chunk.len(), false),
        };
        size += taken as u64;
        if size <= (max_item as u64).saturating_add(1) {
            line.extend_from_slice(&chunk[..taken]);
        } else {
            line.clear();
        }
        reader.consume(taken);
        if complete {
            number += 1;
            emit_line(number, &mut line, size, max_item, each);
            size = 0;
        }
    }
}

fn emit_line(
    number: usize,
    line: &mut Vec<u8>,
    size: u64,
    max_item: usize,
    each: &mut dyn FnMut(Place, RawItem<'_>),
) {
    if size > (max_item as u64).saturating_add(1) {
        each(Place::Line(number), RawItem::TooLarge { size });
    } else if !line.iter().all(u8::is_ascii_whitespace) {
        each(Place::Line(number), RawItem::Bytes(line));
    }
    line.clear();
}

/// An item of a recording as an exchange, with the origin it was sent to when the
/// recording says (HAR; JSONL cassettes hold paths only), or the reason `skip` gives for not
/// checking it (a HAR entry's bodies are not decoded then).
///
/// # Errors
/// [`EntryError`] when the item is not an exchange.
pub fn parse<S>(
    format: Format,
    bytes: &[u8],
    side: Option<&mut SideFiles>,
    max_body: usize,
    skip: impl FnOnce(&Exchange, Option<&Target>) -> Option<S>,
) -> Result<Result<(Exchange, Option<Target>), S>, EntryError> {
    match format {
        Format::Jsonl => {
            let exchange =
                serde_json::from_slice::<Exchange>(bytes).map_err(EntryError::NotAnExchange)?;
            Ok(match skip(&exchange, None) {
                Some(reason) => Err(reason),
                None => Ok((exchange, None)),
            })
        }
        Format::Har | Format::HarZip => {
            Ok(har::exchange(bytes, side, max_body, |exchange, target| {
                skip(exchange, Some(target))
            })?
            .map(|(exchange, target)| (exchange, Some(target))))
        }
    }
}

/// The largest body checked by default, in bytes: four times the sandbox's 1 MiB request
/// limit, and far above any answer of this API.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The largest item (a line or an entry) kept for bodies of at most `max_body` bytes: two
/// bodies (request and response) and 1 MiB for the rest of an entry.
pub fn max_item(max_body: usize) -> usize {
    max_body.saturating_mul(2).saturating_add(1 << 20)
}

/// Reads a recording, calling `each` with every exchange (or the reason it could not be
/// read) in order: the simple, sequential reader (`verify` has its own pipeline). An item
/// over [`DEFAULT_MAX_BODY_BYTES`] comes as [`EntryError::BodyTooLarge`].
///
/// # Errors
/// As [`stream`].
pub fn read(
    path: &Path,
    each: &mut dyn FnMut(Place, Result<Exchange, EntryError>),
) -> Result<(), RecordingError> {
    let format = Format::of(path);
    let mut side = SideSource::of(path).open()?;
    let max_item = max_item(DEFAULT_MAX_BODY_BYTES);
    stream(path, max_item, &mut |place, item| match item {
        RawItem::Bytes(bytes) => each(
            place,
            parse(
                format,
                bytes,
                side.as_mut(),
                DEFAULT_MAX_BODY_BYTES,
                |_, _| None::<std::convert::Infallible>,
            )
            .map(|parsed| match parsed {
                Ok((exchange, _)) => exchange,
                Err(never) => match never {},
            }),
        ),
        RawItem::TooLarge { .. } => each(
            place,
            Err(EntryError::BodyTooLarge {
                limit: DEFAULT_MAX_BODY_BYTES,
            }),
        ),
    })
}
