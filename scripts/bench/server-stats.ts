import { request } from "undici";
import type { Metered, StatsResponse } from "../../protocol/types.js";
import type { ServerCounts } from "./results.js";

export async function fetchStats(url: string): Promise<StatsResponse> {
  const response = await request(`${url}/api/stats`);
  if (response.statusCode !== 200) {
    const text = await response.body.text();
    throw new Error(`GET /api/stats answered ${response.statusCode}: ${text.slice(0, 200)}`);
  }
  return (await response.body.json()) as StatsResponse;
}

/** How far the server's counters for `key` moved between two snapshots. */
export function serverDelta(after: StatsResponse, before: StatsResponse, key: Metered): ServerCounts {
  const a = after.transports[key];
  const b = before.transports[key];
  const counts: ServerCounts = {
    bytes: { up: a.bytesIn - b.bytesIn, down: a.bytesOut - b.bytesOut },
    requests: a.requests - b.requests,
    connections: a.connections - b.connections,
    delivered: a.delivered - b.delivered,
  };
  // A server of another version may not count them: then the figure is missing, never a wrong zero.
  if (a.versions !== undefined && b.versions !== undefined) {
    counts.versions = { "1.1": a.versions["1.1"] - b.versions["1.1"], "2": a.versions["2"] - b.versions["2"] };
    counts.tls = a.tls - b.tls;
  }
  return counts;
}

/** Waits until `key`'s open count satisfies `ok` (the server has seen every connect, or every close). */
export async function waitForOpen(url: string, key: Metered, ok: (open: number) => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await fetchStats(url);
    if (ok(stats.transports[key].open)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
