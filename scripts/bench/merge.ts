import { encode, mergeEncoded, summarize } from "./measure/histogram.js";
import type { AutocannonRun, Bytes, ClientCounts, ServerCounts, TimelinePoint, TransportRun } from "./results.js";

/**
 * The repeats of one transport's phase as one `TransportRun`: what a reader of results.json that
 * knows nothing of repeats (older reports, the runs index) sees. Counts and bytes are summed, the
 * latency histograms merged, the timeline is each second's median over the repeats, and peak RSS
 * and event-loop delay are the worst repeat's. The repeats themselves travel with it.
 */
export function mergeRepeats(repeats: readonly TransportRun[]): TransportRun {
  const first = repeats[0];
  if (first === undefined) throw new Error("mergeRepeats: no repeats");
  if (repeats.length === 1) return first;
  const sum = (pick: (r: TransportRun) => number): number => repeats.reduce((n, r) => n + pick(r), 0);
  const latency = mergeEncoded(repeats.map((r) => r.latency.histogram));
  const servers = repeats.map((r) => r.server);
  const jsonCount = sum((r) => r.delivery.delivered);
  const merged: TransportRun = {
    transport: first.transport,
    ...(first.sockjs !== undefined ? { sockjs: first.sockjs } : {}),
    ...(first.wire !== undefined ? { wire: first.wire } : {}),
    publishVia: first.publishVia,
    clients: first.clients,
    workers: first.workers,
    windowMs: sum((r) => r.windowMs),
    published: { warmup: sum((r) => r.published.warmup), measured: sum((r) => r.published.measured), errors: sum((r) => r.published.errors) },
    delivery: {
      expected: sum((r) => r.delivery.expected),
      delivered: sum((r) => r.delivery.delivered),
      lost: sum((r) => r.delivery.lost),
      duplicated: sum((r) => r.delivery.duplicated),
      outOfOrder: sum((r) => r.delivery.outOfOrder),
      resets: sum((r) => r.delivery.resets),
      protocolErrors: sum((r) => r.delivery.protocolErrors),
      reconnects: sum((r) => r.delivery.reconnects),
    },
    latency: { summary: summarize(latency), histogram: encode(latency), timeline: medianTimeline(repeats.map((r) => r.latency.timeline)) },
    window: { client: sumClient(repeats.map((r) => r.window.client)), server: sumServer(repeats.map((r) => r.window.server)) },
    phase: { client: sumClient(repeats.map((r) => r.phase.client)), server: sumServer(repeats.map((r) => r.phase.server)) },
    publish: { client: sumClient(repeats.map((r) => r.publish.client)), server: sumServer(repeats.map((r) => r.publish.server)) },
    messageJsonBytes: jsonCount > 0 ? sum((r) => r.messageJsonBytes * r.delivery.delivered) / jsonCount : first.messageJsonBytes,
    server: servers.every((s) => s !== null)
      ? {
          cpuUserMs: servers.reduce((n, s) => n + s.cpuUserMs, 0),
          cpuSystemMs: servers.reduce((n, s) => n + s.cpuSystemMs, 0),
          peakRssBytes: Math.max(...servers.map((s) => s.peakRssBytes)),
          eventLoopDelayP99Ms: Math.max(...servers.map((s) => s.eventLoopDelayP99Ms)),
          eventLoopDelayMaxMs: Math.max(...servers.map((s) => s.eventLoopDelayMaxMs)),
        }
      : null,
    generator: {
      cpuMs: sum((r) => r.generator.cpuMs),
      wallMs: sum((r) => r.generator.wallMs),
      threads: repeats.flatMap((r, i) => r.generator.threads.map((t) => ({ ...t, name: `${t.name}, repeat ${i + 1}` }))),
      publishLagP99Ms: Math.max(...repeats.map((r) => r.generator.publishLagP99Ms)),
      publishLagMaxMs: Math.max(...repeats.map((r) => r.generator.publishLagMaxMs)),
      saturated: repeats.some((r) => r.generator.saturated),
      reasons: repeats.flatMap((r, i) => r.generator.reasons.map((reason) => `repeat ${i + 1}: ${reason}`)),
    },
    ...firstMessageOf(repeats),
    ...(first.compression !== undefined ? { compression: first.compression } : {}),
    ...(first.serverMemory !== undefined ? { serverMemory: first.serverMemory } : {}),
    repeats: [...repeats],
  };
  latency.destroy();
  return merged;
}

const addBytes = (a: Bytes, b: Bytes): Bytes => ({ up: a.up + b.up, down: a.down + b.down });

function sumClient(list: ClientCounts[]): ClientCounts {
  const summed = list.reduce((a, c) => ({ bytes: addBytes(a.bytes, c.bytes), requests: a.requests + c.requests, connections: a.connections + c.connections }), {
    bytes: { up: 0, down: 0 },
    requests: 0,
    connections: 0,
  });
  // Runs made before bodies were counted have none: a sum of some would be a wrong figure.
  return list.every((c) => c.body !== undefined) ? { ...summed, body: list.reduce((n, c) => n + (c.body ?? 0), 0) } : summed;
}

function sumServer(list: ServerCounts[]): ServerCounts {
  const add = (a: ServerCounts, c: ServerCounts): ServerCounts => ({
    bytes: addBytes(a.bytes, c.bytes),
    requests: a.requests + c.requests,
    connections: a.connections + c.connections,
    delivered: a.delivered + c.delivered,
  });
  const summed = list.reduce(add, {
    bytes: { up: 0, down: 0 },
    requests: 0,
    connections: 0,
    delivered: 0,
  });
  if (!list.every((c) => c.versions !== undefined)) return summed;
  const sum = (pick: (c: ServerCounts) => number | undefined): number => list.reduce((n, c) => n + (pick(c) ?? 0), 0);
  return { ...summed, versions: { "1.1": sum((c) => c.versions?.["1.1"]), "2": sum((c) => c.versions?.["2"]) }, tls: sum((c) => c.tls) };
}

const middle = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

/** Each second's median p50, p99 and max over the repeats that have that second; counts summed. */
function medianTimeline(timelines: TimelinePoint[][]): TimelinePoint[] {
  const seconds = [...new Set(timelines.flat().map((p) => p.second))].sort((a, b) => a - b);
  return seconds.map((second) => {
    const points = timelines.flatMap((t) => t.filter((p) => p.second === second));
    return {
      second,
      count: points.reduce((n, p) => n + p.count, 0),
      p50: middle(points.map((p) => p.p50)),
      p99: middle(points.map((p) => p.p99)),
      max: middle(points.map((p) => p.max)),
    };
  });
}

/** One autocannon spec's repeats: medians of its figures, and the repeats themselves. */
export function mergeAutocannon(repeats: readonly AutocannonRun[]): AutocannonRun {
  const first = repeats[0];
  if (first === undefined) throw new Error("mergeAutocannon: no repeats");
  if (repeats.length === 1) return first;
  const m = (pick: (r: AutocannonRun) => number): number => middle(repeats.map(pick));
  return {
    ...first,
    durationMs: m((r) => r.durationMs),
    requests: m((r) => r.requests),
    requestsPerSecond: m((r) => r.requestsPerSecond),
    errors: repeats.reduce((n, r) => n + r.errors, 0),
    non2xx: repeats.reduce((n, r) => n + r.non2xx, 0),
    latency: {
      p50: m((r) => r.latency.p50),
      p90: m((r) => r.latency.p90),
      p99: m((r) => r.latency.p99),
      max: m((r) => r.latency.max),
      mean: m((r) => r.latency.mean),
    },
    bytesRead: m((r) => r.bytesRead),
    repeats: [...repeats],
  };
}

/** The repeats' time-to-first-message histograms merged, when every repeat measured one. */
function firstMessageOf(repeats: readonly TransportRun[]): Pick<TransportRun, "firstMessage"> {
  const parts = repeats.map((r) => r.firstMessage?.histogram);
  if (parts.some((p) => p === undefined)) return {};
  const merged = mergeEncoded(parts as string[]);
  const out = { firstMessage: { summary: summarize(merged), histogram: encode(merged) } };
  merged.destroy();
  return out;
}
