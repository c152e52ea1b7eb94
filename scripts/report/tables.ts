import { clusterSections, hasCluster } from "./cluster.js";
import { failoverSections, hasFailover } from "./failover.js";
import type { AutocannonRun, BenchResults } from "../bench/results.js";
import { baselineSections } from "./baseline.js";
import { bytes, fmt, ms, pct } from "./format.js";
import { hasScale, scaleSections } from "./scale.js";
import { spreadOf, withSpread } from "./spread.js";
import { repeatCount, spreadAcross, type TransportFigures } from "./summary.js";
import { hasVersions, versionNotes, versionPairs, versionTable } from "./versions.js";
import { compressionPairs, compressionTable, hasCompression } from "./compression.js";
import { publisherInPhase } from "../bench/results.js";
import { stompComparisons, stompTable } from "./stomp.js";

/** A table as data: the Markdown and HTML renderers draw the same cells. `**x**` marks a loud cell. */
export interface Table {
  head: string[];
  rows: string[][];
}

function table(head: string[], rows: string[][]): Table {
  return { head, rows };
}

const flag = (ok: boolean): string => (ok ? "ok" : "**✗**");

/** A figure's median across the repeats with their range, e.g. "4.13 ms (3.90–4.62)"; "–" when no repeat has it. */
function cell(f: TransportFigures, pick: (one: TransportFigures) => number | null | undefined, show: (value: number) => string): string {
  const s = spreadAcross(f, pick);
  return s === null ? "–" : withSpread(s, show);
}

const total = (b: { up: number; down: number } | null | undefined): number | null => (b === null || b === undefined ? null : b.up + b.down);
const count = (v: number): string => fmt(v);
const fixed =
  (digits: number) =>
  (v: number): string =>
    fmt(v, digits);

export function latencyTable(list: TransportFigures[]): Table {
  return table(
    ["transport", "deliveries", "p50", "p90", "p99", "p99.9", "max"],
    list.map((f) => [
      f.label,
      fmt(f.latency.count),
      cell(f, (o) => o.latency.p50, ms),
      cell(f, (o) => o.latency.p90, ms),
      cell(f, (o) => o.latency.p99, ms),
      cell(f, (o) => o.latency.p999, ms),
      cell(f, (o) => o.latency.max, ms),
    ]),
  );
}

/** Counts that must be exact, summed over the repeats. */
export function deliveryTable(list: TransportFigures[]): Table {
  return table(
    ["transport", "expected", "delivered", "lost", "duplicated", "out of order", "resets", "reconnects", "client errors", ""],
    list.map((f) => {
      const d = f.run.delivery;
      return [
        f.label,
        fmt(d.expected),
        fmt(d.delivered),
        fmt(d.lost),
        fmt(d.duplicated),
        fmt(d.outOfOrder),
        fmt(d.resets),
        fmt(d.reconnects),
        fmt(d.protocolErrors),
        flag(f.deliveryOk),
      ];
    }),
  );
}

export function requestTable(list: TransportFigures[]): Table {
  return table(
    [
      "transport",
      "HTTP requests (window)",
      "per delivered message",
      "per client per second",
      "HTTP requests (whole phase)",
      "TCP connections (client)",
      "TCP connections (server)",
    ],
    list.map((f) => [
      f.label,
      cell(f, (o) => o.requests, count),
      cell(f, (o) => o.requestsPerMessage, fixed(3)),
      cell(f, (o) => o.requestsPerClientSecond, fixed(3)),
      cell(f, (o) => o.run.phase.client.requests, count),
      cell(f, (o) => o.connections, count),
      cell(f, (o) => o.run.phase.server.connections, count),
    ]),
  );
}

export function bytesTable(list: TransportFigures[]): Table {
  // Runs that recorded the browser's request headers show the floor with them too.
  const browser = list.some((f) => f.browserFloorPerMessage !== null);
  const t = table(
    ["transport", "up / msg", "down / msg", "total / msg", "framing floor / msg", "overhead / msg", "measured / floor"],
    list.map((f) => [
      f.label,
      cell(f, (o) => o.bytesPerMessage?.up, bytes),
      cell(f, (o) => o.bytesPerMessage?.down, bytes),
      cell(f, (o) => total(o.bytesPerMessage), bytes),
      cell(f, (o) => total(o.floorPerMessage), bytes),
      cell(
        f,
        (o) => {
          const m = total(o.bytesPerMessage);
          const fl = total(o.floorPerMessage);
          return m === null || fl === null ? null : m - fl;
        },
        bytes,
      ),
      cell(
        f,
        (o) => o.floorRatio,
        (v) => `${v.toFixed(2)}×`,
      ),
    ]),
  );
  if (!browser) return t;
  return {
    head: [...t.head.slice(0, 5), "floor with a browser's requests / msg", ...t.head.slice(5)],
    rows: t.rows.map((row, i) => {
      const f = list[i];
      return [...row.slice(0, 5), f === undefined ? "–" : cell(f, (o) => total(o.browserFloorPerMessage), bytes), ...row.slice(5)];
    }),
  };
}

/** Time to first message, and with `--network` the one-way floor and the latency above it. */
export function firstMessageTable(list: TransportFigures[], network: boolean): Table {
  const head = ["transport", "first message p50", "first message p99"];
  if (network) head.push("one-way floor", "p50 above floor", "p99 above floor");
  return table(
    head,
    list.map((f) => {
      const row = [f.label, cell(f, (o) => o.firstMessage?.p50, ms), cell(f, (o) => o.firstMessage?.p99, ms)];
      if (network)
        row.push(
          f.oneWayFloorMs === null ? "–" : ms(f.oneWayFloorMs),
          cell(f, (o) => o.aboveFloor?.p50, ms),
          cell(f, (o) => o.aboveFloor?.p99, ms),
        );
      return row;
    }),
  );
}

export function perClientTable(list: TransportFigures[]): Table {
  return table(
    ["transport", "up / client / s", "down / client / s", "total / client / s", "floor / client / s", "requests / client / s"],
    list.map((f) => [
      f.label,
      cell(f, (o) => o.bytesPerClientSecond.up, bytes),
      cell(f, (o) => o.bytesPerClientSecond.down, bytes),
      cell(f, (o) => total(o.bytesPerClientSecond), bytes),
      cell(f, (o) => total(o.floorPerClientSecond), bytes),
      cell(f, (o) => o.requestsPerClientSecond, fixed(3)),
    ]),
  );
}

/** Byte counts summed over the repeats; the differences are the worst repeat's. */
export function agreementTable(list: TransportFigures[]): Table {
  return table(
    ["transport", "client sent", "server read", "client read", "server wrote", "difference up", "difference down", ""],
    list.map((f) => {
      const p = f.run.phase;
      return [
        f.label,
        bytes(p.client.bytes.up),
        bytes(p.server.bytes.up),
        bytes(p.client.bytes.down),
        bytes(p.server.bytes.down),
        pct(f.agreement.up),
        pct(f.agreement.down),
        flag(f.agreement.ok),
      ];
    }),
  );
}

export function publishTable(list: TransportFigures[]): Table {
  return table(
    ["phase", "published (measured)", "publish errors", "requests", "client sent", "server read", "client read", "server wrote", ""],
    list.map((f) => {
      const p = f.run.publish;
      const measured = cell(f, (o) => o.run.published.measured, count);
      const requests = cell(f, (o) => o.run.publish.client.requests, count);
      if (publisherInPhase(f.run)) {
        const inWs = `in the ${f.transport} counters`;
        return [
          `${f.label} (over its ${f.run.publishVia === "ws" ? "WebSocket" : "STOMP session"})`,
          measured,
          fmt(f.run.published.errors),
          requests,
          bytes(p.client.bytes.up),
          inWs,
          bytes(p.client.bytes.down),
          inWs,
          "–",
        ];
      }
      return [
        f.label,
        measured,
        fmt(f.run.published.errors),
        requests,
        bytes(p.client.bytes.up),
        bytes(p.server.bytes.up),
        bytes(p.client.bytes.down),
        bytes(p.server.bytes.down),
        flag(f.publishAgreement.ok),
      ];
    }),
  );
}

export function serverTable(list: TransportFigures[]): Table {
  return table(
    ["transport", "CPU user+sys", "CPU per 1,000 deliveries", "peak RSS", "event-loop delay p99", "event-loop delay max"],
    list.map((f) =>
      f.run.server === null
        ? [f.label, "not measured", "–", "–", "–", "–"]
        : [
            f.label,
            cell(f, (o) => (o.run.server === null ? null : o.run.server.cpuUserMs + o.run.server.cpuSystemMs), ms),
            cell(f, (o) => o.serverCpuMsPer1000, ms),
            cell(f, (o) => o.run.server?.peakRssBytes, bytes),
            cell(f, (o) => o.run.server?.eventLoopDelayP99Ms, ms),
            cell(f, (o) => o.run.server?.eventLoopDelayMaxMs, ms),
          ],
    ),
  );
}

export function generatorTable(list: TransportFigures[]): Table {
  return table(
    ["transport", "CPU (cores)", "busiest thread ELU", "worst delay p99", "publish lag p99", "saturated"],
    list.map((f) => {
      const g = f.run.generator;
      return [
        f.label,
        cell(f, (o) => (o.run.generator.wallMs > 0 ? o.run.generator.cpuMs / o.run.generator.wallMs : 0), fixed(2)),
        cell(
          f,
          (o) => Math.max(...o.run.generator.threads.map((t) => t.elu)),
          (v) => `${(v * 100).toFixed(0)}%`,
        ),
        cell(f, (o) => Math.max(...o.run.generator.threads.map((t) => t.delayP99Ms)), ms),
        cell(f, (o) => o.run.generator.publishLagP99Ms, ms),
        g.saturated ? `**yes**: ${g.reasons.join("; ")}` : "no",
      ];
    }),
  );
}

/** An autocannon figure across its repeats (one run: the value alone). */
function cannonCell(a: AutocannonRun, pick: (one: AutocannonRun) => number | null, show: (value: number) => string): string {
  const values = (a.repeats ?? [a]).map(pick).filter((v): v is number => v !== null && Number.isFinite(v));
  return values.length === 0 ? "–" : withSpread(spreadOf(values), show);
}

export function autocannonTable(r: BenchResults): Table {
  return table(
    ["run", "connections", "target rate", "requests", "requests / s", "p50", "p99", "max", "errors", "non-2xx", "bytes read / request"],
    r.autocannon.map((a) => [
      `${a.method} ${a.path.replace(/\?.*/, "")}: ${a.name}`,
      fmt(a.connections),
      a.targetRate > 0 ? `${fmt(a.targetRate)}/s` : "max",
      cannonCell(a, (o) => o.requests, count),
      cannonCell(a, (o) => o.requestsPerSecond, count),
      cannonCell(a, (o) => o.latency.p50, ms),
      cannonCell(a, (o) => o.latency.p99, ms),
      cannonCell(a, (o) => o.latency.max, ms),
      fmt(a.errors),
      fmt(a.non2xx),
      cannonCell(a, (o) => (o.requests > 0 ? o.bytesRead / o.requests : null), bytes),
    ]),
  );
}

export interface Section {
  id: string;
  title: string;
  intro: string;
  table: Table;
}

/**
 * What the server's "bytes sent" is, for a reader comparing it with a client's count: what the
 * server's meter handed to the operating system (server/metering/socket-meter.ts).
 */
export const BYTES_SENT_MEANING =
  '"Server wrote" ("bytes sent", `bytesOut` in `/api/stats`) counts the bytes the server handed to the operating system (Node\'s `socket.bytesWritten` less what still waits in Node\'s own buffer), not bytes the client received. ' +
  "On a connection that ends normally they all arrive and both ends agree; on one the server cut (a slow consumer, a shutdown, an admin drop) " +
  "the bytes still in the kernel's send buffer when it was destroyed count as sent though they never arrived, so the server's figure can exceed the client's by up to that buffer; " +
  "what was still in Node's buffer is dropped and never counted. Bench clients read as fast as they can and none is cut.";

/** The report's tables in reading order, shared by report.md and report.html. */
export function sections(r: BenchResults, list: TransportFigures[]): Section[] {
  if (hasScale(r)) return scaleSections(r);
  if (hasFailover(r)) return failoverSections(r);
  const repeats = repeatCount(r);
  const fresh = r.target.freshPerPhase === true;
  const rss = !r.target.spawned
    ? "The server was not started by the bench: its process was not observed."
    : fresh
      ? `Each phase${repeats > 1 ? " (each repeat of each transport)" : ""} ran against a fresh server process, so peak RSS is that transport's alone.`
      : "**Every phase ran against one server process, so peak RSS grows with the run order and is not comparable across transports** (runs made since --repeat give each phase a fresh process).";
  const all: Section[] = [
    {
      id: "latency",
      title: "End-to-end latency",
      intro: "From each message's scheduled send time (open loop, so a stall delays every message behind it) until a subscriber had parsed it, on one clock.",
      table: latencyTable(list),
    },
    {
      id: "delivery",
      title: "Delivery",
      intro: `Loss and duplicates judged by the publisher's sequence number, order by the feed's ids, per subscriber${repeats > 1 ? "; summed over the repeats" : ""}.`,
      table: deliveryTable(list),
    },
    {
      id: "requests",
      title: "HTTP requests and connections",
      intro: "Requests in the measured window; TCP connections over the whole phase. Polling clients keep their connection alive, as browsers do.",
      table: requestTable(list),
    },
    {
      id: "bytes",
      title: "Bytes on the wire per delivered message",
      intro:
        "Measured on the generator's sockets over the window. The floor is the message JSON plus the transport's minimal framing and a minimal HTTP exchange per request made; overhead is everything above it (headers, heartbeats, this server's choices). The floor counts one HTTP chunk per streamed message: below 1× means the server coalesced messages into fewer chunks.",
      table: bytesTable(list),
    },
    {
      id: "per-client",
      title: "Bytes per connected client per second",
      intro: r.config.rate === 0 ? "No messages: this is the cost of staying connected." : "While messages flowed.",
      table: perClientTable(list),
    },
    {
      id: "agreement",
      title: "Both ends agree",
      intro: `Whole phase, TCP socket counters: the generator's own sockets against the server's \`/api/stats\`${repeats > 1 ? ", summed over the repeats; the differences are the worst repeat's" : ""}. A difference over 1% is flagged. ${BYTES_SENT_MEANING}`,
      table: agreementTable(list),
    },
    {
      id: "publish",
      title: "Publishing",
      intro:
        r.config.publishVia === "ws"
          ? "HTTP POST /api/messages, except for the WebSocket transport, which published `send` frames over a WebSocket of its own (its bytes are in the agreement table's client columns)."
          : r.config.publishVia === "stomp"
            ? "HTTP POST /api/messages, except for the STOMP transports, which published by SEND to /app/chat (each with a receipt) over a STOMP-over-WebSocket session of their own, metered by the server as stomp-ws: in a stomp-ws phase its bytes are in the agreement table's client columns, in a stomp-sockjs phase they are compared here with the server's stomp-ws counts."
            : "HTTP POST /api/messages, the same for every transport.",
      table: publishTable(list),
    },
    {
      id: "server",
      title: "Server cost",
      intro: `Measured inside the server process over the window: CPU time (user+sys), peak RSS, event-loop delay. ${rss}`,
      table: serverTable(list),
    },
    {
      id: "generator",
      title: "Load generator",
      intro: "If the generator is saturated, its figures may measure itself rather than the server.",
      table: generatorTable(list),
    },
    {
      id: "autocannon",
      title: "autocannon",
      intro:
        r.autocannon.length === 0
          ? r.baseline !== undefined
            ? "In a baseline run, autocannon's runs are in the baseline sections."
            : "Skipped (`--autocannon 0`)."
          : "Request-shaped load: the maximum publish rate, and short polling at a fixed overall rate (autocannon's latency resolution is 1 ms).",
      table: autocannonTable(r),
    },
  ];
  if (list.some((f) => f.firstMessage !== null)) {
    const network = r.network !== undefined;
    all.splice(1, 0, {
      id: "first-message",
      title: network ? "Over the link: first message and the one-way floor" : "Time to first message",
      intro: `From the moment a subscriber starts connecting (before its TCP connect) until it has parsed its first feed message: one message is published before the subscribers start and each asks for what follows it, so it is already waiting and the time is connect, handshakes, request and answer${network ? ". The one-way floor is RTT/2 plus the message's minimal framed bytes at the link's down rate; above it is what the transport adds (a poll's wait for its next turn, a long poll's new request)" : ""}.`,
      table: firstMessageTable(list, network),
    });
  }
  const stomp = stompComparisons(list);
  if (stomp.length > 0 && r.config.rate > 0) {
    all.splice(all.findIndex((s) => s.id === "bytes") + 1, 0, {
      id: "stomp",
      title: "What STOMP and SockJS add per message",
      intro:
        "STOMP over WebSocket against bare WebSocket: what a MESSAGE frame adds (its command line, `destination`, `subscription`, `message-id`, `content-type` and `content-length` headers, a NUL). Each STOMP-over-SockJS phase against STOMP over WebSocket: what SockJS adds (the frame as a JSON-quoted string in an `a[...]` array frame, carried by its sub-transport: a WebSocket frame, an HTTP chunk of a streaming POST or of an event stream, or a poll's answer with its request and headers), and against SSE, the bare one-way HTTP stream. Bytes per delivered message both directions on the generator's sockets (exact), the framing floor's part of the difference (what the protocols require; the rest is headers, heartbeats and this server's choices), and server CPU and latency as the medians of the repeats, their ratio called within noise when the repeats' ranges overlap. The STOMP clients send the requests @stomp/stompjs and sockjs-client make in Node, not a browser's.",
      table: stompTable(stomp),
    });
  }
  all.unshift(...baselineSections(r));
  if (hasCluster(r)) all.unshift(...clusterSections(r));
  if (hasCompression(r)) {
    all.unshift({
      id: "compression",
      title: "Compression: off against on",
      intro: `Each transport's phase ran uncompressed and compressed in every round, each against a fresh server: the HTTP transports with ${r.config.compress ?? "–"} (LAB_COMPRESS: poll and long-poll answers, NDJSON and SSE streams flushed after each message), WebSocket with permessage-deflate (LAB_WS_DEFLATE=1, server_no_context_takeover). The clients asked for it (Accept-Encoding; the permessage-deflate offer) and decompressed what came. The messages were chat-like words of a shared vocabulary (scripts/bench/chat-text.ts), not the default repeated character, which would compress to almost nothing. Bytes per message on the generator's sockets, both directions; server CPU over the window; server memory per connection is the server's RSS once every subscriber was connected less its RSS before the first, over the clients (GC moves RSS too: read it with its range). The ratio is on over off, "within noise" when the repeats' ranges overlap.`,
      table: compressionTable(compressionPairs(list)),
    });
  }
  if (hasVersions(r) && r.config.rate > 0) {
    all.unshift({
      id: "http-versions",
      title: "HTTP/1.1 and HTTP/2 side by side",
      intro: `${versionNotes(r)} Each cell is the median of the repeats with their range; the last column is HTTP/2's median over HTTP/1.1's, "within noise" when the ranges overlap.`,
      table: versionTable(versionPairs(list)),
    });
  }
  // With nothing published there is no latency and nothing to divide by a message.
  return r.config.rate === 0 ? all.filter((s) => s.id !== "latency" && s.id !== "bytes") : all;
}
