//! The HTTP routes, one module per resource. Handlers stay thin: authorise, validate, call the store, shape
//! the response.

pub mod events;
pub mod health;
pub mod orgs;
pub mod session;
pub mod status;
pub mod tokens;

use actix_web::web;

use crate::error::AppError;

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(orgs::put_org)
        .service(orgs::get_org)
        .service(tokens::create_token)
        .service(tokens::list_tokens)
        .service(tokens::revoke_token)
        .service(events::list_events)
        .service(status::scim_status)
        .service(session::sign_in)
        .service(session::current_session)
        .service(session::sign_out);
}

/// Longest organisation slug.
pub const MAX_SLUG_LEN: usize = 63;

/// Checks an organisation slug: `[a-z0-9-]{1,63}`.
pub fn validate_slug(slug: &str) -> Result<(), AppError> {
    let ok = !slug.is_empty()
        && slug.len() <= MAX_SLUG_LEN
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(AppError::bad_request(format!(
            "invalid organisation slug: use 1 to {MAX_SLUG_LEN} characters from a-z, 0-9 and `-`"
        )))
    }
}

/// Checks a short human-readable text field: trimmed non-empty, at most `max` characters, no control
/// characters. Returns it trimmed.
pub fn validate_text(field: &str, value: &str, max: usize) -> Result<String, AppError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(AppError::bad_request(format!(
            "`{field}` must not be empty"
        )));
    }
    if trimmed.chars().count() > max {
        return Err(AppError::bad_request(format!(
            "`{field}` must be at most {max} characters"
        )));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(AppError::bad_request(format!(
            "`{field}` must not contain control characters"
        )));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for good in ["a", "acme", "acme-2", "0", &"a".repeat(63)] {
            assert!(validate_slug(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Acme",
            "acme_2",
            "acme.com",
            "a b",
            "é",
            &"a".repeat(64),
        ] {
            assert!(validate_slug(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn texts() {
        assert_eq!(validate_text("name", "  Acme ", 10).unwrap(), "Acme");
        assert!(validate_text("name", "   ", 10).is_err());
        assert!(validate_text("name", "abcdefghijk", 10).is_err());
        assert!(validate_text("name", "a\u{0}b", 10).is_err());
    }
}
