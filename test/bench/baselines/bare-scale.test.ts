import net from "node:net";
import { WebSocket } from "ws";
import { afterEach, describe, expect, it } from "vitest";
import type { StatsResponse } from "../../../protocol/types.js";
import { startBareServer, type BareServer } from "../../../scripts/bench/baselines/bare-server.js";
import { rawWsConnect } from "../../helpers/raw-ws.js";
import { waitFor, waitForAsync } from "../../helpers/server.js";

/** A raw HTTP GET whose bytes are kept as text. */
function rawGet(port: number, path: string): { text: () => string; destroy: () => void } {
  const socket = net.connect(port, "127.0.0.1");
  let text = "";
  socket.on("data", (chunk: Buffer) => {
    text += chunk.toString("latin1");
  });
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  return { text: () => text, destroy: () => socket.destroy() };
}

const stats = async (url: string): Promise<StatsResponse> => (await (await fetch(`${url}/api/stats`)).json()) as StatsResponse;

/** The server's stats once its gauges satisfy `ok`. */
async function statsWhen(url: string, ok: (t: StatsResponse["transports"]) => boolean, what: string): Promise<StatsResponse> {
  let last = await stats(url);
  await waitForAsync(async () => {
    last = await stats(url);
    return ok(last.transports);
  }, what);
  return last;
}

/** What the scale ramp reads from the bare server: memory after a collection, the open gauges, requests, heartbeats at the lab's period. */
describe("bare server under the scale ramp", () => {
  let server: BareServer | undefined;
  const closers: (() => void)[] = [];

  afterEach(async () => {
    for (const close of closers.splice(0)) close();
    await server?.close();
    server = undefined;
  });

  it("answers /api/health?gc=1 with the lab's memory fields", async () => {
    server = await startBareServer();
    const body = (await (await fetch(`${server.url}/api/health?gc=1`)).json()) as Record<string, unknown>;
    for (const key of ["rssBytes", "heapUsedBytes", "externalBytes"]) expect(body[key], key).toEqual(expect.any(Number));
    expect(body.rssBytes as number).toBeGreaterThan(body.heapUsedBytes as number);
  });

  it("counts open stream, SSE, WebSocket and long-poll subscribers, their requests, and no refusals", async () => {
    server = await startBareServer();
    const { url, port } = server;
    const stream = rawGet(port, "/api/stream");
    const sse = rawGet(port, "/api/sse");
    const longPoll = rawGet(port, `/api/long-poll?after=${server.feed.last}&timeout=10000`);
    const ws = await rawWsConnect(port, "/api/ws");
    closers.push(stream.destroy, sse.destroy, longPoll.destroy, () => ws.socket.destroy());
    await fetch(`${url}/api/poll`).then((r) => r.text());
    let s = await statsWhen(url, (t) => t.stream.open === 1 && t.sse.open === 1 && t.ws.open === 1 && t["long-poll"].open === 1, "every subscriber open");
    expect([s.transports.poll.requests, s.transports["long-poll"].requests, s.transports.stream.requests, s.transports.sse.requests]).toEqual([1, 1, 1, 1]);
    expect(Object.values(s.transports).map((t) => t.refused)).toEqual(Object.values(s.transports).map(() => 0));

    stream.destroy();
    ws.socket.destroy();
    s = await statsWhen(url, (t) => t.stream.open === 0 && t.ws.open === 0, "closed subscribers leave the gauges");
    expect(s.transports.sse.open).toBe(1);
  });

  it("sends stream and SSE heartbeats at the period it is given (the lab's LAB_HEARTBEAT_MS in main.ts)", async () => {
    server = await startBareServer("127.0.0.1", 0, { heartbeatMs: 50 });
    const stream = rawGet(server.port, "/api/stream");
    const sse = rawGet(server.port, "/api/sse");
    closers.push(stream.destroy, sse.destroy);
    await waitFor(() => stream.text().includes('"type":"heartbeat"') && sse.text().includes(": heartbeat\n\n"), "a heartbeat on each stream");
  });

  it("pings every WebSocket at the period it is given (the lab's LAB_WS_PING_MS in main.ts) and drops a peer that never answers", async () => {
    server = await startBareServer("127.0.0.1", 0, { pingMs: 50 });
    const { port } = server;
    const answering = new WebSocket(`ws://127.0.0.1:${port}/api/ws`);
    closers.push(() => answering.terminate());
    let pings = 0;
    answering.on("ping", () => pings++);
    // ws's client answers each ping with a pong by itself; the raw one below never does.
    const silent = await rawWsConnect(port, "/api/ws");
    closers.push(() => silent.socket.destroy());
    silent.socket.resume();
    let silentClosed = false;
    silent.socket.once("close", () => {
      silentClosed = true;
    });
    await waitFor(() => pings >= 3 && silentClosed, "three pings answered, and the silent peer dropped");
    expect(answering.readyState).toBe(WebSocket.OPEN);
  });
});
