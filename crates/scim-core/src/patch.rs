//! PATCH (RFC 7644 §3.5.2) with Microsoft Entra's legacy and compliant dialects. (being written)

use serde_json::Value;

use crate::error::ScimError;
use crate::path::PatchPath;
use crate::schema::ResourceTypeDef;

/// The `op` of a PATCH operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchOpKind {
    Add,
    Replace,
    Remove,
}

/// One PATCH operation.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOperation {
    pub op: PatchOpKind,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

/// A parsed PatchOp request body.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchRequest {
    pub operations: Vec<PatchOperation>,
}

impl PatchRequest {
    /// Parses a PatchOp body.
    pub fn from_json(_body: &Value) -> Result<PatchRequest, ScimError> {
        todo!()
    }
}

/// Applies every operation, in order, to a copy of `resource` (atomic).
pub fn apply(
    _rt: &ResourceTypeDef,
    _resource: &Value,
    _req: &PatchRequest,
) -> Result<Value, ScimError> {
    todo!()
}

/// A Group membership change the store can apply as a set operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberChange {
    Add(Vec<String>),
    Remove(Vec<String>),
    RemoveAll,
    Replace(Vec<String>),
}

/// Splits `req` into the operations on `members` (as [`MemberChange`]s) and the rest.
pub fn split_member_changes(
    _req: &PatchRequest,
) -> Result<(PatchRequest, Vec<MemberChange>), ScimError> {
    todo!()
}
