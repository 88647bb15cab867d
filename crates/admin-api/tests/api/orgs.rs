//! `PUT`/`GET /api/v1/orgs/{org}`: support creates and updates; validation; the SCIM tenant URL.

use humbol_store::Backend;
use reqwest::StatusCode;
use rstest::rstest;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app};

#[rstest]
#[tokio::test]
async fn support_creates_then_updates_an_org(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let body = json!({"name": "Acme", "scim_enabled": true, "roles": ["Admin", "Member", "Viewer"], "default_role": "Member"});
    let res = app
        .put_json("/api/v1/orgs/acme", &app.support(), &body)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["slug"], "acme");
    assert_eq!(created["roles"], json!(["Admin", "Member", "Viewer"]));
    assert_eq!(
        created["scim_base_url"],
        "https://scim.test.example/scim/v2/orgs/acme"
    );

    let update = json!({"name": "Acme Corp", "scim_enabled": false, "roles": ["Member"], "default_role": "Member"});
    let res = app
        .put_json("/api/v1/orgs/acme", &app.support(), &update)
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let got: Value = app
        .get("/api/v1/orgs/acme", &app.admin("acme"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["name"], "Acme Corp");
    assert_eq!(got["scim_enabled"], false);
    assert_eq!(got["roles"], json!(["Member"]));
    assert_eq!(got["default_role"], "Member");
    assert_eq!(
        got["scim_base_url"],
        "https://scim.test.example/scim/v2/orgs/acme"
    );
    assert!(got["created_at"].is_string() && got["updated_at"].is_string());
}

#[rstest]
#[tokio::test]
async fn bad_slugs_and_bodies_are_400_and_change_nothing(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let good = json!({"name": "Acme", "scim_enabled": true, "roles": ["Admin", "Member"], "default_role": "Member"});
    let too_long = "a".repeat(64);
    for slug in ["Acme", "acme_corp", "acme.com", too_long.as_str(), "%C3%A9"] {
        let res = app
            .put_json(&format!("/api/v1/orgs/{slug}"), &app.support(), &good)
            .await;
        let message = assert_error(res, StatusCode::BAD_REQUEST, "bad_request").await;
        assert!(message.contains("slug"), "{message}");
    }
    for body in [
        json!({"name": "Acme", "scim_enabled": true, "roles": ["Admin"], "default_role": "Member"}),
        json!({"name": "Acme", "scim_enabled": true, "roles": [], "default_role": "Member"}),
        json!({"name": "Acme", "scim_enabled": true, "roles": ["Member", "Member"], "default_role": "Member"}),
        json!({"name": "", "scim_enabled": true, "roles": ["Member"], "default_role": "Member"}),
        json!({"name": "Acme", "roles": ["Member"], "default_role": "Member"}),
        json!({"name": "Acme", "scim_enabled": "yes", "roles": ["Member"], "default_role": "Member"}),
        json!({"name": "Acme", "scim_enabled": true, "roles": ["Member"], "default_role": "Member", "extra": 1}),
    ] {
        let res = app
            .put_json("/api/v1/orgs/acme", &app.support(), &body)
            .await;
        assert_error(res, StatusCode::BAD_REQUEST, "bad_request").await;
    }
    let res = app.get("/api/v1/orgs/acme", &app.support()).await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
}

#[rstest]
#[tokio::test]
async fn malformed_json_wrong_type_and_oversized_bodies_get_json_errors(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let url = app.url("/api/v1/orgs/acme");
    let send = |body: Vec<u8>, content_type: &'static str| {
        app.client
            .put(url.clone())
            .bearer_auth(app.support())
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };
    let res = send(b"{\"name\": \"Acme\",".to_vec(), "application/json")
        .await
        .unwrap();
    assert_error(res, StatusCode::BAD_REQUEST, "bad_request").await;
    let res = send(b"name=Acme".to_vec(), "application/x-www-form-urlencoded")
        .await
        .unwrap();
    assert_error(
        res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let mut huge = b"{\"name\": \"".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 2 * 1024 * 1024));
    huge.extend(b"\"}");
    let res = send(huge, "application/json").await.unwrap();
    assert_error(res, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    let res = app.get("/api/v1/orgs/acme", &app.support()).await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
}
