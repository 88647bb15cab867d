//! Every User attribute of the schema table, through HTTP on both backends: the tests walk
//! `scim_core::schema` (the same table the server reads), so an attribute added there is tested here without a
//! line of this file changing. POST -> GET equal, PUT, PATCH in Entra's compliant and legacy dialects (value
//! paths that create the missing element, remove, clearing with `null` and `""`), filters; and a proptest posting
//! random valid Users.

use humbol_store::Backend;
use proptest::prelude::*;
use rstest::rstest;
use scim_core::schema::{
    user_document_attributes, AttrType, DocAttr, Mutability, GROUP_SCHEMA, USER_RESOURCE,
};
use serde_json::{json, Map, Value};

use crate::helpers::*;

/// Distinct words `{prefix}1`, `{prefix}2`, ... for the sample documents.
fn words(prefix: &str) -> impl Iterator<Item = String> + '_ {
    (1..).map(move |i| format!("{prefix}{i}"))
}

/// A User with every attribute of the document present (scim_core::samples, every flag set).
fn full_user(user_name: &str, prefix: &str) -> Value {
    let doc = scim_core::samples::user_document(&mut words(prefix), &mut std::iter::repeat(true));
    let mut body = entra_user(user_name);
    merge(&mut body, &Value::Object(doc));
    body
}

/// `patch` merged into `target`, objects recursively.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                merge(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// The attribute `d` in a returned user (`Null` when absent).
fn get<'v>(user: &'v Value, d: &DocAttr) -> &'v Value {
    let mut v = user;
    for k in d.container.into_iter().chain([d.attr.name]) {
        v = v.get(k).unwrap_or(&Value::Null);
    }
    v
}

/// The PATCH path of `d`: URN-qualified for an extension attribute.
fn path(d: &DocAttr) -> String {
    match d.container {
        Some(urn) => format!("{urn}:{}", d.attr.name),
        None => d.attr.name.to_string(),
    }
}

/// A `type` of the attribute's element: its first canonical value, else "work".
fn a_type(d: &DocAttr) -> &'static str {
    d.attr
        .sub_attribute("type")
        .and_then(|t| t.canonical_values.first().copied())
        .unwrap_or("work")
}

/// A string value for a simple attribute, a `value` for a complex one.
fn sample(d: &DocAttr, n: u32) -> String {
    format!("{}-{n}", d.attr.name)
}

/// PATCHes user `id`, expects 200, and that a GET afterwards reads back the same.
async fn patch_ok(app: &TestApp, id: &str, ops: Value) -> Value {
    let r = app
        .patch(&format!("/Users/{id}"), &patch_op(ops.clone()))
        .await;
    assert_eq!(r.status, 200, "{ops}: {}", r.body);
    let patched = r.body.clone();
    let read = app.get(&format!("/Users/{id}")).await;
    assert_eq!(
        read.assert_ok(200),
        &patched,
        "GET after PATCH {ops} differs"
    );
    patched
}

#[rstest]
#[tokio::test]
async fn every_attribute_reads_back_as_sent_after_post_and_put(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let mut body = full_user("full@contoso.com", "a");
    // Every read-only attribute of the schema table (`groups`) sent too, with a value of its shape: ignored.
    let read_only: Vec<&str> = USER_RESOURCE
        .schemas()
        .flat_map(|s| s.attributes.iter())
        .filter(|a| a.mutability == Mutability::ReadOnly)
        .map(|a| {
            body[a.name] = if a.multi_valued {
                json!([{"value": "forged", "display": "forged"}])
            } else {
                json!("forged")
            };
            a.name
        })
        .collect();
    assert!(read_only.contains(&"groups"), "{read_only:?}");
    let r = app.post("/Users", &body).await;
    let created = r.assert_ok(201).clone();
    let id = id_of(&created);
    let read = app.get(&format!("/Users/{id}")).await;
    assert_eq!(read.assert_ok(200), &created);
    let mut checked = 0;
    for d in user_document_attributes() {
        assert_eq!(get(&created, &d), get(&body, &d), "{}", d.attr.name);
        assert!(!get(&created, &d).is_null(), "{} not returned", d.attr.name);
        checked += 1;
    }
    assert!(checked >= 14, "the schema walk found {checked} attributes");
    for sub in ["middleName", "honorificPrefix", "honorificSuffix"] {
        assert_eq!(created["name"][sub], body["name"][sub], "name.{sub}");
    }
    assert!(created.get("password").is_none());
    for name in &read_only {
        assert!(created.get(*name).is_none(), "read-only {name} was stored");
    }

    // PUT replaces every attribute with other values, and drops what it leaves out.
    let mut put = full_user("full@contoso.com", "b");
    put.as_object_mut().unwrap().remove("phoneNumbers");
    let r = app.put(&format!("/Users/{id}"), &put).await;
    let replaced = r.assert_ok(200).clone();
    for d in user_document_attributes() {
        assert_eq!(get(&replaced, &d), get(&put, &d), "PUT {}", d.attr.name);
    }
    assert!(replaced.get("phoneNumbers").is_none());
    assert_eq!(
        app.get(&format!("/Users/{id}")).await.assert_ok(200),
        &replaced
    );
}

#[rstest]
#[tokio::test]
async fn every_attribute_patches_in_both_dialects(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let id = id_of(&app.create_user("patch@contoso.com").await);
    for d in user_document_attributes() {
        let p = path(&d);
        if d.attr.ty == AttrType::Complex {
            let ty = a_type(&d);
            // Compliant: a value path whose filter matches nothing creates the element.
            let vp = format!("{p}[type eq \"{ty}\"].value");
            let u = patch_ok(
                &app,
                &id,
                json!([{"op": "add", "path": vp, "value": sample(&d, 1)}]),
            )
            .await;
            assert_eq!(
                get(&u, &d),
                &json!([{"type": ty, "value": sample(&d, 1)}]),
                "{vp}"
            );
            let u = patch_ok(
                &app,
                &id,
                json!([{"op": "replace", "path": vp, "value": sample(&d, 2)}]),
            )
            .await;
            assert_eq!(
                get(&u, &d),
                &json!([{"type": ty, "value": sample(&d, 2)}]),
                "{vp}"
            );
            // Filters find it, by the value path and by the sub-attribute.
            let f = format!("{p}[type eq \"{ty}\" and value sw \"{}\"]", d.attr.name);
            assert_eq!(
                app.get(&format!("/Users?{}", filter_query(&f)))
                    .await
                    .assert_ok(200)["totalResults"],
                1,
                "{f}"
            );
            let f = format!("{p}.value eq \"{}\"", sample(&d, 2));
            assert_eq!(
                app.get(&format!("/Users?{}", filter_query(&f)))
                    .await
                    .assert_ok(200)["totalResults"],
                1,
                "{f}"
            );
            let u = patch_ok(
                &app,
                &id,
                json!([{"op": "remove", "path": format!("{p}[type eq \"{ty}\"]")}]),
            )
            .await;
            assert!(get(&u, &d).is_null(), "remove {p}");
            // Legacy: Entra's capitalised op with a path-less object of values.
            let value =
                json!({p.clone(): [{"type": ty, "value": sample(&d, 3), "primary": "True"}]});
            let u = patch_ok(&app, &id, json!([{"op": "Add", "value": value}])).await;
            assert_eq!(
                get(&u, &d),
                &json!([{"type": ty, "value": sample(&d, 3), "primary": true}]),
                "legacy {p}"
            );
            let u = patch_ok(
                &app,
                &id,
                json!([{"op": "Replace", "path": p, "value": null}]),
            )
            .await;
            assert!(get(&u, &d).is_null(), "null clears {p}");
        } else {
            let u = patch_ok(
                &app,
                &id,
                json!([{"op": "replace", "path": p, "value": sample(&d, 1)}]),
            )
            .await;
            assert_eq!(get(&u, &d), &json!(sample(&d, 1)), "{p}");
            let f = format!("{p} eq \"{}\"", sample(&d, 1).to_uppercase());
            let want = if d.attr.case_exact { 0 } else { 1 };
            assert_eq!(
                app.get(&format!("/Users?{}", filter_query(&f)))
                    .await
                    .assert_ok(200)["totalResults"],
                want,
                "{f}"
            );
            let u = patch_ok(
                &app,
                &id,
                json!([{"op": "Replace", "value": {p.clone(): sample(&d, 2)}}]),
            )
            .await;
            assert_eq!(get(&u, &d), &json!(sample(&d, 2)), "legacy {p}");
            let u = patch_ok(
                &app,
                &id,
                json!([{"op": "Replace", "path": p, "value": ""}]),
            )
            .await;
            assert!(get(&u, &d).is_null(), "\"\" clears {p}");
            patch_ok(
                &app,
                &id,
                json!([{"op": "add", "path": p, "value": sample(&d, 3)}]),
            )
            .await;
            let u = patch_ok(
                &app,
                &id,
                json!([{"op": "replace", "path": p, "value": null}]),
            )
            .await;
            assert!(get(&u, &d).is_null(), "null clears {p}");
            patch_ok(
                &app,
                &id,
                json!([{"op": "add", "path": p, "value": sample(&d, 4)}]),
            )
            .await;
            let u = patch_ok(&app, &id, json!([{"op": "remove", "path": p}])).await;
            assert!(get(&u, &d).is_null(), "remove {p}");
        }
    }
    // `name`'s and `addresses`' sub-attributes.
    let name = USER_RESOURCE.schema.attribute("name").unwrap();
    for sub in name.sub_attributes {
        let p = format!("name.{}", sub.name);
        let u = patch_ok(
            &app,
            &id,
            json!([{"op": "replace", "path": p, "value": "N"}]),
        )
        .await;
        assert_eq!(u["name"][sub.name], "N", "{p}");
        let u = patch_ok(&app, &id, json!([{"op": "remove", "path": p}])).await;
        assert!(u["name"].get(sub.name).is_none(), "{p}");
    }
    let addresses = USER_RESOURCE.schema.attribute("addresses").unwrap();
    for sub in addresses
        .sub_attributes
        .iter()
        .filter(|s| s.ty == AttrType::String && s.name != "type")
    {
        let p = format!("addresses[type eq \"work\"].{}", sub.name);
        let u = patch_ok(&app, &id, json!([{"op": "Add", "path": p, "value": "A 1"}])).await;
        assert_eq!(
            u["addresses"],
            json!([{"type": "work", sub.name: "A 1", "primary": false}]),
            "{p}"
        );
        let f = format!("addresses[type eq \"work\" and {} eq \"a 1\"]", sub.name);
        assert_eq!(
            app.get(&format!("/Users?{}", filter_query(&f)))
                .await
                .assert_ok(200)["totalResults"],
            1,
            "{f}"
        );
        let u = patch_ok(&app, &id, json!([{"op": "remove", "path": "addresses"}])).await;
        assert!(u.get("addresses").is_none());
    }
}

/// The PATCHes the issue names, verbatim as Entra sends them, on a user with no phone or address.
#[rstest]
#[tokio::test]
async fn entras_patches_on_attributes_the_user_lacks(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let id = id_of(&app.create_user("entra@contoso.com").await);
    let u = patch_ok(&app, &id, json!([
        {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555"},
        {"op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 556"},
        {"op": "Add", "path": "addresses[type eq \"work\"].streetAddress", "value": "1 Main St"},
        {"op": "Add", "path": "addresses[type eq \"work\"].postalCode", "value": "98052"},
        {"op": "Add", "path": "addresses[type eq \"work\"].formatted", "value": "1 Main St, Redmond"},
        {"op": "Add", "path": "nickName", "value": "Babs"},
        {"op": "Add", "path": "userType", "value": "Employee"},
        {"op": "Add", "path": format!("{ENTERPRISE}:employeeNumber"), "value": "701984"},
    ])).await;
    assert_eq!(
        u["phoneNumbers"],
        json!([{"type": "mobile", "value": "+1 555"}, {"type": "work", "value": "+1 556"}])
    );
    assert_eq!(
        u["addresses"],
        json!([{"type": "work", "streetAddress": "1 Main St", "postalCode": "98052",
                                       "formatted": "1 Main St, Redmond", "primary": false}])
    );
    assert_eq!(u["nickName"], "Babs");
    assert_eq!(u["userType"], "Employee");
    assert_eq!(u[ENTERPRISE]["employeeNumber"], "701984");
    let f = "phoneNumbers[type eq \"work\" and value sw \"+1\"]";
    assert_eq!(
        app.get(&format!("/Users?{}", filter_query(f)))
            .await
            .assert_ok(200)["totalResults"],
        1
    );
    let f = "phoneNumbers[type eq \"fax\" and value sw \"+1\"]";
    assert_eq!(
        app.get(&format!("/Users?{}", filter_query(f)))
            .await
            .assert_ok(200)["totalResults"],
        0
    );
    // Sorted by a document attribute.
    let other = app
        .post(
            "/Users",
            &merge_into(entra_user("b@contoso.com"), json!({"nickName": "Al"})),
        )
        .await;
    other.assert_ok(201);
    let list = app.get("/Users?sortBy=nickName&sortOrder=ascending").await;
    let names: Vec<&str> = list.assert_ok(200)["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["nickName"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["Al", "Babs"]);
    // Remove of a value path, replace with null: what Microsoft's validator sends.
    let u = patch_ok(
        &app,
        &id,
        json!([{"op": "Remove", "path": "phoneNumbers[type eq \"mobile\"].value"}]),
    )
    .await;
    assert_eq!(
        u["phoneNumbers"],
        json!([{"type": "work", "value": "+1 556"}])
    );
    let u = patch_ok(
        &app,
        &id,
        json!([{"op": "Replace", "path": "nickName", "value": null}]),
    )
    .await;
    assert!(u.get("nickName").is_none());
    // `password` is accepted, never stored or returned.
    let u = patch_ok(
        &app,
        &id,
        json!([{"op": "Replace", "path": "password", "value": "S3cret!"}]),
    )
    .await;
    assert!(u.get("password").is_none());
    assert!(!u.to_string().contains("S3cret"));
}

fn merge_into(mut a: Value, b: Value) -> Value {
    merge(&mut a, &b);
    a
}

/// A random valid User (document from the schema table, random words and flags) reads back as sent.
fn arb_body() -> impl Strategy<Value = Value> {
    (
        "[a-z][a-z0-9._-]{0,20}@[a-z]{1,8}\\.com",
        proptest::collection::vec("[A-Za-z0-9 +@.:/éß-]{1,16}", 96),
        proptest::collection::vec(any::<bool>(), 192),
    )
        .prop_map(|(user_name, words, flags)| {
            let doc =
                scim_core::samples::user_document(&mut words.into_iter(), &mut flags.into_iter());
            let mut body = json!({"schemas": [USER_SCHEMA, ENTERPRISE], "userName": user_name});
            merge(&mut body, &Value::Object(doc));
            body
        })
}

#[rstest]
fn random_users_read_back_as_sent(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = rt.block_on(spawn_app(backend));
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 24,
        ..ProptestConfig::default()
    });
    runner
        .run(&arb_body(), |body| {
            rt.block_on(async {
                let created = app.post("/Users", &body).await;
                assert_eq!(created.status, 201, "{body}: {}", created.body);
                let id = id_of(&created.body);
                let read = app.get(&format!("/Users/{id}")).await.body.clone();
                assert_eq!(read, created.body);
                let mut sent: Map<String, Value> = body.as_object().unwrap().clone();
                for (k, v) in sent.iter_mut() {
                    if k == "schemas" {
                        continue;
                    }
                    assert_eq!(read.get(k), Some(&*v), "{k}");
                }
                sent.clear();
                app.delete(&format!("/Users/{id}")).await;
            });
            Ok(())
        })
        .unwrap();
}

/// Request shapes of Microsoft's SCIM reference code and endpoint tutorial that the RFC grammar does not
/// spell but does not forbid either: unquoted filter values, a bare date-time, and a non-unique externalId
/// (Entra's new applications fill it from mailNickname).
#[rstest]
#[tokio::test]
async fn microsofts_reference_request_shapes(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let count = |r: &Resp| r.assert_ok(200)["totalResults"].as_u64().unwrap();
    let mut a = entra_user("OscarW@contoso.com");
    a["externalId"] = json!("jyoung");
    a["name"]["familyName"] = json!("Employee");
    let a = app.post("/Users", &a).await.assert_ok(201).clone();
    let mut b = entra_user("bjensen@contoso.com");
    b["externalId"] = json!("jyoung");
    let r = app.post("/Users", &b).await;
    r.assert_ok(201);
    // externalId eq jyoung: both users, every time (the look-up path and the general one).
    let r = app
        .get(&format!("/Users?{}", filter_query("externalId eq jyoung")))
        .await;
    assert_eq!(count(&r), 2);
    let r = app
        .get(&format!(
            "/Users?{}&count=1",
            filter_query("externalId eq \"jyoung\"")
        ))
        .await;
    assert_eq!(
        (count(&r), r.body["Resources"].as_array().unwrap().len()),
        (2, 1)
    );
    let r = app
        .get(&format!("/Users?{}", filter_query("externalId eq JYOUNG")))
        .await;
    assert_eq!(count(&r), 0, "externalId is case-exact");
    // userName sw O, name.familyName eq Employee.
    let r = app
        .get(&format!("/Users?{}", filter_query("userName sw O")))
        .await;
    assert_eq!(count(&r), 1);
    assert_eq!(r.body["Resources"][0]["id"], a["id"]);
    let r = app
        .get(&format!(
            "/Users?{}",
            filter_query("name.familyName eq Employee")
        ))
        .await;
    assert_eq!(count(&r), 1);
    // A bare date-time after gt.
    let r = app
        .get(&format!(
            "/Users?{}",
            filter_query("meta.lastModified gt 2011-05-13T04:42:34Z")
        ))
        .await;
    assert_eq!(count(&r), 2);
    let r = app
        .get(&format!(
            "/Users?{}",
            filter_query("meta.created lt 2011-05-13T04:42:34Z")
        ))
        .await;
    assert_eq!(count(&r), 0);
    // The tutorial's group match.
    app.create_group("Test_Group").await;
    let r = app
        .get(&format!(
            "/Groups?excludedAttributes=members&{}",
            filter_query("displayName eq Test_Group")
        ))
        .await;
    assert_eq!(count(&r), 1);
    // Still refused: what is no value at all.
    let r = app
        .get(&format!("/Users?{}", filter_query("userName eq )")))
        .await;
    r.assert_scim_error(400, Some("invalidFilter"));
}

/// Every string attribute has a maximum length, announced in `/Schemas` and checked before the database sees
/// the value: the same 400 on both backends (PostgreSQL's B-tree index would refuse a long userName with an
/// error of its own), and nothing is stored. Composed and decomposed spellings of a userName are one user.
#[rstest]
#[tokio::test]
async fn string_limits_and_unicode_normalisation(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let schema = app
        .get(&format!("/Schemas/{USER_SCHEMA}"))
        .await
        .assert_ok(200)
        .clone();
    // The attribute `name` of a list of attribute definitions (`attributes`, `subAttributes`).
    let named = |list: &Value, name: &str| -> Value {
        list.as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap()
            .clone()
    };
    let user_name = named(&schema["attributes"], "userName");
    assert!(user_name["description"]
        .as_str()
        .unwrap()
        .ends_with("At most 1024 bytes (UTF-8)."));
    let long = "é".repeat(513); // 1026 bytes
    for body in [
        entra_user(&format!("{long}@contoso.com")),
        merge_into(entra_user("n@contoso.com"), json!({"nickName": long})),
        merge_into(
            entra_user("n@contoso.com"),
            json!({"phoneNumbers": [{"type": "work", "value": long}]}),
        ),
        merge_into(
            entra_user("n@contoso.com"),
            json!({ENTERPRISE: {"department": long}}),
        ),
    ] {
        let r = app.post("/Users", &body).await;
        r.assert_scim_error(400, Some("invalidValue"));
    }
    // An address's type, locality, region and country are stored in an index (PostgreSQL refuses an index row
    // over about 2.7 kB): lower limits, announced too; all four at their limits at once are stored.
    let addresses = named(&schema["attributes"], "addresses");
    let limit = |name: &str| -> usize {
        let sub = named(&addresses["subAttributes"], name);
        let d = sub["description"].as_str().unwrap();
        let n = d.rsplit("At most ").next().unwrap();
        n.split(' ').next().unwrap().parse().unwrap()
    };
    let limits: Vec<(&str, usize)> = ["type", "locality", "region", "country"]
        .into_iter()
        .map(|k| (k, limit(k)))
        .collect();
    assert_eq!(
        limits,
        [
            ("type", 256),
            ("locality", 512),
            ("region", 512),
            ("country", 256)
        ]
    );
    for (key, max) in &limits {
        let over = merge_into(
            entra_user("n@contoso.com"),
            json!({"addresses": [{"type": "work", *key: "é".repeat(max / 2 + 1)}]}),
        );
        app.post("/Users", &over)
            .await
            .assert_scim_error(400, Some("invalidValue"));
    }
    // Pseudo-random letters, which PostgreSQL cannot compress in the index row.
    let mut seed = 0x2545_f491_u32;
    let at_limits: Map<String, Value> = limits
        .iter()
        .map(|(k, max)| {
            let v: String = (0..*max)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    char::from(b'a' + (seed % 26) as u8)
                })
                .collect();
            (k.to_string(), json!(v))
        })
        .collect();
    let full = app
        .post(
            "/Users",
            &merge_into(
                entra_user("full@contoso.com"),
                json!({"addresses": [Value::Object(at_limits)]}),
            ),
        )
        .await;
    full.assert_ok(201);
    app.delete(&format!("/Users/{}", id_of(&full.body))).await;

    let id = id_of(&app.create_user("n@contoso.com").await);
    let r = app
        .patch(
            &format!("/Users/{id}"),
            &patch_op(json!([{"op": "replace", "path": "title", "value": long}])),
        )
        .await;
    r.assert_scim_error(400, Some("invalidValue"));
    let r = app.get("/Users").await;
    assert_eq!(r.assert_ok(200)["totalResults"], 1, "nothing else stored");
    let r = app
        .post(
            "/Groups",
            &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": long}),
        )
        .await;
    r.assert_scim_error(400, Some("invalidValue"));

    // NFC and NFD: one user.
    let nfc = "R\u{e9}my@contoso.com";
    let nfd = "Re\u{301}my@contoso.com";
    let created = app
        .post("/Users", &entra_user(nfc))
        .await
        .assert_ok(201)
        .clone();
    let mut twin = entra_user(nfd);
    twin["externalId"] = json!("other");
    app.post("/Users", &twin)
        .await
        .assert_scim_error(409, Some("uniqueness"));
    let r = app
        .get(&format!(
            "/Users?{}",
            filter_query(&format!("userName eq \"{nfd}\""))
        ))
        .await;
    assert_eq!(r.assert_ok(200)["totalResults"], 1);
    assert_eq!(r.body["Resources"][0]["id"], created["id"]);
    assert_eq!(r.body["Resources"][0]["userName"], nfc, "returned as sent");
}

/// The ids of the `Resources` of a list response, sorted.
fn listed_ids(r: &Resp) -> Vec<String> {
    let mut ids: Vec<String> = r.assert_ok(200)["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    ids.sort();
    ids
}

/// `ids` sorted (to compare with [`listed_ids`]).
fn sorted(ids: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    ids.sort();
    ids
}

/// A User's `groups` (RFC 7643 §4.1.2) are its direct memberships: announced readOnly, returned on GET, on the
/// look-up by key and in lists, projected, filterable in SQL; they follow members added, removed and groups
/// deleted; what a client sends for them is ignored on POST and PUT (Okta sends `"groups": []`) and refused on
/// PATCH (`400 mutability`, RFC 7644 §3.5.2: a readOnly attribute is not modified).
#[rstest]
#[tokio::test]
async fn groups_are_derived_from_memberships(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    // Announced read-only, with the sub-attributes it returns.
    let schema = app.get(&format!("/Schemas/{USER_SCHEMA}")).await;
    let groups_def = schema.assert_ok(200)["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "groups")
        .cloned()
        .expect("groups in /Schemas");
    assert_eq!(groups_def["mutability"], "readOnly");
    assert_eq!(groups_def["multiValued"], true);
    let subs: Vec<&str> = groups_def["subAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(subs, ["value", "$ref", "display", "type"]);

    // A body's `groups` is ignored on POST.
    let mut body = entra_user("ann@contoso.com");
    body["groups"] = json!([{"value": "not-a-group", "display": "Forged"}]);
    let ann = app.post("/Users", &body).await.assert_ok(201).clone();
    assert!(ann.get("groups").is_none(), "{ann}");
    let ann_id = id_of(&ann);
    let bob_id = id_of(&app.create_user("bob@contoso.com").await);
    let cat_id = id_of(&app.create_user("cat@contoso.com").await);
    let sales = app
        .post(
            "/Groups",
            &json!({"schemas": [GROUP_SCHEMA], "displayName": "Sales",
                    "members": [{"value": ann_id}]}),
        )
        .await
        .assert_ok(201)
        .clone();
    let sales_id = id_of(&sales);
    let eng_id = id_of(&app.create_group("engineering").await);
    let add = |ids: &[&str]| {
        patch_op(json!([{"op": "add", "path": "members",
            "value": ids.iter().map(|id| json!({"value": id})).collect::<Vec<_>>()}]))
    };
    let r = app
        .patch(&format!("/Groups/{eng_id}"), &add(&[&ann_id, &bob_id]))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let group = |id: &str, name: &str| {
        json!({"value": id, "display": name, "type": "direct",
               "$ref": format!("{}/Groups/{id}", app.base("acme"))})
    };
    // By displayName ignoring case, then id.
    let ann_groups = json!([group(&eng_id, "engineering"), group(&sales_id, "Sales")]);
    let read = app.get(&format!("/Users/{ann_id}")).await;
    assert_eq!(read.assert_ok(200)["groups"], ann_groups);
    // The look-up Entra sends before every update returns the same user, groups included.
    let r = app
        .get(&format!(
            "/Users?{}",
            filter_query("userName eq \"ann@contoso.com\"")
        ))
        .await;
    assert_eq!(r.assert_ok(200)["Resources"][0], read.body);
    let r = app
        .get(&format!(
            "/Users?{}",
            filter_query(&format!("id eq \"{ann_id}\""))
        ))
        .await;
    assert_eq!(r.assert_ok(200)["Resources"][0], read.body);
    // A page of users: each with its own groups.
    let r = app.get("/Users?sortBy=userName").await;
    let page = r.assert_ok(200)["Resources"].as_array().unwrap().clone();
    assert_eq!(page.len(), 3);
    assert_eq!(page[0]["groups"], ann_groups);
    assert_eq!(page[1]["groups"], json!([group(&eng_id, "engineering")]));
    assert!(page[2].get("groups").is_none());

    // Projection.
    let r = app.get(&format!("/Users/{ann_id}?attributes=groups")).await;
    let keys: Vec<&str> = r
        .assert_ok(200)
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["groups", "id", "schemas"]);
    assert_eq!(r.body["groups"], ann_groups);
    let r = app
        .get(&format!("/Users/{ann_id}?attributes=groups.display"))
        .await;
    assert_eq!(
        r.assert_ok(200)["groups"],
        json!([{"display": "engineering"}, {"display": "Sales"}])
    );
    let r = app
        .get(&format!("/Users/{ann_id}?excludedAttributes=groups"))
        .await;
    assert!(r.assert_ok(200).get("groups").is_none());
    assert_eq!(r.body["userName"], "ann@contoso.com");
    let r = app.get("/Users?excludedAttributes=groups").await;
    assert!(r.assert_ok(200)["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u.get("groups").is_none()));

    // Filters, in SQL.
    let find = |f: String| {
        let app = &app;
        async move { listed_ids(&app.get(&format!("/Users?{}", filter_query(&f))).await) }
    };
    assert_eq!(
        find(format!("groups.value eq \"{sales_id}\"")).await,
        sorted(&[&ann_id])
    );
    assert_eq!(
        find(format!("groups eq \"{eng_id}\"")).await,
        sorted(&[&ann_id, &bob_id])
    );
    assert_eq!(
        find("groups.display co \"ENGIN\"".into()).await,
        sorted(&[&ann_id, &bob_id])
    );
    assert_eq!(
        find("groups.display eq Sales".into()).await,
        sorted(&[&ann_id])
    );
    assert_eq!(find("groups pr".into()).await, sorted(&[&ann_id, &bob_id]));
    assert_eq!(find("not (groups pr)".into()).await, sorted(&[&cat_id]));
    assert_eq!(
        find("groups.type eq \"Direct\"".into()).await,
        sorted(&[&ann_id, &bob_id])
    );
    assert_eq!(
        find("groups[display sw \"s\" and type eq \"direct\"]".into()).await,
        sorted(&[&ann_id])
    );
    assert_eq!(
        find(format!("groups.value ne \"{sales_id}\"")).await,
        sorted(&[&bob_id, &cat_id])
    );
    let r = app
        .get(&format!(
            "/Users?{}",
            filter_query("groups.$ref pr and groups.$ref sw \"h\"")
        ))
        .await;
    r.assert_scim_error(400, Some("invalidFilter"));

    // Written only through the groups: PUT keeps them (Okta's `"groups": []`), PATCH refuses them.
    let mut put = entra_user("bob@contoso.com");
    put["groups"] = json!([]);
    let r = app.put(&format!("/Users/{bob_id}"), &put).await;
    assert_eq!(
        r.assert_ok(200)["groups"],
        json!([group(&eng_id, "engineering")])
    );
    for ops in [
        json!([{"op": "add", "path": "groups", "value": [{"value": sales_id}]}]),
        json!([{"op": "remove", "path": "groups"}]),
        json!([{"op": "replace", "path": "groups[value eq \"x\"].display", "value": "y"}]),
        json!([{"op": "replace", "value": {"groups": []}}]),
    ] {
        let r = app
            .patch(&format!("/Users/{bob_id}"), &patch_op(ops.clone()))
            .await;
        r.assert_scim_error(400, Some("mutability"));
    }
    let r = app.get(&format!("/Users/{bob_id}")).await;
    assert_eq!(
        r.assert_ok(200)["groups"],
        json!([group(&eng_id, "engineering")])
    );
    // Other PATCHes of the user keep them.
    let r = app
        .patch(
            &format!("/Users/{bob_id}"),
            &patch_op(json!([{"op": "replace", "path": "displayName", "value": "Bob"}])),
        )
        .await;
    assert_eq!(
        r.assert_ok(200)["groups"],
        json!([group(&eng_id, "engineering")])
    );

    // Membership changes show at once: removed from engineering, Sales deleted.
    let remove =
        patch_op(json!([{"op": "remove", "path": format!("members[value eq \"{ann_id}\"]")}]));
    let r = app.patch(&format!("/Groups/{eng_id}"), &remove).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = app.get(&format!("/Users/{ann_id}")).await;
    assert_eq!(
        r.assert_ok(200)["groups"],
        json!([group(&sales_id, "Sales")])
    );
    let r = app.delete(&format!("/Groups/{sales_id}")).await;
    assert_eq!(r.status, 204);
    let r = app.get(&format!("/Users/{ann_id}")).await;
    assert!(r.assert_ok(200).get("groups").is_none(), "{}", r.body);
    assert_eq!(
        find(format!("groups.value eq \"{sales_id}\"")).await,
        Vec::<String>::new()
    );
    // A renamed group shows its new name.
    let r = app
        .patch(
            &format!("/Groups/{eng_id}"),
            &patch_op(json!([{"op": "replace", "path": "displayName", "value": "Engineering EU"}])),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = app.get(&format!("/Users/{bob_id}")).await;
    assert_eq!(
        r.assert_ok(200)["groups"],
        json!([group(&eng_id, "Engineering EU")])
    );
}
