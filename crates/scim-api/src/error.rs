//! [`ApiError`]: the one error type of every handler, answered as an RFC 7644 §3.12 SCIM error body with
//! `Content-Type: application/scim+json`.
//!
//! Store errors map to their SCIM meaning (404, 409 `uniqueness`, 412, 400 `invalidFilter`, the rejection
//! itself); database failures become a 503 (with `Retry-After`: the database is unavailable, or kept aborting the
//! transaction), a 507 (its storage is full) or a 500, with a generic detail, their cause going to the log only.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use humbol_store::StoreError;
use scim_core::ScimError;

use crate::content;

/// A SCIM error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError(pub ScimError);

impl ApiError {
    /// 401 with a detail that says nothing about other organisations.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        ApiError(ScimError::unauthorized(detail))
    }

    /// The SCIM error behind this response.
    pub fn scim(&self) -> &ScimError {
        &self.0
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.0.status
    }

    /// A refusal of the client's request (4xx), as opposed to a failure of the server (5xx).
    pub fn is_refusal(&self) -> bool {
        (400..500).contains(&self.0.status)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<ScimError> for ApiError {
    fn from(e: ScimError) -> Self {
        ApiError(e)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match &e {
            StoreError::Unavailable(_) | StoreError::Contention(_) => {
                // The cause stays in the log; the client gets a generic detail.
                log::warn!("store error: {}", e.report());
            }
            StoreError::Full(_) | StoreError::Database(_) | StoreError::Config(_) => {
                log::error!("store error: {}", e.report());
            }
            _ => {}
        }
        ApiError(scim_error(&e))
    }
}

/// The SCIM error a store error answers with (RFC 7644 §3.12): 404, 409 `uniqueness`, 412, 400
/// `invalidFilter`, the rejection itself, 503, 507 or 500. HTTP is this crate's business, not the store's.
fn scim_error(e: &StoreError) -> ScimError {
    match e {
        StoreError::NotFound => ScimError::not_found("resource not found"),
        StoreError::Conflict { .. } => ScimError::uniqueness(e.to_string()),
        StoreError::VersionMismatch => ScimError::precondition_failed(e.to_string()),
        StoreError::InvalidFilter(m) => ScimError::invalid_filter(m.clone()),
        StoreError::Rejected(e) => e.clone(),
        StoreError::Unavailable(_) | StoreError::Contention(_) => {
            ScimError::new(503, None, "service temporarily unavailable")
        }
        StoreError::Full(_) => ScimError::new(
            507,
            None,
            "the service cannot store this change now (insufficient storage)",
        ),
        StoreError::Config(_) | StoreError::Database(_) => ScimError::internal("internal error"),
    }
}

/// A refusal of the HTTP edge ([`humbol_ops::edge`]) as a SCIM error response.
pub fn edge_refusal(status: StatusCode, detail: &str) -> HttpResponse {
    ApiError(ScimError::new(status.as_u16(), None, detail)).error_response()
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        log::error!("blocking task failed: {e}");
        ApiError(ScimError::internal("internal error"))
    }
}

/// `Retry-After` of every 503, in seconds: about what the store's probe needs to notice that the database is
/// back (Entra retries a failed request later anyway).
pub const RETRY_AFTER_SECS: &str = "2";

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response =
            content::Reply::json(self.status_code(), &self.0.to_json()).into_response();
        if self.0.status == 401 {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"humbol-scim\""),
            );
        }
        if self.0.status == 503 {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECS),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scim_core::ScimType;

    #[test]
    fn store_errors_map_to_scim_errors() {
        let conflict = ApiError::from(StoreError::Conflict {
            attribute: "userName".into(),
            value: "a@b".into(),
        });
        assert_eq!(conflict.status(), 409);
        assert_eq!(conflict.scim().scim_type, Some(ScimType::Uniqueness));
        assert_eq!(ApiError::from(StoreError::NotFound).status(), 404);
        assert_eq!(ApiError::from(StoreError::VersionMismatch).status(), 412);
        let filter = ApiError::from(StoreError::InvalidFilter("nope".into()));
        assert_eq!(filter.scim().scim_type, Some(ScimType::InvalidFilter));
        let rejected = ApiError::from(StoreError::Rejected(ScimError::invalid_value("x")));
        assert_eq!(rejected.0, ScimError::invalid_value("x"));
    }

    #[test]
    fn database_failures_hide_their_cause() {
        let e = ApiError::from(StoreError::Database("password=hunter2 refused".into()));
        assert_eq!(e.status(), 500);
        assert!(!e.0.detail.contains("hunter2"));
        let e = ApiError::from(StoreError::Unavailable("pool timed out at 10.0.0.1".into()));
        assert_eq!(e.status(), 503);
        assert!(!e.0.detail.contains("10.0.0.1"));
        assert!(!e.is_refusal());
        let e = ApiError::from(StoreError::Contention("deadlock detected".into()));
        assert_eq!(e.status(), 503);
        let e = ApiError::from(StoreError::Full("database or disk is full".into()));
        assert_eq!(e.status(), 507);
        assert!(!e.0.detail.contains("disk"));
    }

    #[test]
    fn unavailable_answers_say_when_to_retry() {
        let r = ApiError::from(StoreError::Unavailable("down".into())).error_response();
        assert_eq!(r.status(), 503);
        assert_eq!(
            r.headers().get(header::RETRY_AFTER).unwrap(),
            RETRY_AFTER_SECS
        );
        let r = ApiError::from(StoreError::NotFound).error_response();
        assert!(!r.headers().contains_key(header::RETRY_AFTER));
    }

    #[test]
    fn responses_are_scim_json_and_401s_say_bearer() {
        let r = ApiError::unauthorized("no").error_response();
        assert_eq!(r.status(), 401);
        assert_eq!(
            r.headers().get(header::CONTENT_TYPE).unwrap(),
            content::SCIM_JSON
        );
        assert!(r.headers().contains_key(header::WWW_AUTHENTICATE));
    }
}
