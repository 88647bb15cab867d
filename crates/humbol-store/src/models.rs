//! Row structs and their conversions to and from scim-core's resources, times, and the mapping of diesel
//! errors to [`StoreError`].

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use scim_core::resource::{
    fold_document, Address, Email, Group, Meta, Name, Stored, User, UserGroup,
};
use serde_json::Value;

use crate::schema::{events, groups, orgs, scim_tokens, user_addresses, user_emails, users};
use crate::{Event, Org, Outcome, StoreError, TokenInfo};

// ---- times and normalisation ----

/// Microseconds since the epoch: how every time is stored.
pub fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// The inverse of [`micros`].
pub fn from_micros(v: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(v).unwrap_or_default()
}

/// The current time at the stored precision (so what a call returns equals what a later read returns).
pub fn now() -> DateTime<Utc> {
    from_micros(micros(Utc::now()))
}

/// The normalised form of a case-insensitive value: what `*_norm` columns hold and filters compare with
/// (`scim_core::eval::fold_case`: lowercase and NFC, so NFC and NFD spellings of one userName are one user).
pub fn norm(s: &str) -> String {
    scim_core::eval::fold_case(s).into_owned()
}

fn norm_opt(s: &Option<String>) -> Option<String> {
    s.as_deref().map(norm)
}

/// A fresh resource id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

// ---- errors ----

impl From<DieselError> for StoreError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => StoreError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                // PostgreSQL names the index; SQLite lists the columns ("users.org, users.user_name_norm").
                let what = format!(
                    "{} {}",
                    info.constraint_name().unwrap_or(""),
                    info.message()
                );
                let attribute = if what.contains("user_name") {
                    "userName"
                } else if what.contains("external_id") {
                    "externalId"
                } else if what.contains("display_name") {
                    "displayName"
                } else if what.contains("hash") {
                    "token"
                } else {
                    "id"
                };
                StoreError::Conflict {
                    attribute: attribute.into(),
                    value: String::new(),
                }
            }
            other => crate::pool::classify(other),
        }
    }
}

/// Fills in the conflicting value of a [`StoreError::Conflict`] from the attributes that were written.
pub fn with_conflict_value(e: StoreError, value_of: impl Fn(&str) -> Option<String>) -> StoreError {
    match e {
        StoreError::Conflict { attribute, .. } => {
            let value = value_of(&attribute).unwrap_or_default();
            StoreError::Conflict { attribute, value }
        }
        other => other,
    }
}

// ---- organisations ----

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = orgs)]
pub struct OrgRow {
    pub slug: String,
    pub name: String,
    pub scim_enabled: bool,
    pub roles: String,
    pub default_role: String,
    pub created: i64,
    pub updated: i64,
}

impl OrgRow {
    /// The organisation; a `roles` column that is not a JSON list of strings is a [`StoreError::Database`]
    /// (never an organisation silently without roles).
    pub fn into_org(self) -> Result<Org, StoreError> {
        let roles = serde_json::from_str(&self.roles).map_err(|e| {
            StoreError::Database(format!(
                "organisation \"{}\": the roles column is not a JSON list of strings: {e}",
                self.slug
            ))
        })?;
        Ok(Org {
            roles,
            slug: self.slug,
            name: self.name,
            scim_enabled: self.scim_enabled,
            default_role: self.default_role,
            created: from_micros(self.created),
            updated: from_micros(self.updated),
        })
    }
}

// ---- tokens ----

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = scim_tokens)]
pub struct TokenRow {
    pub id: String,
    pub org: String,
    pub name: String,
    pub hash: Vec<u8>,
    pub hint: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl TokenRow {
    pub fn into_info(self) -> TokenInfo {
        TokenInfo {
            id: self.id,
            name: self.name,
            hint: self.hint,
            created_at: from_micros(self.created_at),
            last_used_at: self.last_used_at.map(from_micros),
            expires_at: self.expires_at.map(from_micros),
            revoked_at: self.revoked_at.map(from_micros),
        }
    }
}

// ---- users ----

/// A user's attributes as stored and read back: what every read selects. Not its organisation (reads are
/// scoped by it) nor the `*_norm` columns (only filters, sorting and unique indexes use them): a look-up
/// decodes 17 columns, not 27.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true)]
pub struct UserRow {
    pub id: String,
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub active: bool,
    pub title: Option<String>,
    pub preferred_language: Option<String>,
    pub name_formatted: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub role: Option<String>,
    pub role_primary: Option<bool>,
    pub department: Option<String>,
    pub manager_id: Option<String>,
    pub created: i64,
    pub last_modified: i64,
    pub version: i64,
    /// The attribute document, JSON.
    pub attributes: String,
}

/// The `users` row a write stores: [`UserRow`], the organisation and the normalised columns.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true)]
pub struct UserWriteRow {
    #[diesel(embed)]
    pub attrs: UserRow,
    pub org: String,
    pub user_name_norm: String,
    pub display_name_norm: Option<String>,
    pub title_norm: Option<String>,
    pub preferred_language_norm: Option<String>,
    pub name_formatted_norm: Option<String>,
    pub given_name_norm: Option<String>,
    pub family_name_norm: Option<String>,
    pub department_norm: Option<String>,
    /// The attribute document with case-insensitive strings folded.
    pub attributes_norm: String,
}

/// An email as read back (see [`UserRow`]).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = user_emails)]
pub struct EmailRow {
    pub user_id: String,
    pub position: i32,
    pub value: String,
    pub kind: Option<String>,
    pub is_primary: bool,
}

/// The `user_emails` row a write stores.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = user_emails)]
pub struct EmailWriteRow {
    #[diesel(embed)]
    pub attrs: EmailRow,
    pub value_norm: String,
    pub kind_norm: Option<String>,
}

/// An address as read back (see [`UserRow`]).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = user_addresses)]
pub struct AddressRow {
    pub user_id: String,
    pub position: i32,
    pub kind: Option<String>,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    pub is_primary: bool,
    pub formatted: Option<String>,
    pub street_address: Option<String>,
    pub postal_code: Option<String>,
}

/// The `user_addresses` row a write stores.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = user_addresses)]
pub struct AddressWriteRow {
    #[diesel(embed)]
    pub attrs: AddressRow,
    pub kind_norm: Option<String>,
    pub locality_norm: Option<String>,
    pub region_norm: Option<String>,
    pub country_norm: Option<String>,
    pub formatted_norm: Option<String>,
    pub street_address_norm: Option<String>,
    pub postal_code_norm: Option<String>,
}

/// The rows a write stores for one user.
pub struct UserRows {
    pub user: UserWriteRow,
    pub emails: Vec<EmailWriteRow>,
    pub addresses: Vec<AddressWriteRow>,
}

impl UserRows {
    /// The rows that store `u` as user `id` of `org` with metadata `meta`.
    pub fn new(id: &str, org: &str, u: &User, meta: &Meta) -> UserRows {
        let user = UserWriteRow {
            attrs: UserRow {
                id: id.to_string(),
                user_name: u.user_name.clone(),
                external_id: u.external_id.clone(),
                display_name: u.display_name.clone(),
                active: u.active,
                title: u.title.clone(),
                preferred_language: u.preferred_language.clone(),
                name_formatted: u.name.formatted.clone(),
                given_name: u.name.given_name.clone(),
                family_name: u.name.family_name.clone(),
                role: u.role.clone(),
                role_primary: u.role_primary,
                department: u.department.clone(),
                manager_id: u.manager.clone(),
                created: micros(meta.created),
                last_modified: micros(meta.last_modified),
                version: meta.version,
                attributes: Value::Object(u.attributes.clone()).to_string(),
            },
            org: org.to_string(),
            user_name_norm: norm(&u.user_name),
            display_name_norm: norm_opt(&u.display_name),
            title_norm: norm_opt(&u.title),
            preferred_language_norm: norm_opt(&u.preferred_language),
            name_formatted_norm: norm_opt(&u.name.formatted),
            given_name_norm: norm_opt(&u.name.given_name),
            family_name_norm: norm_opt(&u.name.family_name),
            department_norm: norm_opt(&u.department),
            attributes_norm: Value::Object(fold_document(&u.attributes)).to_string(),
        };
        let emails = u
            .emails
            .iter()
            .enumerate()
            .map(|(i, e)| EmailWriteRow {
                attrs: EmailRow {
                    user_id: id.to_string(),
                    position: i as i32,
                    value: e.value.clone(),
                    kind: e.kind.clone(),
                    is_primary: e.primary,
                },
                value_norm: norm(&e.value),
                kind_norm: norm_opt(&e.kind),
            })
            .collect();
        let addresses = u
            .addresses
            .iter()
            .enumerate()
            .map(|(i, a)| AddressWriteRow {
                attrs: AddressRow {
                    user_id: id.to_string(),
                    position: i as i32,
                    kind: a.kind.clone(),
                    locality: a.locality.clone(),
                    region: a.region.clone(),
                    country: a.country.clone(),
                    is_primary: a.primary,
                    formatted: a.formatted.clone(),
                    street_address: a.street_address.clone(),
                    postal_code: a.postal_code.clone(),
                },
                kind_norm: norm_opt(&a.kind),
                locality_norm: norm_opt(&a.locality),
                region_norm: norm_opt(&a.region),
                country_norm: norm_opt(&a.country),
                formatted_norm: norm_opt(&a.formatted),
                street_address_norm: norm_opt(&a.street_address),
                postal_code_norm: norm_opt(&a.postal_code),
            })
            .collect();
        UserRows {
            user,
            emails,
            addresses,
        }
    }

    /// The stored user these rows hold.
    pub fn into_stored(self) -> Result<Stored<User>, StoreError> {
        LoadedUser {
            user: self.user.attrs,
            emails: self.emails.into_iter().map(|e| e.attrs).collect(),
            addresses: self.addresses.into_iter().map(|a| a.attrs).collect(),
            groups: Vec::new(),
        }
        .into_stored()
    }
}

/// The rows of one user as read back.
pub struct LoadedUser {
    pub user: UserRow,
    pub emails: Vec<EmailRow>,
    pub addresses: Vec<AddressRow>,
    /// The user's read-only `groups` (read with it: `crate::user_groups`).
    pub groups: Vec<UserGroup>,
}

impl LoadedUser {
    /// The stored user these rows hold (child rows sorted by position); an attribute document that is not a
    /// JSON object is a [`StoreError::Database`] (never a user silently without its attributes).
    pub fn into_stored(self) -> Result<Stored<User>, StoreError> {
        let LoadedUser {
            user: r,
            mut emails,
            mut addresses,
            groups,
        } = self;
        emails.sort_by_key(|e| e.position);
        addresses.sort_by_key(|a| a.position);
        let attributes = match serde_json::from_str::<Value>(&r.attributes) {
            Ok(Value::Object(o)) => o,
            _ => {
                return Err(StoreError::Database(format!(
                    "user \"{}\": the attributes column is not a JSON object",
                    r.id
                )))
            }
        };
        Ok(Stored {
            id: r.id,
            meta: Meta {
                created: from_micros(r.created),
                last_modified: from_micros(r.last_modified),
                version: r.version,
            },
            resource: User {
                user_name: r.user_name,
                external_id: r.external_id,
                display_name: r.display_name,
                active: r.active,
                title: r.title,
                preferred_language: r.preferred_language,
                name: Name {
                    formatted: r.name_formatted,
                    family_name: r.family_name,
                    given_name: r.given_name,
                },
                emails: emails
                    .into_iter()
                    .map(|e| Email {
                        value: e.value,
                        kind: e.kind,
                        primary: e.is_primary,
                    })
                    .collect(),
                addresses: addresses
                    .into_iter()
                    .map(|a| Address {
                        kind: a.kind,
                        locality: a.locality,
                        region: a.region,
                        country: a.country,
                        primary: a.is_primary,
                        formatted: a.formatted,
                        street_address: a.street_address,
                        postal_code: a.postal_code,
                    })
                    .collect(),
                role: r.role,
                role_primary: r.role_primary,
                department: r.department,
                manager: r.manager_id,
                attributes,
                groups,
            },
        })
    }
}

// ---- groups ----

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = groups, treat_none_as_null = true)]
pub struct GroupRow {
    pub id: String,
    pub org: String,
    pub display_name: String,
    pub display_name_norm: String,
    pub external_id: Option<String>,
    pub created: i64,
    pub last_modified: i64,
    pub version: i64,
}

impl GroupRow {
    /// The row that stores `g` (members apart) as group `id` of `org`.
    pub fn new(id: &str, org: &str, g: &Group, meta: &Meta) -> GroupRow {
        GroupRow {
            id: id.to_string(),
            org: org.to_string(),
            display_name: g.display_name.clone(),
            display_name_norm: norm(&g.display_name),
            external_id: g.external_id.clone(),
            created: micros(meta.created),
            last_modified: micros(meta.last_modified),
            version: meta.version,
        }
    }

    /// The stored group, without members.
    pub fn into_stored(self) -> Stored<Group> {
        Stored {
            id: self.id,
            meta: Meta {
                created: from_micros(self.created),
                last_modified: from_micros(self.last_modified),
                version: self.version,
            },
            resource: Group {
                display_name: self.display_name,
                external_id: self.external_id,
                members: Vec::new(),
            },
        }
    }
}

// ---- events ----

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = events)]
pub struct NewEventRow<'a> {
    pub org: &'a str,
    pub at: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub resource_type: Option<&'a str>,
    pub resource_id: Option<&'a str>,
    pub outcome: &'a str,
    pub detail: &'a str,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub outcome: String,
    pub detail: String,
}

impl EventRow {
    pub fn into_event(self) -> Event {
        Event {
            id: self.id,
            at: from_micros(self.at),
            actor: self.actor,
            action: self.action,
            resource_type: self.resource_type,
            resource_id: self.resource_id,
            outcome: if self.outcome == Outcome::Refused.as_str() {
                Outcome::Refused
            } else {
                Outcome::Success
            },
            detail: self.detail,
        }
    }
}
