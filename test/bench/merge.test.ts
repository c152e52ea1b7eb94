import { describe, expect, it } from "vitest";
import { createHistogram, encode, recordMicros } from "../../scripts/bench/measure/histogram.js";
import { mergeAutocannon, mergeRepeats } from "../../scripts/bench/merge.js";
import type { AutocannonRun, TransportRun } from "../../scripts/bench/results.js";
import { fixture } from "../report/fixture.js";

/** A repeat of the fixture's WebSocket run whose latencies are all `ms` and whose server peaked at `rssMiB`. */
function repeat(ms: number, count: number, rssMiB: number): TransportRun {
  const base = fixture().transports.find((t) => t.transport === "ws") as TransportRun;
  const h = createHistogram();
  for (let i = 0; i < count; i++) recordMicros(h, ms * 1000);
  const run: TransportRun = {
    ...base,
    delivery: { ...base.delivery, expected: count, delivered: count, lost: 0 },
    latency: { ...base.latency, histogram: encode(h), timeline: [{ second: 0, count, p50: ms, p99: ms, max: ms }] },
    server: base.server === null ? null : { ...base.server, peakRssBytes: rssMiB * 1024 * 1024 },
  };
  h.destroy();
  return run;
}

describe("repeats of one phase as one run", () => {
  const merged = mergeRepeats([repeat(2, 100, 90), repeat(4, 100, 120), repeat(30, 100, 95)]);

  it("sums counts and bytes, merges latency histograms and keeps the repeats", () => {
    expect(merged.delivery.delivered).toBe(300);
    expect(merged.window.client.bytes.down).toBe(3 * (fixture().transports[2]?.window.client.bytes.down ?? Number.NaN));
    expect(merged.latency.summary.count).toBe(300);
    expect(merged.latency.summary.p50).toBeCloseTo(4, 1);
    expect(merged.latency.summary.max).toBeCloseTo(30, 1);
    expect(merged.repeats).toHaveLength(3);
  });

  it("takes the highest peak RSS and each second's median latency", () => {
    expect(merged.server?.peakRssBytes).toBe(120 * 1024 * 1024);
    expect(merged.latency.timeline).toEqual([{ second: 0, count: 300, p50: 4, p99: 4, max: 4 }]);
  });

  it("leaves a single repeat as it is", () => {
    const one = repeat(2, 10, 90);
    expect(mergeRepeats([one])).toBe(one);
  });
});

describe("autocannon repeats", () => {
  it("keeps the median of each figure and the repeats", () => {
    const run = (rps: number): AutocannonRun => ({
      name: "publish",
      method: "POST",
      path: "/api/messages",
      connections: 10,
      targetRate: 0,
      durationMs: 5000,
      requests: rps * 5,
      requestsPerSecond: rps,
      errors: 0,
      non2xx: 0,
      latency: { p50: 1, p90: 2, p99: 3, max: 4, mean: 1 },
      bytesRead: rps * 100,
    });
    const merged = mergeAutocannon([run(1000), run(3000), run(2000)]);
    expect(merged.requestsPerSecond).toBe(2000);
    expect(merged.repeats?.map((r) => r.requestsPerSecond)).toEqual([1000, 3000, 2000]);
  });
});
