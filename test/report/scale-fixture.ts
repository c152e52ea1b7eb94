import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { BenchResults } from "../../scripts/bench/results.js";
import type { ScaleResults } from "../../scripts/bench/scale/results.js";

/**
 * A fixed scale run, steps 10, 20 and 40, with round figures: every step costs 10 KiB of RSS, 4 KiB
 * of heap and 5 µs of idle CPU per connection and p99 is 4 ms + clients/10; long polling breaks at
 * 20 (p99 1.5 s while other processes kept both cores busy), SSE at 40 (8 deliveries lost while a
 * generator thread was saturated), WebSocket holds throughout.
 */
export const SCALE_FIXTURE_DIR = fileURLToPath(new URL("./fixtures/2026-01-02T000000-scale/", import.meta.url));

export function scaleFixture(): BenchResults & { scale: ScaleResults } {
  return JSON.parse(readFileSync(`${SCALE_FIXTURE_DIR}results.json`, "utf8")) as BenchResults & { scale: ScaleResults };
}

/**
 * The same run made with `--baseline`: the fixture's ramps are the lab's, and the bare server's
 * ramps are copies with round ratios lab / bare. WebSocket: p99 1.1×, CPU per 1,000 deliveries
 * 1.25×, RSS per connection 1.25× (10 KiB against 8 KiB); SSE: p99 1.5×, CPU 1×, RSS 2× (5 KiB);
 * long polling: p99 2×, CPU 2×, RSS 1×, and the bare ramp stops after 20 (no step of 40).
 */
export function scaleBaselineFixture(): BenchResults & { scale: ScaleResults } {
  const r = scaleFixture();
  const factors: Record<string, { p99: number; cpu: number; rssPerConnection: number; steps: number }> = {
    ws: { p99: 1.1, cpu: 1.25, rssPerConnection: 8 * 1024, steps: 3 },
    sse: { p99: 1.5, cpu: 1, rssPerConnection: 5 * 1024, steps: 3 },
    "long-poll": { p99: 2, cpu: 2, rssPerConnection: 10 * 1024, steps: 2 },
  };
  const copy = JSON.parse(JSON.stringify(r.scale.transports)) as ScaleResults["transports"];
  r.scale.bare = copy.map((run) => {
    const f = factors[run.transport];
    if (f === undefined) throw new Error(`no bare factors for ${run.transport}`);
    const steps = run.steps.slice(0, f.steps).map((step) => {
      step.latency.latency.p99 = step.latency.latency.p99 / f.p99;
      step.latency.server.cpuMs = step.latency.server.cpuMs / f.cpu;
      step.memory.rssBytes = run.baseline.memory.rssBytes + f.rssPerConnection * step.clients;
      // The bare server's generator kept up at every step.
      step.latency.generator = { ...step.latency.generator, saturated: false, reasons: [] };
      return step;
    });
    return { ...run, steps, stopped: f.steps < run.steps.length ? "a test stop" : null };
  });
  return r;
}
