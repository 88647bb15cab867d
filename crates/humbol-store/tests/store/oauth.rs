//! OAuth clients in the store: scoped by organisation, access tokens live only while their client is, and a
//! client assertion's `jti` is exchanged once even by concurrent requests.

use std::sync::{Arc, Barrier};

use chrono::{Duration, Utc};
use humbol_store::{
    Backend, ClientCredential, Federation, NewAccessToken, NewClient, NewClientSecret, TokenRefusal,
};
use rstest::rstest;

use crate::fx;

fn secret(n: u8, expires_in_days: i64) -> NewClientSecret {
    NewClientSecret {
        hash: [n; 32],
        hint: format!("humbol_secret_…{n}"),
        expires_at: Utc::now() + Duration::days(expires_in_days),
    }
}

fn access(n: u8, expires_in_secs: i64) -> NewAccessToken {
    NewAccessToken {
        hash: [n; 32],
        expires_at: Utc::now() + Duration::seconds(expires_in_secs),
    }
}

fn federation() -> Federation {
    Federation {
        issuer: "https://login.example/tenant/v2.0".into(),
        subject: "sp".into(),
        audience: "api://humbol".into(),
    }
}

#[rstest]
fn clients_are_their_organisations_own(#[values(Backend::Sqlite, Backend::Postgres)] b: Backend) {
    let fx = fx(b);
    let s = &fx.store;
    let c = s
        .create_client(
            "acme",
            &NewClient {
                name: "Entra".into(),
                client_id: "acme-client".into(),
                secret: secret(1, 365),
            },
            "t",
        )
        .unwrap();
    assert!(s.clients("globex").unwrap().is_empty());
    assert!(s.client("globex", &c.id).unwrap().is_none());
    assert!(s
        .add_client_secret("globex", &c.id, &secret(2, 1), "t")
        .unwrap()
        .is_none());
    assert!(!s.revoke_client("globex", &c.id, "t").unwrap());
    assert!(!s
        .set_client_federation("globex", &c.id, Some(&federation()), "t")
        .unwrap());
    let secret_id = &c.secrets[0].id;
    assert!(!s
        .remove_client_secret("globex", &c.id, secret_id, "t")
        .unwrap());
    // Another organisation's token endpoint does not know the client.
    let now = Utc::now();
    let r = s
        .issue_access_token(
            "globex",
            "acme-client",
            &ClientCredential::Secret([1; 32]),
            &access(9, 3600),
            now,
        )
        .unwrap();
    assert_eq!(r, Err(TokenRefusal::UnknownClient));

    // acme's: issued, authenticated until revoked; an expired one never.
    s.issue_access_token(
        "acme",
        "acme-client",
        &ClientCredential::Secret([1; 32]),
        &access(10, 3600),
        now,
    )
    .unwrap()
    .unwrap();
    s.issue_access_token(
        "acme",
        "acme-client",
        &ClientCredential::Secret([1; 32]),
        &access(11, -1),
        now,
    )
    .unwrap()
    .unwrap();
    let mut reader = s.reader().unwrap();
    let auth = reader
        .authenticate_access_token(&[10; 32], Utc::now())
        .unwrap()
        .unwrap();
    assert_eq!(auth.org.slug, "acme");
    assert_eq!(auth.token_id, "acme-client");
    assert!(reader
        .authenticate_access_token(&[11; 32], Utc::now())
        .unwrap()
        .is_none());
    // An access token is not a SCIM token, nor the other way round.
    assert!(reader
        .authenticate(&[10; 32], Utc::now())
        .unwrap()
        .is_none());
    drop(reader);
    assert!(s.revoke_client("acme", &c.id, "t").unwrap());
    let mut reader = s.reader().unwrap();
    assert!(reader
        .authenticate_access_token(&[10; 32], Utc::now())
        .unwrap()
        .is_none());
}

#[rstest]
fn a_jti_is_exchanged_once_even_concurrently(
    #[values(Backend::Sqlite, Backend::Postgres)] b: Backend,
) {
    let fx = fx(b);
    let s = fx.store.clone();
    let c = s
        .create_client(
            "acme",
            &NewClient {
                name: "Entra".into(),
                client_id: "fed-client".into(),
                secret: secret(1, 365),
            },
            "t",
        )
        .unwrap();
    assert!(s
        .set_client_federation("acme", &c.id, Some(&federation()), "t")
        .unwrap());
    let credential = ClientCredential::Assertion {
        federation: federation(),
        jti: "jti-1".into(),
        expires_at: Utc::now() + Duration::minutes(10),
    };
    let barrier = Arc::new(Barrier::new(4));
    let handles: Vec<_> = (0..4u8)
        .map(|i| {
            let (s, barrier, credential) = (s.clone(), Arc::clone(&barrier), credential.clone());
            std::thread::spawn(move || {
                barrier.wait();
                s.issue_access_token(
                    "acme",
                    "fed-client",
                    &credential,
                    &access(20 + i, 3600),
                    Utc::now(),
                )
                .unwrap()
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(results
        .iter()
        .filter(|r| r.is_err())
        .all(|r| *r == Err(TokenRefusal::ReplayedAssertion)));
    // A changed federated credential refuses what was verified against the old one.
    let mut other = federation();
    other.audience = "api://other".into();
    assert!(s
        .set_client_federation("acme", &c.id, Some(&other), "t")
        .unwrap());
    let r = s
        .issue_access_token(
            "acme",
            "fed-client",
            &ClientCredential::Assertion {
                federation: federation(),
                jti: "jti-2".into(),
                expires_at: Utc::now() + Duration::minutes(10),
            },
            &access(30, 3600),
            Utc::now(),
        )
        .unwrap();
    assert_eq!(r, Err(TokenRefusal::FederationChanged));
}
