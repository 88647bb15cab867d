//! PostgreSQL's statistics follow the tables' growth without autovacuum: the store runs `VACUUM (ANALYZE)` itself
//! after many writes (SQLite: never), so the statistics are fresh and the written pages all-visible.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double};
use humbol_store::Backend;
use rstest::rstest;

use crate::{fx, user, ACTOR};

#[derive(QueryableByName)]
struct Analysed {
    #[diesel(sql_type = BigInt)]
    analyses: i64,
    #[diesel(sql_type = Double)]
    rows: f64,
    #[diesel(sql_type = BigInt)]
    vacuums: i64,
    #[diesel(sql_type = BigInt)]
    all_visible: i64,
    #[diesel(sql_type = BigInt)]
    pages: i64,
}

#[rstest]
fn statistics_are_refreshed_as_the_users_grow(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let fx = fx(backend);
    let s = &fx.store;
    let mut pg = (backend == Backend::Postgres)
        .then(|| humbol_store::establish_postgres(fx.db.url()).unwrap());
    if let Some(pg) = pg.as_mut() {
        // As on a server without autovacuum: only the store analyses these tables.
        for t in [
            "users",
            "user_emails",
            "user_addresses",
            "groups",
            "group_members",
        ] {
            diesel::sql_query(format!("ALTER TABLE {t} SET (autovacuum_enabled = off)"))
                .execute(pg)
                .unwrap();
        }
    }
    for i in 0..300 {
        s.create_user("acme", &user(&format!("u{i}@acme.test")), ACTOR)
            .unwrap();
    }
    let Some(pg) = pg.as_mut() else {
        assert_eq!(s.statistics_refreshes(), 0);
        return;
    };
    // Refreshes run in the background: wait for them (at 50 writes, then 50 + 10% of the rows found, …).
    let deadline = Instant::now() + Duration::from_secs(20);
    let stats = loop {
        let a: Analysed = diesel::sql_query(
            "SELECT s.analyze_count AS analyses, c.reltuples::FLOAT8 AS rows, s.vacuum_count AS vacuums, \
             c.relallvisible::BIGINT AS all_visible, c.relpages::BIGINT AS pages \
             FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relname = 'users'",
        )
        .get_result(pg)
        .unwrap();
        if (s.statistics_refreshes() >= 3 && a.rows >= 150.0 && a.all_visible > 0)
            || Instant::now() > deadline
        {
            break a;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        s.statistics_refreshes() >= 3,
        "{}",
        s.statistics_refreshes()
    );
    assert!(stats.analyses >= 3, "{}", stats.analyses);
    assert!(
        stats.rows >= 150.0,
        "users' statistics say {} rows",
        stats.rows
    );
    // Vacuumed too: the pages written are all-visible, so index-only reads need not visit them.
    assert!(stats.vacuums >= 3, "{}", stats.vacuums);
    assert!(
        stats.all_visible > 0 && stats.all_visible * 2 >= stats.pages,
        "{} of {} pages all-visible",
        stats.all_visible,
        stats.pages
    );
}
