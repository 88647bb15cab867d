//! Store calls from async handlers, with a deadline: ONE helper for both APIs.
//!
//! A store call blocks (diesel is synchronous), so it runs on a blocking thread and the handler awaits it. A
//! database server that stops answering without closing its sockets (a frozen process, a stalled host) would
//! hold that thread, and the request, until it answers again. So the handler awaits the call with a deadline
//! ([`bounded`]): a call still running after [`SUSPECT_AFTER`] makes the store suspect its database (a probe
//! opens the circuit when a fresh connection gets no answer within a second; [`Store::suspect`]), and the
//! request is answered `503` (with `Retry-After`, as every [`StoreError::Unavailable`]) as soon as the circuit
//! is open, or once [`Store::call_deadline`] has passed, while the blocking thread is left to finish (or fail)
//! when the database answers. A call that the caller stops awaiting may still complete: a `503` never
//! acknowledges a write, and a retry of a create finds the resource it made (409).

use std::future::Future;
use std::time::{Duration, Instant};

use actix_web::error::BlockingError;
use actix_web::web;
use humbol_store::{Store, StoreError};

/// A call still running after this makes the caller suspect the database ([`Store::suspect`]): far above a
/// healthy statement's time, and early enough for a `503` within two seconds of a stall.
pub const SUSPECT_AFTER: Duration = Duration::from_millis(500);

/// How often a suspect call looks at the circuit (and suspects again).
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// Runs `f` (a store call) on a blocking thread and awaits it within the deadline of [`bounded`].
pub async fn block<T, E, F>(store: &Store, f: F) -> Result<T, E>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<StoreError> + From<BlockingError> + Send + 'static,
{
    match bounded(store, web::block(f)).await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => Err(E::from(e)),
        Err(e) => Err(E::from(e)),
    }
}

/// Awaits `work` (a store call running elsewhere, e.g. on a blocking thread): its output, or
/// [`StoreError::Unavailable`] once the circuit is open or [`Store::call_deadline`] has passed while it still
/// runs. After [`SUSPECT_AFTER`] the store is told to suspect its database, again every [`LOOK_EVERY`] (it
/// probes at most a few times a second).
pub async fn bounded<F: Future>(store: &Store, work: F) -> Result<F::Output, StoreError> {
    let started = Instant::now();
    let mut work = std::pin::pin!(work);
    if let Ok(out) = tokio::time::timeout(SUSPECT_AFTER, &mut work).await {
        return Ok(out);
    }
    let deadline = started + store.call_deadline();
    loop {
        if store.is_down() {
            return Err(StoreError::Unavailable(
                "the database stopped answering during the request".into(),
            ));
        }
        if Instant::now() >= deadline {
            return Err(StoreError::Unavailable(
                format!(
                    "no answer from the database within {:?}",
                    store.call_deadline()
                )
                .into(),
            ));
        }
        store.suspect();
        if let Ok(out) = tokio::time::timeout(LOOK_EVERY, &mut work).await {
            return Ok(out);
        }
    }
}
