//! `GET /healthz` (the process answers), `GET /readyz` (the database answers too) and `GET /metrics`
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
    let ping = web::block(move || state.store.ping()).await?;
    match ping {
        Ok(()) => Ok(Reply::json(StatusCode::OK, &json!({"status": "ready"}))),
        Err(e) => {
            log::warn!("readiness check failed: {e}");
            Err(ApiError(ScimError::new(
                503,
                None,
                "the database is not reachable",
            )))
        }
    }
}

/// `GET /metrics`: the process's metrics in the Prometheus (OpenMetrics) text format ([`humbol_ops`]).
pub async fn metrics(state: web::Data<AppState>) -> actix_web::HttpResponse {
    if state.config.metrics_bind.is_some() {
        // Served on HUMBOL_METRICS_BIND only.
        return crate::content::not_found().await;
    }
    humbol_ops::render(&state.store)
}
