//! The tokenizer: words (attribute paths, keywords), JSON strings and numbers, brackets.

use super::ast::*;

/// A syntax error at byte `pos` of the input; `FromStr` impls turn it into the right `ScimError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub pos: usize,
    pub msg: String,
}

pub(super) fn err<T>(pos: usize, msg: impl Into<String>) -> Result<T, SyntaxError> {
    Err(SyntaxError {
        pos,
        msg: msg.into(),
    })
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok<'a> {
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
pub(super) struct Token<'a> {
    pub(super) tok: Tok<'a>,
    /// Byte offsets of the token in the input.
    pub(super) pos: usize,
    pub(super) end: usize,
}

impl Token<'_> {
    /// How an error message names this token.
    pub(super) fn describe(&self) -> String {
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

    pub(super) fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self.tok, Tok::Word(w) if w.eq_ignore_ascii_case(keyword))
    }
}

pub(super) fn shorten(s: &str) -> String {
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
pub(super) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'$' | b':' | b'.')
}

/// The end of an RFC 3339 date-time starting at byte `start` and running to a space, a parenthesis, a bracket
/// or the end; `None` when the run there is not one.
pub(super) fn bare_date_time(input: &str, start: usize) -> Option<usize> {
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

pub(super) fn tokenize(input: &str) -> Result<Vec<Token<'_>>, SyntaxError> {
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
pub(super) fn lex_string(input: &str, start: usize) -> Result<(String, usize), SyntaxError> {
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
                        // No attribute value holds U+0000 (a body holding one is refused, and PostgreSQL
                        // cannot bind it): refused here, so that no filter or PATCH path carries it to a
                        // database or into a value it creates, the same on both backends.
                        0 => return err(p, "invalid \\u escape: U+0000 is not allowed in a string"),
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
pub(super) fn hex4(
    chars: &mut impl Iterator<Item = (usize, char)>,
    pos: usize,
) -> Result<u32, SyntaxError> {
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
pub(super) fn lex_number(
    input: &str,
    start: usize,
) -> Result<(serde_json::Number, usize), SyntaxError> {
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
