"""Checks docker-compose.yml, the Dockerfile and .env.sample against the code, since no Docker engine runs here.

- the file is valid YAML with services postgres, scim-api and admin-api;
- each API service runs the binary of its name, and every environment variable it sets is one that binary reads
  (declared in crates/humbol-config/src/vars.rs with that binary among its readers) and documented in
  README.md and .env.sample;
- every setting comes from `.env`: each `${VAR...}` in the file is in .env.sample, a required one
  (`${VAR:?...}`) uncommented there; HUMBOL_SCIM_PUBLIC_URL and HUMBOL_ADMIN_JWT_SECRET are not hard-coded;
- .env.sample's HUMBOL_ADMIN_JWT_SECRET is the one placeholder the binaries refuse at start-up;
- both API services run one image (the same `image:`, `build:` on one service only) with a restart policy;
- the published container port is the port of the service's *_BIND address, the Dockerfile EXPOSEs it, and the
  health check is the binary's own `healthcheck` command (no curl in the image);
- each API service waits for a healthy postgres and points DATABASE_URL at it;
- .dockerignore keeps target/, .env and *.db out of the build context, and .gitignore keeps .env out of git.

Usage: python compose_check.py [REPO]   (prints what it checked; exits 1 on the first mismatch)
With --env SERVICE [--env-file FILE] [KEY=VALUE ...] it instead prints that service's environment as KEY=VALUE
lines, with `${...}` resolved as docker compose would from FILE (default .env.sample) and the KEY=VALUE
overrides (scripts/e2e runs the compose topology without Docker with them).
"""

import re
import sys
from pathlib import Path

import yaml

API_SERVICES = {"scim-api": "HUMBOL_SCIM_BIND", "admin-api": "HUMBOL_ADMIN_BIND"}
# The sample's JWT secret: one recognisable value, refused by admin-api at start-up.
PLACEHOLDER_SECRET = "change-me-to-a-random-secret-of-at-least-32-bytes"
# `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`, `${VAR?message}` (compose's forms).
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
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
    return {k: "" if v is None else str(v) for k, v in env.items()}


def read_env_file(path: Path) -> dict:
    """KEY=VALUE lines of an env file (comments and blank lines skipped), as docker compose reads `.env`."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def interpolate(text: str, values: dict) -> str:
    """Resolves `${...}` in `text` from `values` as docker compose does; a missing required value fails."""

    def one(m: re.Match) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3) or ""
        value = values.get(name)
        unset = value is None or (value == "" and op is not None and op.startswith(":"))
        if not unset:
            return value
        if op in (":?", "?"):
            fail(f"{name} is required: {arg}")
        return arg if op in (":-", "-") else ""

    return INTERPOLATION.sub(one, text.replace("$$", "\0")).replace("\0", "$")


def print_env(args: list) -> None:
    service, rest = args[0], args[1:]
    env_file = Path(".env.sample")
    if rest[:1] == ["--env-file"]:
        env_file, rest = Path(rest[1]), rest[2:]
    values = read_env_file(env_file)
    values.update(dict(item.split("=", 1) for item in rest))
    compose = yaml.safe_load(Path("docker-compose.yml").read_text())
    for k, v in env_of(compose["services"][service]).items():
        print(f"{k}={interpolate(v, values)}")


def check_env_sample(repo: Path, compose_text: str, sample: str) -> None:
    set_in_sample = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", sample, re.M))
    mentioned = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", sample, re.M))
    uses = INTERPOLATION.findall(compose_text)
    if not uses:
        fail("docker-compose.yml takes no setting from .env")
    for name, op, _ in uses:
        if name not in mentioned:
            fail(f"docker-compose.yml uses ${{{name}}}, which .env.sample does not list")
        if op in (":?", "?") and name not in set_in_sample:
            fail(f"docker-compose.yml requires {name}, which .env.sample leaves commented out")
    secret = read_env_file(repo / ".env.sample").get("HUMBOL_ADMIN_JWT_SECRET")
    if secret != PLACEHOLDER_SECRET:
        fail(f".env.sample: HUMBOL_ADMIN_JWT_SECRET must be the placeholder {PLACEHOLDER_SECRET!r}")
    print(f"compose check: {len({u[0] for u in uses})} settings from .env, all in .env.sample: ok")


def check_ignore_files(repo: Path) -> None:
    dockerignore = (repo / ".dockerignore").read_text().split()
    for pattern in ["target/", ".env", "*.db"]:
        if pattern not in dockerignore:
            fail(f".dockerignore does not exclude {pattern}")
    if not {"/.env", ".env"} & set((repo / ".gitignore").read_text().split()):
        fail(".gitignore does not ignore .env")
    print("compose check: .dockerignore and .gitignore: ok")


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["--env"]:
        print_env(args[1:])
        return
    repo = Path(args[0] if args else ".")
    compose = yaml.safe_load((repo / "docker-compose.yml").read_text())
    services = compose.get("services") or {}
    for name in ["postgres", *API_SERVICES]:
        if name not in services:
            fail(f"service {name!r} missing")
    readme = (repo / "README.md").read_text()
    sample = (repo / ".env.sample").read_text()
    dockerfile = (repo / "Dockerfile").read_text()
    exposed = set(" ".join(re.findall(r"^EXPOSE\s+(.*)$", dockerfile, re.M)).split())
    # the loaded YAML written out again: what compose interpolates, without the file's comments
    check_env_sample(repo, yaml.safe_dump(compose), sample)
    images = {name: services[name].get("image") for name in API_SERVICES}
    if None in images.values() or len(set(images.values())) != 1:
        fail(f"both API services must run the same image (image: {images})")
    builders = [name for name in API_SERVICES if "build" in services[name]]
    if len(builders) != 1:
        fail(f"exactly one API service builds the shared image (build: on {builders})")
    for name, bind_var in API_SERVICES.items():
        svc = services[name]
        command = svc.get("command")
        binary = command[0] if isinstance(command, list) else str(command).split()[0]
        if binary != name:
            fail(f"{name}: command runs {binary!r}, not the {name} binary")
        read_vars = {var for var, readers in declared_vars(repo).items() if name in readers}
        env = env_of(svc)
        for var, value in env.items():
            if var not in read_vars:
                fail(f"{name}: sets {var}, which {name} does not read (reads: {sorted(read_vars)})")
            if var not in readme or var not in sample:
                fail(f"{name}: {var} is not documented in README.md and .env.sample")
            if var in ("HUMBOL_SCIM_PUBLIC_URL", "HUMBOL_ADMIN_JWT_SECRET") and not value.startswith("${"):
                fail(f"{name}: {var} is hard-coded ({value!r}); take it from .env with ${{{var}:?...}}")
        if not env.get("DATABASE_URL", "").startswith("postgres://") or "@postgres:" not in env["DATABASE_URL"]:
            fail(f"{name}: DATABASE_URL must point at the postgres service")
        bind = env.get(bind_var)
        if not bind:
            fail(f"{name}: {bind_var} not set")
        port = bind.rsplit(":", 1)[1]
        published = [str(p).rsplit(":", 1)[-1] for p in svc.get("ports") or []]
        if port not in published:
            fail(f"{name}: listens on {port} ({bind_var}) but publishes {published}")
        if port not in exposed:
            fail(f"{name}: the Dockerfile does not EXPOSE {port} (EXPOSE {sorted(exposed)})")
        health = svc.get("healthcheck", {}).get("test", [])
        if health != ["CMD", name, "healthcheck"]:
            fail(f"{name}: health check {health!r} is not [\"CMD\", \"{name}\", \"healthcheck\"]")
        if svc.get("restart") not in ("always", "unless-stopped", "on-failure"):
            fail(f"{name}: no restart policy")
        depends = svc.get("depends_on") or {}
        if (depends.get("postgres") or {}).get("condition") != "service_healthy":
            fail(f"{name}: must wait for a healthy postgres")
        print(f"compose check: {name}: binary, {len(env)} variables, port {port}, health check, restart: ok")
    if not re.search(r"^HEALTHCHECK .*\bhealthcheck\b", dockerfile, re.M):
        fail("Dockerfile: no HEALTHCHECK running a binary's healthcheck command")
    if not any("/var/lib/postgresql/data" in str(v) for v in services["postgres"].get("volumes") or []):
        fail("postgres: no volume for its data")
    check_ignore_files(repo)
    print("compose check: ok")


if __name__ == "__main__":
    main()
