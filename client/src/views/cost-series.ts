import type { StatsResponse } from "../../../protocol/types.js";
import { CHAT_TRANSPORTS, type ChatTransport } from "../transports/kinds.js";

/** The live chart's time span: two minutes of real time, whatever the sampling did meanwhile. */
export const WINDOW_MS = 120_000;
/**
 * Samples further apart than this are not adjacent seconds: the view or the tab was hidden (and
 * stopped polling) or the browser froze its timers. Their difference is bytes from an unknown
 * stretch of time, so it is drawn as a gap, never as one tall second.
 */
export const GAP_MS = 2_500;
/** A bound on each series whatever the timing: one point per second over the window, plus gap markers. */
const MAX_POINTS = 2 * (WINDOW_MS / 1_000);

/** One reading of this tab's cumulative bytes (up + down) per transport, at a wall-clock time. */
export interface Sample {
  at: number;
  bytes: Record<ChatTransport, number>;
}

/** A chart.js point in its internal format (`parsing: false`): x in epoch ms, y in bytes/s, null for a gap. */
export interface RatePoint {
  x: number;
  y: number | null;
}

export type RateSeries = Record<ChatTransport, RatePoint[]>;

export function emptySeries(): RateSeries {
  return Object.fromEntries(CHAT_TRANSPORTS.map((t) => [t, [] as RatePoint[]])) as RateSeries;
}

export function sampleOf(stats: StatsResponse, at: number): Sample {
  const bytes = Object.fromEntries(
    CHAT_TRANSPORTS.map((t) => {
      const counters = stats.client?.transports[t];
      return [t, counters === undefined ? 0 : counters.bytesIn + counters.bytesOut];
    }),
  ) as Record<ChatTransport, number>;
  return { at, bytes };
}

/**
 * Add what happened between `before` and `now` to every series: the rate over the real elapsed
 * time when the samples are adjacent, a null point (a break in the line) when they are not. After a
 * gap the new sample is only the baseline for the next second.
 */
export function appendSample(series: RateSeries, before: Sample | undefined, now: Sample): void {
  if (before === undefined || now.at <= before.at) return;
  const elapsed = now.at - before.at;
  for (const t of CHAT_TRANSPORTS) {
    const points = series[t];
    if (elapsed > GAP_MS) points.push({ x: (before.at + now.at) / 2, y: null });
    // A server restart sets the counters back to zero: that second is unknown, not negative.
    else points.push({ x: now.at, y: Math.max(0, now.bytes[t] - before.bytes[t]) / (elapsed / 1_000) });
    const oldest = now.at - WINDOW_MS;
    while (points.length > MAX_POINTS || (points[0] !== undefined && points[0].x < oldest)) points.shift();
  }
}
