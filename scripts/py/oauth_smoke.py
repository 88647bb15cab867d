"""Connects the way Entra's gallery apps do: an OAuth 2.0 client made through the admin API (the client
generated from openapi/admin-api.json, unedited), then a standard OAuth library (Authlib) gets access tokens from
the organisation's token endpoint with client_secret_basic and client_secret_post and lists users with them;
revoking the client refuses its token at once.

Usage: python oauth_smoke.py GENERATED_DIR ADMIN_URL SCIM_URL SUPPORT_JWT ADMIN_JWT ORG
GENERATED_DIR holds the package humbol_admin_client (scripts/e2e makes it).
"""

# smoke_common puts GENERATED_DIR on the import path: import it first.
from smoke_common import check, start  # noqa: I001
import requests  # noqa: E402
from authlib.integrations.requests_client import OAuth2Session  # noqa: E402
from humbol_admin_client.api.clients import create_client, list_clients, revoke_client  # noqa: E402
from humbol_admin_client.models import CreateClientRequest  # noqa: E402


def main() -> None:
    scim_url, org, admin = start("OAuth Smoke Ltd")

    created = create_client.sync(org, client=admin, body=CreateClientRequest(name="Entra gallery app"))
    check(created.client_secret.startswith("humbol_secret_"), f"admin creates an OAuth client ({created.client_id})")
    check(created.token_endpoint.endswith(f"/scim/v2/orgs/{org}/oauth/token"), "the response names the token endpoint")
    listed = list_clients.sync(org, client=admin)
    check(any(c.id == created.id for c in listed.items), "the client is listed")
    check(created.client_secret not in str(listed.to_dict()), "the list never shows the secret")

    # The public URL admins see may differ from where this process reaches scim-api.
    token_endpoint = f"{scim_url}/scim/v2/orgs/{org}/oauth/token"
    users_url = f"{scim_url}/scim/v2/orgs/{org}/Users"
    tokens = []
    for method in ("client_secret_basic", "client_secret_post"):
        session = OAuth2Session(
            created.client_id, created.client_secret, token_endpoint_auth_method=method, scope="scim"
        )
        token = session.fetch_token(token_endpoint, grant_type="client_credentials")
        check(token["token_type"].lower() == "bearer" and token["expires_in"] >= 3600, f"Authlib gets a token ({method})")
        r = session.get(users_url, params={"filter": 'userName eq "nobody@example.com"'})
        check(r.status_code == 200 and r.json()["totalResults"] == 0, f"the token lists users (HTTP {r.status_code})")
        tokens.append(token["access_token"])

    r = requests.post(
        token_endpoint,
        data={"grant_type": "client_credentials", "client_id": created.client_id, "client_secret": "humbol_secret_x"},
        timeout=10,
    )
    check(r.status_code == 401 and r.json()["error"] == "invalid_client", "a wrong secret is invalid_client")

    r = revoke_client.sync_detailed(org, created.id, client=admin)
    check(r.status_code == 204, "admin revokes the client")
    r = requests.get(users_url, headers={"Authorization": f"Bearer {tokens[0]}"}, timeout=10)
    check(r.status_code == 401, f"its access token is refused at once (HTTP {r.status_code})")
    print("OAuth client: all checks passed")


if __name__ == "__main__":
    main()
