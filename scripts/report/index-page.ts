import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BenchResults } from "../bench/results.js";
import { escapeHtml, scriptSafe, STYLE } from "./render-html.js";
import { allFigures, verdict } from "./summary.js";
import { describeWorkload } from "./tables.js";

/** One run, reduced to the figures the index lists and compares. */
export interface RunSummary {
  name: string;
  scenario: string;
  startedAt: string;
  workload: string;
  machine: string;
  ok: boolean;
  transports: {
    label: string;
    p50: number | null;
    p99: number | null;
    bytesPerMessage: number | null;
    requestsPerMessage: number | null;
    bytesPerClientSecond: number;
    serverCpuMsPer1000: number | null;
  }[];
}

export function runSummary(name: string, r: BenchResults): RunSummary {
  return {
    name,
    scenario: r.config.scenario,
    startedAt: r.startedAt,
    workload: describeWorkload(r),
    machine: `${r.machine.cpuModel} (${r.machine.cores} cores), Node ${r.machine.node}`,
    ok: verdict(r).length === 0,
    transports: allFigures(r).map((f) => ({
      label: f.label,
      p50: f.latency.count > 0 ? f.latency.p50 : null,
      p99: f.latency.count > 0 ? f.latency.p99 : null,
      bytesPerMessage: f.bytesPerMessage === null ? null : f.bytesPerMessage.up + f.bytesPerMessage.down,
      requestsPerMessage: f.requestsPerMessage,
      bytesPerClientSecond: f.bytesPerClientSecond.up + f.bytesPerClientSecond.down,
      serverCpuMsPer1000: f.serverCpuMsPer1000,
    })),
  };
}

/** The comparison runs in the page: pick two runs, see each transport's figures side by side with B/A. */
const COMPARE_SCRIPT = `
const runs = JSON.parse(document.getElementById("runs").textContent);
const [a, b] = [document.getElementById("a"), document.getElementById("b")];
for (const sel of [a, b]) for (const r of runs) sel.add(new Option(r.name, r.name));
if (runs.length > 1) b.selectedIndex = 1;
const metrics = [["p50", "p50 latency (ms)"], ["p99", "p99 latency (ms)"], ["bytesPerMessage", "bytes / message"],
  ["requestsPerMessage", "requests / message"], ["bytesPerClientSecond", "bytes / client / s"], ["serverCpuMsPer1000", "server CPU ms / 1,000 deliveries"]];
const show = (v) => v === null || v === undefined ? "–" : (Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(2));
function render() {
  const ra = runs.find((r) => r.name === a.value), rb = runs.find((r) => r.name === b.value);
  const out = document.getElementById("compare");
  if (!ra || !rb) { out.textContent = ""; return; }
  let html = "<p>A: " + ra.workload + "<br>B: " + rb.workload + "</p><table><thead><tr><th>transport</th><th>figure</th><th>A</th><th>B</th><th>B / A</th></tr></thead><tbody>";
  for (const ta of ra.transports) {
    const tb = rb.transports.find((t) => t.label === ta.label);
    for (const [key, name] of metrics) {
      const va = ta[key], vb = tb ? tb[key] : null;
      const ratio = va && vb !== null && vb !== undefined ? (vb / va).toFixed(2) + "×" : "–";
      html += "<tr><td>" + ta.label + "</td><td>" + name + "</td><td>" + show(va) + "</td><td>" + show(vb) + "</td><td>" + ratio + "</td></tr>";
    }
  }
  out.innerHTML = html + "</tbody></table>";
}
a.onchange = render; b.onchange = render; render();
`;

export function renderIndex(runs: RunSummary[]): string {
  const rows = runs.map((r) => `<tr><td><a href="${encodeURIComponent(r.name)}/report.html">${escapeHtml(r.name)}</a></td><td>${escapeHtml(r.scenario)}</td><td class="text">${escapeHtml(r.workload)}</td><td class="text">${escapeHtml(r.machine)}</td><td${r.ok ? "" : ' class="loud"'}>${r.ok ? "ok" : "<strong>delivery problems</strong>"}</td></tr>`).join("\n");
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Transport benchmark runs</title><style>${STYLE}
td.text{text-align:left}</style></head>
<body>
<h1>Transport benchmark runs</h1>
<p>Each run was made by <code>npm run bench</code>; <code>npm run report -- results/&lt;run&gt;</code> rebuilds its report from its results.json.</p>
<table><thead><tr><th>run</th><th>scenario</th><th>workload</th><th>machine</th><th>delivery</th></tr></thead><tbody>
${rows}
</tbody></table>
<h2>Compare two runs</h2>
<p><label>A <select id="a"></select></label> <label>B <select id="b"></select></label></p>
<div id="compare"></div>
<script type="application/json" id="runs">${scriptSafe(JSON.stringify(runs))}</script>
<script>${COMPARE_SCRIPT}</script>
</body>
</html>
`;
}

/** Reads every run under `root` that has a results.json and writes root/index.html; returns its path. */
export async function writeIndex(root: string): Promise<string> {
  const names = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort().reverse();
  const runs: RunSummary[] = [];
  for (const name of names) {
    try {
      const results = JSON.parse(await readFile(join(root, name, "results.json"), "utf8")) as BenchResults;
      runs.push(runSummary(name, results));
    } catch {
      // a directory without a readable results.json is not a run
    }
  }
  const path = join(root, "index.html");
  await writeFile(path, renderIndex(runs));
  return path;
}
