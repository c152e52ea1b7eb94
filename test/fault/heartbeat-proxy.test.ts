import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { H2Client } from "../helpers/h2-client.js";
import { startIdleProxy, type IdleProxy } from "../helpers/idle-proxy.js";
import { startServer, type TestServer } from "../helpers/server.js";

/**
 * Held connections behind a proxy that cuts connections idle for one second: heartbeats (NDJSON
 * heartbeat lines, SSE comments, WebSocket pings) keep streams alive, and long polls shorter than
 * the proxy's idle limit are answered before it acts.
 */
const IDLE_MS = 1_000;
let server: TestServer | undefined;
let proxy: IdleProxy | undefined;

afterEach(async () => {
  await proxy?.close();
  await server?.close();
});

function holdStream(port: number, path: string): Promise<{ alive: () => boolean; close: () => void }> {
  return new Promise((resolve, reject) => {
    let open = true;
    const request = http.get({ host: "127.0.0.1", port, path, agent: false }, (response) => {
      response.on("data", () => undefined);
      response.on("close", () => (open = false));
      response.on("error", () => undefined);
      resolve({ alive: () => open, close: () => request.destroy() });
    });
    request.on("error", reject);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("behind an idle-cutting proxy", () => {
  it("heartbeats shorter than the idle limit keep stream, SSE and WebSocket open; long polls cycle", async () => {
    server = await startServer({ heartbeatMs: 300, wsPingMs: 300 });
    proxy = await startIdleProxy(server.port, IDLE_MS);
    const stream = await holdStream(proxy.port, "/api/stream");
    const sse = await holdStream(proxy.port, "/api/sse");
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/api/ws`);
    await new Promise((resolve) => ws.on("open", resolve));

    // Long polls asking for less than the idle limit: each answered (empty) before the proxy acts.
    const started = Date.now();
    let polls = 0;
    let after = server.app.lab.feed.lastId;
    while (Date.now() - started < IDLE_MS * 3.5) {
      const response = await fetch(`http://127.0.0.1:${proxy.port}/api/long-poll?after=${after}&timeout=${IDLE_MS / 2}`);
      expect(response.status).toBe(200);
      after = ((await response.json()) as { cursor: number }).cursor;
      polls++;
    }
    expect(polls).toBeGreaterThanOrEqual(6);
    expect(stream.alive()).toBe(true);
    expect(sse.alive()).toBe(true);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(proxy.cuts).toBe(0);
    stream.close();
    sse.close();
    ws.terminate();
  }, 20_000);

  it("control: with heartbeats slower than the idle limit, the proxy cuts the stream", async () => {
    server = await startServer({ heartbeatMs: IDLE_MS * 10 });
    proxy = await startIdleProxy(server.port, IDLE_MS);
    const stream = await holdStream(proxy.port, "/api/stream");
    await sleep(IDLE_MS * 2);
    expect(stream.alive()).toBe(false);
    expect(proxy.cuts).toBe(1);
  }, 20_000);
});

/**
 * The same over HTTP/2 through the proxy: one TLS connection carries the NDJSON and SSE streams,
 * and only their heartbeats keep it from looking idle; the long polls cycle on a connection of their
 * own (they would keep a shared one busy). WebSocket is HTTP/1.1 only, above.
 */
describe("behind an idle-cutting proxy, over HTTP/2", () => {
  it("heartbeats shorter than the idle limit keep stream and SSE open on their connection; long polls cycle on theirs", async () => {
    server = await startServer({ heartbeatMs: 300 }, { tls: true });
    proxy = await startIdleProxy(Number(new URL(server.secureUrl ?? "").port), IDLE_MS);
    const client = await H2Client.connect(`https://127.0.0.1:${proxy.port}`);
    const polling = await H2Client.connect(`https://127.0.0.1:${proxy.port}`);
    const stream = await client.open("/api/stream");
    const sse = await client.open("/api/sse");

    const started = Date.now();
    let polls = 0;
    let after = server.app.lab.feed.lastId;
    while (Date.now() - started < IDLE_MS * 3.5) {
      const response = await polling.get(`/api/long-poll?after=${after}&timeout=${IDLE_MS / 2}`);
      expect(response.status).toBe(200);
      after = (JSON.parse(response.body) as { cursor: number }).cursor;
      polls++;
    }
    expect(polls).toBeGreaterThanOrEqual(6);
    expect(stream.closed).toBe(false);
    expect(sse.closed).toBe(false);
    expect(stream.heartbeats + sse.heartbeats).toBeGreaterThan(0);
    expect(client.closed).toBe(false);
    expect(polling.closed).toBe(false);
    expect(proxy.cuts).toBe(0);
    client.close();
    polling.close();
  }, 20_000);

  it("control: with heartbeats slower than the idle limit, the proxy cuts the connection and its stream", async () => {
    server = await startServer({ heartbeatMs: IDLE_MS * 10 }, { tls: true });
    proxy = await startIdleProxy(Number(new URL(server.secureUrl ?? "").port), IDLE_MS);
    const client = await H2Client.connect(`https://127.0.0.1:${proxy.port}`);
    const stream = await client.open("/api/stream");
    await sleep(IDLE_MS * 2);
    expect(stream.closed).toBe(true);
    expect(proxy.cuts).toBe(1);
    client.close();
  }, 20_000);
});
