//! A list's pages, for users and groups alike: the order (`sortBy`, nulls last, then `created`, `id`), index
//! pagination (`startIndex`/`count`, by keyset when [`PageCache`] knows where the page starts, else `OFFSET`)
//! and RFC 9865 cursor pagination. Each resource says how to read its rows ([`Listing`]); the pages' logic is
//! written once, here.

use diesel::expression::expression_types::NotSelectable;
use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use scim_core::cursor::{Keyset, Position, SortValue};
use scim_core::path::AttrPath;

use crate::filter_sql::{keyset, Cond, Expr, OrderCols, SortKey};
use crate::page_cache::{list_key, Mark, PageCache};
use crate::pool::{DbConn, MultiBackend};
use crate::{Query, StoreError};

/// One term of an `ORDER BY` on `T`.
pub type OrderTerm<T> = Box<dyn BoxableExpression<T, MultiBackend, SqlType = NotSelectable>>;

/// A resource whose rows are listed (see `users`, `groups`).
pub trait Listing {
    type Table: diesel::Table + 'static;
    type Row;
    /// The table's SQL name (static), also the cache's resource type.
    const TABLE: &'static str;
    fn sort(path: &AttrPath) -> Result<SortKey<Self::Table>, StoreError>;
    fn created() -> Expr<Self::Table, BigInt>;
    fn id() -> Expr<Self::Table, Text>;
    /// The rows of `org` matching `q.filter` and `after`, in `order`, skipping `offset`, at most `limit`.
    fn rows(
        conn: &mut DbConn,
        org: &str,
        q: &Query,
        after: Option<Cond<Self::Table>>,
        order: Vec<OrderTerm<Self::Table>>,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<Self::Row>, StoreError>;
    /// How many rows of `org` match `q.filter`.
    fn count(conn: &mut DbConn, org: &str, q: &Query) -> Result<u64, StoreError>;
    /// The value of the `sortBy` key `path` of row `id` (a row of this snapshot).
    fn sort_value(conn: &mut DbConn, path: &AttrPath, id: &str) -> Result<SortValue, StoreError>;
    /// A row's `created` and `id`.
    fn key_parts(row: &Self::Row) -> (i64, &str);
}

/// Implements [`Listing`] for `$name`, whose rows are `$row` in table `$table` (a `crate::schema` module with
/// `id` and `created` columns), filtered by `$filtered(org, q)` and sorted by `$sort`: users and groups differ
/// only in these names.
macro_rules! impl_listing {
    ($name:ident, $table:ident, $row:ty, $filtered:path, $sort:path) => {
        struct $name;

        impl $crate::listing::Listing for $name {
            type Table = $crate::schema::$table::table;
            type Row = $row;
            const TABLE: &'static str = stringify!($table);

            fn sort(
                path: &::scim_core::path::AttrPath,
            ) -> Result<$crate::filter_sql::SortKey<Self::Table>, $crate::StoreError> {
                $sort(path)
            }

            fn created() -> $crate::filter_sql::Expr<Self::Table, ::diesel::sql_types::BigInt> {
                Box::new($crate::schema::$table::created)
            }

            fn id() -> $crate::filter_sql::Expr<Self::Table, ::diesel::sql_types::Text> {
                Box::new($crate::schema::$table::id)
            }

            fn rows(
                conn: &mut $crate::pool::DbConn,
                org: &str,
                q: &$crate::Query,
                after: Option<$crate::filter_sql::Cond<Self::Table>>,
                order: Vec<$crate::listing::OrderTerm<Self::Table>>,
                offset: i64,
                limit: i64,
            ) -> Result<Vec<$row>, $crate::StoreError> {
                use ::diesel::prelude::*;
                let mut query = $filtered(org, q)?;
                if let Some(after) = after {
                    query = query.filter(after);
                }
                for term in order {
                    query = query.then_order_by(term);
                }
                if offset > 0 {
                    query = query.offset(offset);
                }
                Ok(query.limit(limit).select(<$row>::as_select()).load(conn)?)
            }

            fn count(
                conn: &mut $crate::pool::DbConn,
                org: &str,
                q: &$crate::Query,
            ) -> Result<u64, $crate::StoreError> {
                use ::diesel::prelude::*;
                let n: i64 = $filtered(org, q)?
                    .select(::diesel::dsl::count_star())
                    .get_result(conn)?;
                Ok(n as u64)
            }

            fn sort_value(
                conn: &mut $crate::pool::DbConn,
                path: &::scim_core::path::AttrPath,
                id: &str,
            ) -> Result<::scim_core::cursor::SortValue, $crate::StoreError> {
                use ::diesel::prelude::*;
                use ::scim_core::cursor::SortValue;
                use $crate::filter_sql::SortKey;
                let row = || {
                    $crate::schema::$table::table
                        .filter($crate::schema::$table::id.eq(id.to_string()))
                        .into_boxed()
                };
                Ok(match $sort(path)? {
                    SortKey::Text(e) => row()
                        .select(e)
                        .first::<Option<String>>(conn)?
                        .map_or(SortValue::Null, SortValue::Text),
                    SortKey::Time(e) => SortValue::Time(row().select(e).first(conn)?),
                    SortKey::Bool(e) => SortValue::Bool(row().select(e).first(conn)?),
                })
            }

            fn key_parts(row: &$row) -> (i64, &str) {
                (row.created, &row.id)
            }
        }
    };
}
pub(crate) use impl_listing;

/// A page of rows, before they become resources.
pub struct RowPage<R> {
    pub rows: Vec<R>,
    pub total: u64,
    pub next: Option<Position>,
    pub previous: Option<Position>,
}

/// The list's order: the `sortBy` key (nulls last in either direction), then `created`, then `id`;
/// `reverse`: the exact opposite (a backward cursor page reads it, then turns its rows around).
pub fn order<L: Listing>(q: &Query, reverse: bool) -> Result<Vec<OrderTerm<L::Table>>, StoreError> {
    let mut terms: Vec<OrderTerm<L::Table>> = Vec::new();
    if let Some(path) = &q.sort_by {
        let down = q.descending != reverse;
        match L::sort(path)? {
            SortKey::Text(a) => {
                let SortKey::Text(b) = L::sort(path)? else {
                    return Err(StoreError::InvalidFilter("unstable sort key".into()));
                };
                terms.push(if reverse {
                    Box::new(a.is_null().desc())
                } else {
                    Box::new(a.is_null().asc())
                });
                terms.push(if down {
                    Box::new(b.desc())
                } else {
                    Box::new(b.asc())
                });
            }
            SortKey::Time(a) if down => terms.push(Box::new(a.desc())),
            SortKey::Time(a) => terms.push(Box::new(a.asc())),
            SortKey::Bool(a) if down => terms.push(Box::new(a.desc())),
            SortKey::Bool(a) => terms.push(Box::new(a.asc())),
        }
    }
    if reverse {
        terms.push(Box::new(L::created().desc()));
        terms.push(Box::new(L::id().desc()));
    } else {
        terms.push(Box::new(L::created().asc()));
        terms.push(Box::new(L::id().asc()));
    }
    Ok(terms)
}

/// The rows strictly after (`forward`) or before `k` in the list's order, as a condition.
fn beyond<L: Listing>(q: &Query, k: &Keyset, forward: bool) -> Result<Cond<L::Table>, StoreError> {
    let path = q.sort_by.clone();
    let sort_fn = path.map(|p| move || L::sort(&p));
    let cols = OrderCols {
        table: L::TABLE,
        sort: sort_fn
            .as_ref()
            .map(|f| f as &dyn Fn() -> Result<SortKey<L::Table>, StoreError>),
        created: &L::created,
        id: &L::id,
    };
    keyset(&cols, k, q.descending, forward)
}

/// Row `row`'s place in the list's order.
fn keyset_of<L: Listing>(conn: &mut DbConn, q: &Query, row: &L::Row) -> Result<Keyset, StoreError> {
    let (created, id) = L::key_parts(row);
    Ok(Keyset {
        sort: q
            .sort_by
            .as_ref()
            .map(|p| L::sort_value(conn, p, id))
            .transpose()?,
        created,
        id: id.to_string(),
    })
}

/// A page of index pagination: `q.limit` rows from position `q.offset`. When `cache` knows the row just before
/// that position (the last row of the page that ended there), the rows after it by keyset, and the walk's total;
/// else `OFFSET` and a COUNT (none when a first page is not full: it holds every match). A full page leaves the
/// position after it in `cache`. See [`crate::page_cache`] for what a cached page is when the directory changes.
pub fn index_page<L: Listing>(
    conn: &mut DbConn,
    cache: &PageCache,
    org: &str,
    q: &Query,
) -> Result<RowPage<L::Row>, StoreError> {
    let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
    let offset = i64::try_from(q.offset).unwrap_or(i64::MAX);
    let list = list_key(L::TABLE, q);
    let mark = match &list {
        Some(list) if offset > 0 && limit > 0 => cache.get(org, list, q.offset),
        _ => None,
    };
    let rows = if limit == 0 {
        Vec::new()
    } else if let Some(m) = &mark {
        let after = beyond::<L>(q, &m.before, true)?;
        L::rows(conn, org, q, Some(after), order::<L>(q, false)?, 0, limit)?
    } else {
        L::rows(conn, org, q, None, order::<L>(q, false)?, offset, limit)?
    };
    let seen = q.offset.saturating_add(rows.len() as u64);
    let total = match &mark {
        Some(m) => m.total.max(seen),
        None if offset == 0 && (rows.len() as i64) < limit => rows.len() as u64,
        None => L::count(conn, org, q)?,
    };
    if let (Some(list), Some(last)) = (&list, rows.last()) {
        if rows.len() as i64 == limit {
            let before = keyset_of::<L>(conn, q, last)?;
            cache.put(org, list, seen, Mark { before, total });
        }
    }
    Ok(RowPage {
        rows,
        total,
        next: None,
        previous: None,
    })
}

/// A page of cursor pagination (RFC 9865): keyset from the cursor's position, one row more than the page to
/// know whether more follow; no COUNT (the page's `total` is its length).
pub fn cursor_page<L: Listing>(
    conn: &mut DbConn,
    org: &str,
    q: &Query,
    position: &Position,
) -> Result<RowPage<L::Row>, StoreError> {
    let limit = i64::try_from(q.limit).unwrap_or(i64::MAX - 1);
    let (forward, boundary) = match position {
        Position::First => (true, None),
        Position::After(k) => (true, Some(k)),
        Position::Before(k) => (false, Some(k)),
    };
    let after = boundary.map(|k| beyond::<L>(q, k, forward)).transpose()?;
    let mut rows = if limit > 0 {
        L::rows(conn, org, q, after, order::<L>(q, !forward)?, 0, limit + 1)?
    } else {
        Vec::new()
    };
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    if !forward {
        rows.reverse();
    }
    let first = rows
        .first()
        .map(|r| keyset_of::<L>(conn, q, r))
        .transpose()?;
    let last = rows
        .last()
        .map(|r| keyset_of::<L>(conn, q, r))
        .transpose()?;
    let (next, previous) = if forward {
        let previous = match (boundary, first) {
            (None, _) => None,
            (Some(_), Some(first)) => Some(Position::Before(first)),
            (Some(k), None) => Some(Position::Before(k.clone())),
        };
        (last.filter(|_| more).map(Position::After), previous)
    } else {
        // An empty page before the cursor: nothing precedes it, the list starts again at its first page.
        let next = last.map(Position::After).or(Some(Position::First));
        (next, first.filter(|_| more).map(Position::Before))
    };
    Ok(RowPage {
        total: rows.len() as u64,
        rows,
        next,
        previous,
    })
}
