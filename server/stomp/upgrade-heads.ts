import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";

const byServer = new WeakMap<Server, WeakMap<IncomingMessage, Buffer>>();

/**
 * The bytes that came after each upgrade request's head on `server` (a client that did not wait for
 * the 101): whoever completes the upgrade must be handed them. Node passes them to `upgrade`
 * listeners only; STOMP's endpoints complete upgrades from a Fastify route, so they are kept here,
 * one listener per server for every endpoint.
 */
export function upgradeHeads(server: Server): WeakMap<IncomingMessage, Buffer> {
  let heads = byServer.get(server);
  if (heads === undefined) {
    const map = new WeakMap<IncomingMessage, Buffer>();
    server.prependListener("upgrade", (request: IncomingMessage, _socket: Duplex, head: Buffer) => map.set(request, head));
    byServer.set(server, map);
    heads = map;
  }
  return heads;
}
