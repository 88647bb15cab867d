//! `scim-api`: Humbol's SCIM server. Configuration from environment variables (see [`scim_api::config`]).
//!
//! - `scim-api`: runs the server;
//! - `scim-api openapi`: prints the OpenAPI document (what `openapi/scim-api.json` holds);
//! - `scim-api dev-token ORG`: for local runs, creates organisation ORG if needed, enables SCIM for it and
//!   prints a new SCIM token (production tokens come from the admin API).

use std::net::TcpListener;
use std::process::ExitCode;

use scim_api::{build_server, open_store, Config};

#[actix_web::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("openapi") {
        print!("{}", scim_api::openapi::document());
        return ExitCode::SUCCESS;
    }
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let result = match args.first().map(String::as_str) {
        None => serve().await,
        Some("dev-token") => dev_token(args.get(1).map(String::as_str)),
        Some(other) => Err(format!(
            "unknown command {other:?}; usage: scim-api [openapi | dev-token ORG]"
        )
        .into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("{e}");
            eprintln!("scim-api: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::from_env()?;
    let store = open_store(&config)?;
    let listener = TcpListener::bind(config.bind)
        .map_err(|e| format!("cannot listen on HUMBOL_SCIM_BIND={}: {e}", config.bind))?;
    log::info!(
        "SCIM API on {} ({} database), tenant URLs {}",
        config.bind,
        store.backend(),
        config.org_base_url("{org}")
    );
    build_server(config, store, listener)?.await?;
    Ok(())
}

fn dev_token(org: Option<&str>) -> Result<(), Box<dyn std::error::Error>> {
    let org = org.ok_or("usage: scim-api dev-token ORG")?;
    let config = Config::from_env()?;
    let store = open_store(&config)?;
    let token = scim_api::dev::dev_token(&store, org)?;
    println!("{token}");
    eprintln!("SCIM tenant URL: {}", config.org_base_url(org));
    Ok(())
}
