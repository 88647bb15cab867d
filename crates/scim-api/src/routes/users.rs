//! `/scim/v2/orgs/{org}/Users`: list, search, create, read, replace, patch, delete.
//!
//! Humbol's rules on top of SCIM: a user has exactly one role, from the organisation's list, the default
//! role when none is given ([`check_role`]); a manager must be a user of the same organisation (the store checks
//! it in its write transaction); disabled users stay visible. The store enforces `userName` uniqueness and logs every change.

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::HttpRequest;
use humbol_store::{Page, StoreError};
use scim_core::list::{ListQuery, ListResponse};
use scim_core::patch::{self, PatchRequest};
use scim_core::projection::Projection;
use scim_core::resource::{Stored, User};
use scim_core::schema::USER_RESOURCE;
use scim_core::ScimError;
use serde_json::Value;

use super::{
    if_match, list_params, page_cursors, patch_target, path_id, projection, store_query, Reply,
};
use crate::auth::{Caller, Tenant};
use crate::content::json_body;
use crate::error::ApiError;
use crate::openapi::{
    ErrorDoc, ListParamsDoc, PatchOpDoc, ProjectionParamsDoc, SearchRequestDoc, UserDoc,
    UserListResponseDoc,
};
use crate::rules::check_role;

/// The endpoint, relative to the organisation's SCIM base.
const ENDPOINT: &str = "Users";

/// `GET /Users`: the organisation's users, filtered, sorted and paginated.
#[utoipa::path(
    get,
    path = "/scim/v2/orgs/{org}/Users",
    tag = "Users",
    operation_id = "listUsers",
    params(("org" = String, Path, description = "The organisation's slug"), ListParamsDoc),
    responses(
        (status = 200, description = "The matching users (`Resources` is `[]` when none match)", body = UserListResponseDoc, content_type = "application/scim+json"),
        (status = 400, description = "Invalid filter, sortBy or parameter", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 401, description = "Missing, invalid or revoked token", body = ErrorDoc, content_type = "application/scim+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list(caller: Caller, req: HttpRequest) -> Result<Reply, ApiError> {
    let max_results = caller.config().max_results;
    let query = list_params(&req).and_then(|p| ListQuery::from_params(&p, max_results));
    search_users(caller, query).await
}

/// `POST /Users/.search`: like `GET /Users`, with the parameters in a SearchRequest body.
#[utoipa::path(
    post,
    path = "/scim/v2/orgs/{org}/Users/.search",
    tag = "Users",
    operation_id = "searchUsers",
    params(("org" = String, Path, description = "The organisation's slug")),
    request_body(content = SearchRequestDoc, content_type = "application/scim+json"),
    responses(
        (status = 200, description = "The matching users", body = UserListResponseDoc, content_type = "application/scim+json"),
        (status = 400, description = "Invalid SearchRequest or filter", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 401, description = "Missing, invalid or revoked token", body = ErrorDoc, content_type = "application/scim+json"),
    ),
    security(("bearer" = []))
)]
pub async fn search(
    caller: Caller,
    req: HttpRequest,
    body: Result<Bytes, actix_web::Error>,
) -> Result<Reply, ApiError> {
    let max_results = caller.config().max_results;
    let query = json_body(&req, body).and_then(|b| ListQuery::from_search_request(&b, max_results));
    search_users(caller, query).await
}

/// `POST /Users`: creates a user; `201` with the whole resource and its `Location`.
#[utoipa::path(
    post,
    path = "/scim/v2/orgs/{org}/Users",
    tag = "Users",
    operation_id = "createUser",
    params(("org" = String, Path, description = "The organisation's slug"), ProjectionParamsDoc),
    request_body(content = UserDoc, content_type = "application/scim+json"),
    responses(
        (status = 201, description = "Created", body = UserDoc, content_type = "application/scim+json",
         headers(("Location" = String, description = "The user's URL"), ("ETag" = String, description = "meta.version"))),
        (status = 400, description = "Invalid user (e.g. two roles, a role outside the organisation's list, unknown manager)", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 401, description = "Missing, invalid or revoked token", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 409, description = "userName or externalId already taken (`uniqueness`)", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 413, description = "Body too large", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 415, description = "Body is not JSON", body = ErrorDoc, content_type = "application/scim+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    caller: Caller,
    req: HttpRequest,
    body: Result<Bytes, actix_web::Error>,
) -> Result<Reply, ApiError> {
    let user = json_body(&req, body).and_then(|v| User::from_json(&v));
    let projection = projection(&req);
    caller
        .run(move |t| {
            let (mut user, projection) = (user?, projection?);
            apply_rules(t, &mut user)?;
            let stored = t.store.create_user(&t.org.slug, &user, t.actor)?;
            let location = t.location(ENDPOINT, &stored.id);
            Ok(resource_reply(t, &stored, &projection)
                .status(StatusCode::CREATED)
                .location(location))
        })
        .await
}

/// `GET /Users/{id}`.
#[utoipa::path(
    get,
    path = "/scim/v2/orgs/{org}/Users/{id}",
    tag = "Users",
    operation_id = "getUser",
    params(
        ("org" = String, Path, description = "The organisation's slug"),
        ("id" = String, Path, description = "The user's id"),
        ProjectionParamsDoc,
    ),
    responses(
        (status = 200, description = "The user", body = UserDoc, content_type = "application/scim+json",
         headers(("ETag" = String, description = "meta.version"))),
        (status = 400, description = "Invalid attributes parameter", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 401, description = "Missing, invalid or revoked token", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 404, description = "No such user in this organisation", body = ErrorDoc, content_type = "application/scim+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<Reply, ApiError> {
    let id = path_id(path);
    let projection = projection(&req);
    caller
        .run_read(true, move |t, reader| {
            let projection = projection?;
            let stored = reader.user(&t.org.slug, &id)?.ok_or(StoreError::NotFound)?;
            Ok(resource_reply(t, &stored, &projection))
        })
        .await
}

/// `PUT /Users/{id}`: replaces every attribute.
#[utoipa::path(
    put,
    path = "/scim/v2/orgs/{org}/Users/{id}",
    tag = "Users",
    operation_id = "replaceUser",
    params(
        ("org" = String, Path, description = "The organisation's slug"),
        ("id" = String, Path, description = "The user's id"),
        ("If-Match" = Option<String>, Header, description = "Only replace this version (`meta.version`)"),
        ProjectionParamsDoc,
    ),
    request_body(content = UserDoc, content_type = "application/scim+json"),
    responses(
        (status = 200, description = "The replaced user", body = UserDoc, content_type = "application/scim+json",
         headers(("ETag" = String, description = "meta.version"))),
        (status = 400, description = "Invalid user", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 401, description = "Missing, invalid or revoked token", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 404, description = "No such user in this organisation", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 409, description = "userName or externalId already taken", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 412, description = "If-Match does not match the current version", body = ErrorDoc, content_type = "application/scim+json"),
    ),
    security(("bearer" = []))
)]
pub async fn replace(
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: Result<Bytes, actix_web::Error>,
) -> Result<Reply, ApiError> {
    let id = path_id(path);
    let user = json_body(&req, body).and_then(|v| User::from_json(&v));
    let projection = projection(&req);
    let if_match = if_match(&req);
    caller
        .run(move |t| {
            let (mut user, projection) = (user?, projection?);
            apply_rules(t, &mut user)?;
            let stored = t
                .store
                .replace_user(&t.org.slug, &id, &user, if_match, t.actor)?;
            Ok(resource_reply(t, &stored, &projection))
        })
        .await
}

/// `PATCH /Users/{id}`: Entra's legacy and compliant PATCH shapes, all-or-nothing; `200` with the user.
#[utoipa::path(
    patch,
    path = "/scim/v2/orgs/{org}/Users/{id}",
    tag = "Users",
    operation_id = "patchUser",
    params(
        ("org" = String, Path, description = "The organisation's slug"),
        ("id" = String, Path, description = "The user's id"),
        ("If-Match" = Option<String>, Header, description = "Only patch this version (`meta.version`)"),
        ProjectionParamsDoc,
    ),
    request_body(content = PatchOpDoc, content_type = "application/scim+json"),
    responses(
        (status = 200, description = "The patched user", body = UserDoc, content_type = "application/scim+json",
         headers(("ETag" = String, description = "meta.version"))),
        (status = 400, description = "Invalid PATCH (path, value, role, ...); nothing was changed", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 401, description = "Missing, invalid or revoked token", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 404, description = "No such user in this organisation", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 409, description = "userName or externalId already taken", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 412, description = "If-Match does not match the current version", body = ErrorDoc, content_type = "application/scim+json"),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: Result<Bytes, actix_web::Error>,
) -> Result<Reply, ApiError> {
    let id = path_id(path);
    let patch = json_body(&req, body).and_then(|v| PatchRequest::from_json(&v));
    let projection = projection(&req);
    let if_match = if_match(&req);
    caller
        .run(move |t| {
            let (patch, projection) = (patch?, projection?);
            let stored =
                t.store
                    .update_user(&t.org.slug, &id, if_match, t.actor, &mut |current| {
                        let patched = patch::apply(
                            &USER_RESOURCE,
                            &patch_target(&current.id, current.resource.to_json()),
                            &patch,
                        )?;
                        let mut user = User::from_json(&patched)?;
                        apply_rules(t, &mut user)?;
                        Ok(user)
                    })?;
            Ok(resource_reply(t, &stored, &projection))
        })
        .await
}

/// `DELETE /Users/{id}`: `204`; a second delete is `404`.
#[utoipa::path(
    delete,
    path = "/scim/v2/orgs/{org}/Users/{id}",
    tag = "Users",
    operation_id = "deleteUser",
    params(
        ("org" = String, Path, description = "The organisation's slug"),
        ("id" = String, Path, description = "The user's id"),
        ("If-Match" = Option<String>, Header, description = "Only delete this version (`meta.version`)"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing, invalid or revoked token", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 404, description = "No such user in this organisation", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 412, description = "If-Match does not match the current version", body = ErrorDoc, content_type = "application/scim+json"),
    ),
    security(("bearer" = []))
)]
pub async fn delete(
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<Reply, ApiError> {
    let id = path_id(path);
    let if_match = if_match(&req);
    caller
        .run(move |t| {
            // The version check and the delete are one transaction in the store.
            if t.store.delete_user(&t.org.slug, &id, if_match, t.actor)? {
                Ok(Reply::no_content())
            } else {
                Err(StoreError::NotFound.into())
            }
        })
        .await
}

/// One page of users as a ListResponse.
/// `GET /Users` and `POST /Users/.search` once the query is read. Entra's look-up by a unique key: the token
/// check and the look-up in one statement ([`Caller::run_user_lookup`]); any other search after the token check;
/// a bad query is refused after the token check.
async fn search_users(
    caller: Caller,
    query: Result<ListQuery, ScimError>,
) -> Result<Reply, ApiError> {
    let query = match query {
        Ok(query) => query,
        Err(e) => return caller.run_read(true, move |_, _| Err(e.into())).await,
    };
    let store_query = match store_query(&query, ENDPOINT) {
        Ok(q) => q,
        Err(e) => return caller.run_read(true, move |_, _| Err(e.into())).await,
    };
    if store_query.is_user_key_lookup() {
        return caller
            .run_user_lookup(store_query, move |t, page| Ok(users_page(t, &query, &page)))
            .await;
    }
    caller
        .run_read(false, move |t, reader| {
            let page = reader.list_users(&t.org.slug, &store_query)?;
            Ok(users_page(t, &query, &page))
        })
        .await
}

/// A ListResponse of users, projected as `query` asks.
fn users_page(t: &Tenant<'_>, query: &ListQuery, page: &Page<User>) -> Reply {
    let locations: Vec<String> = page
        .items
        .iter()
        .map(|u| t.location(ENDPOINT, &u.id))
        .collect();
    let users = page.items.iter().zip(&locations);
    let projected = |(u, location): (&Stored<User>, &String)| {
        let mut json = u.to_json(location);
        project(&query.projection, &mut json);
        json
    };
    if query.cursor.is_some() {
        let (next, previous) =
            page_cursors(query, ENDPOINT, page.next.as_ref(), page.previous.as_ref());
        let resources = users.map(projected).collect();
        return Reply::ok(&ListResponse::<Value>::cursor_page(
            resources, next, previous,
        ));
    }
    if query.projection.is_default() {
        // Entra's look-up: the users written straight from their fields, no `Value` tree.
        let resources = users.map(|(u, location)| u.json(location)).collect();
        return Reply::ok(&ListResponse::new(page.total, query.start_index, resources));
    }
    let resources = users.map(projected).collect();
    Reply::ok(&ListResponse::<Value>::new(
        page.total,
        query.start_index,
        resources,
    ))
}

/// The user as returned (projected), with its `ETag`.
fn resource_reply(t: &Tenant<'_>, stored: &Stored<User>, projection: &Projection) -> Reply {
    let location = t.location(ENDPOINT, &stored.id);
    let reply = if projection.is_default() {
        Reply::ok(&stored.json(&location))
    } else {
        let mut json = stored.to_json(&location);
        project(projection, &mut json);
        Reply::ok(&json)
    };
    reply.etag(stored.meta.etag())
}

fn project(projection: &Projection, json: &mut Value) {
    if !projection.is_default() {
        projection.apply(&USER_RESOURCE, json);
    }
}

/// Humbol's rule for a user about to be stored that needs no database: one role from the organisation's list
/// (the default when none). That a manager is a user of this organisation is the store's to check, inside its
/// write transaction.
fn apply_rules(t: &Tenant<'_>, user: &mut User) -> Result<(), ScimError> {
    check_role(user, &t.org.roles, &t.org.default_role)
}
