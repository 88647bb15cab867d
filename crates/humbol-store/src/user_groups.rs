//! A User's read-only `groups` (RFC 7643 §4.1.2): the groups it is a direct member of, read from `group_members`
//! with the user, never a second round trip per user. A look-up by key reads them in the user's own statement
//! ([`UserGroupsJson`], a correlated subquery); a page of users reads them in one statement for the page
//! ([`of_users`]). Both give the groups in the same order: by displayName (folded), then id.

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
use crate::StoreError;

/// The groups of the row's user (`users.id`) as JSON text, `[[id, displayName], ...]` in the groups' order; an
/// empty array (SQLite) or `NULL` (PostgreSQL) when it has none. A fixed fragment with a static query id, so a
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
        out.push_sql(
            "(SELECT json_group_array(json_array(hg.id, hg.display_name) \
             ORDER BY hg.display_name_norm, hg.id) \
             FROM group_members hm JOIN \"groups\" hg ON hg.id = hm.group_id \
             WHERE hm.user_id = \"users\".\"id\")",
        );
        Ok(())
    }
}

impl QueryFragment<Pg> for UserGroupsJson {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "(SELECT json_agg(json_build_array(hg.id, hg.display_name) \
             ORDER BY hg.display_name_norm, hg.id)::text \
             FROM group_members hm JOIN \"groups\" hg ON hg.id = hm.group_id \
             WHERE hm.user_id = \"users\".\"id\")",
        );
        Ok(())
    }
}

/// The groups [`UserGroupsJson`] read; text that is not its JSON is a [`StoreError::Database`].
pub fn parse(json: Option<&str>) -> Result<Vec<UserGroup>, StoreError> {
    let Some(json) = json else {
        return Ok(Vec::new());
    };
    let pairs: Vec<(String, String)> = serde_json::from_str(json)
        .map_err(|e| StoreError::Database(format!("a user's groups did not read back: {e}")))?;
    Ok(pairs
        .into_iter()
        .map(|(value, display)| UserGroup { value, display })
        .collect())
}

/// The groups of each of the users `ids` (one statement), by user id; a user without groups has no entry.
pub fn of_users(
    conn: &mut DbConn,
    ids: &[&str],
) -> Result<HashMap<String, Vec<UserGroup>>, StoreError> {
    let rows: Vec<(String, String, String)> = group_members::table
        .inner_join(groups::table)
        .filter(group_members::user_id.eq_any(ids))
        .order((groups::display_name_norm, groups::id))
        .select((group_members::user_id, groups::id, groups::display_name))
        .load(conn)?;
    let mut out: HashMap<String, Vec<UserGroup>> = HashMap::new();
    for (user, value, display) in rows {
        out.entry(user)
            .or_default()
            .push(UserGroup { value, display });
    }
    Ok(out)
}
