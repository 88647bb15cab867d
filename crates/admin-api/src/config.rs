//! Typed configuration from environment variables.
//!
//! | variable | default | meaning |
//! | --- | --- | --- |
//! | `DATABASE_URL` | `sqlite://humbol.db` | `sqlite://PATH` or `postgres://...` |
//! | `HUMBOL_ADMIN_BIND` | `127.0.0.1:8081` | address the admin API listens on |
//! | `HUMBOL_SCIM_PUBLIC_URL` | `http://127.0.0.1:8080` | public base of the SCIM API; an organisation's tenant URL is `{base}/scim/v2/orgs/{org}` |
//! | `HUMBOL_ADMIN_JWT_SECRET` | — | HS256 secret (at least 32 bytes) for admin JWTs |
//! | `HUMBOL_ADMIN_JWT_PUBLIC_KEY_FILE` | — | PEM public key (RSA → RS256, EC P-256 → ES256) for admin JWTs |
//! | `HUMBOL_ADMIN_JWT_ISSUER` | — | if set, a JWT's `iss` must equal it |
//! | `HUMBOL_ADMIN_JWT_AUDIENCE` | — | if set, a JWT's `aud` must contain it |
//! | `HUMBOL_EVENT_RETENTION_DAYS` | `90` | provisioning events older than this are pruned (hourly) |
//! | `HUMBOL_MAX_BODY_BYTES` | `1048576` | largest accepted request body |
//!
//! At least one of `HUMBOL_ADMIN_JWT_SECRET` and `HUMBOL_ADMIN_JWT_PUBLIC_KEY_FILE` must be set. When both are,
//! HS256 tokens are checked with the secret and RS256/ES256 tokens with the public key, each key only ever
//! for its own algorithm. An empty variable counts as unset.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::auth::JwtVerifier;

/// Default `DATABASE_URL`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://humbol.db";
/// Default `HUMBOL_ADMIN_BIND`.
pub const DEFAULT_BIND: &str = "127.0.0.1:8081";
/// Default `HUMBOL_SCIM_PUBLIC_URL`.
pub const DEFAULT_SCIM_PUBLIC_URL: &str = "http://127.0.0.1:8080";
/// Default `HUMBOL_EVENT_RETENTION_DAYS`.
pub const DEFAULT_EVENT_RETENTION_DAYS: u32 = 90;
/// Default `HUMBOL_MAX_BODY_BYTES` (1 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Shortest accepted HS256 secret, in bytes (RFC 7518 §3.2: a key of the hash's size or larger).
pub const MIN_SECRET_BYTES: usize = 32;

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
            .field("database_url", &redact_url(&self.database_url))
            .field("bind", &self.bind)
            .field("scim_public_url", &self.scim_public_url)
            .field("jwt", &self.jwt)
            .field("event_retention_days", &self.event_retention_days)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

/// A configuration error; the message names the variable at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A variable holds a value that cannot be used.
    #[error("{var}: {message}")]
    Invalid {
        /// The environment variable.
        var: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// Neither JWT key variable is set.
    #[error(
        "no admin JWT key configured: set HUMBOL_ADMIN_JWT_SECRET (HS256, at least {MIN_SECRET_BYTES} bytes) \
         and/or HUMBOL_ADMIN_JWT_PUBLIC_KEY_FILE (PEM public key, RS256 or ES256)"
    )]
    NoJwtKey,
}

impl ConfigError {
    fn invalid(var: &'static str, message: impl Into<String>) -> Self {
        ConfigError::Invalid {
            var,
            message: message.into(),
        }
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
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let database_url = var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        if !(database_url.starts_with("sqlite://")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::invalid(
                "DATABASE_URL",
                "must start with sqlite:// or postgres:// (or postgresql://)",
            ));
        }

        let bind_text = var("HUMBOL_ADMIN_BIND").unwrap_or_else(|| DEFAULT_BIND.to_owned());
        let bind = bind_text.trim().parse::<SocketAddr>().map_err(|e| {
            ConfigError::invalid(
                "HUMBOL_ADMIN_BIND",
                format!("`{bind_text}` is not an address like 127.0.0.1:8081 ({e})"),
            )
        })?;

        let scim_public_url = parse_public_url(
            &var("HUMBOL_SCIM_PUBLIC_URL").unwrap_or_else(|| DEFAULT_SCIM_PUBLIC_URL.to_owned()),
        )?;

        let secret = var("HUMBOL_ADMIN_JWT_SECRET").map(String::into_bytes);
        if let Some(secret) = &secret {
            if secret.len() < MIN_SECRET_BYTES {
                return Err(ConfigError::invalid(
                    "HUMBOL_ADMIN_JWT_SECRET",
                    format!(
                        "too short: {} bytes, at least {MIN_SECRET_BYTES} are required",
                        secret.len()
                    ),
                ));
            }
        }
        let jwt = JwtSettings {
            secret,
            public_key_file: var("HUMBOL_ADMIN_JWT_PUBLIC_KEY_FILE").map(PathBuf::from),
            issuer: var("HUMBOL_ADMIN_JWT_ISSUER"),
            audience: var("HUMBOL_ADMIN_JWT_AUDIENCE"),
        };
        // Fail now, naming the variable, rather than on the first request.
        JwtVerifier::from_settings(&jwt)?;

        let event_retention_days = match var("HUMBOL_EVENT_RETENTION_DAYS") {
            None => DEFAULT_EVENT_RETENTION_DAYS,
            Some(text) => match text.trim().parse::<u32>() {
                Ok(days) if (1..=36_500).contains(&days) => days,
                _ => {
                    return Err(ConfigError::invalid(
                        "HUMBOL_EVENT_RETENTION_DAYS",
                        format!("`{text}` is not a whole number of days between 1 and 36500"),
                    ))
                }
            },
        };

        let max_body_bytes = match var("HUMBOL_MAX_BODY_BYTES") {
            None => DEFAULT_MAX_BODY_BYTES,
            Some(text) => match text.trim().parse::<usize>() {
                Ok(bytes) if bytes >= 1024 => bytes,
                _ => {
                    return Err(ConfigError::invalid(
                        "HUMBOL_MAX_BODY_BYTES",
                        format!("`{text}` is not a number of bytes of at least 1024"),
                    ))
                }
            },
        };

        Ok(Config {
            database_url,
            bind,
            scim_public_url,
            jwt,
            event_retention_days,
            max_body_bytes,
        })
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

/// Checks an http(s) URL and drops its trailing slashes.
fn parse_public_url(text: &str) -> Result<String, ConfigError> {
    let trimmed = text.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
            Ok(trimmed.to_owned())
        }
        _ => Err(ConfigError::invalid(
            "HUMBOL_SCIM_PUBLIC_URL",
            format!("`{text}` is not an http:// or https:// URL"),
        )),
    }
}

/// `postgres://user:password@host/db` -> `postgres://user:***@host/db`, for logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

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
