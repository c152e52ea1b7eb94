import { encodeNdjsonLine, encodeSseEvent } from "../../protocol/encode.js";
import type { Transport } from "../../protocol/types.js";
import type { Bytes } from "../bench/results.js";

/**
 * The framing floor: the fewest bytes a transport could put on the wire for what a run did. Each
 * delivered message costs its JSON plus the transport's minimal per-message framing (WebSocket frame
 * header, SSE `id:`/`data:` lines, an HTTP chunk header — one chunk per message, as a server writing
 * each message when it is published does; coalescing can go below it — a comma in a poll answer), and each request
 * costs a minimal HTTP exchange: request line and Host only, status line and the one header the
 * body needs. Measured minus floor is what headers, heartbeats and this server's choices add.
 */

export interface ModelInput {
  /** Mean size of one message's JSON. */
  jsonBytes: number;
  /** A representative message id (the digits matter, not the value). */
  sampleId: number;
  host: string;
  longPollTimeoutMs: number;
}

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
export function messageFloor(transport: Transport, input: ModelInput): number {
  const json = jsonOf(input.jsonBytes);
  switch (transport) {
    case "ws":
      return byteLength(json) + wsHeader(byteLength(json));
    case "sse": {
      const event = byteLength(encodeSseEvent(json, { id: input.sampleId }));
      return event + chunkFraming(event);
    }
    case "stream": {
      const line = byteLength(encodeNdjsonLine(json));
      return line + chunkFraming(line);
    }
    case "poll":
    case "long-poll":
      return byteLength(json) + 1;
  }
}

/** The minimal request and response for opening one poll, stream, SSE or WebSocket. */
export function exchangeFloor(transport: Transport, input: ModelInput): Bytes {
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
export function windowFloor(transport: Transport, input: ModelInput, delivered: number, requests: number): Bytes {
  const exchange = exchangeFloor(transport, input);
  return {
    up: requests * exchange.up,
    down: delivered * messageFloor(transport, input) + requests * exchange.down,
  };
}
