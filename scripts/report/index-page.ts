import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BenchResults } from "../bench/results.js";
import { escapeHtml, scriptSafe, STYLE } from "./render-html.js";
import { allFigures, verdict } from "./summary.js";
import { describeWorkload } from "./run-notes.js";

/** One run, reduced to the figures the index lists and compares. */
export interface RunSummary {
  name: string;
  scenario: string;
  startedAt: string;
  workload: string;
  machine: string;
  ok: boolean;
  /** What the run asked for: two runs are comparable only when these are equal. */
  settings: Record<string, string>;
  /** Where it ran: machine and software. Different values make speed figures incomparable. */
  environment: Record<string, string>;
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

/** Options that do not change what the transports' figures measure: autocannon's side runs, the wait for stragglers. */
const NOT_COMPARED = new Set(["autocannonMs", "drainTimeoutMs"]);

function settingValue(value: unknown): string {
  if (Array.isArray(value)) return value.map(String).join(",");
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return String(value);
}

/**
 * Every option of the run's config (any new one, such as a repeat count, included without a change
 * here) and the server environment it set. results.json is read as it is: fields may be missing.
 */
export function settingsOf(r: BenchResults): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const [key, value] of Object.entries(r.config ?? {})) if (!NOT_COMPARED.has(key) && value !== undefined) settings[key] = settingValue(value);
  settings.server = r.target === undefined ? "unknown" : r.target.spawned ? "own process" : "already running";
  for (const [key, value] of Object.entries(r.target?.serverEnv ?? {})) settings[key] = settingValue(value);
  return settings;
}

export function environmentOf(r: BenchResults): Record<string, string> {
  const m = r.machine as Partial<BenchResults["machine"]> | undefined;
  const environment: Record<string, string> = {
    CPU: m?.cpuModel ?? "unknown",
    cores: String(m?.cores ?? "unknown"),
    memory: m?.memoryBytes === undefined ? "unknown" : `${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB`,
    OS: m?.platform === undefined ? "unknown" : `${m.platform} ${m.release ?? ""}`.trim(),
    Node: m?.node ?? "unknown",
  };
  for (const [name, version] of Object.entries(r.versions ?? {})) if (name !== "node") environment[name] = String(version);
  return environment;
}

export function runSummary(name: string, r: BenchResults): RunSummary {
  const m = r.machine as Partial<BenchResults["machine"]> | undefined;
  return {
    name,
    scenario: r.config.scenario,
    startedAt: r.startedAt,
    workload: describeWorkload(r),
    machine: m?.cpuModel === undefined ? "unknown machine" : `${m.cpuModel} (${m.cores ?? "?"} cores), Node ${m.node ?? "?"}`,
    ok: verdict(r).length === 0,
    settings: settingsOf(r),
    environment: environmentOf(r),
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

/** "key: a ≠ b" for every key whose value differs (a missing key reads "none"), in a stable order. */
export function differences(a: Record<string, string>, b: Record<string, string>): string[] {
  const keys = [...Object.keys(a), ...Object.keys(b).filter((k) => !(k in a))];
  return keys.filter((k) => a[k] !== b[k]).map((k) => `${k}: ${a[k] ?? "none"} ≠ ${b[k] ?? "none"}`);
}

/** What may be said about B against A. */
export interface Comparison {
  /** Ratios mean something only between runs of one scenario. */
  ratios: boolean;
  /** Settings that differ, then environment that differs. */
  settings: string[];
  environment: string[];
}

export function compareRuns(a: RunSummary, b: RunSummary): Comparison {
  return { ratios: a.scenario === b.scenario, settings: differences(a.settings, b.settings), environment: differences(a.environment, b.environment) };
}

/**
 * The comparison the page opens with: the newest run (B) against the newest older run with the
 * same settings (A), on the same machine and software when there is one. Never two runs of
 * different settings: without a pair, B alone, and the reader chooses A knowingly.
 */
export function defaultPair(runs: RunSummary[]): { a: string | null; b: string | null } {
  const newestFirst = [...runs].sort((x, y) => (x.name < y.name ? 1 : x.name > y.name ? -1 : 0));
  for (const [i, b] of newestFirst.entries()) {
    const older = newestFirst.slice(i + 1).filter((a) => compareRuns(a, b).settings.length === 0);
    const a = older.find((run) => compareRuns(run, b).environment.length === 0) ?? older[0];
    if (a !== undefined) return { a: a.name, b: b.name };
  }
  return { a: null, b: newestFirst[0]?.name ?? null };
}

/** What the page's script works from, embedded in the page as JSON. */
export interface IndexData {
  /** Each run with the index of its kind of settings and of environment (runs of one kind are equal in it). */
  runs: (RunSummary & { settingsKind: number; environmentKind: number })[];
  pair: { a: string | null; b: string | null };
  /** [kind of A][kind of B]: whether ratios mean something, and the settings that differ. */
  settings: { ratios: boolean; differ: string[] }[][];
  /** [kind of A][kind of B]: the machine and software differences. */
  environment: string[][][];
}

/**
 * The pairing rules live above, in tested TypeScript: the page gets their answers as lookups (a
 * comparison per pair of distinct settings and of distinct environments), so its script only displays.
 */
export function indexData(runs: RunSummary[]): IndexData {
  const settingsKinds: RunSummary[] = [];
  const environmentKinds: RunSummary[] = [];
  const kindOf = (kinds: RunSummary[], run: RunSummary, same: (x: RunSummary) => boolean): number => {
    const found = kinds.findIndex(same);
    if (found !== -1) return found;
    kinds.push(run);
    return kinds.length - 1;
  };
  const listed = runs.map((run) => ({
    ...run,
    settingsKind: kindOf(settingsKinds, run, (x) => compareRuns(x, run).settings.length === 0),
    environmentKind: kindOf(environmentKinds, run, (x) => compareRuns(x, run).environment.length === 0),
  }));
  return {
    runs: listed,
    pair: defaultPair(runs),
    settings: settingsKinds.map((x) => settingsKinds.map((y) => ({ ratios: x.scenario === y.scenario, differ: differences(x.settings, y.settings) }))),
    environment: environmentKinds.map((x) => environmentKinds.map((y) => differences(x.environment, y.environment))),
  };
}

/** The comparison in the page: display only, from the lookups of `indexData`; text through textContent, never HTML. */
const COMPARE_SCRIPT = `
const data = JSON.parse(document.getElementById("runs").textContent);
const runs = data.runs;
const byName = new Map(runs.map((r) => [r.name, r]));
const [a, b] = [document.getElementById("a"), document.getElementById("b")];
const metrics = [["p50", "p50 latency (ms)"], ["p99", "p99 latency (ms)"], ["bytesPerMessage", "bytes / message"],
  ["requestsPerMessage", "requests / message"], ["bytesPerClientSecond", "bytes / client / s"], ["serverCpuMsPer1000", "server CPU ms / 1,000 deliveries"]];
const show = (v) => v === null || v === undefined ? "–" : (Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(2));
const node = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
function fill(select, groups, chosen) {
  select.replaceChildren(node("option", "choose a run"));
  select.firstChild.value = "";
  for (const [label, list] of groups) {
    if (list.length === 0) continue;
    const group = node("optgroup"); group.label = label;
    for (const r of list) group.append(new Option(r.name, r.name));
    select.append(group);
  }
  select.value = chosen || "";
}
function fillA(chosen) {
  const rb = byName.get(b.value);
  const same = rb ? runs.filter((r) => r.name !== rb.name && r.settingsKind === rb.settingsKind) : [];
  const other = runs.filter((r) => !same.includes(r));
  fill(a, rb ? [["Same scenario and settings as B", same], ["Other runs (a warning says what differs)", other]] : [["Runs", runs]], chosen);
}
function render() {
  const ra = byName.get(a.value), rb = byName.get(b.value);
  const verdict = document.getElementById("verdict"), out = document.getElementById("compare");
  verdict.replaceChildren(); out.replaceChildren(); verdict.className = "";
  if (!rb) { verdict.append(node("p", "Choose a run B.")); return; }
  if (!ra) {
    verdict.append(node("p", runs.some((r) => r !== rb && r.settingsKind === rb.settingsKind) ? "Choose a run A to compare B with." : "No other run has the same scenario and settings as B, so nothing is compared by default. Choose a run A: what differs will be listed."));
    return;
  }
  const s = data.settings[ra.settingsKind][rb.settingsKind], env = data.environment[ra.environmentKind][rb.environmentKind];
  if (ra === rb) verdict.append(node("p", "A and B are the same run."));
  if (!s.ratios) verdict.append(node("p", "Not comparable: A is from the " + ra.scenario + " scenario, B from " + rb.scenario + ". Their figures are shown side by side, without ratios."));
  else if (s.differ.length > 0) verdict.append(node("p", "Different settings: the ratios mix what the transports cost with what the workloads ask."));
  if (s.differ.length > 0) { const ul = node("ul"); for (const d of s.differ) ul.append(node("li", d)); verdict.append(ul); }
  if (env.length > 0) {
    verdict.append(node("p", "Measured on different machines or software: latency and CPU figures are not comparable, byte counts may be."));
    const ul = node("ul"); for (const d of env) ul.append(node("li", d)); verdict.append(ul);
  }
  if (ra !== rb && s.differ.length === 0 && env.length === 0) verdict.append(node("p", "Same scenario, settings, machine and software."));
  verdict.className = !s.ratios ? "refused" : s.differ.length > 0 || env.length > 0 ? "warned" : "matched";
  const table = node("table", undefined, "compare");
  const head = node("tr");
  const columns = s.ratios ? ["figure", "A", "B", "B / A"] : ["figure", "A", "B"];
  for (const h of columns) head.append(node("th", h));
  table.append(node("thead")); table.tHead.append(head);
  const body = node("tbody");
  for (const ta of ra.transports) {
    const tb = rb.transports.find((t) => t.label === ta.label);
    const title = node("tr", undefined, "transport"); const th = node("th", ta.label); th.colSpan = columns.length; th.scope = "colgroup"; title.append(th); body.append(title);
    for (const [key, name] of metrics) {
      const va = ta[key], vb = tb ? tb[key] : null;
      const row = node("tr");
      row.append(node("td", name), node("td", show(va)), node("td", show(vb)));
      if (s.ratios) row.append(node("td", va && vb !== null && vb !== undefined ? (vb / va).toFixed(2) + "×" : "–"));
      body.append(row);
    }
  }
  table.append(body);
  out.append(table);
}
fill(b, [["Runs", runs]], data.pair.b);
fillA(data.pair.a);
a.onchange = render;
b.onchange = () => { fillA(a.value); render(); };
render();
`;

/** Index-only layout: the runs table turns into one card per run on a phone, and nothing is wider than the screen. */
const INDEX_STYLE = `td.text,th.text{text-align:left;white-space:normal}td.name{white-space:nowrap}
table{max-width:100%}select{max-width:100%}
#pick label{display:inline-block;margin:0 1rem .4rem 0}
#verdict{padding:.1rem .75rem;margin:.5rem 0;border-left:4px solid #999;background:#f4f4f4}
#verdict.matched{border-color:#2b8a3e;background:#ebfbee}#verdict.warned{border-color:#e67700;background:#fff4e6}
#verdict.refused{border-color:#c92a2a;background:#fde0dc}#verdict ul{margin:.25rem 0 .5rem;padding-left:1.2rem}#verdict li{overflow-wrap:anywhere}
table.compare tr.transport th{text-align:left;background:#fafafa}table.compare td:first-child{text-align:left}
@media (max-width:700px){body{margin:1rem auto;padding:0 .6rem}h1{font-size:1.5rem}
table.runs thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}
table.runs,table.runs tbody,table.runs tr{display:block}table.runs tr{border:1px solid #ddd;margin:0 0 .6rem;padding:.3rem .5rem}
table.runs td{display:flex;justify-content:space-between;gap:1rem;border:none;padding:.15rem 0;text-align:right;overflow-wrap:anywhere}
table.runs td::before{content:attr(data-label);color:#555;text-align:left;flex:none}
table.runs td.name{white-space:normal}table.runs td.text{display:block;text-align:left}table.runs td.text::before{display:block}
table.compare{width:100%}table.compare td,table.compare th{padding:.2rem .3rem}}`;

const RUN_COLUMNS = ["run", "scenario", "workload", "machine", "delivery"];

/**
 * The empty icon keeps the browser from asking for /favicon.ico: the server serves this page in a
 * sandbox (origin null), and its same-origin resource policy refuses that request with a console error.
 */
export function renderIndex(runs: RunSummary[]): string {
  const cell = (column: number, html: string, cls?: string): string =>
    `<td data-label="${RUN_COLUMNS[column]}"${cls === undefined ? "" : ` class="${cls}"`}>${html}</td>`;
  const rows = runs
    .map(
      (r) =>
        `<tr>${cell(0, `<a href="${encodeURIComponent(r.name)}/report.html">${escapeHtml(r.name)}</a>`, "name")}${cell(1, escapeHtml(r.scenario))}${cell(2, escapeHtml(r.workload), "text")}${cell(3, escapeHtml(r.machine), "text")}${cell(4, r.ok ? "ok" : "<strong>delivery problems</strong>", r.ok ? undefined : "loud")}</tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><title>Transport benchmark runs</title><style>${STYLE}
${INDEX_STYLE}</style></head>
<body>
<h1>Transport benchmark runs</h1>
<p>Each run was made by <code>npm run bench</code>; <code>npm run report -- results/&lt;run&gt;</code> rebuilds its report from its results.json. This page is rebuilt from every run's results.json whenever a run or a report is written.</p>
<table class="runs"><thead><tr>${RUN_COLUMNS.map((c) => `<th${c === "workload" || c === "machine" ? ' class="text"' : ""}>${c}</th>`).join("")}</tr></thead><tbody>
${rows}
</tbody></table>
<h2>Compare two runs</h2>
<p>Only runs of the same scenario and settings are compared by default, newest against the one before it; any other pair says what differs.</p>
<p id="pick"><label>A <select id="a"></select></label> <label>B <select id="b"></select></label></p>
<div id="verdict" role="status"></div>
<div id="compare"></div>
<script type="application/json" id="runs">${scriptSafe(JSON.stringify(indexData(runs)))}</script>
<script>${COMPARE_SCRIPT}</script>
</body>
</html>
`;
}

/** Reads every run under `root` that has a results.json and writes root/index.html; returns its path. */
export async function writeIndex(root: string): Promise<string> {
  const names = (await readdir(root, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .reverse();
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
