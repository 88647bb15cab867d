//! The SCIM filter and path grammar (RFC 7644 §3.4.2.2, §3.5.2), in one place: the typed AST ([`ast`]:
//! filters, attribute paths, PATCH paths, each `Display`ed in canonical form), the tokenizer ([`lex`]) and the
//! recursive-descent parser ([`parse`], behind `FromStr`). [`crate::filter`] and [`crate::path`] re-export the
//! AST under the names the other crates use.
//!
//! `emails[type eq "work"].value eq "x"` (a comparison on a sub-attribute of a value path, which Entra sends) is
//! read as the equivalent `emails[type eq "work" and value eq "x"]`, so the AST has one form for both.
//!
//! What the parser accepts:
//! - comparisons `attrPath op value` with `eq ne co sw ew gt ge lt le`, presence `attrPath pr`;
//! - `and`, `or`, `not (...)` and parentheses; `not` binds tightest, then `and`, then `or`; `and` and `or`
//!   associate to the left (`a and b and c` is `(a and b) and c`);
//! - value filters `attr[filter]`, optionally followed by `.sub op value` / `.sub pr`; the filter inside is a
//!   [`ValueFilter`], which has no value-path node, so value filters do not nest by type;
//! - attribute paths `[urn:...:]name[.sub]`: the URN is everything before the last ':' (so "2.0" stays in
//!   the URN), names are `ALPHA *("-" / "_" / DIGIT / ALPHA)` or `$ref`, kept as written;
//! - values: JSON strings (all JSON escapes, `\uXXXX` with surrogate pairs), JSON numbers, `true`, `false`,
//!   `null`; dates are strings;
//! - keywords (operators, `and`/`or`/`not`, `pr`, `true`/`false`/`null`) in any ASCII case; any ASCII
//!   whitespace between tokens.
//!
//! Input is bounded: at most [`MAX_FILTER_LEN`] bytes and [`MAX_FILTER_DEPTH`] nested levels, checked before
//! recursing, so hostile input gets an `invalidFilter` error rather than a stack overflow. Errors give the
//! byte position and what was expected there.
//!
//! Attribute names are kept as written; compare them with [`AttrPath::is`] / [`eq_ci`], which ignore ASCII
//! case, as SCIM attribute names are case-insensitive. A schema URN prefix is kept in `urn` (without the
//! trailing ':').

pub mod ast;
#[cfg(test)]
mod filter_tests;
mod lex;
mod parse;
#[cfg(test)]
mod path_tests;

pub use ast::*;
