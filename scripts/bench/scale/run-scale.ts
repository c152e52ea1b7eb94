import { readFileSync } from "node:fs";
import { isPlainTransport } from "../transports.js";
import { availableParallelism, loadavg } from "node:os";
import type { Transport } from "../../../protocol/types.js";
import { resolveConfig } from "../../../server/config.js";
import { stepSummary } from "../../report/scale-figures.js";
import type { CliOptions } from "../args.js";
import type { BenchEvents, Stage } from "../events.js";
import { periodicCosts } from "../idle-window.js";
import { machine, versions } from "../machine.js";
import { encode, mergeEncoded, summarize } from "../measure/histogram.js";
import { epochNow, ThreadLoadMonitor } from "../measure/thread-load.js";
import { httpChannel } from "../publish-channel.js";
import { Publisher } from "../publisher.js";
import { RESULTS_SCHEMA, type BenchResults } from "../results.js";
import { messageCount, serverEnvFor, type BenchConfig } from "../scenarios.js";
import { startServer, type ServerHandle, type ServerProbe } from "../server-process.js";
import { BARE_ENTRY } from "../baselines/run-baseline.js";
import type { Side } from "../baselines/types.js";
import { ServerControl } from "./control.js";
import { readFdLimits } from "./fd-limit.js";
import { ScaleGenerator } from "./generator.js";
import { addressesPerTransport, fdNeeded, GENERATOR, idleWindowMs, planAddresses, planSteps, SCALE_SERVER_ENV, stopReason, workerCountFor } from "./plan.js";
import type { LatencyWindow, ScaleLimits, ScalePlan, ScaleStep, ScaleTransportRun } from "./results.js";
import { cpuMsOf, measureWindow } from "./window.js";

/** Transports whose clients hold a connection or request open, visible in the server's `open` gauge. */
const HELD: ReadonlySet<Transport> = new Set<Transport>(["long-poll", "stream", "sse", "ws"]);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** The scale plan from the run's options: steps, windows, generator shape. */
export function scalePlan(config: BenchConfig, serverEnv: Record<string, string>): ScalePlan {
  const steps = config.steps ?? planSteps(config.clients);
  const server = resolveConfig({}, { ...process.env, ...serverEnv });
  const costs = periodicCosts(server, config);
  const max = steps[steps.length - 1] ?? config.clients;
  const workers = workerCountFor(max, config.workers);
  return {
    steps,
    idleWindowMs: idleWindowMs(costs, config.transports.filter(isPlainTransport)),
    periodicCosts: costs,
    latencyWindowMs: config.durationMs,
    warmupMs: config.warmupMs,
    rate: config.rate,
    baselineMs: 3_000,
    workers,
    clientsPerAddress: GENERATOR.clientsPerAddress,
    addressesPerTransport: addressesPerTransport(max, workers),
    connectConcurrency: GENERATOR.connectConcurrency,
  };
}

function portRange(): [number, number] | null {
  try {
    const [lo, hi] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    return lo !== undefined && hi !== undefined && Number.isFinite(lo) && Number.isFinite(hi) ? [lo, hi] : null;
  } catch {
    return null;
  }
}

interface RampContext {
  config: BenchConfig;
  plan: ScalePlan;
  server: ServerHandle;
  probe: ServerProbe;
  cores: number;
  events: BenchEvents;
  /** How the ramp's progress lines name it: the transport, and "(bare)" for the bare server's ramp. */
  label: string;
}

/**
 * `--scenario scale`: for each transport a fresh server process, then the ramp: at each step add
 * subscribers up to the step's count, read the server's memory after a collection, measure an idle
 * window (periodic costs only), then a latency window at the fixed rate. A step that leaves more
 * than a tenth of its clients unconnected or its messages undelivered ends that transport's ramp.
 * With `--baseline`, each transport's ramp is followed by the same ramp against the bare server.
 */
export async function runScale(options: CliOptions, events: BenchEvents, command: string): Promise<BenchResults> {
  if (options.url !== undefined) throw new Error("--scenario scale starts a server process per transport and measures it from inside: --url is not supported");
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0] ?? 0;
  const config = options.config;
  const serverEnv = { ...serverEnvFor(config), ...SCALE_SERVER_ENV, ...options.serverEnv };
  const plan = scalePlan(config, serverEnv);
  const max = plan.steps[plan.steps.length - 1] ?? config.clients;
  const fd = readFdLimits();
  const limits: ScaleLimits = { fdSoft: fd.soft, fdHard: fd.hard, fdNeeded: fdNeeded(max), portRange: portRange() };
  const cores = availableParallelism();
  events.log(
    `scale: steps ${plan.steps.join(", ")} per transport; ${plan.workers} subscriber threads, ${plan.addressesPerTransport} source addresses per transport; ` +
      `idle window ${plan.idleWindowMs / 1000} s, then ${config.rate} msg/s for ${plan.latencyWindowMs / 1000} s; fd limit ${fd.soft ?? "?"} (needs ${limits.fdNeeded})`,
  );
  let firstUrl: string | undefined;
  const runs: ScaleTransportRun[] = [];
  const bare: ScaleTransportRun[] = [];
  // With --baseline each transport is ramped twice, the lab's server then the bare one, each on a
  // fresh process with the same plan and env (the bare server reads LAB_HEARTBEAT_MS and honours
  // --expose-gc); each ramp takes its own block of source addresses, as each transport does.
  const sides: readonly Side[] = config.baseline === true ? ["project", "bare"] : ["project"];
  // The ramp covers the five (args.ts refuses STOMP with --scenario scale).
  for (const [index, transport] of config.transports.filter(isPlainTransport).entries()) {
    for (const [s, side] of sides.entries()) {
      events.tick({ transport, stage: "starting server", fraction: 0, delivered: 0, expected: 0 });
      const server = side === "project" ? await startServer(serverEnv) : await startServer(serverEnv, BARE_ENTRY);
      if (side === "project") firstUrl ??= server.url;
      try {
        if (server.probe === null) throw new Error("the spawned server has no probe");
        const label = side === "project" ? transport : `${transport} (bare)`;
        const run = await ramp({ config, plan, server, probe: server.probe, cores, events, label }, transport, index * sides.length + s);
        (side === "project" ? runs : bare).push(run);
      } finally {
        await server.stop();
      }
    }
  }
  return {
    schema: RESULTS_SCHEMA,
    startedAt,
    finishedAt: new Date().toISOString(),
    command,
    config: { ...config, clients: max, steps: plan.steps },
    target: { url: firstUrl ?? "http://127.0.0.1", spawned: true, serverEnv, freshPerPhase: true },
    machine: { ...machine(), loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 } },
    versions: await versions(),
    transports: [],
    autocannon: [],
    scale: { plan, limits, transports: runs, ...(config.baseline === true ? { bare, bareWebSocketPings: true } : {}) },
  };
}

async function ramp(ctx: RampContext, transport: Transport, index: number): Promise<ScaleTransportRun> {
  const { config, plan, server, probe, events, label } = ctx;
  const url = server.url;
  const max = plan.steps[plan.steps.length - 1] ?? 0;

  const control = new ServerControl(url);
  const baseMemory = await control.memory();
  const b0 = await probe.sample();
  const bt = epochNow();
  await sleep(plan.baselineMs);
  const b1 = await probe.sample();
  const baseline = { memory: baseMemory, cpuMs: cpuMsOf(b1) - cpuMsOf(b0), wallMs: epochNow() - bt };

  const pool = new ScaleGenerator(planAddresses(max, plan.workers, index, plan.clientsPerAddress), {
    transport,
    origin: url,
    pollIntervalMs: config.pollIntervalMs,
    longPollTimeoutMs: config.longPollTimeoutMs,
    clientsPerAddress: plan.clientsPerAddress,
    connectConcurrency: plan.connectConcurrency,
  });
  const publisher = new Publisher(httpChannel(url), config);
  const mainLoad = new ThreadLoadMonitor("publisher (main thread)");
  let stage: Stage = "connecting";
  let stepIndex = 0;
  let expected = 0;
  const ticker = setInterval(() => {
    const live = pool.live;
    const fraction =
      (stepIndex + (stage === "connecting" ? Math.min(1, live.connected / (plan.steps[stepIndex] ?? 1)) * 0.2 : stage === "measuring" ? 0.5 : 0.9)) /
      plan.steps.length;
    events.tick({
      transport,
      stage,
      fraction,
      delivered: stage === "connecting" ? live.connected : live.delivered,
      expected: stage === "connecting" ? (plan.steps[stepIndex] ?? 0) : expected,
    });
  }, 250);

  const meter = { transport, probe, control, pool, publisher, mainLoad, cores: ctx.cores };
  const measure = <T>(count: number, body: (startMs: number) => Promise<T>) => measureWindow(meter, count, body);

  const steps: ScaleStep[] = [];
  let stopped: string | null = null;
  let abortedAt: number | null = null;

  /** One step: connect up to `clients`, read memory, the idle window, warm-up, the latency window. */
  const runStep = async (clients: number): Promise<{ step: ScaleStep; samples: string[] }> => {
    stage = "connecting";
    const before = await control.stats();
    const t0 = epochNow();
    const added = clients - (steps[steps.length - 1]?.clients ?? 0);
    const grown = await pool.grow(clients, before.feed.lastId, Date.now() + connectDeadlineMs(added));
    if (HELD.has(transport)) await control.waitForOpen(transport, (open) => open >= grown.connected, 5_000);
    const connectMs = epochNow() - t0;
    const afterConnect = await control.stats();
    const memory = await control.memory();

    stage = "measuring";
    const idle = await measure(0, (startMs) => sleep(startMs + plan.idleWindowMs - epochNow()));

    stage = "warmup";
    const warmupCount = messageCount(config, config.warmupMs);
    const warmed = await publisher.run("w", warmupCount, epochNow() + 10);
    await waitUntil(() => pool.live.warmup >= warmed * clients, config.drainTimeoutMs, pool);

    stage = "measuring";
    const count = messageCount(config, plan.latencyWindowMs);
    const errorsBefore = publisher.errors;
    const samplesBefore = publisher.errorSamples.length;
    expected = count * clients;
    const measured = await measure(count, async (startMs) => {
      const stored = await publisher.run("m", count, startMs);
      expected = stored * clients;
      stage = "draining";
      await waitUntil(() => pool.live.delivered >= expected, config.drainTimeoutMs, pool);
      return stored;
    });
    const windowCounts = measured.end.counts;
    const sum = (pick: (c: (typeof windowCounts)[number]) => number): number => windowCounts.reduce((n, c) => n + pick(c), 0);
    const histogram = mergeEncoded(windowCounts.map((c) => c.histogram));
    const delivered = sum((c) => c.delivered);
    const latency: LatencyWindow = {
      ...measured.window,
      published: measured.result,
      publishErrors: publisher.errors - errorsBefore,
      publishErrorSamples: publisher.errorSamples.slice(samplesBefore),
      expected,
      delivered,
      lost: Math.max(0, expected - delivered),
      duplicated: sum((c) => c.duplicated),
      outOfOrder: sum((c) => c.outOfOrder),
      errors: measured.end.errors.count,
      errorCodes: measured.end.errors.codes,
      latency: summarize(histogram),
      histogram: encode(histogram),
    };
    histogram.destroy();
    const step: ScaleStep = {
      clients,
      connect: {
        added,
        connected: grown.connected,
        ms: connectMs,
        errors: grown.errors.count,
        errorCodes: grown.errors.codes,
        errorSamples: grown.errors.samples,
        refused: afterConnect.transports[transport].refused - before.transports[transport].refused,
        serverOpen: afterConnect.transports[transport].open,
      },
      memory,
      idle: idle.window,
      latency,
    };
    return { step, samples: [...grown.errors.samples, ...(latency.publishErrorSamples ?? []).map((e) => `publish: ${e}`)] };
  };

  try {
    for (const [s, clients] of plan.steps.entries()) {
      stepIndex = s;
      let measured: { step: ScaleStep; samples: string[] };
      try {
        measured = await runStep(clients);
      } catch (error) {
        // A server or generator that gave out mid-step ends this ramp, never the run: the steps
        // before it and the other transports keep their figures.
        abortedAt = clients;
        stopped = `the step of ${clients.toLocaleString("en-US")} could not be measured: ${error instanceof Error ? error.message : String(error)}`;
        events.log(`${label}: ${stopped}`);
        break;
      }
      const { step, samples } = measured;
      steps.push(step);
      events.log(`${label} ${stepSummary(transport, step, baseline, config)}`);
      for (const sample of samples) events.log(`${label}:   ${sample}`);
      stopped = stopReason(step);
      if (stopped !== null) {
        if (s < plan.steps.length - 1) events.log(`${label}: ramp stopped: ${stopped}`);
        else stopped = null;
        break;
      }
    }
  } finally {
    stage = "closing";
    clearInterval(ticker);
    mainLoad.stop();
    await publisher.close();
    await pool.stop().catch(() => pool.terminate());
    await control.close();
  }
  return { transport, baseline, steps, stopped, abortedAt };
}

/** How long a step may take to connect its new clients before it is measured as it stands. */
function connectDeadlineMs(added: number): number {
  return 15_000 + added * 3;
}

/** Polls `done` until true; a timeout is not an error (what is missing is reported as lost). */
async function waitUntil(done: () => boolean, timeoutMs: number, pool: ScaleGenerator): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) {
    if (pool.error !== null) throw pool.error;
    await sleep(20);
  }
}
