import net from "node:net";
import { request } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PollResponse } from "../../protocol/types.js";
import { startServer, waitFor, type TestServer } from "../helpers/server.js";
import { publish } from "../helpers/subscribers.js";

async function longPoll(url: string): Promise<{ status: number; body: PollResponse }> {
  const { statusCode, body } = await request(url);
  return { status: statusCode, body: (await body.json()) as PollResponse };
}

describe("long polling", () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it("answers an empty list with the same cursor when the timeout passes", async () => {
    const last = await publish(server.url, "seen");
    const { status, body } = await longPoll(`${server.url}/api/long-poll?after=${last.id}&timeout=150`);
    expect(status).toBe(200);
    expect(body).toEqual({ messages: [], cursor: last.id, more: false });
    expect(server.app.lab.feed.subscriberCount).toBe(0);
  });

  it("answers at once when messages are already after the cursor", async () => {
    const first = await publish(server.url, "a");
    const second = await publish(server.url, "b");
    const { body } = await longPoll(`${server.url}/api/long-poll?after=${first.id}&timeout=60000`);
    expect(body.messages.map((m) => m.id)).toEqual([second.id]);
    expect(body.cursor).toBe(second.id);
  });

  it("wakes every waiter with the new message", async () => {
    const last = await publish(server.url, "seen");
    const waiters = Array.from({ length: 5 }, () => longPoll(`${server.url}/api/long-poll?after=${last.id}&timeout=30000`));
    await waitFor(() => server.app.lab.feed.subscriberCount === 5, "five held long polls");
    const sent = await publish(server.url, "wake up");
    for (const { status, body } of await Promise.all(waiters)) {
      expect(status).toBe(200);
      expect(body.messages).toEqual([sent]);
      expect(body.cursor).toBe(sent.id);
    }
    expect(server.app.lab.feed.subscriberCount).toBe(0);
  });

  it("leaves no waiter, timer or open request behind when the client aborts", async () => {
    const socket = net.connect(server.port, "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(`GET /api/long-poll?timeout=60000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    await waitFor(() => server.app.lab.feed.subscriberCount === 1, "the held long poll");
    expect(server.app.lab.stats.transports["long-poll"].open).toBe(1);
    socket.destroy();
    await waitFor(() => server.app.lab.feed.subscriberCount === 0, "the waiter to be released");
    await waitFor(() => server.app.lab.stats.transports["long-poll"].open === 0, "the request to be closed");
    expect(server.app.lab.stats.transports["long-poll"].disconnects).toBe(1);
  });

  it("clamps the timeout to the configured maximum", async () => {
    await server.close();
    server = await startServer({ longPollDefaultMs: 50, longPollMaxMs: 100 });
    const { body } = await longPoll(`${server.url}/api/long-poll?timeout=99999999`);
    expect(body.messages).toEqual([]);
  });

  it("is answered (empty) when the server shuts down", async () => {
    const pending = longPoll(`${server.url}/api/long-poll?timeout=60000`);
    await waitFor(() => server.app.lab.feed.subscriberCount === 1, "the held long poll");
    await server.close();
    const { status, body } = await pending;
    expect(status).toBe(200);
    expect(body.messages).toEqual([]);
    server = await startServer();
  });
});
