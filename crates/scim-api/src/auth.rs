//! Organisation-token authentication of SCIM requests.
//!
//! The [`Caller`] extractor reads `Authorization: Bearer <token>` and checks the token's format and checksum
//! ([`scim_core::token::parse`]): a missing or malformed token is a `401` without a database query. The
//! database look-up happens in [`Caller::run`], on the same blocking thread as the operation itself, so that
//! an authenticated request costs one hop to the blocking pool (read-only operations use [`Caller::run_read`]:
//! one read connection for both, and for a look-up by key on SQLite no hop at all): the live token (not revoked, not expired) is
//! found by its SHA-256 hash on every request, its organisation must be the URL's `{org}` and have SCIM
//! enabled, and only then does the operation run. Every failure is the same `401`, which says nothing about
//! other organisations.
//!
//! The credential is an organisation's SCIM token or an OAuth access token from the organisation's token
//! endpoint ([`crate::routes::oauth`]): both have the same shape and differ by prefix, which decides once, in
//! [`bearer_credential`], which table looks it up ([`Credential`]); after that both are treated alike.
//!
//! The token's last use is noted in memory ([`crate::state::TokenUses`]) and flushed in batches; a refusal
//! of an authenticated request (any 4xx) is written to the organisation's provisioning event log.

use std::future::{ready, Ready};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, ResponseError};
use chrono::{DateTime, Utc};
use humbol_store::{
    Backend, EventAction, EventResource, NewEvent, Org, Outcome, Page, Query, Reader, Store,
    StoreError, TokenAuth,
};
use scim_core::resource::User;
use scim_core::token;

use crate::config::Config;
use crate::error::ApiError;
use crate::lookups::Found;
use crate::state::AppState;

/// The detail of every 401 after the format check: the same whatever the reason (unknown, revoked or expired
/// token, another organisation's token, unknown organisation).
const NOT_VALID_HERE: &str = "the bearer token is not valid for this SCIM endpoint";

/// An authenticated organisation, as the operation in [`Caller::run`] sees it.
pub struct Tenant<'a> {
    pub store: &'a Store,
    pub config: &'a Config,
    pub org: &'a Org,
    /// Who acts, for the event log: `token:<token id>`.
    pub actor: &'a str,
}

impl Tenant<'_> {
    /// The organisation's SCIM base URL, e.g. `https://humbol.example/scim/v2/orgs/acme`.
    pub fn base_url(&self) -> String {
        self.config.org_base_url(&self.org.slug)
    }

    /// The absolute URL of a resource: `{base}/{endpoint}/{id}`, e.g. `.../Users/2819c223`.
    pub fn location(&self, endpoint: &str, id: &str) -> String {
        [self.base_url().as_str(), "/", endpoint, "/", id].concat()
    }
}

/// A well-formed bearer credential: the SHA-256 by which the store knows it, and which kind it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Credential {
    /// An organisation's SCIM token (`humbol_scim_`).
    ScimToken([u8; 32]),
    /// An OAuth access token (`humbol_at_`).
    AccessToken([u8; 32]),
}

/// A SCIM request with a well-formed bearer token, not yet checked against the database.
pub struct Caller {
    state: web::Data<AppState>,
    org: String,
    credential: Credential,
    /// `METHOD /path` (no query string), for refusal events.
    request_line: String,
    /// `User` / `Group` when the path names one, for refusal events.
    resource_type: Option<EventResource>,
    resource_id: Option<String>,
    /// The live credential [`authenticate_before_body`] found, when it ran.
    found_before_body: Option<TokenAuth>,
}

/// What [`authenticate_before_body`] found, for the [`Caller`] of the same request.
#[derive(Clone)]
struct FoundBeforeBody(TokenAuth);

/// Middleware of the tenant scope: a request that carries a body (POST, PUT, PATCH) is authenticated against
/// the database BEFORE its body is read, so that a client without a live credential of this organisation never
/// makes the server hold a body (a well-formed token is easy to forge: its checksum is public). The refusal is
/// the same `401` as [`Caller`]'s, and closes the connection (the unread body cannot be skipped). What was found
/// is handed to the request's [`Caller`], so that a write looks its token up once. The token endpoint
/// (`/oauth/token`), whose body is the credential, passes through.
pub async fn authenticate_before_body<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let writes = matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH);
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let (Some(state), true) = (state, writes && !req.path().ends_with("/oauth/token")) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let org = req.match_info().get("org").unwrap_or_default().to_string();
    let found = match bearer_credential(req.request()) {
        Ok(credential) => {
            let local = match credential {
                // SQLite: a token is found by a local indexed read, cheaper than a hop to a blocking thread (as
                // a read by key: `Caller::run_read`); on an idle read connection only, never waiting for one.
                Credential::ScimToken(hash) => state
                    .store
                    .try_local_reader()
                    .map(|mut reader| reader.authenticate(&hash, Utc::now())),
                Credential::AccessToken(_) => None,
            };
            let lookup = match local {
                Some(found) => found.map_err(ApiError::from),
                None => {
                    let store = state.store.clone();
                    humbol_ops::store_call::block(&state.store, move || {
                        lookup_credential(&store, credential, Utc::now()).map_err(ApiError::from)
                    })
                    .await
                }
            };
            match lookup {
                Ok(Some(auth)) if auth.org.slug == org => Ok(auth),
                Ok(Some(_)) => {
                    auth_failure("other_organisation");
                    Err(ApiError::unauthorized(NOT_VALID_HERE))
                }
                Ok(None) => {
                    auth_failure("unknown_or_revoked");
                    Err(ApiError::unauthorized(NOT_VALID_HERE))
                }
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    };
    match found {
        Ok(auth) => {
            req.extensions_mut().insert(FoundBeforeBody(auth));
            Ok(next.call(req).await?.map_into_left_body())
        }
        Err(e) => {
            let mut res = e.error_response();
            res.head_mut()
                .set_connection_type(actix_web::http::ConnectionType::Close);
            Ok(req.into_response(res).map_into_right_body())
        }
    }
}

/// The live credential (with its organisation) of `credential`, looked up in its own table.
fn lookup_credential(
    store: &Store,
    credential: Credential,
    now: DateTime<Utc>,
) -> Result<Option<TokenAuth>, StoreError> {
    match credential {
        Credential::ScimToken(hash) => store.authenticate(&hash, now),
        Credential::AccessToken(hash) => store
            .reader()
            .and_then(|mut reader| reader.authenticate_access_token(&hash, now)),
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Caller::new(req))
    }
}

impl Caller {
    fn new(req: &HttpRequest) -> Result<Caller, ApiError> {
        let state = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| {
                log::error!("application state missing");
                ApiError(scim_core::ScimError::internal("internal error"))
            })?;
        let org = req.match_info().get("org").unwrap_or_default().to_string();
        let credential = bearer_credential(req)?;
        let path = req.path();
        // `/scim/v2/orgs/{org}/{endpoint}/...`
        let resource_type = match path.split('/').nth(5) {
            Some("Users") => Some(EventResource::User),
            Some("Groups") => Some(EventResource::Group),
            _ => None,
        };
        Ok(Caller {
            state,
            org,
            credential,
            request_line: [req.method().as_str(), " ", path].concat(),
            resource_type,
            resource_id: req.match_info().get("id").map(str::to_string),
            found_before_body: req
                .extensions()
                .get::<FoundBeforeBody>()
                .map(|f| f.0.clone()),
        })
    }

    /// The service's configuration (e.g. to read a request's parameters before authenticating it).
    pub fn config(&self) -> &Config {
        &self.state.config
    }

    /// Authenticates the request against the database, then runs `op` for its organisation, both on one
    /// blocking thread. A 4xx from `op` is recorded in the organisation's event log (best effort).
    pub async fn run<T, F>(self, op: F) -> Result<T, ApiError>
    where
        F: FnOnce(&Tenant<'_>) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let store = self.state.store.clone();
        humbol_ops::store_call::block(&store, move || {
            let now = Utc::now();
            let found = match &self.found_before_body {
                // Checked moments ago, before the body was read.
                Some(auth) => Ok(Some(auth.clone())),
                None => lookup_credential(&self.state.store, self.credential, now),
            };
            let outcome = self.authorize_then(found, now, op);
            self.settle(outcome)
        })
        .await
    }

    /// Like [`Caller::run`], for an operation that only reads: the token check and `op` share one read
    /// connection. A `by_key` read (one user by id, [`humbol_store::Query::is_user_key_lookup`]) on SQLite,
    /// when a read connection is free, runs right here on the async worker ([`Store::try_local_reader`]: a
    /// local look-up costs less than the hop to a blocking thread); any other read, and every read on
    /// PostgreSQL, on a blocking thread. The token is checked against the database either way, so a revocation
    /// takes effect on the very next request. Recording a refusal (a write) never runs on the worker.
    pub async fn run_read<T, F>(self, by_key: bool, op: F) -> Result<T, ApiError>
    where
        F: FnOnce(&Tenant<'_>, &mut Reader) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.on_reader(by_key, move |caller, reader| {
            let now = Utc::now();
            // The token check and the operation's reads: one snapshot (on SQLite, one round of WAL locking).
            reader.snapshot(|reader| {
                let found = caller.authenticate(reader, now);
                caller.authorize_then(found, now, |tenant| op(tenant, reader))
            })
        })
        .await
    }

    /// Entra's look-up before every create or update (`GET /Users?filter=userName eq ".."`): the token check
    /// and the look-up in ONE statement ([`Reader::authenticate_and_list_users`]), where [`Caller::run_read`]
    /// takes two; then `render` makes the reply from the page. Same rules: the token must be live and this
    /// organisation's, SCIM enabled; the page is used only then. On PostgreSQL a look-up by key waits for the
    /// next batch of look-ups ([`crate::lookups`]): one hop and one round trip for many requests.
    pub async fn run_user_lookup<T, F>(self, query: Query, render: F) -> Result<T, ApiError>
    where
        F: FnOnce(&Tenant<'_>, Page<User>) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let by_key = query.is_user_key_lookup();
        let token_hash = match self.credential {
            Credential::ScimToken(hash) => hash,
            // The one-statement look-up joins the SCIM tokens' table: an access token takes the two steps.
            Credential::AccessToken(_) => {
                return self
                    .run_read(by_key, move |tenant, reader| {
                        let page = reader.list_users(&tenant.org.slug, &query)?;
                        render(tenant, page)
                    })
                    .await
            }
        };
        if by_key && self.state.store.backend() == Backend::Postgres {
            let batch = self.state.lookups.find(token_hash, query);
            let found = humbol_ops::store_call::bounded(&self.state.store, batch)
                .await
                .and_then(|found| found);
            let outcome = self.authorize_page(found, render);
            return self.settle_on_worker(outcome).await;
        }
        self.on_reader(by_key, move |caller, reader| {
            let found = reader.authenticate_and_list_users(&token_hash, Utc::now(), &query);
            caller.authorize_page(found, render)
        })
        .await
    }

    /// The live credential (with its organisation) that the request carries, looked up in its own table.
    fn authenticate(
        &self,
        reader: &mut Reader,
        now: DateTime<Utc>,
    ) -> Result<Option<TokenAuth>, StoreError> {
        match &self.credential {
            Credential::ScimToken(hash) => reader.authenticate(hash, now),
            Credential::AccessToken(hash) => reader.authenticate_access_token(hash, now),
        }
    }

    /// [`Caller::authorize_then`] for what a look-up found: `render` gets the page only when the token is
    /// this organisation's.
    fn authorize_page<T>(
        &self,
        found: Found,
        render: impl FnOnce(&Tenant<'_>, Page<User>) -> Result<T, ApiError>,
    ) -> Result<T, Failure> {
        let (found, page) = match found {
            Ok(Some((auth, page))) => (Ok(Some(auth)), page),
            Ok(None) => (Ok(None), Page::default()),
            Err(e) => (Err(e), Page::default()),
        };
        self.authorize_then(found, Utc::now(), |tenant| render(tenant, page))
    }

    /// Runs `work` with a read connection: on this async worker when `local_ok` and SQLite has one idle (see
    /// [`Caller::run_read`]), else on a blocking thread; then settles its outcome (records a refusal).
    async fn on_reader<T, W>(self, local_ok: bool, work: W) -> Result<T, ApiError>
    where
        W: FnOnce(&Caller, &mut Reader) -> Result<T, Failure> + Send + 'static,
        T: Send + 'static,
    {
        let local = if local_ok {
            self.state.store.try_local_reader()
        } else {
            None
        };
        if let Some(mut reader) = local {
            let outcome = work(&self, &mut reader);
            drop(reader);
            // Let the worker's other ready requests run before this reply is sent: under load the replies then
            // leave in a burst, and a client asleep in `epoll_wait` is woken once per burst instead of once per
            // reply (on this VM a cross-CPU wake-up cost the server about as much as the look-up's SQLite
            // statement; see docs/benchmarks.md). With nothing else ready it resumes at once.
            actix_web::rt::task::yield_now().await;
            return self.settle_on_worker(outcome).await;
        }
        let store = self.state.store.clone();
        humbol_ops::store_call::block(&store, move || {
            let outcome = match self.state.store.reader() {
                Ok(mut reader) => work(&self, &mut reader),
                Err(e) => Err(ApiError::from(e).into()),
            };
            self.settle(outcome)
        })
        .await
    }

    /// [`Caller::settle`] from the async worker: only a refusal to record takes a hop to a blocking thread.
    async fn settle_on_worker<T: Send + 'static>(
        self,
        outcome: Result<T, Failure>,
    ) -> Result<T, ApiError> {
        match outcome {
            Ok(value) => Ok(value),
            Err(Failure { error, event: None }) => Err(error),
            Err(failure) => {
                let store = self.state.store.clone();
                humbol_ops::store_call::block(&store, move || self.settle::<T>(Err(failure))).await
            }
        }
    }

    /// Checks the token found by its hash (live, this URL's organisation, SCIM enabled), notes its use, then
    /// runs `op`. A refusal from `op` comes back with the event to record.
    fn authorize_then<T>(
        &self,
        found: Result<Option<TokenAuth>, StoreError>,
        now: DateTime<Utc>,
        op: impl FnOnce(&Tenant<'_>) -> Result<T, ApiError>,
    ) -> Result<T, Failure> {
        let state = &*self.state;
        let auth = found.map_err(ApiError::from)?.ok_or_else(|| {
            auth_failure("unknown_or_revoked");
            ApiError::unauthorized(NOT_VALID_HERE)
        })?;
        if auth.org.slug != self.org {
            auth_failure("other_organisation");
            return Err(ApiError::unauthorized(NOT_VALID_HERE).into());
        }
        let kind = match self.credential {
            Credential::ScimToken(_) => {
                state.token_uses.record(&auth.token_id, now);
                "token:"
            }
            // Its client's id: an access token's use is its issue, logged by the token endpoint.
            Credential::AccessToken(_) => "client:",
        };
        if !auth.org.scim_enabled {
            auth_failure("scim_disabled");
            // The token is this organisation's own: saying why is safe.
            return Err(ApiError::unauthorized(
                "SCIM provisioning is disabled for this organisation",
            )
            .into());
        }
        let actor = [kind, auth.token_id.as_str()].concat();
        let tenant = Tenant {
            store: &state.store,
            config: &state.config,
            org: &auth.org,
            actor: &actor,
        };
        op(&tenant).map_err(|error| {
            let event = error
                .is_refusal()
                .then(|| Box::new(self.refusal_event(&tenant, &error)));
            Failure { error, event }
        })
    }

    /// The result of an operation, once its refusal (if any) is in the event log. Blocking (a write).
    fn settle<T>(&self, outcome: Result<T, Failure>) -> Result<T, ApiError> {
        let Failure { error, event } = match outcome {
            Ok(value) => return Ok(value),
            Err(failure) => failure,
        };
        if let Some(refusal) = event {
            let (org, event) = *refusal;
            // Best effort: a failure to record is logged, never returned.
            if let Err(err) = self.state.store.record_event(&org, &event) {
                log::warn!(
                    "could not record a refusal in the event log: {}",
                    err.report()
                );
            }
        }
        Err(error)
    }

    /// The `refused` event of an authenticated request, with its organisation.
    fn refusal_event(&self, tenant: &Tenant<'_>, e: &ApiError) -> (String, NewEvent) {
        let scim = e.scim();
        let scim_type = scim
            .scim_type
            .map(|t| format!(" {}", t.as_str()))
            .unwrap_or_default();
        let event = NewEvent {
            actor: tenant.actor.to_string(),
            action: EventAction::Refused,
            resource_type: self.resource_type,
            resource_id: self.resource_id.clone(),
            outcome: Outcome::Refused,
            detail: format!(
                "{}: {}{scim_type}: {}",
                self.request_line, scim.status, scim.detail
            ),
        };
        (tenant.org.slug.clone(), event)
    }
}

/// Why an authenticated operation did not succeed: the error to answer with and, for a refusal of an
/// authenticated request, the event to record (organisation, event; boxed: the rare case stays off the
/// common path's stack).
struct Failure {
    error: ApiError,
    event: Option<Box<(String, NewEvent)>>,
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        Failure { error, event: None }
    }
}

/// Counts a refused SCIM credential in the metrics, by a fixed reason.
fn auth_failure(reason: &'static str) {
    humbol_ops::auth_failure(humbol_ops::Api::Scim, reason);
}

/// The request's bearer credential, if it has one of the right format; else a `401`.
fn bearer_credential(req: &HttpRequest) -> Result<Credential, ApiError> {
    bearer_credential_inner(req).inspect_err(|_| auth_failure("malformed"))
}

fn bearer_credential_inner(req: &HttpRequest) -> Result<Credential, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing Authorization: Bearer token"))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::unauthorized("the Authorization header is not a bearer token"))?;
    let (scheme, credentials) = value
        .trim()
        .split_once(' ')
        .ok_or_else(|| ApiError::unauthorized("the Authorization header is not a bearer token"))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::unauthorized(
            "the Authorization header is not a bearer token",
        ));
    }
    let credentials = credentials.trim();
    // The prefix names the table that knows the credential, so a SCIM token keeps its one look-up.
    let parsed = if credentials.starts_with(token::ACCESS_TOKEN_PREFIX) {
        token::parse_with_prefix(token::ACCESS_TOKEN_PREFIX, credentials)
            .map(Credential::AccessToken)
    } else {
        token::parse(credentials).map(Credential::ScimToken)
    };
    parsed.map_err(|_| {
        ApiError::unauthorized("the bearer token is not a well-formed Humbol SCIM or access token")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn with_auth(value: &str) -> HttpRequest {
        TestRequest::get()
            .insert_header((header::AUTHORIZATION, value))
            .to_http_request()
    }

    #[test]
    fn well_formed_tokens_are_hashed_without_a_database() {
        let t = token::from_random_bytes(&[7; token::RANDOM_BYTES]);
        let found = bearer_credential(&with_auth(&format!("Bearer {}", t.secret))).unwrap();
        assert_eq!(found, Credential::ScimToken(t.hash));
        let found = bearer_credential(&with_auth(&format!("bearer  {} ", t.secret))).unwrap();
        assert_eq!(found, Credential::ScimToken(t.hash));
        let at = token::from_random_bytes_with_prefix(
            token::ACCESS_TOKEN_PREFIX,
            &[7; token::RANDOM_BYTES],
        );
        let found = bearer_credential(&with_auth(&format!("Bearer {}", at.secret))).unwrap();
        assert_eq!(found, Credential::AccessToken(at.hash));
    }

    #[test]
    fn missing_or_malformed_tokens_are_401() {
        let t = token::from_random_bytes(&[7; token::RANDOM_BYTES]);
        let typo = t.secret.replace(&t.secret[20..21], "_");
        for value in [
            "Basic dXNlcjpwYXNz".to_string(),
            "Bearer".to_string(),
            format!("Bearer {typo}"),
            format!("Token {}", t.secret),
        ] {
            let e = bearer_credential(&with_auth(&value)).unwrap_err();
            assert_eq!(e.status(), 401, "{value}");
            assert!(!e.scim().detail.contains(&t.secret[14..]));
        }
        let e = bearer_credential(&TestRequest::get().to_http_request()).unwrap_err();
        assert_eq!(e.status(), 401);
    }
}
