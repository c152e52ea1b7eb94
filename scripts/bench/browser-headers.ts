import { readFileSync } from "node:fs";
import type { Transport } from "../../protocol/types.js";

/**
 * The request headers a real Chromium sends for the dashboard's subscriber requests, captured on
 * the socket by `capture-browser-headers.ts` into `fixtures/chromium-headers.json`. The bench's
 * clients replay them (`--headers browser`, the default) so that a poll costs what a browser's
 * poll costs; `--headers minimal` sends only what undici and ws send by themselves.
 */

export type HeaderSet = "browser" | "minimal";
export const HEADER_SETS: readonly HeaderSet[] = ["browser", "minimal"];

/** One captured request: its request line and header lines exactly as they crossed the socket. */
export interface CapturedRequest {
  /** "GET /api/poll?after=0&client=tab-xxxxxxxx HTTP/1.1", with the origin's host written as {host}. */
  requestLine: string;
  /** Header lines in the browser's order and case; {host} stands for the origin's host:port. */
  headers: [string, string][];
  /** Bytes of the whole request head on the socket (request line, headers, blank line) as captured. */
  bytes: number;
}

export interface BrowserHeaderFixture {
  browser: string;
  capturedAt: string;
  /** The host:port the capture's page was served from (written as {host} in the requests; `bytes` were counted with it). */
  capturedHost: string;
  requests: Record<Transport, CapturedRequest>;
}

export const HOST_PLACEHOLDER = "{host}";
export const FIXTURE_URL = new URL("./fixtures/chromium-headers.json", import.meta.url);

/** The dashboard's client id is `tab-` and 8 base-36 characters: the bench's browser-like clients use ids of that length. */
export function browserClientId(index: number): string {
  return `tab-${index.toString(36).padStart(8, "0")}`;
}

let cached: BrowserHeaderFixture | undefined;
export function loadFixture(): BrowserHeaderFixture {
  cached ??= JSON.parse(readFileSync(FIXTURE_URL, "utf8")) as BrowserHeaderFixture;
  return cached;
}

/**
 * The parts of one HTTP/1.1 request head: request line and header lines. `raw` holds at least the
 * head; what follows the blank line (a body, WebSocket frames) is ignored.
 */
export function parseRequestHead(raw: string): { requestLine: string; headers: [string, string][]; bytes: number } | null {
  const end = raw.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const [requestLine = "", ...lines] = raw.slice(0, end).split("\r\n");
  const headers = lines.map((line): [string, string] => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  return { requestLine, headers, bytes: Buffer.byteLength(raw.slice(0, end + 4)) };
}

/** Every request head in a connection's client-to-server bytes (GET requests: no bodies to skip). */
export function splitRequestHeads(raw: string): { requestLine: string; headers: [string, string][]; bytes: number }[] {
  const heads = [];
  let rest = raw;
  while (/^[A-Z]+ \S+ HTTP\/1\.1\r\n/.test(rest)) {
    const head = parseRequestHead(rest);
    if (head === null) break;
    heads.push(head);
    // A WebSocket upgrade's frames follow its head: nothing after it is HTTP.
    if (head.headers.some(([name]) => name.toLowerCase() === "upgrade")) break;
    rest = rest.slice(rest.indexOf("\r\n\r\n") + 4);
  }
  return heads;
}

/** Names the HTTP clients (undici, ws) write themselves, so a replay must not send them again. */
const WRITTEN_BY_CLIENT: Record<"http" | "ws", ReadonlySet<string>> = {
  http: new Set(["host", "connection"]),
  ws: new Set(["host", "connection", "upgrade", "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions"]),
};

/**
 * The headers to add to a request of `transport` so that it reads as the captured browser's:
 * the fixture's, less those the client library writes by itself, with {host} filled in.
 */
export function replayHeaders(fixture: BrowserHeaderFixture, transport: Transport, host: string): Record<string, string> {
  const request = fixture.requests[transport];
  const skip = WRITTEN_BY_CLIENT[transport === "ws" ? "ws" : "http"];
  const out: Record<string, string> = {};
  for (const [name, value] of request.headers) {
    if (skip.has(name.toLowerCase())) continue;
    out[name] = value.split(HOST_PLACEHOLDER).join(host);
  }
  return out;
}

/** The capture's request with the captured host written as {host}. */
export function withPlaceholder(head: { requestLine: string; headers: [string, string][]; bytes: number }, host: string): CapturedRequest {
  return {
    requestLine: head.requestLine.split(host).join(HOST_PLACEHOLDER),
    headers: head.headers.map(([name, value]): [string, string] => [name, value.split(host).join(HOST_PLACEHOLDER)]),
    bytes: head.bytes,
  };
}

/** Header names the framing floor's minimal request already has (scripts/report/model.ts). */
const IN_MINIMAL: Record<"http" | "ws", ReadonlySet<string>> = {
  http: new Set(["host"]),
  ws: new Set(["host", "connection", "upgrade", "sec-websocket-key", "sec-websocket-version"]),
};

/**
 * Bytes a browser's request adds to the floor's minimal one, per transport: every captured header
 * line the minimal request lacks, and the query's `&client=` id. The host is the same length in
 * both, so it is left out.
 */
export function browserExtraBytes(fixture: BrowserHeaderFixture): Record<Transport, number> {
  const out = {} as Record<Transport, number>;
  for (const [transport, request] of Object.entries(fixture.requests) as [Transport, CapturedRequest][]) {
    const skip = IN_MINIMAL[transport === "ws" ? "ws" : "http"];
    const lines = request.headers
      .filter(([name]) => !skip.has(name.toLowerCase()))
      .reduce((n, [name, value]) => n + Buffer.byteLength(`${name}: ${value}\r\n`), 0);
    const client = /&client=[^& ]*/.exec(request.requestLine)?.[0] ?? "";
    out[transport] = lines + Buffer.byteLength(client);
  }
  return out;
}
