//! `/api/v1/session`: the settings page signs in with the JWT that Humbol's app handed over, reads its session,
//! and signs out. How the cookie and its CSRF proof work: [`crate::session`].

use actix_web::http::header::{self, CacheDirective};
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Access, JwtVerifier, Principal, Role};
use crate::error::{AppError, ErrorBody};
use crate::session::{
    cleared_cookie, cookie_jwt, csrf_token, refuse_cross_site, session_cookie, SESSION_COOKIE,
};

/// The JWT to sign in with.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// An admin JWT, as in `Authorization: Bearer` (Humbol's app puts it in the link `/signin#token=<JWT>`).
    pub token: String,
}

/// The signed-in session.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "sub": "alice@acme.example", "role": "admin", "org": "acme", "expires_at": "2026-11-28T22:00:00Z",
    "csrf_token": "3f1d…", "home": "/orgs/acme/settings"
}))]
pub struct SessionInfo {
    /// The JWT's `sub`.
    pub sub: String,
    /// `admin` or `support`.
    pub role: Role,
    /// The organisation of an admin.
    pub org: Option<String>,
    /// When the session ends (the JWT's `exp`).
    pub expires_at: DateTime<Utc>,
    /// Send it as `X-Humbol-CSRF` with every POST, PUT, PATCH or DELETE made with the session cookie.
    pub csrf_token: String,
    /// Where the page goes after signing in: the organisation's settings page, or support's page.
    pub home: String,
}

impl SessionInfo {
    fn new(principal: Principal, jwt: &str, exp: u64) -> Self {
        let (role, org, home) = match principal.access {
            Access::Support => (Role::Support, None, "/support".to_owned()),
            Access::Admin { org } => {
                let home = format!("/orgs/{org}/settings");
                (Role::Admin, Some(org), home)
            }
        };
        SessionInfo {
            sub: principal.sub,
            role,
            org,
            expires_at: i64::try_from(exp)
                .ok()
                .and_then(|s| DateTime::from_timestamp(s, 0))
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            csrf_token: csrf_token(jwt),
            home,
        }
    }
}

fn verifier(req: &HttpRequest) -> Result<&JwtVerifier, AppError> {
    req.app_data::<web::Data<JwtVerifier>>()
        .map(|v| v.get_ref())
        .ok_or_else(|| AppError::internal("JwtVerifier is not registered as app data"))
}

/// Signs in: checks the JWT as a bearer JWT is checked and answers with an HttpOnly, `SameSite=Strict`
/// session cookie that expires with it (`Secure` over HTTPS). An expired or invalid JWT is 401 and sets
/// nothing. Refused from another site; the body must be `application/json`, which a cross-site form cannot send.
#[utoipa::path(
    tag = "Session",
    operation_id = "signIn",
    request_body = SignIn,
    responses(
        (status = 200, description = "Signed in; the session cookie `humbol_session` is set", body = SessionInfo,
            headers(("Set-Cookie" = String, description = "`humbol_session=…; HttpOnly; SameSite=Strict; Path=/; Max-Age=…`"))),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Invalid or expired JWT", body = ErrorBody),
        (status = 403, description = "Sent from another site", body = ErrorBody),
        (status = 415, description = "Not `application/json`", body = ErrorBody),
    )
)]
#[post("/api/v1/session")]
pub async fn sign_in(req: HttpRequest, body: web::Json<SignIn>) -> Result<HttpResponse, AppError> {
    refuse_cross_site(&req)?;
    let jwt = body.into_inner().token;
    let jwt = jwt.trim();
    let (principal, exp) = verifier(&req)?.verify_claims(jwt)?;
    log::info!("settings page session started for {}", principal.sub);
    let cookie = session_cookie(&req, jwt, exp);
    Ok(HttpResponse::Ok()
        .insert_header(header::CacheControl(vec![CacheDirective::NoStore]))
        .cookie(cookie)
        .json(SessionInfo::new(principal, jwt, exp)))
}

/// The current session (from its cookie) and its CSRF token; 401 when there is none or it has expired.
#[utoipa::path(
    tag = "Session",
    operation_id = "getSession",
    responses(
        (status = 200, description = "The session", body = SessionInfo),
        (status = 401, description = "No session cookie, or its JWT has expired", body = ErrorBody),
    )
)]
#[get("/api/v1/session")]
pub async fn current_session(req: HttpRequest) -> Result<HttpResponse, AppError> {
    let jwt = cookie_jwt(&req)
        .ok_or_else(|| AppError::unauthorized(format!("no session (`{SESSION_COOKIE}` cookie)")))?;
    let (principal, exp) = verifier(&req)?.verify_claims(&jwt)?;
    Ok(HttpResponse::Ok()
        .insert_header(header::CacheControl(vec![CacheDirective::NoStore]))
        .json(SessionInfo::new(principal, &jwt, exp)))
}

/// Signs out: removes the session cookie (also when there was none).
#[utoipa::path(
    tag = "Session",
    operation_id = "signOut",
    responses((status = 204, description = "Signed out; the session cookie is removed"))
)]
#[delete("/api/v1/session")]
pub async fn sign_out(req: HttpRequest) -> HttpResponse {
    HttpResponse::NoContent()
        .cookie(cleared_cookie(&req))
        .finish()
}
