//! OAuth 2.0 rules shared by the admin API (which configures federated credentials) and the SCIM API (which
//! fetches the issuers' keys). No I/O.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Whether Humbol may fetch from `url` (a federated issuer, its discovery document, its `jwks_uri`):
/// `https://` with a host, or `http://` to a loopback address (`127.0.0.0/8`, `[::1]`, `localhost`), which
/// only tests use. No user information (`user@host`) is allowed.
pub fn fetchable_url(url: &str) -> bool {
    let (https, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty()
        || authority.contains('@')
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return false;
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((h, _)) => h,
            None => return false,
        },
        None => authority.split(':').next().unwrap_or_default(),
    };
    if host.is_empty() {
        return false;
    }
    https
        || host.eq_ignore_ascii_case("localhost")
        || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
        || host.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http_is_fetchable() {
        for ok in [
            "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
            "http://127.0.0.1:8080/issuer",
            "http://127.1.2.3/x",
            "http://[::1]:9/x",
            "http://localhost:1234",
        ] {
            assert!(fetchable_url(ok), "{ok}");
        }
        for bad in [
            "http://login.microsoftonline.com/tid/v2.0",
            "http://10.0.0.1/x",
            "http://127.0.0.1.evil.example/x",
            "http://127.0.0.1@evil.example/x",
            "https://user@login.example/x",
            "ftp://127.0.0.1/x",
            "login.microsoftonline.com",
            "https://",
            "https://a b",
            "",
        ] {
            assert!(!fetchable_url(bad), "{bad}");
        }
    }
}
