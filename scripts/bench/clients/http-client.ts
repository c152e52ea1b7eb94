import { Client } from "undici";
import type { SocketCounter } from "../measure/socket-counter.js";
import type { Wire } from "../wire.js";

export type HttpMode = "poll" | "long-poll" | "stream" | "sse";

/**
 * An undici client for one wire, its sockets counted by `counter`: plaintext HTTP/1.1, HTTP/1.1
 * over TLS, or HTTP/2 over TLS (ALPN h2 only, so a server that answered with HTTP/1.1 fails the
 * connection instead of being measured as HTTP/2). Polling keeps its connection alive, as a
 * browser does; streams never time out on a quiet body (heartbeats are the server's business).
 */
export function openHttpClient(
  origin: string,
  wire: Wire | undefined,
  counter: SocketCounter,
  mode: HttpMode,
  options: { longPollTimeoutMs: number; localAddress?: string; streams?: number },
): Client {
  const h2 = wire?.version === "2";
  const connect = wire?.tls === true ? counter.secureConnector(h2 ? "h2" : "http/1.1") : counter.connector();
  const perMode: Client.Options =
    mode === "poll" || mode === "long-poll"
      ? { keepAliveTimeout: 600_000, keepAliveMaxTimeout: 600_000, headersTimeout: options.longPollTimeoutMs + 30_000 }
      : { bodyTimeout: 0 };
  return new Client(origin, {
    ...perMode,
    connect,
    localAddress: options.localAddress,
    // undici sends one request at a time unless told otherwise, HTTP/2 included: a shared
    // connection must allow every client's request at once to be streams side by side.
    ...(h2 ? { allowH2: true, pipelining: options.streams ?? 1, maxConcurrentStreams: Math.max(100, options.streams ?? 1) } : {}),
  });
}
