//! A User's read-only `groups` (RFC 7643 §4.1.2): the groups it is a direct member of, read from `group_members`
//! with the user, never a second round trip per user. A look-up by key reads them in the user's own statement
//! ([`UserGroupsJson`], a correlated subquery); a page of users reads them in one statement for the page
//! ([`of_users`]). Both give the groups in the same order: by displayName (folded), then id, sorted here rather
//! than in SQL (an ordered aggregate makes SQLite build a sorter for every look-up, groups or not).

use std::collections::HashMap;

use diesel::expression::{
    is_aggregate, AppearsOnTable, Expression, SelectableExpression, ValidGrouping,
};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Nullable, Text};
use diesel::sqlite::Sqlite;
use scim_core::resource::UserGroup;

use crate::pool::DbConn;
use crate::schema::{group_members, groups, users};
use crate::{Cause, StoreError};

/// The groups of the row's user (`users.id`) as JSON text, `[[id, displayName, folded displayName], ...]` in no
/// order ([`parse`] sorts them); `NULL` when it has none. A fixed fragment with a static query id, so a
/// statement selecting it stays in diesel's cache by type (the look-up's hot path).
#[derive(Debug, Clone, Copy, QueryId)]
pub struct UserGroupsJson;

impl Expression for UserGroupsJson {
    type SqlType = Nullable<Text>;
}

impl<QS> AppearsOnTable<QS> for UserGroupsJson where users::id: AppearsOnTable<QS> {}

impl<QS> SelectableExpression<QS> for UserGroupsJson where users::id: AppearsOnTable<QS> {}

impl ValidGrouping<()> for UserGroupsJson {
    type IsAggregate = is_aggregate::No;
}

impl QueryFragment<Sqlite> for UserGroupsJson {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        // The EXISTS probe first: for a user in no group (most look-ups) SQLite then skips the aggregate's
        // set-up (a join's cursors and a JSON accumulator per row), and `NULL` needs no parsing.
        out.push_sql(
            "(CASE WHEN EXISTS (SELECT 1 FROM group_members hx WHERE hx.user_id = \"users\".\"id\") THEN \
             (SELECT json_group_array(json_array(hg.id, hg.display_name, hg.display_name_norm)) \
             FROM group_members hm JOIN \"groups\" hg ON hg.id = hm.group_id \
             WHERE hm.user_id = \"users\".\"id\") END)",
        );
        Ok(())
    }
}

impl QueryFragment<Pg> for UserGroupsJson {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "(SELECT json_agg(json_build_array(hg.id, hg.display_name, hg.display_name_norm))::text \
             FROM group_members hm JOIN \"groups\" hg ON hg.id = hm.group_id \
             WHERE hm.user_id = \"users\".\"id\")",
        );
        Ok(())
    }
}

/// The groups [`UserGroupsJson`] read, in the groups' order; text that is not its JSON is a
/// [`StoreError::Database`].
pub fn parse(json: Option<&str>) -> Result<Vec<UserGroup>, StoreError> {
    let Some(json) = json else {
        return Ok(Vec::new());
    };
    let rows: Vec<(String, String, String)> = serde_json::from_str(json).map_err(|e| {
        StoreError::Database(Cause::context("a user's groups did not read back", e))
    })?;
    Ok(in_order(rows))
}

/// `(id, displayName, folded displayName)` rows as groups, by folded displayName, then id.
fn in_order(mut rows: Vec<(String, String, String)>) -> Vec<UserGroup> {
    rows.sort_unstable_by(|a, b| (&a.2, &a.0).cmp(&(&b.2, &b.0)));
    rows.into_iter()
        .map(|(value, display, _)| UserGroup { value, display })
        .collect()
}

/// The groups of each of the users `ids` (one statement), by user id; a user without groups has no entry.
pub fn of_users(
    conn: &mut DbConn,
    ids: &[&str],
) -> Result<HashMap<String, Vec<UserGroup>>, StoreError> {
    let rows: Vec<(String, String, String, String)> = group_members::table
        .inner_join(groups::table)
        .filter(group_members::user_id.eq_any(ids))
        .select((
            group_members::user_id,
            groups::id,
            groups::display_name,
            groups::display_name_norm,
        ))
        .load(conn)?;
    let mut by_user: HashMap<String, Vec<(String, String, String)>> = HashMap::new();
    for (user, value, display, folded) in rows {
        by_user
            .entry(user)
            .or_default()
            .push((value, display, folded));
    }
    Ok(by_user
        .into_iter()
        .map(|(user, rows)| (user, in_order(rows)))
        .collect())
}
