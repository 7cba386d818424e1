/**
 * The playground page served at `/`: one self-contained HTML document (styles and script
 * inline), so it needs no static files at run time and survives bundling. It calls the same
 * JSON API any client does.
 */
import { PLAYGROUND_SCRIPT } from "./playground-script.js";

const STYLE = `
:root { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", sans-serif; color: #1d2433; background: #f6f7fb; }
body { margin: 0; }
[hidden] { display: none !important; }
header { background: #1d2433; color: #fff; padding: 14px 24px; display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; }
header h1 { font-size: 20px; margin: 0; }
header .stats { color: #b9c2d6; font-size: 13px; }
main { display: grid; grid-template-columns: minmax(0, 1fr) 320px; gap: 20px; padding: 20px 24px; max-width: 1400px; }
@media (max-width: 900px) { main { grid-template-columns: 1fr; } }
section, aside form { background: #fff; border: 1px solid #dde2ee; border-radius: 8px; padding: 16px; }
form.search { display: grid; gap: 10px; }
.row { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }
input[type=text], input[type=password], textarea, select { font: inherit; padding: 7px 9px; border: 1px solid #c5cbe0; border-radius: 6px; background: #fff; }
#query { flex: 1 1 380px; font-size: 17px; }
textarea { width: 100%; box-sizing: border-box; min-height: 110px; }
button { font: inherit; padding: 7px 16px; border: 0; border-radius: 6px; background: #3056d3; color: #fff; cursor: pointer; }
button:hover { background: #2443a8; }
label { font-size: 13px; color: #4a5472; }
.error { background: #fdecec; color: #8a1f1f; border: 1px solid #f3b9b9; padding: 8px 10px; border-radius: 6px; font-size: 14px; }
.muted { color: #7a839d; font-size: 14px; }
ol#results { list-style: none; padding: 0; margin: 16px 0 0; display: grid; gap: 14px; }
.hit { border: 1px solid #dde2ee; border-radius: 8px; padding: 12px 14px; background: #fff; }
.hit-head { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; font-size: 14px; }
.rank { font-weight: 700; color: #3056d3; }
.hit-id { font-family: ui-monospace, monospace; font-weight: 600; }
.score, .norm { color: #4a5472; }
.bar { width: 120px; height: 8px; background: #e8ebf4; border-radius: 4px; overflow: hidden; }
.bar .fill { display: block; height: 100%; background: #3056d3; }
.meta { margin-top: 6px; display: flex; gap: 6px; flex-wrap: wrap; }
.badge { font-size: 12px; background: #eef1fa; border: 1px solid #d6dcef; border-radius: 10px; padding: 1px 8px; color: #3a4462; }
.passage { font-size: 16px; line-height: 1.5; margin: 8px 0; }
mark { background: #ffe066; padding: 0 2px; border-radius: 3px; }
.heatmap-wrap { overflow-x: auto; }
table.heatmap { border-collapse: collapse; font-size: 12px; }
table.heatmap th { font-weight: 500; color: #4a5472; padding: 2px 4px; white-space: nowrap; }
table.heatmap th.doc-token { writing-mode: vertical-rl; transform: rotate(180deg); text-align: left; height: 70px; }
table.heatmap th.query-token { text-align: right; }
table.heatmap th.corner { font-size: 10px; color: #9aa2ba; }
td.cell { width: 18px; height: 18px; border: 1px solid #fff; }
td.cell.best { outline: 2px solid #1d2433; outline-offset: -2px; }
aside { display: grid; gap: 16px; align-content: start; }
aside form { display: grid; gap: 8px; }
aside h2, section h2 { font-size: 15px; margin: 0 0 4px; }
`;

/** The complete playground document. */
export const PLAYGROUND_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>maxsim playground</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>maxsim playground</h1><span id="stats" class="stats">loading…</span></header>
<main>
<section>
  <form id="search-form" class="search">
    <div class="row">
      <input id="query" type="text" placeholder="Ask in any language, e.g. When does the train leave?" autocomplete="off" aria-label="query">
      <button id="search-button" type="submit">Search</button>
    </div>
    <div class="row">
      <label>k <select id="k"><option>3</option><option selected>5</option><option>10</option><option>20</option></select></label>
      <label><input id="exact" type="checkbox"> exact</label>
      <label>filter <input id="filter-field" type="text" placeholder="field, e.g. lang" size="10"></label>
      <label>= <input id="filter-value" type="text" placeholder="value(s), e.g. fr,de" size="12"></label>
      <label>or JSON <input id="filter-json" type="text" placeholder='{"lang":{"$in":["fr"]}}' size="24"></label>
    </div>
  </form>
  <div id="search-error" class="error" hidden></div>
  <ol id="results"></ol>
</section>
<aside>
  <form id="add-form">
    <h2>Add documents</h2>
    <label for="new-docs">One document per line</label>
    <textarea id="new-docs" placeholder="Paste text here"></textarea>
    <label>id (optional) <input id="new-id" type="text" size="14"></label>
    <label>metadata JSON (optional) <input id="new-meta" type="text" placeholder='{"lang":"en"}' size="22"></label>
    <label><input id="upsert" type="checkbox"> replace existing ids</label>
    <button id="add-button" type="submit">Add</button>
    <div id="add-status" class="muted"></div>
    <div id="add-error" class="error" hidden></div>
  </form>
  <form id="auth" hidden>
    <h2>Token</h2>
    <label for="token">This server needs a bearer token</label>
    <input id="token" type="password" autocomplete="off">
  </form>
  <p class="muted">Scores: MaxSim sums each query token's best document token; normalised = score ÷ query tokens. Heatmap: rows are query words, columns document words, the outlined cell is the row's maximum. API: <a href="/openapi.json">/openapi.json</a></p>
</aside>
</main>
<script>${PLAYGROUND_SCRIPT}</script>
</body>
</html>
`;
