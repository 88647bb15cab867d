"""What the fault suite and the crash test share: HTTP calls, free ports, a private PostgreSQL cluster, the two
release binaries, an organisation with a SCIM token, and clean-up on every exit path.

Standard library only (it runs before and without the Python tools of scripts/pyenv).
"""

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import secrets

SCIM_JSON = "application/scim+json"

_cleanups = []
_cleanup_lock = threading.Lock()


def on_exit(fn):
    """Runs `fn` at exit (normal, exception, SIGTERM/SIGINT), last registered first."""
    with _cleanup_lock:
        _cleanups.append(fn)
    return fn


def _run_cleanups(*_):
    with _cleanup_lock:
        fns = list(reversed(_cleanups))
        _cleanups.clear()
    for fn in fns:
        try:
            fn()
        except Exception as e:  # clean-up must go on
            print(f"clean-up: {e}", file=sys.stderr)


atexit.register(_run_cleanups)


def _signalled(signum, _frame):
    _run_cleanups()
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _signalled)
signal.signal(signal.SIGINT, _signalled)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Answer:
    """One HTTP answer: status (None: no answer: refused, reset or timed out), headers, JSON body, seconds."""

    def __init__(self, status, headers, body, seconds, error=None):
        self.status, self.headers, self.body, self.seconds, self.error = status, headers, body, seconds, error

    def header(self, name):
        for k, v in (self.headers or {}).items():
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        detail = ""
        if isinstance(self.body, dict):
            detail = self.body.get("detail") or self.body.get("error_description") or self.body.get("message") or ""
        return f"<{self.status} {self.seconds:.2f}s {self.error or ''}{detail}>"


def call(method, url, token=None, body=None, timeout=30.0, content_type=SCIM_JSON, form=None) -> Answer:
    """`body` is sent as JSON, `form` (a dict) as `application/x-www-form-urlencoded`."""
    data = None if body is None else json.dumps(body).encode()
    if form is not None:
        data, content_type = urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", content_type)
    start = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return Answer(r.status, dict(r.headers), _json(raw), time.monotonic() - start)
    except urllib.error.HTTPError as e:
        raw = e.read()
        return Answer(e.code, dict(e.headers), _json(raw), time.monotonic() - start)
    except Exception as e:  # refused, reset, timed out
        return Answer(None, {}, None, time.monotonic() - start, error=type(e).__name__)


def _json(raw):
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def as_postgres(*cmd, **kw):
    """Runs `cmd` as the operating-system user postgres (initdb and the server refuse root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(prefix + list(cmd), check=True, capture_output=True, text=True, **kw)


class PgCluster:
    """A private PostgreSQL cluster on a free port on loopback (never the machine's shared server): initdb,
    start, stop (fast or immediate), freeze (SIGSTOP of every server process) and thaw."""

    def __init__(self, work):
        self.dir = os.path.join(work, "pgdata")
        self.sock = os.path.join(work, "pgsock")
        self.log = os.path.join(work, "pg.log")
        os.makedirs(self.sock)
        os.makedirs(self.dir, mode=0o700)
        os.chmod(work, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.sock, "postgres")
            shutil.chown(self.dir, "postgres")
            open(self.log, "w").close()
            shutil.chown(self.log, "postgres")
        self.port = free_port()
        as_postgres("initdb", "-D", self.dir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        self.frozen = []
        self.running = False
        on_exit(self.destroy)

    def url(self, db="postgres"):
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def start(self):
        opts = f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 -c max_connections=200"
        as_postgres("pg_ctl", "-D", self.dir, "-o", opts, "-l", self.log, "-w", "-t", "30", "start")
        self.running = True

    def stop(self, mode="fast"):
        as_postgres("pg_ctl", "-D", self.dir, "-m", mode, "-w", "-t", "30", "stop")
        self.running = False

    def createdb(self, name):
        as_postgres("createdb", "-h", "127.0.0.1", "-p", str(self.port), name)
        return self.url(name)

    def _pids(self):
        with open(os.path.join(self.dir, "postmaster.pid")) as f:
            master = int(f.readline())
        pids = [master]
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                if ppid == master:
                    pids.append(int(entry))
        return pids

    def freeze(self):
        self.frozen = self._pids()
        for pid in self.frozen:
            os.kill(pid, signal.SIGSTOP)

    def thaw(self):
        for pid in self.frozen:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        self.frozen = []

    def destroy(self):
        self.thaw()
        if self.running:
            try:
                self.stop("immediate")
            except subprocess.CalledProcessError:
                pass


class Servers:
    """scim-api and admin-api (release binaries in `bin_dir`) on free loopback ports, on `database_url`."""

    def __init__(self, bin_dir, database_url, work, name, extra_env=None):
        self.bin_dir, self.database_url, self.work, self.name = bin_dir, database_url, work, name
        self.secret = secrets.token_hex(32)
        self.scim_port, self.admin_port = free_port(), free_port()
        self.scim = f"http://127.0.0.1:{self.scim_port}"
        self.admin = f"http://127.0.0.1:{self.admin_port}"
        self.extra_env = extra_env or {}
        self.procs = {}
        self.starts = 0
        # Which servers have answered once (see start).
        self.started = {}
        on_exit(self.stop)

    def env(self):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DATABASE_URL": self.database_url,
            "HUMBOL_SCIM_BIND": f"127.0.0.1:{self.scim_port}",
            "HUMBOL_ADMIN_BIND": f"127.0.0.1:{self.admin_port}",
            "HUMBOL_SCIM_PUBLIC_URL": self.scim,
            "HUMBOL_ADMIN_JWT_SECRET": self.secret,
            "RUST_LOG": "info",
            # The load comes from one address into one organisation, faster than any identity provider sends:
            # the rate limits would answer 429 for what the faults should answer (as in bench/run).
            "HUMBOL_RATE_LIMIT_ORG": "0",
            "HUMBOL_RATE_LIMIT_ADDRESS": "0",
            "HUMBOL_RATE_LIMIT_AUTH_FAILURES": "0",
            "HUMBOL_MAX_CONNECTIONS_PER_ADDRESS": "100000",
        }
        env.update(self.extra_env)
        return env

    def log_path(self, which):
        return os.path.join(self.work, f"{self.name}-{which}.log")

    def start(self, which=("scim", "admin")):
        for w in which:
            self._spawn(w)
        for w in which:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if self.procs[w].poll() is not None:
                    with open(self.log_path(w)) as f:
                        tail = f.read()[-2000:]
                    # A port that free_port() handed out may be taken by another socket before the server binds
                    # it (the ephemeral range is shared). Nobody holds this server's URL before its first start,
                    # so that start moves to another port; a restart keeps its port and fails.
                    if "Address already in use" in tail and not self.started.get(w):
                        self._move(w)
                        self._spawn(w)
                        continue
                    raise RuntimeError(f"{w} exited at start-up; the end of {self.log_path(w)}:\n{tail}")
                url = self.scim if w == "scim" else self.admin
                if call("GET", url + "/healthz", timeout=2).status == 200:
                    self.started[w] = True
                    break
                time.sleep(0.1)
            else:
                raise RuntimeError(f"{w} never answered /healthz")

    def _spawn(self, w):
        binary = os.path.join(self.bin_dir, "scim-api" if w == "scim" else "admin-api")
        log = open(self.log_path(w), "a")
        self.procs[w] = subprocess.Popen([binary], env=self.env(), stdout=log, stderr=subprocess.STDOUT)
        self.starts += 1

    def _move(self, w):
        if w == "scim":
            self.scim_port = free_port()
            self.scim = f"http://127.0.0.1:{self.scim_port}"
        else:
            self.admin_port = free_port()
            self.admin = f"http://127.0.0.1:{self.admin_port}"

    def kill(self, which="scim", sig=signal.SIGKILL, wait=True):
        p = self.procs.get(which)
        if p and p.poll() is None:
            p.send_signal(sig)
            if wait:
                try:
                    p.wait(timeout=40)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()

    def stop(self):
        for w in list(self.procs):
            self.kill(w, signal.SIGKILL)
        self.procs = {}

    def jwt(self, role, org=None):
        cmd = [os.path.join(self.bin_dir, "admin-api"), "dev-token", "--role", role]
        if org:
            cmd += ["--org", org]
        env = {"PATH": os.environ.get("PATH", ""), "HUMBOL_ADMIN_JWT_SECRET": self.secret}
        return subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout.strip()

    def org_with_token(self, org):
        """Enables SCIM for `org`; returns (SCIM base URL, SCIM token, admin JWT of the org)."""
        support = self.jwt("support")
        r = call("PUT", f"{self.admin}/api/v1/orgs/{org}", support,
                 {"name": org, "scim_enabled": True, "roles": ["Admin", "Member"], "default_role": "Member"},
                 content_type="application/json")
        assert r.status in (200, 201), r
        admin = self.jwt("admin", org)
        r = call("POST", f"{self.admin}/api/v1/orgs/{org}/scim/tokens", admin, {"name": "fault"},
                 content_type="application/json")
        assert r.status == 201, r
        return f"{self.scim}/scim/v2/orgs/{org}", r.body["token"], admin

    def oauth_client(self, org, admin):
        """A new OAuth client of `org` (made with its admin JWT `admin`): (token endpoint, client_id, secret)."""
        r = call("POST", f"{self.admin}/api/v1/orgs/{org}/scim/clients", admin, {"name": "fault"},
                 content_type="application/json")
        assert r.status == 201, r
        return r.body["token_endpoint"], r.body["client_id"], r.body["client_secret"]

    def log_text(self, which):
        try:
            with open(self.log_path(which)) as f:
                return f.read()
        except OSError:
            return ""


def new_user(base, token, timeout=30.0):
    name = f"u-{uuid.uuid4().hex[:12]}@example.com"
    return call("POST", f"{base}/Users", token,
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name, "active": True},
                timeout=timeout)


def token_request(endpoint, client_id, secret, timeout=30.0):
    """An OAuth client credentials grant (`client_secret_post`) at the token endpoint."""
    return call("POST", endpoint, timeout=timeout,
                form={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})


def new_group(base, token, members=()):
    return call("POST", f"{base}/Groups", token,
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                 "displayName": f"g-{uuid.uuid4().hex[:12]}", "members": [{"value": m} for m in members]})


def patch_op(op, path, value=None):
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": op, "path": path}]}
    if value is not None:
        body["Operations"][0]["value"] = value
    return body


def work_dir():
    work = tempfile.mkdtemp(prefix="humbol-fault-")
    on_exit(lambda: shutil.rmtree(work, ignore_errors=True))
    return work


def concurrently(*fns):
    """Runs the functions at once (released together by a barrier); returns their results in order."""
    barrier = threading.Barrier(len(fns))
    out = [None] * len(fns)

    def run(i, fn):
        barrier.wait()
        out[i] = fn()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out
