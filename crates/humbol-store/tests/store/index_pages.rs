//! Index pagination (`startIndex`/`count`) walks: a page that follows the one served before it starts from that
//! page's last row (keyset), any other page from `OFFSET`; both give the same rows on a stable directory.

use humbol_store::{Backend, Query, Store, PAGE_CACHE_PER_ORG};
use rstest::rstest;
use scim_core::path::AttrPath;
use scim_core::resource::Group;

use crate::{filter, fx, user, ACTOR};

/// 23 users in `acme` (every third inactive, display names out of creation order), 2 in `globex`.
fn directory(s: &Store) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..23 {
        let mut u = user(&format!("user{i:02}@acme.test"));
        u.active = i % 3 != 0;
        u.display_name = (i % 5 != 0).then(|| format!("Name {}", (i * 7) % 23));
        ids.push(s.create_user("acme", &u, ACTOR).unwrap().id);
    }
    for i in 0..2 {
        s.create_user("globex", &user(&format!("g{i}@globex.test")), ACTOR)
            .unwrap();
    }
    ids
}

fn ids(s: &Store, q: &Query) -> (u64, Vec<String>) {
    let page = s.list_users("acme", q).unwrap();
    (page.total, page.items.into_iter().map(|u| u.id).collect())
}

/// The queries walked: default order, a filter, a sort with nulls, descending.
fn queries() -> Vec<Query> {
    vec![
        Query::default(),
        Query {
            filter: Some(filter("active eq true")),
            ..Query::default()
        },
        Query {
            sort_by: Some(AttrPath::new("displayName")),
            ..Query::default()
        },
        Query {
            filter: Some(filter("userName co \"1\"")),
            sort_by: Some(AttrPath::new("displayName")),
            descending: true,
            ..Query::default()
        },
    ]
}

#[rstest]
fn a_walk_by_start_index_returns_what_offset_does(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let fx = fx(backend);
    let s = &fx.store;
    directory(s);
    for base in queries() {
        // Every match in one page: the reference order.
        let (total, all) = ids(
            s,
            &Query {
                limit: 1000,
                ..base.clone()
            },
        );
        assert_eq!(total as usize, all.len());
        assert!(all.len() > 4, "{base:?} matches too few to walk");
        for count in [1u64, 4, 5] {
            let before = s.index_page_stats();
            let mut walked = Vec::new();
            let mut pages = 0;
            // As a client walks: until it has `totalResults`.
            while (walked.len() as u64) < total {
                let q = Query {
                    offset: walked.len() as u64,
                    limit: count,
                    ..base.clone()
                };
                let (t, page) = ids(s, &q);
                assert_eq!(t, total, "{q:?}");
                assert!(!page.is_empty(), "{q:?}");
                pages += 1;
                walked.extend(page);
            }
            assert_eq!(walked, all, "walk of {base:?} by {count}");
            // Every page after the first started from the position the previous page left.
            let after = s.index_page_stats();
            assert_eq!(after.hits - before.hits, pages - 1, "{base:?} by {count}");
            assert_eq!(after.misses, before.misses);
        }
    }
}

#[rstest]
fn a_page_without_its_predecessor_is_read_by_offset(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let fx = fx(backend);
    let s = &fx.store;
    directory(s);
    for base in queries() {
        let (_, all) = ids(
            s,
            &Query {
                limit: 1000,
                ..base.clone()
            },
        );
        for offset in [1u64, 3, 4, 7] {
            let before = s.index_page_stats();
            let q = Query {
                offset,
                limit: 3,
                ..base.clone()
            };
            // A store of its own: nothing cached, so an OFFSET read.
            let fresh = fx.db.store();
            let page = fresh.list_users("acme", &q).unwrap();
            let got: Vec<String> = page.items.into_iter().map(|u| u.id).collect();
            let end = (offset as usize + 3).min(all.len());
            assert_eq!(got, all[offset as usize..end], "{q:?}");
            assert_eq!(page.total as usize, all.len());
            let stats = fresh.index_page_stats();
            assert_eq!((stats.hits, stats.misses), (0, 1));
            // A jump in a store that walked other positions is a miss too, with the same rows.
            let (_, jumped) = ids(
                s,
                &Query {
                    offset: offset + 100,
                    ..q.clone()
                },
            );
            assert!(jumped.is_empty());
            assert_eq!(ids(s, &q).1, got);
            assert!(s.index_page_stats().misses > before.misses);
        }
    }
}

#[rstest]
fn a_walk_continues_after_its_last_row_when_the_directory_changes(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let fx = fx(backend);
    let s = &fx.store;
    let all = directory(s);
    let first = Query {
        limit: 5,
        ..Query::default()
    };
    assert_eq!(ids(s, &first).1, all[..5]);
    // Two rows of the first page go, one row arrives (last in the order).
    s.delete_user("acme", &all[0], None, ACTOR).unwrap();
    s.delete_user("acme", &all[3], None, ACTOR).unwrap();
    let late = s
        .create_user("acme", &user("late@acme.test"), ACTOR)
        .unwrap();
    let second = Query {
        offset: 5,
        ..first.clone()
    };
    // The walk's next page: the rows after the last one served, none skipped; its total is the walk's.
    let (total, page) = ids(s, &second);
    assert_eq!(page, all[5..10]);
    assert_eq!(total, 23);
    // OFFSET (another store, nothing cached) shifts by the two deleted rows.
    let (total, page) = ids(&fx.db.store(), &second);
    assert_eq!(page, all[7..12]);
    assert_eq!(total, 22);
    // The walk ends with the row that arrived.
    let mut rest = Vec::new();
    let mut offset = 10;
    loop {
        let (_, page) = ids(
            s,
            &Query {
                offset,
                ..first.clone()
            },
        );
        if page.is_empty() {
            break;
        }
        offset += page.len() as u64;
        rest.extend(page);
    }
    let mut expected = all[10..].to_vec();
    expected.push(late.id);
    assert_eq!(rest, expected);
}

#[rstest]
fn the_positions_kept_are_bounded(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let fx = fx(backend);
    let s = &fx.store;
    directory(s);
    // Many distinct queries, each leaving a position.
    for i in 0..(PAGE_CACHE_PER_ORG * 2) {
        let q = Query {
            filter: Some(filter(&format!("userName ne \"nobody{i}\""))),
            limit: 2,
            ..Query::default()
        };
        assert_eq!(ids(s, &q).1.len(), 2);
    }
    let stats = s.index_page_stats();
    assert_eq!(stats.entries, PAGE_CACHE_PER_ORG);
    assert_eq!(stats.orgs, 1);
    // The newest positions are still used; the oldest were dropped and fall back to OFFSET, same rows.
    let nth = |i: usize| Query {
        filter: Some(filter(&format!("userName ne \"nobody{i}\""))),
        offset: 2,
        limit: 2,
        ..Query::default()
    };
    let hits = stats.hits;
    let newest = ids(s, &nth(PAGE_CACHE_PER_ORG * 2 - 1)).1;
    assert_eq!(s.index_page_stats().hits, hits + 1);
    let oldest = ids(s, &nth(0)).1;
    assert_eq!(s.index_page_stats().hits, hits + 1);
    assert_eq!(oldest, newest);
}

#[rstest]
fn groups_walk_by_start_index(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let fx = fx(backend);
    let s = &fx.store;
    for i in 0..11 {
        let g = Group {
            display_name: format!("Team {}", (i * 4) % 11),
            ..Group::default()
        };
        s.create_group("acme", &g, ACTOR).unwrap();
    }
    let base = Query {
        sort_by: Some(AttrPath::new("displayName")),
        ..Query::default()
    };
    let list = |offset: u64, limit: u64| -> Vec<String> {
        let page = s
            .list_groups(
                "acme",
                &Query {
                    offset,
                    limit,
                    ..base.clone()
                },
                false,
            )
            .unwrap();
        assert_eq!(page.total, 11);
        page.items.into_iter().map(|g| g.id).collect()
    };
    let all = list(0, 100);
    let hits = s.index_page_stats().hits;
    let mut walked = Vec::new();
    while walked.len() < all.len() {
        walked.extend(list(walked.len() as u64, 3));
    }
    assert_eq!(walked, all);
    assert_eq!(s.index_page_stats().hits, hits + 3);
}
