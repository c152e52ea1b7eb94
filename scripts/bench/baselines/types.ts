import type { Transport } from "../../../protocol/types.js";
import type { ThreadLoad } from "../results.js";

/**
 * What `--baseline` adds to results.json: every sample of every measurement, on both sides, in the
 * order they ran, so the report (scripts/report/baseline.ts) can rebuild every ratio from this alone.
 */

/** `project`: server/main.ts; `bare`: scripts/bench/baselines/main.ts. */
export type Side = "project" | "bare";

export interface GeneratorVerdict {
  /** The load generator was saturated (scripts/bench/measure/saturation.ts), so the figure may be its limit. */
  saturated: boolean;
  reasons: string[];
}

/** The scenario's own schedule: latency at a fixed rate, and CPU for it. */
export interface FixedRateSample {
  p50Ms: number;
  p99Ms: number;
  expected: number;
  delivered: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  windowMs: number;
  serverCpuMs: number;
  generator: GeneratorVerdict;
}

/**
 * Closed loop: the publisher keeps at most `inFlight` messages published but not yet delivered to
 * every subscriber, so it publishes exactly as fast as the server (or the generator) delivers.
 */
export interface MaxRateSample {
  inFlight: number;
  published: number;
  expected: number;
  delivered: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  /** From the window's start until the last message reached every subscriber (or the drain gave up). */
  windowMs: number;
  deliveriesPerSecond: number;
  serverCpuMs: number;
  /** Server CPU over the window divided by its length: near 1 means the server's one thread was the limit. */
  serverCores: number;
  generatorCpuMs: number;
  threads: ThreadLoad[];
  p99Ms: number;
  generator: GeneratorVerdict;
}

/** autocannon as fast as it goes against one polling path. */
export interface RequestRateSample {
  path: string;
  connections: number;
  durationMs: number;
  requests: number;
  requestsPerSecond: number;
  errors: number;
  non2xx: number;
  p99Ms: number;
  serverCpuMs: number;
  /** The bench process's CPU (autocannon runs in its main thread) over the run, in cores. */
  generatorCores: number;
  generator: GeneratorVerdict;
}

export interface BaselineSample {
  side: Side;
  /** 1-based position in its measurement's A B A B sequence. */
  round: number;
  kind: "fixed-rate" | "max-rate" | "request-rate";
  fixedRate?: FixedRateSample;
  maxRate?: MaxRateSample;
  requestRate?: RequestRateSample;
}

export interface BaselineTransport {
  transport: Transport;
  samples: BaselineSample[];
}

/** The targets, as ratios project / bare. */
export interface BaselineTargets {
  /** Server CPU per 1,000 deliveries at the fixed rate both sides run at (NDJSON, SSE, WebSocket): at most this. */
  cpuPer1000Max: number;
  /** Maximum-rate deliveries per second: at least this. */
  maxRateMin: number;
  /** Polling requests per second under autocannon: at least this. */
  requestRateMin: number;
}

/**
 * The transports that hold a connection per subscriber and stream to it: measured at the maximum
 * rate, and the ones the CPU and scale targets are set for (polling's target is its requests/s).
 */
export const STREAMING_TRANSPORTS: ReadonlySet<Transport> = new Set<Transport>(["stream", "sse", "ws"]);

export const BASELINE_TARGETS: BaselineTargets = { cpuPer1000Max: 1.1, maxRateMin: 0.9, requestRateMin: 0.85 };

export interface BaselineResults {
  targets: BaselineTargets;
  /** The bare server's entry, for the record. */
  bareServer: string;
  transports: BaselineTransport[];
}
