//! Entra's group sequences (entra.md, "Groups").

use humbol_store::Backend;
use rstest::rstest;
use serde_json::{json, Value};

use crate::helpers::*;

fn member_ids(group: &Value) -> Vec<String> {
    let mut ids: Vec<String> = group["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| m["value"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[rstest]
#[tokio::test]
async fn entra_group_lifecycle(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let app = spawn_app(backend).await;
    let users: Vec<String> = futures_ids(&app, &["u1@x.com", "u2@x.com", "u3@x.com"]).await;

    // Entra looks the group up first, members excluded.
    let lookup = format!(
        "/Groups?excludedAttributes=members&{}",
        filter_query("displayName eq \"Sales\"")
    );
    assert_eq!(app.get(&lookup).await.assert_ok(200)["totalResults"], 0);

    // Create, with Microsoft's ADSCIM schema URI.
    let r = app
        .post(
            "/Groups",
            &json!({
                "schemas": [
                    "urn:ietf:params:scim:schemas:core:2.0:Group",
                    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
                ],
                "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
                "displayName": "Sales",
                "meta": {"resourceType": "Group"}
            }),
        )
        .await;
    let group = r.assert_ok(201).clone();
    let gid = id_of(&group);
    assert_eq!(
        r.header("location"),
        Some(format!("{}/Groups/{gid}", app.base("acme")).as_str())
    );
    assert_eq!(group["displayName"], "Sales");
    assert_eq!(group["externalId"], "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159");
    assert_eq!(group["meta"]["resourceType"], "Group");

    // Duplicate displayName (any case): 409.
    app.post("/Groups", &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "SALES"}))
        .await
        .assert_scim_error(409, Some("uniqueness"));

    // Found by displayName, case-insensitively, without members.
    let lookup = format!(
        "/Groups?excludedAttributes=members&{}",
        filter_query("displayName eq \"sales\"")
    );
    let list = app.get(&lookup).await;
    assert_eq!(list.assert_ok(200)["totalResults"], 1);

    // Add several members at once.
    let add = patch_op(json!([{"op": "Add", "path": "members", "value": [
        {"$ref": null, "value": users[0]}, {"$ref": null, "value": users[1]}, {"$ref": null, "value": users[2]}
    ]}]));
    // Without `attributes`, a group PATCH answers 204 (a big group's members are not sent back).
    let r = app.patch(&format!("/Groups/{gid}"), &add).await;
    assert_eq!(r.status, 204);
    assert!(r.header("etag").is_some());
    let full = app.get(&format!("/Groups/{gid}")).await;
    let full = full.assert_ok(200);
    assert_eq!(member_ids(full), sorted(users.clone()));
    assert_eq!(full["members"][0]["type"], "User");

    // excludedAttributes=members: absent.
    let r = app
        .get(&format!("/Groups/{gid}?excludedAttributes=members"))
        .await;
    let without = r.assert_ok(200);
    assert!(without.get("members").is_none(), "{without:#}");
    assert_eq!(without["displayName"], "Sales");
    let list = app.get(&lookup).await;
    assert!(list.body["Resources"][0].get("members").is_none());

    // Membership check.
    let check = |user: &str| {
        format!(
            "/Groups?excludedAttributes=members&{}",
            filter_query(&format!("id eq \"{gid}\" and members[value eq \"{user}\"]"))
        )
    };
    assert_eq!(
        app.get(&check(&users[0])).await.assert_ok(200)["totalResults"],
        1
    );

    // Remove, legacy shape: only the listed member goes.
    let remove = patch_op(
        json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": users[0]}]}]),
    );
    assert_eq!(
        app.patch(&format!("/Groups/{gid}"), &remove).await.status,
        204
    );
    let now = app.get(&format!("/Groups/{gid}")).await.body;
    assert_eq!(
        member_ids(&now),
        sorted(vec![users[1].clone(), users[2].clone()])
    );
    assert_eq!(app.get(&check(&users[0])).await.body["totalResults"], 0);

    // Remove, compliant shape.
    let remove =
        patch_op(json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", users[1])}]));
    assert_eq!(
        app.patch(&format!("/Groups/{gid}"), &remove).await.status,
        204
    );
    let now = app.get(&format!("/Groups/{gid}")).await.body;
    assert_eq!(member_ids(&now), vec![users[2].clone()]);

    // Rename.
    let rename = patch_op(json!([{"op": "Replace", "path": "displayName", "value": "Sales EMEA"}]));
    // With `attributes`, the patched group comes back (projected).
    let r = app
        .patch(&format!("/Groups/{gid}?attributes=displayName"), &rename)
        .await;
    assert_eq!(r.assert_ok(200)["displayName"], "Sales EMEA");
    assert!(r.body.get("members").is_none());
    let now = app.get(&format!("/Groups/{gid}")).await.body;
    assert_eq!(now["displayName"], "Sales EMEA");
    assert_eq!(member_ids(&now), vec![users[2].clone()]);
    let rename = patch_op(
        json!([{"op": "replace", "value": {"displayName": "Sales World", "externalId": "e2"}}]),
    );
    assert_eq!(
        app.patch(&format!("/Groups/{gid}"), &rename).await.status,
        204
    );
    assert_eq!(
        app.get(&format!("/Groups/{gid}")).await.body["externalId"],
        "e2"
    );

    // Deleting a member user removes the membership.
    assert_eq!(
        app.delete(&format!("/Users/{}", users[2])).await.status,
        204
    );
    let now = app.get(&format!("/Groups/{gid}")).await.body;
    assert!(member_ids(&now).is_empty());

    // Delete.
    assert_eq!(app.delete(&format!("/Groups/{gid}")).await.status, 204);
    app.get(&format!("/Groups/{gid}"))
        .await
        .assert_scim_error(404, None);
    app.delete(&format!("/Groups/{gid}"))
        .await
        .assert_scim_error(404, None);
}

async fn futures_ids(app: &TestApp, names: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for name in names {
        ids.push(id_of(&app.create_user(name).await));
    }
    ids
}

#[rstest]
#[tokio::test]
async fn group_member_refusals_change_nothing(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let user = id_of(&app.create_user("u1@x.com").await);
    let gid = id_of(&app.create_group("Ops").await);
    // An unknown member id among good ones: refused, nothing added.
    let add = patch_op(
        json!([{"op": "Add", "path": "members", "value": [{"value": user}, {"value": "no-such-user"}]}]),
    );
    app.patch(&format!("/Groups/{gid}"), &add)
        .await
        .assert_scim_error(400, Some("invalidValue"));
    // A rename plus an invalid member op: neither applied.
    let both = patch_op(json!([
        {"op": "Replace", "path": "displayName", "value": "Renamed"},
        {"op": "Add", "path": "members", "value": [{"value": "no-such-user"}]}
    ]));
    app.patch(&format!("/Groups/{gid}"), &both)
        .await
        .assert_scim_error(400, Some("invalidValue"));
    let now = app.get(&format!("/Groups/{gid}")).await.body;
    assert_eq!(now["displayName"], "Ops");
    assert!(now.get("members").is_none());
}

#[rstest]
#[tokio::test]
async fn put_replaces_group_members(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let ids = futures_ids(&app, &["a@x.com", "b@x.com"]).await;
    let gid = id_of(&app.create_group("Team").await);
    let r = app
        .put(
            &format!("/Groups/{gid}"),
            &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Team 2",
                    "members": [{"value": ids[0]}, {"value": ids[1]}]}),
        )
        .await;
    let replaced = r.assert_ok(200);
    assert_eq!(replaced["displayName"], "Team 2");
    assert_eq!(member_ids(replaced), sorted(ids.clone()));
    assert_eq!(&app.get(&format!("/Groups/{gid}")).await.body, replaced);
}

/// A group of more members than one piece of the written body holds is sent in pieces (no `Content-Length`:
/// chunked) and reads the same as the group in a list (written whole), with every member once; projections of
/// the members hold on every piece.
#[rstest]
#[tokio::test]
async fn a_large_group_is_sent_in_pieces(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    const MEMBERS: usize = 2 * scim_core::resource::MEMBERS_PER_PIECE + 77;
    let app = spawn_app(backend).await;
    humbol_store::testing::seed_users(&app.store, &app.org, MEMBERS, |i| {
        scim_core::resource::User {
            user_name: format!("m{i:05}@x.com"),
            display_name: Some(format!("Member {i}")),
            active: true,
            ..Default::default()
        }
    })
    .unwrap();
    let mut ids = Vec::new();
    while ids.len() < MEMBERS {
        let page = app
            .get(&format!(
                "/Users?attributes=id&count=100&startIndex={}",
                ids.len() + 1
            ))
            .await;
        let page = page.assert_ok(200);
        ids.extend(page["Resources"].as_array().unwrap().iter().map(id_of));
    }
    let members: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
    let group = scim_core::resource::Group::from_json(&json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Everyone", "members": members}))
    .unwrap();
    let gid = app.store.create_group(&app.org, &group, "test").unwrap().id;

    let r = app.get(&format!("/Groups/{gid}")).await;
    let whole = r.assert_ok(200);
    assert!(r.header("content-length").is_none(), "{:?}", r.headers);
    assert_eq!(r.header("etag"), Some("W/\"1\""));
    assert_eq!(member_ids(whole), sorted(ids.clone()));
    assert_eq!(whole["members"][0]["type"], "User");
    assert!(whole["members"][0]["display"]
        .as_str()
        .unwrap()
        .starts_with("Member "));
    let listed = app
        .get(&format!(
            "/Groups?{}",
            filter_query(&format!("id eq \"{gid}\""))
        ))
        .await;
    assert_eq!(&listed.assert_ok(200)["Resources"][0], whole);

    let r = app
        .get(&format!("/Groups/{gid}?attributes=members.value"))
        .await;
    let values = r.assert_ok(200);
    assert_eq!(member_ids(values), sorted(ids.clone()));
    assert!(values["members"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m.as_object().unwrap().len() == 1));
    assert!(values.get("displayName").is_none());
    let r = app
        .get(&format!("/Groups/{gid}?excludedAttributes=members"))
        .await;
    let without = r.assert_ok(200);
    assert!(without.get("members").is_none());
    assert_eq!(without["displayName"], "Everyone");
}
