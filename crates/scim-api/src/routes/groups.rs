//! `/scim/v2/orgs/{org}/Groups`: list, search, create, read, replace, patch, delete.
//!
//! Members are loaded only when the response includes them (`excludedAttributes=members` skips them), and a
//! PATCH of `members` never loads or rewrites the member list: it is split off
//! ([`split_member_changes`]) and applied by the store as row inserts and deletes.

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::HttpRequest;
use humbol_store::{MemberChange, StoreError};
use scim_core::list::{list_response, ListQuery, ListResponse};
use scim_core::patch::{self, split_member_changes, PatchRequest};
use scim_core::projection::Projection;
use scim_core::resource::{Group, Stored};
use scim_core::schema::GROUP_RESOURCE;
use serde_json::Value;

use super::{
    if_match, list_params, page_cursors, patch_target, path_id, projection, store_query, Reply,
};
use crate::auth::{Caller, Tenant};
use crate::content::json_body;
use crate::error::ApiError;
use crate::openapi::{
    ErrorDoc, GroupDoc, GroupListResponseDoc, ListParamsDoc, PatchOpDoc, ProjectionParamsDoc,
    SearchRequestDoc,
};

/// The endpoint, relative to the organisation's SCIM base.
const ENDPOINT: &str = "Groups";

/// `GET /Groups`: the organisation's groups, filtered, sorted and paginated.
#[utoipa::path(
    get,
    path = "/scim/v2/orgs/{org}/Groups",
    tag = "Groups",
    operation_id = "listGroups",
    params(("org" = String, Path, description = "The organisation's slug"), ListParamsDoc),
    responses(
        (status = 200, description = "The matching groups (`Resources` is `[]` when none match)", body = GroupListResponseDoc, content_type = "application/scim+json"),
        (status = 400, description = "Invalid filter, sortBy or parameter", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 401, description = "Missing, invalid or revoked token", body = ErrorDoc, content_type = "application/scim+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list(caller: Caller, req: HttpRequest) -> Result<Reply, ApiError> {
    let params = list_params(&req);
    caller
        .run(move |t| {
            let query = ListQuery::from_params(&params?, t.config.max_results)?;
            search_groups(t, &query)
        })
        .await
}

/// `POST /Groups/.search`: like `GET /Groups`, with the parameters in a SearchRequest body.
#[utoipa::path(
    post,
    path = "/scim/v2/orgs/{org}/Groups/.search",
    tag = "Groups",
    operation_id = "searchGroups",
    params(("org" = String, Path, description = "The organisation's slug")),
    request_body(content = SearchRequestDoc, content_type = "application/scim+json"),
    responses(
        (status = 200, description = "The matching groups", body = GroupListResponseDoc, content_type = "application/scim+json"),
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
    let body = json_body(&req, body);
    caller
        .run(move |t| {
            let query = ListQuery::from_search_request(&body?, t.config.max_results)?;
            search_groups(t, &query)
        })
        .await
}

/// `POST /Groups`: creates a group (Microsoft's `ADSCIM/2.0/Group` schema URI is tolerated); `201`.
#[utoipa::path(
    post,
    path = "/scim/v2/orgs/{org}/Groups",
    tag = "Groups",
    operation_id = "createGroup",
    params(("org" = String, Path, description = "The organisation's slug"), ProjectionParamsDoc),
    request_body(content = GroupDoc, content_type = "application/scim+json"),
    responses(
        (status = 201, description = "Created", body = GroupDoc, content_type = "application/scim+json",
         headers(("Location" = String, description = "The group's URL"), ("ETag" = String, description = "meta.version"))),
        (status = 400, description = "Invalid group (e.g. a member that is not a user of this organisation)", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 401, description = "Missing, invalid or revoked token", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 409, description = "displayName or externalId already taken (`uniqueness`)", body = ErrorDoc, content_type = "application/scim+json"),
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
    let group = json_body(&req, body).and_then(|v| Group::from_json(&v));
    let projection = projection(&req);
    caller
        .run(move |t| {
            let (group, projection) = (group?, projection?);
            let stored = t.store.create_group(&t.org.slug, &group, t.actor)?;
            let location = t.location(ENDPOINT, &stored.id);
            Ok(resource_reply(t, stored, &projection)
                .status(StatusCode::CREATED)
                .location(location))
        })
        .await
}

/// `GET /Groups/{id}`; with `excludedAttributes=members` the members are neither loaded nor returned.
#[utoipa::path(
    get,
    path = "/scim/v2/orgs/{org}/Groups/{id}",
    tag = "Groups",
    operation_id = "getGroup",
    params(
        ("org" = String, Path, description = "The organisation's slug"),
        ("id" = String, Path, description = "The group's id"),
        ProjectionParamsDoc,
    ),
    responses(
        (status = 200, description = "The group", body = GroupDoc, content_type = "application/scim+json",
         headers(("ETag" = String, description = "meta.version"))),
        (status = 400, description = "Invalid attributes parameter", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 401, description = "Missing, invalid or revoked token", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 404, description = "No such group in this organisation", body = ErrorDoc, content_type = "application/scim+json"),
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
        .run(move |t| {
            let projection = projection?;
            let stored = t
                .store
                .group(&t.org.slug, &id, with_members(&projection))?
                .ok_or(StoreError::NotFound)?;
            Ok(resource_reply(t, stored, &projection))
        })
        .await
}

/// `PUT /Groups/{id}`: replaces the attributes and the member set.
#[utoipa::path(
    put,
    path = "/scim/v2/orgs/{org}/Groups/{id}",
    tag = "Groups",
    operation_id = "replaceGroup",
    params(
        ("org" = String, Path, description = "The organisation's slug"),
        ("id" = String, Path, description = "The group's id"),
        ("If-Match" = Option<String>, Header, description = "Only replace this version (`meta.version`)"),
        ProjectionParamsDoc,
    ),
    request_body(content = GroupDoc, content_type = "application/scim+json"),
    responses(
        (status = 200, description = "The replaced group", body = GroupDoc, content_type = "application/scim+json",
         headers(("ETag" = String, description = "meta.version"))),
        (status = 400, description = "Invalid group", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 401, description = "Missing, invalid or revoked token", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 404, description = "No such group in this organisation", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 409, description = "displayName or externalId already taken", body = ErrorDoc, content_type = "application/scim+json"),
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
    let group = json_body(&req, body).and_then(|v| Group::from_json(&v));
    let projection = projection(&req);
    let if_match = if_match(&req);
    caller
        .run(move |t| {
            let (group, projection) = (group?, projection?);
            t.store
                .replace_group(&t.org.slug, &id, &group, if_match, t.actor)?;
            reread(t, &id, &projection)
        })
        .await
}

/// `PATCH /Groups/{id}`: member add/remove in Entra's legacy and compliant shapes, rename, all-or-nothing.
/// Answers `204` (RFC 7644 §3.5.2 allows it, and it is what Entra expects for groups) unless the request asks
/// for attributes with `attributes`/`excludedAttributes`: a one-member change to a 50k-member group must not
/// send (nor load) 50k members back.
#[utoipa::path(
    patch,
    path = "/scim/v2/orgs/{org}/Groups/{id}",
    tag = "Groups",
    operation_id = "patchGroup",
    params(
        ("org" = String, Path, description = "The organisation's slug"),
        ("id" = String, Path, description = "The group's id"),
        ("If-Match" = Option<String>, Header, description = "Only patch this version (`meta.version`)"),
        ProjectionParamsDoc,
    ),
    request_body(content = PatchOpDoc, content_type = "application/scim+json"),
    responses(
        (status = 204, description = "Patched (no `attributes`/`excludedAttributes` asked for)",
         headers(("ETag" = String, description = "meta.version"))),
        (status = 200, description = "The patched group, projected as asked", body = GroupDoc, content_type = "application/scim+json",
         headers(("ETag" = String, description = "meta.version"))),
        (status = 400, description = "Invalid PATCH (path, value, unknown member, ...); nothing was changed", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 401, description = "Missing, invalid or revoked token", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 404, description = "No such group in this organisation", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 409, description = "displayName or externalId already taken", body = ErrorDoc, content_type = "application/scim+json"),
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
            let (rest, changes) = split_member_changes(&patch)?;
            let changes: Vec<MemberChange> = changes.into_iter().map(to_store_change).collect();
            let stored = t.store.update_group(
                &t.org.slug,
                &id,
                if_match,
                t.actor,
                &changes,
                &mut |current| {
                    if rest.operations.is_empty() {
                        return Ok(current.resource.clone());
                    }
                    let patched = patch::apply(
                        &GROUP_RESOURCE,
                        &patch_target(&current.id, current.resource.to_json()),
                        &rest,
                    )?;
                    Group::from_json(&patched)
                },
            )?;
            if projection.is_default() {
                return Ok(Reply::no_content().etag(stored.meta.etag()));
            }
            reread(t, &id, &projection)
        })
        .await
}

/// `DELETE /Groups/{id}`: `204`; a second delete is `404`.
#[utoipa::path(
    delete,
    path = "/scim/v2/orgs/{org}/Groups/{id}",
    tag = "Groups",
    operation_id = "deleteGroup",
    params(
        ("org" = String, Path, description = "The organisation's slug"),
        ("id" = String, Path, description = "The group's id"),
        ("If-Match" = Option<String>, Header, description = "Only delete this version (`meta.version`)"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing, invalid or revoked token", body = ErrorDoc, content_type = "application/scim+json"),
        (status = 404, description = "No such group in this organisation", body = ErrorDoc, content_type = "application/scim+json"),
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
            if t.store.delete_group(&t.org.slug, &id, if_match, t.actor)? {
                Ok(Reply::no_content())
            } else {
                Err(StoreError::NotFound.into())
            }
        })
        .await
}

/// One page of groups as a ListResponse; members loaded only when returned.
fn search_groups(t: &Tenant<'_>, query: &ListQuery) -> Result<Reply, ApiError> {
    let members = with_members(&query.projection);
    let page = t
        .store
        .list_groups(&t.org.slug, &store_query(query, ENDPOINT)?, members)?;
    let base = t.base_url();
    let resources = page
        .items
        .iter()
        .map(|g| {
            let mut json = g.to_json(&format!("{base}/{ENDPOINT}/{}", g.id), Some(&base));
            project(&query.projection, &mut json);
            json
        })
        .collect();
    if query.cursor.is_some() {
        let (next, previous) =
            page_cursors(query, ENDPOINT, page.next.as_ref(), page.previous.as_ref());
        return Ok(Reply::ok(&ListResponse::<Value>::cursor_page(
            resources, next, previous,
        )));
    }
    Ok(Reply::ok(&list_response(
        page.total,
        query.start_index,
        resources,
    )))
}

/// The group after a change, read back (with its members only if the response shows them).
fn reread(t: &Tenant<'_>, id: &str, projection: &Projection) -> Result<Reply, ApiError> {
    let stored = t
        .store
        .group(&t.org.slug, id, with_members(projection))?
        .ok_or(StoreError::NotFound)?;
    Ok(resource_reply(t, stored, projection))
}

/// The group as returned (projected), with its `ETag`; its members are written as the body is sent.
fn resource_reply(t: &Tenant<'_>, stored: Stored<Group>, projection: &Projection) -> Reply {
    let base = t.base_url();
    let location = format!("{base}/{ENDPOINT}/{}", stored.id);
    let etag = stored.meta.etag();
    Reply::pieces(stored.into_json_pieces(&location, Some(&base), projection.clone())).etag(etag)
}

fn project(projection: &Projection, json: &mut Value) {
    if !projection.is_default() {
        projection.apply(&GROUP_RESOURCE, json);
    }
}

/// Whether the response includes `members` (so they must be loaded).
fn with_members(projection: &Projection) -> bool {
    projection.includes(&GROUP_RESOURCE, "members")
}

/// scim-core's member change as the store's.
fn to_store_change(change: patch::MemberChange) -> MemberChange {
    match change {
        patch::MemberChange::Add(ids) => MemberChange::Add(ids),
        patch::MemberChange::Remove(ids) => MemberChange::Remove(ids),
        patch::MemberChange::RemoveAll => MemberChange::RemoveAll,
        patch::MemberChange::Replace(ids) => MemberChange::Replace(ids),
    }
}
