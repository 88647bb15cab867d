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
