//! Shared per-process state handed to the handlers, and the bridge from async handlers to the blocking store.

use humbol_store::{Org, Store};

use crate::auth::org_not_found;
use crate::error::AppError;

/// What every handler may use.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// `HUMBOL_SCIM_PUBLIC_URL` without a trailing slash.
    pub scim_public_url: String,
    /// `false` when `HUMBOL_METRICS_BIND` serves `/metrics` elsewhere: the API's address answers 404 there.
    pub metrics_on_api_address: bool,
}

impl AppState {
    /// The SCIM tenant URL of `org`: `{HUMBOL_SCIM_PUBLIC_URL}/scim/v2/orgs/{org}`.
    pub fn scim_base_url(&self, org: &str) -> String {
        crate::config::tenant_url(&self.scim_public_url, org)
    }

    /// Runs a blocking store call on actix's blocking thread pool, answered `503` once the database is found
    /// stalled even if the call has not returned ([`humbol_ops::store_call`]).
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&Store) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let store = self.store.clone();
        humbol_ops::store_call::block(&self.store, move || f(&store)).await
    }
}

/// The organisation `slug`, or the 404 that also answers for an organisation the caller may not see.
pub fn existing_org(store: &Store, slug: &str) -> Result<Org, AppError> {
    store.org(slug)?.ok_or_else(|| org_not_found(slug))
}
