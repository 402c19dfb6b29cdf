// Lockstep console: small progressive enhancements over server-rendered pages. Every change goes
// through the registry's REST API with the browser's own credentials (same-origin fetch).
"use strict";

const CT = "application/vnd.schemaregistry.v1+json";

async function api(method, url, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: CT } };
  if (body !== undefined) {
    init.headers["Content-Type"] = CT;
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(url, init);
  const text = await resp.text();
  let json = null;
  try { json = JSON.parse(text); } catch (_) { json = text; }
  return { ok: resp.ok, status: resp.status, json };
}

function errorText(r) {
  if (r.json && typeof r.json === "object" && "message" in r.json) {
    return `HTTP ${r.status}, error ${r.json.error_code}: ${r.json.message}`;
  }
  return `HTTP ${r.status}: ${typeof r.json === "string" ? r.json : JSON.stringify(r.json)}`;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k.startsWith("data-") || k === "role" || k.startsWith("aria-")) e.setAttribute(k, v); else e[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

const enc = encodeURIComponent;

// ---------------------------------------------------------------- subject search as you type
function subjectSearch() {
  const form = document.getElementById("subject-search");
  const results = document.getElementById("results");
  if (!form || !results) return;
  let timer = null, ctrl = null;
  const run = async () => {
    const params = new URLSearchParams(new FormData(form));
    if (ctrl) ctrl.abort();
    ctrl = new AbortController();
    try {
      const resp = await fetch("/ui?" + params + "&fragment=1", { credentials: "same-origin", signal: ctrl.signal });
      if (!resp.ok) return;
      results.innerHTML = await resp.text(); // server-rendered, escaped HTML
      history.replaceState(null, "", "/ui?" + params);
    } catch (e) { if (e.name !== "AbortError") console.error(e); }
  };
  const later = () => { clearTimeout(timer); timer = setTimeout(run, 150); };
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  form.addEventListener("submit", (ev) => { ev.preventDefault(); clearTimeout(timer); run(); });
}

// ---------------------------------------------------------------- compatibility playground
function playground() {
  const form = document.getElementById("playground");
  if (!form) return;
  const out = document.getElementById("pg-result");
  const request = () => {
    const body = { schema: form.schema.value, schemaType: form.schemaType.value };
    const refs = form.references.value.trim();
    if (refs) body.references = JSON.parse(refs);
    return body;
  };
  const show = (cls, title, items) => {
    const list = items && items.length ? el("ul", { class: "messages" }, ...items.map((m) => el("li", {}, m))) : null;
    out.replaceChildren(el("div", { class: "verdict " + cls, id: "pg-verdict", "data-result": cls }, el("strong", {}, title), list));
  };
  const subject = () => form.subject.value.trim();
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    let body;
    try { body = request(); } catch (e) { show("bad", "References are not valid JSON: " + e.message); return; }
    const level = form.level.value;
    const r = level
      ? await api("POST", `/ui/api/check/${enc(subject())}?level=${enc(level)}`, body)
      : await api("POST", `/compatibility/subjects/${enc(subject())}/versions?verbose=true`, body);
    if (!r.ok) { show("bad", "Cannot check: " + errorText(r)); return; }
    const at = level || "the subject's level";
    if (r.json.is_compatible) show("good", `Compatible (${at})`, []);
    else show("bad", `Incompatible (${at})`, r.json.messages || []);
  });
  document.getElementById("pg-register").addEventListener("click", async () => {
    let body;
    try { body = request(); } catch (e) { show("bad", "References are not valid JSON: " + e.message); return; }
    const r = await api("POST", `/subjects/${enc(subject())}/versions`, body);
    if (!r.ok) { show("bad", "Not registered: " + errorText(r)); return; }
    const link = el("a", { href: `/ui/subjects/${enc(subject())}?version=${r.json.version ?? ""}` }, "open it");
    out.replaceChildren(el("div", { class: "verdict good", id: "pg-verdict", "data-result": "registered" },
      el("strong", {}, `Registered: id ${r.json.id}` + (r.json.version ? `, version ${r.json.version}` : "") + " "), link));
  });
  document.getElementById("pg-file").addEventListener("change", async (ev) => {
    const f = ev.target.files[0];
    if (!f) return;
    if (f.size > 4 * 1024 * 1024) { show("bad", "That file is larger than 4 MiB."); return; }
    form.schema.value = await f.text();
    if (/\.proto$/i.test(f.name)) form.schemaType.value = "PROTOBUF";
    else if (/\.avsc$/i.test(f.name)) form.schemaType.value = "AVRO";
  });
}

// ---------------------------------------------------------------- config and mode forms
function settingsForms() {
  for (const form of document.querySelectorAll("form.edit")) {
    const out = form.querySelector(".result");
    const done = async (r) => {
      if (r.ok) { out.textContent = "Saved."; location.reload(); }
      else out.textContent = errorText(r);
      out.classList.toggle("error", !r.ok);
    };
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body = {}; body[form.dataset.field] = form.querySelector("select").value;
      done(await api("PUT", form.dataset.url, body));
    });
    form.querySelector('[data-action="delete"]').addEventListener("click", async () => {
      done(await api("DELETE", form.dataset.url));
    });
  }
}

// ---------------------------------------------------------------- links (exporters)
function links() {
  const root = document.getElementById("links");
  if (!root) return;
  const table = root.querySelector("table");
  const tbody = table.querySelector("tbody");
  const status = document.getElementById("links-status");
  const source = Number(root.dataset.sourcePosition);
  const action = async (name, what) => {
    const r = await api("PUT", `/exporters/${enc(name)}/${what}`);
    status.textContent = r.ok ? `${what} ${name}: done` : `${what} ${name}: ${errorText(r)}`;
    status.classList.toggle("error", !r.ok);
    await load(false);
  };
  const load = async (clear = true) => {
    const list = await api("GET", "/exporters");
    if (!list.ok) { status.textContent = "Cannot list exporters: " + errorText(list); status.classList.add("error"); return; }
    if (clear) { status.textContent = ""; status.classList.remove("error"); }
    const rows = await Promise.all(list.json.map(async (name) => {
      const [info, st] = await Promise.all([api("GET", `/exporters/${enc(name)}`), api("GET", `/exporters/${enc(name)}/status`)]);
      return { name, info: info.ok ? info.json : {}, st: st.ok ? st.json : { state: "UNKNOWN", trace: errorText(st) } };
    }));
    tbody.replaceChildren(...rows.map(({ name, info, st }) => {
      const paused = st.state === "PAUSED";
      const counts = st.counts ? Object.entries(st.counts).map(([k, v]) => `${k} ${v}`).join(", ") : "";
      const lag = st.lag ?? (typeof st.offset === "number" ? Math.max(0, source - st.offset) : "");
      const btn = (label, what) => el("button", { type: "button", class: "secondary", "data-action": what, "aria-label": `${label} ${name}`, onclick: () => action(name, what) }, label);
      return el("tr", { "data-exporter": name, "data-state": st.state },
        el("th", { scope: "row" }, name),
        el("td", { class: "state" }, el("span", { class: "pill " + (st.state === "RUNNING" ? "good" : st.state === "ERROR" ? "bad" : "") }, st.state || "")),
        el("td", {}, (info.config && info.config["schema.registry.url"]) || ""),
        el("td", {}, [info.contextType, info.context].filter(Boolean).join(" ")),
        el("td", {}, (info.subjects || []).join(", ")),
        el("td", { class: "num" }, st.offset ?? ""),
        el("td", { class: "num" }, String(lag)),
        el("td", {}, counts),
        el("td", { class: st.trace ? "bad" : "" }, st.trace || ""),
        // Reset starts over from offset 0 and needs a paused exporter.
        el("td", {}, ...(paused ? [btn("Resume", "resume"), " ", btn("Reset", "reset")] : [btn("Pause", "pause")])));
    }));
    table.hidden = rows.length === 0;
    if (rows.length === 0 && clear) status.textContent = "No exporters. Create one with POST /exporters (docs/linking.md).";
  };
  document.getElementById("links-refresh").addEventListener("click", () => load());
  setInterval(() => { if (document.getElementById("links-auto").checked) load(false); }, 5000);
  load();
}

document.addEventListener("DOMContentLoaded", () => {
  subjectSearch();
  playground();
  settingsForms();
  links();
});
