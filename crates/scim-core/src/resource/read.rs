//! The tolerant reader: a User or Group from any shape Entra sends (see the module documentation).

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::json::{bool_word, get_ci, get_ci_or_null, kind, NULL};
use crate::patch::{normalize_elements, normalize_single};
use crate::path::AttrPath;
use crate::schema::{
    resolve_target, user_document_attributes, AttributeDef, ResourceTypeDef, Target,
    COMMON_ATTRIBUTES, GROUP_RESOURCE, USER_RESOURCE,
};

use super::*;

/// The top-level attributes of a request body, each under its canonical name (from [`crate::schema`]).
/// Explicit nulls are left out; a later non-null value of the same attribute wins over an earlier one.
struct Attributes<'a> {
    found: Vec<(&'static str, &'a Value)>,
}

impl<'a> Attributes<'a> {
    /// Sorts the keys of `body` by attribute of `rt`: plain names, names qualified with a schema URN, and
    /// objects keyed by a schema URN. Whatever is not an attribute of `rt` (`schemas`, unknown URNs,
    /// unknown attributes) is ignored.
    fn collect(body: &'a Value, rt: &ResourceTypeDef) -> Result<Self, ScimError> {
        let Some(obj) = body.as_object() else {
            return Err(ScimError::invalid_syntax(format!(
                "a {} must be a JSON object",
                rt.name
            )));
        };
        let mut found = Vec::new();
        for (key, value) in obj {
            if value.is_null() {
                continue;
            }
            // Each key is an attribute path, parsed by the one parser and resolved by the schema; a key that
            // is no path (or names a sub-attribute) is not an attribute: ignored.
            let Ok(path) = key.parse::<AttrPath>() else {
                continue;
            };
            match resolve_target(&path, rt) {
                // `"urn:...:User": { ... }`: the attributes of that schema.
                Some(Target::Schema(schema)) => {
                    let Some(inner) = value.as_object() else {
                        return Err(ScimError::invalid_value(format!(
                            "\"{}\" must be an object of {} attributes, got {}",
                            schema.id,
                            schema.name,
                            kind(value)
                        )));
                    };
                    for (name, v) in inner {
                        if let Some(attr) = schema.attribute(name) {
                            if !v.is_null() {
                                found.push((attr.name, v));
                            }
                        }
                    }
                }
                // `userName`, `urn:...:User:department`, `externalId` (the common attributes `id` and
                // `meta` are read-only: their readers ignore them).
                Some(Target::Attr(r)) if r.sub.is_none() => found.push((r.attr.name, value)),
                Some(Target::Attr(_)) | None => {}
            }
        }
        Ok(Attributes { found })
    }

    /// The value of the attribute with canonical name `name`, `Null` when absent.
    fn get(&self, name: &str) -> &'a Value {
        self.found
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map_or(&NULL, |(_, v)| *v)
    }
}

fn type_error(attr: &str, expected: &str, got: &Value) -> ScimError {
    ScimError::invalid_value(format!(
        "attribute \"{attr}\" must be {expected}, got {}",
        kind(got)
    ))
}

/// A string attribute: `null` is absent; anything but a string is refused.
fn string_attr(v: &Value, attr: &str) -> Result<Option<String>, ScimError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        other => Err(type_error(attr, "a string", other)),
    }
}

/// A boolean attribute: `true`/`false`, or the strings `"true"`/`"false"` in any case (Entra's legacy
/// shape); `null` is absent.
fn bool_attr(v: &Value, attr: &str) -> Result<Option<bool>, ScimError> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        Value::String(s) => bool_word(s.trim())
            .map(Some)
            .ok_or_else(|| type_error(attr, "a boolean", v)),
        other => Err(type_error(attr, "a boolean", other)),
    }
}

/// A multi-valued attribute: an array; `null` is empty.
fn array_attr<'a>(v: &'a Value, attr: &str) -> Result<&'a [Value], ScimError> {
    match v {
        Value::Null => Ok(&[]),
        Value::Array(items) => Ok(items),
        other => Err(type_error(attr, "an array", other)),
    }
}

/// A complex attribute: an object; `null` is absent.
fn object_attr<'a>(v: &'a Value, attr: &str) -> Result<Option<&'a Map<String, Value>>, ScimError> {
    match v {
        Value::Null => Ok(None),
        Value::Object(o) => Ok(Some(o)),
        other => Err(type_error(attr, "an object", other)),
    }
}

/// A required string attribute that must not be empty or blank.
fn required_string(v: &Value, attr: &str) -> Result<String, ScimError> {
    match string_attr(v, attr)? {
        // A name (userName, a group's displayName): no control characters, which no directory puts in one.
        Some(s) if s.chars().any(char::is_control) => Err(ScimError::invalid_value(format!(
            "attribute \"{attr}\" must not contain control characters"
        ))),
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(ScimError::invalid_value(format!(
            "attribute \"{attr}\" is required and must not be empty"
        ))),
    }
}

fn read_name(v: &Value) -> Result<Name, ScimError> {
    let Some(o) = object_attr(v, "name")? else {
        return Ok(Name::default());
    };
    Ok(Name {
        formatted: string_attr(get_ci_or_null(o, "formatted"), "name.formatted")?,
        family_name: string_attr(get_ci_or_null(o, "familyName"), "name.familyName")?,
        given_name: string_attr(get_ci_or_null(o, "givenName"), "name.givenName")?,
    })
}

/// `emails`: elements without a `value` (or with `"value": null`) carry nothing and are dropped.
fn read_emails(v: &Value) -> Result<Vec<Email>, ScimError> {
    let mut emails = Vec::new();
    for (i, item) in array_attr(v, "emails")?.iter().enumerate() {
        let Some(o) = object_attr(item, &format!("emails[{i}]"))? else {
            continue;
        };
        let Some(value) = string_attr(get_ci_or_null(o, "value"), &format!("emails[{i}].value"))?
        else {
            continue;
        };
        emails.push(Email {
            value,
            kind: string_attr(get_ci_or_null(o, "type"), &format!("emails[{i}].type"))?,
            primary: bool_attr(
                get_ci_or_null(o, "primary"),
                &format!("emails[{i}].primary"),
            )?
            .unwrap_or(false),
        });
    }
    Ok(emails)
}

/// `addresses`: RFC 7643 §4.1.2's sub-attributes; unknown ones are ignored.
fn read_addresses(v: &Value) -> Result<Vec<Address>, ScimError> {
    let mut addresses = Vec::new();
    for (i, item) in array_attr(v, "addresses")?.iter().enumerate() {
        let Some(o) = object_attr(item, &format!("addresses[{i}]"))? else {
            continue;
        };
        let sub =
            |name: &str| string_attr(get_ci_or_null(o, name), &format!("addresses[{i}].{name}"));
        addresses.push(Address {
            kind: sub("type")?,
            formatted: sub("formatted")?,
            street_address: sub("streetAddress")?,
            locality: sub("locality")?,
            region: sub("region")?,
            postal_code: sub("postalCode")?,
            country: sub("country")?,
            primary: bool_attr(
                get_ci_or_null(o, "primary"),
                &format!("addresses[{i}].primary"),
            )?
            .unwrap_or(false),
        });
    }
    Ok(addresses)
}

/// Entra's legacy role shape: a role object encoded in a string
/// (`"{\"id\":\"06b0..\",\"value\":\"Admin\",\"displayName\":\"Admin\"}"`), whose `value` (or failing
/// that `displayName`) is the role. `Ok(None)` when `raw` is a plain role (no encoded object); an encoded
/// object without a string role in it is `400 invalidValue`. The one decoder of this shape: the reader of
/// POST/PUT bodies and PATCH both call it.
pub(crate) fn decode_role(raw: &str) -> Result<Option<String>, ScimError> {
    let mut role: Option<String> = None;
    // Decode until what is left is no encoded object, so that a decoded role reads back as itself. Each
    // step yields a strictly shorter string, so this ends.
    while let Some(o) = encoded_object(role.as_deref().unwrap_or(raw)) {
        let inner = ["value", "displayName"]
            .into_iter()
            .find_map(|key| get_ci(&o, key).and_then(Value::as_str))
            .ok_or_else(|| {
                ScimError::invalid_value(
                    "a role encoded as JSON must have a string 'value' or 'displayName'",
                )
            })?;
        if inner.len() >= role.as_deref().unwrap_or(raw).len() {
            break;
        }
        role = Some(inner.to_string());
    }
    Ok(role)
}

/// `raw` as a JSON object, when it is one encoded in a string.
fn encoded_object(raw: &str) -> Option<Map<String, Value>> {
    if !raw.trim_start().starts_with('{') {
        return None;
    }
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(o)) => Some(o),
        _ => None,
    }
}

/// `roles`: at most one distinct value (compared ignoring ASCII case), with its `primary` flag (see
/// [`User::role_primary`]). Empty values are ignored.
fn read_role(v: &Value) -> Result<(Option<String>, Option<bool>), ScimError> {
    let mut roles: Vec<String> = Vec::new();
    let mut primary = None;
    for (i, item) in array_attr(v, "roles")?.iter().enumerate() {
        let (raw, flag) = match item {
            Value::Null => (None, None),
            // A bare string element: the role itself.
            Value::String(s) => (Some(s.clone()), None),
            Value::Object(o) => (
                string_attr(get_ci_or_null(o, "value"), &format!("roles[{i}].value"))?,
                bool_attr(get_ci_or_null(o, "primary"), &format!("roles[{i}].primary"))?,
            ),
            other => return Err(type_error(&format!("roles[{i}]"), "an object", other)),
        };
        let Some(raw) = raw.filter(|r| !r.is_empty()) else {
            continue;
        };
        let (role, encoded) = match decode_role(&raw)? {
            Some(role) => (role, true),
            None => (raw, false),
        };
        if role.is_empty() {
            continue;
        }
        // Entra's string-encoded role is its one app role assignment: the primary role.
        primary = flag.or(encoded.then_some(true)).or(primary);
        if !roles.iter().any(|r| r.eq_ignore_ascii_case(&role)) {
            roles.push(role);
        }
    }
    if roles.len() > 1 {
        return Err(ScimError::invalid_value(format!(
            "a Humbol user has exactly one role; got {}: {}",
            roles.len(),
            roles.join(", ")
        )));
    }
    Ok((roles.pop(), primary))
}

/// `manager`: a bare id, `{"value": id}`, or legacy `[{"$ref": .., "value": id}]`. Empty = none.
fn read_manager(v: &Value) -> Result<Option<String>, ScimError> {
    let id = match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => string_attr(get_ci_or_null(o, "value"), "manager.value")?,
        Value::Array(items) => {
            let mut id = None;
            for (i, item) in items.iter().enumerate() {
                let one = match item {
                    Value::Null => None,
                    Value::String(s) => Some(s.clone()),
                    Value::Object(o) => {
                        string_attr(get_ci_or_null(o, "value"), &format!("manager[{i}].value"))?
                    }
                    other => return Err(type_error("manager", "an object", other)),
                };
                if let Some(one) = one.filter(|s| !s.is_empty()) {
                    if id.as_ref().is_some_and(|prev| prev != &one) {
                        return Err(ScimError::invalid_value(
                            "attribute \"manager\" has more than one value",
                        ));
                    }
                    id = Some(one);
                }
            }
            id
        }
        other => return Err(type_error("manager", "an object", other)),
    };
    Ok(id.filter(|s| !s.is_empty()))
}

/// `name`'s parts kept in their own fields ([`Name`]); its other parts are in the attribute document.
pub(crate) const NAME_COLUMNS: [&str; 3] = ["formatted", "familyName", "givenName"];

/// The attribute document of a User ([`User::attributes`]): every [`UserAttr::Doc`] attribute of the body,
/// normalised as PATCH normalises values (booleans from strings, sub-attribute names canonical, unknown
/// sub-attributes dropped), and `name`'s parts other than [`NAME_COLUMNS`]. `null` and `""` are absent (Entra
/// clears an attribute by sending either). Read-only (`groups`) and never-returned (`password`) attributes are
/// not kept.
fn read_document(a: &Attributes<'_>) -> Result<Map<String, Value>, ScimError> {
    let mut doc = Map::new();
    for d in user_document_attributes() {
        let def = d.attr;
        let v = a.get(def.name);
        let value = if def.multi_valued {
            let mut items = normalize_elements(def, v)?;
            // An element without its `value` carries nothing (as for `emails`): what remains after a PATCH
            // removed `phoneNumbers[type eq "mobile"].value`.
            if def.sub_attribute("value").is_some() {
                items.retain(|e| e.get("value").is_some());
            }
            (!items.is_empty()).then_some(Value::Array(items))
        } else {
            normalize_single(def, v)?
        };
        let Some(value) = value.filter(|v| v.as_str() != Some("")) else {
            continue;
        };
        match d.container {
            Some(urn) => {
                let inner = doc.entry(urn).or_insert_with(|| Value::Object(Map::new()));
                if let Some(inner) = inner.as_object_mut() {
                    inner.insert(def.name.to_string(), value);
                }
            }
            None => {
                doc.insert(def.name.to_string(), value);
            }
        }
    }
    if let Some(name_def) = USER_RESOURCE.schema.attribute("name") {
        if let Some(Value::Object(mut name)) = normalize_single(name_def, a.get("name"))? {
            name.retain(|k, v| !NAME_COLUMNS.contains(&k.as_str()) && v.as_str() != Some(""));
            if !name.is_empty() {
                doc.insert("name".into(), Value::Object(name));
            }
        }
    }
    Ok(doc)
}

/// The attribute document with every string of a case-insensitive (`caseExact: false`) attribute folded with
/// [`crate::eval::fold_case`], case-exact ones as they are: what the store filters and sorts on (its
/// `attributes_norm`), as it does on the `*_norm` columns.
pub fn fold_document(doc: &Map<String, Value>) -> Map<String, Value> {
    fn fold(v: &Value, def: Option<&AttributeDef>) -> Value {
        match v {
            Value::String(s) if def.is_some_and(|d| !d.case_exact) => {
                Value::String(crate::eval::fold_case(s).into_owned())
            }
            Value::Array(items) => Value::Array(items.iter().map(|i| fold(i, def)).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (k.clone(), fold(v, def.and_then(|d| d.sub_attribute(k)))))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    doc.iter()
        .map(|(k, v)| {
            let folded = match USER_RESOURCE.extensions.iter().find(|(s, _)| s.id == k) {
                Some((schema, _)) => match v {
                    Value::Object(o) => Value::Object(
                        o.iter()
                            .map(|(k, v)| (k.clone(), fold(v, schema.attribute(k))))
                            .collect(),
                    ),
                    other => other.clone(),
                },
                None => fold(v, USER_RESOURCE.schema.attribute(k)),
            };
            (k.clone(), folded)
        })
        .collect()
}

/// Checks every string of a resource's canonical JSON against its attribute's [`AttributeDef::max_bytes`]:
/// `400 invalidValue` naming the attribute when one is longer. Unknown keys are not the schema's: skipped.
fn check_lengths(json: &Value, rt: &ResourceTypeDef) -> Result<(), ScimError> {
    fn check(v: &Value, def: &AttributeDef, path: &str) -> Result<(), ScimError> {
        match v {
            Value::String(s) => match def.max_bytes() {
                Some(max) if s.len() > max => Err(ScimError::invalid_value(format!(
                    "attribute \"{path}\" is {} bytes long; at most {max} are allowed",
                    s.len()
                ))),
                _ => Ok(()),
            },
            Value::Array(items) => items.iter().try_for_each(|i| check(i, def, path)),
            Value::Object(o) => o.iter().try_for_each(|(k, v)| match def.sub_attribute(k) {
                Some(sub) => check(v, sub, &format!("{path}.{}", sub.name)),
                None => Ok(()),
            }),
            _ => Ok(()),
        }
    }
    let Some(obj) = json.as_object() else {
        return Ok(());
    };
    for (key, v) in obj {
        if let Some(schema) = rt.extensions.iter().map(|(s, _)| *s).find(|s| s.id == key) {
            if let Some(inner) = v.as_object() {
                for (k, v) in inner {
                    if let Some(def) = schema.attribute(k) {
                        check(v, def, def.name)?;
                    }
                }
            }
            continue;
        }
        let def = rt
            .schema
            .attribute(key)
            .or_else(|| COMMON_ATTRIBUTES.iter().find(|a| a.name == key));
        if let Some(def) = def {
            check(v, def, def.name)?;
        }
    }
    Ok(())
}

impl User {
    /// Reads a User from a request body (POST / PUT), tolerantly: see the module documentation.
    ///
    /// Errors: `400 invalidSyntax` when the body is not an object; `400 invalidValue` when `userName` is
    /// missing or empty, an attribute has the wrong JSON type, or more than one role is given.
    /// `role: None` means "the organisation's default": pass the result through the
    /// organisation's role rules (scim-api's `rules::check_role`).
    pub fn from_json(v: &Value) -> Result<User, ScimError> {
        let a = Attributes::collect(v, &USER_RESOURCE)?;
        let role = read_role(a.get("roles"))?;
        User {
            user_name: required_string(a.get("userName"), "userName")?,
            external_id: string_attr(a.get("externalId"), "externalId")?,
            display_name: string_attr(a.get("displayName"), "displayName")?,
            active: bool_attr(a.get("active"), "active")?.unwrap_or(true),
            title: string_attr(a.get("title"), "title")?,
            preferred_language: string_attr(a.get("preferredLanguage"), "preferredLanguage")?,
            name: read_name(a.get("name"))?,
            emails: read_emails(a.get("emails"))?,
            addresses: read_addresses(a.get("addresses"))?,
            role: role.0,
            role_primary: role.1,
            department: string_attr(a.get("department"), "department")?,
            manager: read_manager(a.get("manager"))?,
            attributes: read_document(&a)?,
            groups: Vec::new(),
        }
        .checked()
    }

    /// `self`, when every string is within its maximum length ([`AttributeDef::max_bytes`]).
    fn checked(self) -> Result<User, ScimError> {
        check_lengths(&self.to_json(), &USER_RESOURCE)?;
        Ok(self)
    }
}

/// `members`: objects with a non-empty `value` (a bare id string is accepted too); `display` is read (it is
/// returned, so it must read back) but is the store's to fill; `$ref` and `type` are ignored. Duplicate
/// ids are merged.
fn read_members(v: &Value) -> Result<Vec<Member>, ScimError> {
    let mut members: Vec<Member> = Vec::new();
    for (i, item) in array_attr(v, "members")?.iter().enumerate() {
        let (value, display) = match item {
            Value::Null => continue,
            Value::String(s) => (Some(s.clone()), None),
            Value::Object(o) => (
                string_attr(get_ci_or_null(o, "value"), &format!("members[{i}].value"))?,
                string_attr(
                    get_ci_or_null(o, "display"),
                    &format!("members[{i}].display"),
                )?,
            ),
            other => return Err(type_error(&format!("members[{i}]"), "an object", other)),
        };
        let Some(value) = value.filter(|s| !s.is_empty()) else {
            return Err(ScimError::invalid_value(format!(
                "attribute \"members[{i}].value\" is required and must not be empty"
            )));
        };
        members.push(Member { value, display });
    }
    Ok(super::first_of_each(members, |m| m.value.as_str()))
}

impl Group {
    /// Reads a Group from a request body (POST / PUT), tolerantly (names in any case, nulls as absent,
    /// unknown attributes and schema URIs such as Microsoft's `ADSCIM/2.0/Group` ignored).
    ///
    /// Errors: `400 invalidSyntax` when the body is not an object; `400 invalidValue` when `displayName` is
    /// missing or empty, a member has no `value`, or an attribute has the wrong JSON type.
    pub fn from_json(v: &Value) -> Result<Group, ScimError> {
        let a = Attributes::collect(v, &GROUP_RESOURCE)?;
        let group = Group {
            display_name: required_string(a.get("displayName"), "displayName")?,
            external_id: string_attr(a.get("externalId"), "externalId")?,
            members: read_members(a.get("members"))?,
        };
        check_lengths(&group.to_json(), &GROUP_RESOURCE)?;
        Ok(group)
    }
}
