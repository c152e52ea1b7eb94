import type { ClusterBenchResults } from "../bench/cluster/cluster-results.js";
import type { BenchResults, TransportRun } from "../bench/results.js";
import type { Section, Table } from "./tables.js";

/** A `--cluster N` run's own sections: the Redis hop against one in-memory instance, and each instance's share. */

export function hasCluster(r: BenchResults): r is BenchResults & { cluster: ClusterBenchResults } {
  return r.cluster !== undefined;
}

const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const cpuOf = (run: TransportRun): number | null => (run.server === null ? null : run.server.cpuUserMs + run.server.cpuSystemMs);
const per1000 = (run: TransportRun): string => {
  const cpu = cpuOf(run);
  return cpu === null || run.delivery.delivered === 0 ? "–" : ms((cpu / run.delivery.delivered) * 1000);
};
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/** Per transport: latency and CPU through one in-memory instance and through the cluster, and the difference. */
export function hopTable(r: BenchResults & { cluster: ClusterBenchResults }): Table {
  const rows = r.transports.map((shared) => {
    const single = r.cluster.single.find((s) => s.transport === shared.transport);
    if (single === undefined) return [shared.transport, "–", "–", "–", "–", "–", "–", "–"];
    const a = single.latency.summary;
    const b = shared.latency.summary;
    return [
      shared.transport,
      `${ms(a.p50)} / ${ms(a.p99)}`,
      `${ms(b.p50)} / ${ms(b.p99)}`,
      `${b.p50 - a.p50 >= 0 ? "+" : ""}${ms(b.p50 - a.p50)}`,
      `${b.p99 - a.p99 >= 0 ? "+" : ""}${ms(b.p99 - a.p99)}`,
      per1000(single),
      per1000(shared),
      `${single.delivery.lost + shared.delivery.lost} / ${single.delivery.duplicated + shared.delivery.duplicated} / ${single.delivery.outOfOrder + shared.delivery.outOfOrder}`,
    ];
  });
  return {
    head: [
      "transport",
      "1 in-memory: p50 / p99 (ms)",
      `${r.cluster.instances.length} on Redis: p50 / p99 (ms)`,
      "p50 added",
      "p99 added",
      "server CPU per 1,000 deliveries, 1 in-memory (ms)",
      `… ${r.cluster.instances.length} on Redis, summed`,
      "lost / duplicated / out of order",
    ],
    rows,
  };
}

/** Per transport and instance: CPU over the window and the most connections held at once (medians over the repeats). */
export function instanceTable(r: BenchResults & { cluster: ClusterBenchResults }): Table {
  const names = r.cluster.instances;
  const rows = r.cluster.perInstance.map(({ transport, repeats }) => [
    transport,
    ...names.map((name) => {
      const mine = repeats.flatMap((one) => one.filter((f) => f.name === name));
      const cpu = mine.map((f) => f.cpuMs).filter((v): v is number => v !== null);
      return `${cpu.length === 0 ? "–" : ms(median(cpu))} ms, ${median(mine.map((f) => f.peakOpen))} open`;
    }),
  ]);
  return { head: ["transport", ...names.map((n) => `${n}: CPU, peak open`)], rows };
}

export function clusterSections(r: BenchResults & { cluster: ClusterBenchResults }): Section[] {
  const n = r.cluster.instances.length;
  return [
    {
      id: "redis-hop",
      title: "What the Redis hop adds",
      intro: `Every phase ran twice, alternately, with the same workload: subscribers and publisher through HAProxy to one instance with its in-memory feed, and through HAProxy to ${n} instances sharing a Redis feed (a publish is stored in Redis, then every instance reads it from the log before delivering it). The balancer's hop is in both; the difference is the Redis hop and the spreading over ${n} processes on the same cores. The tables above are the ${n}-instance phases. Server CPU is the instances' sum over the window (each instance also answers HAProxy's health checks and the bench's stats requests, which weigh at low rates). Client and server byte counts are made on different sockets (client to HAProxy, HAProxy to an instance), so they need not agree exactly.`,
      table: hopTable(r),
    },
    {
      id: "instances",
      title: "Per instance",
      intro:
        "Each instance's CPU over the measured window (the bench's probe inside it) and the most connections of the phase's transport it held open at once (its /api/stats, twice a second); medians over the repeats. Round-robin spreads connections, not load: a long poll or poll lands anywhere on every request.",
      table: instanceTable(r),
    },
  ];
}
