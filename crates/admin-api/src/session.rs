//! The settings page's session: the admin JWT that Humbol's app hands over (`/signin#token=<JWT>`), kept in an
//! HttpOnly cookie, and the CSRF proof that state-changing requests with that cookie must bring.
//!
//! - The cookie holds the JWT itself (no server-side session store): it is checked on every request like a
//!   bearer JWT and expires with it (`Max-Age` = the JWT's `exp`). `HttpOnly` (page scripts never see it),
//!   `SameSite=Strict` (no other site's page makes the browser send it), `Path=/`, and `Secure` when the request
//!   came over HTTPS: directly, or as the reverse proxy says in `Forwarded` / `X-Forwarded-Proto`. A client that
//!   forges that header on plain HTTP only gets a cookie that its own browser will not send back over HTTP.
//! - CSRF: a POST, PUT, PATCH or DELETE authenticated by the cookie must carry `X-Humbol-CSRF` with the
//!   session's CSRF token (SHA-256 of a fixed label and the JWT: only someone who holds the session can know
//!   it; the page gets it from `POST`/`GET /api/v1/session`), and is refused when the browser says that the
//!   request comes from another site (`Sec-Fetch-Site`). A cross-site form cannot set a custom header, and a
//!   cross-site script cannot read the token (no CORS). Bearer requests need no proof: a browser never adds an
//!   `Authorization` header on its own.

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::HttpRequest;
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "humbol_session";
/// The header that carries the CSRF token.
pub const CSRF_HEADER: &str = "x-humbol-csrf";

/// The JWT in the request's session cookie, if it has one.
pub fn cookie_jwt(req: &HttpRequest) -> Option<String> {
    req.cookie(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}

/// The CSRF token of the session whose cookie holds `jwt` (hex).
pub fn csrf_token(jwt: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"humbol-admin-csrf\0")
        .chain_update(jwt.as_bytes())
        .finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The 403 of a state-changing cookie request without a valid CSRF proof.
fn csrf_refused(message: &str) -> AppError {
    AppError::new(StatusCode::FORBIDDEN, "csrf_failed", message)
}

/// Refuses a request that the browser marks as coming from another site (`Sec-Fetch-Site: cross-site` or
/// `same-site`, i.e. a sibling subdomain). Browsers that do not send the header are covered by the token and
/// `SameSite=Strict`.
pub fn refuse_cross_site(req: &HttpRequest) -> Result<(), AppError> {
    let site = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok());
    match site {
        Some("cross-site") | Some("same-site") => Err(csrf_refused(
            "requests from another site are refused: use the Humbol settings page itself",
        )),
        _ => Ok(()),
    }
}

/// Checks the CSRF proof of a state-changing request authenticated by the session cookie holding `jwt`.
pub fn check_csrf(req: &HttpRequest, jwt: &str) -> Result<(), AppError> {
    refuse_cross_site(req)?;
    let sent = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            csrf_refused(
                "this request needs the settings page's CSRF token in the `X-Humbol-CSRF` header; reload the page",
            )
        })?;
    if constant_time_eq(sent.trim().as_bytes(), csrf_token(jwt).as_bytes()) {
        Ok(())
    } else {
        Err(csrf_refused(
            "the `X-Humbol-CSRF` header does not match this session; reload the page",
        ))
    }
}

/// Compares without an early exit, so that the time taken says nothing about how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether the request came over HTTPS (directly, or as a reverse proxy's `Forwarded` / `X-Forwarded-Proto`
/// says).
pub fn is_https(req: &HttpRequest) -> bool {
    req.connection_info().scheme().eq_ignore_ascii_case("https")
}

/// The session cookie holding `jwt`, living until `exp` (seconds since the epoch).
pub fn session_cookie(req: &HttpRequest, jwt: &str, exp: u64) -> Cookie<'static> {
    let now = jsonwebtoken::get_current_timestamp();
    let seconds = i64::try_from(exp.saturating_sub(now)).unwrap_or(i64::MAX);
    Cookie::build(SESSION_COOKIE, jwt.to_owned())
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(is_https(req))
        .path("/")
        .max_age(time::Duration::seconds(seconds))
        .finish()
}

/// The cookie that removes the session (sign-out).
pub fn cleared_cookie(req: &HttpRequest) -> Cookie<'static> {
    let mut cookie = Cookie::build(SESSION_COOKIE, "")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(is_https(req))
        .path("/")
        .finish();
    cookie.make_removal();
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_are_per_session_and_compared_exactly() {
        let a = csrf_token("jwt-a");
        assert_eq!(a.len(), 64);
        assert_eq!(a, csrf_token("jwt-a"));
        assert_ne!(a, csrf_token("jwt-b"));
        assert!(constant_time_eq(a.as_bytes(), a.as_bytes()));
        assert!(!constant_time_eq(a.as_bytes(), &a.as_bytes()[1..]));
        assert!(!constant_time_eq(b"abc", b"abd"));
    }
}
