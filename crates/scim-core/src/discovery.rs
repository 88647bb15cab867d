//! Discovery documents (RFC 7644 §4, RFC 7643 §5–7): `ServiceProviderConfig`, `Schemas`, `ResourceTypes`.
//!
//! Built only from [`crate::schema`], so that what the server announces is what it does. `base_url` is the
//! organisation's SCIM base, e.g. `https://humbol.example/scim/v2/orgs/acme`; `meta.location`s hang off it.

use serde_json::{json, Map, Value};

use crate::list::list_response;
use crate::schema::{
    AttrType, AttributeDef, Mutability, ResourceTypeDef, Returned, SchemaDef, Uniqueness,
    RESOURCE_TYPES, RESOURCE_TYPE_SCHEMA, SCHEMAS, SCHEMA_SCHEMA, SERVICE_PROVIDER_CONFIG_SCHEMA,
};

/// What the service provider configuration needs from the deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSettings {
    /// The organisation's SCIM base URL, e.g. `https://humbol.example/scim/v2/orgs/acme`.
    pub base_url: String,
    /// `filter.maxResults`: the largest page the server returns (the `max_count` given to
    /// [`crate::list::ListQuery`]).
    pub max_results: u64,
    /// `documentationUri`, when there is one.
    pub documentation_uri: Option<String>,
}

fn base(base_url: &str) -> &str {
    base_url.trim_end_matches('/')
}

/// `GET {base}/ServiceProviderConfig` (RFC 7643 §5): PATCH, filter (with `maxResults`), sort and ETags
/// supported; bulk and changePassword not; authentication with the organisation's bearer token.
pub fn service_provider_config(cfg: &ProviderSettings) -> Value {
    let mut doc = json!({
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": cfg.max_results},
        "changePassword": {"supported": false},
        "sort": {"supported": true},
        // RFC 9865: cursors are stateless (they never expire: no `cursorTimeout`); a page without `count`
        // has the largest size.
        "pagination": {
            "cursor": true,
            "index": true,
            "defaultPaginationMethod": "index",
            "defaultPageSize": cfg.max_results,
            "maxPageSize": cfg.max_results,
        },
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with the organisation's SCIM token: \
                            `Authorization: Bearer <token>`. Humbol admins create tokens in the admin API.",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{}/ServiceProviderConfig", base(&cfg.base_url)),
        },
    });
    if let (Some(uri), Some(o)) = (&cfg.documentation_uri, doc.as_object_mut()) {
        o.insert("documentationUri".into(), Value::from(uri.as_str()));
    }
    doc
}

fn type_name(t: AttrType) -> &'static str {
    match t {
        AttrType::String => "string",
        AttrType::Boolean => "boolean",
        AttrType::Decimal => "decimal",
        AttrType::Integer => "integer",
        AttrType::DateTime => "dateTime",
        AttrType::Reference => "reference",
        AttrType::Binary => "binary",
        AttrType::Complex => "complex",
    }
}

fn mutability_name(m: Mutability) -> &'static str {
    match m {
        Mutability::ReadOnly => "readOnly",
        Mutability::ReadWrite => "readWrite",
        Mutability::Immutable => "immutable",
        Mutability::WriteOnly => "writeOnly",
    }
}

fn returned_name(r: Returned) -> &'static str {
    match r {
        Returned::Always => "always",
        Returned::Never => "never",
        Returned::Default => "default",
        Returned::Request => "request",
    }
}

fn uniqueness_name(u: Uniqueness) -> &'static str {
    match u {
        Uniqueness::None => "none",
        Uniqueness::Server => "server",
        Uniqueness::Global => "global",
    }
}

/// One attribute definition in the RFC 7643 §7 shape. `canonicalValues`, `referenceTypes` and
/// `subAttributes` appear when the definition has them.
fn attribute_json(a: &AttributeDef) -> Value {
    let mut o = Map::new();
    o.insert("name".into(), Value::from(a.name));
    o.insert("type".into(), Value::from(type_name(a.ty)));
    o.insert("multiValued".into(), Value::Bool(a.multi_valued));
    let description = match a.max_bytes() {
        Some(max) => format!("{} At most {max} bytes (UTF-8).", a.description),
        None => a.description.to_string(),
    };
    o.insert("description".into(), Value::from(description));
    o.insert("required".into(), Value::Bool(a.required));
    o.insert("caseExact".into(), Value::Bool(a.case_exact));
    o.insert(
        "mutability".into(),
        Value::from(mutability_name(a.mutability)),
    );
    o.insert("returned".into(), Value::from(returned_name(a.returned)));
    o.insert(
        "uniqueness".into(),
        Value::from(uniqueness_name(a.uniqueness)),
    );
    if !a.canonical_values.is_empty() {
        o.insert("canonicalValues".into(), json!(a.canonical_values));
    }
    if !a.reference_types.is_empty() {
        o.insert("referenceTypes".into(), json!(a.reference_types));
    }
    if !a.sub_attributes.is_empty() {
        let subs: Vec<Value> = a.sub_attributes.iter().map(attribute_json).collect();
        o.insert("subAttributes".into(), Value::Array(subs));
    }
    Value::Object(o)
}

fn schema_json(s: &SchemaDef, base_url: &str) -> Value {
    let attributes: Vec<Value> = s.attributes.iter().map(attribute_json).collect();
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": s.id,
        "name": s.name,
        "description": s.description,
        "attributes": attributes,
        "meta": {
            "resourceType": "Schema",
            "location": format!("{}/Schemas/{}", base(base_url), s.id),
        },
    })
}

/// `GET {base}/Schemas`: a ListResponse of every schema Humbol implements (User, EnterpriseUser, Group).
pub fn schemas(base_url: &str) -> Value {
    let all: Vec<Value> = SCHEMAS.iter().map(|s| schema_json(s, base_url)).collect();
    list_response(all.len() as u64, 1, all)
}

/// `GET {base}/Schemas/{id}`: the schema whose URN is `id` (ignoring ASCII case); `None` -> 404.
pub fn schema(id: &str, base_url: &str) -> Option<Value> {
    SCHEMAS
        .iter()
        .find(|s| s.id.eq_ignore_ascii_case(id))
        .map(|s| schema_json(s, base_url))
}

fn resource_type_json(rt: &ResourceTypeDef, base_url: &str) -> Value {
    let mut doc = json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": rt.id,
        "name": rt.name,
        "endpoint": rt.endpoint,
        "description": rt.description,
        "schema": rt.schema.id,
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{}/ResourceTypes/{}", base(base_url), rt.id),
        },
    });
    if let (false, Some(o)) = (rt.extensions.is_empty(), doc.as_object_mut()) {
        let extensions: Vec<Value> = rt
            .extensions
            .iter()
            .map(|(s, required)| json!({"schema": s.id, "required": required}))
            .collect();
        o.insert("schemaExtensions".into(), Value::Array(extensions));
    }
    doc
}

/// `GET {base}/ResourceTypes`: a ListResponse of User and Group (RFC 7643 §6).
pub fn resource_types(base_url: &str) -> Value {
    let all: Vec<Value> = RESOURCE_TYPES
        .iter()
        .map(|rt| resource_type_json(rt, base_url))
        .collect();
    list_response(all.len() as u64, 1, all)
}

/// `GET {base}/ResourceTypes/{id}`: `User` or `Group` (ignoring ASCII case); `None` -> 404.
pub fn resource_type(id: &str, base_url: &str) -> Option<Value> {
    RESOURCE_TYPES
        .iter()
        .find(|rt| rt.id.eq_ignore_ascii_case(id))
        .map(|rt| resource_type_json(rt, base_url))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, LIST_RESPONSE_SCHEMA, USER_SCHEMA};

    const BASE: &str = "https://humbol.example/scim/v2/orgs/acme";

    #[test]
    fn service_provider_config_says_what_the_server_does() {
        let cfg = ProviderSettings {
            base_url: format!("{BASE}/"),
            max_results: 200,
            documentation_uri: None,
        };
        let doc = service_provider_config(&cfg);
        assert_eq!(doc["schemas"], json!([SERVICE_PROVIDER_CONFIG_SCHEMA]));
        assert_eq!(doc["patch"], json!({"supported": true}));
        assert_eq!(doc["bulk"]["supported"], false);
        assert_eq!(doc["filter"], json!({"supported": true, "maxResults": 200}));
        assert_eq!(doc["changePassword"], json!({"supported": false}));
        assert_eq!(doc["sort"], json!({"supported": true}));
        assert_eq!(
            doc["pagination"],
            json!({"cursor": true, "index": true, "defaultPaginationMethod": "index",
                   "defaultPageSize": 200, "maxPageSize": 200})
        );
        assert_eq!(doc["etag"], json!({"supported": true}));
        let schemes = doc["authenticationSchemes"].as_array().unwrap();
        assert_eq!(schemes.len(), 1);
        assert_eq!(schemes[0]["type"], "oauthbearertoken");
        assert_eq!(schemes[0]["primary"], true);
        assert!(schemes[0]["name"].is_string() && schemes[0]["description"].is_string());
        assert_eq!(
            doc["meta"],
            json!({"resourceType": "ServiceProviderConfig", "location": format!("{BASE}/ServiceProviderConfig")})
        );
        assert!(doc.get("documentationUri").is_none());
        let cfg = ProviderSettings {
            documentation_uri: Some("https://docs".into()),
            ..cfg
        };
        assert_eq!(
            service_provider_config(&cfg)["documentationUri"],
            "https://docs"
        );
    }

    #[test]
    fn schemas_list_every_schema() {
        let doc = schemas(BASE);
        assert_eq!(doc["schemas"], json!([LIST_RESPONSE_SCHEMA]));
        assert_eq!(doc["totalResults"], 3);
        let ids: Vec<&str> = doc["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["id"].as_str())
            .collect();
        assert_eq!(ids, [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA]);
    }

    #[test]
    fn user_schema_shape() {
        let user = schema("URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER", BASE).unwrap();
        assert_eq!(user["id"], USER_SCHEMA);
        assert_eq!(user["name"], "User");
        assert_eq!(user["schemas"], json!([SCHEMA_SCHEMA]));
        assert_eq!(
            user["meta"],
            json!({"resourceType": "Schema", "location": format!("{BASE}/Schemas/{USER_SCHEMA}")})
        );
        let attrs = user["attributes"].as_array().unwrap();
        let find = |name: &str| attrs.iter().find(|a| a["name"] == name).unwrap().clone();
        assert_eq!(
            find("userName"),
            json!({"name": "userName", "type": "string", "multiValued": false,
                   "description": "Unique identifier for the User, typically the sign-in name. At most 1024 bytes (UTF-8).",
                   "required": true, "caseExact": false, "mutability": "readWrite",
                   "returned": "default", "uniqueness": "server"})
        );
        let emails = find("emails");
        assert_eq!(emails["type"], "complex");
        assert_eq!(emails["multiValued"], true);
        let subs = emails["subAttributes"].as_array().unwrap();
        let kind = subs.iter().find(|a| a["name"] == "type").unwrap();
        assert_eq!(kind["canonicalValues"], json!(["work", "home", "other"]));
        assert_eq!(find("active")["type"], "boolean");
        // Every attribute has every required characteristic; common attributes are not listed.
        for a in attrs {
            for key in [
                "name",
                "type",
                "multiValued",
                "description",
                "required",
                "caseExact",
                "mutability",
                "returned",
                "uniqueness",
            ] {
                assert!(a.get(key).is_some(), "{key} missing in {a}");
            }
        }
        assert!(attrs
            .iter()
            .all(|a| a["name"] != "id" && a["name"] != "meta"));
    }

    #[test]
    fn enterprise_manager_is_a_reference() {
        let ent = schema(ENTERPRISE_USER_SCHEMA, BASE).unwrap();
        let manager = ent["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "manager")
            .unwrap();
        let subs = manager["subAttributes"].as_array().unwrap();
        let r = subs.iter().find(|a| a["name"] == "$ref").unwrap();
        assert_eq!(r["type"], "reference");
        assert_eq!(r["referenceTypes"], json!(["User"]));
        assert!(schema("urn:nope", BASE).is_none());
    }

    #[test]
    fn resource_types_shape() {
        let doc = resource_types(BASE);
        assert_eq!(doc["totalResults"], 2);
        let user = resource_type("user", BASE).unwrap();
        assert_eq!(
            user,
            json!({
                "schemas": [RESOURCE_TYPE_SCHEMA],
                "id": "User", "name": "User", "endpoint": "/Users", "description": "User Account",
                "schema": USER_SCHEMA,
                "schemaExtensions": [{"schema": ENTERPRISE_USER_SCHEMA, "required": false}],
                "meta": {"resourceType": "ResourceType", "location": format!("{BASE}/ResourceTypes/User")},
            })
        );
        let group = resource_type("Group", BASE).unwrap();
        assert_eq!(group["endpoint"], "/Groups");
        assert_eq!(group["schema"], GROUP_SCHEMA);
        assert!(group.get("schemaExtensions").is_none());
        assert_eq!(doc["Resources"], json!([user, group]));
        assert!(resource_type("Device", BASE).is_none());
    }
}
