//! `spawn_app` and request helpers shared by the tests.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::PathBuf;

use admin_api::Config;
use humbol_store::testing::TestDb;
use humbol_store::{Backend, Store};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};

/// The HS256 secret of test servers (test-only).
pub const SECRET: &str = "test-only-secret-0123456789abcdef0123456789";

/// A fixture file under `tests/fixtures` (test-only keys).
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Seconds since the epoch, `offset` from now.
pub fn now_plus(offset: i64) -> i64 {
    chrono::Utc::now().timestamp() + offset
}

/// Signs `claims` with HS256 and `secret`.
pub fn hs256(secret: &[u8], claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

/// Claims of a support JWT valid for an hour.
pub fn support_claims(sub: &str) -> Value {
    json!({"sub": sub, "exp": now_plus(3600), "role": "support"})
}

/// Claims of an admin JWT of `org` valid for an hour.
pub fn admin_claims(sub: &str, org: &str) -> Value {
    json!({"sub": sub, "exp": now_plus(3600), "role": "admin", "org": org})
}

/// A running admin API over a fresh database.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    pub client: Client,
    /// The same database the server uses.
    pub store: Store,
    pub db: TestDb,
}

/// Starts the server over a fresh `backend` database, with the HS256 test secret.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[("HUMBOL_ADMIN_JWT_SECRET", SECRET)]).await
}

/// Starts the server over a fresh `backend` database with these configuration variables (plus
/// `DATABASE_URL` and a fixed `HUMBOL_SCIM_PUBLIC_URL`).
pub async fn spawn_app_with(backend: Backend, vars: &[(&str, &str)]) -> TestApp {
    let db = TestDb::new(backend);
    let mut env: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env.insert("DATABASE_URL".into(), db.url().to_owned());
    env.entry("HUMBOL_SCIM_PUBLIC_URL".into())
        .or_insert_with(|| "https://scim.test.example".into());
    let config = Config::from_lookup(|name| env.get(name).cloned()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let store = db.store();
    let server = admin_api::build_server_with_store(config, store.clone(), listener).unwrap();
    tokio::spawn(server);
    TestApp {
        base: format!("http://127.0.0.1:{port}"),
        client: Client::new(),
        store,
        db,
    }
}

impl TestApp {
    /// The SQLite database file, on the SQLite backend.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self.db.url().strip_prefix("sqlite://").map(PathBuf::from)
    }

    /// A support JWT (sub `support-sam`).
    pub fn support(&self) -> String {
        hs256(SECRET.as_bytes(), &support_claims("support-sam"))
    }

    /// An admin JWT of `org` (sub `alice@{org}`).
    pub fn admin(&self, org: &str) -> String {
        hs256(
            SECRET.as_bytes(),
            &admin_claims(&format!("alice@{org}"), org),
        )
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str, jwt: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(jwt)
            .send()
            .await
            .unwrap()
    }

    pub async fn delete(&self, path: &str, jwt: &str) -> Response {
        self.client
            .delete(self.url(path))
            .bearer_auth(jwt)
            .send()
            .await
            .unwrap()
    }

    pub async fn put_json(&self, path: &str, jwt: &str, body: &Value) -> Response {
        self.client
            .put(self.url(path))
            .bearer_auth(jwt)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_json(&self, path: &str, jwt: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(jwt)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Support creates (or updates) `org` with SCIM enabled or not.
    pub async fn put_org(&self, org: &str, scim_enabled: bool) -> Response {
        self.put_json(
            &format!("/api/v1/orgs/{org}"),
            &self.support(),
            &json!({"name": format!("Org {org}"), "scim_enabled": scim_enabled,
                    "roles": ["Admin", "Member", "Viewer"], "default_role": "Member"}),
        )
        .await
    }

    /// Support enables SCIM for `org` (created).
    pub async fn enable_org(&self, org: &str) {
        let res = self.put_org(org, true).await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "{}",
            res.text().await.unwrap()
        );
    }

    /// `org`'s admin creates a token named `name`; returns the 201 body.
    pub async fn create_token(&self, org: &str, name: &str) -> Value {
        let res = self
            .post_json(
                &format!("/api/v1/orgs/{org}/scim/tokens"),
                &self.admin(org),
                &json!({"name": name, "expires_at": null}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json().await.unwrap()
    }
}

/// Asserts `res` is a JSON error with this status and code; returns its message.
pub async fn assert_error(res: Response, status: StatusCode, code: &str) -> String {
    assert_eq!(res.status(), status);
    let content_type = res.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    body["error"]["message"].as_str().unwrap().to_owned()
}

/// Asserts a 401 with `WWW-Authenticate: Bearer` and a JSON error; returns its message.
pub async fn assert_unauthorized(res: Response) -> String {
    let challenge = res
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .expect("WWW-Authenticate")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    assert_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await
}

/// Unpadded base64url (RFC 4648 §5), to hand-craft JWTs that jsonwebtoken refuses to produce.
pub fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// A JWT with any header and an arbitrary signature segment.
pub fn raw_jwt(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes()),
        b64url(signature)
    )
}

/// A settings page session made by signing in with `jwt`: the `Cookie` header value and the CSRF token.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

impl TestApp {
    /// Signs in with `jwt` as the settings page does (`POST /api/v1/session`).
    pub async fn sign_in_raw(&self, jwt: &str) -> Response {
        self.client
            .post(self.url("/api/v1/session"))
            .json(&json!({ "token": jwt }))
            .send()
            .await
            .unwrap()
    }

    /// Signs in with `jwt`; panics unless that works.
    pub async fn sign_in(&self, jwt: &str) -> Session {
        let res = self.sign_in_raw(jwt).await;
        assert_eq!(res.status(), StatusCode::OK);
        let set_cookie = res.headers()[reqwest::header::SET_COOKIE]
            .to_str()
            .unwrap()
            .to_owned();
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        let body: Value = res.json().await.unwrap();
        Session {
            cookie,
            csrf: body["csrf_token"].as_str().unwrap().to_owned(),
        }
    }

    /// A request with the session's cookie (and no CSRF header).
    pub fn with_cookie(
        &self,
        method: reqwest::Method,
        path: &str,
        session: &Session,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .header(reqwest::header::COOKIE, &session.cookie)
    }
}
