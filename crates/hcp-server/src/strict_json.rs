//! The API's one way of reading a JSON body: strictly.
//!
//! serde's derived `Deserialize` for a struct also accepts a JSON array (its fields in order), so
//! `[null, null]` would be read as an object with two empty fields. The wire contract says
//! "object", so every body is checked after reading: wherever the value that was read serializes
//! to an object, the request must have sent an object there too, at every depth. Unknown fields,
//! duplicate keys and wrong types are already refused by the types themselves.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// What is wrong with a body, in Chinese, with the JSON path of the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrictError(pub String);

/// The shape check for a value serde has read from a request body's bytes.
pub fn check_body<T: Serialize>(bytes: &[u8], read: &T) -> Result<(), StrictError> {
    // Only a body with an array somewhere can have given an array for an object.
    if !bytes.contains(&b'[') {
        return Ok(());
    }
    let sent: Value = serde_json::from_slice(bytes).map_err(|e| StrictError(e.to_string()))?;
    check(&sent, read)
}

/// Reads `T` from an already parsed body: serde's own checks, then the shape check.
pub fn from_value<T: DeserializeOwned + Serialize>(sent: &Value) -> Result<T, StrictError> {
    let value = T::deserialize(sent).map_err(|e| StrictError(e.to_string()))?;
    check(sent, &value)?;
    Ok(value)
}

fn check<T: Serialize>(sent: &Value, read: &T) -> Result<(), StrictError> {
    // A type that cannot be written back as JSON (none of the API's today) is not checked further.
    let Ok(read) = serde_json::to_value(read) else { return Ok(()) };
    match array_for_object(sent, &read, "$") {
        Some(at) => Err(StrictError(format!("{at} 应为对象（JSON object），不能是数组"))),
        None => Ok(()),
    }
}

/// The path of the first place where `sent` has an array and `read` an object.
fn array_for_object(sent: &Value, read: &Value, at: &str) -> Option<String> {
    match (sent, read) {
        (Value::Array(_), Value::Object(_)) => Some(at.to_owned()),
        (Value::Array(s), Value::Array(r)) => {
            s.iter().zip(r).enumerate().find_map(|(i, (s, r))| array_for_object(s, r, &format!("{at}[{i}]")))
        }
        (Value::Object(s), Value::Object(r)) => {
            s.iter().find_map(|(k, s)| r.get(k).and_then(|r| array_for_object(s, r, &format!("{at}.{k}"))))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn from_slice<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Result<T, StrictError> {
        let read: T = serde_json::from_slice(bytes).map_err(|e| StrictError(e.to_string()))?;
        check_body(bytes, &read)?;
        Ok(read)
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        a: Option<i64>,
        b: Option<String>,
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        #[serde(default)]
        inner: Option<Inner>,
        #[serde(default)]
        list: Vec<Inner>,
        #[serde(default)]
        pair: Option<(i64, i64)>,
        #[serde(default)]
        tags: Vec<String>,
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
    enum Tagged {
        Move { to: Inner },
    }

    #[test]
    fn serde_alone_reads_a_struct_from_an_array() {
        // The reason this module exists.
        let lenient: Inner = serde_json::from_str("[null, null]").unwrap();
        assert_eq!(lenient, Inner { a: None, b: None });
    }

    #[test]
    fn an_array_where_an_object_belongs_is_refused_at_every_depth() {
        for (body, at) in [
            ("[null, [], null, []]", "$"),
            (r#"{"inner": [1, "x"]}"#, "$.inner"),
            (r#"{"list": [{"a": 1, "b": null}, [2, "y"]]}"#, "$.list[1]"),
        ] {
            let e = from_slice::<Outer>(body.as_bytes()).unwrap_err();
            assert!(e.0.starts_with(&format!("{at} ")), "{body}: {e:?}");
            let e = from_value::<Outer>(&serde_json::from_str(body).unwrap()).unwrap_err();
            assert!(e.0.starts_with(&format!("{at} ")), "{body}: {e:?}");
        }
        let e = from_slice::<Tagged>(br#"{"kind": "move", "to": [1, null]}"#).unwrap_err();
        assert!(e.0.starts_with("$.to "), "{e:?}");
    }

    #[test]
    fn arrays_where_arrays_belong_are_read() {
        let body =
            r#"{"inner": {"a": 1, "b": "[x]"}, "list": [{"a": null, "b": null}], "pair": [1, 2], "tags": ["a"]}"#;
        let read: Outer = from_slice(body.as_bytes()).unwrap();
        assert_eq!(read.pair, Some((1, 2)));
        assert_eq!(read.list.len(), 1);
        assert_eq!(read.inner.unwrap().b.as_deref(), Some("[x]"));
        let read: Tagged = from_slice(br#"{"kind": "move", "to": {"a": 3, "b": null}}"#).unwrap();
        assert_eq!(read, Tagged::Move { to: Inner { a: Some(3), b: None } });
    }

    #[test]
    fn serdes_own_refusals_stay() {
        assert!(from_slice::<Inner>(br#"{"a": 1, "a": 2, "b": null}"#).is_err(), "duplicate key");
        assert!(from_slice::<Inner>(br#"{"a": 1, "b": null, "c": 0}"#).is_err(), "unknown field");
        assert!(from_slice::<Inner>(br#"{"a": "1", "b": null}"#).is_err(), "wrong type");
    }
}
