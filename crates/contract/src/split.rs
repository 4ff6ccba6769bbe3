//! Streaming the entries of a HAR document (`{"log": {"entries": [ … ]}}`) out of a reader,
//! one entry's bytes at a time, with memory bounded by the largest entry kept.
//!
//! serde_json's reader-based parser reads byte by byte through `std::io::Read` and, for a
//! streamed document, must build every entry through a visitor; measured on a 195 MB HAR it
//! was the largest cost of `verify`. This scanner only finds where each entry begins and
//! ends (tracking strings, escapes and nesting) in a buffer of 256 KiB that grows to hold
//! the largest entry kept, and lends the entry's bytes from there to serde_json, which then
//! parses each entry exactly once. It does not validate what it skips (the document's other
//! members); every entry it hands over is parsed by serde_json, which reports any
//! malformation with its line and column.
//!
//! An entry (an object) is scanned 64 bytes at a time, as simdjson's first stage does
//! (Langdale and Lemire, "Parsing gigabytes of JSON per second", 2019): each block becomes
//! bit masks of its backslashes, quotes and brackets; the escaped characters, the inside of
//! strings (a running parity of the unescaped quotes) and the brackets outside strings
//! follow from the masks with a few word operations, so that only brackets cost a step
//! each. Escapes are dense in a HAR (a JSON body is a string of JSON: every quote of it is
//! `\"`), and a byte-by-byte or a find-the-next-quote scan spends its time on them.

use std::io::Read;
use std::ops::Range;

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

/// One entry of `log.entries`; its bytes are borrowed from the splitter's buffer until the
/// next call.
#[derive(Debug)]
pub enum RawEntry<'a> {
    /// The entry's JSON text.
    Bytes {
        /// The 1-based line it starts on.
        line: u64,
        /// Its bytes.
        bytes: &'a [u8],
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

/// The bit masks of one block of 64 bytes: bit `i` stands for byte `i`.
struct Block {
    backslash: u64,
    quote: u64,
    /// `{` and `[`.
    open: u64,
    /// `}` and `]`.
    close: u64,
}

impl Block {
    /// Classifies 64 bytes.
    fn classify(bytes: &[u8; 64]) -> Self {
        let lanes = wide::u8x64::new(*bytes);
        // `{` (0x7B) and `[` (0x5B) differ only in bit 0x20, as do `}` and `]`; no other
        // byte becomes 0x7B or 0x7D when that bit is set.
        let folded = lanes | wide::u8x64::splat(0x20);
        Block {
            backslash: equal(lanes, b'\\'),
            quote: equal(lanes, b'"'),
            open: equal(folded, b'{'),
            close: equal(folded, b'}'),
        }
    }
}

/// The bit mask of the lanes equal to `byte` (bit `i` for lane `i`): 16-byte vector
/// compares on SSE2 and NEON, wider ones where the target has them, and a scalar fallback
/// elsewhere (the `wide` crate chooses).
fn equal(lanes: wide::u8x64, byte: u8) -> u64 {
    lanes.simd_eq(wide::u8x64::splat(byte)).to_bitmask()
}

/// The positions of `byte` in `bytes`, in order, found 64 bytes at a time: for bytes that
/// come often (the backslashes of an escaped JSON text), where a search call per occurrence
/// costs more than the occurrence.
pub(crate) fn positions(bytes: &[u8], byte: u8) -> impl Iterator<Item = usize> + '_ {
    bytes
        .chunks(64)
        .enumerate()
        .flat_map(move |(block, chunk)| {
            let mut padded = [0u8; 64];
            padded[..chunk.len()].copy_from_slice(chunk);
            // The padding is not `byte` unless `byte` is 0: it is masked off.
            let valid = u64::MAX >> (64 - chunk.len());
            let mut mask = equal(wide::u8x64::new(padded), byte) & valid;
            std::iter::from_fn(move || {
                (mask != 0).then(|| {
                    let at = mask.trailing_zeros() as usize;
                    mask &= mask - 1;
                    block * 64 + at
                })
            })
        })
}

/// Where a scan of an object or array is: carried from one block (and one buffer) to the
/// next.
#[derive(Debug, Default)]
struct Scan {
    /// Brackets open.
    depth: usize,
    /// The last byte scanned is inside a string (or is its opening quote).
    in_string: bool,
    /// The last byte scanned is a backslash that escapes the next byte.
    escape_next: bool,
}

impl Scan {
    /// Scans `bytes`, which continue the value; answers the index just past the bracket that
    /// closes it, when it is in `bytes`. A closing bracket that matches no opening one ends
    /// the value too: serde_json then names the fault when it parses the entry.
    fn run(&mut self, bytes: &[u8]) -> Option<usize> {
        let mut offset = 0;
        while offset < bytes.len() {
            let rest = &bytes[offset..];
            let (block, valid) = match rest.first_chunk::<64>() {
                Some(block) => (Block::classify(block), u64::MAX),
                None => {
                    // White space is nothing to the scan: it pads the last, short block.
                    let mut padded = [b' '; 64];
                    padded[..rest.len()].copy_from_slice(rest);
                    (Block::classify(&padded), (1u64 << rest.len()) - 1)
                }
            };
            let before = (self.in_string, self.escape_next);
            let escaped = self.escaped(block.backslash & valid, valid);
            let quotes = block.quote & !escaped;
            // Bit `i` of the running parity of quotes is set when byte `i` is inside a string
            // (its opening quote included, its closing quote not).
            let mut inside = quotes;
            for shift in [1, 2, 4, 8, 16, 32] {
                inside ^= inside << shift;
            }
            if self.in_string {
                inside = !inside;
            }
            if block.backslash & !inside & valid != 0 {
                // A backslash outside strings is not JSON, and escapes nothing there: this
                // block is scanned again one byte at a time, so that the entries after a
                // malformed one are still found where they are.
                (self.in_string, self.escape_next) = before;
                let end = rest.len().min(64);
                if let Some(at) = rest[..end].iter().position(|byte| self.step(*byte)) {
                    return Some(offset + at + 1);
                }
                offset += 64;
                continue;
            }
            let last = 63 - (valid.leading_zeros());
            self.in_string = (inside >> last) & 1 == 1;
            let mut brackets = (block.open | block.close) & !inside & !escaped & valid;
            while brackets != 0 {
                let at = brackets.trailing_zeros();
                brackets &= brackets - 1;
                if (block.open >> at) & 1 == 1 {
                    self.depth += 1;
                } else {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return Some(offset + at as usize + 1);
                    }
                }
            }
            offset += 64;
        }
        None
    }

    /// Scans one byte; answers whether it closes the value.
    fn step(&mut self, byte: u8) -> bool {
        if self.in_string {
            if std::mem::take(&mut self.escape_next) {
                return false;
            }
            match byte {
                b'\\' => self.escape_next = true,
                b'"' => self.in_string = false,
                _ => {}
            }
            return false;
        }
        match byte {
            b'"' => self.in_string = true,
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' => {
                self.depth = self.depth.saturating_sub(1);
                return self.depth == 0;
            }
            _ => {}
        }
        false
    }

    /// The bits of the bytes a backslash escapes, among the `valid` bytes of a block whose
    /// backslashes are `backslashes`. A backslash escapes the byte after it, which is then
    /// no escape itself (`\\` is one backslash, escaped); the last byte's escape carries to
    /// the next block.
    fn escaped(&mut self, backslashes: u64, valid: u64) -> u64 {
        let carried = u64::from(self.escape_next);
        // No backslash follows another (the common case: `\"` escapes): each one escapes
        // the byte after it, in this block or, from the last byte, in the next.
        if backslashes & ((backslashes << 1) | carried) == 0 {
            let last = 63 - valid.leading_zeros();
            self.escape_next = (backslashes >> last) & 1 == 1;
            return ((backslashes << 1) | carried) & valid;
        }
        let mut escaped = 0;
        let mut starts = backslashes;
        if std::mem::take(&mut self.escape_next) {
            escaped |= 1;
            starts &= !1;
        }
        while starts != 0 {
            let at = starts.trailing_zeros();
            starts &= starts - 1;
            match 1u64.checked_shl(at + 1).filter(|bit| bit & valid != 0) {
                Some(next) => {
                    escaped |= next;
                    starts &= !next;
                }
                None => self.escape_next = true,
            }
        }
        escaped
    }
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
    /// Newlines in `buf[counted..pos]` are not counted yet; `lines` counts those before.
    lines: u64,
    counted: usize,
    stage: Stage,
    max_entry: usize,
    /// Where the value being kept starts in `buf`: a refill moves it to the front instead of
    /// dropping it, and grows the buffer when it fills the buffer, so that a value is handed
    /// over from the buffer without a copy of its own.
    mark: Option<usize>,
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
            mark: None,
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
        // What is kept moves to the front; the rest of the buffer is consumed.
        let kept = self.mark.map_or(0, |mark| self.len - mark);
        let from = self.len - kept;
        if from > 0 {
            self.buf.copy_within(from..self.len, 0);
        }
        self.base += from as u64;
        self.len = kept;
        self.pos = kept;
        self.counted = kept;
        if self.mark.is_some() {
            self.mark = Some(0);
        }
        if self.len == self.buf.len() {
            // The kept value fills the buffer: it is at most its limit long (past that it is
            // dropped), which is 64 bytes for a member name (less than `CHUNK`, the size the
            // buffer starts at) and `max_entry` for an entry, so the buffer never grows past
            // `max_entry + CHUNK`.
            let grown = (self.buf.len() * 2).min(self.max_entry.saturating_add(CHUNK));
            self.buf.resize(grown.max(self.len + 1), 0);
        }
        loop {
            match self.reader.read(&mut self.buf[self.len..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.len += n;
                    return Ok(true);
                }
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(cause) => {
                    return Err(SplitError::Io {
                        offset: self.base + self.len as u64,
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

    /// Reads one whole JSON value (string, number, literal, object or array). While it holds
    /// at most `limit` bytes it is kept in the buffer, and answered as the range it occupies
    /// there (valid until the buffer is next filled); past that only its size is answered.
    fn value(&mut self, limit: usize) -> Result<(u64, Option<Range<usize>>), SplitError> {
        self.mark = None;
        let Some(first) = self.peek_token()? else {
            return Err(self.syntax("expected a value, found the end of the file"));
        };
        if matches!(first, b',' | b']' | b'}' | b':') {
            return Err(self.syntax(format!("expected a value, found {:?}", char::from(first))));
        }
        let mut size: u64 = 0;
        let mut scan = matches!(first, b'{' | b'[').then(Scan::default);
        let scalar = !matches!(first, b'{' | b'[' | b'"');
        // A string's state: past its opening quote, and after a backslash.
        let (mut opened, mut escaped) = (false, false);
        self.mark = Some(self.pos);
        loop {
            if !self.fill()? {
                // A number or literal may end the file; anything else is cut short.
                if scalar {
                    return Ok((size, self.mark.take().map(|mark| mark..self.len)));
                }
                self.mark = None;
                return Err(self.syntax("the file ends inside a value"));
            }
            let start = self.pos;
            let bytes = &self.buf[start..self.len];
            let end = if let Some(scan) = scan.as_mut() {
                scan.run(bytes)
            } else if scalar {
                bytes
                    .iter()
                    .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
            } else {
                let mut index = 0;
                let mut end = None;
                while index < bytes.len() {
                    if std::mem::take(&mut escaped) || !std::mem::replace(&mut opened, true) {
                        index += 1;
                        continue;
                    }
                    // Jump to the next quote or backslash.
                    match memchr::memchr2(b'"', b'\\', &bytes[index..]) {
                        None => index = bytes.len(),
                        Some(offset) => {
                            index += offset + 1;
                            if bytes[index - 1] == b'\\' {
                                escaped = true;
                            } else {
                                end = Some(index);
                                break;
                            }
                        }
                    }
                }
                end
            };
            let stop = end.map_or(self.len, |end| start + end);
            size += (stop - start) as u64;
            if size > limit as u64 {
                self.mark = None;
            }
            self.pos = stop;
            if end.is_some() {
                return Ok((size, self.mark.take().map(|mark| mark..stop)));
            }
        }
    }

    /// Reads an object key (a JSON string) and the colon after it.
    fn key(&mut self) -> Result<Vec<u8>, SplitError> {
        if self.peek_token()? != Some(b'"') {
            return Err(self.syntax("expected a member name"));
        }
        // Names longer than any this splitter looks for are not kept.
        let (_, kept) = self.value(64)?;
        let name = kept
            .map(|range| self.buf[range].to_vec())
            .unwrap_or_default();
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
            self.value(0)?;
        }
    }

    /// The next entry, or `None` after the last one.
    ///
    /// # Errors
    /// [`SplitError`] when the input cannot be read or is not a HAR document; reading
    /// cannot go on after one.
    pub fn next_entry(&mut self) -> Result<Option<RawEntry<'_>>, SplitError> {
        if self.stage == Stage::Start {
            // HAR 1.2 files are UTF-8; a UTF-16 one is named as such. Its byte-order mark
            // starts with 0xFF or 0xFE, which never occur in UTF-8.
            if self.fill()? && matches!(self.buf[self.pos], 0xFF | 0xFE) {
                return Err(self.syntax(
                    "the file is UTF-16 (it starts with a UTF-16 byte-order mark); HAR files are UTF-8: convert it (iconv -f UTF-16 -t UTF-8)",
                ));
            }
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
        Ok(Some(match self.value(self.max_entry)? {
            (_, Some(range)) => RawEntry::Bytes {
                line,
                bytes: &self.buf[range],
            },
            (size, None) => RawEntry::TooLarge { line, size },
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
                        format!("{line}:{}", String::from_utf8_lossy(bytes))
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
        // A backslash outside strings (not JSON) escapes nothing: the entry is handed over
        // for serde_json to report, and the next one is found where it is.
        assert_eq!(
            entries(
                b"{\"log\": {\"entries\": [{\"a\": 1\\}, {\"b\": \"\\\\\"}]}}",
                100
            )
            .expect("splits"),
            ["1:{\"a\": 1\\}", "1:{\"b\": \"\\\\\"}"]
        );
    }

    /// The end of the container that `bytes` starts with, found one byte at a time: the
    /// rule the block scan must give the same answers as. A backslash escapes the next byte
    /// inside strings only; outside them it is not JSON, and serde_json reports it when it
    /// parses the entry.
    fn end_byte_by_byte(bytes: &[u8]) -> Option<usize> {
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        for (index, byte) in bytes.iter().enumerate() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if *byte == b'\\' {
                    escaped = true;
                } else if *byte == b'"' {
                    in_string = false;
                }
                continue;
            }
            match byte {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Some(index + 1);
                    }
                }
                _ => {}
            }
        }
        None
    }

    #[test]
    fn the_block_scan_finds_the_ends_a_byte_by_byte_scan_finds() {
        // Random texts over the bytes that matter (and one that does not), cut into random
        // pieces, so that escapes, quotes and brackets meet every block and piece boundary.
        // Backslashes come often in one alphabet (runs of them) and seldom in the other (the
        // escapes of a JSON text, one at a time).
        let alphabets: [&[u8]; 2] = [b"{}[]\"\\\\x ", b"{}[]\"\"\\xxxxxxxxxxxxxxxxxxx  "];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut ended = 0;
        for round in 0..20_000 {
            let alphabet = alphabets[round % 2];
            let len = (next() % 300) as usize;
            let mut text = vec![b'{'];
            text.extend((0..len).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]));
            let expected = end_byte_by_byte(&text);
            ended += usize::from(expected.is_some());
            let mut scan = Scan::default();
            let (mut at, mut found) = (0, None);
            while at < text.len() && found.is_none() {
                let piece = (1 + next() % 150) as usize;
                let piece = &text[at..(at + piece).min(text.len())];
                found = scan.run(piece).map(|end| at + end);
                at += piece.len();
            }
            assert_eq!(found, expected, "{}", String::from_utf8_lossy(&text));
        }
        // The texts are not all unterminated: the comparison covers ends as well.
        assert!(ended > 1_000, "{ended}");
    }

    #[test]
    fn positions_are_those_of_a_byte_by_byte_search() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for len in 0..300 {
            let text: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    [b'\\', b'a', 0, b'"'][(state % 4) as usize]
                })
                .collect();
            for byte in [b'\\', 0] {
                let expected: Vec<usize> = (0..len).filter(|at| text[*at] == byte).collect();
                assert_eq!(positions(&text, byte).collect::<Vec<_>>(), expected);
            }
        }
    }

    #[test]
    fn entries_larger_than_the_buffer_are_kept_whole() {
        // Three buffers' worth of escapes and brackets in one entry, between two small ones.
        let big = format!(
            "{{\"text\": \"{}\", \"n\": [{}]}}",
            "{\\\"a\\\": [1]}".repeat(3 * CHUNK / 14),
            "[],".repeat(1000) + "[]"
        );
        let har = format!("{{\"log\": {{\"entries\": [{{\"a\": 1}},\n{big},\n{{\"b\": 2}}]}}}}");
        let mut splitter = Splitter::new(har.as_bytes(), 4 * CHUNK);
        let mut found = Vec::new();
        while let Some(entry) = splitter.next_entry().expect("splits") {
            match entry {
                RawEntry::Bytes { line, bytes } => found.push((line, bytes.to_vec())),
                RawEntry::TooLarge { .. } => panic!("kept under the limit"),
            }
        }
        assert_eq!(
            found,
            [
                (1, b"{\"a\": 1}".to_vec()),
                (2, big.into_bytes()),
                (3, b"{\"b\": 2}".to_vec())
            ]
        );
        // The buffer grew to hold the entry, and no further than the limit allows.
        assert!(splitter.buf.len() <= 5 * CHUNK, "{}", splitter.buf.len());
    }

    /// Reads at most 1,000 bytes a call, then fails.
    struct Failing<'a>(&'a [u8]);

    impl Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Err(std::io::Error::other("the disk went away"));
            }
            let n = self.0.len().min(buf.len()).min(1000);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn read_errors_name_the_bytes_read_and_giants_are_dropped_mid_way() {
        let giant = format!("{{\"t\": \"{}\"}}", "\\\"".repeat(CHUNK));
        let head = "{\"log\": {\"entries\": [";
        // Cut inside an entry kept across refills and grown past the first buffer.
        let text = format!("{head}{{\"a\": 1}}, {}", &giant[..giant.len() - 2]);
        let mut splitter = Splitter::new(Failing(text.as_bytes()), 4 * CHUNK);
        assert!(matches!(
            splitter.next_entry(),
            Ok(Some(RawEntry::Bytes { .. }))
        ));
        match splitter.next_entry() {
            Err(SplitError::Io { offset, .. }) => assert_eq!(offset, text.len() as u64),
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("an entry from a cut-short document"),
        }
        // A giant over the limit is dropped as soon as it passes it: the buffer does not
        // grow for it, and the entry after it is found.
        let text = format!("{head}{giant}, {{\"b\": 2}}]}}}}");
        let mut splitter = Splitter::new(Failing(text.as_bytes()), 1000);
        match splitter.next_entry() {
            Ok(Some(RawEntry::TooLarge { size, .. })) => assert_eq!(size, giant.len() as u64),
            _ => panic!("the giant is not reported as too large"),
        }
        match splitter.next_entry() {
            Ok(Some(RawEntry::Bytes { bytes, .. })) => assert_eq!(bytes, b"{\"b\": 2}"),
            _ => panic!("the entry after the giant is not found"),
        }
        assert_eq!(splitter.buf.len(), CHUNK);
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
            (b"\xFF\xFE{\x00", "the file is UTF-16"),
            (b"\xFE\xFF\x00{", "the file is UTF-16"),
        ] {
            let error = entries(text, 100).expect_err("not HAR").to_string();
            assert!(error.contains(expected), "{error} / {expected}");
        }
    }
}
