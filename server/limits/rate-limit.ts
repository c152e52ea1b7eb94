import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from "fastify";
import type { LabDeps } from "../deps.js";
import { apiError } from "../errors.js";
import { requestClient } from "../schemas.js";
import { clientAddress } from "./client-address.js";

/** What the publish budget says about one more message. */
export type PublishVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number; close: boolean };

declare module "fastify" {
  interface FastifyInstance {
    /** Count one publish for this request's client against the shared budget (HTTP and WebSocket). */
    /** The publish budget of a client address (`clientAddress`): HTTP and WebSocket publishes share it. */
    publishBudget(address: string): Promise<PublishVerdict>;
  }
}

/**
 * One publish budget per client IP address (`publishRateMax` messages per `publishRateWindowMs`),
 * kept by @fastify/rate-limit's store and shared by `POST /api/messages` and WebSocket sends, so
 * switching transport does not double it. Keyed by address, not by the self-chosen `client` id,
 * which a flooder could change with every request.
 */
export async function installPublishRateLimit(app: FastifyInstance, { config }: LabDeps): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    max: config.publishRateMax,
    timeWindow: config.publishRateWindowMs,
    // Past max + ban within one window a WebSocket is closed; HTTP just keeps getting 429.
    ban: config.wsRateCloseAfter,
    // The plugin's default key reads `request.ip`, which is undefined once the client has reset its
    // socket, and then throws inside the plugin: a client could turn its own reset into a 500.
    keyGenerator: clientAddress,
  });
  const limiter = app.createRateLimit();

  app.decorate("publishBudget", async (address: string): Promise<PublishVerdict> => {
    // What the limiter reads of a request: its key (from `ip`, by the keyGenerator above) and its
    // route's group. A long-lived WebSocket need not keep its upgrade request for this.
    const result = await limiter({ ip: address, routeOptions: { config: {} } } as unknown as FastifyRequest);
    if (result.isAllowed || !result.isExceeded) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.max(1, result.ttlInSeconds), close: result.isBanned };
  });
}

/**
 * The publish route's own onRequest hook (a route hook, so no other request pays for it): it runs
 * after the request gate, so only a publish that passed every other check spends budget.
 */
export function publishRateGuard(app: FastifyInstance, { config, stats }: LabDeps): onRequestAsyncHookHandler {
  return async (request, reply) => {
    const verdict = await app.publishBudget(clientAddress(request));
    if (verdict.allowed) return;
    stats.add("publish", requestClient(request.query), "refused");
    return reply
      .code(429)
      .header("retry-after", String(verdict.retryAfterSeconds))
      .send(
        apiError(
          429,
          `publish rate limit: at most ${config.publishRateMax} messages per ${config.publishRateWindowMs} ms; retry in ${verdict.retryAfterSeconds} s`,
        ),
      );
  };
}
