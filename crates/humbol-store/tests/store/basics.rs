//! Opening, organisations, tokens, events.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use humbol_store::testing::TestDb;
use humbol_store::{
    Backend, EventQuery, NewEvent, NewToken, Outcome, PoolOptions, Query, Store, StoreError,
};
use rstest::rstest;

use crate::{fx, q, settings, user, ACTOR};

#[test]
fn open_refuses_bad_urls_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let missing_dir = format!("sqlite://{}/no/such/dir/x.db", dir.path().display());
    let cases = [
        "mysql://root@localhost/humbol",
        "humbol.db",
        "sqlite:/humbol.db",
        "sqlite://",
        "postgres://postgres:secret@127.0.0.1:1/humbol",
        missing_dir.as_str(),
    ];
    for url in cases {
        match Store::open(url, &PoolOptions::default()) {
            Err(StoreError::Config(msg)) => {
                assert!(!msg.contains("secret"), "password leaked: {msg}");
                assert!(!msg.is_empty());
            }
            other => panic!("{url}: expected Config error, got {other:?}"),
        }
    }
    // No file was created for the typo'd schemes.
    assert!(!std::path::Path::new("humbol.db").exists());
}

#[test]
fn open_errors_say_why_and_never_show_a_password() {
    let dir = tempfile::tempdir().unwrap();
    let message = |url: &str| match Store::open(url, &PoolOptions::default()) {
        Err(StoreError::Config(msg)) => msg,
        other => panic!("{url}: expected Config error, got {other:?}"),
    };
    for url in [
        "postgres://u@127.0.0.1:1/db?password=hunter2",
        "postgres://u:hunter2@127.0.0.1:1/db",
        "host=127.0.0.1 port=1 password=hunter2",
    ] {
        let msg = message(url);
        assert!(!msg.contains("hunter2"), "password leaked: {msg}");
        assert!(msg.contains("***"), "{msg}");
    }
    let bare = message("humbol.db");
    assert!(!bare.contains("humbol.db://"), "{bare}");
    assert!(bare.contains("sqlite://humbol.db"), "{bare}");

    let missing = dir.path().join("no/such");
    let msg = message(&format!("sqlite://{}/x.db", missing.display()));
    assert!(
        msg.contains(&format!("directory {} does not exist", missing.display())),
        "{msg}"
    );
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"").unwrap();
    let msg = message(&format!("sqlite://{}/x.db", file.display()));
    assert!(msg.contains("is not a directory"), "{msg}");
}

#[test]
fn in_memory_sqlite_works() {
    let store = Store::open("sqlite::memory:", &PoolOptions::default()).unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    store.put_org("acme", &settings("acme")).unwrap();
    let u = store.create_user("acme", &user("a@x"), ACTOR).unwrap();
    assert_eq!(store.user("acme", &u.id).unwrap().unwrap(), u);
}

#[rstest]
fn ping_and_backend(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let db = TestDb::new(backend);
    let store = db.store();
    assert_eq!(store.backend(), backend);
    store.ping().unwrap();
}

#[rstest]
fn orgs_are_created_then_updated(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let db = TestDb::new(backend);
    let store = db.store();
    assert_eq!(store.org("acme").unwrap(), None);
    let (org, created) = store.put_org("acme", &settings("acme")).unwrap();
    assert!(created);
    assert_eq!(org.roles, vec!["Admin", "Member"]);
    let mut s = settings("acme");
    s.name = "Acme Corp".into();
    s.scim_enabled = false;
    let (org2, created) = store.put_org("acme", &s).unwrap();
    assert!(!created);
    assert_eq!(org2.created, org.created);
    assert_eq!(store.org("acme").unwrap(), Some(org2.clone()));
    assert_eq!(org2.name, "Acme Corp");
    assert!(!org2.scim_enabled);
}

fn token(name: &str, byte: u8, expires_in: Option<Duration>) -> NewToken {
    NewToken {
        name: name.into(),
        hash: [byte; 32],
        hint: format!("hbl_…{byte:02x}"),
        expires_at: expires_in.map(|d| Utc::now() + d),
    }
}

#[rstest]
fn tokens_lifecycle(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let fx = fx(backend);
    let s = &fx.store;
    let t1 = s
        .create_token("acme", &token("entra", 1, None), "admin:alice")
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2));
    let t2 = s
        .create_token(
            "acme",
            &token("soon", 2, Some(Duration::hours(1))),
            "admin:alice",
        )
        .unwrap();
    let expired = s
        .create_token(
            "acme",
            &token("old", 3, Some(Duration::hours(-1))),
            "admin:alice",
        )
        .unwrap();
    assert!(matches!(
        s.create_token("nope", &token("x", 4, None), ACTOR),
        Err(StoreError::NotFound)
    ));
    // Same hash twice: refused by the unique index.
    assert!(matches!(
        s.create_token("globex", &token("dup", 1, None), ACTOR),
        Err(StoreError::Conflict { .. })
    ));

    let list = s.tokens("acme").unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0].id, expired.id, "newest first");
    assert_eq!(list[2].id, t1.id);
    assert!(s.tokens("globex").unwrap().is_empty());

    let now = Utc::now();
    let auth = s.authenticate(&[1; 32], now).unwrap().unwrap();
    assert_eq!(auth.token_id, t1.id);
    assert_eq!(auth.org.slug, "acme");
    assert_eq!(
        s.authenticate(&[2; 32], now).unwrap().unwrap().token_id,
        t2.id
    );
    assert_eq!(s.authenticate(&[3; 32], now).unwrap(), None, "expired");
    assert_eq!(s.authenticate(&[9; 32], now).unwrap(), None, "unknown");

    s.record_token_uses(&[(t1.id.clone(), now)]).unwrap();
    s.record_token_uses(&[(t1.id.clone(), now - Duration::hours(1))])
        .unwrap();
    let used = s
        .tokens("acme")
        .unwrap()
        .into_iter()
        .find(|t| t.id == t1.id)
        .unwrap();
    assert_eq!(
        used.last_used_at.map(|t| t.timestamp_micros()),
        Some(now.timestamp_micros()),
        "never moves backwards"
    );

    assert!(
        !s.revoke_token("globex", &t1.id, ACTOR).unwrap(),
        "other org"
    );
    assert!(!s.revoke_token("acme", "no-such-id", ACTOR).unwrap());
    assert!(s.revoke_token("acme", &t1.id, "admin:alice").unwrap());
    assert!(s.revoke_token("acme", &t1.id, "admin:alice").unwrap());
    assert_eq!(
        s.authenticate(&[1; 32], Utc::now()).unwrap(),
        None,
        "revoked"
    );

    let events = s.events("acme", &EventQuery::default()).unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "token_revoked",
            "token_created",
            "token_created",
            "token_created"
        ]
    );
    assert!(events[0].detail.contains("entra"));
    assert_eq!(events[0].resource_id.as_deref(), Some(t1.id.as_str()));
}

#[rstest]
fn events_page_filter_and_prune(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let fx = fx(backend);
    let s = &fx.store;
    for i in 0..5 {
        s.create_user("acme", &user(&format!("u{i}@x")), ACTOR)
            .unwrap();
    }
    s.record_event(
        "acme",
        &NewEvent {
            actor: ACTOR.into(),
            action: humbol_store::EventAction::Refused,
            resource_type: Some(humbol_store::EventResource::User),
            resource_id: None,
            outcome: Outcome::Refused,
            detail: "role \"Boss\" is not one of Admin, Member".into(),
        },
    )
    .unwrap();
    let all = s.events("acme", &EventQuery::default()).unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(all[0].outcome, Outcome::Refused);
    assert!(all.windows(2).all(|w| w[0].id > w[1].id));
    let page1 = s
        .events(
            "acme",
            &EventQuery {
                limit: 2,
                ..Default::default()
            },
        )
        .unwrap();
    let page2 = s
        .events(
            "acme",
            &EventQuery {
                before: Some(page1[1].id),
                limit: 10,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(page1.len() + page2.len(), 6);
    assert_eq!(page2[0].id, all[2].id);
    let refused = s
        .events(
            "acme",
            &EventQuery {
                outcome: Some(Outcome::Refused),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(refused.len(), 1);
    assert!(s
        .events("globex", &EventQuery::default())
        .unwrap()
        .is_empty());
    assert_eq!(s.prune_events(Utc::now() - Duration::hours(1)).unwrap(), 0);
    assert_eq!(
        s.prune_events(Utc::now() + Duration::seconds(1)).unwrap(),
        6
    );
    assert!(s.events("acme", &EventQuery::default()).unwrap().is_empty());
}

/// The look-up hot path: token check and user look-up in one statement give what the two steps give.
#[rstest]
fn token_check_and_key_lookup_in_one_statement(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    use scim_core::resource::{Address, Email};
    let fx = fx(backend);
    let s = &fx.store;
    s.create_token("acme", &token("entra", 1, None), ACTOR)
        .unwrap();
    s.create_token("acme", &token("old", 3, Some(Duration::hours(-1))), ACTOR)
        .unwrap();
    s.create_token("globex", &token("globex", 2, None), ACTOR)
        .unwrap();
    let mut alice = user("alice@x");
    alice.external_id = Some("ext-1".into());
    alice.emails = (0..3)
        .map(|i| Email {
            value: format!("a{i}@x"),
            kind: Some("work".into()),
            primary: i == 0,
        })
        .collect();
    alice.addresses = (0..2)
        .map(|i| Address {
            country: Some(format!("C{i}")),
            ..Default::default()
        })
        .collect();
    let alice = s.create_user("acme", &alice, ACTOR).unwrap();
    let now = Utc::now();
    let mut reader = s.reader().unwrap();
    for key in [
        r#"userName eq "ALICE@x""#.to_string(),
        r#"externalId eq "ext-1""#.to_string(),
        format!(r#"id eq "{}""#, alice.id),
    ] {
        let (auth, page) = reader
            .authenticate_and_list_users(&[1; 32], now, &q(&key))
            .unwrap()
            .unwrap();
        assert_eq!(auth, s.authenticate(&[1; 32], now).unwrap().unwrap());
        assert_eq!(page.total, 1, "{key}");
        assert_eq!(
            page.items,
            vec![alice.clone()],
            "{key}: 3 emails × 2 addresses fold back"
        );
        // Another organisation's token finds nothing: users are scoped to the token's organisation.
        let (auth, page) = reader
            .authenticate_and_list_users(&[2; 32], now, &q(&key))
            .unwrap()
            .unwrap();
        assert_eq!(auth.org.slug, "globex");
        assert_eq!(page.total, 0, "{key}");
    }
    let miss = q(r#"userName eq "bob@x""#);
    let (_, page) = reader
        .authenticate_and_list_users(&[1; 32], now, &miss)
        .unwrap()
        .unwrap();
    assert!(page.items.is_empty());
    for (hash, why) in [([3; 32], "expired"), ([9; 32], "unknown")] {
        assert_eq!(
            reader
                .authenticate_and_list_users(&hash, now, &miss)
                .unwrap(),
            None,
            "{why}"
        );
    }
    // Not a look-up by key: the two steps, same answer as list_users.
    let (_, page) = reader
        .authenticate_and_list_users(&[1; 32], now, &q(r#"userName sw "ali""#))
        .unwrap()
        .unwrap();
    assert_eq!(page.items, vec![alice]);
    drop(reader);
    s.revoke_token("acme", &auth_id(s), ACTOR).unwrap();
    assert_eq!(
        s.reader()
            .unwrap()
            .authenticate_and_list_users(&[1; 32], Utc::now(), &miss)
            .unwrap(),
        None,
        "revoked"
    );
}

/// Coalesced look-ups: one batch of queries with one token gives, query by query, what one look-up each gives,
/// in the queries' order; other organisations' users are never found; a dead token finds nothing at all.
#[rstest]
fn a_batch_of_lookups_answers_each_as_alone(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    use scim_core::resource::{Email, User};
    let fx = fx(backend);
    let s = &fx.store;
    live_tokens_of_acme_and_globex(s);
    let mut ids = Vec::new();
    for (i, name) in ["alice@x", "bob@x", "carol@x"].into_iter().enumerate() {
        let mut u = user(name);
        u.external_id = Some(format!("ext-{i}"));
        u.emails = (0..2)
            .map(|j| Email {
                value: format!("{j}.{name}"),
                kind: Some("work".into()),
                primary: j == 0,
            })
            .collect();
        ids.push(s.create_user("acme", &u, ACTOR).unwrap().id);
    }
    // globex has its own "alice@x" and an "ext-1": never in acme's answers.
    let mut other = user("alice@x");
    other.external_id = Some("ext-1".into());
    s.create_user("globex", &other, ACTOR).unwrap();
    let queries: Vec<Query> = [
        r#"userName eq "BOB@x""#.to_string(),
        r#"userName eq "alice@x""#.to_string(),
        r#"userName eq "nobody@x""#.to_string(),
        r#"externalId eq "ext-1""#.to_string(),
        format!(r#"id eq "{}""#, ids[2]),
        r#"userName eq "bob@x""#.to_string(),
        r#"userName sw "ca""#.to_string(),
    ]
    .iter()
    .map(|f| q(f))
    .collect();
    let now = Utc::now();
    let batch = |hash: u8| -> Vec<([u8; 32], Query)> {
        queries.iter().map(|q| ([hash; 32], q.clone())).collect()
    };
    let answers = |found: Vec<humbol_store::Authenticated<humbol_store::Page<User>>>| {
        let auth = found[0].as_ref().unwrap().0.clone();
        let pages: Vec<humbol_store::Page<User>> = found
            .into_iter()
            .map(|f| {
                let (a, page) = f.unwrap();
                assert_eq!(a, auth);
                page
            })
            .collect();
        (auth, pages)
    };
    let mut reader = s.reader().unwrap();
    // Batches run on the look-up connections (PostgreSQL: generic plans); same answers on the read pool.
    let found = s
        .lookup_reader()
        .unwrap()
        .authenticate_and_find_users(now, &batch(1))
        .unwrap();
    assert_eq!(
        reader.authenticate_and_find_users(now, &batch(1)).unwrap(),
        found
    );
    let (auth, pages) = answers(found);
    assert_eq!(auth, s.authenticate(&[1; 32], now).unwrap().unwrap());
    assert_eq!(pages.len(), queries.len());
    for (query, page) in queries.iter().zip(&pages) {
        let (_, alone) = reader
            .authenticate_and_list_users(&[1; 32], now, query)
            .unwrap()
            .unwrap();
        assert_eq!(*page, alone, "{:?}", query.filter);
    }
    let found: Vec<usize> = pages.iter().map(|p| p.items.len()).collect();
    assert_eq!(found, [1, 1, 0, 1, 1, 1, 1]);
    assert_eq!(pages[0].items[0].id, ids[1]);
    assert_eq!(pages[1].items[0].id, ids[0], "acme's alice, not globex's");
    assert_eq!(pages[3].items[0].id, ids[1], "acme's ext-1");
    assert_eq!(pages[1].items[0].resource.emails.len(), 2);
    // globex's token over the same batch finds only globex's users.
    let (auth, pages) = answers(reader.authenticate_and_find_users(now, &batch(2)).unwrap());
    assert_eq!(auth.org.slug, "globex");
    let found: Vec<usize> = pages.iter().map(|p| p.items.len()).collect();
    assert_eq!(found, [0, 1, 0, 1, 0, 0, 0]);
    assert_eq!(
        reader.authenticate_and_find_users(now, &batch(9)).unwrap(),
        vec![None; queries.len()],
        "unknown token"
    );
    assert_eq!(
        reader.authenticate_and_find_users(now, &[]).unwrap(),
        vec![]
    );
    drop(reader);
    s.revoke_token("acme", &auth_id(s), ACTOR).unwrap();
    assert_eq!(
        s.reader()
            .unwrap()
            .authenticate_and_find_users(Utc::now(), &batch(1)[..1])
            .unwrap(),
        vec![None],
        "revoked"
    );
}

/// One batch holding the look-ups of several organisations, each with its own token (Entra with many tenants):
/// each look-up finds only the users of its own token's organisation, though both organisations have the same
/// userName, externalId and the batch names the other's ids; a revoked, expired or unknown token in the same
/// batch finds nothing while the others succeed.
#[rstest]
fn a_batch_of_many_tokens_answers_each_in_its_own_organisation(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let fx = fx(backend);
    let s = &fx.store;
    live_tokens_of_acme_and_globex(s);
    s.create_token("acme", &token("revoked", 3, None), ACTOR)
        .unwrap();
    s.create_token(
        "globex",
        &token("expiring", 4, Some(Duration::hours(1))),
        ACTOR,
    )
    .unwrap();
    let revoked = s.authenticate(&[3; 32], Utc::now()).unwrap().unwrap();
    s.revoke_token("acme", &revoked.token_id, ACTOR).unwrap();
    let mut ids = HashMap::new();
    for org in ["acme", "globex"] {
        let mut u = user("alice@x");
        u.external_id = Some("ext-alice".into());
        ids.insert(org, s.create_user(org, &u, ACTOR).unwrap().id);
    }
    // Two hours on: the expiring token has expired, the others have no expiry.
    let later = Utc::now() + Duration::hours(2);
    let by_id = |org: &str| format!(r#"id eq "{}""#, ids[org]);
    let lookups: Vec<(u8, String, Option<&str>)> = vec![
        (1, r#"userName eq "ALICE@x""#.into(), Some("acme")),
        (2, r#"userName eq "alice@x""#.into(), Some("globex")),
        (3, r#"userName eq "alice@x""#.into(), None),
        (4, r#"userName eq "alice@x""#.into(), None),
        (9, r#"userName eq "alice@x""#.into(), None),
        (2, r#"externalId eq "ext-alice""#.into(), Some("globex")),
        (1, r#"externalId eq "ext-alice""#.into(), Some("acme")),
        (4, r#"externalId eq "ext-alice""#.into(), None),
        (1, by_id("acme"), Some("acme")),
        (1, by_id("globex"), Some("acme")),
        (2, by_id("acme"), Some("globex")),
        (2, by_id("globex"), Some("globex")),
        (3, by_id("acme"), None),
        (2, r#"userName sw "ali""#.into(), Some("globex")),
        (3, r#"userName sw "ali""#.into(), None),
        (1, r#"userName eq "nobody@x""#.into(), Some("acme")),
    ];
    let batch: Vec<([u8; 32], Query)> = lookups
        .iter()
        .map(|(hash, filter, _)| ([*hash; 32], q(filter)))
        .collect();
    for mut reader in [s.lookup_reader().unwrap(), s.reader().unwrap()] {
        let found = reader.authenticate_and_find_users(later, &batch).unwrap();
        assert_eq!(found.len(), batch.len());
        for ((hash, filter, org), found) in lookups.iter().zip(found) {
            let why = format!("token {hash}, {filter}");
            let Some(org) = org else {
                assert_eq!(found, None, "{why}");
                continue;
            };
            let (auth, page) = found.expect(&why);
            assert_eq!(auth.org.slug, *org, "{why}");
            // Each answer is what the look-up alone gives, and only ever a user of its own organisation.
            assert_eq!(
                Some((auth.clone(), page.clone())),
                reader
                    .authenticate_and_list_users(&[*hash; 32], later, &q(filter))
                    .unwrap(),
                "{why}"
            );
            let other = if *org == "acme" { "globex" } else { "acme" };
            assert!(page.items.iter().all(|u| u.id != ids[other]), "{why}");
            let expected = usize::from(!filter.contains("nobody") && !filter.contains(&ids[other]));
            assert_eq!(page.items.len(), expected, "{why}");
            if expected == 1 {
                assert_eq!(page.items[0].id, ids[*org], "{why}");
            }
        }
    }
}

fn auth_id(s: &Store) -> String {
    s.authenticate(&[1; 32], Utc::now())
        .unwrap()
        .unwrap()
        .token_id
}

/// Stored data that breaks an invariant is an explicit database error that keeps its cause (never an
/// organisation silently without roles, a user without attributes).
#[rstest]
fn corrupt_columns_are_errors_that_keep_their_cause(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let fx = fx(backend);
    let u = fx.store.create_user("acme", &user("a@x"), ACTOR).unwrap();
    let changed = humbol_store::testing::execute(
        fx.db.url(),
        "UPDATE orgs SET roles = 'not json' WHERE slug = 'acme'",
    )
    .unwrap();
    assert_eq!(changed, 1);
    let e = fx.store.org("acme").unwrap_err();
    assert!(matches!(e, StoreError::Database(_)), "{e:?}");
    let cause = std::error::Error::source(&e).expect("the error keeps its cause");
    assert!(cause.to_string().contains("roles column"), "{cause}");
    let json_error = cause.source().expect("the JSON error is kept");
    assert!(json_error.to_string().contains("expected"), "{json_error}");
    assert!(e.report().contains("roles column"), "{}", e.report());
    assert!(fx.store.org("globex").unwrap().is_some());

    humbol_store::testing::execute(
        fx.db.url(),
        &format!("UPDATE users SET attributes = '[1]' WHERE id = '{}'", u.id),
    )
    .unwrap();
    let e = fx.store.user("acme", &u.id).unwrap_err();
    assert!(matches!(e, StoreError::Database(_)), "{e:?}");
    assert!(e.report().contains("attributes column"), "{}", e.report());

    // A time no calendar holds (never a silent 1970), an outcome that is neither success nor refused (never a
    // refusal shown as a success).
    let v = fx.store.create_user("globex", &user("t@x"), ACTOR).unwrap();
    humbol_store::testing::execute(
        fx.db.url(),
        &format!(
            "UPDATE users SET created = {} WHERE id = '{}'",
            i64::MAX,
            v.id
        ),
    )
    .unwrap();
    let e = fx.store.user("globex", &v.id).unwrap_err();
    assert!(e.report().contains("out of range"), "{}", e.report());
    let changed = humbol_store::testing::execute(
        fx.db.url(),
        "UPDATE events SET outcome = 'maybe' WHERE org = 'globex'",
    )
    .unwrap();
    assert!(changed > 0);
    let e = fx
        .store
        .events("globex", &EventQuery::default())
        .unwrap_err();
    assert!(e.report().contains("unknown outcome"), "{}", e.report());
}

/// A live token in acme (hash `[1; 32]`) and one in globex (`[2; 32]`).
fn live_tokens_of_acme_and_globex(s: &humbol_store::Store) {
    s.create_token("acme", &token("entra", 1, None), ACTOR)
        .unwrap();
    s.create_token("globex", &token("globex", 2, None), ACTOR)
        .unwrap();
}
