//! What both OpenAPI documents share: the refusals every authenticated operation can answer, described the
//! same way in both (401, 429, 500, 503; and 400, 413, 415 for a request body), with an example body each,
//! and the examples of named operations. Each API gives its error schema, media type and example body.

use serde_json::Value;
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

/// An API's error responses.
pub struct Errors {
    /// The error schema's component name (`Error`, `ErrorBody`).
    pub schema: &'static str,
    /// The media type of error bodies.
    pub content_type: &'static str,
    /// An error body with this status and message.
    pub body: fn(status: u16, message: &str) -> Value,
}

/// Every operation of `doc`, mutably.
pub fn operations(doc: &mut OpenApi) -> impl Iterator<Item = &mut Operation> {
    doc.paths.paths.values_mut().flat_map(|item| {
        [
            item.get.as_mut(),
            item.put.as_mut(),
            item.post.as_mut(),
            item.patch.as_mut(),
            item.delete.as_mut(),
        ]
        .into_iter()
        .flatten()
    })
}

/// Adds the refusals each authenticated operation (one with a non-empty `security` requirement) can answer
/// and does not describe yet: 401, 429, 500 and 503; and 400, 413 and 415 when it has a request body.
/// Anonymous operations (health checks, the OAuth token endpoint) describe their own answers.
pub fn describe_refusals(doc: &mut OpenApi, errors: &Errors) {
    const SECURED: &[(u16, &str)] = &[
        (401, "Missing, invalid, expired or revoked credential"),
        (
            429,
            "Too many requests: retry later (after `Retry-After` seconds when the header is present)",
        ),
        (500, "Unexpected server error (reported in the server's log); retry later"),
        (503, "The database is not reachable: retry later"),
    ];
    const WITH_BODY: &[(u16, &str)] = &[
        (400, "Malformed or invalid body"),
        (413, "Body larger than HUMBOL_MAX_BODY_BYTES"),
        (415, "Unsupported Content-Type"),
    ];
    for op in operations(doc) {
        // `security(())` (an empty requirement: anonymous) is not secured.
        let secured = op.security.iter().flatten().any(|requirement| {
            serde_json::to_value(requirement)
                .is_ok_and(|v| v.as_object().is_some_and(|o| !o.is_empty()))
        });
        if !secured {
            continue;
        }
        let mut add: Vec<(u16, &str)> = SECURED.to_vec();
        if op.request_body.is_some() {
            add.extend_from_slice(WITH_BODY);
        }
        for (status, description) in add {
            let key = status.to_string();
            if op.responses.responses.contains_key(&key) {
                continue;
            }
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(errors.schema)))
                .example(Some((errors.body)(status, description)))
                .build();
            let mut response = ResponseBuilder::new()
                .description(description)
                .content(errors.content_type, content);
            if status == 429 || status == 503 {
                response = response.header(
                    "Retry-After",
                    HeaderBuilder::new()
                        .schema(ObjectBuilder::new().schema_type(Type::Integer))
                        .description(Some("Seconds to wait before retrying (when present)"))
                        .build(),
                );
            }
            op.responses
                .responses
                .insert(key, RefOr::T(response.build()));
        }
    }
}

/// A named example: (name, summary, value).
pub type Example = (&'static str, &'static str, Value);

fn examples_into(
    content: &mut utoipa::openapi::Content,
    examples: impl IntoIterator<Item = Example>,
) {
    for (name, summary, value) in examples {
        content.examples.insert(
            name.to_string(),
            RefOr::T(
                ExampleBuilder::new()
                    .summary(summary)
                    .value(Some(value))
                    .build(),
            ),
        );
    }
}

/// Adds `examples` to the request body of the operation `operation_id` (every media type it accepts).
/// Returns `false` when there is no such operation or it has no body (a test checks every call).
pub fn request_examples(doc: &mut OpenApi, operation_id: &str, examples: &[Example]) -> bool {
    let Some(op) = operations(doc).find(|op| op.operation_id.as_deref() == Some(operation_id))
    else {
        return false;
    };
    let Some(body) = op.request_body.as_mut() else {
        return false;
    };
    for content in body.content.values_mut() {
        examples_into(content, examples.iter().cloned());
    }
    true
}

/// Adds `examples` to the response `status` of the operation `operation_id`. Returns `false` when there is
/// no such operation or response.
pub fn response_examples(
    doc: &mut OpenApi,
    operation_id: &str,
    status: u16,
    examples: &[Example],
) -> bool {
    let Some(op) = operations(doc).find(|op| op.operation_id.as_deref() == Some(operation_id))
    else {
        return false;
    };
    let Some(RefOr::T(response)) = op.responses.responses.get_mut(&status.to_string()) else {
        return false;
    };
    for content in response.content.values_mut() {
        examples_into(content, examples.iter().cloned());
    }
    !response.content.is_empty()
}
