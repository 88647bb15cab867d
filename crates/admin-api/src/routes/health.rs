//! `/healthz` (the process is up), `/readyz` (the database answers) and `/metrics` (Prometheus).

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, ErrorBody};
use crate::state::AppState;

/// Health status.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    /// `ok` or `ready`.
    pub status: &'static str,
}

/// Liveness: answers 200 as long as the process serves HTTP.
#[utoipa::path(
    tag = "Operations",
    operation_id = "healthz",
    responses((status = 200, description = "The process is up", body = Health))
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness: 200 when the database answers a trivial query, else 503.
#[utoipa::path(
    tag = "Operations",
    operation_id = "readyz",
    responses(
        (status = 200, description = "The database is reachable", body = Health,
            example = json!({"status": "ready"})),
        (status = 503, description = "The database is unreachable", body = ErrorBody),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    state
        .run(|store| {
            store.ping().map_err(|e| {
                log::warn!("readiness check failed: {e}");
                AppError::unavailable("the database is not reachable")
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(Health { status: "ready" }))
}

/// `GET /metrics`: the process's metrics in the Prometheus (OpenMetrics) text format ([`humbol_ops`]). Not in
/// the OpenAPI document: it is for Prometheus, not for API clients.
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    if !state.metrics_on_api_address {
        return Err(AppError::not_found(
            "/metrics is served on HUMBOL_METRICS_BIND",
        ));
    }
    Ok(humbol_ops::render(&state.store))
}
