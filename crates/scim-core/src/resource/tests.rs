use super::*;
use crate::error::ScimError;
use crate::schema::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};
use chrono::TimeZone;
use proptest::prelude::*;
use serde_json::json;

const ENT: &str = ENTERPRISE_USER_SCHEMA;

fn user(v: Value) -> User {
    User::from_json(&v).unwrap()
}

fn user_err(v: Value) -> ScimError {
    User::from_json(&v).unwrap_err()
}

/// entra.md's create payload.
#[test]
fn reads_entra_create_payload() {
    let u = user(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": "Test_User_ab64@contoso.com",
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0e@contoso.com"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName",
                 "givenName": "givenName"},
        "roles": []
    }));
    assert_eq!(
        u,
        User {
            user_name: "Test_User_ab64@contoso.com".into(),
            external_id: Some("0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef".into()),
            active: true,
            emails: vec![Email {
                value: "Test_User_fd0e@contoso.com".into(),
                kind: Some("work".into()),
                primary: true,
            }],
            name: Name {
                formatted: Some("givenName familyName".into()),
                family_name: Some("familyName".into()),
                given_name: Some("givenName".into()),
            },
            ..User::default()
        }
    );
}

#[test]
fn names_are_case_insensitive() {
    let u = user(json!({
        "UserName": "a@x", "EXTERNALID": "e1", "Active": false,
        "Emails": [{"Value": "a@x", "TYPE": "work", "Primary": "True"}],
        "NAME": {"GivenName": "A", "familyname": "B"},
        "Addresses": [{"Type": "work", "Locality": "Paris", "REGION": "IdF", "Country": "FR"}],
        "Roles": [{"VALUE": "Admin"}],
        "PreferredLanguage": "fr-FR", "Title": "CTO", "DisplayName": "A B"
    }));
    assert_eq!(u.user_name, "a@x");
    assert_eq!(u.external_id.as_deref(), Some("e1"));
    assert!(!u.active);
    assert_eq!(
        u.emails,
        vec![Email {
            value: "a@x".into(),
            kind: Some("work".into()),
            primary: true
        }]
    );
    assert_eq!(u.name.given_name.as_deref(), Some("A"));
    assert_eq!(u.name.family_name.as_deref(), Some("B"));
    assert_eq!(
        u.addresses,
        vec![Address {
            kind: Some("work".into()),
            locality: Some("Paris".into()),
            region: Some("IdF".into()),
            country: Some("FR".into()),
            primary: false,
            ..Address::default()
        }]
    );
    assert_eq!(u.role.as_deref(), Some("Admin"));
    assert_eq!(u.preferred_language.as_deref(), Some("fr-FR"));
    assert_eq!(u.title.as_deref(), Some("CTO"));
    assert_eq!(u.display_name.as_deref(), Some("A B"));
}

#[test]
fn enterprise_attributes_under_the_urn_object() {
    let u = user(json!({
        "userName": "a",
        ENT: {"department": "Sales", "manager": {"value": "m-1"}}
    }));
    assert_eq!(u.department.as_deref(), Some("Sales"));
    assert_eq!(u.manager.as_deref(), Some("m-1"));
    // The URN in another case, member names in another case.
    let u = user(json!({
        "userName": "a",
        "urn:ietf:params:scim:schemas:extension:Enterprise:2.0:user": {"Department": "Ops"}
    }));
    assert_eq!(u.department.as_deref(), Some("Ops"));
}

#[test]
fn enterprise_attributes_as_urn_qualified_keys() {
    let u = user(json!({
        "userName": "a",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Z",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager": "m-2",
    }));
    assert_eq!(u.department.as_deref(), Some("Z"));
    assert_eq!(u.manager.as_deref(), Some("m-2"));
    // Core attributes qualified with the core URN.
    let u = user(json!({"urn:ietf:params:scim:schemas:core:2.0:User:userName": "q"}));
    assert_eq!(u.user_name, "q");
}

#[test]
fn manager_shapes() {
    for manager in [
        json!("m-1"),
        json!({"value": "m-1"}),
        json!({"Value": "m-1", "displayName": "Boss"}),
        json!([{"$ref": "../Users/m-1", "value": "m-1"}]),
        json!([{"$ref": null, "value": "m-1"}]),
    ] {
        let u = user(json!({"userName": "a", ENT: {"manager": manager}}));
        assert_eq!(u.manager.as_deref(), Some("m-1"), "{manager}");
    }
    for empty in [
        json!(""),
        json!({"value": ""}),
        json!(null),
        json!({}),
        json!([]),
        json!({"value": null}),
    ] {
        let u = user(json!({"userName": "a", ENT: {"manager": empty}}));
        assert_eq!(u.manager, None, "{empty}");
    }
    let e = user_err(json!({"userName": "a", ENT: {"manager": 5}}));
    assert!(e.detail.contains("manager"), "{e}");
}

#[test]
fn meta_id_schemas_unknown_attributes_and_schemas_are_ignored() {
    let u = user(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:example:unknown:2.0:Thing"],
        "id": "should-be-ignored",
        "meta": {"resourceType": "User", "version": "W/\"9\""},
        "userName": "a",
        "shoeSize": "ignored",
        "urn:example:unknown:2.0:Thing": {"foo": 1},
        "urn:example:unknown:2.0:Thing:bar": 2,
        "pagers": [{"value": "+1"}],
    }));
    assert_eq!(
        u,
        User {
            user_name: "a".into(),
            active: true,
            ..User::default()
        }
    );
}

#[test]
fn nulls_are_absent_and_empty_arrays_are_fine() {
    let u = user(json!({
        "userName": "a", "externalId": null, "active": null, "title": null,
        "name": null, "emails": null, "addresses": [], "roles": null,
        ENT: null,
    }));
    assert_eq!(
        u,
        User {
            user_name: "a".into(),
            active: true,
            ..User::default()
        }
    );
    let u = user(
        json!({"userName": "a", "name": {"givenName": null}, "emails": [],
                        ENT: {"department": null, "manager": null}}),
    );
    assert_eq!(
        u,
        User {
            user_name: "a".into(),
            active: true,
            ..User::default()
        }
    );
    // An email without a value carries nothing.
    let u = user(json!({"userName": "a", "emails": [{"type": "work", "value": null}]}));
    assert!(u.emails.is_empty());
}

#[test]
fn booleans_as_strings() {
    for (raw, want) in [
        (json!("True"), true),
        (json!("False"), false),
        (json!("false"), false),
        (json!("true"), true),
        (json!(true), true),
        (json!(false), false),
    ] {
        let u = user(json!({"userName": "a", "active": raw,
                            "emails": [{"value": "e", "primary": raw}]}));
        assert_eq!(u.active, want, "{raw}");
        assert_eq!(u.emails[0].primary, want, "{raw}");
    }
    // Absent active means active.
    assert!(user(json!({"userName": "a"})).active);
}

#[test]
fn type_errors_name_the_attribute() {
    for (body, attr) in [
        (json!({"userName": "a", "active": 5}), "\"active\""),
        (json!({"userName": "a", "active": "yes"}), "\"active\""),
        (json!({"userName": "a", "emails": "x"}), "\"emails\""),
        (json!({"userName": "a", "emails": ["x"]}), "\"emails[0]\""),
        (
            json!({"userName": "a", "emails": [{"value": 1}]}),
            "\"emails[0].value\"",
        ),
        (
            json!({"userName": "a", "emails": [{"value": "v", "primary": 1}]}),
            "\"emails[0].primary\"",
        ),
        (json!({"userName": "a", "name": "x"}), "\"name\""),
        (
            json!({"userName": "a", "name": {"givenName": 3}}),
            "\"name.givenName\"",
        ),
        (json!({"userName": "a", "title": ["x"]}), "\"title\""),
        (
            json!({"userName": "a", "roles": {"value": "Admin"}}),
            "\"roles\"",
        ),
        (
            json!({"userName": "a", "addresses": [{"country": false}]}),
            "\"addresses[0].country\"",
        ),
        (json!({"userName": 7}), "\"userName\""),
        (json!({"userName": "a", ENT: "Sales"}), ENT),
    ] {
        let e = user_err(body.clone());
        assert_eq!(e.status, 400, "{body}");
        assert_eq!(e.scim_type, Some(crate::ScimType::InvalidValue), "{body}");
        assert!(e.detail.contains(attr), "{body}: {}", e.detail);
    }
    let e = user_err(json!(["not", "an", "object"]));
    assert_eq!(
        (e.status, e.scim_type),
        (400, Some(crate::ScimType::InvalidSyntax))
    );
}

#[test]
fn user_name_is_required_and_non_empty() {
    for body in [
        json!({}),
        json!({"userName": null}),
        json!({"userName": ""}),
        json!({"userName": "  "}),
    ] {
        let e = user_err(body.clone());
        assert_eq!(
            (e.status, e.scim_type),
            (400, Some(crate::ScimType::InvalidValue)),
            "{body}"
        );
        assert!(e.detail.contains("userName"), "{}", e.detail);
    }
}

#[test]
fn strings_are_kept_exactly() {
    let u = user(json!({"userName": "  Alice@Contoso.COM ", "name": {"givenName": " Al "}}));
    assert_eq!(u.user_name, "  Alice@Contoso.COM ");
    assert_eq!(u.name.given_name.as_deref(), Some(" Al "));
    assert_eq!(u.to_json()["userName"], "  Alice@Contoso.COM ");
}

#[test]
fn roles_entra_create_shape() {
    let u = user(json!({"userName": "a", "roles": [
        {"primary": true, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}]}));
    assert_eq!(u.role.as_deref(), Some("Admin"));
    assert_eq!(user(json!({"userName": "a", "roles": []})).role, None);
}

#[test]
fn roles_json_encoded_in_a_string() {
    let u = user(json!({"userName": "a", "roles": [
        {"value": "{\"id\":\"06b07648-ecfe-589f-9d2f-6325724a46ee\",\"value\":\"Admin\",\"displayName\":\"Admin\"}"}]}));
    assert_eq!(u.role.as_deref(), Some("Admin"));
    // Only displayName in the encoded object.
    let u = user(json!({"userName": "a", "roles": [{"value": "{\"displayName\":\"Viewer\"}"}]}));
    assert_eq!(u.role.as_deref(), Some("Viewer"));
    // Not JSON after all: taken as it is.
    let u = user(json!({"userName": "a", "roles": [{"value": "{weird"}]}));
    assert_eq!(u.role.as_deref(), Some("{weird"));
    // Encoded twice: decoded twice, so that the role reads back as itself.
    let twice = json!({"value": json!({"value": "Admin"}).to_string()}).to_string();
    let u = user(json!({"userName": "a", "roles": [{"value": twice}]}));
    assert_eq!(u.role.as_deref(), Some("Admin"));
    // An encoded object without a role in it: refused, as PATCH refuses it (one decoder).
    let e = user_err(json!({"userName": "a", "roles": [{"value": "{\"id\":\"06b0\"}"}]}));
    assert_eq!(e.scim_type, Some(crate::ScimType::InvalidValue));
}

#[test]
fn more_than_one_role_is_refused() {
    let e = user_err(json!({"userName": "a", "roles": [
        {"value": "Admin", "primary": true}, {"value": "Member"}]}));
    assert_eq!(
        (e.status, e.scim_type),
        (400, Some(crate::ScimType::InvalidValue))
    );
    assert_eq!(
        e.detail,
        "a Humbol user has exactly one role; got 2: Admin, Member"
    );
    // The same role twice (in any case, in any shape) is one role.
    let u = user(json!({"userName": "a", "roles": [
        {"value": "Admin"}, {"value": "admin"}, {"value": "{\"value\":\"Admin\"}"}]}));
    assert_eq!(u.role.as_deref(), Some("Admin"));
}

#[test]
fn canonical_output() {
    let u = User {
        user_name: "a@x".into(),
        external_id: Some("e".into()),
        active: false,
        name: Name {
            given_name: Some("A".into()),
            ..Name::default()
        },
        emails: vec![Email {
            value: "a@x".into(),
            kind: Some("work".into()),
            primary: true,
        }],
        addresses: vec![Address {
            kind: Some("work".into()),
            country: Some("FR".into()),
            ..Address::default()
        }],
        role: Some("Admin".into()),
        role_primary: Some(true),
        department: Some("Sales".into()),
        manager: Some("m-1".into()),
        ..User::default()
    };
    assert_eq!(
        u.to_json(),
        json!({
            "schemas": [USER_SCHEMA, ENT],
            "userName": "a@x",
            "externalId": "e",
            "name": {"givenName": "A"},
            "active": false,
            "emails": [{"value": "a@x", "type": "work", "primary": true}],
            "addresses": [{"type": "work", "country": "FR", "primary": false}],
            "roles": [{"value": "Admin", "primary": true}],
            ENT: {"department": "Sales", "manager": {"value": "m-1"}},
        })
    );
    // Minimal: core schema only, active present, nothing else.
    let u = User {
        user_name: "b".into(),
        active: true,
        ..User::default()
    };
    assert_eq!(
        u.to_json(),
        json!({"schemas": [USER_SCHEMA], "userName": "b", "active": true})
    );
}

fn meta() -> Meta {
    Meta {
        created: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
        last_modified: Utc.with_ymd_and_hms(2026, 2, 3, 4, 5, 6).unwrap()
            + chrono::Duration::milliseconds(250),
        version: 3,
    }
}

#[test]
fn stored_user_has_id_and_meta() {
    let s = Stored {
        id: "u-1".into(),
        meta: meta(),
        resource: User {
            user_name: "a".into(),
            active: true,
            ..User::default()
        },
    };
    let v = s.to_json("https://h/scim/v2/orgs/acme/Users/u-1");
    assert_eq!(v["id"], "u-1");
    assert_eq!(
        v["meta"],
        json!({"resourceType": "User", "created": "2026-01-02T03:04:05Z",
               "lastModified": "2026-02-03T04:05:06.250Z", "version": "W/\"3\"",
               "location": "https://h/scim/v2/orgs/acme/Users/u-1"})
    );
    assert_eq!(v["userName"], "a");
    // And it reads back (id and meta ignored).
    assert_eq!(User::from_json(&v).unwrap(), s.resource);
}

/// `groups` is written (read-only, RFC 7643 §4.1.2) with its `$ref` beside the user's URL, and never read.
#[test]
fn user_groups_are_written_and_never_read() {
    let s = Stored {
        id: "u-1".into(),
        meta: meta(),
        resource: User {
            user_name: "a".into(),
            active: true,
            groups: vec![UserGroup {
                value: "g-1".into(),
                display: "Sales".into(),
            }],
            ..User::default()
        },
    };
    let location = "https://h/scim/v2/orgs/acme/Users/u-1";
    let v = s.to_json(location);
    assert_eq!(
        v["groups"],
        json!([{"value": "g-1", "display": "Sales", "type": "direct",
                "$ref": "https://h/scim/v2/orgs/acme/Groups/g-1"}])
    );
    assert_eq!(
        serde_json::to_string(&s.json(location)).unwrap(),
        serde_json::to_string(&v).unwrap()
    );
    // A body's `groups` (Okta sends `"groups": []`, a client may echo what it read) is ignored.
    let back = User::from_json(&v).unwrap();
    assert!(back.groups.is_empty());
    assert_eq!(
        back,
        User {
            groups: Vec::new(),
            ..s.resource.clone()
        }
    );
    // Without a location (a PATCH's target) there is no `$ref`.
    assert_eq!(
        s.resource.to_json()["groups"],
        json!([{"value": "g-1", "display": "Sales", "type": "direct"}])
    );
}

#[test]
fn group_reads_entra_shapes() {
    let g = Group::from_json(&json!({
        "schemas": [GROUP_SCHEMA, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": "Sales",
        "meta": {"resourceType": "Group"},
        "members": []
    }))
    .unwrap();
    assert_eq!(
        g,
        Group {
            display_name: "Sales".into(),
            external_id: Some("8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159".into()),
            members: vec![]
        }
    );
    let g = Group::from_json(&json!({
        "DisplayName": "Ops",
        "Members": [{"$ref": null, "value": "u-1"}, {"Value": "u-2", "display": "Bo"}, "u-3",
                    {"value": "u-1"}]
    }))
    .unwrap();
    assert_eq!(
        g.members,
        vec![
            Member {
                value: "u-1".into(),
                display: None
            },
            Member {
                value: "u-2".into(),
                display: Some("Bo".into())
            },
            Member {
                value: "u-3".into(),
                display: None
            },
        ]
    );
}

#[test]
fn group_errors() {
    for (body, needle) in [
        (json!({}), "displayName"),
        (json!({"displayName": ""}), "displayName"),
        (json!({"displayName": "G", "members": "u-1"}), "\"members\""),
        (
            json!({"displayName": "G", "members": [{"display": "x"}]}),
            "members[0].value",
        ),
        (
            json!({"displayName": "G", "members": [{"value": ""}]}),
            "members[0].value",
        ),
        (json!({"displayName": "G", "members": [3]}), "members[0]"),
    ] {
        let e = Group::from_json(&body).unwrap_err();
        assert_eq!(
            (e.status, e.scim_type),
            (400, Some(crate::ScimType::InvalidValue)),
            "{body}"
        );
        assert!(e.detail.contains(needle), "{body}: {}", e.detail);
    }
}

#[test]
fn group_canonical_output() {
    let g = Group {
        display_name: "Sales".into(),
        external_id: None,
        members: vec![
            Member {
                value: "u-1".into(),
                display: Some("Al".into()),
            },
            Member {
                value: "u-2".into(),
                display: None,
            },
        ],
    };
    assert_eq!(
        g.to_json(),
        json!({"schemas": [GROUP_SCHEMA], "displayName": "Sales", "members": [
            {"value": "u-1", "display": "Al", "type": "User"}, {"value": "u-2", "type": "User"}]})
    );
    let s = Stored {
        id: "g-1".into(),
        meta: meta(),
        resource: g.clone(),
    };
    let v = s.to_json("https://h/o/Groups/g-1", Some("https://h/o/"));
    assert_eq!(
        v["members"][1],
        json!({"value": "u-2", "$ref": "https://h/o/Users/u-2", "type": "User"})
    );
    assert_eq!(v["meta"]["resourceType"], "Group");
    assert_eq!(v["meta"]["location"], "https://h/o/Groups/g-1");
    assert_eq!(Group::from_json(&v).unwrap(), g);
    let empty = Group {
        display_name: "E".into(),
        ..Group::default()
    };
    assert_eq!(
        empty.to_json(),
        json!({"schemas": [GROUP_SCHEMA], "displayName": "E"})
    );
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(any::<String>())
}

fn arb_user() -> impl Strategy<Value = User> {
    let email =
        (any::<String>(), opt_text(), any::<bool>()).prop_map(|(value, kind, primary)| Email {
            value,
            kind,
            primary,
        });
    let address = (
        (opt_text(), opt_text(), opt_text()),
        (opt_text(), opt_text(), opt_text(), opt_text()),
        any::<bool>(),
    )
        .prop_map(
            |(
                (kind, formatted, street_address),
                (locality, region, postal_code, country),
                primary,
            )| {
                Address {
                    kind,
                    formatted,
                    street_address,
                    locality,
                    region,
                    postal_code,
                    country,
                    primary,
                }
            },
        );
    // The attribute document, generated from the schema table (crate::samples).
    let document = (
        proptest::collection::vec("\\PC{1,12}", 96),
        proptest::collection::vec(any::<bool>(), 192),
    )
        .prop_map(|(words, flags)| {
            crate::samples::user_document(&mut words.into_iter(), &mut flags.into_iter())
        });
    (
        (
            "[^\\s\\pC]\\PC{0,20}",
            opt_text(),
            opt_text(),
            any::<bool>(),
            opt_text(),
            opt_text(),
        ),
        (opt_text(), opt_text(), opt_text()),
        proptest::collection::vec(email, 0..3),
        proptest::collection::vec(address, 0..3),
        document,
        (
            proptest::option::of("[A-Za-z][A-Za-z0-9 _-]{0,12}"),
            proptest::option::of(any::<bool>()),
            opt_text(),
            proptest::option::of("\\PC{1,20}"),
        ),
    )
        .prop_map(
            |(
                (user_name, external_id, display_name, active, title, preferred_language),
                (formatted, family_name, given_name),
                emails,
                addresses,
                attributes,
                (role, role_primary, department, manager),
            )| User {
                user_name,
                external_id,
                display_name,
                active,
                title,
                preferred_language,
                name: Name {
                    formatted,
                    family_name,
                    given_name,
                },
                emails,
                addresses,
                // `primary` is returned only with a role.
                role_primary: role.as_ref().and(role_primary),
                role,
                department,
                manager,
                attributes,
                // Read-only: never read from a body (a test below writes them).
                groups: Vec::new(),
            },
        )
}

fn arb_group() -> impl Strategy<Value = Group> {
    let member = ("\\PC{1,20}", opt_text()).prop_map(|(value, display)| Member { value, display });
    (
        "[^\\s\\pC]\\PC{0,20}",
        opt_text(),
        proptest::collection::vec(member, 0..5),
    )
        .prop_map(|(display_name, external_id, mut members)| {
            // Members are a set of ids.
            let mut seen = std::collections::HashSet::new();
            members.retain(|m| seen.insert(m.value.clone()));
            Group {
                display_name,
                external_id,
                members,
            }
        })
}

/// Arbitrary JSON whose object keys are mostly attribute names Entra uses, in random case.
fn arb_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        proptest::sample::select(vec![
            "userName",
            "externalId",
            "active",
            "name",
            "givenName",
            "emails",
            "value",
            "type",
            "primary",
            "roles",
            "addresses",
            "locality",
            "manager",
            "department",
            "members",
            "displayName",
            ENT,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        ])
        .prop_map(str::to_string),
        "[a-zA-Z]{1,6}",
    ]
    .prop_flat_map(|k| {
        proptest::collection::vec(any::<bool>(), k.len()).prop_map(move |upper| {
            k.chars()
                .zip(upper)
                .map(|(c, u)| {
                    if u {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect::<String>()
        })
    });
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        prop_oneof![Just("True".to_string()), Just("".to_string()), "\\PC{0,8}"]
            .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn user_json_round_trip(u in arb_user()) {
        prop_assert_eq!(User::from_json(&u.to_json()), Ok(u.clone()));
        // Through text too (what actually goes over the wire).
        let text = serde_json::to_string(&u.to_json()).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(User::from_json(&back), Ok(u));
    }

    /// Whatever comes in, reading never panics, and what was read is written so that it reads back the
    /// same.
    #[test]
    fn reading_anything_is_total_and_stable(v in arb_json()) {
        if let Ok(u) = User::from_json(&v) {
            prop_assert_eq!(User::from_json(&u.to_json()), Ok(u));
        }
        if let Ok(g) = Group::from_json(&v) {
            prop_assert_eq!(Group::from_json(&g.to_json()), Ok(g));
        }
    }

    /// The direct writer (the list hot path) and the `Value` form give the same bytes: keys sorted alike,
    /// nothing added or left out.
    #[test]
    fn user_written_directly_equals_its_value_form(u in arb_user(), id in "[a-z0-9-]{1,36}") {
        let stored = Stored { id: id.clone(), meta: meta(), resource: u };
        let location = format!("https://h/scim/v2/orgs/acme/Users/{id}");
        let direct = serde_json::to_string(&stored.json(&location)).unwrap();
        let via_value = serde_json::to_string(&stored.to_json(&location)).unwrap();
        prop_assert_eq!(&direct, &via_value);
        let list = crate::list::ListResponse::new(3, 1, vec![stored.json(&location)]);
        let list_value = crate::list::list_response(3, 1, vec![stored.to_json(&location)]);
        prop_assert_eq!(serde_json::to_string(&list).unwrap(), serde_json::to_string(&list_value).unwrap());
    }

    #[test]
    fn group_json_round_trip(g in arb_group()) {
        prop_assert_eq!(Group::from_json(&g.to_json()), Ok(g.clone()));
        let stored = Stored { id: "g".into(), meta: meta(), resource: g.clone() };
        prop_assert_eq!(Group::from_json(&stored.to_json("l", Some("https://h"))), Ok(g));
    }
}

/// A group written in pieces is the group written whole, projected the same way, whatever the number of members
/// (none, fewer than a piece, exactly a piece, more) and the projection; each piece but the last two holds
/// [`MEMBERS_PER_PIECE`] members.
#[test]
fn a_group_in_pieces_is_the_group_written_whole() {
    use crate::projection::Projection;
    use crate::schema::GROUP_RESOURCE;
    let projections = [
        (None, None),
        (Some("members"), None),
        (Some("members.value"), None),
        (Some("displayName"), None),
        (None, Some("members")),
        (None, Some("members.display,externalId")),
    ];
    for n in [
        0,
        1,
        MEMBERS_PER_PIECE,
        MEMBERS_PER_PIECE + 1,
        3 * MEMBERS_PER_PIECE + 7,
    ] {
        let stored = Stored {
            id: "g-1".into(),
            meta: meta(),
            resource: Group {
                display_name: "Sales".into(),
                external_id: Some("x-1".into()),
                members: (0..n)
                    .map(|i| Member {
                        value: format!("u-{i}"),
                        display: (i % 2 == 0).then(|| format!("User {i}")),
                    })
                    .collect(),
            },
        };
        for (attributes, excluded) in projections {
            let projection = Projection::parse(attributes, excluded).unwrap();
            let mut whole = stored.to_json("https://h/o/Groups/g-1", Some("https://h/o"));
            projection.apply(&GROUP_RESOURCE, &mut whole);
            let pieces: Vec<Vec<u8>> = stored
                .clone()
                .into_json_pieces("https://h/o/Groups/g-1", Some("https://h/o"), projection)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let joined: Vec<u8> = pieces.concat();
            let parsed: Value = serde_json::from_slice(&joined)
                .unwrap_or_else(|e| panic!("{n} members, {attributes:?}/{excluded:?}: {e}"));
            assert_eq!(parsed, whole, "{n} members, {attributes:?}/{excluded:?}");
            if whole.get("members").is_some() {
                assert_eq!(pieces.len(), 2 + n / MEMBERS_PER_PIECE, "{n} members");
            } else {
                assert_eq!(pieces.len(), 1);
            }
        }
    }
}
