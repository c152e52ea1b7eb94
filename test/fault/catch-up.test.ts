import { afterAll, beforeAll, expect, it } from "vitest";
import type { StatsResponse } from "../../protocol/types.js";
import { startServer, type TestServer } from "../helpers/server.js";
import { TestSubscriber } from "../helpers/subscribers.js";

/**
 * A subscriber that comes back far behind (its backlog many times `maxBufferedBytes`) but reads
 * normally is not a slow consumer: it must catch up, never be cut off for the size of its backlog
 * (it would reconnect with the same cursor and be cut again, for ever).
 */
let server: TestServer;
const MESSAGES = 2_500;

beforeAll(async () => {
  server = await startServer({ maxBufferedBytes: 128 * 1024, maxTextLength: 4_000, heartbeatMs: 60_000 });
});
afterAll(() => server.close());

it.each(["stream", "sse", "ws"] as const)("%s: a reader 10 MB behind catches up without being cut off", async (transport) => {
  const { feed } = server.app.lab;
  const from = feed.lastId;
  for (let i = 0; i < MESSAGES; i++) feed.publish({ from: "backlog", text: `${i} ${"b".repeat(3_990)}` });
  const subscriber = new TestSubscriber(transport, server.url, from);
  await subscriber.connect();
  await subscriber.waitForMessages(MESSAGES, 20_000);
  // Live messages still flow once caught up.
  const live = feed.publish({ from: "live", text: "after the catch-up" });
  await subscriber.waitForMessages(MESSAGES + 1, 10_000);
  subscriber.close();
  expect(subscriber.messages.map((m) => m.id)).toEqual(Array.from({ length: MESSAGES + 1 }, (_, i) => from + 1 + i));
  expect(subscriber.messages.at(-1)?.id).toBe(live.message.id);
  const stats = (await (await fetch(`${server.url}/api/stats`)).json()) as StatsResponse;
  expect(stats.transports[transport].cutoffs).toBe(0);
});
