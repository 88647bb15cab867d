//! Every refusal path: the right SCIM error, as `application/scim+json`, nothing changed, and a `refused`
//! event in the organisation's log.

use humbol_store::Backend;
use reqwest::Method;
use rstest::rstest;
use serde_json::{json, Value};

use crate::helpers::*;

/// The user, read back.
async fn read(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/Users/{id}"))
        .await
        .assert_ok(200)
        .clone()
}

#[rstest]
#[tokio::test]
async fn bad_bodies_are_refused_and_change_nothing(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let id = id_of(&app.create_user("alice@contoso.com").await);
    let before = read(&app, &id).await;
    let path = format!("/Users/{id}");

    // Malformed JSON.
    let r = app
        .raw(
            Method::PATCH,
            &path,
            Some(SCIM),
            b"{\"schemas\": [".to_vec(),
        )
        .await;
    r.assert_scim_error(400, Some("invalidSyntax"));
    let r = app
        .raw(Method::POST, "/Users", Some(SCIM), b"{not json}".to_vec())
        .await;
    r.assert_scim_error(400, Some("invalidSyntax"));
    // Wrong content type.
    let body = serde_json::to_vec(&patch_op(
        json!([{"op": "Replace", "path": "title", "value": "x"}]),
    ))
    .unwrap();
    let r = app
        .raw(Method::PATCH, &path, Some("text/plain"), body.clone())
        .await;
    r.assert_scim_error(415, None);
    let r = app
        .raw(
            Method::PATCH,
            &path,
            Some("application/x-www-form-urlencoded"),
            body.clone(),
        )
        .await;
    r.assert_scim_error(415, None);
    // application/json is fine.
    let r = app
        .raw(Method::PATCH, &path, Some("application/json"), body)
        .await;
    assert_eq!(r.assert_ok(200)["title"], "x");
    let before_big = read(&app, &id).await;
    // Oversized body.
    let mut big = entra_user("big@contoso.com");
    big["title"] = json!("x".repeat(MAX_BODY + 1));
    let r = app
        .raw(
            Method::POST,
            "/Users",
            Some(SCIM),
            serde_json::to_vec(&big).unwrap(),
        )
        .await;
    r.assert_scim_error(413, None);
    assert_eq!(app.get("/Users").await.body["totalResults"], 1);
    // Not a PatchOp / not a user.
    app.patch(&path, &json!({"Operations": []}))
        .await
        .assert_scim_error(400, Some("invalidSyntax"));
    app.post("/Users", &json!({"schemas": [USER_SCHEMA]}))
        .await
        .assert_scim_error(400, Some("invalidValue"));
    app.post("/Users", &json!([1, 2]))
        .await
        .assert_scim_error(400, Some("invalidSyntax"));
    // Invalid PATCH path.
    app.patch(
        &path,
        &patch_op(json!([{"op": "Replace", "path": "emails[type eq", "value": "x"}])),
    )
    .await
    .assert_scim_error(400, Some("invalidPath"));
    app.patch(
        &path,
        &patch_op(json!([{"op": "Replace", "path": "favouriteColour", "value": "x"}])),
    )
    .await
    .assert_scim_error(400, Some("invalidPath"));
    // A read-only attribute.
    let r = app
        .patch(
            &path,
            &patch_op(json!([{"op": "Replace", "path": "id", "value": "x"}])),
        )
        .await;
    assert_eq!(r.status, 400);
    // Deeply nested JSON.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let r = app
        .raw(Method::POST, "/Users", Some(SCIM), deep.into_bytes())
        .await;
    r.assert_scim_error(400, Some("invalidSyntax"));

    assert_eq!(read(&app, &id).await, before_big);
    assert_ne!(before_big, before); // only the application/json PATCH applied
    assert!(app.refusals().len() >= 8, "{:?}", app.refusals());
}

#[rstest]
#[tokio::test]
async fn multi_operation_patch_is_all_or_nothing(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let id = id_of(&app.create_user("alice@contoso.com").await);
    let before = read(&app, &id).await;
    let r = app
        .patch(
            &format!("/Users/{id}"),
            &patch_op(json!([
                {"op": "Replace", "path": "name.familyName", "value": "Smith"},
                {"op": "Replace", "path": "active", "value": false},
                {"op": "Replace", "path": "nope[", "value": 1}
            ])),
        )
        .await;
    r.assert_scim_error(400, Some("invalidPath"));
    assert_eq!(read(&app, &id).await, before);
    // Second op with a bad value type.
    let r = app
        .patch(
            &format!("/Users/{id}"),
            &patch_op(json!([
                {"op": "Replace", "path": "title", "value": "Boss"},
                {"op": "Replace", "path": "active", "value": {"not": "a boolean"}}
            ])),
        )
        .await;
    r.assert_scim_error(400, Some("invalidValue"));
    assert_eq!(read(&app, &id).await, before);
}

#[rstest]
#[tokio::test]
async fn bad_filters_are_400(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let app = spawn_app(backend).await;
    for filter in [
        "userName eq",
        "userName xx \"a\"",
        "(userName eq \"a\"",
        "userName eq \"unterminated",
    ] {
        let r = app.get(&format!("/Users?{}", filter_query(filter))).await;
        r.assert_scim_error(400, Some("invalidFilter"));
    }
    // An attribute Humbol does not have.
    let r = app
        .get(&format!("/Users?{}", filter_query("shoeSize eq \"42\"")))
        .await;
    r.assert_scim_error(400, Some("invalidFilter"));
    let r = app
        .get(&format!("/Groups?{}", filter_query("colour eq \"red\"")))
        .await;
    r.assert_scim_error(400, Some("invalidFilter"));
    // Deeply nested.
    let deep = format!(
        "{}userName eq \"a\"{}",
        "(".repeat(5_000),
        ")".repeat(5_000)
    );
    let r = app.get(&format!("/Users?{}", filter_query(&deep))).await;
    assert_eq!(r.status, 400, "{:#}", r.body);
    assert_eq!(r.content_type(), Some(SCIM));
    // Bad paging parameters and a bad sortBy.
    app.get("/Users?startIndex=abc")
        .await
        .assert_scim_error(400, Some("invalidValue"));
    let r = app.get("/Users?sortBy=shoeSize").await;
    assert_eq!(r.status, 400, "{:#}", r.body);
}

/// A NUL written as the escape `\u0000` inside a filter's or a PATCH path's string: 400, the same on both
/// backends (PostgreSQL cannot bind it, and a PATCH `add` would have created an email holding it on SQLite).
#[rstest]
#[tokio::test]
async fn nul_escapes_in_filters_and_paths_are_400(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let id = id_of(&app.create_user("alice@contoso.com").await);
    let group = id_of(&app.create_group("Staff").await);
    let before = read(&app, &id).await;
    for (resource, filter) in [
        ("Users", r#"userName eq "a\u0000b""#),
        ("Users", r#"name.givenName gt "\u0000""#),
        ("Users", r#"emails[value co "a\u0000"]"#),
        ("Groups", r#"members.value eq "a\u0000b""#),
        ("Groups", r#"displayName sw "\u0000""#),
    ] {
        let r = app
            .get(&format!("/{resource}?{}", filter_query(filter)))
            .await;
        r.assert_scim_error(400, Some("invalidFilter"));
        let search = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": filter,
        });
        let r = app.post(&format!("/{resource}/.search"), &search).await;
        r.assert_scim_error(400, Some("invalidFilter"));
    }
    for op in ["add", "replace", "remove"] {
        let r = app
            .patch(
                &format!("/Users/{id}"),
                &patch_op(json!([{
                    "op": op, "path": r#"emails[value eq "a\u0000b"].type"#, "value": "work"
                }])),
            )
            .await;
        assert_eq!(r.status, 400, "{op}: {:#}", r.body);
        let r = app
            .patch(
                &format!("/Groups/{group}"),
                &patch_op(json!([{
                    "op": op, "path": r#"members[value eq "a\u0000b"]"#, "value": [{"value": id}]
                }])),
            )
            .await;
        assert_eq!(r.status, 400, "{op}: {:#}", r.body);
    }
    assert_eq!(read(&app, &id).await, before);
}

#[rstest]
#[tokio::test]
async fn unknown_routes_and_methods_are_scim_errors(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let r = app.get("/Printers").await;
    r.assert_scim_error(404, None);
    let r = app
        .send(
            Method::GET,
            &format!("{}/nothing/here", app.address),
            None,
            None,
            &[],
        )
        .await;
    r.assert_scim_error(404, None);
    let r = app.req(Method::DELETE, "/Users", None).await;
    r.assert_scim_error(405, None);
    let r = app
        .req(Method::POST, "/Users/some-id", Some(&json!({})))
        .await;
    r.assert_scim_error(405, None);
    let r = app.req(Method::GET, "/Users/.search", None).await;
    r.assert_scim_error(405, None);
    let r = app
        .send(
            Method::POST,
            &format!("{}/healthz", app.address),
            None,
            None,
            &[],
        )
        .await;
    r.assert_scim_error(405, None);
}

#[rstest]
#[tokio::test]
async fn refusals_are_recorded_in_the_event_log(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let id = id_of(&app.create_user("alice@contoso.com").await);
    assert!(app.refusals().is_empty());
    let mut two = entra_user("two@contoso.com");
    two["roles"] = json!([{"value": "Pilot"}]);
    app.post("/Users", &two)
        .await
        .assert_scim_error(400, Some("invalidValue"));
    app.patch(
        &format!("/Users/{id}"),
        &patch_op(json!([{"op": "Replace", "path": "nope[", "value": 1}])),
    )
    .await
    .assert_scim_error(400, Some("invalidPath"));
    let events = app.refusals();
    assert_eq!(events.len(), 2, "{events:?}");
    let newest = &events[0];
    assert_eq!(newest.action, "refused");
    assert_eq!(newest.actor, format!("token:{}", app.token_id));
    assert_eq!(newest.resource_type.as_deref(), Some("User"));
    assert_eq!(newest.resource_id.as_deref(), Some(id.as_str()));
    assert!(newest.detail.contains("invalidPath"), "{}", newest.detail);
    assert!(events[1].detail.contains("Pilot"), "{}", events[1].detail);
    // A request without a valid token is not the organisation's: nothing recorded.
    let r = app
        .send(
            Method::GET,
            &format!("{}/Users", app.base("acme")),
            None,
            Some("humbol_scim_nope"),
            &[],
        )
        .await;
    r.assert_scim_error(401, None);
    assert_eq!(app.refusals().len(), 2);
}

/// Reads answer on the async worker on SQLite; their refusals are still in the event log when the response
/// arrives.
#[rstest]
#[tokio::test]
async fn refused_reads_are_logged_before_the_response(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.get(&format!("/Users?{}", filter_query("userName zz \"x\"")))
        .await
        .assert_scim_error(400, Some("invalidFilter"));
    let events = app.refusals();
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(
        events[0].detail.contains("invalidFilter"),
        "{}",
        events[0].detail
    );
    app.get("/Users/2819c223-7f76-453a-919d-413861904646")
        .await
        .assert_scim_error(404, None);
    let events = app.refusals();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(
        events[0].resource_id.as_deref(),
        Some("2819c223-7f76-453a-919d-413861904646")
    );
}
