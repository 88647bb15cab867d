//! Small helpers over `serde_json` values shared by the modules that read client JSON.

use serde_json::{Map, Value};

use crate::path::eq_ci;

/// The member `key` of a JSON object, its name compared ignoring ASCII case (the exact spelling wins).
pub(crate) fn get_ci<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key)
        .or_else(|| obj.iter().find_map(|(k, v)| eq_ci(k, key).then_some(v)))
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
