import { TRANSPORTS, type SockjsSubTransport } from "../../protocol/types.js";
import { BENCH_TRANSPORTS, type BenchTransport } from "./transports.js";
import type { HttpVersion } from "./wire.js";
import type { HeaderSet } from "./browser-headers.js";
import type { LinkProfile } from "../net/profiles.js";

/** The HTTP content codings the lab's server can compress with (server/compression.ts). */
export type HttpCoding = "gzip" | "br";
export const HTTP_CODINGS: readonly HttpCoding[] = ["gzip", "br"];

/** What a phase's server compresses with, and what its clients ask for. */
export type Compression = "off" | HttpCoding;

/** The server's environment for a phase: compression on with `coding`, or explicitly off. */
export function compressionEnv(compression: Compression): Record<string, string> {
  return compression === "off" ? { LAB_COMPRESS: "off", LAB_WS_DEFLATE: "0" } : { LAB_COMPRESS: compression, LAB_WS_DEFLATE: "1" };
}

export const SCENARIO_NAMES = ["idle", "chat", "burst", "fanout", "large", "scale", "failover"] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export const PUBLISH_VIAS = ["http", "ws", "stomp"] as const;
export type PublishVia = (typeof PUBLISH_VIAS)[number];

/** The workload, identical for every transport of a run. */
export interface Workload {
  /** Subscribers per transport. */
  clients: number;
  /** Messages per second on average; 0 publishes nothing (idle). */
  rate: number;
  /** Messages published at the same scheduled instant; 1 is a steady stream. */
  burstSize: number;
  durationMs: number;
  warmupMs: number;
  /** Characters of message text. */
  size: number;
  /** Short polling: one request this often per client, as a browser's setInterval would. */
  pollIntervalMs: number;
  /** Long polling: the `timeout` each request asks for. */
  longPollTimeoutMs: number;
  /**
   * Publish over HTTP POST; or, for the WebSocket transport, over a WebSocket of its own (`ws`); or,
   * for the STOMP transports, by SEND to /app/chat over a STOMP session of its own (`stomp`).
   */
  publishVia: PublishVia;
}

export interface BenchConfig extends Workload {
  scenario: ScenarioName;
  /**
   * `--cluster N` (and `failover`, with 3 by default): N instances sharing a Redis feed behind
   * HAProxy (scripts/cluster/), which every client goes through; absent: one in-memory server.
   */
  cluster?: number;
  /** The five in the lab's order, then STOMP's two when asked for (never by default). */
  transports: BenchTransport[];
  /**
   * `--sockjs-transport`: the SockJS sub-transports the stomp-sockjs phases run over, one phase each
   * per round; absent: websocket alone (what sockjs-client picks first where WebSocket works).
   */
  sockjsTransports?: SockjsSubTransport[];
  /** Subscriber threads; 0 picks from the client count. */
  workers: number;
  /** Each autocannon run's duration; 0 skips autocannon. */
  autocannonMs: number;
  /** Give up waiting for stragglers this long after the last publish. */
  drainTimeoutMs: number;
  /** Times each transport's phase runs, each against a fresh server process. */
  repeat: number;
  /** `scale` only: subscribers per transport at each step of the ramp, ascending (the last is `clients`). */
  steps?: number[];
  /** `--baseline`: every phase alternated with the bare reference servers (scripts/bench/baselines/). */
  baseline?: boolean;
  /** `--http`: the HTTP versions every transport runs over, in order; absent: HTTP/1.1 alone. */
  http?: HttpVersion[];
  /** `--tls`: HTTP/1.1 over TLS instead of plaintext (HTTP/2 is always over TLS); absent: plaintext. */
  tls?: boolean;
  /** `--headers`: the request headers the subscribers send; absent: `minimal`, as in runs made before the option. */
  headers?: HeaderSet;
  /**
   * `--compress`: every transport's phase runs uncompressed and compressed in each round, the HTTP
   * transports with this coding (LAB_COMPRESS), WebSocket with permessage-deflate (LAB_WS_DEFLATE=1).
   */
  compress?: HttpCoding;
  /** `--network`, `--rtt`, `--down`, `--up`: the emulated link in front of the server for every subscriber; absent: direct. */
  network?: { name: string; profile: LinkProfile };
  /** `--h2-shared`: the HTTP/2 clients of each subscriber thread share one connection, as one tab's streams do. */
  h2Shared?: boolean;
}

/** The versions a run goes through: HTTP/1.1 alone for runs made before `--http`. */
export function httpVersionsOf(config: Pick<BenchConfig, "http">): HttpVersion[] {
  return config.http ?? ["1.1"];
}

export const SCENARIOS: Record<ScenarioName, { description: string; workload: Workload }> = {
  idle: {
    description: "clients connected, no messages: the cost of staying connected",
    workload: {
      clients: 50,
      rate: 0,
      burstSize: 1,
      durationMs: 30_000,
      warmupMs: 2_000,
      size: 0,
      pollIntervalMs: 1_000,
      longPollTimeoutMs: 25_000,
      publishVia: "http",
    },
  },
  chat: {
    description: "steady small messages",
    workload: {
      clients: 100,
      rate: 10,
      burstSize: 1,
      durationMs: 20_000,
      warmupMs: 3_000,
      size: 100,
      pollIntervalMs: 1_000,
      longPollTimeoutMs: 25_000,
      publishVia: "http",
    },
  },
  burst: {
    description: "bursts of 50 messages at once: tail latency and batching",
    workload: {
      clients: 50,
      rate: 20,
      burstSize: 50,
      durationMs: 20_000,
      warmupMs: 3_000,
      size: 100,
      pollIntervalMs: 1_000,
      longPollTimeoutMs: 25_000,
      publishVia: "http",
    },
  },
  fanout: {
    description: "many subscribers, few messages",
    workload: {
      clients: 1_000,
      rate: 2,
      burstSize: 1,
      durationMs: 20_000,
      warmupMs: 5_000,
      size: 100,
      pollIntervalMs: 2_000,
      longPollTimeoutMs: 25_000,
      publishVia: "http",
    },
  },
  large: {
    description: "big messages (32 KiB of text)",
    workload: {
      clients: 20,
      rate: 5,
      burstSize: 1,
      durationMs: 20_000,
      warmupMs: 3_000,
      size: 32_768,
      pollIntervalMs: 1_000,
      longPollTimeoutMs: 25_000,
      publishVia: "http",
    },
  },
  // A 5 s long-poll timeout, like the 5 s heartbeat and ping scale/plan.ts gives the server, keeps each step's idle window at 10 s.
  scale: {
    description: "subscribers ramped per transport up to 10,000: memory and idle CPU per connection, latency at 1 msg/s, where it breaks",
    workload: {
      clients: 10_000,
      rate: 1,
      burstSize: 1,
      durationMs: 10_000,
      warmupMs: 2_000,
      size: 100,
      pollIntervalMs: 1_000,
      longPollTimeoutMs: 5_000,
      publishVia: "http",
    },
  },
  // Long polls ask for less than the 25 s default, so one held on a killed instance is not what decides the recovery time.
  failover: {
    description:
      "subscribers through a load balancer in front of three instances sharing a Redis feed, while one instance is killed, and separately Redis restarted: what is lost, repeated or reordered",
    workload: {
      clients: 20,
      rate: 20,
      burstSize: 1,
      durationMs: 15_000,
      warmupMs: 0,
      size: 100,
      pollIntervalMs: 1_000,
      longPollTimeoutMs: 10_000,
      publishVia: "http",
    },
  },
};

export function defaultConfig(scenario: ScenarioName): BenchConfig {
  return {
    scenario,
    transports: [...TRANSPORTS],
    workers: 0,
    autocannonMs: 5_000,
    drainTimeoutMs: 10_000,
    repeat: 3,
    ...SCENARIOS[scenario].workload,
    // A ramp is one long phase per transport: no repeats, no autocannon, a shorter wait for stragglers.
    ...(scenario === "scale" ? { repeat: 1, autocannonMs: 0, drainTimeoutMs: 5_000 } : {}),
    // One phase per transport and fault, against one cluster; STOMP's two too (over SockJS's websocket).
    ...(scenario === "failover" ? { repeat: 1, autocannonMs: 0, drainTimeoutMs: 20_000, cluster: 3, transports: [...BENCH_TRANSPORTS] } : {}),
  };
}

/** Messages published in `durationMs`, whole bursts only. */
export function messageCount(workload: Pick<Workload, "rate" | "burstSize">, durationMs: number): number {
  if (workload.rate <= 0) return 0;
  const bursts = Math.round((workload.rate * durationMs) / 1000 / workload.burstSize);
  return bursts * workload.burstSize;
}

/** When message `index` is due, in ms after the schedule starts: open loop, never waiting for answers. */
export function scheduledOffsetMs(workload: Pick<Workload, "rate" | "burstSize">, index: number): number {
  const burst = Math.floor(index / workload.burstSize);
  return (burst * workload.burstSize * 1000) / workload.rate;
}

/** Subscriber threads: enough that none holds more than 250 clients, at most one per core. */
export function workerCount(config: Pick<BenchConfig, "workers" | "clients">, cores: number): number {
  if (config.workers > 0) return Math.min(config.workers, config.clients);
  return Math.max(1, Math.min(Math.ceil(config.clients / 250), cores));
}

/**
 * Child server settings the workload needs. The server's abuse limits (held connections per IP,
 * publish rate) exist for browsers on the open network; every bench client comes from one loopback
 * address, so they are lifted, or the bench would measure the limiter instead of the transport.
 * Big messages need a bigger body and text limit.
 */
export function serverEnvFor(workload: Workload): Record<string, string> {
  const env: Record<string, string> = {
    LAB_MAX_HELD_CONNECTIONS: "1000000",
    LAB_MAX_HELD_PER_IP: "1000000",
    LAB_PUBLISH_RATE_MAX: "1000000000",
  };
  if (workload.size > 2_000) {
    env.LAB_MAX_TEXT_LENGTH = String(workload.size);
    env.LAB_BODY_LIMIT = String(workload.size + 4_096);
    env.LAB_WS_MAX_PAYLOAD = String(Math.min(1024 * 1024, workload.size + 4_096));
  }
  if (workload.longPollTimeoutMs > 60_000) env.LAB_LONG_POLL_MAX_MS = String(workload.longPollTimeoutMs);
  return env;
}
