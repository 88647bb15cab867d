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
