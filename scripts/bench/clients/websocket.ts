import WebSocket from "ws";
import type { ClientRequestArgs } from "node:http";
import type { Socket } from "node:net";
import type { ConnectionOptions } from "node:tls";
import { parseFrame } from "../../../protocol/ndjson.js";
import { isControl } from "../../../protocol/types.js";
import { requestShape, RETRY_MS, signal, Sleeper, type Subscriber, type SubscriberOptions } from "./subscriber.js";

/**
 * WebSocket subscriber (the `ws` library, with its defaults, as a browser-like client). Under TLS
 * (`wss:`, HTTP/1.1: the server offers no WebSocket over HTTP/2) the connection is made over a TCP
 * socket the counter tracks, so ciphertext is counted, as the server counts it.
 */
export function startWebSocket(options: SubscriberOptions): Subscriber {
  const { counter, sink } = options;
  const sleeper = new Sleeper();
  const ready = signal();
  const wsOrigin = options.origin.replace(/^http/, "ws");
  const secure = options.wire?.tls === true;
  let cursor = options.after;
  let stopped = false;
  let current: WebSocket | undefined;
  let closed: Promise<void> = Promise.resolve();
  const shape = requestShape(options, "ws");

  function connect(): void {
    counter.requests++;
    const ws = new WebSocket(`${wsOrigin}/api/ws?after=${cursor}${shape.client === undefined ? "" : `&client=${shape.client}`}`, {
      headers: shape.headers,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      ...(secure
        ? {
            createConnection: (o: ClientRequestArgs) =>
              counter.secure({ ...(o as ConnectionOptions), host: o.host ?? "127.0.0.1", port: Number(o.port) }, "http/1.1"),
          }
        : {}),
    });
    current = ws;
    if (!secure) ws.once("upgrade", (response) => counter.track(response.socket as Socket));
    ws.once("open", () => ready.resolve());
    ws.on("message", (data, isBinary) => {
      counter.body += (data as Buffer).length;
      if (isBinary) return sink.error(new Error("ws: unexpected binary frame"));
      try {
        const frame = parseFrame(data.toString());
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
    });
    ws.on("error", (error) => {
      if (!stopped) sink.error(error);
    });
    closed = new Promise((resolve) => {
      ws.once("close", () => {
        resolve();
        if (stopped) return;
        sink.reconnect();
        void sleeper.sleep(RETRY_MS).then(() => {
          if (!stopped) connect();
        });
      });
    });
  }

  connect();
  return {
    ready: ready.promise,
    async stop() {
      stopped = true;
      sleeper.cancel();
      const ws = current;
      if (ws !== undefined && ws.readyState !== WebSocket.CLOSED) {
        const timer = setTimeout(() => ws.terminate(), 2_000);
        ws.close(1000);
        await closed;
        clearTimeout(timer);
      }
    },
  };
}
