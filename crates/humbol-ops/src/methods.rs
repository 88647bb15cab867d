//! `405 Method Not Allowed` with `Allow` (RFC 9110 §15.5.6), one copy for both APIs: which methods a path is
//! served with ([`Routes`], read from the API's OpenAPI document, whose paths are the routes' templates), and
//! the status and header set on the API's own error response ([`method_not_allowed`]).

use actix_web::http::header::{HeaderValue, ALLOW};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;

/// The methods of each path template of an API, e.g. `/api/v1/orgs/{org}` → `GET, PUT`.
#[derive(Debug, Clone, Default)]
pub struct Routes {
    /// (template split at `/`, the `Allow` value)
    routes: Vec<(Vec<String>, String)>,
}

impl Routes {
    /// The routes of an OpenAPI document: each path with the methods it documents, in RFC 9110's order.
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> Routes {
        let routes = doc
            .paths
            .paths
            .iter()
            .filter_map(|(template, item)| {
                let methods: Vec<&str> = [
                    ("GET", item.get.is_some()),
                    ("HEAD", item.head.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("OPTIONS", item.options.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, served)| served.then_some(m))
                .collect();
                (!methods.is_empty()).then(|| (segments(template), methods.join(", ")))
            })
            .collect();
        Routes { routes }
    }

    /// The `Allow` value of the route that `path` matches (a `{name}` segment matches any one non-empty
    /// segment; no trailing `/` is added or removed, as the router does), if one does.
    pub fn allow(&self, path: &str) -> Option<&str> {
        let path = segments(path);
        self.routes
            .iter()
            .find(|(template, _)| {
                template.len() == path.len()
                    && template.iter().zip(&path).all(|(t, p)| {
                        (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p
                    })
            })
            .map(|(_, allow)| allow.as_str())
    }
}

fn segments(path: &str) -> Vec<String> {
    path.split('/').map(str::to_string).collect()
}

/// Makes `res` (the API's error response for the request) a `405` with `Allow: allow`.
pub fn method_not_allowed(mut res: HttpResponse, allow: &str) -> HttpResponse {
    *res.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    match HeaderValue::from_str(allow) {
        Ok(v) => {
            res.headers_mut().insert(ALLOW, v);
        }
        Err(e) => log::error!("invalid Allow value {allow:?}: {e}"),
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem, PathsBuilder};
    use utoipa::openapi::OpenApiBuilder;

    fn doc() -> utoipa::openapi::OpenApi {
        let op = || OperationBuilder::new().build();
        let mut org = PathItem::new(HttpMethod::Get, op());
        org.put = Some(op());
        OpenApiBuilder::new()
            .paths(
                PathsBuilder::new()
                    .path("/api/v1/orgs/{org}", org)
                    .path(
                        "/api/v1/orgs/{org}/scim/tokens/{id}",
                        PathItem::new(HttpMethod::Delete, op()),
                    )
                    .path("/healthz", PathItem::new(HttpMethod::Get, op())),
            )
            .build()
    }

    #[test]
    fn a_path_gets_the_methods_of_the_template_it_matches() {
        let routes = Routes::from_openapi(&doc());
        assert_eq!(routes.allow("/api/v1/orgs/acme"), Some("GET, PUT"));
        assert_eq!(routes.allow("/api/v1/orgs/acme/"), None);
        assert_eq!(
            routes.allow("/api/v1/orgs/acme/scim/tokens/42"),
            Some("DELETE")
        );
        assert_eq!(routes.allow("/healthz"), Some("GET"));
        assert_eq!(routes.allow("/api/v1/orgs"), None);
        assert_eq!(routes.allow("/api/v1/orgs/acme/scim/tokens/42/x"), None);
        assert_eq!(routes.allow("/api/v1/orgs//scim/tokens/42"), None);
        assert_eq!(routes.allow("/nowhere"), None);
    }

    #[test]
    fn the_response_becomes_a_405_with_allow() {
        let res = method_not_allowed(HttpResponse::NotFound().finish(), "GET, PUT");
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(res.headers().get(ALLOW).unwrap(), "GET, PUT");
    }
}
