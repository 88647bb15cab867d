//! The interactive API page both binaries serve at [`PATH`] (`/docs`): every operation of the binary's own
//! `/openapi.json`, grouped by tag, with parameters, example bodies and responses, and a "Send" button that
//! calls the API from the page with a bearer token typed into it. One HTML shell, a script and a stylesheet,
//! embedded in the binary: nothing is fetched from another origin (no CDN), and the script is a file of this
//! origin, so a `script-src 'self'` Content-Security-Policy (the admin API's) allows it.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpResponse};

/// Where the page is served.
pub const PATH: &str = "/docs";

const PAGE: &str = include_str!("api_page/page.html");
const SCRIPT: &str = include_str!("api_page/page.js");
const STYLES: &str = include_str!("api_page/page.css");
const ICON: &str = include_str!("api_page/icon.svg");

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .body(body)
}

async fn page() -> HttpResponse {
    asset("text/html; charset=utf-8", PAGE)
}

async fn script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

async fn styles() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLES)
}

async fn icon() -> HttpResponse {
    asset("image/svg+xml", ICON)
}

/// Registers `GET /docs` and its assets (`/docs/api-page.js`, `.css`, `.svg`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(PATH, web::get().to(page))
        .route("/docs/api-page.js", web::get().to(script))
        .route("/docs/api-page.css", web::get().to(styles))
        .route("/docs/api-page.svg", web::get().to(icon));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_only_its_own_assets() {
        for asset in [
            "/docs/api-page.js",
            "/docs/api-page.css",
            "/docs/api-page.svg",
        ] {
            assert!(PAGE.contains(asset), "{asset}");
        }
        for text in [PAGE, SCRIPT, STYLES] {
            // (the icon's only URL is its SVG namespace)
            assert!(!text.contains("http://") && !text.contains("https://"));
        }
        assert!(SCRIPT.contains("fetch(\"/openapi.json\")"));
    }
}
