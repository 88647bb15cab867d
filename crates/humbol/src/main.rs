//! `humbol`: Humbol's SCIM API and admin API in one process over one store, for local use — the quickstart
//! (`cargo run -p humbol`). Production runs the `scim-api` and `admin-api` binaries separately
//! (docker-compose.yml); both read the same environment variables as here (README, "Configuration").
//!
//! When `HUMBOL_ADMIN_JWT_SECRET` is not set, it makes a secret for this run and prints what a newcomer needs
//! next: the two URLs, a support JWT, an admin JWT for the demo organisation, sign-in links to the API settings
//! pages for both, and `curl` lines that enable SCIM, create a SCIM token and call `/Users`. These credentials are printed to the terminal, never to the log.

use std::error::Error;
use std::net::TcpListener;
use std::process::ExitCode;
use std::time::Duration;

use admin_api::{mint_dev_token, Role};
use clap::Parser;
use humbol_config::vars::{self, Binary};
use rand::RngCore;

/// The organisation the printed admin JWT and `curl` lines are for.
const DEMO_ORG: &str = "demo";
/// How long the printed JWTs stay valid.
const DEV_JWT_TTL: Duration = Duration::from_secs(12 * 60 * 60);

/// Both Humbol APIs (SCIM and admin) in one process over one store, for local use. Production runs the
/// `scim-api` and `admin-api` binaries separately.
#[derive(Debug, Parser)]
#[command(
    name = "humbol",
    version,
    about,
    after_help = vars::help_table(&[Binary::ScimApi, Binary::AdminApi])
)]
struct Cli {}

#[actix_web::main]
async fn main() -> ExitCode {
    // `--help` and `--version` print and exit here, before anything is opened or bound.
    let Cli {} = Cli::parse();
    humbol_ops::logging::init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("humbol: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run() -> Result<(), Box<dyn Error>> {
    let env = humbol_config::Env::new(&humbol_config::process_env);
    let generated_secret = (!env.is_set(&vars::ADMIN_JWT_SECRET)).then(random_secret);
    let lookup = |name: &str| match (name, &generated_secret) {
        (n, Some(secret)) if n == vars::ADMIN_JWT_SECRET.name => Some(secret.clone()),
        _ => humbol_config::process_env(name),
    };
    let mut scim_config = scim_api::Config::from_lookup(lookup)?;
    let mut admin_config = admin_api::Config::from_lookup(lookup)?;

    let scim_listener = TcpListener::bind(scim_config.bind)
        .map_err(|e| format!("HUMBOL_SCIM_BIND {}: {e}", scim_config.bind))?;
    let admin_listener = TcpListener::bind(admin_config.bind)
        .map_err(|e| format!("HUMBOL_ADMIN_BIND {}: {e}", admin_config.bind))?;
    let scim_url = format!("http://{}", scim_listener.local_addr()?);
    let admin_url = format!("http://{}", admin_listener.local_addr()?);
    if !env.is_set(&vars::SCIM_PUBLIC_URL) {
        // Locally the public URL is where the SCIM API really listens (HUMBOL_SCIM_BIND may be port 0).
        scim_config.public_url.clone_from(&scim_url);
        admin_config.scim_public_url.clone_from(&scim_url);
    }

    for warning in humbol_config::warnings::public_url(
        &scim_config.public_url,
        scim_listener.local_addr().ok(),
    ) {
        log::warn!("{warning}");
    }
    let store = scim_api::open_store(&scim_config)?;
    let scim = scim_api::build_server(scim_config, store.clone(), scim_listener)?;
    let admin = admin_api::build_server_with_store(admin_config, store, admin_listener)?;
    log::info!("SCIM API on {scim_url}, admin API on {admin_url}");
    if let Some(secret) = &generated_secret {
        println!("{}", welcome(secret, &scim_url, &admin_url)?);
    }
    tokio::try_join!(scim, admin)?;
    Ok(())
}

/// A fresh 256-bit HS256 secret, hex-encoded.
fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a newcomer needs next: the URLs, two JWTs and copy-paste `curl` lines.
fn welcome(secret: &str, scim_url: &str, admin_url: &str) -> Result<String, Box<dyn Error>> {
    let support = mint_dev_token(
        secret.as_bytes(),
        Role::Support,
        None,
        "quickstart-support",
        DEV_JWT_TTL,
    )?;
    let admin = mint_dev_token(
        secret.as_bytes(),
        Role::Admin,
        Some(DEMO_ORG),
        "quickstart-admin",
        DEV_JWT_TTL,
    )?;
    Ok(format!(
        r#"
Humbol is running (no HUMBOL_ADMIN_JWT_SECRET was set, so this run made one; its JWTs die with it).
  SCIM API:  {scim_url}
  admin API: {admin_url}
  interactive API pages: {scim_url}/docs and {admin_url}/docs

  export SUPPORT_JWT={support}
  export ADMIN_JWT={admin}

Sign in to the API settings pages in a browser (the links hold the JWTs above; Humbol's app makes such links):
  support (enable SCIM for `{DEMO_ORG}` first): {admin_url}/signin#token={support}
  the `{DEMO_ORG}` organisation's admin:        {admin_url}/signin#token={admin}

# 1. As Humbol support, enable SCIM for the demo organisation:
curl -sS -X PUT {admin_url}/api/v1/orgs/{DEMO_ORG} -H "Authorization: Bearer $SUPPORT_JWT" \
  -H 'Content-Type: application/json' \
  -d '{{"name": "Demo", "scim_enabled": true, "roles": ["Admin", "Member", "Viewer"], "default_role": "Member"}}'
# 2. As its admin, create a SCIM token (shown once; paste it into Entra with the tenant URL):
export SCIM_TOKEN=$(curl -sS -X POST {admin_url}/api/v1/orgs/{DEMO_ORG}/scim/tokens \
  -H "Authorization: Bearer $ADMIN_JWT" -H 'Content-Type: application/json' -d '{{"name": "Entra"}}' \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
# 3. Call the SCIM API as Entra does:
curl -sS {scim_url}/scim/v2/orgs/{DEMO_ORG}/Users -H "Authorization: Bearer $SCIM_TOKEN"
"#
    ))
}
