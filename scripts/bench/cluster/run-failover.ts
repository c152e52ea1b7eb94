import { loadavg } from "node:os";
import { Pool, request } from "undici";
import type { ChatMessage } from "../../../protocol/types.js";
import { type Cluster, startCluster } from "../../cluster/cluster.js";
import type { CliOptions } from "../args.js";
import { startPolling } from "../clients/poll.js";
import { startStomp } from "../clients/stomp.js";
import { startStreaming } from "../clients/streaming.js";
import type { Subscriber, SubscriberOptions } from "../clients/subscriber.js";
import { startWebSocket } from "../clients/websocket.js";
import type { BenchEvents } from "../events.js";
import { machine, versions } from "../machine.js";
import { SocketCounter } from "../measure/socket-counter.js";
import { RESULTS_SCHEMA, type BenchResults } from "../results.js";
import { serverEnvFor } from "../scenarios.js";
import type { BenchTransport } from "../transports.js";
import type { FailoverPhase, Fault } from "./failover-results.js";

const FAULTS: readonly Fault[] = ["instance", "redis"];
/** How long Redis stays away in a `redis` phase. */
export const REDIS_DOWN_MS = 2_000;
/** Where in the publishing window the fault comes, and (for a killed instance) how long it stays down, as shares of the window. */
const FAULT_AT = 0.35;
const INSTANCE_DOWN = 0.3;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Every receipt of one subscriber, in order, with its time. */
interface Receipts {
  ids: number[];
  at: number[];
  resets: number;
  reconnects: number;
  errors: number;
}

/** STOMP over SockJS uses its websocket sub-transport (the default): its HTTP fallbacks keep a session per instance, which HAProxy pins by URL. */
function subscribe(transport: BenchTransport, options: SubscriberOptions): Subscriber {
  if (transport === "poll" || transport === "long-poll") return startPolling(options, transport);
  if (transport === "stream" || transport === "sse") return startStreaming(options, transport);
  if (transport === "stomp-ws" || transport === "stomp-sockjs") return startStomp(options, transport);
  return startWebSocket(options);
}

/**
 * `--scenario failover`: for each transport, its subscribers connect through the load balancer and
 * a publisher publishes through it at the workload's rate; mid-window one instance is killed
 * (SIGKILL, started again a while later) and, in a second phase, Redis is stopped and started again
 * on its append-only file. Afterwards every subscriber's receipts are compared with what was
 * acknowledged: lost, duplicated, out of order, resets, reconnects, and how long until every
 * subscriber was receiving again. One cluster serves every phase.
 */
export async function runFailover(options: CliOptions, events: BenchEvents, command: string): Promise<BenchResults> {
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0] ?? 0;
  const { config } = options;
  const instances = config.cluster ?? 3;
  const serverEnv = { ...serverEnvFor(config), ...options.serverEnv };
  events.tick({ transport: null, stage: "starting server", fraction: 0, delivered: 0, expected: 0 });
  const cluster = await startCluster({ instances, persistentRedis: true, env: serverEnv });
  const phases: FailoverPhase[] = [];
  // One for the run: sockjs-client's requests are counted per thread, by one counter (its bytes are not figures here).
  const counter = new SocketCounter();
  try {
    for (const transport of config.transports) {
      for (const fault of FAULTS) {
        events.log(
          `${transport}, ${fault === "instance" ? "an instance killed" : "Redis restarted"}: ${config.clients} clients, ${config.rate} msg/s, ${config.durationMs / 1000} s`,
        );
        phases.push(await phase(cluster, transport, fault, options, events, counter));
      }
    }
  } finally {
    await cluster.stop();
  }
  return {
    schema: RESULTS_SCHEMA,
    startedAt,
    finishedAt: new Date().toISOString(),
    command,
    config,
    target: { url: cluster.url, spawned: true, serverEnv, freshPerPhase: false },
    machine: { ...machine(), loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 } },
    versions: await versions(),
    transports: [],
    autocannon: [],
    failover: { instances: cluster.instances.map((i) => i.name), redisPersistence: "append-only file, fsync on every write", phases },
  };
}

async function phase(
  cluster: Cluster,
  transport: BenchTransport,
  fault: Fault,
  options: CliOptions,
  events: BenchEvents,
  counter: SocketCounter,
): Promise<FailoverPhase> {
  const { config } = options;
  await waitUntilPublishing(cluster.url);
  const after = await lastId(cluster.url);
  const receipts: Receipts[] = [];
  const subscribers: Subscriber[] = [];
  for (let i = 0; i < config.clients; i++) {
    const r: Receipts = { ids: [], at: [], resets: 0, reconnects: 0, errors: 0 };
    receipts.push(r);
    subscribers.push(
      subscribe(transport, {
        origin: cluster.url,
        after,
        counter,
        pollIntervalMs: config.pollIntervalMs,
        longPollTimeoutMs: config.longPollTimeoutMs,
        ...(config.headers !== undefined ? { headers: config.headers } : {}),
        index: i,
        sink: {
          message: (message: ChatMessage) => {
            r.ids.push(message.id);
            r.at.push(performance.now());
          },
          reset: () => r.resets++,
          error: () => r.errors++,
          reconnect: () => r.reconnects++,
        },
      }),
    );
  }
  const publisher = new Pool(cluster.url, { connections: 4 });
  const acked: { id: number; at: number }[] = [];
  let refused = 0;
  try {
    await Promise.all(subscribers.map((s) => s.ready));
    const openBefore: Record<string, number> = {};
    const start = performance.now();
    const faultAt = start + config.durationMs * FAULT_AT;
    let faultDone: Promise<{ downMs: number; endedAt: number }> | null = null;
    let faultTime = 0;
    const victim = cluster.instances[1 % cluster.instances.length];
    const intervalMs = 1000 / Math.max(1, config.rate);
    const inFlight: Promise<void>[] = [];
    for (let i = 0; performance.now() < start + config.durationMs; i++) {
      const due = start + i * intervalMs;
      await sleep(Math.max(0, due - performance.now()));
      if (faultDone === null && performance.now() >= faultAt) {
        for (const instance of cluster.instances) openBefore[instance.name] = await openConnections(instance.url, transport);
        faultTime = performance.now();
        faultDone = injectFault(cluster, fault, victim, config.durationMs);
      }
      // Open loop: a slow or refused publish does not hold back the next.
      inFlight.push(
        publishOne(publisher, i).then(
          (id) => {
            if (id === null) refused++;
            else acked.push({ id, at: performance.now() });
          },
          () => {
            refused++;
          },
        ),
      );
      events.tick({ transport, stage: "measuring", fraction: (performance.now() - start) / config.durationMs, delivered: 0, expected: 0 });
    }
    await Promise.all(inFlight);
    const { downMs, endedAt } = faultDone === null ? { downMs: 0, endedAt: 0 } : await faultDone;
    const last = Math.max(after, ...acked.map((a) => a.id));
    const drainUntil = performance.now() + config.drainTimeoutMs;
    while (performance.now() < drainUntil && !receipts.every((r) => r.ids.includes(last))) await sleep(50);
    return summarize({
      transport,
      fault,
      config,
      receipts,
      acked,
      refused,
      faultTime,
      faultEnd: endedAt,
      start,
      downMs,
      openBefore,
      victim: fault === "instance" ? victim?.name : undefined,
      after,
    });
  } finally {
    await Promise.all(subscribers.map((s) => s.stop()));
    await publisher.close();
    // The next phase starts with every instance up.
    for (const instance of cluster.instances) if (instance.child === null) await instance.start();
  }
}

/**
 * The fault, and what undoes it. Resolves with how long the victim was down and when the outage
 * ended for the clients: Redis back (a `redis` fault), or the kill itself (an `instance` fault: the
 * balancer sends everything to the others from then on; the instance's return changes nothing for them).
 */
async function injectFault(
  cluster: Cluster,
  fault: Fault,
  victim: Cluster["instances"][number] | undefined,
  durationMs: number,
): Promise<{ downMs: number; endedAt: number }> {
  const began = performance.now();
  if (fault === "redis") {
    await cluster.redis.stop();
    await sleep(REDIS_DOWN_MS);
    await cluster.redis.start();
    return { downMs: performance.now() - began, endedAt: performance.now() };
  }
  if (victim === undefined) return { downMs: 0, endedAt: began };
  await victim.stop("SIGKILL");
  const endedAt = performance.now();
  await sleep(durationMs * INSTANCE_DOWN);
  const downMs = performance.now() - began;
  await victim.start();
  return { downMs, endedAt };
}

async function publishOne(pool: Pool, i: number): Promise<number | null> {
  const response = await pool.request({
    method: "POST",
    path: "/api/messages",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ from: "bench", text: `failover ${i}`, nonce: `f${i}` }),
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const text = await response.body.text();
  return response.statusCode === 201 ? (JSON.parse(text) as ChatMessage).id : null;
}

async function lastId(url: string): Promise<number> {
  const response = await request(`${url}/api/stats`);
  return ((await response.body.json()) as { feed: { lastId: number } }).feed.lastId;
}

async function openConnections(instanceUrl: string, transport: BenchTransport): Promise<number> {
  try {
    const response = await request(`${instanceUrl}/api/stats`, { headersTimeout: 2_000 });
    const stats = (await response.body.json()) as { transports: Record<string, { open?: number }> };
    return stats.transports[transport]?.open ?? 0;
  } catch {
    return 0;
  }
}

/** After a Redis restart the instances reconnect by themselves: a phase starts once a publish is acknowledged again. */
async function waitUntilPublishing(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  const pool = new Pool(url, { connections: 1 });
  try {
    while (Date.now() < deadline) {
      // Several in a row, so that every instance behind the round-robin has taken one.
      let ok = 0;
      for (let i = 0; i < 6; i++) if ((await publishOne(pool, -1).catch(() => null)) !== null) ok++;
      if (ok === 6) return;
      await sleep(200);
    }
    throw new Error("the cluster did not acknowledge publishes again within 30 s");
  } finally {
    await pool.close();
  }
}

interface PhaseData {
  transport: BenchTransport;
  fault: Fault;
  config: CliOptions["config"];
  receipts: Receipts[];
  acked: { id: number; at: number }[];
  refused: number;
  faultTime: number;
  /** When the outage ended for the clients (see injectFault). */
  faultEnd: number;
  start: number;
  downMs: number;
  openBefore: Record<string, number>;
  victim: string | undefined;
  after: number;
}

/** Every figure of a phase, from the raw receipts: a pure function of what was recorded. */
export function summarize(d: PhaseData): FailoverPhase {
  const ackedIds = new Set(d.acked.map((a) => a.id));
  let lost = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  const unacked = new Set<number>();
  for (const r of d.receipts) {
    const seen = new Set<number>();
    let max = d.after;
    for (const id of r.ids) {
      if (seen.has(id)) duplicated++;
      else if (id < max) outOfOrder++;
      seen.add(id);
      max = Math.max(max, id);
    }
    for (const id of ackedIds) if (!seen.has(id)) lost++;
    for (const id of seen) if (!ackedIds.has(id)) unacked.add(id);
  }
  // The first message acknowledged once the outage was over: when did each subscriber have it?
  const firstAfter = d.acked.filter((a) => a.at > d.faultEnd).sort((a, b) => a.id - b.id)[0];
  const recoveries =
    firstAfter === undefined
      ? []
      : d.receipts
          .map((r) => {
            const index = r.ids.findIndex((id) => id >= firstAfter.id);
            return index < 0 ? null : (r.at[index] ?? 0) - d.faultEnd;
          })
          .filter((ms): ms is number => ms !== null)
          .sort((a, b) => a - b);
  const gaps = d.receipts.map((r) => longestGap(r.at)).sort((a, b) => a - b);
  const ackTimes = d.acked.map((a) => a.at).sort((a, b) => a - b);
  return {
    transport: d.transport,
    fault: d.fault,
    clients: d.receipts.length,
    faultAtMs: Math.round(d.faultTime - d.start),
    durationMs: d.config.durationMs,
    downMs: Math.round(d.downMs),
    ...(d.victim !== undefined ? { victim: d.victim } : {}),
    openBefore: d.openBefore,
    published: { acked: ackedIds.size, refused: d.refused, unackedDelivered: unacked.size },
    delivery: {
      expected: ackedIds.size * d.receipts.length,
      lost,
      duplicated,
      outOfOrder,
      resets: d.receipts.reduce((n, r) => n + r.resets, 0),
      reconnects: d.receipts.reduce((n, r) => n + r.reconnects, 0),
    },
    publishGapMs: Math.round(longestGap(ackTimes)),
    deliveryGapMs: gaps.length === 0 ? null : { p50: Math.round(gaps[Math.floor(gaps.length / 2)] ?? 0), max: Math.round(gaps[gaps.length - 1] ?? 0) },
    recoveryMs:
      recoveries.length === 0
        ? null
        : { p50: Math.round(recoveries[Math.floor(recoveries.length / 2)] ?? 0), max: Math.round(recoveries[recoveries.length - 1] ?? 0) },
  };
}

/** The longest time between two consecutive moments (sorted ascending). */
function longestGap(times: readonly number[]): number {
  let longest = 0;
  for (let i = 1; i < times.length; i++) longest = Math.max(longest, (times[i] ?? 0) - (times[i - 1] ?? 0));
  return longest;
}
