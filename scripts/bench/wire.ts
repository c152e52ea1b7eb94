import type { HttpVersion } from "../../protocol/types.js";
import type { BenchTransport } from "./transports.js";

export type { HttpVersion };

/**
 * Which HTTP a phase speaks, and over what. HTTP/2 is always over TLS (browsers speak it to no
 * other origin); HTTP/1.1 is plaintext unless `--tls`. The server offers no WebSocket over HTTP/2
 * (RFC 8441): a browser on an HTTP/2 page opens a separate HTTP/1.1 connection over TLS for its
 * WebSocket, and so does the bench, which says so in the report.
 */
export interface Wire {
  /** The HTTP version the phase asked for (`--http`). */
  phase: HttpVersion;
  /** The HTTP version the clients really spoke: `1.1` for WebSocket in an HTTP/2 phase. */
  version: HttpVersion;
  tls: boolean;
  /** HTTP/2 only: each subscriber thread's clients share one connection, as one tab's streams do. */
  shared: boolean;
}

export interface WireOptions {
  /** HTTP/1.1 over TLS instead of plaintext. */
  tls: boolean;
  /** `--h2-shared`: HTTP/2 clients of one thread multiplex their streams on one connection. */
  h2Shared: boolean;
}

/** The wire a transport's clients use in a phase of `phase`. */
export function wireFor(transport: BenchTransport, phase: HttpVersion, options: WireOptions): Wire {
  if (phase === "1.1") return { phase, version: "1.1", tls: options.tls, shared: false };
  // STOMP is carried by a WebSocket or by SockJS, which this server serves over HTTP/1.1 only.
  if (transport === "ws" || transport === "stomp-ws" || transport === "stomp-sockjs") return { phase, version: "1.1", tls: true, shared: false };
  return { phase, version: "2", tls: true, shared: options.h2Shared };
}

/** "HTTP/1.1", "HTTP/1.1+TLS", "HTTP/2", "HTTP/2 (one connection per thread)". */
export function wireName(wire: Pick<Wire, "version" | "tls" | "shared">): string {
  if (wire.version === "2") return wire.shared ? "HTTP/2, shared connection" : "HTTP/2";
  return wire.tls ? "HTTP/1.1+TLS" : "HTTP/1.1";
}

/** How a run's phase reads in a label: WebSocket in an HTTP/2 phase says what it really ran over. */
export function phaseName(wire: Wire): string {
  if (wire.phase === "2" && wire.version !== "2") return `HTTP/2 phase, over ${wireName(wire)}`;
  return wireName(wire);
}

/** `--http 1.1|2|both` to the versions a run goes through, in order. */
export function parseHttp(raw: string): HttpVersion[] | string {
  const value = raw.trim();
  if (value === "both") return ["1.1", "2"];
  if (value === "1.1" || value === "1") return ["1.1"];
  if (value === "2" || value === "2.0") return ["2"];
  return `expected 1.1, 2 or both, got "${raw}"`;
}
