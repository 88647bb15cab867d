//! Workload identity federation (RFC 7523 client assertions): verifying a JWT that an issuer such as Microsoft
//! Entra ID signed, against the client's federated credential (issuer, subject, audience).
//!
//! The issuer's keys come from OIDC discovery: `{issuer}/.well-known/openid-configuration` names its `jwks_uri`,
//! whose keys are cached per issuer ([`Issuers`]): at most [`MAX_ISSUERS`] issuers, keys refreshed after
//! [`KEYS_MAX_AGE`], and an assertion signed with an unknown `kid` (the issuer rotated its keys) triggers a
//! refetch, at most once per [`MIN_REFETCH`] per issuer, so that a stream of bogus `kid`s cannot make Humbol
//! hammer the issuer. Fetches go over HTTPS with timeouts, no redirects and a size cap; plain HTTP only to a
//! loopback address (tests serve their issuer there).
//!
//! Only RS256 is accepted (Entra signs with it): `alg: none`, HS256 (which would let the public key act as a
//! shared secret) and everything else are refused before a key is looked at. `exp` and `nbf` are checked with
//! [`LEEWAY_SECS`] of clock leeway; the `jti` and the expiry are returned so that the store can refuse a replay
//! for as long as the assertion could be accepted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use humbol_store::Federation;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// Clock leeway for `exp` and `nbf`: 5 seconds, enough for clocks kept by NTP (the library's default of 60
/// would accept an assertion up to a minute after it expired).
pub const LEEWAY_SECS: u64 = 5;
/// How many issuers' keys are cached.
pub const MAX_ISSUERS: usize = 256;
/// Cached keys older than this are fetched again.
pub const KEYS_MAX_AGE: Duration = Duration::from_secs(3600);
/// The least time between two fetches of one issuer's keys.
pub const MIN_REFETCH: Duration = Duration::from_secs(60);
/// The longest an assertion may be valid for (its `exp` at most this far ahead): its `jti` is remembered
/// until then.
pub const MAX_ASSERTION_LIFETIME_SECS: i64 = 24 * 3600;
/// The largest discovery document or key set read.
const MAX_DOCUMENT_BYTES: usize = 512 * 1024;

/// A verified assertion: what the store needs to refuse its replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub jti: String,
    /// Until when the assertion could be accepted (its `exp` plus the leeway).
    pub expires_at: DateTime<Utc>,
}

/// Why an assertion was refused: for the organisation's event log (never for the client).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

fn refused(reason: impl Into<String>) -> Refused {
    Refused(reason.into())
}

#[derive(Debug)]
struct Entry {
    keys: Option<Arc<JwkSet>>,
    fetched: Option<Instant>,
    attempted: Instant,
}

/// The federated issuers' keys, cached (see the module documentation).
#[derive(Debug)]
pub struct Issuers {
    http: reqwest::Client,
    cache: Mutex<HashMap<String, Entry>>,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    jti: Option<String>,
    exp: i64,
}

impl Issuers {
    /// An empty cache with its HTTP client (timeouts, no redirects).
    pub fn new() -> Result<Issuers, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("humbol-scim-api/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Issuers {
            http,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Verifies `assertion` against the client's federated credential `f` at `now`.
    pub async fn verify(
        &self,
        f: &Federation,
        assertion: &str,
        now: DateTime<Utc>,
    ) -> Result<Verified, Refused> {
        let header = jsonwebtoken::decode_header(assertion)
            .map_err(|_| refused("malformed client assertion, or an algorithm other than RS256"))?;
        if header.alg != Algorithm::RS256 {
            return Err(refused(format!(
                "client assertion signed with {:?}: only RS256 is accepted",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| refused("the client assertion's header has no kid"))?;
        let jwk = self.key(&f.issuer, &kid).await?;
        let key = DecodingKey::from_jwk(&jwk)
            .map_err(|_| refused(format!("the issuer's key {kid} is not a usable RSA key")))?;

        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_issuer(&[&f.issuer]);
        validation.set_audience(&[&f.audience]);
        validation.sub = Some(f.subject.clone());
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(assertion, &key, &validation).map_err(|e| {
            refused(match e.kind() {
                ErrorKind::InvalidIssuer => "wrong client assertion issuer (iss)".to_string(),
                ErrorKind::InvalidAudience => "wrong client assertion audience (aud)".to_string(),
                ErrorKind::InvalidSubject => "wrong client assertion subject (sub)".to_string(),
                ErrorKind::ExpiredSignature => "expired client assertion (exp)".to_string(),
                ErrorKind::ImmatureSignature => "client assertion not yet valid (nbf)".to_string(),
                ErrorKind::InvalidSignature => {
                    format!("the client assertion's signature does not verify with key {kid}")
                }
                ErrorKind::MissingRequiredClaim(c) => format!("the client assertion has no {c}"),
                _ => "malformed client assertion (claims)".to_string(),
            })
        })?;
        let claims = data.claims;
        let jti = claims
            .jti
            .filter(|j| !j.is_empty() && j.len() <= 256)
            .ok_or_else(|| refused("the client assertion has no jti (or an overlong one)"))?;
        if claims.exp - now.timestamp() > MAX_ASSERTION_LIFETIME_SECS {
            return Err(refused(
                "the client assertion is valid for more than a day (exp too far ahead)",
            ));
        }
        let until = claims.exp.saturating_add(LEEWAY_SECS as i64);
        Ok(Verified {
            jti,
            expires_at: DateTime::from_timestamp(until, 0).unwrap_or(now),
        })
    }

    /// The issuer's key `kid`: from the cache, else (an unknown issuer, old keys, or an unknown `kid` and no
    /// fetch for [`MIN_REFETCH`]) fetched again.
    async fn key(&self, issuer: &str, kid: &str) -> Result<Jwk, Refused> {
        let now = Instant::now();
        let (cached, fetch) = {
            let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            let (cached, fresh, may_fetch) = match cache.get(issuer) {
                None => (None, false, true),
                Some(e) => (
                    e.keys.clone(),
                    e.fetched
                        .is_some_and(|t| now.duration_since(t) < KEYS_MAX_AGE),
                    now.duration_since(e.attempted) >= MIN_REFETCH,
                ),
            };
            let known = cached.as_ref().and_then(|k| k.find(kid)).is_some();
            let fetch = (!known || !fresh) && may_fetch;
            if fetch {
                // Noted before fetching, so that concurrent requests do not fetch too.
                if !cache.contains_key(issuer) && cache.len() >= MAX_ISSUERS {
                    let oldest = cache
                        .iter()
                        .min_by_key(|(_, e)| e.attempted)
                        .map(|(k, _)| k.clone());
                    if let Some(oldest) = oldest {
                        cache.remove(&oldest);
                    }
                }
                let entry = cache.entry(issuer.to_string()).or_insert(Entry {
                    keys: None,
                    fetched: None,
                    attempted: now,
                });
                entry.attempted = now;
            }
            (cached, fetch)
        };
        let keys = if fetch {
            match self.fetch_keys(issuer).await {
                Ok(keys) => {
                    let keys = Arc::new(keys);
                    let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
                    if let Some(e) = cache.get_mut(issuer) {
                        e.keys = Some(Arc::clone(&keys));
                        e.fetched = Some(Instant::now());
                    }
                    Some(keys)
                }
                Err(reason) => {
                    log::warn!("federated issuer {issuer}: {reason}");
                    match cached {
                        // The old keys still verify what they verified.
                        Some(old) => Some(old),
                        None => return Err(refused(format!("the issuer's keys: {reason}"))),
                    }
                }
            }
        } else {
            cached
        };
        keys.and_then(|k| k.find(kid).cloned()).ok_or_else(|| {
            refused(format!(
                "the client assertion's kid {kid} is not among the issuer's keys"
            ))
        })
    }

    /// Discovery, then the key set: `Err` says what failed (for the log and the event).
    async fn fetch_keys(&self, issuer: &str) -> Result<JwkSet, String> {
        if !scim_core::oauth::fetchable_url(issuer) {
            return Err("the issuer is not an https:// URL".into());
        }
        let discovery_url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let discovery: Discovery = serde_json::from_slice(&self.get(&discovery_url).await?)
            .map_err(|e| format!("unreadable discovery document: {e}"))?;
        if discovery.issuer != issuer {
            return Err(format!(
                "the discovery document names another issuer ({})",
                discovery.issuer
            ));
        }
        if !scim_core::oauth::fetchable_url(&discovery.jwks_uri) {
            return Err("the discovery document's jwks_uri is not an https:// URL".into());
        }
        #[derive(Deserialize)]
        struct RawSet {
            keys: Vec<serde_json::Value>,
        }
        let raw: RawSet = serde_json::from_slice(&self.get(&discovery.jwks_uri).await?)
            .map_err(|e| format!("unreadable key set: {e}"))?;
        // Keys of kinds jsonwebtoken does not know are skipped, not fatal: only RSA keys matter here.
        let keys = raw
            .keys
            .into_iter()
            .filter_map(|k| serde_json::from_value::<Jwk>(k).ok())
            .collect();
        Ok(JwkSet { keys })
    }

    /// The body of a `GET url` (2xx only, at most [`MAX_DOCUMENT_BYTES`]).
    async fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        let mut response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("GET {url}: status {}", response.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?
        {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(format!("GET {url}: larger than {MAX_DOCUMENT_BYTES} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}
