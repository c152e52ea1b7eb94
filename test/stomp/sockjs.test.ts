import { Client, type IMessage } from "@stomp/stompjs";
import SockJS from "sockjs-client";
import { afterEach, describe, expect, it } from "vitest";
import type { StatsResponse } from "../../protocol/types.js";
import { startServer, type TestServer, waitFor } from "../helpers/server.js";

let server: TestServer;
const clients: Client[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.deactivate({ force: true });
  await server?.close();
});

/** @stomp/stompjs over sockjs-client in Node, restricted to one SockJS transport, connected. */
async function connect(transport: string, client = "sockjs"): Promise<Client> {
  const url = `${server.url}/chat?client=${client}`;
  const stomp = new Client({
    webSocketFactory: () => new SockJS(url, null, { transports: [transport] }),
    reconnectDelay: 0,
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
  });
  clients.push(stomp);
  await new Promise<void>((resolve, reject) => {
    stomp.onConnect = () => resolve();
    stomp.onStompError = (frame) => reject(new Error(frame.headers.message));
    stomp.onWebSocketClose = (event) => reject(new Error(`closed: ${JSON.stringify(event)}`));
    stomp.activate();
  });
  return stomp;
}

describe.each(["websocket", "xhr-streaming", "xhr-polling", "eventsource"])("STOMP over SockJS (%s) at /chat", (transport) => {
  it("subscribes, sends, and receives every message exactly once, in order", async () => {
    server = await startServer();
    const reader = await connect(transport, "reader");
    const writer = await connect(transport, "writer");
    const received: IMessage[] = [];
    const subscribed = new Promise<void>((resolve) => reader.watchForReceipt("sub", () => resolve()));
    reader.subscribe("/topic/messages", (message) => received.push(message), { receipt: "sub" });
    await subscribed;

    const count = 50;
    for (let i = 0; i < count; i++) writer.publish({ destination: "/app/chat", body: JSON.stringify({ from: "sockjs", text: `m${i}` }) });
    await waitFor(() => received.length >= count, `${count} messages`, 10_000);
    expect(received.map((m) => JSON.parse(m.body).text)).toEqual(Array.from({ length: count }, (_, i) => `m${i}`));
    for (const message of received) {
      const entry = server.app.lab.feed.read(Number(message.headers["message-id"]) - 1, 1, 1 << 20).entries[0];
      expect(message.body).toBe(entry?.json);
    }

    const stats = (await (await fetch(`${server.url}/api/stats?client=reader`)).json()) as StatsResponse;
    const counters = stats.client?.transports["stomp-sockjs"];
    expect(counters?.delivered).toBe(count);
    expect(counters?.bytesOut).toBeGreaterThan(count * 100);
    expect(stats.transports["stomp-ws"].requests).toBe(0);
    expect(stats.connections.sockjs?.[transport as "websocket"].opened).toBe(2);
    expect(stats.connections.sockjs?.[transport as "websocket"].open).toBe(2);
  });
});

describe("SockJS entry checks", () => {
  it("refuses a foreign Origin, transports not offered, and an oversized send", async () => {
    server = await startServer();
    expect((await fetch(`${server.url}/chat/info`, { headers: { origin: "https://evil.example" } })).status).toBe(403);
    expect((await fetch(`${server.url}/chat/info`)).status).toBe(200);
    expect((await fetch(`${server.url}/chat/000/abcdefgh/jsonp?c=x`)).status).toBe(404);
    expect((await fetch(`${server.url}/chat/iframe.html`)).status).toBe(404);
    expect((await fetch(`${server.url}/chat/000/abcdefgh/constructor`)).status).toBe(404);
    const wrongMethod = await fetch(`${server.url}/chat/000/abcdefgh/xhr`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("POST");
    expect(((await wrongMethod.json()) as { error: string }).error).toBe("method_not_allowed");
    const big = await fetch(`${server.url}/chat/000/abcdefgh/xhr_send`, { method: "POST", body: "x".repeat(server.config.bodyLimit + 1) });
    expect(big.status).toBe(413);
    expect(server.app.lab.stats.transports["stomp-sockjs"].clientErrors).toBeGreaterThanOrEqual(3);
  });

  it("counts SockJS sessions against the held-connection caps, and closes them with 1001 on shutdown", async () => {
    server = await startServer({ maxHeldPerIp: 1 });
    const stomp = await connect("xhr-streaming");
    const refused = await fetch(`${server.url}/chat/000/otherses/xhr_streaming`, { method: "POST" });
    expect(refused.status).toBe(429);
    const closed = new Promise<number>((resolve) => {
      stomp.onWebSocketClose = (event: { code: number }) => resolve(event.code);
    });
    await server.close();
    expect(await closed).toBe(1001);
  });
});
