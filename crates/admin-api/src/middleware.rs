//! The JSON error handlers for bodies, paths, queries and unknown routes. (The request log is
//! [`humbol_ops::observe`], shared with the SCIM API.)

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use std::sync::OnceLock;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use utoipa::OpenApi;

use crate::error::AppError;

/// JSON body settings: size limit, `application/json` required, errors as JSON (400 / 413 / 415).
pub fn json_config(max_body_bytes: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(max_body_bytes)
        .error_handler(|err, _req: &HttpRequest| json_error(err).into())
}

fn json_error(err: JsonPayloadError) -> AppError {
    match err {
        JsonPayloadError::OverflowKnownLength { limit, .. }
        | JsonPayloadError::Overflow { limit } => {
            AppError::payload_too_large(format!("the request body is larger than {limit} bytes"))
        }
        JsonPayloadError::ContentType => {
            AppError::unsupported_media_type("the request body must be `application/json`")
        }
        JsonPayloadError::Deserialize(e) => {
            AppError::bad_request(format!("the request body is not valid: {e}"))
        }
        JsonPayloadError::Serialize(e) => AppError::internal(e),
        JsonPayloadError::Payload(p) if humbol_ops::edge::is_body_timeout(&p) => AppError::new(
            actix_web::http::StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            humbol_ops::edge::BODY_TIMEOUT,
        ),
        other => AppError::bad_request(format!("the request body could not be read: {other}")),
    }
}

/// Path parameter errors as JSON 404s.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, _req| {
        AppError::not_found(format!("invalid path: {err}")).into()
    })
}

/// Query string errors as JSON 400s.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req| {
        AppError::bad_request(format!("invalid query string: {err}")).into()
    })
}

/// The answer for unknown routes: `404`; for a known path asked with a method it does not serve, `405` with
/// `Allow` naming the methods it does ([`humbol_ops::methods`], from this API's OpenAPI document).
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    static ROUTES: OnceLock<humbol_ops::methods::Routes> = OnceLock::new();
    let routes = ROUTES.get_or_init(|| {
        humbol_ops::methods::Routes::from_openapi(&crate::openapi::ApiDoc::openapi())
    });
    match routes.allow(req.path()) {
        Some(allow) => humbol_ops::methods::method_not_allowed(
            AppError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!(
                    "{} is not allowed on this path (allowed: {allow})",
                    req.method()
                ),
            )
            .error_response(),
            allow,
        ),
        None => AppError::not_found(format!("no route for {} {}", req.method(), req.path()))
            .error_response(),
    }
}
