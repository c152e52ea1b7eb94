import { Pool } from "undici";
import WebSocket from "ws";
import type { Socket } from "node:net";
import { parseFrame } from "../../protocol/ndjson.js";
import { isControl } from "../../protocol/types.js";
import { SocketCounter } from "./measure/socket-counter.js";

/** How the publisher gets a message to the server: one request, or one frame and its ack. */
export interface PublishChannel {
  readonly via: "http" | "ws";
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
