//! Bearer-token authentication and tenant isolation.

use std::time::Duration;

use humbol_store::{Backend, PoolOptions, Store};
use reqwest::Method;
use rstest::rstest;
use serde_json::json;

use crate::helpers::*;

#[rstest]
#[tokio::test]
async fn missing_wrong_and_malformed_tokens_are_401(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let url = format!("{}/Users", app.base("acme"));
    // A well-formed token that was never issued.
    let stranger = scim_core::token::from_random_bytes(&[9; scim_core::token::RANDOM_BYTES]).secret;
    let mut typo = app.token.clone();
    typo.pop();
    typo.push(if app.token.ends_with('a') { 'b' } else { 'a' });
    for token in [
        None,
        Some("humbol_scim_short"),
        Some(typo.as_str()),
        Some(stranger.as_str()),
    ] {
        let r = app.send(Method::GET, &url, None, token, &[]).await;
        r.assert_scim_error(401, None);
        assert!(r
            .header("www-authenticate")
            .is_some_and(|h| h.starts_with("Bearer")));
    }
    let r = app
        .send(
            Method::GET,
            &url,
            None,
            None,
            &[("Authorization", "Basic dXNlcjpwYXNz")],
        )
        .await;
    r.assert_scim_error(401, None);
    // 401 also wins over a bad body.
    let r = app
        .send(
            Method::POST,
            &url,
            Some(&json!({"nonsense": true})),
            Some(&stranger),
            &[],
        )
        .await;
    r.assert_scim_error(401, None);
}

#[rstest]
#[tokio::test]
async fn tenants_are_isolated(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = id_of(&app.create_user("alice@contoso.com").await);
    let token_b = app.other_org("beta");

    // Org B's token on org A's URL: 401, and the body names neither organisation.
    let wrong_org = app.get_as("acme", "/Users", &token_b).await;
    wrong_org.assert_scim_error(401, None);
    let text = wrong_org.body.to_string();
    assert!(!text.contains("acme") && !text.contains("beta"), "{text}");
    // An organisation that does not exist: the same 401.
    let r = app.get_as("nope", "/Users", &app.token).await;
    r.assert_scim_error(401, None);
    assert_eq!(r.body, wrong_org.body);

    // Entra's look-up (one statement with the token check) by org B's token: on org A's URL a 401 without
    // alice; on its own URL, by alice's userName, externalId or id: nothing (users are scoped to the token's
    // organisation).
    let by_name = filter_query(r#"userName eq "alice@contoso.com""#);
    let r = app
        .get_as("acme", &format!("/Users?{by_name}"), &token_b)
        .await;
    r.assert_scim_error(401, None);
    assert!(!r.body.to_string().contains(&alice));
    for filter in [
        r#"userName eq "alice@contoso.com""#.to_string(),
        format!(r#"id eq "{alice}""#),
    ] {
        let path = format!("/Users?{}", filter_query(&filter));
        let r = app.get_as("beta", &path, &token_b).await;
        assert_eq!(r.assert_ok(200)["totalResults"], 0, "{filter}");
    }
    // Org A's own token finds her by the same look-up.
    let r = app.get(&format!("/Users?{by_name}")).await;
    assert_eq!(r.assert_ok(200)["Resources"][0]["id"], alice.as_str());

    // Org A's user id under org B: 404 for every method.
    let b_user = format!("{}/Users/{alice}", app.base("beta"));
    for (method, body) in [
        (Method::GET, None),
        (Method::DELETE, None),
        (
            Method::PATCH,
            Some(patch_op(
                json!([{"op": "Replace", "path": "active", "value": false}]),
            )),
        ),
        (Method::PUT, Some(entra_user("alice@contoso.com"))),
    ] {
        let r = app
            .send(method.clone(), &b_user, body.as_ref(), Some(&token_b), &[])
            .await;
        r.assert_scim_error(404, None);
    }
    // Org B sees none of org A's users, and may reuse the same userName.
    let r = app.get_as("beta", "/Users", &token_b).await;
    assert_eq!(r.assert_ok(200)["totalResults"], 0);
    let r = app
        .send(
            Method::POST,
            &format!("{}/Users", app.base("beta")),
            Some(&entra_user("alice@contoso.com")),
            Some(&token_b),
            &[],
        )
        .await;
    assert_ne!(id_of(r.assert_ok(201)), alice);
    // Org A's user is untouched.
    assert_eq!(
        app.get(&format!("/Users/{alice}")).await.assert_ok(200)["active"],
        true
    );
}

#[rstest]
#[tokio::test]
async fn a_revoked_token_is_refused_on_the_very_next_request(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.get("/Users").await.assert_ok(200);
    assert!(app
        .store
        .revoke_token("acme", &app.token_id, "test")
        .unwrap());
    app.get("/Users").await.assert_scim_error(401, None);
}

/// The admin API is another process with its own connections: its revocation must stop every read path,
/// the look-up fast path included (on SQLite it runs on the async worker), at the very next request.
#[rstest]
#[tokio::test]
async fn a_revocation_by_another_process_is_refused_on_the_very_next_read(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let alice = id_of(&app.create_user("alice@contoso.com").await);
    let lookup = format!(
        "/Users?{}",
        filter_query(r#"userName eq "Alice@Contoso.com""#)
    );
    let search = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": "userName eq \"alice@contoso.com\"",
    });
    assert_eq!(app.get(&lookup).await.assert_ok(200)["totalResults"], 1);
    app.get(&format!("/Users/{alice}")).await.assert_ok(200);
    assert_eq!(
        app.post("/Users/.search", &search).await.assert_ok(200)["totalResults"],
        1
    );
    let admin_api = Store::open(&app.db_url, &PoolOptions::default()).unwrap();
    assert!(admin_api
        .revoke_token("acme", &app.token_id, "admin:test")
        .unwrap());
    app.get(&lookup).await.assert_scim_error(401, None);
    app.get(&format!("/Users/{alice}"))
        .await
        .assert_scim_error(401, None);
    app.post("/Users/.search", &search)
        .await
        .assert_scim_error(401, None);
}

#[rstest]
#[tokio::test]
async fn an_org_with_scim_disabled_is_refused(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.get("/Users").await.assert_ok(200);
    let mut settings = org_settings("Acme");
    settings.scim_enabled = false;
    app.store.put_org("acme", &settings).unwrap();
    app.get("/Users").await.assert_scim_error(401, None);
    let lookup = format!(
        "/Users?{}",
        filter_query(r#"userName eq "alice@contoso.com""#)
    );
    app.get(&lookup).await.assert_scim_error(401, None);
}

#[rstest]
#[tokio::test]
async fn token_use_is_recorded_without_a_write_per_request(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let last_used = || {
        app.store
            .tokens("acme")
            .unwrap()
            .into_iter()
            .find(|t| t.id == app.token_id)
            .unwrap()
            .last_used_at
    };
    assert_eq!(last_used(), None);
    app.get("/Users").await.assert_ok(200);
    // The test server flushes every 100 ms.
    let mut recorded = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        recorded = last_used();
        if recorded.is_some() {
            break;
        }
    }
    assert!(recorded.is_some(), "the token's use was never recorded");
}

#[rstest]
#[tokio::test]
async fn an_expired_token_is_refused(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let issued = scim_core::token::from_random_bytes(&[3; scim_core::token::RANDOM_BYTES]);
    app.store
        .create_token(
            "acme",
            &humbol_store::NewToken {
                name: "old".into(),
                hash: issued.hash,
                hint: issued.hint.clone(),
                expires_at: Some(chrono::Utc::now() - chrono::Duration::hours(1)),
            },
            "test",
        )
        .unwrap();
    let r = app.get_as("acme", "/Users", &issued.secret).await;
    r.assert_scim_error(401, None);
    // Also on Entra's look-up (the token check inside the look-up statement).
    app.create_user("alice@contoso.com").await;
    let lookup = format!(
        "/Users?{}",
        filter_query(r#"userName eq "alice@contoso.com""#)
    );
    let r = app.get_as("acme", &lookup, &issued.secret).await;
    r.assert_scim_error(401, None);
    // The organisation's live token still works.
    app.get("/Users").await.assert_ok(200);
    assert_eq!(app.get(&lookup).await.assert_ok(200)["totalResults"], 1);
}

/// Concurrent look-ups (on PostgreSQL answered in batches, several requests and tokens to a statement): each
/// request gets its own answer, from its own token's organisation; a token never answers for another
/// organisation; an expired, revoked or unknown token is refused while the others in its batch succeed.
#[rstest]
#[tokio::test]
async fn concurrent_lookups_each_get_their_own_answer(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = std::sync::Arc::new(spawn_app(backend).await);
    let globex = app.other_org("globex");
    let stranger = scim_core::token::from_random_bytes(&[9; scim_core::token::RANDOM_BYTES]).secret;
    // An expired token of acme and a revoked one of globex, in the same batches as the live ones.
    let dead = |byte: u8, org: &str, expires_at| {
        let issued = scim_core::token::from_random_bytes(&[byte; scim_core::token::RANDOM_BYTES]);
        let new = humbol_store::NewToken {
            name: format!("dead-{byte}"),
            hash: issued.hash,
            hint: issued.hint.clone(),
            expires_at,
        };
        (
            app.store.create_token(org, &new, "test").unwrap(),
            issued.secret,
        )
    };
    let expired = dead(
        7,
        "acme",
        Some(chrono::Utc::now() - chrono::Duration::hours(1)),
    )
    .1;
    let (revoked_token, revoked) = dead(8, "globex", None);
    app.store
        .revoke_token("globex", &revoked_token.id, "test")
        .unwrap();
    let names: Vec<String> = (0..6).map(|i| format!("user{i}@contoso.com")).collect();
    let mut acme_ids = Vec::new();
    let mut globex_ids = Vec::new();
    for name in &names {
        acme_ids.push(id_of(&app.create_user(name).await));
        let r = app
            .send(
                Method::POST,
                &format!("{}/Users", app.base("globex")),
                Some(&entra_user(name)),
                Some(&globex),
                &[],
            )
            .await;
        globex_ids.push(id_of(r.assert_ok(201)));
    }
    /// What a look-up must answer.
    enum Expect {
        User(String),
        NoMatch,
        Unauthorized,
    }
    // (organisation in the URL, token, filter, answer)
    let mut cases: Vec<(&str, String, String, Expect)> = Vec::new();
    for round in 0..4 {
        for (i, name) in names.iter().enumerate() {
            let by_name = format!(r#"userName eq "{}""#, name.to_uppercase());
            let acme = Expect::User(acme_ids[i].clone());
            cases.push(match (round + i) % 8 {
                0 => ("acme", app.token.clone(), by_name, acme),
                1 => (
                    "globex",
                    globex.clone(),
                    by_name,
                    Expect::User(globex_ids[i].clone()),
                ),
                2 => (
                    "acme",
                    app.token.clone(),
                    format!(r#"externalId eq "ext-{name}""#),
                    acme,
                ),
                3 => (
                    "acme",
                    app.token.clone(),
                    format!(r#"id eq "{}""#, globex_ids[i]),
                    Expect::NoMatch,
                ),
                4 => ("globex", app.token.clone(), by_name, Expect::Unauthorized),
                5 => ("acme", expired.clone(), by_name, Expect::Unauthorized),
                6 => ("globex", revoked.clone(), by_name, Expect::Unauthorized),
                _ => ("acme", stranger.clone(), by_name, Expect::Unauthorized),
            });
        }
        cases.push((
            "acme",
            app.token.clone(),
            r#"userName eq "nobody@contoso.com""#.into(),
            Expect::NoMatch,
        ));
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (n, (org, token, filter, expected)) in cases.into_iter().enumerate() {
        let app = app.clone();
        tasks.spawn(async move {
            let path = format!("/Users?{}", filter_query(&filter));
            let r = app.get_as(org, &path, &token).await;
            let id = match expected {
                Expect::Unauthorized => return r.assert_scim_error(401, None),
                Expect::User(id) => Some(id),
                Expect::NoMatch => None,
            };
            let body = r.assert_ok(200);
            let found: Vec<&str> = body["Resources"]
                .as_array()
                .map(|a| a.iter().map(|u| u["id"].as_str().unwrap()).collect())
                .unwrap_or_default();
            assert_eq!(found, Vec::from_iter(id.as_deref()), "#{n} {org} {filter}");
            assert_eq!(body["totalResults"], found.len(), "#{n}");
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
}
