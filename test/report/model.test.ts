import { describe, expect, it } from "vitest";
import {
  chunkFraming,
  exchangeFloor,
  hpackInteger,
  hpackStringFloor,
  messageFloor,
  tlsRecords,
  windowFloor,
  wsHeader,
  type ModelInput,
} from "../../scripts/report/model.js";

const input: ModelInput = { jsonBytes: 150, sampleId: 1767225600000000, host: "127.0.0.1:3000", longPollTimeoutMs: 25000 };

describe("framing floor model", () => {
  it("sizes WebSocket frame headers at the RFC 6455 length boundaries", () => {
    expect([wsHeader(0), wsHeader(125), wsHeader(126), wsHeader(65_535), wsHeader(65_536)]).toEqual([2, 2, 4, 4, 10]);
  });

  it("sizes chunk framing by the hex digits of the chunk length", () => {
    expect([chunkFraming(15), chunkFraming(16), chunkFraming(255), chunkFraming(256)]).toEqual([5, 6, 6, 7]);
  });

  it("adds each transport's minimal per-message framing to the JSON", () => {
    expect(messageFloor("ws", input)).toBe(150 + 4);
    // "id: <16 digits>\n" (21) + "data: " + JSON + "\n\n" (158) = 179, in a chunk "b3\r\n…\r\n"
    expect(messageFloor("sse", input)).toBe(179 + 6);
    expect(messageFloor("stream", input)).toBe(151 + 6);
    expect(messageFloor("poll", input)).toBe(151);
    expect(messageFloor("long-poll", input)).toBe(151);
  });

  it("counts a minimal HTTP exchange for a poll", () => {
    // "GET /api/poll?after=<16> HTTP/1.1\r\n" (47) + "Host: 127.0.0.1:3000\r\n" (22) + "\r\n"
    // "HTTP/1.1 200 OK\r\nContent-Length: 54\r\n\r\n" (39) + {"messages":[],"cursor":<16>,"more":false} (54)
    expect(exchangeFloor("poll", input)).toEqual({ up: 71, down: 93 });
  });

  it("charges the WebSocket handshake once per connection, not per message", () => {
    const open = exchangeFloor("ws", input);
    expect(open.up).toBeGreaterThan(100);
    expect(windowFloor("ws", input, 10, 0)).toEqual({ up: 0, down: 1540 });
    expect(windowFloor("ws", input, 10, 1)).toEqual({ up: open.up, down: 1540 + open.down });
  });
});

describe("framing floor over TLS and HTTP/2", () => {
  const overTls: ModelInput = { ...input, wire: { version: "1.1", tls: true } };
  const overH2: ModelInput = { ...input, wire: { version: "2", tls: true } };

  it("adds 22 bytes per TLS 1.3 record, one record per 16 KiB started", () => {
    expect([tlsRecords(1), tlsRecords(16_384), tlsRecords(16_385), tlsRecords(40_000)]).toEqual([22, 22, 44, 66]);
  });

  it("sizes HPACK integers by their prefix (RFC 7541 §5.1) and Huffman strings at 5 bits a character at least", () => {
    expect([hpackInteger(126, 7), hpackInteger(127, 7), hpackInteger(254, 7), hpackInteger(255, 7)]).toEqual([1, 2, 2, 3]);
    // 8 characters: at least 40 bits, 5 bytes, and one byte of length.
    expect(hpackStringFloor(8)).toBe(6);
  });

  it("puts each held message in a record of its own under TLS; a poll's messages share its answer's", () => {
    expect(messageFloor("ws", overTls)).toBe(150 + 4 + 22);
    expect(messageFloor("sse", overTls)).toBe(179 + 6 + 22);
    expect(messageFloor("poll", overTls)).toBe(151);
  });

  it("frames a streamed message as one DATA frame on HTTP/2, with no chunk header", () => {
    expect(messageFloor("sse", overH2)).toBe(179 + 9 + 22);
    expect(messageFloor("stream", overH2)).toBe(151 + 9 + 22);
    expect(messageFloor("poll", overH2)).toBe(151);
  });

  it("counts an HTTP/2 poll as HEADERS with one literal (:path) and a :status-only answer", () => {
    // up: 9 (frame) + 3 (:method, :scheme, :authority indexed) + 1 (:path name) + 1 (length)
    // + ceil(5 × 32 / 8) = 20 for "/api/poll?after=<16 digits>", then one record (22);
    // down: HEADERS 9 + 1 (:status 200), DATA 9 + 54 (the empty answer), one record.
    expect(exchangeFloor("poll", overH2)).toEqual({ up: 34 + 22, down: 73 + 22 });
    expect(exchangeFloor("poll", overTls)).toEqual({ up: 71 + 22, down: 93 + 22 });
  });

  it("keeps WebSocket's HTTP/1.1 upgrade in an HTTP/2 phase (no RFC 8441), over TLS", () => {
    const plain = exchangeFloor("ws", input);
    expect(exchangeFloor("ws", overH2)).toEqual({ up: plain.up + 22, down: plain.down + 22 });
  });
});
