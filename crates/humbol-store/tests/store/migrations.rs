//! Every migration up, down, and up again.

use humbol_store::testing::{revert_all_migrations, run_pending_migrations, table_names, TestDb};
use humbol_store::Backend;
use rstest::rstest;

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
