//! Value normalisation: a client's value in the canonical form of its attribute definition.

use super::*;
use crate::json::elements;

/// The elements of a multi-valued attribute's value: an array, or a single value taken as one element;
/// `null` and unassigned elements are dropped.
pub(crate) fn normalize_elements(
    def: &AttributeDef,
    value: &Value,
) -> Result<Vec<Value>, ScimError> {
    let items = elements(value);
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if let Some(v) = normalize_single(def, item)? {
            out.push(v);
        }
    }
    Ok(out)
}

/// One value of `def` (a single-valued attribute's value, or one element of a multi-valued one) in canonical
/// form; `None` when unassigned.
pub(crate) fn normalize_single(
    def: &AttributeDef,
    value: &Value,
) -> Result<Option<Value>, ScimError> {
    let wrong = |expected: &str| {
        ScimError::invalid_value(format!(
            "attribute '{}' expects {expected}, got {}",
            def.name,
            kind(value)
        ))
    };
    if value.is_null() {
        return Ok(None);
    }
    match def.ty {
        AttrType::String | AttrType::Reference | AttrType::Binary => match value {
            Value::String(_) => Ok(Some(value.clone())),
            _ => Err(wrong("a string")),
        },
        AttrType::DateTime => match value {
            Value::String(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => {
                Ok(Some(value.clone()))
            }
            _ => Err(wrong("an RFC 3339 date-time")),
        },
        AttrType::Boolean => match value {
            Value::Bool(_) => Ok(Some(value.clone())),
            Value::String(s) if eq_ci(s.trim(), "true") => Ok(Some(Value::Bool(true))),
            Value::String(s) if eq_ci(s.trim(), "false") => Ok(Some(Value::Bool(false))),
            _ => Err(wrong("a boolean")),
        },
        AttrType::Integer => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(Some(value.clone())),
            _ => Err(wrong("an integer")),
        },
        AttrType::Decimal => match value {
            Value::Number(_) => Ok(Some(value.clone())),
            _ => Err(wrong("a number")),
        },
        AttrType::Complex => match value {
            Value::Object(o) => normalize_complex(def, o),
            // `"<id>"` for `{"value": "<id>"}` (manager, members).
            Value::String(s) if def.sub_attribute("value").is_some() => {
                let mut o = Map::new();
                o.insert("value".into(), Value::String(s.clone()));
                normalize_complex(def, &o)
            }
            // Legacy single-valued complex in a one-element array (`manager: [{"value": ...}]`).
            Value::Array(a) if !def.multi_valued => match a.as_slice() {
                [] => Ok(None),
                [one] if !one.is_array() => normalize_single(def, one),
                _ => Err(wrong("a single value")),
            },
            _ => Err(wrong("an object")),
        },
    }
}

fn normalize_complex(
    def: &AttributeDef,
    obj: &Map<String, Value>,
) -> Result<Option<Value>, ScimError> {
    let mut out = Map::new();
    for (k, v) in obj {
        // Unknown sub-attributes are not stored by Humbol, readOnly ones are the server's: both ignored.
        let Some(sub) = def.sub_attribute(k) else {
            continue;
        };
        if sub.mutability == Mutability::ReadOnly {
            continue;
        }
        let nv = if sub.multi_valued {
            let items = normalize_elements(sub, v).map_err(|e| qualify(e, def, sub))?;
            (!items.is_empty()).then_some(Value::Array(items))
        } else {
            normalize_single(sub, v).map_err(|e| qualify(e, def, sub))?
        };
        match nv {
            Some(nv) => set_ci(&mut out, sub.name, nv),
            None => {
                take_ci(&mut out, sub.name);
            }
        }
    }
    if def.name == "roles" {
        decode_string_encoded_role(&mut out)?;
    }
    if out.get("value").and_then(Value::as_str) == Some("") {
        return Ok(None);
    }
    Ok((!out.is_empty()).then_some(Value::Object(out)))
}

/// Entra's legacy roles: `{"value": "{\"id\":\"06b0...\",\"value\":\"Admin\",\"displayName\":\"Admin\"}"}`,
/// a role object encoded as a string in `value`. Becomes `{"value": "Admin", "primary": true}`.
/// ([`crate::resource::decode_role`], the decoder `User::from_json` uses for POST and PUT.)
fn decode_string_encoded_role(role: &mut Map<String, Value>) -> Result<(), ScimError> {
    let Some(Value::String(s)) = role.get("value") else {
        return Ok(());
    };
    let Some(value) = crate::resource::decode_role(s)? else {
        return Ok(());
    };
    role.insert("value".into(), Value::String(value));
    // Entra's string-encoded role is its one app role assignment: the primary role.
    role.entry("primary").or_insert(Value::Bool(true));
    Ok(())
}

/// Names a sub-attribute's value error after its full path: `attribute 'emails.value' expects ...`.
pub(super) fn qualify(e: ScimError, parent: &AttributeDef, sub: &AttributeDef) -> ScimError {
    ScimError {
        detail: e.detail.replacen(
            &format!("attribute '{}'", sub.name),
            &format!("attribute '{}.{}'", parent.name, sub.name),
            1,
        ),
        ..e
    }
}
