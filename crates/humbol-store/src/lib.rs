//! Humbol's persistence: organisations, SCIM tokens, users, groups and the provisioning event log, on SQLite
//! (the embedded default) or PostgreSQL (production), through one code path. This is the only crate that knows
//! diesel; everything above it speaks [`Store`].
//!
//! A ten-minute tour:
//! - this file: the [`Store`] and [`Reader`] types (opening, pools, readiness), the value types and
//!   [`StoreError`]; each module adds the `impl Store` / `impl Reader` methods of its concern beside its queries;
//! - `pool`: `DbConn` (diesel `MultiConnection` over PostgreSQL and SQLite), the r2d2 connection manager that
//!   picks the backend from the URL scheme, start-up migrations, transactions;
//! - `schema` (diesel `table!`s) and `models` (row structs and conversions), migrations in `migrations/<backend>/`;
//! - one module per concern, each with its methods and queries: `orgs`, `tokens`, `users`, `groups`, `events`,
//!   `oauth`, `activity`;
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
use scim_core::resource::Stored;
use scim_core::ScimError;

mod activity;
pub mod event_counts;
mod events;
mod filter_doc;
mod filter_sql;
mod group_commit;
mod groups;
mod listing;
mod models;
mod oauth;
mod orgs;
mod page_cache;
mod pool;
mod schema;
mod statistics;
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
pub use page_cache::{PageCacheStats, PER_ORG as PAGE_CACHE_PER_ORG};

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
pub use pool::{establish_postgres, PoolStats};
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

    /// The outcome spelt `s` ([`Outcome::as_str`]), if any.
    pub fn parse(s: &str) -> Option<Outcome> {
        [Outcome::Success, Outcome::Refused]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

/// What an event records. Its spelling ([`EventAction::as_str`]) is what the event log stores, the admin API
/// documents (its OpenAPI enum, from [`EVENT_ACTIONS`]) and `/metrics` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventAction {
    Created,
    Updated,
    Disabled,
    Enabled,
    Deleted,
    Refused,
    TokenCreated,
    TokenRevoked,
    TokenIssued,
    TokenRefused,
    ClientCreated,
    ClientRevoked,
    SecretAdded,
    SecretRemoved,
    FederationSet,
    FederationRemoved,
}

impl EventAction {
    /// Every action, in [`EVENT_ACTIONS`]'s order.
    pub const ALL: [EventAction; 16] = [
        EventAction::Created,
        EventAction::Updated,
        EventAction::Disabled,
        EventAction::Enabled,
        EventAction::Deleted,
        EventAction::Refused,
        EventAction::TokenCreated,
        EventAction::TokenRevoked,
        EventAction::TokenIssued,
        EventAction::TokenRefused,
        EventAction::ClientCreated,
        EventAction::ClientRevoked,
        EventAction::SecretAdded,
        EventAction::SecretRemoved,
        EventAction::FederationSet,
        EventAction::FederationRemoved,
    ];

    /// The action as stored and shown: `created`, `token_revoked`, ...
    pub const fn as_str(self) -> &'static str {
        match self {
            EventAction::Created => "created",
            EventAction::Updated => "updated",
            EventAction::Disabled => "disabled",
            EventAction::Enabled => "enabled",
            EventAction::Deleted => "deleted",
            EventAction::Refused => "refused",
            EventAction::TokenCreated => "token_created",
            EventAction::TokenRevoked => "token_revoked",
            EventAction::TokenIssued => "token_issued",
            EventAction::TokenRefused => "token_refused",
            EventAction::ClientCreated => "client_created",
            EventAction::ClientRevoked => "client_revoked",
            EventAction::SecretAdded => "secret_added",
            EventAction::SecretRemoved => "secret_removed",
            EventAction::FederationSet => "federation_set",
            EventAction::FederationRemoved => "federation_removed",
        }
    }
}

/// The spellings of [`EventAction::ALL`].
const EVENT_ACTION_NAMES: [&str; EventAction::ALL.len()] = {
    let mut names = [""; EventAction::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = EventAction::ALL[i].as_str();
        i += 1;
    }
    names
};

/// Every `action` the event log holds ([`EventAction`]'s spellings), as the admin API documents them (its
/// OpenAPI enum) and `/metrics` counts them.
pub const EVENT_ACTIONS: &[&str] = &EVENT_ACTION_NAMES;

/// What kind of resource an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventResource {
    User,
    Group,
    /// A SCIM bearer token.
    Token,
    /// An OAuth client (and its secrets, federated credential and issued tokens).
    OAuthClient,
}

impl EventResource {
    /// The resource type as stored and shown: `User`, `Group`, `Token`, `OAuthClient`.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventResource::User => "User",
            EventResource::Group => "Group",
            EventResource::Token => "Token",
            EventResource::OAuthClient => "OAuthClient",
        }
    }
}

/// A provisioning event to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// Who: e.g. `token:<id>` or `admin:<sub>`.
    pub actor: String,
    pub action: EventAction,
    /// What kind of resource, if any.
    pub resource_type: Option<EventResource>,
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

/// Everything that can go wrong in the store. A failure of the database keeps its cause ([`Cause`], the
/// error's `source()`); what it means to a client (a status code) is the API's to decide.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Bad `DATABASE_URL`, unreachable database, failed migrations: a start-up error.
    #[error("database configuration: {0}")]
    Config(String),
    /// No connection could be had in time (pool exhausted, database down or known to be down), the connection
    /// was lost, a statement timed out, or SQLite could not write (locked by another process, read-only, I/O
    /// error): worth trying again later.
    #[error("database unavailable")]
    Unavailable(#[source] Cause),
    /// The database's storage is full (SQLite: `database or disk is full`); nothing was written.
    #[error("database storage full")]
    Full(#[source] Cause),
    /// PostgreSQL kept aborting the transaction to resolve deadlocks or serialization failures, also when the
    /// store ran it again (4 attempts in all); nothing was written.
    #[error("database contention")]
    Contention(#[source] Cause),
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
    /// Any other database error, or stored data that breaks an invariant (e.g. a corrupt column).
    #[error("database error")]
    Database(#[source] Cause),
}

impl StoreError {
    /// The error and its chain of causes, `: `-separated: what a log line shows (never a client).
    pub fn report(&self) -> String {
        let mut out = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(e) = cause {
            out.push_str(": ");
            out.push_str(&e.to_string());
            cause = e.source();
        }
        out
    }
}

/// The cause of a database failure ([`StoreError`]): the database's, pool's or decoder's own error, or the
/// store's description when there is none. Cheap to clone (shared); two causes are equal when they read the
/// same, so that errors can still be compared in tests.
#[derive(Clone)]
pub struct Cause(Arc<dyn std::error::Error + Send + Sync + 'static>);

impl Cause {
    /// The cause `e`.
    pub fn new(e: impl std::error::Error + Send + Sync + 'static) -> Cause {
        Cause(Arc::new(e))
    }

    /// `e`, described by `context` (e.g. which row could not be read).
    pub fn context(
        context: impl Into<String>,
        e: impl std::error::Error + Send + Sync + 'static,
    ) -> Cause {
        Cause::new(Context {
            context: context.into(),
            source: Box::new(e),
        })
    }
}

/// A cause that is only a description.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Message(String);

/// A cause with a description of where it happened.
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
struct Context {
    context: String,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync + 'static>,
}

impl From<String> for Cause {
    fn from(message: String) -> Cause {
        Cause::new(Message(message))
    }
}

impl From<&str> for Cause {
    fn from(message: &str) -> Cause {
        Cause::from(message.to_string())
    }
}

impl std::fmt::Debug for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for Cause {
    fn eq(&self, other: &Cause) -> bool {
        self.0.to_string() == other.0.to_string()
    }
}

impl Eq for Cause {}

/// Humbol's store: cheap to clone (an `Arc` inside), `Send + Sync`. Calls block: from async code run them on a
/// blocking thread (e.g. `actix_web::web::block`).
#[derive(Clone)]
pub struct Store {
    inner: Arc<pool::Pools>,
    /// Concurrent creates of users, grouped into one transaction ([`users::create_users`]).
    creates: Arc<group_commit::GroupCommit<users::NewUser, Stored<scim_core::resource::User>>>,
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
            creates: Arc::new(group_commit::GroupCommit::new(users::create_users)),
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
            pages: self.inner.pages.clone(),
        })
    }

    /// A read connection for batches of look-ups by key ([`Reader::authenticate_and_find_users`]), waiting for
    /// one like [`Store::reader`]. PostgreSQL: from a pool of its own, whose connections plan each statement
    /// once (a batch's `= ANY($1)` would otherwise be planned again for every array); SQLite: the read pool.
    pub fn lookup_reader(&self) -> Result<Reader, StoreError> {
        Ok(Reader {
            conn: self.inner.lookup()?,
            pages: self.inner.pages.clone(),
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
            Backend::Sqlite => self.inner.try_read().map(|conn| Reader {
                conn,
                pages: self.inner.pages.clone(),
            }),
            Backend::Postgres => None,
        }
    }

    /// How index pagination found its pages' starts (see the store's `page_cache` module): pages after the
    /// first read by keyset from a cached position, or by `OFFSET`.
    pub fn index_page_stats(&self) -> PageCacheStats {
        self.inner.pages.stats()
    }

    /// PostgreSQL: how many times the store refreshed its tables' statistics (`ANALYZE`) after many writes, so
    /// that no statement keeps a plan made when the tables were small (see the store's `statistics` module);
    /// SQLite: always 0.
    pub fn statistics_refreshes(&self) -> u64 {
        self.inner.statistics.refreshes()
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
    /// probes a fresh connection in the background, and opens the circuit if that gets no answer within a
    /// second. Never blocks.
    pub fn suspect(&self) {
        self.inner.suspect()
    }

    /// Whether the database is known to be down (the circuit is open): every call fails at once with
    /// [`StoreError::Unavailable`] until the background probe gets an answer. Never blocks.
    pub fn is_down(&self) -> bool {
        self.inner.is_down()
    }

    /// The longest a store call takes on a database that answers (waits for a connection and a lock, the
    /// statement timeout): a caller may answer 503 past it even if the call has not returned.
    pub fn call_deadline(&self) -> std::time::Duration {
        self.inner.call_deadline()
    }
}

/// One read connection checked out of the pool ([`Store::reader`], [`Store::try_local_reader`]), for several
/// reads in a row: the per-request hot path authenticates the token and looks the user up on one connection.
/// Dropping it returns the connection to the pool. Calls block (see [`Store::try_local_reader`] for when that
/// is fine on an async thread).
pub struct Reader {
    conn: pool::Conn,
    /// The store's index pagination positions.
    pages: Arc<page_cache::PageCache>,
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
}
