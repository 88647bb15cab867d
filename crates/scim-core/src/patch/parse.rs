//! Parsing a PatchOp body (RFC 7644 §3.5.2): `schemas`, `Operations`, each `op`, `path` and `value`.

use super::*;

/// Parses a PATCH `path` string (an extension URN alone, `urn:...:enterprise:2.0:User`, parses as the URN
/// `urn:...:2.0` and the name `User`: [`ResourceTypeDef::schema_named`] recognises it when it is applied).
pub(super) fn parse_path(s: &str) -> Result<PatchPath, ScimError> {
    s.parse::<PatchPath>()
}

impl PatchRequest {
    /// Parses a PatchOp body: `schemas` must contain the PatchOp URN (else 400 invalidSyntax); `Operations`
    /// (key case-insensitive) non-empty; `op` case-insensitive ("Add", "Replace", "remove"); invalid op ->
    /// invalidSyntax; path parse errors -> invalidPath; remove without path -> noTarget; add/replace without
    /// value -> invalidValue.
    pub fn from_json(body: &Value) -> Result<PatchRequest, ScimError> {
        let obj = body
            .as_object()
            .ok_or_else(|| ScimError::invalid_syntax("a PATCH body must be a JSON object"))?;
        let has_schema = get_ci(obj, "schemas")
            .and_then(Value::as_array)
            .is_some_and(|a| {
                a.iter()
                    .any(|s| s.as_str().is_some_and(|s| eq_ci(s, PATCH_OP_SCHEMA)))
            });
        if !has_schema {
            return Err(ScimError::invalid_syntax(format!(
                "'schemas' must contain \"{PATCH_OP_SCHEMA}\""
            )));
        }
        let ops = get_ci(obj, "Operations")
            .and_then(Value::as_array)
            .ok_or_else(|| ScimError::invalid_syntax("'Operations' must be an array"))?;
        if ops.is_empty() {
            return Err(ScimError::invalid_syntax(
                "'Operations' must contain at least one operation",
            ));
        }
        let operations = ops
            .iter()
            .enumerate()
            .map(|(i, op)| parse_operation(i, op))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PatchRequest { operations })
    }
}

fn parse_operation(i: usize, op: &Value) -> Result<PatchOperation, ScimError> {
    let obj = op.as_object().ok_or_else(|| {
        ScimError::invalid_syntax(format!("Operations[{i}] must be a JSON object"))
    })?;
    let kind = match get_ci(obj, "op") {
        Some(Value::String(s)) => PatchOpKind::parse(s).ok_or_else(|| {
            ScimError::invalid_syntax(format!(
                "Operations[{i}]: unknown op \"{s}\" (expected add, replace or remove)"
            ))
        })?,
        _ => {
            return Err(ScimError::invalid_syntax(format!(
                "Operations[{i}]: 'op' must be \"add\", \"replace\" or \"remove\""
            )))
        }
    };
    let path = match get_ci(obj, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(
            parse_path(s.trim())
                .map_err(|e| ScimError::invalid_path(format!("Operations[{i}]: {}", e.detail)))?,
        ),
        Some(_) => {
            return Err(ScimError::invalid_path(format!(
                "Operations[{i}]: 'path' must be a string"
            )))
        }
    };
    let value = get_ci(obj, "value").cloned();
    match kind {
        PatchOpKind::Remove if path.is_none() => Err(ScimError::no_target(format!(
            "Operations[{i}]: remove requires a 'path'"
        ))),
        PatchOpKind::Add | PatchOpKind::Replace if value.is_none() => {
            Err(ScimError::invalid_value(format!(
                "Operations[{i}]: {} requires a 'value'",
                if kind == PatchOpKind::Add {
                    "add"
                } else {
                    "replace"
                }
            )))
        }
        _ => Ok(PatchOperation {
            op: kind,
            path,
            value,
        }),
    }
}
