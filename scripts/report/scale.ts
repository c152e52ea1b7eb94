import type { BenchResults } from "../bench/results.js";
import type { ScaleResults } from "../bench/scale/results.js";
import { bytes, fmt, ms } from "./format.js";
import { compareScale, comparisonInsights, comparisonSection } from "./scale-baseline.js";
import { NOT_TRANSPORT, scaleFigures, type Limit, type ScaleTransportFigures, type StepFigures } from "./scale-figures.js";
import type { Section, Table } from "./tables.js";

/** The scale report's text and tables, as data for both renderers (report.md and report.html draw the same). */

const n = (v: number): string => fmt(v);
const seconds = (msValue: number): string => `${Number((msValue / 1000).toFixed(1))} s`;
const us = (v: number): string => `${fmt(v, 2)} µs`;
const coreShare = (v: number | null): string => (v === null ? "–" : v.toFixed(2));

export function figuresOf(r: BenchResults & { scale: ScaleResults }): ScaleTransportFigures[] {
  return scaleFigures(r.scale, r.config, r.machine.cores);
}

/** The step the ramp reached last: the figures "at 10,000" when it got there. */
export function topStep(t: ScaleTransportFigures): StepFigures | null {
  return t.steps[t.steps.length - 1] ?? null;
}

/** A loud cell when a figure is the generator's or the machine's rather than the transport's. */
function limitCell(limit: Limit | null): string {
  if (limit === null) return "–";
  return NOT_TRANSPORT.has(limit.kind) ? `**${limit.kind}**: ${limit.text}` : `${limit.kind}: ${limit.text}`;
}

export function describeScale(r: BenchResults): string {
  const c = r.config;
  const steps = (c.steps ?? [c.clients]).map(n).join(", ");
  const idle = r.scale === undefined ? "" : `, a ${seconds(r.scale.plan.idleWindowMs)} idle window`;
  return `${steps} subscribers per transport${idle}, then ${c.rate} msg/s of ${c.size} characters for ${c.durationMs / 1000} s after ${c.warmupMs / 1000} s warm-up at each step; short polling every ${c.pollIntervalMs} ms, long polls of ${c.longPollTimeoutMs} ms`;
}

export function scaleNotes(r: BenchResults & { scale: ScaleResults }): string[] {
  const p = r.scale.plan;
  const l = r.scale.limits;
  const periods = p.periodicCosts.map((c) => `${c.what} every ${seconds(c.periodMs)}`).join(", ");
  const notes = [
    `Each transport ramped against a fresh server process, its subscribers added step by step (at most ${p.connectConcurrency} connecting at once per thread) and kept connected to the end.`,
    `At each step: the server's memory after a full collection (\`/api/health?gc=1\`), an idle window of ${seconds(p.idleWindowMs)} (twice the longest periodic cost: ${periods}), ${seconds(p.warmupMs)} of warm-up messages, then ${p.rate} msg/s for ${seconds(p.latencyWindowMs)}.`,
    `Per-connection figures subtract what the empty server used (memory, and CPU over ${seconds(p.baselineMs)} before the first step).`,
    `Generator: ${p.workers} subscriber thread(s) in one process, separate from the server's; ${p.addressesPerTransport} loopback source address(es) per transport (at most ${n(p.clientsPerAddress)} clients each${l.portRange === null ? "" : `, of ${n(l.portRange[1] - l.portRange[0] + 1)} ephemeral ports per address`}), a fresh block for each transport.`,
    `File descriptors: soft limit ${l.fdSoft === null ? "unknown" : n(l.fdSoft)}, hard ${l.fdHard === null ? "unknown" : n(l.fdHard)}, ${n(l.fdNeeded)} needed by each process at the largest step.`,
  ];
  if (r.scale.bare !== undefined)
    notes.push(
      "`--baseline`: after each transport's ramp, the same ramp against the bare reference server (`scripts/bench/baselines/`), on a fresh process with the same environment and its own block of source addresses.",
    );
  const load = r.machine.loadAverage;
  if (load !== undefined)
    notes.push(
      `Load average (1 min) ${load.start.toFixed(2)} at the start and ${load.end.toFixed(2)} at the end, on ${r.machine.cores} cores; the server and the generator share them.`,
    );
  return notes;
}

/** Bugs at any load: a duplicate or reordered delivery. Losses, failed publishes and failed connects are the knee's business. */
export function scaleProblems(scale: ScaleResults): string[] {
  const runs = [...scale.transports.map((t) => ({ t, name: t.transport })), ...(scale.bare ?? []).map((t) => ({ t, name: `${t.transport} (bare server)` }))];
  return runs.flatMap(({ t, name }) =>
    t.steps.flatMap((s) => {
      const out: string[] = [];
      if (s.latency.duplicated > 0) out.push(`${name} at ${n(s.clients)}: ${n(s.latency.duplicated)} duplicate deliveries`);
      if (s.latency.outOfOrder > 0) out.push(`${name} at ${n(s.clients)}: ${n(s.latency.outOfOrder)} deliveries out of order`);
      return out;
    }),
  );
}

/** The lab's and the bare server's ramps side by side; empty for a run made without --baseline. */
function comparisons(r: BenchResults & { scale: ScaleResults }) {
  return compareScale(r.scale, r.config, r.machine.cores);
}

function kneeText(t: ScaleTransportFigures): string {
  const k = t.knee;
  if (k.at === null) return `no knee up to ${n(k.lastGood ?? 0)}`;
  return `knee at ${n(k.at)}${k.lastGood === null ? " (the first step)" : ` (held ${n(k.lastGood)})`}: ${k.reasons.join("; ")}`;
}

export function scaleInsights(r: BenchResults & { scale: ScaleResults }): string[] {
  const lines = scaleProblems(r.scale).map((p) => `**✗ ${p}.**`);
  for (const t of figuresOf(r)) {
    const top = topStep(t);
    if (top === null) continue;
    const rps =
      t.transport === "poll" || t.transport === "long-poll"
        ? `, ${n(top.idleRequestsPerSecond)} requests/s idle and ${n(top.latencyRequestsPerSecond)} while publishing`
        : "";
    lines.push(
      `${t.label} at ${n(top.clients)}: ${n(top.connected)} connected (${n(top.connectErrors)} failed attempts), ${bytes(top.rssPerConnection)} RSS and ${bytes(top.heapPerConnection)} heap per connection, ` +
        `${us(top.idleCpuUsPerConnectionSecond)} of server CPU per idle connection per second${rps}; p50 ${ms(top.p50)}, p99 ${ms(top.p99)} at ${r.config.rate} msg/s, ${n(top.lost)} of ${n(top.expected)} deliveries lost; ${kneeText(t)}.`,
    );
    const limit = t.knee.at !== null ? t.knee.limit : top.limit;
    if (limit !== null && NOT_TRANSPORT.has(limit.kind)) {
      lines.push(
        `**⚠ ${t.label}: ${t.knee.at !== null ? "the knee" : `the figures at ${n(top.clients)}`} may be the ${limit.kind === "generator" ? "generator's" : limit.kind === "machine" ? "machine's" : `${limit.kind}'s`} limit, not the transport's: ${limit.text}.**`,
      );
    }
    if (t.stopped !== null) lines.push(`${t.label}: the ramp stopped early: ${t.stopped}.`);
  }
  lines.push(...comparisonInsights(comparisons(r)));
  return lines;
}

function stepsTable(list: readonly ScaleTransportFigures[]): Table {
  return {
    head: [
      "transport",
      "clients",
      "connected (time)",
      "failed connects",
      "RSS / conn",
      "heap / conn",
      "idle CPU / conn / s",
      "idle server cores",
      "requests / s idle",
      "p50",
      "p99",
      "max",
      "lost",
      "CPU / 1,000 deliveries",
      "server cores publishing",
      "event-loop delay p99",
    ],
    rows: list.flatMap((t) =>
      t.steps.map((f) => [
        t.label,
        n(f.clients),
        `${n(f.connected)} (${seconds(f.connectMs)})`,
        n(f.connectErrors),
        bytes(f.rssPerConnection),
        bytes(f.heapPerConnection),
        us(f.idleCpuUsPerConnectionSecond),
        coreShare(f.idleServerCores),
        f.askedRequestsPerSecond === null ? n(f.idleRequestsPerSecond) : `${n(f.idleRequestsPerSecond)} of ${n(f.askedRequestsPerSecond)} asked`,
        ms(f.p50),
        ms(f.p99),
        ms(f.max),
        n(f.lost),
        ms(f.cpuMsPer1000),
        coreShare(f.latencyServerCores),
        ms(f.eventLoopDelayP99Ms),
      ]),
    ),
  };
}

export function scaleSections(r: BenchResults & { scale: ScaleResults }): Section[] {
  const list = figuresOf(r);
  const knee: Table = {
    head: ["transport", "largest step held", "knee", "why", "what limited it"],
    rows: list.map((t) => [
      t.label,
      t.knee.lastGood === null ? "none" : n(t.knee.lastGood),
      t.knee.at === null ? "none" : n(t.knee.at),
      t.knee.reasons.join("; ") || "–",
      limitCell(t.knee.limit),
    ]),
  };
  const top: Table = {
    head: [
      "transport",
      "clients",
      "connected",
      "failed connects",
      "RSS / connection",
      "heap / connection",
      "idle CPU / connection / s",
      "p50",
      "p99",
      "lost",
      "CPU / 1,000 deliveries",
      "flag",
    ],
    rows: list.flatMap((t) => {
      const f = topStep(t);
      return f === null
        ? []
        : [
            [
              t.label,
              n(f.clients),
              n(f.connected),
              n(f.connectErrors),
              bytes(f.rssPerConnection),
              bytes(f.heapPerConnection),
              us(f.idleCpuUsPerConnectionSecond),
              ms(f.p50),
              ms(f.p99),
              n(f.lost),
              ms(f.cpuMsPer1000),
              limitCell(f.limit),
            ],
          ];
    }),
  };
  const steps = stepsTable(list);
  const generator: Table = {
    head: ["transport", "clients", "generator cores", "busiest generator thread", "worst thread delay p99", "publish lag p99", "machine busy (cores)", "limit"],
    rows: r.scale.transports.flatMap((run, i) =>
      run.steps.map((s, k) => {
        const f = list[i]?.steps[k];
        const w = s.latency;
        const busiest = Math.max(0, ...w.generator.threads.map((t) => t.elu));
        return [
          list[i]?.label ?? run.transport,
          n(s.clients),
          coreShare(w.wallMs > 0 ? w.generator.cpuMs / w.wallMs : 0),
          `${(busiest * 100).toFixed(0)}%`,
          ms(Math.max(0, ...w.generator.threads.map((t) => t.delayP99Ms))),
          ms(w.generator.publishLagP99Ms),
          coreShare(f?.machineCores ?? null),
          limitCell(f?.limit ?? null),
        ];
      }),
    ),
  };
  return [
    {
      id: "scale-knee",
      title: "Where each transport breaks",
      intro: `A step is broken when a subscriber did not connect, failed connect attempts exceed 1% of the clients added, a delivery was lost or a publish failed, p99 exceeds what a message may take at this rate (one message period; plus one poll interval for short polling), p99 grew more than twice as fast as the clients, or short polling was served under 90% of the polls its clients asked for. The knee is the first broken step. **Loud**: the limit was the generator's or the machine's (the server and the generator share ${r.machine.cores} cores), not the transport's.`,
      table: knee,
    },
    {
      id: "scale-top",
      title: "At the largest step",
      intro:
        "Memory after a full collection, less the empty server's, per connection; server CPU in the idle window, less the empty server's, per connection per second; latency from each message's scheduled time to a subscriber's parse.",
      table: top,
    },
    {
      id: "scale-steps",
      title: "Every step",
      intro:
        "Idle figures come from the idle window (periodic costs only: heartbeats, pings, long-poll timeouts, polls); latency, loss and CPU per 1,000 deliveries from the latency window.",
      table: steps,
    },
    ...bareSections(r),
    {
      id: "scale-generator",
      title: "Load generator and machine",
      intro:
        "In each step's latency window. The generator runs in its own process; a saturated generator or a machine whose cores are all busy makes the figures its own rather than the transport's.",
      table: generator,
    },
  ];
}

/** With --baseline: the comparison, then the bare server's own ramp, step by step. */
function bareSections(r: BenchResults & { scale: ScaleResults }): Section[] {
  const list = comparisons(r);
  if (r.scale.bare === undefined) return [];
  return [
    comparisonSection(list, r.scale.bareWebSocketPings === true),
    {
      id: "scale-bare-steps",
      title: "The bare server's ramp, every step",
      intro: "The bare server's figures, measured as the lab's are in Every step above (its CPU and memory from the same probe and `/api/health?gc=1`).",
      table: stepsTable(list.map((t) => t.bare)),
    },
  ];
}

export function hasScale(r: BenchResults): r is BenchResults & { scale: ScaleResults } {
  return r.scale !== undefined;
}
