//! Concurrent start-up, creates and read-modify-writes.

use std::sync::{mpsc, Arc, Barrier};
use std::time::Duration;

use humbol_store::testing::TestDb;
use humbol_store::{Backend, PoolOptions, Store, StoreError};
use rstest::rstest;
use scim_core::resource::{Group, User};

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

/// The manager rule runs in the write transaction: a manager deleted while a write sets it is either refused
/// (the delete committed first) or cleared by the delete (the write committed first); never left dangling.
#[rstest]
fn a_manager_deleted_during_the_write_is_never_left_dangling(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let fx = fx(backend);
    let boss = fx
        .store
        .create_user("acme", &user("boss@x"), ACTOR)
        .unwrap();
    let report = fx.store.create_user("acme", &user("r@x"), ACTOR).unwrap();
    let (go, started) = mpsc::channel::<()>();
    let (finished, done) = mpsc::channel::<bool>();
    let deleter = {
        let store = fx.store.clone();
        let boss = boss.id.clone();
        std::thread::spawn(move || {
            started.recv().unwrap();
            let deleted = store.delete_user("acme", &boss, None, ACTOR).unwrap();
            finished.send(deleted).unwrap();
        })
    };
    let mut go = Some(go);
    let result = fx
        .store
        .update_user("acme", &report.id, None, ACTOR, &mut |cur| {
            // Mid-write: let the delete run, and give it the time to commit if the backend lets it (PostgreSQL
            // does; SQLite's one writer makes it wait for this transaction: less than the pool's 2 s wait).
            if let Some(go) = go.take() {
                go.send(()).unwrap();
                let _ = done.recv_timeout(Duration::from_secs(1));
            }
            Ok(User {
                manager: Some(boss.id.clone()),
                ..cur.resource.clone()
            })
        });
    deleter.join().unwrap();
    assert_eq!(fx.store.user("acme", &boss.id).unwrap(), None);
    let after = fx.store.user("acme", &report.id).unwrap().unwrap();
    assert_eq!(after.resource.manager, None, "dangling manager: {result:?}");
    match (backend, &result) {
        (Backend::Postgres, Err(StoreError::Rejected(e))) => {
            assert!(
                e.detail.contains("is not a user of this organisation"),
                "{e:?}"
            )
        }
        (Backend::Sqlite, Ok(_)) => {}
        other => panic!("unexpected outcome {other:?}"),
    }
}

/// The manager must be a user of the same organisation, checked by the store itself.
#[rstest]
fn an_unknown_manager_is_refused_by_the_store(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let fx = fx(backend);
    let other_org = fx.store.create_user("globex", &user("g@x"), ACTOR).unwrap();
    for manager in ["no-such-user", other_org.id.as_str()] {
        let mut u = user("r@x");
        u.manager = Some(manager.to_string());
        let e = fx.store.create_user("acme", &u, ACTOR).unwrap_err();
        assert!(
            matches!(&e, StoreError::Rejected(s) if s.detail == format!("manager \"{manager}\" is not a user of this organisation")),
            "{e:?}"
        );
        let r = fx.store.create_user("acme", &user("r@x"), ACTOR).unwrap();
        let e = fx
            .store
            .update_user("acme", &r.id, None, ACTOR, &mut |cur| {
                Ok(User {
                    manager: Some(manager.to_string()),
                    ..cur.resource.clone()
                })
            })
            .unwrap_err();
        assert!(matches!(e, StoreError::Rejected(_)), "{e:?}");
        assert!(fx.store.delete_user("acme", &r.id, None, ACTOR).unwrap());
    }
    assert_eq!(
        fx.store
            .list_users("acme", &q("userName pr"))
            .unwrap()
            .total,
        0
    );
}

/// `DELETE` with `If-Match`: the version check and the delete are one transaction, so a delete racing an
/// update either deletes the version it names (and the update finds nothing) or is refused (and the update is
/// kept); never both succeed.
#[rstest]
fn a_delete_with_if_match_never_deletes_a_newer_version(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let fx = fx(backend);
    for round in 0..10 {
        let u = fx
            .store
            .create_user("acme", &user(&format!("u{round}@x")), ACTOR)
            .unwrap();
        let g = fx
            .store
            .create_group(
                "acme",
                &Group {
                    display_name: format!("G{round}"),
                    ..Default::default()
                },
                ACTOR,
            )
            .unwrap();
        let barrier = Arc::new(Barrier::new(2));
        let deleter = {
            let (store, barrier) = (fx.store.clone(), barrier.clone());
            let (user, group) = (
                (u.id.clone(), u.meta.version),
                (g.id.clone(), g.meta.version),
            );
            std::thread::spawn(move || {
                barrier.wait();
                (
                    store.delete_user("acme", &user.0, Some(user.1), ACTOR),
                    store.delete_group("acme", &group.0, Some(group.1), ACTOR),
                )
            })
        };
        barrier.wait();
        let updated_user = fx
            .store
            .update_user("acme", &u.id, None, ACTOR, &mut |cur| {
                Ok(User {
                    title: Some("changed".into()),
                    ..cur.resource.clone()
                })
            });
        let updated_group = fx
            .store
            .update_group("acme", &g.id, None, ACTOR, &[], &mut |cur| {
                Ok(Group {
                    display_name: format!("G{round} renamed"),
                    ..cur.resource.clone()
                })
            });
        let (deleted_user, deleted_group) = deleter.join().unwrap();
        match (&updated_user, &deleted_user) {
            (Ok(_), Err(StoreError::VersionMismatch)) | (Err(StoreError::NotFound), Ok(true)) => {}
            other => panic!("user: {other:?}"),
        }
        match (&updated_group, &deleted_group) {
            (Ok(_), Err(StoreError::VersionMismatch)) | (Err(StoreError::NotFound), Ok(true)) => {}
            other => panic!("group: {other:?}"),
        }
        assert_eq!(
            fx.store.user("acme", &u.id).unwrap().is_some(),
            updated_user.is_ok()
        );
    }
}

/// A stale `If-Match` deletes nothing; the current one deletes.
#[rstest]
fn a_delete_with_a_stale_if_match_deletes_nothing(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let fx = fx(backend);
    let u = fx.store.create_user("acme", &user("a@x"), ACTOR).unwrap();
    let v2 = fx
        .store
        .update_user("acme", &u.id, None, ACTOR, &mut |cur| {
            Ok(User {
                title: Some("t".into()),
                ..cur.resource.clone()
            })
        })
        .unwrap();
    let e = fx
        .store
        .delete_user("acme", &u.id, Some(u.meta.version), ACTOR);
    assert_eq!(e, Err(StoreError::VersionMismatch));
    assert!(fx.store.user("acme", &u.id).unwrap().is_some());
    assert_eq!(
        fx.store
            .delete_user("acme", &u.id, Some(v2.meta.version), ACTOR),
        Ok(true)
    );
    let g = fx
        .store
        .create_group(
            "acme",
            &Group {
                display_name: "G".into(),
                ..Default::default()
            },
            ACTOR,
        )
        .unwrap();
    let e = fx
        .store
        .delete_group("acme", &g.id, Some(g.meta.version + 1), ACTOR);
    assert_eq!(e, Err(StoreError::VersionMismatch));
    assert_eq!(
        fx.store
            .delete_group("acme", &g.id, Some(g.meta.version), ACTOR),
        Ok(true)
    );
}

/// A member added while that user is being deleted: the add ends as a success or a refusal (the user is not one
/// of the organisation's any more), never as a database error (PostgreSQL: a foreign-key violation, a deadlock).
#[rstest]
fn a_member_add_racing_the_users_delete_is_never_a_database_error(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    use humbol_store::MemberChange;
    let fx = fx(backend);
    for i in 0..30 {
        let u = fx
            .store
            .create_user("acme", &user(&format!("race{i}@x.com")), ACTOR)
            .unwrap();
        let g = fx
            .store
            .create_group(
                "acme",
                &Group {
                    display_name: format!("race {i}"),
                    ..Default::default()
                },
                ACTOR,
            )
            .unwrap();
        let barrier = Arc::new(Barrier::new(2));
        let add = {
            let (store, barrier, g, u) = (
                fx.store.clone(),
                barrier.clone(),
                g.id.clone(),
                u.id.clone(),
            );
            std::thread::spawn(move || {
                barrier.wait();
                store.update_group(
                    "acme",
                    &g,
                    None,
                    ACTOR,
                    &[MemberChange::Add(vec![u])],
                    &mut |cur| Ok(cur.resource.clone()),
                )
            })
        };
        let delete = {
            let (store, barrier, u) = (fx.store.clone(), barrier.clone(), u.id.clone());
            std::thread::spawn(move || {
                barrier.wait();
                store.delete_user("acme", &u, None, ACTOR)
            })
        };
        let added = add.join().unwrap();
        assert_eq!(delete.join().unwrap(), Ok(true));
        match added {
            Ok(_) | Err(StoreError::Rejected(_)) => {}
            other => panic!("trial {i}: member add answered {other:?}"),
        }
        let members = fx
            .store
            .group("acme", &g.id, true)
            .unwrap()
            .unwrap()
            .resource
            .members;
        assert!(
            members.is_empty(),
            "trial {i}: a deleted user is still a member: {members:?}"
        );
    }
}

/// A refusal naming many unknown member ids names the first few and how many: its detail (answered, and kept
/// in the event log) stays small; any event detail is kept to a bounded length.
#[rstest]
fn refusals_and_event_details_are_bounded(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    use humbol_store::{EventQuery, MemberChange, NewEvent, Outcome};
    let fx = fx(backend);
    let g = fx
        .store
        .create_group(
            "acme",
            &Group {
                display_name: "many".into(),
                ..Default::default()
            },
            ACTOR,
        )
        .unwrap();
    let unknown: Vec<String> = (0..500)
        .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
        .collect();
    let refused = fx.store.update_group(
        "acme",
        &g.id,
        None,
        ACTOR,
        &[MemberChange::Add(unknown)],
        &mut |cur| Ok(cur.resource.clone()),
    );
    let Err(StoreError::Rejected(e)) = refused else {
        panic!("{refused:?}");
    };
    assert!(e.detail.len() < 1200, "{} bytes", e.detail.len());
    assert!(e.detail.contains("000000000000"), "{}", e.detail);
    assert!(e.detail.contains("500 unknown in all"), "{}", e.detail);
    let long = "é".repeat(50_000);
    fx.store
        .record_event(
            "acme",
            &NewEvent {
                actor: ACTOR.into(),
                action: humbol_store::EventAction::Refused,
                resource_type: None,
                resource_id: None,
                outcome: Outcome::Refused,
                detail: long,
            },
        )
        .unwrap();
    let events = fx.store.events("acme", &EventQuery::default()).unwrap();
    assert!(events[0].detail.len() <= 2048, "{}", events[0].detail.len());
    assert!(events[0].detail.starts_with("éé"));
}

/// The manager rule runs on the write's own connection: a burst of writes that each name a manager, more writers
/// than the pool has connections, all succeed. (A check on a second pooled connection, taken while the write holds
/// one, would leave every connection held by a write waiting for another: each would fail after the pool's wait.)
#[rstest]
fn a_burst_of_manager_writes_does_not_exhaust_a_small_pool(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let fx = fx(backend);
    let store = Store::open(
        fx.db.url(),
        &PoolOptions {
            max_size: 2,
            connection_timeout: Duration::from_secs(1),
            ..PoolOptions::default()
        },
    )
    .unwrap();
    let boss = store.create_user("acme", &user("boss@x"), ACTOR).unwrap();
    let reports: Vec<String> = (0..12)
        .map(|i| {
            let u = store
                .create_user("acme", &user(&format!("r{i}@x")), ACTOR)
                .unwrap();
            u.id
        })
        .collect();
    let barrier = Arc::new(Barrier::new(reports.len()));
    let handles: Vec<_> = reports
        .iter()
        .map(|id| {
            let (store, barrier, id, boss) =
                (store.clone(), barrier.clone(), id.clone(), boss.id.clone());
            std::thread::spawn(move || {
                barrier.wait();
                (0..5)
                    .map(|round| {
                        store.update_user("acme", &id, None, ACTOR, &mut |cur| {
                            Ok(User {
                                manager: Some(boss.clone()),
                                title: Some(format!("round {round}")),
                                ..cur.resource.clone()
                            })
                        })
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for h in handles {
        for result in h.join().unwrap() {
            assert!(result.is_ok(), "{result:?}");
        }
    }
    for id in &reports {
        let u = store.user("acme", id).unwrap().unwrap();
        assert_eq!(u.resource.manager.as_deref(), Some(boss.id.as_str()));
        assert_eq!(u.resource.title.as_deref(), Some("round 4"));
    }
}

/// Holds the write side of `db` (SQLite: the write lock; PostgreSQL: the organisations' table, which every
/// create reads first) until the returned connection commits.
fn hold_writes(db: &TestDb) -> Box<dyn FnOnce()> {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    match db.backend() {
        Backend::Sqlite => {
            let path = db.url().strip_prefix("sqlite://").unwrap().to_string();
            let mut c = diesel::SqliteConnection::establish(&path).unwrap();
            c.batch_execute("BEGIN IMMEDIATE").unwrap();
            Box::new(move || c.batch_execute("COMMIT").unwrap())
        }
        Backend::Postgres => {
            let mut c = diesel::PgConnection::establish(db.url()).unwrap();
            c.batch_execute("BEGIN; LOCK TABLE orgs IN ACCESS EXCLUSIVE MODE")
                .unwrap();
            Box::new(move || c.batch_execute("COMMIT").unwrap())
        }
    }
}

type Created = Result<scim_core::resource::Stored<User>, StoreError>;

/// Creates `users` in `acme` while the writes are held: the first create leads a group of its own and waits
/// for the database; the others queue behind it and, once it is let go, run as ONE group (they share one
/// `meta.created`, the group's). Returns the lone create's outcome and the others', in `users`' order.
fn create_behind_a_held_writer(fx: &crate::Fx, users: Vec<User>) -> (Created, Vec<Created>) {
    let release = hold_writes(&fx.db);
    let first = {
        let store = fx.store.clone();
        std::thread::spawn(move || store.create_user("acme", &user("first@x"), ACTOR))
    };
    std::thread::sleep(Duration::from_millis(300));
    let queued: Vec<_> = users
        .into_iter()
        .map(|u| {
            let store = fx.store.clone();
            let h = std::thread::spawn(move || store.create_user("acme", &u, ACTOR));
            std::thread::sleep(Duration::from_millis(20));
            h
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    release();
    let first = first.join().unwrap();
    (
        first,
        queued.into_iter().map(|h| h.join().unwrap()).collect(),
    )
}

fn created_events(fx: &crate::Fx) -> usize {
    let q = humbol_store::EventQuery {
        action: Some("created".into()),
        resource_type: Some("User".into()),
        limit: 100,
        ..Default::default()
    };
    fx.store.events("acme", &q).unwrap().len()
}

/// Concurrent creates share a transaction (group commit), and each is stored whole, with its emails and its
/// event, as if it had been written alone.
#[rstest]
fn queued_creates_share_one_transaction(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let fx = fx(backend);
    let users: Vec<User> = (0..9)
        .map(|i| {
            let mut u = user(&format!("u{i}@x"));
            u.external_id = Some(format!("ext-{i}"));
            u.emails = vec![scim_core::resource::Email {
                value: format!("u{i}@mail.x"),
                ..Default::default()
            }];
            u
        })
        .collect();
    let (first, queued) = create_behind_a_held_writer(&fx, users);
    let first = first.unwrap();
    let queued: Vec<_> = queued.into_iter().map(Result::unwrap).collect();
    let created = queued[0].meta.created;
    assert!(
        queued.iter().all(|s| s.meta.created == created),
        "not one group: {:?}",
        queued.iter().map(|s| s.meta.created).collect::<Vec<_>>()
    );
    assert_ne!(first.meta.created, created);
    for (i, s) in queued.iter().enumerate() {
        let read = fx.store.user("acme", &s.id).unwrap().unwrap();
        assert_eq!(&read, s);
        assert_eq!(read.resource.user_name, format!("u{i}@x"));
        assert_eq!(read.resource.emails[0].value, format!("u{i}@mail.x"));
    }
    assert_eq!(created_events(&fx), 10);
}

/// A create refused inside a group (a taken userName, an unknown manager) changes nothing and gets its own
/// error; the other creates of the group are stored.
#[rstest]
fn a_refused_create_in_a_group_leaves_the_others(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let fx = fx(backend);
    let mut users: Vec<User> = (0..6).map(|i| user(&format!("u{i}@x"))).collect();
    users.insert(2, user("twin@x"));
    users.insert(4, user("TWIN@x"));
    let mut bad = user("managed@x");
    bad.manager = Some("no-such-user".into());
    users.insert(6, bad);
    let (first, queued) = create_behind_a_held_writer(&fx, users);
    first.unwrap();
    let twins: Vec<_> = [&queued[2], &queued[4]]
        .into_iter()
        .map(|r| match r {
            Ok(_) => "ok",
            Err(StoreError::Conflict { attribute, .. }) if attribute == "userName" => "conflict",
            Err(e) => panic!("twin: {e:?}"),
        })
        .collect();
    assert!(
        twins == ["ok", "conflict"] || twins == ["conflict", "ok"],
        "{twins:?}"
    );
    assert!(
        matches!(&queued[6], Err(StoreError::Rejected(e)) if e.detail.contains("no-such-user")),
        "{:?}",
        queued[6]
    );
    for i in [0, 1, 3, 5, 7, 8] {
        let s = queued[i].as_ref().unwrap();
        assert_eq!(fx.store.user("acme", &s.id).unwrap().as_ref(), Some(s));
    }
    let all = fx.store.list_users("acme", &q("userName pr")).unwrap();
    // first@x, the six, one twin; no row of the refused ones.
    assert_eq!(all.total, 8);
    assert_eq!(
        fx.store
            .list_users("acme", &q("userName eq \"managed@x\""))
            .unwrap()
            .total,
        0
    );
    assert_eq!(created_events(&fx), 8);
}
