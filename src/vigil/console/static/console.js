/* Vigil web console: a small single-page app over /console/api and the Graph routes.
 *
 * No library, no request beyond this origin. The token stays in sessionStorage and is sent as a
 * bearer header. Every text from the server goes into the page as text nodes (display names come
 * from other tenants' app registrations), never as HTML. Views: #/overview, #/risky, #/detections;
 * the query part of the hash holds the filters and the open detail pane (sp=<id> or detection=<id>).
 */
"use strict";

const TOKEN_KEY = "vigil.token";
const GRAPH = "/v1.0/identityProtection/riskyServicePrincipals";
const LEVELS = ["high", "medium", "low", "none"];
const STATES = ["atRisk", "confirmedCompromised", "dismissed", "remediated", "confirmedSafe", "none"];
const SP_TYPES = ["Application", "ManagedIdentity", "Legacy", "SocialIdp"];
const EVENT_TYPES = [
  "suspiciousSignins", "leakedCredentials", "investigationsThreatIntelligence",
  "maliciousApplication", "suspiciousApplication", "anomalousServicePrincipalActivity",
  "suspiciousAPITraffic", "adminConfirmedServicePrincipalCompromised",
];
const TYPE_COLORS = ["#0b5cad", "#b42318", "#6941c6", "#b54708", "#027a48", "#c11574", "#155b75", "#475467"];
const KINDS = {
  managedIdentity: "Managed identity", multiTenant: "Multi-tenant application",
  singleTenant: "Single-tenant application", unknown: "Not in the inventory",
};
const STATE_LABELS = {
  atRisk: "At risk", confirmedCompromised: "Confirmed compromised", dismissed: "Dismissed",
  remediated: "Remediated", confirmedSafe: "Confirmed safe", none: "None",
};

let me = null;               // {name, roles, can: {read, act, disable}}
let listKey = null;          // the list parameters the current view was rendered with
let lastRows = [];           // rows of the current table page
let selected = new Set();    // selected service principal ids (risky table)
let paneOpener = null;       // element to return focus to when the pane closes

// -- DOM helpers ---------------------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// replaceChildren() would print null as "null": leave out what is not there.
function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

const SVG_NS = "http://www.w3.org/2000/svg";
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children.flat()) {
    if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function when(iso) {
  if (!iso) return "—";
  return iso.replace("T", " ").replace(/(\.\d+)?Z$/, "").slice(0, 16) + " UTC";
}

function badge(kind, value, label) {
  return h("span", { class: `badge ${kind}-${value}` }, label || value);
}
const levelBadge = (v) => badge("lvl", v || "none");
const stateBadge = (v) => badge("st", v || "none", STATE_LABELS[v] || v);
function enabledBadge(v) {
  if (v === null || v === undefined) return h("span", { class: "muted" }, "unknown");
  return h("span", { class: `badge ${v ? "on" : "off"}` }, v ? "Enabled" : "Disabled");
}

function toast(text, isError) {
  const host = document.getElementById("toast");
  const el = h("div", { class: isError ? "err" : "" }, text);
  host.append(el);
  setTimeout(() => el.remove(), isError ? 8000 : 4000);
}

function valueNode(v) {
  if (v === null || v === undefined) return "—";
  if (Array.isArray(v)) return h("ul", { class: "value-list" }, v.map((x) => h("li", {}, valueNode(x))));
  if (typeof v === "object") {
    return h("dl", { class: "facts" }, Object.entries(v).flatMap(([k, x]) => [h("dt", {}, k), h("dd", {}, valueNode(x))]));
  }
  if (typeof v === "boolean") return v ? "yes" : "no";
  return String(v);
}

function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter((p) => p).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v === null || v === undefined || v === "" ? "—" : v)]));
}

// -- HTTP ----------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function call(method, path, body, accept) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (accept) headers.Accept = accept;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 401 && me) {
    signOut("Your session ended (the token expired or was revoked). Sign in again.");
    throw new ApiError(401, "unauthenticated");
  }
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try { message = (await res.json()).error.message || message; } catch (_) { /* not JSON */ }
    throw new ApiError(res.status, message);
  }
  return res;
}
const getJson = async (path) => (await call("GET", path)).json();

// -- routing -------------------------------------------------------------------------------------

function route() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, query] = raw.split("?");
  return { view: path || "overview", params: new URLSearchParams(query || "") };
}

function go(view, params) {
  const q = params.toString();
  location.hash = `#/${view}${q ? "?" + q : ""}`;
}

function withParam(params, changes) {
  const p = new URLSearchParams(params);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === "") p.delete(k); else p.set(k, v);
  }
  return p;
}

function listParams(params) {
  const p = new URLSearchParams(params);
  p.delete("sp"); p.delete("detection");
  p.sort();
  return p;
}

async function render() {
  if (!sessionStorage.getItem(TOKEN_KEY)) return renderLogin();
  if (!me) {
    try { me = await getJson("/console/api/me"); } catch (e) {
      return renderLogin(e.status === 401 ? "That token was not accepted." : e.message);
    }
  }
  showChrome();
  const { view, params } = route();
  for (const a of document.querySelectorAll("header nav a")) {
    if (a.dataset.nav === view) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  const key = `${view}?${listParams(params)}`;
  try {
    if (key !== listKey) {
      listKey = key;
      if (view === "risky") await renderRisky(params);
      else if (view === "detections") await renderDetections(params);
      else await renderOverview();
    }
    await renderPane(params);
  } catch (e) {
    if (e.status !== 401) {
      listKey = null;
      toast(e.message, true);
    }
  }
}

// -- login ---------------------------------------------------------------------------------------

function showChrome() {
  document.getElementById("nav").hidden = false;
  document.getElementById("who").hidden = false;
  document.getElementById("who-name").textContent = `${me.name} · ${me.roles.join(", ") || "no role"}`;
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  me = null; listKey = null; selected = new Set();
  closePaneDom();
  renderLogin(message);
}

function renderLogin(message) {
  document.getElementById("nav").hidden = true;
  document.getElementById("who").hidden = true;
  closePaneDom();
  listKey = null;
  const main = document.getElementById("main");
  const error = h("p", { class: "error", id: "login-error", role: "alert" }, message || "");
  const input = h("input", {
    id: "token", name: "token", type: "password", autocomplete: "off", spellcheck: "false",
    required: true, "aria-describedby": "token-hint login-error",
  });
  const form = h("form", { class: "card login", onsubmit: async (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    me = null;
    await render();
  } },
  h("h1", {}, "Sign in to Vigil"),
  h("label", { for: "token" }, "Access token"),
  input,
  h("p", { class: "hint", id: "token-hint" },
    "Paste a local token (vigil token create --role \"Security Operator\" --name you) or an OIDC " +
    "access token. It is kept in this browser tab only and sent to this server only."),
  error,
  h("button", { type: "submit" }, "Sign in"));
  fill(main, form);
  input.focus();
}

// -- overview ------------------------------------------------------------------------------------

async function renderOverview() {
  const doc = await getJson("/console/api/overview");
  const main = document.getElementById("main");
  const r = doc.riskyServicePrincipals;
  const d = doc.detections;
  const recent = doc.perDay.totals;
  const link = (view, params, node, n) => h("li", {}, h("a", { href: `#/${view}?${new URLSearchParams(params)}` }, node, ` ${n}`));
  const types = Object.keys(d.byType);
  const open = (r.byState.atRisk || 0) + (r.byState.confirmedCompromised || 0);
  fill(main, 
    h("h1", {}, "Overview"),
    h("div", { class: "cards" },
      h("section", { class: "card", "aria-labelledby": "c-risky" },
        h("h2", { id: "c-risky" }, "Risky workload identities by level"),
        h("div", { class: "big" }, r.total),
        h("ul", { class: "levels" }, LEVELS.map((l) => link("risky", { level: l }, levelBadge(l), r.byLevel[l] || 0)))),
      h("section", { class: "card", "aria-labelledby": "c-open" },
        h("h2", { id: "c-open" }, "By risk state"),
        h("div", { class: "big" }, open, h("span", { class: "muted unit" }, " open")),
        h("ul", { class: "levels" }, STATES.filter((st) => r.byState[st]).map((st) => link("risky", { state: st }, stateBadge(st), r.byState[st])))),
      h("section", { class: "card", "aria-labelledby": "c-det" },
        h("h2", { id: "c-det" }, "Detections"),
        h("div", { class: "big" }, d.total),
        h("p", { class: "muted" }, `${Object.values(recent).reduce((a, b) => a + b, 0)} in the last 30 days`))),
    h("section", { class: "card", "aria-labelledby": "c-types" },
      h("h2", { id: "c-types" }, "Detections by type"),
      h("div", { class: "table-wrap" }, h("table", { id: "types-table" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Detection type"), h("th", { scope: "col" }, "All time"), h("th", { scope: "col" }, "Last 30 days"))),
        h("tbody", {}, types.length ? types.map((t) => h("tr", {},
          h("th", { scope: "row" }, h("a", { href: `#/detections?type=${encodeURIComponent(t)}` }, t)),
          h("td", {}, d.byType[t]), h("td", {}, recent[t] || 0))) : h("tr", {}, h("td", { colspan: 3, class: "empty" }, "No detections yet.")))))),
    chartCard(doc.perDay));
  main.focus();
}

function swatch(color) {
  const el = h("span", { class: "swatch", "aria-hidden": "true" });
  el.style.background = color;  // CSSOM, which the Content-Security-Policy allows
  return el;
}

function chartCard(perDay) {
  const days = perDay.days;
  const types = Object.keys(perDay.series);
  const W = 960, H = 280, L = 44, B = 40, T = 12, R = 8;
  const totals = days.map((_, i) => types.reduce((n, t) => n + perDay.series[t][i], 0));
  const max = Math.max(1, ...totals);
  const step = Math.pow(10, Math.floor(Math.log10(max)));
  const top = Math.ceil(max / step) * step;
  const y = (v) => T + (H - T - B) * (1 - v / top);
  const bw = (W - L - R) / days.length;
  const color = (t) => TYPE_COLORS[(EVENT_TYPES.indexOf(t) + TYPE_COLORS.length) % TYPE_COLORS.length];
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const v = Math.round(top * f);
    return s("g", {}, s("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#d0d7de" }),
      s("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", "font-size": 12, fill: "#57606a" }, v));
  });
  const bars = days.flatMap((day, i) => {
    let acc = 0;
    return types.map((t) => {
      const n = perDay.series[t][i];
      if (!n) return null;
      const rect = s("rect", { x: L + i * bw + 2, width: Math.max(1, bw - 4), y: y(acc + n), height: y(acc) - y(acc + n), fill: color(t) },
        s("title", {}, `${day} · ${t}: ${n}`));
      acc += n;
      return rect;
    });
  });
  const labels = days.map((day, i) => (i % 5 === 0 || i === days.length - 1)
    ? s("text", { x: L + i * bw + bw / 2, y: H - B + 18, "text-anchor": "middle", "font-size": 12, fill: "#57606a" }, day.slice(5))
    : null);
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "chart-title chart-desc" },
    s("title", { id: "chart-title" }, "Detections per day by type, last 30 days"),
    s("desc", { id: "chart-desc" }, `Stacked bars, one per UTC day from ${days[0]} to ${days[days.length - 1]}; ${totals.reduce((a, b) => a + b, 0)} detections in all.`),
    grid, bars, labels,
    s("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: "#57606a" }));
  const table = h("table", {},
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Day"), types.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, days.map((day, i) => h("tr", {}, h("th", { scope: "row" }, day), types.map((t) => h("td", {}, perDay.series[t][i]))))));
  return h("section", { class: "card chart-card", "aria-labelledby": "c-chart" },
    h("h2", { id: "c-chart" }, "Detections per day by type (last 30 days, UTC)"),
    svg,
    types.length ? h("ul", { class: "legend" }, types.map((t) => h("li", {}, swatch(color(t)), t)))
      : h("p", { class: "muted" }, "No detections in the last 30 days."),
    h("details", {}, h("summary", {}, "Chart data as a table"), h("div", { class: "table-wrap" }, table)));
}

// -- shared table pieces ---------------------------------------------------------------------------

function selectField(id, labelText, name, values, current, labels) {
  return h("div", { class: "field" }, h("label", { for: id }, labelText),
    h("select", { id, name }, h("option", { value: "" }, "All"),
      values.map((v) => h("option", { value: v, selected: v === current }, (labels && labels[v]) || v))));
}

function filterForm(view, params, fields) {
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filters", onsubmit: (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    for (const [k, v] of new FormData(form).entries()) if (String(v).trim()) p.set(k, String(v).trim());
    for (const k of ["sort", "dir", "size"]) if (params.get(k)) p.set(k, params.get(k));
    go(view, p);
  } },
  fields,
  h("div", { class: "field" }, h("label", { for: "f-from" }, "From"), h("input", { id: "f-from", name: "from", type: "date", value: params.get("from") || "" })),
  h("div", { class: "field" }, h("label", { for: "f-to" }, "To"), h("input", { id: "f-to", name: "to", type: "date", value: params.get("to") || "" })),
  h("div", { class: "field" }, h("label", { for: "f-q" }, "Search"), h("input", { id: "f-q", name: "q", type: "search", placeholder: "Name, appId or id", value: params.get("q") || "" })),
  h("div", { class: "buttons" }, h("button", { type: "submit", id: "apply" }, "Apply"),
    h("button", { type: "button", class: "secondary", onclick: () => go(view, new URLSearchParams()) }, "Reset")));
  return form;
}

// The sort shown is the one the server applied (doc.sort, doc.dir: a URL without dir gets the
// column's default direction); a header's first click asks for that default, a second flips it.
function sortHeader(view, params, doc, prop, label) {
  const dir = doc.dir;
  const active = doc.sort === prop;
  const next = active ? (dir === "asc" ? "desc" : "asc") : doc.sortDirections[prop];
  return h("th", { scope: "col", "aria-sort": active ? (dir === "asc" ? "ascending" : "descending") : "none" },
    h("button", { type: "button", class: "sort", onclick: () => go(view, withParam(params, { sort: prop, dir: next, page: null, sp: null, detection: null })) }, label));
}

function pager(view, params, doc) {
  const pages = Math.max(1, Math.ceil(doc.total / doc.size));
  const page = doc.page;
  return h("nav", { class: "pager", "aria-label": "Pages" },
    h("label", { for: "page-size" }, "Rows per page"),
    h("select", { id: "page-size", onchange: (ev) => go(view, withParam(params, { size: ev.target.value, page: null })) },
      [25, 50, 100, 200].map((n) => h("option", { value: n, selected: n === doc.size }, n))),
    h("button", { type: "button", class: "secondary", disabled: page <= 1, onclick: () => go(view, withParam(params, { page: page - 1 })) }, "Previous"),
    h("span", { "aria-live": "polite" }, `Page ${page} of ${pages}`),
    h("button", { type: "button", class: "secondary", disabled: page >= pages, onclick: () => go(view, withParam(params, { page: page + 1 })) }, "Next"));
}

function graphQuery(doc, params) {
  const q = params.get("q");
  if (!doc.graphFilter && !q) return null;
  return h("p", { class: "graph-query" }, "Graph query: ",
    doc.graphFilter ? h("code", {}, `$filter=${doc.graphFilter}`) : null, " ", h("code", {}, `$orderby=${doc.graphOrderBy}`),
    q ? [" and the search ", h("code", {}, q), " (name contains it, or appId / id equals it)"] : null);
}

async function downloadCsv(path, params, filename) {
  const p = listParams(params);
  p.delete("page"); p.delete("size");
  p.set("format", "csv");
  try {
    const blob = await (await call("GET", `${path}?${p}`, undefined, "text/csv")).blob();
    const url = URL.createObjectURL(blob);
    const a = h("a", { href: url, download: filename, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (e) {
    if (e.status !== 401) toast(`CSV download failed: ${e.message}`, true);
  }
}

// -- risky workload identities ---------------------------------------------------------------------

async function renderRisky(params) {
  const p = listParams(params);
  const doc = await getJson(`/console/api/risky?${p}`);
  lastRows = doc.value;
  selected = new Set([...selected].filter((id) => lastRows.some((r) => r.id === id)));
  const canAct = me.can.act;
  const main = document.getElementById("main");
  const col = (prop, label) => sortHeader("risky", params, doc, prop, label);
  const bulk = (label, action) => h("button", { type: "button", class: action === "dismiss" ? "secondary" : "danger", "data-bulk": action, disabled: true, onclick: () => bulkAction(action) }, label);
  const rows = doc.value.map((r) => h("tr", { "data-id": r.id, class: selected.has(r.id) ? "selected" : "" },
    canAct ? h("td", {}, h("input", { type: "checkbox", "aria-label": `Select ${r.displayName || r.id}`, checked: selected.has(r.id), onchange: (ev) => toggle(r.id, ev.target.checked) })) : null,
    h("td", {}, h("button", { type: "button", class: "link open-sp", onclick: (ev) => openSp(ev.currentTarget, r.id) }, r.displayName || r.id)),
    h("td", { class: "mono hide-narrow" }, r.appId || "—"),
    h("td", { class: "hide-narrow" }, r.servicePrincipalType || "—"),
    h("td", {}, stateBadge(r.riskState)),
    h("td", {}, levelBadge(r.riskLevel)),
    h("td", {}, when(r.riskLastUpdatedDateTime)),
    h("td", {}, enabledBadge(r.isEnabled))));
  fill(main, 
    h("h1", {}, "Risky workload identities"),
    filterForm("risky", params, [
      selectField("f-level", "Risk level", "level", LEVELS, params.get("level")),
      selectField("f-state", "Risk state", "state", STATES, params.get("state"), STATE_LABELS),
      selectField("f-type", "Type", "type", SP_TYPES, params.get("type")),
    ]),
    graphQuery(doc, params),
    h("div", { class: "toolbar" },
      canAct ? [bulk("Confirm compromised", "confirm"), bulk("Dismiss", "dismiss"), h("span", { id: "sel-count", class: "count", "aria-live": "polite" }, "")] : null,
      h("span", { class: "spacer" }),
      h("span", { class: "count", id: "total" }, `${doc.total} risky workload identit${doc.total === 1 ? "y" : "ies"}`),
      h("button", { type: "button", class: "secondary", id: "csv", onclick: () => downloadCsv("/console/api/risky", params, "riskyServicePrincipals.csv") }, "Download CSV")),
    h("div", { class: "table-wrap" }, h("table", { id: "risky-table" },
      h("caption", { class: "visually-hidden" }, "Risky workload identities, one per row"),
      h("thead", {}, h("tr", {},
        canAct ? h("th", { scope: "col" }, h("input", { type: "checkbox", id: "select-all", "aria-label": "Select all on this page", onchange: (ev) => selectAll(ev.target.checked) })) : null,
        col("displayName", "Name"), h("th", { scope: "col", class: "hide-narrow" }, "App ID"), h("th", { scope: "col", class: "hide-narrow" }, "Type"),
        col("riskState", "Risk state"), col("riskLevel", "Risk level"), col("riskLastUpdatedDateTime", "Last updated"), col("isEnabled", "Enabled"))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 8, class: "empty" }, "No risky workload identities match these filters."))))),
    pager("risky", params, doc));
  updateSelection();
}

function toggle(id, on) {
  if (on) selected.add(id); else selected.delete(id);
  const tr = document.querySelector(`tr[data-id="${CSS.escape(id)}"]`);
  if (tr) tr.classList.toggle("selected", on);
  updateSelection();
}

function selectAll(on) {
  for (const r of lastRows) toggle(r.id, on);
  for (const cb of document.querySelectorAll("#risky-table tbody input[type=checkbox]")) cb.checked = on;
}

function updateSelection() {
  for (const b of document.querySelectorAll("[data-bulk]")) b.disabled = selected.size === 0;
  const count = document.getElementById("sel-count");
  if (count) count.textContent = selected.size ? `${selected.size} selected` : "";
}

async function bulkAction(action) {
  const ids = [...selected];
  if (!ids.length) return;
  const names = ids.map((id) => {
    const row = lastRows.find((r) => r.id === id);
    return (row && row.displayName) || id;
  });
  if (!await confirmRiskAction(action, names)) return;
  const verb = action === "confirm" ? "Confirm compromised" : "Dismiss";
  for (const b of document.querySelectorAll("[data-bulk]")) b.disabled = true;  // no second post meanwhile
  let applied = 0;
  try {
    applied = await riskAction(action, ids);
    toast(`${action === "confirm" ? "Confirmed compromised" : "Dismissed"}: ${ids.length} workload identit${ids.length === 1 ? "y" : "ies"}`);
    selected = new Set();
    await refresh();
  } catch (e) {
    applied = e.applied || 0;
    if (e.status !== 401) {
      // Batches are separate requests: say what was done before the one that failed.
      const done = applied ? ` after ${applied} of ${ids.length} were applied` : "";
      toast(`${verb} failed${done}: ${e.message}`, true);
    }
    if (applied) {
      for (const id of ids.slice(0, applied)) selected.delete(id);
      await refresh();
    } else {
      updateSelection();
    }
  }
}

async function riskAction(action, ids) {
  const path = action === "confirm" ? `${GRAPH}/confirmCompromised` : `${GRAPH}/dismiss`;
  let applied = 0;
  for (let i = 0; i < ids.length; i += 60) {  // dismiss takes at most 60 ids per call
    const batch = ids.slice(i, i + 60);
    try {
      await call("POST", path, { servicePrincipalIds: batch });
    } catch (e) {
      e.applied = applied;
      throw e;
    }
    applied += batch.length;
  }
  return applied;
}

async function refresh() {
  listKey = null;
  await render();
}

// -- detections --------------------------------------------------------------------------------------

async function renderDetections(params) {
  const p = listParams(params);
  const doc = await getJson(`/console/api/detections?${p}`);
  lastRows = doc.value;
  const main = document.getElementById("main");
  const col = (prop, label) => sortHeader("detections", params, doc, prop, label);
  const rows = doc.value.map((d) => h("tr", { "data-id": d.id },
    h("td", {}, h("button", { type: "button", class: "link open-detection", onclick: (ev) => openDetection(ev.currentTarget, d.id) }, when(d.activityDateTime))),
    h("td", {}, d.riskEventType),
    h("td", {}, levelBadge(d.riskLevel)),
    h("td", {}, stateBadge(d.riskState)),
    h("td", {}, h("button", { type: "button", class: "link open-sp", onclick: (ev) => openSp(ev.currentTarget, d.servicePrincipalId) }, d.servicePrincipalDisplayName || d.servicePrincipalId)),
    h("td", { class: "mono hide-narrow" }, d.ipAddress || "—"),
    h("td", { class: "hide-narrow" }, when(d.detectedDateTime))));
  fill(main, 
    h("h1", {}, "Workload identity detections"),
    filterForm("detections", params, [
      selectField("f-type", "Detection type", "type", EVENT_TYPES, params.get("type")),
      selectField("f-level", "Risk level", "level", LEVELS, params.get("level")),
      selectField("f-state", "Risk state", "state", STATES, params.get("state"), STATE_LABELS),
    ]),
    graphQuery(doc, params),
    h("div", { class: "toolbar" }, h("span", { class: "spacer" }),
      h("span", { class: "count", id: "total" }, `${doc.total} detection${doc.total === 1 ? "" : "s"}`),
      h("button", { type: "button", class: "secondary", id: "csv", onclick: () => downloadCsv("/console/api/detections", params, "servicePrincipalRiskDetections.csv") }, "Download CSV")),
    h("div", { class: "table-wrap" }, h("table", { id: "detections-table" },
      h("caption", { class: "visually-hidden" }, "Workload identity detections, one per row"),
      h("thead", {}, h("tr", {}, col("activityDateTime", "Activity time"), h("th", { scope: "col" }, "Detection type"), h("th", { scope: "col" }, "Risk level"),
        h("th", { scope: "col" }, "Risk state"), h("th", { scope: "col" }, "Service principal"), h("th", { scope: "col", class: "hide-narrow" }, "IP address"),
        col("detectedDateTime", "Detected"))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 7, class: "empty" }, "No detections match these filters."))))),
    pager("detections", params, doc));
}

// -- detail pane ---------------------------------------------------------------------------------------

function openSp(opener, id) {
  paneOpener = opener;
  const { view, params } = route();
  go(view, withParam(params, { sp: id, detection: null }));
}

function openDetection(opener, id) {
  paneOpener = opener;
  const { view, params } = route();
  go(view, withParam(params, { detection: id, sp: null }));
}

function closePaneDom() {
  document.getElementById("pane-host").replaceChildren();
}

function closePane() {
  const { view, params } = route();
  closePaneDom();
  go(view, withParam(params, { sp: null, detection: null }));
  // Focus goes back to what opened the pane, or to its row when the table was redrawn since.
  let target = paneOpener && document.body.contains(paneOpener) ? paneOpener : null;
  const id = params.get("sp") || params.get("detection");
  if (!target && id) {
    const which = params.get("sp") ? "button.open-sp" : "button.open-detection";
    target = document.querySelector(`#main tr[data-id="${CSS.escape(id)}"] ${which}`);
  }
  (target || document.getElementById("main")).focus();
}

async function renderPane(params) {
  const sp = params.get("sp");
  const det = params.get("detection");
  if (!sp && !det) return closePaneDom();
  const body = sp ? await spPane(sp) : await detectionPane(det);
  const title = body.querySelector("h2");
  const pane = h("aside", { class: "pane", id: "pane", role: "dialog", "aria-modal": "false", "aria-labelledby": "pane-title",
    onkeydown: (ev) => { if (ev.key === "Escape") closePane(); } }, body);
  document.getElementById("pane-host").replaceChildren(pane);
  if (title) { title.setAttribute("tabindex", "-1"); title.focus(); }
}

function paneHead(title, extra) {
  return h("div", { class: "pane-head" },
    h("div", {}, h("h2", { id: "pane-title" }, title), extra),
    h("button", { type: "button", class: "secondary", id: "close-pane", onclick: closePane }, "Close"));
}

function table(id, caption, headers, rows, emptyText) {
  return h("div", { class: "table-wrap" }, h("table", { id },
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: headers.length, class: "empty" }, emptyText)))));
}

function detectionDetails(d, open) {
  const e = d.explanation || { description: "", facts: [] };
  return h("details", { class: "detection", open, "data-id": d.id },
    h("summary", {}, levelBadge(d.riskLevel), h("strong", {}, d.riskEventType), stateBadge(d.riskState), h("span", { class: "muted" }, when(d.activityDateTime))),
    e.description ? h("p", {}, e.description) : null,
    e.facts.length ? h("dl", { class: "facts" }, e.facts.flatMap((f) => [h("dt", {}, f.label), h("dd", {}, valueNode(f.value))])) : null,
    facts([
      ["Detection id", h("span", { class: "mono" }, d.id)],
      ["IP address", d.ipAddress],
      d.location ? ["Location", [d.location.city, d.location.countryOrRegion].filter((x) => x).join(", ")] : null,
      d.keyIds && d.keyIds.length ? ["Key ids", h("span", { class: "mono" }, d.keyIds.join(", "))] : null,
      ["Request id", d.requestId ? h("span", { class: "mono" }, d.requestId) : null],
      ["Detected", when(d.detectedDateTime)],
      ["Last updated", when(d.lastUpdatedDateTime)],
      ["Timing", d.detectionTimingType],
      d.mitreTechniqueId ? ["MITRE ATT&CK", d.mitreTechniqueId] : null,
    ]));
}

async function spPane(id) {
  const doc = await getJson(`/console/api/service-principals/${encodeURIComponent(id)}`);
  const p = doc.principal;
  const risk = doc.risk;
  const actions = [];
  if (risk && me.can.act) {
    actions.push(h("button", { type: "button", class: "danger", id: "act-confirm", onclick: () => paneAction("confirm", p) }, "Confirm compromised"));
    actions.push(h("button", { type: "button", class: "secondary", id: "act-dismiss", onclick: () => paneAction("dismiss", p) }, "Dismiss"));
  }
  const enabled = risk ? risk.isEnabled : p.accountEnabled;
  if (me.can.disable && enabled !== false) {
    actions.push(h("button", { type: "button", class: "danger", id: "act-disable", onclick: () => setEnabled(p, false) }, "Disable service principal"));
  } else if (me.can.disable) {
    actions.push(h("button", { type: "button", class: "secondary", id: "act-enable", onclick: () => setEnabled(p, true) }, "Enable service principal"));
  }
  const history = doc.history.map((x) => h("tr", {},
    h("td", {}, when(x.riskLastUpdatedDateTime)), h("td", {}, levelBadge(x.riskLevel)), h("td", {}, stateBadge(x.riskState)),
    h("td", {}, x.activity.detail), h("td", {}, x.activity.riskEventTypes.join(", ") || "—"), h("td", {}, x.initiatedBy || "Vigil")));
  const signIns = doc.signIns.map((x) => h("tr", { class: x.suspicious ? "suspicious" : "" },
    h("td", {}, when(x.createdDateTime), x.suspicious ? [" ", h("span", { class: "badge sus", title: x.suspicious.reason }, "Suspicious")] : null),
    h("td", { class: "mono nowrap" }, x.ipAddress || "—"),
    h("td", {}, [x.location, x.asn ? `AS${x.asn}${x.asnOrg ? " " + x.asnOrg : ""}` : null, x.isHosting ? "hosting" : null].filter((v) => v).join(" · ") || "—"),
    h("td", {}, x.resource || "—"),
    h("td", {}, x.credentialType || "—", x.keyId ? h("div", { class: "mono nowrap", title: x.keyId }, `${x.keyId.slice(0, 8)}…`) : null),
    h("td", {}, x.errorCode ? `Failure ${x.errorCode}` : "Success"),
    h("td", { class: "hide-narrow" }, x.suspicious ? x.suspicious.reason : "")));
  const creds = doc.credentials.map((c) => {
    const expired = c.expired;
    return h("tr", {}, h("td", {}, c.type), h("td", {}, c.owner), h("td", {}, c.displayName || "—"),
      h("td", { class: "mono" }, c.keyId), h("td", { class: "mono" }, c.hint || "—"),
      h("td", {}, when(c.endDateTime), expired ? [" ", h("span", { class: "badge off" }, "Expired")] : null),
      h("td", {}, c.lastUsedDateTime ? when(c.lastUsedDateTime) : "Never seen"));
  });
  const audits = (list) => list.map((a) => h("tr", {}, h("td", {}, when(a.activityDateTime)), h("td", {}, a.activityDisplayName),
    h("td", {}, a.result || "—"), h("td", {}, a.initiatedBy || "—"), h("td", {}, a.targets.filter((t) => t).join(", ") || "—")));
  const auditHead = ["Time", "Operation", "Result", "Initiated by", "Targets"];
  return h("div", {},
    paneHead(p.displayName || p.id, h("p", { class: "muted" }, KINDS[p.kind] || p.kind)),
    actions.length ? h("div", { class: "actions", role: "group", "aria-label": "Actions" }, actions) : null,
    h("section", { "aria-labelledby": "s-risk" }, h("h3", { id: "s-risk" }, "Risk"),
      risk ? facts([["Risk level", levelBadge(risk.riskLevel)], ["Risk state", stateBadge(risk.riskState)],
        ["Risk detail", risk.riskDetail], ["Last updated", when(risk.riskLastUpdatedDateTime)], ["Enabled", enabledBadge(risk.isEnabled)]])
        : h("p", { class: "muted" }, "Vigil has no risk on record for this service principal.")),
    h("section", { "aria-labelledby": "s-info" }, h("h3", { id: "s-info" }, "Service principal"),
      facts([["Object id", h("span", { class: "mono" }, p.id)], ["App id", h("span", { class: "mono" }, p.appId || "—")],
        ["Type", p.servicePrincipalType], ["Kind", KINDS[p.kind] || p.kind], ["Account enabled", enabledBadge(p.accountEnabled)],
        p.appOwnerOrganizationId ? ["Owner tenant", h("span", { class: "mono" }, p.appOwnerOrganizationId)] : null,
        p.publisherName ? ["Publisher", p.publisherName] : null, p.signInAudience ? ["Sign-in audience", p.signInAudience] : null,
        p.disabledByMicrosoftStatus ? ["Disabled by Microsoft", p.disabledByMicrosoftStatus] : null])),
    h("section", { "aria-labelledby": "s-history" }, h("h3", { id: "s-history" }, `Risk history (${doc.history.length})`),
      table("history-table", "Risk history, newest first", ["Time", "Level", "State", "Detail", "Detection types", "Initiated by"], history, "No history.")),
    h("section", { "aria-labelledby": "s-det" }, h("h3", { id: "s-det" }, `Detections (${doc.detections.length})`),
      doc.detections.length ? doc.detections.map((d, i) => detectionDetails(d, i === 0)) : h("p", { class: "muted" }, "No detections.")),
    h("section", { "aria-labelledby": "s-signins" }, h("h3", { id: "s-signins" }, "Recent sign-ins"),
      table("signins-table", "Recent sign-ins, newest first; suspicious ones are marked", ["Time", "IP address", "Network", "Resource", "Credential", "Result", h("span", { class: "hide-narrow" }, "Why marked")], signIns, "No sign-ins recorded.")),
    h("section", { "aria-labelledby": "s-creds" }, h("h3", { id: "s-creds" }, "Credentials"),
      table("credentials-table", "Credentials of the service principal and its application", ["Type", "On", "Name", "Key id", "Hint", "Expires", "Last used"], creds, "No credentials in the inventory.")),
    h("section", { "aria-labelledby": "s-aby" }, h("h3", { id: "s-aby" }, "Recent audit operations by it"),
      table("audits-by-table", "Audit operations this service principal performed", auditHead, audits(doc.auditsBy), "None recorded.")),
    h("section", { "aria-labelledby": "s-aon" }, h("h3", { id: "s-aon" }, "Recent audit operations on it"),
      table("audits-on-table", "Audit operations that targeted this service principal or its application", auditHead, audits(doc.auditsOn), "None recorded.")));
}

async function detectionPane(id) {
  const d = await getJson(`/console/api/detections/${encodeURIComponent(id)}`);
  return h("div", {},
    paneHead(`${d.riskEventType} detection`, h("p", { class: "muted" }, d.servicePrincipalDisplayName || d.servicePrincipalId)),
    h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: (ev) => openSp(ev.currentTarget, d.servicePrincipalId) }, "Open service principal")),
    detectionDetails(d, true),
    facts([["Service principal id", h("span", { class: "mono" }, d.servicePrincipalId)], ["App id", h("span", { class: "mono" }, d.appId || "—")],
      ["Source", d.source], ["Activity", d.activity], ["Correlation id", d.correlationId]]));
}

async function paneAction(action, p) {
  if (!await confirmRiskAction(action, [p.displayName || p.id])) return;
  const id = p.id;
  try {
    await riskAction(action, [id]);
    toast(action === "confirm" ? "Confirmed compromised." : "Risk dismissed.");
  } catch (e) {
    if (e.status !== 401) toast(`${action === "confirm" ? "Confirm compromised" : "Dismiss"} failed: ${e.message}`, true);
    return;
  }
  await refresh();
}

// What a confirmation names: every principal up to NAMES_SHOWN, then how many more.
const NAMES_SHOWN = 10;

function nameList(names) {
  const shown = names.slice(0, NAMES_SHOWN).join(", ");
  const rest = names.length - NAMES_SHOWN;
  return rest > 0 ? `${shown} and ${rest} more` : shown;
}

// Confirm compromised and Dismiss change the risk of every principal named; nothing is sent unless
// the analyst says OK in the dialog (Cancel or Escape send nothing).
function confirmRiskAction(action, names) {
  const n = names.length;
  const sps = n === 1 ? "1 service principal" : `${n} service principals`;
  const their = n === 1 ? "its" : "their";
  const recorded = `recorded in ${their} risk history as done by ${me.name}`;
  if (action === "confirm") {
    return confirmDialog("Confirm compromised?",
      `Confirm ${sps} compromised: ${nameList(names)}? This sets ${their} risk to high and ${their} ` +
      `state to confirmed compromised, adds an admin-confirmed detection, and is ${recorded}. ` +
      "It stays so until the risk is dismissed or remediated.",
      "Confirm compromised");
  }
  return confirmDialog("Dismiss risk?",
    `Dismiss the risk of ${sps}: ${nameList(names)}? This sets ${their} risk to none and ${their} ` +
    `state to dismissed, closes ${their} open detections, and is ${recorded}. ` +
    "Vigil learns what those detections flagged as normal (unusual sign-in properties, directory " +
    "changes, Graph API traffic), so it is not flagged again; only a new detection brings a dismissed principal " +
    "back to at risk.",
    "Dismiss risk");
}

function confirmDialog(title, text, okLabel) {
  const dialog = document.getElementById("confirm-dialog");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = okLabel;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.returnValue = "cancel";
    dialog.showModal();
    document.getElementById("confirm-cancel").focus();
  });
}

async function setEnabled(p, enable) {
  const name = p.displayName || p.id;
  const ok = enable
    ? await confirmDialog("Enable service principal?",
      `${name} will be recorded as enabled again in Vigil and in its risk history; its risk state and detections stay as they are.`,
      "Enable")
    : await confirmDialog("Disable service principal?",
      `${name} will be recorded as disabled in Vigil and in its risk history; tokens it requests after enforcement picks this up are refused. "Enable service principal" in this pane undoes it.`,
      "Disable");
  if (!ok) return;
  const verb = enable ? "Enable" : "Disable";
  try {
    await call("PATCH", `/v1.0/servicePrincipals/${encodeURIComponent(p.id)}`, { accountEnabled: enable });
    toast(`Service principal ${enable ? "enabled" : "disabled"}.`);
  } catch (e) {
    if (e.status !== 401) toast(`${verb} failed: ${e.message}`, true);
    return;
  }
  await refresh();
}

// -- start -----------------------------------------------------------------------------------------------

window.addEventListener("hashchange", () => render());
document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("logout").addEventListener("click", () => signOut("Signed out."));
  render();
});
