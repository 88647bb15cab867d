//! Integration tests of the SCIM API through HTTP, against the real server on port 0, every test on both
//! backends (SQLite on a temporary file, PostgreSQL on a fresh database; see `humbol_store::testing`).
//!
//! The request shapes are Microsoft Entra's, verbatim from `entra.md`.

mod auth;
mod connection;
mod groups;
mod helpers;
mod refusals;
mod users;
