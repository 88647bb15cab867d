//! An organisation's OAuth 2.0 clients for the SCIM connection (what Entra's gallery apps use instead of a SCIM
//! token): create one (its first client secret is shown once), list them (metadata only), rotate secrets,
//! configure a federated credential (workload identity federation), revoke.
//!
//! Who may do what, as for SCIM tokens ([`super::tokens`]): the organisation's admin does everything; Humbol
//! support may list, remove secrets, remove a federated credential and revoke clients (cut access off), but
//! never create a client or a secret, nor configure what a client trusts, so that a secret is only ever seen
//! by the organisation's own admin.
//!
//! A client secret expires one year after creation unless `secret_expires_at` says otherwise (at most three
//! years ahead); a secret that expires within 30 days is flagged in the list, so that the admin can add a new
//! one, paste it into Entra, and then remove the old one.

use actix_web::http::header::{self, CacheDirective};
use actix_web::http::StatusCode;
use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use humbol_store::{ClientInfo, ClientSecretInfo, Federation, NewClient, NewClientSecret};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::tokens::actor;
use super::{validate_slug, validate_text};
use crate::auth::{Access, Principal};
use crate::error::{AppError, ErrorBody};
use crate::state::{existing_org, AppState};

/// Longest client name.
const MAX_NAME: usize = 100;
/// Longest issuer, subject or audience of a federated credential.
const MAX_FEDERATION_FIELD: usize = 500;
/// A secret's default lifetime.
const DEFAULT_SECRET_DAYS: i64 = 365;
/// A secret's longest lifetime (three years, a leap day included).
const MAX_SECRET_DAYS: i64 = 3 * 365 + 1;
/// A secret expiring sooner than this is flagged.
const EXPIRES_SOON_DAYS: i64 = 30;

/// A client to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Entra provisioning", "secret_expires_at": null}))]
pub struct CreateClientRequest {
    /// A name to recognise the client by (1–100 characters).
    pub name: String,
    /// When its first secret stops working (RFC 3339, in the future, at most three years ahead); default:
    /// one year from now.
    #[serde(default)]
    pub secret_expires_at: Option<DateTime<Utc>>,
}

/// A secret to add (rotation).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"expires_at": null}))]
pub struct CreateSecretRequest {
    /// When the secret stops working (RFC 3339, in the future, at most three years ahead); default: one year
    /// from now.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A newly created client. The only response that contains its first secret.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0b6a3c7e-2f1d-4e5a-9c8b-7d6e5f4a3b2c", "name": "Entra provisioning",
    "client_id": "3f2b8c1d-9e4a-4b7c-8d6e-5f4a3b2c1d0e",
    "client_secret": "humbol_secret_4Fq8Zr2LmN0pXy7TkW3bVc9HsJd1GeAo1yrq2B",
    "secret_id": "8e7d6c5b-4a3b-4c2d-9e1f-0a9b8c7d6e5f", "secret_expires_at": "2027-12-01T10:00:00Z",
    "token_endpoint": "https://scim.humbol.example/scim/v2/orgs/acme/oauth/token",
    "scim_base_url": "https://scim.humbol.example/scim/v2/orgs/acme"
}))]
pub struct CreatedClient {
    /// The client's id (for the routes below).
    pub id: String,
    /// Its name.
    pub name: String,
    /// The public client identifier to paste into Entra ("Client Identifier").
    pub client_id: String,
    /// The client secret to paste into Entra ("Client Secret"). Shown this once, never again.
    pub client_secret: String,
    /// The secret's id (to remove it later).
    pub secret_id: String,
    /// When the secret expires.
    pub secret_expires_at: DateTime<Utc>,
    /// The token endpoint to paste into Entra ("Token Endpoint").
    pub token_endpoint: String,
    /// The SCIM tenant URL to paste into Entra ("Tenant URL").
    pub scim_base_url: String,
}

/// A newly added secret. The only response that contains it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "8e7d6c5b-4a3b-4c2d-9e1f-0a9b8c7d6e5f",
    "client_secret": "humbol_secret_4Fq8Zr2LmN0pXy7TkW3bVc9HsJd1GeAo1yrq2B", "hint": "humbol_secret_…rq2B",
    "created_at": "2026-12-01T10:00:00Z", "expires_at": "2027-12-01T10:00:00Z"
}))]
pub struct CreatedSecret {
    /// The secret's id.
    pub id: String,
    /// The client secret. Shown this once, never again.
    pub client_secret: String,
    /// A non-secret hint shown in lists.
    pub hint: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// A secret's metadata (never its value).
#[derive(Debug, Serialize, ToSchema)]
pub struct SecretSummary {
    /// The secret's id.
    pub id: String,
    /// A non-secret hint: the prefix and last four characters.
    pub hint: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// When the token endpoint last accepted it.
    pub last_used_at: Option<DateTime<Utc>>,
    /// It has expired: no token is issued with it any more.
    pub expired: bool,
    /// It expires within 30 days: add a new secret, paste it into Entra, then remove this one.
    pub expires_soon: bool,
}

/// A federated credential: Entra's client assertions for this client are accepted when their `iss`, `sub` and
/// `aud` are these.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "issuer": "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
    "subject": "6b1a2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d",
    "audience": "api://humbol-scim"
}))]
pub struct FederationBody {
    /// The issuer: `https://login.microsoftonline.com/<tenant id>/v2.0` for Entra. Its OIDC discovery document
    /// names the keys that sign the assertions.
    pub issuer: String,
    /// The assertions' `sub`: for Entra, the object id of the provisioning app's service principal.
    pub subject: String,
    /// The assertions' `aud`, as configured in Entra.
    pub audience: String,
}

impl From<Federation> for FederationBody {
    fn from(f: Federation) -> Self {
        FederationBody {
            issuer: f.issuer,
            subject: f.subject,
            audience: f.audience,
        }
    }
}

/// A client's metadata (never a secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientSummary {
    /// The client's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The public client identifier.
    pub client_id: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Its federated credential, if any.
    pub federation: Option<FederationBody>,
    /// Its secrets, oldest first.
    pub secrets: Vec<SecretSummary>,
    /// One of its secrets expires within 30 days.
    pub secret_expires_soon: bool,
    /// The token endpoint.
    pub token_endpoint: String,
}

/// An organisation's clients, newest first, revoked ones included.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientList {
    /// The clients.
    pub items: Vec<ClientSummary>,
}

fn secret_summary(s: ClientSecretInfo, now: DateTime<Utc>) -> SecretSummary {
    let expired = s.expires_at <= now;
    SecretSummary {
        expires_soon: !expired && s.expires_at <= now + Duration::days(EXPIRES_SOON_DAYS),
        expired,
        id: s.id,
        hint: s.hint,
        created_at: s.created_at,
        expires_at: s.expires_at,
        last_used_at: s.last_used_at,
    }
}

fn client_summary(c: ClientInfo, token_endpoint: String, now: DateTime<Utc>) -> ClientSummary {
    let secrets: Vec<SecretSummary> = c
        .secrets
        .into_iter()
        .map(|s| secret_summary(s, now))
        .collect();
    ClientSummary {
        secret_expires_soon: c.revoked_at.is_none() && secrets.iter().any(|s| s.expires_soon),
        id: c.id,
        name: c.name,
        client_id: c.client_id,
        created_at: c.created_at,
        revoked_at: c.revoked_at,
        federation: c.federation.map(FederationBody::from),
        secrets,
        token_endpoint,
    }
}

/// The token endpoint of `org`: `{tenant URL}/oauth/token`.
fn token_endpoint(state: &AppState, org: &str) -> String {
    format!("{}/oauth/token", state.scim_base_url(org))
}

/// A secret's expiry: given (in the future, at most three years ahead) or one year from now.
fn secret_expiry(given: Option<DateTime<Utc>>) -> Result<DateTime<Utc>, AppError> {
    let now = Utc::now();
    match given {
        None => Ok(now + Duration::days(DEFAULT_SECRET_DAYS)),
        Some(at) if at <= now => Err(AppError::bad_request(
            "the secret's expiry must be in the future",
        )),
        Some(at) if at > now + Duration::days(MAX_SECRET_DAYS) => Err(AppError::bad_request(
            "a client secret expires at most three years from now",
        )),
        Some(at) => Ok(at),
    }
}

/// A fresh client secret: (the secret to show once, what the store keeps).
fn new_secret(expires_at: DateTime<Utc>) -> (String, NewClientSecret) {
    let mut random = [0u8; scim_core::token::RANDOM_BYTES];
    rand::rng().fill_bytes(&mut random);
    let issued = scim_core::token::from_random_bytes_with_prefix(
        scim_core::token::CLIENT_SECRET_PREFIX,
        &random,
    );
    let stored = NewClientSecret {
        hash: issued.hash,
        hint: issued.hint,
        expires_at,
    };
    (issued.secret, stored)
}

/// The organisation's admin only (support gets 403 `only the organisation's admin may {what}`).
fn require_admin(principal: &Principal, slug: &str, what: &str) -> Result<(), AppError> {
    principal.require_org(slug)?;
    if principal.access == Access::Support {
        return Err(AppError::forbidden(format!(
            "only the organisation's admin may {what}"
        )));
    }
    Ok(())
}

fn no_such_client() -> AppError {
    AppError::not_found("no such OAuth client in this organisation")
}

/// Creates an OAuth client with its first secret (the organisation's admin only). The response is the only
/// place the secret ever appears; Humbol keeps only its SHA-256 hash.
#[utoipa::path(
    tag = "Clients",
    operation_id = "createClient",
    params(("org" = String, Path, description = "Organisation slug", example = "acme")),
    request_body = CreateClientRequest,
    responses(
        (status = 201, description = "Client created; copy `client_secret` now, it is never shown again", body = CreatedClient,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "Invalid body (empty name, expiry in the past or more than three years ahead)", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired JWT", body = ErrorBody),
        (status = 403, description = "Humbol support may not create clients", body = ErrorBody),
        (status = 404, description = "No such organisation (or not the admin's own)", body = ErrorBody),
        (status = 409, description = "SCIM provisioning is not enabled for the organisation", body = ErrorBody),
    ),
    security(("bearer_jwt" = []))
)]
#[post("/api/v1/orgs/{org}/scim/clients")]
pub async fn create_client(
    principal: Principal,
    state: web::Data<AppState>,
    org: web::Path<String>,
    body: web::Json<CreateClientRequest>,
) -> Result<HttpResponse, AppError> {
    let slug = org.into_inner();
    validate_slug(&slug)?;
    require_admin(&principal, &slug, "create OAuth clients")?;
    let body = body.into_inner();
    let name = validate_text("name", &body.name, MAX_NAME)?;
    let (secret, stored) = new_secret(secret_expiry(body.secret_expires_at)?);
    let new = NewClient {
        name,
        client_id: uuid::Uuid::new_v4().to_string(),
        secret: stored,
    };
    let actor = actor(&principal);
    let store_slug = slug.clone();
    let info = state
        .run(move |store| {
            let org = existing_org(store, &store_slug)?;
            if !org.scim_enabled {
                return Err(AppError::new(
                    StatusCode::CONFLICT,
                    "scim_not_enabled",
                    format!(
                        "SCIM provisioning is not enabled for organisation `{store_slug}`: \
                         contact Humbol support to enable it"
                    ),
                ));
            }
            Ok(store.create_client(&store_slug, &new, &actor)?)
        })
        .await?;
    let first = info
        .secrets
        .first()
        .ok_or_else(|| AppError::internal("a new client without its secret"))?;
    log::info!(
        "OAuth client {} created for {slug} by {}",
        info.id,
        principal.sub
    );
    Ok(HttpResponse::Created()
        .insert_header(header::CacheControl(vec![CacheDirective::NoStore]))
        .json(CreatedClient {
            secret_id: first.id.clone(),
            secret_expires_at: first.expires_at,
            id: info.id,
            name: info.name,
            client_id: info.client_id,
            client_secret: secret,
            token_endpoint: token_endpoint(&state, &slug),
            scim_base_url: state.scim_base_url(&slug),
        }))
}

/// Lists the organisation's OAuth clients: metadata only, never a secret. Secrets expiring within 30 days
/// are flagged.
#[utoipa::path(
    tag = "Clients",
    operation_id = "listClients",
    params(("org" = String, Path, description = "Organisation slug", example = "acme")),
    responses(
        (status = 200, description = "The clients, newest first", body = ClientList),
        (status = 401, description = "Missing, invalid or expired JWT", body = ErrorBody),
        (status = 404, description = "No such organisation (or not the admin's own)", body = ErrorBody),
    ),
    security(("bearer_jwt" = []))
)]
#[get("/api/v1/orgs/{org}/scim/clients")]
pub async fn list_clients(
    principal: Principal,
    state: web::Data<AppState>,
    org: web::Path<String>,
) -> Result<web::Json<ClientList>, AppError> {
    let slug = org.into_inner();
    validate_slug(&slug)?;
    principal.require_org(&slug)?;
    let store_slug = slug.clone();
    let clients = state
        .run(move |store| {
            existing_org(store, &store_slug)?;
            Ok(store.clients(&store_slug)?)
        })
        .await?;
    let now = Utc::now();
    let endpoint = token_endpoint(&state, &slug);
    Ok(web::Json(ClientList {
        items: clients
            .into_iter()
            .map(|c| client_summary(c, endpoint.clone(), now))
            .collect(),
    }))
}

/// Adds a secret to a client (the organisation's admin only): rotation without downtime. The response is the
/// only place the secret ever appears.
#[utoipa::path(
    tag = "Clients",
    operation_id = "createSecret",
    params(
        ("org" = String, Path, description = "Organisation slug", example = "acme"),
        ("id" = String, Path, description = "Client id", example = "0b6a3c7e-2f1d-4e5a-9c8b-7d6e5f4a3b2c"),
    ),
    request_body = CreateSecretRequest,
    responses(
        (status = 201, description = "Secret added; copy `client_secret` now, it is never shown again", body = CreatedSecret,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "Invalid body (expiry in the past or more than three years ahead)", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired JWT", body = ErrorBody),
        (status = 403, description = "Humbol support may not create secrets", body = ErrorBody),
        (status = 404, description = "No such live client in this organisation, or no such organisation", body = ErrorBody),
    ),
    security(("bearer_jwt" = []))
)]
#[post("/api/v1/orgs/{org}/scim/clients/{id}/secrets")]
pub async fn create_secret(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Json<CreateSecretRequest>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    validate_slug(&slug)?;
    require_admin(&principal, &slug, "create client secrets")?;
    let (secret, stored) = new_secret(secret_expiry(body.into_inner().expires_at)?);
    let actor = actor(&principal);
    let info = state
        .run(move |store| {
            existing_org(store, &slug)?;
            store
                .add_client_secret(&slug, &id, &stored, &actor)?
                .ok_or_else(no_such_client)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(header::CacheControl(vec![CacheDirective::NoStore]))
        .json(CreatedSecret {
            id: info.id,
            client_secret: secret,
            hint: info.hint,
            created_at: info.created_at,
            expires_at: info.expires_at,
        }))
}

/// Removes a client secret: the token endpoint refuses it from now on (access tokens already issued with it
/// live until they expire; revoke the client to cut those off too).
#[utoipa::path(
    tag = "Clients",
    operation_id = "deleteSecret",
    params(
        ("org" = String, Path, description = "Organisation slug", example = "acme"),
        ("id" = String, Path, description = "Client id", example = "0b6a3c7e-2f1d-4e5a-9c8b-7d6e5f4a3b2c"),
        ("secret_id" = String, Path, description = "Secret id", example = "8e7d6c5b-4a3b-4c2d-9e1f-0a9b8c7d6e5f"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Missing, invalid or expired JWT", body = ErrorBody),
        (status = 404, description = "No such secret of this client, or no such client or organisation", body = ErrorBody),
    ),
    security(("bearer_jwt" = []))
)]
#[delete("/api/v1/orgs/{org}/scim/clients/{id}/secrets/{secret_id}")]
pub async fn delete_secret(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id, secret_id) = path.into_inner();
    validate_slug(&slug)?;
    principal.require_org(&slug)?;
    let actor = actor(&principal);
    let removed = state
        .run(move |store| {
            existing_org(store, &slug)?;
            Ok(store.remove_client_secret(&slug, &id, &secret_id, &actor)?)
        })
        .await?;
    if !removed {
        return Err(AppError::not_found("no such secret of this OAuth client"));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Revokes a client: no token is issued to it any more, and every access token it got is refused from the
/// next SCIM request on. Idempotent.
#[utoipa::path(
    tag = "Clients",
    operation_id = "revokeClient",
    params(
        ("org" = String, Path, description = "Organisation slug", example = "acme"),
        ("id" = String, Path, description = "Client id", example = "0b6a3c7e-2f1d-4e5a-9c8b-7d6e5f4a3b2c"),
    ),
    responses(
        (status = 204, description = "Revoked (or already revoked)"),
        (status = 401, description = "Missing, invalid or expired JWT", body = ErrorBody),
        (status = 404, description = "No such client in this organisation, or no such organisation", body = ErrorBody),
    ),
    security(("bearer_jwt" = []))
)]
#[delete("/api/v1/orgs/{org}/scim/clients/{id}")]
pub async fn revoke_client(
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
            Ok(store.revoke_client(&slug, &id, &actor)?)
        })
        .await?;
    if !revoked {
        return Err(no_such_client());
    }
    log::info!("OAuth client {log_id} revoked by {}", principal.sub);
    Ok(HttpResponse::NoContent().finish())
}

/// Checks a federated credential: the issuer an `https://` URL (plain `http://` only to a loopback address),
/// the three fields short texts.
fn validate_federation(f: FederationBody) -> Result<Federation, AppError> {
    let issuer = validate_text("issuer", &f.issuer, MAX_FEDERATION_FIELD)?;
    if !scim_core::oauth::fetchable_url(&issuer) {
        return Err(AppError::bad_request(
            "`issuer` must be an https:// URL, e.g. https://login.microsoftonline.com/<tenant id>/v2.0",
        ));
    }
    Ok(Federation {
        issuer,
        subject: validate_text("subject", &f.subject, MAX_FEDERATION_FIELD)?,
        audience: validate_text("audience", &f.audience, MAX_FEDERATION_FIELD)?,
    })
}

/// Sets the client's federated credential (the organisation's admin only): from now on the token endpoint
/// also accepts client assertions signed by `issuer` with this `sub` and `aud` (RFC 7523), e.g. Entra's
/// workload identity federation. Replaces an earlier one.
#[utoipa::path(
    tag = "Clients",
    operation_id = "putFederation",
    params(
        ("org" = String, Path, description = "Organisation slug", example = "acme"),
        ("id" = String, Path, description = "Client id", example = "0b6a3c7e-2f1d-4e5a-9c8b-7d6e5f4a3b2c"),
    ),
    request_body = FederationBody,
    responses(
        (status = 200, description = "The federated credential, as stored", body = FederationBody),
        (status = 400, description = "Invalid body (issuer not https://, empty or overlong fields)", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired JWT", body = ErrorBody),
        (status = 403, description = "Humbol support may not configure federated credentials", body = ErrorBody),
        (status = 404, description = "No such live client in this organisation, or no such organisation", body = ErrorBody),
    ),
    security(("bearer_jwt" = []))
)]
#[put("/api/v1/orgs/{org}/scim/clients/{id}/federation")]
pub async fn put_federation(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Json<FederationBody>,
) -> Result<web::Json<FederationBody>, AppError> {
    let (slug, id) = path.into_inner();
    validate_slug(&slug)?;
    require_admin(&principal, &slug, "configure federated credentials")?;
    let federation = validate_federation(body.into_inner())?;
    let actor = actor(&principal);
    let stored = federation.clone();
    let set = state
        .run(move |store| {
            existing_org(store, &slug)?;
            Ok(store.set_client_federation(&slug, &id, Some(&stored), &actor)?)
        })
        .await?;
    if !set {
        return Err(no_such_client());
    }
    Ok(web::Json(federation.into()))
}

/// Removes the client's federated credential: client assertions are refused from now on.
#[utoipa::path(
    tag = "Clients",
    operation_id = "deleteFederation",
    params(
        ("org" = String, Path, description = "Organisation slug", example = "acme"),
        ("id" = String, Path, description = "Client id", example = "0b6a3c7e-2f1d-4e5a-9c8b-7d6e5f4a3b2c"),
    ),
    responses(
        (status = 204, description = "Removed (or there was none)"),
        (status = 401, description = "Missing, invalid or expired JWT", body = ErrorBody),
        (status = 404, description = "No such live client in this organisation, or no such organisation", body = ErrorBody),
    ),
    security(("bearer_jwt" = []))
)]
#[delete("/api/v1/orgs/{org}/scim/clients/{id}/federation")]
pub async fn delete_federation(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    validate_slug(&slug)?;
    principal.require_org(&slug)?;
    let actor = actor(&principal);
    let removed = state
        .run(move |store| {
            existing_org(store, &slug)?;
            Ok(store.set_client_federation(&slug, &id, None, &actor)?)
        })
        .await?;
    if !removed {
        return Err(no_such_client());
    }
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_expiry_defaults_to_a_year_and_is_at_most_three() {
        let now = Utc::now();
        let default = secret_expiry(None).unwrap();
        assert!(default > now + Duration::days(364) && default < now + Duration::days(366));
        assert!(secret_expiry(Some(now - Duration::seconds(1))).is_err());
        assert!(secret_expiry(Some(now + Duration::days(3 * 365))).is_ok());
        assert!(secret_expiry(Some(now + Duration::days(3 * 365 + 2))).is_err());
    }
}
