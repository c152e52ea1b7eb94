import { TRANSPORT_LABELS, type Transport } from "../../protocol/types.js";
import type { ScaleMemory, ScaleResults, ScaleStep, ScaleTransportRun, ScaleWindow } from "../bench/scale/results.js";
import type { BenchConfig } from "../bench/scenarios.js";
import { bytes, fmt, ms } from "./format.js";

/**
 * What a scale report shows, derived from the raw figures of results.json alone: per-connection
 * costs, the knee of each ramp and what limited it. Pure functions, tested on fixed figures.
 */

/** Thresholds in one place: where a step counts as broken, and when a limit is the machine's. */
export const KNEE = {
  /** Failed connect attempts over this share of the clients added. */
  connectErrorShare: 0.01,
  /** p99 grew more than this many times faster than the clients did since the previous step... */
  latencyGrowth: 2,
  /** ...and is above this, so that noise at a few ms does not count. */
  latencyFloorMs: 50,
  /** Short polling served fewer requests per second than this share of what its clients asked for. */
  requestShare: 0.9,
  /** A server thread busier than this share of one core is saturated (Node serves on one thread). */
  serverCoreShare: 0.9,
  /** The machine busier than this share of all its cores: the server and the generator compete for them. */
  machineShare: 0.9,
} as const;

export type LimitKind = "fd limit" | "source ports" | "generator" | "machine" | "server";

/** The limits that are not the transport's: a figure made under one of them is the generator's or the machine's. */
export const NOT_TRANSPORT: ReadonlySet<LimitKind> = new Set<LimitKind>(["fd limit", "source ports", "generator", "machine"]);

export interface Limit {
  kind: LimitKind;
  text: string;
}

export interface StepFigures {
  clients: number;
  connected: number;
  connectMs: number;
  connectErrors: number;
  connectErrorCodes: Record<string, number>;
  refused: number;
  rssPerConnection: number;
  heapPerConnection: number;
  /** Server CPU per connection per second in the idle window, the empty server's own cost removed. µs. */
  idleCpuUsPerConnectionSecond: number;
  idleServerCores: number;
  idleRequestsPerSecond: number;
  /** What short polling's clients ask for (clients / interval); null for other transports. */
  askedRequestsPerSecond: number | null;
  p50: number;
  p99: number;
  max: number;
  expected: number;
  delivered: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  windowErrors: number;
  publishErrors: number;
  latencyRequestsPerSecond: number;
  cpuMsPer1000: number | null;
  latencyServerCores: number;
  generatorCores: number;
  machineCores: number | null;
  eventLoopDelayP99Ms: number;
  generatorSaturated: boolean;
  generatorReasons: string[];
  /** Set when a figure of this step may be the generator's or the machine's rather than the transport's. */
  limit: Limit | null;
}

const perSecond = (n: number, w: { wallMs: number }): number => (w.wallMs > 0 ? (n * 1000) / w.wallMs : 0);
const cores = (cpuMs: number, wallMs: number): number => (wallMs > 0 ? cpuMs / wallMs : 0);

/** What the step's windows say limited them, most telling first; null when nothing but the server's transport work did. */
export function limitOf(step: ScaleStep, machineCores: number): Limit | null {
  const codes = { ...step.connect.errorCodes, ...step.latency.errorCodes };
  if ((codes.EMFILE ?? 0) + (codes.ENFILE ?? 0) > 0) return { kind: "fd limit", text: "the generator ran out of file descriptors (EMFILE): raise `ulimit -n`" };
  if ((codes.EADDRNOTAVAIL ?? 0) + (codes.EADDRINUSE ?? 0) > 0)
    return { kind: "source ports", text: "the generator ran out of ephemeral ports on a source address (EADDRNOTAVAIL)" };
  const windows: [string, ScaleWindow][] = [
    ["idle", step.idle],
    ["latency", step.latency],
  ];
  // A saturated generator or machine may hide a saturated server: say so too.
  const busyServer = windows.find(([, w]) => cores(w.server.cpuMs, w.wallMs) >= KNEE.serverCoreShare);
  const serverText = (name: string, w: ScaleWindow): string =>
    `the server's thread was busy ${(cores(w.server.cpuMs, w.wallMs) * 100).toFixed(0)}% of the ${name} window`;
  const also = busyServer === undefined ? "" : `; ${serverText(...busyServer).replace("the server's thread was", "the server's thread was also")}`;
  for (const [name, w] of windows) {
    if (w.generator.saturated)
      return { kind: "generator", text: `the load generator was saturated in the ${name} window (${w.generator.reasons.join("; ")})${also}` };
  }
  for (const [name, w] of windows) {
    const server = cores(w.server.cpuMs, w.wallMs);
    const busy = w.machine === null ? cores(w.server.cpuMs + w.generator.cpuMs, w.wallMs) : cores(w.machine.busyMs, w.wallMs);
    if (busy > KNEE.machineShare * machineCores && server < KNEE.serverCoreShare) {
      const generator = cores(w.generator.cpuMs, w.wallMs);
      const other = Math.max(0, busy - server - generator);
      const who = other > server + generator ? "other processes kept them busy" : "the generator shares them with the server";
      return {
        kind: "machine",
        text: `the machine's ${machineCores} cores were ${((busy / machineCores) * 100).toFixed(0)}% busy in the ${name} window (server ${server.toFixed(2)}, generator ${generator.toFixed(2)}, other processes ${other.toFixed(2)} cores): ${who}${also}`,
      };
    }
  }
  return busyServer === undefined ? null : { kind: "server", text: serverText(...busyServer) };
}

export function stepFigures(
  step: ScaleStep,
  baseline: ScaleTransportRun["baseline"],
  transport: Transport,
  config: Pick<BenchConfig, "pollIntervalMs">,
  machineCores: number,
): StepFigures {
  const n = step.clients;
  const perConnection = (pick: (m: ScaleMemory) => number): number => (pick(step.memory) - pick(baseline.memory)) / n;
  const baseCores = cores(baseline.cpuMs, baseline.wallMs);
  const idleCores = cores(step.idle.server.cpuMs, step.idle.wallMs);
  const l = step.latency;
  const serverCpu = l.server.cpuMs;
  const limit = limitOf(step, machineCores);
  return {
    clients: n,
    connected: step.connect.connected,
    connectMs: step.connect.ms,
    connectErrors: step.connect.errors,
    connectErrorCodes: step.connect.errorCodes,
    refused: step.connect.refused,
    rssPerConnection: perConnection((m) => m.rssBytes),
    heapPerConnection: perConnection((m) => m.heapUsedBytes),
    idleCpuUsPerConnectionSecond: (Math.max(0, idleCores - baseCores) * 1e6) / n,
    idleServerCores: idleCores,
    idleRequestsPerSecond: perSecond(step.idle.server.requests, step.idle),
    askedRequestsPerSecond: transport === "poll" ? (n * 1000) / config.pollIntervalMs : null,
    p50: l.latency.p50,
    p99: l.latency.p99,
    max: l.latency.max,
    expected: l.expected,
    delivered: l.delivered,
    lost: l.lost,
    duplicated: l.duplicated,
    outOfOrder: l.outOfOrder,
    windowErrors: l.errors,
    publishErrors: l.publishErrors,
    latencyRequestsPerSecond: perSecond(l.server.requests, l),
    cpuMsPer1000: l.delivered > 0 ? (serverCpu / l.delivered) * 1000 : null,
    latencyServerCores: cores(serverCpu, l.wallMs),
    generatorCores: cores(l.generator.cpuMs, l.wallMs),
    machineCores: l.machine === null ? null : cores(l.machine.busyMs, l.wallMs),
    eventLoopDelayP99Ms: l.server.eventLoopDelayP99Ms,
    generatorSaturated: step.idle.generator.saturated || l.generator.saturated,
    generatorReasons: [...step.idle.generator.reasons, ...l.generator.reasons],
    limit,
  };
}

/**
 * The most a message may be late at the fixed rate: one message period (the fan-out of a message
 * should be done before the next is published), plus one poll interval for short polling, whose
 * clients only ask that often.
 */
export function latencyBudgetMs(transport: Transport, rate: number, pollIntervalMs: number): number {
  return (rate > 0 ? 1000 / rate : 1000) + (transport === "poll" ? pollIntervalMs : 0);
}

/** Why a step counts as broken (empty when it does not), against the step before it. */
export function breaks(f: StepFigures, previous: StepFigures | null, budgetMs: number): string[] {
  const reasons: string[] = [];
  const missing = f.clients - f.connected;
  if (missing > 0) reasons.push(`${fmt(missing)} of ${fmt(f.clients)} subscribers not connected`);
  const added = f.clients - (previous?.clients ?? 0);
  if (f.connectErrors > added * KNEE.connectErrorShare) reasons.push(`${fmt(f.connectErrors)} failed connect attempts (${codes(f.connectErrorCodes)})`);
  if (f.lost > 0) reasons.push(`${fmt(f.lost)} of ${fmt(f.expected)} deliveries lost`);
  if (f.publishErrors > 0) reasons.push(`${fmt(f.publishErrors)} publishes failed`);
  if (f.expected > 0 && f.p99 > budgetMs) reasons.push(`p99 ${ms(f.p99)} over the ${ms(budgetMs)} a message may take at this rate`);
  if (previous !== null && previous.p99 > 0 && f.p99 > KNEE.latencyFloorMs) {
    const growth = f.p99 / previous.p99;
    const clients = f.clients / previous.clients;
    if (growth > KNEE.latencyGrowth * clients) reasons.push(`p99 grew ${growth.toFixed(1)}× for ${clients.toFixed(1)}× the clients`);
  }
  if (f.askedRequestsPerSecond !== null && f.idleRequestsPerSecond < KNEE.requestShare * f.askedRequestsPerSecond) {
    reasons.push(`served ${fmt(f.idleRequestsPerSecond)} polls/s of the ${fmt(f.askedRequestsPerSecond)} its clients asked for`);
  }
  return reasons;
}

function codes(c: Record<string, number>): string {
  const list = Object.entries(c)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${code} ${fmt(n)}`);
  return list.length === 0 ? "no code" : list.join(", ");
}

export interface Knee {
  /** The first broken step's clients, or null when every step held. */
  at: number | null;
  /** The largest step before it (or the last step when there is no knee); null when the first step broke. */
  lastGood: number | null;
  reasons: string[];
  /** What limited the broken step: when it is the generator or the machine, the knee is not the transport's. */
  limit: Limit | null;
}

export function kneeOf(list: readonly StepFigures[], budgetMs: number): Knee {
  let previous: StepFigures | null = null;
  for (const f of list) {
    const reasons = breaks(f, previous, budgetMs);
    if (reasons.length > 0) return { at: f.clients, lastGood: previous?.clients ?? null, reasons, limit: f.limit };
    previous = f;
  }
  return { at: null, lastGood: previous?.clients ?? null, reasons: [], limit: null };
}

export interface ScaleTransportFigures {
  transport: Transport;
  label: string;
  steps: StepFigures[];
  knee: Knee;
  budgetMs: number;
  stopped: string | null;
}

export function scaleFigures(scale: ScaleResults, config: Pick<BenchConfig, "pollIntervalMs" | "rate">, machineCores: number): ScaleTransportFigures[] {
  return scale.transports.map((run) => {
    const steps = run.steps.map((s) => stepFigures(s, run.baseline, run.transport, config, machineCores));
    const budgetMs = latencyBudgetMs(run.transport, config.rate, config.pollIntervalMs);
    let knee = kneeOf(steps, budgetMs);
    // A step the bench could not measure at all (the server stopped answering it) is a knee too.
    const aborted = run.abortedAt ?? null;
    if (knee.at === null && aborted !== null)
      knee = { at: aborted, lastGood: knee.lastGood, reasons: [run.stopped ?? "the step could not be measured"], limit: null };
    return { transport: run.transport, label: TRANSPORT_LABELS[run.transport], steps, knee, budgetMs, stopped: run.stopped };
  });
}

/** The bench's progress line after each step. */
export function stepSummary(
  transport: Transport,
  step: ScaleStep,
  baseline: ScaleTransportRun["baseline"],
  config: Pick<BenchConfig, "pollIntervalMs">,
): string {
  const f = stepFigures(step, baseline, transport, config, 1);
  const rps = transport === "poll" || transport === "long-poll" ? `, ${fmt(f.idleRequestsPerSecond)} req/s idle` : "";
  return (
    `${fmt(f.clients)}: ${fmt(f.connected)} connected in ${(f.connectMs / 1000).toFixed(1)} s (${fmt(f.connectErrors)} failed attempts); ` +
    `${bytes(f.rssPerConnection)} RSS, ${bytes(f.heapPerConnection)} heap per connection; idle ${fmt(f.idleCpuUsPerConnectionSecond, 2)} µs CPU/connection/s${rps}; ` +
    `p50 ${ms(f.p50)}, p99 ${ms(f.p99)}, ${fmt(f.lost)} lost; server ${f.latencyServerCores.toFixed(2)} cores, generator ${f.generatorCores.toFixed(2)}${f.generatorSaturated ? " (saturated)" : ""}`
  );
}
