//! SCIM filters (RFC 7644 §3.4.2.2) and `sortBy` compiled to SQL: a scim-core [`Filter`] becomes a boxed diesel
//! expression over `users` or `groups`, so a filter never loads an organisation's rows into memory.
//!
//! The SQL gives exactly the answers of scim-core's evaluator (`scim_core::eval`, whose module documentation
//! states the rules; a differential test holds the two together):
//! - case-insensitive attributes compare on their `*_norm` column with the literal folded here (Unicode
//!   lowercase); case-exact ones (`id`, `externalId`, `roles.value`, `manager.value`, `members.value`) on the
//!   raw column; strings order by code point (PostgreSQL columns are `COLLATE "C"`);
//! - every condition is two-valued (`col IS NOT NULL AND col = ?`), `ne` is exactly `not (eq)`, `eq null` is
//!   `not (pr)`; a literal of the wrong type, or an operator that does not apply, matches nothing;
//! - `co`/`sw`/`ew` are `LIKE` with `%`, `_` and `\` escaped (SQLite connections set `case_sensitive_like`);
//! - multi-valued attributes (`emails`, `addresses`, group `members`) and value filters (`emails[type eq
//!   "work"]`) become `id IN (SELECT user_id FROM user_emails WHERE ...)`: "some element matches". The user's
//!   one role lives in `users.role` (its `primary` flag, as sent, in `users.role_primary`);
//! - `meta.created` / `meta.lastModified` compare as instants (BIGINT microseconds).
//!
//! An attribute Humbol does not have, or one derived from the URL the API serves (`meta.version`,
//! `meta.location`, `manager.$ref`; `pr` works on them), is [`StoreError::InvalidFilter`].

use diesel::dsl::{not, sql};
use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};
use scim_core::eval::{fold_case, resolve_path};
use scim_core::filter::{CompValue, CompareOp, Filter};
use scim_core::path::AttrPath;
use scim_core::schema::{AttributeDef, ResourceTypeDef, GROUP_RESOURCE, USER_RESOURCE};

use crate::models::micros;
use crate::pool::MultiBackend;
use crate::schema::{group_members, groups, user_addresses, user_emails, users};
use crate::StoreError;

/// A compiled condition on table `T`.
pub type Cond<T> = Box<dyn BoxableExpression<T, MultiBackend, SqlType = Bool>>;

/// Compiles a node other than `and`/`or`/`not` (with its nesting depth).
type Leaf<'a, T> = &'a dyn Fn(&Filter, usize) -> Result<Cond<T>, StoreError>;

/// Compiles a presence test or comparison on a sub-attribute (named by its lowercase key) of an element.
type SubLeaf<'a, T> = &'a dyn Fn(&str, &Filter) -> Result<Cond<T>, StoreError>;

/// Filters nest at most this deep (the API refuses deeper ones earlier; this guards the recursion).
const MAX_DEPTH: usize = 64;

fn invalid(msg: impl Into<String>) -> StoreError {
    StoreError::InvalidFilter(msg.into())
}

fn always<T>() -> Cond<T> {
    Box::new(sql::<Bool>("1 = 1"))
}

fn never<T>() -> Cond<T> {
    Box::new(sql::<Bool>("1 = 0"))
}

fn constant<T>(b: bool) -> Cond<T> {
    if b {
        always()
    } else {
        never()
    }
}

// ---- attribute names ----

/// The attribute `path` names in `rt`, as one lowercase key of canonical names: `username`,
/// `name.givenname`, `emails.value`, `meta.created`, ... Unknown attributes are `InvalidFilter`.
fn key(path: &AttrPath, rt: &ResourceTypeDef) -> Result<String, StoreError> {
    let resolved = resolve_path(path, rt)
        .ok_or_else(|| invalid(format!("unknown attribute \"{}\"", display(path))))?;
    let mut k = resolved.attr.name.to_ascii_lowercase();
    if let Some(sub) = resolved.sub {
        k.push('.');
        k.push_str(&sub.name.to_ascii_lowercase());
    }
    Ok(k)
}

/// The sub-attribute of `attr` that a path inside `attr[...]` names (lowercase canonical name).
fn sub_key(path: &AttrPath, attr: &AttributeDef) -> Result<String, StoreError> {
    let sub = match (&path.urn, &path.sub) {
        (None, None) => attr.sub_attribute(&path.name),
        _ => None,
    };
    sub.map(|s| s.name.to_ascii_lowercase()).ok_or_else(|| {
        invalid(format!(
            "\"{}\" is not a sub-attribute of \"{}\"",
            display(path),
            attr.name
        ))
    })
}

fn display(path: &AttrPath) -> String {
    match &path.sub {
        Some(sub) => format!("{}.{}", path.name, sub),
        None => path.name.clone(),
    }
}

fn unsupported(k: &str) -> StoreError {
    invalid(format!("cannot filter on \"{k}\""))
}

fn attribute(rt: &ResourceTypeDef, name: &str) -> Result<&'static AttributeDef, StoreError> {
    rt.resolve(None, name)
        .map(|(_, a)| a)
        .ok_or_else(|| invalid(format!("unknown attribute \"{name}\"")))
}

// ---- literals ----

/// The literal of a string comparison: `None` (no match) unless it is a string; folded when `ci`.
fn text(value: &CompValue, ci: bool) -> Option<String> {
    match value {
        CompValue::String(s) if ci => Some(fold_case(s).into_owned()),
        CompValue::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// The literal of a boolean comparison: `true`/`false`, or those words as strings in any ASCII case.
fn boolean(value: &CompValue) -> Option<bool> {
    match value {
        CompValue::Bool(b) => Some(*b),
        CompValue::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        CompValue::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// `s` as a LIKE pattern matching itself literally (escape character `\`).
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A string comparison of two literals (for constant attributes such as `meta.resourceType`).
fn compare_strings(a: &str, b: &str, op: CompareOp) -> bool {
    match op {
        CompareOp::Eq => a == b,
        CompareOp::Ne => a != b,
        CompareOp::Co => a.contains(b),
        CompareOp::Sw => a.starts_with(b),
        CompareOp::Ew => a.ends_with(b),
        CompareOp::Gt => a > b,
        CompareOp::Ge => a >= b,
        CompareOp::Lt => a < b,
        CompareOp::Le => a <= b,
    }
}

// ---- comparisons (macros: one body for columns of any table) ----

/// `$col op $v` on a `Nullable<Text>` expression, two-valued (`op` is never `ne` here).
macro_rules! text_cmp {
    ($col:expr, $op:expr, $v:expr) => {{
        match $v {
            None => never(),
            Some(v) => {
                let v: String = v;
                let c = $col;
                let present = c.is_not_null();
                let c = c.assume_not_null();
                let b: Box<dyn BoxableExpression<_, MultiBackend, SqlType = Bool>> = match $op {
                    CompareOp::Eq => Box::new(present.and(c.eq(v))),
                    CompareOp::Co => {
                        Box::new(present.and(c.like(format!("%{}%", like_escape(&v))).escape('\\')))
                    }
                    CompareOp::Sw => {
                        Box::new(present.and(c.like(format!("{}%", like_escape(&v))).escape('\\')))
                    }
                    CompareOp::Ew => {
                        Box::new(present.and(c.like(format!("%{}", like_escape(&v))).escape('\\')))
                    }
                    CompareOp::Gt => Box::new(present.and(c.gt(v))),
                    CompareOp::Ge => Box::new(present.and(c.ge(v))),
                    CompareOp::Lt => Box::new(present.and(c.lt(v))),
                    CompareOp::Le => Box::new(present.and(c.le(v))),
                    CompareOp::Ne => never(),
                };
                b
            }
        }
    }};
}

/// `$col op $v` on a BigInt time column; `$v` is the comparison value (an RFC 3339 string).
macro_rules! time_cmp {
    ($col:expr, $op:expr, $v:expr) => {{
        match time_literal($v) {
            None => never(),
            Some((t, exact)) => {
                let c = $col;
                // Stored times are whole microseconds; a literal with finer digits lies strictly between
                // `t` and `t + 1`.
                let b: Box<dyn BoxableExpression<_, MultiBackend, SqlType = Bool>> = match $op {
                    CompareOp::Eq if exact => Box::new(c.eq(t)),
                    CompareOp::Gt | CompareOp::Ge if !exact => Box::new(c.gt(t)),
                    CompareOp::Lt | CompareOp::Le if !exact => Box::new(c.le(t)),
                    CompareOp::Gt => Box::new(c.gt(t)),
                    CompareOp::Ge => Box::new(c.ge(t)),
                    CompareOp::Lt => Box::new(c.lt(t)),
                    CompareOp::Le => Box::new(c.le(t)),
                    _ => never(),
                };
                b
            }
        }
    }};
}

/// An RFC 3339 literal as (whole microseconds, whether that is exact).
fn time_literal(value: &CompValue) -> Option<(i64, bool)> {
    let CompValue::String(s) = value else {
        return None;
    };
    let t = chrono::DateTime::parse_from_rfc3339(s).ok()?;
    let t = t.with_timezone(&chrono::Utc);
    let m = micros(t);
    Some((m, t.timestamp_subsec_nanos() % 1000 == 0))
}

/// `$col eq $b` on a Bool column (`op` other than `eq` matches nothing).
macro_rules! bool_cmp {
    ($col:expr, $op:expr, $v:expr) => {{
        match ($op, boolean($v)) {
            (CompareOp::Eq, Some(b)) => {
                let out: Box<dyn BoxableExpression<_, MultiBackend, SqlType = Bool>> =
                    Box::new($col.eq(b));
                out
            }
            _ => never(),
        }
    }};
}

/// `$col pr` on a `Nullable<Text>` expression: not null and not empty.
macro_rules! text_present {
    ($col:expr) => {{
        let c = $col;
        let b: Box<dyn BoxableExpression<_, MultiBackend, SqlType = Bool>> =
            Box::new(c.is_not_null().and(c.assume_not_null().ne("")));
        b
    }};
}

/// The rules every comparison shares: `eq null` is `not pr`, `ne null` is `pr`, other operators with `null`
/// match nothing, `ne` is `not eq`. `cmp` gets the rest (`op` not `ne`, `value` not `null`).
fn compare<T: 'static>(
    op: CompareOp,
    value: &CompValue,
    present: impl FnOnce() -> Result<Cond<T>, StoreError>,
    cmp: impl FnOnce(CompareOp, &CompValue) -> Result<Cond<T>, StoreError>,
) -> Result<Cond<T>, StoreError>
where
    not<Cond<T>>: BoxableExpression<T, MultiBackend, SqlType = Bool>,
{
    Ok(match (op, value) {
        (CompareOp::Eq, CompValue::Null) => Box::new(not(present()?)),
        (CompareOp::Ne, CompValue::Null) => present()?,
        (_, CompValue::Null) => never(),
        (CompareOp::Ne, v) => Box::new(not(cmp(CompareOp::Eq, v)?)),
        (op, v) => cmp(op, v)?,
    })
}

/// Compiles `and` / `or` / `not` and hands every other node to `leaf`.
fn logic<T: 'static>(f: &Filter, depth: usize, leaf: Leaf<'_, T>) -> Result<Cond<T>, StoreError>
where
    diesel::dsl::And<Cond<T>, Cond<T>>: BoxableExpression<T, MultiBackend, SqlType = Bool>,
    diesel::dsl::Or<Cond<T>, Cond<T>>: BoxableExpression<T, MultiBackend, SqlType = Bool>,
    not<Cond<T>>: BoxableExpression<T, MultiBackend, SqlType = Bool>,
{
    if depth > MAX_DEPTH {
        return Err(invalid("filter is nested too deeply"));
    }
    Ok(match f {
        Filter::And(a, b) => Box::new(logic(a, depth + 1, leaf)?.and(logic(b, depth + 1, leaf)?)),
        Filter::Or(a, b) => Box::new(logic(a, depth + 1, leaf)?.or(logic(b, depth + 1, leaf)?)),
        Filter::Not(a) => Box::new(not(logic(a, depth + 1, leaf)?)),
        other => leaf(other, depth)?,
    })
}

/// Compiles a filter inside `attr[...]` with `leaf(sub-attribute key, node)` for its comparisons/presence.
fn element<T: 'static>(
    f: &Filter,
    depth: usize,
    attr: &'static AttributeDef,
    leaf: SubLeaf<'_, T>,
) -> Result<Cond<T>, StoreError>
where
    diesel::dsl::And<Cond<T>, Cond<T>>: BoxableExpression<T, MultiBackend, SqlType = Bool>,
    diesel::dsl::Or<Cond<T>, Cond<T>>: BoxableExpression<T, MultiBackend, SqlType = Bool>,
    not<Cond<T>>: BoxableExpression<T, MultiBackend, SqlType = Bool>,
{
    logic(f, depth, &|node, _| match node {
        Filter::Present(p) | Filter::Compare { path: p, .. } => leaf(&sub_key(p, attr)?, node),
        _ => Err(invalid("value filters do not nest")),
    })
}

/// Some email of the user matches `cond`.
fn any_email(cond: Cond<user_emails::table>) -> Cond<users::table> {
    Box::new(in_subquery(
        users::id,
        user_emails::table
            .filter(cond)
            .select(user_emails::user_id)
            .into_boxed(),
    ))
}

/// Some address of the user matches `cond`.
fn any_address(cond: Cond<user_addresses::table>) -> Cond<users::table> {
    Box::new(in_subquery(
        users::id,
        user_addresses::table
            .filter(cond)
            .select(user_addresses::user_id)
            .into_boxed(),
    ))
}

/// Some membership of the group matches `cond`.
fn any_member(cond: Cond<group_members::table>) -> Cond<groups::table> {
    Box::new(in_subquery(
        groups::id,
        group_members::table
            .filter(cond)
            .select(group_members::group_id)
            .into_boxed(),
    ))
}

// ---- users ----

/// Compiles a filter on Users.
pub fn user_filter(f: &Filter) -> Result<Cond<users::table>, StoreError> {
    logic(f, 0, &user_leaf)
}

fn user_leaf(f: &Filter, depth: usize) -> Result<Cond<users::table>, StoreError> {
    match f {
        Filter::Present(path) => user_present(&key(path, &USER_RESOURCE)?),
        Filter::Compare { path, op, value } => {
            let k = key(path, &USER_RESOURCE)?;
            compare(
                *op,
                value,
                || user_present(&k),
                |op, v| user_compare(&k, op, v),
            )
        }
        Filter::ValuePath { attr, filter } => {
            let k = key(attr, &USER_RESOURCE)?;
            let def = attribute(&USER_RESOURCE, &k)?;
            match k.as_str() {
                "emails" => Ok(any_email(element(filter, depth + 1, def, &email_leaf)?)),
                "addresses" => Ok(any_address(element(filter, depth + 1, def, &address_leaf)?)),
                // Single-valued complex attributes and the one role: the element exists, and matches.
                // (`name` exists when any part is stored, even an empty one; an empty role or manager is
                // not returned at all.)
                "roles" | "name" | "manager" => {
                    let cond = element(filter, depth + 1, def, &|sub, node| {
                        user_node(&format!("{k}.{sub}"), node)
                    })?;
                    let exists: Cond<users::table> = if k == "name" {
                        Box::new(
                            users::name_formatted
                                .is_not_null()
                                .or(users::given_name.is_not_null())
                                .or(users::family_name.is_not_null()),
                        )
                    } else {
                        user_present(&k)?
                    };
                    Ok(Box::new(exists.and(cond)))
                }
                _ => Err(invalid(format!(
                    "\"{}\" cannot take a value filter",
                    display(attr)
                ))),
            }
        }
        _ => Err(invalid("unsupported filter")),
    }
}

/// A presence test or comparison on the user attribute `k`.
fn user_node(k: &str, node: &Filter) -> Result<Cond<users::table>, StoreError> {
    match node {
        Filter::Present(_) => user_present(k),
        Filter::Compare { op, value, .. } => compare(
            *op,
            value,
            || user_present(k),
            |op, v| user_compare(k, op, v),
        ),
        _ => Err(invalid("unsupported filter")),
    }
}

/// `pr` on the User attribute `k`.
fn user_present(k: &str) -> Result<Cond<users::table>, StoreError> {
    Ok(match k {
        "id" | "active" | "meta" | "meta.created" | "meta.lastmodified" | "meta.version"
        | "meta.resourcetype" | "meta.location" => always(),
        "username" => text_present!(users::user_name.nullable()),
        "externalid" => text_present!(users::external_id),
        "displayname" => text_present!(users::display_name),
        "title" => text_present!(users::title),
        "preferredlanguage" => text_present!(users::preferred_language),
        "name" => Box::new(
            text_present!(users::name_formatted)
                .or(text_present!(users::given_name))
                .or(text_present!(users::family_name)),
        ),
        "name.formatted" => text_present!(users::name_formatted),
        "name.givenname" => text_present!(users::given_name),
        "name.familyname" => text_present!(users::family_name),
        "department" => text_present!(users::department),
        // `$ref` is derived from `value` (and the resource's URL) whenever there is a manager.
        "manager" | "manager.value" | "manager.$ref" => text_present!(users::manager_id),
        "roles" | "roles.value" => text_present!(users::role),
        "roles.primary" => {
            Box::new(text_present!(users::role).and(users::role_primary.is_not_null()))
        }
        "emails" | "emails.primary" => any_email(always()),
        "addresses" | "addresses.primary" => any_address(always()),
        _ if k.starts_with("emails.") => any_email(email_leaf(
            &k["emails.".len()..],
            &Filter::Present(AttrPath::new("")),
        )?),
        _ if k.starts_with("addresses.") => any_address(address_leaf(
            &k["addresses.".len()..],
            &Filter::Present(AttrPath::new("")),
        )?),
        _ => return Err(unsupported(k)),
    })
}

/// `k op v` on a User attribute (`op` is not `ne`, `v` is not `null`).
fn user_compare(k: &str, op: CompareOp, v: &CompValue) -> Result<Cond<users::table>, StoreError> {
    Ok(match k {
        "id" => text_cmp!(users::id.nullable(), op, text(v, false)),
        "externalid" => text_cmp!(users::external_id, op, text(v, false)),
        "username" => text_cmp!(users::user_name_norm.nullable(), op, text(v, true)),
        "displayname" => text_cmp!(users::display_name_norm, op, text(v, true)),
        "title" => text_cmp!(users::title_norm, op, text(v, true)),
        "preferredlanguage" => text_cmp!(users::preferred_language_norm, op, text(v, true)),
        "name.formatted" => text_cmp!(users::name_formatted_norm, op, text(v, true)),
        "name.givenname" => text_cmp!(users::given_name_norm, op, text(v, true)),
        "name.familyname" => text_cmp!(users::family_name_norm, op, text(v, true)),
        "department" => text_cmp!(users::department_norm, op, text(v, true)),
        // An empty manager or role is not returned at all.
        "manager" | "manager.value" => Box::new(text_present!(users::manager_id).and(text_cmp!(
            users::manager_id,
            op,
            text(v, false)
        ))),
        "roles" | "roles.value" => {
            Box::new(text_present!(users::role).and(text_cmp!(users::role, op, text(v, false))))
        }
        // `primary` is returned as sent, with the role.
        "roles.primary" => match (op, boolean(v)) {
            (CompareOp::Eq, Some(b)) => Box::new(
                text_present!(users::role)
                    .and(users::role_primary.is_not_null())
                    .and(users::role_primary.assume_not_null().eq(b)),
            ),
            _ => never(),
        },
        "active" => bool_cmp!(users::active, op, v),
        "meta.created" => time_cmp!(users::created, op, v),
        "meta.lastmodified" => time_cmp!(users::last_modified, op, v),
        "meta.resourcetype" => match v {
            CompValue::String(s) => constant(compare_strings("User", s, op)),
            _ => never(),
        },
        // Derived from the URL the API serves: not something the store can compare.
        "meta.version" | "meta.location" | "manager.$ref" => return Err(unsupported(k)),
        // A complex attribute without a `value` sub-attribute, or never returned: no comparison matches.
        "name" | "addresses" | "meta" => never(),
        "emails" => any_email(email_compare("value", op, v)?),
        _ if k.starts_with("emails.") => any_email(email_compare(&k["emails.".len()..], op, v)?),
        _ if k.starts_with("addresses.") => {
            any_address(address_compare(&k["addresses.".len()..], op, v)?)
        }
        _ => return Err(unsupported(k)),
    })
}

/// A presence test or comparison on the email sub-attribute `sub`.
fn email_leaf(sub: &str, node: &Filter) -> Result<Cond<user_emails::table>, StoreError> {
    let present = || -> Result<Cond<user_emails::table>, StoreError> {
        Ok(match sub {
            "value" => text_present!(user_emails::value.nullable()),
            "type" => text_present!(user_emails::kind),
            "primary" => always(),
            _ => return Err(unsupported(&format!("emails.{sub}"))),
        })
    };
    match node {
        Filter::Compare { op, value, .. } => {
            compare(*op, value, present, |op, v| email_compare(sub, op, v))
        }
        _ => present(),
    }
}

fn email_compare(
    sub: &str,
    op: CompareOp,
    v: &CompValue,
) -> Result<Cond<user_emails::table>, StoreError> {
    Ok(match sub {
        "value" => text_cmp!(user_emails::value_norm.nullable(), op, text(v, true)),
        "type" => text_cmp!(user_emails::kind_norm, op, text(v, true)),
        "primary" => bool_cmp!(user_emails::is_primary, op, v),
        _ => return Err(unsupported(&format!("emails.{sub}"))),
    })
}

/// A presence test or comparison on the address sub-attribute `sub`.
fn address_leaf(sub: &str, node: &Filter) -> Result<Cond<user_addresses::table>, StoreError> {
    let present = || -> Result<Cond<user_addresses::table>, StoreError> {
        Ok(match sub {
            "type" => text_present!(user_addresses::kind),
            "locality" => text_present!(user_addresses::locality),
            "region" => text_present!(user_addresses::region),
            "country" => text_present!(user_addresses::country),
            "primary" => always(),
            _ => return Err(unsupported(&format!("addresses.{sub}"))),
        })
    };
    match node {
        Filter::Compare { op, value, .. } => {
            compare(*op, value, present, |op, v| address_compare(sub, op, v))
        }
        _ => present(),
    }
}

fn address_compare(
    sub: &str,
    op: CompareOp,
    v: &CompValue,
) -> Result<Cond<user_addresses::table>, StoreError> {
    Ok(match sub {
        "type" => text_cmp!(user_addresses::kind_norm, op, text(v, true)),
        "locality" => text_cmp!(user_addresses::locality_norm, op, text(v, true)),
        "region" => text_cmp!(user_addresses::region_norm, op, text(v, true)),
        "country" => text_cmp!(user_addresses::country_norm, op, text(v, true)),
        "primary" => bool_cmp!(user_addresses::is_primary, op, v),
        _ => return Err(unsupported(&format!("addresses.{sub}"))),
    })
}

// ---- groups ----

/// Compiles a filter on Groups.
pub fn group_filter(f: &Filter) -> Result<Cond<groups::table>, StoreError> {
    logic(f, 0, &group_leaf)
}

fn group_leaf(f: &Filter, depth: usize) -> Result<Cond<groups::table>, StoreError> {
    match f {
        Filter::Present(path) => group_present(&key(path, &GROUP_RESOURCE)?),
        Filter::Compare { path, op, value } => {
            let k = key(path, &GROUP_RESOURCE)?;
            compare(
                *op,
                value,
                || group_present(&k),
                |op, v| group_compare(&k, op, v),
            )
        }
        Filter::ValuePath { attr, filter } => {
            let k = key(attr, &GROUP_RESOURCE)?;
            let def = attribute(&GROUP_RESOURCE, &k)?;
            match k.as_str() {
                "members" => Ok(any_member(element(filter, depth + 1, def, &member_leaf)?)),
                _ => Err(invalid(format!(
                    "\"{}\" cannot take a value filter",
                    display(attr)
                ))),
            }
        }
        _ => Err(invalid("unsupported filter")),
    }
}

fn group_present(k: &str) -> Result<Cond<groups::table>, StoreError> {
    Ok(match k {
        "id" | "meta" | "meta.created" | "meta.lastmodified" | "meta.version"
        | "meta.resourcetype" | "meta.location" => always(),
        "displayname" => text_present!(groups::display_name.nullable()),
        "externalid" => text_present!(groups::external_id),
        "members" | "members.value" | "members.type" => any_member(always()),
        "members.display" => {
            any_member(member_leaf("display", &Filter::Present(AttrPath::new("")))?)
        }
        _ => return Err(unsupported(k)),
    })
}

fn group_compare(k: &str, op: CompareOp, v: &CompValue) -> Result<Cond<groups::table>, StoreError> {
    Ok(match k {
        "id" => text_cmp!(groups::id.nullable(), op, text(v, false)),
        "externalid" => text_cmp!(groups::external_id, op, text(v, false)),
        "displayname" => text_cmp!(groups::display_name_norm.nullable(), op, text(v, true)),
        "meta.created" => time_cmp!(groups::created, op, v),
        "meta.lastmodified" => time_cmp!(groups::last_modified, op, v),
        "meta.resourcetype" => match v {
            CompValue::String(s) => constant(compare_strings("Group", s, op)),
            _ => never(),
        },
        "meta" => never(),
        "members" => any_member(member_compare("value", op, v)?),
        _ if k.starts_with("members.") => {
            any_member(member_compare(&k["members.".len()..], op, v)?)
        }
        _ => return Err(unsupported(k)),
    })
}

/// A presence test or comparison on the member sub-attribute `sub`.
fn member_leaf(sub: &str, node: &Filter) -> Result<Cond<group_members::table>, StoreError> {
    let present = || -> Result<Cond<group_members::table>, StoreError> {
        Ok(match sub {
            "value" | "type" => always(),
            "display" => Box::new(in_subquery(
                group_members::user_id,
                users::table
                    .filter(text_present!(users::display_name))
                    .select(users::id)
                    .into_boxed(),
            )),
            _ => return Err(unsupported(&format!("members.{sub}"))),
        })
    };
    match node {
        Filter::Compare { op, value, .. } => {
            compare(*op, value, present, |op, v| member_compare(sub, op, v))
        }
        _ => present(),
    }
}

fn member_compare(
    sub: &str,
    op: CompareOp,
    v: &CompValue,
) -> Result<Cond<group_members::table>, StoreError> {
    Ok(match sub {
        "value" => text_cmp!(group_members::user_id.nullable(), op, text(v, false)),
        "type" => match text(v, true) {
            Some(s) => constant(compare_strings("user", &s, op)),
            None => never(),
        },
        "display" => Box::new(in_subquery(
            group_members::user_id,
            users::table
                .filter(text_cmp!(users::display_name_norm, op, text(v, true)))
                .select(users::id)
                .into_boxed(),
        )),
        _ => return Err(unsupported(&format!("members.{sub}"))),
    })
}

/// `left IN (subquery)`. diesel's own `eq_any` renders through each backend's syntax, which a boxed
/// (MultiBackend) subquery cannot do; this node renders the same SQL once for the MultiBackend.
#[derive(Debug)]
pub struct InSubquery<L, Q> {
    left: L,
    query: Q,
}

pub fn in_subquery<L, Q>(left: L, query: Q) -> InSubquery<L, Q> {
    InSubquery { left, query }
}

impl<L, Q> diesel::expression::Expression for InSubquery<L, Q> {
    type SqlType = Bool;
}

impl<L: AppearsOnTable<QS>, Q, QS> AppearsOnTable<QS> for InSubquery<L, Q> {}

impl<L: SelectableExpression<QS>, Q, QS> SelectableExpression<QS> for InSubquery<L, Q> {}

impl<L, Q> diesel::expression::ValidGrouping<()> for InSubquery<L, Q> {
    type IsAggregate = diesel::expression::is_aggregate::No;
}

impl<L, Q> diesel::query_builder::QueryId for InSubquery<L, Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<L, Q> diesel::query_builder::QueryFragment<MultiBackend> for InSubquery<L, Q>
where
    L: diesel::query_builder::QueryFragment<MultiBackend>,
    Q: diesel::query_builder::QueryFragment<MultiBackend>,
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, MultiBackend>,
    ) -> QueryResult<()> {
        self.left.walk_ast(out.reborrow())?;
        out.push_sql(" IN (");
        self.query.walk_ast(out.reborrow())?;
        out.push_sql(")");
        Ok(())
    }
}

// ---- sortBy ----

/// A sort key: a (nullable) text or a time column of `T`.
pub enum SortKey<T> {
    Text(Box<dyn BoxableExpression<T, MultiBackend, SqlType = Nullable<Text>>>),
    Time(Box<dyn BoxableExpression<T, MultiBackend, SqlType = diesel::sql_types::BigInt>>),
    Bool(Box<dyn BoxableExpression<T, MultiBackend, SqlType = Bool>>),
}

/// The primary (else first) element's normalised sub-attribute, for sorting by a multi-valued attribute.
/// Static SQL: no user input in it.
fn first_element(table: &str, column: &str) -> SortKey<users::table> {
    SortKey::Text(Box::new(sql::<Nullable<Text>>(&format!(
        "(SELECT e.{column} FROM {table} e WHERE e.user_id = \"users\".\"id\" \
         ORDER BY e.is_primary DESC, e.position LIMIT 1)"
    ))))
}

/// The sort key of a User attribute.
pub fn user_sort(path: &AttrPath) -> Result<SortKey<users::table>, StoreError> {
    let k = key(path, &USER_RESOURCE)?;
    Ok(match k.as_str() {
        "id" => SortKey::Text(Box::new(users::id.nullable())),
        "externalid" => SortKey::Text(Box::new(users::external_id)),
        "username" => SortKey::Text(Box::new(users::user_name_norm.nullable())),
        "displayname" => SortKey::Text(Box::new(users::display_name_norm)),
        "title" => SortKey::Text(Box::new(users::title_norm)),
        "preferredlanguage" => SortKey::Text(Box::new(users::preferred_language_norm)),
        "name.formatted" => SortKey::Text(Box::new(users::name_formatted_norm)),
        "name.givenname" => SortKey::Text(Box::new(users::given_name_norm)),
        "name.familyname" => SortKey::Text(Box::new(users::family_name_norm)),
        "department" => SortKey::Text(Box::new(users::department_norm)),
        "manager" | "manager.value" => SortKey::Text(Box::new(users::manager_id)),
        "roles" | "roles.value" => SortKey::Text(Box::new(users::role)),
        "active" => SortKey::Bool(Box::new(users::active)),
        "meta.created" => SortKey::Time(Box::new(users::created)),
        "meta.lastmodified" => SortKey::Time(Box::new(users::last_modified)),
        "emails" | "emails.value" => first_element("user_emails", "value_norm"),
        "emails.type" => first_element("user_emails", "kind_norm"),
        "addresses" | "addresses.type" => first_element("user_addresses", "kind_norm"),
        "addresses.locality" => first_element("user_addresses", "locality_norm"),
        "addresses.region" => first_element("user_addresses", "region_norm"),
        "addresses.country" => first_element("user_addresses", "country_norm"),
        _ => return Err(invalid(format!("cannot sort by \"{}\"", display(path)))),
    })
}

/// The sort key of a Group attribute.
pub fn group_sort(path: &AttrPath) -> Result<SortKey<groups::table>, StoreError> {
    Ok(match key(path, &GROUP_RESOURCE)?.as_str() {
        "id" => SortKey::Text(Box::new(groups::id.nullable())),
        "externalid" => SortKey::Text(Box::new(groups::external_id)),
        "displayname" => SortKey::Text(Box::new(groups::display_name_norm.nullable())),
        "meta.created" => SortKey::Time(Box::new(groups::created)),
        "meta.lastmodified" => SortKey::Time(Box::new(groups::last_modified)),
        _ => return Err(invalid(format!("cannot sort by \"{}\"", display(path)))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(like_escape("a%b_c\\d"), "a\\%b\\_c\\\\d");
    }
}
