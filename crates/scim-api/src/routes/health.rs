//! `GET /healthz` (the process answers), `GET /readyz` (the database can serve requests too) and `GET /metrics`
//! (Prometheus). No authentication: none of them shows an organisation's data.

use actix_web::http::StatusCode;
use actix_web::web;
use scim_core::ScimError;
use serde_json::json;

use super::Reply;
use crate::error::ApiError;
use crate::openapi::ErrorDoc;
use crate::state::AppState;

/// `GET /healthz`: `200 {"status": "ok"}` while the process runs.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "Operations",
    operation_id = "healthz",
    responses((status = 200, description = "The process is up", body = Object, content_type = "application/scim+json"))
)]
pub async fn healthz() -> Reply {
    Reply::ok(&json!({"status": "ok"}))
}

/// `/readyz` answers within this, whatever the database does (a stalled server, a lock held elsewhere).
pub const READY_WITHIN: std::time::Duration = std::time::Duration::from_secs(1);

// 200 when the store can serve requests (`Store::check_ready`: the database is not known to be down and answers;
// a SQLite file is the one opened at start-up and can be written), else 503 with `Retry-After`, within
// `READY_WITHIN`. (The doc comment below is the OpenAPI description.)
/// `GET /readyz`: `200` when the database answers, else `503`.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "Operations",
    operation_id = "readyz",
    responses(
        (status = 200, description = "The database answers", body = Object, content_type = "application/scim+json"),
        (status = 503, description = "The database does not answer", body = ErrorDoc, content_type = "application/scim+json"),
    )
)]
pub async fn readyz(state: web::Data<AppState>) -> Result<Reply, ApiError> {
    let store = state.store.clone();
    let check = tokio::time::timeout(READY_WITHIN, web::block(move || store.check_ready())).await;
    if check.is_err() {
        state.store.suspect(); // no answer: a stalled server is found by the probe's connect timeout
    }
    let why = match check {
        Ok(Ok(Ok(()))) => return Ok(Reply::json(StatusCode::OK, &json!({"status": "ready"}))),
        Ok(Ok(Err(e))) => e.to_string(),
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!("no answer within {READY_WITHIN:?}"),
    };
    log::warn!("readiness check failed: {why}");
    Err(ApiError(ScimError::new(
        503,
        None,
        "the database is not ready",
    )))
}

/// `GET /metrics`: the process's metrics in the Prometheus (OpenMetrics) text format ([`humbol_ops`]).
pub async fn metrics(state: web::Data<AppState>) -> actix_web::HttpResponse {
    if state.config.metrics_bind.is_some() {
        // Served on HUMBOL_METRICS_BIND only.
        return crate::content::not_found().await;
    }
    humbol_ops::render(&state.store)
}
