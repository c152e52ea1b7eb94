import type { BenchTransport } from "../bench/transports.js";
import { bytes, ms } from "./format.js";
import { overlaps, ratioOf, withSpread, type Spread } from "./spread.js";
import { spreadAcross, type TransportFigures } from "./summary.js";
import type { Table } from "./tables.js";

/**
 * What STOMP and SockJS add per message: STOMP over WebSocket against bare WebSocket (the MESSAGE
 * frame's command, headers and NUL), and each STOMP-over-SockJS phase against STOMP over WebSocket
 * (SockJS's quoting and its sub-transport) and against SSE (the bare one-way HTTP stream it most
 * resembles). Bytes are exact; server CPU and latency are compared with the repeats' ranges, and
 * called within noise when they overlap.
 */

/** One STOMP phase set beside the transport it is built on or competes with. */
export interface StompComparison {
  /** What the row compares, e.g. "STOMP over WebSocket against WebSocket". */
  label: string;
  what: "STOMP" | "SockJS" | "SockJS against SSE";
  subject: TransportFigures;
  base: TransportFigures;
}

const total = (b: { up: number; down: number } | null): number | null => (b === null ? null : b.up + b.down);

/** The comparisons this run's phases allow, in the run's order; none without STOMP or without its bases. */
export function stompComparisons(list: readonly TransportFigures[]): StompComparison[] {
  // STOMP runs only over plaintext HTTP/1.1, uncompressed: its bases are the phases measured the same way.
  const plain = list.filter((f) => f.run.wire === undefined && f.run.compression === undefined);
  const find = (t: BenchTransport): TransportFigures | undefined => plain.find((f) => f.transport === t);
  const ws = find("ws");
  const sse = find("sse");
  const stompWs = find("stomp-ws");
  const out: StompComparison[] = [];
  if (stompWs !== undefined && ws !== undefined) out.push({ label: `${stompWs.label} against ${ws.label}`, what: "STOMP", subject: stompWs, base: ws });
  for (const f of plain.filter((one) => one.transport === "stomp-sockjs")) {
    if (stompWs !== undefined) out.push({ label: `${f.label} against ${stompWs.label}`, what: "SockJS", subject: f, base: stompWs });
    if (sse !== undefined) out.push({ label: `${f.label} against ${sse.label}`, what: "SockJS against SSE", subject: f, base: sse });
  }
  return out;
}

/** The subject's median minus the base's, for a figure both have. */
function added(c: StompComparison, pick: (f: TransportFigures) => number | null): number | null {
  const a = spreadAcross(c.subject, pick);
  const b = spreadAcross(c.base, pick);
  return a === null || b === null ? null : a.median - b.median;
}

const signed = (show: (v: number) => string) => (v: number | null) => (v === null ? "–" : v >= 0 ? `+${show(v)}` : `−${show(-v)}`);

/** Subject over base as a ratio of medians, "within noise" when the repeats' ranges overlap. */
export function ratioCell(subject: Spread | null, base: Spread | null): string {
  if (subject === null || base === null) return "–";
  const r = ratioOf(subject, base).median;
  const text = r === Number.POSITIVE_INFINITY ? "∞×" : `${r.toFixed(2)}×`;
  return base.n > 1 && overlaps(subject, base) ? `${text}, within noise` : text;
}

const bytesPerMessage = (f: TransportFigures): number | null => total(f.bytesPerMessage);
const floorPerMessage = (f: TransportFigures): number | null => total(f.floorPerMessage);
const cpu = (f: TransportFigures): number | null => f.serverCpuMsPer1000;

export function stompTable(comparisons: readonly StompComparison[]): Table {
  const cell = (f: TransportFigures, pick: (one: TransportFigures) => number | null, show: (v: number) => string): string => {
    const s = spreadAcross(f, pick);
    return s === null ? "–" : withSpread(s, show);
  };
  return {
    head: [
      "comparison",
      "bytes / message",
      "added / message",
      "of which the framing floor",
      "requests / message",
      "server CPU / 1,000 deliveries",
      "CPU ratio",
      "p50",
      "p99",
    ],
    rows: comparisons.map((c) => [
      c.label,
      `${cell(c.subject, bytesPerMessage, bytes)} against ${cell(c.base, bytesPerMessage, bytes)}`,
      signed(bytes)(added(c, bytesPerMessage)),
      signed(bytes)(added(c, floorPerMessage)),
      `${cell(
        c.subject,
        (f) => f.requestsPerMessage,
        (v) => v.toFixed(3),
      )} against ${cell(
        c.base,
        (f) => f.requestsPerMessage,
        (v) => v.toFixed(3),
      )}`,
      `${cell(c.subject, cpu, ms)} against ${cell(c.base, cpu, ms)}`,
      ratioCell(spreadAcross(c.subject, cpu), spreadAcross(c.base, cpu)),
      `${cell(c.subject, (f) => f.latency.p50, ms)} against ${cell(c.base, (f) => f.latency.p50, ms)}`,
      `${cell(c.subject, (f) => f.latency.p99, ms)} against ${cell(c.base, (f) => f.latency.p99, ms)}`,
    ]),
  };
}

/** The comparison as a sentence for "What this run shows": bytes exact, CPU and latency with their noise. */
export function stompInsights(comparisons: readonly StompComparison[]): string[] {
  return comparisons.flatMap((c) => {
    const extra = added(c, bytesPerMessage);
    if (extra === null) return [];
    const floor = added(c, floorPerMessage);
    const words =
      c.what === "STOMP"
        ? "the MESSAGE frame's command, headers and NUL"
        : c.what === "SockJS"
          ? "SockJS's quoted array frame and its sub-transport's framing"
          : "STOMP's frame, SockJS's quoting and the sub-transport's framing, against SSE's `id:`/`data:` lines";
    const latency = (key: "p50" | "p99"): string =>
      `${key} ${ratioCell(
        spreadAcross(c.subject, (f) => f.latency[key]),
        spreadAcross(c.base, (f) => f.latency[key]),
      )}`;
    const floorText = floor === null ? "" : ` (the framing floor's share, ${words}: ${signed(bytes)(floor)})`;
    return [
      `${c.label}: ${signed(bytes)(extra)} per delivered message${floorText}; server CPU per 1,000 deliveries ${ratioCell(spreadAcross(c.subject, cpu), spreadAcross(c.base, cpu))}, latency ${latency("p50")}, ${latency("p99")}.`,
    ];
  });
}
