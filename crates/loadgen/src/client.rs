//! A thin SCIM client: Entra-shaped requests against one tenant base URL, each timed and checked.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, StatusCode, Url};
use serde_json::{json, Value};

use crate::report::Recorder;
use crate::Error;

/// The media type Entra sends and expects.
const SCIM_JSON: &str = "application/scim+json";

/// The outcome of one request: its status and raw body (`None` status: a transport error). The body is parsed
/// as JSON only when asked ([`Reply::json`]), so that large replies that nobody reads cost no client CPU.
#[derive(Debug)]
pub struct Reply {
    pub status: Option<StatusCode>,
    raw: Vec<u8>,
    parsed: OnceLock<Value>,
}

impl Reply {
    fn new(status: Option<StatusCode>, raw: Vec<u8>) -> Reply {
        Reply {
            status,
            raw,
            parsed: OnceLock::new(),
        }
    }

    /// The body as JSON (`null` when it is not JSON).
    pub fn json(&self) -> &Value {
        self.parsed
            .get_or_init(|| serde_json::from_slice(&self.raw).unwrap_or(Value::Null))
    }

    /// The size of the body in bytes.
    pub fn body_len(&self) -> usize {
        self.raw.len()
    }

    /// The start of the body as text, for messages.
    pub fn excerpt(&self) -> String {
        String::from_utf8_lossy(&self.raw[..self.raw.len().min(300)]).into_owned()
    }

    /// `totalResults` of a ListResponse.
    pub fn total_results(&self) -> Option<u64> {
        self.json().get("totalResults").and_then(Value::as_u64)
    }

    /// `id` of a resource, or of the first resource of a ListResponse.
    pub fn id(&self) -> Option<String> {
        let body = self.json();
        let resource = body.get("Resources").and_then(|r| r.get(0)).unwrap_or(body);
        resource
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
    }
}

/// One request to send: what to record it as, and the status that counts as success.
#[derive(Debug)]
pub struct Request<'a> {
    pub op: &'a str,
    pub method: Method,
    pub url: Url,
    pub body: Option<&'a Value>,
    pub expected: StatusCode,
}

/// A SCIM tenant: `{base}/Users`, `{base}/Groups`, with one bearer token.
#[derive(Debug, Clone)]
pub struct Scim {
    http: reqwest::Client,
    base: String,
    auth: HeaderValue,
}

impl Scim {
    /// A client for the tenant at `base` (e.g. `http://127.0.0.1:8080/scim/v2/orgs/acme`). Connections are kept
    /// alive and reused; every request times out after `timeout`.
    pub fn new(base: &str, token: &str, timeout: Duration) -> Result<Scim, Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .pool_max_idle_per_host(64)
            .build()?;
        let mut auth = HeaderValue::from_str(&format!("Bearer {token}"))?;
        auth.set_sensitive(true);
        Ok(Scim {
            http,
            base: base.trim_end_matches('/').to_string(),
            auth,
        })
    }

    /// `{base}/{path}` with the query parameters `query`, percent-encoded (spaces as `%20`).
    pub fn url(&self, path: &str, query: &[(&str, &str)]) -> Result<Url, Error> {
        let mut url = Url::parse(&format!("{}/{path}", self.base))?;
        if !query.is_empty() {
            let encoded: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect();
            url.set_query(Some(&encoded.join("&")));
        }
        Ok(url)
    }

    /// Sends one request and records it in `recorder` as `request.op`: a transport error, a status other than
    /// `request.expected`, or a reply refused by `check` counts as an error. The latency includes reading the
    /// body.
    pub async fn call(
        &self,
        recorder: &Recorder,
        request: Request<'_>,
        check: impl FnOnce(&Reply) -> bool,
    ) -> Reply {
        let Request {
            op,
            method,
            url,
            body,
            expected,
        } = request;
        let mut builder = self
            .http
            .request(method, url)
            .header(AUTHORIZATION, self.auth.clone());
        if let Some(body) = body {
            builder = builder
                .header(CONTENT_TYPE, SCIM_JSON)
                .body(body.to_string());
        }
        let started = Instant::now();
        let reply = match builder.send().await {
            Ok(response) => {
                let status = response.status();
                match response.bytes().await {
                    Ok(bytes) => Reply::new(Some(status), Vec::from(bytes)),
                    Err(e) => {
                        log_error(op, &e);
                        Reply::new(None, Vec::new())
                    }
                }
            }
            Err(e) => {
                log_error(op, &e);
                Reply::new(None, Vec::new())
            }
        };
        let latency = started.elapsed();
        let ok = reply.status == Some(expected) && check(&reply);
        if !ok && reply.status.is_some() {
            log_unexpected(op, &reply);
        }
        recorder.record(op, latency, ok);
        reply
    }
}

/// Percent-encodes a query component: everything but RFC 3986's unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn log_error(op: &str, e: &reqwest::Error) {
    eprintln!("loadgen: {op}: {e}");
}

/// Prints a failed request's status and the start of its body (the first few per process are enough to see
/// what is wrong).
fn log_unexpected(op: &str, reply: &Reply) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static SHOWN: AtomicUsize = AtomicUsize::new(0);
    if SHOWN.fetch_add(1, Ordering::Relaxed) < 5 {
        eprintln!(
            "loadgen: {op}: unexpected reply {}: {}",
            reply.status.map_or(0, |s| s.as_u16()),
            reply.excerpt()
        );
    }
}

/// The userName of user `i`: `{prefix}{i}@contoso.com` (the same for seeded and created users, so that the
/// lookup script finds both).
pub fn user_name(prefix: &str, i: usize) -> String {
    format!("{prefix}{i}@contoso.com")
}

/// Entra's filter for a userName.
pub fn user_name_filter(user_name: &str) -> String {
    format!("userName eq \"{user_name}\"")
}

/// Entra's create body (`POST /Users`) for user `i`, as the provisioning service sends it.
pub fn create_user_body(prefix: &str, i: usize) -> Value {
    let name = user_name(prefix, i);
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ],
        "externalId": uuid::Uuid::new_v4().to_string(),
        "userName": name,
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": name}],
        "meta": {"resourceType": "User"},
        "name": {
            "formatted": format!("Given{i} Family{i}"),
            "familyName": format!("Family{i}"),
            "givenName": format!("Given{i}")
        },
        "roles": []
    })
}

/// Entra's legacy-shape update of two attributes (work email and family name) of user `i`.
pub fn patch_user_body(prefix: &str, i: usize) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": "emails[type eq \"work\"].value",
             "value": format!("{prefix}{i}.moved@contoso.com")},
            {"op": "Replace", "path": "name.familyName", "value": format!("Renamed{i}")}
        ]
    })
}

/// The server's peak resident set size (`VmHWM` of `/proc/<pid>/status`) in MiB, if `pid` is given and
/// readable.
pub fn peak_rss_mib(pid: Option<u32>) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    parse_vm_hwm_mib(&status)
}

fn parse_vm_hwm_mib(status: &str) -> Option<f64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_hwm_is_read_in_mib() {
        let status =
            "Name:\tscim-api\nVmPeak:\t  900000 kB\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\n";
        assert_eq!(parse_vm_hwm_mib(status), Some(20.0));
        assert_eq!(parse_vm_hwm_mib("Name:\tx\n"), None);
    }

    #[test]
    fn reply_ids_from_resources_or_the_resource() {
        let list = Reply::new(
            Some(StatusCode::OK),
            br#"{"totalResults": 1, "Resources": [{"id": "a"}]}"#.to_vec(),
        );
        assert_eq!(list.id().as_deref(), Some("a"));
        assert_eq!(list.total_results(), Some(1));
        let one = Reply::new(Some(StatusCode::CREATED), br#"{"id": "b"}"#.to_vec());
        assert_eq!(one.id().as_deref(), Some("b"));
        let html = Reply::new(Some(StatusCode::OK), b"<html>".to_vec());
        assert_eq!(html.id(), None);
        assert_eq!(html.excerpt(), "<html>");
    }

    #[test]
    fn filter_urls_are_encoded() {
        let scim = Scim::new(
            "http://127.0.0.1:1/scim/v2/orgs/a/",
            "t",
            Duration::from_secs(1),
        )
        .unwrap();
        let url = scim
            .url("Users", &[("filter", &user_name_filter("u1@contoso.com"))])
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:1/scim/v2/orgs/a/Users?filter=userName%20eq%20%22u1%40contoso.com%22"
        );
    }
}
