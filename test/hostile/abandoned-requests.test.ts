import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, RawClient, request, Target } from "./harness.js";

/**
 * Requests abandoned in every way a client can abandon them, on every route: none may leave a
 * socket (a file descriptor) or a held-connection slot behind. An `Upgrade` header on a route that
 * is not `/api/ws` used to do exactly that: Node hands such a socket over and stops managing it.
 */
let target: Target;
let baselineFds: number;

beforeAll(async () => {
  target = await Target.start();
  // Warm up whatever the first requests load lazily, then take the baseline.
  await fetch(`${target.url}/api/stats`);
  baselineFds = target.fds();
});

afterAll(async () => {
  await target.stop();
  expect(target.errorLines()).toEqual([]);
});

const upgradeX = { Connection: "Upgrade", Upgrade: "x" };
const ROUTES: { name: string; raw: string; held: boolean }[] = [
  { name: "long poll answered at once (timeout=0)", raw: request("GET", "/api/long-poll?timeout=0", upgradeX), held: false },
  { name: "long poll held", raw: request("GET", "/api/long-poll", upgradeX), held: true },
  { name: "poll", raw: request("GET", "/api/poll", upgradeX), held: false },
  { name: "stream", raw: request("GET", "/api/stream", upgradeX), held: true },
  { name: "SSE", raw: request("GET", "/api/sse", upgradeX), held: true },
  { name: "publish", raw: request("POST", "/api/messages", { ...upgradeX, "Content-Type": "application/json" }, '{"from":"a","text":"b"}'), held: false },
  { name: "stats", raw: request("GET", "/api/stats", upgradeX), held: false },
  { name: "health", raw: request("GET", "/api/health", upgradeX), held: false },
  { name: "WebSocket route with a non-WebSocket upgrade", raw: request("GET", "/api/ws", upgradeX), held: false },
  { name: "dashboard", raw: request("GET", "/", upgradeX), held: false },
  { name: "unknown route", raw: request("GET", "/nope", upgradeX), held: false },
  { name: "long poll, plain keep-alive", raw: request("GET", "/api/long-poll"), held: true },
  { name: "stream, plain keep-alive", raw: request("GET", "/api/stream"), held: true },
];

/** More than the per-address cap of held connections (256), so that one leaked slot each would lock the address out. */
const COUNT = 300;

async function abandon(raw: string, close: "fin" | "rst", waitForAnswer: boolean): Promise<void> {
  const clients = Array.from({ length: COUNT }, () => new RawClient(target.port, { read: true }));
  await Promise.all(clients.map((client) => client.connected));
  for (const client of clients) client.send(raw);
  if (waitForAnswer) await eventually(() => clients.every((client) => client.received.includes("\r\n\r\n")), "every answer's head");
  for (const client of clients) {
    if (close === "fin") client.end();
    else client.reset();
  }
  await Promise.all(clients.map((client) => client.closed));
}

describe("no abandoned request leaves a socket or a slot behind", () => {
  for (const route of ROUTES) {
    for (const close of ["fin", "rst"] as const) {
      it(`${route.name}: ${COUNT} requests, closed by the client with ${close.toUpperCase()}`, async () => {
        await abandon(route.raw, close, !route.held || route.name.includes("stream") || route.name.includes("SSE"));
        await eventually(async () => (await target.health()).heldConnections === 0, "every held slot to be released");
        await eventually(() => target.fds() <= baselineFds + 5, `file descriptors back near ${baselineFds} (now ${target.fds()})`);
        const health = await target.health();
        expect(health.subscribers).toBe(0);
        // The address is not locked out: a held connection from it is still served.
        const longPoll = await fetch(`${target.url}/api/long-poll?timeout=0`);
        expect(longPoll.status).toBe(200);
        await longPoll.text();
      });
    }
  }

  it("an upgrade to a non-WebSocket route is answered as plain HTTP with Connection: close, and the server closes the socket", async () => {
    const client = new RawClient(target.port, { read: true });
    await client.connected;
    client.send(request("GET", "/api/poll", upgradeX));
    await client.closed;
    expect(client.received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(client.received.toLowerCase()).toContain("connection: close");
    expect(client.received).toContain('"messages":[]');
  });
});
