import { availableParallelism, loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import type { Metered, StatsResponse, Transport } from "../../../protocol/types.js";
import { buildServer } from "../../build-server.js";
import { type Cluster, type ClusterProcess, startCluster } from "../../cluster/cluster.js";
import type { CliOptions } from "../args.js";
import type { BenchEvents } from "../events.js";
import { machine, versions } from "../machine.js";
import { mergeRepeats } from "../merge.js";
import { RESULTS_SCHEMA, type BenchResults, type TransportRun } from "../results.js";
import { runTransport } from "../run-transport.js";
import { serverEnvFor } from "../scenarios.js";
import type { ProbeCommand, ProbeSample } from "../server-probe.js";
import type { ServerHandle, ServerProbe } from "../server-process.js";
import { type StatsFront, startStatsFront } from "./stats-front.js";
import type { ClusterBenchResults, InstanceFigures } from "./cluster-results.js";

/**
 * `--cluster N`: every phase twice, alternating: through HAProxy to N instances sharing a Redis
 * feed, and through HAProxy to one instance with its in-memory feed, so the difference is the Redis
 * hop (and the spreading over N processes), with the balancer's hop in both. The subscribers connect
 * to the balancer; publishing and the bench's stats requests go to a small front of the bench's
 * own (stats-front.ts) that passes publishes to the balancer and sums every instance's /api/stats,
 * so the phase code counts the whole cluster as it counts one server. Server CPU and RSS are the
 * instances' sums, read by the bench's probe in each; each instance's share and its peak of open
 * connections are kept apart. Both clusters serve every phase of the run (not a fresh process per
 * phase, so peak RSS grows with the run order).
 */
export async function runClusterBench(options: CliOptions, events: BenchEvents, command: string): Promise<BenchResults> {
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0] ?? 0;
  const { config } = options;
  const count = config.cluster ?? 3;
  const serverEnv = { ...serverEnvFor(config), ...options.serverEnv };
  const [main, probe] = await Promise.all([buildServer("server"), buildServer("server-probe")]);
  const nodeArgs = ["--enable-source-maps", "--import", pathToFileURL(probe).href, main];
  events.tick({ transport: null, stage: "starting server", fraction: 0, delivered: 0, expected: 0 });
  const clusters: { cluster: Cluster; front: StatsFront }[] = [];
  try {
    for (const [instances, feed] of [
      [count, "redis"],
      [1, "memory"],
    ] as const) {
      const cluster = await startCluster({ instances, feed, probe: true, nodeArgs, env: serverEnv });
      clusters.push({ cluster, front: await startStatsFront(cluster) });
    }
    const [shared, single] = clusters as [(typeof clusters)[number], (typeof clusters)[number]];
    const cores = availableParallelism();
    const runs = new Map<string, TransportRun[]>();
    const perInstance = new Map<Transport, InstanceFigures[][]>();
    for (let i = 1; i <= config.repeat; i++) {
      for (const transport of config.transports as Transport[]) {
        for (const [name, target] of [
          ["single", single],
          ["cluster", shared],
        ] as const) {
          const of = config.repeat > 1 ? `, repeat ${i} of ${config.repeat}` : "";
          const where = name === "single" ? "one in-memory instance behind HAProxy" : `${count} instances sharing Redis behind HAProxy`;
          events.log(`${transport} through ${where}: ${config.clients} clients, ${config.rate} msg/s, ${config.durationMs / 1000} s${of}`);
          const probes = target.cluster.instances.map((instance) => instanceProbe(instance));
          const server: ServerHandle = { url: target.front.url, probe: sumProbes(probes), stop: async () => undefined };
          const peaks = watchOpen(target.cluster, transport);
          const run = await runTransport({ config, server, cores, events, linkUrl: target.cluster.url }, transport);
          const peakOpen = await peaks.stop();
          runs.set(`${name} ${transport}`, [...(runs.get(`${name} ${transport}`) ?? []), run]);
          if (name === "cluster") {
            const figures = target.cluster.instances.map((instance, k) => ({
              name: instance.name,
              cpuMs: probes[k]?.windowCpuMs() ?? null,
              peakOpen: peakOpen[k] ?? 0,
            }));
            perInstance.set(transport, [...(perInstance.get(transport) ?? []), figures]);
          }
        }
      }
    }
    const merged = (name: string): TransportRun[] => (config.transports as Transport[]).map((t) => mergeRepeats(runs.get(`${name} ${t}`) ?? []));
    const cluster: ClusterBenchResults = {
      instances: shared.cluster.instances.map((i) => i.name),
      single: merged("single"),
      perInstance: (config.transports as Transport[]).map((transport) => ({ transport, repeats: perInstance.get(transport) ?? [] })),
    };
    return {
      schema: RESULTS_SCHEMA,
      startedAt,
      finishedAt: new Date().toISOString(),
      command,
      config,
      target: { url: shared.cluster.url, spawned: true, serverEnv, freshPerPhase: false },
      machine: { ...machine(), loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 } },
      versions: await versions(),
      transports: merged("cluster"),
      autocannon: [],
      cluster,
    };
  } finally {
    for (const { cluster, front } of clusters) {
      await front.close();
      await cluster.stop();
    }
  }
}

/** The bench's probe in one instance, over its IPC channel; remembers the samples since the last reset. */
interface InstanceProbe extends ServerProbe {
  /** CPU between the first and the last sample since the last reset: the measured window, as runTransport samples it. */
  windowCpuMs(): number | null;
}

function instanceProbe(instance: ClusterProcess): InstanceProbe {
  let samples: ProbeSample[] = [];
  const probe: InstanceProbe = {
    reset() {
      samples = [];
      instance.child?.send({ type: "reset" } satisfies ProbeCommand);
    },
    sample: () =>
      new Promise((resolve, reject) => {
        const child = instance.child;
        if (child === null) return reject(new Error(`${instance.name} is not running`));
        const timer = setTimeout(() => reject(new Error(`${instance.name}'s probe did not answer`)), 5_000);
        child.once("message", (message: ProbeSample) => {
          clearTimeout(timer);
          samples.push(message);
          resolve(message);
        });
        child.send({ type: "sample" } satisfies ProbeCommand);
      }),
    windowCpuMs() {
      const first = samples[0];
      const last = samples[samples.length - 1];
      if (first === undefined || last === undefined || samples.length < 2) return null;
      return (last.cpuUserUs + last.cpuSystemUs - first.cpuUserUs - first.cpuSystemUs) / 1000;
    },
  };
  return probe;
}

/** One probe for the phase code: CPU and memory summed over the instances, the worst event-loop delay. */
function sumProbes(probes: InstanceProbe[]): ServerProbe {
  return {
    reset: () => {
      for (const p of probes) p.reset();
    },
    sample: async () => {
      const all = await Promise.all(probes.map((p) => p.sample()));
      const sum = (pick: (s: ProbeSample) => number): number => all.reduce((n, s) => n + pick(s), 0);
      return {
        type: "sample",
        cpuUserUs: sum((s) => s.cpuUserUs),
        cpuSystemUs: sum((s) => s.cpuSystemUs),
        rssBytes: sum((s) => s.rssBytes),
        peakRssBytes: sum((s) => s.peakRssBytes),
        delayP99Ms: Math.max(...all.map((s) => s.delayP99Ms)),
        delayMaxMs: Math.max(...all.map((s) => s.delayMaxMs)),
      };
    },
  };
}

/** Each instance's largest open count for `transport` during the phase, read from its own /api/stats twice a second. */
function watchOpen(cluster: Cluster, transport: Metered): { stop(): Promise<number[]> } {
  const peaks = cluster.instances.map(() => 0);
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await Promise.all(
        cluster.instances.map(async (instance, k) => {
          try {
            const response = await fetch(`${instance.url}/api/stats`, { signal: AbortSignal.timeout(2_000) });
            const stats = (await response.json()) as StatsResponse;
            peaks[k] = Math.max(peaks[k] ?? 0, stats.transports[transport].open);
          } catch {
            // a missed sample is not a figure
          }
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return peaks;
    },
  };
}
