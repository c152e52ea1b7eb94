import type { Transport } from "../../protocol/types.js";
import { STREAMING_TRANSPORTS } from "../bench/baselines/types.js";
import type { ScaleResults } from "../bench/scale/results.js";
import type { BenchConfig } from "../bench/scenarios.js";
import { bytes, fmt, ms } from "./format.js";
import { NOT_TRANSPORT, scaleFigures, type Limit, type ScaleTransportFigures, type StepFigures } from "./scale-figures.js";
import type { Section, Table } from "./tables.js";

/**
 * A scale run made with `--baseline`: each transport's ramp against the lab's server beside the
 * same ramp against the bare reference server, as ratios lab / bare at every step both reached,
 * judged against issue 11's targets. Pure: figures in, text and tables out.
 */

/** Issue 11's targets at 10,000 subscribers, for the streaming transports; applied at every step. */
export const SCALE_TARGETS = {
  /** p99 at the fixed rate, lab / bare, at most. */
  p99: 1.2,
  /** Server CPU per 1,000 deliveries in the latency window, lab / bare, at most. */
  cpuPer1000: 1.15,
  /** RSS per connection after a full collection, lab / bare, at most... */
  memoryPerConnection: 1.3,
  /** ...and the lab's own RSS per connection at most this many bytes (50 KB). */
  memoryPerConnectionBytes: 50_000,
} as const;

export interface Ratio {
  project: number | null;
  bare: number | null;
  /** lab / bare; null unless both figures are above zero (a per-connection memory can be negative at small steps: noise). */
  ratio: number | null;
  /** The most the ratio may be; null where no target applies. */
  target: number | null;
  /** null when there is no target or no ratio. */
  met: boolean | null;
}

export function ratioOf(project: number | null, bare: number | null, target: number | null): Ratio {
  const ratio = project !== null && bare !== null && Number.isFinite(project) && Number.isFinite(bare) && project > 0 && bare > 0 ? project / bare : null;
  return { project, bare, ratio, target, met: ratio === null || target === null ? null : ratio <= target };
}

export interface StepComparison {
  clients: number;
  p99: Ratio;
  cpuPer1000: Ratio;
  /** RSS per connection: met only when the ratio is within its target and the lab's figure within 50 KB. */
  rssPerConnection: Ratio & { underCap: boolean | null };
  heapPerConnection: Ratio;
  idleCpuPerConnection: Ratio;
  /** Polling and long polling: requests per second served in the latency window. */
  requestsPerSecond: Ratio | null;
  projectLimit: Limit | null;
  bareLimit: Limit | null;
  /** Either side's step was limited by the generator, the machine, file descriptors or ports: the ratios are not the servers' alone. */
  notServers: boolean;
}

export interface TransportComparison {
  transport: Transport;
  label: string;
  targeted: boolean;
  steps: StepComparison[];
  project: ScaleTransportFigures;
  bare: ScaleTransportFigures;
}

export function compareStep(transport: Transport, project: StepFigures, bare: StepFigures): StepComparison {
  const targeted = STREAMING_TRANSPORTS.has(transport);
  const target = (value: number): number | null => (targeted ? value : null);
  const rss = ratioOf(project.rssPerConnection, bare.rssPerConnection, target(SCALE_TARGETS.memoryPerConnection));
  const underCap = targeted ? project.rssPerConnection <= SCALE_TARGETS.memoryPerConnectionBytes : null;
  const polling = transport === "poll" || transport === "long-poll";
  const notTransport = (l: Limit | null): boolean => l !== null && NOT_TRANSPORT.has(l.kind);
  return {
    clients: project.clients,
    p99: ratioOf(project.p99, bare.p99, target(SCALE_TARGETS.p99)),
    cpuPer1000: ratioOf(project.cpuMsPer1000, bare.cpuMsPer1000, target(SCALE_TARGETS.cpuPer1000)),
    rssPerConnection: { ...rss, met: rss.met === null ? null : rss.met && underCap === true, underCap },
    heapPerConnection: ratioOf(project.heapPerConnection, bare.heapPerConnection, null),
    idleCpuPerConnection: ratioOf(project.idleCpuUsPerConnectionSecond, bare.idleCpuUsPerConnectionSecond, null),
    requestsPerSecond: polling ? ratioOf(project.latencyRequestsPerSecond, bare.latencyRequestsPerSecond, null) : null,
    projectLimit: project.limit,
    bareLimit: bare.limit,
    notServers: notTransport(project.limit) || notTransport(bare.limit),
  };
}

/** Every transport ramped on both sides, its steps paired by client count (only steps both ramps measured). */
export function compareScale(scale: ScaleResults, config: Pick<BenchConfig, "pollIntervalMs" | "rate">, machineCores: number): TransportComparison[] {
  if (scale.bare === undefined) return [];
  const projects = scaleFigures(scale, config, machineCores);
  const bares = scaleFigures({ ...scale, transports: scale.bare }, config, machineCores);
  return projects.flatMap((project) => {
    const bare = bares.find((b) => b.transport === project.transport);
    if (bare === undefined) return [];
    const steps = project.steps.flatMap((p) => {
      const b = bare.steps.find((s) => s.clients === p.clients);
      return b === undefined ? [] : [compareStep(project.transport, p, b)];
    });
    return [{ transport: project.transport, label: project.label, targeted: STREAMING_TRANSPORTS.has(project.transport), steps, project, bare }];
  });
}

const times = (r: number): string => `${r.toFixed(2)}×`;

/** "1.25×: **missed**", "1.05×: met", "0.90×" (no target), "–" (no ratio). */
export function ratioCell(r: Ratio): string {
  if (r.ratio === null) return "–";
  if (r.met === null) return times(r.ratio);
  return `${times(r.ratio)}: ${r.met ? "met" : "**missed**"}`;
}

const pair = (r: Ratio, unit: (v: number | null) => string): string => `${unit(r.project)} / ${unit(r.bare)}`;
const us = (v: number | null): string => (v === null ? "–" : `${fmt(v, 2)} µs`);
const perSecond = (v: number | null): string => fmt(v);

function limitText(side: string, limit: Limit | null): string {
  if (limit === null) return `${side}: none flagged`;
  return NOT_TRANSPORT.has(limit.kind) ? `${side}: **${limit.kind}**: ${limit.text}` : `${side}: ${limit.kind}: ${limit.text}`;
}

function whoseLimit(s: StepComparison): string {
  if (s.projectLimit === null && s.bareLimit === null) return "–";
  const both = `${limitText("lab", s.projectLimit)}; ${limitText("bare", s.bareLimit)}`;
  return s.notServers ? `**⚠ not the servers' alone**: ${both}` : both;
}

export function comparisonTable(list: readonly TransportComparison[], bareWebSocketPings = false): Table {
  return {
    head: [
      "transport",
      "clients",
      "p99 lab / bare",
      `p99 ratio (≤ ${SCALE_TARGETS.p99}×)`,
      "CPU / 1,000 deliveries lab / bare",
      `CPU ratio (≤ ${SCALE_TARGETS.cpuPer1000}×)`,
      "RSS / conn lab / bare",
      `RSS ratio (≤ ${SCALE_TARGETS.memoryPerConnection}×, lab ≤ 50 KB)`,
      "heap / conn lab / bare",
      "heap ratio",
      "idle CPU / conn / s lab / bare",
      "idle ratio",
      "requests / s lab / bare",
      "whose limit",
    ],
    rows: list.flatMap((t) =>
      t.steps.map((s) => [
        t.label,
        fmt(s.clients),
        pair(s.p99, ms),
        ratioCell(s.p99),
        pair(s.cpuPer1000, ms),
        ratioCell(s.cpuPer1000),
        pair(s.rssPerConnection, bytes),
        ratioCell(s.rssPerConnection) + (s.rssPerConnection.underCap === false ? " (lab over 50 KB)" : ""),
        pair(s.heapPerConnection, bytes),
        ratioCell(s.heapPerConnection),
        pair(s.idleCpuPerConnection, us),
        ratioCell(s.idleCpuPerConnection) + (t.transport === "ws" && !bareWebSocketPings ? " (bare: no pings)" : ""),
        s.requestsPerSecond === null ? "–" : `${pair(s.requestsPerSecond, perSecond)} (${ratioCell(s.requestsPerSecond)})`,
        whoseLimit(s),
      ]),
    ),
  };
}

const kneeText = (f: ScaleTransportFigures): string =>
  f.knee.at === null ? `ramp held every step up to ${fmt(f.knee.lastGood ?? 0)}` : `knee at ${fmt(f.knee.at)} (${f.knee.reasons.join("; ")})`;

/** What the bare server sends an idle connection, as the run recorded it. */
function bareIdleNote(bareWebSocketPings: boolean): string {
  return bareWebSocketPings
    ? "Both servers ping each WebSocket every LAB_WS_PING_MS and send each stream and SSE connection one heartbeat every LAB_HEARTBEAT_MS: idle windows compare like with like."
    : "The bare server sends no WebSocket pings: its idle CPU for WebSocket has none, the lab's has one per connection every LAB_WS_PING_MS, so WebSocket's idle ratio is not like with like (and the pings are in the lab's CPU per 1,000 deliveries, not in the bare server's). It sends each stream and SSE connection one heartbeat every LAB_HEARTBEAT_MS.";
}

export function comparisonSection(list: readonly TransportComparison[], bareWebSocketPings = false): Section {
  return {
    id: "scale-bare",
    title: "Against a bare server",
    intro:
      "Each transport's ramp against the lab's server was followed by the same ramp (steps, windows, rate, server environment) against the bare reference server (node:http and ws, `scripts/bench/baselines/`: no framework, no metering, no limits), each on a fresh process with its own block of source addresses. " +
      "Ratios are lab / bare at every step both ramps measured. " +
      `Targets (issue 11), for HTTP streaming, SSE and WebSocket: p99 at the fixed rate ≤ ${SCALE_TARGETS.p99}×, server CPU per 1,000 deliveries in the latency window ≤ ${SCALE_TARGETS.cpuPer1000}×, RSS per connection after a full collection ≤ ${SCALE_TARGETS.memoryPerConnection}× and ≤ 50 KB (50,000 B); polling and long polling have none: they are reported as far as they go. ` +
      "**One ramp per side: every ratio is a single sample, with no spread.** Earlier identical runs on this machine differed by up to 1.6× in p99, so a p99 ratio inside that is not a difference between the servers; CPU per delivery and memory per connection are steadier. " +
      "A ratio made while the generator or the machine was the limit on either side (**⚠** in the last column) is that limit's as much as the servers'. " +
      "Per-connection memory is the difference from the empty server divided by the connections, so at small steps it is noise (a negative figure has no ratio). " +
      bareIdleNote(bareWebSocketPings),
    table: comparisonTable(list, bareWebSocketPings),
  };
}

function verdictWord(r: Ratio): string {
  return r.met === null ? "" : r.met ? ": met" : ": **missed**";
}

/** One finding per transport at the largest step both sides measured (10,000 in a full run). */
export function comparisonInsights(list: readonly TransportComparison[]): string[] {
  const lines: string[] = [];
  for (const t of list) {
    const s = t.steps[t.steps.length - 1];
    if (s === undefined) {
      lines.push(`${t.label} against the bare server: no step measured on both sides.`);
      continue;
    }
    const r = (x: Ratio, unit: (v: number | null) => string): string =>
      x.ratio === null ? `– (${pair(x, unit)})` : `${times(x.ratio)} (${pair(x, unit)})${verdictWord(x)}`;
    const rss = s.rssPerConnection;
    const target = t.targeted
      ? ""
      : `; no target for ${t.label.toLowerCase()}, reported as far as it goes: the lab's ${kneeText(t.project)}, the bare server's ${kneeText(t.bare)}`;
    const requests = s.requestsPerSecond === null ? "" : `, requests/s ${r(s.requestsPerSecond, perSecond)}`;
    lines.push(
      `${t.label} at ${fmt(s.clients)} against the bare server (lab / bare, single samples): p99 ${r(s.p99, ms)}, CPU per 1,000 deliveries ${r(s.cpuPer1000, ms)}, ` +
        `RSS per connection ${r(rss, bytes)}${rss.underCap === false ? " (the lab's over 50 KB)" : ""}${requests}${target}.`,
    );
    if (s.notServers)
      lines.push(
        `**⚠ ${t.label} at ${fmt(s.clients)}: these ratios are not the servers' alone: ${[limitText("lab", s.projectLimit), limitText("bare", s.bareLimit)].join("; ").replace(/\*\*/g, "")}.**`,
      );
    const last = t.project.steps[t.project.steps.length - 1]?.clients;
    const bareLast = t.bare.steps[t.bare.steps.length - 1]?.clients;
    if (bareLast !== last)
      lines.push(
        `${t.label}: the lab's ramp reached ${fmt(last ?? 0)} and the bare server's ${fmt(bareLast ?? 0)}; the ratios stop at the last step both measured.`,
      );
  }
  return lines;
}
