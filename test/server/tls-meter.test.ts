import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { METERED, type CountersByTransport, type StatsResponse } from "../../protocol/types.js";
import { splitResponses } from "../helpers/counting-socket.js";
import { type CountedTls, countedTls } from "../helpers/counted-tls.js";
import { startServer, waitFor, type TestServer } from "../helpers/server.js";
import { publish } from "../helpers/subscribers.js";

const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`;

let server: TestServer;
let port: number;

beforeAll(async () => {
  server = await startServer({ heartbeatMs: 60_000 }, { tls: true });
  port = Number(new URL(server.secureUrl ?? "").port);
});
afterAll(() => server.close());

const statsOf = async (client: string): Promise<StatsResponse> => (await (await fetch(`${server.url}/api/stats?client=${client}`)).json()) as StatsResponse;

async function countersOf(client: string): Promise<CountersByTransport> {
  const counters = (await statsOf(client)).client?.transports;
  if (counters === undefined) throw new Error(`no counters for ${client}`);
  return counters;
}

/** The plaintext a TLS client receives, as text and bytes. */
function received(counted: CountedTls): { text: () => string; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  counted.secure.on("data", (chunk: Buffer) => chunks.push(chunk));
  return { bytes: () => Buffer.concat(chunks), text: () => Buffer.concat(chunks).toString("latin1") };
}

const sum = (counters: CountersByTransport, name: "bytesIn" | "bytesOut"): number => METERED.reduce((total, t) => total + counters[t][name], 0);

describe("HTTP/1.1 over TLS: metered on the TCP socket under TLS", () => {
  it("two pipelined polls, then an SSE stream on the same connection: the totals are the TCP socket's exactly", async () => {
    const seed = await publish(server.url, "seed");
    const counted = countedTls(port, "http/1.1");
    const plain = received(counted);
    await new Promise((resolve) => counted.secure.once("secureConnect", resolve));
    const requests = [get("/api/poll?client=tls1&after=0"), get(`/api/poll?client=tls1&after=${seed.id}`)].join("");
    counted.secure.write(requests);
    await waitFor(() => splitResponses(plain.bytes()).complete.length === 2, "both poll answers");
    const sse = get(`/api/sse?client=tls1&after=${seed.id}`);
    counted.secure.write(sse);
    await waitFor(() => server.app.lab.feed.subscriberCount === 1, "the SSE stream");
    expect((await statsOf("tls1")).connections.http1.tls).toBe(1);
    await publish(server.url, "over tls");
    await waitFor(() => plain.text().includes('"text":"over tls"'), "the event");
    counted.secure.end();
    await counted.closed;
    await waitFor(() => server.app.lab.stats.transports.sse.open === 0 && server.app.lab.stats.connections.http1.tls === 0, "the server to see the close");

    const counters = await countersOf("tls1");
    expect({ bytesIn: sum(counters, "bytesIn"), bytesOut: sum(counters, "bytesOut") }).toEqual({
      bytesIn: counted.tcp.bytesWritten,
      bytesOut: counted.tcp.bytesRead,
    });
    expect(counters.poll).toMatchObject({ requests: 2, connections: 1, versions: { "1.1": 2, "2": 0 }, tls: 2, open: 0 });
    expect(counters.sse).toMatchObject({ requests: 1, connections: 0, versions: { "1.1": 1, "2": 0 }, tls: 1, open: 0, delivered: 1 });

    // Each share is at least its plaintext: the TLS records around it, and the handshake for the first request.
    const [first = 0, second = 0] = splitResponses(plain.bytes()).complete;
    expect(counters.poll.bytesIn).toBeGreaterThan(requests.length);
    expect(counters.poll.bytesOut).toBeGreaterThan(first + second);
    expect(counters.sse.bytesIn).toBeGreaterThan(sse.length);
    expect(counters.sse.bytesOut).toBeGreaterThan(plain.bytes().length - first - second);
    // The handshake (the certificate goes out in it) is the first request's: the SSE stream is far below it.
    expect(counters.poll.bytesOut).toBeGreaterThan(counters.sse.bytesOut);
  });

  it("wss: the upgrade and every frame both ways, metered to the TCP socket's count", async () => {
    let counted: CountedTls | undefined;
    const ws = new WebSocket(`wss://127.0.0.1:${port}/api/ws?client=wss1&after=${server.app.lab.feed.lastId}`, {
      createConnection: () => {
        counted = countedTls(port, "http/1.1");
        return counted.secure;
      },
    });
    const frames: string[] = [];
    ws.on("message", (data) => frames.push(String(data)));
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    expect((await statsOf("wss1")).connections.http1.tls).toBe(1);
    ws.send(JSON.stringify({ type: "send", from: "wss", text: "framed" }));
    await publish(server.url, "from http");
    await waitFor(() => frames.length === 3, "the ack and two messages");
    ws.close(1000);
    await counted?.closed;
    await waitFor(() => server.app.lab.stats.transports.ws.open === 0 && server.app.lab.stats.connections.http1.tls === 0, "the socket to close");

    const counters = await countersOf("wss1");
    expect({ bytesIn: counters.ws.bytesIn, bytesOut: counters.ws.bytesOut }).toEqual({ bytesIn: counted?.tcp.bytesWritten, bytesOut: counted?.tcp.bytesRead });
    expect(counters.ws).toMatchObject({ requests: 1, connections: 1, versions: { "1.1": 1, "2": 0 }, tls: 1, delivered: 2 });
    expect(counters.publish).toMatchObject({ bytesIn: 0, bytesOut: 0 });
  });
});

describe("HTTP/1.1 over TLS: a stream cut as a slow consumer", () => {
  it("counts bytes out never decreasing, at least what the client received, and bytes in exactly as sent", async () => {
    const cutServer = await startServer({ heartbeatMs: 60_000, maxBufferedBytes: 256 * 1024, maxTextLength: 8_000 }, { tls: true });
    try {
      const counted = countedTls(Number(new URL(cutServer.secureUrl ?? "").port), "http/1.1");
      await new Promise((resolve) => counted.secure.once("secureConnect", resolve));
      counted.secure.on("data", () => undefined);
      counted.secure.write(get("/api/stream?client=tlscut"));
      const { feed, meter, stats } = cutServer.app.lab;
      await waitFor(() => feed.subscriberCount === 1, "the stream");
      counted.secure.pause();
      const sent = (): number => {
        meter.flushAll();
        return stats.client("tlscut")?.stream.bytesOut ?? 0;
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
      // Before the client reads the close: what it sends then (its TLS close_notify) the server never reads.
      const sentBeforeCut = counted.tcp.bytesWritten;
      counted.secure.resume();
      await counted.closed;
      await waitFor(() => stats.transports.stream.open === 0, "the stream to close");
      samples.push(sent());
      expect(samples).toEqual([...samples].sort((a, b) => a - b));
      const counters = stats.client("tlscut")?.stream;
      // What TLS or Node still held when the stream was cut is not counted; what the kernel held is, and may be lost.
      expect(counters?.bytesOut).toBeGreaterThanOrEqual(counted.tcp.bytesRead);
      expect(counters?.bytesIn).toBe(sentBeforeCut);
    } finally {
      await cutServer.close();
    }
  });
});

describe("HTTP/1.1 over TLS: pipelined requests in TLS records of their own", () => {
  it("bills each request at least its own plaintext, and the socket its TCP count exactly", async () => {
    const counted = countedTls(port, "http/1.1");
    const plain = received(counted);
    await new Promise((resolve) => counted.secure.once("secureConnect", resolve));
    const body = JSON.stringify({ from: "tls", text: "z".repeat(1_500) });
    const poll = get("/api/poll?client=tlsrec&after=0");
    const post = `POST /api/messages?client=tlsrec HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    // Two writes in one tick: two TLS records, which the server reads together.
    counted.secure.write(poll);
    counted.secure.write(post);
    await waitFor(() => splitResponses(plain.bytes()).complete.length === 2, "both answers");
    counted.secure.end();
    await counted.closed;
    await waitFor(() => server.app.lab.stats.connections.http1.tls === 0, "the server to see the close");
    const counters = await countersOf("tlsrec");
    expect({ bytesIn: sum(counters, "bytesIn"), bytesOut: sum(counters, "bytesOut") }).toEqual({
      bytesIn: counted.tcp.bytesWritten,
      bytesOut: counted.tcp.bytesRead,
    });
    const [pollAnswer = 0, postAnswer = 0] = splitResponses(plain.bytes()).complete;
    expect(counters.poll.bytesIn).toBeGreaterThan(poll.length);
    expect(counters.publish.bytesIn).toBeGreaterThan(post.length);
    expect(counters.poll.bytesOut).toBeGreaterThan(pollAnswer);
    expect(counters.publish.bytesOut).toBeGreaterThan(postAnswer);
  });
});
