//! A real server on 127.0.0.1:0 over a fresh database, an organisation `acme` (roles Admin, Member, Viewer;
//! default Member) with a SCIM token, and a reqwest client.

use std::net::TcpListener;
use std::time::Duration;

use humbol_store::testing::TestDb;
use humbol_store::{Backend, EventQuery, NewToken, OrgSettings, Outcome, Store};
use rand::RngCore;
use reqwest::header::HeaderMap;
use reqwest::Method;
use scim_api::{build_server, Config};
use serde_json::{json, Value};

pub const SCIM: &str = "application/scim+json";
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// The request body limit of test servers (smaller than the default, to test 413 cheaply).
pub const MAX_BODY: usize = 64 * 1024;

pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    /// The default organisation's slug (`acme`).
    pub org: String,
    /// Its SCIM token.
    pub token: String,
    /// Its token's id.
    pub token_id: String,
    pub store: Store,
    /// The database's `DATABASE_URL` (for a second process's view, e.g. admin-api's).
    pub db_url: String,
    pub client: reqwest::Client,
    _db: TestDb,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    /// The body as JSON (`Null` when empty).
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }

    /// Asserts an RFC 7644 §3.12 error with `status` (and `scimType` when given), as `application/scim+json`.
    #[track_caller]
    pub fn assert_scim_error(&self, status: u16, scim_type: Option<&str>) {
        assert_eq!(self.status, status, "{:#}", self.body);
        assert_eq!(self.content_type(), Some(SCIM), "{:#}", self.body);
        assert_eq!(self.body["schemas"], json!([ERROR]), "{:#}", self.body);
        assert_eq!(self.body["status"], json!(status.to_string()));
        assert!(self.body["detail"].is_string(), "{:#}", self.body);
        match scim_type {
            Some(t) => assert_eq!(self.body["scimType"], json!(t), "{:#}", self.body),
            None => assert!(self.body.get("scimType").is_none(), "{:#}", self.body),
        }
    }

    /// Asserts a SCIM success with `status`, as `application/scim+json`.
    #[track_caller]
    pub fn assert_ok(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "{:#}", self.body);
        assert_eq!(self.content_type(), Some(SCIM));
        &self.body
    }
}

pub fn org_settings(name: &str) -> OrgSettings {
    OrgSettings {
        name: name.to_string(),
        scim_enabled: true,
        roles: vec!["Admin".into(), "Member".into(), "Viewer".into()],
        default_role: "Member".into(),
    }
}

/// A new SCIM token for `org`: (secret, token id).
pub fn new_token(store: &Store, org: &str) -> (String, String) {
    let mut random = [0u8; scim_core::token::RANDOM_BYTES];
    rand::rng().fill_bytes(&mut random);
    let issued = scim_core::token::from_random_bytes(&random);
    let info = store
        .create_token(
            org,
            &NewToken {
                name: "Entra".into(),
                hash: issued.hash,
                hint: issued.hint.clone(),
                expires_at: None,
            },
            "test",
        )
        .unwrap();
    (issued.secret, info.id)
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// [`spawn_app`] with the configuration changed by `edit` first (e.g. lower limits).
pub async fn spawn_app_with(backend: Backend, edit: impl FnOnce(&mut Config)) -> TestApp {
    let db = TestDb::new(backend);
    let store = db.store();
    store.put_org("acme", &org_settings("Acme")).unwrap();
    let (token, token_id) = new_token(&store, "acme");

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let address = format!("http://127.0.0.1:{port}");
    let mut config = Config {
        database_url: db.url().to_string(),
        bind: listener.local_addr().unwrap(),
        public_url: address.clone(),
        max_body_bytes: MAX_BODY,
        workers: Some(2),
        token_use_flush: Duration::from_millis(100),
        ..Config::default()
    };
    edit(&mut config);
    let server = build_server(config, store.clone(), listener).unwrap();
    tokio::spawn(server);
    TestApp {
        address,
        org: "acme".into(),
        token,
        token_id,
        store,
        db_url: db.url().to_string(),
        client: reqwest::Client::new(),

        _db: db,
    }
}

impl TestApp {
    /// The SCIM base URL of `org`.
    pub fn base(&self, org: &str) -> String {
        format!("{}/scim/v2/orgs/{org}", self.address)
    }

    /// The enterprise `manager` as returned for manager `id`: its id and its User URL.
    pub fn manager_json(&self, id: &str) -> Value {
        json!({"value": id, "$ref": format!("{}/Users/{id}", self.base(&self.org))})
    }

    /// A request to the default organisation's `path` (e.g. `/Users`) with its token.
    pub async fn req(&self, method: Method, path: &str, body: Option<&Value>) -> Resp {
        let url = format!("{}{path}", self.base(&self.org));
        self.send(method, &url, body, Some(&self.token), &[]).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.req(Method::GET, path, None).await
    }

    /// `GET {base of org}{path}` with `token` (another organisation's, an expired one, ...).
    pub async fn get_as(&self, org: &str, path: &str, token: &str) -> Resp {
        let url = format!("{}{path}", self.base(org));
        self.send(Method::GET, &url, None, Some(token), &[]).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.req(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Resp {
        self.req(Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Resp {
        self.req(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.req(Method::DELETE, path, None).await
    }

    /// Any request: absolute `url`, JSON `body` as `application/scim+json`, optional bearer token, extra
    /// headers.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut rb = self.client.request(method, url);
        if let Some(token) = token {
            rb = rb.bearer_auth(token);
        }
        if let Some(body) = body {
            rb = rb
                .header("content-type", SCIM)
                .body(serde_json::to_vec(body).unwrap());
        }
        for (name, value) in headers {
            rb = rb.header(*name, *value);
        }
        read(rb.send().await.unwrap()).await
    }

    /// A raw request to the default organisation's `path` with the token: body bytes and content type as
    /// given.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Resp {
        let url = format!("{}{path}", self.base(&self.org));
        let mut rb = self
            .client
            .request(method, url)
            .bearer_auth(&self.token)
            .body(body);
        if let Some(ct) = content_type {
            rb = rb.header("content-type", ct);
        }
        read(rb.send().await.unwrap()).await
    }

    /// Creates a user the way Entra does; returns the created resource.
    pub async fn create_user(&self, user_name: &str) -> Value {
        let r = self.post("/Users", &entra_user(user_name)).await;
        r.assert_ok(201).clone()
    }

    /// Creates a group; returns the created resource.
    pub async fn create_group(&self, name: &str) -> Value {
        let r = self
            .post(
                "/Groups",
                &json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                    "externalId": format!("ext-{name}"),
                    "displayName": name,
                }),
            )
            .await;
        r.assert_ok(201).clone()
    }

    /// A second organisation with its own token: (slug, token).
    pub fn other_org(&self, slug: &str) -> String {
        self.store.put_org(slug, &org_settings(slug)).unwrap();
        new_token(&self.store, slug).0
    }

    /// The organisation's refused events, newest first.
    pub fn refusals(&self) -> Vec<humbol_store::Event> {
        self.store
            .events(
                &self.org,
                &EventQuery {
                    outcome: Some(Outcome::Refused),
                    ..EventQuery::default()
                },
            )
            .unwrap()
    }
}

/// Reads a response whole (its body as JSON).
pub async fn read(response: reqwest::Response) -> Resp {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "response {status} is not JSON ({e}): {}",
                String::from_utf8_lossy(&bytes)
            )
        })
    };
    Resp {
        status,
        headers,
        body,
    }
}

/// Entra's create-user body (entra.md, "Create"), for `user_name`.
pub fn entra_user(user_name: &str) -> Value {
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "externalId": format!("ext-{user_name}"),
        "userName": user_name,
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": user_name}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "roles": []
    })
}

/// A PatchOp body with these operations.
pub fn patch_op(operations: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": operations})
}

/// A random, URL-safe name.
pub fn random_name() -> String {
    let mut b = [0u8; 8];
    rand::rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The id of a resource.
pub fn id_of(resource: &Value) -> String {
    resource["id"].as_str().unwrap().to_string()
}

/// A filter in a URL query: `?filter=<encoded>` plus extra parameters.
pub fn filter_query(filter: &str) -> String {
    format!("filter={}", encode(filter))
}

/// Percent-encodes a query component.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
