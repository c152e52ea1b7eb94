import { Client, type IMessage, Versions } from "@stomp/stompjs";
import type { Socket } from "node:net";
import SockJS from "sockjs-client";
import WebSocket from "ws";
import { parseFrame } from "../../../protocol/ndjson.js";
import { isControl, type SockjsSubTransport, type StompTransport } from "../../../protocol/types.js";
import { RETRY_MS, signal, Sleeper, type Subscriber, type SubscriberOptions } from "./subscriber.js";
import type { SocketCounter } from "../measure/socket-counter.js";
import { countThreadConnections } from "./thread-connections.js";
import { DEFAULT_SOCKJS } from "../transports.js";

/** The Spring chat's destinations, which the server serves as they were. */
export const TOPIC = "/topic/messages";
export const APP_CHAT = "/app/chat";
export const STOMP_SUBPROTOCOL = "v12.stomp";

/**
 * A socket stompjs can drive, counted: over `ws` (the upgrade's TCP socket tracked, as the WebSocket
 * subscriber's is), or sockjs-client restricted to one sub-transport (its sockets and requests
 * counted per thread, see thread-connections.ts). `body` counts the STOMP frames as the STOMP
 * client receives them, the carrier's payload, after SockJS has unwrapped its own framing.
 */
export function stompSocket(transport: StompTransport, origin: string, counter: SocketCounter, sockjs: SockjsSubTransport): WebSocket | WebSocketLike {
  if (transport === "stomp-ws") {
    counter.requests++;
    const ws = new WebSocket(`${origin.replace(/^http/, "ws")}/api/stomp`, [STOMP_SUBPROTOCOL]);
    ws.once("upgrade", (response) => counter.track(response.socket as Socket));
    ws.on("message", (data: Buffer | ArrayBuffer) => {
      counter.body += data.byteLength;
    });
    return ws;
  }
  countThreadConnections(counter);
  // Node sees XHR and EventSource requests as its own; a WebSocket upgrade is not one of them.
  if (sockjs === "websocket") counter.requests++;
  const sock = new SockJS(`${origin}/chat`, null, { transports: [sockjs] });
  sock.addEventListener("message", (event: { data: string }) => {
    counter.body += Buffer.byteLength(event.data);
  });
  return sock as unknown as WebSocketLike;
}

/** What stompjs needs of a socket; sockjs-client's SockJS object is one, as a browser's WebSocket is. */
export interface WebSocketLike {
  readonly readyState: number;
  close(code?: number, reason?: string): void;
}

/**
 * A STOMP subscriber: `@stomp/stompjs`, the client the Spring chat used, with its default heart-beats
 * (10 s both ways, which the server raises to its own interval), offering STOMP 1.2 only. Its own
 * reconnect is off: like every bench subscriber this one reconnects after a pause from its own
 * cursor, which SUBSCRIBE carries as `x-after`; a reset comes as a MESSAGE whose body is the reset
 * signal every other transport sends. stompjs runs in worker threads as it does in a page: it needs
 * only a WebSocket-like object, timers and TextEncoder.
 */
export function startStomp(options: SubscriberOptions, transport: StompTransport): Subscriber {
  const { counter, sink } = options;
  const sockjs = options.sockjs ?? DEFAULT_SOCKJS;
  const sleeper = new Sleeper();
  const ready = signal();
  let cursor = options.after;
  let stopped = false;
  let current: Client | undefined;

  function receive(message: IMessage): void {
    try {
      const frame = parseFrame(message.body);
      if (!isControl(frame)) {
        sink.message(frame);
        cursor = Math.max(cursor, frame.id);
      } else if (frame.type === "reset") {
        sink.reset(frame);
        cursor = frame.cursor;
      }
    } catch (error) {
      sink.error(error);
    }
  }

  function connect(): void {
    const client = new Client({
      webSocketFactory: () => stompSocket(transport, options.origin, counter, sockjs),
      stompVersions: new Versions([Versions.V1_2]),
      reconnectDelay: 0,
      debug: () => undefined,
    });
    current = client;
    client.onConnect = () => {
      client.subscribe(TOPIC, receive, { "x-after": String(cursor) });
      ready.resolve();
    };
    client.onStompError = (frame) => sink.error(new Error(`STOMP ERROR: ${frame.headers.message ?? frame.body}`));
    client.onWebSocketClose = () => {
      if (stopped || current !== client) return;
      sink.reconnect();
      void client.deactivate({ force: true });
      void sleeper.sleep(RETRY_MS).then(() => {
        if (!stopped) connect();
      });
    };
    client.activate();
  }

  connect();
  return {
    ready: ready.promise,
    async stop() {
      stopped = true;
      sleeper.cancel();
      const client = current;
      if (client === undefined) return;
      // DISCONNECT and wait for the server to close, so both ends count the same bytes; a server
      // that does not answer is cut after 2 s.
      const timer = setTimeout(() => void client.deactivate({ force: true }), 2_000);
      await client.deactivate();
      clearTimeout(timer);
    },
  };
}
