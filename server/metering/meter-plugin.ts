import type { FastifyInstance } from "fastify";
import type { Metered } from "../../protocol/types.js";
import type { SocketMeter } from "./socket-meter.js";
import { isClientId } from "./stats.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The metering key of a route; routes without one are not counted. */
    transport?: Metered;
  }
}

/**
 * Hands every request's socket to the meter. It runs first (onRequest), before validation, so a
 * refused request is metered too: a transport's cost includes the requests it gets wrong.
 */
export function installMeter(app: FastifyInstance, meter: SocketMeter): void {
  app.addHook("onRequest", async (request, reply) => {
    const socket = request.raw.socket;
    const transport = request.routeOptions.config.transport ?? null;
    meter.claim(socket, transport, requestClient(request.query));
    // A WebSocket owns its socket until the socket closes; the meter sees that close itself.
    if (transport === "ws" && request.headers.upgrade?.toLowerCase() === "websocket") return;
    reply.raw.once("close", () => meter.release(socket));
  });
}

/** The client id a request named, if valid. */
export function requestClient(query: unknown): string | undefined {
  const client = (query as Record<string, unknown> | undefined)?.client;
  return isClientId(client) ? client : undefined;
}
