#!/usr/bin/env python3
"""The fault suite: the release binaries against a private PostgreSQL cluster this script starts itself (initdb
on a free port, as user postgres) and stops, freezes and restarts, and against SQLite on a small tmpfs made full
(where the machine allows mounting one), locked by another process, or removed.

Each stage prints its figures and FAILs when a target is missed:
- races: member add vs group delete, member add vs user delete: never a 5xx; two concurrent DELETEs of one
  user: one 204 and one 404, and one `deleted` event;
- pg_stop: with PostgreSQL stopped, under a load of SCIM look-ups and creates, admin token lists and OAuth
  token requests: the requests sent at the stop, those started a second into the outage and a batch sent then
  are each answered 503 with Retry-After within 2.5 s, /readyz within 1 s; after the restart, no request fails
  once one to the same server (scim-api or admin-api: each has its own circuit) has succeeded;
- pg_freeze: the same with PostgreSQL frozen (SIGSTOP); the requests sent the moment it freezes reach the
  server, which never answers them: they are answered 503 once the store's probe finds it silent (the
  store-call deadline);
- token_flush: a token's last-use time survives a SIGTERM of scim-api;
- sqlite: disk full (507 or 503), external lock (503 with Retry-After), file removed (503: no
  write acknowledged into a deleted file), never a 500; /readyz fails in each case; a warning when start-up
  creates a new empty database in a directory holding other files;
- sqlite_readonly: the database file and its WAL made read-only under the running servers (`chattr +i` as
  root, chmod otherwise): 503 with Retry-After, never a 500, and /readyz fails;
- stalled: 1,000 connections with a forged token that stall inside their headers or their body, from several
  loopback addresses (under the per-address cap): each is closed within the body timeout, and scim-api's RSS
  stays under 64 MiB;
- events: a refusal naming 500 unknown member ids keeps a bounded event detail;
- members: one PATCH adding 90,000 member ids to a group (mostly unknown: refused; then all known, when the
  `loadgen` binary is in --bin to seed them): scim-api's CPU seconds for it (at most --members-cpu, 2 s by
  default, a bound for release binaries) and the event detail it wrote (at most 4 KiB an event);
- hostile: on SQLite, then on PostgreSQL, the same generated requests (seeded, --hostile-seed; at least
  --hostile per backend): NUL and other control characters (raw, percent-encoded, JSON- and filter-escaped),
  lone surrogates and invalid UTF-8, values of 1,024 bytes (allowed) and 1,025 / 3,000 / 100,000 characters in
  every string attribute of a User and a Group, in filter values (every attribute, every operator) and
  attribute paths, PATCH paths, weird ids in GET / PUT / PATCH / DELETE of /Users and /Groups and in the admin
  API's token and client DELETEs, flat ORs and ANDs of 66 to 150 terms (answered 200), filters nested past 32
  levels (400), bad JSON bodies, broken HTTP framing, and NFC / NFD / case spellings of one name (the second
  create answered 409). FAILs on any 5xx, a request left unanswered, invalid input answered 2xx, a refused
  write that changed the resource or collection it aimed at (read back after each write), or a stored value
  holding a NUL.

Usage: fault_suite.py --bin DIR [--stage NAME ...] [--trials N] [--members N] [--members-cpu S] [--hostile N]
[--hostile-seed N]. Time budget: under 5 minutes on 2 cores.
"""

import argparse
import http.client
import json
import math
import os
import random
import resource
import secrets
import selectors
import socket
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import unicodedata
import urllib.parse
import uuid
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (  # noqa: E402
    SCIM_JSON, PgCluster, Servers, call, concurrently, new_group, new_user, on_exit, patch_op, token_request, work_dir,
)

failures = []


def check(cond, what):
    print(f"  {'ok  ' if cond else 'FAIL'} {what}", flush=True)
    if not cond:
        failures.append(what)


def figure(name, value):
    print(f"  figure {name}: {value}", flush=True)


def is_5xx(a):
    return a.status is not None and a.status >= 500


# ---- races (PostgreSQL) ----

def stage_races(args, work):
    print("== races on PostgreSQL", flush=True)
    pg = PgCluster(work)
    pg.start()
    srv = Servers(args.bin, pg.createdb("races"), work, "races")
    srv.start()
    base, token, admin = srv.org_with_token("races")
    n = args.trials

    fives = 0
    for _ in range(n):
        u = new_user(base, token).body["id"]
        g = new_group(base, token).body["id"]
        add, delete = concurrently(
            lambda: call("PATCH", f"{base}/Groups/{g}", token, patch_op("add", "members", [{"value": u}])),
            lambda: call("DELETE", f"{base}/Groups/{g}", token))
        fives += is_5xx(add) + is_5xx(delete)
    figure("member add vs group delete: 5xx", f"{fives} in {n} trials")
    check(fives == 0, "member add vs group delete: no 5xx")

    fives = 0
    for _ in range(n):
        u = new_user(base, token).body["id"]
        g = new_group(base, token).body["id"]
        add, delete = concurrently(
            lambda: call("PATCH", f"{base}/Groups/{g}", token, patch_op("add", "members", [{"value": u}])),
            lambda: call("DELETE", f"{base}/Users/{u}", token))
        fives += is_5xx(add) + is_5xx(delete)
    figure("member add vs user delete: 5xx", f"{fives} in {n} trials")
    check(fives == 0, "member add vs user delete: no 5xx")

    both, fives, ids = 0, 0, []
    for _ in range(n):
        u = new_user(base, token).body["id"]
        ids.append(u)
        a, b = concurrently(lambda: call("DELETE", f"{base}/Users/{u}", token),
                            lambda: call("DELETE", f"{base}/Users/{u}", token))
        fives += is_5xx(a) + is_5xx(b)
        both += sorted([a.status, b.status]) != [204, 404]
    deleted = {}
    before = None
    while True:
        q = "limit=200&action=deleted&resource_type=User" + (f"&before={before}" if before else "")
        page = call("GET", f"{srv.admin}/api/v1/orgs/races/scim/events?{q}", admin).body
        for e in page["items"]:
            deleted[e["resource_id"]] = deleted.get(e["resource_id"], 0) + 1
        before = page.get("next")
        if not before:
            break
    twice = sum(1 for u in ids if deleted.get(u, 0) != 1)
    figure("double DELETE: not 204 + 404", f"{both} in {n} trials ({fives} 5xx)")
    figure("double DELETE: users without exactly one `deleted` event", twice)
    check(both == 0 and fives == 0, "two concurrent DELETEs: one 204, one 404")
    check(twice == 0, "two concurrent DELETEs: one `deleted` event")
    srv.stop()
    pg.stop()


# ---- outages (PostgreSQL) ----

KINDS = ("lookup", "create", "admin", "token")


def one_request(kind, srv, base, token, admin_jwt, org, oauth):
    """One request of `kind`: a SCIM look-up or create, an admin token list, or an OAuth token request."""
    if kind == "lookup":
        return call("GET", f'{base}/Users?filter=userName%20eq%20%22nobody%22', token, timeout=15)
    if kind == "create":
        return new_user(base, token, timeout=15)
    if kind == "admin":
        return call("GET", f"{srv.admin}/api/v1/orgs/{org}/scim/tokens", admin_jwt, timeout=15)
    return token_request(*oauth, timeout=15)


class Load:
    """Requests in a loop, one thread per kind of `KINDS`, each answer kept with its start time."""

    def __init__(self, srv, base, token, admin_jwt, org, oauth):
        self.request = lambda kind: one_request(kind, srv, base, token, admin_jwt, org, oauth)
        self.answers = []  # (started, kind, Answer)
        self.lock = threading.Lock()
        self.stop_flag = threading.Event()
        self.threads = [threading.Thread(target=self.loop, args=(kind,), daemon=True) for kind in KINDS]

    def loop(self, kind):
        while not self.stop_flag.is_set():
            started = time.monotonic()
            a = self.request(kind)
            with self.lock:
                self.answers.append((started, kind, a))
            time.sleep(0.05)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *_):
        self.stop_flag.set()
        for t in self.threads:
            t.join(timeout=45)

    def between(self, t0, t1):
        with self.lock:
            return [(s, k, a) for s, k, a in self.answers if t0 <= s < t1]


def readyz_times(srv, n):
    out = []
    for _ in range(n):
        for url in (srv.scim, srv.admin):
            a = call("GET", url + "/readyz", timeout=5)
            out.append((a.status, a.seconds))
    return out


def process(kind):
    """The server that answers a request of `kind`: admin-api for "admin", scim-api for the others."""
    return "admin" if kind == "admin" else "scim"


def failures_after_first_success(answers, since):
    """Requests that failed after one to the same server had succeeded (each server learns on its own, from
    its own probe, that the database is back: the other's success says nothing to it). Prints each, and each
    server's first success, in seconds from `since`."""
    ok_seen, failed = {}, 0
    for s, kind, a in sorted(answers, key=lambda x: x[0] + x[2].seconds):
        good = a.status is not None and a.status < 500
        server = process(kind)
        if good:
            ok_seen.setdefault(server, s + a.seconds - since)
        elif server in ok_seen:
            failed += 1
            print(f"  failed after a success: {kind} started {s - since:.2f} s after {a}", flush=True)
    figure("first success after recovery (s)", {k: round(v, 2) for k, v in sorted(ok_seen.items())})
    return failed


def fresh_requests(srv, base, token, admin, org, oauth):
    """Eight requests at once, each on its own thread, two of each kind of `KINDS`."""
    return concurrently(*[
        (lambda kind=KINDS[i % len(KINDS)]: one_request(kind, srv, base, token, admin, org, oauth))
        for i in range(8)
    ])


def outage(args, work, freeze):
    what = "frozen (SIGSTOP)" if freeze else "stopped"
    print(f"== PostgreSQL {what}", flush=True)
    pg = PgCluster(work)
    pg.start()
    # Connections enough for every early request to reach the server (not wait for a connection instead).
    srv = Servers(args.bin, pg.createdb("outage"), work, "freeze" if freeze else "stop",
                  extra_env={"HUMBOL_DB_POOL_SIZE": "16"})
    srv.start()
    base, token, admin = srv.org_with_token("outage")
    oauth = srv.oauth_client("outage", admin)
    with Load(srv, base, token, admin, "outage", oauth) as load:
        time.sleep(2)
        t0 = time.monotonic()
        if freeze:
            pg.freeze()
        else:
            pg.stop("immediate")
        # Requests sent at once, before anything knows of the outage: a frozen server takes their statements and
        # never answers, so they are answered by the store-call deadline (the circuit opened by its probe).
        early = []
        sent_early = threading.Thread(
            target=lambda: early.extend(fresh_requests(srv, base, token, admin, "outage", oauth)))
        sent_early.start()
        time.sleep(1.0)
        ready = readyz_times(srv, n=2)
        fresh = fresh_requests(srv, base, token, admin, "outage", oauth)
        sent_early.join()
        time.sleep(max(0.0, args.outage - (time.monotonic() - t0)))
        t1 = time.monotonic()
        if freeze:
            pg.thaw()
        else:
            pg.start()
        time.sleep(args.recovery)
        t2 = time.monotonic()
    # The load's requests started a second into the outage until 2.5 s before its end (a later one may be
    # answered by the database that is back), the early ones and the fresh ones.
    during = [(k, a) for _, k, a in load.between(t0 + 1.0, t1 - 2.5)]
    during += [(KINDS[i % len(KINDS)], a) for i, a in enumerate(early + fresh)]
    unavailable = [a for _, a in during if a.status == 503]
    slow = [(k, a) for k, a in during if a.seconds > 2.5]
    with_retry = [a for a in unavailable if a.header("Retry-After")]
    other = [(k, a) for k, a in during if a.status != 503]
    first_503 = min((s + a.seconds - t0 for s, _, a in load.between(t0, t1) if a.status == 503), default=None)
    held = [(k, a) for s, k, a in load.between(t0 - 1.0, t1 - 2.5) if a.seconds > 2.5]
    tokens = [a for k, a in during if k == "token"]
    figure("seconds from the outage to the first 503 (load)", "none" if first_503 is None else f"{first_503:.2f}")
    figure("requests during the outage (fresh + load)", len(during))
    figure("of which answered within 2.5 s", len(during) - len(slow))
    figure("slowest answer (s)", f"{max((a.seconds for _, a in during), default=0):.2f}")
    figure("503 with Retry-After", f"{len(with_retry)} of {len(unavailable)}")
    figure("answers other than 503", sorted({f"{k} {a.status}" for k, a in other}))
    figure("token requests during the outage (status, s)", sorted({(str(a.status), round(a.seconds, 1)) for a in tokens}))
    figure("early requests (kind, status, s)", [(KINDS[i % len(KINDS)], a.status, round(a.seconds, 2))
                                                for i, a in enumerate(early)])
    figure("load requests from a second before the outage answered after more than 2.5 s", len(held))
    figure("/readyz while down (status, s)", [(st, round(sec, 2)) for st, sec in ready])
    for k, a in held + slow + [x for x in other if x not in slow]:
        print(f"  during the outage: {k} {a}", flush=True)
    after = load.between(t1, t2)
    failed = failures_after_first_success(after, t1)
    figure("requests after recovery", len(after))
    figure("failed after the first success", failed)
    check(during and not slow, f"{what}: every request answered within 2.5 s")
    check(unavailable and len(with_retry) == len(unavailable), f"{what}: every 503 has Retry-After")
    check(not other, f"{what}: every request answered 503")
    check(tokens and all(a.status == 503 and a.header("Retry-After") and a.seconds <= 2.5 for a in tokens),
          f"{what}: token requests answered 503 with Retry-After within 2.5 s")
    check(not held, f"{what}: every load request from a second before the outage answered within 2.5 s")
    check(all(st == 503 and sec <= 1.2 for st, sec in ready), f"{what}: /readyz answers 503 within 1 s")
    check(failed == 0, f"{what}: no request fails after one to the same server succeeded")
    srv.stop()
    pg.stop()


def stage_pg_stop(args, work):
    outage(args, work, freeze=False)


def stage_pg_freeze(args, work):
    outage(args, work, freeze=True)


# ---- token last use on SIGTERM ----

def stage_token_flush(args, work):
    print("== token last-use time across SIGTERM (PostgreSQL)", flush=True)
    pg = PgCluster(work)
    pg.start()
    srv = Servers(args.bin, pg.createdb("flush"), work, "flush")
    srv.start()
    base, token, admin = srv.org_with_token("flush")
    a = call("GET", f"{base}/Users?count=1", token)
    check(a.status == 200, "the token works")
    srv.kill("scim", signal.SIGTERM)
    tokens = call("GET", f"{srv.admin}/api/v1/orgs/flush/scim/tokens", admin).body
    items = tokens["items"] if isinstance(tokens, dict) else tokens
    used = [t.get("last_used_at") for t in items]
    figure("last_used_at after SIGTERM", used)
    check(any(used), "the last use is recorded at shutdown")
    srv.stop()
    pg.stop()


# ---- SQLite ----

def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path], check=True,
                       capture_output=True)
    except (subprocess.CalledProcessError, FileNotFoundError):
        return False
    on_exit(lambda: subprocess.run(["umount", "-l", path], capture_output=True))
    return True


def sqlite_fault(srv, base, token, name, fault, undo, expect):
    """Applies `fault`, then creates users for 3 s: each answer must be one of `expect` (never a 201, never a
    500), with Retry-After on a 503, within 2.5 s; /readyz must answer 503 within 1 s; after `undo` a create
    succeeds."""
    fault()
    answers = []
    t_end = time.monotonic() + 3
    while time.monotonic() < t_end:
        answers.append(new_user(base, token, timeout=15))
    ready = [call("GET", srv.scim + "/readyz", timeout=15), call("GET", srv.admin + "/readyz", timeout=15)]
    undo()
    statuses = sorted({str(a.status) for a in answers})
    acked = sum(1 for a in answers if a.status == 201)
    figure(f"{name}: statuses", statuses)
    figure(f"{name}: creates acknowledged", acked)
    figure(f"{name}: slowest answer (s)", f"{max(a.seconds for a in answers):.2f}")
    figure(f"{name}: 503 with Retry-After", f"{sum(1 for a in answers if a.status == 503 and a.header('Retry-After'))}"
                                            f" of {sum(1 for a in answers if a.status == 503)}")
    figure(f"{name}: /readyz (status, s)", [(a.status, round(a.seconds, 2)) for a in ready])
    check(all(a.status in expect for a in answers), f"{name}: every create answered {sorted(expect)}")
    check(all(a.header("Retry-After") for a in answers if a.status == 503), f"{name}: 503s have Retry-After")
    check(all(a.seconds <= 2.5 for a in answers), f"{name}: answered within 2.5 s")
    check(all(a.status == 503 and a.seconds <= 1.2 for a in ready), f"{name}: /readyz answers 503 within 1 s")
    time.sleep(0.5)
    after = new_user(base, token)
    check(after.status == 201, f"{name}: a create succeeds once the fault is gone ({after.status})")


def stage_sqlite(args, work):
    print("== SQLite faults", flush=True)
    mnt = os.path.join(work, "mnt")
    mounted = mount_tmpfs(mnt, "8m")
    if not mounted:
        print("  (cannot mount a tmpfs here: disk-full and read-only cases skipped)")
        os.makedirs(mnt, exist_ok=True)
    db = os.path.join(mnt, "humbol.db")
    srv = Servers(args.bin, f"sqlite://{db}", work, "sqlite")
    srv.start()
    base, token, _ = srv.org_with_token("lite")

    if mounted:
        filler = os.path.join(mnt, "filler")

        def fill():
            with open(filler, "wb") as f:
                try:
                    while True:
                        f.write(b"\0" * 65536)
                        f.flush()
                except OSError:
                    pass
            # The WAL may still have room in pages it reuses: creates until one fails.

        sqlite_fault(srv, base, token, "disk full", fill, lambda: os.remove(filler), {503, 507})

        # A read-only remount is refused while the servers hold the files open for writing ("busy"), so a
        # database turned read-only under a running server is not staged here.

    holder = {}

    def lock():
        c = sqlite3.connect(db, timeout=10, isolation_level=None)
        c.execute("BEGIN EXCLUSIVE")
        holder["c"] = c

    def unlock():
        holder["c"].execute("ROLLBACK")
        holder["c"].close()

    sqlite_fault(srv, base, token, "external lock", lock, unlock, {503})

    # Removed: the file (and its -wal, -shm) deleted under the running servers. Nothing comes back: the servers
    # are restarted on a new database afterwards.
    def remove():
        for suffix in ("", "-wal", "-shm"):
            try:
                os.remove(db + suffix)
            except FileNotFoundError:
                pass

    answers = []
    remove()
    t_end = time.monotonic() + 2
    while time.monotonic() < t_end:
        answers.append(new_user(base, token))
    ready = [call("GET", srv.scim + "/readyz", timeout=15), call("GET", srv.admin + "/readyz", timeout=15)]
    acked = sum(1 for a in answers if a.status == 201)
    figure("file removed: statuses", sorted({str(a.status) for a in answers}))
    figure("file removed: creates acknowledged into the deleted file", acked)
    figure("file removed: /readyz", [a.status for a in ready])
    check(acked == 0 and all(a.status == 503 for a in answers), "file removed: creates answered 503")
    check(all(a.status == 503 for a in ready), "file removed: /readyz answers 503")
    srv.stop()

    # A new empty database where one was expected: the directory holds other files but not the database.
    expect_dir = os.path.join(work, "expected")
    os.makedirs(expect_dir)
    open(os.path.join(expect_dir, "humbol.db-wal"), "w").close()
    srv2 = Servers(args.bin, f"sqlite://{os.path.join(expect_dir, 'humbol.db')}", work, "newdb")
    srv2.start(("scim",))
    srv2.stop()
    log = srv2.log_text("scim")
    warned = any("WARN" in line and "EMPTY" in line.upper() for line in log.splitlines())
    figure("new empty database warned", warned)
    check(warned, "start-up warns when it creates a new empty database next to other files")


# ---- stalled connections with a forged token ----

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def forged_token():
    """A well-formed SCIM token that no organisation has: 32 random base62 characters and their public CRC32."""
    rnd = "".join(secrets.choice(B62) for _ in range(32))
    n, digits = zlib.crc32(rnd.encode()), []
    for _ in range(6):
        n, d = divmod(n, 62)
        digits.append(B62[d])
    return "humbol_scim_" + rnd + "".join(reversed(digits))


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def stage_stalled(args, work):
    n = args.stalled
    print(f"== {n} stalled connections with a forged token (SQLite)", flush=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 4 * n + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))  # the servers inherit it
    body_timeout = 5
    srv = Servers(args.bin, f"sqlite://{os.path.join(work, 'stalled.db')}", work, "stalled",
                  extra_env={"HUMBOL_BODY_TIMEOUT_SECS": str(body_timeout),
                             # The default cap: the connections come from several loopback addresses.
                             "HUMBOL_MAX_CONNECTIONS_PER_ADDRESS": "256"})
    srv.start(("scim",))
    pid = srv.procs["scim"].pid
    for _ in range(20):
        call("GET", f"{srv.scim}/scim/v2/orgs/lite/Users?count=1", forged_token())
    before = rss_mib(pid)
    token = forged_token()
    path = "/scim/v2/orgs/lite/Users"
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/scim+json\r\nContent-Length: {1024 * 1024 - 1}\r\n").encode()
    sel = selectors.DefaultSelector()
    opened, closed, answers = {}, {}, {}
    peak = before
    per_address = 200
    t0 = time.monotonic()
    for i in range(n):
        s = socket.socket()
        s.bind((f"127.0.0.{2 + i // per_address}", 0))
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", srv.scim_port))
        except BlockingIOError:
            pass
        sel.register(s, selectors.EVENT_WRITE, i)
        opened[i] = None
    # Half finish their headers and start a body (then stall); half stall inside the headers.
    sent = set()
    deadline = t0 + body_timeout + 10
    while len(closed) < n and time.monotonic() < deadline:
        for key, mask in sel.select(timeout=0.1):
            s, i = key.fileobj, key.data
            if mask & selectors.EVENT_WRITE and i not in sent:
                try:
                    s.send(head + (b"\r\n" + b"{" + b" " * 16383 if i % 2 == 0 else b"X-Stall: 1"))
                except OSError:
                    pass
                sent.add(i)
                opened[i] = time.monotonic()
                sel.modify(s, selectors.EVENT_READ, i)
                continue
            try:
                data = s.recv(65536)
            except (ConnectionResetError, BrokenPipeError, OSError):
                data = b""
            if data:
                answers.setdefault(i, data.split(b"\r\n", 1)[0].decode(errors="replace"))
                continue
            closed[i] = time.monotonic()
            sel.unregister(s)
            s.close()
        peak = max(peak, rss_mib(pid))
    held = rss_mib(pid)
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    slowest = max((closed[i] - opened[i] for i in closed if opened[i]), default=0.0)
    statuses = {}
    for line in answers.values():
        statuses[line] = statuses.get(line, 0) + 1
    figure("connections opened", n)
    figure("closed by the server", len(closed))
    figure("slowest close (s)", f"{slowest:.2f}")
    figure("answers", statuses)
    figure("RSS before / peak / at the end (MiB)", f"{before:.1f} / {peak:.1f} / {held:.1f}")
    check(len(closed) == n, f"every stalled connection is closed ({len(closed)} of {n})")
    check(slowest <= body_timeout + 1.5, f"each is closed within the body timeout ({body_timeout} s) + 1.5 s")
    check(peak < 64, f"RSS stays under 64 MiB ({peak:.1f})")
    srv.stop()


def stage_sqlite_readonly(args, work):
    """The database file and its WAL made read-only under the running servers: `chattr +i` (stops root too,
    also through descriptors already open), or chmod when not root. Creates answer 503 with Retry-After, never
    500; /readyz fails."""
    print("== SQLite database file read-only", flush=True)
    db = os.path.join(work, "ro", "humbol.db")
    os.makedirs(os.path.dirname(db))
    srv = Servers(args.bin, f"sqlite://{db}", work, "readonly")
    srv.start()
    base, token, _ = srv.org_with_token("ro")
    files = [db, db + "-wal"]
    root = os.geteuid() == 0

    def read_only():
        for f in files:
            if root:
                subprocess.run(["chattr", "+i", f], check=True, capture_output=True)
            else:
                os.chmod(f, 0o444)
        if not root:
            os.chmod(os.path.dirname(db), 0o555)

    def writable():
        if not root:
            os.chmod(os.path.dirname(db), 0o755)
        for f in files:
            if root:
                subprocess.run(["chattr", "-i", f], check=True, capture_output=True)
            else:
                os.chmod(f, 0o644)

    try:
        if root:
            subprocess.run(["chattr", "-i", db], check=True, capture_output=True)
    except (subprocess.CalledProcessError, FileNotFoundError):
        print("  (chattr is not available on this file system: case skipped)")
        srv.stop()
        return
    on_exit(writable)
    sqlite_fault(srv, base, token, "read-only file", read_only, writable, {503})
    srv.stop()


# ---- bounded event details ----

def stage_events(args, work):
    print("== event detail of a refusal naming 500 unknown members (SQLite)", flush=True)
    srv = Servers(args.bin, f"sqlite://{os.path.join(work, 'events.db')}", work, "events")
    srv.start()
    base, token, admin = srv.org_with_token("ev")
    g = new_group(base, token).body["id"]
    unknown = [{"value": str(uuid.uuid4())} for _ in range(500)]
    a = call("PATCH", f"{base}/Groups/{g}", token, patch_op("add", "members", unknown))
    check(a.status == 400, f"the refusal is a 400 ({a.status})")
    page = call("GET", f"{srv.admin}/api/v1/orgs/ev/scim/events?outcome=refused&limit=1", admin).body
    detail = page["items"][0]["detail"] if page["items"] else ""
    answer_detail = (a.body or {}).get("detail", "")
    figure("event detail bytes", len(detail.encode()))
    figure("answer detail bytes", len(answer_detail.encode()))
    check(0 < len(detail.encode()) <= 4096, "the event detail is bounded (<= 4 KiB)")
    check(len(answer_detail.encode()) <= 4096, "the answer's detail is bounded (<= 4 KiB)")
    srv.stop()


# ---- a PATCH of 90,000 member ids ----

def cpu_seconds(pid):
    """User + system CPU time of process `pid` so far (/proc/PID/stat), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def events_since(db, last_id):
    """(count, total detail bytes, largest detail bytes, newest id) of the events after `last_id` in `db`."""
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        n, total, largest, newest = c.execute(
            "SELECT count(*), coalesce(sum(length(CAST(detail AS BLOB))), 0), "
            "coalesce(max(length(CAST(detail AS BLOB))), 0), coalesce(max(id), ?) FROM events WHERE id > ?",
            (last_id, last_id)).fetchone()
    finally:
        c.close()
    return n, total, largest, newest


def stage_members(args, work):
    """One PATCH adding `--members` ids to a group (SQLite): scim-api's CPU seconds for it, from /proc/PID/stat
    before and after, and the bytes of event detail it wrote (read from the database file). First ids mostly
    unknown, a hundred known (refused: 400); then, when `loadgen` is in --bin (it seeds the users straight into
    the database), as many known users (204). FAILs when a request takes more than --members-cpu seconds of CPU
    (a bound for release binaries) or writes more than 4 KiB of event detail."""
    n = args.members
    print(f"== a PATCH of {n:,} member ids (SQLite)", flush=True)
    db = os.path.join(work, "members.db")
    # The body of 90,000 ids is about 4.5 MB: above the default limit (413), which this stage is not about.
    srv = Servers(args.bin, f"sqlite://{db}", work, "members",
                  extra_env={"HUMBOL_MAX_BODY_BYTES": str(64 * 1024 * 1024)})
    srv.start()
    base, token, _ = srv.org_with_token("mem")
    pid = srv.procs["scim"].pid
    known = []
    for _ in range(4):
        known += [a.body["id"] for a in concurrently(*[lambda: new_user(base, token)] * 25)]
    _, _, _, last = events_since(db, 0)

    def measured(name, ids, expect):
        nonlocal last
        g = new_group(base, token).body["id"]
        _, _, _, last = events_since(db, last)
        body = patch_op("add", "members", [{"value": i} for i in ids])
        before = cpu_seconds(pid)
        a = call("PATCH", f"{base}/Groups/{g}", token, body, timeout=600)
        cpu = cpu_seconds(pid) - before
        count, total, largest, last = events_since(db, last)
        answer = len(((a.body or {}).get("detail") or "").encode())
        figure(f"{name}: status, wall s", f"{a.status}, {a.seconds:.2f}")
        figure(f"{name}: scim-api CPU s", f"{cpu:.2f}")
        figure(f"{name}: events written, detail bytes (all, largest)", f"{count}, {total}, {largest}")
        check(a.status == expect, f"{name}: answered {expect} ({a.status} {(a.body or {}).get('detail', '')[:80]})")
        check(cpu <= args.members_cpu, f"{name}: CPU {cpu:.2f} s <= {args.members_cpu} s")
        check(count >= 1 and largest <= 4096 and total <= 4 * 4096,
              f"{name}: bounded event detail (largest {largest} B <= 4 KiB)")
        check(answer <= 4096, f"{name}: bounded answer detail ({answer} B)")

    unknown = [str(uuid.uuid4()) for _ in range(n - len(known))]
    measured(f"{n - len(known):,} unknown + {len(known)} known ids", unknown[: len(unknown) // 2] + known
             + unknown[len(unknown) // 2:], 400)

    loadgen = os.path.join(args.bin, "loadgen")
    if not os.path.exists(loadgen):
        print(f"  ({loadgen} is missing: the {n:,}-known-members case is skipped)", flush=True)
    else:
        subprocess.run([loadgen, "seed", "--org", "mem", "--users", str(n), "--prefix", "seeded"],
                       env={"PATH": os.environ.get("PATH", ""), "DATABASE_URL": f"sqlite://{db}"},
                       check=True, capture_output=True, timeout=600)
        c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        seeded = [r[0] for r in c.execute("SELECT id FROM users WHERE org = 'mem' AND user_name LIKE 'seeded%'")]
        c.close()
        measured(f"{len(seeded):,} known ids", seeded, 204)
    srv.stop()


# ---- hostile input (SQLite and PostgreSQL) ----

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
# The documented limits (scim-core): a string value's UTF-8 bytes (a reference's: 2,048), a filter's bytes and
# nesting depth; an API token's name (admin-api): 100 characters.
MAX_VALUE = 1024
MAX_REFERENCE = 2048
MAX_FILTER = 4096
MAX_DEPTH = 32
MAX_TOKEN_NAME = 100
# Address sub-attributes stored in the index that reads a user's addresses have lower limits (scim-core's
# ADDRESS_KEY_BYTES and ADDRESS_PLACE_BYTES, announced in /Schemas).
ADDRESS_LIMITS = {"type": 256, "country": 256, "locality": 512, "region": 512}
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# Characters whose lowercase NFC form is longer in UTF-8 than they are (composition exclusions, U+0130).
EXPANDING = ("\u0958\u0959\u095a\u095b\u095c\u095d\u095e\u095f\u09dc\u09dd\u0a33\u0a36\u0a59\u0a5a\u0a5b"
             "\ufb1d\ufb1f\ufb2a\ufb2b\ufb2c\ufb2d\ufb2e\ufb2f\ufb30\ufb31\ufb32\ufb33\ufb34\ufb35\u0130"
             "\U0001d15e\U0001d15f\U0001d160\U0001d161\U0001d162\U0001d163\U0001d164\U0001d1bb\U0001d1bc")


def utf8(s):
    """UTF-8 bytes of `s`; a lone surrogate becomes its three-byte (invalid) encoding."""
    return s.encode("utf-8", "surrogatepass")


def pct(s):
    """`s` (text or bytes) percent-encoded as one path segment or query value."""
    return urllib.parse.quote(utf8(s) if isinstance(s, str) else s, safe="")


def letters(rng, n):
    return "".join(rng.choice(ALNUM) for _ in range(n))


def hostile_atoms(rng):
    """Text that a directory should never send, or sends only at the edge of what is allowed, as functions
    (one call per value, so that random parts differ: unique names, incompressible long values). Returns
    (core, more): the core atoms go into every slot, the others into random ones."""
    def const(*texts):
        return [lambda t=t: t for t in texts]

    core = const("\0", "a\0b", "\x7f", "a\x85b", "\ud800", "a\udfffb", "", " ", "x\x01y", "x\x1fy",
                 "x\ty", "x\ny", "\\u0000", "%00", "' OR '1'='1", "\U0001f600" * 10, "e" + "\u0301" * 500) + [
        lambda: letters(rng, MAX_VALUE),                       # at the limit: allowed
        lambda: letters(rng, MAX_VALUE + 1),
        lambda: letters(rng, 3000),
        lambda: letters(rng, 100_000),
        lambda: "a" * 3000,
        lambda: "\u00e9" * 100_000,
        lambda: letters(rng, 4) + "\u20ac" * 340,              # 1,024 bytes in 344 characters: allowed
        lambda: letters(rng, 4) + "\u20ac" * 341,              # 1,027 bytes
        lambda: letters(rng, 8) + "".join(rng.choice(EXPANDING) for _ in range(250)),
    ]
    more = const("\0" * 3, "\x9b", "\udc00\ud800", "\ufffe\uffff", "\U0010ffff", "\u202eevil",
                 "\u200b\u200d", "\ufeffbom", "\u2028\u2029", "\u3000\u00a0", "%", "_", "\\", '"', "%_\\",
                 "${jndi:x}", "<script>", "a\r\nX-Injected: 1", "..", "/", "a/b", "*") + \
        const(*[f"x{chr(c)}y" for c in range(2, 31) if c not in (9, 10)])
    return core, more


def flaws(s):
    """What the service refuses in a JSON string value `s`, as it reads it."""
    return {
        "nul": "\0" in s,
        "control": any(unicodedata.category(c) == "Cc" for c in s),
        "c0": any(ord(c) < 0x20 for c in s),
        "surrogate": any(0xD800 <= ord(c) <= 0xDFFF for c in s),
        "blank": not s.strip(),
        "bytes": len(utf8(s)),
    }


class Hostile:
    """One request: `expect` is "refuse" (a 4xx), "valid" (a 2xx, or 409 for a name already taken), "accept"
    (a 2xx), "conflict" (409) or "either" (anything but a 5xx); `watch` names what a write must leave alone
    unless it is answered 2xx."""

    def __init__(self, kind, method, target, body=None, expect="either", watch=None, server="scim",
                 auth="scim", ctype=SCIM_JSON, headers=None):
        self.kind, self.method, self.target, self.body, self.expect = kind, method, target, body, expect
        self.watch, self.server, self.auth, self.ctype, self.headers = watch, server, auth, ctype, headers or {}


def json_bytes(doc, raw):
    """`doc` as JSON: escaped (ASCII; a lone surrogate as \\udXXX) or raw UTF-8 (a lone surrogate as invalid
    UTF-8, a C0 character unescaped: both invalid JSON)."""
    if not raw:
        return json.dumps(doc).encode()
    text = json.dumps(doc, ensure_ascii=False)
    for c in set(ch for ch in text if ord(ch) < 0x20):
        text = text.replace(json.dumps(c)[1:-1], c)
    return utf8(text)


def value_expect(values, name=(), raw=False):
    """The expectation for a body carrying `values` ((text, limit) pairs); those in `name` are names
    (userName, displayName): no control characters and not blank either."""
    refuse = False
    for s, limit in values:
        f = flaws(s)
        bad = f["nul"] or f["surrogate"] or f["bytes"] > limit or (raw and f["c0"])
        if s in name:
            bad = bad or f["control"] or f["blank"]
        refuse = refuse or bad
    return "refuse" if refuse else ("valid" if name else "either")


class HostileRun:
    """The generated requests, sent one at a time to the servers of one backend, and what they found."""

    def __init__(self, srv, org, base, token, admin, support, oauth):
        self.srv, self.org, self.base, self.token, self.admin, self.support = srv, org, base, token, admin, support
        self.oauth_path = urllib.parse.urlsplit(oauth[0]).path
        self.scim_path = urllib.parse.urlsplit(base).path
        self.statuses, self.bad, self.tried, self.fingerprints = {}, {}, 0, {}
        self.fx_user = self.fx_group = None

    # -- sending --

    def send(self, h):
        host, port = ("127.0.0.1", self.srv.scim_port) if h.server == "scim" else ("127.0.0.1", self.srv.admin_port)
        conn = http.client.HTTPConnection(host, port, timeout=30)
        try:
            conn.putrequest(h.method, h.target, skip_host=False, skip_accept_encoding=True)
            auth = {"scim": self.token, "admin": self.admin, "support": self.support}.get(h.auth, h.auth)
            if auth:
                conn.putheader("Authorization", auth if isinstance(auth, bytes) else f"Bearer {auth}")
            for k, v in h.headers.items():
                conn.putheader(k, v)
            if h.body is not None:
                conn.putheader("Content-Type", h.ctype)
                conn.putheader("Content-Length", str(len(h.body)))
            conn.endheaders(h.body)
            r = conn.getresponse()
            return r.status, r.read()
        except (OSError, http.client.HTTPException, ValueError, UnicodeError) as e:
            return None, type(e).__name__.encode()
        finally:
            conn.close()

    def send_raw(self, data):
        """Raw bytes on a socket (a request line or headers no HTTP library sends): the answer's status."""
        try:
            with socket.create_connection(("127.0.0.1", self.srv.scim_port), timeout=10) as s:
                s.sendall(data)
                got = b""
                while b"\r\n" not in got:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    got += chunk
        except OSError:
            return None
        try:
            return int(got.split(b" ", 2)[1])
        except (IndexError, ValueError):
            return None

    # -- what a refused write must leave alone --

    def fingerprint(self, watch):
        if watch in ("users", "groups"):
            a = call("GET", f"{self.base}/{watch.capitalize()}?count=0", self.token)
            return a.status, (a.body or {}).get("totalResults")
        if watch == "user":
            a = call("GET", f"{self.base}/Users/{self.fx_user}", self.token)
            return a.status, json.dumps(a.body, sort_keys=True)
        if watch == "group":
            a = call("GET", f"{self.base}/Groups/{self.fx_group}", self.token)
            return a.status, json.dumps(a.body, sort_keys=True)
        what = "tokens" if watch == "tokens" else "clients"
        a = call("GET", f"{self.srv.admin}/api/v1/orgs/{self.org}/scim/{what}", self.admin)
        items = a.body.get("items", []) if isinstance(a.body, dict) else (a.body or [])
        return a.status, sorted(json.dumps({k: v for k, v in i.items() if k != "last_used_at"}, sort_keys=True)
                                for i in items)

    def note(self, what, h, status, detail=b""):
        self.bad.setdefault(what, [])
        self.bad[what].append(h)
        if len(self.bad[what]) <= 5:
            text = detail[:160].decode(errors="replace") if isinstance(detail, bytes) else str(detail)
            print(f"  {what}: {h.kind}: {h.method} {h.target[:100]} -> {status} {text}", flush=True)

    def run(self, h):
        self.tried += 1
        before = None
        if h.watch:
            before = self.fingerprints.get(h.watch)
            if before is None:
                before = self.fingerprints[h.watch] = self.fingerprint(h.watch)
        status, raw = self.send(h)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        ok = status is not None and 200 <= status < 300
        if status is None and len(h.target) + len(h.body or b"") < 32768:
            self.note("no answer", h, status, raw)
        elif status is None:
            pass  # a request larger than the server reads may be closed before its answer is read
        elif status >= 500:
            self.note("5xx", h, status, raw)
        elif h.expect == "refuse" and ok:
            self.note("invalid input accepted", h, status, raw)
        elif h.expect == "accept" and not ok:
            self.note("valid request refused", h, status, raw)
        elif h.expect == "conflict" and status != 409:
            self.note("duplicate not answered 409", h, status, raw)
        elif h.expect == "valid" and not ok and status != 409:
            self.note("valid value refused (figure)", h, status, raw)
        if h.watch:
            after = self.fingerprint(h.watch)
            if not ok and after != before:
                self.note("refused write changed state", h, status, raw)
            if ok:  # a write answered 2xx may change what the other fingerprints see (a member's name)
                self.fingerprints.clear()
            self.fingerprints[h.watch] = after
        return status, raw

    def run_raw(self, kind, data):
        self.tried += 1
        status = self.send_raw(data)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        # Some are readable requests (bare LF line ends, a long header): only a 5xx is a failure here.
        if status is not None and status >= 500:
            self.note("5xx", Hostile(kind, "RAW", repr(data[:60])), status)


def hostile_requests(rng, run, n):
    """Every hostile atom in every slot once, then random combinations up to `n` requests in all."""
    b, org = run.scim_path, run.org
    core, more = hostile_atoms(rng)

    def uniq():
        return f"h-{letters(rng, 12)}"

    def user_body(slot, s):
        """A user whose `slot` holds `s`: (document, [(value, limit)], names)."""
        name = uniq()
        doc = {"schemas": [USER_SCHEMA], "userName": name}
        if slot == "userName":
            doc["userName"] = s
            return doc, [(s, MAX_VALUE)], (s,)
        if slot in ("externalId", "displayName", "nickName", "title", "userType", "preferredLanguage",
                    "locale", "timezone"):
            doc[slot] = s
        elif slot == "profileUrl":
            doc[slot] = s
            return doc, [(s, MAX_REFERENCE)], ()
        elif slot.startswith("name."):
            doc["name"] = {slot[5:]: s}
        elif slot.startswith("emails."):
            doc["emails"] = [{"value": f"{name}@example.com", "type": "work", slot[7:]: s}]
        elif slot.startswith("addresses."):
            doc["addresses"] = [{slot[10:]: s}]
            return doc, [(s, ADDRESS_LIMITS.get(slot[10:], MAX_VALUE))], ()
        elif slot.startswith("phoneNumbers."):
            doc["phoneNumbers"] = [{"value": "+1 555 0100", slot[13:]: s}]
        elif slot.startswith("enterprise."):
            doc["schemas"].append(ENTERPRISE)
            doc[ENTERPRISE] = {slot[11:]: s}
        if slot == "emails.display":
            # Read and dropped: Humbol does not store an email's display (so any length is answered 2xx).
            return doc, [(s, 1 << 30)], ()
        return doc, [(s, MAX_VALUE)], ()

    user_slots = ["userName", "externalId", "displayName", "nickName", "title", "userType", "profileUrl",
                  "preferredLanguage", "locale", "timezone", "name.givenName", "name.familyName",
                  "name.formatted", "name.middleName", "emails.value", "emails.type", "emails.display",
                  "addresses.locality", "addresses.region", "addresses.country", "addresses.streetAddress",
                  "addresses.postalCode", "addresses.type", "addresses.formatted", "phoneNumbers.value",
                  "enterprise.department", "enterprise.employeeNumber", "enterprise.organization"]
    filter_attrs = ["userName", "externalId", "displayName", "emails.value", "name.givenName", "title",
                    "addresses.locality", "emails[type eq \"work\"].value", "id", "meta.created",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "active"]
    group_attrs = ["displayName", "externalId", "members.value", "id"]

    def literal(s, raw):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"' if raw else json.dumps(s)

    def query_expect(text, limit=MAX_FILTER):
        """A look-up whose query holds `text`: refused at the edge when it holds a control character (after
        percent-decoding), by the parser when longer than `limit` bytes; otherwise 200 or 400."""
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text) or len(utf8(text)) > limit:
            return "refuse"
        return "either"

    def one(slot, s, raw):
        """The request that puts `s` into `slot`."""
        if slot.startswith("user:"):
            field = slot[5:]
            doc, vals, names = user_body(field, s)
            return Hostile(f"create user {field}", "POST", f"{b}/Users", json_bytes(doc, raw),
                           value_expect(vals, names, raw), "users")
        if slot.startswith("put-user:"):
            field = slot[9:]
            doc, vals, names = user_body(field, s)
            if field != "userName":
                doc["userName"] = run.fx_user_name
            return Hostile(f"replace user {field}", "PUT", f"{b}/Users/{run.fx_user}", json_bytes(doc, raw),
                           value_expect(vals, names, raw), "user")
        if slot.startswith("patch-user:"):
            field = slot[11:]
            path = {"name.givenName": "name.givenName", "emails.value": "emails[type eq \"work\"].value",
                    "addresses.locality": "addresses.locality"}.get(field, field)
            doc = {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": path, "value": s}]}
            names = (s,) if field == "userName" else ()
            lim = (MAX_REFERENCE if field == "profileUrl" else
                   ADDRESS_LIMITS["locality"] if field == "addresses.locality" else MAX_VALUE)
            e = value_expect([(s, lim)], names, raw)
            return Hostile(f"patch user {field}", "PATCH", f"{b}/Users/{run.fx_user}", json_bytes(doc, raw),
                           "either" if e == "valid" else e, "user")
        if slot == "patch-path":
            doc = {"schemas": [PATCH_SCHEMA], "Operations": [{"op": rng.choice(["add", "replace", "remove"]),
                                                              "path": s, "value": "x"}]}
            f = flaws(s)
            return Hostile("patch path", "PATCH", f"{b}/Users/{run.fx_user}", json_bytes(doc, raw),
                           "refuse" if f["nul"] or f["surrogate"] or f["bytes"] > MAX_FILTER else "either", "user")
        if slot == "group:displayName":
            doc = {"schemas": [GROUP_SCHEMA], "displayName": s}
            return Hostile("create group displayName", "POST", f"{b}/Groups", json_bytes(doc, raw),
                           value_expect([(s, MAX_VALUE)], (s,), raw), "groups")
        if slot == "group:externalId":
            doc = {"schemas": [GROUP_SCHEMA], "displayName": uniq(), "externalId": s}
            return Hostile("create group externalId", "POST", f"{b}/Groups", json_bytes(doc, raw),
                           value_expect([(s, MAX_VALUE)], (), raw), "groups")
        if slot == "group:member":
            doc = {"schemas": [GROUP_SCHEMA], "displayName": uniq(), "members": [{"value": s}]}
            return Hostile("create group member", "POST", f"{b}/Groups", json_bytes(doc, raw), "refuse", "groups")
        if slot == "put-group":
            doc = {"schemas": [GROUP_SCHEMA], "displayName": s}
            e = value_expect([(s, MAX_VALUE)], (s,), raw)
            return Hostile("replace group displayName", "PUT", f"{b}/Groups/{run.fx_group}", json_bytes(doc, raw),
                           e, "group")
        if slot == "patch-group":
            if rng.random() < 0.5:
                doc = {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "displayName", "value": s}]}
                e = value_expect([(s, MAX_VALUE)], (s,), raw)
            else:
                doc = {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "add", "path": "members",
                                                                  "value": [{"value": s}]}]}
                e = "refuse"
            return Hostile("patch group", "PATCH", f"{b}/Groups/{run.fx_group}", json_bytes(doc, raw),
                           "either" if e == "valid" else e, "group")
        if slot in ("filter-users", "filter-groups"):
            attr = rng.choice(filter_attrs if slot == "filter-users" else group_attrs)
            op = rng.choice(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"])
            text = f"{attr} {op} {literal(s, raw)}"
            what = "Users" if slot == "filter-users" else "Groups"
            return Hostile(f"filter {what} value", "GET", f"{b}/{what}?filter={pct(text)}", expect=query_expect(text))
        if slot == "filter-path":
            text = f"{s} eq \"x\""
            return Hostile("filter attribute path", "GET", f"{b}/Users?filter={pct(text)}", expect=query_expect(text))
        if slot == "query-param":
            param = rng.choice(["attributes", "excludedAttributes", "sortBy", "sortOrder", "startIndex", "count"])
            what = rng.choice(["Users", "Groups"])
            return Hostile(f"query {param}", "GET", f"{b}/{what}?{param}={pct(s)}", expect=query_expect(s, 1 << 30))
        if slot == "search":
            what = rng.choice(["Users", "Groups"])
            doc = {"schemas": [SEARCH_SCHEMA], "filter": f"displayName eq {literal(s, False)}",
                   "attributes": [s], "count": 5}
            f = flaws(s)
            return Hostile(f"POST {what}/.search", "POST", f"{b}/{what}/.search", json_bytes(doc, raw),
                           "refuse" if f["nul"] or f["surrogate"] or (raw and f["c0"]) else "either")
        if slot.startswith("id:"):
            method, what = slot[3:].split(" ")
            seg = pct(s)
            body = None
            if method in ("PUT", "PATCH"):
                doc = ({"schemas": [PATCH_SCHEMA],
                        "Operations": [{"op": "replace", "path": "displayName", "value": "x"}]}
                       if method == "PATCH" else
                       {"schemas": [USER_SCHEMA if what == "Users" else GROUP_SCHEMA], "userName": uniq(),
                        "displayName": uniq()})
                body = json.dumps(doc).encode()
            watch = (what.lower() if method != "GET" else None)
            # An empty or dot segment may name the collection itself: anything but a 5xx (a write still must
            # change nothing unless answered 2xx).
            e = "either" if s in ("", ".", "..") else "refuse"
            return Hostile(f"{method} {what}/<id>", method, f"{b}/{what}/{seg}", body, e, watch)
        if slot == "discovery-id":
            what = rng.choice(["Schemas", "ResourceTypes"])
            return Hostile(f"GET {what}/<id>", "GET", f"{b}/{what}/{pct(s)}",
                           expect="either" if s in ("", ".", "..") else "refuse")
        if slot == "org":
            return Hostile("SCIM org <slug>", "GET", f"/scim/v2/orgs/{pct(s)}/Users", expect="refuse")
        if slot == "oauth":
            form = {"grant_type": "client_credentials", "client_id": s, "client_secret": s}
            body = urllib.parse.urlencode({k: utf8(v) for k, v in form.items()}).encode()
            return Hostile("OAuth token request", "POST", run.oauth_path, body, "refuse", auth=None,
                           ctype="application/x-www-form-urlencoded")
        if slot == "bearer":
            return Hostile("SCIM bearer token", "GET", f"{b}/Users?count=1", expect="refuse",
                           auth=b"Bearer " + utf8(s).replace(b"\r", b"").replace(b"\n", b""))
        if slot == "admin-token-delete":
            return Hostile("admin DELETE token <id>", "DELETE", f"/api/v1/orgs/{org}/scim/tokens/{pct(s)}",
                           expect="refuse", watch="tokens", server="admin", auth="admin")
        if slot == "admin-client-delete":
            return Hostile("admin DELETE client <id>", "DELETE", f"/api/v1/orgs/{org}/scim/clients/{pct(s)}",
                           expect="refuse", watch="clients", server="admin", auth="admin")
        if slot == "admin-token-name":
            t = s.strip()
            f = flaws(s)
            refuse = (f["nul"] or f["control"] or f["surrogate"] or not t or len(t) > MAX_TOKEN_NAME
                      or (raw and f["c0"]))
            return Hostile("admin POST token name", "POST", f"/api/v1/orgs/{org}/scim/tokens",
                           json_bytes({"name": s}, raw), "refuse" if refuse else "valid", "tokens",
                           server="admin", auth="admin", ctype="application/json")
        if slot == "admin-org":
            return Hostile("admin GET org <slug>", "GET", f"/api/v1/orgs/{pct(s)}/scim/tokens", expect="refuse",
                           server="admin", auth="support")
        if slot == "admin-events":
            param = rng.choice(["before", "limit", "action", "resource_type", "resource_id", "outcome"])
            return Hostile(f"admin events {param}", "GET", f"/api/v1/orgs/{org}/scim/events?{param}={pct(s)}",
                           expect=query_expect(s, 1 << 30), server="admin", auth="admin")
        raise ValueError(slot)

    slots = ([f"user:{s}" for s in user_slots] + [f"put-user:{s}" for s in ("userName", "externalId", "displayName",
                                                                             "name.givenName", "emails.value",
                                                                             "addresses.locality")]
             + [f"patch-user:{s}" for s in ("userName", "externalId", "displayName", "name.givenName",
                                            "emails.value", "addresses.locality", "title", "profileUrl")]
             + ["patch-path", "group:displayName", "group:externalId", "group:member", "put-group", "patch-group",
                "filter-users", "filter-groups", "filter-path", "query-param", "search"]
             + [f"id:{m} {w}" for m in ("GET", "PUT", "PATCH", "DELETE") for w in ("Users", "Groups")]
             + ["discovery-id", "org", "oauth", "bearer", "admin-token-delete", "admin-client-delete",
                "admin-token-name", "admin-org", "admin-events"])

    out = []
    # 1. Every core atom in every slot, every other atom in three slots; escaped JSON.
    for slot in slots:
        for atom in core:
            out.append(one(slot, atom(), False))
    for atom in more:
        for slot in rng.sample(slots, 3):
            out.append(one(slot, atom(), False))
    # Every attribute a filter can name, with every operator, against a NUL written as a filter escape, an
    # over-long value, characters whose folded form is longer, and LIKE's wildcards.
    every_user_attr = filter_attrs + ["nickName", "userType", "emails.type", "emails.primary", "phoneNumbers.value",
                                      "addresses.region", "addresses.country", "addresses.postalCode",
                                      "addresses.streetAddress", "addresses.formatted", "addresses.type",
                                      "name.familyName", "name.formatted", "groups.value", "groups.display",
                                      "meta.lastModified", "meta.resourceType", "meta.location", "meta.version",
                                      "profileUrl", "locale", "timezone", "preferredLanguage",
                                      f"{ENTERPRISE}:employeeNumber", f"{ENTERPRISE}:manager.value"]
    every_group_attr = group_attrs + ["members.display", "members.type", "meta.created", "meta.lastModified",
                                      "meta.resourceType"]
    literals = [json.dumps("a\0b"), json.dumps(letters(rng, 3000)),
                json.dumps("".join(rng.choice(EXPANDING) for _ in range(600))), json.dumps("%_\\")]
    for what, attrs in (("Users", every_user_attr), ("Groups", every_group_attr)):
        for attr in attrs:
            for op in ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"):
                for lit in literals:
                    text = f"{attr} {op} {lit}"
                    out.append(Hostile(f"filter {what} every attribute", "GET", f"{b}/{what}?filter={pct(text)}",
                                       expect=query_expect(text)))
    for path in ('emails[value eq "a\\u0000b"].type', 'addresses[locality eq "a\\u0000b"].region',
                 'emails[value eq "a\\u0000b"]', 'emails[type gt "a\\u0000b"].display'):
        for op in ("replace", "remove", "add"):
            doc = {"schemas": [PATCH_SCHEMA], "Operations": [{"op": op, "path": path, "value": "work"}]}
            out.append(Hostile("PATCH value filter NUL escape", "PATCH", f"{b}/Users/{run.fx_user}",
                               json.dumps(doc).encode(), "either", "user"))
    for op in ("replace", "remove", "add"):
        doc = {"schemas": [PATCH_SCHEMA], "Operations": [{"op": op, "path": 'members[value eq "a\\u0000b"]',
                                                           "value": [{"value": run.fx_user}]}]}
        out.append(Hostile("PATCH value filter NUL escape", "PATCH", f"{b}/Groups/{run.fx_group}",
                           json.dumps(doc).encode(), "either", "group"))
    # Every string of a resource at the documented limit at once (random letters: PostgreSQL compresses a
    # repetitive value in an index row, not these): valid, so a 2xx.
    for _ in range(3):
        full = lambda limit=MAX_VALUE: letters(rng, limit)  # noqa: E731
        doc = {"schemas": [USER_SCHEMA, ENTERPRISE], "userName": full(), "externalId": full(),
               "displayName": full(), "nickName": full(), "title": full(), "userType": full(),
               "name": {k: full() for k in ("formatted", "familyName", "givenName", "middleName",
                                            "honorificPrefix", "honorificSuffix")},
               "emails": [{"value": full(), "type": full(), "display": full()} for _ in range(2)],
               "addresses": [{k: full(ADDRESS_LIMITS.get(k, MAX_VALUE))
                              for k in ("type", "locality", "region", "country", "streetAddress", "postalCode",
                                        "formatted")} for _ in range(2)],
               "phoneNumbers": [{"value": full(), "type": full()}],
               ENTERPRISE: {k: full() for k in ("department", "employeeNumber", "organization", "division",
                                                "costCenter")}}
        out.append(Hostile("every value at the limit", "POST", f"{b}/Users", json.dumps(doc).encode(), "valid",
                           "users"))
        doc = {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "add", "path": "addresses", "value": [
            {k: full(ADDRESS_LIMITS.get(k, MAX_VALUE))
             for k in ("type", "locality", "region", "country", "streetAddress", "postalCode", "formatted")}]}]}
        out.append(Hostile("every value at the limit", "PATCH", f"{b}/Users/{run.fx_user}",
                           json.dumps(doc).encode(), "valid", "user"))
        doc = {"schemas": [GROUP_SCHEMA], "displayName": full(), "externalId": full()}
        out.append(Hostile("every value at the limit", "POST", f"{b}/Groups", json.dumps(doc).encode(), "valid",
                           "groups"))
    # 2. Weird ids no encoder produces: invalid percent-encodings, dot segments, encoded slashes.
    odd = ["%", "%zz", "%0", "%C0%80", "%ED%A0%80", "%FF", "%E2%82", "%F4%90%80%80", "..", ".", "%2e%2e", "%2F",
           "a%2Fb", "a;b", "*", "~", str(uuid.UUID(int=rng.getrandbits(128))), "%EF%BB%BF", "%E2%80%AE",
           "a" * 3000, "%00" * 3, "%0D%0A"]
    for seg in odd:
        for method in ("GET", "PUT", "PATCH", "DELETE"):
            for what in ("Users", "Groups"):
                h = one(f"id:{method} {what}", "x", False)
                h.target = f"{b}/{what}/{seg}"
                h.expect = "either" if seg in (".", "..", "%2e%2e") else "refuse"
                out.append(h)
        for slot, tmpl in (("admin-token-delete", "/api/v1/orgs/{org}/scim/tokens/{seg}"),
                           ("admin-client-delete", "/api/v1/orgs/{org}/scim/clients/{seg}")):
            h = one(slot, "x", False)
            h.target = tmpl.format(org=org, seg=seg)
            h.expect = "either" if seg in (".", "..", "%2e%2e") else "refuse"
            out.append(h)
        h = one("filter-users", "x", False)
        h.target = f"{b}/Users?filter=userName%20eq%20%22{seg}%22"
        h.expect = "refuse" if seg in ("%00" * 3, "%0D%0A") else "either"
        out.append(h)
    # 3. Filters: flat ORs and ANDs of many terms (no nesting: must be answered), nesting past the limit.
    for k in (66, 67, 100, 128, 150):
        for joiner in (" or ", " and "):
            text = joiner.join(f'userName eq "x{i}"' for i in range(k))
            out.append(Hostile(f"flat {joiner.strip()} of {k}", "GET", f"{b}/Users?filter={pct(text)}",
                               expect="accept"))
        text = " or ".join(f'not (userName eq "x{i}")' for i in range(k))
        out.append(Hostile(f"flat or of {k} not()", "GET", f"{b}/Users?filter={pct(text)}", expect="accept"))
        text = "emails[" + " or ".join(f'value eq "x{i}"' for i in range(k)) + "]"
        out.append(Hostile(f"value filter or of {k}", "GET", f"{b}/Users?filter={pct(text)}", expect="accept"))
        text = " or ".join(f'displayName eq "g{i}"' for i in range(k))
        out.append(Hostile(f"group flat or of {k}", "GET", f"{b}/Groups?filter={pct(text)}", expect="accept"))
        doc = {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "value": "work",
                                                           "path": "emails[" + " or ".join(
                                                               f'value eq "x{i}"' for i in range(k)) + "].type"}]}
        out.append(Hostile(f"PATCH path or of {k}", "PATCH", f"{b}/Users/{run.fx_user}", json.dumps(doc).encode(),
                           "either", "user"))
    for d in list(range(1, 41)) + [50, 64, 100, 1000, 2000, 5000]:
        text = "(" * d + 'userName eq "x"' + ")" * d
        e = "accept" if d < MAX_DEPTH else ("either" if d == MAX_DEPTH else "refuse")
        out.append(Hostile(f"nested ( {d}", "GET", f"{b}/Users?filter={pct(text)}", expect=e))
        text = "not (" * d + 'userName eq "x"' + ")" * d
        out.append(Hostile(f"nested not( {d}", "GET", f"{b}/Users?filter={pct(text)}", expect=e))
        doc = {"schemas": [SEARCH_SCHEMA], "filter": "(" * d + 'displayName eq "x"' + ")" * d}
        out.append(Hostile(f"search nested ( {d}", "POST", f"{b}/Groups/.search", json.dumps(doc).encode(), e))
    pad = 'userName eq ""'
    for total in (MAX_FILTER, MAX_FILTER + 1):
        text = 'userName eq "' + "a" * (total - len(pad)) + '"'
        out.append(Hostile(f"filter of {total} bytes", "GET", f"{b}/Users?filter={pct(text)}",
                           expect="either" if total == MAX_FILTER else "refuse"))
    # 4. Bodies that are not a SCIM resource.
    bad = [b"", b"{", b'{"userName": "x"', b"null", b"[]", b"123", b'"x"', b"\xff\xfe", b"}}",
           b"[" * 100_000, b'{"a":' * 10_000, b'{"userName": NaN}', b'{"userName": 1e999}',
           b'{"userName": "\\ud800"}', b'{"userName": "\xed\xa0\x80"}', b'{"userName": "\xff"}',
           '{"userName": "utf16"}'.encode("utf-16"), b'{"schemas": "x"}', b'{"userName": 12}',
           b'{"userName": ["a"]}', b'{"userName": {"a": 1}}', b'{"userName": "a", "emails": "x"}',
           b'{"userName": "a", "emails": [1, 2]}', b'{"userName": "a", "name": []}',
           b'{"userName": "a", "\\u0000": 1}', b'{"displayName": "a", "members": "x"}',
           b'{"displayName": "a", "members": [{"value": null}]}', b'{"Operations": "x"}',
           b'{"Operations": [{"op": "\\u0000"}]}', b'{"Operations": [{"op": "replace", "path": "userName"}]}',
           b'{"Operations": [' + b'{"op": "remove", "path": "x"},' * 5000 + b'{"op": "remove", "path": "x"}]}',
           b'{"userName": "a", "x": ' + b"[" * 200 + b"]" * 200 + b"}",
           b'{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "\\u0000"}',
           b"\xef\xbb\xbf{}", b"\x00", b"{}" + b" " * 10 + b"\x00"]
    targets = [("POST", f"{b}/Users", "users"), ("POST", f"{b}/Groups", "groups"),
               ("PUT", f"{b}/Users/{run.fx_user}", "user"), ("PATCH", f"{b}/Users/{run.fx_user}", "user"),
               ("PUT", f"{b}/Groups/{run.fx_group}", "group"), ("PATCH", f"{b}/Groups/{run.fx_group}", "group"),
               ("POST", f"{b}/Users/.search", None), ("POST", f"{b}/Groups/.search", None)]
    for body in bad:
        syntax = not_json(body)
        for method, target, watch in targets:
            # A search request is a read: a document that is JSON but no search request may be read leniently.
            out.append(Hostile("bad JSON body", method, target, body, "refuse" if watch or syntax else "either",
                               watch))
        out.append(Hostile("bad JSON body", "POST", f"/api/v1/orgs/{org}/scim/tokens", body, "refuse", "tokens",
                           server="admin", auth="admin", ctype="application/json"))
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data",
                  "application/scim+json; charset=utf-16", "\x01", "a" * 3000):
        doc = {"schemas": [USER_SCHEMA], "userName": uniq()}
        h = Hostile("content type", "POST", f"{b}/Users", json.dumps(doc).encode(), "either", "users", ctype=ctype)
        out.append(h)
    # 5. NFC and NFD (and case) spellings of one name: one resource; the second create answers 409.
    for i, base_name in enumerate(["Jos\u00e9", "Zo\u00eb", "\u00c5ngstr\u00f6m", "\ud55c\uad6d\uc5b4",
                                   "\u1e69", "Fran\u00e7ois", "\u01c4", "\u0146\u0327"]):
        name = f"{base_name}-{letters(rng, 8)}"
        nfc, nfd = unicodedata.normalize("NFC", name), unicodedata.normalize("NFD", name)
        first, second = (nfc, nfd) if i % 2 == 0 else (nfd, nfc)
        third = name.upper() if i % 3 == 0 else second.replace(base_name[:1], base_name[:1].swapcase(), 1)
        if base_name.startswith("\u00c5"):  # the Angstrom sign's NFC is U+00C5
            third = "\u212b" + nfc[1:]
        for what, attr in (("Users", "userName"), ("Groups", "displayName")):
            schema = USER_SCHEMA if what == "Users" else GROUP_SCHEMA
            watch = what.lower()
            out.append(Hostile(f"NFC/NFD {what}: first", "POST", f"{b}/{what}",
                               json.dumps({"schemas": [schema], attr: first}).encode(), "accept", watch))
            for again in (second, third):
                out.append(Hostile(f"NFC/NFD {what}: other spelling", "POST", f"{b}/{what}",
                                   json.dumps({"schemas": [schema], attr: again}).encode(), "conflict", watch))
            out.append(Hostile(f"NFC/NFD {what}: look-up by the other spelling", "GET",
                               f"{b}/{what}?filter={pct(f'{attr} eq {json.dumps(second)}')}", expect="accept"))
            out[-1].finds_one = True
        doc = {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "userName", "value": second}]}
        out.append(Hostile("NFC/NFD: rename onto the other spelling", "PATCH", f"{b}/Users/{run.fx_user}",
                           json.dumps(doc).encode(), "conflict", "user"))
    # 6. Random combinations: several atoms and letters, escaped or raw JSON, in a random slot.
    while len(out) < n:
        parts = [rng.choice(core + more)() if rng.random() < 0.6 else letters(rng, rng.randint(1, 8))
                 for _ in range(rng.randint(1, 3))]
        out.append(one(rng.choice(slots), "".join(parts), rng.random() < 0.3))
    return out


def not_json(body):
    """Whether `body` is not JSON as the servers' parser reads it (strict UTF-8 without a byte-order mark, no
    NaN or out-of-range number, no lone surrogate, at most 128 levels deep), or holds a U+0000."""
    def refuse(c):
        raise ValueError(c)

    def finite(text):
        f = float(text)
        return f if math.isfinite(f) else refuse(text)

    def depth(v):
        if isinstance(v, list):
            return 1 + max((depth(x) for x in v), default=0)
        if isinstance(v, dict):
            return 1 + max((depth(x) for x in v.values()), default=0)
        return 0

    try:
        doc = json.loads(body.decode("utf-8"), parse_constant=refuse, parse_float=finite)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return True
    surrogate = any(0xD800 <= ord(c) <= 0xDFFF for c in json.dumps(doc, ensure_ascii=False))
    return surrogate or holds_nul(doc) or depth(doc) > 127


def raw_requests(run):
    """Request lines and headers that break HTTP itself, written straight to a socket."""
    p = run.scim_path.encode()
    auth = f"Authorization: Bearer {run.token}\r\n".encode()
    host = b"Host: 127.0.0.1\r\n"
    lines = [
        b"GET " + p + b"/Users/\x00 HTTP/1.1\r\n" + host + auth + b"\r\n",
        b"GET " + p + b"/Users/\xff\xfe HTTP/1.1\r\n" + host + auth + b"\r\n",
        b"GET " + p + b"/Users/\xed\xa0\x80 HTTP/1.1\r\n" + host + auth + b"\r\n",
        b"GET " + p + b"/Users?filter=userName eq \"a\" HTTP/1.1\r\n" + host + auth + b"\r\n",
        b"GET " + p + b"/Users/a\tb HTTP/1.1\r\n" + host + auth + b"\r\n",
        b"GET " + p + b"/Users/\x7f HTTP/1.1\r\n" + host + auth + b"\r\n",
        b"GET " + p + b"/Users/" + b"a" * 100_000 + b" HTTP/1.1\r\n" + host + auth + b"\r\n",
        b"GET " + p + b"/Users HTTP/9.9\r\n" + host + auth + b"\r\n",
        b"get " + p + b"/Users HTTP/1.1\r\n" + host + auth + b"\r\n",
        b"G\x00T " + p + b"/Users HTTP/1.1\r\n" + host + auth + b"\r\n",
        b"GET " + p + b"/Users HTTP/1.1\r\n" + host + auth + b"X-A: \x00\r\n\r\n",
        b"GET " + p + b"/Users HTTP/1.1\r\n" + host + b"Authorization: Bearer \x00\xff\r\n\r\n",
        b"GET " + p + b"/Users HTTP/1.1\r\n" + host + auth + b"X-Long: " + b"a" * 100_000 + b"\r\n\r\n",
        b"POST " + p + b"/Users HTTP/1.1\r\n" + host + auth + b"Content-Length: -1\r\n\r\n{}",
        b"POST " + p + b"/Users HTTP/1.1\r\n" + host + auth + b"Content-Length: abc\r\n\r\n{}",
        b"POST " + p + b"/Users HTTP/1.1\r\n" + host + auth + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        b"POST " + p + b"/Users HTTP/1.1\r\n" + host + auth
        + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        b"POST " + p + b"/Users HTTP/1.1\r\n" + host + auth + b"Content-Length: 99999999999999999999\r\n\r\n{}",
        b"GET " + p + b"/Users HTTP/1.1\n" + host + auth + b"\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(32) + b"\r\n\r\n",
    ]
    return lines


def holds_nul(v):
    if isinstance(v, str):
        return "\0" in v
    if isinstance(v, list):
        return any(holds_nul(x) for x in v)
    if isinstance(v, dict):
        return any("\0" in k or holds_nul(x) for k, x in v.items())
    return False


def stored_values(run):
    """Every user and group as the API returns them: (resources, resources with a NUL anywhere, names with a
    control character or longer than the limit)."""
    found, nul, names = 0, 0, 0
    for what, attr in (("Users", "userName"), ("Groups", "displayName")):
        start = 1
        while True:
            a = call("GET", f"{run.base}/{what}?startIndex={start}&count=200", run.token)
            items = (a.body or {}).get("Resources", [])
            for r in items:
                found += 1
                nul += holds_nul(r)
                v = r.get(attr, "")
                names += any(unicodedata.category(c) == "Cc" for c in v) or len(utf8(v)) > MAX_VALUE
            if a.status != 200 or not items:
                break
            start += len(items)
    return found, nul, names


def hostile_backend(args, name, srv):
    org = "hostile"
    base, token, admin = srv.org_with_token(org)
    support = srv.jwt("support")
    oauth = srv.oauth_client(org, admin)
    run = HostileRun(srv, org, base, token, admin, support, oauth)
    run.fx_user_name = f"fixture-{uuid.uuid4().hex[:8]}"
    a = call("POST", f"{base}/Users", token, {"schemas": [USER_SCHEMA], "userName": run.fx_user_name,
                                              "emails": [{"value": "fixture@example.com", "type": "work"}]})
    run.fx_user = a.body["id"]
    run.fx_group = new_group(base, token, [run.fx_user]).body["id"]
    rng = random.Random(args.hostile_seed)
    requests = hostile_requests(rng, run, args.hostile)
    t0 = time.monotonic()
    finds_one_bad = 0
    for h in requests:
        status, raw = run.run(h)
        if getattr(h, "finds_one", False) and status == 200:
            if (json.loads(raw or b"{}") or {}).get("totalResults") != 1:
                finds_one_bad += 1
                run.note("look-up by the other spelling did not find one", h, status, raw)
    for i, data in enumerate(raw_requests(run)):
        run.run_raw(f"raw HTTP {i}", data)
    seconds = time.monotonic() - t0
    found, nul, names = stored_values(run)
    kinds = {}
    for h in requests:
        k = h.kind.split(" of ")[0].split(": ")[0]
        kinds[k] = kinds.get(k, 0) + 1
    n5 = len(run.bad.get("5xx", []))
    hist = {str(k): v for k, v in sorted(run.statuses.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))}
    for what, hs in sorted(run.bad.items()):
        per = {}
        for h in hs:
            per[h.kind] = per.get(h.kind, 0) + 1
        figure(f"{name}: {what}, per kind", per)
    figure(f"{name}: requests tried", f"{run.tried} in {seconds:.1f} s (seed {args.hostile_seed})")
    figure(f"{name}: 5xx", n5)
    figure(f"{name}: statuses", hist)
    figure(f"{name}: refused writes that changed state", len(run.bad.get("refused write changed state", [])))
    figure(f"{name}: invalid input accepted", len(run.bad.get("invalid input accepted", [])))
    figure(f"{name}: valid values refused (not a failure)", len(run.bad.get("valid value refused (figure)", [])))
    figure(f"{name}: users and groups stored / with a NUL / names with a control character or over "
           f"{MAX_VALUE} bytes", f"{found} / {nul} / {names}")
    check(n5 == 0, f"{name}: no 5xx in {run.tried} hostile requests")
    check(not run.bad.get("no answer"), f"{name}: every request answered")
    check(not run.bad.get("refused write changed state"), f"{name}: refused writes change nothing")
    check(not run.bad.get("invalid input accepted"), f"{name}: invalid input never answered 2xx")
    check(not run.bad.get("valid request refused"), f"{name}: flat ORs / ANDs of 66 to 150 terms and nesting "
                                                     f"under {MAX_DEPTH} levels answered, NFC/NFD first creates 201")
    check(not run.bad.get("duplicate not answered 409") and finds_one_bad == 0,
          f"{name}: NFC, NFD and case spellings of one name are one resource (409)")
    check(nul == 0 and names == 0, f"{name}: nothing stored holds a NUL; no stored name holds a control character")
    return kinds


def stage_hostile(args, work):
    print(f"== hostile input ({args.hostile} generated requests per backend, SQLite and PostgreSQL)", flush=True)
    srv = Servers(args.bin, f"sqlite://{os.path.join(work, 'hostile.db')}", work, "hostile-sqlite")
    srv.start()
    kinds = hostile_backend(args, "SQLite", srv)
    srv.stop()
    pg = PgCluster(work)
    pg.start()
    srv = Servers(args.bin, pg.createdb("hostile"), work, "hostile-pg")
    srv.start()
    hostile_backend(args, "PostgreSQL", srv)
    srv.stop()
    pg.stop()
    figure("requests per kind (each backend)", dict(sorted(kinds.items(), key=lambda kv: -kv[1])))


STAGES = {
    "races": stage_races,
    "pg_stop": stage_pg_stop,
    "pg_freeze": stage_pg_freeze,
    "token_flush": stage_token_flush,
    "sqlite": stage_sqlite,
    "sqlite_readonly": stage_sqlite_readonly,
    "events": stage_events,
    "stalled": stage_stalled,
    "members": stage_members,
    "hostile": stage_hostile,
}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", required=True, help="directory of the release binaries scim-api and admin-api")
    p.add_argument("--stage", action="append", choices=sorted(STAGES), help="run only these stages")
    p.add_argument("--trials", type=int, default=40, help="trials per race (default 40)")
    p.add_argument("--outage", type=float, default=10.0, help="seconds each outage lasts (default 10)")
    p.add_argument("--recovery", type=float, default=6.0, help="seconds of load after recovery (default 6)")
    p.add_argument("--stalled", type=int, default=1000, help="stalled connections (default 1000)")
    p.add_argument("--members", type=int, default=90000, help="member ids of the members stage's PATCH (default 90000)")
    p.add_argument("--members-cpu", type=float, default=2.0,
                   help="most CPU seconds of scim-api for one PATCH of the members stage (default 2, for release binaries)")
    p.add_argument("--hostile", type=int, default=3000,
                   help="requests per backend of the hostile stage (default 3000; at least the systematic ones)")
    p.add_argument("--hostile-seed", type=int, default=16, help="the hostile stage's random seed (default 16)")
    p.add_argument("--keep-going", action="store_true", help="run every stage even after a failure")
    args = p.parse_args()
    start = time.monotonic()
    for name in args.stage or list(STAGES):
        work = work_dir()
        try:
            STAGES[name](args, work)
        except Exception as e:
            check(False, f"{name}: {type(e).__name__}: {e}")
    print(f"fault suite: {time.monotonic() - start:.0f} s, {len(failures)} failure(s)")
    for f in failures:
        print(f"  FAILED: {f}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
