//! Entra's user sequences (entra.md, "Users"): match, create, update in both shapes, disable/enable,
//! manager, roles, addresses, delete; plus PUT, lists and search.

use humbol_store::Backend;
use rstest::rstest;
use serde_json::{json, Value};

use crate::helpers::*;

/// Looks `filter` up and returns the ListResponse.
async fn find(app: &TestApp, filter: &str) -> Value {
    let r = app.get(&format!("/Users?{}", filter_query(filter))).await;
    r.assert_ok(200).clone()
}

/// PATCHes user `id` with `ops`, expects 200, and checks that a GET afterwards reads back the same.
async fn patch_user(app: &TestApp, id: &str, ops: Value) -> Value {
    let r = app.patch(&format!("/Users/{id}"), &patch_op(ops)).await;
    let patched = r.assert_ok(200).clone();
    assert_eq!(r.header("etag"), patched["meta"]["version"].as_str());
    let read = app.get(&format!("/Users/{id}")).await;
    assert_eq!(read.assert_ok(200), &patched, "GET after PATCH differs");
    patched
}

#[rstest]
#[tokio::test]
async fn match_create_and_duplicate(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    // Match: nobody yet.
    assert_eq!(
        find(&app, "userName eq \"Test_User_ab64@contoso.com\"").await["totalResults"],
        0
    );

    // Create: Entra's body verbatim.
    let body = json!({
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": "Test_User_ab64@contoso.com",
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0e@contoso.com"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "roles": []
    });
    let r = app.post("/Users", &body).await;
    let created = r.assert_ok(201).clone();
    let id = id_of(&created);
    let location = format!("{}/Users/{id}", app.base("acme"));
    assert_eq!(r.header("location"), Some(location.as_str()));
    assert_eq!(created["meta"]["location"], location);
    assert_eq!(created["meta"]["resourceType"], "User");
    assert_eq!(r.header("etag"), created["meta"]["version"].as_str());
    assert_eq!(created["userName"], "Test_User_ab64@contoso.com");
    assert_eq!(
        created["externalId"],
        "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"
    );
    assert_eq!(created["active"], true);
    assert_eq!(created["name"]["givenName"], "givenName");
    assert_eq!(created["name"]["formatted"], "givenName familyName");
    assert_eq!(created["emails"][0]["value"], "Test_User_fd0e@contoso.com");
    assert_eq!(created["emails"][0]["type"], "work");
    assert_eq!(created["emails"][0]["primary"], true);
    // No role given: the organisation's default, not marked primary (Entra sent no primary role, so
    // `roles[primary eq "True"].value` still reads back as nothing).
    assert_eq!(created["roles"], json!([{"value": "Member"}]));
    // What was created reads back the same.
    assert_eq!(
        app.get(&format!("/Users/{id}")).await.assert_ok(200),
        &created
    );

    // Match again, by every attribute Entra uses; userName case-insensitively.
    for filter in [
        "userName eq \"test_user_AB64@CONTOSO.com\"".to_string(),
        "externalId eq \"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef\"".to_string(),
        format!("id eq \"{id}\""),
        "emails[type eq \"work\"].value eq \"Test_User_fd0e@contoso.com\"".to_string(),
    ] {
        let list = find(&app, &filter).await;
        assert_eq!(list["totalResults"], 1, "{filter}");
        assert_eq!(list["Resources"][0], created, "{filter}");
    }
    // externalId compares case-exactly.
    assert_eq!(
        find(
            &app,
            "externalId eq \"0A21F0F2-8D2A-4F8E-BF98-7363C4AED4EF\""
        )
        .await["totalResults"],
        0
    );

    // Duplicate userName (in another case): 409 uniqueness, nothing created.
    let mut dup = body.clone();
    dup["userName"] = json!("TEST_USER_AB64@contoso.com");
    dup["externalId"] = json!("another");
    app.post("/Users", &dup)
        .await
        .assert_scim_error(409, Some("uniqueness"));
    assert_eq!(app.get("/Users").await.assert_ok(200)["totalResults"], 1);
}

#[rstest]
#[tokio::test]
async fn create_tolerates_nulls_unknown_schemas_and_string_booleans(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let r = app
        .post(
            "/Users",
            &json!({
                "schemas": [USER_SCHEMA, "urn:example:unknown:1.0"],
                "userName": "bob@contoso.com",
                "active": "False",
                "title": null,
                "addresses": [],
                "emails": [{"type": "work", "value": "bob@contoso.com", "primary": "True"}],
                "urn:example:unknown:1.0": {"x": 1},
                "meta": {"resourceType": "User"}
            }),
        )
        .await;
    let created = r.assert_ok(201);
    assert_eq!(created["active"], false);
    assert_eq!(created["emails"][0]["primary"], true);
    assert!(created.get("title").is_none());
}

#[rstest]
#[tokio::test]
async fn update_in_the_legacy_shape(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let id = id_of(&app.create_user("alice@contoso.com").await);
    let patched = patch_user(
        &app,
        &id,
        json!([
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@contoso.com"},
            {"op": "Replace", "path": "name.familyName", "value": "Smith"},
            {"op": "Add", "path": "title", "value": "Engineer"},
            {"op": "Add", "path": "preferredLanguage", "value": "en-GB"},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "R&D"}
        ]),
    )
    .await;
    assert_eq!(
        patched["emails"],
        json!([{"value": "new@contoso.com", "type": "work", "primary": true}])
    );
    assert_eq!(patched["name"]["familyName"], "Smith");
    assert_eq!(patched["name"]["givenName"], "givenName");
    assert_eq!(patched["title"], "Engineer");
    assert_eq!(patched["preferredLanguage"], "en-GB");
    assert_eq!(patched[ENTERPRISE]["department"], "R&D");
    assert_eq!(
        find(
            &app,
            "emails[type eq \"work\"].value eq \"new@contoso.com\""
        )
        .await["totalResults"],
        1
    );
}

#[rstest]
#[tokio::test]
async fn update_in_the_compliant_shape(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let id = id_of(&app.create_user("alice@contoso.com").await);
    let patched = patch_user(
        &app,
        &id,
        json!([{"op": "replace", "value": {
            "displayName": "X",
            "name.givenName": "Y",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Z"
        }}]),
    )
    .await;
    assert_eq!(patched["displayName"], "X");
    assert_eq!(patched["name"]["givenName"], "Y");
    assert_eq!(patched["name"]["familyName"], "familyName");
    assert_eq!(patched[ENTERPRISE]["department"], "Z");
    assert!(patched["schemas"]
        .as_array()
        .unwrap()
        .contains(&json!(ENTERPRISE)));
}

#[rstest]
#[tokio::test]
async fn disable_and_enable(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let app = spawn_app(backend).await;
    let id = id_of(&app.create_user("alice@contoso.com").await);
    for (value, expected) in [
        (json!("False"), false),
        (json!("True"), true),
        (json!(false), false),
        (json!(true), true),
        (json!("false"), false),
    ] {
        let patched = patch_user(
            &app,
            &id,
            json!([{"op": "Replace", "path": "active", "value": value}]),
        )
        .await;
        assert_eq!(patched["active"], expected, "{value}");
        // Disabled users stay visible, to GET and to filters.
        let list = find(&app, "userName eq \"alice@contoso.com\"").await;
        assert_eq!(list["Resources"][0]["active"], expected);
    }
    // Compliant shape: path-less.
    let patched = patch_user(
        &app,
        &id,
        json!([{"op": "replace", "value": {"active": true}}]),
    )
    .await;
    assert_eq!(patched["active"], true);
}

#[rstest]
#[tokio::test]
async fn manager_set_and_clear(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let app = spawn_app(backend).await;
    let boss = id_of(&app.create_user("boss@contoso.com").await);
    let other_boss = id_of(&app.create_user("other.boss@contoso.com").await);
    let id = id_of(&app.create_user("alice@contoso.com").await);
    let manager_path = format!("{ENTERPRISE}:manager");

    // A bare string.
    let patched = patch_user(
        &app,
        &id,
        json!([{"op": "Add", "path": manager_path, "value": boss}]),
    )
    .await;
    assert_eq!(patched[ENTERPRISE]["manager"], app.manager_json(&boss));
    // {"value": id}.
    let patched = patch_user(
        &app,
        &id,
        json!([{"op": "Replace", "path": manager_path, "value": {"value": other_boss}}]),
    )
    .await;
    assert_eq!(
        patched[ENTERPRISE]["manager"],
        app.manager_json(&other_boss)
    );
    // Remove.
    let patched = patch_user(&app, &id, json!([{"op": "Remove", "path": manager_path}])).await;
    assert!(
        patched
            .get(ENTERPRISE)
            .is_none_or(|e| e.get("manager").is_none()),
        "{patched:#}"
    );
    // Set again, then clear with an empty value.
    patch_user(
        &app,
        &id,
        json!([{"op": "Add", "path": manager_path, "value": boss}]),
    )
    .await;
    let patched = patch_user(
        &app,
        &id,
        json!([{"op": "Replace", "path": manager_path, "value": ""}]),
    )
    .await;
    assert!(
        patched
            .get(ENTERPRISE)
            .is_none_or(|e| e.get("manager").is_none()),
        "{patched:#}"
    );

    // An id that is not a user of this organisation: refused, nothing changed.
    let before = app.get(&format!("/Users/{id}")).await.body;
    app.patch(
        &format!("/Users/{id}"),
        &patch_op(json!([{"op": "Add", "path": manager_path, "value": "no-such-user"}])),
    )
    .await
    .assert_scim_error(400, Some("invalidValue"));
    assert_eq!(app.get(&format!("/Users/{id}")).await.body, before);

    // Manager on create, as {"value": id} inside the extension.
    let mut body = entra_user("carol@contoso.com");
    body[ENTERPRISE] = json!({"manager": {"value": boss}, "department": "Sales"});
    let created = app.post("/Users", &body).await;
    assert_eq!(
        created.assert_ok(201)[ENTERPRISE]["manager"],
        app.manager_json(&boss)
    );
}

#[rstest]
#[tokio::test]
async fn roles(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let app = spawn_app(backend).await;
    // Create with a role, Entra's shape.
    let mut body = entra_user("admin@contoso.com");
    body["roles"] =
        json!([{"primary": true, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}]);
    let created = app.post("/Users", &body).await;
    let created = created.assert_ok(201).clone();
    assert_eq!(
        created["roles"],
        json!([{"value": "Admin", "primary": true}])
    );
    let id = id_of(&created);

    // Legacy PATCH: the role as a JSON object encoded in a string; "Add" replaces the role.
    let patched = patch_user(
        &app,
        &id,
        json!([{"op": "Add", "path": "roles", "value": [
            {"value": "{\"id\":\"06b0a2a7-0000-0000-0000-000000000000\",\"value\":\"Viewer\",\"displayName\":\"Viewer\"}"}
        ]}]),
    )
    .await;
    assert_eq!(
        patched["roles"],
        json!([{"value": "Viewer", "primary": true}])
    );

    // Replace through the filter Entra maps.
    let patched = patch_user(
        &app,
        &id,
        json!([{"op": "Replace", "path": "roles[primary eq \"True\"].value", "value": "Member"}]),
    )
    .await;
    assert_eq!(
        patched["roles"],
        json!([{"value": "Member", "primary": true}])
    );
    // `primary` is stored as sent, even when only it changes.
    let patched = patch_user(
        &app,
        &id,
        json!([{"op": "replace", "path": "roles", "value": [{"value": "Member", "primary": false}]}]),
    )
    .await;
    assert_eq!(
        patched["roles"],
        json!([{"value": "Member", "primary": false}])
    );
    assert_eq!(
        app.get(&format!("/Users/{id}")).await.body["roles"],
        patched["roles"]
    );

    // Two roles: refused, nothing changed.
    let before = app.get(&format!("/Users/{id}")).await.body;
    let r = app
        .patch(
            &format!("/Users/{id}"),
            &patch_op(json!([{"op": "Replace", "path": "roles", "value": [{"value": "Admin"}, {"value": "Viewer"}]}])),
        )
        .await;
    r.assert_scim_error(400, Some("invalidValue"));
    assert_eq!(app.get(&format!("/Users/{id}")).await.body, before);
    let mut two = entra_user("two@contoso.com");
    two["roles"] = json!([{"value": "Admin", "primary": true}, {"value": "Viewer"}]);
    app.post("/Users", &two)
        .await
        .assert_scim_error(400, Some("invalidValue"));

    // A role outside the organisation's list: refused with the allowed list.
    let mut unknown = entra_user("pilot@contoso.com");
    unknown["roles"] = json!([{"primary": true, "value": "Pilot"}]);
    let r = app.post("/Users", &unknown).await;
    r.assert_scim_error(400, Some("invalidValue"));
    let detail = r.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("Admin") && detail.contains("Member") && detail.contains("Viewer"),
        "{detail}"
    );
    assert_eq!(
        find(&app, "userName eq \"pilot@contoso.com\"").await["totalResults"],
        0
    );

    // Roles compare case-insensitively and are stored in the organisation's spelling.
    let mut lower = entra_user("lower@contoso.com");
    lower["roles"] = json!([{"primary": true, "value": "viewer"}]);
    assert_eq!(
        app.post("/Users", &lower).await.assert_ok(201)["roles"][0]["value"],
        "Viewer"
    );
}

#[rstest]
#[tokio::test]
async fn addresses_build_up_one_work_address(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let id = id_of(&app.create_user("alice@contoso.com").await);
    patch_user(
        &app,
        &id,
        json!([{"op": "Add", "path": "addresses[type eq \"work\"].locality", "value": "Seattle"}]),
    )
    .await;
    patch_user(
        &app,
        &id,
        json!([{"op": "Add", "path": "addresses[type eq \"work\"].region", "value": "WA"}]),
    )
    .await;
    let patched = patch_user(
        &app,
        &id,
        json!([
            {"op": "Add", "path": "addresses[type eq \"work\"].country", "value": "US"},
            {"op": "Replace", "path": "addresses[type eq \"work\"].locality", "value": "Redmond"}
        ]),
    )
    .await;
    let addresses = patched["addresses"].as_array().unwrap();
    assert_eq!(addresses.len(), 1, "{patched:#}");
    assert_eq!(addresses[0]["type"], "work");
    assert_eq!(addresses[0]["locality"], "Redmond");
    assert_eq!(addresses[0]["region"], "WA");
    assert_eq!(addresses[0]["country"], "US");
}

#[rstest]
#[tokio::test]
async fn delete_twice(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let app = spawn_app(backend).await;
    let id = id_of(&app.create_user("alice@contoso.com").await);
    let r = app.delete(&format!("/Users/{id}")).await;
    assert_eq!(r.status, 204);
    assert_eq!(r.body, Value::Null);
    app.delete(&format!("/Users/{id}"))
        .await
        .assert_scim_error(404, None);
    app.get(&format!("/Users/{id}"))
        .await
        .assert_scim_error(404, None);
    app.patch(
        &format!("/Users/{id}"),
        &patch_op(json!([{"op": "Replace", "path": "active", "value": false}])),
    )
    .await
    .assert_scim_error(404, None);
    assert_eq!(
        find(&app, "userName eq \"alice@contoso.com\"").await["totalResults"],
        0
    );
    app.get("/Users/00000000-0000-0000-0000-000000000000")
        .await
        .assert_scim_error(404, None);
}

#[rstest]
#[tokio::test]
async fn put_replaces_the_user(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app.create_user("alice@contoso.com").await;
    let id = id_of(&created);
    let mut body = entra_user("alice@contoso.com");
    body["title"] = json!("CTO");
    body["name"] = json!({"givenName": "Alice"});
    body["roles"] = json!([{"value": "Admin", "primary": true}]);
    let r = app.put(&format!("/Users/{id}"), &body).await;
    let replaced = r.assert_ok(200).clone();
    assert_eq!(replaced["title"], "CTO");
    assert_eq!(replaced["name"], json!({"givenName": "Alice"}));
    assert_eq!(replaced["roles"][0]["value"], "Admin");
    assert_eq!(replaced["meta"]["created"], created["meta"]["created"]);
    assert_ne!(replaced["meta"]["version"], created["meta"]["version"]);
    assert_eq!(app.get(&format!("/Users/{id}")).await.body, replaced);
    app.put("/Users/no-such-id", &body)
        .await
        .assert_scim_error(404, None);
}

#[rstest]
#[tokio::test]
async fn if_match_is_honoured_but_never_required(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let created = app.create_user("alice@contoso.com").await;
    let id = id_of(&created);
    let url = format!("{}/Users/{id}", app.base("acme"));
    let etag = created["meta"]["version"].as_str().unwrap().to_string();
    let body = patch_op(json!([{"op": "Replace", "path": "title", "value": "A"}]));

    let r = app
        .send(
            reqwest::Method::PATCH,
            &url,
            Some(&body),
            Some(&app.token),
            &[("If-Match", &etag)],
        )
        .await;
    let patched = r.assert_ok(200).clone();
    // The old version no longer matches: 412, nothing changed.
    let body2 = patch_op(json!([{"op": "Replace", "path": "title", "value": "B"}]));
    let r = app
        .send(
            reqwest::Method::PATCH,
            &url,
            Some(&body2),
            Some(&app.token),
            &[("If-Match", &etag)],
        )
        .await;
    r.assert_scim_error(412, None);
    assert_eq!(app.get(&format!("/Users/{id}")).await.body, patched);
    let r = app
        .send(
            reqwest::Method::DELETE,
            &url,
            None,
            Some(&app.token),
            &[("If-Match", &etag)],
        )
        .await;
    r.assert_scim_error(412, None);
    // `*` matches any version.
    let r = app
        .send(
            reqwest::Method::PATCH,
            &url,
            Some(&body2),
            Some(&app.token),
            &[("If-Match", "*")],
        )
        .await;
    assert_eq!(r.assert_ok(200)["title"], "B");
}

#[rstest]
#[tokio::test]
async fn lists_sort_paginate_and_project(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    for name in ["b@x.com", "a@x.com", "c@x.com"] {
        app.create_user(name).await;
    }
    let r = app
        .get("/Users?sortBy=userName&sortOrder=descending&startIndex=2&count=1")
        .await;
    let page = r.assert_ok(200);
    assert_eq!(page["totalResults"], 3);
    assert_eq!(page["startIndex"], 2);
    assert_eq!(page["itemsPerPage"], 1);
    assert_eq!(page["Resources"][0]["userName"], "b@x.com");

    let r = app.get("/Users?sortBy=userName&attributes=userName").await;
    let page = r.assert_ok(200);
    let first = &page["Resources"][0];
    assert_eq!(first["userName"], "a@x.com");
    assert!(first["id"].is_string());
    assert!(
        first.get("emails").is_none() && first.get("name").is_none(),
        "{first:#}"
    );

    let r = app
        .get("/Users?excludedAttributes=emails,name&count=0")
        .await;
    let page = r.assert_ok(200);
    assert_eq!(page["totalResults"], 3);
    assert_eq!(page["Resources"], json!([]));

    let id = id_of(&app.create_user("d@x.com").await);
    let r = app
        .get(&format!("/Users/{id}?excludedAttributes=emails"))
        .await;
    let one = r.assert_ok(200);
    assert!(one.get("emails").is_none());
    assert_eq!(one["userName"], "d@x.com");
}

#[rstest]
#[tokio::test]
async fn search_with_post(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_user("alice@contoso.com").await;
    app.create_user("bob@contoso.com").await;
    let r = app
        .post(
            "/Users/.search",
            &json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                "filter": "userName eq \"bob@contoso.com\"",
                "attributes": ["userName"],
                "startIndex": 1,
                "count": 10
            }),
        )
        .await;
    let page = r.assert_ok(200);
    assert_eq!(page["totalResults"], 1);
    assert_eq!(page["Resources"][0]["userName"], "bob@contoso.com");
    app.post("/Users/.search", &json!({"filter": "userName eq \"x\""}))
        .await
        .assert_scim_error(400, Some("invalidSyntax"));
}
