//! PATCH (RFC 7644 §3.5.2) with Microsoft Entra's legacy and compliant dialects.
//!
//! A PATCH is applied to a resource's canonical SCIM JSON (as `User::to_json` / `Group::to_json` write it:
//! canonical attribute names, extension attributes inside an object keyed by the extension URN), guided by the
//! attribute definitions of [`crate::schema`]. The caller reads the result back with `User::from_json` /
//! `Group::from_json`, which validate Humbol's own rules (one role, role list, ...).
//!
//! # Rules
//! - **Parsing** ([`PatchRequest::from_json`]): `schemas` must contain the PatchOp URN; `Operations` (key in any
//!   case) is a non-empty array; `op`, `path` and `value` keys are read in any case; `op` is `add`, `replace`
//!   or `remove` in any case. Errors: bad structure or `op` -> `invalidSyntax`; unparsable `path` ->
//!   `invalidPath`; `remove` without `path` -> `noTarget`; `add`/`replace` without `value` -> `invalidValue`.
//! - **Path-less add/replace**: the value is an object; each key (attribute name in any case, dotted
//!   `name.givenName`, URN-qualified `urn:...:User:department`, or an extension URN whose value is an object
//!   of that extension's attributes) is applied as its own operation with that path. A `schemas` key is ignored.
//! - **Values** are normalised against the attribute definition before they are written: booleans given as
//!   strings (`"True"`, `"false"`) become booleans; a bare string for a complex attribute with a `value`
//!   sub-attribute becomes `{"value": s}` (manager, members); a one-element array for a single-valued complex
//!   attribute is unwrapped (legacy manager); `null` sub-attributes, unknown and readOnly sub-attributes are
//!   dropped; a complex value whose `value` is `""` is unassigned (manager `""` / `{"value":""}`); a role whose
//!   `value` is a JSON object encoded in a string (Entra's legacy roles) is decoded. A value of the wrong
//!   type -> `invalidValue`. `null` means unassigned (RFC 7643 §2.5).
//! - **add**: single-valued attribute -> set (a complex one merges sub-attributes); multi-valued -> append the
//!   given values, skipping duplicates: an element whose sub-attributes (`$ref` aside) all equal those of an
//!   existing element adds nothing (so re-adding a member is a no-op). Except `roles`: a Humbol user has
//!   exactly one role, so an add on `roles` replaces the list. A new element with `primary: true` clears
//!   `primary` on the others (RFC 7643 §2.4).
//! - **replace**: sets the attribute; a complex or multi-valued attribute is replaced as a whole;
//!   `null` / empty clears it.
//! - **remove**: removes the attribute. With a `value` on a multi-valued attribute (Entra's legacy members
//!   remove), removes only the listed elements (matched by `value` when the attribute has one).
//! - **Value filters** (`emails[type eq "work"].value`): add/replace set the sub-attribute of every matching
//!   element; without a sub-attribute, replace replaces the matching elements and add merges the value's
//!   sub-attributes into them. When nothing matches and the filter is a conjunction of `eq` comparisons, exactly one
//!   element is created from those comparisons plus the value (so Entra's `addresses[type eq "work"].locality`
//!   then `.region` build up one address); otherwise `noTarget`. remove deletes matching elements (or their
//!   sub-attribute); nothing matching is a successful no-op.
//! - **Mutability**: `id`, `meta`, readOnly and immutable sub-attributes (`meta.created`,
//!   `members[...].value`) as a path -> `mutability`; immutable attributes may only be added when unassigned. `schemas`, unknown attributes and unknown URNs -> `invalidPath`.
//! - Attribute names compare case-insensitively; results are written under canonical names, replacing any
//!   non-canonical spelling already present.
//! - **Atomic**: [`apply`] works on a copy and returns it only when every operation succeeded.
//! - **Groups**: [`split_member_changes`] turns the operations on `members` into set operations for the
//!   store, so that a large group is never loaded to add or remove one member; [`apply`] gives the same
//!   result in memory.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::filter::{CompValue, CompareOp, Filter};
use crate::json::{get_ci, kind, set_ci, take_ci};
use crate::path::{eq_ci, AttrPath, PatchPath};
use crate::schema::{
    resolve, AttrType, AttributeDef, Mutability, ResourceTypeDef, SchemaDef, Unresolved,
    GROUP_SCHEMA, PATCH_OP_SCHEMA,
};

/// The `op` of a PATCH operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchOpKind {
    Add,
    Replace,
    Remove,
}

impl PatchOpKind {
    /// Reads `add` / `replace` / `remove` in any case.
    fn parse(s: &str) -> Option<PatchOpKind> {
        if eq_ci(s, "add") {
            Some(PatchOpKind::Add)
        } else if eq_ci(s, "replace") {
            Some(PatchOpKind::Replace)
        } else if eq_ci(s, "remove") {
            Some(PatchOpKind::Remove)
        } else {
            None
        }
    }
}

/// One PATCH operation. `value` is `None` when the request had no `value` key; an explicit JSON `null` is
/// `Some(Value::Null)` (unassigned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchOperation {
    pub op: PatchOpKind,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

/// A parsed PatchOp request body (RFC 7644 §3.5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchRequest {
    pub operations: Vec<PatchOperation>,
}

/// Parses a PATCH `path` string (an extension URN alone, `urn:...:enterprise:2.0:User`, parses as the URN
/// `urn:...:2.0` and the name `User`: [`ResourceTypeDef::schema_named`] recognises it when it is applied).
fn parse_path(s: &str) -> Result<PatchPath, ScimError> {
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

/// Applies every operation, in order, to a copy of `resource`; returns the new JSON only if all succeeded
/// (atomic: on error the input is untouched and the first error is returned).
pub fn apply(
    rt: &ResourceTypeDef,
    resource: &Value,
    req: &PatchRequest,
) -> Result<Value, ScimError> {
    let mut root = resource
        .as_object()
        .cloned()
        .ok_or_else(|| ScimError::internal("PATCH target is not a JSON object"))?;
    for op in &req.operations {
        apply_operation(rt, &mut root, op)?;
    }
    Ok(Value::Object(root))
}

fn apply_operation(
    rt: &ResourceTypeDef,
    root: &mut Map<String, Value>,
    op: &PatchOperation,
) -> Result<(), ScimError> {
    match &op.path {
        Some(path) => apply_path(rt, root, op.op, path, op.value.as_ref()),
        None => {
            let value = match &op.value {
                Some(v) => v,
                None => {
                    return Err(match op.op {
                        PatchOpKind::Remove => ScimError::no_target("remove requires a 'path'"),
                        _ => ScimError::invalid_value("add and replace require a 'value'"),
                    })
                }
            };
            if op.op == PatchOpKind::Remove {
                return Err(ScimError::no_target("remove requires a 'path'"));
            }
            let obj = value.as_object().ok_or_else(|| {
                ScimError::invalid_value(
                    "without a 'path', the 'value' must be an object of attributes",
                )
            })?;
            for (key, v) in obj {
                apply_key(rt, root, op.op, key, v)?;
            }
            Ok(())
        }
    }
}

/// One key of a path-less add/replace value, applied as if it were the op's path.
fn apply_key(
    rt: &ResourceTypeDef,
    root: &mut Map<String, Value>,
    op: PatchOpKind,
    key: &str,
    value: &Value,
) -> Result<(), ScimError> {
    if eq_ci(key, "schemas") {
        return Ok(());
    }
    // Okta renames a group with `{"op": "replace", "value": {"id": <its id>, "displayName": ..}}`: the
    // resource's own id (when the target carries it) is no change; any other id is a readOnly violation.
    if eq_ci(key, "id") && get_ci(root, "id").is_some_and(|own| own == value) {
        return Ok(());
    }
    // The key is parsed as a path, by the one path parser: `name.givenName`, `urn:...:User:department`,
    // an extension URN alone (its object of attributes), `emails[type eq "work"].value`.
    let path = parse_path(key).map_err(|e| ScimError::invalid_path(e.detail))?;
    apply_path(rt, root, op, &path, Some(value))
}

/// The extension schema a path designates as a whole (`urn:...:enterprise:2.0:User`), if it does.
fn extension_target(rt: &ResourceTypeDef, path: &PatchPath) -> Option<&'static SchemaDef> {
    if path.filter.is_some() || path.sub_attr.is_some() {
        return None;
    }
    rt.schema_named(&path.attr)
        .filter(|s| !std::ptr::eq(*s, rt.schema))
}

/// add/replace/remove of a whole extension (`path` or path-less key = the extension URN): add/replace apply
/// each attribute of the object value as its own operation; remove (or a `null` value) drops the extension.
fn apply_extension(
    rt: &ResourceTypeDef,
    root: &mut Map<String, Value>,
    op: PatchOpKind,
    ext: &'static SchemaDef,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let value = match (op, value) {
        (PatchOpKind::Remove, _) | (_, None | Some(Value::Null)) => {
            take_ci(root, ext.id);
            return Ok(());
        }
        (_, Some(v)) => v,
    };
    let obj = value.as_object().ok_or_else(|| {
        ScimError::invalid_value(format!("the value of '{}' must be an object", ext.id))
    })?;
    // A `schemas` key inside the extension object (some clients send it) is ignored, as at the top level.
    for (key, v) in obj.iter().filter(|(k, _)| !eq_ci(k, "schemas")) {
        let unknown = || ScimError::invalid_path(format!("unknown attribute '{}:{key}'", ext.id));
        // Each key is an attribute path inside the extension: parsed by the one parser, then qualified.
        let inner = key
            .parse::<AttrPath>()
            .ok()
            .filter(|p| p.urn.is_none())
            .ok_or_else(unknown)?;
        let qualified = AttrPath {
            urn: Some(ext.id.to_string()),
            ..inner
        };
        let (_, def, sub) = resolve_attr(rt, &qualified)?;
        apply_target(root, op, Some(ext), def, None, sub, Some(v))?;
    }
    Ok(())
}

/// Resolves an attribute path through the schema's resolver ([`crate::schema::resolve`]): `(extension
/// schema holding it, if any; definition; sub-attribute)`, or the `invalidPath` naming what is unknown.
fn resolve_attr(
    rt: &ResourceTypeDef,
    attr: &AttrPath,
) -> Result<
    (
        Option<&'static SchemaDef>,
        &'static AttributeDef,
        Option<&'static AttributeDef>,
    ),
    ScimError,
> {
    let urn = attr.urn.as_deref();
    if urn.is_none_or(|u| eq_ci(u, rt.schema.id)) && attr.is("schemas") {
        return Err(ScimError::invalid_path("'schemas' cannot be patched"));
    }
    match resolve(attr, rt) {
        Ok(r) => {
            let ext = r.schema.filter(|s| !std::ptr::eq(*s, rt.schema));
            Ok((ext, r.attr, r.sub))
        }
        Err(why) => Err(ScimError::invalid_path(
            match (why, urn, attr.sub.as_deref()) {
                (Unresolved::UnknownSchema, Some(u), _) => format!("unknown schema '{u}'"),
                (Unresolved::NoSubAttributes(def), _, _) => {
                    format!("attribute '{}' has no sub-attributes", def.name)
                }
                (Unresolved::UnknownSubAttribute(def), _, Some(sub)) => {
                    format!("unknown attribute '{}.{sub}'", def.name)
                }
                (_, Some(u), _) => format!("unknown attribute '{u}:{}'", attr.name),
                (_, None, _) => format!("unknown attribute '{}'", attr.name),
            },
        )),
    }
}

fn apply_path(
    rt: &ResourceTypeDef,
    root: &mut Map<String, Value>,
    op: PatchOpKind,
    path: &PatchPath,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    if let Some(ext) = extension_target(rt, path) {
        return apply_extension(rt, root, op, ext, value);
    }
    // After a value filter, the sub-attribute is `sub_attr` (and `attr.sub` is `None`).
    let (ext, def, sub) = match &path.sub_attr {
        None => resolve_attr(rt, &path.attr)?,
        Some(sub) => resolve_attr(
            rt,
            &AttrPath {
                sub: Some(sub.clone()),
                ..path.attr.clone()
            },
        )?,
    };
    if path.filter.is_some() && !(def.multi_valued && def.ty == AttrType::Complex) {
        return Err(ScimError::invalid_path(format!(
            "attribute '{}' is not a multi-valued complex attribute: a value filter does not apply",
            def.name
        )));
    }
    if let Some(filter) = &path.filter {
        // The filter evaluator's validator; in a PATCH path its refusal is an `invalidPath`.
        crate::eval::validate_value_filter(filter, &path.attr, def)
            .map_err(|e| ScimError::invalid_path(e.detail))?;
    }
    apply_target(root, op, ext, def, path.filter.as_ref(), sub, value)
}

/// Applies one operation to one attribute (optionally filtered, optionally a sub-attribute) in its container
/// (the resource, or the extension object).
fn apply_target(
    root: &mut Map<String, Value>,
    op: PatchOpKind,
    ext: Option<&'static SchemaDef>,
    def: &'static AttributeDef,
    filter: Option<&Filter>,
    sub: Option<&'static AttributeDef>,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    check_mutability(root, ext, def, sub, op)?;
    if op != PatchOpKind::Remove && value.is_none() {
        return Err(ScimError::invalid_value(format!(
            "a value is required to change '{}'",
            def.name
        )));
    }
    let mut container = match ext {
        None => std::mem::take(root),
        Some(schema) => match take_ci(root, schema.id) {
            Some(Value::Object(o)) => o,
            _ => Map::new(),
        },
    };
    let current = take_ci(&mut container, def.name);
    let result = patch_attribute(op, def, filter, sub, current, value);
    // Put the container back whatever happened (the caller discards it on error anyway).
    let outcome = match result {
        Ok(Some(v)) => {
            container.insert(def.name.to_string(), v);
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(e) => Err(e),
    };
    match ext {
        None => *root = container,
        Some(schema) => {
            if !container.is_empty() {
                root.insert(schema.id.to_string(), Value::Object(container));
                declare_schema(root, schema.id);
            }
        }
    }
    outcome
}

/// Adds an extension URN to the resource's `schemas` list, when the resource has one.
fn declare_schema(root: &mut Map<String, Value>, id: &str) {
    if let Some(Value::Array(schemas)) = root.get_mut("schemas") {
        if !schemas
            .iter()
            .any(|s| s.as_str().is_some_and(|s| eq_ci(s, id)))
        {
            schemas.push(Value::String(id.to_string()));
        }
    }
}

fn check_mutability(
    root: &Map<String, Value>,
    ext: Option<&'static SchemaDef>,
    def: &AttributeDef,
    sub: Option<&AttributeDef>,
    op: PatchOpKind,
) -> Result<(), ScimError> {
    if def.mutability == Mutability::ReadOnly {
        return Err(ScimError::mutability(format!(
            "attribute '{}' is readOnly",
            def.name
        )));
    }
    if let Some(sub) = sub {
        match sub.mutability {
            Mutability::ReadOnly => {
                return Err(ScimError::mutability(format!(
                    "attribute '{}.{}' is readOnly",
                    def.name, sub.name
                )))
            }
            Mutability::Immutable => {
                return Err(ScimError::mutability(format!(
                    "attribute '{}.{}' is immutable",
                    def.name, sub.name
                )))
            }
            _ => {}
        }
    }
    if def.mutability == Mutability::Immutable {
        let container = match ext {
            None => Some(root),
            Some(s) => get_ci(root, s.id).and_then(Value::as_object),
        };
        let assigned = container
            .and_then(|c| get_ci(c, def.name))
            .is_some_and(|v| !is_unassigned(v));
        if op != PatchOpKind::Add || assigned {
            return Err(ScimError::mutability(format!(
                "attribute '{}' is immutable",
                def.name
            )));
        }
    }
    Ok(())
}

/// `null`, `[]` and `{}` are unassigned (RFC 7643 §2.5).
fn is_unassigned(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Humbol keeps exactly one element in these multi-valued attributes (a user's one role): an add replaces
/// the list instead of appending to it.
fn single_element(def: &AttributeDef) -> bool {
    def.multi_valued && def.name == "roles"
}

/// The new value of one attribute (`None` = unassigned) from its current value and the operation.
fn patch_attribute(
    op: PatchOpKind,
    def: &'static AttributeDef,
    filter: Option<&Filter>,
    sub: Option<&'static AttributeDef>,
    current: Option<Value>,
    value: Option<&Value>,
) -> Result<Option<Value>, ScimError> {
    let null = Value::Null;
    let value = value.unwrap_or(&null);
    if def.multi_valued {
        let mut list = match current {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a,
            Some(other) => vec![other],
        };
        match (filter, sub) {
            (Some(filter), _) => patch_filtered(op, def, filter, sub, &mut list, value)?,
            (None, Some(sub)) => patch_every_element(op, def, sub, &mut list, value)?,
            (None, None) => patch_list(op, def, &mut list, value)?,
        }
        Ok((!list.is_empty()).then_some(Value::Array(list)))
    } else {
        match sub {
            Some(sub) => {
                let mut obj = match current {
                    Some(Value::Object(o)) => o,
                    _ => Map::new(),
                };
                set_sub(&mut obj, sub, op, value, def)?;
                Ok((!obj.is_empty()).then_some(Value::Object(obj)))
            }
            None => match op {
                PatchOpKind::Remove => Ok(None),
                PatchOpKind::Replace => normalize_single(def, value),
                PatchOpKind::Add => match (current, normalize_single(def, value)?) {
                    (Some(Value::Object(mut cur)), Some(Value::Object(new)))
                        if def.ty == AttrType::Complex =>
                    {
                        for (k, v) in new {
                            set_ci(&mut cur, &k, v);
                        }
                        Ok(Some(Value::Object(cur)))
                    }
                    (_, new) => Ok(new),
                },
            },
        }
    }
}

/// add/replace/remove of a sub-attribute inside one complex value.
fn set_sub(
    obj: &mut Map<String, Value>,
    sub: &AttributeDef,
    op: PatchOpKind,
    value: &Value,
    parent: &AttributeDef,
) -> Result<(), ScimError> {
    let new = match op {
        PatchOpKind::Remove => None,
        _ => normalize_single(sub, value).map_err(|e| qualify(e, parent, sub))?,
    };
    match new {
        Some(v) => set_ci(obj, sub.name, v),
        None => {
            take_ci(obj, sub.name);
        }
    }
    Ok(())
}

/// Names a sub-attribute's value error after its full path: `attribute 'emails.value' expects ...`.
fn qualify(e: ScimError, parent: &AttributeDef, sub: &AttributeDef) -> ScimError {
    ScimError {
        detail: e.detail.replacen(
            &format!("attribute '{}'", sub.name),
            &format!("attribute '{}.{}'", parent.name, sub.name),
            1,
        ),
        ..e
    }
}

/// A multi-valued attribute as a whole: add appends (roles: replaces), replace replaces, remove removes all
/// or, with a value, the listed elements.
fn patch_list(
    op: PatchOpKind,
    def: &AttributeDef,
    list: &mut Vec<Value>,
    value: &Value,
) -> Result<(), ScimError> {
    match op {
        PatchOpKind::Replace => {
            list.clear();
            append_new(def, list, normalize_elements(def, value)?);
        }
        PatchOpKind::Add => {
            let new = normalize_elements(def, value)?;
            if single_element(def) && !new.is_empty() {
                list.clear();
            }
            let added = append_new(def, list, new);
            single_primary(list, &added);
        }
        PatchOpKind::Remove if value.is_null() => list.clear(),
        PatchOpKind::Remove => {
            let listed = normalize_elements(def, value)?;
            // Listed elements with a `value` are matched through a set of values, so removing a few members
            // from a large group stays linear; the others by comparing sub-attributes.
            let has_value = def.sub_attribute("value").is_some();
            let mut values = HashSet::new();
            let mut others = Vec::new();
            for l in &listed {
                match l.as_object().and_then(|o| get_ci(o, "value")) {
                    Some(v) if has_value => {
                        values.insert(value_key(def, v));
                    }
                    _ => others.push(l),
                }
            }
            list.retain(|e| {
                let by_value = e
                    .as_object()
                    .and_then(|o| get_ci(o, "value"))
                    .is_some_and(|v| values.contains(&value_key(def, v)));
                !by_value && !others.iter().any(|l| element_listed(def, l, e))
            });
        }
    }
    Ok(())
}

/// Appends the elements of `new` that are not duplicates (see [`is_duplicate`]) of elements already in
/// `list` (or appended before them); returns the indices of the appended elements. Candidates are found
/// through their `value`, so adding members to a large group stays linear.
fn append_new(def: &AttributeDef, list: &mut Vec<Value>, new: Vec<Value>) -> Vec<usize> {
    let value_of = |v: &Value| {
        v.as_object()
            .and_then(|o| get_ci(o, "value"))
            .map(|v| value_key(def, v))
    };
    let mut by_value: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, e) in list.iter().enumerate() {
        if let Some(k) = value_of(e) {
            by_value.entry(k).or_default().push(i);
        }
    }
    let mut added = Vec::new();
    for element in new {
        let key = value_of(&element);
        let duplicate = match &key {
            // An element with a value can only duplicate an element with the same value.
            Some(k) => by_value.get(k).is_some_and(|same| {
                same.iter()
                    .any(|&i| list.get(i).is_some_and(|e| is_duplicate(def, &element, e)))
            }),
            None => list.iter().any(|e| is_duplicate(def, &element, e)),
        };
        if duplicate {
            continue;
        }
        let i = list.len();
        if let Some(k) = key {
            by_value.entry(k).or_default().push(i);
        }
        list.push(element);
        added.push(i);
    }
    added
}

/// The comparison key of a `value` sub-attribute: its text, folded to lowercase unless it is caseExact.
fn value_key(def: &AttributeDef, v: &Value) -> String {
    let case_exact = def.sub_attribute("value").is_some_and(|d| d.case_exact);
    match v {
        Value::String(s) if !case_exact => s.to_ascii_lowercase(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Does sub-attribute `name` of `element` equal `given`? Strings of non-caseExact sub-attributes compare
/// ignoring ASCII case.
fn same_sub(def: &AttributeDef, element: &Map<String, Value>, name: &str, given: &Value) -> bool {
    let ev = get_ci(element, name);
    match (def.sub_attribute(name), given, ev) {
        (Some(sd), Value::String(a), Some(Value::String(b))) if !sd.case_exact => eq_ci(a, b),
        (_, given, ev) => ev == Some(given),
    }
}

/// Whether `element` is the one `listed` in a remove-with-value: same `value` when the attribute has a
/// `value` sub-attribute and the listed element gives one; otherwise every listed sub-attribute equal.
fn element_listed(def: &AttributeDef, listed: &Value, element: &Value) -> bool {
    let (Some(l), Some(e)) = (listed.as_object(), element.as_object()) else {
        return listed == element;
    };
    match (def.sub_attribute("value"), get_ci(l, "value")) {
        (Some(_), Some(v)) => same_sub(def, e, "value", v),
        _ => l.iter().all(|(k, v)| same_sub(def, e, k, v)),
    }
}

/// Whether adding `new` next to `existing` adds nothing: every sub-attribute `new` gives is equal in
/// `existing`, references (`$ref`, which the server derives from `value`) aside. So re-adding a member
/// `{"$ref": .., "value": id}` next to the stored `{"value": id, "display": ..}` is a no-op.
fn is_duplicate(def: &AttributeDef, new: &Value, existing: &Value) -> bool {
    let (Some(n), Some(e)) = (new.as_object(), existing.as_object()) else {
        return new == existing;
    };
    n.iter().all(|(k, v)| {
        def.sub_attribute(k)
            .is_some_and(|sd| sd.ty == AttrType::Reference)
            || same_sub(def, e, k, v)
    })
}

/// RFC 7643 §2.4: at most one `primary: true`. When one of the elements at the `changed` indices is now
/// primary, every other element loses its `primary` flag.
fn single_primary(list: &mut [Value], changed: &[usize]) {
    let is_primary = |v: &Value| {
        v.as_object()
            .and_then(|o| get_ci(o, "primary"))
            .and_then(Value::as_bool)
            == Some(true)
    };
    let Some(pos) = changed
        .iter()
        .rev()
        .copied()
        .find(|&i| list.get(i).is_some_and(is_primary))
    else {
        return;
    };
    for (i, v) in list.iter_mut().enumerate() {
        if i != pos && is_primary(v) {
            if let Some(o) = v.as_object_mut() {
                set_ci(o, "primary", Value::Bool(false));
            }
        }
    }
}

/// A sub-attribute of every element (`emails.value` without a filter): add/replace set it on every element
/// (creating one element when there is none); remove deletes it from every element.
fn patch_every_element(
    op: PatchOpKind,
    def: &AttributeDef,
    sub: &AttributeDef,
    list: &mut Vec<Value>,
    value: &Value,
) -> Result<(), ScimError> {
    if list.is_empty() && op != PatchOpKind::Remove {
        list.push(Value::Object(Map::new()));
    }
    for element in list.iter_mut() {
        if let Value::Object(o) = element {
            set_sub(o, sub, op, value, def)?;
        }
    }
    list.retain(|e| !is_unassigned(e));
    Ok(())
}

/// Does `element` match `filter`? Delegates to the filter evaluator.
fn matches(filter: &Filter, element: &Value, def: &AttributeDef) -> bool {
    crate::eval::element_matches(filter, element, def)
}

/// A value path `attr[filter]` or `attr[filter].sub`.
fn patch_filtered(
    op: PatchOpKind,
    def: &'static AttributeDef,
    filter: &Filter,
    sub: Option<&'static AttributeDef>,
    list: &mut Vec<Value>,
    value: &Value,
) -> Result<(), ScimError> {
    let matching: Vec<usize> = (0..list.len())
        .filter(|&i| list.get(i).is_some_and(|e| matches(filter, e, def)))
        .collect();
    if op == PatchOpKind::Remove {
        match sub {
            None => {
                let mut remove = vec![false; list.len()];
                for &i in &matching {
                    if let Some(r) = remove.get_mut(i) {
                        *r = true;
                    }
                }
                let mut flags = remove.into_iter();
                list.retain(|_| !flags.next().unwrap_or(false));
            }
            Some(sub) => {
                for &i in &matching {
                    if let Some(Value::Object(o)) = list.get_mut(i) {
                        take_ci(o, sub.name);
                    }
                }
                list.retain(|e| !is_unassigned(e));
            }
        }
        return Ok(());
    }
    if matching.is_empty() {
        // Create exactly one element from the filter's equality comparisons plus the value.
        let Some(mut element) = element_from_filter(def, filter)? else {
            return Err(ScimError::no_target(format!(
                "no value of '{}' matches the filter",
                def.name
            )));
        };
        match sub {
            Some(sub) => set_sub(&mut element, sub, op, value, def)?,
            None => match normalize_single(def, value)? {
                Some(Value::Object(given)) => {
                    for (k, v) in given {
                        set_ci(&mut element, &k, v);
                    }
                }
                // `null`: nothing to add.
                _ => return Ok(()),
            },
        }
        if single_element(def) {
            list.clear();
        }
        list.push(Value::Object(element));
        let last = list.len().saturating_sub(1);
        single_primary(list, &[last]);
        return Ok(());
    }
    let new = match sub {
        Some(_) => None,
        None => Some(normalize_single(def, value)?),
    };
    for &i in &matching {
        let Some(slot) = list.get_mut(i) else {
            continue;
        };
        match (sub, &new) {
            (Some(sub), _) => {
                if let Value::Object(o) = slot {
                    set_sub(o, sub, op, value, def)?;
                }
            }
            // replace: the matching elements are replaced by the value.
            (None, Some(new)) if op == PatchOpKind::Replace => {
                *slot = new.clone().unwrap_or(Value::Null);
            }
            // add: the value's sub-attributes are merged into the matching elements.
            (None, Some(Some(Value::Object(new)))) => {
                if let Value::Object(o) = slot {
                    for (k, v) in new {
                        set_ci(o, k, v.clone());
                    }
                }
            }
            _ => {}
        }
    }
    single_primary(list, &matching);
    list.retain(|e| !is_unassigned(e));
    Ok(())
}

/// The element described by a filter made only of `eq` comparisons on sub-attributes joined by `and`
/// (`type eq "work"`, `primary eq "True"`), values normalised; `None` for any other filter.
fn element_from_filter(
    def: &AttributeDef,
    filter: &Filter,
) -> Result<Option<Map<String, Value>>, ScimError> {
    fn collect(
        def: &AttributeDef,
        filter: &Filter,
        out: &mut Map<String, Value>,
    ) -> Result<bool, ScimError> {
        match filter {
            Filter::And(a, b) => Ok(collect(def, a, out)? && collect(def, b, out)?),
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                value,
            } if path.urn.is_none() && path.sub.is_none() => {
                let raw = match value {
                    CompValue::String(s) => Value::String(s.clone()),
                    CompValue::Bool(b) => Value::Bool(*b),
                    CompValue::Number(n) => Value::Number(n.clone()),
                    CompValue::Null => return Ok(false),
                };
                // A readOnly sub-attribute named by the filter (`roles[primary eq true]`) still describes
                // the element being created: it is the filter's, not a client write.
                let sub = def.sub_attribute(&path.name).ok_or_else(|| {
                    ScimError::invalid_path(format!(
                        "unknown attribute '{}.{}'",
                        def.name, path.name
                    ))
                })?;
                match normalize_single(sub, &raw).map_err(|e| qualify(e, def, sub))? {
                    Some(v) => {
                        set_ci(out, sub.name, v);
                        Ok(true)
                    }
                    None => Ok(false),
                }
            }
            _ => Ok(false),
        }
    }
    let mut element = Map::new();
    Ok(collect(def, filter, &mut element)?.then_some(element))
}

// ---------------------------------------------------------------------------------------------------------
// Value normalisation
// ---------------------------------------------------------------------------------------------------------

/// The elements of a multi-valued attribute's value: an array, or a single value taken as one element;
/// `null` and unassigned elements are dropped.
pub(crate) fn normalize_elements(
    def: &AttributeDef,
    value: &Value,
) -> Result<Vec<Value>, ScimError> {
    let items: &[Value] = match value {
        Value::Null => &[],
        Value::Array(a) => a,
        other => std::slice::from_ref(other),
    };
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

// ---------------------------------------------------------------------------------------------------------
// Group membership as set operations
// ---------------------------------------------------------------------------------------------------------

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
    filter: Option<&Filter>,
    value: Option<&Value>,
) -> Result<Option<MemberChange>, ScimError> {
    match (op, filter) {
        (PatchOpKind::Remove, Some(f)) => {
            let mut ids = Vec::new();
            member_filter_ids(f, &mut ids)?;
            Ok(Some(MemberChange::Remove(dedup_ids(ids))))
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
fn member_filter_ids(filter: &Filter, ids: &mut Vec<String>) -> Result<(), ScimError> {
    match filter {
        Filter::Or(a, b) => {
            member_filter_ids(a, ids)?;
            member_filter_ids(b, ids)
        }
        Filter::Compare {
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
    let items: &[Value] = match value {
        Value::Null => &[],
        Value::Array(a) => a,
        other => std::slice::from_ref(other),
    };
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
    Ok(dedup_ids(ids))
}

/// `ids` without repeats, first occurrence kept, in linear time (a PUT of a 50k-member group passes here).
fn dedup_ids(mut ids: Vec<String>) -> Vec<String> {
    let mut seen: HashSet<String> = HashSet::with_capacity(ids.len());
    ids.retain(|id| seen.insert(id.clone()));
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ScimType;
    use crate::schema::{ENTERPRISE_USER_SCHEMA, GROUP_RESOURCE, USER_RESOURCE, USER_SCHEMA};
    use serde_json::json;

    const ENT: &str = ENTERPRISE_USER_SCHEMA;

    fn user() -> Value {
        json!({
            "schemas": [USER_SCHEMA],
            "userName": "Test_User_ab64@contoso.com",
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "active": true,
            "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
            "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0e@contoso.com"}],
            "roles": [{"primary": true, "type": "WindowsAzureActiveDirectoryRole", "value": "Member"}],
        })
    }

    fn group() -> Value {
        json!({
            "schemas": [GROUP_SCHEMA],
            "displayName": "Sales",
            "members": [{"value": "u1"}, {"value": "u2"}, {"value": "u3"}],
        })
    }

    fn body(ops: Value) -> Value {
        json!({"schemas": [PATCH_OP_SCHEMA], "Operations": ops})
    }

    fn patch_rt(rt: &ResourceTypeDef, resource: &Value, ops: Value) -> Result<Value, ScimError> {
        let req = PatchRequest::from_json(&body(ops))?;
        apply(rt, resource, &req)
    }

    fn patch_user(ops: Value) -> Result<Value, ScimError> {
        patch_rt(&USER_RESOURCE, &user(), ops)
    }

    fn ok_user(ops: Value) -> Value {
        match patch_user(ops) {
            Ok(v) => v,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }

    fn ok_group(ops: Value) -> Value {
        match patch_rt(&GROUP_RESOURCE, &group(), ops) {
            Ok(v) => v,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }

    fn err_type(r: Result<Value, ScimError>) -> Option<ScimType> {
        match r {
            Ok(v) => panic!("expected an error, got {v}"),
            Err(e) => {
                assert_eq!(e.status, 400, "{e}");
                e.scim_type
            }
        }
    }

    fn member_ids_of(v: &Value) -> Vec<&str> {
        v["members"]
            .as_array()
            .map(|a| a.iter().filter_map(|m| m["value"].as_str()).collect())
            .unwrap_or_default()
    }

    // ---- parsing -------------------------------------------------------------------------------------

    #[test]
    fn parses_legacy_and_compliant_shapes() {
        let req = PatchRequest::from_json(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@contoso.com"},
                {"op": "Add", "path": "name.familyName", "value": "Smith"},
                {"op": "remove", "path": "title"},
                {"op": "replace", "value": {"displayName": "X"}},
                {"op": "REPLACE", "path": "manager", "value": null},
            ]
        }));
        let Ok(req) = req else { panic!("{req:?}") };
        let kinds: Vec<_> = req.operations.iter().map(|o| o.op).collect();
        use PatchOpKind::*;
        assert_eq!(kinds, [Replace, Add, Remove, Replace, Replace]);
        let p = req.operations[0].path.as_ref().map(|p| p.to_string());
        assert_eq!(p.as_deref(), Some("emails[type eq \"work\"].value"));
        assert!(req.operations[2].value.is_none());
        assert!(req.operations[3].path.is_none());
        assert_eq!(req.operations[4].value, Some(Value::Null));
        // Keys in any case.
        let req = PatchRequest::from_json(&json!({
            "Schemas": [PATCH_OP_SCHEMA],
            "operations": [{"OP": "add", "Path": "title", "Value": "x"}]
        }));
        assert!(req.is_ok(), "{req:?}");
    }

    #[test]
    fn parse_errors_have_the_rfc_scim_types() {
        let parse = |b: Value| PatchRequest::from_json(&b).map_err(|e| e.scim_type);
        let op = json!([{"op": "add", "path": "title", "value": "x"}]);
        assert_eq!(
            parse(json!({"Operations": op})),
            Err(Some(ScimType::InvalidSyntax))
        );
        assert_eq!(
            parse(json!({"schemas": [USER_SCHEMA], "Operations": op})),
            Err(Some(ScimType::InvalidSyntax))
        );
        assert_eq!(parse(json!([])), Err(Some(ScimType::InvalidSyntax)));
        assert_eq!(parse(body(json!([]))), Err(Some(ScimType::InvalidSyntax)));
        assert_eq!(parse(body(json!({}))), Err(Some(ScimType::InvalidSyntax)));
        assert_eq!(
            parse(body(json!(["add"]))),
            Err(Some(ScimType::InvalidSyntax))
        );
        assert_eq!(
            parse(body(
                json!([{"op": "merge", "path": "title", "value": "x"}])
            )),
            Err(Some(ScimType::InvalidSyntax))
        );
        assert_eq!(
            parse(body(json!([{"path": "title", "value": "x"}]))),
            Err(Some(ScimType::InvalidSyntax))
        );
        assert_eq!(
            parse(body(
                json!([{"op": "add", "path": "emails[type eq", "value": "x"}])
            )),
            Err(Some(ScimType::InvalidPath))
        );
        assert_eq!(
            parse(body(json!([{"op": "add", "path": 7, "value": "x"}]))),
            Err(Some(ScimType::InvalidPath))
        );
        assert_eq!(
            parse(body(json!([{"op": "Remove"}]))),
            Err(Some(ScimType::NoTarget))
        );
        assert_eq!(
            parse(body(json!([{"op": "Add", "path": "title"}]))),
            Err(Some(ScimType::InvalidValue))
        );
        assert_eq!(
            parse(body(json!([{"op": "replace"}]))),
            Err(Some(ScimType::InvalidValue))
        );
    }

    // ---- Entra's shapes ------------------------------------------------------------------------------

    #[test]
    fn entra_legacy_two_op_update() {
        let v = ok_user(json!([
            {"op":"Replace","path":"emails[type eq \"work\"].value","value":"new@contoso.com"},
            {"op":"Replace","path":"name.familyName","value":"Smith"}
        ]));
        assert_eq!(
            v["emails"],
            json!([{"primary": true, "type": "work", "value": "new@contoso.com"}])
        );
        assert_eq!(
            v["name"],
            json!({"formatted": "givenName familyName", "familyName": "Smith", "givenName": "givenName"})
        );
    }

    #[test]
    fn entra_compliant_pathless_replace() {
        let v = ok_user(
            json!([{"op":"replace","value":{"displayName":"X","name.givenName":"Y",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Z"}}]),
        );
        assert_eq!(v["displayName"], "X");
        assert_eq!(v["name"]["givenName"], "Y");
        assert_eq!(v["name"]["familyName"], "familyName");
        assert_eq!(v[ENT], json!({"department": "Z"}));
        assert_eq!(v["schemas"], json!([USER_SCHEMA, ENT]));
    }

    #[test]
    fn pathless_value_may_repeat_the_resources_own_id() {
        let mut g = group();
        g["id"] = json!("g-1");
        let renamed = patch_rt(
            &GROUP_RESOURCE,
            &g,
            json!([{"op": "replace", "value": {"id": "g-1", "displayName": "Renamed"}}]),
        )
        .unwrap();
        assert_eq!(renamed["displayName"], "Renamed");
        assert_eq!(renamed["id"], "g-1");
        let other = patch_rt(
            &GROUP_RESOURCE,
            &g,
            json!([{"op": "replace", "value": {"id": "g-2", "displayName": "Renamed"}}]),
        );
        assert_eq!(err_type(other), Some(ScimType::Mutability));
        // Without an id to compare with, an id is refused as before.
        let unknown = patch_rt(
            &GROUP_RESOURCE,
            &group(),
            json!([{"op": "replace", "value": {"id": "g-1"}}]),
        );
        assert_eq!(err_type(unknown), Some(ScimType::Mutability));
    }

    #[test]
    fn pathless_keys_in_any_case_and_extension_object() {
        let v = ok_user(json!([{"op":"Add","value":{
            "USERNAME": "bob@contoso.com",
            "Name.FamilyName": "Builder",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Ops", "manager": "m-1"},
            "urn:ietf:params:scim:schemas:core:2.0:User:title": "CTO",
            "schemas": ["ignored"],
        }}]));
        assert_eq!(v["userName"], "bob@contoso.com");
        assert!(v.get("USERNAME").is_none());
        assert_eq!(v["name"]["familyName"], "Builder");
        assert!(v["name"].get("FamilyName").is_none());
        assert_eq!(v["title"], "CTO");
        assert_eq!(
            v[ENT],
            json!({"department": "Ops", "manager": {"value": "m-1"}})
        );
        // The extension URN as a path.
        let v = ok_user(json!([{"op":"add","path":ENT,"value":{"department":"Ops"}}]));
        assert_eq!(v[ENT], json!({"department": "Ops"}));
        let mut u = user();
        u[ENT] = json!({"department": "Ops"});
        let v = patch_rt(&USER_RESOURCE, &u, json!([{"op":"remove","path":ENT}]));
        assert!(v.is_ok_and(|v| v.get(ENT).is_none()));
    }

    #[test]
    fn non_canonical_existing_keys_are_replaced() {
        let mut u = user();
        u["USERNAME"] = json!("old-shouting");
        u["Name"] = u["name"].take();
        if let Some(o) = u.as_object_mut() {
            o.remove("name");
        }
        let v = match patch_rt(
            &USER_RESOURCE,
            &u,
            json!([{"op":"replace","path":"username","value":"new"},
                   {"op":"replace","path":"name.givenname","value":"G"}]),
        ) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(v["userName"], "new");
        assert!(v.get("USERNAME").is_none() && v.get("Name").is_none());
        assert_eq!(v["name"]["givenName"], "G");
        assert_eq!(v["name"]["familyName"], "familyName");
    }

    #[test]
    fn add_sets_single_valued_and_merges_complex_replace_replaces_whole() {
        let v = ok_user(json!([{"op":"Add","path":"title","value":"Engineer"},
                                {"op":"Add","path":"title","value":"CTO"}]));
        assert_eq!(v["title"], "CTO");
        let v = ok_user(json!([{"op":"Add","path":"name","value":{"givenName":"Alice"}}]));
        assert_eq!(
            v["name"],
            json!({"formatted": "givenName familyName", "familyName": "familyName", "givenName": "Alice"})
        );
        let v = ok_user(json!([{"op":"Replace","path":"name","value":{"givenName":"Alice"}}]));
        assert_eq!(v["name"], json!({"givenName": "Alice"}));
        let v = ok_user(json!([{"op":"Replace","path":"title","value":null},
                                {"op":"Remove","path":"name.formatted"}]));
        assert!(v.get("title").is_none());
        assert!(v["name"].get("formatted").is_none());
        let v = ok_user(json!([{"op":"Remove","path":"name"}]));
        assert!(v.get("name").is_none());
        // Removing the last sub-attribute unassigns the complex attribute.
        let v = ok_user(
            json!([{"op":"Replace","path":"name","value":{"givenName":"A"}},
                                {"op":"Remove","path":"name.givenName"}]),
        );
        assert!(v.get("name").is_none());
    }

    #[test]
    fn add_appends_to_multi_valued_skipping_duplicates_replace_replaces() {
        let v = ok_user(json!([{"op":"Add","path":"emails","value":[
            {"type":"home","value":"a@home.example"},
            {"primary":true,"type":"work","value":"Test_User_fd0e@contoso.com"}]}]));
        assert_eq!(v["emails"].as_array().map(Vec::len), Some(2));
        // A single object is one element; "True" strings become booleans.
        let v = ok_user(
            json!([{"op":"Add","path":"emails","value":{"type":"other","value":"o@x","primary":"True"}}]),
        );
        assert_eq!(
            v["emails"],
            json!([{"primary": false, "type": "work", "value": "Test_User_fd0e@contoso.com"},
                   {"primary": true, "type": "other", "value": "o@x"}])
        );
        let v = ok_user(
            json!([{"op":"Replace","path":"emails","value":[{"type":"home","value":"h@x"}]}]),
        );
        assert_eq!(v["emails"], json!([{"type": "home", "value": "h@x"}]));
        let v = ok_user(json!([{"op":"Replace","path":"emails","value":[]}]));
        assert!(v.get("emails").is_none());
    }

    #[test]
    fn entra_work_address_is_built_up_as_one_element() {
        let v = ok_user(json!([
            {"op":"Add","path":"addresses[type eq \"work\"].locality","value":"Redmond"},
            {"op":"Add","path":"addresses[type eq \"work\"].region","value":"WA"},
            {"op":"Add","path":"addresses[type eq \"work\"].country","value":"US"},
        ]));
        assert_eq!(
            v["addresses"],
            json!([{"type": "work", "locality": "Redmond", "region": "WA", "country": "US"}])
        );
        // Also across separate requests, and with Replace.
        let v2 = patch_rt(
            &USER_RESOURCE,
            &v,
            json!([{"op":"Replace","path":"addresses[type eq \"work\"].locality","value":"Seattle"}]),
        );
        assert!(v2.is_ok_and(|v2| v2["addresses"]
            == json!([{"type": "work", "locality": "Seattle", "region": "WA", "country": "US"}])));
    }

    #[test]
    fn filter_without_match_creates_only_for_equality_filters() {
        let v = ok_user(
            json!([{"op":"Replace","path":"emails[type eq \"home\"].value","value":"h@x"}]),
        );
        assert_eq!(v["emails"].as_array().map(Vec::len), Some(2));
        assert_eq!(v["emails"][1], json!({"type": "home", "value": "h@x"}));
        let e = patch_user(
            json!([{"op":"Replace","path":"emails[value co \"nomatch\"].type","value":"home"}]),
        );
        assert_eq!(err_type(e), Some(ScimType::NoTarget));
        let e = patch_user(
            json!([{"op":"Add","path":"emails[type eq \"home\" or type eq \"other\"].value","value":"x"}]),
        );
        assert_eq!(err_type(e), Some(ScimType::NoTarget));
    }

    #[test]
    fn remove_with_filter() {
        let mut u = user();
        u["emails"] =
            json!([{"type":"work","value":"w@x","primary":true},{"type":"home","value":"h@x"}]);
        let r = |ops: Value| patch_rt(&USER_RESOURCE, &u, ops);
        let v = r(json!([{"op":"remove","path":"emails[type eq \"home\"]"}]));
        assert!(
            v.is_ok_and(|v| v["emails"] == json!([{"type":"work","value":"w@x","primary":true}]))
        );
        let v = r(json!([{"op":"remove","path":"emails[type eq \"work\"].primary"}]));
        assert!(v.is_ok_and(|v| v["emails"][0] == json!({"type":"work","value":"w@x"})));
        // Nothing matching: a no-op.
        let v = r(json!([{"op":"remove","path":"emails[type eq \"other\"]"}]));
        assert!(v.is_ok_and(|v| v == u));
        let v = r(json!([{"op":"remove","path":"emails[type pr]"}]));
        assert!(v.is_ok_and(|v| v.get("emails").is_none()));
    }

    #[test]
    fn booleans_given_as_strings_are_stored_as_booleans() {
        for (given, want) in [
            ("False", false),
            ("false", false),
            ("True", true),
            (" TRUE ", true),
        ] {
            let v = ok_user(json!([{"op":"Replace","path":"active","value":given}]));
            assert_eq!(v["active"], json!(want), "{given}");
        }
        let v = ok_user(json!([{"op":"replace","value":{"active":false}}]));
        assert_eq!(v["active"], json!(false));
        let v = ok_user(json!([{"op":"replace","value":{"active":"False"}}]));
        assert_eq!(v["active"], json!(false));
        let e = patch_user(json!([{"op":"Replace","path":"active","value":"maybe"}]));
        assert_eq!(err_type(e), Some(ScimType::InvalidValue));
        let e = patch_user(json!([{"op":"Replace","path":"active","value":1}]));
        assert_eq!(err_type(e), Some(ScimType::InvalidValue));
    }

    #[test]
    fn manager_every_shape_is_stored_as_value_object() {
        let set = [
            json!({"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m-1"}),
            json!({"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"m-1"}}),
            json!({"op":"Add","path":"manager","value":[{"$ref":"https://x/Users/m-1","value":"m-1"}]}),
            json!({"op":"Replace","path":"manager","value":[{"$ref":null,"value":"m-1"}]}),
            json!({"op":"Add","path":"manager.value","value":"m-1"}),
            json!({"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":"m-1"}}),
            json!({"op":"add","path":"manager","value":{"value":"m-1","displayName":"ignored (readOnly)"}}),
        ];
        for op in set {
            let v = ok_user(json!([op]));
            assert_eq!(v[ENT]["manager"]["value"], "m-1", "{op}");
            assert!(v[ENT]["manager"].get("displayName").is_none(), "{op}");
        }
        let mut u = user();
        u[ENT] = json!({"manager": {"value": "m-1"}, "department": "D"});
        let removals = [
            json!({"op":"Remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}),
            json!({"op":"Remove","path":"manager"}),
            json!({"op":"Replace","path":"manager","value":""}),
            json!({"op":"Replace","path":"manager","value":{"value":""}}),
            json!({"op":"Replace","path":"manager","value":null}),
            json!({"op":"Replace","path":"manager","value":[]}),
            json!({"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":""}),
        ];
        for op in removals {
            let v = patch_rt(&USER_RESOURCE, &u, json!([op.clone()]));
            assert!(
                v.is_ok_and(|v| v[ENT] == json!({"department": "D"})),
                "{op}"
            );
        }
        // The extension object disappears with its last attribute.
        u[ENT] = json!({"manager": {"value": "m-1"}});
        let v = patch_rt(
            &USER_RESOURCE,
            &u,
            json!([{"op":"Remove","path":"manager"}]),
        );
        assert!(v.is_ok_and(|v| v.get(ENT).is_none()));
        let e = patch_user(
            json!([{"op":"Replace","path":"manager","value":[{"value":"a"},{"value":"b"}]}]),
        );
        assert_eq!(err_type(e), Some(ScimType::InvalidValue));
        let e = patch_user(json!([{"op":"Replace","path":"manager","value":5}]));
        assert_eq!(err_type(e), Some(ScimType::InvalidValue));
    }

    #[test]
    fn add_roles_replaces_the_one_role() {
        let v = ok_user(
            json!([{"op":"Add","path":"roles","value":[{"primary":true,"type":"WindowsAzureActiveDirectoryRole","value":"Admin"}]}]),
        );
        // The role's name and `primary` are Humbol's; `type` is not.
        assert_eq!(v["roles"], json!([{"primary": true, "value": "Admin"}]));
        // Entra's legacy string-encoded role is decoded.
        let v = ok_user(
            json!([{"op":"Add","path":"roles","value":[{"value":"{\"id\":\"06b07648-ecfe-589f-9d2f-6325724a46ee\",\"value\":\"Admin\",\"displayName\":\"Admin\"}"}]}]),
        );
        assert_eq!(v["roles"], json!([{"primary": true, "value": "Admin"}]));
        let e =
            patch_user(json!([{"op":"Add","path":"roles","value":[{"value":"{\"id\":\"x\"}"}]}]));
        assert_eq!(err_type(e), Some(ScimType::InvalidValue));
    }

    #[test]
    fn primary_role_path() {
        let v = ok_user(
            json!([{"op":"Replace","path":"roles[primary eq \"True\"].value","value":"Admin"}]),
        );
        assert_eq!(
            v["roles"],
            json!([{"primary": true, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}])
        );
        // No primary role yet: exactly one role is created, replacing any non-primary one.
        let mut u = user();
        u["roles"] = json!([{"value": "Member"}]);
        let v = patch_rt(
            &USER_RESOURCE,
            &u,
            json!([{"op":"Add","path":"roles[primary eq \"True\"].value","value":"Admin"}]),
        );
        assert!(v.is_ok_and(|v| v["roles"] == json!([{"primary": true, "value": "Admin"}])));
        let v = ok_user(json!([{"op":"Remove","path":"roles[primary eq true]"}]));
        assert!(v.get("roles").is_none());
    }

    // ---- Groups --------------------------------------------------------------------------------------

    #[test]
    fn entra_member_changes_in_memory() {
        let v = ok_group(
            json!([{"op":"Add","path":"members","value":[{"$ref":null,"value":"u4"},{"$ref":null,"value":"u1"}]}]),
        );
        assert_eq!(member_ids_of(&v), ["u1", "u2", "u3", "u4"]);
        let v = ok_group(
            json!([{"op":"Remove","path":"members","value":[{"$ref":null,"value":"u2"}]}]),
        );
        assert_eq!(member_ids_of(&v), ["u1", "u3"]);
        let v = ok_group(json!([{"op":"remove","path":"members[value eq \"u3\"]"}]));
        assert_eq!(member_ids_of(&v), ["u1", "u2"]);
        let v =
            ok_group(json!([{"op":"remove","path":"members[value eq \"u3\" or value eq \"u1\"]"}]));
        assert_eq!(member_ids_of(&v), ["u2"]);
        let v = ok_group(json!([{"op":"remove","path":"members[value eq \"nobody\"]"}]));
        assert_eq!(member_ids_of(&v), ["u1", "u2", "u3"]);
        let v = ok_group(json!([{"op":"Remove","path":"members"}]));
        assert!(v.get("members").is_none());
        let v = ok_group(json!([{"op":"Replace","path":"members","value":[{"value":"u9"}]}]));
        assert_eq!(member_ids_of(&v), ["u9"]);
        let v = ok_group(json!([{"op":"Replace","path":"displayName","value":"Sales EU"}]));
        assert_eq!(v["displayName"], "Sales EU");
        let e = patch_rt(
            &GROUP_RESOURCE,
            &group(),
            json!([{"op":"Replace","path":"members[value eq \"u1\"].value","value":"u7"}]),
        );
        assert_eq!(err_type(e), Some(ScimType::Mutability));
        let e = patch_rt(
            &GROUP_RESOURCE,
            &group(),
            json!([{"op":"Add","path":"members","value":[{"value":7}]}]),
        );
        assert_eq!(err_type(e), Some(ScimType::InvalidValue));
    }

    #[test]
    fn add_skips_elements_that_add_nothing() {
        let mut g = group();
        g["members"] = json!([{"value": "u1", "display": "Alice"}]);
        let v = patch_rt(
            &GROUP_RESOURCE,
            &g,
            json!([{"op":"Add","path":"members","value":[
                {"$ref":"https://h/scim/v2/orgs/acme/Users/u1","value":"u1"},{"$ref":null,"value":"u2"},{"value":"u2"}]}]),
        );
        let Ok(v) = v else { panic!("{v:?}") };
        assert_eq!(
            v["members"],
            json!([{"value": "u1", "display": "Alice"}, {"value": "u2"}])
        );
        // Same address, another type: a new element.
        let v = ok_user(json!([{"op":"Add","path":"emails","value":[
            {"type":"WORK","value":"Test_User_fd0e@contoso.com"},
            {"type":"home","value":"Test_User_fd0e@contoso.com"}]}]));
        assert_eq!(v["emails"].as_array().map(Vec::len), Some(2));
    }

    /// In memory, large groups stay linear (quadratic code would take minutes here).
    #[test]
    fn large_group_in_memory() {
        let n = 20_000;
        let members: Vec<Value> = (0..n).map(|i| json!({"value": format!("u{i}")})).collect();
        let g = json!({"displayName": "All", "members": members});
        let all_again: Vec<Value> = (0..n)
            .map(|i| json!({"$ref": null, "value": format!("u{i}")}))
            .collect();
        let ops = json!([
            {"op":"Add","path":"members","value":all_again},
            {"op":"Add","path":"members","value":[{"value":"new"}]},
            {"op":"Remove","path":"members","value":[{"value":"u5"}]},
            {"op":"remove","path":"members[value eq \"u6\"]"},
            {"op":"replace","path":"members","value":members},
            {"op":"remove","path":"members[value sw \"u1\"]"},
        ]);
        let v = patch_rt(&GROUP_RESOURCE, &g, ops);
        let Ok(v) = v else { panic!("{v:?}") };
        let ids = member_ids_of(&v);
        assert_eq!(ids.len(), n - 11_111);
        assert!(!ids.iter().any(|i| i.starts_with("u1")));
    }

    fn split(ops: Value) -> Result<(PatchRequest, Vec<MemberChange>), ScimError> {
        split_member_changes(&PatchRequest::from_json(&body(ops))?)
    }

    #[test]
    fn split_member_changes_turns_entra_shapes_into_set_operations() {
        use MemberChange::*;
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cases = [
            (
                json!({"op":"Add","path":"members","value":[{"$ref":null,"value":"a"},{"$ref":null,"value":"b"}]}),
                Add(s(&["a", "b"])),
            ),
            (
                json!({"op":"Remove","path":"members","value":[{"$ref":null,"value":"a"}]}),
                Remove(s(&["a"])),
            ),
            (
                json!({"op":"remove","path":"members[value eq \"a\"]"}),
                Remove(s(&["a"])),
            ),
            (
                json!({"op":"remove","path":"members[value eq \"a\" or value eq \"b\" or value eq \"a\"]"}),
                Remove(s(&["a", "b"])),
            ),
            (json!({"op":"remove","path":"members"}), RemoveAll),
            (
                json!({"op":"remove","path":"members","value":null}),
                RemoveAll,
            ),
            (
                json!({"op":"replace","path":"members","value":[{"value":"c"}]}),
                Replace(s(&["c"])),
            ),
            (
                json!({"op":"replace","path":"members","value":[]}),
                Replace(vec![]),
            ),
            (
                json!({"op":"add","path":"urn:ietf:params:scim:schemas:core:2.0:Group:members","value":"d"}),
                Add(s(&["d"])),
            ),
        ];
        for (op, want) in cases {
            let r = split(json!([op.clone(), {"op":"Replace","path":"displayName","value":"X"}]));
            let Ok((rest, changes)) = r else {
                panic!("{op}: {r:?}")
            };
            assert_eq!(changes, [want], "{op}");
            assert_eq!(rest.operations.len(), 1);
        }
        // Path-less: the members key is split out of the value.
        let r =
            split(json!([{"op":"replace","value":{"displayName":"X","members":[{"value":"a"}]}}]));
        let Ok((rest, changes)) = r else {
            panic!("{r:?}")
        };
        assert_eq!(changes, [Replace(s(&["a"]))]);
        assert_eq!(rest.operations[0].value, Some(json!({"displayName": "X"})));
        // Adding or removing nothing is no change at all (never RemoveAll).
        let r = split(json!([{"op":"Remove","path":"members","value":[]}]));
        assert!(r.is_ok_and(|(_, c)| c.is_empty()));
        // Errors.
        let e = |ops: Value| split(ops).err().and_then(|e| e.scim_type);
        assert_eq!(
            e(json!([{"op":"remove","path":"members[display eq \"a\"]"}])),
            Some(ScimType::InvalidFilter)
        );
        assert_eq!(
            e(json!([{"op":"remove","path":"members[value ne \"a\"]"}])),
            Some(ScimType::InvalidFilter)
        );
        assert_eq!(
            e(json!([{"op":"remove","path":"members[value eq \"a\" and value eq \"b\"]"}])),
            Some(ScimType::InvalidFilter)
        );
        assert_eq!(
            e(json!([{"op":"add","path":"members","value":[{"display":"x"}]}])),
            Some(ScimType::InvalidValue)
        );
        assert_eq!(
            e(json!([{"op":"remove","path":"members[value eq \"a\"].display"}])),
            Some(ScimType::Mutability)
        );
    }

    /// `split_member_changes` + set operations on the member list give what `apply` gives in memory.
    #[test]
    fn split_member_changes_agrees_with_apply() {
        let requests = [
            json!([{"op":"Add","path":"members","value":[{"$ref":null,"value":"u4"},{"value":"u1"}]}]),
            json!([{"op":"Remove","path":"members","value":[{"$ref":null,"value":"u2"}]}]),
            json!([{"op":"remove","path":"members[value eq \"u3\" or value eq \"u1\"]"}]),
            json!([{"op":"remove","path":"members"}, {"op":"add","path":"members","value":{"value":"u5"}}]),
            json!([{"op":"replace","path":"members","value":[{"value":"u7"},{"value":"u2"}]}]),
        ];
        for ops in requests {
            let in_memory = ok_group(ops.clone());
            let Ok((_, changes)) = split(ops.clone()) else {
                panic!("{ops}")
            };
            let mut ids: Vec<String> = vec!["u1".into(), "u2".into(), "u3".into()];
            for c in changes {
                match c {
                    MemberChange::Add(a) => {
                        for id in a {
                            if !ids.contains(&id) {
                                ids.push(id);
                            }
                        }
                    }
                    MemberChange::Remove(r) => ids.retain(|i| !r.contains(i)),
                    MemberChange::RemoveAll => ids.clear(),
                    MemberChange::Replace(r) => ids = r,
                }
            }
            assert_eq!(member_ids_of(&in_memory), ids, "{ops}");
        }
    }

    // ---- errors --------------------------------------------------------------------------------------

    #[test]
    fn mutability_and_path_errors() {
        let cases = [
            (
                json!({"op":"replace","path":"id","value":"x"}),
                ScimType::Mutability,
            ),
            (json!({"op":"remove","path":"meta"}), ScimType::Mutability),
            (
                json!({"op":"replace","path":"meta.created","value":"2020-01-01T00:00:00Z"}),
                ScimType::Mutability,
            ),
            (
                json!({"op":"replace","path":"meta.created","value":"2026-01-01T00:00:00Z"}),
                ScimType::Mutability,
            ),
            (
                json!({"op":"replace","value":{"id":"x"}}),
                ScimType::Mutability,
            ),
            (
                json!({"op":"replace","path":"schemas","value":[]}),
                ScimType::InvalidPath,
            ),
            (
                json!({"op":"replace","path":"foo","value":"x"}),
                ScimType::InvalidPath,
            ),
            (
                json!({"op":"replace","value":{"foo":"x"}}),
                ScimType::InvalidPath,
            ),
            (
                json!({"op":"replace","path":"name.maidenName","value":"x"}),
                ScimType::InvalidPath,
            ),
            (
                json!({"op":"replace","path":"title.x","value":"x"}),
                ScimType::InvalidPath,
            ),
            (
                json!({"op":"replace","path":"name[givenName eq \"x\"]","value":"x"}),
                ScimType::InvalidPath,
            ),
            (
                json!({"op":"replace","path":"urn:example:unknown:2.0:User:department","value":"x"}),
                ScimType::InvalidPath,
            ),
            (
                json!({"op":"replace","value":{"urn:example:unknown:2.0:User:department":"x"}}),
                ScimType::InvalidPath,
            ),
            (
                json!({"op":"replace","path":"members","value":[]}),
                ScimType::InvalidPath,
            ),
            (
                json!({"op":"remove","path":"emails[foo eq \"x\"]"}),
                ScimType::InvalidPath,
            ),
            (
                json!({"op":"add","path":"emails[name.givenName eq \"x\"].value","value":"v"}),
                ScimType::InvalidPath,
            ),
            (
                json!({"op":"replace","path":"userName","value":{"a":1}}),
                ScimType::InvalidValue,
            ),
            (
                json!({"op":"replace","path":"emails","value":[1]}),
                ScimType::InvalidValue,
            ),
            (
                json!({"op":"replace","path":"name","value":"x"}),
                ScimType::InvalidValue,
            ),
            (
                json!({"op":"replace","path":"emails[type eq \"work\"].value","value":true}),
                ScimType::InvalidValue,
            ),
            (json!({"op":"replace","value":"x"}), ScimType::InvalidValue),
            (
                json!({"op":"replace","path":ENT,"value":"x"}),
                ScimType::InvalidValue,
            ),
        ];
        for (op, want) in cases {
            assert_eq!(
                err_type(patch_user(json!([op.clone()]))),
                Some(want),
                "{op}"
            );
        }
        match patch_user(json!([{"op":"replace","path":"foo","value":"x"}])) {
            Err(e) => assert_eq!(e.detail, "unknown attribute 'foo'"),
            Ok(v) => panic!("{v}"),
        }
        match patch_user(
            json!([{"op":"add","path":"emails","value":[{"value":"a@x","primary":"yes"}]}]),
        ) {
            Err(e) => assert_eq!(
                e.detail,
                "attribute 'emails.primary' expects a boolean, got a string"
            ),
            Ok(v) => panic!("{v}"),
        }
    }

    #[test]
    fn a_failing_operation_applies_nothing() {
        let u = user();
        let req = PatchRequest::from_json(&body(json!([
            {"op":"replace","path":"title","value":"changed"},
            {"op":"replace","path":"id","value":"x"},
        ])));
        let Ok(req) = req else { panic!("{req:?}") };
        let r = apply(&USER_RESOURCE, &u, &req);
        assert_eq!(r.map_err(|e| e.scim_type), Err(Some(ScimType::Mutability)));
        assert_eq!(u, user());
        // The error is the first one.
        let r = patch_user(json!([
            {"op":"replace","path":"active","value":"nope"},
            {"op":"replace","path":"foo","value":"x"},
        ]));
        assert_eq!(err_type(r), Some(ScimType::InvalidValue));
    }

    // ---- RFC 7644 §3.5.2 examples, with Humbol's attributes ------------------------------------------

    #[test]
    fn rfc_7644_examples() {
        // §3.5.2.1: add a member; add without path.
        let v = ok_group(
            json!([{"op":"add","path":"members","value":[{"display":"Babs Jensen",
            "$ref":"https://example.com/v2/Users/2819c223...","value":"2819c223-7f76-453a-919d-413861904646"}]}]),
        );
        assert_eq!(
            member_ids_of(&v),
            ["u1", "u2", "u3", "2819c223-7f76-453a-919d-413861904646"]
        );
        assert_eq!(
            v["members"][3].get("display"),
            None,
            "readOnly sub-attribute ignored"
        );
        let v = ok_user(
            json!([{"op":"add","value":{"emails":[{"value":"babs@jensen.org","type":"home"}],"title":"Babs"}}]),
        );
        assert_eq!(
            v["emails"][1],
            json!({"value": "babs@jensen.org", "type": "home"})
        );
        assert_eq!(v["title"], "Babs");
        // §3.5.2.2: remove one member; remove by complex filter; remove all; remove then add.
        let v = ok_group(json!([{"op":"remove","path":"members[value eq \"u2\"]"}]));
        assert_eq!(member_ids_of(&v), ["u1", "u3"]);
        let mut u = user();
        u["emails"] = json!([{"type":"work","value":"a@example.com"},{"type":"work","value":"a@contoso.com"}]);
        let v = patch_rt(
            &USER_RESOURCE,
            &u,
            json!([{"op":"remove","path":"emails[type eq \"work\" and value ew \"example.com\"]"}]),
        );
        assert!(v.is_ok_and(|v| v["emails"] == json!([{"type":"work","value":"a@contoso.com"}])));
        let v = ok_group(json!([{"op":"remove","path":"members"}]));
        assert!(v.get("members").is_none());
        let v = ok_group(json!([{"op":"remove","path":"members"},
            {"op":"add","path":"members","value":[{"value":"2819c223"},{"value":"902c246b"}]}]));
        assert_eq!(member_ids_of(&v), ["2819c223", "902c246b"]);
        // §3.5.2.3: replace all members; replace a filtered complex value; a sub-attribute of it.
        let v = ok_group(
            json!([{"op":"replace","path":"members","value":[{"value":"2819c223"},{"value":"902c246b"}]}]),
        );
        assert_eq!(member_ids_of(&v), ["2819c223", "902c246b"]);
        let mut u = user();
        u["addresses"] = json!([{"type":"work","locality":"Hollywood","region":"CA","country":"USA","primary":true},
                                {"type":"home","locality":"Beverly Hills"}]);
        let v = patch_rt(
            &USER_RESOURCE,
            &u,
            json!([{"op":"replace","path":"addresses[type eq \"work\"]",
            "value":{"type":"work","locality":"Anytown","region":"CA","country":"USA","primary":true}}]),
        );
        assert!(v.is_ok_and(|v| v["addresses"]
            == json!([
            {"type":"work","locality":"Anytown","region":"CA","country":"USA","primary":true},
            {"type":"home","locality":"Beverly Hills"}])));
        let v = patch_rt(
            &USER_RESOURCE,
            &u,
            json!([{"op":"replace","path":"addresses[type eq \"work\"].locality","value":"Elsewhere"}]),
        );
        assert!(v.is_ok_and(|v| v["addresses"][0]["locality"] == "Elsewhere"
            && v["addresses"][1]["locality"] == "Beverly Hills"));
        // Path-less replace of several attributes.
        let v = ok_user(
            json!([{"op":"replace","value":{"emails":[{"value":"bjensen@example.com","type":"work","primary":true}],
            "active":"False","preferredLanguage":"en-US"}}]),
        );
        assert_eq!(
            v["emails"],
            json!([{"value":"bjensen@example.com","type":"work","primary":true}])
        );
        assert_eq!(v["active"], false);
        assert_eq!(v["preferredLanguage"], "en-US");
    }

    // ---- read back with User::from_json / Group::from_json -------------------------------------------

    /// What the API does: `to_json` -> PATCH -> `from_json`.
    fn patched_user(start: &crate::resource::User, ops: Value) -> crate::resource::User {
        let v = match patch_rt(&USER_RESOURCE, &start.to_json(), ops.clone()) {
            Ok(v) => v,
            Err(e) => panic!("{ops}: {e}"),
        };
        match crate::resource::User::from_json(&v) {
            Ok(u) => u,
            Err(e) => panic!("{ops}: {e} in {v}"),
        }
    }

    #[test]
    fn entra_updates_read_back_as_the_typed_user() {
        use crate::resource::User;
        let Ok(start) = User::from_json(&user()) else {
            panic!("fixture")
        };
        let u = patched_user(
            &start,
            json!([{"op":"Add","path":"roles","value":[{"value":"{\"id\":\"06b07648-ecfe-589f-9d2f-6325724a46ee\",\"value\":\"Admin\",\"displayName\":\"Admin\"}"}]}]),
        );
        assert_eq!(u.role.as_deref(), Some("Admin"));
        let u = patched_user(
            &start,
            json!([{"op":"Replace","path":"roles[primary eq \"True\"].value","value":"Viewer"}]),
        );
        assert_eq!(u.role.as_deref(), Some("Viewer"));
        let u = patched_user(
            &start,
            json!([{"op":"Replace","path":"active","value":"False"}]),
        );
        assert!(!u.active);
        let u = patched_user(
            &start,
            json!([{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m-1"}]),
        );
        assert_eq!(u.manager.as_deref(), Some("m-1"));
        let u2 = patched_user(
            &u,
            json!([{"op":"Replace","path":"manager","value":{"value":""}}]),
        );
        assert_eq!(u2.manager, None);
        let u = patched_user(
            &start,
            json!([
                {"op":"Add","path":"addresses[type eq \"work\"].locality","value":"Redmond"},
                {"op":"Add","path":"addresses[type eq \"work\"].region","value":"WA"},
                {"op":"Add","path":"addresses[type eq \"work\"].country","value":"US"},
            ]),
        );
        assert_eq!(u.addresses.len(), 1);
        assert_eq!(u.addresses[0].locality.as_deref(), Some("Redmond"));
        assert_eq!(u.addresses[0].country.as_deref(), Some("US"));
        let u = patched_user(
            &start,
            json!([
                {"op":"Replace","path":"emails[type eq \"work\"].value","value":"new@contoso.com"},
                {"op":"Replace","path":"name.familyName","value":"Smith"}
            ]),
        );
        assert_eq!(u.emails.len(), 1);
        assert_eq!(u.emails[0].value, "new@contoso.com");
        assert_eq!(u.name.family_name.as_deref(), Some("Smith"));
        let u = patched_user(
            &start,
            json!([{"op":"replace","value":{"displayName":"X","name.givenName":"Y",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Z"}}]),
        );
        assert_eq!(u.display_name.as_deref(), Some("X"));
        assert_eq!(u.name.given_name.as_deref(), Some("Y"));
        assert_eq!(u.department.as_deref(), Some("Z"));
        // A PATCH that changes nothing reads back as the same user.
        let same = patched_user(
            &start,
            json!([{"op":"Replace","path":"userName","value":start.user_name.clone()}]),
        );
        assert_eq!(same, start);
    }

    #[test]
    fn group_member_changes_read_back_as_the_typed_group() {
        use crate::resource::Group;
        let Ok(start) = Group::from_json(&group()) else {
            panic!("fixture")
        };
        let v = patch_rt(
            &GROUP_RESOURCE,
            &start.to_json(),
            json!([{"op":"Add","path":"members","value":[{"$ref":null,"value":"u4"}]},
                   {"op":"Remove","path":"members","value":[{"$ref":null,"value":"u1"}]}]),
        );
        let g = v.and_then(|v| Group::from_json(&v));
        let Ok(g) = g else { panic!("{g:?}") };
        let ids: Vec<&str> = g.members.iter().map(|m| m.value.as_str()).collect();
        assert_eq!(ids, ["u2", "u3", "u4"]);
    }

    // ---- never panic ---------------------------------------------------------------------------------

    mod never_panics {
        use super::*;
        use proptest::prelude::*;

        fn arb_json() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(|n| json!(n)),
                any::<f64>().prop_map(|f| json!(f)),
                "\\PC{0,12}".prop_map(Value::String),
                prop::sample::select(vec![
                    "True",
                    "false",
                    "work",
                    "home",
                    "",
                    "u1",
                    "{\"value\":\"Admin\"}",
                    "{\"id\":1}",
                ])
                .prop_map(|s| json!(s)),
            ];
            leaf.prop_recursive(4, 48, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    prop::collection::vec((arb_key(), inner), 0..6)
                        .prop_map(|kv| Value::Object(kv.into_iter().collect())),
                ]
            })
        }

        fn arb_key() -> impl Strategy<Value = String> {
            prop_oneof![arb_path(), "\\PC{0,10}",]
        }

        fn arb_path() -> impl Strategy<Value = String> {
            prop::sample::select(vec![
                "userName",
                "name",
                "name.givenName",
                "NAME.familyname",
                "emails",
                "emails.value",
                "emails[type eq \"work\"].value",
                "emails[type eq \"work\"]",
                "emails[value co \"x\"]",
                "addresses[type eq \"work\"].locality",
                "addresses[type eq \"work\" and primary eq true]",
                "roles",
                "roles[primary eq \"True\"].value",
                "roles[primary eq true]",
                "active",
                "members",
                "members[value eq \"u1\"]",
                "members[value eq \"u1\" or value eq \"u2\"]",
                "members[display eq \"x\"]",
                "members.value",
                "manager",
                "manager.value",
                "manager.displayName",
                "id",
                "meta",
                "meta.version",
                "schemas",
                "externalId",
                "value",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName",
                "urn:ietf:params:scim:schemas:core:2.0:Group:members",
                "urn:x:y",
                "a[",
                "emails[type eq]",
                "displayName",
                "title",
                "foo",
            ])
            .prop_map(String::from)
        }

        fn arb_op() -> impl Strategy<Value = Value> {
            (
                prop::sample::select(vec![
                    "add", "Add", "replace", "Replace", "remove", "REMOVE", "x",
                ]),
                prop::option::of(arb_path()),
                prop::option::of(arb_json()),
            )
                .prop_map(|(op, path, value)| {
                    let mut o = Map::new();
                    o.insert("op".into(), json!(op));
                    if let Some(p) = path {
                        o.insert("path".into(), json!(p));
                    }
                    if let Some(v) = value {
                        o.insert("value".into(), v);
                    }
                    Value::Object(o)
                })
        }

        fn run(body: &Value) {
            if let Ok(req) = PatchRequest::from_json(body) {
                let _ = split_member_changes(&req);
                for (rt, resource) in [(&USER_RESOURCE, user()), (&GROUP_RESOURCE, group())] {
                    match apply(rt, &resource, &req) {
                        Ok(v) => assert!(v.is_object()),
                        Err(e) => assert_eq!(e.status, 400, "{e}"),
                    }
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            #[test]
            fn arbitrary_json_never_panics(body in arb_json()) {
                run(&body);
            }

            /// Arbitrary (possibly non-canonical or ill-typed) stored resources: still no panic.
            #[test]
            fn arbitrary_resources_never_panic(
                resource in prop::collection::vec((arb_key(), arb_json()), 0..8),
                ops in prop::collection::vec(arb_op(), 1..4),
            ) {
                let resource = Value::Object(resource.into_iter().collect());
                let body = json!({"schemas": [PATCH_OP_SCHEMA], "Operations": ops});
                if let Ok(req) = PatchRequest::from_json(&body) {
                    for rt in [&USER_RESOURCE, &GROUP_RESOURCE] {
                        if let Err(e) = apply(rt, &resource, &req) {
                            prop_assert_eq!(e.status, 400, "{}", e);
                        }
                    }
                }
            }

            #[test]
            fn arbitrary_operations_never_panic(ops in prop::collection::vec(arb_op(), 1..5)) {
                run(&json!({"schemas": [PATCH_OP_SCHEMA], "Operations": ops}));
            }
        }
    }
}
