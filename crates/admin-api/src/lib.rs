//! Humbol's admin REST API: Humbol support enables SCIM for an organisation; the organisation's admin reads
//! its SCIM tenant URL, creates SCIM bearer tokens (each shown once), lists and revokes them, and reads the
//! provisioning log. Contract: `DESIGN.md`, "Admin API".
//!
//! A tour:
//! - [`config`]: environment variables, defaults, start-up errors naming the variable;
//! - [`auth`]: the JWT extractor ([`auth::Principal`]: bearer JWT or session cookie), pinned algorithms,
//!   [`mint_dev_token`]; [`session`]: the settings page's session cookie and its CSRF proof;
//! - [`pages`]: the organisation's API settings page and support's page (embedded HTML, CSS, JS);
//! - [`error`]: [`AppError`], every error as `{"error": {"code", "message"}}`;
//! - [`routes`]: one module per resource; [`openapi`]: the utoipa document at `/openapi.json`;
//! - [`middleware`]: request log and JSON errors for bad bodies, paths and queries;
//! - this file: [`build_server`] (binds nothing itself: give it a listener, port 0 in tests) and the hourly
//!   event pruning task.

pub mod auth;
pub mod config;
pub mod error;
pub mod middleware;
pub mod openapi;
pub mod pages;
pub mod routes;
pub mod session;
pub mod state;

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use humbol_store::{PoolOptions, Store, StoreError};

pub use auth::{mint_dev_token, DevTokenError, Role};
pub use config::{Config, ConfigError};
pub use error::AppError;

use auth::JwtVerifier;
use state::AppState;

/// How often old events are pruned.
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database could not be opened or migrated.
    #[error("DATABASE_URL: {0}")]
    Store(#[from] StoreError),
    /// The listener could not be used.
    #[error("HUMBOL_ADMIN_BIND: {0}")]
    Io(#[from] std::io::Error),
    /// The metrics listener (`HUMBOL_METRICS_BIND`) could not be used; the message names the variable.
    #[error("{0}")]
    Metrics(std::io::Error),
}

/// Opens the database named by `config.database_url` (running migrations) and builds the server on
/// `listener`. Call from within a Tokio runtime: the event pruning task is spawned on it.
pub fn build_server(config: Config, listener: TcpListener) -> Result<Server, StartupError> {
    let options = PoolOptions {
        connection_timeout: config.db_wait,
        sqlite_busy_timeout: config.db_wait,
        statement_timeout: Some(config.db_statement_timeout),
        ..PoolOptions::default()
    };
    let store = Store::open(&config.database_url, &options)?;
    build_server_with_store(config, store, listener)
}

/// Like [`build_server`], with an already open store.
pub fn build_server_with_store(
    config: Config,
    store: Store,
    listener: TcpListener,
) -> Result<Server, StartupError> {
    let verifier = web::Data::new(JwtVerifier::from_settings(&config.jwt)?);
    if let Some(addr) = config.metrics_bind {
        humbol_ops::metrics_server::spawn(addr, store.clone()).map_err(StartupError::Metrics)?;
    }
    let state = web::Data::new(AppState {
        store: store.clone(),
        scim_public_url: config.scim_public_url.clone(),
        metrics_on_api_address: config.metrics_bind.is_none(),
    });
    spawn_event_pruner(store, config.event_retention_days);

    let max_body = config.max_body_bytes;
    let log_format = config.log_format;
    let edge = humbol_ops::edge::Edge::new(
        humbol_ops::Api::Admin,
        config.edge.clone(),
        error::edge_refusal,
    );
    let on_connect = edge.on_connect();
    let server = HttpServer::new(move || {
        let edge = std::sync::Arc::clone(&edge);
        App::new()
            .wrap(pages::security_headers())
            .wrap(actix_web::middleware::from_fn(move |req, next| {
                humbol_ops::edge::guard(std::sync::Arc::clone(&edge), req, next)
            }))
            .wrap(actix_web::middleware::from_fn(move |req, next| {
                humbol_ops::observe(humbol_ops::Api::Admin, log_format, req, next)
            }))
            .app_data(verifier.clone())
            .app_data(state.clone())
            .app_data(middleware::json_config(max_body))
            .app_data(web::PayloadConfig::new(max_body))
            .app_data(middleware::path_config())
            .app_data(middleware::query_config())
            .configure(routes::configure)
            .configure(pages::configure)
            .configure(humbol_ops::api_page::configure)
            .service(openapi::openapi_json)
            .default_service(web::to(middleware::not_found))
    })
    .on_connect(on_connect)
    .listen(listener)?
    .run();
    Ok(server)
}

/// Deletes every organisation's provisioning events older than `retention_days`; returns how many.
/// Blocking (call from a blocking thread).
pub fn prune_old_events(store: &Store, retention_days: u32) -> Result<u64, StoreError> {
    let cutoff = chrono::Utc::now() - chrono::Duration::days(i64::from(retention_days));
    store.prune_events(cutoff)
}

/// Spawns the hourly pruning of events older than `retention_days` (first run right away). Does nothing
/// outside a Tokio runtime.
fn spawn_event_pruner(store: Store, retention_days: u32) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        log::warn!("no Tokio runtime: event pruning disabled");
        return;
    };
    runtime.spawn(async move {
        let mut interval = tokio::time::interval(PRUNE_INTERVAL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            let store = store.clone();
            match tokio::task::spawn_blocking(move || prune_old_events(&store, retention_days))
                .await
            {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => {
                    log::info!("pruned {n} provisioning events older than {retention_days} days")
                }
                Ok(Err(e)) => log::warn!("event pruning failed: {}", e.report()),
                Err(e) => log::warn!("event pruning task failed: {e}"),
            }
        }
    });
}
