import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatsResponse } from "../../protocol/types.js";
import { H2Client } from "../helpers/h2-client.js";
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
  server = await startServer({ maxBufferedBytes: 128 * 1024, maxTextLength: 4_000, heartbeatMs: 60_000 }, { tls: true });
});
afterAll(() => server.close());

function publishBacklog(): number {
  const { feed } = server.app.lab;
  const from = feed.lastId;
  for (let i = 0; i < MESSAGES; i++) feed.publish({ from: "backlog", text: `${i} ${"b".repeat(3_990)}` });
  return from;
}

async function cutoffs(transport: "stream" | "sse" | "ws"): Promise<number> {
  const stats = (await (await fetch(`${server.url}/api/stats`)).json()) as StatsResponse;
  return stats.transports[transport].cutoffs;
}

describe("over HTTP/1.1", () => {
  it.each(["stream", "sse", "ws"] as const)("%s: a reader 10 MB behind catches up without being cut off", async (transport) => {
    const before = await cutoffs(transport);
    const from = publishBacklog();
    const subscriber = new TestSubscriber(transport, server.url, from);
    await subscriber.connect();
    await subscriber.waitForMessages(MESSAGES, 20_000);
    // Live messages still flow once caught up.
    const live = await server.app.lab.feed.publish({ from: "live", text: "after the catch-up" });
    await subscriber.waitForMessages(MESSAGES + 1, 10_000);
    subscriber.close();
    expect(subscriber.messages.map((m) => m.id)).toEqual(Array.from({ length: MESSAGES + 1 }, (_, i) => from + 1 + i));
    expect(subscriber.messages.at(-1)?.id).toBe(live.message.id);
    expect(await cutoffs(transport)).toBe(before);
  });
});

/**
 * On HTTP/2 the pages wait on the client's flow-control window as well as on the socket: with the
 * default 64 KiB window per stream, each page is let through only as the client acknowledges the
 * last one. WebSocket is HTTP/1.1 only.
 */
describe("over HTTP/2", () => {
  it.each(["stream", "sse"] as const)("%s: a reader 10 MB behind catches up without being cut off", async (transport) => {
    const before = await cutoffs(transport);
    const from = publishBacklog();
    const client = await H2Client.connect(server.secureUrl ?? "");
    const held = await client.open(`/api/${transport}?after=${from}`);
    await held.waitFor((s) => s.messages.length === MESSAGES, `${MESSAGES} messages`, 20_000);
    const live = await server.app.lab.feed.publish({ from: "live", text: "after the catch-up" });
    await held.waitFor((s) => s.messages.length === MESSAGES + 1, "the live message", 10_000);
    client.close();
    expect(held.messages.map((m) => m.id)).toEqual(Array.from({ length: MESSAGES + 1 }, (_, i) => from + 1 + i));
    expect(held.messages.at(-1)?.id).toBe(live.message.id);
    expect(await cutoffs(transport)).toBe(before);
  });
});
