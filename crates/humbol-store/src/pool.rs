//! Connections, pools, migrations and transactions.
//!
//! - [`DbConn`]: diesel's `MultiConnection` over PostgreSQL and SQLite; all queries are written once against it.
//! - [`Manager`]: the r2d2 manager that builds the variant named by the URL scheme (and sets SQLite's pragmas).
//! - [`Pools`]: SQLite gets one dedicated writer connection (SQLite allows one writer at a time: a single writer
//!   beats a pool of writers in busy back-off) and a read pool; PostgreSQL gets one pool for both. r2d2 does not
//!   ping connections on check-out (that costs a third of the lookup throughput).
//! - [`write_txn`] / [`read_txn`]: the transactions every module uses; a PostgreSQL write transaction aborted
//!   by a deadlock or a serialization failure is run again ([`TXN_ATTEMPTS`]).
//! - [`Health`]: the circuit. While the database is known to be down, a checkout fails at once
//!   ([`StoreError::Unavailable`]) and a background probe tries a fresh connection until one answers; a pooled
//!   connection that lost its server, or was opened before an outage, is discarded instead of reused.
//! - [`classify`]: which database failures are the client's (4xx), the database's being unavailable (503) or
//!   full (507), or a transaction to run again.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{HandleError, ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::events::{change, log};
use crate::{Backend, Cause, EventAction, EventResource, PoolOptions, StoreError};

/// One database connection of either backend.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// The migrations of each backend, compiled into the binary.
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
/// See [`SQLITE_MIGRATIONS`].
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Key of the PostgreSQL advisory lock held while migrating (advisory locks are per database).
const MIGRATION_LOCK_KEY: i64 = 0x4855_4d42_4f4c; // "HUMBOL"

/// What a `DATABASE_URL` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A SQLite database file.
    SqliteFile(String),
    /// A private in-memory SQLite database (one connection).
    SqliteMemory,
    /// A PostgreSQL connection URL.
    Postgres(String),
}

impl Target {
    /// Parses a `DATABASE_URL`; anything but `sqlite://PATH`, `sqlite::memory:` and `postgres(ql)://...` is a
    /// configuration error.
    pub fn parse(url: &str) -> Result<Target, StoreError> {
        let url = url.trim();
        if url == "sqlite::memory:" || url == "sqlite://:memory:" {
            return Ok(Target::SqliteMemory);
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(StoreError::Config(
                    "DATABASE_URL `sqlite://` names no file: use sqlite://PATH, e.g. sqlite://humbol.db".into(),
                ));
            }
            return Ok(Target::SqliteFile(path.to_string()));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Target::Postgres(url.to_string()));
        }
        Err(StoreError::Config(format!(
            "DATABASE_URL={:?}: {}",
            redact(url),
            humbol_config::parse::database_url(url)
                .err()
                .unwrap_or_else(|| "unsupported URL".to_string())
        )))
    }

    /// The backend of this target.
    pub fn backend(&self) -> Backend {
        match self {
            Target::SqliteFile(_) | Target::SqliteMemory => Backend::Sqlite,
            Target::Postgres(_) => Backend::Postgres,
        }
    }
}

/// A database URL with its secrets removed, for messages (the one redaction the binaries also use).
pub use humbol_config::redact_database_url as redact;

/// The page cache of each SQLite connection, in KiB (SQLite's default is 2000). 8 MiB holds a 10k-user
/// organisation whole, so a look-up reads no page from the file; at 1M users it keeps the b-trees' upper levels.
/// Each connection fills its own, and look-ups use one or two of the read pool's: the server stays well
/// under 64 MiB of RSS at 1M users (docs/benchmarks.md).
const SQLITE_CACHE_KIB: u32 = 8192;
/// SQLite copies the write-ahead log back into the database file (a checkpoint) when a commit finds the log
/// longer than this many pages (4 KiB each: a log of up to 64 MiB), in the committing connection, so the one
/// writer stops for it. Each checkpoint copies every page written since the last, and a burst of creates writes
/// the same index pages again and again: fewer, larger checkpoints copy far fewer pages. Entra's initial cycle
/// of 100k users took 33.4 and 34.8 s with SQLite's default (1,000 pages), 29.5 and 34.0 s with this, and its
/// p99 fell from 11 to 4–5 ms (`bench/run --only cycle --cycle-users 100000 --backends sqlite`).
const SQLITE_WAL_AUTOCHECKPOINT_PAGES: u32 = 16_000;

/// Why SQLite cannot open or create the database file `path`, said in terms of the file system (SQLite says only
/// "unable to open database file"): a missing directory, one that is not a directory, a file or directory that
/// cannot be written. `None` when none of these is the cause. SQLite creates the file and, in WAL mode, `-wal`
/// and `-shm` files beside it, so its directory must be writable.
fn sqlite_file_problem(path: &str) -> Option<String> {
    if path.starts_with("file:") {
        return None; // an SQLite URI: its options may explain the failure, leave it to SQLite's message
    }
    let file = std::path::Path::new(path);
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    match std::fs::metadata(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Some(format!("directory {} does not exist", dir.display()))
        }
        Err(e) => return Some(format!("cannot use directory {}: {e}", dir.display())),
        Ok(m) if !m.is_dir() => return Some(format!("{} is not a directory", dir.display())),
        Ok(_) => {}
    }
    if let Err(e) = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(file)
    {
        return Some(format!("cannot create or write {}: {e}", file.display()));
    }
    // The -wal and -shm files: probe with a file of our own, removed at once.
    let probe = dir.join(format!(".humbol-write-check-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            None
        }
        Err(e) => Some(format!(
            "directory {} is not writable (SQLite creates its -wal and -shm files there): {e}",
            dir.display()
        )),
    }
}

/// r2d2 manager: connects to the [`Target`] and prepares the connection.
#[derive(Debug, Clone)]
pub struct Manager {
    target: Target,
    busy_timeout: Duration,
    /// PostgreSQL: `statement_timeout` of every connection (`None`: the server's).
    statement_timeout: Option<Duration>,
    /// PostgreSQL: libpq's `connect_timeout` (whole seconds, at least 2), unless the URL sets one.
    connect_timeout: Option<Duration>,
    /// PostgreSQL: `plan_cache_mode = force_generic_plan` on every connection (see [`LOOKUP_POOL_SIZE`]).
    generic_plans: bool,
    health: Arc<Health>,
}

impl Manager {
    /// A manager for `target`.
    pub fn new(target: Target, busy_timeout: Duration) -> Manager {
        Manager {
            target,
            busy_timeout,
            statement_timeout: None,
            connect_timeout: None,
            generic_plans: false,
            health: Arc::new(Health::default()),
        }
    }

    /// One new connection, prepared (not pooled, not tracked by the circuit).
    pub fn connect(&self) -> Result<DbConn, diesel::r2d2::Error> {
        match &self.target {
            Target::SqliteFile(path) => self.sqlite(path),
            Target::SqliteMemory => self.sqlite(":memory:"),
            Target::Postgres(url) => self.postgres(url),
        }
    }

    /// This manager, its PostgreSQL connections planning each prepared statement once, whatever its parameters.
    fn with_generic_plans(self) -> Manager {
        Manager {
            generic_plans: true,
            ..self
        }
    }

    fn postgres(&self, url: &str) -> Result<DbConn, diesel::r2d2::Error> {
        let url = with_connection_options(url, self.connect_timeout);
        let mut conn = establish_postgres(&url).map_err(diesel::r2d2::Error::ConnectionError)?;
        let mut settings = String::new();
        if let Some(t) = self.statement_timeout {
            settings.push_str(&format!(
                "SET statement_timeout = {};",
                t.as_millis().max(1)
            ));
        }
        if self.generic_plans {
            settings.push_str("SET plan_cache_mode = force_generic_plan;");
        }
        if !settings.is_empty() {
            conn.batch_execute(&settings)
                .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(DbConn::Postgres(conn))
    }

    fn sqlite(&self, path: &str) -> Result<DbConn, diesel::r2d2::Error> {
        let mut conn = diesel::SqliteConnection::establish(path)
            .map_err(diesel::r2d2::Error::ConnectionError)?;
        // busy_timeout first: switching to WAL may have to wait for another process.
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
             PRAGMA foreign_keys = ON; PRAGMA case_sensitive_like = ON; PRAGMA cache_size = -{}; \
             PRAGMA wal_autocheckpoint = {};",
            self.busy_timeout.as_millis(),
            SQLITE_CACHE_KIB,
            SQLITE_WAL_AUTOCHECKPOINT_PAGES
        ))
        .map_err(diesel::r2d2::Error::QueryError)?;
        Ok(DbConn::Sqlite(conn))
    }
}

/// TCP options of every PostgreSQL connection (libpq's names), unless the URL sets them: keepalives after 10 s
/// of silence, every 5 s, 3 unanswered ones drop the connection; data sent and not acknowledged for 10 s drops
/// it too (`tcp_user_timeout`, milliseconds). A server host that vanished (a crashed VM, a cut network) then
/// fails its connections within seconds instead of the kernel's retransmission time (about 15 minutes). A
/// server process that is merely stopped (SIGSTOP) is still acknowledged by its kernel: the circuit's probe
/// and the callers' deadline handle that case.
const TCP_OPTIONS: [(&str, &str); 5] = [
    ("keepalives", "1"),
    ("keepalives_idle", "10"),
    ("keepalives_interval", "5"),
    ("keepalives_count", "3"),
    ("tcp_user_timeout", "10000"),
];

/// `url` with libpq's `connect_timeout` parameter (whole seconds; libpq takes at least 2) and the
/// [`TCP_OPTIONS`] added, each unless the URL has it already.
fn with_connection_options(url: &str, timeout: Option<Duration>) -> String {
    let mut out = url.to_string();
    let connect_timeout = timeout.map(|t| (t.as_secs_f64().ceil().max(2.0) as u64).to_string());
    let options = connect_timeout
        .as_deref()
        .map(|secs| ("connect_timeout", secs))
        .into_iter()
        .chain(TCP_OPTIONS);
    for (name, value) in options {
        if url.contains(&format!("{name}=")) {
            continue;
        }
        let sep = if out.contains('?') { '&' } else { '?' };
        out = format!("{out}{sep}{name}={value}");
    }
    out
}

impl ManageConnection for Manager {
    type Connection = Tracked;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Tracked, Self::Error> {
        let epoch = self.health.epoch();
        Manager::connect(self).map(|conn| Tracked {
            conn,
            epoch,
            idle_since: Instant::now(),
        })
    }

    fn is_valid(&self, conn: &mut Tracked) -> Result<(), Self::Error> {
        conn.conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    /// Called when a connection comes back to the pool: it is discarded if it lost its server while it was out
    /// ([`classify`] saw that on this thread), was opened before the last outage, or its transaction is broken.
    fn has_broken(&self, conn: &mut Tracked) -> bool {
        conn.idle_since = Instant::now();
        if CONNECTION_LOST.take() {
            self.health.outdate();
            return true;
        }
        conn.epoch != self.health.epoch() || conn.conn.is_broken()
    }
}

/// A pooled connection and what the pool knows of it.
pub struct Tracked {
    conn: DbConn,
    /// [`Health::epoch`] when it was opened.
    epoch: u64,
    /// When it was last given back to the pool.
    idle_since: Instant,
}

impl std::ops::Deref for Tracked {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for Tracked {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

/// A pooled connection.
pub type Conn = PooledConnection<Manager>;

thread_local! {
    /// Set by [`classify`] when a statement failed because the connection lost its server; read (and cleared)
    /// when the connection is given back to the pool, which then discards it. A store call runs on one thread
    /// from checkout to return, so the flag names the connection that thread used.
    static CONNECTION_LOST: Cell<bool> = const { Cell::new(false) };
}

/// A pooled connection idle for longer than this is pinged before it is handed out (a server restarted
/// meanwhile would fail the caller's first statement); busier connections are not (a ping costs a round trip).
const VALIDATE_AFTER_IDLE: Duration = Duration::from_secs(1);

/// How often the background probe tries the database while it is known to be down.
const PROBE_INTERVAL: Duration = Duration::from_millis(250);

/// The probe opens the circuit when a new connection and its ping get no answer within this. A healthy server
/// answers in milliseconds; a caller that suspects the database after half a second of a call (the APIs do)
/// sees the circuit open, and answers 503, about 1.5 s into a call stuck on a frozen server.
const PROBE_ANSWER_WITHIN: Duration = Duration::from_millis(1000);

/// The database's health as the pools see it: the circuit.
#[derive(Debug, Default)]
pub struct Health {
    /// The database is known to be down: checkouts fail at once until the probe gets an answer.
    down: AtomicBool,
    /// A probe thread is running.
    probing: AtomicBool,
    /// Bumped at each outage and each recovery: connections opened before are discarded, not reused.
    epoch: AtomicU64,
    /// Why the database was last found down (for the log and `/readyz`).
    why: Mutex<String>,
    /// When a caller last suspected the database ([`Pools::suspect`]), to start at most one probe per
    /// [`PROBE_INTERVAL`] for suspicions.
    suspected: Mutex<Option<Instant>>,
}

impl Health {
    fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Every connection opened so far is to be discarded.
    fn outdate(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Whether the database is known to be down.
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// Why it is down.
    fn why(&self) -> String {
        self.why
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Opens the circuit: the database is down (`why`).
    fn trip(&self, why: &str) {
        *self.why.lock().unwrap_or_else(PoisonError::into_inner) = why.to_string();
        if !self.down.swap(true, Ordering::AcqRel) {
            self.outdate();
            log::warn!(
                "database unavailable ({why}): requests fail fast with 503 until it answers again"
            );
        }
    }
}

/// Starts the background probe of `manager`'s database unless one runs: every [`PROBE_INTERVAL`] it opens a
/// fresh connection and pings it, on a thread of its own; no answer within [`PROBE_ANSWER_WITHIN`] (a frozen
/// server accepts the TCP connection and then says nothing) or a failure opens the circuit, the first success
/// closes it and ends the probe. At most one attempt is out at a time: after a timeout the probe waits for that
/// attempt to end (libpq's connect timeout bounds it) before it tries again.
fn probe(manager: &Manager) {
    if manager.health.probing.swap(true, Ordering::AcqRel) {
        return;
    }
    let health = Arc::clone(&manager.health);
    let manager = manager.clone();
    let spawned = std::thread::Builder::new()
        .name("humbol-db-probe".into())
        .spawn(move || {
            let health = Arc::clone(&manager.health);
            while !probe_once(&manager) {
                std::thread::sleep(PROBE_INTERVAL);
            }
            health.probing.store(false, Ordering::Release);
        });
    if let Err(e) = spawned {
        health.probing.store(false, Ordering::Release);
        log::warn!("cannot start the database probe: {e}");
    }
}

/// One attempt of [`probe`]: `true` when the database answered (the circuit is closed), `false` to try again.
fn probe_once(manager: &Manager) -> bool {
    let health = &manager.health;
    let (tx, rx) = std::sync::mpsc::channel();
    let attempt = manager.clone();
    let spawned = std::thread::Builder::new()
        .name("humbol-db-probe-attempt".into())
        .spawn(move || {
            let answer = attempt
                .connect()
                .and_then(|mut c| c.ping().map_err(diesel::r2d2::Error::QueryError));
            let _ = tx.send(answer.map_err(|e| e.to_string()));
        });
    if let Err(e) = spawned {
        health.trip(&format!("cannot start a probe attempt: {e}"));
        return false;
    }
    let answer = match rx.recv_timeout(PROBE_ANSWER_WITHIN) {
        Ok(answer) => answer,
        Err(_) => {
            health.trip(&format!(
                "no answer to a new connection within {PROBE_ANSWER_WITHIN:?}"
            ));
            rx.recv()
                .unwrap_or_else(|_| Err("the probe attempt ended without an answer".into()))
        }
    };
    match answer {
        Ok(()) => {
            if health.down.swap(false, Ordering::AcqRel) {
                health.outdate();
                log::info!("database answers again");
            }
            true
        }
        Err(e) => {
            health.trip(&e);
            false
        }
    }
}

/// r2d2's report of a failed connection attempt: the database is down.
#[derive(Debug)]
struct TripOnError(Manager);

impl HandleError<diesel::r2d2::Error> for TripOnError {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        if matches!(error, diesel::r2d2::Error::ConnectionError(_)) {
            self.0.health.trip(&error.to_string());
            probe(&self.0);
        } else {
            log::warn!("database connection: {error}");
        }
    }
}

/// What a database failure means ([`StoreError`]): a transaction to run again (deadlock, serialization
/// failure: [`StoreError::Contention`]), the database being unavailable (lost connection, statement timeout,
/// SQLite busy, read-only or I/O error: [`StoreError::Unavailable`]), full ([`StoreError::Full`]), or any other
/// error ([`StoreError::Database`]). Unique violations are mapped by the caller (they name an attribute).
pub(crate) fn classify(e: DieselError) -> StoreError {
    let DieselError::DatabaseError(kind, info) = &e else {
        return StoreError::Database(Cause::new(e));
    };
    let lower = info.message().to_ascii_lowercase();
    let lost = matches!(
        kind,
        DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand
    ) || [
        "server closed the connection",
        "terminating connection",
        "no connection to the server",
        "could not receive data from server",
        "could not send data to server",
        "connection to server",
        "ssl connection has been closed",
    ]
    .iter()
    .any(|m| lower.contains(m));
    if lost {
        CONNECTION_LOST.set(true);
        return StoreError::Unavailable(Cause::new(e));
    }
    if matches!(kind, DatabaseErrorKind::SerializationFailure)
        || lower.contains("deadlock detected")
    {
        return StoreError::Contention(Cause::new(e));
    }
    if lower.contains("database or disk is full") || lower.contains("no space left on device") {
        return StoreError::Full(Cause::new(e));
    }
    if [
        "canceling statement due to statement timeout",
        "canceling statement due to lock timeout",
        "database is locked",
        "database table is locked",
        "attempt to write a readonly database",
        "disk i/o error",
        "unable to open database file",
        "the database system is starting up",
        "the database system is shutting down",
        "in a read-only transaction",
    ]
    .iter()
    .any(|m| lower.contains(m))
        || matches!(kind, DatabaseErrorKind::ReadOnlyTransaction)
    {
        return StoreError::Unavailable(Cause::new(e));
    }
    StoreError::Database(Cause::new(e))
}

/// PostgreSQL: connections in the pool for batches of look-ups ([`crate::Store::lookup_reader`]). One: on a
/// machine where the database shares the cores, one batch at a time makes the largest batches and the fewest
/// statements (the sweep is in docs/benchmarks.md). Its connections plan statements generically: PostgreSQL
/// would otherwise plan a batch's `= ANY($1)` again at every execution (a custom plan for each array, which
/// costs more than the statement's execution).
pub const LOOKUP_POOL_SIZE: u32 = 1;

/// How many connections a pool holds (r2d2's state), for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// `read` or `write`.
    pub name: &'static str,
    /// Connections open.
    pub connections: u32,
    /// Of which idle.
    pub idle: u32,
    /// The pool's size.
    pub max: u32,
    /// Requests waiting for a connection right now (none was idle).
    pub waiting: u32,
}

/// The pools of one [`crate::Store`].
pub struct Pools {
    pub backend: Backend,
    read: Pool<Manager>,
    /// SQLite: a pool of exactly one connection; PostgreSQL: the same pool as `read`.
    write: Pool<Manager>,
    /// PostgreSQL: [`LOOKUP_POOL_SIZE`] connections with generic plans; SQLite: the same pool as `read`.
    lookup: Pool<Manager>,
    /// The manager of `read` (its [`Health`] is every pool's), for the probe.
    manager: Manager,
    /// The longest a checkout waits ([`PoolOptions::connection_timeout`]).
    wait: Duration,
    /// SQLite file: what it was at start-up, for [`Pools::check_ready`].
    file: Option<SqliteFile>,
    /// Requests waiting for a `read` and a `write` connection (PostgreSQL: one pool, counted as `read`).
    waiting: [AtomicU32; 2],
    /// Index pagination's positions ([`crate::page_cache`]).
    pub pages: std::sync::Arc<crate::page_cache::PageCache>,
    /// PostgreSQL: writes counted towards the next `ANALYZE` ([`crate::statistics`]).
    pub statistics: std::sync::Arc<crate::statistics::Statistics>,
}

/// A SQLite database file and its identity (device and inode) when the store opened it.
#[derive(Debug, Clone)]
struct SqliteFile {
    path: std::path::PathBuf,
    identity: Option<(u64, u64)>,
}

/// The device and inode of `path` (Unix), to tell a replaced file from the one opened.
fn file_identity(path: &std::path::Path) -> std::io::Result<Option<(u64, u64)>> {
    let meta = std::fs::metadata(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Ok(Some((meta.dev(), meta.ino())))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        Ok(None)
    }
}

/// Logs that start-up is about to create a new, empty SQLite database at `path`: a warning when the directory
/// suggests that one was expected (it holds other files, e.g. a `-wal` left by a removed database), else a note.
fn note_new_sqlite_file(path: &str) {
    let file = std::path::Path::new(path);
    if path.starts_with("file:") || file.exists() {
        return;
    }
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let others = std::fs::read_dir(&dir)
        .map(|entries| entries.flatten().count())
        .unwrap_or(0);
    if others > 0 {
        log::warn!(
            "SQLite database {} does not exist: creating a NEW, EMPTY database although directory {} holds {} \
             other file(s). If a database was expected here (a moved or deleted file, a wrong DATABASE_URL or \
             volume), stop now: every organisation, token and user would have to be provisioned again.",
            file.display(),
            dir.display(),
            others
        );
    } else {
        log::info!(
            "SQLite database {} does not exist: creating it",
            file.display()
        );
    }
}

impl Pools {
    /// Connects, migrates, and builds the pools (see [`crate::Store::open`]).
    pub fn open(url: &str, opts: &PoolOptions) -> Result<Pools, StoreError> {
        let target = Target::parse(url)?;
        let backend = target.backend();
        let mut manager = Manager::new(target.clone(), opts.sqlite_busy_timeout);
        manager.statement_timeout = opts.statement_timeout;
        manager.connect_timeout = Some(opts.connection_timeout);
        let auto = std::thread::available_parallelism().map_or(2, |n| n.get() as u32 * 2);
        let size = if opts.max_size == 0 {
            auto.max(2)
        } else {
            opts.max_size
        };
        let builder = || {
            Pool::builder()
                .test_on_check_out(false)
                .connection_timeout(opts.connection_timeout)
                .error_handler(Box::new(TripOnError(manager.clone())))
        };
        if target == Target::SqliteMemory {
            // One connection is the whole database: never let r2d2 close it.
            let pool = builder()
                .max_size(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .build(manager.clone())
                .map_err(|e| StoreError::Config(format!("cannot open in-memory SQLite: {e}")))?;
            let mut conn = pool
                .get()
                .map_err(|e| StoreError::Config(format!("cannot open in-memory SQLite: {e}")))?;
            migrate(&mut conn)?;
            drop(conn);
            return Ok(Pools {
                backend,
                read: pool.clone(),
                lookup: pool.clone(),
                write: pool,
                manager,
                wait: opts.connection_timeout,
                file: None,
                waiting: Default::default(),
                pages: Default::default(),
                statistics: Default::default(),
            });
        }
        if let Target::SqliteFile(path) = &target {
            note_new_sqlite_file(path);
        }
        // A first connection tells a wrong or unreachable database at once, with the driver's reason.
        let mut first = manager.connect().map_err(|e| {
            let why = match &target {
                Target::SqliteFile(path) => {
                    sqlite_file_problem(path).unwrap_or_else(|| e.to_string())
                }
                _ => e.to_string(),
            };
            StoreError::Config(format!(
                "cannot open {} database {:?}: {why}",
                backend,
                redact(url)
            ))
        })?;
        migrate(&mut first)?;
        if let DbConn::Postgres(pg) = &mut first {
            warn_without_autovacuum(pg);
        }
        drop(first);
        let file = match &target {
            Target::SqliteFile(path) if !path.starts_with("file:") => {
                let path = std::path::PathBuf::from(path);
                let identity = file_identity(&path).ok().flatten();
                Some(SqliteFile { path, identity })
            }
            _ => None,
        };
        let (read, write, lookup) = match backend {
            Backend::Postgres => {
                let pool = builder().max_size(size).build_unchecked(manager.clone());
                // Connected at the first batch and kept: a process that never batches (admin-api) opens none.
                let lookup = builder()
                    .max_size(LOOKUP_POOL_SIZE)
                    .min_idle(Some(0))
                    .idle_timeout(None)
                    .build_unchecked(manager.clone().with_generic_plans());
                (pool.clone(), pool, lookup)
            }
            Backend::Sqlite => {
                let read = builder().max_size(size).build_unchecked(manager.clone());
                (
                    read.clone(),
                    builder().max_size(1).build_unchecked(manager.clone()),
                    read,
                )
            }
        };
        Ok(Pools {
            backend,
            read,
            write,
            lookup,
            manager,
            wait: opts.connection_timeout,
            file,
            waiting: Default::default(),
            pages: Default::default(),
            statistics: Default::default(),
        })
    }

    /// A connection for reads.
    pub fn read(&self) -> Result<Conn, StoreError> {
        self.checkout(&self.read, Some(&self.waiting[0]))
    }

    /// A connection for batches of look-ups by key.
    pub fn lookup(&self) -> Result<Conn, StoreError> {
        self.checkout(&self.lookup, None)
    }

    /// How many batches of look-ups can run at once: the lookup pool's size.
    pub fn lookup_size(&self) -> usize {
        self.lookup.max_size() as usize
    }

    /// A connection for reads if one is idle right now (never waits).
    pub fn try_read(&self) -> Option<Conn> {
        if self.manager.health.is_down() {
            return None;
        }
        self.read
            .try_get()
            .filter(|c| c.epoch == self.manager.health.epoch())
    }

    /// The connection for writes (SQLite: the one writer). A SQLite file that was removed or replaced since
    /// start-up is [`StoreError::Unavailable`]: a write would go to a file nobody will read again.
    pub fn write(&self) -> Result<Conn, StoreError> {
        self.write_for(1)
    }

    /// [`Pools::write`] for `writes` writes in one transaction (a group: [`crate::group_commit`]), each
    /// counted towards the next refresh of PostgreSQL's statistics.
    pub fn write_for(&self, writes: u64) -> Result<Conn, StoreError> {
        if let Some(problem) = self.file_problem() {
            return Err(StoreError::Unavailable(problem.into()));
        }
        let slot = match self.backend {
            Backend::Sqlite => 1,
            Backend::Postgres => 0,
        };
        let conn = self.checkout(&self.write, Some(&self.waiting[slot]))?;
        if self.backend == Backend::Postgres && self.statistics.count_writes(writes) {
            self.refresh_statistics();
        }
        Ok(conn)
    }

    /// Runs [`crate::statistics::Statistics::refresh`] on an idle connection, in a thread of its own (the write
    /// does not wait for it); none idle: the next write tries again.
    fn refresh_statistics(&self) {
        let Some(mut conn) = self.read.try_get() else {
            self.statistics.skip();
            return;
        };
        let stats = self.statistics.clone();
        let spawned = std::thread::Builder::new()
            .name("humbol-analyze".into())
            .spawn(move || {
                if let DbConn::Postgres(pg) = &mut **conn {
                    stats.refresh(pg);
                } else {
                    stats.skip();
                }
            });
        if let Err(e) = spawned {
            log::warn!("could not start a thread to refresh PostgreSQL's statistics: {e}");
            self.statistics.skip();
        }
    }

    /// SQLite file: why it is not the file opened at start-up any more (removed, replaced); one `stat`.
    fn file_problem(&self) -> Option<String> {
        let file = self.file.as_ref()?;
        match file_identity(&file.path) {
            Err(e) => Some(format!(
                "database file {} is gone: {e}",
                file.path.display()
            )),
            Ok(now) if now != file.identity => Some(format!(
                "database file {} was replaced since start-up",
                file.path.display()
            )),
            Ok(_) => None,
        }
    }

    /// The read and write pools' connection counts, for metrics (on PostgreSQL they are one pool: `read`).
    pub fn stats(&self) -> Vec<PoolStats> {
        let stat = |name, pool: &Pool<Manager>, waiting: &AtomicU32| {
            let state = pool.state();
            PoolStats {
                name,
                connections: state.connections,
                idle: state.idle_connections,
                max: pool.max_size(),
                waiting: waiting.load(Ordering::Relaxed),
            }
        };
        match self.backend {
            Backend::Sqlite => vec![
                stat("read", &self.read, &self.waiting[0]),
                stat("write", &self.write, &self.waiting[1]),
            ],
            Backend::Postgres => vec![stat("read", &self.read, &self.waiting[0])],
        }
    }

    /// `SELECT 1` through the read pool.
    pub fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.read()?;
        conn.ping().map_err(StoreError::from)
    }

    /// Whether the store can serve reads and writes now (`/readyz`): the circuit is closed, a pooled
    /// connection answers, and for a SQLite file: it is still the file opened at start-up (not removed or
    /// replaced) and it and its directory can be written (a read-only mount, a full disk).
    pub fn check_ready(&self) -> Result<(), StoreError> {
        if self.manager.health.is_down() {
            return Err(StoreError::Unavailable(
                format!("the database is down: {}", self.manager.health.why()).into(),
            ));
        }
        if let Some(problem) = self.file_problem() {
            return Err(StoreError::Unavailable(problem.into()));
        }
        if let Some(file) = &self.file {
            if let Some(problem) = sqlite_write_problem(&file.path) {
                return Err(StoreError::Unavailable(problem.into()));
            }
            // The write lock, taken and given back at once: another process holding it (an external lock, a
            // long transaction) makes this wait up to the busy timeout and fail.
            let mut conn = self.write()?;
            write_txn(&mut conn, |_| Ok(()))?;
        }
        self.ping()
    }

    /// See [`crate::Store::suspect`]: starts a probe unless one runs or one started for a suspicion less than
    /// [`PROBE_INTERVAL`] ago (callers stuck in long calls suspect again and again).
    pub fn suspect(&self) {
        {
            let mut last = self
                .manager
                .health
                .suspected
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|t| t.elapsed() < PROBE_INTERVAL) {
                return;
            }
            *last = Some(Instant::now());
        }
        probe(&self.manager);
    }

    /// See [`crate::Store::is_down`].
    pub fn is_down(&self) -> bool {
        self.manager.health.is_down()
    }

    /// See [`crate::Store::call_deadline`]: the wait for a connection, SQLite's wait for a lock and
    /// PostgreSQL's statement timeout, plus a second.
    pub fn call_deadline(&self) -> Duration {
        self.wait
            + self.manager.busy_timeout
            + self.manager.statement_timeout.unwrap_or(Duration::ZERO)
            + Duration::from_secs(1)
    }

    /// A connection from `pool`, waiting up to [`Pools::wait`]; [`StoreError::Unavailable`] at once while the
    /// database is known to be down. A connection opened before the last outage is discarded, and one idle for
    /// longer than [`VALIDATE_AFTER_IDLE`] is pinged first (and discarded if it lost its server). A request
    /// that finds no idle connection counts in `waiting` while it waits (for `/metrics`).
    fn checkout(
        &self,
        pool: &Pool<Manager>,
        waiting: Option<&AtomicU32>,
    ) -> Result<Conn, StoreError> {
        let health = &self.manager.health;
        let deadline = Instant::now() + self.wait;
        let mut counted = Waiting(None);
        loop {
            if health.is_down() {
                probe(&self.manager);
                return Err(StoreError::Unavailable(
                    format!("the database is down: {}", health.why()).into(),
                ));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                // Every connection busy for the whole wait: a stalled server, or only load. The probe tells.
                probe(&self.manager);
                return Err(StoreError::Unavailable(
                    format!("no database connection within {:?}", self.wait).into(),
                ));
            }
            let got = match pool.try_get() {
                Some(conn) => Ok(conn),
                None => {
                    if counted.0.is_none() {
                        counted = Waiting::start(waiting);
                    }
                    pool.get_timeout(left.min(CHECKOUT_SLICE))
                }
            };
            let Ok(mut conn) = got else {
                continue;
            };
            if conn.epoch != health.epoch() {
                continue; // dropped: the pool discards it (`has_broken`)
            }
            if conn.idle_since.elapsed() > VALIDATE_AFTER_IDLE && conn.conn.ping().is_err() {
                CONNECTION_LOST.set(true); // dropped and discarded, and every older connection with it
                continue;
            }
            CONNECTION_LOST.set(false);
            return Ok(conn);
        }
    }
}

/// A request counted as waiting for a connection until dropped.
struct Waiting<'a>(Option<&'a AtomicU32>);

impl<'a> Waiting<'a> {
    fn start(counter: Option<&'a AtomicU32>) -> Waiting<'a> {
        if let Some(c) = counter {
            c.fetch_add(1, Ordering::Relaxed);
        }
        Waiting(counter)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.0 {
            c.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// A checkout waits for a free connection in slices of this, to notice a circuit opened meanwhile.
const CHECKOUT_SLICE: Duration = Duration::from_millis(100);

/// Why SQLite could not write `path` now: it is read-only, its directory cannot be written, or the file system
/// has no room for a page (a probe file beside it is written, synced and removed). `None` when it can.
fn sqlite_write_problem(path: &std::path::Path) -> Option<String> {
    use std::io::Write;
    // Never open the database file itself here: closing any descriptor of it drops every POSIX lock this
    // process holds on it (SQLite's included), and another process may then delete the live WAL.
    match std::fs::metadata(path) {
        Err(e) => return Some(format!("cannot write {}: {e}", path.display())),
        Ok(m) if m.permissions().readonly() => {
            return Some(format!(
                "cannot write {}: the file is read-only",
                path.display()
            ))
        }
        Ok(_) => {}
    }
    // The WAL, where every commit is written, opened for appending (never created): SQLite holds no lock on
    // it, so closing this descriptor is harmless. Permission bits do not stop root; an immutable flag
    // (`chattr +i`) or a read-only mount does, and the open says so.
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    match std::fs::OpenOptions::new().append(true).open(&wal) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Some(format!(
                "cannot write {}: {e}",
                std::path::Path::new(&wal).display()
            ))
        }
        _ => {}
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let probe = dir.join(format!(".humbol-ready-check-{}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&probe)
        .and_then(|mut f| {
            f.write_all(&[0u8; 4096])?;
            f.sync_all()
        });
    let _ = std::fs::remove_file(&probe);
    written
        .err()
        .map(|e| format!("cannot write in {}: {e}", dir.display()))
}

/// A PostgreSQL connection; every one this workspace opens goes through here. OpenSSL (libpq's, the same
/// library) is initialised first, without its clean-up at exit: whichever connection initialises it first
/// decides, and that clean-up frees what a pool thread still connecting or closing uses, so a process exiting
/// then (a CLI command, a server at SIGTERM, a test binary) died of SIGSEGV after its work was done.
pub fn establish_postgres(url: &str) -> diesel::ConnectionResult<diesel::PgConnection> {
    openssl_sys::init();
    diesel::PgConnection::establish(url)
}

/// Warns when the PostgreSQL server runs without autovacuum. diesel keeps every statement prepared for the
/// connection's life, and PostgreSQL re-plans a prepared statement only when its tables' statistics change: with
/// autovacuum (its autoanalyze) off, a statement first run on an empty table (a new organisation's first cycle)
/// keeps its empty-table plan, e.g. a scan of the organisation's users for every look-up.
fn warn_without_autovacuum(conn: &mut diesel::PgConnection) {
    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        autovacuum: String,
    }
    match diesel::sql_query("SHOW autovacuum").get_result::<Setting>(conn) {
        Ok(s) if s.autovacuum == "off" => log::warn!(
            "PostgreSQL runs with autovacuum off: statistics of growing tables are never refreshed, so query \
             plans made when a table was small are kept (look-ups slow down as tables grow). Turn autovacuum on \
             or run ANALYZE after large provisioning cycles."
        ),
        Ok(_) => {}
        Err(e) => log::debug!("could not read PostgreSQL's autovacuum setting: {e}"),
    }
}

/// Runs pending migrations, serialised against other processes doing the same: one transaction (SQLite:
/// `BEGIN IMMEDIATE`, waiting up to the busy timeout; PostgreSQL: holding an advisory transaction lock), inside
/// which diesel runs each migration in a savepoint.
pub fn migrate(conn: &mut DbConn) -> Result<(), StoreError> {
    let fail = |e: Box<dyn std::error::Error + Send + Sync>| {
        StoreError::Config(format!("database migrations failed: {e}"))
    };
    write_txn(conn, |conn| {
        match conn {
            DbConn::Sqlite(c) => {
                c.run_pending_migrations(SQLITE_MIGRATIONS).map_err(fail)?;
            }
            DbConn::Postgres(c) => {
                diesel::sql_query(format!(
                    "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
                ))
                .execute(c)?;
                c.run_pending_migrations(POSTGRES_MIGRATIONS)
                    .map_err(fail)?;
            }
        }
        Ok(())
    })
}

/// Reverts migrations (tests only: see `testing`): every applied one, or only the last; returns how many.
#[cfg(feature = "testing")]
pub fn revert(conn: &mut DbConn, all: bool) -> Result<usize, StoreError> {
    type Failure = Box<dyn std::error::Error + Send + Sync>;
    fn run<DB: diesel::backend::Backend>(
        c: &mut impl MigrationHarness<DB>,
        migrations: EmbeddedMigrations,
        all: bool,
    ) -> Result<usize, Failure> {
        if all {
            c.revert_all_migrations(migrations).map(|v| v.len())
        } else {
            c.revert_last_migration(migrations).map(|_| 1)
        }
    }
    match conn {
        DbConn::Sqlite(c) => run(c, SQLITE_MIGRATIONS, all),
        DbConn::Postgres(c) => run(c, POSTGRES_MIGRATIONS, all),
    }
    .map_err(|e| StoreError::Database(Cause::from(format!("revert: {e}"))))
}

/// How many times a write transaction is run when PostgreSQL aborts it to resolve a deadlock or a
/// serialization failure ([`StoreError::Contention`]): the last failure is the result.
pub const TXN_ATTEMPTS: u32 = 4;

/// Runs `f` in a write transaction: committed if `f` returns `Ok`, rolled back otherwise. On SQLite it is
/// `BEGIN IMMEDIATE`, so the write lock is taken up front (a read that later upgrades could fail with
/// `SQLITE_BUSY` without waiting). A transaction that PostgreSQL aborted as a deadlock victim or for a
/// serialization failure is rolled back and `f` runs again in a new one, up to [`TXN_ATTEMPTS`] times, after a
/// short, growing pause.
pub fn write_txn<T>(
    conn: &mut DbConn,
    mut f: impl FnMut(&mut DbConn) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut attempt = 1;
    loop {
        match write_txn_once(conn, &mut f) {
            Err(StoreError::Contention(why)) if attempt < TXN_ATTEMPTS => {
                log::debug!("write transaction aborted ({why}); running it again");
                // 5, 10, 20 ms, offset by the thread so that two victims do not collide again in step.
                let jitter = u64::from(std::process::id() ^ thread_hash()) % 5;
                std::thread::sleep(Duration::from_millis((5 << (attempt - 1)) + jitter));
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// A number that differs between threads (for [`write_txn`]'s pause).
fn thread_hash() -> u32 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::thread::current().id().hash(&mut h);
    h.finish() as u32
}

fn write_txn_once<T>(
    conn: &mut DbConn,
    f: &mut impl FnMut(&mut DbConn) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Postgres(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN")?,
    }
    match f(conn) {
        Ok(v) => {
            match conn {
                DbConn::Sqlite(c) => AnsiTransactionManager::commit_transaction(c)?,
                DbConn::Postgres(c) => AnsiTransactionManager::commit_transaction(c)?,
            }
            Ok(v)
        }
        Err(e) => {
            let rolled_back = match conn {
                DbConn::Sqlite(c) => AnsiTransactionManager::rollback_transaction(c),
                DbConn::Postgres(c) => AnsiTransactionManager::rollback_transaction(c),
            };
            if let Err(r) = rolled_back {
                log::warn!("rollback failed: {r}");
            }
            Err(e)
        }
    }
}

/// Starts a deferred read transaction on SQLite (see [`read_txn`]); `false` (nothing started) on PostgreSQL.
pub fn begin_read(conn: &mut DbConn) -> Result<bool, StoreError> {
    match conn {
        DbConn::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction(c)?;
            Ok(true)
        }
        DbConn::Postgres(_) => Ok(false),
    }
}

/// Ends what [`begin_read`] started (`began`) with a commit (it only read), and returns `out`: a failure to end
/// it is the result when `out` is a success, and is logged otherwise.
pub fn end_read<T, E: From<StoreError>>(
    conn: &mut DbConn,
    began: bool,
    out: Result<T, E>,
) -> Result<T, E> {
    let DbConn::Sqlite(c) = conn else {
        return out;
    };
    if !began {
        return out;
    }
    match AnsiTransactionManager::commit_transaction(c) {
        Ok(()) => out,
        Err(e) if out.is_ok() => Err(StoreError::from(e).into()),
        Err(e) => {
            log::warn!("ending a read transaction failed: {e}");
            out
        }
    }
}

/// Runs the reads of `f` on one snapshot where that is free: SQLite, a deferred transaction (local, cheap).
/// PostgreSQL runs them as they are: under READ COMMITTED a transaction would not give one snapshot anyway, and
/// BEGIN/COMMIT would add two round trips to every look-up.
pub fn read_txn<T, E: From<StoreError>>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E> {
    let began = begin_read(conn)?;
    let out = f(conn);
    end_read(conn, began, out)
}

/// Runs `$body` with `$c` bound to the inner connection of either backend: for the few statements that the
/// MultiBackend cannot express (multi-row inserts, row locks), still one piece of code, compiled per backend.
macro_rules! on_inner {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::pool::DbConn::Sqlite($c) => $body,
            $crate::pool::DbConn::Postgres($c) => $body,
        }
    };
}
pub(crate) use on_inner;

/// On PostgreSQL, locks the row `$id` of organisation `$org` in `$table` (a resource table with `id`, `org` and
/// `version`) for this transaction, so that concurrent read-modify-writes of one resource queue up instead of
/// failing their version check. SQLite's `BEGIN IMMEDIATE` already serialises writers: nothing to do there.
macro_rules! lock_resource_row {
    ($conn:expr, $table:ident, $org:expr, $id:expr) => {{
        if let $crate::pool::DbConn::Postgres(pg) = $conn {
            $crate::schema::$table::table
                .filter($crate::schema::$table::id.eq($id))
                .filter($crate::schema::$table::org.eq($org))
                .select($crate::schema::$table::version)
                .for_update()
                .get_result::<i64>(pg)
                .optional()?;
        }
        Ok::<(), StoreError>(())
    }};
}
pub(crate) use lock_resource_row;

/// Locks the row `$id` of organisation `$org` in the resource table `$table` ([`lock_resource_row`]) and reads
/// its `$name` column and its version: `None` when there is no such row. For [`delete_resource`]'s `find`.
macro_rules! locked_name_and_version {
    ($conn:expr, $table:ident, $name:ident, $org:expr, $id:expr) => {{
        $crate::pool::lock_resource_row!($conn, $table, $org, $id)?;
        Ok::<_, StoreError>(
            $crate::schema::$table::table
                .filter($crate::schema::$table::id.eq($id))
                .filter($crate::schema::$table::org.eq($org))
                .select((
                    $crate::schema::$table::$name,
                    $crate::schema::$table::version,
                ))
                .get_result::<(String, i64)>($conn)
                .optional()?,
        )
    }};
}
pub(crate) use locked_name_and_version;

/// A `DELETE` of the resource `id` of `org` by `actor`; `if_match` is the version the client saw.
pub(crate) struct Deletion<'a> {
    pub resource: EventResource,
    pub org: &'a str,
    pub id: &'a str,
    pub if_match: Option<i64>,
    pub actor: &'a str,
}

/// Runs a [`Deletion`] in one write transaction, so that the version checked is the one deleted: `find` locks
/// the row (PostgreSQL) and reads its name and version ([`locked_name_and_version`]); no row is `Ok(false)`; a
/// version other than `if_match` is [`StoreError::VersionMismatch`] and nothing is deleted; otherwise `delete`
/// removes the rows and returns the event's detail (given the name), which is logged as `deleted`.
pub(crate) fn delete_resource(
    conn: &mut DbConn,
    d: &Deletion<'_>,
    mut find: impl FnMut(&mut DbConn) -> Result<Option<(String, i64)>, StoreError>,
    mut delete: impl FnMut(&mut DbConn, &str) -> Result<String, StoreError>,
) -> Result<bool, StoreError> {
    write_txn(conn, |conn| {
        let Some((name, version)) = find(conn)? else {
            return Ok(false);
        };
        if d.if_match.is_some_and(|v| v != version) {
            return Err(StoreError::VersionMismatch);
        }
        let detail = delete(conn, &name)?;
        let event = change(d.actor, EventAction::Deleted, d.resource, d.id, detail);
        log(conn, d.org, &event)?;
        Ok(true)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bundled SQLite is built as `.cargo/config.toml` says (a build without that file would bring back a
    /// global page-cache mutex that every read connection contends on).
    #[test]
    fn bundled_sqlite_has_the_configured_compile_options() {
        #[derive(QueryableByName)]
        struct CompileOption {
            #[diesel(sql_type = diesel::sql_types::Text)]
            compile_options: String,
        }
        let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
        let options: Vec<String> = diesel::sql_query("PRAGMA compile_options")
            .load::<CompileOption>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|o| o.compile_options)
            .collect();
        assert!(options.iter().any(|o| o == "THREADSAFE=2"), "{options:?}");
        assert!(
            options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
            "{options:?}"
        );
        assert!(
            !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
            "{options:?}"
        );
    }

    /// Every SQLite connection the manager makes has the configured page cache.
    #[test]
    fn sqlite_connections_get_the_configured_cache_and_checkpoints() {
        #[derive(QueryableByName)]
        struct CacheSize {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            cache_size: i64,
        }
        #[derive(QueryableByName)]
        struct Checkpoint {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            wal_autocheckpoint: i64,
        }
        let manager = Manager::new(Target::SqliteMemory, Duration::from_secs(1));
        let DbConn::Sqlite(mut conn) = manager.connect().unwrap() else {
            panic!("a SQLite target gives a SQLite connection");
        };
        let size = diesel::sql_query("PRAGMA cache_size")
            .get_result::<CacheSize>(&mut conn)
            .unwrap();
        assert_eq!(size.cache_size, -i64::from(SQLITE_CACHE_KIB));
        let checkpoint = diesel::sql_query("PRAGMA wal_autocheckpoint")
            .get_result::<Checkpoint>(&mut conn)
            .unwrap();
        assert_eq!(
            checkpoint.wal_autocheckpoint,
            i64::from(SQLITE_WAL_AUTOCHECKPOINT_PAGES)
        );
    }

    /// The look-up pool's PostgreSQL connections plan generically; the others keep PostgreSQL's default (a
    /// filter's `LIKE 'prefix%'` needs its value at planning to use an index).
    #[cfg(feature = "testing")]
    #[test]
    fn only_lookup_connections_plan_generically() {
        #[derive(QueryableByName)]
        struct PlanCacheMode {
            #[diesel(sql_type = diesel::sql_types::Text)]
            plan_cache_mode: String,
        }
        let target = Target::Postgres(crate::testing::postgres_admin_url());
        let manager = Manager::new(target, Duration::from_secs(1));
        for (manager, expected) in [
            (manager.clone(), "auto"),
            (manager.with_generic_plans(), "force_generic_plan"),
        ] {
            let DbConn::Postgres(mut conn) = manager.connect().unwrap() else {
                panic!("a PostgreSQL target gives a PostgreSQL connection");
            };
            let mode = diesel::sql_query("SHOW plan_cache_mode")
                .get_result::<PlanCacheMode>(&mut conn)
                .unwrap();
            assert_eq!(mode.plan_cache_mode, expected);
        }
    }
}
