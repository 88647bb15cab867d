//! `GET /metrics`: the Prometheus text format, with requests counted by route template (never the path),
//! authentication failures by reason, the database pools and build info.

use humbol_store::Backend;
use rstest::rstest;

use crate::helpers::spawn_app;

/// The value of the sample `name{labels}` whose label set contains every one of `labels`.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .find(|(series, _)| {
            series
                .strip_prefix(name)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('{'))
                && labels.iter().all(|label| series.contains(label))
        })
        .and_then(|(_, value)| value.parse().ok())
}

#[rstest]
#[tokio::test]
async fn metrics_count_requests_by_route_template_and_auth_failures(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let users = format!("{}/scim/v2/orgs/{}/Users", app.address, app.org);
    let res = app
        .client
        .get(format!("{users}/no-such-id"))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = app.client.get(&users).send().await.unwrap();
    assert_eq!(res.status(), 401);

    let res = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = res.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");

    let route = r#"route="/scim/v2/orgs/{org}/Users/{id}""#;
    let found = sample(
        &text,
        "humbol_http_requests_total",
        &[r#"api="scim""#, route, r#"status="404""#],
    );
    assert!(found.is_some_and(|n| n >= 1.0), "{text}");
    // The concrete path never becomes a label.
    assert!(!text.contains("no-such-id"), "{text}");
    let buckets = sample(
        &text,
        "humbol_http_request_duration_seconds_count",
        &[route],
    );
    assert!(buckets.is_some_and(|n| n >= 1.0), "{text}");
    let failures = sample(
        &text,
        "humbol_auth_failures_total",
        &[r#"api="scim""#, r#"reason="malformed""#],
    );
    assert!(failures.is_some_and(|n| n >= 1.0), "{text}");
    let pool = sample(
        &text,
        "humbol_db_pool_connections",
        &[r#"pool="read""#, r#"state="max""#],
    );
    assert!(pool.is_some_and(|n| n >= 1.0), "{text}");
    assert!(text.contains(r#"humbol_build_info{version=""#), "{text}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Stops the child process when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `scim-api` binary as deployed, with `HUMBOL_LOG_FORMAT=json` and `HUMBOL_METRICS_BIND`: `/metrics`
/// answers on the metrics address only (404 on the API's), counts the provisioning events by action and
/// outcome; and every request is ONE JSON log line with method, route template, status, duration, client
/// address and organisation, never the token, the filter or the user's name.
#[rstest]
#[tokio::test]
async fn the_binary_logs_json_lines_and_serves_metrics_on_their_own_address(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (api_port, metrics_port) = (free_port(), free_port());
    let api = format!("http://127.0.0.1:{api_port}");
    let log_dir = tempfile::tempdir().unwrap();
    let log_path = log_dir.path().join("scim-api.log");
    let log_file = std::fs::File::create(&log_path).unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_scim-api"))
        .env_clear()
        .env("DATABASE_URL", &app.db_url)
        .env("HUMBOL_SCIM_BIND", format!("127.0.0.1:{api_port}"))
        .env("HUMBOL_SCIM_PUBLIC_URL", &api)
        .env("HUMBOL_METRICS_BIND", format!("127.0.0.1:{metrics_port}"))
        .env("HUMBOL_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(log_file)
        .spawn()
        .unwrap();
    let _child = Child(child);
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..100 {
        if client
            .get(format!("{api}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ready, "{}", std::fs::read_to_string(&log_path).unwrap());

    let users = format!("{api}/scim/v2/orgs/acme/Users");
    let created = client
        .post(&users)
        .bearer_auth(&app.token)
        .json(&serde_json::json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "secret.person@example.com"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let listed = client
        .get(format!(
            "{users}?filter=userName%20eq%20%22secret.person%40example.com%22"
        ))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    let refused = client
        .get(&users)
        .bearer_auth("humbol_scim_not-a-real-token")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    // /metrics: not on the API's address, on the metrics address.
    let on_api = client.get(format!("{api}/metrics")).send().await.unwrap();
    assert_eq!(on_api.status(), 404);
    let scraped = client
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    let text = scraped.text().await.unwrap();
    let created_events = sample(
        &text,
        "humbol_provisioning_events_total",
        &[r#"action="created""#, r#"outcome="success""#],
    );
    assert_eq!(created_events, Some(1.0), "{text}");
    let requests = sample(
        &text,
        "humbol_http_requests_total",
        &[
            r#"method="POST""#,
            r#"route="/scim/v2/orgs/{org}/Users""#,
            r#"status="201""#,
        ],
    );
    assert_eq!(requests, Some(1.0), "{text}");
    // Nothing waits for a connection once the requests are answered.
    let waiting = sample(
        &text,
        "humbol_db_pool_connections",
        &[r#"pool="read""#, r#"state="waiting""#],
    );
    assert_eq!(waiting, Some(0.0), "{text}");

    drop(_child);
    let log = std::fs::read_to_string(&log_path).unwrap();
    for secret in [
        app.token.as_str(),
        "humbol_scim_not-a-real-token",
        "secret.person",
    ] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let access: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["target"] == "humbol::access" && l["route"] != "/readyz")
        .collect();
    let statuses: Vec<u64> = access
        .iter()
        .map(|l| l["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [201, 200, 401, 404], "{log}");
    let post = access[0];
    assert_eq!(post["method"], "POST");
    assert_eq!(post["api"], "scim");
    assert_eq!(post["route"], "/scim/v2/orgs/{org}/Users");
    assert_eq!(post["org"], "acme");
    assert_eq!(post["client"], "127.0.0.1");
    assert_eq!(post["level"], "INFO");
    assert!(
        post["duration_ms"].as_f64().is_some_and(|ms| ms > 0.0),
        "{post}"
    );
    assert!(post["ts"].is_string());
    // The /metrics address does not log requests, and every other line is JSON too (checked above).
    assert!(lines.iter().any(|l| l["message"].is_string()), "{log}");
}
