"""Drives Humbol through clients generated from its committed OpenAPI documents (openapi-python-client), as a
customer's tooling would: nothing in the generated code is edited.

Usage: python client_smoke.py GENERATED_DIR ADMIN_URL SCIM_URL SUPPORT_JWT ADMIN_JWT ORG
GENERATED_DIR holds the packages humbol_admin_client and humbol_scim_client (scripts/e2e makes them).
"""

# smoke_common puts GENERATED_DIR on the import path: import it first.
from smoke_common import check, start  # noqa: I001
from humbol_admin_client.api.orgs import get_org  # noqa: E402
from humbol_admin_client.api.tokens import create_token, list_tokens, revoke_token  # noqa: E402
from humbol_admin_client.models import CreateTokenRequest  # noqa: E402
from humbol_scim_client import AuthenticatedClient as ScimClient  # noqa: E402
from humbol_scim_client.api.users import list_users  # noqa: E402


def main() -> None:
    scim_url, org, admin = start("Smoke Test Ltd")
    settings = get_org.sync(org, client=admin)
    check(settings.scim_enabled and settings.scim_base_url.endswith(f"/scim/v2/orgs/{org}"), "admin reads the tenant URL")

    created = create_token.sync(org, client=admin, body=CreateTokenRequest(name="Entra provisioning"))
    check(created.token.startswith("humbol_scim_"), f"admin creates a token (hint {created.hint})")
    listed = list_tokens.sync(org, client=admin)
    check(any(t.id == created.id for t in listed.items), "the token is listed")
    check(created.token not in str(listed.to_dict()), "the list never shows the token's value")

    scim = ScimClient(base_url=scim_url, token=created.token)
    users = list_users.sync(org, client=scim, filter_='userName eq "nobody@example.com"')
    check(users is not None and users.total_results == 0, "the generated SCIM client lists users with the new token")

    r = revoke_token.sync_detailed(org, created.id, client=admin)
    check(r.status_code == 204, "admin revokes the token")
    r = list_users.sync_detailed(org, client=scim)
    check(r.status_code == 401, f"the revoked token is refused at once (HTTP {r.status_code})")
    print("generated clients: all checks passed")


if __name__ == "__main__":
    main()
