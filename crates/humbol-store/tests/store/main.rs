//! The store's integration tests. Every test runs on both backends: SQLite on a temporary file and PostgreSQL
//! on a fresh database (see `humbol_store::testing`; PostgreSQL at `HUMBOL_TEST_POSTGRES_URL`).

// Test code, helpers included (clippy.toml's test exemption covers only `#[test]` functions themselves).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod activity;
mod basics;
mod concurrency;
mod differential;
mod groups;
mod index_pages;
mod migrations;
mod oauth;
mod processes;
mod statistics;
mod users;

use humbol_store::testing::TestDb;
use humbol_store::{Backend, OrgSettings, Query, Store};
use scim_core::filter::Filter;
use scim_core::resource::User;

/// A store on a fresh database with two organisations, `acme` and `globex`. `store` is declared first so that
/// it is dropped (its connections closed) before the database.
pub struct Fx {
    pub store: Store,
    pub db: TestDb,
}

pub fn fx(backend: Backend) -> Fx {
    let db = TestDb::new(backend);
    let store = db.store();
    for org in ["acme", "globex"] {
        store.put_org(org, &settings(org)).unwrap();
    }
    Fx { store, db }
}

pub fn settings(name: &str) -> OrgSettings {
    OrgSettings {
        name: name.to_uppercase(),
        scim_enabled: true,
        roles: vec!["Admin".into(), "Member".into()],
        default_role: "Member".into(),
    }
}

pub fn user(name: &str) -> User {
    User {
        user_name: name.into(),
        active: true,
        role: Some("Member".into()),
        role_primary: Some(true),
        ..Default::default()
    }
}

pub fn filter(s: &str) -> Filter {
    s.parse()
        .unwrap_or_else(|e| panic!("test filter {s:?} does not parse: {e}"))
}

/// A query with `filter` (no sort, first 1000).
pub fn q(f: &str) -> Query {
    Query {
        filter: Some(filter(f)),
        limit: 1000,
        ..Default::default()
    }
}

pub const ACTOR: &str = "token:test";
