import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeNdjsonLine, encodeSseComment, encodeSseEvent, encodeSseRetry } from "../../protocol/encode.js";
import { bodyShare, type ByteShare, dechunk, headShare, stompFrameShare, wsFrameShare } from "../../server/wire-shares.js";
import { startServer, type TestServer } from "../helpers/server.js";

const MESSAGE = JSON.stringify({ id: 1764150000000001, from: "ada", text: "héllo, wire", time: 1764150000000 });
const bytes = (text: string): number => Buffer.byteLength(text);
const chunk = (text: string): string => `${bytes(text).toString(16)}\r\n${text}\r\n`;
const sum = (share: ByteShare): number => share.headers + share.framing + share.payload;

describe("headers, framing and payload of a captured block", () => {
  it("an HTTP head is headers only", () => {
    const head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n";
    expect(headShare(head)).toEqual({ total: bytes(head), headers: bytes(head), framing: 0, payload: 0 });
  });

  it("a poll answer: the message JSON is payload, its envelope framing", () => {
    const body = `{"messages":[${MESSAGE},${MESSAGE.replace("0001", "0002")}],"cursor":1764150000000002,"more":false}`;
    const share = bodyShare(Buffer.from(body), "json-page", false);
    expect(share).toEqual({ total: bytes(body), headers: 0, payload: 2 * bytes(MESSAGE), framing: bytes(body) - 2 * bytes(MESSAGE) });
  });

  it("NDJSON in chunks: chunk size lines, CRLFs, newlines and heartbeats are framing", () => {
    const heartbeat = encodeNdjsonLine('{"type":"heartbeat","time":1}');
    const body = chunk(encodeNdjsonLine(MESSAGE)) + chunk(heartbeat) + "0\r\n\r\n";
    const share = bodyShare(Buffer.from(body), "ndjson", true);
    expect(share.payload).toBe(bytes(MESSAGE));
    expect(share.framing).toBe(bytes(body) - bytes(MESSAGE));
    expect(sum(share)).toBe(share.total);
  });

  it("a message split across two chunks is still found whole", () => {
    const line = encodeNdjsonLine(MESSAGE);
    const body = chunk(line.slice(0, 10)) + chunk(line.slice(10));
    expect(dechunk(Buffer.from(body)).content.toString()).toBe(line);
    expect(bodyShare(Buffer.from(body), "ndjson", true).payload).toBe(bytes(MESSAGE));
  });

  it("SSE: the data value of a message event is payload; retry, id, comments and line ends are framing", () => {
    const body = chunk(encodeSseRetry(2000)) + chunk(encodeSseEvent(MESSAGE, { id: 1764150000000001 })) + chunk(encodeSseComment("heartbeat"));
    const share = bodyShare(Buffer.from(body), "sse", true);
    expect(share).toEqual({ total: bytes(body), headers: 0, payload: bytes(MESSAGE), framing: bytes(body) - bytes(MESSAGE) });
  });

  it("a capture cut inside a line counts the part that came as framing", () => {
    const body = chunk(encodeNdjsonLine(MESSAGE)).slice(0, 20);
    expect(bodyShare(Buffer.from(body), "ndjson", true)).toEqual({ total: 20, headers: 0, framing: 20, payload: 0 });
  });

  it("a WebSocket frame: header bytes are framing, a message payload is payload, a control frame framing", () => {
    expect(wsFrameShare(4, MESSAGE)).toEqual({ total: 4 + bytes(MESSAGE), headers: 0, framing: 4, payload: bytes(MESSAGE) });
    const reset = '{"type":"reset","reason":"expired"}';
    expect(wsFrameShare(2, reset)).toEqual({ total: 2 + bytes(reset), headers: 0, framing: 2 + bytes(reset), payload: 0 });
  });

  it("a STOMP MESSAGE: command and headers, body as payload, the NUL and the WebSocket header as framing", () => {
    const head = `MESSAGE\ndestination:/topic/messages\nsubscription:sub-0\nmessage-id:1\ncontent-length:${bytes(MESSAGE)}\n\n`;
    const frame = `${head}${MESSAGE}\0`;
    expect(stompFrameShare(4, frame, false)).toEqual({ total: 4 + bytes(frame), headers: bytes(head), payload: bytes(MESSAGE), framing: 5 });
  });

  it('the same MESSAGE over SockJS: measured as quoted, the a["..."] wrapper and the quoted NUL framing', () => {
    const frame = `MESSAGE\nmessage-id:1\n\n${MESSAGE}\0`;
    const sockjs = `a${JSON.stringify([frame])}`;
    const share = stompFrameShare(4, sockjs, true);
    expect(share.headers).toBe(bytes(JSON.stringify("MESSAGE\nmessage-id:1\n\n").slice(1, -1)));
    expect(share.payload).toBe(bytes(JSON.stringify(MESSAGE).slice(1, -1)));
    expect(share.framing).toBe(4 + bytes('a["') + bytes("\\u0000") + bytes('"]'));
    expect(sum(share)).toBe(share.total);
  });

  it("SockJS's own frames and heart-beat end of lines are framing only", () => {
    expect(stompFrameShare(2, "o", true)).toEqual({ total: 3, headers: 0, framing: 3, payload: 0 });
    expect(stompFrameShare(2, "\n", false)).toEqual({ total: 3, headers: 0, framing: 3, payload: 0 });
  });
});

describe("GET /api/wire/:transport reports the shares of what it captured", () => {
  let server: TestServer;
  let message: string;
  beforeAll(async () => {
    server = await startServer();
    const response = await fetch(`${server.url}/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ from: "ada", text: "shares" }),
    });
    message = JSON.stringify(await response.json());
  });
  afterAll(async () => {
    await server?.close();
  });

  interface Capture {
    request: string;
    response: string;
    shares: { request: ByteShare; head: ByteShare; body?: ByteShare };
    websocket?: { firstFrame: { share: ByteShare } | null };
    stomp?: { steps: { payload: string; headerHex: string; share: ByteShare }[] };
  }
  const capture = async (transport: string): Promise<Capture> => (await (await fetch(`${server.url}/api/wire/${transport}`)).json()) as Capture;

  for (const transport of ["poll", "long-poll", "stream", "sse"]) {
    it(`${transport}: request and head are headers, the body holds the message once as payload, and each block adds up`, async () => {
      const wire = await capture(transport);
      const headEnd = wire.response.indexOf("\r\n\r\n") + 4;
      expect(wire.shares.request).toEqual(headShare(wire.request));
      expect(wire.shares.head).toEqual(headShare(wire.response.slice(0, headEnd)));
      const body = wire.shares.body;
      expect(body?.total).toBe(bytes(wire.response.slice(headEnd)));
      expect(body?.payload).toBe(bytes(message));
      if (body !== undefined) expect(sum(body)).toBe(body.total);
    });
  }

  it("ws: the first frame's payload is the message, its header the framing", async () => {
    const share = (await capture("ws")).websocket?.firstFrame?.share;
    expect(share?.payload).toBe(bytes(message));
    // 0x81 and the length byte, plus a 16-bit length from 126 bytes on (RFC 6455 5.2)
    expect(share?.framing).toBe(bytes(message) < 126 ? 2 : 4);
  });

  for (const transport of ["stomp-ws", "stomp-sockjs"]) {
    it(`${transport}: every frame adds up to its header and payload bytes, and the MESSAGE's body is the message`, async () => {
      const steps = (await capture(transport)).stomp?.steps ?? [];
      expect(steps.length).toBeGreaterThanOrEqual(4);
      for (const step of steps) {
        expect(step.share.total).toBe(step.headerHex.split(" ").length + bytes(step.payload));
        expect(sum(step.share)).toBe(step.share.total);
      }
      const last = steps.at(-1);
      const quoted = transport === "stomp-sockjs" ? JSON.stringify(message).slice(1, -1) : message;
      expect(last?.share.payload).toBe(bytes(quoted));
    });
  }
});
