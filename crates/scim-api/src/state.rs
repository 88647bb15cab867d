//! What every handler shares: the store, the configuration, and the in-memory record of token uses.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use humbol_store::Store;

use crate::config::Config;
use crate::federation::Issuers;
use crate::lookups::Lookups;

/// The application state behind `web::Data`.
#[derive(Debug)]
pub struct AppState {
    pub store: Store,
    pub config: Config,
    pub token_uses: TokenUses,
    /// Look-ups by key on PostgreSQL, answered in batches.
    pub lookups: Arc<Lookups>,
    /// The federated issuers' keys (OAuth client assertions).
    pub issuers: Issuers,
}

impl AppState {
    /// Fails only if the HTTP client for federated issuers cannot be built (no TLS backend).
    pub fn new(config: Config, store: Store) -> std::io::Result<Self> {
        Ok(AppState {
            lookups: Arc::new(Lookups::new(store.clone())),
            issuers: Issuers::new().map_err(std::io::Error::other)?,
            store,
            config,
            token_uses: TokenUses::default(),
        })
    }
}

impl Drop for AppState {
    /// The last holder of the state (the server stopping, e.g. on SIGTERM) writes the token uses noted since
    /// the last periodic flush, so that a shutdown loses none.
    fn drop(&mut self) {
        self.token_uses.flush(&self.store);
    }
}

/// When each token was last used, kept in memory and written to the database in batches
/// ([`Store::record_token_uses`]), so that a request costs no database write for it.
#[derive(Debug, Default)]
pub struct TokenUses {
    latest: Mutex<HashMap<String, DateTime<Utc>>>,
}

impl TokenUses {
    /// Notes that token `id` was used at `at` (a later time wins).
    pub fn record(&self, id: &str, at: DateTime<Utc>) {
        let mut latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        match latest.get_mut(id) {
            Some(t) if *t >= at => {}
            Some(t) => *t = at,
            None => {
                latest.insert(id.to_string(), at);
            }
        }
    }

    /// Takes every use noted since the last call.
    pub fn take(&self) -> Vec<(String, DateTime<Utc>)> {
        let mut latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        latest.drain().collect()
    }

    /// Writes the noted uses to the database (blocking). On failure they are kept for the next flush.
    pub fn flush(&self, store: &Store) {
        let uses = self.take();
        if uses.is_empty() {
            return;
        }
        if let Err(e) = store.record_token_uses(&uses) {
            log::warn!(
                "could not record the last use of {} token(s): {e}",
                uses.len()
            );
            for (id, at) in uses {
                self.record(&id, at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn keeps_the_latest_use_per_token_and_drains() {
        let uses = TokenUses::default();
        let t1 = Utc.timestamp_opt(1_000, 0).unwrap();
        let t2 = Utc.timestamp_opt(2_000, 0).unwrap();
        uses.record("a", t2);
        uses.record("a", t1);
        uses.record("b", t1);
        let mut taken = uses.take();
        taken.sort();
        assert_eq!(taken, vec![("a".into(), t2), ("b".into(), t1)]);
        assert!(uses.take().is_empty());
    }
}
