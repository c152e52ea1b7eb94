import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import type { RequestCheck } from "../request-gate.js";
import type { Metered } from "../../protocol/types.js";
import type { ClientEvents } from "./client-events.js";
import type { MeteredRequest } from "./counted-request.js";
import type { RequestSize, SocketMeter } from "./socket-meter.js";
import type { Http2StreamLike } from "./h2-meter.js";
import { requestClient } from "../schemas.js";
import { http2Wire, tcpSocket } from "../tls/secure-listener.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The metering key of a route; routes without one are not counted. */
    transport?: Metered;
  }
}

/**
 * Hands every request to the meter the moment Node has parsed it: the server's own `request` and
 * `upgrade` events come in exactly the order Node will answer in, which is what lets the meter
 * keep a queue per socket for pipelined requests. The returned check then names the request's
 * transport; it is the request gate's first, before validation, so a refused request is metered
 * too: a transport's cost includes the requests it gets wrong. (Requests that never touch a
 * socket, `app.inject`, are not metered.)
 *
 * HTTP/1.1 over TLS reaches the same `app.server` events on a TLS socket: the meter is handed the
 * TCP socket under it too, whose counters are the wire's. HTTP/2 requests never pass through
 * `app.server`: each HTTP/2 connection is watched from the TLS listener's hook, and the check
 * claims a request's stream on it instead of a socket.
 */
export function installMeter(app: FastifyInstance, meter: SocketMeter, events: ClientEvents): RequestCheck {
  app.server.on("connection", (socket: Socket) => meter.connectionOpened(socket, tcpSocket(socket) !== socket));
  app.server.prependListener("request", (req: IncomingMessage, res: ServerResponse) => {
    const metered = meter.claim(req.socket, requestSize(req, false), tcpSocket(req.socket));
    (req as Tagged)[METERED] = metered;
    (res as Tagged)[METERED] = metered;
    // Before Node's own listener, which hands the socket to the next queued response and so
    // writes that response's first bytes: what was written up to here is this response's alone.
    res.prependListener("finish", endMetered);
    res.on("close", endMetered);
  });
  app.server.prependListener("upgrade", (req: IncomingMessage, socket: Socket) => {
    // A WebSocket owns its socket until the socket closes; the meter sees that close itself.
    (req as Tagged)[METERED] = meter.claim(socket, requestSize(req, true), tcpSocket(socket));
  });
  if (app.secure !== null) app.secure.onHttp2Connection = (wire, tcp) => meter.watchHttp2(wire, tcp);

  return (request, reply) => {
    const metered = (request.raw as Tagged)[METERED] ?? claimStream(meter, request.raw);
    if (metered === undefined) return;
    const transport = request.routeOptions.config.transport ?? null;
    const client = requestClient(request.query);
    // The event feed's one cost while nobody watches: this boolean (client-events.ts).
    if (events.active) events.routed(metered, request, reply, transport, client);
    metered.identify(transport, client);
    // An upgrade answered with plain HTTP (refused, or not a WebSocket route) ends with that answer.
    if (request.raw.headers.upgrade !== undefined) {
      (reply.raw as Tagged)[METERED] = metered;
      reply.raw.prependListener("finish", endMetered);
    }
    return undefined;
  };
}

/** A request or response's meter claim, kept on the object itself: no map, and no closure per request. */
const METERED = Symbol("metered");
type Tagged = { [METERED]?: MeteredRequest };

/** One listener for every response (`finish` and `close`): ending a claim twice does nothing. */
function endMetered(this: ServerResponse): void {
  (this as Tagged)[METERED]?.end();
}

/** An HTTP/2 request's stream, on a connection the meter watches. */
function claimStream(meter: SocketMeter, raw: unknown): MeteredRequest | undefined {
  const stream = (raw as { stream?: Http2StreamLike }).stream;
  const wire = http2Wire(raw);
  return stream === undefined || wire === undefined ? undefined : meter.claimStream(wire, stream);
}

/**
 * A request's bytes on the wire, rebuilt from what Node parsed: `METHOD target HTTP/x.y`, then one
 * `name: value` line per raw header, each with CRLF, then CRLF; then the body. Node decodes heads
 * as latin1, so one character is one byte.
 */
export function requestSize(req: IncomingMessage, upgrade: boolean): RequestSize {
  let head = `${req.method ?? ""} ${req.url ?? ""} HTTP/${req.httpVersion}\r\n`.length + 2;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) head += (raw[i] ?? "").length + 2 + (raw[i + 1] ?? "").length + 2;
  if (upgrade) return { head, body: "rest" };
  if (req.headers["transfer-encoding"] !== undefined) return { head, body: "chunked" };
  const length = Number(req.headers["content-length"] ?? 0);
  return { head, body: Number.isSafeInteger(length) && length >= 0 ? length : "chunked" };
}
