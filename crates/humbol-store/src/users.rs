//! Users: a `users` row (the indexed single-valued attributes, the one role, and the attribute document of every
//! other attribute) plus `user_emails` and `user_addresses` rows. Every query is scoped by organisation.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use scim_core::filter::{CompValue, CompareOp, Filter};
use scim_core::resource::{Meta, Stored, User};
use scim_core::schema::UserAttr;
use scim_core::ScimError;

use crate::events::{change, log, log_all};
use crate::filter_sql::{in_subquery, user_filter, user_sort};
use crate::group_commit::in_savepoint;
use crate::listing;
use crate::models::{
    micros, new_id, norm, now, with_conflict_value, AddressRow, EmailRow, LoadedUser, OrgRow,
    UserRow, UserRows,
};
use crate::page_cache::PageCache;
use crate::pool::{
    delete_resource, lock_resource_row, locked_name_and_version, on_inner, read_txn, write_txn,
    DbConn, Deletion, MultiBackend,
};
use crate::schema::{group_members, groups, orgs, scim_tokens, user_addresses, user_emails, users};
use crate::user_groups::{self, UserGroupsJson};
use crate::{Authenticated, Page, Query, Reader, Store, StoreError, TokenAuth};
use crate::{EventAction, EventResource, NewEvent};

impl Store {
    /// The user `id` of `org`, if any.
    pub fn user(&self, org: &str, id: &str) -> Result<Option<Stored<User>>, StoreError> {
        self.reader()?.user(org, id)
    }

    /// A page of `org`'s users matching `q` (filter and order in SQL) and the total count.
    pub fn list_users(&self, org: &str, q: &Query) -> Result<Page<User>, StoreError> {
        self.reader()?.list_users(org, q)
    }

    /// Replaces every attribute of user `id` (PUT). `if_match`: the version the client saw, else
    /// [`StoreError::VersionMismatch`]. Logs `updated` (or `disabled` / `enabled` when `active` flips).
    pub fn replace_user(
        &self,
        org: &str,
        id: &str,
        user: &User,
        if_match: Option<i64>,
        actor: &str,
    ) -> Result<Stored<User>, StoreError> {
        let mut f = |_: &Stored<User>| Ok(user.clone());
        self.update_user(org, id, if_match, actor, &mut f)
    }
}

impl Reader {
    /// See [`Store::user`].
    pub fn user(&mut self, org: &str, id: &str) -> Result<Option<Stored<User>>, StoreError> {
        user(&mut self.conn, org, id)
    }

    /// See [`Store::list_users`].
    pub fn list_users(&mut self, org: &str, q: &Query) -> Result<Page<User>, StoreError> {
        list_users(&mut self.conn, &self.pages, org, q)
    }

    /// [`Reader::authenticate`], then [`Reader::list_users`] in the token's organisation: for a look-up by a
    /// unique key ([`Query::is_user_key_lookup`], Entra's request before every create or update) both in ONE
    /// statement (one round trip on PostgreSQL, one statement on SQLite); otherwise the two steps. `None`: no live
    /// token with this hash. The users are those of the token's organisation: the caller must still check that it
    /// is the organisation the request names (and that SCIM is enabled) before using them.
    pub fn authenticate_and_list_users(
        &mut self,
        token_hash: &[u8; 32],
        now: DateTime<Utc>,
        q: &Query,
    ) -> Result<Authenticated<Page<User>>, StoreError> {
        authenticate_and_list_users(&mut self.conn, &self.pages, token_hash, now, q)
    }

    /// [`Reader::authenticate_and_list_users`] for a batch of `(token hash, query)` pairs, e.g. concurrent
    /// look-ups coalesced into one batch, whatever the number of tokens in it. On PostgreSQL the look-ups by key
    /// take ONE statement per kind of key (`userName`, `externalId`, `id`) for the whole batch, over its pairs:
    /// each key is looked up in the organisation of its own pair's token, checked in that statement; any other
    /// query is answered as [`Reader::authenticate_and_list_users`] would. On SQLite (local reads, no round trips
    /// to save) each query is answered on its own, in one snapshot. The answers are in the order of `batch`;
    /// `None`: no live token with that pair's hash. The same caveat: the caller checks the organisation.
    pub fn authenticate_and_find_users(
        &mut self,
        now: DateTime<Utc>,
        batch: &[([u8; 32], Query)],
    ) -> Result<Vec<Authenticated<Page<User>>>, StoreError> {
        authenticate_and_find_users(&mut self.conn, &self.pages, now, batch)
    }
}

/// How often `update_user` retries after losing a race (without `if_match`).
const RETRIES: usize = 5;

/// Fills in the value of a Conflict from the user that was written.
fn conflict(e: StoreError, u: &User) -> StoreError {
    with_conflict_value(e, |attribute| match attribute {
        "userName" => Some(u.user_name.clone()),
        "externalId" => u.external_id.clone(),
        _ => None,
    })
}

impl Store {
    /// Creates a user in `org` (logs `created`). `userName` (case-insensitively) and `externalId` are unique
    /// per organisation: [`StoreError::Conflict`]. `user.role` is stored as given (the API applies the org's
    /// role rules first). A manager must be a user of `org`, else `Rejected(invalidValue)` (checked in the
    /// write transaction, as by the updates). Concurrent creates share a transaction ([`create_users`]).
    pub fn create_user(
        &self,
        org: &str,
        user: &User,
        actor: &str,
    ) -> Result<Stored<User>, StoreError> {
        let create = NewUser {
            org: org.to_owned(),
            user: user.clone(),
            actor: actor.to_owned(),
        };
        self.creates.write(&self.inner, create)
    }
}

/// A create waiting for its group ([`Store::create_user`]).
pub struct NewUser {
    org: String,
    user: User,
    actor: String,
}

/// Runs a group of creates in the transaction on `conn` ([`crate::group_commit`]): all at once (one multi-row
/// `INSERT` per table) when none fails; else each in a savepoint of its own, so that a refused create (a taken
/// `userName`, an unknown manager) changes nothing and the others go on. A lone create's failure is the
/// transaction's, which is all of it.
pub fn create_users(
    conn: &mut DbConn,
    group: &[NewUser],
) -> Result<Vec<Result<Stored<User>, StoreError>>, StoreError> {
    if group.len() > 1 {
        if let Ok(stored) = in_savepoint(conn, |conn| insert_users(conn, group))? {
            return Ok(stored.into_iter().map(Ok).collect());
        }
        // One of them failed: each on its own, to tell which.
        return group
            .iter()
            .map(|one| in_savepoint(conn, |conn| insert_user(conn, one)))
            .collect();
    }
    group
        .iter()
        .map(|one| insert_user(conn, one).map(Ok))
        .collect()
}

fn insert_user(conn: &mut DbConn, create: &NewUser) -> Result<Stored<User>, StoreError> {
    let mut stored =
        insert_users(conn, std::slice::from_ref(create)).map_err(|e| conflict(e, &create.user))?;
    stored
        .pop()
        .ok_or_else(|| StoreError::Database("a create wrote no user".into()))
}

/// Inserts `group` (checks first: each organisation exists, each manager is a user of it) with one statement
/// per table, and their `created` events.
fn insert_users(conn: &mut DbConn, group: &[NewUser]) -> Result<Vec<Stored<User>>, StoreError> {
    let mut orgs: Vec<&str> = group.iter().map(|c| c.org.as_str()).collect();
    orgs.sort_unstable();
    orgs.dedup();
    for org in orgs {
        crate::orgs::require(conn, org)?;
    }
    for c in group {
        check_manager(conn, &c.org, &c.user, None)?;
    }
    let t = now();
    let meta = Meta {
        created: t,
        last_modified: t,
        version: 1,
    };
    let rows: Vec<UserRows> = group
        .iter()
        .map(|c| UserRows::new(&new_id(), &c.org, &c.user, &meta))
        .collect();
    insert_rows(conn, &rows)?;
    let events: Vec<NewEvent> = group
        .iter()
        .zip(&rows)
        .map(|(c, r)| {
            let detail = format!("user \"{}\" created", c.user.user_name);
            change(
                &c.actor,
                EventAction::Created,
                EventResource::User,
                &r.user.attrs.id,
                detail,
            )
        })
        .collect();
    let of_orgs: Vec<_> = group.iter().map(|c| c.org.as_str()).zip(&events).collect();
    log_all(conn, &of_orgs)?;
    rows.into_iter().map(UserRows::into_stored).collect()
}

/// Inserts users' rows: one statement per table, whatever their number.
pub fn insert_rows(conn: &mut DbConn, rows: &[UserRows]) -> Result<(), StoreError> {
    let users: Vec<_> = rows.iter().map(|r| &r.user).collect();
    on_inner!(conn, |c| diesel::insert_into(users::table)
        .values(users)
        .execute(c))?;
    insert_children(conn, rows)
}

fn insert_children(conn: &mut DbConn, rows: &[UserRows]) -> Result<(), StoreError> {
    let emails: Vec<_> = rows.iter().flat_map(|r| &r.emails).collect();
    if !emails.is_empty() {
        on_inner!(conn, |c| diesel::insert_into(user_emails::table)
            .values(emails)
            .execute(c))?;
    }
    let addresses: Vec<_> = rows.iter().flat_map(|r| &r.addresses).collect();
    if !addresses.is_empty() {
        on_inner!(conn, |c| diesel::insert_into(user_addresses::table)
            .values(addresses)
            .execute(c))?;
    }
    Ok(())
}

/// See [`crate::Store::user`]: one statement (see [`one_user!`]), so no transaction.
pub fn user(conn: &mut DbConn, org: &str, id: &str) -> Result<Option<Stored<User>>, StoreError> {
    load_user(conn, org, id)
}

/// A user row (with its groups, [`UserGroupsJson`]) joined with one of its emails and one of its addresses
/// (either may be absent).
type Joined = (
    UserRow,
    Option<String>,
    Option<EmailRow>,
    Option<AddressRow>,
);

/// Users (0 or 1, by a unique key) with their emails, addresses and groups in ONE query — one round trip, and a fixed
/// statement that diesel prepares once per connection: `users LEFT JOIN user_emails LEFT JOIN user_addresses`.
/// (A user has a handful of emails and addresses, so the product stays small.) It runs on the backend's own
/// connection ([`on_inner!`]): there the statement is cached by its type, whereas through the MultiConnection
/// diesel writes its SQL text again at every call to find it in the cache (see docs/benchmarks.md, "Figures
/// behind choices in the code").
macro_rules! one_user {
    ($conn:expr, $($cond:expr),+) => {{
        let rows: Vec<Joined> = on_inner!($conn, |c| users::table
            .left_join(user_emails::table)
            .left_join(user_addresses::table)
            $(.filter($cond))+
            .select((
                UserRow::as_select(),
                UserGroupsJson,
                Option::<EmailRow>::as_select(),
                Option::<AddressRow>::as_select(),
            ))
            .load(c))?;
        assemble(rows)?
    }};
}

/// Folds joined rows back into users (in first-seen order), each child row once.
fn assemble(rows: Vec<Joined>) -> Result<Vec<Stored<User>>, StoreError> {
    let mut out: Vec<LoadedUser> = Vec::new();
    for (user, groups, email, address) in rows {
        let i = match out.iter().position(|r| r.user.id == user.id) {
            Some(i) => i,
            None => {
                out.push(LoadedUser {
                    user,
                    emails: Vec::new(),
                    addresses: Vec::new(),
                    groups: user_groups::parse(groups.as_deref())?,
                });
                out.len() - 1
            }
        };
        let r = &mut out[i];
        if let Some(e) = email.filter(|e| !r.emails.iter().any(|x| x.position == e.position)) {
            r.emails.push(e);
        }
        if let Some(a) = address.filter(|a| !r.addresses.iter().any(|x| x.position == a.position)) {
            r.addresses.push(a);
        }
    }
    out.into_iter().map(LoadedUser::into_stored).collect()
}

/// User `id` of `org` with its emails and addresses.
fn load_user(conn: &mut DbConn, org: &str, id: &str) -> Result<Option<Stored<User>>, StoreError> {
    Ok(one_user!(conn, users::id.eq(id), users::org.eq(org)).pop())
}

/// Loads the emails, addresses and groups of `rows` (three queries for the whole page), keeping the rows' order.
fn with_children(conn: &mut DbConn, rows: Vec<UserRow>) -> Result<Vec<Stored<User>>, StoreError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // One user (the look-up hot path): `=`, a statement diesel prepares once and caches; a page: `IN (...)`.
    let (email_rows, address_rows): (Vec<EmailRow>, Vec<AddressRow>) = if let [row] = &rows[..] {
        (
            user_emails::table
                .filter(user_emails::user_id.eq(&row.id))
                .select(EmailRow::as_select())
                .load(conn)?,
            user_addresses::table
                .filter(user_addresses::user_id.eq(&row.id))
                .select(AddressRow::as_select())
                .load(conn)?,
        )
    } else {
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        (
            user_emails::table
                .filter(user_emails::user_id.eq_any(&ids))
                .select(EmailRow::as_select())
                .load(conn)?,
            user_addresses::table
                .filter(user_addresses::user_id.eq_any(&ids))
                .select(AddressRow::as_select())
                .load(conn)?,
        )
    };
    let mut emails: HashMap<String, Vec<EmailRow>> = HashMap::new();
    for e in email_rows {
        emails.entry(e.user_id.clone()).or_default().push(e);
    }
    let mut addresses: HashMap<String, Vec<AddressRow>> = HashMap::new();
    for a in address_rows {
        addresses.entry(a.user_id.clone()).or_default().push(a);
    }
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut groups = user_groups::of_users(conn, &ids)?;
    rows.into_iter()
        .map(|user| LoadedUser {
            emails: emails.remove(&user.id).unwrap_or_default(),
            addresses: addresses.remove(&user.id).unwrap_or_default(),
            groups: groups.remove(&user.id).unwrap_or_default(),
            user,
        })
        .map(LoadedUser::into_stored)
        .collect()
}

/// The `org`-scoped, filtered query on users (no order, no page).
fn filtered(org: &str, q: &Query) -> Result<users::BoxedQuery<'static, MultiBackend>, StoreError> {
    let mut query = users::table
        .filter(users::org.eq(org.to_string()))
        .into_boxed();
    if let Some(f) = &q.filter {
        query = query.filter(user_filter(f)?);
    }
    Ok(query)
}

/// A look-up by a unique key: what Entra sends before every create or update.
enum UniqueKey {
    UserName(String),
    ExternalId(String),
    Id(String),
}

/// The unique key `f` looks up, when it is exactly `userName eq ".."`, `externalId eq ".."` or `id eq ".."`.
fn unique_key(f: &Filter) -> Option<UniqueKey> {
    let Filter::Compare {
        path,
        op: CompareOp::Eq,
        value: CompValue::String(v),
    } = f
    else {
        return None;
    };
    match UserAttr::of(path)? {
        UserAttr::UserName => Some(UniqueKey::UserName(norm(v))),
        UserAttr::ExternalId => Some(UniqueKey::ExternalId(v.clone())),
        UserAttr::Id => Some(UniqueKey::Id(v.clone())),
        _ => None,
    }
}

/// The users with unique key `key` (0 or 1). A fixed statement (not a boxed one), so diesel prepares it once
/// per connection: the hot path of every provisioning cycle. Same answers as the compiled filter.
fn by_unique_key(
    conn: &mut DbConn,
    org: &str,
    key: &UniqueKey,
) -> Result<Vec<Stored<User>>, StoreError> {
    Ok(match key {
        UniqueKey::UserName(n) => one_user!(conn, users::org.eq(org), users::user_name_norm.eq(n)),
        UniqueKey::ExternalId(v) => one_user!(conn, users::org.eq(org), users::external_id.eq(v)),
        UniqueKey::Id(v) => one_user!(conn, users::org.eq(org), users::id.eq(v)),
    })
}

/// A token's id and organisation, LEFT JOINed with one user row (its groups, one of its emails and addresses).
type TokenJoined = (
    String,
    OrgRow,
    Option<UserRow>,
    Option<String>,
    Option<EmailRow>,
    Option<AddressRow>,
);

/// What a look-up with its token check selects ([`TokenJoined`]): the token's id, its organisation, the user (if
/// any) with its groups, one email and one address row. [`token_and_user!`] and [`PairsQuery`] both select it.
macro_rules! token_joined_select {
    () => {
        (
            scim_tokens::id,
            OrgRow::as_select(),
            Option::<UserRow>::as_select(),
            UserGroupsJson,
            Option::<EmailRow>::as_select(),
            Option::<AddressRow>::as_select(),
        )
    };
}

/// [`one_user!`] with the token check in the same statement: the live token with hash `$hash` (not revoked, not
/// expired at `$now`) joined with its organisation, LEFT JOINed with that organisation's users matching `$cond`
/// and their children. No row: no live token; rows with no user: a token and a miss. `on $c` runs it on an inner
/// connection `$c` of one backend (for a `$cond` only that backend can express).
macro_rules! token_and_user {
    ($conn:expr, $hash:expr, $now:expr, $cond:expr) => {{
        let rows: Vec<TokenJoined> =
            on_inner!($conn, |c| token_and_user!(on c, $hash, $now, $cond))?;
        rows
    }};
    (on $c:expr, $hash:expr, $now:expr, $cond:expr) => {
        scim_tokens::table
            .inner_join(orgs::table)
            .left_join(users::table.on(users::org.eq(orgs::slug).and($cond)))
            .left_join(user_emails::table.on(user_emails::user_id.eq(users::id)))
            .left_join(user_addresses::table.on(user_addresses::user_id.eq(users::id)))
            .filter(crate::tokens::live_token($hash, $now))
            .select(token_joined_select!())
            .load::<TokenJoined>($c)
    };
}

/// The unique key `q` looks up on its first page (see [`crate::Query::is_user_key_lookup`]).
fn key_lookup(q: &Query) -> Option<UniqueKey> {
    q.filter
        .as_ref()
        .and_then(unique_key)
        .filter(|_| q.offset == 0 && q.limit > 0 && q.cursor.is_none())
}

/// Folds the rows of [`token_and_user!`] into `token` (set from the first row: every row carries the same
/// token) and the joined user rows. No row: no live token.
fn fold_token_rows(
    rows: Vec<TokenJoined>,
    token: &mut Option<(String, OrgRow)>,
    joined: &mut Vec<Joined>,
) {
    for (token_id, org, user, groups, email, address) in rows {
        token.get_or_insert((token_id, org));
        joined.extend(user.map(|u| (u, groups, email, address)));
    }
}

fn token_auth((token_id, org): (String, OrgRow)) -> Result<TokenAuth, StoreError> {
    Ok(TokenAuth {
        token_id,
        org: org.into_org()?,
    })
}

/// The page of a look-up by key: every match counts, at most `q.limit` are returned (externalId is not
/// unique).
fn page(mut items: Vec<Stored<User>>, q: &Query) -> Page<User> {
    let total = items.len() as u64;
    items.truncate(usize::try_from(q.limit).unwrap_or(usize::MAX));
    Page {
        total,
        items,
        ..Page::default()
    }
}

/// See [`crate::Reader::authenticate_and_list_users`].
pub fn authenticate_and_list_users(
    conn: &mut DbConn,
    cache: &PageCache,
    token_hash: &[u8; 32],
    now: DateTime<Utc>,
    q: &Query,
) -> Result<Authenticated<Page<User>>, StoreError> {
    let Some(key) = key_lookup(q) else {
        // Not a look-up by key: the two steps.
        let Some(auth) = crate::tokens::authenticate(conn, token_hash, now)? else {
            return Ok(None);
        };
        let page = list_users(conn, cache, &auth.org.slug, q)?;
        return Ok(Some((auth, page)));
    };
    let hash = &token_hash[..];
    let now = micros(now);
    // Owned binds: diesel wants the ON clause's values to live as long as the cached statement's type.
    let rows = match key {
        UniqueKey::UserName(n) => token_and_user!(conn, hash, now, users::user_name_norm.eq(n)),
        UniqueKey::ExternalId(v) => token_and_user!(conn, hash, now, users::external_id.eq(v)),
        UniqueKey::Id(v) => token_and_user!(conn, hash, now, users::id.eq(v)),
    };
    let (mut token, mut joined) = (None, Vec::new());
    fold_token_rows(rows, &mut token, &mut joined);
    token
        .map(|token| Ok((token_auth(token)?, page(assemble(joined)?, q))))
        .transpose()
}

/// See [`crate::Reader::authenticate_and_find_users`].
pub fn authenticate_and_find_users(
    conn: &mut DbConn,
    cache: &PageCache,
    now: DateTime<Utc>,
    batch: &[([u8; 32], Query)],
) -> Result<Vec<Authenticated<Page<User>>>, StoreError> {
    let pg = match conn {
        DbConn::Postgres(pg) => pg,
        // A local read costs microseconds: batching pays only for round trips. Each token checked once, then
        // each query on its own, in one snapshot.
        DbConn::Sqlite(_) => {
            return read_txn(conn, |conn| {
                let mut auths: HashMap<[u8; 32], Option<TokenAuth>> = HashMap::new();
                let mut out = Vec::with_capacity(batch.len());
                for (hash, q) in batch {
                    let auth = match auths.get(hash) {
                        Some(auth) => auth.clone(),
                        None => {
                            let auth = crate::tokens::authenticate(conn, hash, now)?;
                            auths.insert(*hash, auth.clone());
                            auth
                        }
                    };
                    out.push(match auth {
                        Some(auth) => {
                            Some((auth.clone(), list_users(conn, cache, &auth.org.slug, q)?))
                        }
                        None => None,
                    });
                }
                Ok(out)
            });
        }
    };
    // The pairs of each kind of key, as indexes into `batch`.
    let mut pairs: [KeyPairs; 3] = Default::default();
    let mut others = Vec::new();
    for (i, (hash, q)) in batch.iter().enumerate() {
        let (kind, key) = match key_lookup(q) {
            Some(UniqueKey::UserName(v)) => (0, v),
            Some(UniqueKey::ExternalId(v)) => (1, v),
            Some(UniqueKey::Id(v)) => (2, v),
            None => {
                others.push(i);
                continue;
            }
        };
        pairs[kind].push(i, hash, key);
    }
    let at = micros(now);
    let mut tokens: Vec<Option<(String, OrgRow)>> = vec![None; batch.len()];
    let mut joined: Vec<Vec<Joined>> = std::iter::repeat_with(Vec::new).take(batch.len()).collect();
    let [names, external_ids, ids] = pairs;
    // One statement per kind of key in the batch, each with the token check of every pair in it.
    let rows = [
        names.load::<{ KEY_USER_NAME }>(pg, at)?,
        external_ids.load::<{ KEY_EXTERNAL_ID }>(pg, at)?,
        ids.load::<{ KEY_ID }>(pg, at)?,
    ];
    for (i, (token_id, org, user, groups, email, address)) in rows.into_iter().flatten() {
        tokens[i].get_or_insert((token_id, org));
        joined[i].extend(user.map(|u| (u, groups, email, address)));
    }
    let mut out = Vec::with_capacity(batch.len());
    for (((_, q), token), joined) in batch.iter().zip(tokens).zip(joined) {
        out.push(
            token
                .map(|token| Ok::<_, StoreError>((token_auth(token)?, page(assemble(joined)?, q))))
                .transpose()?,
        );
    }
    // Not look-ups by key: the two steps each.
    for i in others {
        let (hash, q) = &batch[i];
        out[i] = authenticate_and_list_users(conn, cache, hash, now, q)?;
    }
    Ok(out)
}

/// The `(token hash, key)` pairs of a batch's look-ups by one kind of key, and the index in the batch of each.
#[derive(Default)]
struct KeyPairs {
    at: Vec<usize>,
    hashes: Vec<Vec<u8>>,
    keys: Vec<String>,
}

impl KeyPairs {
    fn push(&mut self, at: usize, hash: &[u8; 32], key: String) {
        self.at.push(at);
        self.hashes.push(hash.to_vec());
        self.keys.push(key);
    }

    /// The rows of [`PairsQuery`] (none without pairs), each with the index in the batch of its pair.
    fn load<const KEY: u8>(
        self,
        pg: &mut diesel::PgConnection,
        now: i64,
    ) -> Result<Vec<(usize, TokenJoined)>, StoreError> {
        if self.at.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, TokenJoined)> = PairsQuery::<KEY> {
            select: token_joined_select!(),
            hashes: self.hashes,
            keys: self.keys,
            in_force: crate::tokens::in_force(now),
        }
        .load(pg)?;
        rows.into_iter()
            .map(|(ord, row)| {
                // `WITH ORDINALITY` counts the pairs from 1.
                usize::try_from(ord - 1)
                    .ok()
                    .and_then(|n| self.at.get(n))
                    .map(|&i| (i, row))
                    .ok_or_else(|| {
                        StoreError::Database(crate::Cause::from(format!(
                            "a look-up's row names pair {ord} of {}",
                            self.at.len()
                        )))
                    })
            })
            .collect()
    }
}

/// The kinds of key of [`PairsQuery`].
const KEY_USER_NAME: u8 = 0;
const KEY_EXTERNAL_ID: u8 = 1;
const KEY_ID: u8 = 2;

/// What [`PairsQuery`] selects after the pair's ordinal: [`TokenJoined`], as [`token_and_user!`] selects it.
type PairsSelect = (
    scim_tokens::id,
    diesel::dsl::AsSelect<OrgRow, diesel::pg::Pg>,
    diesel::dsl::AsSelect<Option<UserRow>, diesel::pg::Pg>,
    UserGroupsJson,
    diesel::dsl::AsSelect<Option<EmailRow>, diesel::pg::Pg>,
    diesel::dsl::AsSelect<Option<AddressRow>, diesel::pg::Pg>,
);

/// [`token_and_user!`] for many `(token hash, key)` pairs at once, on PostgreSQL: the pairs are
/// `unnest($1::bytea[], $2::text[]) WITH ORDINALITY`, each joined to ITS live token (not revoked, not expired at
/// `$3`), the token's organisation, and the user of THAT organisation with THAT key (kind `KEY`), LEFT JOINed
/// with the user's groups, emails and addresses. A pair with no live token has no row; a live token and a miss,
/// one row without a user. The SQL of each kind is fixed and the arrays are single binds, so the statement has
/// a static query id: diesel prepares it once per connection and finds it in its cache by type (writing its SQL
/// again at every call, as for an `IN (..)` list, cost a measurable share of scim-api's CPU under batched
/// look-ups: docs/benchmarks.md).
struct PairsQuery<const KEY: u8> {
    select: PairsSelect,
    hashes: Vec<Vec<u8>>,
    keys: Vec<String>,
    in_force: crate::tokens::in_force,
}

impl<const KEY: u8> diesel::query_builder::QueryId for PairsQuery<KEY> {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<const KEY: u8> diesel::query_builder::Query for PairsQuery<KEY> {
    type SqlType = (
        diesel::sql_types::BigInt,
        <PairsSelect as diesel::Expression>::SqlType,
    );
}

impl<const KEY: u8, C> RunQueryDsl<C> for PairsQuery<KEY> {}

impl<const KEY: u8> diesel::query_builder::QueryFragment<diesel::pg::Pg> for PairsQuery<KEY> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        use diesel::sql_types::{Array, Binary, Text};
        let column = match KEY {
            KEY_USER_NAME => "user_name_norm",
            KEY_EXTERNAL_ID => "external_id",
            _ => "id",
        };
        out.push_sql("SELECT k.k_ord, ");
        self.select.walk_ast(out.reborrow())?;
        out.push_sql(" FROM unnest(");
        out.push_bind_param::<Array<Binary>, _>(&self.hashes)?;
        out.push_sql("::bytea[], ");
        out.push_bind_param::<Array<Text>, _>(&self.keys)?;
        out.push_sql(
            "::text[]) WITH ORDINALITY AS k(k_hash, k_key, k_ord) \
             INNER JOIN \"scim_tokens\" ON \"scim_tokens\".\"hash\" = k.k_hash AND ",
        );
        self.in_force.walk_ast(out.reborrow())?;
        out.push_sql(
            " INNER JOIN \"orgs\" ON \"orgs\".\"slug\" = \"scim_tokens\".\"org\" \
             LEFT OUTER JOIN \"users\" ON \"users\".\"org\" = \"orgs\".\"slug\" AND \"users\".\"",
        );
        out.push_sql(column);
        out.push_sql(
            "\" = k.k_key \
             LEFT OUTER JOIN \"user_emails\" ON \"user_emails\".\"user_id\" = \"users\".\"id\" \
             LEFT OUTER JOIN \"user_addresses\" ON \"user_addresses\".\"user_id\" = \"users\".\"id\"",
        );
        Ok(())
    }
}

/// See [`crate::Query::is_user_key_lookup`].
pub fn is_key_lookup(q: &Query) -> bool {
    key_lookup(q).is_some()
}

/// See [`crate::Store::list_users`].
pub fn list_users(
    conn: &mut DbConn,
    cache: &PageCache,
    org: &str,
    q: &Query,
) -> Result<Page<User>, StoreError> {
    // A look-up by key (Entra's match before every create or update): ONE fixed statement, which is its own
    // snapshot (no BEGIN/COMMIT), and its count is its length (externalId is not unique: the page is cut to
    // `limit`, the total is every match).
    if let Some(key) = q.filter.as_ref().and_then(unique_key) {
        if q.offset == 0 && q.limit > 0 && q.cursor.is_none() {
            return Ok(page(by_unique_key(conn, org, &key)?, q));
        }
    }
    read_txn(conn, |conn| {
        let rows = match &q.cursor {
            Some(position) => listing::cursor_page::<Users>(conn, org, q, position)?,
            None => listing::index_page::<Users>(conn, cache, org, q)?,
        };
        Ok(Page {
            total: rows.total,
            items: with_children(conn, rows.rows)?,
            next: rows.next,
            previous: rows.previous,
        })
    })
}

// The users' list ([`listing`]).
listing::impl_listing!(Users, users, UserRow, filtered, user_sort);

/// The names of the attributes that differ between `a` and `b`.
fn changed(a: &User, b: &User) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |differs: bool, name| {
        if differs {
            out.push(name);
        }
    };
    check(a.user_name != b.user_name, "userName");
    check(a.external_id != b.external_id, "externalId");
    check(a.display_name != b.display_name, "displayName");
    check(a.active != b.active, "active");
    check(a.title != b.title, "title");
    check(
        a.preferred_language != b.preferred_language,
        "preferredLanguage",
    );
    check(a.name != b.name, "name");
    check(a.emails != b.emails, "emails");
    check(a.addresses != b.addresses, "addresses");
    check(
        a.role != b.role || a.role_primary != b.role_primary,
        "roles",
    );
    check(a.department != b.department, "department");
    check(a.manager != b.manager, "manager");
    out
}

/// Locks the user's row for this transaction on PostgreSQL ([`lock_resource_row`]).
fn lock_row(conn: &mut DbConn, org: &str, id: &str) -> Result<(), StoreError> {
    lock_resource_row!(conn, users, org, id)
}

/// Humbol's rule: a user's manager is a user of the same organisation (`400 invalidValue` otherwise), checked
/// when it changes, inside the write transaction and on its connection (no second pool checkout while the
/// write holds one). On PostgreSQL the manager's row is share-locked until commit: a concurrent
/// [`delete_user`] of the manager, which locks that row first, either waits for this write and then clears the
/// new reference, or has committed and the manager is refused here. SQLite serialises writers.
fn check_manager(
    conn: &mut DbConn,
    org: &str,
    new: &User,
    current: Option<&User>,
) -> Result<(), StoreError> {
    // An empty manager is no manager (it is never returned; the SCIM reader never produces one).
    let Some(manager) = new.manager.as_deref().filter(|m| !m.is_empty()) else {
        return Ok(());
    };
    if current.and_then(|c| c.manager.as_deref()) == Some(manager) {
        return Ok(());
    }
    let of_org = users::table
        .filter(users::id.eq(manager))
        .filter(users::org.eq(org))
        .select(users::id);
    let found = match conn {
        DbConn::Postgres(pg) => of_org.for_share().get_result::<String>(pg).optional()?,
        _ => of_org.get_result::<String>(conn).optional()?,
    };
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::Rejected(ScimError::invalid_value(format!(
            "manager \"{manager}\" is not a user of this organisation"
        )))),
    }
}

impl Store {
    /// Read-modify-write in ONE transaction with an optimistic version check: `f` gets the current resource
    /// and returns its new attributes, or a [`ScimError`] (-> [`StoreError::Rejected`], nothing written). On a
    /// concurrent change it retries a few times, unless `if_match` was given (-> [`StoreError::VersionMismatch`]).
    /// Logs `updated` / `disabled` / `enabled` with what changed; an update that changes nothing writes nothing.
    pub fn update_user(
        &self,
        org: &str,
        id: &str,
        if_match: Option<i64>,
        actor: &str,
        f: &mut dyn FnMut(&Stored<User>) -> Result<User, ScimError>,
    ) -> Result<Stored<User>, StoreError> {
        let p = &*self.inner;
        let mut attempt = 0;
        loop {
            let mut conn = p.write()?;
            let result = write_txn(&mut conn, |conn| {
                lock_row(conn, org, id)?;
                let current = load_user(conn, org, id)?.ok_or(StoreError::NotFound)?;
                if if_match.is_some_and(|v| v != current.meta.version) {
                    return Err(StoreError::VersionMismatch);
                }
                let mut new = f(&current).map_err(StoreError::Rejected)?;
                // `groups` is read-only: the memberships stay as they are, whatever the new user says.
                new.groups.clone_from(&current.resource.groups);
                if new == current.resource {
                    return Ok(current);
                }
                check_manager(conn, org, &new, Some(&current.resource))?;
                let what = changed(&current.resource, &new);
                let meta = Meta {
                    created: current.meta.created,
                    last_modified: now(),
                    version: current.meta.version + 1,
                };
                let rows = UserRows::new(id, org, &new, &meta);
                let n = diesel::update(
                    users::table
                        .filter(users::id.eq(id))
                        .filter(users::org.eq(org))
                        .filter(users::version.eq(current.meta.version)),
                )
                .set(&rows.user)
                .execute(conn)
                .map_err(|e| conflict(e.into(), &new))?;
                if n == 0 {
                    return Err(StoreError::VersionMismatch);
                }
                if what.contains(&"emails") || what.contains(&"addresses") {
                    diesel::delete(user_emails::table.filter(user_emails::user_id.eq(id)))
                        .execute(conn)?;
                    diesel::delete(user_addresses::table.filter(user_addresses::user_id.eq(id)))
                        .execute(conn)?;
                    insert_children(conn, std::slice::from_ref(&rows))?;
                }
                let action = match (current.resource.active, new.active) {
                    (true, false) => EventAction::Disabled,
                    (false, true) => EventAction::Enabled,
                    _ => EventAction::Updated,
                };
                let detail = format!(
                    "user \"{}\" {}: {}",
                    new.user_name,
                    action.as_str(),
                    what.join(", ")
                );
                log(
                    conn,
                    org,
                    &change(actor, action, EventResource::User, id, detail),
                )?;
                let mut stored = rows.into_stored()?;
                stored.resource.groups = new.groups;
                Ok(stored)
            });
            match result {
                Err(StoreError::VersionMismatch) if if_match.is_none() && attempt < RETRIES => {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Deletes user `id` of `org` (logs `deleted`): removes its group memberships and clears it as anyone's
    /// manager. `false` if there is no such user. `if_match`: the version the client saw, checked in the same
    /// transaction, else [`StoreError::VersionMismatch`] and nothing is deleted.
    pub fn delete_user(
        &self,
        org: &str,
        id: &str,
        if_match: Option<i64>,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let d = Deletion {
            resource: EventResource::User,
            org,
            id,
            if_match,
            actor,
        };
        let mut conn = self.inner.write()?;
        delete_resource(
            &mut conn,
            &d,
            // Locked first (PostgreSQL): a write that is making this user someone's manager finishes before the
            // reports are cleared below (see `check_manager`), and the version checked is the one deleted.
            |conn| locked_name_and_version!(conn, users, user_name, org, id),
            |conn, user_name| {
                let t = micros(now());
                // The groups it leaves change: new version.
                let groups_changed = diesel::update(groups::table)
                    .filter(groups::org.eq(org))
                    .filter(in_subquery(
                        groups::id,
                        group_members::table
                            .filter(group_members::user_id.eq(id.to_string()))
                            .select(group_members::group_id)
                            .into_boxed::<MultiBackend>(),
                    ))
                    .set((
                        groups::version.eq(groups::version + 1),
                        groups::last_modified.eq(t),
                    ))
                    .execute(conn)?;
                diesel::delete(group_members::table.filter(group_members::user_id.eq(id)))
                    .execute(conn)?;
                let reports = diesel::update(users::table)
                    .filter(users::org.eq(org))
                    .filter(users::manager_id.eq(id))
                    .set((
                        users::manager_id.eq(None::<String>),
                        users::version.eq(users::version + 1),
                        users::last_modified.eq(t),
                    ))
                    .execute(conn)?;
                diesel::delete(user_emails::table.filter(user_emails::user_id.eq(id)))
                    .execute(conn)?;
                diesel::delete(user_addresses::table.filter(user_addresses::user_id.eq(id)))
                    .execute(conn)?;
                diesel::delete(
                    users::table
                        .filter(users::id.eq(id))
                        .filter(users::org.eq(org)),
                )
                .execute(conn)?;
                let mut detail = format!("user \"{user_name}\" deleted");
                if groups_changed > 0 {
                    detail.push_str(&format!("; removed from {groups_changed} group(s)"));
                }
                if reports > 0 {
                    detail.push_str(&format!("; cleared as manager of {reports} user(s)"));
                }
                Ok(detail)
            },
        )
    }
}
