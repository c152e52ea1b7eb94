import type { Metered, SockjsSubTransport } from "../../protocol/types.js";
import type { BenchEvents, Stage } from "./events.js";
import { mergeEncoded, encode, summarize, timeline } from "./measure/histogram.js";
import { diffCounts, sumCounts } from "./measure/socket-counter.js";
import { epochNow, ThreadLoadMonitor } from "./measure/thread-load.js";
import { httpChannel, stompChannel, wsChannel } from "./publish-channel.js";
import { Publisher } from "./publisher.js";
import type { TransportRun } from "./results.js";
import { saturationReasons } from "./measure/saturation.js";
import { messageCount, workerCount, type BenchConfig, type Compression } from "./scenarios.js";
import type { ServerHandle } from "./server-process.js";
import { fetchStats, serverDelta, waitForOpen } from "./server-stats.js";
import { splitClients, WorkerPool } from "./worker-pool.js";
import type { Wire } from "./wire.js";
import { isStomp, type BenchTransport } from "./transports.js";
import { publisherMeteredAs } from "./results.js";

export interface PhaseContext {
  config: BenchConfig;
  server: ServerHandle;
  cores: number;
  events: BenchEvents;
  /** What the subscribers speak; absent: plaintext HTTP/1.1 (publishing and stats always are). */
  wire?: Wire;
  /** `--network`: the link's URL, which the subscribers connect to instead of the server's. */
  linkUrl?: string;
  /** `--compress`: what this phase's server compresses with; the clients ask for it and decompress. */
  compression?: Compression;
  /** stomp-sockjs: the SockJS sub-transport of this phase. */
  sockjs?: SockjsSubTransport;
}

/** Transports whose clients hold a request or connection open, visible in the server's `open` count. */
const HELD: ReadonlySet<BenchTransport> = new Set<BenchTransport>(["long-poll", "stream", "sse", "ws", "stomp-ws", "stomp-sockjs"]);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One transport's phase: connect every subscriber, warm up, measure a window of scheduled
 * publishes until every subscriber has every message (or the drain gives up), close, and compare
 * what both ends counted.
 */
export async function runTransport(ctx: PhaseContext, transport: BenchTransport): Promise<TransportRun> {
  const { config, server, events, wire } = ctx;
  // Publishing and the bench's own stats requests stay on the plain listener, the same in every phase.
  const url = server.url;
  const origin = ctx.linkUrl ?? (wire?.tls === true ? server.secureUrl : url);
  if (origin === undefined) throw new Error(`${transport}: the phase needs TLS, but the server was started without its TLS listener`);
  const measuredCount = messageCount(config, config.durationMs);
  const warmupCount = messageCount(config, config.warmupMs);
  const shares = splitClients(config.clients, workerCount(config, ctx.cores));
  // One message waits in the feed before the subscribers start, and each asks for what follows the
  // id before it: its arrival times the connect, handshakes, request and answer (time to first message).
  const primer = httpChannel(url);
  const primed = await primer.send({ from: "bench", text: "first message", nonce: "first" });
  await primer.close();
  if (primed !== true) throw new Error(`${transport}: the first message was refused: ${primed}`);
  const before = await fetchStats(url);
  const baselineOpen = before.transports[transport].open;
  const rssBefore = await server.probe?.sample();
  const pool = new WorkerPool(shares, {
    transport,
    origin,
    ...(wire !== undefined ? { wire } : {}),
    ...(config.headers !== undefined ? { headers: config.headers } : {}),
    ...(ctx.compression !== undefined && ctx.compression !== "off" ? { acceptEncoding: ctx.compression } : {}),
    ...(ctx.sockjs !== undefined ? { sockjs: ctx.sockjs } : {}),
    after: before.feed.lastId - 1,
    measuredCount,
    pollIntervalMs: config.pollIntervalMs,
    longPollTimeoutMs: config.longPollTimeoutMs,
  });
  const publishVia = config.publishVia === "ws" && transport === "ws" ? "ws" : config.publishVia === "stomp" && isStomp(transport) ? "stomp" : "http";
  // Where the server meters the publisher: its own key, or the phase's transport (then both ends' phase counts include it).
  const publishKey: Metered = publisherMeteredAs(publishVia);
  // A compression run publishes chat-like words: one repeated character would flatter every coding.
  const varied = config.compress !== undefined;
  let publisher = new Publisher(httpChannel(url), config, varied);
  const mainLoad = new ThreadLoadMonitor("publisher (main thread)");
  let expected = 0;
  let stage: Stage = "connecting";
  let windowStart = epochNow();
  const tick = (): void => {
    if (pool.error !== null) throw pool.error;
    const fraction = stage === "measuring" || stage === "draining" ? Math.min(1, (epochNow() - windowStart) / config.durationMs) : 0;
    events.tick({ transport, stage, fraction, delivered: pool.delivered.measured, expected });
  };
  const ticker = setInterval(() => {
    try {
      tick();
    } catch {
      // the failure is raised by the next wait
    }
  }, 250);

  try {
    await pool.ready(30_000 + config.clients * 20);
    if (HELD.has(transport)) await waitForOpen(url, transport, (open) => open >= baselineOpen + config.clients, 15_000);
    const rssConnected = await server.probe?.sample();
    // Opened after the subscribers, so it is not mistaken for one of them in the open count.
    if (publishVia !== "http") {
      await publisher.close();
      publisher = new Publisher(publishVia === "ws" ? await wsChannel(url, before.feed.lastId) : await stompChannel(url), config, varied);
    }

    stage = "warmup";
    if (warmupCount > 0) {
      const stored = await publisher.run("w", warmupCount, epochNow() + 10);
      await waitUntil(() => pool.delivered.warmup >= stored * config.clients, config.drainTimeoutMs, pool);
    } else {
      await sleep(config.warmupMs);
    }

    stage = "measuring";
    // The server's CPU is read inside the two stats snapshots, not around them: answering the
    // bench's own /api/stats (a walk over every open socket's counters, a few ms at 1,000
    // connections) is not the transport's cost, and the bare server's is nearly free.
    const statsBefore = await fetchStats(url);
    server.probe?.reset();
    const cpuBefore = await server.probe?.sample();
    const generatorCpu = process.cpuUsage();
    windowStart = epochNow() + 20;
    const clientBefore = sumCounts(await pool.windowStart(windowStart));
    mainLoad.reset();
    publisher.lag.reset();
    let stored = 0;
    if (measuredCount > 0) {
      expected = measuredCount * config.clients;
      stored = await publisher.run("m", measuredCount, windowStart);
      expected = stored * config.clients;
      stage = "draining";
      await waitUntil(() => pool.delivered.measured >= expected, config.drainTimeoutMs, pool);
    }
    // Every transport's window spans the same time (the schedule, then one poll period and a margin
    // for the last messages to arrive), so per-second figures compare like with like; only a
    // transport still missing messages then keeps it open longer, until the drain timeout.
    const tail = config.rate > 0 ? config.pollIntervalMs + 500 : 0;
    await sleep(Math.max(0, windowStart + config.durationMs + tail - epochNow()));
    const windowMs = epochNow() - windowStart;
    const ended = await pool.windowEnd();
    const cpuAfter = await server.probe?.sample();
    const cpu = process.cpuUsage(generatorCpu);
    const statsAfter = await fetchStats(url);
    const threads = [mainLoad.read(), ...ended.loads];

    stage = "closing";
    const finals = await pool.stop();
    await publisher.close();
    await waitForOpen(url, transport, (open) => open <= baselineOpen, 5_000);
    const after = await fetchStats(url);

    const latency = mergeEncoded(finals.map((f) => f.histogram));
    const firstMessage = mergeEncoded(finals.map((f) => f.firstMessage));
    const perSecond = new Map<number, string[]>();
    for (const f of finals) for (const [second, h] of f.perSecond) perSecond.set(second, [...(perSecond.get(second) ?? []), h]);
    const delivered = finals.reduce((n, f) => n + f.delivered, 0);
    const sum = (pick: (f: (typeof finals)[number]) => number): number => finals.reduce((n, f) => n + pick(f), 0);
    const lag = summarize(publisher.lag);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const errorSamples = [...publisher.errorSamples, ...finals.flatMap((f) => f.errorSamples)];
    for (const line of errorSamples) events.log(`${transport}: ${line}`);

    const publishCounts = publisher.channel.counter.snapshot();
    const subscriberCounts = finals.map((f) => f.counts);
    const run: TransportRun = {
      transport,
      ...(ctx.sockjs !== undefined ? { sockjs: ctx.sockjs } : {}),
      ...(wire !== undefined ? { wire } : {}),
      publishVia,
      clients: config.clients,
      workers: shares.length,
      windowMs,
      published: { warmup: warmupCount, measured: stored, errors: publisher.errors },
      delivery: {
        expected,
        delivered,
        lost: Math.max(0, expected - delivered),
        duplicated: sum((f) => f.duplicated),
        outOfOrder: sum((f) => f.outOfOrder),
        resets: sum((f) => f.resets),
        protocolErrors: sum((f) => f.protocolErrors),
        reconnects: sum((f) => f.reconnects),
      },
      latency: { summary: summarize(latency), histogram: encode(latency), timeline: timeline(perSecond) },
      window: { client: diffCounts(sumCounts(ended.counts), clientBefore), server: serverDelta(statsAfter, statsBefore, transport) },
      phase: {
        client: sumCounts(publishKey === transport ? [...subscriberCounts, publishCounts] : subscriberCounts),
        server: serverDelta(after, before, transport),
      },
      publish: { client: publishCounts, server: serverDelta(after, before, publishKey) },
      ...(rssBefore !== undefined && rssConnected !== undefined
        ? { serverMemory: { beforeRssBytes: rssBefore.rssBytes, connectedRssBytes: rssConnected.rssBytes } }
        : {}),
      messageJsonBytes: sum((f) => f.jsonCount) > 0 ? sum((f) => f.jsonBytes) / sum((f) => f.jsonCount) : 0,
      server:
        cpuBefore !== undefined && cpuAfter !== undefined
          ? {
              cpuUserMs: (cpuAfter.cpuUserUs - cpuBefore.cpuUserUs) / 1000,
              cpuSystemMs: (cpuAfter.cpuSystemUs - cpuBefore.cpuSystemUs) / 1000,
              peakRssBytes: cpuAfter.peakRssBytes,
              eventLoopDelayP99Ms: cpuAfter.delayP99Ms,
              eventLoopDelayMaxMs: cpuAfter.delayMaxMs,
            }
          : null,
      generator: {
        cpuMs,
        wallMs: windowMs,
        threads,
        publishLagP99Ms: lag.p99,
        publishLagMaxMs: lag.max,
        saturated: false,
        reasons: [],
      },
    };
    run.firstMessage = { summary: summarize(firstMessage), histogram: encode(firstMessage) };
    latency.destroy();
    firstMessage.destroy();
    run.generator.reasons = saturationReasons({ threads, publishLagP99Ms: lag.p99, cpuMs, wallMs: windowMs, cores: ctx.cores });
    run.generator.saturated = run.generator.reasons.length > 0;
    return run;
  } finally {
    clearInterval(ticker);
    mainLoad.stop();
    await publisher.close();
    await pool.terminate();
  }
}

/** Polls `done` until true; a timeout is not an error (what is missing is reported as lost). */
async function waitUntil(done: () => boolean, timeoutMs: number, pool: WorkerPool): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) {
    if (pool.error !== null) throw pool.error;
    await sleep(20);
  }
}
