//! The OpenAPI 3.1 document of the admin API, generated from the handlers' `#[utoipa::path]` annotations and
//! served at `GET /openapi.json`. The committed copy `openapi/admin-api.json` is checked against it by a test
//! (regenerate it with `admin-api openapi > openapi/admin-api.json`).

use actix_web::{get, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{ErrorBody, ErrorDetail};
use crate::routes::{events, health, orgs, session, status, tokens};

/// The admin API's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Humbol admin API",
        description = "Organisations' SCIM settings, SCIM tokens (shown once) and the provisioning log. \
            Authenticate with `Authorization: Bearer <JWT>`: claims `sub`, `exp`, `role` (`admin` with `org`, \
            or `support`). The settings page uses the same JWT in the `humbol_session` cookie (`POST \
            /api/v1/session`); a POST, PUT or DELETE with that cookie must send its CSRF token as `X-Humbol-CSRF`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    paths(
        health::healthz,
        health::readyz,
        orgs::put_org,
        orgs::get_org,
        tokens::create_token,
        tokens::list_tokens,
        tokens::revoke_token,
        events::list_events,
        status::scim_status,
        session::sign_in,
        session::current_session,
        session::sign_out,
        openapi_json,
    ),
    components(schemas(
        ErrorBody,
        ErrorDetail,
        health::Health,
        orgs::OrgRequest,
        orgs::OrgResponse,
        tokens::CreateTokenRequest,
        tokens::CreatedToken,
        tokens::TokenSummary,
        tokens::TokenList,
        events::EventItem,
        events::EventPage,
        status::ScimStatus,
        status::ActionCount,
        session::SignIn,
        session::SessionInfo,
    )),
    modifiers(&BearerJwt),
    tags(
        (name = "orgs", description = "Organisations and their SCIM settings"),
        (name = "tokens", description = "SCIM bearer tokens for Entra"),
        (name = "events", description = "The provisioning log and status"),
        (name = "session", description = "The settings page's sign-in (session cookie) and sign-out"),
        (name = "health", description = "Liveness, readiness and this document"),
    )
)]
pub struct ApiDoc;

/// Adds the `bearer_jwt` security scheme.
struct BearerJwt;

impl Modify for BearerJwt {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer_jwt",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An admin JWT (HS256 with the configured secret, or RS256/ES256 with the configured \
                         public key): `sub`, `exp`, `role` = `admin` (with `org`) or `support`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document as pretty-printed JSON (with a final newline), as committed under `openapi/`.
pub fn document_json() -> Result<String, serde_json::Error> {
    ApiDoc::openapi().to_pretty_json().map(|mut s| {
        s.push('\n');
        s
    })
}

/// This OpenAPI document.
#[utoipa::path(
    tag = "health",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json"))
)]
#[get("/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
