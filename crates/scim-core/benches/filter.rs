//! Filter parsing and in-memory evaluation: `cargo bench -p scim-core --bench filter`.

use std::hint::black_box;
use std::process::exit;

use criterion::{criterion_group, criterion_main, Criterion};
use scim_core::eval::matches;
use scim_core::filter::Filter;
use scim_core::schema::USER_RESOURCE;
use serde_json::json;

const ENTRA_MATCH: &str = r#"userName eq "Test_User_ab64@contoso.com""#;
const MEMBERSHIP: &str = r#"id eq "x" and members[value eq "y"]"#;
const RICH: &str = r#"emails[type eq "work"].value eq "test_user_fd0e@contoso.com" and active eq true and (title pr or urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales")"#;

fn parse(input: &str) -> Filter {
    match input.parse() {
        Ok(filter) => filter,
        Err(e) => {
            eprintln!("benchmark filter {input:?} does not parse: {e}");
            exit(1)
        }
    }
}

fn user() -> serde_json::Value {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "0a21f0f2-8d2a-4f8e-bf0f-1a2b3c4d5e6f",
        "userName": "Test_User_ab64@contoso.com",
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "displayName": "Test User",
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0e@contoso.com"}],
        "addresses": [{"type": "work", "locality": "Redmond", "region": "WA", "country": "US"}],
        "roles": [{"primary": true, "value": "Member"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "department": "Sales",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}
        },
        "meta": {
            "resourceType": "User",
            "created": "2026-01-23T04:56:22Z",
            "lastModified": "2026-05-13T04:42:34Z",
            "version": "W/\"3694e05e9dff590\""
        }
    })
}

fn bench_parse(c: &mut Criterion) {
    c.bench_function("parse userName eq", |b| {
        b.iter(|| black_box(ENTRA_MATCH).parse::<Filter>())
    });
    c.bench_function("parse id eq and members[value eq]", |b| {
        b.iter(|| black_box(MEMBERSHIP).parse::<Filter>())
    });
    c.bench_function("parse rich filter", |b| {
        b.iter(|| black_box(RICH).parse::<Filter>())
    });
}

fn bench_eval(c: &mut Criterion) {
    let user = user();
    let entra = parse(ENTRA_MATCH);
    let rich = parse(RICH);
    if !matches(&entra, &user, &USER_RESOURCE) || !matches(&rich, &user, &USER_RESOURCE) {
        eprintln!("benchmark filters should match the benchmark user");
        exit(1);
    }
    c.bench_function("eval userName eq", |b| {
        b.iter(|| matches(black_box(&entra), black_box(&user), &USER_RESOURCE))
    });
    c.bench_function("eval rich filter", |b| {
        b.iter(|| matches(black_box(&rich), black_box(&user), &USER_RESOURCE))
    });
}

criterion_group!(benches, bench_parse, bench_eval);
criterion_main!(benches);
