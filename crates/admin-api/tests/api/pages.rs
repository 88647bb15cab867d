//! The settings page's HTML, script and stylesheet: served from the binary, with the security headers.

use humbol_store::Backend;
use reqwest::StatusCode;
use rstest::rstest;

use crate::helpers::spawn_app;

#[rstest]
#[tokio::test]
async fn pages_and_assets_are_served_with_security_headers(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    for (path, content_type) in [
        ("/signin", "text/html"),
        ("/orgs/acme/settings", "text/html"),
        ("/support", "text/html"),
        ("/assets/app.js", "text/javascript"),
        ("/assets/app.css", "text/css"),
        ("/assets/icon.svg", "image/svg+xml"),
    ] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let headers = res.headers();
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with(content_type),
            "{path}"
        );
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(!csp.contains("unsafe-eval"), "{csp}");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert_eq!(headers["x-content-type-options"], "nosniff");
    }
    let html = app
        .client
        .get(app.url("/orgs/acme/settings"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // No inline script (the CSP would block it anyway) and nothing from another origin.
    assert!(html.contains(r#"<script src="/assets/app.js" defer></script>"#));
    assert!(!html.contains("http://") && !html.contains("https://"));

    // The root leads to sign-in (which sends a signed-in browser on to its page).
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = no_redirects.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/signin");

    // API answers are never cached: they may hold a secret.
    let res = app.get("/api/v1/orgs/acme", &app.support()).await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(res.headers()["referrer-policy"], "no-referrer");
}
