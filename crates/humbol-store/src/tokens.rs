//! SCIM bearer tokens: only SHA-256 hashes are stored; `authenticate` is the per-request hot path.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::events::log;
use crate::models::{micros, new_id, now, OrgRow, TokenRow};
use crate::pool::{on_inner, read_txn, write_txn, DbConn, Pools};
use crate::schema::{orgs, scim_tokens};
use crate::{
    EventAction, EventResource, NewEvent, NewToken, Outcome, Reader, Store, StoreError, TokenAuth,
    TokenInfo,
};

impl Store {
    /// The organisation's tokens (revoked and expired included), newest first.
    pub fn tokens(&self, org: &str) -> Result<Vec<TokenInfo>, StoreError> {
        tokens_page(&self.inner, org, None, i64::MAX)
    }

    /// A page of the organisation's tokens, newest first: at most `limit`, older than token `before` when given
    /// ([`StoreError::NotFound`] if `org` has no token `before`).
    pub fn tokens_page(
        &self,
        org: &str,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<TokenInfo>, StoreError> {
        tokens_page(&self.inner, org, before, limit)
    }

    /// The live token with this SHA-256 hash — not revoked, not expired at `now` — with its organisation, in one
    /// indexed query (the per-request hot path). Whether the organisation has SCIM enabled (`org.scim_enabled`)
    /// is the caller's to check.
    pub fn authenticate(
        &self,
        token_hash: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Option<TokenAuth>, StoreError> {
        self.reader()?.authenticate(token_hash, now)
    }
}

impl Reader {
    /// See [`Store::authenticate`].
    pub fn authenticate(
        &mut self,
        token_hash: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Option<TokenAuth>, StoreError> {
        authenticate(&mut self.conn, token_hash, now)
    }
}

fn token_event(actor: &str, action: EventAction, id: &str, detail: String) -> NewEvent {
    NewEvent {
        actor: actor.to_string(),
        action,
        resource_type: Some(EventResource::Token),
        resource_id: Some(id.to_string()),
        outcome: Outcome::Success,
        detail,
    }
}

/// Most live (neither revoked nor expired) SCIM tokens an organisation may hold: enough to rotate tokens for
/// several provisioning jobs without downtime, and a bound on what a script creating tokens in a loop can leave.
pub const MAX_LIVE_TOKENS: i64 = 25;

impl Store {
    /// Stores a new token of `org` (only its hash) and logs `token_created` in the same transaction.
    /// [`StoreError::NotFound`] if the organisation does not exist; [`StoreError::Rejected`] (409) if it already
    /// has [`MAX_LIVE_TOKENS`] live tokens.
    pub fn create_token(
        &self,
        org: &str,
        t: &NewToken,
        actor: &str,
    ) -> Result<TokenInfo, StoreError> {
        let p = &*self.inner;
        let mut conn = p.write()?;
        write_txn(&mut conn, |conn| {
            crate::orgs::require(conn, org)?;
            let at = micros(now());
            let live: i64 = scim_tokens::table
                .filter(scim_tokens::org.eq(org))
                .filter(scim_tokens::revoked_at.is_null())
                .filter(
                    scim_tokens::expires_at
                        .is_null()
                        .or(scim_tokens::expires_at.gt(at)),
                )
                .count()
                .get_result(conn)?;
            if live >= MAX_LIVE_TOKENS {
                return Err(StoreError::Rejected(scim_core::ScimError::new(
                    409,
                    None,
                    format!(
                        "the organisation already has {MAX_LIVE_TOKENS} live SCIM tokens: revoke one first"
                    ),
                )));
            }
            let row = TokenRow {
                id: new_id(),
                org: org.to_string(),
                name: t.name.clone(),
                hash: t.hash.to_vec(),
                hint: t.hint.clone(),
                created_at: micros(now()),
                last_used_at: None,
                expires_at: t.expires_at.map(micros),
                revoked_at: None,
            };
            diesel::insert_into(scim_tokens::table)
                .values(&row)
                .execute(conn)?;
            let detail = match t.expires_at {
                Some(at) => format!(
                    "SCIM token \"{}\" ({}) created, expires {}",
                    t.name,
                    t.hint,
                    at.to_rfc3339()
                ),
                None => format!(
                    "SCIM token \"{}\" ({}) created, never expires",
                    t.name, t.hint
                ),
            };
            log(
                conn,
                org,
                &token_event(actor, EventAction::TokenCreated, &row.id, detail),
            )?;
            row.into_info()
        })
    }
}

/// See [`crate::Store::tokens_page`].
pub fn tokens_page(
    p: &Pools,
    org: &str,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<TokenInfo>, StoreError> {
    let mut conn = p.read()?;
    read_txn(&mut conn, |conn| {
        let mut q = scim_tokens::table
            .filter(scim_tokens::org.eq(org))
            .into_boxed();
        if let Some(before) = before {
            let (created, id): (i64, String) = scim_tokens::table
                .filter(scim_tokens::org.eq(org))
                .filter(scim_tokens::id.eq(before))
                .select((scim_tokens::created_at, scim_tokens::id))
                .get_result(conn)
                .optional()?
                .ok_or(StoreError::NotFound)?;
            q = q.filter(
                scim_tokens::created_at
                    .lt(created)
                    .or(scim_tokens::created_at
                        .eq(created)
                        .and(scim_tokens::id.lt(id))),
            );
        }
        let rows = q
            .order((scim_tokens::created_at.desc(), scim_tokens::id.desc()))
            .limit(limit)
            .select(TokenRow::as_select())
            .load(conn)?;
        rows.into_iter().map(TokenRow::into_info).collect()
    })
}

impl Store {
    /// Revokes token `id` of `org` and logs `token_revoked`; `false` if `org` has no such token. Revoking an
    /// already revoked token is `true` and keeps the first revocation time.
    pub fn revoke_token(&self, org: &str, id: &str, actor: &str) -> Result<bool, StoreError> {
        let p = &*self.inner;
        let mut conn = p.write()?;
        write_txn(&mut conn, |conn| {
            let token = scim_tokens::table
                .filter(scim_tokens::id.eq(id))
                .filter(scim_tokens::org.eq(org))
                .select(TokenRow::as_select())
                .get_result(conn)
                .optional()?;
            let Some(token) = token else {
                return Ok(false);
            };
            if token.revoked_at.is_none() {
                diesel::update(scim_tokens::table.find(id))
                    .set(scim_tokens::revoked_at.eq(micros(now())))
                    .execute(conn)?;
                let detail = format!("SCIM token \"{}\" ({}) revoked", token.name, token.hint);
                log(
                    conn,
                    org,
                    &token_event(actor, EventAction::TokenRevoked, id, detail),
                )?;
            }
            Ok(true)
        })
    }
}

/// A live token's condition: this SHA-256 `hash`, and [`in_force`]. The token check alone ([`authenticate`]) and
/// the one inside Entra's look-up (`users::authenticate_and_list_users`) share it.
#[diesel::dsl::auto_type]
pub(crate) fn live_token<'a>(hash: &'a [u8], now: i64) -> _ {
    let in_force: in_force = in_force(now);
    scim_tokens::hash.eq(hash).and(in_force)
}

/// A token in force: not revoked, not expired at `now` (µs). Also the condition of each token of a batch of
/// look-ups (`users::PairsQuery`, whose hashes are an array's elements).
#[diesel::dsl::auto_type]
pub(crate) fn in_force(now: i64) -> _ {
    scim_tokens::revoked_at.is_null().and(
        scim_tokens::expires_at
            .is_null()
            .or(scim_tokens::expires_at.gt(now)),
    )
}

/// See [`crate::Store::authenticate`]: one statement, so no transaction (one statement reads one snapshot),
/// run on the backend's own connection, where diesel caches it by type (see `users::one_user!`).
pub fn authenticate(
    conn: &mut DbConn,
    token_hash: &[u8; 32],
    now: DateTime<Utc>,
) -> Result<Option<TokenAuth>, StoreError> {
    let now = micros(now);
    let found = on_inner!(conn, |c| scim_tokens::table
        .inner_join(orgs::table)
        .filter(live_token(&token_hash[..], now))
        .select((scim_tokens::id, OrgRow::as_select()))
        .get_result::<(String, OrgRow)>(c)
        .optional())?;
    found
        .map(|(token_id, org)| {
            Ok(TokenAuth {
                token_id,
                org: org.into_org()?,
            })
        })
        .transpose()
}

impl Store {
    /// Records when tokens were last used (a batched flush): `(token id, time)` pairs; a time never moves a
    /// token's `last_used_at` backwards.
    pub fn record_token_uses(&self, uses: &[(String, DateTime<Utc>)]) -> Result<(), StoreError> {
        let p = &*self.inner;
        if uses.is_empty() {
            return Ok(());
        }
        let mut conn = p.write()?;
        write_txn(&mut conn, |conn| {
            for (id, at) in uses {
                let at = micros(*at);
                diesel::update(
                    scim_tokens::table.filter(scim_tokens::id.eq(id)).filter(
                        scim_tokens::last_used_at
                            .is_null()
                            .or(scim_tokens::last_used_at.lt(at)),
                    ),
                )
                .set(scim_tokens::last_used_at.eq(at))
                .execute(conn)?;
            }
            Ok(())
        })
    }
}
