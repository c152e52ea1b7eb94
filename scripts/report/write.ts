import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BenchResults } from "../bench/results.js";
import { renderMarkdown } from "./render-md.js";

/** Writes every report file for a run into `dir`; returns the names written. */
export async function writeReport(dir: string, results: BenchResults): Promise<string[]> {
  await writeFile(join(dir, "report.md"), renderMarkdown(results));
  return ["results.json", "report.md"];
}
