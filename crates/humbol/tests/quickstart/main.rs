//! The quickstart as a newcomer runs it: the `humbol` binary on a fresh SQLite file with no JWT secret,
//! then the printed steps (enable SCIM as support, create a token as admin, call `/Users`) through HTTP.

// Test code: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

/// The running binary; killed on drop.
struct Humbol(Child);

impl Drop for Humbol {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn humbol(database_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_humbol"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("HUMBOL_SCIM_BIND", "127.0.0.1:0")
        .env("HUMBOL_ADMIN_BIND", "127.0.0.1:0")
        .env("RUST_LOG", "warn");
    cmd
}

/// Starts the binary and reads its welcome text up to the last `curl` line.
fn start(database_url: &str) -> (Humbol, String) {
    let mut child = humbol(database_url)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start humbol");
    let stdout = child.stdout.take().expect("stdout");
    let child = Humbol(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut text = String::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) {
        let done = line.contains("/Users -H");
        text.push_str(&line);
        text.push('\n');
        if done {
            break;
        }
    }
    (child, text)
}

/// The value after `prefix` on the line that starts with it (after indentation).
fn after<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.lines()
        .map(str::trim_start)
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in:\n{text}"))
        .trim()
}

#[tokio::test]
async fn quickstart_prints_working_credentials_and_steps() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("quickstart.db").display());
    let (_humbol, text) = start(&db);
    let scim_url = after(&text, "SCIM API:");
    let admin_url = after(&text, "admin API:");
    let support = after(&text, "export SUPPORT_JWT=");
    let admin = after(&text, "export ADMIN_JWT=");
    assert!(text.contains("curl -sS -X PUT"), "{text}");
    assert!(
        text.contains(&format!("{scim_url}/docs and {admin_url}/docs")),
        "{text}"
    );
    let http = reqwest::Client::new();

    // Step 1: support enables SCIM for the demo organisation.
    let r = http
        .put(format!("{admin_url}/api/v1/orgs/demo"))
        .bearer_auth(support)
        .json(
            &json!({"name": "Demo", "scim_enabled": true, "roles": ["Admin", "Member", "Viewer"],
                      "default_role": "Member"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let org: Value = r.json().await.unwrap();
    assert_eq!(
        org["scim_base_url"],
        format!("{scim_url}/scim/v2/orgs/demo")
    );

    // Step 2: its admin creates a token.
    let r = http
        .post(format!("{admin_url}/api/v1/orgs/demo/scim/tokens"))
        .bearer_auth(admin)
        .json(&json!({"name": "Entra"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let token: Value = r.json().await.unwrap();
    let token = token["token"].as_str().unwrap();

    // Step 3: the SCIM API answers Entra's test-connection query with that token.
    let r = http
        .get(format!("{scim_url}/scim/v2/orgs/demo/Users"))
        .query(&[(
            "filter",
            "userName eq \"8f1b6c2e-0000-4000-8000-000000000000\"",
        )])
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/scim+json");
    let list: Value = r.json().await.unwrap();
    assert_eq!(list["totalResults"], 0);
    assert_eq!(list["Resources"], json!([]));
}

#[test]
fn a_bad_database_url_is_a_clear_start_up_error() {
    let out = humbol("mysql://localhost/humbol").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("DATABASE_URL") || stderr.contains("mysql"),
        "{stderr}"
    );
}

#[test]
fn help_and_version_print_and_start_nothing() {
    // A port already taken: a server start would fail; `--help` must not even try.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let bind = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("never.db");
    for arg in ["--help", "--version"] {
        let out = humbol(&format!("sqlite://{}", db.display()))
            .env("HUMBOL_SCIM_BIND", &bind)
            .arg(arg)
            .output()
            .unwrap();
        assert!(out.status.success(), "{arg}: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("humbol"), "{text}");
        if arg == "--help" {
            assert!(text.contains("HUMBOL_ADMIN_JWT_SECRET"), "{text}");
            assert!(
                text.contains("HUMBOL_SCIM_BIND [default: 127.0.0.1:8080]"),
                "{text}"
            );
        }
    }
    assert!(!db.exists(), "--help opened the database");
}
