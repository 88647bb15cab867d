//! Groups: members as set operations, filters, excludedAttributes=members.

use humbol_store::{Backend, EventQuery, MemberChange, Query, StoreError};
use rstest::rstest;
use scim_core::resource::{Group, Member};
use scim_core::{ScimError, ScimType};

use crate::{fx, q, user, ACTOR};

fn ids(g: &Group) -> Vec<&str> {
    g.members.iter().map(|m| m.value.as_str()).collect()
}

#[rstest]
fn members_change_as_set_operations(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let fx = fx(backend);
    let s = &fx.store;
    let mut u = Vec::new();
    for i in 0..4 {
        let mut x = user(&format!("u{i}@x"));
        x.display_name = Some(format!("User {i}"));
        u.push(s.create_user("acme", &x, ACTOR).unwrap().id);
    }
    let mut sorted = u.clone();
    sorted.sort();
    let g = s
        .create_group(
            "acme",
            &Group {
                display_name: "Sales".into(),
                external_id: Some("e1".into()),
                members: vec![],
            },
            ACTOR,
        )
        .unwrap();
    assert!(g.resource.members.is_empty());
    let keep = |c: &scim_core::resource::Stored<Group>| Ok(c.resource.clone());

    let g1 = s
        .update_group(
            "acme",
            &g.id,
            None,
            ACTOR,
            &[MemberChange::Add(vec![
                u[0].clone(),
                u[1].clone(),
                u[0].clone(),
            ])],
            &mut |c| {
                assert!(c.resource.members.is_empty(), "f sees no members");
                Ok(c.resource.clone())
            },
        )
        .unwrap();
    assert_eq!(g1.meta.version, 2);
    assert!(g1.resource.members.is_empty(), "returned without members");
    let g1 = s.group("acme", &g.id, true).unwrap().unwrap();
    assert_eq!(g1.meta.version, 2);
    assert_eq!(g1.resource.members.len(), 2);
    assert!(g1.resource.members.iter().all(|m| m.display.is_some()));

    // Add + Remove in one call: one version bump.
    let g2 = s
        .update_group(
            "acme",
            &g.id,
            Some(2),
            ACTOR,
            &[
                MemberChange::Add(vec![u[2].clone()]),
                MemberChange::Remove(vec![u[0].clone(), "absent".into()]),
            ],
            &mut keep.clone(),
        )
        .unwrap();
    assert_eq!(g2.meta.version, 3);
    let g2 = s.group("acme", &g.id, true).unwrap().unwrap();
    assert_eq!(g2.meta.version, 3);
    // Adding present members (and removing absent ones) changes nothing: no version bump.
    let same = s
        .update_group(
            "acme",
            &g.id,
            None,
            ACTOR,
            &[
                MemberChange::Add(vec![u[1].clone(), u[2].clone()]),
                MemberChange::Remove(vec![u[0].clone()]),
            ],
            &mut keep.clone(),
        )
        .unwrap();
    assert_eq!(same.meta, g2.meta);
    let mut want = vec![u[1].as_str(), u[2].as_str()];
    want.sort();
    assert_eq!(ids(&g2.resource), want);

    // Unknown member: refused, nothing written.
    let err = s
        .update_group(
            "acme",
            &g.id,
            None,
            ACTOR,
            &[MemberChange::Add(vec!["nope".into()])],
            &mut keep.clone(),
        )
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::Rejected(ScimError {
            scim_type: Some(ScimType::InvalidValue),
            ..
        })
    ));
    assert_eq!(s.group("acme", &g.id, true).unwrap().unwrap(), g2);

    // Rename + replace members.
    let g3 = s
        .update_group(
            "acme",
            &g.id,
            None,
            ACTOR,
            &[MemberChange::Replace(vec![u[3].clone(), u[1].clone()])],
            &mut |c| {
                Ok(Group {
                    display_name: "Sales EMEA".into(),
                    ..c.resource.clone()
                })
            },
        )
        .unwrap();
    assert_eq!(s.group("acme", &g.id, false).unwrap().unwrap(), g3);
    let g3 = s.group("acme", &g.id, true).unwrap().unwrap();
    let mut want = vec![u[1].as_str(), u[3].as_str()];
    want.sort();
    assert_eq!(ids(&g3.resource), want);
    assert_eq!(g3.resource.display_name, "Sales EMEA");

    // Without members.
    let bare = s.group("acme", &g.id, false).unwrap().unwrap();
    assert!(bare.resource.members.is_empty());
    assert_eq!(bare.meta, g3.meta);

    // PUT.
    let put = Group {
        display_name: "Sales".into(),
        external_id: None,
        members: vec![Member {
            value: u[0].clone(),
            display: None,
        }],
    };
    let g4 = s
        .replace_group("acme", &g.id, &put, Some(g3.meta.version), ACTOR)
        .unwrap();
    assert_eq!(g4.meta.version, g3.meta.version + 1);
    let g4 = s.group("acme", &g.id, true).unwrap().unwrap();
    assert_eq!(ids(&g4.resource), [u[0].as_str()]);
    assert_eq!(g4.resource.external_id, None);
    assert_eq!(
        s.replace_group("acme", &g.id, &put, Some(1), ACTOR),
        Err(StoreError::VersionMismatch)
    );

    let g5 = s
        .update_group(
            "acme",
            &g.id,
            None,
            ACTOR,
            &[MemberChange::RemoveAll],
            &mut keep.clone(),
        )
        .unwrap();
    assert_eq!(g5.meta.version, g4.meta.version + 1);
    assert!(s
        .group("acme", &g.id, true)
        .unwrap()
        .unwrap()
        .resource
        .members
        .is_empty());
    assert!(s.delete_group("acme", &g.id, None, ACTOR).unwrap());
    assert_eq!(s.group("acme", &g.id, true).unwrap(), None);
    let events = s
        .events(
            "acme",
            &EventQuery {
                limit: 7,
                ..Default::default()
            },
        )
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["deleted", "updated", "updated", "updated", "updated", "updated", "created"]
    );
}

/// Many ids at once (beyond the one-statement-per-id path): the same set semantics, and an unknown or other
/// organisation's id among them refuses the whole change.
#[rstest]
fn members_change_in_bulk(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let fx = fx(backend);
    let s = &fx.store;
    let u: Vec<String> = (0..40)
        .map(|i| {
            s.create_user("acme", &user(&format!("b{i}@x")), ACTOR)
                .unwrap()
                .id
        })
        .collect();
    let g = s
        .create_group(
            "acme",
            &Group {
                display_name: "Bulk".into(),
                external_id: None,
                members: u[..10]
                    .iter()
                    .map(|v| Member {
                        value: v.clone(),
                        display: None,
                    })
                    .collect(),
            },
            ACTOR,
        )
        .unwrap();
    let keep = |c: &scim_core::resource::Stored<Group>| Ok(c.resource.clone());
    let count = |s: &humbol_store::Store| {
        s.group("acme", &g.id, true)
            .unwrap()
            .unwrap()
            .resource
            .members
            .len()
    };

    let change =
        |c: MemberChange| s.update_group("acme", &g.id, None, ACTOR, &[c], &mut keep.clone());

    // 30 ids, 10 of them members already: 20 added.
    let mut add: Vec<String> = u[..30].to_vec();
    add.push(u[3].clone());
    change(MemberChange::Add(add)).unwrap();
    assert_eq!(count(s), 30);

    // An unknown id among 25 valid ones: refused, naming it; nothing added.
    let mut add: Vec<String> = u[10..35].to_vec();
    add.push("no-such-user".into());
    match change(MemberChange::Add(add)).unwrap_err() {
        StoreError::Rejected(e) => assert!(e.detail.contains("no-such-user"), "{}", e.detail),
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(count(s), 30);

    // Remove 20 (5 of them not members): 15 removed.
    change(MemberChange::Remove(u[15..35].to_vec())).unwrap();
    assert_eq!(count(s), 15);
    let left: Vec<String> = s
        .group("acme", &g.id, true)
        .unwrap()
        .unwrap()
        .resource
        .members
        .into_iter()
        .map(|m| m.value)
        .collect();
    let mut want = u[..15].to_vec();
    want.sort();
    assert_eq!(left, want);

    // Replace with 20 (5 kept, 15 new): 10 removed, 15 added.
    change(MemberChange::Replace(u[10..30].to_vec())).unwrap();
    assert_eq!(count(s), 20);
}

#[rstest]
fn group_filters(#[values(Backend::Sqlite, Backend::Postgres)] backend: Backend) {
    let fx = fx(backend);
    let s = &fx.store;
    let a = s.create_user("acme", &user("a@x"), ACTOR).unwrap().id;
    let b = s.create_user("acme", &user("b@x"), ACTOR).unwrap().id;
    let member = |id: &str| Member {
        value: id.to_string(),
        display: None,
    };
    let sales = s
        .create_group(
            "acme",
            &Group {
                display_name: "Sales".into(),
                members: vec![member(&a)],
                ..Default::default()
            },
            ACTOR,
        )
        .unwrap();
    let ops = s
        .create_group(
            "acme",
            &Group {
                display_name: "Ops".into(),
                members: vec![member(&a), member(&b)],
                ..Default::default()
            },
            ACTOR,
        )
        .unwrap();
    s.create_group(
        "globex",
        &Group {
            display_name: "Sales".into(),
            ..Default::default()
        },
        ACTOR,
    )
    .unwrap();
    let found = |f: &str, with_members: bool| -> Vec<String> {
        let page = s.list_groups("acme", &q(f), with_members).unwrap();
        assert!(page
            .items
            .iter()
            .all(|g| with_members || g.resource.members.is_empty()));
        page.items.into_iter().map(|g| g.id).collect()
    };
    assert_eq!(
        found("displayName eq \"SALES\"", false),
        vec![sales.id.clone()]
    );
    assert_eq!(
        found(
            &format!("id eq \"{}\" and members[value eq \"{b}\"]", ops.id),
            true
        ),
        vec![ops.id.clone()]
    );
    assert_eq!(
        found(
            &format!("id eq \"{}\" and members[value eq \"{b}\"]", sales.id),
            true
        ),
        Vec::<String>::new()
    );
    assert_eq!(found(&format!("members.value eq \"{a}\""), true).len(), 2);
    assert_eq!(
        found(&format!("members eq \"{b}\""), true),
        vec![ops.id.clone()]
    );
    assert_eq!(
        found("displayName eq \"nothing\"", false),
        Vec::<String>::new()
    );
    assert!(matches!(
        s.list_groups("acme", &q("userName eq \"x\""), true),
        Err(StoreError::InvalidFilter(_))
    ));
    let all = s.list_groups("acme", &Query::default(), true).unwrap();
    assert_eq!(all.total, 2);
    assert_eq!(all.items[1].resource.members.len(), 2);
}
