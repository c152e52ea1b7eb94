import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { parse as parseQuery } from "node:querystring";
import type { Duplex } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type WebSocket, WebSocketServer } from "ws";
import type { LabDeps } from "../deps.js";
import { rawErrorResponse } from "../errors.js";
import { refuse } from "../limits/refuse.js";
import { clientAddress } from "../limits/client-address.js";
import { requestClient } from "../schemas.js";
import { refuseShuttingDown } from "../shutdown-gate.js";
import { assertNoDeflate, textFrame } from "../transports/ws-frames.js";
import { SocketSink } from "../transports/ws.js";
import { takeHeldSlot } from "./held-slot.js";
import { StompSessions } from "./sessions.js";
import { upgradeHeads } from "./upgrade-heads.js";
import { announceInstance } from "../instance.js";

/**
 * Only STOMP 1.2 is spoken: a client offering subprotocols must offer this one (an offer of
 * `v10.stomp` or `v11.stomp` alone is refused rather than answered with frames it cannot read).
 */
export const STOMP_SUBPROTOCOL = "v12.stomp";

/**
 * STOMP 1.2 over a plain WebSocket at `/api/stomp`. The route is an ordinary Fastify route, so the
 * request gate meters it, checks its Host and Origin and refuses it while shutting down like any
 * other; this plugin then takes its held slot and upgrades it with a WebSocket server of its own,
 * which picks the subprotocol (the lab's shared one takes whatever a client offers first). Each
 * frame is a text frame written straight to the TCP socket, a MESSAGE framed once per message and
 * subscription id (deliveries.ts), as `/api/ws` does (ws-frames.ts).
 */
export async function stompWsPlugin(app: FastifyInstance, deps: LabDeps): Promise<void> {
  const { config, stats } = deps;
  const wsOptions = {
    noServer: true,
    maxPayload: config.wsMaxPayload,
    perMessageDeflate: false,
    handleProtocols: (offered: Set<string>) => (offered.has(STOMP_SUBPROTOCOL) ? STOMP_SUBPROTOCOL : false),
  } as const;
  assertNoDeflate(wsOptions);
  const wss = new WebSocketServer(wsOptions);
  if (config.instance !== "") announceInstance(wss, config.instance);
  const sessions = new StompSessions(deps, "stomp-ws", stompTextFrame, (error) => app.log.error({ err: error }, "stomp frame handling failed"));
  const alive = new WeakMap<WebSocket, boolean>();
  const heads = upgradeHeads(app.server);

  wss.on("wsClientError", (error: Error, socket: Duplex, request: IncomingMessage) => {
    stats.add("stomp-ws", requestClient(parseQuery(request.url?.split("?")[1] ?? "")), "clientErrors");
    socket.once("finish", () => socket.destroy());
    socket.end(rawErrorResponse(400, `websocket handshake refused: ${error.message}`));
  });

  // With no heart-beats negotiated, pings find the dead peers: one timer for all, as /api/ws does.
  const pinger = setInterval(() => {
    for (const socket of wss.clients) {
      if (alive.get(socket) === false) {
        socket.terminate();
        continue;
      }
      alive.set(socket, false);
      socket.ping();
    }
  }, config.wsPingMs);

  app.addHook("preClose", (done) => {
    sessions.endAll();
    done();
  });
  app.addHook("onClose", (_app, done) => {
    clearInterval(pinger);
    for (const socket of wss.clients) socket.terminate();
    wss.close(() => done());
  });

  /** Refuse, or take the upgrade over: either way the request goes no further through Fastify. */
  const upgrade = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (request.headers.upgrade?.toLowerCase() !== "websocket") {
      return refuse(
        request,
        reply.header("upgrade", "websocket"),
        426,
        "this endpoint speaks STOMP over WebSocket only: send an Upgrade: websocket request over HTTP/1.1",
      );
    }
    if (request.headers["sec-websocket-version"] !== "13") {
      return refuse(
        request,
        reply.header("sec-websocket-version", "13"),
        426,
        "only WebSocket version 13 (RFC 6455) is supported: send Sec-WebSocket-Version: 13",
      );
    }
    const offered = request.headers["sec-websocket-protocol"];
    if (offered !== undefined && !offered.split(",").some((p) => p.trim() === STOMP_SUBPROTOCOL)) {
      return refuse(request, reply, 400, `offer the ${STOMP_SUBPROTOCOL} subprotocol: this endpoint speaks STOMP 1.2 only`);
    }
    if (deps.closing) return refuseShuttingDown(request, reply, deps);
    const socket = request.raw.socket;
    const release = takeHeldSlot(app, deps, "stomp-ws", request, reply, socket);
    if (release === null) return reply;
    socket.once("close", release);
    reply.hijack();
    wss.handleUpgrade(request.raw, socket, heads.get(request.raw) ?? Buffer.alloc(0), (ws) => open(ws, request, socket));
    return reply;
  };

  const open = (ws: WebSocket, request: FastifyRequest, tcp: Socket): void => {
    const client = requestClient(request.query);
    const address = clientAddress(request);
    const session = sessions.open({
      transport: "stomp-ws",
      sink: new SocketSink(ws, tcp),
      wrap: stompTextFrame,
      close: (code, reason) => ws.close(code, reason),
      client,
      publishBudget: () => app.publishBudget(address),
    });
    alive.set(ws, true);
    ws.on("pong", () => alive.set(ws, true));
    ws.on("message", (data: Buffer) => session.receive(data));
    ws.once("close", () => session.connectionClosed());
    // A peer's protocol error (bad frame, oversized message) is its mistake: counted, logged at debug.
    ws.on("error", (error) => {
      request.log.debug({ err: error }, "stomp websocket protocol error");
      stats.add("stomp-ws", client, "clientErrors");
      ws.terminate();
    });
  };

  app.get(
    "/api/stomp",
    {
      config: { transport: "stomp-ws" },
      // After the request gate, before anything else: the upgrade is refused or taken over here.
      onRequest: (request, reply, _done) => {
        upgrade(request, reply);
      },
    },
    // Never reached: every request is upgraded or refused above.
    async (_request, reply) => reply.code(426).send(),
  );
}

/**
 * A STOMP frame as one WebSocket text frame. Through a string, since that is what the shared framer
 * takes: a MESSAGE is framed once per message and subscription id, so the copy is paid once too.
 */
function stompTextFrame(frame: Buffer): Buffer {
  return textFrame(frame.toString("utf8"));
}
