import { describe, expect, it } from "vitest";
import { chunkFraming, exchangeFloor, messageFloor, windowFloor, wsHeader, type ModelInput } from "../../scripts/report/model.js";

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
