//! Every environment variable a Humbol binary reads, declared once. A binary parses a variable with the parser
//! named in its doc (see [`crate::parse`]) through [`crate::Env`]; the default given here is the only one.
//!
//! `humbol` (the local quickstart) reads the variables of both APIs.

/// A binary that reads a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binary {
    /// `scim-api`.
    ScimApi,
    /// `admin-api`.
    AdminApi,
}

impl Binary {
    /// The binary's name.
    pub fn name(self) -> &'static str {
        match self {
            Binary::ScimApi => "scim-api",
            Binary::AdminApi => "admin-api",
        }
    }
}

/// How a variable's value may be shown in error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrecy {
    /// As it is.
    Plain,
    /// A database URL: with its password redacted ([`crate::redact_database_url`]).
    DatabaseUrl,
    /// Never.
    Secret,
}

impl Secrecy {
    /// `text` as it may appear in a message, `None` if not at all.
    pub fn show(self, text: &str) -> Option<String> {
        match self {
            Secrecy::Plain => Some(text.to_string()),
            Secrecy::DatabaseUrl => Some(crate::redact_database_url(text)),
            Secrecy::Secret => None,
        }
    }
}

/// One environment variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Var {
    /// Its name.
    pub name: &'static str,
    /// Its default, as text (parsed like a set value); `None`: unset means "off" or "required".
    pub default: Option<&'static str>,
    /// The binaries that read it.
    pub read_by: &'static [Binary],
    /// How its value may be shown.
    pub secrecy: Secrecy,
    /// What it means (one line, for `--help` and the docs).
    pub doc: &'static str,
}

impl Var {
    /// Whether `binary` reads this variable.
    pub fn is_read_by(&self, binary: Binary) -> bool {
        self.read_by.contains(&binary)
    }
}

const BOTH: &[Binary] = &[Binary::ScimApi, Binary::AdminApi];
const SCIM: &[Binary] = &[Binary::ScimApi];
const ADMIN: &[Binary] = &[Binary::AdminApi];

/// `DATABASE_URL` ([`crate::parse::database_url`]).
pub const DATABASE_URL: Var = Var {
    name: "DATABASE_URL",
    default: Some("sqlite://humbol.db"),
    read_by: BOTH,
    secrecy: Secrecy::DatabaseUrl,
    doc: "sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB",
};

/// `HUMBOL_SCIM_BIND` ([`crate::parse::bind`]).
pub const SCIM_BIND: Var = Var {
    name: "HUMBOL_SCIM_BIND",
    default: Some("127.0.0.1:8080"),
    read_by: SCIM,
    secrecy: Secrecy::Plain,
    doc: "listen address of the SCIM API (IP:PORT)",
};

/// `HUMBOL_ADMIN_BIND` ([`crate::parse::bind`]).
pub const ADMIN_BIND: Var = Var {
    name: "HUMBOL_ADMIN_BIND",
    default: Some("127.0.0.1:8081"),
    read_by: ADMIN,
    secrecy: Secrecy::Plain,
    doc: "listen address of the admin API (IP:PORT)",
};

/// `HUMBOL_SCIM_PUBLIC_URL` ([`crate::parse::public_url`]).
pub const SCIM_PUBLIC_URL: Var = Var {
    name: "HUMBOL_SCIM_PUBLIC_URL",
    default: Some("http://127.0.0.1:8080"),
    read_by: BOTH,
    secrecy: Secrecy::Plain,
    doc: "public base URL of the SCIM API: meta.location, Location, tenant URLs",
};

/// `HUMBOL_MAX_BODY_BYTES` ([`crate::parse::body_bytes`]).
pub const MAX_BODY_BYTES: Var = Var {
    name: "HUMBOL_MAX_BODY_BYTES",
    default: Some("1048576"),
    read_by: BOTH,
    secrecy: Secrecy::Plain,
    doc: "largest request body accepted, at least 1024 (larger bodies get 413)",
};

/// `HUMBOL_BODY_TIMEOUT_SECS` ([`crate::parse::timeout_secs`]).
pub const BODY_TIMEOUT_SECS: Var = Var {
    name: "HUMBOL_BODY_TIMEOUT_SECS",
    default: Some("15"),
    read_by: BOTH,
    secrecy: Secrecy::Plain,
    doc: "seconds a client has to send a whole request body, 1 to 300 (slower bodies get 408 and the connection is closed)",
};

/// `HUMBOL_MAX_CONNECTIONS_PER_ADDRESS` ([`crate::parse::positive`]).
pub const MAX_CONNECTIONS_PER_ADDRESS: Var = Var {
    name: "HUMBOL_MAX_CONNECTIONS_PER_ADDRESS",
    default: Some("256"),
    read_by: BOTH,
    secrecy: Secrecy::Plain,
    doc: "open connections one client address may hold; a request on a connection beyond it gets 429 and the connection is closed",
};

/// `HUMBOL_RATE_LIMIT_ORG` ([`crate::parse::rate_per_second`]).
pub const RATE_LIMIT_ORG: Var = Var {
    name: "HUMBOL_RATE_LIMIT_ORG",
    default: Some("1000"),
    read_by: BOTH,
    secrecy: Secrecy::Plain,
    doc: "authenticated requests per second per organisation (bursts of twice that), 0 for no limit; Entra sends at most 25",
};

/// `HUMBOL_RATE_LIMIT_ADDRESS` ([`crate::parse::rate_per_second`]).
pub const RATE_LIMIT_ADDRESS: Var = Var {
    name: "HUMBOL_RATE_LIMIT_ADDRESS",
    default: Some("2000"),
    read_by: BOTH,
    secrecy: Secrecy::Plain,
    doc: "API requests per second per client address (bursts of twice that), 0 for no limit; health checks and /metrics are not counted",
};

/// `HUMBOL_RATE_LIMIT_AUTH_FAILURES` ([`crate::parse::rate_per_second`]).
pub const RATE_LIMIT_AUTH_FAILURES: Var = Var {
    name: "HUMBOL_RATE_LIMIT_AUTH_FAILURES",
    default: Some("10"),
    read_by: BOTH,
    secrecy: Secrecy::Plain,
    doc: "refused credentials (401) per second per client address (bursts of ten times that), 0 for no limit; past it the address gets 429 before any database work",
};

/// `HUMBOL_DB_POOL_SIZE` ([`crate::parse::positive`]).
pub const DB_POOL_SIZE: Var = Var {
    name: "HUMBOL_DB_POOL_SIZE",
    default: None,
    read_by: SCIM,
    secrecy: Secrecy::Plain,
    doc: "database connections per process (unset: about 2 per core)",
};

/// `HUMBOL_SCIM_MAX_RESULTS` ([`crate::parse::positive`]).
pub const SCIM_MAX_RESULTS: Var = Var {
    name: "HUMBOL_SCIM_MAX_RESULTS",
    default: Some("200"),
    read_by: SCIM,
    secrecy: Secrecy::Plain,
    doc: "largest page of a list or .search (count is clamped to it)",
};

/// `HUMBOL_SCIM_WORKERS` ([`crate::parse::positive`]).
pub const SCIM_WORKERS: Var = Var {
    name: "HUMBOL_SCIM_WORKERS",
    default: None,
    read_by: SCIM,
    secrecy: Secrecy::Plain,
    doc: "HTTP worker threads (unset: two per core)",
};

/// `HUMBOL_ADMIN_JWT_SECRET` ([`crate::parse::jwt_secret`]).
pub const ADMIN_JWT_SECRET: Var = Var {
    name: "HUMBOL_ADMIN_JWT_SECRET",
    default: None,
    read_by: ADMIN,
    secrecy: Secrecy::Secret,
    doc: "HS256 secret for admin JWTs, at least 32 bytes (e.g. `openssl rand -hex 32`)",
};

/// `HUMBOL_ADMIN_JWT_PUBLIC_KEY_FILE` ([`crate::parse::text`]).
pub const ADMIN_JWT_PUBLIC_KEY_FILE: Var = Var {
    name: "HUMBOL_ADMIN_JWT_PUBLIC_KEY_FILE",
    default: None,
    read_by: ADMIN,
    secrecy: Secrecy::Plain,
    doc: "PEM public key for RS256 (RSA) or ES256 (EC P-256) admin JWTs",
};

/// `HUMBOL_ADMIN_JWT_ISSUER` ([`crate::parse::text`]).
pub const ADMIN_JWT_ISSUER: Var = Var {
    name: "HUMBOL_ADMIN_JWT_ISSUER",
    default: None,
    read_by: ADMIN,
    secrecy: Secrecy::Plain,
    doc: "if set, a JWT's iss must equal it",
};

/// `HUMBOL_ADMIN_JWT_AUDIENCE` ([`crate::parse::text`]).
pub const ADMIN_JWT_AUDIENCE: Var = Var {
    name: "HUMBOL_ADMIN_JWT_AUDIENCE",
    default: None,
    read_by: ADMIN,
    secrecy: Secrecy::Plain,
    doc: "if set, a JWT's aud must contain it",
};

/// `HUMBOL_EVENT_RETENTION_DAYS` ([`crate::parse::retention_days`]).
pub const EVENT_RETENTION_DAYS: Var = Var {
    name: "HUMBOL_EVENT_RETENTION_DAYS",
    default: Some("90"),
    read_by: ADMIN,
    secrecy: Secrecy::Plain,
    doc: "provisioning events older than this many days are pruned hourly (1 to 36500)",
};

/// `HUMBOL_OAUTH_TOKEN_LIFETIME_SECS` ([`crate::parse::oauth_token_lifetime_secs`]).
pub const OAUTH_TOKEN_LIFETIME_SECS: Var = Var {
    name: "HUMBOL_OAUTH_TOKEN_LIFETIME_SECS",
    default: Some("3600"),
    read_by: SCIM,
    secrecy: Secrecy::Plain,
    doc: "lifetime in seconds of the access tokens the OAuth token endpoint issues (3600 to 21600: 1 to 6 hours)",
};

/// `HUMBOL_LOG_FORMAT` ([`crate::parse::log_format`]).
pub const LOG_FORMAT: Var = Var {
    name: "HUMBOL_LOG_FORMAT",
    default: Some("text"),
    read_by: BOTH,
    secrecy: Secrecy::Plain,
    doc: "request log lines as `text` (key=value) or `json` (one object per line)",
};

/// `HUMBOL_METRICS_BIND` ([`crate::parse::bind`]).
pub const METRICS_BIND: Var = Var {
    name: "HUMBOL_METRICS_BIND",
    default: None,
    read_by: BOTH,
    secrecy: Secrecy::Plain,
    doc: "when set, `/metrics` is served on this address (IP:PORT) only, not on the API's address",
};

/// `RUST_LOG`: read by env_logger itself; declared here so that it is documented with the others.
pub const RUST_LOG: Var = Var {
    name: "RUST_LOG",
    default: Some("info"),
    read_by: BOTH,
    secrecy: Secrecy::Plain,
    doc: "env_logger filter; tokens, secrets and JWTs are never logged",
};

/// Every variable, in the order of the docs.
pub const ALL: &[Var] = &[
    DATABASE_URL,
    SCIM_BIND,
    ADMIN_BIND,
    SCIM_PUBLIC_URL,
    MAX_BODY_BYTES,
    BODY_TIMEOUT_SECS,
    MAX_CONNECTIONS_PER_ADDRESS,
    RATE_LIMIT_ORG,
    RATE_LIMIT_ADDRESS,
    RATE_LIMIT_AUTH_FAILURES,
    DB_POOL_SIZE,
    SCIM_MAX_RESULTS,
    SCIM_WORKERS,
    ADMIN_JWT_SECRET,
    ADMIN_JWT_PUBLIC_KEY_FILE,
    ADMIN_JWT_ISSUER,
    ADMIN_JWT_AUDIENCE,
    EVENT_RETENTION_DAYS,
    OAUTH_TOKEN_LIFETIME_SECS,
    LOG_FORMAT,
    METRICS_BIND,
    RUST_LOG,
];

/// The variables `binaries` read, as a plain-text table for `--help`.
pub fn help_table(binaries: &[Binary]) -> String {
    let mut out = String::from("Environment variables (an empty value counts as unset):\n");
    for var in ALL
        .iter()
        .filter(|v| binaries.iter().any(|b| v.is_read_by(*b)))
    {
        let default = var
            .default
            .map_or(String::new(), |d| format!(" [default: {d}]"));
        out.push_str(&format!("  {}{default}\n      {}\n", var.name, var.doc));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn repo_file(path: &str) -> String {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        std::fs::read_to_string(root.join(path)).unwrap_or_default()
    }

    #[test]
    fn names_are_unique() {
        for (i, a) in ALL.iter().enumerate() {
            assert!(ALL[i + 1..].iter().all(|b| b.name != a.name), "{}", a.name);
        }
    }

    #[test]
    fn every_variable_is_documented_with_its_default() {
        // The README's configuration table (or a docs/ page holding it) and .env.sample name every variable;
        // the table's row shows the default declared here.
        let mut docs = repo_file("README.md");
        if let Ok(dir) = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs"))
        {
            for entry in dir.flatten() {
                docs.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
            }
        }
        let sample = repo_file(".env.sample");
        for var in ALL {
            let row = docs
                .lines()
                .find(|l| l.starts_with(&format!("| `{}` |", var.name)));
            let row = row.unwrap_or_else(|| panic!("{} has no row in the docs' table", var.name));
            if let Some(default) = var.default {
                assert!(
                    row.contains(default),
                    "{}: default {default} not in {row}",
                    var.name
                );
            }
            assert!(
                sample.contains(var.name),
                "{} missing from .env.sample",
                var.name
            );
        }
    }
}
