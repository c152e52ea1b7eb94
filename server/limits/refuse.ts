import type { FastifyReply, FastifyRequest } from "fastify";
import { apiError } from "../errors.js";
import { isHttp2 } from "../transports/http2-stream.js";

/**
 * Answer a refused request with `{error, message}`. A refused WebSocket upgrade is answered as plain
 * HTTP on the raw socket, which Node has already handed over: nobody else will close it, so the
 * answer says `Connection: close` and the socket is ended once the answer is written.
 */
export function refuse(request: FastifyRequest, reply: FastifyReply, status: number, message: string): FastifyReply {
  // HTTP/2 has no upgrades (nghttp2 resets a stream that carries an Upgrade header), and its
  // `socket` is the connection every other stream shares: nothing to end there.
  if (request.headers.upgrade !== undefined && !isHttp2(request.raw)) {
    const socket = request.raw.socket;
    reply.header("connection", "close");
    reply.raw.once("finish", () => socket.end());
  }
  return reply.code(status).send(apiError(status, message));
}
