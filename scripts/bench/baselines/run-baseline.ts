import { availableParallelism, loadavg } from "node:os";
import { isPlainTransport } from "../transports.js";
import type { Transport } from "../../../protocol/types.js";
import type { CliOptions } from "../args.js";
import type { BenchEvents } from "../events.js";
import { machine, versions } from "../machine.js";
import { mergeRepeats } from "../merge.js";
import { RESULTS_SCHEMA, type BenchResults, type TransportRun } from "../results.js";
import { runTransport, type PhaseContext } from "../run-transport.js";
import { serverEnvFor } from "../scenarios.js";
import { startServer, type ServerHandle } from "../server-process.js";
import { runMaxRate } from "./max-rate.js";
import { runRequestRate } from "./request-rate.js";
import { BASELINE_TARGETS, STREAMING_TRANSPORTS, type BaselineSample, type BaselineTransport, type FixedRateSample, type Side } from "./types.js";

export const BARE_ENTRY = "bare-server";
const SIDES: readonly Side[] = ["project", "bare"];

function fixedRateSample(run: TransportRun): FixedRateSample {
  const d = run.delivery;
  return {
    p50Ms: run.latency.summary.p50,
    p99Ms: run.latency.summary.p99,
    expected: d.expected,
    delivered: d.delivered,
    lost: d.lost,
    duplicated: d.duplicated,
    outOfOrder: d.outOfOrder,
    windowMs: run.windowMs,
    serverCpuMs: run.server === null ? 0 : run.server.cpuUserMs + run.server.cpuSystemMs,
    generator: { saturated: run.generator.saturated, reasons: run.generator.reasons },
  };
}

/**
 * `npm run bench -- --baseline`: for each transport, every measurement runs alternately against
 * the lab's server and the bare one (A B A B ..., `--repeat` rounds), each against a fresh process,
 * so a slow stretch of the machine falls on both sides:
 * - the scenario's own schedule (latency at a fixed rate; its lab-side phases are the run's
 *   `transports`, so the usual report is there too);
 * - for NDJSON, SSE and WebSocket, the maximum rate (max-rate.ts): deliveries per second and server
 *   CPU per delivery;
 * - for polling and long polling, autocannon as fast as it goes (request-rate.ts).
 */
export async function runBaselineBench(options: CliOptions, events: BenchEvents, command: string): Promise<BenchResults> {
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0] ?? 0;
  const { config } = options;
  const serverEnv = { ...serverEnvFor(config), ...options.serverEnv };
  const cores = availableParallelism();
  let firstUrl: string | undefined;
  const withServer = async <T>(side: Side, work: (server: ServerHandle) => Promise<T>): Promise<T> => {
    events.tick({ transport: null, stage: "starting server", fraction: 0, delivered: 0, expected: 0 });
    const server = side === "project" ? await startServer(serverEnv) : await startServer({}, BARE_ENTRY);
    if (side === "project") firstUrl ??= server.url;
    try {
      return await work(server);
    } finally {
      await server.stop();
    }
  };
  /** One measurement, A B A B: `measure` once per side per round. */
  const alternate = async (
    transport: Transport,
    what: string,
    measure: (side: Side, server: ServerHandle) => Promise<Omit<BaselineSample, "side" | "round">>,
  ): Promise<BaselineSample[]> => {
    const samples: BaselineSample[] = [];
    for (let round = 1; round <= config.repeat; round++) {
      for (const side of SIDES) {
        events.log(`${transport}: ${what}, ${side} server, round ${round} of ${config.repeat}`);
        samples.push({ side, round, ...(await withServer(side, (server) => measure(side, server))) });
      }
    }
    return samples;
  };

  const projectRuns = new Map<Transport, TransportRun[]>();
  const transports: BaselineTransport[] = [];
  // The bare servers speak the five only (args.ts refuses STOMP with --baseline).
  const plain = config.transports.filter(isPlainTransport);
  for (const transport of plain) {
    const ctx = (server: ServerHandle): PhaseContext => ({ config, server, cores, events });
    const runs: TransportRun[] = [];
    const samples = await alternate(transport, `${config.clients} clients, ${config.rate} msg/s`, async (side, server) => {
      const run = await runTransport(ctx(server), transport);
      if (side === "project") runs.push(run);
      return { kind: "fixed-rate", fixedRate: fixedRateSample(run) };
    });
    projectRuns.set(transport, runs);
    if (STREAMING_TRANSPORTS.has(transport)) {
      samples.push(
        ...(await alternate(transport, `${config.clients} clients, maximum rate`, async (_side, server) => ({
          kind: "max-rate",
          maxRate: await runMaxRate(ctx(server), transport),
        }))),
      );
    } else if (config.autocannonMs > 0) {
      const mode = transport === "poll" ? "poll" : "long-poll";
      samples.push(
        ...(await alternate(transport, "autocannon", async (_side, server) => {
          events.tick({ transport, stage: "autocannon", fraction: 0, delivered: 0, expected: 0 });
          return { kind: "request-rate", requestRate: await runRequestRate(server, mode, config.autocannonMs, config.size) };
        })),
      );
    }
    transports.push({ transport, samples });
  }
  return {
    schema: RESULTS_SCHEMA,
    startedAt,
    finishedAt: new Date().toISOString(),
    command,
    config,
    target: { url: firstUrl ?? "http://127.0.0.1", spawned: true, serverEnv, freshPerPhase: true },
    machine: { ...machine(), loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 } },
    versions: await versions(),
    transports: plain.map((t) => mergeRepeats(projectRuns.get(t) ?? [])),
    autocannon: [],
    baseline: { targets: BASELINE_TARGETS, bareServer: BARE_ENTRY, transports },
  };
}
