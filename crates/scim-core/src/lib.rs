//! The SCIM 2.0 protocol (RFC 7643 / RFC 7644) as Humbol speaks it, and nothing else: no I/O, no database,
//! no HTTP framework. scim-api, admin-api and the store all stand on this crate.
//!
//! - [`schema`]: attribute definitions of Humbol's User (core + enterprise extension) and Group, the one
//!   source from which discovery documents, validation, filtering and PATCH take their rules.
//! - [`syntax`]: the one grammar of filters and paths (AST, tokenizer, parser), `FromStr` + `Display`;
//!   [`path`] and [`filter`] re-export its AST under their usual names.
//! - [`eval`]: the in-memory filter evaluator (and the oracle for the store's SQL translation).
//! - [`resource`]: Humbol's typed User and Group, read tolerantly from what Entra sends, written canonically.
//! - [`patch`]: PATCH (RFC 7644 §3.5.2) with Entra's legacy and compliant dialects, atomic.
//! - [`cursor`]: RFC 9865 cursors, opaque and checked, over a keyset position.
//! - [`projection`], [`list`], [`discovery`]: `attributes`/`excludedAttributes`, ListResponse, discovery docs.
//! - [`error`]: the RFC 7644 §3.12 error with its HTTP status and `scimType`.
//! - [`token`]: Humbol SCIM bearer tokens: format with prefix and checksum, SHA-256 hashing.

pub mod cursor;
pub mod discovery;
pub mod error;
pub mod eval;
pub mod filter;
mod json;
pub mod list;
pub mod oauth;
pub mod patch;
pub mod path;
pub mod projection;
pub mod resource;
pub mod samples;
pub mod schema;
pub mod syntax;
pub mod token;

pub use error::{ScimError, ScimType};
