import { INSTANCE_HEADER } from "../instance.js";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import sockjs, { type Connection } from "sockjs";
import { SOCKJS_SUB_TRANSPORTS, type SockjsSubTransport } from "../../protocol/types.js";
import type { LabDeps } from "../deps.js";
import { refuse } from "../limits/refuse.js";
import { clientAddress } from "../limits/client-address.js";
import { requestClient } from "../schemas.js";
import { refuseShuttingDown } from "../shutdown-gate.js";
import type { Sink } from "../transports/delivery.js";
import { isHttp2 } from "../transports/http2-stream.js";
import { takeHeldSlot } from "./held-slot.js";
import { CLOSE_GOING_AWAY, CLOSE_TRY_AGAIN_LATER } from "./session.js";
import { StompSessions } from "./sessions.js";
import { closeConnection, sockjsHandler, unsentBytes } from "./sockjs-internals.js";
import { upgradeHeads } from "./upgrade-heads.js";

export const SOCKJS_PREFIX = "/chat";

/** The URL segment of each session transport served, the sub-transport it opens (null: it opens none), and its method. */
const SESSION_PATHS: Record<string, { opens: SockjsSubTransport | null; method: "GET" | "POST" }> = {
  websocket: { opens: "websocket", method: "GET" },
  xhr_streaming: { opens: "xhr-streaming", method: "POST" },
  xhr: { opens: "xhr-polling", method: "POST" },
  eventsource: { opens: "eventsource", method: "GET" },
  xhr_send: { opens: null, method: "POST" },
};
const SESSION_URL = /^\/chat\/[^/.]+\/([^/.]+)\/([a-z_]+)\/?$/;
/** Unsent bytes above which a write asks the delivery core to wait (Node's default high-water mark). */
const HIGH_WATER = 16 * 1024;

/**
 * STOMP 1.2 over SockJS at `/chat`, with the `sockjs` package (the server side of sockjs-client, and
 * of Spring's `withSockJS()`): websocket, xhr-streaming, xhr-polling and eventsource. Every request
 * is an ordinary Fastify route first, so the request gate meters it as `stomp-sockjs`, checks Host
 * and Origin and refuses it while shutting down; here a request that holds a connection (a stream,
 * a poll, a WebSocket) takes a held slot, a send is held to the publish body limit, and the request
 * is handed to SockJS. Iframe, JSONP and htmlfile transports and the raw `/chat/websocket` are not
 * offered (`/api/stomp` is STOMP over a plain WebSocket).
 */
export async function sockjsPlugin(app: FastifyInstance, deps: LabDeps): Promise<void> {
  const { config } = deps;
  const server = sockjs.createServer({
    prefix: SOCKJS_PREFIX,
    // SockJS's own `h` frames keep its HTTP streams alive through proxies, at the streams' period.
    heartbeat_delay: config.heartbeatMs,
    // SockJS logs every request, and a client's mistakes at "error": only an exception in its own
    // code (which it answers with 500) is the server's.
    log: (severity, line) => {
      if (line.startsWith("Exception on")) app.log.error({ severity }, `sockjs: ${line}`);
      else app.log.debug({ severity }, `sockjs: ${line}`);
    },
  });
  const handle = sockjsHandler(server, {
    faye_server_options: { maxLength: config.wsMaxPayload, ...(config.instance === "" ? {} : { headers: { "X-Lab-Instance": config.instance } }) },
  });
  const heads = upgradeHeads(app.server);
  const sessions = new StompSessions(
    deps,
    "stomp-sockjs",
    (frame) => frame,
    (error) => app.log.error({ err: error }, "stomp frame handling failed"),
  );
  const drains = new DrainWatcher();
  const counts = Object.fromEntries(SOCKJS_SUB_TRANSPORTS.map((t) => [t, { open: 0, opened: 0 }])) as Record<
    SockjsSubTransport,
    { open: number; opened: number }
  >;
  deps.stats.connections.sockjs = counts;
  /** The request that is opening each new session: its address pays for the session's publishes. */
  const openers = new Map<string, FastifyRequest>();
  const live = new Set<string>();
  const decode = lastDecoded();

  server.on("connection", (connection: Connection) => {
    const id = SESSION_URL.exec(connection.url.split("?")[0] ?? "")?.[1];
    const request = id === undefined ? undefined : openers.get(id);
    const sub = SOCKJS_SUB_TRANSPORTS.find((t) => t === connection.protocol);
    if (id === undefined || request === undefined || sub === undefined) {
      closeConnection(connection, 1011, "no opening request");
      return;
    }
    openers.delete(id);
    const address = clientAddress(request);
    live.add(id);
    counts[sub].open++;
    counts[sub].opened++;
    const session = sessions.open({
      transport: "stomp-sockjs",
      sink: connectionSink(connection, decode, drains),
      wrap: (frame) => frame,
      close: (code, reason) => closeConnection(connection, code, reason),
      client: requestClient(request.query),
      publishBudget: () => app.publishBudget(address),
    });
    connection.on("data", (text: string) => session.receive(Buffer.from(text)));
    connection.once("close", () => {
      live.delete(id);
      counts[sub].open--;
      session.connectionClosed();
    });
  });

  app.addHook("preClose", (done) => {
    sessions.endAll();
    done();
  });
  app.addHook("onClose", (_app, done) => {
    drains.stop();
    done();
  });

  const enter = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const path = request.url.split("?")[0] ?? "";
    const match = SESSION_URL.exec(path);
    const segment = match?.[2];
    const prefixOnly = path === SOCKJS_PREFIX || path === `${SOCKJS_PREFIX}/` || path === `${SOCKJS_PREFIX}/info`;
    if (!prefixOnly && (segment === undefined || !Object.hasOwn(SESSION_PATHS, segment))) {
      return refuse(request, reply, 404, `no SockJS endpoint at ${path.slice(0, 100)}: websocket, xhr-streaming, xhr-polling and eventsource are offered`);
    }
    const method = segment === undefined ? "GET" : (SESSION_PATHS[segment]?.method ?? "GET");
    if (request.method !== method) return refuse(request, reply.header("allow", method), 405, `${path.slice(0, 100)} takes ${method} only`);
    if (isHttp2(request.raw)) return refuse(request, reply, 426, "SockJS is served over HTTP/1.1 here: connect to this endpoint over HTTP/1.1");
    if (deps.closing) return refuseShuttingDown(request, reply, deps);
    const upgrade = (request.raw as { upgrade?: boolean }).upgrade === true;
    if (segment === "websocket" && (!upgrade || request.headers.upgrade?.toLowerCase() !== "websocket")) {
      return refuse(request, reply.header("upgrade", "websocket"), 426, "this endpoint speaks WebSocket only: send an Upgrade: websocket request");
    }
    if (segment === "xhr_send" && Number(request.headers["content-length"] ?? 0) > config.bodyLimit) {
      return refuse(request, reply, 413, `a SockJS send is at most ${config.bodyLimit} bytes`);
    }
    const socket = request.raw.socket;
    const sessionId = match?.[1];
    const opens = segment === undefined ? null : (SESSION_PATHS[segment]?.opens ?? null);
    if (opens !== null && sessionId !== undefined) {
      const release = takeHeldSlot(app, deps, "stomp-sockjs", request, reply, socket);
      if (release === null) return reply;
      if (upgrade) socket.once("close", release);
      else reply.raw.once("close", release);
      if (!live.has(sessionId)) {
        openers.set(sessionId, request);
        // A session that never opens (a failed handshake) leaves nothing behind.
        socket.once("close", () => {
          if (openers.get(sessionId) === request) openers.delete(sessionId);
        });
      }
    }
    reply.hijack();
    // SockJS writes its own heads: the reply's headers would not reach them (instance.ts).
    if (config.instance !== "" && !upgrade) reply.raw.setHeader(INSTANCE_HEADER, config.instance);
    handle(request.raw, upgrade ? socket : reply.raw, upgrade ? (heads.get(request.raw) ?? Buffer.alloc(0)) : undefined);
    if (segment === "xhr_send") limitBody(request, () => deps.stats.add("stomp-sockjs", requestClient(request.query), "clientErrors"));
    return reply;
  };

  const options = {
    config: { transport: "stomp-sockjs" as const },
    // Everything happens before Fastify's later steps: SockJS reads the body and writes the answer.
    onRequest: (request: FastifyRequest, reply: FastifyReply, _done: () => void) => {
      enter(request, reply);
    },
  };
  // Never reached: every request is handed to SockJS or refused above.
  const unreachable = async (_request: FastifyRequest, reply: FastifyReply) => reply.code(404).send();
  app.route({ method: ["GET", "POST"], url: SOCKJS_PREFIX, ...options, handler: unreachable });
  app.route({ method: ["GET", "POST"], url: `${SOCKJS_PREFIX}/*`, ...options, handler: unreachable });
}

/**
 * A send without Content-Length (sockjs-client's Node driver sends chunked bodies) is counted as it
 * arrives, beside SockJS's own reader, which has no limit: past the publish body limit the
 * connection is dropped, since SockJS is already reading and no answer can be given in its place.
 */
function limitBody(request: FastifyRequest, onOver: () => void): void {
  const limit = request.server.lab.config.bodyLimit;
  let read = 0;
  const count = (chunk: Buffer): void => {
    read += chunk.length;
    if (read <= limit) return;
    request.raw.off("data", count);
    onOver();
    request.raw.socket.destroy();
  };
  request.raw.on("data", count);
}

/**
 * A SockJS connection as a sink. SockJS takes strings and queues them in its session; a live
 * message's bytes are the same Buffer for every subscriber, so it is decoded once (`decode`).
 */
function connectionSink(connection: Connection, decode: (bytes: Buffer) => string, drains: DrainWatcher): Sink {
  const open = (): boolean => connection.readyState === 1;
  return {
    write: (bytes) => {
      connection.write(decode(bytes));
      return unsentBytes(connection) < HIGH_WATER;
    },
    get buffered() {
      return unsentBytes(connection);
    },
    get writable() {
      return open();
    },
    onDrain: (listener) => drains.watch(() => !open() || unsentBytes(connection) < HIGH_WATER, listener),
    ready: () => undefined,
    cut: () => closeConnection(connection, CLOSE_TRY_AGAIN_LATER, "slow consumer: too many unsent bytes"),
    end: () => closeConnection(connection, CLOSE_GOING_AWAY, "server shutting down"),
  };
}

/** The text of the last Buffer decoded, kept: every subscriber of a live message asks for the same one. */
function lastDecoded(): (bytes: Buffer) => string {
  let last: Buffer | null = null;
  let text = "";
  return (bytes) => {
    if (bytes !== last) {
      last = bytes;
      text = bytes.toString("utf8");
    }
    return text;
  };
}

/**
 * SockJS gives no drain signal (a poll takes the queue whenever the client next asks), so writers
 * waiting for one are checked on one short timer, running only while any waits.
 */
class DrainWatcher {
  private readonly waiting = new Map<() => void, () => boolean>();
  private timer: NodeJS.Timeout | null = null;

  watch(ready: () => boolean, listener: () => void): void {
    this.waiting.set(listener, ready);
    this.timer ??= setInterval(() => this.check(), 10).unref();
  }

  stop(): void {
    this.waiting.clear();
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private check(): void {
    for (const [listener, ready] of this.waiting) {
      if (!ready()) continue;
      this.waiting.delete(listener);
      listener();
    }
    if (this.waiting.size === 0) this.stop();
  }
}
