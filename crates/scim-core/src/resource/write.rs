//! The canonical writer: a User or Group as the API returns it.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::projection::Projection;
use crate::schema::{ENTERPRISE_USER_SCHEMA, GROUP_RESOURCE, GROUP_SCHEMA, USER_SCHEMA};

use super::*;

impl User {
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
        if !u.groups.is_empty() {
            // A group's `$ref` is its Group URL: `{base}/Groups/{id}` beside this user's `{base}/Users/{id}`.
            let base = self
                .stored
                .and_then(|(_, _, location)| location.rsplit_once('/'))
                .and_then(|(users, _)| users.rsplit_once('/'))
                .map(|(base, _)| base);
            next(&mut m, "groups")?;
            m.serialize_entry(
                "groups",
                &u.groups
                    .iter()
                    .map(|g| UserGroupJson {
                        reference: base.map(|base| format!("{base}/Groups/{}", g.value)),
                        display: &g.display,
                        kind: "direct",
                        value: &g.value,
                    })
                    .collect::<Vec<_>>(),
            )?;
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

/// An element of a user's `groups` as returned (keys sorted, see [`UserJson`]).
#[derive(Serialize)]
struct UserGroupJson<'a> {
    #[serde(rename = "$ref", skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
    display: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
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

impl Group {
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
            let members = self.members.iter().map(|m| m.to_json(base_url));
            o.insert("members".into(), members.collect());
        }
        Value::Object(o)
    }
}

impl Member {
    /// `{"value": id, "display"?: .., "$ref"?: "{base_url}/Users/{id}", "type": "User"}`.
    fn to_json(&self, base_url: Option<&str>) -> Value {
        let mut e = Map::new();
        e.insert("value".into(), Value::from(self.value.as_str()));
        put(&mut e, "display", &self.display);
        if let Some(base) = base_url {
            let base = base.trim_end_matches('/');
            e.insert(
                "$ref".into(),
                Value::from(format!("{base}/Users/{}", self.value)),
            );
        }
        e.insert("type".into(), Value::from("User"));
        Value::Object(e)
    }
}

impl Stored<Group> {
    /// The whole resource as returned by the API: [`Group::to_json`] plus `id` and `meta`; `location` is the
    /// absolute URL of the group. With `base_url` (the organisation's SCIM base,
    /// e.g. `https://humbol.example/scim/v2/orgs/acme`), each member also gets `"$ref": "{base_url}/Users/{id}"`.
    pub fn to_json(&self, location: &str, base_url: Option<&str>) -> Value {
        self.with_id_and_meta(self.resource.to_json_with_refs(base_url), "Group", location)
    }

    /// The same JSON, projected, as pieces of bytes to be sent one after another: the group without its members
    /// first, then its members [`MEMBERS_PER_PIECE`] at a time, so that a group of 50,000 members is written
    /// without its JSON built whole (`members` is the object's last key here). Each member is projected as it
    /// would be inside the whole group.
    pub fn into_json_pieces(
        mut self,
        location: &str,
        base_url: Option<&str>,
        projection: Projection,
    ) -> Result<GroupPieces, serde_json::Error> {
        let members = std::mem::take(&mut self.resource.members);
        let mut head = self.to_json(location, base_url);
        projection.apply(&GROUP_RESOURCE, &mut head);
        let mut head = serde_json::to_vec(&head)?;
        let members = if members.is_empty() || !projection.includes(&GROUP_RESOURCE, "members") {
            Vec::new()
        } else {
            // `{..., "members":[` + the members + `]}`.
            if head.pop() != Some(b'}') {
                return Err(serde::ser::Error::custom("a group is written as an object"));
            }
            head.extend_from_slice(br#","members":["#);
            members
        };
        Ok(GroupPieces {
            done: members.is_empty(),
            head: Some(head),
            members: members.into_iter(),
            first: true,
            base_url: base_url.map(str::to_string),
            projection,
        })
    }
}

/// How many members one piece of [`Stored::into_json_pieces`] holds (about 100 KiB of JSON).
pub const MEMBERS_PER_PIECE: usize = 512;

/// The pieces of a group's JSON ([`Stored::into_json_pieces`]).
#[derive(Debug)]
pub struct GroupPieces {
    head: Option<Vec<u8>>,
    members: std::vec::IntoIter<Member>,
    first: bool,
    done: bool,
    base_url: Option<String>,
    projection: Projection,
}

impl GroupPieces {
    /// `member` as the projection returns it inside the group (`None`: nothing of it is returned).
    fn member(&self, member: &Member) -> Option<Value> {
        let json = member.to_json(self.base_url.as_deref());
        if self.projection.is_default() {
            return Some(json);
        }
        let mut group = json!({ "members": [json] });
        self.projection.apply(&GROUP_RESOURCE, &mut group);
        group.get_mut("members")?.as_array_mut()?.pop()
    }
}

impl Iterator for GroupPieces {
    type Item = Result<Vec<u8>, serde_json::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(head) = self.head.take() {
            return Some(Ok(head));
        }
        if self.done {
            return None;
        }
        let mut piece = Vec::with_capacity(MEMBERS_PER_PIECE * 200);
        let mut taken = 0;
        while taken < MEMBERS_PER_PIECE {
            let Some(member) = self.members.next() else {
                break;
            };
            taken += 1;
            let Some(json) = self.member(&member) else {
                continue;
            };
            if !std::mem::take(&mut self.first) {
                piece.push(b',');
            }
            if let Err(e) = serde_json::to_writer(&mut piece, &json) {
                return Some(Err(e));
            }
        }
        if taken < MEMBERS_PER_PIECE {
            piece.extend_from_slice(b"]}");
            self.done = true;
        }
        Some(Ok(piece))
    }
}
