import * as hdr from "hdr-histogram-js";
import type { LatencySummary, TimelinePoint } from "../results.js";

/**
 * Histogram settings in one place. Latencies are recorded in microseconds, from 1 µs to 10 minutes,
 * at 3 significant digits; histograms travel between threads and into results.json as compressed
 * base64, and are merged by `mergeEncoded`.
 */
const HIGHEST_US = 600_000_000;

export function createHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, autoResize: false });
}

/** Values outside the trackable range are clamped rather than thrown, and stay visible as max. */
export function recordMicros(histogram: hdr.Histogram, micros: number): void {
  histogram.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(micros))));
}

export function encode(histogram: hdr.Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

export function decode(encoded: string): hdr.Histogram {
  const decoded = hdr.decodeFromCompressedBase64(encoded);
  const histogram = createHistogram();
  histogram.add(decoded);
  decoded.destroy();
  return histogram;
}

export function mergeEncoded(encoded: readonly string[]): hdr.Histogram {
  const total = createHistogram();
  for (const item of encoded) {
    const part = decode(item);
    total.add(part);
    part.destroy();
  }
  return total;
}

const ms = (micros: number): number => Math.round(micros) / 1000;

/** The serialisable summary reports consume, in milliseconds. */
export function summarize(histogram: hdr.Histogram): LatencySummary {
  if (histogram.totalCount === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  return {
    count: histogram.totalCount,
    mean: ms(histogram.mean),
    p50: ms(histogram.getValueAtPercentile(50)),
    p90: ms(histogram.getValueAtPercentile(90)),
    p99: ms(histogram.getValueAtPercentile(99)),
    p999: ms(histogram.getValueAtPercentile(99.9)),
    max: ms(histogram.maxValue),
  };
}

/** Per-second histograms (keyed by second of the schedule), each encoded, merged across threads. */
export function timeline(perSecond: ReadonlyMap<number, readonly string[]>): TimelinePoint[] {
  return [...perSecond.keys()]
    .sort((a, b) => a - b)
    .map((second) => {
      const merged = mergeEncoded(perSecond.get(second) ?? []);
      const s = summarize(merged);
      merged.destroy();
      return { second, count: s.count, p50: s.p50, p99: s.p99, max: s.max };
    });
}
