//! Humbol's SCIM 2.0 service provider (RFC 7643 / RFC 7644), one tenant URL per organisation:
//! `{HUMBOL_SCIM_PUBLIC_URL}/scim/v2/orgs/{org}`, which Microsoft Entra ID's provisioning service calls.
//!
//! - [`config`]: typed configuration from environment variables;
//! - [`build_server`]: the actix-web server on a given listener (the binary and the tests both use it);
//! - [`routes`]: the endpoints (Users, Groups, discovery, health), thin handlers over `scim_core` and
//!   `humbol_store`;
//! - [`routes::oauth`]: the OAuth 2.0 token endpoint (client secrets, and client assertions verified by
//!   [`federation`]);
//! - [`auth`]: bearer-token authentication, token use recorded in memory ([`state::TokenUses`]) and flushed
//!   every [`config::Config::token_use_flush`];
//! - [`rules`]: Humbol's rules on resources beyond SCIM (an organisation's roles);
//! - [`content`], [`error`]: `application/scim+json` in and out, SCIM error bodies for every refusal;
//! - the request log and `/metrics`: [`humbol_ops`], shared with the admin API; [`openapi`]: the OpenAPI
//!   document at `/openapi.json`;
//! - `dev` (feature `dev-tools` only): `scim-api dev-token ORG`, an organisation and token for local runs.

pub mod auth;
pub mod config;
pub mod content;
#[cfg(feature = "dev-tools")]
pub mod dev;
pub mod error;
pub mod federation;
pub mod lookups;
pub mod openapi;
pub mod routes;
pub mod rules;
pub mod state;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, NormalizePath};
use actix_web::{web, App, HttpServer};
use humbol_store::{PoolOptions, Store, StoreError};

pub use config::Config;
use state::AppState;

/// Opens (and migrates) the database named by the configuration.
pub fn open_store(config: &Config) -> Result<Store, StoreError> {
    let options = PoolOptions {
        max_size: config.db_pool_size.unwrap_or(0),
        connection_timeout: config.db_wait,
        sqlite_busy_timeout: config.db_wait,
        statement_timeout: Some(config.db_statement_timeout),
    };
    Store::open(&config.database_url, &options)
}

/// The SCIM server on `listener` (bind to port 0 for tests). Call it inside a Tokio runtime (as
/// `#[actix_web::main]` or `#[tokio::test]` provide): it starts the task that flushes the tokens' last-use
/// times. The returned [`Server`] runs when awaited or spawned.
pub fn build_server(
    config: Config,
    store: Store,
    listener: TcpListener,
) -> std::io::Result<Server> {
    if let Some(addr) = config.metrics_bind {
        humbol_ops::metrics_server::spawn(addr, store.clone())?;
    }
    let state = web::Data::new(AppState::new(config, store)?);
    spawn_token_use_flusher(state.clone().into_inner());
    let max_body = state.config.max_body_bytes;
    let workers = state.config.workers.unwrap_or_else(config::default_workers);
    let log_format = state.config.log_format;
    let edge = humbol_ops::edge::Edge::new(
        humbol_ops::Api::Scim,
        state.config.edge.clone(),
        error::edge_refusal,
    );
    let on_connect = edge.on_connect();
    let server = HttpServer::new(move || {
        let edge = Arc::clone(&edge);
        App::new()
            .app_data(state.clone())
            .app_data(content::payload_config(max_body))
            .app_data(content::json_config(max_body))
            .app_data(content::query_config())
            .app_data(content::path_config())
            .configure(routes::configure)
            .configure(humbol_ops::api_page::configure)
            .default_service(web::to(content::not_found))
            .wrap(from_fn(content::scim_error_bodies))
            .wrap(NormalizePath::trim())
            .wrap(from_fn(move |req, next| {
                humbol_ops::edge::guard(Arc::clone(&edge), req, next)
            }))
            .wrap(from_fn(move |req, next| {
                humbol_ops::observe(humbol_ops::Api::Scim, log_format, req, next)
            }))
    });
    Ok(server
        .on_connect(on_connect)
        .workers(workers)
        .listen(listener)?
        .run())
}

/// Writes the tokens' last-use times to the database every `token_use_flush`.
fn spawn_token_use_flusher(state: Arc<AppState>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        log::warn!("no Tokio runtime: token last-use times will not be recorded");
        return;
    };
    let period = state.config.token_use_flush;
    runtime.spawn(async move {
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await; // the first tick is immediate
        loop {
            ticker.tick().await;
            let state = Arc::clone(&state);
            let flushed =
                tokio::task::spawn_blocking(move || state.token_uses.flush(&state.store)).await;
            if let Err(e) = flushed {
                log::warn!("token use flush failed: {e}");
            }
        }
    });
}
