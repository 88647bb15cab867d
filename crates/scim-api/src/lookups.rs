//! Look-ups by key on PostgreSQL, coalesced into batches.
//!
//! Entra looks a user up before every create or update. On PostgreSQL each look-up would cost a hop to a
//! blocking thread (diesel is synchronous) and a round trip to the database, and those cost more than the
//! look-up itself. So look-ups queue here: a look-up that finds fewer batches running than there are look-up connections
//! starts one at once (a lone request waits for nothing); the others wait for the next batch, which answers
//! every look-up then queued with ONE statement per kind of key, whatever the number of tokens in it
//! ([`Reader::authenticate_and_find_users`]). Under load a batch answers many requests, of one organisation or of
//! many, for one hop and one round trip. Batches run on the store's look-up
//! connections ([`Store::lookup_reader`]), one batch per connection.
//!
//! Nothing is cached: a batch starts after each of its requests arrived and checks each request's token in the
//! statement that answers it (each key is looked up in its own token's organisation only), so a revocation
//! committed before a request arrives refuses it, as it would without batching.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use actix_web::rt::task::spawn_blocking;
use chrono::Utc;
use humbol_store::{Authenticated, Page, Query, Store, StoreError};
use scim_core::resource::User;
use tokio::sync::oneshot;

/// What a look-up finds (as [`humbol_store::Reader::authenticate_and_list_users`]).
pub type Found = Result<Authenticated<Page<User>>, StoreError>;

/// The most look-ups one batch answers: bounds a statement's arrays of (token, key) pairs and a batch's latency.
const MAX_BATCH: usize = 64;

/// The queue of look-ups waiting for a batch (one per process, in [`crate::state::AppState`]).
pub struct Lookups {
    store: Store,
    max_batches: usize,
    queue: Mutex<Queue>,
}

impl std::fmt::Debug for Lookups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lookups")
            .field("max_batches", &self.max_batches)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Waiting>,
    /// Batches running (blocking threads draining the queue), at most `max_batches`.
    running: usize,
}

struct Waiting {
    token_hash: [u8; 32],
    query: Query,
    reply: oneshot::Sender<Found>,
}

impl Lookups {
    /// Batches of look-ups against `store`, as many running at once as it has look-up connections.
    pub fn new(store: Store) -> Lookups {
        Lookups {
            max_batches: store.lookup_readers().max(1),
            store,
            queue: Mutex::default(),
        }
    }

    /// Looks up `query` (a look-up by key, [`Query::is_user_key_lookup`]) with the token whose hash is
    /// `token_hash`, in the next batch.
    pub async fn find(self: &Arc<Self>, token_hash: [u8; 32], query: Query) -> Found {
        if self.store.is_down() {
            // A batch may be stuck on a stalled server: fail at once rather than queue behind it.
            return Err(StoreError::Unavailable("the database is down".into()));
        }
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut queue = self.queue();
            queue.waiting.push(Waiting {
                token_hash,
                query,
                reply,
            });
            let start = queue.running < self.max_batches;
            queue.running += usize::from(start);
            start
        };
        if start {
            let this = Arc::clone(self);
            // Detached: the batch answers through the channels.
            drop(spawn_blocking(move || this.drain()));
        }
        answer.await.unwrap_or_else(|_| {
            Err(StoreError::Unavailable(
                "the look-up's batch stopped before answering".into(),
            ))
        })
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Answers batches until the queue is empty (blocking thread).
    fn drain(&self) {
        let mut running = Running(Some(self));
        loop {
            let batch: Vec<Waiting> = {
                let mut queue = self.queue();
                if queue.waiting.is_empty() {
                    // Counted out under the same lock that saw the queue empty: a look-up queued after this
                    // starts a batch of its own.
                    queue.running -= 1;
                    running.0 = None;
                    return;
                }
                let n = queue.waiting.len().min(MAX_BATCH);
                queue.waiting.drain(..n).collect()
            };
            self.answer(batch);
        }
    }

    /// Answers one batch on one read connection: ONE [`Reader::authenticate_and_find_users`], whatever the
    /// number of tokens in it.
    ///
    /// [`Reader::authenticate_and_find_users`]: humbol_store::Reader::authenticate_and_find_users
    fn answer(&self, batch: Vec<Waiting>) {
        let (lookups, replies): (Vec<([u8; 32], Query)>, Vec<_>) = batch
            .into_iter()
            .map(|w| ((w.token_hash, w.query), w.reply))
            .unzip();
        let found = self
            .store
            .lookup_reader()
            .and_then(|mut reader| reader.authenticate_and_find_users(Utc::now(), &lookups));
        // A reply whose requester has gone (client disconnected) is dropped.
        match found {
            Ok(found) => {
                for (reply, found) in replies.into_iter().zip(found) {
                    let _ = reply.send(Ok(found));
                }
            }
            Err(e) => {
                for reply in replies {
                    let _ = reply.send(Err(e.clone()));
                }
            }
        }
    }
}

/// Counts a draining thread out if it unwinds (a bug), so that the next look-up starts another.
struct Running<'a>(Option<&'a Lookups>);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if let Some(lookups) = self.0 {
            lookups.queue().running -= 1;
        }
    }
}
