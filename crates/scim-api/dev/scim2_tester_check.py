#!/usr/bin/env python3
"""Runs scim2-tester (PyPI) against a running scim-api and fails on any ERROR or CRITICAL result.

Usage (in a virtualenv with `pip install scim2-tester "scim2-client[httpx2]"`):

    TOKEN=$(scim-api dev-token acme)          # same DATABASE_URL as the server
    python crates/scim-api/dev/scim2_tester_check.py http://127.0.0.1:8080/scim/v2/orgs/acme "$TOKEN"

Prints one line per check (status, check name, reason); exit status 1 if any check is ERROR or CRITICAL.
"""

import sys

try:  # scim2-client >= 0.13 ships the httpx2 engine
    from httpx2 import Client
    from scim2_client.engines.httpx2 import SyncSCIMClient
except ImportError:  # older scim2-client: httpx
    from httpx import Client
    from scim2_client.engines.httpx import SyncSCIMClient

from scim2_tester import check_server


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    base_url, token = sys.argv[1], sys.argv[2]
    http = Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"})
    client = SyncSCIMClient(http)
    client.discover()
    results = check_server(client)
    failed = 0
    for result in results:
        status = getattr(result.status, "name", str(result.status))
        if status in ("ERROR", "CRITICAL"):
            failed += 1
        reason = (result.reason or "").replace("\n", " ")[:300]
        print(f"{status:9} {result.title}: {reason}")
    print(f"{failed} ERROR/CRITICAL of {len(results)} checks")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
