//! Attribute paths (RFC 7644 §3.4.2.2 `attrPath`) and PATCH paths (§3.5.2 `PATH`).
//!
//! Names are kept as written; compare them with [`AttrPath::is`] / [`eq_ci`], which ignore ASCII case, as
//! SCIM attribute names are case-insensitive. A schema URN prefix is kept in `urn` (without the trailing ':').

use crate::filter::Filter;

/// `[URN ":"] ATTRNAME ["." subAttr]`, e.g. `name.givenName`,
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    pub urn: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

/// A PATCH `path`: `attrPath` or `valuePath ["." subAttr]`, e.g. `emails[type eq "work"].value`,
/// `members[value eq "2819c223"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchPath {
    /// The attribute; when `filter` is set, `attr.sub` is `None` and the sub-attribute is `sub_attr`.
    pub attr: AttrPath,
    pub filter: Option<Filter>,
    pub sub_attr: Option<String>,
}

impl AttrPath {
    pub fn new(name: impl Into<String>) -> Self {
        AttrPath {
            urn: None,
            name: name.into(),
            sub: None,
        }
    }
    pub fn with_sub(name: impl Into<String>, sub: impl Into<String>) -> Self {
        AttrPath {
            urn: None,
            name: name.into(),
            sub: Some(sub.into()),
        }
    }
    /// True when the attribute name (ignoring URN and sub-attribute) equals `name`, ignoring ASCII case.
    pub fn is(&self, name: &str) -> bool {
        eq_ci(&self.name, name)
    }
}

/// ASCII-case-insensitive equality: SCIM attribute names, operators and URNs compare this way.
pub fn eq_ci(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}
