//! The `healthcheck` subcommand's probe: `GET /readyz` on the server's own listen address, with the standard
//! library only, so that a container image needs no curl.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// How long the probe waits for each of connect, write and read.
pub const TIMEOUT: Duration = Duration::from_secs(3);

/// Where to connect to reach a server listening on `bind`: an unspecified address (`0.0.0.0`, `[::]`) is
/// reached on loopback.
pub fn target(bind: SocketAddr) -> SocketAddr {
    match bind.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, bind.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, bind.port()).into(),
        _ => bind,
    }
}

/// `GET path` on the server listening on `bind`; `Ok(status line)` if it answered 200, else why not.
pub fn get_ok(bind: SocketAddr, path: &str) -> Result<String, String> {
    let addr = target(bind);
    let fail = |what: &str, e: std::io::Error| format!("{what} http://{addr}{path}: {e}");
    let mut stream =
        TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| fail("cannot connect to", e))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(TIMEOUT)))
        .map_err(|e| fail("cannot configure the connection to", e))?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| fail("cannot send to", e))?;
    // The status line is all that matters; a ready server's whole answer is small.
    let mut head = [0u8; 512];
    let mut len = 0;
    while len < head.len() {
        let n = stream
            .read(&mut head[len..])
            .map_err(|e| fail("no answer from", e))?;
        if n == 0 || head[..len + n].contains(&b'\n') {
            len += n;
            break;
        }
        len += n;
    }
    let text = String::from_utf8_lossy(&head[..len]);
    let status = text.lines().next().unwrap_or("").trim().to_string();
    match status.split_whitespace().nth(1) {
        Some("200") => Ok(status),
        _ if status.is_empty() => Err(format!("http://{addr}{path}: empty answer")),
        _ => Err(format!("http://{addr}{path}: {status}")),
    }
}

/// The `healthcheck` subcommand: probes `/readyz` on the address in `bind_var` (as the server reads it) and
/// reports on stdout (ok) or stderr (why not). Exit status 0 when ready, 1 otherwise.
pub fn healthcheck(binary: &str, bind_var: &crate::Var) -> std::process::ExitCode {
    let env = crate::Env::new(&crate::process_env);
    let outcome = env
        .require(bind_var, crate::parse::bind)
        .map_err(|e| e.to_string())
        .and_then(|bind| get_ok(bind, "/readyz"));
    match outcome {
        Ok(status) => {
            println!("{binary}: ready ({status})");
            std::process::ExitCode::SUCCESS
        }
        Err(why) => {
            eprintln!("{binary} healthcheck: not ready: {why}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn serve_once(answer: &'static str) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).unwrap();
            s.write_all(answer.as_bytes()).unwrap();
        });
        addr
    }

    #[test]
    fn ok_only_on_200() {
        let addr = serve_once("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        assert_eq!(get_ok(addr, "/readyz").unwrap(), "HTTP/1.1 200 OK");
        let addr = serve_once("HTTP/1.1 503 Service Unavailable\r\n\r\n");
        assert!(get_ok(addr, "/readyz").unwrap_err().contains("503"));
    }

    #[test]
    fn nothing_listening_is_an_error() {
        let addr = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        assert!(get_ok(addr, "/readyz")
            .unwrap_err()
            .contains("cannot connect"));
    }

    #[test]
    fn unspecified_binds_are_probed_on_loopback() {
        assert_eq!(
            target("0.0.0.0:8080".parse().unwrap()).to_string(),
            "127.0.0.1:8080"
        );
        assert_eq!(
            target("[::]:8080".parse().unwrap()).to_string(),
            "[::1]:8080"
        );
        assert_eq!(
            target("10.0.0.1:8080".parse().unwrap()).to_string(),
            "10.0.0.1:8080"
        );
    }
}
