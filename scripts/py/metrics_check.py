"""Scrapes GET /metrics of a running Humbol API and parses it with prometheus_client's OpenMetrics parser.

Checks that the families an operator alerts on are there and well-formed: requests by route template and
status, the latency histogram, authentication failures, the database pool gauges, provisioning events by action
and outcome, and build info; that no series label holds a concrete path (route labels are templates such as
/scim/v2/orgs/{org}/Users); and, given EXPECTED_EVENT, that this process counted such an event.

Usage: python metrics_check.py BASE_URL API [EXPECTED_EVENT]
  API: scim or admin; EXPECTED_EVENT: ACTION/OUTCOME, e.g. created/success. Exits 1 on the first problem.
"""

import sys
import urllib.request

from prometheus_client.openmetrics.parser import text_string_to_metric_families


def fail(msg: str) -> None:
    print(f"metrics check: FAIL: {msg}")
    sys.exit(1)


def main() -> None:
    base, api = sys.argv[1], sys.argv[2]
    expected_event = sys.argv[3] if len(sys.argv) > 3 else None
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
        ("humbol_provisioning_events", "counter"),
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
    events = {}
    for sample in families["humbol_provisioning_events"].samples:
        if not sample.name.endswith("_total"):
            continue
        outcome = sample.labels.get("outcome")
        if outcome not in ("success", "refused") or not sample.labels.get("action"):
            fail(f"odd provisioning event labels {sample.labels}")
        events[f"{sample.labels['action']}/{outcome}"] = sample.value
    if expected_event and events.get(expected_event, 0) < 1:
        fail(f"no {expected_event} provisioning event counted (have {events})")
    states = {s.labels.get("state") for s in families["humbol_db_pool_connections"].samples}
    if not {"in_use", "idle", "max", "waiting"} <= states:
        fail(f"pool gauges by state: have {sorted(states)}")
    print(f"metrics check: {api}: {len(families)} families, {len(requests)} request series, events {events}: ok")


if __name__ == "__main__":
    main()
