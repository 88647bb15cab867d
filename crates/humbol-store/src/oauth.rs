//! OAuth 2.0 clients of the SCIM connection: what Entra's gallery requires of new apps instead of a long-lived
//! bearer token. A client has a public `client_id`, several live secrets (for rotation; only SHA-256 hashes are
//! kept, each with an expiry) and optionally one federated credential (RFC 7523 client assertions signed by an
//! issuer such as Entra). The token endpoint exchanges either for a short-lived opaque access token, also kept
//! only as a hash; every SCIM request checks it here against the client (so a revoked client's tokens are
//! refused at once, in every process) and the organisation.
//!
//! Every rule that needs the database (client live, secret this client's and not expired, `jti` not seen
//! before) runs inside the write transaction that issues the token, and that transaction also writes the
//! provisioning event saying what was issued or why it was refused.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::events::{change, log};
use crate::models::{from_micros, from_micros_opt, micros, new_id, now, OrgRow};
use crate::pool::{on_inner, read_txn, write_txn, DbConn};
use crate::schema::{
    oauth_access_tokens, oauth_client_secrets, oauth_clients, oauth_used_assertions, orgs,
};
use crate::{EventAction, EventResource};
use crate::{NewEvent, Outcome, Reader, Store, StoreError, TokenAuth};

/// A client secret to store: only its SHA-256 `hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClientSecret {
    pub hash: [u8; 32],
    /// A short, non-secret hint for listings.
    pub hint: String,
    pub expires_at: DateTime<Utc>,
}

/// An OAuth client to create, with its first secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClient {
    pub name: String,
    /// The public client identifier (random, unique).
    pub client_id: String,
    pub secret: NewClientSecret,
}

/// A client secret's metadata (never its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSecretInfo {
    pub id: String,
    pub hint: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// When the token endpoint last accepted it.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A federated credential: client assertions whose `iss`, `sub` and `aud` are these are accepted for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Federation {
    pub issuer: String,
    pub subject: String,
    pub audience: String,
}

/// An OAuth client's metadata, with its secrets' (oldest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    pub id: String,
    pub client_id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub federation: Option<Federation>,
    pub secrets: Vec<ClientSecretInfo>,
}

/// How a client authenticated at the token endpoint, for [`Store::issue_access_token`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientCredential {
    /// A client secret (`client_secret_basic` or `client_secret_post`): its SHA-256.
    Secret([u8; 32]),
    /// A client assertion whose signature, `exp`/`nbf` and claims the caller has verified against the client's
    /// federated credential ([`Store::client_federation`]): the claims it verified with, and the assertion's
    /// `jti` and expiry (how long its `jti` is remembered).
    Assertion {
        federation: Federation,
        jti: String,
        expires_at: DateTime<Utc>,
    },
}

/// An access token to store: only its SHA-256 `hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccessToken {
    pub hash: [u8; 32],
    pub expires_at: DateTime<Utc>,
}

/// Why the token endpoint refused a client. The admin sees it in the event log; the client only ever sees
/// `invalid_client` / `invalid_grant`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenRefusal {
    #[error("unknown client_id")]
    UnknownClient,
    #[error("the client is revoked")]
    RevokedClient,
    #[error("SCIM provisioning is disabled for the organisation")]
    ScimDisabled,
    #[error("wrong client secret")]
    WrongSecret,
    #[error("the client secret has expired")]
    ExpiredSecret,
    #[error("the client has no federated credential")]
    NoFederation,
    #[error("the assertion was verified against a federated credential that has since changed")]
    FederationChanged,
    #[error("the client assertion was already used (replayed jti)")]
    ReplayedAssertion,
}

/// An access token issued by [`Store::issue_access_token`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedAccessToken {
    /// The access token's id.
    pub id: String,
    /// The client's id (not its public `client_id`).
    pub client: String,
}

// ---- rows ----

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = oauth_clients)]
struct ClientRow {
    id: String,
    org: String,
    client_id: String,
    name: String,
    created_at: i64,
    revoked_at: Option<i64>,
    fed_issuer: Option<String>,
    fed_subject: Option<String>,
    fed_audience: Option<String>,
}

impl ClientRow {
    fn federation(&self) -> Option<Federation> {
        match (&self.fed_issuer, &self.fed_subject, &self.fed_audience) {
            (Some(issuer), Some(subject), Some(audience)) => Some(Federation {
                issuer: issuer.clone(),
                subject: subject.clone(),
                audience: audience.clone(),
            }),
            _ => None,
        }
    }

    fn into_info(self, secrets: Vec<ClientSecretInfo>) -> Result<ClientInfo, StoreError> {
        Ok(ClientInfo {
            federation: self.federation(),
            id: self.id,
            client_id: self.client_id,
            name: self.name,
            created_at: from_micros(self.created_at)?,
            revoked_at: from_micros_opt(self.revoked_at)?,
            secrets,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = oauth_client_secrets)]
struct SecretRow {
    id: String,
    client: String,
    org: String,
    hash: Vec<u8>,
    hint: String,
    created_at: i64,
    expires_at: i64,
    last_used_at: Option<i64>,
}

impl SecretRow {
    fn new(org: &str, client: &str, s: &NewClientSecret) -> SecretRow {
        SecretRow {
            id: new_id(),
            client: client.to_string(),
            org: org.to_string(),
            hash: s.hash.to_vec(),
            hint: s.hint.clone(),
            created_at: micros(now()),
            expires_at: micros(s.expires_at),
            last_used_at: None,
        }
    }

    fn info(&self) -> Result<ClientSecretInfo, StoreError> {
        Ok(ClientSecretInfo {
            id: self.id.clone(),
            hint: self.hint.clone(),
            created_at: from_micros(self.created_at)?,
            expires_at: from_micros(self.expires_at)?,
            last_used_at: from_micros_opt(self.last_used_at)?,
        })
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = oauth_access_tokens)]
struct AccessTokenRow {
    id: String,
    client: String,
    org: String,
    hash: Vec<u8>,
    created_at: i64,
    expires_at: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = oauth_used_assertions)]
struct UsedAssertionRow<'a> {
    issuer: &'a str,
    jti: &'a str,
    org: &'a str,
    expires_at: i64,
}

const RESOURCE: EventResource = EventResource::OAuthClient;

fn client_row(conn: &mut DbConn, org: &str, id: &str) -> Result<Option<ClientRow>, StoreError> {
    Ok(oauth_clients::table
        .filter(oauth_clients::id.eq(id))
        .filter(oauth_clients::org.eq(org))
        .select(ClientRow::as_select())
        .get_result(conn)
        .optional()?)
}

fn secrets_of(conn: &mut DbConn, org: &str, client: &str) -> Result<Vec<SecretRow>, StoreError> {
    Ok(oauth_client_secrets::table
        .filter(oauth_client_secrets::org.eq(org))
        .filter(oauth_client_secrets::client.eq(client))
        .order((
            oauth_client_secrets::created_at.asc(),
            oauth_client_secrets::id.asc(),
        ))
        .select(SecretRow::as_select())
        .load(conn)?)
}

fn info_of(conn: &mut DbConn, row: ClientRow) -> Result<ClientInfo, StoreError> {
    let secrets = secrets_of(conn, &row.org, &row.id)?;
    row.into_info(
        secrets
            .iter()
            .map(SecretRow::info)
            .collect::<Result<_, _>>()?,
    )
}

fn refusal_event(actor: &str, client: Option<&str>, detail: String) -> NewEvent {
    NewEvent {
        actor: actor.to_string(),
        action: EventAction::TokenRefused,
        resource_type: Some(RESOURCE),
        resource_id: client.map(str::to_string),
        outcome: Outcome::Refused,
        detail,
    }
}

/// The actor of the token endpoint's events: `client:<public client_id>`.
fn client_actor(client_id: &str) -> String {
    ["client:", client_id].concat()
}

/// The live access token with this hash (not expired, its client not revoked) with its organisation: one
/// statement, like `tokens::authenticate`.
fn authenticate_access_token(
    conn: &mut DbConn,
    hash: &[u8; 32],
    now: DateTime<Utc>,
) -> Result<Option<TokenAuth>, StoreError> {
    let now = micros(now);
    let found = on_inner!(conn, |c| oauth_access_tokens::table
        .inner_join(oauth_clients::table.inner_join(orgs::table))
        .filter(oauth_access_tokens::hash.eq(&hash[..]))
        .filter(oauth_access_tokens::expires_at.gt(now))
        .filter(oauth_clients::revoked_at.is_null())
        .select((oauth_clients::client_id, OrgRow::as_select()))
        .get_result::<(String, OrgRow)>(c)
        .optional())?;
    found
        .map(|(client, org)| {
            Ok(TokenAuth {
                token_id: client,
                org: org.into_org()?,
            })
        })
        .transpose()
}

impl Reader {
    /// The live OAuth access token with this SHA-256 hash (not expired at `now`, its client not revoked), with
    /// its organisation; `token_id` is the client's public `client_id` (the actor of its requests). One indexed
    /// statement, every request: a revocation is seen at once. Whether the organisation has SCIM enabled is the
    /// caller's to check, as for SCIM tokens.
    pub fn authenticate_access_token(
        &mut self,
        hash: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Option<TokenAuth>, StoreError> {
        authenticate_access_token(&mut self.conn, hash, now)
    }
}

impl Store {
    /// Creates an OAuth client of `org` with its first secret (only hashes stored) and logs `client_created`.
    /// [`StoreError::NotFound`] if the organisation does not exist.
    pub fn create_client(
        &self,
        org: &str,
        c: &NewClient,
        actor: &str,
    ) -> Result<ClientInfo, StoreError> {
        let mut conn = self.inner.write()?;
        write_txn(&mut conn, |conn| {
            crate::orgs::require(conn, org)?;
            let row = ClientRow {
                id: new_id(),
                org: org.to_string(),
                client_id: c.client_id.clone(),
                name: c.name.clone(),
                created_at: micros(now()),
                revoked_at: None,
                fed_issuer: None,
                fed_subject: None,
                fed_audience: None,
            };
            diesel::insert_into(oauth_clients::table)
                .values(&row)
                .execute(conn)?;
            let secret = SecretRow::new(org, &row.id, &c.secret);
            diesel::insert_into(oauth_client_secrets::table)
                .values(&secret)
                .execute(conn)?;
            let detail = format!(
                "OAuth client \"{}\" ({}) created, secret {} expires {}",
                row.name,
                row.client_id,
                secret.hint,
                c.secret.expires_at.to_rfc3339()
            );
            log(
                conn,
                org,
                &change(actor, EventAction::ClientCreated, RESOURCE, &row.id, detail),
            )?;
            row.into_info(vec![secret.info()?])
        })
    }

    /// The organisation's OAuth clients (revoked ones included), newest first, with their secrets' metadata.
    pub fn clients(&self, org: &str) -> Result<Vec<ClientInfo>, StoreError> {
        let mut conn = self.inner.read()?;
        read_txn(&mut conn, |conn| {
            let rows = oauth_clients::table
                .filter(oauth_clients::org.eq(org))
                .order((oauth_clients::created_at.desc(), oauth_clients::id.desc()))
                .select(ClientRow::as_select())
                .load(conn)?;
            let mut secrets = oauth_client_secrets::table
                .filter(oauth_client_secrets::org.eq(org))
                .order((
                    oauth_client_secrets::created_at.asc(),
                    oauth_client_secrets::id.asc(),
                ))
                .select(SecretRow::as_select())
                .load(conn)?;
            rows.into_iter()
                .map(|row| {
                    let (mine, rest) = std::mem::take(&mut secrets)
                        .into_iter()
                        .partition::<Vec<_>, _>(|s| s.client == row.id);
                    secrets = rest;
                    row.into_info(mine.iter().map(SecretRow::info).collect::<Result<_, _>>()?)
                })
                .collect()
        })
    }

    /// OAuth client `id` of `org`, if any.
    pub fn client(&self, org: &str, id: &str) -> Result<Option<ClientInfo>, StoreError> {
        let mut conn = self.inner.read()?;
        read_txn(&mut conn, |conn| {
            client_row(conn, org, id)?
                .map(|row| info_of(conn, row))
                .transpose()
        })
    }

    /// Adds a live secret to client `id` of `org` (rotation) and logs `secret_added`. `None`: no such client,
    /// or it is revoked.
    pub fn add_client_secret(
        &self,
        org: &str,
        id: &str,
        s: &NewClientSecret,
        actor: &str,
    ) -> Result<Option<ClientSecretInfo>, StoreError> {
        let mut conn = self.inner.write()?;
        write_txn(&mut conn, |conn| {
            let Some(client) = client_row(conn, org, id)?.filter(|c| c.revoked_at.is_none()) else {
                return Ok(None);
            };
            let secret = SecretRow::new(org, id, s);
            diesel::insert_into(oauth_client_secrets::table)
                .values(&secret)
                .execute(conn)?;
            let detail = format!(
                "OAuth client \"{}\" ({}): secret {} added, expires {}",
                client.name,
                client.client_id,
                secret.hint,
                s.expires_at.to_rfc3339()
            );
            log(
                conn,
                org,
                &change(actor, EventAction::SecretAdded, RESOURCE, id, detail),
            )?;
            Ok(Some(secret.info()?))
        })
    }

    /// Removes secret `secret_id` of client `id` of `org` (it stops working at once; access tokens already
    /// issued with it live on until they expire) and logs `secret_removed`; `false` if there is no such secret.
    pub fn remove_client_secret(
        &self,
        org: &str,
        id: &str,
        secret_id: &str,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let mut conn = self.inner.write()?;
        write_txn(&mut conn, |conn| {
            let Some(client) = client_row(conn, org, id)? else {
                return Ok(false);
            };
            let secret = oauth_client_secrets::table
                .filter(oauth_client_secrets::id.eq(secret_id))
                .filter(oauth_client_secrets::client.eq(id))
                .filter(oauth_client_secrets::org.eq(org))
                .select(SecretRow::as_select())
                .get_result(conn)
                .optional()?;
            let Some(secret) = secret else {
                return Ok(false);
            };
            diesel::delete(oauth_client_secrets::table.find(secret_id)).execute(conn)?;
            let detail = format!(
                "OAuth client \"{}\" ({}): secret {} removed",
                client.name, client.client_id, secret.hint
            );
            log(
                conn,
                org,
                &change(actor, EventAction::SecretRemoved, RESOURCE, id, detail),
            )?;
            Ok(true)
        })
    }

    /// Revokes client `id` of `org`: its secrets and federated credential stop working and every access token
    /// it got is refused from the next request on (they are also deleted). Logs `client_revoked`; `false` if
    /// there is no such client; revoking again is `true` and keeps the first time.
    pub fn revoke_client(&self, org: &str, id: &str, actor: &str) -> Result<bool, StoreError> {
        let mut conn = self.inner.write()?;
        write_txn(&mut conn, |conn| {
            let Some(client) = client_row(conn, org, id)? else {
                return Ok(false);
            };
            if client.revoked_at.is_none() {
                diesel::update(oauth_clients::table.find(id))
                    .set(oauth_clients::revoked_at.eq(micros(now())))
                    .execute(conn)?;
                diesel::delete(
                    oauth_access_tokens::table
                        .filter(oauth_access_tokens::org.eq(org))
                        .filter(oauth_access_tokens::client.eq(id)),
                )
                .execute(conn)?;
                let detail = format!(
                    "OAuth client \"{}\" ({}) revoked",
                    client.name, client.client_id
                );
                log(
                    conn,
                    org,
                    &change(actor, EventAction::ClientRevoked, RESOURCE, id, detail),
                )?;
            }
            Ok(true)
        })
    }

    /// Sets (`Some`) or removes (`None`) the federated credential of client `id` of `org` and logs
    /// `federation_set` / `federation_removed`. `false`: no such client, or it is revoked.
    pub fn set_client_federation(
        &self,
        org: &str,
        id: &str,
        federation: Option<&Federation>,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let mut conn = self.inner.write()?;
        write_txn(&mut conn, |conn| {
            let Some(client) = client_row(conn, org, id)?.filter(|c| c.revoked_at.is_none()) else {
                return Ok(false);
            };
            diesel::update(oauth_clients::table.find(id))
                .set((
                    oauth_clients::fed_issuer.eq(federation.map(|f| f.issuer.as_str())),
                    oauth_clients::fed_subject.eq(federation.map(|f| f.subject.as_str())),
                    oauth_clients::fed_audience.eq(federation.map(|f| f.audience.as_str())),
                ))
                .execute(conn)?;
            let (action, detail) = match federation {
                Some(f) => (
                    EventAction::FederationSet,
                    format!(
                        "OAuth client \"{}\" ({}): accepts client assertions from issuer {}, subject {}, \
                         audience {}",
                        client.name, client.client_id, f.issuer, f.subject, f.audience
                    ),
                ),
                None => (
                    EventAction::FederationRemoved,
                    format!(
                        "OAuth client \"{}\" ({}): federated credential removed",
                        client.name, client.client_id
                    ),
                ),
            };
            log(conn, org, &change(actor, action, RESOURCE, id, detail))?;
            Ok(true)
        })
    }

    /// The federated credential of the live client with public id `client_id` in `org`, to verify a client
    /// assertion against before [`Store::issue_access_token`]. `None`: no such live client or no credential.
    pub fn client_federation(
        &self,
        org: &str,
        client_id: &str,
    ) -> Result<Option<Federation>, StoreError> {
        let mut conn = self.inner.read()?;
        read_txn(&mut conn, |conn| {
            let row = oauth_clients::table
                .filter(oauth_clients::client_id.eq(client_id))
                .filter(oauth_clients::org.eq(org))
                .filter(oauth_clients::revoked_at.is_null())
                .select(ClientRow::as_select())
                .get_result(conn)
                .optional()?;
            Ok(row.and_then(|r| r.federation()))
        })
    }

    /// Logs a refusal of the token endpoint that the store did not decide (a client assertion whose signature
    /// or claims did not verify): `token_refused` with `reason`, if `org` exists.
    pub fn record_token_refusal(
        &self,
        org: &str,
        client_id: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        let mut conn = self.inner.write()?;
        write_txn(&mut conn, |conn| {
            if crate::orgs::find(conn, org)?.is_none() {
                return Ok(());
            }
            let client = oauth_clients::table
                .filter(oauth_clients::client_id.eq(client_id))
                .filter(oauth_clients::org.eq(org))
                .select(oauth_clients::id)
                .get_result::<String>(conn)
                .optional()?;
            let detail = format!("no access token for client {client_id}: {reason}");
            log(
                conn,
                org,
                &refusal_event(&client_actor(client_id), client.as_deref(), detail),
            )
        })
    }

    /// The token endpoint's decision, in ONE write transaction: the client `client_id` of `org` must be live
    /// (and SCIM enabled), the credential valid (a secret of this client, not expired at `now`; or an assertion
    /// verified against the client's current federated credential whose `jti` was not used before); then the
    /// access token is stored. Logs `token_issued`, or `token_refused` with the reason (when `org` exists).
    /// Expired access tokens and remembered assertions are pruned on the way.
    pub fn issue_access_token(
        &self,
        org: &str,
        client_id: &str,
        credential: &ClientCredential,
        token: &NewAccessToken,
        now: DateTime<Utc>,
    ) -> Result<Result<IssuedAccessToken, TokenRefusal>, StoreError> {
        let mut conn = self.inner.write()?;
        write_txn(&mut conn, |conn| {
            let Some(org_row) = crate::orgs::find(conn, org)? else {
                return Ok(Err(TokenRefusal::UnknownClient));
            };
            let decided = decide(conn, org, org_row.scim_enabled, client_id, credential, now)?;
            let actor = client_actor(client_id);
            match decided {
                Err((refusal, client)) => {
                    let detail = format!("no access token for client {client_id}: {refusal}");
                    log(conn, org, &refusal_event(&actor, client.as_deref(), detail))?;
                    Ok(Err(refusal))
                }
                Ok((client, how)) => {
                    let now_us = micros(now);
                    diesel::delete(
                        oauth_access_tokens::table
                            .filter(oauth_access_tokens::org.eq(org))
                            .filter(oauth_access_tokens::expires_at.le(now_us)),
                    )
                    .execute(conn)?;
                    let row = AccessTokenRow {
                        id: new_id(),
                        client: client.clone(),
                        org: org.to_string(),
                        hash: token.hash.to_vec(),
                        created_at: now_us,
                        expires_at: micros(token.expires_at),
                    };
                    diesel::insert_into(oauth_access_tokens::table)
                        .values(&row)
                        .execute(conn)?;
                    let detail = format!(
                        "access token issued to client {client_id} ({how}), expires {}",
                        token.expires_at.to_rfc3339()
                    );
                    log(
                        conn,
                        org,
                        &change(&actor, EventAction::TokenIssued, RESOURCE, &client, detail),
                    )?;
                    Ok(Ok(IssuedAccessToken { id: row.id, client }))
                }
            }
        })
    }
}

/// The client (id) and how it authenticated, or why not (with the client's id when it exists).
type Decision = Result<(String, String), (TokenRefusal, Option<String>)>;

fn decide(
    conn: &mut DbConn,
    org: &str,
    scim_enabled: bool,
    client_id: &str,
    credential: &ClientCredential,
    now: DateTime<Utc>,
) -> Result<Decision, StoreError> {
    let client = oauth_clients::table
        .filter(oauth_clients::client_id.eq(client_id))
        .filter(oauth_clients::org.eq(org))
        .select(ClientRow::as_select())
        .get_result(conn)
        .optional()?;
    let Some(client) = client else {
        return Ok(Err((TokenRefusal::UnknownClient, None)));
    };
    let refuse = |r: TokenRefusal| Ok(Err((r, Some(client.id.clone()))));
    if client.revoked_at.is_some() {
        return refuse(TokenRefusal::RevokedClient);
    }
    // Checked after the credential: only an authenticated client learns that SCIM is disabled.
    let granted = |client: String, how: String| {
        if scim_enabled {
            Ok(Ok((client, how)))
        } else {
            Ok(Err((TokenRefusal::ScimDisabled, Some(client))))
        }
    };
    let now_us = micros(now);
    match credential {
        ClientCredential::Secret(hash) => {
            let secret = oauth_client_secrets::table
                .filter(oauth_client_secrets::hash.eq(&hash[..]))
                .filter(oauth_client_secrets::client.eq(&client.id))
                .filter(oauth_client_secrets::org.eq(org))
                .select(SecretRow::as_select())
                .get_result(conn)
                .optional()?;
            let Some(secret) = secret else {
                return refuse(TokenRefusal::WrongSecret);
            };
            if secret.expires_at <= now_us {
                return refuse(TokenRefusal::ExpiredSecret);
            }
            diesel::update(oauth_client_secrets::table.find(&secret.id))
                .set(oauth_client_secrets::last_used_at.eq(now_us))
                .execute(conn)?;
            granted(client.id, format!("client secret {}", secret.hint))
        }
        ClientCredential::Assertion {
            federation,
            jti,
            expires_at,
        } => {
            match client.federation() {
                None => return refuse(TokenRefusal::NoFederation),
                Some(f) if f != *federation => return refuse(TokenRefusal::FederationChanged),
                Some(_) => {}
            }
            diesel::delete(
                oauth_used_assertions::table.filter(oauth_used_assertions::expires_at.lt(now_us)),
            )
            .execute(conn)?;
            // ON CONFLICT DO NOTHING: a unique violation would abort a PostgreSQL transaction, and the refusal
            // must still be logged in it. Two concurrent exchanges of one assertion: one inserts, one sees 0.
            let row = UsedAssertionRow {
                issuer: &federation.issuer,
                jti,
                org,
                expires_at: micros(*expires_at).max(now_us),
            };
            let inserted = on_inner!(conn, |c| diesel::insert_into(oauth_used_assertions::table)
                .values(&row)
                .on_conflict_do_nothing()
                .execute(c))?;
            if inserted == 0 {
                return refuse(TokenRefusal::ReplayedAssertion);
            }
            granted(
                client.id,
                format!("client assertion from {}", federation.issuer),
            )
        }
    }
}
