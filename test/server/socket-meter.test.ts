import net from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { Metered, TransportCounters } from "../../protocol/types.js";
import { CountingSocket } from "../helpers/counting-socket.js";
import { startServer, waitFor, type TestServer } from "../helpers/server.js";
import { publish } from "../helpers/subscribers.js";

const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`;

describe("byte counters agree exactly with what a raw socket sent and received", () => {
  let server: TestServer;
  const clientCounters = async (client: string, transport: Metered): Promise<TransportCounters> => {
    const stats = (await (await fetch(`${server.url}/api/stats?client=${client}`)).json()) as {
      client: { transports: Record<Metered, TransportCounters> };
    };
    return stats.client.transports[transport];
  };
  const expectExact = async (client: string, transport: Metered, socket: CountingSocket): Promise<void> => {
    await waitFor(() => server.app.lab.stats.transports[transport].open === 0, "the request to end");
    const counters = await clientCounters(client, transport);
    expect({ bytesIn: counters.bytesIn, bytesOut: counters.bytesOut }).toEqual({ bytesIn: socket.sent, bytesOut: socket.received });
  };

  beforeEach(async () => {
    server = await startServer({ heartbeatMs: 60_000 });
  });
  afterEach(async () => {
    await server.close();
  });

  it("poll: two requests on one keep-alive socket", async () => {
    await publish(server.url, "hello");
    const socket = new CountingSocket(server.port);
    socket.write(get("/api/poll?client=p1"));
    await socket.waitFor('"more":false}');
    socket.write(get("/api/poll?client=p1&after=0"));
    await socket.waitFor('"more":false', 2);
    await socket.end();
    await expectExact("p1", "poll", socket);
    expect(await clientCounters("p1", "poll")).toMatchObject({ requests: 2, connections: 1, delivered: 2 });
  });

  it("publish: a POST with its body", async () => {
    const socket = new CountingSocket(server.port);
    const body = JSON.stringify({ from: "raw", text: "counted" });
    socket.write(
      `POST /api/messages?client=pub1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    await socket.waitFor('"text":"counted"');
    await socket.end();
    await expectExact("pub1", "publish", socket);
  });

  it("long poll: a held request woken by a message", async () => {
    const last = await publish(server.url, "seen");
    const socket = new CountingSocket(server.port);
    socket.write(get(`/api/long-poll?client=lp1&after=${last.id}&timeout=30000`));
    await waitFor(() => server.app.lab.feed.subscriberCount === 1, "the held request");
    await publish(server.url, "wake");
    await socket.waitFor('"more":false}');
    await socket.end();
    await expectExact("lp1", "long-poll", socket);
  });

  it.each(["stream", "sse"] as const)("%s: a held stream that the client closes", async (transport) => {
    const socket = new CountingSocket(server.port);
    socket.write(get(`/api/${transport}?client=${transport}1`));
    await waitFor(() => server.app.lab.feed.subscriberCount === 1, "the stream");
    await publish(server.url, "one");
    await publish(server.url, "two");
    await socket.waitFor('"text":"two"');
    // While open the counters are read live, not only at close.
    const live = await clientCounters(`${transport}1`, transport);
    expect(live.bytesOut).toBe(socket.received);
    await socket.end();
    await expectExact(`${transport}1`, transport, socket);
    expect(await clientCounters(`${transport}1`, transport)).toMatchObject({ delivered: 2, disconnects: 1 });
  });

  it("ws: handshake and frames both ways, over the socket's whole life", async () => {
    let raw: net.Socket | undefined;
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws?client=ws1`, {
      createConnection: ((options: net.NetConnectOpts) => (raw = net.connect(options))) as typeof net.createConnection,
    });
    const frames: string[] = [];
    ws.on("message", (data) => frames.push(String(data)));
    await new Promise((resolve) => ws.once("open", resolve));
    ws.send(JSON.stringify({ type: "send", from: "ws", text: "framed" }));
    await publish(server.url, "from http");
    await waitFor(() => frames.length === 3, "ack and two messages");
    ws.close(1000);
    await new Promise((resolve) => ws.once("close", resolve));
    await waitFor(() => server.app.lab.stats.transports.ws.open === 0, "the socket to close");
    const counters = await clientCounters("ws1", "ws");
    expect({ bytesIn: counters.bytesIn, bytesOut: counters.bytesOut }).toEqual({ bytesIn: raw?.bytesWritten, bytesOut: raw?.bytesRead });
    expect(counters.bytesOut).toBeGreaterThan(0);
    expect(counters).toMatchObject({ requests: 1, connections: 1, delivered: 2 });
  });

  it("a stream cut as a slow consumer: bytes out are bytes handed to the OS, never decreasing, at least what arrived", async () => {
    await server.close();
    server = await startServer({ heartbeatMs: 60_000, maxBufferedBytes: 256 * 1024, maxTextLength: 8_000 });
    const socket = new CountingSocket(server.port);
    socket.write(get("/api/stream?client=cut"));
    await waitFor(() => server.app.lab.feed.subscriberCount === 1, "the stream");
    socket.pause();
    const { feed, meter, stats } = server.app.lab;
    const sent = (): number => {
      meter.flushAll();
      return stats.client("cut")?.stream.bytesOut ?? 0;
    };
    const samples = [sent()];
    for (let i = 0; stats.transports.stream.cutoffs === 0; i++) {
      if (i > 20_000) throw new Error("never cut off");
      feed.publish({ from: "firehose", text: "x".repeat(8_000) });
      if (i % 8 === 0) {
        await new Promise((resolve) => setImmediate(resolve));
        samples.push(sent());
      }
    }
    samples.push(sent());
    socket.resume();
    await socket.closed;
    await waitFor(() => server.app.lab.stats.transports.stream.open === 0, "the stream to close");
    const counted = await clientCounters("cut", "stream");
    samples.push(counted.bytesOut);
    expect(samples).toEqual([...samples].sort((a, b) => a - b));
    // What Node still held when it cut the stream is not counted; what the kernel held is, and may be lost.
    expect(counted.bytesOut).toBeGreaterThanOrEqual(socket.received);
    expect(counted.bytesIn).toBe(socket.sent);
  });
});
