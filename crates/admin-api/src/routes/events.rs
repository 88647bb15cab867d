//! `GET /api/v1/orgs/{org}/scim/events`: the organisation's provisioning log, newest first, cursor-paginated,
//! filtered by outcome, action and resource type.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use humbol_store::{Event, EventQuery, Outcome};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::validate_slug;
use crate::auth::Principal;
use crate::error::{AppError, ErrorBody};
use crate::state::{existing_org, AppState};

/// Default page size.
pub const DEFAULT_LIMIT: u64 = 50;
/// Largest page size.
pub const MAX_LIMIT: u64 = 200;

/// Paging and filtering of the event log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsParams {
    /// Page size, 1–200 (default 50).
    #[param(example = 50, minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// The `next` cursor of the previous page.
    #[param(example = "1234")]
    pub before: Option<String>,
    /// Only events with this outcome: `success` or `refused`.
    #[param(example = "refused", value_type = Option<crate::openapi::EventOutcomeDoc>)]
    pub outcome: Option<String>,
    /// Only events with this action: `created`, `updated`, `disabled`, `enabled`, `deleted`, `refused`,
    /// `token_created`, `token_revoked`, ...
    #[param(example = "created", value_type = Option<crate::openapi::EventActionDoc>)]
    pub action: Option<String>,
    /// Only events about this resource type: `User`, `Group` or `Token`.
    #[param(example = "User")]
    pub resource_type: Option<String>,
}

/// Longest `action` / `resource_type` filter value.
const MAX_FILTER: usize = 64;

/// A filter on a short word: absent or empty means "any"; otherwise `[A-Za-z_]{1,64}`.
fn word_filter(name: &str, value: Option<String>) -> Result<Option<String>, AppError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v)
            if v.len() <= MAX_FILTER && v.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_') =>
        {
            Ok(Some(v.to_owned()))
        }
        Some(_) => Err(AppError::bad_request(format!(
            "`{name}` must be a word of letters and `_` (at most {MAX_FILTER})"
        ))),
    }
}

/// A provisioning event: what a SCIM call or an admin did.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "1234", "at": "2026-11-28T10:40:00Z", "actor": "token:6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f",
    "action": "created", "resource_type": "User", "resource_id": "0b6a1c7e-2f3d-4e5a-9b8c-7d6e5f4a3b2c",
    "outcome": "success", "detail": "userName alice@contoso.com"
}))]
pub struct EventItem {
    /// The event's id (also the pagination cursor).
    pub id: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who: `token:<id>` for a SCIM call, `admin:<sub>` or `support:<sub>` for the admin API.
    pub actor: String,
    /// What: `created`, `updated`, `disabled`, `enabled`, `deleted`, `refused`, `token_created`,
    /// `token_revoked`, ...
    #[schema(value_type = crate::openapi::EventActionDoc)]
    pub action: String,
    /// `User`, `Group`, `Token`, or absent.
    pub resource_type: Option<String>,
    /// The resource's id, if any.
    pub resource_id: Option<String>,
    /// `success` or `refused`.
    #[schema(example = "success", value_type = crate::openapi::EventOutcomeDoc)]
    pub outcome: String,
    /// Which resource, what changed, or why the request was refused.
    pub detail: String,
}

impl From<Event> for EventItem {
    fn from(e: Event) -> Self {
        EventItem {
            id: e.id.to_string(),
            at: e.at,
            actor: e.actor,
            action: e.action,
            resource_type: e.resource_type,
            resource_id: e.resource_id,
            outcome: e.outcome.as_str().to_owned(),
            detail: e.detail,
        }
    }
}

/// One page of events.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    /// Events, newest first.
    pub items: Vec<EventItem>,
    /// Pass as `before` to get the next (older) page; `null` on the last page.
    #[schema(example = "1184")]
    pub next: Option<String>,
}

impl EventsParams {
    /// Validates the query into the store's query, asking for one extra event to know whether a next page
    /// exists. Returns the page size too.
    fn into_query(self) -> Result<(EventQuery, usize), AppError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(AppError::bad_request(format!(
                "`limit` must be between 1 and {MAX_LIMIT}"
            )));
        }
        let before = self
            .before
            .map(|cursor| {
                cursor
                    .parse::<i64>()
                    .ok()
                    .filter(|id| *id > 0)
                    .ok_or_else(|| AppError::bad_request("`before` is not a cursor from `next`"))
            })
            .transpose()?;
        let outcome = match self.outcome.as_deref() {
            None | Some("") => None,
            Some("success") => Some(Outcome::Success),
            Some("refused") => Some(Outcome::Refused),
            Some(_) => {
                return Err(AppError::bad_request(
                    "`outcome` must be `success` or `refused`",
                ))
            }
        };
        let page = usize::try_from(limit).map_err(AppError::internal)?;
        Ok((
            EventQuery {
                before,
                limit: limit + 1,
                outcome,
                action: word_filter("action", self.action)?,
                resource_type: word_filter("resource_type", self.resource_type)?,
            },
            page,
        ))
    }
}

/// The organisation's provisioning log: what each SCIM call did (created, updated, disabled, deleted,
/// refused and why) and token creations/revocations, newest first.
#[utoipa::path(
    tag = "Events",
    operation_id = "listEvents",
    params(("org" = String, Path, description = "Organisation slug", example = "acme"), EventsParams),
    responses(
        (status = 200, description = "A page of events", body = EventPage),
        (status = 400, description = "Invalid `limit`, `before`, `outcome`, `action` or `resource_type`", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired JWT", body = ErrorBody),
        (status = 404, description = "No such organisation (or not the admin's own)", body = ErrorBody),
    ),
    security(("bearer_jwt" = []))
)]
#[get("/api/v1/orgs/{org}/scim/events")]
pub async fn list_events(
    principal: Principal,
    state: web::Data<AppState>,
    org: web::Path<String>,
    params: web::Query<EventsParams>,
) -> Result<web::Json<EventPage>, AppError> {
    let slug = org.into_inner();
    validate_slug(&slug)?;
    principal.require_org(&slug)?;
    let (query, page) = params.into_inner().into_query()?;
    let mut events = state
        .run(move |store| {
            existing_org(store, &slug)?;
            Ok(store.events(&slug, &query)?)
        })
        .await?;
    let next = if events.len() > page {
        events.truncate(page);
        events.last().map(|e| e.id.to_string())
    } else {
        None
    };
    Ok(web::Json(EventPage {
        items: events.into_iter().map(EventItem::from).collect(),
        next,
    }))
}
