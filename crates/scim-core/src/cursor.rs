//! RFC 9865 cursors. A cursor is a position in a list's order (the sort key's value, `meta.created` and `id`
//! of the row it stands next to) and a direction, written as an opaque string. Nothing is kept on the server:
//! a cursor never expires, and the next page is read from that position on an index (a keyset), so its cost
//! does not grow with how far the walk has gone.
//!
//! A cursor carries a check over its content and the query it was issued for (resource type, `filter`,
//! `sortBy`, `sortOrder`): a cursor that was altered, truncated, or is sent with another query is
//! `400 invalidCursor`. The check is not a secret signature: a forged cursor can only name another position
//! of the same query, inside the caller's own organisation, which the caller may read anyway.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::error::ScimError;

/// The value of the `sortBy` attribute at a position (absent when the list has no `sortBy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortValue {
    Null,
    Text(String),
    Time(i64),
    Bool(bool),
}

/// A row's place in a list's order: its sort value (when sorted), `meta.created` (microseconds) and `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyset {
    pub sort: Option<SortValue>,
    pub created: i64,
    pub id: String,
}

/// Where a page starts: the first page (`cursor=` empty), the rows after a keyset (`nextCursor`), or the rows
/// just before one (`previousCursor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    First,
    After(Keyset),
    Before(Keyset),
}

/// Bytes of SHA-256 kept as the check.
const CHECK_LEN: usize = 12;
/// The format's version, inside the checked content.
const VERSION: u64 = 1;

fn check(scope: &str, payload: &[u8]) -> [u8; CHECK_LEN] {
    let mut h = Sha256::new();
    h.update(b"humbol-cursor\0");
    h.update(scope.as_bytes());
    h.update(b"\0");
    h.update(payload);
    let digest = h.finalize();
    let mut out = [0u8; CHECK_LEN];
    out.copy_from_slice(&digest[..CHECK_LEN]);
    out
}

fn sort_json(v: &Option<SortValue>) -> Value {
    match v {
        None => Value::Null,
        Some(SortValue::Null) => json!(["n"]),
        Some(SortValue::Text(s)) => json!(["s", s]),
        Some(SortValue::Time(t)) => json!(["t", t]),
        Some(SortValue::Bool(b)) => json!(["b", b]),
    }
}

fn sort_from_json(v: &Value) -> Option<Option<SortValue>> {
    if v.is_null() {
        return Some(None);
    }
    let a = v.as_array()?;
    let value = match (a.first()?.as_str()?, a.get(1)) {
        ("n", None) => SortValue::Null,
        ("s", Some(Value::String(s))) => SortValue::Text(s.clone()),
        ("t", Some(t)) => SortValue::Time(t.as_i64()?),
        ("b", Some(Value::Bool(b))) => SortValue::Bool(*b),
        _ => return None,
    };
    Some(Some(value))
}

impl Position {
    /// The cursor string of this position for the query `scope` (the first page's is `""`).
    pub fn encode(&self, scope: &str) -> String {
        let (dir, k) = match self {
            Position::First => return String::new(),
            Position::After(k) => ("a", k),
            Position::Before(k) => ("b", k),
        };
        let payload = json!([VERSION, dir, sort_json(&k.sort), k.created, k.id]).to_string();
        let mut bytes = payload.into_bytes();
        let c = check(scope, &bytes);
        bytes.extend_from_slice(&c);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Reads a `cursor` parameter sent with the query `scope`: `""` is the first page; a string this server
    /// did not issue for this query is `400 invalidCursor`.
    pub fn decode(raw: &str, scope: &str) -> Result<Position, ScimError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(Position::First);
        }
        let bad = || {
            ScimError::invalid_cursor(
                "cursor is not one this server issued for this query (same filter, sortBy and sortOrder)",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
        let split = bytes.len().checked_sub(CHECK_LEN).ok_or_else(bad)?;
        let (payload, c) = bytes.split_at(split);
        if check(scope, payload) != c {
            return Err(bad());
        }
        let v: Value = serde_json::from_slice(payload).map_err(|_| bad())?;
        let parse = || -> Option<Position> {
            let a = v.as_array()?;
            if a.len() != 5 || a[0].as_u64()? != VERSION {
                return None;
            }
            let k = Keyset {
                sort: sort_from_json(&a[2])?,
                created: a[3].as_i64()?,
                id: a[4].as_str()?.to_string(),
            };
            match a[1].as_str()? {
                "a" => Some(Position::After(k)),
                "b" => Some(Position::Before(k)),
                _ => None,
            }
        };
        parse().ok_or_else(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ScimType;

    fn k(sort: Option<SortValue>) -> Keyset {
        Keyset {
            sort,
            created: 1_764_000_000_123_456,
            id: "2b1c0d9e-0000-4000-8000-000000000001".into(),
        }
    }

    #[test]
    fn round_trip() {
        for p in [
            Position::After(k(None)),
            Position::Before(k(None)),
            Position::After(k(Some(SortValue::Null))),
            Position::After(k(Some(SortValue::Text("zoë \"x\"".into())))),
            Position::Before(k(Some(SortValue::Time(-5)))),
            Position::After(k(Some(SortValue::Bool(true)))),
        ] {
            let s = p.encode("Users|");
            assert!(s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            assert_eq!(Position::decode(&s, "Users|").unwrap(), p);
        }
        assert_eq!(Position::First.encode("x"), "");
        assert_eq!(Position::decode(" ", "x").unwrap(), Position::First);
    }

    #[test]
    fn altered_or_foreign_cursors_are_invalid_cursor() {
        let s = Position::After(k(None)).encode("Users|");
        let mut flipped = s.clone().into_bytes();
        flipped[3] = if flipped[3] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        for (raw, scope) in [
            (s.as_str(), "Groups|"),
            (&s[..s.len() - 1], "Users|"),
            (flipped.as_str(), "Users|"),
            ("not a cursor!", "Users|"),
            ("AAAA", "Users|"),
        ] {
            let e = Position::decode(raw, scope).unwrap_err();
            assert_eq!(
                (e.status, e.scim_type),
                (400, Some(ScimType::InvalidCursor)),
                "{raw}"
            );
        }
    }
}
