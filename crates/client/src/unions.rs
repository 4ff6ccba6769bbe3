//! The API's discriminated unions as real tagged enums over the generated branch types.
//!
//! typify renders a `oneOf` with a `discriminator` as `#[serde(untagged)]`, which tries every
//! branch and on failure only says that none matched. These enums read the discriminator
//! first and deserialize the one branch it names, so an error names the unknown tag (and the
//! known ones) or the offending field of the right branch. Each branch type is generated and
//! carries its own tag field, so serializing a value always writes the tag.
//!
//! `cargo xtask client` points the generator at this module for every discriminated union
//! of the spec; a new union fails to compile until it is declared here.

use crate::types;

/// Declares a union over generated branch types, dispatching deserialization on `$tag`.
macro_rules! tagged_union {
    (
        $(#[$meta:meta])*
        $name:ident by $tag:literal {
            $($(#[$variant_meta:meta])* $value:literal => $variant:ident($branch:ty)),+ $(,)?
        }
        $(unknown => $(#[$unknown_meta:meta])* $unknown:ident)?
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, serde::Serialize)]
        #[serde(untagged)]
        // Values are built once per call or event; boxing the larger branch would burden
        // every caller's pattern matching for no measurable gain.
        #[allow(clippy::large_enum_variant)]
        pub enum $name {
            $($(#[$variant_meta])* $variant($branch),)+
            $($(#[$unknown_meta])* $unknown($crate::unions::Unknown),)?
        }

        impl $name {
            /// The discriminator's values, one per branch.
            pub const TAGS: &'static [&'static str] = &[$($value),+];

            /// The discriminator's value of this branch.
            pub fn tag(&self) -> &str {
                match self {
                    $($name::$variant(_) => $value,)+
                    $($name::$unknown(unknown) => &unknown.tag,)?
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                use serde::de::Error as _;
                let value = serde_json::Value::deserialize(deserializer)?;
                let tag = match value.get($tag) {
                    _ if !value.is_object() => {
                        return Err(D::Error::custom(concat!(
                            "expected a JSON object with a `", $tag, "` property"
                        )));
                    }
                    None => return Err(D::Error::missing_field($tag)),
                    Some(serde_json::Value::String(tag)) => tag.clone(),
                    Some(_) => {
                        return Err(D::Error::custom(concat!("`", $tag, "` must be a string")));
                    }
                };
                match tag.as_str() {
                    $($value => serde_json::from_value::<$branch>(value)
                        .map($name::$variant)
                        .map_err(D::Error::custom),)+
                    other => {
                        // A union declared with `unknown =>` keeps what it does not know.
                        let unknown: Option<fn($crate::unions::Unknown) -> Self> =
                            None $(.or(Some($name::$unknown as fn($crate::unions::Unknown) -> Self)))?;
                        match unknown {
                            Some(make) => Ok(make($crate::unions::Unknown {
                                tag: other.to_owned(),
                                value,
                            })),
                            None => Err(D::Error::unknown_variant(other, Self::TAGS)),
                        }
                    }
                }
            }
        }

        $(
            impl From<$branch> for $name {
                fn from(branch: $branch) -> Self {
                    $name::$variant(branch)
                }
            }
        )+
    };
}

pub(crate) use tagged_union;

/// A member of a union this version of the client does not know (a webhook event type added
/// after it was generated): its discriminator value and the whole value as received.
/// Serializing it writes the value back unchanged.
#[derive(Clone, Debug, PartialEq)]
pub struct Unknown {
    /// The discriminator's value (`event` of a webhook).
    pub tag: String,
    /// The whole value, discriminator included.
    pub value: serde_json::Value,
}

impl serde::Serialize for Unknown {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

tagged_union! {
    /// The request body of `createUser`: an individual or a business, told apart by `type`.
    CreateUserRequest by "type" {
        /// Creates an individual user.
        "individual" => Individual(types::CreateIndividualUserRequest),
        /// Creates a business user.
        "business" => Business(types::CreateBusinessUserRequest),
    }
}

tagged_union! {
    /// The request body of `updateUser`; its `type` must be the stored user's type.
    UpdateUserRequest by "type" {
        /// Changes an individual user.
        "individual" => Individual(types::UpdateIndividualUserRequest),
        /// Changes a business user.
        "business" => Business(types::UpdateBusinessUserRequest),
    }
}

tagged_union! {
    /// A user: an individual or a business, told apart by `type`.
    User by "type" {
        /// An individual user.
        "individual" => Individual(types::IndividualUser),
        /// A business user.
        "business" => Business(types::BusinessUser),
    }
}

tagged_union! {
    /// The request body of `createVerification`: a hosted or a direct session, told apart by
    /// `type`.
    CreateVerificationRequest by "type" {
        /// A hosted session: the user completes the check at `provider_link`.
        "embedded-link" => EmbeddedLink(types::EmbeddedLinkVerificationRequest),
        /// A direct session: the KYC/KYB data is in the request.
        "api" => Api(types::ApiVerificationRequest),
    }
}

impl User {
    /// The user's id, whatever its kind.
    pub fn id(&self) -> uuid::Uuid {
        match self {
            User::Individual(user) => user.id,
            User::Business(user) => user.id,
        }
    }

    /// The user's verification status, whatever its kind.
    pub fn verification_status(&self) -> crate::open_enums::VerificationStatus {
        match self {
            User::Individual(user) => user.verification_status.clone(),
            User::Business(user) => user.verification_status.clone(),
        }
    }
}
