//! The organisation's API settings page (Humbol's tutorial, step 2) and support's page, served by the admin
//! API: one HTML shell, a stylesheet and a script, embedded in the binary (no build step, nothing fetched at
//! run time). The script draws the page from the JSON API with the session cookie ([`crate::session`]).
//!
//! | path | what |
//! | --- | --- |
//! | `/` | redirects to `/signin` |
//! | `/signin#token=<JWT>` | Humbol's app links its admins here; the script posts the JWT to `/api/v1/session` |
//! | `/orgs/{org}/settings` | the organisation's API settings: status, tenant URL, SCIM tokens, provisioning log |
//! | `/support` | Humbol support: open, create or enable an organisation |
//!
//! Every response of the admin API carries [`security_headers`]: a Content-Security-Policy that allows only
//! this origin's own script and stylesheet (no inline script, no framing), `Referrer-Policy: no-referrer`
//! and, unless a route says otherwise, `Cache-Control: no-store` (API answers may hold a secret).

use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::DefaultHeaders;
use actix_web::{get, web, HttpResponse};

const SHELL: &str = include_str!("static/app.html");
const SCRIPT: &str = include_str!("static/app.js");
const STYLES: &str = include_str!("static/app.css");
const ICON: &str = include_str!("static/icon.svg");

/// The Content-Security-Policy of every response.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Headers added to every response that does not set them itself.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CSP))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::CACHE_CONTROL, "no-store"))
}

/// Registers the pages and their assets.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(home)
        .service(signin)
        .service(support)
        .service(settings)
        .service(script)
        .service(styles)
        .service(icon);
}

fn shell() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(SHELL)
}

/// Assets change only with the binary: browsers revalidate them (no ETag, so they fetch again; they are small).
fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .body(body)
}

/// The admin API's root: to sign-in, which sends a signed-in browser on to its home page.
#[get("/")]
async fn home() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/signin"))
        .finish()
}

/// Where Humbol's app sends its admins: `/signin#token=<JWT>` (the fragment never reaches a server or a
/// `Referer`).
#[get("/signin")]
async fn signin() -> HttpResponse {
    shell()
}

/// Humbol support's page.
#[get("/support")]
async fn support() -> HttpResponse {
    shell()
}

/// The organisation's API settings page (the script checks the session and the organisation).
#[get("/orgs/{org}/settings")]
async fn settings() -> HttpResponse {
    shell()
}

#[get("/assets/app.js")]
async fn script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

#[get("/assets/app.css")]
async fn styles() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLES)
}

#[get("/assets/icon.svg")]
async fn icon() -> HttpResponse {
    asset("image/svg+xml", ICON)
}
