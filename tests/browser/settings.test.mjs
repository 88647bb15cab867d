// The organisation's API settings page in a real headless Chromium (Debian's `chromium`, driven by
// playwright-core), against the `humbol` launcher (SCIM API + admin API) on free ports over a fresh SQLite file.
//
// Support enables SCIM for a new organisation on the support page; its admin signs in through the link Humbol's
// app would give, copies the tenant URL, creates a token and reads it once, uses it for SCIM calls from this
// test, sees them in the provisioning log, reloads (the value is gone), revokes it, and the next SCIM call is
// refused. The same admin creates an OAuth client, reads its secret once, gets an access token from the token
// endpoint, rotates the secret, configures a federated credential and revokes the client; support sees clients
// but no secret, and revokes one. A screenshot of each screen goes to $HUMBOL_SCREENSHOTS (default target/browser-screenshots).
//
// Env: HUMBOL_BIN (the `humbol` binary; default target/debug/humbol), CHROMIUM (default /usr/bin/chromium).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, createWriteStream, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = process.env.HUMBOL_BIN || join(root, "target", "debug", "humbol");
const shots = process.env.HUMBOL_SCREENSHOTS || join(root, "target", "browser-screenshots");
const secret = randomBytes(32).toString("hex");
const ORG = "acme";

let server; let work; let browser; let scimUrl; let adminUrl; let logPath;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const b64url = (data) => Buffer.from(data).toString("base64url");

// An HS256 admin JWT, as Humbol's app would sign it.
function jwt(claims) {
  const header = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const now = Math.floor(Date.now() / 1000);
  const body = b64url(JSON.stringify({ iat: now, exp: now + 3600, ...claims }));
  const signature = createHmac("sha256", secret).update(`${header}.${body}`).digest("base64url");
  return `${header}.${body}.${signature}`;
}

async function waitReady(url) {
  for (let i = 0; i < 150; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch (_) { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url}/readyz never answered; log:\n${readFileSync(logPath, "utf8")}`);
}

function scim(method, path, token, body) {
  return fetch(`${scimUrl}/scim/v2/orgs/${ORG}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/scim+json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const newUser = (userName) => ({
  schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
  userName,
  active: true,
  name: { givenName: "Ada", familyName: "Lovelace" },
});

async function shot(page, name, fullPage = true) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage });
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  work = mkdtempSync(join(tmpdir(), "humbol-browser-"));
  logPath = join(work, "humbol.log");
  const [scimPort, adminPort] = [await freePort(), await freePort()];
  scimUrl = `http://127.0.0.1:${scimPort}`;
  adminUrl = `http://127.0.0.1:${adminPort}`;
  const log = createWriteStream(logPath);
  server = spawn(bin, [], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: `sqlite://${join(work, "humbol.db")}`,
      HUMBOL_SCIM_BIND: `127.0.0.1:${scimPort}`,
      HUMBOL_ADMIN_BIND: `127.0.0.1:${adminPort}`,
      HUMBOL_SCIM_PUBLIC_URL: scimUrl,
      HUMBOL_ADMIN_JWT_SECRET: secret,
      RUST_LOG: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout.pipe(log);
  server.stderr.pipe(log);
  await waitReady(scimUrl);
  await waitReady(adminUrl);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox"],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill("SIGTERM");
  if (work) rmSync(work, { recursive: true, force: true });
});

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: adminUrl });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });
  page.on("pageerror", (e) => problems.push(String(e)));
  return { context, page, problems };
}

// The token endpoint, as Entra calls it: client_secret_basic.
function tokenRequest(clientId, clientSecret) {
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString("base64");
  return fetch(`${scimUrl}/scim/v2/orgs/${ORG}/oauth/token`, {
    method: "POST",
    headers: { Authorization: `Basic ${basic}`, "Content-Type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials",
  });
}

async function accessToken(clientId, clientSecret) {
  const res = await tokenRequest(clientId, clientSecret);
  assert.equal(res.status, 200, await res.clone().text());
  const body = await res.json();
  assert.equal(body.token_type.toLowerCase(), "bearer");
  return body.access_token;
}

const clipboard = (page) => page.evaluate(() => navigator.clipboard.readText());

test("support enables SCIM for a new organisation on the support page", async () => {
  const { context, page, problems } = await newPage();
  await page.goto(`${adminUrl}/signin#token=${jwt({ sub: "sam@humbol.example", role: "support" })}`);
  await page.waitForURL(`${adminUrl}/support`);
  await page.getByRole("heading", { name: "Organisations" }).waitFor();
  await shot(page, "01-support");

  await page.getByLabel("Organisation slug").last().fill(ORG);
  await page.locator("#new-org-name").fill("Acme Corp");
  assert.equal(await page.getByLabel("SCIM provisioning enabled").isChecked(), true);
  await page.locator("#new-org-roles").fill("Admin, Member, Viewer");
  await page.locator("#new-org-default-role").fill("Member");
  await page.getByRole("button", { name: "Save organisation" }).click();
  await page.getByText("SCIM provisioning is enabled for Acme Corp").waitFor();
  await shot(page, "02-support-org-saved");

  // The organisation's page as support sees it: the provisioning settings, no token creation.
  await page.locator("#open-new-org").click();
  await page.waitForURL(`${adminUrl}/orgs/${ORG}/settings`);
  await page.getByRole("heading", { name: "Provisioning settings (Humbol support)" }).waitFor();
  assert.equal(await page.locator("#org-enabled").isChecked(), true);
  assert.equal(await page.locator("#token-form").count(), 0);
  await page.locator("#status.status-idle").waitFor();
  await shot(page, "03-support-org-settings");

  // The API agrees (read with a bearer JWT, as any API client would).
  const org = await (await fetch(`${adminUrl}/api/v1/orgs/${ORG}`, {
    headers: { Authorization: `Bearer ${jwt({ sub: "check", role: "support" })}` },
  })).json();
  assert.equal(org.scim_enabled, true);
  assert.deepEqual(org.roles, ["Admin", "Member", "Viewer"]);

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in from Humbol" }).waitFor();
  assert.equal((await context.cookies()).filter((c) => c.name === "humbol_session").length, 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test("an admin copies the tenant URL, creates a token once, sees Entra's calls, revokes it", async () => {
  const { context, page, problems } = await newPage();
  await page.goto(`${adminUrl}/signin#token=${jwt({ sub: "alice@acme.example", role: "admin", org: ORG })}`);
  await page.waitForURL(`${adminUrl}/orgs/${ORG}/settings`);
  await page.getByRole("heading", { name: "Acme Corp: API settings" }).waitFor();
  // The JWT left the address bar, and the session cookie is HttpOnly and SameSite=Strict.
  assert.ok(!page.url().includes("token="));
  const [cookie] = (await context.cookies()).filter((c) => c.name === "humbol_session");
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, "Strict");
  assert.equal(await page.evaluate(() => document.cookie), "");
  await page.getByText("Not connected yet.").waitFor();
  await shot(page, "04-admin-settings");

  // Copy the tenant URL.
  const tenant = `${scimUrl}/scim/v2/orgs/${ORG}`;
  assert.equal(await page.locator("#tenant-url").inputValue(), tenant);
  await page.locator('[data-copy="tenant-url"]').click();
  await page.locator("#tenant .copy-status", { hasText: "Copied" }).waitFor();
  assert.equal(await clipboard(page), tenant);

  // Create a token: its value is shown once, with the tutorial's warning.
  await page.getByLabel("Name", { exact: true }).fill("Entra provisioning");
  await page.getByRole("button", { name: "Create token" }).click();
  const valueField = page.locator("#token-value");
  await valueField.waitFor();
  const token = await valueField.inputValue();
  assert.match(token, /^humbol_scim_/);
  await page.getByText("The token value is not saved anywhere on the Humbol service, so if you lose it, you should create a new one and remove old one.").waitFor();
  await page.locator('[data-copy="token-value"]').click();
  assert.equal(await clipboard(page), token);
  await page.locator("#token-rows tr", { hasText: "Entra provisioning" }).waitFor();
  await shot(page, "05-token-created");

  // Entra's calls, made by this test with the token.
  assert.equal((await scim("GET", "/Users?filter=userName%20eq%20%22nobody%22", token)).status, 200);
  assert.equal((await scim("POST", "/Users", token, newUser("ada@acme.example"))).status, 201);
  const duplicate = await scim("POST", "/Users", token, newUser("ada@acme.example"));
  assert.equal(duplicate.status, 409);
  await page.locator("#log-refresh").click();
  const created = page.locator("#log-rows tr", { hasText: "ada@acme.example" }).filter({ hasText: "created" });
  await created.first().waitFor();
  assert.match(await created.first().innerText(), /by Entra/);
  const refused = page.locator("#log-rows tr.row-refused");
  await refused.first().waitFor();
  assert.match(await refused.first().innerText(), /already has a user or group with this name/);
  assert.match(await refused.first().innerText(), /What to do:/);
  await page.locator("#status.status-warn", { hasText: "1 created" }).waitFor();
  await shot(page, "06-log-with-entra-calls");

  // Filter the log: refusals only.
  await page.getByLabel("Outcome").selectOption("refused");
  await page.waitForFunction(() => [...document.querySelectorAll("#log-rows tr")].every((r) => r.classList.contains("row-refused")));
  assert.equal(await page.locator("#log-rows tr").count(), 1);
  await shot(page, "07-log-filtered-refused");

  // Reload: the value is gone for good.
  await page.reload();
  await page.locator("#token-rows tr", { hasText: "Entra provisioning" }).waitFor();
  assert.equal(await page.locator("#token-value").count(), 0);
  assert.ok(!(await page.content()).includes(token));
  await shot(page, "08-reloaded-value-gone");

  // Revoke, with a confirmation.
  await page.getByRole("button", { name: "Revoke token Entra provisioning" }).click();
  await page.getByRole("dialog").waitFor();
  await shot(page, "09-revoke-confirmation", false);
  await page.getByRole("button", { name: "Revoke token", exact: true }).click();
  await page.locator("#token-rows tr", { hasText: "Revoked" }).waitFor();
  await shot(page, "10-revoked");
  assert.equal((await scim("GET", "/Users", token)).status, 401);

  // The phone width.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await page.locator("#token-rows tr", { hasText: "Revoked" }).waitFor();
  await shot(page, "11-phone");
  assert.deepEqual(problems, []);
  await context.close();
});

test("an expired sign-in link does not sign in", async () => {
  const { context, page } = await newPage();
  const expired = jwt({ sub: "alice@acme.example", role: "admin", org: ORG, exp: Math.floor(Date.now() / 1000) - 3600 });
  await page.goto(`${adminUrl}/signin#token=${expired}`);
  await page.getByText("This sign-in link cannot be used").waitFor();
  assert.equal((await context.cookies()).length, 0);
  await shot(page, "12-expired-link");
  // The settings page without a session asks to sign in from Humbol.
  await page.goto(`${adminUrl}/orgs/${ORG}/settings`);
  await page.getByRole("heading", { name: "Sign in from Humbol" }).waitFor();
  await context.close();
});

test("an admin creates an OAuth client, reads its secret once, rotates it and revokes the client", async () => {
  const { context, page, problems } = await newPage();
  await page.goto(`${adminUrl}/signin#token=${jwt({ sub: "alice@acme.example", role: "admin", org: ORG })}`);
  await page.waitForURL(`${adminUrl}/orgs/${ORG}/settings`);
  await page.getByRole("heading", { name: "OAuth clients" }).waitFor();

  // The token endpoint, with a copy button.
  const endpoint = `${scimUrl}/scim/v2/orgs/${ORG}/oauth/token`;
  assert.equal(await page.locator("#token-endpoint").inputValue(), endpoint);
  await page.locator('[data-copy="token-endpoint"]').click();
  await page.locator("#clients .copy-status", { hasText: "Copied" }).waitFor();
  assert.equal(await clipboard(page), endpoint);

  // Create a client: its ID and first secret are shown once, with the warning.
  await page.getByLabel("Client name").fill("Entra gallery app");
  await page.getByRole("button", { name: "Create client" }).click();
  await page.locator("#client-secret-value").waitFor();
  const clientId = await page.locator("#client-id-value").inputValue();
  const first = await page.locator("#client-secret-value").inputValue();
  assert.match(first, /^humbol_secret_/);
  await page.locator("#new-client").getByText("The client secret is not saved anywhere on the Humbol service").waitFor();
  await page.locator('[data-copy="client-secret-value"]').click();
  assert.equal(await clipboard(page), first);
  await page.locator('[data-copy="client-id-value"]').click();
  assert.equal(await clipboard(page), clientId);
  const card = page.locator(`[data-client-id]`, { hasText: clientId });
  await card.waitFor();
  assert.equal(await card.locator("tbody tr").count(), 1);
  await page.locator("#clients").screenshot({ path: join(shots, "13-client-created.png") });

  // Entra's side: an access token from the token endpoint, then a SCIM call with it.
  const access = await accessToken(clientId, first);
  assert.equal((await scim("POST", "/Users", access, newUser("grace@acme.example"))).status, 201);
  // A wrong secret is refused, and the log says why.
  assert.equal((await tokenRequest(clientId, `${first.slice(0, -4)}xxxx`)).status, 401);
  await page.locator("#log-refresh").click();
  const issued = page.locator("#log-rows tr", { hasText: "token issued" });
  await issued.first().waitFor();
  assert.match(await issued.first().innerText(), new RegExp(`by Entra \\(OAuth client ${clientId}\\)`));
  await page.locator("#log-rows tr", { hasText: "grace@acme.example" }).first().waitFor();
  const refusedToken = page.locator("#log-rows tr.row-refused", { hasText: "token refused" });
  await refusedToken.first().waitFor();
  assert.match(await refusedToken.first().innerText(), /not one of this client's secrets/);
  await page.locator("#log").screenshot({ path: join(shots, "14-log-token-issued.png") });

  // Reload: the secret is gone for good.
  await page.reload();
  await card.waitFor();
  assert.equal(await page.locator("#client-secret-value").count(), 0);
  assert.ok(!(await page.content()).includes(first));

  // Rotate: a second secret (shown once), both work, the first is removed and stops working.
  await page.getByRole("button", { name: "Add a secret to Entra gallery app" }).click();
  await page.locator("#secret-value").waitFor();
  const second = await page.locator("#secret-value").inputValue();
  assert.match(second, /^humbol_secret_/);
  assert.notEqual(second, first);
  await card.getByText("The client secret is not saved anywhere on the Humbol service").waitFor();
  assert.equal(await card.locator("tbody tr").count(), 2);
  await page.locator("#clients").screenshot({ path: join(shots, "15-secret-added.png") });
  await accessToken(clientId, first);
  const rotated = await accessToken(clientId, second);
  await page.locator("#secret-done").click();
  await card.locator("tbody tr").first().getByRole("button", { name: /^Remove secret/ }).click();
  await page.getByRole("dialog").waitFor();
  await shot(page, "16-remove-secret-confirmation", false);
  await page.getByRole("button", { name: "Remove secret", exact: true }).click();
  await page.getByText("removed.").waitFor();
  assert.equal(await card.locator("tbody tr").count(), 1);
  assert.equal((await tokenRequest(clientId, first)).status, 401);
  assert.equal((await scim("GET", "/Users", rotated)).status, 200);

  // An optional federated credential.
  await card.locator("summary", { hasText: "Workload identity federation" }).click();
  await card.getByLabel("Issuer").fill("https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0");
  await card.getByLabel("Subject").fill("6b1a2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d");
  await card.getByLabel("Audience").fill("api://humbol-scim");
  await card.getByRole("button", { name: "Add credential" }).click();
  await page.getByText("Federated credential saved.").waitFor();
  await card.locator("summary .pill", { hasText: "Configured" }).waitFor();
  await page.locator("#clients").screenshot({ path: join(shots, "17-client-federation.png") });

  // Revoke the client, with a confirmation: its access token is refused at once.
  await page.getByRole("button", { name: "Revoke client Entra gallery app" }).click();
  await page.getByRole("dialog").waitFor();
  await shot(page, "18-revoke-client-confirmation", false);
  await page.getByRole("button", { name: "Revoke client", exact: true }).click();
  await card.locator(".pill", { hasText: "Revoked" }).first().waitFor();
  assert.equal((await scim("GET", "/Users", rotated)).status, 401);
  assert.equal((await tokenRequest(clientId, second)).status, 401);
  assert.equal(await card.getByRole("button", { name: /Add a secret|Revoke client/ }).count(), 0);
  await page.locator("#clients").screenshot({ path: join(shots, "19-client-revoked.png") });

  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await card.waitFor();
  await page.locator("#clients").screenshot({ path: join(shots, "20-clients-phone.png") });
  assert.deepEqual(problems, []);
  await context.close();
});

test("support sees OAuth clients but no secret, and may revoke one", async () => {
  // The organisation's admin created this client through the API, as any API client could.
  const created = await (await fetch(`${adminUrl}/api/v1/orgs/${ORG}/scim/clients`, {
    method: "POST",
    headers: { Authorization: `Bearer ${jwt({ sub: "alice@acme.example", role: "admin", org: ORG })}`, "Content-Type": "application/json" },
    // Its secret expires in ten days: the page flags it.
    body: JSON.stringify({ name: "Second tenant", secret_expires_at: new Date(Date.now() + 10 * 86400 * 1000).toISOString() }),
  })).json();
  const { context, page, problems } = await newPage();
  await page.goto(`${adminUrl}/signin#token=${jwt({ sub: "sam@humbol.example", role: "support" })}`);
  await page.waitForURL(`${adminUrl}/support`);
  await page.goto(`${adminUrl}/orgs/${ORG}/settings`);
  const card = page.locator(`[data-client-id="${created.id}"]`);
  await card.waitFor();
  assert.equal(await page.locator("#client-form").count(), 0);
  assert.equal(await page.getByRole("button", { name: /^Add a secret/ }).count(), 0);
  assert.ok(!(await page.content()).includes(created.client_secret));
  await card.getByText("A secret of this client expires within 30 days").waitFor();
  await card.locator("tbody .pill-warn", { hasText: "Expires in 10 days" }).waitFor();
  await page.locator("#clients").screenshot({ path: join(shots, "21-support-clients.png") });
  await page.getByRole("button", { name: "Revoke client Second tenant" }).click();
  await page.getByRole("button", { name: "Revoke client", exact: true }).click();
  await card.locator(".pill", { hasText: "Revoked" }).first().waitFor();
  assert.equal((await tokenRequest(created.client_id, created.client_secret)).status, 401);
  assert.deepEqual(problems, []);
  await context.close();
});

test("the interactive API pages of both APIs render their operations from /openapi.json", async () => {
  for (const [name, url, expected] of [
    ["scim", scimUrl, ["createUser", "patchUser", "listGroups", "oauthToken", "readyz"]],
    ["admin", adminUrl, ["putOrg", "createToken", "listEvents", "readyz"]],
  ]) {
    const { context, page, problems } = await newPage();
    await page.goto(`${url}/docs`);
    await page.waitForSelector("body[data-operations]");
    const doc = await (await fetch(`${url}/openapi.json`)).json();
    const documented = Object.values(doc.paths)
      .flatMap((item) => ["get", "post", "put", "patch", "delete"].filter((m) => item[m])).length;
    assert.equal(await page.locator("details.operation").count(), documented, `${name}: one entry per operation`);
    for (const id of expected) {
      assert.equal(await page.locator(`details.operation[id="${id}"]`).count(), 1, `${name}: ${id}`);
    }
    assert.equal(await page.locator("#title").textContent(), `${doc.info.title} ${doc.info.version}`);
    // An example body is offered, and "Send" calls this origin's API.
    if (name === "scim") {
      await page.locator('details[id="createUser"] > summary').click();
      const body = await page.locator('details[id="createUser"] textarea').inputValue();
      assert.equal(JSON.parse(body).userName, "alice@contoso.com");
    }
    await page.locator('details[id="readyz"] > summary').click();
    await page.locator('details[id="readyz"] button').click();
    await page.locator('details[id="readyz"] pre.result', { hasText: "HTTP 200" }).waitFor();
    await shot(page, `api-page-${name}`);
    assert.deepEqual(problems, [], `${name}: console errors (a CSP refusal would show here)`);
    await context.close();
  }
});
