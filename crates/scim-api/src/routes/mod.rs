//! The HTTP routes and what their handlers share.
//!
//! Handlers are thin: they read what the request carries (body, query, `If-Match`) without deciding anything,
//! then hand the rest to [`crate::auth::Caller::run`], which authenticates and runs the operation on one
//! blocking thread. Input errors are carried into the operation as `Result`s and raised there, after
//! authentication, so that an unauthenticated client always gets `401` and every refusal of an authenticated
//! one reaches the event log.

pub mod discovery;
pub mod groups;
pub mod health;
pub mod oauth;
pub mod users;

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use humbol_store::Query;
use scim_core::cursor::Position;
use scim_core::list::{ListParams, ListQuery, SortOrder};
use scim_core::projection::Projection;
use scim_core::ScimError;

use crate::content;
pub use crate::content::Reply;

/// The tenant prefix of every SCIM route.
pub const SCIM_SCOPE: &str = "/scim/v2/orgs/{org}";

/// Registers every route of the service.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use actix_web::web::{delete, get, patch, post, put, resource, scope};
    let not_allowed = content::method_not_allowed;
    cfg.service(
        resource("/healthz")
            .route(get().to(health::healthz))
            .default_service(not_allowed("GET")),
    )
    .service(
        resource("/readyz")
            .route(get().to(health::readyz))
            .default_service(not_allowed("GET")),
    )
    .service(
        resource("/metrics")
            .route(get().to(health::metrics))
            .default_service(not_allowed("GET")),
    )
    .service(
        resource("/openapi.json")
            .route(get().to(crate::openapi::openapi_json))
            .default_service(not_allowed("GET")),
    )
    .service(
        scope(SCIM_SCOPE)
            .wrap(actix_web::middleware::from_fn(
                crate::auth::authenticate_before_body,
            ))
            .service(
                resource("/oauth/token")
                    .route(post().to(oauth::token))
                    .default_service(not_allowed("POST")),
            )
            // `.search` before `{id}`: a resource answers 405 rather than let the next one match.
            .service(
                resource("/Users/.search")
                    .route(post().to(users::search))
                    .default_service(not_allowed("POST")),
            )
            .service(
                resource("/Users")
                    .route(get().to(users::list))
                    .route(post().to(users::create))
                    .default_service(not_allowed("GET, POST")),
            )
            .service(
                resource("/Users/{id}")
                    .route(get().to(users::get))
                    .route(put().to(users::replace))
                    .route(patch().to(users::update))
                    .route(delete().to(users::delete))
                    .default_service(not_allowed("GET, PUT, PATCH, DELETE")),
            )
            .service(
                resource("/Groups/.search")
                    .route(post().to(groups::search))
                    .default_service(not_allowed("POST")),
            )
            .service(
                resource("/Groups")
                    .route(get().to(groups::list))
                    .route(post().to(groups::create))
                    .default_service(not_allowed("GET, POST")),
            )
            .service(
                resource("/Groups/{id}")
                    .route(get().to(groups::get))
                    .route(put().to(groups::replace))
                    .route(patch().to(groups::update))
                    .route(delete().to(groups::delete))
                    .default_service(not_allowed("GET, PUT, PATCH, DELETE")),
            )
            .service(
                resource("/.search")
                    .route(post().to(discovery::search_all))
                    .default_service(not_allowed("POST")),
            )
            .service(
                resource("/ServiceProviderConfig")
                    .route(get().to(discovery::service_provider_config))
                    .default_service(not_allowed("GET")),
            )
            .service(
                resource("/Schemas")
                    .route(get().to(discovery::schemas))
                    .default_service(not_allowed("GET")),
            )
            .service(
                resource("/Schemas/{id}")
                    .route(get().to(discovery::schema))
                    .default_service(not_allowed("GET")),
            )
            .service(
                resource("/ResourceTypes")
                    .route(get().to(discovery::resource_types))
                    .default_service(not_allowed("GET")),
            )
            .service(
                resource("/ResourceTypes/{id}")
                    .route(get().to(discovery::resource_type))
                    .default_service(not_allowed("GET")),
            ),
    );
}

/// The raw list parameters of the query string. Unknown parameters are ignored.
pub fn list_params(req: &HttpRequest) -> Result<ListParams, ScimError> {
    web::Query::<ListParams>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| ScimError::invalid_value(format!("invalid query string: {e}")))
}

/// `filter`, `sortBy`, `sortOrder`, `startIndex`, `count`, `attributes`, `excludedAttributes` of a list.
pub fn list_query(req: &HttpRequest, max_results: u64) -> Result<ListQuery, ScimError> {
    ListQuery::from_params(&list_params(req)?, max_results)
}

/// `attributes` / `excludedAttributes` of a single-resource request.
pub fn projection(req: &HttpRequest) -> Result<Projection, ScimError> {
    let params = list_params(req)?;
    Projection::parse(
        params.attributes.as_deref(),
        params.excluded_attributes.as_deref(),
    )
}

/// The store's query for a SCIM list query of `resource` (`Users`, `Groups`): `startIndex` is 1-based, the
/// store's offset 0-based; a `cursor` (RFC 9865) is read for this query, else `400 invalidCursor`.
pub fn store_query(q: &ListQuery, resource: &str) -> Result<Query, ScimError> {
    let cursor = q
        .cursor
        .as_deref()
        .map(|raw| Position::decode(raw, &q.cursor_scope(resource)))
        .transpose()?;
    Ok(Query {
        filter: q.filter.clone(),
        sort_by: q.sort_by.clone(),
        descending: q.sort_order == SortOrder::Descending,
        offset: q.start_index.saturating_sub(1),
        limit: q.count,
        cursor,
    })
}

/// `nextCursor` and `previousCursor` of a cursor page of `resource`, for the query `q`.
pub fn page_cursors(
    q: &ListQuery,
    resource: &str,
    next: Option<&Position>,
    previous: Option<&Position>,
) -> (Option<String>, Option<String>) {
    let scope = q.cursor_scope(resource);
    (
        next.map(|p| p.encode(&scope)),
        previous.map(|p| p.encode(&scope)),
    )
}

/// The version in an `If-Match` header (`W/"3"`, `"3"`), `None` when absent or `*`. A tag that is not one of
/// ours can match no version: it is `Some(-1)`, which the store answers with 412.
pub fn if_match(req: &HttpRequest) -> Option<i64> {
    let value = req.headers().get(header::IF_MATCH)?;
    let text = value.to_str().unwrap_or_default().trim();
    if text == "*" {
        return None;
    }
    let tag = text.strip_prefix("W/").unwrap_or(text);
    Some(tag.trim_matches('"').parse::<i64>().unwrap_or(-1))
}

/// What a PATCH applies to: the stored resource's JSON with its `id`, so that a path-less value repeating
/// the resource's own id (Okta's group rename) is recognised as no change. The result's `id` is ignored when
/// it is read back (`User::from_json`, `Group::from_json`).
pub fn patch_target(id: &str, mut resource: serde_json::Value) -> serde_json::Value {
    if let Some(o) = resource.as_object_mut() {
        o.insert("id".into(), serde_json::Value::from(id));
    }
    resource
}

/// The URL path id of `/Users/{id}`, `/Groups/{id}`, ...
pub fn path_id(path: web::Path<(String, String)>) -> String {
    path.into_inner().1
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn if_match_reads_weak_and_strong_tags() {
        let with = |v: &str| {
            TestRequest::get()
                .insert_header((header::IF_MATCH, v))
                .to_http_request()
        };
        assert_eq!(if_match(&TestRequest::get().to_http_request()), None);
        assert_eq!(if_match(&with("W/\"3\"")), Some(3));
        assert_eq!(if_match(&with("\"7\"")), Some(7));
        assert_eq!(if_match(&with("*")), None);
        assert_eq!(if_match(&with("\"abc\"")), Some(-1));
    }
}
