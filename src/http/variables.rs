//! The `variables` of a GraphQL request over HTTP, read in the same pass
//! as the rest of the body and kept as JSON text until the operation is
//! known (an ingest batch's rows may then be read straight into their row
//! type, see [`crate::ingest::from_json`]).

use serde_json::value::RawValue;

pub use crate::ingest::from_json::RawVariables;

/// The `variables` of a request, read in the same pass as the rest of the
/// body: each variable kept as its JSON text until the operation is known.
#[derive(Debug, Default)]
pub enum SentVariables {
    /// `null`, or none sent.
    #[default]
    None,
    /// An object: the variables by name.
    Object(RawVariables),
    /// Anything else, which is refused.
    NotAnObject,
}

impl<'de> serde::Deserialize<'de> for SentVariables {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
        struct Sent;
        impl<'de> Visitor<'de> for Sent {
            type Value = SentVariables;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("the variables")
            }
            fn visit_unit<E>(self) -> Result<SentVariables, E> {
                Ok(SentVariables::None)
            }
            fn visit_none<E>(self) -> Result<SentVariables, E> {
                Ok(SentVariables::None)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SentVariables, A::Error> {
                let mut vars = RawVariables::with_capacity(map.size_hint().unwrap_or(1));
                while let Some((name, value)) = map.next_entry::<String, Box<RawValue>>()? {
                    vars.insert(name, value);
                }
                Ok(SentVariables::Object(vars))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SentVariables, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(SentVariables::NotAnObject)
            }
            fn visit_bool<E>(self, _: bool) -> Result<SentVariables, E> {
                Ok(SentVariables::NotAnObject)
            }
            fn visit_i64<E>(self, _: i64) -> Result<SentVariables, E> {
                Ok(SentVariables::NotAnObject)
            }
            fn visit_u64<E>(self, _: u64) -> Result<SentVariables, E> {
                Ok(SentVariables::NotAnObject)
            }
            fn visit_f64<E>(self, _: f64) -> Result<SentVariables, E> {
                Ok(SentVariables::NotAnObject)
            }
            fn visit_str<E>(self, _: &str) -> Result<SentVariables, E> {
                Ok(SentVariables::NotAnObject)
            }
        }
        deserializer.deserialize_any(Sent)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn sent_variables_are_an_object_null_or_refused() {
        let read = |json: &str| serde_json::from_str::<SentVariables>(json).unwrap();
        assert!(matches!(read("null"), SentVariables::None));
        let SentVariables::Object(vars) = read(r#"{"a": [1, {"b": "c"}], "d": null}"#) else {
            panic!("an object")
        };
        assert_eq!(vars["a"].get(), r#"[1, {"b": "c"}]"#);
        assert_eq!(vars["d"].get(), "null");
        for other in ["[1, 2]", "[]", "1", "-1", "1.5", "true", r#""x""#] {
            assert!(matches!(read(other), SentVariables::NotAnObject), "{other}");
        }
        assert!(serde_json::from_str::<SentVariables>("[1,").is_err());
    }
}
