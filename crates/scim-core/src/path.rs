//! Attribute paths (RFC 7644 §3.4.2.2 `attrPath`) and PATCH paths (§3.5.2 `PATH`), under their usual
//! name: the grammar is [`crate::syntax`].

pub use crate::syntax::{eq_ci, AttrPath, PatchPath};
