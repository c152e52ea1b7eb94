import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { AckSignal } from "../../../protocol/types.js";
// The lab's own frame builder (ws's `Sender.frame`), as the bare HTTP side uses protocol/encode.ts: the same bytes.
import { textFrame } from "../../../server/transports/ws-frames.js";
import type { BareEntry, BareFeed } from "./bare-feed.js";

/**
 * The bare WebSocket side: ws's WebSocketServer on the same node:http server, for /api/ws. Each
 * message is serialized once (by the feed), framed once with ws's own `Sender.frame`, and the same
 * Buffer is written to every subscriber's TCP socket, the one the upgrade handed over (so no private
 * field of ws is needed; with permessage-deflate off ws writes its own frames, acks included,
 * synchronously to that socket, so the order holds).
 *
 * Pings as the lab's server sends them (one timer for every socket, every `pingMs`, a peer that did
 * not answer the previous one terminated), since every WebSocket server that wants to notice a
 * dead peer sends them, and their cost is part of a WebSocket's at scale.
 *
 * Left out, on purpose: the Origin check, query validation, JSON-schema validation of `send` frames
 * (only string `from` and `text` are required), the publish rate limit, the slow-consumer cut-off,
 * the invalid-frame limit, metering and graceful close codes.
 */

export interface BareWs {
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

/** The lab's default WebSocket ping period (LAB_WS_PING_MS). */
export const BARE_PING_MS = 30_000;

export function bareWs(feed: BareFeed, open: { ws: number }, pingMs = BARE_PING_MS): BareWs {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 65_536 });
  const answered = new WeakSet<WebSocket>();
  const pinger = setInterval(() => {
    for (const ws of wss.clients) {
      if (!answered.delete(ws)) {
        ws.terminate();
        continue;
      }
      ws.ping();
    }
  }, pingMs);
  const frames = new WeakMap<BareEntry, Buffer>();
  const frameOf = (entry: BareEntry): Buffer => {
    let frame = frames.get(entry);
    if (frame === undefined) {
      frame = textFrame(entry.json);
      frames.set(entry, frame);
    }
    return frame;
  };

  const connected = (ws: WebSocket, tcp: Socket, after: number | undefined): void => {
    open.ws++;
    answered.add(ws);
    ws.on("pong", () => answered.add(ws));
    let cursor = after;
    for (let more = true; more; ) {
      const page = feed.read(cursor);
      if (page.reset !== null) ws.send(JSON.stringify(page.reset));
      for (const entry of page.entries) tcp.write(frameOf(entry));
      cursor = page.cursor;
      more = page.more;
    }
    const unsubscribe = feed.subscribe((entry) => tcp.write(frameOf(entry)));
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      let frame: { type?: unknown; from?: unknown; text?: unknown; nonce?: unknown };
      try {
        frame = JSON.parse(data.toString()) as typeof frame;
      } catch {
        return;
      }
      if (frame.type !== "send" || typeof frame.from !== "string" || typeof frame.text !== "string") return;
      const nonce = typeof frame.nonce === "string" ? frame.nonce : undefined;
      const entry = feed.publish(nonce === undefined ? { from: frame.from, text: frame.text } : { from: frame.from, text: frame.text, nonce });
      const ack: AckSignal = { type: "ack", id: entry.message.id };
      if (nonce !== undefined) ack.nonce = nonce;
      ws.send(JSON.stringify(ack));
    });
    ws.once("close", () => {
      unsubscribe();
      open.ws--;
    });
  };

  return {
    upgrade(req, socket, head) {
      const url = req.url ?? "/";
      const q = url.indexOf("?");
      if ((q < 0 ? url : url.slice(0, q)) !== "/api/ws") {
        socket.destroy();
        return;
      }
      const raw = new URLSearchParams(q < 0 ? "" : url.slice(q + 1)).get("after");
      const after = raw !== null && /^[0-9]{1,16}$/.test(raw) ? Number(raw) : undefined;
      wss.handleUpgrade(req, socket, head, (ws) => connected(ws, socket as Socket, after));
    },
    close() {
      clearInterval(pinger);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
