//! The provisioning log: token events with the admin's sub, newest first, cursor pagination, outcome filter.

use humbol_store::{Backend, NewEvent, Outcome};
use reqwest::StatusCode;
use rstest::rstest;
use serde_json::Value;

use crate::helpers::{assert_error, spawn_app, TestApp};

async fn events(app: &TestApp, query: &str) -> Value {
    let res = app
        .get(
            &format!("/api/v1/orgs/acme/scim/events{query}"),
            &app.admin("acme"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

#[rstest]
#[tokio::test]
async fn token_events_are_logged_newest_first_and_paginated(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.enable_org("acme").await;
    let first = app.create_token("acme", "one").await;
    let _second = app.create_token("acme", "two").await;
    let res = app
        .delete(
            &format!(
                "/api/v1/orgs/acme/scim/tokens/{}",
                first["id"].as_str().unwrap()
            ),
            &app.admin("acme"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    let all = events(&app, "").await;
    let items = all["items"].as_array().unwrap();
    let actions: Vec<&str> = items
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["token_revoked", "token_created", "token_created"]);
    for e in items {
        assert!(e["actor"].as_str().unwrap().contains("alice@acme"), "{e}");
        assert_eq!(e["outcome"], "success");
    }
    assert!(all["next"].is_null());
    // Never the token value.
    let text = all.to_string();
    assert!(!text.contains(first["token"].as_str().unwrap()));

    // Pages of one, following `next`.
    let mut seen = Vec::new();
    let mut query = "?limit=1".to_owned();
    loop {
        let page = events(&app, &query).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 1);
        seen.extend(items.iter().map(|e| e["id"].clone()));
        match page["next"].as_str() {
            Some(next) => query = format!("?limit=1&before={next}"),
            None => break,
        }
    }
    let all_ids: Vec<Value> = items.iter().map(|e| e["id"].clone()).collect();
    assert_eq!(seen, all_ids);
}

#[rstest]
#[tokio::test]
async fn events_filter_by_outcome_and_validate_parameters(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.enable_org("acme").await;
    app.create_token("acme", "one").await;
    app.store
        .record_event(
            "acme",
            &NewEvent {
                actor: "token:x".into(),
                action: humbol_store::EventAction::Refused,
                resource_type: Some(humbol_store::EventResource::User),
                resource_id: None,
                outcome: Outcome::Refused,
                detail: "role `Owner` is not one of Admin, Member, Viewer".into(),
            },
        )
        .unwrap();

    let refused = events(&app, "?outcome=refused").await;
    let items = refused["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["action"], "refused");
    assert_eq!(items[0]["resource_type"], "User");
    let success = events(&app, "?outcome=success").await;
    assert_eq!(success["items"].as_array().unwrap().len(), 1);

    for query in [
        "?limit=0",
        "?limit=1000",
        "?limit=x",
        "?before=abc",
        "?outcome=maybe",
    ] {
        let res = app
            .get(
                &format!("/api/v1/orgs/acme/scim/events{query}"),
                &app.admin("acme"),
            )
            .await;
        assert_error(res, StatusCode::BAD_REQUEST, "bad_request").await;
    }
    // Unknown parameters are ignored.
    assert_eq!(
        events(&app, "?foo=bar").await["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[rstest]
#[tokio::test]
async fn pruning_keeps_events_within_the_retention_period(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.enable_org("acme").await;
    app.create_token("acme", "one").await;
    assert_eq!(admin_api::prune_old_events(&app.store, 1).unwrap(), 0);
    assert_eq!(events(&app, "").await["items"].as_array().unwrap().len(), 1);
    // Everything before "a day from now" goes: the store call really deletes.
    let pruned = app
        .store
        .prune_events(chrono::Utc::now() + chrono::Duration::days(1))
        .unwrap();
    assert_eq!(pruned, 1);
    assert_eq!(events(&app, "").await["items"], serde_json::json!([]));
}

#[rstest]
#[tokio::test]
async fn events_filter_by_action_and_resource_type(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.enable_org("acme").await;
    let token = app.create_token("acme", "one").await;
    app.create_token("acme", "two").await;
    let res = app
        .delete(
            &format!(
                "/api/v1/orgs/acme/scim/tokens/{}",
                token["id"].as_str().unwrap()
            ),
            &app.admin("acme"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    app.store
        .record_event(
            "acme",
            &NewEvent {
                actor: "token:x".into(),
                action: humbol_store::EventAction::Refused,
                resource_type: Some(humbol_store::EventResource::User),
                resource_id: None,
                outcome: Outcome::Refused,
                detail: "POST /Users: 409 uniqueness: userName \"a\" is already taken".into(),
            },
        )
        .unwrap();

    let actions = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        actions(&events(&app, "?action=token_created").await),
        ["token_created", "token_created"]
    );
    assert_eq!(
        actions(&events(&app, "?resource_type=Token").await),
        ["token_revoked", "token_created", "token_created"]
    );
    assert_eq!(
        actions(&events(&app, "?resource_type=User&outcome=refused").await),
        ["refused"]
    );
    assert!(actions(&events(&app, "?resource_type=Group").await).is_empty());
    // Empty values mean "any" (what the page's "Any" option sends).
    assert_eq!(
        actions(&events(&app, "?action=&resource_type=&outcome=").await).len(),
        4
    );
    // Paging keeps the filter.
    let first = events(&app, "?action=token_created&limit=1").await;
    let next = first["next"].as_str().unwrap();
    let second = events(
        &app,
        &format!("?action=token_created&limit=1&before={next}"),
    )
    .await;
    assert_eq!(actions(&second), ["token_created"]);
    assert!(second["next"].is_null());

    for query in [
        "?action=drop%20table",
        "?resource_type=User'",
        &format!("?action={}", "a".repeat(65)),
    ] {
        let res = app
            .get(
                &format!("/api/v1/orgs/acme/scim/events{query}"),
                &app.admin("acme"),
            )
            .await;
        assert_error(res, StatusCode::BAD_REQUEST, "bad_request").await;
    }
}

#[rstest]
#[tokio::test]
async fn status_counts_what_scim_calls_did_and_when_entra_last_called(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.enable_org("acme").await;
    app.enable_org("globex").await;
    let status = |org: &'static str| {
        let app = &app;
        async move {
            let res = app
                .get(&format!("/api/v1/orgs/{org}/scim/status"), &app.admin(org))
                .await;
            assert_eq!(res.status(), StatusCode::OK);
            res.json::<Value>().await.unwrap()
        }
    };
    let before = status("acme").await;
    assert_eq!(before["scim_enabled"], true);
    assert!(before["last_request_at"].is_null());
    assert_eq!(before["actions"], serde_json::json!([]));
    assert_eq!(before["live_tokens"], 0);
    assert_eq!(before["window_hours"], 24);

    // Entra creates two users and sends one duplicate, through the real SCIM API.
    let scim = crate::scim_end_to_end::spawn_scim_api(&app);
    let token = app.create_token("acme", "Entra").await;
    let secret = token["token"].as_str().unwrap();
    for (name, expected) in [
        ("ada@acme.example", 201),
        ("bob@acme.example", 201),
        ("ada@acme.example", 409),
    ] {
        let res = app
            .client
            .post(format!("{scim}/scim/v2/orgs/acme/Users"))
            .bearer_auth(secret)
            .header("Content-Type", "application/scim+json")
            .body(
                serde_json::json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": name, "active": true
                })
                .to_string(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), expected, "{name}");
    }
    let after = status("acme").await;
    assert!(after["last_request_at"].is_string(), "{after}");
    assert_eq!(
        after["actions"],
        serde_json::json!([{"action": "created", "count": 2}, {"action": "refused", "count": 1}]),
        "admin actions (token_created) are not SCIM calls"
    );
    assert_eq!(after["live_tokens"], 1);
    // Another organisation sees none of it.
    let other = status("globex").await;
    assert!(other["last_request_at"].is_null());
    assert_eq!(other["actions"], serde_json::json!([]));
    assert_eq!(other["live_tokens"], 0);
}
