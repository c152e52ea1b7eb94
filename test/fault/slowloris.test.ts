import http2 from "node:http2";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { H2Client } from "../helpers/h2-client.js";
import { HELD_TRANSPORTS, openHeld, type HeldAnswer } from "../helpers/held.js";
import { startServer, type TestServer } from "../helpers/server.js";

/**
 * Slowloris: clients that take forever to send their request hold a connection each for nothing.
 * Node's headers and request timeouts cut them; these tests prove they do, quickly, and that they
 * never touch a long poll, stream, SSE response or WebSocket that is legitimately held, since those
 * have sent their whole request long ago.
 */
let server: TestServer;
const HEADERS_TIMEOUT = 1_000;
const REQUEST_TIMEOUT = 2_000;

beforeAll(async () => {
  server = await startServer(
    {
      headersTimeoutMs: HEADERS_TIMEOUT,
      requestTimeoutMs: REQUEST_TIMEOUT,
      timeoutCheckMs: 100,
      heartbeatMs: 60_000,
      longPollDefaultMs: 5_000,
    },
    { tls: true },
  );
});
afterAll(() => server.close());

interface Dribble {
  closedAfterMs: number;
  answer: string;
}

/** Connect, send `first`, then one more piece every `everyMs` until the server closes (at most `pieces`). */
function dribble(first: string, piece: string, everyMs: number, pieces: number): Promise<Dribble> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect({ host: "127.0.0.1", port: server.port });
    let answer = "";
    let sent = 0;
    const timer = setInterval(() => {
      if (sent++ >= pieces) {
        clearInterval(timer);
        socket.destroy();
        reject(new Error(`server kept a dribbling client for ${Date.now() - started} ms`));
        return;
      }
      socket.write(piece);
    }, everyMs);
    socket.on("connect", () => socket.write(first));
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString("latin1")));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ closedAfterMs: Date.now() - started, answer });
    });
  });
}

describe("slow clients are cut", () => {
  it("cuts a client that sends its headers a line at a time (408, then close)", async () => {
    const result = await dribble("GET /api/poll HTTP/1.1\r\nHost: 127.0.0.1\r\n", "X-Slow: 1\r\n", 300, 30);
    expect(result.closedAfterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT - 100);
    expect(result.closedAfterMs).toBeLessThan(HEADERS_TIMEOUT + 2_000);
    expect(result.answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it("cuts a client that sends its body a byte at a time", async () => {
    const head = "POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n";
    const result = await dribble(head, " ", 300, 30);
    expect(result.closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT - 100);
    expect(result.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT + 2_000);
    expect(result.answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it("cuts a connection that opens and sends nothing, by the headers timeout", async () => {
    const result = await dribble("", "", 10_000, 0);
    expect(result.closedAfterMs).toBeLessThan(HEADERS_TIMEOUT + 2_000);
  });
});

describe("held connections are never cut by the request timeouts", () => {
  it("keeps a long poll, a stream, SSE and a WebSocket open well past both timeouts", async () => {
    const held: Record<string, HeldAnswer> = {};
    let closed: string[] = [];
    for (const transport of HELD_TRANSPORTS) {
      if (transport === "long-poll") continue;
      held[transport] = await openHeld(server.port, transport);
    }
    const longPoll = fetch(`${server.url}/api/long-poll?timeout=4500`).then((r) => r.status);
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws`);
    ws.on("close", () => closed.push("ws"));
    await new Promise((resolve) => ws.on("open", resolve));

    await new Promise((resolve) => setTimeout(resolve, REQUEST_TIMEOUT * 2));
    expect(server.app.heldConnections.size).toBe(5);
    closed = closed.concat(ws.readyState === WebSocket.OPEN ? [] : ["ws"]);
    expect(closed).toEqual([]);
    // The long poll ends by its own timeout, with an ordinary answer.
    expect(await longPoll).toBe(200);
    const acked = new Promise((resolve) => ws.on("message", (data) => String(data).includes('"ack"') && resolve(true)));
    ws.send(JSON.stringify({ type: "send", from: "patient", text: "still here" }));
    expect(await acked).toBe(true);
    ws.close();
    for (const answer of Object.values(held)) answer.close();
  }, 20_000);
});

/**
 * Over HTTP/2 the header and request timeouts of Node's HTTP/1.1 server do not exist: the TLS
 * handshake is timed by the listener, and each stream's request by the request gate
 * (server/limits/h2-request-timeout.ts). Header dribbling has no HTTP/2 form (a HEADERS frame
 * arrives whole or not at all).
 */
describe("slow clients are cut over HTTP/2", () => {
  it("cuts a stream whose body arrives a byte at a time: 408 on that stream, then RST_STREAM NO_ERROR; the connection goes on", async () => {
    const client = await H2Client.connect(server.secureUrl ?? "");
    const started = Date.now();
    const stream = client.session.request({ ":method": "POST", ":path": "/api/messages", "content-type": "application/json" }, { endStream: false });
    stream.on("error", () => undefined);
    let status = 0;
    let body = "";
    stream.on("response", (head) => (status = Number(head[":status"])));
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => (body += chunk));
    const timer = setInterval(() => stream.write(" "), 300);
    await new Promise((resolve) => stream.once("close", resolve));
    clearInterval(timer);
    const closedAfterMs = Date.now() - started;
    expect(closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT - 100);
    expect(closedAfterMs).toBeLessThan(REQUEST_TIMEOUT + 2_000);
    expect(status).toBe(408);
    expect(JSON.parse(body)).toMatchObject({ error: "request_timeout" });
    expect(stream.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
    expect(client.closed).toBe(false);
    expect((await client.get("/api/poll")).status).toBe(200);
    client.close();
  });

  it("cuts a TLS connection that opens and sends nothing, by the headers timeout", async () => {
    const started = Date.now();
    const socket = net.connect({ host: "127.0.0.1", port: Number(new URL(server.secureUrl ?? "").port) });
    socket.on("error", () => undefined);
    await new Promise((resolve) => socket.once("close", resolve));
    expect(Date.now() - started).toBeLessThan(HEADERS_TIMEOUT + 2_000);
  });

  it("never cuts a long poll, an NDJSON stream or an SSE stream over HTTP/2, whose requests ended with their headers", async () => {
    const client = await H2Client.connect(server.secureUrl ?? "");
    const stream = await client.open("/api/stream");
    const sse = await client.open("/api/sse");
    const longPoll = client.get(`/api/long-poll?after=${server.app.lab.feed.lastId}&timeout=4500`);
    await new Promise((resolve) => setTimeout(resolve, REQUEST_TIMEOUT * 2));
    expect(stream.closed).toBe(false);
    expect(sse.closed).toBe(false);
    expect(server.app.heldConnections.size).toBe(3);
    expect((await longPoll).status).toBe(200);
    client.close();
  }, 20_000);
});
