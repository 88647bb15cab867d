//! Groups: a `groups` row plus `group_members` rows (user ids of the same organisation). Member changes from
//! PATCH are applied as row inserts/deletes, never by rewriting the whole member list.

use std::collections::{BTreeSet, HashMap};

use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;
use scim_core::resource::{Group, Member, Meta, Stored};
use scim_core::ScimError;

use crate::events::{change, log};
use crate::filter_sql::{group_filter, group_sort};
use crate::listing;
use crate::models::{new_id, now, with_conflict_value, GroupRow};
use crate::pool::{
    delete_resource, lock_resource_row, locked_name_and_version, read_txn, write_txn, DbConn,
    Deletion, MultiBackend, Pools,
};
use crate::schema::{group_members, groups, users};
use crate::{EventAction, EventResource};
use crate::{MemberChange, Page, Query, Store, StoreError};

impl Store {
    /// A page of `org`'s groups matching `q`, with or without their members.
    pub fn list_groups(
        &self,
        org: &str,
        q: &Query,
        with_members: bool,
    ) -> Result<Page<Group>, StoreError> {
        list_groups(&self.inner, org, q, with_members)
    }

    /// Replaces a group's attributes and member set (PUT); see [`Store::update_group`] for `if_match` and for
    /// what is returned (the group without members).
    pub fn replace_group(
        &self,
        org: &str,
        id: &str,
        g: &Group,
        if_match: Option<i64>,
        actor: &str,
    ) -> Result<Stored<Group>, StoreError> {
        let members = [MemberChange::Replace(
            g.members.iter().map(|m| m.value.clone()).collect(),
        )];
        let mut f = |_: &Stored<Group>| {
            Ok(Group {
                members: Vec::new(),
                ..g.clone()
            })
        };
        self.update_group(org, id, if_match, actor, &members, &mut f)
    }
}

/// How often `update_group` retries after losing a race (without `if_match`).
const RETRIES: usize = 5;

fn conflict(e: StoreError, g: &Group) -> StoreError {
    with_conflict_value(e, |attribute| match attribute {
        "displayName" => Some(g.display_name.clone()),
        "externalId" => g.external_id.clone(),
        _ => None,
    })
}

#[derive(Insertable)]
#[diesel(table_name = group_members)]
struct MemberRow<'a> {
    group_id: &'a str,
    user_id: &'a str,
}

/// Up to this many ids, a member operation runs one statement per id (`id = $1`: a primary-key look-up whatever
/// PostgreSQL knew of the table when it planned the prepared statement); beyond, chunks of [`CHUNK`] with
/// `= ANY($1)`, whose generic plan, if made while the table was small (no statistics yet), may scan it. Entra adds
/// and removes members a few at a time.
const FEW: usize = 16;
const CHUNK: usize = 500;

/// Refuses ids that are not users of `org` (`invalidValue`, naming them). Users are looked up by primary key
/// alone and their organisation compared here (`org = $1` in the statement let PostgreSQL AND in a scan of the
/// organisation's index).
fn check_members(conn: &mut DbConn, org: &str, ids: &BTreeSet<&str>) -> Result<(), StoreError> {
    let mut found: Vec<(String, String)> = Vec::new();
    if ids.len() <= FEW {
        for id in ids {
            let user_org: Option<String> = users::table
                .filter(users::id.eq(*id))
                .select(users::org)
                .get_result(conn)
                .optional()?;
            found.extend(user_org.map(|o| ((*id).to_string(), o)));
        }
    } else {
        let list: Vec<&str> = ids.iter().copied().collect();
        for chunk in list.chunks(CHUNK) {
            found.extend(
                users::table
                    .filter(users::id.eq_any(chunk))
                    .select((users::id, users::org))
                    .load::<(String, String)>(conn)?,
            );
        }
    }
    let known: BTreeSet<&str> = found
        .iter()
        .filter(|(_, user_org)| user_org == org)
        .map(|(id, _)| id.as_str())
        .collect();
    let unknown: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| !known.contains(id))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(StoreError::Rejected(ScimError::invalid_value(
        unknown_members(&unknown),
    )))
}

/// How many unknown member ids a refusal names: its detail (answered, and kept in the event log) stays small
/// however many ids the request had.
pub const NAMED_UNKNOWN: usize = 20;

/// The refusal of member ids that are not users of the organisation: the first [`NAMED_UNKNOWN`] and how many.
fn unknown_members(unknown: &[&str]) -> String {
    let named = unknown.len().min(NAMED_UNKNOWN);
    let mut detail = format!(
        "members must be users of this organisation; unknown: {}",
        unknown[..named].join(", ")
    );
    if unknown.len() > named {
        detail.push_str(&format!(
            " and {} more ({} unknown in all)",
            unknown.len() - named,
            unknown.len()
        ));
    }
    detail
}

/// Deletes the memberships of `ids` in group `group_id` (absent ones are no-ops); returns how many were deleted.
fn delete_members(conn: &mut DbConn, group_id: &str, ids: &[&str]) -> Result<usize, StoreError> {
    let mut deleted = 0;
    if ids.len() <= FEW {
        for user_id in ids {
            deleted += diesel::delete(
                group_members::table
                    .filter(group_members::group_id.eq(group_id))
                    .filter(group_members::user_id.eq(*user_id)),
            )
            .execute(conn)?;
        }
        return Ok(deleted);
    }
    for chunk in ids.chunks(CHUNK) {
        deleted += diesel::delete(
            group_members::table
                .filter(group_members::group_id.eq(group_id))
                .filter(group_members::user_id.eq_any(chunk)),
        )
        .execute(conn)?;
    }
    Ok(deleted)
}

/// Adds `ids` to group `group_id`; ids that are members already are skipped (`INSERT OR IGNORE` / `ON CONFLICT
/// DO NOTHING`: no read of the member list). Returns how many were added.
fn insert_members(
    conn: &mut DbConn,
    group_id: &str,
    ids: &BTreeSet<&str>,
) -> Result<usize, StoreError> {
    let rows: Vec<MemberRow> = ids
        .iter()
        .map(|user_id| MemberRow { group_id, user_id })
        .collect();
    let mut added = 0;
    for chunk in rows.chunks(CHUNK) {
        added += match conn {
            DbConn::Sqlite(c) => diesel::insert_or_ignore_into(group_members::table)
                .values(chunk)
                .execute(c),
            DbConn::Postgres(c) => diesel::insert_into(group_members::table)
                .values(chunk)
                .on_conflict_do_nothing()
                .execute(c),
        }
        .map_err(member_gone)?;
    }
    Ok(added)
}

/// A member row refused by a foreign key: the user (or the group) was deleted by a concurrent request after
/// it was checked. The user's case is the client's to fix (400 `invalidValue`, as for any unknown member); the
/// group's is "not found". Any other error is the database's.
fn member_gone(e: diesel::result::Error) -> StoreError {
    use diesel::result::{DatabaseErrorKind, Error};
    match &e {
        Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
            let what = format!(
                "{} {}",
                info.constraint_name().unwrap_or(""),
                info.details().unwrap_or("")
            );
            if what.contains("group_id") || what.contains("\"groups\"") {
                StoreError::NotFound
            } else {
                StoreError::Rejected(ScimError::invalid_value(
                    "members must be users of this organisation; a member was deleted meanwhile",
                ))
            }
        }
        _ => e.into(),
    }
}

impl Store {
    /// Creates a group (logs `created`). `displayName` (case-insensitively) and `externalId` are unique per
    /// organisation; member ids must be users of this organisation, else `Rejected(invalidValue)`.
    pub fn create_group(
        &self,
        org: &str,
        g: &Group,
        actor: &str,
    ) -> Result<Stored<Group>, StoreError> {
        let p = &*self.inner;
        let mut conn = p.write()?;
        write_txn(&mut conn, |conn| {
            crate::orgs::require(conn, org)?;
            let ids: BTreeSet<&str> = g.members.iter().map(|m| m.value.as_str()).collect();
            check_members(conn, org, &ids)?;
            let id = new_id();
            let t = now();
            let meta = Meta {
                created: t,
                last_modified: t,
                version: 1,
            };
            let row = GroupRow::new(&id, org, g, &meta);
            diesel::insert_into(groups::table)
                .values(&row)
                .execute(conn)
                .map_err(|e| conflict(e.into(), g))?;
            insert_members(conn, &id, &ids)?;
            let detail = format!(
                "group \"{}\" created with {} member(s)",
                g.display_name,
                ids.len()
            );
            log(
                conn,
                org,
                &change(
                    actor,
                    EventAction::Created,
                    EventResource::Group,
                    &id,
                    detail,
                ),
            )?;
            let mut stored = row.into_stored()?;
            stored.resource.members = load_members(conn, &[id])?
                .remove(&stored.id)
                .unwrap_or_default();
            Ok(stored)
        })
    }
}

/// The members (with display names) of each group in `ids`, ordered by user id.
fn load_members(
    conn: &mut DbConn,
    ids: &[String],
) -> Result<HashMap<String, Vec<Member>>, StoreError> {
    let mut out: HashMap<String, Vec<Member>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    // Row by row (`load_iter`), so that a 50k-member group is held once, as its members, not also as rows.
    let rows = group_members::table
        .inner_join(users::table)
        .filter(group_members::group_id.eq_any(ids))
        .select((
            group_members::group_id,
            group_members::user_id,
            users::display_name,
        ))
        .order((group_members::group_id, group_members::user_id))
        .load_iter::<(String, String, Option<String>), DefaultLoadingMode>(conn)?;
    for row in rows {
        let (group_id, value, display) = row?;
        out.entry(group_id)
            .or_default()
            .push(Member { value, display });
    }
    Ok(out)
}

fn load_group(
    conn: &mut DbConn,
    org: &str,
    id: &str,
    with_members: bool,
) -> Result<Option<Stored<Group>>, StoreError> {
    let row = groups::table
        .filter(groups::id.eq(id))
        .filter(groups::org.eq(org))
        .select(GroupRow::as_select())
        .get_result(conn)
        .optional()?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut stored = row.into_stored()?;
    if with_members {
        stored.resource.members = load_members(conn, &[stored.id.clone()])?
            .remove(&stored.id)
            .unwrap_or_default();
    }
    Ok(Some(stored))
}

impl Store {
    /// The group `id` of `org`; with `with_members = false` its members are not loaded (left empty).
    pub fn group(
        &self,
        org: &str,
        id: &str,
        with_members: bool,
    ) -> Result<Option<Stored<Group>>, StoreError> {
        let p = &*self.inner;
        let mut conn = p.read()?;
        read_txn(&mut conn, |conn| load_group(conn, org, id, with_members))
    }
}

fn filtered(org: &str, q: &Query) -> Result<groups::BoxedQuery<'static, MultiBackend>, StoreError> {
    let mut query = groups::table
        .filter(groups::org.eq(org.to_string()))
        .into_boxed();
    if let Some(f) = &q.filter {
        query = query.filter(group_filter(f)?);
    }
    Ok(query)
}

/// See [`crate::Store::list_groups`].
pub fn list_groups(
    p: &Pools,
    org: &str,
    q: &Query,
    with_members: bool,
) -> Result<Page<Group>, StoreError> {
    let mut conn = p.read()?;
    read_txn(&mut conn, |conn| {
        let rows = match &q.cursor {
            Some(position) => listing::cursor_page::<Groups>(conn, org, q, position)?,
            None => listing::index_page::<Groups>(conn, &p.pages, org, q)?,
        };
        let mut items: Vec<Stored<Group>> = rows
            .rows
            .into_iter()
            .map(GroupRow::into_stored)
            .collect::<Result<_, _>>()?;
        if with_members {
            add_members(conn, &mut items)?;
        }
        Ok(Page {
            total: rows.total,
            items,
            next: rows.next,
            previous: rows.previous,
        })
    })
}

/// Fills in the members of `items`.
fn add_members(conn: &mut DbConn, items: &mut [Stored<Group>]) -> Result<(), StoreError> {
    let ids: Vec<String> = items.iter().map(|g| g.id.clone()).collect();
    let mut members = load_members(conn, &ids)?;
    for g in items {
        g.resource.members = members.remove(&g.id).unwrap_or_default();
    }
    Ok(())
}

// The groups' list ([`listing`]).
listing::impl_listing!(Groups, groups, GroupRow, filtered, group_sort);

/// Applies member set operations to group `id`; returns (added, removed).
fn apply_members(
    conn: &mut DbConn,
    org: &str,
    id: &str,
    changes: &[MemberChange],
) -> Result<(usize, usize), StoreError> {
    let (mut added, mut removed) = (0, 0);
    for c in changes {
        match c {
            MemberChange::RemoveAll => {
                removed +=
                    diesel::delete(group_members::table.filter(group_members::group_id.eq(id)))
                        .execute(conn)?;
            }
            MemberChange::Remove(ids) => {
                let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                removed += delete_members(conn, id, &ids)?;
            }
            MemberChange::Add(ids) => {
                let wanted: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
                check_members(conn, org, &wanted)?;
                added += insert_members(conn, id, &wanted)?;
            }
            MemberChange::Replace(ids) => {
                // Inherently O(members): the new set is the whole list.
                let wanted: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
                check_members(conn, org, &wanted)?;
                let present: Vec<String> = group_members::table
                    .filter(group_members::group_id.eq(id))
                    .select(group_members::user_id)
                    .load(conn)?;
                let gone: Vec<&str> = present
                    .iter()
                    .map(String::as_str)
                    .filter(|u| !wanted.contains(u))
                    .collect();
                removed += delete_members(conn, id, &gone)?;
                added += insert_members(conn, id, &wanted)?;
            }
        }
    }
    Ok((added, removed))
}

impl Store {
    /// Attribute changes via `f` (which sees the group WITHOUT members) plus member set operations applied as
    /// row inserts/deletes, in one transaction; the version is bumped once. Added ids must be users of this
    /// organisation (else `Rejected(invalidValue)`). Logs `updated` with what changed. Returns the group
    /// WITHOUT its members (read them with [`Store::group`]): a one-member change costs O(1) in the group's size.
    pub fn update_group(
        &self,
        org: &str,
        id: &str,
        if_match: Option<i64>,
        actor: &str,
        members: &[MemberChange],
        f: &mut dyn FnMut(&Stored<Group>) -> Result<Group, ScimError>,
    ) -> Result<Stored<Group>, StoreError> {
        let p = &*self.inner;
        let mut attempt = 0;
        loop {
            let mut conn = p.write()?;
            let result = write_txn(&mut conn, |conn| {
                lock_row(conn, org, id)?;
                let current = load_group(conn, org, id, false)?.ok_or(StoreError::NotFound)?;
                if if_match.is_some_and(|v| v != current.meta.version) {
                    return Err(StoreError::VersionMismatch);
                }
                let new = f(&current).map_err(StoreError::Rejected)?;
                let mut what = Vec::new();
                if new.display_name != current.resource.display_name {
                    what.push("displayName".to_string());
                }
                if new.external_id != current.resource.external_id {
                    what.push("externalId".to_string());
                }
                let (added, removed) = apply_members(conn, org, id, members)?;
                if added > 0 {
                    what.push(format!("{added} member(s) added"));
                }
                if removed > 0 {
                    what.push(format!("{removed} member(s) removed"));
                }
                if what.is_empty() {
                    return Ok(current);
                }
                let meta = Meta {
                    created: current.meta.created,
                    last_modified: now(),
                    version: current.meta.version + 1,
                };
                let row = GroupRow::new(id, org, &new, &meta);
                let n = diesel::update(
                    groups::table
                        .filter(groups::id.eq(id))
                        .filter(groups::org.eq(org))
                        .filter(groups::version.eq(current.meta.version)),
                )
                .set(&row)
                .execute(conn)
                .map_err(|e| conflict(e.into(), &new))?;
                if n == 0 {
                    return Err(StoreError::VersionMismatch);
                }
                let detail = format!(
                    "group \"{}\" updated: {}",
                    new.display_name,
                    what.join(", ")
                );
                log(
                    conn,
                    org,
                    &change(
                        actor,
                        EventAction::Updated,
                        EventResource::Group,
                        id,
                        detail,
                    ),
                )?;
                Ok(Stored {
                    id: id.to_string(),
                    meta,
                    resource: Group {
                        members: Vec::new(),
                        ..new
                    },
                })
            });
            match result {
                Err(StoreError::VersionMismatch) if if_match.is_none() && attempt < RETRIES => {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

/// Locks the group's row for this transaction on PostgreSQL ([`lock_resource_row`]).
fn lock_row(conn: &mut DbConn, org: &str, id: &str) -> Result<(), StoreError> {
    lock_resource_row!(conn, groups, org, id)
}

impl Store {
    /// Deletes group `id` of `org` and its memberships (logs `deleted`); `false` if there is no such group.
    /// `if_match` as for [`Store::delete_user`].
    pub fn delete_group(
        &self,
        org: &str,
        id: &str,
        if_match: Option<i64>,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let d = Deletion {
            resource: EventResource::Group,
            org,
            id,
            if_match,
            actor,
        };
        let mut conn = self.inner.write()?;
        delete_resource(
            &mut conn,
            &d,
            |conn| locked_name_and_version!(conn, groups, display_name, org, id),
            |conn, name| {
                let members =
                    diesel::delete(group_members::table.filter(group_members::group_id.eq(id)))
                        .execute(conn)?;
                diesel::delete(
                    groups::table
                        .filter(groups::id.eq(id))
                        .filter(groups::org.eq(org)),
                )
                .execute(conn)?;
                Ok(format!("group \"{name}\" deleted ({members} member(s))"))
            },
        )
    }
}
