//! `PUT /api/v1/orgs/{org}` (support) and `GET /api/v1/orgs/{org}` (the org's admin, support).

use std::collections::HashSet;

use actix_web::{get, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use humbol_store::{Org, OrgSettings};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{validate_slug, validate_text};
use crate::auth::Principal;
use crate::error::{AppError, ErrorBody};
use crate::state::{existing_org, AppState};

/// Longest organisation name.
const MAX_NAME: usize = 200;
/// Longest role name.
const MAX_ROLE: usize = 100;
/// Most roles per organisation.
const MAX_ROLES: usize = 100;

/// An organisation's settings, as support sets them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Acme", "scim_enabled": true, "roles": ["Admin", "Member", "Viewer"], "default_role": "Member"}))]
pub struct OrgRequest {
    /// Display name (1–200 characters).
    pub name: String,
    /// Whether Entra may provision this organisation (and its admins may create SCIM tokens).
    pub scim_enabled: bool,
    /// The organisation's Humbol roles: non-empty, unique (case-insensitively), 1–100 characters each.
    pub roles: Vec<String>,
    /// The role of users provisioned without one; one of `roles`.
    pub default_role: String,
}

/// An organisation's settings and its SCIM tenant URL.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "slug": "acme", "name": "Acme", "scim_enabled": true, "roles": ["Admin", "Member", "Viewer"],
    "default_role": "Member", "scim_base_url": "https://scim.humbol.example/scim/v2/orgs/acme",
    "created_at": "2026-11-28T10:00:00Z", "updated_at": "2026-11-28T10:00:00Z"
}))]
pub struct OrgResponse {
    /// The organisation's slug.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Whether SCIM provisioning is enabled.
    pub scim_enabled: bool,
    /// The organisation's Humbol roles.
    pub roles: Vec<String>,
    /// The role of users provisioned without one.
    pub default_role: String,
    /// The SCIM tenant URL to paste into Entra.
    pub scim_base_url: String,
    /// When the organisation was created.
    pub created_at: DateTime<Utc>,
    /// When its settings last changed.
    pub updated_at: DateTime<Utc>,
}

impl OrgResponse {
    fn new(org: Org, state: &AppState) -> Self {
        OrgResponse {
            scim_base_url: state.scim_base_url(&org.slug),
            slug: org.slug,
            name: org.name,
            scim_enabled: org.scim_enabled,
            roles: org.roles,
            default_role: org.default_role,
            created_at: org.created,
            updated_at: org.updated,
        }
    }
}

impl OrgRequest {
    /// Validates the body into the store's settings.
    fn into_settings(self) -> Result<OrgSettings, AppError> {
        let name = validate_text("name", &self.name, MAX_NAME)?;
        if self.roles.is_empty() {
            return Err(AppError::bad_request("`roles` must list at least one role"));
        }
        if self.roles.len() > MAX_ROLES {
            return Err(AppError::bad_request(format!(
                "`roles` may list at most {MAX_ROLES} roles"
            )));
        }
        let mut seen = HashSet::new();
        let mut roles = Vec::with_capacity(self.roles.len());
        for role in &self.roles {
            let role = validate_text("roles[]", role, MAX_ROLE)?;
            if !seen.insert(role.to_lowercase()) {
                return Err(AppError::bad_request(format!(
                    "`roles` lists `{role}` more than once"
                )));
            }
            roles.push(role);
        }
        let default_role = self.default_role.trim();
        if !roles.iter().any(|r| r == default_role) {
            return Err(AppError::bad_request(format!(
                "`default_role` must be one of `roles` ({})",
                roles.join(", ")
            )));
        }
        Ok(OrgSettings {
            name,
            scim_enabled: self.scim_enabled,
            default_role: default_role.to_owned(),
            roles,
        })
    }
}

/// Creates or updates an organisation (Humbol support only).
///
/// Admins get 403: they ask Humbol support to enable provisioning.
#[utoipa::path(
    tag = "Orgs",
    operation_id = "putOrg",
    params(("org" = String, Path, description = "Organisation slug: `[a-z0-9-]{1,63}`", example = "acme")),
    request_body = OrgRequest,
    responses(
        (status = 201, description = "Organisation created", body = OrgResponse),
        (status = 200, description = "Organisation updated", body = OrgResponse),
        (status = 400, description = "Invalid slug or body", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired JWT", body = ErrorBody),
        (status = 403, description = "Not Humbol support", body = ErrorBody),
    ),
    security(("bearer_jwt" = []))
)]
#[put("/api/v1/orgs/{org}")]
pub async fn put_org(
    principal: Principal,
    state: web::Data<AppState>,
    org: web::Path<String>,
    body: web::Json<OrgRequest>,
) -> Result<HttpResponse, AppError> {
    let slug = org.into_inner();
    validate_slug(&slug)?;
    principal.require_support()?;
    let settings = body.into_inner().into_settings()?;
    let (org, created) = state
        .run(move |store| Ok(store.put_org(&slug, &settings)?))
        .await?;
    log::info!(
        "organisation {} {} by support:{}",
        org.slug,
        if created { "created" } else { "updated" },
        principal.sub
    );
    let body = OrgResponse::new(org, &state);
    Ok(if created {
        HttpResponse::Created().json(body)
    } else {
        HttpResponse::Ok().json(body)
    })
}

/// An organisation's settings and its SCIM tenant URL (the organisation's admin, or support).
#[utoipa::path(
    tag = "Orgs",
    operation_id = "getOrg",
    params(("org" = String, Path, description = "Organisation slug", example = "acme")),
    responses(
        (status = 200, description = "The organisation", body = OrgResponse),
        (status = 400, description = "Invalid slug", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired JWT", body = ErrorBody),
        (status = 404, description = "No such organisation (or not the admin's own)", body = ErrorBody),
    ),
    security(("bearer_jwt" = []))
)]
#[get("/api/v1/orgs/{org}")]
pub async fn get_org(
    principal: Principal,
    state: web::Data<AppState>,
    org: web::Path<String>,
) -> Result<web::Json<OrgResponse>, AppError> {
    let slug = org.into_inner();
    validate_slug(&slug)?;
    principal.require_org(&slug)?;
    let org = state.run(move |store| existing_org(store, &slug)).await?;
    Ok(web::Json(OrgResponse::new(org, &state)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(roles: &[&str], default_role: &str) -> OrgRequest {
        OrgRequest {
            name: "Acme".into(),
            scim_enabled: true,
            roles: roles.iter().map(|r| r.to_string()).collect(),
            default_role: default_role.into(),
        }
    }

    #[test]
    fn settings_validation() {
        let ok = req(&["Admin", " Member "], "Member")
            .into_settings()
            .unwrap();
        assert_eq!(ok.roles, vec!["Admin", "Member"]);
        assert!(req(&[], "Member").into_settings().is_err());
        assert!(req(&["Admin", "admin"], "Admin").into_settings().is_err());
        assert!(req(&["Admin"], "Member").into_settings().is_err());
        assert!(req(&["Admin", ""], "Admin").into_settings().is_err());
    }
}
