//! Settings that start but are probably wrong: said once at start-up, as warnings.

use std::net::SocketAddr;

/// Warnings about `HUMBOL_SCIM_PUBLIC_URL` (`public_url`, already parsed) given the SCIM API's listen address
/// (`bind`, when this process listens for SCIM): Entra only calls HTTPS, so plain HTTP is only right on
/// loopback; a loopback public URL while listening only on loopback is a local run; a loopback public URL while
/// listening on all interfaces shows admins a tenant URL nobody else can call, and so does a loopback URL
/// naming another port than the one listened on. (A public https URL while listening on loopback is a proxy on
/// the same host: fine.) Okta refuses base URLs with `_` in them (organisation slugs cannot have one; the
/// public URL could).
pub fn public_url(public_url: &str, bind: Option<SocketAddr>) -> Vec<String> {
    let mut out = Vec::new();
    let (https, rest) = match public_url.strip_prefix("https://") {
        Some(rest) => (true, rest),
        None => (
            false,
            public_url.strip_prefix("http://").unwrap_or(public_url),
        ),
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    let host = host_of(authority);
    let loopback = is_loopback(host);
    if !https && !loopback {
        out.push(format!(
            "HUMBOL_SCIM_PUBLIC_URL={public_url} is plain HTTP on a non-loopback host: Entra only calls HTTPS \
             tenant URLs (put a TLS-terminating proxy in front and give its https:// URL)"
        ));
    }
    if public_url.contains('_') {
        out.push(format!(
            "HUMBOL_SCIM_PUBLIC_URL={public_url} contains `_`: Okta refuses base URLs with an underscore, so \
             Okta cannot be connected to the tenant URLs shown to admins"
        ));
    }
    if let Some(bind) = bind {
        if loopback && !bind.ip().is_loopback() {
            out.push(format!(
                "HUMBOL_SCIM_PUBLIC_URL={public_url} is a loopback URL but the SCIM API listens on {bind}: \
                 admins will be shown tenant URLs that no one else can call"
            ));
        }
        let port = port_of(authority).unwrap_or(if https { 443 } else { 80 });
        if loopback && bind.ip().is_loopback() && port != bind.port() {
            out.push(format!(
                "HUMBOL_SCIM_PUBLIC_URL={public_url} names port {port} but the SCIM API listens on {bind}: \
                 the tenant URLs shown to admins will not reach it"
            ));
        }
    }
    out
}

/// The explicit port of `host:port` or `[v6]:port`.
fn port_of(authority: &str) -> Option<u16> {
    let after_host = match authority.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map(|(_, rest)| rest).unwrap_or(""),
        None => authority,
    };
    after_host
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
}

/// The host of `host[:port]` or `[v6]:port`.
fn host_of(authority: &str) -> &str {
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or(v6);
    }
    authority.split(':').next().unwrap_or(authority)
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::public_url as w;

    fn bind(s: &str) -> Option<std::net::SocketAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn quiet_for_local_runs_and_https() {
        assert!(w("http://127.0.0.1:8080", bind("127.0.0.1:8080")).is_empty());
        assert!(w("http://localhost:8080", None).is_empty());
        assert!(w("http://[::1]:8080", bind("[::1]:8080")).is_empty());
        assert!(w("https://scim.humbol.example", bind("0.0.0.0:8080")).is_empty());
    }

    #[test]
    fn plain_http_on_a_real_host() {
        let warnings = w("http://scim.humbol.example", bind("0.0.0.0:8080"));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("HTTPS"), "{warnings:?}");
    }

    #[test]
    fn an_underscore_okta_refuses() {
        let warnings = w("https://scim_humbol.example", bind("127.0.0.1:8080"));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("Okta"), "{warnings:?}");
        let warnings = w("https://scim.humbol.example/tenant_a", None);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
    }

    #[test]
    fn disagreeing_with_the_bind_address() {
        let warnings = w("http://localhost:8080", bind("0.0.0.0:8080"));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("no one else"), "{warnings:?}");
        let warnings = w("http://127.0.0.1:8080", bind("127.0.0.1:9000"));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        // A proxy on the same host.
        assert!(w("https://scim.humbol.example", bind("127.0.0.1:8080")).is_empty());
    }
}
