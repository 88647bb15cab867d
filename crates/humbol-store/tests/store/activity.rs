//! The settings page's reads: the provisioning status (window, SCIM actors only, last request) and the log's
//! filters, each scoped to its organisation.

use chrono::{Duration, Utc};
use humbol_store::{Backend, EventQuery, NewClient, NewClientSecret, NewEvent, NewToken, Outcome};
use rstest::rstest;

use crate::{fx, user, ACTOR};

#[rstest]
fn status_counts_scim_calls_in_the_window_for_one_organisation(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let fx = fx(backend);
    let s = &fx.store;
    let now = Utc::now();
    let hour_ago = now - Duration::hours(1);
    let empty = s.provisioning_status("acme", hour_ago, now).unwrap();
    assert_eq!(empty.last_request_at, None);
    assert!(empty.actions.is_empty());
    assert_eq!(empty.live_tokens, 0);
    assert_eq!(empty.live_clients, 0);

    let token = NewToken {
        name: "entra".into(),
        hash: [7; 32],
        hint: "h".into(),
        expires_at: None,
    };
    let t = s.create_token("acme", &token, "admin:alice").unwrap();
    let expired = NewToken {
        hash: [8; 32],
        expires_at: Some(now + Duration::seconds(1)),
        ..token.clone()
    };
    s.create_token("acme", &expired, "admin:alice").unwrap();
    for name in ["a@x", "b@x"] {
        s.create_user("acme", &user(name), ACTOR).unwrap();
    }
    s.create_user("globex", &user("c@x"), ACTOR).unwrap();
    s.record_event(
        "acme",
        &NewEvent {
            actor: ACTOR.into(),
            action: humbol_store::EventAction::Refused,
            resource_type: Some(humbol_store::EventResource::User),
            resource_id: None,
            outcome: Outcome::Refused,
            detail: "POST /Users: 409 uniqueness: taken".into(),
        },
    )
    .unwrap();
    let used = now + Duration::minutes(5);
    s.record_token_uses(&[(t.id.clone(), used)]).unwrap();

    let status = s
        .provisioning_status("acme", hour_ago, now + Duration::seconds(2))
        .unwrap();
    // token_created is the admin's, not a SCIM call.
    assert_eq!(
        status.actions,
        [("created".to_owned(), 2), ("refused".to_owned(), 1)]
    );
    assert_eq!(status.live_tokens, 1, "the expired one is not live");
    // The newest of token use and SCIM event.
    let last = status.last_request_at.unwrap();
    assert!(
        (last - used).num_milliseconds().abs() < 1,
        "{last} vs {used}"
    );
    // Nothing before the window's start.
    let later = s
        .provisioning_status("acme", now + Duration::hours(1), now)
        .unwrap();
    assert!(later.actions.is_empty());
    // globex sees only its own.
    let globex = s.provisioning_status("globex", hour_ago, now).unwrap();
    assert_eq!(globex.actions, [("created".to_owned(), 1)]);
    assert_eq!(globex.live_tokens, 0);

    // An OAuth client counts as a way in until it is revoked; only its own organisation sees it.
    let client = s
        .create_client(
            "acme",
            &NewClient {
                name: "Entra".into(),
                client_id: "acme-status-client".into(),
                secret: NewClientSecret {
                    hash: [7; 32],
                    hint: "humbol_secret_…7".into(),
                    expires_at: now + Duration::days(365),
                },
            },
            ACTOR,
        )
        .unwrap();
    let with_client = s.provisioning_status("acme", hour_ago, now).unwrap();
    assert_eq!(with_client.live_clients, 1);
    assert_eq!(
        s.provisioning_status("globex", hour_ago, now)
            .unwrap()
            .live_clients,
        0
    );
    s.revoke_client("acme", &client.id, ACTOR).unwrap();
    assert_eq!(
        s.provisioning_status("acme", hour_ago, now)
            .unwrap()
            .live_clients,
        0
    );
}

#[rstest]
fn log_filters_by_outcome_action_and_resource_type(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let fx = fx(backend);
    let s = &fx.store;
    for name in ["a@x", "b@x", "c@x"] {
        s.create_user("acme", &user(name), ACTOR).unwrap();
    }
    s.create_user("globex", &user("d@x"), ACTOR).unwrap();
    let q = |action: Option<&str>, resource_type: Option<&str>, before: Option<i64>| EventQuery {
        before,
        limit: 10,
        outcome: Some(Outcome::Success),
        action: action.map(str::to_owned),
        resource_type: resource_type.map(str::to_owned),
    };
    let created = s
        .events("acme", &q(Some("created"), Some("User"), None))
        .unwrap();
    assert_eq!(created.len(), 3);
    assert!(
        created.windows(2).all(|w| w[0].id > w[1].id),
        "newest first"
    );
    assert!(s
        .events("acme", &q(Some("created"), Some("Group"), None))
        .unwrap()
        .is_empty());
    assert!(s
        .events("acme", &q(Some("deleted"), None, None))
        .unwrap()
        .is_empty());
    let older = s
        .events("acme", &q(Some("created"), None, Some(created[0].id)))
        .unwrap();
    assert_eq!(older.len(), 2);
    let refused_only = EventQuery {
        outcome: Some(Outcome::Refused),
        ..q(None, None, None)
    };
    assert!(s.events("acme", &refused_only).unwrap().is_empty());
}
