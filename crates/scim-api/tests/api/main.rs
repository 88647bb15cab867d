//! Integration tests of the SCIM API through HTTP, against the real server on port 0, every test on both
//! backends (SQLite on a temporary file, PostgreSQL on a fresh database; see `humbol_store::testing`).
//!
//! The request shapes are Microsoft Entra's, verbatim from `entra.md`, and (in `idp`) those of Okta, Google
//! Workspace, OneLogin, JumpCloud and SailPoint, from their documentation.

// Test code: a failed unwrap is a failed test (clippy.toml allows this only inside `#[test]` functions,
// not in the helpers they share).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod attributes;
mod auth;
mod cli;
mod connection;
mod database_faults;
mod edge;
mod groups;
mod helpers;
mod idp;
mod metrics;
mod oauth;
mod pagination;
mod reference;
mod refusals;
mod users;
