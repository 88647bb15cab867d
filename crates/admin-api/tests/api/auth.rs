//! JWT authentication and authorisation: 401s for bad credentials, pinned algorithms, 403/404 scoping.

use humbol_store::Backend;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use rstest::rstest;
use serde_json::json;

use crate::helpers::{
    admin_claims, assert_error, assert_unauthorized, b64url, fixture, hs256, now_plus, raw_jwt,
    spawn_app, spawn_app_with, support_claims, SECRET,
};

const ORG: &str = "/api/v1/orgs/acme";

fn rsa_config() -> String {
    fixture("rsa-public.pem").display().to_string()
}

fn sign_pem(alg: Algorithm, private_pem_file: &str, claims: &serde_json::Value) -> String {
    let pem = std::fs::read(fixture(private_pem_file)).unwrap();
    let key = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem).unwrap(),
        Algorithm::ES256 => EncodingKey::from_ec_pem(&pem).unwrap(),
        other => panic!("{other:?}"),
    };
    jsonwebtoken::encode(&Header::new(alg), claims, &key).unwrap()
}

#[rstest]
#[tokio::test]
async fn missing_or_malformed_credentials_are_401(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.enable_org("acme").await;

    let res = app.client.get(app.url(ORG)).send().await.unwrap();
    let message = assert_unauthorized(res).await;
    assert!(message.contains("Authorization"), "{message}");

    for header in [
        "Basic YWxpY2U6c2VjcmV0",
        "Bearer",
        "Bearer not-a-jwt",
        "Bearer a.b.c",
    ] {
        let res = app
            .client
            .get(app.url(ORG))
            .header("Authorization", header)
            .send()
            .await
            .unwrap();
        assert_unauthorized(res).await;
    }
}

#[rstest]
#[tokio::test]
async fn expired_wrongly_signed_and_unsigned_jwts_are_401(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.enable_org("acme").await;

    // Expired an hour ago.
    let expired = hs256(
        SECRET.as_bytes(),
        &json!({"sub": "s", "exp": now_plus(-3600), "role": "support"}),
    );
    let message = assert_unauthorized(app.get(ORG, &expired).await).await;
    assert!(message.contains("expired"), "{message}");
    // Past the 5 s leeway: 30 s ago is expired (the library's default leeway of 60 s accepted it).
    let just_expired = hs256(
        SECRET.as_bytes(),
        &json!({"sub": "s", "exp": now_plus(-30), "role": "support"}),
    );
    let message = assert_unauthorized(app.get(ORG, &just_expired).await).await;
    assert!(message.contains("expired"), "{message}");

    // Signed with another secret.
    let forged = hs256(
        b"another-secret-0123456789abcdef0123456789",
        &support_claims("mallory"),
    );
    let message = assert_unauthorized(app.get(ORG, &forged).await).await;
    assert!(message.contains("signature"), "{message}");

    // Valid signature, signature then tampered with: payload changed to support.
    let admin = app.admin("other");
    let mut parts: Vec<String> = admin.split('.').map(str::to_owned).collect();
    parts[1] = b64url(support_claims("alice@other").to_string().as_bytes());
    assert_unauthorized(app.get(ORG, &parts.join(".")).await).await;

    // `alg: none`, with and without a signature segment.
    let none = raw_jwt(
        &json!({"alg": "none", "typ": "JWT"}),
        &support_claims("mallory"),
        b"",
    );
    assert_unauthorized(app.get(ORG, &none).await).await;
    let none_trimmed = none.trim_end_matches('.').to_owned();
    assert_unauthorized(app.get(ORG, &none_trimmed).await).await;
    let none_upper = raw_jwt(&json!({"alg": "None"}), &support_claims("mallory"), b"x");
    assert_unauthorized(app.get(ORG, &none_upper).await).await;

    // Missing `exp`, missing `sub`, unknown role, admin without org.
    for claims in [
        json!({"sub": "s", "role": "support"}),
        json!({"exp": now_plus(600), "role": "support"}),
        json!({"sub": "s", "exp": now_plus(600), "role": "root"}),
        json!({"sub": "s", "exp": now_plus(600), "role": "admin"}),
        json!({"sub": "s", "exp": now_plus(600)}),
    ] {
        let jwt = hs256(SECRET.as_bytes(), &claims);
        assert_unauthorized(app.get(ORG, &jwt).await).await;
    }

    // An RS256 token is refused when only HS256 is configured.
    let rs = sign_pem(Algorithm::RS256, "rsa-private.pem", &support_claims("s"));
    assert_unauthorized(app.get(ORG, &rs).await).await;

    // And a good one works.
    assert_eq!(app.get(ORG, &app.support()).await.status(), StatusCode::OK);
}

#[rstest]
#[tokio::test]
async fn rs256_public_key_is_pinned_against_algorithm_confusion(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let key_file = rsa_config();
    let app = spawn_app_with(backend, &[("HUMBOL_ADMIN_JWT_PUBLIC_KEY_FILE", &key_file)]).await;

    // A properly RS256-signed support token works.
    let good = sign_pem(
        Algorithm::RS256,
        "rsa-private.pem",
        &support_claims("idp-sam"),
    );
    let res = app
        .put_json(
            ORG,
            &good,
            &json!({"name": "Acme", "scim_enabled": true, "roles": ["Member"], "default_role": "Member"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    // HS256 "signed" with the public key PEM as the HMAC secret: the classic confusion attack.
    let public_pem = std::fs::read(fixture("rsa-public.pem")).unwrap();
    let confused = hs256(&public_pem, &support_claims("mallory"));
    let message = assert_unauthorized(app.get(ORG, &confused).await).await;
    assert!(message.contains("HS256"), "{message}");

    // The test secret is not configured here either.
    assert_unauthorized(app.get(ORG, &app.support()).await).await;

    // Signed by another RSA key (the EC fixture cannot sign RS256): use ES256 with the EC key.
    let es = sign_pem(
        Algorithm::ES256,
        "ec-private.pem",
        &support_claims("mallory"),
    );
    assert_unauthorized(app.get(ORG, &es).await).await;

    // RS256 header over a signature from another algorithm.
    let mut parts: Vec<String> = confused.split('.').map(str::to_owned).collect();
    parts[0] = b64url(json!({"alg": "RS256", "typ": "JWT"}).to_string().as_bytes());
    assert_unauthorized(app.get(ORG, &parts.join(".")).await).await;

    // An expired RS256 token.
    let expired = sign_pem(
        Algorithm::RS256,
        "rsa-private.pem",
        &json!({"sub": "s", "exp": now_plus(-3600), "role": "support"}),
    );
    assert_unauthorized(app.get(ORG, &expired).await).await;
}

#[rstest]
#[tokio::test]
async fn es256_public_key_works_and_issuer_audience_are_checked(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let key_file = fixture("ec-public.pem").display().to_string();
    let app = spawn_app_with(
        backend,
        &[
            ("HUMBOL_ADMIN_JWT_PUBLIC_KEY_FILE", &key_file),
            ("HUMBOL_ADMIN_JWT_ISSUER", "https://idp.humbol.example"),
            ("HUMBOL_ADMIN_JWT_AUDIENCE", "humbol-admin"),
        ],
    )
    .await;
    let with = |extra: serde_json::Value| {
        let mut claims = support_claims("idp-sam");
        for (k, v) in extra.as_object().unwrap() {
            claims[k] = v.clone();
        }
        sign_pem(Algorithm::ES256, "ec-private.pem", &claims)
    };
    let body = json!({"name": "Acme", "scim_enabled": true, "roles": ["Member"], "default_role": "Member"});

    let good = with(json!({"iss": "https://idp.humbol.example", "aud": "humbol-admin"}));
    assert_eq!(
        app.put_json(ORG, &good, &body).await.status(),
        StatusCode::CREATED
    );

    for bad in [
        json!({"aud": "humbol-admin"}),
        json!({"iss": "https://idp.humbol.example"}),
        json!({"iss": "https://evil.example", "aud": "humbol-admin"}),
        json!({"iss": "https://idp.humbol.example", "aud": "someone-else"}),
    ] {
        assert_unauthorized(app.put_json(ORG, &with(bad), &body).await).await;
    }
    // RS256 is not accepted with an EC key configured.
    let rs = sign_pem(
        Algorithm::RS256,
        "rsa-private.pem",
        &json!({"sub": "s", "exp": now_plus(600), "role": "support",
                "iss": "https://idp.humbol.example", "aud": "humbol-admin"}),
    );
    assert_unauthorized(app.get(ORG, &rs).await).await;
}

#[rstest]
#[tokio::test]
async fn admins_see_only_their_own_org_and_no_support_routes(
    #[values(Backend::Sqlite, Backend::Postgres)] backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.enable_org("acme").await;
    app.enable_org("globex").await;
    let globex_token = app.create_token("globex", "Entra").await;
    let acme_admin = app.admin("acme");

    // Another org's resources: 404 as if the org did not exist (same as a truly unknown org).
    for path in [
        "/api/v1/orgs/globex",
        "/api/v1/orgs/globex/scim/tokens",
        "/api/v1/orgs/globex/scim/events",
        "/api/v1/orgs/nosuchorg",
    ] {
        let message = assert_error(
            app.get(path, &acme_admin).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        assert!(!message.contains("permission"), "{message}");
    }
    let res = app
        .post_json(
            "/api/v1/orgs/globex/scim/tokens",
            &acme_admin,
            &json!({"name": "x"}),
        )
        .await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app
        .delete(
            &format!(
                "/api/v1/orgs/globex/scim/tokens/{}",
                globex_token["id"].as_str().unwrap()
            ),
            &acme_admin,
        )
        .await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    // Acme's admin cannot revoke globex's token through acme's URL either.
    let res = app
        .delete(
            &format!(
                "/api/v1/orgs/acme/scim/tokens/{}",
                globex_token["id"].as_str().unwrap()
            ),
            &acme_admin,
        )
        .await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let hash = scim_core::token::parse(globex_token["token"].as_str().unwrap()).unwrap();
    assert!(app
        .store
        .authenticate(&hash, chrono::Utc::now())
        .unwrap()
        .is_some());

    // The support-only route: 403 for admins, even of their own org.
    let body = json!({"name": "Acme", "scim_enabled": true, "roles": ["Member"], "default_role": "Member"});
    let res = app.put_json("/api/v1/orgs/acme", &acme_admin, &body).await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let admin_jwt = hs256(SECRET.as_bytes(), &admin_claims("eve", "globex"));
    let res = app.put_json("/api/v1/orgs/acme", &admin_jwt, &body).await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;

    // Its own org works.
    assert_eq!(
        app.get("/api/v1/orgs/acme", &acme_admin).await.status(),
        StatusCode::OK
    );
}
