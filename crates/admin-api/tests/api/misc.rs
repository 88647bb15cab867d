//! Health, readiness, the OpenAPI document and unknown routes.

use humbol_store::Backend;
use reqwest::StatusCode;
use rstest::rstest;
use serde_json::Value;

use crate::helpers::{assert_error, spawn_app};

#[rstest]
#[tokio::test]
async fn health_readiness_and_openapi(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    let doc: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/orgs/{org}", "put"),
        ("/api/v1/orgs/{org}", "get"),
        ("/api/v1/orgs/{org}/scim/tokens", "post"),
        ("/api/v1/orgs/{org}/scim/tokens", "get"),
        ("/api/v1/orgs/{org}/scim/tokens/{id}", "delete"),
        ("/api/v1/orgs/{org}/scim/events", "get"),
        ("/api/v1/orgs/{org}/scim/status", "get"),
        ("/api/v1/session", "post"),
        ("/api/v1/session", "get"),
        ("/api/v1/session", "delete"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/openapi.json", "get"),
    ] {
        assert!(paths[path][method].is_object(), "{method} {path}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer_jwt"]["scheme"],
        "bearer"
    );
    assert!(doc["components"]["schemas"]["CreatedToken"]["example"].is_object());
    // What the server serves is the committed document (what generated clients are built from).
    let committed =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/admin-api.json");
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(committed).unwrap()).unwrap();
    assert_eq!(
        doc, committed,
        "/openapi.json differs from openapi/admin-api.json"
    );
}

#[rstest]
#[tokio::test]
async fn unknown_routes_are_json_404s(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let res = app.get("/api/v1/nothing", &app.support()).await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    // A path that exists, with a method it does not serve: 405 naming the methods it does (edge.rs has more).
    let res = app
        .client
        .patch(app.url("/api/v1/orgs/acme"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        res.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("GET, PUT")
    );
}

/// The committed `openapi/admin-api.json` is what the code generates
/// (regenerate: `cargo run -p admin-api -- openapi > openapi/admin-api.json`).
#[test]
fn committed_openapi_document_matches_the_code() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/admin-api.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = admin_api::openapi::document_json().unwrap();
    assert!(
        committed == generated,
        "{} is stale: run `cargo run -p admin-api -- openapi > openapi/admin-api.json`",
        path.display()
    );
}

/// `GET /docs`: the interactive API page, whose script and stylesheet come from this origin, as the admin
/// API's Content-Security-Policy requires (`script-src 'self'`: no inline script, no CDN).
#[rstest]
#[tokio::test]
async fn the_api_page_and_its_assets_are_served(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let page = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(!html.contains("<script>"), "inline script: {html}");
    for (asset, content_type) in [
        ("/docs/api-page.js", "text/javascript"),
        ("/docs/api-page.css", "text/css"),
    ] {
        assert!(html.contains(&format!("\"{asset}\"")), "{html}");
        let res = app.client.get(app.url(asset)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{asset}");
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with(content_type));
        assert!(!res.text().await.unwrap().contains("https://"), "{asset}");
    }
}

/// `HUMBOL_METRICS_BIND`: `/metrics` on its own address (with the admin API's provisioning events counted),
/// and a JSON 404 on the API's address.
#[rstest]
#[tokio::test]
async fn metrics_are_served_on_their_own_address_when_configured(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let metrics_addr = free.local_addr().unwrap().to_string();
    drop(free);
    let app = crate::helpers::spawn_app_with(
        backend,
        &[
            ("HUMBOL_ADMIN_JWT_SECRET", crate::helpers::SECRET),
            ("HUMBOL_METRICS_BIND", &metrics_addr),
        ],
    )
    .await;
    app.enable_org("acme").await;
    app.create_token("acme", "Entra").await;

    let on_api = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_error(on_api, StatusCode::NOT_FOUND, "not_found").await;
    let scraped = app
        .client
        .get(format!("http://{metrics_addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), StatusCode::OK);
    let text = scraped.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with(
            r#"humbol_provisioning_events_total{action="token_created",outcome="success"} "#
        )),
        "{text}"
    );
    assert!(
        text.contains(
            r#"api="admin",method="POST",route="/api/v1/orgs/{org}/scim/tokens",status="201""#
        ),
        "{text}"
    );
}
