//! OAuth clients: created with a secret shown once, listed without secrets (expiring ones flagged), rotated,
//! given a federated credential, revoked; who may do what; and the secret working at the real scim-api's token
//! endpoint over the same database until it is removed or the client revoked.

use humbol_store::Backend;
use reqwest::StatusCode;
use rstest::rstest;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, TestApp};
use crate::scim_end_to_end::spawn_scim_api;

const CLIENTS: &str = "/api/v1/orgs/acme/scim/clients";

async fn create_client(app: &TestApp, body: &Value) -> Value {
    let res = app.post_json(CLIENTS, &app.admin("acme"), body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["cache-control"], "no-store");
    res.json().await.unwrap()
}

async fn list(app: &TestApp, jwt: &str) -> (String, Value) {
    let res = app.get(CLIENTS, jwt).await;
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap();
    (text, body)
}

/// `POST {scim}/scim/v2/orgs/acme/oauth/token` with `client_secret_post`: the status and body.
async fn token(app: &TestApp, endpoint: &str, client_id: &str, secret: &str) -> (u16, Value) {
    let res = app
        .client
        .post(endpoint)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[rstest]
#[tokio::test]
async fn admin_creates_lists_rotates_and_revokes_clients(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.enable_org("acme").await;
    let created = create_client(&app, &json!({"name": "Entra"})).await;
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("humbol_secret_"), "{secret}");
    assert!(
        scim_core::token::parse_with_prefix(scim_core::token::CLIENT_SECRET_PREFIX, &secret)
            .is_ok()
    );
    assert_eq!(
        created["token_endpoint"],
        "https://scim.test.example/scim/v2/orgs/acme/oauth/token"
    );
    assert_eq!(
        created["scim_base_url"],
        "https://scim.test.example/scim/v2/orgs/acme"
    );
    let expires: chrono::DateTime<chrono::Utc> = created["secret_expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let in_a_year = chrono::Utc::now() + chrono::Duration::days(365);
    assert!((expires - in_a_year).num_minutes().abs() < 5, "{expires}");
    let id = created["id"].as_str().unwrap().to_owned();

    // Listed without the secret, for the admin and for support.
    for jwt in [app.admin("acme"), app.support()] {
        let (text, body) = list(&app, &jwt).await;
        assert!(!text.contains(&secret) && !text.contains(&secret[14..34]));
        let item = &body["items"][0];
        assert_eq!(item["client_id"], created["client_id"]);
        assert_eq!(item["secrets"][0]["id"], created["secret_id"]);
        assert_eq!(item["secrets"][0]["expires_soon"], false);
        assert_eq!(item["secret_expires_soon"], false);
        assert!(item["federation"].is_null());
    }

    // A secret expiring within 30 days is flagged.
    let soon = (chrono::Utc::now() + chrono::Duration::days(10)).to_rfc3339();
    let res = app
        .post_json(
            &format!("{CLIENTS}/{id}/secrets"),
            &app.admin("acme"),
            &json!({"expires_at": soon}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let second: Value = res.json().await.unwrap();
    let second_secret = second["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(second_secret, secret);
    let (_, body) = list(&app, &app.admin("acme")).await;
    let item = &body["items"][0];
    assert_eq!(item["secrets"].as_array().unwrap().len(), 2);
    assert_eq!(item["secrets"][1]["expires_soon"], true);
    assert_eq!(item["secret_expires_soon"], true);

    // Both secrets work at the token endpoint; a removed one stops.
    let scim = spawn_scim_api(&app);
    let endpoint = format!("{scim}/scim/v2/orgs/acme/oauth/token");
    let client_id = created["client_id"].as_str().unwrap();
    for s in [&secret, &second_secret] {
        let (status, body) = token(&app, &endpoint, client_id, s).await;
        assert_eq!(status, 200, "{body}");
    }
    let res = app
        .delete(
            &format!(
                "{CLIENTS}/{id}/secrets/{}",
                created["secret_id"].as_str().unwrap()
            ),
            &app.admin("acme"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(token(&app, &endpoint, client_id, &secret).await.0, 401);
    let (status, body) = token(&app, &endpoint, client_id, &second_secret).await;
    assert_eq!(status, 200);
    let access = body["access_token"].as_str().unwrap().to_owned();
    let users = |t: String| {
        let c = app.client.clone();
        let url = format!("{scim}/scim/v2/orgs/acme/Users");
        async move { c.get(url).bearer_auth(t).send().await.unwrap().status() }
    };
    assert_eq!(users(access.clone()).await, StatusCode::OK);

    // Support revokes the client: its access token is refused on the very next request.
    let res = app.delete(&format!("{CLIENTS}/{id}"), &app.support()).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(users(access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        token(&app, &endpoint, client_id, &second_secret).await.0,
        401
    );
    let res = app
        .delete(&format!("{CLIENTS}/{id}"), &app.admin("acme"))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT, "idempotent");
    let (_, body) = list(&app, &app.admin("acme")).await;
    assert!(body["items"][0]["revoked_at"].is_string());

    // The provisioning log tells the story.
    let res = app
        .get("/api/v1/orgs/acme/scim/events", &app.admin("acme"))
        .await;
    let events = res.text().await.unwrap();
    for action in [
        "client_created",
        "secret_added",
        "secret_removed",
        "client_revoked",
        "token_issued",
        "token_refused",
    ] {
        assert!(events.contains(action), "{action}: {events}");
    }
    assert!(!events.contains(&secret) && !events.contains(&second_secret));
}

#[rstest]
#[tokio::test]
async fn support_never_sees_or_makes_a_secret_and_bad_input_changes_nothing(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.enable_org("acme").await;
    app.enable_org("globex").await;
    let created = create_client(&app, &json!({"name": "Entra"})).await;
    let id = created["id"].as_str().unwrap();

    let res = app
        .post_json(CLIENTS, &app.support(), &json!({"name": "x"}))
        .await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = app
        .post_json(
            &format!("{CLIENTS}/{id}/secrets"),
            &app.support(),
            &json!({}),
        )
        .await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let fed = json!({"issuer": "https://login.microsoftonline.com/t/v2.0", "subject": "s", "audience": "a"});
    let res = app
        .put_json(&format!("{CLIENTS}/{id}/federation"), &app.support(), &fed)
        .await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    // Another organisation's admin sees nothing.
    let res = app.get(CLIENTS, &app.admin("globex")).await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app
        .delete(
            &format!("/api/v1/orgs/globex/scim/clients/{id}"),
            &app.admin("globex"),
        )
        .await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;

    let now = chrono::Utc::now();
    for body in [
        json!({"name": ""}),
        json!({"name": "x", "secret_expires_at": (now - chrono::Duration::days(1)).to_rfc3339()}),
        json!({"name": "x", "secret_expires_at": (now + chrono::Duration::days(3 * 365 + 5)).to_rfc3339()}),
        json!({"name": "x", "unknown": 1}),
    ] {
        let res = app.post_json(CLIENTS, &app.admin("acme"), &body).await;
        assert_error(res, StatusCode::BAD_REQUEST, "bad_request").await;
    }
    for fed in [
        json!({"issuer": "http://login.microsoftonline.com/t/v2.0", "subject": "s", "audience": "a"}),
        json!({"issuer": "not a url", "subject": "s", "audience": "a"}),
        json!({"issuer": "https://login.microsoftonline.com/t/v2.0", "subject": "", "audience": "a"}),
    ] {
        let res = app
            .put_json(
                &format!("{CLIENTS}/{id}/federation"),
                &app.admin("acme"),
                &fed,
            )
            .await;
        assert_error(res, StatusCode::BAD_REQUEST, "bad_request").await;
    }
    let (_, body) = list(&app, &app.admin("acme")).await;
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    assert!(body["items"][0]["federation"].is_null());

    // The admin sets and removes a federated credential.
    let res = app
        .put_json(
            &format!("{CLIENTS}/{id}/federation"),
            &app.admin("acme"),
            &fed,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, body) = list(&app, &app.support()).await;
    assert_eq!(body["items"][0]["federation"], fed);
    let res = app
        .delete(&format!("{CLIENTS}/{id}/federation"), &app.support())
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (_, body) = list(&app, &app.admin("acme")).await;
    assert!(body["items"][0]["federation"].is_null());

    // Unknown ids are 404; SCIM not enabled is 409.
    let res = app
        .delete(&format!("{CLIENTS}/nope/secrets/nope"), &app.admin("acme"))
        .await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app
        .post_json(
            &format!("{CLIENTS}/nope/secrets"),
            &app.admin("acme"),
            &json!({}),
        )
        .await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    app.put_org("acme", false).await;
    let res = app
        .post_json(CLIENTS, &app.admin("acme"), &json!({"name": "x"}))
        .await;
    assert_error(res, StatusCode::CONFLICT, "scim_not_enabled").await;
}
