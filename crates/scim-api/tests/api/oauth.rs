//! The OAuth 2.0 token endpoint (client credentials with a client secret, RFC 7523 client assertions from a
//! federated issuer served on loopback by the test) and access tokens on the SCIM endpoints.

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use base64::Engine;
use chrono::Utc;
use humbol_store::{
    Backend, ClientCredential, EventQuery, Federation, NewAccessToken, NewClient, NewClientSecret,
    Store,
};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore;
use rstest::rstest;
use scim_api::{build_server, Config};
use serde_json::{json, Value};

use crate::helpers::{filter_query, random_name, spawn_app, Resp, TestApp};

const ISSUER_KEY: &str = include_str!("../fixtures/test-only-issuer-rsa.pem");
const OTHER_KEY: &str = include_str!("../fixtures/test-only-other-rsa.pem");
const KID: &str = "test-key-1";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A client of `org` made through the store: (public client_id, client id, secret).
fn new_client(
    store: &Store,
    org: &str,
    expires_at: chrono::DateTime<Utc>,
) -> (String, String, String) {
    let (secret, stored) = new_secret(expires_at);
    let client_id = format!("client-{}", random_name());
    let info = store
        .create_client(
            org,
            &NewClient {
                name: "Entra".into(),
                client_id: client_id.clone(),
                secret: stored,
            },
            "test",
        )
        .unwrap();
    (client_id, info.id, secret)
}

fn new_secret(expires_at: chrono::DateTime<Utc>) -> (String, NewClientSecret) {
    let mut random = [0u8; scim_core::token::RANDOM_BYTES];
    rand::rng().fill_bytes(&mut random);
    let t = scim_core::token::from_random_bytes_with_prefix(
        scim_core::token::CLIENT_SECRET_PREFIX,
        &random,
    );
    (
        t.secret,
        NewClientSecret {
            hash: t.hash,
            hint: t.hint,
            expires_at,
        },
    )
}

fn in_a_year() -> chrono::DateTime<Utc> {
    Utc::now() + chrono::Duration::days(365)
}

/// `POST {base}/oauth/token` with a form body and optional Basic credentials.
async fn token_request(
    app: &TestApp,
    base: &str,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> Resp {
    let body = serde_urlencoded::to_string(form).unwrap();
    let mut rb = app
        .client
        .post(format!("{base}/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some((id, secret)) = basic {
        let enc = |s: &str| serde_urlencoded::to_string([("v", s)]).unwrap()[2..].to_string();
        let pair = format!("{}:{}", enc(id), enc(secret));
        rb = rb.header(
            "authorization",
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            ),
        );
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.json::<Value>().await.unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        body,
    }
}

/// A token with `client_secret_post` from the default organisation's endpoint.
async fn post_secret(app: &TestApp, client_id: &str, secret: &str) -> Resp {
    token_request(
        app,
        &app.base(&app.org),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
        ],
        None,
    )
    .await
}

#[track_caller]
fn access_token(r: &Resp) -> String {
    assert_eq!(r.status, 200, "{:#}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.body["token_type"], "Bearer");
    let token = r.body["access_token"].as_str().unwrap().to_string();
    assert!(token.starts_with("humbol_at_"), "{token}");
    token
}

#[track_caller]
fn assert_oauth_error(r: &Resp, status: u16, error: &str) {
    assert_eq!(r.status, status, "{:#}", r.body);
    assert_eq!(r.body["error"], error, "{:#}", r.body);
    assert!(r.body["error_description"].is_string());
    assert_eq!(r.header("cache-control"), Some("no-store"));
    if status == 401 {
        assert!(r
            .header("www-authenticate")
            .is_some_and(|h| h.starts_with("Basic")));
    }
}

/// The organisation's token-endpoint events' details, newest first.
fn token_events(app: &TestApp, action: &str) -> Vec<String> {
    app.store
        .events(&app.org, &EventQuery::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.action == action)
        .map(|e| e.detail)
        .collect()
}

/// `GET /Users?filter=userName eq ".."` (Entra's look-up) and `GET /Users` with `token`: both statuses.
async fn scim_statuses(app: &TestApp, base_org: &str, token: &str) -> (u16, u16) {
    let lookup = format!(
        "/Users?{}",
        filter_query("userName eq \"nobody@example.com\"")
    );
    let a = app.get_as(base_org, &lookup, token).await.status;
    let b = app.get_as(base_org, "/Users", token).await.status;
    (a, b)
}

/// Another scim-api process on the same database (its own pool, nothing shared in memory): its address.
fn second_server(app: &TestApp, lifetime: Option<Duration>) -> String {
    let store = Store::open(&app.db_url, &humbol_store::PoolOptions::default()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let mut config = Config {
        database_url: app.db_url.clone(),
        bind: listener.local_addr().unwrap(),
        public_url: address.clone(),
        workers: Some(1),
        ..Config::default()
    };
    if let Some(l) = lifetime {
        config.oauth_token_lifetime = l;
    }
    tokio::spawn(build_server(config, store, listener).unwrap());
    address
}

#[rstest]
#[tokio::test]
async fn basic_and_post_authentication_give_tokens_for_scim(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (client_id, _, secret) = new_client(&app.store, &app.org, in_a_year());
    let base = app.base(&app.org);

    let basic = token_request(
        &app,
        &base,
        &[("grant_type", "client_credentials")],
        Some((&client_id, &secret)),
    )
    .await;
    let t1 = access_token(&basic);
    assert_eq!(basic.body["expires_in"], 3600);
    assert!(basic
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json")));

    // client_secret_post, with a scope (tolerated).
    let post = token_request(
        &app,
        &base,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", &secret),
            ("scope", "scim.provision openid"),
        ],
        None,
    )
    .await;
    let t2 = access_token(&post);
    assert_ne!(t1, t2);

    for t in [&t1, &t2] {
        assert_eq!(scim_statuses(&app, &app.org, t).await, (200, 200));
    }
    // It acts like a SCIM token: a user created with it is logged with the client as actor.
    let created = app
        .send(
            reqwest::Method::POST,
            &format!("{base}/Users"),
            Some(&crate::helpers::entra_user("oauth@example.com")),
            Some(&t1),
            &[],
        )
        .await;
    created.assert_ok(201);
    let events = app.store.events(&app.org, &EventQuery::default()).unwrap();
    assert!(events
        .iter()
        .any(|e| e.action == "created" && e.actor == format!("client:{client_id}")));
    assert_eq!(token_events(&app, "token_issued").len(), 2);
    // Nothing secret in the log.
    for e in &events {
        assert!(!e.detail.contains(&secret) && !e.detail.contains(&t1));
    }
}

#[rstest]
#[tokio::test]
async fn wrong_unknown_malformed_and_expired_secrets_are_invalid_client(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (client_id, _, secret) = new_client(&app.store, &app.org, in_a_year());
    let (expired_id, _, expired_secret) = new_client(
        &app.store,
        &app.org,
        Utc::now() - chrono::Duration::seconds(1),
    );
    let (other_secret, _) = new_secret(in_a_year());

    let mut bodies = Vec::new();
    for (id, s) in [
        (client_id.as_str(), other_secret.as_str()),
        ("no-such-client", secret.as_str()),
        (client_id.as_str(), "humbol_secret_typo"),
        (client_id.as_str(), &app.token),
        (expired_id.as_str(), expired_secret.as_str()),
        (expired_id.as_str(), secret.as_str()),
    ] {
        let r = post_secret(&app, id, s).await;
        assert_oauth_error(&r, 401, "invalid_client");
        bodies.push(r.body);
    }
    // Never a hint of which part was wrong.
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");

    // The admin learns why.
    let refused = token_events(&app, "token_refused").join("\n");
    for reason in [
        "wrong client secret",
        "unknown client_id",
        "malformed client secret",
        "the client secret has expired",
    ] {
        assert!(refused.contains(reason), "{reason} not in {refused}");
    }
    // And the right secret still works.
    access_token(&post_secret(&app, &client_id, &secret).await);
}

/// SQLite locked by another process (the sick database an in-process test can stage; a frozen PostgreSQL server
/// is the fault suite's): the token request is `503 temporarily_unavailable` with `Retry-After` within the wait,
/// not a 500 and not a hang, and the same request succeeds once the lock is gone.
#[tokio::test]
async fn a_locked_database_is_a_quick_temporarily_unavailable() {
    let app = spawn_app(Backend::Sqlite).await;
    let (client_id, _, secret) = new_client(&app.store, &app.org, in_a_year());
    let lock = app.db().hold_exclusive_lock().unwrap();
    let started = std::time::Instant::now();
    let r = post_secret(&app, &client_id, &secret).await;
    let took = started.elapsed();
    assert_oauth_error(&r, 503, "temporarily_unavailable");
    assert_eq!(r.header("retry-after"), Some("2"), "{:?}", r.headers);
    assert!(took < Duration::from_secs(4), "{took:?}");
    drop(lock);
    access_token(&post_secret(&app, &client_id, &secret).await);
}

#[rstest]
#[tokio::test]
async fn malformed_requests_get_rfc_6749_errors(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (client_id, _, secret) = new_client(&app.store, &app.org, in_a_year());
    let base = app.base(&app.org);
    let creds = [
        ("client_id", client_id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut v: Vec<(&str, &str)> = extra.to_vec();
        v.extend_from_slice(&creds);
        v
    };

    let r = token_request(&app, &base, &with(&[("grant_type", "password")]), None).await;
    assert_oauth_error(&r, 400, "unsupported_grant_type");
    let r = token_request(&app, &base, &with(&[]), None).await;
    assert_oauth_error(&r, 400, "invalid_request");
    let r = token_request(
        &app,
        &base,
        &with(&[
            ("grant_type", "client_credentials"),
            ("grant_type", "client_credentials"),
        ]),
        None,
    )
    .await;
    assert_oauth_error(&r, 400, "invalid_request");
    // Two authentication methods at once.
    let r = token_request(
        &app,
        &base,
        &with(&[("grant_type", "client_credentials")]),
        Some((&client_id, &secret)),
    )
    .await;
    assert_oauth_error(&r, 400, "invalid_request");
    // No authentication at all.
    let r = token_request(&app, &base, &[("grant_type", "client_credentials")], None).await;
    assert_oauth_error(&r, 401, "invalid_client");
    // Not a form.
    let r = app
        .client
        .post(format!("{base}/oauth/token"))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
    // GET is not allowed; an unknown organisation's endpoint refuses like any wrong credential.
    let r = app
        .client
        .get(format!("{base}/oauth/token"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let r = token_request(
        &app,
        &app.base("nope"),
        &with(&[("grant_type", "client_credentials")]),
        None,
    )
    .await;
    assert_oauth_error(&r, 401, "invalid_client");
    // Nothing was issued.
    assert!(token_events(&app, "token_issued").is_empty());
}

#[rstest]
#[tokio::test]
async fn rotated_secrets_both_work_and_a_removed_one_stops(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (client_id, id, old) = new_client(&app.store, &app.org, in_a_year());
    let (new, stored) = new_secret(in_a_year());
    app.store
        .add_client_secret(&app.org, &id, &stored, "test")
        .unwrap()
        .unwrap();
    let from_old = access_token(&post_secret(&app, &client_id, &old).await);
    access_token(&post_secret(&app, &client_id, &new).await);

    let old_id = app.store.client(&app.org, &id).unwrap().unwrap().secrets[0]
        .id
        .clone();
    assert!(app
        .store
        .remove_client_secret(&app.org, &id, &old_id, "test")
        .unwrap());
    assert_oauth_error(
        &post_secret(&app, &client_id, &old).await,
        401,
        "invalid_client",
    );
    access_token(&post_secret(&app, &client_id, &new).await);
    // A token already issued with the removed secret lives until it expires.
    assert_eq!(scim_statuses(&app, &app.org, &from_old).await, (200, 200));
}

#[rstest]
#[tokio::test]
async fn a_revoked_client_is_refused_at_once_by_every_process(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (client_id, id, secret) = new_client(&app.store, &app.org, in_a_year());
    let token = access_token(&post_secret(&app, &client_id, &secret).await);
    let second = second_server(&app, None);
    let second_base = format!("{second}/scim/v2/orgs/{}", app.org);
    let get_second = |t: String| {
        let client = app.client.clone();
        let url = format!("{second_base}/Users");
        async move {
            client
                .get(url)
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(scim_statuses(&app, &app.org, &token).await, (200, 200));
    assert_eq!(get_second(token.clone()).await, 200);

    assert!(app.store.revoke_client(&app.org, &id, "test").unwrap());
    assert_eq!(scim_statuses(&app, &app.org, &token).await, (401, 401));
    assert_eq!(get_second(token.clone()).await, 401);
    assert_oauth_error(
        &post_secret(&app, &client_id, &secret).await,
        401,
        "invalid_client",
    );
    assert!(token_events(&app, "token_refused")
        .iter()
        .any(|d| d.contains("revoked")));
}

#[rstest]
#[tokio::test]
async fn tokens_are_the_organisations_own_and_expire(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.other_org("globex");
    let (client_id, id, secret) = new_client(&app.store, &app.org, in_a_year());
    let token = access_token(&post_secret(&app, &client_id, &secret).await);

    // Org A's token on org B's URL; org A's client at org B's token endpoint.
    assert_eq!(scim_statuses(&app, "globex", &token).await, (401, 401));
    let r = token_request(
        &app,
        &app.base("globex"),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", &secret),
        ],
        None,
    )
    .await;
    assert_oauth_error(&r, 401, "invalid_client");

    // An expired access token is refused (issued through the store, already past its expiry).
    let mut random = [0u8; scim_core::token::RANDOM_BYTES];
    rand::rng().fill_bytes(&mut random);
    let old = scim_core::token::from_random_bytes_with_prefix(
        scim_core::token::ACCESS_TOKEN_PREFIX,
        &random,
    );
    let (_, stored) = new_secret(in_a_year());
    let hash = stored.hash;
    app.store
        .add_client_secret(&app.org, &id, &stored, "test")
        .unwrap()
        .unwrap();
    let now = Utc::now();
    app.store
        .issue_access_token(
            &app.org,
            &client_id,
            &ClientCredential::Secret(hash),
            &NewAccessToken {
                hash: old.hash,
                expires_at: now - chrono::Duration::seconds(1),
            },
            now - chrono::Duration::seconds(3601),
        )
        .unwrap()
        .unwrap();
    assert_eq!(scim_statuses(&app, &app.org, &old.secret).await, (401, 401));

    // SCIM disabled: the live token is refused, and no new one is issued.
    let mut settings = crate::helpers::org_settings("Acme");
    settings.scim_enabled = false;
    app.store.put_org(&app.org, &settings).unwrap();
    assert_eq!(scim_statuses(&app, &app.org, &token).await, (401, 401));
    assert_oauth_error(
        &post_secret(&app, &client_id, &secret).await,
        400,
        "invalid_grant",
    );
}

#[rstest]
#[tokio::test]
async fn the_lifetime_is_configured(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (client_id, _, secret) = new_client(&app.store, &app.org, in_a_year());
    let second = second_server(&app, Some(Duration::from_secs(6 * 3600)));
    let r = token_request(
        &app,
        &format!("{second}/scim/v2/orgs/{}", app.org),
        &[("grant_type", "client_credentials")],
        Some((&client_id, &secret)),
    )
    .await;
    access_token(&r);
    assert_eq!(r.body["expires_in"], 21600);
    assert!(token_events(&app, "token_issued")[0].contains("expires"));
    // The bounds are the configuration's (1 to 6 hours).
    let cfg = |v: &str| {
        Config::from_lookup(|k| (k == "HUMBOL_OAUTH_TOKEN_LIFETIME_SECS").then(|| v.to_string()))
    };
    assert!(cfg("3599").is_err() && cfg("21601").is_err());
    assert_eq!(
        cfg("7200").unwrap().oauth_token_lifetime,
        Duration::from_secs(7200)
    );
}

// ---- workload identity federation ----

/// A federated issuer on loopback: its discovery document and JWKS (the test key as `KID`), and how often the
/// JWKS was fetched.
struct TestIssuer {
    issuer: String,
    jwks_fetches: Arc<AtomicUsize>,
}

fn spawn_issuer() -> TestIssuer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}/tenant/v2.0", listener.local_addr().unwrap());
    let key = EncodingKey::from_rsa_pem(ISSUER_KEY.as_bytes()).unwrap();
    let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap();
    jwk.common.key_id = Some(KID.into());
    let jwks = serde_json::to_value(JwkSet { keys: vec![jwk] }).unwrap();
    let discovery = json!({
        "issuer": issuer,
        "jwks_uri": format!("http://{}/tenant/discovery/v2.0/keys", listener.local_addr().unwrap()),
        "token_endpoint": format!("{issuer}/oauth2/v2.0/token"),
    });
    let fetches = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&fetches);
    let server = HttpServer::new(move || {
        let discovery = discovery.clone();
        let jwks = jwks.clone();
        let counter = Arc::clone(&counter);
        App::new()
            .route(
                "/tenant/v2.0/.well-known/openid-configuration",
                web::get().to(move || {
                    let d = discovery.clone();
                    async move { HttpResponse::Ok().json(d) }
                }),
            )
            .route(
                "/tenant/discovery/v2.0/keys",
                web::get().to(move || {
                    let k = jwks.clone();
                    counter.fetch_add(1, Ordering::SeqCst);
                    async move { HttpResponse::Ok().json(k) }
                }),
            )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    TestIssuer {
        issuer,
        jwks_fetches: fetches,
    }
}

const SUBJECT: &str = "6b1a2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d";
const AUDIENCE: &str = "api://humbol-scim";

fn claims(issuer: &str) -> Value {
    let now = Utc::now().timestamp();
    json!({
        "iss": issuer, "sub": SUBJECT, "aud": AUDIENCE,
        "iat": now, "nbf": now, "exp": now + 600, "jti": random_name(),
    })
}

fn sign(claims: &Value, kid: &str, pem: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn b64(v: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

async fn assertion_request(app: &TestApp, client_id: &str, assertion: &str) -> Resp {
    token_request(
        app,
        &app.base(&app.org),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", assertion),
            ("scope", "api://humbol-scim/.default"),
        ],
        None,
    )
    .await
}

/// A client with a federated credential trusting `issuer`: its public client_id.
fn federated_client(app: &TestApp, issuer: &str) -> String {
    let (client_id, id, _) = new_client(&app.store, &app.org, in_a_year());
    let f = Federation {
        issuer: issuer.into(),
        subject: SUBJECT.into(),
        audience: AUDIENCE.into(),
    };
    assert!(app
        .store
        .set_client_federation(&app.org, &id, Some(&f), "test")
        .unwrap());
    client_id
}

#[rstest]
#[tokio::test]
async fn a_client_assertion_from_the_federated_issuer_gets_a_token(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let issuer = spawn_issuer();
    let client_id = federated_client(&app, &issuer.issuer);

    let c = claims(&issuer.issuer);
    let assertion = sign(&c, KID, ISSUER_KEY);
    let token = access_token(&assertion_request(&app, &client_id, &assertion).await);
    assert_eq!(scim_statuses(&app, &app.org, &token).await, (200, 200));
    let again = sign(&claims(&issuer.issuer), KID, ISSUER_KEY);
    access_token(&assertion_request(&app, &client_id, &again).await);
    // The keys were fetched once and cached.
    assert_eq!(issuer.jwks_fetches.load(Ordering::SeqCst), 1);

    // The same assertion again: a replayed jti.
    let r = assertion_request(&app, &client_id, &assertion).await;
    assert_oauth_error(&r, 401, "invalid_client");
    // ... also with a new signature over the same jti.
    let replay = sign(&c, KID, ISSUER_KEY);
    assert_oauth_error(
        &assertion_request(&app, &client_id, &replay).await,
        401,
        "invalid_client",
    );
    assert!(token_events(&app, "token_refused")
        .iter()
        .any(|d| d.contains("replayed jti")));
    // A client without a federated credential refuses assertions.
    let (plain, _, _) = new_client(&app.store, &app.org, in_a_year());
    let other = sign(&claims(&issuer.issuer), KID, ISSUER_KEY);
    assert_oauth_error(
        &assertion_request(&app, &plain, &other).await,
        401,
        "invalid_client",
    );
}

#[rstest]
#[tokio::test]
async fn client_assertions_that_do_not_verify_are_refused(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let issuer = spawn_issuer();
    let client_id = federated_client(&app, &issuer.issuer);
    let now = Utc::now().timestamp();
    let with = |key: &str, value: Value| {
        let mut c = claims(&issuer.issuer);
        c[key] = value;
        c
    };

    let cases: Vec<(&str, String)> = vec![
        (
            "audience",
            sign(&with("aud", json!("api://other")), KID, ISSUER_KEY),
        ),
        (
            "issuer",
            sign(
                &with("iss", json!("https://login.example/other/v2.0")),
                KID,
                ISSUER_KEY,
            ),
        ),
        (
            "subject",
            sign(&with("sub", json!("someone-else")), KID, ISSUER_KEY),
        ),
        (
            "expired",
            sign(&with("exp", json!(now - 120)), KID, ISSUER_KEY),
        ),
        // 30 s ago: past the 5 s leeway (the library's default of 60 s accepted it).
        (
            "expired",
            sign(&with("exp", json!(now - 30)), KID, ISSUER_KEY),
        ),
        (
            "not yet valid",
            sign(&with("nbf", json!(now + 600)), KID, ISSUER_KEY),
        ),
        (
            "more than a day",
            sign(&with("exp", json!(now + 3 * 86400)), KID, ISSUER_KEY),
        ),
        ("jti", {
            let mut c = claims(&issuer.issuer);
            c.as_object_mut().unwrap().remove("jti");
            sign(&c, KID, ISSUER_KEY)
        }),
        (
            "not among the issuer's keys",
            sign(&claims(&issuer.issuer), "unknown-kid", ISSUER_KEY),
        ),
        (
            "does not verify",
            sign(&claims(&issuer.issuer), KID, OTHER_KEY),
        ),
        ("only RS256", {
            let mut h = Header::new(Algorithm::HS256);
            h.kid = Some(KID.into());
            jsonwebtoken::encode(
                &h,
                &claims(&issuer.issuer),
                &EncodingKey::from_secret(b"a shared secret of 32 bytes or more!"),
            )
            .unwrap()
        }),
        (
            "malformed client assertion",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "JWT", "kid": KID})),
                b64(&claims(&issuer.issuer))
            ),
        ),
        ("malformed client assertion", "not-a-jwt".to_string()),
    ];
    for (reason, assertion) in &cases {
        let r = assertion_request(&app, &client_id, assertion).await;
        assert_oauth_error(&r, 401, "invalid_client");
        let refused = token_events(&app, "token_refused");
        assert!(
            refused[0].contains(reason),
            "{reason}: logged {:?}",
            refused[0]
        );
    }
    // The unknown kid made at most one more fetch of the keys (none within a minute of the first).
    assert!(issuer.jwks_fetches.load(Ordering::SeqCst) <= 2);
    assert!(token_events(&app, "token_issued").is_empty());
    // A good one still works afterwards.
    let good = sign(&claims(&issuer.issuer), KID, ISSUER_KEY);
    access_token(&assertion_request(&app, &client_id, &good).await);
}
