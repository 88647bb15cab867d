//! `loadgen seed`: bulk-loads users straight into a database through `humbol_store::testing::seed_users`
//! (multi-row inserts in one transaction, no provisioning events), much faster than POSTing them.

use std::time::Instant;

use clap::Args;
use humbol_store::{OrgSettings, PoolOptions, Store};
use scim_core::resource::{Email, Name, User};

use crate::client::user_name;
use crate::Error;

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// The database: sqlite://PATH or postgres://... (migrations are run if needed).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
    /// The organisation's slug; created (roles Admin, Member, Viewer; default Member) if it does not exist.
    #[arg(long)]
    pub org: String,
    /// How many users to add.
    #[arg(long)]
    pub users: usize,
    /// userNames are `{prefix}{i}@contoso.com`.
    #[arg(long, default_value = "user")]
    pub prefix: String,
    /// The first `i` (to add more users to an organisation seeded before).
    #[arg(long, default_value_t = 0)]
    pub start: usize,
}

/// Seeds the users and prints how long it took.
pub fn run(args: &SeedArgs) -> Result<(), Error> {
    let store = Store::open(&args.database_url, &PoolOptions::default())?;
    let org = match store.org(&args.org)? {
        Some(org) => org,
        None => {
            let settings = OrgSettings {
                name: args.org.clone(),
                scim_enabled: true,
                roles: vec!["Admin".into(), "Member".into(), "Viewer".into()],
                default_role: "Member".into(),
            };
            store.put_org(&args.org, &settings)?.0
        }
    };
    let started = Instant::now();
    humbol_store::testing::seed_users(&store, &org.slug, args.users, |k| {
        user(&args.prefix, args.start + k, &org.default_role)
    })?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "seeded {} users into {} ({} backend) in {secs:.1} s ({:.0} users/s)",
        args.users,
        org.slug,
        store.backend(),
        args.users as f64 / secs.max(1e-9)
    );
    Ok(())
}

/// User `i` as Entra would have created it (see `client::create_user_body`), with the organisation's default
/// role.
fn user(prefix: &str, i: usize, role: &str) -> User {
    let name = user_name(prefix, i);
    User {
        user_name: name.clone(),
        external_id: Some(uuid::Uuid::new_v4().to_string()),
        active: true,
        name: Name {
            formatted: Some(format!("Given{i} Family{i}")),
            family_name: Some(format!("Family{i}")),
            given_name: Some(format!("Given{i}")),
        },
        emails: vec![Email {
            value: name,
            kind: Some("work".into()),
            primary: true,
        }],
        role: Some(role.to_string()),
        ..Default::default()
    }
}
