"""Okta's provisioning sequence against a running Humbol, with the headers and bodies of Okta's SCIM 2.0
reference: test connection, match by userName, create with `password` and `groups: []`, PUT update (carrying
`id`, `meta`, `groups` and a new password), deactivate and reactivate with a path-less replace, import by
paging through 250 users with count=100, and a pushed group renamed with every membership change and its whole
member list replaced. Bounded: fails if the sequence takes longer than a minute.

Usage: python okta_sequence.py GENERATED_DIR ADMIN_URL SCIM_URL SUPPORT_JWT ADMIN_JWT ORG
(the command line of every smoke script: smoke_common.py)
"""

# smoke_common puts GENERATED_DIR on the import path: import it first.
from smoke_common import check, start  # noqa: I001
import time  # noqa: E402
import urllib.parse  # noqa: E402

import requests  # noqa: E402
from humbol_admin_client.api.tokens import create_token  # noqa: E402
from humbol_admin_client.models import CreateTokenRequest  # noqa: E402

BUDGET_SECONDS = 60
USERS = 250
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def okta_user(user_name: str, external_id: str, password: str) -> dict:
    return {
        "schemas": [USER],
        "userName": user_name,
        "name": {"givenName": "Test", "familyName": "User"},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "displayName": "Test User",
        "locale": "en-US",
        "externalId": external_id,
        "groups": [],
        "password": password,
        "active": True,
    }


def patch(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def main() -> None:
    began = time.monotonic()
    scim_url, org, admin = start("Okta Sequence Ltd")
    token = create_token.sync(org, client=admin, body=CreateTokenRequest(name="Okta")).token
    base = f"{scim_url}/scim/v2/orgs/{org}"
    okta = requests.Session()
    okta.headers.update({
        "Authorization": f"Bearer {token}",
        "Accept": "application/scim+json",
        "Accept-Charset": "utf-8",
        "Content-Type": "application/scim+json; charset=utf-8",
        "User-Agent": "Okta SCIM Client 1.0.0",
    })

    def call(method: str, path: str, body: dict | None = None, expect: int = 200) -> dict | None:
        """One request; exits (printing why) unless it answers `expect`, as application/scim+json when it has
        a body."""
        r = okta.request(method, base + path, json=body, timeout=10)
        content_type = r.headers.get("Content-Type")
        if r.status_code != expect or (r.content and content_type != "application/scim+json"):
            check(False, f"{method} {path}: HTTP {r.status_code} {content_type} (expected {expect}): {r.text[:300]}")
        return r.json() if r.content else None

    def match(user_name: str) -> dict:
        query = urllib.parse.quote(f'userName eq "{user_name}"')
        return call("GET", f"/Users?filter={query}&startIndex=1&count=100")

    # Test connection.
    check(call("GET", "/Users?startIndex=1&count=2")["schemas"] == [LIST], "test connection: /Users lists")
    call("GET", "/Groups?startIndex=1&count=100")

    # Assign a user: match, then create with a password and no groups.
    name = "test.user@okta.local"
    check(match(name)["totalResults"] == 0, "no user matches before the create")
    created = call("POST", "/Users", okta_user(name, "00ujl29u0le5T6Aj10h7", "1mz050nq"), expect=201)
    check("password" not in created, "the password is not returned")
    user_id = created["id"]
    found = match(name.upper())
    check(found["totalResults"] == 1 and found["Resources"][0]["id"] == user_id, "the user matches, in capitals too")

    # Profile push: PUT the whole user back, with id, meta, groups and a new password.
    put = okta_user(name, "00ujl29u0le5T6Aj10h7", "t1meMa$heen")
    put.update({
        "id": user_id,
        "name": {"givenName": "Another", "middleName": "Excellent", "familyName": "User"},
        "displayName": "Another Excellent User",
        "meta": {"resourceType": "User", "created": "2020-03-30T19:35:37.000Z",
                 "lastModified": "2020-03-30T19:35:37.000Z"},
    })
    updated = call("PUT", f"/Users/{user_id}", put)
    check(updated["displayName"] == "Another Excellent User" and updated["name"]["givenName"] == "Another",
          "PUT updates the profile")
    check(updated["id"] == user_id and updated["meta"]["created"] == created["meta"]["created"],
          "PUT keeps id and meta.created, the server's")
    check("password" not in updated, "the new password is not returned")

    # Unassign and assign again.
    for active in (False, True):
        patched = call("PATCH", f"/Users/{user_id}", patch({"op": "replace", "value": {"active": active}}))
        check(patched["active"] is active and patched["displayName"] == "Another Excellent User",
              f"path-less replace sets active={active} and keeps the rest")

    # Import: page through every user, 100 at a time.
    for i in range(1, USERS):
        # (The other users, created as Okta would.)
        call("POST", "/Users", okta_user(f"user{i:03}@okta.local", f"00u{i:03}", "1mz050nq"), expect=201)
    seen: list[str] = []
    start_index = 1
    while True:
        page = call("GET", f"/Users?startIndex={start_index}&count=100")
        resources = page.get("Resources", [])
        check(page["totalResults"] == USERS and page["startIndex"] == start_index
              and page["itemsPerPage"] == len(resources) and len(resources) <= 100
              and all(type(page[f]) is int for f in ("totalResults", "startIndex", "itemsPerPage")),
              f"page at startIndex={start_index}: {len(resources)} users, integer paging fields")
        if not resources:
            break
        seen += [r["id"] for r in resources]
        start_index += len(resources)
    check(len(seen) == USERS and len(set(seen)) == USERS and user_id in seen,
          f"the import sees each of the {USERS} users once")

    # Push a group: create, then rename with every membership change, then replace the whole member list.
    group = call("POST", "/Groups", {"schemas": [GROUP], "displayName": "Test SCIMv2", "members": []}, expect=201)
    group_id = group["id"]

    def rename(display_name: str) -> dict:
        return {"op": "replace", "value": {"id": group_id, "displayName": display_name}}

    members = seen[:3]
    call("PATCH", f"/Groups/{group_id}", patch(rename("Test SCIMv2")), expect=204)
    call("PATCH", f"/Groups/{group_id}", patch(
        rename("Test SCIMv2"),
        {"op": "add", "path": "members", "value": [{"value": m} for m in members[:2]]},
    ), expect=204)
    call("PATCH", f"/Groups/{group_id}", patch(
        rename("Test SCIMv2"), {"op": "remove", "path": f'members[value eq "{members[0]}"]'},
    ), expect=204)
    now = call("GET", f"/Groups/{group_id}")
    check(sorted(m["value"] for m in now.get("members", [])) == [members[1]], "members added and one removed")
    call("PATCH", f"/Groups/{group_id}", patch(
        rename("Engineering"),
        {"op": "replace", "path": "members", "value": [{"value": members[2]}, {"value": members[0]}]},
    ), expect=204)
    now = call("GET", f"/Groups/{group_id}")
    check(now["displayName"] == "Engineering", "the group is renamed")
    check(sorted(m["value"] for m in now.get("members", [])) == sorted([members[0], members[2]]),
          "the whole member list is replaced")

    elapsed = time.monotonic() - began
    check(elapsed < BUDGET_SECONDS, f"the sequence took {elapsed:.1f} s (budget {BUDGET_SECONDS} s)")
    print(f"okta sequence: all checks passed in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
