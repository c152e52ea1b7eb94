import type { Duplex } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type WebSocket, WebSocketServer } from "ws";
import type { ClientEventFrame } from "../../protocol/client-events.js";
import type { LabDeps } from "../deps.js";
import { rawErrorResponse } from "../errors.js";
import { refuse } from "../limits/refuse.js";
import { CLIENT_ID_PATTERN } from "../schemas.js";
import { refuseShuttingDown } from "../shutdown-gate.js";
import { upgradeHeads } from "../stomp/upgrade-heads.js";
import type { EventWatcher } from "./client-events.js";

/** Unsent bytes a watcher may hold before it is closed (1013): a tab that stopped reading. */
const WATCHER_MAX_BUFFERED = 1024 * 1024;
const CLOSE_TRY_AGAIN_LATER = 1013;

const params = {
  type: "object",
  additionalProperties: false,
  required: ["id"],
  properties: { id: { type: "string", pattern: CLIENT_ID_PATTERN } },
} as const;

/**
 * `GET /api/clients/:id/events`: a WebSocket carrying the server's view of client `id`'s requests
 * and connections (client-events.ts), for the dashboard's network timeline. The route is not
 * metered (it is the dashboard looking, not a transport's cost) and holds no held-connection slot:
 * its own bound is the number of clients and watchers (503 and 429 before the upgrade). A WebSocket
 * rather than SSE, so that it never takes one of the browser's six HTTP/1.1 connections.
 */
export async function clientEventsPlugin(app: FastifyInstance, deps: LabDeps): Promise<void> {
  const { events, config } = deps;
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1024 });
  const heads = upgradeHeads(app.server);
  const alive = new WeakMap<WebSocket, boolean>();
  let pinger: NodeJS.Timeout | null = null;

  // A handshake ws refuses (no or a malformed key) is answered `{error, message}`, as everywhere.
  wss.on("wsClientError", (error: Error, socket: Duplex) => {
    socket.once("finish", () => socket.destroy());
    socket.end(rawErrorResponse(400, `websocket handshake refused: ${error.message}`));
  });

  app.addHook("onClose", (_app, done) => {
    if (pinger !== null) clearInterval(pinger);
    events.close();
    for (const socket of wss.clients) socket.terminate();
    wss.close(() => done());
  });

  app.get<{ Params: { id: string } }>("/api/clients/:id/events", { schema: { params } }, (request, reply) => upgrade(request, reply));

  const upgrade = (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): FastifyReply => {
    if (request.headers.upgrade?.toLowerCase() !== "websocket") {
      return refuse(request, reply.header("upgrade", "websocket"), 426, "this endpoint is a WebSocket: send an Upgrade: websocket request over HTTP/1.1");
    }
    if (request.headers["sec-websocket-version"] !== "13") {
      return refuse(
        request,
        reply.header("sec-websocket-version", "13"),
        426,
        "only WebSocket version 13 (RFC 6455) is supported: send Sec-WebSocket-Version: 13",
      );
    }
    if (deps.closing) return refuseShuttingDown(request, reply, deps);
    const id = request.params.id;
    const refusal = events.refusal(id);
    if (refusal === "too_many_clients") {
      return refuse(request, reply, 503, `at most ${events.bounds.maxClients} clients are watched at once; try again later`);
    }
    if (refusal === "too_many_watchers") {
      return refuse(request, reply, 429, `at most ${events.bounds.maxWatchersPerClient} watchers of one client at once`);
    }
    reply.hijack();
    wss.handleUpgrade(request.raw, request.raw.socket, heads.get(request.raw) ?? Buffer.alloc(0), (ws) => open(ws, id));
    return reply;
  };

  const open = (ws: WebSocket, id: string): void => {
    const watcher: EventWatcher = {
      send(json) {
        if (ws.readyState !== ws.OPEN) return;
        if (ws.bufferedAmount > WATCHER_MAX_BUFFERED) {
          ws.close(CLOSE_TRY_AGAIN_LATER, "slow watcher: too many unsent bytes");
          return;
        }
        ws.send(json);
      },
    };
    const hello: ClientEventFrame = { type: "hello", client: id, time: Date.now(), bounds: events.bounds };
    ws.send(JSON.stringify(hello));
    // Checked again: another watcher may have taken the last place during the handshake.
    const refused = events.watch(id, watcher);
    if (refused !== null) {
      ws.close(CLOSE_TRY_AGAIN_LATER, refused === "too_many_clients" ? "too many watched clients" : "too many watchers");
      return;
    }
    alive.set(ws, true);
    ws.on("pong", () => alive.set(ws, true));
    ws.once("close", () => events.unwatch(id, watcher));
    // A watcher only listens: whatever it sends is ignored; a protocol error ends it.
    ws.on("error", () => ws.terminate());
    pinger ??= setInterval(() => {
      for (const socket of wss.clients) {
        if (alive.get(socket) === false) {
          socket.terminate();
          continue;
        }
        alive.set(socket, false);
        socket.ping();
      }
    }, config.wsPingMs).unref();
  };
}
