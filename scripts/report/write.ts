import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { BenchResults } from "../bench/results.js";
import { charts } from "./charts.js";
import { renderHtml } from "./render-html.js";
import { renderMarkdown } from "./render-md.js";
import { renderPng } from "./render-png.js";

const require = createRequire(import.meta.url);

/** chart.js's browser build, found next to its main file (the package does not export the path). */
export async function chartJsSource(): Promise<string> {
  return readFile(join(dirname(require.resolve("chart.js")), "chart.umd.min.js"), "utf8");
}

/** Writes every report file for a run into `dir` (the I/O edge of the pure renderers); returns the names written. */
export async function writeReport(dir: string, results: BenchResults): Promise<string[]> {
  const written = ["results.json"];
  await writeFile(join(dir, "report.md"), renderMarkdown(results));
  written.push("report.md");
  await writeFile(join(dir, "report.html"), renderHtml(results, await chartJsSource()));
  written.push("report.html");
  for (const chart of charts(results).filter((c) => c.png)) {
    await writeFile(join(dir, `${chart.name}.png`), await renderPng(chart.config));
    written.push(`${chart.name}.png`);
  }
  return written;
}
