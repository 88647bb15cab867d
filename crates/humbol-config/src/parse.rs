//! One parser per kind of value. Each returns the reason a value is refused, which [`crate::Env`] turns into a
//! [`crate::ConfigError`] naming the variable.

use std::net::SocketAddr;

/// Shortest accepted HS256 secret, in bytes (RFC 7518 §3.2: a key of the hash's size or larger).
pub const MIN_SECRET_BYTES: usize = 32;

/// Smallest accepted `HUMBOL_MAX_BODY_BYTES`: below this not even an Entra create fits.
pub const MIN_BODY_BYTES: usize = 1024;

/// Placeholder secrets shipped in samples and examples: a deployment that kept one is signing admin JWTs with a
/// published key.
const PLACEHOLDER_SECRETS: &[&str] = &[
    "change-me-to-a-random-secret-of-at-least-32-bytes",
    "change-me-change-me-change-me-change-me",
];

/// A `DATABASE_URL`: `sqlite://PATH`, `sqlite::memory:` or `postgres(ql)://...`, kept as given (trimmed).
pub fn database_url(text: &str) -> Result<String, String> {
    let known = [
        "sqlite://",
        "sqlite::memory:",
        "postgres://",
        "postgresql://",
    ];
    if known.iter().any(|scheme| text.starts_with(scheme)) {
        return Ok(text.to_string());
    }
    let hint = if text.contains("://") {
        "unsupported scheme".to_string()
    } else if text.contains('=') {
        "keyword/value connection strings are not supported".to_string()
    } else {
        // A bare path: the most likely intent.
        format!("not a URL (a file? then write sqlite://{text})")
    };
    Err(format!(
        "{hint}: expected sqlite://PATH (e.g. sqlite://humbol.db) or postgres://USER:PASSWORD@HOST:PORT/DB"
    ))
}

/// A listen address, `IP:PORT`.
pub fn bind(text: &str) -> Result<SocketAddr, String> {
    text.parse()
        .map_err(|_| "expected IP:PORT, e.g. 127.0.0.1:8080 or 0.0.0.0:8080".to_string())
}

/// An absolute `http://` or `https://` base URL without query or fragment; its trailing `/` is dropped.
pub fn public_url(text: &str) -> Result<String, String> {
    let trimmed = text.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(host)
            if !host.is_empty()
                && !host.starts_with('/')
                && !host.contains(|c: char| c.is_whitespace() || c == '?' || c == '#') =>
        {
            Ok(trimmed.to_string())
        }
        _ => Err(
            "expected an absolute http:// or https:// URL without query, e.g. https://humbol.example"
                .to_string(),
        ),
    }
}

/// A whole number greater than zero.
pub fn positive<T: std::str::FromStr + PartialEq + Default>(text: &str) -> Result<T, String> {
    match text.parse::<T>() {
        Ok(n) if n != T::default() => Ok(n),
        _ => Err("expected a whole number greater than 0".to_string()),
    }
}

/// A body size in bytes, at least [`MIN_BODY_BYTES`].
pub fn body_bytes(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n >= MIN_BODY_BYTES => Ok(n),
        _ => Err(format!(
            "expected a number of bytes of at least {MIN_BODY_BYTES}, e.g. 1048576"
        )),
    }
}

/// A rate in requests per second, `0` for no limit (at most 1,000,000).
pub fn rate_per_second(text: &str) -> Result<u32, String> {
    match text.parse::<u32>() {
        Ok(n) if n <= 1_000_000 => Ok(n),
        _ => Err("expected requests per second from 0 (no limit) to 1000000".to_string()),
    }
}

/// A whole number of seconds from 1 to 300.
pub fn timeout_secs(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(n) if (1..=300).contains(&n) => Ok(n),
        _ => Err("expected a number of seconds from 1 to 300".to_string()),
    }
}

/// A number of days from 1 to 36500.
pub fn retention_days(text: &str) -> Result<u32, String> {
    match text.parse::<u32>() {
        Ok(n) if (1..=36_500).contains(&n) => Ok(n),
        _ => Err("expected a whole number of days from 1 to 36500".to_string()),
    }
}

/// An OAuth access-token lifetime in seconds: 1 to 6 hours (what Entra's gallery requires).
pub fn oauth_token_lifetime_secs(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(n) if (3600..=21_600).contains(&n) => Ok(n),
        _ => Err("expected 3600 to 21600 seconds (1 to 6 hours)".to_string()),
    }
}

/// An HS256 secret: at least [`MIN_SECRET_BYTES`] bytes, and not a published placeholder.
pub fn jwt_secret(text: &str) -> Result<Vec<u8>, String> {
    if PLACEHOLDER_SECRETS.contains(&text) || text.starts_with("change-me") {
        return Err(
            "is the sample's placeholder: set a random secret, e.g. `openssl rand -hex 32`"
                .to_string(),
        );
    }
    if text.len() < MIN_SECRET_BYTES {
        return Err(format!(
            "too short: {} bytes, at least {MIN_SECRET_BYTES} are required (e.g. `openssl rand -hex 32`)",
            text.len()
        ));
    }
    Ok(text.as_bytes().to_vec())
}

/// How request log lines are written (`HUMBOL_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// `key=value` fields.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// `text` or `json` (any case).
pub fn log_format(text: &str) -> Result<LogFormat, String> {
    match text.to_ascii_lowercase().as_str() {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        _ => Err("expected text or json".to_string()),
    }
}

/// Any text (already trimmed and non-empty).
pub fn text(text: &str) -> Result<String, String> {
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls() {
        assert!(database_url("sqlite://humbol.db").is_ok());
        assert!(database_url("sqlite::memory:").is_ok());
        assert!(database_url("postgresql://u@h/db").is_ok());
        let bare = database_url("humbol.db").unwrap_err();
        assert!(bare.contains("sqlite://humbol.db"), "{bare}");
        assert!(!bare.contains("humbol.db://"), "{bare}");
        let kw = database_url("host=db password=hunter2").unwrap_err();
        assert!(!kw.contains("hunter2"), "{kw}");
        assert!(database_url("mysql://x").is_err());
    }

    #[test]
    fn public_urls() {
        assert_eq!(
            public_url("https://humbol.example/").as_deref(),
            Ok("https://humbol.example")
        );
        for bad in [
            "humbol.example",
            "ftp://x",
            "https://",
            "https:///x",
            "https://h?x=1",
        ] {
            assert!(public_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(positive::<u32>("4"), Ok(4));
        assert!(positive::<u32>("0").is_err());
        assert!(positive::<u32>("-1").is_err());
        assert!(body_bytes("1023").is_err());
        assert_eq!(body_bytes("2048"), Ok(2048));
        assert!(retention_days("0").is_err());
        assert!(retention_days("36501").is_err());
    }

    #[test]
    fn jwt_secrets() {
        assert!(jwt_secret("change-me-to-a-random-secret-of-at-least-32-bytes").is_err());
        assert!(jwt_secret("change-me-change-me-change-me-change-me").is_err());
        assert!(jwt_secret("short").is_err());
        assert!(jwt_secret("0123456789abcdef0123456789abcdef").is_ok());
    }
}
