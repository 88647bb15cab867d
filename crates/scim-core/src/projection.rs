//! `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9).

use crate::error::ScimError;
use crate::schema::ResourceTypeDef;
use serde_json::Value;

/// Which attributes a response carries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Projection {}

impl Projection {
    /// Parses the comma-separated query parameters.
    pub fn parse(_attributes: Option<&str>, _excluded: Option<&str>) -> Result<Projection, ScimError> {
        todo!()
    }
    /// Removes from `resource` what this projection does not return.
    pub fn apply(&self, _rt: &ResourceTypeDef, _resource: &mut Value) {
        todo!()
    }
    /// Whether the top-level attribute `attr_name` will be returned.
    pub fn includes(&self, _rt: &ResourceTypeDef, _attr_name: &str) -> bool {
        todo!()
    }
}
