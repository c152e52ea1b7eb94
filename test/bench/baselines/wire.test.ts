import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatMessage } from "../../../protocol/types.js";
import { startBareServer, type BareServer } from "../../../scripts/bench/baselines/bare-server.js";
import { rawWsConnect } from "../../helpers/raw-ws.js";
import { startServer, waitFor, type TestServer } from "../../helpers/server.js";

/** Everything one server put on the wire for one message, after each response's head. */
interface Capture {
  message: ChatMessage;
  poll: { body: string; contentType: string | null; cacheControl: string | null };
  stream: { head: string; body: string };
  sse: { head: string; body: string };
  ws: string;
}

/** A raw HTTP GET whose bytes are kept, as latin1 text so that every byte is one character. */
function rawGet(port: number, path: string): { text: () => string; destroy: () => void } {
  const socket = net.connect(port, "127.0.0.1");
  let text = "";
  socket.on("data", (chunk: Buffer) => {
    text += chunk.toString("latin1");
  });
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  return { text: () => text, destroy: () => socket.destroy() };
}

const split = (raw: string): { head: string; body: string } => {
  const end = raw.indexOf("\r\n\r\n");
  return { head: raw.slice(0, end), body: raw.slice(end + 4) };
};

/**
 * Subscribes on every held transport from the newest id, publishes one message, and keeps what
 * each subscription received, byte for byte, and the poll answer for the same message.
 */
async function capture(url: string, port: number): Promise<Capture> {
  const stats = (await (await fetch(`${url}/api/stats`)).json()) as { feed: { lastId: number } };
  const after = stats.feed.lastId;
  const stream = rawGet(port, `/api/stream?after=${after}`);
  const sse = rawGet(port, `/api/sse?after=${after}`);
  const ws = await rawWsConnect(port, `/api/ws?after=${after}`);
  let wsBytes = ws.rest.toString("latin1");
  ws.socket.on("data", (chunk: Buffer) => {
    wsBytes += chunk.toString("latin1");
  });
  ws.socket.resume();
  await waitFor(() => stream.text().includes("\r\n\r\n") && sse.text().includes("retry:"), "the streams' heads");

  const published = await fetch(`${url}/api/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ from: "ada", text: 'héllo "wire" 👋', nonce: "n-1" }),
  });
  const json = await published.text();
  const message = JSON.parse(json) as ChatMessage;
  const latin1 = Buffer.from(json).toString("latin1");
  await waitFor(
    () => stream.text().includes(`${latin1}\n\r\n`) && sse.text().includes(`${latin1}\n\n\r\n`) && wsBytes.endsWith(latin1),
    "the message on every stream",
  );

  const poll = await fetch(`${url}/api/poll?after=${after}`);
  const captured: Capture = {
    message,
    poll: { body: await poll.text(), contentType: poll.headers.get("content-type"), cacheControl: poll.headers.get("cache-control") },
    stream: split(stream.text()),
    sse: split(sse.text()),
    ws: wsBytes,
  };
  stream.destroy();
  sse.destroy();
  ws.socket.destroy();
  return captured;
}

/** The id and time differ between two servers (ids start at each one's start time): name them. */
function normalize(text: string, message: ChatMessage): string {
  return text.replaceAll(String(message.id), "<id>").replaceAll(String(message.time), "<time>");
}

const header = (head: string, name: string): string | undefined =>
  head
    .split("\r\n")
    .find((line) => line.toLowerCase().startsWith(`${name}:`))
    ?.toLowerCase();

describe("bare baseline server speaks the lab's bytes", () => {
  let lab: TestServer;
  let bare: BareServer;
  let fromLab: Capture;
  let fromBare: Capture;

  beforeAll(async () => {
    lab = await startServer();
    bare = await startBareServer();
    fromLab = await capture(lab.url, lab.port);
    fromBare = await capture(bare.url, bare.port);
  });

  afterAll(async () => {
    await lab.close();
    await bare.close();
  });

  it("stores the same message (the same JSON, ids and times of the same length)", () => {
    const { id, time, ...rest } = fromLab.message;
    const { id: bareId, time: bareTime, ...bareRest } = fromBare.message;
    expect(bareRest).toEqual(rest);
    expect(String(bareId).length).toBe(String(id).length);
    expect(String(bareTime).length).toBe(String(time).length);
  });

  it("answers a poll with the same body and content headers", () => {
    expect(normalize(fromBare.poll.body, fromBare.message)).toBe(normalize(fromLab.poll.body, fromLab.message));
    expect(normalize(fromLab.poll.body, fromLab.message)).toBe(
      '{"messages":[{"id":<id>,"from":"ada","text":"héllo \\"wire\\" 👋","time":<time>,"nonce":"n-1"}],"cursor":<id>,"more":false}',
    );
    expect(fromBare.poll.contentType).toBe(fromLab.poll.contentType);
    expect(fromBare.poll.cacheControl).toBe(fromLab.poll.cacheControl);
  });

  it("streams the same NDJSON chunk", () => {
    expect(normalize(fromBare.stream.body, fromBare.message)).toBe(normalize(fromLab.stream.body, fromLab.message));
    expect(fromLab.stream.body.endsWith("\n\r\n")).toBe(true);
    for (const name of ["content-type", "cache-control", "transfer-encoding"]) {
      expect(header(fromBare.stream.head, name)).toBe(header(fromLab.stream.head, name));
    }
  });

  it("sends the same SSE retry hint and event", () => {
    expect(normalize(fromBare.sse.body, fromBare.message)).toBe(normalize(fromLab.sse.body, fromLab.message));
    expect(normalize(fromLab.sse.body, fromLab.message)).toContain("id: <id>\ndata: {");
    for (const name of ["content-type", "cache-control", "transfer-encoding"]) {
      expect(header(fromBare.sse.head, name)).toBe(header(fromLab.sse.head, name));
    }
  });

  it("sends the same WebSocket text frame, header included", () => {
    expect(Buffer.from(normalize(fromBare.ws, fromBare.message), "latin1")).toEqual(Buffer.from(normalize(fromLab.ws, fromLab.message), "latin1"));
    // FIN + text opcode, unmasked, the payload's length in the second byte (under 126 bytes).
    const length = Buffer.byteLength(JSON.stringify(fromLab.message));
    expect([fromLab.ws.charCodeAt(0), fromLab.ws.charCodeAt(1)]).toEqual([0x81, length]);
    expect(fromLab.ws.length).toBe(2 + length);
  });
});
