import { describe, expect, it } from "vitest";
import { createHistogram, encode, mergeEncoded, recordMicros, summarize, timeline } from "../../../scripts/bench/measure/histogram.js";

function histogramOf(valuesMs: number[]): string {
  const h = createHistogram();
  for (const v of valuesMs) recordMicros(h, v * 1000);
  const encoded = encode(h);
  h.destroy();
  return encoded;
}

describe("latency histograms", () => {
  it("summarises percentiles in ms at 3 significant digits", () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    const s = summarize(mergeEncoded([histogramOf(values)]));
    expect(s.count).toBe(1000);
    expect(s.p50).toBeCloseTo(500, -1);
    expect(s.p90).toBeCloseTo(900, -1);
    expect(s.p99).toBeCloseTo(990, -1);
    expect(s.p999).toBeCloseTo(999, -1);
    expect(s.max).toBeCloseTo(1000, -1);
    expect(s.mean).toBeCloseTo(500.5, 0);
  });

  it("merges encoded histograms from several threads into one", () => {
    const merged = summarize(mergeEncoded([histogramOf([1, 2, 3]), histogramOf([100])]));
    expect(merged.count).toBe(4);
    expect(merged.max).toBeCloseTo(100, 0);
    expect(merged.p50).toBeCloseTo(2, 1);
  });

  it("summarises an empty histogram as zeros rather than NaN", () => {
    expect(summarize(createHistogram())).toEqual({ count: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 });
  });

  it("clamps values outside the trackable range instead of throwing", () => {
    const h = createHistogram();
    recordMicros(h, -5);
    recordMicros(h, 1e12);
    expect(h.totalCount).toBe(2);
    expect(summarize(h).max).toBeGreaterThanOrEqual(599_000);
  });

  it("builds a per-second timeline, merged across threads and sorted by second", () => {
    const points = timeline(
      new Map([
        [1, [histogramOf([5]), histogramOf([7])]],
        [0, [histogramOf([2])]],
      ]),
    );
    expect(points.map((p) => [p.second, p.count])).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(points[1]?.max).toBeCloseTo(7, 1);
  });
});
