//! Local development helper: `scim-api dev-token ORG` makes sure the organisation exists with SCIM enabled
//! (roles Admin, Member, Viewer; default Member, as Humbol's tutorial sets them up) and prints a new SCIM
//! token for it, so that curl, `wrk` or `scim2-tester` can talk to a local server without the admin API.
//! Production tokens come from the admin API.

use humbol_store::{NewToken, OrgSettings, Store, StoreError};
use rand::RngCore;
use scim_core::token;

/// Creates (or enables) organisation `org` and returns a fresh token for it.
pub fn dev_token(store: &Store, org: &str) -> Result<String, StoreError> {
    let settings = match store.org(org)? {
        Some(existing) => OrgSettings {
            name: existing.name,
            scim_enabled: true,
            roles: existing.roles,
            default_role: existing.default_role,
        },
        None => OrgSettings {
            name: org.to_string(),
            scim_enabled: true,
            roles: vec!["Admin".into(), "Member".into(), "Viewer".into()],
            default_role: "Member".into(),
        },
    };
    store.put_org(org, &settings)?;
    let mut random = [0u8; token::RANDOM_BYTES];
    rand::rng().fill_bytes(&mut random);
    let issued = token::from_random_bytes(&random);
    store.create_token(
        org,
        &NewToken {
            name: "dev-token".into(),
            hash: issued.hash,
            hint: issued.hint.clone(),
            expires_at: None,
        },
        "dev:scim-api",
    )?;
    Ok(issued.secret)
}
