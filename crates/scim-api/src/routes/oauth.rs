//! The organisation's OAuth 2.0 token endpoint, `POST /scim/v2/orgs/{org}/oauth/token`: what Entra's gallery
//! apps use instead of a long-lived SCIM token.
//!
//! RFC 6749 §4.4 client credentials grant, the client authenticated by
//! - a client secret, in the `Authorization: Basic` header (`client_secret_basic`, RFC 6749 §2.3.1: the id and
//!   secret form-encoded, then Base64) or in the body (`client_secret_post`: `client_id`, `client_secret`); or
//! - a client assertion (RFC 7523 §2.2, workload identity federation): `client_id`,
//!   `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and `client_assertion`, a
//!   JWT signed by the issuer of the client's federated credential ([`crate::federation`]). Humbol requires
//!   the `client_id` parameter (Entra sends it): it names the client whose credential the JWT must match.
//!
//! `scope` is accepted and ignored (an access token is good for the organisation's SCIM endpoints, nothing
//! else). The answer is `200 {"access_token", "token_type": "Bearer", "expires_in"}` with
//! `Cache-Control: no-store`; the token is opaque (`humbol_at_…`, same shape as a SCIM token) and stored as a
//! hash. Errors follow RFC 6749 §5.2: `invalid_request` (malformed request, repeated parameter, several
//! authentication methods), `unsupported_grant_type`, `invalid_client` (401 with `WWW-Authenticate`) for EVERY
//! failed client authentication (unknown client, wrong or expired secret, revoked client, an assertion that does
//! not verify or is replayed: RFC 7523 §3.2 names this code), and `invalid_grant` when the client did
//! authenticate but its organisation has SCIM provisioning disabled. The client is never told which part was
//! wrong; the organisation's provisioning log says it to its admin.

use std::collections::HashMap;

use actix_web::error::BlockingError;
use actix_web::http::header::{self, CacheDirective, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use chrono::Utc;
use humbol_ops::store_call;
use humbol_store::{ClientCredential, Federation, NewAccessToken, Store, StoreError, TokenRefusal};
use rand::RngCore;
use scim_core::token;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::state::AppState;

/// `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The longest `client_id` looked up.
const MAX_CLIENT_ID: usize = 200;

/// A token request (`application/x-www-form-urlencoded`).
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)] // The document's description of the form; the handler reads the pairs themselves.
pub struct TokenRequest {
    /// `client_credentials`.
    #[schema(example = "client_credentials")]
    grant_type: String,
    /// The client identifier (with `client_secret_post` or a client assertion; with `client_secret_basic` it
    /// is in the `Authorization: Basic` header instead).
    #[schema(example = "humbol_client_7Hq2mXo4Lr8s")]
    client_id: Option<String>,
    /// The client secret (`client_secret_post`).
    client_secret: Option<String>,
    /// `urn:ietf:params:oauth:client-assertion-type:jwt-bearer` (workload identity federation).
    client_assertion_type: Option<String>,
    /// The JWT signed by the federated issuer (RS256).
    client_assertion: Option<String>,
    /// Accepted and ignored.
    scope: Option<String>,
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"access_token": "humbol_at_4Fq8Zr2LmN0pXy7TkW3bVc9HsJd1GeAo1yrq2B", "token_type": "Bearer", "expires_in": 3600}))]
pub struct TokenResponse {
    /// The bearer token for the organisation's SCIM endpoints.
    access_token: String,
    /// `Bearer`.
    token_type: &'static str,
    /// Seconds until it expires.
    expires_in: u64,
}

/// An error response (RFC 6749 §5.2).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"error": "invalid_client", "error_description": "client authentication failed"}))]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unsupported_grant_type`, `server_error` or
    /// `temporarily_unavailable`.
    error: &'static str,
    /// For people; never says which part of the credentials was wrong.
    error_description: &'static str,
}

fn no_store(status: StatusCode) -> actix_web::HttpResponseBuilder {
    let mut b = HttpResponse::build(status);
    b.insert_header(header::CacheControl(vec![CacheDirective::NoStore]))
        .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")));
    b
}

/// An error answer (RFC 6749 §5.2), built into a response at the end.
#[derive(Debug, Clone, Copy)]
struct Fail {
    status: StatusCode,
    error: &'static str,
    description: &'static str,
}

fn error(status: StatusCode, error: &'static str, description: &'static str) -> Fail {
    Fail {
        status,
        error,
        description,
    }
}

impl Fail {
    fn response(self) -> HttpResponse {
        let mut b = no_store(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            b.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"humbol\", error=\"invalid_client\""),
            ));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            b.insert_header((
                header::RETRY_AFTER,
                HeaderValue::from_static(crate::error::RETRY_AFTER_SECS),
            ));
        }
        b.json(OAuthError {
            error: self.error,
            error_description: self.description,
        })
    }
}

fn invalid_request(description: &'static str) -> Fail {
    error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

fn invalid_client() -> Fail {
    error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "client authentication failed",
    )
}

/// The answer to a failed store call: a sick database is `temporarily_unavailable` (503 with `Retry-After`, or
/// 507 for a full disk), anything else `server_error`; the cause goes to the log only (as [`crate::error`]).
fn store_error(e: &StoreError) -> Fail {
    match e {
        StoreError::Unavailable(_) | StoreError::Contention(_) => {
            log::warn!("token endpoint: {}", e.report());
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the service is temporarily unavailable; try again later",
            )
        }
        StoreError::Full(_) => {
            log::error!("token endpoint: {}", e.report());
            error(
                StatusCode::INSUFFICIENT_STORAGE,
                "temporarily_unavailable",
                "the service cannot store this now (insufficient storage); try again later",
            )
        }
        other => {
            log::error!("token endpoint: {}", other.report());
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "internal error",
            )
        }
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        store_error(&e)
    }
}

impl From<BlockingError> for Fail {
    fn from(e: BlockingError) -> Self {
        log::error!("token endpoint: blocking task failed: {e}");
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "internal error",
        )
    }
}

/// How the client authenticated, as read from the request (nothing checked yet).
enum Presented {
    Secret {
        client_id: String,
        secret: String,
    },
    Assertion {
        client_id: String,
        assertion: String,
    },
}

/// The `client_secret_basic` credentials of the `Authorization` header, if it has `Basic` ones; `Err` when
/// they are malformed.
fn basic_credentials(req: &HttpRequest) -> Result<Option<(String, String)>, ()> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ())?.trim();
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| ())?;
    let decoded = String::from_utf8(decoded).map_err(|_| ())?;
    let (id, secret) = decoded.split_once(':').ok_or(())?;
    // RFC 6749 §2.3.1: each part is form-encoded before Base64.
    let decode = |s: &str| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
            .ok()
            .and_then(|mut v| v.pop())
            .map(|(_, v)| v)
            .ok_or(())
    };
    Ok(Some((decode(id)?, decode(secret)?)))
}

/// Reads the grant and the client's authentication from the request, or the error to answer.
fn read_request(req: &HttpRequest, body: &[u8]) -> Result<Presented, Fail> {
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form {
        return Err(invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|_| invalid_request("the body is not a valid form"))?;
    let mut params: HashMap<String, String> = HashMap::with_capacity(pairs.len());
    for (name, value) in pairs {
        if params.insert(name, value).is_some() {
            return Err(invalid_request("a parameter is repeated"));
        }
    }
    let param = |name: &str| params.get(name).filter(|v| !v.is_empty()).cloned();
    match param("grant_type").as_deref() {
        None => return Err(invalid_request("grant_type is missing")),
        Some("client_credentials") => {}
        Some(_) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only the client_credentials grant is supported",
            ))
        }
    }
    let basic = basic_credentials(req).map_err(|()| invalid_client())?;
    let post = param("client_secret");
    let assertion = param("client_assertion");
    let assertion_type = param("client_assertion_type");
    let body_id = param("client_id");
    let methods = [basic.is_some(), post.is_some(), assertion.is_some()];
    if methods.iter().filter(|m| **m).count() > 1 {
        return Err(invalid_request(
            "use exactly one client authentication method",
        ));
    }
    let presented = if let Some((client_id, secret)) = basic {
        if body_id.as_ref().is_some_and(|id| *id != client_id) {
            return Err(invalid_request(
                "client_id differs from the Basic credentials",
            ));
        }
        Presented::Secret { client_id, secret }
    } else if let Some(secret) = post {
        let client_id = body_id.ok_or_else(|| invalid_request("client_id is missing"))?;
        Presented::Secret { client_id, secret }
    } else if let Some(assertion) = assertion {
        if assertion_type.as_deref() != Some(JWT_BEARER) {
            return Err(invalid_request(
                "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ));
        }
        let client_id = body_id.ok_or_else(|| invalid_request("client_id is missing"))?;
        Presented::Assertion {
            client_id,
            assertion,
        }
    } else {
        return Err(invalid_client());
    };
    let (Presented::Secret { client_id, .. } | Presented::Assertion { client_id, .. }) = &presented;
    if client_id.len() > MAX_CLIENT_ID || client_id.chars().any(char::is_control) {
        return Err(invalid_client());
    }
    Ok(presented)
}

/// Issues an access token to an OAuth client of the organisation (client credentials grant, with a client
/// secret or a client assertion).
#[utoipa::path(
    post,
    path = "/scim/v2/orgs/{org}/oauth/token",
    tag = "OAuth",
    operation_id = "oauthToken",
    params(("org" = String, Path, description = "Organisation slug", example = "acme")),
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded",
        description = "RFC 6749 §4.4 (client_secret_post: `client_id` and `client_secret` here; client_secret_basic: \
                       `Authorization: Basic` instead) or RFC 7523 §2.2 (`client_id`, `client_assertion_type`, \
                       `client_assertion`)"),
    responses(
        (status = 200, description = "An access token for the organisation's SCIM endpoints", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "`invalid_request`, `unsupported_grant_type` or `invalid_grant`", body = OAuthError),
        (status = 401, description = "`invalid_client`: client authentication failed (which part is never said)",
            body = OAuthError, headers(("WWW-Authenticate" = String, description = "`Basic realm=\"humbol\", error=\"invalid_client\"`"))),
        (status = 503, description = "`temporarily_unavailable`: the database is unavailable", body = OAuthError),
    ),
    security(())
)]
pub async fn token(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let org = req.match_info().get("org").unwrap_or_default().to_string();
    let presented = match read_request(&req, &body) {
        Ok(p) => p,
        Err(fail) => return fail.response(),
    };
    let now = Utc::now();
    let lifetime = state.config.oauth_token_lifetime;
    let expires_at =
        now + chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::hours(1));
    let mut random = [0u8; token::RANDOM_BYTES];
    rand::rng().fill_bytes(&mut random);
    let access = token::from_random_bytes_with_prefix(token::ACCESS_TOKEN_PREFIX, &random);
    let new = NewAccessToken {
        hash: access.hash,
        expires_at,
    };

    let (client_id, credential) = match presented {
        Presented::Secret { client_id, secret } => {
            match token::parse_with_prefix(token::CLIENT_SECRET_PREFIX, &secret) {
                Ok(hash) => (client_id, ClientCredential::Secret(hash)),
                Err(_) => {
                    refuse(
                        &state.store,
                        org,
                        client_id,
                        "malformed client secret (typo?)",
                    )
                    .await;
                    return invalid_client().response();
                }
            }
        }
        Presented::Assertion {
            client_id,
            assertion,
        } => {
            let store = state.store.clone();
            let (o, c) = (org.clone(), client_id.clone());
            let federation = match store_call::block(&state.store, move || {
                store.client_federation(&o, &c).map_err(Fail::from)
            })
            .await
            {
                Ok(f) => f,
                Err(fail) => return fail.response(),
            };
            let Some(federation) = federation else {
                // The store logs why (unknown or revoked client, no federated credential).
                let none = ClientCredential::Assertion {
                    federation: Federation {
                        issuer: String::new(),
                        subject: String::new(),
                        audience: String::new(),
                    },
                    jti: String::new(),
                    expires_at: now,
                };
                return issue(&state, org, client_id, none, new, access.secret).await;
            };
            match state.issuers.verify(&federation, &assertion, now).await {
                Ok(verified) => (
                    client_id,
                    ClientCredential::Assertion {
                        federation,
                        jti: verified.jti,
                        expires_at: verified.expires_at,
                    },
                ),
                Err(reason) => {
                    refuse(&state.store, org, client_id, &reason.0).await;
                    return invalid_client().response();
                }
            }
        }
    };
    issue(&state, org, client_id, credential, new, access.secret).await
}

/// The store's decision, and the response.
async fn issue(
    state: &AppState,
    org: String,
    client_id: String,
    credential: ClientCredential,
    new: NewAccessToken,
    secret: String,
) -> HttpResponse {
    let store = state.store.clone();
    let now = Utc::now();
    let decided = store_call::block(&state.store, move || {
        store
            .issue_access_token(&org, &client_id, &credential, &new, now)
            .map_err(Fail::from)
    })
    .await;
    match decided {
        Ok(Ok(_)) => no_store(StatusCode::OK).json(TokenResponse {
            access_token: secret,
            token_type: "Bearer",
            expires_in: state.config.oauth_token_lifetime.as_secs(),
        }),
        Ok(Err(TokenRefusal::ScimDisabled)) => error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "SCIM provisioning is disabled for this organisation",
        )
        .response(),
        Ok(Err(_)) => invalid_client().response(),
        Err(fail) => fail.response(),
    }
}

/// Logs a refusal that the store did not decide (best effort: a failure to log is only logged, and a database
/// that stopped answering holds the refusal no longer than any store call: [`store_call::bounded`]).
async fn refuse(store: &Store, org: String, client_id: String, reason: &str) {
    let recorder = store.clone();
    let reason = reason.to_string();
    let logged = store_call::bounded(
        store,
        web::block(move || recorder.record_token_refusal(&org, &client_id, &reason)),
    )
    .await;
    match logged {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) | Err(e) => {
            log::warn!("could not record a token refusal: {}", e.report())
        }
        Ok(Err(e)) => log::warn!("could not record a token refusal: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sick_database_is_a_retryable_oauth_error() {
        for e in [
            StoreError::Unavailable("down".into()),
            StoreError::Contention("deadlock detected".into()),
        ] {
            let res = store_error(&e).response();
            assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(
                res.headers().get(header::RETRY_AFTER).map(|v| v.as_bytes()),
                Some(&b"2"[..])
            );
        }
        let res = store_error(&StoreError::Full("disk full".into())).response();
        assert_eq!(res.status(), StatusCode::INSUFFICIENT_STORAGE);
    }
}
