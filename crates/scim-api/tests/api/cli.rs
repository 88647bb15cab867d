//! The `scim-api` binary's command line: `--help`, `healthcheck` against a running server, `dev-token` only with
//! the `dev-tools` feature, and start-up refusals that name the variable without echoing secrets.

use std::process::{Command, Output};

use humbol_store::Backend;
use rstest::rstest;

use crate::helpers::spawn_app;

/// Runs `scim-api ARGS` with only `vars` set, off the test's runtime (the server under test keeps serving).
async fn scim_api(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scim-api"));
    cmd.env_clear().args(args);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[tokio::test]
async fn help_lists_the_variables_and_starts_nothing() {
    let out = scim_api(&["--help"], &[("HUMBOL_SCIM_BIND", "nonsense")]).await;
    assert!(out.status.success());
    let help = text(&out.stdout);
    for expected in [
        "healthcheck",
        "openapi",
        "DATABASE_URL",
        "HUMBOL_SCIM_PUBLIC_URL [default: ",
    ] {
        assert!(help.contains(expected), "{expected} missing from:\n{help}");
    }
    // Release builds (no `dev-tools`) have no way around the admin API.
    assert!(!help.contains("dev-token"), "{help}");
    let out = scim_api(&["dev-token", "acme"], &[]).await;
    assert!(!out.status.success());
    let out = scim_api(&["--version"], &[]).await;
    assert!(text(&out.stdout).starts_with("scim-api "), "{out:?}");
}

#[rstest]
#[tokio::test]
async fn healthcheck_reports_a_ready_server(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let bind = app.address.trim_start_matches("http://").to_string();
    let out = scim_api(&["healthcheck"], &[("HUMBOL_SCIM_BIND", &bind)]).await;
    assert!(out.status.success(), "{out:?}");
    assert!(text(&out.stdout).contains("200"), "{out:?}");
}

#[tokio::test]
async fn healthcheck_fails_when_nothing_listens() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let bind = free.local_addr().unwrap().to_string();
    drop(free);
    let out = scim_api(&["healthcheck"], &[("HUMBOL_SCIM_BIND", &bind)]).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(text(&out.stderr).contains("not ready"), "{out:?}");
}

#[tokio::test]
async fn bad_configuration_is_a_clear_start_up_error() {
    for (var, value, expected) in [
        (
            "HUMBOL_MAX_BODY_BYTES",
            "1MB",
            "HUMBOL_MAX_BODY_BYTES=\"1MB\"",
        ),
        (
            "HUMBOL_SCIM_PUBLIC_URL",
            "scim.example",
            "HUMBOL_SCIM_PUBLIC_URL=\"scim.example\"",
        ),
        ("DATABASE_URL", "humbol.db", "sqlite://humbol.db"),
        (
            "DATABASE_URL",
            "mysql://u:hunter2@h/db",
            "mysql://u:***@h/db",
        ),
        ("DATABASE_URL", "host=h password=hunter2", "password=***"),
    ] {
        let out = scim_api(&[], &[(var, value)]).await;
        assert!(!out.status.success(), "{var}={value}: {out:?}");
        let err = text(&out.stderr);
        assert!(err.contains(expected), "{var}={value}: {err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
}
