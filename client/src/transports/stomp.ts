import { Client, type IMessage, type StompHeaders, Versions } from "@stomp/stompjs";
import SockJS from "sockjs-client";
import { parseFrame } from "../../../protocol/ndjson.js";
import type { PublishRequest, ServerFrame, SockjsSubTransport } from "../../../protocol/types.js";
import { BaseTransport, type TransportOptions } from "./transport.js";

/** The Spring chat's destinations, which the server serves as they were. */
export const TOPIC = "/topic/messages";
export const APP_CHAT = "/app/chat";

interface PendingSend {
  resolve(id: number): void;
  reject(error: Error): void;
}

/**
 * STOMP 1.2 with `@stomp/stompjs`, the client the Spring chat used. The library's own reconnect is
 * off (`reconnectDelay: 0`): like the other transports, this one reconnects with backoff from its
 * own cursor, sent as `x-after` on SUBSCRIBE; a reset comes as a MESSAGE whose body is the reset
 * signal, so it is handled as on every other transport.
 */
abstract class StompTransportBase extends BaseTransport {
  private client: Client | undefined;
  private readonly pending = new Map<string, PendingSend>();
  private nextReceipt = 0;

  /** A fresh socket for one connection attempt (stompjs calls it once per activation). */
  protected abstract socket(): WebSocket;

  /** SEND to /app/chat with a receipt; resolves with the stored message's id (`x-message-id`). */
  publish(request: PublishRequest): Promise<number> {
    const client = this.client;
    if (client === undefined || !client.connected) return Promise.reject(new Error("STOMP is not connected"));
    const receipt = `send-${++this.nextReceipt}`;
    return new Promise((resolve, reject) => {
      this.pending.set(receipt, { resolve, reject });
      client.watchForReceipt(receipt, (frame) => this.settle(receipt, Number(frame.headers["x-message-id"])));
      client.publish({ destination: APP_CHAT, body: JSON.stringify(request), headers: { receipt, "content-type": "application/json" } });
    });
  }

  protected open(gen: number): void {
    const client = new Client({
      webSocketFactory: () => this.socket(),
      // Offer 1.2 only (subprotocol v12.stomp, accept-version:1.2): the one version the server speaks.
      stompVersions: new Versions([Versions.V1_2]),
      reconnectDelay: 0,
      debug: () => undefined,
    });
    client.onConnect = () => {
      if (!this.isCurrent(gen)) return;
      this.opened(gen);
      const headers: StompHeaders = {};
      if (this.cursor !== undefined) headers["x-after"] = String(this.cursor);
      client.subscribe(TOPIC, (message) => this.receive(gen, message), headers);
    };
    client.onStompError = () => this.failed(gen);
    client.onWebSocketClose = () => this.failed(gen);
    this.client = client;
    client.activate();
  }

  protected teardown(): void {
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) {
      client.onConnect = client.onStompError = client.onWebSocketClose = () => undefined;
      // At once, as the other transports close (an EventSource, a socket): no DISCONNECT and wait for
      // its receipt, which over xhr-polling could hold a connection until the next poll.
      void client.deactivate({ force: true });
    }
    for (const send of this.pending.values()) send.reject(new Error("STOMP closed before the receipt"));
    this.pending.clear();
  }

  private receive(gen: number, message: IMessage): void {
    let frame: ServerFrame;
    try {
      frame = parseFrame(message.body);
    } catch {
      this.failed(gen);
      return;
    }
    this.deliver(gen, frame);
  }

  private settle(receipt: string, id: number): void {
    const send = this.pending.get(receipt);
    if (send === undefined) return;
    this.pending.delete(receipt);
    send.resolve(id);
  }
}

/** STOMP over a plain WebSocket at /api/stomp, subprotocol v12.stomp. */
export class StompWsTransport extends StompTransportBase {
  readonly kind = "stomp-ws" as const;

  protected socket(): WebSocket {
    const query = this.clientId === undefined ? "" : `?client=${encodeURIComponent(this.clientId)}`;
    return new WebSocket(this.url(`/api/stomp${query}`, "ws"), ["v12.stomp"]);
  }
}

export interface SockjsOptions extends TransportOptions {
  /** The one SockJS transport this client may use (no fallback to the others). */
  sockjsTransport: SockjsSubTransport;
}

/** STOMP over SockJS at /chat, like the Spring chat's `withSockJS()` endpoint, restricted to one sub-transport. */
export class StompSockjsTransport extends StompTransportBase {
  readonly kind = "stomp-sockjs" as const;
  readonly sockjsTransport: SockjsSubTransport;

  constructor(options: SockjsOptions) {
    super(options);
    this.sockjsTransport = options.sockjsTransport;
  }

  protected socket(): WebSocket {
    const query = this.clientId === undefined ? "" : `?client=${encodeURIComponent(this.clientId)}`;
    // SockJS's object behaves as a WebSocket (onopen, onmessage, onclose, send, close, readyState).
    const origin = this.origin === "" ? location.origin : this.origin;
    return new SockJS(`${origin}/chat${query}`, null, { transports: [this.sockjsTransport] }) as unknown as WebSocket;
  }
}

export type StompClientTransport = StompWsTransport | StompSockjsTransport;
