import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { Ajv } from "ajv";
import type { FastifyInstance } from "fastify";
import websocket from "@fastify/websocket";
import { WebSocket } from "ws";
import type { AckSignal, ControlSignal, ErrorSignal, PublishRequest } from "../../protocol/types.js";
import type { LabDeps } from "../app.js";
import type { FeedEntry } from "../feed.js";
import { rawErrorResponse } from "../errors.js";
import { guardPipelinedUpgrades } from "../limits/upgrade-guard.js";
import { requestClient } from "../metering/meter-plugin.js";
import { sendFrame, subscribeQuery, toInteger, type SubscribeQuery } from "../schemas.js";
import { nextCursor, readPage } from "./poll-body.js";

/**
 * ws keeps its frame writer private and its types omit `Sender`; engine.io uses the same door to
 * broadcast pre-built frames.
 */
interface WithSender {
  _sender: { sendFrame(list: Buffer[], cb?: (error?: Error) => void): void };
}
/** ws's TCP socket, also private: the catch-up waits for its `drain`. */
interface WithSocket {
  _socket: Socket;
}
interface FrameOptions {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
}
const { Sender } = WebSocket as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } };

export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY = 1008;
export const CLOSE_TRY_AGAIN_LATER = 1013;

/**
 * WebSocket: one text frame per message. Each message is framed once (header and payload built by
 * ws's own `Sender.frame`) and the same buffers are written to every subscriber.
 */
export async function wsPlugin(app: FastifyInstance, deps: LabDeps): Promise<void> {
  const { feed, stats, config } = deps;
  const frames = new WeakMap<FeedEntry, Buffer[]>();
  const validateSend = new Ajv({ coerceTypes: false, allErrors: false }).compile<PublishRequest & { type: "send" }>(
    sendFrame(config),
  );
  const alive = new WeakMap<WebSocket, boolean>();
  let shuttingDown = false;

  await app.register(websocket, {
    options: { maxPayload: config.wsMaxPayload, perMessageDeflate: false },
    // A peer's protocol error (bad frame, bad UTF-8, oversized message) is the client's mistake: ws
    // has already sent the close code; it is counted, and logged at debug only, so that no client
    // can flood the log with stack traces.
    errorHandler(error, socket, request) {
      request.log.debug({ err: error }, "websocket protocol error");
      stats.add("ws", requestClient(request.query), "clientErrors");
      socket.terminate();
    },
    preClose(done) {
      shuttingDown = true;
      for (const socket of this.websocketServer.clients) socket.close(CLOSE_GOING_AWAY, "server shutting down");
      done();
    },
  });

  guardPipelinedUpgrades(app.server);

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

  const frameOf = (entry: FeedEntry): Buffer[] => {
    let frame = frames.get(entry);
    if (frame === undefined) {
      frame = Sender.frame(Buffer.from(entry.json), { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: true });
      frames.set(entry, frame);
    }
    return frame;
  };

  app.get<{ Querystring: SubscribeQuery }>(
    "/api/ws",
    { websocket: true, schema: { querystring: subscribeQuery }, config: { transport: "ws" } },
    (socket, request) => {
      const client = requestClient(request.query);
      // Every byte queued for this peer, messages and control frames (acks, errors) alike, counts
      // against one cap: a peer that sends bad frames and never reads is cut like any slow reader.
      const overCap = (): boolean => {
        if (socket.bufferedAmount <= config.maxBufferedBytes) return false;
        stats.add("ws", client, "cutoffs");
        closedByServer = true;
        socket.close(CLOSE_TRY_AGAIN_LATER, "slow consumer: too many unsent bytes");
        unsubscribe?.();
        return true;
      };
      const sendControl = (signal: ControlSignal): void => {
        if (socket.readyState !== WebSocket.OPEN) return;
        socket.send(JSON.stringify(signal));
        overCap();
      };
      const sendEntry = (entry: FeedEntry): void => {
        (socket as unknown as WithSender)._sender.sendFrame(frameOf(entry));
        stats.add("ws", client, "delivered");
      };
      const deliver = (entry: FeedEntry): void => {
        if (socket.readyState !== WebSocket.OPEN) return;
        sendEntry(entry);
        overCap();
      };

      let closedByServer = false;
      const invalidFrames = new WindowCounter(config.publishRateWindowMs);
      let budgetChecks = Promise.resolve();
      // Set once the catch-up is written.
      let unsubscribe: (() => void) | undefined;
      alive.set(socket, true);
      socket.on("pong", () => alive.set(socket, true));

      // As in held-stream.ts: the catch-up goes out a page at a time, the next once the socket has
      // drained, so a peer far behind is not taken for a slow consumer; live delivery starts in the
      // same tick as the last page is read.
      let cursor = toInteger("after", request.query.after);
      const catchUp = (): void => {
        if (socket.readyState !== WebSocket.OPEN) return;
        const page = readPage(feed, config, cursor);
        if (page.reset !== null) sendControl(page.reset);
        for (const entry of page.entries) sendEntry(entry);
        cursor = nextCursor(page, cursor, feed.lastId);
        if (!page.more) {
          unsubscribe = feed.subscribe(deliver);
          return;
        }
        // The next page once the socket has taken this one (a peer that does not read costs a
        // page), and never in the same tick, as in held-stream.ts.
        const tcp = (socket as unknown as WithSocket)._socket;
        if (tcp.writableNeedDrain) tcp.once("drain", catchUp);
        else setImmediate(catchUp);
      };
      catchUp();

      socket.on("message", (data, isBinary) => {
        // Once closing (cut off, shut down), nothing more is read into work or replies.
        if (socket.readyState !== WebSocket.OPEN) return;
        const refuse = (error: string, message: string, nonce?: string): void => {
          if (error !== "rate_limited") {
            stats.add("ws", client, "clientErrors");
            // Each bad frame costs a parse and a reply: a peer that sends nothing else is closed,
            // as one that keeps exceeding the publish budget is.
            if (invalidFrames.count(Date.now()) > config.wsRateCloseAfter) {
              closedByServer = true;
              socket.close(CLOSE_POLICY, "too many invalid frames");
              unsubscribe?.();
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
        budgetChecks = budgetChecks.then(async () => {
          const verdict = await app.publishBudget(request);
          // A send that waited for its budget while the server began shutting down is not stored:
          // the socket is already closing with 1001, and nothing is acknowledged after that point.
          if (socket.readyState !== WebSocket.OPEN || app.lab.closing) return;
          if (!verdict.allowed) {
            stats.add("ws", client, "refused");
            if (verdict.close) {
              closedByServer = true;
              socket.close(CLOSE_POLICY, "publish rate limit exceeded repeatedly");
              return;
            }
            return refuse("rate_limited", `publish rate limit: at most ${config.publishRateMax} messages per ${config.publishRateWindowMs} ms; retry in ${verdict.retryAfterSeconds} s`, publish.nonce);
          }
          const entry = feed.publish(publish);
          const ack: AckSignal = { type: "ack", id: entry.message.id };
          if (publish.nonce !== undefined) ack.nonce = publish.nonce;
          sendControl(ack);
        }).catch((error: unknown) => {
          request.log.error({ err: error }, "websocket publish failed");
          closedByServer = true;
          socket.close(1011, "internal error");
        });
      });

      socket.on("close", () => {
        unsubscribe?.();
        if (!closedByServer && !shuttingDown) stats.add("ws", client, "disconnects");
      });
    },
  );
}

function describeFrameError(error: { instancePath: string; keyword: string; message?: string; params: Record<string, unknown> } | undefined): string {
  if (error === undefined) return "invalid frame";
  const path = error.instancePath.replace(/^\//, "");
  if (error.keyword === "additionalProperties") return `unknown field "${String(error.params.additionalProperty)}"`;
  if (error.keyword === "required") return `missing field "${String(error.params.missingProperty)}"`;
  return path === "" ? error.message ?? "invalid frame" : `"${path}" ${error.message ?? "is invalid"}`;
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
