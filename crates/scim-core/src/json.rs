//! Small helpers over `serde_json` values shared by the modules that read client JSON.

use serde_json::{Map, Value};

use crate::path::eq_ci;

// # Member names in any ASCII case
//
// SCIM attribute names are case-insensitive (RFC 7643 §2.1) and Entra sends `Operations`, `Value`, `UserName`.
// Every reader of client JSON finds a member through these three functions, with one precedence: **the exact
// spelling wins; failing that, the first other spelling in the object's key order**. serde_json's `Map` keeps
// its keys sorted, so the choice never depends on the order in which the client wrote them. `null` is a value
// like any other here (PATCH tells an explicit `null` from a missing `value`); readers for which `null` means
// unassigned (RFC 7643 §2.5) use [`get_ci_or_null`].

/// The member `key` of `obj`, its name compared ignoring ASCII case (precedence above).
pub(crate) fn get_ci<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key)
        .or_else(|| obj.iter().find_map(|(k, v)| eq_ci(k, key).then_some(v)))
}

/// [`get_ci`] on any JSON value: `None` when `value` is not an object.
pub(crate) fn member<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    get_ci(value.as_object()?, key)
}

/// The `null` that absent members read as.
pub(crate) static NULL: Value = Value::Null;

/// [`get_ci`], a missing member read as `null`: for readers that treat both as unassigned.
pub(crate) fn get_ci_or_null<'a>(obj: &'a Map<String, Value>, key: &str) -> &'a Value {
    get_ci(obj, key).unwrap_or(&NULL)
}

/// Removes every spelling of `key` from `obj`; returns the value [`get_ci`] would have read.
pub(crate) fn take_ci(obj: &mut Map<String, Value>, key: &str) -> Option<Value> {
    let keys: Vec<String> = obj.keys().filter(|k| eq_ci(k, key)).cloned().collect();
    let mut found = None;
    // `keys` is in key order: the first one removed is the first other spelling.
    for k in keys {
        if let Some(v) = obj.remove(&k) {
            if k == key || found.is_none() {
                found = Some(v);
            }
        }
    }
    found
}

/// Sets `key` (canonical spelling), removing any other spelling of it.
pub(crate) fn set_ci(obj: &mut Map<String, Value>, key: &str, value: Value) {
    take_ci(obj, key);
    obj.insert(key.to_string(), value);
}

/// The elements of a multi-valued attribute's value as a client sends it: an array's elements, a single
/// value as one element, `null` as none (RFC 7643 §2.5: unassigned).
pub(crate) fn elements(value: &Value) -> &[Value] {
    match value {
        Value::Null => &[],
        Value::Array(a) => a,
        other => std::slice::from_ref(other),
    }
}

/// What kind of JSON value `v` is, for error messages ("a string", "an array", ...).
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Entra sends booleans as strings ("True", "False", "false"): the boolean a word stands for, if any.
pub(crate) fn bool_word(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(o) => o,
            _ => Map::new(),
        }
    }

    #[test]
    fn one_precedence_for_every_spelling() {
        // The exact spelling wins, even over a value written later.
        let o = obj(json!({"VALUE": 1, "value": 2, "Value": 3}));
        assert_eq!(get_ci(&o, "value"), Some(&json!(2)));
        // Otherwise the first other spelling in key order ("VALUE" < "Value").
        assert_eq!(get_ci(&o, "vALUE"), Some(&json!(1)));
        assert_eq!(get_ci(&o, "display"), None);
        assert_eq!(get_ci_or_null(&o, "display"), &Value::Null);
        // `null` is a value for the look-up.
        let o = obj(json!({"value": null, "VALUE": 1}));
        assert_eq!(get_ci(&o, "value"), Some(&Value::Null));
    }

    #[test]
    fn take_and_set_remove_every_spelling() {
        let mut o = obj(json!({"VALUE": 1, "Value": 3, "other": 0}));
        assert_eq!(
            take_ci(&mut o, "value"),
            Some(json!(1)),
            "what get_ci reads"
        );
        assert_eq!(o, obj(json!({"other": 0})));
        let mut o = obj(json!({"VALUE": 1, "value": 2}));
        set_ci(&mut o, "value", json!(5));
        assert_eq!(o, obj(json!({"value": 5})));
    }
}
