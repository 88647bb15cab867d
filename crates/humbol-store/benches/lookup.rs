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
use humbol_store::{Backend, OrgSettings, Query, Store};
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
        role_primary: Some(true),
        ..Default::default()
    }
}

/// A seeded database and the look-ups to run on it.
struct Fixture {
    n: usize,
    store: Store,
    queries: Vec<Query>,
    _db: TestDb,
}

fn fixture(backend: Backend, n: usize) -> Fixture {
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
    Fixture {
        n,
        store,
        queries,
        _db: db,
    }
}

impl Fixture {
    fn lookup(&self, k: usize) {
        let page = self
            .store
            .list_users("acme", &self.queries[k % self.queries.len()])
            .unwrap();
        assert_eq!(page.items.len(), 1);
    }

    /// Mean time of one look-up over `count` look-ups.
    fn batch(&self, count: usize) -> Duration {
        let t = Instant::now();
        for k in 0..count {
            self.lookup(k);
        }
        t.elapsed() / count as u32
    }
}

/// The other processes on this 2-core VM come and go; criterion's runs of 10k and 1M are seconds apart and
/// see different neighbours. This alternates short batches on the two databases and reports the median of
/// each, so that their ratio compares like with like.
fn paired(backend: Backend, small: &Fixture, large: &Fixture) {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..40 {
        a.push(small.batch(250));
        b.push(large.batch(250));
    }
    a.sort();
    b.sort();
    let (ma, mb) = (a[a.len() / 2], b[b.len() / 2]);
    eprintln!(
        "{backend}: paired medians: {} users {ma:.1?}, {} users {mb:.1?}, ratio {:.2}",
        small.n,
        large.n,
        mb.as_secs_f64() / ma.as_secs_f64()
    );
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
        let fixtures: Vec<Fixture> = sizes.iter().map(|&n| fixture(backend, n)).collect();
        for f in &fixtures {
            let mut k = 0;
            group.bench_function(format!("{backend}/{}", f.n), |b| {
                b.iter(|| {
                    k += 1;
                    f.lookup(k);
                })
            });
        }
        if let [small, large] = &fixtures[..] {
            paired(backend, small, large);
        }
    }
    group.finish();
}

criterion_group!(benches, lookup);
criterion_main!(benches);
