//! Discovery documents (RFC 7644 §4), built only from [`crate::schema`].

use serde_json::Value;

/// What the service provider config needs from the deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSettings {
    /// The organisation's SCIM base URL, e.g. `https://humbol.example/scim/v2/orgs/acme`.
    pub base_url: String,
    /// `filter.maxResults`: the largest page the server returns.
    pub max_results: u64,
}

pub fn service_provider_config(_cfg: &ProviderSettings) -> Value {
    todo!()
}
pub fn schemas(_base_url: &str) -> Value {
    todo!()
}
pub fn schema(_id: &str, _base_url: &str) -> Option<Value> {
    todo!()
}
pub fn resource_types(_base_url: &str) -> Value {
    todo!()
}
pub fn resource_type(_id: &str, _base_url: &str) -> Option<Value> {
    todo!()
}
