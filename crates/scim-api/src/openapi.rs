//! The OpenAPI 3.1 document of the SCIM API (utoipa), served at `GET /openapi.json`. The committed copy
//! `openapi/scim-api.json` is checked against it by a test (regenerate it with
//! `cargo run -p scim-api -- openapi > openapi/scim-api.json`).
//!
//! The types below only describe the wire format for the document (handlers work on `serde_json::Value`
//! and `scim_core`'s types); `scim_core::schema` remains the authority on attributes, and the discovery
//! endpoints serve it.

use std::sync::OnceLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::HttpResponse;
use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use crate::routes::{discovery, groups, health, oauth, users};

mod examples;

/// The media type of every SCIM body.
const SCIM_JSON: &str = "application/scim+json";
/// `schemas` of an error.
const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Humbol SCIM API",
        description = "SCIM 2.0 (RFC 7643 / RFC 7644) service provider of Humbol, per organisation, for \
                       Microsoft Entra ID provisioning. Authenticate with the organisation's SCIM token as \
                       `Authorization: Bearer <token>`, or with an access token from the organisation's \
                       OAuth 2.0 token endpoint (`POST .../oauth/token`). Request bodies are `application/scim+json` (or \
                       `application/json`); every response is `application/scim+json`."
    ),
    paths(
        users::list,
        users::search,
        users::create,
        users::get,
        users::replace,
        users::update,
        users::delete,
        groups::list,
        groups::search,
        groups::create,
        groups::get,
        groups::replace,
        groups::update,
        groups::delete,
        discovery::service_provider_config,
        discovery::schemas,
        discovery::schema,
        discovery::resource_types,
        discovery::resource_type,
        discovery::search_all,
        oauth::token,
        health::healthz,
        health::readyz,
        openapi_json,
    ),
    servers(
        (url = "http://127.0.0.1:8080", description = "The quickstart (`cargo run -p humbol`). A deployment's \
            base URL is its `HUMBOL_SCIM_PUBLIC_URL`; an organisation's tenant URL is \
            `{HUMBOL_SCIM_PUBLIC_URL}/scim/v2/orgs/{org}`"),
    ),
    modifiers(&BearerAuth, &Refusals, &EntraExamples),
    tags(
        (name = "Users", description = "Humbol users of an organisation"),
        (name = "Groups", description = "Groups of an organisation's users"),
        (name = "Discovery", description = "What this service provider supports (RFC 7644 §4)"),
        (name = "OAuth", description = "The organisation's OAuth 2.0 token endpoint (client credentials, \
            client assertions): access tokens for the SCIM endpoints"),
        (name = "Operations", description = "Health checks and this document"),
    )
)]
pub struct ApiDoc;

/// Adds the `bearer` security scheme (the organisation's SCIM token).
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The organisation's SCIM token (`humbol_scim_…`), created in the admin API, or an \
                         access token (`humbol_at_…`) from the organisation's token endpoint",
                    ))
                    .build(),
            ),
        );
    }
}

/// The refusals every authenticated operation can answer, described as in the admin API's document.
struct Refusals;

/// An RFC 7644 §3.12 error body.
fn scim_error(status: u16, detail: &str) -> Value {
    serde_json::json!({
        "schemas": [ERROR_URN],
        "status": status.to_string(),
        "detail": detail,
    })
}

impl Modify for Refusals {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        humbol_ops::openapi::describe_refusals(
            openapi,
            &humbol_ops::openapi::Errors {
                schema: "Error",
                content_type: SCIM_JSON,
                body: scim_error,
            },
        );
    }
}

/// Examples of what Microsoft Entra ID sends and what Humbol answers (docs/entra.md), by operation.
struct EntraExamples;

impl Modify for EntraExamples {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let added = examples::request(openapi) && examples::responses(openapi);
        debug_assert!(added, "an example names a missing operation or response");
    }
}

/// The document as pretty JSON with a final newline: what `openapi/scim-api.json` holds (regenerate it with
/// `cargo run -p scim-api -- openapi > openapi/scim-api.json`).
pub fn document() -> String {
    let mut json = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    json.push('\n');
    json
}

/// `GET /openapi.json`.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "Operations",
    operation_id = "openapi",
    responses((status = 200, description = "This OpenAPI document", body = Object, content_type = "application/json"))
)]
pub async fn openapi_json() -> HttpResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let body = DOCUMENT.get_or_init(document).clone();
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ))
        .body(body)
}

// ---------------------------------------------------------------------------------------------------------
// Wire-format descriptions
// ---------------------------------------------------------------------------------------------------------

/// An RFC 7644 §3.12 error.
#[derive(Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorDoc {
    /// `["urn:ietf:params:scim:api:messages:2.0:Error"]`
    pub schemas: Vec<String>,
    /// The HTTP status, as a string.
    #[schema(example = "400")]
    pub status: String,
    /// RFC 7644 Table 9: `invalidFilter`, `uniqueness`, `invalidValue`, `invalidPath`, `invalidSyntax`, ...
    #[serde(rename = "scimType", skip_serializing_if = "Option::is_none")]
    pub scim_type: Option<String>,
    pub detail: String,
}

/// `meta` of a resource.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Meta)]
pub struct MetaDoc {
    /// `User` or `Group`.
    pub resource_type: String,
    /// RFC 3339.
    pub created: String,
    /// RFC 3339.
    pub last_modified: String,
    /// The ETag, e.g. `W/"3"`; send it back in `If-Match` to update only that version.
    pub version: String,
    /// The absolute URL of the resource.
    pub location: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Name)]
pub struct NameDoc {
    pub formatted: Option<String>,
    pub family_name: Option<String>,
    pub given_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = Email)]
pub struct EmailDoc {
    pub value: String,
    /// `work`, `home`, `other`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub primary: Option<bool>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = Address)]
pub struct AddressDoc {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    pub primary: Option<bool>,
}

/// The user's one Humbol role (one of the organisation's roles).
#[derive(Serialize, ToSchema)]
#[schema(as = Role)]
pub struct RoleDoc {
    pub value: String,
    pub primary: Option<bool>,
}

/// A reference to another resource by id.
#[derive(Serialize, ToSchema)]
#[schema(as = Reference)]
pub struct ReferenceDoc {
    /// The id of the referenced user.
    pub value: String,
}

/// The enterprise extension (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`).
#[derive(Serialize, ToSchema)]
#[schema(as = EnterpriseUser)]
pub struct EnterpriseUserDoc {
    pub department: Option<String>,
    /// Always returned as `{"value": "<manager id>"}`; accepted as a bare id too.
    pub manager: Option<ReferenceDoc>,
}

/// A Humbol user (`urn:ietf:params:scim:schemas:core:2.0:User`). On input, unknown attributes and schema
/// URNs are ignored, `null` means absent, booleans may be strings (`"True"`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = User)]
pub struct UserDoc {
    pub schemas: Vec<String>,
    /// Opaque, assigned by Humbol (read-only).
    pub id: Option<String>,
    pub external_id: Option<String>,
    /// Unique per organisation, compared case-insensitively.
    pub user_name: String,
    pub name: Option<NameDoc>,
    pub display_name: Option<String>,
    pub title: Option<String>,
    pub preferred_language: Option<String>,
    /// `false` disables the user (who stays visible).
    pub active: Option<bool>,
    pub emails: Option<Vec<EmailDoc>>,
    pub addresses: Option<Vec<AddressDoc>>,
    /// Exactly one role from the organisation's list; none given means the organisation's default role.
    pub roles: Option<Vec<RoleDoc>>,
    #[serde(rename = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")]
    pub enterprise: Option<EnterpriseUserDoc>,
    /// Read-only.
    pub meta: Option<MetaDoc>,
}

/// A member of a group.
#[derive(Serialize, ToSchema)]
#[schema(as = GroupMember)]
pub struct MemberDoc {
    /// The member user's id.
    pub value: String,
    pub display: Option<String>,
    #[serde(rename = "$ref")]
    pub reference: Option<String>,
    /// `User`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// A group (`urn:ietf:params:scim:schemas:core:2.0:Group`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Group)]
pub struct GroupDoc {
    pub schemas: Vec<String>,
    pub id: Option<String>,
    pub external_id: Option<String>,
    /// Unique per organisation, compared case-insensitively.
    pub display_name: String,
    /// Absent with `excludedAttributes=members`.
    pub members: Option<Vec<MemberDoc>>,
    pub meta: Option<MetaDoc>,
}

/// A page of users (RFC 7644 §3.4.2).
#[derive(Serialize, ToSchema)]
#[schema(as = UserListResponse)]
pub struct UserListResponseDoc {
    /// `["urn:ietf:params:scim:api:messages:2.0:ListResponse"]`
    pub schemas: Vec<String>,
    /// All matches (index pagination only).
    #[serde(rename = "totalResults")]
    pub total_results: Option<u64>,
    #[serde(rename = "itemsPerPage")]
    pub items_per_page: u64,
    /// Index pagination only.
    #[serde(rename = "startIndex")]
    pub start_index: Option<u64>,
    /// Cursor pagination (RFC 9865): the `cursor` of the next page, when more follow.
    #[serde(rename = "nextCursor")]
    pub next_cursor: Option<String>,
    /// Cursor pagination (RFC 9865): the `cursor` of the previous page, when some precede.
    #[serde(rename = "previousCursor")]
    pub previous_cursor: Option<String>,
    /// The users of this page (always present, `[]` when none match).
    #[serde(rename = "Resources")]
    pub resources: Vec<UserDoc>,
}

/// A page of groups (RFC 7644 §3.4.2).
#[derive(Serialize, ToSchema)]
#[schema(as = GroupListResponse)]
pub struct GroupListResponseDoc {
    /// `["urn:ietf:params:scim:api:messages:2.0:ListResponse"]`
    pub schemas: Vec<String>,
    /// All matches (index pagination only).
    #[serde(rename = "totalResults")]
    pub total_results: Option<u64>,
    #[serde(rename = "itemsPerPage")]
    pub items_per_page: u64,
    /// Index pagination only.
    #[serde(rename = "startIndex")]
    pub start_index: Option<u64>,
    /// Cursor pagination (RFC 9865): the `cursor` of the next page, when more follow.
    #[serde(rename = "nextCursor")]
    pub next_cursor: Option<String>,
    /// Cursor pagination (RFC 9865): the `cursor` of the previous page, when some precede.
    #[serde(rename = "previousCursor")]
    pub previous_cursor: Option<String>,
    /// The groups of this page (always present, `[]` when none match).
    #[serde(rename = "Resources")]
    pub resources: Vec<GroupDoc>,
}

/// A page of discovery resources (`/Schemas`, `/ResourceTypes`; RFC 7644 §4): their own shapes (RFC 7643
/// §6, §7), as `/Schemas` describes them.
#[derive(Serialize, ToSchema)]
#[schema(as = ListResponse)]
pub struct ListResponseDoc {
    /// `["urn:ietf:params:scim:api:messages:2.0:ListResponse"]`
    pub schemas: Vec<String>,
    #[serde(rename = "totalResults")]
    pub total_results: u64,
    #[serde(rename = "itemsPerPage")]
    pub items_per_page: u64,
    #[serde(rename = "startIndex")]
    pub start_index: u64,
    /// Schema or ResourceType resources.
    #[serde(rename = "Resources")]
    pub resources: Vec<Value>,
}

/// A PATCH operation's `op` (RFC 7644 §3.5.2).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = PatchOperationName)]
pub enum PatchOpNameDoc {
    Add,
    Replace,
    Remove,
}

/// A PATCH operation's `op` as Entra's legacy mode capitalises it; the same meaning.
#[derive(Serialize, ToSchema)]
#[schema(as = LegacyPatchOperationName)]
pub enum LegacyPatchOpNameDoc {
    Add,
    Replace,
    Remove,
}

/// `op`: either spelling.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = PatchOperationOp)]
pub enum PatchOpFieldDoc {
    Rfc(PatchOpNameDoc),
    Legacy(LegacyPatchOpNameDoc),
}

/// The order of a sorted list.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = SortOrder)]
pub enum SortOrderDoc {
    Ascending,
    Descending,
}

/// One PATCH operation.
#[derive(Serialize, ToSchema)]
#[schema(as = PatchOperation)]
pub struct PatchOperationDoc {
    /// `add`, `replace` or `remove` (Entra's legacy mode: `Add`, `Replace`, `Remove`).
    pub op: PatchOpFieldDoc,
    /// An attribute path, e.g. `name.familyName`, `emails[type eq "work"].value`, `members[value eq "…"]`.
    pub path: Option<String>,
    pub value: Option<Value>,
}

/// A PATCH request (RFC 7644 §3.5.2), applied all-or-nothing.
#[derive(Serialize, ToSchema)]
#[schema(as = PatchOp)]
pub struct PatchOpDoc {
    /// `["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`
    pub schemas: Vec<String>,
    #[serde(rename = "Operations")]
    pub operations: Vec<PatchOperationDoc>,
}

/// A `POST .search` request (RFC 7644 §3.4.3).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = SearchRequest)]
pub struct SearchRequestDoc {
    /// `["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]`
    pub schemas: Vec<String>,
    pub filter: Option<String>,
    pub sort_by: Option<String>,
    /// `ascending` (default) or `descending`.
    pub sort_order: Option<SortOrderDoc>,
    pub start_index: Option<u64>,
    pub count: Option<u64>,
    pub attributes: Option<Vec<String>>,
    pub excluded_attributes: Option<Vec<String>>,
}

/// The query parameters of a list (RFC 7644 §3.4.2). Unknown parameters are ignored.
#[derive(Serialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListParamsDoc {
    /// A SCIM filter, e.g. `userName eq "alice@contoso.com"`.
    pub filter: Option<String>,
    /// The attribute to sort by, e.g. `userName`.
    pub sort_by: Option<String>,
    /// `ascending` (default) or `descending`.
    pub sort_order: Option<SortOrderDoc>,
    /// 1-based index of the first result (default 1).
    pub start_index: Option<u64>,
    /// Page size (default and maximum: the server's `filter.maxResults`).
    pub count: Option<u64>,
    /// RFC 9865 cursor pagination: empty for the first page, then a `nextCursor` / `previousCursor`
    /// (not with `startIndex`).
    pub cursor: Option<String>,
    /// Comma-separated attributes to return (plus those always returned).
    pub attributes: Option<String>,
    /// Comma-separated attributes not to return, e.g. `members`.
    pub excluded_attributes: Option<String>,
}

/// `attributes` / `excludedAttributes` of a single-resource request.
#[derive(Serialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ProjectionParamsDoc {
    /// Comma-separated attributes to return (plus those always returned).
    pub attributes: Option<String>,
    /// Comma-separated attributes not to return, e.g. `members`.
    pub excluded_attributes: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_with_bearer_security() {
        let doc: Value = serde_json::from_str(&document()).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        for path in [
            "/scim/v2/orgs/{org}/Users",
            "/scim/v2/orgs/{org}/Users/.search",
            "/scim/v2/orgs/{org}/Users/{id}",
            "/scim/v2/orgs/{org}/Groups",
            "/scim/v2/orgs/{org}/Groups/.search",
            "/scim/v2/orgs/{org}/Groups/{id}",
            "/scim/v2/orgs/{org}/ServiceProviderConfig",
            "/scim/v2/orgs/{org}/Schemas",
            "/scim/v2/orgs/{org}/Schemas/{id}",
            "/scim/v2/orgs/{org}/ResourceTypes",
            "/scim/v2/orgs/{org}/ResourceTypes/{id}",
            "/scim/v2/orgs/{org}/.search",
            "/healthz",
            "/readyz",
            "/openapi.json",
        ] {
            assert!(paths.contains_key(path), "{path} is not documented");
        }
        for method in ["get", "put", "patch", "delete"] {
            assert!(paths["/scim/v2/orgs/{org}/Users/{id}"][method].is_object());
            assert!(paths["/scim/v2/orgs/{org}/Groups/{id}"][method].is_object());
        }
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        assert!(paths["/scim/v2/orgs/{org}/Users"]["get"]["security"].is_array());
    }

    fn schema<'a>(doc: &'a Value, content: &Value) -> &'a Value {
        let name = content["schema"]["$ref"].as_str().unwrap();
        &doc["components"]["schemas"][name.rsplit('/').next().unwrap()]
    }

    #[test]
    fn lists_are_typed_and_enums_are_enums() {
        let doc: Value = serde_json::from_str(&document()).unwrap();
        for (path, item) in [("Users", "User"), ("Groups", "Group")] {
            for (method, suffix) in [("get", ""), ("post", "/.search")] {
                let op = &doc["paths"][format!("/scim/v2/orgs/{{org}}/{path}{suffix}")][method];
                let list = schema(&doc, &op["responses"]["200"]["content"][SCIM_JSON]);
                assert_eq!(
                    list["properties"]["Resources"]["items"]["$ref"],
                    format!("#/components/schemas/{item}"),
                    "{method} {path}{suffix}"
                );
            }
        }
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["PatchOperationName"]["enum"],
            serde_json::json!(["add", "replace", "remove"])
        );
        assert_eq!(
            schemas["LegacyPatchOperationName"]["enum"],
            serde_json::json!(["Add", "Replace", "Remove"])
        );
        assert_eq!(
            schemas["PatchOperationOp"]["oneOf"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            schemas["SortOrder"]["enum"],
            serde_json::json!(["ascending", "descending"])
        );
        let list_params = doc["paths"]["/scim/v2/orgs/{org}/Users"]["get"]["parameters"]
            .as_array()
            .unwrap();
        let sort_order = list_params
            .iter()
            .find(|p| p["name"] == "sortOrder")
            .unwrap();
        assert!(sort_order["schema"].to_string().contains("SortOrder"));
        assert!(doc["servers"][0]["url"]
            .as_str()
            .unwrap()
            .starts_with("http"));
    }

    #[test]
    fn authenticated_operations_describe_their_refusals_and_entra_examples() {
        let doc: Value = serde_json::from_str(&document()).unwrap();
        let mut secured = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if op["security"][0].as_object().is_none_or(|s| s.is_empty()) {
                    continue;
                }
                secured += 1;
                for status in ["401", "429", "500", "503"] {
                    let response = &op["responses"][status];
                    assert!(
                        response["description"].is_string(),
                        "{method} {path} {status}"
                    );
                    let example = &response["content"][SCIM_JSON]["example"];
                    if example.is_object() {
                        assert_eq!(example["status"], status);
                    }
                }
                if op["requestBody"].is_object() {
                    for status in ["400", "413", "415"] {
                        assert!(
                            op["responses"][status].is_object(),
                            "{method} {path} {status}"
                        );
                    }
                }
            }
        }
        assert!(secured >= 20, "{secured} authenticated operations");
        let create = &doc["paths"]["/scim/v2/orgs/{org}/Users"]["post"];
        let entra =
            &create["requestBody"]["content"][SCIM_JSON]["examples"]["entraCreate"]["value"];
        assert_eq!(entra["userName"], "alice@contoso.com");
        let patches = &doc["paths"]["/scim/v2/orgs/{org}/Users/{id}"]["patch"]["requestBody"]
            ["content"][SCIM_JSON]["examples"];
        assert_eq!(
            patches["legacyReplaceEmail"]["value"]["Operations"][0]["op"],
            "Replace"
        );
        assert_eq!(
            patches["compliantReplace"]["value"]["Operations"][0]["op"],
            "replace"
        );
        let test_connection = &doc["paths"]["/scim/v2/orgs/{org}/Users"]["get"]["responses"]["200"]
            ["content"][SCIM_JSON]["examples"]["testConnection"]["value"];
        assert_eq!(test_connection["totalResults"], 0);
    }

    /// Both documents name operations in camelCase and tags as capitalised words (generated clients get the
    /// same shape of names from both).
    #[test]
    fn both_documents_name_operations_and_tags_alike() {
        let admin =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/admin-api.json");
        let admin: Value = serde_json::from_str(&std::fs::read_to_string(admin).unwrap()).unwrap();
        let scim: Value = serde_json::from_str(&document()).unwrap();
        for doc in [&scim, &admin] {
            let title = doc["info"]["title"].as_str().unwrap();
            assert!(!doc["servers"].as_array().unwrap().is_empty(), "{title}");
            for item in doc["paths"].as_object().unwrap().values() {
                for op in item.as_object().unwrap().values() {
                    let id = op["operationId"].as_str().unwrap();
                    assert!(
                        id.starts_with(|c: char| c.is_ascii_lowercase())
                            && id.chars().all(|c| c.is_ascii_alphanumeric()),
                        "{title}: operation id {id}"
                    );
                    for tag in op["tags"].as_array().unwrap() {
                        let tag = tag.as_str().unwrap();
                        assert!(
                            tag.starts_with(|c: char| c.is_ascii_uppercase()),
                            "{title}: tag {tag}"
                        );
                    }
                }
            }
            for tag in doc["tags"].as_array().unwrap() {
                assert!(tag["name"]
                    .as_str()
                    .unwrap()
                    .starts_with(|c: char| c.is_ascii_uppercase()));
            }
        }
        // Health checks and the document itself: the same names in both.
        for (path, id) in [
            ("/healthz", "healthz"),
            ("/readyz", "readyz"),
            ("/openapi.json", "openapi"),
        ] {
            assert_eq!(scim["paths"][path]["get"]["operationId"], id);
            assert_eq!(admin["paths"][path]["get"]["operationId"], id);
            assert_eq!(
                scim["paths"][path]["get"]["tags"],
                admin["paths"][path]["get"]["tags"]
            );
        }
    }
}
