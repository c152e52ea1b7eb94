import type { FastifyInstance } from "fastify";
import type { LabConfig } from "./config.js";
import { type Feed, FeedUnavailableError, MemoryFeed } from "./feed.js";
import { refuse } from "./limits/refuse.js";
import { UINT_PATTERN } from "./schemas.js";

/** The in-memory ring, or the Redis log when `LAB_REDIS_URL` is set (rejects when Redis cannot be reached). */
export async function openFeed(config: LabConfig): Promise<Feed> {
  if (config.redisUrl === "") return new MemoryFeed(config.historySize, config.recentLimit);
  // Loaded only here: a single server does not load the Redis client at all.
  const { RedisFeed } = await import("./redis-feed.js");
  return RedisFeed.connect({ url: config.redisUrl, instance: config.instance, historySize: config.historySize, recentLimit: config.recentLimit });
}

/** The routes that read from a cursor before holding anything (STOMP's cursor comes later, in a SUBSCRIBE frame). */
const READS_FROM_CURSOR = new Set(["poll", "long-poll", "stream", "sse", "ws"]);
const CURSOR = new RegExp(UINT_PATTERN);

/**
 * What a shared feed adds to the app. A cursor handed out by another instance a moment ago may be
 * ahead of this one: a request with it waits until this instance has applied it (or learns that it
 * does not exist, and the read resets it as one process would), and gets `503` + `Retry-After` when
 * Redis cannot tell. When the log no longer holds what this instance's subscribers need, their
 * connections are dropped, so that they reconnect with their cursors and get an explicit reset.
 * Nothing here runs with the in-memory feed.
 */
export function installSharedFeed(app: FastifyInstance, feed: Feed, config: Pick<LabConfig, "retryAfterSeconds">): void {
  if (feed.redisStatus() === null) return;
  feed.onHistoryLost(() => app.heldConnections.destroySockets(1));
  app.addHook("preHandler", async (request, reply) => {
    const transport = request.routeOptions.config.transport;
    if (transport === undefined || !READS_FROM_CURSOR.has(transport)) return;
    // SSE's Last-Event-ID wins over `after` (sse.ts refuses a malformed one itself).
    const lastEventId = transport === "sse" ? request.headers["last-event-id"] : undefined;
    const raw = typeof lastEventId === "string" && CURSOR.test(lastEventId) ? lastEventId : (request.query as { after?: string }).after;
    const wait = feed.caughtUpTo(raw === undefined ? undefined : Number(raw));
    if (wait === null) return;
    try {
      await wait;
    } catch (error) {
      if (!(error instanceof FeedUnavailableError)) throw error;
      return refuse(request, reply.header("retry-after", String(config.retryAfterSeconds)), 503, error.message);
    }
  });
}
