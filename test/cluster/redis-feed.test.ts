import http from "node:http";
import { Client } from "@stomp/stompjs";
import { Redis } from "ioredis";
import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { ChatMessage, PollResponse, RedisStatus, ResetSignal, ServerFrame } from "../../protocol/types.js";
import type { HealthResponse } from "../../server/metering/health.js";
import { buildApp } from "../../server/app.js";
import { resolveConfig } from "../../server/config.js";
import { freePort } from "../helpers/child-server.js";
import { REDIS_SERVER, type RedisProcess, startRedis } from "../helpers/redis-server.js";
import { startServer, type TestServer, waitFor, waitForAsync } from "../helpers/server.js";
import { publish, TestSubscriber } from "../helpers/subscribers.js";

/**
 * The Redis-backed feed with several real instances (in this process, each listening on its own
 * port) sharing one real redis-server: every transport on every instance, publishes through every
 * instance, polls that change instance on every request, and Redis going away and coming back.
 */

if (REDIS_SERVER === null) console.warn("test/cluster/redis-feed: skipped, redis-server is not installed (apt-get install redis-server)");

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

let named = 0;

/** `count` instances on one Redis, named i1, i2... (their Redis connections are `lab-feed-reader:i1`...). */
async function instances(redis: RedisProcess, count: number): Promise<TestServer[]> {
  const servers: TestServer[] = [];
  for (let i = 0; i < count; i++) {
    const server = await startServer({ redisUrl: redis.url, instance: `i${++named}`, heartbeatMs: 500, retryAfterSeconds: 1 });
    closers.push(() => server.close());
    servers.push(server);
  }
  return servers;
}

async function health(server: TestServer): Promise<HealthResponse & { redis: RedisStatus }> {
  const answer = (await (await fetch(`${server.url}/api/health`)).json()) as HealthResponse;
  if (answer.redis === undefined) throw new Error("no redis section in /api/health");
  return answer as HealthResponse & { redis: RedisStatus };
}

/** A poll or long-poll client whose every request goes to the next instance, round robin. */
class RotatingPoller {
  readonly messages: ChatMessage[] = [];
  readonly resets: ResetSignal[] = [];
  /** Answers that were not 200 (503 while Redis is away), retried on the next instance. */
  readonly refused: number[] = [];
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(
    readonly mode: "poll" | "long-poll",
    private readonly servers: TestServer[],
    private cursor: number,
  ) {
    this.done = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  private async run(): Promise<void> {
    for (let turn = 0; !this.stopped; turn++) {
      const server = this.servers[turn % this.servers.length] as TestServer;
      const timeout = this.mode === "long-poll" ? "&timeout=300" : "";
      const { statusCode, body } = await request(`${server.url}/api/${this.mode}?after=${this.cursor}${timeout}`);
      if (statusCode !== 200) {
        this.refused.push(statusCode);
        await body.dump();
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      const answer = (await body.json()) as PollResponse;
      if (answer.reset !== undefined) this.resets.push(answer.reset);
      this.messages.push(...answer.messages);
      this.cursor = answer.cursor;
      if (this.mode === "poll" && !answer.more) await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

/** A WebSocket publisher: `send` resolves with the ack's id, or with the error frame's code. */
async function wsPublisher(server: TestServer): Promise<{ send(text: string): Promise<number | string>; socket: WebSocket }> {
  const socket = new WebSocket(`${server.url.replace("http", "ws")}/api/ws?after=${server.app.lab.feed.lastId}`);
  closers.push(() => socket.terminate());
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  const pending = new Map<string, (result: number | string) => void>();
  socket.on("message", (data) => {
    const frame = JSON.parse(String(data)) as ServerFrame;
    if (!("type" in frame)) return;
    if (frame.type === "ack" && frame.nonce !== undefined) pending.get(frame.nonce)?.(frame.id);
    else if (frame.type === "error" && frame.nonce !== undefined) pending.get(frame.nonce)?.(frame.error);
  });
  let sent = 0;
  return {
    socket,
    send: (text) =>
      new Promise((resolve) => {
        const nonce = `ws-${sent++}`;
        pending.set(nonce, resolve);
        socket.send(JSON.stringify({ type: "send", from: "ws", text, nonce }));
      }),
  };
}

/** @stomp/stompjs over ws to /api/stomp, connected. */
async function stompClient(server: TestServer): Promise<Client> {
  const client = new Client({
    webSocketFactory: () => new WebSocket(`${server.url.replace("http", "ws")}/api/stomp`, ["v12.stomp"]),
    reconnectDelay: 0,
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
  });
  closers.push(() => client.deactivate({ force: true }));
  await new Promise<void>((resolve, reject) => {
    client.onConnect = () => resolve();
    client.onStompError = (frame) => reject(new Error(frame.headers.message));
    client.activate();
  });
  return client;
}

/** SEND with a receipt: resolves with the stored id (the receipt's x-message-id), or the ERROR frame's message. */
function stompSend(client: Client, text: string, receipt: string): Promise<number | string> {
  return new Promise((resolve) => {
    client.watchForReceipt(receipt, (frame) => resolve(Number(frame.headers["x-message-id"])));
    client.onStompError = (frame) => resolve(`ERROR ${frame.headers.message}`);
    client.publish({ destination: "/app/chat", body: JSON.stringify({ from: "stomp", text }), headers: { receipt } });
  });
}

function stompSubscriber(client: Client, after: number): ChatMessage[] {
  const received: ChatMessage[] = [];
  client.subscribe("/topic/messages", (message) => received.push(JSON.parse(message.body) as ChatMessage), { "x-after": String(after) });
  return received;
}

/** Close `server`'s connection that follows the log (it reconnects after ~100 ms, then reads what it missed). */
async function cutReader(admin: Redis, server: TestServer): Promise<void> {
  const name = `lab-feed-reader:${server.config.instance}`;
  const line = String(await admin.client("LIST"))
    .split("\n")
    .find((entry) => entry.includes(`name=${name} `));
  const id = line === undefined ? undefined : /\bid=(\d+)/.exec(line)?.[1];
  if (id === undefined) throw new Error(`no Redis connection named ${name}`);
  await admin.client("KILL", "ID", id);
}

/** Every subscriber got exactly `ids`, in order, once each. */
function expectExactly(label: string, received: ChatMessage[], ids: number[]): void {
  expect(
    received.map((m) => m.id),
    label,
  ).toEqual(ids);
}

/** The acknowledged ids, sorted: they must be contiguous. */
function contiguous(acked: number[]): number[] {
  const sorted = [...acked].sort((a, b) => a - b);
  const first = sorted[0] ?? 0;
  expect(sorted).toEqual(sorted.map((_, i) => first + i));
  return sorted;
}

describe.skipIf(REDIS_SERVER === null)("the Redis-backed feed across instances", () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it("delivers every message published through any instance to subscribers of every transport on every instance, exactly once, in order", async () => {
    const servers = await instances(redis, 3);
    const [a, b, c] = servers as [TestServer, TestServer, TestServer];
    const start = a.app.lab.feed.lastId;
    expect(b.app.lab.feed.lastId).toBe(start);

    const held = [new TestSubscriber("stream", a.url, start), new TestSubscriber("sse", b.url, start), new TestSubscriber("ws", c.url, start)];
    for (const subscriber of held) {
      await subscriber.connect();
      closers.push(() => subscriber.close());
    }
    const stompReader = await stompClient(a);
    const stompReceived = stompSubscriber(stompReader, start);
    const pollers = [new RotatingPoller("poll", servers, start), new RotatingPoller("long-poll", servers, start)];
    closers.push(async () => {
      for (const poller of pollers) await poller.stop();
    });

    const ws = await wsPublisher(b);
    const stompWriter = await stompClient(c);
    const perPublisher = 20;
    const results = await Promise.all([
      (async () => {
        const ids: (number | string)[] = [];
        for (let i = 0; i < perPublisher; i++) ids.push((await publish(a.url, `http ${i}`, "http")).id);
        return ids;
      })(),
      (async () => {
        const ids: (number | string)[] = [];
        for (let i = 0; i < perPublisher; i++) ids.push(await ws.send(`ws ${i}`));
        return ids;
      })(),
      (async () => {
        const ids: (number | string)[] = [];
        for (let i = 0; i < perPublisher; i++) ids.push(await stompSend(stompWriter, `stomp ${i}`, `r${i}`));
        return ids;
      })(),
    ]);
    const acked = results.flat();
    expect(acked.every((id) => typeof id === "number")).toBe(true);
    const ids = contiguous(acked as number[]);
    expect(ids[0]).toBe(start + 1);
    const last = ids.at(-1) as number;

    await waitFor(
      () => held.every((s) => s.messages.length >= ids.length) && stompReceived.length >= ids.length && pollers.every((p) => p.messages.length >= ids.length),
      "every subscriber to have every message",
      20_000,
    );
    for (const poller of pollers) await poller.stop();
    for (const subscriber of held) {
      expectExactly(subscriber.transport, subscriber.messages, ids);
      expect(subscriber.resets).toEqual([]);
    }
    expectExactly("stomp-ws", stompReceived, ids);
    for (const poller of pollers) {
      expectExactly(poller.mode, poller.messages, ids);
      expect(poller.resets).toEqual([]);
    }
    // The same bytes from every instance: the JSON the publishing instance stored.
    for (const server of servers) {
      expect(server.app.lab.feed.lastId).toBe(last);
      const page = server.app.lab.feed.read(start, ids.length, Number.POSITIVE_INFINITY);
      expect(page.entries.map((entry) => entry.json)).toEqual(a.app.lab.feed.read(start, ids.length, Number.POSITIVE_INFINITY).entries.map((e) => e.json));
      const status = (await health(server)).redis;
      expect(status).toMatchObject({ connected: true, lagMessages: 0, discontinuities: 0, publishFailures: 0 });
    }
    const stats = (await (await fetch(`${c.url}/api/stats`)).json()) as { feed: { lastId: number; redis?: RedisStatus } };
    expect(stats.feed).toMatchObject({ lastId: last, redis: { connected: true, lagMessages: 0 } });
    const metrics = await (await fetch(`${b.url}/metrics`)).text();
    expect(metrics).toMatch(/^lab_redis_connected 1$/m);
    expect(metrics).toMatch(/^lab_redis_lag_messages 0$/m);
  });

  it("a new instance starts with the log's history, and serves a cursor another instance handed out", async () => {
    const [a] = await instances(redis, 1);
    const first = await publish((a as TestServer).url, "before the second instance");
    const [b] = await instances(redis, 1);
    const answer = (await (await fetch(`${(b as TestServer).url}/api/poll?after=${first.id - 1}`)).json()) as PollResponse;
    expect(answer.messages).toEqual([first]);
    expect(answer.reset).toBeUndefined();
    // A cursor beyond every id in the log is unknown on any instance.
    const unknown = (await (await fetch(`${(b as TestServer).url}/api/poll?after=${first.id + 1_000}`)).json()) as PollResponse;
    expect(unknown.reset).toMatchObject({ reason: "unknown", requested: first.id + 1_000 });
  });

  it("a poll or long poll with a cursor this instance has not applied yet waits for it instead of resetting it", async () => {
    const [a, b] = (await instances(redis, 2)) as [TestServer, TestServer];
    const admin = new Redis(redis.url);
    closers.push(() => void admin.disconnect());
    await cutReader(admin, b);
    const first = await publish(a.url, "one");
    const second = await publish(a.url, "two");
    // b has not read them (its reader is reconnecting): the cursor a handed out is ahead of b.
    expect(b.app.lab.feed.lastId).toBeLessThan(first.id);
    for (const mode of ["poll", "long-poll"] as const) {
      const timeout = mode === "long-poll" ? "&timeout=1000" : "";
      const answer = (await (await fetch(`${b.url}/api/${mode}?after=${first.id}${timeout}`)).json()) as PollResponse;
      expect(answer.reset).toBeUndefined();
      expect(answer.messages).toEqual([second]);
    }
  });

  it("after Redis lost its data, ids restart above every earlier one and an earlier cursor gets an explicit reset", async () => {
    const servers = await instances(redis, 2);
    const [a, b] = servers as [TestServer, TestServer];
    const before = await publish(a.url, "before the flush");
    // A stream held on b: dropped when b finds its history gone, so that its client reconnects and hears the reset.
    let streamClosed = false;
    const stream = http.get(`${b.url}/api/stream?after=${before.id}`, { agent: false }, (response) => {
      response.resume();
      response.on("close", () => (streamClosed = true));
    });
    stream.on("error", () => (streamClosed = true));
    closers.push(() => void stream.destroy());
    await waitFor(() => b.app.lab.feed.subscriberCount === 1, "the stream to subscribe on b");
    const admin = new Redis(redis.url);
    closers.push(() => void admin.disconnect());
    await admin.flushall();
    const after = await publish(a.url, "after the flush");
    expect(after.id).toBeGreaterThan(before.id);
    await waitFor(() => b.app.lab.feed.lastId === after.id, "the other instance to follow the new sequence");
    for (const server of servers) {
      const answer = (await (await fetch(`${server.url}/api/poll?after=${before.id}`)).json()) as PollResponse;
      expect(answer.reset).toMatchObject({ reason: "expired", requested: before.id });
      expect(answer.messages).toEqual([after]);
    }
    expect((await health(b)).redis.discontinuities).toBe(1);
    await waitFor(() => streamClosed, "b to drop the stream it held");
  });
});

describe("a Redis that cannot be reached at start", () => {
  it("stops the start with the reason, before anything listens", async () => {
    const port = await freePort();
    await expect(buildApp(resolveConfig({ port: 0, redisUrl: `redis://127.0.0.1:${port}` }))).rejects.toThrow(
      /cannot use Redis at LAB_REDIS_URL: .*ECONNREFUSED/,
    );
  });
});

describe.skipIf(REDIS_SERVER === null)("Redis stopped, then restarted", () => {
  it("refuses publishes while it is away (503 + Retry-After, an error frame, STOMP ERROR), keeps subscribers connected, and loses nothing acknowledged", async () => {
    const redis = await startRedis({ persistent: true });
    closers.push(() => redis.dispose());
    const servers = await instances(redis, 2);
    const [a, b] = servers as [TestServer, TestServer];
    const start = a.app.lab.feed.lastId;
    const held = [new TestSubscriber("stream", a.url, start), new TestSubscriber("sse", b.url, start), new TestSubscriber("ws", b.url, start)];
    for (const subscriber of held) {
      await subscriber.connect();
      closers.push(() => subscriber.close());
    }
    const stompReader = await stompClient(a);
    const stompReceived = stompSubscriber(stompReader, start);
    const pollers = [new RotatingPoller("poll", servers, start), new RotatingPoller("long-poll", servers, start)];
    closers.push(async () => {
      for (const poller of pollers) await poller.stop();
    });
    const ws = await wsPublisher(b);
    const acked: number[] = [];
    for (let i = 0; i < 5; i++) acked.push((await publish(a.url, `before ${i}`)).id);
    for (let i = 0; i < 5; i++) acked.push((await ws.send(`before ws ${i}`)) as number);

    await redis.stop();
    await waitForAsync(async () => !(await health(a)).redis.connected && !(await health(b)).redis.connected, "both instances to see Redis gone");
    const refused = await request(`${a.url}/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ from: "http", text: "while Redis is down" }),
    });
    expect(refused.statusCode).toBe(503);
    expect(refused.headers["retry-after"]).toBe("1");
    expect(await refused.body.json()).toMatchObject({ error: "unavailable" });
    expect(await ws.send("while Redis is down")).toBe("unavailable");
    // A cursor ahead of this instance cannot be checked while Redis is away: 503, for an upgrade too.
    const ahead = a.app.lab.feed.lastId + 1;
    const poll = await request(`${a.url}/api/poll?after=${ahead}`);
    expect(poll.statusCode).toBe(503);
    expect(poll.headers["retry-after"]).toBe("1");
    await poll.body.dump();
    const upgrade = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(`${a.url.replace("http", "ws")}/api/ws?after=${ahead}`);
      socket.once("unexpected-response", (_request, response) => {
        resolve(response.statusCode ?? 0);
        response.destroy();
      });
      socket.on("error", () => undefined);
      socket.once("open", () => reject(new Error("upgraded with a cursor that could not be checked")));
    });
    expect(upgrade).toBe(503);
    const stompWriter = await stompClient(b);
    expect(await stompSend(stompWriter, "while Redis is down", "down")).toMatch(/^ERROR .*Redis/);
    expect((await health(a)).redis.publishFailures).toBeGreaterThanOrEqual(1);
    expect((await health(b)).redis.publishFailures).toBeGreaterThanOrEqual(2);

    await redis.start();
    await waitForAsync(async () => (await health(a)).redis.connected && (await health(b)).redis.connected, "both instances to reconnect", 10_000);
    for (let i = 0; i < 5; i++) acked.push((await publish(b.url, `after ${i}`)).id);
    for (let i = 0; i < 5; i++) acked.push((await ws.send(`after ws ${i}`)) as number);
    const ids = contiguous(acked);
    expect(ids[0]).toBe(start + 1);

    await waitFor(
      () => held.every((s) => s.messages.length >= ids.length) && stompReceived.length >= ids.length && pollers.every((p) => p.messages.length >= ids.length),
      "every subscriber to catch up",
      20_000,
    );
    for (const poller of pollers) await poller.stop();
    // The same connections throughout (TestSubscriber does not reconnect): none was dropped.
    for (const subscriber of held) {
      expectExactly(subscriber.transport, subscriber.messages, ids);
      expect(subscriber.resets).toEqual([]);
    }
    expectExactly("stomp-ws", stompReceived, ids);
    expect(stompReader.connected).toBe(true);
    for (const poller of pollers) {
      expectExactly(poller.mode, poller.messages, ids);
      expect(poller.resets).toEqual([]);
    }
    for (const server of servers) expect((await health(server)).redis).toMatchObject({ connected: true, lagMessages: 0, discontinuities: 0 });
  });

  it("an instance shuts down at once while Redis is away", async () => {
    const redis = await startRedis();
    closers.push(() => redis.dispose());
    const server = await startServer({ redisUrl: redis.url });
    await redis.stop();
    await waitForAsync(async () => !(await health(server)).redis.connected, "the instance to see Redis gone");
    await server.close();
    expect(server.app.server.listening).toBe(false);
  });

  it("a reader cut off from Redis while others publish fills the gap from the log when it reconnects", async () => {
    const redis = await startRedis();
    closers.push(() => redis.dispose());
    const servers = await instances(redis, 2);
    const [a, b] = servers as [TestServer, TestServer];
    const start = a.app.lab.feed.lastId;
    const subscriber = new TestSubscriber("stream", b.url, start);
    await subscriber.connect();
    closers.push(() => subscriber.close());
    const admin = new Redis(redis.url);
    closers.push(() => void admin.disconnect());
    // Cut b's reader, then publish through a before it reconnects (it waits 100 ms first).
    await cutReader(admin, b);
    const acked: number[] = [];
    for (let i = 0; i < 10; i++) acked.push((await publish(a.url, `during ${i}`)).id);
    const ids = contiguous(acked);
    await subscriber.waitForMessages(ids.length);
    expectExactly("stream", subscriber.messages, ids);
    const status = (await health(b)).redis;
    expect(status.gapFills).toBeGreaterThanOrEqual(1);
    expect(status.gapFilledMessages).toBeGreaterThanOrEqual(1);
    expect(status.discontinuities).toBe(0);
  });
});
