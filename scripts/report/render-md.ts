import type { BenchResults } from "../bench/results.js";
import { SCENARIOS } from "../bench/scenarios.js";
import { bytes, fmt, ms, pct } from "./format.js";
import { insights } from "./insights.js";
import { allFigures, type TransportFigures } from "./summary.js";

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map((_, i) => (i === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n");
}

const flag = (ok: boolean): string => (ok ? "ok" : "**✗**");

export function describeWorkload(r: BenchResults): string {
  const c = r.config;
  const rate = c.rate === 0 ? "no messages" : c.burstSize > 1 ? `${c.rate} msg/s in bursts of ${c.burstSize}` : `${c.rate} msg/s`;
  return `${c.clients} clients per transport, ${rate}, ${c.size} characters of text, ${c.durationMs / 1000} s measured after ${c.warmupMs / 1000} s warm-up; short polling every ${c.pollIntervalMs} ms, long polls of ${c.longPollTimeoutMs} ms`;
}

function latencyTable(list: TransportFigures[]): string {
  return table(["transport", "deliveries", "p50", "p90", "p99", "p99.9", "max"], list.map((f) => [
    f.label, fmt(f.latency.count), ms(f.latency.p50), ms(f.latency.p90), ms(f.latency.p99), ms(f.latency.p999), ms(f.latency.max),
  ]));
}

function deliveryTable(list: TransportFigures[]): string {
  return table(["transport", "expected", "delivered", "lost", "duplicated", "out of order", "resets", "reconnects", "client errors", ""], list.map((f) => {
    const d = f.run.delivery;
    return [f.label, fmt(d.expected), fmt(d.delivered), fmt(d.lost), fmt(d.duplicated), fmt(d.outOfOrder), fmt(d.resets), fmt(d.reconnects), fmt(d.protocolErrors), flag(f.deliveryOk)];
  }));
}

function requestTable(list: TransportFigures[]): string {
  return table(["transport", "HTTP requests", "per delivered message", "per client per second", "TCP connections (client)", "TCP connections (server)"], list.map((f) => [
    f.label, fmt(f.requests), fmt(f.requestsPerMessage, 3), fmt(f.requestsPerClientSecond, 3), fmt(f.connections), fmt(f.run.phase.server.connections),
  ]));
}

function bytesTable(list: TransportFigures[]): string {
  return table(["transport", "up / msg", "down / msg", "total / msg", "framing floor / msg", "overhead / msg", "measured / floor"], list.map((f) => {
    const m = f.bytesPerMessage;
    const fl = f.floorPerMessage;
    const total = m === null ? null : m.up + m.down;
    const floor = fl === null ? null : fl.up + fl.down;
    return [f.label, bytes(m?.up), bytes(m?.down), bytes(total), bytes(floor), bytes(total !== null && floor !== null ? total - floor : null), f.floorRatio === null ? "–" : `${f.floorRatio.toFixed(2)}×`];
  }));
}

function perClientTable(list: TransportFigures[]): string {
  return table(["transport", "up / client / s", "down / client / s", "total / client / s", "floor / client / s", "requests / client / s"], list.map((f) => [
    f.label, bytes(f.bytesPerClientSecond.up), bytes(f.bytesPerClientSecond.down), bytes(f.bytesPerClientSecond.up + f.bytesPerClientSecond.down),
    bytes(f.floorPerClientSecond.up + f.floorPerClientSecond.down), fmt(f.requestsPerClientSecond, 3),
  ]));
}

function agreementTable(list: TransportFigures[]): string {
  return table(["transport", "client sent", "server read", "client read", "server wrote", "difference up", "difference down", ""], list.map((f) => {
    const p = f.run.phase;
    return [f.label, bytes(p.client.bytes.up), bytes(p.server.bytes.up), bytes(p.client.bytes.down), bytes(p.server.bytes.down), pct(f.agreement.up), pct(f.agreement.down), flag(f.agreement.ok)];
  }));
}

function publishTable(list: TransportFigures[]): string {
  return table(["phase", "published (measured)", "publish errors", "requests", "client sent", "server read", "client read", "server wrote", ""], list.map((f) => {
    const p = f.run.publish;
    return [f.label, fmt(f.run.published.measured), fmt(f.run.published.errors), fmt(p.client.requests), bytes(p.client.bytes.up), bytes(p.server.bytes.up), bytes(p.client.bytes.down), bytes(p.server.bytes.down), flag(f.publishAgreement.ok)];
  }));
}

function serverTable(list: TransportFigures[]): string {
  return table(["transport", "CPU user+sys", "CPU per 1,000 deliveries", "peak RSS", "event-loop delay p99", "event-loop delay max"], list.map((f) => {
    const s = f.run.server;
    return s === null
      ? [f.label, "not measured", "–", "–", "–", "–"]
      : [f.label, ms(s.cpuUserMs + s.cpuSystemMs), ms(f.serverCpuMsPer1000), bytes(s.peakRssBytes), ms(s.eventLoopDelayP99Ms), ms(s.eventLoopDelayMaxMs)];
  }));
}

function generatorTable(list: TransportFigures[]): string {
  return table(["transport", "CPU (cores)", "busiest thread ELU", "worst delay p99", "publish lag p99", "saturated"], list.map((f) => {
    const g = f.run.generator;
    const elu = Math.max(...g.threads.map((t) => t.elu));
    const delay = Math.max(...g.threads.map((t) => t.delayP99Ms));
    return [f.label, fmt(g.wallMs > 0 ? g.cpuMs / g.wallMs : 0, 2), `${(elu * 100).toFixed(0)}%`, ms(delay), ms(g.publishLagP99Ms), g.saturated ? `**yes**: ${g.reasons.join("; ")}` : "no"];
  }));
}

function autocannonTable(r: BenchResults): string {
  if (r.autocannon.length === 0) return "_autocannon was skipped (`--autocannon 0`)._";
  return table(["run", "connections", "target rate", "requests", "requests / s", "p50", "p99", "max", "errors", "non-2xx", "bytes read / request"], r.autocannon.map((a) => [
    `${a.method} ${a.path.replace(/\?.*/, "")}: ${a.name}`, fmt(a.connections), a.targetRate > 0 ? `${fmt(a.targetRate)}/s` : "max", fmt(a.requests), fmt(a.requestsPerSecond),
    ms(a.latency.p50), ms(a.latency.p99), ms(a.latency.max), fmt(a.errors), fmt(a.non2xx), bytes(a.requests > 0 ? a.bytesRead / a.requests : null),
  ]));
}

/** report.md: every table of the run, built only from results.json. */
export function renderMarkdown(r: BenchResults): string {
  const list = allFigures(r);
  const m = r.machine;
  return `# Transport benchmark: \`${r.config.scenario}\` (${r.startedAt})

${SCENARIOS[r.config.scenario].description}: ${describeWorkload(r)}.

\`${r.command}\` against ${r.target.spawned ? "its own server process" : r.target.url}, on ${m.cpuModel} (${m.cores} cores), Node ${m.node}, ${m.platform} ${m.release}.

## What this run shows

${insights(r).map((line) => `- ${line}`).join("\n")}

## End-to-end latency

From each message's scheduled send time (open loop) until a subscriber had parsed it, on one clock.

${latencyTable(list)}

## Delivery

${deliveryTable(list)}

## HTTP requests and connections (measured window)

${requestTable(list)}

## Bytes on the wire per delivered message (measured window, generator's sockets)

The floor is the message JSON plus the transport's minimal framing and a minimal HTTP exchange per request made; overhead is everything above it (headers, heartbeats, this server's choices).

${bytesTable(list)}

## Bytes per connected client per second

${perClientTable(list)}

## Both ends agree (whole phase, TCP socket counters)

${agreementTable(list)}

## Publishing (HTTP POST, same for every transport)

${publishTable(list)}

## Server cost (measured window)

${serverTable(list)}

## Load generator

${generatorTable(list)}

## autocannon

${autocannonTable(r)}

## Versions

${Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(", ")}
`;
}
