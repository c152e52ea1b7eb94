import { Pool } from "undici";
import WebSocket from "ws";
import type { Socket } from "node:net";
import { parseFrame } from "../../protocol/ndjson.js";
import { isControl } from "../../protocol/types.js";
import { SocketCounter } from "./measure/socket-counter.js";
import { Client, Versions } from "@stomp/stompjs";
import { APP_CHAT, STOMP_SUBPROTOCOL } from "./clients/stomp.js";
import type { PublishVia } from "./scenarios.js";

/** How the publisher gets a message to the server: one request, or one frame and its ack. */
export interface PublishChannel {
  readonly via: PublishVia;
  readonly counter: SocketCounter;
  /** Resolves true when the server stored the message; a refusal is described in the error. */
  send(body: { from: string; text: string; nonce: string }): Promise<true | string>;
  close(): Promise<void>;
}

/** POST /api/messages over a small keep-alive pool, so a slow answer never holds back the schedule. */
export function httpChannel(origin: string): PublishChannel {
  const counter = new SocketCounter();
  const pool = new Pool(origin, { connections: 16, connect: counter.connector(), keepAliveTimeout: 600_000, keepAliveMaxTimeout: 600_000 });
  let closed = false;
  return {
    via: "http",
    counter,
    async send(body) {
      counter.requests++;
      try {
        const response = await pool.request({
          method: "POST",
          path: "/api/messages",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        const text = await response.body.text();
        return response.statusCode === 201 ? true : `HTTP ${response.statusCode}: ${text.slice(0, 200)}`;
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.close();
    },
  };
}

/**
 * `{"type":"send"}` frames over one WebSocket, each answered by an ack with its nonce. The socket is
 * also a subscriber (the server sends it every message), as a browser chat client's would be.
 */
export async function wsChannel(origin: string, after: number): Promise<PublishChannel> {
  const counter = new SocketCounter();
  counter.requests++;
  const ws = new WebSocket(`${origin.replace(/^http/, "ws")}/api/ws?after=${after}`);
  ws.once("upgrade", (response) => counter.track(response.socket as Socket));
  const pending = new Map<string, (result: true | string) => void>();
  ws.on("message", (data) => {
    const frame = parseFrame(data.toString());
    if (!isControl(frame) || (frame.type !== "ack" && frame.type !== "error") || frame.nonce === undefined) return;
    pending.get(frame.nonce)?.(frame.type === "ack" ? true : `${frame.error}: ${frame.message}`);
    pending.delete(frame.nonce);
  });
  ws.on("close", () => {
    for (const settle of pending.values()) settle("WebSocket closed before the ack");
    pending.clear();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return {
    via: "ws",
    counter,
    send(body) {
      return new Promise((resolve) => {
        pending.set(body.nonce, resolve);
        ws.send(JSON.stringify({ type: "send", ...body }));
      });
    },
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return;
      const closed = new Promise((resolve) => ws.once("close", resolve));
      ws.close(1000);
      await closed;
    },
  };
}

/**
 * SEND to /app/chat over a STOMP-over-WebSocket session of the publisher's own (`@stomp/stompjs`
 * over `ws`), each with a `receipt` the server answers once the message is stored; an ERROR frame
 * fails what is pending. The publisher does not subscribe. It is metered by the server as
 * `stomp-ws`, whichever STOMP transport the phase measures.
 */
export async function stompChannel(origin: string): Promise<PublishChannel> {
  const counter = new SocketCounter();
  const pending = new Map<string, (result: true | string) => void>();
  const fail = (why: string): void => {
    for (const settle of pending.values()) settle(why);
    pending.clear();
  };
  const client = new Client({
    webSocketFactory: () => {
      counter.requests++;
      const ws = new WebSocket(`${origin.replace(/^http/, "ws")}/api/stomp`, [STOMP_SUBPROTOCOL]);
      ws.once("upgrade", (response) => counter.track(response.socket as Socket));
      return ws;
    },
    stompVersions: new Versions([Versions.V1_2]),
    reconnectDelay: 0,
    debug: () => undefined,
  });
  await new Promise<void>((resolve, reject) => {
    client.onConnect = () => resolve();
    client.onStompError = (frame) => reject(new Error(`STOMP ERROR: ${frame.headers.message}`));
    client.onWebSocketClose = () => reject(new Error("the publisher's STOMP connection closed before CONNECTED"));
    client.activate();
  });
  client.onStompError = (frame) => fail(`STOMP ERROR: ${frame.headers.message}`);
  client.onWebSocketClose = () => fail("STOMP connection closed before the receipt");
  return {
    via: "stomp",
    counter,
    send(body) {
      return new Promise((resolve) => {
        if (!client.connected) return resolve("STOMP is not connected");
        pending.set(body.nonce, resolve);
        client.watchForReceipt(body.nonce, () => {
          pending.get(body.nonce)?.(true);
          pending.delete(body.nonce);
        });
        client.publish({ destination: APP_CHAT, body: JSON.stringify(body), headers: { receipt: body.nonce, "content-type": "application/json" } });
      });
    },
    async close() {
      await client.deactivate();
    },
  };
}
