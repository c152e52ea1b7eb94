import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { StompTransport } from "../../protocol/types.js";
import type { LabDeps } from "../deps.js";
import { clientAddress } from "../limits/client-address.js";
import type { Droppable } from "../limits/held-connections.js";
import { refuse } from "../limits/refuse.js";
import { requestClient } from "../schemas.js";

/**
 * Take a held-connection slot for a STOMP connection, from the same counters (`app.heldConnections`,
 * in total and per address) as every other held transport, or refuse as they are refused: 503 when
 * the server is full, 429 when this address holds its share, with `Retry-After`. The request gate's
 * own check knows only the five transports' routes, so STOMP's entry points call this themselves.
 * Returns the slot's release, or null once the refusal is sent.
 */
export function takeHeldSlot(
  app: FastifyInstance,
  { config, stats }: Pick<LabDeps, "config" | "stats">,
  transport: StompTransport,
  request: FastifyRequest,
  reply: FastifyReply,
  connection: Droppable,
): (() => void) | null {
  const slot = app.heldConnections.acquire(clientAddress(request), connection);
  if (typeof slot !== "string") return slot.release;
  stats.add(transport, requestClient(request.query), "refused");
  const message =
    slot === "global"
      ? `the server holds its maximum of ${config.maxHeldConnections} connections; retry later`
      : `this address holds its maximum of ${config.maxHeldPerIp} connections; close one or retry later`;
  refuse(request, reply.header("retry-after", String(config.retryAfterSeconds)), slot === "global" ? 503 : 429, message);
  return null;
}
