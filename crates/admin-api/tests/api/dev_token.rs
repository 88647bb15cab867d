//! `admin-api dev-token`: prints a JWT the server accepts; refuses without a secret.

use std::process::Command;

use humbol_store::Backend;
use reqwest::StatusCode;
use rstest::rstest;

use crate::helpers::{spawn_app, SECRET};

fn dev_token(secret: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_admin-api"));
    cmd.arg("dev-token")
        .args(args)
        .env_remove("HUMBOL_ADMIN_JWT_SECRET");
    if let Some(secret) = secret {
        cmd.env("HUMBOL_ADMIN_JWT_SECRET", secret);
    }
    cmd.output().unwrap()
}

#[rstest]
#[tokio::test]
async fn dev_token_is_accepted_by_the_server(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let out = dev_token(Some(SECRET), &["--role", "support", "--sub", "dev-sam"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let support = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(support.split('.').count(), 3);
    app.put_org("acme", true).await; // with the helper's token, then check with the dev token:
    assert_eq!(
        app.get("/api/v1/orgs/acme", &support).await.status(),
        StatusCode::OK
    );

    let out = dev_token(
        Some(SECRET),
        &[
            "--role",
            "admin",
            "--org",
            "acme",
            "--sub",
            "dev-alice",
            "--ttl-hours",
            "1",
        ],
    );
    assert!(out.status.success());
    let admin = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(
        app.get("/api/v1/orgs/acme", &admin).await.status(),
        StatusCode::OK
    );
    let res = app.get("/api/v1/orgs/acme/scim/events", &admin).await;
    assert_eq!(res.status(), StatusCode::OK);
    // An admin dev token is still an admin: no support route.
    let res = app
        .put_json(
            "/api/v1/orgs/acme",
            &admin,
            &serde_json::json!({"name": "A", "scim_enabled": true, "roles": ["M"], "default_role": "M"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[test]
fn dev_token_refuses_without_a_secret_or_an_org() {
    let out = dev_token(None, &["--role", "support"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("HUMBOL_ADMIN_JWT_SECRET"), "{stderr}");

    let out = dev_token(Some(SECRET), &["--role", "admin"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--org"));
}
