import type { HeldAnswer, HeldTransport } from "./held.js";
import { openHeld } from "./held.js";
import { H2Client, type H2Answer } from "./h2-client.js";
import type { TestServer } from "./server.js";

/** The versions the fault suite runs its transport-level checks on (`describe.each`). */
export const HTTP_VERSIONS = ["HTTP/1.1", "HTTP/2"] as const;
export type HttpVersion = (typeof HTTP_VERSIONS)[number];

/** What a test asks of an HTTP client, whatever version it speaks. */
export interface VersionedClient {
  request(method: string, path: string, options?: { headers?: Record<string, string>; body?: string }): Promise<H2Answer>;
  close(): void;
}

/**
 * A client of `server` over `version`: plain HTTP/1.1 (Node's fetch) on the plain port, HTTP/2 on
 * the TLS port (the server must have been started with `{ tls: true }`), one connection for all its
 * requests, as a browser tab would hold.
 */
export async function clientFor(version: HttpVersion, server: TestServer): Promise<VersionedClient> {
  if (version === "HTTP/2") {
    const h2 = await H2Client.connect(secureUrlOf(server));
    return { request: (method, path, options = {}) => h2.request(method, path, options.headers, options.body), close: () => h2.close() };
  }
  return {
    request: async (method, path, options = {}) => {
      const response = await fetch(`${server.url}${path}`, { method, headers: options.headers, body: options.body });
      return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
    },
    close: () => undefined,
  };
}

/**
 * `openHeld` (test/helpers/held.ts) over either version. On HTTP/2 each held stream gets its own
 * connection, as separate browsers would, so that `close()` leaves as an HTTP/1.1 client leaves;
 * WebSocket stays HTTP/1.1 (RFC 8441 is not offered).
 */
export async function openHeldOver(
  version: HttpVersion,
  server: TestServer,
  transport: Exclude<HeldTransport, "ws">,
  options: { localAddress?: string; headers?: Record<string, string>; held?: () => boolean } = {},
): Promise<HeldAnswer> {
  if (version === "HTTP/1.1") return openHeld(server.port, transport, options);
  const client = await H2Client.connect(secureUrlOf(server), { localAddress: options.localAddress });
  const path = transport === "long-poll" ? "/api/long-poll?timeout=60000" : `/api/${transport}`;
  const stream = client.session.request({ ":path": path, ...options.headers });
  stream.on("error", () => undefined);
  const close = (): void => client.close();
  return new Promise((resolve, reject) => {
    let status = 0;
    let body = "";
    let headers: Record<string, string> = {};
    const check =
      transport === "long-poll" && options.held !== undefined
        ? setInterval(() => {
            if (!options.held?.()) return;
            clearInterval(check);
            resolve({ status: 200, headers: {}, body: "", close });
          }, 5)
        : undefined;
    stream.once("response", (head) => {
      clearInterval(check);
      status = Number(head[":status"]);
      headers = Object.fromEntries(Object.entries(head).map(([name, value]) => [name, String(value)]));
      if (status === 200) resolve({ status, headers, body: "", close });
    });
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => (body += chunk));
    stream.once("end", () => resolve({ status, headers, body, close }));
    stream.once("close", () => {
      clearInterval(check);
      if (status === 0) reject(new Error(`${path}: stream closed with RST code ${stream.rstCode} before its response`));
    });
  });
}

function secureUrlOf(server: TestServer): string {
  if (server.secureUrl === null) throw new Error("HTTP/2 needs a server started with { tls: true }");
  return server.secureUrl;
}
