//! An organisation's SCIM bearer tokens: create (the value is shown once), list (metadata only), revoke.
//!
//! Who may do what: the organisation's admin may create, list and revoke; Humbol support may list and revoke
//! (e.g. to cut off a leaked token at a customer's request) but not create, so that a token's value is only
//! ever seen by the organisation's own admin. Revoking an already revoked token answers 204 again
//! (idempotent; the first revocation time is kept); an id unknown in this organisation is 404.

use actix_web::http::header::{self, CacheDirective};
use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use humbol_store::{NewToken, TokenInfo};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{validate_slug, validate_text};
use crate::auth::{Access, Principal};
use crate::error::{AppError, ErrorBody};
use crate::state::{existing_org, AppState};

/// Longest token name.
const MAX_NAME: usize = 100;

/// A token to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Entra provisioning", "expires_at": null}))]
pub struct CreateTokenRequest {
    /// A name to recognise the token by (1–100 characters).
    pub name: String,
    /// When the token stops working (RFC 3339, in the future), or `null` for never. Entra puts a
    /// provisioning job in quarantine when its token stops working, so most tokens should not expire.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A newly created token. The only response that ever contains the token's value.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f", "name": "Entra provisioning",
    "token": "humbol_scim_4Fq8Zr2LmN0pXy7TkW3bVc9HsJd1GeAo1yrq2B",
    "hint": "humbol_scim_…rq2B", "created_at": "2026-11-28T10:00:00Z", "expires_at": null,
    "scim_base_url": "https://scim.humbol.example/scim/v2/orgs/acme"
}))]
pub struct CreatedToken {
    /// The token's id (for revocation).
    pub id: String,
    /// Its name.
    pub name: String,
    /// The secret bearer token to paste into Entra ("Secret Token"). Shown this once, never again.
    pub token: String,
    /// A non-secret hint shown in lists.
    pub hint: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it expires, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// The SCIM tenant URL to paste into Entra ("Tenant URL").
    pub scim_base_url: String,
}

/// A token's metadata (never its value).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f", "name": "Entra provisioning", "hint": "humbol_scim_…rq2B",
    "created_at": "2026-11-28T10:00:00Z", "last_used_at": "2026-11-28T10:40:00Z", "expires_at": null,
    "revoked_at": null
}))]
pub struct TokenSummary {
    /// The token's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// A non-secret hint: the prefix and last four characters.
    pub hint: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When Entra last used it (updated in batches, so may lag by a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it expires, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<TokenInfo> for TokenSummary {
    fn from(t: TokenInfo) -> Self {
        TokenSummary {
            id: t.id,
            name: t.name,
            hint: t.hint,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// Default page size of the token list.
pub const DEFAULT_LIMIT: i64 = 100;
/// Largest page size of the token list.
pub const MAX_LIMIT: i64 = 200;

/// Paging of the token list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokensParams {
    /// Page size, 1–200 (default 100).
    #[param(example = 100, minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next` cursor of the previous page.
    #[param(example = "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f")]
    pub before: Option<String>,
}

/// An organisation's tokens, newest first, revoked and expired ones included; one page of them.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    /// The tokens.
    pub items: Vec<TokenSummary>,
    /// Pass as `before` to get the next (older) page; `null` on the last page.
    #[schema(example = json!(null))]
    pub next: Option<String>,
}

/// The actor recorded in the event log: `admin:<sub>` or `support:<sub>`.
pub fn actor(principal: &Principal) -> String {
    match principal.access {
        Access::Support => format!("support:{}", principal.sub),
        Access::Admin { .. } => format!("admin:{}", principal.sub),
    }
}

/// Creates a SCIM token for the organisation (its admin only). The response is the only place the token's
/// value ever appears; Humbol keeps only its SHA-256 hash.
#[utoipa::path(
    tag = "Tokens",
    operation_id = "createToken",
    params(("org" = String, Path, description = "Organisation slug", example = "acme")),
    request_body = CreateTokenRequest,
    responses(
        (status = 201, description = "Token created; copy `token` now, it is never shown again", body = CreatedToken,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "Invalid body (empty name, expiry in the past, malformed JSON)", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired JWT", body = ErrorBody),
        (status = 403, description = "Humbol support may not create tokens", body = ErrorBody),
        (status = 404, description = "No such organisation (or not the admin's own)", body = ErrorBody),
        (status = 409, description = "SCIM provisioning is not enabled for the organisation, or it already has 25 live tokens (`too_many_tokens`)", body = ErrorBody,
            example = json!({"error": {"code": "scim_not_enabled", "message": "SCIM provisioning is not enabled for organisation `acme`: contact Humbol support to enable it"}})),
    ),
    security(("bearer_jwt" = []))
)]
#[post("/api/v1/orgs/{org}/scim/tokens")]
pub async fn create_token(
    principal: Principal,
    state: web::Data<AppState>,
    org: web::Path<String>,
    body: web::Json<CreateTokenRequest>,
) -> Result<HttpResponse, AppError> {
    let slug = org.into_inner();
    validate_slug(&slug)?;
    principal.require_org(&slug)?;
    if principal.access == Access::Support {
        return Err(AppError::forbidden(
            "only the organisation's admin may create SCIM tokens",
        ));
    }
    let body = body.into_inner();
    let name = validate_text("name", &body.name, MAX_NAME)?;
    if let Some(expires_at) = body.expires_at {
        if expires_at <= Utc::now() {
            return Err(AppError::bad_request("`expires_at` must be in the future"));
        }
    }

    let mut random = [0u8; scim_core::token::RANDOM_BYTES];
    rand::rng().fill_bytes(&mut random);
    let issued = scim_core::token::from_random_bytes(&random);
    let new = NewToken {
        name,
        hash: issued.hash,
        hint: issued.hint,
        expires_at: body.expires_at,
    };
    let actor = actor(&principal);
    let store_slug = slug.clone();
    let info = state
        .run(move |store| {
            let org = existing_org(store, &store_slug)?;
            if !org.scim_enabled {
                return Err(AppError::new(
                    actix_web::http::StatusCode::CONFLICT,
                    "scim_not_enabled",
                    format!(
                        "SCIM provisioning is not enabled for organisation `{store_slug}`: \
                         contact Humbol support to enable it"
                    ),
                ));
            }
            Ok(store.create_token(&store_slug, &new, &actor)?)
        })
        .await?;
    log::info!(
        "SCIM token {} created for {slug} by {}",
        info.id,
        principal.sub
    );
    Ok(HttpResponse::Created()
        .insert_header(header::CacheControl(vec![CacheDirective::NoStore]))
        .json(CreatedToken {
            id: info.id,
            name: info.name,
            token: issued.secret,
            hint: info.hint,
            created_at: info.created_at,
            expires_at: info.expires_at,
            scim_base_url: state.scim_base_url(&slug),
        }))
}

/// Lists the organisation's tokens: metadata only, never a value; newest first, a page at a time.
#[utoipa::path(
    tag = "Tokens",
    operation_id = "listTokens",
    params(("org" = String, Path, description = "Organisation slug", example = "acme"), TokensParams),
    responses(
        (status = 200, description = "The tokens, newest first", body = TokenList),
        (status = 400, description = "Invalid `limit` or `before`", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired JWT", body = ErrorBody),
        (status = 404, description = "No such organisation (or not the admin's own)", body = ErrorBody),
    ),
    security(("bearer_jwt" = []))
)]
#[get("/api/v1/orgs/{org}/scim/tokens")]
pub async fn list_tokens(
    principal: Principal,
    state: web::Data<AppState>,
    org: web::Path<String>,
    params: web::Query<TokensParams>,
) -> Result<web::Json<TokenList>, AppError> {
    let slug = org.into_inner();
    validate_slug(&slug)?;
    principal.require_org(&slug)?;
    let TokensParams { limit, before } = params.into_inner();
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::bad_request(format!(
            "`limit` must be between 1 and {MAX_LIMIT}"
        )));
    }
    let mut tokens = state
        .run(move |store| {
            existing_org(store, &slug)?;
            // One more than the page, to know whether a next page exists.
            match store.tokens_page(&slug, before.as_deref(), limit + 1) {
                Err(humbol_store::StoreError::NotFound) => Err(AppError::bad_request(
                    "`before` is not a cursor from `next`",
                )),
                other => Ok(other?),
            }
        })
        .await?;
    let page = usize::try_from(limit).map_err(AppError::internal)?;
    let next = if tokens.len() > page {
        tokens.truncate(page);
        tokens.last().map(|t| t.id.clone())
    } else {
        None
    };
    Ok(web::Json(TokenList {
        items: tokens.into_iter().map(TokenSummary::from).collect(),
        next,
    }))
}

/// Revokes a token: the very next SCIM request with it is refused. Idempotent.
#[utoipa::path(
    tag = "Tokens",
    operation_id = "revokeToken",
    params(
        ("org" = String, Path, description = "Organisation slug", example = "acme"),
        ("id" = String, Path, description = "Token id", example = "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f"),
    ),
    responses(
        (status = 204, description = "Revoked (or already revoked)"),
        (status = 401, description = "Missing, invalid or expired JWT", body = ErrorBody),
        (status = 404, description = "No such token in this organisation, or no such organisation", body = ErrorBody),
    ),
    security(("bearer_jwt" = []))
)]
#[delete("/api/v1/orgs/{org}/scim/tokens/{id}")]
pub async fn revoke_token(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    validate_slug(&slug)?;
    principal.require_org(&slug)?;
    let actor = actor(&principal);
    let log_id = id.clone();
    let revoked = state
        .run(move |store| {
            existing_org(store, &slug)?;
            Ok(store.revoke_token(&slug, &id, &actor)?)
        })
        .await?;
    if !revoked {
        return Err(AppError::not_found("no such token in this organisation"));
    }
    log::info!("SCIM token {log_id} revoked by {}", principal.sub);
    Ok(HttpResponse::NoContent().finish())
}
