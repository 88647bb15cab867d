//! Every migration up, down, and up again.

use humbol_store::testing::{
    revert_all_migrations, revert_last_migration, run_pending_migrations, table_names, TestDb,
};
use humbol_store::Backend;
use rstest::rstest;
use scim_core::resource::{Address, Email};

use crate::{user, ACTOR};

#[rstest]
fn migrations_up_down_up(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let db = TestDb::new(backend);
    {
        let store = db.store();
        store.put_org("acme", &crate::settings("acme")).unwrap();
        store.create_user("acme", &user("a@x"), ACTOR).unwrap();
    }
    let tables = table_names(db.url()).unwrap();
    for t in [
        "orgs",
        "scim_tokens",
        "users",
        "user_emails",
        "user_addresses",
        "groups",
        "group_members",
        "events",
    ] {
        assert!(tables.iter().any(|x| x == t), "{t} missing from {tables:?}");
    }
    assert!(revert_all_migrations(db.url()).unwrap() >= 1);
    assert_eq!(
        table_names(db.url()).unwrap(),
        ["__diesel_schema_migrations"]
    );
    run_pending_migrations(db.url()).unwrap();
    assert_eq!(table_names(db.url()).unwrap(), tables);
    let store = db.store();
    store.put_org("acme", &crate::settings("acme")).unwrap();
    store.create_user("acme", &user("a@x"), ACTOR).unwrap();
}

/// The last migration rebuilds (SQLite) or re-keys (PostgreSQL) the emails and addresses tables: down and up
/// again, every user reads back the same, children in order.
#[rstest]
fn last_migration_keeps_emails_and_addresses(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let db = TestDb::new(backend);
    let mut u = user("a@x");
    u.emails = vec![
        Email {
            value: "a@x".into(),
            kind: Some("work".into()),
            primary: true,
        },
        Email {
            value: "A.Other@x".into(),
            kind: None,
            primary: false,
        },
    ];
    u.addresses = vec![Address {
        kind: Some("work".into()),
        locality: Some("Oslo".into()),
        region: None,
        country: Some("NO".into()),
        primary: true,
        ..Address::default()
    }];
    let created = {
        let store = db.store();
        store.put_org("acme", &crate::settings("acme")).unwrap();
        store.create_user("acme", &user("b@x"), ACTOR).unwrap();
        store.create_user("acme", &u, ACTOR).unwrap()
    };
    revert_last_migration(db.url()).unwrap();
    assert_eq!(
        db.store().user("acme", &created.id).unwrap().as_ref(),
        Some(&created)
    );
    run_pending_migrations(db.url()).unwrap();
    let store = db.store();
    assert_eq!(
        store.user("acme", &created.id).unwrap().as_ref(),
        Some(&created)
    );
    let page = store
        .list_users("acme", &crate::q("emails.value eq \"a.other@x\""))
        .unwrap();
    assert_eq!(page.items, [created]);
}
