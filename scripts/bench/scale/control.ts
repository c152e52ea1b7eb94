import { Client } from "undici";
import type { Metered, StatsResponse } from "../../../protocol/types.js";
import type { ScaleMemory } from "./results.js";

/**
 * The bench's own requests to the server under test (stats, health) during a ramp, on one
 * keep-alive connection opened before the subscribers. A server saturated by thousands of pollers
 * may not accept a new connection for seconds (its accept queue is full), so a fresh connection per
 * request, as undici's global pool opens after 4 s idle, would time out exactly when the figures
 * matter; this one is already accepted and waits as long as the server needs.
 */
export class ServerControl {
  private readonly client: Client;

  constructor(origin: string) {
    this.client = new Client(origin, {
      keepAliveTimeout: 600_000,
      keepAliveMaxTimeout: 600_000,
      connectTimeout: 60_000,
      headersTimeout: 120_000,
      bodyTimeout: 120_000,
    });
  }

  private async get<T>(path: string): Promise<T> {
    const response = await this.client.request({ method: "GET", path });
    if (response.statusCode !== 200) {
      const text = await response.body.text();
      throw new Error(`GET ${path} answered ${response.statusCode}: ${text.slice(0, 200)}`);
    }
    return (await response.body.json()) as T;
  }

  stats(): Promise<StatsResponse> {
    return this.get<StatsResponse>("/api/stats");
  }

  /** Memory after a full collection (the server runs with --expose-gc). */
  async memory(): Promise<ScaleMemory> {
    const body = await this.get<{ rssBytes: number; heapUsedBytes: number; externalBytes: number }>("/api/health?gc=1");
    return { rssBytes: body.rssBytes, heapUsedBytes: body.heapUsedBytes, externalBytes: body.externalBytes };
  }

  /** Waits until `key`'s open gauge satisfies `ok`; false when it did not within `timeoutMs`. */
  async waitForOpen(key: Metered, ok: (open: number) => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const stats = await this.stats();
      if (ok(stats.transports[key].open)) return true;
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async close(): Promise<void> {
    await this.client.destroy();
  }
}
