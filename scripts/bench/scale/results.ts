import type { Transport } from "../../../protocol/types.js";
import type { PeriodicCost } from "../idle-window.js";
import type { LatencySummary, ThreadLoad } from "../results.js";

/**
 * The `scale` scenario's part of results.json: raw figures only (bytes, ms, counts), so every
 * per-connection figure, the knee and the limit attribution are recomputed by the report from
 * this alone.
 */

export interface ScalePlan {
  /** Subscribers per transport at each step, ascending; each step adds to the previous one. */
  steps: number[];
  /** Idle window at each step: twice the longest periodic cost, so every connection has the same number of periodic events. */
  idleWindowMs: number;
  periodicCosts: PeriodicCost[];
  /** Latency window: messages at `rate` per second, after `warmupMs` of warm-up messages. */
  latencyWindowMs: number;
  warmupMs: number;
  rate: number;
  /** Idle server, no clients, measured before the first step: subtracted from the idle CPU. */
  baselineMs: number;
  workers: number;
  clientsPerAddress: number;
  /** Each transport's ramp binds its clients to its own block of loopback source addresses. */
  addressesPerTransport: number;
  connectConcurrency: number;
}

/** What the machine allowed: file descriptors per process and ephemeral ports per source address. */
export interface ScaleLimits {
  /** The bench's soft and hard RLIMIT_NOFILE (the server, its child, inherits them); null where unreadable. */
  fdSoft: number | null;
  fdHard: number | null;
  /** File descriptors the largest step needs in each process. */
  fdNeeded: number;
  /** net.ipv4.ip_local_port_range; null where unreadable. */
  portRange: [number, number] | null;
}

/** CPU time of the whole machine over a window, from /proc/stat (null elsewhere): other processes included. */
export interface MachineCpu {
  busyMs: number;
  wallMs: number;
}

export interface GeneratorWindow {
  cpuMs: number;
  wallMs: number;
  threads: ThreadLoad[];
  publishLagP99Ms: number;
  saturated: boolean;
  reasons: string[];
}

export interface ServerWindow {
  cpuMs: number;
  /** Server requests counted by /api/stats for the transport over the window, and bytes it wrote. */
  requests: number;
  bytesOut: number;
  delivered: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  peakRssBytes: number;
}

export interface ScaleWindow {
  wallMs: number;
  server: ServerWindow;
  generator: GeneratorWindow;
  machine: MachineCpu | null;
}

export interface ConnectOutcome {
  /** Subscribers this step added. */
  added: number;
  /** Subscribers connected (held transports) or answered once (polling) when the step's connect phase ended. */
  connected: number;
  ms: number;
  /** Failed attempts while connecting (each retried after 250 ms), by error code. */
  errors: number;
  errorCodes: Record<string, number>;
  errorSamples: string[];
  /** The server's `refused` count (connection caps) moved by this much. */
  refused: number;
  /** The server's `open` gauge for the transport after connecting (0 for short polling, which holds nothing). */
  serverOpen: number;
}

export interface ScaleMemory {
  /** After a full collection (`/api/health?gc=1`, the server runs with --expose-gc). */
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
}

export interface LatencyWindow extends ScaleWindow {
  published: number;
  publishErrors: number;
  /** A few of the failed publishes' errors. */
  publishErrorSamples?: string[];
  expected: number;
  delivered: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  /** Client errors during the window (failed requests, dropped connections), by code. */
  errors: number;
  errorCodes: Record<string, number>;
  latency: LatencySummary;
  histogram: string;
}

export interface ScaleStep {
  clients: number;
  connect: ConnectOutcome;
  memory: ScaleMemory;
  idle: ScaleWindow;
  latency: LatencyWindow;
}

export interface ScaleTransportRun {
  transport: Transport;
  baseline: { memory: ScaleMemory; cpuMs: number; wallMs: number };
  steps: ScaleStep[];
  /** Why the ramp stopped before its last step, or null. */
  stopped: string | null;
  /** The step that could not be measured (the server or the generator gave out during it), or null. */
  abortedAt?: number | null;
}

export interface ScaleResults {
  plan: ScalePlan;
  limits: ScaleLimits;
  /** The lab's server: one ramp per transport. */
  transports: ScaleTransportRun[];
  /**
   * `--baseline`: the same ramp against the bare reference server (scripts/bench/baselines/), on a
   * fresh process right after the lab's ramp of the same transport, with its own block of source
   * addresses. Absent in runs made without it (and in every run before the option).
   */
  bare?: ScaleTransportRun[];
  /**
   * The bare server pinged each WebSocket every LAB_WS_PING_MS, as the lab's does. Absent in runs
   * made before it did (its WebSocket side then sent no pings).
   */
  bareWebSocketPings?: boolean;
}
