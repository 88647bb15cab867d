//! The HTTP edge of the admin API (humbol_ops::edge, shared with the SCIM API): control characters in paths
//! and queries are 400, never a 5xx; refused JWTs past the rate get 429 with Retry-After before any work;
//! every response says nosniff.

use humbol_store::Backend;
use reqwest::StatusCode;
use rstest::rstest;

use crate::helpers::{assert_error, spawn_app, spawn_app_with, SECRET};

#[rstest]
#[tokio::test]
async fn nul_and_control_characters_in_paths_and_queries_are_400(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.enable_org("acme").await;
    let admin = app.admin("acme");
    for path in [
        "/api/v1/orgs/acme/scim/tokens/%00",
        "/api/v1/orgs/acme/scim/clients/a%01b",
        "/api/v1/orgs/ac%00me",
    ] {
        let res = app.delete(path, &admin).await;
        assert_eq!(res.headers()["x-content-type-options"], "nosniff", "{path}");
        assert_error(res, StatusCode::BAD_REQUEST, "bad_request").await;
    }
    let res = app
        .get("/api/v1/orgs/acme/scim/events?action=a%00", &admin)
        .await;
    assert_error(res, StatusCode::BAD_REQUEST, "bad_request").await;
    // Nothing was refused that should not be: the tokens are still listed.
    let res = app.get("/api/v1/orgs/acme/scim/tokens", &admin).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[rstest]
#[tokio::test]
async fn refused_jwts_past_the_rate_get_429_with_retry_after(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app_with(
        backend,
        &[
            ("HUMBOL_ADMIN_JWT_SECRET", SECRET),
            ("HUMBOL_RATE_LIMIT_AUTH_FAILURES", "1"),
        ],
    )
    .await;
    app.enable_org("acme").await;
    let mut statuses = Vec::new();
    for _ in 0..15 {
        let res = app.get("/api/v1/orgs/acme", "not-a-jwt").await;
        statuses.push(res.status().as_u16());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        11,
        "{statuses:?}"
    );
    assert!(statuses[11..].iter().all(|s| *s == 429), "{statuses:?}");
    // While refused, even a good JWT from this address waits.
    let res = app.get("/api/v1/orgs/acme", &app.admin("acme")).await;
    assert!(res.headers().contains_key("retry-after"));
    assert!(res.headers()["ratelimit"]
        .to_str()
        .unwrap()
        .starts_with("\"auth-failures\";r=0;t="));
    assert_error(res, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
}

#[rstest]
#[tokio::test]
async fn a_known_path_with_another_method_is_405_with_allow(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.enable_org("acme").await;
    let admin = app.admin("acme");
    let client = reqwest::Client::new();
    for (method, path, allow) in [
        (reqwest::Method::DELETE, "/api/v1/orgs/acme", "GET, PUT"),
        (
            reqwest::Method::PATCH,
            "/api/v1/orgs/acme/scim/tokens",
            "GET, POST",
        ),
        (
            reqwest::Method::GET,
            "/api/v1/orgs/acme/scim/tokens/42",
            "DELETE",
        ),
        (reqwest::Method::POST, "/readyz", "GET"),
        (reqwest::Method::PUT, "/api/v1/session", "GET, POST, DELETE"),
    ] {
        let res = client
            .request(method.clone(), app.url(path))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.headers().get("allow").and_then(|v| v.to_str().ok()),
            Some(allow),
            "{method} {path}"
        );
        assert_error(res, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    }
    // An unknown path stays a 404 without Allow, and a known one still answers its own methods.
    let res = app.delete("/api/v1/nowhere", &admin).await;
    assert!(res.headers().get("allow").is_none());
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app.get("/api/v1/orgs/acme", &admin).await;
    assert_eq!(res.status(), StatusCode::OK);
}
