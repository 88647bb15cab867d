//! Users: CRUD, events, isolation, uniqueness, versions, filters, delete side effects.

use humbol_store::{Backend, EventQuery, MemberChange, Query, StoreError};
use rstest::rstest;
use scim_core::path::AttrPath;
use scim_core::resource::{Address, Email, Group, Member, Name, User, UserGroup};
use scim_core::{ScimError, ScimType};

use crate::{fx, q, user, ACTOR};

fn alice() -> User {
    User {
        user_name: "Alice@Contoso.com".into(),
        external_id: Some("ext-Alice".into()),
        display_name: Some("Alice Liddell".into()),
        active: true,
        title: Some("Engineer".into()),
        preferred_language: Some("en-GB".into()),
        name: Name {
            formatted: Some("Alice Liddell".into()),
            family_name: Some("Liddell".into()),
            given_name: Some("Alice".into()),
        },
        emails: vec![
            Email {
                value: "alice@contoso.com".into(),
                kind: Some("work".into()),
                primary: true,
            },
            Email {
                value: "al@home.example".into(),
                kind: Some("home".into()),
                primary: false,
            },
        ],
        addresses: vec![Address {
            kind: Some("work".into()),
            locality: Some("Oxford".into()),
            region: Some("Oxon".into()),
            country: Some("GB".into()),
            primary: true,
            ..Address::default()
        }],
        role: Some("Admin".into()),
        role_primary: Some(true),
        department: Some("R&D".into()),
        manager: None,
        attributes: serde_json::Map::new(),
        groups: Vec::new(),
    }
}

#[rstest]
fn crud_round_trips_and_logs(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let fx = fx(backend);
    let s = &fx.store;
    let a = s.create_user("acme", &alice(), ACTOR).unwrap();
    assert_eq!(a.resource, alice());
    assert_eq!(a.meta.version, 1);
    assert_eq!(s.user("acme", &a.id).unwrap(), Some(a.clone()));

    // replace (PUT)
    let mut b = alice();
    b.title = Some("Lead".into());
    b.emails.pop();
    let replaced = s.replace_user("acme", &a.id, &b, Some(1), ACTOR).unwrap();
    assert_eq!(replaced.resource, b);
    assert_eq!(replaced.meta.version, 2);
    assert!(replaced.meta.last_modified >= a.meta.last_modified);
    assert_eq!(s.user("acme", &a.id).unwrap(), Some(replaced.clone()));

    // disable, enable, no-op
    let off = s
        .update_user("acme", &a.id, None, ACTOR, &mut |cur| {
            Ok(User {
                active: false,
                ..cur.resource.clone()
            })
        })
        .unwrap();
    assert!(!off.resource.active);
    let on = s
        .update_user("acme", &a.id, None, ACTOR, &mut |cur| {
            Ok(User {
                active: true,
                ..cur.resource.clone()
            })
        })
        .unwrap();
    let same = s
        .update_user("acme", &a.id, None, ACTOR, &mut |cur| {
            Ok(cur.resource.clone())
        })
        .unwrap();
    assert_eq!(same, on, "no change, nothing written");

    assert!(s.delete_user("acme", &a.id, None, ACTOR).unwrap());
    assert!(!s.delete_user("acme", &a.id, None, ACTOR).unwrap());
    assert_eq!(s.user("acme", &a.id).unwrap(), None);

    let events = s.events("acme", &EventQuery::default()).unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["deleted", "enabled", "disabled", "updated", "created"]
    );
    assert!(events[3].detail.contains("title"), "{}", events[3].detail);
    assert!(events[3].detail.contains("emails"), "{}", events[3].detail);
    assert!(events[4].detail.contains("Alice@Contoso.com"));
    assert!(events
        .iter()
        .all(|e| e.resource_id.as_deref() == Some(a.id.as_str())));
}

#[rstest]
fn another_orgs_ids_are_not_found(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let fx = fx(backend);
    let s = &fx.store;
    let a = s.create_user("acme", &alice(), ACTOR).unwrap();
    let g = s
        .create_group(
            "acme",
            &Group {
                display_name: "Sales".into(),
                members: vec![Member {
                    value: a.id.clone(),
                    display: None,
                }],
                ..Default::default()
            },
            ACTOR,
        )
        .unwrap();
    let o = "globex";
    assert_eq!(s.user(o, &a.id).unwrap(), None);
    assert!(matches!(
        s.replace_user(o, &a.id, &alice(), None, ACTOR),
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.update_user(o, &a.id, None, ACTOR, &mut |c| Ok(c.resource.clone())),
        Err(StoreError::NotFound)
    ));
    assert!(!s.delete_user(o, &a.id, None, ACTOR).unwrap());
    assert_eq!(s.list_users(o, &Query::default()).unwrap().total, 0);
    assert_eq!(
        s.list_users(o, &q(&format!("id eq \"{}\"", a.id)))
            .unwrap()
            .total,
        0
    );
    assert_eq!(s.group(o, &g.id, true).unwrap(), None);
    assert!(matches!(
        s.replace_group(o, &g.id, &g.resource, None, ACTOR),
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.update_group(
            o,
            &g.id,
            None,
            ACTOR,
            &[MemberChange::RemoveAll],
            &mut |c| Ok(c.resource.clone())
        ),
        Err(StoreError::NotFound)
    ));
    assert!(!s.delete_group(o, &g.id, None, ACTOR).unwrap());
    assert_eq!(s.list_groups(o, &Query::default(), true).unwrap().total, 0);
    // globex cannot make acme's user a member of its group, nor its manager's reports see it.
    let err = s
        .create_group(
            o,
            &Group {
                display_name: "Spies".into(),
                members: vec![Member {
                    value: a.id.clone(),
                    display: None,
                }],
                ..Default::default()
            },
            ACTOR,
        )
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::Rejected(ScimError {
            scim_type: Some(ScimType::InvalidValue),
            ..
        })
    ));
    // Nothing changed in acme: alice is still in its one group, Sales.
    let mut a = a;
    a.resource.groups = vec![UserGroup {
        value: g.id.clone(),
        display: "Sales".into(),
    }];
    assert_eq!(s.user("acme", &a.id).unwrap(), Some(a));
    assert!(s.events(o, &EventQuery::default()).unwrap().is_empty());
}

#[rstest]
fn uniqueness_is_the_databases(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let fx = fx(backend);
    let s = &fx.store;
    s.create_user("acme", &alice(), ACTOR).unwrap();
    let mut dup = user("ALICE@contoso.COM");
    match s.create_user("acme", &dup, ACTOR) {
        Err(StoreError::Conflict { attribute, value }) => {
            assert_eq!(attribute, "userName");
            assert_eq!(value, "ALICE@contoso.COM");
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    // externalId is not unique (RFC 7643 §3.1): a second user with it is created, and a look-up by it finds
    // both, case-exactly.
    dup.user_name = "twin@else".into();
    dup.external_id = Some("ext-Alice".into());
    let twin = s.create_user("acme", &dup, ACTOR).unwrap();
    let by = |f: &str| Query {
        filter: Some(f.parse().unwrap()),
        limit: 10,
        ..Query::default()
    };
    let found = s
        .list_users("acme", &by("externalId eq \"ext-Alice\""))
        .unwrap();
    assert_eq!(found.total, 2);
    assert!(found.items.iter().any(|u| u.id == twin.id));
    let one = s
        .list_users(
            "acme",
            &Query {
                limit: 1,
                ..by("externalId eq \"ext-Alice\"")
            },
        )
        .unwrap();
    assert_eq!((one.total, one.items.len()), (2, 1));
    assert_eq!(
        s.list_users("acme", &by("externalId eq \"EXT-alice\""))
            .unwrap()
            .total,
        0
    );
    dup.user_name = "someone@else".into();
    dup.external_id = Some("EXT-ALICE".into()); // externalId is case-exact
    let other = s.create_user("acme", &dup, ACTOR).unwrap();
    // Same names in another organisation are fine.
    s.create_user("globex", &alice(), ACTOR).unwrap();
    // Renaming into a taken name conflicts too, and changes nothing.
    let err = s
        .update_user("acme", &other.id, None, ACTOR, &mut |c| {
            Ok(User {
                user_name: "alice@CONTOSO.com".into(),
                ..c.resource.clone()
            })
        })
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { ref attribute, .. } if attribute == "userName"),
        "{err:?}"
    );
    assert_eq!(s.user("acme", &other.id).unwrap().unwrap(), other);

    let g = Group {
        display_name: "Sales".into(),
        ..Default::default()
    };
    s.create_group("acme", &g, ACTOR).unwrap();
    let err = s
        .create_group(
            "acme",
            &Group {
                display_name: "SALES".into(),
                ..Default::default()
            },
            ACTOR,
        )
        .unwrap_err();
    assert_eq!(
        err,
        StoreError::Conflict {
            attribute: "displayName".into(),
            value: "SALES".into()
        }
    );
    s.create_group("globex", &g, ACTOR).unwrap();
}

#[rstest]
fn versions_and_rejections(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let fx = fx(backend);
    let s = &fx.store;
    let a = s.create_user("acme", &alice(), ACTOR).unwrap();
    assert_eq!(
        s.replace_user("acme", &a.id, &user("x"), Some(7), ACTOR),
        Err(StoreError::VersionMismatch)
    );
    let refused = ScimError::invalid_value("no");
    let r = refused.clone();
    assert_eq!(
        s.update_user("acme", &a.id, None, ACTOR, &mut |_| Err(r.clone())),
        Err(StoreError::Rejected(refused))
    );
    assert_eq!(s.user("acme", &a.id).unwrap(), Some(a));
    assert_eq!(s.events("acme", &EventQuery::default()).unwrap().len(), 1);
}

#[rstest]
fn filters_sorting_and_paging(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let fx = fx(backend);
    let s = &fx.store;
    let a = s.create_user("acme", &alice(), ACTOR).unwrap();
    let mut ids = vec![a.id.clone()];
    for (i, name) in ["bob@x.com", "carol@x.com", "dave_100%@x.com"]
        .iter()
        .enumerate()
    {
        let mut u = user(name);
        u.title = Some(format!("T{i}"));
        u.emails = vec![Email {
            value: name.to_string(),
            kind: Some("work".into()),
            primary: true,
        }];
        u.manager = Some(a.id.clone());
        ids.push(s.create_user("acme", &u, ACTOR).unwrap().id);
    }
    s.create_user("globex", &alice(), ACTOR).unwrap();
    let found = |f: &str| -> Vec<String> {
        let page = s.list_users("acme", &q(f)).unwrap();
        assert_eq!(page.total as usize, page.items.len());
        page.items.into_iter().map(|u| u.id).collect()
    };
    assert_eq!(
        found("userName eq \"ALICE@contoso.com\""),
        vec![a.id.clone()]
    );
    assert_eq!(found("externalId eq \"ext-alice\""), Vec::<String>::new());
    assert_eq!(found("externalId eq \"ext-Alice\""), vec![a.id.clone()]);
    assert_eq!(
        found("emails[type eq \"work\"].value eq \"BOB@x.com\""),
        vec![ids[1].clone()]
    );
    assert_eq!(found("emails[type eq \"home\"]"), vec![a.id.clone()]);
    assert_eq!(found("emails.value co \"contoso\""), vec![a.id.clone()]);
    assert_eq!(found("userName co \"100%\""), vec![ids[3].clone()]);
    assert_eq!(found("userName co \"_\""), vec![ids[3].clone()]);
    assert_eq!(found("userName sw \"dave_\""), vec![ids[3].clone()]);
    assert_eq!(
        found("userName co \"%\" and userName ew \".com\""),
        vec![ids[3].clone()]
    );
    assert_eq!(found("manager.value eq \"nobody\"").len(), 0);
    assert_eq!(found(&format!("manager.value eq \"{}\"", a.id)).len(), 3);
    assert_eq!(
        found(&format!(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"{}\"",
            a.id
        ))
        .len(),
        3
    );
    assert_eq!(
        found("roles[primary eq \"True\"].value eq \"Admin\""),
        vec![a.id.clone()]
    );
    assert_eq!(
        found("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"r&d\""),
        vec![a.id.clone()]
    );
    assert_eq!(
        found("addresses[type eq \"work\" and locality eq \"oxford\"]"),
        vec![a.id.clone()]
    );
    assert_eq!(found("title pr and not (title eq \"t1\")").len(), 3);
    assert_eq!(found("active eq false").len(), 0);
    assert_eq!(
        found(&format!(
            "meta.created ge \"{}\"",
            a.meta.created.to_rfc3339()
        ))
        .len(),
        4
    );
    assert_eq!(
        found(&format!(
            "meta.created gt \"{}\"",
            a.meta.created.to_rfc3339()
        ))
        .len(),
        3
    );

    // Unknown attribute: InvalidFilter.
    assert!(matches!(
        s.list_users("acme", &q("shoeSize eq \"x\"")),
        Err(StoreError::InvalidFilter(_))
    ));

    // sortBy + paging + total.
    let page = s
        .list_users(
            "acme",
            &Query {
                filter: None,
                sort_by: Some(AttrPath::new("userName")),
                descending: true,
                offset: 1,
                limit: 2,
                cursor: None,
            },
        )
        .unwrap();
    assert_eq!(page.total, 4);
    let names: Vec<&str> = page
        .items
        .iter()
        .map(|u| u.resource.user_name.as_str())
        .collect();
    assert_eq!(names, ["carol@x.com", "bob@x.com"]);
    let page = s
        .list_users(
            "acme",
            &Query {
                sort_by: Some(AttrPath::new("title")),
                limit: 10,
                ..Default::default()
            },
        )
        .unwrap();
    let titles: Vec<Option<&str>> = page
        .items
        .iter()
        .map(|u| u.resource.title.as_deref())
        .collect();
    assert_eq!(
        titles,
        [Some("Engineer"), Some("T0"), Some("T1"), Some("T2")]
    );
    let page = s
        .list_users(
            "acme",
            &Query {
                sort_by: Some(filter_path("emails.value")),
                limit: 10,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(page.items[0].id, a.id);
    let count_only = s
        .list_users(
            "acme",
            &Query {
                limit: 0,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!((count_only.total, count_only.items.len()), (4, 0));
}

fn filter_path(p: &str) -> AttrPath {
    p.parse().unwrap()
}

#[rstest]
fn delete_removes_memberships_and_clears_manager(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let fx = fx(backend);
    let s = &fx.store;
    let boss = s.create_user("acme", &alice(), ACTOR).unwrap();
    let mut report = user("r@x");
    report.manager = Some(boss.id.clone());
    let report = s.create_user("acme", &report, ACTOR).unwrap();
    let g = s
        .create_group(
            "acme",
            &Group {
                display_name: "Team".into(),
                members: vec![
                    Member {
                        value: boss.id.clone(),
                        display: None,
                    },
                    Member {
                        value: report.id.clone(),
                        display: None,
                    },
                ],
                ..Default::default()
            },
            ACTOR,
        )
        .unwrap();
    assert_eq!(g.resource.members.len(), 2);
    assert!(s.delete_user("acme", &boss.id, None, ACTOR).unwrap());
    let g2 = s.group("acme", &g.id, true).unwrap().unwrap();
    assert_eq!(
        g2.resource.members,
        vec![Member {
            value: report.id.clone(),
            display: None
        }]
    );
    assert_eq!(g2.meta.version, g.meta.version + 1);
    let r2 = s.user("acme", &report.id).unwrap().unwrap();
    assert_eq!(r2.resource.manager, None);
    assert_eq!(r2.meta.version, report.meta.version + 1);
    let events = s.events("acme", &EventQuery::default()).unwrap();
    assert!(events[0].detail.contains("1 group"), "{}", events[0].detail);
    assert!(
        events[0].detail.contains("manager of 1"),
        "{}",
        events[0].detail
    );
}

/// Which list queries are one indexed look-up (the API may run those on its async worker with SQLite).
#[test]
fn key_lookups_are_recognised() {
    let page = |filter: &str, offset, limit| Query {
        offset,
        limit,
        ..q(filter)
    };
    for filter in [
        r#"userName eq "Alice@Contoso.com""#,
        r#"externalId eq "ext-1""#,
        r#"id eq "2819c223-7f76-453a-919d-413861904646""#,
    ] {
        assert!(page(filter, 0, 100).is_user_key_lookup(), "{filter}");
        assert!(page(filter, 0, 1).is_user_key_lookup(), "{filter}");
        assert!(!page(filter, 1, 100).is_user_key_lookup(), "{filter}");
        assert!(!page(filter, 0, 0).is_user_key_lookup(), "{filter}");
    }
    for filter in [
        r#"userName co "alice""#,
        r#"displayName eq "Alice""#,
        r#"userName eq "a" or userName eq "b""#,
        r#"emails[type eq "work"].value eq "a@b.c""#,
    ] {
        assert!(!page(filter, 0, 100).is_user_key_lookup(), "{filter}");
    }
    assert!(!Query::default().is_user_key_lookup());
}
