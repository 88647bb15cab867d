//! Humbol's configuration, shared by the binaries (`scim-api`, `admin-api`, `humbol`).
//!
//! - [`vars`]: every environment variable, declared once: name, default, which binary reads it, what it means.
//!   The README's table, `.env.sample` and each binary's `--help` are checked against or made from it.
//! - [`Env`]: reads a variable (an empty value counts as unset, the declared default applies) and turns a bad
//!   value into a [`ConfigError`] that names the variable and never shows a secret.
//! - [`parse`]: the parsers, one per kind of value, so that a variable is validated the same way everywhere.
//! - [`redact`]: one redaction of database URLs for every form (URL userinfo, `?password=`, keyword style).
//! - [`probe`]: the `healthcheck` subcommand's HTTP probe (no curl in the image).
//! - [`warnings`]: start-up warnings about settings that work but are probably wrong.

pub mod parse;
pub mod probe;
pub mod redact;
pub mod vars;
pub mod warnings;

pub use redact::redact_database_url;
pub use vars::{Binary, Var};

/// A configuration value that cannot be used. The message names the variable and, unless the variable holds
/// a secret, shows the value (database URLs redacted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}{}: {reason}", shown_value(.value))]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: &'static str,
    /// Its value as it may be shown (`None` for secrets).
    pub value: Option<String>,
    /// What is wrong, and what is expected.
    pub reason: String,
}

fn shown_value(value: &Option<String>) -> String {
    value
        .as_ref()
        .map(|v| format!("={v:?}"))
        .unwrap_or_default()
}

impl ConfigError {
    /// An error about `var` that does not show its value (e.g. a missing file named elsewhere in the reason).
    pub fn new(var: &Var, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            variable: var.name,
            value: None,
            reason: reason.into(),
        }
    }
}

/// Reads variables through a lookup function (the process environment, or a map in tests).
pub struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Env<'a> {
    /// Variables from `lookup` (name -> value).
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Env<'a> {
        Env { lookup }
    }

    /// The value set for `var`, trimmed; `None` when unset or blank (the default does not apply).
    pub fn value(&self, var: &Var) -> Option<String> {
        (self.lookup)(var.name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// Whether `var` is set to a non-blank value.
    pub fn is_set(&self, var: &Var) -> bool {
        self.value(var).is_some()
    }

    /// `var` parsed by `parse`: its value, else its declared default; `None` if neither exists.
    pub fn get<T>(
        &self,
        var: &Var,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        let Some(text) = self.value(var).or(var.default.map(str::to_string)) else {
            return Ok(None);
        };
        parse(&text).map(Some).map_err(|reason| ConfigError {
            variable: var.name,
            value: var.secrecy.show(&text),
            reason,
        })
    }

    /// Like [`Env::get`] for a variable that has a default or must be set.
    pub fn require<T>(
        &self,
        var: &Var,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        self.get(var, parse)?
            .ok_or_else(|| ConfigError::new(var, format!("must be set: {}", var.doc)))
    }
}

/// A lookup function over the process environment.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_apply_to_unset_and_blank_values() {
        let f = lookup(&[("HUMBOL_MAX_BODY_BYTES", "  ")]);
        let env = Env::new(&f);
        assert_eq!(
            env.require(&vars::MAX_BODY_BYTES, parse::body_bytes),
            Ok(1_048_576)
        );
        assert!(!env.is_set(&vars::MAX_BODY_BYTES));
        assert_eq!(
            env.get(&vars::DB_POOL_SIZE, parse::positive::<u32>),
            Ok(None)
        );
    }

    #[test]
    fn errors_name_the_variable_and_hide_secrets() {
        let f = lookup(&[
            ("HUMBOL_MAX_BODY_BYTES", "1MB"),
            ("HUMBOL_ADMIN_JWT_SECRET", "short-secret"),
            ("DATABASE_URL", "mysql://root:hunter2@db/x"),
        ]);
        let env = Env::new(&f);
        let err = env
            .require(&vars::MAX_BODY_BYTES, parse::body_bytes)
            .unwrap_err();
        assert_eq!(err.variable, "HUMBOL_MAX_BODY_BYTES");
        assert!(err
            .to_string()
            .starts_with("HUMBOL_MAX_BODY_BYTES=\"1MB\": "));
        let err = env
            .require(&vars::ADMIN_JWT_SECRET, parse::jwt_secret)
            .unwrap_err();
        assert!(
            err.to_string().starts_with("HUMBOL_ADMIN_JWT_SECRET: "),
            "{err}"
        );
        assert!(!err.to_string().contains("short-secret"), "{err}");
        let err = env
            .require(&vars::DATABASE_URL, parse::database_url)
            .unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(err.to_string().contains("mysql://root:***@db/x"), "{err}");
    }

    #[test]
    fn required_variable_without_default() {
        let f = lookup(&[]);
        let err = Env::new(&f)
            .require(&vars::ADMIN_JWT_SECRET, parse::jwt_secret)
            .unwrap_err();
        assert!(err.to_string().contains("must be set"), "{err}");
    }
}
