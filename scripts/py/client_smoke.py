"""Drives Humbol through clients generated from its committed OpenAPI documents (openapi-python-client), as a
customer's tooling would: nothing in the generated code is edited. The admin client enables an organisation and
creates a token; the SCIM client creates, patches, lists and deletes a user with it; the token is revoked.

Usage: python client_smoke.py GENERATED_DIR ADMIN_URL SCIM_URL SUPPORT_JWT ADMIN_JWT ORG
GENERATED_DIR holds the packages humbol_admin_client and humbol_scim_client (scripts/e2e makes them).
"""

# smoke_common puts GENERATED_DIR on the import path: import it first.
from smoke_common import check, start  # noqa: I001
from humbol_admin_client.api.orgs import get_org  # noqa: E402
from humbol_admin_client.api.tokens import create_token, list_tokens, revoke_token  # noqa: E402
from humbol_admin_client.models import CreateTokenRequest  # noqa: E402
from humbol_scim_client import AuthenticatedClient as ScimClient  # noqa: E402
from humbol_scim_client.api.users import create_user, delete_user, get_user, list_users, patch_user  # noqa: E402
from humbol_scim_client.models import (  # noqa: E402
    Email,
    PatchOp,
    PatchOperation,
    PatchOperationName,
    User,
    UserListResponse,
)

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


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
    check(isinstance(users, UserListResponse) and users.total_results == 0, "the generated SCIM client lists users with the new token")

    body = User(schemas=[USER_URN], user_name="ada@example.com", active=True,
                emails=[Email(value="ada@example.com", type_="work", primary=True)])
    user = create_user.sync(org, client=scim, body=body)
    check(isinstance(user, User) and user.id and user.user_name == "ada@example.com", "creates a user")
    patch = PatchOp(schemas=[PATCH_URN], operations=[
        PatchOperation(op=PatchOperationName.REPLACE, path="displayName", value="Ada Lovelace"),
        PatchOperation(op=PatchOperationName.REPLACE, path="active", value=False),
    ])
    patched = patch_user.sync(org, user.id, client=scim, body=patch)
    check(isinstance(patched, User) and patched.display_name == "Ada Lovelace" and patched.active is False,
          "patches the user (displayName, disable)")
    found = list_users.sync(org, client=scim, filter_='userName eq "ADA@example.com"')
    check(isinstance(found, UserListResponse) and [u.id for u in found.resources] == [user.id],
          "lists it by userName (case-insensitively), Resources typed as User")
    r = delete_user.sync_detailed(org, user.id, client=scim)
    check(r.status_code == 204, "deletes the user")
    r = get_user.sync_detailed(org, user.id, client=scim)
    check(r.status_code == 404, f"the deleted user is gone (HTTP {r.status_code})")

    r = revoke_token.sync_detailed(org, created.id, client=admin)
    check(r.status_code == 204, "admin revokes the token")
    r = list_users.sync_detailed(org, client=scim)
    check(r.status_code == 401, f"the revoked token is refused at once (HTTP {r.status_code})")
    print("generated clients: all checks passed")


if __name__ == "__main__":
    main()
