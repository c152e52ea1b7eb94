import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TRANSPORTS } from "../../protocol/types.js";
import { startServer, waitFor, type TestServer } from "../helpers/server.js";
import { publish, TestSubscriber } from "../helpers/subscribers.js";

describe.each(TRANSPORTS)("%s subscriber", (transport) => {
  let server: TestServer;
  const subscribers: TestSubscriber[] = [];
  const subscriber = (after?: number): TestSubscriber => {
    const s = new TestSubscriber(transport, server.url, after);
    subscribers.push(s);
    return s;
  };

  beforeEach(async () => {
    server = await startServer({ historySize: 100, recentLimit: 10 });
  });
  afterEach(async () => {
    for (const s of subscribers.splice(0)) s.close();
    await server.close();
  });

  it("receives every published message exactly once, in order", async () => {
    const first = await publish(server.url, "before");
    const a = subscriber(first.id);
    const b = subscriber(first.id);
    await Promise.all([a.connect(), b.connect()]);
    const sent = [];
    for (let i = 0; i < 40; i++) sent.push(await publish(server.url, `message ${i}`));
    // Delivery is in order, so a duplicate of any of the 40 would arrive before a message sent after them.
    const sentinel = await publish(server.url, "sentinel");
    const hasSentinel = (s: TestSubscriber): boolean => s.messages.some((m) => m.id === sentinel.id);
    await waitFor(() => hasSentinel(a) && hasSentinel(b), `${transport}: the sentinel after the 40 messages`);
    for (const s of [a, b]) {
      expect(s.messages.map((m) => m.id)).toEqual([...sent, sentinel].map((m) => m.id));
      expect(s.messages.map((m) => m.text)).toEqual([...sent, sentinel].map((m) => m.text));
      expect(s.cursor.duplicates).toBe(0);
      expect(s.cursor.gaps).toBe(0);
    }
  });

  it("without a cursor gets the recent history, then live messages", async () => {
    const history = [];
    for (let i = 0; i < 15; i++) history.push(await publish(server.url, `old ${i}`));
    const s = subscriber();
    await s.connect();
    await s.waitForMessages(10);
    const live = await publish(server.url, "live");
    await s.waitForMessages(11);
    expect(s.messages.map((m) => m.id)).toEqual([...history.slice(-10).map((m) => m.id), live.id]);
    expect(s.resets).toEqual([]);
  });

  it("resumes after a disconnect from its last id, missing nothing and repeating nothing", async () => {
    const start = await publish(server.url, "start");
    const s = subscriber(start.id);
    await s.connect();
    const sent = [await publish(server.url, "one"), await publish(server.url, "two")];
    await s.waitForMessages(2);
    s.close();
    sent.push(await publish(server.url, "while away 1"), await publish(server.url, "while away 2"));
    await s.connect();
    sent.push(await publish(server.url, "after return"));
    await s.waitForMessages(5);
    expect(s.messages.map((m) => m.text)).toEqual(sent.map((m) => m.text));
    expect(s.cursor.duplicates).toBe(0);
  });

  it("gets an explicit reset for a cursor older than the history", async () => {
    const first = await publish(server.url, "first");
    for (let i = 0; i < 120; i++) await publish(server.url, `filler ${i}`);
    const s = subscriber(first.id);
    await s.connect();
    await s.waitForControl("reset");
    await s.waitForMessages(10);
    const [reset] = s.resets;
    expect(reset).toMatchObject({ type: "reset", reason: "expired", requested: first.id, lastId: first.id + 120 });
    expect(s.messages[0]?.id).toBe((reset?.cursor ?? 0) + 1);
    expect(s.messages.at(-1)?.id).toBe(first.id + 120);
  });

  it("gets an explicit reset for a cursor from the future (a cursor from another server run)", async () => {
    const latest = await publish(server.url, "latest");
    const s = subscriber(latest.id + 1_000);
    await s.connect();
    await s.waitForControl("reset");
    expect(s.resets[0]).toMatchObject({ reason: "unknown", requested: latest.id + 1_000, lastId: latest.id });
    await s.waitForMessages(1);
    expect(s.messages.map((m) => m.id)).toEqual([latest.id]);
  });

  it("releases its feed subscription when the client goes away", async () => {
    const s = subscriber();
    await s.connect();
    if (transport !== "poll") await waitFor(() => server.app.lab.feed.subscriberCount === 1, "the subscription");
    s.close();
    await waitFor(() => server.app.lab.feed.subscriberCount === 0, "the subscription to be released");
    await waitFor(() => server.app.lab.stats.transports[transport].open === 0, "no open request left");
  });
});
