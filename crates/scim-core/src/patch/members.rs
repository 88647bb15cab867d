//! Group membership as set operations.

use super::*;
use crate::json::elements;
use crate::resource::first_of_each;

/// Group membership changes that can be applied as set operations in the store (so a 50k-member group is
/// never loaded and rewritten for one member).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberChange {
    /// Add these user ids (already-present ones are left alone).
    Add(Vec<String>),
    /// Remove these user ids (absent ones are ignored).
    Remove(Vec<String>),
    /// Remove every member.
    RemoveAll,
    /// The members become exactly these user ids.
    Replace(Vec<String>),
}

/// Splits `req` into the operations on `members` and the rest. The member operations become, in order:
/// - add `members` with a value -> `Add(ids)`;
/// - replace `members` -> `Replace(ids)` (empty / `null` -> `Replace([])`);
/// - remove `members` without a value -> `RemoveAll`; with a value (Entra's legacy shape) -> `Remove(ids)`;
/// - remove `members[value eq "a" or value eq "b"]` -> `Remove(["a", "b"])`; any other filter ->
///   400 invalidFilter;
/// - a path-less add/replace whose value has a `members` key: that key as above, the other keys stay in
///   the remaining request.
///
/// Ids come from `{"value": id}` elements (`$ref`, `display`, `type` are ignored) or bare strings.
/// Sub-attribute paths (`members.value`, `members[...].display`) -> 400 mutability.
pub fn split_member_changes(
    req: &PatchRequest,
) -> Result<(PatchRequest, Vec<MemberChange>), ScimError> {
    let mut rest = Vec::new();
    let mut changes = Vec::new();
    for op in &req.operations {
        match &op.path {
            Some(path) if is_members(&path.attr) => {
                if path.attr.sub.is_some() || path.sub_attr.is_some() {
                    return Err(ScimError::mutability(
                        "the sub-attributes of 'members' cannot be changed",
                    ));
                }
                if let Some(change) = member_change(op.op, path.filter.as_ref(), op.value.as_ref())?
                {
                    changes.push(change);
                }
            }
            Some(_) => rest.push(op.clone()),
            None => {
                let Some(Value::Object(obj)) = &op.value else {
                    rest.push(op.clone());
                    continue;
                };
                let mut others = obj.clone();
                let values: Vec<Value> = ["members".to_string(), format!("{GROUP_SCHEMA}:members")]
                    .iter()
                    .filter_map(|k| take_ci(&mut others, k))
                    .collect();
                if values.is_empty() {
                    rest.push(op.clone());
                    continue;
                }
                for members in &values {
                    if let Some(change) = member_change(op.op, None, Some(members))? {
                        changes.push(change);
                    }
                }
                if !others.is_empty() {
                    rest.push(PatchOperation {
                        value: Some(Value::Object(others)),
                        ..op.clone()
                    });
                }
            }
        }
    }
    Ok((PatchRequest { operations: rest }, changes))
}

fn is_members(attr: &AttrPath) -> bool {
    attr.is("members") && attr.urn.as_deref().is_none_or(|u| eq_ci(u, GROUP_SCHEMA))
}

fn member_change(
    op: PatchOpKind,
    filter: Option<&ValueFilter>,
    value: Option<&Value>,
) -> Result<Option<MemberChange>, ScimError> {
    match (op, filter) {
        (PatchOpKind::Remove, Some(f)) => {
            let mut ids = Vec::new();
            member_filter_ids(f, &mut ids)?;
            Ok(Some(MemberChange::Remove(first_of_each(
                ids,
                String::as_str,
            ))))
        }
        (_, Some(_)) => Err(ScimError::invalid_path(
            "members can only be added or replaced as a whole, not through a filter",
        )),
        (PatchOpKind::Add, None) => {
            let ids = member_ids(value.unwrap_or(&Value::Null))?;
            Ok((!ids.is_empty()).then_some(MemberChange::Add(ids)))
        }
        (PatchOpKind::Replace, None) => Ok(Some(MemberChange::Replace(member_ids(
            value.unwrap_or(&Value::Null),
        )?))),
        (PatchOpKind::Remove, None) => match value {
            None | Some(Value::Null) => Ok(Some(MemberChange::RemoveAll)),
            Some(v) => {
                let ids = member_ids(v)?;
                Ok((!ids.is_empty()).then_some(MemberChange::Remove(ids)))
            }
        },
    }
}

/// `value eq "id"` joined by `or`: the ids; anything else -> invalidFilter.
fn member_filter_ids(filter: &ValueFilter, ids: &mut Vec<String>) -> Result<(), ScimError> {
    match filter {
        ValueFilter::Or(a, b) => {
            member_filter_ids(a, ids)?;
            member_filter_ids(b, ids)
        }
        ValueFilter::Compare {
            path,
            op: CompareOp::Eq,
            value: CompValue::String(id),
        } if path.urn.is_none()
            && (path.is("value") && path.sub.is_none()
                || path.is("members")
                    && path.sub.as_deref().is_some_and(|s| eq_ci(s, "value"))) =>
        {
            ids.push(id.clone());
            Ok(())
        }
        _ => Err(ScimError::invalid_filter(
            "a members filter must be 'value eq \"<id>\"', optionally joined by 'or'",
        )),
    }
}

/// The member ids of a members value: an array (or one) of `{"value": id}` objects or id strings.
fn member_ids(value: &Value) -> Result<Vec<String>, ScimError> {
    let items = elements(value);
    let mut ids = Vec::with_capacity(items.len());
    for item in items {
        let id = match item {
            Value::String(s) => Some(s),
            Value::Object(o) => match get_ci(o, "value") {
                Some(Value::String(s)) => Some(s),
                _ => None,
            },
            _ => None,
        };
        match id {
            Some(id) if !id.is_empty() => ids.push(id.clone()),
            _ => {
                return Err(ScimError::invalid_value(
                    "each member must be an object with a non-empty string 'value' (the user id)",
                ))
            }
        }
    }
    Ok(first_of_each(ids, String::as_str))
}
