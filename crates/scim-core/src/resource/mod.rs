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

mod read;
#[cfg(test)]
mod tests;
mod write;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

pub(crate) use read::decode_role;
pub use read::fold_document;
pub(crate) use read::NAME_COLUMNS;

/// `items` without repeats of `key` (the first of each kept, in order), in linear time and without copying a
/// key: a PUT or PATCH of a group may name tens of thousands of members.
pub(crate) fn first_of_each<T>(items: Vec<T>, key: impl Fn(&T) -> &str) -> Vec<T> {
    // One item cannot repeat: no set to build (most member PATCHes name one).
    if items.len() < 2 {
        return items;
    }
    let keep: Vec<bool> = {
        let mut seen = std::collections::HashSet::with_capacity(items.len());
        items.iter().map(|item| seen.insert(key(item))).collect()
    };
    items
        .into_iter()
        .zip(keep)
        .filter_map(|(item, keep)| keep.then_some(item))
        .collect()
}
pub use write::{GroupPieces, UserJson, MEMBERS_PER_PIECE};

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
    /// The read-only `groups` (RFC 7643 §4.1.2): the groups the user is a direct member of, derived from the
    /// groups' members. Filled by the store when it reads a user; never read from a request ([`User::from_json`]
    /// leaves it empty, the store keeps the memberships as they are), so `from_json(&x.to_json())` equals `x`
    /// without them.
    pub groups: Vec<UserGroup>,
}

/// One of a user's groups, as `groups` returns it: `{"$ref", "display", "type": "direct", "value"}`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserGroup {
    /// The group's id.
    pub value: String,
    /// The group's displayName.
    pub display: String,
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
