//! A sick database: answers within bounds, 503 with `Retry-After`, a `/readyz` that tells, and no failure left
//! behind once the database is back. (The outages a test cannot stage in-process, a PostgreSQL server stopped
//! or frozen, a full disk, are in the fault suite: tests/fault/.)

use std::time::{Duration, Instant};

use humbol_store::Backend;
use rstest::rstest;
use serde_json::json;

use crate::helpers::*;

fn new_user_body() -> serde_json::Value {
    json!({"schemas": [USER_SCHEMA], "userName": format!("{}@example.com", random_name())})
}

/// SQLite locked by another process: a write is answered 503 with `Retry-After` within the wait (2 s) and
/// `/readyz` says 503 within 1 s; once the lock is gone both succeed.
#[tokio::test]
async fn a_sqlite_lock_held_elsewhere_is_a_quick_503_with_retry_after() {
    let app = spawn_app(Backend::Sqlite).await;
    let lock = app.db().hold_exclusive_lock().unwrap();
    let started = Instant::now();
    let r = app.post("/Users", &new_user_body()).await;
    let took = started.elapsed();
    r.assert_scim_error(503, None);
    assert!(r.header("retry-after").is_some(), "{:?}", r.headers);
    assert!(took < Duration::from_secs(4), "{took:?}");
    let started = Instant::now();
    let ready = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    assert!(ready.headers().contains_key("retry-after"));
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    drop(lock);
    app.post("/Users", &new_user_body()).await.assert_ok(201);
    let ready = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
}

/// The SQLite file removed under the running server: no write is acknowledged into the deleted file (503), and
/// `/readyz` fails.
#[tokio::test]
async fn a_removed_sqlite_file_takes_no_writes_and_is_not_ready() {
    let app = spawn_app(Backend::Sqlite).await;
    app.post("/Users", &new_user_body()).await.assert_ok(201);
    let path = app.db_url.strip_prefix("sqlite://").unwrap().to_string();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    let r = app.post("/Users", &new_user_body()).await;
    r.assert_scim_error(503, None);
    assert!(r.header("retry-after").is_some());
    let ready = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
}

/// Every pooled connection lost at once (PostgreSQL: the sessions ended, as by a server restart): once the pool's
/// connections have been idle a moment, no request fails. SQLite has no sessions to end; the same requests
/// succeed there.
#[rstest]
#[tokio::test]
async fn no_request_fails_after_the_database_drops_every_connection(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    // Several connections in the pool: concurrent requests.
    let q = "/Users?count=1";
    let warm = tokio::join!(
        app.get(q),
        app.get(q),
        app.get(q),
        app.get(q),
        app.get(q),
        app.get(q)
    );
    for r in [warm.0, warm.1, warm.2, warm.3, warm.4, warm.5] {
        r.assert_ok(200);
    }
    let ended = app.db().terminate_sessions();
    if backend == Backend::Postgres {
        assert!(ended > 0, "no session ended");
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let mut failed = Vec::new();
    for i in 0..12 {
        let r = if i % 2 == 0 {
            app.get("/Users?count=1").await
        } else {
            app.post("/Users", &new_user_body()).await
        };
        if r.status >= 500 {
            failed.push(r.status);
        }
    }
    assert!(
        failed.is_empty(),
        "failed after the connections were lost: {failed:?}"
    );
}
