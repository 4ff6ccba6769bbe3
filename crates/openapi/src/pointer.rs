//! JSON pointers (RFC 6901): escaping reference tokens, joining, splitting, and the
//! URI-fragment form (`#/components/schemas/User`) that `$ref` values use.

use std::borrow::Cow;

/// Why a JSON pointer or a `$ref` fragment could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointerError {
    /// A non-empty pointer must start with `/` (RFC 6901 §3).
    #[error("read the JSON pointer {pointer:?}: it must be empty or start with `/`")]
    NoLeadingSlash {
        /// The pointer as given.
        pointer: String,
    },
    /// `~` must be followed by `0` or `1` (RFC 6901 §3).
    #[error("read the JSON pointer {pointer:?}: `~` must be followed by `0` or `1`")]
    BadTilde {
        /// The pointer as given.
        pointer: String,
    },
    /// A `$ref` fragment has a `%` not followed by two hex digits, or decodes to invalid
    /// UTF-8 (RFC 3986 §2.1).
    #[error("read the fragment of {reference:?}: bad percent-encoding")]
    BadPercentEncoding {
        /// The reference as given.
        reference: String,
    },
}

/// Escapes one reference token: `~` becomes `~0` and `/` becomes `~1` (RFC 6901 §3).
pub fn escape(token: &str) -> Cow<'_, str> {
    if token.contains(['~', '/']) {
        Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(token)
    }
}

/// Unescapes one reference token: `~1` becomes `/`, then `~0` becomes `~` (RFC 6901 §4,
/// in that order so that `~01` is `~1`).
///
/// # Errors
/// [`PointerError::BadTilde`] when a `~` is followed by anything but `0` or `1`.
pub fn unescape(token: &str) -> Result<Cow<'_, str>, PointerError> {
    if !token.contains('~') {
        return Ok(Cow::Borrowed(token));
    }
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars();
    while let Some(c) = chars.next() {
        if c != '~' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('0') => out.push('~'),
            Some('1') => out.push('/'),
            _ => {
                return Err(PointerError::BadTilde {
                    pointer: token.to_owned(),
                });
            }
        }
    }
    Ok(Cow::Owned(out))
}

/// `pointer` with one more reference token, escaped: `join("/paths", "/v1/users")` is
/// `/paths/~1v1~1users`.
pub fn join(pointer: &str, token: &str) -> String {
    let token = escape(token);
    let mut out = String::with_capacity(pointer.len() + 1 + token.len());
    out.push_str(pointer);
    out.push('/');
    out.push_str(&token);
    out
}

/// The unescaped reference tokens of a pointer (`""` has none, `"/"` has one empty token).
///
/// # Errors
/// [`PointerError`] when the pointer does not start with `/` or has a bad `~` escape.
pub fn tokens(pointer: &str) -> Result<Vec<String>, PointerError> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(PointerError::NoLeadingSlash {
            pointer: pointer.to_owned(),
        });
    };
    rest.split('/')
        .map(|token| {
            unescape(token)
                .map(Cow::into_owned)
                .map_err(|_| PointerError::BadTilde {
                    pointer: pointer.to_owned(),
                })
        })
        .collect()
}

/// The URI-fragment form of a pointer, for a `$ref` (RFC 6901 §6): `#` then the pointer with
/// every character that a fragment may not hold percent-encoded (RFC 3986 §3.5), so that
/// `/paths/~1v1~1users~1{userId}` becomes `#/paths/~1v1~1users~1%7BuserId%7D`.
pub fn to_fragment(pointer: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + 1);
    out.push('#');
    for byte in pointer.bytes() {
        let allowed = byte.is_ascii_alphanumeric()
            // unreserved, sub-delims, and the fragment's own ":" "@" "/" "?"
            || b"-._~!$&'()*+,;=:@/?".contains(&byte);
        if allowed {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The pointer of a local `$ref` (`#/components/schemas/User` → `/components/schemas/User`),
/// percent-decoded (RFC 3986 §2.1). `None` when the reference is not local (it does not
/// start with `#`).
///
/// # Errors
/// [`PointerError::BadPercentEncoding`] for a `%` without two hex digits or a decoded
/// fragment that is not UTF-8.
pub fn from_fragment(reference: &str) -> Result<Option<String>, PointerError> {
    let Some(fragment) = reference.strip_prefix('#') else {
        return Ok(None);
    };
    if !fragment.contains('%') {
        return Ok(Some(fragment.to_owned()));
    }
    let bad = || PointerError::BadPercentEncoding {
        reference: reference.to_owned(),
    };
    let bytes = fragment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = bytes.get(index + 1..index + 3).ok_or_else(bad)?;
            // `from_str_radix` would take `+1`: two hex digits exactly.
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return Err(bad());
            }
            let hex = std::str::from_utf8(hex).map_err(|_| bad())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).map(Some).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_escape_and_unescape_as_rfc_6901_says() {
        assert_eq!(escape("a/b~c"), "a~1b~0c");
        assert_eq!(escape("plain"), "plain");
        assert_eq!(unescape("a~1b~0c").expect("valid"), "a/b~c");
        // `~01` is `~1` unescaped, not `/`: `~1` is replaced first.
        assert_eq!(unescape("~01").expect("valid"), "~1");
        assert!(unescape("~2").is_err());
        assert!(unescape("end~").is_err());
        for token in ["", "~", "/", "~1", "a/b/c", "{userId}", "ü"] {
            assert_eq!(unescape(&escape(token)).expect("round trip"), token);
        }
    }

    #[test]
    fn pointers_join_and_split() {
        let pointer = join(&join("/paths", "/v1/users"), "get");
        assert_eq!(pointer, "/paths/~1v1~1users/get");
        assert_eq!(
            tokens(&pointer).expect("valid"),
            ["paths", "/v1/users", "get"]
        );
        assert_eq!(tokens("").expect("valid"), Vec::<String>::new());
        assert_eq!(tokens("/").expect("valid"), [""]);
        assert!(matches!(
            tokens("paths"),
            Err(PointerError::NoLeadingSlash { .. })
        ));
        assert!(matches!(tokens("/a~x"), Err(PointerError::BadTilde { .. })));
    }

    #[test]
    fn fragments_round_trip_through_percent_encoding() {
        let pointer = "/paths/~1v1~1users~1{userId}/get/responses/200 ok/ü%";
        let fragment = to_fragment(pointer);
        assert_eq!(
            fragment,
            "#/paths/~1v1~1users~1%7BuserId%7D/get/responses/200%20ok/%C3%BC%25"
        );
        assert_eq!(
            from_fragment(&fragment).expect("valid").as_deref(),
            Some(pointer)
        );
        assert_eq!(
            from_fragment("#/components/schemas/User").expect("valid"),
            Some("/components/schemas/User".to_owned())
        );
        assert_eq!(from_fragment("other.json#/a").expect("valid"), None);
        assert!(from_fragment("#/a%2").is_err());
        assert!(from_fragment("#/a%zz").is_err());
        assert!(from_fragment("#/a%FF").is_err());
        assert!(from_fragment("#/a%+1").is_err());
    }
}
