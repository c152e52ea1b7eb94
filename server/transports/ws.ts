import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { Ajv } from "ajv";
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import websocket from "@fastify/websocket";
import { WebSocket } from "ws";
import type { AckSignal, ControlSignal, ErrorSignal, PublishRequest } from "../../protocol/types.js";
import type { LabDeps } from "../deps.js";
import { type FeedEntry, FeedUnavailableError } from "../feed.js";
import { rawErrorResponse } from "../errors.js";
import { clientAddress } from "../limits/client-address.js";
import { guardPipelinedUpgrades } from "../limits/upgrade-guard.js";
import { requestClient, sendFrame, subscribeQuery, type SubscribeQuery, toInteger } from "../schemas.js";
import { Delivery, type Sink } from "./delivery.js";
import { countCompressed } from "../compression.js";
import { wsDeflateContext } from "../config.js";
import { assertOrderedDeflate, deflatedTextFrame, textFrame, wsDeflateOptions } from "./ws-frames.js";
import { announceInstance } from "../instance.js";

export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY = 1008;
export const CLOSE_TRY_AGAIN_LATER = 1013;

/**
 * WebSocket: one text frame per message, fed by the delivery core; each message is framed once and
 * the same bytes are written to every subscriber (ws-frames.ts). With permessage-deflate on, a
 * connection that negotiated it is fed by a second delivery whose frames are compressed, still
 * once per message for all of them. What is the WebSocket's alone is here: the handshake's
 * refusals, pings, and the frames a client sends (publishing, with its acks and errors).
 */
export async function wsPlugin(app: FastifyInstance, deps: LabDeps): Promise<void> {
  const { feed, stats, config } = deps;
  const plain = new Delivery(deps, {
    transport: "ws",
    message: (entry) => textFrame(entry.json),
    reset: (signal) => textFrame(JSON.stringify(signal)),
    // WebSocket pings keep the connection alive (below), one timer for all peers.
    heartbeat: null,
    preamble: null,
  });
  const perConnection = config.wsDeflate && wsDeflateContext(config) === "connection";
  // Shared: control frames (resets, acks, errors) are rare and differ per client: they go uncompressed.
  // Per connection: the payloads themselves, which ws frames and compresses for each connection.
  const deflated = !config.wsDeflate
    ? null
    : perConnection
      ? new Delivery(deps, { ...plain.format, message: (entry) => Buffer.from(entry.json), reset: (signal) => Buffer.from(JSON.stringify(signal)) })
      : new Delivery(deps, { ...plain.format, message: (entry) => deflatedTextFrame(entry.json, config.wsDeflateWindowBits) });
  const validateSend = new Ajv({ coerceTypes: false, allErrors: false }).compile<PublishRequest & { type: "send" }>(sendFrame(config));
  const alive = new WeakMap<WebSocket, boolean>();
  const wsOptions = { maxPayload: config.wsMaxPayload, perMessageDeflate: wsDeflateOptions(config) };
  // Per connection, nothing is written past ws: it orders every frame itself.
  if (!perConnection) assertOrderedDeflate(wsOptions);

  // A peer's protocol error (bad frame, bad UTF-8, oversized message) is the client's mistake: ws
  // has already sent the close code; it is counted, and logged at debug only, so that no client
  // can flood the log with stack traces.
  const protocolError = (error: Error, socket: WebSocket, client: string | undefined, log: FastifyBaseLogger): void => {
    log.debug({ err: error }, "websocket protocol error");
    stats.add("ws", client, "clientErrors");
    socket.terminate();
  };
  await app.register(websocket, {
    options: wsOptions,
    errorHandler(error, socket, request) {
      protocolError(error, socket, requestClient(request.query), request.log);
    },
    preClose(done) {
      plain.endAll();
      deflated?.endAll();
      done();
    },
  });

  guardPipelinedUpgrades(app.server);
  if (config.instance !== "") announceInstance(app.websocketServer, config.instance);

  // What ws refuses in a handshake (no or a malformed key, a bad subprotocol list) it would answer
  // as text/html; this API answers `{error, message}` everywhere. ws passes no status: every one of
  // these is a 400 (a wrong method never gets here: the route is GET only).
  app.websocketServer.on("wsClientError", (error: Error, socket: Duplex) => {
    socket.once("finish", () => socket.destroy());
    socket.end(rawErrorResponse(400, `websocket handshake refused: ${error.message}`));
  });

  // One timer for all peers: a peer that did not answer the previous ping is gone.
  const pinger = setInterval(() => {
    for (const socket of app.websocketServer.clients) {
      if (alive.get(socket) === false) {
        socket.terminate();
        continue;
      }
      alive.set(socket, false);
      socket.ping();
    }
  }, config.wsPingMs);
  app.addHook("onClose", async () => clearInterval(pinger));

  app.get<{ Querystring: SubscribeQuery }>(
    "/api/ws",
    { websocket: true, schema: { querystring: subscribeQuery }, config: { transport: "ws" }, preHandler: releaseUpgradeResponse },
    (socket, request) => {
      const client = requestClient(request.query);
      // What the connection needs of its upgrade request, taken now: nothing below keeps the request
      // (see releaseUpgradeResponse), so its objects are freed once the WebSocket is open.
      const tcp = request.raw.socket;
      const address = clientAddress(request);
      const log = request.log;
      const after = toInteger("after", request.query.after);
      // @fastify/websocket's own error listener holds the request and its reply for the socket's
      // life; this one does what its errorHandler (above) does, holding neither.
      socket.removeAllListeners("error");
      socket.on("error", (error) => protocolError(error, socket, client, log));
      // `extensions` names what the handshake negotiated: the client offered permessage-deflate and it is on.
      const compressed = deflated !== null && socket.extensions.includes("permessage-deflate");
      if (compressed) countCompressed(stats, "ws");
      const delivery = compressed ? deflated : plain;
      // The TCP socket the upgrade arrived on, which ws now writes to: pre-built frames go straight to it.
      const sink: Sink = compressed && perConnection ? sendSink(socket, tcp) : new SocketSink(socket, tcp);
      const subscription = delivery.subscribe(sink, client, after);
      // `on`, not `once`: a socket closes once, and `once` would keep a wrapper per connection.
      socket.on("close", () => subscription.closed());
      const sendControl = (signal: ControlSignal): void => {
        const json = JSON.stringify(signal);
        subscription.send(sink.framesEachWrite === true ? Buffer.from(json) : textFrame(json));
      };
      const closeForPolicy = (code: number, reason: string): void => {
        subscription.stop();
        socket.close(code, reason);
      };
      // Made on a connection's first bad frame and first send: most subscribers never send.
      let invalidFrames: WindowCounter | null = null;
      let budgetChecks: Promise<void> | null = null;
      alive.set(socket, true);
      socket.on("pong", () => alive.set(socket, true));

      socket.on("message", (data, isBinary) => {
        // Once closing (cut off, shut down), nothing more is read into work or replies.
        if (socket.readyState !== WebSocket.OPEN) return;
        const refuse = (error: string, message: string, nonce?: string): void => {
          if (error !== "rate_limited") {
            stats.add("ws", client, "clientErrors");
            // Each bad frame costs a parse and a reply: a peer that sends nothing else is closed,
            // as one that keeps exceeding the publish budget is.
            invalidFrames ??= new WindowCounter(config.publishRateWindowMs);
            if (invalidFrames.count(Date.now()) > config.wsRateCloseAfter) {
              closeForPolicy(CLOSE_POLICY, "too many invalid frames");
              return;
            }
          }
          const signal: ErrorSignal = { type: "error", error, message };
          if (nonce !== undefined) signal.nonce = nonce;
          sendControl(signal);
        };
        if (isBinary) return refuse("binary_not_supported", "send JSON text frames, not binary frames");
        let frame: unknown;
        try {
          frame = JSON.parse(data.toString());
        } catch {
          return refuse("bad_json", "the frame is not valid JSON");
        }
        const type = typeof frame === "object" && frame !== null ? (frame as { type?: unknown }).type : undefined;
        if (type !== "send") {
          return refuse("unknown_type", `unknown frame type ${JSON.stringify(type ?? null)}: the only client frame is {"type":"send","from","text","nonce?"}`);
        }
        if (!validateSend(frame)) {
          const nonce = (frame as { nonce?: unknown } | null)?.nonce;
          return refuse("bad_request", describeFrameError(validateSend.errors?.[0]), typeof nonce === "string" ? nonce : undefined);
        }
        const publish: PublishRequest = { from: frame.from, text: frame.text };
        if (frame.nonce !== undefined) publish.nonce = frame.nonce;
        // The budget is shared with HTTP publishing; checks run one after the other, so acks keep the sends' order.
        budgetChecks = (budgetChecks ?? Promise.resolve())
          .then(async () => {
            const verdict = await app.publishBudget(address);
            // A send that waited for its budget while the server began shutting down is not stored:
            // the socket is already closing with 1001, and nothing is acknowledged after that point.
            if (socket.readyState !== WebSocket.OPEN || app.lab.closing) return;
            if (!verdict.allowed) {
              stats.add("ws", client, "refused");
              if (verdict.close) return closeForPolicy(CLOSE_POLICY, "publish rate limit exceeded repeatedly");
              return refuse(
                "rate_limited",
                `publish rate limit: at most ${config.publishRateMax} messages per ${config.publishRateWindowMs} ms; retry in ${verdict.retryAfterSeconds} s`,
                publish.nonce,
              );
            }
            const stored = feed.publish(publish);
            let entry: FeedEntry;
            if (stored instanceof Promise) {
              // A shared log (Redis): acknowledged only once stored; unreachable, an error frame and nothing stored.
              try {
                entry = await stored;
              } catch (error) {
                if (!(error instanceof FeedUnavailableError)) throw error;
                const signal: ErrorSignal = { type: "error", error: "unavailable", message: `${error.message}; retry in ${config.retryAfterSeconds} s` };
                if (publish.nonce !== undefined) signal.nonce = publish.nonce;
                return sendControl(signal);
              }
            } else entry = stored;
            const ack: AckSignal = { type: "ack", id: entry.message.id };
            if (publish.nonce !== undefined) ack.nonce = publish.nonce;
            sendControl(ack);
          })
          .catch((error: unknown) => {
            log.error({ err: error }, "websocket publish failed");
            closeForPolicy(1011, "internal error");
          });
      });
    },
  );
}

/**
 * @fastify/websocket routes an upgrade through a ServerResponse of its own, attached to the TCP
 * socket: the socket then holds that response, and through it the request, its Fastify request and
 * reply and their headers, for as long as the WebSocket lives (about 4 KB a connection, against
 * the 6 KB of the socket and the WebSocket themselves). Once the route is reached nothing is
 * written through that response (the upgrade is answered on the socket, and a refusal comes
 * earlier, in the request gate or the schema check), so it lets go of the socket here. It also no
 * longer emits `close` with the socket, so the response hooks do not run for a WebSocket; a
 * WebSocket's bytes and its close are counted on the socket (the meter, the delivery core).
 */
function releaseUpgradeResponse(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  const socket = request.raw.socket;
  if (request.raw.headers.upgrade !== undefined && reply.raw.socket === socket) reply.raw.detachSocket(socket);
  done();
}

/**
 * A WebSocket as a sink: pre-built frames written to its TCP socket, in order with ws's own
 * (ws-frames.ts). A class, not an object of closures: every subscriber's sink then shares one
 * `write` and one `writable`, which the delivery core's calls can inline (a closure per
 * subscriber would make each of those calls a lookup, once per delivery).
 */
export class SocketSink implements Sink {
  /** ws adds nothing of its own to `bufferedAmount` while it does not compress: the socket's buffer is all. */
  readonly highWaterMark: number;

  constructor(
    private readonly socket: WebSocket,
    private readonly tcp: Socket,
  ) {
    this.highWaterMark = tcp.writableHighWaterMark;
  }

  write(frame: Buffer): boolean {
    return this.tcp.write(frame);
  }

  get buffered(): number {
    return this.socket.bufferedAmount;
  }

  get writable(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  onDrain(listener: () => void): void {
    this.tcp.once("drain", listener);
  }

  /** The upgrade's 101 already told the client it is subscribed. */
  ready(): void {}

  cut(): void {
    this.socket.close(CLOSE_TRY_AGAIN_LATER, "slow consumer: too many unsent bytes");
  }

  end(): void {
    this.socket.close(CLOSE_GOING_AWAY, "server shutting down");
  }
}

/**
 * A WebSocket that compresses per connection as a sink: each write is one message's payload, which
 * ws compresses with this connection's window and frames; ws queues frames behind a message it is
 * deflating, so its `bufferedAmount` (that queue and the TCP socket's buffer) is what is unsent.
 * The catch-up is paced by the TCP socket: the next page once the socket has no backlog.
 */
function sendSink(socket: WebSocket, tcp: Socket): Sink {
  return {
    framesEachWrite: true,
    write: (payload) => {
      socket.send(payload, { binary: false, compress: true });
      return !tcp.writableNeedDrain;
    },
    get buffered() {
      return socket.bufferedAmount;
    },
    get writable() {
      return socket.readyState === WebSocket.OPEN;
    },
    onDrain: (listener) => tcp.once("drain", listener),
    ready: () => undefined,
    cut: () => socket.close(CLOSE_TRY_AGAIN_LATER, "slow consumer: too many unsent bytes"),
    end: () => socket.close(CLOSE_GOING_AWAY, "server shutting down"),
  };
}

function describeFrameError(error: { instancePath: string; keyword: string; message?: string; params: Record<string, unknown> } | undefined): string {
  if (error === undefined) return "invalid frame";
  const path = error.instancePath.replace(/^\//, "");
  if (error.keyword === "additionalProperties") return `unknown field "${String(error.params.additionalProperty)}"`;
  if (error.keyword === "required") return `missing field "${String(error.params.missingProperty)}"`;
  return path === "" ? (error.message ?? "invalid frame") : `"${path}" ${error.message ?? "is invalid"}`;
}

/** Events within the last fixed window: a counter that starts again when its window is over. */
class WindowCounter {
  private started = 0;
  private seen = 0;

  constructor(private readonly windowMs: number) {}

  /** Count one more event at `now`; returns how many the current window holds. */
  count(now: number): number {
    if (now - this.started >= this.windowMs) {
      this.started = now;
      this.seen = 0;
    }
    return ++this.seen;
  }
}
