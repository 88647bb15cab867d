//! The HTTP edge both APIs share: what every request meets before a handler (and before any database work).
//!
//! - **Connections per client address** ([`Limits::max_connections_per_address`]): counted from the moment a
//!   connection is accepted ([`Edge::on_connect`]) until it closes; a request on a connection beyond the cap
//!   gets `429` and the connection is closed.
//! - **Whole-body deadline** ([`Limits::body_timeout`]): a request body must arrive in full within it, however
//!   slowly its bytes trickle in; past it the body's stream fails (the API answers `408`) and the connection is
//!   closed. With the body size limit and the connection cap this bounds what one address can make the
//!   process hold.
//! - **Rate limits** (GCRA, [`governor`]), on the API routes (`/scim/...`, `/api/...`; never the health checks
//!   or `/metrics`): per client address (every request, counted before it runs); per organisation (the
//!   `{org}` of the path; only requests whose credential was not refused are counted, so that nobody can use
//!   up a tenant's budget with forged tokens); and refused credentials (`401`) per client address, counted
//!   after the fact: an address past that budget gets `429` for every request **before** any database work.
//!   A `429` carries `Retry-After` (seconds) and the `RateLimit` / `RateLimit-Policy` fields of the IETF
//!   draft (`"org";r=0;t=3`, `"org";q=2000;w=1`).
//! - **No control characters in the request line**: a path or query string whose decoded text holds U+0000
//!   to U+001F or U+007F (`%00`, `%0A`, ...) gets `400` before it is routed. Such a character has no place in
//!   an id, a filter or a slug, and PostgreSQL cannot even store U+0000.
//! - **`X-Content-Type-Options: nosniff`** on every response.
//!
//! A refusal is rendered by the API's own error shape (the `refuse` function given to [`Edge::new`]).

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Extensions, Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{ConnectionType, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpResponse};
use futures_core::Stream;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use humbol_config::{parse, vars, ConfigError, Env};

use crate::Api;

/// The edge's settings (environment variables declared in [`humbol_config::vars`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// `HUMBOL_BODY_TIMEOUT_SECS`: time to send a whole request body.
    pub body_timeout: Duration,
    /// `HUMBOL_MAX_CONNECTIONS_PER_ADDRESS`.
    pub max_connections_per_address: u32,
    /// `HUMBOL_RATE_LIMIT_ORG`: requests per second per organisation (bursts of twice that); 0: no limit.
    pub org_per_second: u32,
    /// `HUMBOL_RATE_LIMIT_ADDRESS`: requests per second per client address (bursts of twice that); 0: none.
    pub address_per_second: u32,
    /// `HUMBOL_RATE_LIMIT_AUTH_FAILURES`: refused credentials per second per client address (bursts of ten
    /// times that); 0: no limit.
    pub auth_failures_per_second: u32,
}

impl Limits {
    /// Reads the edge's variables.
    pub fn from_env(env: &Env<'_>) -> Result<Limits, ConfigError> {
        Ok(Limits {
            body_timeout: Duration::from_secs(
                env.require(&vars::BODY_TIMEOUT_SECS, parse::timeout_secs)?,
            ),
            max_connections_per_address: env
                .require(&vars::MAX_CONNECTIONS_PER_ADDRESS, parse::positive)?,
            org_per_second: env.require(&vars::RATE_LIMIT_ORG, parse::rate_per_second)?,
            address_per_second: env.require(&vars::RATE_LIMIT_ADDRESS, parse::rate_per_second)?,
            auth_failures_per_second: env
                .require(&vars::RATE_LIMIT_AUTH_FAILURES, parse::rate_per_second)?,
        })
    }
}

impl Default for Limits {
    /// The declared defaults.
    #[allow(clippy::expect_used)] // the declared defaults parse: `defaults_parse` checks it
    fn default() -> Self {
        Limits::from_env(&Env::new(&|_| None)).expect("the declared defaults parse")
    }
}

/// How an API renders a refusal of the edge: status and detail in, the API's error response out.
pub type Refuse = fn(StatusCode, &str) -> HttpResponse;

/// The edge of one server: its limits and the state they keep.
pub struct Edge {
    api: Api,
    limits: Limits,
    refuse: Refuse,
    connections: Mutex<HashMap<IpAddr, u32>>,
    address: Option<Budget<IpAddr>>,
    org: Option<Budget<String>>,
    failures: Option<Budget<IpAddr>>,
}

impl std::fmt::Debug for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edge")
            .field("api", &self.api.as_str())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Edge {
    /// The edge of an API with `limits`; refusals rendered by `refuse`.
    pub fn new(api: Api, limits: Limits, refuse: Refuse) -> Arc<Edge> {
        Arc::new(Edge {
            api,
            address: Budget::new(limits.address_per_second, 2, "address"),
            org: Budget::new(limits.org_per_second, 2, "org"),
            failures: Budget::new(limits.auth_failures_per_second, 10, "auth-failures"),
            connections: Mutex::new(HashMap::new()),
            refuse,
            limits,
        })
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// For `HttpServer::on_connect`: counts each accepted connection against its client address until it
    /// closes.
    pub fn on_connect(
        self: &Arc<Self>,
    ) -> impl Fn(&dyn Any, &mut Extensions) + Send + Sync + 'static {
        let edge = Arc::clone(self);
        move |conn, ext| {
            let Some(stream) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() else {
                return;
            };
            let Ok(peer) = stream.peer_addr() else {
                return;
            };
            let address = peer.ip();
            let over = {
                let mut map = edge.connections.lock().unwrap_or_else(|p| p.into_inner());
                let n = map.entry(address).or_insert(0);
                *n += 1;
                *n > edge.limits.max_connections_per_address
            };
            ext.insert(ConnectionSlot {
                edge: Arc::clone(&edge),
                address,
                over,
            });
        }
    }

    /// Open connections of `address` (for tests and metrics).
    pub fn connections_of(&self, address: IpAddr) -> u32 {
        let map = self.connections.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&address).copied().unwrap_or(0)
    }

    fn refusal(&self, status: StatusCode, detail: &str) -> HttpResponse {
        let mut res = (self.refuse)(status, detail);
        res.head_mut().set_connection_type(ConnectionType::Close);
        res
    }

    fn too_many(
        &self,
        which: &Budget<impl Hash + Eq + Clone>,
        wait: Duration,
        detail: &str,
    ) -> HttpResponse {
        let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
        let mut res = (self.refuse)(StatusCode::TOO_MANY_REQUESTS, detail);
        let h = res.headers_mut();
        h.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        if let Ok(v) = HeaderValue::from_str(&format!("\"{}\";r=0;t={seconds}", which.name)) {
            h.insert(HeaderName::from_static("ratelimit"), v);
        }
        if let Ok(v) = HeaderValue::from_str(&which.policy) {
            h.insert(HeaderName::from_static("ratelimit-policy"), v);
        }
        res
    }
}

/// One connection's place in its address's count; dropped with the connection.
struct ConnectionSlot {
    edge: Arc<Edge>,
    address: IpAddr,
    over: bool,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut map = self
            .edge
            .connections
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.address) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.address);
            }
        }
    }
}

/// A rate budget per key: a GCRA limiter, and the keys found over it after the fact (until when).
struct Budget<K: Hash + Eq + Clone> {
    name: &'static str,
    policy: String,
    limiter: DefaultKeyedRateLimiter<K>,
    blocked: Mutex<HashMap<K, Instant>>,
    uses: AtomicU64,
}

/// How often (in uses) a budget forgets the keys it no longer needs.
const HOUSEKEEPING_EVERY: u64 = 4096;

impl<K: Hash + Eq + Clone> Budget<K> {
    fn new(per_second: u32, burst_factor: u32, name: &'static str) -> Option<Budget<K>> {
        let rate = NonZeroU32::new(per_second)?;
        let burst = NonZeroU32::new(per_second.saturating_mul(burst_factor)).unwrap_or(rate);
        Some(Budget {
            name,
            policy: format!("\"{name}\";q={burst};w=1"),
            limiter: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            blocked: Mutex::new(HashMap::new()),
            uses: AtomicU64::new(0),
        })
    }

    /// Takes one unit for `key` now; `Err(wait)` when the budget is spent.
    fn take(&self, key: &K) -> Result<(), Duration> {
        self.housekeeping();
        self.limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Takes one unit for `key` after the fact: when the budget is spent, `key` is refused until it refills.
    fn charge(&self, key: &K) {
        if let Err(wait) = self.take(key) {
            let mut blocked = self.blocked.lock().unwrap_or_else(|p| p.into_inner());
            blocked.insert(key.clone(), Instant::now() + wait);
        }
    }

    /// How long `key` is still refused, if it is.
    fn blocked(&self, key: &K) -> Option<Duration> {
        let blocked = self.blocked.lock().unwrap_or_else(|p| p.into_inner());
        let until = *blocked.get(key)?;
        until.checked_duration_since(Instant::now())
    }

    fn housekeeping(&self) {
        if self.uses.fetch_add(1, Ordering::Relaxed) % HOUSEKEEPING_EVERY != HOUSEKEEPING_EVERY - 1
        {
            return;
        }
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
        let now = Instant::now();
        let mut blocked = self.blocked.lock().unwrap_or_else(|p| p.into_inner());
        blocked.retain(|_, until| *until > now);
    }
}

/// Whether `path` is an API route that the rate limits count (not a health check, `/metrics` or a page).
fn is_api(path: &str) -> bool {
    path.starts_with("/scim/") || path.starts_with("/api/")
}

/// The organisation of an API path: `/scim/v2/orgs/{org}/...`, `/api/v1/orgs/{org}/...`.
pub fn org_of(path: &str) -> Option<&str> {
    let mut segments = path.split('/');
    let _ = segments.next(); // before the leading `/`
    let _api = segments.next()?;
    let _version = segments.next()?;
    if segments.next()? != "orgs" {
        return None;
    }
    segments.next().filter(|s| !s.is_empty())
}

/// Whether `text`, percent-decoded, holds a control character (U+0000 to U+001F, U+007F).
pub fn has_control_character(text: &str) -> bool {
    let bytes = text.as_bytes();
    let hex = |c: &u8| (*c as char).to_digit(16);
    let mut i = 0;
    while i < bytes.len() {
        let mut b = bytes[i];
        if b == b'%' {
            if let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(hex),
                bytes.get(i + 2).and_then(hex),
            ) {
                b = (h * 16 + l) as u8;
                i += 2;
            }
        }
        if b < 0x20 || b == 0x7f {
            return true;
        }
        i += 1;
    }
    false
}

/// Whether a request may carry a body.
fn may_have_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    if headers.contains_key(header::TRANSFER_ENCODING) {
        return true;
    }
    match headers.get(header::CONTENT_LENGTH) {
        Some(v) => v.as_bytes() != b"0",
        None => matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH),
    }
}

/// The middleware: `.wrap(from_fn(move |req, next| humbol_ops::edge::guard(Arc::clone(&edge), req, next)))`,
/// inside the request log (so that its refusals are logged) and outside the API's own error bodies.
pub async fn guard<B: MessageBody + 'static>(
    edge: Arc<Edge>,
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let refused = |req: ServiceRequest, res: HttpResponse| {
        Ok(nosniff(req.into_response(res).map_into_right_body()))
    };
    if req.conn_data::<ConnectionSlot>().is_some_and(|c| c.over) {
        let res = edge.refusal(
            StatusCode::TOO_MANY_REQUESTS,
            "too many open connections from this address",
        );
        let mut res = res;
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(1u32));
        return refused(req, res);
    }
    let path = req.path();
    if has_control_character(path) || has_control_character(req.query_string()) {
        let res = edge.refusal(
            StatusCode::BAD_REQUEST,
            "the path or query string holds a control character (such as %00)",
        );
        return refused(req, res);
    }
    let counted = is_api(path);
    let org = if counted {
        org_of(path).map(str::to_owned)
    } else {
        None
    };
    let address = req.peer_addr().map(|a| a.ip());
    if counted {
        if let (Some(budget), Some(ip)) = (&edge.address, address) {
            if let Err(wait) = budget.take(&ip) {
                let res = edge.too_many(budget, wait, "too many requests from this address");
                return refused(req, res);
            }
        }
        if let (Some(budget), Some(ip)) = (&edge.failures, address) {
            if let Some(wait) = budget.blocked(&ip) {
                let res = edge.too_many(
                    budget,
                    wait,
                    "too many refused credentials from this address",
                );
                return refused(req, res);
            }
        }
        if let (Some(budget), Some(org)) = (&edge.org, &org) {
            if let Some(wait) = budget.blocked(org) {
                let res = edge.too_many(budget, wait, "too many requests for this organisation");
                return refused(req, res);
            }
        }
    }
    let has_body = may_have_body(&req);
    if has_body {
        let payload = req.take_payload();
        let deadline = BodyDeadline::new(payload, edge.limits.body_timeout);
        let stream: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(deadline);
        req.set_payload(Payload::from(stream));
    }
    let mut res = next.call(req).await?;
    let status = res.status();
    if counted {
        if status == StatusCode::UNAUTHORIZED {
            if let (Some(budget), Some(ip)) = (&edge.failures, address) {
                budget.charge(&ip);
            }
        } else if let (Some(budget), Some(org)) = (&edge.org, &org) {
            budget.charge(org);
        }
    }
    // A refused request's body may not have been read: the connection cannot carry another request.
    if has_body && (status.is_client_error() || status.is_server_error()) {
        res.response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(nosniff(res.map_into_left_body()))
}

fn nosniff<B>(mut res: ServiceResponse<B>) -> ServiceResponse<B> {
    res.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

/// The text of the payload error a late body ends with (the APIs answer it with `408`).
pub const BODY_TIMEOUT: &str = "the request body did not arrive in time";

/// Whether a payload error is the body deadline's.
pub fn is_body_timeout(e: &PayloadError) -> bool {
    matches!(e, PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut)
}

/// A request body that must end before a deadline.
struct BodyDeadline {
    inner: Payload,
    sleep: Pin<Box<tokio::time::Sleep>>,
    done: bool,
}

impl BodyDeadline {
    fn new(inner: Payload, timeout: Duration) -> BodyDeadline {
        BodyDeadline {
            inner,
            sleep: Box::pin(tokio::time::sleep(timeout)),
            done: false,
        }
    }
}

impl Stream for BodyDeadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            if item.is_none() {
                self.done = true;
            }
            return Poll::Ready(item);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.done = true;
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                BODY_TIMEOUT,
            )))));
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse() {
        let l = Limits::default();
        assert_eq!(l.body_timeout, Duration::from_secs(15));
        assert_eq!(l.org_per_second, 1000);
        assert!(
            l.org_per_second >= 25 * 10,
            "far above Entra's 25 requests per second"
        );
    }

    #[test]
    fn control_characters_are_found_raw_and_percent_encoded() {
        for bad in [
            "/Users/%00",
            "/a%0a",
            "filter=userName%20eq%20%22a%01%22",
            "a\u{7f}",
            "%7F",
            "%1f",
        ] {
            assert!(has_control_character(bad), "{bad}");
        }
        for good in [
            "/Users/2819c223",
            "filter=userName%20eq%20%22a%40b%22",
            "%",
            "%2",
            "%zz",
            "caf%C3%A9",
        ] {
            assert!(!has_control_character(good), "{good}");
        }
    }

    #[test]
    fn org_is_the_segment_after_orgs() {
        assert_eq!(org_of("/scim/v2/orgs/acme/Users"), Some("acme"));
        assert_eq!(org_of("/api/v1/orgs/acme"), Some("acme"));
        assert_eq!(org_of("/api/v1/session"), None);
        assert_eq!(org_of("/healthz"), None);
    }

    #[test]
    fn a_budget_refuses_past_its_burst_and_blocks_after_the_fact() {
        let b: Budget<u8> = Budget::new(1, 2, "t").unwrap();
        assert!(b.take(&1).is_ok());
        assert!(b.take(&1).is_ok());
        assert!(b.take(&1).is_err());
        assert!(b.take(&2).is_ok(), "keys are separate");
        assert!(b.blocked(&2).is_none());
        b.charge(&2);
        b.charge(&2);
        assert!(b.blocked(&2).is_some_and(|w| w <= Duration::from_secs(1)));
    }
}
