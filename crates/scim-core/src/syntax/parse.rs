//! The recursive-descent parser of filters, attribute paths and PATCH paths (`FromStr`).

use std::str::FromStr;

use super::ast::*;
use super::lex::*;
use crate::error::ScimError;

/// Parses a filter (RFC 7644 §3.4.2.2). Errors are `400 invalidFilter` with the byte position and what was
/// expected there.
impl FromStr for Filter {
    type Err = ScimError;

    fn from_str(input: &str) -> Result<Filter, ScimError> {
        parse_whole(input).map_err(filter_error)
    }
}

fn filter_error(e: SyntaxError) -> ScimError {
    ScimError::invalid_filter(format!("invalid filter at position {}: {}", e.pos, e.msg))
}

/// Parses the filter of a value path (what is inside `attr[...]`): a filter without value paths. Errors are
/// `400 invalidFilter`, as for [`Filter`].
impl FromStr for ValueFilter {
    type Err = ScimError;

    fn from_str(input: &str) -> Result<ValueFilter, ScimError> {
        parse_whole(input).map_err(filter_error)
    }
}

/// Parses `[URN ":"] ATTRNAME ["." subAttr]`. Errors are `400 invalidPath` with the byte position.
impl FromStr for AttrPath {
    type Err = ScimError;

    fn from_str(input: &str) -> Result<AttrPath, ScimError> {
        if input.len() > MAX_FILTER_LEN {
            return Err(ScimError::invalid_path(format!(
                "invalid path: it is {} bytes long; at most {MAX_FILTER_LEN} are allowed",
                input.len()
            )));
        }
        parse_attr_path(input, 0).map_err(path_error)
    }
}

/// Parses a PATCH path (RFC 7644 §3.5.2): `attrPath` or `valuePath ["." subAttr]`. Errors are
/// `400 invalidPath` with the byte position and what was expected there.
impl FromStr for PatchPath {
    type Err = ScimError;

    fn from_str(input: &str) -> Result<PatchPath, ScimError> {
        parse_patch_path_syntax(input).map_err(path_error)
    }
}

fn path_error(e: SyntaxError) -> ScimError {
    ScimError::invalid_path(format!("invalid path at position {}: {}", e.pos, e.msg))
}

/// Splits the word `word` (at byte `pos` of the input) into an [`AttrPath`]. The URN is everything up to the
/// last ':' (URNs contain dots, as in "2.0", but attribute names contain no ':').
pub(crate) fn parse_attr_path(word: &str, pos: usize) -> Result<AttrPath, SyntaxError> {
    let (urn, rest, rest_pos) = match word.rfind(':') {
        Some(i) => (
            Some(word.get(..i).unwrap_or_default()),
            word.get(i + 1..).unwrap_or_default(),
            pos + i + 1,
        ),
        None => (None, word, pos),
    };
    if let Some(urn) = urn {
        let valid = urn.len() > 4
            && urn.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
            && urn
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'.' | b'-' | b'_'));
        if !valid {
            return Err(SyntaxError {
                pos,
                msg: format!(
                    "\"{urn}\" is not a schema URN: a qualified attribute path is \"urn:...:attributeName\""
                ),
            });
        }
    }
    let (name, sub) = match rest.split_once('.') {
        Some((name, sub)) => (name, Some(sub)),
        None => (rest, None),
    };
    parse_name(name, rest_pos, "attribute name")?;
    if let Some(sub) = sub {
        parse_name(sub, rest_pos + name.len() + 1, "sub-attribute name")?;
    }
    Ok(AttrPath {
        urn: urn.map(str::to_string),
        name: name.to_string(),
        sub: sub.map(str::to_string),
    })
}

/// Checks an attribute name (`what`) at byte `pos`: `ALPHA *("-" / "_" / DIGIT / ALPHA)`, or `$ref`.
pub(crate) fn parse_name(name: &str, pos: usize, what: &str) -> Result<(), SyntaxError> {
    if name.eq_ignore_ascii_case("$ref") {
        return Ok(());
    }
    let mut chars = name.char_indices();
    match chars.next() {
        None => {
            return Err(SyntaxError {
                pos,
                msg: format!(
                    "expected {} {what}",
                    if what.starts_with('a') { "an" } else { "a" }
                ),
            })
        }
        Some((_, c)) if c.is_ascii_alphabetic() => {}
        Some(_) => {
            return Err(SyntaxError {
                pos,
                msg: format!("{what} \"{name}\" must start with a letter"),
            })
        }
    }
    for (i, c) in chars {
        if !(c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(SyntaxError {
                pos: pos + i,
                msg: format!(
                    "invalid character {c:?} in {what} \"{name}\" (letters, digits, '-' and '_' only)"
                ),
            });
        }
    }
    Ok(())
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
//             / attrPath "[" valFilter "]" [ "." subAttr ( "pr" / compareOp compValue ) ]
//   patchPath = attrPath [ "[" valFilter "]" [ "." subAttr ] ]
//
// `valFilter` is `filter` without the value-path alternative: the rules above are parsed once for each node
// type `V` of `Expr<V>` ([`ValuePathSyntax`] says what `attr[` is in each), so a value filter's own filter
// cannot contain another value filter.

/// What `attrPath "["` is in an `Expr<Self>`: the start of a value path in a [`Filter`], an error in a
/// [`ValueFilter`].
trait ValuePathSyntax: Sized {
    /// Parses from the `[` after `path` (written `word`).
    fn parse<'a>(
        parser: &mut Parser<'a>,
        path: AttrPath,
        word: &'a str,
    ) -> Result<Expr<Self>, SyntaxError>;
}

impl ValuePathSyntax for ValuePath {
    fn parse<'a>(
        parser: &mut Parser<'a>,
        path: AttrPath,
        word: &'a str,
    ) -> Result<Filter, SyntaxError> {
        parser.parse_value_path(path, word)
    }
}

impl ValuePathSyntax for NoValuePath {
    fn parse<'a>(
        parser: &mut Parser<'a>,
        _path: AttrPath,
        word: &'a str,
    ) -> Result<ValueFilter, SyntaxError> {
        let outer = match parser.value_path {
            Some(outer) => format!("\"{}[...]\"", shorten(outer)),
            None => "a value filter".to_string(),
        };
        err(
            parser.peek().pos,
            format!(
                "value filters do not nest: \"{}[\" is inside {outer}",
                shorten(word)
            ),
        )
    }
}

struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    next: usize,
    end: Token<'a>,
    depth: usize,
    /// The attribute of the value filter being parsed, if any (for the error on a nested one).
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

    fn parse_or<V: ValuePathSyntax>(&mut self) -> Result<Expr<V>, SyntaxError> {
        let mut left = self.parse_and()?;
        while self.peek().is_keyword("or") {
            self.bump();
            let right = self.parse_and()?;
            left = Expr::or(left, right);
        }
        Ok(left)
    }

    fn parse_and<V: ValuePathSyntax>(&mut self) -> Result<Expr<V>, SyntaxError> {
        let mut left = self.parse_unary()?;
        while self.peek().is_keyword("and") {
            self.bump();
            let right = self.parse_unary()?;
            left = Expr::and(left, right);
        }
        Ok(left)
    }

    fn parse_unary<V: ValuePathSyntax>(&mut self) -> Result<Expr<V>, SyntaxError> {
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
                        Ok(Expr::negate(inner))
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
    fn parse_attr_expr<V: ValuePathSyntax>(&mut self) -> Result<Expr<V>, SyntaxError> {
        let token = self.bump();
        let Tok::Word(word) = token.tok else {
            return err(
                token.pos,
                format!("expected an attribute path, found {}", token.describe()),
            );
        };
        let path = parse_attr_path(word, token.pos)?;
        if self.peek().tok != Tok::LBracket {
            return self.parse_condition(path, word);
        }
        V::parse(self, path, word)
    }

    /// `[valFilter]` after the attribute `path` (written `word`), and the sub-attribute condition after it.
    fn parse_value_path(&mut self, path: AttrPath, word: &'a str) -> Result<Filter, SyntaxError> {
        let (filter, close) = self.parse_value_filter(&path, word)?;
        // Entra's `emails[type eq "work"].value eq "x"`: a condition on a sub-attribute of the filtered
        // elements, read as `emails[type eq "work" and value eq "x"]`.
        let filter = match self.peek().tok {
            Tok::Word(w) if w.starts_with('.') && self.peek().pos == close.end => {
                let sub = self.bump();
                let name = w.get(1..).unwrap_or_default();
                parse_name(name, sub.pos + 1, "sub-attribute name")?;
                let condition = self.parse_condition(AttrPath::new(name), w)?;
                Expr::and(filter, condition)
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
    ) -> Result<(ValueFilter, Token<'a>), SyntaxError> {
        let open = self.bump();
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
    fn parse_condition<V>(&mut self, path: AttrPath, word: &str) -> Result<Expr<V>, SyntaxError> {
        let token = self.bump();
        let op = match token.tok {
            Tok::Word(w) if w.eq_ignore_ascii_case("pr") => return Ok(Expr::Present(path)),
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
        Ok(Expr::compare(path, op, value))
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

/// Parses a whole filter (with value paths when `V` is [`ValuePath`]).
fn parse_whole<V: ValuePathSyntax>(input: &str) -> Result<Expr<V>, SyntaxError> {
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
    let attr = parse_attr_path(word, token.pos)?;
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
            parse_name(name, sub.pos + 1, "sub-attribute name")?;
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
