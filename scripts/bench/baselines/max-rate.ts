import type { Transport } from "../../../protocol/types.js";
import { mergeEncoded, summarize } from "../measure/histogram.js";
import { saturationReasons } from "../measure/saturation.js";
import { epochNow, ThreadLoadMonitor } from "../measure/thread-load.js";
import { httpChannel } from "../publish-channel.js";
import type { PhaseContext } from "../run-transport.js";
import { workerCount } from "../scenarios.js";
import { fetchStats, waitForOpen } from "../server-stats.js";
import { splitClients, WorkerPool } from "../worker-pool.js";
import { makeNonce } from "../worker-protocol.js";
import type { MaxRateSample } from "./types.js";

/** Messages published but not yet delivered to every subscriber: enough to keep the pipe full between progress reports. */
export const IN_FLIGHT = 64;
/** Workers report progress this often in a max-rate phase: the publisher's feedback. */
const PROGRESS_MS = 20;
/** The seen-bitmap each subscriber keeps is this many messages long; publishing stops there. */
const MAX_MESSAGES = 20_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * How many messages the closed-loop publisher may send now: it keeps at most `inFlight` messages
 * whose deliveries have not all been counted, judged on the whole pool's count (a few slow
 * subscribers behind many fast ones still hold it back, by their share).
 */
export function allowance(published: number, delivered: number, clients: number, inFlight: number): number {
  return Math.max(0, inFlight - (published - Math.floor(delivered / clients)));
}

/**
 * Maximum-rate phase: the subscribers of one transport connect, then the publisher publishes as fast
 * as the deliveries come back (closed loop, `IN_FLIGHT` messages ahead), for a warm-up and then
 * the measured window; the window ends when every message published in it reached every subscriber.
 * Deliveries per second and server CPU per delivery over that window are what the comparison uses;
 * whether the server's thread or the generator was the limit is recorded beside them.
 */
export async function runMaxRate(ctx: PhaseContext, transport: Transport): Promise<MaxRateSample> {
  const { config, server } = ctx;
  const url = server.url;
  const clients = config.clients;
  const shares = splitClients(clients, workerCount(config, ctx.cores));
  const before = await fetchStats(url);
  const pool = new WorkerPool(shares, {
    transport,
    origin: url,
    after: before.feed.lastId,
    measuredCount: MAX_MESSAGES,
    pollIntervalMs: config.pollIntervalMs,
    longPollTimeoutMs: config.longPollTimeoutMs,
    progressMs: PROGRESS_MS,
  });
  const channel = httpChannel(url);
  const text = "x".repeat(config.size);
  const mainLoad = new ThreadLoadMonitor("publisher (main thread)");
  let errors = 0;
  const send = (tag: "w" | "m", seq: number): Promise<void> =>
    channel.send({ from: "bench", text, nonce: makeNonce(tag, seq, Math.round(epochNow() * 1000)) }).then((result) => {
      if (result !== true) errors++;
    });
  /** Publishes in a closed loop until `untilMs`; resolves with how many were sent once all are answered. */
  const loop = async (tag: "w" | "m", untilMs: number, delivered: () => number): Promise<number> => {
    const answers: Promise<void>[] = [];
    let published = 0;
    while (epochNow() < untilMs && published < MAX_MESSAGES) {
      if (pool.error !== null) throw pool.error;
      for (let n = allowance(published, delivered(), clients, IN_FLIGHT); n > 0 && published < MAX_MESSAGES; n--) answers.push(send(tag, published++));
      await sleep(1);
    }
    await Promise.all(answers);
    return published;
  };
  const drain = async (expected: () => number, delivered: () => number): Promise<void> => {
    const deadline = Date.now() + config.drainTimeoutMs;
    while (delivered() < expected() && Date.now() < deadline) {
      if (pool.error !== null) throw pool.error;
      await sleep(5);
    }
  };
  try {
    await pool.ready(30_000 + clients * 20);
    if (transport !== "poll") await waitForOpen(url, transport, (open) => open >= before.transports[transport].open + clients, 15_000);
    const warm = await loop("w", epochNow() + config.warmupMs, () => pool.delivered.warmup);
    await drain(
      () => warm * clients,
      () => pool.delivered.warmup,
    );

    server.probe?.reset();
    const cpuBefore = await server.probe?.sample();
    const generatorCpu = process.cpuUsage();
    const windowStart = epochNow() + 5;
    await pool.windowStart(windowStart);
    mainLoad.reset();
    const published = await loop("m", windowStart + config.durationMs, () => pool.delivered.measured);
    await drain(
      () => published * clients,
      () => pool.delivered.measured,
    );
    const windowMs = epochNow() - windowStart;
    const ended = await pool.windowEnd();
    const cpuAfter = await server.probe?.sample();
    const cpu = process.cpuUsage(generatorCpu);
    const threads = [mainLoad.read(), ...ended.loads];
    const finals = await pool.stop();

    const sum = (pick: (f: (typeof finals)[number]) => number): number => finals.reduce((n, f) => n + pick(f), 0);
    const latency = mergeEncoded(finals.map((f) => f.histogram));
    const p99Ms = summarize(latency).p99;
    latency.destroy();
    const delivered = sum((f) => f.delivered);
    const generatorCpuMs = (cpu.user + cpu.system) / 1000;
    const serverCpuMs =
      cpuBefore !== undefined && cpuAfter !== undefined ? (cpuAfter.cpuUserUs - cpuBefore.cpuUserUs + cpuAfter.cpuSystemUs - cpuBefore.cpuSystemUs) / 1000 : 0;
    // No schedule to be late against in a closed loop: the publisher's lag is not a reason here.
    const reasons = saturationReasons({ threads, publishLagP99Ms: 0, cpuMs: generatorCpuMs, wallMs: windowMs, cores: ctx.cores });
    if (errors > 0) reasons.push(`${errors} publishes failed`);
    return {
      inFlight: IN_FLIGHT,
      published,
      expected: published * clients,
      delivered,
      lost: Math.max(0, published * clients - delivered),
      duplicated: sum((f) => f.duplicated),
      outOfOrder: sum((f) => f.outOfOrder),
      windowMs,
      deliveriesPerSecond: windowMs > 0 ? (delivered * 1000) / windowMs : 0,
      serverCpuMs,
      serverCores: windowMs > 0 ? serverCpuMs / windowMs : 0,
      generatorCpuMs,
      threads,
      p99Ms,
      generator: { saturated: reasons.length > 0, reasons },
    };
  } finally {
    mainLoad.stop();
    await channel.close();
    await pool.terminate();
  }
}
