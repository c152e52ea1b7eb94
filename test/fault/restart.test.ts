import http from "node:http";
import { afterAll, expect, it } from "vitest";
import WebSocket from "ws";
import { NdjsonParser } from "../../protocol/ndjson.js";
import { SseParser } from "../../protocol/sse.js";
import type { ChatMessage, PollResponse, ResetSignal, ServerFrame } from "../../protocol/types.js";
import { H2Client } from "../helpers/h2-client.js";
import { freePort, startChildServer, type ChildServer } from "../helpers/child-server.js";

/**
 * A server restart loses the in-memory history (checked on HTTP/1.1 and, for every transport but
 * WebSocket, on HTTP/2). Subscribers that come back to the fresh process,
 * on the same address, with a cursor from the old one must get the explicit reset signal at once:
 * never a hang, never a silent skip into unrelated messages.
 */
const running: ChildServer[] = [];
afterAll(async () => {
  for (const server of running) await server.stop();
});

async function publish(url: string, text: string): Promise<ChatMessage> {
  const response = await fetch(`${url}/api/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ from: "before", text }),
  });
  return (await response.json()) as ChatMessage;
}

/** The first frame a held transport sends (its bytes parsed), within `ms`. */
function firstHeldFrame(port: number, path: string, headers: Record<string, string> = {}): Promise<ServerFrame> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: "127.0.0.1", port, path, headers, agent: false }, (response) => {
      const ndjson = new NdjsonParser();
      const sse = new SseParser();
      response.on("data", (chunk: Buffer) => {
        const frames = path.startsWith("/api/sse")
          ? sse.push(chunk).flatMap((item) => (item.kind === "event" ? [JSON.parse(item.data) as ServerFrame] : []))
          : ndjson.push(chunk);
        const first = frames[0];
        if (first === undefined) return;
        request.destroy();
        resolve(first);
      });
    });
    request.on("error", reject);
    setTimeout(() => {
      request.destroy();
      reject(new Error(`no frame from ${path}`));
    }, 3_000);
  });
}

it("a cursor from before a restart gets an explicit reset on every transport, at once", async () => {
  const port = await freePort();
  const before = await startChildServer(port);
  running.push(before);
  let old: ChatMessage | undefined;
  for (let i = 0; i < 5; i++) old = await publish(before.url, `old ${i}`);
  const cursor = old?.id ?? 0;
  await before.stop();

  // The new process serves HTTP/2 too, on a TLS port: a cursor from before is reset there as well.
  const tlsPort = await freePort();
  const after = await startChildServer(port, { LAB_TLS_PORT: String(tlsPort) });
  running.push(after);
  const fresh = await publish(after.url, "first after restart");
  const check = (reset: ResetSignal | undefined): void => {
    expect(reset).toMatchObject({ type: "reset", requested: cursor, lastId: fresh.id });
    expect(["expired", "unknown"]).toContain(reset?.reason);
  };

  const started = Date.now();
  const poll = (await (await fetch(`${after.url}/api/poll?after=${cursor}`)).json()) as PollResponse;
  check(poll.reset);
  expect(poll.messages.map((m) => m.id)).toEqual([fresh.id]);

  // A long poll asked to wait 30 s answers at once: the reset is news.
  const longPoll = (await (await fetch(`${after.url}/api/long-poll?after=${cursor}&timeout=30000`)).json()) as PollResponse;
  check(longPoll.reset);

  check((await firstHeldFrame(port, `/api/stream?after=${cursor}`)) as ResetSignal);
  check((await firstHeldFrame(port, "/api/sse", { "last-event-id": String(cursor) })) as ResetSignal);

  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/ws?after=${cursor}`);
  const wsFirst = await new Promise<ServerFrame>((resolve, reject) => {
    ws.once("message", (data) => resolve(JSON.parse(String(data)) as ServerFrame));
    ws.once("error", reject);
  });
  ws.terminate();
  check(wsFirst as ResetSignal);

  const h2 = await H2Client.connect(`https://127.0.0.1:${tlsPort}`);
  check((JSON.parse((await h2.get(`/api/poll?after=${cursor}`)).body) as PollResponse).reset);
  check((JSON.parse((await h2.get(`/api/long-poll?after=${cursor}&timeout=30000`)).body) as PollResponse).reset);
  for (const [path, headers] of [
    [`/api/stream?after=${cursor}`, {}],
    ["/api/sse", { "last-event-id": String(cursor) }],
  ] as const) {
    const held = await h2.open(path, { headers });
    await held.waitFor((s) => s.frames.length > 0, `the first frame of ${path} over HTTP/2`, 3_000);
    check(held.frames[0] as ResetSignal);
    held.close();
  }
  h2.close();
  expect(Date.now() - started).toBeLessThan(5_000);
}, 60_000);
