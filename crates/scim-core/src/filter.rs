//! The SCIM filter AST (RFC 7644 §3.4.2.2), under its usual name: the grammar is [`crate::syntax`].

pub use crate::syntax::{
    CompValue, CompareOp, Expr, Filter, NoValuePath, ValueFilter, ValuePath, MAX_FILTER_DEPTH,
    MAX_FILTER_LEN,
};
