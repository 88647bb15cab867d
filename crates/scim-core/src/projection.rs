//! `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9): which attributes a response carries.
//!
//! Both take comma-separated attribute paths: `userName`, `name.givenName`, `emails.value`, URN-qualified
//! names (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`) and whole extension schemas
//! (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`), all case-insensitive. Names that are no
//! attribute of the resource type are ignored.
//!
//! Semantics, from each attribute's `returned` characteristic in [`crate::schema`]:
//! - `always` (`id`), and `schemas`: always returned;
//! - `never`: never returned;
//! - `default`: returned unless `attributes` is given and does not name it, or `excludedAttributes` names it;
//! - `request`: returned only when `attributes` names it.
//!
//! When both parameters are given, `attributes` selects and `excludedAttributes` then removes from that.

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::path::AttrPath;
use crate::schema::{
    self, resolve_target, AttributeDef, ResourceTypeDef, Returned, SchemaDef, COMMON_ATTRIBUTES,
};

/// One entry of `attributes` / `excludedAttributes`: an attribute path as written, parsed by the one path
/// parser (resolved against a resource type when applied).
type Selector = AttrPath;

/// Which attributes a response carries. `Projection::default()` returns the default set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Projection {
    /// `attributes`: when non-empty, only these (plus `returned: always`).
    attributes: Vec<Selector>,
    /// `excludedAttributes`.
    excluded: Vec<Selector>,
}

/// Where an attribute lives: the schema it belongs to (`None` for the common attributes `id`,
/// `externalId`, `meta`) and its definition.
#[derive(Clone, Copy)]
struct Resolved {
    schema: Option<&'static SchemaDef>,
    attr: &'static AttributeDef,
}

impl Resolved {
    fn same(&self, other: &Resolved) -> bool {
        std::ptr::eq(self.attr, other.attr)
    }
}

fn parse_selector(raw: &str, param: &str) -> Result<Selector, ScimError> {
    raw.parse::<AttrPath>().map_err(|_| {
        ScimError::invalid_value(format!(
            "{param}: \"{raw}\" is not an attribute path (expected e.g. userName, name.givenName, \
             or a URN-qualified name)"
        ))
    })
}

fn parse_list(list: Option<&str>, param: &str) -> Result<Vec<Selector>, ScimError> {
    list.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| parse_selector(s, param))
        .collect()
}

/// The common attribute (`id`, `externalId`, `meta`) whose JSON key is `key`.
fn common(key: &str) -> Option<Resolved> {
    COMMON_ATTRIBUTES
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(key))
        .map(|attr| Resolved { schema: None, attr })
}

/// What a selector names in `rt`: an attribute, or a whole schema.
enum Target {
    Attr(Resolved),
    Schema(&'static SchemaDef),
}

/// What a selector names in `rt`, by the schema's resolver ([`resolve_target`]); `None` when nothing. A
/// selector naming a sub-attribute resolves to its attribute (the sub-attribute is matched by name when
/// projecting).
fn resolve_selector(sel: &Selector, rt: &ResourceTypeDef) -> Option<Target> {
    let resolved = if sel.sub.is_some() {
        resolve_target(
            &AttrPath {
                sub: None,
                ..sel.clone()
            },
            rt,
        )
    } else {
        resolve_target(sel, rt)
    };
    Some(match resolved? {
        schema::Target::Schema(s) => Target::Schema(s),
        schema::Target::Attr(r) => Target::Attr(Resolved {
            schema: r.schema,
            attr: r.attr,
        }),
    })
}

/// Does `sel` name the attribute `r` (whole, or one of its sub-attributes)? `Some(None)`: the whole
/// attribute; `Some(Some(sub))`: the sub-attribute `sub`; `None`: not this attribute.
fn selector_matches<'s>(
    sel: &'s Selector,
    rt: &ResourceTypeDef,
    r: &Resolved,
) -> Option<Option<&'s str>> {
    match resolve_selector(sel, rt)? {
        Target::Schema(s) => r
            .schema
            .is_some_and(|rs| std::ptr::eq(rs, s))
            .then_some(None),
        Target::Attr(a) => a.same(r).then_some(sel.sub.as_deref()),
    }
}

/// What to do with one attribute.
enum Keep {
    /// Return it whole.
    All,
    /// Return it, keeping only these sub-attributes (`attributes=name.givenName`).
    Only(Vec<String>),
    /// Return it without these sub-attributes (`excludedAttributes=emails.type`).
    Without(Vec<String>),
    Drop,
}

impl Projection {
    /// Parses the comma-separated `attributes` and `excludedAttributes` query parameters (or the
    /// SearchRequest fields, joined with commas). Empty entries are ignored; a malformed path is
    /// `400 invalidValue`.
    pub fn parse(
        attributes: Option<&str>,
        excluded: Option<&str>,
    ) -> Result<Projection, ScimError> {
        Ok(Projection {
            attributes: parse_list(attributes, "attributes")?,
            excluded: parse_list(excluded, "excludedAttributes")?,
        })
    }

    /// True when neither parameter was given (the default attribute set).
    pub fn is_default(&self) -> bool {
        self.attributes.is_empty() && self.excluded.is_empty()
    }

    fn decide(&self, rt: &ResourceTypeDef, r: &Resolved) -> Keep {
        match r.attr.returned {
            Returned::Always => return Keep::All,
            Returned::Never => return Keep::Drop,
            Returned::Default | Returned::Request => {}
        }
        let mut keep = if self.attributes.is_empty() {
            if r.attr.returned == Returned::Request {
                Keep::Drop
            } else {
                Keep::All
            }
        } else {
            let hits: Vec<Option<&str>> = self
                .attributes
                .iter()
                .filter_map(|s| selector_matches(s, rt, r))
                .collect();
            if hits.is_empty() {
                Keep::Drop
            } else if hits.iter().any(Option::is_none) {
                Keep::All
            } else {
                Keep::Only(hits.into_iter().flatten().map(str::to_string).collect())
            }
        };
        for hit in self
            .excluded
            .iter()
            .filter_map(|s| selector_matches(s, rt, r))
        {
            keep = match (hit, keep) {
                (None, _) | (_, Keep::Drop) => Keep::Drop,
                (Some(sub), Keep::All) => Keep::Without(vec![sub.to_string()]),
                (Some(sub), Keep::Without(mut subs)) => {
                    subs.push(sub.to_string());
                    Keep::Without(subs)
                }
                (Some(sub), Keep::Only(subs)) => Keep::Only(
                    subs.into_iter()
                        .filter(|s| !s.eq_ignore_ascii_case(sub))
                        .collect(),
                ),
            };
        }
        keep
    }

    /// Whether the top-level attribute `attr_name` (optionally URN-qualified, any case) is returned at
    /// least in part, so that the store can skip loading what is not (e.g. group members with
    /// `excludedAttributes=members`). Unknown names are "not returned".
    pub fn includes(&self, rt: &ResourceTypeDef, attr_name: &str) -> bool {
        let Ok(sel) = parse_selector(attr_name, "attribute") else {
            return false;
        };
        match resolve_selector(&sel, rt) {
            Some(Target::Attr(r)) => match self.decide(rt, &r) {
                Keep::Drop => false,
                Keep::Only(subs) => !subs.is_empty(),
                Keep::All | Keep::Without(_) => true,
            },
            Some(Target::Schema(s)) => s.attributes.iter().any(|attr| {
                !matches!(
                    self.decide(
                        rt,
                        &Resolved {
                            schema: Some(s),
                            attr
                        }
                    ),
                    Keep::Drop
                )
            }),
            None => false,
        }
    }

    /// Removes from `resource` (a resource as [`crate::resource`] writes it: core attributes at the top,
    /// extension attributes under their schema URN) what this projection does not return. `schemas` and
    /// `id` always stay; keys that are no attribute of `rt` are dropped when `attributes` is given.
    pub fn apply(&self, rt: &ResourceTypeDef, resource: &mut Value) {
        if self.is_default() {
            return;
        }
        let Some(obj) = resource.as_object_mut() else {
            return;
        };
        let keys: Vec<String> = obj.keys().cloned().collect();
        for key in keys {
            if key == "schemas" {
                continue;
            }
            if let Some(ext) = rt
                .extensions
                .iter()
                .map(|(s, _)| *s)
                .find(|s| s.id.eq_ignore_ascii_case(&key))
            {
                let empty = match obj.get_mut(&key) {
                    Some(Value::Object(inner)) => {
                        self.apply_to_members(rt, Some(ext), inner);
                        inner.is_empty()
                    }
                    _ => false,
                };
                if empty {
                    obj.remove(&key);
                }
                continue;
            }
            let resolved = common(&key).or_else(|| {
                rt.schema.attribute(&key).map(|attr| Resolved {
                    schema: Some(rt.schema),
                    attr,
                })
            });
            self.apply_to_one(rt, resolved, &key, obj);
        }
    }

    /// Applies the projection to the attributes of `schema` held in `obj`.
    fn apply_to_members(
        &self,
        rt: &ResourceTypeDef,
        schema: Option<&'static SchemaDef>,
        obj: &mut Map<String, Value>,
    ) {
        let keys: Vec<String> = obj.keys().cloned().collect();
        for key in keys {
            let resolved = schema
                .and_then(|s| s.attribute(&key))
                .map(|attr| Resolved { schema, attr });
            self.apply_to_one(rt, resolved, &key, obj);
        }
    }

    fn apply_to_one(
        &self,
        rt: &ResourceTypeDef,
        resolved: Option<Resolved>,
        key: &str,
        obj: &mut Map<String, Value>,
    ) {
        let Some(r) = resolved else {
            // Not an attribute of this resource type: only a default projection keeps it.
            if !self.attributes.is_empty() {
                obj.remove(key);
            }
            return;
        };
        // (keep only the named sub-attributes?, the named sub-attributes)
        let (only, subs) = match self.decide(rt, &r) {
            Keep::All => return,
            Keep::Drop => {
                obj.remove(key);
                return;
            }
            Keep::Only(subs) => (true, subs),
            Keep::Without(subs) => (false, subs),
        };
        let keep_sub = |k: &str| subs.iter().any(|s| s.eq_ignore_ascii_case(k)) == only;
        let always = |k: &str| {
            r.attr
                .sub_attribute(k)
                .is_some_and(|a| a.returned == Returned::Always)
        };
        let now_empty = match obj.get_mut(key) {
            Some(Value::Object(inner)) => {
                inner.retain(|k, _| keep_sub(k) || always(k));
                inner.is_empty()
            }
            Some(Value::Array(items)) => {
                for item in items.iter_mut() {
                    if let Value::Object(inner) = item {
                        inner.retain(|k, _| keep_sub(k) || always(k));
                    }
                }
                items.retain(|item| !matches!(item, Value::Object(o) if o.is_empty()));
                items.is_empty()
            }
            // A simple attribute named with a sub-attribute (`userName.x`): selecting a part of it selects
            // nothing; excluding a part of it excludes nothing.
            Some(_) => only,
            None => false,
        };
        if now_empty {
            obj.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{
        ENTERPRISE_USER_SCHEMA as ENT, GROUP_RESOURCE, GROUP_SCHEMA, USER_RESOURCE, USER_SCHEMA,
    };
    use serde_json::json;

    fn user() -> Value {
        json!({
            "schemas": [USER_SCHEMA, ENT],
            "id": "u-1",
            "externalId": "e-1",
            "userName": "a@x",
            "name": {"givenName": "A", "familyName": "B"},
            "active": true,
            "emails": [{"value": "a@x", "type": "work", "primary": true},
                       {"value": "a@home", "type": "home", "primary": false}],
            "roles": [{"value": "Admin", "primary": true}],
            ENT: {"department": "Sales", "manager": {"value": "m-1"}},
            "meta": {"resourceType": "User", "version": "W/\"1\"", "location": "https://h/Users/u-1"},
        })
    }

    fn group() -> Value {
        json!({
            "schemas": [GROUP_SCHEMA],
            "id": "g-1",
            "displayName": "Sales",
            "members": [{"value": "u-1", "type": "User"}],
            "meta": {"resourceType": "Group"},
        })
    }

    fn project(
        attrs: Option<&str>,
        excluded: Option<&str>,
        rt: &ResourceTypeDef,
        mut v: Value,
    ) -> Value {
        Projection::parse(attrs, excluded)
            .unwrap()
            .apply(rt, &mut v);
        v
    }

    #[test]
    fn default_projection_changes_nothing() {
        assert_eq!(project(None, None, &USER_RESOURCE, user()), user());
        assert_eq!(
            project(Some(""), Some(" , "), &USER_RESOURCE, user()),
            user()
        );
        assert!(Projection::default().is_default());
    }

    #[test]
    fn attributes_user_name_keeps_id_and_schemas() {
        assert_eq!(
            project(Some("userName"), None, &USER_RESOURCE, user()),
            json!({"schemas": [USER_SCHEMA, ENT], "id": "u-1", "userName": "a@x"})
        );
        // Case-insensitive, URN-qualified, several.
        assert_eq!(
            project(
                Some("USERNAME, urn:ietf:params:scim:schemas:core:2.0:User:active,externalid"),
                None,
                &USER_RESOURCE,
                user()
            ),
            json!({"schemas": [USER_SCHEMA, ENT], "id": "u-1", "userName": "a@x", "active": true,
                   "externalId": "e-1"})
        );
    }

    #[test]
    fn sub_attributes() {
        assert_eq!(
            project(
                Some("name.givenName,emails.value"),
                None,
                &USER_RESOURCE,
                user()
            ),
            json!({"schemas": [USER_SCHEMA, ENT], "id": "u-1", "name": {"givenName": "A"},
                   "emails": [{"value": "a@x"}, {"value": "a@home"}]})
        );
        // The whole attribute and one of its parts: the whole.
        assert_eq!(
            project(Some("name.givenName,name"), None, &USER_RESOURCE, user())["name"],
            user()["name"]
        );
        let v = project(
            None,
            Some("emails.type,emails.primary,name.familyName,meta.location"),
            &USER_RESOURCE,
            user(),
        );
        assert_eq!(v["emails"], json!([{"value": "a@x"}, {"value": "a@home"}]));
        assert_eq!(v["name"], json!({"givenName": "A"}));
        assert_eq!(
            v["meta"],
            json!({"resourceType": "User", "version": "W/\"1\""})
        );
        assert_eq!(v["userName"], "a@x");
        // Excluding every part of `name` drops it.
        let v = project(
            None,
            Some("name.givenName,name.familyName"),
            &USER_RESOURCE,
            user(),
        );
        assert!(v.get("name").is_none());
        // A part of a simple attribute: selects nothing, excludes nothing.
        assert!(project(Some("userName.x"), None, &USER_RESOURCE, user())
            .get("userName")
            .is_none());
        assert_eq!(
            project(None, Some("userName.x"), &USER_RESOURCE, user())["userName"],
            "a@x"
        );
    }

    #[test]
    fn extension_attributes() {
        // Qualified, unqualified, and the whole extension schema.
        for attrs in [
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            "department",
            "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:Department",
        ] {
            assert_eq!(
                project(Some(attrs), None, &USER_RESOURCE, user()),
                json!({"schemas": [USER_SCHEMA, ENT], "id": "u-1", ENT: {"department": "Sales"}}),
                "{attrs}"
            );
        }
        assert_eq!(
            project(Some(ENT), None, &USER_RESOURCE, user()),
            json!({"schemas": [USER_SCHEMA, ENT], "id": "u-1",
                   ENT: {"department": "Sales", "manager": {"value": "m-1"}}})
        );
        assert_eq!(
            project(
                Some(&format!("{ENT}:manager.value")),
                None,
                &USER_RESOURCE,
                user()
            )[ENT],
            json!({"manager": {"value": "m-1"}})
        );
        // Excluding the only extension attributes drops the extension object.
        let v = project(None, Some("department,manager"), &USER_RESOURCE, user());
        assert!(v.get(ENT).is_none());
        let v = project(None, Some(ENT), &USER_RESOURCE, user());
        assert!(v.get(ENT).is_none());
        assert_eq!(v["userName"], "a@x");
    }

    #[test]
    fn excluded_members_on_a_group() {
        let p = Projection::parse(None, Some("members")).unwrap();
        let mut g = group();
        p.apply(&GROUP_RESOURCE, &mut g);
        assert_eq!(
            g,
            json!({"schemas": [GROUP_SCHEMA], "id": "g-1", "displayName": "Sales",
                   "meta": {"resourceType": "Group"}})
        );
        assert!(!p.includes(&GROUP_RESOURCE, "members"));
        assert!(p.includes(&GROUP_RESOURCE, "displayName"));
        assert!(p.includes(&GROUP_RESOURCE, "id"));
    }

    #[test]
    fn includes_tells_the_store_what_to_load() {
        let p = Projection::parse(Some("displayName"), None).unwrap();
        assert!(!p.includes(&GROUP_RESOURCE, "members"));
        let p = Projection::parse(Some("members.value"), None).unwrap();
        assert!(p.includes(&GROUP_RESOURCE, "Members"));
        let p = Projection::parse(None, Some("members.display")).unwrap();
        assert!(p.includes(&GROUP_RESOURCE, "members"));
        assert!(Projection::default().includes(&GROUP_RESOURCE, "members"));
        // id is returned always.
        let p = Projection::parse(Some("displayName"), Some("id")).unwrap();
        assert!(p.includes(&GROUP_RESOURCE, "id"));
        // Extension attributes, qualified or not; unknown attributes.
        let p = Projection::parse(None, Some("manager")).unwrap();
        assert!(!p.includes(&USER_RESOURCE, &format!("{ENT}:manager")));
        assert!(p.includes(&USER_RESOURCE, "department"));
        assert!(p.includes(&USER_RESOURCE, ENT));
        assert!(!Projection::default().includes(&USER_RESOURCE, "shoeSize"));
    }

    #[test]
    fn id_and_schemas_cannot_be_excluded() {
        let v = project(None, Some("id,schemas,userName"), &USER_RESOURCE, user());
        assert_eq!(v["id"], "u-1");
        assert_eq!(v["schemas"], json!([USER_SCHEMA, ENT]));
        assert!(v.get("userName").is_none());
    }

    #[test]
    fn attributes_and_excluded_together() {
        assert_eq!(
            project(
                Some("userName,emails"),
                Some("emails.primary"),
                &USER_RESOURCE,
                user()
            ),
            json!({"schemas": [USER_SCHEMA, ENT], "id": "u-1", "userName": "a@x",
                   "emails": [{"value": "a@x", "type": "work"}, {"value": "a@home", "type": "home"}]})
        );
    }

    #[test]
    fn unknown_attributes_are_ignored_and_malformed_paths_refused() {
        assert_eq!(
            project(Some("userName,shoeSize"), None, &USER_RESOURCE, user()),
            json!({"schemas": [USER_SCHEMA, ENT], "id": "u-1", "userName": "a@x"})
        );
        assert_eq!(
            project(None, Some("shoeSize"), &USER_RESOURCE, user()),
            user()
        );
        for bad in [
            "user name",
            "emails[type eq \"work\"]",
            "1abc",
            "name.",
            "a.b.c",
        ] {
            let e = Projection::parse(Some(bad), None).unwrap_err();
            assert_eq!(
                (e.status, e.scim_type),
                (400, Some(crate::ScimType::InvalidValue)),
                "{bad}"
            );
        }
        assert!(Projection::parse(None, Some("members.$ref")).is_ok());
    }
}
