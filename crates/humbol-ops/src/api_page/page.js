// The interactive API page of a Humbol binary: draws every operation of this server's /openapi.json, grouped
// by tag, with its parameters, example bodies and responses, and sends a request from the page ("Send") with
// the bearer token typed in the header. No library, nothing fetched but this origin's own document and API.
"use strict";

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children) {
    if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

const METHODS = ["get", "post", "put", "patch", "delete"];

// The first example of a media type: `example`, the first of `examples`, or the schema's own.
function firstExample(doc, media) {
  if (!media) return undefined;
  if (media.example !== undefined) return media.example;
  const named = Object.values(media.examples || {});
  if (named.length && named[0].value !== undefined) return named[0].value;
  let schema = media.schema;
  if (schema && schema.$ref) schema = doc.components.schemas[schema.$ref.split("/").pop()];
  return schema ? schema.example : undefined;
}

function operationView(doc, path, method, op) {
  const inputs = {};
  const params = (op.parameters || []).filter((p) => ["path", "query", "header"].includes(p.in));
  const body = el("div", { class: "body" });
  if (op.description) body.append(el("p", {}, op.description));
  if (params.length) {
    const rows = params.map((p) => {
      const input = el("input", { name: p.name, "data-in": p.in, placeholder: p.example ?? "" });
      if (p.in === "path" && p.name === "org") input.value = "demo";
      inputs[`${p.in}:${p.name}`] = input;
      return el("tr", { class: "param" }, el("td", {}, el("code", {}, p.name), p.required ? " *" : ""),
        el("td", {}, p.in), el("td", {}, input), el("td", {}, p.description || ""));
    });
    body.append(el("h3", {}, "Parameters"), el("table", {}, ...rows));
  }
  let bodyInput = null;
  let bodyType = null;
  if (op.requestBody) {
    const [type, media] = Object.entries(op.requestBody.content || {})[0] || [];
    bodyType = type;
    body.append(el("h3", {}, `Request body (${type})`));
    const examples = Object.entries((media && media.examples) || {});
    bodyInput = el("textarea", { spellcheck: "false" });
    const example = firstExample(doc, media);
    if (example !== undefined) bodyInput.value = typeof example === "string" ? example : JSON.stringify(example, null, 2);
    if (examples.length > 1) {
      const select = el("select", {}, ...examples.map(([name, ex]) => el("option", { value: name }, ex.summary || name)));
      select.addEventListener("change", () => {
        bodyInput.value = JSON.stringify(media.examples[select.value].value, null, 2);
      });
      body.append(el("label", {}, "Example: ", select));
    }
    body.append(bodyInput);
  }
  const responses = Object.entries(op.responses || {}).map(([status, r]) =>
    el("tr", {}, el("td", {}, el("code", {}, status)), el("td", {}, r.description || "")));
  body.append(el("h3", {}, "Responses"), el("table", { class: "responses" }, ...responses));

  const result = el("pre", { class: "result", hidden: "" });
  const send = el("button", { type: "button" }, "Send");
  send.addEventListener("click", async () => {
    let url = path;
    const query = new URLSearchParams();
    const headers = {};
    for (const [key, input] of Object.entries(inputs)) {
      const [where, name] = key.split(/:(.*)/s);
      if (!input.value) continue;
      if (where === "path") url = url.replace(`{${name}}`, encodeURIComponent(input.value));
      else if (where === "query") query.set(name, input.value);
      else headers[name] = input.value;
    }
    const token = document.getElementById("token").value.trim();
    if (token && op.security) headers.Authorization = `Bearer ${token}`;
    if (bodyInput) headers["Content-Type"] = bodyType;
    const qs = query.toString();
    result.hidden = false;
    result.textContent = "…";
    try {
      const res = await fetch(url + (qs ? `?${qs}` : ""), {
        method: method.toUpperCase(), headers, body: bodyInput ? bodyInput.value : undefined,
      });
      const text = await res.text();
      let shown = text;
      try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON */ }
      result.textContent = `HTTP ${res.status} ${res.statusText}\n\n${shown}`;
    } catch (e) {
      result.textContent = `request failed: ${e}`;
    }
  });
  body.append(el("p", {}, send), result);

  const details = el("details", { class: "operation", id: op.operationId || `${method} ${path}` },
    el("summary", {},
      el("span", { class: `method method-${method}` }, method),
      el("span", { class: "path" }, path),
      el("span", { class: "summary" }, op.summary || "")),
    body);
  return details;
}

async function main() {
  const container = document.getElementById("operations");
  let doc;
  try {
    const res = await fetch("/openapi.json");
    doc = await res.json();
  } catch (e) {
    container.replaceChildren(el("p", { class: "error" }, `cannot read /openapi.json: ${e}`));
    return;
  }
  document.title = doc.info.title;
  document.getElementById("title").textContent = `${doc.info.title} ${doc.info.version}`;
  document.getElementById("about").textContent = doc.info.description || "";
  const byTag = new Map((doc.tags || []).map((t) => [t.name, { about: t.description, ops: [] }]));
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = (op.tags || ["Other"])[0];
      if (!byTag.has(tag)) byTag.set(tag, { about: "", ops: [] });
      byTag.get(tag).ops.push(operationView(doc, path, method, op));
    }
  }
  const sections = [];
  for (const [name, { about, ops }] of byTag) {
    if (!ops.length) continue;
    sections.push(el("section", { class: "tag", id: `tag-${name}` },
      el("h2", {}, name), about ? el("p", { class: "tag-about" }, about) : null, ...ops));
  }
  container.replaceChildren(...sections);
  document.body.dataset.operations = String(sections.reduce((n, s) => n + s.querySelectorAll("details").length, 0));
}

main();
