//! Integration tests of the admin API through HTTP: the real server on 127.0.0.1:0 over a fresh database,
//! every test on SQLite and on PostgreSQL.

// A test crate: its helpers (not only its `#[test]` fns) may fail the test by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod auth;
mod clients;
mod dev_token;
mod edge;
mod events;
mod helpers;
mod misc;
mod orgs;
mod pages;
mod scim_end_to_end;
mod session;
mod tokens;
