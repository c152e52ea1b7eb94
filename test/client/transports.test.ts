import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ChatMessage, ResetSignal } from "../../protocol/types.js";
import { createTransport, type TransportClient, type TransportState } from "../../client/src/transports/index.js";
import type { WsTransport } from "../../client/src/transports/ws.js";
import { json, message, ScriptedServer, waitUntil } from "./scripted-server.js";

let server: ScriptedServer;
let client: TransportClient | undefined;
let delivered: number[];
let resets: ResetSignal[];
let states: TransportState[];

function start(kind: Parameters<typeof createTransport>[0], after?: number): TransportClient {
  client = createTransport(kind, {
    origin: server.origin,
    clientId: "unit",
    backoff: { baseMs: 5, maxMs: 20 },
    onMessage: (m: ChatMessage) => delivered.push(m.id),
    onReset: (signal) => resets.push(signal),
    onState: (state) => states.push(state),
  });
  if ("intervalMs" in client) client.intervalMs = 10;
  client.connect(after);
  return client;
}

const ndjson = (...frames: unknown[]): string => frames.map((frame) => JSON.stringify(frame) + "\n").join("");

beforeEach(async () => {
  server = await new ScriptedServer().listen();
  delivered = [];
  resets = [];
  states = [];
});
afterEach(async () => {
  client?.close();
  client = undefined;
  await server.close();
});

describe("reconnecting from the last delivered id", () => {
  it("polling retries a failed poll with the same cursor", async () => {
    server.http(
      json(200, { messages: [message(1), message(2)], cursor: 2, more: false }),
      json(503, { error: "unavailable", message: "x" }),
      json(200, { messages: [message(3)], cursor: 3, more: false }),
    );
    start("poll");
    await waitUntil(() => delivered.length === 3, "three messages");
    expect(delivered).toEqual([1, 2, 3]);
    expect(server.seen.slice(0, 3).map((r) => r.after)).toEqual([null, "2", "2"]);
    expect(states).toContain("reconnecting");
  });

  it("polling follows `more` at once and resumes from the answer's cursor", async () => {
    server.http(json(200, { messages: [message(5)], cursor: 5, more: true }), json(200, { messages: [message(6)], cursor: 6, more: false }));
    start("poll", 4);
    await waitUntil(() => delivered.length === 2 && server.seen.length === 3, "two messages and the next poll");
    expect(server.seen.slice(0, 3).map((r) => r.after)).toEqual(["4", "5", "6"]);
  });

  it("long polling resumes after a dropped connection from the last id", async () => {
    server.http(
      json(200, { messages: [message(1), message(2)], cursor: 2, more: false }),
      (req) => req.socket.destroy(),
      json(200, { messages: [message(3)], cursor: 3, more: false }),
    );
    start("long-poll");
    await waitUntil(() => delivered.length === 3 && server.seen.length === 4, "three messages and the next long poll");
    expect(delivered).toEqual([1, 2, 3]);
    expect(server.seen.slice(0, 4).map((r) => r.after)).toEqual([null, "2", "2", "3"]);
  });

  it("HTTP streaming reconnects after the body ends and after an error status, from the last id", async () => {
    const body = new TextEncoder().encode(ndjson(message(1), { type: "heartbeat", time: 1 }, message(2)));
    server.http(
      (_req, res) => {
        res.writeHead(200, { "content-type": "application/x-ndjson" });
        // A chunk boundary inside the second message's multi-byte characters.
        res.write(body.subarray(0, body.length - 9));
        setTimeout(() => res.end(body.subarray(body.length - 9)), 20);
      },
      json(500, { error: "internal", message: "x" }),
      (_req, res) => {
        res.writeHead(200, { "content-type": "application/x-ndjson" });
        res.write(ndjson(message(3)));
      },
    );
    start("stream");
    await waitUntil(() => delivered.length === 3, "three messages");
    expect(delivered).toEqual([1, 2, 3]);
    expect(server.seen.map((r) => r.after)).toEqual([null, "2", "2"]);
    expect(states).toEqual(["connecting", "open", "reconnecting", "open"]);
  });

  it("SSE reads id, event, data, retry and comment lines, and reconnects from its own cursor", async () => {
    const reset: ResetSignal = { type: "reset", reason: "expired", requested: 0, cursor: 1, lastId: 2 };
    server.http(
      (_req, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end(
          `retry: 5\n\n: heartbeat\n\nevent: reset\nid: 1\ndata: ${JSON.stringify(reset)}\n\nunknown: field\nid: 2\ndata: ${JSON.stringify(message(2))}\n\n`,
        );
      },
      (_req, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(`id: 3\r\ndata: ${JSON.stringify(message(3))}\r\n\r\n`);
      },
    );
    start("sse", 0);
    await waitUntil(() => delivered.length === 2, "two messages");
    expect(resets).toEqual([reset]);
    expect(delivered).toEqual([2, 3]);
    expect(server.seen.map((r) => r.after)).toEqual(["0", "2"]);
    expect(client?.cursor).toBe(3);
  });

  it("WebSocket reconnects after the server closes, from the last id, and publishes with an ack", async () => {
    server.ws(
      (socket) => {
        socket.send(JSON.stringify(message(1)));
        socket.send(JSON.stringify(message(2)));
        setTimeout(() => socket.close(1011), 20);
      },
      (socket) => {
        socket.on("message", (data) => {
          const frame = JSON.parse(String(data)) as { nonce: string };
          socket.send(JSON.stringify({ type: "ack", id: 3, nonce: frame.nonce }));
          socket.send(JSON.stringify(message(3)));
        });
      },
    );
    const ws = start("ws") as WsTransport;
    await waitUntil(() => delivered.length === 2 && ws.state === "open" && server.seen.length === 2, "a reconnected socket");
    const ack = await ws.publish({ from: "ada", text: "hi" });
    expect(ack.id).toBe(3);
    await waitUntil(() => delivered.length === 3, "three messages");
    expect(delivered).toEqual([1, 2, 3]);
    expect(server.seen.map((r) => r.after)).toEqual([null, "2"]);
  });
});

describe("closing", () => {
  it("aborts an in-flight stream at once and delivers nothing afterwards", async () => {
    let aborted = false;
    let later: (() => void) | undefined;
    server.http((req, res) => {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.write(ndjson(message(1)));
      req.on("close", () => (aborted = true));
      later = () => res.write(ndjson(message(2)));
    });
    const stream = start("stream");
    await waitUntil(() => delivered.length === 1, "the first message");
    stream.close();
    later?.();
    await waitUntil(() => aborted, "the request to be aborted");
    expect(delivered).toEqual([1]);
    expect(stream.state).toBe("closed");
  });

  it("aborts a held long poll", async () => {
    let aborted = false;
    server.http(json(200, { messages: [], cursor: 7, more: false }), (req) => req.on("close", () => (aborted = true)));
    const longPoll = start("long-poll", 7);
    await waitUntil(() => server.seen.length === 2, "the held request");
    longPoll.close();
    await waitUntil(() => aborted, "the request to be aborted");
    expect(longPoll.state).toBe("closed");
  });
});
