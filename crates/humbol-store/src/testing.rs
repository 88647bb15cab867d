//! Throw-away databases for tests (crate feature `testing`; the API crates use it as a dev-dependency).
//!
//! ```ignore
//! let db = TestDb::new(Backend::Postgres);
//! let store = db.store();
//! ```
//! SQLite: a fresh file in a temporary directory. PostgreSQL: a fresh database `humbol_test_<uuid>` created
//! through the admin URL in `HUMBOL_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`),
//! dropped `WITH (FORCE)` when the `TestDb` is dropped.

// Test support: a database that cannot be set up must fail the test at once, with the reason.
#![allow(clippy::panic, clippy::expect_used)]

use diesel::prelude::*;

use crate::pool::{Manager, Target};
use crate::{Backend, PoolOptions, Store, StoreError};

/// The admin URL of the test PostgreSQL server.
pub fn postgres_admin_url() -> String {
    std::env::var("HUMBOL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A fresh, empty (not yet migrated) database; deleted on drop.
pub struct TestDb {
    backend: Backend,
    url: String,
    _dir: Option<tempfile::TempDir>,
    /// PostgreSQL: (admin URL, database name) to drop.
    pg: Option<(String, String)>,
}

impl TestDb {
    /// A fresh database on `backend`. Panics (failing the test) if it cannot be created.
    pub fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}", dir.path().join("humbol.db").display());
                TestDb {
                    backend,
                    url,
                    _dir: Some(dir),
                    pg: None,
                }
            }
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("humbol_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = crate::pool::establish_postgres(&admin).unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL for tests at {} is not reachable ({e}); run scripts/ensure-postgres \
                         or set HUMBOL_TEST_POSTGRES_URL",
                        crate::pool::redact(&admin)
                    )
                });
                diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                    .execute(&mut conn)
                    .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
                let base = admin.split('?').next().unwrap_or(&admin);
                let prefix = base.rsplit_once('/').map_or(base, |(p, _)| p);
                TestDb {
                    backend,
                    url: format!("{prefix}/{name}"),
                    _dir: None,
                    pg: Some((admin, name)),
                }
            }
        }
    }

    /// The database's `DATABASE_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Its backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A [`Store`] on it (default pool options, migrations run). Panics on failure.
    pub fn store(&self) -> Store {
        Store::open(&self.url, &PoolOptions::default())
            .unwrap_or_else(|e| panic!("Store::open({}): {e}", self.url))
    }
}

impl TestDb {
    /// PostgreSQL: ends every session on this database (as a server restart does to a pool's connections);
    /// returns how many. SQLite: nothing to end, 0.
    pub fn terminate_sessions(&self) -> usize {
        #[derive(QueryableByName)]
        struct Ended {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let Some((admin, name)) = &self.pg else {
            return 0;
        };
        let mut conn = crate::pool::establish_postgres(admin).expect("admin connection");
        let ended = diesel::sql_query(format!(
            "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
             WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .get_result::<Ended>(&mut conn)
        .expect("pg_terminate_backend");
        ended.n as usize
    }

    /// SQLite: another connection holding the database's exclusive lock until the guard is dropped (as another
    /// process would). PostgreSQL: `None`.
    pub fn hold_exclusive_lock(&self) -> Option<SqliteLock> {
        let path = self.url.strip_prefix("sqlite://")?;
        let mut conn = diesel::SqliteConnection::establish(path).expect("second SQLite connection");
        diesel::connection::SimpleConnection::batch_execute(&mut conn, "BEGIN EXCLUSIVE")
            .expect("BEGIN EXCLUSIVE");
        Some(SqliteLock(conn))
    }
}

/// See [`TestDb::hold_exclusive_lock`].
pub struct SqliteLock(diesel::SqliteConnection);

impl Drop for SqliteLock {
    fn drop(&mut self) {
        let _ = diesel::connection::SimpleConnection::batch_execute(&mut self.0, "ROLLBACK");
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            match crate::pool::establish_postgres(admin) {
                Ok(mut conn) => {
                    if let Err(e) = diesel::sql_query(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    ))
                    .execute(&mut conn)
                    {
                        eprintln!("warning: could not drop test database {name}: {e}");
                    }
                }
                Err(e) => eprintln!("warning: could not drop test database {name}: {e}"),
            }
        }
    }
}

fn connect(url: &str) -> Result<crate::pool::DbConn, StoreError> {
    Manager::new(Target::parse(url)?, std::time::Duration::from_secs(10))
        .connect()
        .map_err(|e| StoreError::Config(e.to_string()))
}

/// Reverts every applied migration of the database at `url`; returns how many were reverted.
pub fn revert_all_migrations(url: &str) -> Result<usize, StoreError> {
    crate::pool::revert(&mut connect(url)?, true)
}

/// Reverts the last applied migration of the database at `url`.
pub fn revert_last_migration(url: &str) -> Result<(), StoreError> {
    crate::pool::revert(&mut connect(url)?, false).map(|_| ())
}

/// Runs the pending migrations of the database at `url` (as `Store::open` does).
pub fn run_pending_migrations(url: &str) -> Result<(), StoreError> {
    crate::pool::migrate(&mut connect(url)?)
}

/// Runs the SQL statement `sql` (no binds) on the database at `url`; returns how many rows it changed: for
/// tests that damage stored data on purpose.
pub fn execute(url: &str, sql: &str) -> Result<usize, StoreError> {
    Ok(diesel::sql_query(sql).execute(&mut connect(url)?)?)
}

/// The names of the tables in the database at `url` (user tables only), sorted.
pub fn table_names(url: &str) -> Result<Vec<String>, StoreError> {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let mut conn = connect(url)?;
    let sql = match conn {
        crate::pool::DbConn::Sqlite(_) => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        crate::pool::DbConn::Postgres(_) => {
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        }
    };
    let names: Vec<Name> = diesel::sql_query(sql).load(&mut conn)?;
    Ok(names.into_iter().map(|n| n.name).collect())
}

/// Whether any row of any table of the database at `url` holds `needle` in one of its values (as text): for
/// tests that a secret the API receives, such as a user's password, is never stored.
pub fn database_holds_text(url: &str, needle: &str) -> Result<bool, StoreError> {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let tables = table_names(url)?;
    let mut conn = connect(url)?;
    for table in tables {
        let quoted = format!("\"{}\"", table.replace('"', "\"\""));
        let sql = match conn {
            crate::pool::DbConn::Sqlite(_) => {
                let columns: Vec<Name> =
                    diesel::sql_query("SELECT name FROM pragma_table_info(?1)")
                        .bind::<diesel::sql_types::Text, _>(&table)
                        .load(&mut conn)?;
                if columns.is_empty() {
                    continue;
                }
                let tests: Vec<String> = columns
                    .iter()
                    .map(|c| {
                        format!(
                            "instr(CAST(\"{}\" AS TEXT), ?1) > 0",
                            c.name.replace('"', "\"\"")
                        )
                    })
                    .collect();
                format!(
                    "SELECT COUNT(*) AS n FROM {quoted} WHERE {}",
                    tests.join(" OR ")
                )
            }
            crate::pool::DbConn::Postgres(_) => {
                format!("SELECT COUNT(*) AS n FROM {quoted} AS r WHERE strpos(r::text, $1) > 0")
            }
        };
        let found: Vec<Count> = diesel::sql_query(sql)
            .bind::<diesel::sql_types::Text, _>(needle)
            .load(&mut conn)?;
        if found.iter().any(|c| c.n > 0) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Bulk-loads `n` users made by `make(i)` into `org` for benchmarks and load tests: multi-row inserts in one
/// transaction, no events logged. Much faster than `n` calls of `Store::create_user`.
pub fn seed_users(
    store: &Store,
    org: &str,
    n: usize,
    make: impl Fn(usize) -> scim_core::resource::User,
) -> Result<(), StoreError> {
    use crate::models::{new_id, now, UserRows};

    const BATCH: usize = 500;
    let t = now();
    let meta = scim_core::resource::Meta {
        created: t,
        last_modified: t,
        version: 1,
    };
    let mut conn = store.inner.write()?;
    crate::pool::write_txn(&mut conn, |conn| {
        crate::orgs::require(conn, org)?;
        let mut start = 0;
        while start < n {
            let end = (start + BATCH).min(n);
            let rows: Vec<UserRows> = (start..end)
                .map(|i| UserRows::new(&new_id(), org, &make(i), &meta))
                .collect();
            crate::users::insert_rows(conn, &rows)?;
            start = end;
        }
        Ok(())
    })?;
    // Settle the database after a bulk load, so that what follows does not measure background maintenance.
    // SQLite: the WAL is written back and truncated. No ANALYZE, as in production (nothing there runs it): with
    // SQLITE_ENABLE_STAT4 (libsqlite3-sys' bundled build) the planner reads stat4 samples with the bound values,
    // which makes SQLite re-prepare such a statement at every new binding: every look-up would be parsed and
    // planned again (measured: 2.5x fewer look-ups/s). PostgreSQL: fresh planner statistics, hint bits and the
    // visibility map (VACUUM ANALYZE) and a checkpoint (best effort: it needs the pg_checkpoint role).
    match &mut **conn {
        crate::pool::DbConn::Sqlite(c) => {
            diesel::connection::SimpleConnection::batch_execute(
                c,
                "PRAGMA wal_checkpoint(TRUNCATE)",
            )?;
        }
        crate::pool::DbConn::Postgres(c) => {
            diesel::sql_query("VACUUM (ANALYZE)").execute(c)?;
            if let Err(e) = diesel::sql_query("CHECKPOINT").execute(c) {
                log::info!("no CHECKPOINT after seeding: {e}");
            }
        }
    }
    Ok(())
}
