//! `scim-api`: Humbol's SCIM server. Configuration from environment variables (`scim-api --help` lists them;
//! see [`scim_api::config`]).

use std::net::TcpListener;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use humbol_config::vars::{self, Binary};
use scim_api::{build_server, open_store, Config};

/// Humbol's SCIM 2.0 service provider: the endpoints Microsoft Entra ID's provisioning service calls.
#[derive(Debug, Parser)]
#[command(name = "scim-api", version, about, after_help = vars::help_table(&[Binary::ScimApi]))]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the SCIM API on HUMBOL_SCIM_BIND (the default command).
    Serve,
    /// Print the OpenAPI document (as committed in openapi/scim-api.json).
    Openapi,
    /// Check that the server on HUMBOL_SCIM_BIND is ready (GET /readyz): exit 0 if so, 1 if not.
    Healthcheck,
    /// For local runs and benchmarks only (built with the `dev-tools` feature): create organisation ORG if
    /// needed, enable SCIM for it and print a new SCIM token, bypassing the admin API.
    #[cfg(feature = "dev-tools")]
    DevToken {
        /// The organisation's slug.
        org: String,
    },
}

#[actix_web::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    let result = match command {
        Command::Openapi => {
            print!("{}", scim_api::openapi::document());
            return ExitCode::SUCCESS;
        }
        Command::Healthcheck => {
            return humbol_config::probe::healthcheck("scim-api", &vars::SCIM_BIND)
        }
        Command::Serve => {
            init_logging();
            serve().await
        }
        #[cfg(feature = "dev-tools")]
        Command::DevToken { org } => {
            init_logging();
            dev_token(&org)
        }
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

fn init_logging() {
    humbol_ops::logging::init();
}

async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::from_env()?;
    for warning in humbol_config::warnings::public_url(&config.public_url, Some(config.bind)) {
        log::warn!("{warning}");
    }
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

#[cfg(feature = "dev-tools")]
fn dev_token(org: &str) -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::from_env()?;
    let store = open_store(&config)?;
    let token = scim_api::dev::dev_token(&store, org)?;
    println!("{token}");
    eprintln!("SCIM tenant URL: {}", config.org_base_url(org));
    Ok(())
}
