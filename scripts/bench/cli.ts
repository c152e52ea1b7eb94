import { mkdir, writeFile } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { insights } from "../report/insights.js";
import { verdict } from "../report/summary.js";
import { writeIndex } from "../report/index-page.js";
import { writeReport } from "../report/write.js";
import { HELP, parseCli, UsageError } from "./args.js";
import { runBaselineBench } from "./baselines/run-baseline.js";
import { ensureFdLimit } from "./scale/fd-limit.js";
import { fdNeeded } from "./scale/plan.js";
import { runScale } from "./scale/run-scale.js";
import { BenchEvents } from "./events.js";
import { showProgress } from "./progress.js";
import { runBench } from "./run.js";
import { runFailover } from "./cluster/run-failover.js";
import { runClusterBench } from "./cluster/run-cluster.js";

/** `npm run bench -- [options]`: run, write results.json, build the report, exit non-zero on any loss. */
async function main(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseCli(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`bench: ${error.message}\n\n${HELP}`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (options.config.scenario === "scale") {
    const code = ensureFdLimit(options.config.clients, fdNeeded(options.config.clients), (line) => process.stderr.write(`${line}\n`));
    if (code !== null) return code;
  }
  // Exit through process.exit, so the child server is killed by its exit hook.
  process.once("SIGINT", () => process.exit(130));
  process.once("SIGTERM", () => process.exit(143));
  const events = new BenchEvents();
  const stopProgress = showProgress(events);
  for (const notice of options.notices) events.log(`bench: ${notice}`);
  const command = `npm run bench -- ${argv.join(" ")}`.trim();
  let results;
  try {
    results =
      // The scale ramp runs its own --baseline (each transport's ramp against both servers).
      options.config.scenario === "scale"
        ? await runScale(options, events, command)
        : options.config.baseline === true
          ? await runBaselineBench(options, events, command)
          : options.config.scenario === "failover"
            ? await runFailover(options, events, command)
            : options.config.cluster !== undefined
              ? await runClusterBench(options, events, command)
              : await runBench(options, events, command);
  } finally {
    stopProgress();
  }
  const dir = resolve(options.out);
  await mkdir(dir, { recursive: true });
  await writeFile(resolve(dir, "results.json"), JSON.stringify(results, null, 2) + "\n");
  const written = await writeReport(dir, results);
  if (basename(dirname(dir)) === "results") written.push(await writeIndex(dirname(dir)));
  const problems = verdict(results);
  process.stdout.write(
    `\nWhat this run shows:\n${insights(results)
      .map((line) => `  - ${line.replace(/\*\*/g, "")}`)
      .join("\n")}\n`,
  );
  process.stdout.write(`\nWrote ${dir}/\n${written.map((f) => `  ${f}`).join("\n")}\n`);
  if (problems.length > 0) {
    process.stderr.write(`\nDELIVERY PROBLEMS:\n${problems.map((p) => `  ✗ ${p}`).join("\n")}\n`);
    return 1;
  }
  process.stdout.write(
    results.scale !== undefined
      ? "No delivery was duplicated or out of order; losses and failed connects, where there were any, mark the knee in the report.\n"
      : "Every expected message was delivered exactly once, in order.\n",
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
