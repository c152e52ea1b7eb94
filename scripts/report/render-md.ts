import type { BenchResults } from "../bench/results.js";
import { SCENARIOS } from "../bench/scenarios.js";
import { insights } from "./insights.js";
import { allFigures } from "./summary.js";
import { describeWorkload, runNotes } from "./run-notes.js";
import { sections, type Table } from "./tables.js";

function markdownTable(t: Table): string {
  if (t.rows.length === 0) return "";
  const line = (cells: string[]): string => `| ${cells.join(" | ")} |`;
  return [line(t.head), line(t.head.map((_, i) => (i === 0 ? "---" : "---:"))), ...t.rows.map(line)].join("\n");
}

/** report.md: every table of the run, built only from results.json. */
export function renderMarkdown(r: BenchResults): string {
  const list = allFigures(r);
  const m = r.machine;
  const body = sections(r, list)
    .map((s) => `## ${s.title}\n\n${s.intro}\n\n${markdownTable(s.table)}\n`)
    .join("\n");
  return `# Transport benchmark: \`${r.config.scenario}\` (${r.startedAt})

${SCENARIOS[r.config.scenario].description}: ${describeWorkload(r)}.

\`${r.command}\` against ${r.target.spawned ? "its own server process" : r.target.url}, on ${m.cpuModel} (${m.cores} cores), Node ${m.node}, ${m.platform} ${m.release}.

${runNotes(r).join(" ")}

## What this run shows

${insights(r)
  .map((line) => `- ${line}`)
  .join("\n")}

${body}
## Versions

${Object.entries(r.versions)
  .map(([k, v]) => `${k} ${v}`)
  .join(", ")}
`;
}
