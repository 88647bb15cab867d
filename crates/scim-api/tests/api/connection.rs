//! Entra's "test connection" and every cycle's start; health, readiness, OpenAPI, discovery.

use humbol_store::Backend;
use rstest::rstest;
use serde_json::json;

use crate::helpers::*;

#[rstest]
#[tokio::test]
async fn test_connection_gets_empty_lists(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let r = app
        .get(&format!(
            "/Users?{}",
            filter_query(&format!("userName eq \"{}\"", random_name()))
        ))
        .await;
    let body = r.assert_ok(200);
    assert_eq!(body["schemas"], json!([LIST_RESPONSE]));
    assert_eq!(body["totalResults"], 0);
    assert_eq!(body["Resources"], json!([]));

    // A random group query must be 200 too (a 404 puts the Entra job in quarantine).
    for query in [
        format!(
            "/Groups?excludedAttributes=members&{}",
            filter_query(&format!("displayName eq \"{}\"", random_name()))
        ),
        format!(
            "/Groups?{}",
            filter_query(&format!("id eq \"{}\"", random_name()))
        ),
    ] {
        let r = app.get(&query).await;
        let body = r.assert_ok(200);
        assert_eq!(body["totalResults"], 0);
        assert_eq!(body["Resources"], json!([]));
    }
}

#[rstest]
#[tokio::test]
async fn unknown_query_parameters_are_ignored(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.create_user("alice@contoso.com").await;
    let r = app
        .get(&format!(
            "/Users?aadOptscim062020=1&foo=bar&{}",
            filter_query("userName eq \"alice@contoso.com\"")
        ))
        .await;
    assert_eq!(r.assert_ok(200)["totalResults"], 1);
}

#[rstest]
#[tokio::test]
async fn health_readiness_and_openapi(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let get = |path: &str| app.client.get(format!("{}{path}", app.address)).send();
    let r = get("/healthz").await.unwrap();
    assert_eq!(r.status(), 200);
    let r = get("/readyz").await.unwrap();
    assert_eq!(r.status(), 200);
    let r = get("/openapi.json").await.unwrap();
    assert_eq!(r.status(), 200);
    let doc: serde_json::Value = r.json().await.unwrap();
    assert!(doc["paths"]["/scim/v2/orgs/{org}/Users"]["get"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    // What the server serves is the committed document (what generated clients are built from).
    let committed =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/scim-api.json");
    let committed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(committed).unwrap()).unwrap();
    assert_eq!(
        doc, committed,
        "/openapi.json differs from openapi/scim-api.json"
    );
}

#[rstest]
#[tokio::test]
async fn discovery_documents(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let app = spawn_app(backend).await;
    let base = app.base("acme");

    let spc = app.get("/ServiceProviderConfig").await;
    let spc = spc.assert_ok(200);
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["filter"]["supported"], true);
    assert_eq!(spc["filter"]["maxResults"], 200);
    assert_eq!(spc["bulk"]["supported"], false);
    assert_eq!(spc["etag"]["supported"], true);

    let schemas = app.get("/Schemas").await;
    let ids: Vec<&str> = schemas.assert_ok(200)["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&USER_SCHEMA) && ids.contains(&ENTERPRISE),
        "{ids:?}"
    );

    let user = app.get(&format!("/Schemas/{USER_SCHEMA}")).await;
    let user = user.assert_ok(200);
    assert_eq!(user["id"], USER_SCHEMA);
    // The organisation's roles are the canonical values of roles.value.
    let roles = user["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "roles")
        .unwrap();
    let value = roles["subAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "value")
        .unwrap();
    assert_eq!(
        value["canonicalValues"],
        json!(["Admin", "Member", "Viewer"])
    );
    app.get("/Schemas/urn:nope")
        .await
        .assert_scim_error(404, None);

    let types = app.get("/ResourceTypes").await;
    assert_eq!(types.assert_ok(200)["totalResults"], 2);
    let user_type = app.get("/ResourceTypes/User").await;
    let user_type = user_type.assert_ok(200);
    assert_eq!(user_type["endpoint"], "/Users");
    assert_eq!(
        user_type["meta"]["location"],
        format!("{base}/ResourceTypes/User")
    );
    app.get("/ResourceTypes/Printer")
        .await
        .assert_scim_error(404, None);

    // Searching every resource type at once is not supported: 501, not 404.
    let r = app
        .post(
            "/.search",
            &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}),
        )
        .await;
    r.assert_scim_error(501, None);
}

/// The committed `openapi/scim-api.json` is what the code generates
/// (regenerate: `cargo run -p scim-api -- openapi > openapi/scim-api.json`).
#[test]
fn committed_openapi_document_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/scim-api.json");
    let committed = std::fs::read_to_string(&path).unwrap();
    assert!(
        committed == scim_api::openapi::document(),
        "{} is stale: run `cargo run -p scim-api -- openapi > openapi/scim-api.json`",
        path.display()
    );
}

/// `GET /docs`: the interactive API page, its script and stylesheet from this origin (nothing from a CDN).
#[rstest]
#[tokio::test]
async fn the_api_page_and_its_assets_are_served(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let get = |path: &str| app.client.get(format!("{}{path}", app.address)).send();
    let page = get("/docs").await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = page.text().await.unwrap();
    for asset in ["/docs/api-page.js", "/docs/api-page.css"] {
        assert!(html.contains(&format!("\"{asset}\"")), "{html}");
        let res = get(asset).await.unwrap();
        assert_eq!(res.status(), 200, "{asset}");
        let body = res.text().await.unwrap();
        assert!(
            !body.contains("https://"),
            "{asset} loads something from elsewhere"
        );
    }
    let script = get("/docs/api-page.js")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(script.contains("/openapi.json"));
    assert!(!html.contains("https://") && !html.contains("http://"));
}
