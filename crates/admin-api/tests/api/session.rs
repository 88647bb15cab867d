//! The settings page's session: signing in with a JWT sets an HttpOnly, SameSite=Strict cookie that expires
//! with it; the cookie works like the bearer JWT, only for its own organisation; state-changing requests with
//! it need the CSRF proof, so a forged cross-site POST is refused; signing out removes it.

use humbol_store::Backend;
use reqwest::header::SET_COOKIE;
use reqwest::{Method, StatusCode};
use rstest::rstest;
use serde_json::{json, Value};

use crate::helpers::{
    admin_claims, assert_error, assert_unauthorized, hs256, now_plus, spawn_app, SECRET,
};

#[rstest]
#[tokio::test]
async fn signing_in_sets_a_strict_http_only_cookie_that_expires_with_the_jwt(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let res = app.sign_in_raw(&app.admin("acme")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let cookie = res.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("humbol_session="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    let max_age: i64 = cookie
        .split(';')
        .find_map(|a| a.trim().strip_prefix("Max-Age="))
        .unwrap()
        .parse()
        .unwrap();
    assert!((3590..=3600).contains(&max_age), "{max_age}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["role"], "admin");
    assert_eq!(body["org"], "acme");
    assert_eq!(body["sub"], "alice@acme");
    assert_eq!(body["home"], "/orgs/acme/settings");
    assert_eq!(body["csrf_token"].as_str().unwrap().len(), 64);

    // Behind a TLS-terminating proxy the cookie is Secure.
    let res = app
        .client
        .post(app.url("/api/v1/session"))
        .header("X-Forwarded-Proto", "https")
        .json(&json!({"token": app.support()}))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["home"], "/support");

    // The session reads back (same CSRF token), and works in place of the bearer JWT.
    let session = app.sign_in(&app.admin("acme")).await;
    let res = app
        .with_cookie(Method::GET, "/api/v1/session", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["csrf_token"], session.csrf.as_str());
}

#[rstest]
#[tokio::test]
async fn expired_or_invalid_jwts_cannot_sign_in(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let mut expired = admin_claims("alice@acme", "acme");
    expired["exp"] = json!(now_plus(-3600));
    for jwt in [
        hs256(SECRET.as_bytes(), &expired),
        hs256(
            b"another-secret-0123456789abcdef0123456789",
            &admin_claims("alice@acme", "acme"),
        ),
        "not-a-jwt".to_owned(),
    ] {
        let res = app.sign_in_raw(&jwt).await;
        assert!(res.headers().get(SET_COOKIE).is_none());
        assert_unauthorized(res).await;
    }
    // A cookie holding an expired JWT is no session either.
    let res = app
        .client
        .get(app.url("/api/v1/orgs/acme"))
        .header(
            "Cookie",
            format!("humbol_session={}", hs256(SECRET.as_bytes(), &expired)),
        )
        .send()
        .await
        .unwrap();
    let message = assert_unauthorized(res).await;
    assert!(message.contains("expired"), "{message}");
    // A form post (what a cross-site page can send) is not JSON: refused, nothing set.
    let res = app
        .client
        .post(app.url("/api/v1/session"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("token={}", app.admin("acme")))
        .send()
        .await
        .unwrap();
    assert!(res.headers().get(SET_COOKIE).is_none());
    assert_error(
        res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    // Sign-in from another site is refused even with a good JWT.
    let res = app
        .client
        .post(app.url("/api/v1/session"))
        .header("Sec-Fetch-Site", "cross-site")
        .json(&json!({"token": app.admin("acme")}))
        .send()
        .await
        .unwrap();
    assert!(res.headers().get(SET_COOKIE).is_none());
    assert_error(res, StatusCode::FORBIDDEN, "csrf_failed").await;
}

#[rstest]
#[tokio::test]
async fn a_forged_cross_site_post_is_refused_and_changes_nothing(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.enable_org("acme").await;
    let session = app.sign_in(&app.admin("acme")).await;
    let create = |csrf: Option<&str>, site: Option<&str>| {
        let mut req = app
            .with_cookie(Method::POST, "/api/v1/orgs/acme/scim/tokens", &session)
            .json(&json!({"name": "forged"}));
        if let Some(csrf) = csrf {
            req = req.header("X-Humbol-CSRF", csrf);
        }
        if let Some(site) = site {
            req = req.header("Sec-Fetch-Site", site);
        }
        req.send()
    };
    // What a forged form or fetch from another site can do: the cookie, but no (or a guessed) CSRF token.
    let wrong = "0".repeat(64);
    for (csrf, site) in [
        (None, Some("cross-site")),
        (None, None),
        (Some(wrong.as_str()), None),
        (Some(session.csrf.as_str()), Some("cross-site")),
        (Some(session.csrf.as_str()), Some("same-site")),
    ] {
        let res = create(csrf, site).await.unwrap();
        assert_error(res, StatusCode::FORBIDDEN, "csrf_failed").await;
    }
    // Revoking needs the proof too.
    let made = app.create_token("acme", "kept").await;
    let id = made["id"].as_str().unwrap();
    let path = format!("/api/v1/orgs/acme/scim/tokens/{id}");
    let res = app
        .with_cookie(Method::DELETE, &path, &session)
        .send()
        .await
        .unwrap();
    assert_error(res, StatusCode::FORBIDDEN, "csrf_failed").await;
    let tokens: Value = app
        .get("/api/v1/orgs/acme/scim/tokens", &app.admin("acme"))
        .await
        .json()
        .await
        .unwrap();
    let items = tokens["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{tokens}");
    assert!(items[0]["revoked_at"].is_null());

    // The page's own request (same origin, with the proof) works.
    let res = create(Some(&session.csrf), Some("same-origin"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let res = app
        .with_cookie(Method::DELETE, &path, &session)
        .header("X-Humbol-CSRF", &session.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

#[rstest]
#[tokio::test]
async fn a_session_of_one_organisation_cannot_read_or_change_another(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.enable_org("acme").await;
    app.enable_org("globex").await;
    let globex_token = app.create_token("globex", "Entra").await;
    let session = app.sign_in(&app.admin("acme")).await;

    for path in [
        "/api/v1/orgs/globex",
        "/api/v1/orgs/globex/scim/tokens",
        "/api/v1/orgs/globex/scim/events",
        "/api/v1/orgs/globex/scim/status",
    ] {
        let res = app
            .with_cookie(Method::GET, path, &session)
            .send()
            .await
            .unwrap();
        assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    }
    let res = app
        .with_cookie(Method::POST, "/api/v1/orgs/globex/scim/tokens", &session)
        .header("X-Humbol-CSRF", &session.csrf)
        .json(&json!({"name": "intruder"}))
        .send()
        .await
        .unwrap();
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app
        .with_cookie(
            Method::DELETE,
            &format!(
                "/api/v1/orgs/globex/scim/tokens/{}",
                globex_token["id"].as_str().unwrap()
            ),
            &session,
        )
        .header("X-Humbol-CSRF", &session.csrf)
        .send()
        .await
        .unwrap();
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app
        .with_cookie(Method::PUT, "/api/v1/orgs/globex", &session)
        .header("X-Humbol-CSRF", &session.csrf)
        .json(&json!({"name": "Mine now", "scim_enabled": false, "roles": ["Member"], "default_role": "Member"}))
        .send()
        .await
        .unwrap();
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;

    // globex is untouched: its one token live, SCIM still on.
    let tokens: Value = app
        .get("/api/v1/orgs/globex/scim/tokens", &app.admin("globex"))
        .await
        .json()
        .await
        .unwrap();
    let items = tokens["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert!(items[0]["revoked_at"].is_null());
    let org: Value = app
        .get("/api/v1/orgs/globex", &app.support())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(org["scim_enabled"], true);
    // Its own organisation is fine.
    let res = app
        .with_cookie(Method::GET, "/api/v1/orgs/acme", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[rstest]
#[tokio::test]
async fn signing_out_removes_the_cookie(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let session = app.sign_in(&app.admin("acme")).await;
    let res = app
        .with_cookie(Method::DELETE, "/api/v1/session", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let cookie = res.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("humbol_session=;"), "{cookie}");
    assert!(cookie.contains("Max-Age=0"), "{cookie}");
    // Without the cookie there is no session.
    let res = app
        .client
        .get(app.url("/api/v1/session"))
        .send()
        .await
        .unwrap();
    assert_unauthorized(res).await;
}
