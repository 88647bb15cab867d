"""What the generated-client smoke checks share: their command line, the check printer, the organisation's admin
(a client of the admin API) and support enabling SCIM for the organisation.

The command line of every smoke script: GENERATED_DIR ADMIN_URL SCIM_URL SUPPORT_JWT ADMIN_JWT ORG, where
GENERATED_DIR holds the packages generated from openapi/*.json (scripts/e2e makes them).
"""

import sys
from typing import NamedTuple

sys.path.insert(0, sys.argv[1])

from humbol_admin_client import AuthenticatedClient as AdminClient  # noqa: E402
from humbol_admin_client.api.orgs import put_org  # noqa: E402
from humbol_admin_client.models import OrgRequest  # noqa: E402


def check(cond: bool, what: str) -> None:
    print(f"{'ok  ' if cond else 'FAIL'} {what}")
    if not cond:
        sys.exit(1)


class Smoke(NamedTuple):
    scim_url: str
    org: str
    admin: AdminClient


def start(org_name: str) -> Smoke:
    """Reads the command line, makes the admin API's clients and has support enable SCIM for the organisation."""
    _, _, admin_url, scim_url, support_jwt, admin_jwt, org = sys.argv
    support = AdminClient(base_url=admin_url, token=support_jwt, raise_on_unexpected_status=True)
    admin = AdminClient(base_url=admin_url, token=admin_jwt, raise_on_unexpected_status=True)
    body = OrgRequest(name=org_name, scim_enabled=True, roles=["Admin", "Member"], default_role="Member")
    r = put_org.sync_detailed(org, client=support, body=body)
    check(r.status_code in (200, 201), f"support enables SCIM for {org!r} (HTTP {r.status_code})")
    return Smoke(scim_url, org, admin)
