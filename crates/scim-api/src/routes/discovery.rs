//! Discovery (RFC 7644 §4): `ServiceProviderConfig`, `Schemas`, `ResourceTypes`, built by
//! `scim_core::discovery` from the same attribute definitions the server works with. Like every SCIM
//! endpoint they need the organisation's token.
//!
//! The User schema announces the organisation's own roles as the `canonicalValues` of `roles.value`: they
//! are the only values the server accepts there.

use actix_web::web;
use scim_core::discovery::{self, ProviderSettings};
use scim_core::schema::USER_SCHEMA;
use scim_core::ScimError;
use serde_json::Value;

use super::{path_id, Reply};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::openapi::{ErrorDoc, ListResponseDoc};

/// `GET /ServiceProviderConfig`.
#[utoipa::path(
    get,
    path = "/scim/v2/orgs/{org}/ServiceProviderConfig",
    tag = "Discovery",
    operation_id = "getServiceProviderConfig",
    params(("org" = String, Path, description = "The organisation's slug")),
    responses(
        (status = 200, description = "What this service provider supports (RFC 7643 §5)", body = Object, content_type = "application/scim+json"),
        (status = 401, description = "Missing, invalid or revoked token", body = ErrorDoc, content_type = "application/scim+json"),
    ),
    security(("bearer" = []))
)]
pub async fn service_provider_config(caller: Caller) -> Result<Reply, ApiError> {
    caller
        .run(|t| {
            Ok(Reply::ok(&discovery::service_provider_config(
                &ProviderSettings {
                    base_url: t.base_url(),
                    max_results: t.config.max_results,
                    documentation_uri: None,
                },
            )))
        })
        .await
}

/// `GET /Schemas`.
#[utoipa::path(
    get,
    path = "/scim/v2/orgs/{org}/Schemas",
    tag = "Discovery",
    operation_id = "listSchemas",
    params(("org" = String, Path, description = "The organisation's slug")),
    responses(
        (status = 200, description = "The User, EnterpriseUser and Group schemas (RFC 7643 §7)", body = ListResponseDoc, content_type = "application/scim+json"),
        (status = 401, description = "Missing, invalid or revoked token", body = ErrorDoc, content_type = "application/scim+json"),
    ),
    security(("bearer" = []))
)]
pub async fn schemas(caller: Caller) -> Result<Reply, ApiError> {
    caller
        .run(|t| {
            let mut list = discovery::schemas(&t.base_url());
            if let Some(schemas) = list.get_mut("Resources").and_then(Value::as_array_mut) {
                for schema in schemas {
                    announce_roles(schema, &t.org.roles);
                }
            }
            Ok(Reply::ok(&list))
        })
        .await
}

/// `GET /Schemas/{id}`, `id` being the schema's URN.
#[utoipa::path(
    get,
    path = "/scim/v2/orgs/{org}/Schemas/{id}",
    tag = "Discovery",
    operation_id = "getSchema",
    params(
        ("org" = String, Path, description = "The organisation's slug"),
        ("id" = String, Path, description = "The schema URN, e.g. `urn:ietf:params:scim:schemas:core:2.0:User`"),
    ),
    responses(
        (status = 200, description = "The schema", body = Object, content_type = "application/scim+json"),
        (status = 401, description = "Missing, invalid or revoked token", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 404, description = "No such schema", body = ErrorDoc, content_type = "application/scim+json"),
    ),
    security(("bearer" = []))
)]
pub async fn schema(caller: Caller, path: web::Path<(String, String)>) -> Result<Reply, ApiError> {
    let id = path_id(path);
    caller
        .run(move |t| {
            let mut schema = discovery::schema(&id, &t.base_url());
            if let Some(schema) = schema.as_mut() {
                announce_roles(schema, &t.org.roles);
            }
            found(schema, "schema")
        })
        .await
}

/// `GET /ResourceTypes`.
#[utoipa::path(
    get,
    path = "/scim/v2/orgs/{org}/ResourceTypes",
    tag = "Discovery",
    operation_id = "listResourceTypes",
    params(("org" = String, Path, description = "The organisation's slug")),
    responses(
        (status = 200, description = "User and Group (RFC 7643 §6)", body = ListResponseDoc, content_type = "application/scim+json"),
        (status = 401, description = "Missing, invalid or revoked token", body = ErrorDoc, content_type = "application/scim+json"),
    ),
    security(("bearer" = []))
)]
pub async fn resource_types(caller: Caller) -> Result<Reply, ApiError> {
    caller
        .run(|t| Ok(Reply::ok(&discovery::resource_types(&t.base_url()))))
        .await
}

/// `GET /ResourceTypes/{id}`: `User` or `Group`.
#[utoipa::path(
    get,
    path = "/scim/v2/orgs/{org}/ResourceTypes/{id}",
    tag = "Discovery",
    operation_id = "getResourceType",
    params(
        ("org" = String, Path, description = "The organisation's slug"),
        ("id" = String, Path, description = "`User` or `Group`"),
    ),
    responses(
        (status = 200, description = "The resource type", body = Object, content_type = "application/scim+json"),
        (status = 401, description = "Missing, invalid or revoked token", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 404, description = "No such resource type", body = ErrorDoc, content_type = "application/scim+json"),
    ),
    security(("bearer" = []))
)]
pub async fn resource_type(
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<Reply, ApiError> {
    let id = path_id(path);
    caller
        .run(move |t| {
            found(
                discovery::resource_type(&id, &t.base_url()),
                "resource type",
            )
        })
        .await
}

fn found(doc: Option<Value>, what: &str) -> Result<Reply, ApiError> {
    doc.map(|d| Reply::ok(&d))
        .ok_or_else(|| ApiError(ScimError::not_found(format!("no such {what}"))))
}

/// Sets the `canonicalValues` of the User schema's `roles.value` to the organisation's roles.
fn announce_roles(schema: &mut Value, roles: &[String]) {
    if schema.get("id").and_then(Value::as_str) != Some(USER_SCHEMA) {
        return;
    }
    let value = schema
        .get_mut("attributes")
        .and_then(Value::as_array_mut)
        .and_then(|attrs| attrs.iter_mut().find(|a| a["name"] == "roles"))
        .and_then(|roles| roles.get_mut("subAttributes"))
        .and_then(Value::as_array_mut)
        .and_then(|subs| subs.iter_mut().find(|a| a["name"] == "value"))
        .and_then(Value::as_object_mut);
    if let Some(value) = value {
        value.insert("canonicalValues".into(), Value::from(roles.to_vec()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_schema_announces_the_organisations_roles() {
        let mut schema = discovery::schema(USER_SCHEMA, "http://x").unwrap();
        announce_roles(&mut schema, &["Admin".into(), "Member".into()]);
        let roles = schema["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "roles")
            .unwrap();
        let value = roles["subAttributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "value")
            .unwrap();
        assert_eq!(
            value["canonicalValues"],
            serde_json::json!(["Admin", "Member"])
        );
    }
}

/// `POST /.search` at the organisation's root: searching several resource types at once is not supported
/// (RFC 7644 §3.4.3 makes it optional); `501` points to `/Users/.search` and `/Groups/.search`.
#[utoipa::path(
    post,
    path = "/scim/v2/orgs/{org}/.search",
    tag = "Discovery",
    operation_id = "searchAll",
    params(("org" = String, Path, description = "The organisation's slug")),
    responses(
        (status = 501, description = "Not supported: use `/Users/.search` or `/Groups/.search`", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 401, description = "Missing, invalid or revoked token", body = ErrorDoc, content_type = "application/scim+json"),
    ),
    security(("bearer" = []))
)]
pub async fn search_all(caller: Caller) -> Result<Reply, ApiError> {
    caller
        .run(|_| {
            Err::<Reply, _>(ApiError(ScimError::new(
                501,
                None,
                "searching several resource types at once is not supported: use /Users/.search or \
                 /Groups/.search",
            )))
        })
        .await
}
