//! The server's typed configuration, read once at start-up from environment variables.
//!
//! | Variable                  | Default                 | Meaning                                                   |
//! |---------------------------|-------------------------|-----------------------------------------------------------|
//! | `DATABASE_URL`            | `sqlite://humbol.db`    | `sqlite://PATH` or `postgres://...`                       |
//! | `HUMBOL_SCIM_BIND`        | `127.0.0.1:8080`        | address the SCIM server listens on                        |
//! | `HUMBOL_SCIM_PUBLIC_URL`  | `http://127.0.0.1:8080` | public base URL: `meta.location`, `Location`, discovery   |
//! | `HUMBOL_MAX_BODY_BYTES`   | `1048576` (1 MiB)       | largest request body accepted (larger: 413)               |
//! | `HUMBOL_SCIM_MAX_RESULTS` | `200`                   | largest page a list or search returns (`filter.maxResults`) |
//! | `HUMBOL_DB_POOL_SIZE`     | the store's default     | database connections per process                          |
//! | `HUMBOL_SCIM_WORKERS`     | 2 × CPU cores           | HTTP worker threads (see [`default_workers`])             |
//! | `HUMBOL_OAUTH_TOKEN_LIFETIME_SECS` | `3600` (1 hour) | lifetime of OAuth access tokens, 3600 to 21600 (6 hours) |
//!
//! A value that does not parse is a start-up error naming the variable ([`ConfigError`]).

use std::net::SocketAddr;
use std::time::Duration;

/// Default of `DATABASE_URL`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://humbol.db";
/// Default of `HUMBOL_SCIM_BIND`.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// Default of `HUMBOL_SCIM_PUBLIC_URL`.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";
/// Default of `HUMBOL_MAX_BODY_BYTES` (1 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Default of `HUMBOL_SCIM_MAX_RESULTS`.
pub const DEFAULT_MAX_RESULTS: u64 = 200;
/// Default of `HUMBOL_SCIM_WORKERS`: two HTTP workers per CPU core. A look-up by key runs its SQLite read on
/// the worker itself (no hop to a blocking thread), so a worker is sometimes busy without using its core
/// (waiting for a page from the file, or descheduled while it holds a read): with twice as many workers the
/// cores keep serving. Measured on 2 cores: user look-ups +25–45% over one worker per core (docs/benchmarks.md).
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get() * 2)
}

/// Default of `HUMBOL_OAUTH_TOKEN_LIFETIME_SECS`: one hour, Entra's shortest.
pub const DEFAULT_OAUTH_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// The bounds of `HUMBOL_OAUTH_TOKEN_LIFETIME_SECS`: 1 to 6 hours, what Entra's gallery requires.
pub const OAUTH_TOKEN_LIFETIME_SECS: std::ops::RangeInclusive<u64> = 3600..=21600;

/// How often the tokens' last-use times are written to the database.
pub const DEFAULT_TOKEN_USE_FLUSH: Duration = Duration::from_secs(30);

/// The SCIM server's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `DATABASE_URL`.
    pub database_url: String,
    /// `HUMBOL_SCIM_BIND`.
    pub bind: SocketAddr,
    /// `HUMBOL_SCIM_PUBLIC_URL`, without a trailing `/`.
    pub public_url: String,
    /// `HUMBOL_MAX_BODY_BYTES`.
    pub max_body_bytes: usize,
    /// `HUMBOL_SCIM_MAX_RESULTS`.
    pub max_results: u64,
    /// `HUMBOL_DB_POOL_SIZE` (`None`: the store's default).
    pub db_pool_size: Option<u32>,
    /// `HUMBOL_SCIM_WORKERS` (`None`: [`default_workers`]).
    pub workers: Option<usize>,
    /// How often the tokens' last-use times are flushed to the database (not an environment variable).
    pub token_use_flush: Duration,
    /// `HUMBOL_OAUTH_TOKEN_LIFETIME_SECS`: how long an access token from the token endpoint lives.
    pub oauth_token_lifetime: Duration,
}

/// A configuration value that cannot be used; the message names the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {variable}={value:?}: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub value: String,
    pub reason: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: DEFAULT_DATABASE_URL.to_string(),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: DEFAULT_PUBLIC_URL.to_string(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_results: DEFAULT_MAX_RESULTS,
            db_pool_size: None,
            workers: None,
            token_use_flush: DEFAULT_TOKEN_USE_FLUSH,
            oauth_token_lifetime: DEFAULT_OAUTH_TOKEN_LIFETIME,
        }
    }
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (variable name -> value), e.g. a map in tests.
    /// Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut config = Config::default();
        if let Some(url) = get("DATABASE_URL") {
            config.database_url = database_url(&url)?;
        }
        if let Some(bind) = get("HUMBOL_SCIM_BIND") {
            config.bind = bind.trim().parse().map_err(|_| {
                invalid(
                    "HUMBOL_SCIM_BIND",
                    &bind,
                    "expected HOST:PORT with an IP address, e.g. 0.0.0.0:8080",
                )
            })?;
        }
        if let Some(url) = get("HUMBOL_SCIM_PUBLIC_URL") {
            config.public_url = public_url(&url)?;
        }
        if let Some(v) = get("HUMBOL_MAX_BODY_BYTES") {
            config.max_body_bytes = positive(&v, "HUMBOL_MAX_BODY_BYTES")?;
        }
        if let Some(v) = get("HUMBOL_SCIM_MAX_RESULTS") {
            config.max_results = positive(&v, "HUMBOL_SCIM_MAX_RESULTS")?;
        }
        if let Some(v) = get("HUMBOL_DB_POOL_SIZE") {
            config.db_pool_size = Some(positive(&v, "HUMBOL_DB_POOL_SIZE")?);
        }
        if let Some(v) = get("HUMBOL_SCIM_WORKERS") {
            config.workers = Some(positive(&v, "HUMBOL_SCIM_WORKERS")?);
        }
        if let Some(v) = get("HUMBOL_OAUTH_TOKEN_LIFETIME_SECS") {
            const VAR: &str = "HUMBOL_OAUTH_TOKEN_LIFETIME_SECS";
            let secs: u64 = positive(&v, VAR)?;
            if !OAUTH_TOKEN_LIFETIME_SECS.contains(&secs) {
                return Err(invalid(
                    VAR,
                    &v,
                    "expected 3600 to 21600 seconds (1 to 6 hours)",
                ));
            }
            config.oauth_token_lifetime = Duration::from_secs(secs);
        }
        Ok(config)
    }

    /// The SCIM base URL of an organisation: `{public url}/scim/v2/orgs/{org}`.
    pub fn org_base_url(&self, org: &str) -> String {
        [self.public_url.as_str(), "/scim/v2/orgs/", org].concat()
    }
}

fn invalid(variable: &'static str, value: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        value: value.to_string(),
        reason: reason.into(),
    }
}

fn database_url(url: &str) -> Result<String, ConfigError> {
    let url = url.trim();
    let known = ["sqlite://", "postgres://", "postgresql://"];
    if known.iter().any(|scheme| url.starts_with(scheme)) {
        Ok(url.to_string())
    } else {
        // Never echo a URL that may hold a password.
        Err(ConfigError {
            variable: "DATABASE_URL",
            value: url.split("://").next().unwrap_or_default().to_string() + "://…",
            reason: "expected sqlite://PATH or postgres://USER:PASSWORD@HOST/DB".into(),
        })
    }
}

fn public_url(url: &str) -> Result<String, ConfigError> {
    let trimmed = url.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['?', '#', ' ']) => {
            Ok(trimmed.to_string())
        }
        _ => Err(invalid(
            "HUMBOL_SCIM_PUBLIC_URL",
            url,
            "expected an absolute http:// or https:// URL without query, e.g. https://humbol.example",
        )),
    }
}

fn positive<T: std::str::FromStr + PartialEq + Default>(
    value: &str,
    variable: &'static str,
) -> Result<T, ConfigError> {
    match value.trim().parse::<T>() {
        Ok(n) if n != T::default() => Ok(n),
        _ => Err(invalid(variable, value, "expected a positive integer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let c = from(&[]).unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.database_url, "sqlite://humbol.db");
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        assert_eq!(c.max_body_bytes, 1_048_576);
        assert_eq!(c.max_results, 200);
        assert_eq!(c.db_pool_size, None);
        assert_eq!(c.oauth_token_lifetime, Duration::from_secs(3600));
    }

    #[test]
    fn oauth_token_lifetime_is_one_to_six_hours() {
        for ok in ["3600", "7200", "21600"] {
            let c = from(&[("HUMBOL_OAUTH_TOKEN_LIFETIME_SECS", ok)]).unwrap();
            assert_eq!(c.oauth_token_lifetime.as_secs().to_string(), ok);
        }
        for bad in ["3599", "21601", "0", "1h"] {
            let err = from(&[("HUMBOL_OAUTH_TOKEN_LIFETIME_SECS", bad)]).unwrap_err();
            assert_eq!(err.variable, "HUMBOL_OAUTH_TOKEN_LIFETIME_SECS", "{bad}");
        }
    }

    #[test]
    fn values_are_read_and_normalised() {
        let c = from(&[
            ("DATABASE_URL", "postgres://u:p@db/humbol"),
            ("HUMBOL_SCIM_BIND", "0.0.0.0:9000"),
            ("HUMBOL_SCIM_PUBLIC_URL", "https://humbol.example/"),
            ("HUMBOL_MAX_BODY_BYTES", "2048"),
            ("HUMBOL_SCIM_MAX_RESULTS", "50"),
            ("HUMBOL_DB_POOL_SIZE", "4"),
            ("HUMBOL_SCIM_WORKERS", "3"),
        ])
        .unwrap();
        assert_eq!(c.database_url, "postgres://u:p@db/humbol");
        assert_eq!(c.bind.port(), 9000);
        assert_eq!(c.public_url, "https://humbol.example");
        assert_eq!(
            c.org_base_url("acme"),
            "https://humbol.example/scim/v2/orgs/acme"
        );
        assert_eq!(c.max_body_bytes, 2048);
        assert_eq!(c.max_results, 50);
        assert_eq!(c.db_pool_size, Some(4));
        assert_eq!(c.workers, Some(3));
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            ("HUMBOL_SCIM_BIND", "localhost"),
            ("HUMBOL_SCIM_PUBLIC_URL", "humbol.example"),
            ("HUMBOL_MAX_BODY_BYTES", "1MB"),
            ("HUMBOL_SCIM_MAX_RESULTS", "0"),
            ("HUMBOL_DB_POOL_SIZE", "-1"),
            ("HUMBOL_SCIM_WORKERS", "many"),
            ("DATABASE_URL", "mysql://x"),
        ] {
            let err = from(&[(var, value)]).unwrap_err();
            assert_eq!(err.variable, var);
            assert!(err.to_string().contains(var), "{err}");
        }
    }

    #[test]
    fn database_url_errors_never_show_a_password() {
        let err = from(&[("DATABASE_URL", "mysql://user:secret@host/db")]).unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
    }
}
