"""Runs the scim2-tester compliance suite (PyPI: scim2-tester) against a running Humbol scim-api.

Usage: python scim2_tester_run.py SCIM_BASE_URL TOKEN
Prints every check; exits 1 when any check reports ERROR or CRITICAL.
"""

import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server


def main() -> int:
    base_url, token = sys.argv[1], sys.argv[2]
    http = Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    scim = SyncSCIMClient(http)
    results = check_server(scim)
    bad = 0
    for r in results:
        status = r.status.name
        where = f" [{r.resource_type}]" if r.resource_type else ""
        print(f"{status:10} {r.title}{where}: {r.reason or ''}".rstrip())
        if r.status in (Status.ERROR, Status.CRITICAL):
            bad += 1
    print(f"scim2-tester: {len(results)} checks, {bad} ERROR/CRITICAL")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
