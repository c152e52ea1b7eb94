import http2 from "node:http2";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatMessage, StatsResponse } from "../../protocol/types.js";
import { H2Client } from "../helpers/h2-client.js";
import { encodeClientFrame, OP, rawWsConnect, WsFrameReader } from "../helpers/raw-ws.js";
import { startServer, waitFor, type TestServer } from "../helpers/server.js";
import { TestSubscriber } from "../helpers/subscribers.js";

/**
 * A subscriber that stops reading must not make the server hold its backlog without end, nor slow
 * anyone else: once it holds more than `maxBufferedBytes` unsent, it is cut off and counted.
 */
let server: TestServer;
const LIMIT = 256 * 1024;
const TEXT = "x".repeat(7_990);

beforeAll(async () => {
  server = await startServer({ maxBufferedBytes: LIMIT, maxTextLength: 8_000, heartbeatMs: 60_000, publishRateMax: 1_000_000 }, { tls: true });
});
afterAll(() => server.close());

async function stats(): Promise<StatsResponse> {
  return (await (await fetch(`${server.url}/api/stats`)).json()) as StatsResponse;
}

async function publish(i: number): Promise<void> {
  const response = await fetch(`${server.url}/api/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ from: "firehose", text: `${i} ${TEXT}` }),
  });
  if (response.status !== 201) throw new Error(`publish ${response.status}`);
  await response.arrayBuffer();
}

/** A client that sends its request and then never reads a byte. */
function stalledHttp(path: string): net.Socket {
  const socket = net.connect({ host: "127.0.0.1", port: server.port });
  socket.on("connect", () => {
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    socket.pause();
  });
  socket.on("error", () => undefined);
  return socket;
}

describe.each(["stream", "sse", "ws"] as const)("a %s subscriber that stops reading", (transport) => {
  it("is cut off past the limit and counted, while a reading subscriber keeps normal latency", async () => {
    const before = (await stats()).transports[transport].cutoffs;
    const good = new TestSubscriber(transport, server.url, server.app.lab.feed.lastId);
    await good.connect();
    const latencies: number[] = [];
    const seen = good.messages.length;
    const track = setInterval(() => {
      for (const message of good.messages.slice(seen + latencies.length)) latencies.push(Date.now() - (message as ChatMessage).time);
    }, 2);

    let stalledWs: Awaited<ReturnType<typeof rawWsConnect>> | undefined;
    let stalledHttpSocket: net.Socket | undefined;
    const subscribersBefore = server.app.lab.feed.subscriberCount;
    // From the newest message on: this peer stalls on live traffic, not on a catch-up.
    const after = `?after=${server.app.lab.feed.lastId}`;
    if (transport === "ws") stalledWs = await rawWsConnect(server.port, `/api/ws${after}`);
    else stalledHttpSocket = stalledHttp(`/api/${transport}${after}`);
    await waitFor(() => server.app.lab.feed.subscriberCount === subscribersBefore + 1, "the stalled subscriber to subscribe");

    // Bounded: 2,500 messages of 8 kB (20 MB) is more than loopback's kernel buffers can hide.
    let published = 0;
    const rssBefore = process.memoryUsage().rss;
    while ((await stats()).transports[transport].cutoffs === before && published < 2_500) {
      for (let i = 0; i < 50; i++) await publish(published++);
    }
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect((await stats()).transports[transport].cutoffs).toBe(before + 1);
    await waitFor(() => server.app.lab.feed.subscriberCount === subscribersBefore, "the stalled subscriber to be unsubscribed");

    // The reading subscriber got everything, promptly.
    await good.waitForMessages(seen + published, 20_000);
    clearInterval(track);
    expect(good.cursor.duplicates + good.cursor.gaps).toBe(0);
    expect(latencies.length).toBeGreaterThan(0);
    const worst = Math.max(...latencies);
    console.log(
      `${transport}: stalled subscriber cut after ${published} messages of 8 kB; reading subscriber's worst latency ${worst} ms; test process RSS +${Math.round(rssGrowth / 2 ** 20)} MiB`,
    );
    // Generous bounds for a shared 2-core CI machine: what matters is "not stuck behind the stalled peer".
    expect(worst).toBeLessThan(2_000);
    expect(rssGrowth).toBeLessThan(256 * 2 ** 20);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain(`lab_slow_consumer_cutoffs_total{transport="${transport}"} ${before + 1}`);

    if (stalledWs !== undefined) {
      // Reading again, the stalled peer finds the backlog and then the close frame with its reason.
      const reader = new WsFrameReader();
      const close = await new Promise<{ code: number; reason: string }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no close frame")), 20_000);
        const take = (chunk: Buffer): void => {
          for (const frame of reader.push(chunk)) {
            if (frame.opcode !== OP.close) continue;
            clearTimeout(timer);
            resolve({ code: frame.payload.readUInt16BE(0), reason: frame.payload.subarray(2).toString() });
          }
        };
        take(stalledWs?.rest ?? Buffer.alloc(0));
        stalledWs?.socket.on("data", take);
        stalledWs?.socket.resume();
      });
      expect(close.code).toBe(1013);
      expect(close.reason).toMatch(/slow consumer/);
      stalledWs.socket.destroy();
    }
    if (stalledHttpSocket !== undefined) {
      const socket = stalledHttpSocket;
      socket.resume();
      await new Promise((resolve) => (socket.destroyed ? resolve(undefined) : socket.once("close", resolve)));
    }
    good.close();
    await waitFor(() => server.app.heldConnections.size === 0, "every held connection released", 10_000);
  }, 60_000);
});

/**
 * The same on HTTP/2, where the stalled subscriber is one stream of a connection that another,
 * reading stream shares: the cut is RST_STREAM CANCEL on that stream alone. The client's windows
 * are large (1 MiB per stream, 16 MiB for the connection, the order of a browser's) so that the
 * server, not the client's flow control, holds the backlog; WebSocket is HTTP/1.1 only.
 */
describe.each(["stream", "sse"] as const)("a %s subscriber over HTTP/2 that stops reading", (transport) => {
  it("is cut off by RST_STREAM past the limit and counted, while a reading stream on the same connection keeps normal latency", async () => {
    const before = (await stats()).transports[transport].cutoffs;
    const client = await H2Client.connect(server.secureUrl ?? "", { settings: { initialWindowSize: 2 ** 20 }, connectionWindow: 16 * 2 ** 20 });
    const after = `?after=${server.app.lab.feed.lastId}`;
    const subscribersBefore = server.app.lab.feed.subscriberCount;
    const good = await client.open(`/api/${transport}${after}`);
    const stalled = await client.open(`/api/${transport}${after}`, { read: false });
    await waitFor(() => server.app.lab.feed.subscriberCount === subscribersBefore + 2, "both streams to subscribe");
    const latencies: number[] = [];
    const track = setInterval(() => {
      for (const message of good.messages.slice(latencies.length)) latencies.push(Date.now() - message.time);
    }, 2);

    let published = 0;
    while ((await stats()).transports[transport].cutoffs === before && published < 2_500) {
      for (let i = 0; i < 50; i++) await publish(published++);
    }
    expect((await stats()).transports[transport].cutoffs).toBe(before + 1);
    await stalled.waitFor((s) => s.closed, "the stalled stream to be reset");
    expect(stalled.rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
    expect(client.resetCount(http2.constants.NGHTTP2_CANCEL)).toBe(1);

    await good.waitFor((s) => s.messages.length === published, `all ${published} messages on the reading stream`, 20_000);
    clearInterval(track);
    const worst = Math.max(...latencies);
    console.log(`${transport} over HTTP/2: stalled stream reset after ${published} messages of 8 kB; reading stream's worst latency ${worst} ms`);
    expect(worst).toBeLessThan(2_000);
    expect(client.closed).toBe(false);
    expect((await client.get("/api/poll")).status).toBe(200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain(`lab_slow_consumer_cutoffs_total{transport="${transport}"} ${before + 1}`);
    client.close();
    await waitFor(() => server.app.heldConnections.size === 0, "every held connection released", 10_000);
  }, 60_000);
});

describe("control replies count against the same cap", () => {
  it("a WebSocket client that sends bad frames and never reads is cut once its error replies exceed the limit", async () => {
    const own = await startServer({ maxBufferedBytes: 64 * 1024, wsRateCloseAfter: 10_000_000, publishRateWindowMs: 60_000 });
    try {
      const socket = net.connect({ host: "127.0.0.1", port: own.port });
      socket.on("error", () => undefined);
      await new Promise((resolve) => socket.once("connect", resolve));
      socket.pause();
      socket.write(
        "GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
      );
      // Each "x" is not JSON and gets a ~75-byte error frame: 300,000 of them are 22 MB of replies,
      // more than the kernel's buffers on loopback take, so the rest would pile up in the server.
      const frame = encodeClientFrame({ opcode: OP.text, payload: "x" });
      socket.write(Buffer.concat(Array.from({ length: 300_000 }, () => frame)));
      await waitFor(() => own.app.lab.stats.transports.ws.cutoffs === 1, "the flooding client to be cut", 20_000);
      socket.destroy();
    } finally {
      await own.close();
    }
  });
});
