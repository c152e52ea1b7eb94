import { afterEach, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { ClientEvent, ClientEventFrame, FrameEvent, RequestEndEvent } from "../../protocol/client-events.js";
import type { Metered, TransportCounters } from "../../protocol/types.js";
import { CLIENT_EVENT_BOUNDS } from "../../server/metering/client-events.js";
import { textKinds, webSocketKinds } from "../../server/metering/frame-kinds.js";
import { textFrame } from "../../server/transports/ws-frames.js";
import { countedHttp2 } from "../helpers/counted-tls.js";
import { CountingSocket } from "../helpers/counting-socket.js";
import { startServer, waitFor, type TestServer } from "../helpers/server.js";
import { publish } from "../helpers/subscribers.js";

const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`;

/** A watcher of one client's events, collecting every event it is sent. */
class Watcher {
  readonly events: ClientEvent[] = [];
  hello: ClientEventFrame | null = null;
  readonly ws: WebSocket;
  readonly opened: Promise<void>;

  constructor(server: TestServer, id: string) {
    this.ws = new WebSocket(`${server.url.replace("http", "ws")}/api/clients/${id}/events`);
    this.ws.on("message", (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as ClientEventFrame;
      if (frame.type === "hello") this.hello = frame;
      else this.events.push(...frame.events);
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("error", reject);
    });
  }

  of<T extends ClientEvent["type"]>(type: T): Extract<ClientEvent, { type: T }>[] {
    return this.events.filter((event): event is Extract<ClientEvent, { type: T }> => event.type === type);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) resolve();
      this.ws.once("close", () => resolve());
      this.ws.close();
    });
  }
}

/** The status and JSON body a refused upgrade gets. */
async function refusedUpgrade(server: TestServer, path: string): Promise<{ status: number; body: { error: string; message: string } }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.url.replace("http", "ws")}${path}`);
    ws.once("open", () => reject(new Error("the upgrade was accepted")));
    ws.once("unexpected-response", (_request, response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as { error: string; message: string } }));
    });
    ws.once("error", () => undefined);
  });
}

describe("per-client event feed", () => {
  let server: TestServer;
  const counters = async (client: string, transport: Metered): Promise<TransportCounters> => {
    const stats = (await (await fetch(`${server.url}/api/stats?client=${client}`)).json()) as { client: { transports: Record<Metered, TransportCounters> } };
    return stats.client.transports[transport];
  };

  beforeEach(async () => {
    server = await startServer({ heartbeatMs: 60_000 });
  });
  afterEach(async () => {
    await server.close();
  });

  it("refuses a bad client id and a plain GET with {error, message}", async () => {
    const bad = await fetch(`${server.url}/api/clients/not%20valid/events`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: "bad_request", message: expect.stringContaining("id") });
    const tooLong = await fetch(`${server.url}/api/clients/${"x".repeat(65)}/events`);
    expect(tooLong.status).toBe(400);
    const plain = await fetch(`${server.url}/api/clients/abc/events`);
    expect(plain.status).toBe(426);
    expect(await plain.json()).toMatchObject({ error: "upgrade_required" });
    expect((await refusedUpgrade(server, "/api/clients/bad!id/events")).status).toBe(400);
    // A handshake without a key: ws's refusal, as JSON too.
    const raw = new CountingSocket(server.port);
    raw.write("GET /api/clients/abc/events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n");
    await raw.waitFor("}");
    expect(raw.text).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(raw.text.slice(raw.text.indexOf("\r\n\r\n") + 4))).toMatchObject({
      error: "bad_request",
      message: expect.stringContaining("websocket handshake refused"),
    });
    await raw.end();
  });

  it("is bounded: clients watched at once, watchers per client; a place is freed when a watcher leaves", async () => {
    const watchers: Watcher[] = [];
    for (let i = 0; i < CLIENT_EVENT_BOUNDS.maxClients; i++) watchers.push(new Watcher(server, `client-${i}`));
    await Promise.all(watchers.map((watcher) => watcher.opened));
    const tooMany = await refusedUpgrade(server, "/api/clients/one-more/events");
    expect(tooMany.status).toBe(503);
    expect(tooMany.body).toMatchObject({ error: "unavailable", message: expect.stringContaining(String(CLIENT_EVENT_BOUNDS.maxClients)) });

    for (let i = 1; i < CLIENT_EVENT_BOUNDS.maxWatchersPerClient; i++) watchers.push(new Watcher(server, "client-0"));
    await Promise.all(watchers.map((watcher) => watcher.opened));
    const sixth = await refusedUpgrade(server, "/api/clients/client-0/events");
    expect(sixth.status).toBe(429);
    expect(sixth.body.error).toBe("too_many_requests");

    await watchers[1]?.close();
    await waitFor(() => server.app.lab.events.watchedClients === CLIENT_EVENT_BOUNDS.maxClients - 1, "the watch to end");
    const again = new Watcher(server, "one-more");
    await again.opened;
    expect(again.hello).toMatchObject({ type: "hello", client: "one-more", bounds: CLIENT_EVENT_BOUNDS });
    await Promise.all([...watchers, again].map((watcher) => watcher.close()));
    await waitFor(() => !server.app.lab.events.active, "nobody to watch");
  });

  it("polls: one request row each, whose bytes are the meter's", async () => {
    const watcher = new Watcher(server, "w-poll");
    await watcher.opened;
    await publish(server.url, "hello");
    const socket = new CountingSocket(server.port);
    socket.write(get("/api/poll?client=w-poll"));
    await socket.waitFor('"more":false}');
    socket.write(get("/api/poll?client=w-poll&after=0"));
    await socket.waitFor('"more":false', 2);
    // A client nobody watches is not followed.
    const other = new CountingSocket(server.port);
    other.write(get("/api/poll?client=someone-else"));
    await other.waitFor('"more":false}');
    await Promise.all([socket.end(), other.end()]);
    await waitFor(() => watcher.of("end").length === 2, "two ends");

    const starts = watcher.of("request");
    expect(starts.map((event) => [event.transport, event.method, event.newConnection])).toEqual([
      ["poll", "GET", true],
      ["poll", "GET", false],
    ]);
    expect(watcher.of("response").map((event) => event.status)).toEqual([200, 200]);
    const ends = watcher.of("end");
    const meter = await counters("w-poll", "poll");
    expect(ends.reduce((sum, end) => sum + end.bytesIn, 0)).toBe(meter.bytesIn);
    expect(ends.reduce((sum, end) => sum + end.bytesOut, 0)).toBe(meter.bytesOut);
    // And the meter's are the socket's own counts.
    expect([meter.bytesIn, meter.bytesOut]).toEqual([socket.sent, socket.received]);
    await watcher.close();
  });

  it("SSE: one long-lived row with a tick per message, sized as metered, summing to the socket's bytes", async () => {
    const watcher = new Watcher(server, "w-sse");
    await watcher.opened;
    const last = await publish(server.url, "before");
    const socket = new CountingSocket(server.port);
    socket.write(`GET /api/sse?client=w-sse&after=${last.id} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
    await socket.waitFor("retry:");
    for (let i = 0; i < 3; i++) {
      await publish(server.url, `live ${i}`);
      await socket.waitFor(`live ${i}`);
    }
    await waitFor(() => watcher.of("frame").filter((frame) => frame.kinds.includes("message")).length === 3, "three message ticks");
    await socket.end();
    await waitFor(() => watcher.of("end").length === 1, "the end");

    const [start] = watcher.of("request");
    expect(start).toMatchObject({ transport: "sse", upgrade: false });
    const frames = watcher.of("frame").filter((frame) => frame.rid === start?.rid);
    const messages = frames.filter((frame) => frame.kinds.includes("message"));
    expect(messages.map((frame) => [frame.dir, frame.messages])).toEqual([
      ["out", 1],
      ["out", 1],
      ["out", 1],
    ]);
    // Each tick is the message's chunk on the wire: size line, the event, CRLF.
    const events = [...socket.text.matchAll(/id: \d+\ndata: [^\n]*\n\n/g)].map(([event]) => event);
    expect(messages.map((frame) => frame.bytes)).toEqual(events.map((event) => `${event.length.toString(16)}\r\n${event}\r\n`.length));
    const end = watcher.of("end")[0] as RequestEndEvent;
    const meter = await counters("w-sse", "sse");
    expect([end.bytesIn, end.bytesOut]).toEqual([meter.bytesIn, meter.bytesOut]);
    expect([meter.bytesIn, meter.bytesOut]).toEqual([socket.sent, socket.received]);
    // The head goes with the first chunk (retry): every byte out is in a tick.
    const ticked = frames.reduce((sum, frame: FrameEvent) => sum + (frame.dir === "out" ? frame.bytes : 0), 0);
    expect(ticked).toBe(end.bytesOut);
    // Each tick also carries the running totals, so an open row shows its bytes so far.
    expect(frames.at(-1)?.totalOut).toBe(end.bytesOut);
    expect(watcher.of("response")[0]?.totalIn).toBe(end.bytesIn);
    await watcher.close();
  });

  it("WebSocket: the 101, message frames, and a sent frame with its ack, sized as metered", async () => {
    const watcher = new Watcher(server, "w-ws");
    await watcher.opened;
    const last = await publish(server.url, "before");
    const ws = new WebSocket(`${server.url.replace("http", "ws")}/api/ws?client=w-ws&after=${last.id}`);
    const received: string[] = [];
    ws.on("message", (data: Buffer) => received.push(data.toString()));
    await new Promise((resolve) => ws.once("open", resolve));
    await publish(server.url, "live");
    await waitFor(() => received.some((text) => text.includes('"live"')), "the live message");
    ws.send(JSON.stringify({ type: "send", from: "t", text: "up", nonce: "n1" }));
    await waitFor(() => received.some((text) => text.includes('"type":"ack"')), "the ack");
    await waitFor(() => watcher.of("frame").some((frame) => frame.dir === "in"), "the sent frame");
    ws.close();
    await waitFor(() => watcher.of("end").length === 1, "the end");

    expect(watcher.of("request")[0]).toMatchObject({ transport: "ws", upgrade: true });
    expect(watcher.of("response")[0]?.status).toBe(101);
    const frames = watcher.of("frame");
    expect(frames.find((frame) => frame.dir === "in")?.kinds).toContain("send");
    const out = frames.filter((frame) => frame.dir === "out");
    expect(out.some((frame) => frame.kinds.includes("message"))).toBe(true);
    expect(out.some((frame) => frame.kinds.includes("ack"))).toBe(true);
    const end = watcher.of("end")[0] as RequestEndEvent;
    const meter = await counters("w-ws", "ws");
    expect([end.bytesIn, end.bytesOut]).toEqual([meter.bytesIn, meter.bytesOut]);
    await watcher.close();
  });

  it("costs nothing once nobody watches: no request is followed", async () => {
    const watcher = new Watcher(server, "w-gone");
    await watcher.opened;
    await watcher.close();
    await waitFor(() => !server.app.lab.events.active, "the watch to end");
    const socket = new CountingSocket(server.port);
    socket.write(get("/api/poll?client=w-gone"));
    await socket.waitFor('"more":false}');
    await socket.end();
    expect(watcher.events.filter((event) => event.type === "request")).toEqual([]);
  });
});

describe("frame kinds", () => {
  it("reads NDJSON, SSE and SockJS writes", () => {
    expect(textKinds('{"id":1,"from":"a"}\n{"id":2,"from":"b"}\n')).toEqual({ kinds: ["message"], messages: 2 });
    expect(textKinds(": heartbeat\n\n").kinds).toEqual(["heartbeat"]);
    expect(textKinds('{"type":"heartbeat","time":1}\n').kinds).toEqual(["heartbeat"]);
    expect(textKinds('retry: 2000\n\nid: 3\ndata: {"id":3}\n\n')).toEqual({ kinds: ["message", "retry"], messages: 1 });
    expect(textKinds('data: {"type":"reset","reason":"expired"}\n\n').kinds).toEqual(["reset"]);
    expect(textKinds('a["MESSAGE\\ndestination:/topic/messages\\n\\n{\\"id\\":4}\\u0000"]\n')).toEqual({ kinds: ["message"], messages: 1 });
    expect(textKinds("h\n").kinds).toEqual(["heartbeat"]);
  });

  it("reads WebSocket frames by opcode and text payload", () => {
    const ping = Buffer.from([0x89, 0x00]);
    expect(webSocketKinds(Buffer.concat([textFrame('{"id":1}'), textFrame('{"type":"ack","id":1}'), ping]), false)).toEqual({
      kinds: ["message", "ack", "ping"],
      messages: 1,
    });
    expect(webSocketKinds(textFrame("x".repeat(300)), false).kinds).toEqual(["data"]);
    expect(webSocketKinds(Buffer.from([0x8a, 0x80, 1, 2, 3, 4]), true).kinds).toEqual(["pong"]);
    expect(webSocketKinds(Buffer.from([0x81, 0x82, 1, 2, 3, 4, 5, 6]), true).kinds).toEqual(["send"]);
  });
});

describe("per-client event feed over HTTP/2", () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer({ heartbeatMs: 60_000 }, { tls: true });
  });
  afterEach(async () => {
    await server.close();
  });

  it("an SSE stream: one row, ticks per message, and totals equal to the stream's share as metered", async () => {
    const watcher = new Watcher(server, "w-h2");
    await watcher.opened;
    const last = await publish(server.url, "before");
    const { session } = countedHttp2(Number(new URL(server.secureUrl ?? "").port));
    const stream = session.request({ ":path": `/api/sse?client=w-h2&after=${last.id}`, accept: "text/event-stream" });
    let text = "";
    stream.on("data", (chunk: Buffer) => (text += chunk.toString()));
    stream.on("error", () => undefined);
    await waitFor(() => text.includes("retry:"), "the stream to open");
    for (let i = 0; i < 3; i++) {
      await publish(server.url, `h2 ${i}`);
      await waitFor(() => text.includes(`h2 ${i}`), `message ${i}`);
    }
    await waitFor(() => watcher.of("frame").reduce((sum, frame) => sum + frame.messages, 0) === 3, "three messages ticked");
    stream.close();
    await waitFor(() => watcher.of("end").length === 1, "the end");
    session.close();

    expect(watcher.of("request")).toMatchObject([{ transport: "sse", version: "2", tls: true, upgrade: false }]);
    const end = watcher.of("end")[0] as RequestEndEvent;
    await waitFor(() => server.app.lab.stats.transports.sse.open === 0, "the stream to close");
    const stats = (await (await fetch(`${server.url}/api/stats?client=w-h2`)).json()) as { client: { transports: Record<Metered, TransportCounters> } };
    const meter = stats.client.transports.sse;
    // Connection-level frames that arrive after the stream's end (a late WINDOW_UPDATE, GOAWAY) may still go to it.
    expect(end.bytesIn).toBeLessThanOrEqual(meter.bytesIn);
    expect(end.bytesOut).toBeLessThanOrEqual(meter.bytesOut);
    expect(end.bytesOut).toBeGreaterThan(0);
    const ticks = watcher.of("frame").filter((frame) => frame.messages === 1);
    expect(ticks).toHaveLength(3);
    for (const tick of ticks) expect(tick.bytes).toBeGreaterThan(0);
    await watcher.close();
  });
});
