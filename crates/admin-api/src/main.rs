//! `admin-api`: serves Humbol's admin REST API (the default), or prints a dev JWT or the OpenAPI document.

use std::net::TcpListener;
use std::process::ExitCode;
use std::time::Duration;

use admin_api::{build_server, mint_dev_token, Config, Role};
use clap::{Parser, Subcommand};
use humbol_config::vars::{self, Binary};

/// Humbol's admin REST API. Configuration comes from environment variables (see the README).
#[derive(Debug, Parser)]
#[command(name = "admin-api", version, about, after_help = vars::help_table(&[Binary::AdminApi]))]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API on HUMBOL_ADMIN_BIND (the default command).
    Serve,
    /// Print an HS256 admin JWT signed with HUMBOL_ADMIN_JWT_SECRET, for local development.
    DevToken {
        /// `admin` (of --org) or `support`.
        #[arg(long, value_enum)]
        role: Role,
        /// The organisation of an admin.
        #[arg(long)]
        org: Option<String>,
        /// The `sub` claim (shown as the actor in the event log).
        #[arg(long, default_value = "dev")]
        sub: String,
        /// Validity in hours.
        #[arg(long, default_value_t = 12)]
        ttl_hours: u64,
    },
    /// Print the OpenAPI document (as committed in openapi/admin-api.json).
    Openapi,
    /// Check that the server on HUMBOL_ADMIN_BIND is ready (GET /readyz): exit 0 if so, 1 if not.
    Healthcheck,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(),
        Command::DevToken {
            role,
            org,
            sub,
            ttl_hours,
        } => {
            // Read exactly as the server reads it: a secret the server would refuse is refused here.
            let env = humbol_config::Env::new(&humbol_config::process_env);
            let secret = match env.get(&vars::ADMIN_JWT_SECRET, humbol_config::parse::jwt_secret) {
                Ok(Some(secret)) => secret,
                Ok(None) => {
                    eprintln!(
                        "admin-api dev-token: {}",
                        admin_api::DevTokenError::NoSecret
                    );
                    return ExitCode::from(2);
                }
                Err(e) => {
                    eprintln!("admin-api dev-token: {e}");
                    return ExitCode::from(2);
                }
            };
            let ttl = Duration::from_secs(ttl_hours.saturating_mul(3600));
            match mint_dev_token(&secret, role, org.as_deref(), &sub, ttl) {
                Ok(token) => {
                    println!("{token}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("admin-api dev-token: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Healthcheck => humbol_config::probe::healthcheck("admin-api", &vars::ADMIN_BIND),
        Command::Openapi => match admin_api::openapi::document_json() {
            Ok(json) => {
                print!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("admin-api openapi: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

fn serve() -> ExitCode {
    humbol_ops::logging::init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("admin-api: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    for warning in humbol_config::warnings::public_url(&config.scim_public_url, None) {
        log::warn!("{warning}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("admin-api: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let listener = match TcpListener::bind(config.bind) {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!(
                    "admin-api: HUMBOL_ADMIN_BIND: cannot listen on {}: {e}",
                    config.bind
                );
                return ExitCode::FAILURE;
            }
        };
        let summary = format!(
            "admin API listening on http://{} (database {}, SCIM public URL {})",
            config.bind,
            humbol_config::redact_database_url(&config.database_url),
            config.scim_public_url
        );
        let server = match build_server(config, listener) {
            Ok(server) => server,
            Err(e) => {
                eprintln!("admin-api: cannot start: {e}");
                return ExitCode::FAILURE;
            }
        };
        log::info!("{summary}");
        match server.await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("admin-api: server error: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
