//! Processes on one database: two on one SQLite file (the case is SQLite's POSIX locks), and short-lived ones
//! on PostgreSQL (their exit). The SCIM API and the admin
//! API are two processes on one database; a readiness check in one of them once opened the database file itself
//! to see whether it could be written, and closing that descriptor dropped every POSIX lock the process held on
//! the file, SQLite's included. The other process, closing its last connection, then got the exclusive lock,
//! checkpointed and deleted the WAL that the first one still used: later writes of each were lost to the other.

use std::process::Command;

use humbol_store::{PoolOptions, Store};

use crate::settings;

/// The database file the peer process opens (set only for the peer).
const PEER_DB: &str = "HUMBOL_TEST_SQLITE_PEER_DB";
/// The organisation the peer must see (written by the test's process).
const PEER_SEES: &str = "HUMBOL_TEST_SQLITE_PEER_SEES";
/// The organisation the peer writes.
const PEER_WRITES: &str = "HUMBOL_TEST_SQLITE_PEER_WRITES";

/// The peer process of [`readiness_checks_keep_writes_visible_across_processes`], which runs it (this test
/// binary again, with `--ignored --exact`): opens the store, must see the test's last write, writes its own,
/// and closes every connection (as a process that exits or idles its connections does).
#[test]
#[ignore = "the peer process of readiness_checks_keep_writes_visible_across_processes, which starts it"]
fn sqlite_peer_process() {
    let Ok(db) = std::env::var(PEER_DB) else {
        return; // run by hand without the test: nothing to be the peer of
    };
    let sees = std::env::var(PEER_SEES).unwrap();
    let writes = std::env::var(PEER_WRITES).unwrap();
    let store = Store::open(&format!("sqlite://{db}"), &PoolOptions::default()).unwrap();
    assert!(
        store.org(&sees).unwrap().is_some(),
        "the peer does not see organisation {sees}, written by the other process"
    );
    store.put_org(&writes, &settings(&writes)).unwrap();
    assert!(store.check_ready().is_ok());
    drop(store);
}

/// One process keeps a store open and checks readiness before and after each write, while a second process
/// opens the same file, reads, writes and closes, five times: every write of each is visible to the other.
#[test]
fn readiness_checks_keep_writes_visible_across_processes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("humbol.db");
    let store = Store::open(
        &format!("sqlite://{}", db.display()),
        &PoolOptions::default(),
    )
    .unwrap();
    store.put_org("mine-0", &settings("mine-0")).unwrap();
    for i in 0..5 {
        store.check_ready().unwrap();
        let peer = Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "processes::sqlite_peer_process",
                "--test-threads=1",
            ])
            .env(PEER_DB, &db)
            .env(PEER_SEES, format!("mine-{i}"))
            .env(PEER_WRITES, format!("peer-{i}"))
            .output()
            .unwrap();
        assert!(
            peer.status.success(),
            "round {i}: the peer process failed:\n{}",
            String::from_utf8_lossy(&peer.stdout)
        );
        assert!(
            String::from_utf8_lossy(&peer.stdout).contains("1 passed"),
            "round {i}: the peer test did not run:\n{}",
            String::from_utf8_lossy(&peer.stdout)
        );
        store.check_ready().unwrap();
        assert!(
            store.org(&format!("peer-{i}")).unwrap().is_some(),
            "round {i}: the other process's write is not visible here"
        );
        let next = format!("mine-{}", i + 1);
        store.put_org(&next, &settings(&next)).unwrap();
    }
}

/// The database the PostgreSQL peer process opens (set only for the peer).
const PG_PEER_URL: &str = "HUMBOL_TEST_POSTGRES_PEER_URL";

/// The peer process of [`a_process_on_postgresql_exits_cleanly`]: opens the store (the pool's background
/// threads then open connections, through libpq and OpenSSL), writes, and returns at once, so that the process
/// exits while those threads may still be connecting.
#[test]
#[ignore = "the peer process of a_process_on_postgresql_exits_cleanly, which starts it"]
fn postgres_peer_process() {
    let Ok(url) = std::env::var(PG_PEER_URL) else {
        return; // run by hand without the test: nothing to be the peer of
    };
    let store = Store::open(&url, &PoolOptions::default()).unwrap();
    let slug = format!("peer-{}", std::process::id());
    store.put_org(&slug, &settings(&slug)).unwrap();
}

/// A short-lived process on PostgreSQL (a CLI command, a server at SIGTERM) must exit with its own status. libpq
/// initialises OpenSSL, whose clean-up at exit freed what a pool thread still connecting was using: about one
/// process in forty died of SIGSEGV after its work was done (`scim-api dev-token`, `loadgen seed`). The store
/// now initialises OpenSSL without that clean-up. Forty processes, each must exit 0.
#[test]
fn a_process_on_postgresql_exits_cleanly() {
    let db = humbol_store::testing::TestDb::new(humbol_store::Backend::Postgres);
    drop(Store::open(db.url(), &PoolOptions::default()).unwrap());
    for i in 0..40 {
        let peer = Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "processes::postgres_peer_process",
                "--test-threads=1",
            ])
            .env(PG_PEER_URL, db.url())
            .output()
            .unwrap();
        assert!(
            peer.status.success(),
            "process {i} of 40 did not exit cleanly ({}):\n{}",
            peer.status,
            String::from_utf8_lossy(&peer.stdout)
        );
    }
}
