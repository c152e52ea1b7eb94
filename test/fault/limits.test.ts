import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { StatsResponse } from "../../protocol/types.js";
import { HELD_TRANSPORTS, type HeldAnswer, type HeldTransport, openHeld } from "../helpers/held.js";
import { clientFor, HTTP_VERSIONS, openHeldOver } from "../helpers/http-versions.js";
import { startServer, waitFor, type TestServer } from "../helpers/server.js";

let server: TestServer | undefined;
const opened: HeldAnswer[] = [];

afterEach(async () => {
  for (const held of opened.splice(0)) held.close();
  await server?.close();
  server = undefined;
});

async function stats(s: TestServer): Promise<StatsResponse> {
  return (await (await fetch(`${s.url}/api/stats`)).json()) as StatsResponse;
}

async function metric(s: TestServer, name: string, transport: string): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{transport="${transport}"}`));
  return Number(line?.split(" ")[1] ?? Number.NaN);
}

/**
 * The caps on HTTP/1.1 and on HTTP/2, where a held connection is one stream. WebSocket is HTTP/1.1
 * only (RFC 8441 is not offered; an HTTP/2 request to /api/ws gets 426, test/server/h2-transports.test.ts).
 */
describe.each(HTTP_VERSIONS)("held-connection caps over %s", (version) => {
  const transports = version === "HTTP/1.1" ? HELD_TRANSPORTS : HELD_TRANSPORTS.filter((t) => t !== "ws");
  const open = (s: TestServer, transport: HeldTransport, options: Parameters<typeof openHeld>[2] = {}): Promise<HeldAnswer> =>
    transport === "ws" ? openHeld(s.port, transport, options) : openHeldOver(version, s, transport, options);

  it.each(transports)("%s: over the global cap gets 503 with Retry-After, counted as refused, and a slot frees on close", async (transport) => {
    server = await startServer({ maxHeldConnections: 2, maxHeldPerIp: 100, retryAfterSeconds: 7 }, { tls: version === "HTTP/2" });
    const s = server;
    for (let i = 0; i < 2; i++) {
      const held = await open(s, transport, { held: () => s.app.heldConnections.size === i + 1 });
      opened.push(held);
      expect(held.status).toBe(transport === "ws" ? 101 : 200);
    }
    const refused = await open(s, transport, { held: () => false });
    expect(refused.status).toBe(503);
    expect(refused.headers["retry-after"]).toBe("7");
    expect(JSON.parse(refused.body)).toMatchObject({ error: "unavailable", message: expect.stringContaining("maximum") });
    expect((await stats(s)).transports[transport].refused).toBe(1);
    expect(await metric(s, "lab_refused_total", transport)).toBe(1);

    opened.shift()?.close();
    await waitFor(() => s.app.heldConnections.size === 1, "the closed connection's slot to be released");
    const again = await open(s, transport, { held: () => s.app.heldConnections.size === 2 });
    opened.push(again);
    expect(again.status).toBe(transport === "ws" ? 101 : 200);
  });

  it.each(transports)("%s: over the per-IP cap gets 429 while another address is still served", async (transport) => {
    server = await startServer({ maxHeldConnections: 100, maxHeldPerIp: 2 }, { tls: version === "HTTP/2" });
    const s = server;
    for (let i = 0; i < 2; i++) {
      opened.push(await open(s, transport, { localAddress: "127.0.0.1", held: () => s.app.heldConnections.size === i + 1 }));
    }
    const refused = await open(s, transport, { localAddress: "127.0.0.1", held: () => false });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    expect(JSON.parse(refused.body)).toMatchObject({ error: "too_many_requests" });
    if (transport !== "ws") {
      // 127.0.0.2 is another loopback address: another client as far as the server can tell.
      const other = await open(s, transport, { localAddress: "127.0.0.2", held: () => s.app.heldConnections.size === 3 });
      opened.push(other);
      expect(other.status).toBe(200);
    }
  });
});

describe("held-connection caps across transports", () => {
  it("mixes transports in one budget, and a refused WebSocket never upgrades", async () => {
    server = await startServer({ maxHeldConnections: 4, maxHeldPerIp: 100 });
    const s = server;
    for (const transport of HELD_TRANSPORTS) {
      const before = s.app.heldConnections.size;
      opened.push(await openHeld(s.port, transport, { held: () => s.app.heldConnections.size === before + 1 }));
    }
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/api/ws`);
    const status = await new Promise<number>((resolve) => {
      ws.on("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
      ws.on("open", () => resolve(101));
      ws.on("error", () => undefined);
    });
    expect(status).toBe(503);
    ws.terminate();
    // Short polls hold nothing, so they are never refused by the cap.
    expect((await fetch(`${s.url}/api/poll`)).status).toBe(200);
  });
});

describe.each(HTTP_VERSIONS)("publish rate limit over %s", (version) => {
  it("answers 429 with Retry-After past the budget, and counts it", async () => {
    server = await startServer({ publishRateMax: 5, publishRateWindowMs: 60_000 }, { tls: version === "HTTP/2" });
    const s = server;
    const client = await clientFor(version, s);
    const post = (): ReturnType<typeof client.request> =>
      client.request("POST", "/api/messages", { headers: { "content-type": "application/json" }, body: JSON.stringify({ from: "flood", text: "x" }) });
    try {
      for (let i = 0; i < 5; i++) expect((await post()).status).toBe(201);
      const refused = await post();
      expect(refused.status).toBe(429);
      expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
      expect(JSON.parse(refused.body)).toMatchObject({ error: "too_many_requests", message: expect.stringContaining("rate limit") });
      expect((await stats(s)).transports.publish.refused).toBe(1);
      expect(s.app.lab.feed.retained).toBe(5);
    } finally {
      client.close();
    }
  });
});

describe("publish rate limit shared with WebSocket (HTTP/1.1: WebSocket is not offered over HTTP/2)", () => {
  const body = JSON.stringify({ from: "flood", text: "x" });
  const post = (s: TestServer): Promise<Response> => fetch(`${s.url}/api/messages`, { method: "POST", headers: { "content-type": "application/json" }, body });

  it("shares the budget with WebSocket sends: error frames, then close 1008 if it goes on", async () => {
    server = await startServer({ publishRateMax: 3, publishRateWindowMs: 60_000, wsRateCloseAfter: 4 });
    const s = server;
    expect((await post(s)).status).toBe(201);
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/api/ws`);
    const frames: { type?: string; error?: string; nonce?: string }[] = [];
    ws.on("message", (data) => frames.push(JSON.parse(String(data)) as { type?: string }));
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: String(reason) })));
    await new Promise((resolve) => ws.on("open", resolve));
    for (let i = 0; i < 10; i++) ws.send(JSON.stringify({ type: "send", from: "flood", text: `m${i}`, nonce: `n${i}` }));
    const { code, reason } = await closed;
    const kinds = frames.filter((f) => f.type === "ack" || f.type === "error").map((f) => `${f.type}:${f.nonce ?? ""}`);
    // 1 over HTTP + 2 over WS = the budget of 3; the next 4 are refused; the 5th refusal closes.
    expect(kinds).toEqual(["ack:n0", "ack:n1", "error:n2", "error:n3", "error:n4", "error:n5"]);
    expect(frames.find((f) => f.type === "error")).toMatchObject({ error: "rate_limited" });
    expect(code).toBe(1008);
    expect(reason).toMatch(/rate limit/);
    expect((await stats(s)).transports.ws.refused).toBe(5);
    expect(s.app.lab.feed.retained).toBe(3);
  });
});
