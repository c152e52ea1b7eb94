import autocannon from "autocannon";
import type { AutocannonRun } from "./results.js";
import type { BenchConfig } from "./scenarios.js";
import { fetchStats } from "./server-stats.js";

interface CannonSpec {
  name: string;
  method: "GET" | "POST";
  path: string;
  body?: string;
  connections: number;
  targetRate: number;
}

async function fire(url: string, spec: CannonSpec, durationMs: number): Promise<AutocannonRun> {
  const result = await autocannon({
    url: `${url}${spec.path}`,
    method: spec.method,
    body: spec.body,
    headers: spec.body !== undefined ? { "content-type": "application/json" } : {},
    connections: spec.connections,
    duration: durationMs / 1000,
    ...(spec.targetRate > 0 ? { overallRate: spec.targetRate } : {}),
  });
  return {
    name: spec.name,
    method: spec.method,
    path: spec.path,
    connections: spec.connections,
    targetRate: spec.targetRate,
    durationMs: result.duration * 1000,
    requests: result.requests.total,
    requestsPerSecond: result.requests.total / result.duration,
    errors: result.errors,
    non2xx: result.non2xx,
    latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.mean },
    bytesRead: result.throughput.total,
  };
}

/**
 * The request-shaped load autocannon drives best: publishing as fast as the server takes it, and
 * short polling at a fixed overall rate (an empty poll, the cost of asking when nothing is new).
 */
export async function runAutocannon(url: string, config: BenchConfig): Promise<AutocannonRun[]> {
  if (config.autocannonMs <= 0) return [];
  const text = "x".repeat(Math.min(config.size, 2_000));
  const publish = await fire(
    url,
    {
      name: "publish, as fast as possible",
      method: "POST",
      path: "/api/messages",
      body: JSON.stringify({ from: "autocannon", text }),
      connections: 10,
      targetRate: 0,
    },
    config.autocannonMs,
  );
  const { feed } = await fetchStats(url);
  const connections = Math.min(config.clients, 100);
  const poll = await fire(
    url,
    {
      name: `short polling, ${connections} clients every ${config.pollIntervalMs} ms`,
      method: "GET",
      path: `/api/poll?after=${feed.lastId}`,
      connections,
      targetRate: Math.round((connections * 1000) / config.pollIntervalMs),
    },
    config.autocannonMs,
  );
  return [publish, poll];
}
