import { failoverProblems } from "./failover.js";
import {
  publisherInPhase,
  type BenchResults,
  type Bytes,
  type ClientCounts,
  type LatencySummary,
  type ServerCounts,
  type TransportRun,
} from "../bench/results.js";
import { benchLabel, isPlainTransport, type BenchTransport } from "../bench/transports.js";
import { wireName } from "../bench/wire.js";
import { messageFloor, windowFloor, type ModelInput } from "./model.js";
import type { LinkProfile } from "../net/profiles.js";
import { spreadOf, type Spread } from "./spread.js";
import { baselineProblems } from "./baseline.js";
import { scaleProblems } from "./scale.js";

/** Both ends' byte counts may differ by at most this share before the report flags it. */
export const AGREEMENT_LIMIT = 0.01;

export interface Agreement {
  /** |client − server| / larger, per direction. */
  up: number;
  down: number;
  ok: boolean;
}

/** Everything a report shows for one transport, derived from its raw figures. */
export interface TransportFigures {
  transport: BenchTransport;
  label: string;
  clients: number;
  windowSeconds: number;
  latency: LatencySummary;
  deliveryOk: boolean;
  run: TransportRun;
  requests: number;
  requestsPerMessage: number | null;
  requestsPerClientSecond: number;
  connections: number;
  /** Measured by the generator's sockets over the window, per delivered message. */
  bytesPerMessage: Bytes | null;
  /**
   * Share of the bytes down that were not body (response bodies, WebSocket payloads, as the
   * clients read them): headers, framing, heartbeats and TLS. Null for runs that did not count bodies.
   */
  overheadShareDown: number | null;
  floorPerMessage: Bytes | null;
  /** The floor with each request as a browser sends it (its captured headers); null when the run recorded none. */
  browserFloorPerMessage: Bytes | null;
  /** Time to first message from connect start (ms), p50 and p99 over the subscribers; null when not measured. */
  firstMessage: { p50: number; p99: number } | null;
  /**
   * `--network`: the one-way floor a message cannot beat, RTT/2 plus the serialization of its
   * minimal framed bytes at the link's down rate (ms), and the latency above it (p50, p99).
   */
  oneWayFloorMs: number | null;
  aboveFloor: { p50: number; p99: number } | null;
  /** measured / floor, both directions together. */
  floorRatio: number | null;
  bytesPerClientSecond: Bytes;
  floorPerClientSecond: Bytes;
  agreement: Agreement;
  publishAgreement: Agreement;
  serverCpuMsPer1000: number | null;
  /**
   * One entry per repeat, each that repeat's own figures, when the run repeated its phases: the
   * figures above are then the medians across them (`run` is all repeats together, `agreement` the
   * worst repeat's). Empty for a run of one repeat, whose figures are its own.
   */
  perRepeat: TransportFigures[];
}

/** The figures of each repeat (the figures themselves for a run of one). */
export function repeatsOf(f: TransportFigures): TransportFigures[] {
  return f.perRepeat.length > 0 ? f.perRepeat : [f];
}

/** Median and range of one figure across the repeats; null if no repeat has it. */
export function spreadAcross(f: TransportFigures, pick: (one: TransportFigures) => number | null | undefined): Spread | null {
  const values = repeatsOf(f).flatMap((one) => {
    const v = pick(one);
    return v === null || v === undefined || !Number.isFinite(v) ? [] : [v];
  });
  return values.length === 0 ? null : spreadOf(values);
}

export function agreement(client: ClientCounts, server: ServerCounts): Agreement {
  const share = (a: number, b: number): number => (Math.max(a, b) === 0 ? 0 : Math.abs(a - b) / Math.max(a, b));
  const up = share(client.bytes.up, server.bytes.up);
  const down = share(client.bytes.down, server.bytes.down);
  return { up, down, ok: up <= AGREEMENT_LIMIT && down <= AGREEMENT_LIMIT };
}

export function modelInput(results: BenchResults, run: TransportRun): ModelInput {
  return {
    jsonBytes: run.messageJsonBytes,
    sampleId: Date.parse(results.startedAt) * 1000,
    host: new URL(results.target.url).host,
    longPollTimeoutMs: results.config.longPollTimeoutMs,
    ...(run.wire !== undefined ? { wire: { version: run.wire.version, tls: run.wire.tls } } : {}),
    ...(run.sockjs !== undefined ? { sockjs: run.sockjs } : {}),
  };
}

/**
 * A run's name in every table: the transport, and what it ran over when the run chose (`--http`,
 * `--tls`); WebSocket in an HTTP/2 phase names the HTTP/1.1+TLS it really spoke.
 */
export function runLabel(run: Pick<TransportRun, "transport" | "wire" | "compression" | "sockjs">): string {
  const name =
    benchLabel(run.transport, run.sockjs) + (run.compression === undefined ? "" : run.compression === "off" ? " · uncompressed" : ` · ${run.compression}`);
  if (run.wire === undefined) return name;
  const over = wireName(run.wire);
  return run.wire.phase === "2" && run.wire.version !== "2" ? `${name} · ${over} (HTTP/2 phase)` : `${name} · ${over}`;
}

const per = (b: Bytes, n: number): Bytes => ({ up: b.up / n, down: b.down / n });
const total = (b: Bytes): number => b.up + b.down;

export function figures(results: BenchResults, run: TransportRun): TransportFigures {
  const win = run.window.client;
  const seconds = run.windowMs / 1000;
  const delivered = run.delivery.delivered;
  const clientSeconds = run.clients * seconds;
  const input = modelInput(results, run);
  const floor = windowFloor(run.transport, input, delivered, win.requests);
  const bytesPerMessage = delivered > 0 ? per(win.bytes, delivered) : null;
  const floorPerMessage = delivered > 0 ? per(floor, delivered) : null;
  // The captured browser made no STOMP requests: STOMP's floor is the minimal one alone.
  const extra = isPlainTransport(run.transport) ? results.headers?.extraRequestBytes?.[run.transport] : undefined;
  const browserFloor =
    extra !== undefined && run.wire?.version !== "2" ? windowFloor(run.transport, { ...input, requestExtraBytes: extra }, delivered, win.requests) : null;
  const cpu = run.server === null ? null : run.server.cpuUserMs + run.server.cpuSystemMs;
  const floorMs = results.network === undefined ? null : oneWayFloor(results.network.profile, messageFloor(run.transport, input));
  return {
    transport: run.transport,
    label: runLabel(run),
    clients: run.clients,
    windowSeconds: seconds,
    latency: run.latency.summary,
    deliveryOk: deliveryProblems(run).length === 0,
    run,
    requests: win.requests,
    requestsPerMessage: delivered > 0 ? win.requests / delivered : null,
    requestsPerClientSecond: clientSeconds > 0 ? win.requests / clientSeconds : 0,
    connections: run.phase.client.connections,
    bytesPerMessage,
    overheadShareDown: win.body !== undefined && win.bytes.down > 0 ? Math.max(0, 1 - win.body / win.bytes.down) : null,
    floorPerMessage,
    browserFloorPerMessage: browserFloor !== null && delivered > 0 ? per(browserFloor, delivered) : null,
    firstMessage:
      run.firstMessage !== undefined && run.firstMessage.summary.count > 0 ? { p50: run.firstMessage.summary.p50, p99: run.firstMessage.summary.p99 } : null,
    oneWayFloorMs: floorMs,
    aboveFloor: floorMs !== null && delivered > 0 ? { p50: run.latency.summary.p50 - floorMs, p99: run.latency.summary.p99 - floorMs } : null,
    floorRatio: bytesPerMessage !== null && floorPerMessage !== null && total(floorPerMessage) > 0 ? total(bytesPerMessage) / total(floorPerMessage) : null,
    bytesPerClientSecond: clientSeconds > 0 ? per(win.bytes, clientSeconds) : { up: 0, down: 0 },
    floorPerClientSecond: clientSeconds > 0 ? per(floor, clientSeconds) : { up: 0, down: 0 },
    agreement: agreement(run.phase.client, run.phase.server),
    // A publisher on the phase's own transport (ws, or STOMP in a stomp-ws phase) is compared within `agreement` instead.
    publishAgreement: publisherInPhase(run) ? { up: 0, down: 0, ok: true } : agreement(run.publish.client, run.publish.server),
    serverCpuMsPer1000: cpu !== null && delivered > 0 ? (cpu / delivered) * 1000 : null,
    perRepeat: [],
  };
}

export function allFigures(results: BenchResults): TransportFigures[] {
  return results.transports.map((run) => {
    const whole = figures(results, run);
    const repeats = (run.repeats ?? []).map((one) => figures(results, one));
    return repeats.length === 0 ? whole : acrossRepeats(whole, repeats);
  });
}

/** Middle value of each figure across the repeats; bytes follow the repeat(s) with the median total, so up + down is that total. */
function acrossRepeats(whole: TransportFigures, repeats: TransportFigures[]): TransportFigures {
  const f: TransportFigures = { ...whole, perRepeat: repeats };
  const median = (pick: (one: TransportFigures) => number | null): number | null => spreadAcross(f, pick)?.median ?? null;
  const medianOf = (pick: (one: TransportFigures) => number): number => median(pick) ?? 0;
  const medianBytes = (pick: (one: TransportFigures) => Bytes | null): Bytes | null => {
    const list = repeats
      .map(pick)
      .filter((b): b is Bytes => b !== null)
      .sort((a, b) => total(a) - total(b));
    if (list.length === 0) return null;
    const middle = list.length % 2 === 1 ? [list[(list.length - 1) / 2]] : [list[list.length / 2 - 1], list[list.length / 2]];
    const picked = middle.filter((b): b is Bytes => b !== undefined);
    return { up: picked.reduce((n, b) => n + b.up, 0) / picked.length, down: picked.reduce((n, b) => n + b.down, 0) / picked.length };
  };
  const worst = (pick: (one: TransportFigures) => Agreement): Agreement => {
    const list = repeats.map(pick);
    return { up: Math.max(...list.map((a) => a.up)), down: Math.max(...list.map((a) => a.down)), ok: list.every((a) => a.ok) };
  };
  const l = (key: keyof LatencySummary): number => medianOf((one) => one.latency[key]);
  const pair = (pick: (one: TransportFigures) => { p50: number; p99: number } | null): { p50: number; p99: number } | null => {
    const p50 = median((one) => pick(one)?.p50 ?? null);
    const p99 = median((one) => pick(one)?.p99 ?? null);
    return p50 === null || p99 === null ? null : { p50, p99 };
  };
  return {
    ...f,
    windowSeconds: medianOf((one) => one.windowSeconds),
    latency: { count: whole.latency.count, mean: l("mean"), p50: l("p50"), p90: l("p90"), p99: l("p99"), p999: l("p999"), max: l("max") },
    requests: medianOf((one) => one.requests),
    requestsPerMessage: median((one) => one.requestsPerMessage),
    requestsPerClientSecond: medianOf((one) => one.requestsPerClientSecond),
    connections: medianOf((one) => one.connections),
    bytesPerMessage: medianBytes((one) => one.bytesPerMessage),
    overheadShareDown: median((one) => one.overheadShareDown),
    floorPerMessage: medianBytes((one) => one.floorPerMessage),
    browserFloorPerMessage: medianBytes((one) => one.browserFloorPerMessage),
    firstMessage: pair((one) => one.firstMessage),
    aboveFloor: pair((one) => one.aboveFloor),
    floorRatio: median((one) => one.floorRatio),
    bytesPerClientSecond: medianBytes((one) => one.bytesPerClientSecond) ?? { up: 0, down: 0 },
    floorPerClientSecond: medianBytes((one) => one.floorPerClientSecond) ?? { up: 0, down: 0 },
    agreement: worst((one) => one.agreement),
    publishAgreement: worst((one) => one.publishAgreement),
    serverCpuMsPer1000: median((one) => one.serverCpuMsPer1000),
  };
}

/** How many times each transport's phase ran: 1 for runs made before --repeat. */
export function repeatCount(results: BenchResults): number {
  return Math.max(1, ...results.transports.map((run) => run.repeats?.length ?? 1));
}

export function deliveryProblems(run: TransportRun): string[] {
  const d = run.delivery;
  const name = runLabel(run);
  const problems: string[] = [];
  if (d.lost > 0) problems.push(`${name}: ${d.lost} of ${d.expected} deliveries lost`);
  if (d.duplicated > 0) problems.push(`${name}: ${d.duplicated} duplicate deliveries`);
  if (d.outOfOrder > 0) problems.push(`${name}: ${d.outOfOrder} deliveries out of order`);
  if (run.published.errors > 0) problems.push(`${name}: ${run.published.errors} publishes failed`);
  if (d.protocolErrors > 0) problems.push(`${name}: ${d.protocolErrors} client errors (failed requests or bad frames)`);
  return problems;
}

/** What makes the CLI exit non-zero: anything but exact, in-order, once-only delivery. */
export function verdict(results: BenchResults): string[] {
  return [
    ...results.transports.flatMap(deliveryProblems),
    ...(results.baseline === undefined ? [] : baselineProblems(results.baseline)),
    ...(results.scale === undefined ? [] : scaleProblems(results.scale)),
    ...(results.failover === undefined ? [] : failoverProblems(results.failover)),
  ];
}

/** One-way floor of a message of `bytes` over `profile`: half the RTT, then its serialization at the down rate (ms). */
export function oneWayFloor(profile: LinkProfile, bytes: number): number {
  return profile.rttMs / 2 + (profile.downBitsPerSecond === null ? 0 : (bytes * 8 * 1000) / profile.downBitsPerSecond);
}
