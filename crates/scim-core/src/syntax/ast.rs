//! The typed AST of filters and paths, and its canonical printer (`Display`).

use std::fmt::{self, Write as _};

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
/// dateTime. Numbers: integers that fit in 64 bits exactly, any other number as the nearest `f64`.
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
}

// `serde_json::Number` equality is exact on its representation; good enough for the AST.
impl Eq for CompValue {}

/// A filter expression: comparisons and presence tests joined by `and`, `or`, `not`, plus the value-path node
/// `V`. [`Filter`] (a whole filter) has value paths; [`ValueFilter`] (the filter inside `attr[...]`) has none,
/// as `V` is uninhabited there: value filters cannot nest, and a consumer of one has no nested case to handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr<V> {
    /// `attrPath compareOp compValue`
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: CompValue,
    },
    /// `attrPath pr`
    Present(AttrPath),
    And(Box<Expr<V>>, Box<Expr<V>>),
    Or(Box<Expr<V>>, Box<Expr<V>>),
    /// `not (filter)`
    Not(Box<Expr<V>>),
    /// `attrPath [valFilter]`, in a [`Filter`] only.
    ValuePath(V),
}

/// A filter (`?filter=`, RFC 7644 §3.4.2.2).
pub type Filter = Expr<ValuePath>;

/// The filter inside a value path `attr[...]`, whose paths are relative to an element of `attr` (`type`,
/// `value`, ...). Its value-path node is [`NoValuePath`]: a value filter holds no value filter.
pub type ValueFilter = Expr<NoValuePath>;

/// The value-path node of a [`ValueFilter`]: there is none (`match *never {}` proves it to the compiler).
pub type NoValuePath = std::convert::Infallible;

/// `attrPath [valFilter]`: some element of the multi-valued `attr` matches `filter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValuePath {
    pub attr: AttrPath,
    pub filter: Box<ValueFilter>,
}

/// Longest filter (or PATCH path) accepted, in bytes. Longer input is `invalidFilter` / `invalidPath`.
pub const MAX_FILTER_LEN: usize = 4096;
/// Deepest nesting accepted: each `(`, `not (` and value filter `attr[` opens one level. Deeper input is an
/// error, found before the parser recurses, so no input can overflow the stack.
pub const MAX_FILTER_DEPTH: usize = 32;

impl CompareOp {
    /// Every operator, in the RFC's order.
    pub const ALL: [CompareOp; 9] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Co,
        CompareOp::Sw,
        CompareOp::Ew,
        CompareOp::Gt,
        CompareOp::Ge,
        CompareOp::Lt,
        CompareOp::Le,
    ];

    /// The lowercase keyword: `"eq"`, `"ne"`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    /// The operator spelled `word`, ignoring ASCII case (`EQ`, `Eq`, `eq`).
    pub fn from_keyword(word: &str) -> Option<CompareOp> {
        Self::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(word))
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Prints the value as a JSON literal: `null`, `true`, `42`, `"a \"quoted\" word"`.
impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompValue::Null => f.write_str("null"),
            CompValue::Bool(b) => write!(f, "{b}"),
            CompValue::Number(n) => write!(f, "{n}"),
            CompValue::String(s) => write_json_string(f, s),
        }
    }
}

/// Writes `s` as a JSON string literal: quotes, backslashes and control characters escaped, everything
/// else as is.
fn write_json_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '\u{8}' => f.write_str("\\b")?,
            '\u{c}' => f.write_str("\\f")?,
            c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

impl<V> Expr<V> {
    /// `path op value`.
    pub fn compare(path: AttrPath, op: CompareOp, value: CompValue) -> Self {
        Expr::Compare { path, op, value }
    }
    /// `left and right`.
    pub fn and(left: Self, right: Self) -> Self {
        Expr::And(Box::new(left), Box::new(right))
    }
    /// `left or right`.
    pub fn or(left: Self, right: Self) -> Self {
        Expr::Or(Box::new(left), Box::new(right))
    }
    /// `not (inner)`.
    pub fn negate(inner: Self) -> Self {
        Expr::Not(Box::new(inner))
    }
}

impl Filter {
    /// `attr[filter]`.
    pub fn value_path(attr: AttrPath, filter: ValueFilter) -> Filter {
        Filter::ValuePath(ValuePath {
            attr,
            filter: Box::new(filter),
        })
    }
}

/// The canonical form: lowercase keywords, one space between tokens, strings JSON-escaped, parentheses only
/// where precedence needs them (`and` binds tighter than `or`; both associate to the left), `not (...)`.
/// Parsing the output gives back the same AST.
impl<V: fmt::Display> fmt::Display for Expr<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Compare { path, op, value } => write!(f, "{path} {op} {value}"),
            Expr::Present(path) => write!(f, "{path} pr"),
            Expr::And(left, right) => {
                write_operand(f, left, matches!(**left, Expr::Or(..)))?;
                f.write_str(" and ")?;
                write_operand(f, right, matches!(**right, Expr::Or(..) | Expr::And(..)))
            }
            Expr::Or(left, right) => {
                write!(f, "{left} or ")?;
                write_operand(f, right, matches!(**right, Expr::Or(..)))
            }
            Expr::Not(inner) => write!(f, "not ({inner})"),
            Expr::ValuePath(value_path) => write!(f, "{value_path}"),
        }
    }
}

/// `attr[filter]`.
impl fmt::Display for ValuePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.attr, self.filter)
    }
}

fn write_operand<V: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    operand: &Expr<V>,
    parens: bool,
) -> fmt::Result {
    if parens {
        write!(f, "({operand})")
    } else {
        write!(f, "{operand}")
    }
}

/// `[URN ":"] ATTRNAME ["." subAttr]`, e.g. `name.givenName`,
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    pub urn: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

/// A PATCH `path`: `attrPath` or `valuePath ["." subAttr]`, e.g. `emails[type eq "work"].value`,
/// `members[value eq "2819c223"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchPath {
    /// The attribute; when `filter` is set, `attr.sub` is `None` and the sub-attribute is `sub_attr`.
    pub attr: AttrPath,
    pub filter: Option<ValueFilter>,
    pub sub_attr: Option<String>,
}

impl AttrPath {
    pub fn new(name: impl Into<String>) -> Self {
        AttrPath {
            urn: None,
            name: name.into(),
            sub: None,
        }
    }
    pub fn with_sub(name: impl Into<String>, sub: impl Into<String>) -> Self {
        AttrPath {
            urn: None,
            name: name.into(),
            sub: Some(sub.into()),
        }
    }
    /// True when the attribute name (ignoring URN and sub-attribute) equals `name`, ignoring ASCII case.
    pub fn is(&self, name: &str) -> bool {
        eq_ci(&self.name, name)
    }
}

/// ASCII-case-insensitive equality: SCIM attribute names, operators and URNs compare this way.
pub fn eq_ci(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// `urn:name.sub`, names as written.
impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// `attr`, `attr[filter]` or `attr[filter].sub`, the filter in its canonical form.
impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.attr)?;
        if let Some(filter) = &self.filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}
