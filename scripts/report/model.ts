import { encodeNdjsonLine, encodeSseEvent } from "../../protocol/encode.js";
import type { SockjsSubTransport, Transport } from "../../protocol/types.js";
import type { Bytes } from "../bench/results.js";
import { DEFAULT_SOCKJS, isStomp, type BenchTransport } from "../bench/transports.js";
import { stompExchangeFloor, stompMessageFloor } from "./stomp-floor.js";

/**
 * The framing floor: the fewest bytes a transport could put on the wire for what a run did. Each
 * delivered message costs its JSON plus the transport's minimal per-message framing (WebSocket frame
 * header, SSE `id:`/`data:` lines, an HTTP chunk header — one chunk per message, as a server writing
 * each message when it is published does; coalescing can go below it — a comma in a poll answer), and each request
 * costs a minimal HTTP exchange: request line and Host only, status line and the one header the
 * body needs. Measured minus floor is what headers, heartbeats and this server's choices add.
 *
 * HTTP/2 (RFC 9113, RFC 7541), under these assumptions, stated so a reader can check them:
 * - every frame has a 9-byte header; a streamed message is one DATA frame (no chunk framing);
 * - HPACK with a warm dynamic table: a header field repeated with the same value on the connection
 *   (`:authority`, `accept`) costs one byte, a static-table pair (`:method GET`, `:scheme https`,
 *   `:status 200`) one byte; a field whose value changes on every request (`:path`, which carries
 *   the cursor) is a literal with an indexed name, its value Huffman-coded, which takes at least
 *   5 bits a character (the shortest code in RFC 7541 Appendix B): ceil(5n/8) bytes is its floor;
 * - a response needs `:status` only (HTTP/2 frames its body, no Content-Length), an SSE response
 *   its `content-type` too, as a literal (one per connection, never warm);
 * - no connection-level frames: SETTINGS, PING and WINDOW_UPDATE depend on the peers' settings
 *   (a receiver with a large window sends almost none) and are overhead above the floor.
 *
 * TLS (1.3 with AES-GCM, as Node negotiates by default): each record adds a 5-byte header, a
 * 1-byte inner content type and a 16-byte tag, 22 bytes, for at most 16 KiB of plaintext. The floor
 * counts one record per message written on a held connection (stream, SSE, WebSocket) and one per
 * request and per response (a poll answer in one record, headers and body together). The handshake
 * is not in it: connections are opened before the measured window.
 *
 * A minimal request and what a browser sends are two floors. The minimal one has the request line
 * and Host (and a WebSocket upgrade's required headers) only; a browser's adds the headers a real
 * Chromium sends for the dashboard's requests (User-Agent, sec-ch-ua, Sec-Fetch-*, Accept-*,
 * Referer or Origin, cache headers) and the dashboard's `client` id, as captured in
 * scripts/bench/fixtures/chromium-headers.json: `requestExtraBytes`, added to each request's
 * bytes up (HTTP/1.1; under HTTP/2, HPACK would index them after the first request).
 *
 * STOMP over WebSocket and over SockJS (stomp-floor.ts): a MESSAGE frame's command, headers and NUL
 * in a WebSocket frame, or in SockJS's quoted array frame over its sub-transport. Plaintext HTTP/1.1
 * only: the bench runs them on nothing else, and this server serves SockJS over HTTP/1.1 alone.
 */

export interface ModelInput {
  /** Mean size of one message's JSON. */
  jsonBytes: number;
  /** A representative message id (the digits matter, not the value). */
  sampleId: number;
  host: string;
  longPollTimeoutMs: number;
  /** What the clients spoke; absent: plaintext HTTP/1.1. */
  wire?: { version: "1.1" | "2"; tls: boolean };
  /** The browser floor: bytes a browser's request adds to the minimal one (HTTP/1.1); absent: the minimal floor. */
  requestExtraBytes?: number;
  /** stomp-sockjs: the SockJS sub-transport; absent: websocket. */
  sockjs?: SockjsSubTransport;
}

/** HTTP/2 frame header (RFC 9113 §4.1). */
export const H2_FRAME_HEADER = 9;
/** TLS 1.3 AES-GCM record overhead: 5-byte header, 1-byte inner content type, 16-byte tag. */
export const TLS_RECORD_OVERHEAD = 22;
/** Most plaintext one TLS record carries. */
export const TLS_RECORD_MAX = 16_384;

/** TLS overhead for `n` bytes written at once: one record per 16 KiB started. */
export function tlsRecords(n: number): number {
  return Math.max(1, Math.ceil(n / TLS_RECORD_MAX)) * TLS_RECORD_OVERHEAD;
}

/** HPACK integer with an `prefix`-bit prefix (RFC 7541 §5.1): its size in bytes. */
export function hpackInteger(value: number, prefix: number): number {
  const max = 2 ** prefix - 1;
  if (value < max) return 1;
  let bytes = 2;
  for (let rest = value - max; rest >= 128; rest = Math.floor(rest / 128)) bytes++;
  return bytes;
}

/** Fewest bytes a Huffman-coded HPACK string of `n` characters takes: 5 bits a character, plus its length. */
export function hpackStringFloor(n: number): number {
  const coded = Math.ceil((5 * n) / 8);
  return hpackInteger(coded, 7) + coded;
}

/** A literal header field with an indexed name (one byte for the static index) and a new value. */
export function hpackLiteralFloor(value: string): number {
  return 1 + hpackStringFloor(byteLength(value));
}

const h2 = (input: ModelInput): boolean => input.wire?.version === "2";
const tls = (input: ModelInput): boolean => input.wire?.tls === true || h2(input);

const byteLength = (s: string): number => Buffer.byteLength(s, "utf8");

/** A JSON string of `n` bytes, to measure framings around it. */
const jsonOf = (n: number): string => `{"t":"${"x".repeat(Math.max(0, Math.round(n) - 8))}"}`;

/** HTTP/1.1 chunked transfer framing around one chunk of `n` bytes: hex size, CRLF, data, CRLF. */
export function chunkFraming(n: number): number {
  return n.toString(16).length + 4;
}

/** Unmasked server-to-client WebSocket frame header for a payload of `n` bytes (RFC 6455 §5.2). */
export function wsHeader(n: number): number {
  return n < 126 ? 2 : n < 65_536 ? 4 : 10;
}

/** Bytes one delivered message costs on the way down, framing included, apart from its request. */
export function messageFloor(transport: BenchTransport, input: ModelInput): number {
  if (isStomp(transport))
    return stompMessageFloor(transport, {
      jsonBytes: input.jsonBytes,
      sampleId: input.sampleId,
      host: input.host,
      sockjs: input.sockjs ?? DEFAULT_SOCKJS,
      wsHeader,
      chunkFraming,
    });
  const json = jsonOf(input.jsonBytes);
  // A message in a held response: an HTTP/1.1 chunk, or an HTTP/2 DATA frame; in a record of its own under TLS.
  const held = (payload: number): number => {
    const framed = payload + (h2(input) ? H2_FRAME_HEADER : chunkFraming(payload));
    return framed + (tls(input) ? tlsRecords(framed) : 0);
  };
  switch (transport) {
    case "ws": {
      const frame = byteLength(json) + wsHeader(byteLength(json));
      return frame + (tls(input) ? tlsRecords(frame) : 0);
    }
    case "sse":
      return held(byteLength(encodeSseEvent(json, { id: input.sampleId })));
    case "stream":
      return held(byteLength(encodeNdjsonLine(json)));
    case "poll":
    case "long-poll":
      return byteLength(json) + 1;
  }
}

/** The minimal HTTP/2 request and response for opening one poll, stream or SSE, before TLS. */
function h2ExchangeFloor(transport: Exclude<Transport, "ws">, input: ModelInput): Bytes {
  const id = input.sampleId;
  const path =
    transport === "poll"
      ? `/api/poll?after=${id}`
      : transport === "long-poll"
        ? `/api/long-poll?after=${id}&timeout=${input.longPollTimeoutMs}`
        : `/api/${transport}?after=${id}`;
  // :method, :scheme and :authority a byte each (static table, warm dynamic table), :path a literal.
  const up = H2_FRAME_HEADER + 3 + hpackLiteralFloor(path);
  const status = H2_FRAME_HEADER + 1;
  switch (transport) {
    case "poll":
    case "long-poll": {
      const body = `{"messages":[],"cursor":${id},"more":false}`;
      return { up, down: status + H2_FRAME_HEADER + byteLength(body) };
    }
    case "stream":
      return { up, down: status };
    case "sse":
      return { up, down: status + hpackLiteralFloor("text/event-stream") };
  }
}

/** The minimal request and response for opening one poll, stream, SSE or WebSocket. */
export function exchangeFloor(transport: BenchTransport, input: ModelInput): Bytes {
  if (isStomp(transport))
    return stompExchangeFloor(transport, { sampleId: input.sampleId, host: input.host, sockjs: input.sockjs ?? DEFAULT_SOCKJS, chunkFraming });
  const plain = transport !== "ws" && h2(input) ? h2ExchangeFloor(transport, input) : http1ExchangeFloor(transport, input);
  return tls(input) ? { up: plain.up + tlsRecords(plain.up), down: plain.down + tlsRecords(plain.down) } : plain;
}

function http1ExchangeFloor(transport: Transport, input: ModelInput): Bytes {
  const minimal = minimalHttp1Exchange(transport, input);
  return { up: minimal.up + (input.requestExtraBytes ?? 0), down: minimal.down };
}

function minimalHttp1Exchange(transport: Transport, input: ModelInput): Bytes {
  const host = `Host: ${input.host}\r\n`;
  const id = input.sampleId;
  const get = (path: string): string => `GET ${path} HTTP/1.1\r\n${host}`;
  switch (transport) {
    case "poll":
    case "long-poll": {
      const path = transport === "poll" ? `/api/poll?after=${id}` : `/api/long-poll?after=${id}&timeout=${input.longPollTimeoutMs}`;
      const body = `{"messages":[],"cursor":${id},"more":false}`;
      return { up: byteLength(`${get(path)}\r\n`), down: byteLength(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`) };
    }
    case "stream":
      return { up: byteLength(`${get(`/api/stream?after=${id}`)}\r\n`), down: byteLength("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") };
    case "sse":
      return {
        up: byteLength(`${get(`/api/sse?after=${id}`)}\r\n`),
        down: byteLength("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"),
      };
    case "ws":
      return {
        up: byteLength(
          `${get(`/api/ws?after=${id}`)}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${"k".repeat(24)}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        ),
        down: byteLength(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${"a".repeat(28)}\r\n\r\n`),
      };
  }
}

/** Floor for a window that delivered `delivered` messages over `requests` requests, both directions. */
export function windowFloor(transport: BenchTransport, input: ModelInput, delivered: number, requests: number): Bytes {
  const exchange = exchangeFloor(transport, input);
  return {
    up: requests * exchange.up,
    down: delivered * messageFloor(transport, input) + requests * exchange.down,
  };
}
