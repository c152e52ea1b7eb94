import type { SockjsSubTransport } from "../../protocol/types.js";
import type { BenchTransport } from "./transports.js";
import type { ClientCounts, ThreadLoad } from "./results.js";
import type { Wire } from "./wire.js";
import type { HeaderSet } from "./browser-headers.js";
import type { HttpCoding } from "./scenarios.js";

/** Messages between the bench's main thread and its subscriber threads. */

export interface WorkerInit {
  /** The .ts module the boot file loads. */
  entry: string;
  name: string;
  transport: BenchTransport;
  /** stomp-sockjs: the SockJS sub-transport its clients are restricted to. */
  sockjs?: SockjsSubTransport;
  clients: number;
  /** The server's origin for this wire: its TLS listener's when `wire.tls`. */
  origin: string;
  /** What the clients speak; absent: plaintext HTTP/1.1. */
  wire?: Wire;
  after: number;
  pollIntervalMs: number;
  longPollTimeoutMs: number;
  /** The request headers the subscribers send (`--headers`); absent: minimal. */
  headers?: HeaderSet;
  /** `--compress`: the coding minimal requests ask for (browser requests ask for theirs anyway). */
  acceptEncoding?: HttpCoding;
  /** This thread's first subscriber's number in the phase, so browser-like client ids are unique. */
  firstIndex?: number;
  /** Messages the window's schedule holds: sizes each subscriber's seen-bitmap. */
  measuredCount: number;
  /** How often the thread reports its delivery counts (default 200 ms); the max-rate publisher paces itself on them. */
  progressMs?: number;
}

export type ToWorker = { type: "window-start"; epochMs: number } | { type: "window-end" } | { type: "stop" };

export interface WorkerFinal {
  counts: ClientCounts;
  /** Unique measured messages received, summed over this thread's subscribers. */
  delivered: number;
  duplicated: number;
  outOfOrder: number;
  resets: number;
  protocolErrors: number;
  reconnects: number;
  errorSamples: string[];
  histogram: string;
  perSecond: [number, string][];
  jsonBytes: number;
  jsonCount: number;
  /** Time to first message, from each subscriber's connect start (see `TransportRun.firstMessage`). */
  firstMessage: string;
}

export type FromWorker =
  | { type: "ready" }
  | { type: "progress"; warmup: number; measured: number }
  | { type: "window-started"; counts: ClientCounts }
  | { type: "window-ended"; counts: ClientCounts; load: ThreadLoad }
  | { type: "final"; result: WorkerFinal }
  | { type: "fatal"; message: string };

/** The publisher's nonce: phase tag (warmup or measured), sequence number, scheduled time in µs since the epoch. */
export function makeNonce(tag: "w" | "m", seq: number, scheduledUs: number): string {
  return `${tag}-${seq}-${scheduledUs}`;
}

export function parseNonce(nonce: string | undefined): { tag: "w" | "m"; seq: number; scheduledUs: number } | null {
  if (nonce === undefined) return null;
  const match = /^([wm])-([0-9]+)-([0-9]+)$/.exec(nonce);
  if (match === null) return null;
  return { tag: match[1] === "w" ? "w" : "m", seq: Number(match[2]), scheduledUs: Number(match[3]) };
}
