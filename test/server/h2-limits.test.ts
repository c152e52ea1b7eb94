import http2 from "node:http2";
import { afterEach, expect, it } from "vitest";
import { H2Client } from "../helpers/h2-client.js";
import { startServer, type TestServer, waitFor } from "../helpers/server.js";

/**
 * An answer a client does not read is memory held for it. On HTTP/1.1 it holds a held-connection
 * slot of its address until read (server/limits/held-connections.ts); on HTTP/2 the same, per
 * stream: each answer over the stream's high-water mark holds a slot until the stream has taken it,
 * and past the caps the stream is cancelled. Under that, Node bounds one HTTP/2 connection on its
 * own (`maxSessionMemory`).
 */
let server: TestServer | undefined;
const clients: H2Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server?.close();
  server = undefined;
});

async function withBacklog(overrides: Parameters<typeof startServer>[0]): Promise<TestServer> {
  server = await startServer({ maxTextLength: 8_000, publishRateMax: 1_000_000, ...overrides }, { tls: true });
  // Every poll from 0 answers a full page (64 KiB).
  for (let i = 0; i < 300; i++) server.app.lab.feed.publish({ from: "backlog", text: `${i} ${"y".repeat(7_900)}` });
  return server;
}

async function connect(s: TestServer, options: Parameters<typeof H2Client.connect>[1] = {}): Promise<H2Client> {
  const client = await H2Client.connect(s.secureUrl ?? "", options);
  clients.push(client);
  return client;
}

/** A poll whose answer is never read: resolves with the stream once the server has answered or reset it. */
function unreadPoll(client: H2Client): Promise<http2.ClientHttp2Stream> {
  const stream = client.session.request({ ":path": "/api/poll?after=0" });
  stream.pause();
  stream.on("error", () => undefined);
  return new Promise((resolve) => {
    stream.once("response", () => resolve(stream));
    stream.once("close", () => resolve(stream));
  });
}

it("unread poll answers hold slots of their address; past the cap the next one's stream is cancelled and counted; a reader's slot is gone once it has read", async () => {
  const s = await withBacklog({ maxHeldPerIp: 2, maxHeldConnections: 100 });
  const stalled = await connect(s, { settings: { initialWindowSize: 1_024 } });
  await unreadPoll(stalled);
  await unreadPoll(stalled);
  expect(s.app.heldConnections.size).toBe(2);
  const third = await unreadPoll(stalled);
  await waitFor(() => third.closed, "the third answer's stream to be reset");
  expect(third.rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
  expect(s.app.lab.stats.transports.poll.cutoffs).toBe(1);
  expect(stalled.closed).toBe(false);

  // Another address reads its page whole, and holds nothing afterwards.
  const reader = await connect(s, { localAddress: "127.0.0.2" });
  const page = await reader.get("/api/poll?after=0");
  expect(page.status).toBe(200);
  expect(Buffer.byteLength(page.body)).toBeGreaterThan(60_000);
  await waitFor(() => s.app.heldConnections.size === 2, "the reader's slot to be released");

  // The stalled client leaves: its slots go with it.
  stalled.close();
  await waitFor(() => s.app.heldConnections.size === 0, "the stalled client's slots to be released");
  const again = await connect(s);
  expect((await again.get("/api/poll?after=0")).status).toBe(200);
});

it("under that, Node refuses new streams to a connection that never reads long before it pins every page", async () => {
  const streams = 2_000;
  const s = await withBacklog({ maxHeldPerIp: 100_000, maxHeldConnections: 100_000 });
  const client = await connect(s, { settings: { initialWindowSize: 1_024 } });
  let answered = 0;
  let refused = 0;
  for (let i = 0; i < streams && !client.closed; i++) {
    const stream = client.session.request({ ":path": "/api/poll?after=0" });
    stream.pause();
    stream.on("error", () => undefined);
    stream.once("response", () => answered++);
    stream.once("close", () => {
      if (stream.rstCode === http2.constants.NGHTTP2_ENHANCE_YOUR_CALM) refused++;
    });
    // Let the server take each batch before the next.
    if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
  }
  await waitFor(() => refused > 0 || client.closed, "a refused stream or the connection's end");
  console.log(`h2: ${answered} unread 64 KiB answers on one connection before Node refused more`);
  expect(answered).toBeLessThan(streams / 2);
  client.close();

  const other = await connect(s);
  expect((await other.get("/api/poll")).status).toBe(200);
});
