"""Checks docker-compose.yml against the code, since no Docker engine runs here.

- the file is valid YAML with services postgres, scim-api and admin-api;
- each API service runs the binary of its name, and every environment variable it sets is one that binary reads
  (declared in crates/humbol-config/src/vars.rs with that binary among its readers) and documented in
  README.md and .env.sample;
- the published container port is the port of the service's *_BIND address, and its health check probes it
  (`<binary> healthcheck`, or a URL on that port);
- each API service waits for a healthy postgres and points DATABASE_URL at it.

Usage: python compose_check.py [REPO]   (prints what it checked; exits 1 on the first mismatch)
With --env SERVICE it instead prints that service's environment as KEY=VALUE lines, for scripts/compose-smoke.
"""

import re
import sys
from pathlib import Path

import yaml

API_SERVICES = {"scim-api": "HUMBOL_SCIM_BIND", "admin-api": "HUMBOL_ADMIN_BIND"}
READERS = {"BOTH": {"scim-api", "admin-api"}, "SCIM": {"scim-api"}, "ADMIN": {"admin-api"}}


def declared_vars(repo: Path) -> dict:
    """Variable name -> the binaries that read it, from humbol-config's declarations."""
    text = (repo / "crates" / "humbol-config" / "src" / "vars.rs").read_text()
    found = re.findall(r'name: "([A-Z0-9_]+)",.*?read_by: ([A-Z]+),', text, re.S)
    if not found:
        fail("no variable declarations found in crates/humbol-config/src/vars.rs")
    return {name: READERS[readers] for name, readers in found}


def fail(msg: str) -> None:
    print(f"compose check: FAIL: {msg}")
    sys.exit(1)


def env_of(service: dict) -> dict:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["--env"]:
        compose = yaml.safe_load(Path("docker-compose.yml").read_text())
        for k, v in env_of(compose["services"][args[1]]).items():
            print(f"{k}={v}")
        return
    repo = Path(args[0] if args else ".")
    compose = yaml.safe_load((repo / "docker-compose.yml").read_text())
    services = compose.get("services") or {}
    for name in ["postgres", *API_SERVICES]:
        if name not in services:
            fail(f"service {name!r} missing")
    readme = (repo / "README.md").read_text()
    sample = (repo / ".env.sample").read_text()
    for name, bind_var in API_SERVICES.items():
        svc = services[name]
        command = svc.get("command")
        binary = command[0] if isinstance(command, list) else str(command).split()[0]
        if binary != name:
            fail(f"{name}: command runs {binary!r}, not the {name} binary")
        read_vars = {var for var, readers in declared_vars(repo).items() if name in readers}
        env = env_of(svc)
        for var in env:
            if var not in read_vars:
                fail(f"{name}: sets {var}, which {name} does not read (reads: {sorted(read_vars)})")
            if var not in readme or var not in sample:
                fail(f"{name}: {var} is not documented in README.md and .env.sample")
        if not env.get("DATABASE_URL", "").startswith("postgres://") or "@postgres:" not in env["DATABASE_URL"]:
            fail(f"{name}: DATABASE_URL must point at the postgres service")
        bind = env.get(bind_var)
        if not bind:
            fail(f"{name}: {bind_var} not set")
        port = bind.rsplit(":", 1)[1]
        published = [str(p).rsplit(":", 1)[-1] for p in svc.get("ports") or []]
        if port not in published:
            fail(f"{name}: listens on {port} ({bind_var}) but publishes {published}")
        health = " ".join(svc.get("healthcheck", {}).get("test", []))
        # Either the binary's own probe (`scim-api healthcheck` GETs /readyz on its *_BIND) or a URL.
        if f"{name} healthcheck" not in health and f":{port}/readyz" not in health:
            fail(f"{name}: health check {health!r} neither runs `{name} healthcheck` nor probes /readyz on port {port}")
        depends = svc.get("depends_on") or {}
        if (depends.get("postgres") or {}).get("condition") != "service_healthy":
            fail(f"{name}: must wait for a healthy postgres")
        print(f"compose check: {name}: binary, {len(env)} variables, port {port}, health check: ok")
    if not any("/var/lib/postgresql/data" in str(v) for v in services["postgres"].get("volumes") or []):
        fail("postgres: no volume for its data")
    print("compose check: ok")


if __name__ == "__main__":
    main()
