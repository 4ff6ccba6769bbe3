//! Streaming the entries of a HAR document (`{"log": {"entries": [ … ]}}`) out of a reader,
//! one entry's bytes at a time, with memory bounded by the largest entry kept.
//!
//! serde_json's reader-based parser reads byte by byte through `std::io::Read` and, for a
//! streamed document, must build every entry through a visitor; measured on a 195 MB HAR it
//! was the largest cost of `verify`. This scanner only finds where each entry begins and
//! ends (tracking strings, escapes and nesting over a 256 KiB buffer) and hands the entry's
//! bytes to serde_json's slice parser, which then parses each entry exactly once. It does not
//! validate what it skips (the document's other members); every entry it hands over is
//! parsed by serde_json, which reports any malformation with its line and column.

use std::io::Read;

/// Why the document could not be streamed. Every variant names where, as a 1-based line
/// and a 0-based byte offset.
#[derive(Debug, thiserror::Error)]
pub enum SplitError {
    /// Reading failed.
    #[error("read at byte {offset}: {cause}")]
    Io {
        /// How many bytes had been read.
        offset: u64,
        /// The operating system's error.
        cause: std::io::Error,
    },
    /// The bytes are not the JSON of a HAR document.
    #[error("not a HAR document: {what} at line {line} (byte {offset})")]
    Syntax {
        /// What was expected or found.
        what: String,
        /// The 1-based line.
        line: u64,
        /// The 0-based byte offset.
        offset: u64,
    },
}

/// One entry of `log.entries`.
#[derive(Debug)]
pub enum RawEntry {
    /// The entry's JSON text.
    Bytes {
        /// The 1-based line it starts on.
        line: u64,
        /// Its bytes.
        bytes: Vec<u8>,
    },
    /// The entry is larger than the limit; its bytes were skipped, not kept.
    TooLarge {
        /// The 1-based line it starts on.
        line: u64,
        /// Its size in bytes.
        size: u64,
    },
}

/// Where the scanner is in the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Before the root object.
    Start,
    /// Inside the entries array, before an element or its closing bracket.
    Entries { first: bool },
    /// The entries array is done; what follows it is not read.
    Done,
}

/// Streams the entries of a HAR document.
pub struct Splitter<R> {
    reader: R,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    eof: bool,
    /// Bytes consumed before `buf[0]`.
    base: u64,
    /// Newlines in `buf[..pos]` are not counted yet; `lines` counts those before `counted`.
    lines: u64,
    counted: usize,
    stage: Stage,
    max_entry: usize,
    /// The size of the last entry: the next one's buffer starts that large, which spares
    /// most of the reallocations of growing it.
    last: usize,
}

const CHUNK: usize = 256 * 1024;

impl<R: Read> Splitter<R> {
    /// A splitter that keeps entries of at most `max_entry` bytes.
    pub fn new(reader: R, max_entry: usize) -> Self {
        Self {
            reader,
            buf: vec![0; CHUNK],
            pos: 0,
            len: 0,
            eof: false,
            base: 0,
            lines: 1,
            counted: 0,
            stage: Stage::Start,
            max_entry,
            last: 0,
        }
    }

    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn line(&mut self) -> u64 {
        self.lines += memchr::memchr_iter(b'\n', &self.buf[self.counted..self.pos]).count() as u64;
        self.counted = self.pos;
        self.lines
    }

    fn syntax(&mut self, what: impl Into<String>) -> SplitError {
        SplitError::Syntax {
            what: what.into(),
            line: self.line(),
            offset: self.offset(),
        }
    }

    /// Makes at least one unread byte available; `false` at the end of the input.
    fn fill(&mut self) -> Result<bool, SplitError> {
        if self.pos < self.len {
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        self.line();
        self.base += self.len as u64;
        self.pos = 0;
        self.counted = 0;
        self.len = 0;
        loop {
            match self.reader.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.len = n;
                    return Ok(true);
                }
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(cause) => {
                    return Err(SplitError::Io {
                        offset: self.base,
                        cause,
                    });
                }
            }
        }
    }

    /// The next byte that is not JSON white space, left unread.
    fn peek_token(&mut self) -> Result<Option<u8>, SplitError> {
        loop {
            if !self.fill()? {
                return Ok(None);
            }
            let byte = self.buf[self.pos];
            if matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            } else {
                return Ok(Some(byte));
            }
        }
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<(), SplitError> {
        match self.peek_token()? {
            Some(found) if found == byte => {
                self.pos += 1;
                Ok(())
            }
            Some(found) => {
                Err(self.syntax(format!("expected {what}, found {:?}", char::from(found))))
            }
            None => Err(self.syntax(format!("expected {what}, found the end of the file"))),
        }
    }

    /// Reads one whole JSON value (string, number, literal, object or array), appending its
    /// bytes to `keep` while it holds at most `limit` bytes (it is cleared past that).
    /// Answers the value's size in bytes.
    fn value(&mut self, mut keep: Option<&mut Vec<u8>>, limit: usize) -> Result<u64, SplitError> {
        let Some(first) = self.peek_token()? else {
            return Err(self.syntax("expected a value, found the end of the file"));
        };
        if matches!(first, b',' | b']' | b'}' | b':') {
            return Err(self.syntax(format!("expected a value, found {:?}", char::from(first))));
        }
        let mut depth: usize = 0;
        let mut in_string = false;
        let mut escaped = false;
        let mut size: u64 = 0;
        let scalar = !matches!(first, b'{' | b'[' | b'"');
        loop {
            if !self.fill()? {
                if scalar && depth == 0 && !in_string {
                    return Ok(size);
                }
                return Err(self.syntax("the file ends inside a value"));
            }
            let start = self.pos;
            let mut end = None;
            let mut index = start;
            while index < self.len {
                if in_string {
                    if escaped {
                        escaped = false;
                        index += 1;
                        continue;
                    }
                    // Most of a HAR is string content: jump to the next quote or backslash.
                    match memchr::memchr2(b'"', b'\\', &self.buf[index..self.len]) {
                        None => index = self.len,
                        Some(offset) => {
                            index += offset;
                            if self.buf[index] == b'\\' {
                                escaped = true;
                            } else {
                                in_string = false;
                                if depth == 0 {
                                    end = Some(index + 1);
                                    break;
                                }
                            }
                            index += 1;
                        }
                    }
                    continue;
                }
                let byte = self.buf[index];
                if scalar {
                    if matches!(byte, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                        end = Some(index);
                        break;
                    }
                    index += 1;
                    continue;
                }
                match byte {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            end = Some(index + 1);
                            break;
                        }
                    }
                    _ => {}
                }
                index += 1;
            }
            let stop = end.unwrap_or(self.len);
            size += (stop - start) as u64;
            if let Some(kept) = keep.as_deref_mut() {
                if size <= limit as u64 {
                    // Grow geometrically, but never past the limit: a doubling `Vec` would
                    // hold twice the limit for an entry just under it.
                    let needed = kept.len() + (stop - start);
                    if needed > kept.capacity() {
                        let target = needed.max(kept.capacity() * 2).min(limit.max(needed));
                        kept.reserve_exact(target - kept.len());
                    }
                    kept.extend_from_slice(&self.buf[start..stop]);
                } else {
                    *kept = Vec::new();
                    keep = None;
                }
            }
            self.pos = stop;
            if end.is_some() {
                return Ok(size);
            }
        }
    }

    /// Reads an object key (a JSON string) and the colon after it.
    fn key(&mut self) -> Result<Vec<u8>, SplitError> {
        if self.peek_token()? != Some(b'"') {
            return Err(self.syntax("expected a member name"));
        }
        let mut name = Vec::new();
        self.value(Some(&mut name), 4096)?;
        self.expect(b':', "`:` after a member name")?;
        Ok(name)
    }

    /// Walks the members of the object just opened until `wanted` (its value left unread);
    /// `false` when the object ends without it.
    fn find_member(&mut self, wanted: &[u8]) -> Result<bool, SplitError> {
        let mut first = true;
        loop {
            match self.peek_token()? {
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(false);
                }
                Some(b',') if !first => self.pos += 1,
                Some(_) if first => {}
                Some(found) => {
                    return Err(self.syntax(format!(
                        "expected `,` or `}}`, found {:?}",
                        char::from(found)
                    )));
                }
                None => return Err(self.syntax("the file ends inside an object")),
            }
            first = false;
            let name = self.key()?;
            if name == wanted {
                return Ok(true);
            }
            self.value(None, 0)?;
        }
    }

    /// The next entry, or `None` after the last one.
    ///
    /// # Errors
    /// [`SplitError`] when the input cannot be read or is not a HAR document; reading
    /// cannot go on after one.
    pub fn next_entry(&mut self) -> Result<Option<RawEntry>, SplitError> {
        if self.stage == Stage::Start {
            // A UTF-8 byte-order mark, as Windows tools (Fiddler) write one.
            for (index, expected) in b"\xEF\xBB\xBF".iter().enumerate() {
                if !self.fill()? || self.buf[self.pos] != *expected {
                    if index > 0 {
                        return Err(self.syntax("a broken byte-order mark"));
                    }
                    break;
                }
                self.pos += 1;
            }
            self.expect(b'{', "a JSON object")?;
            if !self.find_member(b"\"log\"")? {
                return Err(self.syntax("no `log` member"));
            }
            self.expect(b'{', "`log` to be an object")?;
            if !self.find_member(b"\"entries\"")? {
                return Err(self.syntax("no `log.entries` member"));
            }
            self.expect(b'[', "`log.entries` to be an array")?;
            self.stage = Stage::Entries { first: true };
        }
        let Stage::Entries { first } = self.stage else {
            return Ok(None);
        };
        match self.peek_token()? {
            Some(b']') => {
                self.pos += 1;
                self.stage = Stage::Done;
                return Ok(None);
            }
            Some(b',') if !first => self.pos += 1,
            Some(_) if first => {}
            Some(found) => {
                return Err(self.syntax(format!(
                    "expected `,` or `]` between entries, found {:?}",
                    char::from(found)
                )));
            }
            None => return Err(self.syntax("the file ends inside `log.entries`")),
        }
        self.stage = Stage::Entries { first: false };
        // An element that is not an object is handed over too: the entry parser names what
        // is wrong with it, and the entries after it are still read.
        self.peek_token()?;
        let line = self.line();
        let mut bytes = Vec::with_capacity((self.last + self.last / 4).min(self.max_entry));
        let size = self.value(Some(&mut bytes), self.max_entry)?;
        if size <= self.max_entry as u64 {
            // Only a kept entry sizes the next buffer; a skipped giant must not.
            self.last = bytes.len().min(1 << 20);
        }
        Ok(Some(if size > self.max_entry as u64 {
            RawEntry::TooLarge { line, size }
        } else {
            RawEntry::Bytes { line, bytes }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(text: &[u8], max: usize) -> Result<Vec<String>, SplitError> {
        // A tiny reader chunk size is simulated by reading through a one-byte-at-a-time
        // adapter as well, so that every boundary case meets a refill.
        let mut out: Option<Vec<String>> = None;
        for reader in [Box::new(text) as Box<dyn Read>, Box::new(OneByte(text))] {
            let mut splitter = Splitter::new(reader, max);
            let mut found = Vec::new();
            while let Some(entry) = splitter.next_entry()? {
                found.push(match entry {
                    RawEntry::Bytes { line, bytes } => {
                        format!("{line}:{}", String::from_utf8_lossy(&bytes))
                    }
                    RawEntry::TooLarge { line, size } => format!("{line}:too large ({size})"),
                });
            }
            if let Some(previous) = &out {
                assert_eq!(previous, &found, "the chunking changed the entries");
            }
            out = Some(found);
        }
        Ok(out.unwrap_or_default())
    }

    struct OneByte<'a>(&'a [u8]);

    impl Read for OneByte<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match self.0.split_first() {
                Some((first, rest)) if !buf.is_empty() => {
                    buf[0] = *first;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn entries_come_out_whole_whatever_the_layout() {
        let har = b"\xEF\xBB\xBF{\"log\": {\"version\": \"1.2\", \"pages\": [{\"a\": \"]}\\\"\"}],\n\"entries\": [\n {\"x\": \"a}b\\\\\", \"y\": [1, {\"z\": null}]},\n{\"w\": -1.5e3}\n], \"comment\": \"x\"}}";
        assert_eq!(
            entries(har, 1 << 20).expect("splits"),
            [
                "3:{\"x\": \"a}b\\\\\", \"y\": [1, {\"z\": null}]}",
                "4:{\"w\": -1.5e3}"
            ]
        );
        assert_eq!(
            entries(b"{\"log\":{\"entries\":[]}}", 10).expect("empty"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn large_entries_are_counted_not_kept() {
        let har = b"{\"log\": {\"entries\": [{\"big\": \"0123456789\"}, {\"s\": 1}]}}";
        assert_eq!(
            entries(har, 12).expect("splits"),
            ["1:too large (21)", "1:{\"s\": 1}"]
        );
    }

    #[test]
    fn documents_that_are_not_har_are_located() {
        for (text, expected) in [
            (&b"[1, 2]"[..], "expected a JSON object, found '['"),
            (b"{\"logs\": {}}", "no `log` member"),
            (b"{\"log\": {\"pages\": []}}", "no `log.entries` member"),
            (
                b"{\"log\": {\"entries\": {}}}",
                "expected `log.entries` to be an array",
            ),
            (
                b"{\"log\": {\"entries\": [{\"a\": 1}\n\n{\"b\": 2}]}}",
                "expected `,` or `]` between entries, found '{' at line 3",
            ),
            (
                b"{\"log\": {\"entries\": [{\"a\": \"unterminated",
                "the file ends inside a value",
            ),
            (b"", "expected a JSON object, found the end of the file"),
            (b"\x00\x01garbage", "expected a JSON object"),
        ] {
            let error = entries(text, 100).expect_err("not HAR").to_string();
            assert!(error.contains(expected), "{error} / {expected}");
        }
    }
}
