//! Humbol's persistence: organisations, SCIM tokens, users, groups and the provisioning event log, on SQLite
//! (the embedded default) or PostgreSQL (production), through one code path. This is the only crate that knows
//! diesel; everything above it speaks [`Store`].
//!
//! A ten-minute tour:
//! - this file: the public API ([`Store`] and its value types, [`StoreError`]);
//! - `pool`: `DbConn` (diesel `MultiConnection` over PostgreSQL and SQLite), the r2d2 connection manager that
//!   picks the backend from the URL scheme, start-up migrations, transactions;
//! - `schema` (diesel `table!`s) and `models` (row structs and conversions), migrations in `migrations/<backend>/`;
//! - one module per concern: `orgs`, `tokens`, `users`, `groups`, `events`;
//! - `filter_sql`: a SCIM filter / sortBy compiled to a diesel expression, so that no query filters in Rust;
//! - `testing` (feature `testing`): throw-away databases for tests, on either backend.
//!
//! Rules kept everywhere: every call takes the organisation slug and every query is scoped by it (another
//! organisation's id is simply "not found"); every change writes its provisioning event in the same transaction;
//! uniqueness is the database's (unique indexes mapped to [`StoreError::Conflict`]); times are stored as
//! microseconds since the epoch (BIGINT) and ids are UUID v4 text.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use scim_core::filter::Filter;
use scim_core::path::AttrPath;
use scim_core::resource::{Group, Stored, User};
use scim_core::ScimError;

mod activity;
pub mod event_counts;
mod events;
mod filter_doc;
mod filter_sql;
mod groups;
mod models;
mod oauth;
mod orgs;
mod pool;
mod schema;
mod tokens;
mod user_groups;
mod users;

pub use oauth::{
    ClientCredential, ClientInfo, ClientSecretInfo, Federation, IssuedAccessToken, NewAccessToken,
    NewClient, NewClientSecret, TokenRefusal,
};

#[cfg(feature = "testing")]
pub mod testing;

pub use activity::ProvisioningStatus;

/// The database behind a [`Store`], chosen by the `DATABASE_URL` scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// `sqlite://PATH`: the embedded default.
    Sqlite,
    /// `postgres://...` / `postgresql://...`: production.
    Postgres,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

/// Connection pool settings. `Default` suits the service: PostgreSQL gets one pool of 2 × cores connections;
/// SQLite gets one dedicated writer connection plus a read pool of `max_size` connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolOptions {
    /// PostgreSQL: connections in the (only) pool. SQLite: connections in the read pool (the writer is always
    /// one connection). 0 = automatic (2 × cores, at least 2).
    pub max_size: u32,
    /// How long a caller waits for a free connection before [`StoreError::Unavailable`]; also PostgreSQL's connect timeout (libpq's `connect_timeout`, whole seconds, at least 2).
    pub connection_timeout: std::time::Duration,
    /// SQLite `busy_timeout`: how long a connection waits on another process's lock.
    pub sqlite_busy_timeout: std::time::Duration,
    /// PostgreSQL `statement_timeout` of every connection (`None`: the server's): a statement running longer
    /// is cancelled and answered as [`StoreError::Unavailable`].
    pub statement_timeout: Option<std::time::Duration>,
}

impl Default for PoolOptions {
    /// The defaults of `HUMBOL_DB_WAIT_SECS` (2 s, for the pool, the connect and SQLite's lock) and
    /// `HUMBOL_DB_STATEMENT_TIMEOUT_SECS` (30 s).
    fn default() -> Self {
        PoolOptions {
            max_size: 0,
            connection_timeout: std::time::Duration::from_secs(2),
            sqlite_busy_timeout: std::time::Duration::from_secs(2),
            statement_timeout: Some(std::time::Duration::from_secs(30)),
        }
    }
}

/// What support configures for an organisation (`PUT /api/v1/orgs/{org}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgSettings {
    pub name: String,
    pub scim_enabled: bool,
    /// The organisation's Humbol roles, in their canonical spelling.
    pub roles: Vec<String>,
    /// The role of a user provisioned without one; one of `roles`.
    pub default_role: String,
}

/// An organisation (tenant). `slug` is its immutable key (`[a-z0-9-]{1,63}`, checked by the API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub slug: String,
    pub name: String,
    pub scim_enabled: bool,
    pub roles: Vec<String>,
    pub default_role: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// A SCIM bearer token to store. Only its SHA-256 `hash` is kept, never the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    pub name: String,
    pub hash: [u8; 32],
    /// A short, non-secret hint shown in listings (e.g. the prefix and last characters).
    pub hint: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A token's metadata (never its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub hint: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A successful token look-up: which token, and its organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenAuth {
    pub token_id: String,
    pub org: Org,
}

/// What a read made with a token found: the live token (with its organisation) and what was read; `None`: no
/// live token with that hash.
pub type Authenticated<T> = Option<(TokenAuth, T)>;

/// A list query (`GET /Users?filter=..&sortBy=..&startIndex=..&count=..`). The filter and sort attribute are
/// compiled to SQL; an attribute Humbol does not store is [`StoreError::InvalidFilter`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub filter: Option<Filter>,
    /// Default order: `meta.created`, then `id`.
    pub sort_by: Option<AttrPath>,
    pub descending: bool,
    /// 0-based (SCIM `startIndex` - 1).
    pub offset: u64,
    /// Page size; 0 returns only `total`.
    pub limit: u64,
    /// RFC 9865 cursor pagination: the page starts at this position (`offset` is then ignored) and is read by
    /// keyset, its cost independent of the position; the page's `total` is then only its length, and
    /// [`Page::next`] / [`Page::previous`] are set. `None`: index pagination.
    pub cursor: Option<scim_core::cursor::Position>,
}

impl Default for Query {
    /// No filter, default order, the first 100.
    fn default() -> Self {
        Query {
            filter: None,
            sort_by: None,
            descending: false,
            offset: 0,
            limit: 100,
            cursor: None,
        }
    }
}

impl Query {
    /// Whether [`Store::list_users`] answers this query with ONE indexed statement: a look-up by a unique key
    /// (`userName`, `externalId` or `id eq ".."`) on the first page, which is what Entra sends before every
    /// create or update. A cheap read, as [`Store::try_local_reader`] wants.
    pub fn is_user_key_lookup(&self) -> bool {
        users::is_key_lookup(self)
    }
}

/// One page of a list query and the total number of matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub total: u64,
    pub items: Vec<Stored<T>>,
    /// Cursor pagination: where the next page starts, when rows follow.
    pub next: Option<scim_core::cursor::Position>,
    /// Cursor pagination: where the previous page starts, when rows precede.
    pub previous: Option<scim_core::cursor::Position>,
}

impl<T> Default for Page<T> {
    /// No matches.
    fn default() -> Self {
        Page {
            total: 0,
            items: Vec::new(),
            next: None,
            previous: None,
        }
    }
}

/// A change to a group's member set (from PATCH), applied by the store as row inserts/deletes.
pub use pool::PoolStats;
pub use scim_core::patch::MemberChange;
pub use tokens::MAX_LIVE_TOKENS;

/// An event's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Success,
    Refused,
}

impl Outcome {
    /// `success` / `refused`, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Refused => "refused",
        }
    }
}

/// Every `action` the event log holds, as the admin API documents them (its OpenAPI enum) and `/metrics`
/// counts them. Writing an event whose action is not here is a bug (a debug assertion catches it in tests).
pub const EVENT_ACTIONS: &[&str] = &[
    "created",
    "updated",
    "disabled",
    "enabled",
    "deleted",
    "refused",
    "token_created",
    "token_revoked",
    "token_issued",
    "token_refused",
    "client_created",
    "client_revoked",
    "secret_added",
    "secret_removed",
    "federation_set",
    "federation_removed",
];

/// A provisioning event to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// Who: e.g. `token:<id>` or `admin:<sub>`.
    pub actor: String,
    /// `created`, `updated`, `disabled`, `enabled`, `deleted`, `refused`, `token_created`, `token_revoked`, ...
    pub action: String,
    /// `User`, `Group`, `Token`, or none.
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub outcome: Outcome,
    /// Human-readable: which resource, what changed, or why it was refused.
    pub detail: String,
}

/// A logged provisioning event. `id` grows with time: it is the pagination cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub outcome: Outcome,
    pub detail: String,
}

/// A page request of the event log, newest first, with the page's filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventQuery {
    /// Only events with `id < before` (the previous page's last id).
    pub before: Option<i64>,
    /// Page size (the admin API asks one more to know whether a next page exists).
    pub limit: u64,
    pub outcome: Option<Outcome>,
    /// Only this action (`created`, `refused`, `token_revoked`, ...).
    pub action: Option<String>,
    /// Only this resource type (`User`, `Group`, `Token`, ...).
    pub resource_type: Option<String>,
}

impl Default for EventQuery {
    fn default() -> Self {
        EventQuery {
            before: None,
            limit: 50,
            outcome: None,
            action: None,
            resource_type: None,
        }
    }
}

/// Everything that can go wrong in the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Bad `DATABASE_URL`, unreachable database, failed migrations: a start-up error.
    #[error("database configuration: {0}")]
    Config(String),
    /// No connection could be had in time (pool exhausted, database down or known to be down), the connection
    /// was lost, a statement timed out, or SQLite could not write (locked by another process, read-only, I/O
    /// error): worth trying again later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database's storage is full (SQLite: `database or disk is full`); nothing was written.
    #[error("database storage full: {0}")]
    Full(String),
    /// PostgreSQL kept aborting the transaction to resolve deadlocks or serialization failures, also when the
    /// store ran it again (4 attempts in all); nothing was written.
    #[error("database contention: {0}")]
    Contention(String),
    /// No such resource in this organisation.
    #[error("not found")]
    NotFound,
    /// A unique index refused the write: `attribute` (SCIM name, e.g. `userName`) already has `value`.
    #[error("{attribute} \"{value}\" is already taken")]
    Conflict { attribute: String, value: String },
    /// `if_match` named another version, or concurrent changes kept winning.
    #[error("the resource was changed concurrently (version mismatch)")]
    VersionMismatch,
    /// The filter or sortBy names an attribute (or operator/value combination) the store cannot query.
    #[error("invalid filter: {0}")]
    InvalidFilter(String),
    /// The caller's update function (or a validation in the store) refused the change; nothing was written.
    #[error("rejected: {0}")]
    Rejected(ScimError),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(String),
}

/// Humbol's store: cheap to clone (an `Arc` inside), `Send + Sync`. Calls block: from async code run them on a
/// blocking thread (e.g. `actix_web::web::block`).
#[derive(Clone)]
pub struct Store {
    inner: Arc<pool::Pools>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.inner.backend)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the database named by `database_url` and runs pending migrations.
    ///
    /// `sqlite://PATH` (e.g. `sqlite://humbol.db`; `sqlite::memory:` for a private in-memory database) or
    /// `postgres://...` / `postgresql://...`. Any other scheme, a bad URL or an unreachable database is
    /// [`StoreError::Config`] with a clear message (never a silent new SQLite file for a typo'd scheme).
    /// Several processes may open the same database at once: migrations are serialised (PostgreSQL: an advisory
    /// lock; SQLite: `BEGIN IMMEDIATE` with a busy timeout).
    pub fn open(database_url: &str, opts: &PoolOptions) -> Result<Store, StoreError> {
        Ok(Store {
            inner: Arc::new(pool::Pools::open(database_url, opts)?),
        })
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// A read connection for several reads in a row (one pool checkout), waiting for one up to the pool's
    /// `connection_timeout`. Blocks: run it on a blocking thread.
    pub fn reader(&self) -> Result<Reader, StoreError> {
        Ok(Reader {
            conn: self.inner.read()?,
        })
    }

    /// A read connection for batches of look-ups by key ([`Reader::authenticate_and_find_users`]), waiting for
    /// one like [`Store::reader`]. PostgreSQL: from a pool of its own, whose connections plan each statement
    /// once (a batch's `= ANY($1)` would otherwise be planned again for every array); SQLite: the read pool.
    pub fn lookup_reader(&self) -> Result<Reader, StoreError> {
        Ok(Reader {
            conn: self.inner.lookup()?,
        })
    }

    /// How many [`Store::lookup_reader`] connections there are: how many batches can run at once.
    pub fn lookup_readers(&self) -> usize {
        self.inner.lookup_size()
    }

    /// A read connection that may be used on an async worker thread, if there is one right now: SQLite only (a
    /// look-up there is a local B-tree search of a few microseconds, cheaper than a hop to a blocking thread)
    /// and only when a connection is idle (this never waits). `None` on PostgreSQL, whose reads are network
    /// round trips: use [`Store::reader`] on a blocking thread. Use it only for reads by a key (a user by id,
    /// [`Query::is_user_key_lookup`]), never for scans, pages of many users or writes: those would stall every
    /// request on that worker.
    pub fn try_local_reader(&self) -> Option<Reader> {
        match self.inner.backend {
            Backend::Sqlite => self.inner.try_read().map(|conn| Reader { conn }),
            Backend::Postgres => None,
        }
    }

    /// The pools' connection counts, for `/metrics`.
    pub fn pool_stats(&self) -> Vec<PoolStats> {
        self.inner.stats()
    }

    /// A trivial query through the read pool.
    pub fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping()
    }

    /// Whether requests can be served now, for `/readyz`: the database is not known to be down and answers,
    /// and a SQLite file is still the one opened at start-up and can be written ([`StoreError::Unavailable`]
    /// says why not). Blocks up to the pool's wait.
    pub fn check_ready(&self) -> Result<(), StoreError> {
        self.inner.check_ready()
    }

    /// Tells the store that the database may be stalled (e.g. a readiness check got no answer in time): it
    /// probes a fresh connection in the background, and opens the circuit if that gets no answer within the
    /// connect timeout. Never blocks.
    pub fn suspect(&self) {
        self.inner.suspect()
    }

    // ---- organisations ----

    /// Creates or updates the organisation `slug`; `true` when it was created.
    pub fn put_org(&self, slug: &str, s: &OrgSettings) -> Result<(Org, bool), StoreError> {
        orgs::put_org(&self.inner, slug, s)
    }

    /// The organisation `slug`, if it exists.
    pub fn org(&self, slug: &str) -> Result<Option<Org>, StoreError> {
        orgs::org(&self.inner, slug)
    }

    // ---- SCIM tokens ----

    /// Stores a new token of `org` (only its hash) and logs `token_created` in the same transaction.
    /// [`StoreError::NotFound`] if the organisation does not exist; [`StoreError::Rejected`] (409) if it already
    /// has [`MAX_LIVE_TOKENS`] live tokens.
    pub fn create_token(
        &self,
        org: &str,
        t: &NewToken,
        actor: &str,
    ) -> Result<TokenInfo, StoreError> {
        tokens::create_token(&self.inner, org, t, actor)
    }

    /// The organisation's tokens (revoked and expired included), newest first.
    pub fn tokens(&self, org: &str) -> Result<Vec<TokenInfo>, StoreError> {
        tokens::tokens_page(&self.inner, org, None, i64::MAX)
    }

    /// A page of the organisation's tokens, newest first: at most `limit`, older than token `before` when given
    /// ([`StoreError::NotFound`] if `org` has no token `before`).
    pub fn tokens_page(
        &self,
        org: &str,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<TokenInfo>, StoreError> {
        tokens::tokens_page(&self.inner, org, before, limit)
    }

    /// Revokes token `id` of `org` and logs `token_revoked`; `false` if `org` has no such token. Revoking an
    /// already revoked token is `true` and keeps the first revocation time.
    pub fn revoke_token(&self, org: &str, id: &str, actor: &str) -> Result<bool, StoreError> {
        tokens::revoke_token(&self.inner, org, id, actor)
    }

    /// The live token with this SHA-256 hash — not revoked, not expired at `now` — with its organisation, in one
    /// indexed query (the per-request hot path). Whether the organisation has SCIM enabled (`org.scim_enabled`)
    /// is the caller's to check.
    pub fn authenticate(
        &self,
        token_hash: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Option<TokenAuth>, StoreError> {
        self.reader()?.authenticate(token_hash, now)
    }

    /// Records when tokens were last used (a batched flush): `(token id, time)` pairs; a time never moves a
    /// token's `last_used_at` backwards.
    pub fn record_token_uses(&self, uses: &[(String, DateTime<Utc>)]) -> Result<(), StoreError> {
        tokens::record_token_uses(&self.inner, uses)
    }

    // ---- users ----

    /// Creates a user in `org` (logs `created`). `userName` (case-insensitively) and `externalId` are unique
    /// per organisation: [`StoreError::Conflict`]. `user.role` is stored as given (the API applies the org's
    /// role rules first). A manager must be a user of `org`, else `Rejected(invalidValue)` (checked in the
    /// write transaction, as by the updates).
    pub fn create_user(
        &self,
        org: &str,
        user: &User,
        actor: &str,
    ) -> Result<Stored<User>, StoreError> {
        users::create_user(&self.inner, org, user, actor)
    }

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
        users::update_user(&self.inner, org, id, if_match, actor, &mut f)
    }

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
        users::update_user(&self.inner, org, id, if_match, actor, f)
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
        users::delete_user(&self.inner, org, id, if_match, actor)
    }

    // ---- groups ----

    /// Creates a group (logs `created`). `displayName` (case-insensitively) and `externalId` are unique per
    /// organisation; member ids must be users of this organisation, else `Rejected(invalidValue)`.
    pub fn create_group(
        &self,
        org: &str,
        g: &Group,
        actor: &str,
    ) -> Result<Stored<Group>, StoreError> {
        groups::create_group(&self.inner, org, g, actor)
    }

    /// The group `id` of `org`; with `with_members = false` its members are not loaded (left empty).
    pub fn group(
        &self,
        org: &str,
        id: &str,
        with_members: bool,
    ) -> Result<Option<Stored<Group>>, StoreError> {
        groups::group(&self.inner, org, id, with_members)
    }

    /// A page of `org`'s groups matching `q`, with or without their members.
    pub fn list_groups(
        &self,
        org: &str,
        q: &Query,
        with_members: bool,
    ) -> Result<Page<Group>, StoreError> {
        groups::list_groups(&self.inner, org, q, with_members)
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
        groups::update_group(&self.inner, org, id, if_match, actor, &members, &mut f)
    }

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
        groups::update_group(&self.inner, org, id, if_match, actor, members, f)
    }

    /// Deletes group `id` of `org` and its memberships (logs `deleted`); `false` if there is no such group.
    /// `if_match` as for [`Store::delete_user`].
    pub fn delete_group(
        &self,
        org: &str,
        id: &str,
        if_match: Option<i64>,
        actor: &str,
    ) -> Result<bool, StoreError> {
        groups::delete_group(&self.inner, org, id, if_match, actor)
    }

    // ---- provisioning event log ----

    /// Logs an event that is not a side effect of a change here (e.g. a refused request).
    pub fn record_event(&self, org: &str, e: &NewEvent) -> Result<(), StoreError> {
        events::record_event(&self.inner, org, e)
    }

    /// The organisation's events, newest first, paginated by `q.before`.
    pub fn events(&self, org: &str, q: &EventQuery) -> Result<Vec<Event>, StoreError> {
        events::events(&self.inner, org, q)
    }

    /// Deletes every organisation's events older than `older_than`; returns how many.
    pub fn prune_events(&self, older_than: DateTime<Utc>) -> Result<u64, StoreError> {
        events::prune_events(&self.inner, older_than)
    }
}

/// One read connection checked out of the pool ([`Store::reader`], [`Store::try_local_reader`]), for several
/// reads in a row: the per-request hot path authenticates the token and looks the user up on one connection.
/// Dropping it returns the connection to the pool. Calls block (see [`Store::try_local_reader`] for when that
/// is fine on an async thread).
pub struct Reader {
    conn: pool::Conn,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").finish_non_exhaustive()
    }
}

impl Reader {
    /// Runs `f` (several reads, e.g. the token check and then the operation's reads) on one snapshot: on SQLite
    /// one read transaction, so one round of WAL locking instead of one per statement; on PostgreSQL the
    /// statements run as they are (no BEGIN/COMMIT round trips).
    pub fn snapshot<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut Reader) -> Result<T, E>,
    ) -> Result<T, E> {
        // `pool::read_txn`, around a closure that takes the whole reader.
        let began = pool::begin_read(&mut self.conn)?;
        let out = f(self);
        pool::end_read(&mut self.conn, began, out)
    }

    /// See [`Store::authenticate`].
    pub fn authenticate(
        &mut self,
        token_hash: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Option<TokenAuth>, StoreError> {
        tokens::authenticate(&mut self.conn, token_hash, now)
    }

    /// See [`Store::user`].
    pub fn user(&mut self, org: &str, id: &str) -> Result<Option<Stored<User>>, StoreError> {
        users::user(&mut self.conn, org, id)
    }

    /// See [`Store::list_users`].
    pub fn list_users(&mut self, org: &str, q: &Query) -> Result<Page<User>, StoreError> {
        users::list_users(&mut self.conn, org, q)
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
        users::authenticate_and_list_users(&mut self.conn, token_hash, now, q)
    }

    /// [`Reader::authenticate_and_list_users`] for several queries that carry the same token, e.g. concurrent
    /// look-ups coalesced into one batch. On PostgreSQL the look-ups by key take ONE statement per kind of key
    /// (`userName`, `externalId`, `id`: `= ANY($1)`, so one round trip for the batch), each with the token check;
    /// any other query is answered as [`Reader::list_users`] would. On SQLite (local reads, no round trips to
    /// save) each query is answered on its own. The pages are in the order of `queries`. `None`: no live token
    /// with this hash. The same caveat: the caller checks the organisation.
    pub fn authenticate_and_find_users(
        &mut self,
        token_hash: &[u8; 32],
        now: DateTime<Utc>,
        queries: &[Query],
    ) -> Result<Authenticated<Vec<Page<User>>>, StoreError> {
        users::authenticate_and_find_users(&mut self.conn, token_hash, now, queries)
    }
}
