import type { FailoverPhase, FailoverResults } from "../bench/cluster/failover-results.js";
import type { BenchResults } from "../bench/results.js";
import type { Section, Table } from "./tables.js";

/** A `failover` run's report: one row per transport and fault, from results.json alone. */

export function hasFailover(r: BenchResults): r is BenchResults & { failover: FailoverResults } {
  return r.failover !== undefined;
}

const FAULT_LABEL = { instance: "instance killed", redis: "Redis restarted" } as const;
const ms = (v: number | null | undefined): string => (v === null || v === undefined ? "–" : `${Math.round(v).toLocaleString("en-US")} ms`);

export function describeFailover(r: BenchResults & { failover: FailoverResults }): string {
  const c = r.config;
  return `${c.clients} subscribers per transport through HAProxy in front of ${r.failover.instances.length} instances (${r.failover.instances.join(", ")}) sharing one Redis feed, ${c.rate} msg/s published through it for ${c.durationMs / 1000} s per phase, one phase per transport and fault`;
}

export function failoverNotes(r: BenchResults & { failover: FailoverResults }): string[] {
  const first = r.failover.phases[0];
  const at = first === undefined ? "" : ` ${Math.round((first.faultAtMs / first.durationMs) * 100)}% into the publishing window`;
  return [
    `Faults come${at}: an instance is killed with SIGKILL (no clean close: its connections just die) and started again later; Redis is stopped and started again on its ${r.failover.redisPersistence}.`,
    "Every subscriber reconnects on its own, from the last id it received, through the balancer. Lost counts acknowledged messages (answered 201) a subscriber never received; a message stored whose answer was lost is delivered too, and counted apart.",
  ];
}

function row(p: FailoverPhase): string[] {
  const open = Object.entries(p.openBefore)
    .map(([name, n]) => `${name} ${n}`)
    .join(", ");
  return [
    p.transport,
    FAULT_LABEL[p.fault],
    p.fault === "instance" ? `${p.victim ?? "?"} down ${ms(p.downMs)}` : `down ${ms(p.downMs)}`,
    p.published.acked.toLocaleString("en-US"),
    String(p.published.refused),
    String(p.delivery.lost),
    String(p.delivery.duplicated),
    String(p.delivery.outOfOrder),
    String(p.delivery.resets),
    String(p.delivery.reconnects),
    ms(p.publishGapMs),
    p.deliveryGapMs === null ? "–" : `${ms(p.deliveryGapMs.p50)} / ${ms(p.deliveryGapMs.max)}`,
    p.recoveryMs === null ? "–" : `${ms(p.recoveryMs.p50)} / ${ms(p.recoveryMs.max)}`,
    open,
  ];
}

export function failoverTable(r: BenchResults & { failover: FailoverResults }): Table {
  return {
    head: [
      "transport",
      "fault",
      "outage",
      "acknowledged",
      "refused publishes",
      "lost",
      "duplicated",
      "out of order",
      "resets",
      "reconnects",
      "longest without an ack",
      "longest without a delivery p50 / max",
      "recovery p50 / slowest",
      "open before the fault",
    ],
    rows: r.failover.phases.map(row),
  };
}

export function failoverSections(r: BenchResults & { failover: FailoverResults }): Section[] {
  return [
    {
      id: "failover",
      title: "Deliveries through a fault",
      intro:
        "Per transport and fault, summed over its subscribers. Longest without an ack: the publisher's longest wait between two acknowledged publishes (one interval normally; the outage while Redis is away). Longest without a delivery: each subscriber's longest silence (the publish interval normally, a short poll's period for polling). Recovery: from the end of the outage (the kill itself, after which the balancer routes around the dead instance; Redis back) until a subscriber received the first message acknowledged after it (p50 over the subscribers, and the slowest), which includes reconnecting and the wait for that publish.",
      table: failoverTable(r),
    },
  ];
}

/** What went wrong, for the bench's exit code: anything acknowledged lost, any reordering or repeat. */
export function failoverProblems(f: FailoverResults): string[] {
  return f.phases.flatMap((p) => {
    const where = `${p.transport}, ${FAULT_LABEL[p.fault]}`;
    return [
      ...(p.delivery.lost > 0 ? [`${where}: ${p.delivery.lost} acknowledged deliveries lost`] : []),
      ...(p.delivery.outOfOrder > 0 ? [`${where}: ${p.delivery.outOfOrder} deliveries out of order`] : []),
      ...(p.delivery.duplicated > 0 ? [`${where}: ${p.delivery.duplicated} deliveries duplicated`] : []),
    ];
  });
}

export function failoverInsights(r: BenchResults & { failover: FailoverResults }): string[] {
  const phases = r.failover.phases;
  const lost = phases.reduce((n, p) => n + p.delivery.lost, 0);
  const disorder = phases.reduce((n, p) => n + p.delivery.outOfOrder + p.delivery.duplicated, 0);
  const acked = phases.reduce((n, p) => n + p.delivery.expected, 0);
  const slowest = (fault: FailoverPhase["fault"]): FailoverPhase | undefined =>
    phases.filter((p) => p.fault === fault && p.recoveryMs !== null).sort((a, b) => (b.recoveryMs?.max ?? 0) - (a.recoveryMs?.max ?? 0))[0];
  const lines = [
    `**${lost === 0 ? "Nothing acknowledged was lost" : `${lost} acknowledged deliveries were lost`}** and ${disorder === 0 ? "nothing was repeated or reordered" : `${disorder} were repeated or reordered`}, over ${acked.toLocaleString("en-US")} expected deliveries.`,
  ];
  for (const fault of ["instance", "redis"] as const) {
    const s = slowest(fault);
    if (s?.recoveryMs == null) continue;
    lines.push(
      `${FAULT_LABEL[fault]}: every subscriber had the first message acknowledged after the outage within ${ms(s.recoveryMs.max)} at worst (${s.transport}).`,
    );
  }
  return lines;
}
