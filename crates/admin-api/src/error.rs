//! The one error type of the admin API and its JSON body `{"error": {"code": "...", "message": "..."}}`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use humbol_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An error answered to the client: an HTTP status, a stable machine-readable `code` and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct AppError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"error": {"code": "not_found", "message": "organisation `acme` not found"}}))]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `unauthorized`, `forbidden`, `not_found`, `conflict`,
    /// `bad_request`, `payload_too_large`, `unsupported_media_type`, `unavailable`, `internal`.
    #[schema(example = "not_found")]
    pub code: String,
    /// Human-readable explanation.
    #[schema(example = "organisation `acme` not found")]
    pub message: String,
}

impl AppError {
    /// An error with any status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        AppError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 401: missing, malformed, expired or wrongly signed credentials. Answered with `WWW-Authenticate: Bearer`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403: authenticated, but the role may not do this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 409.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 413.
    pub fn payload_too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }

    /// 415.
    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            message,
        )
    }

    /// 503: the database cannot be reached. Answered with `Retry-After` ([`RETRY_AFTER_SECS`]).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// 507: the database's storage is full.
    pub fn insufficient_storage(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "insufficient_storage",
            message,
        )
    }

    /// 500. The message shown is generic; `detail` goes to the log only.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        log::error!("internal error: {detail}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal server error",
        )
    }

    /// The stable error code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The message for people.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// A refusal of the HTTP edge ([`humbol_ops::edge`]) in the admin API's error shape.
pub fn edge_refusal(status: StatusCode, message: &str) -> actix_web::HttpResponse {
    let code = match status {
        StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        _ => "bad_request",
    };
    AppError::new(status, code, message).error_response()
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"humbol-admin\""),
            ));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECS),
            ));
        }
        response.json(ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message.clone(),
            },
        })
    }
}

/// `Retry-After` of every 503, in seconds: about what the store's probe needs to notice that the database is
/// back.
pub const RETRY_AFTER_SECS: &str = "2";

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(_) | StoreError::Contention(_) => {
                log::warn!("store unavailable: {}", err.report());
                AppError::unavailable("the database is unavailable; try again later")
            }
            StoreError::Full(_) => {
                log::error!("store: {}", err.report());
                AppError::insufficient_storage("the database's storage is full; try again later")
            }
            StoreError::NotFound => AppError::not_found("not found"),
            StoreError::Conflict { .. } => AppError::conflict(err.to_string()),
            // The store's own refusals (the cap on live tokens): the client's, with the store's reason.
            StoreError::Rejected(e) if e.status == 409 => {
                AppError::new(StatusCode::CONFLICT, "too_many_tokens", e.detail)
            }
            other => AppError::internal(other.report()),
        }
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        AppError::internal(err)
    }
}
