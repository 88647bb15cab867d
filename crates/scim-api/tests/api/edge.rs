//! The HTTP edge (humbol_ops::edge and the tenant scope's authentication before the body): a client without a
//! live credential never makes the server hold a body; slow bodies end at the deadline; connections per address
//! are capped; rate limits answer 429 with Retry-After; control characters and NULs are 400, never a 5xx;
//! every response says nosniff; a 405 says which methods are allowed.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use humbol_store::Backend;
use reqwest::Method;
use rstest::rstest;
use serde_json::json;

use crate::helpers::*;

/// What a raw HTTP/1.1 exchange saw: the bytes answered, whether the server closed the connection, and when.
struct Exchange {
    answer: String,
    closed: bool,
    elapsed: Duration,
}

/// Sends `head` and `body_part` on a new connection to `address` (`http://IP:PORT`), then reads until the
/// server closes the connection or `wait` passes.
async fn exchange(address: &str, head: String, body_part: Vec<u8>, wait: Duration) -> Exchange {
    let addr = address.trim_start_matches("http://").to_string();
    tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let start = Instant::now();
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&body_part).unwrap();
        let mut answer = Vec::new();
        let mut closed = false;
        let mut buf = [0u8; 4096];
        while start.elapsed() < wait {
            match s.read(&mut buf) {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(n) => answer.extend_from_slice(&buf[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => {
                    closed = true;
                    break;
                }
            }
        }
        Exchange {
            answer: String::from_utf8_lossy(&answer).into_owned(),
            closed,
            elapsed: start.elapsed(),
        }
    })
    .await
    .unwrap()
}

/// A POST head announcing a body of `length` bytes, with `token`.
fn post_head(app: &TestApp, path: &str, token: &str, length: usize) -> String {
    format!(
        "POST /scim/v2/orgs/{}{path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/scim+json\r\nContent-Length: {length}\r\n\r\n",
        app.org
    )
}

/// A well-formed SCIM token that the database does not know (its checksum is public, anyone can make one).
fn forged_token() -> String {
    scim_core::token::from_random_bytes(&[42; scim_core::token::RANDOM_BYTES]).secret
}

#[rstest]
#[tokio::test]
async fn a_forged_token_with_a_stalled_body_is_refused_before_the_body_is_read(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    // 1 KiB of a 60 KiB body sent, then the client stalls: the answer must not wait for the rest.
    let head = post_head(&app, "/Users", &forged_token(), 60 * 1024);
    let seen = exchange(&app.address, head, vec![b' '; 1024], Duration::from_secs(5)).await;
    assert!(
        seen.answer.starts_with("HTTP/1.1 401"),
        "answered {:?} after {:?}",
        seen.answer,
        seen.elapsed
    );
    assert!(seen.answer.to_ascii_lowercase().contains("nosniff"));
    assert!(seen.closed, "the connection with the unread body is closed");
    assert!(seen.elapsed < Duration::from_secs(2), "{:?}", seen.elapsed);
}

#[rstest]
#[tokio::test]
async fn a_slow_body_with_a_live_token_ends_at_the_deadline_with_408(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app_with(backend, |c| c.edge.body_timeout = Duration::from_secs(1)).await;
    let head = post_head(&app, "/Users", &app.token, 4096);
    let seen = exchange(
        &app.address,
        head,
        b"{\"userName\":".to_vec(),
        Duration::from_secs(5),
    )
    .await;
    assert!(
        seen.answer.starts_with("HTTP/1.1 408"),
        "answered {:?} after {:?}",
        seen.answer,
        seen.elapsed
    );
    assert!(seen.closed, "the connection is closed");
    assert!(
        seen.elapsed >= Duration::from_millis(900) && seen.elapsed < Duration::from_secs(3),
        "{:?}",
        seen.elapsed
    );
    // A body that arrives in time is served as before.
    app.create_user("alice@contoso.com").await;
}

#[rstest]
#[tokio::test]
async fn connections_beyond_the_cap_per_address_get_429_and_are_closed(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app_with(backend, |c| c.edge.max_connections_per_address = 3).await;
    let addr = app.address.trim_start_matches("http://").to_string();
    // Three idle connections hold the address's places.
    let held: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect(&addr).unwrap()).collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let head = format!(
        "GET /scim/v2/orgs/{}/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n",
        app.org, app.token
    );
    let seen = exchange(&app.address, head.clone(), vec![], Duration::from_secs(3)).await;
    assert!(seen.answer.starts_with("HTTP/1.1 429"), "{:?}", seen.answer);
    assert!(
        seen.answer.to_ascii_lowercase().contains("retry-after: 1"),
        "{:?}",
        seen.answer
    );
    assert!(seen.closed);
    // Once they close, the address is served again.
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let seen = exchange(&app.address, head, vec![], Duration::from_millis(800)).await;
    assert!(seen.answer.starts_with("HTTP/1.1 200"), "{:?}", seen.answer);
}

#[rstest]
#[tokio::test]
async fn nul_and_control_characters_are_400_on_both_backends(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let user = app.create_user("alice@contoso.com").await;
    let id = user["id"].as_str().unwrap();
    for path in [
        "/Users/%00".to_string(),
        "/Groups/a%00b".to_string(),
        "/Users?filter=userName%20eq%20%22a%00%22".to_string(),
        "/Users?filter=externalId%20eq%20%22%01%22".to_string(),
        format!("/Users/{id}%0A"),
    ] {
        app.get(&path).await.assert_scim_error(400, None);
    }
    app.delete("/Users/%00").await.assert_scim_error(400, None);
    for name in ["a\u{0}b@contoso.com", "a\u{1}b@contoso.com", "tab\tname"] {
        app.post("/Users", &entra_user(name))
            .await
            .assert_scim_error(400, Some("invalidValue"));
    }
    let nul_title = json!({"userName": "bob@contoso.com", "title": "x\u{0}"});
    app.post("/Users", &nul_title)
        .await
        .assert_scim_error(400, Some("invalidValue"));
    for name in ["x\u{0}", "bell\u{7}"] {
        app.post("/Groups", &json!({"displayName": name}))
            .await
            .assert_scim_error(400, Some("invalidValue"));
    }
    let patch = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "userName", "value": "c\u{0}@contoso.com"}]});
    app.patch(&format!("/Users/{id}"), &patch)
        .await
        .assert_scim_error(400, Some("invalidValue"));
    // Nothing was changed.
    let r = app.get(&format!("/Users/{id}")).await;
    assert_eq!(r.assert_ok(200)["userName"], "alice@contoso.com");
}

#[rstest]
#[tokio::test]
async fn an_organisation_past_its_rate_gets_429_with_retry_after(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    // 5 per second, bursts of 10.
    let app = spawn_app_with(backend, |c| c.edge.org_per_second = 5).await;
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..30 {
        let r = app.get("/Users?count=1").await;
        statuses.push(r.status);
        if r.status == 429 {
            limited = Some(r);
            break;
        }
    }
    let r = limited.unwrap_or_else(|| panic!("no 429 in {statuses:?}"));
    r.assert_scim_error(429, None);
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    assert!(r.header("ratelimit").unwrap().starts_with("\"org\";r=0;t="));
    assert_eq!(r.header("ratelimit-policy"), Some("\"org\";q=10;w=1"));
    assert!(statuses.len() >= 10, "the burst is served: {statuses:?}");
    // Another organisation is not affected.
    let other = app.other_org("globex");
    assert_eq!(
        app.get_as("globex", "/Users?count=1", &other).await.status,
        200
    );
    // The rate refills.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    app.get("/Users?count=1").await.assert_ok(200);
}

#[rstest]
#[tokio::test]
async fn forged_tokens_past_the_failure_rate_get_429_before_any_database_work(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    // 1 refused credential per second, bursts of 10.
    let app = spawn_app_with(backend, |c| c.edge.auth_failures_per_second = 1).await;
    let forged = forged_token();
    let mut statuses = Vec::new();
    for _ in 0..20 {
        statuses.push(app.get_as(&app.org, "/Users", &forged).await.status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        11,
        "{statuses:?}"
    );
    assert!(statuses[11..].iter().all(|s| *s == 429), "{statuses:?}");
    // While refused, the address gets 429 whatever it sends, even a live token: no credential is looked up.
    let r = app.get("/Users").await;
    r.assert_scim_error(429, None);
    assert!(r.header("retry-after").is_some());
}

#[rstest]
#[tokio::test]
async fn every_response_says_nosniff_and_405_says_allow(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let created = app.create_user("alice@contoso.com").await;
    let id = created["id"].as_str().unwrap();
    let base = app.base(&app.org);
    for (method, url, token) in [
        (Method::GET, format!("{}/healthz", app.address), None),
        (
            Method::GET,
            format!("{base}/Users/{id}"),
            Some(app.token.as_str()),
        ),
        (Method::GET, format!("{base}/Users"), None),
        (Method::GET, format!("{}/nowhere", app.address), None),
        (
            Method::DELETE,
            format!("{base}/Users"),
            Some(app.token.as_str()),
        ),
    ] {
        let r = app.send(method.clone(), &url, None, token, &[]).await;
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{method} {url}"
        );
    }
    let r = app.delete("/Users").await;
    r.assert_scim_error(405, None);
    assert_eq!(r.header("allow"), Some("GET, POST"));
    let r = app
        .send(
            Method::POST,
            &format!("{base}/Users/{id}"),
            None,
            Some(&app.token),
            &[],
        )
        .await;
    r.assert_scim_error(405, None);
    assert_eq!(r.header("allow"), Some("GET, PUT, PATCH, DELETE"));
    let r = app
        .send(
            Method::POST,
            &format!("{}/healthz", app.address),
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(r.header("allow"), Some("GET"));
}

#[rstest]
#[tokio::test]
async fn a_flat_or_of_66_terms_is_not_nested_too_deeply(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.create_user("u7@contoso.com").await;
    let filter = (0..66)
        .map(|i| format!("userName eq \"u{i}@contoso.com\""))
        .collect::<Vec<_>>()
        .join(" or ");
    let r = app.get(&format!("/Users?{}", filter_query(&filter))).await;
    assert_eq!(r.assert_ok(200)["totalResults"], 1);
}
