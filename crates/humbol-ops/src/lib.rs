//! What both Humbol APIs share for operations:
//!
//! - [`observe`]: the middleware that writes ONE request log line (the same fields for both APIs: method, route
//!   template, status, duration, client address, organisation; `text` or `json` per `HUMBOL_LOG_FORMAT`) and
//!   counts the request in the metrics. The route is the template (`/scim/v2/orgs/{org}/Users/{id}`), never
//!   the path: no user id, filter or e-mail address reaches the log or a metric label, and no header is read
//!   (the `Authorization` header carries the secret).
//! - [`edge`]: what every request meets first (connections per address, the body deadline, rate limits,
//!   control characters in the request line, `nosniff`), one copy for both APIs;
//! - [`methods`]: `405` with `Allow` for a known path asked with a method it does not serve, for both APIs;
//! - [`store_call`]: store calls from async handlers with a deadline (a `503` within about 2 s when the
//!   database stalls), for both APIs;
//! - [`Metrics`]: the Prometheus metrics of the process (one registry, also when `humbol` runs both APIs in
//!   one process: every series has an `api` label), rendered by [`render`] for `GET /metrics`.

pub mod api_page;
pub mod edge;
pub mod logging;
pub mod methods;
pub mod metrics_server;
pub mod openapi;
mod provisioning;
pub mod store_call;

/// Every process that links this crate (scim-api, admin-api, humbol) allocates with mimalloc: a look-up
/// makes about a hundred small allocations, and glibc's allocator spent a sixth of the look-up's instructions
/// on them. Built without transparent huge pages (`no_thp`), its resident memory is glibc's (figures in
/// docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::HttpResponse;
use humbol_config::parse::LogFormat;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

/// The log target of the request log (both APIs).
pub const ACCESS_TARGET: &str = "humbol::access";

/// Which API a request or metric belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// scim-api.
    Scim,
    /// admin-api.
    Admin,
}

impl Api {
    /// The `api` label and log field.
    pub fn as_str(self) -> &'static str {
        match self {
            Api::Scim => "scim",
            Api::Admin => "admin",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    api: &'static str,
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RouteLabels {
    api: &'static str,
    route: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct AuthLabels {
    api: &'static str,
    reason: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
    state: &'static str,
}

/// The process's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram, fn() -> Histogram>,
    auth_failures: Family<AuthLabels, Counter>,
    pool: Family<PoolLabels, Gauge>,
}

/// Request durations from 0.25 ms to about 8 s (16 buckets, doubling): look-ups take a fraction of a
/// millisecond, and a sick database answers 503 within about 2 s.
fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("humbol");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by API, method, route template and status",
            requests.clone(),
        );
        let durations = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            duration_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by API and route template",
            durations.clone(),
        );
        let auth_failures = Family::<AuthLabels, Counter>::default();
        registry.register(
            "auth_failures",
            "Requests refused as unauthenticated, by API and reason",
            auth_failures.clone(),
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections of this process's pools (read, write), by state: in_use, idle, max; and \
             waiting: requests waiting for a connection",
            pool.clone(),
        );
        registry.register_collector(Box::new(provisioning::ProvisioningEvents));
        registry.register(
            "build",
            "Build information",
            Info::new(vec![("version", env!("CARGO_PKG_VERSION"))]),
        );
        Metrics {
            registry,
            requests,
            durations,
            auth_failures,
            pool,
        }
    }

    fn request(&self, api: Api, method: &Method, route: String, status: u16, seconds: f64) {
        self.durations
            .get_or_create(&RouteLabels {
                api: api.as_str(),
                route: route.clone(),
            })
            .observe(seconds);
        self.requests
            .get_or_create(&RequestLabels {
                api: api.as_str(),
                method: method_label(method),
                route,
                status,
            })
            .inc();
    }
}

/// The process's metrics (created at first use).
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// Counts a request refused as unauthenticated; `reason` is a fixed word (`missing`, `malformed`, ...).
pub fn auth_failure(api: Api, reason: &'static str) {
    metrics()
        .auth_failures
        .get_or_create(&AuthLabels {
            api: api.as_str(),
            reason,
        })
        .inc();
}

/// `GET /metrics`: the pools' states as of now, then every metric in the text format (OpenMetrics, which
/// Prometheus reads).
pub fn render(store: &humbol_store::Store) -> HttpResponse {
    let m = metrics();
    for p in store.pool_stats() {
        let set = |state, value: u32| {
            m.pool
                .get_or_create(&PoolLabels {
                    pool: p.name,
                    state,
                })
                .set(i64::from(value));
        };
        set("in_use", p.connections.saturating_sub(p.idle));
        set("idle", p.idle);
        set("max", p.max);
        set("waiting", p.waiting);
    }
    let mut body = String::new();
    match prometheus_client::encoding::text::encode(&mut body, &m.registry) {
        Ok(()) => HttpResponse::Ok()
            .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
            .body(body),
        Err(e) => {
            log::error!("cannot encode the metrics: {e}");
            HttpResponse::InternalServerError().finish()
        }
    }
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The route label of a request that matched no route: one value, so that scanners cannot grow the series.
const UNMATCHED: &str = "unmatched";

/// The request log line and metrics of one request, for `App::wrap(from_fn(...))`:
/// `.wrap(from_fn(move |req, next| humbol_ops::observe(Api::Scim, format, req, next)))`.
pub async fn observe<B: MessageBody>(
    api: Api,
    format: LogFormat,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    {
        let start = Instant::now();
        let method = req.method().clone();
        let client = req.peer_addr().map(|a| a.ip());
        let result = next.call(req).await;
        let seconds = start.elapsed().as_secs_f64();
        let (status, route, org) = match &result {
            Ok(res) => {
                let r = res.request();
                (
                    res.status().as_u16(),
                    r.match_pattern(),
                    r.match_info().get("org").map(str::to_string),
                )
            }
            Err(e) => (e.as_response_error().status_code().as_u16(), None, None),
        };
        let route = route.unwrap_or_else(|| UNMATCHED.to_string());
        if log::log_enabled!(target: ACCESS_TARGET, log::Level::Info) {
            let line = Line {
                api,
                method: method.as_str(),
                route: &route,
                status,
                seconds,
                client,
                org: org.as_deref(),
            };
            log::info!(target: ACCESS_TARGET, "{}", line.render(format));
        }
        metrics().request(api, &method, route, status, seconds);
        result
    }
}

/// One request log line's fields.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    pub api: Api,
    pub method: &'a str,
    pub route: &'a str,
    pub status: u16,
    pub seconds: f64,
    pub client: Option<IpAddr>,
    pub org: Option<&'a str>,
}

impl Line<'_> {
    /// The line in `format`. Text: `api=scim method=GET route=/scim/v2/orgs/{org}/Users status=200
    /// duration_ms=0.412 client=127.0.0.1 org=acme` (`-` for an absent value); JSON: the same keys, absent
    /// values `null`.
    pub fn render(&self, format: LogFormat) -> String {
        let ms = self.seconds * 1000.0;
        match format {
            LogFormat::Text => format!(
                "api={} method={} route={} status={} duration_ms={ms:.3} client={} org={}",
                self.api.as_str(),
                self.method,
                self.route,
                self.status,
                self.client.map_or("-".to_string(), |ip| ip.to_string()),
                self.org.unwrap_or("-"),
            ),
            LogFormat::Json => serde_json::json!({
                "api": self.api.as_str(),
                "method": self.method,
                "route": self.route,
                "status": self.status,
                "duration_ms": (ms * 1000.0).round() / 1000.0,
                "client": self.client.map(|ip| ip.to_string()),
                "org": self.org,
            })
            .to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line() -> Line<'static> {
        Line {
            api: Api::Scim,
            method: "GET",
            route: "/scim/v2/orgs/{org}/Users/{id}",
            status: 200,
            seconds: 0.000_412,
            client: Some("127.0.0.1".parse().unwrap()),
            org: Some("acme"),
        }
    }

    #[test]
    fn text_and_json_lines_carry_the_same_fields() {
        assert_eq!(
            line().render(LogFormat::Text),
            "api=scim method=GET route=/scim/v2/orgs/{org}/Users/{id} status=200 duration_ms=0.412 \
             client=127.0.0.1 org=acme"
        );
        let json: serde_json::Value =
            serde_json::from_str(&line().render(LogFormat::Json)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"api": "scim", "method": "GET", "route": "/scim/v2/orgs/{org}/Users/{id}",
                "status": 200, "duration_ms": 0.412, "client": "127.0.0.1", "org": "acme"})
        );
        let anonymous = Line {
            org: None,
            client: None,
            ..line()
        };
        assert!(anonymous
            .render(LogFormat::Text)
            .ends_with("client=- org=-"));
    }
}
