"""Stalled bodies with a forged token against a scim-api binary: memory and connections.

Starts BINARY on a fresh SQLite database and a free port, opens CONNECTIONS connections from 127.0.0.1, each
sending a POST with a well-formed but unknown SCIM token (its checksum is a public CRC: anyone can make one),
`Content-Length: 1048575` and all but the last byte of that body, then stalling. Prints the server's RSS
before, its peak while the connections stall, how many connections the server answered or closed within
TIMEOUT seconds, and the statuses it answered; exits 1 if the peak RSS is at or over LIMIT_MIB or a connection
is still open after TIMEOUT.

Usage: python edge_probe.py BINARY [--connections 1000] [--timeout 20] [--limit-mib 64]
Time: about TIMEOUT + 10 s. Needs ~2,100 file descriptors (raised from the hard limit when possible).
"""

import argparse
import os
import random
import resource
import selectors
import socket
import subprocess
import sys
import tempfile
import time
import zlib

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
BODY = 1024 * 1024 - 1


def base62_fixed(number: int, digits: int) -> str:
    out = []
    for _ in range(digits):
        number, r = divmod(number, 62)
        out.append(ALPHABET[r])
    return "".join(reversed(out))


def forged_token() -> str:
    random_part = "".join(random.choice(ALPHABET) for _ in range(32))
    return "humbol_scim_" + random_part + base62_fixed(zlib.crc32(random_part.encode()), 6)


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--connections", type=int, default=1000)
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--limit-mib", type=float, default=64.0)
    args = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.connections * 2 + 100
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))

    port = free_port()
    tmp = tempfile.mkdtemp(prefix="edge-probe-")
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite://{tmp}/probe.db",
        HUMBOL_SCIM_BIND=f"127.0.0.1:{port}",
        RUST_LOG="warn",
    )
    server = subprocess.Popen([args.binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(0.3)
        before = rss_mib(server.pid)
        token = forged_token()
        head = (
            f"POST /scim/v2/orgs/acme/Users HTTP/1.1\r\nHost: probe\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/scim+json\r\nContent-Length: {BODY}\r\n\r\n"
        ).encode()
        chunk = b" " * (BODY - 1)
        sel = selectors.DefaultSelector()
        pending = {}
        start = time.monotonic()
        peak = before
        opened = 0
        for _ in range(args.connections):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
            except OSError:
                break
            opened += 1
            s.setblocking(False)
            pending[s] = [head + chunk, 0, b"", None]  # to send, sent, answer, closed at
            sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
        statuses = {}
        closed = 0
        deadline = start + args.timeout
        while time.monotonic() < deadline and closed < opened:
            for key, mask in sel.select(timeout=0.2):
                s = key.fileobj
                st = pending[s]
                if mask & selectors.EVENT_WRITE and st[1] < len(st[0]):
                    try:
                        st[1] += s.send(st[0][st[1]: st[1] + 65536])
                    except OSError:
                        st[1] = len(st[0])
                    if st[1] >= len(st[0]):
                        sel.modify(s, selectors.EVENT_READ)
                if mask & selectors.EVENT_READ:
                    try:
                        data = s.recv(4096)
                    except OSError:
                        data = b""
                    if data:
                        st[2] += data
                    else:
                        st[3] = time.monotonic() - start
                        closed += 1
                        sel.unregister(s)
                        status = st[2][9:12].decode(errors="replace") or "closed without answer"
                        statuses[status] = statuses.get(status, 0) + 1
            peak = max(peak, rss_mib(server.pid))
        still_open = opened - closed
        for s in pending:
            s.close()
        print(f"connections opened: {opened} (of {args.connections})")
        print(f"server RSS: {before:.1f} MiB before, peak {peak:.1f} MiB with the bodies stalled")
        print(f"closed by the server within {args.timeout:.0f} s: {closed}; still open: {still_open}")
        print("answers: " + ", ".join(f"{k} x {v}" for k, v in sorted(statuses.items())))
        print(f"5xx answers: {sum(v for k, v in statuses.items() if k.startswith('5'))}")
        ok = peak < args.limit_mib and still_open == 0
        print("OK" if ok else f"FAIL: RSS limit {args.limit_mib} MiB, open connections must be 0")
        return 0 if ok else 1
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    sys.exit(main())
