import http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { METERED, type StatsResponse, type TransportCounters } from "../../protocol/types.js";
import { countedHttp2 } from "../helpers/counted-tls.js";
import { startServer, waitFor, type TestServer } from "../helpers/server.js";
import { publish } from "../helpers/subscribers.js";

/** One HTTP/2 request as the client saw it: its status, body, and the DATA payload bytes it received. */
interface H2Exchange {
  stream: http2.ClientHttp2Stream;
  status: Promise<number>;
  text: () => string;
  dataBytes: () => number;
  ended: Promise<void>;
}

function request(session: http2.ClientHttp2Session, path: string, body?: string): H2Exchange {
  const headers: http2.OutgoingHttpHeaders = { ":path": path, ":method": body === undefined ? "GET" : "POST" };
  if (body !== undefined) headers["content-type"] = "application/json";
  const stream = session.request(headers, { endStream: body === undefined });
  if (body !== undefined) stream.end(body);
  let text = "";
  let dataBytes = 0;
  stream.on("data", (chunk: Buffer) => {
    dataBytes += chunk.length;
    text += chunk.toString("utf8");
  });
  stream.on("error", () => undefined);
  return {
    stream,
    status: new Promise((resolve) => stream.once("response", (head) => resolve(Number(head[":status"])))),
    text: () => text,
    dataBytes: () => dataBytes,
    ended: new Promise((resolve) => stream.once("close", () => resolve())),
  };
}

let server: TestServer;
let port: number;

beforeAll(async () => {
  server = await startServer({ heartbeatMs: 60_000 }, { tls: true });
  port = Number(new URL(server.secureUrl ?? "").port);
});
afterAll(() => server.close());

const statsOf = async (client: string): Promise<StatsResponse> => (await (await fetch(`${server.url}/api/stats?client=${client}`)).json()) as StatsResponse;

describe("HTTP/2 metering: one connection's streams, shared out by their frames", () => {
  it("polls, a long poll, SSE, NDJSON and a publish on one connection add up to the client's own TCP counts exactly", async () => {
    const { feed } = server.app.lab;
    const seed = await publish(server.url, "seed");
    const { tcp, session, closed } = countedHttp2(port);

    const polls = [request(session, "/api/poll?client=h2a&after=0"), request(session, `/api/poll?client=h2a&after=${seed.id}`)];
    await Promise.all(polls.map((poll) => poll.ended));
    expect(await polls[0]?.status).toBe(200);
    expect(polls[0]?.text()).toContain('"text":"seed"');

    const longPoll = request(session, `/api/long-poll?client=h2a&after=${seed.id}&timeout=30000`);
    const sse = request(session, `/api/sse?client=h2a&after=${seed.id}`);
    const ndjson = request(session, `/api/stream?client=h2a&after=${seed.id}`);
    await waitFor(() => feed.subscriberCount === 3, "the long poll, the SSE and the NDJSON stream to subscribe");
    const during = await statsOf("h2a");
    expect(session.alpnProtocol).toBe("h2");
    expect(during.connections.h2).toEqual({ open: 1, streams: 3 });

    const published = request(session, "/api/messages?client=h2a", JSON.stringify({ from: "h2", text: "over h2" }));
    expect(await published.status).toBe(201);
    await longPoll.ended;
    expect(longPoll.text()).toContain('"text":"over h2"');
    await publish(server.url, "from http/1.1");
    await waitFor(() => sse.text().includes("from http/1.1") && ndjson.text().includes("from http/1.1"), "both messages on both streams");

    sse.stream.close();
    ndjson.stream.close();
    await Promise.all([sse.ended, ndjson.ended, published.ended]);
    session.close();
    await closed;
    await waitFor(() => server.app.lab.stats.connections.h2.open === 0, "the server to see the connection close");

    const after = await statsOf("h2a");
    const counters = after.client?.transports;
    if (counters === undefined) throw new Error("no counters for the client");
    const sum = (name: "bytesIn" | "bytesOut"): number => METERED.reduce((total, t) => total + counters[t][name], 0);
    expect({ bytesIn: sum("bytesIn"), bytesOut: sum("bytesOut") }).toEqual({ bytesIn: tcp.bytesWritten, bytesOut: tcp.bytesRead });
    expect(after.connections.h2).toEqual({ open: 0, streams: 0 });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('lab_http_version_requests_total{transport="poll",http_version="2"} 2');
    expect(metrics).toContain('lab_tcp_connections_open{http_version="2",tls="true"} 0');

    // Each transport's share: its requests, counted as HTTP/2 over TLS, and at least the payload it carried.
    const pick = (c: TransportCounters) => ({ requests: c.requests, versions: c.versions, tls: c.tls, open: c.open });
    expect(pick(counters.poll)).toEqual({ requests: 2, versions: { "1.1": 0, "2": 2 }, tls: 2, open: 0 });
    for (const t of ["long-poll", "sse", "stream", "publish"] as const) {
      expect(pick(counters[t])).toEqual({ requests: 1, versions: { "1.1": 0, "2": 1 }, tls: 1, open: 0 });
    }
    // The connection counts once, for its first stream's transport.
    expect(METERED.map((t) => counters[t].connections)).toEqual(METERED.map((t) => (t === "poll" ? 1 : 0)));
    const received = {
      poll: polls.reduce((n, p) => n + p.dataBytes(), 0),
      "long-poll": longPoll.dataBytes(),
      sse: sse.dataBytes(),
      stream: ndjson.dataBytes(),
    };
    for (const [t, payload] of Object.entries(received) as [keyof typeof received, number][]) {
      expect(payload).toBeGreaterThan(0);
      // Frame headers, HPACK-coded headers and TLS records come on top of the payload.
      expect(counters[t].bytesOut).toBeGreaterThan(payload);
      expect(counters[t].bytesIn).toBeGreaterThan(0);
    }
    expect(counters.publish.bytesIn).toBeGreaterThan(JSON.stringify({ from: "h2", text: "over h2" }).length);
    expect(counters.sse.delivered).toBe(2);
    expect(counters.stream.delivered).toBe(2);
  });

  it("counts a stream as open until it closes, and the connection's streams live", async () => {
    const { session, closed } = countedHttp2(port);
    const sse = request(session, "/api/sse?client=h2b");
    expect(await sse.status).toBe(200);
    await waitFor(() => server.app.lab.stats.transports.sse.open === 1, "the SSE stream to count as open");
    expect((await statsOf("h2b")).connections.h2).toEqual({ open: 1, streams: 1 });
    sse.stream.close();
    await sse.ended;
    await waitFor(() => server.app.lab.stats.transports.sse.open === 0, "the SSE stream to close");
    expect(server.app.lab.stats.connections.h2).toEqual({ open: 1, streams: 0 });
    session.close();
    await closed;
    await waitFor(() => server.app.lab.stats.connections.h2.open === 0, "the connection to close");
  });
});

describe("HTTP/2 metering: streams reset by the client", () => {
  it("a poll reset right after its HEADERS is still counted, and the totals stay exact", async () => {
    const { tcp, session, closed } = countedHttp2(port);
    const first = request(session, "/api/poll?client=h2r");
    await first.ended;
    for (let i = 0; i < 5; i++) {
      const reset = request(session, "/api/poll?client=h2r");
      reset.stream.close(http2.constants.NGHTTP2_CANCEL);
      await reset.ended;
    }
    const last = request(session, "/api/poll?client=h2r");
    await last.ended;
    session.close();
    await closed;
    await waitFor(() => server.app.lab.stats.connections.h2.open === 0, "the connection to close");
    const poll = (await statsOf("h2r")).client?.transports.poll;
    expect(poll).toMatchObject({ requests: 7, connections: 1, open: 0, versions: { "1.1": 0, "2": 7 } });
    expect({ bytesIn: poll?.bytesIn, bytesOut: poll?.bytesOut }).toEqual({ bytesIn: tcp.bytesWritten, bytesOut: tcp.bytesRead });
  });
});

describe("HTTP/2 metering: the connection's own frames", () => {
  it("go to the newest metered stream, not to a newer /api/stats request that is not metered", async () => {
    const { session, closed } = countedHttp2(port);
    const sse = request(session, "/api/sse?client=h2p");
    expect(await sse.status).toBe(200);
    const stats = request(session, "/api/stats");
    await stats.ended;
    const { meter, stats: counters } = server.app.lab;
    const sseBytes = (): { bytesIn: number; bytesOut: number } => {
      meter.flushAll();
      const sseCounters = counters.client("h2p")?.sse;
      return { bytesIn: sseCounters?.bytesIn ?? 0, bytesOut: sseCounters?.bytesOut ?? 0 };
    };
    const before = sseBytes();
    for (let i = 0; i < 3; i++) await new Promise((resolve) => session.ping(resolve));
    const after = sseBytes();
    // A PING is a 9-byte frame header and 8 bytes of payload each way, in a TLS record of its own.
    expect(after.bytesIn - before.bytesIn).toBeGreaterThanOrEqual(3 * 17);
    expect(after.bytesOut - before.bytesOut).toBeGreaterThanOrEqual(3 * 17);
    sse.stream.close();
    session.close();
    await closed;
  });
});

describe("HTTP/2 metering: frames across many TLS records", () => {
  it("large publishes and an SSE stream carrying them add up to the TCP counts exactly", async () => {
    const { tcp, session, closed } = countedHttp2(port);
    const sse = request(session, `/api/sse?client=h2big&after=${server.app.lab.feed.lastId}`);
    expect(await sse.status).toBe(200);
    for (let i = 0; i < 20; i++) {
      const published = request(session, "/api/messages?client=h2big", JSON.stringify({ from: "big", text: `${i}:${"y".repeat(1_990)}` }));
      expect(await published.status).toBe(201);
    }
    await waitFor(() => sse.text().includes(`19:${"y".repeat(1_990)}`), "the last large message on the stream");
    sse.stream.close();
    await sse.ended;
    session.close();
    await closed;
    await waitFor(() => server.app.lab.stats.connections.h2.open === 0, "the connection to close");
    const counters = (await statsOf("h2big")).client?.transports;
    if (counters === undefined) throw new Error("no counters for the client");
    expect({ bytesIn: counters.sse.bytesIn + counters.publish.bytesIn, bytesOut: counters.sse.bytesOut + counters.publish.bytesOut }).toEqual({
      bytesIn: tcp.bytesWritten,
      bytesOut: tcp.bytesRead,
    });
    expect(counters.sse.bytesOut).toBeGreaterThan(sse.dataBytes());
    expect(counters.publish.bytesIn).toBeGreaterThan(20 * 2_000);
  });
});
