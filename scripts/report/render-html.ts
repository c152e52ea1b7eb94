import type { BenchResults } from "../bench/results.js";
import { SCENARIOS } from "../bench/scenarios.js";
import { charts } from "./charts.js";
import { insights } from "./insights.js";
import { allFigures } from "./summary.js";
import { describeWorkload, runNotes } from "./run-notes.js";
import { sections, type Table } from "./tables.js";

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Escaped text with the report's two marks: `**loud**` and `` `code` ``. */
export function inline(text: string): string {
  return escapeHtml(text)
    .replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")
    .replace(/`(.+?)`/g, "<code>$1</code>");
}

/** JSON or script text safe inside a <script> element. */
export function scriptSafe(text: string): string {
  return text.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}

function htmlTable(t: Table): string {
  const head = t.head.map((h) => `<th>${inline(h)}</th>`).join("");
  const rows = t.rows.map((r) => `<tr>${r.map((c) => `<td${c.includes("**") ? ' class="loud"' : ""}>${inline(c)}</td>`).join("")}</tr>`).join("\n");
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

export const STYLE = `body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-variant-numeric:tabular-nums}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:right}th:first-child,td:first-child{text-align:left}
th{background:#f4f4f4}.loud{background:#fde0dc}code{background:#f4f4f4;padding:0 .2rem}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:1rem}
.chart{background:#fff;border:1px solid #eee;padding:.5rem}li strong{color:#b00}`;

/** report.html on a phone: one chart per row at the screen's width, wide tables scroll inside themselves. */
const NARROW_STYLE = `@media (max-width:700px){body{margin:1rem auto;padding:0 .6rem}h1{font-size:1.5rem}
.charts{grid-template-columns:minmax(0,1fr)}.chart{min-width:0;padding:.25rem}
table{display:block;max-width:100%;overflow-x:auto}code{overflow-wrap:anywhere}}`;

/**
 * report.html: self-contained, so it opens from disk with no server and no network. The chart.js
 * UMD build is passed in (the caller reads it from node_modules) and inlined with the chart data.
 * The empty icon keeps the browser from asking for /favicon.ico, which the lab's server refuses to
 * the report's sandboxed (origin null) page with a console error, as for the runs index.
 */
export function renderHtml(r: BenchResults, chartJs: string): string {
  const list = allFigures(r);
  const named = charts(r);
  const m = r.machine;
  const canvases = named
    .map((c) => `<div class="chart"><canvas id="chart-${c.name}" width="960" height="480" aria-label="${escapeHtml(c.title)}"></canvas></div>`)
    .join("\n");
  const data = scriptSafe(JSON.stringify(named.map((c) => ({ id: `chart-${c.name}`, config: c.config }))));
  const body = sections(r, list)
    .map((s) => `<h2 id="${s.id}">${inline(s.title)}</h2>\n<p>${inline(s.intro)}</p>\n${s.table.rows.length > 0 ? htmlTable(s.table) : ""}`)
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Transport benchmark: ${escapeHtml(r.config.scenario)} (${escapeHtml(r.startedAt)})</title>
<style>${STYLE}
${NARROW_STYLE}</style>
</head>
<body>
<h1>Transport benchmark: <code>${escapeHtml(r.config.scenario)}</code></h1>
<p>${escapeHtml(SCENARIOS[r.config.scenario].description)}: ${escapeHtml(describeWorkload(r))}.</p>
<p><code>${escapeHtml(r.command)}</code> against ${r.target.spawned ? "its own server process" : escapeHtml(r.target.url)}, ${escapeHtml(r.startedAt)}, on ${escapeHtml(m.cpuModel)} (${m.cores} cores), Node ${escapeHtml(m.node)}, ${escapeHtml(m.platform)} ${escapeHtml(m.release)}.</p>
<p>${inline(runNotes(r).join(" "))}</p>
<h2 id="shows">What this run shows</h2>
<ul>
${insights(r)
  .map((line) => `<li>${inline(line)}</li>`)
  .join("\n")}
</ul>
<div class="charts">
${canvases}
</div>
${body}
<h2 id="versions">Versions</h2>
<p>${Object.entries(r.versions)
    .map(([k, v]) => `${escapeHtml(k)} ${escapeHtml(v)}`)
    .join(", ")}</p>
<script>${scriptSafe(chartJs)}</script>
<script>
for (const { id, config } of ${data}) {
  // A phone gets taller charts: at 2:1 the legend leaves the plot a sliver.
  config.options = Object.assign({}, config.options, { animation: false, responsive: true, aspectRatio: innerWidth < 700 ? 0.9 : 2 });
  new Chart(document.getElementById(id), config);
}
</script>
</body>
</html>
`;
}
