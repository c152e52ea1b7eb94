import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { StatsResponse } from "../../protocol/types.js";
import { startServer, type TestServer, waitFor } from "../helpers/server.js";
import { header, RawStomp } from "./raw-stomp.js";

let server: TestServer;
const clients: RawStomp[] = [];

async function open(query = "", protocols?: string[]): Promise<RawStomp> {
  const client = await RawStomp.open(`${server.url.replace("http", "ws")}/api/stomp${query}`, protocols);
  clients.push(client);
  return client;
}

async function publish(text: string): Promise<string> {
  const response = await fetch(`${server.url}/api/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ from: "tester", text }),
  });
  expect(response.status).toBe(201);
  return response.text();
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.terminate();
  await server?.close();
});

describe("STOMP over WebSocket (/api/stomp)", () => {
  it("negotiates 1.2 and heart-beats, delivers each message as a MESSAGE whose body is the feed's JSON, byte for byte", async () => {
    server = await startServer({ heartbeatMs: 1_000 });
    const client = await open("?client=raw1");
    expect(client.socket.protocol).toBe("v12.stomp");
    const connected = await client.connect("500,2000");
    expect(connected.command).toBe("CONNECTED");
    expect(header(connected, "version")).toBe("1.2");
    expect(header(connected, "heart-beat")).toBe("1000,1000");

    client.send("SUBSCRIBE\nid:sub-7\ndestination:/topic/messages\nreceipt:r1\n\n\0");
    const receipt = await client.nextFrame();
    expect(receipt.command).toBe("RECEIPT");
    expect(header(receipt, "receipt-id")).toBe("r1");

    const json = await publish("hello é");
    const message = await client.nextFrame();
    expect(message.command).toBe("MESSAGE");
    expect(header(message, "destination")).toBe("/topic/messages");
    expect(header(message, "subscription")).toBe("sub-7");
    expect(header(message, "message-id")).toBe(String(JSON.parse(json).id));
    expect(header(message, "content-type")).toBe("application/json");
    expect(header(message, "content-length")).toBe(String(Buffer.byteLength(json)));
    expect(message.body.equals(Buffer.from(json))).toBe(true);

    // SEND with a receipt: published, acknowledged with the feed id, and delivered back.
    client.send('SEND\ndestination:/app/chat\ncontent-type:application/json\nreceipt:r2\n\n{"from":"stomp","text":"hi","nonce":"n1"}\0');
    // The subscriber's copy is written as the feed publishes it, so it comes before the receipt.
    const echoed = await client.nextFrame();
    expect(echoed.command).toBe("MESSAGE");
    const sent = await client.nextFrame();
    expect(sent.command).toBe("RECEIPT");
    expect(header(sent, "receipt-id")).toBe("r2");
    expect(header(echoed, "message-id")).toBe(header(sent, "x-message-id"));
    expect(JSON.parse(echoed.body.toString())).toMatchObject({ from: "stomp", text: "hi", nonce: "n1" });

    // Stats: counted for stomp-ws on the socket, bytes and deliveries alike.
    const stats = (await (await fetch(`${server.url}/api/stats?client=raw1`)).json()) as StatsResponse;
    const counters = stats.client?.transports["stomp-ws"];
    expect(counters?.delivered).toBe(2);
    expect(counters?.open).toBe(1);
    expect(counters?.requests).toBe(1);
    const receivedBytes = client.received.reduce((sum, b) => sum + b.length, 0);
    expect(counters?.bytesOut).toBeGreaterThan(receivedBytes);
    expect(counters?.bytesIn).toBeGreaterThan(100);
    expect(stats.transports["stomp-sockjs"].requests).toBe(0);

    client.send("DISCONNECT\nreceipt:bye\n\n\0");
    const bye = await client.nextFrame();
    expect(bye.command).toBe("RECEIPT");
    expect(header(bye, "receipt-id")).toBe("bye");
    expect(await client.closed).toBe(1000);
  });

  it("sends heart-beats to a client that wants them, and closes one that goes silent past its interval", async () => {
    server = await startServer({ heartbeatMs: 100 });
    const listener = await open();
    await listener.connect("0,100");
    await listener.until(() => listener.heartbeats >= 3, "three heart-beats", 2_000);

    const silent = await open();
    const connected = await silent.connect("100,0");
    expect(header(connected, "heart-beat")).toBe("100,100");
    const started = Date.now();
    const error = await silent.nextFrame(2_000);
    expect(error.command).toBe("ERROR");
    expect(header(error, "message")).toContain("no heart-beat");
    await silent.closed;
    // Negotiated 100 ms; closed after one and a half intervals, give or take a sweep.
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(Date.now() - started).toBeLessThan(1_000);

    // A client that beats stays connected past that time.
    const beating = await open();
    await beating.connect("100,0");
    const timer = setInterval(() => beating.send("\n"), 80);
    await new Promise((resolve) => setTimeout(resolve, 500));
    clearInterval(timer);
    expect(beating.closeCode).toBeNull();
  });

  it.each([
    ["an unknown command", "FLY\n\n\0", "unknown command"],
    ["a SUBSCRIBE without destination", "SUBSCRIBE\nid:0\nreceipt:r\n\n\0", "destination"],
    ["a SEND without destination", 'SEND\n\n{"from":"a","text":"b"}\0', "destination"],
    ["a SEND to an unknown destination", 'SEND\ndestination:/app/other\n\n{"from":"a","text":"b"}\0', "unknown destination"],
    ["a bad content-length", "SEND\ndestination:/app/chat\ncontent-length:x\n\n\0", "content-length"],
    ["a body over the limit", `SEND\ndestination:/app/chat\n\n${"x".repeat(20_000)}\0`, "body over"],
    ["invalid JSON", "SEND\ndestination:/app/chat\n\n{nope\0", "not valid JSON"],
    ["a message that breaks the publish rules", 'SEND\ndestination:/app/chat\n\n{"from":"a","text":""}\0', "invalid message"],
    ["a transaction", "BEGIN\ntransaction:t\n\n\0", "not supported"],
  ])("answers %s with an ERROR frame, then closes", async (_name, frame, message) => {
    server = await startServer();
    const client = await open("?client=bad");
    await client.connect();
    client.send(frame);
    const error = await client.nextFrame();
    expect(error.command).toBe("ERROR");
    expect(header(error, "message")).toContain(message);
    if (frame.includes("receipt:r")) expect(header(error, "receipt-id")).toBe("r");
    await client.closed;
    await waitFor(() => server.app.lab.stats.client("bad")?.["stomp-ws"].clientErrors === 1, "one client error");
  });

  it("closes a connection that never sends CONNECT after the headers timeout", async () => {
    server = await startServer({ heartbeatMs: 100, headersTimeoutMs: 300 });
    const idle = await open("?client=idle");
    const started = Date.now();
    const error = await idle.nextFrame(2_000);
    expect(header(error, "message")).toContain("no CONNECT frame within 300 ms");
    await idle.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(server.app.lab.stats.client("idle")?.["stomp-ws"].clientErrors).toBe(1);
  });

  it("refuses a frame before CONNECT and a client that accepts only STOMP 1.0/1.1", async () => {
    server = await startServer();
    const early = await open();
    early.send("SUBSCRIBE\nid:0\ndestination:/topic/messages\n\n\0");
    expect((await early.nextFrame()).command).toBe("ERROR");
    await early.closed;
    const old = await open();
    old.send("CONNECT\naccept-version:1.0,1.1\n\n\0");
    const error = await old.nextFrame();
    expect(header(error, "version")).toBe("1.2");
    await old.closed;
  });

  it("reads frames split at every byte across WebSocket messages", async () => {
    server = await startServer();
    const client = await open();
    const bytes = Buffer.from(
      'CONNECT\r\naccept-version:1.1,1.2\r\n\r\n\0\nSUBSCRIBE\nid:s\ndestination:/topic/messages\nreceipt:a\n\n\0SEND\ndestination:/app/chat\ncontent-length:29\nreceipt:b\n\n{"from":"split","text":"one"}\0',
    );
    for (let i = 0; i < bytes.length; i++) client.send(bytes.subarray(i, i + 1));
    expect((await client.nextFrame()).command).toBe("CONNECTED");
    expect(header(await client.nextFrame(), "receipt-id")).toBe("a");
    const frames = [await client.nextFrame(), await client.nextFrame()];
    expect(frames.map((f) => f.command).sort()).toEqual(["MESSAGE", "RECEIPT"]);
  });

  it("resumes after x-after, and resets an unknown cursor as the other transports do", async () => {
    server = await startServer();
    const first = JSON.parse(await publish("one")).id as number;
    await publish("two");
    await publish("three");
    const client = await open();
    await client.connect();
    client.send(`SUBSCRIBE\nid:0\ndestination:/topic/messages\nx-after:${first}\n\n\0`);
    const texts = [await client.nextFrame(), await client.nextFrame()].map((f) => JSON.parse(f.body.toString()).text);
    expect(texts).toEqual(["two", "three"]);

    const reset = await open();
    await reset.connect();
    reset.send(`SUBSCRIBE\nid:0\ndestination:/topic/messages\nx-after:${first + 1_000_000}\n\n\0`);
    const signal = await reset.nextFrame();
    expect(header(signal, "x-reset")).toBe("unknown");
    expect(JSON.parse(signal.body.toString())).toMatchObject({ type: "reset", reason: "unknown" });
    // Then the recent history, as with no cursor.
    expect(JSON.parse((await reset.nextFrame()).body.toString()).text).toBe("one");
  });

  it("refuses a foreign Origin and an offer without v12.stomp before upgrading", async () => {
    server = await startServer();
    const url = `${server.url.replace("http", "ws")}/api/stomp`;
    const status = (socket: WebSocket): Promise<number> =>
      new Promise((resolve) => socket.once("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0)));
    expect(await status(new WebSocket(url, ["v12.stomp"], { headers: { origin: "https://evil.example" } }))).toBe(403);
    expect(await status(new WebSocket(url, ["v10.stomp", "v11.stomp"]))).toBe(400);
    expect((await fetch(url.replace("ws", "http"))).status).toBe(426);
  });

  it("counts STOMP connections against the held-connection caps", async () => {
    server = await startServer({ maxHeldPerIp: 1 });
    await open();
    const url = `${server.url.replace("http", "ws")}/api/stomp`;
    const refused = new WebSocket(url, ["v12.stomp"]);
    const statusCode = await new Promise<number>((resolve) => refused.once("unexpected-response", (_q, response) => resolve(response.statusCode ?? 0)));
    expect(statusCode).toBe(429);
    expect(server.app.lab.stats.transports["stomp-ws"].refused).toBe(1);
  });

  it("cuts a subscriber that does not read", async () => {
    server = await startServer({ maxBufferedBytes: 64 * 1024 });
    const client = await open("?client=slow");
    await client.connect();
    client.send("SUBSCRIBE\nid:0\ndestination:/topic/messages\nreceipt:r\n\n\0");
    await client.nextFrame();
    client.socket.pause();
    (client.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const text = "x".repeat(1_900);
    for (let i = 0; i < 2_000 && server.app.lab.stats.transports["stomp-ws"].cutoffs === 0; i++) {
      server.app.lab.feed.publish({ from: "flood", text });
      server.app.lab.stats.refresh();
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => server.app.lab.stats.transports["stomp-ws"].cutoffs === 1, "a cut-off");
  });

  it("meters every byte of the connection, both ways, as the client's own socket counts them", async () => {
    server = await startServer();
    let tcp: net.Socket | undefined;
    const socket = new WebSocket(`${server.url.replace("http", "ws")}/api/stomp?client=exact`, ["v12.stomp"], {
      createConnection: ((options: net.NetConnectOpts) => {
        tcp = net.connect(options);
        return tcp;
      }) as typeof net.createConnection,
    });
    await new Promise((resolve) => socket.once("open", resolve));
    const frames: string[] = [];
    socket.on("message", (data: Buffer) => frames.push(data.toString()));
    socket.send("CONNECT\naccept-version:1.2\n\n\0SUBSCRIBE\nid:0\ndestination:/topic/messages\n\n\0");
    socket.send('SEND\ndestination:/app/chat\nreceipt:r\n\n{"from":"exact","text":"counted"}\0');
    await waitFor(() => frames.some((f) => f.startsWith("RECEIPT")), "the receipt");
    socket.send("DISCONNECT\n\n\0");
    await new Promise((resolve) => socket.once("close", resolve));
    await waitFor(() => tcp?.destroyed === true, "the socket closed");
    await waitFor(() => server.app.lab.stats.client("exact")?.["stomp-ws"].open === 0, "the request ended");
    const counters = server.app.lab.stats.client("exact")?.["stomp-ws"];
    expect(counters?.bytesIn).toBe(tcp?.bytesWritten);
    expect(counters?.bytesOut).toBe(tcp?.bytesRead);
    expect(counters?.delivered).toBe(1);
  });

  it("refuses a SEND over the shared publish budget with an ERROR frame, then closes with 1008", async () => {
    server = await startServer({ publishRateMax: 2 });
    const client = await open("?client=flood");
    await client.connect();
    const send = (receipt: string): void => client.send(`SEND\ndestination:/app/chat\nreceipt:${receipt}\n\n{"from":"a","text":"b"}\0`);
    send("1");
    send("2");
    send("3");
    expect(header(await client.nextFrame(), "receipt-id")).toBe("1");
    expect(header(await client.nextFrame(), "receipt-id")).toBe("2");
    const error = await client.nextFrame();
    expect(error.command).toBe("ERROR");
    expect(header(error, "message")).toContain("publish rate limit");
    expect(header(error, "receipt-id")).toBe("3");
    expect(await client.closed).toBe(1008);
    expect(server.app.lab.stats.client("flood")?.["stomp-ws"].refused).toBe(1);
    // The budget is the address's, shared with HTTP publishing.
    const response = await fetch(`${server.url}/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"from":"a","text":"b"}',
    });
    expect(response.status).toBe(429);
  });

  it("closes its connections with 1001 when the server shuts down", async () => {
    server = await startServer();
    const client = await open();
    await client.connect();
    client.send("SUBSCRIBE\nid:0\ndestination:/topic/messages\nreceipt:r\n\n\0");
    await client.nextFrame();
    const closing = server.close();
    expect(await client.closed).toBe(1001);
    await closing;
  });
});
