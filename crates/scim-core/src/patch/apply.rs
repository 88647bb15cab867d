//! The apply engine: each operation on a copy of the resource, guided by the attribute definitions.

use super::parse::parse_path;
use super::values::qualify;
use super::*;
use crate::json::member;

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
    // A key without a value filter is an attribute path: its parser alone (no tokenizer) reads it.
    let path = if key.contains('[') {
        parse_path(key)
    } else {
        key.parse::<AttrPath>().map(|attr| PatchPath {
            attr,
            filter: None,
            sub_attr: None,
        })
    }
    .map_err(|e| ScimError::invalid_path(e.detail))?;
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
        let (_, def, sub) = resolve_attr(rt, &qualified, qualified.sub.as_deref())?;
        apply_target(root, op, Some(ext), def, None, sub, Some(v))?;
    }
    Ok(())
}

/// Resolves an attribute path through the schema's resolver ([`crate::schema::resolve`]): `(extension
/// schema holding it, if any; definition; sub-attribute)`, or the `invalidPath` naming what is unknown.
fn resolve_attr(
    rt: &ResourceTypeDef,
    attr: &AttrPath,
    sub: Option<&str>,
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
    match resolve_sub(attr, sub, rt) {
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
    let sub = path.sub_attr.as_deref().or(path.attr.sub.as_deref());
    let (ext, def, sub) = resolve_attr(rt, &path.attr, sub)?;
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
    filter: Option<&ValueFilter>,
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
    filter: Option<&ValueFilter>,
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
                match member(l, "value") {
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
fn matches(filter: &ValueFilter, element: &Value, def: &AttributeDef) -> bool {
    crate::eval::element_matches(filter, element, def)
}

/// A value path `attr[filter]` or `attr[filter].sub`.
fn patch_filtered(
    op: PatchOpKind,
    def: &'static AttributeDef,
    filter: &ValueFilter,
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
    filter: &ValueFilter,
) -> Result<Option<Map<String, Value>>, ScimError> {
    fn collect(
        def: &AttributeDef,
        filter: &ValueFilter,
        out: &mut Map<String, Value>,
    ) -> Result<bool, ScimError> {
        match filter {
            ValueFilter::And(a, b) => Ok(collect(def, a, out)? && collect(def, b, out)?),
            ValueFilter::Compare {
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
