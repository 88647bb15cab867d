//! `GET /api/v1/orgs/{org}/scim/status`: whether provisioning works, at a glance (the settings page's status
//! line): when Entra last called, and what its calls did in the last 24 hours.

use actix_web::{get, web};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::validate_slug;
use crate::auth::Principal;
use crate::error::{AppError, ErrorBody};
use crate::state::{existing_org, AppState};

/// The window the counts cover.
pub const WINDOW_HOURS: i64 = 24;

/// How many SCIM calls did one thing.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionCount {
    /// `created`, `updated`, `disabled`, `enabled`, `deleted`, `refused`, ...
    #[schema(example = "created")]
    pub action: String,
    /// How many.
    #[schema(example = 120)]
    pub count: u64,
}

/// The organisation's provisioning status.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "scim_enabled": true, "last_request_at": "2026-11-28T10:37:00Z", "window_hours": 24,
    "since": "2026-11-27T10:40:00Z", "live_tokens": 1, "live_clients": 0,
    "actions": [{"action": "created", "count": 120}, {"action": "updated", "count": 4}, {"action": "refused", "count": 2}]
}))]
pub struct ScimStatus {
    /// Whether SCIM provisioning is enabled for the organisation.
    pub scim_enabled: bool,
    /// The latest SCIM request seen (token use is recorded in batches: it may lag by a minute), or `null` if
    /// Entra never called.
    pub last_request_at: Option<DateTime<Utc>>,
    /// The counts' window, in hours.
    pub window_hours: i64,
    /// The window's start.
    pub since: DateTime<Utc>,
    /// What SCIM calls did in the window, most frequent first (only actions that happened).
    pub actions: Vec<ActionCount>,
    /// SCIM tokens neither revoked nor expired.
    pub live_tokens: u64,
    /// OAuth clients not revoked.
    pub live_clients: u64,
}

/// The organisation's provisioning status (its admin, or support).
#[utoipa::path(
    tag = "Events",
    operation_id = "getScimStatus",
    params(("org" = String, Path, description = "Organisation slug", example = "acme")),
    responses(
        (status = 200, description = "The status", body = ScimStatus),
        (status = 400, description = "Invalid slug", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired JWT", body = ErrorBody),
        (status = 404, description = "No such organisation (or not the admin's own)", body = ErrorBody),
    ),
    security(("bearer_jwt" = []))
)]
#[get("/api/v1/orgs/{org}/scim/status")]
pub async fn scim_status(
    principal: Principal,
    state: web::Data<AppState>,
    org: web::Path<String>,
) -> Result<web::Json<ScimStatus>, AppError> {
    let slug = org.into_inner();
    validate_slug(&slug)?;
    principal.require_org(&slug)?;
    let now = Utc::now();
    let since = now - Duration::hours(WINDOW_HOURS);
    let (org, status) = state
        .run(move |store| {
            let org = existing_org(store, &slug)?;
            let status = store.provisioning_status(&slug, since, now)?;
            Ok((org, status))
        })
        .await?;
    Ok(web::Json(ScimStatus {
        scim_enabled: org.scim_enabled,
        last_request_at: status.last_request_at,
        window_hours: WINDOW_HOURS,
        since,
        actions: status
            .actions
            .into_iter()
            .map(|(action, count)| ActionCount { action, count })
            .collect(),
        live_tokens: status.live_tokens,
        live_clients: status.live_clients,
    }))
}
