import http from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SseParser, type SseItem } from "../../protocol/sse.js";
import { startServer, waitFor, type TestServer } from "../helpers/server.js";
import { publish } from "../helpers/subscribers.js";

/** Opens an SSE stream as a browser's EventSource would, recording every parsed item. */
function openSse(url: string, lastEventId?: string): Promise<{ items: SseItem[]; headers: http.IncomingHttpHeaders; close(): void }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
    const req = http.get(url, { headers, agent: false }, (res) => {
      const parser = new SseParser();
      const items: SseItem[] = [];
      res.on("data", (chunk: Buffer) => items.push(...parser.push(chunk)));
      res.on("error", () => undefined);
      resolve({ items, headers: res.headers, close: () => req.destroy() });
    });
    req.on("error", reject);
  });
}

describe("Server-Sent Events", () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer({ heartbeatMs: 100, sseRetryMs: 1234 });
  });
  afterEach(async () => {
    await server.close();
  });

  it("sends a retry hint, then each message with its id as the event id", async () => {
    const stream = await openSse(`${server.url}/api/sse`);
    await waitFor(() => server.app.lab.feed.subscriberCount === 1, "the subscription");
    const sent = await publish(server.url, "hello");
    await waitFor(() => stream.items.some((i) => i.kind === "event"), "the event");
    stream.close();
    expect(stream.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    expect(stream.items[0]).toEqual({ kind: "retry", ms: 1234 });
    expect(stream.items.find((i) => i.kind === "event")).toEqual({
      kind: "event",
      event: "message",
      data: JSON.stringify(sent),
      lastEventId: String(sent.id),
    });
  });

  it("resumes from the Last-Event-ID header, which wins over ?after", async () => {
    const a = await publish(server.url, "a");
    const b = await publish(server.url, "b");
    const c = await publish(server.url, "c");
    const stream = await openSse(`${server.url}/api/sse?after=${c.id}`, String(a.id));
    await waitFor(() => stream.items.filter((i) => i.kind === "event").length === 2, "two events");
    stream.close();
    const events = stream.items.filter((i) => i.kind === "event");
    expect(events.map((e) => (e.kind === "event" ? e.lastEventId : ""))).toEqual([String(b.id), String(c.id)]);
  });

  it("sends a named reset event whose id is where the server continues", async () => {
    const latest = await publish(server.url, "latest");
    const stream = await openSse(`${server.url}/api/sse`, String(latest.id + 50));
    await waitFor(() => stream.items.filter((i) => i.kind === "event").length === 2, "reset and history");
    stream.close();
    const [reset, message] = stream.items.filter((i) => i.kind === "event");
    expect(reset).toMatchObject({ event: "reset", lastEventId: String(latest.id - 1) });
    expect(JSON.parse(reset?.kind === "event" ? reset.data : "{}")).toMatchObject({ type: "reset", reason: "unknown" });
    expect(message).toMatchObject({ event: "message", lastEventId: String(latest.id) });
  });

  it("sends comment heartbeats while idle", async () => {
    const stream = await openSse(`${server.url}/api/sse`);
    await waitFor(() => stream.items.filter((i) => i.kind === "comment").length >= 2, "two heartbeats");
    stream.close();
    expect(stream.items.filter((i) => i.kind === "comment")[0]).toEqual({ kind: "comment", text: "heartbeat" });
  });

  it("refuses a Last-Event-ID that is not a message id", async () => {
    const res = await fetch(`${server.url}/api/sse`, { headers: { "last-event-id": "12abc" } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "bad_request" });
  });
});
