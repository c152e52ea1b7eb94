import type { FastifyRequest } from "fastify";
import { http2Peer } from "../tls/secure-listener.js";

/**
 * The client's address, which per-address limits are keyed by. `request.ip` is undefined once the
 * client has reset its socket; used as it is, it made @fastify/rate-limit throw (a client could turn
 * its own reset into an error-level log line), so a request already gone gets a fixed key.
 */
export function clientAddress(request: FastifyRequest): string {
  return request.ip ?? request.raw.socket?.remoteAddress ?? http2Peer(request.raw)?.address ?? "gone";
}
