import http2 from "node:http2";
import { afterAll, beforeAll, expect, it } from "vitest";
import { H2Client } from "../helpers/h2-client.js";
import { startServer, waitFor, type TestServer } from "../helpers/server.js";

/**
 * On HTTP/1.1 an answer a client does not read holds a held-connection slot of its address
 * (server/limits/held-connections.ts). On HTTP/2 that step cannot see it: Node's compatibility
 * layer finishes a response only when its stream closes, with every byte sent. What bounds the
 * unread answers of one HTTP/2 connection is Node's own `maxSessionMemory` (10 MB by default): past
 * it new streams are refused with ENHANCE_YOUR_CALM. This test proves that bound is in force.
 */
let server: TestServer;
const STREAMS = 2_000;

beforeAll(async () => {
  server = await startServer({ maxTextLength: 8_000, publishRateMax: 1_000_000 }, { tls: true });
  // Every poll from 0 answers a full page (64 KiB).
  for (let i = 0; i < 300; i++) server.app.lab.feed.publish({ from: "backlog", text: `${i} ${"y".repeat(7_900)}` });
});
afterAll(() => server.close());

it("a connection that never reads its poll answers is refused new streams long before it pins every page", async () => {
  const client = await H2Client.connect(server.secureUrl ?? "", { settings: { initialWindowSize: 1_024 } });
  let answered = 0;
  let refused = 0;
  for (let i = 0; i < STREAMS && !client.closed; i++) {
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
  expect(answered).toBeLessThan(STREAMS / 2);
  client.close();

  // Everyone else is served as before.
  const other = await H2Client.connect(server.secureUrl ?? "");
  expect((await other.get("/api/poll")).status).toBe(200);
  other.close();
  expect(server.app.heldConnections.size).toBe(0);
});
