import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyReply, FastifyRequest } from "fastify";
import { refuse } from "./refuse.js";

/**
 * Requests that ask to upgrade the connection. Node hands their socket to the `upgrade` listener
 * (@fastify/websocket's) and stops managing it: no keep-alive parsing, no timeouts, and, since HTTP
 * sockets are half-open, no close when the client sends its FIN. @fastify/websocket routes every
 * such request through Fastify, so any route can receive one.
 *
 * - On `/api/ws` with `Upgrade: websocket` the request becomes a WebSocket (ws owns the socket then);
 *   only version 13 (RFC 6455) is accepted: ws would also take the draft version 8.
 * - Anywhere else the request is served as plain HTTP (a server may ignore `Upgrade`), but its
 *   socket is ours to release: the answer says `Connection: close` and the socket ends once the
 *   answer is written, or at once when the client closes its side. Without this, each such request
 *   left a socket in CLOSE_WAIT, and a held one (a long poll) its connection slot, for good.
 */
export function guardUpgrade(request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  if ((request.raw as IncomingMessage & { upgrade?: boolean }).upgrade !== true) return;
  const toWebSocket = request.routeOptions.config.transport === "ws" && request.headers.upgrade?.toLowerCase() === "websocket";
  if (toWebSocket) {
    if (request.headers["sec-websocket-version"] !== "13") {
      return refuse(
        request,
        reply.header("sec-websocket-version", "13"),
        426,
        "only WebSocket version 13 (RFC 6455) is supported: send Sec-WebSocket-Version: 13",
      );
    }
    return undefined;
  }
  const socket = request.raw.socket;
  reply.header("connection", "close");
  reply.raw.once("finish", () => socket.end());
  // Nothing parses this socket any more: read and drop whatever else comes, so that the client's
  // FIN is seen, and treat it as the client leaving, as Node does for ordinary requests.
  socket.once("end", () => socket.destroy());
  socket.resume();
  return undefined;
}

/**
 * An upgrade pipelined behind a request whose answer is still being written cannot be served:
 * @fastify/websocket must give the upgrade request a response object on the socket, and Node
 * refuses a second one while the first is attached (`socket._httpMessage`, private to Node, is how
 * Node itself knows). Unguarded, the socket was left open for good and `server.close()` waited for
 * it. So the answers before it are finished, then the connection is closed; the upgrade is dropped
 * unanswered, as a client that pipelines an upgrade must expect (RFC 9112, section 9.3.2).
 *
 * Call after @fastify/websocket has added its `upgrade` listener: this wraps it.
 */
export function guardPipelinedUpgrades(server: Server): void {
  for (const listener of server.listeners("upgrade") as UpgradeListener[]) {
    server.removeListener("upgrade", listener);
    server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
      if (inFlight == null) return listener(request, socket, head);
      socket.on("error", () => socket.destroy());
      socket.once("end", () => socket.destroy());
      socket.resume();
      if (inFlight.writableFinished) socket.end();
      else inFlight.once("finish", () => socket.end());
      inFlight.once("close", () => socket.end());
    });
  }
}

type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
