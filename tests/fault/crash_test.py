#!/usr/bin/env python3
"""The crash test: scim-api killed with SIGKILL under a load of creates, PATCHes and member adds, restarted, and
every acknowledged write compared with what the database kept; on PostgreSQL the database server is also
crashed once (an immediate stop) and restarted. On SQLite and on a private PostgreSQL cluster (initdb on a free
port, as user postgres; never the machine's shared server).

A write is acknowledged when its answer arrived with a 2xx: a created user must exist, a user's displayName must
be the last acknowledged value or a later one that was attempted, a member added must be in the group.

Usage: crash_test.py --bin DIR [--backend sqlite|postgres ...] [--seconds N]. Time budget: under 2 minutes.
"""

import argparse
import os
import random
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import PgCluster, Servers, call, new_group, new_user, patch_op, work_dir  # noqa: E402


class Ledger:
    def __init__(self):
        self.lock = threading.Lock()
        self.users = {}  # id -> (acked displayName number, highest attempted number)
        self.members = set()
        self.counts = {"create": 0, "patch": 0, "member": 0, "no answer or 5xx": 0}


def worker(base, token, group, ledger, stop, seed):
    rng = random.Random(seed)
    mine = []
    n = 0
    while not stop.is_set():
        a = new_user(base, token, timeout=10)
        if a.status == 201:
            with ledger.lock:
                ledger.users[a.body["id"]] = (None, None)
                ledger.counts["create"] += 1
            mine.append(a.body["id"])
        elif a.status is None or a.status >= 500:
            ledger.counts["no answer or 5xx"] += 1
            time.sleep(0.05)
        if not mine:
            continue
        uid = rng.choice(mine)
        n += 1
        with ledger.lock:
            acked, _ = ledger.users[uid]
            ledger.users[uid] = (acked, n)
        a = call("PATCH", f"{base}/Users/{uid}", token, patch_op("replace", "displayName", f"n-{n}"), timeout=10)
        if a.status in (200, 204):
            with ledger.lock:
                _, tried = ledger.users[uid]
                ledger.users[uid] = (n, tried)
                ledger.counts["patch"] += 1
        uid = rng.choice(mine)
        a = call("PATCH", f"{base}/Groups/{group}", token, patch_op("add", "members", [{"value": uid}]), timeout=10)
        if a.status in (200, 204):
            with ledger.lock:
                ledger.members.add(uid)
                ledger.counts["member"] += 1


def run(backend, args):
    print(f"== crash test on {backend}", flush=True)
    work = work_dir()
    pg = None
    if backend == "postgres":
        pg = PgCluster(work)
        pg.start()
        url = pg.createdb("crash")
    else:
        url = f"sqlite://{os.path.join(work, 'crash.db')}"
    srv = Servers(args.bin, url, work, f"crash-{backend}")
    srv.start()
    base, token, _ = srv.org_with_token("crash")
    group = new_group(base, token).body["id"]
    ledger = Ledger()
    stop = threading.Event()
    threads = [threading.Thread(target=worker, args=(base, token, group, ledger, stop, i), daemon=True)
               for i in range(args.threads)]
    for t in threads:
        t.start()
    kills = 0
    start = time.monotonic()
    plan = [args.seconds * f for f in (0.15, 0.4, 0.65, 0.85)]
    for i, at in enumerate(plan):
        time.sleep(max(0.0, start + at - time.monotonic()))
        if pg is not None and i == 2:
            pg.stop("immediate")  # a database crash
            pg.start()
            print("  PostgreSQL crashed and restarted", flush=True)
            continue
        srv.kill("scim", signal.SIGKILL)
        kills += 1
        srv.start(("scim",))
    time.sleep(max(0.0, start + args.seconds - time.monotonic()))
    stop.set()
    for t in threads:
        t.join(timeout=30)

    lost = {"users": 0, "displayName": 0, "members": 0}
    for uid, (acked, tried) in ledger.users.items():
        a = call("GET", f"{base}/Users/{uid}", token)
        if a.status != 200:
            lost["users"] += 1
            continue
        if acked is not None:
            name = (a.body or {}).get("displayName") or ""
            kept = int(name[2:]) if name.startswith("n-") else -1
            if not acked <= kept <= tried:
                lost["displayName"] += 1
    g = call("GET", f"{base}/Groups/{group}", token).body or {}
    present = {m["value"] for m in g.get("members", [])}
    lost["members"] = len(ledger.members - present)
    print(f"  figure SIGKILLs of scim-api: {kills}", flush=True)
    print(f"  figure acknowledged: {ledger.counts}", flush=True)
    print(f"  figure acknowledged writes lost: {lost}", flush=True)
    srv.stop()
    if pg is not None:
        pg.stop()
    ok = sum(lost.values()) == 0 and ledger.counts["create"] > 0
    print(f"  {'ok  ' if ok else 'FAIL'} {backend}: no acknowledged write lost", flush=True)
    return ok


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", required=True, help="directory of the release binaries scim-api and admin-api")
    p.add_argument("--backend", action="append", choices=["sqlite", "postgres"])
    p.add_argument("--seconds", type=float, default=25.0, help="seconds of load per backend (default 25)")
    p.add_argument("--threads", type=int, default=4, help="client threads (default 4)")
    args = p.parse_args()
    start = time.monotonic()
    results = [run(b, args) for b in (args.backend or ["sqlite", "postgres"])]
    print(f"crash test: {time.monotonic() - start:.0f} s")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
