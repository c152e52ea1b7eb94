import http from "node:http";
import type { Transport } from "../../protocol/types.js";
import { rawWsConnect } from "./raw-ws.js";

export type HeldTransport = Exclude<Transport, "poll">;
export const HELD_TRANSPORTS: readonly HeldTransport[] = ["long-poll", "stream", "sse", "ws"];

export interface HeldAnswer {
  status: number;
  headers: http.IncomingHttpHeaders | Record<string, string>;
  body: string;
  /** Ends the connection from the client side. */
  close(): void;
}

/**
 * Open one held connection of `transport` and resolve as soon as the server has answered its head:
 * 200 (or 101) for an accepted one that stays open until `close()`, or a refusal with its body.
 */
export interface OpenHeldOptions {
  localAddress?: string;
  headers?: Record<string, string>;
  /**
   * A long poll sends nothing until it is answered, so its acceptance is seen on the server: this
   * should turn true once the server holds one more connection than before.
   */
  held?: () => boolean;
}

export function openHeld(port: number, transport: HeldTransport, options: OpenHeldOptions = {}): Promise<HeldAnswer> {
  if (transport === "ws") return openHeldWs(port, options.headers);
  const path = transport === "long-poll" ? "/api/long-poll?timeout=60000" : `/api/${transport}`;
  return new Promise((resolve, reject) => {
    const request = http.get({ host: "127.0.0.1", port, path, agent: false, localAddress: options.localAddress, headers: options.headers }, (response) => {
      const status = response.statusCode ?? 0;
      if (status === 200) {
        response.on("data", () => undefined);
        response.on("error", () => undefined);
        resolve({ status, headers: response.headers, body: "", close: () => request.destroy() });
        return;
      }
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status, headers: response.headers, body, close: () => request.destroy() }));
    });
    request.on("error", reject);
    if (transport === "long-poll") {
      const held = options.held;
      if (held === undefined) throw new Error("openHeld(long-poll) needs options.held");
      const check = setInterval(() => {
        if (!held()) return;
        clearInterval(check);
        resolve({ status: 200, headers: {}, body: "", close: () => request.destroy() });
      }, 5);
      request.once("response", () => clearInterval(check));
      request.once("close", () => clearInterval(check));
    }
  });
}

async function openHeldWs(port: number, headers: Record<string, string> = {}): Promise<HeldAnswer> {
  const { socket, status, head, rest } = await rawWsConnect(port, "/api/ws", headers);
  const parsed: Record<string, string> = {};
  for (const line of head.split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) parsed[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = rest.toString();
  if (status !== 101) {
    socket.resume();
    socket.on("data", (chunk: Buffer) => (body += chunk.toString()));
    await new Promise<void>((resolve) => {
      if (socket.destroyed) resolve();
      else socket.once("close", () => resolve());
    });
  } else {
    socket.resume();
  }
  socket.on("error", () => undefined);
  return { status, headers: parsed, body, close: () => socket.destroy() };
}
