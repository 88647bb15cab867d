//! Token lifecycle: created once, listed without values, revoked; the store authenticates only live ones.

use humbol_store::Backend;
use reqwest::StatusCode;
use rstest::rstest;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, TestApp};

fn assert_token_format(token: &str) {
    assert!(token.starts_with("humbol_scim_"), "{token}");
    assert_eq!(token.len(), 50);
    assert!(token["humbol_scim_".len()..]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric()));
    assert!(scim_core::token::parse(token).is_ok());
}

#[rstest]
#[tokio::test]
async fn admin_creates_lists_and_revokes_tokens(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.enable_org("acme").await;

    let first = app.create_token("acme", "Entra").await;
    let second = app.create_token("acme", "Entra (rotation)").await;
    let (t1, t2) = (
        first["token"].as_str().unwrap().to_owned(),
        second["token"].as_str().unwrap().to_owned(),
    );
    assert_ne!(t1, t2);
    assert_token_format(&t1);
    assert_token_format(&t2);
    assert_eq!(first["name"], "Entra");
    assert_eq!(
        first["scim_base_url"],
        "https://scim.test.example/scim/v2/orgs/acme"
    );
    assert_eq!(first["hint"], format!("humbol_scim_…{}", &t1[46..]));
    assert!(first["expires_at"].is_null());
    assert!(first["created_at"].is_string());

    // The value never appears again: not in the list, not in the organisation.
    let list_res = app
        .get("/api/v1/orgs/acme/scim/tokens", &app.admin("acme"))
        .await;
    assert_eq!(list_res.status(), StatusCode::OK);
    let list_text = list_res.text().await.unwrap();
    let org_text = app
        .get("/api/v1/orgs/acme", &app.admin("acme"))
        .await
        .text()
        .await
        .unwrap();
    for secret in [&t1, &t2] {
        assert!(!list_text.contains(secret.as_str()));
        assert!(!org_text.contains(secret.as_str()));
        assert!(!list_text.contains(&secret["humbol_scim_".len()..][..20]));
    }
    let list: Value = serde_json::from_str(&list_text).unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    for item in items {
        assert!(item.get("token").is_none());
        assert!(item["revoked_at"].is_null());
        assert!(item["hint"].as_str().unwrap().starts_with("humbol_scim_…"));
    }

    // Both work before revocation.
    let h1 = scim_core::token::parse(&t1).unwrap();
    let h2 = scim_core::token::parse(&t2).unwrap();
    let auth1 = app
        .store
        .authenticate(&h1, chrono::Utc::now())
        .unwrap()
        .unwrap();
    assert_eq!(auth1.token_id, first["id"].as_str().unwrap());
    assert_eq!(auth1.org.slug, "acme");

    // Revoke the first: it is shown revoked, the second stays live.
    let id1 = first["id"].as_str().unwrap();
    let res = app
        .delete(
            &format!("/api/v1/orgs/acme/scim/tokens/{id1}"),
            &app.admin("acme"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let list: Value = app
        .get("/api/v1/orgs/acme/scim/tokens", &app.admin("acme"))
        .await
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    let item = |id: &Value| items.iter().find(|i| i["id"] == *id).unwrap().clone();
    assert!(item(&first["id"])["revoked_at"].is_string());
    assert!(item(&second["id"])["revoked_at"].is_null());

    // The store: the revoked one is refused at once, the other still works.
    assert!(app
        .store
        .authenticate(&h1, chrono::Utc::now())
        .unwrap()
        .is_none());
    let auth2 = app
        .store
        .authenticate(&h2, chrono::Utc::now())
        .unwrap()
        .unwrap();
    assert_eq!(auth2.token_id, second["id"].as_str().unwrap());

    // Revoking again is idempotent; an unknown id is 404.
    let res = app
        .delete(
            &format!("/api/v1/orgs/acme/scim/tokens/{id1}"),
            &app.admin("acme"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .delete(
            "/api/v1/orgs/acme/scim/tokens/00000000-0000-4000-8000-000000000000",
            &app.admin("acme"),
        )
        .await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
}

#[rstest]
#[tokio::test]
async fn creation_response_is_not_cached(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.enable_org("acme").await;
    let res = app
        .post_json(
            "/api/v1/orgs/acme/scim/tokens",
            &app.admin("acme"),
            &json!({"name": "Entra"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["cache-control"], "no-store");
}

#[rstest]
#[tokio::test]
async fn token_expiry_must_be_in_the_future_and_is_kept(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.enable_org("acme").await;
    let path = "/api/v1/orgs/acme/scim/tokens";
    let res = app
        .post_json(
            path,
            &app.admin("acme"),
            &json!({"name": "old", "expires_at": "2001-01-01T00:00:00Z"}),
        )
        .await;
    assert_error(res, StatusCode::BAD_REQUEST, "bad_request").await;
    let res = app
        .post_json(
            path,
            &app.admin("acme"),
            &json!({"name": "bad", "expires_at": "next tuesday"}),
        )
        .await;
    assert_error(res, StatusCode::BAD_REQUEST, "bad_request").await;
    let res = app
        .post_json(path, &app.admin("acme"), &json!({"name": "  "}))
        .await;
    assert_error(res, StatusCode::BAD_REQUEST, "bad_request").await;

    let res = app
        .post_json(
            path,
            &app.admin("acme"),
            &json!({"name": "quarterly", "expires_at": "2099-03-31T12:00:00Z"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    let expires =
        chrono::DateTime::parse_from_rfc3339(body["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(expires.timestamp(), 4_078_641_600);
}

#[rstest]
#[tokio::test]
async fn scim_disabled_org_gets_409_pointing_to_support(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    assert_eq!(
        app.put_org("acme", false).await.status(),
        StatusCode::CREATED
    );
    let res = app
        .post_json(
            "/api/v1/orgs/acme/scim/tokens",
            &app.admin("acme"),
            &json!({"name": "Entra"}),
        )
        .await;
    let message = assert_error(res, StatusCode::CONFLICT, "scim_not_enabled").await;
    assert!(message.contains("contact Humbol support"), "{message}");
    let list: Value = app
        .get("/api/v1/orgs/acme/scim/tokens", &app.admin("acme"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([]));
}

#[rstest]
#[tokio::test]
async fn support_may_list_and_revoke_but_not_create(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.enable_org("acme").await;
    let token = app.create_token("acme", "Entra").await;
    let res = app
        .post_json(
            "/api/v1/orgs/acme/scim/tokens",
            &app.support(),
            &json!({"name": "by support"}),
        )
        .await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let list: Value = app
        .get("/api/v1/orgs/acme/scim/tokens", &app.support())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let res = app
        .delete(
            &format!(
                "/api/v1/orgs/acme/scim/tokens/{}",
                token["id"].as_str().unwrap()
            ),
            &app.support(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

/// Everything the database holds, as bytes: the SQLite file with its WAL/journal, or a PostgreSQL data dump.
fn database_bytes(app: &TestApp) -> Vec<u8> {
    match app.db.backend() {
        Backend::Sqlite => {
            let path = app.sqlite_path().expect("a SQLite file");
            let mut bytes = std::fs::read(&path).unwrap();
            for suffix in ["-wal", "-journal"] {
                let mut extra = path.clone().into_os_string();
                extra.push(suffix);
                if let Ok(b) = std::fs::read(&extra) {
                    bytes.extend(b);
                }
            }
            bytes
        }
        Backend::Postgres => {
            let out = std::process::Command::new("pg_dump")
                .args(["--data-only", "--no-owner", "--dbname", app.db.url()])
                .output()
                .expect("pg_dump (installed with PostgreSQL by scripts/ensure-postgres)");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        }
    }
}

#[rstest]
#[tokio::test]
async fn token_value_is_absent_from_the_database(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.enable_org("acme").await;
    let created = app.create_token("acme", "Entra").await;
    let secret = created["token"].as_str().unwrap().to_owned();
    let random_part = secret["humbol_scim_".len()..][..32].to_owned();
    let list: Value = app
        .get("/api/v1/orgs/acme/scim/tokens", &app.admin("acme"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    let bytes = database_bytes(&app);
    assert!(bytes.len() > 1024);
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(!contains(secret.as_bytes()));
    assert!(!contains(random_part.as_bytes()));
    assert!(!contains(&random_part.as_bytes()[..16]));
    // ... but its hint (prefix + last 4) is there: we did read the right database.
    assert!(contains(created["hint"].as_str().unwrap().as_bytes()));
}

#[rstest]
#[tokio::test]
async fn live_tokens_are_capped_per_organisation(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.enable_org("acme").await;
    app.enable_org("globex").await;
    let cap = humbol_store::MAX_LIVE_TOKENS;
    let mut ids = Vec::new();
    for i in 0..cap {
        ids.push(app.create_token("acme", &format!("t{i}")).await["id"].clone());
    }
    let body = json!({"name": "one too many", "expires_at": null});
    let path = "/api/v1/orgs/acme/scim/tokens";
    let res = app.post_json(path, &app.admin("acme"), &body).await;
    let message = assert_error(res, StatusCode::CONFLICT, "too_many_tokens").await;
    assert!(message.contains("revoke one first"), "{message}");
    // Another organisation has its own count; a revoked token frees a place.
    app.create_token("globex", "Entra").await;
    let revoked = app
        .delete(
            &format!("{path}/{}", ids[0].as_str().unwrap()),
            &app.admin("acme"),
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    app.create_token("acme", "rotation").await;
}

#[rstest]
#[tokio::test]
async fn the_token_list_is_paginated_newest_first(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.enable_org("acme").await;
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(app.create_token("acme", &format!("t{i}")).await["id"].clone());
    }
    let admin = app.admin("acme");
    // The default page holds them all, as before, with no next page.
    let all: Value = app
        .get("/api/v1/orgs/acme/scim/tokens", &admin)
        .await
        .json()
        .await
        .unwrap();
    let newest_first: Vec<Value> = created.iter().rev().cloned().collect();
    let ids = |page: &Value| -> Vec<Value> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].clone())
            .collect()
    };
    assert_eq!(ids(&all), newest_first);
    assert!(all["next"].is_null());
    // Pages of two, following `next`.
    let mut seen = Vec::new();
    let mut url = "/api/v1/orgs/acme/scim/tokens?limit=2".to_string();
    let mut pages = 0;
    loop {
        let page: Value = app.get(&url, &admin).await.json().await.unwrap();
        pages += 1;
        seen.extend(ids(&page));
        match page["next"].as_str() {
            Some(next) => url = format!("/api/v1/orgs/acme/scim/tokens?limit=2&before={next}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, newest_first);
    for bad in ["limit=0", "limit=201", "before=no-such-token", "limit=x"] {
        let res = app
            .get(&format!("/api/v1/orgs/acme/scim/tokens?{bad}"), &admin)
            .await;
        assert_error(res, StatusCode::BAD_REQUEST, "bad_request").await;
    }
}
