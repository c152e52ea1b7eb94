import type { BenchResults } from "../bench/results.js";
import { bytes, fmt, ms, pct } from "./format.js";
import type { TransportFigures } from "./summary.js";

/** A table as data: the Markdown and HTML renderers draw the same cells. `**x**` marks a loud cell. */
export interface Table {
  head: string[];
  rows: string[][];
}

function table(head: string[], rows: string[][]): Table {
  return { head, rows };
}

const flag = (ok: boolean): string => (ok ? "ok" : "**✗**");

export function describeWorkload(r: BenchResults): string {
  const c = r.config;
  const rate = c.rate === 0 ? "no messages" : c.burstSize > 1 ? `${c.rate} msg/s in bursts of ${c.burstSize}` : `${c.rate} msg/s`;
  return `${c.clients} clients per transport, ${rate}, ${c.size} characters of text, ${c.durationMs / 1000} s measured after ${c.warmupMs / 1000} s warm-up; short polling every ${c.pollIntervalMs} ms, long polls of ${c.longPollTimeoutMs} ms`;
}

export function latencyTable(list: TransportFigures[]): Table {
  return table(["transport", "deliveries", "p50", "p90", "p99", "p99.9", "max"], list.map((f) => [
    f.label, fmt(f.latency.count), ms(f.latency.p50), ms(f.latency.p90), ms(f.latency.p99), ms(f.latency.p999), ms(f.latency.max),
  ]));
}

export function deliveryTable(list: TransportFigures[]): Table {
  return table(["transport", "expected", "delivered", "lost", "duplicated", "out of order", "resets", "reconnects", "client errors", ""], list.map((f) => {
    const d = f.run.delivery;
    return [f.label, fmt(d.expected), fmt(d.delivered), fmt(d.lost), fmt(d.duplicated), fmt(d.outOfOrder), fmt(d.resets), fmt(d.reconnects), fmt(d.protocolErrors), flag(f.deliveryOk)];
  }));
}

export function requestTable(list: TransportFigures[]): Table {
  return table(["transport", "HTTP requests (window)", "per delivered message", "per client per second", "HTTP requests (whole phase)", "TCP connections (client)", "TCP connections (server)"], list.map((f) => [
    f.label, fmt(f.requests), fmt(f.requestsPerMessage, 3), fmt(f.requestsPerClientSecond, 3), fmt(f.run.phase.client.requests), fmt(f.connections), fmt(f.run.phase.server.connections),
  ]));
}

export function bytesTable(list: TransportFigures[]): Table {
  return table(["transport", "up / msg", "down / msg", "total / msg", "framing floor / msg", "overhead / msg", "measured / floor"], list.map((f) => {
    const m = f.bytesPerMessage;
    const fl = f.floorPerMessage;
    const total = m === null ? null : m.up + m.down;
    const floor = fl === null ? null : fl.up + fl.down;
    return [f.label, bytes(m?.up), bytes(m?.down), bytes(total), bytes(floor), bytes(total !== null && floor !== null ? total - floor : null), f.floorRatio === null ? "–" : `${f.floorRatio.toFixed(2)}×`];
  }));
}

export function perClientTable(list: TransportFigures[]): Table {
  return table(["transport", "up / client / s", "down / client / s", "total / client / s", "floor / client / s", "requests / client / s"], list.map((f) => [
    f.label, bytes(f.bytesPerClientSecond.up), bytes(f.bytesPerClientSecond.down), bytes(f.bytesPerClientSecond.up + f.bytesPerClientSecond.down),
    bytes(f.floorPerClientSecond.up + f.floorPerClientSecond.down), fmt(f.requestsPerClientSecond, 3),
  ]));
}

export function agreementTable(list: TransportFigures[]): Table {
  return table(["transport", "client sent", "server read", "client read", "server wrote", "difference up", "difference down", ""], list.map((f) => {
    const p = f.run.phase;
    return [f.label, bytes(p.client.bytes.up), bytes(p.server.bytes.up), bytes(p.client.bytes.down), bytes(p.server.bytes.down), pct(f.agreement.up), pct(f.agreement.down), flag(f.agreement.ok)];
  }));
}

export function publishTable(list: TransportFigures[]): Table {
  return table(["phase", "published (measured)", "publish errors", "requests", "client sent", "server read", "client read", "server wrote", ""], list.map((f) => {
    const p = f.run.publish;
    if (f.run.publishVia === "ws") {
      const inWs = "in the ws counters";
      return [`${f.label} (over its WebSocket)`, fmt(f.run.published.measured), fmt(f.run.published.errors), fmt(p.client.requests), bytes(p.client.bytes.up), inWs, bytes(p.client.bytes.down), inWs, "–"];
    }
    return [f.label, fmt(f.run.published.measured), fmt(f.run.published.errors), fmt(p.client.requests), bytes(p.client.bytes.up), bytes(p.server.bytes.up), bytes(p.client.bytes.down), bytes(p.server.bytes.down), flag(f.publishAgreement.ok)];
  }));
}

export function serverTable(list: TransportFigures[]): Table {
  return table(["transport", "CPU user+sys", "CPU per 1,000 deliveries", "peak RSS", "event-loop delay p99", "event-loop delay max"], list.map((f) => {
    const s = f.run.server;
    return s === null
      ? [f.label, "not measured", "–", "–", "–", "–"]
      : [f.label, ms(s.cpuUserMs + s.cpuSystemMs), ms(f.serverCpuMsPer1000), bytes(s.peakRssBytes), ms(s.eventLoopDelayP99Ms), ms(s.eventLoopDelayMaxMs)];
  }));
}

export function generatorTable(list: TransportFigures[]): Table {
  return table(["transport", "CPU (cores)", "busiest thread ELU", "worst delay p99", "publish lag p99", "saturated"], list.map((f) => {
    const g = f.run.generator;
    const elu = Math.max(...g.threads.map((t) => t.elu));
    const delay = Math.max(...g.threads.map((t) => t.delayP99Ms));
    return [f.label, fmt(g.wallMs > 0 ? g.cpuMs / g.wallMs : 0, 2), `${(elu * 100).toFixed(0)}%`, ms(delay), ms(g.publishLagP99Ms), g.saturated ? `**yes**: ${g.reasons.join("; ")}` : "no"];
  }));
}

export function autocannonTable(r: BenchResults): Table {
  return table(["run", "connections", "target rate", "requests", "requests / s", "p50", "p99", "max", "errors", "non-2xx", "bytes read / request"], r.autocannon.map((a) => [
    `${a.method} ${a.path.replace(/\?.*/, "")}: ${a.name}`, fmt(a.connections), a.targetRate > 0 ? `${fmt(a.targetRate)}/s` : "max", fmt(a.requests), fmt(a.requestsPerSecond),
    ms(a.latency.p50), ms(a.latency.p99), ms(a.latency.max), fmt(a.errors), fmt(a.non2xx), bytes(a.requests > 0 ? a.bytesRead / a.requests : null),
  ]));
}


export interface Section {
  id: string;
  title: string;
  intro: string;
  table: Table;
}

/** The report's tables in reading order, shared by report.md and report.html. */
export function sections(r: BenchResults, list: TransportFigures[]): Section[] {
  const all: Section[] = [
    { id: "latency", title: "End-to-end latency", intro: "From each message's scheduled send time (open loop, so a stall delays every message behind it) until a subscriber had parsed it, on one clock.", table: latencyTable(list) },
    { id: "delivery", title: "Delivery", intro: "Loss and duplicates judged by the publisher's sequence number, order by the feed's ids, per subscriber.", table: deliveryTable(list) },
    { id: "requests", title: "HTTP requests and connections", intro: "Requests in the measured window; TCP connections over the whole phase. Polling clients keep their connection alive, as browsers do.", table: requestTable(list) },
    { id: "bytes", title: "Bytes on the wire per delivered message", intro: "Measured on the generator's sockets over the window. The floor is the message JSON plus the transport's minimal framing and a minimal HTTP exchange per request made; overhead is everything above it (headers, heartbeats, this server's choices). The floor counts one HTTP chunk per streamed message: below 1× means the server coalesced messages into fewer chunks.", table: bytesTable(list) },
    { id: "per-client", title: "Bytes per connected client per second", intro: r.config.rate === 0 ? "No messages: this is the cost of staying connected." : "While messages flowed.", table: perClientTable(list) },
    { id: "agreement", title: "Both ends agree", intro: "Whole phase, TCP socket counters: the generator's own sockets against the server's `/api/stats`. A difference over 1% is flagged.", table: agreementTable(list) },
    { id: "publish", title: "Publishing", intro: r.config.publishVia === "ws" ? "HTTP POST /api/messages, except for the WebSocket transport, which published `send` frames over a WebSocket of its own (its bytes are in the agreement table's client columns)." : "HTTP POST /api/messages, the same for every transport.", table: publishTable(list) },
    { id: "server", title: "Server cost", intro: "Measured inside the server process over the window: CPU time (user+sys), peak RSS, event-loop delay.", table: serverTable(list) },
    { id: "generator", title: "Load generator", intro: "If the generator is saturated, its figures may measure itself rather than the server.", table: generatorTable(list) },
    { id: "autocannon", title: "autocannon", intro: r.autocannon.length === 0 ? "Skipped (`--autocannon 0`)." : "Request-shaped load: the maximum publish rate, and short polling at a fixed overall rate (autocannon's latency resolution is 1 ms).", table: autocannonTable(r) },
  ];
  // With nothing published there is no latency and nothing to divide by a message.
  return r.config.rate === 0 ? all.filter((s) => s.id !== "latency" && s.id !== "bytes") : all;
}
