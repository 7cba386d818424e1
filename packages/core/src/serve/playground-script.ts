/**
 * The playground's browser script, kept as a module string so the page works from the installed
 * package and from a bundler alike (no files to locate at run time). Plain DOM code, no
 * framework: search, highlight spans, draw a query × document heatmap per hit from `/explain`,
 * filter by metadata, add pasted documents. Written without template literals so it can live
 * inside this string.
 */
export const PLAYGROUND_SCRIPT = String.raw`
"use strict";
const $ = (id) => document.getElementById(id);
const state = { token: sessionStorage.getItem("maxsim-token") || "" };

function el(tag, attrs, children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k === "style") e.style.cssText = v;
    else e.setAttribute(k, v);
  }
  for (const c of children || []) e.append(c);
  return e;
}

async function api(method, path, body) {
  const headers = { "content-type": "application/json" };
  if (state.token) headers.authorization = "Bearer " + state.token;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json().catch(() => ({ error: { code: "BAD_RESPONSE", message: "The server sent no JSON (status " + res.status + ")." } }));
  if (res.status === 401) $("auth").hidden = false;
  if (!res.ok) throw new Error((json.error && json.error.code) + ": " + (json.error && json.error.message));
  return json;
}

function showError(where, error) {
  const box = $(where);
  box.textContent = error instanceof Error ? error.message : String(error);
  box.hidden = false;
}

async function loadStats() {
  try {
    const s = await api("GET", "/stats");
    $("stats").textContent = s.documents + " documents · " + s.tokens + " tokens · model " + s.model.id + " · codec " + s.codec + (s.readOnly ? " · read-only" : "");
    $("add-form").hidden = s.readOnly;
  } catch (error) {
    $("stats").textContent = "";
    showError("search-error", error);
  }
}

function currentFilter() {
  const raw = $("filter-json").value.trim();
  if (raw) return JSON.parse(raw);
  const field = $("filter-field").value.trim();
  const value = $("filter-value").value.trim();
  if (!field || !value) return undefined;
  const values = value.split(",").map((v) => v.trim()).filter(Boolean);
  const f = {};
  f[field] = values.length > 1 ? { $in: values } : values[0];
  return f;
}

function highlighted(text, spans) {
  const out = el("p", { class: "passage" });
  let at = 0;
  for (const [s, e] of spans) {
    if (s > at) out.append(text.slice(at, s));
    out.append(el("mark", { text: text.slice(s, e) }));
    at = e;
  }
  out.append(text.slice(at));
  return out;
}

function color(v) {
  const x = Math.max(0, Math.min(1, v));
  const l = 97 - 55 * x;
  return "hsl(" + (215 - 40 * x) + ", 85%, " + l + "%)";
}

function heatmap(m) {
  const rows = [];
  for (let i = 0; i < m.queryTokens.length; i++) if (m.queryIsText[i]) rows.push(i);
  const cols = [];
  for (let j = 0; j < m.docTokens.length; j++) if (m.docIsText[j]) cols.push(j);
  const table = el("table", { class: "heatmap", "aria-label": "MaxSim matrix: query tokens by document tokens" });
  const head = el("tr", {}, [el("th", { class: "corner", text: "query \\ doc" })]);
  for (const j of cols) head.append(el("th", { class: "doc-token", text: m.docTokens[j] }));
  table.append(el("thead", {}, [head]));
  const body = el("tbody");
  for (const i of rows) {
    const row = m.matrix[i];
    let best = 0;
    for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
    const tr = el("tr", {}, [el("th", { class: "query-token", text: m.queryTokens[i] })]);
    for (const j of cols) {
      const v = row[j];
      const td = el("td", { class: j === best ? "cell best" : "cell", title: m.queryTokens[i] + " · " + m.docTokens[j] + " = " + v.toFixed(3), style: "background:" + color(v) });
      tr.append(td);
    }
    body.append(tr);
  }
  table.append(body);
  if (rows.length === 0 || cols.length === 0) return el("p", { class: "muted", text: "No word tokens to draw." });
  return el("div", { class: "heatmap-wrap" }, [table]);
}

async function search(event) {
  if (event) event.preventDefault();
  $("search-error").hidden = true;
  const query = $("query").value.trim();
  if (!query) return;
  let filter;
  try {
    filter = currentFilter();
  } catch (error) {
    showError("search-error", "The filter is not valid JSON: " + error.message);
    return;
  }
  const list = $("results");
  list.replaceChildren(el("li", { class: "muted", text: "searching…" }));
  try {
    const body = { query, k: Number($("k").value), exact: $("exact").checked, explain: true };
    if (filter !== undefined) body.filter = filter;
    const { results } = await api("POST", "/search", body);
    list.replaceChildren();
    if (results.length === 0) list.append(el("li", { class: "muted", text: "No results." }));
    results.forEach((hit, rank) => {
      const meta = el("div", { class: "meta" });
      for (const [k, v] of Object.entries(hit.metadata)) meta.append(el("span", { class: "badge", text: k + ": " + (typeof v === "string" ? v : JSON.stringify(v)) }));
      const pct = Math.round(100 * Math.max(0, Math.min(1, hit.normalizedScore)));
      const item = el("li", { class: "hit", "data-id": hit.id }, [
        el("div", { class: "hit-head" }, [
          el("span", { class: "rank", text: "#" + (rank + 1) }),
          el("span", { class: "hit-id", text: hit.id }),
          el("span", { class: "score", title: "MaxSim score (sum over query tokens)", text: "MaxSim " + hit.score.toFixed(3) }),
          el("span", { class: "norm", title: "score / query tokens", text: "normalised " + hit.normalizedScore.toFixed(3) }),
          el("span", { class: "bar" }, [el("span", { class: "fill", style: "width:" + pct + "%" })]),
        ]),
        meta,
        highlighted(hit.text, hit.highlights || []),
        el("div", { class: "heatmap-slot muted", text: "drawing heatmap…" }),
      ]);
      list.append(item);
      api("POST", "/explain", { query, id: hit.id })
        .then((m) => item.querySelector(".heatmap-slot").replaceWith(heatmap(m)))
        .catch((error) => (item.querySelector(".heatmap-slot").textContent = String(error.message)));
    });
  } catch (error) {
    list.replaceChildren();
    showError("search-error", error);
  }
}

async function addDocuments(event) {
  event.preventDefault();
  $("add-error").hidden = true;
  const texts = $("new-docs").value.split(/\r?\n/).map((t) => t.trim()).filter(Boolean);
  if (texts.length === 0) return;
  let metadata;
  try {
    const raw = $("new-meta").value.trim();
    metadata = raw ? JSON.parse(raw) : undefined;
  } catch (error) {
    showError("add-error", "The metadata is not valid JSON: " + error.message);
    return;
  }
  const prefix = $("new-id").value.trim();
  const documents = texts.map((text, i) => {
    const d = { text };
    if (prefix) d.id = texts.length === 1 ? prefix : prefix + "-" + (i + 1);
    if (metadata) d.metadata = metadata;
    return d;
  });
  try {
    const { ids, size } = await api("POST", "/documents", { documents, upsert: $("upsert").checked });
    $("add-status").textContent = "Added " + ids.length + " (" + ids.join(", ") + "); " + size + " documents now.";
    $("new-docs").value = "";
    loadStats();
  } catch (error) {
    showError("add-error", error);
  }
}

$("search-form").addEventListener("submit", search);
$("add-form").addEventListener("submit", addDocuments);
$("token").value = state.token;
$("token").addEventListener("change", () => {
  state.token = $("token").value.trim();
  sessionStorage.setItem("maxsim-token", state.token);
  loadStats();
});
loadStats();
`;
