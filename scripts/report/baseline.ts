import { TRANSPORT_LABELS, type Transport } from "../../protocol/types.js";
import type { BaselineResults, BaselineSample, BaselineTargets, BaselineTransport, MaxRateSample, Side } from "../bench/baselines/types.js";
import { STREAMING_TRANSPORTS } from "../bench/baselines/types.js";
import type { BenchResults } from "../bench/results.js";
import { fmt, ms } from "./format.js";
import { spreadOf, withSpread, type Spread } from "./spread.js";

/**
 * The baseline comparison (`--baseline`): for each transport and measure, the lab's server over the
 * bare one. Pure functions of results.json's `baseline`.
 *
 * Rounds ran A B (lab, bare) back to back, so each round's ratio compares the two sides under the
 * same machine conditions; the ratio shown is the median of the rounds' ratios with their range
 * (min–max), and a target is judged on that range: met in every round, missed in every round, or
 * met or missed only at the median.
 */

export type Measure = "max-rate" | "cpu-max-rate" | "request-rate" | "cpu-fixed-rate" | "cpu-request" | "p99";

export interface Target {
  /** `max`: the ratio must be at most `value`; `min`: at least. */
  kind: "max" | "min";
  value: number;
}

export type Verdict = "met" | "met at the median" | "missed at the median" | "missed";

export interface RatioRow {
  transport: Transport;
  measure: Measure;
  label: string;
  unit: (value: number) => string;
  project: Spread;
  bare: Spread;
  /** Each round's project / bare. */
  ratio: Spread;
  target: Target | null;
  verdict: Verdict | null;
  /** Samples (either side) whose generator was saturated, with its reasons: the figure may be the generator's limit. */
  saturated: string[];
}

/** A sample's value for a measure; null when the sample does not measure it. */
export function sampleValue(sample: BaselineSample, measure: Measure): number | null {
  const perThousand = (cpuMs: number, count: number): number | null => (count > 0 ? (cpuMs / count) * 1000 : null);
  switch (measure) {
    case "max-rate":
      return sample.maxRate?.deliveriesPerSecond ?? null;
    case "cpu-max-rate":
      return sample.maxRate === undefined ? null : perThousand(sample.maxRate.serverCpuMs, sample.maxRate.delivered);
    case "request-rate":
      return sample.requestRate?.requestsPerSecond ?? null;
    case "cpu-request":
      return sample.requestRate === undefined ? null : perThousand(sample.requestRate.serverCpuMs, sample.requestRate.requests);
    case "cpu-fixed-rate":
      return sample.fixedRate === undefined ? null : perThousand(sample.fixedRate.serverCpuMs, sample.fixedRate.delivered);
    case "p99":
      return sample.fixedRate === undefined || sample.fixedRate.delivered === 0 ? null : sample.fixedRate.p99Ms;
  }
}

/** Each round's ratio project / bare, for the rounds where both sides measured it. */
export function pairedRatios(samples: readonly BaselineSample[], measure: Measure): number[] {
  const bySide = (side: Side): Map<number, number> => {
    const map = new Map<number, number>();
    for (const s of samples) {
      const v = sampleValue(s, measure);
      if (s.side === side && v !== null && Number.isFinite(v)) map.set(s.round, v);
    }
    return map;
  };
  const project = bySide("project");
  const bare = bySide("bare");
  return [...project].flatMap(([round, p]) => {
    const b = bare.get(round);
    return b === undefined || b === 0 ? [] : [p / b];
  });
}

export function judge(ratio: Spread, target: Target): Verdict {
  const ok = (v: number): boolean => (target.kind === "max" ? v <= target.value : v >= target.value);
  if (ok(ratio.min) && ok(ratio.max)) return "met";
  if (!ok(ratio.min) && !ok(ratio.max)) return "missed";
  return ok(ratio.median) ? "met at the median" : "missed at the median";
}

function saturation(sample: BaselineSample): { saturated: boolean; reasons: string[] } | undefined {
  return sample.maxRate?.generator ?? sample.requestRate?.generator ?? sample.fixedRate?.generator;
}

const perSecond = (v: number): string => `${fmt(v)}/s`;

interface MeasureSpec {
  measure: Measure;
  label: string;
  unit: (value: number) => string;
  target: (t: BaselineTargets, transport: Transport) => Target | null;
}

const MEASURES: MeasureSpec[] = [
  { measure: "max-rate", label: "deliveries/s at the maximum rate", unit: perSecond, target: (t) => ({ kind: "min", value: t.maxRateMin }) },
  // Not judged: each side's figure is taken at the rate it reached, and a server's CPU per delivery
  // falls as its rate rises (more messages per wake-up, per write batch), so two sides that reached
  // different rates differ by that too. The CPU target is judged at the fixed rate, the same on both.
  { measure: "cpu-max-rate", label: "server CPU per 1,000 deliveries (maximum rate, not judged)", unit: ms, target: () => null },
  { measure: "request-rate", label: "requests/s under autocannon", unit: perSecond, target: (t) => ({ kind: "min", value: t.requestRateMin }) },
  { measure: "cpu-request", label: "server CPU per 1,000 requests (autocannon)", unit: ms, target: () => null },
  { measure: "p99", label: "p99 latency at the scenario's fixed rate", unit: ms, target: () => null },
  {
    measure: "cpu-fixed-rate",
    label: "server CPU per 1,000 deliveries (fixed rate)",
    unit: ms,
    target: (t, transport) => (STREAMING_TRANSPORTS.has(transport) ? { kind: "max", value: t.cpuPer1000Max } : null),
  },
];

/** Every measure a transport's samples have, as ratios with their spread and verdict. */
export function ratioRows(entry: BaselineTransport, targets: BaselineTargets): RatioRow[] {
  return MEASURES.flatMap((spec) => {
    const values = (side: Side): number[] =>
      entry.samples.flatMap((s) => {
        const v = s.side === side ? sampleValue(s, spec.measure) : null;
        return v === null || !Number.isFinite(v) ? [] : [v];
      });
    const project = values("project");
    const bare = values("bare");
    const ratios = pairedRatios(entry.samples, spec.measure);
    if (project.length === 0 || bare.length === 0 || ratios.length === 0) return [];
    const ratio = spreadOf(ratios);
    const target = spec.target(targets, entry.transport);
    const saturated = entry.samples.flatMap((s) => {
      if (sampleValue(s, spec.measure) === null) return [];
      const g = saturation(s);
      return g === undefined || !g.saturated ? [] : [`${s.side} round ${s.round}: ${g.reasons.join("; ")}`];
    });
    return [
      {
        transport: entry.transport,
        measure: spec.measure,
        label: spec.label,
        unit: spec.unit,
        project: spreadOf(project),
        bare: spreadOf(bare),
        ratio,
        target,
        verdict: target === null ? null : judge(ratio, target),
        saturated,
      },
    ];
  });
}

export function allRatioRows(baseline: BaselineResults): RatioRow[] {
  return baseline.transports.flatMap((entry) => ratioRows(entry, baseline.targets));
}

export const ratioText = (s: Spread): string => withSpread(s, (v) => `${v.toFixed(2)}×`);

export function targetText(t: Target | null): string {
  return t === null ? "–" : `${t.kind === "max" ? "≤" : "≥"} ${t.value.toFixed(2)}×`;
}

/** A cell for the verdict: loud unless met in every round. */
export function verdictText(v: Verdict | null): string {
  if (v === null) return "–";
  return v === "met" ? "met" : `**${v}**`;
}

/** One sentence per targeted ratio, for "What this run shows" (loss is among its problems, from summary.ts's verdict). */
export function baselineInsights(r: BenchResults): string[] {
  if (r.baseline === undefined) return [];
  const rows = allRatioRows(r.baseline);
  const lines = rows
    .filter((row) => row.target !== null)
    .map((row) => {
      const flag = row.saturated.length > 0 ? " (**the generator was saturated in some samples: the ratio may measure it, not the server**)" : "";
      const verdict = row.verdict === "met" ? "met" : `**${row.verdict ?? ""}**`;
      return `${TRANSPORT_LABELS[row.transport]}, ${row.label}: lab ${withSpread(row.project, row.unit)} against bare ${withSpread(row.bare, row.unit)}, ratio ${ratioText(row.ratio)}; target ${targetText(row.target)} ${verdict}${flag}.`;
    });
  return lines;
}

/** Loss, duplicates or disorder in any baseline sample, the bare side's included. */
export function baselineProblems(baseline: BaselineResults): string[] {
  return baseline.transports.flatMap((entry) =>
    entry.samples.flatMap((s) => {
      const d = s.maxRate ?? s.fixedRate;
      if (d === undefined) return [];
      const where = `${TRANSPORT_LABELS[entry.transport]} ${s.kind}, ${s.side} server, round ${s.round}`;
      const out: string[] = [];
      if (d.lost > 0) out.push(`${where}: ${d.lost} of ${d.expected} deliveries lost`);
      if (d.duplicated > 0) out.push(`${where}: ${d.duplicated} duplicate deliveries`);
      if (d.outOfOrder > 0) out.push(`${where}: ${d.outOfOrder} deliveries out of order`);
      return out;
    }),
  );
}

export type MaxRateBound = "server" | "generator" | "machine" | "window";

/**
 * What set a maximum-rate sample's pace: the server's one thread full (`server`), the generator
 * saturated (`generator`), server and generator together using the machine's cores (`machine`:
 * they share it, so neither could go faster), or none of these (`window`: the closed loop's
 * in-flight bound).
 */
export function maxRateBound(m: MaxRateSample, cores: number): MaxRateBound {
  if (m.serverCores >= 0.9) return "server";
  if (m.generator.saturated) return "generator";
  if (m.windowMs > 0 && (m.serverCpuMs + m.generatorCpuMs) / m.windowMs >= 0.9 * cores) return "machine";
  return "window";
}

/** The report's baseline sections, in the shape of tables.ts's `Section` (kept structural, so neither module imports the other). */
export interface BaselineSection {
  id: string;
  title: string;
  intro: string;
  table: { head: string[]; rows: string[][] };
}

const yesNo = (reasons: string[]): string => (reasons.length === 0 ? "no" : `**yes**: ${reasons.join("; ")}`);

export function baselineSections(r: BenchResults): BaselineSection[] {
  const b = r.baseline;
  if (b === undefined) return [];
  const rounds = Math.max(0, ...b.transports.flatMap((t) => t.samples.map((s) => s.round)));
  const ratios: BaselineSection = {
    id: "baseline",
    title: "Against a bare server",
    intro:
      `The same workload, run alternately against this lab's server and a bare reference server (\`${b.bareServer}\`: node:http and ws on the same feed rules and wire bytes, with no framework, no metering, no validation beyond what keeps it up, no limits), ` +
      `lab then bare in each of ${rounds} rounds, every sample against a fresh process. Each side's figure is the median of its samples (min–max); the ratio is the median of the rounds' own ratios lab / bare (min–max), ` +
      "since a round's two samples ran back to back on the same machine. A target is **met** when every round's ratio meets it, **missed** when none does, otherwise met or missed only at the median. " +
      "The maximum rate is a closed loop: the publisher keeps a fixed number of messages published but not yet delivered to every subscriber, so it publishes exactly as fast as deliveries come back; " +
      "on a machine where the generator shares the cores, that pace is the server's or the generator's, and the last column says when the generator was saturated (its figure may then be the generator's limit). " +
      "Server CPU per 1,000 deliveries is judged at the scenario's fixed rate, which both servers ran at: per delivery, a server's CPU falls as its rate rises (more messages per wake-up and per write), " +
      "so the maximum-rate figure, taken at whatever rate each side reached, compares the two rates as much as the two servers, and is shown without a verdict.",
    table: {
      head: ["transport", "measure", "lab server", "bare server", "lab / bare", "target", "verdict", "generator saturated"],
      rows: allRatioRows(b).map((row) => [
        TRANSPORT_LABELS[row.transport],
        row.label,
        withSpread(row.project, row.unit),
        withSpread(row.bare, row.unit),
        ratioText(row.ratio),
        targetText(row.target),
        verdictText(row.verdict),
        row.saturated.length === 0 ? "no" : `**yes** (${row.saturated.length} samples)`,
      ]),
    },
  };
  const maxRate: BaselineSection = {
    id: "baseline-max-rate",
    title: "Maximum-rate samples",
    intro:
      `Each sample of the closed-loop phase: the server's CPU over the window in cores, the busiest generator thread's event-loop utilisation, server and generator CPU together as a share of the machine's ${r.machine.cores} cores, ` +
      "and what set the pace: `server` (its one thread at 0.9 core or more), `generator` (saturated), `machine` (the two together used 90% of the cores they share, so neither could go faster) or `window` (none of these: the closed loop's in-flight bound). " +
      "Only a `server` bound on both sides makes the deliveries/s ratio the servers' own; CPU per 1,000 deliveries is the server's own cost whatever the bound.",
    table: {
      head: [
        "transport",
        "server",
        "round",
        "messages",
        "deliveries/s",
        "server CPU / 1,000",
        "server cores",
        "busiest generator thread",
        "machine busy",
        "bound",
        "lost / dup / disorder",
        "generator saturated",
      ],
      rows: b.transports.flatMap((t) =>
        t.samples.flatMap((s) => {
          const m = s.maxRate;
          if (m === undefined) return [];
          const busiest = Math.max(0, ...m.threads.map((x) => x.elu));
          return [
            [
              TRANSPORT_LABELS[t.transport],
              s.side,
              String(s.round),
              fmt(m.published),
              perSecond(m.deliveriesPerSecond),
              ms(sampleValue(s, "cpu-max-rate")),
              m.serverCores.toFixed(2),
              `${(busiest * 100).toFixed(0)}%`,
              m.windowMs > 0 ? `${(((m.serverCpuMs + m.generatorCpuMs) / m.windowMs / r.machine.cores) * 100).toFixed(0)}%` : "–",
              maxRateBound(m, r.machine.cores),
              `${fmt(m.lost)} / ${fmt(m.duplicated)} / ${fmt(m.outOfOrder)}`,
              yesNo(m.generator.reasons),
            ],
          ];
        }),
      ),
    },
  };
  const cannon: BaselineSection = {
    id: "baseline-autocannon",
    title: "autocannon samples",
    intro:
      "Polling as fast as autocannon goes: `poll` after the newest id (an empty answer), `long-poll` after the one before it (answered at once with one message). autocannon runs in one thread: near a full core, it set the pace.",
    table: {
      head: [
        "transport",
        "server",
        "round",
        "path",
        "requests/s",
        "p99",
        "server CPU / 1,000 requests",
        "server cores",
        "autocannon cores",
        "errors",
        "generator saturated",
      ],
      rows: b.transports.flatMap((t) =>
        t.samples.flatMap((s) => {
          const a = s.requestRate;
          if (a === undefined) return [];
          return [
            [
              TRANSPORT_LABELS[t.transport],
              s.side,
              String(s.round),
              `\`${a.path.replace(/[0-9]{6,}/g, "…")}\``,
              perSecond(a.requestsPerSecond),
              ms(a.p99Ms),
              ms(sampleValue(s, "cpu-request")),
              a.durationMs > 0 ? (a.serverCpuMs / a.durationMs).toFixed(2) : "–",
              a.generatorCores.toFixed(2),
              fmt(a.errors + a.non2xx),
              yesNo(a.generator.reasons),
            ],
          ];
        }),
      ),
    },
  };
  return [ratios, maxRate, cannon].filter((s) => s.table.rows.length > 0);
}
