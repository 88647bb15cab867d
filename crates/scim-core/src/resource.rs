//! Humbol's typed resources. What the store persists and the API returns; read tolerantly from every shape
//! Entra sends (see `User::from_json`), written canonically (see `User::to_json`).

use chrono::{DateTime, Utc};

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
    /// Enterprise extension `department`.
    pub department: Option<String>,
    /// Enterprise extension `manager.value`: the manager's user id.
    pub manager: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Name {
    pub formatted: Option<String>,
    pub family_name: Option<String>,
    pub given_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Email {
    pub value: String,
    /// `type`: "work", "home", "other" (or whatever the client sent).
    pub kind: Option<String>,
    pub primary: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    pub kind: Option<String>,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    pub primary: bool,
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
