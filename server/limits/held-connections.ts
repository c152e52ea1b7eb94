import type { Socket } from "node:net";
import type { FastifyInstance, onSendHookHandler } from "fastify";
import type { Metered } from "../../protocol/types.js";
import type { LabDeps } from "../deps.js";
import { requestClient } from "../schemas.js";
import { clientAddress } from "./client-address.js";
import { refuse } from "./refuse.js";
import type { RequestCheck, ResponseStep } from "../request-gate.js";
import { cancelStream, http2Stream, isHttp2 } from "../transports/http2-stream.js";

/** Transports whose request holds a connection open while it waits for messages. */
const HELD: ReadonlySet<Metered> = new Set<Metered>(["long-poll", "stream", "sse", "ws"]);

export type HeldRefusal = "global" | "per-ip";

/** What a held slot can be dropped through. */
export interface Droppable {
  destroy(): void;
}

/**
 * Counts held connections, in total and per IP address, and refuses one over either cap. A slot is
 * taken when the request arrives and given back when its connection (WebSocket) or its response
 * (long poll, stream, SSE) closes, whoever closes it.
 */
export class HeldConnections {
  private readonly byIp = new Map<string, number>();
  private readonly connections = new Set<Droppable>();
  private total = 0;

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerIp: number,
  ) {}

  get size(): number {
    return this.total;
  }

  /**
   * Take a slot for `ip`, or say which cap refuses it. `release` gives the slot back (once);
   * `connection` is what `destroySockets` drops: a TCP socket, or one HTTP/2 stream.
   */
  acquire(ip: string, connection: Droppable): { release: () => void } | HeldRefusal {
    if (this.total >= this.maxTotal) return "global";
    const fromIp = this.byIp.get(ip) ?? 0;
    if (fromIp >= this.maxPerIp) return "per-ip";
    this.total++;
    this.byIp.set(ip, fromIp + 1);
    this.connections.add(connection);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        this.connections.delete(connection);
        const left = (this.byIp.get(ip) ?? 1) - 1;
        if (left === 0) this.byIp.delete(ip);
        else this.byIp.set(ip, left);
      },
    };
  }

  /** Drop held connections, TCP sockets or HTTP/2 streams (server-side fault injection); returns how many. */
  destroySockets(fraction = 1): number {
    let dropped = 0;
    for (const connection of [...this.connections]) {
      if (fraction < 1 && Math.random() >= fraction) continue;
      connection.destroy();
      dropped++;
    }
    return dropped;
  }
}

declare module "fastify" {
  interface FastifyInstance {
    heldConnections: HeldConnections;
  }
}

/**
 * Refuses a long poll, stream, SSE request or WebSocket upgrade over the caps before any work is
 * done for it: 503 when the server as a whole is full, 429 when this IP holds too many, both with
 * `Retry-After`. @fastify/websocket runs route hooks before upgrading, so a refused upgrade gets
 * the same plain HTTP answer and never becomes a WebSocket.
 */
export function installHeldConnectionLimits(app: FastifyInstance, { config, stats }: LabDeps): { check: RequestCheck; afterResponse: ResponseStep } {
  const held = new HeldConnections(config.maxHeldConnections, config.maxHeldPerIp);
  app.decorate("heldConnections", held);
  /** Sockets holding a slot for an unread answer (one slot each, however many answers are queued). */
  const unread = new WeakSet<Socket>();

  const check: RequestCheck = (request, reply) => {
    const transport = request.routeOptions.config.transport;
    if (transport === undefined || !HELD.has(transport)) return undefined;
    const upgrade = request.headers.upgrade?.toLowerCase() === "websocket";
    if (transport === "ws" && !upgrade) {
      // HTTP/2 forbids the Upgrade header (RFC 9113, 8.2.2), and WebSocket over HTTP/2 (RFC 8441,
      // extended CONNECT) is not offered: the browser opens an HTTP/1.1 connection for it.
      if (isHttp2(request.raw))
        return refuse(request, reply, 426, "WebSocket needs HTTP/1.1 here: connect to this endpoint over HTTP/1.1 (RFC 8441 is not offered)");
      // Otherwise @fastify/websocket answers a plain GET (or HEAD) with an empty 404.
      return refuse(request, reply.header("upgrade", "websocket"), 426, "this endpoint speaks WebSocket only: send an Upgrade: websocket request");
    }
    // A HEAD is answered at once with the headers alone (Fastify sends no body): it holds nothing.
    if (request.method === "HEAD") return undefined;
    // On HTTP/2 the held thing is one stream: `request.raw.socket` would be a proxy whose
    // `destroy` sends RST_STREAM NO_ERROR, a clean-looking end, so the stream is cancelled instead.
    const stream = http2Stream(reply.raw);
    const socket = request.raw.socket;
    const slot = held.acquire(clientAddress(request), stream === null ? socket : { destroy: () => cancelStream(stream) });
    if (typeof slot === "string") {
      stats.add(transport, requestClient(request.query), "refused");
      const status = slot === "global" ? 503 : 429;
      const message =
        slot === "global"
          ? `the server holds its maximum of ${config.maxHeldConnections} connections; retry later`
          : `this address holds its maximum of ${config.maxHeldPerIp} connections; close one or retry later`;
      return refuse(request, reply.header("retry-after", String(config.retryAfterSeconds)), status, message);
    }
    // A WebSocket lives as long as its TCP socket; an HTTP held request as long as its response,
    // and then as long as the client has not read that response.
    // On HTTP/2 the response closes with its stream, whose bytes are then all sent or dropped: what
    // is still queued belongs to the connection and its other streams.
    // `on`, not `once` (release is idempotent, and a socket closes once): no wrapper kept per connection.
    if (transport === "ws") socket.on("close", slot.release);
    else if (stream !== null) reply.raw.once("close", slot.release);
    else reply.raw.once("close", () => releaseWhenRead(socket, slot.release));
    return undefined;
  };

  // An answer the client has not read yet is memory held for it, like a held connection: so a
  // socket with unsent bytes after its response (a poll's page to a client that does not read)
  // holds a slot until they are gone, and one over the caps is cut instead. This is what bounds
  // the memory one address can pin with cheap requests to its slots times one page.
  const afterResponse: ResponseStep = (request) => {
    const transport = request.routeOptions.config.transport;
    if (transport !== undefined && HELD.has(transport) && request.method !== "HEAD") return;
    // On HTTP/2 this step runs only once the stream has closed (Node's compatibility layer emits
    // the response's `finish` then), so none of its bytes are left: `unreadHttp2Answer` does it.
    if (isHttp2(request.raw)) return;
    const socket = request.raw.socket;
    if (socket.destroyed || !socket.writableNeedDrain || unread.has(socket)) return;
    const slot = held.acquire(clientAddress(request), socket);
    if (typeof slot === "string") {
      if (transport !== undefined) stats.add(transport, requestClient(request.query), "cutoffs");
      socket.destroy();
      return;
    }
    unread.add(socket);
    releaseWhenRead(socket, () => {
      unread.delete(socket);
      slot.release();
    });
  };

  // The same on HTTP/2, per stream, taken as the answer is sent: an answer over the stream's
  // high-water mark cannot be written without waiting for the client's flow-control window, so it
  // holds a slot until the stream has taken all of it (`finish`) or closed, and one over the caps
  // has its stream cancelled instead. A reader holds the slot for about a round trip. Only answers
  // whose size is known here (strings, buffers) are counted; what else one HTTP/2 connection can
  // pin is bounded by Node's `maxSessionMemory` (test/server/h2-limits.test.ts).
  const unreadHttp2Answer: onSendHookHandler = (request, reply, payload, done) => {
    const stream = http2Stream(reply.raw);
    const transport = request.routeOptions.config.transport;
    if (stream === null || (transport !== undefined && HELD.has(transport) && request.method !== "HEAD")) return done(null, payload);
    const size = typeof payload === "string" ? Buffer.byteLength(payload) : Buffer.isBuffer(payload) ? payload.length : 0;
    if (size <= stream.writableHighWaterMark || stream.destroyed) return done(null, payload);
    const slot = held.acquire(clientAddress(request), { destroy: () => cancelStream(stream) });
    if (typeof slot === "string") {
      if (transport !== undefined) stats.add(transport, requestClient(request.query), "cutoffs");
      cancelStream(stream);
      return done(null, payload);
    }
    stream.once("finish", slot.release);
    stream.once("close", slot.release);
    done(null, payload);
  };
  // Only a server with a TLS listener serves HTTP/2; the plain one pays nothing for it.
  if (app.secure !== null) app.addHook("onSend", unreadHttp2Answer);
  return { check, afterResponse };
}

/**
 * Call `release` once `socket` is below its high-water mark again, or closed. Below it (16 KiB) a
 * write never waits for `drain`, so that much is not counted as unread.
 */
function releaseWhenRead(socket: Socket, release: () => void): void {
  if (socket.destroyed || !socket.writableNeedDrain) {
    release();
    return;
  }
  const done = (): void => {
    socket.off("drain", done);
    socket.off("close", done);
    release();
  };
  socket.on("drain", done);
  socket.on("close", done);
}
