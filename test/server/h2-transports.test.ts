import http2 from "node:http2";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { buildApp } from "../../server/app.js";
import { type LabConfig, resolveConfig } from "../../server/config.js";
import { loadCertificate } from "../../server/tls/certificate.js";
import { H2Client } from "../helpers/h2-client.js";
import { waitFor } from "../helpers/server.js";

/**
 * Heartbeats, held-connection caps, slow-consumer cut-offs, Origin checks and shutdown on HTTP/2
 * streams, as on HTTP/1.1 responses: what is one connection there is one stream here, so a refusal
 * or a cut touches one stream and the connection goes on. Every server here logs to a list, which
 * must hold nothing at error level: a client's mistake is never the server's error.
 */
const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR } = http2.constants;

interface LoggedServer {
  app: Awaited<ReturnType<typeof buildApp>>;
  url: string;
  secureUrl: string;
  errors: string[];
  close(): Promise<void>;
}

const running: LoggedServer[] = [];
const clients: H2Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of running.splice(0)) await server.close();
});

async function start(overrides: Partial<LabConfig> = {}): Promise<LoggedServer> {
  const config = resolveConfig({ port: 0, shutdownDrainMs: 0, ...overrides });
  const errors: string[] = [];
  const stream = new Writable({
    write(line: Buffer, _encoding, done) {
      if ((JSON.parse(line.toString()) as { level: number }).level >= 50) errors.push(line.toString());
      done();
    },
  });
  const app = await buildApp(config, { certificate: await loadCertificate(config), logger: { level: "error", stream } });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const secure = await app.secure?.listen("127.0.0.1", 0);
  const address = app.server.address();
  if (secure === undefined || address === null || typeof address === "string") throw new Error("server did not listen");
  const server = { app, url: `http://127.0.0.1:${address.port}`, secureUrl: secure.url, errors, close: () => app.close() };
  running.push(server);
  return server;
}

async function connect(server: LoggedServer, options: Parameters<typeof H2Client.connect>[1] = {}): Promise<H2Client> {
  const client = await H2Client.connect(server.secureUrl, options);
  clients.push(client);
  return client;
}

describe("heartbeats on HTTP/2", () => {
  it.each(["/api/sse", "/api/stream"])("%s: an idle stream gets heartbeats", async (path) => {
    const server = await start({ heartbeatMs: 100 });
    const client = await connect(server);
    const held = await client.open(path);
    expect(held.status).toBe(200);
    await held.waitFor((s) => s.heartbeats >= 3, "three heartbeats");
    expect(held.frames).toEqual([]);
    held.close();
    await waitFor(() => server.app.heldConnections.size === 0, "the stream's slot to be released");
    expect(server.errors).toEqual([]);
  });
});

describe("held-connection caps on HTTP/2", () => {
  it("the (N+1)th held stream of an address gets 429 with Retry-After; the connection stays usable and a slot frees when a stream closes", async () => {
    const server = await start({ maxHeldPerIp: 2, maxHeldConnections: 100, retryAfterSeconds: 7 });
    const client = await connect(server);
    const first = await client.open("/api/sse");
    await client.open("/api/stream");
    expect(server.app.heldConnections.size).toBe(2);

    const refused = await client.get("/api/sse");
    expect(refused.status).toBe(429);
    expect(refused.headers["retry-after"]).toBe("7");
    expect(JSON.parse(refused.body)).toMatchObject({ error: "too_many_requests" });
    const longPoll = await client.get("/api/long-poll?timeout=60000");
    expect(longPoll.status).toBe(429);
    expect(server.app.lab.stats.transports.sse.refused).toBe(1);

    // The same connection still serves everything else, and its held streams still deliver.
    expect((await client.get("/api/poll")).status).toBe(200);
    const published = await client.post("/api/messages", { from: "h2", text: "still here" });
    expect(published.status).toBe(201);
    await first.waitFor((s) => s.messages.some((m) => m.text === "still here"), "the message on the first stream");
    expect(client.closed).toBe(false);

    // Another address is another client.
    const other = await connect(server, { localAddress: "127.0.0.2" });
    const otherStream = await other.open("/api/sse");
    expect(otherStream.status).toBe(200);

    first.close();
    await waitFor(() => server.app.heldConnections.size === 2, "the closed stream's slot to be released");
    expect((await client.open("/api/sse")).status).toBe(200);
    expect(client.resetCount(NGHTTP2_CANCEL)).toBe(0);
    expect(server.errors).toEqual([]);
  });

  it("a connection dropped with held streams on it releases every slot and subscription, and counts each disconnect", async () => {
    const server = await start({ longPollDefaultMs: 60_000 });
    const client = await connect(server);
    await client.open("/api/sse");
    await client.open("/api/stream");
    client.session.request({ ":path": `/api/long-poll?after=${server.app.lab.feed.lastId}` }).on("error", () => undefined);
    await waitFor(() => server.app.heldConnections.size === 3, "three held streams");
    client.session.destroy();
    await waitFor(() => server.app.heldConnections.size === 0 && server.app.lab.feed.subscriberCount === 0, "every slot and subscription released");
    const { transports } = server.app.lab.stats;
    await waitFor(
      () => transports.sse.disconnects === 1 && transports.stream.disconnects === 1 && transports["long-poll"].disconnects === 1,
      "a disconnect counted per stream",
    );
    expect(server.errors).toEqual([]);
  });

  it("over the global cap a held stream gets 503 with Retry-After", async () => {
    const server = await start({ maxHeldPerIp: 100, maxHeldConnections: 1, retryAfterSeconds: 3 });
    const client = await connect(server);
    await client.open("/api/stream");
    const refused = await client.get("/api/stream");
    expect(refused.status).toBe(503);
    expect(refused.headers["retry-after"]).toBe("3");
    expect(JSON.parse(refused.body)).toMatchObject({ error: "unavailable" });
  });

  it("a server-side drop (fault injection) cancels held streams, not their connection", async () => {
    const server = await start({ adminHooks: true });
    const client = await connect(server);
    const held = await client.open("/api/sse");
    const dropped = await client.post("/api/admin/drop?fraction=1", {});
    expect(JSON.parse(dropped.body)).toEqual({ dropped: 1 });
    await held.waitFor((s) => s.closed, "the dropped stream to close");
    expect(held.rstCode).toBe(NGHTTP2_CANCEL);
    expect((await client.get("/api/poll")).status).toBe(200);
  });
});

describe("slow consumers on HTTP/2", () => {
  it.each(["/api/sse", "/api/stream"])(
    "%s: a stream never read is cut by RST_STREAM CANCEL while another stream on the same connection receives everything",
    async (path) => {
      const limit = 64 * 1024;
      const server = await start({ maxBufferedBytes: limit, maxTextLength: 8_000, heartbeatMs: 60_000, publishRateMax: 1_000_000 });
      const transport = path === "/api/sse" ? "sse" : "stream";
      // A small window per stream: the server may send 16 KiB of a stream unread, and must hold the rest.
      const client = await connect(server, { settings: { initialWindowSize: 16_384 } });
      const after = `?after=${server.app.lab.feed.lastId}`;
      const reading = await client.open(`${path}${after}`);
      const stalled = await client.open(`${path}${after}`, { read: false });
      let published = 0;
      while (server.app.lab.stats.transports[transport].cutoffs === 0 && published < 500) {
        server.app.lab.feed.publish({ from: "firehose", text: `${published++} ${"x".repeat(7_990)}` });
        // Paced by the reading stream, so that only the stalled one builds a backlog.
        await reading.waitFor((s) => s.messages.length === published, `message ${published} on the reading stream`);
      }
      expect(server.app.lab.stats.transports[transport].cutoffs).toBe(1);
      await stalled.waitFor((s) => s.closed, "the stalled stream to be reset");
      expect(stalled.rstCode).toBe(NGHTTP2_CANCEL);
      expect(client.resetCount(NGHTTP2_CANCEL)).toBe(1);

      await reading.waitFor((s) => s.messages.length === published, `all ${published} messages on the reading stream`, 20_000);
      expect(client.closed).toBe(false);
      expect((await client.get("/api/poll")).status).toBe(200);
      await waitFor(() => server.app.heldConnections.size === 1, "the stalled stream's slot to be released");
      expect(server.errors).toEqual([]);
    },
  );
});

describe("Origin and WebSocket on HTTP/2", () => {
  it("refuses a foreign Origin with 403 on every route, publishing nothing", async () => {
    const server = await start({ allowedOrigins: "https://lab.example.org" });
    const client = await connect(server);
    const origin = { origin: "https://evil.example" };
    const before = server.app.lab.feed.lastId;
    const post = await client.post("/api/messages", { from: "csrf", text: "forged" }, origin);
    expect(post.status).toBe(403);
    expect(JSON.parse(post.body)).toMatchObject({ error: "forbidden" });
    expect(server.app.lab.feed.lastId).toBe(before);
    for (const path of ["/api/poll", "/api/long-poll", "/api/stream", "/api/sse", "/api/stats"]) {
      expect((await client.get(path, origin)).status, path).toBe(403);
    }
    expect(server.app.heldConnections.size).toBe(0);
    expect((await client.get("/api/poll", { origin: "https://lab.example.org" })).status).toBe(200);
  });

  it("answers /api/ws over HTTP/2 with 426 and a JSON reason: WebSocket needs HTTP/1.1 here", async () => {
    const server = await start();
    const client = await connect(server);
    const answer = await client.get("/api/ws");
    expect(answer.status).toBe(426);
    expect(answer.headers.upgrade).toBeUndefined();
    expect(JSON.parse(answer.body)).toMatchObject({ error: "upgrade_required", message: expect.stringContaining("HTTP/1.1") });
    expect(server.app.heldConnections.size).toBe(0);
    expect((await client.get("/api/poll")).status).toBe(200);
    expect(server.errors).toEqual([]);
  });
});

describe("refusals before any route on HTTP/2", () => {
  it("an Expect other than 100-continue gets a 417 JSON answer on its stream, with no connection header", async () => {
    const server = await start();
    const client = await connect(server);
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on("warning", onWarning);
    try {
      const answer = await client.post("/api/messages", { from: "a", text: "b" }, { expect: "the-unexpected" });
      expect(answer.status).toBe(417);
      expect(JSON.parse(answer.body)).toMatchObject({ error: "expectation_failed" });
      expect((await client.get("/api/poll")).status).toBe(200);
    } finally {
      process.off("warning", onWarning);
    }
    // Node drops a Connection header on HTTP/2 with a warning: none was set.
    expect(warnings).toEqual([]);
  });

  it("a request body that never ends gets 408 on its stream, then the stream is reset, and nothing is logged as an error", async () => {
    const server = await start({ requestTimeoutMs: 300, headersTimeoutMs: 300 });
    const client = await connect(server);
    const stream = client.session.request({ ":method": "POST", ":path": "/api/messages", "content-type": "application/json" }, { endStream: false });
    stream.on("error", () => undefined);
    let status = 0;
    let body = "";
    stream.on("response", (head) => (status = Number(head[":status"])));
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => (body += chunk));
    stream.write('{"from":');
    await new Promise((resolve) => stream.once("close", resolve));
    expect(status).toBe(408);
    expect(JSON.parse(body)).toMatchObject({ error: "request_timeout" });
    expect(stream.rstCode).toBe(NGHTTP2_NO_ERROR);
    expect(server.app.lab.feed.retained).toBe(0);
    expect((await client.get("/api/poll")).status).toBe(200);
    expect(server.errors).toEqual([]);
  });

  it("a long poll whose client resets its stream releases its slot and counts a disconnect", async () => {
    const server = await start({ longPollDefaultMs: 60_000 });
    const client = await connect(server);
    const stream = client.session.request({ ":path": `/api/long-poll?after=${server.app.lab.feed.lastId}` });
    stream.on("error", () => undefined);
    await waitFor(() => server.app.heldConnections.size === 1, "the long poll to be held");
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await waitFor(() => server.app.heldConnections.size === 0, "the long poll's slot to be released");
    await waitFor(() => server.app.lab.stats.transports["long-poll"].disconnects === 1, "the disconnect to be counted");
    expect(server.app.lab.feed.subscriberCount).toBe(0);
    expect((await client.get("/api/poll")).status).toBe(200);
    expect(server.errors).toEqual([]);
  });

  it("a HEAD on a held route is answered at once and holds nothing", async () => {
    const server = await start();
    const client = await connect(server);
    for (const path of ["/api/sse", "/api/stream", "/api/long-poll"]) {
      const answer = await client.request("HEAD", path);
      expect(answer.status, path).toBe(200);
      expect(answer.body).toBe("");
    }
    expect(server.app.heldConnections.size).toBe(0);
  });
});

describe("shutdown on HTTP/2", () => {
  it("answers the long poll, ends the streams cleanly, refuses publishing with 503, then sends GOAWAY", async () => {
    const server = await start({ shutdownDrainMs: 2_000, shutdownGraceMs: 10_000, longPollDefaultMs: 60_000 });
    running.splice(running.indexOf(server), 1);
    const client = await connect(server);
    const sse = await client.open("/api/sse");
    const stream = await client.open("/api/stream");
    const longPoll = client.get(`/api/long-poll?after=${server.app.lab.feed.lastId}`);
    await waitFor(() => server.app.heldConnections.size === 3, "the long poll to be held");

    const closed = server.close();
    expect((await longPoll).status).toBe(200);
    await sse.waitFor((s) => s.closed, "the SSE stream to end");
    await stream.waitFor((s) => s.closed, "the NDJSON stream to end");
    for (const held of [sse, stream]) {
      expect(held.ended).toBe(true);
      expect(held.rstCode).toBe(NGHTTP2_NO_ERROR);
    }
    // During the drain: polls are still answered, nothing new is promised.
    const publish = await client.post("/api/messages", { from: "late", text: "too late" });
    expect(publish.status).toBe(503);
    expect(publish.headers["retry-after"]).toBeDefined();
    expect(JSON.parse(publish.body)).toMatchObject({ error: "unavailable" });
    expect((await client.get("/api/sse")).status).toBe(503);
    expect((await client.get("/api/poll")).status).toBe(200);
    expect(client.goaway).toBeNull();

    await closed;
    await waitFor(() => client.goaway !== null || client.closed, "GOAWAY or the connection's end");
    expect(client.goaway ?? NGHTTP2_NO_ERROR).toBe(NGHTTP2_NO_ERROR);
    expect(server.errors).toEqual([]);
  });
});
