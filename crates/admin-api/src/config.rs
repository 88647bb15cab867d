//! Typed configuration from environment variables. The variables (`DATABASE_URL`, `HUMBOL_ADMIN_BIND`,
//! `HUMBOL_SCIM_PUBLIC_URL`, `HUMBOL_ADMIN_JWT_*`, `HUMBOL_EVENT_RETENTION_DAYS`, `HUMBOL_MAX_BODY_BYTES`), their
//! defaults and their parsers are declared once in [`humbol_config::vars`], shared with the SCIM API;
//! `admin-api --help` lists them.
//!
//! At least one of `HUMBOL_ADMIN_JWT_SECRET` and `HUMBOL_ADMIN_JWT_PUBLIC_KEY_FILE` must be set. When both are,
//! HS256 tokens are checked with the secret and RS256/ES256 tokens with the public key, each key only ever
//! for its own algorithm. An empty variable counts as unset.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::auth::JwtVerifier;

pub use humbol_config::parse::MIN_SECRET_BYTES;
use humbol_config::{parse, vars, Env};

/// The admin API's configuration.
#[derive(Clone)]
pub struct Config {
    /// `DATABASE_URL`.
    pub database_url: String,
    /// `HUMBOL_ADMIN_BIND`.
    pub bind: SocketAddr,
    /// `HUMBOL_SCIM_PUBLIC_URL`, without a trailing slash.
    pub scim_public_url: String,
    /// How admin JWTs are verified (`HUMBOL_ADMIN_JWT_*`).
    pub jwt: JwtSettings,
    /// `HUMBOL_EVENT_RETENTION_DAYS`.
    pub event_retention_days: u32,
    /// `HUMBOL_MAX_BODY_BYTES`.
    pub max_body_bytes: usize,
    /// `HUMBOL_METRICS_BIND`: when set, `/metrics` is served there only (`None`: on the API's address).
    pub metrics_bind: Option<SocketAddr>,
    /// `HUMBOL_LOG_FORMAT`.
    pub log_format: humbol_config::parse::LogFormat,
    /// The HTTP edge: body deadline, connections per address, rate limits (`HUMBOL_BODY_TIMEOUT_SECS`,
    /// `HUMBOL_MAX_CONNECTIONS_PER_ADDRESS`, `HUMBOL_RATE_LIMIT_*`).
    pub edge: humbol_ops::edge::Limits,
}

/// JWT verification settings.
#[derive(Clone, Default)]
pub struct JwtSettings {
    /// HS256 secret.
    pub secret: Option<Vec<u8>>,
    /// PEM public key file (RS256 or ES256).
    pub public_key_file: Option<PathBuf>,
    /// Required `iss`.
    pub issuer: Option<String>,
    /// Required `aud`.
    pub audience: Option<String>,
}

impl std::fmt::Debug for JwtSettings {
    /// Never prints the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtSettings")
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("public_key_file", &self.public_key_file)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_database_url(&self.database_url))
            .field("bind", &self.bind)
            .field("scim_public_url", &self.scim_public_url)
            .field("jwt", &self.jwt)
            .field("event_retention_days", &self.event_retention_days)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("metrics_bind", &self.metrics_bind)
            .field("log_format", &self.log_format)
            .field("edge", &self.edge)
            .finish()
    }
}

/// A configuration error; the message names the variable at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A variable holds a value that cannot be used.
    #[error(transparent)]
    Invalid(#[from] humbol_config::ConfigError),
    /// Neither JWT key variable is set.
    #[error(
        "no admin JWT key configured: set HUMBOL_ADMIN_JWT_SECRET (HS256, at least {MIN_SECRET_BYTES} bytes) \
         and/or HUMBOL_ADMIN_JWT_PUBLIC_KEY_FILE (PEM public key, RS256 or ES256)"
    )]
    NoJwtKey,
}

impl ConfigError {
    /// An error about `var`, not showing its value.
    pub fn invalid(var: &humbol_config::Var, message: impl Into<String>) -> Self {
        ConfigError::Invalid(humbol_config::ConfigError::new(var, message))
    }
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (an environment variable reader; tests pass a map).
    /// Also loads and checks the JWT public key file, so that a bad key is a start-up error.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env::new(&lookup);
        let jwt = JwtSettings {
            secret: env.get(&vars::ADMIN_JWT_SECRET, parse::jwt_secret)?,
            public_key_file: env
                .get(&vars::ADMIN_JWT_PUBLIC_KEY_FILE, parse::text)?
                .map(PathBuf::from),
            issuer: env.get(&vars::ADMIN_JWT_ISSUER, parse::text)?,
            audience: env.get(&vars::ADMIN_JWT_AUDIENCE, parse::text)?,
        };
        let config = Config {
            database_url: env.require(&vars::DATABASE_URL, parse::database_url)?,
            bind: env.require(&vars::ADMIN_BIND, parse::bind)?,
            scim_public_url: env.require(&vars::SCIM_PUBLIC_URL, parse::public_url)?,
            event_retention_days: env
                .require(&vars::EVENT_RETENTION_DAYS, parse::retention_days)?,
            max_body_bytes: env.require(&vars::MAX_BODY_BYTES, parse::body_bytes)?,
            metrics_bind: env.get(&vars::METRICS_BIND, parse::bind)?,
            log_format: env.require(&vars::LOG_FORMAT, parse::log_format)?,
            edge: humbol_ops::edge::Limits::from_env(&env)?,
            jwt,
        };
        // Fail now, naming the variable, rather than on the first request.
        JwtVerifier::from_settings(&config.jwt)?;
        Ok(config)
    }

    /// The SCIM tenant URL of organisation `org`: `{HUMBOL_SCIM_PUBLIC_URL}/scim/v2/orgs/{org}`.
    pub fn scim_base_url(&self, org: &str) -> String {
        tenant_url(&self.scim_public_url, org)
    }
}

/// An organisation's SCIM tenant URL: `{scim_public_url}/scim/v2/orgs/{org}` (Entra appends `/Users`, ...).
pub fn tenant_url(scim_public_url: &str, org: &str) -> String {
    format!("{scim_public_url}/scim/v2/orgs/{org}")
}

/// A database URL with its secrets redacted, for logs (the one redaction, shared with the store).
pub use humbol_config::redact_database_url;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_apply_when_only_a_secret_is_set() {
        let c = config(&[("HUMBOL_ADMIN_JWT_SECRET", SECRET)]).unwrap();
        assert_eq!(c.database_url, "sqlite://humbol.db");
        assert_eq!(c.bind.to_string(), "127.0.0.1:8081");
        assert_eq!(c.scim_public_url, "http://127.0.0.1:8080");
        assert_eq!(c.event_retention_days, 90);
        assert_eq!(c.max_body_bytes, 1024 * 1024);
        assert_eq!(
            c.scim_base_url("acme"),
            "http://127.0.0.1:8080/scim/v2/orgs/acme"
        );
    }

    #[test]
    fn no_jwt_key_is_an_error() {
        let err = config(&[]).unwrap_err();
        assert!(matches!(err, ConfigError::NoJwtKey));
        assert!(err.to_string().contains("HUMBOL_ADMIN_JWT_SECRET"));
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            ("HUMBOL_ADMIN_BIND", "nonsense"),
            ("HUMBOL_SCIM_PUBLIC_URL", "ftp://x"),
            ("HUMBOL_EVENT_RETENTION_DAYS", "-3"),
            ("HUMBOL_MAX_BODY_BYTES", "lots"),
            ("DATABASE_URL", "mysql://x"),
            ("HUMBOL_ADMIN_JWT_PUBLIC_KEY_FILE", "/nonexistent/key.pem"),
        ] {
            let err = config(&[("HUMBOL_ADMIN_JWT_SECRET", SECRET), (var, value)]).unwrap_err();
            assert!(err.to_string().starts_with(var), "{var}: {err}");
        }
        let err = config(&[("HUMBOL_ADMIN_JWT_SECRET", "short")]).unwrap_err();
        assert!(err.to_string().contains("HUMBOL_ADMIN_JWT_SECRET"));
    }

    #[test]
    fn public_url_loses_its_trailing_slash() {
        let c = config(&[
            ("HUMBOL_ADMIN_JWT_SECRET", SECRET),
            ("HUMBOL_SCIM_PUBLIC_URL", "https://scim.humbol.example/"),
        ])
        .unwrap();
        assert_eq!(
            c.scim_base_url("acme"),
            "https://scim.humbol.example/scim/v2/orgs/acme"
        );
    }

    #[test]
    fn debug_output_hides_secrets() {
        let c = config(&[
            ("HUMBOL_ADMIN_JWT_SECRET", SECRET),
            ("DATABASE_URL", "postgres://humbol:hunter2@db/humbol"),
        ])
        .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains(SECRET));
        assert!(!shown.contains("hunter2"));
    }
}
