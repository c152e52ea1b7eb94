import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { EventSource, WebSocket } from "undici";
import { WebSocketServer, type WebSocket as ServerSocket } from "ws";

// The browser clients use the browser's EventSource and WebSocket; undici's are spec implementations
// of the same APIs, so the clients run unchanged in Node against a real socket.
Object.assign(globalThis, { EventSource, WebSocket });

export interface SeenRequest {
  path: string;
  after: string | null;
}

/**
 * A real HTTP (and WebSocket) server whose answers each test scripts, one handler per request in
 * order: what a real lab server cannot easily be made to do on cue (drop a stream mid-way, fail
 * once) is what the reconnect logic must survive.
 */
export class ScriptedServer {
  readonly seen: SeenRequest[] = [];
  private httpHandlers: ((req: IncomingMessage, res: ServerResponse) => void)[] = [];
  private wsHandlers: ((socket: ServerSocket) => void)[] = [];
  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  origin = "";

  constructor() {
    this.server = createServer((req, res) => {
      this.record(req);
      const handler = this.httpHandlers.shift();
      if (handler === undefined) {
        // Unscripted requests wait: a held request is neither an answer nor an error.
        return;
      }
      handler(req, res);
    });
    this.server.on("upgrade", (req, socket, head) => {
      this.record(req);
      const handler = this.wsHandlers.shift();
      this.wss.handleUpgrade(req, socket, head, (ws) => handler?.(ws));
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Answer the next HTTP requests with these handlers, in order. */
  http(...handlers: ((req: IncomingMessage, res: ServerResponse) => void)[]): void {
    this.httpHandlers.push(...handlers);
  }

  ws(...handlers: ((socket: ServerSocket) => void)[]): void {
    this.wsHandlers.push(...handlers);
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private record(req: IncomingMessage): void {
    const url = new URL(req.url ?? "/", "http://x");
    this.seen.push({ path: url.pathname, after: url.searchParams.get("after") });
  }
}

export function message(id: number): { id: number; from: string; text: string; time: number } {
  return { id, from: "ada", text: `message ${id} é🙂`, time: 1_700_000_000_000 + id };
}

export function json(status: number, body: unknown): (req: IncomingMessage, res: ServerResponse) => void {
  return (_req, res) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
}

export function waitUntil(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (check()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 5);
    };
    tick();
  });
}
