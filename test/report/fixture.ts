import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { mergeRepeats } from "../../scripts/bench/merge.js";
import type { BenchResults, TransportRun } from "../../scripts/bench/results.js";

/** A fixed results.json with round numbers: a clean poll run, an SSE run whose byte counts disagree, a WebSocket run with loss. */
export const FIXTURE_DIR = fileURLToPath(new URL("./fixtures/2026-01-01T000000-chat/", import.meta.url));

export function fixture(): BenchResults {
  return JSON.parse(readFileSync(`${FIXTURE_DIR}results.json`, "utf8")) as BenchResults;
}

/** A repeat of `run` whose latencies, window bytes and server CPU are `factor` times the original's. */
export function scaled(run: TransportRun, factor: number): TransportRun {
  const l = run.latency.summary;
  const c = run.window.client;
  return {
    ...run,
    latency: {
      ...run.latency,
      summary: { ...l, mean: l.mean * factor, p50: l.p50 * factor, p90: l.p90 * factor, p99: l.p99 * factor, p999: l.p999 * factor, max: l.max * factor },
    },
    window: { ...run.window, client: { ...c, bytes: { up: c.bytes.up * factor, down: c.bytes.down * factor } } },
    server: run.server === null ? null : { ...run.server, cpuUserMs: run.server.cpuUserMs * factor, cpuSystemMs: run.server.cpuSystemMs * factor },
  };
}

/** The fixture run three times: each transport's repeats at 0.9, 1 and 1.2 times its figures. */
export function repeatedFixture(): BenchResults {
  const base = fixture();
  return {
    ...base,
    config: { ...base.config, repeat: 3 },
    target: { ...base.target, freshPerPhase: true },
    transports: base.transports.map((run) => mergeRepeats([0.9, 1, 1.2].map((factor) => scaled(run, factor)))),
  };
}
