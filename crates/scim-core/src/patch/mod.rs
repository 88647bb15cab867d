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

mod apply;
mod members;
mod parse;
#[cfg(test)]
mod tests;
mod values;

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::filter::{CompValue, CompareOp, ValueFilter};
use crate::json::{get_ci, kind, set_ci, take_ci};
use crate::path::{eq_ci, AttrPath, PatchPath};
use crate::schema::{
    resolve_sub, AttrType, AttributeDef, Mutability, ResourceTypeDef, SchemaDef, Unresolved,
    GROUP_SCHEMA, PATCH_OP_SCHEMA,
};

pub use apply::apply;
pub use members::{split_member_changes, MemberChange};
pub(crate) use values::{normalize_elements, normalize_single};

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
