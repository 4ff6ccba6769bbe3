//! Escaping text for XML 1.0 documents (JUnit reports), so that any string, whatever it
//! holds, yields a well-formed document.

use std::fmt::Write as _;

/// Whether XML 1.0 allows the character at all (§2.2, production `Char`):
/// `#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]`. Surrogates
/// cannot occur in a Rust `char`.
fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escapes text for element content or an attribute value in quotes: `&`, `<`, `>`, `"` and
/// `'` become references (§2.4), and a carriage return `&#13;` so that it is not read back as
/// a line feed (§2.11); a character XML 1.0 cannot hold at all (a
/// control character such as ESC, `U+FFFE`, `U+FFFF`) is written as the visible text
/// `\u{1b}` rather than dropped, so the report keeps every character's trace.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // A raw carriage return would be read back as a line feed (§2.11).
            '\r' => out.push_str("&#13;"),
            c if allowed(c) => out.push(c),
            c => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
        }
    }
    out
}

/// Escapes text for an attribute value in double quotes. As [`escape`], and the white space
/// that attribute-value normalisation would turn into spaces (§3.3.3: tab, line feed,
/// carriage return) is written as character references, so a multi-line message survives.
pub fn escape_attribute(text: &str) -> String {
    escape(text).replace('\t', "&#9;").replace('\n', "&#10;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_forbidden_characters_are_escaped() {
        assert_eq!(
            escape("a < b & \"c\" > d"),
            "a &lt; b &amp; &quot;c&quot; &gt; d"
        );
        assert_eq!(
            escape("esc\u{1b}[31m nul\0 \u{FFFE}"),
            "esc\\u{1b}[31m nul\\u{0} \\u{fffe}"
        );
        assert_eq!(
            escape("tab\tline\ncr\r ü 😀 it's"),
            "tab\tline\ncr&#13; ü 😀 it&#39;s"
        );
        assert_eq!(escape_attribute("two\nlines"), "two&#10;lines");
    }

    #[test]
    fn every_character_escapes_to_allowed_text() {
        let all: String = (0u32..0x11_0000).filter_map(char::from_u32).collect();
        assert!(escape(&all).chars().all(allowed));
        assert!(
            escape_attribute(&all)
                .chars()
                .all(|c| allowed(c) && !matches!(c, '\t' | '\n' | '\r' | '<' | '"'))
        );
    }
}
