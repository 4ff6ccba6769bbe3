//! The `open_enum!` macro behind [`crate::open_enums`]: a string enum whose unknown values
//! are kept, not refused.
//!
//! The API promises that an enum in a response or webhook payload may gain values in any
//! minor version. A closed Rust enum would make every such release a deserialization error in
//! deployed clients; an open one reads the new value into `Unknown(raw)`, serializes it back
//! as it came, and lets callers match the values they know.

/// Declares an open string enum: one unit variant per known value, and
/// `Unknown(String)` for any other.
#[macro_export]
#[doc(hidden)]
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $($value:literal => $variant:ident),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $(
                #[doc = concat!("`", $value, "`")]
                $variant,
            )+
            /// A value this version of the client does not know, as received.
            Unknown(String),
        }

        impl $name {
            /// The known values, in the order the spec lists them.
            pub const VALUES: &'static [&'static str] = &[$($value),+];

            /// The value as written on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $value,)+
                    $name::Unknown(raw) => raw,
                }
            }

            /// Whether this is a value the client knows.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Unknown(_))
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($value => $name::$variant,)+
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                match value.as_str() {
                    $($value => $name::$variant,)+
                    _ => $name::Unknown(value),
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;

            /// Never fails: an unknown value is `Unknown`.
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok($name::from(value))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map($name::from)
            }
        }
    };
}
