//! The SCIM filter grammar (RFC 7644 §3.4.2.2): typed AST, parser (`FromStr`) and printer (`Display`).
//!
//! `emails[type eq "work"].value eq "x"` (a comparison on a sub-attribute of a value path, which Entra sends) is
//! read as the equivalent `emails[type eq "work" and value eq "x"]`, so the AST has one form for both.
//!
//! What the parser accepts:
//! - comparisons `attrPath op value` with `eq ne co sw ew gt ge lt le`, presence `attrPath pr`;
//! - `and`, `or`, `not (...)` and parentheses; `not` binds tightest, then `and`, then `or`; `and` and `or`
//!   associate to the left (`a and b and c` is `(a and b) and c`);
//! - value filters `attr[filter]` (not nested), optionally followed by `.sub op value` / `.sub pr`;
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

use std::fmt::{self, Write as _};
use std::str::FromStr;

use crate::error::ScimError;
use crate::path::{self, AttrPath, PatchPath};

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

impl Filter {
    /// `path op value`.
    pub fn compare(path: AttrPath, op: CompareOp, value: CompValue) -> Filter {
        Filter::Compare { path, op, value }
    }
    /// `left and right`.
    pub fn and(left: Filter, right: Filter) -> Filter {
        Filter::And(Box::new(left), Box::new(right))
    }
    /// `left or right`.
    pub fn or(left: Filter, right: Filter) -> Filter {
        Filter::Or(Box::new(left), Box::new(right))
    }
    /// `not (inner)`.
    pub fn negate(inner: Filter) -> Filter {
        Filter::Not(Box::new(inner))
    }
    /// `attr[filter]`.
    pub fn value_path(attr: AttrPath, filter: Filter) -> Filter {
        Filter::ValuePath {
            attr,
            filter: Box::new(filter),
        }
    }
}

/// Parses a filter (RFC 7644 §3.4.2.2). Errors are `400 invalidFilter` with the byte position and what was
/// expected there.
impl FromStr for Filter {
    type Err = ScimError;

    fn from_str(input: &str) -> Result<Filter, ScimError> {
        parse_filter_syntax(input).map_err(|e| {
            ScimError::invalid_filter(format!("invalid filter at position {}: {}", e.pos, e.msg))
        })
    }
}

/// The canonical form: lowercase keywords, one space between tokens, strings JSON-escaped, parentheses only
/// where precedence needs them (`and` binds tighter than `or`; both associate to the left), `not (...)`.
/// Parsing the output gives back the same AST.
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Compare { path, op, value } => write!(f, "{path} {op} {value}"),
            Filter::Present(path) => write!(f, "{path} pr"),
            Filter::And(left, right) => {
                write_operand(f, left, matches!(**left, Filter::Or(..)))?;
                f.write_str(" and ")?;
                write_operand(
                    f,
                    right,
                    matches!(**right, Filter::Or(..) | Filter::And(..)),
                )
            }
            Filter::Or(left, right) => {
                write!(f, "{left} or ")?;
                write_operand(f, right, matches!(**right, Filter::Or(..)))
            }
            Filter::Not(inner) => write!(f, "not ({inner})"),
            Filter::ValuePath { attr, filter } => write!(f, "{attr}[{filter}]"),
        }
    }
}

fn write_operand(f: &mut fmt::Formatter<'_>, operand: &Filter, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({operand})")
    } else {
        write!(f, "{operand}")
    }
}

// ---------------------------------------------------------------------------------------------------------
// Tokenizer
// ---------------------------------------------------------------------------------------------------------

/// A syntax error at byte `pos` of the input; `FromStr` impls turn it into the right `ScimError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub pos: usize,
    pub msg: String,
}

fn err<T>(pos: usize, msg: impl Into<String>) -> Result<T, SyntaxError> {
    Err(SyntaxError {
        pos,
        msg: msg.into(),
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Str(String),
    Num(serde_json::Number),
    /// A run of name characters: an attribute path (`urn:...:User:name.givenName`), a keyword (`and`, `eq`,
    /// `true`, ...) or, right after `]`, a sub-attribute (`.value`).
    Word(&'a str),
    End,
}

#[derive(Debug, Clone, PartialEq)]
struct Token<'a> {
    tok: Tok<'a>,
    /// Byte offsets of the token in the input.
    pos: usize,
    end: usize,
}

impl Token<'_> {
    /// How an error message names this token.
    fn describe(&self) -> String {
        match &self.tok {
            Tok::LParen => "\"(\"".into(),
            Tok::RParen => "\")\"".into(),
            Tok::LBracket => "\"[\"".into(),
            Tok::RBracket => "\"]\"".into(),
            Tok::Str(s) => format!(
                "the string {}",
                shorten(&CompValue::String(s.clone()).to_string())
            ),
            Tok::Num(n) => format!("the number {n}"),
            Tok::Word(w) => format!("\"{}\"", shorten(w)),
            Tok::End => "the end of the input".into(),
        }
    }

    fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self.tok, Tok::Word(w) if w.eq_ignore_ascii_case(keyword))
    }
}

fn shorten(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}

/// Bytes that make up words: attribute names, URNs, keywords.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'$' | b':' | b'.')
}

/// The end of an RFC 3339 date-time starting at byte `start` and running to a space, a parenthesis, a bracket
/// or the end; `None` when the run there is not one.
fn bare_date_time(input: &str, start: usize) -> Option<usize> {
    let rest = input.get(start..)?;
    let len = rest
        .bytes()
        .position(|b| !(is_word_byte(b) || b == b'+'))
        .unwrap_or(rest.len());
    let run = rest.get(..len)?;
    (run.contains('T') || run.contains('t'))
        .then(|| chrono::DateTime::parse_from_rfc3339(run).ok())
        .flatten()
        .map(|_| start + len)
}

fn tokenize(input: &str) -> Result<Vec<Token<'_>>, SyntaxError> {
    let bytes = input.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let start = i;
        let tok = match b {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'(' => Tok::LParen,
            b')' => Tok::RParen,
            b'[' => Tok::LBracket,
            b']' => Tok::RBracket,
            b'"' => {
                let (s, end) = lex_string(input, start)?;
                i = end;
                Tok::Str(s)
            }
            // A bare RFC 3339 date-time (`meta.lastModified gt 2011-05-13T04:42:34Z`, as Microsoft's samples
            // write it): a word, which the parser takes as a string value.
            b'0'..=b'9' if bare_date_time(input, start).is_some() => {
                i = bare_date_time(input, start).unwrap_or(start + 1);
                Tok::Word(input.get(start..i).unwrap_or_default())
            }
            b'-' | b'0'..=b'9' => {
                let (n, end) = lex_number(input, start)?;
                i = end;
                Tok::Num(n)
            }
            b if is_word_byte(b) => {
                while bytes.get(i).is_some_and(|&b| is_word_byte(b)) {
                    i += 1;
                }
                Tok::Word(input.get(start..i).unwrap_or_default())
            }
            _ => {
                let c = input
                    .get(start..)
                    .and_then(|s| s.chars().next())
                    .unwrap_or('?');
                return err(start, format!("unexpected character {c:?}"));
            }
        };
        if matches!(
            tok,
            Tok::LParen | Tok::RParen | Tok::LBracket | Tok::RBracket
        ) {
            i += 1;
        }
        tokens.push(Token {
            tok,
            pos: start,
            end: i,
        });
    }
    tokens.push(Token {
        tok: Tok::End,
        pos: input.len(),
        end: input.len(),
    });
    Ok(tokens)
}

/// A JSON string starting at the `"` at byte `start`: its value and the byte offset after the closing `"`.
fn lex_string(input: &str, start: usize) -> Result<(String, usize), SyntaxError> {
    let body = input.get(start + 1..).unwrap_or_default();
    let mut chars = body.char_indices().map(|(o, c)| (start + 1 + o, c));
    let mut out = String::new();
    loop {
        match chars.next() {
            None => {
                return err(
                    start,
                    "unterminated string: the closing '\"' is missing",
                )
            }
            Some((p, '"')) => return Ok((out, p + 1)),
            Some((p, '\\')) => match chars.next() {
                Some((_, '"')) => out.push('"'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, '/')) => out.push('/'),
                Some((_, 'b')) => out.push('\u{8}'),
                Some((_, 'f')) => out.push('\u{c}'),
                Some((_, 'n')) => out.push('\n'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, 't')) => out.push('\t'),
                Some((_, 'u')) => {
                    let unit = hex4(&mut chars, p)?;
                    let code = match unit {
                        0xD800..=0xDBFF => {
                            let low = match (chars.next(), chars.next()) {
                                (Some((_, '\\')), Some((q, 'u'))) => hex4(&mut chars, q - 1)?,
                                _ => 0,
                            };
                            if !(0xDC00..=0xDFFF).contains(&low) {
                                return err(
                                    p,
                                    "invalid \\u escape: a high surrogate must be followed by a \\u escape of a low surrogate",
                                );
                            }
                            0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        }
                        0xDC00..=0xDFFF => {
                            return err(p, "invalid \\u escape: unpaired low surrogate")
                        }
                        unit => unit,
                    };
                    match char::from_u32(code) {
                        Some(c) => out.push(c),
                        None => return err(p, "invalid \\u escape"),
                    }
                }
                Some((_, c)) => {
                    return err(
                        p,
                        format!(
                            "invalid escape \"\\{c}\" in string (allowed: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)"
                        ),
                    )
                }
                None => {
                    return err(
                        start,
                        "unterminated string: the closing '\"' is missing",
                    )
                }
            },
            Some((p, c)) if (c as u32) < 0x20 => {
                return err(
                    p,
                    format!("control character {c:?} in a string must be escaped"),
                )
            }
            Some((_, c)) => out.push(c),
        }
    }
}

/// The 4 hex digits of a `\uXXXX` escape whose backslash is at `pos`.
fn hex4(chars: &mut impl Iterator<Item = (usize, char)>, pos: usize) -> Result<u32, SyntaxError> {
    let mut value = 0;
    for _ in 0..4 {
        match chars.next().and_then(|(_, c)| c.to_digit(16)) {
            Some(d) => value = value * 16 + d,
            None => return err(pos, "invalid \\u escape: expected 4 hexadecimal digits"),
        }
    }
    Ok(value)
}

/// A JSON number starting at byte `start`: its value and the byte offset after it.
fn lex_number(input: &str, start: usize) -> Result<(serde_json::Number, usize), SyntaxError> {
    let bytes = input.as_bytes();
    let digit_at = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
    let mut i = start;
    if bytes.get(i) == Some(&b'-') {
        i += 1;
    }
    match bytes.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while digit_at(i) {
                i += 1;
            }
        }
        _ => return err(i, "invalid number: expected a digit"),
    }
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        if !digit_at(i) {
            return err(i, "invalid number: expected a digit after '.'");
        }
        while digit_at(i) {
            i += 1;
        }
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digit_at(i) {
            return err(i, "invalid number: expected a digit in the exponent");
        }
        while digit_at(i) {
            i += 1;
        }
    }
    let text = input.get(start..i).unwrap_or_default();
    if bytes.get(i).is_some_and(|&b| is_word_byte(b)) {
        return err(
            start,
            format!("invalid number \"{text}\": a number must be followed by a space or a bracket"),
        );
    }
    // Integers that fit stay integers; the rest are read with the standard library's correctly rounded
    // float parser, so that a printed number reads back to the same value.
    let number = if let Ok(n) = text.parse::<u64>() {
        Some(serde_json::Number::from(n))
    } else if let Ok(n) = text.parse::<i64>() {
        Some(serde_json::Number::from(n))
    } else {
        text.parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
    };
    match number {
        Some(n) => Ok((n, i)),
        None => err(start, format!("number {text} is out of range")),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------------------
//
//   filter    = or
//   or        = and *("or" and)
//   and       = unary *("and" unary)
//   unary     = "not" "(" filter ")" / "(" filter ")" / attrExpr
//   attrExpr  = attrPath "pr" / attrPath compareOp compValue
//             / attrPath "[" filter "]" [ "." subAttr ( "pr" / compareOp compValue ) ]
//   patchPath = attrPath [ "[" filter "]" [ "." subAttr ] ]
//
// A value filter's own filter may not contain another value filter.

struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    next: usize,
    end: Token<'a>,
    depth: usize,
    /// The attribute of the value filter being parsed, if any (value filters do not nest).
    value_path: Option<&'a str>,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str, what: &str) -> Result<Self, SyntaxError> {
        if input.len() > MAX_FILTER_LEN {
            return err(
                MAX_FILTER_LEN,
                format!(
                    "the {what} is {} bytes long; at most {MAX_FILTER_LEN} are allowed",
                    input.len()
                ),
            );
        }
        Ok(Parser {
            tokens: tokenize(input)?,
            next: 0,
            end: Token {
                tok: Tok::End,
                pos: input.len(),
                end: input.len(),
            },
            depth: 0,
            value_path: None,
        })
    }

    fn peek(&self) -> &Token<'a> {
        self.tokens.get(self.next).unwrap_or(&self.end)
    }

    fn peek2(&self) -> &Token<'a> {
        self.tokens.get(self.next + 1).unwrap_or(&self.end)
    }

    fn bump(&mut self) -> Token<'a> {
        let token = self.peek().clone();
        if self.next < self.tokens.len() {
            self.next += 1;
        }
        token
    }

    /// Opens one nesting level at `pos`, refusing to go deeper than [`MAX_FILTER_DEPTH`].
    fn enter(&mut self, pos: usize) -> Result<(), SyntaxError> {
        if self.depth >= MAX_FILTER_DEPTH {
            return err(
                pos,
                format!(
                    "the filter nests more than {MAX_FILTER_DEPTH} levels of parentheses, \"not\" and value filters"
                ),
            );
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn parse_or(&mut self) -> Result<Filter, SyntaxError> {
        let mut left = self.parse_and()?;
        while self.peek().is_keyword("or") {
            self.bump();
            let right = self.parse_and()?;
            left = Filter::or(left, right);
        }
        Ok(left)
    }

    fn parse_and(&mut self) -> Result<Filter, SyntaxError> {
        let mut left = self.parse_unary()?;
        while self.peek().is_keyword("and") {
            self.bump();
            let right = self.parse_unary()?;
            left = Filter::and(left, right);
        }
        Ok(left)
    }

    fn parse_unary(&mut self) -> Result<Filter, SyntaxError> {
        let token = self.peek().clone();
        match token.tok {
            Tok::LParen => {
                self.enter(token.pos)?;
                self.bump();
                let inner = self.parse_or()?;
                self.expect_close(Tok::RParen, "\")\"", || {
                    format!("to close the \"(\" at position {}", token.pos)
                })?;
                self.leave();
                Ok(inner)
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("not") => {
                let after = self.peek2().clone();
                match after.tok {
                    Tok::LParen => {
                        self.enter(token.pos)?;
                        self.bump();
                        self.bump();
                        let inner = self.parse_or()?;
                        self.expect_close(Tok::RParen, "\")\"", || {
                            format!("to close the \"not (\" at position {}", token.pos)
                        })?;
                        self.leave();
                        Ok(Filter::negate(inner))
                    }
                    // An attribute that happens to be called "not".
                    Tok::LBracket => self.parse_attr_expr(),
                    Tok::Word(op)
                        if op.eq_ignore_ascii_case("pr")
                            || CompareOp::from_keyword(op).is_some() =>
                    {
                        self.parse_attr_expr()
                    }
                    _ => err(
                        after.pos,
                        format!("expected \"(\" after \"not\", found {}", after.describe()),
                    ),
                }
            }
            Tok::Word(_) => self.parse_attr_expr(),
            _ => err(
                token.pos,
                format!(
                    "expected an attribute path, \"(\" or \"not\", found {}",
                    token.describe()
                ),
            ),
        }
    }

    /// After a nested filter: the closing `close` token, or an error saying what it closes.
    fn expect_close(
        &mut self,
        close: Tok<'static>,
        close_text: &str,
        closes: impl FnOnce() -> String,
    ) -> Result<Token<'a>, SyntaxError> {
        let token = self.bump();
        if token.tok == close {
            Ok(token)
        } else {
            err(
                token.pos,
                format!(
                    "expected \"and\", \"or\" or {close_text} ({}), found {}",
                    closes(),
                    token.describe()
                ),
            )
        }
    }

    /// An attribute path and what follows it: `pr`, `op value`, or a value filter.
    fn parse_attr_expr(&mut self) -> Result<Filter, SyntaxError> {
        let token = self.bump();
        let Tok::Word(word) = token.tok else {
            return err(
                token.pos,
                format!("expected an attribute path, found {}", token.describe()),
            );
        };
        let path = path::parse_attr_path(word, token.pos)?;
        if self.peek().tok != Tok::LBracket {
            return self.parse_condition(path, word);
        }
        let (filter, close) = self.parse_value_filter(&path, word)?;
        // Entra's `emails[type eq "work"].value eq "x"`: a condition on a sub-attribute of the filtered
        // elements, read as `emails[type eq "work" and value eq "x"]`.
        let filter = match self.peek().tok {
            Tok::Word(w) if w.starts_with('.') && self.peek().pos == close.end => {
                let sub = self.bump();
                let name = w.get(1..).unwrap_or_default();
                path::parse_name(name, sub.pos + 1, "sub-attribute name")?;
                let condition = self.parse_condition(AttrPath::new(name), w)?;
                Filter::and(filter, condition)
            }
            _ => filter,
        };
        Ok(Filter::value_path(path, filter))
    }

    /// `[filter]` after the attribute `path` (written `word`): the filter and the closing `]` token.
    fn parse_value_filter(
        &mut self,
        path: &AttrPath,
        word: &'a str,
    ) -> Result<(Filter, Token<'a>), SyntaxError> {
        let open = self.bump();
        if let Some(outer) = self.value_path {
            return err(
                open.pos,
                format!(
                    "value filters do not nest: \"{}[\" is inside \"{}[...]\"",
                    shorten(word),
                    shorten(outer)
                ),
            );
        }
        if path.sub.is_some() {
            return err(
                open.pos,
                format!(
                    "a value filter applies to a multi-valued attribute, not to the sub-attribute \"{}\"",
                    shorten(word)
                ),
            );
        }
        self.enter(open.pos)?;
        self.value_path = Some(word);
        let filter = self.parse_or()?;
        let close = self.expect_close(Tok::RBracket, "\"]\"", || {
            format!(
                "to close the value filter of \"{}\" opened at position {}",
                shorten(word),
                open.pos
            )
        })?;
        self.value_path = None;
        self.leave();
        Ok((filter, close))
    }

    /// `pr` or `op value` after the attribute path `path` (written `word`).
    fn parse_condition(&mut self, path: AttrPath, word: &str) -> Result<Filter, SyntaxError> {
        let token = self.bump();
        let op = match token.tok {
            Tok::Word(w) if w.eq_ignore_ascii_case("pr") => return Ok(Filter::Present(path)),
            Tok::Word(w) => CompareOp::from_keyword(w),
            _ => None,
        };
        let Some(op) = op else {
            return err(
                token.pos,
                format!(
                    "expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or \"pr\" after attribute path \"{}\", found {}",
                    shorten(word),
                    token.describe()
                ),
            );
        };
        let token = self.bump();
        let value = match token.tok {
            Tok::Str(s) => CompValue::String(s),
            Tok::Num(n) => CompValue::Number(n),
            Tok::Word(w) if w.eq_ignore_ascii_case("true") => CompValue::Bool(true),
            Tok::Word(w) if w.eq_ignore_ascii_case("false") => CompValue::Bool(false),
            Tok::Word(w) if w.eq_ignore_ascii_case("null") => CompValue::Null,
            // Microsoft's reference code and tutorial write unquoted values (`userName sw O`,
            // `name.familyName eq Employee`): a bare word is that string.
            Tok::Word(w) => CompValue::String(w.to_string()),
            _ => {
                return err(
                    token.pos,
                    format!(
                        "expected a value after \"{} {op}\" (a string in double quotes, a number, true, false or null), found {}",
                        shorten(word),
                        token.describe()
                    ),
                )
            }
        };
        Ok(Filter::compare(path, op, value))
    }

    fn expect_end(&mut self, what: &str) -> Result<(), SyntaxError> {
        let token = self.bump();
        if token.tok == Tok::End {
            Ok(())
        } else {
            err(
                token.pos,
                format!("expected {what}, found {}", token.describe()),
            )
        }
    }
}

/// Parses a whole filter.
pub(crate) fn parse_filter_syntax(input: &str) -> Result<Filter, SyntaxError> {
    let mut parser = Parser::new(input, "filter")?;
    let filter = parser.parse_or()?;
    parser.expect_end("\"and\", \"or\" or the end of the filter")?;
    Ok(filter)
}

/// Parses a PATCH path: `attrPath` or `attrPath "[" filter "]" ["." subAttr]`.
pub(crate) fn parse_patch_path_syntax(input: &str) -> Result<PatchPath, SyntaxError> {
    let mut parser = Parser::new(input, "path")?;
    let token = parser.bump();
    let Tok::Word(word) = token.tok else {
        return err(
            token.pos,
            format!("expected an attribute path, found {}", token.describe()),
        );
    };
    let attr = path::parse_attr_path(word, token.pos)?;
    if parser.peek().tok != Tok::LBracket {
        parser.expect_end(&format!(
            "\"[\" or the end of the path after \"{}\"",
            shorten(word)
        ))?;
        return Ok(PatchPath {
            attr,
            filter: None,
            sub_attr: None,
        });
    }
    let (filter, close) = parser.parse_value_filter(&attr, word)?;
    let sub_attr = match parser.peek().tok {
        Tok::Word(w) if w.starts_with('.') && parser.peek().pos == close.end => {
            let sub = parser.bump();
            let name = w.get(1..).unwrap_or_default();
            path::parse_name(name, sub.pos + 1, "sub-attribute name")?;
            Some(name.to_string())
        }
        _ => None,
    };
    parser.expect_end("\".subAttribute\" or the end of the path after the value filter")?;
    Ok(PatchPath {
        attr,
        filter: Some(filter),
        sub_attr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ScimType;
    use proptest::prelude::*;

    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

    fn parse(s: &str) -> Filter {
        s.parse()
            .unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }
    fn parse_err(s: &str) -> ScimError {
        match s.parse::<Filter>() {
            Ok(f) => panic!("{s:?} should not parse, got {f:?}"),
            Err(e) => {
                assert_eq!(e.scim_type, Some(ScimType::InvalidFilter));
                assert_eq!(e.status, 400);
                e
            }
        }
    }
    fn path(s: &str) -> AttrPath {
        s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }
    fn cmp(p: &str, op: CompareOp, v: CompValue) -> Filter {
        Filter::compare(path(p), op, v)
    }
    fn s(v: &str) -> CompValue {
        CompValue::String(v.to_string())
    }
    fn eq(p: &str, v: &str) -> Filter {
        cmp(p, CompareOp::Eq, s(v))
    }
    fn pr(p: &str) -> Filter {
        Filter::Present(path(p))
    }
    /// Parses, checks the AST, and checks that the canonical form parses back to it.
    fn check(input: &str, expected: Filter) {
        let parsed = parse(input);
        assert_eq!(parsed, expected, "parsing {input:?}");
        let printed = parsed.to_string();
        assert_eq!(parse(&printed), expected, "re-parsing {printed:?}");
    }

    #[test]
    fn every_comparison_operator_case_insensitively() {
        for op in CompareOp::ALL {
            for spelled in [
                op.as_str().to_string(),
                op.as_str().to_uppercase(),
                format!("{}{}", op.as_str()[..1].to_uppercase(), &op.as_str()[1..]),
            ] {
                check(
                    &format!("userName {spelled} \"x\""),
                    cmp("userName", op, s("x")),
                );
            }
        }
        check("title pr", pr("title"));
        check("title PR", pr("title"));
        check("title Pr", pr("title"));
    }

    #[test]
    fn literals() {
        check(
            "active eq true",
            cmp("active", CompareOp::Eq, CompValue::Bool(true)),
        );
        check(
            "active eq True",
            cmp("active", CompareOp::Eq, CompValue::Bool(true)),
        );
        check(
            "active eq FALSE",
            cmp("active", CompareOp::Eq, CompValue::Bool(false)),
        );
        check(
            "manager eq null",
            cmp("manager", CompareOp::Eq, CompValue::Null),
        );
        check(
            "manager eq NULL",
            cmp("manager", CompareOp::Eq, CompValue::Null),
        );
        for (text, n) in [
            ("42", serde_json::Number::from(42)),
            ("-7", serde_json::Number::from(-7)),
            ("0", serde_json::Number::from(0)),
        ] {
            check(
                &format!("x gt {text}"),
                cmp("x", CompareOp::Gt, CompValue::Number(n)),
            );
        }
        for text in ["1.5", "-0.25", "1e3", "2.5E-3", "1E+2"] {
            let n: serde_json::Number = serde_json::from_str(text).unwrap();
            check(
                &format!("x ge {text}"),
                cmp("x", CompareOp::Ge, CompValue::Number(n)),
            );
        }
        // Floats read back exactly (found by proptest: serde_json's fast float parser is off by one ulp here).
        let x = -1.1440828672421147e275_f64;
        let f = cmp(
            "x",
            CompareOp::Ne,
            CompValue::Number(serde_json::Number::from_f64(x).unwrap()),
        );
        assert_eq!(parse(&f.to_string()), f);
        // Integers beyond u64 become floats.
        assert_eq!(
            parse("x eq 123456789012345678901234567890"),
            cmp(
                "x",
                CompareOp::Eq,
                CompValue::Number(serde_json::Number::from_f64(1.2345678901234568e29).unwrap())
            )
        );
        // Dates are strings.
        check(
            "meta.lastModified gt \"2011-05-13T04:42:34Z\"",
            cmp(
                "meta.lastModified",
                CompareOp::Gt,
                s("2011-05-13T04:42:34Z"),
            ),
        );
    }

    #[test]
    fn string_escapes() {
        check(r#"x eq "a\"b""#, eq("x", "a\"b"));
        check(r#"x eq "a\\b\/c""#, eq("x", "a\\b/c"));
        check(r#"x eq "\b\f\n\r\t""#, eq("x", "\u{8}\u{c}\n\r\t"));
        check(r#"x eq "\u00e9\u00C9""#, eq("x", "éÉ"));
        check(r#"x eq "\ud83d\ude00""#, eq("x", "😀"));
        check(r#"x eq "😀 O'Malley ü""#, eq("x", "😀 O'Malley ü"));
        check(r#"x eq "a and b or (c)""#, eq("x", "a and b or (c)"));
        check(r#"x eq """#, eq("x", ""));
        // Control characters print escaped and read back.
        let f = eq("x", "a\u{1}b\u{1f}\u{7f}");
        assert_eq!(f.to_string(), "x eq \"a\\u0001b\\u001f\u{7f}\"");
        assert_eq!(parse(&f.to_string()), f);
    }

    #[test]
    fn bad_strings() {
        let e = parse_err(r#"x eq "abc"#);
        assert!(
            e.detail.contains("position 5: unterminated string"),
            "{}",
            e.detail
        );
        let e = parse_err(r#"x eq "a\qb""#);
        assert!(
            e.detail.contains("position 7: invalid escape \"\\q\""),
            "{}",
            e.detail
        );
        let e = parse_err(r#"x eq "\ud83d""#);
        assert!(
            e.detail.contains("position 6: invalid \\u escape"),
            "{}",
            e.detail
        );
        let e = parse_err(r#"x eq "\ude00""#);
        assert!(e.detail.contains("unpaired low surrogate"), "{}", e.detail);
        let e = parse_err(r#"x eq "\u12G4""#);
        assert!(e.detail.contains("4 hexadecimal digits"), "{}", e.detail);
        let e = parse_err("x eq \"a\nb\"");
        assert!(
            e.detail.contains("position 7: control character"),
            "{}",
            e.detail
        );
    }

    #[test]
    fn bad_numbers() {
        for (input, pos) in [
            ("x eq 01", 5),
            ("x eq 1.", 7),
            ("x eq 1e", 7),
            ("x eq -", 6),
            ("x eq 12abc", 5),
            ("x eq 1.2.3", 5),
        ] {
            let e = parse_err(input);
            assert!(
                e.detail
                    .starts_with(&format!("invalid filter at position {pos}: invalid number")),
                "{input}: {}",
                e.detail
            );
        }
        let e = parse_err("x eq 1e400");
        assert!(e.detail.contains("out of range"), "{}", e.detail);
    }

    #[test]
    fn logical_operators_and_precedence() {
        let (a, b, c) = (pr("a"), pr("b"), pr("c"));
        check("a pr and b pr", Filter::and(a.clone(), b.clone()));
        check("a pr AND b pr", Filter::and(a.clone(), b.clone()));
        check("a pr Or b pr", Filter::or(a.clone(), b.clone()));
        // and binds tighter than or
        check(
            "a pr or b pr and c pr",
            Filter::or(a.clone(), Filter::and(b.clone(), c.clone())),
        );
        check(
            "a pr and b pr or c pr",
            Filter::or(Filter::and(a.clone(), b.clone()), c.clone()),
        );
        // left associative
        check(
            "a pr and b pr and c pr",
            Filter::and(Filter::and(a.clone(), b.clone()), c.clone()),
        );
        check(
            "a pr or b pr or c pr",
            Filter::or(Filter::or(a.clone(), b.clone()), c.clone()),
        );
        // parentheses
        check(
            "(a pr or b pr) and c pr",
            Filter::and(Filter::or(a.clone(), b.clone()), c.clone()),
        );
        check(
            "a pr and (b pr and c pr)",
            Filter::and(a.clone(), Filter::and(b.clone(), c.clone())),
        );
        check("((a pr))", a.clone());
        // not binds tightest, needs parentheses, optional space
        check("not (a pr)", Filter::negate(a.clone()));
        check("NOT(a pr)", Filter::negate(a.clone()));
        check(
            "not (a pr) and b pr",
            Filter::and(Filter::negate(a.clone()), b.clone()),
        );
        check(
            "not (a pr or b pr)",
            Filter::negate(Filter::or(a.clone(), b.clone())),
        );
        check(
            "not (not (a pr))",
            Filter::negate(Filter::negate(a.clone())),
        );
        // whitespace is free around tokens
        check("  (a pr)and(b pr)  ", Filter::and(a.clone(), b.clone()));
    }

    #[test]
    fn canonical_form() {
        let cases = [
            ("userName Eq \"john\"", "userName eq \"john\""),
            ("a pr OR b pr AND c pr", "a pr or b pr and c pr"),
            ("(a pr or b pr) and c pr", "(a pr or b pr) and c pr"),
            ("a pr and (b pr and c pr)", "a pr and (b pr and c pr)"),
            ("a pr or (b pr or c pr)", "a pr or (b pr or c pr)"),
            ("((a pr) or (b pr)) or c pr", "a pr or b pr or c pr"),
            ("NOT(a pr)", "not (a pr)"),
            (
                "emails[type eq \"work\"].value eq \"x\"",
                "emails[type eq \"work\" and value eq \"x\"]",
            ),
            ("x eq \"\\u00e9\\/\"", "x eq \"é/\""),
            ("active eq TRUE", "active eq true"),
            ("x eq 1E+2", "x eq 100.0"),
        ];
        for (input, canonical) in cases {
            assert_eq!(parse(input).to_string(), canonical, "{input}");
        }
    }

    #[test]
    fn attribute_paths() {
        check(
            "name.familyName co \"O'Malley\"",
            Filter::compare(
                AttrPath::with_sub("name", "familyName"),
                CompareOp::Co,
                s("O'Malley"),
            ),
        );
        check(
            &format!("{CORE}:userName sw \"J\""),
            Filter::compare(
                AttrPath {
                    urn: Some(CORE.into()),
                    name: "userName".into(),
                    sub: None,
                },
                CompareOp::Sw,
                s("J"),
            ),
        );
        check(
            &format!("{ENTERPRISE}:manager.value eq \"m\""),
            Filter::compare(
                AttrPath {
                    urn: Some(ENTERPRISE.into()),
                    name: "manager".into(),
                    sub: Some("value".into()),
                },
                CompareOp::Eq,
                s("m"),
            ),
        );
        // names are kept as written
        check(
            "USERNAME eq \"x\"",
            Filter::compare(AttrPath::new("USERNAME"), CompareOp::Eq, s("x")),
        );
        check("x-y_1 pr", pr("x-y_1"));
        check(
            "manager.$ref pr",
            Filter::Present(AttrPath::with_sub("manager", "$ref")),
        );
        // keywords are fine as attribute names
        check(
            "not eq \"x\"",
            Filter::compare(AttrPath::new("not"), CompareOp::Eq, s("x")),
        );
        check("and pr and or pr", Filter::and(pr("and"), pr("or")));
        check("pr pr", pr("pr"));
    }

    #[test]
    fn value_paths() {
        let work = eq("type", "work");
        check(
            "emails[type eq \"work\"]",
            Filter::value_path(AttrPath::new("emails"), work.clone()),
        );
        check(
            "emails[type eq \"work\" and primary eq true]",
            Filter::value_path(
                AttrPath::new("emails"),
                Filter::and(
                    work.clone(),
                    cmp("primary", CompareOp::Eq, CompValue::Bool(true)),
                ),
            ),
        );
        check(
            "emails[not (type eq \"work\") or (value pr)]",
            Filter::value_path(
                AttrPath::new("emails"),
                Filter::or(Filter::negate(work.clone()), pr("value")),
            ),
        );
        // Entra: a condition on a sub-attribute after the value filter
        check(
            "emails[type eq \"work\"].value eq \"x\"",
            Filter::value_path(
                AttrPath::new("emails"),
                Filter::and(work.clone(), eq("value", "x")),
            ),
        );
        check(
            "emails[type eq \"work\" or type eq \"home\"].value pr",
            Filter::value_path(
                AttrPath::new("emails"),
                Filter::and(Filter::or(work.clone(), eq("type", "home")), pr("value")),
            ),
        );
        check(
            "members[value eq \"x\"]",
            Filter::value_path(AttrPath::new("members"), eq("value", "x")),
        );
        check(
            "id eq \"g\" and members[value eq \"u\"]",
            Filter::and(
                eq("id", "g"),
                Filter::value_path(AttrPath::new("members"), eq("value", "u")),
            ),
        );
        check(
            &format!("{ENTERPRISE}:manager[value eq \"m\"]"),
            Filter::value_path(
                AttrPath {
                    urn: Some(ENTERPRISE.into()),
                    name: "manager".into(),
                    sub: None,
                },
                eq("value", "m"),
            ),
        );
        check(
            "not (emails[type eq \"work\"]) and (emails[value pr])",
            Filter::and(
                Filter::negate(Filter::value_path(AttrPath::new("emails"), work.clone())),
                Filter::value_path(AttrPath::new("emails"), pr("value")),
            ),
        );
    }

    #[test]
    fn rfc7644_examples() {
        let examples = [
            r#"userName Eq "john""#,
            r#"userName eq "bjensen""#,
            r#"name.familyName co "O'Malley""#,
            r#"userName sw "J""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            r#"title pr"#,
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
            r#"title pr and userType eq "Employee""#,
            r#"title pr or userType eq "Intern""#,
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType eq "Employee" and (emails.type eq "work")"#,
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        ];
        for example in examples {
            let f = parse(example);
            assert_eq!(parse(&f.to_string()), f, "{example}");
        }
        assert_eq!(
            parse(examples[14]),
            Filter::and(
                cmp("userType", CompareOp::Ne, s("Employee")),
                Filter::negate(Filter::or(
                    cmp("emails", CompareOp::Co, s("example.com")),
                    cmp("emails.value", CompareOp::Co, s("example.org")),
                )),
            )
        );
        assert_eq!(
            parse(examples[17]),
            Filter::or(
                Filter::value_path(
                    AttrPath::new("emails"),
                    Filter::and(
                        eq("type", "work"),
                        cmp("value", CompareOp::Co, s("@example.com"))
                    ),
                ),
                Filter::value_path(
                    AttrPath::new("ims"),
                    Filter::and(
                        eq("type", "xmpp"),
                        cmp("value", CompareOp::Co, s("@foo.com"))
                    ),
                ),
            )
        );
    }

    #[test]
    fn entra_filters() {
        check(
            r#"userName eq "Test_User_ab64@contoso.com""#,
            eq("userName", "Test_User_ab64@contoso.com"),
        );
        check(
            r#"userName eq "8d3e3f0c-5f55-4c4b-8a55-4fbd1a4e9a6c""#,
            eq("userName", "8d3e3f0c-5f55-4c4b-8a55-4fbd1a4e9a6c"),
        );
        check(
            r#"externalId eq "0a21f0f2-8d2a-4f8e""#,
            eq("externalId", "0a21f0f2-8d2a-4f8e"),
        );
        check(r#"id eq "abc""#, eq("id", "abc"));
        check(r#"displayName eq "Sales""#, eq("displayName", "Sales"));
        check(
            r#"emails[type eq "work"].value eq "alice@contoso.com""#,
            Filter::value_path(
                AttrPath::new("emails"),
                Filter::and(eq("type", "work"), eq("value", "alice@contoso.com")),
            ),
        );
        check(
            r#"id eq "g1" and members[value eq "u1"]"#,
            Filter::and(
                eq("id", "g1"),
                Filter::value_path(AttrPath::new("members"), eq("value", "u1")),
            ),
        );
        check(
            r#"roles[primary eq "True"].value eq "Admin""#,
            Filter::value_path(
                AttrPath::new("roles"),
                Filter::and(eq("primary", "True"), eq("value", "Admin")),
            ),
        );
    }

    /// Microsoft's request shapes: unquoted values and bare date-times are strings.
    #[test]
    fn unquoted_values_are_strings() {
        let s = |v: &str| CompValue::String(v.into());
        for (input, want) in [
            ("userName sw O", cmp("userName", CompareOp::Sw, s("O"))),
            (
                "userName eq john",
                cmp("userName", CompareOp::Eq, s("john")),
            ),
            (
                "name.familyName eq Employee",
                Filter::compare(
                    "name.familyName".parse().unwrap(),
                    CompareOp::Eq,
                    s("Employee"),
                ),
            ),
            (
                "meta.lastModified gt 2011-05-13T04:42:34Z",
                Filter::compare(
                    "meta.lastModified".parse().unwrap(),
                    CompareOp::Gt,
                    s("2011-05-13T04:42:34Z"),
                ),
            ),
            (
                "meta.created ge 2011-05-13T04:42:34.5+02:00",
                Filter::compare(
                    "meta.created".parse().unwrap(),
                    CompareOp::Ge,
                    s("2011-05-13T04:42:34.5+02:00"),
                ),
            ),
        ] {
            let f: Filter = input.parse().unwrap();
            assert_eq!(f, want, "{input}");
            // Written back quoted, and that reads the same.
            assert_eq!(f.to_string().parse::<Filter>().unwrap(), f, "{input}");
        }
        // Numbers stay numbers.
        let f: Filter = "x gt 2011".parse().unwrap();
        assert!(matches!(
            f,
            Filter::Compare {
                value: CompValue::Number(_),
                ..
            }
        ));
    }

    #[test]
    fn error_positions_and_messages() {
        let cases: &[(&str, &str)] = &[
            (
                "userName equals \"john\"",
                "invalid filter at position 9: expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or \"pr\" after attribute path \"userName\", found \"equals\"",
            ),
            (
                "userName",
                "invalid filter at position 8: expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or \"pr\" after attribute path \"userName\", found the end of the input",
            ),
            (
                "userName eq )",
                "invalid filter at position 12: expected a value after \"userName eq\" (a string in double quotes, a number, true, false or null), found \")\"",
            ),
            ("", "invalid filter at position 0: expected an attribute path, \"(\" or \"not\", found the end of the input"),
            ("   ", "invalid filter at position 3: expected an attribute path, \"(\" or \"not\", found the end of the input"),
            (
                "a pr and",
                "invalid filter at position 8: expected an attribute path, \"(\" or \"not\", found the end of the input",
            ),
            (
                "a pr b pr",
                "invalid filter at position 5: expected \"and\", \"or\" or the end of the filter, found \"b\"",
            ),
            (
                "(a pr",
                "invalid filter at position 5: expected \"and\", \"or\" or \")\" (to close the \"(\" at position 0), found the end of the input",
            ),
            (
                "a pr)",
                "invalid filter at position 4: expected \"and\", \"or\" or the end of the filter, found \")\"",
            ),
            (
                "not a pr",
                "invalid filter at position 4: expected \"(\" after \"not\", found \"a\"",
            ),
            (
                "emails[type eq \"work\"",
                "invalid filter at position 21: expected \"and\", \"or\" or \"]\" (to close the value filter of \"emails\" opened at position 6), found the end of the input",
            ),
            (
                "emails[type eq \"work\"] eq \"x\"",
                "invalid filter at position 23: expected \"and\", \"or\" or the end of the filter, found \"eq\"",
            ),
            (
                "emails[members[value eq \"x\"]]",
                "invalid filter at position 14: value filters do not nest: \"members[\" is inside \"emails[...]\"",
            ),
            (
                "name.givenName[value pr]",
                "invalid filter at position 14: a value filter applies to a multi-valued attribute, not to the sub-attribute \"name.givenName\"",
            ),
            ("userName eq \"x\" && a pr", "invalid filter at position 16: unexpected character '&'"),
            ("userName = \"x\"", "invalid filter at position 9: unexpected character '='"),
            ("x eq 'y'", "invalid filter at position 5: unexpected character '\\''"),
            ("a.b.c pr", "invalid filter at position 3: invalid character '.' in sub-attribute name \"b.c\" (letters, digits, '-' and '_' only)"),
            ("_a pr", "invalid filter at position 0: attribute name \"_a\" must start with a letter"),
            ("name. pr", "invalid filter at position 5: expected a sub-attribute name"),
            ("foo:bar pr", "invalid filter at position 0: \"foo\" is not a schema URN: a qualified attribute path is \"urn:...:attributeName\""),
            (
                "urn:ietf:params:scim:schemas:core:2.0:User: pr",
                "invalid filter at position 43: expected an attribute name",
            ),
            (
                "emails[type eq \"work\"] .value eq \"x\"",
                "invalid filter at position 23: expected \"and\", \"or\" or the end of the filter, found \".value\"",
            ),
            (
                "emails[type eq \"work\"].2x eq \"x\"",
                "invalid filter at position 23: sub-attribute name \"2x\" must start with a letter",
            ),
            (".value eq \"x\"", "invalid filter at position 0: expected an attribute name"),
            ("x eq \"y\" or", "invalid filter at position 11: expected an attribute path, \"(\" or \"not\", found the end of the input"),
            ("é eq \"y\"", "invalid filter at position 0: unexpected character 'é'"),
        ];
        for (input, message) in cases {
            assert_eq!(parse_err(input).detail, *message, "{input}");
        }
    }

    #[test]
    fn length_is_bounded() {
        let long = format!("userName eq \"{}\"", "a".repeat(MAX_FILTER_LEN));
        let e = parse_err(&long);
        assert!(e.detail.contains("at most 4096"), "{}", e.detail);
        let ok = format!("userName eq \"{}\"", "a".repeat(MAX_FILTER_LEN - 14));
        assert_eq!(ok.len(), MAX_FILTER_LEN);
        parse(&ok);
    }

    #[test]
    fn depth_is_bounded() {
        let nested = |n: usize, open: &str, close: &str| {
            format!("{}a pr{}", open.repeat(n), close.repeat(n))
        };
        parse(&nested(MAX_FILTER_DEPTH, "(", ")"));
        parse(&nested(MAX_FILTER_DEPTH, "not (", ")"));
        let e = parse_err(&nested(MAX_FILTER_DEPTH + 1, "(", ")"));
        assert_eq!(
            e.detail,
            "invalid filter at position 32: the filter nests more than 32 levels of parentheses, \"not\" and value filters"
        );
        parse_err(&nested(MAX_FILTER_DEPTH + 1, "not (", ")"));
        // a value filter counts as a level
        parse(&format!(
            "{}emails[value pr]{}",
            "(".repeat(31),
            ")".repeat(31)
        ));
        parse_err(&format!(
            "{}emails[value pr]{}",
            "(".repeat(32),
            ")".repeat(32)
        ));
        // long flat chains are fine
        let chain = vec!["a pr"; 400].join(" and ");
        assert!(chain.len() < MAX_FILTER_LEN);
        parse(&chain);
    }

    #[test]
    fn hundred_thousand_parens_fail_fast() {
        let start = std::time::Instant::now();
        let e = parse_err(&"(".repeat(100_000));
        assert!(e.detail.contains("at most 4096"), "{}", e.detail);
        // Within the length limit, the depth limit stops the recursion.
        let e = parse_err(&"(".repeat(MAX_FILTER_LEN));
        assert!(e.detail.contains("nests more than 32"), "{}", e.detail);
        let e = parse_err(&"not (".repeat(MAX_FILTER_LEN / 5));
        assert!(e.detail.contains("nests more than 32"), "{}", e.detail);
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
    }

    // ----- property tests -----

    fn arb_name() -> impl Strategy<Value = String> {
        prop_oneof![
            10 => "[a-zA-Z][a-zA-Z0-9_-]{0,8}",
            1 => Just("$ref".to_string()),
            1 => prop::sample::select(vec!["and", "or", "not", "pr", "eq", "true", "null"]).prop_map(String::from),
        ]
    }

    fn arb_urn() -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            6 => Just(None),
            1 => Just(Some(ENTERPRISE.to_string())),
            1 => Just(Some(CORE.to_string())),
            1 => "urn:[a-z]{1,4}(:[a-zA-Z0-9._-]{1,6}){1,3}".prop_map(Some),
        ]
    }

    fn arb_path() -> impl Strategy<Value = AttrPath> {
        (arb_urn(), arb_name(), prop::option::of(arb_name()))
            .prop_map(|(urn, name, sub)| AttrPath { urn, name, sub })
    }

    fn arb_value() -> impl Strategy<Value = CompValue> {
        prop_oneof![
            Just(CompValue::Null),
            any::<bool>().prop_map(CompValue::Bool),
            any::<i64>().prop_map(|n| CompValue::Number(n.into())),
            any::<u64>().prop_map(|n| CompValue::Number(n.into())),
            any::<f64>()
                .prop_filter_map("finite", serde_json::Number::from_f64)
                .prop_map(CompValue::Number),
            any::<String>().prop_map(CompValue::String),
        ]
    }

    fn arb_leaf() -> impl Strategy<Value = Filter> {
        prop_oneof![
            4 => (arb_path(), prop::sample::select(CompareOp::ALL.to_vec()), arb_value())
                .prop_map(|(path, op, value)| Filter::Compare { path, op, value }),
            1 => arb_path().prop_map(Filter::Present),
        ]
    }

    fn arb_logic(leaf: BoxedStrategy<Filter>) -> impl Strategy<Value = Filter> {
        leaf.prop_recursive(4, 24, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::and(a, b)),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::or(a, b)),
                inner.prop_map(Filter::negate),
            ]
        })
    }

    fn arb_filter() -> impl Strategy<Value = Filter> {
        let value_path = (
            (arb_urn(), arb_name()).prop_map(|(urn, name)| AttrPath {
                urn,
                name,
                sub: None,
            }),
            arb_logic(arb_leaf().boxed()),
        )
            .prop_map(|(attr, filter)| Filter::value_path(attr, filter));
        arb_logic(prop_oneof![3 => arb_leaf(), 1 => value_path].boxed())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn display_parses_back(filter in arb_filter()) {
            let printed = filter.to_string();
            let parsed: Result<Filter, _> = printed.parse();
            prop_assert_eq!(parsed, Ok(filter), "printed: {}", printed);
        }

        #[test]
        fn arbitrary_strings_never_panic(input in any::<String>()) {
            let _ = input.parse::<Filter>();
        }

        #[test]
        fn filter_like_strings_never_panic(
            input in r#"([a-zA-Z0-9 ()\[\]".:$_\\-]|and |or |not|eq |pr|\\u[0-9a-fA-FdD]{0,4}|emails|\[type){0,40}"#
        ) {
            if let Ok(filter) = input.parse::<Filter>() {
                prop_assert_eq!(filter.to_string().parse::<Filter>(), Ok(filter));
            }
        }
    }
}
