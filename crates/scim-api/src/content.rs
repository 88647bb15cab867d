//! Content negotiation: request bodies in, `application/scim+json` out.
//!
//! - Request bodies may be `application/scim+json` or `application/json` (or carry no `Content-Type` at all);
//!   anything else is `415`. Bodies over the configured limit are `413`; malformed JSON is `400 invalidSyntax`.
//! - Every response the SCIM service writes is `application/scim+json`, errors included. The
//!   [`scim_error_bodies`] middleware turns the few empty error responses actix-web produces by itself (an
//!   extractor's refusal, a 405 from a resource) into SCIM error bodies as well.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, Responder, ResponseError};
use scim_core::ScimError;
use serde::Serialize;
use serde_json::Value;

use crate::error::ApiError;

/// The SCIM media type (RFC 7644 §3.1).
pub const SCIM_JSON: &str = "application/scim+json";

/// The one serialiser of SCIM response bodies: `(status, bytes)`. A body that does not serialise (a map with
/// non-string keys, a failing `Serialize` impl) is logged and answered as a 500 SCIM error, never as an empty
/// or partial body with the intended status.
pub fn scim_body(status: StatusCode, body: &impl Serialize) -> (StatusCode, Vec<u8>) {
    // Room for a typical resource up front (serde_json starts at 128 bytes and grows by doubling).
    let mut bytes = Vec::with_capacity(2048);
    match serde_json::to_writer(&mut bytes, body) {
        Ok(()) => (status, bytes),
        Err(e) => not_serialised(&e),
    }
}

/// The answer to a body that did not serialise (logged): a 500 SCIM error.
fn not_serialised(e: &serde_json::Error) -> (StatusCode, Vec<u8>) {
    log::error!("could not serialise a response: {e}");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"500","detail":"internal error"}"#
            .to_vec(),
    )
}

/// The one SCIM response type, of results and errors alike: status, body serialised by [`scim_body`] (so a
/// body that does not serialise is a 500, never an empty success), `Content-Type: application/scim+json`, and
/// the `ETag` / `Location` headers. Built on a blocking thread (so it is `Send`, which `HttpResponse` is not).
#[derive(Debug)]
pub struct Reply {
    status: StatusCode,
    body: Body,
    etag: Option<String>,
    location: Option<String>,
    /// The body did not serialise: the reply is a 500 whatever the handler sets afterwards.
    failed: bool,
}

impl Reply {
    /// `200` with `body`.
    pub fn ok(body: &impl Serialize) -> Reply {
        Reply::json(StatusCode::OK, body)
    }

    /// `status` with `body` (a `Value`, or a type written directly such as a list of
    /// [`scim_core::resource::UserJson`]).
    pub fn json(status: StatusCode, body: &impl Serialize) -> Reply {
        let (written, bytes) = scim_body(status, body);
        Reply::new(written, Body::Whole(bytes), written != status)
    }

    fn new(status: StatusCode, body: Body, failed: bool) -> Reply {
        Reply {
            status,
            body,
            etag: None,
            location: None,
            failed,
        }
    }

    /// `200` with a body sent in pieces as they are written (a group's members), so that a large body is never
    /// held whole. A first piece that does not serialise is a 500, as with [`Reply::json`]; a later one ends the
    /// response early (its status has been sent).
    pub fn pieces(pieces: Result<Pieces, serde_json::Error>) -> Reply {
        match pieces {
            Ok(pieces) => Reply::new(StatusCode::OK, Body::Pieces(pieces), false),
            Err(e) => {
                let (status, bytes) = not_serialised(&e);
                Reply::new(status, Body::Whole(bytes), true)
            }
        }
    }

    /// `204 No Content`.
    pub fn no_content() -> Reply {
        Reply::new(StatusCode::NO_CONTENT, Body::Empty, false)
    }

    /// Sets the status (e.g. `201 Created`).
    pub fn status(mut self, status: StatusCode) -> Reply {
        if !self.failed {
            self.status = status;
        }
        self
    }

    /// Adds an `ETag` header.
    pub fn etag(mut self, etag: String) -> Reply {
        if !self.failed {
            self.etag = Some(etag);
        }
        self
    }

    /// Adds a `Location` header.
    pub fn location(mut self, location: String) -> Reply {
        if !self.failed {
            self.location = Some(location);
        }
        self
    }
}

/// A body written piece by piece ([`Reply::pieces`]).
pub type Pieces = scim_core::resource::GroupPieces;

#[derive(Debug)]
enum Body {
    Whole(Vec<u8>),
    Pieces(Pieces),
    Empty,
}

impl Reply {
    /// The HTTP response.
    pub fn into_response(self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        if let Some(etag) = self.etag.and_then(|e| HeaderValue::from_str(&e).ok()) {
            builder.insert_header((header::ETAG, etag));
        }
        if let Some(location) = self.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            builder.insert_header((header::LOCATION, location));
        }
        let content_type = (header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
        match self.body {
            Body::Whole(body) => builder.insert_header(content_type).body(body),
            Body::Pieces(pieces) => {
                builder
                    .insert_header(content_type)
                    .streaming(futures_util::stream::iter(
                        pieces.map(|p| p.map(Bytes::from)),
                    ))
            }
            Body::Empty => builder.finish(),
        }
    }
}

impl Responder for Reply {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        self.into_response()
    }
}

/// Reads a request body as JSON, after checking its content type, its size (`body` comes from the `Bytes`
/// extractor, limited by [`payload_config`]) and its syntax. Each refusal is the matching SCIM error.
pub fn json_body(
    req: &HttpRequest,
    body: Result<Bytes, actix_web::Error>,
) -> Result<Value, ScimError> {
    check_content_type(req)?;
    let bytes = body.map_err(|e| payload_error(&e))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ScimError::invalid_syntax("the request body is empty"));
    }
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        ScimError::invalid_syntax(format!("the request body is not valid JSON: {e}"))
    })?;
    if holds_nul(&value) {
        // No attribute may hold U+0000 (PostgreSQL cannot store it): refused here, the same on both backends.
        return Err(ScimError::invalid_value(
            "the request body holds a U+0000 (NUL) character",
        ));
    }
    Ok(value)
}

/// Whether any string (or member name) of `v` holds U+0000.
fn holds_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(a) => a.iter().any(holds_nul),
        Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

/// `415` unless the request's `Content-Type` is `application/scim+json` or `application/json` (or absent).
fn check_content_type(req: &HttpRequest) -> Result<(), ScimError> {
    let unsupported = || {
        ScimError::new(
            415,
            None,
            format!("unsupported Content-Type: send {SCIM_JSON} or application/json"),
        )
    };
    match req.mime_type() {
        Ok(None) => Ok(()),
        Ok(Some(mime)) => {
            let essence = mime.essence_str();
            if essence.eq_ignore_ascii_case(SCIM_JSON)
                || essence.eq_ignore_ascii_case("application/json")
            {
                Ok(())
            } else {
                Err(unsupported())
            }
        }
        Err(_) => Err(unsupported()),
    }
}

/// The SCIM error for a body that could not be read.
fn payload_error(e: &actix_web::Error) -> ScimError {
    match e.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => too_large(),
        Some(p) if humbol_ops::edge::is_body_timeout(p) => too_slow(),
        _ => ScimError::invalid_syntax(format!("the request body could not be read: {e}")),
    }
}

/// 408: the body did not arrive within `HUMBOL_BODY_TIMEOUT_SECS`.
fn too_slow() -> ScimError {
    ScimError::new(408, None, humbol_ops::edge::BODY_TIMEOUT)
}

fn too_large() -> ScimError {
    ScimError::new(
        413,
        None,
        "the request body is larger than this server accepts",
    )
}

/// The body size limit for the `Bytes` extractor.
pub fn payload_config(limit: usize) -> web::PayloadConfig {
    web::PayloadConfig::new(limit)
}

/// Limit and SCIM error bodies for `web::Json` (should a handler use it).
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .content_type_required(false)
        .content_type(|mime| {
            mime.essence_str().eq_ignore_ascii_case(SCIM_JSON)
                || mime.essence_str().eq_ignore_ascii_case("application/json")
        })
        .error_handler(|err, _req| {
            use actix_web::error::JsonPayloadError as J;
            let scim = match &err {
                J::OverflowKnownLength { .. } | J::Overflow { .. } => too_large(),
                J::ContentType => ScimError::new(
                    415,
                    None,
                    format!("unsupported Content-Type: send {SCIM_JSON} or application/json"),
                ),
                J::Payload(PayloadError::Overflow) => too_large(),
                J::Payload(p) if humbol_ops::edge::is_body_timeout(p) => too_slow(),
                other => ScimError::invalid_syntax(format!(
                    "the request body is not valid JSON: {other}"
                )),
            };
            ApiError(scim).into()
        })
}

/// SCIM error bodies for query strings that do not deserialise.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        ApiError(ScimError::invalid_value(format!(
            "invalid query string: {err}"
        )))
        .into()
    })
}

/// SCIM error bodies for path segments that do not deserialise.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| {
        ApiError(ScimError::not_found(format!("invalid path: {err}"))).into()
    })
}

/// The default service: `404` for every unknown route.
pub async fn not_found() -> HttpResponse {
    ApiError(ScimError::not_found("no such endpoint")).error_response()
}

/// A resource's default service: `405` for a known path with a method it does not serve, with `Allow` naming
/// the methods it does serve (`"GET, POST"`).
pub fn method_not_allowed(allow: &'static str) -> actix_web::Route {
    web::to(move || async move {
        let res = ApiError(ScimError::new(
            405,
            None,
            "this method is not allowed on this endpoint",
        ))
        .error_response();
        humbol_ops::methods::method_not_allowed(res, allow)
    })
}

/// Middleware: an error response without a body type (as actix-web produces on its own) gets a SCIM error
/// body; everything else passes untouched.
pub async fn scim_error_bodies(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error())
        || res.headers().contains_key(header::CONTENT_TYPE)
    {
        return Ok(res.map_into_left_body());
    }
    let detail = status
        .canonical_reason()
        .unwrap_or("error")
        .to_ascii_lowercase();
    let (req, old) = res.into_parts();
    let mut new = Reply::json(
        status,
        &ScimError::new(status.as_u16(), None, detail).to_json(),
    )
    .into_response();
    for (name, value) in old.headers() {
        if name != header::CONTENT_LENGTH && name != header::CONTENT_TYPE {
            new.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(req, new).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn body_of(req: &HttpRequest, text: &'static str) -> Result<Value, ScimError> {
        json_body(req, Ok(Bytes::from_static(text.as_bytes())))
    }

    #[test]
    fn accepts_scim_json_json_and_no_content_type() {
        for ct in [
            Some("application/scim+json"),
            Some("application/json; charset=utf-8"),
            Some("Application/SCIM+JSON"),
            None,
        ] {
            let mut t = TestRequest::post();
            if let Some(ct) = ct {
                t = t.insert_header((header::CONTENT_TYPE, ct));
            }
            let req = t.to_http_request();
            assert_eq!(body_of(&req, r#"{"a":1}"#).unwrap()["a"], 1, "{ct:?}");
        }
    }

    #[test]
    fn refuses_other_content_types_with_415() {
        let req = TestRequest::post()
            .insert_header((header::CONTENT_TYPE, "text/plain"))
            .to_http_request();
        assert_eq!(body_of(&req, "{}").unwrap_err().status, 415);
    }

    #[test]
    fn malformed_and_empty_bodies_are_invalid_syntax() {
        let req = TestRequest::post().to_http_request();
        for text in ["{", "", "  ", "{\"a\":}"] {
            let e = body_of(&req, text).unwrap_err();
            assert_eq!(e.status, 400);
            assert_eq!(e.scim_type, Some(scim_core::ScimType::InvalidSyntax));
        }
    }

    #[test]
    fn nul_anywhere_in_a_body_is_invalid_value() {
        let req = TestRequest::post().to_http_request();
        for text in [
            r#"{"a":"x\u0000"}"#,
            r#"{"a":[{"b":"\u0000"}]}"#,
            r#"{"a\u0000":1}"#,
        ] {
            let e = body_of(&req, text).unwrap_err();
            assert_eq!(e.status, 400, "{text}");
            assert_eq!(e.scim_type, Some(scim_core::ScimType::InvalidValue));
        }
        assert!(
            body_of(&req, r#"{"a":"\\u0000"}"#).is_ok(),
            "an escaped backslash is not a NUL"
        );
    }

    #[test]
    fn overflow_is_413() {
        let req = TestRequest::post().to_http_request();
        let e = json_body(&req, Err(PayloadError::Overflow.into())).unwrap_err();
        assert_eq!(e.status, 413);
    }

    #[test]
    fn a_body_that_does_not_serialise_is_a_500_never_an_empty_success() {
        // JSON object keys must be strings: this map cannot be written.
        let body: std::collections::BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
        let response = Reply::json(StatusCode::OK, &body)
            .status(StatusCode::CREATED)
            .location("https://x/Users/1".into())
            .respond_to(&TestRequest::get().to_http_request());
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!response.headers().contains_key(header::LOCATION));
        assert_eq!(
            response
                .headers()
                .get(header::CONTENT_TYPE)
                .map(|v| v.as_bytes()),
            Some(SCIM_JSON.as_bytes())
        );
        let bytes = actix_web::body::to_bytes(response.into_body());
        let bytes = futures_executor(bytes).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(json["status"], "500");
    }

    /// Runs a ready future (a response body already in memory) to completion.
    fn futures_executor<F: std::future::Future>(f: F) -> F::Output {
        actix_web::rt::System::new().block_on(f)
    }
}
