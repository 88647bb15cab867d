//! The SCIM filter grammar (RFC 7644 §3.4.2.2): typed AST, parser (`FromStr`) and printer (`Display`).
//!
//! `emails[type eq "work"].value eq "x"` (a comparison on a sub-attribute of a value path, which Entra sends) is
//! read as the equivalent `emails[type eq "work" and value eq "x"]`, so the AST has one form for both.

use crate::path::AttrPath;

/// Comparison operators, case-insensitive on input, lowercase on output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A comparison value (`compValue`). Dates are strings (RFC 3339), compared as dates where the attribute is a
/// dateTime. Numbers keep their JSON text.
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
}

// `serde_json::Number` equality is exact on its representation; good enough for the AST.
impl Eq for CompValue {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// `attrPath compareOp compValue`
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: CompValue,
    },
    /// `attrPath pr`
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    /// `not (filter)`
    Not(Box<Filter>),
    /// `attrPath [valFilter]`: some element of the multi-valued `attr` matches `filter` (whose paths are
    /// relative to the element: `type`, `value`, ...).
    ValuePath {
        attr: AttrPath,
        filter: Box<Filter>,
    },
}
