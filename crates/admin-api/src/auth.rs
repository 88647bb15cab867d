//! Admin authentication: `Authorization: Bearer <JWT>`, verified with jsonwebtoken.
//!
//! Claims: `sub` and `exp` (both required), `role` = `admin` (with the organisation in `org`) or `support`
//! (every organisation), and optionally `iss`/`aud` when configured.
//!
//! Each configured key is tied to exactly one algorithm: the HS256 secret verifies only HS256 tokens, an RSA
//! public key only RS256 and an EC (P-256) public key only ES256. The algorithm named in a token's header
//! merely selects among those; a header naming anything else (including `none`, which jsonwebtoken does not
//! even parse) is refused, and so is an HS256 token when no secret is configured — so a token "signed" with
//! the public key as an HMAC secret never verifies.

use std::future::{ready, Ready};
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, JwtSettings, MIN_SECRET_BYTES};
use crate::error::AppError;

/// Clock leeway for a JWT's `exp` and `nbf`: 5 seconds, enough for clocks kept by NTP (the library's default of
/// 60 would accept a JWT up to a minute after it expired).
pub const JWT_LEEWAY_SECS: u64 = 5;
/// An admin API role.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// An administrator of one organisation (claim `org`).
    Admin,
    /// Humbol support: every organisation, and the support-only routes.
    Support,
}

/// The claims of an admin JWT.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Who: shown as the actor in the event log.
    pub sub: String,
    /// Expiry (seconds since the epoch).
    pub exp: u64,
    /// Issued at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// The role.
    pub role: Role,
    /// The organisation of an `admin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
}

/// The authenticated caller, extracted from the request's bearer JWT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The JWT's `sub`.
    pub sub: String,
    /// What the caller may act on.
    pub access: Access,
}

/// What a caller may act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Humbol support: every organisation.
    Support,
    /// The admin of one organisation.
    Admin {
        /// The organisation's slug.
        org: String,
    },
}

impl Principal {
    /// Refuses everyone but support with 403.
    pub fn require_support(&self) -> Result<(), AppError> {
        match self.access {
            Access::Support => Ok(()),
            Access::Admin { .. } => Err(AppError::forbidden(
                "only Humbol support may do this; contact Humbol support",
            )),
        }
    }

    /// Allows support, and the admin of `org`. Any other admin gets the 404 that an unknown
    /// organisation gets, so that nothing about other organisations leaks.
    pub fn require_org(&self, org: &str) -> Result<(), AppError> {
        match &self.access {
            Access::Support => Ok(()),
            Access::Admin { org: own } if own == org => Ok(()),
            Access::Admin { .. } => Err(org_not_found(org)),
        }
    }
}

/// The 404 for an organisation that does not exist (or that the caller may not see).
pub fn org_not_found(org: &str) -> AppError {
    AppError::not_found(format!("organisation `{org}` not found"))
}

/// Verifies admin JWTs with the configured keys.
#[derive(Clone)]
pub struct JwtVerifier {
    keys: Vec<(Algorithm, DecodingKey)>,
    issuer: Option<String>,
    audience: Option<String>,
}

impl JwtVerifier {
    /// Builds the verifier from configuration, loading the PEM public key file if one is configured.
    pub fn from_settings(settings: &JwtSettings) -> Result<Self, ConfigError> {
        let mut keys = Vec::new();
        if let Some(secret) = &settings.secret {
            keys.push((Algorithm::HS256, DecodingKey::from_secret(secret)));
        }
        if let Some(path) = &settings.public_key_file {
            const VAR: &humbol_config::Var = &humbol_config::vars::ADMIN_JWT_PUBLIC_KEY_FILE;
            let pem = std::fs::read(path).map_err(|e| {
                ConfigError::invalid(VAR, format!("cannot read {}: {e}", path.display()))
            })?;
            keys.push(public_key_from_pem(&pem).map_err(|message| {
                ConfigError::invalid(VAR, format!("{}: {message}", path.display()))
            })?);
        }
        if keys.is_empty() {
            return Err(ConfigError::NoJwtKey);
        }
        Ok(JwtVerifier {
            keys,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
        })
    }

    /// The algorithms this verifier accepts.
    pub fn algorithms(&self) -> Vec<Algorithm> {
        self.keys.iter().map(|(alg, _)| *alg).collect()
    }

    /// Checks a JWT's signature, algorithm, expiry, issuer, audience and claims.
    pub fn verify(&self, token: &str) -> Result<Principal, AppError> {
        self.verify_claims(token).map(|(principal, _)| principal)
    }

    /// Like [`JwtVerifier::verify`], with the JWT's `exp` (seconds since the epoch): a session cookie made
    /// from the JWT expires with it.
    pub fn verify_claims(&self, token: &str) -> Result<(Principal, u64), AppError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| {
            auth_failure("malformed");
            AppError::unauthorized("the bearer token is not a well-formed JWT")
        })?;
        let (alg, key) = self
            .keys
            .iter()
            .find(|(alg, _)| *alg == header.alg)
            .ok_or_else(|| {
                auth_failure("algorithm");
                AppError::unauthorized(format!(
                    "JWTs signed with {:?} are not accepted here",
                    header.alg
                ))
            })?;

        let mut validation = Validation::new(*alg);
        validation.validate_nbf = true;
        validation.leeway = JWT_LEEWAY_SECS;
        let mut required = vec!["exp", "sub"];
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        match &self.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);

        let data = jsonwebtoken::decode::<Claims>(token, key, &validation).map_err(|e| {
            auth_failure(match e.kind() {
                ErrorKind::ExpiredSignature => "expired",
                ErrorKind::InvalidSignature => "bad_signature",
                _ => "invalid_claims",
            });
            AppError::unauthorized(match e.kind() {
                ErrorKind::ExpiredSignature => "the JWT has expired".to_owned(),
                ErrorKind::ImmatureSignature => "the JWT is not valid yet (`nbf`)".to_owned(),
                ErrorKind::InvalidSignature => "the JWT's signature is not valid".to_owned(),
                ErrorKind::InvalidIssuer => "the JWT's issuer is not accepted".to_owned(),
                ErrorKind::InvalidAudience => "the JWT's audience is not accepted".to_owned(),
                ErrorKind::MissingRequiredClaim(claim) => {
                    format!("the JWT lacks the required claim `{claim}`")
                }
                ErrorKind::Json(_) => {
                    "the JWT's claims are invalid: `sub`, `exp` and `role` (`admin` with `org`, or `support`) are required"
                        .to_owned()
                }
                _ => "the JWT is not valid".to_owned(),
            })
        })?;
        let exp = data.claims.exp;
        let principal =
            principal_from_claims(data.claims).inspect_err(|_| auth_failure("invalid_claims"))?;
        Ok((principal, exp))
    }
}

/// Counts a refused admin credential in the metrics, by a fixed reason.
fn auth_failure(reason: &'static str) {
    humbol_ops::auth_failure(humbol_ops::Api::Admin, reason);
}

/// Reads an RSA (-> RS256) or EC (-> ES256) public key from PEM.
fn public_key_from_pem(pem: &[u8]) -> Result<(Algorithm, DecodingKey), String> {
    if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
        return Ok((Algorithm::RS256, key));
    }
    if let Ok(key) = DecodingKey::from_ec_pem(pem) {
        return Ok((Algorithm::ES256, key));
    }
    Err("not a PEM-encoded RSA or EC (P-256) public key".to_owned())
}

fn principal_from_claims(claims: Claims) -> Result<Principal, AppError> {
    if claims.sub.trim().is_empty() {
        return Err(AppError::unauthorized("the JWT's `sub` is empty"));
    }
    let access = match (claims.role, claims.org) {
        (Role::Support, _) => Access::Support,
        (Role::Admin, Some(org)) if !org.is_empty() => Access::Admin { org },
        (Role::Admin, _) => {
            return Err(AppError::unauthorized(
                "an `admin` JWT must name its organisation in the `org` claim",
            ))
        }
    };
    Ok(Principal {
        sub: claims.sub,
        access,
    })
}

impl FromRequest for Principal {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(extract(req))
    }
}

/// One extractor for both ways in: `Authorization: Bearer <JWT>` (API clients) or the settings page's session
/// cookie, which carries the same JWT ([`crate::session`]). A cookie rides along on requests that the browser
/// makes on its own, so a state-changing request with it must also bring the page's CSRF proof.
fn extract(req: &HttpRequest) -> Result<Principal, AppError> {
    let verifier = req
        .app_data::<web::Data<JwtVerifier>>()
        .ok_or_else(|| AppError::internal("JwtVerifier is not registered as app data"))?;
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let value = value.to_str().map_err(|_| {
            auth_failure("malformed");
            AppError::unauthorized("the Authorization header is not valid text")
        })?;
        let token = value
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .filter(|token| !token.is_empty())
            .ok_or_else(|| {
                auth_failure("malformed");
                AppError::unauthorized("the Authorization header must read `Bearer <JWT>`")
            })?;
        return verifier.verify(token);
    }
    let Some(jwt) = crate::session::cookie_jwt(req) else {
        auth_failure("missing");
        return Err(AppError::unauthorized(
            "missing `Authorization: Bearer <JWT>` header (or the settings page's session cookie)",
        ));
    };
    let principal = verifier.verify(&jwt)?;
    if !req.method().is_safe() {
        crate::session::check_csrf(req, &jwt)?;
    }
    Ok(principal)
}

/// Why a dev token could not be minted.
#[derive(Debug, thiserror::Error)]
pub enum DevTokenError {
    /// No HS256 secret.
    #[error(
        "HUMBOL_ADMIN_JWT_SECRET is not set: dev tokens are signed with the HS256 secret the server checks"
    )]
    NoSecret,
    /// Secret too short for the server to accept.
    #[error(
        "HUMBOL_ADMIN_JWT_SECRET is too short: at least {MIN_SECRET_BYTES} bytes are required"
    )]
    ShortSecret,
    /// `admin` without `--org`.
    #[error("an admin token needs an organisation (--org)")]
    MissingOrg,
    /// Signing failed.
    #[error("cannot sign the token: {0}")]
    Signing(#[from] jsonwebtoken::errors::Error),
}

/// Mints an HS256 admin JWT for local development: `role` (`admin` needs `org`), `sub`, valid for `ttl`.
pub fn mint_dev_token(
    secret: &[u8],
    role: Role,
    org: Option<&str>,
    sub: &str,
    ttl: Duration,
) -> Result<String, DevTokenError> {
    if secret.is_empty() {
        return Err(DevTokenError::NoSecret);
    }
    if secret.len() < MIN_SECRET_BYTES {
        return Err(DevTokenError::ShortSecret);
    }
    let org = match (role, org) {
        (Role::Admin, None) => return Err(DevTokenError::MissingOrg),
        (_, org) => org.map(str::to_owned),
    };
    let now = jsonwebtoken::get_current_timestamp();
    let claims = Claims {
        sub: sub.to_owned(),
        exp: now.saturating_add(ttl.as_secs()),
        iat: Some(now),
        role,
        org,
    };
    Ok(jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn verifier() -> JwtVerifier {
        JwtVerifier::from_settings(&JwtSettings {
            secret: Some(SECRET.to_vec()),
            ..JwtSettings::default()
        })
        .unwrap()
    }

    #[test]
    fn dev_token_round_trips() {
        let token = mint_dev_token(
            SECRET,
            Role::Admin,
            Some("acme"),
            "alice",
            Duration::from_secs(60),
        )
        .unwrap();
        let p = verifier().verify(&token).unwrap();
        assert_eq!(p.sub, "alice");
        assert_eq!(p.access, Access::Admin { org: "acme".into() });
    }

    #[test]
    fn dev_token_refuses_without_secret_or_org() {
        assert!(matches!(
            mint_dev_token(b"", Role::Support, None, "s", Duration::from_secs(1)),
            Err(DevTokenError::NoSecret)
        ));
        assert!(matches!(
            mint_dev_token(SECRET, Role::Admin, None, "s", Duration::from_secs(1)),
            Err(DevTokenError::MissingOrg)
        ));
    }

    #[test]
    fn admin_scoping() {
        let admin = Principal {
            sub: "a".into(),
            access: Access::Admin { org: "acme".into() },
        };
        assert!(admin.require_org("acme").is_ok());
        assert_eq!(admin.require_org("other").unwrap_err().code(), "not_found");
        assert_eq!(admin.require_support().unwrap_err().code(), "forbidden");
        let support = Principal {
            sub: "s".into(),
            access: Access::Support,
        };
        assert!(support.require_org("anything").is_ok());
        assert!(support.require_support().is_ok());
    }

    #[test]
    fn garbage_and_unknown_roles_are_refused() {
        let v = verifier();
        assert_eq!(v.verify("not.a.jwt").unwrap_err().code(), "unauthorized");
        let claims = serde_json::json!({"sub": "x", "exp": jsonwebtoken::get_current_timestamp() + 60, "role": "root"});
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert_eq!(v.verify(&token).unwrap_err().code(), "unauthorized");
    }
}
