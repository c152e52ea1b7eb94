import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatsResponse } from "../../protocol/types.js";
import { encodeClientFrame, OP } from "../helpers/raw-ws.js";
import { eventually, RawClient, request, Target } from "./harness.js";

/**
 * Requests a hostile or careless client sends: a foreign Host (DNS rebinding), junk at every
 * layer, HEAD everywhere, resets at the worst moment, floods of wire captures. Each gets a JSON
 * `{error, message}` with the status README documents, nothing is left held, and nothing a client
 * does makes the server log at error level (checked on its whole log at the end).
 */
let target: Target;

beforeAll(async () => {
  target = await Target.start({ LAB_ADMIN_HOOKS: "1", LAB_ALLOWED_HOSTS: "lab.example" });
});

afterAll(async () => {
  await target.stop();
  expect(target.errorLines()).toEqual([]);
});

/** One raw exchange: send `raw`, read until the server closes or `untilHead` has a whole head. */
async function exchange(
  raw: string | Buffer,
  options: { untilHead?: boolean } = {},
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const client = new RawClient(target.port, { read: true });
  await client.connected;
  client.send(raw);
  await Promise.race([
    client.closed,
    eventually(() => {
      const headEnd = client.received.indexOf("\r\n\r\n");
      if (headEnd === -1) return false;
      if (options.untilHead === true) return true;
      const length = /\r\ncontent-length: *(\d+)/i.exec(client.received.slice(0, headEnd))?.[1];
      return length !== undefined && client.received.length >= headEnd + 4 + Number(length);
    }, "a whole answer"),
  ]);
  client.reset();
  const headEnd = client.received.indexOf("\r\n\r\n");
  const head = client.received.slice(0, headEnd).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(head[0]?.split(" ")[1]), headers, body: Buffer.from(client.received.slice(headEnd + 4), "latin1").toString("utf8") };
}

function expectApiError(answer: { status: number; headers: Record<string, string>; body: string }, status: number, error: string): void {
  expect(answer.status).toBe(status);
  expect(answer.headers["content-type"]).toMatch(/^application\/json/);
  expect(JSON.parse(answer.body)).toEqual({ error, message: expect.any(String) });
}

const wsHandshake = { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==" };

describe("DNS rebinding: a request for a name that is not this server is refused before routing", () => {
  const evil = { Host: "evil.example", Origin: "http://evil.example" };
  const withHost = (raw: string, host: string): string => raw.replace("Host: 127.0.0.1", `Host: ${host}`);
  const cases: [string, string][] = [
    ["publish", request("POST", "/api/messages", { "Content-Type": "application/json", Origin: evil.Origin }, '{"from":"a","text":"b"}')],
    ["poll", request("GET", "/api/poll", { Origin: evil.Origin })],
    ["long poll", request("GET", "/api/long-poll", { Origin: evil.Origin })],
    ["stream", request("GET", "/api/stream", { Origin: evil.Origin })],
    ["SSE", request("GET", "/api/sse", { Origin: evil.Origin })],
    ["WebSocket upgrade", request("GET", "/api/ws", { ...wsHandshake, Origin: evil.Origin })],
    ["admin drop", request("POST", "/api/admin/drop", { Origin: evil.Origin })],
    ["stats", request("GET", "/api/stats")],
  ];
  it.each(cases)("%s with Host: evil.example gets 403", async (_name, raw) => {
    expectApiError(await exchange(withHost(raw, evil.Host)), 403, "forbidden");
  });

  it.each(["127.0.0.1", "localhost", "[::1]", "lab.example", "LAB.example.", "app.localhost"])("Host: %s (with the port) is served", async (host) => {
    const answer = await exchange(withHost(request("GET", "/api/poll"), `${host}:${target.port}`));
    expect(answer.status).toBe(200);
  });

  it("nothing was published or dropped by the refused requests", async () => {
    const stats = (await (await fetch(`${target.url}/api/stats`)).json()) as StatsResponse;
    expect(stats.feed.retained).toBe(0);
  });
});

describe("every refusal is {error, message} with README's status", () => {
  it("a text/plain body: 415", async () => {
    expectApiError(await exchange(request("POST", "/api/messages", { "Content-Type": "text/plain" }, "hello")), 415, "unsupported_media_type");
  });
  it("a body that is not JSON: 400", async () => {
    expectApiError(await exchange(request("POST", "/api/messages", { "Content-Type": "application/json" }, "{nope")), 400, "bad_request");
  });
  it("a request line that is not HTTP: 400, then closed", async () => {
    expectApiError(await exchange("HELLO THERE\r\n\r\n"), 400, "bad_request");
  });
  it("headers over Node's limit: 431", async () => {
    expectApiError(await exchange(request("GET", "/api/poll", { "X-Big": "a".repeat(20_000) })), 431, "headers_too_large");
  });
  it("Expect: foo: 417", async () => {
    expectApiError(await exchange(request("GET", "/api/poll", { Expect: "foo" })), 417, "expectation_failed");
  });
  it("a malformed URL: 400", async () => {
    expectApiError(await exchange(request("GET", "/%zz")), 400, "bad_request");
  });
  it("a WebSocket upgrade without a key: 400 in JSON, not ws's text/html", async () => {
    const { "Sec-WebSocket-Key": _key, ...noKey } = wsHandshake;
    expectApiError(await exchange(request("GET", "/api/ws", noKey)), 400, "bad_request");
  });
  it("Sec-WebSocket-Version: 8: 426 naming version 13", async () => {
    const answer = await exchange(request("GET", "/api/ws", { ...wsHandshake, "Sec-WebSocket-Version": "8" }));
    expectApiError(answer, 426, "upgrade_required");
    expect(answer.headers["sec-websocket-version"]).toBe("13");
  });
  it("a plain GET on /api/ws: 426", async () => {
    expectApiError(await exchange(request("GET", "/api/ws")), 426, "upgrade_required");
  });
});

describe("HEAD answers at once on every route and holds nothing", () => {
  beforeAll(async () => {
    await fetch(`${target.url}/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"from":"a","text":"so that streams have something to send"}',
    });
  });
  const routes = [
    "/api/poll",
    "/api/long-poll",
    "/api/stream",
    "/api/stream?after=0",
    "/api/sse",
    "/api/ws",
    "/api/stats",
    "/api/health",
    "/metrics",
    "/api/reports",
    "/api/wire/sse",
    "/",
    "/nope",
  ];
  it.each(routes)("HEAD %s", async (path) => {
    const answer = await exchange(request("HEAD", path), { untilHead: true });
    expect(answer.status).toBeGreaterThanOrEqual(200);
    expect(answer.body).toBe("");
    await eventually(async () => {
      const health = await target.health();
      return health.heldConnections === 0 && health.subscribers === 0;
    }, "nothing held after the HEAD");
  });
});

describe("resets and junk never become an error-level log line or a 5xx", () => {
  it("publishes reset before the rate limiter has run", async () => {
    for (let round = 0; round < 10; round++) {
      const clients = Array.from({ length: 50 }, () => new RawClient(target.port));
      await Promise.all(clients.map((client) => client.connected));
      for (const client of clients) {
        client.send(request("POST", "/api/messages", { "Content-Type": "application/json" }, '{"from":"a","text":"b"}'));
        client.reset();
      }
      await Promise.all(clients.map((client) => client.closed));
    }
    // The server is fine and says nothing about it (afterAll reads its log).
    expect((await fetch(`${target.url}/api/stats`)).status).toBe(200);
  });

  it("WebSocket protocol errors (unmasked frames, bad opcodes) on 50 connections", async () => {
    const clients = Array.from({ length: 50 }, (_, _i) => new RawClient(target.port, { read: true }));
    await Promise.all(clients.map((client) => client.connected));
    clients.forEach((client, i) => {
      client.send(request("GET", "/api/ws", wsHandshake));
      client.send(i % 2 === 0 ? encodeClientFrame({ opcode: OP.text, payload: "{}", mask: false }) : encodeClientFrame({ opcode: 0x3, payload: "x" }));
    });
    await Promise.all(clients.map((client) => client.closed));
    const stats = (await (await fetch(`${target.url}/api/stats`)).json()) as StatsResponse;
    expect(stats.transports.ws.clientErrors).toBeGreaterThanOrEqual(50);
  });
});

describe("/api/wire: a few captures at a time, none of them counted", () => {
  it("40 at once: the rest get 429 with Retry-After, and no transport's figures move", async () => {
    const before = (await (await fetch(`${target.url}/api/stats`)).json()) as StatsResponse;
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => fetch(`${target.url}/api/wire/${["poll", "long-poll", "stream", "sse", "ws"][i % 5]}`)),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status !== 200 && status !== 429)).toEqual([]);
    expect(statuses).toContain(200);
    const bodies = await Promise.all(answers.map((answer) => answer.text()));
    const refused = answers.findIndex((answer) => answer.status === 429);
    expect(answers[refused]?.headers.get("retry-after")).toBe("1");
    expect(JSON.parse(bodies[refused] ?? "null")).toEqual({ error: "too_many_requests", message: expect.stringContaining("at most 4") });
    await eventually(async () => (await target.health()).heldConnections === 0, "captures to end");
    const after = (await (await fetch(`${target.url}/api/stats`)).json()) as StatsResponse;
    for (const transport of ["poll", "long-poll", "stream", "sse", "ws"] as const) {
      expect({ transport, ...after.transports[transport], open: 0 }).toEqual({ transport, ...before.transports[transport], open: 0 });
    }
  });

  it("the captures' client id is refused from anyone else", async () => {
    const capture = (await (await fetch(`${target.url}/api/wire/poll`)).json()) as { request: string };
    const client = /client=(wire-[0-9a-f]+)/.exec(capture.request)?.[1];
    expect(client).toBeDefined();
    const forged = await fetch(`${target.url}/api/poll?client=${client}`);
    expect(forged.status).toBe(400);
    expect(await forged.json()).toEqual({ error: "bad_request", message: expect.stringContaining("reserved") });
  });
});
