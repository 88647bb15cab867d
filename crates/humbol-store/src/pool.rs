//! Connections, pools, migrations and transactions.
//!
//! - [`DbConn`]: diesel's `MultiConnection` over PostgreSQL and SQLite; all queries are written once against it.
//! - [`Manager`]: the r2d2 manager that builds the variant named by the URL scheme (and sets SQLite's pragmas).
//! - [`Pools`]: SQLite gets one dedicated writer connection (SQLite allows one writer at a time: a single writer
//!   beats a pool of writers in busy back-off) and a read pool; PostgreSQL gets one pool for both. r2d2 does not
//!   ping connections on check-out (that costs a third of the lookup throughput).
//! - [`write_txn`] / [`read_txn`]: the transactions every module uses.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::{Backend, PoolOptions, StoreError};

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
    /// PostgreSQL: `plan_cache_mode = force_generic_plan` on every connection (see [`LOOKUP_POOL_SIZE`]).
    generic_plans: bool,
}

impl Manager {
    /// A manager for `target`.
    pub fn new(target: Target, busy_timeout: Duration) -> Manager {
        Manager {
            target,
            busy_timeout,
            generic_plans: false,
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
        let mut conn =
            diesel::PgConnection::establish(url).map_err(diesel::r2d2::Error::ConnectionError)?;
        if self.generic_plans {
            conn.batch_execute("SET plan_cache_mode = force_generic_plan")
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
             PRAGMA foreign_keys = ON; PRAGMA case_sensitive_like = ON; PRAGMA cache_size = -{};",
            self.busy_timeout.as_millis(),
            SQLITE_CACHE_KIB
        ))
        .map_err(diesel::r2d2::Error::QueryError)?;
        Ok(DbConn::Sqlite(conn))
    }
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        match &self.target {
            Target::SqliteFile(path) => self.sqlite(path),
            Target::SqliteMemory => self.sqlite(":memory:"),
            Target::Postgres(url) => self.postgres(url),
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        conn.is_broken()
    }
}

/// A pooled connection.
pub type Conn = PooledConnection<Manager>;

/// PostgreSQL: connections in the pool for batches of look-ups ([`crate::Store::lookup_reader`]). One: on a
/// machine where the database shares the cores, one batch at a time makes the largest batches and the fewest
/// statements (docs/benchmarks.md: 16 clients, 1 batch at a time 24.4k look-ups/s, 2 17.4k, 4 20.9k). Its
/// connections plan statements generically: PostgreSQL would otherwise plan a batch's `= ANY($1)` again at
/// every execution (a custom plan for each array; about 0.45 ms here, ten times the statement's execution).
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
    /// Requests waiting for a `read` and a `write` connection (PostgreSQL: one pool, counted as `read`).
    waiting: [AtomicU32; 2],
}

impl Pools {
    /// Connects, migrates, and builds the pools (see [`crate::Store::open`]).
    pub fn open(url: &str, opts: &PoolOptions) -> Result<Pools, StoreError> {
        let target = Target::parse(url)?;
        let backend = target.backend();
        let manager = Manager::new(target.clone(), opts.sqlite_busy_timeout);
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
        };
        if target == Target::SqliteMemory {
            // One connection is the whole database: never let r2d2 close it.
            let pool = builder()
                .max_size(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .build(manager)
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
                waiting: Default::default(),
            });
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
        let (read, write, lookup) = match backend {
            Backend::Postgres => {
                let pool = builder().max_size(size).build_unchecked(manager.clone());
                // Connected at the first batch and kept: a process that never batches (admin-api) opens none.
                let lookup = builder()
                    .max_size(LOOKUP_POOL_SIZE)
                    .min_idle(Some(0))
                    .idle_timeout(None)
                    .build_unchecked(manager.with_generic_plans());
                (pool.clone(), pool, lookup)
            }
            Backend::Sqlite => {
                let read = builder().max_size(size).build_unchecked(manager.clone());
                (
                    read.clone(),
                    builder().max_size(1).build_unchecked(manager),
                    read,
                )
            }
        };
        Ok(Pools {
            backend,
            read,
            write,
            lookup,
            waiting: Default::default(),
        })
    }

    /// A connection for reads.
    pub fn read(&self) -> Result<Conn, StoreError> {
        checkout(&self.read, Some(&self.waiting[0]))
    }

    /// A connection for batches of look-ups by key.
    pub fn lookup(&self) -> Result<Conn, StoreError> {
        checkout(&self.lookup, None)
    }

    /// How many batches of look-ups can run at once: the lookup pool's size.
    pub fn lookup_size(&self) -> usize {
        self.lookup.max_size() as usize
    }

    /// A connection for reads if one is idle right now (never waits).
    pub fn try_read(&self) -> Option<Conn> {
        self.read.try_get()
    }

    /// The connection for writes (SQLite: the one writer).
    pub fn write(&self) -> Result<Conn, StoreError> {
        let slot = match self.backend {
            Backend::Sqlite => 1,
            Backend::Postgres => 0,
        };
        checkout(&self.write, Some(&self.waiting[slot]))
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
}

/// A connection from `pool`, waiting up to its `connection_timeout`; [`StoreError::Unavailable`] if none came.
/// A request that finds no idle connection counts in `waiting` while it waits (for `/metrics`).
fn checkout(pool: &Pool<Manager>, waiting: Option<&AtomicU32>) -> Result<Conn, StoreError> {
    let Some(waiting) = waiting else {
        return pool
            .get()
            .map_err(|e| StoreError::Unavailable(e.to_string()));
    };
    if let Some(conn) = pool.try_get() {
        return Ok(conn);
    }
    waiting.fetch_add(1, Ordering::Relaxed);
    let conn = pool.get();
    waiting.fetch_sub(1, Ordering::Relaxed);
    conn.map_err(|e| StoreError::Unavailable(e.to_string()))
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
    .map_err(|e| StoreError::Database(format!("revert: {e}")))
}

/// Runs `f` in a write transaction: committed if `f` returns `Ok`, rolled back otherwise. On SQLite it is
/// `BEGIN IMMEDIATE`, so the write lock is taken up front (a read that later upgrades could fail with
/// `SQLITE_BUSY` without waiting).
pub fn write_txn<T>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, StoreError>,
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
    fn sqlite_connections_get_the_configured_cache() {
        #[derive(QueryableByName)]
        struct CacheSize {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            cache_size: i64,
        }
        let manager = Manager::new(Target::SqliteMemory, Duration::from_secs(1));
        let DbConn::Sqlite(mut conn) = manager.connect().unwrap() else {
            panic!("a SQLite target gives a SQLite connection");
        };
        let size = diesel::sql_query("PRAGMA cache_size")
            .get_result::<CacheSize>(&mut conn)
            .unwrap();
        assert_eq!(size.cache_size, -i64::from(SQLITE_CACHE_KIB));
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
