// Humbol's organisation API settings page and support's page. Drawn from the admin JSON API with the session
// cookie; every POST/PUT/DELETE sends the session's CSRF token in X-Humbol-CSRF. Elements are built with the
// DOM API (never innerHTML), so that nothing the API returns can become markup.
"use strict";

const main = () => document.getElementById("main");
let session = null;

// ---- small helpers ----

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && session) headers["X-Humbol-CSRF"] = session.csrf_token;
  const res = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const err = (data && data.error) || {};
    throw new ApiError(res.status, err.code || "error", err.message || `HTTP ${res.status}`);
  }
  return data;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function relative(iso) {
  const seconds = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  const future = seconds < 0;
  const s = Math.abs(seconds);
  let text;
  if (s < 45) return future ? "in a moment" : "just now";
  if (s < 5400) text = plural(Math.max(1, Math.round(s / 60)), "minute");
  else if (s < 129600) text = plural(Math.round(s / 3600), "hour");
  else text = plural(Math.round(s / 86400), "day");
  return future ? `in ${text}` : `${text} ago`;
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function time(iso, empty) {
  if (!iso) return h("span", { class: "muted" }, empty || "—");
  return h("time", { datetime: iso, title: dateFormat.format(new Date(iso)) }, relative(iso));
}

// A date field's value ("2027-06-30") as the end of that local day, in RFC 3339.
function endOfDay(date) {
  return new Date(`${date}T23:59:59`).toISOString();
}

function notice(kind, ...text) {
  return h("div", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" }, ...text);
}

// A live region per section: what a button did, read out by screen readers.
function flash(region, kind, text) {
  region.replaceChildren(notice(kind, text));
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (_) {
    return false;
  }
}

// A read-only field with a Copy button.
function copyField(id, label, value, opts) {
  const input = h("input", { id, type: "text", readonly: true, value, class: "mono", spellcheck: "false" });
  const status = h("span", { class: "copy-status", "aria-live": "polite" });
  const button = h("button", {
    type: "button",
    class: "button",
    "data-copy": id,
    onclick: async () => {
      input.select();
      const ok = await copyText(value);
      status.textContent = ok ? "Copied" : "Select the text and copy it (Ctrl+C)";
      setTimeout(() => { status.textContent = ""; }, 4000);
    },
  }, (opts && opts.buttonLabel) || "Copy");
  return h("div", { class: "field" },
    h("label", { for: id }, label),
    h("div", { class: "copy-row" }, input, button),
    status);
}

function card(id, title, intro, ...body) {
  return h("section", { class: "card", id, "aria-labelledby": `${id}-title` },
    h("h2", { id: `${id}-title` }, title),
    intro ? h("p", { class: "intro" }, intro) : null,
    ...body);
}

function signedOut(message) {
  document.getElementById("who").replaceChildren();
  main().replaceChildren(
    h("section", { class: "card narrow" },
      h("h1", {}, "Sign in from Humbol"),
      h("p", {}, message || "Open Humbol, go to your organisation's settings and choose “API settings”: Humbol signs you in here."),
      h("p", { class: "muted" }, "Your session ends when the link Humbol gave you expires; open the page from Humbol again to continue.")));
}

function showWho() {
  const who = document.getElementById("who");
  who.replaceChildren(
    h("span", { class: "who-name" }, session.sub, session.role === "support" ? h("span", { class: "badge" }, "Support") : null),
    h("button", {
      type: "button",
      class: "button button-quiet",
      id: "sign-out",
      onclick: async () => {
        await api("DELETE", "/api/v1/session").catch(() => null);
        session = null;
        signedOut("You are signed out. To come back, open the API settings from Humbol.");
      },
    }, "Sign out"));
}

// ---- confirmation dialog ----

function confirmDialog(title, text, confirmLabel) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": "dialog-title" });
    const done = (value) => { dialog.close(); dialog.remove(); resolve(value); };
    dialog.append(
      h("h2", { id: "dialog-title" }, title),
      h("p", {}, text),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "button", onclick: () => done(false) }, "Cancel"),
        h("button", { type: "button", class: "button button-danger", id: "confirm", onclick: () => done(true) }, confirmLabel)));
    dialog.addEventListener("cancel", (e) => { e.preventDefault(); done(false); });
    document.body.append(dialog);
    dialog.showModal();
  });
}

// ---- the settings page's sections ----
// Each section is a function (context) -> element; the page draws them in order.

const SECTIONS = [statusSection, tenantSection, tokensSection, clientsSection, logSection, supportSection];

function statusSection(ctx) {
  const line = h("div", { class: "status", id: "status", role: "status" }, "Checking provisioning…");
  ctx.refreshStatus = async () => {
    try {
      const s = await api("GET", `/api/v1/orgs/${ctx.org.slug}/scim/status`);
      line.replaceChildren(...statusText(s));
      line.className = `status ${statusKind(s)}`;
    } catch (e) {
      line.replaceChildren(`Status unavailable: ${e.message}`);
      line.className = "status status-warn";
    }
  };
  ctx.refreshStatus();
  return line;
}

function statusKind(s) {
  if (!s.scim_enabled) return "status-off";
  const refused = s.actions.find((a) => a.action === "refused" || a.action === "token_refused");
  if (refused) return "status-warn";
  return s.last_request_at ? "status-ok" : "status-idle";
}

function statusText(s) {
  if (!s.scim_enabled) {
    return [h("strong", {}, "Provisioning is off. "), "SCIM is not enabled for this organisation: contact Humbol support to enable it."];
  }
  const parts = [];
  if (s.last_request_at) parts.push(h("strong", {}, "Last request from Entra "), time(s.last_request_at), "; ");
  else if (s.live_tokens === 0 && s.live_clients === 0) {
    parts.push(h("strong", {}, "Not connected yet. "), session.role === "admin"
      ? "Create a SCIM token or an OAuth client below and paste it into Entra with the tenant URL; "
      : "The organisation has no live SCIM token or OAuth client: its admin creates one on this page; ");
  }
  else parts.push(h("strong", {}, "Entra has not called yet. "), "Start provisioning in Entra; ");
  const counts = s.actions.map((a) => `${a.count} ${a.action.replace(/_/g, " ")}`);
  parts.push(`in the last ${s.window_hours} h: ${counts.length ? counts.join(", ") : "no changes"}.`);
  return parts;
}

function tenantSection(ctx) {
  return card("tenant", "SCIM tenant URL",
    "In Entra, open Enterprise applications → Humbol → Provisioning, and paste this as the Tenant URL.",
    copyField("tenant-url", "Tenant URL", ctx.org.scim_base_url));
}

function tokensSection(ctx) {
  const region = h("div", { class: "region", "aria-live": "polite" });
  const reveal = h("div", { id: "new-token" });
  const tbody = h("tbody", { id: "token-rows" });
  const isAdmin = session.role === "admin";

  async function load() {
    const list = await api("GET", `/api/v1/orgs/${ctx.org.slug}/scim/tokens`);
    tbody.replaceChildren(...(list.items.length
      ? list.items.map(tokenRow)
      : [h("tr", {}, h("td", { colspan: 7, class: "empty" }, "No tokens yet."))]));
  }

  function tokenState(t) {
    if (t.revoked_at) return h("span", { class: "pill pill-off" }, "Revoked ", time(t.revoked_at));
    if (t.expires_at && new Date(t.expires_at) <= new Date()) return h("span", { class: "pill pill-off" }, "Expired");
    // Entra stops provisioning when its token expires: say so two weeks ahead.
    if (t.expires_at && new Date(t.expires_at) - Date.now() < 14 * 86400 * 1000) {
      return h("span", { class: "pill pill-warn", title: "Create a new token, paste it into Entra, then revoke this one" }, "Expires ", time(t.expires_at));
    }
    return h("span", { class: "pill pill-ok" }, "Active");
  }

  function tokenRow(t) {
    const revoke = t.revoked_at ? null : h("button", {
      type: "button",
      class: "button button-danger button-small",
      "aria-label": `Revoke token ${t.name}`,
      onclick: async () => {
        const ok = await confirmDialog(`Revoke “${t.name}”?`,
          "Entra's next request with this token is refused at once. Paste a new token into Entra first if provisioning should go on.",
          "Revoke token");
        if (!ok) return;
        try {
          await api("DELETE", `/api/v1/orgs/${ctx.org.slug}/scim/tokens/${encodeURIComponent(t.id)}`);
          flash(region, "ok", `Token “${t.name}” revoked.`);
          await load();
          ctx.refresh();
        } catch (e) {
          flash(region, "error", e.message);
        }
      },
    }, "Revoke");
    return h("tr", { "data-token-id": t.id },
      h("th", { scope: "row" }, t.name),
      h("td", { class: "mono" }, t.hint),
      h("td", { "data-label": "Created" }, time(t.created_at)),
      h("td", { "data-label": "Last used" }, time(t.last_used_at, "never")),
      h("td", { "data-label": "Expires" }, t.expires_at ? time(t.expires_at) : h("span", { class: "muted" }, "never")),
      h("td", {}, tokenState(t)),
      h("td", { class: "cell-action" }, revoke));
  }

  function showSecret(created) {
    reveal.replaceChildren(h("div", { class: "secret", role: "region", "aria-label": "New token" },
      h("h3", {}, `Token “${created.name}” created`),
      notice("warn", "The token value is not saved anywhere on the Humbol service, so if you lose it, you should create a new one and remove old one."),
      copyField("token-value", "Token value (paste it into Entra as the Secret Token)", created.token),
      h("button", {
        type: "button",
        class: "button",
        id: "token-done",
        onclick: () => reveal.replaceChildren(),
      }, "I have copied it")));
    document.getElementById("token-value").focus();
  }

  let form = h("p", { class: "muted" }, "Only the organisation's admin can create SCIM tokens: a token's value is shown to nobody else.");
  if (isAdmin) {
    const name = h("input", { id: "token-name", name: "name", type: "text", required: true, maxlength: 100, placeholder: "Entra provisioning", autocomplete: "off" });
    const expiry = h("input", { id: "token-expiry", name: "expires", type: "date", "aria-describedby": "token-expiry-help" });
    form = h("form", {
      class: "inline-form",
      id: "token-form",
      onsubmit: async (e) => {
        e.preventDefault();
        const body = { name: name.value, expires_at: null };
        if (expiry.value) body.expires_at = endOfDay(expiry.value);
        try {
          const created = await api("POST", `/api/v1/orgs/${ctx.org.slug}/scim/tokens`, body);
          region.replaceChildren();
          name.value = "";
          expiry.value = "";
          showSecret(created);
          await load();
          ctx.refresh();
        } catch (e2) {
          flash(region, "error", e2.message);
        }
      },
    },
    h("div", { class: "field" }, h("label", { for: "token-name" }, "Name"), name),
    h("div", { class: "field" }, h("label", { for: "token-expiry" }, "Expires (optional)"), expiry,
      h("small", { id: "token-expiry-help", class: "muted" }, "Leave empty for a token that does not expire: Entra stops provisioning when its token does.")),
    h("div", { class: "field field-button" }, h("button", { type: "submit", class: "button button-primary" }, "Create token")));
  }

  ctx.reloadTokens = load;
  const section = card("tokens", "SCIM tokens",
    "Entra authenticates with a SCIM token (the Secret Token). Several can be live at once: to rotate, create a new one, paste it into Entra, then revoke the old one. “Last used” catches up within a minute.",
    form, region, reveal,
    h("div", { class: "table-wrap" },
      h("table", { class: "table table-stack" },
        h("caption", { class: "sr-only" }, "SCIM tokens"),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Hint"), h("th", { scope: "col" }, "Created"),
          h("th", { scope: "col" }, "Last used"), h("th", { scope: "col" }, "Expires"), h("th", { scope: "col" }, "State"),
          h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))),
        tbody)));
  load().catch((e) => flash(region, "error", e.message));
  return section;
}

// OAuth clients: what Entra's gallery app uses instead of a SCIM token. Like tokens, a secret is shown once,
// to the organisation's admin only; support sees the list and may remove secrets or revoke a client.
function clientsSection(ctx) {
  const region = h("div", { class: "region", "aria-live": "polite" });
  const reveal = h("div", { id: "new-client" });
  const list = h("div", { id: "client-list", class: "client-list" });
  const isAdmin = session.role === "admin";
  const base = `/api/v1/orgs/${ctx.org.slug}/scim/clients`;
  const clientPath = (c) => `${base}/${encodeURIComponent(c.id)}`;

  async function load() {
    const clients = await api("GET", base);
    list.replaceChildren(...(clients.items.length
      ? clients.items.map(clientCard)
      : [h("p", { class: "empty-block" }, "No OAuth clients yet.")]));
  }

  async function act(work, done) {
    try {
      await work();
      await load();
      if (done) flash(region, "ok", done);
      ctx.refresh();
    } catch (e) {
      flash(region, "error", e.message);
    }
  }

  function secretWarning() {
    return notice("warn", "The client secret is not saved anywhere on the Humbol service, so if you lose it, you should add a new one and remove the old one.");
  }

  // The secret's one showing: in the new client's panel or under the client it was added to.
  function showOnce(where, title, fields, focusId, doneId) {
    where.replaceChildren(h("div", { class: "secret", role: "region", "aria-label": title },
      h("h3", {}, title),
      secretWarning(),
      ...fields,
      h("button", { type: "button", class: "button", id: doneId, onclick: () => where.replaceChildren() }, "I have copied it")));
    document.getElementById(focusId).focus();
  }

  function secretState(s, revoked) {
    if (revoked) return h("span", { class: "pill pill-off" }, "Revoked");
    if (s.expired) return h("span", { class: "pill pill-off" }, "Expired");
    if (s.expires_soon) {
      return h("span", { class: "pill pill-warn", title: "Add a new secret, paste it into Entra, then remove this one" }, "Expires ", time(s.expires_at));
    }
    return h("span", { class: "pill pill-ok" }, "Active");
  }

  function secretRow(c, s) {
    const remove = c.revoked_at ? null : h("button", {
      type: "button",
      class: "button button-danger button-small",
      "aria-label": `Remove secret ${s.hint} of ${c.name}`,
      onclick: async () => {
        const ok = await confirmDialog(`Remove the secret ${s.hint}?`,
          "Entra can no longer get access tokens with it; tokens it already has run until they expire (an hour at most). Paste a new secret into Entra first if provisioning should go on.",
          "Remove secret");
        if (ok) await act(() => api("DELETE", `${clientPath(c)}/secrets/${encodeURIComponent(s.id)}`), `Secret ${s.hint} removed.`);
      },
    }, "Remove");
    return h("tr", { "data-secret-id": s.id },
      h("th", { scope: "row", class: "mono" }, s.hint),
      h("td", { "data-label": "Created" }, time(s.created_at)),
      h("td", { "data-label": "Expires" }, time(s.expires_at)),
      h("td", { "data-label": "Last used" }, time(s.last_used_at, "never")),
      h("td", {}, secretState(s, c.revoked_at)),
      h("td", { class: "cell-action" }, remove));
  }

  function federationBlock(c) {
    const f = c.federation;
    const id = (field) => `fed-${field}-${c.id}`;
    const summary = f
      ? h("dl", { class: "facts" },
        h("dt", {}, "Issuer"), h("dd", { class: "mono" }, f.issuer),
        h("dt", {}, "Subject"), h("dd", { class: "mono" }, f.subject),
        h("dt", {}, "Audience"), h("dd", { class: "mono" }, f.audience))
      : h("p", { class: "muted" }, "None: Entra authenticates with a client secret.");
    const remove = f && !c.revoked_at ? h("button", {
      type: "button",
      class: "button button-danger",
      "aria-label": `Remove the federated credential of ${c.name}`,
      onclick: async () => {
        const ok = await confirmDialog("Remove the federated credential?",
          "Entra's client assertions for this client are refused from now on; its secrets keep working.",
          "Remove credential");
        if (ok) await act(() => api("DELETE", `${clientPath(c)}/federation`), "Federated credential removed.");
      },
    }, "Remove credential") : null;
    let form = null;
    if (isAdmin && !c.revoked_at) {
      const input = (field, label, help, value) => h("div", { class: "field" },
        h("label", { for: id(field) }, label),
        h("input", { id: id(field), name: field, type: "text", required: true, maxlength: 500, value: value || "", autocomplete: "off", spellcheck: "false", "aria-describedby": `${id(field)}-help` }),
        h("small", { id: `${id(field)}-help`, class: "muted" }, help));
      form = h("form", {
        class: "stack-form",
        "data-federation-form": c.id,
        onsubmit: async (e) => {
          e.preventDefault();
          const body = Object.fromEntries(["issuer", "subject", "audience"].map((k) => [k, document.getElementById(id(k)).value.trim()]));
          await act(() => api("PUT", `${clientPath(c)}/federation`, body), "Federated credential saved.");
        },
      },
      input("issuer", "Issuer", "https://login.microsoftonline.com/<tenant id>/v2.0 for Entra.", f && f.issuer),
      input("subject", "Subject", "The object id of the provisioning app's service principal.", f && f.subject),
      input("audience", "Audience", "The audience configured in Entra, for example api://humbol-scim.", f && f.audience),
      h("div", { class: "actions" }, remove, h("button", { type: "submit", class: "button button-primary" }, f ? "Save credential" : "Add credential")));
    }
    return h("details", { class: "federation", open: Boolean(f) },
      h("summary", {}, "Workload identity federation", f ? h("span", { class: "pill pill-ok" }, "Configured") : h("span", { class: "muted" }, " (optional)")),
      h("p", { class: "muted small" }, "Instead of a secret, Entra can prove who it is with a client assertion signed by its tenant: nothing to rotate."),
      form || h("div", {}, summary, remove ? h("div", { class: "actions" }, remove) : null));
  }

  function clientCard(c) {
    const once = h("div", { class: "secret-slot" });
    const state = c.revoked_at
      ? h("span", { class: "pill pill-off" }, "Revoked ", time(c.revoked_at))
      : c.secret_expires_soon
        ? h("span", { class: "pill pill-warn" }, "A secret expires soon")
        : h("span", { class: "pill pill-ok" }, "Active");
    const buttons = [];
    if (isAdmin && !c.revoked_at) {
      buttons.push(h("button", {
        type: "button",
        class: "button",
        "aria-label": `Add a secret to ${c.name}`,
        onclick: async () => {
          try {
            const added = await api("POST", `${clientPath(c)}/secrets`, {});
            region.replaceChildren();
            await load();
            const slot = list.querySelector(`[data-client-id="${CSS.escape(c.id)}"] .secret-slot`);
            showOnce(slot, `New secret for “${c.name}”`,
              [copyField("secret-value", "Client secret (paste it into Entra as the Client Secret)", added.client_secret)],
              "secret-value", "secret-done");
          } catch (e) {
            flash(region, "error", e.message);
          }
        },
      }, "Add secret"));
    }
    if (!c.revoked_at) {
      buttons.push(h("button", {
        type: "button",
        class: "button button-danger",
        "aria-label": `Revoke client ${c.name}`,
        onclick: async () => {
          const ok = await confirmDialog(`Revoke “${c.name}”?`,
            "Entra gets no new access token with this client, and the access tokens it has are refused from its next request. Connect Entra another way first if provisioning should go on.",
            "Revoke client");
          if (ok) await act(() => api("DELETE", clientPath(c)), `Client “${c.name}” revoked.`);
        },
      }, "Revoke client"));
    }
    const warn = c.secret_expires_soon && !c.revoked_at
      ? notice("warn", "A secret of this client expires within 30 days: Entra stops provisioning when it does. ",
        isAdmin ? "Add a new secret, paste it into Entra, then remove the old one." : "The organisation's admin adds a new one on this page.")
      : null;
    return h("article", { class: `client${c.revoked_at ? " client-revoked" : ""}`, "data-client-id": c.id, "aria-labelledby": `client-${c.id}-name` },
      h("div", { class: "client-head" },
        h("div", {},
          h("h3", { id: `client-${c.id}-name` }, c.name, " ", state),
          h("p", { class: "muted small" }, "Created ", time(c.created_at))),
        h("div", { class: "actions" }, ...buttons)),
      h("div", { class: "field" },
        h("span", { class: "field-label" }, "Client ID"),
        h("code", { class: "client-id" }, c.client_id)),
      warn, once,
      h("div", { class: "table-wrap" },
        h("table", { class: "table table-stack" },
          h("caption", { class: "sr-only" }, `Secrets of ${c.name}`),
          h("thead", {}, h("tr", {},
            h("th", { scope: "col" }, "Secret"), h("th", { scope: "col" }, "Created"), h("th", { scope: "col" }, "Expires"),
            h("th", { scope: "col" }, "Last used"), h("th", { scope: "col" }, "State"),
            h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))),
          h("tbody", {}, ...(c.secrets.length
            ? c.secrets.map((s) => secretRow(c, s))
            : [h("tr", {}, h("td", { colspan: 6, class: "empty" }, "No secrets."))])))),
      federationBlock(c));
  }

  let form = h("p", { class: "muted" }, "Only the organisation's admin can create OAuth clients and secrets: a secret is shown to nobody else.");
  if (isAdmin) {
    const name = h("input", { id: "client-name", name: "name", type: "text", required: true, maxlength: 100, placeholder: "Entra provisioning", autocomplete: "off" });
    const expiry = h("input", { id: "client-expiry", name: "secret_expires", type: "date", "aria-describedby": "client-expiry-help" });
    form = h("form", {
      class: "inline-form",
      id: "client-form",
      onsubmit: async (e) => {
        e.preventDefault();
        const body = { name: name.value };
        if (expiry.value) body.secret_expires_at = endOfDay(expiry.value);
        try {
          const created = await api("POST", base, body);
          region.replaceChildren();
          name.value = "";
          expiry.value = "";
          showOnce(reveal, `Client “${created.name}” created`, [
            copyField("client-id-value", "Client ID (paste it into Entra as the Client Identifier)", created.client_id),
            copyField("client-secret-value", "Client secret (paste it into Entra as the Client Secret)", created.client_secret),
          ], "client-secret-value", "client-done");
          await load();
          ctx.refresh();
        } catch (e2) {
          flash(region, "error", e2.message);
        }
      },
    },
    h("div", { class: "field" }, h("label", { for: "client-name" }, "Client name"), name),
    h("div", { class: "field" }, h("label", { for: "client-expiry" }, "Secret expires (optional)"), expiry,
      h("small", { id: "client-expiry-help", class: "muted" }, "Default: one year; at most three years.")),
    h("div", { class: "field field-button" }, h("button", { type: "submit", class: "button button-primary" }, "Create client")));
  }

  const section = card("clients", "OAuth clients",
    "Entra's gallery app authenticates with OAuth 2.0 client credentials: paste the tenant URL, the token endpoint, the client ID and a client secret into Entra. To rotate, add a secret, paste it into Entra, then remove the old one.",
    copyField("token-endpoint", "Token endpoint", `${ctx.org.scim_base_url}/oauth/token`),
    form, region, reveal, list);
  load().catch((e) => flash(region, "error", e.message));
  return section;
}

// Refusals in plain words, and what to do, from the logged reason ("POST /Users: 409 uniqueness: ...").
function explainRefusal(detail, action) {
  if (action === "token_refused") return explainTokenRefusal(detail);
  const m = /^(\S+) (\S+): (\d{3})(?: (\w+))?: ([\s\S]*)$/.exec(detail || "");
  const status = m ? Number(m[3]) : 0;
  const type = m ? m[4] : undefined;
  const reason = m ? m[5] : detail;
  let what; let todo;
  if (type === "uniqueness" || status === 409) {
    what = "Humbol already has a user or group with this name in your organisation.";
    todo = "If it is the same person or group, let Entra match it (matching on userName, or displayName for groups); otherwise change the mapping so that the names differ, or remove the duplicate in Humbol.";
  } else if (/role/i.test(reason) && (type === "invalidValue" || status === 400)) {
    what = "Entra sent a role that your organisation does not have, or more than one role.";
    todo = "In Entra, assign each user one of your organisation's Humbol roles (listed in the reason), or ask Humbol support to add the role.";
  } else if (type === "invalidValue" || type === "invalidSyntax" || type === "tooMany" || type === "invalidPath" || type === "noTarget" || type === "mutability") {
    what = "Entra sent a value or a change that Humbol cannot accept.";
    todo = "Check the attribute mappings of the Humbol app in Entra (Provisioning → Mappings) for the attribute named in the reason.";
  } else if (type === "invalidFilter") {
    what = "Entra asked for users or groups with a filter Humbol does not support.";
    todo = "Use userName, externalId or emails as the matching attribute in Entra's mappings.";
  } else if (status === 404) {
    what = "Entra referred to a user or group that no longer exists in Humbol.";
    todo = "Nothing, if it was deleted on purpose. Otherwise restart provisioning in Entra (Provisioning → Restart provisioning) so that it is created again.";
  } else if (status === 412) {
    what = "The user or group changed while Entra was updating it.";
    todo = "Nothing: Entra tries again in its next cycle.";
  } else if (status === 413) {
    what = "Entra's request was larger than Humbol accepts.";
    todo = "Split large groups or contact Humbol support.";
  } else {
    what = "Humbol refused this request.";
    todo = "Read the reason; if it is unclear, contact Humbol support with the time of this entry.";
  }
  return { what, todo, reason: m ? `${m[1]} ${m[2]}: ${status}${type ? ` ${type}` : ""}: ${reason}` : reason };
}

// The token endpoint's refusals ("no access token for client <id>: <reason>"; reasons listed in the README).
function explainTokenRefusal(detail) {
  const m = /: ([^:]*)$/.exec(detail || "");
  const reason = m ? m[1] : detail;
  let what = "Entra asked for an access token and Humbol refused it.";
  let todo = "Check the client ID, the client secret and the token endpoint in Entra's provisioning settings.";
  if (/unknown client_id/.test(reason)) {
    todo = "Paste the client ID shown in “OAuth clients” into Entra's Client Identifier.";
  } else if (/wrong client secret|malformed client secret/.test(reason)) {
    what = "Entra sent a client secret that is not one of this client's secrets.";
    todo = "Add a secret to the client, paste it into Entra's Client Secret, and test the connection.";
  } else if (/expired/.test(reason)) {
    what = "The client secret (or Entra's client assertion) has expired.";
    todo = "Add a new secret to the client and paste it into Entra.";
  } else if (/revoked/.test(reason)) {
    what = "The OAuth client was revoked.";
    todo = "Create a new client and paste its client ID and secret into Entra.";
  } else if (/federated|assertion|issuer|subject|audience|jti|kid|RS256/.test(reason)) {
    what = "Entra's client assertion does not match the client's federated credential.";
    todo = "Compare the issuer, subject and audience under “Workload identity federation” with Entra's federated credential.";
  } else if (/disabled/.test(reason)) {
    what = "SCIM provisioning is disabled for the organisation.";
    todo = "Contact Humbol support to enable it.";
  }
  return { what, todo, reason: detail };
}

const ACTIONS = ["created", "updated", "disabled", "enabled", "deleted", "refused", "token_created", "token_revoked",
  "token_issued", "token_refused", "client_created", "client_revoked", "secret_added", "secret_removed",
  "federation_set", "federation_removed"];
const RESOURCES = [["User", "User"], ["Group", "Group"], ["Token", "SCIM token"], ["OAuthClient", "OAuth client"]];

function logSection(ctx) {
  const region = h("div", { class: "region", "aria-live": "polite" });
  const tbody = h("tbody", { id: "log-rows" });
  const pager = h("div", { class: "pager" });
  const select = (id, label, options) => h("div", { class: "field" },
    h("label", { for: id }, label),
    h("select", { id, onchange: () => { cursors = [null]; load(); } },
      h("option", { value: "" }, "Any"), ...options.map(([value, text]) => h("option", { value }, text))));
  const filters = h("form", { class: "inline-form filters", id: "log-filters", onsubmit: (e) => e.preventDefault() },
    select("log-outcome", "Outcome", [["success", "Succeeded"], ["refused", "Refused"]]),
    select("log-action", "Action", ACTIONS.map((a) => [a, a.replace(/_/g, " ")])),
    select("log-resource", "Resource", RESOURCES));
  let cursors = [null]; // the `before` of each page shown so far; the last is the current page

  async function load() {
    const params = new URLSearchParams({ limit: "20" });
    const before = cursors[cursors.length - 1];
    if (before) params.set("before", before);
    for (const [key, id] of [["outcome", "log-outcome"], ["action", "log-action"], ["resource_type", "log-resource"]]) {
      const value = document.getElementById(id) ? document.getElementById(id).value : "";
      if (value) params.set(key, value);
    }
    try {
      const page = await api("GET", `/api/v1/orgs/${ctx.org.slug}/scim/events?${params}`);
      tbody.replaceChildren(...(page.items.length
        ? page.items.map(eventRow)
        : [h("tr", {}, h("td", { colspan: 4, class: "empty" }, "Nothing logged yet."))]));
      pager.replaceChildren(
        h("button", { type: "button", class: "button", disabled: cursors.length === 1, onclick: () => { cursors.pop(); load(); } }, "← Newer"),
        h("span", { class: "pager-mid" }, h("span", { class: "muted" }, `Page ${cursors.length}`),
          h("button", { type: "button", class: "button button-quiet", id: "log-refresh", onclick: () => ctx.refresh() }, "Refresh")),
        h("button", { type: "button", class: "button", id: "log-older", disabled: !page.next, onclick: () => { cursors.push(page.next); load(); } }, "Older →"));
      region.replaceChildren();
    } catch (e) {
      flash(region, "error", e.message);
    }
  }

  function eventRow(e) {
    const refused = e.outcome === "refused";
    let detail = h("span", {}, e.detail);
    if (refused) {
      const x = explainRefusal(e.detail, e.action);
      detail = h("div", { class: "refusal" },
        h("p", { class: "refusal-what" }, x.what),
        h("p", {}, h("strong", {}, "What to do: "), x.todo),
        h("p", { class: "muted mono small" }, x.reason));
    }
    return h("tr", { class: refused ? "row-refused" : "" },
      h("td", { class: "nowrap" }, time(e.at)),
      h("td", {}, h("span", { class: `pill ${refused ? "pill-bad" : "pill-ok"}` }, e.action.replace(/_/g, " "))),
      h("td", {}, e.resource_type ? resourceLabel(e.resource_type) : h("span", { class: "muted" }, "—")),
      h("td", { class: "detail" }, detail, h("div", { class: "muted small" }, actorLabel(e.actor))));
  }

  ctx.reloadLog = () => { cursors = [null]; return load(); };
  const section = card("log", "Provisioning log",
    "What each request from Entra did, newest first. Refused requests say why and what to do.",
    filters, region,
    h("div", { class: "table-wrap" },
      h("table", { class: "table table-stack" },
        h("caption", { class: "sr-only" }, "Provisioning log"),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, "When"), h("th", { scope: "col" }, "Action"),
          h("th", { scope: "col" }, "Resource"), h("th", { scope: "col" }, "Details"))),
        tbody)),
    pager);
  load();
  return section;
}

function resourceLabel(type) {
  const known = RESOURCES.find(([value]) => value === type);
  return known ? known[1] : type;
}

function actorLabel(actor) {
  if (actor.startsWith("token:")) return "by Entra (SCIM token)";
  if (actor.startsWith("client:")) return `by Entra (OAuth client ${actor.slice(7)})`;
  if (actor.startsWith("admin:")) return `by ${actor.slice(6)}`;
  if (actor.startsWith("support:")) return `by Humbol support (${actor.slice(8)})`;
  return `by ${actor}`;
}

// Support only: SCIM on or off, the organisation's roles and default role.
function supportSection(ctx) {
  if (session.role !== "support") return null;
  return card("support-settings", "Provisioning settings (Humbol support)",
    "Only Humbol support sees and changes these.",
    orgForm(ctx.org, async (org) => {
      ctx.org = org;
      ctx.refresh();
    }));
}

// The form support uses to create or update an organisation; `org` null for a new one (with a slug field).
function orgForm(org, saved) {
  const region = h("div", { class: "region", "aria-live": "polite" });
  const prefix = org ? "org" : "new-org";
  const slug = org ? null : h("input", { id: `${prefix}-slug`, type: "text", required: true, pattern: "[a-z0-9\\-]{1,63}", maxlength: 63, autocomplete: "off", "aria-describedby": `${prefix}-slug-help` });
  const name = h("input", { id: `${prefix}-name`, type: "text", required: true, maxlength: 200, value: org ? org.name : "" });
  const enabled = h("input", { id: `${prefix}-enabled`, type: "checkbox", checked: org ? org.scim_enabled : true });
  const roles = h("input", { id: `${prefix}-roles`, type: "text", required: true, value: org ? org.roles.join(", ") : "Admin, Member, Viewer", "aria-describedby": `${prefix}-roles-help` });
  const defaultRole = h("input", { id: `${prefix}-default-role`, type: "text", required: true, value: org ? org.default_role : "Member" });
  return h("form", {
    class: "stack-form",
    id: `${prefix}-form`,
    onsubmit: async (e) => {
      e.preventDefault();
      const target = org ? org.slug : slug.value.trim();
      const body = {
        name: name.value,
        scim_enabled: enabled.checked,
        roles: roles.value.split(",").map((r) => r.trim()).filter(Boolean),
        default_role: defaultRole.value.trim(),
      };
      try {
        const result = await api("PUT", `/api/v1/orgs/${encodeURIComponent(target)}`, body);
        flash(region, "ok", `Saved: SCIM provisioning is ${result.scim_enabled ? "enabled" : "disabled"} for ${result.name}.`);
        await saved(result);
      } catch (e2) {
        flash(region, "error", e2.message);
      }
    },
  },
  slug ? h("div", { class: "field" }, h("label", { for: `${prefix}-slug` }, "Organisation slug"), slug,
    h("small", { id: `${prefix}-slug-help`, class: "muted" }, "Humbol's id of the organisation: a-z, 0-9 and -.")) : null,
  h("div", { class: "field" }, h("label", { for: `${prefix}-name` }, "Name"), name),
  h("div", { class: "field field-check" }, enabled, h("label", { for: `${prefix}-enabled` }, "SCIM provisioning enabled")),
  h("div", { class: "field" }, h("label", { for: `${prefix}-roles` }, "Roles"), roles,
    h("small", { id: `${prefix}-roles-help`, class: "muted" }, "Comma-separated. Entra assigns one of them to each user.")),
  h("div", { class: "field" }, h("label", { for: `${prefix}-default-role` }, "Default role"), defaultRole),
  h("div", { class: "actions" }, h("button", { type: "submit", class: "button button-primary" }, org ? "Save settings" : "Save organisation")),
  region);
}

// ---- pages ----

async function settingsPage(slug) {
  let org;
  try {
    org = await api("GET", `/api/v1/orgs/${encodeURIComponent(slug)}`);
  } catch (e) {
    if (e.status === 401) return signedOut();
    main().replaceChildren(h("section", { class: "card narrow" },
      h("h1", {}, "Organisation not found"),
      h("p", {}, e.status === 404 ? `There is no organisation “${slug}”, or it is not yours.` : e.message),
      session.role === "support" ? h("p", {}, h("a", { href: "/support" }, "Back to support")) : null));
    return;
  }
  document.title = `${org.name} · API settings · Humbol`;
  const ctx = { org };
  ctx.refresh = () => {
    if (ctx.refreshStatus) ctx.refreshStatus();
    if (ctx.reloadLog) ctx.reloadLog();
  };
  const header = h("div", { class: "page-head" },
    h("div", {},
      h("p", { class: "eyebrow" }, session.role === "support" ? h("a", { href: "/support" }, "Support") : "Settings", " / API"),
      h("h1", {}, `${org.name}: API settings`)),
    null);
  const body = SECTIONS.map((section) => section(ctx)).filter(Boolean);
  main().replaceChildren(header, ...body);
}

function supportPage() {
  if (session.role !== "support") {
    location.replace(session.home);
    return;
  }
  document.title = "Support · Humbol";
  const open = h("input", { id: "open-slug", type: "text", required: true, pattern: "[a-z0-9\\-]{1,63}", autocomplete: "off" });
  const region = h("div", { class: "region", "aria-live": "polite" });
  main().replaceChildren(
    h("div", { class: "page-head" }, h("div", {}, h("p", { class: "eyebrow" }, "Humbol support"), h("h1", {}, "Organisations"))),
    card("open-org", "Open an organisation", "Its API settings page, as its admin sees it, with the provisioning settings.",
      h("form", {
        class: "inline-form",
        id: "open-form",
        onsubmit: (e) => { e.preventDefault(); location.assign(`/orgs/${encodeURIComponent(open.value.trim())}/settings`); },
      },
      h("div", { class: "field" }, h("label", { for: "open-slug" }, "Organisation slug"), open),
      h("div", { class: "field field-button" }, h("button", { type: "submit", class: "button button-primary" }, "Open")))),
    card("new-org", "Create or enable an organisation",
      "Customers ask Humbol support to configure provisioning. Saving an existing slug updates it.",
      orgForm(null, async (org) => {
        region.replaceChildren(notice("ok", "Open ", h("a", { href: `/orgs/${org.slug}/settings`, id: "open-new-org" }, `${org.name}'s API settings`), "."));
      }), region));
}

async function signinPage() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("token");
  // Drop the fragment at once: the JWT must not stay in the address bar or the history.
  if (location.hash) history.replaceState(null, "", "/signin");
  if (!token) {
    try {
      session = await api("GET", "/api/v1/session");
      location.replace(session.home);
    } catch (_) {
      signedOut();
    }
    return;
  }
  try {
    session = await api("POST", "/api/v1/session", { token });
    location.replace(session.home);
  } catch (e) {
    signedOut(e.status === 401
      ? `This sign-in link cannot be used (${e.message}). Open the API settings from Humbol again to get a fresh one.`
      : e.message);
  }
}

async function start() {
  const path = location.pathname;
  if (path === "/signin" || path === "/") return signinPage();
  try {
    session = await api("GET", "/api/v1/session");
  } catch (_) {
    return signedOut();
  }
  showWho();
  const m = /^\/orgs\/([^/]+)\/settings$/.exec(path);
  if (m) return settingsPage(decodeURIComponent(m[1]));
  if (path === "/support") return supportPage();
  location.replace(session.home);
}

start();
