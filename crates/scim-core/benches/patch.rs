//! PATCH parse + apply on Entra's typical requests: `cargo bench -p scim-core --bench patch`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use scim_core::patch::{apply, split_member_changes, PatchRequest};
use scim_core::resource::Group;
use scim_core::schema::USER_RESOURCE;
use serde_json::{json, Value};

fn user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "userName": "Test_User_ab64@contoso.com",
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "active": true,
        "displayName": "givenName familyName",
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0e@contoso.com"}],
        "addresses": [{"type": "work", "locality": "Redmond", "region": "WA", "country": "US"}],
        "roles": [{"primary": true, "type": "WindowsAzureActiveDirectoryRole", "value": "Member"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "department": "Sales", "manager": {"value": "5f2c0a6e-7c1b-4c4e-9f1e-0d2a3b4c5d6e"}
        },
    })
}

fn bench(c: &mut Criterion) {
    let user = user();
    let legacy = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
        {"op":"Replace","path":"emails[type eq \"work\"].value","value":"new@contoso.com"},
        {"op":"Replace","path":"name.familyName","value":"Smith"}]});
    let compliant = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
        {"op":"replace","value":{"displayName":"X","name.givenName":"Y",
         "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Z"}}]});
    let members = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
        {"op":"remove","path":"members[value eq \"5f2c0a6e-7c1b-4c4e-9f1e-0d2a3b4c5d6e\"]"}]});

    c.bench_function("patch/legacy 2-op (parse+apply)", |b| {
        b.iter(|| {
            let req = PatchRequest::from_json(black_box(&legacy));
            req.and_then(|req| apply(&USER_RESOURCE, black_box(&user), &req))
        })
    });
    c.bench_function("patch/compliant path-less replace (parse+apply)", |b| {
        b.iter(|| {
            let req = PatchRequest::from_json(black_box(&compliant));
            req.and_then(|req| apply(&USER_RESOURCE, black_box(&user), &req))
        })
    });
    c.bench_function("patch/group member remove (parse+split)", |b| {
        b.iter(|| {
            PatchRequest::from_json(black_box(&members)).and_then(|req| split_member_changes(&req))
        })
    });
}

/// A PUT or a member replace of a 50k-member group: de-duplicating the ids must stay linear (a quadratic
/// pass over 50k ids would be over a billion comparisons). The same at 5k shows the growth: ten times the
/// members, about ten times the time.
fn bench_large_group(c: &mut Criterion) {
    for n in [5_000, 50_000] {
        let members: Vec<Value> = (0..n)
            .map(|i| json!({"value": format!("5f2c0a6e-7c1b-4c4e-9f1e-{i:012}")}))
            .collect();
        let put = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                         "displayName": "All staff", "members": members.clone()});
        let replace = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
            {"op":"replace","path":"members","value": members}]});
        let k = n / 1000;
        c.bench_function(&format!("group/PUT {k}k members (Group::from_json)"), |b| {
            b.iter(|| Group::from_json(black_box(&put)))
        });
        c.bench_function(&format!("patch/replace {k}k members (parse+split)"), |b| {
            b.iter(|| {
                PatchRequest::from_json(black_box(&replace))
                    .and_then(|req| split_member_changes(&req))
            })
        });
    }
}

criterion_group!(benches, bench, bench_large_group);
criterion_main!(benches);
