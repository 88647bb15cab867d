//! The server's typed configuration, read once at start-up from environment variables. The variables
//! (`DATABASE_URL`, `HUMBOL_SCIM_BIND`, `HUMBOL_SCIM_PUBLIC_URL`, `HUMBOL_MAX_BODY_BYTES`,
//! `HUMBOL_SCIM_MAX_RESULTS`, `HUMBOL_DB_POOL_SIZE`, `HUMBOL_SCIM_WORKERS`,
//! `HUMBOL_OAUTH_TOKEN_LIFETIME_SECS`), their defaults and their parsers
//! are declared once in [`humbol_config::vars`], shared with the admin API; `scim-api --help` lists them.
//!
//! A value that does not parse is a start-up error naming the variable ([`ConfigError`]).

use std::net::SocketAddr;
use std::time::Duration;

use humbol_config::parse::LogFormat;
pub use humbol_config::ConfigError;
use humbol_config::{parse, vars, Env};

/// Default of `HUMBOL_SCIM_WORKERS`: two HTTP workers per CPU core. A look-up by key runs its SQLite read on
/// the worker itself (no hop to a blocking thread), so a worker is sometimes busy without using its core
/// (waiting for a page from the file, or descheduled while it holds a read): with twice as many workers the
/// cores keep serving (the measurement is in docs/benchmarks.md, "Figures behind choices in the code").
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get() * 2)
}

/// How often the tokens' last-use times are written to the database.
pub const DEFAULT_TOKEN_USE_FLUSH: Duration = Duration::from_secs(30);

/// The SCIM server's configuration. Its `Debug` output redacts the database URL.
#[derive(Clone, PartialEq, Eq)]
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
    /// `HUMBOL_DB_WAIT_SECS`: the longest wait for a connection, a connect or a SQLite lock.
    pub db_wait: Duration,
    /// `HUMBOL_DB_STATEMENT_TIMEOUT_SECS`: PostgreSQL's `statement_timeout`.
    pub db_statement_timeout: Duration,
    /// `HUMBOL_SCIM_WORKERS` (`None`: [`default_workers`]).
    pub workers: Option<usize>,
    /// `HUMBOL_METRICS_BIND`: when set, `/metrics` is served there only (`None`: on the API's address).
    pub metrics_bind: Option<SocketAddr>,
    /// `HUMBOL_LOG_FORMAT`.
    pub log_format: LogFormat,
    /// How often the tokens' last-use times are flushed to the database (not an environment variable).
    pub token_use_flush: Duration,
    /// `HUMBOL_OAUTH_TOKEN_LIFETIME_SECS`: how long an access token from the token endpoint lives.
    pub oauth_token_lifetime: Duration,
    /// The HTTP edge: body deadline, connections per address, rate limits (`HUMBOL_BODY_TIMEOUT_SECS`,
    /// `HUMBOL_MAX_CONNECTIONS_PER_ADDRESS`, `HUMBOL_RATE_LIMIT_*`).
    pub edge: humbol_ops::edge::Limits,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field(
                "database_url",
                &humbol_config::redact_database_url(&self.database_url),
            )
            .field("bind", &self.bind)
            .field("public_url", &self.public_url)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_results", &self.max_results)
            .field("db_pool_size", &self.db_pool_size)
            .field("workers", &self.workers)
            .field("metrics_bind", &self.metrics_bind)
            .field("log_format", &self.log_format)
            .field("token_use_flush", &self.token_use_flush)
            .field("oauth_token_lifetime", &self.oauth_token_lifetime)
            .field("edge", &self.edge)
            .finish()
    }
}

impl Default for Config {
    /// The configuration when no variable is set: the defaults declared in [`humbol_config::vars`].
    #[allow(clippy::expect_used)] // the declared defaults parse: `defaults_when_nothing_is_set` checks it
    fn default() -> Self {
        Config::from_lookup(|_| None).expect("the declared defaults parse")
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
        let env = Env::new(&lookup);
        Ok(Config {
            database_url: env.require(&vars::DATABASE_URL, parse::database_url)?,
            bind: env.require(&vars::SCIM_BIND, parse::bind)?,
            public_url: env.require(&vars::SCIM_PUBLIC_URL, parse::public_url)?,
            max_body_bytes: env.require(&vars::MAX_BODY_BYTES, parse::body_bytes)?,
            max_results: env.require(&vars::SCIM_MAX_RESULTS, parse::positive)?,
            db_pool_size: env.get(&vars::DB_POOL_SIZE, parse::positive)?,
            db_wait: Duration::from_secs(env.require(&vars::DB_WAIT_SECS, parse::positive)?),
            db_statement_timeout: Duration::from_secs(
                env.require(&vars::DB_STATEMENT_TIMEOUT_SECS, parse::positive)?,
            ),
            workers: env.get(&vars::SCIM_WORKERS, parse::positive)?,
            metrics_bind: env.get(&vars::METRICS_BIND, parse::bind)?,
            log_format: env.require(&vars::LOG_FORMAT, parse::log_format)?,
            token_use_flush: DEFAULT_TOKEN_USE_FLUSH,
            oauth_token_lifetime: Duration::from_secs(env.require(
                &vars::OAUTH_TOKEN_LIFETIME_SECS,
                parse::oauth_token_lifetime_secs,
            )?),
            edge: humbol_ops::edge::Limits::from_env(&env)?,
        })
    }

    /// The SCIM base URL of an organisation: `{public url}/scim/v2/orgs/{org}`.
    pub fn org_base_url(&self, org: &str) -> String {
        [self.public_url.as_str(), "/scim/v2/orgs/", org].concat()
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
