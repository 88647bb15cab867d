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
//! - `meta.created` / `meta.lastModified` compare as instants (BIGINT microseconds);
//! - the attributes of the User's attribute document (`UserAttr::Doc`: nickName, phoneNumbers, ...) compile
//!   through [`crate::filter_doc`] to each backend's JSON functions, with the same rules.
//!
//! Where each attribute is stored (which column, its normalised column, its kind, or which child table) is
//! stated once, in `user_storage` / `group_storage` (and `email_storage` / `address_storage` for the elements'
//! sub-attributes); `pr`, the comparisons and `sortBy` all read that entry.
//!
//! An attribute Humbol does not have, or one derived from the URL the API serves (`meta.version`,
//! `meta.location`, `manager.$ref`; `pr` works on them), is [`StoreError::InvalidFilter`].

use diesel::dsl::{not, sql};
use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use scim_core::cursor::{Keyset, SortValue};
use scim_core::eval::fold_case;
use scim_core::filter::{CompValue, CompareOp, Expr as FilterExpr, Filter, ValueFilter, ValuePath};
use scim_core::path::AttrPath;
use scim_core::schema::{
    resolve_path, AddressSub, AttrType, AttributeDef, DocAttr, EmailSub, GroupAttr, ManagerSub,
    MemberSub, MetaAttr, NameSub, ResolvedPath, ResourceTypeDef, RoleSub, UserAttr, UserGroupSub,
    GROUP_RESOURCE, USER_RESOURCE,
};

use crate::filter_doc::{DocCond, DocSort, ElementCond, ValueTest};
use crate::models::micros;
use crate::pool::MultiBackend;
use crate::schema::{group_members, groups, user_addresses, user_emails, users};
use crate::StoreError;

/// A compiled condition on table `T`.
pub type Cond<T> = Box<dyn BoxableExpression<T, MultiBackend, SqlType = Bool>>;

/// Compiles a node of a filter expression `FilterExpr<V>` other than `and`/`or`/`not` (with its nesting depth).
type Leaf<'a, V, T> = &'a dyn Fn(&FilterExpr<V>, usize) -> Result<Cond<T>, StoreError>;

/// Compiles a presence test or comparison on a sub-attribute `S` of an element.
type SubLeaf<'a, S, T> = &'a dyn Fn(S, &ValueFilter) -> Result<Cond<T>, StoreError>;

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

/// Where `path` points in `rt`; unknown attributes are `InvalidFilter`.
fn resolved(path: &AttrPath, rt: &ResourceTypeDef) -> Result<ResolvedPath, StoreError> {
    resolve_path(path, rt)
        .ok_or_else(|| invalid(format!("unknown attribute \"{}\"", display(path))))
}

/// The User attribute `path` names (the schema's one resolver).
fn user_attr(path: &AttrPath) -> Result<UserAttr, StoreError> {
    UserAttr::resolved(&resolved(path, &USER_RESOURCE)?)
        .ok_or_else(|| invalid(format!("unknown attribute \"{}\"", display(path))))
}

/// The Group attribute `path` names.
fn group_attr(path: &AttrPath) -> Result<GroupAttr, StoreError> {
    GroupAttr::resolved(&resolved(path, &GROUP_RESOURCE)?)
        .ok_or_else(|| invalid(format!("unknown attribute \"{}\"", display(path))))
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
                // `$col` is evaluated twice: a column, or a function making a boxed one afresh.
                let present = $col.is_not_null();
                let c = $col.assume_not_null();
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
        let b: Box<dyn BoxableExpression<_, MultiBackend, SqlType = Bool>> =
            Box::new($col.is_not_null().and($col.assume_not_null().ne("")));
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
fn logic<V, T: 'static>(
    f: &FilterExpr<V>,
    depth: usize,
    leaf: Leaf<'_, V, T>,
) -> Result<Cond<T>, StoreError>
where
    diesel::dsl::And<Cond<T>, Cond<T>>: BoxableExpression<T, MultiBackend, SqlType = Bool>,
    diesel::dsl::Or<Cond<T>, Cond<T>>: BoxableExpression<T, MultiBackend, SqlType = Bool>,
    not<Cond<T>>: BoxableExpression<T, MultiBackend, SqlType = Bool>,
{
    if depth > MAX_DEPTH {
        return Err(invalid("filter is nested too deeply"));
    }
    // Depth counts nesting, not terms: a flat chain `a or b or c ...` (a left-deep tree of one operator) is
    // one level, however long.
    let within = |same: bool| if same { depth } else { depth + 1 };
    let and = |c: &FilterExpr<V>| within(matches!(c, FilterExpr::And(..)));
    let or = |c: &FilterExpr<V>| within(matches!(c, FilterExpr::Or(..)));
    Ok(match f {
        FilterExpr::And(a, b) => Box::new(logic(a, and(a), leaf)?.and(logic(b, and(b), leaf)?)),
        FilterExpr::Or(a, b) => Box::new(logic(a, or(a), leaf)?.or(logic(b, or(b), leaf)?)),
        FilterExpr::Not(a) => Box::new(not(logic(a, depth + 1, leaf)?)),
        other => leaf(other, depth)?,
    })
}

/// Compiles a filter inside `outer[...]`: `sub` resolves each path in it to a sub-attribute of `outer` (the
/// schema's resolver), `leaf` compiles its comparisons/presence tests.
fn element<S, T: 'static>(
    f: &ValueFilter,
    depth: usize,
    outer: &AttrPath,
    sub: &dyn Fn(&AttrPath) -> Option<S>,
    leaf: SubLeaf<'_, S, T>,
) -> Result<Cond<T>, StoreError>
where
    diesel::dsl::And<Cond<T>, Cond<T>>: BoxableExpression<T, MultiBackend, SqlType = Bool>,
    diesel::dsl::Or<Cond<T>, Cond<T>>: BoxableExpression<T, MultiBackend, SqlType = Bool>,
    not<Cond<T>>: BoxableExpression<T, MultiBackend, SqlType = Bool>,
{
    logic(f, depth, &|node, _| match node {
        ValueFilter::Present(p) | ValueFilter::Compare { path: p, .. } => match sub(p) {
            Some(s) => leaf(s, node),
            None => Err(invalid(format!(
                "\"{}\" is not a sub-attribute of \"{}\"",
                display(p),
                display(outer)
            ))),
        },
        ValueFilter::ValuePath(never) => match *never {},
        ValueFilter::And(..) | ValueFilter::Or(..) | ValueFilter::Not(..) => {
            Err(invalid("unsupported filter"))
        }
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
        Filter::ValuePath(ValuePath { attr, filter }) => {
            let a = user_attr(attr)?;
            let within = |p: &AttrPath| UserAttr::within(a, p);
            match a {
                UserAttr::Emails(None) => {
                    let sub = |p: &AttrPath| match within(p)? {
                        UserAttr::Emails(Some(s)) => Some(s),
                        _ => None,
                    };
                    Ok(any_email(element(
                        filter,
                        depth + 1,
                        attr,
                        &sub,
                        &email_leaf,
                    )?))
                }
                UserAttr::Addresses(None) => {
                    let sub = |p: &AttrPath| match within(p)? {
                        UserAttr::Addresses(Some(s)) => Some(s),
                        _ => None,
                    };
                    Ok(any_address(element(
                        filter,
                        depth + 1,
                        attr,
                        &sub,
                        &address_leaf,
                    )?))
                }
                // Single-valued complex attributes and the one role: the element exists, and matches.
                // (`name` exists when any part is stored, even an empty one; an empty role or manager is
                // not returned at all.)
                UserAttr::Roles(None) | UserAttr::Name(None) | UserAttr::Manager(None) => {
                    let cond = element(filter, depth + 1, attr, &within, &user_node)?;
                    let exists: Cond<users::table> = if a == UserAttr::Name(None) {
                        Box::new(
                            users::name_formatted
                                .is_not_null()
                                .or(users::given_name.is_not_null())
                                .or(users::family_name.is_not_null())
                                .or(name_document(ElementCond::Exists)),
                        )
                    } else {
                        user_present(a)?
                    };
                    Ok(Box::new(exists.and(cond)))
                }
                UserAttr::Groups(None) => {
                    let sub = |p: &AttrPath| match within(p)? {
                        UserAttr::Groups(Some(s)) => Some(s),
                        _ => None,
                    };
                    Ok(any_group(element(
                        filter,
                        depth + 1,
                        attr,
                        &sub,
                        &user_group_leaf,
                    )?))
                }
                UserAttr::Doc(d) if d.sub.is_none() && d.attr.ty == AttrType::Complex => {
                    let cond = doc_element(filter, depth + 1, attr, &d)?;
                    Ok(Box::new(DocCond::new(&d, cond)))
                }
                UserAttr::Id
                | UserAttr::ExternalId
                | UserAttr::Meta(_)
                | UserAttr::UserName
                | UserAttr::Doc(_)
                | UserAttr::Name(Some(_))
                | UserAttr::DisplayName
                | UserAttr::Title
                | UserAttr::PreferredLanguage
                | UserAttr::Active
                | UserAttr::Emails(Some(_))
                | UserAttr::Addresses(Some(_))
                | UserAttr::Roles(Some(_))
                | UserAttr::Department
                | UserAttr::Groups(Some(_))
                | UserAttr::Manager(Some(_)) => Err(invalid(format!(
                    "\"{}\" cannot take a value filter",
                    display(attr)
                ))),
            }
        }
        Filter::Present(path) | Filter::Compare { path, .. } => user_node(user_attr(path)?, f),
        _ => Err(invalid("unsupported filter")),
    }
}

/// A presence test or comparison on the User attribute `a`.
fn user_node<V>(a: UserAttr, node: &FilterExpr<V>) -> Result<Cond<users::table>, StoreError> {
    match node {
        FilterExpr::Present(_) => user_present(a),
        FilterExpr::Compare { op, value, .. } => compare(
            *op,
            value,
            || user_present(a),
            |op, v| user_compare(a, op, v),
        ),
        _ => Err(invalid("unsupported filter")),
    }
}

/// `pr` on the User attribute `a`.
fn user_present(a: UserAttr) -> Result<Cond<users::table>, StoreError> {
    Ok(match user_storage(a) {
        UserStorage::Users(s) => s.present(),
        UserStorage::Emails(None) => any_email(always()),
        UserStorage::Emails(Some(s)) => any_email(email_storage(s).column.present()),
        UserStorage::Addresses(None) => any_address(always()),
        UserStorage::Addresses(Some(s)) => any_address(address_storage(s).column.present()),
        UserStorage::Groups(None) => any_group(always()),
        UserStorage::Groups(Some(s)) => any_group(user_group_present(s)),
        UserStorage::RolePrimary => {
            Box::new(text_present!(users::role).and(users::role_primary.is_not_null()))
        }
        UserStorage::Doc(d) => doc_present(&d),
    })
}

/// `a op v` on a User attribute (`op` is not `ne`, `v` is not `null`).
fn user_compare(
    a: UserAttr,
    op: CompareOp,
    v: &CompValue,
) -> Result<Cond<users::table>, StoreError> {
    Ok(match user_storage(a) {
        UserStorage::Users(s) => s.compare(op, v)?,
        UserStorage::Emails(s) => any_email(
            email_storage(s.unwrap_or(EmailSub::Value))
                .column
                .compare(op, v)?,
        ),
        // An address has no `value` sub-attribute: no comparison matches.
        UserStorage::Addresses(None) => never(),
        UserStorage::Addresses(Some(s)) => any_address(address_storage(s).column.compare(op, v)?),
        UserStorage::Groups(s) => {
            any_group(user_group_compare(s.unwrap_or(UserGroupSub::Value), op, v)?)
        }
        // `primary` is returned as sent, with the role.
        UserStorage::RolePrimary => match (op, boolean(v)) {
            (CompareOp::Eq, Some(b)) => Box::new(
                text_present!(users::role)
                    .and(users::role_primary.is_not_null())
                    .and(users::role_primary.assume_not_null().eq(b)),
            ),
            _ => never(),
        },
        UserStorage::Doc(d) => match doc_leaf(&d) {
            Some((sub, leaf)) => Box::new(DocCond::new(&d, doc_test(sub, leaf, op, v))),
            None => never(),
        },
    })
}

// ---- where each attribute is stored: one table per resource ----

/// A text expression of `T`, made afresh for each use (each diesel operator consumes its operand).
type TextCol<T> = fn() -> Expr<T, Nullable<Text>>;

/// How an attribute is stored in the columns of table `T`, which says what `pr`, the comparisons and `sortBy`
/// read. The tables below (`user_storage`, `group_storage`, `email_storage`, `address_storage`) give each
/// attribute's entry, the one place its storage is stated.
enum Storage<T> {
    /// The row's id: always present, compared case-exact.
    Id(TextCol<T>),
    /// Text: `pr` reads `raw` (not null, not empty); comparisons and `sortBy` read `key`, the normalised
    /// column when `fold` (the literal is folded too), `raw` itself otherwise.
    Text {
        raw: TextCol<T>,
        key: TextCol<T>,
        fold: bool,
    },
    /// Case-exact text that is not returned at all when empty (the manager's id, the role): a comparison also
    /// needs it present.
    Nonempty(TextCol<T>),
    /// A boolean: always present, `eq` only.
    Bool(fn() -> Expr<T, Bool>),
    /// An instant (BIGINT microseconds): always present.
    Time(fn() -> Expr<T, BigInt>),
    /// The same string for every row (`meta.resourceType`): always present.
    Constant(&'static str),
    /// Derived from the URL the API serves (`meta.version`, `manager.$ref`): present when `with` is (always,
    /// when `None`), not something the store can compare.
    Derived {
        name: &'static str,
        with: Option<TextCol<T>>,
    },
    /// A complex attribute without a `value` sub-attribute: present when the condition holds; no comparison
    /// matches.
    NoValue(fn() -> Cond<T>),
}

/// [`Storage::Text`] of a case-insensitive attribute: the raw column `$raw` of table `$t` and its normalised
/// column `$key`.
macro_rules! folded {
    ($t:ident, $raw:ident, $key:ident) => {
        Storage::Text {
            raw: || Box::new($t::$raw.nullable()),
            key: || Box::new($t::$key.nullable()),
            fold: true,
        }
    };
}

/// [`Storage::Text`] of a case-exact attribute: the column `$c` of table `$t`, compared as stored.
macro_rules! exact {
    ($t:ident, $c:ident) => {
        Storage::Text {
            raw: || Box::new($t::$c.nullable()),
            key: || Box::new($t::$c.nullable()),
            fold: false,
        }
    };
}

impl<T: diesel::Table + 'static> Storage<T>
where
    not<Cond<T>>: BoxableExpression<T, MultiBackend, SqlType = Bool>,
{
    /// `pr`.
    fn present(&self) -> Cond<T> {
        match self {
            Storage::Id(_) | Storage::Bool(_) | Storage::Time(_) | Storage::Constant(_) => always(),
            Storage::Text { raw: c, .. } | Storage::Nonempty(c) => text_present!(c()),
            Storage::Derived { with: Some(c), .. } => text_present!(c()),
            Storage::Derived { with: None, .. } => always(),
            Storage::NoValue(present) => present(),
        }
    }

    /// `op v` (`op` is not `ne`, `v` is not `null`: see [`compare`]).
    fn compare(&self, op: CompareOp, v: &CompValue) -> Result<Cond<T>, StoreError> {
        Ok(match self {
            Storage::Id(c) => text_cmp!(c(), op, text(v, false)),
            Storage::Text { key, fold, .. } => text_cmp!(key(), op, text(v, *fold)),
            Storage::Nonempty(c) => {
                Box::new(text_present!(c()).and(text_cmp!(c(), op, text(v, false))))
            }
            Storage::Bool(c) => bool_cmp!(c(), op, v),
            Storage::Time(c) => time_cmp!(c(), op, v),
            Storage::Constant(s) => match v {
                CompValue::String(v) => constant(compare_strings(s, v, op)),
                _ => never(),
            },
            Storage::Derived { name, .. } => return Err(unsupported(name)),
            Storage::NoValue(_) => never(),
        })
    }

    /// A presence test or comparison, with [`compare`]'s rules.
    fn test<V>(&self, node: &FilterExpr<V>) -> Result<Cond<T>, StoreError> {
        match node {
            FilterExpr::Compare { op, value, .. } => compare(
                *op,
                value,
                || Ok(self.present()),
                |op, v| self.compare(op, v),
            ),
            _ => Ok(self.present()),
        }
    }

    /// The `sortBy` key, when it sorts.
    fn sort(&self) -> Option<SortKey<T>> {
        Some(match self {
            Storage::Id(c) | Storage::Text { key: c, .. } | Storage::Nonempty(c) => {
                SortKey::Text(c())
            }
            Storage::Bool(c) => SortKey::Bool(c()),
            Storage::Time(c) => SortKey::Time(c()),
            Storage::Constant(_) | Storage::Derived { .. } | Storage::NoValue(_) => return None,
        })
    }
}

/// Where a User attribute is stored.
enum UserStorage {
    /// In `users`.
    Users(Storage<users::table>),
    /// In the user's `user_emails` rows ([`email_storage`]); `None` is the whole email.
    Emails(Option<EmailSub>),
    /// In the user's `user_addresses` rows ([`address_storage`]); `None` is the whole address.
    Addresses(Option<AddressSub>),
    /// The user's memberships (`group_members` rows).
    Groups(Option<UserGroupSub>),
    /// The one role's `primary`, as sent (`users.role_primary`, with `users.role`).
    RolePrimary,
    /// In the attribute document ([`crate::filter_doc`]).
    Doc(DocAttr),
}

/// Where each User attribute is stored.
fn user_storage(a: UserAttr) -> UserStorage {
    UserStorage::Users(match a {
        UserAttr::Id => Storage::Id(|| Box::new(users::id.nullable())),
        UserAttr::ExternalId => exact!(users, external_id),
        UserAttr::UserName => folded!(users, user_name, user_name_norm),
        UserAttr::DisplayName => folded!(users, display_name, display_name_norm),
        UserAttr::Title => folded!(users, title, title_norm),
        UserAttr::PreferredLanguage => folded!(users, preferred_language, preferred_language_norm),
        UserAttr::Department => folded!(users, department, department_norm),
        UserAttr::Name(None) => Storage::NoValue(|| {
            Box::new(
                text_present!(users::name_formatted)
                    .or(text_present!(users::given_name))
                    .or(text_present!(users::family_name))
                    .or(name_document(ElementCond::Exists)),
            )
        }),
        UserAttr::Name(Some(NameSub::Formatted)) => {
            folded!(users, name_formatted, name_formatted_norm)
        }
        UserAttr::Name(Some(NameSub::GivenName)) => folded!(users, given_name, given_name_norm),
        UserAttr::Name(Some(NameSub::FamilyName)) => folded!(users, family_name, family_name_norm),
        UserAttr::Manager(None | Some(ManagerSub::Value)) => {
            Storage::Nonempty(|| Box::new(users::manager_id))
        }
        // `$ref` is derived from `value` (and the resource's URL) whenever there is a manager.
        UserAttr::Manager(Some(ManagerSub::Ref)) => Storage::Derived {
            name: "manager.$ref",
            with: Some(|| Box::new(users::manager_id)),
        },
        UserAttr::Roles(None | Some(RoleSub::Value)) => Storage::Nonempty(|| Box::new(users::role)),
        UserAttr::Roles(Some(RoleSub::Primary)) => return UserStorage::RolePrimary,
        UserAttr::Active => Storage::Bool(|| Box::new(users::active)),
        UserAttr::Meta(m) => meta_storage(
            m,
            "User",
            || Box::new(users::created),
            || Box::new(users::last_modified),
        ),
        UserAttr::Emails(s) => return UserStorage::Emails(s),
        UserAttr::Addresses(s) => return UserStorage::Addresses(s),
        UserAttr::Groups(s) => return UserStorage::Groups(s),
        UserAttr::Doc(d) => return UserStorage::Doc(d),
    })
}

/// Where `meta` is stored in a resource table whose `created` and `lastModified` are the columns given.
fn meta_storage<T>(
    m: MetaAttr,
    resource_type: &'static str,
    created: fn() -> Expr<T, BigInt>,
    last_modified: fn() -> Expr<T, BigInt>,
) -> Storage<T> {
    match m {
        MetaAttr::Whole => Storage::NoValue(always),
        MetaAttr::ResourceType => Storage::Constant(resource_type),
        MetaAttr::Created => Storage::Time(created),
        MetaAttr::LastModified => Storage::Time(last_modified),
        MetaAttr::Version => Storage::Derived {
            name: "meta.version",
            with: None,
        },
        MetaAttr::Location => Storage::Derived {
            name: "meta.location",
            with: None,
        },
    }
}

/// Where a sub-attribute of an element (a row of the child table `T`) is stored, and the name of the column
/// `sortBy` reads (of the user's primary, else first, element) when it sorts.
struct ElementStorage<T> {
    column: Storage<T>,
    sort: Option<&'static str>,
}

/// [`ElementStorage`] of a case-insensitive text: [`folded!`], sorted by the normalised column.
macro_rules! folded_element {
    ($t:ident, $raw:ident, $key:ident) => {
        ElementStorage {
            column: folded!($t, $raw, $key),
            sort: Some(stringify!($key)),
        }
    };
}

/// Where each email sub-attribute is stored (in `user_emails`).
fn email_storage(sub: EmailSub) -> ElementStorage<user_emails::table> {
    match sub {
        EmailSub::Value => folded_element!(user_emails, value, value_norm),
        EmailSub::Type => folded_element!(user_emails, kind, kind_norm),
        EmailSub::Primary => ElementStorage {
            column: Storage::Bool(|| Box::new(user_emails::is_primary)),
            sort: None,
        },
    }
}

/// Where each address sub-attribute is stored (in `user_addresses`).
fn address_storage(sub: AddressSub) -> ElementStorage<user_addresses::table> {
    match sub {
        AddressSub::Type => folded_element!(user_addresses, kind, kind_norm),
        AddressSub::Locality => folded_element!(user_addresses, locality, locality_norm),
        AddressSub::Region => folded_element!(user_addresses, region, region_norm),
        AddressSub::Country => folded_element!(user_addresses, country, country_norm),
        AddressSub::Formatted => folded_element!(user_addresses, formatted, formatted_norm),
        AddressSub::StreetAddress => {
            folded_element!(user_addresses, street_address, street_address_norm)
        }
        AddressSub::PostalCode => folded_element!(user_addresses, postal_code, postal_code_norm),
        AddressSub::Primary => ElementStorage {
            column: Storage::Bool(|| Box::new(user_addresses::is_primary)),
            sort: None,
        },
    }
}

/// Where a Group attribute is stored.
enum GroupStorage {
    /// In `groups`.
    Groups(Storage<groups::table>),
    /// In the group's `group_members` rows; `None` is the whole member.
    Members(Option<MemberSub>),
}

/// Where each Group attribute is stored.
fn group_storage(a: GroupAttr) -> GroupStorage {
    GroupStorage::Groups(match a {
        GroupAttr::Id => Storage::Id(|| Box::new(groups::id.nullable())),
        GroupAttr::ExternalId => exact!(groups, external_id),
        GroupAttr::DisplayName => folded!(groups, display_name, display_name_norm),
        GroupAttr::Meta(m) => meta_storage(
            m,
            "Group",
            || Box::new(groups::created),
            || Box::new(groups::last_modified),
        ),
        GroupAttr::Members(s) => return GroupStorage::Members(s),
    })
}

// ---- the attribute document (filter_doc) ----

/// A condition on `name`'s parts kept in the document (`middleName`, ...).
fn name_document(cond: ElementCond) -> Cond<users::table> {
    match USER_RESOURCE.schema.attribute("name") {
        Some(attr) => Box::new(DocCond::new(
            &DocAttr {
                container: None,
                attr,
                sub: None,
            },
            cond,
        )),
        None => never(),
    }
}

/// `pr` on a document attribute: a multi-valued one has an element (with the named sub-attribute present).
fn doc_present(d: &DocAttr) -> Cond<users::table> {
    let cond = match (d.attr.multi_valued, d.sub) {
        (true, None) => ElementCond::Exists,
        (_, sub) => ElementCond::Test {
            sub: sub.map(|s| s.name),
            test: ValueTest::Present,
        },
    };
    Box::new(DocCond::new(d, cond))
}

/// What a comparison on `d` compares, relative to the element (or the single value): the sub-attribute's key
/// and definition; a complex attribute without a sub-attribute compares its `value` (`None` when it has none).
fn doc_leaf(d: &DocAttr) -> Option<(Option<&'static str>, &'static AttributeDef)> {
    match (d.sub, d.attr.ty) {
        (Some(s), _) => Some((Some(s.name), s)),
        (None, AttrType::Complex) => d.attr.sub_attribute("value").map(|v| (Some(v.name), v)),
        (None, _) => Some((None, d.attr)),
    }
}

/// `sub op v` on one element (`op` not `ne`, `v` not null: see [`compare`]'s rules), by the leaf's type.
fn doc_test(
    sub: Option<&'static str>,
    leaf: &AttributeDef,
    op: CompareOp,
    v: &CompValue,
) -> ElementCond {
    let nothing = ElementCond::Not(Box::new(ElementCond::Exists));
    let test = match leaf.ty {
        AttrType::String | AttrType::Reference | AttrType::Binary => {
            match text(v, !leaf.case_exact) {
                Some(t) => ValueTest::Text(
                    op,
                    match op {
                        CompareOp::Co => format!("%{}%", like_escape(&t)),
                        CompareOp::Sw => format!("{}%", like_escape(&t)),
                        CompareOp::Ew => format!("%{}", like_escape(&t)),
                        _ => t,
                    },
                ),
                None => return nothing,
            }
        }
        AttrType::Boolean => match (op, boolean(v)) {
            (CompareOp::Eq, Some(b)) => ValueTest::Bool(b),
            _ => return nothing,
        },
        // No document attribute has these types yet; a comparison on one matches nothing.
        AttrType::DateTime | AttrType::Integer | AttrType::Decimal | AttrType::Complex => {
            return nothing
        }
    };
    ElementCond::Test { sub, test }
}

/// A filter inside `outer[...]` on the document attribute `d`, as a condition on one element, with the rules
/// of [`compare`] (`eq null` is `not pr`, `ne` is `not eq`).
fn doc_element(
    f: &ValueFilter,
    depth: usize,
    outer: &AttrPath,
    d: &DocAttr,
) -> Result<ElementCond, StoreError> {
    if depth > MAX_DEPTH {
        return Err(invalid("filter is nested too deeply"));
    }
    let inner = |p: &AttrPath| -> Result<&'static AttributeDef, StoreError> {
        match UserAttr::within(UserAttr::Doc(*d), p) {
            Some(UserAttr::Doc(DocAttr { sub: Some(s), .. })) => Ok(s),
            _ => Err(invalid(format!(
                "\"{}\" is not a sub-attribute of \"{}\"",
                display(p),
                display(outer)
            ))),
        }
    };
    let present = |s: &'static AttributeDef| ElementCond::Test {
        sub: Some(s.name),
        test: ValueTest::Present,
    };
    let not = |c: ElementCond| ElementCond::Not(Box::new(c));
    Ok(match f {
        ValueFilter::And(a, b) => ElementCond::And(
            Box::new(doc_element(a, depth + 1, outer, d)?),
            Box::new(doc_element(b, depth + 1, outer, d)?),
        ),
        ValueFilter::Or(a, b) => ElementCond::Or(
            Box::new(doc_element(a, depth + 1, outer, d)?),
            Box::new(doc_element(b, depth + 1, outer, d)?),
        ),
        ValueFilter::Not(a) => not(doc_element(a, depth + 1, outer, d)?),
        ValueFilter::Present(p) => present(inner(p)?),
        ValueFilter::Compare { path, op, value } => {
            let s = inner(path)?;
            match (op, value) {
                (CompareOp::Eq, CompValue::Null) => not(present(s)),
                (CompareOp::Ne, CompValue::Null) => present(s),
                (_, CompValue::Null) => not(ElementCond::Exists),
                (CompareOp::Ne, v) => not(doc_test(Some(s.name), s, CompareOp::Eq, v)),
                (op, v) => doc_test(Some(s.name), s, *op, v),
            }
        }
        ValueFilter::ValuePath(never) => match *never {},
    })
}

/// A presence test or comparison on the email sub-attribute `sub`.
fn email_leaf(sub: EmailSub, node: &ValueFilter) -> Result<Cond<user_emails::table>, StoreError> {
    email_storage(sub).column.test(node)
}

/// A presence test or comparison on the address sub-attribute `sub`.
fn address_leaf(
    sub: AddressSub,
    node: &ValueFilter,
) -> Result<Cond<user_addresses::table>, StoreError> {
    address_storage(sub).column.test(node)
}

// ---- groups ----

/// Compiles a filter on Groups.
pub fn group_filter(f: &Filter) -> Result<Cond<groups::table>, StoreError> {
    logic(f, 0, &group_leaf)
}

fn group_leaf(f: &Filter, depth: usize) -> Result<Cond<groups::table>, StoreError> {
    match f {
        Filter::Present(path) => group_present(group_attr(path)?),
        Filter::Compare { path, op, value } => {
            let a = group_attr(path)?;
            compare(
                *op,
                value,
                || group_present(a),
                |op, v| group_compare(a, op, v),
            )
        }
        Filter::ValuePath(ValuePath { attr, filter }) => match group_attr(attr)? {
            a @ GroupAttr::Members(None) => {
                let sub = |p: &AttrPath| match GroupAttr::within(a, p)? {
                    GroupAttr::Members(Some(s)) => Some(s),
                    _ => None,
                };
                Ok(any_member(element(
                    filter,
                    depth + 1,
                    attr,
                    &sub,
                    &member_leaf,
                )?))
            }
            GroupAttr::Id
            | GroupAttr::ExternalId
            | GroupAttr::Meta(_)
            | GroupAttr::DisplayName
            | GroupAttr::Members(Some(_)) => Err(invalid(format!(
                "\"{}\" cannot take a value filter",
                display(attr)
            ))),
        },
        _ => Err(invalid("unsupported filter")),
    }
}

fn group_present(a: GroupAttr) -> Result<Cond<groups::table>, StoreError> {
    Ok(match group_storage(a) {
        GroupStorage::Groups(s) => s.present(),
        GroupStorage::Members(None | Some(MemberSub::Value | MemberSub::Type)) => {
            any_member(always())
        }
        GroupStorage::Members(Some(s)) => any_member(member_present(s)?),
    })
}

fn group_compare(
    a: GroupAttr,
    op: CompareOp,
    v: &CompValue,
) -> Result<Cond<groups::table>, StoreError> {
    Ok(match group_storage(a) {
        GroupStorage::Groups(s) => s.compare(op, v)?,
        GroupStorage::Members(s) => {
            any_member(member_compare(s.unwrap_or(MemberSub::Value), op, v)?)
        }
    })
}

/// `pr` on the member sub-attribute `sub` (of one `group_members` row).
fn member_present(sub: MemberSub) -> Result<Cond<group_members::table>, StoreError> {
    Ok(match sub {
        MemberSub::Value | MemberSub::Type => always(),
        MemberSub::Display => Box::new(in_subquery(
            group_members::user_id,
            users::table
                .filter(text_present!(users::display_name))
                .select(users::id)
                .into_boxed(),
        )),
        MemberSub::Ref => return Err(unsupported("members.$ref")),
    })
}

/// A presence test or comparison on the member sub-attribute `sub`.
fn member_leaf(
    sub: MemberSub,
    node: &ValueFilter,
) -> Result<Cond<group_members::table>, StoreError> {
    match node {
        ValueFilter::Compare { op, value, .. } => compare(
            *op,
            value,
            || member_present(sub),
            |op, v| member_compare(sub, op, v),
        ),
        _ => member_present(sub),
    }
}

fn member_compare(
    sub: MemberSub,
    op: CompareOp,
    v: &CompValue,
) -> Result<Cond<group_members::table>, StoreError> {
    Ok(match sub {
        MemberSub::Value => text_cmp!(group_members::user_id.nullable(), op, text(v, false)),
        MemberSub::Type => match text(v, true) {
            Some(s) => constant(compare_strings("user", &s, op)),
            None => never(),
        },
        MemberSub::Display => Box::new(in_subquery(
            group_members::user_id,
            users::table
                .filter(text_cmp!(users::display_name_norm, op, text(v, true)))
                .select(users::id)
                .into_boxed(),
        )),
        MemberSub::Ref => return Err(unsupported("members.$ref")),
    })
}

// ---- a User's read-only `groups`: its memberships (`group_members` rows) ----

/// Some membership of the user matches `cond`.
fn any_group(cond: Cond<group_members::table>) -> Cond<users::table> {
    Box::new(in_subquery(
        users::id,
        group_members::table
            .filter(cond)
            .select(group_members::user_id)
            .into_boxed(),
    ))
}

/// `pr` on the sub-attribute `sub` of one of a user's groups: every membership has each of them (`value`, its
/// `$ref`, `type` "direct", and `display`: a group's displayName is never empty).
fn user_group_present(_sub: UserGroupSub) -> Cond<group_members::table> {
    always()
}

/// A presence test or comparison on the sub-attribute `sub` of one of a user's groups.
fn user_group_leaf(
    sub: UserGroupSub,
    node: &ValueFilter,
) -> Result<Cond<group_members::table>, StoreError> {
    match node {
        ValueFilter::Compare { op, value, .. } => compare(
            *op,
            value,
            || Ok(user_group_present(sub)),
            |op, v| user_group_compare(sub, op, v),
        ),
        _ => Ok(user_group_present(sub)),
    }
}

/// `sub op v` on one of a user's groups: `value` is the group's id (case-exact), `display` its displayName
/// (case-insensitive), `type` always "direct".
fn user_group_compare(
    sub: UserGroupSub,
    op: CompareOp,
    v: &CompValue,
) -> Result<Cond<group_members::table>, StoreError> {
    Ok(match sub {
        UserGroupSub::Value => {
            text_cmp!(group_members::group_id.nullable(), op, text(v, false))
        }
        UserGroupSub::Display => Box::new(in_subquery(
            group_members::group_id,
            groups::table
                .filter(text_cmp!(
                    groups::display_name_norm.nullable(),
                    op,
                    text(v, true)
                ))
                .select(groups::id)
                .into_boxed(),
        )),
        UserGroupSub::Type => match text(v, true) {
            Some(s) => constant(compare_strings("direct", &s, op)),
            None => never(),
        },
        // Derived from the URL the API serves.
        UserGroupSub::Ref => return Err(unsupported("groups.$ref")),
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
    let key = match user_storage(user_attr(path)?) {
        UserStorage::Users(s) => s.sort(),
        UserStorage::Emails(s) => email_storage(s.unwrap_or(EmailSub::Value))
            .sort
            .map(|column| first_element("user_emails", column)),
        UserStorage::Addresses(s) => address_storage(s.unwrap_or(AddressSub::Type))
            .sort
            .map(|column| first_element("user_addresses", column)),
        UserStorage::Doc(d) => DocSort::new(&d).map(|key| SortKey::Text(Box::new(key))),
        UserStorage::Groups(_) | UserStorage::RolePrimary => None,
    };
    key.ok_or_else(|| invalid(format!("cannot sort by \"{}\"", display(path))))
}

/// The sort key of a Group attribute.
pub fn group_sort(path: &AttrPath) -> Result<SortKey<groups::table>, StoreError> {
    let key = match group_storage(group_attr(path)?) {
        GroupStorage::Groups(s) => s.sort(),
        GroupStorage::Members(_) => None,
    };
    key.ok_or_else(|| invalid(format!("cannot sort by \"{}\"", display(path))))
}

/// An expression of `T` of SQL type `ST`.
pub type Expr<T, ST> = Box<dyn BoxableExpression<T, MultiBackend, SqlType = ST>>;

/// The columns of a list's order on `T`: the `sortBy` key (when sorted), then `created`, then `id`.
pub struct OrderCols<'a, T> {
    /// The table's SQL name (static: no user input).
    pub table: &'static str,
    pub sort: Option<&'a dyn Fn() -> Result<SortKey<T>, StoreError>>,
    pub created: &'a dyn Fn() -> Expr<T, diesel::sql_types::BigInt>,
    pub id: &'a dyn Fn() -> Expr<T, Text>,
}

/// A cursor's keyset as a condition: the rows strictly after `k` in the list's order (`forward`), or strictly
/// before it. The order is that of the list functions: the sort key (nulls last in either direction), then
/// `created` and `id` ascending. Without a sort key the condition is the row value `(created, id) > (c, i)`,
/// which both databases read as a range of the `(org, created, id)` index: the index is entered at the cursor
/// rather than scanned from its start (even when many rows share one `created`, as a bulk load's do).
pub fn keyset<T: diesel::Table + 'static>(
    cols: &OrderCols<'_, T>,
    k: &Keyset,
    descending: bool,
    forward: bool,
) -> Result<Cond<T>, StoreError> {
    let (c, i) = (k.created, k.id.clone());
    let created = cols.created;
    let id = cols.id;
    let tie: Cond<T> = if forward {
        Box::new(created().gt(c).or(created().eq(c).and(id().gt(i.clone()))))
    } else {
        Box::new(created().lt(c).or(created().eq(c).and(id().lt(i.clone()))))
    };
    let misfit = || invalid("cursor does not fit this list's sortBy");
    let Some(sort) = cols.sort else {
        if k.sort.is_some() {
            return Err(misfit());
        }
        let op = if forward { ">" } else { "<" };
        let t = cols.table;
        return Ok(Box::new(
            sql::<Bool>(&format!("(\"{t}\".\"created\", \"{t}\".\"id\") {op} ("))
                .bind::<diesel::sql_types::BigInt, _>(c)
                .sql(", ")
                .bind::<Text, _>(k.id.clone())
                .sql(")"),
        ));
    };
    // The key's direction in reading order.
    let up = forward != descending;
    macro_rules! beyond {
        ($key:expr, $v:expr) => {{
            let v = $v;
            let cond: Cond<T> = if up {
                Box::new($key.gt(v))
            } else {
                Box::new($key.lt(v))
            };
            cond
        }};
    }
    Ok(match (sort()?, k.sort.as_ref()) {
        (SortKey::Text(a), Some(SortValue::Text(v))) => {
            let SortKey::Text(b) = sort()? else {
                return Err(misfit());
            };
            let after: Cond<T> = Box::new(
                beyond!(a.assume_not_null(), v.clone())
                    .or(b.assume_not_null().eq(v.clone()).and(tie)),
            );
            if forward {
                let SortKey::Text(n) = sort()? else {
                    return Err(misfit());
                };
                Box::new(after.or(n.is_null()))
            } else {
                after
            }
        }
        (SortKey::Text(a), Some(SortValue::Null)) => {
            if forward {
                Box::new(a.is_null().and(tie))
            } else {
                let SortKey::Text(b) = sort()? else {
                    return Err(misfit());
                };
                Box::new(a.is_not_null().or(b.is_null().and(tie)))
            }
        }
        (SortKey::Time(a), Some(SortValue::Time(v))) => {
            let SortKey::Time(b) = sort()? else {
                return Err(misfit());
            };
            Box::new(beyond!(a, *v).or(b.eq(*v).and(tie)))
        }
        (SortKey::Bool(a), Some(SortValue::Bool(v))) => {
            let SortKey::Bool(b) = sort()? else {
                return Err(misfit());
            };
            Box::new(beyond!(a, *v).or(b.eq(*v).and(tie)))
        }
        _ => return Err(misfit()),
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
