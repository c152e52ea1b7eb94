import { afterEach, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { ServerFrame } from "../../protocol/types.js";
import { startServer, waitFor, type TestServer } from "../helpers/server.js";
import { publish } from "../helpers/subscribers.js";

interface OpenSocket {
  ws: WebSocket;
  frames: ServerFrame[];
  closed: Promise<{ code: number; reason: string }>;
}

async function openWs(url: string, options: WebSocket.ClientOptions = {}): Promise<OpenSocket> {
  const ws = new WebSocket(url.replace(/^http/, "ws") + "/api/ws", options);
  const frames: ServerFrame[] = [];
  ws.on("message", (data) => frames.push(JSON.parse(String(data)) as ServerFrame));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  return { ws, frames, closed };
}

describe("WebSocket", () => {
  let server: TestServer;
  let open: OpenSocket[] = [];
  const connect = async (options?: WebSocket.ClientOptions): Promise<OpenSocket> => {
    const socket = await openWs(server.url, options);
    open.push(socket);
    return socket;
  };

  beforeEach(async () => {
    server = await startServer({ wsMaxPayload: 4096 });
  });
  afterEach(async () => {
    for (const { ws } of open) ws.terminate();
    open = [];
    await server.close();
  });

  it("publishes over the socket: an ack with the id, and the message to every subscriber", async () => {
    const sender = await connect();
    const other = await connect();
    sender.ws.send(JSON.stringify({ type: "send", from: "ada", text: "over the socket", nonce: "n-1" }));
    await waitFor(() => sender.frames.length === 2 && other.frames.length === 1, "ack and deliveries");
    const ack = sender.frames.find((f) => "type" in f && f.type === "ack");
    const message = other.frames[0];
    expect(message).toMatchObject({ from: "ada", text: "over the socket", nonce: "n-1" });
    expect(ack).toEqual({ type: "ack", id: message && "id" in message ? message.id : -1, nonce: "n-1" });
    expect(sender.frames).toContainEqual(message);
  });

  it("answers bad JSON, unknown types, bad fields and binary frames with error frames and stays open", async () => {
    const { ws, frames } = await connect();
    ws.send("{not json");
    ws.send(JSON.stringify({ type: "dance" }));
    ws.send(JSON.stringify({ type: "send", from: "ada", text: 123, nonce: "n-2" }));
    ws.send(JSON.stringify({ type: "send", from: "ada", text: "hi", colour: "red" }));
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await waitFor(() => frames.length === 5, "five error frames");
    expect(frames.map((f) => ("type" in f && f.type === "error" ? f.error : "?"))).toEqual([
      "bad_json",
      "unknown_type",
      "bad_request",
      "bad_request",
      "binary_not_supported",
    ]);
    expect(frames[2]).toMatchObject({ nonce: "n-2", message: expect.stringContaining("text") });
    expect(frames[3]).toMatchObject({ message: expect.stringContaining("colour") });
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.send(JSON.stringify({ type: "send", from: "ada", text: "still here" }));
    await waitFor(() => frames.some((f) => "type" in f && f.type === "ack"), "the ack");
  });

  it("closes with 1009 when a message exceeds maxPayload", async () => {
    const { ws, closed } = await connect();
    ws.send(JSON.stringify({ type: "send", from: "ada", text: "x".repeat(5000) }));
    expect((await closed).code).toBe(1009);
  });

  it("closes with 1007 on invalid UTF-8 in a text frame", async () => {
    const { ws, closed } = await connect();
    ws.send(Buffer.from([0x22, 0xff, 0xfe, 0x22]), { binary: false });
    expect((await closed).code).toBe(1007);
  });

  it("pings its peers and terminates one that stops answering", async () => {
    await server.close();
    server = await startServer({ wsPingMs: 50 });
    const healthy = await connect();
    const mute = await connect({ autoPong: false });
    let pings = 0;
    healthy.ws.on("ping", () => pings++);
    const { code } = await mute.closed;
    expect(code).toBe(1006); // terminated: no close frame
    expect(pings).toBeGreaterThanOrEqual(2);
    expect(healthy.ws.readyState).toBe(WebSocket.OPEN);
  });

  it("closes every socket with 1001 when the server shuts down", async () => {
    const { closed } = await connect();
    await server.close();
    expect(await closed).toEqual({ code: 1001, reason: "server shutting down" });
    server = await startServer();
  });

  it("refuses a bad cursor before upgrading, with a JSON 400", async () => {
    const ws = new WebSocket(server.url.replace(/^http/, "ws") + "/api/ws?after=-1");
    ws.on("error", () => undefined);
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve) =>
      ws.on("unexpected-response", (req, res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body });
        });
      }),
    );
    expect(status).toBe(400);
    expect(JSON.parse(body)).toMatchObject({ error: "bad_request", message: expect.stringContaining("after") });
  });

  it("resumes from ?after like the other transports", async () => {
    const a = await publish(server.url, "a");
    const b = await publish(server.url, "b");
    const ws = new WebSocket(server.url.replace(/^http/, "ws") + `/api/ws?after=${a.id}`);
    const frames: ServerFrame[] = [];
    ws.on("message", (data) => frames.push(JSON.parse(String(data)) as ServerFrame));
    await waitFor(() => frames.length === 1, "the backlog");
    ws.terminate();
    expect(frames).toEqual([b]);
  });
});
