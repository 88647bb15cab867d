//! Humbol's typed resources. What the store persists and the API returns; read tolerantly from every shape
//! Entra sends (see `User::from_json`), written canonically (see `User::to_json`).
//!
//! Reading (`from_json`) accepts, as `entra.md` asks:
//! - attribute and sub-attribute names in any ASCII case (`UserName`, `Emails[].Value`);
//! - extension attributes under their schema URN (`{"urn:...:enterprise:2.0:User": {"department": ..}}`) or
//!   as URN-qualified top-level keys (`"urn:...:enterprise:2.0:User:department"`), or unqualified;
//! - explicit `null` as "absent", empty arrays, and booleans as the strings `"true"` / `"False"` / ...;
//! - `manager` as a bare id, as `{"value": id}` or as a legacy one-element array; an empty manager is none;
//! - role values that are a JSON object encoded in a string (Entra's legacy role shape).
//!
//! It ignores `id`, `meta`, `schemas`, unknown attributes and unknown schema URNs. Strings are kept exactly
//! as sent, so that what is returned reads back the same (Entra re-PATCHes every cycle otherwise). Type
//! errors are `400 invalidValue` naming the attribute.
//!
//! Writing (`to_json`) is canonical: canonical attribute names (those of [`crate::schema`]), no nulls, no
//! empty arrays, `active` always present, the one role as `[{"value": r, "primary": p}]` (`primary` as sent), the manager as
//! `{"value": id}` under the enterprise extension object. `from_json(&x.to_json()) == Ok(x)`.

use std::collections::HashSet;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::error::ScimError;
use crate::json::{bool_word, get_ci, get_ci_or_null, kind, NULL};
use crate::patch::{normalize_elements, normalize_single};
use crate::path::AttrPath;
use crate::schema::{
    resolve_target, user_document_attributes, AttributeDef, ResourceTypeDef, Target,
    COMMON_ATTRIBUTES, ENTERPRISE_USER_SCHEMA, GROUP_RESOURCE, GROUP_SCHEMA, USER_RESOURCE,
    USER_SCHEMA,
};

/// A User: exactly the attributes Humbol stores (DESIGN.md, "Humbol's user attributes").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct User {
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    /// `true` unless the client says otherwise.
    pub active: bool,
    pub title: Option<String>,
    pub preferred_language: Option<String>,
    pub name: Name,
    pub emails: Vec<Email>,
    pub addresses: Vec<Address>,
    /// The user's one Humbol role (`roles[primary eq true].value`). `None` on input means "the
    /// organisation's default role", which the API fills in before storing.
    pub role: Option<String>,
    /// `roles[].primary` as the client sent it (`None`: not sent), returned as sent so that what Entra reads
    /// back equals what it wrote. Entra's legacy role shape (a JSON object encoded in a string, which is its
    /// single app role assignment) counts as primary.
    pub role_primary: Option<bool>,
    /// Enterprise extension `department`.
    pub department: Option<String>,
    /// Enterprise extension `manager.value`: the manager's user id.
    pub manager: Option<String>,
    /// Every other attribute ([`UserAttr::Doc`]: `nickName`, `phoneNumbers`, `name.middleName`, the
    /// enterprise `employeeNumber`, ...): their canonical JSON as [`User::to_json`] writes it (canonical
    /// names, enterprise ones inside the object under the extension's URN, `name`'s other parts under
    /// `name`), without nulls, empty strings or empty arrays. The store keeps it as one JSON document.
    pub attributes: Map<String, Value>,
}

/// The serde field order of `Name`, `Email` and `Address` is the sorted order of their JSON keys: the order a
/// `serde_json::Map` keeps, so that a user written directly ([`UserJson`]) and through a `Value` are the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Name {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
}

impl Name {
    /// No part set (then `name` is left out).
    pub fn is_empty(&self) -> bool {
        self.family_name.is_none() && self.formatted.is_none() && self.given_name.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Email {
    pub primary: bool,
    /// `type`: "work", "home", "other" (or whatever the client sent).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    pub primary: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A Group: display name, external id, members (user ids).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Group {
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Member {
    /// The member user's id.
    pub value: String,
    /// The member's display name (read-only; filled by the store when known).
    pub display: Option<String>,
}

/// The store's metadata of a resource: `meta.created`, `meta.lastModified`, and the version counter behind
/// `meta.version` (ETag `W/"<version>"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
    pub version: i64,
}

impl Meta {
    /// The ETag / `meta.version` of this version: `W/"<n>"`.
    pub fn etag(&self) -> String {
        format!("W/\"{}\"", self.version)
    }
}

/// A stored resource: its opaque id, metadata and attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored<T> {
    pub id: String,
    pub meta: Meta,
    pub resource: T,
}

// ---------------------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------------------

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
    /// `role: None` means "the organisation's default": pass the result through [`check_role`].
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
        }
        .checked()
    }

    /// `self`, when every string is within its maximum length ([`AttributeDef::max_bytes`]).
    fn checked(self) -> Result<User, ScimError> {
        check_lengths(&self.to_json(), &USER_RESOURCE)?;
        Ok(self)
    }

    /// The canonical JSON of the user's attributes, without `id` and `meta` (see [`Stored::to_json`]).
    pub fn to_json(&self) -> Value {
        to_value(&UserJson {
            user: self,
            stored: None,
        })
    }
}

/// A user as the API writes it, serialised straight from the typed fields (the list hot path writes it without
/// building a `Value` tree; [`User::to_json`] and [`Stored::to_json`] are this, through `serde_json::to_value`).
/// Keys come in sorted order, the order a `serde_json::Map` keeps, so both routes give the same bytes.
pub struct UserJson<'a> {
    user: &'a User,
    /// `id`, `meta` and the resource's URL, for a stored user.
    stored: Option<(&'a str, &'a Meta, &'a str)>,
}

/// The entries of `doc` whose key sorts before `key`, written now: how the attribute document's entries take
/// their sorted places among the fixed ones (`None`: all that are left).
fn doc_entries_before<'d, M: SerializeMap>(
    m: &mut M,
    doc: &mut std::iter::Peekable<impl Iterator<Item = (&'d String, &'d Value)>>,
    key: Option<&str>,
) -> Result<(), M::Error> {
    while let Some((k, v)) = doc.next_if(|(k, _)| key.is_none_or(|key| k.as_str() < key)) {
        m.serialize_entry(k, v)?;
    }
    Ok(())
}

/// The object of `doc` under `key` (`name`'s other parts, an extension's attributes).
fn doc_object<'d>(doc: &'d Map<String, Value>, key: &str) -> Option<&'d Map<String, Value>> {
    doc.get(key).and_then(Value::as_object)
}

impl Serialize for UserJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let u = self.user;
        let manager = u.manager.as_deref().filter(|m| !m.is_empty());
        let enterprise_doc = doc_object(&u.attributes, ENTERPRISE_USER_SCHEMA);
        let name_doc = doc_object(&u.attributes, "name");
        let enterprise = u.department.is_some() || manager.is_some() || enterprise_doc.is_some();
        // The document's top-level attributes (`name` and the extension are merged below).
        let mut doc = u
            .attributes
            .iter()
            .filter(|(k, _)| k.as_str() != "name" && k.as_str() != ENTERPRISE_USER_SCHEMA)
            .peekable();
        let mut m = serializer.serialize_map(None)?;
        let mut next =
            |m: &mut S::SerializeMap, key: &str| doc_entries_before(m, &mut doc, Some(key));
        next(&mut m, "active")?;
        m.serialize_entry("active", &u.active)?;
        if !u.addresses.is_empty() {
            next(&mut m, "addresses")?;
            m.serialize_entry("addresses", &u.addresses)?;
        }
        if let Some(v) = &u.display_name {
            next(&mut m, "displayName")?;
            m.serialize_entry("displayName", v)?;
        }
        if !u.emails.is_empty() {
            next(&mut m, "emails")?;
            m.serialize_entry("emails", &u.emails)?;
        }
        if let Some(v) = &u.external_id {
            next(&mut m, "externalId")?;
            m.serialize_entry("externalId", v)?;
        }
        if let Some((id, meta, location)) = self.stored {
            next(&mut m, "id")?;
            m.serialize_entry("id", id)?;
            next(&mut m, "meta")?;
            m.serialize_entry("meta", &MetaJson::new(meta, "User", location))?;
        }
        if !u.name.is_empty() || name_doc.is_some() {
            next(&mut m, "name")?;
            m.serialize_entry(
                "name",
                &NameJson {
                    name: &u.name,
                    doc: name_doc,
                },
            )?;
        }
        if let Some(v) = &u.preferred_language {
            next(&mut m, "preferredLanguage")?;
            m.serialize_entry("preferredLanguage", v)?;
        }
        if let Some(role) = u.role.as_deref().filter(|r| !r.is_empty()) {
            next(&mut m, "roles")?;
            m.serialize_entry(
                "roles",
                &[RoleJson {
                    primary: u.role_primary,
                    value: role,
                }],
            )?;
        }
        next(&mut m, "schemas")?;
        if enterprise {
            m.serialize_entry("schemas", &[USER_SCHEMA, ENTERPRISE_USER_SCHEMA])?;
        } else {
            m.serialize_entry("schemas", &[USER_SCHEMA])?;
        }
        if let Some(v) = &u.title {
            next(&mut m, "title")?;
            m.serialize_entry("title", v)?;
        }
        if enterprise {
            // The manager's `$ref` is its User URL, a sibling of this user's.
            let users_url = self
                .stored
                .and_then(|(_, _, location)| location.rsplit_once('/'))
                .map(|(users, _)| users);
            let extension = EnterpriseJson {
                department: u.department.as_deref(),
                manager: manager.map(|value| ManagerJson {
                    reference: users_url.map(|users| format!("{users}/{value}")),
                    value,
                }),
                doc: enterprise_doc,
            };
            next(&mut m, ENTERPRISE_USER_SCHEMA)?;
            m.serialize_entry(ENTERPRISE_USER_SCHEMA, &extension)?;
        }
        next(&mut m, "userName")?;
        m.serialize_entry("userName", &u.user_name)?;
        doc_entries_before(&mut m, &mut doc, None)?;
        m.end()
    }
}

/// `name`: its three stored parts and the document's other parts, keys sorted.
struct NameJson<'a> {
    name: &'a Name,
    doc: Option<&'a Map<String, Value>>,
}

impl Serialize for NameJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Some(doc) = self.doc else {
            return self.name.serialize(serializer);
        };
        let mut doc = doc.iter().peekable();
        let mut m = serializer.serialize_map(None)?;
        for (key, value) in [
            ("familyName", &self.name.family_name),
            ("formatted", &self.name.formatted),
            ("givenName", &self.name.given_name),
        ] {
            if let Some(v) = value {
                doc_entries_before(&mut m, &mut doc, Some(key))?;
                m.serialize_entry(key, v)?;
            }
        }
        doc_entries_before(&mut m, &mut doc, None)?;
        m.end()
    }
}

#[derive(Serialize)]
struct RoleJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    primary: Option<bool>,
    value: &'a str,
}

/// The enterprise extension's object: `department`, `manager` and the document's enterprise attributes,
/// keys sorted.
struct EnterpriseJson<'a> {
    department: Option<&'a str>,
    manager: Option<ManagerJson<'a>>,
    doc: Option<&'a Map<String, Value>>,
}

impl Serialize for EnterpriseJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let empty = Map::new();
        let mut doc = self.doc.unwrap_or(&empty).iter().peekable();
        let mut m = serializer.serialize_map(None)?;
        if let Some(v) = self.department {
            doc_entries_before(&mut m, &mut doc, Some("department"))?;
            m.serialize_entry("department", v)?;
        }
        if let Some(v) = &self.manager {
            doc_entries_before(&mut m, &mut doc, Some("manager"))?;
            m.serialize_entry("manager", v)?;
        }
        doc_entries_before(&mut m, &mut doc, None)?;
        m.end()
    }
}

#[derive(Serialize)]
struct ManagerJson<'a> {
    #[serde(rename = "$ref", skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
    value: &'a str,
}

/// `meta` as returned (keys sorted, see [`UserJson`]).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MetaJson<'a> {
    created: String,
    last_modified: String,
    location: &'a str,
    resource_type: &'a str,
    version: String,
}

impl<'a> MetaJson<'a> {
    fn new(meta: &Meta, resource_type: &'a str, location: &'a str) -> MetaJson<'a> {
        MetaJson {
            created: rfc3339(&meta.created),
            last_modified: rfc3339(&meta.last_modified),
            location,
            resource_type,
            version: meta.etag(),
        }
    }
}

/// `serde_json::to_value` of a type whose map keys are strings, which cannot fail (`Null` would be the unreachable
/// fallback).
fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// Inserts `key: value` when `value` is set (absent values are omitted, never `null`).
fn put(o: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    if let Some(v) = value {
        o.insert(key.into(), Value::from(v.as_str()));
    }
}

/// RFC 3339, UTC, with as many fractional digits as the timestamp has.
fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

impl<T> Stored<T> {
    /// Adds `id` and `meta` (resourceType, created, lastModified, version = ETag, location) to `attrs`.
    fn with_id_and_meta(&self, mut attrs: Value, resource_type: &str, location: &str) -> Value {
        if let Some(o) = attrs.as_object_mut() {
            o.insert("id".into(), Value::from(self.id.as_str()));
            o.insert(
                "meta".into(),
                to_value(&MetaJson::new(&self.meta, resource_type, location)),
            );
        }
        attrs
    }
}

impl Stored<User> {
    /// The whole resource as returned by the API: [`User::to_json`] plus `id` and `meta`; `location` is the
    /// absolute URL of the resource (`{scim base}/Users/{id}`).
    pub fn to_json(&self, location: &str) -> Value {
        to_value(&self.json(location))
    }

    /// The same, to serialise directly (see [`UserJson`]).
    pub fn json<'a>(&'a self, location: &'a str) -> UserJson<'a> {
        UserJson {
            user: &self.resource,
            stored: Some((&self.id, &self.meta, location)),
        }
    }
}

/// `members`: objects with a non-empty `value` (a bare id string is accepted too); `display` is read (it is
/// returned, so it must read back) but is the store's to fill; `$ref` and `type` are ignored. Duplicate
/// ids are merged.
fn read_members(v: &Value) -> Result<Vec<Member>, ScimError> {
    let mut members: Vec<Member> = Vec::new();
    // Linear de-duplication: a PUT may carry tens of thousands of members.
    let mut seen: HashSet<String> = HashSet::new();
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
        if seen.insert(value.clone()) {
            members.push(Member { value, display });
        }
    }
    Ok(members)
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

    /// The canonical JSON of the group's attributes, without `id` and `meta`. Members are
    /// `{"value": id, "display"?: .., "type": "User"}`; no `members` when there are none.
    pub fn to_json(&self) -> Value {
        self.to_json_with_refs(None)
    }

    fn to_json_with_refs(&self, base_url: Option<&str>) -> Value {
        let mut o = Map::new();
        o.insert("schemas".into(), json!([GROUP_SCHEMA]));
        o.insert(
            "displayName".into(),
            Value::from(self.display_name.as_str()),
        );
        put(&mut o, "externalId", &self.external_id);
        if !self.members.is_empty() {
            let members = self.members.iter().map(|m| {
                let mut e = Map::new();
                e.insert("value".into(), Value::from(m.value.as_str()));
                put(&mut e, "display", &m.display);
                if let Some(base) = base_url {
                    let base = base.trim_end_matches('/');
                    e.insert(
                        "$ref".into(),
                        Value::from(format!("{base}/Users/{}", m.value)),
                    );
                }
                e.insert("type".into(), Value::from("User"));
                Value::Object(e)
            });
            o.insert("members".into(), members.collect());
        }
        Value::Object(o)
    }
}

impl Stored<Group> {
    /// The whole resource as returned by the API: [`Group::to_json`] plus `id` and `meta`; `location` is the
    /// absolute URL of the group. With `base_url` (the organisation's SCIM base,
    /// e.g. `https://humbol.example/scim/v2/orgs/acme`), each member also gets `"$ref": "{base_url}/Users/{id}"`.
    pub fn to_json(&self, location: &str, base_url: Option<&str>) -> Value {
        self.with_id_and_meta(self.resource.to_json_with_refs(base_url), "Group", location)
    }
}

/// Applies an organisation's role rules to `user.role` (DESIGN.md, "Roles"):
/// - no role: the organisation's `default_role`;
/// - a role in `allowed`, compared ignoring ASCII case: stored in the spelling of `allowed`;
/// - any other role: `400 invalidValue` listing the allowed roles.
pub fn check_role(
    user: &mut User,
    allowed: &[String],
    default_role: &str,
) -> Result<(), ScimError> {
    let Some(role) = user.role.as_deref() else {
        user.role = Some(default_role.to_string());
        return Ok(());
    };
    match allowed.iter().find(|a| a.eq_ignore_ascii_case(role)) {
        Some(canonical) => {
            user.role = Some(canonical.clone());
            Ok(())
        }
        None => Err(ScimError::invalid_value(format!(
            "role \"{role}\" is not one of this organisation's roles: {}",
            allowed.join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    const ENT: &str = ENTERPRISE_USER_SCHEMA;

    fn user(v: Value) -> User {
        User::from_json(&v).unwrap()
    }

    fn user_err(v: Value) -> ScimError {
        User::from_json(&v).unwrap_err()
    }

    /// entra.md's create payload.
    #[test]
    fn reads_entra_create_payload() {
        let u = user(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "userName": "Test_User_ab64@contoso.com",
            "active": true,
            "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0e@contoso.com"}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "givenName familyName", "familyName": "familyName",
                     "givenName": "givenName"},
            "roles": []
        }));
        assert_eq!(
            u,
            User {
                user_name: "Test_User_ab64@contoso.com".into(),
                external_id: Some("0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef".into()),
                active: true,
                emails: vec![Email {
                    value: "Test_User_fd0e@contoso.com".into(),
                    kind: Some("work".into()),
                    primary: true,
                }],
                name: Name {
                    formatted: Some("givenName familyName".into()),
                    family_name: Some("familyName".into()),
                    given_name: Some("givenName".into()),
                },
                ..User::default()
            }
        );
    }

    #[test]
    fn names_are_case_insensitive() {
        let u = user(json!({
            "UserName": "a@x", "EXTERNALID": "e1", "Active": false,
            "Emails": [{"Value": "a@x", "TYPE": "work", "Primary": "True"}],
            "NAME": {"GivenName": "A", "familyname": "B"},
            "Addresses": [{"Type": "work", "Locality": "Paris", "REGION": "IdF", "Country": "FR"}],
            "Roles": [{"VALUE": "Admin"}],
            "PreferredLanguage": "fr-FR", "Title": "CTO", "DisplayName": "A B"
        }));
        assert_eq!(u.user_name, "a@x");
        assert_eq!(u.external_id.as_deref(), Some("e1"));
        assert!(!u.active);
        assert_eq!(
            u.emails,
            vec![Email {
                value: "a@x".into(),
                kind: Some("work".into()),
                primary: true
            }]
        );
        assert_eq!(u.name.given_name.as_deref(), Some("A"));
        assert_eq!(u.name.family_name.as_deref(), Some("B"));
        assert_eq!(
            u.addresses,
            vec![Address {
                kind: Some("work".into()),
                locality: Some("Paris".into()),
                region: Some("IdF".into()),
                country: Some("FR".into()),
                primary: false,
                ..Address::default()
            }]
        );
        assert_eq!(u.role.as_deref(), Some("Admin"));
        assert_eq!(u.preferred_language.as_deref(), Some("fr-FR"));
        assert_eq!(u.title.as_deref(), Some("CTO"));
        assert_eq!(u.display_name.as_deref(), Some("A B"));
    }

    #[test]
    fn enterprise_attributes_under_the_urn_object() {
        let u = user(json!({
            "userName": "a",
            ENT: {"department": "Sales", "manager": {"value": "m-1"}}
        }));
        assert_eq!(u.department.as_deref(), Some("Sales"));
        assert_eq!(u.manager.as_deref(), Some("m-1"));
        // The URN in another case, member names in another case.
        let u = user(json!({
            "userName": "a",
            "urn:ietf:params:scim:schemas:extension:Enterprise:2.0:user": {"Department": "Ops"}
        }));
        assert_eq!(u.department.as_deref(), Some("Ops"));
    }

    #[test]
    fn enterprise_attributes_as_urn_qualified_keys() {
        let u = user(json!({
            "userName": "a",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Z",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager": "m-2",
        }));
        assert_eq!(u.department.as_deref(), Some("Z"));
        assert_eq!(u.manager.as_deref(), Some("m-2"));
        // Core attributes qualified with the core URN.
        let u = user(json!({"urn:ietf:params:scim:schemas:core:2.0:User:userName": "q"}));
        assert_eq!(u.user_name, "q");
    }

    #[test]
    fn manager_shapes() {
        for manager in [
            json!("m-1"),
            json!({"value": "m-1"}),
            json!({"Value": "m-1", "displayName": "Boss"}),
            json!([{"$ref": "../Users/m-1", "value": "m-1"}]),
            json!([{"$ref": null, "value": "m-1"}]),
        ] {
            let u = user(json!({"userName": "a", ENT: {"manager": manager}}));
            assert_eq!(u.manager.as_deref(), Some("m-1"), "{manager}");
        }
        for empty in [
            json!(""),
            json!({"value": ""}),
            json!(null),
            json!({}),
            json!([]),
            json!({"value": null}),
        ] {
            let u = user(json!({"userName": "a", ENT: {"manager": empty}}));
            assert_eq!(u.manager, None, "{empty}");
        }
        let e = user_err(json!({"userName": "a", ENT: {"manager": 5}}));
        assert!(e.detail.contains("manager"), "{e}");
    }

    #[test]
    fn meta_id_schemas_unknown_attributes_and_schemas_are_ignored() {
        let u = user(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:example:unknown:2.0:Thing"],
            "id": "should-be-ignored",
            "meta": {"resourceType": "User", "version": "W/\"9\""},
            "userName": "a",
            "shoeSize": "ignored",
            "urn:example:unknown:2.0:Thing": {"foo": 1},
            "urn:example:unknown:2.0:Thing:bar": 2,
            "pagers": [{"value": "+1"}],
        }));
        assert_eq!(
            u,
            User {
                user_name: "a".into(),
                active: true,
                ..User::default()
            }
        );
    }

    #[test]
    fn nulls_are_absent_and_empty_arrays_are_fine() {
        let u = user(json!({
            "userName": "a", "externalId": null, "active": null, "title": null,
            "name": null, "emails": null, "addresses": [], "roles": null,
            ENT: null,
        }));
        assert_eq!(
            u,
            User {
                user_name: "a".into(),
                active: true,
                ..User::default()
            }
        );
        let u = user(
            json!({"userName": "a", "name": {"givenName": null}, "emails": [],
                            ENT: {"department": null, "manager": null}}),
        );
        assert_eq!(
            u,
            User {
                user_name: "a".into(),
                active: true,
                ..User::default()
            }
        );
        // An email without a value carries nothing.
        let u = user(json!({"userName": "a", "emails": [{"type": "work", "value": null}]}));
        assert!(u.emails.is_empty());
    }

    #[test]
    fn booleans_as_strings() {
        for (raw, want) in [
            (json!("True"), true),
            (json!("False"), false),
            (json!("false"), false),
            (json!("true"), true),
            (json!(true), true),
            (json!(false), false),
        ] {
            let u = user(json!({"userName": "a", "active": raw,
                                "emails": [{"value": "e", "primary": raw}]}));
            assert_eq!(u.active, want, "{raw}");
            assert_eq!(u.emails[0].primary, want, "{raw}");
        }
        // Absent active means active.
        assert!(user(json!({"userName": "a"})).active);
    }

    #[test]
    fn type_errors_name_the_attribute() {
        for (body, attr) in [
            (json!({"userName": "a", "active": 5}), "\"active\""),
            (json!({"userName": "a", "active": "yes"}), "\"active\""),
            (json!({"userName": "a", "emails": "x"}), "\"emails\""),
            (json!({"userName": "a", "emails": ["x"]}), "\"emails[0]\""),
            (
                json!({"userName": "a", "emails": [{"value": 1}]}),
                "\"emails[0].value\"",
            ),
            (
                json!({"userName": "a", "emails": [{"value": "v", "primary": 1}]}),
                "\"emails[0].primary\"",
            ),
            (json!({"userName": "a", "name": "x"}), "\"name\""),
            (
                json!({"userName": "a", "name": {"givenName": 3}}),
                "\"name.givenName\"",
            ),
            (json!({"userName": "a", "title": ["x"]}), "\"title\""),
            (
                json!({"userName": "a", "roles": {"value": "Admin"}}),
                "\"roles\"",
            ),
            (
                json!({"userName": "a", "addresses": [{"country": false}]}),
                "\"addresses[0].country\"",
            ),
            (json!({"userName": 7}), "\"userName\""),
            (json!({"userName": "a", ENT: "Sales"}), ENT),
        ] {
            let e = user_err(body.clone());
            assert_eq!(e.status, 400, "{body}");
            assert_eq!(e.scim_type, Some(crate::ScimType::InvalidValue), "{body}");
            assert!(e.detail.contains(attr), "{body}: {}", e.detail);
        }
        let e = user_err(json!(["not", "an", "object"]));
        assert_eq!(
            (e.status, e.scim_type),
            (400, Some(crate::ScimType::InvalidSyntax))
        );
    }

    #[test]
    fn user_name_is_required_and_non_empty() {
        for body in [
            json!({}),
            json!({"userName": null}),
            json!({"userName": ""}),
            json!({"userName": "  "}),
        ] {
            let e = user_err(body.clone());
            assert_eq!(
                (e.status, e.scim_type),
                (400, Some(crate::ScimType::InvalidValue)),
                "{body}"
            );
            assert!(e.detail.contains("userName"), "{}", e.detail);
        }
    }

    #[test]
    fn strings_are_kept_exactly() {
        let u = user(json!({"userName": "  Alice@Contoso.COM ", "name": {"givenName": " Al "}}));
        assert_eq!(u.user_name, "  Alice@Contoso.COM ");
        assert_eq!(u.name.given_name.as_deref(), Some(" Al "));
        assert_eq!(u.to_json()["userName"], "  Alice@Contoso.COM ");
    }

    #[test]
    fn roles_entra_create_shape() {
        let u = user(json!({"userName": "a", "roles": [
            {"primary": true, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}]}));
        assert_eq!(u.role.as_deref(), Some("Admin"));
        assert_eq!(user(json!({"userName": "a", "roles": []})).role, None);
    }

    #[test]
    fn roles_json_encoded_in_a_string() {
        let u = user(json!({"userName": "a", "roles": [
            {"value": "{\"id\":\"06b07648-ecfe-589f-9d2f-6325724a46ee\",\"value\":\"Admin\",\"displayName\":\"Admin\"}"}]}));
        assert_eq!(u.role.as_deref(), Some("Admin"));
        // Only displayName in the encoded object.
        let u =
            user(json!({"userName": "a", "roles": [{"value": "{\"displayName\":\"Viewer\"}"}]}));
        assert_eq!(u.role.as_deref(), Some("Viewer"));
        // Not JSON after all: taken as it is.
        let u = user(json!({"userName": "a", "roles": [{"value": "{weird"}]}));
        assert_eq!(u.role.as_deref(), Some("{weird"));
        // Encoded twice: decoded twice, so that the role reads back as itself.
        let twice = json!({"value": json!({"value": "Admin"}).to_string()}).to_string();
        let u = user(json!({"userName": "a", "roles": [{"value": twice}]}));
        assert_eq!(u.role.as_deref(), Some("Admin"));
        // An encoded object without a role in it: refused, as PATCH refuses it (one decoder).
        let e = user_err(json!({"userName": "a", "roles": [{"value": "{\"id\":\"06b0\"}"}]}));
        assert_eq!(e.scim_type, Some(crate::ScimType::InvalidValue));
    }

    #[test]
    fn more_than_one_role_is_refused() {
        let e = user_err(json!({"userName": "a", "roles": [
            {"value": "Admin", "primary": true}, {"value": "Member"}]}));
        assert_eq!(
            (e.status, e.scim_type),
            (400, Some(crate::ScimType::InvalidValue))
        );
        assert_eq!(
            e.detail,
            "a Humbol user has exactly one role; got 2: Admin, Member"
        );
        // The same role twice (in any case, in any shape) is one role.
        let u = user(json!({"userName": "a", "roles": [
            {"value": "Admin"}, {"value": "admin"}, {"value": "{\"value\":\"Admin\"}"}]}));
        assert_eq!(u.role.as_deref(), Some("Admin"));
    }

    #[test]
    fn check_role_rules() {
        let allowed: Vec<String> = ["Admin", "Member", "Viewer"].map(String::from).to_vec();
        let mut u = User {
            user_name: "a".into(),
            ..User::default()
        };
        check_role(&mut u, &allowed, "Member").unwrap();
        assert_eq!(u.role.as_deref(), Some("Member"));

        u.role = Some("admin".into());
        check_role(&mut u, &allowed, "Member").unwrap();
        assert_eq!(
            u.role.as_deref(),
            Some("Admin"),
            "stored in the organisation's spelling"
        );

        u.role = Some("Owner".into());
        let e = check_role(&mut u, &allowed, "Member").unwrap_err();
        assert_eq!(
            (e.status, e.scim_type),
            (400, Some(crate::ScimType::InvalidValue))
        );
        assert_eq!(
            e.detail,
            "role \"Owner\" is not one of this organisation's roles: Admin, Member, Viewer"
        );
    }

    #[test]
    fn canonical_output() {
        let u = User {
            user_name: "a@x".into(),
            external_id: Some("e".into()),
            active: false,
            name: Name {
                given_name: Some("A".into()),
                ..Name::default()
            },
            emails: vec![Email {
                value: "a@x".into(),
                kind: Some("work".into()),
                primary: true,
            }],
            addresses: vec![Address {
                kind: Some("work".into()),
                country: Some("FR".into()),
                ..Address::default()
            }],
            role: Some("Admin".into()),
            role_primary: Some(true),
            department: Some("Sales".into()),
            manager: Some("m-1".into()),
            ..User::default()
        };
        assert_eq!(
            u.to_json(),
            json!({
                "schemas": [USER_SCHEMA, ENT],
                "userName": "a@x",
                "externalId": "e",
                "name": {"givenName": "A"},
                "active": false,
                "emails": [{"value": "a@x", "type": "work", "primary": true}],
                "addresses": [{"type": "work", "country": "FR", "primary": false}],
                "roles": [{"value": "Admin", "primary": true}],
                ENT: {"department": "Sales", "manager": {"value": "m-1"}},
            })
        );
        // Minimal: core schema only, active present, nothing else.
        let u = User {
            user_name: "b".into(),
            active: true,
            ..User::default()
        };
        assert_eq!(
            u.to_json(),
            json!({"schemas": [USER_SCHEMA], "userName": "b", "active": true})
        );
    }

    fn meta() -> Meta {
        Meta {
            created: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
            last_modified: Utc.with_ymd_and_hms(2026, 2, 3, 4, 5, 6).unwrap()
                + chrono::Duration::milliseconds(250),
            version: 3,
        }
    }

    #[test]
    fn stored_user_has_id_and_meta() {
        let s = Stored {
            id: "u-1".into(),
            meta: meta(),
            resource: User {
                user_name: "a".into(),
                active: true,
                ..User::default()
            },
        };
        let v = s.to_json("https://h/scim/v2/orgs/acme/Users/u-1");
        assert_eq!(v["id"], "u-1");
        assert_eq!(
            v["meta"],
            json!({"resourceType": "User", "created": "2026-01-02T03:04:05Z",
                   "lastModified": "2026-02-03T04:05:06.250Z", "version": "W/\"3\"",
                   "location": "https://h/scim/v2/orgs/acme/Users/u-1"})
        );
        assert_eq!(v["userName"], "a");
        // And it reads back (id and meta ignored).
        assert_eq!(User::from_json(&v).unwrap(), s.resource);
    }

    #[test]
    fn group_reads_entra_shapes() {
        let g = Group::from_json(&json!({
            "schemas": [GROUP_SCHEMA, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "Sales",
            "meta": {"resourceType": "Group"},
            "members": []
        }))
        .unwrap();
        assert_eq!(
            g,
            Group {
                display_name: "Sales".into(),
                external_id: Some("8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159".into()),
                members: vec![]
            }
        );
        let g = Group::from_json(&json!({
            "DisplayName": "Ops",
            "Members": [{"$ref": null, "value": "u-1"}, {"Value": "u-2", "display": "Bo"}, "u-3",
                        {"value": "u-1"}]
        }))
        .unwrap();
        assert_eq!(
            g.members,
            vec![
                Member {
                    value: "u-1".into(),
                    display: None
                },
                Member {
                    value: "u-2".into(),
                    display: Some("Bo".into())
                },
                Member {
                    value: "u-3".into(),
                    display: None
                },
            ]
        );
    }

    #[test]
    fn group_errors() {
        for (body, needle) in [
            (json!({}), "displayName"),
            (json!({"displayName": ""}), "displayName"),
            (json!({"displayName": "G", "members": "u-1"}), "\"members\""),
            (
                json!({"displayName": "G", "members": [{"display": "x"}]}),
                "members[0].value",
            ),
            (
                json!({"displayName": "G", "members": [{"value": ""}]}),
                "members[0].value",
            ),
            (json!({"displayName": "G", "members": [3]}), "members[0]"),
        ] {
            let e = Group::from_json(&body).unwrap_err();
            assert_eq!(
                (e.status, e.scim_type),
                (400, Some(crate::ScimType::InvalidValue)),
                "{body}"
            );
            assert!(e.detail.contains(needle), "{body}: {}", e.detail);
        }
    }

    #[test]
    fn group_canonical_output() {
        let g = Group {
            display_name: "Sales".into(),
            external_id: None,
            members: vec![
                Member {
                    value: "u-1".into(),
                    display: Some("Al".into()),
                },
                Member {
                    value: "u-2".into(),
                    display: None,
                },
            ],
        };
        assert_eq!(
            g.to_json(),
            json!({"schemas": [GROUP_SCHEMA], "displayName": "Sales", "members": [
                {"value": "u-1", "display": "Al", "type": "User"}, {"value": "u-2", "type": "User"}]})
        );
        let s = Stored {
            id: "g-1".into(),
            meta: meta(),
            resource: g.clone(),
        };
        let v = s.to_json("https://h/o/Groups/g-1", Some("https://h/o/"));
        assert_eq!(
            v["members"][1],
            json!({"value": "u-2", "$ref": "https://h/o/Users/u-2", "type": "User"})
        );
        assert_eq!(v["meta"]["resourceType"], "Group");
        assert_eq!(v["meta"]["location"], "https://h/o/Groups/g-1");
        assert_eq!(Group::from_json(&v).unwrap(), g);
        let empty = Group {
            display_name: "E".into(),
            ..Group::default()
        };
        assert_eq!(
            empty.to_json(),
            json!({"schemas": [GROUP_SCHEMA], "displayName": "E"})
        );
    }

    fn opt_text() -> impl Strategy<Value = Option<String>> {
        proptest::option::of(any::<String>())
    }

    fn arb_user() -> impl Strategy<Value = User> {
        let email =
            (any::<String>(), opt_text(), any::<bool>()).prop_map(|(value, kind, primary)| Email {
                value,
                kind,
                primary,
            });
        let address = (
            (opt_text(), opt_text(), opt_text()),
            (opt_text(), opt_text(), opt_text(), opt_text()),
            any::<bool>(),
        )
            .prop_map(
                |(
                    (kind, formatted, street_address),
                    (locality, region, postal_code, country),
                    primary,
                )| {
                    Address {
                        kind,
                        formatted,
                        street_address,
                        locality,
                        region,
                        postal_code,
                        country,
                        primary,
                    }
                },
            );
        // The attribute document, generated from the schema table (crate::samples).
        let document = (
            proptest::collection::vec("\\PC{1,12}", 96),
            proptest::collection::vec(any::<bool>(), 192),
        )
            .prop_map(|(words, flags)| {
                crate::samples::user_document(&mut words.into_iter(), &mut flags.into_iter())
            });
        (
            (
                "[^\\s\\pC]\\PC{0,20}",
                opt_text(),
                opt_text(),
                any::<bool>(),
                opt_text(),
                opt_text(),
            ),
            (opt_text(), opt_text(), opt_text()),
            proptest::collection::vec(email, 0..3),
            proptest::collection::vec(address, 0..3),
            document,
            (
                proptest::option::of("[A-Za-z][A-Za-z0-9 _-]{0,12}"),
                proptest::option::of(any::<bool>()),
                opt_text(),
                proptest::option::of("\\PC{1,20}"),
            ),
        )
            .prop_map(
                |(
                    (user_name, external_id, display_name, active, title, preferred_language),
                    (formatted, family_name, given_name),
                    emails,
                    addresses,
                    attributes,
                    (role, role_primary, department, manager),
                )| User {
                    user_name,
                    external_id,
                    display_name,
                    active,
                    title,
                    preferred_language,
                    name: Name {
                        formatted,
                        family_name,
                        given_name,
                    },
                    emails,
                    addresses,
                    // `primary` is returned only with a role.
                    role_primary: role.as_ref().and(role_primary),
                    role,
                    department,
                    manager,
                    attributes,
                },
            )
    }

    fn arb_group() -> impl Strategy<Value = Group> {
        let member =
            ("\\PC{1,20}", opt_text()).prop_map(|(value, display)| Member { value, display });
        (
            "[^\\s\\pC]\\PC{0,20}",
            opt_text(),
            proptest::collection::vec(member, 0..5),
        )
            .prop_map(|(display_name, external_id, mut members)| {
                // Members are a set of ids.
                let mut seen = std::collections::HashSet::new();
                members.retain(|m| seen.insert(m.value.clone()));
                Group {
                    display_name,
                    external_id,
                    members,
                }
            })
    }

    /// Arbitrary JSON whose object keys are mostly attribute names Entra uses, in random case.
    fn arb_json() -> impl Strategy<Value = Value> {
        let key = prop_oneof![
            proptest::sample::select(vec![
                "userName",
                "externalId",
                "active",
                "name",
                "givenName",
                "emails",
                "value",
                "type",
                "primary",
                "roles",
                "addresses",
                "locality",
                "manager",
                "department",
                "members",
                "displayName",
                ENT,
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            ])
            .prop_map(str::to_string),
            "[a-zA-Z]{1,6}",
        ]
        .prop_flat_map(|k| {
            proptest::collection::vec(any::<bool>(), k.len()).prop_map(move |upper| {
                k.chars()
                    .zip(upper)
                    .map(|(c, u)| {
                        if u {
                            c.to_ascii_uppercase()
                        } else {
                            c.to_ascii_lowercase()
                        }
                    })
                    .collect::<String>()
            })
        });
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(Value::from),
            prop_oneof![Just("True".to_string()), Just("".to_string()), "\\PC{0,8}"]
                .prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec((key.clone(), inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn user_json_round_trip(u in arb_user()) {
            prop_assert_eq!(User::from_json(&u.to_json()), Ok(u.clone()));
            // Through text too (what actually goes over the wire).
            let text = serde_json::to_string(&u.to_json()).unwrap();
            let back: Value = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(User::from_json(&back), Ok(u));
        }

        /// Whatever comes in, reading never panics, and what was read is written so that it reads back the
        /// same.
        #[test]
        fn reading_anything_is_total_and_stable(v in arb_json()) {
            if let Ok(u) = User::from_json(&v) {
                prop_assert_eq!(User::from_json(&u.to_json()), Ok(u));
            }
            if let Ok(g) = Group::from_json(&v) {
                prop_assert_eq!(Group::from_json(&g.to_json()), Ok(g));
            }
        }

        /// The direct writer (the list hot path) and the `Value` form give the same bytes: keys sorted alike,
        /// nothing added or left out.
        #[test]
        fn user_written_directly_equals_its_value_form(u in arb_user(), id in "[a-z0-9-]{1,36}") {
            let stored = Stored { id: id.clone(), meta: meta(), resource: u };
            let location = format!("https://h/scim/v2/orgs/acme/Users/{id}");
            let direct = serde_json::to_string(&stored.json(&location)).unwrap();
            let via_value = serde_json::to_string(&stored.to_json(&location)).unwrap();
            prop_assert_eq!(&direct, &via_value);
            let list = crate::list::ListResponse::new(3, 1, vec![stored.json(&location)]);
            let list_value = crate::list::list_response(3, 1, vec![stored.to_json(&location)]);
            prop_assert_eq!(serde_json::to_string(&list).unwrap(), serde_json::to_string(&list_value).unwrap());
        }

        #[test]
        fn group_json_round_trip(g in arb_group()) {
            prop_assert_eq!(Group::from_json(&g.to_json()), Ok(g.clone()));
            let stored = Stored { id: "g".into(), meta: meta(), resource: g.clone() };
            prop_assert_eq!(Group::from_json(&stored.to_json("l", Some("https://h"))), Ok(g));
        }
    }
}
