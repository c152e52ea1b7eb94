import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../helpers/server.js";

interface Case {
  name: string;
  method?: "GET" | "POST";
  path: string;
  body?: string;
  contentType?: string;
  status: number;
  error: string;
  mentions?: string;
}

const json = (value: unknown): string => JSON.stringify(value);

const cases: Case[] = [
  {
    name: "text of the wrong type is refused, not coerced",
    path: "/api/messages",
    body: json({ from: "a", text: 123 }),
    status: 400,
    error: "bad_request",
    mentions: "text",
  },
  { name: "from of the wrong type", path: "/api/messages", body: json({ from: ["a"], text: "t" }), status: 400, error: "bad_request", mentions: "from" },
  { name: "missing text", path: "/api/messages", body: json({ from: "a" }), status: 400, error: "bad_request", mentions: "text" },
  { name: "missing from", path: "/api/messages", body: json({ text: "t" }), status: 400, error: "bad_request", mentions: "from" },
  { name: "empty text", path: "/api/messages", body: json({ from: "a", text: "" }), status: 400, error: "bad_request", mentions: "text" },
  { name: "blank text", path: "/api/messages", body: json({ from: "a", text: "   " }), status: 400, error: "bad_request", mentions: "text" },
  {
    name: "text over the length limit",
    path: "/api/messages",
    body: json({ from: "a", text: "x".repeat(2001) }),
    status: 400,
    error: "bad_request",
    mentions: "text",
  },
  { name: "an unknown field", path: "/api/messages", body: json({ from: "a", text: "t", admin: true }), status: 400, error: "bad_request", mentions: "admin" },
  {
    name: "a nonce of the wrong type",
    path: "/api/messages",
    body: json({ from: "a", text: "t", nonce: 5 }),
    status: 400,
    error: "bad_request",
    mentions: "nonce",
  },
  { name: "a JSON array body", path: "/api/messages", body: json([{ from: "a", text: "t" }]), status: 400, error: "bad_request" },
  { name: "malformed JSON", path: "/api/messages", body: '{"from":"a",', status: 400, error: "bad_request" },
  { name: "an empty JSON body", path: "/api/messages", body: "", status: 400, error: "bad_request" },
  {
    name: "a body that is not JSON",
    path: "/api/messages",
    body: "from=a&text=t",
    contentType: "application/x-www-form-urlencoded",
    status: 415,
    error: "unsupported_media_type",
  },
  { name: "a body over the size limit", path: "/api/messages", body: json({ from: "a", text: "x".repeat(20_000) }), status: 413, error: "payload_too_large" },
  { name: "a bad client id", path: "/api/messages?client=a%20b", body: json({ from: "a", text: "t" }), status: 400, error: "bad_request", mentions: "client" },
  { name: "cursor with trailing letters", method: "GET", path: "/api/poll?after=5abc", status: 400, error: "bad_request", mentions: "after" },
  { name: "cursor in exponent form", method: "GET", path: "/api/poll?after=1e3", status: 400, error: "bad_request", mentions: "after" },
  { name: "negative cursor", method: "GET", path: "/api/poll?after=-1", status: 400, error: "bad_request", mentions: "after" },
  { name: "fractional cursor", method: "GET", path: "/api/stream?after=1.5", status: 400, error: "bad_request", mentions: "after" },
  { name: "cursor with a leading zero", method: "GET", path: "/api/sse?after=01", status: 400, error: "bad_request", mentions: "after" },
  { name: "cursor beyond 2^53", method: "GET", path: "/api/poll?after=9999999999999999", status: 400, error: "bad_request", mentions: "after" },
  { name: "empty cursor", method: "GET", path: "/api/long-poll?after=", status: 400, error: "bad_request", mentions: "after" },
  { name: "repeated cursor", method: "GET", path: "/api/poll?after=1&after=2", status: 400, error: "bad_request", mentions: "after" },
  { name: "non-numeric timeout", method: "GET", path: "/api/long-poll?timeout=soon", status: 400, error: "bad_request", mentions: "timeout" },
  { name: "an unknown query parameter", method: "GET", path: "/api/poll?since=3", status: 400, error: "bad_request", mentions: "since" },
  { name: "an unknown path", method: "GET", path: "/api/nothing-here", status: 404, error: "not_found" },
  { name: "a wrong method", method: "GET", path: "/api/messages", status: 404, error: "not_found" },
];

describe("bad input gets a 4xx with a JSON {error, message} and changes nothing", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it.each(cases)("$name → $status", async ({ method = "POST", path, body, contentType = "application/json", status, error, mentions }) => {
    const lastId = server.app.lab.feed.lastId;
    const response = await request(`${server.url}${path}`, {
      method,
      headers: method === "POST" ? { "content-type": contentType } : {},
      body: method === "POST" ? body : undefined,
    });
    const answer = (await response.body.json()) as { error: string; message: string };
    expect(response.statusCode).toBe(status);
    expect(response.headers["content-type"]).toMatch(/^application\/json/);
    expect(answer.error).toBe(error);
    expect(typeof answer.message).toBe("string");
    if (mentions !== undefined) expect(answer.message).toContain(mentions);
    expect(server.app.lab.feed.lastId).toBe(lastId);
  });

  it("accepts the largest valid message, with unicode counted in characters", async () => {
    const text = "é".repeat(2000);
    const response = await request(`${server.url}/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: json({ from: "ünïcode", text, nonce: "n" }),
    });
    expect(response.statusCode).toBe(201);
    expect(await response.body.json()).toMatchObject({ from: "ünïcode", text, nonce: "n" });
  });
});
