import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

/** One benchmark run directory in results/, as the reports page lists it. */
export interface ReportRun {
  name: string;
  /** The date part of `<date>-<scenario>`, when the name has one. */
  date: string | null;
  scenario: string;
  /** Relative URLs under /results/, null when the file is missing. */
  reportUrl: string | null;
  resultsUrl: string | null;
  modified: number;
}

const RUN_NAME = /^(\d{4}-\d{2}-\d{2}(?:[T_]\d{2}[-:]?\d{2}(?:[-:]?\d{2})?(?:\.\d+)?Z?)?)-(.+)$/;

/** The runs in `dir`, newest first; a missing directory is simply no runs yet. */
export async function listRuns(dir: string): Promise<ReportRun[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const runs: ReportRun[] = [];
  for (const name of names) {
    if (name.startsWith(".")) continue;
    const info = await stat(join(dir, name)).catch(() => null);
    if (info === null || !info.isDirectory()) continue;
    const [report, results] = await Promise.all([exists(join(dir, name, "report.html")), exists(join(dir, name, "results.json"))]);
    if (!report && !results) continue;
    const match = RUN_NAME.exec(name);
    const base = `/results/${encodeURIComponent(name)}/`;
    runs.push({
      name,
      date: match?.[1] ?? null,
      scenario: match?.[2] ?? name,
      reportUrl: report ? `${base}report.html` : null,
      resultsUrl: results ? `${base}results.json` : null,
      modified: info.mtimeMs,
    });
  }
  return runs.sort((a, b) => b.name.localeCompare(a.name));
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isFile(),
    () => false,
  );
}
