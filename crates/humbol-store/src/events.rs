//! The provisioning event log: what each SCIM call (or token change) did, or why it was refused.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::models::{micros, now, EventRow, NewEventRow};
use crate::pool::{on_inner, read_txn, write_txn, DbConn, Pools};
use crate::schema::events;
use crate::{Event, EventAction, EventQuery, EventResource, NewEvent, Outcome, Store, StoreError};

impl Store {
    /// The organisation's events, newest first, paginated by `q.before`.
    pub fn events(&self, org: &str, q: &EventQuery) -> Result<Vec<Event>, StoreError> {
        events(&self.inner, org, q)
    }
}

/// The longest event detail stored, in bytes: a longer one is cut (at a character boundary) and marked, so
/// that no request can make the log keep large texts for the retention period.
pub const MAX_DETAIL_BYTES: usize = 2048;

/// `detail`, cut to [`MAX_DETAIL_BYTES`].
fn bounded(detail: &str) -> std::borrow::Cow<'_, str> {
    if detail.len() <= MAX_DETAIL_BYTES {
        return detail.into();
    }
    const MARK: &str = " [cut]";
    let mut end = MAX_DETAIL_BYTES - MARK.len();
    while !detail.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{MARK}", &detail[..end]).into()
}

/// Appends an event (inside the caller's transaction); its detail is cut to [`MAX_DETAIL_BYTES`].
pub fn log(conn: &mut DbConn, org: &str, e: &NewEvent) -> Result<(), StoreError> {
    log_all(conn, &[(org, e)])
}

/// Appends events, each of its organisation, with one statement (as [`log`]).
pub fn log_all(conn: &mut DbConn, events: &[(&str, &NewEvent)]) -> Result<(), StoreError> {
    let at = micros(now());
    let details: Vec<_> = events.iter().map(|(_, e)| bounded(&e.detail)).collect();
    let rows: Vec<NewEventRow<'_>> = events
        .iter()
        .zip(&details)
        .map(|((org, e), detail)| NewEventRow {
            org,
            at,
            actor: &e.actor,
            action: e.action.as_str(),
            resource_type: e.resource_type.map(EventResource::as_str),
            resource_id: e.resource_id.as_deref(),
            outcome: e.outcome.as_str(),
            detail,
        })
        .collect();
    on_inner!(conn, |c| diesel::insert_into(events::table)
        .values(&rows)
        .execute(c))?;
    for (_, e) in events {
        crate::event_counts::count(e.action.as_str(), e.outcome);
    }
    Ok(())
}

/// A successful change of a resource, for [`log`].
pub fn change(
    actor: &str,
    action: EventAction,
    resource_type: EventResource,
    id: &str,
    detail: String,
) -> NewEvent {
    NewEvent {
        actor: actor.to_string(),
        action,
        resource_type: Some(resource_type),
        resource_id: Some(id.to_string()),
        outcome: Outcome::Success,
        detail,
    }
}

impl Store {
    /// Logs an event that is not a side effect of a change here (e.g. a refused request).
    pub fn record_event(&self, org: &str, e: &NewEvent) -> Result<(), StoreError> {
        let p = &*self.inner;
        let mut conn = p.write()?;
        write_txn(&mut conn, |conn| log(conn, org, e))
    }
}

/// See [`crate::Store::events`].
pub fn events(p: &Pools, org: &str, q: &EventQuery) -> Result<Vec<Event>, StoreError> {
    let mut conn = p.read()?;
    read_txn(&mut conn, |conn| {
        let mut query = events::table
            .filter(events::org.eq(org))
            .select(EventRow::as_select())
            .into_boxed();
        if let Some(before) = q.before {
            query = query.filter(events::id.lt(before));
        }
        if let Some(outcome) = q.outcome {
            query = query.filter(events::outcome.eq(outcome.as_str()));
        }
        if let Some(action) = &q.action {
            query = query.filter(events::action.eq(action));
        }
        if let Some(resource_type) = &q.resource_type {
            query = query.filter(events::resource_type.eq(resource_type));
        }
        let rows = query
            .order(events::id.desc())
            .limit(i64::try_from(q.limit).unwrap_or(i64::MAX))
            .load(conn)?;
        rows.into_iter().map(EventRow::into_event).collect()
    })
}

impl Store {
    /// Deletes every organisation's events older than `older_than`; returns how many.
    pub fn prune_events(&self, older_than: DateTime<Utc>) -> Result<u64, StoreError> {
        let p = &*self.inner;
        let mut conn = p.write()?;
        let n = write_txn(&mut conn, |conn| {
            Ok(
                diesel::delete(events::table.filter(events::at.lt(micros(older_than))))
                    .execute(conn)?,
            )
        })?;
        Ok(n as u64)
    }
}
