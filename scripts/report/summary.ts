import { TRANSPORT_LABELS, type Transport } from "../../protocol/types.js";
import type { BenchResults, Bytes, ClientCounts, LatencySummary, ServerCounts, TransportRun } from "../bench/results.js";
import { windowFloor, type ModelInput } from "./model.js";

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
  transport: Transport;
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
  floorPerMessage: Bytes | null;
  /** measured / floor, both directions together. */
  floorRatio: number | null;
  bytesPerClientSecond: Bytes;
  floorPerClientSecond: Bytes;
  agreement: Agreement;
  publishAgreement: Agreement;
  serverCpuMsPer1000: number | null;
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
  };
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
  const cpu = run.server === null ? null : run.server.cpuUserMs + run.server.cpuSystemMs;
  return {
    transport: run.transport,
    label: TRANSPORT_LABELS[run.transport],
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
    floorPerMessage,
    floorRatio: bytesPerMessage !== null && floorPerMessage !== null && total(floorPerMessage) > 0 ? total(bytesPerMessage) / total(floorPerMessage) : null,
    bytesPerClientSecond: clientSeconds > 0 ? per(win.bytes, clientSeconds) : { up: 0, down: 0 },
    floorPerClientSecond: clientSeconds > 0 ? per(floor, clientSeconds) : { up: 0, down: 0 },
    agreement: agreement(run.phase.client, run.phase.server),
    // Over a WebSocket the server meters publishing as `ws`: it is compared within `agreement` instead.
    publishAgreement: run.publishVia === "ws" ? { up: 0, down: 0, ok: true } : agreement(run.publish.client, run.publish.server),
    serverCpuMsPer1000: cpu !== null && delivered > 0 ? (cpu / delivered) * 1000 : null,
  };
}

export function allFigures(results: BenchResults): TransportFigures[] {
  return results.transports.map((run) => figures(results, run));
}

export function deliveryProblems(run: TransportRun): string[] {
  const d = run.delivery;
  const name = TRANSPORT_LABELS[run.transport];
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
  return results.transports.flatMap(deliveryProblems);
}
