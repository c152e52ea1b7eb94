import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { BareFeed } from "./bare-feed.js";
import { bareHttp, type BareHttpOptions } from "./bare-http.js";
import { bareWs } from "./bare-ws.js";

/**
 * The bare reference server: one node:http server and one ws WebSocketServer on one feed, speaking
 * the lab's wire protocol (bare-http.ts and bare-ws.ts say what each leaves out). It exists to be
 * measured against: whatever the lab's server costs beyond it is the lab's, not the transport's.
 */
export interface BareServer {
  url: string;
  port: number;
  feed: BareFeed;
  close(): Promise<void>;
}

export interface BareServerOptions extends BareHttpOptions {
  /** WebSocket ping period (the lab's default, 30 s). */
  pingMs?: number;
}

export async function startBareServer(host = "127.0.0.1", port = 0, options: BareServerOptions = {}): Promise<BareServer> {
  const feed = new BareFeed();
  const http = bareHttp(feed, options);
  const ws = bareWs(feed, http.open, options.pingMs);
  const server = createServer((req, res) => http.handle(req, res));
  server.on("upgrade", (req, socket, head) => ws.upgrade(req, socket, head));
  // As the lab's server sets it (server/app.ts), so a keep-alive poller is not cut between polls.
  server.keepAliveTimeout = 72_000;
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${bound}`,
    port: bound,
    feed,
    close: async () => {
      http.close();
      ws.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
