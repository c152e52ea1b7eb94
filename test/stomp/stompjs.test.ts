import { Client, type IMessage } from "@stomp/stompjs";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startServer, type TestServer, waitFor } from "../helpers/server.js";

let server: TestServer;
const clients: Client[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.deactivate({ force: true });
  await server?.close();
});

/** @stomp/stompjs in Node, over `ws` (it needs a WebSocket implementation), connected. */
async function connect(url: string): Promise<Client> {
  const client = new Client({
    webSocketFactory: () => new WebSocket(url, ["v12.stomp"]),
    reconnectDelay: 0,
    heartbeatIncoming: 200,
    heartbeatOutgoing: 200,
  });
  clients.push(client);
  await new Promise<void>((resolve, reject) => {
    client.onConnect = () => resolve();
    client.onStompError = (frame) => reject(new Error(frame.headers.message));
    client.onWebSocketError = () => reject(new Error("websocket error"));
    client.activate();
  });
  return client;
}

describe("@stomp/stompjs against /api/stomp", () => {
  it("subscribes, sends, and receives every message exactly once, in order", async () => {
    server = await startServer({ heartbeatMs: 200 });
    const url = `${server.url.replace("http", "ws")}/api/stomp?client=stompjs`;
    const reader = await connect(url);
    const writer = await connect(url);
    const received: IMessage[] = [];
    const subscribed = new Promise<void>((resolve) => reader.watchForReceipt("sub", () => resolve()));
    reader.subscribe("/topic/messages", (message) => received.push(message), { receipt: "sub" });
    await subscribed;

    const count = 200;
    for (let i = 0; i < count; i++) writer.publish({ destination: "/app/chat", body: JSON.stringify({ from: "stompjs", text: `m${i}` }) });
    await waitFor(() => received.length >= count, `${count} messages`);
    // Past the heart-beat interval a few times over: both sides keep the connection up.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(received).toHaveLength(count);
    expect(received.map((m) => JSON.parse(m.body).text)).toEqual(Array.from({ length: count }, (_, i) => `m${i}`));
    const ids = received.map((m) => Number(m.headers["message-id"]));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(count);
    for (const message of received) {
      const entry = server.app.lab.feed.read(Number(message.headers["message-id"]) - 1, 1, 1 << 20).entries[0];
      expect(message.body).toBe(entry?.json);
    }
    expect(reader.connected && writer.connected).toBe(true);
    server.app.lab.stats.refresh();
    expect(server.app.lab.stats.client("stompjs")?.["stomp-ws"].delivered).toBe(count);
  });
});
