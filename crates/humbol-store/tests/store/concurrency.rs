//! Concurrent start-up, creates and read-modify-writes.

use std::sync::{Arc, Barrier};

use humbol_store::testing::TestDb;
use humbol_store::{Backend, PoolOptions, Store, StoreError};
use rstest::rstest;
use scim_core::resource::User;

use crate::{fx, q, user, ACTOR};

#[rstest]
fn two_processes_start_at_once(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let db = TestDb::new(backend);
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let url = db.url().to_string();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                Store::open(&url, &PoolOptions::default())
            })
        })
        .collect();
    let stores: Vec<Store> = handles
        .into_iter()
        .map(|h| h.join().unwrap().unwrap())
        .collect();
    for s in &stores {
        s.ping().unwrap();
    }
}

#[rstest]
fn one_of_sixteen_identical_creates_wins(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let fx = fx(backend);
    let barrier = Arc::new(Barrier::new(16));
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let store = fx.store.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let name = if i % 2 == 0 {
                    "same@x.com"
                } else {
                    "SAME@x.com"
                };
                barrier.wait();
                store.create_user("acme", &user(name), ACTOR)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let conflicts = results
        .iter()
        .filter(
            |r| matches!(r, Err(StoreError::Conflict { attribute, .. }) if attribute == "userName"),
        )
        .count();
    assert_eq!((ok, conflicts), (1, 15), "{results:?}");
    assert_eq!(
        fx.store
            .list_users("acme", &q("userName eq \"same@x.com\""))
            .unwrap()
            .total,
        1
    );
}

#[rstest]
fn concurrent_updates_lose_nothing(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let fx = fx(backend);
    let mut u = user("counter@x");
    u.title = Some("0".into());
    let id = fx.store.create_user("acme", &u, ACTOR).unwrap().id;
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let store = fx.store.clone();
            let barrier = barrier.clone();
            let id = id.clone();
            std::thread::spawn(move || {
                barrier.wait();
                for _ in 0..10 {
                    store
                        .update_user("acme", &id, None, ACTOR, &mut |cur| {
                            let n: u32 = cur
                                .resource
                                .title
                                .as_deref()
                                .unwrap_or("0")
                                .parse()
                                .unwrap();
                            Ok(User {
                                title: Some((n + 1).to_string()),
                                ..cur.resource.clone()
                            })
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let done = fx.store.user("acme", &id).unwrap().unwrap();
    assert_eq!(done.resource.title.as_deref(), Some("80"));
    assert_eq!(done.meta.version, 81);
}
