import { monitorEventLoopDelay } from "node:perf_hooks";
import type { FastifyInstance } from "fastify";
import type { RedisStatus } from "../../protocol/types.js";
import type { LabDeps } from "../deps.js";

const healthQuery = {
  type: "object",
  additionalProperties: false,
  properties: { reset: { type: "string", enum: ["1"] }, gc: { type: "string", enum: ["1"] } },
} as const;

/** What `GET /api/health` answers: the process's own resources, for soak tests and operators. */
export interface HealthResponse {
  rssBytes: number;
  heapUsedBytes: number;
  /** Memory V8 holds for its heap, used or not. */
  heapTotalBytes: number;
  /** Memory outside the V8 heap held by JS objects (Buffers and other native allocations). */
  externalBytes: number;
  /** Event-loop delay since start or since the last `?reset=1`, in ms. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** Node's active handles and requests (sockets, timers, servers). */
  activeResources: number;
  heldConnections: number;
  subscribers: number;
  /** With `LAB_REDIS_URL` only: the shared log's connection and this instance's lag behind it. */
  redis?: RedisStatus;
}

const RESOLUTION_MS = 10;
/** The histogram records the time between samples; the delay is what exceeds the sampling interval. */
const delayMs = (nanoseconds: number): number => Math.max(0, Math.round(nanoseconds / 1e4 - RESOLUTION_MS * 100) / 100);

/** Present only when node runs with --expose-gc (the soak test does): then `?gc=1` collects first. */
const collectGarbage = (globalThis as { gc?: () => void }).gc;

/**
 * `GET /api/health[?reset=1][&gc=1]`: memory, event-loop delay and what the server holds right now.
 * `gc=1` measures memory after a full collection, so that garbage is not mistaken for a leak.
 */
export async function healthPlugin(app: FastifyInstance, { feed }: LabDeps): Promise<void> {
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  delay.enable();
  app.addHook("onClose", async () => delay.disable());

  app.get<{ Querystring: { reset?: "1"; gc?: "1" } }>("/api/health", { schema: { querystring: healthQuery } }, async (request, reply) => {
    if (request.query.gc === "1") collectGarbage?.();
    const memory = process.memoryUsage();
    const body: HealthResponse = {
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      externalBytes: memory.external,
      eventLoopDelayMs: { p50: delayMs(delay.percentile(50)), p99: delayMs(delay.percentile(99)), max: delayMs(delay.max) },
      activeResources: process.getActiveResourcesInfo().length,
      heldConnections: app.heldConnections.size,
      subscribers: feed.subscriberCount,
    };
    const redis = feed.redisStatus();
    if (redis !== null) body.redis = redis;
    if (request.query.reset === "1") delay.reset();
    return reply.header("cache-control", "no-store").send(body);
  });
}
