//! `HUMBOL_METRICS_BIND`: `/metrics` on an address of its own (e.g. one only the Prometheus server reaches)
//! instead of the API's address. The metrics are the process's, so one server per address and process serves
//! them all (`humbol` runs both APIs in one process and starts it once).

use std::collections::HashSet;
use std::net::{SocketAddr, TcpListener};
use std::sync::Mutex;

use actix_web::{web, App, HttpResponse, HttpServer};
use humbol_store::Store;

async fn metrics(store: web::Data<Store>) -> HttpResponse {
    crate::render(&store)
}

/// Starts, on the current Tokio runtime, a server answering only `GET /metrics` on `addr` (one worker),
/// unless this process already serves its metrics there. An address that cannot be bound is an error that
/// names `HUMBOL_METRICS_BIND`.
pub fn spawn(addr: SocketAddr, store: Store) -> std::io::Result<()> {
    static STARTED: Mutex<Option<HashSet<SocketAddr>>> = Mutex::new(None);
    let mut started = STARTED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let started = started.get_or_insert_with(HashSet::new);
    if started.contains(&addr) {
        return Ok(());
    }
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|e| std::io::Error::other(format!("HUMBOL_METRICS_BIND: no runtime: {e}")))?;
    let listener = TcpListener::bind(addr).map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("cannot listen on HUMBOL_METRICS_BIND={addr}: {e}"),
        )
    })?;
    let store = web::Data::new(store);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(store.clone())
            .route("/metrics", web::get().to(metrics))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    runtime.spawn(server);
    started.insert(addr);
    log::info!("metrics on http://{addr}/metrics");
    Ok(())
}
