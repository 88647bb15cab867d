//! Tokens made by the admin API, used on the real SCIM API over the same database: each live token works
//! on its own organisation's tenant URL, revocation takes effect on the very next SCIM request, and revoking
//! one token leaves the other working (rotation without downtime).

use std::net::TcpListener;

use humbol_store::Backend;
use reqwest::StatusCode;
use rstest::rstest;
use serde_json::Value;

use crate::helpers::{spawn_app, TestApp};

/// Starts scim-api over the admin app's database; returns its base URL.
pub fn spawn_scim_api(app: &TestApp) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let url = app.db.url().to_owned();
    let config = scim_api::Config::from_lookup(|name| match name {
        "DATABASE_URL" => Some(url.clone()),
        "HUMBOL_SCIM_PUBLIC_URL" => Some(base.clone()),
        "HUMBOL_SCIM_WORKERS" => Some("1".into()),
        _ => None,
    })
    .unwrap();
    let server = scim_api::build_server(config, app.store.clone(), listener).unwrap();
    tokio::spawn(server);
    base
}

/// `GET /Users` of `org` with `token`.
async fn get_users(app: &TestApp, scim: &str, org: &str, token: &str) -> reqwest::Response {
    app.client
        .get(format!("{scim}/scim/v2/orgs/{org}/Users"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// `GET /Users` of `org` with `token`: the HTTP status.
async fn list_users(app: &TestApp, scim: &str, org: &str, token: &str) -> StatusCode {
    get_users(app, scim, org, token).await.status()
}

#[rstest]
#[tokio::test]
async fn tokens_work_on_the_scim_api_until_revoked(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let scim = spawn_scim_api(&app);
    app.enable_org("acme").await;
    app.enable_org("globex").await;
    let first = app.create_token("acme", "Entra (old)").await;
    let second = app.create_token("acme", "Entra (new)").await;
    let (first_token, second_token) = (
        first["token"].as_str().unwrap(),
        second["token"].as_str().unwrap(),
    );
    assert!(first["scim_base_url"]
        .as_str()
        .unwrap()
        .ends_with("/scim/v2/orgs/acme"));

    // Both live tokens work on their organisation's tenant URL, and only there.
    for token in [first_token, second_token] {
        assert_eq!(list_users(&app, &scim, "acme", token).await, StatusCode::OK);
        assert_eq!(
            list_users(&app, &scim, "globex", token).await,
            StatusCode::UNAUTHORIZED
        );
    }

    // Revoking the first: refused on the very next request; the second keeps working.
    let id = first["id"].as_str().unwrap();
    let res = app
        .delete(
            &format!("/api/v1/orgs/acme/scim/tokens/{id}"),
            &app.admin("acme"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        list_users(&app, &scim, "acme", first_token).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        list_users(&app, &scim, "acme", second_token).await,
        StatusCode::OK
    );

    // Support disables SCIM for the organisation: every token stops working at once.
    assert_eq!(app.put_org("acme", false).await.status(), StatusCode::OK);
    let res = get_users(&app, &scim, "acme", second_token).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "401");
}
