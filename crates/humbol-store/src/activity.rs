//! What the organisation's API settings page reads at a glance: the provisioning status (when Entra last
//! called, what its calls did in a recent window). Read only, scoped to its organisation. (The log itself,
//! filtered by outcome, action and resource type, is [`Store::events`].)

use chrono::{DateTime, Utc};
use diesel::dsl::{count_star, max};
use diesel::prelude::*;

use crate::models::{from_micros_opt, micros};
use crate::pool::read_txn;
use crate::schema::{events, oauth_clients, scim_tokens};
use crate::{Store, StoreError};

/// How provisioning is going for one organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisioningStatus {
    /// The latest SCIM request seen: the newest of the tokens' `last_used_at` (flushed in batches, so it may
    /// lag) and the newest event written by a SCIM call.
    pub last_request_at: Option<DateTime<Utc>>,
    /// Events written by SCIM calls since the window's start, per action (`created`, `refused`, ...), most
    /// frequent first.
    pub actions: Vec<(String, u64)>,
    /// Tokens neither revoked nor expired.
    pub live_tokens: u64,
    /// OAuth clients not revoked (Entra may connect with one instead of a token).
    pub live_clients: u64,
}

/// Actors of the admin API; every other actor is a SCIM credential (`token:<id>` today; the OAuth clients'
/// actors count without a change here).
const ADMIN_ACTORS: [&str; 2] = ["admin:%", "support:%"];

impl Store {
    /// The organisation's provisioning status: the latest SCIM request, and what SCIM calls did since `since`.
    pub fn provisioning_status(
        &self,
        org: &str,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<ProvisioningStatus, StoreError> {
        let mut conn = self.inner.read()?;
        read_txn(&mut conn, |conn| {
            let scim_events = || {
                events::table
                    .filter(events::org.eq(org))
                    .filter(events::actor.not_like(ADMIN_ACTORS[0]))
                    .filter(events::actor.not_like(ADMIN_ACTORS[1]))
            };
            let last_event: Option<i64> = scim_events().select(max(events::at)).first(conn)?;
            let last_use: Option<i64> = scim_tokens::table
                .filter(scim_tokens::org.eq(org))
                .select(max(scim_tokens::last_used_at))
                .first(conn)?;
            let counts: Vec<(String, i64)> = scim_events()
                .filter(events::at.ge(micros(since)))
                .group_by(events::action)
                .select((events::action, count_star()))
                .load(conn)?;
            let live_tokens: i64 = scim_tokens::table
                .filter(scim_tokens::org.eq(org))
                .filter(scim_tokens::revoked_at.is_null())
                .filter(
                    scim_tokens::expires_at
                        .is_null()
                        .or(scim_tokens::expires_at.gt(micros(now))),
                )
                .count()
                .get_result(conn)?;
            let live_clients: i64 = oauth_clients::table
                .filter(oauth_clients::org.eq(org))
                .filter(oauth_clients::revoked_at.is_null())
                .count()
                .get_result(conn)?;

            let mut actions: Vec<(String, u64)> = counts
                .into_iter()
                .map(|(action, n)| (action, n.unsigned_abs()))
                .collect();
            actions.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            Ok(ProvisioningStatus {
                last_request_at: from_micros_opt(last_event.max(last_use))?,
                actions,
                live_tokens: live_tokens.unsigned_abs(),
                live_clients: live_clients.unsigned_abs(),
            })
        })
    }
}
