//! Paging through a whole directory: RFC 9865 cursor pagination (`cursor`, `nextCursor`, `previousCursor`) and
//! RFC 7644 index pagination (`startIndex`, `count`), on Users and Groups, on both backends.

use std::collections::HashSet;

use humbol_store::Backend;
use rstest::rstest;
use serde_json::{json, Value};

use crate::helpers::*;

/// The ids of a page's `Resources`.
fn ids(page: &Value) -> Vec<String> {
    page["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect()
}

/// Walks `path` (a list URL with its own parameters) by cursor from the first page; returns the pages.
async fn walk(app: &TestApp, path: &str, count: u64) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut pages = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(&format!(
                "{path}{sep}count={count}&cursor={}",
                encode(&cursor)
            ))
            .await
            .assert_ok(200)
            .clone();
        assert_eq!(page["schemas"], json!([LIST_RESPONSE]));
        assert_eq!(page["itemsPerPage"], json!(ids(&page).len()));
        // Cursor pages carry neither an index nor a count of every match.
        assert!(page.get("startIndex").is_none(), "{page:#}");
        assert!(page.get("totalResults").is_none(), "{page:#}");
        assert!(pages.len() < 1000, "the walk does not end");
        let next = page
            .get("nextCursor")
            .and_then(Value::as_str)
            .map(String::from);
        pages.push(page);
        match next {
            Some(n) => cursor = n,
            None => return pages,
        }
    }
}

fn all_ids(pages: &[Value]) -> Vec<String> {
    pages.iter().flat_map(ids).collect()
}

#[rstest]
#[tokio::test]
async fn a_cursor_walk_returns_every_user_once_and_walks_back(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let mut created = Vec::new();
    for i in 0..23 {
        created.push(id_of(
            &app.create_user(&format!("u{i:02}@contoso.com")).await,
        ));
    }
    let pages = walk(&app, "/Users", 5).await;
    assert_eq!(pages.len(), 5);
    // In the list's order (creation), each user once.
    assert_eq!(all_ids(&pages), created);
    assert!(pages[0].get("previousCursor").is_none());
    assert_eq!(ids(&pages[4]).len(), 3);

    // Back from the last page by previousCursor: the same pages in reverse.
    let mut back = vec![ids(&pages[4])];
    let mut prev = pages[4]["previousCursor"].as_str().map(String::from);
    while let Some(p) = prev {
        let page = app
            .get(&format!("/Users?count=5&cursor={}", encode(&p)))
            .await
            .assert_ok(200)
            .clone();
        back.push(ids(&page));
        prev = page["previousCursor"].as_str().map(String::from);
        assert!(back.len() <= 5);
    }
    back.reverse();
    assert_eq!(back, pages.iter().map(ids).collect::<Vec<_>>());

    // POST .search takes the cursor in its body.
    let r = app
        .post(
            "/Users/.search",
            &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                    "count": 20, "cursor": ""}),
        )
        .await;
    let page = r.assert_ok(200);
    assert_eq!(ids(page), created[..20]);
    let next = page["nextCursor"].as_str().unwrap();
    assert_eq!(
        ids(app
            .get(&format!("/Users?count=20&cursor={}", encode(next)))
            .await
            .assert_ok(200)),
        created[20..]
    );
}

#[rstest]
#[tokio::test]
async fn a_cursor_walk_with_a_filter_and_sort_by(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    // userName descending, only active users, some users without a displayName (sorted last).
    let mut expected = Vec::new();
    for i in 0..17 {
        let name = format!("s{:02}@contoso.com", (i * 7) % 17);
        let mut user = entra_user(&name);
        user["active"] = json!(i % 3 != 0);
        if i % 4 == 0 {
            user["displayName"] = json!(format!("D{}", i % 5));
        }
        let r = app.post("/Users", &user).await;
        let u = r.assert_ok(201).clone();
        if i % 3 != 0 {
            expected.push((name, u["displayName"].as_str().map(String::from), id_of(&u)));
        }
    }
    let query = format!(
        "/Users?{}&sortBy=userName&sortOrder=descending",
        filter_query("active eq true")
    );
    let pages = walk(&app, &query, 3).await;
    let mut by_name = expected.clone();
    by_name.sort_by(|a, b| b.0.cmp(&a.0));
    assert_eq!(
        all_ids(&pages),
        by_name.iter().map(|u| u.2.clone()).collect::<Vec<_>>()
    );

    // A nullable key: displayName ascending, users without one last (then in creation order).
    let query = format!(
        "/Users?{}&sortBy=displayName",
        filter_query("active eq true")
    );
    let pages = walk(&app, &query, 2).await;
    let mut by_display = expected.clone();
    by_display.sort_by(|a, b| match (&a.1, &b.1) {
        (Some(x), Some(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    // Equal keys: creation order (the sort is stable and `expected` is in creation order).
    assert_eq!(
        all_ids(&pages),
        by_display.iter().map(|u| u.2.clone()).collect::<Vec<_>>()
    );

    // Groups: filtered, by displayName descending.
    let mut groups = Vec::new();
    for name in [
        "Sales", "Support", "Finance", "Security", "Staff", "Ops", "Sites",
    ] {
        let g = app.create_group(name).await;
        if name.starts_with('S') {
            groups.push((name, id_of(&g)));
        }
    }
    groups.sort_by(|a, b| b.0.cmp(a.0));
    let query = format!(
        "/Groups?{}&sortBy=displayName&sortOrder=descending&excludedAttributes=members",
        filter_query("displayName sw \"S\"")
    );
    let pages = walk(&app, &query, 2).await;
    assert_eq!(pages.len(), 3);
    assert_eq!(
        all_ids(&pages),
        groups.iter().map(|g| g.1.clone()).collect::<Vec<_>>()
    );
}

#[rstest]
#[tokio::test]
async fn a_bad_cursor_is_invalid_cursor(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    for i in 0..3 {
        app.create_user(&format!("b{i}@contoso.com")).await;
    }
    let first = app.get("/Users?count=1&cursor=").await;
    let next = first.assert_ok(200)["nextCursor"]
        .as_str()
        .unwrap()
        .to_string();
    let mut altered = next.clone().into_bytes();
    let last = altered.len() - 1;
    altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    for path in [
        "/Users?cursor=garbage".to_string(),
        format!("/Users?cursor={}", encode(&altered)),
        format!("/Users?cursor={}", &next[..next.len() / 2]),
        // A cursor is bound to its query's filter and sort.
        format!(
            "/Users?cursor={}&{}",
            encode(&next),
            filter_query("active eq true")
        ),
        format!("/Users?cursor={}&sortBy=userName", encode(&next)),
        // And to its resource type.
        format!("/Groups?cursor={}", encode(&next)),
    ] {
        app.get(&path)
            .await
            .assert_scim_error(400, Some("invalidCursor"));
    }
    // One way of paging at a time.
    app.get("/Users?cursor=&startIndex=2")
        .await
        .assert_scim_error(400, Some("invalidValue"));
    // The real cursor still works.
    let r = app
        .get(&format!("/Users?count=1&cursor={}", encode(&next)))
        .await;
    assert_eq!(ids(r.assert_ok(200)).len(), 1);
}

#[rstest]
#[tokio::test]
async fn a_cursor_walk_while_the_directory_changes(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    // Stable users exist throughout; volatile ones, interleaved with them, are deleted during the walk.
    let (mut stable, mut volatile) = (Vec::new(), Vec::new());
    for i in 0..60 {
        let id = id_of(&app.create_user(&format!("w{i:02}@contoso.com")).await);
        if i % 3 == 2 {
            volatile.push(id);
        } else {
            stable.push(id);
        }
    }
    let walker = async {
        let mut pages = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = app
                .get(&format!("/Users?count=7&cursor={}", encode(&cursor)))
                .await
                .assert_ok(200)
                .clone();
            let next = page["nextCursor"].as_str().map(String::from);
            pages.push(page);
            tokio::task::yield_now().await;
            match next {
                Some(n) => cursor = n,
                None => return pages,
            }
        }
    };
    let changer = async {
        // Deletes of volatile users and creates of new ones, concurrent with the walk.
        for (i, id) in volatile.iter().enumerate() {
            assert_eq!(app.delete(&format!("/Users/{id}")).await.status, 204);
            app.create_user(&format!("new{i:02}@contoso.com")).await;
        }
    };
    let (pages, ()) = tokio::join!(walker, changer);
    let seen = all_ids(&pages);
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a user was returned twice");
    for id in &stable {
        assert!(unique.contains(id), "stable user {id} was skipped");
    }
    // The stable users come in their order.
    let stable_seen: Vec<&String> = seen.iter().filter(|id| stable.contains(id)).collect();
    assert_eq!(stable_seen, stable.iter().collect::<Vec<_>>());
}

#[rstest]
#[tokio::test]
async fn an_index_walk_keeps_rfc_7644_semantics(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let mut created = Vec::new();
    for i in 0..11 {
        created.push(id_of(
            &app.create_user(&format!("i{i:02}@contoso.com")).await,
        ));
    }
    let mut seen = Vec::new();
    let mut start = 1;
    while start <= 11 {
        let page = app
            .get(&format!("/Users?startIndex={start}&count=4"))
            .await
            .assert_ok(200)
            .clone();
        assert_eq!(page["totalResults"], 11);
        assert_eq!(page["startIndex"], start);
        assert_eq!(page["itemsPerPage"], ids(&page).len());
        assert!(page.get("nextCursor").is_none());
        seen.extend(ids(&page));
        start += 4;
    }
    assert_eq!(seen, created);
    // Beyond the end: an empty page that still counts every match.
    let page = app.get("/Users?startIndex=20&count=4").await;
    let page = page.assert_ok(200);
    assert_eq!(
        (page["totalResults"].clone(), ids(page).len()),
        (json!(11), 0)
    );

    // Announced in ServiceProviderConfig (RFC 9865).
    let spc = app.get("/ServiceProviderConfig").await;
    let pagination = &spc.assert_ok(200)["pagination"];
    assert_eq!(pagination["cursor"], true);
    assert_eq!(pagination["index"], true);
    assert_eq!(pagination["defaultPaginationMethod"], "index");
    assert!(pagination["maxPageSize"].as_u64().unwrap() >= 100);
    assert_eq!(pagination["defaultPageSize"], pagination["maxPageSize"]);
}
