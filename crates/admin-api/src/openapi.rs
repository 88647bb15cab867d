//! The OpenAPI 3.1 document of the admin API, generated from the handlers' `#[utoipa::path]` annotations and
//! served at `GET /openapi.json`. The committed copy `openapi/admin-api.json` is checked against it by a test
//! (regenerate it with `admin-api openapi > openapi/admin-api.json`).

use actix_web::{get, HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::openapi::schema::{Object, Schema};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::RefOr;
use utoipa::{Modify, OpenApi, ToSchema};

use crate::error::{ErrorBody, ErrorDetail};
use crate::routes::{clients, events, health, orgs, session, status, tokens};

/// The admin API's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Humbol admin API",
        description = "Organisations' SCIM settings, SCIM tokens and OAuth clients (secrets shown once) and the provisioning log. \
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
        clients::create_client,
        clients::list_clients,
        clients::create_secret,
        clients::delete_secret,
        clients::revoke_client,
        clients::put_federation,
        clients::delete_federation,
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
        clients::CreateClientRequest,
        clients::CreateSecretRequest,
        clients::CreatedClient,
        clients::CreatedSecret,
        clients::SecretSummary,
        clients::FederationBody,
        clients::ClientSummary,
        clients::ClientList,
        events::EventItem,
        events::EventPage,
        status::ScimStatus,
        status::ActionCount,
        session::SignIn,
        session::SessionInfo,
        EventOutcomeDoc,
        EventActionDoc,
    )),
    servers(
        (url = "http://127.0.0.1:8081", description = "The quickstart (`cargo run -p humbol`); a deployment's \
            admin API is wherever its `HUMBOL_ADMIN_BIND` is published"),
    ),
    modifiers(&BearerJwt, &Refusals, &EventEnums),
    tags(
        (name = "Orgs", description = "Organisations and their SCIM settings"),
        (name = "Tokens", description = "SCIM bearer tokens for Entra"),
        (name = "Clients", description = "OAuth 2.0 clients for Entra: client secrets (shown once) and federated credentials"),
        (name = "Events", description = "The provisioning log and status"),
        (name = "Session", description = "The settings page's sign-in (session cookie) and sign-out"),
        (name = "Operations", description = "Liveness, readiness and this document"),
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

/// An event's outcome.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = EventOutcome)]
pub enum EventOutcomeDoc {
    Success,
    Refused,
}

/// An event's action; its values are `humbol_store::EVENT_ACTIONS` (filled in by [`EventEnums`]).
#[derive(Serialize, ToSchema)]
#[schema(as = EventAction)]
pub struct EventActionDoc(String);

/// Turns `EventAction` into the enum of `humbol_store::EVENT_ACTIONS`: the one list of what the event log
/// holds, so that the document cannot fall behind the store.
struct EventEnums;

impl Modify for EventEnums {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut("EventAction") {
            let mut actions = Object::with_type(utoipa::openapi::Type::String);
            actions.description = Some(
                "What happened: a SCIM change (`created`, `updated`, `disabled`, `enabled`, `deleted`), a \
                 refused SCIM request (`refused`), or a credential change"
                    .into(),
            );
            actions.enum_values = Some(
                humbol_store::EVENT_ACTIONS
                    .iter()
                    .map(|a| json!(a))
                    .collect(),
            );
            *object = actions;
        }
    }
}

/// The refusals every authenticated operation can answer (as in the SCIM API's document), and the CSRF
/// refusal of a state-changing request made with the session cookie.
struct Refusals;

fn error_body(status: u16, message: &str) -> Value {
    let code = match status {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        429 => "too_many_requests",
        503 => "unavailable",
        _ => "internal",
    };
    json!({"error": {"code": code, "message": message}})
}

impl Modify for Refusals {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        const CSRF: &str =
            "with the `humbol_session` cookie: `X-Humbol-CSRF` is missing or wrong (`csrf_failed`)";
        for item in openapi.paths.paths.values_mut() {
            for op in [item.post.as_mut(), item.put.as_mut(), item.delete.as_mut()]
                .into_iter()
                .flatten()
                .filter(|op| op.security.is_some())
            {
                match op.responses.responses.get_mut("403") {
                    Some(RefOr::T(forbidden)) => {
                        forbidden.description = format!("{}; or, {CSRF}", forbidden.description);
                    }
                    _ => {
                        let forbidden = utoipa::openapi::ResponseBuilder::new()
                            .description(format!("Forbidden: {CSRF}"))
                            .content(
                                "application/json",
                                utoipa::openapi::ContentBuilder::new()
                                    .schema(Some(utoipa::openapi::Ref::from_schema_name(
                                        "ErrorBody",
                                    )))
                                    .example(Some(json!({"error": {"code": "csrf_failed",
                                        "message": "missing or wrong X-Humbol-CSRF header"}})))
                                    .build(),
                            )
                            .build();
                        op.responses
                            .responses
                            .insert("403".into(), RefOr::T(forbidden));
                    }
                }
            }
        }
        humbol_ops::openapi::describe_refusals(
            openapi,
            &humbol_ops::openapi::Errors {
                schema: "ErrorBody",
                content_type: "application/json",
                body: error_body,
            },
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
    tag = "Operations",
    operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json"))
)]
#[get("/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    match document_json() {
        Ok(json) => HttpResponse::Ok()
            .content_type("application/json")
            .body(json),
        Err(e) => crate::error::AppError::internal(e).error_response(),
    }
}
