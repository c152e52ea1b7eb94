import { readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { RESULTS_SCHEMA, type BenchResults } from "../bench/results.js";
import { writeIndex } from "./index-page.js";
import { writeReport } from "./write.js";

const HELP = `Usage: npm run report -- results/<run> [results/<run> ...]
       npm run report -- --index [results]

Rebuilds report.md, report.html and the PNG charts of each run from its results.json alone,
then results/index.html, which lists every run and compares two side by side.
`;

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv.includes("-h") || argv.includes("--help")) {
    process.stdout.write(HELP);
    return argv.length === 0 ? 2 : 0;
  }
  const indexOnly = argv[0] === "--index";
  const runs = indexOnly ? [] : argv;
  for (const run of runs) {
    const dir = resolve(run);
    let results: BenchResults;
    try {
      results = JSON.parse(await readFile(join(dir, "results.json"), "utf8")) as BenchResults;
    } catch (error) {
      process.stderr.write(`report: cannot read ${join(run, "results.json")}: ${error instanceof Error ? error.message : String(error)}\n`);
      return 1;
    }
    if (results.schema !== RESULTS_SCHEMA) {
      process.stderr.write(`report: ${run}/results.json has schema ${String(results.schema)}, this version reads ${RESULTS_SCHEMA}\n`);
      return 1;
    }
    const written = await writeReport(dir, results);
    process.stdout.write(`${run}: ${written.filter((f) => f !== "results.json").join(", ")}\n`);
  }
  // The index lists a results/ folder; a run written elsewhere (a temporary folder) has none.
  const root = indexOnly ? resolve(argv[1] ?? "results") : resolve(runs[0] ?? "results", "..");
  if (indexOnly || basename(root) === "results") process.stdout.write(`${await writeIndex(root)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`report: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
