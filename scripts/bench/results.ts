import type { FailoverResults } from "./cluster/failover-results.js";
import type { ClusterBenchResults } from "./cluster/cluster-results.js";
import type { HttpVersion, Metered, SockjsSubTransport, Transport } from "../../protocol/types.js";
import type { BenchTransport } from "./transports.js";
import type { BaselineResults } from "./baselines/types.js";
import type { IdleWindow } from "./idle-window.js";
import type { ScaleResults } from "./scale/results.js";
import type { BenchConfig, PublishVia } from "./scenarios.js";
import type { Wire } from "./wire.js";
import type { HeaderSet } from "./browser-headers.js";
import type { LinkProfile } from "../net/profiles.js";

/** The emulated link of a `--network` run: its profile and where it ran. */
export interface NetworkInfo {
  /** The profile's name ("4g") or "custom". */
  name: string;
  profile: LinkProfile;
  /** Where the link ran: its own process, so its CPU is neither the server's nor the generator's. */
  process: "separate";
}

/**
 * The shape of `results.json`: every raw figure a report needs, so a report can always be rebuilt
 * from this file alone. Times in milliseconds, bytes in bytes, unless a name says otherwise.
 */

export const RESULTS_SCHEMA = 1;

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Latency of the messages scheduled in one second of the measured window. */
export interface TimelinePoint {
  second: number;
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** Bytes seen on TCP sockets: up = client to server, down = server to client. */
export interface Bytes {
  up: number;
  down: number;
}

/** What the generator's clients counted on their own sockets. */
export interface ClientCounts {
  bytes: Bytes;
  requests: number;
  connections: number;
  /**
   * Bytes of response bodies and WebSocket payloads the clients read (their application's share of
   * `bytes.down`; the rest is headers, framing and TLS). Absent in runs made before it was counted.
   */
  body?: number;
}

/** What the server's `/api/stats` counters moved by over the same span. */
export interface ServerCounts {
  bytes: Bytes;
  requests: number;
  connections: number;
  delivered: number;
  /** The requests by the HTTP version the server saw them come over, and how many came over TLS; absent in runs made before the server counted them. */
  versions?: Record<HttpVersion, number>;
  tls?: number;
}

export interface ServerCost {
  cpuUserMs: number;
  cpuSystemMs: number;
  peakRssBytes: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
}

export interface ThreadLoad {
  name: string;
  /** Event-loop utilisation over the window, 0..1. */
  elu: number;
  delayP99Ms: number;
  delayMaxMs: number;
}

export interface GeneratorLoad {
  cpuMs: number;
  wallMs: number;
  threads: ThreadLoad[];
  /** How late the publisher sent compared with its schedule. */
  publishLagP99Ms: number;
  publishLagMaxMs: number;
  saturated: boolean;
  reasons: string[];
}

export interface Delivery {
  /** Messages published in the window times subscribers. */
  expected: number;
  delivered: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  resets: number;
  protocolErrors: number;
  reconnects: number;
}

export interface TransportRun {
  transport: BenchTransport;
  /** stomp-sockjs: the SockJS sub-transport sockjs-client was restricted to. */
  sockjs?: SockjsSubTransport;
  /** What the clients spoke (`--http`, `--tls`); absent: plaintext HTTP/1.1, as every run before `--http`. */
  wire?: Wire;
  clients: number;
  workers: number;
  /** Measured window: from its start until every expected message arrived (or the drain timed out). */
  windowMs: number;
  /**
   * `ws`: the publisher's own WebSocket is metered by the server as `ws`, so it is in `phase.client`
   * too; `stomp`: its STOMP-over-WebSocket session is metered as `stomp-ws` (in `phase.client` of a
   * stomp-ws phase; in a stomp-sockjs phase, `publish` compares it with the server's stomp-ws counts).
   */
  publishVia: PublishVia;
  published: { warmup: number; measured: number; errors: number };
  delivery: Delivery;
  latency: { summary: LatencySummary; histogram: string; timeline: TimelinePoint[] };
  window: { client: ClientCounts; server: ServerCounts };
  /** Whole phase, from before the first connect until after the last close: both ends must agree here. */
  phase: { client: ClientCounts; server: ServerCounts };
  publish: { client: ClientCounts; server: ServerCounts };
  /** Mean size of a delivered message's JSON. */
  messageJsonBytes: number;
  server: ServerCost | null;
  generator: GeneratorLoad;
  /**
   * Time to first message: per subscriber, from the moment it starts connecting (before the TCP
   * connect) to the moment it has parsed the first feed message delivered to it. One message is
   * published before the subscribers start and each asks for what follows the id before it, so
   * that message is already waiting: the figure is connect, handshakes, the request and the answer,
   * nothing of the schedule. Absent in runs made before it was measured.
   */
  firstMessage?: { summary: LatencySummary; histogram: string };
  /**
   * `--compress` runs: what this phase's server compressed with ("off", or the HTTP coding; a
   * WebSocket's compressed phase is "permessage-deflate"). Absent in runs without `--compress`.
   */
  compression?: "off" | "gzip" | "br" | "permessage-deflate";
  /** The server's RSS (probe) before the first subscriber connected and once all were connected: memory per connection. */
  serverMemory?: { beforeRssBytes: number; connectedRssBytes: number };
  /**
   * With `--repeat N` (N > 1): each repeat of this transport's phase, every one against a fresh
   * server process. The figures above are then all repeats together (counts and bytes summed,
   * latency histograms merged, peak RSS the highest); the report shows medians and ranges from
   * these. Absent in runs made before --repeat.
   */
  repeats?: TransportRun[];
}

export interface AutocannonRun {
  name: string;
  method: string;
  path: string;
  connections: number;
  /** Requested overall rate (requests/s), or 0 for "as fast as possible". */
  targetRate: number;
  durationMs: number;
  requests: number;
  requestsPerSecond: number;
  errors: number;
  non2xx: number;
  latency: { p50: number; p90: number; p99: number; max: number; mean: number };
  bytesRead: number;
  /** With `--repeat N` (N > 1): each repeat (the figures above are their medians). */
  repeats?: AutocannonRun[];
}

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  platform: string;
  release: string;
  node: string;
  /** The 1-minute load average when the run started and when it ended: other work on the machine is noise in every figure. */
  loadAverage?: { start: number; end: number };
}

export interface BenchResults {
  schema: typeof RESULTS_SCHEMA;
  startedAt: string;
  finishedAt: string;
  command: string;
  config: BenchConfig;
  /** `freshPerPhase`: every phase (each repeat of each transport) had a server process of its own; absent in older runs, which shared one. */
  target: { url: string; spawned: boolean; serverEnv: Record<string, string>; freshPerPhase?: boolean };
  machine: Machine;
  versions: Record<string, string>;
  transports: TransportRun[];
  autocannon: AutocannonRun[];
  /** Idle runs: the server's periodic costs the window had to cover, and whether it was lengthened to cover them. */
  idleWindow?: IdleWindow;
  /** `scale` runs: the ramp per transport (their `transports` and `autocannon` are empty). */
  scale?: ScaleResults;
  /** `failover` runs: one phase per transport and fault through the cluster (their `transports` and `autocannon` are empty). */
  failover?: FailoverResults;
  /** `--cluster N`: the single in-memory instance's phases beside the cluster's (which are `transports`), and each instance's share. */
  cluster?: ClusterBenchResults;
  /**
   * `--network`: the emulated link every subscriber connection crossed (publishing and the bench's
   * stats requests went direct), with what the link counted over the run. Absent: loopback, direct.
   */
  network?: NetworkInfo;
  /** `--headers`: the request headers the subscribers sent; absent in runs made before it, which sent `minimal`. */
  headers?: {
    set: HeaderSet;
    /** The captured browser ("Chromium 156.0.8078.108"), for `browser`. */
    browser?: string;
    /** Bytes each transport's browser request adds to a minimal one (`browserExtraBytes`): the framing floor's "what a browser sends". */
    extraRequestBytes?: Record<Transport, number>;
  };
  /** `--baseline`: every measurement alternated with the bare reference servers (`transports` holds the lab server's fixed-rate phases). */
  baseline?: BaselineResults;
}

/** The server's metering key for the publisher's traffic. */
export function publisherMeteredAs(via: PublishVia): Metered {
  return via === "http" ? "publish" : via === "ws" ? "ws" : "stomp-ws";
}

/** The publisher's bytes are in this run's own phase counts (it spoke the phase's transport): compared there, not apart. */
export function publisherInPhase(run: Pick<TransportRun, "transport" | "publishVia">): boolean {
  return publisherMeteredAs(run.publishVia) === run.transport;
}
