// Drives Humbol through TypeScript clients generated from its committed OpenAPI documents: types from
// openapi-typescript (gen/*.ts, made by `npm run generate`), requests by openapi-fetch; nothing generated is
// edited, and `tsc` type-checks every call below against the documents. Support enables the organisation and
// its admin creates a SCIM token (admin API); with it the SCIM client creates, patches, lists and deletes a
// user; the admin revokes the token and the next SCIM call is refused.
//
// Usage: node dist/smoke.js ADMIN_URL SCIM_URL SUPPORT_JWT ADMIN_JWT ORG   (exits 1 on the first failure)

import createClient from "openapi-fetch";
import type { components as AdminComponents, paths as AdminPaths } from "./gen/admin-api.js";
import type { components, paths as ScimPaths } from "./gen/scim-api.js";

type User = components["schemas"]["User"];
type PatchOp = components["schemas"]["PatchOp"];

const [adminUrl, scimUrl, supportJwt, adminJwt, org] = process.argv.slice(2);
if (!adminUrl || !scimUrl || !supportJwt || !adminJwt || !org) {
  console.error("usage: smoke.js ADMIN_URL SCIM_URL SUPPORT_JWT ADMIN_JWT ORG");
  process.exit(2);
}

function check(cond: unknown, what: string): asserts cond {
  console.log(`${cond ? "ok  " : "FAIL"} ${what}`);
  if (!cond) process.exit(1);
}

const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
const support = createClient<AdminPaths>({ baseUrl: adminUrl, ...bearer(supportJwt) });
const admin = createClient<AdminPaths>({ baseUrl: adminUrl, ...bearer(adminJwt) });
const orgPath = { params: { path: { org } } };

const enabled = await support.PUT("/api/v1/orgs/{org}", {
  ...orgPath,
  body: { name: "TypeScript Client Ltd", scim_enabled: true, roles: ["Admin", "Member"], default_role: "Member" },
});
check(enabled.data?.scim_enabled === true, `support enables SCIM for ${org} (HTTP ${enabled.response.status})`);

const created = await admin.POST("/api/v1/orgs/{org}/scim/tokens", { ...orgPath, body: { name: "Entra (TypeScript)" } });
const token = created.data?.token;
check(typeof token === "string" && token.startsWith("humbol_scim_"), `admin creates a token (HTTP ${created.response.status})`);

const scim = createClient<ScimPaths>({ baseUrl: scimUrl, ...bearer(token) });
const empty = await scim.GET("/scim/v2/orgs/{org}/Users", {
  params: { path: { org }, query: { filter: 'userName eq "nobody@example.com"' } },
});
check(empty.data?.totalResults === 0 && empty.data.Resources.length === 0, "lists no user for an unknown userName");

const body: User = {
  schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
  userName: "grace@example.com",
  active: true,
  name: { givenName: "Grace", familyName: "Hopper" },
  emails: [{ value: "grace@example.com", type: "work", primary: true }],
};
const user = await scim.POST("/scim/v2/orgs/{org}/Users", { ...orgPath, body });
const id = user.data?.id;
check(user.response.status === 201 && typeof id === "string", `creates a user (HTTP ${user.response.status})`);

const patch: PatchOp = {
  schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
  Operations: [
    { op: "replace", path: "displayName", value: "Grace Hopper" },
    { op: "Replace", path: "active", value: "False" }, // Entra's legacy spelling, typed by the document too
  ],
};
const idPath = { params: { path: { org, id } } };
const patched = await scim.PATCH("/scim/v2/orgs/{org}/Users/{id}", { ...idPath, body: patch });
check(patched.data?.displayName === "Grace Hopper" && patched.data.active === false, "patches it (displayName, disable)");

const found = await scim.GET("/scim/v2/orgs/{org}/Users", {
  params: { path: { org }, query: { filter: 'userName eq "GRACE@example.com"', sortOrder: "ascending" } },
});
check(found.data?.Resources.map((u) => u.id).join() === id, "lists it by userName, case-insensitively");

const deleted = await scim.DELETE("/scim/v2/orgs/{org}/Users/{id}", idPath);
check(deleted.response.status === 204, `deletes it (HTTP ${deleted.response.status})`);
const gone = await scim.GET("/scim/v2/orgs/{org}/Users/{id}", idPath);
check(gone.response.status === 404 && gone.error?.status === "404", "the deleted user is gone (a SCIM 404 error)");

const tokenId = created.data?.id;
check(typeof tokenId === "string", "the token has an id");
const revoked = await admin.DELETE("/api/v1/orgs/{org}/scim/tokens/{id}", { params: { path: { org, id: tokenId } } });
check(revoked.response.status === 204, "admin revokes the token");
const refused = await scim.GET("/scim/v2/orgs/{org}/Users", orgPath);
check(refused.response.status === 401, `the revoked token is refused at once (HTTP ${refused.response.status})`);
console.log("TypeScript clients: all checks passed");

// What the documents forbid does not compile: tsc fails on an unused @ts-expect-error, so each line below
// proves that the generated types carry that constraint. Never called.
export async function typeChecks(): Promise<void> {
  // @ts-expect-error: sortOrder is an enum (ascending, descending)
  void scim.GET("/scim/v2/orgs/{org}/Users", { params: { path: { org: "acme" }, query: { sortOrder: "up" } } });
  // @ts-expect-error: a PATCH op is add, replace or remove (or Entra's capitalised spelling)
  const op: components["schemas"]["PatchOperation"] = { op: "merge" };
  // @ts-expect-error: a list's Resources are Users, which have a userName
  const first: number = (await scim.GET("/scim/v2/orgs/{org}/Users", orgPath)).data!.Resources[0]!.userName;
  // @ts-expect-error: an event's outcome is success or refused
  const outcome: AdminComponents["schemas"]["EventItem"]["outcome"] = "maybe";
  void op; void first; void outcome;
}
