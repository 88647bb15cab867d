use super::*;
use crate::error::ScimType;
use crate::schema::{ENTERPRISE_USER_SCHEMA, GROUP_RESOURCE, USER_RESOURCE, USER_SCHEMA};
use serde_json::json;

const ENT: &str = ENTERPRISE_USER_SCHEMA;

fn user() -> Value {
    json!({
        "schemas": [USER_SCHEMA],
        "userName": "Test_User_ab64@contoso.com",
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "active": true,
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0e@contoso.com"}],
        "roles": [{"primary": true, "type": "WindowsAzureActiveDirectoryRole", "value": "Member"}],
    })
}

fn group() -> Value {
    json!({
        "schemas": [GROUP_SCHEMA],
        "displayName": "Sales",
        "members": [{"value": "u1"}, {"value": "u2"}, {"value": "u3"}],
    })
}

fn body(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP_SCHEMA], "Operations": ops})
}

fn patch_rt(rt: &ResourceTypeDef, resource: &Value, ops: Value) -> Result<Value, ScimError> {
    let req = PatchRequest::from_json(&body(ops))?;
    apply(rt, resource, &req)
}

fn patch_user(ops: Value) -> Result<Value, ScimError> {
    patch_rt(&USER_RESOURCE, &user(), ops)
}

fn ok_user(ops: Value) -> Value {
    match patch_user(ops) {
        Ok(v) => v,
        Err(e) => panic!("unexpected error: {e}"),
    }
}

fn ok_group(ops: Value) -> Value {
    match patch_rt(&GROUP_RESOURCE, &group(), ops) {
        Ok(v) => v,
        Err(e) => panic!("unexpected error: {e}"),
    }
}

fn err_type(r: Result<Value, ScimError>) -> Option<ScimType> {
    match r {
        Ok(v) => panic!("expected an error, got {v}"),
        Err(e) => {
            assert_eq!(e.status, 400, "{e}");
            e.scim_type
        }
    }
}

fn member_ids_of(v: &Value) -> Vec<&str> {
    v["members"]
        .as_array()
        .map(|a| a.iter().filter_map(|m| m["value"].as_str()).collect())
        .unwrap_or_default()
}

// ---- parsing -------------------------------------------------------------------------------------

#[test]
fn parses_legacy_and_compliant_shapes() {
    let req = PatchRequest::from_json(&json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@contoso.com"},
            {"op": "Add", "path": "name.familyName", "value": "Smith"},
            {"op": "remove", "path": "title"},
            {"op": "replace", "value": {"displayName": "X"}},
            {"op": "REPLACE", "path": "manager", "value": null},
        ]
    }));
    let Ok(req) = req else { panic!("{req:?}") };
    let kinds: Vec<_> = req.operations.iter().map(|o| o.op).collect();
    use PatchOpKind::*;
    assert_eq!(kinds, [Replace, Add, Remove, Replace, Replace]);
    let p = req.operations[0].path.as_ref().map(|p| p.to_string());
    assert_eq!(p.as_deref(), Some("emails[type eq \"work\"].value"));
    assert!(req.operations[2].value.is_none());
    assert!(req.operations[3].path.is_none());
    assert_eq!(req.operations[4].value, Some(Value::Null));
    // Keys in any case.
    let req = PatchRequest::from_json(&json!({
        "Schemas": [PATCH_OP_SCHEMA],
        "operations": [{"OP": "add", "Path": "title", "Value": "x"}]
    }));
    assert!(req.is_ok(), "{req:?}");
}

#[test]
fn parse_errors_have_the_rfc_scim_types() {
    let parse = |b: Value| PatchRequest::from_json(&b).map_err(|e| e.scim_type);
    let op = json!([{"op": "add", "path": "title", "value": "x"}]);
    assert_eq!(
        parse(json!({"Operations": op})),
        Err(Some(ScimType::InvalidSyntax))
    );
    assert_eq!(
        parse(json!({"schemas": [USER_SCHEMA], "Operations": op})),
        Err(Some(ScimType::InvalidSyntax))
    );
    assert_eq!(parse(json!([])), Err(Some(ScimType::InvalidSyntax)));
    assert_eq!(parse(body(json!([]))), Err(Some(ScimType::InvalidSyntax)));
    assert_eq!(parse(body(json!({}))), Err(Some(ScimType::InvalidSyntax)));
    assert_eq!(
        parse(body(json!(["add"]))),
        Err(Some(ScimType::InvalidSyntax))
    );
    assert_eq!(
        parse(body(
            json!([{"op": "merge", "path": "title", "value": "x"}])
        )),
        Err(Some(ScimType::InvalidSyntax))
    );
    assert_eq!(
        parse(body(json!([{"path": "title", "value": "x"}]))),
        Err(Some(ScimType::InvalidSyntax))
    );
    assert_eq!(
        parse(body(
            json!([{"op": "add", "path": "emails[type eq", "value": "x"}])
        )),
        Err(Some(ScimType::InvalidPath))
    );
    assert_eq!(
        parse(body(json!([{"op": "add", "path": 7, "value": "x"}]))),
        Err(Some(ScimType::InvalidPath))
    );
    assert_eq!(
        parse(body(json!([{"op": "Remove"}]))),
        Err(Some(ScimType::NoTarget))
    );
    assert_eq!(
        parse(body(json!([{"op": "Add", "path": "title"}]))),
        Err(Some(ScimType::InvalidValue))
    );
    assert_eq!(
        parse(body(json!([{"op": "replace"}]))),
        Err(Some(ScimType::InvalidValue))
    );
}

// ---- Entra's shapes ------------------------------------------------------------------------------

#[test]
fn entra_legacy_two_op_update() {
    let v = ok_user(json!([
        {"op":"Replace","path":"emails[type eq \"work\"].value","value":"new@contoso.com"},
        {"op":"Replace","path":"name.familyName","value":"Smith"}
    ]));
    assert_eq!(
        v["emails"],
        json!([{"primary": true, "type": "work", "value": "new@contoso.com"}])
    );
    assert_eq!(
        v["name"],
        json!({"formatted": "givenName familyName", "familyName": "Smith", "givenName": "givenName"})
    );
}

#[test]
fn entra_compliant_pathless_replace() {
    let v = ok_user(
        json!([{"op":"replace","value":{"displayName":"X","name.givenName":"Y",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Z"}}]),
    );
    assert_eq!(v["displayName"], "X");
    assert_eq!(v["name"]["givenName"], "Y");
    assert_eq!(v["name"]["familyName"], "familyName");
    assert_eq!(v[ENT], json!({"department": "Z"}));
    assert_eq!(v["schemas"], json!([USER_SCHEMA, ENT]));
}

#[test]
fn pathless_value_may_repeat_the_resources_own_id() {
    let mut g = group();
    g["id"] = json!("g-1");
    let renamed = patch_rt(
        &GROUP_RESOURCE,
        &g,
        json!([{"op": "replace", "value": {"id": "g-1", "displayName": "Renamed"}}]),
    )
    .unwrap();
    assert_eq!(renamed["displayName"], "Renamed");
    assert_eq!(renamed["id"], "g-1");
    let other = patch_rt(
        &GROUP_RESOURCE,
        &g,
        json!([{"op": "replace", "value": {"id": "g-2", "displayName": "Renamed"}}]),
    );
    assert_eq!(err_type(other), Some(ScimType::Mutability));
    // Without an id to compare with, an id is refused as before.
    let unknown = patch_rt(
        &GROUP_RESOURCE,
        &group(),
        json!([{"op": "replace", "value": {"id": "g-1"}}]),
    );
    assert_eq!(err_type(unknown), Some(ScimType::Mutability));
}

#[test]
fn pathless_keys_in_any_case_and_extension_object() {
    let v = ok_user(json!([{"op":"Add","value":{
        "USERNAME": "bob@contoso.com",
        "Name.FamilyName": "Builder",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Ops", "manager": "m-1"},
        "urn:ietf:params:scim:schemas:core:2.0:User:title": "CTO",
        "schemas": ["ignored"],
    }}]));
    assert_eq!(v["userName"], "bob@contoso.com");
    assert!(v.get("USERNAME").is_none());
    assert_eq!(v["name"]["familyName"], "Builder");
    assert!(v["name"].get("FamilyName").is_none());
    assert_eq!(v["title"], "CTO");
    assert_eq!(
        v[ENT],
        json!({"department": "Ops", "manager": {"value": "m-1"}})
    );
    // The extension URN as a path.
    let v = ok_user(json!([{"op":"add","path":ENT,"value":{"department":"Ops"}}]));
    assert_eq!(v[ENT], json!({"department": "Ops"}));
    let mut u = user();
    u[ENT] = json!({"department": "Ops"});
    let v = patch_rt(&USER_RESOURCE, &u, json!([{"op":"remove","path":ENT}]));
    assert!(v.is_ok_and(|v| v.get(ENT).is_none()));
}

#[test]
fn non_canonical_existing_keys_are_replaced() {
    let mut u = user();
    u["USERNAME"] = json!("old-shouting");
    u["Name"] = u["name"].take();
    if let Some(o) = u.as_object_mut() {
        o.remove("name");
    }
    let v = match patch_rt(
        &USER_RESOURCE,
        &u,
        json!([{"op":"replace","path":"username","value":"new"},
               {"op":"replace","path":"name.givenname","value":"G"}]),
    ) {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(v["userName"], "new");
    assert!(v.get("USERNAME").is_none() && v.get("Name").is_none());
    assert_eq!(v["name"]["givenName"], "G");
    assert_eq!(v["name"]["familyName"], "familyName");
}

#[test]
fn add_sets_single_valued_and_merges_complex_replace_replaces_whole() {
    let v = ok_user(json!([{"op":"Add","path":"title","value":"Engineer"},
                            {"op":"Add","path":"title","value":"CTO"}]));
    assert_eq!(v["title"], "CTO");
    let v = ok_user(json!([{"op":"Add","path":"name","value":{"givenName":"Alice"}}]));
    assert_eq!(
        v["name"],
        json!({"formatted": "givenName familyName", "familyName": "familyName", "givenName": "Alice"})
    );
    let v = ok_user(json!([{"op":"Replace","path":"name","value":{"givenName":"Alice"}}]));
    assert_eq!(v["name"], json!({"givenName": "Alice"}));
    let v = ok_user(json!([{"op":"Replace","path":"title","value":null},
                            {"op":"Remove","path":"name.formatted"}]));
    assert!(v.get("title").is_none());
    assert!(v["name"].get("formatted").is_none());
    let v = ok_user(json!([{"op":"Remove","path":"name"}]));
    assert!(v.get("name").is_none());
    // Removing the last sub-attribute unassigns the complex attribute.
    let v = ok_user(
        json!([{"op":"Replace","path":"name","value":{"givenName":"A"}},
                            {"op":"Remove","path":"name.givenName"}]),
    );
    assert!(v.get("name").is_none());
}

#[test]
fn add_appends_to_multi_valued_skipping_duplicates_replace_replaces() {
    let v = ok_user(json!([{"op":"Add","path":"emails","value":[
        {"type":"home","value":"a@home.example"},
        {"primary":true,"type":"work","value":"Test_User_fd0e@contoso.com"}]}]));
    assert_eq!(v["emails"].as_array().map(Vec::len), Some(2));
    // A single object is one element; "True" strings become booleans.
    let v = ok_user(
        json!([{"op":"Add","path":"emails","value":{"type":"other","value":"o@x","primary":"True"}}]),
    );
    assert_eq!(
        v["emails"],
        json!([{"primary": false, "type": "work", "value": "Test_User_fd0e@contoso.com"},
               {"primary": true, "type": "other", "value": "o@x"}])
    );
    let v =
        ok_user(json!([{"op":"Replace","path":"emails","value":[{"type":"home","value":"h@x"}]}]));
    assert_eq!(v["emails"], json!([{"type": "home", "value": "h@x"}]));
    let v = ok_user(json!([{"op":"Replace","path":"emails","value":[]}]));
    assert!(v.get("emails").is_none());
}

#[test]
fn entra_work_address_is_built_up_as_one_element() {
    let v = ok_user(json!([
        {"op":"Add","path":"addresses[type eq \"work\"].locality","value":"Redmond"},
        {"op":"Add","path":"addresses[type eq \"work\"].region","value":"WA"},
        {"op":"Add","path":"addresses[type eq \"work\"].country","value":"US"},
    ]));
    assert_eq!(
        v["addresses"],
        json!([{"type": "work", "locality": "Redmond", "region": "WA", "country": "US"}])
    );
    // Also across separate requests, and with Replace.
    let v2 = patch_rt(
        &USER_RESOURCE,
        &v,
        json!([{"op":"Replace","path":"addresses[type eq \"work\"].locality","value":"Seattle"}]),
    );
    assert!(v2.is_ok_and(|v2| v2["addresses"]
        == json!([{"type": "work", "locality": "Seattle", "region": "WA", "country": "US"}])));
}

#[test]
fn filter_without_match_creates_only_for_equality_filters() {
    let v =
        ok_user(json!([{"op":"Replace","path":"emails[type eq \"home\"].value","value":"h@x"}]));
    assert_eq!(v["emails"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["emails"][1], json!({"type": "home", "value": "h@x"}));
    let e = patch_user(
        json!([{"op":"Replace","path":"emails[value co \"nomatch\"].type","value":"home"}]),
    );
    assert_eq!(err_type(e), Some(ScimType::NoTarget));
    let e = patch_user(
        json!([{"op":"Add","path":"emails[type eq \"home\" or type eq \"other\"].value","value":"x"}]),
    );
    assert_eq!(err_type(e), Some(ScimType::NoTarget));
}

#[test]
fn remove_with_filter() {
    let mut u = user();
    u["emails"] =
        json!([{"type":"work","value":"w@x","primary":true},{"type":"home","value":"h@x"}]);
    let r = |ops: Value| patch_rt(&USER_RESOURCE, &u, ops);
    let v = r(json!([{"op":"remove","path":"emails[type eq \"home\"]"}]));
    assert!(v.is_ok_and(|v| v["emails"] == json!([{"type":"work","value":"w@x","primary":true}])));
    let v = r(json!([{"op":"remove","path":"emails[type eq \"work\"].primary"}]));
    assert!(v.is_ok_and(|v| v["emails"][0] == json!({"type":"work","value":"w@x"})));
    // Nothing matching: a no-op.
    let v = r(json!([{"op":"remove","path":"emails[type eq \"other\"]"}]));
    assert!(v.is_ok_and(|v| v == u));
    let v = r(json!([{"op":"remove","path":"emails[type pr]"}]));
    assert!(v.is_ok_and(|v| v.get("emails").is_none()));
}

#[test]
fn booleans_given_as_strings_are_stored_as_booleans() {
    for (given, want) in [
        ("False", false),
        ("false", false),
        ("True", true),
        (" TRUE ", true),
    ] {
        let v = ok_user(json!([{"op":"Replace","path":"active","value":given}]));
        assert_eq!(v["active"], json!(want), "{given}");
    }
    let v = ok_user(json!([{"op":"replace","value":{"active":false}}]));
    assert_eq!(v["active"], json!(false));
    let v = ok_user(json!([{"op":"replace","value":{"active":"False"}}]));
    assert_eq!(v["active"], json!(false));
    let e = patch_user(json!([{"op":"Replace","path":"active","value":"maybe"}]));
    assert_eq!(err_type(e), Some(ScimType::InvalidValue));
    let e = patch_user(json!([{"op":"Replace","path":"active","value":1}]));
    assert_eq!(err_type(e), Some(ScimType::InvalidValue));
}

#[test]
fn manager_every_shape_is_stored_as_value_object() {
    let set = [
        json!({"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m-1"}),
        json!({"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"m-1"}}),
        json!({"op":"Add","path":"manager","value":[{"$ref":"https://x/Users/m-1","value":"m-1"}]}),
        json!({"op":"Replace","path":"manager","value":[{"$ref":null,"value":"m-1"}]}),
        json!({"op":"Add","path":"manager.value","value":"m-1"}),
        json!({"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":"m-1"}}),
        json!({"op":"add","path":"manager","value":{"value":"m-1","displayName":"ignored (readOnly)"}}),
    ];
    for op in set {
        let v = ok_user(json!([op]));
        assert_eq!(v[ENT]["manager"]["value"], "m-1", "{op}");
        assert!(v[ENT]["manager"].get("displayName").is_none(), "{op}");
    }
    let mut u = user();
    u[ENT] = json!({"manager": {"value": "m-1"}, "department": "D"});
    let removals = [
        json!({"op":"Remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}),
        json!({"op":"Remove","path":"manager"}),
        json!({"op":"Replace","path":"manager","value":""}),
        json!({"op":"Replace","path":"manager","value":{"value":""}}),
        json!({"op":"Replace","path":"manager","value":null}),
        json!({"op":"Replace","path":"manager","value":[]}),
        json!({"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":""}),
    ];
    for op in removals {
        let v = patch_rt(&USER_RESOURCE, &u, json!([op.clone()]));
        assert!(
            v.is_ok_and(|v| v[ENT] == json!({"department": "D"})),
            "{op}"
        );
    }
    // The extension object disappears with its last attribute.
    u[ENT] = json!({"manager": {"value": "m-1"}});
    let v = patch_rt(
        &USER_RESOURCE,
        &u,
        json!([{"op":"Remove","path":"manager"}]),
    );
    assert!(v.is_ok_and(|v| v.get(ENT).is_none()));
    let e = patch_user(
        json!([{"op":"Replace","path":"manager","value":[{"value":"a"},{"value":"b"}]}]),
    );
    assert_eq!(err_type(e), Some(ScimType::InvalidValue));
    let e = patch_user(json!([{"op":"Replace","path":"manager","value":5}]));
    assert_eq!(err_type(e), Some(ScimType::InvalidValue));
}

#[test]
fn add_roles_replaces_the_one_role() {
    let v = ok_user(
        json!([{"op":"Add","path":"roles","value":[{"primary":true,"type":"WindowsAzureActiveDirectoryRole","value":"Admin"}]}]),
    );
    // The role's name and `primary` are Humbol's; `type` is not.
    assert_eq!(v["roles"], json!([{"primary": true, "value": "Admin"}]));
    // Entra's legacy string-encoded role is decoded.
    let v = ok_user(
        json!([{"op":"Add","path":"roles","value":[{"value":"{\"id\":\"06b07648-ecfe-589f-9d2f-6325724a46ee\",\"value\":\"Admin\",\"displayName\":\"Admin\"}"}]}]),
    );
    assert_eq!(v["roles"], json!([{"primary": true, "value": "Admin"}]));
    let e = patch_user(json!([{"op":"Add","path":"roles","value":[{"value":"{\"id\":\"x\"}"}]}]));
    assert_eq!(err_type(e), Some(ScimType::InvalidValue));
}

#[test]
fn primary_role_path() {
    let v = ok_user(
        json!([{"op":"Replace","path":"roles[primary eq \"True\"].value","value":"Admin"}]),
    );
    assert_eq!(
        v["roles"],
        json!([{"primary": true, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}])
    );
    // No primary role yet: exactly one role is created, replacing any non-primary one.
    let mut u = user();
    u["roles"] = json!([{"value": "Member"}]);
    let v = patch_rt(
        &USER_RESOURCE,
        &u,
        json!([{"op":"Add","path":"roles[primary eq \"True\"].value","value":"Admin"}]),
    );
    assert!(v.is_ok_and(|v| v["roles"] == json!([{"primary": true, "value": "Admin"}])));
    let v = ok_user(json!([{"op":"Remove","path":"roles[primary eq true]"}]));
    assert!(v.get("roles").is_none());
}

// ---- Groups --------------------------------------------------------------------------------------

#[test]
fn entra_member_changes_in_memory() {
    let v = ok_group(
        json!([{"op":"Add","path":"members","value":[{"$ref":null,"value":"u4"},{"$ref":null,"value":"u1"}]}]),
    );
    assert_eq!(member_ids_of(&v), ["u1", "u2", "u3", "u4"]);
    let v =
        ok_group(json!([{"op":"Remove","path":"members","value":[{"$ref":null,"value":"u2"}]}]));
    assert_eq!(member_ids_of(&v), ["u1", "u3"]);
    let v = ok_group(json!([{"op":"remove","path":"members[value eq \"u3\"]"}]));
    assert_eq!(member_ids_of(&v), ["u1", "u2"]);
    let v = ok_group(json!([{"op":"remove","path":"members[value eq \"u3\" or value eq \"u1\"]"}]));
    assert_eq!(member_ids_of(&v), ["u2"]);
    let v = ok_group(json!([{"op":"remove","path":"members[value eq \"nobody\"]"}]));
    assert_eq!(member_ids_of(&v), ["u1", "u2", "u3"]);
    let v = ok_group(json!([{"op":"Remove","path":"members"}]));
    assert!(v.get("members").is_none());
    let v = ok_group(json!([{"op":"Replace","path":"members","value":[{"value":"u9"}]}]));
    assert_eq!(member_ids_of(&v), ["u9"]);
    let v = ok_group(json!([{"op":"Replace","path":"displayName","value":"Sales EU"}]));
    assert_eq!(v["displayName"], "Sales EU");
    let e = patch_rt(
        &GROUP_RESOURCE,
        &group(),
        json!([{"op":"Replace","path":"members[value eq \"u1\"].value","value":"u7"}]),
    );
    assert_eq!(err_type(e), Some(ScimType::Mutability));
    let e = patch_rt(
        &GROUP_RESOURCE,
        &group(),
        json!([{"op":"Add","path":"members","value":[{"value":7}]}]),
    );
    assert_eq!(err_type(e), Some(ScimType::InvalidValue));
}

#[test]
fn add_skips_elements_that_add_nothing() {
    let mut g = group();
    g["members"] = json!([{"value": "u1", "display": "Alice"}]);
    let v = patch_rt(
        &GROUP_RESOURCE,
        &g,
        json!([{"op":"Add","path":"members","value":[
            {"$ref":"https://h/scim/v2/orgs/acme/Users/u1","value":"u1"},{"$ref":null,"value":"u2"},{"value":"u2"}]}]),
    );
    let Ok(v) = v else { panic!("{v:?}") };
    assert_eq!(
        v["members"],
        json!([{"value": "u1", "display": "Alice"}, {"value": "u2"}])
    );
    // Same address, another type: a new element.
    let v = ok_user(json!([{"op":"Add","path":"emails","value":[
        {"type":"WORK","value":"Test_User_fd0e@contoso.com"},
        {"type":"home","value":"Test_User_fd0e@contoso.com"}]}]));
    assert_eq!(v["emails"].as_array().map(Vec::len), Some(2));
}

/// In memory, large groups stay linear (quadratic code would take minutes here).
#[test]
fn large_group_in_memory() {
    let n = 20_000;
    let members: Vec<Value> = (0..n).map(|i| json!({"value": format!("u{i}")})).collect();
    let g = json!({"displayName": "All", "members": members});
    let all_again: Vec<Value> = (0..n)
        .map(|i| json!({"$ref": null, "value": format!("u{i}")}))
        .collect();
    let ops = json!([
        {"op":"Add","path":"members","value":all_again},
        {"op":"Add","path":"members","value":[{"value":"new"}]},
        {"op":"Remove","path":"members","value":[{"value":"u5"}]},
        {"op":"remove","path":"members[value eq \"u6\"]"},
        {"op":"replace","path":"members","value":members},
        {"op":"remove","path":"members[value sw \"u1\"]"},
    ]);
    let v = patch_rt(&GROUP_RESOURCE, &g, ops);
    let Ok(v) = v else { panic!("{v:?}") };
    let ids = member_ids_of(&v);
    assert_eq!(ids.len(), n - 11_111);
    assert!(!ids.iter().any(|i| i.starts_with("u1")));
}

fn split(ops: Value) -> Result<(PatchRequest, Vec<MemberChange>), ScimError> {
    split_member_changes(&PatchRequest::from_json(&body(ops))?)
}

#[test]
fn split_member_changes_turns_entra_shapes_into_set_operations() {
    use MemberChange::*;
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let cases = [
        (
            json!({"op":"Add","path":"members","value":[{"$ref":null,"value":"a"},{"$ref":null,"value":"b"}]}),
            Add(s(&["a", "b"])),
        ),
        (
            json!({"op":"Remove","path":"members","value":[{"$ref":null,"value":"a"}]}),
            Remove(s(&["a"])),
        ),
        (
            json!({"op":"remove","path":"members[value eq \"a\"]"}),
            Remove(s(&["a"])),
        ),
        (
            json!({"op":"remove","path":"members[value eq \"a\" or value eq \"b\" or value eq \"a\"]"}),
            Remove(s(&["a", "b"])),
        ),
        (json!({"op":"remove","path":"members"}), RemoveAll),
        (
            json!({"op":"remove","path":"members","value":null}),
            RemoveAll,
        ),
        (
            json!({"op":"replace","path":"members","value":[{"value":"c"}]}),
            Replace(s(&["c"])),
        ),
        (
            json!({"op":"replace","path":"members","value":[]}),
            Replace(vec![]),
        ),
        (
            json!({"op":"add","path":"urn:ietf:params:scim:schemas:core:2.0:Group:members","value":"d"}),
            Add(s(&["d"])),
        ),
    ];
    for (op, want) in cases {
        let r = split(json!([op.clone(), {"op":"Replace","path":"displayName","value":"X"}]));
        let Ok((rest, changes)) = r else {
            panic!("{op}: {r:?}")
        };
        assert_eq!(changes, [want], "{op}");
        assert_eq!(rest.operations.len(), 1);
    }
    // Path-less: the members key is split out of the value.
    let r = split(json!([{"op":"replace","value":{"displayName":"X","members":[{"value":"a"}]}}]));
    let Ok((rest, changes)) = r else {
        panic!("{r:?}")
    };
    assert_eq!(changes, [Replace(s(&["a"]))]);
    assert_eq!(rest.operations[0].value, Some(json!({"displayName": "X"})));
    // Adding or removing nothing is no change at all (never RemoveAll).
    let r = split(json!([{"op":"Remove","path":"members","value":[]}]));
    assert!(r.is_ok_and(|(_, c)| c.is_empty()));
    // Errors.
    let e = |ops: Value| split(ops).err().and_then(|e| e.scim_type);
    assert_eq!(
        e(json!([{"op":"remove","path":"members[display eq \"a\"]"}])),
        Some(ScimType::InvalidFilter)
    );
    assert_eq!(
        e(json!([{"op":"remove","path":"members[value ne \"a\"]"}])),
        Some(ScimType::InvalidFilter)
    );
    assert_eq!(
        e(json!([{"op":"remove","path":"members[value eq \"a\" and value eq \"b\"]"}])),
        Some(ScimType::InvalidFilter)
    );
    assert_eq!(
        e(json!([{"op":"add","path":"members","value":[{"display":"x"}]}])),
        Some(ScimType::InvalidValue)
    );
    assert_eq!(
        e(json!([{"op":"remove","path":"members[value eq \"a\"].display"}])),
        Some(ScimType::Mutability)
    );
}

/// `split_member_changes` + set operations on the member list give what `apply` gives in memory.
#[test]
fn split_member_changes_agrees_with_apply() {
    let requests = [
        json!([{"op":"Add","path":"members","value":[{"$ref":null,"value":"u4"},{"value":"u1"}]}]),
        json!([{"op":"Remove","path":"members","value":[{"$ref":null,"value":"u2"}]}]),
        json!([{"op":"remove","path":"members[value eq \"u3\" or value eq \"u1\"]"}]),
        json!([{"op":"remove","path":"members"}, {"op":"add","path":"members","value":{"value":"u5"}}]),
        json!([{"op":"replace","path":"members","value":[{"value":"u7"},{"value":"u2"}]}]),
    ];
    for ops in requests {
        let in_memory = ok_group(ops.clone());
        let Ok((_, changes)) = split(ops.clone()) else {
            panic!("{ops}")
        };
        let mut ids: Vec<String> = vec!["u1".into(), "u2".into(), "u3".into()];
        for c in changes {
            match c {
                MemberChange::Add(a) => {
                    for id in a {
                        if !ids.contains(&id) {
                            ids.push(id);
                        }
                    }
                }
                MemberChange::Remove(r) => ids.retain(|i| !r.contains(i)),
                MemberChange::RemoveAll => ids.clear(),
                MemberChange::Replace(r) => ids = r,
            }
        }
        assert_eq!(member_ids_of(&in_memory), ids, "{ops}");
    }
}

// ---- errors --------------------------------------------------------------------------------------

#[test]
fn mutability_and_path_errors() {
    let cases = [
        (
            json!({"op":"replace","path":"id","value":"x"}),
            ScimType::Mutability,
        ),
        (json!({"op":"remove","path":"meta"}), ScimType::Mutability),
        (
            json!({"op":"replace","path":"meta.created","value":"2020-01-01T00:00:00Z"}),
            ScimType::Mutability,
        ),
        (
            json!({"op":"replace","path":"meta.created","value":"2026-01-01T00:00:00Z"}),
            ScimType::Mutability,
        ),
        (
            json!({"op":"replace","value":{"id":"x"}}),
            ScimType::Mutability,
        ),
        (
            json!({"op":"replace","path":"schemas","value":[]}),
            ScimType::InvalidPath,
        ),
        (
            json!({"op":"replace","path":"foo","value":"x"}),
            ScimType::InvalidPath,
        ),
        (
            json!({"op":"replace","value":{"foo":"x"}}),
            ScimType::InvalidPath,
        ),
        (
            json!({"op":"replace","path":"name.maidenName","value":"x"}),
            ScimType::InvalidPath,
        ),
        (
            json!({"op":"replace","path":"title.x","value":"x"}),
            ScimType::InvalidPath,
        ),
        (
            json!({"op":"replace","path":"name[givenName eq \"x\"]","value":"x"}),
            ScimType::InvalidPath,
        ),
        (
            json!({"op":"replace","path":"urn:example:unknown:2.0:User:department","value":"x"}),
            ScimType::InvalidPath,
        ),
        (
            json!({"op":"replace","value":{"urn:example:unknown:2.0:User:department":"x"}}),
            ScimType::InvalidPath,
        ),
        (
            json!({"op":"replace","path":"members","value":[]}),
            ScimType::InvalidPath,
        ),
        (
            json!({"op":"remove","path":"emails[foo eq \"x\"]"}),
            ScimType::InvalidPath,
        ),
        (
            json!({"op":"add","path":"emails[name.givenName eq \"x\"].value","value":"v"}),
            ScimType::InvalidPath,
        ),
        (
            json!({"op":"replace","path":"userName","value":{"a":1}}),
            ScimType::InvalidValue,
        ),
        (
            json!({"op":"replace","path":"emails","value":[1]}),
            ScimType::InvalidValue,
        ),
        (
            json!({"op":"replace","path":"name","value":"x"}),
            ScimType::InvalidValue,
        ),
        (
            json!({"op":"replace","path":"emails[type eq \"work\"].value","value":true}),
            ScimType::InvalidValue,
        ),
        (json!({"op":"replace","value":"x"}), ScimType::InvalidValue),
        (
            json!({"op":"replace","path":ENT,"value":"x"}),
            ScimType::InvalidValue,
        ),
    ];
    for (op, want) in cases {
        assert_eq!(
            err_type(patch_user(json!([op.clone()]))),
            Some(want),
            "{op}"
        );
    }
    match patch_user(json!([{"op":"replace","path":"foo","value":"x"}])) {
        Err(e) => assert_eq!(e.detail, "unknown attribute 'foo'"),
        Ok(v) => panic!("{v}"),
    }
    match patch_user(
        json!([{"op":"add","path":"emails","value":[{"value":"a@x","primary":"yes"}]}]),
    ) {
        Err(e) => assert_eq!(
            e.detail,
            "attribute 'emails.primary' expects a boolean, got a string"
        ),
        Ok(v) => panic!("{v}"),
    }
}

#[test]
fn a_failing_operation_applies_nothing() {
    let u = user();
    let req = PatchRequest::from_json(&body(json!([
        {"op":"replace","path":"title","value":"changed"},
        {"op":"replace","path":"id","value":"x"},
    ])));
    let Ok(req) = req else { panic!("{req:?}") };
    let r = apply(&USER_RESOURCE, &u, &req);
    assert_eq!(r.map_err(|e| e.scim_type), Err(Some(ScimType::Mutability)));
    assert_eq!(u, user());
    // The error is the first one.
    let r = patch_user(json!([
        {"op":"replace","path":"active","value":"nope"},
        {"op":"replace","path":"foo","value":"x"},
    ]));
    assert_eq!(err_type(r), Some(ScimType::InvalidValue));
}

// ---- RFC 7644 §3.5.2 examples, with Humbol's attributes ------------------------------------------

#[test]
fn rfc_7644_examples() {
    // §3.5.2.1: add a member; add without path.
    let v = ok_group(
        json!([{"op":"add","path":"members","value":[{"display":"Babs Jensen",
        "$ref":"https://example.com/v2/Users/2819c223...","value":"2819c223-7f76-453a-919d-413861904646"}]}]),
    );
    assert_eq!(
        member_ids_of(&v),
        ["u1", "u2", "u3", "2819c223-7f76-453a-919d-413861904646"]
    );
    assert_eq!(
        v["members"][3].get("display"),
        None,
        "readOnly sub-attribute ignored"
    );
    let v = ok_user(
        json!([{"op":"add","value":{"emails":[{"value":"babs@jensen.org","type":"home"}],"title":"Babs"}}]),
    );
    assert_eq!(
        v["emails"][1],
        json!({"value": "babs@jensen.org", "type": "home"})
    );
    assert_eq!(v["title"], "Babs");
    // §3.5.2.2: remove one member; remove by complex filter; remove all; remove then add.
    let v = ok_group(json!([{"op":"remove","path":"members[value eq \"u2\"]"}]));
    assert_eq!(member_ids_of(&v), ["u1", "u3"]);
    let mut u = user();
    u["emails"] =
        json!([{"type":"work","value":"a@example.com"},{"type":"work","value":"a@contoso.com"}]);
    let v = patch_rt(
        &USER_RESOURCE,
        &u,
        json!([{"op":"remove","path":"emails[type eq \"work\" and value ew \"example.com\"]"}]),
    );
    assert!(v.is_ok_and(|v| v["emails"] == json!([{"type":"work","value":"a@contoso.com"}])));
    let v = ok_group(json!([{"op":"remove","path":"members"}]));
    assert!(v.get("members").is_none());
    let v = ok_group(json!([{"op":"remove","path":"members"},
        {"op":"add","path":"members","value":[{"value":"2819c223"},{"value":"902c246b"}]}]));
    assert_eq!(member_ids_of(&v), ["2819c223", "902c246b"]);
    // §3.5.2.3: replace all members; replace a filtered complex value; a sub-attribute of it.
    let v = ok_group(
        json!([{"op":"replace","path":"members","value":[{"value":"2819c223"},{"value":"902c246b"}]}]),
    );
    assert_eq!(member_ids_of(&v), ["2819c223", "902c246b"]);
    let mut u = user();
    u["addresses"] = json!([{"type":"work","locality":"Hollywood","region":"CA","country":"USA","primary":true},
                            {"type":"home","locality":"Beverly Hills"}]);
    let v = patch_rt(
        &USER_RESOURCE,
        &u,
        json!([{"op":"replace","path":"addresses[type eq \"work\"]",
        "value":{"type":"work","locality":"Anytown","region":"CA","country":"USA","primary":true}}]),
    );
    assert!(v.is_ok_and(|v| v["addresses"]
        == json!([
        {"type":"work","locality":"Anytown","region":"CA","country":"USA","primary":true},
        {"type":"home","locality":"Beverly Hills"}])));
    let v = patch_rt(
        &USER_RESOURCE,
        &u,
        json!([{"op":"replace","path":"addresses[type eq \"work\"].locality","value":"Elsewhere"}]),
    );
    assert!(v.is_ok_and(|v| v["addresses"][0]["locality"] == "Elsewhere"
        && v["addresses"][1]["locality"] == "Beverly Hills"));
    // Path-less replace of several attributes.
    let v = ok_user(
        json!([{"op":"replace","value":{"emails":[{"value":"bjensen@example.com","type":"work","primary":true}],
        "active":"False","preferredLanguage":"en-US"}}]),
    );
    assert_eq!(
        v["emails"],
        json!([{"value":"bjensen@example.com","type":"work","primary":true}])
    );
    assert_eq!(v["active"], false);
    assert_eq!(v["preferredLanguage"], "en-US");
}

// ---- read back with User::from_json / Group::from_json -------------------------------------------

/// What the API does: `to_json` -> PATCH -> `from_json`.
fn patched_user(start: &crate::resource::User, ops: Value) -> crate::resource::User {
    let v = match patch_rt(&USER_RESOURCE, &start.to_json(), ops.clone()) {
        Ok(v) => v,
        Err(e) => panic!("{ops}: {e}"),
    };
    match crate::resource::User::from_json(&v) {
        Ok(u) => u,
        Err(e) => panic!("{ops}: {e} in {v}"),
    }
}

#[test]
fn entra_updates_read_back_as_the_typed_user() {
    use crate::resource::User;
    let Ok(start) = User::from_json(&user()) else {
        panic!("fixture")
    };
    let u = patched_user(
        &start,
        json!([{"op":"Add","path":"roles","value":[{"value":"{\"id\":\"06b07648-ecfe-589f-9d2f-6325724a46ee\",\"value\":\"Admin\",\"displayName\":\"Admin\"}"}]}]),
    );
    assert_eq!(u.role.as_deref(), Some("Admin"));
    let u = patched_user(
        &start,
        json!([{"op":"Replace","path":"roles[primary eq \"True\"].value","value":"Viewer"}]),
    );
    assert_eq!(u.role.as_deref(), Some("Viewer"));
    let u = patched_user(
        &start,
        json!([{"op":"Replace","path":"active","value":"False"}]),
    );
    assert!(!u.active);
    let u = patched_user(
        &start,
        json!([{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m-1"}]),
    );
    assert_eq!(u.manager.as_deref(), Some("m-1"));
    let u2 = patched_user(
        &u,
        json!([{"op":"Replace","path":"manager","value":{"value":""}}]),
    );
    assert_eq!(u2.manager, None);
    let u = patched_user(
        &start,
        json!([
            {"op":"Add","path":"addresses[type eq \"work\"].locality","value":"Redmond"},
            {"op":"Add","path":"addresses[type eq \"work\"].region","value":"WA"},
            {"op":"Add","path":"addresses[type eq \"work\"].country","value":"US"},
        ]),
    );
    assert_eq!(u.addresses.len(), 1);
    assert_eq!(u.addresses[0].locality.as_deref(), Some("Redmond"));
    assert_eq!(u.addresses[0].country.as_deref(), Some("US"));
    let u = patched_user(
        &start,
        json!([
            {"op":"Replace","path":"emails[type eq \"work\"].value","value":"new@contoso.com"},
            {"op":"Replace","path":"name.familyName","value":"Smith"}
        ]),
    );
    assert_eq!(u.emails.len(), 1);
    assert_eq!(u.emails[0].value, "new@contoso.com");
    assert_eq!(u.name.family_name.as_deref(), Some("Smith"));
    let u = patched_user(
        &start,
        json!([{"op":"replace","value":{"displayName":"X","name.givenName":"Y",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Z"}}]),
    );
    assert_eq!(u.display_name.as_deref(), Some("X"));
    assert_eq!(u.name.given_name.as_deref(), Some("Y"));
    assert_eq!(u.department.as_deref(), Some("Z"));
    // A PATCH that changes nothing reads back as the same user.
    let same = patched_user(
        &start,
        json!([{"op":"Replace","path":"userName","value":start.user_name.clone()}]),
    );
    assert_eq!(same, start);
}

#[test]
fn group_member_changes_read_back_as_the_typed_group() {
    use crate::resource::Group;
    let Ok(start) = Group::from_json(&group()) else {
        panic!("fixture")
    };
    let v = patch_rt(
        &GROUP_RESOURCE,
        &start.to_json(),
        json!([{"op":"Add","path":"members","value":[{"$ref":null,"value":"u4"}]},
               {"op":"Remove","path":"members","value":[{"$ref":null,"value":"u1"}]}]),
    );
    let g = v.and_then(|v| Group::from_json(&v));
    let Ok(g) = g else { panic!("{g:?}") };
    let ids: Vec<&str> = g.members.iter().map(|m| m.value.as_str()).collect();
    assert_eq!(ids, ["u2", "u3", "u4"]);
}

// ---- never panic ---------------------------------------------------------------------------------

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|f| json!(f)),
            "\\PC{0,12}".prop_map(Value::String),
            prop::sample::select(vec![
                "True",
                "false",
                "work",
                "home",
                "",
                "u1",
                "{\"value\":\"Admin\"}",
                "{\"id\":1}",
            ])
            .prop_map(|s| json!(s)),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((arb_key(), inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    fn arb_key() -> impl Strategy<Value = String> {
        prop_oneof![arb_path(), "\\PC{0,10}",]
    }

    fn arb_path() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "userName",
            "name",
            "name.givenName",
            "NAME.familyname",
            "emails",
            "emails.value",
            "emails[type eq \"work\"].value",
            "emails[type eq \"work\"]",
            "emails[value co \"x\"]",
            "addresses[type eq \"work\"].locality",
            "addresses[type eq \"work\" and primary eq true]",
            "roles",
            "roles[primary eq \"True\"].value",
            "roles[primary eq true]",
            "active",
            "members",
            "members[value eq \"u1\"]",
            "members[value eq \"u1\" or value eq \"u2\"]",
            "members[display eq \"x\"]",
            "members.value",
            "manager",
            "manager.value",
            "manager.displayName",
            "id",
            "meta",
            "meta.version",
            "schemas",
            "externalId",
            "value",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName",
            "urn:ietf:params:scim:schemas:core:2.0:Group:members",
            "urn:x:y",
            "a[",
            "emails[type eq]",
            "displayName",
            "title",
            "foo",
        ])
        .prop_map(String::from)
    }

    fn arb_op() -> impl Strategy<Value = Value> {
        (
            prop::sample::select(vec![
                "add", "Add", "replace", "Replace", "remove", "REMOVE", "x",
            ]),
            prop::option::of(arb_path()),
            prop::option::of(arb_json()),
        )
            .prop_map(|(op, path, value)| {
                let mut o = Map::new();
                o.insert("op".into(), json!(op));
                if let Some(p) = path {
                    o.insert("path".into(), json!(p));
                }
                if let Some(v) = value {
                    o.insert("value".into(), v);
                }
                Value::Object(o)
            })
    }

    fn run(body: &Value) {
        if let Ok(req) = PatchRequest::from_json(body) {
            let _ = split_member_changes(&req);
            for (rt, resource) in [(&USER_RESOURCE, user()), (&GROUP_RESOURCE, group())] {
                match apply(rt, &resource, &req) {
                    Ok(v) => assert!(v.is_object()),
                    Err(e) => assert_eq!(e.status, 400, "{e}"),
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn arbitrary_json_never_panics(body in arb_json()) {
            run(&body);
        }

        /// Arbitrary (possibly non-canonical or ill-typed) stored resources: still no panic.
        #[test]
        fn arbitrary_resources_never_panic(
            resource in prop::collection::vec((arb_key(), arb_json()), 0..8),
            ops in prop::collection::vec(arb_op(), 1..4),
        ) {
            let resource = Value::Object(resource.into_iter().collect());
            let body = json!({"schemas": [PATCH_OP_SCHEMA], "Operations": ops});
            if let Ok(req) = PatchRequest::from_json(&body) {
                for rt in [&USER_RESOURCE, &GROUP_RESOURCE] {
                    if let Err(e) = apply(rt, &resource, &req) {
                        prop_assert_eq!(e.status, 400, "{}", e);
                    }
                }
            }
        }

        #[test]
        fn arbitrary_operations_never_panic(ops in prop::collection::vec(arb_op(), 1..5)) {
            run(&json!({"schemas": [PATCH_OP_SCHEMA], "Operations": ops}));
        }
    }
}
