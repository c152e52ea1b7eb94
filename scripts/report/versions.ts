import type { ChartConfiguration } from "chart.js";
import { BENCH_LABELS, type BenchTransport } from "../bench/transports.js";
import type { BenchResults } from "../bench/results.js";
import { httpVersionsOf } from "../bench/scenarios.js";
import { wireName } from "../bench/wire.js";
import { bytes, fmt, ms } from "./format.js";
import { comparison } from "./insights.js";
import { overlaps, ratioOf, withSpread, type Spread } from "./spread.js";
import { spreadAcross, type TransportFigures } from "./summary.js";

/** One transport measured on both HTTP versions of a run: its HTTP/1.1 phase and its HTTP/2 phase. */
export interface VersionPair {
  transport: BenchTransport;
  label: string;
  h1: TransportFigures;
  h2: TransportFigures;
}

/** A run that compared HTTP versions (`--http both`). */
export function hasVersions(r: BenchResults): boolean {
  return httpVersionsOf(r.config).length > 1;
}

/** Each transport's two phases, in the run's transport order; a transport missing either is left out. */
export function versionPairs(list: readonly TransportFigures[]): VersionPair[] {
  const phase = (f: TransportFigures): string | undefined => f.run.wire?.phase;
  return list.flatMap((h1) => {
    if (phase(h1) !== "1.1") return [];
    const h2 = list.find((f) => f.transport === h1.transport && phase(f) === "2");
    return h2 === undefined ? [] : [{ transport: h1.transport, label: BENCH_LABELS[h1.transport], h1, h2 }];
  });
}

type Pick = (f: TransportFigures) => number | null | undefined;

/** A figure's median and range, "–" when the phase did not measure it. */
function shown(f: TransportFigures, pick: Pick, show: (v: number) => string): string {
  const s = spreadAcross(f, pick);
  return s === null ? "–" : withSpread(s, show);
}

/**
 * HTTP/2 over HTTP/1.1, as a ratio of the medians; "within noise" when the repeats' ranges
 * overlap, so the column never claims a difference the repeats do not support.
 */
export function versionRatio(h1: Spread | null, h2: Spread | null): string {
  if (h1 === null || h2 === null) return "–";
  if (h1.min === h2.min && h1.max === h2.max && h1.median === h2.median) return "equal";
  const r = ratioOf(h2, h1).median;
  const text = r === Number.POSITIVE_INFINITY ? "∞×" : `${r.toFixed(2)}×`;
  return h1.n > 1 && overlaps(h1, h2) ? `${text}, within noise` : text;
}

const total = (b: { up: number; down: number } | null | undefined): number | null => (b === null || b === undefined ? null : b.up + b.down);
const percent = (v: number): string => `${Math.round(v * 100)}%`;
const fixed3 = (v: number): string => v.toFixed(3);
const count = (v: number): string => fmt(v);
const ratio = (v: number): string => `${v.toFixed(2)}×`;

interface Figure {
  name: string;
  pick: Pick;
  show: (v: number) => string;
}

const FIGURES: Figure[] = [
  { name: "bytes up / message", pick: (f) => f.bytesPerMessage?.up, show: bytes },
  { name: "bytes down / message", pick: (f) => f.bytesPerMessage?.down, show: bytes },
  { name: "of the bytes down: headers, framing, TLS", pick: (f) => f.overheadShareDown, show: percent },
  { name: "framing floor / message", pick: (f) => total(f.floorPerMessage), show: bytes },
  { name: "measured / floor", pick: (f) => f.floorRatio, show: ratio },
  { name: "HTTP requests / message", pick: (f) => f.requestsPerMessage, show: fixed3 },
  { name: "bytes up / request", pick: (f) => (f.requests > 0 ? f.run.window.client.bytes.up / f.requests : null), show: bytes },
  { name: "TCP connections (client, whole phase)", pick: (f) => f.run.phase.client.connections, show: count },
  { name: "TCP connections (server, whole phase)", pick: (f) => f.run.phase.server.connections, show: count },
  { name: "latency p50", pick: (f) => (f.latency.count > 0 ? f.latency.p50 : null), show: ms },
  { name: "latency p99", pick: (f) => (f.latency.count > 0 ? f.latency.p99 : null), show: ms },
  { name: "server CPU / 1,000 deliveries", pick: (f) => f.serverCpuMsPer1000, show: ms },
];

/** What each phase ran over, for the table's head: "HTTP/1.1" or "HTTP/1.1+TLS", "HTTP/2". */
function phaseHeads(pairs: readonly VersionPair[]): [string, string] {
  const first = pairs.find((p) => p.transport !== "ws") ?? pairs[0];
  const name = (f: TransportFigures | undefined): string => (f?.run.wire === undefined ? "HTTP/1.1" : wireName(f.run.wire));
  return [name(first?.h1), name(first?.h2)];
}

/** The side-by-side table as data: one block of rows per transport, one row per figure. */
export function versionTable(pairs: readonly VersionPair[]): { head: string[]; rows: string[][] } {
  const [h1, h2] = phaseHeads(pairs);
  const rows = pairs.flatMap((p) =>
    FIGURES.map((figure, i) => [
      // Plain text: `**…**` marks a loud (alarming) cell in this report's tables.
      i === 0 ? (p.transport === "ws" ? `${p.label} (HTTP/2 phase over HTTP/1.1+TLS)` : p.label) : "",
      figure.name,
      shown(p.h1, figure.pick, figure.show),
      shown(p.h2, figure.pick, figure.show),
      versionRatio(spreadAcross(p.h1, figure.pick), spreadAcross(p.h2, figure.pick)),
    ]),
  );
  return { head: ["transport", "figure", h1, h2, "HTTP/2 ÷ HTTP/1.1"], rows };
}

/** How each phase was made, for the section's introduction. */
export function versionNotes(r: BenchResults): string {
  const shared = r.config.h2Shared === true;
  return [
    `Every transport ran on ${r.config.tls === true ? "HTTP/1.1 over TLS" : "plaintext HTTP/1.1"}, then on HTTP/2 over TLS (the server's TLS listener, ALPN \`h2\` only), each phase against a fresh server process.`,
    shared
      ? "In the HTTP/2 phases the clients of each subscriber thread multiplexed their streams on one connection, as one browser tab's would (`--h2-shared`)."
      : "Each client opened its own connection in both phases, as separate browsers would.",
    "WebSocket has no HTTP/2 on this server (RFC 8441 is not offered): its HTTP/2 phase ran over HTTP/1.1+TLS, as a browser's WebSocket on an HTTP/2 page does, so its second column measures TLS, not HTTP/2.",
    "Bytes are counted at the TCP socket at both ends (under TLS: ciphertext, records included); the share of the bytes down that is not body is what the clients read on the socket less the bodies and WebSocket payloads they read.",
    "Publishing and the bench's own stats requests went over plaintext HTTP/1.1 in every phase, so they are the same on both sides.",
    "Server CPU on HTTP/2 includes this server's metering of it: every byte of an HTTP/2 connection passes through a stream of the lab's and its frame parser (`server/metering/h2-frames.ts`), which HTTP/1.1 does without; the bare baselines speak no HTTP/2, so that share is not separated here.",
    "The floor of each phase is its own version's (HTTP/2: 9-byte frame headers, HPACK with a warm table; TLS: 22 bytes per record); `scripts/report/model.ts` states every assumption.",
  ].join(" ");
}

/**
 * Whether the server saw each phase's requests come over the version and TLS the clients meant to
 * speak: a warning per phase where it did not (a proxy or an ALPN fallback would make the
 * comparison measure something else). Silent for runs whose server did not count versions.
 */
export function wireProblems(list: readonly TransportFigures[]): string[] {
  return list.flatMap((f) => {
    const wire = f.run.wire;
    const server = f.run.phase.server;
    if (wire === undefined || server.versions === undefined) return [];
    const other = wire.version === "2" ? "1.1" : "2";
    const problems: string[] = [];
    if (server.versions[other] > 0) problems.push(`${fmt(server.versions[other])} requests over HTTP/${other}`);
    // A WebSocket publisher (`--publish-via ws`) is metered as `ws` and always speaks plaintext.
    if (wire.tls && f.run.publishVia !== "ws" && server.tls !== undefined && server.tls < server.requests)
      problems.push(`${fmt(server.requests - server.tls)} requests without TLS`);
    if (!wire.tls && (server.tls ?? 0) > 0) problems.push(`${fmt(server.tls ?? 0)} requests over TLS`);
    return problems.length === 0
      ? []
      : [`**⚠ ${f.label}: the server counted ${problems.join(" and ")} in this phase: it did not measure only ${wireName(wire)}.**`];
  });
}

/**
 * Sentences for "What this run shows": what HTTP/2 changed for polling, and how close SSE over
 * HTTP/2 came to WebSocket. Each comparison claims only what the repeats' ranges support.
 */
export function versionInsights(list: readonly TransportFigures[]): string[] {
  const pairs = versionPairs(list);
  const lines: string[] = wireProblems(list);
  const bytesOf: Pick = (f) => total(f.bytesPerMessage);
  for (const p of pairs.filter((pair) => pair.transport === "poll" || pair.transport === "long-poll")) {
    const b1 = spreadAcross(p.h1, bytesOf);
    const b2 = spreadAcross(p.h2, bytesOf);
    const up1 = spreadAcross(p.h1, (f) => f.bytesPerMessage?.up);
    const up2 = spreadAcross(p.h2, (f) => f.bytesPerMessage?.up);
    const q1 = spreadAcross(p.h1, (f) => f.requestsPerMessage);
    const q2 = spreadAcross(p.h2, (f) => f.requestsPerMessage);
    if (b1 === null || b2 === null) continue;
    const [n1, n2] = [
      wireName(p.h1.run.wire ?? { version: "1.1", tls: false, shared: false }),
      wireName(p.h2.run.wire ?? { version: "2", tls: true, shared: false }),
    ];
    const requests = q1 !== null && q2 !== null ? `, over ${withSpread(q2, fixed3)} against ${withSpread(q1, fixed3)} requests per message` : "";
    const up =
      up1 !== null && up2 !== null ? ` (requests: ${withSpread(up2, bytes)} against ${withSpread(up1, bytes)} per message, ${versionRatio(up1, up2)})` : "";
    lines.push(
      `${p.label} on ${n2}: ${withSpread(b2, bytes)} per delivered message against ${withSpread(b1, bytes)} on ${n1}, ${versionRatio(b1, b2)}${up}${requests}.`,
    );
  }
  const sse = pairs.find((p) => p.transport === "sse")?.h2;
  const ws = pairs.find((p) => p.transport === "ws")?.h2;
  if (sse !== undefined && ws !== undefined) {
    const both = [sse, ws];
    const rated = (pick: Pick) =>
      both.flatMap((f) => {
        const spread = spreadAcross(f, pick);
        return spread === null ? [] : [{ label: f.label, spread }];
      });
    const checks: [string, Pick, (v: number) => string][] = [
      ["SSE over HTTP/2 against WebSocket (HTTP/1.1+TLS), p99 latency", (f) => (f.latency.count > 0 ? f.latency.p99 : null), ms],
      ["SSE over HTTP/2 against WebSocket (HTTP/1.1+TLS), bytes per delivered message", bytesOf, bytes],
      ["SSE over HTTP/2 against WebSocket (HTTP/1.1+TLS), server CPU per 1,000 deliveries", (f) => f.serverCpuMsPer1000, ms],
    ];
    for (const [what, pick, show] of checks) {
      const line = comparison(what, rated(pick), show);
      if (line !== null) lines.push(line);
    }
  }
  return lines;
}

/**
 * One chart per figure that HTTP/2 changes most: each transport's HTTP/1.1 and HTTP/2 medians side
 * by side (grouped bars). Plain data, as every chart of the report.
 */
export function versionCharts(list: readonly TransportFigures[]): { name: string; title: string; config: ChartConfiguration }[] {
  const pairs = versionPairs(list);
  if (pairs.length === 0) return [];
  const [h1, h2] = phaseHeads(pairs);
  const labels = pairs.map((p) => (p.transport === "ws" ? `${p.label} (HTTP/1.1+TLS in the HTTP/2 phase)` : p.label));
  const median = (f: TransportFigures, pick: Pick): number => spreadAcross(f, pick)?.median ?? 0;
  const grouped = (heading: string, unit: string, pick: Pick): ChartConfiguration => ({
    type: "bar",
    data: {
      labels,
      datasets: [
        { label: h1, backgroundColor: "#9e9e9e", data: pairs.map((p) => median(p.h1, pick)) },
        { label: h2, backgroundColor: "#1f77b4", data: pairs.map((p) => median(p.h2, pick)) },
      ],
    },
    options: {
      plugins: { title: { display: true, text: heading } },
      scales: { y: { beginAtZero: true, title: { display: true, text: unit } } },
    },
  });
  return [
    {
      name: "http-versions-bytes",
      title: "Bytes per message on HTTP/1.1 and HTTP/2",
      config: grouped(`Bytes on the wire per delivered message, both directions: ${h1} and ${h2} (medians)`, "bytes", (f) => total(f.bytesPerMessage)),
    },
    {
      name: "http-versions-cpu",
      title: "Server CPU on HTTP/1.1 and HTTP/2",
      config: grouped(`Server CPU time (user+sys) per 1,000 deliveries: ${h1} and ${h2} (medians)`, "ms", (f) => f.serverCpuMsPer1000),
    },
  ];
}
