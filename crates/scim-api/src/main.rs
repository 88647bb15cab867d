//! `scim-api`: Humbol's SCIM server. Configuration from environment variables (see [`scim_api::config`]).
//!
//! `scim-api openapi` prints the OpenAPI document instead (what `openapi/scim-api.json` holds).

use std::net::TcpListener;
use std::process::ExitCode;

use scim_api::{build_server, open_store, Config};

#[actix_web::main]
async fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("openapi") {
        print!("{}", scim_api::openapi::document());
        return ExitCode::SUCCESS;
    }
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("{e}");
            eprintln!("scim-api: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
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
