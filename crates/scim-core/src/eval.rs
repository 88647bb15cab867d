//! The in-memory filter evaluator: does a resource's SCIM JSON match a [`Filter`]? It is the reference for
//! the store's SQL translation, so every rule is written down here and the SQL must give the same answers.
//!
//! # Rules
//!
//! **Finding an attribute.** A path resolves through the resource type's schemas by the schema's one
//! resolver ([`crate::schema::resolve`], whose documentation gives the rules). In the JSON, core and common
//! attributes are top-level keys and an extension's attributes live in the object under the extension's URN
//! key, looked up by `json::get_ci` (the exact spelling first, then any other).
//! An attribute unknown to the schema is treated as absent (use [`validate`] to refuse it up front).
//!
//! **Which values a path yields.** `attr` yields the attribute's value; of a multi-valued attribute, each
//! element. `attr.sub` yields `sub` of the attribute (of each element, when multi-valued). A comparison on
//! a complex attribute without a sub-attribute (`emails co "example.com"`) compares the `value`
//! sub-attribute (of each element). A comparison matches when **any** yielded value matches.
//!
//! **Presence** (`pr`): a value is present unless it is `null`, `""`, an empty array or an empty object; an
//! array or object is present when one of its members is. `attr pr` asks whether the attribute's whole value
//! is present; `attr.sub pr` whether any yielded sub-attribute value is.
//!
//! **Comparisons**, by the attribute's type (that of the sub-attribute, when the path has one):
//! - string and reference: the value must be a string (a number or boolean never matches a string
//!   attribute). When the attribute is `caseExact: false`, both sides are first folded with [`fold_case`]
//!   (Unicode lowercase); when `caseExact: true`, they compare as written. `eq` equal, `co` contains, `sw`
//!   starts with, `ew` ends with, `gt ge lt le` compare by Unicode code point order (byte order of UTF-8).
//! - boolean: `eq` only; the value may be `true`/`false` or the strings `"true"`/`"false"` in any ASCII case
//!   (Entra's `roles[primary eq "True"]`), on either side. `co sw ew gt ge lt le` never match.
//! - dateTime: both sides are parsed as RFC 3339 and compared as instants (`eq gt ge lt le`); a value that
//!   does not parse never matches; `co sw ew` never match.
//! - integer and decimal: both sides must be numbers, compared as `f64`; `co sw ew` never match.
//! - complex attributes with no `value` sub-attribute never match a comparison.
//!
//! **`ne`** is exactly `not (eq)`: it matches a missing attribute, and a multi-valued attribute none of
//! whose values is equal.
//!
//! **`null`**: `attr eq null` is `not (attr pr)`, `attr ne null` is `attr pr`; any other operator with
//! `null` never matches.
//!
//! **`and`, `or`, `not`** are the boolean operators (two-valued: a missing attribute is just "no match").
//!
//! **Value filters** `attr[f]`: some element of `attr` (the single value, for a single-valued complex
//! attribute) matches `f`, whose paths name sub-attributes of `attr` ([`element_matches`]). On an attribute
//! that is not complex they never match.

use std::borrow::Cow;
use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use crate::error::ScimError;
use crate::filter::{CompValue, CompareOp, Expr, Filter, NoValuePath, ValueFilter, ValuePath};
use crate::json::{bool_word, member};
use crate::path::AttrPath;
use crate::schema::{AttrType, AttributeDef, ResourceTypeDef};

// Resolution is the schema's (one resolver for every consumer); re-exported here for the evaluator's callers.
use crate::schema::{resolve, Unresolved};
pub use crate::schema::{resolve_path, ResolvedPath};

/// Does `resource` (SCIM JSON of a resource of type `rt`, e.g. [`crate::schema::USER_RESOURCE`]) match
/// `filter`? See the module documentation for the rules.
pub fn matches(filter: &Filter, resource: &Value, rt: &ResourceTypeDef) -> bool {
    eval(filter, Scope::Resource { json: resource, rt })
}

/// Does one element of the multi-valued complex attribute `attr` match `filter` (whose paths name
/// sub-attributes of `attr`: `type`, `value`, ...)? Used for value filters and PATCH paths.
pub fn element_matches(filter: &ValueFilter, element: &Value, attr: &AttributeDef) -> bool {
    eval(
        filter,
        Scope::Element {
            json: element,
            attr,
        },
    )
}

/// Checks that every attribute `filter` names exists in `rt`: core and extension attributes (URN-qualified or
/// not), the common attributes `id`, `externalId`, `meta.*`, sub-attributes of complex attributes, and
/// inside value filters the sub-attributes of the filtered attribute. Otherwise `400 invalidFilter` naming the
/// attribute.
pub fn validate(filter: &Filter, rt: &ResourceTypeDef) -> Result<(), ScimError> {
    match filter {
        Filter::Compare { path, .. } | Filter::Present(path) => validate_path(path, rt).map(|_| ()),
        Filter::And(left, right) | Filter::Or(left, right) => {
            validate(left, rt)?;
            validate(right, rt)
        }
        Filter::Not(inner) => validate(inner, rt),
        Filter::ValuePath(ValuePath { attr, filter }) => {
            let resolved = validate_path(attr, rt)?;
            if resolved.sub.is_some() || resolved.attr.ty != AttrType::Complex {
                return Err(ScimError::invalid_filter(format!(
                    "\"{attr}\" is not a complex attribute, so it cannot take a value filter \"[...]\""
                )));
            }
            validate_value_filter(filter, attr, resolved.attr)
        }
    }
}

fn validate_path(path: &AttrPath, rt: &ResourceTypeDef) -> Result<ResolvedPath, ScimError> {
    let top = || AttrPath {
        sub: None,
        ..path.clone()
    };
    resolve(path, rt).map_err(|why| {
        ScimError::invalid_filter(match (why, path.sub.as_deref()) {
            (Unresolved::NoSubAttributes(_), Some(sub)) => format!(
                "filter names \"{path}\", but \"{}\" has no sub-attributes (\"{sub}\" is unknown)",
                top()
            ),
            (Unresolved::UnknownSubAttribute(_), Some(sub)) => format!(
                "filter names \"{path}\", but \"{}\" has no sub-attribute \"{sub}\"",
                top()
            ),
            _ => format!(
                "filter names the attribute \"{path}\", which {} resources do not have",
                rt.name
            ),
        })
    })
}

/// Checks that every name the value filter `filter` of `outer` (`emails[...]`) uses is a sub-attribute of
/// `attr`, the filtered attribute; otherwise `400 invalidFilter` naming it. The one validator of value filters:
/// [`validate`] uses it inside a filter, PATCH for the filter of a value path.
pub(crate) fn validate_value_filter(
    filter: &ValueFilter,
    outer: &dyn std::fmt::Display,
    attr: &AttributeDef,
) -> Result<(), ScimError> {
    match filter {
        ValueFilter::Compare { path, .. } | ValueFilter::Present(path) => {
            if path.urn.is_none() && path.sub.is_none() && attr.sub_attribute(&path.name).is_some()
            {
                Ok(())
            } else {
                Err(ScimError::invalid_filter(format!(
                    "the value filter of \"{outer}\" names \"{path}\", which is not a sub-attribute of \"{outer}\""
                )))
            }
        }
        ValueFilter::And(left, right) | ValueFilter::Or(left, right) => {
            validate_value_filter(left, outer, attr)?;
            validate_value_filter(right, outer, attr)
        }
        ValueFilter::Not(inner) => validate_value_filter(inner, outer, attr),
        ValueFilter::ValuePath(never) => match *never {},
    }
}

/// Case folding for `caseExact: false` comparisons: Unicode lowercase, then Unicode normalisation form C, so
/// that the composed and decomposed spellings of one name (`é` as U+00E9 or as `e` + U+0301) are one. A store
/// that keeps normalised columns for case-insensitive matching must fill them with this function.
pub fn fold_case(s: &str) -> Cow<'_, str> {
    if s.is_ascii() {
        if s.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(s.to_ascii_lowercase())
        } else {
            Cow::Borrowed(s)
        }
    } else {
        use unicode_normalization::UnicodeNormalization;
        Cow::Owned(s.to_lowercase().nfc().collect())
    }
}

// ---------------------------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Scope<'v> {
    Resource {
        json: &'v Value,
        rt: &'v ResourceTypeDef,
    },
    Element {
        json: &'v Value,
        attr: &'v AttributeDef,
    },
}

/// An attribute found for a path: its definition, the sub-attribute the path names, and its JSON value.
struct Located<'v> {
    attr: &'static AttributeDef,
    sub: Option<&'static AttributeDef>,
    value: Option<&'v Value>,
}

/// How [`eval`] evaluates the value-path node of an `Expr<Self>`.
trait EvalValuePath {
    fn eval(&self, scope: Scope<'_>) -> bool;
}

impl EvalValuePath for ValuePath {
    fn eval(&self, scope: Scope<'_>) -> bool {
        let Scope::Resource { .. } = scope else {
            return false;
        };
        let Some(located) = locate(&self.attr, scope) else {
            return false;
        };
        if located.sub.is_some() || located.attr.ty != AttrType::Complex {
            return false;
        }
        elements(located.value).any(|e| element_matches(&self.filter, e, located.attr))
    }
}

impl EvalValuePath for NoValuePath {
    fn eval(&self, _: Scope<'_>) -> bool {
        match *self {}
    }
}

fn eval<V: EvalValuePath>(filter: &Expr<V>, scope: Scope<'_>) -> bool {
    match filter {
        Expr::Compare { path, op, value } => match locate(path, scope) {
            Some(located) => compare_located(&located, *op, value),
            // Unknown to the schema: absent, so only `eq null` and `ne <value>` match.
            None => match value {
                CompValue::Null => *op == CompareOp::Eq,
                _ => *op == CompareOp::Ne,
            },
        },
        Expr::Present(path) => locate(path, scope).is_some_and(|located| present_located(&located)),
        Expr::And(left, right) => eval(left, scope) && eval(right, scope),
        Expr::Or(left, right) => eval(left, scope) || eval(right, scope),
        Expr::Not(inner) => !eval(inner, scope),
        Expr::ValuePath(value_path) => value_path.eval(scope),
    }
}

/// Finds the attribute `path` names in `scope`; `None` when the schema does not know it.
fn locate<'v>(path: &AttrPath, scope: Scope<'v>) -> Option<Located<'v>> {
    match scope {
        Scope::Resource { json, rt } => {
            let resolved = resolve_path(path, rt)?;
            let container = match resolved.container_key(rt) {
                Some(key) => member(json, key),
                None => Some(json),
            };
            Some(Located {
                attr: resolved.attr,
                sub: resolved.sub,
                value: container.and_then(|c| member(c, resolved.attr.name)),
            })
        }
        Scope::Element { json, attr } => {
            if path.urn.is_some() || path.sub.is_some() {
                return None;
            }
            let sub = attr.sub_attribute(&path.name)?;
            Some(Located {
                attr: sub,
                sub: None,
                value: member(json, sub.name),
            })
        }
    }
}

/// The elements of a (possibly multi-valued) value: each array element, or the value itself.
fn elements(value: Option<&Value>) -> impl Iterator<Item = &Value> {
    let (array, single) = match value {
        Some(Value::Array(items)) => (items.as_slice(), None),
        Some(other) => (&[][..], Some(other)),
        None => (&[][..], None),
    };
    array.iter().chain(single)
}

/// The values a comparison looks at, with their definition (see "Which values a path yields").
fn leaves<'v>(located: &Located<'v>) -> (Option<&'static AttributeDef>, Vec<&'v Value>) {
    let leaf = match located.sub {
        Some(sub) => Some(sub),
        None if located.attr.ty == AttrType::Complex => located.attr.sub_attribute("value"),
        None => None,
    };
    match leaf {
        Some(leaf) => (
            Some(leaf),
            elements(located.value)
                .filter_map(|e| member(e, leaf.name))
                .flat_map(|v| elements(Some(v)))
                .collect(),
        ),
        None if located.attr.ty == AttrType::Complex => (None, Vec::new()),
        None => (Some(located.attr), elements(located.value).collect()),
    }
}

fn present_located(located: &Located<'_>) -> bool {
    match located.sub {
        Some(_) => leaves(located).1.into_iter().any(present),
        None => located.value.is_some_and(present),
    }
}

/// See "Presence" in the module documentation.
fn present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => items.iter().any(present),
        Value::Object(members) => members.values().any(present),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

fn compare_located(located: &Located<'_>, op: CompareOp, value: &CompValue) -> bool {
    match (op, value) {
        (CompareOp::Eq, CompValue::Null) => return !present_located(located),
        (CompareOp::Ne, CompValue::Null) => return present_located(located),
        (_, CompValue::Null) => return false,
        (CompareOp::Ne, _) => return !compare_located(located, CompareOp::Eq, value),
        _ => {}
    }
    let (def, values) = leaves(located);
    let Some(def) = def else {
        return false;
    };
    values.into_iter().any(|v| compare_value(v, def, op, value))
}

/// One attribute value against the comparison value (`op` is not `ne`, `value` is not `null`).
fn compare_value(actual: &Value, def: &AttributeDef, op: CompareOp, expected: &CompValue) -> bool {
    match def.ty {
        AttrType::Boolean => {
            op == CompareOp::Eq
                && match (json_bool(actual), comp_bool(expected)) {
                    (Some(a), Some(b)) => a == b,
                    _ => false,
                }
        }
        AttrType::String | AttrType::Reference | AttrType::Binary => {
            let (Value::String(a), CompValue::String(b)) = (actual, expected) else {
                return false;
            };
            if def.case_exact {
                compare_strings(a, b, op)
            } else {
                compare_strings(&fold_case(a), &fold_case(b), op)
            }
        }
        AttrType::DateTime => {
            let (Value::String(a), CompValue::String(b)) = (actual, expected) else {
                return false;
            };
            match (parse_datetime(a), parse_datetime(b)) {
                (Some(a), Some(b)) => ordering_matches(a.cmp(&b), op),
                _ => false,
            }
        }
        AttrType::Integer | AttrType::Decimal => {
            let (Some(a), CompValue::Number(b)) = (actual.as_f64(), expected) else {
                return false;
            };
            match b.as_f64().and_then(|b| a.partial_cmp(&b)) {
                Some(ordering) => ordering_matches(ordering, op),
                None => false,
            }
        }
        AttrType::Complex => false,
    }
}

fn compare_strings(a: &str, b: &str, op: CompareOp) -> bool {
    match op {
        CompareOp::Co => a.contains(b),
        CompareOp::Sw => a.starts_with(b),
        CompareOp::Ew => a.ends_with(b),
        _ => ordering_matches(a.cmp(b), op),
    }
}

/// `eq gt ge lt le` from an ordering; `co sw ew` (and `ne`, handled earlier) never match an ordering.
fn ordering_matches(ordering: Ordering, op: CompareOp) -> bool {
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Ne => ordering != Ordering::Equal,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

fn parse_datetime(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).ok()
}

fn json_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => bool_word(s),
        _ => None,
    }
}

fn comp_bool(value: &CompValue) -> Option<bool> {
    match value {
        CompValue::Bool(b) => Some(*b),
        CompValue::String(s) => bool_word(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{GROUP_RESOURCE, USER, USER_RESOURCE};
    use serde_json::json;

    fn user() -> Value {
        json!({
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
            ],
            "id": "2819c223-7f76-453a-919d-413861904646",
            "externalId": "0a21f0f2-ABC",
            "userName": "Test_User_ab64@contoso.com",
            "name": {"formatted": "Barbara Jensen", "familyName": "Jensen", "givenName": "Barbara"},
            "displayName": "Babs Jensen",
            "title": "",
            "active": true,
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "addresses": [{"type": "work", "locality": "Zürich", "country": "CH"}],
            "roles": [{"value": "Admin", "primary": true}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "department": "Sales",
                "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}
            },
            "meta": {
                "resourceType": "User",
                "created": "2010-01-23T04:56:22Z",
                "lastModified": "2011-05-13T04:42:34Z",
                "version": "W/\"3694e05e9dff590\"",
                "location": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646"
            }
        })
    }

    fn group() -> Value {
        json!({
            "id": "g1",
            "displayName": "Sales",
            "members": [{"value": "u1", "display": "Alice"}, {"value": "u2"}]
        })
    }

    /// A [`Filter`], or a [`ValueFilter`] where one is expected.
    fn filter<F: std::str::FromStr<Err = ScimError>>(s: &str) -> F {
        s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn user_matches(s: &str) -> bool {
        let f = filter(s);
        matches(&f, &user(), &USER_RESOURCE)
    }

    #[track_caller]
    fn check_user(cases: &[(&str, bool)]) {
        for (s, expected) in cases {
            assert_eq!(user_matches(s), *expected, "{s}");
            // the canonical form means the same
            let printed = filter::<Filter>(s).to_string();
            assert_eq!(user_matches(&printed), *expected, "{printed}");
        }
    }

    #[test]
    fn strings_case_insensitive_unless_case_exact() {
        check_user(&[
            (r#"userName eq "Test_User_ab64@contoso.com""#, true),
            (r#"userName eq "test_user_AB64@CONTOSO.COM""#, true),
            (r#"USERNAME Eq "test_user_ab64@contoso.com""#, true),
            (r#"userName eq "Test_User_ab64@contoso""#, false),
            (r#"userName co "USER_AB""#, true),
            (r#"userName sw "test_""#, true),
            (r#"userName ew "@Contoso.com""#, true),
            (r#"userName ew "@contoso.org""#, false),
            (r#"userName gt "TEST""#, true),
            (r#"userName lt "TEST""#, false),
            (r#"userName ge "test_user_ab64@contoso.com""#, true),
            (r#"userName le "test_user_ab64@contoso.com""#, true),
            // externalId and id are caseExact
            (r#"externalId eq "0a21f0f2-ABC""#, true),
            (r#"externalId eq "0a21f0f2-abc""#, false),
            (r#"externalId co "abc""#, false),
            (r#"id eq "2819c223-7f76-453a-919d-413861904646""#, true),
            (r#"id eq "2819C223-7F76-453A-919D-413861904646""#, false),
            // roles.value is caseExact
            (r#"roles.value eq "Admin""#, true),
            (r#"roles.value eq "admin""#, false),
            // a string attribute never equals a number or boolean
            (r#"userName eq 5"#, false),
            (r#"displayName eq true"#, false),
            (
                r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "T""#,
                true,
            ),
            (
                r#"URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:userName sw "T""#,
                true,
            ),
        ]);
    }

    #[test]
    fn unicode_folding() {
        let u = json!({"userName": "ÅSA.Öberg@Example.com", "displayName": "İstanbul"});
        let m = |s: &str| matches(&filter(s), &u, &USER_RESOURCE);
        assert!(m(r#"userName eq "åsa.öberg@example.com""#));
        assert!(m(r#"userName sw "åSA""#));
        assert!(m(r#"displayName eq "i̇stanbul""#));
        assert_eq!(fold_case("ÅSA"), "åsa");
        // Composed and decomposed spellings fold alike.
        assert_eq!(fold_case("Re\u{301}my"), fold_case("R\u{c9}MY"));
        assert_eq!(fold_case("Re\u{301}my"), "r\u{e9}my");
        assert!(matches!(fold_case("abc"), Cow::Borrowed("abc")));
    }

    #[test]
    fn sub_attributes_multi_valued_and_value_filters() {
        check_user(&[
            (r#"name.familyName co "ENS""#, true),
            (r#"name.givenName eq "Babs""#, false),
            // complex multi-valued without a sub-attribute compares `value`
            (r#"emails co "example.com""#, true),
            (r#"emails eq "babs@jensen.org""#, true),
            (r#"emails eq "work""#, false),
            (r#"emails.value co "example.org""#, false),
            (r#"emails.type eq "home""#, true),
            (r#"emails.type eq "other""#, false),
            // any value matches
            (r#"emails.value ew ".org""#, true),
            (
                r#"emails[type eq "work" and value co "@example.com"]"#,
                true,
            ),
            (
                r#"emails[type eq "home" and value co "@example.com"]"#,
                false,
            ),
            (
                r#"emails[type eq "work"].value eq "BJENSEN@example.com""#,
                true,
            ),
            (
                r#"emails[type eq "home"].value eq "bjensen@example.com""#,
                false,
            ),
            (r#"emails[primary eq true].value sw "bjensen""#, true),
            (r#"emails[not (primary eq true)].value sw "babs""#, true),
            (r#"emails[not (primary eq true)].value sw "bjensen""#, false),
            (r#"emails[type eq "work" or type eq "home"]"#, true),
            (r#"addresses[type eq "work"].locality eq "zürich""#, true),
            (r#"addresses[type eq "work"].region pr"#, false),
            (r#"roles[primary eq "True"].value eq "Admin""#, true),
            (r#"roles[primary eq "false"]"#, false),
            // a value filter on a single-valued complex attribute looks at its one value
            (r#"name[givenName eq "barbara"]"#, true),
            // a value filter on a simple attribute never matches
            (r#"userName[value pr]"#, false),
            (
                r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
                false,
            ),
            (
                r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
                true,
            ),
        ]);
    }

    #[test]
    fn booleans() {
        check_user(&[
            ("active eq true", true),
            ("active eq TRUE", true),
            ("active eq false", false),
            (r#"active eq "True""#, true),
            (r#"active eq "false""#, false),
            ("active ne false", true),
            ("active gt false", false),
            ("active ge true", false),
            ("active lt true", false),
            ("active co true", false),
            ("active eq 1", false),
            ("emails.primary eq true", true),
        ]);
        let legacy = json!({"active": "False"});
        assert!(matches(&filter("active eq false"), &legacy, &USER_RESOURCE));
    }

    #[test]
    fn date_times_compare_as_instants() {
        check_user(&[
            (r#"meta.lastModified gt "2011-05-13T04:42:33Z""#, true),
            (r#"meta.lastModified gt "2011-05-13T04:42:34Z""#, false),
            (r#"meta.lastModified ge "2011-05-13T04:42:34Z""#, true),
            (r#"meta.lastModified lt "2011-05-13T04:42:34.001Z""#, true),
            (r#"meta.lastModified le "2011-05-13T04:42:34Z""#, true),
            (r#"meta.lastModified eq "2011-05-13T04:42:34.000Z""#, true),
            (r#"meta.lastModified eq "2011-05-13T06:42:34+02:00""#, true),
            (r#"meta.lastModified gt "2011-05-13T06:42:33+02:00""#, true),
            (r#"meta.lastModified lt "2011-05-13T00:00:00-05:00""#, true),
            (r#"meta.lastModified lt "2011-05-12T23:00:00-05:00""#, false),
            (r#"meta.lastModified gt "yesterday""#, false),
            (r#"meta.lastModified co "2011""#, false),
            (r#"meta.created lt "2011-01-01T00:00:00Z""#, true),
            (r#"meta.resourceType eq "User""#, true),
            (r#"meta.resourceType eq "user""#, false),
        ]);
    }

    #[test]
    fn presence_null_and_ne() {
        check_user(&[
            ("title pr", false),             // ""
            ("preferredLanguage pr", false), // missing
            ("userName pr", true),
            ("emails pr", true),
            ("emails.value pr", true),
            ("addresses.region pr", false),
            ("name pr", true),
            ("name.givenName pr", true),
            ("name.middleName pr", false), // unknown sub-attribute
            ("manager pr", true),
            ("active pr", true),
            ("meta.lastModified pr", true),
            // ne on a missing attribute is true
            (r#"preferredLanguage ne "en""#, true),
            (r#"title ne "x""#, true),
            (r#"userName ne "TEST_USER_AB64@contoso.com""#, false),
            // ne on a multi-valued attribute: no value equal
            (r#"emails ne "bjensen@example.com""#, false),
            (r#"emails ne "nobody@example.com""#, true),
            // null
            ("preferredLanguage eq null", true),
            ("title eq null", true),
            ("userName eq null", false),
            ("userName ne null", true),
            ("title ne null", false),
            ("userName gt null", false),
            ("addresses.region eq null", true),
        ]);
        let nulls = json!({"userName": "a", "title": null, "emails": [], "name": {}});
        for f in ["title pr", "emails pr", "name pr", "emails.value pr"] {
            assert!(!matches(&filter(f), &nulls, &USER_RESOURCE), "{f}");
        }
        assert!(matches(&filter("emails eq null"), &nulls, &USER_RESOURCE));
    }

    #[test]
    fn logic() {
        check_user(&[
            (r#"title pr and userName pr"#, false),
            (r#"title pr or userName pr"#, true),
            (r#"not (title pr)"#, true),
            (r#"not (userName pr) or title pr"#, false),
            (r#"userName pr and not (emails[type eq "other"])"#, true),
            (
                r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
                false,
            ),
            (
                r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
                false,
            ),
            (
                r#"userType ne "Employee" and not (emails co "example.net" or emails.value co "example.org")"#,
                true,
            ),
        ]);
    }

    #[test]
    fn enterprise_extension() {
        check_user(&[
            (r#"department eq "sales""#, true),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "SALES""#,
                true,
            ),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#,
                true,
            ),
            // manager.value is caseExact
            (
                r#"manager.value eq "26118915-6090-4610-87E4-49D8CA9F808D""#,
                false,
            ),
            // a complex attribute without sub-attribute compares its `value`
            (r#"manager eq "26118915-6090-4610-87e4-49d8ca9f808d""#, true),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager[value sw "2611"]"#,
                true,
            ),
            // the core schema's URN does not reach extension attributes, and vice versa
            (
                r#"urn:ietf:params:scim:schemas:core:2.0:User:department pr"#,
                false,
            ),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName pr"#,
                false,
            ),
            (r#"urn:ietf:params:scim:schemas:core:2.0:User:id pr"#, true),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:id pr"#,
                false,
            ),
        ]);
    }

    #[test]
    fn keys_are_found_ignoring_case_and_unknown_attributes_are_absent() {
        let u = json!({
            "UserName": "a@b.c",
            "Emails": [{"Value": "x@y.z", "Type": "work"}],
            "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER": {"Department": "Ops"}
        });
        let m = |s: &str| matches(&filter(s), &u, &USER_RESOURCE);
        assert!(m(r#"userName eq "A@B.C""#));
        assert!(m(r#"emails[type eq "work"].value eq "x@y.z""#));
        assert!(m(r#"department eq "ops""#));
        // unknown to the schema: absent, even if the JSON has it
        let v = json!({"shoeSize": "Employee", "schemas": ["urn:x"]});
        assert!(!matches(
            &filter(r#"shoeSize eq "Employee""#),
            &v,
            &USER_RESOURCE
        ));
        assert!(matches(
            &filter(r#"shoeSize ne "Employee""#),
            &v,
            &USER_RESOURCE
        ));
        assert!(!matches(
            &filter(r#"schemas eq "urn:x""#),
            &v,
            &USER_RESOURCE
        ));
        assert!(!matches(&filter("name.x pr"), &user(), &USER_RESOURCE));
        assert!(matches(&filter("name.x eq null"), &user(), &USER_RESOURCE));
        assert!(!matches(&filter("name.x ne null"), &user(), &USER_RESOURCE));
        assert!(matches(&filter("name.x ne \"y\""), &user(), &USER_RESOURCE));
    }

    #[test]
    fn groups_and_entra_membership_check() {
        let g = group();
        let m = |s: &str| matches(&filter(s), &g, &GROUP_RESOURCE);
        assert!(m(r#"displayName eq "SALES""#));
        assert!(m(r#"id eq "g1" and members[value eq "u2"]"#));
        assert!(!m(r#"id eq "g1" and members[value eq "U2"]"#)); // caseExact
        assert!(!m(r#"id eq "g1" and members[value eq "u3"]"#));
        assert!(!m(r#"id eq "g2" and members[value eq "u1"]"#));
        assert!(m(r#"members eq "u1""#));
        assert!(m(r#"members[display co "ali"]"#));
        assert!(m("members pr"));
        let empty = json!({"id": "g2", "displayName": "Empty"});
        assert!(!matches(&filter("members pr"), &empty, &GROUP_RESOURCE));
        assert!(!matches(
            &filter(r#"members[value pr]"#),
            &empty,
            &GROUP_RESOURCE
        ));
        assert!(matches(
            &filter(r#"not (members[value pr])"#),
            &empty,
            &GROUP_RESOURCE
        ));
    }

    #[test]
    fn element_matching() {
        let roles = USER.attribute("roles").unwrap();
        let emails = USER.attribute("emails").unwrap();
        let role =
            json!({"value": "Admin", "primary": true, "type": "WindowsAzureActiveDirectoryRole"});
        assert!(element_matches(
            &filter(r#"primary eq "True""#),
            &role,
            roles
        ));
        assert!(element_matches(
            &filter(r#"primary eq true and value eq "Admin""#),
            &role,
            roles
        ));
        assert!(!element_matches(
            &filter(r#"value eq "admin""#),
            &role,
            roles
        ));
        assert!(element_matches(
            &filter(r#"primary eq "True""#),
            &role,
            roles
        ));
        let email = json!({"value": "A@B.com", "type": "work"});
        assert!(element_matches(
            &filter(r#"type eq "WORK""#),
            &email,
            emails
        ));
        assert!(element_matches(
            &filter(r#"value ew "b.COM""#),
            &email,
            emails
        ));
        assert!(element_matches(
            &filter("not (primary eq true)"),
            &email,
            emails
        ));
        assert!(element_matches(&filter("primary eq null"), &email, emails));
        // paths with a URN or a sub-attribute never match inside an element (a nested value filter is not
        // a `ValueFilter` at all)
        assert!(!element_matches(&filter("urn:x:y:type pr"), &email, emails));
        assert!(!element_matches(&filter("type.x pr"), &email, emails));
        assert!("emails[type pr]".parse::<ValueFilter>().is_err());
        assert!(!element_matches(&filter("display pr"), &email, emails)); // not a sub-attribute of emails
        assert!(!element_matches(
            &filter("value pr"),
            &json!("x@y.z"),
            emails
        ));
    }

    #[test]
    fn validation() {
        for ok in [
            r#"userName eq "x""#,
            r#"externalId eq "x""#,
            r#"id eq "x""#,
            r#"emails[type eq "work"].value eq "x""#,
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            r#"meta.created pr and meta.resourceType eq "User""#,
            r#"name.familyName co "x" and not (title pr)"#,
            r#"department eq "x""#,
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x""#,
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            r#"roles[primary eq "True"].value eq "Admin""#,
            r#"addresses[type eq "work"].locality pr"#,
            r#"manager.value pr"#,
            r#"EMAILS[TYPE eq "work"]"#,
        ] {
            assert_eq!(validate(&filter(ok), &USER_RESOURCE), Ok(()), "{ok}");
        }
        for ok in [
            r#"displayName eq "Sales""#,
            r#"id eq "g" and members[value eq "u"]"#,
            r#"externalId eq "x" or members.value eq "u""#,
        ] {
            assert_eq!(validate(&filter(ok), &GROUP_RESOURCE), Ok(()), "{ok}");
        }
        let cases: &[(&str, &crate::schema::ResourceTypeDef, &str)] = &[
            (
                r#"shoeSize eq "Employee""#,
                &USER_RESOURCE,
                "filter names the attribute \"shoeSize\", which User resources do not have",
            ),
            (
                r#"title pr and schemas eq "urn:x""#,
                &USER_RESOURCE,
                "filter names the attribute \"schemas\", which User resources do not have",
            ),
            (
                r#"name.maidenName pr"#,
                &USER_RESOURCE,
                "filter names \"name.maidenName\", but \"name\" has no sub-attribute \"maidenName\"",
            ),
            (
                r#"userName.x pr"#,
                &USER_RESOURCE,
                "filter names \"userName.x\", but \"userName\" has no sub-attributes (\"x\" is unknown)",
            ),
            (
                r#"urn:ietf:params:scim:schemas:core:2.0:User:department pr"#,
                &USER_RESOURCE,
                "filter names the attribute \"urn:ietf:params:scim:schemas:core:2.0:User:department\", which User resources do not have",
            ),
            (
                r#"members[value eq "u"]"#,
                &USER_RESOURCE,
                "filter names the attribute \"members\", which User resources do not have",
            ),
            (
                r#"userName[value pr]"#,
                &USER_RESOURCE,
                "\"userName\" is not a complex attribute, so it cannot take a value filter \"[...]\"",
            ),
            (
                r#"emails[kind eq "work"]"#,
                &USER_RESOURCE,
                "the value filter of \"emails\" names \"kind\", which is not a sub-attribute of \"emails\"",
            ),
            (
                r#"emails[type eq "work"].display pr"#,
                &USER_RESOURCE,
                "the value filter of \"emails\" names \"display\", which is not a sub-attribute of \"emails\"",
            ),
            (
                r#"not (userName pr) or pagers[type eq "xmpp"]"#,
                &USER_RESOURCE,
                "filter names the attribute \"pagers\", which User resources do not have",
            ),
            (
                r#"userName eq "x""#,
                &GROUP_RESOURCE,
                "filter names the attribute \"userName\", which Group resources do not have",
            ),
        ];
        for (f, rt, message) in cases {
            let e = validate(&filter(f), rt).unwrap_err();
            assert_eq!(
                e.scim_type,
                Some(crate::error::ScimType::InvalidFilter),
                "{f}"
            );
            assert_eq!(e.detail, *message, "{f}");
        }
        // A nested value filter cannot be built (its inner filter would be a `ValueFilter`), nor parsed.
        assert!("emails[type[value pr]]".parse::<Filter>().is_err());
    }

    #[test]
    fn resolution() {
        let r = resolve_path(&"department".parse().unwrap(), &USER_RESOURCE).unwrap();
        assert_eq!(
            r.container_key(&USER_RESOURCE),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
        assert_eq!(r.attr.name, "department");
        let r = resolve_path(&"Meta.LastModified".parse().unwrap(), &GROUP_RESOURCE).unwrap();
        assert_eq!(
            (r.schema, r.attr.name, r.sub.map(|s| s.name)),
            (None, "meta", Some("lastModified"))
        );
        assert_eq!(r.container_key(&GROUP_RESOURCE), None);
        let r = resolve_path(&"name.givenName".parse().unwrap(), &USER_RESOURCE).unwrap();
        assert_eq!(r.container_key(&USER_RESOURCE), None);
        assert!(resolve_path(&"nope".parse().unwrap(), &USER_RESOURCE).is_none());
    }
}
