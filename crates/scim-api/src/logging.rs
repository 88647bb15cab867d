//! The access log: one line of `key=value` fields per request, at `info` on target `scim_api::access`:
//!
//! `method=GET path=/scim/v2/orgs/acme/Users status=200 duration_ms=1.234 org=acme`
//!
//! The path is logged without its query string (filters carry user names and e-mail addresses), and no
//! header is ever logged (the `Authorization` header carries the token).

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

/// The log target of the access log.
pub const TARGET: &str = "scim_api::access";

/// Middleware: logs each request once it is answered.
pub async fn access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if !log::log_enabled!(target: TARGET, log::Level::Info) {
        return next.call(req).await;
    }
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_string();
    let result = next.call(req).await;
    let elapsed = start.elapsed().as_secs_f64() * 1000.0;
    match &result {
        Ok(res) => {
            let org = res.request().match_info().get("org").unwrap_or("-");
            log::info!(
                target: TARGET,
                "method={method} path={path} status={} duration_ms={elapsed:.3} org={org}",
                res.status().as_u16()
            );
        }
        Err(e) => {
            let status = e.as_response_error().status_code().as_u16();
            log::info!(
                target: TARGET,
                "method={method} path={path} status={status} duration_ms={elapsed:.3} org=-"
            );
        }
    }
    result
}
