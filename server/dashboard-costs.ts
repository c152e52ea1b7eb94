import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { TransportCost } from "../protocol/types.js";
import { type BenchResults, RESULTS_SCHEMA } from "../scripts/bench/results.js";
import { allFigures, type TransportFigures } from "../scripts/report/summary.js";
import { describeWorkload } from "../scripts/report/run-notes.js";
import type { ReportRun } from "./dashboard-reports.js";

/**
 * The dashboard's transport cards show what each transport measured in the benchmark, read from the
 * committed runs' results.json with the report's own figures (scripts/report/summary.ts), so a card
 * says what that run's report says. Nothing here is a constant: with no run of a transport, its
 * card says so. What a card receives, `TransportCost`, is in protocol/types.ts: the dashboard reads it too.
 */

/**
 * A phase counts when it delivered messages (an idle run has none per message). Within a run, a
 * phase with no conditions of its own comes first: uncompressed (`--compress` runs each transport
 * off and on) over plain HTTP/1.1 (`--http` runs each over HTTP/1.1 and HTTP/2 with TLS).
 */
function plainFirst(list: TransportFigures[]): TransportFigures[] {
  const plain = (f: TransportFigures): boolean =>
    (f.run.compression === undefined || f.run.compression === "off") && (f.run.wire === undefined || (f.run.wire.version === "1.1" && !f.run.wire.tls));
  return [...list.filter(plain), ...list.filter((f) => !plain(f))];
}

function costOf(run: ReportRun & { resultsUrl: string }, results: BenchResults, f: TransportFigures): TransportCost | null {
  if (f.bytesPerMessage === null || f.requestsPerMessage === null || f.latency.count === 0) return null;
  return {
    transport: f.transport,
    run: run.name,
    reportUrl: run.reportUrl,
    resultsUrl: run.resultsUrl,
    scenario: results.config.scenario,
    startedAt: results.startedAt,
    workload: describeWorkload(results),
    label: f.label,
    clients: f.clients,
    repeats: Math.max(1, f.perRepeat.length),
    bytesPerMessage: { up: f.bytesPerMessage.up, down: f.bytesPerMessage.down, total: f.bytesPerMessage.up + f.bytesPerMessage.down },
    latencyP99Ms: f.latency.p99,
    requestsPerMessage: f.requestsPerMessage,
  };
}

/** Each run's costs per transport, read once per version of its results.json. */
export class TransportCosts {
  private readonly cache = new Map<string, { modified: number; costs: Map<string, TransportCost> }>();

  constructor(private readonly dir: string) {}

  /**
   * For each transport asked, the newest run (runs newest first, as listRuns gives them) that
   * measured it; null when none did. A results.json that cannot be read or understood is skipped.
   */
  async latest(runs: ReportRun[], transports: readonly string[]): Promise<Record<string, TransportCost | null>> {
    const found: Record<string, TransportCost | null> = Object.fromEntries(transports.map((t) => [t, null]));
    for (const run of runs) {
      if (transports.every((t) => found[t] !== null)) break;
      if (run.resultsUrl === null) continue;
      const costs = await this.costsOf({ ...run, resultsUrl: run.resultsUrl });
      for (const t of transports) found[t] ??= costs.get(t) ?? null;
    }
    return found;
  }

  private async costsOf(run: ReportRun & { resultsUrl: string }): Promise<Map<string, TransportCost>> {
    const path = join(this.dir, run.name, "results.json");
    const modified = (await stat(path).catch(() => null))?.mtimeMs ?? -1;
    const cached = this.cache.get(run.name);
    if (cached !== undefined && cached.modified === modified) return cached.costs;
    const costs = new Map<string, TransportCost>();
    try {
      const results = JSON.parse(await readFile(path, "utf8")) as BenchResults;
      // A run through a cluster (`--cluster`) measured a balancer and Redis as well: not one server's costs.
      if (results.schema === RESULTS_SCHEMA && Array.isArray(results.transports) && results.cluster === undefined) {
        for (const f of plainFirst(allFigures(results))) {
          if (costs.has(f.transport)) continue;
          const cost = costOf(run, results, f);
          if (cost !== null) costs.set(f.transport, cost);
        }
      }
    } catch {
      // not a run this version can read (an older schema, a folder being written): no costs from it
    }
    this.cache.set(run.name, { modified, costs });
    return costs;
  }
}
