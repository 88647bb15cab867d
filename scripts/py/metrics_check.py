"""Scrapes GET /metrics of a running Humbol API and parses it with prometheus_client's OpenMetrics parser.

Checks that the families an operator alerts on are there and well-formed: requests by route template and
status, the latency histogram, the database pool gauges and build info; and that no series label holds a
concrete path (route labels are templates such as /scim/v2/orgs/{org}/Users).

Usage: python metrics_check.py BASE_URL API   (API: scim or admin; exits 1 on the first problem)
"""

import sys
import urllib.request

from prometheus_client.openmetrics.parser import text_string_to_metric_families


def fail(msg: str) -> None:
    print(f"metrics check: FAIL: {msg}")
    sys.exit(1)


def main() -> None:
    base, api = sys.argv[1], sys.argv[2]
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as res:
        if res.status != 200:
            fail(f"{base}/metrics answered {res.status}")
        content_type = res.headers.get("Content-Type", "")
        text = res.read().decode()
    if not content_type.startswith("application/openmetrics-text"):
        fail(f"content type {content_type!r}")
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for name, kind in [
        ("humbol_http_requests", "counter"),
        ("humbol_http_request_duration_seconds", "histogram"),
        ("humbol_db_pool_connections", "gauge"),
        ("humbol_build", "info"),
    ]:
        family = families.get(name)
        if family is None:
            fail(f"no {name} family (have {sorted(families)})")
        if family.type != kind:
            fail(f"{name} is a {family.type}, expected {kind}")
    requests = [s for s in families["humbol_http_requests"].samples if s.labels.get("api") == api]
    if not requests:
        fail(f"no request counted for api={api}")
    for sample in requests:
        route = sample.labels["route"]
        if route != "unmatched" and not route.startswith("/"):
            fail(f"odd route label {route!r}")
        if "{" not in route and route.startswith("/scim/v2/orgs/"):
            fail(f"route label {route!r} is a path, not a template")
    buckets = [s for s in families["humbol_http_request_duration_seconds"].samples if s.name.endswith("_bucket")]
    if not buckets:
        fail("the latency histogram has no buckets")
    print(f"metrics check: {api}: {len(families)} families, {len(requests)} request series: ok")


if __name__ == "__main__":
    main()
