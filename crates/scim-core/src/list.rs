//! List/query parameters (RFC 7644 §3.4.2, §3.4.3) and the ListResponse.

use crate::error::ScimError;
use crate::filter::Filter;
use crate::path::AttrPath;
use crate::projection::Projection;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    Ascending,
    Descending,
}

/// The raw query parameters of `GET /Users`, `GET /Groups`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListParams {
    pub filter: Option<String>,
    pub sort_by: Option<String>,
    pub sort_order: Option<String>,
    pub start_index: Option<String>,
    pub count: Option<String>,
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    pub sort_by: Option<AttrPath>,
    pub sort_order: SortOrder,
    pub start_index: u64,
    pub count: u64,
    pub projection: Projection,
}

impl ListQuery {
    pub fn from_params(_params: &ListParams, _max_count: u64) -> Result<ListQuery, ScimError> {
        todo!()
    }
    pub fn from_search_request(_body: &Value, _max_count: u64) -> Result<ListQuery, ScimError> {
        todo!()
    }
}

pub fn list_response(_total: u64, _start_index: u64, _resources: Vec<Value>) -> Value {
    todo!()
}
