//! Deserialization of the API's tagged unions.
//!
//! Every union (users, requests, verification sessions, webhook events) is published as a
//! `oneOf` whose branches each carry their own tag property, and serialized with
//! `#[serde(untagged)]` because each branch writes its own tag. Deserializing an untagged enum
//! with serde's derive would try each branch in turn and, on failure, only say that nothing
//! matched; this macro reads the tag first and deserializes the one branch it names, so an
//! error names the offending field of that branch, or the unknown tag and the known ones.

/// Implements `Deserialize` for a union by dispatching on its tag property.
macro_rules! deserialize_by_tag {
    ($union:ident, $tag:literal, { $($value:literal => $variant:ident($branch:ty)),+ $(,)? }) => {
        impl<'de> serde::Deserialize<'de> for $union {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                use serde::de::Error as _;
                let value = serde_json::Value::deserialize(deserializer)?;
                let Some(object) = value.as_object() else {
                    return Err(D::Error::custom(concat!(
                        "expected a JSON object with a `", $tag, "` property"
                    )));
                };
                let tag = match object.get($tag) {
                    None => return Err(D::Error::missing_field($tag)),
                    Some(serde_json::Value::String(tag)) => tag.clone(),
                    Some(_) => {
                        return Err(D::Error::custom(concat!("`", $tag, "` must be a string")))
                    }
                };
                match tag.as_str() {
                    $($value => serde_json::from_value::<$branch>(value)
                        .map($union::$variant)
                        .map_err(D::Error::custom),)+
                    other => Err(D::Error::unknown_variant(other, &[$($value),+])),
                }
            }
        }
    };
}

pub(crate) use deserialize_by_tag;
