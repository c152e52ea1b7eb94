import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { clientFor, HTTP_VERSIONS, type VersionedClient } from "../helpers/http-versions.js";
import { rawWsConnect } from "../helpers/raw-ws.js";
import { startServer, type TestServer } from "../helpers/server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ allowedOrigins: "https://lab.example.org" }, { tls: true });
});
afterAll(() => server.close());

const FOREIGN = "https://evil.example";

describe("Origin allow-list for WebSocket (HTTP/1.1 only: WebSocket is not offered over HTTP/2)", () => {
  it("refuses a WebSocket upgrade from a foreign origin with 403, before upgrading (cross-site WebSocket hijacking)", async () => {
    const { status, head, rest, socket } = await rawWsConnect(server.port, "/api/ws", { Origin: FOREIGN });
    expect(status).toBe(403);
    expect(head).not.toMatch(/sec-websocket-accept/i);
    socket.resume();
    let body = rest.toString();
    socket.on("data", (chunk: Buffer) => (body += chunk.toString()));
    await new Promise((resolve) => socket.once("close", resolve));
    expect(JSON.parse(body)).toMatchObject({ error: "forbidden", message: expect.stringContaining("evil.example") });
  });

  it("the ws library sees the same refusal", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws`, { origin: FOREIGN });
    const status = await new Promise<number>((resolve) => {
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => resolve(101));
      ws.on("error", () => undefined);
    });
    ws.terminate();
    expect(status).toBe(403);
  });

  it.each([
    ["its own origin", () => `http://127.0.0.1:${server.port}`],
    ["a loopback origin (the Vite dev server)", () => "http://localhost:5173"],
    ["a configured origin", () => "https://lab.example.org"],
  ])("accepts a WebSocket from %s", async (_name, origin) => {
    const { status, socket } = await rawWsConnect(server.port, "/api/ws", { Origin: origin() });
    socket.destroy();
    expect(status).toBe(101);
  });
});

describe.each(HTTP_VERSIONS)("Origin allow-list over %s", (version) => {
  let client: VersionedClient;
  beforeAll(async () => {
    client = await clientFor(version, server);
  });
  afterAll(() => client.close());

  it("refuses cross-origin HTTP from a foreign origin, publishing nothing", async () => {
    const before = server.app.lab.feed.lastId;
    const post = await client.request("POST", "/api/messages", {
      headers: { "content-type": "application/json", origin: FOREIGN },
      body: JSON.stringify({ from: "csrf", text: "forged" }),
    });
    expect(post.status).toBe(403);
    expect(JSON.parse(post.body)).toMatchObject({ error: "forbidden" });
    expect(server.app.lab.feed.lastId).toBe(before);
    for (const path of ["/api/poll", "/api/long-poll", "/api/stats", "/api/sse", "/api/stream"]) {
      expect((await client.request("GET", path, { headers: { origin: FOREIGN } })).status, path).toBe(403);
    }
    expect(server.app.heldConnections.size).toBe(0);
  });

  it.each(["null", "not a url", "http://127.0.0.1.evil.example", "ftp://localhost"])("refuses Origin %j", async (origin) => {
    expect((await client.request("GET", "/api/poll", { headers: { origin } })).status).toBe(403);
  });

  it("answers CORS for allowed origins only, never with a wildcard", async () => {
    const allowed = await client.request("GET", "/api/poll", { headers: { origin: "https://lab.example.org" } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers["access-control-allow-origin"]).toBe("https://lab.example.org");
    const preflight = await client.request("OPTIONS", "/api/messages", {
      headers: { origin: "http://localhost:5173", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers["access-control-allow-origin"]).toBe("http://localhost:5173");
    expect(preflight.headers["access-control-allow-methods"]).toContain("POST");
    const foreignPreflight = await client.request("OPTIONS", "/api/messages", {
      headers: { origin: FOREIGN, "access-control-request-method": "POST" },
    });
    expect(foreignPreflight.status).toBe(403);
    expect(foreignPreflight.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("sends no CORS header to a request without an Origin, and refuses an OPTIONS that is not a preflight", async () => {
    const poll = await client.request("GET", "/api/poll");
    expect(poll.status).toBe(200);
    expect(Object.keys(poll.headers).filter((name) => name.startsWith("access-control-") || name === "vary")).toEqual([]);
    const notPreflight = await client.request("OPTIONS", "/api/messages");
    expect(notPreflight.status).toBe(404);
    expect(JSON.parse(notPreflight.body)).toMatchObject({ error: "not_found" });
    const noMethod = await client.request("OPTIONS", "/api/messages", { headers: { origin: "http://localhost:5173" } });
    expect(noMethod.status).toBe(400);
    expect(JSON.parse(noMethod.body)).toMatchObject({ error: "bad_request" });
  });

  it("lets non-browser clients (no Origin header) through", async () => {
    expect((await client.request("GET", "/api/poll")).status).toBe(200);
  });
});

describe("the dashboard (on the plain port; its policy over TLS is the dashboard's own test)", () => {
  it("serves the dashboard under a strict Content-Security-Policy", async () => {
    const response = await fetch(`${server.url}/`);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    expect(csp).toMatch(/connect-src 'self' ws:\/\/127\.0\.0\.1:\d+/);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

describe.each(HTTP_VERSIONS)("messages are data, never markup, over %s", (version) => {
  let client: VersionedClient;
  beforeAll(async () => {
    client = await clientFor(version, server);
  });
  afterAll(() => client.close());

  it("returns markup in a message as JSON text, with nosniff", async () => {
    const text = `<img src=x onerror="alert(1)"><script>alert(2)</script>`;
    const post = await client.request("POST", "/api/messages", {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ from: "<b>mallory</b>", text }),
    });
    expect(post.status).toBe(201);
    const poll = await client.request("GET", "/api/poll");
    expect(poll.headers["content-type"]).toMatch(/^application\/json/);
    expect(poll.headers["x-content-type-options"]).toBe("nosniff");
    const body = JSON.parse(poll.body) as { messages: { text: string }[] };
    expect(body.messages.at(-1)?.text).toBe(text);
  });

  it("keeps document-only headers off API responses, so they do not inflate what polling costs", async () => {
    for (const path of ["/api/poll", "/api/stats", "/metrics"]) {
      const response = await client.request("GET", path);
      expect(response.headers["content-security-policy"], path).toBeUndefined();
      expect(response.headers["x-frame-options"], path).toBeUndefined();
      expect(response.headers["x-content-type-options"], path).toBe("nosniff");
    }
  });
});
