import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { METERED, type Metered, type StatsResponse, type TransportCounters } from "../../protocol/types.js";
import { seededRandom } from "../helpers/chaos-subscriber.js";
import { CountingSocket, splitResponses } from "../helpers/counting-socket.js";
import { startServer, waitFor, type TestServer } from "../helpers/server.js";
import { publish } from "../helpers/subscribers.js";

/**
 * HTTP/1.1 pipelining: a raw client writes several requests on one keep-alive socket before any
 * answer, Node answers them in order, and the meter must bill each transport exactly what the
 * client itself counted for that transport's requests and responses, and let every `open` gauge
 * fall back to 0 once the socket closes.
 */
type HttpTransport = Exclude<Metered, "ws">;
const HTTP: HttpTransport[] = ["poll", "long-poll", "stream", "sse", "publish"];

interface Step {
  transport: HttpTransport;
  bytes: Buffer;
}

const get = (transport: Exclude<HttpTransport, "publish">, query: string): Step => ({
  transport,
  bytes: Buffer.from(`GET /api/${transport}?${query} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n`, "latin1"),
});

const post = (query: string, text: string): Step => {
  const body = JSON.stringify({ from: "raw", text });
  return {
    transport: "publish",
    bytes: Buffer.from(
      `POST /api/messages?${query} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      "latin1",
    ),
  };
};

type Counted = Pick<TransportCounters, "requests" | "connections" | "bytesIn" | "bytesOut">;

/** What the raw client counted per transport: request i's bytes in, response i's bytes out. */
function clientCount(steps: Step[], received: Buffer): Record<HttpTransport, Counted> {
  const counted = Object.fromEntries(HTTP.map((t) => [t, { requests: 0, connections: 0, bytesIn: 0, bytesOut: 0 }])) as Record<HttpTransport, Counted>;
  const { complete, rest } = splitResponses(received);
  steps.forEach((step, i) => {
    const counts = counted[step.transport];
    counts.requests += 1;
    if (i === 0) counts.connections += 1;
    counts.bytesIn += step.bytes.length;
    // Responses come in request order; the first unfinished one holds whatever followed.
    counts.bytesOut += complete[i] ?? (i === complete.length ? rest : 0);
  });
  return counted;
}

/** Adds the counts of several sockets of one client. */
function sum(counts: Record<HttpTransport, Counted>[]): Record<HttpTransport, Counted> {
  return Object.fromEntries(
    HTTP.map((t) => [
      t,
      counts.reduce<Counted>(
        (total, c) => ({
          requests: total.requests + c[t].requests,
          connections: total.connections + c[t].connections,
          bytesIn: total.bytesIn + c[t].bytesIn,
          bytesOut: total.bytesOut + c[t].bytesOut,
        }),
        { requests: 0, connections: 0, bytesIn: 0, bytesOut: 0 },
      ),
    ]),
  ) as Record<HttpTransport, Counted>;
}

interface Session {
  socket: CountingSocket;
  steps: Step[];
}

describe("pipelined requests on one socket are metered per request", () => {
  let server: TestServer;
  let last: number;

  const stats = async (client: string): Promise<StatsResponse> => (await (await fetch(`${server.url}/api/stats?client=${client}`)).json()) as StatsResponse;
  const openGauges = async (): Promise<Record<Metered, number>> => {
    const { transports } = await stats("nobody");
    return Object.fromEntries(METERED.map((t) => [t, transports[t].open])) as Record<Metered, number>;
  };
  const serverCount = async (client: string): Promise<Record<HttpTransport, Counted>> => {
    const transports = (await stats(client)).client?.transports;
    if (transports === undefined) throw new Error("no client counters");
    return Object.fromEntries(
      HTTP.map((t) => [
        t,
        { requests: transports[t].requests, connections: transports[t].connections, bytesIn: transports[t].bytesIn, bytesOut: transports[t].bytesOut },
      ]),
    ) as Record<HttpTransport, Counted>;
  };
  /** Writes all of `steps` at once, before any answer. */
  const pipeline = (...steps: Step[]): Session => {
    const socket = new CountingSocket(server.port);
    socket.write(Buffer.concat(steps.map((s) => s.bytes)));
    return { socket, steps };
  };
  /** Closes the sockets, then: every gauge back at 0, and the server's bill equals the client's own count. */
  const closeAndCompare = async (client: string, ...sessions: Session[]): Promise<Record<HttpTransport, Counted>> => {
    for (const { socket } of sessions) await socket.end();
    await waitFor(() => METERED.every((t) => server.app.lab.stats.transports[t].open === 0), "every open gauge back to 0");
    expect(await openGauges()).toEqual({ poll: 0, "long-poll": 0, stream: 0, sse: 0, ws: 0, publish: 0, "stomp-ws": 0, "stomp-sockjs": 0 });
    const counted = sum(sessions.map(({ socket, steps }) => clientCount(steps, socket.bytes)));
    expect(await serverCount(client)).toEqual(counted);
    for (const { socket, steps } of sessions) expect(socket.sent).toBe(steps.reduce((n, s) => n + s.bytes.length, 0));
    return counted;
  };
  /** Resolves once `count` responses are complete and the unfinished one after them contains `marker`. */
  const answered = (socket: CountingSocket, count: number, marker: string): Promise<void> =>
    waitFor(() => {
      const bytes = socket.bytes;
      const { complete } = splitResponses(bytes);
      return complete.length >= count && bytes.subarray(complete.slice(0, count).reduce((a, b) => a + b, 0)).includes(marker);
    }, `${count} answers, then ${marker}`);

  beforeEach(async () => {
    server = await startServer({ heartbeatMs: 60_000 });
    last = (await publish(server.url, "before")).id;
  });
  afterEach(async () => {
    await server.close();
  });

  it("a held long poll with a poll and a stream queued behind it: all three open, then closed with the socket", async () => {
    const session = pipeline(get("long-poll", `client=lp&after=${last}&timeout=30000`), get("poll", "client=lp"), get("stream", "client=lp"));
    await waitFor(() => server.app.lab.stats.transports.stream.requests === 1 && server.app.lab.feed.subscriberCount === 2, "all three requests parsed");
    expect(await openGauges()).toEqual({ poll: 1, "long-poll": 1, stream: 1, sse: 0, ws: 0, publish: 0, "stomp-ws": 0, "stomp-sockjs": 0 });
    const counted = await closeAndCompare("lp", session);
    // Nothing was answered: the long poll was held and the others queued behind it.
    expect(session.socket.received).toBe(0);
    expect(counted["long-poll"]).toEqual({ requests: 1, connections: 1, bytesIn: session.steps[0]?.bytes.length, bytesOut: 0 });
    expect(counted.poll.bytesIn).toBeGreaterThan(0);
  });

  it("every HTTP transport pipelined, answered in order once a pipelined publish wakes the long poll", async () => {
    const subscriber = pipeline(
      get("poll", `client=all&after=${last}`),
      get("long-poll", `client=all&after=${last}&timeout=30000`),
      get("poll", "client=all"),
      get("sse", `client=all&after=${last}`),
    );
    await waitFor(() => server.app.lab.feed.subscriberCount === 2, "the long poll and SSE subscribed");
    expect(await openGauges()).toEqual({ poll: 1, "long-poll": 1, stream: 0, sse: 1, ws: 0, publish: 0, "stomp-ws": 0, "stomp-sockjs": 0 });
    const publisher = pipeline(post("client=all", "wake"), get("stream", "client=all"), post("client=all", "again"));
    await answered(publisher.socket, 1, '"text":"again"');
    await answered(subscriber.socket, 3, '"text":"again"');
    // The second publish is answered only when the stream ahead of it ends: it is still open.
    expect(await openGauges()).toEqual({ poll: 0, "long-poll": 0, stream: 1, sse: 1, ws: 0, publish: 1, "stomp-ws": 0, "stomp-sockjs": 0 });
    const counted = await closeAndCompare("all", subscriber, publisher);
    expect(counted).toMatchObject({
      poll: { requests: 2, connections: 1 },
      publish: { requests: 2, connections: 1 },
      sse: { requests: 1 },
      stream: { requests: 1 },
    });
  });

  it.each([1, 2, 3])("every HTTP transport pipelined and written in pieces torn anywhere (seed %i)", async (seed) => {
    const steps = [
      post("client=torn", "first"),
      get("poll", `client=torn&after=${last}`),
      get("long-poll", `client=torn&after=${last}&timeout=30000`),
      get("poll", "client=torn"),
      post("client=torn", "second"),
      get(seed % 2 === 0 ? "stream" : "sse", `client=torn&after=${last}`),
    ];
    const socket = new CountingSocket(server.port);
    await socket.writeInPieces(Buffer.concat(steps.map((s) => s.bytes)), 40, seededRandom(seed));
    await answered(socket, 5, '"text":"second"');
    await closeAndCompare("torn", { socket, steps });
  });

  it("a chunked request body, whose size no header gives: the socket's totals stay exact", async () => {
    const body = JSON.stringify({ from: "raw", text: "chunked" });
    const chunked: Step = {
      transport: "publish",
      bytes: Buffer.from(
        `POST /api/messages?client=chunk HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n` +
          `${(10).toString(16)}\r\n${body.slice(0, 10)}\r\n${(body.length - 10).toString(16)}\r\n${body.slice(10)}\r\n0\r\n\r\n`,
        "latin1",
      ),
    };
    const session = pipeline(chunked, get("poll", `client=chunk&after=${last}`));
    await answered(session.socket, 1, '"more":false}');
    await session.socket.end();
    await waitFor(() => METERED.every((t) => server.app.lab.stats.transports[t].open === 0), "every open gauge back to 0");
    const counted = await serverCount("chunk");
    expect(counted.publish.bytesIn + counted.poll.bytesIn).toBe(session.socket.sent);
    expect(counted.publish.bytesOut + counted.poll.bytesOut).toBe(session.socket.received);
    expect([counted.publish.requests, counted.poll.requests]).toEqual([1, 1]);
  });
});
