//! userName look-up (`list_users` with `userName eq ".."`, the query Entra sends for every user of every
//! cycle) at 10k and 1M users, per backend. The 1M runs take a while to seed: `HUMBOL_BENCH_1M=1` enables them.
//! PostgreSQL at `HUMBOL_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`); set
//! `HUMBOL_BENCH_BACKENDS=sqlite` (or `postgres`) to run one backend only.
//!
//! `cargo bench -p humbol-store --bench lookup`

// A benchmark is test code: a failed set-up or look-up must stop it loudly.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use humbol_store::testing::{seed_users, TestDb};
use humbol_store::{Backend, OrgSettings, Query};
use scim_core::resource::{Email, User};

fn user(i: usize) -> User {
    User {
        user_name: format!("User{i}@Contoso.com"),
        external_id: Some(format!("ext-{i}")),
        display_name: Some(format!("User {i}")),
        active: true,
        title: Some("Engineer".into()),
        emails: vec![Email {
            value: format!("user{i}@contoso.com"),
            kind: Some("work".into()),
            primary: true,
        }],
        role: Some("Member".into()),
        ..Default::default()
    }
}

fn lookup(c: &mut Criterion) {
    let mut sizes = vec![10_000];
    if std::env::var("HUMBOL_BENCH_1M").is_ok_and(|v| v == "1") {
        sizes.push(1_000_000);
    }
    let only = std::env::var("HUMBOL_BENCH_BACKENDS").unwrap_or_default();
    let backends = [Backend::Sqlite, Backend::Postgres]
        .into_iter()
        .filter(|b| only.is_empty() || only.contains(&b.to_string()));
    let mut group = c.benchmark_group("userName_eq");
    group
        .sample_size(50)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5));
    for backend in backends {
        for &n in &sizes {
            let db = TestDb::new(backend);
            let store = db.store();
            store
                .put_org(
                    "acme",
                    &OrgSettings {
                        name: "Acme".into(),
                        scim_enabled: true,
                        roles: vec!["Member".into()],
                        default_role: "Member".into(),
                    },
                )
                .unwrap();
            let t = Instant::now();
            seed_users(&store, "acme", n, user).unwrap();
            eprintln!("{backend}: seeded {n} users in {:.1?}", t.elapsed());
            // Different users each iteration, spread over the table (mixed case: matched case-insensitively).
            let queries: Vec<Query> = (0..4096)
                .map(|k| Query {
                    filter: Some(
                        format!("userName eq \"user{}@contoso.COM\"", (k * 7919 + 13) % n)
                            .parse()
                            .unwrap(),
                    ),
                    ..Default::default()
                })
                .collect();
            // Read the data in before measuring (this VM drops idle file cache).
            for q in &queries {
                assert_eq!(store.list_users("acme", q).unwrap().total, 1);
            }
            let mut k = 0;
            group.bench_function(format!("{backend}/{n}"), |b| {
                b.iter(|| {
                    k = (k + 1) % queries.len();
                    let page = store.list_users("acme", &queries[k]).unwrap();
                    assert_eq!(page.items.len(), 1);
                })
            });
            drop(store);
        }
    }
    group.finish();
}

criterion_group!(benches, lookup);
criterion_main!(benches);
